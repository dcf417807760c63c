//! `POST /ingest/v1/batch`: one signed batch of reduced beacons from the edge's queue consumer,
//! applied in one transaction through the same writer as direct ingest, exactly once.
//!
//! Order of checks: endpoint enabled (404); the signature header's form (400) and ±5 min
//! window (401), before a byte of the body is read; body size (413); the MAC over method,
//! path, time, nonce and body (401); the nonce not seen before (401); JSON shape (400), beacon
//! count (413). Then the aggregator's own
//! rules: unknown or archived services and (for services that ignore robots) robots are
//! dropped and counted, IPs are stripped unless the service collects them. The batch id is
//! inserted into `ingest_batches` in the same transaction as the beacons, so a redelivered
//! batch finds its id and is acknowledged (200, `applied: false`) without being applied twice;
//! beacons the edge re-sent after a delivery with unknown outcome carry that delivery's batch
//! id as a fence: they are applied only if the fenced batch was not, and the fence is recorded
//! (`beacons = -1`) so the fenced original can never apply afterwards; each beacon's queue
//! message id is recorded too (`ingest_messages`), so messages the platform redelivers in
//! another grouping after a consumer died before acknowledging are applied once;
//! 200 is only sent after commit; Postgres down or the pool exhausted answers 503 so the queue
//! retries later.

use super::api::EdgeApi;
use super::apply::{self, Verdict};
use super::auth;
use super::reply::{error, json, unavailable};
use crate::ingress::handlers::read_limited;
use crate::metrics::IngestMetrics;
use crate::services::ServiceStatus;
use crate::writer::exactly_once::{message_key, Marks};
use crate::writer::{Batch, Enriched};
use beacon::dropped::DropKind;
use beacon::edge_protocol::{
    BatchReceipt, EdgeBatch, SignatureHeader, SignedRequest, MAX_BATCH_BEACONS, MAX_BATCH_BYTES,
    MAX_BATCH_ID_BYTES, MAX_FENCES, NOT_APPLIED_HEADER,
};
use beacon::limits::{
    strip_nul, truncate_utf8, MAX_IDEMPOTENCY_BYTES, MAX_IDENTIFIER_BYTES, MAX_URL_BYTES,
    MAX_USER_AGENT_BYTES,
};
use beacon::wire::Beacon;
use bytes::Bytes;
use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use uuid::Uuid;
use warp::http::{HeaderMap, HeaderValue, StatusCode};
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
            // Nothing of the body is read (nor, with HTTP/1.1, sent) for a request that cannot
            // be genuine: refused on the header alone.
            let sig = match auth::header(&headers) {
                Ok(s) => s,
                Err(refused) => return refused.respond(&api),
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
            handle(&api, secret, &sig, body).await
        })
        .map(mark_not_applied)
}

/// Marks a failed commit, whose outcome Postgres may not have told us.
#[derive(Clone, Copy)]
struct CommitUnknown;

/// Every refusal except a failed commit happened before anything could be committed: say so,
/// so the edge may retry those messages in any grouping.
fn mark_not_applied(mut r: WarpResponse) -> WarpResponse {
    if !r.status().is_success() && r.extensions().get::<CommitUnknown>().is_none() {
        r.headers_mut()
            .insert(NOT_APPLIED_HEADER, HeaderValue::from_static("1"));
    }
    r
}

