//! Public share links in a real headless Chromium: the owner creates a differentially private
//! link on the manage page; a second, logged-out browser opens it and sees noised figures with
//! the notice (the same figures its API answers); the owner revokes it and the link answers
//! 404. Screenshots go under `artifacts/screenshots/`.

use e2e_tests::browser_app::AdminDb;
use e2e_tests::seed::{admin_service, visits_yesterday, Visits};
use e2e_tests::sign_in::{click, fill, signed_in_browser};
use e2e_tests::{open_until, shot, text_of};
use fantoccini::Locator;

/// A service owned by the admin with 300 two-page visits yesterday (private shares count
/// complete days only), rolled up.
async fn service_with_traffic(pool: &deadpool_postgres::Pool) -> uuid::Uuid {
    let c = pool.get().await.unwrap();
    let svc = admin_service(&c, "Shared in a browser", "").await;
    let pages = &["https://example.com/shared", "https://example.com/shared"];
    let visits = Visits {
        country: "FR",
        browser: "Firefox",
        sessions: 300,
        pages,
    };
    visits_yesterday(&c, svc, visits).await;
    stats::rollup::rewind(&**c, chrono::Utc::now() - chrono::Duration::hours(48))
        .await
        .unwrap();
    svc
}

#[tokio::test]
async fn owner_shares_a_private_link_a_visitor_sees_noised_figures_then_it_is_revoked() {
    // Data first, then the app: no maintenance pass runs while the rows are written.
    let db = AdminDb::fresh().await;
    let svc = service_with_traffic(&db.pool).await;
    let app = db.serve(Default::default()).await;
    let base = app.base.clone();

    let driver = e2e_tests::chromedriver();
    let owner = signed_in_browser(&driver, &base, &app.password).await;
    let viewer = e2e_tests::browser(&driver).await;

    // The owner (signed in above) creates a link with ε = 1 on the manage page.
    let manage = format!("{base}/dashboard/service/{svc}/manage/");
    open_until(&owner, &manage, "#share_epsilon").await;
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
    open_until(&owner, &manage, "#share-list button[value=revoke]").await;
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
