//! Custom events against the real app and a real Postgres: both routes (`POST …/event`, the
//! no-script `GET …/event.gif`), binding to the visitor's live session and page view, an event
//! that opens a session, idempotency, the privacy and origin rules of page views, refusals
//! naming the broken rule, late events marking rolled-up hours dirty, retention, and the
//! `auto.js` variants.

mod common;
use aggregator::writer::{apply, Enriched};
use beacon::event::Event;
use beacon::wire::{Beacon, Tracker, VisitorKey};
use common::*;
use serde_json::json;
use std::sync::Arc;
use uuid::Uuid;

const IP: &str = "81.2.69.160";

/// POSTs an event body.
async fn event(t: &TestApp, svc: Uuid, ip: &str, body: serde_json::Value) -> reqwest::Response {
    t.post_ingress(svc, "event", ip, CHROME_UA, body).await
}

/// The service's events: (name, props, location, session, session start, hit).
type EventRowTuple = (
    String,
    serde_json::Value,
    String,
    Uuid,
    chrono::DateTime<chrono::Utc>,
    Option<i64>,
);

async fn events(t: &TestApp, svc: Uuid) -> Vec<EventRowTuple> {
    let c = t.pool.get().await.unwrap();
    c.query(
        "SELECT name, props, location, session_id, session_start, hit_id FROM events
         WHERE service_id = $1 ORDER BY id",
        &[&svc],
    )
    .await
    .unwrap()
    .iter()
    .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4), r.get(5)))
    .collect()
}

async fn event_count(t: &TestApp, svc: Uuid) -> i64 {
    t.count("SELECT count(*) FROM events WHERE service_id = $1", svc)
        .await
}

#[tokio::test]
async fn an_event_binds_to_the_live_session_and_its_page_view() {
    let t = spawn_app(Opts::default()).await;
    let svc = t.service(Svc::default()).await;
    t.js(svc, IP, CHROME_UA, page("pv-1", "https://e.com/pricing"))
        .await;
    t.settle().await;
    let r = event(
        &t,
        svc,
        IP,
        json!({"name": "Signup", "props": {"plan": "pro"}, "page": "pv-1",
               "location": "https://e.com/pricing", "referrer": "https://www.google.com/",
               "idempotency": "ev-1"}),
    )
    .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/json");
    assert_eq!(r.text().await.unwrap(), "{\"status\": \"OK\"}");
    // No page token: bound to the session only. Another visitor with the same token: bound to
    // neither (a session of its own, and not that visitor's page view).
    event(&t, svc, IP, json!({"name": "Scrolled"})).await;
    event(
        &t,
        svc,
        "2.125.160.216",
        json!({"name": "Other", "page": "pv-1"}),
    )
    .await;
    t.settle().await;

    let c = t.pool.get().await.unwrap();
    let hit = c
        .query_one(
            "SELECT h.id, h.session_id, s.start_time, s.hit_count, s.is_bounce
             FROM hits h JOIN sessions s ON s.id = h.session_id WHERE h.service_id = $1",
            &[&svc],
        )
        .await
        .unwrap();
    let (hit_id, session): (i64, Uuid) = (hit.get(0), hit.get(1));
    let rows = events(&t, svc).await;
    assert_eq!(rows.len(), 3);
    let (name, props, location, sid, start, bound) = rows[0].clone();
    assert_eq!(
        (name.as_str(), location.as_str()),
        ("Signup", "https://e.com/pricing")
    );
    assert_eq!(props, json!({"plan": "pro"}));
    assert_eq!((sid, start, bound), (session, hit.get(2), Some(hit_id)));
    assert_eq!((rows[1].3, rows[1].5), (session, None));
    assert_ne!(rows[2].3, session, "another visitor, another session");
    assert_eq!(rows[2].5, None, "another visitor's page view is not bound");
    // Events are no page views: one hit, and the session is still a bounce.
    assert_eq!(t.hits(svc).await, 1);
    assert_eq!((hit.get::<_, i32>(3), hit.get::<_, bool>(4)), (1, true));
    let m = t.app.metrics.snapshot();
    assert_eq!(m.written_events, 3);
    assert_eq!(m.written_hits, 1);
}

