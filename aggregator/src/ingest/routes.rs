//! The ingress routes: `GET|POST /ingress/{service}[/{identifier}]/script.js`,
//! `GET|HEAD /ingress/{service}[/{identifier}]/pixel.gif`, and CORS preflights for both.
//! Every failure is a clear 4xx/503 with a reason; nothing here panics.

use super::enrich::{Enricher, RawBeacon};
use super::script_cache::ScriptCache;
use crate::metrics::IngestMetrics;
use crate::services::{ServiceCache, ServiceSettings, ServiceStatus};
use crate::writer::{Enriched, IngestQueue, QueueError};
use beacon::ingress as ig;
use beacon::origins::OriginCheck;
use beacon::payload::{self, PayloadError};
use beacon::wire::Tracker;
use bytes::Bytes;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use warp::http::{header, HeaderMap, HeaderValue, Method, Response, StatusCode};
use warp::reply::Response as WarpResponse;
use warp::Filter;

/// Everything the ingress routes share.
pub struct IngestState {
    /// Service settings.
    pub services: ServiceCache,
    /// Enrichment.
    pub enricher: Enricher,
    /// The writer's queue.
    pub queue: IngestQueue,
    /// Counters.
    pub metrics: Arc<IngestMetrics>,
    /// Trusted client-IP headers, lower-case, in precedence order.
    pub ip_headers: Vec<String>,
    /// Tracker heartbeat interval (ms).
    pub heartbeat_ms: u64,
    /// Rendered script memo.
    pub scripts: ScriptCache,
}

/// The `/ingress/…` filter.
pub fn ingress_routes(
    state: Arc<IngestState>,
) -> impl Filter<Extract = (WarpResponse,), Error = warp::Rejection> + Clone {
    warp::path("ingress")
        .and(warp::path::tail())
        .and(warp::method())
        .and(warp::header::headers_cloned())
        .and(warp::addr::remote())
        .and(warp::body::stream())
        .and(warp::any().map(move || state.clone()))
        .and_then(
            |tail: warp::path::Tail,
             method: Method,
             headers: HeaderMap,
             remote: Option<SocketAddr>,
             body,
             state: Arc<IngestState>| async move {
                let body = match read_limited(body, &headers).await {
                    Ok(b) => b,
                    Err(status) => {
                        IngestMetrics::inc(&state.metrics.rejected_bad_input);
                        let reason = if status == StatusCode::PAYLOAD_TOO_LARGE {
                            PayloadError::TooLarge.to_string()
                        } else {
                            "could not read the request body".to_owned()
                        };
                        return Ok::<_, Infallible>(text(status, &reason));
                    }
                };
                Ok::<_, Infallible>(
                    handle(&state, tail.as_str(), method, &headers, remote, body).await,
                )
            },
        )
}

/// Reads the body, refusing (413) anything over the limit without buffering it: an oversized
/// Content-Length is refused before reading, a chunked body as soon as it passes the limit.
async fn read_limited<S, B>(body: S, headers: &HeaderMap) -> Result<Bytes, StatusCode>
where
    S: futures_util::Stream<Item = Result<B, warp::Error>>,
    B: bytes::Buf,
{
    use futures_util::StreamExt;
    let max = beacon::limits::MAX_BODY_BYTES;
    if let Some(len) = h(headers, "content-length").and_then(|v| v.trim().parse::<u64>().ok()) {
        if len > max as u64 {
            return Err(StatusCode::PAYLOAD_TOO_LARGE);
        }
    }
    let mut body = std::pin::pin!(body);
    let mut out = bytes::BytesMut::new();
    while let Some(chunk) = body.next().await {
        let mut chunk = chunk.map_err(|_| StatusCode::BAD_REQUEST)?;
        if out.len() + chunk.remaining() > max {
            return Err(StatusCode::PAYLOAD_TOO_LARGE);
        }
        while chunk.has_remaining() {
            let part = chunk.chunk();
            out.extend_from_slice(part);
            let n = part.len();
            chunk.advance(n);
        }
    }
    Ok(out.freeze())
}

