//! Filtered figures against plain SQL: random sessions, hits and events; random windows in
//! whole-hour, DST and half-hour zones; random sets of filters (every operator, session, entry,
//! page and event fields, composite keys). Each filtered figure (scalars, visitors, tables, chart
//! buckets, the session list) must equal what a straightforward join over the raw rows gives,
//! and with no filter the filtered reader must equal the raw reader.

mod common;

use chrono::{DateTime, Duration, TimeZone, Utc};
use chrono_tz::Tz;
use deadpool_postgres::Pool;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use stats::chart::Granularity;
use stats::filters::{Filters, Syntax};
use stats::window::{self, Window};
use stats::{dimensions, filtered, top, Source};
use std::collections::BTreeMap;
use uuid::Uuid;

const ZONES: [&str; 4] = ["UTC", "Europe/Berlin", "Asia/Kolkata", "America/St_Johns"];
use common::traffic::{pick, PAGES, REFERRERS};

async fn service(pool: &Pool) -> Uuid {
    let c = pool.get().await.unwrap();
    common::owned_service(&c, "f@example.com", "F").await
}

/// `n` random sessions of `svc` in [base, base + 240 hours), most up to 90 minutes long, one
/// in twenty up to 40 hours (longer than a day: the readers find those through their own index).
async fn random_data(pool: &Pool, rng: &mut StdRng, svc: Uuid, base: DateTime<Utc>, n: usize) {
    let shape = common::traffic::Shape {
        from: base,
        to: base + Duration::hours(240),
        len: Duration::minutes(90),
        long_share: 0.05,
        long_len: Duration::hours(40),
        cap: None,
        events: &["signup", "play"],
    };
    shape.insert(&pool.get().await.unwrap(), rng, svc, n).await;
}

/// The only session from New Zealand, lasting 36 hours from
/// `start`, with one hit 30 hours in.
async fn long_session(pool: &Pool, svc: Uuid, start: DateTime<Utc>) {
    let c = pool.get().await.unwrap();
    let id = Uuid::new_v4();
    let last = start + Duration::hours(36);
    c.execute(
        "INSERT INTO sessions (id, service_id, start_time, last_seen, country, hit_count, \
         is_bounce) VALUES ($1, $2, $3, $4, 'NZ', 2, false)",
        &[&id, &svc, &start, &last],
    )
    .await
    .unwrap();
    let at = start + Duration::hours(30);
    c.execute(
        "INSERT INTO hits (session_id, service_id, initial, start_time, last_seen, tracker, \
         location, referrer) VALUES ($1, $2, false, $3, $3, 'JS', 'https://a.example/', '')",
        &[&id, &svc, &at],
    )
    .await
    .unwrap();
}

