//! Writes one verified edge batch through the writer's sink, exactly once (its batch id, its
//! fences, its message ids and its beacons commit together or not at all), and turns the
//! result into the edge protocol's verdict.
//!
//! Each request runs its own transaction, so concurrent batches use every core (Postgres does
//! most of the work). Grouping concurrent batches into one transaction was tried and measured
//! slower here (one backend at a time on 2 cores), as were fewer concurrent
//! transactions: lock waits between batches that share visitors cost less than lost
//! parallelism. Statements are prepared once per connection.

use super::api::POOL_WAIT;
use crate::metrics::IngestMetrics;
use crate::writer::{self, Batch, Failure, Written};

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

/// Writes the batch and says how it went (logging failures with the batch id).
pub async fn apply(
    pool: &deadpool_postgres::Pool,
    batch: &Batch<'_>,
    session_timeout_secs: f64,
    metrics: &IngestMetrics,
) -> Verdict {
    let id = batch.marks.map(|m| m.batch_id).unwrap_or_default();
    let started = std::time::Instant::now();
    let written = writer::write(pool, Some(POOL_WAIT), batch, session_timeout_secs).await;
    if written.is_err() {
        // Every failure is retried by the edge: counted as the direct writer counts its retries.
        IngestMetrics::inc(&metrics.write_retries);
    }
    match written {
        Ok(Written::Applied { outcome, skipped }) => {
            metrics.record_batch(started.elapsed());
            outcome.record(metrics);
            Verdict::Applied {
                written: batch.beacons.len() - skipped,
                skipped,
            }
        }
        Ok(Written::Duplicate) => Verdict::Duplicate,
        Err(Failure::NoConnection(e)) => {
            tracing::warn!(error = %e, batch = id, "no Postgres connection for an edge batch");
            Verdict::Unavailable
        }
        Err(Failure::Transient(e)) => {
            tracing::warn!(error = %e, batch = id, "edge batch write failed; the edge will retry");
            Verdict::Unavailable
        }
        Err(Failure::Data(e)) => {
            tracing::error!(error = ?e, batch = id, "Postgres rejected an edge batch");
            Verdict::Rejected
        }
        Err(Failure::Commit(e)) => {
            tracing::warn!(error = %e, batch = id, "commit of an edge batch failed; outcome unknown to the edge");
            Verdict::CommitUnknown
        }
    }
}