/// Which file a path names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum File {
    Script,
    Pixel,
}

fn text(status: StatusCode, reason: &str) -> WarpResponse {
    let body = serde_json::json!({ "status": "error", "reason": reason }).to_string();
    let mut r = Response::new(body.into());
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

fn h<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn decode(seg: &str) -> Result<String, &'static str> {
    percent_encoding::percent_decode_str(seg)
        .decode_utf8()
        .map(|c| c.into_owned())
        .map_err(|_| "path segment is not valid UTF-8")
}

/// Splits `{service}[/{identifier}]/{file}`.
fn parse_tail(tail: &str) -> Result<(String, String, File), (StatusCode, &'static str)> {
    let parts: Vec<&str> = tail.split('/').collect();
    let (svc, ident, file) = match parts.as_slice() {
        [s, f] => (*s, "", *f),
        [s, i, f] if !i.is_empty() => (*s, *i, *f),
        _ => return Err((StatusCode::NOT_FOUND, "no such ingress route")),
    };
    let file = match file {
        "script.js" => File::Script,
        "pixel.gif" => File::Pixel,
        _ => return Err((StatusCode::NOT_FOUND, "no such ingress route")),
    };
    let ident = decode(ident).map_err(|e| (StatusCode::BAD_REQUEST, e))?;
    Ok((svc.to_owned(), ident, file))
}

fn with_cors(mut r: WarpResponse, allow_origin: &str) -> WarpResponse {
    let hs = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(allow_origin) {
        hs.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, v);
    }
    hs.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static(ig::ALLOW_METHODS),
    );
    hs.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static(ig::ALLOW_HEADERS),
    );
    hs.append(header::VARY, HeaderValue::from_static("Origin"));
    r
}

