//! The dashboard in a real headless Chromium: an admin logs in, creates a service, copies its
//! install snippet onto a local test page, opens that page, and then sees the hit on the service
//! page and the session in the session list, and starts the two-factor setup. Screenshots of the
//! overview, service, session and two-factor setup pages are saved under `artifacts/screenshots/`
//! for CI, and the service page on a 390 px phone, where the navigation folds into a menu so the
//! figures come first.

use e2e_tests::browser_app::BrowserApp;
use e2e_tests::seed::ADMIN_EMAIL;
use e2e_tests::sign_in::{click, fill, submit_login, OVERVIEW_READY};
use e2e_tests::tracked_site::{page, serve_pages};
use e2e_tests::{shot, text_of};
use fantoccini::{Client, Locator};
use std::time::Duration;

/// Whether the element is rendered, as the browser itself says (`checkVisibility`: no
/// `display: none`, no closed `<details>` or `content-visibility: hidden` around it). WebDriver's
/// own check treats every child of a closed `<details>` as hidden, whatever the stylesheet says.
async fn displayed(b: &Client, css: &str) -> bool {
    b.execute(
        "const e = document.querySelector(arguments[0]);
         if (!e) throw new Error('no element ' + arguments[0]);
         return e.checkVisibility({visibilityProperty: true});",
        vec![serde_json::json!(css)],
    )
    .await
    .unwrap_or_else(|e| panic!("{css}: {e}"))
    .as_bool()
    .expect("a boolean")
}

/// Width of the phone the layout is checked on (CSS pixels).
const PHONE_WIDTH: u32 = 390;
/// Its window height.
const PHONE_HEIGHT: u32 = 844;

/// At phone width the navigation folds into a "Menu" toggle and the stats strip starts within
/// the first screen; opening the menu shows the links.
async fn phone_shows_the_figures_first(b: &Client, service_page: &str) {
    b.set_window_size(PHONE_WIDTH, PHONE_HEIGHT).await.unwrap();
    b.goto(service_page).await.unwrap();
    b.wait().for_element(Locator::Css(".strip")).await.unwrap();
    let got = b
        .execute(
            "const r = document.querySelector('.strip').getBoundingClientRect();
             const w = document.documentElement.clientWidth;
             const wide = [...document.querySelectorAll('main *')]
               .filter((e) => e.getBoundingClientRect().right > w + 1)
               .slice(0, 5)
               .map((e) => e.tagName + '.' + e.className + ' ' + e.getBoundingClientRect().right);
             return [r.top, window.innerHeight, w, document.documentElement.scrollWidth, wide];",
            vec![],
        )
        .await
        .unwrap();
    let n = |i: usize| got[i].as_f64().unwrap_or(f64::NAN);
    let (top, height, width) = (n(0), n(1), n(2));
    assert!(width <= f64::from(PHONE_WIDTH), "phone width: {got}");
    assert!(n(3) <= width, "nothing wider than the screen: {got}");
    assert!(
        top + 40.0 < height,
        "the stats strip starts within the first screen: top {top} of {height}"
    );
    assert!(displayed(b, ".menu > summary").await);
    assert!(!displayed(b, ".side a[href='/accounts/email/']").await);
    shot(b, "dashboard-service-phone.png").await;
    click(b, ".menu > summary").await;
    assert!(displayed(b, ".side a[href='/accounts/email/']").await);
    shot(b, "dashboard-service-phone-menu.png").await;
}

