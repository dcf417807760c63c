//! Per-service time zones: the manage page sets and validates a service's zone, and a service in
//! Asia/Kolkata (UTC+5:30, so its day starts half-way through a UTC hour) gets the same totals
//! from the service page, the JSON API and `shynet stats` as raw SQL over its local day, with the
//! rollups answering the whole hours and raw rows the half hours. Also: a comparison with a
//! previous period that had nothing reads "new".

mod common;
mod dashboard_support;

use chrono::{Duration, NaiveDate, Utc};
use dashboard_support::*;
use deadpool_postgres::Pool;
use serde_json::Value;
use uuid::Uuid;

const ZONE: &str = "Asia/Kolkata";

/// Sessions (each with two hits a minute apart) at these offsets, in minutes, from UTC midnight
/// of day `d`: around both ends of `d` in Kolkata (18:30 UTC the evening before, and 18:30 UTC
/// on `d`), inside the UTC hours that the boundary splits, and in between.
const STARTS_MIN: [i64; 12] = [
    -350, // 18:10 the day before: 23:40 in Kolkata, the day before
    -332, // 18:28 (its second hit 18:29): still the day before there
    -329, // 18:31: 00:01 on `d` in Kolkata, same UTC hour as the two above
    -315, -200, 360, 720, 1_000, 1_095, // 18:15 on `d`: 23:45 in Kolkata
    1_108, // 18:28 (its second hit 18:29): the last minute of `d` there
    1_111, // 18:31: the next day in Kolkata
    1_140,
];

async fn insert_traffic(pool: &Pool, svc: Uuid, d: NaiveDate) {
    let c = pool.get().await.unwrap();
    let midnight = d.and_hms_opt(0, 0, 0).unwrap().and_utc();
    for m in STARTS_MIN {
        let t = midnight + Duration::minutes(m);
        let sid = Uuid::new_v4();
        c.execute(
            "INSERT INTO sessions (id, service_id, start_time, last_seen, browser, os,
                                   device_type, country, hit_count, is_bounce)
             VALUES ($1, $2, $3, $3::timestamptz + interval '2 minutes', 'Firefox', 'Linux', 'DESKTOP', 'IN',
                     2, false)",
            &[&sid, &svc, &t],
        )
        .await
        .unwrap();
        c.execute(
            "INSERT INTO hits (session_id, service_id, initial, start_time, last_seen, tracker,
                               location, referrer, load_time)
             VALUES ($1, $2, true, $3, $3::timestamptz + interval '1 minute', 'JS', 'https://example.in/', '', 90),
                    ($1, $2, false, $3::timestamptz + interval '1 minute', $3::timestamptz + interval '2 minutes', 'JS',
                     'https://example.in/b', '', 110)",
            &[&sid, &svc, &t],
        )
        .await
        .unwrap();
    }
    // Written outside the writer: let the rollup job re-read these hours.
    stats::rollup::rewind(&**c, midnight - Duration::days(2))
        .await
        .unwrap();
}

/// Rolls up every closed hour (the app's own maintenance pass may hold the watermark a moment).
async fn roll_up(pool: &Pool) {
    let mut c = pool.get().await.unwrap();
    loop {
        let p = stats::rollup::catch_up(&mut c, 1800.0, 24 * 30, |_| {})
            .await
            .unwrap();
        if !p.busy && !p.behind {
            assert!(p.watermark.is_some());
            return;
        }
        tokio::task::yield_now().await;
    }
}

/// (sessions, hits) of `svc` in local day `d` of `zone`, straight from the raw tables with
/// Shynet's strict bounds.
async fn raw_day(pool: &Pool, svc: Uuid, d: NaiveDate, zone: &str) -> (i64, i64) {
    let c = pool.get().await.unwrap();
    let lo = format!("{d} 00:00:00");
    let hi = format!("{d} 23:59:59.999999");
    let q = |table: &str| {
        format!(
            "SELECT count(*) FROM {table} WHERE service_id = $1
               AND start_time > ($2::text::timestamp AT TIME ZONE $4)
               AND start_time < ($3::text::timestamp AT TIME ZONE $4)"
        )
    };
    let mut out = [0i64; 2];
    for (i, table) in ["sessions", "hits"].iter().enumerate() {
        out[i] = c
            .query_one(&q(table), &[&svc, &lo, &hi, &zone])
            .await
            .unwrap()
            .get(0);
    }
    (out[0], out[1])
}

/// The text of the first `<div class="{class}">` after `label` in the service page's strip.
fn strip_part(html: &str, label: &str, class: &str) -> String {
    let at = html
        .find(&format!("<div class=\"label\">{label}"))
        .unwrap_or_else(|| panic!("no `{label}` in the strip"));
    let v = &html[at..];
    let open = format!("<div class=\"{class}");
    let i = v.find(&open).unwrap();
    let i = i + v[i..].find('>').unwrap() + 1;
    v[i..].split('<').next().unwrap().to_owned()
}

/// The figure under `label` in the service page's stats strip.
fn strip_value(html: &str, label: &str) -> String {
    strip_part(html, label, "value")
}

