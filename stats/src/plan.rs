//! Splits a stats window into what rollups answer and what raw rows answer. Windows are strict
//! (`start < t < end`); rollups hold whole UTC hours [h, h+1h). Whole hours that lie inside the
//! window and before the rollup watermark come from rollups (whole UTC days of them from the daily
//! dimension rows); the partial hour at the start and everything from the last whole hour (or the
//! watermark) to the end come from raw rows. Where a service's raw rows were purged by retention,
//! an edge that would need them is rounded out to its whole rollup hour instead (documented on the
//! service page: totals stay, drill-down stops).

use crate::window::Window;
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};

/// Where figures come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Rollups for closed hours, raw rows for the rest (what the dashboard uses).
    Auto,
    /// Raw rows only: the reference the rollup path is tested against.
    Raw,
}

/// The pieces of one window for one service.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ReadPlan {
    /// Raw segments, strict bounds (lo < t < hi); at most two.
    pub raw: Vec<(DateTime<Utc>, DateTime<Utc>)>,
    /// Rollup hours [lo, hi), if any.
    pub hours: Option<(DateTime<Utc>, DateTime<Utc>)>,
    /// Hour ranges [lo, hi) read from the hourly dimension rows (the parts of `hours` outside
    /// whole UTC days).
    pub dim_hours: Vec<(DateTime<Utc>, DateTime<Utc>)>,
    /// UTC days [lo, hi) read from the daily dimension rows.
    pub dim_days: Option<(NaiveDate, NaiveDate)>,
    /// An edge was rounded to whole hours because its raw rows are gone.
    pub approximate: bool,
}

const HOUR: i64 = 3600;

fn at(secs: i64, micros: u32) -> DateTime<Utc> {
    Utc.timestamp_opt(secs, micros * 1000)
        .single()
        .unwrap_or_default()
}

/// Start of the UTC hour containing `t`.
pub fn floor_hour(t: DateTime<Utc>) -> DateTime<Utc> {
    at(t.timestamp().div_euclid(HOUR) * HOUR, 0)
}

/// The first hour start strictly after `t`.
pub fn next_hour_after(t: DateTime<Utc>) -> DateTime<Utc> {
    floor_hour(t) + Duration::hours(1)
}

pub(crate) fn day_start(d: NaiveDate) -> DateTime<Utc> {
    d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()
}

/// A raw-only plan.
pub fn raw_only(w: &Window) -> ReadPlan {
    ReadPlan {
        raw: vec![(w.start, w.end)],
        hours: None,
        dim_hours: Vec::new(),
        dim_days: None,
        approximate: false,
    }
}

/// Plans `w` given the rollup watermark and the instant before which this service's raw rows
/// were purged.
pub fn plan(
    w: &Window,
    watermark: Option<DateTime<Utc>>,
    purged_before: Option<DateTime<Utc>>,
) -> ReadPlan {
    let Some(wm) = watermark else {
        return raw_only(w);
    };
    let purged = |t: DateTime<Utc>| purged_before.is_some_and(|p| t < p);
    let mut approximate = false;
    let mut h0 = next_hour_after(w.start);
    let end_floor = floor_hour(w.end);
    let mut h1 = end_floor.min(wm);
    // Raw rows of the head edge are gone: take the whole hour containing the start.
    if purged(w.start) && h0 - Duration::hours(1) < wm && w.start < w.end {
        h0 -= Duration::hours(1);
        approximate = true;
    }
    // Raw rows of a tail edge shorter than an hour are gone: take the hour containing the end.
    if h1 == end_floor && h1 < w.end && purged(h1) && h1 + Duration::hours(1) <= wm {
        h1 += Duration::hours(1);
        approximate = true;
    }
    if h0 >= h1 {
        return ReadPlan {
            approximate: false,
            ..raw_only(w)
        };
    }
    let mut raw = Vec::new();
    if w.start < h0 {
        raw.push((w.start, h0));
    }
    if h1 < w.end {
        // [h1, end): strict lower bound one microsecond earlier (Postgres' resolution).
        raw.push((h1 - Duration::microseconds(1), w.end));
    }
    let d0 = {
        let d = h0.date_naive();
        if day_start(d) == h0 {
            d
        } else {
            d + Duration::days(1)
        }
    };
    let d1 = h1.date_naive();
    let (dim_hours, dim_days) = if d0 < d1 {
        let mut v = Vec::new();
        if h0 < day_start(d0) {
            v.push((h0, day_start(d0)));
        }
        if day_start(d1) < h1 {
            v.push((day_start(d1), h1));
        }
        (v, Some((d0, d1)))
    } else {
        (vec![(h0, h1)], None)
    };
    ReadPlan {
        raw,
        hours: Some((h0, h1)),
        dim_hours,
        dim_days,
        approximate,
    }
}

