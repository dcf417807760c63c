//! Creating, managing (settings, collaborators, goals, install snippet, API help), archiving
//! and deleting a service.

use super::layout::{can_create, render, service_for};
use super::manage_view::{form_data, manage_page, GoalForm};
use crate::http::{self, Req};
use crate::i18n::{self, Arg};
use crate::page_error::{PageError, PageResult};
use crate::request_context::Ctx;
use crate::service_form::ServiceForm;
use crate::state::DashboardState;
use models::collaborators;
use models::goals::{self, Inserted, NewGoal, Which};
use models::services::{self, Access};
use serde_json::json;
use stats::goal_spec::{GoalSpec, MAX_GOALS_PER_SERVICE};
use std::collections::BTreeMap;
use warp::http::{Method, StatusCode};

/// `GET|POST /dashboard/service/new/`.
pub async fn create(state: &DashboardState, ctx: &Ctx, req: &Req) -> PageResult {
    let user = ctx.require_user()?;
    if !can_create(state, ctx) {
        return Err(PageError::Forbidden(i18n::tr_now(
            "error-create-admins-only",
        )));
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
    data["heading"] = json!(i18n::tr_now("title-new-service"));
    data["action"] = json!("/dashboard/service/new/");
    data["submit"] = json!(i18n::tr_now("form-create"));
    render(
        state,
        ctx,
        req,
        status,
        "service_form",
        &i18n::tr_now("title-new-service"),
        data,
    )
    .await
}

/// `GET|POST /dashboard/service/{service}/manage/`.
pub async fn manage(state: &DashboardState, ctx: &Ctx, req: &Req) -> PageResult {
    let (svc, _) = service_for(state, ctx, Access::Manage).await?;
    let form = if req.method == Method::POST {
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
    manage_page(state, ctx, req, &svc, form, GoalForm::default()).await
}

/// `POST /dashboard/service/{service}/goals/`: `action=add` with `name` and either `event` (and
/// optionally `prop` as key=value) or `page` (a path glob); `action=delete` with the goal's `id`.
/// A refused goal redisplays the manage page with the reason.
pub async fn goals(state: &DashboardState, ctx: &Ctx, req: &Req) -> PageResult {
    let (svc, _) = service_for(state, ctx, Access::Manage).await?;
    let done = |msg: &str| {
        Ok(http::redirect(
            StatusCode::SEE_OTHER,
            &format!("/dashboard/service/{}/manage/?msg={msg}#goals", svc.id),
        ))
    };
    match req.f("action") {
        Some("add") => {
            let mut form = GoalForm::from_req(req);
            let spec = GoalSpec::new(
                &form.name,
                Some(&form.event),
                Some(&form.prop),
                Some(&form.page),
            );
            let refused = match spec {
                Err(e) => e.to_string(),
                Ok(spec) => {
                    let (event_name, prop, page) = spec.parts();
                    let new = NewGoal {
                        name: &spec.name,
                        event_name,
                        prop,
                        page,
                    };
                    let mut c = state.pool().get().await?;
                    match goals::insert(&mut c, svc.id, new, MAX_GOALS_PER_SERVICE).await? {
                        Inserted::Id(_) => return done("goal_added"),
                        Inserted::UnknownService => return Err(PageError::NotFound),
                        Inserted::LimitReached => format!(
                            "this service already has {MAX_GOALS_PER_SERVICE} goals, the most \
                             it can have: delete one first"
                        ),
                        Inserted::DuplicateName => {
                            format!("there is already a goal named “{}”", spec.name)
                        }
                    }
                }
            };
            form.error = Some(sentence(&refused));
            let c = state.pool().get().await?;
            let collabs = collaborators::emails(&**c, svc.id).await?;
            drop(c);
            let settings = (ServiceForm::from_row(&svc, &collabs), BTreeMap::new());
            manage_page(state, ctx, req, &svc, settings, form).await
        }
        Some("delete") => {
            let id: i64 = req
                .f("id")
                .and_then(|i| i.trim().parse().ok())
                .ok_or_else(|| PageError::BadRequest(i18n::tr_now("error-which-goal")))?;
            let mut c = state.pool().get().await?;
            match goals::delete(&mut c, svc.id, Which::Id(id)).await? {
                Some(_) => done("goal_deleted"),
                None => Err(PageError::NotFound),
            }
        }
        _ => Err(PageError::BadRequest(i18n::tr_now(
            "error-action-add-delete",
        ))),
    }
}

/// An error text as a sentence: capitalised, with a full stop.
fn sentence(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => format!("{}{}.", f.to_uppercase(), c.as_str().trim_end_matches('.')),
        None => String::new(),
    }
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
        &i18n::tr_args(
            ctx.lang,
            "title-delete-service",
            &[("name", Arg::from(svc.name.as_str()))],
        ),
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
        _ => return Err(PageError::BadRequest(i18n::tr_now("error-archived-yes-no"))),
    };
    let c = state.pool().get().await?;
    services::set_archived(&**c, svc.id, archived).await?;
    let msg = if archived { "archived" } else { "unarchived" };
    Ok(http::redirect(
        StatusCode::SEE_OTHER,
        &format!("/dashboard/service/{}/manage/?msg={msg}", svc.id),
    ))
}
