//! The dashboard's URL map and the warp filter the aggregator mounts. Every route is declared
//! once in [`ROUTES`]; the dispatcher matches against that table, and the permission-matrix test
//! walks it, so a route cannot be added without being tested.

use crate::auth::csrf;
use crate::http::{self, Req, Response};
use crate::page_error::{PageError, PageResult};
use crate::pages::{self, layout};
use crate::request_context::Ctx;
use crate::state::DashboardState;
use crate::{api, api_data};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;
use warp::http::{Method, StatusCode};
use warp::Filter;

/// One route: a name the dispatcher and tests use, a path pattern (`{x}` = one segment) and
/// its methods.
#[derive(Debug, Clone, Copy)]
pub struct RouteDef {
    /// Stable name.
    pub name: &'static str,
    /// Path pattern.
    pub pattern: &'static str,
    /// Accepted methods.
    pub methods: &'static [&'static str],
}

const GET: &[&str] = &["GET"];
const POST: &[&str] = &["POST"];
const BOTH: &[&str] = &["GET", "POST"];
/// Read-only API routes: browsers on other origins send a CORS preflight first.
const GET_CORS: &[&str] = &["GET", "OPTIONS"];

macro_rules! r {
    ($name:literal, $pattern:literal, $m:expr) => {
        RouteDef {
            name: $name,
            pattern: $pattern,
            methods: $m,
        }
    };
}

/// Every dashboard route.
pub const ROUTES: &[RouteDef] = &[
    r!("root", "/", GET),
    r!("unsubscribe", "/notifications/unsubscribe/", BOTH),
    r!("overview", "/dashboard/", GET),
    r!("service_new", "/dashboard/service/new/", BOTH),
    r!("service", "/dashboard/service/{service}/", GET),
    r!(
        "service_manage",
        "/dashboard/service/{service}/manage/",
        BOTH
    ),
    r!("service_goals", "/dashboard/service/{service}/goals/", POST),
    r!(
        "service_segments",
        "/dashboard/service/{service}/segments/",
        POST
    ),
    r!(
        "service_notifications",
        "/dashboard/service/{service}/notifications/",
        BOTH
    ),
    r!(
        "service_delete",
        "/dashboard/service/{service}/delete/",
        BOTH
    ),
    r!(
        "service_archive",
        "/dashboard/service/{service}/archive/",
        POST
    ),
    r!("service_erase", "/dashboard/service/{service}/erase/", POST),
    r!(
        "service_export",
        "/dashboard/service/{service}/export/",
        GET
    ),
    r!(
        "service_shares",
        "/dashboard/service/{service}/shares/",
        POST
    ),
    r!("sessions", "/dashboard/service/{service}/sessions/", GET),
    r!(
        "session",
        "/dashboard/service/{service}/sessions/{session}/",
        GET
    ),
    r!("locations", "/dashboard/service/{service}/locations/", GET),
    r!("service_live", "/dashboard/service/{service}/live/", GET),
    r!("token_refresh", "/dashboard/api-token-refresh/", POST),
    r!("login", "/accounts/login/", BOTH),
    r!("login_code", "/accounts/login/code/", POST),
    r!("two_factor", "/accounts/two-factor/", BOTH),
    r!("logout", "/accounts/logout/", POST),
    r!("signup", "/accounts/signup/", BOTH),
    r!("password_change", "/accounts/password/change/", BOTH),
    r!("password_reset", "/accounts/password/reset/", BOTH),
    r!(
        "password_reset_key",
        "/accounts/password/reset/key/{token}/",
        BOTH
    ),
    r!("emails", "/accounts/email/", BOTH),
    r!("preferences", "/accounts/preferences/", BOTH),
    r!("account_delete", "/accounts/delete/", BOTH),
    r!("email_confirm", "/accounts/confirm-email/{token}/", BOTH),
    r!("admin", "/admin/", BOTH),
    r!("api_dashboard", "/api/v1/dashboard/", GET_CORS),
    r!("api_openapi", "/api/v1/openapi.json", GET_CORS),
    r!("api_erase", "/api/v1/service/{service}/erase/", POST),
    r!("api_export", "/api/v1/service/{service}/export/", GET),
    r!("share", "/share/{token}/", BOTH),
    r!("share_api", "/share/{token}/api/", GET),
    r!(
        "plausible_realtime",
        "/api/v1/stats/realtime/visitors",
        GET_CORS
    ),
    r!("plausible_aggregate", "/api/v1/stats/aggregate", GET_CORS),
    r!("plausible_timeseries", "/api/v1/stats/timeseries", GET_CORS),
    r!("plausible_breakdown", "/api/v1/stats/breakdown", GET_CORS),
    r!("static", "/static/{file}", GET),
];