async fn handle(api: &EdgeApi, secret: &[u8], sig: &SignatureHeader, body: Bytes) -> WarpResponse {
    if let Err(refused) = auth::authenticate(api, secret, sig, &SignedRequest::batch(&body)).await {
        return refused.respond(api);
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
    if let Some(refused) = shape_refusal(&batch) {
        return refused;
    }
    if let Some(why) = super::drops::refusal(&batch.drops) {
        return error(StatusCode::BAD_REQUEST, &why);
    }
    let prepared = match prepare(api, batch.beacons, batch.fences, batch.message_ids).await {
        Ok(p) => p,
        Err(resp) => return resp,
    };
    let kept = prepared.beacons.len() as u64;
    let verdict = apply::apply(
        &api.pool,
        &Batch {
            beacons: &prepared.beacons,
            marks: Some(Marks {
                batch_id: &batch.batch_id,
                fences: &prepared.fences,
                messages: &prepared.messages,
            }),
        },
        api.session_timeout_secs,
        api.ingest_metrics(),
    )
    .await;
    let (applied, written, duplicates) = match verdict {
        Verdict::Applied { written, skipped } => (true, written, skipped),
        Verdict::Duplicate => (false, 0, 0),
        Verdict::Unavailable => return unavailable("database unavailable; retry shortly"),
        Verdict::Rejected => {
            return error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "batch could not be stored",
            )
        }
        Verdict::CommitUnknown => {
            // The commit may have reached Postgres before the connection failed: the edge
            // must treat this batch's outcome as unknown, so no "not applied" marker.
            let mut r = unavailable("database unavailable; retry shortly");
            r.extensions_mut().insert(CommitUnknown);
            return r;
        }
    };
    let receipt = BatchReceipt {
        batch_id: batch.batch_id,
        applied,
        written,
        dropped_unknown_service: prepared.dropped_unknown_service,
        dropped_robot: prepared.dropped_robot,
        duplicates,
    };
    count(api, &receipt, &prepared, kept);
    if receipt.applied {
        super::drops::record(api, &batch.drops, &prepared.drops).await;
    }
    json(&receipt)
}

/// Counts and logs what a batch did.
fn count(api: &EdgeApi, receipt: &BatchReceipt, prepared: &Prepared, kept: u64) {
    if receipt.applied {
        let m = api.ingest_metrics();
        IngestMetrics::inc(&api.metrics.batches_applied);
        m.accepted.fetch_add(kept, Ordering::Relaxed);
        m.dropped_robot
            .fetch_add(prepared.dropped_robot as u64, Ordering::Relaxed);
        api.metrics
            .dropped_unknown_service
            .fetch_add(prepared.dropped_unknown_service as u64, Ordering::Relaxed);
        tracing::debug!(batch = %receipt.batch_id, beacons = receipt.written, colos = ?prepared.colos, "edge batch applied");
    } else {
        IngestMetrics::inc(&api.metrics.batches_duplicate);
        tracing::info!(batch = %receipt.batch_id, "edge batch redelivered; already applied");
    }
}

/// The refusal of a batch outside the bounds of its shape: beacon count, batch id, one fence list and one message id
/// per beacon (or none).
fn shape_refusal(batch: &EdgeBatch) -> Option<WarpResponse> {
    if batch.beacons.len() > MAX_BATCH_BEACONS {
        return Some(error(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!("a batch holds at most {MAX_BATCH_BEACONS} beacons"),
        ));
    }
    if batch.batch_id.is_empty() || batch.batch_id.len() > MAX_BATCH_ID_BYTES {
        return Some(error(
            StatusCode::BAD_REQUEST,
            &format!("batch_id must be 1 to {MAX_BATCH_ID_BYTES} bytes"),
        ));
    }
    let fences_ok = batch.fences.is_empty()
        || (batch.fences.len() == batch.beacons.len()
            && batch.fences.iter().all(|f| {
                f.len() <= MAX_FENCES
                    && f.iter()
                        .all(|id| !id.is_empty() && id.len() <= MAX_BATCH_ID_BYTES)
            }));
    if !fences_ok {
        return Some(error(
            StatusCode::BAD_REQUEST,
            &format!(
                "fences must be empty or one list of at most {MAX_FENCES} batch ids per beacon"
            ),
        ));
    }
    let messages_ok = batch.message_ids.is_empty()
        || (batch.message_ids.len() == batch.beacons.len()
            && batch
                .message_ids
                .iter()
                .all(|id| !id.is_empty() && id.len() <= MAX_BATCH_ID_BYTES));
    if !messages_ok {
        return Some(error(
            StatusCode::BAD_REQUEST,
            &format!(
                "message_ids must be empty or one id of 1 to {MAX_BATCH_ID_BYTES} bytes per beacon"
            ),
        ));
    }
    None
}

/// A batch after the aggregator's own rules.
struct Prepared {
    beacons: Vec<Enriched>,
    /// Fences of each kept beacon (empty when the edge sent none).
    fences: Vec<Vec<String>>,
    /// Message key of each kept beacon (empty when the edge sent no message ids).
    messages: Vec<Uuid>,
    dropped_unknown_service: usize,
    dropped_robot: usize,
    /// Beacons of known services dropped here, for the dropped-traffic report.
    drops: Vec<(Uuid, DropKind)>,
    /// Beacons per receiving edge location (logged, never stored).
    colos: BTreeMap<String, usize>,
}

