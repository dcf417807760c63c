//! Every page type of the dashboard in a real headless Chromium, checked by axe-core (npm
//! `axe-core`) in the light and the dark colour scheme, on a 1280 px desktop and a 390 px phone:
//! no serious or critical violation may remain, and nothing is wider than the window. Tab reaches
//! every visible control and each stop shows a focus ring, in every scheme and width. The chart
//! and the map carry text alternatives. Full-page screenshots of each page, width and scheme go
//! to `artifacts/screenshots/a11y-*.png`.

use e2e_tests::browser_app::BrowserApp;
use e2e_tests::seed::{admin_service, ADMIN_EMAIL as EMAIL};
use e2e_tests::sign_in::{click, fill, sign_in, submit_login};
use e2e_tests::{audit, open_until};
use fantoccini::{Client, Locator};

/// Traffic for the service page: enough for every card, chart and the map to have rows.
const DEMO_HITS: u64 = 3_000;
/// Days the demo traffic spans.
const DEMO_DAYS: u32 = 14;

async fn shot(b: &Client, name: &str) {
    let png = audit::full_page_png(b).await;
    std::fs::write(e2e_tests::artifacts_dir().join(name), png).expect("write screenshot");
}

/// Opens a page of the dashboard (every one has a `main`).
async fn open(b: &Client, url: &str) {
    open_until(b, url, "main").await;
}

async fn log_in(b: &Client, base: &str, password: &str) {
    sign_in(b, base, password).await;
    b.wait()
        .for_element(Locator::Css(".service-card"))
        .await
        .expect("the overview after logging in");
}

/// Audits the current page (axe-core; nothing wider than the window) and saves its
/// screenshot; returns the findings.
async fn audit_page(b: &Client, axe: &str, label: &str) -> Vec<String> {
    shot(b, &format!("a11y-{label}.png")).await;
    let mut out: Vec<String> = audit::axe(b, axe)
        .await
        .into_iter()
        .map(|v| format!("{label}:\n{v}"))
        .collect();
    let wide = b
        .execute(
            "const w = document.documentElement.clientWidth;
             if (document.documentElement.scrollWidth <= w) return [];
             return [...document.querySelectorAll('body *')]
               .filter((e) => e.checkVisibility() && e.getBoundingClientRect().right > w + 1)
               .slice(0, 5)
               .map((e) => e.tagName.toLowerCase() + '.' + e.className + ' (' + e.textContent.trim().slice(0, 30) + ') ends at '
                 + Math.round(e.getBoundingClientRect().right) + ' of ' + w);",
            vec![],
        )
        .await
        .expect("page width");
    for e in wide.as_array().into_iter().flatten() {
        out.push(format!("{label}: wider than the window: {e}"));
    }
    // The colour scheme really changes the page, not only the media query.
    if audit::looks_dark(b).await != label.ends_with("-dark") {
        out.push(format!("{label}: drawn in the other colour scheme"));
    }
    out
}

