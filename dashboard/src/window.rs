//! Date windows as owners pick them: whole days in the install's time zone, with Shynet's
//! strict bounds (`start < t < end`), defaulting to the last 30 days.

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

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
    match (num(y, 4), num(m, 2), num(d, 2)) {
        (Some(y), Some(m), Some(d)) => NaiveDate::from_ymd_opt(y as i32, m, d)
            .ok_or_else(|| WindowError::BadDate(s.to_owned())),
        _ => Err(WindowError::BadDate(s.to_owned())),
    }
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
/// end (or now), a missing end means now.
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
    Ok(Window {
        start: start_t,
        end: end_t,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn default_is_last_30_days() {
        let now = Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0).unwrap();
        let w = from_dates(None, None, chrono_tz::UTC, now).unwrap();
        assert_eq!(w.end, now);
        assert_eq!(w.start, now - Duration::days(30));
    }
}
