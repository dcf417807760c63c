//! Accounts: log in and out (throttled), sign up (when enabled), password change with the
//! personal API token, password reset by mailed single-use link, email addresses (several per
//! user, one primary, verification by mailed link).

use super::{instance_name, message, render};
use crate::auth::{password, session, throttle, token};
use crate::config::EmailVerification;
use crate::http::{self, Req};
use crate::mail::Mail;
use crate::routes::{Ctx, PageError, PageResult};
use crate::state::DashboardState;
use serde_json::json;
use tokio::sync::OnceCell;
use tokio_postgres::GenericClient;
use uuid::Uuid;
use warp::http::{Method, StatusCode};

/// How long a reset or verification link works.
pub const LINK_HOURS: i32 = 24;
/// Most unused reset links per user at once (bounds mail sent on someone's behalf).
pub const MAX_OPEN_RESETS: i64 = 3;

/// Basic shape check of an email address (ownership is proven by the verification link).
pub fn valid_email(email: &str) -> bool {
    let e = email.trim();
    e.len() <= 254
        && e.split_once('@').is_some_and(|(l, d)| {
            !l.is_empty()
                && d.contains('.')
                && !d.starts_with('.')
                && !d.ends_with('.')
                && !d.contains('@')
        })
        && !e
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>')
}

/// Only local paths are followed after login (no open redirects).
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_owned(),
        _ => "/dashboard/".to_owned(),
    }
}

/// Base of links in mail: `SHYNET_DASHBOARD_URL`, else the request's host.
fn link_base(state: &DashboardState, req: &Req) -> String {
    match &state.args().dashboard_url {
        Some(u) if !u.trim().is_empty() => u.trim().trim_end_matches('/').to_owned(),
        _ => format!(
            "{}://{}",
            if req.is_https() { "https" } else { "http" },
            req.host()
        ),
    }
}

/// A hash that never matches, verified when the user does not exist so timing does not tell.
async fn dummy_hash() -> &'static str {
    static H: OnceCell<String> = OnceCell::const_new();
    H.get_or_init(|| async { password::hash(token::new_token()).await.unwrap_or_default() })
        .await
}

fn session_cookie(ctx: &Ctx, value: &str, max_age: i64) -> String {
    http::cookie(session::COOKIE, value, Some(max_age), ctx.secure)
}

async fn send_verification<C: GenericClient>(
    state: &DashboardState,
    req: &Req,
    c: &C,
    user_id: i64,
    email_id: i64,
    email: &str,
) -> Result<(), PageError> {
    let t = token::new_token();
    c.execute(
        "INSERT INTO one_time_tokens (token_hash, purpose, user_id, email_id, expires_at)
         VALUES ($1, 'verify', $2, $3, now() + make_interval(hours => $4))",
        &[&token::hash(&t), &user_id, &email_id, &LINK_HOURS],
    )
    .await?;
    let name = instance_name(state, c).await?;
    state.mailer().send(Mail {
        to: email.to_owned(),
        subject: format!("[{name}] Please confirm your email address"),
        body: format!(
            "Hello,\n\nplease confirm that {email} is your address by opening this link:\n\n{}/accounts/confirm-email/{t}/\n\nThe link works for {LINK_HOURS} hours. If you did not ask for this, ignore this mail.\n\n— {name}\n",
            link_base(state, req)
        ),
    });
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
        return render(state, ctx, req, StatusCode::OK, "login", "Log in", data).await;
    }
    let email = req.field("email");
    let pw = req.f("password").unwrap_or("").to_owned();
    data["email"] = json!(email);
    let c = state.pool().get().await?;
    if throttle::is_locked(&**c, &email).await? {
        data["error"] = json!(format!(
            "Too many failed attempts for this address. Try again in {} minutes.",
            throttle::WINDOW_MINUTES
        ));
        return render(
            state,
            ctx,
            req,
            StatusCode::TOO_MANY_REQUESTS,
            "login",
            "Log in",
            data,
        )
        .await;
    }
    let row = c
        .query_opt(
            "SELECT u.id, u.password_hash, u.is_active,
                    COALESCE((SELECT verified FROM user_emails e WHERE e.user_id = u.id AND e.is_primary), false),
                    (SELECT id FROM user_emails e WHERE e.user_id = u.id AND e.is_primary)
             FROM users u WHERE lower(u.email) = lower($1)",
            &[&email],
        )
        .await?;
    let ok = match &row {
        Some(r) => password::verify(pw, r.get(1)).await,
        None => {
            password::verify(pw, dummy_hash().await.to_owned()).await;
            false
        }
    };
    let Some(r) = row.filter(|_| ok) else {
        throttle::record_failure(&**c, &email).await?;
        data["error"] = json!("The email address or the password is wrong.");
        return render(
            state,
            ctx,
            req,
            StatusCode::BAD_REQUEST,
            "login",
            "Log in",
            data,
        )
        .await;
    };
    let (user_id, active, verified, email_id): (i64, bool, bool, Option<i64>) =
        (r.get(0), r.get(2), r.get(3), r.get(4));
    if !active {
        data["error"] = json!("This account is deactivated. Ask an admin.");
        return render(
            state,
            ctx,
            req,
            StatusCode::FORBIDDEN,
            "login",
            "Log in",
            data,
        )
        .await;
    }
    if state.args().account_email_verification == EmailVerification::Mandatory && !verified {
        if let Some(eid) = email_id {
            send_verification(state, req, &**c, user_id, eid, &email).await?;
        }
        return message(
            state,
            ctx,
            req,
            StatusCode::FORBIDDEN,
            "Verify your email address",
            "This instance needs a verified address before you log in. We sent you a new verification link.",
        )
        .await;
    }
    throttle::clear(&**c, &email).await?;
    let t = session::create(&**c, user_id).await?;
    let mut resp = http::redirect(StatusCode::SEE_OTHER, &next);
    http::set_cookie(
        &mut resp,
        &session_cookie(ctx, &t, session::LIFETIME_DAYS * 86_400),
    );
    Ok(resp)
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

