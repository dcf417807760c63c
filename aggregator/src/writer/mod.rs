//! The bounded in-process queue between the ingest routes and Postgres, and the writer task that
//! drains it in batches. Beacons are acknowledged to browsers when queued; the writer then
//! retries through Postgres outages (the queue fills and ingest answers 503 instead of losing
//! anything), and on shutdown drains every queued beacon before the process exits.

pub mod sessionize;

use crate::metrics::IngestMetrics;
use beacon::ua::UaInfo;
use beacon::wire::Beacon;
use deadpool_postgres::Pool;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};

pub use sessionize::BatchOutcome;

/// A beacon ready for the writer: the wire record plus its UA classification.
#[derive(Debug, Clone)]
pub struct Enriched {
    /// The reduced beacon.
    pub beacon: Beacon,
    /// Browser, OS and device classification of its User-Agent.
    pub ua: Arc<UaInfo>,
}

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

/// Whether an error is worth retrying unchanged (connection trouble, lock conflicts,
/// resource exhaustion) rather than a problem with the data itself.
pub(crate) fn is_transient(e: &tokio_postgres::Error) -> bool {
    match e.code() {
        None => true, // I/O or closed connection
        Some(code) => {
            let c = code.code();
            c.starts_with("08")
                || c.starts_with("53")
                || c.starts_with("57P")
                || c == "40001"
                || c == "40P01"
                || c == "55P03"
                || (c == "23514" && is_partition_race(e))
        }
    }
}

/// A row routed to the default partition while the maintenance job attaches that month's
/// partition fails its partition constraint; retried, it lands in the new partition. (No other
/// check constraint on hits/sessions can fail for rows the writer builds.)
fn is_partition_race(e: &tokio_postgres::Error) -> bool {
    e.as_db_error()
        .is_some_and(|d| d.message().contains("partition constraint"))
}

enum Failure {
    Transient(String),
    Data(String),
}

async fn try_write(
    pool: &Pool,
    batch: &[Enriched],
    cfg: &WriterConfig,
) -> Result<BatchOutcome, Failure> {
    let mut conn = pool
        .get()
        .await
        .map_err(|e| Failure::Transient(e.to_string()))?;
    let classify = |e: tokio_postgres::Error| {
        if is_transient(&e) {
            Failure::Transient(e.to_string())
        } else {
            Failure::Data(format!("{e:?}"))
        }
    };
    let tx = conn.transaction().await.map_err(classify)?;
    let outcome = sessionize::apply(&tx, batch, cfg.session_timeout_secs)
        .await
        .map_err(classify)?;
    tx.commit().await.map_err(classify)?;
    Ok(outcome)
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
            match try_write(pool, &part, cfg).await {
                Ok(o) => {
                    metrics.record_written(&o);
                    backoff = Duration::from_millis(50);
                    break;
                }
                Err(Failure::Transient(msg)) => {
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
                Err(Failure::Data(msg)) => {
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
