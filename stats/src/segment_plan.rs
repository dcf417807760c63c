//! Splits a window into what segment rollups answer and what raw rows answer (the segment
//! counterpart of [`crate::plan`]). Segment rollups exist from the first covered day's start up
//! to the watermark: per hour for the scalar sums, per complete UTC day for the tables and
//! visitors, and per hour for the tables of the rolled hours of the day the watermark is in.
//! Raw pieces have strict bounds (`lo < t < hi`), like windows.
//!
//! Counts add up, so a table may also take a whole day's rollup rows and subtract the raw rows
//! of the part of that day outside the window: a dashboard window in a zone west of UTC starts
//! a few hours into a UTC day, and reading those few hours raw is cheaper than the rest of the
//! day. Distinct visitors do not subtract, so their plan takes whole days only.

use crate::plan::{day_start, floor_hour, next_hour_after};
use crate::window::Window;
use chrono::{DateTime, Duration, NaiveDate, Utc};

/// How far the segment rollups reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Coverage {
    /// Every hour before it is rolled up.
    pub watermark: DateTime<Utc>,
    /// The first UTC day covered.
    pub from: NaiveDate,
}

impl Coverage {
    /// The first day that is not complete (days before it have daily rows).
    fn open_day(&self) -> NaiveDate {
        self.watermark.date_naive()
    }

    /// Whether day `d` has daily rows.
    fn has_day(&self, d: NaiveDate) -> bool {
        self.from <= d && d < self.open_day()
    }
}

/// A raw piece: strict bounds and whether its counts are added (true) or subtracted.
pub type Piece = (DateTime<Utc>, DateTime<Utc>, bool);

/// What the scalar sums and the chart read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HourPlan {
    /// Segment hours [lo, hi).
    pub hours: Option<(DateTime<Utc>, DateTime<Utc>)>,
    /// Raw pieces, all added.
    pub raw: Vec<(DateTime<Utc>, DateTime<Utc>)>,
}

/// What the tables read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TablePlan {
    /// Daily rows of UTC days [lo, hi).
    pub days: Option<(NaiveDate, NaiveDate)>,
    /// Hourly table rows [lo, hi) (within the open day).
    pub hours: Option<(DateTime<Utc>, DateTime<Utc>)>,
    /// Raw pieces.
    pub raw: Vec<Piece>,
}

/// What the visitors read: whole days from rollups, the rest raw (in days of its own).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisitorPlan {
    /// Daily visitor rows of UTC days [lo, hi).
    pub days: Option<(NaiveDate, NaiveDate)>,
    /// Raw pieces, all added.
    pub raw: Vec<(DateTime<Utc>, DateTime<Utc>)>,
}

const MICRO: Duration = Duration::microseconds(1);

/// The strict raw piece for the half-open span [lo, hi).
fn half_open(lo: DateTime<Utc>, hi: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
    (lo - MICRO, hi)
}

/// Whole hours of the strict span (lo, hi) within the half-open `avail`, and the raw rest.
fn hours_and_rest(
    lo: DateTime<Utc>,
    hi: DateTime<Utc>,
    avail: (DateTime<Utc>, DateTime<Utc>),
) -> HourPlan {
    let h0 = next_hour_after(lo).max(avail.0);
    let h1 = floor_hour(hi).min(avail.1);
    if h0 >= h1 {
        return HourPlan {
            hours: None,
            raw: if lo < hi { vec![(lo, hi)] } else { Vec::new() },
        };
    }
    let mut raw = Vec::new();
    if lo < h0 {
        raw.push((lo, h0));
    }
    if h1 < hi {
        raw.push(half_open(h1, hi));
    }
    HourPlan {
        hours: Some((h0, h1)),
        raw,
    }
}

/// The scalar and chart plan of `w`.
pub fn hours(w: &Window, cov: &Coverage) -> HourPlan {
    hours_and_rest(w.start, w.end, (day_start(cov.from), cov.watermark))
}

