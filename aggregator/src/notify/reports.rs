//! Weekly and monthly reports: the core figures of the last complete week (Monday to Sunday) or
//! month in the instance's time zone, against the period before, with top pages, referrers,
//! campaigns and goals, all read through the stats crate (the same figures as the dashboard).
//! Queued once per service and period (`notify_sent`, claimed in the queuing transaction) to
//! each user who opted in, with a signed one-click unsubscribe link.

use super::compose::{self, Digest};
use super::context::Notifier;
use super::counters::NotifyMetrics;
use anyhow::Context;
use chrono::{Datelike, Duration, NaiveDate, Utc};
use models::notify::{self, Optin};
use uuid::Uuid;

/// Rows per table in a report.
pub const TOP_ROWS: usize = 5;
/// Most services whose report is queued per pass and period.
pub const SERVICES_PER_PASS: i64 = 20;

/// Which report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Period {
    /// Monday to Sunday.
    Week,
    /// A calendar month.
    Month,
}

impl Period {
    /// Kind in `notify_sent` and the opt-in's name.
    pub fn kind(self) -> &'static str {
        match self {
            Period::Week => "weekly",
            Period::Month => "monthly",
        }
    }

    fn optin(self) -> Optin {
        match self {
            Period::Week => Optin::Weekly,
            Period::Month => Optin::Monthly,
        }
    }

    /// First and last day of the last complete period before `today`.
    pub fn last_complete(self, today: NaiveDate) -> (NaiveDate, NaiveDate) {
        match self {
            Period::Week => {
                let monday =
                    today - Duration::days(i64::from(today.weekday().num_days_from_monday()));
                (monday - Duration::days(7), monday - Duration::days(1))
            }
            Period::Month => {
                let first_this = today.with_day(1).unwrap_or(today);
                let last_prev = first_this - Duration::days(1);
                (last_prev.with_day(1).unwrap_or(last_prev), last_prev)
            }
        }
    }
}

/// Reads the figures of one service for `first..=last` and the period before.
pub async fn digest<C: tokio_postgres::GenericClient>(
    c: &C,
    n: &Notifier,
    service: Uuid,
    period: Period,
    (first, last): (NaiveDate, NaiveDate),
) -> anyhow::Result<(String, Digest)> {
    let now = Utc::now();
    let (name, hide, zone) = models::services::zones::name_pattern_zone(c, service)
        .await?
        .with_context(|| format!("no service with id {service}"))?;
    // The period's days in the service's own zone.
    let tz = stats::window::service_zone(zone.as_deref(), n.dashboard.settings().time_zone);
    let hide = stats::referrer::compile_lenient(&hide);
    let window =
        stats::window::from_dates(Some(&first.to_string()), Some(&last.to_string()), tz, now)?;
    let prev = stats::previous(&window);
    let online = Duration::milliseconds(2 * n.dashboard.settings().heartbeat_ms as i64);
    let cur = stats::core_stats(c, service, &window, hide.as_ref(), online, now).await?;
    let old = stats::core_stats(c, service, &prev, hide.as_ref(), online, now).await?;
    let top = |d: &stats::Dimension| {
        cur.dims
            .get(d)
            .iter()
            .take(TOP_ROWS)
            .map(|r| (r.key.clone(), r.count))
            .collect::<Vec<_>>()
    };
    use stats::dimensions::{LOCATION, REFERRER, UTM_CAMPAIGN};
    let goals = stats::goals::goals(c, service, &window).await?;
    Ok((
        name,
        Digest {
            kind: period.kind(),
            first: Some(first),
            last: Some(last),
            figures: vec![
                (
                    "mail-figure-page-views",
                    cur.hit_count as f64,
                    old.hit_count as f64,
                ),
                (
                    "mail-figure-sessions",
                    cur.session_count as f64,
                    old.session_count as f64,
                ),
                (
                    "mail-figure-visitors",
                    cur.visitor_count as f64,
                    old.visitor_count as f64,
                ),
                (
                    "mail-figure-bounce-rate",
                    cur.bounce_rate_pct.unwrap_or(0.0),
                    old.bounce_rate_pct.unwrap_or(0.0),
                ),
            ],
            tables: vec![
                ("mail-table-top-pages", top(&LOCATION)),
                ("mail-table-top-referrers", top(&REFERRER)),
                ("mail-table-top-campaigns", top(&UTM_CAMPAIGN)),
            ],
            goals: goals
                .into_iter()
                .map(|g| (g.name, g.conversions, g.conversion_rate_pct))
                .collect(),
        },
    ))
}

/// Queues the reports of the last complete week and month that are due (their period closed
/// in the rollups) and not sent yet. Returns how many services got one.
pub async fn pass(client: &mut tokio_postgres::Client, n: &Notifier) -> anyhow::Result<usize> {
    let Some(closed) = stats::anomaly_data::last_closed_hour(&*client).await? else {
        return Ok(0);
    };
    let tz = n.dashboard.settings().time_zone;
    let today = Utc::now().with_timezone(&tz).date_naive();
    let key = dashboard::unsubscribe::key(&*client).await?;
    let mut queued = 0;
    for period in [Period::Week, Period::Month] {
        let (first, last) = period.last_complete(today);
        let start = stats::window::local_midnight(tz, first);
        let end = stats::window::local_midnight(tz, last + Duration::days(1));
        if closed + Duration::hours(1) < end {
            continue;
        }
        let due = notify::services_due(
            &*client,
            period.optin(),
            period.kind(),
            start,
            SERVICES_PER_PASS,
        )
        .await?;
        for service in due {
            let tx = client.transaction().await?;
            if notify::record_sent(&tx, service, period.kind(), start).await? {
                let (name, d) = digest(&tx, n, service, period, (first, last)).await?;
                for (user, to) in notify::recipients(&tx, service, period.optin()).await? {
                    let lang = super::context::recipient_lang(&tx, user).await?;
                    let unsub = n.base().map(|b| {
                        dashboard::unsubscribe::link(&b, &key, user, service, period.kind())
                    });
                    let mail = compose::report_mail(&d, &n.instance(), &name, &to, unsub, lang);
                    notify::enqueue(&tx, service, "mail", &to, &serde_json::to_string(&mail)?)
                        .await?;
                }
                NotifyMetrics::inc(&n.metrics.reports);
                queued += 1;
            }
            tx.commit().await?;
        }
    }
    Ok(queued)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_complete_periods() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        // Thursday 2026-12-03: the week of Monday 23 to Sunday 29 November.
        assert_eq!(
            Period::Week.last_complete(d("2026-12-03")),
            (d("2026-11-23"), d("2026-11-29"))
        );
        assert_eq!(
            Period::Week.last_complete(d("2026-11-30")),
            (d("2026-11-23"), d("2026-11-29"))
        );
        assert_eq!(
            Period::Month.last_complete(d("2026-12-03")),
            (d("2026-11-01"), d("2026-11-30"))
        );
        assert_eq!(
            Period::Month.last_complete(d("2026-01-01")),
            (d("2025-12-01"), d("2025-12-31"))
        );
    }
}