#[tokio::test]
async fn an_event_without_a_live_session_opens_one_that_a_page_view_continues() {
    let t = spawn_app(Opts::default()).await;
    let svc = t.service(Svc::default()).await;
    event(
        &t,
        svc,
        IP,
        json!({"name": "Signup", "location": "https://e.com/"}),
    )
    .await;
    t.settle().await;
    let c = t.pool.get().await.unwrap();
    let s = c
        .query_one(
            "SELECT id, hit_count, is_bounce, browser FROM sessions WHERE service_id = $1",
            &[&svc],
        )
        .await
        .unwrap();
    let session: Uuid = s.get(0);
    assert_eq!(
        (s.get::<_, i32>(1), s.get::<_, bool>(2)),
        (0, false),
        "a session without hits, and no bounce"
    );
    assert_eq!(s.get::<_, String>(3), "Chrome");
    assert_eq!(t.hits(svc).await, 0);
    assert_eq!(events(&t, svc).await[0].3, session);

    // The page view that follows continues it, as its entry page.
    t.js(svc, IP, CHROME_UA, page("pv-2", "https://e.com/welcome"))
        .await;
    t.settle().await;
    let h = c
        .query_one(
            "SELECT h.session_id, h.initial, s.hit_count, s.is_bounce
             FROM hits h JOIN sessions s ON s.id = h.session_id WHERE h.service_id = $1",
            &[&svc],
        )
        .await
        .unwrap();
    assert_eq!(h.get::<_, Uuid>(0), session);
    assert!(h.get::<_, bool>(1), "the first page view is the entry page");
    assert_eq!((h.get::<_, i32>(2), h.get::<_, bool>(3)), (1, true));
    assert_eq!(t.sessions(svc).await, 1);
}

#[tokio::test]
async fn the_gif_form_answers_the_pixel_and_records_the_event() {
    let t = spawn_app(Opts::default()).await;
    let svc = t.service(Svc::default()).await;
    let gif = |query: &str, method: reqwest::Method| {
        t.http
            .request(method, t.url(&format!("/ingress/{svc}/event.gif?{query}")))
            .header("user-agent", CHROME_UA)
            .header("x-forwarded-for", IP)
            .header("referer", "https://e.com/newsletter")
            .send()
    };
    let r = gif(
        "name=File+Download&p.url=https%3A%2F%2Fe.com%2Fa.pdf&_=1",
        reqwest::Method::GET,
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/gif");
    assert_eq!(
        r.headers()["cache-control"],
        "no-cache, no-store, must-revalidate"
    );
    assert_eq!(r.headers()["access-control-allow-origin"], "https://e.com");
    assert_eq!(
        &r.bytes().await.unwrap()[..],
        &beacon::responses::PIXEL_GIF[..]
    );
    let head = gif("name=404", reqwest::Method::HEAD).await.unwrap();
    assert_eq!(head.status(), 200);
    let bad = gif("p.x=1", reqwest::Method::GET).await.unwrap();
    assert_eq!(bad.status(), 400);
    assert!(bad.text().await.unwrap().contains("name: required"));
    t.settle().await;
    let rows = events(&t, svc).await;
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].0, "File Download");
    assert_eq!(rows[0].1, json!({"url": "https://e.com/a.pdf"}));
    assert_eq!(
        rows[0].2, "https://e.com/newsletter",
        "the page from Referer"
    );
    assert_eq!(rows[1].0, "404");
    assert_eq!(t.hits(svc).await, 0);
}

#[tokio::test]
async fn an_event_resent_with_its_token_is_stored_once() {
    let t = spawn_app(Opts::default()).await;
    let svc = t.service(Svc::default()).await;
    let other = t.service(Svc::default()).await;
    let body = json!({"name": "Signup", "props": {"plan": "free"}, "idempotency": "once"});
    for _ in 0..3 {
        assert_eq!(event(&t, svc, IP, body.clone()).await.status(), 200);
        t.settle().await;
    }
    // The GIF form shares the token space; another service has its own.
    t.http
        .get(t.url(&format!(
            "/ingress/{svc}/event.gif?name=Signup&idempotency=once"
        )))
        .header("x-forwarded-for", IP)
        .send()
        .await
        .unwrap();
    event(&t, other, IP, body.clone()).await;
    // Several copies at once, and distinct tokens beside them.
    let sends = (0..4).map(|i| {
        let b = json!({"name": "Click", "idempotency": if i % 2 == 0 { "dup" } else { "uniq" }.to_owned() + &(i / 2).to_string()});
        event(&t, svc, IP, b)
    });
    futures_util::future::join_all(sends).await;
    t.settle().await;
    assert_eq!(event_count(&t, other).await, 1);
    let names: Vec<String> = events(&t, svc).await.into_iter().map(|r| r.0).collect();
    assert_eq!(names.iter().filter(|n| *n == "Signup").count(), 1);
    assert_eq!(names.iter().filter(|n| *n == "Click").count(), 4);
    assert!(t.app.metrics.snapshot().event_repeats >= 3);
    let tokens = t
        .count(
            "SELECT count(*) FROM event_tokens WHERE service_id = $1",
            svc,
        )
        .await;
    assert_eq!(tokens, 5);
}