/// The visitor plan of `w`: the complete covered days wholly inside it.
pub fn visitors(w: &Window, cov: &Coverage) -> VisitorPlan {
    let first_inside = w.start.date_naive() + Duration::days(1);
    let a = first_inside.max(cov.from);
    let b = w.end.date_naive().min(cov.open_day());
    if a >= b {
        return VisitorPlan {
            days: None,
            raw: vec![(w.start, w.end)],
        };
    }
    let mut raw = Vec::new();
    if w.start < day_start(a) {
        raw.push((w.start, day_start(a)));
    }
    if day_start(b) < w.end {
        raw.push(half_open(day_start(b), w.end));
    }
    VisitorPlan {
        days: Some((a, b)),
        raw,
    }
}

/// The table plan of `w`, for dimensions with hourly rows for the open day (`hourly`) or
/// without ([`crate::segment::DAILY_ONLY`]: the open day is read raw).
pub fn tables(w: &Window, cov: &Coverage, hourly: bool) -> TablePlan {
    let (s, e) = (w.start, w.end);
    let head = s.date_naive();
    let last = (e - MICRO).date_naive();
    // The head day is taken whole (its part before the window subtracted) when that part is
    // the shorter one; likewise the tail day.
    let mut a = head + Duration::days(1);
    if cov.has_day(head) && s - day_start(head) < day_start(a) - s {
        a = head;
    }
    let mut b = last;
    if cov.has_day(last)
        && last >= a
        && e - day_start(last) > day_start(last + Duration::days(1)) - e
    {
        b = last + Duration::days(1);
    }
    let a = a.max(cov.from);
    let b = b.min(cov.open_day());
    // Hourly table rows: the open day's rolled hours, if it is covered and they are kept.
    let hourly = if hourly {
        (day_start(cov.open_day().max(cov.from)), cov.watermark)
    } else {
        (cov.watermark, cov.watermark)
    };
    if a >= b {
        let p = hours_and_rest(s, e, hourly);
        return TablePlan {
            days: None,
            hours: p.hours,
            raw: p.raw.into_iter().map(|(lo, hi)| (lo, hi, true)).collect(),
        };
    }
    let (da, db) = (day_start(a), day_start(b));
    let mut raw: Vec<Piece> = Vec::new();
    let mut hours = None;
    if s < da {
        raw.push((s, da, true));
    } else {
        // [da, s] lies outside the window (s itself is excluded by the strict bound).
        raw.push((da - MICRO, s + MICRO, false));
    }
    if db < e {
        let p = hours_and_rest(db - MICRO, e, hourly);
        hours = p.hours;
        raw.extend(p.raw.into_iter().map(|(lo, hi)| (lo, hi, true)));
    } else {
        raw.push((e - MICRO, db, false));
    }
    raw.retain(|(lo, hi, _)| lo < hi && *hi - *lo > MICRO);
    TablePlan {
        days: Some((a, b)),
        hours,
        raw,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn cov() -> Coverage {
        Coverage {
            watermark: t("2024-03-31T10:00:00Z"),
            from: d("2024-01-01"),
        }
    }

    /// A 30-day window of New York local days ending in the open day.
    fn new_york() -> Window {
        Window {
            start: t("2024-03-02T04:59:59.999999Z"),
            end: t("2024-03-31T12:34:00Z"),
        }
    }

    #[test]
    fn a_west_of_utc_window_subtracts_the_head_hours_and_reads_the_open_day_hourly() {
        let p = tables(&new_york(), &cov(), true);
        assert_eq!(p.days, Some((d("2024-03-02"), d("2024-03-31"))));
        assert_eq!(
            p.hours,
            Some((t("2024-03-31T00:00:00Z"), t("2024-03-31T10:00:00Z")))
        );
        assert_eq!(
            p.raw,
            vec![
                (
                    t("2024-03-01T23:59:59.999999Z"),
                    t("2024-03-02T05:00:00Z"),
                    false
                ),
                (t("2024-03-31T09:59:59.999999Z"), new_york().end, true),
            ]
        );
    }

    #[test]
    fn a_daily_only_table_reads_the_open_day_raw() {
        let p = tables(&new_york(), &cov(), false);
        assert_eq!(p.days, Some((d("2024-03-02"), d("2024-03-31"))));
        assert_eq!(p.hours, None);
        assert_eq!(
            p.raw[1],
            (t("2024-03-30T23:59:59.999999Z"), new_york().end, true)
        );
        let w = Window {
            start: t("2024-03-31T01:30:00Z"),
            end: t("2024-03-31T12:00:00Z"),
        };
        let p = tables(&w, &cov(), false);
        assert_eq!((p.days, p.hours), (None, None));
        assert_eq!(p.raw, vec![(w.start, w.end, true)]);
    }

    #[test]
    fn an_east_of_utc_head_is_read_raw_and_a_past_tail_day_subtracted() {
        let w = Window {
            start: t("2024-02-29T21:59:59.999999Z"),
            end: t("2024-03-10T20:00:00Z"),
        };
        let p = tables(&w, &cov(), true);
        assert_eq!(p.days, Some((d("2024-03-01"), d("2024-03-11"))));
        assert_eq!(p.hours, None);
        assert_eq!(
            p.raw,
            vec![
                (w.start, t("2024-03-01T00:00:00Z"), true),
                (
                    t("2024-03-10T19:59:59.999999Z"),
                    t("2024-03-11T00:00:00Z"),
                    false
                ),
            ]
        );
    }

    #[test]
    fn uncovered_days_are_read_raw() {
        let c = Coverage {
            from: d("2024-03-20"),
            ..cov()
        };
        let p = tables(&new_york(), &c, true);
        assert_eq!(p.days, Some((d("2024-03-20"), d("2024-03-31"))));
        assert_eq!(
            p.raw[0],
            (new_york().start, t("2024-03-20T00:00:00Z"), true)
        );
        let v = visitors(&new_york(), &c);
        assert_eq!(v.days, Some((d("2024-03-20"), d("2024-03-31"))));
        assert_eq!(
            v.raw,
            vec![
                (new_york().start, t("2024-03-20T00:00:00Z")),
                (t("2024-03-30T23:59:59.999999Z"), new_york().end)
            ]
        );
    }

    #[test]
    fn an_uncovered_open_day_is_read_raw() {
        let c = Coverage {
            from: d("2024-04-01"),
            ..cov()
        };
        let p = tables(&new_york(), &c, true);
        assert_eq!((p.days, p.hours), (None, None));
        assert_eq!(p.raw, vec![(new_york().start, new_york().end, true)]);
    }

    #[test]
    fn hours_cover_the_whole_hours_between_coverage_start_and_watermark() {
        let p = hours(&new_york(), &cov());
        assert_eq!(
            p.hours,
            Some((t("2024-03-02T05:00:00Z"), t("2024-03-31T10:00:00Z")))
        );
        assert_eq!(
            p.raw,
            vec![
                (new_york().start, t("2024-03-02T05:00:00Z")),
                (t("2024-03-31T09:59:59.999999Z"), new_york().end)
            ]
        );
    }

    #[test]
    fn a_window_inside_the_open_day_uses_its_rolled_hours() {
        let w = Window {
            start: t("2024-03-31T01:30:00Z"),
            end: t("2024-03-31T12:00:00Z"),
        };
        let p = tables(&w, &cov(), true);
        assert_eq!(p.days, None);
        assert_eq!(
            p.hours,
            Some((t("2024-03-31T02:00:00Z"), t("2024-03-31T10:00:00Z")))
        );
        assert_eq!(p.raw.len(), 2);
        assert_eq!(visitors(&w, &cov()).raw, vec![(w.start, w.end)]);
    }
}
