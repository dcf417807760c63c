//! The Security page: password change, the personal API token (both need the current
//! password, and a new password revokes the old token, open links and other sessions), and
//! account deletion.

use super::credentials::{current_password_matches, session_cookie, WRONG_CURRENT};
use crate::auth::{password, token};
use crate::http::{self, Req};
use crate::i18n;
use crate::page_error::{PageError, PageResult};
use crate::pages::layout::render;
use crate::request_context::Ctx;
use crate::state::DashboardState;
use models::{services, users};
use serde_json::json;
use uuid::Uuid;
use warp::http::{Method, StatusCode};

async fn password_page(
    state: &DashboardState,
    ctx: &Ctx,
    req: &Req,
    status: StatusCode,
    error: Option<String>,
    new_token: Option<String>,
) -> PageResult {
    let user = ctx.require_user()?;
    let has_token = {
        let c = state.pool().get().await?;
        users::has_api_token(&**c, user.id).await?
    };
    let data = json!({"error": error, "has_token": has_token, "new_token": new_token});
    render(
        state,
        ctx,
        req,
        status,
        "password_change",
        &i18n::tr(ctx.lang, "title-security"),
        data,
    )
    .await
}

/// `GET|POST /accounts/password/change/` (also shows the API token).
pub async fn password_change(state: &DashboardState, ctx: &Ctx, req: &Req) -> PageResult {
    let user = ctx.require_user()?.clone();
    if req.method == Method::GET {
        return password_page(state, ctx, req, StatusCode::OK, None, None).await;
    }
    let current = req.f("current").unwrap_or("").to_owned();
    let new = req.f("password").unwrap_or("").to_owned();
    let error = {
        let c = state.pool().get().await?;
        if !current_password_matches(&**c, user.id, &current).await? {
            Some(i18n::tr(ctx.lang, WRONG_CURRENT))
        } else if new != req.f("password2").unwrap_or("") {
            Some(i18n::tr(ctx.lang, "error-new-passwords-differ"))
        } else {
            password::check_new(&new).err()
        }
    };
    if let Some(e) = error {
        return password_page(state, ctx, req, StatusCode::BAD_REQUEST, Some(e), None).await;
    }
    let hash = password::hash(new).await.map_err(PageError::Unavailable)?;
    let mut c = state.pool().get().await?;
    let tx = c.transaction().await?;
    let keep = ctx.session.as_ref().map(|s| s.token_hash.as_slice());
    users::set_password(&*tx, user.id, &hash, keep).await?;
    tx.commit().await?;
    Ok(http::redirect(
        StatusCode::SEE_OTHER,
        "/accounts/password/change/?msg=password",
    ))
}

/// `POST /dashboard/api-token-refresh/`: a new API token, shown once, after the current
/// password is confirmed.
pub async fn token_refresh(state: &DashboardState, ctx: &Ctx, req: &Req) -> PageResult {
    let user = ctx.require_user()?;
    let t = format!("shy_{}", token::new_token());
    let ok = {
        let c = state.pool().get().await?;
        let ok = current_password_matches(&**c, user.id, req.f("current").unwrap_or("")).await?;
        if ok {
            users::set_api_token(&**c, user.id, &token::hash(&t)).await?;
        }
        ok
    };
    if !ok {
        let e = Some(i18n::tr(ctx.lang, WRONG_CURRENT));
        return password_page(state, ctx, req, StatusCode::BAD_REQUEST, e, None).await;
    }
    password_page(state, ctx, req, StatusCode::OK, None, Some(t)).await
}

/// `GET|POST /accounts/delete/`: deletes the account, every service it owns with all their
/// data, its collaborations, addresses and login sessions, after the password is confirmed.
/// The last active admin cannot delete themselves (the instance would have no admin left).
pub async fn account_delete(state: &DashboardState, ctx: &Ctx, req: &Req) -> PageResult {
    let user = ctx.require_user()?.clone();
    let mut c = state.pool().get().await?;
    let owned = services::owned_by(&**c, user.id).await?;
    let t_password_change_delete_heading = i18n::tr(ctx.lang, "password-change-delete-heading");
    let page = |status, error: Option<&str>| {
        let names: Vec<&str> = owned.iter().map(|(_, n)| n.as_str()).collect();
        let data = json!({"error": error, "owned": names});
        render(
            state,
            ctx,
            req,
            status,
            "account_delete",
            &t_password_change_delete_heading,
            data,
        )
    };
    if req.method == Method::GET {
        drop(c);
        return page(StatusCode::OK, None).await;
    }
    if !current_password_matches(&**c, user.id, req.f("current").unwrap_or("")).await? {
        drop(c);
        return page(
            StatusCode::BAD_REQUEST,
            Some(&i18n::tr(ctx.lang, "error-password-wrong")),
        )
        .await;
    }
    let tx = c.transaction().await?;
    if users::lock_and_is_last_admin(&*tx, user.id).await? {
        drop(tx);
        drop(c);
        return page(
            StatusCode::CONFLICT,
            Some(&i18n::tr(ctx.lang, "error-only-admin")),
        )
        .await;
    }
    let ids: Vec<Uuid> = owned.iter().map(|(id, _)| *id).collect();
    services::delete_in(&tx, &ids).await?;
    users::delete(&*tx, user.id).await?;
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
