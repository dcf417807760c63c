//! `GET|POST /accounts/preferences/`: the signed-in user's display preferences (for now, how
//! dates are written). The router has checked the form's CSRF token before this runs.

use crate::date_style::DateStyle;
use crate::http::{self, Req};
use crate::page_error::PageResult;
use crate::pages::layout::render;
use crate::request_context::Ctx;
use crate::state::DashboardState;
use serde_json::json;
use warp::http::{Method, StatusCode};

/// The form field that carries the chosen style's code.
pub const DATE_STYLE_FIELD: &str = "date_style";

/// `GET|POST /accounts/preferences/`.
pub async fn preferences(state: &DashboardState, ctx: &Ctx, req: &Req) -> PageResult {
    let user = ctx.require_user()?.clone();
    let mut current = ctx.date_style();
    let mut error = None;
    if req.method == Method::POST {
        match req.f(DATE_STYLE_FIELD).and_then(DateStyle::from_code) {
            Some(style) => {
                let c = state.pool().get().await?;
                models::users::set_date_style(&**c, user.id, style.code()).await?;
                return Ok(http::redirect(
                    StatusCode::SEE_OTHER,
                    "/accounts/preferences/?msg=preferences",
                ));
            }
            None => {
                error = Some("Choose one of the date styles offered.");
                current =
                    DateStyle::from_code(req.f(DATE_STYLE_FIELD).unwrap_or("")).unwrap_or(current);
            }
        }
    }
    let styles: Vec<_> = DateStyle::ALL
        .into_iter()
        .map(|s| json!({"code": s.code(), "label": s.label(), "checked": s == current}))
        .collect();
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let data = json!({"styles": styles, "error": error, "field": DATE_STYLE_FIELD});
    render(state, ctx, req, status, "preferences", "Preferences", data).await
}
