//! Rollups against raw rows: random data, random windows (strict bounds, hour edges, local days
//! in hour-aligned, DST and half-hour zones), and every figure, table, chart, event table,
//! property breakdown and goal compared between the rollup path and the raw-only path (goals
//! defined before and after the data). Also: late changes re-rolled through the dirty list,
//! a late beacon through the real writer marking its already rolled hour dirty, retention keeping
//! totals while raw rows go, and partition upkeep.

mod common;

use aggregator::edge::apply;
use aggregator::metrics::IngestMetrics;
use aggregator::writer::exactly_once::Marks;
use aggregator::writer::{Batch, Enriched};
use beacon::ua::UaClassifier;
use beacon::wire::{Beacon, Geo, Tracker, VisitorKey};
use chrono::{DateTime, Duration, DurationRound, TimeZone, Utc};
use chrono_tz::Tz;
use deadpool_postgres::Pool;
use models::goals::{Inserted, NewGoal};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;
use stats::goal_spec::GoalSpec;
use stats::window::{self, Window};
use stats::{chart, rollup, Source};
use std::sync::Arc;
use uuid::Uuid;

const TIMEOUT: f64 = 1800.0;
/// Whole-hour zones with and without DST, and zones whose days start mid-hour: +5:30, +5:45,
/// -3:30 with DST, and Lord Howe's half-hour DST shift.
const ZONES: [&str; 7] = [
    "UTC",
    "America/New_York",
    "Europe/Berlin",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "America/St_Johns",
    "Australia/Lord_Howe",
];

/// Every local day of `first..=last` in every zone, and two- and three-day windows from each, checked
/// rollups ≡ raw; returns how many days were not 24 hours long (DST days).
async fn assert_every_local_day(
    pool: &Pool,
    svcs: &[Uuid],
    (first, last): (chrono::NaiveDate, chrono::NaiveDate),
    what: &str,
) -> Vec<(String, chrono::NaiveDate, i64)> {
    let mut odd = Vec::new();
    for z in ZONES {
        let tz: Tz = z.parse().unwrap();
        let mut d = first;
        while d <= last {
            let (a, b) = (d.to_string(), (d + Duration::days(1)).to_string());
            let day = window::from_dates(Some(&a), Some(&a), tz, Utc::now()).unwrap();
            let hours = (day.end - day.start + Duration::microseconds(1)).num_minutes();
            if hours != 24 * 60 {
                odd.push((z.to_owned(), d, hours));
            }
            assert_same(pool, svcs, &day, tz, &format!("{what}: day {d} in {z}")).await;
            let two = window::from_dates(Some(&a), Some(&b), tz, Utc::now()).unwrap();
            assert_same(pool, svcs, &two, tz, &format!("{what}: {d}+1 in {z}")).await;
            // Three days: a daily chart, whose buckets split mid-hour in some zones.
            let c = (d + Duration::days(2)).to_string();
            let three = window::from_dates(Some(&a), Some(&c), tz, Utc::now()).unwrap();
            assert_same(pool, svcs, &three, tz, &format!("{what}: {d}+2 in {z}")).await;
            d += Duration::days(1);
        }
    }
    odd
}

async fn services(pool: &Pool, n: usize) -> Vec<Uuid> {
    let c = pool.get().await.unwrap();
    let names: Vec<String> = (0..n).map(|i| format!("S{i}")).collect();
    common::owner_with_services(&c, "r@example.com", &names)
        .await
        .1
}

fn pick<'a>(rng: &mut StdRng, xs: &[&'a str]) -> &'a str {
    xs[rng.random_range(0..xs.len())]
}

/// A random instant in [base, base + span): a third of them exactly on an hour.
fn instant(rng: &mut StdRng, base: DateTime<Utc>, span_hours: i64) -> DateTime<Utc> {
    instant_p(rng, base, span_hours, 0.33)
}

fn instant_p(
    rng: &mut StdRng,
    base: DateTime<Utc>,
    span_hours: i64,
    p_exact: f64,
) -> DateTime<Utc> {
    let h = rng.random_range(0..span_hours);
    let t = base + Duration::hours(h);
    if rng.random_bool(p_exact) {
        t
    } else {
        t + Duration::microseconds(rng.random_range(1..3_600_000_000))
    }
}

/// Random sessions with hits for `svc` in [base, base + span).
/// `p_exact` of the sessions start exactly on an hour.
async fn random_data(
    pool: &Pool,
    rng: &mut StdRng,
    svc: Uuid,
    base: DateTime<Utc>,
    span: i64,
    n: usize,
    p_exact: f64,
) {
    let c = pool.get().await.unwrap();
    for _ in 0..n {
        let id = Uuid::new_v4();
        let start = instant_p(rng, base, span, p_exact);
        let nh: i32 = rng.random_range(1..5);
        let dur = Duration::microseconds(rng.random_range(0..7_200_000_000));
        // A small pool of visitor keys, so visitors come back within a day and across days.
        let visitor: Option<Vec<u8>> = rng
            .random_bool(0.95)
            .then(|| vec![rng.random_range(0..40u8); 16]);
        c.execute(
            "INSERT INTO sessions (id, service_id, start_time, last_seen, country, as_org, os,
                                   browser, device_type, device, hit_count, is_bounce,
                                   region, city, browser_version, os_version, utm_source,
                                   utm_medium, utm_campaign, utm_term, utm_content, channel,
                                   exit_page, visitor)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,
                     $17, $18, $19, $20, $21, $22, $23, $24)",
            &[
                &id,
                &svc,
                &start,
                &(start + dur),
                &pick(rng, &["", "US", "DE", "IN", "FR"]),
                &pick(rng, &["", "Comcast", "Deutsche Telekom", "Jio"]),
                &pick(rng, &["", "Windows", "iOS", "Android", "Mac OS X"]),
                &pick(rng, &["", "Chrome", "Firefox", "Safari"]),
                &pick(rng, &["DESKTOP", "PHONE", "TABLET", "OTHER"]),
                &pick(rng, &["", "iPhone", "Pixel 7", "Mac"]),
                &nh,
                &(nh == 1),
                &pick(rng, &["", "Bavaria", "California", "Île-de-France"]),
                &pick(rng, &["", "Munich", "San Francisco", "Paris"]),
                &pick(rng, &["", "124.0.0", "123.0", "17.4.1"]),
                &pick(rng, &["", "10", "17.4.1", "14", "10.15.7"]),
                &pick(rng, &["", "", "newsletter", "google", "producthunt"]),
                &pick(rng, &["", "", "email", "cpc"]),
                &pick(rng, &["", "spring", "Brand Search"]),
                &pick(rng, &["", "shoes"]),
                &pick(rng, &["", "hero", "footer"]),
                &pick(
                    rng,
                    &["Direct", "Organic Search", "Email", "Paid Search", ""],
                ),
                &pick(rng, &["", "https://a.example/", "https://a.example/x"]),
                &visitor,
            ],
        )
        .await
        .unwrap();
        for i in 0..nh {
            let t = if i == 0 {
                start
            } else {
                start
                    + Duration::microseconds(rng.random_range(0..=dur.num_microseconds().unwrap()))
            };
            let load: Option<f64> = rng
                .random_bool(0.7)
                .then(|| rng.random_range(10.0..3000.0f64));
            let clean: Option<&str> = rng
                .random_bool(0.2)
                .then(|| pick(rng, &["https://a.example/", "https://a.example/x"]));
            c.execute(
                "INSERT INTO hits (session_id, service_id, initial, start_time, last_seen, tracker,
                                   location, referrer, load_time, location_clean)
                 VALUES ($1, $2, $3, $4, $4, 'JS', $5, $6, $7, $8)",
                &[
                    &id,
                    &svc,
                    &(i == 0),
                    &t,
                    &pick(
                        rng,
                        &[
                            "https://a.example/",
                            "https://a.example/x",
                            "https://a.example/y?q=1",
                            "https://a.example/docs/a",
                            "https://a.example/docs/b/c?x=1",
                            "",
                        ],
                    ),
                    &pick(
                        rng,
                        &[
                            "",
                            "https://google.com/",
                            "https://news.example/",
                            "android-app://x",
                        ],
                    ),
                    &load,
                    &clean,
                ],
            )
            .await
            .unwrap();
        }
        random_events(&c, rng, svc, id, start, dur).await;
    }
}

