//! The one way beacons reach Postgres, for both entrances: a batch (with exactly-once marks
//! when it came from the edge) is written in one transaction, and failures come back in one
//! classification ([`Failure`]) for the caller to retry, bisect or report.

use super::apply;
use super::beacons::{BatchOutcome, Enriched};
use super::exactly_once::{self, Claim, Marks};
use super::failure::Failure;
use deadpool_postgres::{Pool, Timeouts};
use std::time::Duration;

/// Beacons to write, and how to recognise them when they arrive again.
#[derive(Debug, Clone, Copy)]
pub struct Batch<'a> {
    /// Beacons after the aggregator's rules.
    pub beacons: &'a [Enriched],
    /// Batch id, fences and message ids of an edge batch; `None` for direct ingest, whose
    /// beacons arrive once.
    pub marks: Option<Marks<'a>>,
}

/// What a committed write did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// Committed.
    Applied {
        /// What the beacons changed.
        outcome: BatchOutcome,
        /// Beacons skipped because an earlier delivery (a fenced batch, or the same queue
        /// message in another batch) applied them.
        skipped: usize,
    },
    /// The batch id was already recorded: nothing applied.
    Duplicate,
}

/// Writes `batch` in one transaction. `wait` bounds the wait for a pooled connection (the
/// pool's own timeouts otherwise).
pub async fn write(
    pool: &Pool,
    wait: Option<Duration>,
    batch: &Batch<'_>,
    session_timeout_secs: f64,
) -> Result<Written, Failure> {
    let conn = match wait {
        Some(w) => {
            let timeouts = Timeouts {
                wait: Some(w),
                create: Some(w),
                recycle: Some(w),
            };
            pool.timeout_get(&timeouts).await
        }
        None => pool.get().await,
    };
    let mut conn = conn.map_err(|e| Failure::NoConnection(e.to_string()))?;
    let tx = conn.transaction().await.map_err(Failure::classify)?;
    let subset: Vec<Enriched>;
    let (beacons, skipped) = match &batch.marks {
        None => (batch.beacons, 0),
        Some(marks) => {
            let claim = exactly_once::claim(&tx, marks, batch.beacons.len()).await;
            match claim.map_err(Failure::classify)? {
                Claim::Duplicate => {
                    tx.rollback().await.map_err(Failure::classify)?;
                    return Ok(Written::Duplicate);
                }
                // The common case applies the batch as it came; only a redelivery copies out
                // a subset.
                Claim::Keep(keep) if keep.len() == batch.beacons.len() => (batch.beacons, 0),
                Claim::Keep(keep) => {
                    let skipped = batch.beacons.len() - keep.len();
                    tracing::info!(
                        batch = marks.batch_id,
                        skipped,
                        "edge batch carried messages applied before"
                    );
                    subset = keep.iter().map(|&i| batch.beacons[i].clone()).collect();
                    (&subset[..], skipped)
                }
            }
        }
    };
    let outcome = apply::apply(&tx, beacons, session_timeout_secs)
        .await
        .map_err(Failure::classify)?;
    tx.commit().await.map_err(Failure::Commit)?;
    Ok(Written::Applied { outcome, skipped })
}
