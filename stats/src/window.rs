//! Date windows as owners pick them: whole days in the install's time zone, with Shynet's
//! strict bounds (`start < t < end`), defaulting to the last 30 days.
//!
//! Every reader (pages, API, CLI) builds its window here, so the bounds below hold everywhere:
//! a window costs work per day (chart points, the comparison period before it), and dates far
//! from today only reach the database's range limits.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

/// Longest window, in calendar days (start and end day included): three years and change, so
/// "this year" and "last 90 days" always fit while a request can never ask for one chart point
/// per day of a millennium.
pub const MAX_WINDOW_DAYS: i64 = 1100;

/// Earliest year a date may name. Together with [`MAX_WINDOW_DAYS`] this keeps the comparison
/// period before any window (as long again) well inside what Postgres and chrono represent.
pub const MIN_YEAR: i32 = 1970;

/// Latest year a date may name (dates are at most four digits).
pub const MAX_YEAR: i32 = 9999;

/// A half-open-by-Shynet's-rules window of time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Window {
    /// Exclusive lower bound.
    pub start: DateTime<Utc>,
    /// Exclusive upper bound.
    pub end: DateTime<Utc>,
}

/// A date string that is not `YYYY-MM-DD`, or a range that ends before it starts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WindowError {
    /// Unparseable date.
    #[error("invalid date `{0}`: use YYYY-MM-DD")]
    BadDate(String),
    /// End before start.
    #[error("the end date is before the start date")]
    Reversed,
    /// A date outside [`MIN_YEAR`]..=[`MAX_YEAR`].
    #[error("the date `{0}` is out of range: use a year from 1970 to 9999")]
    OutOfRange(String),
    /// More than [`MAX_WINDOW_DAYS`] days.
    #[error("the date range spans {0} days; the longest allowed is {MAX_WINDOW_DAYS} days")]
    TooLong(i64),
}

/// Parses `YYYY-MM-DD`; month and day may be written without leading zeros, like Shynet.
pub fn parse_date(s: &str) -> Result<NaiveDate, WindowError> {
    let t = s.trim();
    let mut parts = t.splitn(3, '-');
    let (y, m, d) = (parts.next(), parts.next(), parts.next());
    let num = |p: Option<&str>, max_len: usize| {
        p.filter(|x| !x.is_empty() && x.len() <= max_len && x.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|x| x.parse::<u32>().ok())
    };
    let date = match (num(y, 4), num(m, 2), num(d, 2)) {
        (Some(y), Some(m), Some(d)) => NaiveDate::from_ymd_opt(y as i32, m, d)
            .ok_or_else(|| WindowError::BadDate(s.to_owned()))?,
        _ => return Err(WindowError::BadDate(s.to_owned())),
    };
    if !(MIN_YEAR..=MAX_YEAR).contains(&date.year()) {
        return Err(WindowError::OutOfRange(t.to_owned()));
    }
    Ok(date)
}

fn local(tz: Tz, date: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
    let naive = date.and_time(time);
    // In a DST gap take the earliest valid instant after it; in an overlap the earlier one.
    match tz.from_local_datetime(&naive) {
        chrono::LocalResult::Single(t) => t.with_timezone(&Utc),
        chrono::LocalResult::Ambiguous(a, _) => a.with_timezone(&Utc),
        chrono::LocalResult::None => tz
            .from_local_datetime(&(naive + Duration::hours(1)))
            .earliest()
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(|| Utc.from_utc_datetime(&naive)),
    }
}

/// The instant a local calendar day begins (the first valid instant when midnight is skipped).
pub fn local_midnight(tz: Tz, date: NaiveDate) -> DateTime<Utc> {
    local(tz, date, NaiveTime::MIN)
}

