//! The session list, one session with its hits, and the full location list of a service.

use super::filter_links;
use super::layout::{
    page_number, pager, range_picker_in, render, service_for, window_in, with_range,
};
use super::tables::{session_rows, table_rows};
use crate::format;
use crate::http::Req;
use crate::i18n::{self, Arg};
use crate::page_error::{PageError, PageResult};
use crate::request_context::Ctx;
use crate::state::DashboardState;
use models::services::Access;
use serde_json::json;
use stats::sessions as srows;
use uuid::Uuid;
use warp::http::StatusCode;

/// Sessions per page of the list.
pub const SESSIONS_PER_PAGE: i64 = 20;
/// Locations per page of the full list.
pub const LOCATIONS_PER_PAGE: i64 = 300;
/// Hits per page of one session's detail (a session can collect thousands).
pub const HITS_PER_PAGE: i64 = 100;

/// `GET /dashboard/service/{service}/sessions/`.
pub async fn list(state: &DashboardState, ctx: &Ctx, req: &Req) -> PageResult {
    let (svc, _) = service_for(state, ctx, Access::View).await?;
    let filters = filter_links::filters_of(req)?;
    let tz = state.tz_of(&svc);
    let w = window_in(tz, req)?;
    let page = page_number(req)?;
    let now = chrono::Utc::now();
    let c = state.read_client().await?;
    let (offset, online) = ((page - 1) * SESSIONS_PER_PAGE, state.online_window());
    let p = srows::sessions_page(
        &**c,
        svc.id,
        &w,
        offset,
        SESSIONS_PER_PAGE,
        online,
        now,
        &filters,
    )
    .await?;
    let raw_since = stats::raw_available_since(&**c, svc.id).await?;
    drop(c);
    let data = json!({
        "service": {"id": svc.id, "name": svc.name},
        "back": filter_links::link(&format!("/dashboard/service/{}/", svc.id), req, &filters),
        "chips": filter_links::chips(&format!("/dashboard/service/{}/sessions/", svc.id), req, &filters),
        "picker": range_picker_in(tz, req, &w),
        "sessions": session_rows(&p.rows, svc.id, tz, ctx.date_style()),
        "total": format::int(p.total),
        "pager": pager(page, p.total, SESSIONS_PER_PAGE, &req.raw_query),
        "retention_notices": super::layout::retention_notices(&svc, raw_since, &w, tz, ctx.date_style(), now),
    });
    render(
        state,
        ctx,
        req,
        StatusCode::OK,
        "sessions",
        &i18n::tr_args(
            ctx.lang,
            "sessions-heading",
            &[("name", Arg::from(svc.name.as_str()))],
        ),
        data,
    )
    .await
}