/// Up to three custom events of one session, at random times within it, some with properties.
async fn random_events(
    c: &tokio_postgres::Client,
    rng: &mut StdRng,
    svc: Uuid,
    session: Uuid,
    start: DateTime<Utc>,
    dur: Duration,
) {
    let n = if rng.random_bool(0.5) {
        rng.random_range(1..4)
    } else {
        0
    };
    for _ in 0..n {
        let t =
            start + Duration::microseconds(rng.random_range(0..=dur.num_microseconds().unwrap()));
        let props = match rng.random_range(0..4) {
            0 => json!({}),
            1 => json!({"plan": pick(rng, &["pro", "free"])}),
            2 => json!({"plan": pick(rng, &["pro", "free"]), "src": pick(rng, &["a", "b"])}),
            _ => json!({"src": pick(rng, &["a", "b"])}),
        };
        c.execute(
            "INSERT INTO events (service_id, session_id, session_start, start_time, name, props,
                                 location)
             VALUES ($1, $2, $3, $4, $5, $6, 'https://a.example/')",
            &[
                &svc,
                &session,
                &start,
                &t,
                &pick(rng, &["signup", "download", "play"]),
                &props,
            ],
        )
        .await
        .unwrap();
    }
}

/// Adds a goal through the same validation and model the CLI and the manage page use.
async fn add_goal(
    pool: &Pool,
    svc: Uuid,
    name: &str,
    event: Option<&str>,
    prop: Option<&str>,
    page: Option<&str>,
) -> i64 {
    let spec = GoalSpec::new(name, event, prop, page).unwrap();
    let (event_name, prop, page) = spec.parts();
    let goal = NewGoal {
        name: &spec.name,
        event_name,
        prop,
        page,
    };
    let mut c = pool.get().await.unwrap();
    match models::goals::insert(&mut c, svc, goal, 20).await.unwrap() {
        Inserted::Id(id) => id,
        other => panic!("goal {name}: {other:?}"),
    }
}

/// Runs rollup passes until no page goal's history is left to fill; returns the passes that
/// worked on one.
async fn finish_backfill(pool: &Pool) -> usize {
    let mut c = pool.get().await.unwrap();
    for i in 0..200 {
        let p = rollup::run_pass(&mut c, TIMEOUT, 24 * 3).await.unwrap();
        if p.goals_backfilled == 0 {
            let pending: i64 = c
                .query_one(
                    "SELECT count(*) FROM goals WHERE rolled_from IS NOT NULL",
                    &[],
                )
                .await
                .unwrap()
                .get(0);
            assert_eq!(pending, 0);
            return i;
        }
    }
    panic!("the goal backfill did not finish");
}

async fn count(pool: &Pool, sql: &str) -> i64 {
    let c = pool.get().await.unwrap();
    c.query_one(sql, &[]).await.unwrap().get(0)
}

async fn catch_up(pool: &Pool) -> rollup::Pass {
    let mut c = pool.get().await.unwrap();
    rollup::catch_up(&mut c, TIMEOUT, 24 * 3, |_| {})
        .await
        .unwrap()
}

fn close(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(x), Some(y)) => (x - y).abs() <= 1e-9 * x.abs().max(y.abs()).max(1.0),
        _ => false,
    }
}

/// Asserts that every figure, table and chart of `w` is the same from rollups and raw rows.
async fn assert_same(pool: &Pool, svcs: &[Uuid], w: &Window, tz: Tz, what: &str) {
    let c = pool.get().await.unwrap();
    let now = Utc::now();
    let auto = stats::scalars_many_with(&**c, svcs, w, Source::Auto)
        .await
        .unwrap();
    let raw = stats::scalars_many_with(&**c, svcs, w, Source::Raw)
        .await
        .unwrap();
    for s in svcs {
        let (a, r) = (auto[s], raw[s]);
        assert_eq!(a.session_count, r.session_count, "{what}: sessions");
        assert_eq!(a.hit_count, r.hit_count, "{what}: hits");
        for (x, y, name) in [
            (a.bounce_rate_pct, r.bounce_rate_pct, "bounce"),
            (a.avg_session_duration, r.avg_session_duration, "duration"),
            (a.avg_load_time, r.avg_load_time, "load time"),
            (
                a.avg_hits_per_session,
                r.avg_hits_per_session,
                "hits/session",
            ),
        ] {
            assert!(close(x, y), "{what}: {name} {x:?} vs {y:?}");
        }
        let ta = stats::tables_with(&**c, *s, w, None, Source::Auto)
            .await
            .unwrap();
        let tr = stats::tables_with(&**c, *s, w, None, Source::Raw)
            .await
            .unwrap();
        assert_eq!(ta, tr, "{what}: tables");
        let re = stats::referrer::compile_lenient("https://google");
        let ta = stats::tables_with(&**c, *s, w, re.as_ref(), Source::Auto)
            .await
            .unwrap();
        let tr = stats::tables_with(&**c, *s, w, re.as_ref(), Source::Raw)
            .await
            .unwrap();
        assert_eq!(ta, tr, "{what}: tables with hidden referrers");
        let ea = stats::events::events_with(&**c, *s, w, Source::Auto)
            .await
            .unwrap();
        let er = stats::events::events_with(&**c, *s, w, Source::Raw)
            .await
            .unwrap();
        assert_eq!(ea, er, "{what}: events");
        for name in ["signup", "download", "play"] {
            let pa = stats::events::event_props_with(&**c, *s, w, name, Source::Auto)
                .await
                .unwrap();
            let pr = stats::events::event_props_with(&**c, *s, w, name, Source::Raw)
                .await
                .unwrap();
            assert_eq!(pa, pr, "{what}: properties of {name}");
        }
        let ga = stats::goals::goals_with(&**c, *s, w, Source::Auto)
            .await
            .unwrap();
        let gr = stats::goals::goals_with(&**c, *s, w, Source::Raw)
            .await
            .unwrap();
        assert_eq!(ga, gr, "{what}: goals");
    }
    let va = stats::visitors_many(&**c, svcs, w, Source::Auto)
        .await
        .unwrap();
    let vr = stats::visitors_many(&**c, svcs, w, Source::Raw)
        .await
        .unwrap();
    assert_eq!(va, vr, "{what}: visitors");
    let ca = chart::charts_many_with(&**c, svcs, w, tz, now, Source::Auto)
        .await
        .unwrap();
    let cr = chart::charts_many_with(&**c, svcs, w, tz, now, Source::Raw)
        .await
        .unwrap();
    assert_eq!(ca, cr, "{what}: charts");
}

