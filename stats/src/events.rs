//! Custom event figures of one service and window: each event name with its events and the
//! distinct sessions that sent it, and the property breakdown of one name. Events are windowed
//! by the start of their session (like every session figure), which is what makes the distinct
//! session counts of rollup hours add up; raw edges and rollup hours are summed, ranked and cut
//! in one statement.

use crate::event_sql::{plan_of, segments, PlanArgs, DAYS, HOURS, PROPS};
use crate::figures::{StatsError, RESULTS_LIMIT};
use crate::plan::Source;
use crate::window::Window;
use serde::Serialize;
use tokio_postgres::GenericClient;
use uuid::Uuid;

/// One event name's figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EventRow {
    /// The event name.
    pub key: String,
    /// Events with this name.
    pub count: i64,
    /// Distinct sessions that sent it.
    pub sessions: i64,
}

/// One property value of one event name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PropRow {
    /// Property key.
    pub key: String,
    /// Property value.
    pub value: String,
    /// Events of the name carrying this key and value.
    pub count: i64,
}

fn totals_statement() -> String {
    format!(
        r#"WITH src(name, n, s) AS (
    SELECT e.name, count(*), count(DISTINCT e.session_id) FROM events e
    WHERE e.service_id = $1 AND {seg} GROUP BY 1
  UNION ALL
    SELECT r.name, sum(r.events), sum(r.sessions) FROM rollup_events_hourly r
    WHERE r.service_id = $1 AND r.prop_key IS NULL AND {HOURS} GROUP BY 1
  UNION ALL
    SELECT r.name, sum(r.events), sum(r.sessions) FROM rollup_events_daily r
    WHERE r.service_id = $1 AND r.prop_key IS NULL AND {DAYS} GROUP BY 1
)
SELECT name, sum(n)::int8, sum(s)::int8 FROM src GROUP BY 1
ORDER BY 2 DESC, name COLLATE "C" LIMIT $12"#,
        seg = segments("e.session_start"),
    )
}

fn props_statement() -> String {
    format!(
        r#"WITH src(k, v, n) AS (
    SELECT q.key, q.value, count(*) FROM events e CROSS JOIN LATERAL {PROPS} AS q(key, value)
    WHERE e.service_id = $1 AND e.name = $12 AND {seg} GROUP BY 1, 2
  UNION ALL
    SELECT r.prop_key, r.prop_value, sum(r.events) FROM rollup_events_hourly r
    WHERE r.service_id = $1 AND r.name = $12 AND r.prop_key IS NOT NULL AND {HOURS}
    GROUP BY 1, 2
  UNION ALL
    SELECT r.prop_key, r.prop_value, sum(r.events) FROM rollup_events_daily r
    WHERE r.service_id = $1 AND r.name = $12 AND r.prop_key IS NOT NULL AND {DAYS}
    GROUP BY 1, 2
)
SELECT k, v, sum(n)::int8 FROM src GROUP BY 1, 2
ORDER BY 3 DESC, k COLLATE "C", v COLLATE "C" LIMIT $13"#,
        seg = segments("e.session_start"),
    )
}

/// The event names of `service` over `window` (most events first, at most [`RESULTS_LIMIT`]).
pub async fn events<C: GenericClient>(
    client: &C,
    service: Uuid,
    window: &Window,
) -> Result<Vec<EventRow>, StatsError> {
    events_with(client, service, window, Source::Auto).await
}

/// [`events`] from the given source.
pub async fn events_with<C: GenericClient>(
    client: &C,
    service: Uuid,
    window: &Window,
    source: Source,
) -> Result<Vec<EventRow>, StatsError> {
    let p = plan_of(client, service, window, source).await?;
    let args = PlanArgs::new(service, &p);
    let limit = RESULTS_LIMIT as i64;
    Ok(client
        .query(&totals_statement(), &args.with(&[&limit]))
        .await?
        .into_iter()
        .map(|r| EventRow {
            key: r.get(0),
            count: r.get(1),
            sessions: r.get(2),
        })
        .collect())
}

/// The property values of event `name` (most events first, at most [`RESULTS_LIMIT`]).
pub async fn event_props<C: GenericClient>(
    client: &C,
    service: Uuid,
    window: &Window,
    name: &str,
) -> Result<Vec<PropRow>, StatsError> {
    event_props_with(client, service, window, name, Source::Auto).await
}

/// [`event_props`] from the given source.
pub async fn event_props_with<C: GenericClient>(
    client: &C,
    service: Uuid,
    window: &Window,
    name: &str,
    source: Source,
) -> Result<Vec<PropRow>, StatsError> {
    let p = plan_of(client, service, window, source).await?;
    let args = PlanArgs::new(service, &p);
    let limit = RESULTS_LIMIT as i64;
    let name = name.to_owned();
    Ok(client
        .query(&props_statement(), &args.with(&[&name, &limit]))
        .await?
        .into_iter()
        .map(|r| PropRow {
            key: r.get(0),
            value: r.get(1),
            count: r.get(2),
        })
        .collect())
}
