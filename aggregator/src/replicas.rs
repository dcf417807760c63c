//! Read replicas (`--read-database-url`): their pools, the background lag check that decides
//! which are used, and how they show in `/healthz?format=json` and the metrics.
//!
//! Which reads go to a replica is decided by the dashboard ([`dashboard::read_pool`]): only the
//! figures of the `stats` crate. This module measures each replica's lag every
//! [`REPLICA_CHECK_INTERVAL`]: the primary's flushed WAL position is read first; a replica that
//! has replayed up to it is 0 s behind. Otherwise its lag is the age of the last transaction it
//! replayed (`pg_last_xact_replay_timestamp()`), or, when smaller, the time since the previous
//! check if the replica has replayed the position the primary had then: a quiet primary's
//! background WAL (a checkpoint after minutes without a commit) then does not make an up-to-date
//! replica look minutes behind. A replica more than the bound behind, not in
//! recovery, or not answering is skipped, and its reads go to the primary, until a later check
//! finds it fit again. Requests never wait on a check.

use crate::db::make_pool_waiting;
use anyhow::Context;
use dashboard::read_pool::{ReadReplicas, ReplicaStatus, SkipReason};
use deadpool_postgres::Pool;
use std::fmt::Write as _;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Default bound of a replica's replay lag (`--replica-max-lag`), in seconds.
pub const DEFAULT_REPLICA_MAX_LAG_SECS: u64 = 10;
/// How often each replica's lag is measured.
pub const REPLICA_CHECK_INTERVAL: Duration = Duration::from_secs(1);
/// How long one replica's (or the primary's) check may take before it counts as unreachable.
pub const REPLICA_CHECK_TIMEOUT: Duration = Duration::from_secs(2);
/// How long a statistics read waits for a replica connection before it is refused (as the
/// dashboard pool does): a busy replica answers 429 quickly instead of queueing.
pub const REPLICA_POOL_WAIT: Duration = Duration::from_secs(2);
/// Most read replicas: each has its own pool, and every pool counts against server limits.
pub const MAX_READ_REPLICAS: usize = 8;

/// The configured replicas with their lag bound (empty by default; cheap to clone).
#[derive(Clone)]
pub struct ReplicaSet {
    /// The replicas, shared with the dashboard.
    pub reads: ReadReplicas,
    /// Replay lag past which a replica is skipped.
    pub max_lag: Duration,
    /// The primary's position at the previous check, and when it was read.
    previous: Arc<Mutex<Option<(Instant, String)>>>,
}

impl Default for ReplicaSet {
    fn default() -> Self {
        ReplicaSet {
            reads: ReadReplicas::default(),
            max_lag: Duration::from_secs(DEFAULT_REPLICA_MAX_LAG_SECS),
            previous: Arc::default(),
        }
    }
}