async fn handle(
    state: &IngestState,
    tail: &str,
    method: Method,
    headers: &HeaderMap,
    remote: Option<SocketAddr>,
    body: Bytes,
) -> WarpResponse {
    let bad = |status: StatusCode, reason: &str| {
        IngestMetrics::inc(&state.metrics.rejected_bad_input);
        text(status, reason)
    };
    let (svc, identifier, file) = match parse_tail(tail) {
        Ok(t) => t,
        Err((s, r)) => return bad(s, r),
    };
    let Ok(service_id) = uuid::Uuid::parse_str(&svc) else {
        return bad(StatusCode::BAD_REQUEST, "malformed service id");
    };
    let identifier = match payload::parse_identifier(&identifier) {
        Ok(i) => i,
        Err(e) => return bad(StatusCode::BAD_REQUEST, &e.to_string()),
    };
    let settings = match state.services.get(service_id).await {
        Ok(Some(s)) => s,
        Ok(None) => return bad(StatusCode::NOT_FOUND, "unknown service"),
        Err(e) => {
            tracing::warn!(error = %e, "service lookup failed");
            IngestMetrics::inc(&state.metrics.rejected_overload);
            return text(
                StatusCode::SERVICE_UNAVAILABLE,
                "service settings unavailable; retry shortly",
            );
        }
    };
    if settings.status == ServiceStatus::Archived {
        return bad(
            StatusCode::NOT_FOUND,
            "service is archived and accepts no data",
        );
    }
    let allow_origin = match settings
        .origins
        .check(h(headers, "origin"), h(headers, "referer"))
    {
        OriginCheck::Allowed { allow_origin } => allow_origin,
        OriginCheck::Denied { reason } => return bad(StatusCode::FORBIDDEN, reason),
    };

    let resp = match (method.clone(), file) {
        (Method::OPTIONS, _) => {
            let mut r = Response::new(Bytes::new().into());
            *r.status_mut() = StatusCode::NO_CONTENT;
            r.headers_mut().insert(
                header::ACCESS_CONTROL_MAX_AGE,
                HeaderValue::from_static(ig::PREFLIGHT_MAX_AGE),
            );
            r
        }
        (Method::GET | Method::HEAD, File::Script) => serve_script(state, &settings, headers),
        (Method::POST, File::Script) => {
            let parsed = match payload::parse_script_body(&body) {
                Ok(p) => p,
                Err(e) => {
                    let status = if e == PayloadError::TooLarge {
                        StatusCode::PAYLOAD_TOO_LARGE
                    } else {
                        StatusCode::BAD_REQUEST
                    };
                    return with_cors(bad(status, &e.to_string()), &allow_origin);
                }
            };
            let location = parsed
                .location
                .unwrap_or_else(|| payload::header_url(h(headers, "referer")));
            let raw = Accepted {
                tracker: Tracker::Js,
                identifier,
                idempotency: parsed.idempotency,
                location,
                referrer: parsed.referrer,
                load_time: parsed.load_time,
            };
            match accept(state, &settings, headers, remote, raw).await {
                Ok(()) => {
                    let mut r = Response::new(ig::OK_BODY.into());
                    r.headers_mut().insert(
                        header::CONTENT_TYPE,
                        HeaderValue::from_static("application/json"),
                    );
                    r
                }
                Err(r) => r,
            }
        }
        (Method::GET | Method::HEAD, File::Pixel) => {
            let raw = Accepted {
                tracker: Tracker::Pixel,
                identifier,
                idempotency: None,
                location: payload::header_url(h(headers, "referer")),
                referrer: String::new(),
                load_time: None,
            };
            match accept(state, &settings, headers, remote, raw).await {
                Ok(()) => {
                    let mut r = Response::new(Bytes::from_static(&ig::PIXEL_GIF).into());
                    r.headers_mut()
                        .insert(header::CONTENT_TYPE, HeaderValue::from_static("image/gif"));
                    r.headers_mut().insert(
                        header::CACHE_CONTROL,
                        HeaderValue::from_static(ig::PIXEL_CACHE_CONTROL),
                    );
                    r
                }
                Err(r) => r,
            }
        }
        _ => {
            let mut r = bad(StatusCode::METHOD_NOT_ALLOWED, "method not allowed here");
            r.headers_mut().insert(
                header::ALLOW,
                HeaderValue::from_static(match file {
                    File::Script => "GET, HEAD, POST, OPTIONS",
                    File::Pixel => "GET, HEAD, OPTIONS",
                }),
            );
            r
        }
    };
    with_cors(resp, &allow_origin)
}

/// The page-view facts of an accepted request.
struct Accepted {
    tracker: Tracker,
    identifier: String,
    idempotency: Option<String>,
    location: String,
    referrer: String,
    load_time: Option<f64>,
}

