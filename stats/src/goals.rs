//! Goal conversions of one service and window: per goal, the sessions that started in the window
//! and reached it, and their share of all sessions that started in the window.
//!
//! Event goals are answered from the event rollups (a goal is a filter on rows that exist for
//! every event name and property), page goals from their own rollup rows. A page goal whose
//! history is still being filled ([`crate::rollup_events`]) is answered from raw rows over the
//! whole window until the backfill is done, so its figures are right from the moment it exists.

use crate::event_sql::{plan_of, segments, PlanArgs, DAYS, HOURS, PAGE_MATCH};
use crate::figures::StatsError;
use crate::goal_spec::MAX_GOALS_PER_SERVICE;
use crate::plan::{self, Source};
use crate::scalars::sums_many;
use crate::window::Window;
use serde::Serialize;
use tokio_postgres::GenericClient;
use uuid::Uuid;

/// One goal's figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GoalRow {
    /// The goal's name.
    pub name: String,
    /// Sessions that started in the window and reached the goal.
    pub conversions: i64,
    /// `conversions` as a percentage of the sessions that started in the window (None without
    /// sessions).
    pub conversion_rate_pct: Option<f64>,
}

/// A stored goal as the readers need it (the filtered reader too).
pub(crate) struct Stored {
    pub(crate) id: i64,
    pub(crate) name: String,
    pub(crate) event: Option<String>,
    pub(crate) prop_key: Option<String>,
    pub(crate) prop_value: Option<String>,
    pub(crate) regex: Option<String>,
    pub(crate) pending: bool,
}

fn event_statement() -> String {
    format!(
        "WITH g(idx, name, k, v) AS (
    SELECT * FROM unnest($12::int4[], $13::text[], $14::text[], $15::text[])),
src(idx, n) AS (
    SELECT g.idx, count(DISTINCT e.session_id) FROM g JOIN events e
      ON e.service_id = $1 AND e.name = g.name
     AND (g.k IS NULL OR (jsonb_typeof(e.props) = 'object' AND e.props ->> g.k = g.v))
    WHERE {seg} GROUP BY 1
  UNION ALL
    SELECT g.idx, sum(r.sessions) FROM g JOIN rollup_events_hourly r
      ON r.service_id = $1 AND r.name = g.name
     AND r.prop_key IS NOT DISTINCT FROM g.k AND r.prop_value IS NOT DISTINCT FROM g.v
    WHERE {HOURS} GROUP BY 1
  UNION ALL
    SELECT g.idx, sum(r.sessions) FROM g JOIN rollup_events_daily r
      ON r.service_id = $1 AND r.name = g.name
     AND r.prop_key IS NOT DISTINCT FROM g.k AND r.prop_value IS NOT DISTINCT FROM g.v
    WHERE {DAYS} GROUP BY 1
)
SELECT idx, sum(n)::int8 FROM src GROUP BY 1",
        seg = segments("e.session_start"),
    )
}

fn page_statement() -> String {
    format!(
        "WITH g(idx, id, page_regex) AS (
    SELECT * FROM unnest($12::int4[], $13::int8[], $14::text[])),
src(idx, n) AS (
    SELECT g.idx, count(*) FROM g JOIN sessions s ON s.service_id = $1 AND {seg}
    WHERE {PAGE_MATCH} GROUP BY 1
  UNION ALL
    SELECT g.idx, sum(r.sessions) FROM g JOIN rollup_goals_hourly r ON r.goal_id = g.id
    WHERE {HOURS} GROUP BY 1
  UNION ALL
    SELECT g.idx, sum(r.sessions) FROM g JOIN rollup_goals_daily r ON r.goal_id = g.id
    WHERE {DAYS} GROUP BY 1
)
SELECT idx, sum(n)::int8 FROM src GROUP BY 1",
        seg = segments("s.start_time"),
    )
}

pub(crate) async fn stored<C: GenericClient>(
    client: &C,
    service: Uuid,
) -> Result<Vec<Stored>, StatsError> {
    Ok(client
        .query(
            r#"SELECT id, name, event_name, prop_key, prop_value, page_regex,
                      rolled_from IS NOT NULL
               FROM goals WHERE service_id = $1 ORDER BY name COLLATE "C" LIMIT $2"#,
            &[&service, &MAX_GOALS_PER_SERVICE],
        )
        .await?
        .into_iter()
        .map(|r| Stored {
            id: r.get(0),
            name: r.get(1),
            event: r.get(2),
            prop_key: r.get(3),
            prop_value: r.get(4),
            regex: r.get(5),
            pending: r.get(6),
        })
        .collect())
}

/// Adds each `(idx, n)` row to `out[idx]`.
fn add(out: &mut [i64], rows: Vec<tokio_postgres::Row>) {
    for r in rows {
        let (i, n): (i32, i64) = (r.get(0), r.get(1));
        if let Some(slot) = usize::try_from(i).ok().and_then(|i| out.get_mut(i)) {
            *slot += n;
        }
    }
}

/// The goals of `service` over `window`, by name.
pub async fn goals<C: GenericClient>(
    client: &C,
    service: Uuid,
    window: &Window,
) -> Result<Vec<GoalRow>, StatsError> {
    goals_with(client, service, window, Source::Auto).await
}

/// [`goals`] from the given source.
pub async fn goals_with<C: GenericClient>(
    client: &C,
    service: Uuid,
    window: &Window,
    source: Source,
) -> Result<Vec<GoalRow>, StatsError> {
    let goals = stored(client, service).await?;
    if goals.is_empty() {
        return Ok(Vec::new());
    }
    let p = plan_of(client, service, window, source).await?;
    let mut conv = vec![0i64; goals.len()];
    let idx = |pick: &dyn Fn(&Stored) -> bool| -> Vec<i32> {
        (0..goals.len() as i32)
            .filter(|i| pick(&goals[*i as usize]))
            .collect()
    };
    let events = idx(&|g| g.event.is_some());
    if !events.is_empty() {
        let col = |f: &dyn Fn(&Stored) -> Option<String>| -> Vec<Option<String>> {
            events.iter().map(|i| f(&goals[*i as usize])).collect()
        };
        let (names, keys, values) = (
            col(&|g| g.event.clone()),
            col(&|g| g.prop_key.clone()),
            col(&|g| g.prop_value.clone()),
        );
        let args = PlanArgs::new(service, &p);
        let rows = client
            .query(
                &event_statement(),
                &args.with(&[&events, &names, &keys, &values]),
            )
            .await?;
        add(&mut conv, rows);
    }
    // Page goals whose backfill is done read the plan; the others read raw rows only.
    let raw = plan::raw_only(window);
    for pending in [false, true] {
        let pages = idx(&|g| g.regex.is_some() && g.pending == pending);
        if pages.is_empty() {
            continue;
        }
        let ids: Vec<i64> = pages.iter().map(|i| goals[*i as usize].id).collect();
        let res: Vec<Option<String>> = pages
            .iter()
            .map(|i| goals[*i as usize].regex.clone())
            .collect();
        let args = PlanArgs::new(service, if pending { &raw } else { &p });
        let rows = client
            .query(&page_statement(), &args.with(&[&pages, &ids, &res]))
            .await?;
        add(&mut conv, rows);
    }
    let sessions = sums_many(client, &[service], window, source)
        .await?
        .get(&service)
        .map_or(0, |s| s.sessions);
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
