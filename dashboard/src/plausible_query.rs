//! The parameters of Plausible's Stats API v1 (`site_id`, `period`, `date`, `metrics`,
//! `property`, `filters`, `interval`, `limit`, `page`), parsed and checked without I/O, and
//! mapped onto our figures: what we cannot answer is refused with a reason (400), never
//! approximated.

use chrono::{Datelike, Months, NaiveDate};
use stats::window;

/// Most breakdown rows per page (Plausible's maximum).
pub const MAX_LIMIT: usize = 1000;
/// Breakdown rows per page by default.
pub const DEFAULT_LIMIT: usize = 100;
/// Most buckets a timeseries computes (each costs a query or two).
pub const MAX_BUCKETS: usize = 400;
/// Highest `page` accepted.
pub const MAX_PAGE: usize = 100_000;

/// A metric Plausible defines and we answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    /// Distinct visitors (daily-salted hashes, per UTC day, summed).
    Visitors,
    /// Sessions.
    Visits,
    /// Page views (hits).
    Pageviews,
    /// Share of one-page sessions, in percent.
    BounceRate,
    /// Average session duration, seconds.
    VisitDuration,
    /// Page views per session.
    ViewsPerVisit,
    /// Page views plus custom events.
    Events,
}

impl Metric {
    /// Plausible's name.
    pub fn name(self) -> &'static str {
        match self {
            Metric::Visitors => "visitors",
            Metric::Visits => "visits",
            Metric::Pageviews => "pageviews",
            Metric::BounceRate => "bounce_rate",
            Metric::VisitDuration => "visit_duration",
            Metric::ViewsPerVisit => "views_per_visit",
            Metric::Events => "events",
        }
    }
}

/// Parses `metrics` (default `visitors`).
pub fn metrics(raw: Option<&str>) -> Result<Vec<Metric>, String> {
    let raw = raw
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .unwrap_or("visitors");
    let mut out = Vec::new();
    for m in raw.split(',').map(str::trim) {
        let metric = match m {
            "visitors" => Metric::Visitors,
            "visits" => Metric::Visits,
            "pageviews" => Metric::Pageviews,
            "bounce_rate" => Metric::BounceRate,
            "visit_duration" => Metric::VisitDuration,
            "views_per_visit" => Metric::ViewsPerVisit,
            "events" => Metric::Events,
            "conversion_rate" | "time_on_page" => {
                return Err(format!("The metric `{m}` is not supported by this server."))
            }
            _ => return Err(format!("The metric `{m}` is not recognized.")),
        };
        if out.contains(&metric) {
            return Err(format!("Metrics cannot be queried multiple times: `{m}`."));
        }
        out.push(metric);
    }
    Ok(out)
}

/// Refuses any filter: this server answers unfiltered queries only.
pub fn no_filters(raw: Option<&str>) -> Result<(), String> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(()),
        Some(_) => Err("Filters are not supported by this server: query without `filters`.".into()),
    }
}

/// The local days (first, last, inclusive) a `period` and `date` cover; `today` is the
/// instance's local date.
pub fn days(
    period: Option<&str>,
    date: Option<&str>,
    today: NaiveDate,
) -> Result<(NaiveDate, NaiveDate), String> {
    let period = period
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .unwrap_or("30d");
    let bad_date = |d: &str| format!("Failed to parse `date` `{d}`: use YYYY-MM-DD.");
    let one = |d: Option<&str>| -> Result<NaiveDate, String> {
        match d.map(str::trim).filter(|s| !s.is_empty()) {
            None => Ok(today),
            Some(d) => window::parse_date(d).map_err(|_| bad_date(d)),
        }
    };
    let month_start = |d: NaiveDate| d.with_day(1).unwrap_or(d);
    let month_end = |d: NaiveDate| {
        month_start(d)
            .checked_add_months(Months::new(1))
            .and_then(|n| n.pred_opt())
            .unwrap_or(d)
    };
    let back = |d: NaiveDate, n: u64| d.checked_sub_days(chrono::Days::new(n)).unwrap_or(d);
    let months_back = |d: NaiveDate, n: u32| {
        month_start(d)
            .checked_sub_months(Months::new(n))
            .unwrap_or(d)
    };
    Ok(match period {
        "day" => {
            let d = one(date)?;
            (d, d)
        }
        "7d" => {
            let d = one(date)?;
            (back(d, 6), d)
        }
        "30d" => {
            let d = one(date)?;
            (back(d, 29), d)
        }
        "month" => {
            let d = one(date)?;
            (month_start(d), month_end(d))
        }
        "6mo" => {
            let d = one(date)?;
            (months_back(d, 5), month_end(d))
        }
        "12mo" => {
            let d = one(date)?;
            (months_back(d, 11), month_end(d))
        }
        "custom" => {
            let raw = date.ok_or("`period=custom` needs `date=YYYY-MM-DD,YYYY-MM-DD`.")?;
            let (a, b) = raw
                .split_once(',')
                .ok_or("`period=custom` needs `date=YYYY-MM-DD,YYYY-MM-DD`.")?;
            let (a, b) = (
                window::parse_date(a).map_err(|_| bad_date(a))?,
                window::parse_date(b).map_err(|_| bad_date(b))?,
            );
            if b < a {
                return Err("The end of the custom range is before its start.".into());
            }
            (a, b)
        }
        other => {
            return Err(format!(
            "The period `{other}` is not supported: use day, 7d, 30d, month, 6mo, 12mo or custom."
        ))
        }
    })
}

