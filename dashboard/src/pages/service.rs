//! The service page: stats strip with comparison badges, the hits/sessions chart, the dimension
//! cards (pages, entry and exit pages, referrers, channels, campaigns, countries with a map and
//! their regions, networks, systems, browsers, device types: see [`super::dim_cards`]), custom
//! events and goals ([`super::event_cards`]) and the latest sessions — or the install
//! instructions while the service has never had a hit.

use super::dim_cards::dim_cards;
use super::event_cards;
use super::filter_links;
use super::layout::{range_picker_in, render, service_for, window_in, with_range};
use super::service_figures::{self, Figures, View};
use super::tables::session_rows;
use crate::format::{self, badge, Better};
use crate::http::Req;
use crate::i18n;
use crate::page_error::{PageError, PageResult};
use crate::request_context::Ctx;
use crate::services::HideReferrers as _;
use crate::state::DashboardState;
use models::services::Access;
use serde_json::json;
use stats::dimensions;
use warp::http::StatusCode;

/// `GET /dashboard/service/{service}/`. With `?f=` filters every figure, the comparison, the
/// chart, the tables and the recent sessions describe the filtered segment
/// ([`super::service_figures`]).
pub async fn page(state: &DashboardState, ctx: &Ctx, req: &Req) -> PageResult {
    let (svc, access) = service_for(state, ctx, Access::View).await?;
    let filters = filter_links::filters_of(req)?;
    let tz = state.tz_of(&svc);
    let w = window_in(tz, req)?;
    let now = chrono::Utc::now();
    let path = format!("/dashboard/service/{}/", svc.id);
    // Figures come from a read replica when one is in use; the service row above came from the
    // primary, so a service created a moment ago has its page at once.
    let c = state.read_client().await?;
    let base = json!({
        "service": {"id": svc.id, "name": svc.name, "link": svc.link, "archived": svc.archived()},
        "manage": access == Access::Manage,
        "picker": range_picker_in(tz, req, &w),
        "range_sessions": filter_links::link(&format!("/dashboard/service/{}/sessions/", svc.id), req, &filters),
        "segment_action": with_range(&format!("/dashboard/service/{}/segments/", svc.id), req),
        "range_locations": filter_links::link(&format!("/dashboard/service/{}/locations/", svc.id), req, &filters),
        "chips": filter_links::chips(&path, req, &filters),
        "segments": super::segments::quick_links(&**c, svc.id, &path, req, &filters).await?,
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
    let hide = svc.hide_regex();
    let view = View {
        service: svc.id,
        window: &w,
        tz,
        now,
        online_window: state.online_window(),
        hide: hide.as_ref(),
        filters: &filters,
    };
    let prev_w = stats::previous(&w);
    // The previous period and half the tables on a second connection when one is free right
    // now, the rest of the figures and the other half on the first: about half the time each.
    let spare = state.spare_read_client().await;
    let pc: &tokio_postgres::Client = spare.as_ref().map_or(&**c, |o| &***o);
    let current = async {
        let figures = service_figures::load(&**c, &view).await?;
        let raw_since = stats::raw_available_since(&**c, svc.id).await?;
        let cards = event_cards::cards(&**c, req, svc.id, (&w, &prev_w), &filters).await?;
        let half = service_figures::tables_half(&**c, &view, 1).await?;
        Ok::<_, PageError>((figures, raw_since, cards, half))
    };
    let (
        (
            Figures {
                online,
                cur,
                visitors,
                chart: ch,
                recent,
            },
            raw_since,
            mut event_cards,
            half_1,
        ),
        ((prev, prev_visitors), half_0),
    ) = tokio::try_join!(current, async {
        let prev = service_figures::previous(pc, &view, &prev_w).await?;
        Ok::<_, PageError>((prev, service_figures::tables_half(pc, &view, 0).await?))
    })?;
    let t = service_figures::join_tables(half_0, half_1, hide.as_ref());
    event_cards["manage"] = json!(access == Access::Manage);
    event_cards["service_id"] = json!(svc.id);
    event_cards["unfiltered"] = json!(!filters.is_empty());
    drop(spare);
    drop(c);

    let tr = |k: &str| i18n::tr(ctx.lang, k);
    let strip = json!([
        {"label": tr("figure-visitors"), "value": format::int(visitors), "note": tr("figure-visitors-note"),
         "hint": tr("figure-visitors-hint"),
         "badge": badge(Some(visitors as f64), Some(prev_visitors as f64), Better::Higher)},
        {"label": tr("figure-sessions"), "value": format::int(cur.session_count),
         "badge": badge(Some(cur.session_count as f64), Some(prev.session_count as f64), Better::Higher)},
        {"label": tr("figure-hits"), "value": format::int(cur.hit_count),
         "badge": badge(Some(cur.hit_count as f64), Some(prev.hit_count as f64), Better::Higher)},
        {"label": tr("figure-load-time"), "value": format::millis(cur.avg_load_time),
         "badge": badge(cur.avg_load_time, prev.avg_load_time, Better::Lower)},
        {"label": tr("figure-bounce-rate"), "value": format::percent(cur.bounce_rate_pct),
         "badge": badge(cur.bounce_rate_pct, prev.bounce_rate_pct, Better::Lower)},
        {"label": tr("figure-duration"), "value": format::duration(cur.avg_session_duration),
         "badge": badge(cur.avg_session_duration, prev.avg_session_duration, Better::Higher)},
        {"label": tr("figure-hits-per-session"), "value": format::one_decimal(cur.avg_hits_per_session),
         "badge": badge(cur.avg_hits_per_session, prev.avg_hits_per_session, Better::Higher)},
    ]);
    let keep = filter_links::suffix(&filters);
    let chart_svg = ch
        .as_ref()
        .map(|c| {
            crate::svg_chart::main_chart(c, tz, ctx.date_style(), &|d| {
                format!("{path}?startDate={d}&endDate={d}{keep}")
            })
        })
        .unwrap_or_default();
    let add = |d: &'static stats::Dimension, key: &str| {
        filter_links::add_link(&path, req, &filters, d, key)
    };
    let (head_tables, tables, countries) = dim_cards(
        &t,
        &cur,
        &|| {
            filter_links::link(
                &format!("/dashboard/service/{}/locations/", svc.id),
                req,
                &filters,
            )
        },
        &add,
    );
    let mut data = base;
    data["online"] = json!(online);
    data["strip"] = strip;
    data["chart"] = json!(chart_svg);
    data["chart_table"] = json!(ch
        .as_ref()
        .map(|c| crate::svg_chart::data_table(c, tz, ctx.date_style()))
        .unwrap_or_default());
    data["head_tables"] = json!(head_tables);
    data["tables"] = json!(tables);
    data["countries"] = countries;
    data["map"] = json!(crate::worldmap::map(t.rows(&dimensions::COUNTRY)));
    data["sessions"] = json!(session_rows(&recent, svc.id, tz, ctx.date_style()));
    data["event_cards"] = event_cards;
    let export = with_range(&format!("/dashboard/service/{}/export/", svc.id), req);
    let sep = if export.contains('?') { '&' } else { '?' };
    data["export_csv"] = json!(format!("{export}{sep}format=csv"));
    data["export_ndjson"] = json!(format!("{export}{sep}format=ndjson"));
    data["retention_notices"] = json!(super::layout::retention_notices(
        &svc,
        raw_since,
        &w,
        tz,
        ctx.date_style(),
        now
    ));
    render(state, ctx, req, StatusCode::OK, "service", &svc.name, data).await
}
