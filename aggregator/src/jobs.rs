//! Background maintenance: rotate salts, forget expired sessionizer state, drop old batch and
//! message ids, expired edge nonces, web sessions, one-time tokens and login failures, roll
//! closed hours up, and keep partitions and retention in order. Every process runs it; each
//! statement is idempotent, and the purge, rollup and partition steps take locks (advisory /
//! SKIP LOCKED) so replicas take turns instead of conflicting.

use crate::salts::SaltStore;
use deadpool_postgres::Pool;
use std::time::Duration;

/// How often maintenance runs.
pub const INTERVAL: Duration = Duration::from_secs(10);
/// How long applied batch ids are remembered (queue redeliveries happen within days).
pub const BATCH_ID_RETENTION_DAYS: i32 = 7;
/// How long sessionizer state outlives the session timeout: the writer ignores expired entries
/// anyway, so this margin only covers clock skew between replicas.
pub const ACTIVE_STATE_MARGIN_SECS: f64 = 60.0;
/// Most hours one rollup pass advances over (a backlog is worked off over several passes).
pub const ROLLUP_HOURS_PER_PASS: i64 = 24 * 7;
/// Time budget for catching up on a rollup backlog within one maintenance run.
const ROLLUP_BUDGET: Duration = Duration::from_secs(5);
/// Advisory lock (two-int form) held by the replica that purges in this run; the others skip
/// the purge instead of deleting the same rows at once (which could deadlock).
const PURGE_LOCK: (i32, i32) = (5_348_594, 3);

/// How long a purged table's rows are kept after their timestamp.
#[derive(Debug, Clone, Copy)]
enum Keep {
    /// The session timeout plus [`ACTIVE_STATE_MARGIN_SECS`].
    PastSessionTimeout,
    /// A fixed number of days.
    Days(i32),
}

/// A table whose old rows maintenance deletes: rows whose `column` is older than `keep`.
#[derive(Debug, Clone, Copy)]
struct Purge {
    table: &'static str,
    column: &'static str,
    keep: Keep,
}

/// Everything the job purges by age, one entry per table. Expired visitor state goes soon after
/// a visit ends, so visitor hashes do not linger.
const PURGES: &[Purge] = &[
    Purge {
        table: "active_sessions",
        column: "last_seen",
        keep: Keep::PastSessionTimeout,
    },
    Purge {
        table: "active_hits",
        column: "last_seen",
        keep: Keep::PastSessionTimeout,
    },
    Purge {
        table: "ingest_batches",
        column: "applied_at",
        keep: Keep::Days(BATCH_ID_RETENTION_DAYS),
    },
    Purge {
        table: "ingest_messages",
        column: "received_at",
        keep: Keep::Days(BATCH_ID_RETENTION_DAYS),
    },
];

impl Keep {
    fn secs(self, session_timeout_secs: f64) -> f64 {
        match self {
            Keep::PastSessionTimeout => session_timeout_secs + ACTIVE_STATE_MARGIN_SECS,
            Keep::Days(d) => f64::from(d) * 86_400.0,
        }
    }
}

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

/// Deletes expired rows of every [`PURGES`] table and the dashboard's expired web sessions,
/// one-time tokens and login failures, in one transaction. Returns false when another replica
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
    for p in PURGES {
        let sql = format!(
            "DELETE FROM {} WHERE {} < now() - make_interval(secs => $1)",
            p.table, p.column
        );
        tx.execute(&sql, &[&p.keep.secs(session_timeout_secs)])
            .await?;
    }
    models::prune_expired(&tx).await?;
    crate::edge_api::nonces::purge(&tx).await?;
    tx.commit().await?;
    Ok(true)
}

/// One maintenance pass.
pub async fn run_once(
    pool: &Pool,
    salts: &SaltStore,
    session_timeout_secs: f64,
) -> anyhow::Result<()> {
    salts.rotate(chrono::Utc::now().timestamp_millis()).await?;
    let mut conn = pool.get().await?;
    purge_expired(&mut conn, session_timeout_secs).await?;
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
