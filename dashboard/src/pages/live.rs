//! The live view, `/dashboard/service/{service}/live/`: visitors online now, page views per
//! minute over the last half hour (a chart and the same figures as a table), the pages being
//! viewed and the referrers of new sessions. Anyone who may view the service may open it.
//!
//! It refreshes itself with `<meta http-equiv="refresh">`, not a script: the CSP stays
//! `script-src 'self'` with nothing to load, the page works without JavaScript, and there is no
//! second (JSON) route to authorise. `?pause=1` renders it without the refresh, so a reader who
//! needs time (or a screen reader) can stop it.

use super::layout::{render, service_for};
use super::tables::table_rows;
use crate::format;
use crate::http::Req;
use crate::i18n::{self, Arg};
use crate::live_chart::{minute_label, minutes_chart};
use crate::page_error::PageResult;
use crate::request_context::Ctx;
use crate::services::HideReferrers as _;
use crate::state::DashboardState;
use models::services::Access;
use serde_json::json;
use warp::http::StatusCode;

/// Seconds between refreshes: a few heartbeats, so "online now" moves visibly without a
/// reader's tab costing the database more than four small reads every so often.
pub const LIVE_REFRESH_SECONDS: u32 = 15;

/// `GET /dashboard/service/{service}/live/`.
pub async fn page(state: &DashboardState, ctx: &Ctx, req: &Req) -> PageResult {
    let (svc, _) = service_for(state, ctx, Access::View).await?;
    let tz = state.tz_of(&svc);
    let now = chrono::Utc::now();
    let paused = req.q("pause").is_some_and(|v| v == "1");
    let c = state.pool().get().await?;
    let online = stats::online_many(&**c, &[svc.id], state.online_window(), now)
        .await?
        .remove(&svc.id)
        .unwrap_or(0);
    let hide = svc.hide_regex();
    let live = stats::live::live(&**c, svc.id, state.online_window(), hide.as_ref(), now).await?;
    drop(c);

    let minutes: Vec<_> = live
        .minutes
        .iter()
        .rev()
        .map(|m| json!({"time": minute_label(m, tz), "pageviews": format::int(m.pageviews)}))
        .collect();
    let max_views = live.pages.iter().map(|p| p.pageviews).max().unwrap_or(0);
    let pages: Vec<_> = live
        .pages
        .iter()
        .map(|p| {
            json!({
                "label": if p.page.is_empty() { i18n::tr_now("common-unknown") } else { p.page.clone() },
                "href": (p.page.starts_with("http://") || p.page.starts_with("https://")).then_some(&p.page),
                "now": format::int(p.now),
                "pageviews": format::int(p.pageviews),
                "bar": crate::svg_chart::bar(format::bar(p.pageviews, max_views)),
            })
        })
        .collect();
    let new_sessions: i64 = live.referrers.iter().map(|r| r.count).sum();
    let referrers = table_rows(
        &live.referrers,
        new_sessions,
        &|k| {
            if k.is_empty() {
                i18n::tr_now("dim-empty-direct")
            } else {
                k.into()
            }
        },
        true,
    );
    let base = format!("/dashboard/service/{}/live/", svc.id);
    let data = json!({
        "service": {"id": svc.id, "name": svc.name},
        "online": format::int(online),
        "online_window_seconds": state.online_window().num_seconds(),
        "pageviews": format::int(live.pageviews),
        "minutes_span": stats::live::LIVE_MINUTES,
        "chart": minutes_chart(&live.minutes, tz),
        "minutes": minutes,
        "pages": pages,
        "referrers": referrers,
        "updated": now.with_timezone(&tz).format("%H:%M:%S").to_string(),
        "zone": tz.name(),
        "paused": paused,
        "refresh_seconds": (!paused).then_some(LIVE_REFRESH_SECONDS),
        "pause_href": format!("{base}?pause=1"),
        "resume_href": base,
    });
    render(
        state,
        ctx,
        req,
        StatusCode::OK,
        "live",
        &i18n::tr_args(
            ctx.lang,
            "live-heading",
            &[("name", Arg::from(svc.name.as_str()))],
        ),
        data,
    )
    .await
}
