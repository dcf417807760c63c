//! The Events and Goals cards of the service page: event names with their events and sessions
//! (a name links to its property breakdown, `?event=`), and each goal's conversions, rate and
//! change against the equal period before.

use crate::format::{self, badge, Better};
use crate::http::Req;
use crate::page_error::PageError;
use serde_json::{json, Value};
use stats::events::{EventRow, PropRow};
use stats::filters::Filters;
use stats::goals::GoalRow;
use stats::window::Window;
use tokio_postgres::GenericClient;
use uuid::Uuid;

/// Longest `?event=` name looked up (longer names cannot have been stored).
const MAX_EVENT_QUERY_BYTES: usize = 1000;

/// The service page link showing `name`'s properties, keeping the date range and the filters.
fn props_link(req: &Req, name: &str) -> String {
    let mut q = form_urlencoded::Serializer::new(String::new());
    for key in ["startDate", "endDate"] {
        if let Some(v) = req.q(key).filter(|v| !v.is_empty()) {
            q.append_pair(key, v);
        }
    }
    for (k, v) in &req.query {
        if k == super::filter_links::PARAM {
            q.append_pair(k, v);
        }
    }
    q.append_pair("event", name);
    format!("?{}#events", q.finish())
}

fn event_rows(req: &Req, rows: &[EventRow], open: Option<&str>) -> Vec<Value> {
    let max = rows.first().map_or(0, |r| r.count);
    rows.iter()
        .map(|r| {
            json!({
                "label": r.key,
                "href": props_link(req, &r.key),
                "open": open == Some(r.key.as_str()),
                "count": format::int(r.count),
                "sessions": format::int(r.sessions),
                "bar": crate::svg_chart::bar(format::bar(r.count, max)),
            })
        })
        .collect()
}

fn prop_rows(rows: &[PropRow]) -> Vec<Value> {
    let max = rows.first().map_or(0, |r| r.count);
    rows.iter()
        .map(|r| {
            json!({
                "key": r.key,
                "value": r.value,
                "count": format::int(r.count),
                "bar": crate::svg_chart::bar(format::bar(r.count, max)),
            })
        })
        .collect()
}

fn goal_rows(cur: &[GoalRow], prev: &[GoalRow]) -> Vec<Value> {
    cur.iter()
        .map(|g| {
            let before = prev.iter().find(|p| p.name == g.name).map(|p| p.conversions);
            json!({
                "name": g.name,
                "conversions": format::int(g.conversions),
                "rate": format::percent(g.conversion_rate_pct),
                "badge": badge(Some(g.conversions as f64), before.map(|b| b as f64), Better::Higher),
            })
        })
        .collect()
}

/// The cards' data for `service` over `w` (and `prev`, the period before); `?event=` picks the
/// event whose properties are shown.
pub async fn cards<C: GenericClient>(
    c: &C,
    req: &Req,
    service: Uuid,
    (w, prev): (&Window, &Window),
    filters: &Filters,
) -> Result<Value, PageError> {
    let events = if filters.is_empty() {
        stats::events::events(c, service, w).await?
    } else {
        stats::filtered_events::events(c, service, w, filters).await?
    };
    let open = req
        .q("event")
        .filter(|e| !e.is_empty() && e.len() <= MAX_EVENT_QUERY_BYTES);
    let props = match open {
        Some(name) => Some(json!({
            "name": name,
            "rows": prop_rows(&if filters.is_empty() {
                stats::events::event_props(c, service, w, name).await?
            } else {
                stats::filtered_events::event_props(c, service, w, name, filters).await?
            }),
            "close": super::filter_links::link(&req.path, req, filters) + "#events",
        })),
        None => None,
    };
    let goals_of = |win: &Window| {
        let win = *win;
        async move {
            if filters.is_empty() {
                stats::goals::goals(c, service, &win).await
            } else {
                stats::filtered_events::goals(c, service, &win, filters).await
            }
        }
    };
    let goals = goals_of(w).await?;
    let before = if goals.is_empty() {
        Vec::new()
    } else {
        goals_of(prev).await?
    };
    Ok(json!({
        "events": event_rows(req, &events, open),
        "props": props,
        "goals": goal_rows(&goals, &before),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn goal_rows_compare_with_the_same_goal_before() {
        let g = |name: &str, n: i64| GoalRow {
            name: name.into(),
            conversions: n,
            conversion_rate_pct: Some(n as f64),
        };
        let rows = goal_rows(&[g("A", 6), g("B", 1)], &[g("A", 3)]);
        assert_eq!(rows[0]["badge"]["text"], "↑ 100%");
        assert_eq!(rows[0]["rate"], format::percent(Some(6.0)));
        // Not in the previous period at all: nothing to compare with.
        assert_eq!(rows[1]["badge"]["text"], "new");
    }
}
