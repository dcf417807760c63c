//! Background maintenance: rotate salts, forget expired sessionizer state, drop old batch and
//! message ids, expired edge nonces, web sessions, one-time tokens and login failures, roll
//! closed hours up, and keep partitions and retention in order. Every process runs it; each
//! statement is idempotent, and the purge, rollup and partition steps take locks (advisory /
//! SKIP LOCKED) so replicas take turns instead of conflicting.

use crate::dropped::DropCounts;
use crate::salts::SaltStore;
use deadpool_postgres::Pool;
use std::sync::Arc;
use std::time::Duration;

/// How often maintenance runs.
pub const INTERVAL: Duration = Duration::from_secs(10);
/// Most hours one rollup pass advances over (a backlog is worked off over several passes).
pub const ROLLUP_HOURS_PER_PASS: i64 = 24 * 7;
/// Time budget for catching up on a rollup backlog within one maintenance run.
const ROLLUP_BUDGET: Duration = Duration::from_secs(5);
/// A rollup transaction open longer than this is worth a warning: it holds back vacuum of the
/// live-state tables the ingest path keeps updating (one per pass at most).
const SLOW_ROLLUP_STEP: Duration = Duration::from_secs(60);
/// Advisory lock (two-int form) held by the replica that purges in this run; the others skip
/// the purge instead of deleting the same rows at once (which could deadlock).
const PURGE_LOCK: (i32, i32) = (5_348_594, 3);

