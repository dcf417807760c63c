//! `/notifications/unsubscribe/`: turns one kind of mail off for one user and service, without a
//! login, authorised by the link's signature ([`crate::unsubscribe`]). GET shows a button (link
//! scanners follow links but do not submit forms); POST unsubscribes, and is also what a mail
//! client's one-click button sends (RFC 8058), which is why this route needs no CSRF token: the
//! signature is the proof that the request comes from the mail.

use crate::http::{self, Req, Response};
use crate::state::DashboardState;
use crate::unsubscribe;
use models::notify::Optin;
use uuid::Uuid;
use warp::http::{Method, StatusCode};

/// A well-formed link's parts.
struct Link {
    user: i64,
    service: Uuid,
    which: Optin,
    sig: String,
}

fn parse(req: &Req) -> Option<Link> {
    Some(Link {
        user: req.q("u")?.parse().ok()?,
        service: req.q("s")?.parse().ok()?,
        which: Optin::parse(req.q("k")?)?,
        sig: req.q("sig")?.to_owned(),
    })
}

fn page(status: StatusCode, title: &str, body: &str) -> Response {
    http::html(
        status,
        format!(
            "<!doctype html><html><head><meta charset=\"utf-8\"><title>{title}</title></head>\
             <body><h1>{title}</h1>{body}</body></html>"
        ),
    )
}

fn what(which: Optin) -> &'static str {
    match which {
        Optin::Alerts => "anomaly alerts",
        Optin::Weekly => "the weekly report",
        Optin::Monthly => "the monthly report",
    }
}

/// Handles the route (GET or POST), before any session or CSRF check.
pub async fn handle(state: &DashboardState, req: &Req) -> Response {
    let bad = || {
        page(
            StatusCode::BAD_REQUEST,
            "Invalid link",
            "<p>This unsubscribe link is incomplete or was changed. Use the link from the mail, \
             or change your mail settings on the service's manage page.</p>",
        )
    };
    let Some(link) = parse(req) else {
        return bad();
    };
    let unavailable = || {
        page(
            StatusCode::SERVICE_UNAVAILABLE,
            "Try again later",
            "<p>The database is not available.</p>",
        )
    };
    let Ok(c) = state.pool().get().await else {
        return unavailable();
    };
    let Ok(key) = unsubscribe::key(&**c).await else {
        return unavailable();
    };
    if !unsubscribe::verify(
        &key,
        link.user,
        link.service,
        link.which.as_str(),
        &link.sig,
    ) {
        return bad();
    }
    if req.method != Method::POST {
        return page(
            StatusCode::OK,
            "Unsubscribe",
            &format!(
                "<p>Stop receiving {} for this service?</p><form method=\"post\">\
                 <button type=\"submit\">Unsubscribe</button></form>",
                what(link.which)
            ),
        );
    }
    if models::notify::opt_out(&**c, link.service, link.user, link.which)
        .await
        .is_err()
    {
        return unavailable();
    }
    page(
        StatusCode::OK,
        "Unsubscribed",
        &format!("<p>You will no longer receive {}.</p>", what(link.which)),
    )
}
