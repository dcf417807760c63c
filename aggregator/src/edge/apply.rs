//! Applies one verified edge batch in one transaction, exactly once: its batch id, its fences,
//! its message ids and its beacons commit together or not at all.
//!
//! Each request runs its own transaction, so concurrent batches use every core (Postgres does
//! most of the work). Grouping concurrent batches into one transaction was tried and measured
//! slower here (one backend at a time on 2 cores), as were fewer concurrent
//! transactions: lock waits between batches that share visitors cost less than lost
//! parallelism. Statements are prepared once per connection.

use super::POOL_WAIT;
use crate::metrics::IngestMetrics;
use crate::writer::{is_transient, sessionize, Enriched};
use deadpool_postgres::{Pool, Timeouts};
use std::collections::HashSet;
use uuid::Uuid;

/// Records the batch id; returns it when it was not recorded before.
const RECORD_BATCH: &str = "INSERT INTO ingest_batches (batch_id, beacons) VALUES ($1, $2)
     ON CONFLICT (batch_id) DO NOTHING RETURNING batch_id";
/// Records message keys; returns the ones not recorded before. A key another transaction is
/// inserting makes this wait for it, so two deliveries of one message cannot both apply it.
const RECORD_MESSAGES: &str = "INSERT INTO ingest_messages (id) SELECT unnest($1::uuid[])
     ON CONFLICT (id) DO NOTHING RETURNING id";
/// Fences the given batch ids that were never recorded; returns those.
const FENCE_BATCHES: &str = "INSERT INTO ingest_batches (batch_id, beacons)
     SELECT id, -1 FROM unnest($1::text[]) AS id
     ON CONFLICT (batch_id) DO NOTHING RETURNING batch_id";
/// Of the given batch ids, the ones fenced earlier.
const FENCED_BEFORE: &str =
    "SELECT batch_id FROM ingest_batches WHERE batch_id = ANY($1) AND beacons = -1";

/// A verified batch after the aggregator's rules, ready to be written.
pub struct Batch<'a> {
    /// The edge's batch id (recorded so redelivery is recognised).
    pub batch_id: &'a str,
    /// Beacons after the aggregator's rules.
    pub beacons: &'a [Enriched],
    /// Fences per beacon (empty when the edge sent none).
    pub fences: &'a [Vec<String>],
    /// Per beacon, the key of the queue message it first travelled in (empty from an edge
    /// that sends no message ids).
    pub messages: &'a [Uuid],
}

/// How a batch's write ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Committed.
    Applied {
        /// Beacons applied by this batch.
        written: usize,
        /// Beacons skipped because an earlier delivery (a fenced batch, or the same queue
        /// message in another batch) applied them.
        skipped: usize,
    },
    /// The batch id was already recorded: nothing applied.
    Duplicate,
    /// Postgres was unreachable or busy; nothing was committed.
    Unavailable,
    /// Postgres rejected the batch's data; nothing was committed.
    Rejected,
    /// The commit failed: Postgres may or may not have committed it.
    CommitUnknown,
}

