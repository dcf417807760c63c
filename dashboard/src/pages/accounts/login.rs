//! `GET|POST /accounts/login/` and `POST /accounts/logout/`.

use super::credentials::{dummy_hash, session_cookie};
use super::mailing::{self, Link};
use super::next::safe_next;
use crate::auth::{password, session, throttle};
use crate::http::{self, Req};
use crate::i18n::{self, Arg};
use crate::page_error::PageResult;
use crate::pages::layout::{message, render};
use crate::request_context::Ctx;
use crate::settings::EmailVerification;
use crate::state::DashboardState;
use models::users;
use serde_json::json;
use warp::http::{Method, StatusCode};

/// How a login attempt ended (decided with a connection that is dropped before any rendering).
enum Outcome {
    /// Back-off: wait this many seconds.
    Throttled(i64),
    /// Unknown address or wrong password.
    Wrong,
    /// Right password, deactivated account.
    Inactive,
    /// Right password, but verification is mandatory: a new link was mailed (or refused).
    Unverified(Result<(), mailing::Refused>),
    /// Right password, two-factor on: the pending login's token (no session yet).
    SecondFactor(String),
    /// Logged in: the new session's cookie token.
    Session(String),
}

/// Checks the password of `email` after claiming a throttle slot for the client and the account.
async fn attempt(
    state: &DashboardState,
    req: &Req,
    email: &str,
    pw: String,
    next: &str,
) -> Result<Outcome, crate::page_error::PageError> {
    let ip = beacon::client_ip::client_ip(
        |n| req.header(n),
        &state.settings().ip_headers,
        req.remote.map(|r| r.ip()),
        &state.settings().proxy_trust,
    );
    let (client, account) = (throttle::client_key(ip), throttle::account_key(email));
    let mut c = state.pool().get().await?;
    for key in [&client, &account] {
        if let Some(wait) = throttle::claim(&**c, key).await? {
            return Ok(Outcome::Throttled(wait));
        }
    }
    let row = users::for_login(&**c, email).await?;
    // Kept only while an imported Django hash may need replacing.
    let pw_copy = match &row {
        Some(r) if crate::auth::django::is_django(&r.password_hash) => Some(pw.clone()),
        _ => None,
    };
    let ok = match &row {
        Some(r) => password::verify(pw, r.password_hash.clone()).await,
        None => {
            password::verify(pw, dummy_hash().await.to_owned()).await;
            false
        }
    };
    let Some(r) = row.filter(|_| ok) else {
        return Ok(Outcome::Wrong);
    };
    // The password was right: whatever follows, this was no guess.
    throttle::succeeded(&**c, &client, &account).await?;
    if crate::auth::django::is_django(&r.password_hash) {
        upgrade_hash(&c, r.id, &r.password_hash, pw_copy).await?;
    }
    if !r.is_active {
        return Ok(Outcome::Inactive);
    }
    if state.args().account_email_verification == EmailVerification::Mandatory && !r.verified {
        let sent = match r.primary_email_id {
            Some(email_id) => {
                mailing::send_link(state, &mut c, r.id, &r.email, Link::Verify { email_id }).await?
            }
            None => Ok(()),
        };
        return Ok(Outcome::Unverified(sent));
    }
    if models::two_factor::totp(&**c, r.id)
        .await?
        .is_some_and(|t| t.enabled)
    {
        return Ok(Outcome::SecondFactor(
            super::login_code::begin(&**c, r.id, next).await?,
        ));
    }
    Ok(Outcome::Session(session::create(&**c, r.id).await?))
}

/// Replaces an imported Django hash by our argon2id after the password matched it. A failure to
/// hash is logged and the old hash kept: it still verifies, so the login need not fail.
async fn upgrade_hash(
    c: &tokio_postgres::Client,
    user: i64,
    old: &str,
    pw: Option<String>,
) -> Result<(), crate::page_error::PageError> {
    let Some(pw) = pw else { return Ok(()) };
    match password::hash(pw).await {
        Ok(new) => {
            users::replace_password_hash(c, user, old, &new).await?;
        }
        Err(e) => tracing::warn!(user, error = %e, "could not re-hash an imported password"),
    }
    Ok(())
}

/// `GET|POST /accounts/login/`.
pub async fn login(state: &DashboardState, ctx: &Ctx, req: &Req) -> PageResult {
    let next = safe_next(req.q("next").or(req.f("next")));
    if ctx.user().is_some() && req.method == Method::GET {
        return Ok(http::redirect(StatusCode::FOUND, &next));
    }
    let mut data =
        json!({"next": next, "email": "", "signups": state.args().account_signups_enabled});
    if req.method == Method::GET {
        return render(
            state,
            ctx,
            req,
            StatusCode::OK,
            "login",
            &i18n::tr(ctx.lang, "login-heading"),
            data,
        )
        .await;
    }
    let email = req.field("email");
    data["email"] = json!(email);
    let pw = req.f("password").unwrap_or("").to_owned();
    let t_login_heading = i18n::tr(ctx.lang, "login-heading");
    let page = |status, error: String, mut data: serde_json::Value| {
        data["error"] = json!(error);
        render(state, ctx, req, status, "login", &t_login_heading, data)
    };
    match attempt(state, req, &email, pw, &next).await? {
        Outcome::Throttled(wait) => {
            let msg = i18n::tr_args(ctx.lang, "error-throttled", &[("seconds", Arg::from(wait))]);
            let mut resp = page(StatusCode::TOO_MANY_REQUESTS, msg, data).await?;
            if let Ok(v) = warp::http::HeaderValue::from_str(&wait.to_string()) {
                resp.headers_mut().insert("retry-after", v);
            }
            Ok(resp)
        }
        Outcome::Wrong => {
            let msg = i18n::tr(ctx.lang, "error-login-wrong");
            page(StatusCode::BAD_REQUEST, msg, data).await
        }
        Outcome::Inactive => {
            let msg = i18n::tr(ctx.lang, "error-login-inactive");
            page(StatusCode::FORBIDDEN, msg, data).await
        }
        Outcome::Unverified(sent) => {
            let text = match sent {
                Ok(()) => i18n::tr(ctx.lang, "page-login-unverified"),
                Err(r) => r.text(ctx.lang),
            };
            message(
                state,
                ctx,
                req,
                StatusCode::FORBIDDEN,
                &i18n::tr(ctx.lang, "page-verify-heading"),
                &text,
            )
            .await
        }
        Outcome::SecondFactor(pending) => {
            super::login_code::code_page(state, ctx, req, StatusCode::OK, &pending, None).await
        }
        Outcome::Session(t) => {
            let mut resp = http::redirect(StatusCode::SEE_OTHER, &next);
            http::set_cookie(
                &mut resp,
                &session_cookie(ctx, &t, session::LIFETIME_DAYS * 86_400),
            );
            Ok(resp)
        }
    }
}

/// `POST /accounts/logout/`.
pub async fn logout(state: &DashboardState, ctx: &Ctx, _req: &Req) -> PageResult {
    if let Some(s) = &ctx.session {
        let c = state.pool().get().await?;
        session::destroy(&**c, &s.token_hash).await?;
    }
    let mut resp = http::redirect(StatusCode::SEE_OTHER, "/accounts/login/?msg=loggedout");
    http::set_cookie(&mut resp, &session_cookie(ctx, "", 0));
    Ok(resp)
}
