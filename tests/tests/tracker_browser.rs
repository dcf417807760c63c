//! A real headless Chromium loads a local page carrying the install snippet: the page view,
//! its heartbeats, a `pushState` navigation and a normal navigation all land in Postgres; a
//! page whose tag asks for outbound-link events sends `Shynet.event` and an outbound click, both
//! stored bound to its page view; and a campaign visit with those events shows on the owner's
//! dashboard page and in the API: events, a goal conversion, campaign tags and the channel.

use e2e_tests::browser_app::BrowserApp;
use e2e_tests::sign_in::click;
use e2e_tests::tracked_site::{page, serve_pages};
use e2e_tests::{browser, chromedriver, eventually, shot};
use std::time::Duration;
use uuid::Uuid;

/// The app with this heartbeat period and a service of the admin's named `name`.
async fn app_with_service(heartbeat_ms: u64, name: &str) -> (BrowserApp, Uuid) {
    let app = BrowserApp::start_with_heartbeat(heartbeat_ms).await;
    let svc = app.service(name).await;
    (app, svc)
}

#[tokio::test]
async fn tracker_records_page_views_heartbeats_and_spa_navigation() {
    let (app, svc) = app_with_service(400, "Browser test").await;
    let pool = app.pool.clone();
    let client = pool.get().await.unwrap();

    // The tracked site: another origin on loopback.
    let snippet = beacon::snippet::install_snippet(&app.base, svc);
    let p1 = page(
        "One",
        &snippet,
        "<button id=spa onclick=\"history.pushState({}, '', '/spa-route')\">spa</button>\
         <a id=next href=\"/two.html\">next</a>",
    );
    let p2 = page("Two", &snippet, "<p>two</p>");
    let site_url = serve_pages(vec![("one.html", p1), ("two.html", p2)]).await;

    let driver = chromedriver();
    let b = browser(&driver).await;
    b.goto(&format!("{site_url}/one.html")).await.unwrap();

    assert!(
        app.hits_reach(svc, 1, Duration::from_secs(15)).await,
        "the page view never arrived"
    );
    // Heartbeats while the page stays open and visible.
    let beats = eventually(Duration::from_secs(10), || {
        let pool = pool.clone();
        async move {
            let c = pool.get().await.ok()?;
            let hb: i32 = c
                .query_one(
                    "SELECT heartbeats FROM hits WHERE service_id = $1 ORDER BY id LIMIT 1",
                    &[&svc],
                )
                .await
                .ok()?
                .get(0);
            (hb >= 2).then_some(hb)
        }
    })
    .await;
    assert!(beats.is_some(), "no heartbeats arrived");

    // Single-page-app navigation.
    click(&b, "#spa").await;
    assert!(
        app.hits_reach(svc, 2, Duration::from_secs(10)).await,
        "the pushState navigation was not tracked"
    );
    // A normal navigation.
    click(&b, "#next").await;
    assert!(
        app.hits_reach(svc, 3, Duration::from_secs(10)).await,
        "the second page was not tracked"
    );
    shot(&b, "tracked-page.png").await;
    b.close().await.unwrap();

    app.shutdown().await;
    let rows = client
        .query(
            "SELECT h.location, h.referrer, h.initial, h.tracker, h.load_time, h.heartbeats,
                    h.session_id, s.browser, s.hit_count, s.is_bounce
             FROM hits h JOIN sessions s ON s.id = h.session_id
             WHERE h.service_id = $1 ORDER BY h.start_time",
            &[&svc],
        )
        .await
        .unwrap();
    assert_eq!(rows.len(), 3, "exactly three page views");
    let loc = |i: usize| rows[i].get::<_, String>(0);
    let refr = |i: usize| rows[i].get::<_, String>(1);
    assert_eq!(loc(0), format!("{site_url}/one.html"));
    assert_eq!(loc(1), format!("{site_url}/spa-route"));
    assert_eq!(
        refr(1),
        format!("{site_url}/one.html"),
        "SPA referrer is the previous URL"
    );
    assert_eq!(loc(2), format!("{site_url}/two.html"));
    assert!(rows[0].get::<_, bool>(2), "first hit is initial");
    assert!(!rows[1].get::<_, bool>(2) && !rows[2].get::<_, bool>(2));
    for r in &rows {
        assert_eq!(r.get::<_, String>(3), "JS");
    }
    assert!(
        rows[0].get::<_, Option<f64>>(4).is_some(),
        "load time from Navigation Timing"
    );
    assert!(
        rows[1].get::<_, Option<f64>>(4).is_none(),
        "no load time for SPA views"
    );
    assert!(rows[0].get::<_, i32>(5) >= 2);
    let session: Uuid = rows[0].get(6);
    assert!(
        rows.iter().all(|r| r.get::<_, Uuid>(6) == session),
        "one session"
    );
    // Headless Chromium says so in its UA, and is classified as such.
    assert_eq!(rows[0].get::<_, String>(7), "HeadlessChrome");
    assert_eq!(rows[0].get::<_, i32>(8), 3);
    assert!(!rows[0].get::<_, bool>(9));
}