/// The stored key of a queue message id: 128 bits of its SHA-256, so any id format the
/// platform uses fits one fixed-size column (a collision needs ~2^64 messages).
pub fn message_key(message_id: &str) -> Uuid {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(message_id.as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    Uuid::from_bytes(bytes)
}

/// Why the transaction failed.
enum Failure {
    Transient(tokio_postgres::Error),
    Data(tokio_postgres::Error),
    Commit(tokio_postgres::Error),
    NoConnection(String),
}

/// Writes the batch and says how it went (logging failures with the batch id).
pub async fn apply(
    pool: &Pool,
    batch: &Batch<'_>,
    session_timeout_secs: f64,
    metrics: &IngestMetrics,
) -> Verdict {
    match try_apply(pool, batch, session_timeout_secs, metrics).await {
        Ok(v) => v,
        Err(Failure::NoConnection(e)) => {
            tracing::warn!(error = %e, batch = batch.batch_id, "no Postgres connection for an edge batch");
            Verdict::Unavailable
        }
        Err(Failure::Transient(e)) => {
            tracing::warn!(error = %e, batch = batch.batch_id, "edge batch write failed; the edge will retry");
            Verdict::Unavailable
        }
        Err(Failure::Data(e)) => {
            tracing::error!(error = ?e, batch = batch.batch_id, "Postgres rejected an edge batch");
            Verdict::Rejected
        }
        Err(Failure::Commit(e)) => {
            tracing::warn!(error = %e, batch = batch.batch_id, "commit of an edge batch failed; outcome unknown to the edge");
            Verdict::CommitUnknown
        }
    }
}

async fn try_apply(
    pool: &Pool,
    batch: &Batch<'_>,
    session_timeout_secs: f64,
    metrics: &IngestMetrics,
) -> Result<Verdict, Failure> {
    let timeouts = Timeouts {
        wait: Some(POOL_WAIT),
        create: Some(POOL_WAIT),
        recycle: Some(POOL_WAIT),
    };
    let mut conn = pool
        .timeout_get(&timeouts)
        .await
        .map_err(|e| Failure::NoConnection(e.to_string()))?;
    let classify = |e: tokio_postgres::Error| {
        if is_transient(&e) {
            Failure::Transient(e)
        } else {
            Failure::Data(e)
        }
    };
    let tx = conn.transaction().await.map_err(classify)?;

    // Batch id first: a plain redelivery stops here, before touching anything else.
    let count = i32::try_from(batch.beacons.len()).unwrap_or(i32::MAX);
    let stmt = tx.prepare_cached(RECORD_BATCH).await.map_err(classify)?;
    let new = tx
        .query_opt(&stmt, &[&batch.batch_id, &count])
        .await
        .map_err(classify)?;
    if new.is_none() {
        tx.rollback().await.map_err(classify)?;
        return Ok(Verdict::Duplicate);
    }

    // Beacons no fenced batch applied …
    let fenced = if batch.fences.iter().all(Vec::is_empty) {
        HashSet::new()
    } else {
        fence(&tx, batch.fences).await.map_err(classify)?
    };
    let unfenced: Vec<usize> = (0..batch.beacons.len())
        .filter(|&i| {
            batch
                .fences
                .get(i)
                .is_none_or(|f| f.iter().all(|id| fenced.contains(id)))
        })
        .collect();
    // … and whose queue message was not applied before (in another batch, or twice in this one).
    let keep: Vec<usize> = if batch.messages.is_empty() {
        unfenced
    } else {
        let keys: Vec<Uuid> = unfenced
            .iter()
            .filter_map(|&i| batch.messages.get(i).copied())
            .collect::<HashSet<Uuid>>()
            .into_iter()
            .collect();
        let stmt = tx.prepare_cached(RECORD_MESSAGES).await.map_err(classify)?;
        let mut fresh: HashSet<Uuid> = tx
            .query(&stmt, &[&keys])
            .await
            .map_err(classify)?
            .iter()
            .map(|r| r.get(0))
            .collect();
        unfenced
            .into_iter()
            .filter(|&i| batch.messages.get(i).is_none_or(|k| fresh.remove(k)))
            .collect()
    };
    let written = keep.len();
    let skipped = batch.beacons.len() - written;
    // The common case applies the batch as it came; only a redelivery copies out a subset.
    let subset: Vec<Enriched>;
    let to_apply: &[Enriched] = if skipped == 0 {
        batch.beacons
    } else {
        tracing::info!(
            batch = batch.batch_id,
            skipped,
            "edge batch carried messages applied before"
        );
        subset = keep.iter().map(|&i| batch.beacons[i].clone()).collect();
        &subset
    };
    let outcome = sessionize::apply(&tx, to_apply, session_timeout_secs)
        .await
        .map_err(classify)?;
    tx.commit().await.map_err(Failure::Commit)?;
    metrics.record_written(&outcome);
    Ok(Verdict::Applied { written, skipped })
}

/// Marks every fenced batch id that was never applied as fenced (`beacons = -1`), so it can
/// never apply later, and returns the ids that are fenced (now or before). An id missing from
/// the result was applied as a batch. Two statements on purpose: the `INSERT … ON CONFLICT`
/// waits for a concurrent insert of the same id, and only a fresh snapshot (the `SELECT`) sees
/// what that transaction committed.
async fn fence(
    tx: &deadpool_postgres::Transaction<'_>,
    fences: &[Vec<String>],
) -> Result<HashSet<String>, tokio_postgres::Error> {
    let ids: Vec<&str> = fences
        .iter()
        .flatten()
        .map(String::as_str)
        .collect::<HashSet<&str>>()
        .into_iter()
        .collect();
    let stmt = tx.prepare_cached(FENCE_BATCHES).await?;
    let mut fenced: HashSet<String> = tx
        .query(&stmt, &[&ids])
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    if fenced.len() < ids.len() {
        let rest: Vec<&str> = ids
            .iter()
            .copied()
            .filter(|id| !fenced.contains(*id))
            .collect();
        let stmt = tx.prepare_cached(FENCED_BEFORE).await?;
        let rows = tx.query(&stmt, &[&rest]).await?;
        fenced.extend(rows.iter().map(|r| r.get::<_, String>(0)));
    }
    Ok(fenced)
}