/// One random filter in URL syntax, and its plain-SQL reference condition: over the session
/// `s` with its entry hit `e` (session level), or over a hit `h` (page filters).
fn random_filter(rng: &mut StdRng) -> (String, String, bool) {
    let lit = |v: &str| format!("'{}'", v.replace('\'', "''"));
    let neg = rng.random_bool(0.3);
    let (bang, not) = if neg { ("!", "NOT ") } else { ("", "") };
    let region = "(CASE WHEN s.country = '' AND s.region = '' THEN '' WHEN s.region = '' \
                  THEN s.country WHEN s.country = '' THEN s.region \
                  ELSE s.country || ' / ' || s.region END)";
    let major = "split_part(s.browser_version, '.', 1)";
    let bv = format!(
        "(CASE WHEN s.browser = '' AND {major} = '' THEN '' WHEN {major} = '' THEN s.browser \
         WHEN s.browser = '' THEN {major} ELSE s.browser || ' / ' || {major} END)"
    );
    let path = |e: &str| {
        format!(
            "coalesce(nullif(regexp_replace(regexp_replace(coalesce({e}_clean, {e}), \
             '^[a-z]+://[^/?#]*', ''), '[?#].*$', ''), ''), '/')"
        )
    };
    match rng.random_range(0..12) {
        0 => {
            let v = pick(rng, &["", "DE", "US", "FR"]);
            (
                format!("country{bang}:{v}"),
                format!("{not}(s.country = {})", lit(v)),
                false,
            )
        }
        1 => {
            let v = pick(rng, &["Firefox", "Chrome", ""]);
            (
                format!("browser{bang}:{v}"),
                format!("{not}(s.browser = {})", lit(v)),
                false,
            )
        }
        2 => {
            let v = pick(rng, &["DE / Bavaria", "US", "Texas", ""]);
            (
                format!("region{bang}:{v}"),
                format!("{not}({region} = {})", lit(v)),
                false,
            )
        }
        3 => {
            let v = pick(rng, &["Chrome / 124", "Firefox", "Firefox / 17"]);
            (
                format!("browser_version{bang}:{v}"),
                format!("{not}({bv} = {})", lit(v)),
                false,
            )
        }
        4 => {
            let v = pick(rng, &["Direct", "Organic Search"]);
            (
                format!("channel{bang}:{v}"),
                format!("{not}(s.channel = {})", lit(v)),
                false,
            )
        }
        5 => {
            let v = pick(rng, &REFERRERS);
            (
                format!("referrer{bang}:{v}"),
                format!("{not}coalesce(e.referrer = {}, false)", lit(v)),
                false,
            )
        }
        6 => {
            let v = pick(rng, &["/blog/", "docs", "?x="]);
            (
                format!("entry_page{bang}~:{v}"),
                format!(
                    "{not}coalesce(position({} in coalesce(e.location_clean, e.location)) > 0, false)",
                    lit(v)
                ),
                false,
            )
        }
        7 => {
            let v = pick(rng, &["signup", "play"]);
            (
                format!("event{bang}:{v}"),
                format!(
                    "{not}(s.id IN (SELECT x.session_id FROM events x WHERE x.name = {}))",
                    lit(v)
                ),
                false,
            )
        }
        8 => {
            let v = pick(rng, &PAGES);
            (
                format!("page{bang}:{v}"),
                format!("{not}(coalesce(h.location_clean, h.location) = {})", lit(v)),
                true,
            )
        }
        10 => {
            let v = pick(rng, &["/blog", "/", "/docs/a"]);
            (
                format!("page_path{bang}^:{v}"),
                format!(
                    "{not}(left({}, {}) = {})",
                    path("h.location"),
                    v.len(),
                    lit(v)
                ),
                true,
            )
        }
        11 => {
            let v = pick(rng, &["/blog/two", "/", "/docs/a"]);
            (
                format!("entry_path{bang}:{v}"),
                // `e.initial` is NULL for a session without an entry hit (the long session),
                // which has no entry path: the path expression alone would make it "/".
                format!(
                    "{not}coalesce(e.initial AND {} = {}, false)",
                    path("e.location"),
                    lit(v)
                ),
                false,
            )
        }
        _ => {
            let v = pick(rng, &["/blog/", "docs", "example/"]);
            (
                format!("page{bang}~:{v}"),
                format!(
                    "{not}(position({} in coalesce(h.location_clean, h.location)) > 0)",
                    lit(v)
                ),
                true,
            )
        }
    }
}

/// The reference: the segment's sessions and hits in `w` as plain joins.
struct Reference {
    sessions: String,
    hits: String,
}

fn reference(conds: &[(String, String, bool)]) -> Reference {
    let session_conds: Vec<&str> = conds
        .iter()
        .filter(|c| !c.2)
        .map(|c| c.1.as_str())
        .collect();
    let page_conds: Vec<&str> = conds.iter().filter(|c| c.2).map(|c| c.1.as_str()).collect();
    let and = |v: &[&str]| {
        if v.is_empty() {
            "TRUE".to_owned()
        } else {
            v.join(" AND ")
        }
    };
    let own = and(&session_conds);
    let pages = and(&page_conds);
    let has_page = if page_conds.is_empty() {
        "TRUE".to_owned()
    } else {
        format!("s.id IN (SELECT h.session_id FROM hits h WHERE {pages})")
    };
    Reference {
        sessions: format!(
            "SELECT s.* FROM sessions s LEFT JOIN hits e ON e.session_id = s.id AND e.initial
             WHERE s.service_id = $1 AND s.start_time > $2 AND s.start_time < $3
               AND {own} AND {has_page}"
        ),
        hits: format!(
            "SELECT h.* FROM hits h JOIN sessions s ON s.id = h.session_id
             LEFT JOIN hits e ON e.session_id = s.id AND e.initial
             WHERE h.service_id = $1 AND h.start_time > $2 AND h.start_time < $3
               AND {own} AND {pages}"
        ),
    }
}

