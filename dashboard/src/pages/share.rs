//! The public side of share links: `GET|POST /share/{token}/` (the read-only service page, or
//! its password form) and `GET /share/{token}/api/` (the same figures as JSON). No login; the
//! token is the only credential. Unknown, revoked and expired tokens all answer 404.
//!
//! Anonymous visitors must not be able to starve the dashboard: each share answer computes a
//! window's stats, so at most [`crate::state::MAX_CONCURRENT_SHARES`] run at once (the rest get 429 at once,
//! see [`crate::state::DashboardState::share_gate`]), all on the dashboard's own pool (never the
//! pool ingestion writes with); password guesses are throttled like logins.

use super::dim_cards;
use super::layout::{range_picker_in, render, window_in};
use crate::auth::{throttle, token};
use crate::http::{self, Req, Response};
use crate::i18n::{self, Arg};
use crate::page_error::{PageError, PageResult};
use crate::request_context::Ctx;
use crate::share_links::unlock_value;
use crate::share_release::{complete_days, release, released_chart, window_label};
use crate::state::DashboardState;
use models::shares::{self, Opened};
use serde_json::{json, Value};
use stats::chart::{self, Chart, Granularity};
use stats::noise::Mechanism;
use warp::http::{HeaderValue, Method, StatusCode};

/// How long a password unlock lasts in the browser.
const UNLOCK_MAX_AGE_SECS: i64 = 12 * 3600;
/// The header an API client sends a link's password in.
pub const PASSWORD_HEADER: &str = "x-share-password";

/// Headers every share answer carries: not indexed, not cached. (No `Referer` carries the
/// token to other sites: every dashboard answer sets `Referrer-Policy: same-origin`.)
pub fn share_headers(resp: &mut Response) {
    for (k, v) in [
        ("x-robots-tag", "noindex, nofollow"),
        ("cache-control", "no-store"),
    ] {
        resp.headers_mut().insert(k, HeaderValue::from_static(v));
    }
}

/// The answer when every share slot is busy.
pub fn busy() -> Response {
    let mut r = http::text(
        StatusCode::TOO_MANY_REQUESTS,
        &i18n::tr_now("error-share-busy"),
    );
    r.headers_mut()
        .insert("retry-after", HeaderValue::from_static("2"));
    r
}

/// The live link of a token: malformed tokens are not looked up.
async fn open(state: &DashboardState, tok: &str) -> Result<Opened, PageError> {
    if tok.len() != 64 || !tok.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(PageError::NotFound);
    }
    let c = state.pool().get().await?;
    shares::open(&**c, &token::hash(tok))
        .await?
        .ok_or(PageError::NotFound)
}

fn cookie_base(link: &Opened) -> String {
    format!("shynet_share{}", link.link.id)
}

fn unlocked_by_cookie(state: &DashboardState, req: &Req, link: &Opened) -> bool {
    let want = unlock_value(&link.noise_key);
    req.cookie(&http::cookie_name(&cookie_base(link), state.https()))
        .is_some_and(|v| token::constant_time_eq(v.as_bytes(), want.as_bytes()))
}

/// How a password check ended.
enum Check {
    Right,
    Wrong,
    Throttled(i64),
}

/// Checks a password for `link` after claiming throttle slots for the client and the link.
async fn check_password(
    state: &DashboardState,
    req: &Req,
    link: &Opened,
    pw: &str,
) -> Result<Check, PageError> {
    let Some(hash) = link.password_hash.clone() else {
        return Ok(Check::Right);
    };
    let ip = beacon::client_ip::client_ip(
        |n| req.header(n),
        &state.settings().ip_headers,
        req.remote.map(|r| r.ip()),
        &state.settings().proxy_trust,
    );
    let (client, target) = (throttle::client_key(ip), throttle::share_key(link.link.id));
    let c = state.pool().get().await?;
    for key in [&client, &target] {
        if let Some(wait) = throttle::claim(&**c, key).await? {
            return Ok(Check::Throttled(wait));
        }
    }
    drop(c);
    if !crate::auth::password::verify(pw.to_owned(), hash).await {
        return Ok(Check::Wrong);
    }
    let c = state.pool().get().await?;
    throttle::succeeded(&**c, &client, &target).await?;
    Ok(Check::Right)
}

/// The zone of the shared service's days: its own, else the instance's.
async fn zone_of(state: &DashboardState, link: &Opened) -> Result<chrono_tz::Tz, PageError> {
    let c = state.pool().get().await?;
    let own = models::services::zones::time_zone(&**c, link.link.service_id)
        .await?
        .flatten();
    Ok(stats::window::service_zone(own.as_deref(), state.tz()))
}

