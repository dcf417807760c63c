//! Segment rollups against the raw reader: random sessions (some live across hours and days)
//! over the last week up to now, rolled up; for random windows in several zones (dashboard days
//! and arbitrary instants, the open day included) and every pre-counted field, the figures read
//! from segment rollups must equal those the raw reader counts. Then the paths an install
//! takes: a day filled in by the backfill after an upgrade, a dirty hour re-rolled, and proof
//! that the rollups are what answers (a day's raw rows removed, its figures stay).

mod common;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use common::traffic::pick;
use deadpool_postgres::Pool;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use stats::filters::{Filters, Syntax};
use stats::window::{self, Window};
use stats::{dimensions, filtered, rollup, top, Source};
use uuid::Uuid;

const ZONES: [&str; 4] = ["UTC", "America/New_York", "Asia/Kolkata", "Asia/Tokyo"];
/// Filter sets (`&` between filters): one field, or a pair of fields in either order.
const SEGMENTS: [&str; 9] = [
    "country:DE",
    "country:US",
    "browser:Firefox",
    "os:iOS",
    "device_type:PHONE",
    "channel:Direct",
    "country:DE&browser:Firefox",
    "device_type:PHONE&os:iOS",
    "channel:Direct&country:US",
];

/// `n` sessions starting in [now - 7 days, now - 1 minute), most up to 3 hours long, one in
/// ten up to 30 hours, none seen after `now`.
async fn random_data(pool: &Pool, rng: &mut StdRng, svc: Uuid, now: DateTime<Utc>, n: usize) {
    let shape = common::traffic::Shape {
        from: now - Duration::days(7),
        to: now - Duration::minutes(1),
        len: Duration::hours(3),
        long_share: 0.1,
        long_len: Duration::hours(30),
        cap: Some(now),
        events: &["signup", "play", "buy"],
    };
    shape.insert(&pool.get().await.unwrap(), rng, svc, n).await;
}

async fn catch_up(pool: &Pool) -> rollup::Pass {
    let mut c = pool.get().await.unwrap();
    rollup::catch_up(&mut c, 1800.0, 24 * 3, |_| {})
        .await
        .unwrap()
}

fn random_window(rng: &mut StdRng, now: DateTime<Utc>) -> (Window, Tz) {
    let tz: Tz = ZONES[rng.random_range(0..ZONES.len())].parse().unwrap();
    let w = if rng.random_bool(0.6) {
        let d1 = (now - Duration::hours(rng.random_range(0..72)))
            .with_timezone(&tz)
            .date_naive();
        let d0 = d1 - Duration::days(rng.random_range(0..7));
        window::from_dates(Some(&d0.to_string()), Some(&d1.to_string()), tz, now).unwrap()
    } else {
        let a = now - Duration::minutes(rng.random_range(1..8 * 24 * 60));
        Window {
            start: a,
            end: (a + Duration::minutes(rng.random_range(1..5 * 24 * 60))).min(now),
        }
    };
    (w, tz)
}