/// What a signed-in user who must still enrol a second factor may open.
const ENROLMENT_ROUTES: &[&str] = &["two_factor", "logout"];

/// Path prefixes the dashboard answers (anything else is left to other filters).
const PREFIXES: &[&str] = &[
    "/dashboard",
    "/accounts/",
    "/api/",
    "/static/",
    "/admin",
    "/share/",
    "/notifications/",
];

fn owns(path: &str) -> bool {
    path == "/" || PREFIXES.iter().any(|p| path.starts_with(p))
}

/// Finds the route of a path: its definition and captured parameters.
pub fn find(path: &str) -> Option<(&'static RouteDef, HashMap<String, String>)> {
    let segs: Vec<&str> = path.split('/').collect();
    'routes: for def in ROUTES {
        let pat: Vec<&str> = def.pattern.split('/').collect();
        if pat.len() != segs.len() {
            continue;
        }
        let mut params = HashMap::new();
        for (p, s) in pat.iter().zip(&segs) {
            if let Some(name) = p.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                if s.is_empty() {
                    continue 'routes;
                }
                params.insert(name.to_owned(), (*s).to_owned());
            } else if p != s {
                continue 'routes;
            }
        }
        return Some((def, params));
    }
    None
}

/// The filter the aggregator mounts: answers `/`, `/dashboard…`, `/accounts/…`, `/api/…`,
/// `/static/…` and `/admin…`, and rejects everything else so other routes still match.
pub fn routes(
    state: DashboardState,
) -> impl Filter<Extract = (Response,), Error = warp::Rejection> + Clone {
    warp::path::full()
        .and_then(|p: warp::path::FullPath| async move {
            if owns(p.as_str()) {
                Ok(p.as_str().to_owned())
            } else {
                Err(warp::reject::not_found())
            }
        })
        .and(warp::method())
        .and(warp::query::raw().or(warp::any().map(String::new)).unify())
        .and(warp::header::headers_cloned())
        .and(webcore::remote_addr())
        .and(warp::body::stream())
        .and(warp::any().map(move || state.clone()))
        .then(
            |path: String,
             method: Method,
             query: String,
             headers: warp::http::HeaderMap,
             remote: Option<SocketAddr>,
             body,
             state: DashboardState| async move {
                let mut resp = match read_body(body, &headers).await {
                    Ok(bytes) => {
                        let req = Req::new(method, path, query, headers, &bytes, remote);
                        handle(&state, req).await
                    }
                    Err(status) => {
                        http::text(status, "The request body is too large or unreadable.")
                    }
                };
                http::secure_headers(&mut resp, state.https());
                resp
            },
        )
}

async fn read_body<S, B>(
    body: S,
    headers: &warp::http::HeaderMap,
) -> Result<bytes::Bytes, StatusCode>
where
    S: futures_util::Stream<Item = Result<B, warp::Error>>,
    B: bytes::Buf,
{
    use futures_util::StreamExt;
    let declared = headers
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > http::MAX_FORM_BYTES as u64) {
        return Err(StatusCode::PAYLOAD_TOO_LARGE);
    }
    let mut body = std::pin::pin!(body);
    let mut out = bytes::BytesMut::new();
    while let Some(chunk) = body.next().await {
        let mut chunk = chunk.map_err(|_| StatusCode::BAD_REQUEST)?;
        if out.len() + chunk.remaining() > http::MAX_FORM_BYTES {
            return Err(StatusCode::PAYLOAD_TOO_LARGE);
        }
        while chunk.has_remaining() {
            let part = chunk.chunk();
            out.extend_from_slice(part);
            let n = part.len();
            chunk.advance(n);
        }
    }
    Ok(out.freeze())
}

fn param<'a>(params: &'a HashMap<String, String>, name: &str) -> &'a str {
    params.get(name).map(String::as_str).unwrap_or("")
}

