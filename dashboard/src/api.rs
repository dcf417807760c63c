//! `GET /api/v1/dashboard/`: the figures of every service the token's user owns or collaborates
//! on, in Shynet's shape (same keys) plus custom events and goals, with durations in seconds. Token auth only (no cookies);
//! tokens of deactivated users are refused; errors are JSON with an `error` text.

use crate::auth::token;
use crate::http::{self, Req, Response};
use crate::state::DashboardState;
use models::services;
use serde_json::{json, Value};
use stats::chart::{self, Chart, Granularity};
use stats::filters::{Filters, Syntax};
use stats::window;
use stats::{filtered, CoreStats, Row};
use std::collections::HashMap;
use tokio_postgres::GenericClient;
use uuid::Uuid;
use warp::http::StatusCode;

/// Services per API answer: each costs the full stats of two windows, so a user with many
/// services pages through them (`?page=`) instead of one request computing them all.
pub const SERVICES_PER_PAGE: i64 = 50;

/// Highest `?page=` accepted (far beyond any real list; keeps the offset arithmetic small).
const MAX_PAGE: i64 = 1_000_000;

/// The query parameter of one filter (repeat it to combine filters).
pub const FILTERS_PARAM: &str = "filters";

/// Longest `?event=` name accepted, in bytes.
const MAX_EVENT_BYTES: usize = 1000;

/// A JSON error answer: `{"error": msg}`.
pub fn error(status: StatusCode, msg: &str) -> Response {
    http::json(status, &json!({ "error": msg }))
}

fn rows(rows: &[Row], key: &str) -> Value {
    Value::Array(
        rows.iter()
            .map(|r| json!({ key: r.key, "count": r.count }))
            .collect(),
    )
}

/// The `stats` object of one service and window.
pub fn stats_json(s: &CoreStats, c: &Chart) -> Value {
    let mut v = json!({
        "currently_online": s.currently_online,
        "session_count": s.session_count,
        "hit_count": s.hit_count,
        "has_hits": s.has_hits,
        "bounce_rate_pct": s.bounce_rate_pct,
        "avg_session_duration": s.avg_session_duration,
        "avg_load_time": s.avg_load_time,
        "avg_hits_per_session": s.avg_hits_per_session,
        "visitor_count": s.visitor_count,
        "online": true,
        "chart_data": {
            "sessions": c.points.iter().map(|p| p.sessions).collect::<Vec<_>>(),
            "hits": c.points.iter().map(|p| p.hits).collect::<Vec<_>>(),
            "labels": c.points.iter().map(|p| p.label.clone()).collect::<Vec<_>>(),
        },
        "chart_tooltip_format": match c.granularity { Granularity::Hourly => "MM/dd HH:mm", Granularity::Daily => "MMM d" },
        "chart_granularity": c.granularity,
    });
    for (d, r) in s.dims.iter() {
        v[d.api_name] = rows(r, d.api_key);
    }
    v
}

/// Adds `events` and `goals` to a `stats` object, and `event_properties` when `event` names an
/// event whose property breakdown was asked for. With filters, all three are those of the
/// segment's sessions.
async fn add_event_stats<C: GenericClient>(
    c: &C,
    st: &mut Value,
    service: Uuid,
    w: &window::Window,
    (event, filters): (Option<&str>, &Filters),
) -> Result<(), stats::StatsError> {
    if filters.is_empty() {
        let e = stats::event_stats(c, service, w).await?;
        st["events"] = json!(e.events);
        st["goals"] = json!(e.goals);
    } else {
        st["events"] = json!(stats::filtered_events::events(c, service, w, filters).await?);
        st["goals"] = json!(stats::filtered_events::goals(c, service, w, filters).await?);
    }
    if let Some(name) = event {
        st["event_properties"] = if filters.is_empty() {
            json!(stats::events::event_props(c, service, w, name).await?)
        } else {
            json!(stats::filtered_events::event_props(c, service, w, name, filters).await?)
        };
    }
    Ok(())
}

/// One period's `stats` object: core figures, chart, events and goals.
async fn period_json<C: GenericClient>(
    state: &DashboardState,
    c: &C,
    s: &services::Listed,
    re: Option<&regex::Regex>,
    (w, tz): (&window::Window, chrono_tz::Tz),
    (event, filters): (Option<&str>, &Filters),
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
    let (ch, core) = if filters.is_empty() {
        (
            chart::charts_many(c, &[s.id], w, tz, now)
                .await?
                .remove(&s.id),
            stats::core_stats(c, s.id, w, re, state.online_window(), now).await?,
        )
    } else {
        let online = state.online_window();
        (
            Some(filtered::chart(c, s.id, w, tz, now, filters).await?),
            filtered::core_stats(c, s.id, w, re, online, now, filters).await?,
        )
    };
    let ch = ch.unwrap_or_else(|| Chart {
        granularity: Granularity::for_window(w),
        points: Vec::new(),
    });
    let mut st = stats_json(&core, &ch);
    add_event_stats(c, &mut st, s.id, w, (event, filters)).await?;
    Ok(st)
}

