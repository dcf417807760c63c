//! Plausible's Stats API v1, the parts answered since `compare` and visitors per breakdown row
//! came in: `aggregate?compare=previous_period` answers `{"value": …, "change": …}` per metric
//! (percent change, percentage points for the bounce rate), and breakdowns report `visitors`
//! per row as distinct visitor keys per UTC day, counted once per reported row even where
//! several stored keys (URLs differing in their query) make one Plausible path. Every expected
//! figure is worked out by hand from the fixture below.

mod common;
mod dashboard_support;

use chrono::{DateTime, Duration, Utc};
use dashboard_support::{Dash, Who};
use serde_json::Value;
use std::collections::BTreeMap;
use uuid::Uuid;

fn t(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

/// A session of `visitor` starting at `start`, lasting `secs`, with one page view per URL
/// (a bounce when there is one) and the given custom events.
#[allow(clippy::too_many_arguments)]
async fn session(
    d: &Dash,
    svc: Uuid,
    visitor: &[u8],
    start: &str,
    secs: i64,
    country: &str,
    urls: &[&str],
    events: &[&str],
) {
    let c = d.pool.get().await.unwrap();
    let id = Uuid::new_v4();
    let s = t(start);
    c.execute(
        "INSERT INTO sessions (id, service_id, start_time, last_seen, country, hit_count,
                               is_bounce, visitor)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        &[
            &id,
            &svc,
            &s,
            &(s + Duration::seconds(secs)),
            &country,
            &(urls.len() as i32),
            &(urls.len() == 1),
            &visitor,
        ],
    )
    .await
    .unwrap();
    for (i, u) in urls.iter().enumerate() {
        let at = s + Duration::seconds(i as i64);
        c.execute(
            "INSERT INTO hits (session_id, service_id, initial, start_time, last_seen, tracker,
                               location, referrer)
             VALUES ($1, $2, $3, $4, $4, 'JS', $5, '')",
            &[&id, &svc, &(i == 0), &at, u],
        )
        .await
        .unwrap();
    }
    for name in events {
        c.execute(
            "INSERT INTO events (service_id, session_id, session_start, start_time, name)
             VALUES ($1, $2, $3, $3, $4)",
            &[&svc, &id, &s, name],
        )
        .await
        .unwrap();
    }
}

/// The fixture. Current window 2024-03-10..16 (UTC):
/// - visitor A on the 10th: two bounces, on `/a` and `/a?x=1` (both the path `/a`), DE, with a
///   `signup` event in the first;
/// - visitor B on the 10th: a bounce on `/b`, DE;
/// - visitor A on the 11th (a new day, so a new daily visitor): a bounce on `/a`, FR, `signup`.
///
/// Visitors 3 (10th: A, B; 11th: A), visits 4, page views 4, bounce rate 100 %, duration 0.
/// Previous window 2024-03-03..09: visitor C on the 4th, one 60 s session `/a` → `/b` and one
/// bounce on `/a`, DE: visitors 1, visits 2, page views 3, bounce rate 50 %, duration 30 s.
async fn fixture() -> (Dash, Who, Uuid) {
    let d = dashboard_support::spawn(Default::default()).await;
    let owner = d.user("owner@example.com", false).await;
    let (svc, _) = d.service(&owner, None, "Compared").await;
    // The months' own partitions first: rows in the default partition are moved out by the
    // maintenance pass, which a concurrent insert into it would collide with.
    let conn = d.pool.get().await.unwrap();
    conn.execute(
        "SELECT shynet_ensure_partitions($1, 1)",
        &[&t("2024-03-01T00:00:00Z")],
    )
    .await
    .unwrap();
    drop(conn);
    let a = b"visitor-a".as_slice();
    let (b, c) = (b"visitor-b".as_slice(), b"visitor-c".as_slice());
    let ex = |p: &str| format!("https://example.com{p}");
    let (pa, pax, pb) = (ex("/a"), ex("/a?x=1"), ex("/b"));
    let dm = &d;
    session(
        dm,
        svc,
        a,
        "2024-03-10T10:00:00Z",
        0,
        "DE",
        &[&pa],
        &["signup"],
    )
    .await;
    session(dm, svc, a, "2024-03-10T12:00:00Z", 0, "DE", &[&pax], &[]).await;
    session(dm, svc, b, "2024-03-10T13:00:00Z", 0, "DE", &[&pb], &[]).await;
    session(
        dm,
        svc,
        a,
        "2024-03-11T09:00:00Z",
        0,
        "FR",
        &[&pa],
        &["signup"],
    )
    .await;
    session(
        dm,
        svc,
        c,
        "2024-03-04T08:00:00Z",
        60,
        "DE",
        &[&pa, &pb],
        &[],
    )
    .await;
    session(dm, svc, c, "2024-03-04T18:00:00Z", 0, "DE", &[&pa], &[]).await;
    // Rows written outside the writer: the rollup job re-reads these hours.
    let conn = d.pool.get().await.unwrap();
    stats::rollup::rewind(&**conn, t("2024-03-01T00:00:00Z"))
        .await
        .unwrap();
    (d, owner, svc)
}

const RANGE: &str = "period=custom&date=2024-03-10,2024-03-16";

