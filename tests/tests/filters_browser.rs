//! Filters in a real headless Chromium against the real `shynet serve`: the admin clicks a
//! country row, then a browser row; the page shows both chips and the figures that
//! `shynet stats --filter country=DE --filter browser=Firefox` prints; removing the country chip
//! leaves the browser filter, again with the figures of `shynet stats --filter browser=Firefox`.
//! Screenshots go under `artifacts/screenshots/`.

mod support;

use e2e_tests::seed::{admin_service, visits_yesterday, Visits, ADMIN_EMAIL};
use e2e_tests::shot;
use e2e_tests::sign_in::{click, signed_in_browser};
use fantoccini::{Client, Locator};
use std::time::Duration;
use support::*;

/// The data-filter values of the chips shown, once they are exactly `want`.
async fn chips_become(b: &Client, want: &[&str]) {
    let got = e2e_tests::eventually(Duration::from_secs(15), || async {
        let els = b.find_all(Locator::Css(".chip.filter")).await.ok()?;
        let mut v = Vec::new();
        for e in els {
            v.push(e.attr("data-filter").await.ok()??);
        }
        (v == want).then_some(v)
    })
    .await;
    assert!(got.is_some(), "the chips never became {want:?}");
}

/// `shynet stats` with these filters, as the real binary prints it.
fn shynet_stats(url: &str, svc: uuid::Uuid, filters: &[&str]) -> serde_json::Value {
    let svc = svc.to_string();
    let mut args = vec!["stats", "--json", "--service", &svc];
    for f in filters {
        args.extend(["--filter", f]);
    }
    serde_json::from_str(&CLI.ok(url, &args)).expect("JSON")
}

/// The strip's figure `label` as shown (`Sessions` → `30`).
async fn figure(b: &Client, label: &str) -> String {
    let strip = b
        .find(Locator::Css(".strip"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let lines: Vec<&str> = strip.lines().map(str::trim).collect();
    let i = lines
        .iter()
        .position(|l| l.eq_ignore_ascii_case(label))
        .unwrap_or_else(|| panic!("no {label} in {strip}"));
    lines[i + 1].to_owned()
}

/// The page's sessions and hits equal those of `shynet stats` with `filters`.
async fn figures_match(b: &Client, url: &str, svc: uuid::Uuid, filters: &[&str]) {
    let cli = shynet_stats(url, svc, filters);
    for (label, key) in [("Sessions", "session_count"), ("Hits", "hit_count")] {
        let want = dashboard::format::int(cli["stats"][key].as_i64().unwrap());
        assert_eq!(figure(b, label).await, want, "{label} with {filters:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn click_rows_to_filter_then_remove_a_chip() {
    let pg = Pg::start("chrome");
    let url = pg.database("filters").await;
    let pool = aggregator::db::make_pool(url.parse().unwrap(), 2).unwrap();
    let password = aggregator::cli::createadmin(&pool, ADMIN_EMAIL)
        .await
        .unwrap();
    let c = db(&url).await;
    let svc = admin_service(&c, "Filtered", "").await;
    // Yesterday: 30 German Firefox sessions, 20 German Chrome, 10 American Firefox; two pages
    // each.
    for (country, browser, sessions) in [
        ("DE", "Firefox", 30),
        ("DE", "Chrome", 20),
        ("US", "Firefox", 10),
    ] {
        let pages = &["https://example.com/p1", "https://example.com/p2"];
        let visits = Visits {
            country,
            browser,
            sessions,
            pages,
        };
        visits_yesterday(&c, svc, visits).await;
    }
    let app = Shynet::serve(&url, &[]);

    let driver = e2e_tests::chromedriver();
    let b = signed_in_browser(&driver, &app.base, &password).await;
    b.goto(&format!("{}/dashboard/service/{svc}/", app.base))
        .await
        .unwrap();
    b.wait().for_element(Locator::Css(".strip")).await.unwrap();
    figures_match(&b, &url, svc, &[]).await;

    // A country row, then a browser row.
    click(&b, "a[title='Filter by Germany']").await;
    chips_become(&b, &["country:DE"]).await;
    click(&b, "a[title='Filter by Firefox']").await;
    chips_become(&b, &["country:DE", "browser:Firefox"]).await;
    let both = ["country=DE", "browser=Firefox"];
    figures_match(&b, &url, svc, &both).await;
    assert_eq!(figure(&b, "Sessions").await, "30");
    let here = b.current_url().await.unwrap();
    assert_eq!(here.query(), Some("f=country%3ADE&f=browser%3AFirefox"));
    shot(&b, "filters-two-chips.png").await;

    // The view is a bookmark: opened afresh it shows the same.
    b.goto(here.as_str()).await.unwrap();
    chips_become(&b, &["country:DE", "browser:Firefox"]).await;

    // Remove the country chip: the browser filter stays.
    click(&b, ".chip.filter[data-filter='country:DE'] a.remove").await;
    chips_become(&b, &["browser:Firefox"]).await;
    figures_match(&b, &url, svc, &["browser=Firefox"]).await;
    assert_eq!(figure(&b, "Sessions").await, "40");
    shot(&b, "filters-one-chip.png").await;

    b.close().await.unwrap();
    drop(app);
}