fn random_window(rng: &mut StdRng, base: DateTime<Utc>, span: i64) -> (Window, Tz) {
    let tz: Tz = ZONES[rng.random_range(0..ZONES.len())].parse().unwrap();
    let w = match rng.random_range(0..3) {
        // Whole local days, as owners pick them.
        0 => {
            let d0 = (base + Duration::hours(rng.random_range(-24..span)))
                .with_timezone(&tz)
                .date_naive();
            let d1 = d0 + Duration::days(rng.random_range(0..12));
            window::from_dates(Some(&d0.to_string()), Some(&d1.to_string()), tz, Utc::now())
                .unwrap()
        }
        // Arbitrary instants, sometimes on hour boundaries.
        1 => {
            let a = instant(rng, base - Duration::hours(2), span + 4);
            let b = instant(rng, base - Duration::hours(2), span + 4);
            Window {
                start: a.min(b),
                end: a.max(b),
            }
        }
        // Short windows (hourly charts).
        _ => {
            let a = instant(rng, base, span);
            Window {
                start: a,
                end: a + Duration::minutes(rng.random_range(1..(3 * 24 * 60))),
            }
        }
    };
    (w, tz)
}

/// Autumn: the 25-hour days of Berlin (27 October 2024) and New York and St. John's
/// (3 November 2024), every local day in every zone, rollups ≡ raw.
#[tokio::test]
async fn dst_days_of_25_hours_answer_exactly_like_raw_rows() {
    let (pool, _) = common::fresh_db().await;
    let svcs = services(&pool, 2).await;
    let mut rng = StdRng::seed_from_u64(0xa07);
    let base = Utc.with_ymd_and_hms(2024, 10, 25, 0, 0, 0).unwrap();
    let span = 11 * 24;
    for s in &svcs {
        add_goal(&pool, *s, "Signed up", Some("signup"), None, None).await;
        random_data(&pool, &mut rng, *s, base, span, 250, 0.4).await;
    }
    let p = catch_up(&pool).await;
    assert!(!p.busy && !p.behind, "{p:?}");
    let day = |m, d| chrono::NaiveDate::from_ymd_opt(2024, m, d).unwrap();
    let odd = assert_every_local_day(&pool, &svcs, (day(10, 26), day(11, 4)), "autumn").await;
    for (z, d) in [
        ("Europe/Berlin", day(10, 27)),
        ("America/New_York", day(11, 3)),
        ("America/St_Johns", day(11, 3)),
    ] {
        assert!(
            odd.contains(&(z.to_owned(), d, 25 * 60)),
            "{z}'s 25-hour day {d} was checked: {odd:?}"
        );
    }
}

#[tokio::test]
async fn rollups_answer_exactly_like_raw_rows() {
    let (pool, _) = common::fresh_db().await;
    let svcs = services(&pool, 2).await;
    let mut rng = StdRng::seed_from_u64(0x5eed);
    // Across both 2024 DST changes of New York (10 March) and Berlin (31 March).
    let base = Utc.with_ymd_and_hms(2024, 3, 8, 0, 0, 0).unwrap();
    let span = 26 * 24;
    // Goals defined before the data: events with and without a property, a page glob that a
    // session can match with two different pages.
    for s in &svcs {
        add_goal(&pool, *s, "Signed up", Some("signup"), None, None).await;
        add_goal(&pool, *s, "Pro", Some("signup"), Some("plan=pro"), None).await;
        add_goal(&pool, *s, "Docs", None, None, Some("/docs/**")).await;
    }
    for s in &svcs {
        random_data(&pool, &mut rng, *s, base, span, 400, 0.33).await;
    }
    let p = catch_up(&pool).await;
    assert!(!p.busy && !p.behind, "{p:?}");
    {
        let c = pool.get().await.unwrap();
        let n: i64 = c
            .query_one("SELECT count(*) FROM rollup_hours", &[])
            .await
            .unwrap()
            .get(0);
        assert!(n > 300, "rollups were written ({n} hours)");
    }
    {
        // The new dimensions and the visitors have rollup rows to be compared with.
        let c = pool.get().await.unwrap();
        let dims: Vec<i16> = c
            .query("SELECT DISTINCT dim FROM rollup_dims_daily ORDER BY 1", &[])
            .await
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        let mut want: Vec<i16> = stats::dimensions::ALL.iter().map(|d| d.code).collect();
        want.push(stats::dimensions::VISITORS_DAY_CODE);
        want.sort_unstable();
        assert_eq!(dims, want);
    }
    let mut some_visitors = false;
    assert!(count(&pool, "SELECT count(*) FROM rollup_hours").await > 300);
    assert!(count(&pool, "SELECT count(*) FROM rollup_events_hourly").await > 300);
    assert!(count(&pool, "SELECT count(*) FROM rollup_events_daily").await > 20);
    assert!(count(&pool, "SELECT count(*) FROM rollup_goals_hourly").await > 50);
    assert!(count(&pool, "SELECT count(*) FROM rollup_goals_daily").await > 20);
    for i in 0..60 {
        let (w, tz) = random_window(&mut rng, base, span);
        assert_same(&pool, &svcs, &w, tz, &format!("window {i} {w:?} in {tz}")).await;
        let c = pool.get().await.unwrap();
        let v = stats::visitors_many(&**c, &svcs, &w, Source::Auto)
            .await
            .unwrap();
        some_visitors |= v.values().any(|n| *n > 0);
    }
    assert!(some_visitors, "the windows saw visitors");
    // Every local day around the spring DST changes (New York 10 March, Berlin and St. John's
    // 31 March / 10 March), whole-hour and mid-hour zones alike.
    let day = |m, d| chrono::NaiveDate::from_ymd_opt(2024, m, d).unwrap();
    let mut odd = Vec::new();
    for (first, last) in [(day(3, 9), day(3, 11)), (day(3, 30), day(4, 1))] {
        odd.extend(assert_every_local_day(&pool, &svcs, (first, last), "spring").await);
    }
    for (z, d) in [
        ("Europe/Berlin", day(3, 31)),
        ("America/New_York", day(3, 10)),
        ("America/St_Johns", day(3, 10)),
    ] {
        assert!(
            odd.contains(&(z.to_owned(), d, 23 * 60)),
            "{z}'s 23-hour day {d} was checked: {odd:?}"
        );
    }

    // Late changes: sessions of closed hours grow longer and lose their bounce, late hits land
    // in old hours, and those hours are listed in rollup_dirty the way the writer lists them
    // (`late_beacon_through_the_writer_marks_its_hour_dirty` checks the writer does).
    {
        let c = pool.get().await.unwrap();
        c.batch_execute(
            "WITH s AS (SELECT id, start_time FROM sessions ORDER BY id LIMIT 40)
             UPDATE sessions x SET last_seen = x.last_seen + interval '3 hours',
                    hit_count = x.hit_count + 1, is_bounce = false
             FROM s WHERE x.id = s.id AND x.start_time = s.start_time;
             INSERT INTO hits (session_id, service_id, initial, start_time, last_seen, tracker, location, load_time)
             SELECT id, service_id, false, start_time + interval '10 minutes',
                    start_time + interval '10 minutes', 'PIXEL', 'https://a.example/late', 5
             FROM sessions ORDER BY id DESC LIMIT 40;
             INSERT INTO rollup_dirty (service_id, hour)
             SELECT service_id, date_trunc('hour', start_time, 'UTC') FROM sessions ORDER BY id LIMIT 40
             ON CONFLICT DO NOTHING;
             INSERT INTO rollup_dirty (service_id, hour)
             SELECT service_id, date_trunc('hour', start_time + interval '10 minutes', 'UTC')
             FROM sessions ORDER BY id DESC LIMIT 40
             ON CONFLICT DO NOTHING;
             -- Late events of long-closed sessions, and a late docs page view: their session's
             -- start hour is dirty (events and goals are counted by it), the view's own hour too.
             INSERT INTO events (service_id, session_id, session_start, start_time, name, props)
             SELECT service_id, id, start_time, last_seen + interval '1 day', 'signup',
                    '{\"plan\": \"pro\"}'
             FROM sessions ORDER BY start_time LIMIT 30;
             INSERT INTO hits (session_id, service_id, initial, start_time, last_seen, tracker, location)
             SELECT id, service_id, false, last_seen + interval '1 day', last_seen + interval '1 day',
                    'JS', 'https://a.example/docs/late'
             FROM sessions ORDER BY start_time LIMIT 30;
             INSERT INTO rollup_dirty (service_id, hour)
             SELECT service_id, date_trunc('hour', start_time, 'UTC')
             FROM sessions ORDER BY start_time LIMIT 30
             ON CONFLICT DO NOTHING;
             INSERT INTO rollup_dirty (service_id, hour)
             SELECT service_id, date_trunc('hour', last_seen + interval '1 day', 'UTC')
             FROM sessions ORDER BY start_time LIMIT 30
             ON CONFLICT DO NOTHING;",
        )
        .await
        .unwrap();
    }
    let p = catch_up(&pool).await;
    assert!(p.rerolled > 0, "{p:?}");
    for i in 0..30 {
        let (w, tz) = random_window(&mut rng, base, span);
        assert_same(
            &pool,
            &svcs,
            &w,
            tz,
            &format!("after late changes, window {i} {w:?} in {tz}"),
        )
        .await;
    }
    // The whole span at once, in every zone.
    let whole = Window {
        start: base - Duration::hours(1),
        end: base + Duration::hours(span + 1),
    };
    for z in ZONES {
        let tz: Tz = z.parse().unwrap();
        assert_same(&pool, &svcs, &whole, tz, &format!("whole span in {z}")).await;
    }

    // Goals defined after the data: an event goal is answered from the event rollups at once; a
    // page goal from raw rows until its history is rolled up, then from its own rollups.
    let late_page = add_goal(&pool, svcs[0], "X page", None, None, Some("/x")).await;
    add_goal(
        &pool,
        svcs[0],
        "Download from a",
        Some("download"),
        Some("src=a"),
        None,
    )
    .await;
    let tz: Tz = "UTC".parse().unwrap();
    assert_same(&pool, &svcs, &whole, tz, "goals defined after the data").await;
    let raw_before =
        stats::goals::goals_with(&**pool.get().await.unwrap(), svcs[0], &whole, Source::Raw)
            .await
            .unwrap();
    let x = raw_before.iter().find(|g| g.name == "X page").unwrap();
    assert!(x.conversions > 0, "{raw_before:?}");
    let passes = finish_backfill(&pool).await;
    assert!(
        passes >= 3,
        "26 days take several weekly chunks ({passes} passes)"
    );
    let rows = count(
        &pool,
        &format!("SELECT count(*) FROM rollup_goals_hourly WHERE goal_id = {late_page}"),
    )
    .await;
    assert!(
        rows > 50,
        "the late goal's history was rolled up ({rows} hours)"
    );
    for i in 0..20 {
        let (w, tz) = random_window(&mut rng, base, span);
        assert_same(
            &pool,
            &svcs,
            &w,
            tz,
            &format!("after the goal backfill, window {i} {w:?} in {tz}"),
        )
        .await;
    }
    assert_same(&pool, &svcs, &whole, tz, "whole span after the backfill").await;
    let c = pool.get().await.unwrap();
    let auto = stats::goals::goals_with(&**c, svcs[0], &whole, Source::Auto)
        .await
        .unwrap();
    assert_eq!(
        auto, raw_before,
        "the backfill counts what raw rows counted"
    );
}