/// Applies the per-service rules the edge cannot apply with certainty, classifies UAs, and
/// re-checks bounds (the edge is trusted, but a bug there must not become bad rows here).
async fn prepare(
    api: &EdgeApi,
    beacons: Vec<Beacon>,
    fences: Vec<Vec<String>>,
    message_ids: Vec<String>,
) -> Result<Prepared, WarpResponse> {
    let block_all_ips = api.ingest.enricher.block_all_ips;
    let with_fences = !fences.is_empty();
    let mut fences = fences.into_iter();
    let mut message_ids = message_ids.into_iter();
    let mut out = Prepared {
        beacons: Vec::with_capacity(beacons.len()),
        fences: Vec::new(),
        messages: Vec::new(),
        dropped_unknown_service: 0,
        dropped_robot: 0,
        drops: Vec::new(),
        colos: BTreeMap::new(),
    };
    for mut b in beacons {
        let fence = fences.next();
        let message = message_ids.next();
        let settings = match api.ingest.services.get(b.service).await {
            Ok(Some(s)) if s.status == ServiceStatus::Active => s,
            Ok(found) => {
                if found.is_some() {
                    out.drops.push((b.service, DropKind::Archived));
                }
                out.dropped_unknown_service += 1;
                continue;
            }
            Err(e) => {
                tracing::warn!(error = %e, "service lookup failed");
                return Err(unavailable("service settings unavailable; retry shortly"));
            }
        };
        b.user_agent = truncate_utf8(b.user_agent.trim(), MAX_USER_AGENT_BYTES).to_owned();
        strip_nul(&mut b.user_agent);
        let ua = api.ingest.enricher.ua.classify(&b.user_agent);
        if settings.ignore_robots && ua.is_robot {
            out.dropped_robot += 1;
            out.drops.push((b.service, DropKind::Bot));
            continue;
        }
        if !settings.collect_ips || block_all_ips {
            b.ip = None;
        }
        reduce(&mut b);
        if let Some(Err(e)) = b.event.as_ref().map(beacon::event::check) {
            // The edge validates events with the same rules: this is a bug or a forgery, and
            // the event must not become a row the direct path would have refused.
            tracing::warn!(error = %e, "edge batch carried an invalid event; dropped");
            IngestMetrics::inc(&api.ingest_metrics().rejected_bad_input);
            out.drops.push((b.service, DropKind::Invalid));
            continue;
        }
        if !b.geo.colo.is_empty() {
            *out.colos
                .entry(std::mem::take(&mut b.geo.colo))
                .or_default() += 1;
        }
        out.beacons
            .push(Enriched::new(b, ua, &settings.tracking_params));
        if let Some(id) = message {
            out.messages.push(message_key(&id));
        }
        if with_fences {
            out.fences.push(fence.unwrap_or_default());
        }
    }
    Ok(out)
}

/// Re-applies the wire limits to the free-text fields and strips NULs (Postgres text cannot
/// hold them). An event is never a page view, so it carries no page-view token of its own.
fn reduce(b: &mut Beacon) {
    if b.event.is_some() {
        b.idempotency = None;
    }
    cut(&mut b.location, MAX_URL_BYTES);
    cut(&mut b.referrer, MAX_URL_BYTES);
    cut(&mut b.identifier, MAX_IDENTIFIER_BYTES);
    if let Some(i) = b.idempotency.as_mut() {
        cut(i, MAX_IDEMPOTENCY_BYTES);
    }
    for s in [
        &mut b.location,
        &mut b.referrer,
        &mut b.identifier,
        &mut b.geo.country,
        &mut b.geo.region,
        &mut b.geo.city,
        &mut b.geo.time_zone,
        &mut b.geo.as_org,
    ] {
        strip_nul(s);
    }
    if let Some(i) = b.idempotency.as_mut() {
        strip_nul(i);
    }
}

fn cut(s: &mut String, max: usize) {
    if s.len() > max {
        let keep = truncate_utf8(s, max).len();
        s.truncate(keep);
    }
}