async fn rows_map(
    c: &tokio_postgres::Client,
    sql: &str,
    svc: Uuid,
    w: &Window,
) -> BTreeMap<String, i64> {
    c.query(sql, &[&svc, &w.start, &w.end])
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect()
}

async fn ranked_map(
    c: &tokio_postgres::Client,
    svc: Uuid,
    w: &Window,
    f: &Filters,
    d: &dimensions::Dimension,
) -> BTreeMap<String, i64> {
    let want = [top::Want {
        dim: d.code,
        offset: 0,
        limit: 10_000,
    }];
    let r = filtered::ranked(c, svc, w, f, &want).await.unwrap();
    r[d.index()]
        .rows
        .iter()
        .map(|r| (r.key.clone(), r.count))
        .collect()
}

async fn assert_filtered(
    pool: &Pool,
    svc: Uuid,
    w: &Window,
    tz: Tz,
    conds: &[(String, String, bool)],
) {
    let c = pool.get().await.unwrap();
    let items: Vec<&str> = conds.iter().map(|c| c.0.as_str()).collect();
    let f = Filters::parse(items.iter().copied(), Syntax::Url).unwrap();
    let what = format!("{f} over {w:?} in {tz}");
    let r = reference(conds);
    let p: [&(dyn tokio_postgres::types::ToSql + Sync); 3] = [&svc, &w.start, &w.end];
    let s = c
        .query_one(
            &format!(
                "SELECT count(*), count(*) FILTER (WHERE is_bounce),
                        coalesce(sum(extract(epoch FROM last_seen - start_time) * 1000000), 0)::int8,
                        count(DISTINCT ((start_time AT TIME ZONE 'UTC')::date, visitor))
                          FILTER (WHERE visitor IS NOT NULL)
                 FROM ({}) x",
                r.sessions
            ),
            &p,
        )
        .await
        .unwrap();
    let h = c
        .query_one(
            &format!(
                "SELECT count(*), coalesce(sum(load_time), 0), count(load_time) FROM ({}) x",
                r.hits
            ),
            &p,
        )
        .await
        .unwrap();
    let sums = filtered::sums(&**c, svc, w, &f).await.unwrap();
    assert_eq!(sums.sessions, s.get::<_, i64>(0), "{what}: sessions");
    assert_eq!(sums.bounces, s.get::<_, i64>(1), "{what}: bounces");
    assert_eq!(sums.duration_us, s.get::<_, i64>(2), "{what}: duration");
    assert_eq!(sums.hits, h.get::<_, i64>(0), "{what}: hits");
    assert!(
        (sums.load_time_sum - h.get::<_, f64>(1)).abs() < 1e-6,
        "{what}: load"
    );
    assert_eq!(
        sums.load_time_count,
        h.get::<_, i64>(2),
        "{what}: load count"
    );
    let v = filtered::visitors(&**c, svc, w, &f).await.unwrap();
    assert_eq!(v, s.get::<_, i64>(3), "{what}: visitors");
    // Tables: session, composite, hit and entry dimensions.
    let by = |expr: &str, from: &str| format!("SELECT {expr}, count(*) FROM ({from}) x GROUP BY 1");
    for (d, sql) in [
        (&dimensions::COUNTRY, by("country", &r.sessions)),
        (&dimensions::EXIT_PAGE, by("exit_page", &r.sessions)),
        (
            &dimensions::LOCATION,
            by("coalesce(location_clean, location)", &r.hits),
        ),
        (
            &dimensions::REFERRER,
            format!(
                "SELECT referrer, count(*) FROM ({}) x WHERE initial GROUP BY 1",
                r.hits
            ),
        ),
    ] {
        let want = rows_map(&c, &sql, svc, w).await;
        let got = ranked_map(&c, svc, w, &f, d).await;
        assert_eq!(got, want, "{what}: table {}", d.name);
    }
    // Events of the segment's sessions (their session_start is the session's start here).
    let want = rows_map(
        &c,
        &format!(
            "SELECT name, count(*) FROM events x
             WHERE x.session_id IN (SELECT id FROM ({}) y) GROUP BY 1",
            r.sessions
        ),
        svc,
        w,
    )
    .await;
    let got: BTreeMap<String, i64> = stats::filtered_events::events(&**c, svc, w, &f)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.key, e.count))
        .collect();
    assert_eq!(got, want, "{what}: events");
    // Goals: the segment's sessions that sent the event or viewed a matching page.
    let goals = stats::filtered_events::goals(&**c, svc, w, &f)
        .await
        .unwrap();
    if !goals.is_empty() {
        let n = |sql: String| {
            let c = &c;
            async move { c.query_one(&sql, &p).await.unwrap().get::<_, i64>(0) }
        };
        let signed = n(format!(
            "SELECT count(*) FROM ({}) y WHERE y.id IN (SELECT session_id FROM events
             WHERE name = 'signup')",
            r.sessions
        ))
        .await;
        let read = n(format!(
            "SELECT count(*) FROM ({}) y WHERE y.id IN (SELECT session_id FROM hits
             WHERE location <> '' AND location ~ '/blog/')",
            r.sessions
        ))
        .await;
        let got: BTreeMap<String, i64> = goals
            .iter()
            .map(|g| (g.name.clone(), g.conversions))
            .collect();
        let want = BTreeMap::from([
            ("Read the blog".to_owned(), read),
            ("Signed up".to_owned(), signed),
        ]);
        assert_eq!(got, want, "{what}: goals");
    }
    // These events carry no properties: the breakdown runs and finds none.
    let props = stats::filtered_events::event_props(&**c, svc, w, "signup", &f)
        .await
        .unwrap();
    assert!(props.is_empty(), "{what}: properties");
    // Chart: every bucket of a daily chart, the totals of an hourly one.
    let ch = filtered::chart(&**c, svc, w, tz, Utc::now(), &f)
        .await
        .unwrap();
    let total_s: i64 = ch.points.iter().map(|p| p.sessions).sum();
    let total_h: i64 = ch.points.iter().map(|p| p.hits).sum();
    assert_eq!(
        (total_s, total_h),
        (sums.sessions, sums.hits),
        "{what}: chart totals"
    );
    if ch.granularity == Granularity::Daily {
        let day_sql = format!(
            "SELECT ((start_time AT TIME ZONE '{}')::date)::text, count(*) FROM ({}) x GROUP BY 1",
            tz.name(),
            r.sessions
        );
        let want = rows_map(&c, &day_sql, svc, w).await;
        let got: BTreeMap<String, i64> = ch
            .points
            .iter()
            .filter(|p| p.sessions > 0)
            .map(|p| (p.label.clone(), p.sessions))
            .collect();
        assert_eq!(got, want, "{what}: daily sessions");
    }
    // The session list: the newest ten and the total.
    let page =
        stats::sessions::sessions_page(&**c, svc, w, 0, 10, Duration::minutes(10), Utc::now(), &f)
            .await
            .unwrap();
    assert_eq!(page.total, sums.sessions, "{what}: session total");
    let ids: Vec<Uuid> = c
        .query(
            &format!(
                "SELECT id FROM ({}) x ORDER BY start_time DESC, id LIMIT 10",
                r.sessions
            ),
            &p,
        )
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    let got: Vec<Uuid> = page.rows.iter().map(|r| r.id).collect();
    assert_eq!(got, ids, "{what}: session list");
}

