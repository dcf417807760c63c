//! Where the database is (a URL, or the embedded cluster), the connection pool, and the
//! migrations applied at start-up.

use crate::embedded_pg::{Cluster, DB_NAME};
use anyhow::Context;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;
use tokio_postgres::NoTls;

mod embedded {
    refinery::embed_migrations!("../migrations");
}

/// Key for the advisory lock that serialises migrations when several replicas start at once.
const MIGRATION_LOCK_KEY: i64 = 0x5348_594e_4554; // "SHYNET"

/// An open database: the pool plus, for the embedded mode, the cluster to release on exit.
pub struct Database {
    /// Connections for ingestion, the writer, jobs and the admin commands (the server opens
    /// its other pools from [`Database::pg_config`], see [`crate::pools`]).
    pub pool: Pool,
    /// Where the database is, for opening further pools.
    pub pg_config: tokio_postgres::Config,
    /// The embedded cluster this process registered with, if any.
    pub cluster: Option<Cluster>,
}

impl Database {
    /// Connects to `database_url`, or starts/joins the embedded cluster under `data_dir`.
    pub async fn open(
        database_url: Option<&str>,
        data_dir: &Path,
        pool_size: usize,
    ) -> anyhow::Result<Database> {
        match database_url.filter(|u| !u.trim().is_empty()) {
            Some(url) => {
                let cfg = tokio_postgres::Config::from_str(url)
                    .context("DATABASE_URL is not a valid Postgres connection string")?;
                let pool = make_pool(cfg.clone(), pool_size)?;
                wait_until_ready(&pool).await?;
                Ok(Database {
                    pool,
                    pg_config: cfg,
                    cluster: None,
                })
            }
            None => {
                let dir = data_dir.to_path_buf();
                let cluster = tokio::task::spawn_blocking(move || Cluster::ensure_running(&dir))
                    .await
                    .context("embedded Postgres start-up task")??;
                ensure_database(&cluster.pg_config("postgres")).await?;
                let cfg = cluster.pg_config(DB_NAME);
                let pool = make_pool(cfg.clone(), pool_size)?;
                wait_until_ready(&pool).await?;
                Ok(Database {
                    pool,
                    pg_config: cfg,
                    cluster: Some(cluster),
                })
            }
        }
    }

    /// Closes the pool and releases the embedded cluster (stopping it if we are last out).
    pub async fn close(self) -> anyhow::Result<()> {
        self.pool.close();
        if let Some(cluster) = self.cluster {
            tokio::task::spawn_blocking(move || cluster.release())
                .await
                .context("embedded Postgres stop task")??;
        }
        Ok(())
    }
}

/// How long a caller of an ordinary pool waits for a free connection.
pub const POOL_WAIT: Duration = Duration::from_secs(10);

/// Builds a pool; statements are prepared per connection and cached.
pub fn make_pool(cfg: tokio_postgres::Config, size: usize) -> anyhow::Result<Pool> {
    make_pool_waiting(cfg, size, POOL_WAIT)
}

/// Like [`make_pool`], with callers waiting at most `wait` for a free connection.
pub fn make_pool_waiting(
    cfg: tokio_postgres::Config,
    size: usize,
    wait: Duration,
) -> anyhow::Result<Pool> {
    let mut cfg = cfg;
    if cfg.get_connect_timeout().is_none() {
        cfg.connect_timeout(Duration::from_secs(5));
    }
    let mgr = Manager::from_config(
        cfg,
        NoTls,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    Pool::builder(mgr)
        .max_size(size.max(2))
        .wait_timeout(Some(wait))
        .create_timeout(Some(Duration::from_secs(10)))
        .runtime(deadpool_postgres::Runtime::Tokio1)
        .build()
        .context("building the connection pool")
}

/// Retries the first connection for a few seconds (a server that just started may still be
/// recovering).
async fn wait_until_ready(pool: &Pool) -> anyhow::Result<()> {
    let mut last = None;
    for _ in 0..100 {
        match pool.get().await {
            Ok(c) => match c.simple_query("SELECT 1").await {
                Ok(_) => return Ok(()),
                Err(e) => last = Some(anyhow::Error::from(e)),
            },
            Err(e) => last = Some(anyhow::Error::from(e)),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(last
        .unwrap_or_else(|| anyhow::anyhow!("no connection"))
        .context("cannot connect to Postgres"))
}

/// Creates the `shynet` database in a fresh embedded cluster.
async fn ensure_database(admin: &tokio_postgres::Config) -> anyhow::Result<()> {
    let pool = make_pool(admin.clone(), 1)?;
    wait_until_ready(&pool).await?;
    let client = pool.get().await?;
    let exists = client
        .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&DB_NAME])
        .await?
        .is_some();
    if !exists {
        // Two commands racing here: the loser sees a duplicate_database error, which is fine.
        if let Err(e) = client
            .batch_execute(&format!("CREATE DATABASE {DB_NAME}"))
            .await
        {
            if e.code() != Some(&tokio_postgres::error::SqlState::DUPLICATE_DATABASE) {
                return Err(e).context("creating the shynet database");
            }
        }
    }
    drop(client);
    pool.close();
    Ok(())
}

/// Applies pending migrations under an advisory lock, so replicas starting together do not race.
pub async fn migrate(pool: &Pool) -> anyhow::Result<usize> {
    migrate_to(pool, None).await
}

/// Applies migrations up to `version` (all when `None`). Upgrade tests use it to build an install
/// as an older release left it, then migrate it the rest of the way.
pub async fn migrate_to(pool: &Pool, version: Option<i32>) -> anyhow::Result<usize> {
    let mut conn = pool.get().await.context("connection for migrations")?;
    conn.execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK_KEY])
        .await?;
    let client: &mut tokio_postgres::Client = &mut conn;
    let target = match version {
        Some(v) => refinery::Target::Version(v),
        None => refinery::Target::Latest,
    };
    let report = embedded::migrations::runner()
        .set_target(target)
        .run_async(client)
        .await;
    conn.execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK_KEY])
        .await?;
    let report = report.context("applying migrations")?;
    Ok(report.applied_migrations().len())
}
