//! `/notifications/unsubscribe/`: turns one kind of mail off for one user and service, without a
//! login, authorised by the link's signature ([`crate::unsubscribe`]). GET shows a button (link
//! scanners follow links but do not submit forms); POST unsubscribes, and is also what a mail
//! client's one-click button sends (RFC 8058), which is why this route needs no CSRF token: the
//! signature is the proof that the request comes from the mail.

use crate::http::{self, Req, Response};
use crate::i18n::{self, Arg};
use crate::render::esc;
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

/// A small page in the browser's language (no session here): a heading (catalogue key) and a
/// body (markup built from catalogue texts, escaped).
fn page(status: StatusCode, title_key: &str, body: &str) -> Response {
    let lang = crate::lang::current();
    let title = esc(&i18n::tr(lang, title_key));
    http::html(
        status,
        format!(
            "<!doctype html><html lang=\"{}\"><head><meta charset=\"utf-8\"><title>{title}</title></head>\
             <body><h1>{title}</h1>{body}</body></html>",
            lang.code()
        ),
    )
}

/// One escaped paragraph of catalogue text.
fn para(text: &str) -> String {
    format!("<p>{}</p>", esc(text))
}

/// What a link turns off, as the sentences around it need it.
fn what(which: Optin) -> String {
    i18n::tr_now(match which {
        Optin::Alerts => "unsubscribe-what-alerts",
        Optin::Weekly => "unsubscribe-what-weekly",
        Optin::Monthly => "unsubscribe-what-monthly",
    })
}

/// Handles the route (GET or POST), before any session or CSRF check.
pub async fn handle(state: &DashboardState, req: &Req) -> Response {
    let bad = || {
        page(
            StatusCode::BAD_REQUEST,
            "unsubscribe-invalid",
            &para(&i18n::tr_now("unsubscribe-invalid-text")),
        )
    };
    let Some(link) = parse(req) else {
        return bad();
    };
    let unavailable = || {
        page(
            StatusCode::SERVICE_UNAVAILABLE,
            "unsubscribe-unavailable",
            &para(&i18n::tr_now("unsubscribe-unavailable-text")),
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
        let ask = i18n::tr_now_args("unsubscribe-ask", &[("what", Arg::from(what(link.which)))]);
        return page(
            StatusCode::OK,
            "mail-unsubscribe",
            &format!(
                "{}<form method=\"post\"><button type=\"submit\">{}</button></form>",
                para(&ask),
                esc(&i18n::tr_now("mail-unsubscribe"))
            ),
        );
    }
    if models::notify::opt_out(&**c, link.service, link.user, link.which)
        .await
        .is_err()
    {
        return unavailable();
    }
    let done = i18n::tr_now_args(
        "unsubscribe-done-text",
        &[("what", Arg::from(what(link.which)))],
    );
    page(StatusCode::OK, "unsubscribe-done", &para(&done))
}
