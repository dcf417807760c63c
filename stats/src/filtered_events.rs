//! The custom event table and property breakdown of a filtered view: the events of the
//! segment's sessions (windowed by session start, like the unfiltered readers), from raw
//! `events` rows with the session predicate of [`crate::filter_sql`]; and goal conversions: the
//! segment's sessions that reached each goal, as a share of the segment's sessions. The event
//! table of a pre-counted segment ([`crate::segment`]) reads its rolled hours from rollups;
//! property breakdowns and goals of a segment are counted from raw rows.

use crate::event_sql::{PAGE_MATCH, PROPS};
use crate::events::{EventRow, PropRow};
use crate::figures::{StatsError, RESULTS_LIMIT};
use crate::filter_sql::{session_clause, values, Param};
use crate::filters::Filters;
use crate::goals::{stored, GoalRow};
use crate::plan::Source;
use crate::segment::Segment;
use crate::segment_plan::Coverage;
use crate::segment_read::RawParams;
use crate::window::Window;
use chrono::{DateTime, Utc};
use tokio_postgres::types::ToSql;
use tokio_postgres::GenericClient;
use uuid::Uuid;

/// Events of sessions of the segment, as SQL over the `events` alias `e` (filters from `$base+1`).
/// An event records its session's start, so its session is found by the whole key
/// (id, start_time): within the window's partitions, not by probing every one.
fn of_segment(filters: &Filters, base: usize) -> String {
    of_segment_in(filters, ("$2", "$3"), base)
}

