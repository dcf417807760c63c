//! Saved segments: a name for a set of filters, per service. Everyone who may view the service
//! sees them as quick links on its page; only those who may manage it (owner, admins) save or
//! delete them (`POST /dashboard/service/{service}/segments/`, CSRF-checked like every form).
//! Stored filters are parsed again whenever they are shown, so a segment can never open a view
//! that typed filters could not.

use super::filter_links;
use super::layout::service_for;
use crate::http::{self, Req};
use crate::i18n::{self, Arg};
use crate::page_error::{PageError, PageResult};
use crate::request_context::Ctx;
use crate::state::DashboardState;
use models::segments::{self, Saved};
use models::services::Access;
use serde_json::{json, Value};
use stats::filters::{Filters, Syntax};
use tokio_postgres::GenericClient;
use uuid::Uuid;
use warp::http::StatusCode;

/// Most segments one service keeps (the quick links stay a short list).
pub const MAX_SEGMENTS_PER_SERVICE: i64 = 30;

/// Longest segment name in characters.
pub const MAX_NAME_CHARS: usize = 80;

/// The service's segments as links that open them with the request's dates, marking the one
/// whose filters are the active ones.
pub async fn quick_links<C: GenericClient>(
    c: &C,
    service: Uuid,
    path: &str,
    req: &Req,
    active: &Filters,
) -> Result<Value, PageError> {
    let rows = segments::list(c, service, MAX_SEGMENTS_PER_SERVICE).await?;
    let items: Vec<Value> = rows
        .iter()
        .filter_map(|s| {
            let f = Filters::parse(s.filters.iter().map(String::as_str), Syntax::Url).ok()?;
            Some(json!({
                "id": s.id,
                "name": s.name,
                "href": filter_links::link(path, req, &f),
                "active": &f == active,
                "title": f.to_string(),
            }))
        })
        .collect();
    Ok(json!(items))
}

/// The name of a form, trimmed and checked.
fn name_of(req: &Req) -> Result<String, PageError> {
    let name = req.field("name");
    if name.is_empty() {
        return Err(PageError::BadRequest(i18n::tr_now("error-segment-name")));
    }
    if name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(PageError::BadRequest(i18n::tr_now_args(
            "error-segment-name-long",
            &[("max", Arg::from(MAX_NAME_CHARS.to_string()))],
        )));
    }
    Ok(name)
}

/// `POST /dashboard/service/{service}/segments/`: `action=save` with `name` and the view's `f`
/// fields, or `action=delete` with `id`; back to the service page.
pub async fn post(state: &DashboardState, ctx: &Ctx, req: &Req) -> PageResult {
    let (svc, _) = service_for(state, ctx, Access::Manage).await?;
    let user = ctx.require_user()?;
    let page = format!("/dashboard/service/{}/", svc.id);
    match req.f("action") {
        Some("save") => {
            let name = name_of(req)?;
            let items = req
                .form
                .iter()
                .filter(|(k, _)| k == filter_links::PARAM)
                .map(|(_, v)| v.as_str());
            let filters = Filters::parse(items, Syntax::Url)
                .map_err(|e| PageError::BadRequest(format!("{e}.")))?;
            if filters.is_empty() {
                return Err(PageError::BadRequest(i18n::tr_now(
                    "error-segment-no-filter",
                )));
            }
            let mut c = state.pool().get().await?;
            let written = filters.written(Syntax::Url);
            match segments::insert(
                &mut c,
                svc.id,
                &name,
                &written,
                Some(user.id),
                MAX_SEGMENTS_PER_SERVICE,
            )
            .await?
            {
                Saved::Id(_) => Ok(http::redirect(
                    StatusCode::SEE_OTHER,
                    &filter_links::link(&page, req, &filters),
                )),
                Saved::DuplicateName => Err(PageError::BadRequest(i18n::tr_now_args(
                    "error-segment-duplicate",
                    &[("name", Arg::from(name.as_str()))],
                ))),
                Saved::LimitReached => Err(PageError::BadRequest(format!(
                    "This service already has {MAX_SEGMENTS_PER_SERVICE} segments, the most it \
                     can have: delete one first."
                ))),
            }
        }
        Some("delete") => {
            let id: i64 = req
                .f("id")
                .and_then(|i| i.trim().parse().ok())
                .ok_or_else(|| PageError::BadRequest(i18n::tr_now("error-which-segment")))?;
            let c = state.pool().get().await?;
            if segments::delete(&**c, svc.id, id).await? {
                Ok(http::redirect(StatusCode::SEE_OTHER, &page))
            } else {
                Err(PageError::NotFound)
            }
        }
        _ => Err(PageError::BadRequest(i18n::tr_now(
            "error-action-save-delete",
        ))),
    }
}
