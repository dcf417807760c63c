//! Right to erasure: deletes the sessions a selector picks (one visitor's identifier or IP, one
//! session, or a time range of a service), with their page views, custom events and live
//! sessionizer state, and re-rolls every hour those rows were counted in, so totals drop too
//! and every figure still equals its raw recomputation.
//!
//! It lives beside [`crate::rollup`] because deleting raw rows is only half the job: the rollups
//! of closed hours would otherwise keep counting what is gone. The whole erasure runs in the
//! caller's transaction (the audit row is written in the same one), under the rollup
//! watermark's row lock, so a concurrent rollup pass cannot roll the same hours from a snapshot
//! that still holds the deleted rows.

use crate::rollup;
use chrono::{DateTime, Utc};
use std::net::IpAddr;
use tokio_postgres::types::ToSql;
use tokio_postgres::Transaction;
use uuid::Uuid;

/// Which sessions of a service an erasure deletes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    /// Every session the site tagged with this identifier (`/ingress/{service}/{identifier}/…`).
    Identifier(String),
    /// Every session stored with this IP (services that collect IPs).
    Ip(IpAddr),
    /// One session.
    Session(Uuid),
    /// Every session that started in [from, to).
    Range(DateTime<Utc>, DateTime<Utc>),
}

impl Selector {
    /// The selector's kind as the audit log stores it.
    pub fn kind(&self) -> &'static str {
        match self {
            Selector::Identifier(_) => "identifier",
            Selector::Ip(_) => "ip",
            Selector::Session(_) => "session",
            Selector::Range(..) => "range",
        }
    }

    /// The `WHERE` condition on `sessions` (after `service_id = $1`) and its parameter(s).
    fn condition(&self) -> (&'static str, Vec<Box<dyn ToSql + Sync + Send>>) {
        match self {
            Selector::Identifier(x) => (
                "identifier = $2 AND identifier <> ''",
                vec![Box::new(x.clone())],
            ),
            Selector::Ip(ip) => ("ip = $2::inet", vec![Box::new(*ip)]),
            Selector::Session(id) => ("id = $2", vec![Box::new(*id)]),
            Selector::Range(lo, hi) => (
                "start_time >= $2 AND start_time < $3",
                vec![Box::new(*lo), Box::new(*hi)],
            ),
        }
    }
}

/// What an erasure deleted (or, in a dry run, would delete).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    /// Sessions (visits).
    pub sessions: i64,
    /// Page views of those sessions.
    pub hits: i64,
    /// Custom events of those sessions.
    pub events: i64,
    /// Live sessionizer rows (`active_sessions`, `active_hits`) of those sessions.
    pub live_rows: i64,
    /// Hours whose rollups were recomputed.
    pub hours_rerolled: i64,
}

impl Counts {
    /// Whether nothing matched.
    pub fn is_empty(&self) -> bool {
        self.sessions == 0 && self.hits == 0 && self.events == 0 && self.live_rows == 0
    }
}

/// The temporary table of the sessions an erasure targets (dropped at commit or rollback).
const TARGETS: &str = "erasure_targets";

