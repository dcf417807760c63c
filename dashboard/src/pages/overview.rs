//! The overview: every service the user owns or collaborates on, a page at a time, with its
//! figures, the comparison with the previous equal period, "N online" and a sparkline. All
//! services of a page are computed together with set-based queries.

use super::layout::{page_number, pager, range_picker, render, window_of, with_range};
use crate::format::{self, badge, Better};
use crate::http::Req;
use crate::i18n;
use crate::page_error::PageResult;
use crate::request_context::Ctx;
use crate::state::DashboardState;
use models::services;
use serde_json::json;
use stats::chart;
use uuid::Uuid;
use warp::http::StatusCode;

/// `GET /dashboard/`.
pub async fn page(state: &DashboardState, ctx: &Ctx, req: &Req) -> PageResult {
    let user = ctx.require_user()?;
    let w = window_of(state, req)?;
    let page = page_number(req)?;
    let per_page = state.args().dashboard_page_size.max(1) as i64;
    let c = state.pool().get().await?;
    let (slice, total) =
        services::page_for(&**c, user.id, None, (page - 1) * per_page, per_page).await?;
    drop(c);
    let ids: Vec<Uuid> = slice.iter().map(|s| s.id).collect();
    let now = chrono::Utc::now();
    // The list of services came from the primary; their figures from a replica when in use.
    let c = state.read_client().await?;
    let cur = stats::scalars_many(&**c, &ids, &w).await?;
    let prev = stats::scalars_many(&**c, &ids, &stats::previous(&w)).await?;
    let online = stats::online_many(&**c, &ids, state.online_window(), now).await?;
    let charts = chart::charts_many(&**c, &ids, &w, state.tz(), now).await?;
    drop(c);
    let mut cards: Vec<(i64, serde_json::Value)> = slice
        .iter()
        .map(|s| {
            let a = cur.get(&s.id).copied().unwrap_or_default();
            let p = prev.get(&s.id).copied().unwrap_or_default();
            let tr = |k: &str| i18n::tr(ctx.lang, k);
            let figures = json!([
                {"label": tr("figure-sessions"), "value": format::int(a.session_count),
                 "badge": badge(Some(a.session_count as f64), Some(p.session_count as f64), Better::Higher)},
                {"label": tr("figure-hits"), "value": format::int(a.hit_count),
                 "badge": badge(Some(a.hit_count as f64), Some(p.hit_count as f64), Better::Higher)},
                {"label": tr("figure-bounce-rate"), "value": format::percent(a.bounce_rate_pct),
                 "badge": badge(a.bounce_rate_pct, p.bounce_rate_pct, Better::Lower)},
                {"label": tr("figure-avg-duration"), "value": format::duration(a.avg_session_duration),
                 "badge": badge(a.avg_session_duration, p.avg_session_duration, Better::Higher)},
            ]);
            (
                a.session_count,
                json!({
                    "name": s.name,
                    "href": with_range(&format!("/dashboard/service/{}/", s.id), req),
                    "archived": s.archived,
                    "owned": s.owned,
                    "online": online.get(&s.id).copied().unwrap_or(0),
                    "figures": figures,
                    "spark": charts.get(&s.id).map(crate::svg_chart::sparkline).unwrap_or_default(),
                }),
            )
        })
        .collect();
    // Within a page, busiest first (Shynet's order).
    cards.sort_by_key(|c| std::cmp::Reverse(c.0));
    let cards: Vec<_> = cards.into_iter().map(|(_, v)| v).collect();
    let data = json!({
        "cards": cards,
        "empty": total == 0,
        "picker": range_picker(state, req, &w),
        "pager": pager(page, total, per_page, &req.raw_query),
        "can_create": super::layout::can_create(state, ctx),
    });
    render(
        state,
        ctx,
        req,
        StatusCode::OK,
        "overview",
        &i18n::tr(ctx.lang, "overview-heading"),
        data,
    )
    .await
}
