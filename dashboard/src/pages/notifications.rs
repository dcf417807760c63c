//! `/dashboard/service/{service}/notifications/`: who gets told what about a service. Everyone
//! who may view the service sets their own opt-ins (anomaly alerts, weekly and monthly reports);
//! the owner (and admins) also turn alerts on, set the thresholds and the webhook, and see the
//! webhook's signing secret. Collaborators cannot open the manage page, hence a page of its own,
//! linked from the service and manage pages.

use super::layout::{render, service_for};
use crate::http::{self, Req};
use crate::i18n::{self, Arg};
use crate::page_error::{PageError, PageResult};
use crate::request_context::Ctx;
use crate::state::DashboardState;
use crate::webhook_url;
use models::notify::{self, AlertEdit};
use models::services::Access;
use serde_json::json;
use stats::anomaly::{self, Params};
use warp::http::{Method, StatusCode};

/// Bytes of a new webhook secret.
const SECRET_BYTES: usize = 32;

fn checked(req: &Req, name: &str) -> bool {
    matches!(req.f(name), Some("on" | "yes" | "true" | "1"))
}

fn number(req: &Req, name: &str, label: &str) -> Result<f64, PageError> {
    req.f(name)
        .unwrap_or("")
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| {
            PageError::BadRequest(i18n::tr_now_args(
                "error-not-a-number",
                &[("label", Arg::from(label))],
            ))
        })
}

/// The alert settings of a valid form, or the reason it is refused.
async fn alert_edit(
    state: &DashboardState,
    req: &Req,
) -> Result<(bool, i16, Params, String, bool), PageError> {
    let threshold = number(req, "threshold", "threshold")?;
    let min_volume = number(req, "min_volume", "minimum volume")?;
    let weeks = number(req, "weeks", "number of baseline weeks")?;
    let weeks = if weeks.fract() == 0.0 && weeks.abs() < 1000.0 {
        weeks as i16
    } else {
        0
    };
    let params = Params::validate(threshold, min_volume, weeks)
        .map_err(|e| PageError::BadRequest(format!("{}.", capitalise(&e.to_string()))))?;
    let url = req.f("webhook_url").unwrap_or("").trim().to_owned();
    if !url.is_empty() {
        webhook_url::check(&url, state.args().webhook_allow_private)
            .await
            .map_err(|e| PageError::BadRequest(format!("{}.", capitalise(&e.to_string()))))?;
    }
    Ok((
        checked(req, "enabled"),
        weeks,
        params,
        url,
        checked(req, "webhook_slack"),
    ))
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

/// `GET|POST`: `action=optins` (anyone who may view) or `action=alerts` (owner, admins).
pub async fn page(state: &DashboardState, ctx: &Ctx, req: &Req) -> PageResult {
    let (svc, access) = service_for(state, ctx, Access::View).await?;
    let user = ctx.require_user()?;
    let manage = access >= Access::Manage;
    let done = || {
        Ok(http::redirect(
            StatusCode::SEE_OTHER,
            &format!("/dashboard/service/{}/notifications/?msg=saved", svc.id),
        ))
    };
    if req.method == Method::POST {
        match req.f("action") {
            Some("optins") => {
                let c = state.pool().get().await?;
                let choice = (
                    checked(req, "alerts"),
                    checked(req, "weekly"),
                    checked(req, "monthly"),
                );
                notify::set_optins(&**c, svc.id, user.id, choice).await?;
                return done();
            }
            Some("alerts") => {
                if !manage {
                    return Err(PageError::Forbidden(i18n::tr_now(
                        "error-alerts-owner-only",
                    )));
                }
                let (enabled, weeks, p, url, slack) = alert_edit(state, req).await?;
                let secret = hex::encode(rand::random::<[u8; SECRET_BYTES]>());
                let c = state.pool().get().await?;
                let edit = AlertEdit {
                    enabled,
                    weeks,
                    threshold: p.threshold,
                    min_volume: p.min_volume,
                    webhook_url: &url,
                    webhook_slack: slack,
                };
                notify::save_settings(&**c, svc.id, &edit, &secret).await?;
                return done();
            }
            _ => {
                return Err(PageError::BadRequest(i18n::tr_now(
                    "error-action-optins-alerts",
                )))
            }
        }
    }
    let c = state.pool().get().await?;
    let (alerts, weekly, monthly) = notify::optins(&**c, svc.id, user.id).await?;
    let settings = if manage {
        notify::settings(&**c, svc.id).await?
    } else {
        None
    };
    drop(c);
    let s = settings.as_ref();
    let data = json!({
        "service": {"id": svc.id, "name": svc.name},
        "manage": manage,
        "optins": {"alerts": alerts, "weekly": weekly, "monthly": monthly},
        "alerts": {
            "enabled": s.is_some_and(|s| s.enabled),
            "threshold": s.map_or(anomaly::DEFAULT_THRESHOLD, |s| s.threshold),
            "min_volume": s.map_or(anomaly::DEFAULT_MIN_VOLUME, |s| s.min_volume),
            "weeks": s.map_or(anomaly::DEFAULT_WEEKS, |s| s.weeks),
            "webhook_url": s.map_or("", |s| s.webhook_url.as_str()),
            "webhook_slack": s.is_some_and(|s| s.webhook_slack),
            "secret": s.map(|s| s.secret.as_str()),
            "open": s.and_then(|s| s.open_kind.as_deref()),
        },
    });
    render(
        state,
        ctx,
        req,
        StatusCode::OK,
        "notifications",
        &i18n::tr_args(
            ctx.lang,
            "notifications-heading",
            &[("name", Arg::from(svc.name.as_str()))],
        ),
        data,
    )
    .await
}
