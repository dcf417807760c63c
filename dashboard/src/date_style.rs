//! How a user likes dates written: ISO (`2026-12-05`), day first (`5 Dec 2026`) or month first
//! (`Dec 5, 2026`). Stored per user (`users.date_style`, one short code), read with the session,
//! and applied wherever the dashboard prints a date for people to read. Values that a browser or
//! a program reads back (date fields, URLs, the API, exports) stay ISO whatever the preference.

use crate::lang::{self, Lang};
use chrono::{DateTime, Datelike, NaiveDate, TimeZone};
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

    /// A calendar day: `2026-12-05`, `5 Dec 2026` or `Dec 5, 2026`, in the language of the
    /// request being answered (`5. Dez. 2026` in German; ISO is ISO in every language).
    pub fn date(self, d: NaiveDate) -> String {
        self.date_in(lang::current(), d)
    }

    /// [`DateStyle::date`] in a given language.
    pub fn date_in(self, lang: Lang, d: NaiveDate) -> String {
        match self {
            DateStyle::Iso => d.format("%Y-%m-%d").to_string(),
            _ => format!("{}{}", self.day_month_in(lang, d), self.year_part(d)),
        }
    }

    /// A day for chart axes: `2026-12-05` (ISO keeps its year: `12-05` reads as nothing in
    /// particular), `5 Dec` or `Dec 5` (`5. Dez.`, `Dez. 5`).
    pub fn short_date(self, d: NaiveDate) -> String {
        match self {
            DateStyle::Iso => d.format("%Y-%m-%d").to_string(),
            _ => self.day_month_in(lang::current(), d),
        }
    }

    /// Day and month without the year, in the style's order.
    fn day_month_in(self, lang: Lang, d: NaiveDate) -> String {
        let month = month_abbr(lang, d.month());
        let day = d.day();
        match (self, lang) {
            (DateStyle::MonthDay, _) => format!("{month} {day}"),
            (_, Lang::De) => format!("{day}. {month}"),
            (_, Lang::En) => format!("{day} {month}"),
        }
    }

    fn year_part(self, d: NaiveDate) -> String {
        match self {
            DateStyle::MonthDay => format!(", {}", d.year()),
            _ => format!(" {}", d.year()),
        }
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
}

/// A month's abbreviated name: `Dec`; in German as written in dates, `Dez.` (short names such as
/// `Mai` and `Juni` take no full stop).
fn month_abbr(lang: Lang, month: u32) -> &'static str {
    const EN: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    const DE: [&str; 12] = [
        "Jan.", "Feb.", "März", "Apr.", "Mai", "Juni", "Juli", "Aug.", "Sept.", "Okt.", "Nov.",
        "Dez.",
    ];
    let i = (month.clamp(1, 12) - 1) as usize;
    match lang {
        Lang::En => EN[i],
        Lang::De => DE[i],
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
    fn german_writes_months_its_way_and_iso_stays_iso() {
        let d = NaiveDate::from_ymd_opt(2026, 12, 5).unwrap();
        assert_eq!(DateStyle::DayMonth.date_in(Lang::De, d), "5. Dez. 2026");
        assert_eq!(DateStyle::MonthDay.date_in(Lang::De, d), "Dez. 5, 2026");
        assert_eq!(DateStyle::Iso.date_in(Lang::De, d), "2026-12-05");
        let may = NaiveDate::from_ymd_opt(2026, 5, 1).unwrap();
        assert_eq!(DateStyle::DayMonth.date_in(Lang::De, may), "1. Mai 2026");
        let t = Utc.with_ymd_and_hms(2026, 3, 9, 8, 5, 0).unwrap();
        lang::with_lang_sync(Lang::De, || {
            assert_eq!(DateStyle::DayMonth.date_time(&t), "9. März 2026, 08:05");
            assert_eq!(DateStyle::DayMonth.short_date(t.date_naive()), "9. März");
            assert_eq!(DateStyle::Iso.date_time(&t), "2026-03-09 08:05");
        });
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