/// Whether `given` is the signed-in user's password: the re-check before a sensitive change.
async fn current_password_matches<C: GenericClient>(
    c: &C,
    user_id: i64,
    given: &str,
) -> Result<bool, PageError> {
    let stored: String = c
        .query_one("SELECT password_hash FROM users WHERE id = $1", &[&user_id])
        .await?
        .get(0);
    Ok(password::verify(given.to_owned(), stored).await)
}

/// `GET|POST /accounts/delete/`: deletes the account, every service it owns with all their
/// data, its collaborations, addresses and login sessions, after the password is confirmed.
/// The last active admin cannot delete themselves (the instance would have no admin left).
pub async fn account_delete(state: &DashboardState, ctx: &Ctx, req: &Req) -> PageResult {
    let user = ctx.require_user()?.clone();
    let mut c = state.pool().get().await?;
    let owned: Vec<(Uuid, String)> = c
        .query(
            "SELECT id, name FROM services WHERE owner_id = $1 ORDER BY name",
            &[&user.id],
        )
        .await?
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let page = |status, error: Option<&str>| {
        let names: Vec<&str> = owned.iter().map(|(_, n)| n.as_str()).collect();
        let data = json!({"error": error, "owned": names});
        render(
            state,
            ctx,
            req,
            status,
            "account_delete",
            "Delete account",
            data,
        )
    };
    if req.method == Method::GET {
        drop(c);
        return page(StatusCode::OK, None).await;
    }
    if !current_password_matches(&**c, user.id, req.f("current").unwrap_or("")).await? {
        drop(c);
        return page(StatusCode::BAD_REQUEST, Some("The password is wrong.")).await;
    }
    let tx = c.transaction().await?;
    // Serialises with a concurrent deletion by another admin, so two cannot both leave.
    tx.execute("LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE", &[])
        .await?;
    let last_admin: bool = tx
        .query_one(
            "SELECT is_admin AND NOT EXISTS (SELECT 1 FROM users o
                                             WHERE o.is_admin AND o.is_active AND o.id <> $1)
             FROM users WHERE id = $1",
            &[&user.id],
        )
        .await?
        .get(0);
    if last_admin {
        drop(tx);
        drop(c);
        return page(
            StatusCode::CONFLICT,
            Some("You are the only admin: make another user admin first."),
        )
        .await;
    }
    let ids: Vec<Uuid> = owned.iter().map(|(id, _)| *id).collect();
    crate::services::delete_in(&tx, &ids).await?;
    // Addresses, collaborations, tokens and login sessions go with it by foreign key.
    tx.execute("DELETE FROM users WHERE id = $1", &[&user.id])
        .await?;
    tx.commit().await?;
    drop(c);
    tracing::info!(
        user = user.id,
        services = ids.len(),
        "account deleted by its owner"
    );
    let mut resp = http::redirect(
        StatusCode::SEE_OTHER,
        "/accounts/login/?msg=account_deleted",
    );
    http::set_cookie(&mut resp, &session_cookie(ctx, "", 0));
    Ok(resp)
}