/// Handles one request (also used directly by tests), in the language the browser asks for
/// until the signed-in user's setting is known ([`Ctx::load`]).
pub async fn handle(state: &DashboardState, req: Req) -> Response {
    let lang = crate::lang::negotiate(req.header("accept-language"));
    let limited = req.method == Method::GET;
    let api = req.path.starts_with("/api/");
    let answer = crate::lang::with_lang(lang, handle_in_lang(state, req));
    let mut resp = if limited {
        match tokio::time::timeout(READ_TIME_LIMIT, answer).await {
            Ok(r) => r,
            Err(_) => crate::lang::with_lang_sync(lang, || too_slow(state, api)),
        }
    } else {
        answer.await
    };
    // Pages are written in the browser's language: a shared cache must not serve one reader's
    // language to another.
    let html = resp
        .headers()
        .get(warp::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("text/html"));
    if html {
        resp.headers_mut().append(
            warp::http::header::VARY,
            warp::http::HeaderValue::from_static("Accept-Language"),
        );
    }
    resp
}

/// How long a page or API read may take before it is stopped (503), its query cancelled in
/// Postgres ([`crate::read_conn`]). Only GET requests: a POST (an erasure, an import of
/// settings) may take longer and must not be cut off half way.
pub const READ_TIME_LIMIT: Duration = Duration::from_secs(60);

/// The answer to a read stopped at [`READ_TIME_LIMIT`].
fn too_slow(state: &DashboardState, api: bool) -> Response {
    let mut r = if api {
        api::with_cors(api::error(
            StatusCode::SERVICE_UNAVAILABLE,
            &format!(
                "These figures took longer than {} s to compute and were stopped; a window that ends before today is faster.",
                READ_TIME_LIMIT.as_secs()
            ),
        ))
    } else {
        layout::error_page(state, None, PageError::TooSlow)
    };
    r.headers_mut().insert(
        warp::http::header::RETRY_AFTER,
        warp::http::HeaderValue::from(READ_TIME_LIMIT.as_secs()),
    );
    r
}

async fn handle_in_lang(state: &DashboardState, req: Req) -> Response {
    let Some((def, params)) = find(&req.path) else {
        // `/dashboard` → `/dashboard/` and the like.
        if !req.path.ends_with('/') && find(&format!("{}/", req.path)).is_some() {
            return http::redirect(StatusCode::MOVED_PERMANENTLY, &format!("{}/", req.path));
        }
        return layout::error_page(state, None, PageError::NotFound);
    };
    if !def.methods.contains(&req.method.as_str()) {
        let mut r = http::text(StatusCode::METHOD_NOT_ALLOWED, "Method not allowed.");
        if let Ok(v) = warp::http::HeaderValue::from_str(&def.methods.join(", ")) {
            r.headers_mut().insert("allow", v);
        }
        return r;
    }
    match def.name {
        "static" => {
            return layout::static_file(params.get("file").map(String::as_str).unwrap_or(""))
        }
        "api_dashboard" | "api_openapi" if req.method == Method::OPTIONS => {
            return api::with_cors(api::preflight())
        }
        "api_dashboard" => return api::with_cors(api::dashboard(state, &req).await),
        name if name.starts_with("plausible_") => {
            use crate::plausible_api::{handle, Endpoint};
            if req.method == Method::OPTIONS {
                return api::with_cors(api::preflight());
            }
            let which = match name {
                "plausible_realtime" => Endpoint::Realtime,
                "plausible_aggregate" => Endpoint::Aggregate,
                "plausible_timeseries" => Endpoint::Timeseries,
                _ => Endpoint::Breakdown,
            };
            return api::with_cors(handle(state, &req, which).await);
        }
        "api_openapi" => return api::with_cors(api::openapi()),
        // Token auth only, never cookies: no CSRF check applies.
        "api_erase" => return api_data::erase(state, &req, param(&params, "service")).await,
        "api_export" => return api_data::export(state, &req, param(&params, "service")).await,
        // Authorised by the link's signature, not a session: no CSRF token (RFC 8058).
        "unsubscribe" => return pages::unsubscribe::handle(state, &req).await,
        _ => {}
    }
    // Anonymous share answers take a permit first, so a flood of them cannot hold more than a
    // few of the dashboard's connections (the rest are answered 429 at once).
    let _share_permit = if def.name.starts_with("share") && def.name != "service_shares" {
        match state.share_gate().clone().try_acquire_owned() {
            Ok(p) => Some(p),
            Err(_) => {
                let mut r = pages::share::busy();
                pages::share::share_headers(&mut r);
                return r;
            }
        }
    } else {
        None
    };
    if def.name == "share_api" {
        let tok = params.get("token").map(String::as_str).unwrap_or("");
        return pages::share::api(state, &req, tok).await;
    }
    let ctx = match Ctx::load(state, &req, params).await {
        Ok(c) => c,
        Err(e) => return layout::error_page(state, None, e),
    };
    if req.method == Method::POST && !csrf::check(&ctx.csrf, req.f(csrf::FIELD)) {
        return layout::error_page(state, Some(&ctx), PageError::Csrf);
    }
    // An instance that requires two-factor login lets a user without it do nothing but enrol
    // (or log out) until they have.
    if ctx.must_enrol && !ENROLMENT_ROUTES.contains(&def.name) {
        return http::redirect(
            StatusCode::SEE_OTHER,
            "/accounts/two-factor/?msg=2fa_required",
        );
    }
    let result = dispatch(state, def.name, &ctx, &req).await;
    let mut resp = match result {
        Ok(r) => r,
        Err(PageError::Login) => {
            let next = if req.raw_query.is_empty() {
                req.path.clone()
            } else {
                format!("{}?{}", req.path, req.raw_query)
            };
            let q = form_urlencoded::Serializer::new(String::new())
                .append_pair("next", &next)
                .finish();
            http::redirect(StatusCode::FOUND, &format!("/accounts/login/?{q}"))
        }
        Err(e) => layout::error_page(state, Some(&ctx), e),
    };
    if def.name == "share" {
        pages::share::share_headers(&mut resp);
    }
    if ctx.sets_csrf_cookie() {
        http::set_cookie(
            &mut resp,
            &http::cookie(csrf::COOKIE, &ctx.csrf, None, ctx.secure),
        );
    }
    resp
}

