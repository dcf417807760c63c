//! The stats module on hand-built fixtures in a real Postgres, with every expected figure worked
//! out by hand in the comments: bounce rate, durations, load time, strict window bounds, hits
//! windowed by their own time, time-zone day buckets across midnight, DST hours, comparisons,
//! referrer hiding before the cut, session pages and details.

mod common;

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use deadpool_postgres::Pool;
use stats::dimensions::{COUNTRY, LOCATION, REFERRER};
use stats::window::{self, Window};
use stats::{chart, sessions as srows};
use uuid::Uuid;

fn t(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

struct Fx {
    pool: Pool,
    svc: Uuid,
}

impl Fx {
    async fn new() -> Fx {
        let (pool, _) = common::fresh_db().await;
        let c = pool.get().await.unwrap();
        let svc = common::owned_service(&c, "m@example.com", "M").await;
        drop(c);
        Fx { pool, svc }
    }

    /// A session with hits at the given offsets (seconds from `start`) and load times.
    async fn session(
        &self,
        start: &str,
        last_seen_secs: i64,
        hits: &[(i64, Option<f64>, &str)],
        country: &str,
    ) -> Uuid {
        let c = self.pool.get().await.unwrap();
        let id = Uuid::new_v4();
        let s = t(start);
        c.execute(
            "INSERT INTO sessions (id, service_id, start_time, last_seen, country, hit_count, is_bounce)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[&id, &self.svc, &s, &(s + Duration::seconds(last_seen_secs)), &country, &(hits.len() as i32), &(hits.len() == 1)],
        )
        .await
        .unwrap();
        for (i, (off, load, referrer)) in hits.iter().enumerate() {
            let h = s + Duration::seconds(*off);
            c.execute(
                "INSERT INTO hits (session_id, service_id, initial, start_time, last_seen, tracker, location, referrer, load_time)
                 VALUES ($1, $2, $3, $4, $4, 'JS', $5, $6, $7)",
                &[&id, &self.svc, &(i == 0), &h, &format!("https://example.com/{i}"), referrer, load],
            )
            .await
            .unwrap();
        }
        id
    }
}

const NO: Option<f64> = None;

#[tokio::test]
async fn scalars_bounce_duration_load_and_strict_bounds() {
    let fx = Fx::new().await;
    let w = Window {
        start: t("2024-05-01T00:00:00Z"),
        end: t("2024-05-02T00:00:00Z"),
    };
    // A: 3 hits, 300 s; B: 1 hit, 0 s (bounce); C: 1 hit, 60 s (bounce, heartbeats only).
    fx.session(
        "2024-05-01T10:00:00Z",
        300,
        &[(0, Some(100.0), ""), (60, Some(200.0), ""), (120, NO, "")],
        "DE",
    )
    .await;
    fx.session("2024-05-01T11:00:00Z", 0, &[(0, Some(300.0), "")], "FR")
        .await;
    fx.session("2024-05-01T12:00:00Z", 60, &[(0, NO, "")], "")
        .await;
    // Exactly on the bounds: excluded (strict).
    fx.session("2024-05-01T00:00:00Z", 10, &[(0, Some(999.0), "")], "US")
        .await;
    fx.session("2024-05-02T00:00:00Z", 10, &[(0, Some(999.0), "")], "US")
        .await;
    // A session that started before the window; its second hit falls inside it.
    fx.session(
        "2024-04-30T23:59:00Z",
        120,
        &[(0, NO, ""), (120, Some(400.0), "")],
        "US",
    )
    .await;
    let c = fx.pool.get().await.unwrap();
    let s = stats::scalars_many(&**c, &[fx.svc], &w).await.unwrap()[&fx.svc];
    // Sessions A, B, C (the bound sessions and the early one are out).
    assert_eq!(s.session_count, 3);
    // Hits: A 3 + B 1 + C 1 + the early session's 2nd hit (23:59 + 120 s = 00:01) = 6.
    assert_eq!(s.hit_count, 6);
    // Bounces B and C: 2 / 3.
    assert!((s.bounce_rate_pct.unwrap() - 200.0 / 3.0).abs() < 1e-9);
    // (300 + 0 + 60) / 3 = 120 s.
    assert!((s.avg_session_duration.unwrap() - 120.0).abs() < 1e-9);
    // Load times inside: 100, 200, 300, 400 → 250 (NULLs ignored).
    assert!((s.avg_load_time.unwrap() - 250.0).abs() < 1e-9);
    assert!((s.avg_hits_per_session.unwrap() - 2.0).abs() < 1e-9);
    // An empty window: zero counts, undefined averages.
    let empty = Window {
        start: t("2020-01-01T00:00:00Z"),
        end: t("2020-01-02T00:00:00Z"),
    };
    let e = stats::scalars_many(&**c, &[fx.svc], &empty).await.unwrap()[&fx.svc];
    assert_eq!((e.session_count, e.hit_count), (0, 0));
    assert_eq!(
        (e.bounce_rate_pct, e.avg_session_duration, e.avg_load_time),
        (None, None, None)
    );
    // The comparison window is the equal period just before: 2024-04-30 whole day holds the
    // early session (23:59 start) and the session exactly at 05-01 00:00 is in neither.
    let p = stats::previous(&w);
    assert_eq!(
        (p.start, p.end),
        (t("2024-04-30T00:00:00Z"), t("2024-05-01T00:00:00Z"))
    );
    let ps = stats::scalars_many(&**c, &[fx.svc], &p).await.unwrap()[&fx.svc];
    assert_eq!((ps.session_count, ps.hit_count), (1, 1));
    // The formatted badge: 3 sessions vs 1 → ↑ 200%.
    let b = dashboard::format::badge(
        Some(s.session_count as f64),
        Some(ps.session_count as f64),
        dashboard::format::Better::Higher,
    );
    assert_eq!(b.text, "↑ 200%");
    // Tables: countries by session.
    let tb = stats::tables(&**c, fx.svc, &w, None).await.unwrap();
    let countries: Vec<_> = tb
        .rows(&COUNTRY)
        .iter()
        .map(|r| (r.key.as_str(), r.count))
        .collect();
    assert_eq!(countries, [("", 1), ("DE", 1), ("FR", 1)]);
    assert_eq!(tb.rows(&LOCATION)[0].key, "https://example.com/0");
    assert_eq!(tb.rows(&LOCATION)[0].count, 3);
}

#[tokio::test]
async fn referrers_are_hidden_before_the_cut() {
    let fx = Fx::new().await;
    let w = Window {
        start: t("2024-05-01T00:00:00Z"),
        end: t("2024-05-02T00:00:00Z"),
    };
    // 301 distinct hidden referrers (more than the 300-row cut) and one visible.
    for i in 0..301 {
        let r = format!("https://spam.example/{i}");
        fx.session("2024-05-01T10:00:00Z", 0, &[(0, NO, r.as_str())], "")
            .await;
    }
    fx.session(
        "2024-05-01T11:00:00Z",
        0,
        &[(0, NO, "https://news.example/")],
        "",
    )
    .await;
    fx.session("2024-05-01T11:00:00Z", 0, &[(0, NO, "")], "")
        .await;
    let c = fx.pool.get().await.unwrap();
    let re = stats::referrer::compile_lenient("https://spam\\.example");
    let tb = stats::tables(&**c, fx.svc, &w, re.as_ref()).await.unwrap();
    let keys: Vec<_> = tb.rows(&REFERRER).iter().map(|r| r.key.as_str()).collect();
    assert_eq!(keys.len(), 2);
    assert!(keys.contains(&"https://news.example/") && keys.contains(&""));
    assert_eq!(tb.entry_count, 303);
    // Anchored at the start: a pattern for the middle hides nothing.
    let re = stats::referrer::compile_lenient("spam");
    assert_eq!(
        stats::tables(&**c, fx.svc, &w, re.as_ref())
            .await
            .unwrap()
            .rows(&REFERRER)
            .len(),
        300
    );
}

#[tokio::test]
async fn days_are_local_across_midnight() {
    let fx = Fx::new().await;
    let ny: Tz = "America/New_York".parse().unwrap();
    // 2024-01-10 03:30Z is 22:30 on Jan 9 in New York; 05:30Z is 00:30 on Jan 10.
    fx.session("2024-01-10T03:30:00Z", 0, &[(0, NO, "")], "")
        .await;
    fx.session("2024-01-10T05:30:00Z", 0, &[(0, NO, ""), (10, NO, "")], "")
        .await;
    let now = t("2024-06-01T00:00:00Z");
    let w = window::from_dates(Some("2024-01-08"), Some("2024-01-11"), ny, now).unwrap();
    let c = fx.pool.get().await.unwrap();
    let ch = chart::charts_many(&**c, &[fx.svc], &w, ny, now)
        .await
        .unwrap()
        .remove(&fx.svc)
        .unwrap();
    assert_eq!(ch.granularity, chart::Granularity::Daily);
    let got: Vec<_> = ch
        .points
        .iter()
        .map(|p| (p.label.as_str(), p.sessions, p.hits))
        .collect();
    assert_eq!(
        got,
        [
            ("2024-01-08", 0, 0),
            ("2024-01-09", 1, 1),
            ("2024-01-10", 1, 2),
            ("2024-01-11", 0, 0)
        ]
    );
    // The same rows in UTC fall on one day (four days: daily buckets).
    let wu =
        window::from_dates(Some("2024-01-08"), Some("2024-01-11"), chrono_tz::UTC, now).unwrap();
    let ch = chart::charts_many(&**c, &[fx.svc], &wu, chrono_tz::UTC, now)
        .await
        .unwrap()
        .remove(&fx.svc)
        .unwrap();
    let got: Vec<_> = ch
        .points
        .iter()
        .map(|p| (p.label.as_str(), p.sessions))
        .collect();
    assert_eq!(
        got,
        [
            ("2024-01-08", 0),
            ("2024-01-09", 0),
            ("2024-01-10", 2),
            ("2024-01-11", 0)
        ]
    );
    // Under three days (Shynet's "Last 3 days" is 2 days + today, just under 72 h): hourly.
    let w3 =
        window::from_dates(Some("2024-01-09"), Some("2024-01-11"), chrono_tz::UTC, now).unwrap();
    assert_eq!(
        chart::Granularity::for_window(&w3),
        chart::Granularity::Hourly
    );
}

#[tokio::test]
async fn hours_stay_apart_across_a_dst_change() {
    let fx = Fx::new().await;
    let ny: Tz = "America/New_York".parse().unwrap();
    // 2024-11-03: 05:30Z = 01:30 EDT, 06:30Z = 01:30 EST (clocks went back at 06:00Z).
    fx.session("2024-11-03T05:30:00Z", 0, &[(0, NO, "")], "")
        .await;
    fx.session("2024-11-03T06:30:00Z", 0, &[(0, NO, ""), (60, NO, "")], "")
        .await;
    let now = t("2024-12-01T00:00:00Z");
    let w = window::from_dates(Some("2024-11-03"), Some("2024-11-03"), ny, now).unwrap();
    // A local day of 25 hours.
    assert_eq!(
        w.end - w.start,
        Duration::hours(25) - Duration::microseconds(1)
    );
    let c = fx.pool.get().await.unwrap();
    let ch = chart::charts_many(&**c, &[fx.svc], &w, ny, now)
        .await
        .unwrap()
        .remove(&fx.svc)
        .unwrap();
    assert_eq!(ch.granularity, chart::Granularity::Hourly);
    assert_eq!(ch.points.len(), 25);
    let nonzero: Vec<_> = ch
        .points
        .iter()
        .filter(|p| p.sessions + p.hits > 0)
        .map(|p| (p.label.as_str(), p.sessions, p.hits))
        .collect();
    assert_eq!(
        nonzero,
        [
            ("2024-11-03 01:00:00-04:00", 1, 1),
            ("2024-11-03 01:00:00-05:00", 1, 2)
        ]
    );
    // Zero-filled only up to now.
    let now = t("2024-11-03T07:10:00Z");
    let ch = chart::charts_many(&**c, &[fx.svc], &w, ny, now)
        .await
        .unwrap()
        .remove(&fx.svc)
        .unwrap();
    assert_eq!(ch.points.last().unwrap().label, "2024-11-03 02:00:00-05:00");
}

#[tokio::test]
async fn session_pages_and_details() {
    let fx = Fx::new().await;
    let w = Window {
        start: t("2024-05-01T00:00:00Z"),
        end: t("2024-05-02T00:00:00Z"),
    };
    let mut ids = Vec::new();
    for h in 0..25 {
        ids.push(
            fx.session(
                &format!("2024-05-01T{:02}:{:02}:00Z", h % 24, 1 + h / 24),
                30,
                &[(0, Some(10.0), ""), (30, NO, "https://r.example/")],
                "",
            )
            .await,
        );
    }
    let c = fx.pool.get().await.unwrap();
    let now = t("2024-05-01T23:01:20Z");
    let p1 = srows::sessions_page(
        &**c,
        fx.svc,
        &w,
        0,
        20,
        Duration::seconds(10),
        now,
        &stats::filters::Filters::none(),
    )
    .await
    .unwrap();
    assert_eq!(p1.total, 25);
    assert_eq!(p1.rows.len(), 20);
    assert!(
        p1.rows
            .windows(2)
            .all(|w| w[0].start_time >= w[1].start_time),
        "newest first"
    );
    assert_eq!(p1.rows[0].start_time, t("2024-05-01T23:01:00Z"));
    // Seen at 23:01:30, within 10 s of 23:01:20: online.
    assert!(p1.rows[0].online);
    assert!(!p1.rows[5].online);
    assert_eq!(p1.rows[0].hit_count, 2);
    assert_eq!(p1.rows[0].duration, 30.0);
    let p2 = srows::sessions_page(
        &**c,
        fx.svc,
        &w,
        20,
        20,
        Duration::seconds(10),
        now,
        &stats::filters::Filters::none(),
    )
    .await
    .unwrap();
    assert_eq!(p2.rows.len(), 5);
    let d = srows::session_detail(&**c, fx.svc, ids[3], (0, 100), Duration::seconds(10), now)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(d.hits.len(), 2);
    assert_eq!(d.hits[0].referrer, "https://r.example/", "newest hit first");
    assert_eq!(d.hits[1].load_time, Some(10.0));
    assert_eq!(d.ip, None);
    // Another service's id does not find it.
    assert!(srows::session_detail(
        &**c,
        Uuid::new_v4(),
        ids[3],
        (0, 100),
        Duration::seconds(10),
        now
    )
    .await
    .unwrap()
    .is_none());
    let (rows, total) = srows::locations_page(&**c, fx.svc, &w, 0, 1).await.unwrap();
    assert_eq!((rows.len(), total), (1, 2));
    assert_eq!(rows[0].count, 25);
}
