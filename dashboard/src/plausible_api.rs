//! Plausible's Stats API v1 (`/api/v1/stats/realtime/visitors`, `aggregate`, `timeseries`,
//! `breakdown`), so scripts and dashboards written for Plausible read this instance. Every
//! figure comes from the stats crate, exactly as `shynet stats` and the dashboard compute it;
//! [`crate::plausible_query`] maps the parameters. Auth: `Authorization: Bearer <API token>`
//! (our tokens; `Token <…>` works too); a site is addressed by its service id or its link's
//! domain and must be one the token's user may view. Errors are `{"error": "…"}`.

use crate::auth::token;
use crate::http::{self, Req, Response};
use crate::plausible_query::{self as q, Metric};
use crate::state::DashboardState;
use models::services;
use serde_json::{json, Map, Value};
use stats::dim_visitors::KeyedBy;
use stats::window::{self, Window};
use stats::Source;
use std::collections::HashMap;
use tokio_postgres::GenericClient;
use uuid::Uuid;
use warp::http::StatusCode;

/// Which endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    Realtime,
    Aggregate,
    Timeseries,
    Breakdown,
}

fn error(status: StatusCode, msg: &str) -> Response {
    http::json(status, &json!({ "error": msg }))
}

/// Handles one request.
pub async fn handle(state: &DashboardState, req: &Req, which: Endpoint) -> Response {
    match run(state, req, which).await {
        Ok(v) => http::json(StatusCode::OK, &v),
        Err(r) => r,
    }
}

