//! The owner's side of share links and the dropped-traffic report on the manage page:
//! `POST /dashboard/service/{service}/shares/` (`action=create` with optional `epsilon`,
//! `expires`, `password`; `action=revoke` with `id`), and the data of both cards. Owners and
//! admins only: collaborators get 403 from [`service_for`].

use super::layout::{render, service_for};
use crate::http::{self, Req};
use crate::i18n;
use crate::page_error::{PageError, PageResult};
use crate::request_context::Ctx;
use crate::share_links::{self, CreateError};
use crate::state::DashboardState;
use beacon::dropped::DropKind;
use models::services::Access;
use models::shares::{self, Which};
use serde_json::{json, Value};
use tokio_postgres::GenericClient;
use uuid::Uuid;
use warp::http::StatusCode;

/// Days the manage page's dropped-traffic card adds up.
pub const DROPPED_CARD_DAYS: i64 = 30;

/// `POST /dashboard/service/{service}/shares/`.
pub async fn shares(state: &DashboardState, ctx: &Ctx, req: &Req) -> PageResult {
    let (svc, _) = service_for(state, ctx, Access::Manage).await?;
    let user = ctx.require_user()?;
    match req.f("action") {
        Some("create") => {
            let pw = req.field("password");
            let ask = share_links::Request {
                epsilon: req.f("epsilon").unwrap_or(""),
                expires: req.f("expires").unwrap_or(""),
                password: &pw,
            };
            let c = state.pool().get().await?;
            let created = match share_links::create(&**c, svc.id, ask, Some(user.id)).await {
                Ok(created) => created,
                Err(CreateError::Db(e)) => return Err(e.into()),
                Err(CreateError::UnknownService) => return Err(PageError::NotFound),
                Err(e) => return Err(PageError::BadRequest(sentence(&e.to_string()))),
            };
            drop(c);
            let url = format!(
                "{}{}",
                super::links::dashboard_base(state, req),
                share_links::path(&created.token)
            );
            let data = json!({"url": url, "service_id": svc.id, "service_name": svc.name});
            render(
                state,
                ctx,
                req,
                StatusCode::OK,
                "share_created",
                &i18n::tr(ctx.lang, "share-created-heading"),
                data,
            )
            .await
        }
        Some("revoke") => {
            let id: i64 = req
                .f("id")
                .and_then(|i| i.trim().parse().ok())
                .ok_or_else(|| PageError::BadRequest(i18n::tr_now("error-which-link")))?;
            let c = state.pool().get().await?;
            match shares::revoke(&**c, Which::IdOf(svc.id, id)).await? {
                Some(_) => Ok(http::redirect(
                    StatusCode::SEE_OTHER,
                    &format!(
                        "/dashboard/service/{}/manage/?msg=share_revoked#shares",
                        svc.id
                    ),
                )),
                None => Err(PageError::NotFound),
            }
        }
        _ => Err(PageError::BadRequest(i18n::tr_now(
            "error-action-create-revoke",
        ))),
    }
}

fn sentence(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => format!("{}{}.", f.to_uppercase(), c.as_str().trim_end_matches('.')),
        None => String::new(),
    }
}

/// The manage page's share list and dropped-traffic totals, as template keys.
pub async fn manage_data<C: GenericClient>(
    c: &C,
    service: Uuid,
    style: crate::date_style::DateStyle,
) -> Result<Vec<(&'static str, Value)>, PageError> {
    let now = chrono::Utc::now();
    let links: Vec<Value> = shares::list(c, service)
        .await?
        .into_iter()
        .map(|l| {
            json!({
                "id": l.id,
                "epsilon": l.epsilon,
                "has_password": l.has_password,
                "expires": l.expires_at.map(|e| style.date((e - chrono::Duration::days(1)).date_naive())),
                "live": l.is_live(now),
                "status": if l.revoked_at.is_some() { "revoked" } else if l.is_live(now) { "live" } else { "expired" },
            })
        })
        .collect();
    let today = now.date_naive();
    let from = today - chrono::Duration::days(DROPPED_CARD_DAYS - 1);
    let rows = models::dropped::for_service(c, service, from, today).await?;
    let dropped: Vec<Value> = DropKind::ALL
        .iter()
        .filter_map(|k| {
            let n: i64 = rows
                .iter()
                .filter(|r| r.reason == k.as_str())
                .map(|r| r.count)
                .sum();
            (n > 0).then(|| json!({"reason": k.as_str(), "label": k.label(), "count": crate::format::int(n)}))
        })
        .collect();
    Ok(vec![("shares", json!(links)), ("dropped", json!(dropped))])
}