/// Every figure of `filter` over `w`: from the segment rollups and from raw rows.
async fn assert_same(pool: &Pool, svc: Uuid, w: &Window, tz: Tz, filter: &str) {
    let c = pool.get().await.unwrap();
    let f = Filters::parse(filter.split('&'), Syntax::Url).unwrap();
    let what = format!("{filter} over {w:?} in {tz}");
    let now = Utc::now();
    let got = filtered::sums_with(&**c, svc, w, &f, Source::Auto)
        .await
        .unwrap();
    let mut want = filtered::sums_with(&**c, svc, w, &f, Source::Raw)
        .await
        .unwrap();
    // Load times are floats added in another order.
    assert!(
        (got.load_time_sum - want.load_time_sum).abs() < 1e-6,
        "{what}: load"
    );
    want.load_time_sum = got.load_time_sum;
    assert_eq!(got, want, "{what}: sums");
    let got = filtered::visitors_with(&**c, svc, w, &f, Source::Auto);
    let want = filtered::visitors_with(&**c, svc, w, &f, Source::Raw);
    assert_eq!(got.await.unwrap(), want.await.unwrap(), "{what}: visitors");
    let wants: Vec<top::Want> = dimensions::ALL
        .iter()
        .map(|d| top::Want {
            dim: d.code,
            offset: 0,
            limit: 1000,
        })
        .collect();
    let got = filtered::ranked_with(&**c, svc, w, &f, &wants, Source::Auto);
    let want = filtered::ranked_with(&**c, svc, w, &f, &wants, Source::Raw);
    assert_eq!(got.await.unwrap(), want.await.unwrap(), "{what}: tables");
    let got = stats::filtered_events::events_with(&**c, svc, w, &f, Source::Auto);
    let want = stats::filtered_events::events_with(&**c, svc, w, &f, Source::Raw);
    assert_eq!(got.await.unwrap(), want.await.unwrap(), "{what}: events");
    let got = filtered::chart_with(&**c, svc, w, tz, now, &f, Source::Auto);
    let want = filtered::chart_with(&**c, svc, w, tz, now, &f, Source::Raw);
    assert_eq!(got.await.unwrap(), want.await.unwrap(), "{what}: chart");
}

async fn segments_from(pool: &Pool) -> Option<NaiveDate> {
    let c = pool.get().await.unwrap();
    c.query_one("SELECT segments_from FROM rollup_state", &[])
        .await
        .unwrap()
        .get(0)
}

async fn count(pool: &Pool, sql: &str) -> i64 {
    let c = pool.get().await.unwrap();
    c.query_one(sql, &[]).await.unwrap().get(0)
}