/// One session with its page views (paths on a.example) and events (name, props).
async fn session_with(
    pool: &Pool,
    svc: Uuid,
    start: DateTime<Utc>,
    pages: &[&str],
    events: &[(&str, serde_json::Value)],
) -> Uuid {
    let c = pool.get().await.unwrap();
    let id = Uuid::new_v4();
    let n = pages.len() as i32;
    c.execute(
        "INSERT INTO sessions (id, service_id, start_time, last_seen, hit_count, is_bounce)
         VALUES ($1, $2, $3, $3::timestamptz + interval '5 minutes', $4, $5)",
        &[&id, &svc, &start, &n, &(n == 1)],
    )
    .await
    .unwrap();
    for (i, page) in pages.iter().enumerate() {
        let t = start + Duration::minutes(i as i64);
        c.execute(
            "INSERT INTO hits (session_id, service_id, initial, start_time, last_seen, tracker,
                               location)
             VALUES ($1, $2, $3, $4, $4, 'JS', $5)",
            &[
                &id,
                &svc,
                &(i == 0),
                &t,
                &format!("https://a.example{page}"),
            ],
        )
        .await
        .unwrap();
    }
    for (name, props) in events {
        c.execute(
            "INSERT INTO events (service_id, session_id, session_start, start_time, name, props)
             VALUES ($1, $2, $3, $3::timestamptz + interval '1 minute', $4, $5)",
            &[&svc, &id, &start, name, props],
        )
        .await
        .unwrap();
    }
    id
}

/// (name, conversions, rate) of every goal, from rollups and from raw rows (which must agree).
async fn goal_figures(pool: &Pool, svc: Uuid, w: &Window) -> Vec<(String, i64, Option<f64>)> {
    let c = pool.get().await.unwrap();
    let auto = stats::goals::goals_with(&**c, svc, w, Source::Auto)
        .await
        .unwrap();
    let raw = stats::goals::goals_with(&**c, svc, w, Source::Raw)
        .await
        .unwrap();
    assert_eq!(auto, raw);
    auto.into_iter()
        .map(|g| (g.name, g.conversions, g.conversion_rate_pct))
        .collect()
}

