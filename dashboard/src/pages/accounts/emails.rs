//! `GET|POST /accounts/email/` (list, add, make primary, resend verification, remove) and
//! `GET|POST /accounts/confirm-email/{token}/`. Adding an address and changing the login
//! address ask for the current password: a stolen session alone cannot take over the account's
//! mail (and with it, password resets).

use super::credentials::{current_password_matches, valid_email, WRONG_CURRENT};
use super::mailing::{self, Link};
use crate::auth::one_time;
use crate::http::{self, Req};
use crate::i18n;
use crate::lang::Lang;
use crate::page_error::{PageError, PageResult};
use crate::pages::layout::{message, render};
use crate::request_context::Ctx;
use crate::state::DashboardState;
use models::emails;
use serde_json::json;
use warp::http::{Method, StatusCode};

/// What a POST to the emails page did: redirect with a flash code, or show an error.
type Done = Result<&'static str, String>;

async fn apply(
    state: &DashboardState,
    req: &Req,
    user_id: i64,
    lang: Lang,
) -> Result<Done, PageError> {
    let mut c = state.pool().get().await?;
    let owned = match req.f("id").and_then(|v| v.parse::<i64>().ok()) {
        Some(id) => emails::owned(&**c, user_id, id).await?,
        None => None,
    };
    let action = req.f("action").unwrap_or("");
    if matches!(action, "add" | "primary")
        && !current_password_matches(&**c, user_id, req.f("current").unwrap_or("")).await?
    {
        return Ok(Err(i18n::tr(lang, WRONG_CURRENT)));
    }
    let no_such = || PageError::BadRequest(i18n::tr(lang, "error-no-such-address"));
    Ok(match action {
        "add" => {
            let email = req.field("email");
            if !valid_email(&email) {
                return Ok(Err(i18n::tr(lang, "error-invalid-email")));
            }
            match emails::add(&**c, user_id, &email).await? {
                Some(email_id) => {
                    match mailing::send_link(
                        state,
                        &mut c,
                        user_id,
                        &email,
                        Link::Verify { email_id },
                    )
                    .await?
                    {
                        Ok(()) => Ok("verify"),
                        Err(r) => Err(format!(
                            "{} {}",
                            i18n::tr(lang, "error-address-added-unsent"),
                            r.text(lang)
                        )),
                    }
                }
                None => Err(i18n::tr(lang, "error-address-in-use")),
            }
        }
        "primary" => match owned.ok_or_else(no_such)? {
            a if a.verified && emails::login_of_other(&**c, user_id, &a.email).await? => {
                Err(i18n::tr(lang, "error-address-other-login"))
            }
            a if a.verified => {
                let tx = c.transaction().await?;
                emails::make_primary(&*tx, user_id, &a).await?;
                tx.commit().await?;
                Ok("email")
            }
            _ => Err(i18n::tr(lang, "error-verify-before-primary")),
        },
        "resend" => match owned.ok_or_else(no_such)? {
            a if !a.verified => {
                match mailing::send_link(
                    state,
                    &mut c,
                    user_id,
                    &a.email,
                    Link::Verify { email_id: a.id },
                )
                .await?
                {
                    Ok(()) => Ok("verify"),
                    Err(r) => Err(r.text(lang)),
                }
            }
            _ => Err(i18n::tr(lang, "error-address-verified-already")),
        },
        "remove" => match owned.ok_or_else(no_such)? {
            a if a.primary => Err(i18n::tr(lang, "error-primary-not-removable")),
            a => {
                emails::remove(&**c, user_id, a.id).await?;
                Ok("email")
            }
        },
        _ => {
            return Err(PageError::BadRequest(i18n::tr(
                lang,
                "error-unknown-action",
            )))
        }
    })
}

/// `GET|POST /accounts/email/`.
pub async fn emails(state: &DashboardState, ctx: &Ctx, req: &Req) -> PageResult {
    let user = ctx.require_user()?.clone();
    let mut error = None;
    if req.method == Method::POST {
        match apply(state, req, user.id, ctx.lang).await? {
            Ok(flash) => {
                let to = format!("/accounts/email/?msg={flash}");
                return Ok(http::redirect(StatusCode::SEE_OTHER, &to));
            }
            Err(e) => error = Some(e),
        }
    }
    let rows = {
        let c = state.pool().get().await?;
        emails::list(&**c, user.id).await?
    };
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let data = json!({"emails": rows, "error": error});
    render(
        state,
        ctx,
        req,
        status,
        "emails",
        &i18n::tr(ctx.lang, "emails-heading"),
        data,
    )
    .await
}

/// `GET|POST /accounts/confirm-email/{token}/`: GET asks, POST verifies (so mail scanners that
/// prefetch links do not verify on the user's behalf).
pub async fn email_confirm(state: &DashboardState, ctx: &Ctx, req: &Req) -> PageResult {
    let t = ctx.param("token").to_owned();
    let link_invalid = i18n::tr(ctx.lang, "page-link-invalid");
    let invalid = |text| {
        message(
            state,
            ctx,
            req,
            StatusCode::BAD_REQUEST,
            &link_invalid,
            text,
        )
    };
    let invalid_text = i18n::tr(ctx.lang, "page-verify-link-invalid");
    if req.method == Method::GET {
        let email: Option<String> = {
            let c = state.pool().get().await?;
            match one_time::open(&**c, &t, one_time::Purpose::Verify).await? {
                Some((_, Some(email_id))) => emails::address(&**c, email_id).await?,
                _ => None,
            }
        };
        return match email {
            Some(email) => {
                let data = json!({"email": email});
                render(
                    state,
                    ctx,
                    req,
                    StatusCode::OK,
                    "email_confirm",
                    &i18n::tr(ctx.lang, "email-confirm-heading"),
                    data,
                )
                .await
            }
            None => invalid(&invalid_text).await,
        };
    }
    let verified = {
        let mut c = state.pool().get().await?;
        let tx = c.transaction().await?;
        let verified = match one_time::consume(&*tx, &t, one_time::Purpose::Verify).await? {
            Some((_, Some(email_id))) => Some(emails::verify(&*tx, email_id).await?),
            _ => None,
        };
        tx.commit().await?;
        verified
    };
    match verified {
        None => invalid(&invalid_text).await,
        Some(false) => invalid(&i18n::tr(ctx.lang, "page-verified-elsewhere")).await,
        Some(true) => {
            let to = if ctx.user().is_some() {
                "/accounts/email/?msg=verified"
            } else {
                "/accounts/login/?msg=verified"
            };
            Ok(http::redirect(StatusCode::SEE_OTHER, to))
        }
    }
}
