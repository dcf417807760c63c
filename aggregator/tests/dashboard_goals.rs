//! Goals and custom events in the dashboard over HTTP: owners add and delete goals on the manage
//! page (CSRF-protected, refused input redisplayed with the reason, a named limit), collaborators
//! and strangers cannot; the service page's Events card (with a property breakdown per event)
//! and Goals card, and the API's `events`, `goals` and `event_properties`.

mod common;
mod dashboard_support;

use dashboard_support::{spawn, Dash, Who};
use serde_json::json;
use stats::goal_spec::MAX_GOALS_PER_SERVICE;
use uuid::Uuid;

async fn goal_names(d: &Dash, svc: Uuid) -> Vec<String> {
    let c = d.pool.get().await.unwrap();
    c.query(
        "SELECT name FROM goals WHERE service_id = $1 ORDER BY name",
        &[&svc],
    )
    .await
    .unwrap()
    .into_iter()
    .map(|r| r.get(0))
    .collect()
}

async fn goal_id(d: &Dash, svc: Uuid, name: &str) -> i64 {
    let c = d.pool.get().await.unwrap();
    c.query_one(
        "SELECT id FROM goals WHERE service_id = $1 AND name = $2",
        &[&svc, &name],
    )
    .await
    .unwrap()
    .get(0)
}

struct World {
    d: Dash,
    owner: Who,
    collab: Who,
    stranger: Who,
    svc: Uuid,
    sid: Uuid,
}

async fn world() -> World {
    let d = spawn(Default::default()).await;
    let owner = d.user("owner@example.com", false).await;
    let collab = d.user("collab@example.com", false).await;
    let stranger = d.user("stranger@example.com", false).await;
    let (svc, sid) = d.service(&owner, Some(&collab), "Goals").await;
    World {
        d,
        owner,
        collab,
        stranger,
        svc,
        sid,
    }
}

