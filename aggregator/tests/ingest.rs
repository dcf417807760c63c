//! Direct ingest against a real Postgres: every Shynet rule (and every fix of its flaws) that
//! decides what gets stored.

mod common;
use common::*;
use serde_json::json;

#[tokio::test]
async fn pixel_hit_lands_with_geo_and_no_ip() {
    let t = spawn_app(Opts::default()).await;
    let svc = t.service(Svc::default()).await;
    let r = t
        .pixel(svc, "81.2.69.160", CHROME_UA, "https://example.com/a")
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/gif");
    assert_eq!(
        r.headers()["cache-control"],
        "no-cache, no-store, must-revalidate"
    );
    let body = r.bytes().await.unwrap();
    assert_eq!(body.len(), 43);
    assert_eq!(&body[..6], b"GIF89a");
    t.settle().await;
    let c = t.pool.get().await.unwrap();
    let row = c
        .query_one(
            "SELECT s.country, s.city, s.ip IS NULL, s.browser, s.os, s.device_type, s.user_agent,
                    h.tracker, h.location, h.referrer, h.load_time IS NULL, h.initial, s.is_bounce
             FROM sessions s JOIN hits h ON h.session_id = s.id WHERE s.service_id = $1",
            &[&svc],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "GB");
    assert_eq!(row.get::<_, String>(1), "London");
    assert!(row.get::<_, bool>(2), "IP must not be stored by default");
    assert_eq!(row.get::<_, String>(3), "Chrome");
    assert_eq!(row.get::<_, String>(4), "Windows");
    assert_eq!(row.get::<_, String>(5), "DESKTOP");
    assert_eq!(
        row.get::<_, String>(6),
        "",
        "raw UA is not kept when IPs are not collected"
    );
    assert_eq!(row.get::<_, String>(7), "PIXEL");
    assert_eq!(row.get::<_, String>(8), "https://example.com/a");
    assert_eq!(row.get::<_, String>(9), "");
    assert!(row.get::<_, bool>(10));
    assert!(row.get::<_, bool>(11));
    assert!(row.get::<_, bool>(12));
    // Every pixel load is a new hit in the same session.
    t.pixel(svc, "81.2.69.160", CHROME_UA, "https://example.com/b")
        .await;
    t.settle().await;
    assert_eq!(t.hits(svc).await, 2);
    assert_eq!(t.sessions(svc).await, 1);
}

