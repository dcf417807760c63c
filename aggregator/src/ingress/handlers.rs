//! The ingress routes: `GET|POST /ingress/{service}[/{identifier}]/script.js`,
//! `GET|HEAD /ingress/{service}[/{identifier}]/pixel.gif`, the custom events
//! `POST …/event` and `GET|HEAD …/event.gif?name=…`, the automatic-event script
//! `GET|HEAD …/auto.js?f=…`, and CORS preflights for all.
//! Every failure is a clear 4xx/503 with a reason; nothing here panics.

use super::enrich::{Enricher, RawBeacon};
use super::script_cache::ScriptCache;
use crate::dropped::DropCounts;
use crate::metrics::IngestMetrics;
use crate::services::{ServiceCache, ServiceSettings, ServiceStatus};
use crate::shed_log::LogGate;
use crate::writer::{Enriched, IngestQueue, QueueError};
use beacon::dropped::DropKind;
use beacon::payload::PayloadError;
use beacon::route::{self, DropReason, PageView, Plan, Refusal, Reply, Route};
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
    /// The dropped-traffic report's counters (per service, day and reason).
    pub drops: Arc<DropCounts>,
    /// Proxy headers that carry the client IP, lower-case, in precedence order.
    pub ip_headers: Vec<String>,
    /// Which socket peers may set those headers.
    pub proxy_trust: beacon::client_ip::ProxyTrust,
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
        .and(
            warp::query::raw()
                .map(Some)
                .or(warp::any().map(|| None))
                .unify(),
        )
        .and(warp::method())
        .and(warp::header::headers_cloned())
        .and(webcore::remote_addr())
        .and(warp::body::stream())
        .and(warp::any().map(move || state.clone()))
        .and_then(
            |tail: warp::path::Tail,
             query: Option<String>,
             method: Method,
             headers: HeaderMap,
             remote: Option<SocketAddr>,
             body,
             state: Arc<IngestState>| async move {
                let body = match read_limited(body, &headers, beacon::limits::MAX_BODY_BYTES).await
                {
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
                let req = Request {
                    tail: tail.as_str(),
                    query: query.as_deref(),
                    method,
                    headers: &headers,
                    remote,
                };
                Ok::<_, Infallible>(handle(&state, &req, body).await)
            },
        )
}

/// Reads the body, refusing (413) anything over the limit without buffering it: an oversized
/// Content-Length is refused before reading, a chunked body as soon as it passes the limit.
/// A body too slow to arrive is answered 408 by the server's body deadline
/// ([`crate::startup::server`]), which covers every route. Also used by the edge batch endpoint
/// with its own limit.
pub(crate) async fn read_limited<S, B>(
    body: S,
    headers: &HeaderMap,
    max: usize,
) -> Result<Bytes, StatusCode>
where
    S: futures_util::Stream<Item = Result<B, warp::Error>>,
    B: bytes::Buf,
{
    use futures_util::StreamExt;
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

/// Converts a shared [`Reply`] (built by `beacon::route`, as the edge worker does) to warp's
/// type, appending headers in order.
pub(crate) fn to_warp(reply: Reply) -> WarpResponse {
    let body = match reply.body {
        std::borrow::Cow::Borrowed(b) => Bytes::from_static(b),
        std::borrow::Cow::Owned(v) => Bytes::from(v),
    };
    let mut r = Response::new(body.into());
    *r.status_mut() =
        StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let hs = r.headers_mut();
    for (name, value) in reply.headers {
        if let Ok(v) = HeaderValue::from_str(&value) {
            hs.append(name, v);
        }
    }
    r
}

pub(crate) fn text(status: StatusCode, reason: &str) -> WarpResponse {
    to_warp(route::error_reply(status.as_u16(), reason))
}

pub(crate) fn h<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// What the routes read of a request besides its body.
struct Request<'a> {
    /// The path below `/ingress/`.
    tail: &'a str,
    /// The raw query string (`event.gif`, `auto.js`).
    query: Option<&'a str>,
    method: Method,
    headers: &'a HeaderMap,
    /// The TCP peer.
    remote: Option<SocketAddr>,
}