/// A timeseries bucket size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interval {
    Day,
    Month,
}

/// Parses `interval` (default: month for 6mo and 12mo, else day).
pub fn interval(raw: Option<&str>, period: Option<&str>) -> Result<Interval, String> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(match period {
            Some("6mo") | Some("12mo") => Interval::Month,
            _ => Interval::Day,
        }),
        Some("day") | Some("date") => Ok(Interval::Day),
        Some("month") => Ok(Interval::Month),
        Some(other) => Err(format!(
            "The interval `{other}` is not supported: use day or month."
        )),
    }
}

/// The buckets of `[first, last]`: (label date, first day, last day).
pub fn buckets(
    first: NaiveDate,
    last: NaiveDate,
    i: Interval,
) -> Result<Vec<(NaiveDate, NaiveDate, NaiveDate)>, String> {
    let mut out = Vec::new();
    let mut d = first;
    while d <= last {
        if out.len() >= MAX_BUCKETS {
            return Err(format!("At most {MAX_BUCKETS} timeseries buckets: choose a shorter period or interval=month."));
        }
        let (label, end) = match i {
            Interval::Day => (d, d),
            Interval::Month => {
                let start = d.with_day(1).unwrap_or(d);
                let end = start
                    .checked_add_months(Months::new(1))
                    .and_then(|n| n.pred_opt())
                    .unwrap_or(last);
                (start, end.min(last))
            }
        };
        out.push((label, d, end));
        match end.succ_opt() {
            Some(n) => d = n,
            None => break,
        }
    }
    Ok(out)
}

/// Parses `limit` and `page` (1-based).
pub fn paging(limit: Option<&str>, page: Option<&str>) -> Result<(usize, usize), String> {
    let num = |raw: Option<&str>, default: usize, max: usize, what: &str| match raw
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => Ok(default),
        Some(v) => v
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=max).contains(n))
            .ok_or_else(|| format!("`{what}` must be a whole number from 1 to {max}.")),
    };
    Ok((
        num(limit, DEFAULT_LIMIT, MAX_LIMIT, "limit")?,
        num(page, 1, MAX_PAGE, "page")?,
    ))
}

/// A breakdown property and how it maps onto our tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Property {
    /// Our dimension's name (`stats::dimensions`), or `event_name` / `goal`.
    pub dim: &'static str,
    /// The key in Plausible's answer (`page`, `source`, …).
    pub key: &'static str,
    /// How our keys become Plausible's.
    pub shape: Shape,
}

/// Key conversions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// As stored.
    Same,
    /// A URL reported as its path (Plausible's pages).
    Path,
    /// A referrer URL reported as its host without `www.` ("Direct / None" when empty).
    Source,
    /// A referrer URL without scheme and `www.`.
    Referrer,
    /// Our device types as Plausible's names.
    Device,
}

