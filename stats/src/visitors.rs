//! Unique visitors. Shynet sets no cookie; a visitor is recognised by a hash of (service, IP,
//! User-Agent) under a salt that changes every UTC day and is then deleted. So the same person is
//! one visitor within a UTC day and a new one the next day, and the figure for a window is the
//! number of distinct visitor keys within each UTC day, added up over the window's days ("daily
//! unique visitors", not people). Sessions from before visitor keys were stored have none and
//! count as no visitor.
//!
//! Whole UTC days come from the rollup job's per-day count (`rollup_dims_daily` rows under
//! [`VISITORS_DAY_CODE`]); the partial days at the window's edges and the open tail are counted
//! from raw sessions ([`plan::visitor_plan`]), so both paths give the same number.

use crate::dimensions::VISITORS_DAY_CODE;
use crate::figures::{StatsError, RAW_SEGMENTS};
use crate::plan::{self, Source, VisitorPlan};
use crate::scalars::plan_inputs;
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
        groups.push((plan::visitor_plan(window, None, None), services.to_vec()));
    } else {
        let (watermark, purged) = plan_inputs(client, services).await?;
        for id in services {
            let p = plan::visitor_plan(window, watermark, purged.get(id).copied());
            match groups.iter_mut().find(|(q, _)| *q == p) {
                Some((_, v)) => v.push(*id),
                None => groups.push((p, vec![*id])),
            }
        }
    }
    for (p, ids) in groups {
        let mut add = |rows: Vec<tokio_postgres::Row>| {
            for r in rows {
                if let Some(n) = out.get_mut(&r.get::<_, Uuid>(0)) {
                    *n += r.get::<_, i64>(1);
                }
            }
        };
        if !p.raw.is_empty() {
            let empty = Default::default();
            let (a, b) = p.raw.first().copied().unwrap_or(empty);
            let (c, d) = p.raw.get(1).copied().unwrap_or(empty);
            let sql = format!(
                "SELECT service_id, count(*) FROM (
                     SELECT DISTINCT service_id, (start_time AT TIME ZONE 'UTC')::date, visitor
                     FROM sessions
                     WHERE service_id = ANY($1) AND {RAW_SEGMENTS} AND visitor IS NOT NULL) x
                 GROUP BY 1"
            );
            add(client.query(&sql, &[&ids, &a, &b, &c, &d]).await?);
        }
        if let Some((lo, hi)) = p.days {
            add(client
                .query(
                    "SELECT service_id, sum(count)::int8 FROM rollup_dims_daily
                     WHERE service_id = ANY($1) AND dim = $2 AND day >= $3 AND day < $4
                     GROUP BY 1",
                    &[&ids, &VISITORS_DAY_CODE, &lo, &hi],
                )
                .await?);
        }
    }
    Ok(out)
}