/// `GET|POST /accounts/signup/`.
pub async fn signup(state: &DashboardState, ctx: &Ctx, req: &Req) -> PageResult {
    if !state.args().account_signups_enabled {
        return message(
            state,
            ctx,
            req,
            StatusCode::FORBIDDEN,
            "Sign-up closed",
            "This instance does not take new accounts. Ask an admin for one.",
        )
        .await;
    }
    if ctx.user().is_some() {
        return Ok(http::redirect(StatusCode::FOUND, "/dashboard/"));
    }
    let mut data = json!({"email": ""});
    if req.method == Method::GET {
        return render(state, ctx, req, StatusCode::OK, "signup", "Sign up", data).await;
    }
    let email = req.field("email");
    let pw = req.f("password").unwrap_or("").to_owned();
    data["email"] = json!(email);
    let error = if !valid_email(&email) {
        Some("Enter a valid email address.".to_owned())
    } else if pw != req.f("password2").unwrap_or("") {
        Some("The two passwords differ.".to_owned())
    } else {
        password::check_new(&pw).err()
    };
    if let Some(e) = error {
        data["error"] = json!(e);
        return render(
            state,
            ctx,
            req,
            StatusCode::BAD_REQUEST,
            "signup",
            "Sign up",
            data,
        )
        .await;
    }
    let hash = password::hash(pw).await.map_err(PageError::Unavailable)?;
    let mut c = state.pool().get().await?;
    let tx = c.transaction().await?;
    let taken = tx
        .query_opt(
            "SELECT 1 FROM user_emails WHERE lower(email) = lower($1)",
            &[&email],
        )
        .await?
        .is_some();
    if taken {
        drop(tx);
        data["error"] =
            json!("An account with this address exists already. Log in or reset its password.");
        return render(
            state,
            ctx,
            req,
            StatusCode::BAD_REQUEST,
            "signup",
            "Sign up",
            data,
        )
        .await;
    }
    let user_id: i64 = tx
        .query_one(
            "INSERT INTO users (email, password_hash) VALUES ($1, $2) RETURNING id",
            &[&email, &hash],
        )
        .await?
        .get(0);
    // A self-claimed address is unverified until its link is opened.
    let email_id: i64 = tx
        .query_one(
            "UPDATE user_emails SET verified = false WHERE user_id = $1 RETURNING id",
            &[&user_id],
        )
        .await?
        .get(0);
    tx.commit().await?;
    let mode = state.args().account_email_verification;
    if mode != EmailVerification::None {
        send_verification(state, req, &**c, user_id, email_id, &email).await?;
    }
    if mode == EmailVerification::Mandatory {
        return message(
            state,
            ctx,
            req,
            StatusCode::OK,
            "Check your mail",
            "We sent you a link to verify your address. Open it, then log in.",
        )
        .await;
    }
    let t = session::create(&**c, user_id).await?;
    let mut resp = http::redirect(StatusCode::SEE_OTHER, "/dashboard/?msg=signedup");
    http::set_cookie(
        &mut resp,
        &session_cookie(ctx, &t, session::LIFETIME_DAYS * 86_400),
    );
    Ok(resp)
}

async fn password_page(
    state: &DashboardState,
    ctx: &Ctx,
    req: &Req,
    status: StatusCode,
    error: Option<String>,
    new_token: Option<String>,
) -> PageResult {
    let user = ctx.require_user()?;
    let c = state.pool().get().await?;
    let has_token: bool = c
        .query_one(
            "SELECT api_token_hash IS NOT NULL FROM users WHERE id = $1",
            &[&user.id],
        )
        .await?
        .get(0);
    drop(c);
    let data = json!({"error": error, "has_token": has_token, "new_token": new_token});
    render(state, ctx, req, status, "password_change", "Security", data).await
}