/// Maps a Plausible property.
pub fn property(raw: Option<&str>) -> Result<Property, String> {
    let p = |dim, key, shape| Ok(Property { dim, key, shape });
    match raw.map(str::trim).unwrap_or("") {
        "" => Err("The `property` parameter is required for breakdowns.".into()),
        "event:page" => p("location", "page", Shape::Path),
        "visit:entry_page" => p("entry_page", "entry_page", Shape::Path),
        "visit:exit_page" => p("exit_page", "exit_page", Shape::Path),
        "visit:source" => p("referrer", "source", Shape::Source),
        "visit:referrer" => p("referrer", "referrer", Shape::Referrer),
        "visit:utm_source" => p("utm_source", "utm_source", Shape::Same),
        "visit:utm_medium" => p("utm_medium", "utm_medium", Shape::Same),
        "visit:utm_campaign" => p("utm_campaign", "utm_campaign", Shape::Same),
        "visit:utm_term" => p("utm_term", "utm_term", Shape::Same),
        "visit:utm_content" => p("utm_content", "utm_content", Shape::Same),
        "visit:country" => p("country", "country", Shape::Same),
        "visit:browser" => p("browser", "browser", Shape::Same),
        "visit:os" => p("os", "os", Shape::Same),
        "visit:device" => p("device_type", "device", Shape::Device),
        "event:name" => p("event_name", "name", Shape::Same),
        "event:goal" => p("goal", "goal", Shape::Same),
        other => Err(format!(
            "The property `{other}` is not supported by this server."
        )),
    }
}

/// Our key in Plausible's form (`None`: a row Plausible would not show, e.g. no UTM tag).
pub fn shape_key(shape: Shape, key: &str) -> Option<String> {
    let host_path = |u: &str| -> Option<(String, String)> {
        let rest = u.split_once("://").map_or(u, |(_, r)| r);
        let (host, path) = rest.split_at(rest.find(['/', '?', '#']).unwrap_or(rest.len()));
        let host = host.rsplit('@').next().unwrap_or(host).to_ascii_lowercase();
        Some((host.trim_start_matches("www.").to_owned(), path.to_owned()))
    };
    match shape {
        Shape::Same => (!key.is_empty()).then(|| key.to_owned()),
        Shape::Path => {
            let (_, path) = host_path(key)?;
            let path = path.split(['?', '#']).next().unwrap_or("");
            Some(if path.is_empty() {
                "/".into()
            } else {
                path.to_owned()
            })
        }
        Shape::Source => Some(if key.is_empty() {
            "Direct / None".into()
        } else {
            host_path(key)?.0
        }),
        Shape::Referrer => {
            let (host, path) = host_path(key)?;
            (!key.is_empty()).then(|| format!("{host}{path}"))
        }
        Shape::Device => Some(
            match key {
                "DESKTOP" => "Desktop",
                "PHONE" => "Mobile",
                "TABLET" => "Tablet",
                "ROBOT" => "Robot",
                _ => "(not set)",
            }
            .to_owned(),
        ),
    }
}

/// `compare`: `previous_period` asks `aggregate` for each metric's change against the period of
/// the same length just before (Plausible's only comparison in this API version).
pub fn compare(raw: Option<&str>) -> Result<bool, String> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(false),
        Some("previous_period") => Ok(true),
        Some(other) => Err(format!(
            "The comparison `{other}` is not supported: use compare=previous_period."
        )),
    }
}

