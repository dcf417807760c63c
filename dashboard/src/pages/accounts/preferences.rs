//! `GET|POST /accounts/preferences/`: the signed-in user's display preferences: how dates are
//! written and which language the dashboard and its mail use. The router has checked the
//! form's CSRF token before this runs.

use crate::date_style::DateStyle;
use crate::http::{self, Req};
use crate::i18n::{self, Arg};
use crate::lang::{Lang, LangSetting};
use crate::page_error::PageResult;
use crate::pages::layout::render;
use crate::request_context::Ctx;
use crate::state::DashboardState;
use chrono::NaiveDate;
use serde_json::json;
use warp::http::{Method, StatusCode};

/// The form field that carries the chosen style's code.
pub const DATE_STYLE_FIELD: &str = "date_style";
/// The form field that carries the chosen language setting (`auto` or a language code).
/// Optional: a form without it leaves the setting as it is.
pub const LANGUAGE_FIELD: &str = "language";

/// `GET|POST /accounts/preferences/`.
pub async fn preferences(state: &DashboardState, ctx: &Ctx, req: &Req) -> PageResult {
    let user = ctx.require_user()?.clone();
    let mut current = ctx.date_style();
    let mut language = ctx.language_setting();
    let mut error = None;
    if req.method == Method::POST {
        let style = req.f(DATE_STYLE_FIELD).and_then(DateStyle::from_code);
        let chosen = match req.f(LANGUAGE_FIELD) {
            None => Some(language),
            Some(code) => LangSetting::from_code(code),
        };
        match (style, chosen) {
            (Some(style), Some(setting)) => {
                let c = state.pool().get().await?;
                models::users::set_date_style(&**c, user.id, style.code()).await?;
                models::users::set_language(&**c, user.id, setting.code()).await?;
                return Ok(http::redirect(
                    StatusCode::SEE_OTHER,
                    "/accounts/preferences/?msg=preferences",
                ));
            }
            (style, chosen) => {
                error = Some(i18n::tr(
                    ctx.lang,
                    if style.is_none() {
                        "preferences-error-date-style"
                    } else {
                        "preferences-error-language"
                    },
                ));
                current = style.unwrap_or(current);
                language = chosen.unwrap_or(language);
            }
        }
    }
    let styles: Vec<_> = DateStyle::ALL
        .into_iter()
        .map(|s| json!({"code": s.code(), "label": style_label(ctx.lang, s), "checked": s == current}))
        .collect();
    let languages: Vec<_> = LangSetting::all()
        .map(|s| {
            let (label, lang) = match s {
                LangSetting::Auto => (i18n::tr(ctx.lang, "preferences-language-auto"), None),
                // Each language is offered in its own name, marked up as that language.
                LangSetting::Fixed(l) => (l.native_name().to_owned(), Some(l.code())),
            };
            json!({"code": s.code(), "label": label, "lang": lang, "checked": s == language})
        })
        .collect();
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let data = json!({
        "styles": styles,
        "languages": languages,
        "error": error,
        "field": DATE_STYLE_FIELD,
        "language_field": LANGUAGE_FIELD,
    });
    let title = i18n::tr(ctx.lang, "preferences-heading");
    render(state, ctx, req, status, "preferences", &title, data).await
}

/// What the page calls a date style, with an example in the page's language.
fn style_label(lang: Lang, s: DateStyle) -> String {
    let example = NaiveDate::from_ymd_opt(2026, 12, 5).map(|d| s.date_in(lang, d));
    let key = match s {
        DateStyle::Iso => "date-style-iso",
        DateStyle::DayMonth => "date-style-day-month",
        DateStyle::MonthDay => "date-style-month-day",
    };
    i18n::tr_args(
        lang,
        key,
        &[("example", Arg::from(example.unwrap_or_default()))],
    )
}
