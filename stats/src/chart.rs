//! The hits/sessions time series behind the service chart and the overview sparklines: hourly
//! buckets for windows under three days, daily otherwise, in the install's time zone, zero-filled
//! up to now. Hour buckets are computed from each row's own UTC offset, so the two 01:00 hours of
//! a DST fall-back stay apart and the skipped hour of a spring-forward simply does not exist.

use crate::figures::StatsError;
use crate::plan::Source;
use crate::window::Window;
use chrono::{DateTime, Duration, NaiveDate, Offset, TimeZone, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use std::collections::HashMap;
use tokio_postgres::GenericClient;
use uuid::Uuid;

/// Most points one chart holds: daily buckets of the longest window
/// ([`crate::window::MAX_WINDOW_DAYS`]) plus one for a comparison period that a DST shift
/// spreads over one more local day. Hourly charts (under three days) stay far below it. Windows
/// built directly rather than from dates stop at this many points instead of growing with them.
pub const MAX_POINTS: usize = crate::window::MAX_WINDOW_DAYS as usize + 1;

/// Bucket size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Granularity {
    /// One bucket per local hour.
    Hourly,
    /// One bucket per local calendar day.
    Daily,
}

impl Granularity {
    /// Hourly under three days, daily otherwise (Shynet's rule).
    pub fn for_window(w: &Window) -> Granularity {
        if w.end - w.start < Duration::days(3) {
            Granularity::Hourly
        } else {
            Granularity::Daily
        }
    }
}

/// One bucket.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Point {
    /// Start of the bucket.
    pub start: DateTime<Utc>,
    /// Local day (daily buckets), for links that open that day.
    pub day: Option<NaiveDate>,
    /// Shynet's label: `YYYY-MM-DD` daily, `YYYY-MM-DD HH:MM:SS+HH:MM` hourly.
    pub label: String,
    /// Sessions that started in the bucket.
    pub sessions: i64,
    /// Hits in the bucket.
    pub hits: i64,
}

/// A zero-filled series.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Chart {
    /// Bucket size.
    pub granularity: Granularity,
    /// Buckets in time order.
    pub points: Vec<Point>,
}

fn offset_secs(tz: Tz, t: DateTime<Utc>) -> i64 {
    tz.offset_from_utc_datetime(&t.naive_utc())
        .fix()
        .local_minus_utc() as i64
}

/// Start of the local hour containing `t` (same formula as the SQL below).
pub fn hour_start(tz: Tz, t: DateTime<Utc>) -> DateTime<Utc> {
    let off = offset_secs(tz, t);
    let e = t.timestamp();
    let b = (e + off).div_euclid(3600) * 3600 - off;
    Utc.timestamp_opt(b, 0).single().unwrap_or(t)
}

/// The buckets of `w` that have begun by `now`, empty.
pub fn empty_points(w: &Window, tz: Tz, now: DateTime<Utc>) -> (Granularity, Vec<Point>) {
    let g = Granularity::for_window(w);
    let mut out = Vec::new();
    match g {
        Granularity::Hourly => {
            let mut t = hour_start(tz, w.start);
            while t < w.end && t <= now && out.len() < MAX_POINTS {
                let local = t.with_timezone(&tz);
                out.push(Point {
                    start: t,
                    day: None,
                    label: local.format("%Y-%m-%d %H:%M:%S%:z").to_string(),
                    sessions: 0,
                    hits: 0,
                });
                t = hour_start(tz, t + Duration::hours(1));
            }
        }
        Granularity::Daily => {
            let first = w.start.with_timezone(&tz).date_naive();
            let last = w.end.min(now).with_timezone(&tz).date_naive();
            let mut d = first;
            while d <= last && out.len() < MAX_POINTS {
                out.push(Point {
                    start: crate::window::local_midnight(tz, d),
                    day: Some(d),
                    label: d.format("%Y-%m-%d").to_string(),
                    sessions: 0,
                    hits: 0,
                });
                match d.succ_opt() {
                    Some(n) => d = n,
                    None => break,
                }
            }
        }
    }
    (g, out)
}