/// [`of_segment`] for sessions started in the strict span named by two parameters.
fn of_segment_in(filters: &Filters, (lo, hi): (&str, &str), base: usize) -> String {
    format!(
        "e.service_id = $1 AND e.session_start > {lo} AND e.session_start < {hi} \
         AND EXISTS (SELECT 1 FROM sessions s WHERE s.id = e.session_id \
         AND s.start_time = e.session_start AND s.service_id = e.service_id \
         AND s.start_time > {lo} AND s.start_time < {hi} AND {})",
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
    events_with(client, service, w, filters, Source::Auto).await
}

/// [`events`] from `source`: [`Source::Auto`] reads a pre-counted segment's whole hours from
/// its rollups ([`crate::segment`]).
pub async fn events_with<C: GenericClient>(
    client: &C,
    service: Uuid,
    w: &Window,
    filters: &Filters,
    source: Source,
) -> Result<Vec<EventRow>, StatsError> {
    use crate::filtered::Reader;
    if let Reader::PreCounted(seg, cov) = Reader::choose(client, filters, source).await? {
        return segment_events(client, service, w, filters, &seg, &cov).await;
    }
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

/// The event names of a pre-counted segment: its rolled hours from `rollup_segment_events_hourly`,
/// the rest from raw rows, summed and cut in one statement (a session's events all fall in the
/// piece of its start, so distinct sessions add up).
async fn segment_events<C: GenericClient>(
    client: &C,
    service: Uuid,
    w: &Window,
    filters: &Filters,
    seg: &Segment,
    cov: &Coverage,
) -> Result<Vec<EventRow>, StatsError> {
    let plan = crate::segment_plan::hours(w, cov);
    let epoch = DateTime::<Utc>::default();
    let (h0, h1) = plan.hours.unwrap_or((epoch, epoch));
    let limit = RESULTS_LIMIT as i64;
    let raw = RawParams::new(plan.raw.iter().copied(), filters);
    let fixed: [Param; 6] = [&service, &limit, &seg.fdim, &seg.fval, &h0, &h1];
    let base = raw.base(fixed.len());
    let mut parts = vec!["SELECT name, sum(events) AS n, sum(sessions) AS s
         FROM rollup_segment_events_hourly
         WHERE service_id = $1 AND fdim = $3 AND fval = $4 AND hour >= $5 AND hour < $6
         GROUP BY 1"
        .to_owned()];
    for i in 0..plan.raw.len() {
        let (lo, hi) = RawParams::bounds_of(fixed.len(), i);
        parts.push(format!(
            "SELECT e.name, count(*), count(DISTINCT e.session_id) FROM events e WHERE {} GROUP BY 1",
            of_segment_in(filters, (&lo, &hi), base)
        ));
    }
    let p = raw.all(&fixed);
    let sql = format!(
        r#"SELECT name, sum(n)::int8, sum(s)::int8 FROM ({}) x
           GROUP BY 1 ORDER BY 2 DESC, name COLLATE "C" LIMIT $2"#,
        parts.join(" UNION ALL ")
    );
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

/// The goals of `service` over `w` among the segment's sessions, by name (raw rows only).
pub async fn goals<C: GenericClient>(
    client: &C,
    service: Uuid,
    w: &Window,
    filters: &Filters,
) -> Result<Vec<GoalRow>, StatsError> {
    let goals = stored(client, service).await?;
    if goals.is_empty() {
        return Ok(Vec::new());
    }
    let vals = values(filters);
    let mut conv = vec![0i64; goals.len()];
    let (mut ev, mut names, mut keys, mut vs) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut pg, mut res) = (Vec::new(), Vec::new());
    for (i, g) in goals.iter().enumerate() {
        let i = i as i32;
        if let Some(name) = &g.event {
            ev.push(i);
            names.push(name.clone());
            keys.push(g.prop_key.clone());
            vs.push(g.prop_value.clone());
        } else if let Some(re) = &g.regex {
            pg.push(i);
            res.push(re.clone());
        }
    }
    let mut rows = Vec::new();
    if !ev.is_empty() {
        let sql = format!(
            "WITH g(idx, name, k, v) AS (
                 SELECT * FROM unnest($4::int4[], $5::text[], $6::text[], $7::text[]))
             SELECT g.idx, count(DISTINCT e.session_id)::int8 FROM g JOIN events e
               ON e.service_id = $1 AND e.name = g.name
              AND (g.k IS NULL OR (jsonb_typeof(e.props) = 'object' AND e.props ->> g.k = g.v))
             WHERE {} GROUP BY 1",
            of_segment(filters, 7)
        );
        let mut p: Vec<&(dyn ToSql + Sync)> =
            vec![&service, &w.start, &w.end, &ev, &names, &keys, &vs];
        p.extend(vals.iter().map(|v| v as &(dyn ToSql + Sync)));
        rows.extend(client.query(&sql, &p).await?);
    }
    if !pg.is_empty() {
        let sql = format!(
            "WITH g(idx, page_regex) AS (SELECT * FROM unnest($4::int4[], $5::text[]))
             SELECT g.idx, count(*)::int8 FROM g JOIN sessions s
               ON s.service_id = $1 AND s.start_time > $2 AND s.start_time < $3
             WHERE {PAGE_MATCH} AND {} GROUP BY 1",
            session_clause(filters, "s", 5)
        );
        let mut p: Vec<&(dyn ToSql + Sync)> = vec![&service, &w.start, &w.end, &pg, &res];
        p.extend(vals.iter().map(|v| v as &(dyn ToSql + Sync)));
        rows.extend(client.query(&sql, &p).await?);
    }
    for r in rows {
        let (i, n): (i32, i64) = (r.get(0), r.get(1));
        if let Some(slot) = usize::try_from(i).ok().and_then(|i| conv.get_mut(i)) {
            *slot += n;
        }
    }
    let sessions = crate::filtered::sums(client, service, w, filters)
        .await?
        .sessions;
    Ok(goals
        .into_iter()
        .zip(conv)
        .map(|(g, n)| GoalRow {
            name: g.name,
            conversions: n,
            conversion_rate_pct: (sessions > 0).then(|| 100.0 * n as f64 / sessions as f64),
        })
        .collect())
}