/// Rolls closed hours up (and re-rolls dirty ones) for at most [`ROLLUP_BUDGET`], then applies
/// retention. Returns the last rollup pass.
pub async fn storage_pass(
    client: &mut tokio_postgres::Client,
    session_timeout_secs: f64,
) -> anyhow::Result<stats::rollup::Pass> {
    let started = std::time::Instant::now();
    let mut pass;
    loop {
        pass = stats::rollup::run_pass_settled(
            client,
            session_timeout_secs,
            ROLLUP_HOURS_PER_PASS,
            stats::rollup::REROLL_SETTLE_SECS,
        )
        .await?;
        if pass.longest_step > SLOW_ROLLUP_STEP {
            tracing::warn!(
                secs = pass.longest_step.as_secs(),
                hours = pass.hours_rolled,
                "a rollup transaction stayed open long (vacuum waits for it)"
            );
        }
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

/// Deletes expired live sessionizer state, batch and message ids, the dashboard's expired web
/// sessions, one-time tokens and login failures, expired edge nonces and event idempotency
/// tokens, in one transaction. Returns false when another replica
/// was purging (this one then leaves it to that one).
pub async fn purge_expired(
    client: &mut tokio_postgres::Client,
    session_timeout_secs: f64,
) -> Result<bool, tokio_postgres::Error> {
    let tx = client.transaction().await?;
    let locked: bool = tx
        .query_one(
            "SELECT pg_try_advisory_xact_lock($1, $2)",
            &[&PURGE_LOCK.0, &PURGE_LOCK.1],
        )
        .await?
        .get(0);
    if !locked {
        return Ok(false);
    }
    crate::writer::live_state::purge(&tx, session_timeout_secs).await?;
    crate::writer::events::purge_tokens(&tx).await?;
    crate::writer::exactly_once::purge(&tx).await?;
    models::prune_expired(&tx).await?;
    crate::edge::nonces::purge(&tx).await?;
    tx.commit().await?;
    Ok(true)
}

/// One maintenance pass: the upkeep, then the rollup and retention.
pub async fn run_once(
    pool: &Pool,
    salts: &SaltStore,
    session_timeout_secs: f64,
) -> anyhow::Result<()> {
    upkeep_once(pool, salts, session_timeout_secs).await?;
    storage_once(pool, session_timeout_secs, false).await
}

/// Rotates the salts and purges expired state.
async fn upkeep_once(
    pool: &Pool,
    salts: &SaltStore,
    session_timeout_secs: f64,
) -> anyhow::Result<()> {
    salts.rotate(chrono::Utc::now().timestamp_millis()).await?;
    let mut conn = pool.get().await?;
    purge_expired(&mut conn, session_timeout_secs).await?;
    Ok(())
}

/// One rollup pass (or several, within its budget) and retention. With `nice`, on a backend
/// niced to [`crate::rollup_priority::ROLLUP_NICE`] when it is a local process: that connection
/// then leaves the pool, as a writer's batch must not run at the rollup's priority later.
pub async fn storage_once(
    pool: &Pool,
    session_timeout_secs: f64,
    nice: bool,
) -> anyhow::Result<()> {
    let mut conn = pool.get().await?;
    if nice && crate::rollup_priority::lower(&conn).await? {
        let mut own = deadpool_postgres::Object::take(conn);
        storage_pass(&mut own, session_timeout_secs).await?;
    } else {
        storage_pass(&mut conn, session_timeout_secs).await?;
    }
    Ok(())
}

/// Writes the dropped-traffic counters gathered since the last pass (one statement).
pub async fn flush_drops(pool: &Pool, drops: &DropCounts) -> anyhow::Result<usize> {
    let conn = pool.get().await?;
    Ok(drops.flush(&**conn).await?)
}

/// Time budget for sending queued notifications within one maintenance run.
const NOTIFY_BUDGET: Duration = Duration::from_secs(5);

/// The notification part of a maintenance run: judge the newest closed hour for alerts, queue
/// due reports, then send queued messages (for at most [`NOTIFY_BUDGET`] when the queue is
/// long). Runs after [`run_once`], whose rollup pass closes the hours alerts read.
pub async fn notify_once(pool: &Pool, n: &crate::notify::context::Notifier) -> anyhow::Result<()> {
    use crate::notify::{alerts, deliver, reports};
    let mut conn = pool.get().await?;
    alerts::pass(&mut conn, n).await?;
    reports::pass(&mut conn, n).await?;
    let started = std::time::Instant::now();
    while deliver::pass(&mut conn, n).await? as i64 == deliver::BATCH
        && started.elapsed() < NOTIFY_BUDGET
    {}
    Ok(())
}

/// Runs maintenance forever, in two tasks: the upkeep (dropped-traffic counters, salts, the
/// purge of expired state, notifications) every [`INTERVAL`], and the rollup with retention
/// ([`storage_pass`]) in a loop of its own. A pass over a dense hour can take half an hour, and
/// in one loop the purge of expired live state waited for it while the live-state tables grew.
/// `nice_rollup` runs the rollup at a lower CPU priority (for the embedded cluster, whose
/// backends are this machine's processes).
pub fn spawn(
    pool: Pool,
    salts: SaltStore,
    session_timeout_secs: f64,
    drops: Arc<DropCounts>,
    notifier: Option<crate::notify::context::Notifier>,
    nice_rollup: bool,
) -> tokio::task::JoinHandle<()> {
    let storage_pool = pool.clone();
    tokio::spawn(async move {
        let storage = tokio::spawn(async move {
            let mut tick = tokio::time::interval(INTERVAL);
            loop {
                tick.tick().await;
                if let Err(e) = storage_once(&storage_pool, session_timeout_secs, nice_rollup).await
                {
                    tracing::warn!(error = %e, "rollup pass failed; will retry");
                }
            }
        });
        let mut tick = tokio::time::interval(INTERVAL);
        let mut told = false;
        loop {
            tick.tick().await;
            if let Err(e) = flush_drops(&pool, &drops).await {
                tracing::warn!(error = %e, "dropped-traffic counters not written; will retry");
            }
            if let Err(e) = upkeep_once(&pool, &salts, session_timeout_secs).await {
                tracing::warn!(error = %e, "maintenance pass failed; will retry");
            }
            if let Some(n) = &notifier {
                if let Err(e) = notify_once(&pool, n).await {
                    tracing::warn!(error = %e, "notification pass failed; will retry");
                }
            }
            // Once, not every tick: a log line per tick is the flood this loop must not cause.
            if storage.is_finished() && !told {
                told = true;
                tracing::error!("the rollup task stopped");
            }
        }
    })
}
