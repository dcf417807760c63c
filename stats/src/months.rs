//! Calendar months of UTC days, for the monthly dimension rows (`rollup_dims_monthly`): a year's
//! tables sum about twelve rows per key instead of 365.

use chrono::{Datelike, Duration, NaiveDate};

/// The first day of `d`'s month.
pub fn month_of(d: NaiveDate) -> NaiveDate {
    d.with_day(1).unwrap_or(d)
}

/// The first day of the month after `m`'s.
pub fn next_month(m: NaiveDate) -> NaiveDate {
    let first = month_of(m);
    // Any day 32 days after the 1st lies in the next month.
    month_of(first + Duration::days(32))
}

/// UTC days [lo, hi) split into whole calendar months and the days around them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MonthSplit {
    /// Days [lo, hi) before the first whole month (or all of them when none is whole).
    pub head: (NaiveDate, NaiveDate),
    /// Whole months [lo, hi), by their first days; empty when lo == hi.
    pub months: (NaiveDate, NaiveDate),
    /// Days [lo, hi) after the last whole month.
    pub tail: (NaiveDate, NaiveDate),
}

/// Splits days [lo, hi) so that every whole month inside comes from its monthly rows.
pub fn split(lo: NaiveDate, hi: NaiveDate) -> MonthSplit {
    let first = if month_of(lo) == lo {
        lo
    } else {
        next_month(lo)
    };
    let last = month_of(hi);
    if lo >= hi || first >= last {
        return MonthSplit {
            head: (lo, hi),
            months: (hi, hi),
            tail: (hi, hi),
        };
    }
    MonthSplit {
        head: (lo, first),
        months: (first, last),
        tail: (last, hi),
    }
}

/// Whether every day of the month starting `m` is before `complete` (the first day that is not
/// complete): only such months have monthly rows.
pub fn is_closed(m: NaiveDate, complete: NaiveDate) -> bool {
    next_month(m) <= complete
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn months_roll_over_years_and_short_months() {
        assert_eq!(next_month(d("2024-01-31")), d("2024-02-01"));
        assert_eq!(next_month(d("2024-02-01")), d("2024-03-01"));
        assert_eq!(next_month(d("2024-12-15")), d("2025-01-01"));
        assert_eq!(month_of(d("2024-02-29")), d("2024-02-01"));
    }

    #[test]
    fn a_year_is_eleven_whole_months_and_two_edges() {
        let s = split(d("2025-12-08"), d("2026-12-06"));
        assert_eq!(s.head, (d("2025-12-08"), d("2026-01-01")));
        assert_eq!(s.months, (d("2026-01-01"), d("2026-12-01")));
        assert_eq!(s.tail, (d("2026-12-01"), d("2026-12-06")));
    }

    #[test]
    fn whole_months_at_both_ends_leave_empty_edges() {
        let s = split(d("2024-02-01"), d("2024-04-01"));
        assert_eq!(s.head, (d("2024-02-01"), d("2024-02-01")));
        assert_eq!(s.months, (d("2024-02-01"), d("2024-04-01")));
        assert_eq!(s.tail, (d("2024-04-01"), d("2024-04-01")));
    }

    #[test]
    fn without_a_whole_month_everything_is_days() {
        for (lo, hi) in [
            ("2024-02-03", "2024-03-20"),
            ("2024-02-01", "2024-02-29"),
            ("2024-02-10", "2024-02-10"),
        ] {
            let s = split(d(lo), d(hi));
            assert_eq!(s.head, (d(lo), d(hi)), "{lo}..{hi}");
            assert_eq!(s.months.0, s.months.1, "{lo}..{hi}");
            assert_eq!(s.tail.0, s.tail.1, "{lo}..{hi}");
        }
    }

    #[test]
    fn closed_months_end_before_the_first_incomplete_day() {
        assert!(is_closed(d("2024-02-01"), d("2024-03-01")));
        assert!(!is_closed(d("2024-02-01"), d("2024-02-29")));
    }
}