/// The `change` Plausible reports next to a metric's value: for the bounce rate the difference
/// in percentage points (`None` when the previous period had no bounce rate, or 0), for every
/// other metric the percent change rounded to a whole number (100 when it grew from 0, 0 when
/// both are 0).
pub fn change(metric: Metric, previous: Option<f64>, current: Option<f64>) -> Option<f64> {
    let (prev, cur) = (previous.unwrap_or(0.0), current.unwrap_or(0.0));
    if metric == Metric::BounceRate {
        return (prev > 0.0).then(|| (cur - prev).round());
    }
    Some(if prev == 0.0 {
        if cur > 0.0 {
            100.0
        } else {
            0.0
        }
    } else {
        ((cur - prev) / prev * 100.0).round()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        window::parse_date(s).unwrap()
    }

    #[test]
    fn periods_cover_plausibles_days() {
        let today = d("2024-03-15");
        assert_eq!(days(None, None, today).unwrap(), (d("2024-02-15"), today));
        assert_eq!(
            days(Some("7d"), None, today).unwrap(),
            (d("2024-03-09"), today)
        );
        assert_eq!(
            days(Some("day"), Some("2024-01-02"), today).unwrap(),
            (d("2024-01-02"), d("2024-01-02"))
        );
        assert_eq!(
            days(Some("month"), None, today).unwrap(),
            (d("2024-03-01"), d("2024-03-31"))
        );
        assert_eq!(
            days(Some("6mo"), None, today).unwrap(),
            (d("2023-10-01"), d("2024-03-31"))
        );
        assert_eq!(
            days(Some("12mo"), None, today).unwrap(),
            (d("2023-04-01"), d("2024-03-31"))
        );
        assert_eq!(
            days(Some("custom"), Some("2024-01-01,2024-01-31"), today).unwrap(),
            (d("2024-01-01"), d("2024-01-31"))
        );
        assert!(days(Some("custom"), None, today).is_err());
        assert!(days(Some("custom"), Some("2024-02-01,2024-01-01"), today).is_err());
        assert!(days(Some("5y"), None, today).is_err());
        assert!(days(Some("day"), Some("yesterday"), today).is_err());
    }

    #[test]
    fn metrics_properties_and_paging() {
        assert_eq!(metrics(None).unwrap(), vec![Metric::Visitors]);
        assert_eq!(
            metrics(Some("visits,pageviews")).unwrap(),
            vec![Metric::Visits, Metric::Pageviews]
        );
        assert!(metrics(Some("time_on_page"))
            .unwrap_err()
            .contains("not supported"));
        assert!(metrics(Some("visits,visits")).is_err());
        assert!(metrics(Some("nope")).is_err());
        assert!(no_filters(Some("event:page==/")).is_err());
        assert!(property(Some("visit:city")).is_err());
        assert_eq!(paging(None, None).unwrap(), (100, 1));
        assert!(paging(Some("0"), None).is_err());
        assert!(paging(Some("1001"), None).is_err());
        assert_eq!(
            shape_key(Shape::Path, "https://a.example/blog/x?utm=1").as_deref(),
            Some("/blog/x")
        );
        assert_eq!(
            shape_key(Shape::Path, "https://a.example").as_deref(),
            Some("/")
        );
        assert_eq!(
            shape_key(Shape::Source, "https://www.google.com/search").as_deref(),
            Some("google.com")
        );
        assert_eq!(
            shape_key(Shape::Source, "").as_deref(),
            Some("Direct / None")
        );
        assert_eq!(shape_key(Shape::Same, ""), None);
        let b = buckets(d("2024-01-30"), d("2024-03-02"), Interval::Month).unwrap();
        assert_eq!(b.len(), 3);
        assert_eq!(b[0], (d("2024-01-01"), d("2024-01-30"), d("2024-01-31")));
        assert_eq!(b[2], (d("2024-03-01"), d("2024-03-01"), d("2024-03-02")));
    }
}

#[cfg(test)]
mod compare_tests {
    use super::*;

    #[test]
    fn compare_accepts_previous_period_only() {
        assert_eq!(compare(None), Ok(false));
        assert_eq!(compare(Some("")), Ok(false));
        assert_eq!(compare(Some("previous_period")), Ok(true));
        assert!(compare(Some("year_over_year"))
            .unwrap_err()
            .contains("previous_period"));
    }

    #[test]
    fn change_is_a_rounded_percent_or_points_for_the_bounce_rate() {
        assert_eq!(
            change(Metric::Visitors, Some(200.0), Some(250.0)),
            Some(25.0)
        );
        assert_eq!(change(Metric::Pageviews, Some(3.0), Some(2.0)), Some(-33.0));
        assert_eq!(change(Metric::Visits, Some(0.0), Some(5.0)), Some(100.0));
        assert_eq!(change(Metric::Visits, Some(0.0), Some(0.0)), Some(0.0));
        assert_eq!(change(Metric::VisitDuration, None, Some(12.5)), Some(100.0));
        assert_eq!(
            change(Metric::BounceRate, Some(40.0), Some(52.6)),
            Some(13.0)
        );
        assert_eq!(change(Metric::BounceRate, Some(0.0), Some(50.0)), None);
        assert_eq!(change(Metric::BounceRate, None, Some(50.0)), None);
    }
}