#[tokio::test]
async fn aggregate_compares_with_the_period_just_before() {
    let (d, owner, svc) = fixture().await;
    let q = format!(
        "site_id={svc}&{RANGE}&metrics=visitors,visits,pageviews,bounce_rate,visit_duration,views_per_visit&compare=previous_period"
    );
    let (status, v) = d.plausible(&owner.api, "aggregate", &q).await;
    assert_eq!(status, 200, "{v}");
    let r = &v["results"];
    let pair = |m: &str| (r[m]["value"].as_f64().unwrap(), r[m]["change"].clone());
    assert_eq!(pair("visitors"), (3.0, serde_json::json!(200.0)));
    assert_eq!(pair("visits"), (4.0, serde_json::json!(100.0)));
    // 3 → 4 page views: +33 %.
    assert_eq!(pair("pageviews"), (4.0, serde_json::json!(33.0)));
    // 50 % → 100 %: +50 percentage points, not +100 %.
    assert_eq!(pair("bounce_rate"), (100.0, serde_json::json!(50.0)));
    assert_eq!(pair("visit_duration"), (0.0, serde_json::json!(-100.0)));
    // 1.5 → 1 page view per visit: −33 %.
    assert_eq!(pair("views_per_visit"), (1.0, serde_json::json!(-33.0)));

    // Without compare: values only, as before.
    let (_, plain) = d
        .plausible(
            &owner.api,
            "aggregate",
            &format!("site_id={svc}&{RANGE}&metrics=visitors"),
        )
        .await;
    assert_eq!(
        plain["results"]["visitors"],
        serde_json::json!({"value": 3})
    );

    // From nothing: +100 %; nothing to nothing: 0; a bounce rate from none: null.
    let (_, empty) = d.plausible(
        &owner.api,
        "aggregate",
        &format!(
            "site_id={svc}&period=custom&date=2024-03-03,2024-03-09&metrics=visits,bounce_rate&compare=previous_period"
        ),
    )
    .await;
    assert_eq!(empty["results"]["visits"]["change"], 100.0);
    assert!(
        empty["results"]["bounce_rate"]["change"].is_null(),
        "{empty}"
    );
}

fn rows(v: &Value, key: &str, metric: &str) -> BTreeMap<String, i64> {
    v["results"]
        .as_array()
        .unwrap_or_else(|| panic!("{v}"))
        .iter()
        .map(|r| {
            (
                r[key].as_str().unwrap().to_owned(),
                r[metric].as_i64().unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn breakdowns_report_daily_visitors_per_row() {
    let (d, owner, svc) = fixture().await;
    let get = |prop: &str, extra: &str| format!("site_id={svc}&{RANGE}&property={prop}{extra}");
    let (status, v) = d
        .plausible(
            &owner.api,
            "breakdown",
            &get("event:page", "&metrics=visitors,pageviews"),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    // `/a` merges `/a` and `/a?x=1`: A on the 10th (twice) and on the 11th = 2, not 3.
    assert_eq!(
        rows(&v, "page", "visitors"),
        BTreeMap::from([("/a".into(), 2), ("/b".into(), 1)])
    );
    assert_eq!(
        rows(&v, "page", "pageviews"),
        BTreeMap::from([("/a".into(), 3), ("/b".into(), 1)])
    );
    // Sorted by the first metric asked for.
    assert_eq!(v["results"][0]["page"], "/a");

    // Visitors are the default metric, as in Plausible.
    let (_, v) = d
        .plausible(&owner.api, "breakdown", &get("visit:country", ""))
        .await;
    assert_eq!(
        rows(&v, "country", "visitors"),
        BTreeMap::from([("DE".into(), 2), ("FR".into(), 1)])
    );
    assert!(v["results"][0].get("visits").is_none(), "{v}");
    let (_, v) = d
        .plausible(
            &owner.api,
            "breakdown",
            &get("visit:source", "&metrics=visitors,visits"),
        )
        .await;
    assert_eq!(
        rows(&v, "source", "visitors"),
        BTreeMap::from([("Direct / None".into(), 3)])
    );
    assert_eq!(
        rows(&v, "source", "visits"),
        BTreeMap::from([("Direct / None".into(), 4)])
    );
    let (_, v) = d
        .plausible(
            &owner.api,
            "breakdown",
            &get("visit:entry_page", "&metrics=visitors"),
        )
        .await;
    assert_eq!(
        rows(&v, "entry_page", "visitors"),
        BTreeMap::from([("/a".into(), 2), ("/b".into(), 1)])
    );
    let (_, v) = d
        .plausible(
            &owner.api,
            "breakdown",
            &get("event:name", "&metrics=visitors,events"),
        )
        .await;
    assert_eq!(
        rows(&v, "name", "visitors"),
        BTreeMap::from([("signup".into(), 2)])
    );
    assert_eq!(
        rows(&v, "name", "events"),
        BTreeMap::from([("signup".into(), 2)])
    );

    // What is still not answered gets Plausible's error shape with the reason.
    for (endpoint, query, needle) in [
        (
            "breakdown",
            get("event:goal", "&metrics=visitors"),
            "visitors",
        ),
        (
            "breakdown",
            get("event:page", "&compare=previous_period"),
            "aggregate only",
        ),
        (
            "timeseries",
            format!("site_id={svc}&{RANGE}&compare=previous_period"),
            "aggregate only",
        ),
        (
            "aggregate",
            format!("site_id={svc}&{RANGE}&compare=year_over_year"),
            "previous_period",
        ),
    ] {
        let (status, body) = d.plausible(&owner.api, endpoint, &query).await;
        assert_eq!(status, 400, "{endpoint}?{query}: {body}");
        assert!(
            body["error"].as_str().unwrap().contains(needle),
            "{endpoint}?{query}: {body}"
        );
    }
}
