//! The dashboard's URL map and the warp filter the aggregator mounts. Every route is declared
//! once in [`ROUTES`]; the dispatcher matches against that table, and the permission-matrix test
//! walks it, so a route cannot be added without being tested.

use crate::auth::{csrf, session, session::WebSession, token, User};
use crate::http::{self, Req, Response};
use crate::state::DashboardState;
use crate::{api, pages};
use std::collections::HashMap;
use std::net::SocketAddr;
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
    r!("overview", "/dashboard/", GET),
    r!("service_new", "/dashboard/service/new/", BOTH),
    r!("service", "/dashboard/service/{service}/", GET),
    r!(
        "service_manage",
        "/dashboard/service/{service}/manage/",
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
    r!("sessions", "/dashboard/service/{service}/sessions/", GET),
    r!(
        "session",
        "/dashboard/service/{service}/sessions/{session}/",
        GET
    ),
    r!("locations", "/dashboard/service/{service}/locations/", GET),
    r!("token_refresh", "/dashboard/api-token-refresh/", POST),
    r!("login", "/accounts/login/", BOTH),
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
    r!("account_delete", "/accounts/delete/", BOTH),
    r!("email_confirm", "/accounts/confirm-email/{token}/", BOTH),
    r!("admin", "/admin/", BOTH),
    r!("api_dashboard", "/api/v1/dashboard/", GET_CORS),
    r!("api_openapi", "/api/v1/openapi.json", GET_CORS),
    r!("static", "/static/{file}", GET),
];

/// Path prefixes the dashboard answers (anything else is left to other filters).
const PREFIXES: &[&str] = &["/dashboard", "/accounts/", "/api/", "/static/", "/admin"];

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

/// Who is asking, and the CSRF secret their forms carry.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// The logged-in session, if any.
    pub session: Option<WebSession>,
    /// The token forms must echo.
    pub csrf: String,
    /// A new anonymous CSRF cookie to set.
    new_csrf_cookie: bool,
    /// Whether cookies get `Secure`.
    pub secure: bool,
    /// Path parameters.
    pub params: HashMap<String, String>,
    /// The services of the logged-in user for the sidebar, loaded with the session on the same
    /// connection so rendering a page needs none (empty when logged out).
    pub sidebar: Vec<crate::services::Listed>,
}

impl Ctx {
    /// The user, if logged in.
    pub fn user(&self) -> Option<&User> {
        self.session.as_ref().map(|s| &s.user)
    }

    /// The user, or a redirect to the login page.
    pub fn require_user(&self) -> Result<&User, PageError> {
        self.user().ok_or(PageError::Login)
    }

    /// A path parameter.
    pub fn param(&self, name: &str) -> &str {
        self.params.get(name).map(String::as_str).unwrap_or("")
    }
}

/// Why a page could not be served; each maps to a clear 4xx/5xx page.
#[derive(Debug)]
pub enum PageError {
    /// 404.
    NotFound,
    /// 403 with a reason.
    Forbidden(String),
    /// 400 with a reason.
    BadRequest(String),
    /// Not logged in: redirect to the login page.
    Login,
    /// CSRF token missing or wrong: 403.
    Csrf,
    /// 503: the database failed.
    Unavailable(String),
    /// 429: no database connection came free in time (the dashboard's pool is busy); answered
    /// at once instead of queueing, and never taken from what ingestion uses.
    Busy,
}

impl From<tokio_postgres::Error> for PageError {
    fn from(e: tokio_postgres::Error) -> Self {
        PageError::Unavailable(e.to_string())
    }
}

impl From<deadpool_postgres::PoolError> for PageError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        use deadpool_postgres::{PoolError, TimeoutType};
        match e {
            PoolError::Timeout(TimeoutType::Wait) => PageError::Busy,
            e => PageError::Unavailable(e.to_string()),
        }
    }
}

impl From<stats::StatsError> for PageError {
    fn from(e: stats::StatsError) -> Self {
        PageError::Unavailable(e.to_string())
    }
}

impl From<stats::window::WindowError> for PageError {
    fn from(e: stats::window::WindowError) -> Self {
        PageError::BadRequest(format!("{e}."))
    }
}

/// The result of a page handler.
pub type PageResult = Result<Response, PageError>;

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
        .and(crate::http::remote_addr())
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

/// Handles one request (also used directly by tests).
pub async fn handle(state: &DashboardState, req: Req) -> Response {
    let Some((def, params)) = find(&req.path) else {
        // `/dashboard` → `/dashboard/` and the like.
        if !req.path.ends_with('/') && find(&format!("{}/", req.path)).is_some() {
            return http::redirect(StatusCode::MOVED_PERMANENTLY, &format!("{}/", req.path));
        }
        return pages::error_page(state, None, PageError::NotFound);
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
            return pages::static_file(params.get("file").map(String::as_str).unwrap_or(""))
        }
        "api_dashboard" | "api_openapi" if req.method == Method::OPTIONS => {
            return api::with_cors(api::preflight())
        }
        "api_dashboard" => return api::with_cors(api::dashboard(state, &req).await),
        "api_openapi" => return api::with_cors(api::openapi()),
        _ => {}
    }
    let ctx = match context(state, &req, params).await {
        Ok(c) => c,
        Err(e) => return pages::error_page(state, None, e),
    };
    if req.method == Method::POST && !csrf::check(&ctx.csrf, req.f(csrf::FIELD)) {
        return pages::error_page(state, Some(&ctx), PageError::Csrf);
    }
    let result = pages::dispatch(state, def.name, &ctx, &req).await;
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
        Err(e) => pages::error_page(state, Some(&ctx), e),
    };
    if ctx.new_csrf_cookie {
        http::set_cookie(
            &mut resp,
            &http::cookie(csrf::COOKIE, &ctx.csrf, None, ctx.secure),
        );
    }
    resp
}

async fn context(
    state: &DashboardState,
    req: &Req,
    params: HashMap<String, String>,
) -> Result<Ctx, PageError> {
    let secure = state.https();
    let (sess, sidebar) = match req.cookie(&http::cookie_name(session::COOKIE, secure)) {
        Some(t) => {
            let c = state.pool().get().await?;
            let sess = session::load(&**c, t).await?;
            let sidebar = match &sess {
                Some(s) => crate::services::list_for(&**c, s.user.id).await?,
                None => Vec::new(),
            };
            (sess, sidebar)
        }
        None => (None, Vec::new()),
    };
    let csrf_cookie = req.cookie(&http::cookie_name(csrf::COOKIE, secure));
    let (csrf, new_csrf_cookie) = match (&sess, csrf_cookie) {
        (Some(s), _) => (s.csrf.clone(), false),
        (None, Some(c)) if c.len() == 64 => (c.to_owned(), false),
        (None, _) => (token::new_token(), true),
    };
    Ok(Ctx {
        session: sess,
        csrf,
        new_csrf_cookie,
        secure,
        params,
        sidebar,
    })
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