/// Runs the handler of a named route.
async fn dispatch(state: &DashboardState, name: &str, ctx: &Ctx, req: &Req) -> PageResult {
    match name {
        "root" => Ok(http::redirect(StatusCode::FOUND, "/dashboard/")),
        "overview" => pages::overview::page(state, ctx, req).await,
        "service_new" => pages::manage::create(state, ctx, req).await,
        "service" => pages::service::page(state, ctx, req).await,
        "service_manage" => pages::manage::manage(state, ctx, req).await,
        "service_goals" => pages::manage::goals(state, ctx, req).await,
        "service_segments" => pages::segments::post(state, ctx, req).await,
        "service_notifications" => pages::notifications::page(state, ctx, req).await,
        "service_delete" => pages::manage::delete(state, ctx, req).await,
        "service_archive" => pages::manage::archive(state, ctx, req).await,
        "service_erase" => pages::data_rights::erase(state, ctx, req).await,
        "service_export" => pages::data_rights::export(state, ctx, req).await,
        "service_shares" => pages::share_manage::shares(state, ctx, req).await,
        "share" => pages::share::page(state, ctx, req).await,
        "sessions" => pages::sessions::list(state, ctx, req).await,
        "session" => pages::sessions::detail(state, ctx, req).await,
        "locations" => pages::sessions::locations(state, ctx, req).await,
        "service_live" => pages::live::page(state, ctx, req).await,
        "token_refresh" => pages::accounts::token_refresh(state, ctx, req).await,
        "login" => pages::accounts::login(state, ctx, req).await,
        "login_code" => pages::accounts::login_code(state, ctx, req).await,
        "two_factor" => pages::accounts::two_factor_page(state, ctx, req).await,
        "logout" => pages::accounts::logout(state, ctx, req).await,
        "signup" => pages::accounts::signup(state, ctx, req).await,
        "password_change" => pages::accounts::password_change(state, ctx, req).await,
        "password_reset" => pages::accounts::password_reset(state, ctx, req).await,
        "password_reset_key" => pages::accounts::password_reset_key(state, ctx, req).await,
        "emails" => pages::accounts::emails(state, ctx, req).await,
        "preferences" => pages::accounts::preferences(state, ctx, req).await,
        "account_delete" => pages::accounts::account_delete(state, ctx, req).await,
        "email_confirm" => pages::accounts::email_confirm(state, ctx, req).await,
        "admin" => pages::admin::page(state, ctx, req).await,
        _ => Err(PageError::NotFound),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_segments() {
        let (d, p) = find("/dashboard/service/abc/sessions/def/").unwrap();
        assert_eq!(d.name, "session");
        assert_eq!(p["service"], "abc");
        assert_eq!(p["session"], "def");
        assert_eq!(
            find("/dashboard/service/new/").unwrap().0.name,
            "service_new"
        );
        assert!(find("/dashboard/service//").is_none());
        assert!(find("/nope/").is_none());
        assert!(owns("/"));
        assert!(!owns("/ingress/x/script.js"));
        assert!(!owns("/healthz"));
    }

    #[test]
    fn route_names_are_unique() {
        let mut names: Vec<_> = ROUTES.iter().map(|r| r.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), ROUTES.len());
    }
}
