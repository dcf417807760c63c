//! The manage page of a service as both of its form handlers render it: the settings form
//! (`manage`), and the goal list with its add form (`goals`), each redisplayed with its errors
//! when a submission is refused.

use super::layout::render;
use super::links::ingress_base;
use crate::http::Req;
use crate::i18n::{self, Arg};
use crate::page_error::PageResult;
use crate::request_context::Ctx;
use crate::service_form::{FieldErrors, ServiceForm};
use crate::state::DashboardState;
use models::services::ServiceRow;
use serde::Serialize;
use serde_json::json;
use stats::goal_spec::{self, MAX_GOALS_PER_SERVICE};
use warp::http::StatusCode;

/// The settings form's page data (shared with the new-service page).
pub fn form_data(
    state: &DashboardState,
    form: &ServiceForm,
    errors: &FieldErrors,
) -> serde_json::Value {
    json!({
        "form": form,
        "errors": errors,
        "advanced_open": errors.keys().any(|k| !matches!(
            *k,
            "name" | "link" | "collaborators" | "raw_retention_days" | "rollup_retention_days"
        )),
        "block_all_ips": state.settings().block_all_ips,
        "instance_tz": state.tz().name(),
    })
}

/// The add-goal form as submitted, and why it was refused.
#[derive(Debug, Clone, Default, Serialize)]
pub struct GoalForm {
    /// Goal name.
    pub name: String,
    /// Event name.
    pub event: String,
    /// Property as `key=value`.
    pub prop: String,
    /// Page glob.
    pub page: String,
    /// The reason it was refused.
    pub error: Option<String>,
}

impl GoalForm {
    /// The submitted fields.
    pub fn from_req(req: &Req) -> GoalForm {
        GoalForm {
            name: req.field("name"),
            event: req.field("event"),
            prop: req.field("prop"),
            page: req.field("page"),
            error: None,
        }
    }
}

/// Renders the manage page of `svc`: 400 when either form carries errors.
pub async fn manage_page(
    state: &DashboardState,
    ctx: &Ctx,
    req: &Req,
    svc: &ServiceRow,
    (form, errors): (ServiceForm, FieldErrors),
    goal_form: GoalForm,
) -> PageResult {
    let status = if errors.is_empty() && goal_form.error.is_none() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let c = state.pool().get().await?;
    let goals = models::goals::list(&**c, svc.id, MAX_GOALS_PER_SERVICE).await?;
    let share_data = super::share_manage::manage_data(&**c, svc.id, ctx.date_style()).await?;
    drop(c);
    let base = ingress_base(state, req);
    let mut data = form_data(state, &form, &errors);
    data["heading"] = json!(format!("Manage {}", svc.name));
    data["action"] = json!(format!("/dashboard/service/{}/manage/", svc.id));
    data["submit"] = json!(i18n::tr_now("common-save"));
    data["service"] = json!({"id": svc.id, "name": svc.name, "archived": svc.archived()});
    data["snippet"] = json!(beacon::snippet::install_snippet(&base, svc.id));
    data["api_url"] = json!(format!("{base}/api/v1/dashboard/?uuid={}", svc.id));
    data["goals"] = json!(goals
        .iter()
        .map(|g| json!({
            "id": g.id,
            "name": g.name,
            "definition": goal_spec::describe(
                g.event_name.as_deref(),
                g.prop.as_ref().map(|(k, v)| (k.as_str(), v.as_str())),
                g.page_glob.as_deref(),
            ),
        }))
        .collect::<Vec<_>>());
    data["goals_full"] = json!(goals.len() as i64 >= MAX_GOALS_PER_SERVICE);
    data["goal_limit"] = json!(MAX_GOALS_PER_SERVICE);
    data["goal_form"] = json!(goal_form);
    for (k, v) in share_data {
        data[k] = v;
    }
    render(
        state,
        ctx,
        req,
        status,
        "service_form",
        &i18n::tr_args(
            ctx.lang,
            "title-manage",
            &[("name", Arg::from(svc.name.as_str()))],
        ),
        data,
    )
    .await
}
