//! `POST /api/event`: a client written against Plausible's documented Events API (body
//! `{name, url, domain, referrer, props}`, answer 202) records page views and custom events
//! here, under the same rules as our own routes.

mod common;

use common::{spawn_app, Opts, Svc, TestApp, CHROME_UA};
use serde_json::{json, Value};
use uuid::Uuid;

/// Sends one event the way Plausible's documentation shows (User-Agent and X-Forwarded-For).
async fn send(t: &TestApp, body: Value, extra: &[(&str, &str)]) -> reqwest::Response {
    let mut r = t
        .http
        .post(t.url("/api/event"))
        .header("user-agent", CHROME_UA)
        .header("x-forwarded-for", "198.51.100.7")
        .header("content-type", "application/json");
    for (k, v) in extra {
        r = r.header(*k, *v);
    }
    r.body(body.to_string()).send().await.unwrap()
}

async fn with_link(t: &TestApp, svc: Svc<'_>, link: &str) -> Uuid {
    let id = t.service(svc).await;
    t.pool
        .get()
        .await
        .unwrap()
        .execute("UPDATE services SET link = $2 WHERE id = $1", &[&id, &link])
        .await
        .unwrap();
    id
}

#[tokio::test]
async fn plausible_clients_record_page_views_and_custom_events() {
    let t = spawn_app(Opts::default()).await;
    let svc = with_link(&t, Svc::default(), "https://www.site.example/").await;
    let r = send(
        &t,
        json!({"name": "pageview", "url": "https://site.example/pricing?utm_source=news", "domain": "site.example", "referrer": "https://news.ycombinator.com/"}),
        &[],
    )
    .await;
    assert_eq!(r.status(), 202);
    assert_eq!(r.text().await.unwrap(), "{}");
    // The tracker's abbreviated keys, props as a JSON string; addressed by the service id.
    let r = send(
        &t,
        json!({"n": "Signup", "u": "https://site.example/pricing", "d": svc.to_string(), "p": "{\"plan\":\"pro\"}"}),
        &[],
    )
    .await;
    assert_eq!(r.status(), 202);
    t.settle().await;
    assert_eq!(t.hits(svc).await, 1);
    assert_eq!(t.sessions(svc).await, 1);
    let c = t.pool.get().await.unwrap();
    let s = c
        .query_one(
            "SELECT utm_source, channel FROM sessions WHERE service_id = $1",
            &[&svc],
        )
        .await
        .unwrap();
    assert_eq!(s.get::<_, String>(0), "news");
    let e = c
        .query_one(
            "SELECT name, props->>'plan' FROM events WHERE service_id = $1",
            &[&svc],
        )
        .await
        .unwrap();
    assert_eq!(
        (e.get::<_, String>(0), e.get::<_, Option<String>>(1)),
        ("Signup".to_owned(), Some("pro".to_owned()))
    );
    // IPs are not stored for a service that does not collect them.
    assert_eq!(
        t.count(
            "SELECT count(*) FROM sessions WHERE service_id = $1 AND (ip IS NOT NULL OR user_agent <> '')",
            svc
        )
        .await,
        0
    );
}

#[tokio::test]
async fn the_same_rules_as_our_routes_apply() {
    let t = spawn_app(Opts::default()).await;
    let open = with_link(&t, Svc::default(), "https://open.example").await;
    let strict = with_link(
        &t,
        Svc {
            origins: "https://strict.example",
            ignored_ips: "198.51.100.0/24",
            ..Svc::default()
        },
        "https://strict.example",
    )
    .await;
    let pv = |d: &str| json!({"name": "pageview", "url": "https://x.example/", "domain": d});
    // DNT and GPC are honoured (the answer does not say so).
    assert_eq!(
        send(&t, pv("open.example"), &[("dnt", "1")]).await.status(),
        202
    );
    assert_eq!(
        send(&t, pv("open.example"), &[("sec-gpc", "1")])
            .await
            .status(),
        202
    );
    // A foreign origin is refused; the right one passes, but the address is ignored.
    let r = send(
        &t,
        pv("strict.example"),
        &[("origin", "https://evil.example")],
    )
    .await;
    assert_eq!(r.status(), 403);
    let body: Value = r.json().await.unwrap();
    assert!(body["error"].is_string(), "{body}");
    let ok = send(
        &t,
        pv("strict.example"),
        &[("origin", "https://strict.example")],
    )
    .await;
    assert_eq!(ok.status(), 202);
    // Unknown sites and bad bodies: Plausible's error shape, nothing stored.
    let r = send(&t, pv("nowhere.example"), &[]).await;
    assert_eq!(r.status(), 404);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "no site with this domain");
    let r = send(
        &t,
        json!({"name": "pageview", "domain": "open.example"}),
        &[],
    )
    .await;
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "url: required");
    let big = json!({"name": "pageview", "url": format!("https://open.example/{}", "a".repeat(70_000)), "domain": "open.example"});
    assert_eq!(send(&t, big, &[]).await.status(), 413);
    t.settle().await;
    assert_eq!(t.hits(open).await + t.hits(strict).await, 0);
}