#[tokio::test]
async fn log_in_create_a_service_and_see_its_first_visit() {
    // A throwaway Postgres, a migrated database and the real application.
    let app = BrowserApp::start_with_heartbeat(500).await;
    let (base, password) = (app.base.clone(), app.password.clone());

    let driver = e2e_tests::chromedriver();
    let b = e2e_tests::browser(&driver).await;

    // Log in.
    b.goto(&format!("{base}/dashboard/")).await.unwrap();
    assert!(b
        .current_url()
        .await
        .unwrap()
        .path()
        .starts_with("/accounts/login/"));
    submit_login(&b, ADMIN_EMAIL, &password).await;
    b.wait()
        .for_element(Locator::Css(OVERVIEW_READY))
        .await
        .unwrap();
    assert_eq!(b.current_url().await.unwrap().path(), "/dashboard/");

    // Create a service.
    click(&b, OVERVIEW_READY).await;
    b.wait().for_element(Locator::Css("#name")).await.unwrap();
    fill(&b, "#name", "Browser site").await;
    fill(&b, "#link", "https://example.com").await;
    click(&b, "main form button[type=submit]").await;
    b.wait()
        .for_element(Locator::Css("#snippet"))
        .await
        .unwrap();
    let url = b.current_url().await.unwrap();
    let svc: uuid::Uuid = url
        .path()
        .trim_start_matches("/dashboard/service/")
        .trim_end_matches('/')
        .parse()
        .unwrap();
    // New services show the install instructions; the snippet points at this server.
    let snippet = text_of(&b, "#snippet").await;
    assert!(
        snippet.contains(&format!("/ingress/{svc}/script.js")),
        "{snippet}"
    );
    // The snippet uses https:// by default (SCRIPT_USE_HTTPS); the test server speaks http.
    let snippet = snippet.replace("https://", "http://");

    // A local test page on another origin carries the snippet.
    let page = page("Tracked page", &snippet, "<h1>Hello</h1>");
    let site_url = format!(
        "{}/landing.html",
        serve_pages(vec![("landing.html", page)]).await
    );
    b.goto(&site_url).await.unwrap();

    // Wait until the hit is written.
    assert!(
        app.hits_reach(svc, 1, Duration::from_secs(20)).await,
        "no hit recorded"
    );

    // The service page shows the hit, the page and the session.
    b.goto(&format!("{base}/dashboard/service/{svc}/"))
        .await
        .unwrap();
    b.wait().for_element(Locator::Css(".strip")).await.unwrap();
    let strip = text_of(&b, ".strip").await;
    assert!(
        strip.contains("SESSIONS\n1") || strip.contains("Sessions\n1"),
        "{strip}"
    );
    let body = text_of(&b, "main").await;
    assert!(body.contains(&site_url), "the page URL is listed");
    assert!(b.find(Locator::Css("svg.chart")).await.is_ok());
    assert!(b.find(Locator::Css("svg.worldmap")).await.is_ok());
    shot(&b, "dashboard-service.png").await;
    // On a wide screen the navigation is an open sidebar, no "Menu" toggle in the way.
    assert!(displayed(&b, ".side a[href='/accounts/email/']").await);
    assert!(!displayed(&b, ".menu > summary").await);

    // The session list has the session; its detail lists the hit.
    b.goto(&format!("{base}/dashboard/service/{svc}/sessions/"))
        .await
        .unwrap();
    let rows = b
        .find_all(Locator::Css("main table tr td a"))
        .await
        .unwrap();
    assert_eq!(rows.len(), 1, "one session");
    rows[0].click().await.unwrap();
    b.wait().for_element(Locator::Css("#hits")).await.unwrap();
    let hits = text_of(&b, "#hits").await;
    assert!(
        hits.contains(&site_url) && hits.contains("JavaScript"),
        "{hits}"
    );
    shot(&b, "dashboard-session.png").await;

    // The overview lists the service with its figures.
    b.goto(&format!("{base}/dashboard/")).await.unwrap();
    let card = text_of(&b, ".service-card").await;
    assert!(card.contains("Browser site"), "{card}");
    shot(&b, "dashboard-overview.png").await;

    // The API answers pages on other origins: a token made on the Security page, used by a
    // fetch() from the tracked site's origin (CORS preflight for the Authorization header).
    b.goto(&format!("{base}/accounts/password/change/"))
        .await
        .unwrap();
    // A new token takes the current password.
    fill(&b, "#token-current", &password).await;
    click(&b, "form[action='/dashboard/api-token-refresh/'] button").await;
    b.wait()
        .for_element(Locator::Css("#api-token"))
        .await
        .unwrap();
    let token = text_of(&b, "#api-token").await;
    b.goto(&site_url).await.unwrap();
    let got = b
        .execute_async(
            "const [url, token, done] = arguments;
             fetch(url, {headers: {Authorization: 'Token ' + token}})
               .then((r) => r.json())
               .then((j) => done(JSON.stringify(j)), (e) => done('error: ' + e));",
            vec![
                serde_json::json!(format!("{base}/api/v1/dashboard/?uuid={svc}")),
                serde_json::json!(token.trim()),
            ],
        )
        .await
        .unwrap();
    let got = got.as_str().unwrap_or_default().to_owned();
    assert!(got.contains("Browser site"), "cross-origin API read: {got}");

    // Two-factor setup: the QR code is inline SVG drawn under the strict CSP, no script.
    b.goto(&format!("{base}/accounts/two-factor/"))
        .await
        .unwrap();
    click(&b, "button[value='start']").await;
    let qr = b.wait().for_element(Locator::Css(".qr svg")).await.unwrap();
    let (_, _, w, h) = qr.rectangle().await.unwrap();
    assert!(w >= 100.0 && h >= 100.0, "QR code drawn at {w}x{h}");
    assert_eq!(text_of(&b, "#totp-secret").await.trim().len(), 32);
    shot(&b, "two-factor-setup.png").await;
    phone_shows_the_figures_first(&b, &format!("{base}/dashboard/service/{svc}/")).await;

    b.close().await.unwrap();
    app.shutdown().await;
}