fn enriched(svc: Uuid, time_ms: i64, event: Option<Event>) -> Enriched {
    Enriched::new(
        Beacon {
            service: svc,
            time_ms,
            tracker: Tracker::Js,
            identifier: String::new(),
            idempotency: None,
            location: "https://e.com/".into(),
            referrer: String::new(),
            load_time: None,
            user_agent: CHROME_UA.into(),
            visitor: VisitorKey([9; 16]),
            previous_visitor: None,
            ip: None,
            geo: Default::default(),
            event,
        },
        Arc::new(beacon::ua::UaClassifier::new().unwrap().classify(CHROME_UA)),
        &Default::default(),
    )
}

fn signup(token: &str) -> Option<Event> {
    Some(Event {
        name: "Signup".into(),
        token: Some(token.into()),
        ..Event::default()
    })
}

#[tokio::test]
async fn repeats_in_one_batch_and_late_events_in_rolled_up_hours() {
    // The writer alone: two copies of one event in one batch, five hours late.
    let (pool, _) = fresh_db().await;
    let mut c = pool.get().await.unwrap();
    let svc = Uuid::new_v4();
    let late = chrono::Utc::now().timestamp_millis() - 5 * 3_600_000;
    let batch = vec![
        enriched(svc, late + 10, signup("t")),
        enriched(svc, late, signup("t")),
        enriched(svc, late + 20, signup("u")),
    ];
    let tx = c.transaction().await.unwrap();
    let outcome = apply::apply(&tx, &batch, 1800.0).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        (outcome.beacons, outcome.events, outcome.event_repeats),
        (3, 2, 1)
    );
    assert_eq!((outcome.hits, outcome.sessions), (0, 1));
    let rows = c
        .query(
            "SELECT (extract(epoch FROM start_time) * 1000)::int8 FROM events
             WHERE service_id = $1 ORDER BY start_time",
            &[&svc],
        )
        .await
        .unwrap();
    let times: Vec<i64> = rows.iter().map(|r| r.get(0)).collect();
    assert_eq!(times, vec![late, late + 20], "the earliest copy stays");
    // The hour was closed (older than the session timeout): the rollup job re-rolls it.
    let hour = late.div_euclid(3_600_000) * 3_600_000;
    let dirty: Vec<i64> = c
        .query(
            "SELECT (extract(epoch FROM hour) * 1000)::int8 FROM rollup_dirty WHERE service_id = $1",
            &[&svc],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(dirty.contains(&hour), "{dirty:?} lacks {hour}");
    // The same token in a later batch: nothing more.
    let tx = c.transaction().await.unwrap();
    let again = apply::apply(&tx, &[enriched(svc, late + 30, signup("u"))], 1800.0)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!((again.events, again.event_repeats), (0, 1));
}