/// The released figures of a link for a window.
async fn figures(
    state: &DashboardState,
    link: &Opened,
    (w, tz): (&stats::window::Window, chrono_tz::Tz),
) -> Result<(Value, Chart), PageError> {
    let svc = link.link.service_id;
    let now = chrono::Utc::now();
    let dp = link
        .link
        .epsilon
        .map(|e| Mechanism::new(&link.noise_key, e));
    let cut;
    let w = if dp.is_some() {
        cut = complete_days(w, tz, now);
        &cut
    } else {
        w
    };
    let c = state.pool().get().await?;
    let hide = models::services::name_and_hide_pattern(&**c, svc)
        .await?
        .and_then(|(_, p)| stats::referrer::compile_lenient(&p));
    drop(c);
    let c = state.read_client().await?;
    let s = stats::core_stats(&**c, svc, w, hide.as_ref(), state.online_window(), now).await?;
    let ch = chart::charts_many(&**c, &[svc], w, tz, now)
        .await?
        .remove(&svc)
        .unwrap_or(Chart {
            granularity: Granularity::for_window(w),
            points: Vec::new(),
        });
    drop(c);
    let v = release(&s, &ch, &window_label(w, tz), dp.as_ref());
    let shown = released_chart(&ch, &v);
    Ok((v, shown))
}

/// `GET|POST /share/{token}/`.
pub async fn page(state: &DashboardState, ctx: &Ctx, req: &Req) -> PageResult {
    let tok = ctx.param("token").to_owned();
    let link = open(state, &tok).await?;
    if link.password_hash.is_some() {
        if req.method == Method::POST {
            return unlock(state, ctx, req, &link, &tok).await;
        }
        if !unlocked_by_cookie(state, req, &link) {
            return password_form(state, ctx, req, StatusCode::OK, None).await;
        }
    } else if req.method == Method::POST {
        return Err(PageError::BadRequest(i18n::tr_now(
            "error-share-no-password",
        )));
    }
    let tz = zone_of(state, &link).await?;
    let w = window_in(tz, req)?;
    let (v, shown) = figures(state, &link, (&w, tz)).await?;
    let c = state.pool().get().await?;
    let name = models::services::name_and_hide_pattern(&**c, link.link.service_id)
        .await?
        .map(|(n, _)| n)
        .unwrap_or_default();
    drop(c);
    let base = crate::share_links::path(&tok);
    let chart_svg = crate::svg_chart::main_chart(&shown, tz, ctx.date_style(), &|d| {
        format!("{base}?startDate={d}&endDate={d}")
    });
    let data = json!({
        "name": name,
        "figures": page_figures(&v),
        "noised": v["noised"],
        "epsilon": v["epsilon"],
        "suppressed_below": v["suppressed_below"],
        "chart": chart_svg,
        "chart_table": crate::svg_chart::data_table(&shown, tz, ctx.date_style()),
        "tables": page_tables(&v),
        "picker": range_picker_in(tz, req, &w),
        "api": format!("{base}api/{}", query_of(req)),
    });
    let mut resp = render(state, ctx, req, StatusCode::OK, "share", &name, data).await?;
    share_headers(&mut resp);
    Ok(resp)
}

fn query_of(req: &Req) -> String {
    let q = req.range_query();
    if q.is_empty() {
        q
    } else {
        format!("?{q}")
    }
}

/// The strip of the share page; withheld figures show as "withheld".
fn page_figures(v: &Value) -> Value {
    let int = |k: &str| {
        v[k].as_i64()
            .map(crate::format::int)
            .unwrap_or_else(|| i18n::tr_now("share-withheld"))
    };
    let pct = |k: &str| crate::format::percent(v[k].as_f64());
    json!([
        {"label": i18n::tr_now("figure-visitors"), "value": int("visitor_count")},
        {"label": i18n::tr_now("figure-sessions"), "value": int("session_count")},
        {"label": i18n::tr_now("figure-hits"), "value": int("hit_count")},
        {"label": i18n::tr_now("figure-bounce-rate"), "value": pct("bounce_rate_pct")},
        {"label": i18n::tr_now("figure-hits-per-session"), "value": crate::format::one_decimal(v["avg_hits_per_session"].as_f64())},
        {"label": i18n::tr_now("figure-duration"), "value": crate::format::duration(v["avg_session_duration"].as_f64())},
        {"label": i18n::tr_now("figure-load-time"), "value": crate::format::millis(v["avg_load_time"].as_f64())},
    ])
}