/// The window for optional `startDate`/`endDate` strings: start at 00:00 of the start day and
/// end at 23:59:59.999999 of the end day, both in `tz`; a missing start means 30 days before the
/// end (or now), a missing end means now. Refuses ranges over [`MAX_WINDOW_DAYS`] local days.
pub fn from_dates(
    start: Option<&str>,
    end: Option<&str>,
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<Window, WindowError> {
    let start_d = start
        .filter(|s| !s.trim().is_empty())
        .map(parse_date)
        .transpose()?;
    let end_d = end
        .filter(|s| !s.trim().is_empty())
        .map(parse_date)
        .transpose()?;
    let end_t = match end_d {
        Some(d) => local(
            tz,
            d,
            NaiveTime::from_hms_micro_opt(23, 59, 59, 999_999).unwrap_or(NaiveTime::MIN),
        ),
        None => now,
    };
    let start_t = match start_d {
        Some(d) => local(tz, d, NaiveTime::MIN),
        None => end_t - Duration::days(30),
    };
    if end_t < start_t {
        return Err(WindowError::Reversed);
    }
    let days = (end_t.with_timezone(&tz).date_naive() - start_t.with_timezone(&tz).date_naive())
        .num_days()
        + 1;
    if days > MAX_WINDOW_DAYS {
        return Err(WindowError::TooLong(days));
    }
    Ok(Window {
        start: start_t,
        end: end_t,
    })
}

/// Longest time zone name accepted (the longest IANA name is 32 bytes).
pub const MAX_ZONE_NAME: usize = 64;

/// A time zone name that is not an IANA zone.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown time zone `{0}`: use an IANA name such as Europe/Berlin or Asia/Kolkata")]
pub struct ZoneError(pub String);

/// Parses an IANA time zone name (`Europe/Berlin`); an owner's typo is refused, never guessed.
pub fn parse_zone(name: &str) -> Result<Tz, ZoneError> {
    let t = name.trim();
    if t.is_empty() || t.len() > MAX_ZONE_NAME {
        return Err(ZoneError(t.chars().take(MAX_ZONE_NAME).collect()));
    }
    t.parse::<Tz>().map_err(|_| ZoneError(t.to_owned()))
}

/// The zone a service's windows use: its own (a stored, validated name) or else the instance's.
/// A stored name this build no longer knows falls back to the instance's zone rather than failing
/// every page of the service.
pub fn service_zone(own: Option<&str>, instance: Tz) -> Tz {
    own.and_then(|z| z.parse::<Tz>().ok()).unwrap_or(instance)
}

/// The equal-length period immediately before `w` (Shynet's comparison window).
pub fn previous(w: &Window) -> Window {
    Window {
        start: w.start - (w.end - w.start),
        end: w.start,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zones_are_iana_names_and_unknown_ones_are_refused() {
        assert_eq!(parse_zone(" Asia/Kolkata ").unwrap().name(), "Asia/Kolkata");
        assert!(parse_zone("Mars/Olympus").is_err());
        assert!(parse_zone("").is_err());
        assert!(parse_zone(&"x".repeat(500)).is_err());
        let ny: Tz = "America/New_York".parse().unwrap();
        assert_eq!(
            service_zone(Some("Asia/Kathmandu"), ny).name(),
            "Asia/Kathmandu"
        );
        assert_eq!(service_zone(None, ny), ny);
        assert_eq!(service_zone(Some("gone"), ny), ny);
    }

    #[test]
    fn parses_loose_dates() {
        assert_eq!(
            parse_date("2024-3-9").unwrap(),
            NaiveDate::from_ymd_opt(2024, 3, 9).unwrap()
        );
        assert!(parse_date("01/01/2000").is_err());
        assert!(parse_date("2024-02-30").is_err());
        assert!(parse_date("2024-02").is_err());
        assert!(parse_date("+2024-02-01").is_err());
    }

    #[test]
    fn whole_days_in_zone() {
        let tz: Tz = "America/New_York".parse().unwrap();
        let w = from_dates(Some("2024-01-10"), Some("2024-01-10"), tz, Utc::now()).unwrap();
        assert_eq!(w.start.to_rfc3339(), "2024-01-10T05:00:00+00:00");
        assert_eq!(w.end.to_rfc3339(), "2024-01-11T04:59:59.999999+00:00");
        assert_eq!(
            from_dates(Some("2024-01-11"), Some("2024-01-10"), tz, Utc::now()),
            Err(WindowError::Reversed)
        );
    }

    #[test]
    fn spans_and_years_are_bounded() {
        let now = Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0).unwrap();
        let utc = chrono_tz::UTC;
        let longest =
            NaiveDate::from_ymd_opt(2020, 1, 1).unwrap() + Duration::days(MAX_WINDOW_DAYS - 1);
        assert!(from_dates(Some("2020-01-01"), Some(&longest.to_string()), utc, now).is_ok());
        let over = longest + Duration::days(1);
        assert_eq!(
            from_dates(Some("2020-01-01"), Some(&over.to_string()), utc, now),
            Err(WindowError::TooLong(MAX_WINDOW_DAYS + 1))
        );
        // A start alone runs to now and counts the same way.
        assert!(matches!(
            from_dates(Some("2019-01-01"), None, utc, now),
            Err(WindowError::TooLong(_))
        ));
        for bad in ["1000-01-01", "1969-12-31", "0000-01-01"] {
            assert_eq!(
                from_dates(Some(bad), Some("2020-01-01"), utc, now),
                Err(WindowError::OutOfRange(bad.to_owned()))
            );
        }
        assert!(matches!(
            from_dates(Some("1000-01-01"), Some("9999-12-31"), utc, now),
            Err(WindowError::OutOfRange(_))
        ));
        assert!(matches!(
            from_dates(Some("1970-01-01"), Some("9999-12-31"), utc, now),
            Err(WindowError::TooLong(_))
        ));
        // The extremes that are allowed stay representable, comparison period included.
        for tz in ["Pacific/Kiritimati", "Etc/GMT+12"] {
            let tz: Tz = tz.parse().unwrap();
            assert!(from_dates(Some("9999-12-31"), Some("9999-12-31"), tz, now).is_ok());
            assert!(from_dates(Some("1970-01-01"), Some("1970-01-01"), tz, now).is_ok());
        }
        assert_eq!(
            parse_date("2024-13-45"),
            Err(WindowError::BadDate("2024-13-45".into()))
        );
        assert_eq!(parse_date("abc"), Err(WindowError::BadDate("abc".into())));
    }

    #[test]
    fn default_is_last_30_days() {
        let now = Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0).unwrap();
        let w = from_dates(None, None, chrono_tz::UTC, now).unwrap();
        assert_eq!(w.end, now);
        assert_eq!(w.start, now - Duration::days(30));
    }
}