/// `GET|POST /accounts/password/change/` (also shows the API token).
pub async fn password_change(state: &DashboardState, ctx: &Ctx, req: &Req) -> PageResult {
    let user = ctx.require_user()?.clone();
    if req.method == Method::GET {
        return password_page(state, ctx, req, StatusCode::OK, None, None).await;
    }
    let current = req.f("current").unwrap_or("").to_owned();
    let new = req.f("password").unwrap_or("").to_owned();
    let c = state.pool().get().await?;
    let error = if !current_password_matches(&**c, user.id, &current).await? {
        Some("The current password is wrong.".to_owned())
    } else if new != req.f("password2").unwrap_or("") {
        Some("The two new passwords differ.".to_owned())
    } else {
        password::check_new(&new).err()
    };
    if let Some(e) = error {
        drop(c);
        return password_page(state, ctx, req, StatusCode::BAD_REQUEST, Some(e), None).await;
    }
    let hash = password::hash(new).await.map_err(PageError::Unavailable)?;
    c.execute(
        "UPDATE users SET password_hash = $2 WHERE id = $1",
        &[&user.id, &hash],
    )
    .await?;
    session::destroy_others(
        &**c,
        user.id,
        ctx.session.as_ref().map(|s| s.token_hash.as_slice()),
    )
    .await?;
    Ok(http::redirect(
        StatusCode::SEE_OTHER,
        "/accounts/password/change/?msg=password",
    ))
}

/// `POST /dashboard/api-token-refresh/`: a new API token, shown once.
pub async fn token_refresh(state: &DashboardState, ctx: &Ctx, req: &Req) -> PageResult {
    let user = ctx.require_user()?;
    let t = format!("shy_{}", token::new_token());
    let c = state.pool().get().await?;
    c.execute(
        "UPDATE users SET api_token_hash = $2 WHERE id = $1",
        &[&user.id, &token::hash(&t)],
    )
    .await?;
    drop(c);
    password_page(state, ctx, req, StatusCode::OK, None, Some(t)).await
}

/// `GET|POST /accounts/password/reset/`.
pub async fn password_reset(state: &DashboardState, ctx: &Ctx, req: &Req) -> PageResult {
    if req.method == Method::GET {
        return render(
            state,
            ctx,
            req,
            StatusCode::OK,
            "password_reset",
            "Reset password",
            json!({}),
        )
        .await;
    }
    let email = req.field("email");
    let c = state.pool().get().await?;
    let found = c
        .query_opt(
            "SELECT u.id, (SELECT count(*) FROM one_time_tokens t WHERE t.user_id = u.id
                           AND t.purpose = 'reset' AND t.used_at IS NULL AND t.expires_at > now())
             FROM user_emails e JOIN users u ON u.id = e.user_id
             WHERE lower(e.email) = lower($1) AND (e.verified OR e.is_primary) AND u.is_active",
            &[&email],
        )
        .await?;
    if let Some(r) = found {
        let (user_id, open): (i64, i64) = (r.get(0), r.get(1));
        if open < MAX_OPEN_RESETS {
            let t = token::new_token();
            c.execute(
                "INSERT INTO one_time_tokens (token_hash, purpose, user_id, expires_at)
                 VALUES ($1, 'reset', $2, now() + make_interval(hours => $3))",
                &[&token::hash(&t), &user_id, &LINK_HOURS],
            )
            .await?;
            let name = instance_name(state, &**c).await?;
            state.mailer().send(Mail {
                to: email.clone(),
                subject: format!("[{name}] Password reset"),
                body: format!(
                    "Hello,\n\nsomeone (hopefully you) asked to reset the password of your {name} account. Choose a new one here:\n\n{}/accounts/password/reset/key/{t}/\n\nThe link works once, for {LINK_HOURS} hours. If you did not ask for this, ignore this mail.\n\n— {name}\n",
                    link_base(state, req)
                ),
            });
        }
    }
    message(
        state,
        ctx,
        req,
        StatusCode::OK,
        "Check your mail",
        "If an account uses this address, we sent it a link to choose a new password.",
    )
    .await
}

async fn open_token<C: GenericClient>(
    c: &C,
    t: &str,
    purpose: &str,
) -> Result<Option<(i64, Option<i64>)>, PageError> {
    Ok(c.query_opt(
        "SELECT user_id, email_id FROM one_time_tokens
             WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > now()",
        &[&token::hash(t), &purpose],
    )
    .await?
    .map(|r| (r.get(0), r.get(1))))
}