#[tokio::test]
async fn owners_add_and_delete_goals_on_the_manage_page() {
    let w = world().await;
    let (d, svc) = (&w.d, w.svc);
    let goals = format!("/dashboard/service/{svc}/goals/");
    let manage = format!("/dashboard/service/{svc}/manage/");
    let page = d.get(&w.owner, &manage).await.text().await.unwrap();
    assert!(page.contains("id=\"goals\"") && page.contains("No goals yet."));
    assert!(page.contains(&format!("action=\"{goals}\"")));

    // An event goal with a property, and a page goal.
    let add = |name: &'static str, event: &'static str, prop: &'static str, glob: &'static str| {
        vec![
            ("action", "add"),
            ("name", name),
            ("event", event),
            ("prop", prop),
            ("page", glob),
        ]
    };
    let r = d
        .post(
            &w.owner,
            &goals,
            &add("Pro signup", "signup", "plan=pro", ""),
            true,
        )
        .await;
    assert_eq!(r.status(), 303);
    let to = r.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(to, format!("{manage}?msg=goal_added#goals"));
    let r = d
        .post(&w.owner, &goals, &add("Docs", "", "", "/docs/**"), true)
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(goal_names(d, svc).await, ["Docs", "Pro signup"]);
    let page = d.get(&w.owner, &to).await.text().await.unwrap();
    assert!(page.contains("Goal added."));
    assert!(page.contains("event signup with plan&#x3D;pro"), "{page}");
    assert!(page.contains("page /docs/**"));

    // Refused input: 400, the reason, the form as typed; nothing stored.
    for (form, reason) in [
        (
            add("Both", "signup", "", "/x"),
            "A goal is either an event or a page pattern, not both.",
        ),
        (
            add("Neither", "", "", ""),
            "Say what reaches the goal: an event name or a page pattern.",
        ),
        (
            add("Glob", "", "", "pricing"),
            "The page pattern must start with /",
        ),
        (
            add("Prop", "signup", "plan", ""),
            "Write the property as key&#x3D;value",
        ),
        (add("", "signup", "", ""), "The goal needs a name."),
        (
            add("Docs", "", "", "/docs"),
            "There is already a goal named “Docs”.",
        ),
    ] {
        let r = d.post(&w.owner, &goals, &form, true).await;
        assert_eq!(r.status(), 400, "{form:?}");
        let body = r.text().await.unwrap();
        assert!(body.contains(reason), "{form:?}: {body}");
        if !form[1].1.is_empty() {
            assert!(
                body.contains(&format!("value=\"{}\"", form[1].1)),
                "{form:?}"
            );
        }
    }
    assert_eq!(goal_names(d, svc).await, ["Docs", "Pro signup"]);

    // CSRF, collaborators and strangers.
    let r = d
        .post(&w.owner, &goals, &add("No token", "e", "", ""), false)
        .await;
    assert_eq!(r.status(), 403);
    let r = d
        .post(&w.collab, &goals, &add("Collab", "e", "", ""), true)
        .await;
    assert_eq!(r.status(), 403);
    let r = d
        .post(&w.stranger, &goals, &add("Stranger", "e", "", ""), true)
        .await;
    assert_eq!(r.status(), 404);
    let docs = goal_id(d, svc, "Docs").await.to_string();
    let delete = [("action", "delete"), ("id", docs.as_str())];
    assert_eq!(d.post(&w.collab, &goals, &delete, true).await.status(), 403);
    assert_eq!(d.post(&w.owner, &goals, &delete, false).await.status(), 403);
    assert_eq!(goal_names(d, svc).await, ["Docs", "Pro signup"]);

    // The owner deletes; a goal of another service (or a gone one) is not found.
    let r = d.post(&w.owner, &goals, &delete, true).await;
    assert_eq!(r.status(), 303);
    assert_eq!(goal_names(d, svc).await, ["Pro signup"]);
    assert_eq!(d.post(&w.owner, &goals, &delete, true).await.status(), 404);
    let (other, _) = d.service(&w.owner, None, "Other").await;
    let pro = goal_id(d, svc, "Pro signup").await.to_string();
    let r = d
        .post(
            &w.owner,
            &format!("/dashboard/service/{other}/goals/"),
            &[("action", "delete"), ("id", &pro)],
            true,
        )
        .await;
    assert_eq!(r.status(), 404);
    assert_eq!(goal_names(d, svc).await, ["Pro signup"]);
    for bad in [vec![("action", "delete")], vec![("action", "rename")]] {
        assert_eq!(d.post(&w.owner, &goals, &bad, true).await.status(), 400);
    }

    // The limit.
    let c = d.pool.get().await.unwrap();
    c.execute(
        "INSERT INTO goals (service_id, name, event_name)
         SELECT $1, 'G' || i, 'e' FROM generate_series(2, $2::int8) AS i",
        &[&svc, &MAX_GOALS_PER_SERVICE],
    )
    .await
    .unwrap();
    let r = d
        .post(&w.owner, &goals, &add("One more", "e", "", ""), true)
        .await;
    assert_eq!(r.status(), 400);
    let body = r.text().await.unwrap();
    assert!(
        body.contains(&format!("already has {MAX_GOALS_PER_SERVICE} goals")),
        "{body}"
    );
    assert!(body.contains("the most it can have"));
    assert!(
        !body.contains("Add goal"),
        "the add form is hidden at the limit"
    );
    assert_eq!(goal_names(d, svc).await.len() as i64, MAX_GOALS_PER_SERVICE);
}

