//! The aggregator's side of the edge: `POST /ingest/v1/batch` (signed, idempotent batches of
//! beacons the edge worker already reduced) and `GET /ingest/v1/config` (service settings and
//! salts for the edge). Both authenticate with the secret shared with the edge
//! (`--edge-secret` / `SHYNET_EDGE_SECRET`, scheme in `beacon::edge_protocol`), refuse a nonce seen
//! before, and answer 404 when no secret is configured.

pub mod apply;
mod auth;
pub mod batch;
pub mod nonces;
pub mod remote_config;

use crate::ingress::IngestState;
use crate::metrics::IngestMetrics;
use beacon::route::error_reply;
use deadpool_postgres::Pool;
use serde::Serialize;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Duration;
use warp::http::{HeaderValue, Response, StatusCode};
use warp::reply::Response as WarpResponse;
use warp::Filter;

/// How long a batch waits for a pooled connection before answering 503: a full pool means
/// Postgres is behind, and the queue retrying later is better than piling up requests.
pub const POOL_WAIT: Duration = Duration::from_secs(2);

/// What the edge endpoints need.
pub struct EdgeApi {
    /// The shared secret; `None` disables the endpoints (404).
    pub secret: Option<Vec<u8>>,
    /// Postgres.
    pub pool: Pool,
    /// Direct ingest's state: service settings, UA classification, salts, counters.
    pub ingest: Arc<IngestState>,
    /// Session timeout (seconds) for the sessionizer and the salt window.
    pub session_timeout_secs: f64,
    /// Edge-specific counters.
    pub metrics: EdgeMetrics,
    /// The last config document built, and when (see [`remote_config::CONFIG_MEMO`]).
    pub config_memo:
        std::sync::Mutex<Option<(std::time::Instant, Arc<beacon::edge_protocol::EdgeConfig>)>>,
}

/// Counters of the edge endpoints (logged; the shared ingest counters also move).
#[derive(Debug, Default, Serialize)]
pub struct EdgeMetrics {
    /// Batches applied.
    pub batches_applied: AtomicU64,
    /// Redelivered batches acknowledged without applying.
    pub batches_duplicate: AtomicU64,
    /// Requests refused for a missing, malformed, stale, wrong or replayed signature.
    pub rejected_signature: AtomicU64,
    /// Beacons dropped because their service is unknown or archived.
    pub dropped_unknown_service: AtomicU64,
    /// Config documents served.
    pub configs_served: AtomicU64,
}

impl EdgeApi {
    /// The edge API over direct ingest's state.
    pub fn new(
        secret: Option<&str>,
        pool: Pool,
        ingest: Arc<IngestState>,
        session_timeout_secs: f64,
    ) -> Arc<EdgeApi> {
        Arc::new(EdgeApi {
            secret: secret.map(|s| s.as_bytes().to_vec()),
            pool,
            ingest,
            session_timeout_secs,
            metrics: EdgeMetrics::default(),
            config_memo: std::sync::Mutex::new(None),
        })
    }

    fn ingest_metrics(&self) -> &IngestMetrics {
        &self.ingest.metrics
    }
}

/// Both edge endpoints.
pub fn routes(
    api: Arc<EdgeApi>,
) -> impl Filter<Extract = (WarpResponse,), Error = warp::Rejection> + Clone {
    batch::route(api.clone())
        .or(remote_config::route(api))
        .unify()
}

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