#[tokio::test]
async fn comparison_with_an_empty_previous_period_reads_new() {
    // One session an hour ago, nothing in the 30 days before the default window.
    let (d, owner, svc, _) = owner_with_service("Fresh").await;
    let html = d
        .get(&owner, &format!("/dashboard/service/{svc}/"))
        .await
        .text()
        .await
        .unwrap();
    for label in ["Sessions", "Hits", "Load time", "Duration"] {
        assert_eq!(strip_part(&html, label, "badge"), "new", "{label}");
    }
    // (Other text on the page, such as ids or share bars, may hold "100%" or "999": look for the
    // badges' own forms.)
    assert!(
        !html.contains("↑ 100%") && !html.contains("> 999%") && !html.contains("&gt; 999%"),
        "no made-up change"
    );
}

#[tokio::test]
async fn manage_page_sets_and_validates_the_time_zone() {
    let (d, owner, svc, _) = owner_with_service("Zoned").await;
    let path = format!("/dashboard/service/{svc}/manage/");
    let page = d.get(&owner, &path).await.text().await.unwrap();
    assert!(page.contains("name=\"time_zone\""), "the field is shown");
    let zone_of = || async {
        let c = d.pool.get().await.unwrap();
        c.query_one("SELECT time_zone FROM services WHERE id = $1", &[&svc])
            .await
            .unwrap()
            .get::<_, Option<String>>(0)
    };

    let r = d
        .post(
            &owner,
            &path,
            &[("name", "Zoned"), ("time_zone", "Mars/Olympus_Mons")],
            true,
        )
        .await;
    assert_eq!(r.status(), 400);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("Unknown time zone") && body.contains("Mars/Olympus_Mons"),
        "the reason is shown: {body}"
    );
    assert_eq!(zone_of().await, None, "nothing changed");

    let r = d
        .post(
            &owner,
            &path,
            &[("name", "Zoned"), ("time_zone", ZONE)],
            true,
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(zone_of().await.as_deref(), Some(ZONE));
    let page = d.get(&owner, &path).await.text().await.unwrap();
    assert!(
        page.contains(&format!("value=\"{ZONE}\"")),
        "the saved zone is shown"
    );

    // A collaborator may look but not change the zone.
    let collab = d.user("collab@example.com", false).await;
    d.pool
        .get()
        .await
        .unwrap()
        .execute(
            "INSERT INTO collaborators (service_id, user_id) VALUES ($1, $2)",
            &[&svc, &collab.id],
        )
        .await
        .unwrap();
    let r = d
        .post(
            &collab,
            &path,
            &[("name", "Zoned"), ("time_zone", "UTC")],
            true,
        )
        .await;
    assert_eq!(r.status(), 403);
    assert_eq!(zone_of().await.as_deref(), Some(ZONE));

    // Emptying the field goes back to the instance's zone.
    let r = d
        .post(&owner, &path, &[("name", "Zoned"), ("time_zone", "")], true)
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(zone_of().await, None);
}

#[tokio::test]
async fn kolkata_service_matches_raw_sql_over_its_local_day() {
    // The instance runs in UTC; the service is in Kolkata.
    let (d, owner, svc, _) = owner_with_service("Kolkata shop").await;
    d.pool
        .get()
        .await
        .unwrap()
        .execute(
            "UPDATE services SET time_zone = $2 WHERE id = $1",
            &[&svc, &ZONE],
        )
        .await
        .unwrap();
    let day = Utc::now().date_naive() - Duration::days(5);
    insert_traffic(&d.pool, svc, day).await;
    roll_up(&d.pool).await;

    let (sessions, hits) = raw_day(&d.pool, svc, day, ZONE).await;
    assert_eq!(
        (sessions, hits),
        (8, 16),
        "the fixture straddles the boundaries"
    );
    // The UTC day differs: a figure computed in the wrong zone would not match.
    assert_ne!(raw_day(&d.pool, svc, day, "UTC").await.0, sessions);

    let q = format!("startDate={day}&endDate={day}");
    // JSON API.
    let token = d.new_api_token(&owner).await;
    let r = d
        .api(Some(&format!("Token {token}")), &format!("?uuid={svc}&{q}"))
        .await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    let s = &v["services"][0];
    assert_eq!(s["time_zone"], ZONE);
    assert_eq!(s["stats"]["session_count"], sessions, "{v}");
    assert_eq!(s["stats"]["hit_count"], hits, "{v}");
    // A day in Kolkata has 24 hourly chart points, each starting at half past a UTC hour.
    assert_eq!(
        s["stats"]["chart_data"]["sessions"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_i64).sum::<i64>()),
        Some(sessions)
    );

    // Service page.
    let html = d
        .get(&owner, &format!("/dashboard/service/{svc}/?{q}"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(strip_value(&html, "Sessions"), sessions.to_string());
    assert_eq!(strip_value(&html, "Hits"), hits.to_string());
    assert!(html.contains(ZONE), "the page names the zone");

    // `shynet stats` (the function behind it), with the instance's zone passed as UTC.
    let v = aggregator::cli::stats(
        &d.pool,
        svc,
        Some(&day.to_string()),
        Some(&day.to_string()),
        chrono_tz::UTC,
        5000,
    )
    .await
    .unwrap();
    assert_eq!(v["window"]["time_zone"], ZONE);
    assert_eq!(v["stats"]["session_count"], sessions, "{v}");
    assert_eq!(v["stats"]["hit_count"], hits, "{v}");
}