#[tokio::test]
async fn goals_count_each_session_once() {
    let (pool, _) = common::fresh_db().await;
    let svc = services(&pool, 1).await[0];
    let hour = Utc::now().duration_trunc(Duration::hours(1)).unwrap() - Duration::days(2);
    let at = |m: i64| hour + Duration::minutes(m);
    let docs = add_goal(&pool, svc, "Docs", None, None, Some("/docs/**")).await;
    add_goal(&pool, svc, "Pricing", None, None, Some("/pricing")).await;
    add_goal(&pool, svc, "Blog post", None, None, Some("/blog/*")).await;
    add_goal(&pool, svc, "Signup", Some("signup"), None, None).await;
    add_goal(
        &pool,
        svc,
        "Pro signup",
        Some("signup"),
        Some("plan=pro"),
        None,
    )
    .await;
    // A: two docs pages and two pro signups; B: pricing with a trailing slash and a free
    // signup; C: the home page; D (two hours later): the docs root and a download.
    let a = session_with(
        &pool,
        svc,
        at(10),
        &["/docs/a", "/docs/b/c?x=1"],
        &[
            ("signup", json!({"plan": "pro"})),
            ("signup", json!({"plan": "pro", "src": "ad"})),
        ],
    )
    .await;
    session_with(
        &pool,
        svc,
        at(20),
        &["/pricing/", "/blog"],
        &[("signup", json!({"plan": "free"}))],
    )
    .await;
    session_with(&pool, svc, at(30), &["/"], &[]).await;
    session_with(&pool, svc, at(130), &["/docs"], &[("download", json!({}))]).await;
    let w = Window {
        start: hour - Duration::hours(1),
        end: hour + Duration::hours(5),
    };
    let expect = |late: Option<(&str, i64)>| {
        let mut v = vec![
            ("Blog post", 0, Some(0.0)),
            ("Docs", 2, Some(50.0)),
            ("Pricing", 1, Some(25.0)),
            ("Pro signup", 1, Some(25.0)),
            ("Signup", 2, Some(50.0)),
        ];
        if let Some((name, n)) = late {
            v.push((name, n, Some(25.0 * n as f64)));
            v.sort_by_key(|g| g.0);
        }
        v.into_iter()
            .map(|(n, c, r)| (n.to_owned(), c, r))
            .collect::<Vec<_>>()
    };
    // Raw rows only (nothing rolled up yet), then from rollups.
    assert_eq!(goal_figures(&pool, svc, &w).await, expect(None));
    let p = catch_up(&pool).await;
    assert!(
        p.watermark.is_some_and(|m| m > hour + Duration::hours(3)),
        "{p:?}"
    );
    let rolled: Vec<(String, i64)> = pool
        .get()
        .await
        .unwrap()
        .query(
            "SELECT g.name, r.sessions FROM rollup_goals_hourly r JOIN goals g ON g.id = r.goal_id
             ORDER BY 1, r.hour",
            &[],
        )
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(
        rolled,
        [
            ("Docs".to_owned(), 1),
            ("Docs".to_owned(), 1),
            ("Pricing".to_owned(), 1)
        ],
        "page goals: one row per goal and session-start hour, each session once"
    );
    assert_eq!(goal_figures(&pool, svc, &w).await, expect(None));
    let c = pool.get().await.unwrap();
    let events = stats::events::events(&**c, svc, &w).await.unwrap();
    let ev: Vec<(&str, i64, i64)> = events
        .iter()
        .map(|e| (e.key.as_str(), e.count, e.sessions))
        .collect();
    assert_eq!(ev, [("signup", 3, 2), ("download", 1, 1)]);
    let props = stats::events::event_props(&**c, svc, &w, "signup")
        .await
        .unwrap();
    let pv: Vec<(&str, &str, i64)> = props
        .iter()
        .map(|p| (p.key.as_str(), p.value.as_str(), p.count))
        .collect();
    assert_eq!(
        pv,
        [("plan", "pro", 2), ("plan", "free", 1), ("src", "ad", 1)]
    );

    // A goal defined after the data is pending (answered from raw rows), then backfilled.
    add_goal(&pool, svc, "Any docs", None, None, Some("/docs**")).await;
    assert_eq!(
        goal_figures(&pool, svc, &w).await,
        expect(Some(("Any docs", 2)))
    );
    finish_backfill(&pool).await;
    let late_rows = count(
        &pool,
        "SELECT coalesce(sum(sessions), 0)::int8 FROM rollup_goals_hourly r JOIN goals g
         ON g.id = r.goal_id WHERE g.name = 'Any docs'",
    )
    .await;
    assert_eq!(late_rows, 2);
    assert_eq!(
        goal_figures(&pool, svc, &w).await,
        expect(Some(("Any docs", 2)))
    );

    // A late event of session A (its hour is rolled up): the writer lists the session's start
    // hour, the next pass re-rolls it.
    c.execute(
        "INSERT INTO events (service_id, session_id, session_start, start_time, name, props)
         VALUES ($1, $2, $3, now(), 'download', '{}');
         ",
        &[&svc, &a, &at(10)],
    )
    .await
    .unwrap();
    mark_dirty(&c, svc, hour).await;
    assert_eq!(catch_up(&pool).await.rerolled, 1);
    let events = stats::events::events(&**c, svc, &w).await.unwrap();
    assert_eq!(
        events
            .iter()
            .find(|e| e.key == "download")
            .map(|e| (e.count, e.sessions)),
        Some((2, 2))
    );
    assert_eq!(
        stats::events::events_with(&**c, svc, &w, Source::Raw)
            .await
            .unwrap(),
        events
    );

    // Deleting a goal deletes its rollups.
    let docs_rows = format!(
        "SELECT (SELECT count(*) FROM rollup_goals_hourly WHERE goal_id = {docs})
              + (SELECT count(*) FROM rollup_goals_daily WHERE goal_id = {docs})"
    );
    assert!(count(&pool, &docs_rows).await >= 3);
    let mut mc = pool.get().await.unwrap();
    let gone = models::goals::delete(&mut mc, svc, models::goals::Which::Name("Docs"))
        .await
        .unwrap();
    assert_eq!(gone.as_deref(), Some("Docs"));
    assert_eq!(count(&pool, &docs_rows).await, 0);
    let again = models::goals::delete(&mut mc, svc, models::goals::Which::Id(docs))
        .await
        .unwrap();
    assert_eq!(again, None);
}

#[tokio::test]
async fn retention_keeps_totals_and_drops_raw_rows() {
    let (pool, _) = common::fresh_db().await;
    let svcs = services(&pool, 1).await;
    let svc = svcs[0];
    let mut rng = StdRng::seed_from_u64(7);
    // Ten days of data ending 90 days ago (months whose partitions can go).
    let base = (Utc::now() - Duration::days(100))
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_utc();
    add_goal(&pool, svc, "X page", None, None, Some("/x")).await;
    add_goal(&pool, svc, "Pro", Some("signup"), Some("plan=pro"), None).await;
    // No row exactly on an hour: a purged window edge rounds to its whole hour, which then
    // matches the strict raw bound exactly.
    random_data(&pool, &mut rng, svc, base, 10 * 24, 300, 0.0).await;
    catch_up(&pool).await;
    let tz: Tz = "Europe/Berlin".parse().unwrap();
    let d0 = base.with_timezone(&tz).date_naive() + Duration::days(1);
    let w = window::from_dates(
        Some(&d0.to_string()),
        Some(&(d0 + Duration::days(5)).to_string()),
        tz,
        Utc::now(),
    )
    .unwrap();
    let c = pool.get().await.unwrap();
    let before = stats::scalars_many_with(&**c, &svcs, &w, Source::Raw)
        .await
        .unwrap()[&svc];
    let tables_before = stats::tables_with(&**c, svc, &w, None, Source::Raw)
        .await
        .unwrap();
    let chart_before = chart::charts_many_with(&**c, &svcs, &w, tz, Utc::now(), Source::Raw)
        .await
        .unwrap();
    let events_before = stats::event_stats_with(&**c, svc, &w, Source::Raw)
        .await
        .unwrap();
    assert!(before.hit_count > 0);
    assert!(!events_before.events.is_empty());
    assert!(events_before.goals.iter().all(|g| g.conversions > 0));

    // Rollups outliving raw rows need raw retention; a shorter rollup retention is refused.
    assert!(c
        .execute(
            "UPDATE services SET rollup_retention_days = 10 WHERE id = $1",
            &[&svc]
        )
        .await
        .is_err());
    c.execute(
        "UPDATE services SET raw_retention_days = 30 WHERE id = $1",
        &[&svc],
    )
    .await
    .unwrap();
    drop(c);
    let mut conn = pool.get().await.unwrap();
    let report = aggregator::retention::run(&mut conn).await.unwrap();
    assert!(
        report.hits_deleted > 0 && report.sessions_deleted > 0,
        "{report:?}"
    );
    // Every service has retention, so the emptied months' partitions were dropped too.
    assert!(report.partitions_dropped > 0, "{report:?}");
    let c = pool.get().await.unwrap();
    let raw_left: i64 = c
        .query_one("SELECT count(*) FROM hits WHERE service_id = $1", &[&svc])
        .await
        .unwrap()
        .get(0);
    assert_eq!(raw_left, 0);
    let since = stats::raw_available_since(&**c, svc).await.unwrap();
    assert!(since.is_some_and(|s| s > w.end));

    // Whole local days in an hour-aligned zone: exactly the same figures from rollups alone.
    let after = stats::scalars_many(&**c, &svcs, &w).await.unwrap()[&svc];
    assert_eq!(after.session_count, before.session_count);
    assert_eq!(after.hit_count, before.hit_count);
    assert!(close(after.avg_load_time, before.avg_load_time));
    assert!(close(
        after.avg_session_duration,
        before.avg_session_duration
    ));
    assert_eq!(
        stats::tables(&**c, svc, &w, None).await.unwrap(),
        tables_before
    );
    assert_eq!(
        chart::charts_many(&**c, &svcs, &w, tz, Utc::now())
            .await
            .unwrap(),
        chart_before
    );
    assert!(stats::has_hits(&**c, svc).await.unwrap());
    // Events and goals too (page goals need the sessions and hits that are gone now).
    assert_eq!(
        stats::event_stats(&**c, svc, &w).await.unwrap(),
        events_before
    );
    // Session lists are gone with the raw rows.
    let page = stats::sessions::sessions_page(
        &**c,
        svc,
        &w,
        0,
        10,
        Duration::seconds(10),
        Utc::now(),
        &stats::filters::Filters::none(),
    )
    .await
    .unwrap();
    assert_eq!(page.total, 0);

    // Rollup retention then removes the rollups too.
    c.execute(
        "UPDATE services SET rollup_retention_days = 35 WHERE id = $1",
        &[&svc],
    )
    .await
    .unwrap();
    drop(c);
    let report = aggregator::retention::run(&mut conn).await.unwrap();
    assert!(report.rollup_rows_deleted > 0, "{report:?}");
    let after = stats::scalars_many(&**conn, &svcs, &w).await.unwrap()[&svc];
    assert_eq!(after.hit_count, 0);
    for table in [
        "rollup_events_hourly",
        "rollup_events_daily",
        "rollup_goals_hourly",
        "rollup_goals_daily",
    ] {
        let n: i64 = conn
            .query_one(
                &format!("SELECT count(*) FROM {table} WHERE service_id = $1"),
                &[&svc],
            )
            .await
            .unwrap()
            .get(0);
        assert_eq!(n, 0, "{table} obeys the rollup retention");
    }
    let goals = stats::goals::goals(&**conn, svc, &w).await.unwrap();
    assert!(goals.iter().all(|g| g.conversions == 0), "{goals:?}");
}

