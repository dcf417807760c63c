//! Group commit for edge batches: batches that arrive while a transaction is running are applied
//! together in the next one, by a single writer task.
//!
//! Why: concurrent edge batches share visitors (a visitor's beacons spread over many queue
//! batches), so one transaction per batch made them wait on each other's session-row locks
//! until commit, and paid a commit (a WAL flush) per 100 beacons. One transaction at a time over
//! everything that queued up removes the lock waits and shares the flush, while each batch
//! stays atomic: its id, its fences and its beacons commit together or not at all, so
//! exactly-once holds as before. When Postgres rejects a group's data, each batch of the group
//! is retried in a transaction of its own, so one bad batch cannot sink the others.

use super::POOL_WAIT;
use crate::metrics::IngestMetrics;
use crate::writer::{is_transient, sessionize, BatchOutcome, Enriched};
use deadpool_postgres::{Pool, Timeouts};
use std::collections::HashSet;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

/// Most batches waiting for the writer; beyond this the endpoint answers 503 and the edge's
/// queue retries later (back-pressure instead of unbounded memory).
pub const MAX_QUEUED_BATCHES: usize = 64;
/// A group stops taking more batches at this many beacons (bounds a transaction's size and the
/// arrays sent to Postgres).
pub const MAX_GROUP_BEACONS: usize = 2_000;

/// One verified, prepared batch waiting to be written.
pub struct Job {
    /// The edge's batch id (recorded so redelivery is recognised).
    pub batch_id: String,
    /// Beacons after the aggregator's rules.
    pub beacons: Vec<Enriched>,
    /// Fences per beacon (empty when the edge sent none).
    pub fences: Vec<Vec<String>>,
    /// Per beacon, the key of the queue message it first travelled in (empty from an edge
    /// that sends no message ids).
    pub messages: Vec<Uuid>,
    reply: oneshot::Sender<Verdict>,
}

