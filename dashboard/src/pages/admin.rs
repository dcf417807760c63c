//! The admin page: users (deactivate, reactivate, make or revoke admin; who has two-factor
//! login on), the instance name, whether every user must use two-factor login,
//! and every service on the instance with its owner, both lists a page at a time.

use super::layout::{instance_name, page_number, pager, render};
use crate::http::{self, Req};
use crate::i18n;
use crate::page_error::{PageError, PageResult};
use crate::request_context::Ctx;
use crate::state::DashboardState;
use models::{instance, services, tokens, two_factor, users};
use serde_json::json;
use warp::http::{Method, StatusCode};

/// Users and services per page of the admin lists (`?page=` pages both).
pub const ADMIN_ROWS_PER_PAGE: i64 = 100;

/// A POST of the admin page: the instance name, the two-factor requirement, or an action on
/// one user (never oneself).
async fn act(
    state: &DashboardState,
    user: &models::users::User,
    c: &tokio_postgres::Client,
    req: &Req,
) -> PageResult {
    if req.f("action") == Some("instance") {
        let name = req.field("instance");
        if name.chars().count() > 100 {
            return Err(PageError::BadRequest(i18n::tr_now(
                "error-instance-name-long",
            )));
        }
        instance::set_name(c, &name).await?;
        state.set_instance_name(&name);
        return Ok(http::redirect(
            StatusCode::SEE_OTHER,
            "/admin/?msg=instance",
        ));
    }
    if req.f("action") == Some("require_2fa") {
        let on = match req.f("require") {
            Some("on") => true,
            Some("off") => false,
            _ => return Err(PageError::BadRequest(i18n::tr_now("error-say-on-off"))),
        };
        two_factor::set_required(c, on).await?;
        tracing::info!(admin = user.id, on, "two-factor requirement changed");
        return Ok(http::redirect(
            StatusCode::SEE_OTHER,
            "/admin/?msg=2fa_policy",
        ));
    }
    let target: i64 = req
        .f("user")
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| PageError::BadRequest(i18n::tr_now("error-which-user")))?;
    if target == user.id {
        return Err(PageError::BadRequest(i18n::tr_now("error-own-account")));
    }
    let found = match req.f("action") {
        Some("deactivate") => users::set_active(c, target, false).await?,
        Some("activate") => users::set_active(c, target, true).await?,
        Some("make_admin") => users::set_admin(c, target, true).await?,
        Some("revoke_admin") => users::set_admin(c, target, false).await?,
        // For a user who lost both the app and the recovery codes.
        Some("reset_2fa") => {
            if !two_factor::disable(c, target).await? {
                return Err(PageError::BadRequest(i18n::tr_now("error-user-no-2fa")));
            }
            tracing::info!(admin = user.id, user = target, "two-factor login reset");
            true
        }
        _ => return Err(PageError::BadRequest(i18n::tr_now("error-unknown-action"))),
    };
    if !found {
        return Err(PageError::BadRequest(i18n::tr_now("error-no-such-user")));
    }
    if req.f("action") == Some("deactivate") {
        tokens::delete_sessions_of(c, target).await?;
    }
    Ok(http::redirect(StatusCode::SEE_OTHER, "/admin/?msg=user"))
}

/// `GET|POST /admin/`.
pub async fn page(state: &DashboardState, ctx: &Ctx, req: &Req) -> PageResult {
    let user = ctx.require_user()?.clone();
    if !user.is_admin {
        return Err(PageError::Forbidden(i18n::tr_now("error-admins-only")));
    }
    let c = state.pool().get().await?;
    if req.method == Method::POST {
        return act(state, &user, &c, req).await;
    }
    let page = page_number(req)?;
    let offset = (page - 1) * ADMIN_ROWS_PER_PAGE;
    let user_total = users::count(&**c).await?;
    let listed = users::page_all(&**c, offset, ADMIN_ROWS_PER_PAGE).await?;
    let ids: Vec<i64> = listed.iter().map(|u| u.id).collect();
    let with_2fa = two_factor::enabled_among(&**c, &ids).await?;
    let require_2fa = two_factor::required(&**c).await?;
    let style = ctx.date_style();
    let users: Vec<_> = listed
        .into_iter()
        .map(|u| {
            json!({
                "id": u.id,
                "email": u.email,
                "admin": u.is_admin,
                "active": u.is_active,
                "joined": style.date(u.created_at.with_timezone(&state.tz()).date_naive()),
                "last_login": u.last_login.map(|t| style.date_time(&t.with_timezone(&state.tz()))),
                "services": u.services,
                "me": u.id == user.id,
                "two_factor": with_2fa.contains(&u.id),
            })
        })
        .collect();
    let (all, service_total) = services::page_all(&**c, offset, ADMIN_ROWS_PER_PAGE).await?;
    let instance = instance_name(state, &**c).await?;
    drop(c);
    let svcs: Vec<_> = all
        .into_iter()
        .map(|(s, owner)| json!({"id": s.id, "name": s.name, "archived": s.archived, "owner": owner}))
        .collect();
    render(
        state,
        ctx,
        req,
        StatusCode::OK,
        "admin",
        &i18n::tr(ctx.lang, "admin-heading"),
        json!({
            "users": users,
            "services": svcs,
            "instance": instance,
            "require_2fa": require_2fa,
            "no_site_url": state.site().is_none(),
            "pager": pager(page, user_total.max(service_total), ADMIN_ROWS_PER_PAGE, &req.raw_query),
        }),
    )
    .await
}
