//! The SQL pieces that define what event figures and goal conversions count, shared by the
//! rollup job ([`crate::rollup_events`]) and the readers ([`crate::events`], [`crate::goals`])
//! so the rollup path and the raw path cannot drift apart.

use crate::figures::StatsError;
use crate::plan::{self, ReadPlan, Source};
use crate::window::Window;
use chrono::{DateTime, NaiveDate, Utc};
use tokio_postgres::types::ToSql;
use tokio_postgres::GenericClient;
use uuid::Uuid;

/// An event's properties as `(key, value)` rows over `events e`. Only string→string objects are
/// stored by ingest; anything else yields no rows, and JSON nulls are skipped, so `->>` lookups
/// in the raw goal reader agree with these rows.
pub(crate) const PROPS: &str = "(SELECT key, value FROM jsonb_each_text(
        CASE WHEN jsonb_typeof(e.props) = 'object' THEN e.props ELSE '{}'::jsonb END)
     WHERE value IS NOT NULL)";

/// Whether session `s` viewed a page matching page goal `g` (any hit of the session, whenever
/// it happened: the session is counted in the hour it started, like every session figure).
pub(crate) const PAGE_MATCH: &str = "EXISTS (SELECT 1 FROM hits h
        WHERE h.session_id = s.id AND h.service_id = s.service_id
          AND h.location <> '' AND h.location ~ g.page_regex)";

/// The raw segments of a plan (`$2 < col < $3` or `$4 < col < $5`) on `col`, for tables whose
/// rows are windowed by a column other than `start_time` (events by their session's start).
pub(crate) fn segments(col: &str) -> String {
    format!("(({col} > $2 AND {col} < $3) OR ({col} > $4 AND {col} < $5))")
}

/// The hourly rollup ranges (`$6 <= hour < $7` or `$8 <= hour < $9`) and daily range
/// (`$10 <= day < $11`) of a plan, on rollup tables aliased `r`.
pub(crate) const HOURS: &str = "((r.hour >= $6 AND r.hour < $7) OR (r.hour >= $8 AND r.hour < $9))";
/// See [`HOURS`].
pub(crate) const DAYS: &str = "(r.day >= $10 AND r.day < $11)";

/// The first eleven parameters of a reader statement: the service (`$1`), the raw segments
/// (`$2`–`$5`), the hourly ranges (`$6`–`$9`) and the daily range (`$10`, `$11`) of a plan.
pub(crate) struct PlanArgs {
    service: Uuid,
    raw: [(DateTime<Utc>, DateTime<Utc>); 2],
    hours: [(DateTime<Utc>, DateTime<Utc>); 2],
    days: (NaiveDate, NaiveDate),
}

impl PlanArgs {
    /// The parameters of `p` for `service`.
    pub(crate) fn new(service: Uuid, p: &ReadPlan) -> PlanArgs {
        let epoch = DateTime::<Utc>::default().date_naive();
        PlanArgs {
            service,
            raw: p.raw_pair(),
            hours: p.dim_hour_pair(),
            days: p.dim_days.unwrap_or((epoch, epoch)),
        }
    }

    /// `$1`–`$11`, followed by `extra` (`$12`, …).
    pub(crate) fn with<'a>(
        &'a self,
        extra: &[&'a (dyn ToSql + Sync)],
    ) -> Vec<&'a (dyn ToSql + Sync)> {
        let [(a, b), (c, d)] = &self.raw;
        let [(e, f), (g, h)] = &self.hours;
        let mut v: Vec<&(dyn ToSql + Sync)> = vec![
            &self.service,
            a,
            b,
            c,
            d,
            e,
            f,
            g,
            h,
            &self.days.0,
            &self.days.1,
        ];
        v.extend_from_slice(extra);
        v
    }
}

/// The plan of one service's window.
pub(crate) async fn plan_of<C: GenericClient>(
    client: &C,
    service: Uuid,
    window: &Window,
    source: Source,
) -> Result<ReadPlan, StatsError> {
    Ok(crate::scalars::plans(client, &[service], window, source)
        .await?
        .into_iter()
        .next()
        .map_or_else(|| plan::raw_only(window), |(p, _)| p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_name_their_column() {
        assert_eq!(
            segments("e.session_start"),
            "((e.session_start > $2 AND e.session_start < $3) OR \
             (e.session_start > $4 AND e.session_start < $5))"
        );
    }
}
