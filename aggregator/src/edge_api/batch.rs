//! `POST /ingest/v1/batch`: one signed batch of reduced beacons from the edge's queue consumer,
//! applied in one transaction through the same writer as direct ingest, exactly once.
//!
//! Order of checks: endpoint enabled (404), body size (413), signature and ±5 min window
//! (401, reason logged only), JSON shape (400), beacon count (413). Then the aggregator's own
//! rules: unknown or archived services and (for services that ignore robots) robots are
//! dropped and counted, IPs are stripped unless the service collects them. The batch id is
//! inserted into `ingest_batches` in the same transaction as the beacons, so a redelivered
//! batch finds its id and is acknowledged (200, `applied: false`) without being applied twice;
//! 200 is only sent after commit; Postgres down or the pool exhausted answers 503 so the queue
//! retries later.

use super::{error, json, now_secs, unavailable, EdgeApi, POOL_WAIT};
use crate::ingest::routes::read_limited;
use crate::metrics::IngestMetrics;
use crate::services::ServiceStatus;
use crate::writer::{is_transient, sessionize, Enriched};
use beacon::limits::{
    truncate_utf8, MAX_IDEMPOTENCY_BYTES, MAX_IDENTIFIER_BYTES, MAX_URL_BYTES, MAX_USER_AGENT_BYTES,
};
use beacon::signing::{
    verify, BatchReceipt, EdgeBatch, MAX_BATCH_BEACONS, MAX_BATCH_BYTES, MAX_BATCH_ID_BYTES,
    SIGNATURE_HEADER,
};
use beacon::wire::Beacon;
use bytes::Bytes;
use deadpool_postgres::Timeouts;
use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use warp::http::{HeaderMap, StatusCode};
use warp::reply::Response as WarpResponse;
use warp::Filter;

/// The batch filter.
pub fn route(
    api: Arc<EdgeApi>,
) -> impl Filter<Extract = (WarpResponse,), Error = warp::Rejection> + Clone {
    warp::path!("ingest" / "v1" / "batch")
        .and(warp::post())
        .and(warp::header::headers_cloned())
        .and(warp::body::stream())
        .and(warp::any().map(move || api.clone()))
        .then(|headers: HeaderMap, body, api: Arc<EdgeApi>| async move {
            let Some(secret) = api.secret.as_deref() else {
                return error(StatusCode::NOT_FOUND, "edge ingest is not enabled");
            };
            let body = match read_limited(body, &headers, MAX_BATCH_BYTES).await {
                Ok(b) => b,
                Err(StatusCode::PAYLOAD_TOO_LARGE) => {
                    return error(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        &format!("batch body is larger than {MAX_BATCH_BYTES} bytes"),
                    )
                }
                Err(s) => return error(s, "could not read the request body"),
            };
            handle(&api, secret, &headers, body).await
        })
}

async fn handle(api: &EdgeApi, secret: &[u8], headers: &HeaderMap, body: Bytes) -> WarpResponse {
    let sig = headers.get(SIGNATURE_HEADER).and_then(|v| v.to_str().ok());
    if let Err(e) = verify(secret, sig, &body, now_secs()) {
        IngestMetrics::inc(&api.metrics.rejected_signature);
        tracing::warn!(reason = %e, "edge batch refused");
        return error(StatusCode::UNAUTHORIZED, "unauthorized");
    }
    let batch: EdgeBatch = match serde_json::from_slice(&body) {
        Ok(b) => b,
        Err(e) => {
            IngestMetrics::inc(&api.ingest_metrics().rejected_bad_input);
            return error(
                StatusCode::BAD_REQUEST,
                &format!("batch is not a valid EdgeBatch: {e}"),
            );
        }
    };
    if batch.beacons.len() > MAX_BATCH_BEACONS {
        return error(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!("a batch holds at most {MAX_BATCH_BEACONS} beacons"),
        );
    }
    if batch.batch_id.is_empty() || batch.batch_id.len() > MAX_BATCH_ID_BYTES {
        return error(
            StatusCode::BAD_REQUEST,
            &format!("batch_id must be 1 to {MAX_BATCH_ID_BYTES} bytes"),
        );
    }
    let prepared = match prepare(api, batch.beacons).await {
        Ok(p) => p,
        Err(resp) => return resp,
    };
    match write(api, &batch.batch_id, &prepared.beacons).await {
        Ok(applied) => {
            let m = api.ingest_metrics();
            let receipt = BatchReceipt {
                batch_id: batch.batch_id,
                applied: applied.is_some(),
                written: if applied.is_some() {
                    prepared.beacons.len()
                } else {
                    0
                },
                dropped_unknown_service: prepared.dropped_unknown_service,
                dropped_robot: prepared.dropped_robot,
            };
            if let Some(o) = applied {
                IngestMetrics::inc(&api.metrics.batches_applied);
                m.accepted.fetch_add(o.beacons, Ordering::Relaxed);
                m.written_beacons.fetch_add(o.beacons, Ordering::Relaxed);
                m.written_hits.fetch_add(o.hits, Ordering::Relaxed);
                m.written_sessions.fetch_add(o.sessions, Ordering::Relaxed);
                m.heartbeats.fetch_add(o.heartbeats, Ordering::Relaxed);
                m.dropped_robot
                    .fetch_add(prepared.dropped_robot as u64, Ordering::Relaxed);
                api.metrics
                    .dropped_unknown_service
                    .fetch_add(prepared.dropped_unknown_service as u64, Ordering::Relaxed);
                tracing::debug!(batch = %receipt.batch_id, beacons = o.beacons, colos = ?prepared.colos, "edge batch applied");
            } else {
                IngestMetrics::inc(&api.metrics.batches_duplicate);
                tracing::info!(batch = %receipt.batch_id, "edge batch redelivered; already applied");
            }
            json(&receipt)
        }
        Err(resp) => resp,
    }
}