/// `GET|POST /accounts/password/reset/key/{token}/`.
pub async fn password_reset_key(state: &DashboardState, ctx: &Ctx, req: &Req) -> PageResult {
    let t = ctx.param("token").to_owned();
    let c = state.pool().get().await?;
    let Some((user_id, _)) = open_token(&**c, &t, "reset").await? else {
        drop(c);
        return message(
            state,
            ctx,
            req,
            StatusCode::BAD_REQUEST,
            "Link invalid",
            "This reset link is invalid, used or expired. Ask for a new one.",
        )
        .await;
    };
    if req.method == Method::GET {
        drop(c);
        return render(
            state,
            ctx,
            req,
            StatusCode::OK,
            "password_reset_key",
            "New password",
            json!({}),
        )
        .await;
    }
    let pw = req.f("password").unwrap_or("").to_owned();
    let error = if pw != req.f("password2").unwrap_or("") {
        Some("The two passwords differ.".to_owned())
    } else {
        password::check_new(&pw).err()
    };
    if let Some(e) = error {
        drop(c);
        return render(
            state,
            ctx,
            req,
            StatusCode::BAD_REQUEST,
            "password_reset_key",
            "New password",
            json!({"error": e}),
        )
        .await;
    }
    let hash = password::hash(pw).await.map_err(PageError::Unavailable)?;
    let used = c
        .execute(
            "UPDATE one_time_tokens SET used_at = now() WHERE token_hash = $1 AND used_at IS NULL",
            &[&token::hash(&t)],
        )
        .await?;
    if used == 0 {
        drop(c);
        return message(
            state,
            ctx,
            req,
            StatusCode::BAD_REQUEST,
            "Link invalid",
            "This reset link was used already.",
        )
        .await;
    }
    c.execute(
        "UPDATE users SET password_hash = $2 WHERE id = $1",
        &[&user_id, &hash],
    )
    .await?;
    session::destroy_others(&**c, user_id, None).await?;
    Ok(http::redirect(
        StatusCode::SEE_OTHER,
        "/accounts/login/?msg=reset",
    ))
}

/// `GET|POST /accounts/email/`: list, add, make primary, resend verification, remove.
pub async fn emails(state: &DashboardState, ctx: &Ctx, req: &Req) -> PageResult {
    let user = ctx.require_user()?.clone();
    let mut c = state.pool().get().await?;
    let mut error = None;
    if req.method == Method::POST {
        let id: Option<i64> = req.f("id").and_then(|v| v.parse().ok());
        let owned = match id {
            Some(id) => c_query_email(&**c, user.id, id).await?,
            None => None,
        };
        match req.f("action") {
            Some("add") => {
                let email = req.field("email");
                if !valid_email(&email) {
                    error = Some("Enter a valid email address.".to_owned());
                } else {
                    let inserted = c
                        .query_opt(
                            "INSERT INTO user_emails (user_id, email) VALUES ($1, $2)
                             ON CONFLICT DO NOTHING RETURNING id",
                            &[&user.id, &email],
                        )
                        .await?;
                    match inserted {
                        Some(r) => {
                            send_verification(state, req, &**c, user.id, r.get(0), &email).await?;
                            return Ok(http::redirect(
                                StatusCode::SEE_OTHER,
                                "/accounts/email/?msg=verify",
                            ));
                        }
                        None => error = Some("This address is in use already.".to_owned()),
                    }
                }
            }
            Some("primary") => match owned.clone() {
                Some((eid, email, true, _)) => {
                    let tx = c.transaction().await?;
                    tx.execute(
                        "UPDATE user_emails SET is_primary = false WHERE user_id = $1",
                        &[&user.id],
                    )
                    .await?;
                    tx.execute(
                        "UPDATE user_emails SET is_primary = true WHERE id = $1",
                        &[&eid],
                    )
                    .await?;
                    tx.execute(
                        "UPDATE users SET email = $2 WHERE id = $1",
                        &[&user.id, &email],
                    )
                    .await?;
                    tx.commit().await?;
                    return Ok(http::redirect(
                        StatusCode::SEE_OTHER,
                        "/accounts/email/?msg=email",
                    ));
                }
                Some(_) => error = Some("Verify an address before making it primary.".to_owned()),
                None => return Err(PageError::BadRequest("No such address.".into())),
            },
            Some("resend") => match owned.clone() {
                Some((eid, email, false, _)) => {
                    send_verification(state, req, &**c, user.id, eid, &email).await?;
                    return Ok(http::redirect(
                        StatusCode::SEE_OTHER,
                        "/accounts/email/?msg=verify",
                    ));
                }
                Some(_) => error = Some("This address is verified already.".to_owned()),
                None => return Err(PageError::BadRequest("No such address.".into())),
            },
            Some("remove") => {
                match owned.clone() {
                    Some((_, _, _, true)) => error = Some(
                        "The primary address cannot be removed; make another one primary first."
                            .to_owned(),
                    ),
                    Some((eid, _, _, false)) => {
                        c.execute(
                            "DELETE FROM user_emails WHERE id = $1 AND user_id = $2",
                            &[&eid, &user.id],
                        )
                        .await?;
                        return Ok(http::redirect(
                            StatusCode::SEE_OTHER,
                            "/accounts/email/?msg=email",
                        ));
                    }
                    None => return Err(PageError::BadRequest("No such address.".into())),
                }
            }
            _ => return Err(PageError::BadRequest("Unknown action.".into())),
        }
    }
    let rows: Vec<_> = c
        .query(
            "SELECT id, email, verified, is_primary FROM user_emails WHERE user_id = $1
             ORDER BY is_primary DESC, email",
            &[&user.id],
        )
        .await?
        .into_iter()
        .map(|r| {
            json!({"id": r.get::<_, i64>(0), "email": r.get::<_, String>(1),
                   "verified": r.get::<_, bool>(2), "primary": r.get::<_, bool>(3)})
        })
        .collect();
    drop(c);
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    render(
        state,
        ctx,
        req,
        status,
        "emails",
        "Email addresses",
        json!({"emails": rows, "error": error}),
    )
    .await
}

