//! The live view in a real headless Chromium: it refreshes itself with no script and no click.
//! A visitor arrives (a session row written while the page is open) and the page, left alone,
//! comes to show them online with their page view; `?pause=1` keeps still. A screenshot is
//! saved under `artifacts/screenshots/`.

use e2e_tests::browser_app::BrowserApp;
use e2e_tests::seed::ADMIN_EMAIL;
use e2e_tests::sign_in::submit_login;
use e2e_tests::{shot, text_of};
use fantoccini::Locator;
use std::time::Duration;

/// Longer than two refresh periods of the page (15 s each), so one slow reload is allowed for.
const REFRESHED_WITHIN: Duration = Duration::from_secs(45);

#[tokio::test]
async fn the_live_view_refreshes_itself_without_a_script() {
    // "Online" = seen within two heartbeats: two minutes here, so the visitor written below is
    // still online however slow the machine is.
    let app = BrowserApp::start_with_heartbeat(60_000).await;
    let svc = app.service("Live site").await;
    let c = app.pool.get().await.unwrap();

    let driver = e2e_tests::chromedriver();
    let b = e2e_tests::browser(&driver).await;
    let live = app.url(&format!("/dashboard/service/{svc}/live/"));
    b.goto(&live).await.unwrap();
    submit_login(&b, ADMIN_EMAIL, &app.password).await;
    // Back on the live view after logging in, with nobody online yet.
    b.wait()
        .for_element(Locator::Css("#live-online"))
        .await
        .unwrap();
    assert_eq!(b.current_url().await.unwrap().as_str(), live);
    assert_eq!(text_of(&b, "#live-online").await, "0");
    assert_eq!(text_of(&b, "#live-pageviews").await, "0");

    // A visitor arrives while the page is open.
    let sid = uuid::Uuid::new_v4();
    c.execute(
        "INSERT INTO sessions (id, service_id, start_time, last_seen, hit_count, is_bounce)
         VALUES ($1, $2, now(), now(), 1, true)",
        &[&sid, &svc],
    )
    .await
    .unwrap();
    c.execute(
        "INSERT INTO hits (session_id, service_id, initial, start_time, last_seen, tracker,
                           location, referrer)
         VALUES ($1, $2, true, now(), now(), 'JS', 'https://example.com/pricing',
                 'https://news.example/')",
        &[&sid, &svc],
    )
    .await
    .unwrap();

    // No click, no script: the page reloads itself and shows them.
    b.wait()
        .at_most(REFRESHED_WITHIN)
        .for_element(Locator::XPath(
            "//*[@id='live-online' and normalize-space()='1']",
        ))
        .await
        .expect("the live view shows the new visitor without any action");
    assert_eq!(text_of(&b, "#live-pageviews").await, "1");
    let pages = text_of(&b, "#live-pages").await;
    assert!(pages.contains("https://example.com/pricing"), "{pages}");
    let scripts = b
        .execute("return document.scripts.length;", vec![])
        .await
        .unwrap();
    assert_eq!(scripts, serde_json::json!(0), "no script on the page");
    shot(&b, "dashboard-live.png").await;

    // Paused: the page has no refresh to run.
    b.find(Locator::LinkText("Pause auto-refresh"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    b.wait()
        .for_element(Locator::LinkText("Resume auto-refresh"))
        .await
        .unwrap();
    let refresh = b
        .execute(
            "return document.querySelectorAll('meta[http-equiv=refresh]').length;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(refresh, serde_json::json!(0));

    b.close().await.unwrap();
    app.shutdown().await;
}
