//! A real headless Chromium loads a local page carrying the install snippet: the page view,
//! its heartbeats, a `pushState` navigation and a normal navigation all land in Postgres.

use aggregator::config::{IngestArgs, TrackingArgs};
use aggregator::geo::GeoDb;
use aggregator::startup::{Application, ServeSettings};
use e2e_tests::{browser, chromedriver, eventually};
use std::time::Duration;
use uuid::Uuid;
use warp::Filter;

fn page(title: &str, snippet: &str, body: &str) -> String {
    format!(
        "<!doctype html><html><head><title>{title}</title></head><body>{body}{snippet}</body></html>"
    )
}

#[tokio::test]
async fn tracker_records_page_views_heartbeats_and_spa_navigation() {
    let (pool, _) = aggregator::testkit::fresh_db().await.unwrap();
    let app = Application::start(
        ServeSettings {
            listen: "127.0.0.1:0".parse().unwrap(),
            tracking: TrackingArgs {
                session_memory_timeout: 1800,
                script_heartbeat_frequency: 400,
            },
            ingest: IngestArgs::default(),
            time_zone: chrono_tz::UTC,
        },
        pool.clone(),
        GeoDb::empty(),
    )
    .await
    .unwrap();
    let client = pool.get().await.unwrap();
    let uid: i64 = client
        .query_one(
            "INSERT INTO users (email, password_hash) VALUES ('o@example.com', 'x') RETURNING id",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    let svc = Uuid::new_v4();
    client
        .execute(
            "INSERT INTO services (id, name, owner_id) VALUES ($1, 'Browser test', $2)",
            &[&svc, &uid],
        )
        .await
        .unwrap();

    // The tracked site: another origin on loopback.
    let snippet = beacon::snippet::install_snippet(&format!("http://{}", app.address()), svc);
    let p1 = page(
        "One",
        &snippet,
        "<button id=spa onclick=\"history.pushState({}, '', '/spa-route')\">spa</button>\
         <a id=next href=\"/two.html\">next</a>",
    );
    let p2 = page("Two", &snippet, "<p>two</p>");
    let site = warp::path("one.html")
        .map(move || warp::reply::html(p1.clone()))
        .or(warp::path("two.html").map(move || warp::reply::html(p2.clone())));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let site_addr = listener.local_addr().unwrap();
    tokio::spawn(warp::serve(site).incoming(listener).run());
    let site_url = format!("http://{site_addr}");

    let driver = chromedriver();
    let b = browser(&driver).await;
    b.goto(&format!("{site_url}/one.html")).await.unwrap();

    let count_hits = || {
        let pool = pool.clone();
        move |n: i64| {
            let pool = pool.clone();
            async move {
                let c = pool.get().await.ok()?;
                let got: i64 = c
                    .query_one("SELECT count(*) FROM hits WHERE service_id = $1", &[&svc])
                    .await
                    .ok()?
                    .get(0);
                (got >= n).then_some(got)
            }
        }
    };
    let hits_at_least = count_hits();
    assert!(
        eventually(Duration::from_secs(15), || hits_at_least(1))
            .await
            .is_some(),
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
    b.find(fantoccini::Locator::Id("spa"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert!(
        eventually(Duration::from_secs(10), || hits_at_least(2))
            .await
            .is_some(),
        "the pushState navigation was not tracked"
    );
    // A normal navigation.
    b.find(fantoccini::Locator::Id("next"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert!(
        eventually(Duration::from_secs(10), || hits_at_least(3))
            .await
            .is_some(),
        "the second page was not tracked"
    );
    let png = b.screenshot().await.unwrap();
    std::fs::write(e2e_tests::artifacts_dir().join("tracked-page.png"), png).unwrap();
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
