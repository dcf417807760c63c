//! The custom event table and property breakdown of a filtered view: the events of the
//! segment's sessions (windowed by session start, like the unfiltered readers), from raw
//! `events` rows with the session predicate of [`crate::filter_sql`]. Goal conversions are not
//! filtered (a goal's page or event definition would need its own predicate per goal).

use crate::event_sql::PROPS;
use crate::events::{EventRow, PropRow};
use crate::figures::{StatsError, RESULTS_LIMIT};
use crate::filter_sql::{session_clause, values};
use crate::filters::Filters;
use crate::window::Window;
use tokio_postgres::types::ToSql;
use tokio_postgres::GenericClient;
use uuid::Uuid;

/// Events of sessions of the segment, as SQL over the `events` alias `e` (filters from `$base+1`).
fn of_segment(filters: &Filters, base: usize) -> String {
    format!(
        "e.service_id = $1 AND e.session_start > $2 AND e.session_start < $3 \
         AND EXISTS (SELECT 1 FROM sessions s WHERE s.id = e.session_id \
         AND s.service_id = e.service_id AND {})",
        session_clause(filters, "s", base)
    )
}

/// The event names of the segment over `w` (most events first, at most [`RESULTS_LIMIT`]).
pub async fn events<C: GenericClient>(
    client: &C,
    service: Uuid,
    w: &Window,
    filters: &Filters,
) -> Result<Vec<EventRow>, StatsError> {
    let sql = format!(
        r#"SELECT e.name, count(*), count(DISTINCT e.session_id) FROM events e
           WHERE {} GROUP BY 1 ORDER BY 2 DESC, e.name COLLATE "C" LIMIT $4"#,
        of_segment(filters, 4)
    );
    let limit = RESULTS_LIMIT as i64;
    let vals = values(filters);
    let mut p: Vec<&(dyn ToSql + Sync)> = vec![&service, &w.start, &w.end, &limit];
    p.extend(vals.iter().map(|v| v as &(dyn ToSql + Sync)));
    Ok(client
        .query(&sql, &p)
        .await?
        .into_iter()
        .map(|r| EventRow {
            key: r.get(0),
            count: r.get(1),
            sessions: r.get(2),
        })
        .collect())
}

/// The property values of event `name` among the segment's events (at most [`RESULTS_LIMIT`]).
pub async fn event_props<C: GenericClient>(
    client: &C,
    service: Uuid,
    w: &Window,
    name: &str,
    filters: &Filters,
) -> Result<Vec<PropRow>, StatsError> {
    let sql = format!(
        r#"SELECT q.key, q.value, count(*) FROM events e CROSS JOIN LATERAL {PROPS} AS q(key, value)
           WHERE e.name = $4 AND {} GROUP BY 1, 2
           ORDER BY 3 DESC, q.key COLLATE "C", q.value COLLATE "C" LIMIT $5"#,
        of_segment(filters, 5)
    );
    let limit = RESULTS_LIMIT as i64;
    let name = name.to_owned();
    let vals = values(filters);
    let mut p: Vec<&(dyn ToSql + Sync)> = vec![&service, &w.start, &w.end, &name, &limit];
    p.extend(vals.iter().map(|v| v as &(dyn ToSql + Sync)));
    Ok(client
        .query(&sql, &p)
        .await?
        .into_iter()
        .map(|r| PropRow {
            key: r.get(0),
            value: r.get(1),
            count: r.get(2),
        })
        .collect())
}
