//! Exactly-once bookkeeping for redelivered work: batch ids, fences and queue message ids are
//! recorded in the same transaction as the beacons they guard, so a batch (or a message in
//! another grouping) that arrives twice is applied once. Also how long those records are kept.

use deadpool_postgres::Transaction;
use std::collections::HashSet;
use uuid::Uuid;

/// How long applied batch ids and message ids are remembered (queue redeliveries happen within
/// days).
pub const RETENTION_DAYS: i32 = 7;

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

/// Tables of this bookkeeping and the timestamp their expiry goes by.
const EXPIRING: &[(&str, &str)] = &[
    ("ingest_batches", "applied_at"),
    ("ingest_messages", "received_at"),
];

/// What identifies a delivery and the earlier deliveries it may repeat.
#[derive(Debug, Clone, Copy)]
pub struct Marks<'a> {
    /// The edge's batch id (recorded so redelivery is recognised).
    pub batch_id: &'a str,
    /// Fences per beacon (empty when the edge sent none).
    pub fences: &'a [Vec<String>],
    /// Per beacon, the key of the queue message it first travelled in (empty from an edge
    /// that sends no message ids).
    pub messages: &'a [Uuid],
}

/// What the bookkeeping allows of a delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The batch id was recorded before: apply nothing.
    Duplicate,
    /// Apply these beacons (indices); the others were applied by an earlier delivery.
    Keep(Vec<usize>),
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

/// Records the delivery of `beacons` beacons under `marks` and says which to apply.
pub async fn claim(
    tx: &Transaction<'_>,
    marks: &Marks<'_>,
    beacons: usize,
) -> Result<Claim, tokio_postgres::Error> {
    // Batch id first: a plain redelivery stops here, before touching anything else.
    let count = i32::try_from(beacons).unwrap_or(i32::MAX);
    let stmt = tx.prepare_cached(RECORD_BATCH).await?;
    if tx
        .query_opt(&stmt, &[&marks.batch_id, &count])
        .await?
        .is_none()
    {
        return Ok(Claim::Duplicate);
    }
    // Beacons no fenced batch applied …
    let fenced = if marks.fences.iter().all(Vec::is_empty) {
        HashSet::new()
    } else {
        fence(tx, marks.fences).await?
    };
    let unfenced: Vec<usize> = (0..beacons)
        .filter(|&i| {
            marks
                .fences
                .get(i)
                .is_none_or(|f| f.iter().all(|id| fenced.contains(id)))
        })
        .collect();
    // … and whose queue message was not applied before (in another batch, or twice in this one).
    if marks.messages.is_empty() {
        return Ok(Claim::Keep(unfenced));
    }
    Ok(Claim::Keep(
        record_messages(tx, marks.messages, unfenced).await?,
    ))
}

/// Records the message keys of the `candidates` and keeps those recorded for the first time
/// (the first beacon of a key, when one batch carries a message twice).
async fn record_messages(
    tx: &Transaction<'_>,
    messages: &[Uuid],
    candidates: Vec<usize>,
) -> Result<Vec<usize>, tokio_postgres::Error> {
    let keys: Vec<Uuid> = candidates
        .iter()
        .filter_map(|&i| messages.get(i).copied())
        .collect::<HashSet<Uuid>>()
        .into_iter()
        .collect();
    let stmt = tx.prepare_cached(RECORD_MESSAGES).await?;
    let mut fresh: HashSet<Uuid> = tx
        .query(&stmt, &[&keys])
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    Ok(candidates
        .into_iter()
        .filter(|&i| messages.get(i).is_none_or(|k| fresh.remove(k)))
        .collect())
}

/// Marks every fenced batch id that was never applied as fenced (`beacons = -1`), so it can
/// never apply later, and returns the ids that are fenced (now or before). An id missing from
/// the result was applied as a batch. Two statements on purpose: the `INSERT … ON CONFLICT`
/// waits for a concurrent insert of the same id, and only a fresh snapshot (the `SELECT`) sees
/// what that transaction committed.
async fn fence(
    tx: &Transaction<'_>,
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

/// Forgets batch and message ids older than [`RETENTION_DAYS`] (maintenance).
pub async fn purge(
    client: &impl tokio_postgres::GenericClient,
) -> Result<(), tokio_postgres::Error> {
    let keep_secs = f64::from(RETENTION_DAYS) * 86_400.0;
    for (table, column) in EXPIRING {
        let sql = format!("DELETE FROM {table} WHERE {column} < now() - make_interval(secs => $1)");
        client.execute(&sql, &[&keep_secs]).await?;
    }
    Ok(())
}