const HOURLY: &str = "
SELECT service_id, (floor((e + off) / 3600) * 3600 - off)::float8 AS b, count(*)
FROM (SELECT service_id, extract(epoch FROM start_time) AS e,
             extract(epoch FROM (start_time AT TIME ZONE $4) - (start_time AT TIME ZONE 'UTC')) AS off
      FROM {table} WHERE service_id = ANY($1)
       AND ((start_time > $2 AND start_time < $3) OR (start_time > $5 AND start_time < $6))) t
GROUP BY 1, 2";

const DAILY: &str = "
SELECT service_id, (start_time AT TIME ZONE $4)::date AS d, count(*)
FROM {table} WHERE service_id = ANY($1)
 AND ((start_time > $2 AND start_time < $3) OR (start_time > $5 AND start_time < $6))
GROUP BY 1, 2";

/// Rollup hours as local-hour buckets (valid when every hour of the range is a local hour).
const ROLLUP_HOURLY: &str = "
SELECT service_id, extract(epoch FROM hour)::float8, sessions, hits
FROM rollup_hours WHERE service_id = ANY($1) AND hour >= $2 AND hour < $3";

/// Rollup hours summed per local day, except the hours a local midnight falls inside ($5, see
/// [`day_straddles`]), which [`DAILY_IN_HOURS`] reads from raw rows.
const ROLLUP_DAILY: &str = "
SELECT service_id, (hour AT TIME ZONE $4)::date, sum(sessions)::int8, sum(hits)::int8
FROM rollup_hours WHERE service_id = ANY($1) AND hour >= $2 AND hour < $3
 AND NOT (hour = ANY($5::timestamptz[]))
GROUP BY 1, 2";

/// Raw rows of the given UTC hours per local day (each row in its own day).
const DAILY_IN_HOURS: &str = "
SELECT t.service_id, (t.start_time AT TIME ZONE $3)::date AS d, count(*)
FROM unnest($2::timestamptz[]) AS u(h)
JOIN {table} t ON t.service_id = ANY($1) AND t.start_time >= u.h
                AND t.start_time < u.h + interval '1 hour'
GROUP BY 1, 2";

/// The UTC hours in [lo, hi) that a local midnight of `tz` falls strictly inside (one per day
/// in zones such as Asia/Kolkata, none in whole-hour zones): a daily chart cannot give such an
/// hour's rollup to one day, so it reads its raw rows and the other hours from rollups.
pub fn day_straddles(tz: Tz, lo: DateTime<Utc>, hi: DateTime<Utc>) -> Vec<DateTime<Utc>> {
    let mut out = Vec::new();
    let mut d = lo.with_timezone(&tz).date_naive();
    let last = hi.with_timezone(&tz).date_naive();
    while d <= last {
        let m = crate::window::local_midnight(tz, d);
        let h = crate::plan::floor_hour(m);
        if lo <= h && h < hi && h != m {
            out.push(h);
        }
        match d.succ_opt() {
            Some(n) => d = n,
            None => break,
        }
    }
    out
}

/// Whether every UTC hour in [lo, hi) is also a whole local hour of `tz` (true for zones whose
/// offsets are whole hours; false for e.g. Asia/Kolkata, whose hourly charts then read raw rows
/// and daily charts the raw rows of the hours around each local midnight). The
/// offset is sampled every six hours, far more often than any zone changes it.
pub fn hour_aligned(tz: Tz, lo: DateTime<Utc>, hi: DateTime<Utc>) -> bool {
    let mut t = lo;
    loop {
        if offset_secs(tz, t) % 3600 != 0 {
            return false;
        }
        if t >= hi {
            return true;
        }
        t = (t + Duration::hours(6)).min(hi);
    }
}

