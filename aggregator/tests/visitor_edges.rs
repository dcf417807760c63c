//! Visitors of partial UTC days from the per-hour first and last counts, against raw rows:
//! sessions on hour starts and a microsecond before and after them (the instants where a
//! window's strict bounds and the hourly counts disagree), local days and their previous
//! periods in whole-hour, half-hour and DST zones,
//! the watermark in the middle of a day (while its hours are rolled up one pass at a time),
//! today's open tail up to now, and late sessions and deletions re-rolled through the dirty list.

mod common;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use deadpool_postgres::Pool;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use stats::visitor_plan::visitor_plan;
use stats::window::{self, Window};
use stats::{rollup, Source};
use uuid::Uuid;

const TIMEOUT: f64 = 1800.0;
const ZONES: [&str; 6] = [
    "UTC",
    "America/New_York",
    "Europe/Berlin",
    "Asia/Kolkata",
    "America/St_Johns",
    "Australia/Lord_Howe",
];

async fn services(pool: &Pool, n: usize) -> Vec<Uuid> {
    let c = pool.get().await.unwrap();
    let uid: i64 = c
        .query_one(
            "INSERT INTO users (email, password_hash) VALUES ('v@example.com', 'x') RETURNING id",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    let mut out = Vec::new();
    for i in 0..n {
        let id = Uuid::new_v4();
        c.execute(
            "INSERT INTO services (id, name, owner_id) VALUES ($1, $2, $3)",
            &[&id, &format!("V{i}"), &uid],
        )
        .await
        .unwrap();
        out.push(id);
    }
    out
}

/// An instant in [base, base + hours): a quarter on an hour start, an eighth one microsecond
/// before one, an eighth one after one, the rest anywhere.
fn instant(rng: &mut StdRng, base: DateTime<Utc>, hours: i64) -> DateTime<Utc> {
    let h = base + Duration::hours(rng.random_range(0..hours));
    match rng.random_range(0..8) {
        0 | 1 => h,
        2 => h + Duration::hours(1) - Duration::microseconds(1),
        3 => h + Duration::microseconds(1),
        _ => h + Duration::microseconds(rng.random_range(1..3_600_000_000)),
    }
}

/// `n` sessions of `svc` in [base, base + hours), from a small pool of visitor keys (so
/// visitors come back within a day) and a few without a key.
async fn sessions(
    pool: &Pool,
    rng: &mut StdRng,
    svc: Uuid,
    base: DateTime<Utc>,
    hours: i64,
    n: usize,
) -> Vec<DateTime<Utc>> {
    let mut ids = Vec::new();
    let mut starts = Vec::new();
    let mut visitors: Vec<Option<Vec<u8>>> = Vec::new();
    for _ in 0..n {
        ids.push(Uuid::new_v4());
        starts.push(instant(rng, base, hours));
        visitors.push(
            rng.random_bool(0.95)
                .then(|| vec![rng.random_range(0..30u8); 16]),
        );
    }
    let c = pool.get().await.unwrap();
    c.execute(
        "INSERT INTO sessions (id, service_id, start_time, last_seen, hit_count, is_bounce, visitor)
         SELECT id, $2, t, t + interval '1 minute', 1, true, v
         FROM unnest($1::uuid[], $3::timestamptz[], $4::bytea[]) AS x(id, t, v)",
        &[&ids, &svc, &starts, &visitors],
    )
    .await
    .unwrap();
    starts
}

async fn assert_visitors(pool: &Pool, svcs: &[Uuid], w: &Window, what: &str) {
    let c = pool.get().await.unwrap();
    let auto = stats::visitors_many(&**c, svcs, w, Source::Auto)
        .await
        .unwrap();
    let raw = stats::visitors_many(&**c, svcs, w, Source::Raw)
        .await
        .unwrap();
    assert_eq!(auto, raw, "{what}: visitors of {w:?}");
}

async fn watermark(pool: &Pool) -> Option<DateTime<Utc>> {
    let c = pool.get().await.unwrap();
    c.query_one("SELECT watermark FROM rollup_state", &[])
        .await
        .unwrap()
        .get(0)
}

/// Local days, two-day windows and a week in every zone, windows that end at and around the
/// watermark, and random instants (on hours, a microsecond before them, anywhere).
async fn assert_windows(
    pool: &Pool,
    rng: &mut StdRng,
    svcs: &[Uuid],
    (first, last): (NaiveDate, NaiveDate),
    what: &str,
) -> usize {
    let mut from_counts = 0;
    let wm = watermark(pool).await;
    let mut windows = Vec::new();
    for z in ZONES {
        let tz: Tz = z.parse().unwrap();
        let mut d = first;
        while d <= last {
            for len in [0, 1, 6] {
                let (a, b) = (d.to_string(), (d + Duration::days(len)).to_string());
                let w = window::from_dates(Some(&a), Some(&b), tz, Utc::now()).unwrap();
                // The comparison period starts a microsecond after its hour.
                windows.push(window::previous(&w));
                windows.push(w);
            }
            d += Duration::days(1);
        }
    }
    if let Some(wm) = wm {
        let lo = first.and_hms_opt(0, 0, 0).unwrap().and_utc();
        for end in [
            wm - Duration::hours(1) - Duration::microseconds(1),
            wm - Duration::microseconds(1),
            wm,
            wm + Duration::minutes(20),
        ] {
            for start in [lo, lo + Duration::hours(5), wm - Duration::hours(30)] {
                if start < end {
                    windows.push(Window { start, end });
                }
            }
        }
    }
    let span = (last - first).num_hours() + 48;
    let base = first.and_hms_opt(0, 0, 0).unwrap().and_utc() - Duration::hours(24);
    for _ in 0..40 {
        let a = instant(rng, base, span);
        let b = instant(rng, base, span);
        windows.push(Window {
            start: a.min(b),
            end: a.max(b),
        });
    }
    for w in windows {
        let p = visitor_plan(&w, wm, None);
        from_counts += usize::from(p.from_lasts.is_some()) + usize::from(p.from_firsts.is_some());
        assert_visitors(pool, svcs, &w, what).await;
    }
    from_counts
}

#[tokio::test]
async fn partial_days_from_hourly_counts_equal_raw_rows() {
    let (pool, _) = common::fresh_db().await;
    let svcs = services(&pool, 2).await;
    let mut rng = StdRng::seed_from_u64(0x7157);
    // Across New York's DST change (10 March 2024) and Lord Howe's half-hour one (7 April).
    let base = Utc.with_ymd_and_hms(2024, 3, 8, 0, 0, 0).unwrap();
    let hours = 5 * 24;
    sessions(&pool, &mut rng, svcs[0], base, hours, 1500).await;
    sessions(&pool, &mut rng, svcs[1], base, hours, 300).await;
    let days = (
        NaiveDate::from_ymd_opt(2024, 3, 7).unwrap(),
        NaiveDate::from_ymd_opt(2024, 3, 13).unwrap(),
    );
    // The watermark walks through the days 7 hours at a time, so it stops at every hour of the
    // day over the passes: the firsts of the watermark's day are read before the day is over.
    let mut c = pool.get().await.unwrap();
    let mut used = 0;
    for pass in 0..20 {
        let p = rollup::run_pass(&mut c, TIMEOUT, 7).await.unwrap();
        assert!(!p.busy);
        if pass % 3 == 1 {
            used += assert_windows(&pool, &mut rng, &svcs, days, &format!("pass {pass}")).await;
        }
    }
    rollup::catch_up(&mut c, TIMEOUT, 24 * 3, |_| {})
        .await
        .unwrap();
    used += assert_windows(&pool, &mut rng, &svcs, days, "caught up").await;
    assert!(used > 200, "windows read the hourly counts ({used} edges)");

    // Late sessions that move visitors' first and last hours, deletions that remove some, and
    // their hours listed in rollup_dirty as the writer and an erasure list them.
    c.batch_execute(
        "CREATE TEMP TABLE gone AS
           SELECT id, service_id, start_time FROM sessions
           WHERE visitor IS NOT NULL ORDER BY id LIMIT 120;
         DELETE FROM sessions s USING gone g WHERE s.id = g.id AND s.start_time = g.start_time;
         INSERT INTO rollup_dirty (service_id, hour)
           SELECT service_id, date_trunc('hour', start_time, 'UTC') FROM gone
           ON CONFLICT DO NOTHING;
         CREATE TEMP TABLE late AS
           SELECT gen_random_uuid() AS id, service_id,
                  date_trunc('day', start_time, 'UTC') + interval '1 hour' AS t, visitor
           FROM sessions WHERE visitor IS NOT NULL ORDER BY id DESC LIMIT 60;
         INSERT INTO late
           SELECT gen_random_uuid(), service_id,
                  date_trunc('day', start_time, 'UTC') + interval '23 hours 59 minutes', visitor
           FROM sessions WHERE visitor IS NOT NULL ORDER BY id LIMIT 60;
         INSERT INTO sessions (id, service_id, start_time, last_seen, hit_count, is_bounce, visitor)
           SELECT id, service_id, t, t, 1, true, visitor FROM late;
         INSERT INTO rollup_dirty (service_id, hour)
           SELECT service_id, date_trunc('hour', t, 'UTC') FROM late ON CONFLICT DO NOTHING;",
    )
    .await
    .unwrap();
    let p = rollup::catch_up(&mut c, TIMEOUT, 24 * 3, |_| {})
        .await
        .unwrap();
    assert!(p.rerolled > 0, "{p:?}");
    assert_windows(&pool, &mut rng, &svcs, days, "after late changes").await;
}

/// Today: the watermark's day is rolled up to its last closed hour and the window runs on to
/// now; the default window (the last 30 days) and today's local day in every zone.
#[tokio::test]
async fn todays_open_tail_equals_raw_rows() {
    let (pool, _) = common::fresh_db().await;
    let svcs = services(&pool, 2).await;
    let mut rng = StdRng::seed_from_u64(0x70da);
    let now = Utc::now();
    let base = now - Duration::hours(50);
    for s in &svcs {
        sessions(&pool, &mut rng, *s, base, 50, 800).await;
    }
    // None in the future: the open tail is what the writer has written so far.
    pool.get()
        .await
        .unwrap()
        .execute("DELETE FROM sessions WHERE start_time > now()", &[])
        .await
        .unwrap();
    let mut c = pool.get().await.unwrap();
    let p = rollup::catch_up(&mut c, TIMEOUT, 24 * 3, |_| {})
        .await
        .unwrap();
    let wm = p.watermark.unwrap();
    assert!(wm > base && wm < now, "{wm} between the data and now");
    let mut windows = vec![window::from_dates(None, None, chrono_tz::UTC, now).unwrap()];
    for z in ZONES {
        let tz: Tz = z.parse().unwrap();
        let today = now.with_timezone(&tz).date_naive();
        for back in 0..3 {
            let d = (today - Duration::days(back)).to_string();
            let t = today.to_string();
            for w in [
                window::from_dates(Some(&d), Some(&t), tz, now).unwrap(),
                window::from_dates(Some(&d), Some(&d), tz, now).unwrap(),
                window::from_dates(Some(&d), None, tz, now).unwrap(),
            ] {
                windows.push(window::previous(&w));
                windows.push(w);
            }
        }
    }
    for w in windows {
        assert_visitors(&pool, &svcs, &w, "today").await;
    }
    let n: i64 = c
        .query_one("SELECT count(*) FROM rollup_visitor_hours", &[])
        .await
        .unwrap()
        .get(0);
    assert!(n > 20, "the job wrote hourly visitor counts ({n})");
}
