//! What every page shares: the layout (sidebar, title, flash message), error pages, static
//! assets, and reading the common request parameters (date range, page number, service).

use crate::http::{self, Req, Response};
use crate::i18n::{self, Arg};
use crate::lang::{self, Lang};
use crate::page_error::{PageError, PageResult};
use crate::request_context::Ctx;
use crate::state::DashboardState;
use models::services::{self, Access, ServiceRow};
use serde_json::{json, Value};
use stats::window::{self, Window};
use tokio_postgres::GenericClient;
use uuid::Uuid;
use warp::http::StatusCode;

/// The instance name: set on the admin page, else `SHYNET_WHITELABEL` (see
/// [`DashboardState::instance_name`]; no query). Takes the caller's client for the handlers
/// written against a database read.
pub async fn instance_name<C: GenericClient>(
    state: &DashboardState,
    _c: &C,
) -> Result<String, PageError> {
    Ok(state.instance_name())
}

/// Whether the user may create services.
pub fn can_create(state: &DashboardState, ctx: &Ctx) -> bool {
    ctx.user()
        .is_some_and(|u| u.is_admin || !state.args().only_superusers_create)
}

/// Known flash messages (passed as `?msg=`; only these fixed texts can appear). Each code's text
/// is the catalogue message `flash-<code>`.
pub const FLASH_CODES: &[&str] = &[
    "saved",
    "created",
    "deleted",
    "archived",
    "unarchived",
    "password",
    "reset",
    "loggedout",
    "account_deleted",
    "verify",
    "verified",
    "email",
    "preferences",
    "signedup",
    "user",
    "instance",
    "2fa_off",
    "2fa_required",
    "2fa_policy",
    "goal_added",
    "goal_deleted",
    "share_revoked",
];

/// The catalogue key of a known flash code.
pub fn flash_key(code: &str) -> Option<String> {
    FLASH_CODES
        .contains(&code)
        .then(|| format!("flash-{}", code.replace('_', "-")))
}

fn flash_text(lang: Lang, code: &str) -> Option<String> {
    flash_key(code).map(|k| i18n::tr(lang, &k))
}

/// Renders a page inside the layout.
pub async fn render(
    state: &DashboardState,
    ctx: &Ctx,
    req: &Req,
    status: StatusCode,
    template: &str,
    title: &str,
    mut data: Value,
) -> PageResult {
    // No database access here: the sidebar came with the session ([`Ctx::sidebar`]) and the
    // instance name from memory, so a handler may render while it holds a connection.
    let (owned, collabs): (Vec<_>, Vec<_>) = ctx.sidebar.iter().cloned().partition(|s| s.owned);
    // A page that refreshes itself (the live view) asks the layout for the `<meta>` tag.
    let refresh_seconds = data.get("refresh_seconds").cloned();
    if let Some(obj) = data.as_object_mut() {
        obj.insert("lang".into(), json!(ctx.lang.code()));
        obj.insert("csrf".into(), json!(ctx.csrf));
        obj.insert("range".into(), json!(req.range_query()));
    }
    let body = state
        .templates()
        .render(template, &data)
        .map_err(PageError::Unavailable)?;
    let layout = json!({
        "lang": ctx.lang.code(),
        "title": title,
        "instance": state.instance_name(),
        "user": ctx.user(),
        "csrf": ctx.csrf,
        "owned": owned,
        "collabs": collabs,
        "can_create": can_create(state, ctx),
        "signups": state.args().account_signups_enabled,
        "flash": req.q("msg").and_then(|m| flash_text(ctx.lang, m)),
        "content": body,
        "version": env!("CARGO_PKG_VERSION"),
        "refresh_seconds": refresh_seconds,
    });
    let html = state
        .templates()
        .render("layout", &layout)
        .map_err(PageError::Unavailable)?;
    Ok(http::html(status, html))
}

/// A plain page with a heading and a text.
pub async fn message(
    state: &DashboardState,
    ctx: &Ctx,
    req: &Req,
    status: StatusCode,
    heading: &str,
    text: &str,
) -> PageResult {
    render(
        state,
        ctx,
        req,
        status,
        "message",
        heading,
        json!({"heading": heading, "text": text}),
    )
    .await
}

