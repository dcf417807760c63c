//! `GET|POST /accounts/signup/` (when sign-ups are enabled).

use super::credentials::{session_cookie, valid_email};
use super::mailing::{self, Link};
use crate::auth::{password, session};
use crate::http::{self, Req};
use crate::i18n;
use crate::page_error::{PageError, PageResult};
use crate::pages::layout::{message, render};
use crate::request_context::Ctx;
use crate::settings::EmailVerification;
use crate::state::DashboardState;
use models::users;
use serde_json::json;
use warp::http::{Method, StatusCode};

/// `GET|POST /accounts/signup/`.
pub async fn signup(state: &DashboardState, ctx: &Ctx, req: &Req) -> PageResult {
    if !state.args().account_signups_enabled {
        return message(
            state,
            ctx,
            req,
            StatusCode::FORBIDDEN,
            &i18n::tr(ctx.lang, "page-signup-closed"),
            &i18n::tr(ctx.lang, "page-signup-closed-text"),
        )
        .await;
    }
    if ctx.user().is_some() {
        return Ok(http::redirect(StatusCode::FOUND, "/dashboard/"));
    }
    let mut data = json!({"email": ""});
    if req.method == Method::GET {
        return render(
            state,
            ctx,
            req,
            StatusCode::OK,
            "signup",
            &i18n::tr(ctx.lang, "signup-heading"),
            data,
        )
        .await;
    }
    let email = req.field("email");
    let pw = req.f("password").unwrap_or("").to_owned();
    data["email"] = json!(email);
    let mode = state.args().account_email_verification;
    let error = if !valid_email(&email) {
        Some(i18n::tr(ctx.lang, "error-invalid-email"))
    } else if pw != req.f("password2").unwrap_or("") {
        Some(i18n::tr(ctx.lang, "error-passwords-differ"))
    } else if mode == EmailVerification::Mandatory && mailing::site_base(state).is_err() {
        // The account could never log in: refuse before creating it.
        Some(mailing::Refused::NoSiteUrl.text(ctx.lang))
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
            &i18n::tr(ctx.lang, "signup-heading"),
            data,
        )
        .await;
    }
    let hash = password::hash(pw).await.map_err(PageError::Unavailable)?;
    let created = {
        let mut c = state.pool().get().await?;
        let tx = c.transaction().await?;
        let created = users::create_unverified(&*tx, &email, &hash).await?;
        tx.commit().await?;
        match created {
            None => None,
            Some((user_id, email_id)) => {
                let sent = if mode == EmailVerification::None {
                    Ok(())
                } else {
                    mailing::send_link(state, &mut c, user_id, &email, Link::Verify { email_id })
                        .await?
                };
                let session = if mode == EmailVerification::Mandatory {
                    None
                } else {
                    Some(session::create(&**c, user_id).await?)
                };
                Some((sent, session))
            }
        }
    };
    match created {
        None => {
            data["error"] = json!(i18n::tr(ctx.lang, "error-account-exists"));
            render(
                state,
                ctx,
                req,
                StatusCode::BAD_REQUEST,
                "signup",
                &i18n::tr(ctx.lang, "signup-heading"),
                data,
            )
            .await
        }
        Some((sent, None)) => {
            let text = match sent {
                Ok(()) => i18n::tr(ctx.lang, "page-signup-verify"),
                Err(r) => r.text(ctx.lang),
            };
            message(
                state,
                ctx,
                req,
                StatusCode::OK,
                &i18n::tr(ctx.lang, "page-check-mail"),
                &text,
            )
            .await
        }
        Some((_, Some(t))) => {
            let mut resp = http::redirect(StatusCode::SEE_OTHER, "/dashboard/?msg=signedup");
            http::set_cookie(
                &mut resp,
                &session_cookie(ctx, &t, session::LIFETIME_DAYS * 86_400),
            );
            Ok(resp)
        }
    }
}