/// `GET /dashboard/service/{service}/sessions/{session}/`.
pub async fn detail(state: &DashboardState, ctx: &Ctx, req: &Req) -> PageResult {
    let (svc, _) = service_for(state, ctx, Access::View).await?;
    let sid: Uuid = ctx
        .param("session")
        .parse()
        .map_err(|_| PageError::NotFound)?;
    let page = page_number(req)?;
    let c = state.read_client().await?;
    let d = srows::session_detail(
        &**c,
        svc.id,
        sid,
        ((page - 1) * HITS_PER_PAGE, HITS_PER_PAGE),
        state.online_window(),
        chrono::Utc::now(),
    )
    .await?
    .ok_or(PageError::NotFound)?;
    drop(c);
    let tz = state.tz_of(&svc);
    let style = ctx.date_style();
    let map_link = match (d.latitude, d.longitude) {
        (Some(lat), Some(lon)) if lat != 0.0 || lon != 0.0 => Some(
            state
                .args()
                .location_url
                .replace("$LATITUDE", &lat.to_string())
                .replace("$LONGITUDE", &lon.to_string()),
        ),
        _ => None,
    };
    let who = if d.row.identifier.is_empty() {
        i18n::tr_now("session-anonymous")
    } else {
        d.row.identifier.clone()
    };
    let unknown = |s: &str| {
        if s.is_empty() {
            i18n::tr_now("common-unknown")
        } else {
            s.to_owned()
        }
    };
    let hits: Vec<_> = d
        .hits
        .iter()
        .map(|h| {
            json!({
                "time": style.date_time_secs(&h.start_time.with_timezone(&tz)),
                "location": h.location,
                "href": (h.location.starts_with("http://") || h.location.starts_with("https://")).then_some(&h.location),
                "referrer": h.referrer,
                "duration": format::duration(Some(h.duration)),
                "load": format::millis(h.load_time),
                "tracker": if h.tracker == "PIXEL" { i18n::tr_now("session-tracker-pixel") } else { "JavaScript".to_owned() },
            })
        })
        .collect();
    let data = json!({
        "service": {"id": svc.id, "name": svc.name},
        "back": with_range(&format!("/dashboard/service/{}/sessions/", svc.id), req),
        "who": who,
        "duration": format::duration(Some(d.row.duration)),
        "start": style.date_time(&d.row.start_time.with_timezone(&tz)),
        "end": d.row.last_seen.with_timezone(&tz).format("%H:%M").to_string(),
        "online": d.row.online,
        "facts": [
            {"k": i18n::tr_now("fact-browser"), "v": unknown(&d.browser)},
            {"k": i18n::tr_now("fact-device"), "v": unknown(&d.device)},
            {"k": i18n::tr_now("fact-device-type"), "v": unknown(&d.device_type)},
            {"k": i18n::tr_now("fact-os"), "v": unknown(&d.os)},
            {"k": i18n::tr_now("fact-network"), "v": match d.asn { Some(n) if !d.row.as_org.is_empty() => format!("{} (AS{n})", d.row.as_org), Some(n) => format!("AS{n}"), None => unknown(&d.row.as_org) }},
            {"k": i18n::tr_now("fact-country"), "v": crate::worldmap::country_name(&d.row.country)},
            {"k": i18n::tr_now("fact-ip"), "v": d.ip.map(|i| i.to_string()).unwrap_or_else(|| i18n::tr_now("fact-not-collected"))},
        ],
        "map_link": map_link,
        "hits": hits,
        "hit_total": format::int(d.hit_total),
        "pager": pager(page, d.hit_total, HITS_PER_PAGE, &req.raw_query),
    });
    render(
        state,
        ctx,
        req,
        StatusCode::OK,
        "session",
        &format!("{who}, {}", format::duration(Some(d.row.duration))),
        data,
    )
    .await
}

/// `GET /dashboard/service/{service}/locations/`.
pub async fn locations(state: &DashboardState, ctx: &Ctx, req: &Req) -> PageResult {
    let (svc, _) = service_for(state, ctx, Access::View).await?;
    let filters = filter_links::filters_of(req)?;
    let tz = state.tz_of(&svc);
    let w = window_in(tz, req)?;
    let page = page_number(req)?;
    let c = state.read_client().await?;
    let offset = (page - 1) * LOCATIONS_PER_PAGE;
    let (hits, (rows, total)) = if filters.is_empty() {
        let hits = stats::scalars_many(&**c, &[svc.id], &w)
            .await?
            .remove(&svc.id)
            .unwrap_or_default()
            .hit_count;
        let pages = srows::locations_page(&**c, svc.id, &w, offset, LOCATIONS_PER_PAGE).await?;
        (hits, pages)
    } else {
        let hits = stats::filtered::sums(&**c, svc.id, &w, &filters)
            .await?
            .hits;
        let want = stats::top::Want {
            dim: stats::dimensions::LOCATION.code,
            offset,
            limit: LOCATIONS_PER_PAGE,
        };
        let mut r = stats::filtered::ranked(&**c, svc.id, &w, &filters, &[want]).await?;
        let pages = std::mem::take(&mut r[stats::dimensions::LOCATION.index()]);
        (hits, (pages.rows, pages.keys))
    };
    drop(c);
    let data = json!({
        "service": {"id": svc.id, "name": svc.name},
        "back": filter_links::link(&format!("/dashboard/service/{}/", svc.id), req, &filters),
        "chips": filter_links::chips(&format!("/dashboard/service/{}/locations/", svc.id), req, &filters),
        "picker": range_picker_in(tz, req, &w),
        "table": {"title": i18n::tr_now("dim-location-title"), "col": i18n::tr_now("dim-location-heading"), "unit": i18n::tr_now("dim-unit-hits"),
                  "rows": table_rows(&rows, hits, &|s: &str| if s.is_empty() { i18n::tr_now("common-unknown") } else { s.to_owned() }, true)},
        "pager": pager(page, total, LOCATIONS_PER_PAGE, &req.raw_query),
    });
    render(
        state,
        ctx,
        req,
        StatusCode::OK,
        "locations",
        &i18n::tr_args(
            ctx.lang,
            "locations-heading",
            &[("name", Arg::from(svc.name.as_str()))],
        ),
        data,
    )
    .await
}
