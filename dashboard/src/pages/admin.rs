//! The admin page: users (deactivate, reactivate, make or revoke admin), the instance name,
//! and every service on the instance with its owner, both lists a page at a time.

use super::{instance_name, page_number, pager, render};
use crate::http::{self, Req};
use crate::routes::{Ctx, PageError, PageResult};
use crate::services;
use crate::state::DashboardState;
use serde_json::json;
use warp::http::{Method, StatusCode};

/// Users and services per page of the admin lists (`?page=` pages both).
pub const ADMIN_ROWS_PER_PAGE: i64 = 100;

/// `GET|POST /admin/`.
pub async fn page(state: &DashboardState, ctx: &Ctx, req: &Req) -> PageResult {
    let user = ctx.require_user()?.clone();
    if !user.is_admin {
        return Err(PageError::Forbidden(
            "Only admins can open this page.".into(),
        ));
    }
    let c = state.pool().get().await?;
    if req.method == Method::POST {
        if req.f("action") == Some("instance") {
            let name = req.field("instance");
            if name.chars().count() > 100 {
                return Err(PageError::BadRequest(
                    "The instance name can have 100 characters at most.".into(),
                ));
            }
            c.execute(
                "INSERT INTO instance_settings (key, value) VALUES ('whitelabel', $1)
                 ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                &[&name],
            )
            .await?;
            state.set_instance_name(&name);
            return Ok(http::redirect(
                StatusCode::SEE_OTHER,
                "/admin/?msg=instance",
            ));
        }
        let target: i64 = req
            .f("user")
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| PageError::BadRequest("Which user?".into()))?;
        if target == user.id {
            return Err(PageError::BadRequest(
                "You cannot change your own account here.".into(),
            ));
        }
        let sql = match req.f("action") {
            Some("deactivate") => "UPDATE users SET is_active = false WHERE id = $1",
            Some("activate") => "UPDATE users SET is_active = true WHERE id = $1",
            Some("make_admin") => "UPDATE users SET is_admin = true WHERE id = $1",
            Some("revoke_admin") => "UPDATE users SET is_admin = false WHERE id = $1",
            _ => return Err(PageError::BadRequest("Unknown action.".into())),
        };
        if c.execute(sql, &[&target]).await? == 0 {
            return Err(PageError::BadRequest("No such user.".into()));
        }
        if req.f("action") == Some("deactivate") {
            c.execute("DELETE FROM web_sessions WHERE user_id = $1", &[&target])
                .await?;
        }
        return Ok(http::redirect(StatusCode::SEE_OTHER, "/admin/?msg=user"));
    }
    let page = page_number(req)?;
    let offset = (page - 1) * ADMIN_ROWS_PER_PAGE;
    let user_total: i64 = c.query_one("SELECT count(*) FROM users", &[]).await?.get(0);
    let users: Vec<_> = c
        .query(
            "SELECT u.id, u.email, u.is_admin, u.is_active, u.created_at, u.last_login,
                    (SELECT count(*) FROM services s WHERE s.owner_id = u.id)
             FROM users u ORDER BY lower(u.email), u.id LIMIT $1 OFFSET $2",
            &[&ADMIN_ROWS_PER_PAGE, &offset],
        )
        .await?
        .into_iter()
        .map(|r| {
            let id: i64 = r.get(0);
            let last: Option<chrono::DateTime<chrono::Utc>> = r.get(5);
            json!({
                "id": id,
                "email": r.get::<_, String>(1),
                "admin": r.get::<_, bool>(2),
                "active": r.get::<_, bool>(3),
                "joined": r.get::<_, chrono::DateTime<chrono::Utc>>(4).with_timezone(&state.tz()).format("%Y-%m-%d").to_string(),
                "last_login": last.map(|t| t.with_timezone(&state.tz()).format("%Y-%m-%d %H:%M").to_string()),
                "services": r.get::<_, i64>(6),
                "me": id == user.id,
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
        "Admin",
        json!({
            "users": users,
            "services": svcs,
            "instance": instance,
            "no_site_url": state.site().is_none(),
            "pager": pager(page, user_total.max(service_total), ADMIN_ROWS_PER_PAGE, &req.raw_query),
        }),
    )
    .await
}