#[tokio::test]
async fn segment_rollups_equal_the_raw_reader() {
    let (pool, _) = common::fresh_db().await;
    let svc = {
        let c = pool.get().await.unwrap();
        common::owned_service(&c, "seg@example.com", "Seg").await
    };
    let now = Utc::now();
    let mut rng = StdRng::seed_from_u64(0x5e9_0e27);
    random_data(&pool, &mut rng, svc, now, 500).await;
    let pass = catch_up(&pool).await;
    let wm = pass.watermark.unwrap();
    let oldest: NaiveDate = {
        let c = pool.get().await.unwrap();
        c.query_one(
            "SELECT (min(start_time) AT TIME ZONE 'UTC')::date FROM sessions",
            &[],
        )
        .await
        .unwrap()
        .get(0)
    };
    assert_eq!(segments_from(&pool).await, Some(oldest));
    assert!(count(&pool, "SELECT count(*) FROM rollup_segment_dims_daily").await > 0);
    // Pairs too (country and browser: 205), so their reads below compare rollups with raw.
    let pairs = "SELECT count(*) FROM rollup_segment_dims_daily WHERE fdim = 205";
    assert!(count(&pool, pairs).await > 0);
    // Hourly table rows exist only for the day the watermark is in.
    let stale = format!(
        "SELECT count(*) FROM rollup_segment_dims_hourly WHERE hour < '{}'",
        wm.date_naive()
    );
    assert_eq!(count(&pool, &stale).await, 0);
    // Places and networks are kept per complete day only.
    let places = "SELECT count(*) FROM rollup_segment_dims_hourly WHERE dim IN (3, 16, 17)";
    assert_eq!(count(&pool, places).await, 0);
    let cities = "SELECT count(*) FROM rollup_segment_dims_daily
                  WHERE fdim = 205 AND dim = 17 AND key LIKE 'DE /%Munich'";
    assert!(count(&pool, cities).await > 0);

    for _ in 0..40 {
        let (w, tz) = random_window(&mut rng, now);
        let filter = pick(&mut rng, &SEGMENTS);
        assert_same(&pool, svc, &w, tz, filter).await;
    }
    // A New York month ending today: head hours subtracted, today's rolled hours hourly.
    let ny: Tz = "America/New_York".parse().unwrap();
    let today = now.with_timezone(&ny).date_naive();
    let d0 = (today - Duration::days(6)).to_string();
    let month = window::from_dates(Some(&d0), Some(&today.to_string()), ny, now).unwrap();
    for filter in SEGMENTS {
        assert_same(&pool, svc, &month, ny, filter).await;
    }

    // An upgraded install: no segment rows yet, coverage from the day after the watermark's.
    {
        let c = pool.get().await.unwrap();
        c.batch_execute(&format!(
            "DELETE FROM rollup_segment_hours; DELETE FROM rollup_segment_dims_daily;
             DELETE FROM rollup_segment_dims_hourly; DELETE FROM rollup_segment_events_hourly;
             UPDATE rollup_state SET segments_from = '{}'::date + 1",
            wm.date_naive()
        ))
        .await
        .unwrap();
    }
    // Nothing is covered yet: the figures come from raw rows and stay right.
    assert_same(&pool, svc, &month, ny, "country:DE").await;
    catch_up(&pool).await;
    let from = segments_from(&pool).await.unwrap();
    assert!(from <= oldest, "backfilled to {from}, data from {oldest}");
    for filter in SEGMENTS {
        assert_same(&pool, svc, &month, Tz::UTC, filter).await;
    }

    // A late hit in a complete day, its hour marked dirty as the writer would: re-rolled.
    let day = (now - Duration::days(3)).date_naive();
    let at = day.and_hms_opt(12, 30, 0).unwrap().and_utc();
    {
        let c = pool.get().await.unwrap();
        let id = Uuid::new_v4();
        c.execute(
            "INSERT INTO sessions (id, service_id, start_time, last_seen, country, browser, os,
                                   device_type, channel, exit_page, hit_count, is_bounce, visitor)
             VALUES ($1, $2, $3, $3, 'DE', 'Firefox', 'iOS', 'PHONE', 'Direct', '/late', 1, true,
                     '\\x01')",
            &[&id, &svc, &at],
        )
        .await
        .unwrap();
        c.execute(
            "INSERT INTO hits (session_id, service_id, initial, start_time, last_seen, tracker,
                               location, referrer)
             VALUES ($1, $2, true, $3, $3, 'JS', 'https://s.example/late', '')",
            &[&id, &svc, &at],
        )
        .await
        .unwrap();
        c.execute(
            "INSERT INTO rollup_dirty (service_id, hour) VALUES ($1, date_trunc('hour', $2::timestamptz, 'UTC'))",
            &[&svc, &at],
        )
        .await
        .unwrap();
    }
    catch_up(&pool).await;
    let days =
        window::from_dates(Some(&day.to_string()), Some(&day.to_string()), Tz::UTC, now).unwrap();
    for filter in SEGMENTS {
        assert_same(&pool, svc, &days, Tz::UTC, filter).await;
    }

    // The rollups answer: with the hits of that day's whole hours gone, its figures stay
    // (the window's strict bounds, a day's midnight and the microsecond before the next, leave
    // its first and last hours to raw rows).
    let f = Filters::parse(["country:DE"], Syntax::Url).unwrap();
    let c = pool.get().await.unwrap();
    let before = filtered::sums(&**c, svc, &days, &f).await.unwrap();
    assert!(before.sessions > 0);
    let first_whole = days.start + Duration::hours(1);
    c.execute(
        "DELETE FROM hits WHERE start_time >= $1 AND start_time < $2",
        &[&first_whole, &(days.end - Duration::hours(1))],
    )
    .await
    .unwrap();
    let mut after = filtered::sums(&**c, svc, &days, &f).await.unwrap();
    assert!((after.load_time_sum - before.load_time_sum).abs() < 1e-6);
    after.load_time_sum = before.load_time_sum;
    assert_eq!(after, before);
    let raw = filtered::sums_with(&**c, svc, &days, &f, Source::Raw)
        .await
        .unwrap();
    assert!(raw.hits < before.hits, "{raw:?}");
}
