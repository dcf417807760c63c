//! A service's data rights from the dashboard: erasing one visitor's data or a date range (the
//! manage page's form; owners and admins only) and downloading the raw rows (the service page's
//! link; everyone who may view the service).

use super::layout::{message, service_for};
use crate::erasure::{self, Actor, ErasureError, SelectorInput, MAX_WEB_RANGE_DAYS};
use crate::export_http::{self, Download, ExportError, Job, MAX_EXPORT_DAYS};
use crate::http::Req;
use crate::i18n::{self, Arg};
use crate::page_error::{PageError, PageResult};
use crate::request_context::Ctx;
use crate::state::DashboardState;
use models::services::{Access, ServiceRow};
use warp::http::StatusCode;

/// The selector fields of a form or query.
pub fn selector_input(get: impl Fn(&str) -> Option<String>) -> [Option<String>; 5] {
    ["identifier", "ip", "session", "from", "to"].map(get)
}

/// Runs an erasure for the dashboard or the API; maps refusals to their reason. Dates are days in
/// the service's zone.
pub async fn run_erasure(
    state: &DashboardState,
    svc: &ServiceRow,
    fields: &[Option<String>; 5],
    actor: Actor,
    dry_run: bool,
) -> Result<stats::erasure::Counts, ErasureError> {
    let input = SelectorInput {
        identifier: fields[0].as_deref(),
        ip: fields[1].as_deref(),
        session: fields[2].as_deref(),
        from: fields[3].as_deref(),
        to: fields[4].as_deref(),
    };
    let selector = erasure::parse_selector(&input, state.tz_of(svc), Some(MAX_WEB_RANGE_DAYS))?;
    let mut c = state
        .pool()
        .get()
        .await
        .map_err(|e| ErasureError::Pool(e.to_string()))?;
    erasure::run(&mut c, svc.id, &selector, actor, dry_run).await
}

/// `POST /dashboard/service/{service}/erase/`: `identifier`, `ip`, `session` or `from`+`to`,
/// and `dry_run=yes` to only count. Owners and admins only.
pub async fn erase(state: &DashboardState, ctx: &Ctx, req: &Req) -> PageResult {
    let (svc, _) = service_for(state, ctx, Access::Manage).await?;
    let user = ctx.require_user()?;
    let dry_run = req.f("dry_run") == Some("yes");
    let fields = selector_input(|k| req.f(k).map(str::to_owned));
    let actor = Actor {
        user_id: Some(user.id),
        via: "web",
    };
    let c = match run_erasure(state, &svc, &fields, actor, dry_run).await {
        Ok(c) => c,
        Err(ErasureError::BadInput(why)) => return Err(PageError::BadRequest(why)),
        Err(ErasureError::UnknownService(_)) => return Err(PageError::NotFound),
        Err(ErasureError::Pool(_)) => return Err(PageError::Busy),
        Err(e) => return Err(PageError::Unavailable(e.to_string())),
    };
    let rows = i18n::tr_now_args(
        "page-erase-rows",
        &[
            ("sessions", Arg::from(c.sessions as i64)),
            ("hits", Arg::from(c.hits as i64)),
            ("events", Arg::from(c.events as i64)),
            ("live", Arg::from(c.live_rows as i64)),
        ],
    );
    let (heading, text) = if dry_run {
        (
            i18n::tr_now("page-erase-dry"),
            i18n::tr_now_args("page-erase-dry-text", &[("rows", Arg::from(rows.as_str()))]),
        )
    } else {
        (
            i18n::tr_now("page-erase-done"),
            i18n::tr_now_args(
                "page-erase-done-text",
                &[("rows", Arg::from(rows.as_str()))],
            ),
        )
    };
    message(state, ctx, req, StatusCode::OK, &heading, &text).await
}

/// The window and format of an export request (`format`, `startDate`, `endDate`: days in the
/// service's zone).
pub fn export_job(
    state: &DashboardState,
    svc: &ServiceRow,
    q: impl Fn(&str) -> Option<String>,
) -> Result<Job, String> {
    let download = Download::parse(q("format").as_deref())?;
    let w = stats::window::from_dates(
        q("startDate").as_deref(),
        q("endDate").as_deref(),
        state.tz_of(svc),
        chrono::Utc::now(),
    )
    .map_err(|e| format!("{e}."))?;
    let days = (w.end - w.start).num_days();
    if days > MAX_EXPORT_DAYS {
        return Err(format!(
            "An export covers at most {MAX_EXPORT_DAYS} days; this window has {days} \
             (`shynet export` has no limit)."
        ));
    }
    Ok(Job {
        service: svc.id,
        window: (w.start, w.end),
        collect_ips: svc.collect_ips,
        download,
    })
}

/// `GET /dashboard/service/{service}/export/?format=csv|ndjson[&startDate&endDate]`.
pub async fn export(state: &DashboardState, ctx: &Ctx, req: &Req) -> PageResult {
    let (svc, _) = service_for(state, ctx, Access::View).await?;
    let job =
        export_job(state, &svc, |k| req.q(k).map(str::to_owned)).map_err(PageError::BadRequest)?;
    match export_http::start(state.pool(), state.export_slots(), job).await {
        Ok(r) => Ok(r),
        Err(ExportError::Busy) => Err(PageError::Busy),
        Err(ExportError::Pool(e)) => Err(e.into()),
    }
}