async fn handle(state: &IngestState, req: &Request<'_>, body: Bytes) -> WarpResponse {
    let (headers, remote) = (req.headers, req.remote);
    let refuse = |r: Refusal| {
        IngestMetrics::inc(&state.metrics.rejected_bad_input);
        r.reply()
    };
    let Route {
        service: service_id,
        identifier,
        file,
    } = match route::parse_route(req.tail) {
        Ok(r) => r,
        Err(r) => return to_warp(refuse(r)),
    };
    let settings = match state.services.get(service_id).await {
        Ok(Some(s)) => s,
        Ok(None) => return to_warp(refuse(route::unknown_service())),
        Err(e) => {
            static GATE: LogGate = LogGate::new();
            if GATE.allow() {
                tracing::warn!(error = %e, "service lookup failed (repeats within 10 s are counted in rejected_overload, not logged)");
            }
            IngestMetrics::inc(&state.metrics.rejected_overload);
            return text(
                StatusCode::SERVICE_UNAVAILABLE,
                "service settings unavailable; retry shortly",
            );
        }
    };
    let is_beacon = matches!(
        (req.method.as_str(), file),
        ("POST", route::File::Script | route::File::Event)
            | ("GET" | "HEAD", route::File::Pixel | route::File::EventGif)
    );
    let allow_origin = match route::gate(
        settings.status == ServiceStatus::Active,
        &settings.origins,
        h(headers, "origin"),
        h(headers, "referer"),
    ) {
        Ok(a) => a,
        Err(r) => {
            if is_beacon {
                let kind = if r.status == 404 {
                    DropKind::Archived
                } else {
                    DropKind::Origin
                };
                state.drops.record(service_id, kind);
            }
            return to_warp(refuse(r));
        }
    };
    let reply = match route::plan(
        req.method.as_str(),
        file,
        identifier,
        &body,
        req.query,
        h(headers, "referer"),
    ) {
        Plan::Preflight => route::preflight_reply(),
        Plan::Script => return with_cors(serve_script(state, &settings, headers), &allow_origin),
        Plan::Auto(features) => {
            let body = beacon::auto_script::render(features);
            return with_cors(serve_body(state, body, headers), &allow_origin);
        }
        Plan::Beacon(view) => {
            let tracker = view.tracker;
            match accept(state, &settings, headers, remote, view).await {
                Ok(()) => route::accepted_reply(tracker),
                Err(r) => return with_cors(r, &allow_origin),
            }
        }
        Plan::Refuse(r) => {
            state.drops.record(service_id, DropKind::Invalid);
            refuse(r)
        }
    };
    to_warp(reply.with_cors(&allow_origin))
}

/// Adds the shared CORS headers to a response built here (script, 503s).
fn with_cors(mut r: WarpResponse, allow_origin: &str) -> WarpResponse {
    let cors = to_warp(route::preflight_reply().with_cors(allow_origin));
    for (name, value) in cors.headers() {
        if name != header::ACCESS_CONTROL_MAX_AGE {
            r.headers_mut().append(name, value.clone());
        }
    }
    r
}

