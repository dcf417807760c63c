//! Background maintenance: rotate salts, forget expired sessionizer state, drop old batch ids
//! and expired edge nonces, roll closed hours up, and keep partitions and retention in order.
//! Every process runs it; each statement is idempotent, and the rollup and partition steps take
//! locks (SKIP LOCKED / advisory) so replicas take turns instead of conflicting.

use crate::salts::SaltStore;
use deadpool_postgres::Pool;
use std::time::Duration;

/// How often maintenance runs.
pub const INTERVAL: Duration = Duration::from_secs(10);
/// How long applied batch ids are remembered (queue redeliveries happen within days).
pub const BATCH_ID_RETENTION_DAYS: i32 = 7;
/// Most hours one rollup pass advances over (a backlog is worked off over several passes).
pub const ROLLUP_HOURS_PER_PASS: i64 = 24 * 7;
/// Time budget for catching up on a rollup backlog within one maintenance run.
const ROLLUP_BUDGET: Duration = Duration::from_secs(5);

/// Rolls closed hours up (and re-rolls dirty ones) for at most [`ROLLUP_BUDGET`], then applies
/// retention. Returns the last rollup pass.
pub async fn storage_pass(
    client: &mut tokio_postgres::Client,
    session_timeout_secs: f64,
) -> anyhow::Result<dashboard::stats::rollup::Pass> {
    let started = std::time::Instant::now();
    let mut pass;
    loop {
        pass =
            dashboard::stats::rollup::run_pass(client, session_timeout_secs, ROLLUP_HOURS_PER_PASS)
                .await?;
        if pass.busy || !pass.behind || started.elapsed() > ROLLUP_BUDGET {
            break;
        }
    }
    let report = crate::retention::run(client).await?;
    if report != crate::retention::Report::default() {
        tracing::info!(?report, "storage maintenance");
    }
    Ok(pass)
}

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
    client
        .execute(
            "DELETE FROM ingest_messages WHERE received_at < now() - make_interval(days => $1)",
            &[&BATCH_ID_RETENTION_DAYS],
        )
        .await?;
    crate::edge_api::nonces::purge(&client).await?;
    drop(client);
    let mut conn = pool.get().await?;
    storage_pass(&mut conn, session_timeout_secs).await?;
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