/// A batch after the aggregator's own rules.
struct Prepared {
    beacons: Vec<Enriched>,
    dropped_unknown_service: usize,
    dropped_robot: usize,
    /// Beacons per receiving edge location (logged, never stored).
    colos: BTreeMap<String, usize>,
}

/// Applies the per-service rules the edge cannot apply with certainty, classifies UAs, and
/// re-checks bounds (the edge is trusted, but a bug there must not become bad rows here).
async fn prepare(api: &EdgeApi, beacons: Vec<Beacon>) -> Result<Prepared, WarpResponse> {
    let block_all_ips = api.ingest.enricher.block_all_ips;
    let mut out = Prepared {
        beacons: Vec::with_capacity(beacons.len()),
        dropped_unknown_service: 0,
        dropped_robot: 0,
        colos: BTreeMap::new(),
    };
    for mut b in beacons {
        let settings = match api.ingest.services.get(b.service).await {
            Ok(Some(s)) if s.status == ServiceStatus::Active => s,
            Ok(_) => {
                out.dropped_unknown_service += 1;
                continue;
            }
            Err(e) => {
                tracing::warn!(error = %e, "service lookup failed");
                return Err(unavailable("service settings unavailable; retry shortly"));
            }
        };
        b.user_agent = truncate_utf8(b.user_agent.trim(), MAX_USER_AGENT_BYTES).to_owned();
        let ua = api.ingest.enricher.ua.classify(&b.user_agent);
        if settings.ignore_robots && ua.is_robot {
            out.dropped_robot += 1;
            continue;
        }
        if !settings.collect_ips || block_all_ips {
            b.ip = None;
        }
        cut(&mut b.location, MAX_URL_BYTES);
        cut(&mut b.referrer, MAX_URL_BYTES);
        cut(&mut b.identifier, MAX_IDENTIFIER_BYTES);
        if let Some(i) = b.idempotency.as_mut() {
            cut(i, MAX_IDEMPOTENCY_BYTES);
        }
        if !b.geo.colo.is_empty() {
            *out.colos
                .entry(std::mem::take(&mut b.geo.colo))
                .or_default() += 1;
        }
        out.beacons.push(Enriched { beacon: b, ua });
    }
    Ok(out)
}

fn cut(s: &mut String, max: usize) {
    if s.len() > max {
        let keep = truncate_utf8(s, max).len();
        s.truncate(keep);
    }
}

/// Records the batch id and applies the beacons in one transaction. `Ok(None)` = the id was
/// already recorded (a redelivery): nothing is applied.
async fn write(
    api: &EdgeApi,
    batch_id: &str,
    beacons: &[Enriched],
) -> Result<Option<sessionize::BatchOutcome>, WarpResponse> {
    let timeouts = Timeouts {
        wait: Some(POOL_WAIT),
        create: Some(POOL_WAIT),
        recycle: Some(POOL_WAIT),
    };
    let mut conn = api.pool.timeout_get(&timeouts).await.map_err(|e| {
        tracing::warn!(error = %e, "no Postgres connection for an edge batch");
        unavailable("database unavailable; retry shortly")
    })?;
    let fail = |e: tokio_postgres::Error| {
        if is_transient(&e) {
            tracing::warn!(error = %e, batch = batch_id, "edge batch write failed; the edge will retry");
            unavailable("database unavailable; retry shortly")
        } else {
            tracing::error!(error = ?e, batch = batch_id, "Postgres rejected an edge batch");
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "batch could not be stored",
            )
        }
    };
    let tx = conn.transaction().await.map_err(fail)?;
    let count = i32::try_from(beacons.len()).unwrap_or(i32::MAX);
    let inserted = tx
        .execute(
            "INSERT INTO ingest_batches (batch_id, beacons) VALUES ($1, $2) ON CONFLICT (batch_id) DO NOTHING",
            &[&batch_id, &count],
        )
        .await
        .map_err(fail)?;
    if inserted == 0 {
        tx.rollback().await.map_err(fail)?;
        return Ok(None);
    }
    let outcome = if beacons.is_empty() {
        sessionize::BatchOutcome::default()
    } else {
        sessionize::apply(&tx, beacons, api.session_timeout_secs)
            .await
            .map_err(fail)?
    };
    tx.commit().await.map_err(fail)?;
    Ok(Some(outcome))
}