/// Events of the fixture session (started an hour ago, pages `/` and `/about`), and goals.
async fn events_and_goals(w: &World) {
    let c = w.d.pool.get().await.unwrap();
    let evil = "<script>alert(1)</script>";
    c.execute(
        "INSERT INTO events (service_id, session_id, session_start, start_time, name, props)
         SELECT $1, $2, s.start_time, s.start_time + interval '1 minute', e.name, e.props
         FROM sessions s, (VALUES ('signup', '{\"plan\": \"pro\"}'::jsonb),
                                  ('signup', jsonb_build_object('plan', $3::text)),
                                  ('download', '{}'::jsonb)) AS e(name, props)
         WHERE s.id = $2",
        &[&w.svc, &w.sid, &evil],
    )
    .await
    .unwrap();
    c.execute(
        "INSERT INTO goals (service_id, name, event_name, prop_key, prop_value)
         VALUES ($1, 'Signup', 'signup', NULL, NULL), ($1, 'Pro', 'signup', 'plan', 'pro'),
                ($1, 'Nobody', 'never', NULL, NULL)",
        &[&w.svc],
    )
    .await
    .unwrap();
    c.execute(
        "INSERT INTO goals (service_id, name, page_glob, page_regex) VALUES ($1, 'About', '/about', $2)",
        &[&w.svc, &stats::glob::to_regex("/about").unwrap()],
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn the_service_page_shows_events_properties_and_goals() {
    let w = world().await;
    events_and_goals(&w).await;
    let path = format!("/dashboard/service/{}/", w.svc);
    for who in [&w.owner, &w.collab] {
        let r = w.d.get(who, &path).await;
        assert_eq!(r.status(), 200);
        let body = r.text().await.unwrap();
        assert!(body.contains("<h2>Events</h2>") && body.contains("<h2>Goals</h2>"));
        // signup: 2 events, 1 session; the name links to its properties.
        assert!(body.contains("?event&#x3D;signup#events\">signup</a></td><td class=\"num\">2</td><td class=\"num\">1</td>"), "{body}");
        assert!(body.contains(">download</a></td><td class=\"num\">1</td><td class=\"num\">1</td>"));
        // One session in the window, and it reached About, Pro and Signup.
        for goal in ["About", "Pro", "Signup"] {
            assert!(
                body.contains(&format!(
                    "<td>{goal}</td><td class=\"num\">1</td><td class=\"num\">100%</td>"
                )),
                "{goal}: {body}"
            );
        }
        assert!(body.contains("<td>Nobody</td><td class=\"num\">0</td><td class=\"num\">0%</td>"));
        assert!(!body.contains("Properties of"));
        assert!(!body.contains("<script>alert(1)"));
    }
    let owner = w.d.get(&w.owner, &path).await.text().await.unwrap();
    assert!(!owner.contains("No goals yet"));

    // The breakdown of one event, keeping the date range; hostile values stay text.
    let since = (chrono::Utc::now() - chrono::Duration::days(3)).date_naive();
    let r =
        w.d.get(&w.owner, &format!("{path}?startDate={since}&event=signup"))
            .await;
    assert_eq!(r.status(), 200);
    let body = r.text().await.unwrap();
    assert!(body.contains("Properties of “signup”"), "{body}");
    assert!(body.contains("<td>plan</td>"));
    assert!(body.contains("<span>pro</span></td><td class=\"num\">1</td>"));
    assert!(body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!body.contains("<script>alert(1)"));
    assert!(body.contains(&format!(
        "?startDate&#x3D;{since}&amp;event&#x3D;download#events"
    )));

    // A service without goals says where to add them (owners only get the link).
    let (empty, _) = w.d.service(&w.owner, Some(&w.collab), "Empty").await;
    let path = format!("/dashboard/service/{empty}/");
    let owner = w.d.get(&w.owner, &path).await.text().await.unwrap();
    assert!(owner.contains("No events in this period."));
    assert!(owner.contains(&format!("/dashboard/service/{empty}/manage/#goals")));
    let collab = w.d.get(&w.collab, &path).await.text().await.unwrap();
    assert!(collab.contains("No goals yet"));
    assert!(!collab.contains("/manage/#goals"));
}

#[tokio::test]
async fn the_api_answers_events_goals_and_properties() {
    let w = world().await;
    events_and_goals(&w).await;
    let token = format!("Token {}", w.owner.api);
    let r = w.d.api(Some(&token), &format!("?uuid={}", w.svc)).await;
    assert_eq!(r.status(), 200);
    let v: serde_json::Value = r.json().await.unwrap();
    let st = &v["services"][0]["stats"];
    assert_eq!(
        st["events"],
        json!([
            {"key": "signup", "count": 2, "sessions": 1},
            {"key": "download", "count": 1, "sessions": 1}
        ])
    );
    assert_eq!(
        st["goals"],
        json!([
            {"name": "About", "conversions": 1, "conversion_rate_pct": 100.0},
            {"name": "Nobody", "conversions": 0, "conversion_rate_pct": 0.0},
            {"name": "Pro", "conversions": 1, "conversion_rate_pct": 100.0},
            {"name": "Signup", "conversions": 1, "conversion_rate_pct": 100.0}
        ])
    );
    assert!(st.get("event_properties").is_none());
    // The period before had no sessions: no events, goals without a rate.
    assert_eq!(st["compare"]["events"], json!([]));
    assert_eq!(
        st["compare"]["goals"][0],
        json!({"name": "About", "conversions": 0, "conversion_rate_pct": null})
    );

    let r =
        w.d.api(Some(&token), &format!("?uuid={}&event=signup", w.svc))
            .await;
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(
        v["services"][0]["stats"]["event_properties"],
        json!([
            {"key": "plan", "value": "<script>alert(1)</script>", "count": 1},
            {"key": "plan", "value": "pro", "count": 1}
        ])
    );
    let long = "e".repeat(1001);
    let r =
        w.d.api(Some(&token), &format!("?uuid={}&event={long}", w.svc))
            .await;
    assert_eq!(r.status(), 400);
    let v: serde_json::Value = r.json().await.unwrap();
    assert!(v["error"].as_str().unwrap().contains("Invalid event"));
}