#[tokio::test]
async fn privacy_and_origin_rules_apply_to_events_as_to_page_views() {
    let t = spawn_app(Opts::default()).await;
    let svc = t
        .service(Svc {
            origins: "https://good.example",
            ignore_robots: true,
            ignored_ips: "10.1.0.0/16",
            ..Svc::default()
        })
        .await;
    let send = |headers: Vec<(&'static str, &'static str)>, ip: &'static str| {
        let mut rb = t
            .http
            .post(t.url(&format!("/ingress/{svc}/event")))
            .header("x-forwarded-for", ip)
            .body(json!({"name": "Signup"}).to_string());
        for (k, v) in headers {
            rb = rb.header(k, v);
        }
        rb.send()
    };
    let origin = ("origin", "https://good.example");
    let chrome = ("user-agent", CHROME_UA);
    for (headers, ip) in [
        (vec![origin, chrome, ("dnt", "1")], IP),
        (vec![origin, chrome, ("sec-gpc", "1")], IP),
        (vec![origin, chrome], "10.1.2.3"),
        (vec![origin, ("user-agent", GOOGLEBOT_UA)], IP),
    ] {
        let r = send(headers, ip).await.unwrap();
        assert_eq!(r.status(), 200, "a dropped event gets the usual answer");
        assert_eq!(
            r.headers()["access-control-allow-origin"],
            "https://good.example"
        );
    }
    let r = send(vec![("origin", "https://evil.example"), chrome], IP)
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let reason = r.text().await.unwrap();
    assert!(reason.contains("origin"), "{reason}");
    // The preflight of a JSON POST is allowed from the good origin only.
    let pre = |o: &'static str| {
        t.http
            .request(
                reqwest::Method::OPTIONS,
                t.url(&format!("/ingress/{svc}/event")),
            )
            .header("origin", o)
            .header("access-control-request-method", "POST")
            .send()
    };
    assert_eq!(pre("https://good.example").await.unwrap().status(), 204);
    assert_eq!(pre("https://evil.example").await.unwrap().status(), 403);
    // The one that passes every rule.
    assert_eq!(send(vec![origin, chrome], IP).await.unwrap().status(), 200);
    t.settle().await;
    assert_eq!(event_count(&t, svc).await, 1);
    let m = t.app.metrics.snapshot();
    assert_eq!(
        (m.dropped_dnt, m.dropped_ignored_ip, m.dropped_robot),
        (2, 1, 1)
    );
    // Archived: nothing at all.
    let archived = t
        .service(Svc {
            status: "AR",
            ..Svc::default()
        })
        .await;
    let r = event(&t, archived, IP, json!({"name": "Signup"})).await;
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn bad_events_get_400_naming_the_rule_and_lose_nothing_else() {
    let t = spawn_app(Opts::default()).await;
    let svc = t.service(Svc::default()).await;
    let many: serde_json::Map<String, serde_json::Value> =
        (0..31).map(|i| (format!("k{i}"), json!("v"))).collect();
    let cases: Vec<(String, u16, &str)> = vec![
        (
            json!({"name": "a", "props": {"k": "v".repeat(2001)}}).to_string(),
            400,
            "props: values at most 2000 characters",
        ),
        (
            json!({"name": "a", "props": {"plan": 3}}).to_string(),
            400,
            "props: values must be strings",
        ),
        (
            json!({"name": "a", "props": many}).to_string(),
            400,
            "props: at most 30 pairs",
        ),
        (
            json!({"name": "Sign\u{7}up"}).to_string(),
            400,
            "name: no control characters",
        ),
        (
            json!({"name": "n".repeat(121)}).to_string(),
            400,
            "name: at most 120 characters",
        ),
        (
            json!({"name": "a", "props": {"k\n": "v"}}).to_string(),
            400,
            "props: no control characters",
        ),
        (json!({"props": {}}).to_string(), 400, "name: required"),
        ("[1]".into(), 400, "JSON object"),
        (
            format!(r#"{{"name":"{}"}}"#, "x".repeat(17_000)),
            413,
            "larger than",
        ),
    ];
    // A valid page view and a valid event travel around the bad ones.
    let good = async {
        t.js(svc, IP, CHROME_UA, page("pv-ok", "https://e.com/"))
            .await;
        event(&t, svc, IP, json!({"name": "Fine", "page": "pv-ok"})).await
    };
    let bad = async {
        let mut out = Vec::new();
        for (body, status, reason) in &cases {
            let r = t
                .http
                .post(t.url(&format!("/ingress/{svc}/event")))
                .header("x-forwarded-for", IP)
                .body(body.clone())
                .send()
                .await
                .unwrap();
            out.push((
                r.status().as_u16(),
                r.text().await.unwrap(),
                *status,
                *reason,
            ));
        }
        out
    };
    let (good, bad) = tokio::join!(good, bad);
    assert_eq!(good.status(), 200);
    for (got, text, status, reason) in bad {
        assert_eq!(got, status, "{reason}: {text}");
        assert!(text.contains(reason), "{reason}: {text}");
    }
    // Wrong methods, and a query that is not UTF-8.
    let r = t
        .http
        .get(t.url(&format!("/ingress/{svc}/event")))
        .send()
        .await
        .unwrap();
    assert_eq!(
        (r.status().as_u16(), r.headers()["allow"].to_str().unwrap()),
        (405, "POST, OPTIONS")
    );
    let r = t
        .http
        .post(t.url(&format!("/ingress/{svc}/event.gif")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
    let r = t
        .http
        .get(t.url(&format!("/ingress/{svc}/event.gif?name=%ff")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    t.settle().await;
    assert_eq!(t.hits(svc).await, 1);
    let rows = events(&t, svc).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].0, "Fine");
    assert!(rows[0].5.is_some(), "bound to its page view");
    assert!(t.app.metrics.snapshot().rejected_bad_input >= 12);
}

#[tokio::test]
async fn truncated_props_are_counted() {
    let t = spawn_app(Opts::default()).await;
    let svc = t.service(Svc::default()).await;
    event(&t, svc, IP, json!({"name": "Big", "truncated": 5})).await;
    event(&t, svc, IP, json!({"name": "Big", "truncated": 2})).await;
    // The tracker's form: props as the page passed them, fitted by the aggregator: a number
    // becomes a string, 30 are kept (by key order: a0, k00..k28) and the other 2 counted.
    let mut props = serde_json::Map::new();
    for i in 0..31 {
        props.insert(format!("k{i:02}"), json!(format!("v{i}")));
    }
    props.insert("a0".into(), json!(7));
    event(&t, svc, IP, json!({"n": "Big", "p": props})).await;
    t.settle().await;
    assert_eq!(t.app.metrics.snapshot().event_props_truncated, 9);
    let c = t.pool.get().await.unwrap();
    let kept: serde_json::Value = c
        .query_one(
            "SELECT props FROM events WHERE service_id = $1 AND props ? 'a0'",
            &[&svc],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(kept.as_object().map(|o| o.len()), Some(30));
    assert_eq!(kept["a0"], "7");
    let health: serde_json::Value = t
        .http
        .get(t.url("/healthz?format=json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["ingest"]["event_props_truncated"], 9, "{health}");
    assert_eq!(health["ingest"]["written_events"], 3, "{health}");
}

#[tokio::test]
async fn retention_purges_events_and_drops_their_old_partitions() {
    let (pool, _) = fresh_db().await;
    let c = pool.get().await.unwrap();
    let svc = owned_service(&c, "r@example.com", "R").await;
    c.execute(
        "UPDATE services SET raw_retention_days = 30 WHERE id = $1",
        &[&svc],
    )
    .await
    .unwrap();
    for days in [100, 1] {
        c.execute(
            "INSERT INTO events (service_id, session_id, session_start, start_time, name)
             VALUES ($1, gen_random_uuid(), now() - make_interval(days => $2),
                     now() - make_interval(days => $2), 'Signup')",
            &[&svc, &days],
        )
        .await
        .unwrap();
    }
    c.execute("UPDATE rollup_state SET watermark = now()", &[])
        .await
        .unwrap();
    let old_partition: String = c
        .query_one(
            "SELECT to_char((now() - interval '100 days') AT TIME ZONE 'UTC', '\"events_y\"YYYY\"m\"MM')",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    let mut conn = pool.get().await.unwrap();
    let report = aggregator::retention::run(&mut conn).await.unwrap();
    assert_eq!(report.events_deleted, 1, "{report:?}");
    let left: Vec<i32> = c
        .query(
            "SELECT extract(day FROM now() - start_time)::int4 FROM events WHERE service_id = $1",
            &[&svc],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(left, vec![1]);
    let exists: bool = c
        .query_one("SELECT to_regclass($1) IS NOT NULL", &[&old_partition])
        .await
        .unwrap()
        .get(0);
    assert!(!exists, "{old_partition} was dropped");
    assert!(report.partitions_dropped >= 1);
}

#[tokio::test]
async fn auto_js_is_one_cached_variant_per_feature_set() {
    let t = spawn_app(Opts::default()).await;
    let svc = t.service(Svc::default()).await;
    let get = |q: &str, inm: Option<&str>| {
        let mut rb = t
            .http
            .get(t.url(&format!("/ingress/{svc}/auto.js?{q}")))
            .header("accept-encoding", "gzip");
        if let Some(e) = inm {
            rb = rb.header("if-none-match", e.to_owned());
        }
        rb.send()
    };
    let r = get("f=outbound", None).await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["content-type"],
        "application/javascript; charset=utf-8"
    );
    assert_eq!(r.headers()["cache-control"], "public, max-age=300");
    assert_eq!(r.headers()["content-encoding"], "gzip");
    let etag = r.headers()["etag"].to_str().unwrap().to_owned();
    // Order and other data attributes do not make another variant.
    let same = get("f=cfasync%2Coutbound", None).await.unwrap();
    assert_eq!(same.headers()["etag"].to_str().unwrap(), etag);
    let all = get("f=404,downloads,outbound", None).await.unwrap();
    assert_ne!(all.headers()["etag"].to_str().unwrap(), etag);
    assert_eq!(get("f=outbound", Some(&etag)).await.unwrap().status(), 304);
    let plain = t
        .http
        .get(t.url(&format!("/ingress/{svc}/auto.js?f=outbound")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(plain.contains("Outbound Link: Click") && plain.contains("(1,document)"));
    // The base script carries the loader, not this code.
    let script = t
        .http
        .get(t.url(&format!("/ingress/{svc}/script.js")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(script.contains("/../auto.js?f="));
    assert!(!script.contains("Outbound Link"));
}
