//! `GET|POST /accounts/two-factor/`: turning TOTP two-factor login on (a new secret shown as
//! base32 and as a server-rendered SVG QR code, confirmed with a current code, then ten
//! recovery codes shown once) and off again or renewing the recovery codes (both need the
//! password or a current code). Only ever acts on the signed-in user's own row.

use super::credentials::{current_password_matches, WRONG_CURRENT};
use crate::auth::totp;
use crate::http::{self, Req};
use crate::i18n;
use crate::page_error::{PageError, PageResult};
use crate::pages::layout::render;
use crate::request_context::Ctx;
use crate::state::DashboardState;
use models::two_factor;
use serde_json::json;
use warp::http::{Method, StatusCode};

/// Issuer name shown in authenticator apps when the instance has no name.
const DEFAULT_ISSUER: &str = "Shynet";
/// Smallest side of the QR code, in pixels (phones scan it from a screen).
const QR_MIN_PX: u32 = 200;

/// The QR code of `text` as an inline `<svg>` (no XML prolog, no script, no style attribute,
/// so the strict CSP allows it).
fn qr_svg(text: &str) -> Result<String, PageError> {
    let code = qrcode::QrCode::new(text.as_bytes())
        .map_err(|e| PageError::Unavailable(format!("QR code: {e}")))?;
    let svg = code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(QR_MIN_PX, QR_MIN_PX)
        .build();
    Ok(match svg.find("<svg") {
        Some(i) => svg[i..].to_owned(),
        None => svg,
    })
}

/// Renders the page for the current state of the user's second factor.
async fn show(
    state: &DashboardState,
    ctx: &Ctx,
    req: &Req,
    status: StatusCode,
    error: Option<&str>,
    recovery_codes: Option<Vec<String>>,
) -> PageResult {
    let user = ctx.require_user()?;
    let (row, left, required) = {
        let c = state.pool().get().await?;
        (
            two_factor::totp(&**c, user.id).await?,
            two_factor::recovery_codes_left(&**c, user.id).await?,
            two_factor::required(&**c).await?,
        )
    };
    let mut data = json!({
        "error": error,
        "required": required,
        "enabled": row.as_ref().is_some_and(|r| r.enabled),
        "recovery_left": left,
        "recovery_codes": recovery_codes,
    });
    if let Some(r) = row.filter(|r| !r.enabled) {
        let issuer = state.instance_name();
        let issuer = if issuer.trim().is_empty() {
            DEFAULT_ISSUER.to_owned()
        } else {
            issuer.to_string()
        };
        let uri = totp::otpauth_uri(&issuer, &user.email, &r.secret);
        data["secret"] = json!(totp::base32(&r.secret));
        data["qr_svg"] = json!(qr_svg(&uri)?);
    }
    render(
        state,
        ctx,
        req,
        status,
        "two_factor",
        &i18n::tr(ctx.lang, "two-factor-heading"),
        data,
    )
    .await
}

fn now_unix() -> i64 {
    chrono::Utc::now().timestamp()
}

/// New recovery codes for `user`, stored hashed; the plain codes are returned to show once.
async fn renew_codes<C: tokio_postgres::GenericClient>(
    c: &C,
    user: i64,
) -> Result<Vec<String>, PageError> {
    let codes = totp::new_recovery_codes();
    let hashes: Vec<Vec<u8>> = codes.iter().map(|c| totp::recovery_hash(c)).collect();
    two_factor::set_recovery_codes(c, user, &hashes).await?;
    Ok(codes)
}

/// `GET|POST /accounts/two-factor/`.
pub async fn two_factor_page(state: &DashboardState, ctx: &Ctx, req: &Req) -> PageResult {
    let user = ctx.require_user()?.clone();
    if req.method == Method::GET {
        return show(state, ctx, req, StatusCode::OK, None, None).await;
    }
    let code = req.field("code");
    match req.f("action") {
        Some("start") => {
            let started = {
                let c = state.pool().get().await?;
                two_factor::start(&**c, user.id, &totp::new_secret()).await?
            };
            if !started {
                let msg = i18n::tr(ctx.lang, "error-2fa-already-on");
                let e = Some(msg.as_str());
                return show(state, ctx, req, StatusCode::CONFLICT, e, None).await;
            }
            Ok(http::redirect(
                StatusCode::SEE_OTHER,
                "/accounts/two-factor/",
            ))
        }
        Some("confirm") => {
            let mut c = state.pool().get().await?;
            let row = two_factor::totp(&**c, user.id).await?;
            let Some(row) = row.filter(|r| !r.enabled) else {
                drop(c);
                let msg = i18n::tr(ctx.lang, "error-2fa-start-first");
                let e = Some(msg.as_str());
                return show(state, ctx, req, StatusCode::BAD_REQUEST, e, None).await;
            };
            let step = totp::matching_step(&row.secret, &code, now_unix());
            let tx = c.transaction().await?;
            let ok = match step {
                Some(s) => two_factor::use_step(&*tx, user.id, s, true).await?,
                None => false,
            };
            if !ok {
                drop(tx);
                drop(c);
                let msg = i18n::tr(ctx.lang, "error-2fa-code-wrong");
                let e = Some(msg.as_str());
                return show(state, ctx, req, StatusCode::BAD_REQUEST, e, None).await;
            }
            let codes = renew_codes(&*tx, user.id).await?;
            tx.commit().await?;
            drop(c);
            tracing::info!(user = user.id, "two-factor login turned on");
            show(state, ctx, req, StatusCode::OK, None, Some(codes)).await
        }
        Some(action @ ("disable" | "recovery")) => {
            let c = state.pool().get().await?;
            let Some(row) = two_factor::totp(&**c, user.id).await?.filter(|r| r.enabled) else {
                drop(c);
                let msg = i18n::tr(ctx.lang, "error-2fa-not-on");
                let e = Some(msg.as_str());
                return show(state, ctx, req, StatusCode::BAD_REQUEST, e, None).await;
            };
            let by_code = match totp::matching_step(&row.secret, &code, now_unix()) {
                Some(s) => two_factor::use_step(&**c, user.id, s, false).await?,
                None => false,
            };
            let current = req.f("current").unwrap_or("");
            let ok = by_code
                || (!current.is_empty()
                    && current_password_matches(&**c, user.id, current).await?);
            if !ok {
                drop(c);
                let msg = i18n::tr(
                    ctx.lang,
                    if current.is_empty() {
                        "error-2fa-need-proof"
                    } else {
                        WRONG_CURRENT
                    },
                );
                let e = Some(msg.as_str());
                return show(state, ctx, req, StatusCode::BAD_REQUEST, e, None).await;
            }
            if action == "disable" {
                two_factor::disable(&**c, user.id).await?;
                drop(c);
                tracing::info!(user = user.id, "two-factor login turned off");
                return Ok(http::redirect(
                    StatusCode::SEE_OTHER,
                    "/accounts/two-factor/?msg=2fa_off",
                ));
            }
            let codes = renew_codes(&**c, user.id).await?;
            drop(c);
            show(state, ctx, req, StatusCode::OK, None, Some(codes)).await
        }
        _ => Err(PageError::BadRequest(i18n::tr(
            ctx.lang,
            "error-unknown-action",
        ))),
    }
}
