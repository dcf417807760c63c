//! The aggregator's side of the edge: `POST /ingest/v1/batch` (signed, idempotent batches of
//! beacons the edge worker already reduced) and `GET /ingest/v1/config` (service settings and
//! salts for the edge). Both authenticate with the secret shared with the edge
//! (`--edge-secret` / `SHYNET_EDGE_SECRET`, scheme in `beacon::edge_protocol`), refuse a nonce seen
//! before, and answer 404 when no secret is configured.

pub mod api;
pub mod apply;
mod auth;
pub mod batch;
mod drops;
pub mod nonces;
pub mod remote_config;
mod reply;

pub use api::{EdgeApi, EdgeMetrics, POOL_WAIT};

use std::sync::Arc;
use warp::reply::Response as WarpResponse;
use warp::Filter;

/// Both edge endpoints.
pub fn routes(
    api: Arc<EdgeApi>,
) -> impl Filter<Extract = (WarpResponse,), Error = warp::Rejection> + Clone {
    batch::route(api.clone())
        .or(remote_config::route(api))
        .unify()
}
