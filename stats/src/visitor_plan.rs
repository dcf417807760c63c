//! Where a window's distinct visitors come from. Visitor keys change with the daily salt, so
//! visitors are distinct within a UTC day and added up over days; a day's count cannot be summed
//! from its hours. Whole UTC days before the watermark come from the rollup job's daily count.
//! A window's partial first and last days (local midnight is rarely UTC midnight) come from
//! the per-hour first and last counts ([`crate::rollup_visitors`]) where their edge falls on an
//! hour (whole-hour zones), and from raw sessions otherwise: edges in the middle of an hour
//! (+5:30, +5:45, −3:30), the day of the watermark and the open tail after it, and rows near
//! purged raw data.

use crate::plan::{day_start, floor_hour, next_hour_after};
use crate::window::Window;
use chrono::{DateTime, Duration, NaiveDate, Utc};

/// How a window's visitors are read.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct VisitorPlan {
    /// Raw segments, strict bounds (lo < t < hi); at most two.
    pub raw: Vec<(DateTime<Utc>, DateTime<Utc>)>,
    /// Whole UTC days [lo, hi) read from the daily visitor counts.
    pub days: Option<(NaiveDate, NaiveDate)>,
    /// A leading partial day read from the `lasts` of its hours: the part of the UTC day after
    /// this instant (exclusive: an hour start or one microsecond after one, as the previous
    /// period of a local-day window starts) to its end. The visitors whose last session of the
    /// day started between the hour start and the instant are taken off again.
    pub from_lasts: Option<DateTime<Utc>>,
    /// A trailing partial day read from the `firsts` of its hours: the part of the UTC day
    /// before this instant (exclusive), which is an hour start or one microsecond before one;
    /// the visitors whose first session of the day started in that last microsecond are taken
    /// off again.
    pub from_firsts: Option<DateTime<Utc>>,
    /// A partial day was counted whole because its raw rows are gone.
    pub approximate: bool,
}

impl VisitorPlan {
    fn raw_only(w: &Window) -> Self {
        VisitorPlan {
            raw: vec![(w.start, w.end)],
            days: None,
            from_lasts: None,
            from_firsts: None,
            approximate: false,
        }
    }

    /// The hours [lo, hi) whose `lasts` are summed.
    pub fn lasts_hours(&self) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        self.from_lasts
            .map(|a| (floor_hour(a), day_start(a.date_naive() + Duration::days(1))))
    }

    /// The hours [lo, hi) whose `firsts` are summed.
    pub fn firsts_hours(&self) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        self.from_firsts
            .map(|e| (day_start(e.date_naive()), ceil_hour(e)))
    }
}

/// The first hour start at or after `t`.
fn ceil_hour(t: DateTime<Utc>) -> DateTime<Utc> {
    if floor_hour(t) == t {
        t
    } else {
        next_hour_after(t)
    }
}

