//! Public share links in a real headless Chromium: the owner creates a differentially private
//! link on the manage page; a second, logged-out browser opens it and sees noised figures with
//! the notice (the same figures its API answers); the owner revokes it and the link answers
//! 404. Screenshots go under `artifacts/screenshots/`.

use aggregator::geo::GeoDb;
use aggregator::startup::{Application, ServeSettings};
use e2e_tests::{shot, text_of};
use fantoccini::{Client, Locator};

async fn fill(b: &Client, css: &str, value: &str) {
    b.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .send_keys(value)
        .await
        .unwrap();
}

async fn click(b: &Client, css: &str) {
    b.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .click()
        .await
        .unwrap();
}

/// A service owned by the admin with 300 two-page visits yesterday (private shares count
/// complete days only), rolled up.
async fn service_with_traffic(pool: &deadpool_postgres::Pool) -> uuid::Uuid {
    let c = pool.get().await.unwrap();
    let svc = uuid::Uuid::new_v4();
    c.execute(
        "INSERT INTO services (id, name, owner_id)
         SELECT $1, 'Shared in a browser', id FROM users WHERE email = 'admin@example.com'",
        &[&svc],
    )
    .await
    .unwrap();
    c.execute(
        "WITH s AS (
            INSERT INTO sessions (id, service_id, start_time, last_seen, browser, os, device_type,
                                  country, hit_count, is_bounce)
            SELECT gen_random_uuid(), $1, date_trunc('day', now()) - interval '12 hours',
                   date_trunc('day', now()) - interval '11 hours', 'Firefox', 'Linux', 'DESKTOP',
                   'FR', 2, false
            FROM generate_series(1, 300) RETURNING id)
         INSERT INTO hits (session_id, service_id, initial, start_time, last_seen, tracker, location)
         SELECT id, $1, g = 1, date_trunc('day', now()) - interval '12 hours',
                date_trunc('day', now()) - interval '11 hours', 'JS', 'https://example.com/shared'
         FROM s, generate_series(1, 2) g",
        &[&svc],
    )
    .await
    .unwrap();
    stats::rollup::rewind(&**c, chrono::Utc::now() - chrono::Duration::hours(48))
        .await
        .unwrap();
    svc
}

#[tokio::test]
async fn owner_shares_a_private_link_a_visitor_sees_noised_figures_then_it_is_revoked() {
    let (pool, _) = aggregator::testkit::fresh_db()
        .await
        .expect("throwaway Postgres");
    // Data first, then the app: no maintenance pass runs while the rows are written.
    let password = aggregator::cli::createadmin(&pool, "admin@example.com")
        .await
        .unwrap();
    let svc = service_with_traffic(&pool).await;
    let app = Application::start(
        ServeSettings {
            listen: "127.0.0.1:0".parse().unwrap(),
            tracking: Default::default(),
            ingest: Default::default(),
            time_zone: "UTC".parse().unwrap(),
        },
        pool.clone(),
        GeoDb::empty(),
    )
    .await
    .unwrap();
    let base = format!("http://{}", app.address());

    let driver = e2e_tests::chromedriver();
    let owner = e2e_tests::browser(&driver).await;
    let viewer = e2e_tests::browser(&driver).await;

    // The owner logs in and creates a link with ε = 1 on the manage page.
    owner
        .goto(&format!("{base}/accounts/login/"))
        .await
        .unwrap();
    fill(&owner, "#email", "admin@example.com").await;
    fill(&owner, "#password", &password).await;
    click(&owner, "form button[type=submit]").await;
    owner
        .wait()
        .for_element(Locator::Css("a.button[href='/dashboard/service/new/']"))
        .await
        .unwrap();
    owner
        .goto(&format!("{base}/dashboard/service/{svc}/manage/"))
        .await
        .unwrap();
    owner
        .wait()
        .for_element(Locator::Css("#share_epsilon"))
        .await
        .unwrap();
    fill(&owner, "#share_epsilon", "1").await;
    click(&owner, "#shares button[value=create]").await;
    owner
        .wait()
        .for_element(Locator::Css("#share-url"))
        .await
        .unwrap();
    let url = owner
        .find(Locator::Css("#share-url"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap()
        .expect("the share URL");
    assert!(url.starts_with(&format!("{base}/share/")), "{url}");
    shot(&owner, "share-created.png").await;

    // A logged-out browser opens it: noised figures and the notice, no sessions.
    viewer.goto(&url).await.unwrap();
    viewer
        .wait()
        .for_element(Locator::Css("#dp-notice"))
        .await
        .unwrap();
    let notice = text_of(&viewer, "#dp-notice").await;
    assert!(
        notice.contains("noised") && notice.contains("ε = 1"),
        "{notice}"
    );
    let strip = text_of(&viewer, ".strip").await;
    let body = text_of(&viewer, "main").await;
    assert!(
        body.contains("https://example.com/shared"),
        "{body}\n{strip}"
    );
    assert!(!body.contains("Recent sessions"));
    assert!(viewer.find(Locator::Css("svg.chart")).await.is_ok());
    // The page shows what the link's API releases (fetched anonymously; the dashboard's CSP
    // lets no page script fetch): noised counts, not the raw ones.
    let api: serde_json::Value = reqwest::get(format!("{url}api/"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(api["noised"], true);
    assert_eq!(api["epsilon"], 1.0);
    let sessions = api["session_count"].as_i64().unwrap();
    assert!((sessions - 300).abs() < 40, "{sessions}");
    let shown = dashboard::format::int(sessions);
    assert!(
        strip.to_lowercase().contains(&format!("sessions\n{shown}")),
        "{strip} / {shown}"
    );
    shot(&viewer, "share-private.png").await;

    // The owner revokes it; the link answers 404.
    owner
        .goto(&format!("{base}/dashboard/service/{svc}/manage/"))
        .await
        .unwrap();
    owner
        .wait()
        .for_element(Locator::Css("#share-list button[value=revoke]"))
        .await
        .unwrap();
    click(&owner, "#share-list button[value=revoke]").await;
    // The click starts a navigation: the old list can be read (or go stale) until the new page
    // arrives, so this waits for the list that says "revoked".
    let revoked = e2e_tests::eventually(std::time::Duration::from_secs(15), || async {
        let list = owner.find(Locator::Css("#share-list")).await.ok()?;
        list.text().await.ok().filter(|t| t.contains("revoked"))
    })
    .await;
    assert!(
        revoked.is_some(),
        "the share list never showed the link as revoked"
    );
    viewer.refresh().await.unwrap();
    let gone = text_of(&viewer, "main").await;
    assert!(gone.contains("Not found"), "{gone}");
    let status = reqwest::get(&url).await.unwrap().status();
    assert_eq!(status, 404);

    owner.close().await.unwrap();
    viewer.close().await.unwrap();
    app.shutdown().await;
}
