//! Unique visitors. Shynet sets no cookie; a visitor is recognised by a hash of (service, IP,
//! User-Agent) under a salt that changes every UTC day and is then deleted. So the same person is
//! one visitor within a UTC day and a new one the next day, and the figure for a window is the
//! number of distinct visitor keys within each UTC day, added up over the window's days ("daily
//! unique visitors", not people). Sessions from before visitor keys were stored have none and
//! count as no visitor.
//!
//! Whole UTC days come from the rollup job's per-day count (`rollup_dims_daily` rows under
//! [`VISITORS_DAY_CODE`]); the partial days at the window's edges from the per-hour first and
//! last counts where the edge is an hour ([`crate::rollup_visitors`]), else (and for the open
//! tail) from raw sessions ([`visitor_plan`]), so both paths give the same number. All parts
//! are read in one statement.

use crate::dimensions::VISITORS_DAY_CODE;
use crate::figures::{StatsError, RAW_SEGMENTS};
use crate::plan::Source;
use crate::scalars::plan_inputs;
use crate::visitor_plan::{visitor_plan, VisitorPlan};
use crate::window::Window;
use std::collections::HashMap;
use tokio_postgres::GenericClient;
use uuid::Uuid;

/// What the dashboard says a visitor is, next to the figure.
pub const VISITOR_NOTE: &str = "Visitors are counted without cookies: a visitor is one \
     browser on one IP address within one UTC day (the key that recognises it changes daily and \
     cannot be recomputed afterwards). Someone who comes back on another day counts again, so \
     over several days this is the sum of daily unique visitors.";

/// Distinct visitors of several services over one window; services without any get 0.
pub async fn visitors_many<C: GenericClient>(
    client: &C,
    services: &[Uuid],
    window: &Window,
    source: Source,
) -> Result<HashMap<Uuid, i64>, StatsError> {
    let mut out: HashMap<Uuid, i64> = services.iter().map(|id| (*id, 0)).collect();
    let mut groups: Vec<(VisitorPlan, Vec<Uuid>)> = Vec::new();
    if source == Source::Raw {
        groups.push((visitor_plan(window, None, None), services.to_vec()));
    } else {
        let (watermark, purged) = plan_inputs(client, services).await?;
        for id in services {
            let p = visitor_plan(window, watermark, purged.get(id).copied());
            match groups.iter_mut().find(|(q, _)| *q == p) {
                Some((_, v)) => v.push(*id),
                None => groups.push((p, vec![*id])),
            }
        }
    }
    for (p, ids) in groups {
        let empty = Default::default();
        let (a, b) = p.raw.first().copied().unwrap_or(empty);
        let (c, d) = p.raw.get(1).copied().unwrap_or(empty);
        let (day_lo, day_hi) = p.days.unzip();
        let (last_lo, last_hi) = p.lasts_hours().unzip();
        let (first_lo, first_hi) = p.firsts_hours().unzip();
        let rows = client
            .query(
                STATEMENT.as_str(),
                &[
                    &ids,
                    &a,
                    &b,
                    &c,
                    &d,
                    &day_lo,
                    &day_hi,
                    &last_lo,
                    &last_hi,
                    &first_lo,
                    &first_hi,
                    &p.from_firsts,
                    &p.from_lasts,
                ],
            )
            .await?;
        for r in rows {
            if let Some(n) = out.get_mut(&r.get::<_, Uuid>(0)) {
                *n += r.get::<_, i64>(1);
            }
        }
    }
    Ok(out)
}

/// Every part of a [`VisitorPlan`], summed per service; parts a plan does not have get NULL
/// bounds and match nothing. `$1` services, `$2..$5` raw segments, `$6..$7` whole days (by the
/// partial index on the daily code), `$8..$9` the hours of `lasts`, `$10..$11` the hours of
/// `firsts`, `$12` the end of the `firsts` part, `$13` the start of the `lasts` part. The two
/// corrections look for sessions within a microsecond of an edge, by the
/// `(service_id, start_time)` index, and usually find none.
static STATEMENT: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "SELECT sid, sum(n)::int8 FROM (
    SELECT service_id AS sid, count(*)::numeric AS n FROM (
        SELECT DISTINCT service_id, (start_time AT TIME ZONE 'UTC')::date, visitor
        FROM sessions
        WHERE service_id = ANY($1) AND {RAW_SEGMENTS} AND visitor IS NOT NULL) x
    GROUP BY 1
  UNION ALL
    SELECT service_id, sum(count) FROM rollup_dims_daily
    WHERE service_id = ANY($1) AND dim = {VISITORS_DAY_CODE} AND day >= $6 AND day < $7
    GROUP BY 1
  UNION ALL
    SELECT service_id, sum(CASE WHEN hour >= $8 AND hour < $9 THEN lasts ELSE 0 END)
                     + sum(CASE WHEN hour >= $10 AND hour < $11 THEN firsts ELSE 0 END)
    FROM rollup_visitor_hours
    WHERE service_id = ANY($1) AND ((hour >= $8 AND hour < $9) OR (hour >= $10 AND hour < $11))
    GROUP BY 1
  UNION ALL
    -- Counted in `lasts` from $8 but not in the window (start_time > $13): their last
    -- session of the day started in [$8, $13].
    SELECT x.service_id, -count(DISTINCT x.visitor) FROM sessions x
    WHERE x.service_id = ANY($1) AND x.start_time >= $8 AND x.start_time <= $13
      AND x.visitor IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM sessions y
                      WHERE y.service_id = x.service_id AND y.visitor = x.visitor
                        AND y.start_time > $13 AND y.start_time < $9)
    GROUP BY 1
  UNION ALL
    -- Counted in `firsts` up to $11 but not in the window (start_time < $12): their first
    -- session of the day started in [$12, $11).
    SELECT x.service_id, -count(DISTINCT x.visitor) FROM sessions x
    WHERE x.service_id = ANY($1) AND x.start_time >= $12 AND x.start_time < $11
      AND x.visitor IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM sessions y
                      WHERE y.service_id = x.service_id AND y.visitor = x.visitor
                        AND y.start_time >= $10 AND y.start_time < $12)
    GROUP BY 1
) t GROUP BY 1"
    )
});