fn random_window(rng: &mut StdRng, base: DateTime<Utc>) -> (Window, Tz) {
    let tz: Tz = ZONES[rng.random_range(0..ZONES.len())].parse().unwrap();
    let w = if rng.random_bool(0.5) {
        let d0 = (base + Duration::hours(rng.random_range(-24..240)))
            .with_timezone(&tz)
            .date_naive();
        let d1 = d0 + Duration::days(rng.random_range(0..8));
        window::from_dates(Some(&d0.to_string()), Some(&d1.to_string()), tz, Utc::now()).unwrap()
    } else {
        let a = base + Duration::minutes(rng.random_range(0..240 * 60));
        Window {
            start: a,
            end: a + Duration::minutes(rng.random_range(1..4 * 24 * 60)),
        }
    };
    (w, tz)
}

#[tokio::test]
async fn filtered_figures_equal_plain_sql_over_raw_rows() {
    let (pool, _) = common::fresh_db().await;
    let svc = service(&pool).await;
    let mut rng = StdRng::seed_from_u64(0x5e6_f11e);
    let base = Utc.with_ymd_and_hms(2024, 3, 25, 0, 0, 0).unwrap();
    random_data(&pool, &mut rng, svc, base, 400).await;
    // An event goal and a page goal.
    pool.get()
        .await
        .unwrap()
        .batch_execute(&format!(
            "INSERT INTO goals (service_id, name, event_name) VALUES ('{svc}', 'Signed up', 'signup');
             INSERT INTO goals (service_id, name, page_glob, page_regex)
             VALUES ('{svc}', 'Read the blog', '/blog/*', '/blog/')"
        ))
        .await
        .unwrap();
    // A session that started 30 hours before the window and still sends hits in it: those
    // hits belong to its segment (its sessions row is found through the long-sessions index).
    let start = base + Duration::hours(100);
    long_session(&pool, svc, start).await;
    // Rollups exist, so a filtered read that used them by mistake would differ from raw rows.
    {
        let mut c = pool.get().await.unwrap();
        stats::rollup::catch_up(&mut c, 1800.0, 24 * 3, |_| {})
            .await
            .unwrap();
    }
    for _ in 0..60 {
        let (w, tz) = random_window(&mut rng, base);
        let n = rng.random_range(1..=3);
        let conds: Vec<(String, String, bool)> = (0..n).map(|_| random_filter(&mut rng)).collect();
        assert_filtered(&pool, svc, &w, tz, &conds).await;
    }
    // Two page filters hold on the same hit.
    let w =
        window::from_dates(Some("2024-03-25"), Some("2024-04-05"), Tz::UTC, Utc::now()).unwrap();
    assert_filtered(
        &pool,
        svc,
        &w,
        Tz::UTC,
        &[
            (
                "page~:/blog/".into(),
                "(position('/blog/' in coalesce(h.location_clean, h.location)) > 0)".into(),
                true,
            ),
            (
                "page!~:?x=".into(),
                "NOT (position('?x=' in coalesce(h.location_clean, h.location)) > 0)".into(),
                true,
            ),
        ],
    )
    .await;
    let w = Window {
        start: start + Duration::hours(28),
        end: start + Duration::hours(34),
    };
    let nz = Filters::parse(["country:NZ"], Syntax::Url).unwrap();
    let c = pool.get().await.unwrap();
    for source in [Source::Auto, Source::Raw] {
        let sums = filtered::sums_with(&**c, svc, &w, &nz, source)
            .await
            .unwrap();
        assert_eq!(
            sums.hits, 1,
            "the long session's hit in the window ({source:?})"
        );
    }
    let cond = ("country:NZ".into(), "(s.country = 'NZ')".into(), false);
    assert_filtered(&pool, svc, &w, Tz::UTC, &[cond]).await;
}

