//! The queue consumer's delivery of one signed batch to the aggregator and what follows from
//! its answer: ack, retry with a growing delay, or re-enqueue behind a fence when the outcome is
//! unknown (a lost acknowledgement must never double a beacon).

use crate::cached_config::{settings, signature};
use crate::enqueue;
use beacon::edge_protocol::{
    EdgeBatch, QueuedBeacon, SignedRequest, BATCH_PATH, MAX_FENCES, NOT_APPLIED_HEADER,
    SIGNATURE_HEADER,
};
use worker::*;

/// One queued beacon as the consumer sees it.
pub(crate) struct Item {
    pub(crate) message: RawMessage,
    pub(crate) id: String,
    pub(crate) queued: QueuedBeacon,
    pub(crate) bytes: usize,
}

/// How a delivery ended.
pub(crate) enum Delivery {
    /// 2xx: committed (or recognised as a redelivery).
    Applied,
    /// Refused before anything could be committed: retry in any grouping.
    NotApplied(String),
    /// No answer, or one that does not say: the aggregator may have committed.
    Unknown(String),
}

/// Delay before a refused message is offered again: its age, bounded by the vars, so the gaps
/// grow roughly geometrically while the aggregator stays unavailable.
pub(crate) fn retry_delay(env: &Env, message: &RawMessage, now_ms: u64) -> u32 {
    let settings = settings(env);
    let base = settings.retry_base_secs;
    let max = settings.retry_max_secs.max(base);
    let age = now_ms.saturating_sub(message.timestamp().as_millis()) / 1000;
    age.clamp(base, max).min(u64::from(u32::MAX)) as u32
}

/// Delay before a re-enqueued beacon is delivered again: doubling with each fence.
pub(crate) fn fence_delay(env: &Env, fences: usize) -> u32 {
    let settings = settings(env);
    let base = settings.retry_base_secs.max(1);
    let max = settings.retry_max_secs.max(base);
    base.saturating_mul(1 << fences.min(16))
        .min(max)
        .min(u64::from(u32::MAX)) as u32
}

pub(crate) async fn deliver(env: &Env, batch: &EdgeBatch) -> Delivery {
    let settings = settings(env);
    let url = match settings.aggregator_url(BATCH_PATH) {
        Ok(u) => u,
        Err(why) => return Delivery::NotApplied(why.into()),
    };
    let Some(secret) = &settings.secret else {
        return Delivery::NotApplied("SHYNET_EDGE_SECRET is not set".into());
    };
    // Signed afresh on every delivery: a retried batch is a new request (new time and nonce);
    // the batch id, not the signature, makes it idempotent.
    let request = || -> Result<Request> {
        let body = serde_json::to_string(batch)?;
        let headers = Headers::new();
        headers.set(
            SIGNATURE_HEADER,
            &signature(secret, &SignedRequest::batch(body.as_bytes())).map_err(Error::RustError)?,
        )?;
        headers.set("content-type", "application/json")?;
        let mut init = RequestInit::new();
        init.with_method(Method::Post)
            .with_headers(headers)
            .with_body(Some(body.into()));
        Request::new_with_init(&url, &init)
    };
    let req = match request() {
        Ok(r) => r,
        Err(e) => return Delivery::NotApplied(e.to_string()),
    };
    match Fetch::Request(req).send().await {
        Err(e) => Delivery::Unknown(e.to_string()),
        Ok(resp) => {
            let status = resp.status_code();
            let not_applied = resp
                .headers()
                .get(NOT_APPLIED_HEADER)
                .ok()
                .flatten()
                .is_some();
            match status {
                200..=299 => Delivery::Applied,
                _ if not_applied => Delivery::NotApplied(format!("aggregator answered {status}")),
                _ => Delivery::Unknown(format!("answer {status} without a verdict")),
            }
        }
    }
}

/// After a delivery with unknown outcome: acknowledge each message and enqueue its beacon
/// again with this batch fenced (see `beacon::edge_protocol::QueuedBeacon`), so however the queue
/// groups it next time, the aggregator applies it at most once. Beacons already carrying
/// [`MAX_FENCES`] fences, or whose re-enqueue fails, fall back to the queue's own retry (and
/// its dead-letter queue).
pub(crate) async fn refence(env: &Env, chunk: &[Item], batch_id: &str, now_ms: u64) {
    for item in chunk {
        let mut queued = item.queued.clone();
        if queued.fences.len() >= MAX_FENCES {
            item.message.retry_with_options(
                &QueueRetryOptionsBuilder::new()
                    .with_delay_seconds(retry_delay(env, &item.message, now_ms))
                    .build(),
            );
            continue;
        }
        queued.fences.push(batch_id.to_owned());
        queued.origin.get_or_insert_with(|| item.id.clone());
        match enqueue(env, &queued, Some(fence_delay(env, queued.fences.len()))).await {
            Ok(()) => item.message.ack(),
            Err(e) => {
                console_error!("re-enqueue failed ({e}); leaving the message to the queue");
                item.message.retry_with_options(
                    &QueueRetryOptionsBuilder::new()
                        .with_delay_seconds(retry_delay(env, &item.message, now_ms))
                        .build(),
                );
            }
        }
    }
}