/// Collects the target sessions and counts what goes with them. Nothing is deleted.
async fn collect(
    tx: &Transaction<'_>,
    service: Uuid,
    selector: &Selector,
) -> Result<Counts, tokio_postgres::Error> {
    let (cond, params) = selector.condition();
    let mut args: Vec<&(dyn ToSql + Sync)> = vec![&service];
    args.extend(params.iter().map(|p| p.as_ref() as &(dyn ToSql + Sync)));
    tx.execute(
        &format!(
            "CREATE TEMP TABLE {TARGETS} ON COMMIT DROP AS
             SELECT id, start_time FROM sessions WHERE service_id = $1 AND {cond}"
        ),
        &args,
    )
    .await?;
    tx.execute(&format!("CREATE INDEX ON {TARGETS} (id)"), &[])
        .await?;
    tx.execute(&format!("ANALYZE {TARGETS}"), &[]).await?;
    let r = tx
        .query_one(
            &format!(
                "SELECT (SELECT count(*) FROM {TARGETS}),
                        (SELECT count(*) FROM hits h JOIN {TARGETS} t ON h.session_id = t.id
                          WHERE h.service_id = $1),
                        (SELECT count(*) FROM events e JOIN {TARGETS} t ON e.session_id = t.id
                          WHERE e.service_id = $1),
                        (SELECT count(*) FROM active_sessions a JOIN {TARGETS} t
                           ON a.session_id = t.id WHERE a.service_id = $1)
                      + (SELECT count(*) FROM active_hits a JOIN {TARGETS} t
                           ON a.session_id = t.id WHERE a.service_id = $1)"
            ),
            &[&service],
        )
        .await?;
    Ok(Counts {
        sessions: r.get(0),
        hits: r.get(1),
        events: r.get(2),
        live_rows: r.get(3),
        hours_rerolled: 0,
    })
}

/// Counts what [`erase`] would delete, without deleting (the transaction should be rolled back:
/// it holds a temporary table until it ends).
pub async fn dry_run(
    tx: &Transaction<'_>,
    service: Uuid,
    selector: &Selector,
) -> Result<Counts, tokio_postgres::Error> {
    collect(tx, service, selector).await
}

/// Deletes the selected sessions of `service` with their page views, events and live state,
/// then re-rolls the hours they were counted in (session-start hours for session, event and
/// goal figures; page-view hours for hit figures). Runs in the caller's transaction.
pub async fn erase(
    tx: &Transaction<'_>,
    service: Uuid,
    selector: &Selector,
) -> Result<Counts, tokio_postgres::Error> {
    // Lock the watermark first: a rollup step running now finishes before the rows go, and a
    // pass in flight starts over.
    let watermark = rollup::lock_watermark(tx).await?;
    let mut counts = collect(tx, service, selector).await?;
    if counts.is_empty() {
        return Ok(counts);
    }
    for table in ["active_hits", "active_sessions"] {
        tx.execute(
            &format!(
                "DELETE FROM {table} a USING {TARGETS} t
                 WHERE a.service_id = $1 AND a.session_id = t.id"
            ),
            &[&service],
        )
        .await?;
    }
    // Every hour a deleted row was counted in, from the rows as they go.
    let hours: Vec<DateTime<Utc>> = tx
        .query(
            &format!(
                "WITH h AS (DELETE FROM hits h USING {TARGETS} t
                            WHERE h.service_id = $1 AND h.session_id = t.id
                            RETURNING h.start_time),
                      e AS (DELETE FROM events e USING {TARGETS} t
                            WHERE e.service_id = $1 AND e.session_id = t.id
                            RETURNING e.session_start),
                      s AS (DELETE FROM sessions s USING {TARGETS} t
                            WHERE s.service_id = $1 AND s.id = t.id AND s.start_time = t.start_time
                            RETURNING s.start_time)
                 SELECT DISTINCT date_trunc('hour', x, 'UTC') FROM (
                     SELECT start_time FROM h UNION ALL SELECT session_start FROM e
                     UNION ALL SELECT start_time FROM s) AS u(x)
                 ORDER BY 1"
            ),
            &[&service],
        )
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    // Hours at or after the watermark are not rolled up yet: the next pass reads the raw rows.
    let rolled: Vec<DateTime<Utc>> = match watermark {
        Some(w) => hours.into_iter().filter(|h| *h < w).collect(),
        None => Vec::new(),
    };
    if let Some(w) = watermark {
        let services = vec![service; rolled.len()];
        rollup::reroll_pairs(tx, &services, &rolled, w).await?;
        rollup::forget_unrolled(tx, service, w).await?;
    }
    counts.hours_rerolled = rolled.len() as i64;
    Ok(counts)
}