/// One service's entry: its figures for `w` in its zone `tz`, and under `compare` the period
/// before, computed at the same time on `spare` (another connection, or `c` again); both narrowed
/// to `filters` when there are any.
async fn service_json<C: GenericClient>(
    state: &DashboardState,
    (c, spare): (&C, &C),
    s: &services::Listed,
    re: Option<&regex::Regex>,
    (w, tz): (&window::Window, chrono_tz::Tz),
    (event, filters): (Option<&str>, &Filters),
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
    let prev = stats::previous(w);
    let (mut st, before) = tokio::try_join!(
        period_json(state, c, s, re, (w, tz), (event, filters), now),
        period_json(state, spare, s, re, (&prev, tz), (event, filters), now),
    )?;
    st["compare"] = before;
    let dropped =
        models::dropped::for_service(c, s.id, w.start.date_naive(), w.end.date_naive()).await?;
    Ok(json!({
        "name": s.name, "uuid": s.id, "link": s.link, "time_zone": tz.name(),
        "window": {"start": w.start, "end": w.end},
        "stats": st, "dropped": dropped,
    }))
}

/// Handles the API request.
pub async fn dashboard(state: &DashboardState, req: &Req) -> Response {
    match run(state, req).await {
        Ok(v) => http::json(StatusCode::OK, &v),
        Err(r) => r,
    }
}

async fn run(state: &DashboardState, req: &Req) -> Result<Value, Response> {
    let unavailable = |e: &dyn std::fmt::Display| {
        tracing::error!(error = %e, "API request failed");
        error(
            StatusCode::SERVICE_UNAVAILABLE,
            "The database did not answer. Try again in a moment.",
        )
    };
    let forbidden = || {
        error(
            StatusCode::FORBIDDEN,
            "Missing or invalid API token: send the header `Authorization: Token <your token>`.",
        )
    };
    let t = req
        .header("authorization")
        .and_then(|h| h.split_once(' '))
        .filter(|(scheme, _)| *scheme == "Token")
        .map(|(_, t)| t.trim())
        .filter(|t| !t.is_empty() && t.len() <= 200)
        .ok_or_else(forbidden)?;
    let c = state.pool().get().await.map_err(|e| unavailable(&e))?;
    let user: i64 = models::users::id_by_api_token(&**c, &token::hash(t))
        .await
        .map_err(|e| unavailable(&e))?
        .ok_or_else(forbidden)?;
    let only: Option<Uuid> = match req.q("uuid").filter(|u| !u.is_empty()) {
        Some(u) => Some(u.parse().map_err(|_| {
            error(
                StatusCode::BAD_REQUEST,
                "Invalid uuid: give a service id like 8a1f…-…",
            )
        })?),
        None => None,
    };
    let now = chrono::Utc::now();
    let w =
        window::from_dates(req.q("startDate"), req.q("endDate"), state.tz(), now).map_err(|e| {
            let msg = match e {
                window::WindowError::BadDate(_) => {
                    "Invalid date format. Use YYYY-MM-DD.".to_owned()
                }
                other => format!("{other}."),
            };
            error(StatusCode::BAD_REQUEST, &msg)
        })?;
    let page: i64 = match req.q("page").filter(|p| !p.is_empty()) {
        None => 1,
        Some(p) => p
            .parse()
            .ok()
            .filter(|n| (1..=MAX_PAGE).contains(n))
            .ok_or_else(|| {
                error(
                    StatusCode::BAD_REQUEST,
                    "Invalid page: give a positive whole number.",
                )
            })?,
    };
    let event = match req.q("event").filter(|e| !e.is_empty()) {
        Some(e) if e.len() > MAX_EVENT_BYTES => {
            return Err(error(
                StatusCode::BAD_REQUEST,
                &format!("Invalid event: give an event name of at most {MAX_EVENT_BYTES} bytes."),
            ))
        }
        e => e,
    };
    // `filters=country:DE&filters=page~:/blog/`: the syntax of the dashboard's `f=`.
    let filters = Filters::parse(
        req.query
            .iter()
            .filter(|(k, _)| k == FILTERS_PARAM)
            .map(|(_, v)| v.as_str()),
        Syntax::Url,
    )
    .map_err(|e| error(StatusCode::BAD_REQUEST, &format!("Invalid filters: {e}.")))?;
    let (list, total) = services::page_for(
        &**c,
        user,
        only,
        (page - 1) * SERVICES_PER_PAGE,
        SERVICES_PER_PAGE,
    )
    .await
    .map_err(|e| unavailable(&e))?;
    let ids: Vec<Uuid> = list.iter().map(|s| s.id).collect();
    // Each service's hide-referrer pattern, compiled once per request.
    let hide: HashMap<Uuid, regex::Regex> = services::hide_patterns(&**c, &ids)
        .await
        .map_err(|e| unavailable(&e))?
        .into_iter()
        .filter_map(|(id, pattern)| stats::referrer::compile_lenient(&pattern).map(|re| (id, re)))
        .collect();
    // Token, services and settings came from the primary; the figures from a read replica
    // when one is in use.
    drop(c);
    let c = state.read_client().await.map_err(|e| unavailable(&e))?;
    let spare = state.spare_read_client().await;
    let pc: &tokio_postgres::Client = spare.as_ref().map_or(&**c, |o| &***o);
    let mut out = Vec::new();
    for s in &list {
        let tz = window::service_zone(s.time_zone.as_deref(), state.tz());
        // The dates were checked above in the instance's zone; the same dates in another zone
        // are as valid (same calendar days), but keep the instance's window if they were not.
        let sw = window::from_dates(req.q("startDate"), req.q("endDate"), tz, now).unwrap_or(w);
        let v = service_json(
            state,
            (&**c, pc),
            s,
            hide.get(&s.id),
            (&sw, tz),
            (event, &filters),
            now,
        )
        .await
        .map_err(|e| unavailable(&e))?;
        out.push(v);
    }
    let pages = ((total + SERVICES_PER_PAGE - 1) / SERVICES_PER_PAGE).max(1);
    Ok(json!({
        "services": out, "page": page, "pages": pages,
        "filters": filters.written(Syntax::Url),
    }))
}