/// The host(s) and port(s) of a connection string: what may be shown and logged (never the
/// user, password or options).
pub fn label(cfg: &tokio_postgres::Config) -> String {
    let ports = cfg.get_ports();
    cfg.get_hosts()
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let host = match h {
                tokio_postgres::config::Host::Tcp(s) => s.clone(),
                tokio_postgres::config::Host::Unix(p) => p.display().to_string(),
            };
            let port = ports.get(i).or(ports.first()).copied().unwrap_or(5432);
            format!("{host}:{port}")
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// Parses the `--read-database-url` values. Errors name the position, never the value (it may
/// hold a password).
pub fn parse_urls(urls: &[String]) -> anyhow::Result<Vec<tokio_postgres::Config>> {
    let urls: Vec<&str> = urls
        .iter()
        .map(|u| u.trim())
        .filter(|u| !u.is_empty())
        .collect();
    if urls.len() > MAX_READ_REPLICAS {
        anyhow::bail!(
            "--read-database-url: {} replicas given, at most {MAX_READ_REPLICAS} are supported",
            urls.len()
        );
    }
    urls.iter()
        .enumerate()
        .map(|(i, u)| {
            tokio_postgres::Config::from_str(u).map_err(|e| {
                anyhow::anyhow!(
                    "--read-database-url: replica {} is not a valid Postgres connection string ({})",
                    i + 1,
                    redact_error(&e.to_string(), u)
                )
            })
        })
        .collect()
}

/// The parser's message with the connection string itself cut out, in case it was quoted.
fn redact_error(msg: &str, url: &str) -> String {
    msg.replace(url, "<connection string>")
}

impl ReplicaSet {
    /// Opens one pool of `pool_size` connections per replica (connections are made on first
    /// use, so nothing here waits on a replica).
    pub fn open(urls: &[String], pool_size: usize, max_lag: Duration) -> anyhow::Result<Self> {
        let mut replicas = Vec::new();
        for cfg in parse_urls(urls)? {
            let mut cfg = cfg;
            if cfg.get_application_name().is_none() {
                cfg.application_name("shynet-read");
            }
            let label = label(&cfg);
            let pool = make_pool_waiting(cfg, pool_size, REPLICA_POOL_WAIT)
                .with_context(|| format!("read replica {label}"))?;
            replicas.push((label, pool));
        }
        Ok(ReplicaSet {
            reads: ReadReplicas::new(replicas),
            max_lag,
            previous: Arc::default(),
        })
    }

    /// Measures every replica once against `primary` and records the verdicts.
    pub async fn check_once(&self, primary: &Pool) {
        if self.reads.is_empty() {
            return;
        }
        let primary_lsn = tokio::time::timeout(REPLICA_CHECK_TIMEOUT, primary_flush_lsn(primary))
            .await
            .ok()
            .and_then(Result::ok);
        let previous = {
            let mut p = self.previous.lock().unwrap_or_else(|e| e.into_inner());
            let before = p.take();
            *p = primary_lsn.clone().map(|l| (Instant::now(), l));
            before
        };
        for r in self.reads.all() {
            let before = r.status();
            let after = match &primary_lsn {
                None => ReplicaStatus {
                    lag_seconds: before.lag_seconds,
                    skipped: Some(SkipReason::PrimaryUnavailable),
                },
                Some(lsn) => {
                    let prev = previous.as_ref().map(|(_, l)| l.as_str());
                    match tokio::time::timeout(REPLICA_CHECK_TIMEOUT, measure(&r.pool, lsn, prev))
                        .await
                    {
                        Ok(Ok(m)) => {
                            let since_previous = previous
                                .as_ref()
                                .filter(|_| m.replayed_previous)
                                .map(|(at, _)| at.elapsed().as_secs_f64());
                            self.verdict(m, since_previous)
                        }
                        _ => ReplicaStatus {
                            lag_seconds: None,
                            skipped: Some(SkipReason::Unreachable),
                        },
                    }
                }
            };
            if before.in_use() != after.in_use() {
                match after.skipped {
                    None => {
                        tracing::info!(replica = %r.label, lag = ?after.lag_seconds, "read replica in use")
                    }
                    Some(reason) => {
                        tracing::warn!(replica = %r.label, ?reason, lag = ?after.lag_seconds, "read replica skipped: its reads go to the primary")
                    }
                }
            }
            r.set_status(after);
        }
    }

    /// The state a measurement gives; `since_previous` is the time since the previous check
    /// when the replica has replayed the primary's position of then (an upper bound of its lag).
    fn verdict(&self, m: Measured, since_previous: Option<f64>) -> ReplicaStatus {
        if !m.in_recovery {
            return ReplicaStatus {
                lag_seconds: None,
                skipped: Some(SkipReason::NotStandby),
            };
        }
        let lag = if m.caught_up {
            Some(0.0)
        } else {
            match (m.replay_age.map(|a| a.max(0.0)), since_previous) {
                (Some(a), Some(p)) => Some(a.min(p)),
                (a, p) => a.or(p),
            }
        };
        let skipped = match lag {
            None => Some(SkipReason::LagUnknown),
            Some(l) if l > self.max_lag.as_secs_f64() => Some(SkipReason::Lagging),
            Some(_) => None,
        };
        ReplicaStatus {
            lag_seconds: lag,
            skipped,
        }
    }

    /// Checks the replicas every [`REPLICA_CHECK_INTERVAL`] for as long as the server runs.
    pub fn spawn_checker(&self, primary: Pool) -> tokio::task::JoinHandle<()> {
        let set = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(REPLICA_CHECK_INTERVAL);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                set.check_once(&primary).await;
            }
        })
    }

    /// The replicas' state for `/healthz?format=json` (`None` when none is configured).
    pub fn health_json(&self) -> Option<serde_json::Value> {
        if self.reads.is_empty() {
            return None;
        }
        let list: Vec<serde_json::Value> = self
            .reads
            .all()
            .iter()
            .map(|r| {
                let s = r.status();
                serde_json::json!({
                    "host": r.label,
                    "lag_seconds": s.lag_seconds,
                    "status": if s.in_use() { "in_use" } else { "skipped" },
                    "reason": s.skipped,
                })
            })
            .collect();
        Some(serde_json::json!({
            "max_lag_seconds": self.max_lag.as_secs_f64(),
            "replicas": list,
        }))
    }

    /// Appends the replica series in Prometheus' text format to `out`:
    /// `shynet_replica_lag_seconds{replica="host:port"}` (when known) and
    /// `shynet_replica_in_use{replica="host:port"}` (1 or 0).
    pub fn append_prometheus(&self, out: &mut String) {
        if self.reads.is_empty() {
            return;
        }
        out.push_str("# HELP shynet_replica_lag_seconds Replay lag of a read replica behind the primary at the last check.\n# TYPE shynet_replica_lag_seconds gauge\n");
        for r in self.reads.all() {
            if let Some(l) = r.status().lag_seconds {
                let _ = writeln!(
                    out,
                    "shynet_replica_lag_seconds{{replica=\"{}\"}} {l}",
                    escape_label(&r.label)
                );
            }
        }
        out.push_str("# HELP shynet_replica_in_use Whether statistics reads go to a read replica (0 = skipped).\n# TYPE shynet_replica_in_use gauge\n");
        for r in self.reads.all() {
            let _ = writeln!(
                out,
                "shynet_replica_in_use{{replica=\"{}\"}} {}",
                escape_label(&r.label),
                u8::from(r.status().in_use())
            );
        }
    }
}