impl ReadPlan {
    /// The raw segments padded to exactly two (empty ones never match), for fixed-shape SQL.
    pub fn raw_pair(&self) -> [(DateTime<Utc>, DateTime<Utc>); 2] {
        let empty = (DateTime::<Utc>::default(), DateTime::<Utc>::default());
        [
            self.raw.first().copied().unwrap_or(empty),
            self.raw.get(1).copied().unwrap_or(empty),
        ]
    }

    /// The hourly dimension ranges padded to exactly two.
    pub fn dim_hour_pair(&self) -> [(DateTime<Utc>, DateTime<Utc>); 2] {
        let empty = (DateTime::<Utc>::default(), DateTime::<Utc>::default());
        [
            self.dim_hours.first().copied().unwrap_or(empty),
            self.dim_hours.get(1).copied().unwrap_or(empty),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn splits_into_edges_hours_and_days() {
        let w = Window {
            start: t("2024-01-01T05:00:00Z"),
            end: t("2024-01-04T04:59:59.999999Z"),
        };
        let p = plan(&w, Some(t("2024-02-01T00:00:00Z")), None);
        assert_eq!(
            p.raw,
            vec![
                (w.start, t("2024-01-01T06:00:00Z")),
                (t("2024-01-04T03:59:59.999999Z"), w.end)
            ]
        );
        assert_eq!(
            p.hours,
            Some((t("2024-01-01T06:00:00Z"), t("2024-01-04T04:00:00Z")))
        );
        assert_eq!(
            p.dim_days,
            Some((
                NaiveDate::from_ymd_opt(2024, 1, 2).unwrap(),
                NaiveDate::from_ymd_opt(2024, 1, 4).unwrap()
            ))
        );
        assert_eq!(
            p.dim_hours,
            vec![
                (t("2024-01-01T06:00:00Z"), t("2024-01-02T00:00:00Z")),
                (t("2024-01-04T00:00:00Z"), t("2024-01-04T04:00:00Z"))
            ]
        );
    }

    #[test]
    fn watermark_bounds_rollups_and_none_means_raw() {
        let w = Window {
            start: t("2024-01-01T00:00:00Z"),
            end: t("2024-01-01T10:30:00Z"),
        };
        assert_eq!(plan(&w, None, None), raw_only(&w));
        let p = plan(&w, Some(t("2024-01-01T03:00:00Z")), None);
        assert_eq!(
            p.hours,
            Some((t("2024-01-01T01:00:00Z"), t("2024-01-01T03:00:00Z")))
        );
        assert_eq!(p.raw[1].1, w.end);
        let p = plan(&w, Some(t("2024-01-01T01:00:00Z")), None);
        assert_eq!(p, raw_only(&w));
    }

    #[test]
    fn purged_edges_round_to_whole_hours() {
        let w = Window {
            start: t("2024-01-01T00:30:00Z"),
            end: t("2024-01-01T05:30:00Z"),
        };
        let p = plan(
            &w,
            Some(t("2024-06-01T00:00:00Z")),
            Some(t("2024-03-01T00:00:00Z")),
        );
        assert!(p.approximate);
        assert!(p.raw.is_empty());
        assert_eq!(
            p.hours,
            Some((t("2024-01-01T00:00:00Z"), t("2024-01-01T06:00:00Z")))
        );
    }
}