/// The script tag with outbound-link events switched on.
fn outbound_tag(app: &BrowserApp, svc: Uuid) -> String {
    format!(
        "<script defer data-outbound src=\"{}/ingress/{svc}/script.js\"></script>",
        app.base
    )
}

/// Our page `ours`, carrying [`outbound_tag`] and a link `#out` to the page `exit` on another
/// host (another port is another host for the tracker): (our site's base URL, the exit URL).
async fn site_with_exit(
    app: &BrowserApp,
    svc: Uuid,
    ours: &'static str,
    exit: &'static str,
) -> (String, String) {
    let elsewhere = serve_pages(vec![(exit, page("Elsewhere", "", "<p>bye</p>"))]).await;
    let exit_url = format!("{elsewhere}/{exit}");
    let body = format!("<a id=out href=\"{exit_url}\">elsewhere</a>");
    let page = page("Tracked", &outbound_tag(app, svc), &body);
    (serve_pages(vec![(ours, page)]).await, exit_url)
}

/// On a page carrying [`outbound_tag`] and a link `#out` to another host: waits for auto.js,
/// sends `Shynet.event("Signup", {plan: "pro"})` and clicks the link.
async fn signup_and_leave(b: &fantoccini::Client) {
    // auto.js loads after the page view and says which automatic events it watches.
    let auto = eventually(Duration::from_secs(15), || {
        let b = b.clone();
        async move {
            let v = b
                .execute("return window.Shynet && window.Shynet.auto", vec![])
                .await
                .ok()?;
            v.as_i64().filter(|f| *f == 1)
        }
    })
    .await;
    assert_eq!(auto, Some(1), "auto.js with outbound links only");
    b.execute("Shynet.event('Signup', {plan: 'pro'})", vec![])
        .await
        .unwrap();
    b.find(fantoccini::Locator::Id("out"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

/// Waits until the service has at least `n` events and a session; returns the event count.
async fn events_stored(pool: &deadpool_postgres::Pool, svc: Uuid, n: i64) -> Option<i64> {
    eventually(Duration::from_secs(15), || {
        let pool = pool.clone();
        async move {
            let c = pool.get().await.ok()?;
            let row = c
                .query_one(
                    "SELECT (SELECT count(*) FROM events WHERE service_id = $1),
                            (SELECT count(*) FROM sessions WHERE service_id = $1)",
                    &[&svc],
                )
                .await
                .ok()?;
            let (events, sessions): (i64, i64) = (row.get(0), row.get(1));
            (events >= n && sessions >= 1).then_some(events)
        }
    })
    .await
}

#[tokio::test]
async fn custom_and_outbound_events_land_bound_to_the_page_view() {
    let (app, svc) = app_with_service(5000, "Events test").await;
    let pool = app.pool.clone();
    let (ours, exit) = site_with_exit(&app, svc, "one.html", "landing.html").await;

    let driver = chromedriver();
    let b = browser(&driver).await;
    b.goto(&format!("{ours}/one.html")).await.unwrap();
    signup_and_leave(&b).await;
    assert_eq!(
        events_stored(&pool, svc, 2).await,
        Some(2),
        "both events arrived"
    );
    assert_eq!(
        b.current_url().await.unwrap().as_str(),
        exit,
        "the click navigated"
    );
    b.close().await.unwrap();
    app.shutdown().await;

    let c = pool.get().await.unwrap();
    let rows = c
        .query(
            "SELECT e.name, e.props, e.location, e.hit_id = h.id, e.session_id = h.session_id,
                    e.session_start = s.start_time
             FROM events e JOIN hits h ON h.service_id = e.service_id
             JOIN sessions s ON s.id = h.session_id
             WHERE e.service_id = $1 ORDER BY e.start_time",
            &[&svc],
        )
        .await
        .unwrap();
    assert_eq!(rows.len(), 2, "one page view, two events");
    let name = |i: usize| rows[i].get::<_, String>(0);
    let props = |i: usize| rows[i].get::<_, serde_json::Value>(1);
    assert_eq!(name(0), "Signup");
    assert_eq!(props(0), serde_json::json!({"plan": "pro"}));
    assert_eq!(name(1), "Outbound Link: Click");
    assert_eq!(props(1), serde_json::json!({"url": exit}));
    for r in &rows {
        assert_eq!(r.get::<_, String>(2), format!("{ours}/one.html"));
        assert!(r.get::<_, bool>(3), "bound to the page view");
        assert!(
            r.get::<_, bool>(4) && r.get::<_, bool>(5),
            "and its session"
        );
    }
}

/// The HTML of the service page's card titled `title`, up to the next card.
fn card<'h>(html: &'h str, title: &str) -> &'h str {
    let start = html
        .find(&format!("<h2>{title}</h2>"))
        .unwrap_or_else(|| panic!("no {title} card"));
    let rest = &html[start..];
    let end = rest.find("<div class=\"card").unwrap_or(rest.len());
    &rest[..end]
}

/// A web session cookie and an API token for the owner of `svc`.
async fn owner_credentials(pool: &deadpool_postgres::Pool, svc: Uuid) -> (String, String) {
    use dashboard::auth::{session, token};
    let c = pool.get().await.unwrap();
    let owner: i64 = c
        .query_one("SELECT owner_id FROM services WHERE id = $1", &[&svc])
        .await
        .unwrap()
        .get(0);
    let api = format!("shy_{}", token::new_token());
    c.execute(
        "UPDATE users SET api_token_hash = $2 WHERE id = $1",
        &[&owner, &token::hash(&api)],
    )
    .await
    .unwrap();
    let web = session::create(&**c, owner).await.unwrap();
    (format!("shynet_session={web}"), api)
}

#[tokio::test]
async fn a_campaign_visit_with_events_shows_on_the_dashboard_and_in_the_api() {
    let (app, svc) = app_with_service(5000, "Events test").await;
    let pool = app.pool.clone();
    let base = app.base.clone();
    let goal = aggregator::goals_cli::GoalCommand::Add {
        service: svc,
        name: "Pro signup".into(),
        event: Some("Signup".into()),
        prop: Some("plan=pro".into()),
        page: None,
    };
    aggregator::goals_cli::run(&pool, &goal).await.unwrap();

    let (ours, _) = site_with_exit(&app, svc, "spring.html", "bye.html").await;
    let driver = chromedriver();
    let b = browser(&driver).await;
    b.goto(&format!(
        "{ours}/spring.html?utm_source=newsletter&utm_medium=email&utm_campaign=spring"
    ))
    .await
    .unwrap();
    signup_and_leave(&b).await;
    assert_eq!(
        events_stored(&pool, svc, 2).await,
        Some(2),
        "the custom and the outbound event arrived"
    );
    b.close().await.unwrap();

    // The owner's service page.
    let (cookie, api) = owner_credentials(&pool, svc).await;
    let http = reqwest::Client::new();
    let r = http
        .get(format!("{base}/dashboard/service/{svc}/"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    let events = card(&html, "Events");
    for name in ["Signup", "Outbound Link: Click"] {
        assert!(
            events.contains(&format!(
                ">{name}</a></td><td class=\"num\">1</td><td class=\"num\">1</td>"
            )),
            "{name} once, in one session: {events}"
        );
    }
    let goals = card(&html, "Goals");
    assert!(
        goals.contains("<td>Pro signup</td><td class=\"num\">1</td><td class=\"num\">100%</td>"),
        "the one session converted: {goals}"
    );
    let campaigns = card(&html, "Campaigns");
    for tag in ["newsletter", "email", "spring"] {
        assert!(
            campaigns.contains(&format!(">{tag}</a></td><td class=\"num\">1</td>")),
            "{tag}: {campaigns}"
        );
    }
    let channels = card(&html, "Channels");
    assert!(
        channels.contains(">Email</a></td><td class=\"num\">1</td>"),
        "{channels}"
    );

    // The same figures through the API (`shynet stats --json` has the same `stats` object).
    let v: serde_json::Value = http
        .get(format!("{base}/api/v1/dashboard/?uuid={svc}"))
        .header("authorization", format!("Token {api}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let st = &v["services"][0]["stats"];
    let mut events = st["events"].as_array().cloned().unwrap_or_default();
    events.sort_by_key(|e| e["key"].to_string());
    assert_eq!(
        events,
        [
            serde_json::json!({"key": "Outbound Link: Click", "count": 1, "sessions": 1}),
            serde_json::json!({"key": "Signup", "count": 1, "sessions": 1}),
        ],
        "{st}"
    );
    assert_eq!(
        st["goals"],
        serde_json::json!([{"name": "Pro signup", "conversions": 1, "conversion_rate_pct": 100.0}])
    );
    assert_eq!(
        st["utm_campaigns"],
        serde_json::json!([{"key": "spring", "count": 1}])
    );
    assert_eq!(
        st["utm_sources"],
        serde_json::json!([{"key": "newsletter", "count": 1}])
    );
    assert_eq!(
        st["channels"],
        serde_json::json!([{"key": "Email", "count": 1}])
    );
    app.shutdown().await;
}