async fn run(state: &DashboardState, req: &Req, which: Endpoint) -> Result<Value, Response> {
    let unavailable = |e: &dyn std::fmt::Display| {
        tracing::error!(error = %e, "stats API request failed");
        error(
            StatusCode::SERVICE_UNAVAILABLE,
            "The database did not answer. Try again in a moment.",
        )
    };
    let bad = |m: String| error(StatusCode::BAD_REQUEST, &m);
    let t = req
        .header("authorization")
        .and_then(|h| h.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer") || *scheme == "Token")
        .map(|(_, t)| t.trim())
        .filter(|t| !t.is_empty() && t.len() <= 200)
        .ok_or_else(|| {
            error(
                StatusCode::UNAUTHORIZED,
                "Missing or invalid API key: send `Authorization: Bearer <your API token>`.",
            )
        })?;
    let c = state.pool().get().await.map_err(|e| unavailable(&e))?;
    let user = models::users::by_api_token(&**c, &token::hash(t))
        .await
        .map_err(|e| unavailable(&e))?
        .ok_or_else(|| error(StatusCode::UNAUTHORIZED, "Invalid API key."))?;
    let site = req
        .q("site_id")
        .map(str::trim)
        .filter(|s| !s.is_empty() && s.len() <= 253)
        .ok_or_else(|| bad("The `site_id` parameter is required.".into()))?;
    let not_found = || {
        error(
            StatusCode::NOT_FOUND,
            "Site could not be found, or this API key cannot see it.",
        )
    };
    let id = match site.parse::<Uuid>() {
        Ok(id) => id,
        Err(_) => match services::ingest::ids_by_link_domain(&**c, site)
            .await
            .map_err(|e| unavailable(&e))?
            .as_slice()
        {
            [one] => *one,
            [] => return Err(not_found()),
            _ => {
                return Err(bad(
                    "Several sites use this domain: use the service id as `site_id`.".into(),
                ))
            }
        },
    };
    let (svc, _) = services::find_for_user(&**c, id, &user)
        .await
        .map_err(|e| unavailable(&e))?
        .ok_or_else(not_found)?;
    // The key and the site came from the primary; the figures from a read replica in use.
    drop(c);
    let c = state.read_client().await.map_err(|e| unavailable(&e))?;
    let now = chrono::Utc::now();
    if which == Endpoint::Realtime {
        let n = stats::online_many(&**c, &[svc.id], state.online_window(), now)
            .await
            .map_err(|e| unavailable(&e))?;
        return Ok(json!(n.get(&svc.id).copied().unwrap_or(0)));
    }
    q::no_filters(req.q("filters")).map_err(bad)?;
    let tz = state.tz_of(&svc);
    let today = now.with_timezone(&tz).date_naive();
    let (first, last) = q::days(req.q("period"), req.q("date"), today).map_err(bad)?;
    let win = |a: chrono::NaiveDate, b: chrono::NaiveDate| {
        window::from_dates(Some(&a.to_string()), Some(&b.to_string()), tz, now)
            .map_err(|e| format!("{e}."))
    };
    let compare = q::compare(req.q("compare")).map_err(bad)?;
    if compare && which != Endpoint::Aggregate {
        return Err(bad(
            "`compare` is answered by /api/v1/stats/aggregate only.".into(),
        ));
    }
    match which {
        Endpoint::Aggregate => {
            let metrics = q::metrics(req.q("metrics")).map_err(bad)?;
            let w = win(first, last).map_err(bad)?;
            let f = figures(&**c, svc.id, &w, &metrics)
                .await
                .map_err(|e| unavailable(&e))?;
            // The period of the same length just before, as the dashboard's badges compare.
            let before = match compare {
                true => Some(
                    figures(&**c, svc.id, &stats::previous(&w), &metrics)
                        .await
                        .map_err(|e| unavailable(&e))?,
                ),
                false => None,
            };
            let results: Map<String, Value> = f
                .into_iter()
                .enumerate()
                .map(|(i, (k, v))| {
                    let mut o = json!({ "value": v });
                    if let Some(b) = &before {
                        let prev = b.get(i).and_then(|(_, p)| p.as_f64());
                        o["change"] = json!(q::change(metrics[i], prev, v.as_f64()));
                    }
                    (k.to_owned(), o)
                })
                .collect();
            Ok(json!({ "results": results }))
        }
        Endpoint::Timeseries => {
            let metrics = q::metrics(req.q("metrics")).map_err(bad)?;
            let interval = q::interval(req.q("interval"), req.q("period")).map_err(bad)?;
            let mut out = Vec::new();
            for (label, a, b) in q::buckets(first, last, interval).map_err(bad)? {
                let f = figures(&**c, svc.id, &win(a, b).map_err(bad)?, &metrics)
                    .await
                    .map_err(|e| unavailable(&e))?;
                let mut row = Map::new();
                row.insert("date".into(), json!(label.to_string()));
                row.extend(f.into_iter().map(|(k, v)| (k.to_owned(), v)));
                out.push(Value::Object(row));
            }
            Ok(json!({ "results": out }))
        }
        Endpoint::Breakdown | Endpoint::Realtime => {
            let w = win(first, last).map_err(bad)?;
            breakdown(&**c, &svc, &w, req).await
        }
    }
}

/// The requested metrics of one window, in request order.
async fn figures<C: GenericClient>(
    c: &C,
    svc: Uuid,
    w: &Window,
    metrics: &[Metric],
) -> Result<Vec<(&'static str, Value)>, stats::StatsError> {
    let s = stats::scalars_many(c, &[svc], w).await?;
    let s = s.get(&svc).cloned().unwrap_or_default();
    let visitors = if metrics.contains(&Metric::Visitors) {
        stats::visitors_many(c, &[svc], w, Source::Auto)
            .await?
            .get(&svc)
            .copied()
            .unwrap_or(0)
    } else {
        0
    };
    let events = if metrics.contains(&Metric::Events) {
        let e = stats::event_stats(c, svc, w).await?;
        s.hit_count + e.events.iter().map(|r| r.count).sum::<i64>()
    } else {
        0
    };
    Ok(metrics
        .iter()
        .map(|m| {
            let v = match m {
                Metric::Visitors => json!(visitors),
                Metric::Visits => json!(s.session_count),
                Metric::Pageviews => json!(s.hit_count),
                Metric::BounceRate => json!(s.bounce_rate_pct.unwrap_or(0.0)),
                Metric::VisitDuration => json!(s.avg_session_duration.unwrap_or(0.0)),
                Metric::ViewsPerVisit => json!(s.avg_hits_per_session.unwrap_or(0.0)),
                Metric::Events => json!(events),
            };
            (m.name(), v)
        })
        .collect())
}

/// The rows of one breakdown before Plausible's keys: (stored key, [(metric, count)]) per row,
/// the metrics the table answers (the first is the default), and where visitors per row come
/// from (`None`: not answered for this property).
type Table = (
    Vec<(String, Vec<(&'static str, i64)>)>,
    &'static [&'static str],
    Option<KeyedBy<'static>>,
);

/// The one table a property names.
async fn table<C: GenericClient>(
    c: &C,
    svc: &services::ServiceRow,
    w: &Window,
    dim: &str,
) -> Result<Option<Table>, stats::StatsError> {
    if dim == "event_name" || dim == "goal" {
        let e = stats::event_stats(c, svc.id, w).await?;
        return Ok(Some(if dim == "event_name" {
            let rows = e.events.into_iter();
            (
                rows.map(|r| (r.key, vec![("events", r.count), ("visits", r.sessions)]))
                    .collect(),
                &["visitors", "events", "visits"],
                Some(KeyedBy::EventName),
            )
        } else {
            let rows = e.goals.into_iter();
            (
                rows.map(|g| (g.name, vec![("visits", g.conversions)]))
                    .collect(),
                &["visits"],
                None,
            )
        }));
    }
    let Some(d) = stats::dimensions::ALL.iter().find(|d| d.name == dim) else {
        return Ok(None);
    };
    let hide = stats::referrer::compile_lenient(&svc.hide_referrer_regex);
    let t = stats::tables(c, svc.id, w, hide.as_ref()).await?;
    let (metric, natural): (&'static str, &'static [&'static str]) =
        if d.scope == stats::dimensions::Scope::Hit {
            ("pageviews", &["visitors", "pageviews"])
        } else {
            ("visits", &["visitors", "visits"])
        };
    let rows = t.dims.get(d).iter();
    Ok(Some((
        rows.map(|r| (r.key.clone(), vec![(metric, r.count)]))
            .collect(),
        natural,
        Some(KeyedBy::Dimension(d)),
    )))
}

/// `breakdown`: one of our top tables (at most [`stats::RESULTS_LIMIT`] keys) in Plausible's
/// shape, keyed as Plausible keys it and paged with `limit` and `page`; `visitors` per row are
/// distinct visitors per UTC day over the rows merged into each of Plausible's keys.
async fn breakdown<C: GenericClient>(
    c: &C,
    svc: &services::ServiceRow,
    w: &Window,
    req: &Req,
) -> Result<Value, Response> {
    let unavailable = |e: &dyn std::fmt::Display| {
        tracing::error!(error = %e, "stats API request failed");
        error(
            StatusCode::SERVICE_UNAVAILABLE,
            "The database did not answer. Try again in a moment.",
        )
    };
    let bad = |m: String| error(StatusCode::BAD_REQUEST, &m);
    let prop = q::property(req.q("property")).map_err(bad)?;
    let (limit, page) = q::paging(req.q("limit"), req.q("page")).map_err(bad)?;
    let (rows, natural, keyed_by) = table(c, svc, w, prop.dim)
        .await
        .map_err(|e| unavailable(&e))?
        .ok_or_else(|| bad("This property is not available.".into()))?;
    let wanted: Vec<&str> = match req.q("metrics").map(str::trim).filter(|s| !s.is_empty()) {
        None => vec![natural[0]],
        Some(m) => m.split(',').map(str::trim).collect(),
    };
    if let Some(m) = wanted.iter().find(|m| !natural.contains(m)) {
        return Err(bad(format!(
            "The metric `{m}` is not available in a breakdown by `{}` on this server: use {}.",
            req.q("property").unwrap_or(""),
            natural.join(" or ")
        )));
    }
    // Plausible's keys (paths, source hosts) can merge several of ours: add them up.
    let mut merged: HashMap<String, HashMap<&'static str, i64>> = HashMap::new();
    let mut stored_as: Vec<(String, String)> = Vec::with_capacity(rows.len());
    for (key, counts) in rows {
        let Some(k) = q::shape_key(prop.shape, &key) else {
            continue;
        };
        let slot = merged.entry(k.clone()).or_default();
        for (m, n) in counts {
            *slot.entry(m).or_default() += n;
        }
        stored_as.push((key, k));
    }
    if let (true, Some(by)) = (wanted.contains(&"visitors"), keyed_by) {
        let v = stats::dim_visitors::visitors_by_key(c, svc.id, by, w, &stored_as)
            .await
            .map_err(|e| unavailable(&e))?;
        for (k, n) in v {
            merged.entry(k).or_default().insert("visitors", n);
        }
    }
    let sort_by = wanted[0];
    let mut list: Vec<(String, HashMap<&'static str, i64>)> = merged.into_iter().collect();
    list.sort_by(|a, b| {
        let n = |x: &HashMap<&str, i64>| x.get(sort_by).copied().unwrap_or(0);
        n(&b.1).cmp(&n(&a.1)).then_with(|| a.0.cmp(&b.0))
    });
    let results: Vec<Value> = list
        .into_iter()
        .skip((page - 1).saturating_mul(limit))
        .take(limit)
        .map(|(k, counts)| {
            let mut row = Map::new();
            row.insert(prop.key.into(), json!(k));
            for m in &wanted {
                row.insert((*m).to_owned(), json!(counts.get(m).copied().unwrap_or(0)));
            }
            Value::Object(row)
        })
        .collect();
    Ok(json!({ "results": results }))
}
