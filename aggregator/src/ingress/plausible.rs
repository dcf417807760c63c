//! `POST /api/event`: Plausible's Events API, so Plausible's tracker and its server-side
//! libraries can send here. The body is parsed by `beacon::plausible`; the site is the service
//! whose id, or whose link's host, is the body's `domain`; from there the request takes exactly
//! the path of our own beacons ([`super::handlers::accept`]): origins, DNT/GPC, ignored IPs,
//! robots, IP privacy, the body-size limit and the queue. Answers 202 with `{}` (Plausible's
//! documented answer), errors as `{"error": "…"}`.

use super::handlers::{accept, h, read_limited, to_warp, IngestState};
use crate::metrics::IngestMetrics;
use crate::services::ServiceStatus;
use beacon::route::{self, Reply};
use bytes::Bytes;
use std::borrow::Cow;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use warp::http::{HeaderMap, Method, StatusCode};
use warp::reply::Response as WarpResponse;
use warp::Filter;

/// The `/api/event` filter (POST, and OPTIONS for browsers that preflight).
pub fn plausible_event_route(
    state: Arc<IngestState>,
) -> impl Filter<Extract = (WarpResponse,), Error = warp::Rejection> + Clone {
    warp::path!("api" / "event")
        .and(warp::method())
        .and(warp::header::headers_cloned())
        .and(webcore::remote_addr())
        .and(warp::body::stream())
        .and(warp::any().map(move || state.clone()))
        .and_then(
            |method: Method,
             headers: HeaderMap,
             remote: Option<SocketAddr>,
             body,
             state: Arc<IngestState>| async move {
                if method == Method::OPTIONS {
                    return Ok::<_, Infallible>(to_warp(route::preflight_reply().with_cors("*")));
                }
                if method != Method::POST {
                    return Ok(error(StatusCode::METHOD_NOT_ALLOWED, "use POST", "*"));
                }
                let body = match read_limited(body, &headers, beacon::limits::MAX_BODY_BYTES).await
                {
                    Ok(b) => b,
                    Err(status) => {
                        IngestMetrics::inc(&state.metrics.rejected_bad_input);
                        return Ok(error(
                            status,
                            "the request body is too large or unreadable",
                            "*",
                        ));
                    }
                };
                Ok(handle(&state, &headers, remote, body).await)
            },
        )
}

/// `{"error": reason}` with CORS headers.
fn error(status: StatusCode, reason: &str, allow_origin: &str) -> WarpResponse {
    to_warp(
        Reply {
            status: status.as_u16(),
            headers: vec![
                ("content-type", "application/json".to_owned()),
                ("cache-control", "no-store".to_owned()),
            ],
            body: Cow::Owned(
                serde_json::json!({ "error": reason })
                    .to_string()
                    .into_bytes(),
            ),
        }
        .with_cors(allow_origin),
    )
}

async fn handle(
    state: &IngestState,
    headers: &HeaderMap,
    remote: Option<SocketAddr>,
    body: Bytes,
) -> WarpResponse {
    let bad = |status: u16, reason: &str| {
        IngestMetrics::inc(&state.metrics.rejected_bad_input);
        error(
            StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
            reason,
            "*",
        )
    };
    let ev = match beacon::plausible::parse(&body) {
        Ok(e) => e,
        Err(e) => return bad(e.status(), &e.to_string()),
    };
    let unavailable = |e: anyhow::Error| {
        tracing::warn!(error = %e, "service lookup failed");
        IngestMetrics::inc(&state.metrics.rejected_overload);
        error(
            StatusCode::SERVICE_UNAVAILABLE,
            "temporarily unavailable; retry shortly",
            "*",
        )
    };
    let id = match state.services.id_for_domain(&ev.domain).await {
        Ok(Some(id)) => id,
        Ok(None) => return bad(404, "no site with this domain"),
        Err(e) => return unavailable(e),
    };
    let settings = match state.services.get(id).await {
        Ok(Some(s)) => s,
        Ok(None) => return bad(404, "no site with this domain"),
        Err(e) => return unavailable(e),
    };
    let allow_origin = match route::gate(
        settings.status == ServiceStatus::Active,
        &settings.origins,
        h(headers, "origin"),
        h(headers, "referer"),
    ) {
        Ok(a) => a,
        Err(r) => return bad(r.status, &r.reason),
    };
    match accept(state, &settings, headers, remote, ev.view).await {
        Ok(()) => to_warp(
            Reply {
                status: 202,
                headers: vec![("content-type", "application/json".to_owned())],
                body: Cow::Borrowed(b"{}"),
            }
            .with_cors(&allow_origin),
        ),
        Err(r) => r,
    }
}