/// How a batch's write ended.
#[derive(Debug, Clone)]
pub enum Verdict {
    /// Committed. `skipped` beacons had been applied by a fenced earlier batch.
    Applied {
        /// Beacons applied by this batch.
        written: usize,
        /// Beacons skipped because a fenced batch already applied them.
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

/// The sending side held by the endpoint.
pub struct GroupWriter {
    tx: mpsc::Sender<Job>,
}

/// The writer's queue is full.
#[derive(Debug)]
pub struct Busy;

impl GroupWriter {
    /// Starts the writer task (it ends when the `GroupWriter` is dropped and the queue drained).
    pub fn start(
        pool: Pool,
        session_timeout_secs: f64,
        metrics: Arc<IngestMetrics>,
    ) -> GroupWriter {
        let (tx, rx) = mpsc::channel(MAX_QUEUED_BATCHES);
        tokio::spawn(run(pool, rx, session_timeout_secs, metrics));
        GroupWriter { tx }
    }

    /// Queues a batch and waits for its verdict. A writer that went away before answering may
    /// have committed, so that counts as [`Verdict::CommitUnknown`].
    pub async fn write(
        &self,
        batch_id: String,
        beacons: Vec<Enriched>,
        fences: Vec<Vec<String>>,
        messages: Vec<Uuid>,
    ) -> Result<Verdict, Busy> {
        let (reply, verdict) = oneshot::channel();
        self.tx
            .try_send(Job {
                batch_id,
                beacons,
                fences,
                messages,
                reply,
            })
            .map_err(|_| Busy)?;
        Ok(verdict.await.unwrap_or(Verdict::CommitUnknown))
    }
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

async fn run(
    pool: Pool,
    mut rx: mpsc::Receiver<Job>,
    session_timeout_secs: f64,
    metrics: Arc<IngestMetrics>,
) {
    while let Some(first) = rx.recv().await {
        let mut size = first.beacons.len();
        let mut group = vec![first];
        while size < MAX_GROUP_BEACONS {
            match rx.try_recv() {
                Ok(job) => {
                    size += job.beacons.len();
                    group.push(job);
                }
                Err(_) => break,
            }
        }
        commit_group(&pool, group, session_timeout_secs, &metrics).await;
    }
}

/// Why a group's transaction failed.
enum GroupError {
    Transient(tokio_postgres::Error),
    Data(tokio_postgres::Error),
    Commit(tokio_postgres::Error),
    NoConnection(String),
}

async fn commit_group(
    pool: &Pool,
    group: Vec<Job>,
    session_timeout_secs: f64,
    metrics: &IngestMetrics,
) {
    match try_group(pool, &group, session_timeout_secs, metrics).await {
        Ok(verdicts) => {
            for (job, verdict) in group.into_iter().zip(verdicts) {
                let _ = job.reply.send(verdict);
            }
        }
        Err(GroupError::Data(e)) if group.len() > 1 => {
            tracing::warn!(error = %e, batches = group.len(), "Postgres rejected a group of edge batches; writing them one by one");
            for job in group {
                let one = std::slice::from_ref(&job);
                let verdict = match try_group(pool, one, session_timeout_secs, metrics).await {
                    Ok(mut v) => v.pop().unwrap_or(Verdict::CommitUnknown),
                    Err(e) => failed(e, one),
                };
                let _ = job.reply.send(verdict);
            }
        }
        Err(e) => {
            let verdict = failed(e, &group);
            for job in group {
                let _ = job.reply.send(verdict.clone());
            }
        }
    }
}

/// Logs a failed transaction and says what the edge must be told.
fn failed(e: GroupError, group: &[Job]) -> Verdict {
    let ids: Vec<&str> = group.iter().map(|j| j.batch_id.as_str()).collect();
    match e {
        GroupError::NoConnection(e) => {
            tracing::warn!(error = %e, batches = ?ids, "no Postgres connection for edge batches");
            Verdict::Unavailable
        }
        GroupError::Transient(e) => {
            tracing::warn!(error = %e, batches = ?ids, "edge batch write failed; the edge will retry");
            Verdict::Unavailable
        }
        GroupError::Data(e) => {
            tracing::error!(error = ?e, batches = ?ids, "Postgres rejected an edge batch");
            Verdict::Rejected
        }
        GroupError::Commit(e) => {
            tracing::warn!(error = %e, batches = ?ids, "commit of edge batches failed; outcome unknown to the edge");
            Verdict::CommitUnknown
        }
    }
}

/// One transaction for the whole group: records the batch ids, resolves fences, applies every
/// new beacon in one set-based pass, commits. Returns a verdict per job, in order.
async fn try_group(
    pool: &Pool,
    group: &[Job],
    session_timeout_secs: f64,
    metrics: &IngestMetrics,
) -> Result<Vec<Verdict>, GroupError> {
    let timeouts = Timeouts {
        wait: Some(POOL_WAIT),
        create: Some(POOL_WAIT),
        recycle: Some(POOL_WAIT),
    };
    let mut conn = pool
        .timeout_get(&timeouts)
        .await
        .map_err(|e| GroupError::NoConnection(e.to_string()))?;
    let classify = |e: tokio_postgres::Error| {
        if is_transient(&e) {
            GroupError::Transient(e)
        } else {
            GroupError::Data(e)
        }
    };
    let tx = conn.transaction().await.map_err(classify)?;

    // Batch ids first: a batch whose id is already recorded (a redelivery, or the same id twice
    // in this group) applies nothing.
    let mut seen = HashSet::new();
    let (ids, counts): (Vec<&str>, Vec<i32>) = group
        .iter()
        .filter(|j| seen.insert(j.batch_id.as_str()))
        .map(|j| {
            let n = i32::try_from(j.beacons.len()).unwrap_or(i32::MAX);
            (j.batch_id.as_str(), n)
        })
        .unzip();
    let mut new_ids: HashSet<String> = tx
        .query(
            "INSERT INTO ingest_batches (batch_id, beacons)
             SELECT * FROM unnest($1::text[], $2::int[])
             ON CONFLICT (batch_id) DO NOTHING RETURNING batch_id",
            &[&ids, &counts],
        )
        .await
        .map_err(classify)?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let claimed: Vec<bool> = group.iter().map(|j| new_ids.remove(&j.batch_id)).collect();

    // Fences of the claimed batches, resolved together (batch ids of this group are recorded
    // above, so a fence naming one of them sees it as applied).
    let fence_lists: Vec<&Vec<String>> = group
        .iter()
        .zip(&claimed)
        .filter(|(_, c)| **c)
        .flat_map(|(j, _)| j.fences.iter())
        .filter(|f| !f.is_empty())
        .collect();
    let fenced = if fence_lists.is_empty() {
        HashSet::new()
    } else {
        fence(&tx, &fence_lists).await.map_err(classify)?
    };

    // Per claimed batch, the beacons no fenced batch applied; then, of those, the ones whose
    // queue message was not applied before (in another grouping, or earlier in this group).
    let mut candidates: Vec<(usize, &Enriched, Option<Uuid>)> = Vec::new();
    let mut verdicts = Vec::with_capacity(group.len());
    for (j, (job, claimed)) in group.iter().zip(claimed).enumerate() {
        if !claimed {
            verdicts.push(Verdict::Duplicate);
            continue;
        }
        verdicts.push(Verdict::Applied {
            written: 0,
            skipped: job.beacons.len(),
        });
        for (i, b) in job.beacons.iter().enumerate() {
            let unfenced = job
                .fences
                .get(i)
                .is_none_or(|f| f.iter().all(|id| fenced.contains(id)));
            if unfenced {
                candidates.push((j, b, job.messages.get(i).copied()));
            }
        }
    }
    let keys: Vec<Uuid> = candidates
        .iter()
        .filter_map(|(_, _, k)| *k)
        .collect::<HashSet<Uuid>>()
        .into_iter()
        .collect();
    let mut fresh: HashSet<Uuid> = if keys.is_empty() {
        HashSet::new()
    } else {
        tx.query(
            "INSERT INTO ingest_messages (id) SELECT unnest($1::uuid[])
             ON CONFLICT (id) DO NOTHING RETURNING id",
            &[&keys],
        )
        .await
        .map_err(classify)?
        .iter()
        .map(|r| r.get(0))
        .collect()
    };
    let mut to_apply: Vec<Enriched> = Vec::with_capacity(candidates.len());
    for (j, b, key) in candidates {
        // `remove`: a message that appears twice in this group applies the first time only.
        if key.is_none_or(|k| fresh.remove(&k)) {
            to_apply.push(b.clone());
            if let Verdict::Applied { written, skipped } = &mut verdicts[j] {
                *written += 1;
                *skipped -= 1;
            }
        }
    }
    for (job, verdict) in group.iter().zip(&verdicts) {
        if let Verdict::Applied { skipped, .. } = verdict {
            if *skipped > 0 {
                tracing::info!(
                    batch = %job.batch_id,
                    skipped,
                    "edge batch carried messages applied before"
                );
            }
        }
    }
    let outcome: BatchOutcome = sessionize::apply(&tx, &to_apply, session_timeout_secs)
        .await
        .map_err(classify)?;
    tracing::debug!(
        batches = group.len(),
        beacons = outcome.beacons,
        hits = outcome.hits,
        sessions = outcome.sessions,
        "edge batch group applied"
    );
    tx.commit().await.map_err(GroupError::Commit)?;
    metrics
        .written_beacons
        .fetch_add(outcome.beacons, Ordering::Relaxed);
    metrics
        .written_hits
        .fetch_add(outcome.hits, Ordering::Relaxed);
    metrics
        .written_sessions
        .fetch_add(outcome.sessions, Ordering::Relaxed);
    metrics
        .heartbeats
        .fetch_add(outcome.heartbeats, Ordering::Relaxed);
    Ok(verdicts)
}

/// Marks every fenced batch id that was never applied as fenced (`beacons = -1`), so it can
/// never apply later, and returns the ids that are fenced (now or before). An id missing from
/// the result was applied as a batch. Two statements on purpose: the `INSERT … ON CONFLICT`
/// waits for a concurrent insert of the same id (another aggregator process), and only a fresh
/// snapshot (the `SELECT`) sees what that transaction committed.
async fn fence(
    tx: &tokio_postgres::Transaction<'_>,
    fences: &[&Vec<String>],
) -> Result<HashSet<String>, tokio_postgres::Error> {
    let ids: Vec<&str> = fences
        .iter()
        .copied()
        .flatten()
        .map(String::as_str)
        .collect::<HashSet<&str>>()
        .into_iter()
        .collect();
    let mut fenced: HashSet<String> = tx
        .query(
            "INSERT INTO ingest_batches (batch_id, beacons)
             SELECT id, -1 FROM unnest($1::text[]) AS id
             ON CONFLICT (batch_id) DO NOTHING RETURNING batch_id",
            &[&ids],
        )
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
        let rows = tx
            .query(
                "SELECT batch_id FROM ingest_batches WHERE batch_id = ANY($1) AND beacons = -1",
                &[&rest],
            )
            .await?;
        fenced.extend(rows.iter().map(|r| r.get::<_, String>(0)));
    }
    Ok(fenced)
}
