//! Creating, managing (settings, collaborators, install snippet, API help), archiving and
//! deleting a service.

use super::layout::{can_create, render, service_for};
use super::links::ingress_base;
use crate::http::{self, Req};
use crate::page_error::{PageError, PageResult};
use crate::request_context::Ctx;
use crate::service_form::ServiceForm;
use crate::state::DashboardState;
use models::collaborators;
use models::services::{self, Access};
use serde_json::json;
use std::collections::BTreeMap;
use warp::http::{Method, StatusCode};

fn form_data(
    state: &DashboardState,
    form: &ServiceForm,
    errors: &BTreeMap<&'static str, String>,
) -> serde_json::Value {
    json!({
        "form": form,
        "errors": errors,
        "advanced_open": errors.keys().any(|k| !matches!(
            *k,
            "name" | "link" | "collaborators" | "raw_retention_days" | "rollup_retention_days"
        )),
        "block_all_ips": state.settings().block_all_ips,
    })
}

/// `GET|POST /dashboard/service/new/`.
pub async fn create(state: &DashboardState, ctx: &Ctx, req: &Req) -> PageResult {
    let user = ctx.require_user()?;
    if !can_create(state, ctx) {
        return Err(PageError::Forbidden(
            "Only admins can create services on this instance.".into(),
        ));
    }
    let (form, errors) = if req.method == Method::POST {
        let form = ServiceForm::from_req(req, state.settings().block_all_ips);
        let mut c = state.pool().get().await?;
        match form.validate(&**c, user.id).await? {
            Ok(valid) => {
                let id = valid.create(&mut c, user.id).await?;
                return Ok(http::redirect(
                    StatusCode::SEE_OTHER,
                    &format!("/dashboard/service/{id}/?msg=created"),
                ));
            }
            Err((form, errors)) => (form, errors),
        }
    } else {
        (ServiceForm::new_service(), BTreeMap::new())
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let mut data = form_data(state, &form, &errors);
    data["heading"] = json!("New service");
    data["action"] = json!("/dashboard/service/new/");
    data["submit"] = json!("Create");
    render(state, ctx, req, status, "service_form", "New service", data).await
}

/// `GET|POST /dashboard/service/{service}/manage/`.
pub async fn manage(state: &DashboardState, ctx: &Ctx, req: &Req) -> PageResult {
    let (svc, _) = service_for(state, ctx, Access::Manage).await?;
    let (form, errors) = if req.method == Method::POST {
        let form = ServiceForm::from_req(req, state.settings().block_all_ips);
        let mut c = state.pool().get().await?;
        match form.validate(&**c, svc.owner_id).await? {
            Ok(valid) => {
                valid.update(&mut c, svc.id).await?;
                return Ok(http::redirect(
                    StatusCode::SEE_OTHER,
                    &format!("/dashboard/service/{}/manage/?msg=saved", svc.id),
                ));
            }
            Err((form, errors)) => (form, errors),
        }
    } else {
        let c = state.pool().get().await?;
        let collabs = collaborators::emails(&**c, svc.id).await?;
        (ServiceForm::from_row(&svc, &collabs), BTreeMap::new())
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let base = ingress_base(state, req);
    let mut data = form_data(state, &form, &errors);
    data["heading"] = json!(format!("Manage {}", svc.name));
    data["action"] = json!(format!("/dashboard/service/{}/manage/", svc.id));
    data["submit"] = json!("Save");
    data["service"] = json!({"id": svc.id, "name": svc.name, "archived": svc.archived()});
    data["snippet"] = json!(beacon::snippet::install_snippet(&base, svc.id));
    data["api_url"] = json!(format!("{base}/api/v1/dashboard/?uuid={}", svc.id));
    render(
        state,
        ctx,
        req,
        status,
        "service_form",
        &format!("Manage {}", svc.name),
        data,
    )
    .await
}

/// `GET|POST /dashboard/service/{service}/delete/`: a plain confirmation.
pub async fn delete(state: &DashboardState, ctx: &Ctx, req: &Req) -> PageResult {
    let (svc, _) = service_for(state, ctx, Access::Manage).await?;
    if req.method == Method::POST {
        let mut c = state.pool().get().await?;
        services::delete(&mut c, svc.id).await?;
        return Ok(http::redirect(
            StatusCode::SEE_OTHER,
            "/dashboard/?msg=deleted",
        ));
    }
    let data = json!({"service": {"id": svc.id, "name": svc.name}});
    render(
        state,
        ctx,
        req,
        StatusCode::OK,
        "service_delete",
        &format!("Delete {}", svc.name),
        data,
    )
    .await
}

/// `POST /dashboard/service/{service}/archive/` with `archived=yes|no`.
pub async fn archive(state: &DashboardState, ctx: &Ctx, req: &Req) -> PageResult {
    let (svc, _) = service_for(state, ctx, Access::Manage).await?;
    let archived = match req.f("archived") {
        Some("yes") => true,
        Some("no") => false,
        _ => {
            return Err(PageError::BadRequest(
                "Say archived=yes or archived=no.".into(),
            ))
        }
    };
    let c = state.pool().get().await?;
    services::set_archived(&**c, svc.id, archived).await?;
    let msg = if archived { "archived" } else { "unarchived" };
    Ok(http::redirect(
        StatusCode::SEE_OTHER,
        &format!("/dashboard/service/{}/manage/?msg={msg}", svc.id),
    ))
}
