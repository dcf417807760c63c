//! What the edge endpoints share: their state ([`EdgeApi`]), their counters and how long they
//! wait for a pooled connection.

use crate::ingress::IngestState;
use crate::metrics::IngestMetrics;
use deadpool_postgres::Pool;
use serde::Serialize;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Duration;

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
    /// The last config document built, and when (see [`super::remote_config::CONFIG_MEMO`]).
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

    pub(super) fn ingest_metrics(&self) -> &IngestMetrics {
        &self.ingest.metrics
    }
}
