//! How a user likes dates written: ISO (`2026-12-05`), day first (`5 Dec 2026`) or month first
//! (`Dec 5, 2026`). Stored per user (`users.date_style`, one short code), read with the session,
//! and applied wherever the dashboard prints a date for people to read. Values that a browser or
//! a program reads back (date fields, URLs, the API, exports) stay ISO whatever the preference.

use chrono::{DateTime, NaiveDate, TimeZone};
use std::fmt::Display;

/// A user's date display preference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DateStyle {
    /// `2026-12-05 14:03`: sorts as text, reads the same everywhere; the default.
    #[default]
    Iso,
    /// `5 Dec 2026, 14:03`.
    DayMonth,
    /// `Dec 5, 2026, 14:03`.
    MonthDay,
}

impl DateStyle {
    /// Every style, in the order the account page offers them.
    pub const ALL: [DateStyle; 3] = [DateStyle::Iso, DateStyle::DayMonth, DateStyle::MonthDay];

    /// The code stored in `users.date_style` and sent by the form.
    pub fn code(self) -> &'static str {
        match self {
            DateStyle::Iso => "iso",
            DateStyle::DayMonth => "day-month",
            DateStyle::MonthDay => "month-day",
        }
    }

    /// The style of a stored or submitted code; `None` for anything else.
    pub fn from_code(code: &str) -> Option<DateStyle> {
        DateStyle::ALL.into_iter().find(|s| s.code() == code)
    }

    /// The style a stored code names, ISO for anything unknown (a row written by a newer
    /// version must not break the page).
    pub fn from_stored(code: &str) -> DateStyle {
        DateStyle::from_code(code).unwrap_or_default()
    }

    fn day_pattern(self) -> &'static str {
        match self {
            DateStyle::Iso => "%Y-%m-%d",
            DateStyle::DayMonth => "%-d %b %Y",
            DateStyle::MonthDay => "%b %-d, %Y",
        }
    }

    /// A calendar day: `2026-12-05`, `5 Dec 2026` or `Dec 5, 2026`.
    pub fn date(self, d: NaiveDate) -> String {
        d.format(self.day_pattern()).to_string()
    }

    /// A day for chart axes: `2026-12-05` (ISO keeps its year: `12-05` reads as nothing in
    /// particular), `5 Dec` or `Dec 5`.
    pub fn short_date(self, d: NaiveDate) -> String {
        let p = match self {
            DateStyle::Iso => "%Y-%m-%d",
            DateStyle::DayMonth => "%-d %b",
            DateStyle::MonthDay => "%b %-d",
        };
        d.format(p).to_string()
    }

    /// An instant to the minute in `tz`: `2026-12-05 14:03`, `5 Dec 2026, 14:03` or
    /// `Dec 5, 2026, 14:03`.
    pub fn date_time<Tz: TimeZone>(self, t: &DateTime<Tz>) -> String
    where
        Tz::Offset: Display,
    {
        self.with_time(t, "%H:%M")
    }

    /// An instant to the second in `tz`.
    pub fn date_time_secs<Tz: TimeZone>(self, t: &DateTime<Tz>) -> String
    where
        Tz::Offset: Display,
    {
        self.with_time(t, "%H:%M:%S")
    }

    /// An instant for chart axes: `2026-12-05 14:00`, `5 Dec 14:00`, `Dec 5 14:00`.
    pub fn short_date_time<Tz: TimeZone>(self, t: &DateTime<Tz>) -> String
    where
        Tz::Offset: Display,
    {
        format!("{} {}", self.short_date(t.date_naive()), t.format("%H:%M"))
    }

    fn with_time<Tz: TimeZone>(self, t: &DateTime<Tz>, time: &str) -> String
    where
        Tz::Offset: Display,
    {
        let sep = if self == DateStyle::Iso { " " } else { ", " };
        format!("{}{sep}{}", self.date(t.date_naive()), t.format(time))
    }

    /// What the account page calls the style, with an example.
    pub fn label(self) -> &'static str {
        match self {
            DateStyle::Iso => "ISO: 2026-12-05",
            DateStyle::DayMonth => "Day first: 5 Dec 2026",
            DateStyle::MonthDay => "Month first: Dec 5, 2026",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    #[test]
    fn each_style_writes_its_form() {
        let d = NaiveDate::from_ymd_opt(2026, 12, 5).unwrap();
        assert_eq!(DateStyle::Iso.date(d), "2026-12-05");
        assert_eq!(DateStyle::DayMonth.date(d), "5 Dec 2026");
        assert_eq!(DateStyle::MonthDay.date(d), "Dec 5, 2026");
        let t = Utc.with_ymd_and_hms(2026, 12, 5, 23, 30, 7).unwrap();
        // Written in the zone given, so the day is the local one.
        let kolkata = t.with_timezone(&chrono_tz::Asia::Kolkata);
        assert_eq!(DateStyle::Iso.date_time(&kolkata), "2026-12-06 05:00");
        assert_eq!(DateStyle::DayMonth.date_time(&kolkata), "6 Dec 2026, 05:00");
        assert_eq!(
            DateStyle::MonthDay.date_time_secs(&t),
            "Dec 5, 2026, 23:30:07"
        );
        assert_eq!(DateStyle::MonthDay.short_date_time(&t), "Dec 5 23:30");
        assert_eq!(DateStyle::Iso.short_date(d), "2026-12-05");
        assert_eq!(DateStyle::DayMonth.short_date(d), "5 Dec");
    }

    #[test]
    fn codes_round_trip_and_unknown_ones_fall_back() {
        for s in DateStyle::ALL {
            assert_eq!(DateStyle::from_code(s.code()), Some(s));
        }
        assert_eq!(DateStyle::from_code("ISO"), None);
        assert_eq!(DateStyle::from_code(""), None);
        assert_eq!(DateStyle::from_stored("future-style"), DateStyle::Iso);
    }
}