#[tokio::test]
async fn partitions_are_monthly_and_strays_move_out_of_the_default() {
    let (pool, _) = common::fresh_db().await;
    let svcs = services(&pool, 1).await;
    let c = pool.get().await.unwrap();
    let month = |t: DateTime<Utc>| format!("hits_y{}", t.format("%Ym%m"));
    let now = Utc::now();
    let exists = |name: String| {
        let c = &c;
        async move {
            c.query_one("SELECT to_regclass($1) IS NOT NULL", &[&name])
                .await
                .unwrap()
                .get::<_, bool>(0)
        }
    };
    assert!(exists(month(now)).await);
    assert!(exists(month(now + Duration::days(62))).await);
    // A row from 2019 lands in the default partition, and moves to its month on upkeep.
    let old = Utc.with_ymd_and_hms(2019, 5, 4, 3, 2, 1).unwrap();
    c.execute(
        "INSERT INTO hits (session_id, service_id, initial, start_time, last_seen, tracker)
         VALUES ($1, $2, true, $3, $3, 'JS')",
        &[&Uuid::new_v4(), &svcs[0], &old],
    )
    .await
    .unwrap();
    let in_default: i64 = c
        .query_one("SELECT count(*) FROM hits_default", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(in_default, 1);
    let created = aggregator::retention::ensure_partitions(&c).await.unwrap();
    assert!(created >= 1);
    let in_default: i64 = c
        .query_one("SELECT count(*) FROM hits_default", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(in_default, 0);
    let in_month: i64 = c
        .query_one("SELECT count(*) FROM hits_y2019m05", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(in_month, 1);
    // Calling again changes nothing.
    assert_eq!(
        aggregator::retention::ensure_partitions(&c).await.unwrap(),
        0
    );
}

/// A signed-batch-shaped beacon at `time_ms` (edge beacons carry their own time).
fn late_beacon(svc: Uuid, visitor: u8, time_ms: i64, idem: &str, page: &str) -> Enriched {
    let ua = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36";
    Enriched::new(
        Beacon {
            service: svc,
            time_ms,
            tracker: Tracker::Js,
            identifier: String::new(),
            idempotency: Some(idem.into()),
            location: page.into(),
            referrer: String::new(),
            load_time: Some(120.0),
            user_agent: ua.into(),
            visitor: VisitorKey([visitor; 16]),
            previous_visitor: None,
            ip: None,
            geo: Geo {
                country: "DE".into(),
                ..Geo::default()
            },
            event: None,
        },
        Arc::new(UaClassifier::new().unwrap().classify(ua)),
        &Default::default(),
    )
}

/// Applies `beacons` as one edge batch through the edge write path (batch id, then the writer).
async fn write_batch(pool: &Pool, id: &str, beacons: &[Enriched]) {
    let verdict = apply::apply(
        pool,
        &Batch {
            beacons,
            marks: Some(Marks {
                batch_id: id,
                fences: &[],
                messages: &[],
            }),
        },
        TIMEOUT,
        &IngestMetrics::default(),
    )
    .await;
    assert_eq!(
        verdict,
        apply::Verdict::Applied {
            written: beacons.len(),
            skipped: 0
        }
    );
}

async fn dirty_hours(pool: &Pool) -> Vec<(Uuid, DateTime<Utc>)> {
    let c = pool.get().await.unwrap();
    c.query(
        "SELECT service_id, hour FROM rollup_dirty ORDER BY 1, 2",
        &[],
    )
    .await
    .unwrap()
    .into_iter()
    .map(|r| (r.get(0), r.get(1)))
    .collect()
}

#[tokio::test]
async fn late_beacon_through_the_writer_marks_its_hour_dirty() {
    let (pool, _) = common::fresh_db().await;
    let svc = services(&pool, 1).await[0];
    // An hour that closed long ago (its end is older than the session timeout).
    let now = Utc::now();
    let hour = now.duration_trunc(Duration::hours(1)).unwrap() - Duration::hours(3);
    let at = |mins: i64| (hour + Duration::minutes(mins)).timestamp_millis();
    write_batch(
        &pool,
        "on-time",
        &[late_beacon(svc, 1, at(10), "v1-p1", "https://a.example/1")],
    )
    .await;
    let p = catch_up(&pool).await;
    assert!(
        p.watermark.is_some_and(|w| w >= hour + Duration::hours(1)),
        "the hour was rolled up: {p:?}"
    );
    // The writer does not know the watermark, so it listed this old hour already; the first
    // pass started at that hour and leaves the entry to the next one.
    catch_up(&pool).await;
    assert!(dirty_hours(&pool).await.is_empty());

    // A delayed batch: visitor 1's second page (a longer session, no longer a bounce) and a new
    // visitor, both in the rolled hour.
    write_batch(
        &pool,
        "delayed",
        &[
            late_beacon(svc, 1, at(25), "v1-p2", "https://a.example/2"),
            late_beacon(svc, 2, at(30), "v2-p1", "https://a.example/1"),
        ],
    )
    .await;
    assert_eq!(
        dirty_hours(&pool).await,
        vec![(svc, hour)],
        "the writer listed the rolled hour for a re-roll"
    );
    let p = catch_up(&pool).await;
    assert_eq!(p.rerolled, 1, "{p:?}");
    assert!(dirty_hours(&pool).await.is_empty());
    {
        let c = pool.get().await.unwrap();
        let r = c
            .query_one(
                "SELECT sessions, bounces, hits FROM rollup_hours WHERE service_id = $1 AND hour = $2",
                &[&svc, &hour],
            )
            .await
            .unwrap();
        let got: (i64, i64, i64) = (r.get(0), r.get(1), r.get(2));
        assert_eq!(
            got,
            (2, 1, 3),
            "sessions, bounces, hits of the re-rolled hour"
        );
        // Visitor 1's session went on to page 2: its exit page moved, and the re-roll of the
        // session's start hour counts it there.
        let exits: Vec<(String, i64)> = c
            .query(
                "SELECT key, count FROM rollup_dims_hourly
                 WHERE service_id = $1 AND hour = $2 AND dim = $3 ORDER BY key",
                &[&svc, &hour, &stats::dimensions::EXIT_PAGE.code],
            )
            .await
            .unwrap()
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
        assert_eq!(
            exits,
            [
                ("https://a.example/1".to_owned(), 1),
                ("https://a.example/2".to_owned(), 1)
            ]
        );
    }
    let tz: Tz = "UTC".parse().unwrap();
    for w in [
        Window {
            start: hour,
            end: hour + Duration::hours(1),
        },
        Window {
            start: hour - Duration::days(1),
            end: now,
        },
    ] {
        assert_same(
            &pool,
            &[svc],
            &w,
            tz,
            &format!("after the late batch, {w:?}"),
        )
        .await;
    }
}

/// Rows written in the past while the very first pass runs: the pass looked for the oldest row
/// before they existed, so it will set the watermark past them. The rewind their writer issues
/// afterwards must wait for that pass and then move the watermark back over them (it used to
/// see the unset watermark in its snapshot, match nothing and return at once).
#[tokio::test]
async fn a_rewind_during_the_first_pass_waits_and_rewinds_after_it() {
    let (pool, _) = common::fresh_db().await;
    let mut pass = pool.get().await.unwrap();
    let tx = pass.transaction().await.unwrap();
    let unset: Option<DateTime<Utc>> = tx
        .query_one(
            "SELECT watermark FROM rollup_state WHERE id FOR UPDATE",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(unset, None, "a fresh database has rolled nothing up");

    let past = Utc::now() - Duration::days(3);
    let writer = pool.clone();
    let rewind = tokio::spawn(async move {
        let c = writer.get().await.unwrap();
        rollup::rewind(&**c, past).await.unwrap();
    });
    common::wait_for_waiting_statement(&pool, "UPDATE rollup_state").await;
    // The pass found no rows and ends at the closed hours.
    let close = Utc::now().duration_trunc(Duration::hours(1)).unwrap() - Duration::hours(1);
    tx.execute("UPDATE rollup_state SET watermark = $1 WHERE id", &[&close])
        .await
        .unwrap();
    tx.commit().await.unwrap();
    rewind.await.unwrap();

    let c = pool.get().await.unwrap();
    let w: DateTime<Utc> = c
        .query_one("SELECT watermark FROM rollup_state WHERE id", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(w, past.duration_trunc(Duration::hours(1)).unwrap());
    // With no pass running, a rewind of an unset watermark leaves it unset.
    let (fresh, _) = common::fresh_db().await;
    let c = fresh.get().await.unwrap();
    rollup::rewind(&**c, past).await.unwrap();
    let w: Option<DateTime<Utc>> = c
        .query_one("SELECT watermark FROM rollup_state WHERE id", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(w, None);
}

/// A writer marking an hour dirty never waits for a rollup pass that has taken the same hour:
/// the pass keeps the rows it took until it commits (minutes on a very busy site), and with a
/// key on the table every batch continuing a long session stalled behind it. The mark made
/// meanwhile survives the pass, so the next pass re-rolls the hour.
#[tokio::test]
async fn marking_an_hour_dirty_does_not_wait_for_a_pass_that_took_it() {
    let (pool, _) = common::fresh_db().await;
    let svc = Uuid::new_v4();
    let c = pool.get().await.unwrap();
    c.execute(
        "INSERT INTO rollup_dirty (service_id, hour)
         VALUES ($1, date_trunc('hour', now() - interval '3 hours', 'UTC'))",
        &[&svc],
    )
    .await
    .unwrap();
    let mut a = pool.get().await.unwrap();
    let pass = a.transaction().await.unwrap();
    let taken = pass
        .query(
            "DELETE FROM rollup_dirty WHERE service_id = $1 RETURNING hour",
            &[&svc],
        )
        .await
        .unwrap();
    assert_eq!(taken.len(), 1);
    let hour_ms = taken[0].get::<_, DateTime<Utc>>(0).timestamp_millis();

    let mut b = pool.get().await.unwrap();
    let writer = b.transaction().await.unwrap();
    writer
        .batch_execute("SET LOCAL lock_timeout = '5s'")
        .await
        .unwrap();
    aggregator::writer::store::mark_dirty(&writer, &[(svc, hour_ms)], 1800.0)
        .await
        .expect("the mark waited for the pass");
    writer.commit().await.unwrap();
    pass.commit().await.unwrap();
    let left: i64 = c
        .query_one(
            "SELECT count(*) FROM rollup_dirty WHERE service_id = $1",
            &[&svc],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(left, 1);
}

/// The maintenance job re-rolls a dirty hour only once its first mark has settled, so a session
/// live for hours does not keep re-rolls of its start hour running back to back (each one a long
/// transaction on a busy site, during which vacuum reclaims nothing); `run_pass` still re-rolls
/// at once. The rolled figures meanwhile lag the raw rows, by at most the settling time.
#[tokio::test]
async fn a_dirty_hour_is_rerolled_once_its_marks_have_settled() {
    let (pool, _) = common::fresh_db().await;
    let svc = services(&pool, 1).await[0];
    let hour = (Utc::now() - Duration::hours(6))
        .duration_trunc(Duration::hours(1))
        .unwrap();
    let id = session_with(&pool, svc, hour + Duration::minutes(10), &["/"], &[]).await;
    catch_up(&pool).await;
    let bounces = format!(
        "SELECT bounces FROM rollup_hours WHERE service_id = '{svc}' AND hour = '{}'",
        hour.to_rfc3339()
    );
    assert_eq!(count(&pool, &bounces).await, 1);
    // The session goes on: a second page view, and the writer marks the start hour dirty.
    let c = pool.get().await.unwrap();
    c.execute(
        "UPDATE sessions SET hit_count = 2, is_bounce = false WHERE id = $1",
        &[&id],
    )
    .await
    .unwrap();
    mark_dirty(&c, svc, hour).await;
    let p = settled_pass(&pool).await;
    assert_eq!(p.rerolled, 0, "a fresh mark waits: {p:?}");
    assert_eq!(count(&pool, "SELECT count(*) FROM rollup_dirty").await, 1);
    assert_eq!(
        count(&pool, &bounces).await,
        1,
        "the rolled hour lags the raw rows meanwhile"
    );
    // The mark is older than the settling time now.
    c.execute(
        "UPDATE rollup_dirty SET marked_at = now() - make_interval(secs => $1::float8 + 1)",
        &[&rollup::REROLL_SETTLE_SECS],
    )
    .await
    .unwrap();
    let p = settled_pass(&pool).await;
    assert_eq!(p.rerolled, 1, "{p:?}");
    assert_eq!(count(&pool, "SELECT count(*) FROM rollup_dirty").await, 0);
    assert_eq!(count(&pool, &bounces).await, 0);
    // Without settling, a new mark is re-rolled at once.
    mark_dirty(&c, svc, hour).await;
    let mut m = pool.get().await.unwrap();
    let p = rollup::run_pass(&mut m, TIMEOUT, 24).await.unwrap();
    assert_eq!(p.rerolled, 1, "{p:?}");
}

async fn settled_pass(pool: &Pool) -> rollup::Pass {
    let mut c = pool.get().await.unwrap();
    rollup::run_pass_settled(&mut c, TIMEOUT, 24, rollup::REROLL_SETTLE_SECS)
        .await
        .unwrap()
}

/// Marks `hour` of `svc` dirty, as the writer does for a late change.
async fn mark_dirty(c: &tokio_postgres::Client, svc: Uuid, hour: DateTime<Utc>) {
    c.execute(
        "INSERT INTO rollup_dirty (service_id, hour) VALUES ($1, $2)",
        &[&svc, &hour],
    )
    .await
    .unwrap();
}

/// Asserts that every closed month's rows equal the sums of its daily rows, and returns how many
/// monthly rows there are.
async fn assert_months_sum_their_days(pool: &Pool, what: &str) -> i64 {
    let c = pool.get().await.unwrap();
    let row = c
        .query_one(
            "WITH m AS (SELECT service_id, month, dim, key, count FROM rollup_dims_monthly),
             d AS (SELECT service_id, date_trunc('month', day)::date, dim, key, sum(count)::int8
                   FROM rollup_dims_daily
                   WHERE day < date_trunc('month', (SELECT (watermark AT TIME ZONE 'UTC')::date
                                                    FROM rollup_state))::date
                   GROUP BY 1, 2, 3, 4)
             SELECT (SELECT count(*) FROM ((SELECT * FROM m EXCEPT ALL SELECT * FROM d)
                                           UNION ALL (SELECT * FROM d EXCEPT ALL SELECT * FROM m)) x),
                    (SELECT count(*) FROM m)",
            &[],
        )
        .await
        .unwrap();
    let (mismatched, rows): (i64, i64) = (row.get(0), row.get(1));
    assert_eq!(mismatched, 0, "{what}: monthly rows differ from their days");
    rows
}

/// Whole calendar months come from the monthly rows: the same figures as raw rows over months
/// in several zones, also after late changes were re-rolled into a closed month; and the monthly
/// rows equal the sums of their days throughout, also after rollup retention cut a month in two.
#[tokio::test]
async fn whole_months_answer_exactly_like_raw_rows() {
    let (pool, _) = common::fresh_db().await;
    let svcs = services(&pool, 2).await;
    let mut rng = StdRng::seed_from_u64(0x300a7);
    let base = Utc.with_ymd_and_hms(2024, 1, 20, 0, 0, 0).unwrap();
    let span = 75 * 24;
    for s in &svcs {
        random_data(&pool, &mut rng, *s, base, span, 300, 0.33).await;
    }
    let p = catch_up(&pool).await;
    assert!(!p.busy && !p.behind, "{p:?}");
    let rows = assert_months_sum_their_days(&pool, "after the catch-up").await;
    assert!(rows > 100, "February and March have monthly rows ({rows})");
    let fixed = [
        ("UTC", "2024-02-01", "2024-03-31"),
        ("America/New_York", "2024-01-25", "2024-03-10"),
        ("Asia/Kolkata", "2024-02-01", "2024-04-02"),
    ];
    let mut windows: Vec<(Window, Tz)> = fixed
        .iter()
        .map(|(z, a, b)| {
            let tz: Tz = z.parse().unwrap();
            let w = window::from_dates(Some(a), Some(b), tz, Utc::now()).unwrap();
            (w, tz)
        })
        .collect();
    for _ in 0..6 {
        let tz: Tz = ZONES[rng.random_range(0..ZONES.len())].parse().unwrap();
        let d0 = (base + Duration::days(rng.random_range(-2..20)))
            .with_timezone(&tz)
            .date_naive();
        let d1 = d0 + Duration::days(rng.random_range(30..70));
        let (a, b) = (d0.to_string(), d1.to_string());
        windows.push((
            window::from_dates(Some(&a), Some(&b), tz, Utc::now()).unwrap(),
            tz,
        ));
    }
    for (w, tz) in &windows {
        assert_same(&pool, &svcs, w, *tz, &format!("{w:?} in {tz}")).await;
    }

    // Ten days of February go (what an erasure does to raw rows), re-rolled through the dirty
    // list into a month that is already closed.
    pool.get()
        .await
        .unwrap()
        .batch_execute(
            "CREATE TEMP TABLE gone AS SELECT id FROM sessions
              WHERE start_time >= '2024-02-10' AND start_time < '2024-02-20';
             INSERT INTO rollup_dirty (service_id, hour)
             SELECT service_id, date_trunc('hour', start_time, 'UTC') FROM sessions
              WHERE id IN (SELECT id FROM gone)
             UNION SELECT service_id, date_trunc('hour', start_time, 'UTC') FROM hits
              WHERE session_id IN (SELECT id FROM gone)
             ON CONFLICT DO NOTHING;
             DELETE FROM events WHERE session_id IN (SELECT id FROM gone);
             DELETE FROM hits WHERE session_id IN (SELECT id FROM gone);
             DELETE FROM sessions WHERE id IN (SELECT id FROM gone);",
        )
        .await
        .unwrap();
    let p = catch_up(&pool).await;
    assert!(p.rerolled > 0, "{p:?}");
    assert_months_sum_their_days(&pool, "after the re-roll").await;
    for (w, tz) in &windows {
        assert_same(&pool, &svcs, w, *tz, &format!("after the re-roll, {w:?}")).await;
    }

    // Rollup retention cuts March in two for one service: its earlier months go, and March
    // keeps the sum of the days left.
    let keep = (Utc::now().date_naive() - "2024-03-15".parse::<chrono::NaiveDate>().unwrap())
        .num_days() as i32;
    let c = pool.get().await.unwrap();
    c.execute(
        "UPDATE services SET raw_retention_days = $2, rollup_retention_days = $2 WHERE id = $1",
        &[&svcs[0], &keep],
    )
    .await
    .unwrap();
    drop(c);
    let report = aggregator::retention::run(&mut pool.get().await.unwrap())
        .await
        .unwrap();
    assert!(report.rollup_rows_deleted > 0, "{report:?}");
    assert_months_sum_their_days(&pool, "after rollup retention").await;
    let months: Vec<String> = pool
        .get()
        .await
        .unwrap()
        .query(
            "SELECT DISTINCT month::text FROM rollup_dims_monthly WHERE service_id = $1 ORDER BY 1",
            &[&svcs[0]],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(
        months,
        ["2024-03-01", "2024-04-01"],
        "the months before the one cut in two are gone"
    );
    // The next run purges no day, and rewrites no monthly row (their row versions stay).
    let versions = "SELECT array_agg(ctid::text ORDER BY ctid) FROM rollup_dims_monthly";
    let before: Vec<String> = pool
        .get()
        .await
        .unwrap()
        .query_one(versions, &[])
        .await
        .unwrap()
        .get(0);
    let report = aggregator::retention::run(&mut pool.get().await.unwrap())
        .await
        .unwrap();
    assert_eq!(report.rollup_rows_deleted, 0, "{report:?}");
    let after: Vec<String> = pool
        .get()
        .await
        .unwrap()
        .query_one(versions, &[])
        .await
        .unwrap()
        .get(0);
    assert!(
        before == after,
        "a run without a purged day rewrote monthly rows ({} versions before, {} after)",
        before.len(),
        after.len()
    );
}