#[tokio::test]
async fn head_pixel_counts_and_post_pixel_is_405() {
    let t = spawn_app(Opts::default()).await;
    let svc = t.service(Svc::default()).await;
    let r = t
        .http
        .head(t.url(&format!("/ingress/{svc}/pixel.gif")))
        .header("referer", "https://example.com/")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = t
        .http
        .post(t.url(&format!("/ingress/{svc}/pixel.gif")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
    assert!(r.headers()["allow"].to_str().unwrap().contains("GET"));
    t.settle().await;
    assert_eq!(t.hits(svc).await, 1);
}

#[tokio::test]
async fn heartbeats_update_the_hit_and_bounce_follows_hit_count() {
    let t = spawn_app(Opts::default()).await;
    let svc = t.service(Svc::default()).await;
    let r = t
        .js(
            svc,
            "2.125.160.216",
            IPHONE_UA,
            page("tok1", "https://e.com/"),
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/json");
    assert_eq!(r.text().await.unwrap(), "{\"status\": \"OK\"}");
    t.settle().await;
    // Heartbeats must carry a later time than the page view for last_seen to move: wait until
    // the clock has passed the stored start (bounded; it takes at most a millisecond).
    let start: chrono::DateTime<chrono::Utc> = t
        .pool
        .get()
        .await
        .unwrap()
        .query_one("SELECT start_time FROM hits WHERE service_id = $1", &[&svc])
        .await
        .unwrap()
        .get(0);
    let mut tries = 0;
    while chrono::Utc::now() <= start + chrono::Duration::milliseconds(1) {
        tries += 1;
        assert!(tries < 1000, "the clock does not advance");
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    }
    for _ in 0..3 {
        t.js(
            svc,
            "2.125.160.216",
            IPHONE_UA,
            page("tok1", "https://e.com/ignored"),
        )
        .await;
        t.settle().await;
    }
    let c = t.pool.get().await.unwrap();
    let row = c
        .query_one(
            "SELECT h.heartbeats, h.last_seen > h.start_time, h.location, s.is_bounce, s.hit_count,
                    s.last_seen = h.last_seen, s.device_type, h.load_time
             FROM hits h JOIN sessions s ON s.id = h.session_id WHERE h.service_id = $1",
            &[&svc],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, i32>(0), 3);
    assert!(row.get::<_, bool>(1));
    assert_eq!(row.get::<_, String>(2), "https://e.com/");
    assert!(row.get::<_, bool>(3), "one page view is a bounce");
    assert_eq!(row.get::<_, i32>(4), 1);
    assert!(
        row.get::<_, bool>(5),
        "session last_seen follows heartbeats"
    );
    assert_eq!(row.get::<_, String>(6), "PHONE");
    assert_eq!(row.get::<_, Option<f64>>(7), Some(321.0));

    // A second page view in the same session: not a bounce any more, not initial.
    t.js(
        svc,
        "2.125.160.216",
        IPHONE_UA,
        page("tok2", "https://e.com/2"),
    )
    .await;
    t.settle().await;
    let row = c
        .query_one(
            "SELECT count(*) FILTER (WHERE initial), count(*), bool_and(NOT s.is_bounce), max(s.hit_count)
             FROM hits h JOIN sessions s ON s.id = h.session_id WHERE h.service_id = $1",
            &[&svc],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, i64>(0), 1);
    assert_eq!(row.get::<_, i64>(1), 2);
    assert!(row.get::<_, bool>(2));
    assert_eq!(row.get::<_, i32>(3), 2);
}

#[tokio::test]
async fn heartbeats_in_one_batch_are_applied_once() {
    // Page view and heartbeats arriving together (one writer batch) still make one hit.
    let t = spawn_app(Opts::default()).await;
    let svc = t.service(Svc::default()).await;
    let mut futs = Vec::new();
    for _ in 0..5 {
        futs.push(t.js(
            svc,
            "89.160.20.128",
            CHROME_UA,
            page("same", "https://e.com/"),
        ));
    }
    for r in futures_util::future::join_all(futs).await {
        assert_eq!(r.status(), 200);
    }
    t.settle().await;
    assert_eq!(t.hits(svc).await, 1);
    assert_eq!(t.sessions(svc).await, 1);
    assert_eq!(
        t.count(
            "SELECT heartbeats::int8 FROM hits WHERE service_id = $1",
            svc
        )
        .await,
        4
    );
}

#[tokio::test]
async fn dnt_and_gpc_are_honoured_per_service() {
    let t = spawn_app(Opts::default()).await;
    let respects = t.service(Svc::default()).await;
    let ignores = t
        .service(Svc {
            respect_dnt: false,
            ..Svc::default()
        })
        .await;
    for svc in [respects, ignores] {
        for (h, v) in [("dnt", "1"), ("sec-gpc", "1")] {
            let r = t
                .http
                .post(t.url(&format!("/ingress/{svc}/script.js")))
                .header(h, v)
                .header("x-forwarded-for", "81.2.69.160")
                .header("user-agent", CHROME_UA)
                .body(page(&format!("{h}{svc}"), "https://e.com/").to_string())
                .send()
                .await
                .unwrap();
            assert_eq!(
                r.status(),
                200,
                "a dropped beacon still gets the usual answer"
            );
        }
    }
    t.settle().await;
    assert_eq!(t.hits(respects).await, 0);
    assert_eq!(t.hits(ignores).await, 2);
    assert_eq!(t.app.metrics.snapshot().dropped_dnt, 2);
}

#[tokio::test]
async fn ignored_networks_v4_and_v6_are_dropped() {
    let t = spawn_app(Opts::default()).await;
    let svc = t
        .service(Svc {
            ignored_ips: "10.1.0.0/16, 2001:db8::/32, 81.2.69.160",
            ..Svc::default()
        })
        .await;
    for ip in ["10.1.2.3", "2001:db8::5", "81.2.69.160", "::ffff:10.1.9.9"] {
        assert_eq!(
            t.pixel(svc, ip, CHROME_UA, "https://e.com/").await.status(),
            200
        );
    }
    t.pixel(svc, "10.2.0.1", CHROME_UA, "https://e.com/").await;
    t.pixel(svc, "2001:db9::1", CHROME_UA, "https://e.com/")
        .await;
    t.settle().await;
    assert_eq!(t.hits(svc).await, 2);
    assert_eq!(t.app.metrics.snapshot().dropped_ignored_ip, 4);
}

#[tokio::test]
async fn origins_and_preflight() {
    let t = spawn_app(Opts::default()).await;
    let svc = t
        .service(Svc {
            origins: "https://good.example, http://localhost:3000",
            ..Svc::default()
        })
        .await;
    let url = t.url(&format!("/ingress/{svc}/script.js"));
    // Preflight from an allowed origin.
    let r = t
        .http
        .request(reqwest::Method::OPTIONS, &url)
        .header("origin", "https://good.example")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(
        r.headers()["access-control-allow-origin"],
        "https://good.example"
    );
    assert!(r.headers()["access-control-allow-methods"]
        .to_str()
        .unwrap()
        .contains("POST"));
    assert!(r.headers().contains_key("access-control-max-age"));
    // Preflight from elsewhere.
    let r = t
        .http
        .request(reqwest::Method::OPTIONS, &url)
        .header("origin", "https://evil.example")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // Real beacons.
    let send = |origin: Option<&'static str>, referer: Option<&'static str>| {
        let mut rb = t
            .http
            .post(&url)
            .header("user-agent", CHROME_UA)
            .header("x-forwarded-for", "81.2.69.160")
            .body(json!({"location": "https://good.example/x"}).to_string());
        if let Some(o) = origin {
            rb = rb.header("origin", o);
        }
        if let Some(r) = referer {
            rb = rb.header("referer", r);
        }
        rb.send()
    };
    let ok = send(Some("https://good.example"), None).await.unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(
        ok.headers()["access-control-allow-origin"],
        "https://good.example"
    );
    let ok = send(None, Some("http://localhost:3000/page?q=1"))
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(
        ok.headers()["access-control-allow-origin"],
        "http://localhost:3000"
    );
    assert_eq!(
        send(Some("https://evil.example"), None)
            .await
            .unwrap()
            .status(),
        403
    );
    assert_eq!(send(None, None).await.unwrap().status(), 403);
    // An open service echoes the origin rather than `*`.
    let open = t.service(Svc::default()).await;
    let r = t
        .http
        .post(t.url(&format!("/ingress/{open}/script.js")))
        .header("origin", "https://any.example")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.headers()["access-control-allow-origin"],
        "https://any.example"
    );
    t.settle().await;
    assert_eq!(t.hits(svc).await, 2);
}

#[tokio::test]
async fn robots_are_classified_and_dropped_when_ignored() {
    let t = spawn_app(Opts::default()).await;
    let keeps = t.service(Svc::default()).await;
    let drops = t
        .service(Svc {
            ignore_robots: true,
            ..Svc::default()
        })
        .await;
    for svc in [keeps, drops] {
        t.pixel(svc, "81.2.69.160", GOOGLEBOT_UA, "https://e.com/")
            .await;
        t.pixel(svc, "81.2.69.161", "curl/8.5.0", "https://e.com/")
            .await;
        t.pixel(svc, "81.2.69.162", CHROME_UA, "https://e.com/")
            .await;
    }
    t.settle().await;
    assert_eq!(t.sessions(keeps).await, 3);
    assert_eq!(
        t.count(
            "SELECT count(*) FROM sessions WHERE service_id = $1 AND device_type = 'ROBOT'",
            keeps
        )
        .await,
        2
    );
    assert_eq!(t.sessions(drops).await, 1);
}

#[tokio::test]
async fn identifier_is_adopted_and_decoded() {
    let t = spawn_app(Opts::default()).await;
    let svc = t.service(Svc::default()).await;
    t.js(svc, "81.2.69.160", CHROME_UA, page("a", "https://e.com/"))
        .await;
    t.settle().await;
    let r = t
        .http
        .post(t.url(&format!("/ingress/{svc}/user%20%C3%A9%2042/script.js")))
        .header("user-agent", CHROME_UA)
        .header("x-forwarded-for", "81.2.69.160")
        .body(page("b", "https://e.com/2").to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    t.settle().await;
    let c = t.pool.get().await.unwrap();
    let ids: Vec<String> = c
        .query(
            "SELECT identifier FROM sessions WHERE service_id = $1",
            &[&svc],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(ids, vec!["user é 42".to_string()]);
}

#[tokio::test]
async fn session_times_out_after_inactivity() {
    let mut o = Opts::default();
    o.tracking.session_memory_timeout = 1;
    let t = spawn_app(o).await;
    let svc = t.service(Svc::default()).await;
    t.js(svc, "81.2.69.160", CHROME_UA, page("a", "https://e.com/"))
        .await;
    t.settle().await;
    t.js(svc, "81.2.69.160", CHROME_UA, page("b", "https://e.com/2"))
        .await;
    t.settle().await;
    assert_eq!(t.sessions(svc).await, 1);
    // Wait (bounded) until the visitor has been quiet for longer than the timeout, measured
    // against the session's stored last activity.
    let last: chrono::DateTime<chrono::Utc> = t
        .pool
        .get()
        .await
        .unwrap()
        .query_one(
            "SELECT last_seen FROM sessions WHERE service_id = $1",
            &[&svc],
        )
        .await
        .unwrap()
        .get(0);
    let mut tries = 0;
    while chrono::Utc::now() <= last + chrono::Duration::milliseconds(1100) {
        tries += 1;
        assert!(tries < 300, "the clock does not advance");
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    // Even a heartbeat of an old page view starts a new session with a new initial hit.
    t.js(svc, "81.2.69.160", CHROME_UA, page("b", "https://e.com/2"))
        .await;
    t.settle().await;
    assert_eq!(t.sessions(svc).await, 2);
    assert_eq!(t.hits(svc).await, 3);
    assert_eq!(
        t.count(
            "SELECT count(*) FROM hits WHERE service_id = $1 AND initial",
            svc
        )
        .await,
        2
    );
    // A different UA from the same IP is a different visitor.
    t.js(svc, "81.2.69.160", IPHONE_UA, page("c", "https://e.com/"))
        .await;
    t.settle().await;
    assert_eq!(t.sessions(svc).await, 3);
}

#[tokio::test]
async fn ip_is_stored_only_when_collected_and_not_blocked() {
    let t = spawn_app(Opts::default()).await;
    let collects = t
        .service(Svc {
            collect_ips: true,
            ..Svc::default()
        })
        .await;
    t.pixel(collects, "81.2.69.160", CHROME_UA, "https://e.com/")
        .await;
    t.settle().await;
    let c = t.pool.get().await.unwrap();
    let row = c
        .query_one(
            "SELECT host(ip), user_agent FROM sessions WHERE service_id = $1",
            &[&collects],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "81.2.69.160");
    assert_eq!(row.get::<_, String>(1), CHROME_UA);
    let mut o = Opts::default();
    o.ingest.block_all_ips = true;
    let blocked = spawn_app_on(t.pool.clone(), o).await;
    blocked
        .pixel(collects, "81.2.69.170", CHROME_UA, "https://e.com/")
        .await;
    blocked.settle().await;
    assert_eq!(
        t.count(
            "SELECT count(*) FROM sessions WHERE service_id = $1 AND ip IS NULL",
            collects
        )
        .await,
        1
    );
}

#[tokio::test]
async fn bad_input_gets_clear_4xx_and_loses_nothing_else() {
    let t = spawn_app(Opts::default()).await;
    let svc = t.service(Svc::default()).await;
    let post = |path: String, body: Vec<u8>| {
        t.http
            .post(t.url(&path))
            .header("user-agent", CHROME_UA)
            .header("x-forwarded-for", "81.2.69.160")
            .body(body)
            .send()
    };
    let js = format!("/ingress/{svc}/script.js");
    let cases: Vec<(String, Vec<u8>, u16, &str)> = vec![
        (js.clone(), b"not json".to_vec(), 400, "not valid JSON"),
        (
            js.clone(),
            br#"{"loadTime":"slow"}"#.to_vec(),
            400,
            "loadTime",
        ),
        (js.clone(), br#"[1,2]"#.to_vec(), 400, "JSON object"),
        (
            js.clone(),
            b"{\"location\":\"\xff\xfe\"}".to_vec(),
            400,
            "JSON",
        ),
        (js.clone(), vec![b' '; 20_000], 413, ""),
        (
            "/ingress/not-a-uuid/script.js".into(),
            b"{}".to_vec(),
            400,
            "malformed service id",
        ),
        (
            format!("/ingress/{}/script.js", uuid::Uuid::new_v4()),
            b"{}".to_vec(),
            404,
            "unknown service",
        ),
        (
            format!("/ingress/{svc}/a/b/script.js"),
            b"{}".to_vec(),
            404,
            "no such ingress route",
        ),
        (
            format!("/ingress/{svc}/{}/script.js", "x".repeat(300)),
            b"{}".to_vec(),
            400,
            "identifier",
        ),
    ];
    for (path, body, status, reason) in cases {
        let r = post(path.clone(), body).await.unwrap();
        assert_eq!(r.status().as_u16(), status, "{path}");
        let text = r.text().await.unwrap();
        assert!(text.contains(reason), "{path}: {text}");
    }
    // A good beacon after all that is stored.
    assert_eq!(
        post(
            js,
            br#"{"loadTime":null,"location":"https://e.com/"}"#.to_vec()
        )
        .await
        .unwrap()
        .status(),
        200
    );
    t.settle().await;
    assert_eq!(t.hits(svc).await, 1);
    let c = t.pool.get().await.unwrap();
    let lt: Option<f64> = c
        .query_one("SELECT load_time FROM hits WHERE service_id = $1", &[&svc])
        .await
        .unwrap()
        .get(0);
    assert_eq!(lt, None, "loadTime null is treated as absent");
}

#[tokio::test]
async fn archived_service_accepts_nothing() {
    let t = spawn_app(Opts::default()).await;
    let svc = t
        .service(Svc {
            status: "AR",
            ..Svc::default()
        })
        .await;
    assert_eq!(
        t.pixel(svc, "81.2.69.160", CHROME_UA, "https://e.com/")
            .await
            .status(),
        404
    );
    let r = t
        .http
        .get(t.url(&format!("/ingress/{svc}/script.js")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    t.settle().await;
    assert_eq!(t.hits(svc).await, 0);
}

#[tokio::test]
async fn health_reports_database_and_counters() {
    let t = spawn_app(Opts::default()).await;
    let r = t.http.get(t.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let r = t
        .http
        .get(t.url("/healthz?format=json"))
        .send()
        .await
        .unwrap();
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["database"], "working");
    assert!(v["ingest"]["accepted"].is_number());
}
