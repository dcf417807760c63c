//! The bounded in-process queue between the ingress handlers and Postgres, and the writer task
//! that drains it in batches. Beacons are acknowledged to browsers when queued; the writer then
//! retries through Postgres outages (the queue fills and ingress answers 503 instead of losing
//! anything), and on shutdown drains every queued beacon before the process exits.

use super::beacons::Enriched;
use super::sink::{self, Batch, Written};
use crate::metrics::IngestMetrics;
use deadpool_postgres::Pool;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};

/// Why a beacon could not be queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum QueueError {
    /// The queue is at capacity: the writer is behind (or Postgres is down).
    #[error("ingest queue is full; retry shortly")]
    Full,
    /// The server is shutting down.
    #[error("server is shutting down")]
    Closed,
}

/// The sending side, cloned into every route.
#[derive(Clone)]
pub struct IngestQueue {
    tx: mpsc::Sender<Enriched>,
}

impl IngestQueue {
    /// Queues a beacon without waiting.
    pub fn push(&self, e: Enriched) -> Result<(), QueueError> {
        self.tx.try_send(e).map_err(|err| match err {
            mpsc::error::TrySendError::Full(_) => QueueError::Full,
            mpsc::error::TrySendError::Closed(_) => QueueError::Closed,
        })
    }

    /// Beacons waiting to be written.
    pub fn depth(&self) -> usize {
        self.tx.max_capacity() - self.tx.capacity()
    }
}

/// Writer settings.
#[derive(Debug, Clone)]
pub struct WriterConfig {
    /// Most beacons per transaction.
    pub batch_size: usize,
    /// Session timeout in seconds.
    pub session_timeout_secs: f64,
    /// How long to keep retrying a batch once shutdown has begun.
    pub shutdown_retry_limit: Duration,
}

/// Handle to stop the writer and wait for it to drain.
pub struct WriterHandle {
    shutdown: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl WriterHandle {
    /// Refuses new beacons, writes every queued one, then returns.
    pub async fn drain_and_stop(self) {
        let _ = self.shutdown.send(true);
        if let Err(e) = self.task.await {
            tracing::error!(error = %e, "writer task failed");
        }
    }
}

/// Creates the queue and starts the writer.
pub fn start(
    pool: Pool,
    capacity: usize,
    cfg: WriterConfig,
    metrics: Arc<IngestMetrics>,
) -> (IngestQueue, WriterHandle) {
    let (tx, rx) = mpsc::channel(capacity.max(1));
    let (stx, srx) = watch::channel(false);
    let task = tokio::spawn(run(pool, rx, srx, cfg, metrics));
    (
        IngestQueue { tx },
        WriterHandle {
            shutdown: stx,
            task,
        },
    )
}

async fn run(
    pool: Pool,
    mut rx: mpsc::Receiver<Enriched>,
    mut shutdown: watch::Receiver<bool>,
    cfg: WriterConfig,
    metrics: Arc<IngestMetrics>,
) {
    let mut closing = false;
    let mut batch: Vec<Enriched> = Vec::with_capacity(cfg.batch_size);
    loop {
        let first = tokio::select! {
            m = rx.recv() => m,
            _ = shutdown.changed(), if !closing => {
                closing = true;
                rx.close();
                continue;
            }
        };
        let Some(first) = first else { break };
        batch.push(first);
        while batch.len() < cfg.batch_size {
            match rx.try_recv() {
                Ok(e) => batch.push(e),
                Err(_) => break,
            }
        }
        write_with_retry(&pool, &mut batch, &cfg, &metrics, &shutdown).await;
        batch.clear();
    }
    tracing::info!("writer drained and stopped");
}

/// Writes a batch, retrying transient failures with backoff for as long as the process lives
/// (bounded once shutdown started), and isolating beacons Postgres rejects by bisection so one
/// bad record cannot block the rest.
async fn write_with_retry(
    pool: &Pool,
    batch: &mut Vec<Enriched>,
    cfg: &WriterConfig,
    metrics: &IngestMetrics,
    shutdown: &watch::Receiver<bool>,
) {
    let mut pending: Vec<Vec<Enriched>> = vec![std::mem::take(batch)];
    let mut backoff = Duration::from_millis(50);
    let mut shutdown_deadline: Option<tokio::time::Instant> = None;
    while let Some(part) = pending.pop() {
        loop {
            let batch = Batch {
                beacons: &part,
                marks: None,
            };
            let started = std::time::Instant::now();
            match sink::write(pool, None, &batch, cfg.session_timeout_secs).await {
                Ok(Written::Applied { outcome, .. }) => {
                    metrics.record_batch(started.elapsed());
                    outcome.record(metrics);
                    backoff = Duration::from_millis(50);
                    break;
                }
                // Only batches with exactly-once marks can be duplicates.
                Ok(Written::Duplicate) => break,
                Err(f) if f.is_transient() => {
                    let msg = f.message();
                    IngestMetrics::inc(&metrics.write_retries);
                    if *shutdown.borrow() {
                        let deadline = *shutdown_deadline.get_or_insert_with(|| {
                            tokio::time::Instant::now() + cfg.shutdown_retry_limit
                        });
                        if tokio::time::Instant::now() > deadline {
                            let lost: usize =
                                part.len() + pending.iter().map(Vec::len).sum::<usize>();
                            tracing::error!(lost, error = %msg, "giving up on Postgres during shutdown");
                            return;
                        }
                    }
                    tracing::warn!(error = %msg, retry_in_ms = backoff.as_millis() as u64, beacons = part.len(), "write failed; retrying");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                }
                Err(f) => {
                    let msg = f.message();
                    if part.len() == 1 {
                        IngestMetrics::inc(&metrics.write_rejected);
                        tracing::error!(error = %msg, beacon = ?part[0].beacon, "Postgres rejected a beacon; dropped");
                    } else {
                        let mut left = part;
                        let right = left.split_off(left.len() / 2);
                        pending.push(right);
                        pending.push(left);
                    }
                    break;
                }
            }
        }
    }
}