/// The page for an error (rendered without database access, so it works when Postgres is down),
/// in the request's language.
pub fn error_page(state: &DashboardState, ctx: Option<&Ctx>, e: PageError) -> Response {
    let lang = ctx.map(|c| c.lang).unwrap_or_else(lang::current);
    let (status, heading, text) = match e {
        PageError::NotFound => (
            StatusCode::NOT_FOUND,
            i18n::tr(lang, "error-not-found"),
            i18n::tr(lang, "error-not-found-text"),
        ),
        PageError::Forbidden(why) => (
            StatusCode::FORBIDDEN,
            i18n::tr(lang, "error-forbidden"),
            why,
        ),
        PageError::BadRequest(why) => (
            StatusCode::BAD_REQUEST,
            i18n::tr(lang, "error-bad-request"),
            why,
        ),
        PageError::Csrf => (
            StatusCode::FORBIDDEN,
            i18n::tr(lang, "error-csrf"),
            i18n::tr(lang, "error-csrf-text"),
        ),
        PageError::Login => (
            StatusCode::UNAUTHORIZED,
            i18n::tr(lang, "error-login"),
            i18n::tr(lang, "error-login-text"),
        ),
        PageError::Busy => (
            StatusCode::TOO_MANY_REQUESTS,
            i18n::tr(lang, "error-busy"),
            i18n::tr(lang, "error-busy-text"),
        ),
        PageError::TooSlow => (
            StatusCode::SERVICE_UNAVAILABLE,
            i18n::tr(lang, "error-too-slow"),
            i18n::tr(lang, "error-too-slow-text"),
        ),
        PageError::Unavailable(why) => {
            tracing::error!(error = %why, "dashboard request failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                i18n::tr(lang, "error-unavailable"),
                i18n::tr(lang, "error-unavailable-text"),
            )
        }
    };
    let body = state
        .templates()
        .render(
            "message",
            &json!({"lang": lang.code(), "heading": heading, "text": text}),
        )
        .unwrap_or_default();
    let html = state
        .templates()
        .render(
            "layout",
            &json!({
                "lang": lang.code(),
                "title": heading,
                "instance": state.instance_name(),
                "user": ctx.and_then(|c| c.user()),
                "csrf": ctx.map(|c| c.csrf.as_str()).unwrap_or(""),
                "content": body,
                "version": env!("CARGO_PKG_VERSION"),
            }),
        )
        .unwrap_or_else(|_| heading.clone());
    let mut resp = http::html(status, html);
    if status == StatusCode::TOO_MANY_REQUESTS {
        resp.headers_mut().insert(
            warp::http::header::RETRY_AFTER,
            warp::http::HeaderValue::from_static("1"),
        );
    }
    resp
}

/// Serves a bundled asset.
pub fn static_file(name: &str) -> Response {
    let (body, ctype): (&'static [u8], &str) = match name {
        "app.css" => (
            include_bytes!("../../static/app.css"),
            "text/css; charset=utf-8",
        ),
        "favicon.svg" => (include_bytes!("../../static/favicon.svg"), "image/svg+xml"),
        _ => return http::text(StatusCode::NOT_FOUND, "Not found."),
    };
    let mut r = warp::http::Response::new(body.into());
    let h = r.headers_mut();
    h.insert(
        "content-type",
        warp::http::HeaderValue::from_static(match ctype {
            "image/svg+xml" => "image/svg+xml",
            _ => "text/css; charset=utf-8",
        }),
    );
    h.insert(
        "cache-control",
        warp::http::HeaderValue::from_static("public, max-age=3600"),
    );
    r
}

/// The date window of a request (`startDate`/`endDate`, default last 30 days) in the instance's
/// zone (pages across services).
pub fn window_of(state: &DashboardState, req: &Req) -> Result<Window, PageError> {
    window_in(state.tz(), req)
}

/// The date window of a request in `tz` (one service's pages use [`DashboardState::tz_of`]).
pub fn window_in(tz: chrono_tz::Tz, req: &Req) -> Result<Window, PageError> {
    Ok(window::from_dates(
        req.q("startDate"),
        req.q("endDate"),
        tz,
        chrono::Utc::now(),
    )?)
}

/// Loads the service of the `{service}` parameter with at least `need` access: unknown or
/// invisible → 404, visible but not enough → 403.
pub async fn service_for(
    state: &DashboardState,
    ctx: &Ctx,
    need: Access,
) -> Result<(ServiceRow, Access), PageError> {
    let user = ctx.require_user()?;
    let id: Uuid = ctx
        .param("service")
        .parse()
        .map_err(|_| PageError::NotFound)?;
    let c = state.pool().get().await?;
    let (s, access) = services::find_for_user(&**c, id, user)
        .await?
        .ok_or(PageError::NotFound)?;
    if access < need {
        return Err(PageError::Forbidden(i18n::tr_now("error-owner-only")));
    }
    Ok((s, access))
}

/// The notices a page shows when its window reaches before the data a service still keeps: raw
/// rows purged by its retention (session lists and details stop there; totals, charts and tables
/// still come from rollups), and rollups expired by the rollup retention (no figures at all).
/// `raw_since` is [`stats::raw_available_since`].
pub fn retention_notices(
    svc: &ServiceRow,
    raw_since: Option<chrono::DateTime<chrono::Utc>>,
    w: &Window,
    tz: chrono_tz::Tz,
    style: crate::date_style::DateStyle,
    now: chrono::DateTime<chrono::Utc>,
) -> Vec<String> {
    let at = |t: chrono::DateTime<chrono::Utc>| style.date_time(&t.with_timezone(&tz));
    let mut out = Vec::new();
    if let Some(since) = raw_since.filter(|s| w.start < *s) {
        let kept = match svc.raw_retention_days {
            Some(1) => i18n::tr_now("notice-raw-kept-one"),
            Some(n) => i18n::tr_now_args("notice-raw-kept", &[("days", Arg::from(n.to_string()))]),
            None => i18n::tr_now("notice-raw-deleted-earlier"),
        };
        out.push(i18n::tr_now_args(
            "notice-no-sessions-before",
            &[("date", Arg::from(at(since))), ("kept", Arg::from(kept))],
        ));
    }
    if let Some(days) = svc.rollup_retention_days {
        let cutoff = now - chrono::Duration::days(i64::from(days));
        if w.start < cutoff {
            out.push(i18n::tr_now_args(
                "notice-no-figures-before",
                &[
                    ("date", Arg::from(at(cutoff))),
                    ("days", Arg::from(days.to_string())),
                ],
            ));
        }
    }
    out
}

