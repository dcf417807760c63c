//! The API's data-rights routes, token auth only like the rest of the API (no cookies, so no
//! CSRF): `POST /api/v1/service/{service}/erase/` (owners and admins; form fields as on the
//! manage page: `identifier`, `ip`, `session` or `from`+`to`, and `dry_run=yes`) answers the
//! counts as JSON; `GET /api/v1/service/{service}/export/?format=csv|ndjson[&startDate&endDate]`
//! (anyone who may view the service) streams the download. A service the token's user cannot see
//! is 404, one they may only view is 403 for erasure; errors are JSON with an `error` text.

use crate::auth::token;
use crate::erasure::{Actor, ErasureError};
use crate::export_http::{self, ExportError};
use crate::http::{self, Req, Response};
use crate::pages::data_rights::{export_job, run_erasure, selector_input};
use crate::state::DashboardState;
use models::services::{Access, ServiceRow};
use models::users::User;
use serde_json::json;
use uuid::Uuid;
use warp::http::StatusCode;

fn error(status: StatusCode, msg: &str) -> Response {
    http::json(status, &json!({ "error": msg }))
}

/// The token's user and the service with their access, or the error answer.
async fn authorize(
    state: &DashboardState,
    req: &Req,
    service: &str,
    need: Access,
) -> Result<(User, ServiceRow), Response> {
    let unavailable = |e: &dyn std::fmt::Display| {
        tracing::error!(error = %e, "API request failed");
        error(
            StatusCode::SERVICE_UNAVAILABLE,
            "The database did not answer. Try again in a moment.",
        )
    };
    let t = req
        .header("authorization")
        .and_then(|h| h.split_once(' '))
        .filter(|(scheme, _)| *scheme == "Token")
        .map(|(_, t)| t.trim())
        .filter(|t| !t.is_empty() && t.len() <= 200)
        .ok_or_else(|| {
            error(
                StatusCode::FORBIDDEN,
                "Missing or invalid API token: send the header `Authorization: Token <your token>`.",
            )
        })?;
    let c = state.pool().get().await.map_err(|e| unavailable(&e))?;
    let user = models::users::by_api_token(&**c, &token::hash(t))
        .await
        .map_err(|e| unavailable(&e))?
        .ok_or_else(|| error(StatusCode::FORBIDDEN, "Invalid API token."))?;
    let not_found = || {
        error(
            StatusCode::NOT_FOUND,
            "No such service, or no access to it.",
        )
    };
    let id: Uuid = service.parse().map_err(|_| not_found())?;
    let (svc, access) = models::services::find_for_user(&**c, id, &user)
        .await
        .map_err(|e| unavailable(&e))?
        .ok_or_else(not_found)?;
    if access < need {
        return Err(error(
            StatusCode::FORBIDDEN,
            "Only the owner of this service (or an admin) can do that.",
        ));
    }
    Ok((user, svc))
}

/// `POST /api/v1/service/{service}/erase/`.
pub async fn erase(state: &DashboardState, req: &Req, service: &str) -> Response {
    let (user, svc) = match authorize(state, req, service, Access::Manage).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let dry_run = req.f("dry_run") == Some("yes");
    let fields = selector_input(|k| req.f(k).map(str::to_owned));
    let actor = Actor {
        user_id: Some(user.id),
        via: "api",
    };
    match run_erasure(state, &svc, &fields, actor, dry_run).await {
        Ok(c) => http::json(StatusCode::OK, &json!({"dry_run": dry_run, "deleted": c})),
        Err(ErasureError::BadInput(why)) => error(StatusCode::BAD_REQUEST, &why),
        Err(ErasureError::UnknownService(_)) => error(StatusCode::NOT_FOUND, "No such service."),
        Err(ErasureError::Pool(_)) => error(
            StatusCode::TOO_MANY_REQUESTS,
            "The dashboard's connections are busy. Try again in a moment.",
        ),
        Err(e) => {
            tracing::error!(error = %e, "erasure failed");
            error(
                StatusCode::SERVICE_UNAVAILABLE,
                "The erasure failed; nothing was deleted.",
            )
        }
    }
}

/// `GET /api/v1/service/{service}/export/`.
pub async fn export(state: &DashboardState, req: &Req, service: &str) -> Response {
    let (_, svc) = match authorize(state, req, service, Access::View).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let job = match export_job(state, &svc, |k| req.q(k).map(str::to_owned)) {
        Ok(j) => j,
        Err(why) => return error(StatusCode::BAD_REQUEST, &why),
    };
    match export_http::start(state.pool(), state.export_slots(), job).await {
        Ok(r) => r,
        Err(ExportError::Busy) => error(
            StatusCode::TOO_MANY_REQUESTS,
            "Another export is running. Try again when it is done.",
        ),
        Err(ExportError::Pool(_)) => error(
            StatusCode::TOO_MANY_REQUESTS,
            "The dashboard's connections are busy. Try again in a moment.",
        ),
    }
}
