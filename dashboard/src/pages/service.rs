//! The service page: stats strip with comparison badges, the hits/sessions chart, the tables
//! (pages, referrers, countries with a map, networks, systems, browsers, device types), custom
//! events and goals, and the latest sessions — or the install instructions while the service has never had a hit.

use super::event_cards;
use super::layout::{range_picker, render, service_for, window_of, with_range};
use super::tables::{session_rows, table_rows};
use crate::format::{self, badge, Better};
use crate::http::Req;
use crate::page_error::PageResult;
use crate::request_context::Ctx;
use crate::services::HideReferrers as _;
use crate::state::DashboardState;
use models::services::Access;
use serde_json::{json, Value};
use stats::dimensions::{self, Dimension, Label, Placement, Scope};
use stats::{chart, sessions as srows, Tables};
use warp::http::StatusCode;

fn title_case(s: &str) -> String {
    let lower = s.to_lowercase();
    let mut c = lower.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// How the page shows a key of `d`.
pub fn dim_label(d: &Dimension, key: &str) -> String {
    if key.is_empty() {
        return d.empty.to_owned();
    }
    match d.label {
        Label::Text => key.to_owned(),
        Label::TitleCase => title_case(key),
        Label::Country => crate::worldmap::country_name(key),
    }
}

/// The table of one dimension; shares are of the total its scope counts.
fn dim_table(d: &Dimension, t: &Tables, cur: &stats::Scalars) -> Value {
    let total = match d.scope {
        Scope::Session => cur.session_count,
        Scope::Hit => cur.hit_count,
        Scope::Entry => t.entry_count,
    };
    let rows = t.rows(d);
    json!({
        "title": d.title, "col": d.heading, "unit": d.unit(),
        "rows": table_rows(rows, total, &|k: &str| dim_label(d, k), d.links),
    })
}

/// The service page's dimension tables in registry order: those above the map, those below
/// it, and the map's own table. `locations` is the link to the full page list.
fn dim_tables(
    t: &Tables,
    cur: &stats::Scalars,
    locations: &dyn Fn() -> String,
) -> (Vec<Value>, Vec<Value>, Value) {
    let (mut head_tables, mut tables) = (Vec::new(), Vec::new());
    let mut countries = Value::Null;
    for d in dimensions::ALL {
        match d.placement {
            Placement::Table => {
                let mut table = dim_table(d, t, cur);
                // Only pages have a full list of their own.
                if *d == dimensions::LOCATION && t.rows(d).len() >= stats::RESULTS_LIMIT {
                    table["more"] = json!(locations());
                }
                tables.push(table);
            }
            Placement::Map => {
                countries = dim_table(d, t, cur);
                head_tables = std::mem::take(&mut tables);
            }
            Placement::Hidden => {}
        }
    }
    (head_tables, tables, countries)
}

/// `GET /dashboard/service/{service}/`.
pub async fn page(state: &DashboardState, ctx: &Ctx, req: &Req) -> PageResult {
    let (svc, access) = service_for(state, ctx, Access::View).await?;
    let w = window_of(state, req)?;
    let now = chrono::Utc::now();
    let c = state.pool().get().await?;
    let online = stats::online_many(&**c, &[svc.id], state.online_window(), now)
        .await?
        .remove(&svc.id)
        .unwrap_or(0);
    let base = json!({
        "service": {"id": svc.id, "name": svc.name, "link": svc.link, "archived": svc.archived()},
        "manage": access == Access::Manage,
        "online": online,
        "picker": range_picker(state, req, &w),
        "range_sessions": with_range(&format!("/dashboard/service/{}/sessions/", svc.id), req),
        "range_locations": with_range(&format!("/dashboard/service/{}/locations/", svc.id), req),
    });
    if !stats::has_hits(&**c, svc.id).await? {
        drop(c);
        let mut data = base;
        data["install"] = json!(true);
        data["snippet"] = json!(beacon::snippet::install_snippet(
            &super::links::ingress_base(state, req),
            svc.id
        ));
        return render(state, ctx, req, StatusCode::OK, "service", &svc.name, data).await;
    }
    let cur = stats::scalars_many(&**c, &[svc.id], &w)
        .await?
        .remove(&svc.id)
        .unwrap_or_default();
    let prev = stats::scalars_many(&**c, &[svc.id], &stats::previous(&w))
        .await?
        .remove(&svc.id)
        .unwrap_or_default();
    let t = stats::tables(&**c, svc.id, &w, svc.hide_regex().as_ref()).await?;
    let ch = chart::charts_many(&**c, &[svc.id], &w, state.tz(), now)
        .await?
        .remove(&svc.id);
    let recent =
        srows::recent_sessions(&**c, svc.id, &w, 0, 10, state.online_window(), now).await?;
    let raw_since = stats::raw_available_since(&**c, svc.id).await?;
    let mut event_cards = event_cards::cards(&**c, req, svc.id, &w, &stats::previous(&w)).await?;
    event_cards["manage"] = json!(access == Access::Manage);
    event_cards["service_id"] = json!(svc.id);
    drop(c);

    let strip = json!([
        {"label": "Sessions", "value": format::int(cur.session_count),
         "badge": badge(Some(cur.session_count as f64), Some(prev.session_count as f64), Better::Higher)},
        {"label": "Hits", "value": format::int(cur.hit_count),
         "badge": badge(Some(cur.hit_count as f64), Some(prev.hit_count as f64), Better::Higher)},
        {"label": "Load time", "value": format::millis(cur.avg_load_time),
         "badge": badge(cur.avg_load_time, prev.avg_load_time, Better::Lower)},
        {"label": "Bounce rate", "value": format::percent(cur.bounce_rate_pct),
         "badge": badge(cur.bounce_rate_pct, prev.bounce_rate_pct, Better::Lower)},
        {"label": "Duration", "value": format::duration(cur.avg_session_duration),
         "badge": badge(cur.avg_session_duration, prev.avg_session_duration, Better::Higher)},
        {"label": "Hits / session", "value": format::one_decimal(cur.avg_hits_per_session),
         "badge": badge(cur.avg_hits_per_session, prev.avg_hits_per_session, Better::Higher)},
    ]);
    let tz = state.tz();
    let chart_svg = ch
        .as_ref()
        .map(|c| {
            crate::svg_chart::main_chart(c, tz, &|d| {
                format!("/dashboard/service/{}/?startDate={d}&endDate={d}", svc.id)
            })
        })
        .unwrap_or_default();
    let (head_tables, tables, countries) = dim_tables(&t, &cur, &|| {
        with_range(&format!("/dashboard/service/{}/locations/", svc.id), req)
    });
    let mut data = base;
    data["strip"] = strip;
    data["chart"] = json!(chart_svg);
    data["head_tables"] = json!(head_tables);
    data["tables"] = json!(tables);
    data["countries"] = countries;
    data["map"] = json!(crate::worldmap::map(t.rows(&dimensions::COUNTRY)));
    data["sessions"] = json!(session_rows(&recent, svc.id, state));
    data["event_cards"] = event_cards;
    data["retention_notices"] = json!(super::layout::retention_notices(
        &svc,
        raw_since,
        &w,
        state.tz(),
        now
    ));
    render(state, ctx, req, StatusCode::OK, "service", &svc.name, data).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_follow_the_registry() {
        assert_eq!(dim_label(&dimensions::DEVICE_TYPE, "MOBILE"), "Mobile");
        assert_eq!(dim_label(&dimensions::DEVICE_TYPE, ""), "Unknown");
        assert_eq!(dim_label(&dimensions::REFERRER, ""), "Direct");
        assert_eq!(dim_label(&dimensions::COUNTRY, "DE"), "Germany");
        assert_eq!(dim_label(&dimensions::OS, "Linux"), "Linux");
    }
}
