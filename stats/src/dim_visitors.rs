//! Visitors per row of a table: for each key, the distinct visitor keys of the sessions counted
//! under it, per UTC day, added up over the window's days, exactly as [`crate::visitors`] counts
//! a service's visitors (so a visitor seen on two days counts twice, and sessions without a
//! visitor key count as none).
//!
//! Rows are read raw (rollups keep per-day visitor counts per service, not per key), and only for
//! the keys a caller shows: a ranked table's rows, at most [`MAX_KEYS`] of them. Callers that
//! merge several stored keys into one reported key (Plausible's paths merge URLs that differ in
//! their query) pass a mapping, and a visitor is counted once per reported key and day, however
//! many of its stored keys it was seen under.

use crate::dimensions::{Dimension, Scope};
use crate::figures::StatsError;
use crate::window::Window;
use std::collections::HashMap;
use tokio_postgres::GenericClient;
use uuid::Uuid;

/// Most stored keys one call counts (a ranked table holds at most [`crate::RESULTS_LIMIT`]).
pub const MAX_KEYS: usize = 1000;

/// Which rows the keys come from.
#[derive(Debug, Clone, Copy)]
pub enum KeyedBy<'a> {
    /// A dimension of the registry: sessions by their column, hits (pages) by the hit's time,
    /// entries by the session's entry page view.
    Dimension(&'a Dimension),
    /// Custom event names, windowed by the session's start like every event figure.
    EventName,
}

/// Distinct visitors per reported key. `keys` maps each stored key to the key it is reported
/// under (the same string when nothing is merged); stored keys not listed are not counted, and
/// only the first [`MAX_KEYS`] pairs are used. Every reported key of `keys` is in the answer.
pub async fn visitors_by_key<C: GenericClient>(
    client: &C,
    service: Uuid,
    by: KeyedBy<'_>,
    window: &Window,
    keys: &[(String, String)],
) -> Result<HashMap<String, i64>, StatsError> {
    let keys = &keys[..keys.len().min(MAX_KEYS)];
    let mut out: HashMap<String, i64> = keys.iter().map(|(_, r)| (r.clone(), 0)).collect();
    if keys.is_empty() {
        return Ok(out);
    }
    let stored: Vec<&str> = keys.iter().map(|(s, _)| s.as_str()).collect();
    let reported: Vec<&str> = keys.iter().map(|(_, r)| r.as_str()).collect();
    let day = "(s.start_time AT TIME ZONE 'UTC')::date";
    let keyed = "unnest($4::text[], $5::text[]) AS m(stored, reported)";
    let sql = match by {
        KeyedBy::Dimension(d) => match d.scope {
            Scope::Session => format!(
                "SELECT DISTINCT m.reported, {day}, s.visitor
                 FROM sessions s JOIN {keyed} ON m.stored = {col}
                 WHERE s.service_id = $1 AND s.start_time > $2 AND s.start_time < $3
                   AND s.visitor IS NOT NULL",
                col = d.sql()
            ),
            Scope::Hit | Scope::Entry => format!(
                "SELECT DISTINCT m.reported, {day}, s.visitor
                 FROM hits h JOIN {keyed} ON m.stored = {col}
                 JOIN sessions s ON s.id = h.session_id AND s.service_id = $1
                                AND s.start_time <= h.start_time
                 WHERE h.service_id = $1 AND h.start_time > $2 AND h.start_time < $3 {entry}
                   AND s.visitor IS NOT NULL",
                col = d.sql(),
                entry = if d.scope == Scope::Entry {
                    "AND h.initial"
                } else {
                    ""
                }
            ),
        },
        KeyedBy::EventName => format!(
            "SELECT DISTINCT m.reported, {day}, s.visitor
             FROM events e JOIN {keyed} ON m.stored = e.name
             JOIN sessions s ON s.id = e.session_id AND s.service_id = $1
                            AND s.start_time = e.session_start
             WHERE e.service_id = $1 AND e.session_start > $2 AND e.session_start < $3
               AND s.visitor IS NOT NULL"
        ),
    };
    let rows = client
        .query(
            &format!("SELECT reported, count(*) FROM ({sql}) x GROUP BY 1"),
            &[&service, &window.start, &window.end, &stored, &reported],
        )
        .await?;
    for r in rows {
        out.insert(r.get(0), r.get(1));
    }
    Ok(out)
}
