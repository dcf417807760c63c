//! Background maintenance: rotate salts, forget expired sessionizer state, and drop old batch
//! ids. Every process runs it; each statement is idempotent, so replicas do not conflict.

use crate::salts::SaltStore;
use deadpool_postgres::Pool;
use std::time::Duration;

/// How often maintenance runs.
pub const INTERVAL: Duration = Duration::from_secs(10);
/// How long applied batch ids are remembered (queue redeliveries happen within days).
pub const BATCH_ID_RETENTION_DAYS: i32 = 7;

/// One maintenance pass.
pub async fn run_once(
    pool: &Pool,
    salts: &SaltStore,
    session_timeout_secs: f64,
) -> anyhow::Result<()> {
    salts.rotate(chrono::Utc::now().timestamp_millis()).await?;
    let client = pool.get().await?;
    // Expired entries are ignored by the writer anyway; pruning keeps the tables small and
    // means visitor hashes are gone soon after a visit ends.
    client
        .execute(
            "DELETE FROM active_sessions WHERE last_seen < now() - make_interval(secs => $1)",
            &[&(session_timeout_secs + 60.0)],
        )
        .await?;
    client
        .execute(
            "DELETE FROM active_hits WHERE last_seen < now() - make_interval(secs => $1)",
            &[&(session_timeout_secs + 60.0)],
        )
        .await?;
    client
        .execute(
            "DELETE FROM ingest_batches WHERE applied_at < now() - make_interval(days => $1)",
            &[&BATCH_ID_RETENTION_DAYS],
        )
        .await?;
    Ok(())
}

/// Runs maintenance forever.
pub fn spawn(
    pool: Pool,
    salts: SaltStore,
    session_timeout_secs: f64,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(INTERVAL);
        loop {
            tick.tick().await;
            if let Err(e) = run_once(&pool, &salts, session_timeout_secs).await {
                tracing::warn!(error = %e, "maintenance pass failed; will retry");
            }
        }
    })
}
