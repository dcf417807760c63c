//! The edge endpoints' answers: JSON successes and errors shaped like ingress errors, and the
//! clock their signatures are checked against.

use beacon::route::error_reply;
use serde::Serialize;
use warp::http::{HeaderValue, Response, StatusCode};
use warp::reply::Response as WarpResponse;

/// A JSON error answer, shaped like ingress errors.
pub(crate) fn error(status: StatusCode, reason: &str) -> WarpResponse {
    let r = error_reply(status.as_u16(), reason);
    let mut resp = Response::new(r.body.into_owned().into());
    *resp.status_mut() = status;
    for (name, value) in r.headers {
        if let Ok(v) = HeaderValue::from_str(&value) {
            resp.headers_mut().append(name, v);
        }
    }
    resp
}

/// 503 with `Retry-After`, for back-pressure and outages.
pub(crate) fn unavailable(reason: &str) -> WarpResponse {
    let mut r = error(StatusCode::SERVICE_UNAVAILABLE, reason);
    r.headers_mut()
        .insert("retry-after", HeaderValue::from_static("5"));
    r
}

/// A JSON success answer.
pub(crate) fn json<T: Serialize>(value: &T) -> WarpResponse {
    match serde_json::to_vec(value) {
        Ok(body) => {
            let mut r = Response::new(body.into());
            r.headers_mut()
                .insert("content-type", HeaderValue::from_static("application/json"));
            r.headers_mut()
                .insert("cache-control", HeaderValue::from_static("no-store"));
            r
        }
        Err(e) => {
            tracing::error!(error = %e, "cannot serialise a response");
            error(StatusCode::INTERNAL_SERVER_ERROR, "internal error")
        }
    }
}

/// Current Unix time in seconds.
pub(crate) fn now_secs() -> i64 {
    chrono::Utc::now().timestamp()
}