/// Applies the per-service rules, enriches and queues. `Ok` also covers deliberate drops (DNT,
/// ignored IPs, robots): the visitor gets the usual answer and nothing is stored.
async fn accept(
    state: &IngestState,
    settings: &ServiceSettings,
    headers: &HeaderMap,
    remote: Option<SocketAddr>,
    a: Accepted,
) -> Result<(), WarpResponse> {
    let m = &state.metrics;
    if settings.respect_dnt && ig::wants_no_tracking(h(headers, "dnt"), h(headers, "sec-gpc")) {
        IngestMetrics::inc(&m.dropped_dnt);
        return Ok(());
    }
    let ip = beacon::client_ip::client_ip(
        |name| h(headers, name),
        &state.ip_headers,
        remote.map(|r| r.ip()),
    );
    if let Some(ip) = ip {
        if settings.ignored_ips.contains(ip) {
            IngestMetrics::inc(&m.dropped_ignored_ip);
            return Ok(());
        }
    }
    let user_agent = beacon::limits::truncate_utf8(
        h(headers, "user-agent").unwrap_or("").trim(),
        beacon::limits::MAX_USER_AGENT_BYTES,
    )
    .to_owned();
    let ua = state.enricher.ua.classify(&user_agent);
    if settings.ignore_robots && ua.is_robot {
        IngestMetrics::inc(&m.dropped_robot);
        return Ok(());
    }
    let raw = RawBeacon {
        service: settings.id,
        time_ms: chrono::Utc::now().timestamp_millis(),
        tracker: a.tracker,
        identifier: a.identifier,
        idempotency: a.idempotency,
        location: a.location,
        referrer: a.referrer,
        load_time: a.load_time,
        user_agent,
        ip,
        collect_ips: settings.collect_ips,
    };
    let (beacon, ua) = match state.enricher.enrich(raw, ua).await {
        Ok(x) => x,
        Err(e) => {
            tracing::warn!(error = %e, "enrichment failed (salt unavailable)");
            IngestMetrics::inc(&m.rejected_overload);
            return Err(text(
                StatusCode::SERVICE_UNAVAILABLE,
                "temporarily unavailable; retry shortly",
            ));
        }
    };
    match state.queue.push(Enriched { beacon, ua }) {
        Ok(()) => {
            IngestMetrics::inc(&m.accepted);
            Ok(())
        }
        Err(e) => {
            IngestMetrics::inc(&m.rejected_overload);
            let mut r = text(StatusCode::SERVICE_UNAVAILABLE, &e.to_string());
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            if e == QueueError::Closed {
                r.headers_mut()
                    .insert(header::CONNECTION, HeaderValue::from_static("close"));
            }
            Err(r)
        }
    }
}

fn serve_script(
    state: &IngestState,
    settings: &ServiceSettings,
    headers: &HeaderMap,
) -> WarpResponse {
    let dnt_request =
        settings.respect_dnt && ig::wants_no_tracking(h(headers, "dnt"), h(headers, "sec-gpc"));
    let body = beacon::script::render(&beacon::script::ScriptParams {
        heartbeat_ms: state.heartbeat_ms,
        respect_dnt: settings.respect_dnt,
        dnt_request,
        inject: &settings.script_inject,
    });
    let v = state.scripts.get(body);
    let not_modified = h(headers, "if-none-match")
        .map(|inm| {
            inm.split(',')
                .any(|t| t.trim() == v.etag || t.trim() == "*")
        })
        .unwrap_or(false);
    let gzip_ok = h(headers, "accept-encoding")
        .map(|ae| ae.split(',').any(|e| e.trim().starts_with("gzip")))
        .unwrap_or(false)
        && !v.gzip.is_empty();
    let mut r = if not_modified {
        let mut r = Response::new(Bytes::new().into());
        *r.status_mut() = StatusCode::NOT_MODIFIED;
        r
    } else if gzip_ok {
        let mut r = Response::new(v.gzip.clone().into());
        r.headers_mut()
            .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        r
    } else {
        Response::new(v.raw.clone().into())
    };
    let hs = r.headers_mut();
    hs.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/javascript; charset=utf-8"),
    );
    hs.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(ig::SCRIPT_CACHE_CONTROL),
    );
    if let Ok(e) = HeaderValue::from_str(&v.etag) {
        hs.insert(header::ETAG, e);
    }
    hs.insert(header::VARY, HeaderValue::from_static(ig::SCRIPT_VARY));
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tails() {
        assert_eq!(
            parse_tail("abc/script.js").unwrap(),
            ("abc".into(), "".into(), File::Script)
        );
        assert_eq!(
            parse_tail("abc/user%201/pixel.gif").unwrap(),
            ("abc".into(), "user 1".into(), File::Pixel)
        );
        assert!(parse_tail("abc/x/y/pixel.gif").is_err());
        assert!(parse_tail("abc//pixel.gif").is_err());
        assert!(parse_tail("abc/other.js").is_err());
        assert!(parse_tail("abc/%ff/pixel.gif").is_err());
    }
}