/// Plans the visitors of `w` given the rollup watermark and the instant before which this
/// service's raw rows were purged (then a partial day is counted as its whole day, the way
/// [`crate::plan::plan`] rounds a purged edge out to its hour).
pub fn visitor_plan(
    w: &Window,
    watermark: Option<DateTime<Utc>>,
    purged_before: Option<DateTime<Utc>>,
) -> VisitorPlan {
    let Some(wm) = watermark else {
        return VisitorPlan::raw_only(w);
    };
    let purged = |t: DateTime<Utc>| purged_before.is_some_and(|p| t < p);
    // Days before this one are complete in the rollups.
    let complete = wm.date_naive();
    let mut approximate = false;
    let mut d0 = w.start.date_naive() + Duration::days(1);
    let mut d1 = w.end.date_naive().min(complete);
    if purged(w.start) && w.start.date_naive() < complete && w.start < w.end {
        d0 -= Duration::days(1);
        approximate = true;
    }
    if day_start(d1) < w.end && purged(day_start(d1)) && d1 < complete {
        d1 += Duration::days(1);
        approximate = true;
    }
    // Both edges in one UTC day (or past the complete days): raw.
    if d0 > d1 || (d0 == d1 && approximate) {
        return VisitorPlan::raw_only(w);
    }
    let mut plan = VisitorPlan {
        raw: Vec::new(),
        days: (d0 < d1).then_some((d0, d1)),
        from_lasts: None,
        from_firsts: None,
        approximate,
    };
    // The leading partial day (complete, as d0 ≤ d1 ≤ complete).
    if w.start < day_start(d0) {
        let lead_day = day_start(d0 - Duration::days(1));
        if w.start - floor_hour(w.start) <= Duration::microseconds(1) && !purged(lead_day) {
            plan.from_lasts = Some(w.start);
        } else {
            plan.raw.push((w.start, day_start(d0)));
        }
    }
    // The trailing part: one partial day, unless the watermark lags a day behind the end.
    if day_start(d1) < w.end {
        let c = ceil_hour(w.end);
        if w.end.date_naive() == d1
            && c - w.end <= Duration::microseconds(1)
            && c <= wm
            && !purged(day_start(d1))
        {
            plan.from_firsts = Some(w.end);
        } else {
            plan.raw
                .push((day_start(d1) - Duration::microseconds(1), w.end));
        }
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2024, 1, d).unwrap()
    }

    /// New York's 1–3 January: whole-hour edges.
    fn new_york() -> Window {
        Window {
            start: t("2024-01-01T05:00:00Z"),
            end: t("2024-01-04T04:59:59.999999Z"),
        }
    }

    #[test]
    fn whole_hour_edges_read_the_first_and_last_counts() {
        let w = new_york();
        let p = visitor_plan(&w, Some(t("2024-02-01T00:00:00Z")), None);
        assert_eq!(p.days, Some((day(2), day(4))));
        assert!(p.raw.is_empty(), "{p:?}");
        assert_eq!(p.from_lasts, Some(w.start));
        assert_eq!(p.lasts_hours(), Some((w.start, t("2024-01-02T00:00:00Z"))));
        assert_eq!(p.from_firsts, Some(w.end));
        assert_eq!(
            p.firsts_hours(),
            Some((t("2024-01-04T00:00:00Z"), t("2024-01-04T05:00:00Z")))
        );
        // Two partial days and no whole one: both from counts.
        let two = Window {
            start: w.start,
            end: t("2024-01-02T04:59:59.999999Z"),
        };
        let p = visitor_plan(&two, Some(t("2024-02-01T00:00:00Z")), None);
        assert_eq!(p.days, None);
        assert!(p.raw.is_empty() && p.from_lasts.is_some() && p.from_firsts.is_some());
    }

    #[test]
    fn the_previous_period_of_a_local_day_window_reads_counts_too() {
        let prev = crate::window::previous(&new_york());
        assert_eq!(prev.start, t("2023-12-29T05:00:00.000001Z"));
        let p = visitor_plan(&prev, Some(t("2024-02-01T00:00:00Z")), None);
        assert!(p.raw.is_empty(), "{p:?}");
        assert_eq!(p.from_lasts, Some(prev.start));
        assert_eq!(
            p.lasts_hours(),
            Some((t("2023-12-29T05:00:00Z"), t("2023-12-30T00:00:00Z")))
        );
        assert_eq!(p.from_firsts, Some(prev.end));
        // Further into the hour: raw.
        let late = Window {
            start: prev.start + Duration::microseconds(1),
            end: prev.end,
        };
        let p = visitor_plan(&late, Some(t("2024-02-01T00:00:00Z")), None);
        assert_eq!(p.from_lasts, None);
        assert_eq!(p.raw, vec![(late.start, t("2023-12-30T00:00:00Z"))]);
    }

    #[test]
    fn the_watermark_decides_what_counts_can_answer() {
        let w = new_york();
        // The end's hours are not all rolled up: its day is raw.
        let p = visitor_plan(&w, Some(t("2024-01-04T04:00:00Z")), None);
        assert_eq!(p.from_firsts, None);
        assert_eq!(p.raw, vec![(t("2024-01-03T23:59:59.999999Z"), w.end)]);
        // They are, though the day is not complete: its firsts are final.
        let p = visitor_plan(&w, Some(t("2024-01-04T05:00:00Z")), None);
        assert_eq!(p.from_firsts, Some(w.end));
        // The watermark a day behind the end: whole days up to it, the rest raw.
        let p = visitor_plan(&w, Some(t("2024-01-03T10:00:00Z")), None);
        assert_eq!(p.days, Some((day(2), day(3))));
        assert_eq!(p.raw, vec![(t("2024-01-02T23:59:59.999999Z"), w.end)]);
        assert_eq!(p.from_lasts, Some(w.start));
        // Within one day, or without rollups: raw only.
        let short = Window {
            start: t("2024-01-01T05:00:00Z"),
            end: t("2024-01-01T09:00:00Z"),
        };
        let p = visitor_plan(&short, Some(t("2024-02-01T00:00:00Z")), None);
        assert_eq!(p, VisitorPlan::raw_only(&short));
        assert_eq!(visitor_plan(&w, None, None), VisitorPlan::raw_only(&w));
    }

    #[test]
    fn mid_hour_edges_are_raw() {
        // Kolkata's 1–3 January: days start at 18:30 UTC.
        let w = Window {
            start: t("2023-12-31T18:30:00Z"),
            end: t("2024-01-03T18:29:59.999999Z"),
        };
        let p = visitor_plan(&w, Some(t("2024-02-01T00:00:00Z")), None);
        assert_eq!(p.days, Some((day(1), day(3))));
        assert_eq!(p.from_lasts, None);
        assert_eq!(p.from_firsts, None);
        assert_eq!(
            p.raw,
            vec![
                (w.start, t("2024-01-01T00:00:00Z")),
                (t("2024-01-02T23:59:59.999999Z"), w.end)
            ]
        );
    }

    #[test]
    fn purged_partial_days_count_whole() {
        let w = new_york();
        let p = visitor_plan(
            &w,
            Some(t("2024-02-01T00:00:00Z")),
            Some(t("2024-01-20T00:00:00Z")),
        );
        assert!(p.approximate && p.raw.is_empty());
        assert_eq!((p.from_lasts, p.from_firsts), (None, None));
        assert_eq!(p.days, Some((day(1), day(5))));
        // Purged inside the leading day: its part after the edge is raw.
        let p = visitor_plan(
            &w,
            Some(t("2024-02-01T00:00:00Z")),
            Some(t("2024-01-01T03:00:00Z")),
        );
        assert_eq!(p.from_lasts, None);
        assert_eq!(p.raw, vec![(w.start, t("2024-01-02T00:00:00Z"))]);
    }
}