/// Applies the per-service rules, enriches and queues. `Ok` also covers deliberate drops (DNT,
/// ignored IPs, robots): the visitor gets the usual answer and nothing is stored.
pub(crate) async fn accept(
    state: &IngestState,
    settings: &ServiceSettings,
    headers: &HeaderMap,
    remote: Option<SocketAddr>,
    a: PageView,
) -> Result<(), WarpResponse> {
    let m = &state.metrics;
    let ip = beacon::client_ip::client_ip(
        |name| h(headers, name),
        &state.ip_headers,
        remote.map(|r| r.ip()),
        &state.proxy_trust,
    );
    match route::privacy_drop(
        settings.respect_dnt,
        h(headers, "dnt"),
        h(headers, "sec-gpc"),
        ip,
        &settings.ignored_ips,
    ) {
        Some(DropReason::DoNotTrack) => {
            IngestMetrics::inc(&m.dropped_dnt);
            let kind = DropKind::of_privacy_signal(h(headers, "dnt"));
            state.drops.record(settings.id, kind);
            return Ok(());
        }
        Some(DropReason::IgnoredIp) => {
            IngestMetrics::inc(&m.dropped_ignored_ip);
            state.drops.record(settings.id, DropKind::IgnoredIp);
            return Ok(());
        }
        Some(DropReason::Robot) | None => {}
    }
    let user_agent = beacon::limits::truncate_utf8(
        h(headers, "user-agent").unwrap_or("").trim(),
        beacon::limits::MAX_USER_AGENT_BYTES,
    )
    .to_owned();
    let ua = state.enricher.ua.classify(&user_agent);
    if settings.ignore_robots && ua.is_robot {
        IngestMetrics::inc(&m.dropped_robot);
        state.drops.record(settings.id, DropKind::Bot);
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
        event: a.event,
    };
    let (beacon, ua) = match state.enricher.enrich(raw, ua).await {
        Ok(x) => x,
        Err(e) => {
            static GATE: LogGate = LogGate::new();
            if GATE.allow() {
                tracing::warn!(error = %e, "enrichment failed (salt unavailable; repeats within 10 s are counted in rejected_overload, not logged)");
            }
            IngestMetrics::inc(&m.rejected_overload);
            state.drops.record(settings.id, DropKind::Overload);
            return Err(text(
                StatusCode::SERVICE_UNAVAILABLE,
                "temporarily unavailable; retry shortly",
            ));
        }
    };
    let enriched = Enriched::new(beacon, ua, &settings.tracking_params);
    enqueue(state, enriched).map_or(Ok(()), Err)
}

/// Hands a beacon to the writer's queue and returns the refusal, if any: a full or closing
/// queue answers 503 at once rather than holding the browser's request.
fn enqueue(state: &IngestState, e: Enriched) -> Option<WarpResponse> {
    let m = &state.metrics;
    let service = e.beacon.service;
    match state.queue.push(e) {
        Ok(()) => {
            IngestMetrics::inc(&m.accepted);
            None
        }
        Err(err) => {
            IngestMetrics::inc(&m.rejected_overload);
            state.drops.record(service, DropKind::Overload);
            let mut r = text(StatusCode::SERVICE_UNAVAILABLE, &err.to_string());
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            if err == QueueError::Closed {
                r.headers_mut()
                    .insert(header::CONNECTION, HeaderValue::from_static("close"));
            }
            Some(r)
        }
    }
}

fn serve_script(
    state: &IngestState,
    settings: &ServiceSettings,
    headers: &HeaderMap,
) -> WarpResponse {
    let dnt_request = settings.respect_dnt
        && beacon::responses::wants_no_tracking(h(headers, "dnt"), h(headers, "sec-gpc"));
    let body = beacon::script::render(&beacon::script::ScriptParams {
        heartbeat_ms: state.heartbeat_ms,
        respect_dnt: settings.respect_dnt,
        dnt_request,
        inject: &settings.script_inject,
    });
    serve_body(state, body, headers)
}

/// A rendered script (tracker or `auto.js`), gzipped when the client accepts it, 304 when its
/// ETag matches.
fn serve_body(state: &IngestState, body: String, headers: &HeaderMap) -> WarpResponse {
    let v = state.scripts.get(body);
    let gzip = route::accepts_gzip(h(headers, "accept-encoding")) && !v.gzip.is_empty();
    let chosen = if gzip { v.gzip.clone() } else { v.raw.clone() };
    let mut r = to_warp(route::script_reply(
        std::borrow::Cow::Borrowed(&[]),
        &v.etag,
        h(headers, "if-none-match"),
    ));
    if r.status() == StatusCode::OK {
        *r.body_mut() = chosen.into();
        if gzip {
            r.headers_mut()
                .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        }
    }
    r
}
