//! The second step of a login with two-factor on: `POST /accounts/login/code/`. After the right
//! password the login page stores a *pending login* (a random token whose hash is in Postgres,
//! valid a few minutes, not a session) and asks for a code; this step checks a TOTP code or a
//! single-use recovery code. Each attempt claims a slot on the same client and account throttle
//! keys as passwords, and on the pending login itself, which dies after a few wrong codes.

use super::credentials::session_cookie;
use crate::auth::{session, throttle, token, totp};
use crate::http::{self, Req};
use crate::i18n::{self, Arg};
use crate::page_error::{PageError, PageResult};
use crate::pages::layout::render;
use crate::request_context::Ctx;
use crate::state::DashboardState;
use models::two_factor;
use serde_json::json;
use tokio_postgres::GenericClient;
use warp::http::StatusCode;

/// How long a pending login waits for its code.
pub const PENDING_SECS: i32 = 300;
/// Codes tried on one pending login before it is dropped (the user logs in again).
pub const MAX_CODE_ATTEMPTS: i32 = 5;
/// Longest pending token accepted (ours are 64 hex digits).
const MAX_TOKEN_LEN: usize = 64;

/// Starts the second step for `user`: the token the code form carries.
pub(super) async fn begin<C: GenericClient>(
    c: &C,
    user: i64,
    next: &str,
) -> Result<String, PageError> {
    let t = token::new_token();
    two_factor::create_pending(c, &token::hash(&t), user, next, PENDING_SECS).await?;
    Ok(t)
}

/// The code form for a pending login.
pub(super) async fn code_page(
    state: &DashboardState,
    ctx: &Ctx,
    req: &Req,
    status: StatusCode,
    pending: &str,
    error: Option<&str>,
) -> PageResult {
    let data = json!({"pending": pending, "error": error});
    render(
        state,
        ctx,
        req,
        status,
        "login_code",
        &i18n::tr(ctx.lang, "two-factor-heading"),
        data,
    )
    .await
}

/// How a code attempt ended.
enum Outcome {
    Throttled(i64),
    /// Unknown, expired or used-up pending login.
    Gone,
    Wrong,
    Session(String, String),
}

/// Whether `code` is a current TOTP code (not used before) or an unused recovery code of `user`;
/// either use is recorded in the same statement that checks it.
async fn code_ok<C: GenericClient>(c: &C, user: i64, code: &str) -> Result<bool, PageError> {
    if totp::looks_like_recovery(code) {
        return Ok(two_factor::use_recovery_code(c, user, &totp::recovery_hash(code)).await?);
    }
    let Some(row) = two_factor::totp(c, user).await?.filter(|r| r.enabled) else {
        return Ok(false);
    };
    match totp::matching_step(&row.secret, code, chrono::Utc::now().timestamp()) {
        Some(step) => Ok(two_factor::use_step(c, user, step, false).await?),
        None => Ok(false),
    }
}

async fn attempt(state: &DashboardState, req: &Req, pending: &str) -> Result<Outcome, PageError> {
    if pending.is_empty() || pending.len() > MAX_TOKEN_LEN {
        return Ok(Outcome::Gone);
    }
    let ip = beacon::client_ip::client_ip(
        |n| req.header(n),
        &state.settings().ip_headers,
        req.remote.map(|r| r.ip()),
        &state.settings().proxy_trust,
    );
    let client = throttle::client_key(ip);
    let c = state.pool().get().await?;
    if let Some(wait) = throttle::claim(&**c, &client).await? {
        return Ok(Outcome::Throttled(wait));
    }
    let h = token::hash(pending);
    let Some(p) = two_factor::claim_pending(&**c, &h, MAX_CODE_ATTEMPTS).await? else {
        return Ok(Outcome::Gone);
    };
    let account = throttle::account_key(&p.email);
    if let Some(wait) = throttle::claim(&**c, &account).await? {
        return Ok(Outcome::Throttled(wait));
    }
    if !code_ok(&**c, p.user_id, &req.field("code")).await? {
        return Ok(Outcome::Wrong);
    }
    two_factor::delete_pending(&**c, &h).await?;
    throttle::succeeded(&**c, &client, &account).await?;
    Ok(Outcome::Session(
        session::create(&**c, p.user_id).await?,
        p.next,
    ))
}

/// `POST /accounts/login/code/`.
pub async fn login_code(state: &DashboardState, ctx: &Ctx, req: &Req) -> PageResult {
    let pending = req.f("pending").unwrap_or("").to_owned();
    match attempt(state, req, &pending).await? {
        Outcome::Throttled(wait) => {
            let msg = i18n::tr_args(ctx.lang, "error-throttled", &[("seconds", Arg::from(wait))]);
            let mut resp = code_page(
                state,
                ctx,
                req,
                StatusCode::TOO_MANY_REQUESTS,
                &pending,
                Some(&msg),
            )
            .await?;
            if let Ok(v) = warp::http::HeaderValue::from_str(&wait.to_string()) {
                resp.headers_mut().insert("retry-after", v);
            }
            Ok(resp)
        }
        Outcome::Gone => Err(PageError::BadRequest(i18n::tr(
            ctx.lang,
            "error-login-code-expired",
        ))),
        Outcome::Wrong => {
            let msg = i18n::tr(ctx.lang, "error-login-code-wrong");
            let e = Some(msg.as_str());
            code_page(state, ctx, req, StatusCode::BAD_REQUEST, &pending, e).await
        }
        Outcome::Session(t, next) => {
            let mut resp = http::redirect(StatusCode::SEE_OTHER, &next);
            http::set_cookie(
                &mut resp,
                &session_cookie(ctx, &t, session::LIFETIME_DAYS * 86_400),
            );
            Ok(resp)
        }
    }
}