async fn c_query_email<C: GenericClient>(
    c: &C,
    user_id: i64,
    id: i64,
) -> Result<Option<(i64, String, bool, bool)>, PageError> {
    Ok(c.query_opt(
        "SELECT id, email, verified, is_primary FROM user_emails WHERE id = $1 AND user_id = $2",
        &[&id, &user_id],
    )
    .await?
    .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3))))
}

/// `GET|POST /accounts/confirm-email/{token}/`: GET asks, POST verifies (so mail scanners that
/// prefetch links do not verify on the user's behalf).
pub async fn email_confirm(state: &DashboardState, ctx: &Ctx, req: &Req) -> PageResult {
    let t = ctx.param("token").to_owned();
    let c = state.pool().get().await?;
    let Some((_, Some(email_id))) = open_token(&**c, &t, "verify").await? else {
        drop(c);
        return message(
            state,
            ctx,
            req,
            StatusCode::BAD_REQUEST,
            "Link invalid",
            "This verification link is invalid, used or expired.",
        )
        .await;
    };
    if req.method == Method::GET {
        let email: String = c
            .query_one("SELECT email FROM user_emails WHERE id = $1", &[&email_id])
            .await?
            .get(0);
        drop(c);
        return render(
            state,
            ctx,
            req,
            StatusCode::OK,
            "email_confirm",
            "Confirm address",
            json!({"email": email}),
        )
        .await;
    }
    c.execute(
        "UPDATE one_time_tokens SET used_at = now() WHERE token_hash = $1",
        &[&token::hash(&t)],
    )
    .await?;
    c.execute(
        "UPDATE user_emails SET verified = true WHERE id = $1",
        &[&email_id],
    )
    .await?;
    let to = if ctx.user().is_some() {
        "/accounts/email/?msg=verified"
    } else {
        "/accounts/login/?msg=verified"
    };
    Ok(http::redirect(StatusCode::SEE_OTHER, to))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_is_local_only() {
        assert_eq!(
            safe_next(Some("/dashboard/service/x/")),
            "/dashboard/service/x/"
        );
        assert_eq!(safe_next(Some("//evil.example/")), "/dashboard/");
        assert_eq!(safe_next(Some("https://evil.example/")), "/dashboard/");
        assert_eq!(safe_next(Some("/\\evil.example")), "/dashboard/");
        assert_eq!(safe_next(None), "/dashboard/");
    }

    #[test]
    fn email_shapes() {
        assert!(valid_email("a@b.example"));
        assert!(!valid_email("a@b"));
        assert!(!valid_email("<a@b.example>"));
        assert!(!valid_email("a b@c.example"));
    }
}