/// Lets pages on any origin read the API (a status page, a browser-side report): it
/// authenticates with a token header only, never cookies, so answering every origin exposes
/// nothing a caller could not fetch with the token anyway.
pub fn with_cors(mut r: Response) -> Response {
    r.headers_mut().insert(
        "access-control-allow-origin",
        warp::http::HeaderValue::from_static("*"),
    );
    r
}

/// The CORS preflight answer: `GET` with an `Authorization` header, cached for a day.
pub fn preflight() -> Response {
    let mut r = warp::http::Response::new(Vec::new().into());
    *r.status_mut() = StatusCode::NO_CONTENT;
    for (name, value) in [
        ("access-control-allow-methods", "GET, OPTIONS"),
        ("access-control-allow-headers", "Authorization"),
        ("access-control-max-age", "86400"),
    ] {
        r.headers_mut()
            .insert(name, warp::http::HeaderValue::from_static(value));
    }
    r
}

/// Serves the OpenAPI description.
pub fn openapi() -> Response {
    let mut r = warp::http::Response::new(crate::openapi::OPENAPI.as_str().into());
    r.headers_mut().insert(
        "content-type",
        warp::http::HeaderValue::from_static("application/json"),
    );
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Shynet's API keys: clients read these names.
    #[test]
    fn stats_keys_are_unchanged() {
        let c = Chart {
            granularity: Granularity::Daily,
            points: Vec::new(),
        };
        let mut s = CoreStats::default();
        let row = Row {
            key: "Linux".into(),
            count: 3,
        };
        s.dims.set(&stats::dimensions::OS, vec![row]);
        let v = stats_json(&s, &c);
        assert_eq!(v["operating_systems"], json!([{"os": "Linux", "count": 3}]));
        s.dims.set(
            &stats::dimensions::OS_VERSION,
            vec![Row {
                key: "Linux / 6.8".into(),
                count: 2,
            }],
        );
        let v = stats_json(&s, &c);
        assert_eq!(
            v["os_versions"],
            json!([{"key": "Linux / 6.8", "count": 2}])
        );
        let mut keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort_unstable();
        let mut want = vec![
            "currently_online",
            "session_count",
            "hit_count",
            "has_hits",
            "bounce_rate_pct",
            "avg_session_duration",
            "avg_load_time",
            "avg_hits_per_session",
            "online",
            "locations",
            "referrers",
            "countries",
            "networks",
            "operating_systems",
            "browsers",
            "device_types",
            "devices",
            "visitor_count",
            "entry_pages",
            "exit_pages",
            "channels",
            "utm_sources",
            "utm_mediums",
            "utm_campaigns",
            "utm_terms",
            "utm_contents",
            "regions",
            "cities",
            "browser_versions",
            "os_versions",
            "chart_data",
            "chart_tooltip_format",
            "chart_granularity",
        ];
        want.sort_unstable();
        assert_eq!(keys, want);
    }
}