#[tokio::test]
async fn no_filter_equals_the_raw_reader() {
    let (pool, _) = common::fresh_db().await;
    let svc = service(&pool).await;
    let mut rng = StdRng::seed_from_u64(7);
    let base = Utc.with_ymd_and_hms(2024, 10, 20, 0, 0, 0).unwrap();
    random_data(&pool, &mut rng, svc, base, 150).await;
    let c = pool.get().await.unwrap();
    let none = Filters::none();
    for _ in 0..10 {
        let (w, tz) = random_window(&mut rng, base);
        let now = Utc::now();
        let online = Duration::minutes(5);
        let raw = stats::core_stats_with(&**c, svc, &w, None, online, now, Source::Raw)
            .await
            .unwrap();
        let mut got = filtered::core_stats(&**c, svc, &w, None, online, now, &none)
            .await
            .unwrap();
        // Float sums may add up in another order: equal to 1e-9.
        let (a, b) = (got.avg_load_time, raw.avg_load_time);
        assert_eq!(a.is_some(), b.is_some(), "{w:?}");
        assert!((a.unwrap_or(0.0) - b.unwrap_or(0.0)).abs() < 1e-9, "{w:?}");
        got.avg_load_time = raw.avg_load_time;
        assert_eq!(got, raw, "{w:?}");
        let chart = stats::chart::charts_many_with(&**c, &[svc], &w, tz, now, Source::Raw)
            .await
            .unwrap()
            .remove(&svc)
            .unwrap();
        assert_eq!(
            filtered::chart(&**c, svc, &w, tz, now, &none)
                .await
                .unwrap(),
            chart
        );
    }
}
