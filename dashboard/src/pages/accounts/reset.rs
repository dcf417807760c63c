//! Password reset by mailed single-use link. The mail goes to the address stored for the
//! account, never to the submitted string; a reset revokes the API token, other open links and
//! every web session, and clears the account's login back-off.

use super::mailing::{self, Link};
use crate::auth::{one_time, password};
use crate::http::{self, Req};
use crate::i18n;
use crate::page_error::{PageError, PageResult};
use crate::pages::layout::{message, render};
use crate::request_context::Ctx;
use crate::state::DashboardState;
use models::{emails, users};
use serde_json::json;
use warp::http::{Method, StatusCode};

/// Most unused reset links per user at once (bounds mail sent on someone's behalf).
pub const MAX_OPEN_RESETS: i64 = 3;

/// `GET|POST /accounts/password/reset/`.
pub async fn password_reset(state: &DashboardState, ctx: &Ctx, req: &Req) -> PageResult {
    if req.method == Method::GET {
        let data = json!({});
        return render(
            state,
            ctx,
            req,
            StatusCode::OK,
            "password_reset",
            &i18n::tr(ctx.lang, "reset-heading"),
            data,
        )
        .await;
    }
    // Refused the same way for every address, so the answer says nothing about accounts.
    if let Err(r) = mailing::site_base(state) {
        return message(
            state,
            ctx,
            req,
            StatusCode::SERVICE_UNAVAILABLE,
            &i18n::tr(ctx.lang, "page-mail-unavailable"),
            &r.text(ctx.lang),
        )
        .await;
    }
    let email = req.field("email");
    {
        let mut c = state.pool().get().await?;
        if let Some((user_id, stored)) = emails::reset_target(&**c, &email).await? {
            if one_time::count_open(&**c, user_id, one_time::Purpose::Reset).await?
                < MAX_OPEN_RESETS
            {
                // A refusal (over the rate limit) is not shown: it would reveal the account.
                let _ = mailing::send_link(state, &mut c, user_id, &stored, Link::Reset).await?;
            }
        }
    }
    message(
        state,
        ctx,
        req,
        StatusCode::OK,
        &i18n::tr(ctx.lang, "page-check-mail"),
        &i18n::tr(ctx.lang, "page-reset-sent"),
    )
    .await
}

/// `GET|POST /accounts/password/reset/key/{token}/`.
pub async fn password_reset_key(state: &DashboardState, ctx: &Ctx, req: &Req) -> PageResult {
    let t = ctx.param("token").to_owned();
    let t_page_link_invalid = i18n::tr(ctx.lang, "page-link-invalid");
    let t_page_reset_link_invalid = i18n::tr(ctx.lang, "page-reset-link-invalid");
    let invalid = || {
        message(
            state,
            ctx,
            req,
            StatusCode::BAD_REQUEST,
            &t_page_link_invalid,
            &t_page_reset_link_invalid,
        )
    };
    let t_field_new_password = i18n::tr(ctx.lang, "field-new-password");
    let page = |status, error: Option<String>| {
        let data = json!({"error": error});
        render(
            state,
            ctx,
            req,
            status,
            "password_reset_key",
            &t_field_new_password,
            data,
        )
    };
    if req.method == Method::GET {
        let open = {
            let c = state.pool().get().await?;
            one_time::open(&**c, &t, one_time::Purpose::Reset).await?
        };
        return match open {
            Some(_) => page(StatusCode::OK, None).await,
            None => invalid().await,
        };
    }
    let pw = req.f("password").unwrap_or("").to_owned();
    let error = if pw != req.f("password2").unwrap_or("") {
        Some(i18n::tr(ctx.lang, "error-passwords-differ"))
    } else {
        password::check_new(&pw).err()
    };
    if let Some(e) = error {
        return page(StatusCode::BAD_REQUEST, Some(e)).await;
    }
    let hash = password::hash(pw).await.map_err(PageError::Unavailable)?;
    let done = {
        let mut c = state.pool().get().await?;
        let tx = c.transaction().await?;
        let Some((user_id, _)) = one_time::consume(&*tx, &t, one_time::Purpose::Reset).await?
        else {
            drop(tx);
            drop(c);
            return invalid().await;
        };
        users::set_password(&*tx, user_id, &hash, None).await?;
        tx.commit().await?;
        user_id
    };
    tracing::info!(user = done, "password reset by mailed link");
    Ok(http::redirect(
        StatusCode::SEE_OTHER,
        "/accounts/login/?msg=reset",
    ))
}
