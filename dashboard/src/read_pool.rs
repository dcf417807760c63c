//! Where statistics are read from: hot standbys (read replicas) when they are close enough to the
//! primary, the primary otherwise.
//!
//! Only figures computed by the `stats` crate (totals, tables, charts, session lists) are read
//! here. Accounts, permissions, service settings and everything a request may just have written
//! (a service created a moment ago, then its page) stay on the primary, so a replica's lag can
//! never make a page refuse or misname what its owner just made; at worst the figures are
//! behind by the lag bound.
//!
//! The state of each replica (lag, in use or skipped) is set by a background check in the
//! aggregator, never per request; a request only picks the next replica in use, round robin. A
//! replica that refuses a connection is marked skipped at once and the request falls back to
//! the primary, until the next check finds it healthy again.

use deadpool_postgres::{Object, Pool, PoolError};
use serde::Serialize;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// Why a replica is not used (shown in `/healthz?format=json`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// Not checked yet (the first check runs at start-up).
    NotChecked,
    /// Its replay is further behind the primary than the bound.
    Lagging,
    /// Its lag cannot be told (it has replayed no transaction yet and is behind).
    LagUnknown,
    /// It did not answer.
    Unreachable,
    /// It is not in recovery: a promoted or unrelated server, whose data may differ.
    NotStandby,
    /// The primary did not answer the check, so the lag cannot be measured.
    PrimaryUnavailable,
}

/// One replica's last known state.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ReplicaStatus {
    /// Replay lag in seconds at the last check (`None` when unknown).
    pub lag_seconds: Option<f64>,
    /// Why it is skipped; `None` = in use.
    pub skipped: Option<SkipReason>,
}

impl ReplicaStatus {
    /// Whether reads go to it.
    pub fn in_use(&self) -> bool {
        self.skipped.is_none()
    }
}

/// A hot standby and its pool.
pub struct Replica {
    /// Host and port, never user or password (for health output, logs and metrics).
    pub label: String,
    /// Its connections (bounded like the dashboard's own pool).
    pub pool: Pool,
    status: Mutex<ReplicaStatus>,
}

impl Replica {
    /// The last known state.
    pub fn status(&self) -> ReplicaStatus {
        *self.status.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records a check's verdict.
    pub fn set_status(&self, s: ReplicaStatus) {
        *self.status.lock().unwrap_or_else(|e| e.into_inner()) = s;
    }
}

/// The configured replicas (none by default; cheap to clone).
#[derive(Clone, Default)]
pub struct ReadReplicas {
    replicas: Arc<Vec<Replica>>,
    next: Arc<AtomicUsize>,
}

impl ReadReplicas {
    /// Replicas with their labels and pools, all skipped until checked.
    pub fn new(replicas: Vec<(String, Pool)>) -> ReadReplicas {
        ReadReplicas {
            replicas: Arc::new(
                replicas
                    .into_iter()
                    .map(|(label, pool)| Replica {
                        label,
                        pool,
                        status: Mutex::new(ReplicaStatus {
                            lag_seconds: None,
                            skipped: Some(SkipReason::NotChecked),
                        }),
                    })
                    .collect(),
            ),
            next: Arc::default(),
        }
    }

    /// Every replica, in the order configured.
    pub fn all(&self) -> &[Replica] {
        &self.replicas
    }

    /// Whether no replica is configured.
    pub fn is_empty(&self) -> bool {
        self.replicas.is_empty()
    }

    /// The next replica in use, round robin; `None` when all are skipped.
    pub fn pick(&self) -> Option<&Replica> {
        let n = self.replicas.len();
        if n == 0 {
            return None;
        }
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        (0..n)
            .map(|i| &self.replicas[(start + i) % n])
            .find(|r| r.status().in_use())
    }

    /// A connection for statistics reads: from a replica in use, else from `primary`. A
    /// replica that cannot connect is marked unreachable and the primary answers instead; a
    /// replica whose pool stays busy answers like a busy dashboard pool (429), rather than
    /// moving its whole load onto the primary.
    pub async fn client(&self, primary: &Pool) -> Result<Object, PoolError> {
        if let Some(r) = self.pick() {
            match r.pool.get().await {
                Ok(c) => return Ok(c),
                Err(e @ PoolError::Timeout(deadpool_postgres::TimeoutType::Wait)) => return Err(e),
                Err(e) => {
                    tracing::warn!(replica = %r.label, error = %e, "read replica unavailable; reading from the primary");
                    r.set_status(ReplicaStatus {
                        lag_seconds: r.status().lag_seconds,
                        skipped: Some(SkipReason::Unreachable),
                    });
                }
            }
        }
        primary.get().await
    }

    /// A connection from a replica in use, else from `primary`, only if one is free right now
    /// (see [`crate::state::DashboardState::spare_read_client`]).
    pub async fn spare_client(&self, primary: &Pool) -> Option<Object> {
        match self.pick() {
            Some(r) => now_or_never(&r.pool).await,
            None => now_or_never(primary).await,
        }
    }

    /// Closes every replica pool.
    pub fn close(&self) {
        for r in self.replicas.iter() {
            r.pool.close();
        }
    }
}

/// A connection from `pool` if one is free (idle, or room to open one) at once; never waits.
pub async fn now_or_never(pool: &Pool) -> Option<Object> {
    let mut t = pool.timeouts();
    t.wait = Some(std::time::Duration::ZERO);
    pool.timeout_get(&t).await.ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool() -> Pool {
        let mgr =
            deadpool_postgres::Manager::new(tokio_postgres::Config::new(), tokio_postgres::NoTls);
        Pool::builder(mgr).max_size(1).build().unwrap()
    }

    fn set(r: &Replica, skipped: Option<SkipReason>) {
        r.set_status(ReplicaStatus {
            lag_seconds: Some(0.0),
            skipped,
        });
    }

    #[test]
    fn picks_only_replicas_in_use_in_turn() {
        let reads = ReadReplicas::new(vec![("a:5432".into(), pool()), ("b:5432".into(), pool())]);
        assert!(reads.pick().is_none(), "unchecked replicas are not used");
        set(&reads.all()[0], None);
        set(&reads.all()[1], None);
        let picked: Vec<&str> = (0..4)
            .map(|_| reads.pick().unwrap().label.as_str())
            .collect();
        assert_ne!(picked[0], picked[1], "{picked:?}");
        assert_eq!((picked[0], picked[1]), (picked[2], picked[3]), "{picked:?}");
        set(&reads.all()[0], Some(SkipReason::Lagging));
        assert!((0..4).all(|_| reads.pick().unwrap().label == "b:5432"));
        set(&reads.all()[1], Some(SkipReason::Unreachable));
        assert!(reads.pick().is_none());
        assert!(ReadReplicas::default().pick().is_none());
    }
}
