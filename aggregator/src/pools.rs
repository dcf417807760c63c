//! The server's connection pools, one per kind of work, so no kind can starve another.
//!
//! With a single pool, unauthenticated dashboard traffic (a burst of logins) could hold every
//! connection, and beacons (whose service lookup needs one), edge batches and `/healthz` then
//! failed with it. Each pool here is sized on its own:
//!
//! - `ingest`: the writer, service lookups, salts and background jobs (`--db-pool-size`);
//! - `edge`: signed edge batches (`--edge-pool-size`);
//! - `dashboard`: pages, accounts and the API (`--dashboard-pool-size`); a request that finds
//!   no free connection within [`DASHBOARD_POOL_WAIT`] is answered 429 at once instead of
//!   queueing behind the burst;
//! - `health`: `/healthz` ([`HEALTH_POOL_SIZE`]), so probes answer whatever else is busy.
//!
//! The defaults add up to 22 connections per process (8 + 8 + 4 + 2), well inside the embedded
//! cluster's `max_connections = 100` even with the admin commands and a second process beside
//! it; with an external server, replicas × 22 must fit its `max_connections`.

use crate::db::{make_pool, make_pool_waiting};
use deadpool_postgres::Pool;
use std::time::Duration;

/// How long a dashboard request waits for a connection before it is answered 429.
pub const DASHBOARD_POOL_WAIT: Duration = Duration::from_secs(2);
/// Connections for `/healthz` (one probe at a time needs one; two ride out a slow one).
pub const HEALTH_POOL_SIZE: usize = 2;
/// Default size of the edge batch pool: batches are applied one transaction each, and the
/// edge consumer keeps several in flight; with 4 connections, 8 concurrent batches ran at two
/// thirds of the single-pool throughput (`bench/edge_batch.sh`), with 8 at par.
pub const DEFAULT_EDGE_POOL_SIZE: usize = 8;
/// Default size of the dashboard pool: page queries are short, and a busy dashboard answers
/// 429 rather than queueing, so a few connections serve many people.
pub const DEFAULT_DASHBOARD_POOL_SIZE: usize = 4;

/// Sizes of the pools opened next to the ingest pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolSizes {
    /// Edge batch pool.
    pub edge: usize,
    /// Dashboard pool.
    pub dashboard: usize,
}

impl Default for PoolSizes {
    fn default() -> Self {
        PoolSizes {
            edge: DEFAULT_EDGE_POOL_SIZE,
            dashboard: DEFAULT_DASHBOARD_POOL_SIZE,
        }
    }
}

/// One pool per kind of work.
#[derive(Clone)]
pub struct Pools {
    /// Writer, service lookups, salts, jobs.
    pub ingest: Pool,
    /// Edge batches.
    pub edge: Pool,
    /// Dashboard pages, accounts, API.
    pub dashboard: Pool,
    /// `/healthz`.
    pub health: Pool,
    /// Read replicas for the dashboard's, the API's figures (none unless configured).
    pub replicas: crate::replicas::ReplicaSet,
    /// The backends are processes of this machine started for this install (the embedded
    /// cluster), so the rollup may lower its backend's CPU priority.
    pub local_cluster: bool,
}

impl Pools {
    /// Opens the edge, dashboard and health pools on `cfg` beside an existing ingest pool.
    /// Connections are made on first use, so nothing here waits on the database.
    pub fn open(
        ingest: Pool,
        cfg: &tokio_postgres::Config,
        sizes: PoolSizes,
    ) -> anyhow::Result<Pools> {
        Ok(Pools {
            ingest,
            edge: make_pool(cfg.clone(), sizes.edge)?,
            dashboard: make_pool_waiting(cfg.clone(), sizes.dashboard, DASHBOARD_POOL_WAIT)?,
            health: make_pool(cfg.clone(), HEALTH_POOL_SIZE)?,
            replicas: Default::default(),
            local_cluster: false,
        })
    }

    /// Adds read replicas (`--read-database-url`); each gets a pool the size of the
    /// dashboard's, so replicas × that size must fit each standby's `max_connections`.
    pub fn with_replicas(mut self, replicas: crate::replicas::ReplicaSet) -> Pools {
        self.replicas = replicas;
        self
    }

    /// Marks the pools as connected to the embedded cluster ([`Pools::local_cluster`]).
    pub fn on_local_cluster(mut self, local: bool) -> Pools {
        self.local_cluster = local;
        self
    }

    /// Closes every pool.
    pub fn close(&self) {
        for p in [&self.ingest, &self.edge, &self.dashboard, &self.health] {
            p.close();
        }
        self.replicas.reads.close();
    }
}

impl From<Pool> for Pools {
    /// One pool for every kind of work: for tests of a single part. The server opens separate
    /// pools with [`Pools::open`].
    fn from(pool: Pool) -> Self {
        Pools {
            ingest: pool.clone(),
            edge: pool.clone(),
            dashboard: pool.clone(),
            health: pool,
            replicas: Default::default(),
            local_cluster: false,
        }
    }
}