/// The page number of `?page=` (1-based; bad values → 400).
pub fn page_number(req: &Req) -> Result<i64, PageError> {
    match req.q("page") {
        None | Some("") => Ok(1),
        Some(p) => p
            .parse::<i64>()
            .ok()
            .filter(|n| (1..=1_000_000).contains(n))
            .ok_or_else(|| PageError::BadRequest(i18n::tr_now("error-page-number"))),
    }
}

/// Numbered pagination (2 first, 2 last, ±4 around the current page).
pub fn pager(current: i64, total_items: i64, per_page: i64, base_query: &str) -> Value {
    let pages = ((total_items + per_page - 1) / per_page).max(1);
    let mut nums: Vec<i64> = (1..=pages.min(2))
        .chain((current - 4).max(1)..=(current + 4).min(pages))
        .chain((pages - 1).max(1)..=pages)
        .collect();
    nums.sort_unstable();
    nums.dedup();
    let link = |p: i64| {
        let mut q = form_urlencoded::Serializer::new(String::new());
        for (k, v) in form_urlencoded::parse(base_query.as_bytes()) {
            if k != "page" {
                q.append_pair(&k, &v);
            }
        }
        q.append_pair("page", &p.to_string());
        format!("?{}", q.finish())
    };
    let mut items = Vec::new();
    let mut prev = 0;
    for n in nums {
        if n > prev + 1 {
            items.push(json!({"gap": true}));
        }
        items.push(json!({"n": n, "href": link(n), "current": n == current}));
        prev = n;
    }
    json!({
        "show": pages > 1,
        "items": items,
        "prev": (current > 1).then(|| link(current - 1)),
        "next": (current < pages).then(|| link(current + 1)),
    })
}

/// Date-range presets (Shynet's) as links, plus the current range for the form, in the
/// instance's zone.
pub fn range_picker(state: &DashboardState, req: &Req, w: &Window) -> Value {
    range_picker_in(state.tz(), req, w)
}

/// [`range_picker`] in `tz` (one service's zone).
pub fn range_picker_in(tz: chrono_tz::Tz, req: &Req, w: &Window) -> Value {
    use chrono::{Datelike, Duration};
    let today = chrono::Utc::now().with_timezone(&tz).date_naive();
    let first_of_month = today.with_day(1).unwrap_or(today);
    let last_month_end = first_of_month.pred_opt().unwrap_or(today);
    let last_month_start = last_month_end.with_day(1).unwrap_or(last_month_end);
    let year_start = today.with_ordinal(1).unwrap_or(today);
    let presets = [
        ("range-last-3-days", today - Duration::days(2), today),
        ("range-last-30-days", today - Duration::days(29), today),
        ("range-last-90-days", today - Duration::days(89), today),
        ("range-this-month", first_of_month, today),
        ("range-last-month", last_month_start, last_month_end),
        ("range-this-year", year_start, today),
    ];
    // The request's language: the picker is built far from the page's context.
    let lang = lang::current();
    let start_d = w.start.with_timezone(&tz).date_naive();
    let end_d = w.end.with_timezone(&tz).date_naive();
    // Filters (`f`) stay when the dates change: the presets carry them, the form as hidden fields.
    let filters: Vec<&str> = req
        .query
        .iter()
        .filter(|(k, _)| k == super::filter_links::PARAM)
        .map(|(_, v)| v.as_str())
        .collect();
    let keep: String = filters
        .iter()
        .map(|f| {
            format!(
                "&{}",
                form_urlencoded::Serializer::new(String::new())
                    .append_pair("f", f)
                    .finish()
            )
        })
        .collect();
    let presets: Vec<Value> = presets
        .iter()
        .map(|(label, s, e)| {
            json!({
                "label": i18n::tr(lang, label),
                "href": format!("?startDate={s}&endDate={e}{keep}"),
                "active": req.q("startDate").is_some() && *s == start_d && *e == end_d,
            })
        })
        .collect();
    json!({
        "presets": presets,
        "start": start_d.to_string(),
        "end": end_d.to_string(),
        "max": today.to_string(),
        "tz": tz.name(),
        "filters": filters,
    })
}

/// Adds the date range (if any) to a path.
pub fn with_range(path: &str, req: &Req) -> String {
    let q = req.range_query();
    if q.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{q}")
    }
}