/// The bytes of an RFC 4648 base32 key, as the two-factor page shows it.
fn base32_bytes(key: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in key.trim().bytes() {
        let v = ALPHABET.iter().position(|&a| a == c).expect("a base32 key") as u32;
        acc = (acc << 5 | v) & 0xFFFF;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}

/// Opens the two-factor page with an enrolment under way (started here if it is not).
async fn open_enrolment(b: &Client, base: &str) {
    open(b, &format!("{base}/accounts/two-factor/")).await;
    if let Ok(start) = b.find(Locator::Css("button[value='start']")).await {
        start.click().await.unwrap();
    }
}

/// Turns two-factor login on for the signed-in user (the secret read off the page, the code
/// computed here) and audits the recovery-code page that follows.
async fn enrol(b: &Client, base: &str, axe: &str) -> Vec<String> {
    open_enrolment(b, base).await;
    let key = b
        .wait()
        .for_element(Locator::Css("#totp-secret"))
        .await
        .expect("the enrolment key")
        .text()
        .await
        .unwrap();
    let step = dashboard::auth::totp::step_of(chrono::Utc::now().timestamp());
    let code = dashboard::auth::totp::code_at_step(&base32_bytes(&key), step);
    fill(b, "#tf-confirm", &code).await;
    click(b, "button[value='confirm']").await;
    b.wait()
        .for_element(Locator::Css("#recovery-codes"))
        .await
        .expect("two-factor login on, with recovery codes");
    audit_page(b, axe, "two-factor-recovery-codes-desktop-light").await
}

/// Every page type a signed-in admin sees, by name; `{s}` is the service.
fn signed_in_pages(base: &str, svc: uuid::Uuid, session: &str) -> Vec<(&'static str, String)> {
    let s = format!("{base}/dashboard/service/{svc}");
    vec![
        ("overview", format!("{base}/dashboard/")),
        ("service", format!("{s}/")),
        ("sessions", format!("{s}/sessions/")),
        ("session", format!("{base}{session}")),
        ("locations", format!("{s}/locations/")),
        // Paused: a page that reloads itself would move under the checks.
        ("live", format!("{s}/live/?pause=1")),
        ("manage", format!("{s}/manage/")),
        ("notifications", format!("{s}/notifications/")),
        ("service-delete", format!("{s}/delete/")),
        ("new-service", format!("{base}/dashboard/service/new/")),
        ("emails", format!("{base}/accounts/email/")),
        ("preferences", format!("{base}/accounts/preferences/")),
        ("security", format!("{base}/accounts/password/change/")),
        ("two-factor", format!("{base}/accounts/two-factor/")),
        ("account-delete", format!("{base}/accounts/delete/")),
        ("admin", format!("{base}/admin/")),
        // A message page (here: a verification link that is no good).
        (
            "message",
            format!("{base}/accounts/confirm-email/{}/", "0".repeat(64)),
        ),
    ]
}

/// Every colour scheme and width a page is checked in: (dark, width, height, name suffix).
const VIEWS: [(bool, u32, u32, &str); 4] = [
    (false, 1280, 900, "desktop-light"),
    (false, 390, 844, "phone-light"),
    (true, 1280, 900, "desktop-dark"),
    (true, 390, 844, "phone-dark"),
];

/// Switches the browser to a view of [`VIEWS`] and returns its name suffix.
async fn view(b: &Client, (dark, w, h, name): (bool, u32, u32, &'static str)) -> &'static str {
    audit::color_scheme(b, dark).await;
    b.set_window_size(w, h).await.unwrap();
    name
}

/// The app on a fresh database, an admin and a service with demo traffic.
async fn start() -> (BrowserApp, uuid::Uuid) {
    let app = BrowserApp::start().await;
    let c = app.pool.get().await.unwrap();
    let svc = admin_service(&c, "Example shop", "https://shop.example").await;
    drop(c);
    aggregator::demo::run(&app.pool, svc, DEMO_HITS, DEMO_DAYS, 18, 1800.0)
        .await
        .expect("demo traffic");
    (app, svc)
}

/// The service page's chart and map say in text what they draw.
async fn chart_alternatives(b: &Client, service_page: &str) -> Vec<String> {
    open(b, service_page).await;
    let alt = b
        .execute(
            "const q = (s) => document.querySelectorAll(s).length;
             return [q('svg.chart title'), q('svg.worldmap title'), q('svg.chart[aria-label]'),
                     q('svg.worldmap[role=img][aria-label]'), q('table.chart-data td')];",
            vec![],
        )
        .await
        .unwrap();
    let n = |i: usize| alt[i].as_u64().unwrap_or(0);
    [
        (n(0) > 0, "a <title> per chart point"),
        (n(1) > 0, "a <title> per country on the map"),
        (n(2) > 0 && n(3) > 0, "label on the chart and the map"),
        (n(4) > 0, "the chart's figures as a table"),
    ]
    .into_iter()
    .filter(|(ok, _)| !ok)
    .map(|(_, what)| format!("service page: no {what} ({alt})"))
    .collect()
}

/// Two-factor enrolment with its QR code (started if it is not), a new share link's page and
/// the public page it opens, in the current view.
async fn audit_flows(b: &Client, axe: &str, base: &str, svc: uuid::Uuid, v: &str) -> Vec<String> {
    let mut out = Vec::new();
    open_enrolment(b, base).await;
    b.wait()
        .for_element(Locator::Css(".qr svg"))
        .await
        .expect("the enrolment QR code");
    out.extend(audit_page(b, axe, &format!("two-factor-setup-{v}")).await);
    open(b, &format!("{base}/dashboard/service/{svc}/manage/")).await;
    b.find(Locator::Css("#shares button[value=create]"))
        .await
        .expect("the share form")
        .click()
        .await
        .unwrap();
    let link = b
        .wait()
        .for_element(Locator::Css("#share-url"))
        .await
        .expect("the new share link")
        .prop("value")
        .await
        .unwrap()
        .expect("its URL");
    out.extend(audit_page(b, axe, &format!("share-created-{v}")).await);
    open(b, &link).await;
    out.extend(audit_page(b, axe, &format!("share-{v}")).await);
    out
}

/// With two-factor login on, the code step after the password, in every view.
async fn audit_login_code(b: &Client, axe: &str, base: &str, password: &str) -> Vec<String> {
    let mut out = Vec::new();
    for v in VIEWS {
        let v = view(b, v).await;
        b.delete_all_cookies().await.unwrap();
        open(b, &format!("{base}/accounts/login/")).await;
        submit_login(b, EMAIL, password).await;
        b.wait()
            .for_element(Locator::Css("#code"))
            .await
            .expect("the code step");
        out.extend(audit_page(b, axe, &format!("login-code-{v}")).await);
    }
    out
}

#[tokio::test]
async fn every_page_passes_axe_in_both_schemes_and_widths() {
    let axe = audit::axe_source();
    let (app, svc) = start().await;
    let (base, password) = (app.base.clone(), app.password.clone());
    let driver = e2e_tests::chromedriver();
    let b = e2e_tests::browser(&driver).await;
    let mut findings = Vec::new();

    // Anonymous pages first.
    let anonymous = [
        ("login", format!("{base}/accounts/login/")),
        ("password-reset", format!("{base}/accounts/password/reset/")),
    ];
    for v in VIEWS {
        let v = view(&b, v).await;
        for (name, url) in &anonymous {
            open(&b, url).await;
            findings.extend(audit_page(&b, &axe, &format!("{name}-{v}")).await);
        }
    }

    view(&b, VIEWS[0]).await;
    log_in(&b, &base, &password).await;
    open(&b, &format!("{base}/dashboard/service/{svc}/sessions/")).await;
    let session = b
        .find(Locator::Css("main table td a[href*='/sessions/']"))
        .await
        .expect("a session in the list")
        .attr("href")
        .await
        .unwrap()
        .expect("its link");
    let pages = signed_in_pages(&base, svc, &session);
    findings.extend(chart_alternatives(&b, &pages[1].1).await);

    for v in VIEWS {
        let v = view(&b, v).await;
        for (name, url) in &pages {
            open(&b, url).await;
            findings.extend(audit_page(&b, &axe, &format!("{name}-{v}")).await);
        }
        findings.extend(audit_flows(&b, &axe, &base, svc, v).await);
    }

    // Keyboard only: every visible control is a Tab stop with a visible focus ring, in every
    // view (on a phone the navigation's "Menu" toggle is one of them).
    for v in VIEWS {
        let v = view(&b, v).await;
        for (name, url) in &pages {
            open(&b, url).await;
            for p in audit::keyboard_walk(&b).await {
                findings.push(format!("{name}-{v} (keyboard): {p}"));
            }
        }
    }

    // Two-factor login on: its recovery codes, then the code step of each later login.
    view(&b, VIEWS[0]).await;
    findings.extend(enrol(&b, &base, &axe).await);
    findings.extend(audit_login_code(&b, &axe, &base, &password).await);

    assert!(
        findings.is_empty(),
        "{} accessibility findings:\n{}",
        findings.len(),
        findings.join("\n")
    );
    b.close().await.unwrap();
    app.shutdown().await;
}
