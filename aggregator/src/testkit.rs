//! Test support shared by this crate's integration tests and the cross-process tests: one
//! throwaway Postgres cluster per test process (a real server from the system binaries, run as a
//! child that dies with the process) and a fresh, migrated database per test.

use crate::embedded_pg::throwaway::ThrowawayCluster;
use deadpool_postgres::Pool;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

static CLUSTER: OnceLock<Result<ThrowawayCluster, String>> = OnceLock::new();
static DB_COUNTER: AtomicUsize = AtomicUsize::new(0);

/// Every scratch-directory tag the test suites use (`<temp>/shynet-<tag>-<pid>…`); leftovers
/// of dead test processes under these names are deleted when a test process starts a cluster.
pub const SCRATCH_TAGS: &[&str] = &[
    "test",
    "cli",
    "nopg",
    "nobins",
    "dash-browser",
    "chrome",
    "hostile",
    "edges",
    "privacy",
    "outage",
    "sigterm",
    "sigkill",
    "replicas",
];

/// The process's throwaway cluster, started on first use.
pub fn cluster() -> anyhow::Result<&'static ThrowawayCluster> {
    CLUSTER
        .get_or_init(|| {
            crate::embedded_pg::throwaway::sweep_stale(SCRATCH_TAGS);
            let dir = std::env::temp_dir().join(format!("shynet-test-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            ThrowawayCluster::start(&dir).map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| anyhow::anyhow!("cannot start a throwaway Postgres: {e}"))
}

/// A new empty database with all migrations applied, and its connection settings.
pub async fn fresh_db() -> anyhow::Result<(Pool, tokio_postgres::Config)> {
    let (pool, cfg) = empty_db().await?;
    crate::db::migrate(&pool).await?;
    Ok((pool, cfg))
}

/// A new database with no schema at all (for upgrade tests that migrate step by step).
pub async fn empty_db() -> anyhow::Result<(Pool, tokio_postgres::Config)> {
    let c = cluster()?;
    let name = format!(
        "t{}_{}",
        std::process::id(),
        DB_COUNTER.fetch_add(1, Ordering::SeqCst)
    );
    let admin = crate::db::make_pool(c.dirs.pg_config("postgres"), 1)?;
    let mut tries = 0;
    let client = loop {
        match admin.get().await {
            Ok(cl) => break cl,
            Err(e) => {
                tries += 1;
                if tries > 300 {
                    anyhow::bail!("cannot connect to the throwaway cluster: {e}");
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    };
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await?;
    drop(client);
    admin.close();
    let cfg = c.dirs.pg_config(&name);
    let pool = crate::db::make_pool(cfg.clone(), 8)?;
    Ok((pool, cfg))
}