/// A label value as the text format wants it.
fn escape_label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// What one check of a replica found.
struct Measured {
    in_recovery: bool,
    caught_up: bool,
    replayed_previous: bool,
    replay_age: Option<f64>,
}

async fn primary_flush_lsn(primary: &Pool) -> anyhow::Result<String> {
    let c = primary.get().await?;
    let row = c
        .query_one("SELECT pg_current_wal_flush_lsn()::text", &[])
        .await?;
    Ok(row.get(0))
}

async fn measure(
    replica: &Pool,
    primary_lsn: &str,
    previous_lsn: Option<&str>,
) -> anyhow::Result<Measured> {
    let c = replica.get().await?;
    let row = c
        .query_one(
            "SELECT pg_is_in_recovery(), \
                    COALESCE(pg_last_wal_replay_lsn() >= $1::text::pg_lsn, false), \
                    COALESCE(pg_last_wal_replay_lsn() >= $2::text::pg_lsn, false), \
                    EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp())::float8",
            &[&primary_lsn, &previous_lsn],
        )
        .await?;
    Ok(Measured {
        in_recovery: row.get(0),
        caught_up: row.get(1),
        replayed_previous: row.get(2),
        replay_age: row.get(3),
    })
}

/// The pool `shynet stats` reads its figures from: the first replica in use after one check,
/// else the primary's.
pub async fn pool_for_cli(
    urls: &[String],
    max_lag: Duration,
    primary: &Pool,
) -> anyhow::Result<Pool> {
    let set = ReplicaSet::open(urls, 2, max_lag)?;
    if set.reads.is_empty() {
        return Ok(primary.clone());
    }
    set.check_once(primary).await;
    match set.reads.pick() {
        Some(r) => {
            tracing::info!(replica = %r.label, "reading figures from a read replica");
            Ok(r.pool.clone())
        }
        None => {
            tracing::warn!("no read replica is usable now; reading figures from the primary");
            Ok(primary.clone())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_and_errors_never_show_credentials() {
        let cfgs = parse_urls(&[
            "postgres://reader:s3cret@db-replica-1.internal:6432/shynet".into(),
            " ".into(),
            "host=/run/pg port=5433 user=u password=hunter2".into(),
        ])
        .unwrap();
        assert_eq!(cfgs.len(), 2);
        assert_eq!(label(&cfgs[0]), "db-replica-1.internal:6432");
        assert_eq!(label(&cfgs[1]), "/run/pg:5433");
        let err = parse_urls(&["postgres://u:s3cret@h:notaport/db".into()])
            .unwrap_err()
            .to_string();
        assert!(err.contains("replica 1"), "{err}");
        assert!(!err.contains("s3cret"), "{err}");
        let many: Vec<String> = (0..=MAX_READ_REPLICAS)
            .map(|i| format!("postgres://h{i}/db"))
            .collect();
        assert!(parse_urls(&many)
            .unwrap_err()
            .to_string()
            .contains("at most"));
    }

    #[test]
    fn lag_is_zero_when_caught_up_and_bounded_by_the_previous_check() {
        let set = ReplicaSet::default();
        let m = |in_recovery, caught_up, replay_age| Measured {
            in_recovery,
            caught_up,
            replayed_previous: false,
            replay_age,
        };
        let v = set.verdict(m(true, true, Some(600.0)), None);
        assert_eq!((v.lag_seconds, v.skipped), (Some(0.0), None));
        // Old last transaction, but the position of a second ago is replayed: 1 s behind at most.
        let v = set.verdict(m(true, false, Some(600.0)), Some(1.0));
        assert_eq!((v.lag_seconds, v.skipped), (Some(1.0), None));
        let v = set.verdict(m(true, false, Some(600.0)), None);
        assert_eq!(v.skipped, Some(SkipReason::Lagging));
        let v = set.verdict(m(true, false, None), None);
        assert_eq!(
            (v.lag_seconds, v.skipped),
            (None, Some(SkipReason::LagUnknown))
        );
        let v = set.verdict(m(false, false, None), None);
        assert_eq!(v.skipped, Some(SkipReason::NotStandby));
    }

    #[test]
    fn prometheus_lines_escape_labels() {
        assert_eq!(escape_label("a\"b\\c"), "a\\\"b\\\\c");
        let set = ReplicaSet::open(
            &["postgres://u:pw@replica-a:5432/db".into()],
            2,
            Duration::from_secs(10),
        )
        .unwrap();
        set.reads.all()[0].set_status(ReplicaStatus {
            lag_seconds: Some(1.5),
            skipped: None,
        });
        let mut out = String::new();
        set.append_prometheus(&mut out);
        assert!(out.contains("shynet_replica_lag_seconds{replica=\"replica-a:5432\"} 1.5\n"));
        assert!(out.contains("shynet_replica_in_use{replica=\"replica-a:5432\"} 1\n"));
        assert!(!out.contains("pw"));
    }
}