/// One card per dimension that has released rows.
fn page_tables(v: &Value) -> Value {
    let cards: Vec<Value> = stats::dimensions::ALL
        .iter()
        .filter_map(|d| {
            let rows = v[d.api_name].as_array().filter(|r| !r.is_empty())?;
            Some(json!({
                "title": dim_cards::dim_text(d, "title"),
                "heading": dim_cards::dim_text(d, "heading"),
                "unit": dim_cards::unit_text(d),
                "rows": rows.iter().map(|r| json!({
                    "key": r[d.api_key],
                    "count": r["count"].as_i64().map(crate::format::int),
                })).collect::<Vec<_>>(),
            }))
        })
        .collect();
    Value::Array(cards)
}

async fn password_form(
    state: &DashboardState,
    ctx: &Ctx,
    req: &Req,
    status: StatusCode,
    error: Option<String>,
) -> PageResult {
    let data = json!({"error": error});
    let mut resp = render(
        state,
        ctx,
        req,
        status,
        "share_password",
        &i18n::tr(ctx.lang, "share-password-heading"),
        data,
    )
    .await?;
    share_headers(&mut resp);
    Ok(resp)
}

/// `POST /share/{token}/` with `password`: right → cookie and back to the page.
async fn unlock(
    state: &DashboardState,
    ctx: &Ctx,
    req: &Req,
    link: &Opened,
    tok: &str,
) -> PageResult {
    let pw = req.field("password");
    match check_password(state, req, link, &pw).await? {
        Check::Right => {
            let mut resp = http::redirect(StatusCode::SEE_OTHER, &crate::share_links::path(tok));
            http::set_cookie(
                &mut resp,
                &http::cookie(
                    &cookie_base(link),
                    &unlock_value(&link.noise_key),
                    Some(UNLOCK_MAX_AGE_SECS),
                    state.https(),
                ),
            );
            share_headers(&mut resp);
            Ok(resp)
        }
        Check::Wrong => {
            let msg = i18n::tr_now("error-share-password-wrong");
            password_form(state, ctx, req, StatusCode::UNAUTHORIZED, Some(msg)).await
        }
        Check::Throttled(wait) => {
            let msg = i18n::tr_now_args("error-share-throttled", &[("seconds", Arg::from(wait))]);
            let mut r =
                password_form(state, ctx, req, StatusCode::TOO_MANY_REQUESTS, Some(msg)).await?;
            if let Ok(v) = HeaderValue::from_str(&wait.to_string()) {
                r.headers_mut().insert("retry-after", v);
            }
            Ok(r)
        }
    }
}

fn api_error(status: StatusCode, msg: &str) -> Response {
    let mut r = http::json(status, &json!({ "error": msg }));
    share_headers(&mut r);
    r
}

/// `GET /share/{token}/api/`: the released figures as JSON; a password link wants the unlock
/// cookie or the password in `X-Share-Password`.
pub async fn api(state: &DashboardState, req: &Req, tok: &str) -> Response {
    let not_found = || api_error(StatusCode::NOT_FOUND, "No such shared page.");
    let link = match open(state, tok).await {
        Ok(l) => l,
        Err(PageError::NotFound) => return not_found(),
        Err(e) => return api_failure(e),
    };
    if link.password_hash.is_some() && !unlocked_by_cookie(state, req, &link) {
        let Some(pw) = req.header(PASSWORD_HEADER) else {
            return api_error(
                StatusCode::UNAUTHORIZED,
                "This shared page has a password: send it in the X-Share-Password header.",
            );
        };
        match check_password(state, req, &link, pw).await {
            Ok(Check::Right) => {}
            Ok(Check::Wrong) => {
                return api_error(StatusCode::UNAUTHORIZED, "That password is not right.")
            }
            Ok(Check::Throttled(_)) => {
                return api_error(
                    StatusCode::TOO_MANY_REQUESTS,
                    "Too many attempts. Try again later.",
                )
            }
            Err(e) => return api_failure(e),
        }
    }
    let tz = match zone_of(state, &link).await {
        Ok(tz) => tz,
        Err(e) => return api_failure(e),
    };
    let w = match window_in(tz, req) {
        Ok(w) => w,
        Err(e) => return api_failure(e),
    };
    match figures(state, &link, (&w, tz)).await {
        Ok((v, _)) => {
            let mut r = http::json(StatusCode::OK, &v);
            share_headers(&mut r);
            r
        }
        Err(e) => api_failure(e),
    }
}

fn api_failure(e: PageError) -> Response {
    match e {
        PageError::BadRequest(m) => api_error(StatusCode::BAD_REQUEST, &m),
        PageError::NotFound => api_error(StatusCode::NOT_FOUND, "No such shared page."),
        PageError::Busy => busy(),
        other => {
            tracing::error!(error = ?other, "share API request failed");
            api_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "The database did not answer. Try again in a moment.",
            )
        }
    }
}