/// Series of several services over one window.
pub async fn charts_many<C: GenericClient>(
    client: &C,
    services: &[Uuid],
    w: &Window,
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<HashMap<Uuid, Chart>, StatsError> {
    charts_many_with(client, services, w, tz, now, Source::Auto).await
}

/// [`charts_many`] from the given source. Rollup hours are used only where the zone's offset is
/// a whole number of hours; otherwise the chart reads raw rows.
pub async fn charts_many_with<C: GenericClient>(
    client: &C,
    services: &[Uuid],
    w: &Window,
    tz: Tz,
    now: DateTime<Utc>,
    source: Source,
) -> Result<HashMap<Uuid, Chart>, StatsError> {
    let (g, empty) = empty_points(w, tz, now);
    let tz_name = tz.name();
    let mut out: HashMap<Uuid, Chart> = services
        .iter()
        .map(|id| {
            (
                *id,
                Chart {
                    granularity: g,
                    points: empty.clone(),
                },
            )
        })
        .collect();
    let index_by_start: HashMap<i64, usize> = empty
        .iter()
        .enumerate()
        .map(|(i, p)| (p.start.timestamp(), i))
        .collect();
    let index_by_day: HashMap<NaiveDate, usize> = empty
        .iter()
        .enumerate()
        .filter_map(|(i, p)| p.day.map(|d| (d, i)))
        .collect();
    let bucket = |r: &tokio_postgres::Row| match g {
        Granularity::Hourly => {
            let b: f64 = r.get(1);
            index_by_start.get(&(b as i64)).copied()
        }
        Granularity::Daily => {
            let d: NaiveDate = r.get(1);
            index_by_day.get(&d).copied()
        }
    };
    for (mut p, ids) in crate::scalars::plans(client, services, w, source).await? {
        let mut straddles = Vec::new();
        if let Some((lo, hi)) = p.hours {
            if !hour_aligned(tz, lo, hi) {
                match g {
                    // Every UTC hour is split between two local hours: read raw rows (hourly
                    // charts cover less than three days).
                    Granularity::Hourly => p = crate::plan::raw_only(w),
                    Granularity::Daily => straddles = day_straddles(tz, lo, hi),
                }
            }
        }
        if !straddles.is_empty() {
            for (table, is_hits) in [("sessions", false), ("hits", true)] {
                let sql = DAILY_IN_HOURS.replace("{table}", table);
                for r in client.query(&sql, &[&ids, &straddles, &tz_name]).await? {
                    let id: Uuid = r.get(0);
                    let n: i64 = r.get(2);
                    if let (Some(i), Some(c)) = (bucket(&r), out.get_mut(&id)) {
                        if let Some(p) = c.points.get_mut(i) {
                            if is_hits {
                                p.hits += n;
                            } else {
                                p.sessions += n;
                            }
                        }
                    }
                }
            }
        }
        if !p.raw.is_empty() {
            let [(a, b), (c, d)] = p.raw_pair();
            for (table, is_hits) in [("sessions", false), ("hits", true)] {
                let sql = match g {
                    Granularity::Hourly => HOURLY,
                    Granularity::Daily => DAILY,
                }
                .replace("{table}", table);
                for r in client
                    .query(&sql, &[&ids, &a, &b, &tz_name, &c, &d])
                    .await?
                {
                    let id: Uuid = r.get(0);
                    let n: i64 = r.get(2);
                    if let (Some(i), Some(c)) = (bucket(&r), out.get_mut(&id)) {
                        if let Some(p) = c.points.get_mut(i) {
                            if is_hits {
                                p.hits += n;
                            } else {
                                p.sessions += n;
                            }
                        }
                    }
                }
            }
        }
        if let Some((lo, hi)) = p.hours {
            let rows = match g {
                Granularity::Hourly => client.query(ROLLUP_HOURLY, &[&ids, &lo, &hi]).await?,
                Granularity::Daily => {
                    client
                        .query(ROLLUP_DAILY, &[&ids, &lo, &hi, &tz_name, &straddles])
                        .await?
                }
            };
            for r in rows {
                let id: Uuid = r.get(0);
                let (s, h): (i64, i64) = (r.get(2), r.get(3));
                if let (Some(i), Some(c)) = (bucket(&r), out.get_mut(&id)) {
                    if let Some(p) = c.points.get_mut(i) {
                        p.sessions += s;
                        p.hits += h;
                    }
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn straddling_hours_are_those_a_local_midnight_splits() {
        let k: Tz = "Asia/Kolkata".parse().unwrap();
        let h = day_straddles(k, utc("2024-01-01T00:00:00Z"), utc("2024-01-04T00:00:00Z"));
        assert_eq!(
            h,
            vec![
                utc("2024-01-01T18:00:00Z"),
                utc("2024-01-02T18:00:00Z"),
                utc("2024-01-03T18:00:00Z")
            ]
        );
        let n: Tz = "Asia/Kathmandu".parse().unwrap();
        let h = day_straddles(n, utc("2024-01-01T00:00:00Z"), utc("2024-01-02T00:00:00Z"));
        assert_eq!(h, vec![utc("2024-01-01T18:00:00Z")]);
        let b: Tz = "Europe/Berlin".parse().unwrap();
        assert!(
            day_straddles(b, utc("2024-03-29T00:00:00Z"), utc("2024-04-02T00:00:00Z")).is_empty()
        );
    }

    #[test]
    fn granularity_rule() {
        let w = |h| Window {
            start: utc("2024-01-01T00:00:00Z"),
            end: utc("2024-01-01T00:00:00Z") + Duration::hours(h),
        };
        assert_eq!(Granularity::for_window(&w(71)), Granularity::Hourly);
        assert_eq!(Granularity::for_window(&w(72)), Granularity::Daily);
    }

    #[test]
    fn fall_back_has_two_one_oclock_hours() {
        let tz: Tz = "America/New_York".parse().unwrap();
        // 2024-11-03: 01:00-02:00 EDT then 01:00-02:00 EST.
        let w = Window {
            start: utc("2024-11-03T04:00:00Z"),
            end: utc("2024-11-03T08:00:00Z"),
        };
        let (_, p) = empty_points(&w, tz, utc("2030-01-01T00:00:00Z"));
        let labels: Vec<_> = p.iter().map(|p| p.label.as_str()).collect();
        assert_eq!(
            labels,
            [
                "2024-11-03 00:00:00-04:00",
                "2024-11-03 01:00:00-04:00",
                "2024-11-03 01:00:00-05:00",
                "2024-11-03 02:00:00-05:00"
            ]
        );
    }

    #[test]
    fn spring_forward_skips_an_hour_and_days_fill_to_now() {
        let tz: Tz = "Europe/Berlin".parse().unwrap();
        let w = Window {
            start: utc("2024-03-30T23:00:00Z"),
            end: utc("2024-03-31T03:00:00Z"),
        };
        let (_, p) = empty_points(&w, tz, utc("2030-01-01T00:00:00Z"));
        let labels: Vec<_> = p.iter().map(|p| &p.label[11..]).collect();
        assert_eq!(
            labels,
            [
                "00:00:00+01:00",
                "01:00:00+01:00",
                "03:00:00+02:00",
                "04:00:00+02:00"
            ]
        );
        let w = Window {
            start: utc("2024-03-01T00:00:00Z"),
            end: utc("2024-03-31T00:00:00Z"),
        };
        let (g, p) = empty_points(&w, tz, utc("2024-03-10T12:00:00Z"));
        assert_eq!(g, Granularity::Daily);
        assert_eq!(p.first().unwrap().label, "2024-03-01");
        assert_eq!(p.last().unwrap().label, "2024-03-10");
    }

    #[test]
    fn points_are_bounded() {
        let tz: Tz = "America/New_York".parse().unwrap();
        let now = utc("2030-01-01T00:00:00Z");
        let longest = crate::window::from_dates(
            Some("2020-01-01"),
            Some(
                &(NaiveDate::from_ymd_opt(2020, 1, 1).unwrap()
                    + Duration::days(crate::window::MAX_WINDOW_DAYS - 1))
                .to_string(),
            ),
            tz,
            now,
        )
        .unwrap();
        let (_, p) = empty_points(&longest, tz, now);
        assert_eq!(p.len() as i64, crate::window::MAX_WINDOW_DAYS);
        let (_, p) = empty_points(&crate::window::previous(&longest), tz, now);
        assert!(p.len() <= MAX_POINTS);
        let huge = Window {
            start: utc("1970-01-01T00:00:00Z"),
            end: utc("2029-12-31T00:00:00Z"),
        };
        assert_eq!(empty_points(&huge, tz, now).1.len(), MAX_POINTS);
    }

    #[test]
    fn half_hour_zones_bucket_on_local_hours() {
        let tz: Tz = "Asia/Kolkata".parse().unwrap();
        assert_eq!(
            hour_start(tz, utc("2024-01-01T10:10:00Z")),
            utc("2024-01-01T09:30:00Z")
        );
    }
}
