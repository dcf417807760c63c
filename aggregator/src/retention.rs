//! Storage upkeep that runs in every replica's maintenance pass: monthly partitions created ahead
//! of time, per-service retention of raw rows and rollups, and old partitions detached and dropped
//! once no service keeps raw rows that old. Every step is idempotent; the partition steps are
//! serialised between replicas by an advisory lock, and raw rows are never deleted before the
//! rollup watermark has passed them (so totals survive the purge).

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use tokio_postgres::Client;
use uuid::Uuid;

/// Months of partitions kept ready after the current one.
pub const MONTHS_AHEAD: i32 = 3;
/// Rows deleted per statement while purging, so no single statement holds locks for long.
const PURGE_CHUNK: i64 = 20_000;
/// Chunks per table and service per maintenance pass (the rest waits for the next pass).
const PURGE_CHUNKS_PER_PASS: usize = 10;
/// Advisory lock (two-int form) that serialises partition detaching between replicas.
const PARTITION_LOCK: (i32, i32) = (5_348_594, 2);

/// What one retention pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Report {
    /// Partitions created.
    pub partitions_created: i32,
    /// Partitions detached and dropped.
    pub partitions_dropped: usize,
    /// Raw hits deleted.
    pub hits_deleted: u64,
    /// Raw sessions deleted.
    pub sessions_deleted: u64,
    /// Raw custom events deleted.
    pub events_deleted: u64,
    /// Rollup rows deleted.
    pub rollup_rows_deleted: u64,
}

/// Creates the partitions of the last month up to [`MONTHS_AHEAD`] months ahead, and moves rows
/// that landed in the default partitions into proper months.
pub async fn ensure_partitions(client: &Client) -> Result<i32, tokio_postgres::Error> {
    Ok(client
        .query_one(
            "SELECT shynet_ensure_partitions(now() - interval '1 month', $1)",
            &[&MONTHS_AHEAD],
        )
        .await?
        .get(0))
}

/// The end of a monthly partition named `<table>_yYYYYmMM`.
fn partition_end(name: &str) -> Option<DateTime<Utc>> {
    let (_, ym) = name.rsplit_once("_y")?;
    let (y, m) = ym.split_once('m')?;
    let (y, m): (i32, u32) = (y.parse().ok()?, m.parse().ok()?);
    let start = NaiveDate::from_ymd_opt(y, m, 1)?;
    let end = if start.month() == 12 {
        NaiveDate::from_ymd_opt(y + 1, 1, 1)?
    } else {
        NaiveDate::from_ymd_opt(y, m + 1, 1)?
    };
    Some(end.and_hms_opt(0, 0, 0)?.and_utc())
}

/// Deletes `table` rows of `service` older than `cutoff`, in chunks.
async fn purge(
    client: &Client,
    table: &str,
    service: Uuid,
    cutoff: DateTime<Utc>,
) -> Result<u64, tokio_postgres::Error> {
    // (id, start_time) is the primary key of every partitioned table.
    let sql = format!(
        "DELETE FROM {table} WHERE (id, start_time) IN (
             SELECT id, start_time FROM {table}
             WHERE service_id = $1 AND start_time < $2 LIMIT $3)"
    );
    let mut total = 0;
    for _ in 0..PURGE_CHUNKS_PER_PASS {
        let n = client
            .execute(&sql, &[&service, &cutoff, &PURGE_CHUNK])
            .await?;
        total += n;
        if (n as i64) < PURGE_CHUNK {
            break;
        }
    }
    Ok(total)
}

/// Applies every service's retention settings and drops partitions nobody needs any more.
pub async fn run(client: &mut Client) -> Result<Report, tokio_postgres::Error> {
    let mut report = Report {
        partitions_created: ensure_partitions(client).await?,
        ..Report::default()
    };
    let watermark: Option<DateTime<Utc>> = client
        .query_opt("SELECT watermark FROM rollup_state", &[])
        .await?
        .and_then(|r| r.get(0));
    let services = models::services::retention::cutoffs(&*client).await?;
    // Raw rows: never past the watermark, so every purged hour is in the rollups.
    let mut min_cutoff: Option<DateTime<Utc>> = None;
    let mut every_service_expires = !services.is_empty();
    for &(id, raw_cutoff, rollup_cutoff) in &services {
        match (raw_cutoff, watermark) {
            (Some(c), Some(w)) => {
                let cutoff = c.min(w);
                min_cutoff = Some(min_cutoff.map_or(cutoff, |m: DateTime<Utc>| m.min(cutoff)));
                // Recorded first: readers then round edges to rollup hours instead of trusting
                // rows that are about to go.
                models::services::retention::mark_raw_purged(&*client, id, cutoff).await?;
                report.hits_deleted += purge(client, "hits", id, cutoff).await?;
                report.sessions_deleted += purge(client, "sessions", id, cutoff).await?;
                // Events follow the raw retention like the page views they belong to.
                report.events_deleted += purge(client, "events", id, cutoff).await?;
            }
            _ => every_service_expires = false,
        }
        if let Some(c) = rollup_cutoff {
            let mut daily_purged = false;
            for (table, col) in [
                ("rollup_hours", "hour"),
                ("rollup_dims_hourly", "hour"),
                ("rollup_dims_daily", "day"),
                ("rollup_visitor_hours", "hour"),
                ("rollup_segment_hours", "hour"),
                ("rollup_segment_dims_hourly", "hour"),
                ("rollup_segment_dims_daily", "day"),
                ("rollup_segment_events_hourly", "hour"),
                ("rollup_events_hourly", "hour"),
                ("rollup_events_daily", "day"),
                ("rollup_goals_hourly", "hour"),
                ("rollup_goals_daily", "day"),
            ] {
                let sql = if col == "day" {
                    format!("DELETE FROM {table} WHERE service_id = $1 AND {col} < ($2::timestamptz AT TIME ZONE 'UTC')::date")
                } else {
                    format!("DELETE FROM {table} WHERE service_id = $1 AND {col} < $2")
                };
                let n = client.execute(&sql, &[&id, &c]).await?;
                report.rollup_rows_deleted += n;
                daily_purged |= table == "rollup_dims_daily" && n > 0;
            }
            // The monthly rows follow the daily ones they sum; a run that purged no day (most
            // runs: the cutoff moves a day at a time) leaves them as they are.
            if daily_purged {
                let complete = watermark.map_or(chrono::NaiveDate::MIN, |w| w.date_naive());
                report.rollup_rows_deleted +=
                    stats::rollup_months::after_purge(&*client, id, c.date_naive(), complete)
                        .await?;
            }
        }
    }
    // Whole partitions older than every service's raw cutoff go (detached first, so readers are
    // never blocked by the drop).
    if let (true, Some(cutoff)) = (every_service_expires, min_cutoff) {
        report.partitions_dropped = drop_partitions_before(client, cutoff).await?;
    }
    Ok(report)
}

/// Detaches and drops monthly partitions of hits, sessions and events that end at or before
/// `cutoff`.
pub async fn drop_partitions_before(
    client: &mut Client,
    cutoff: DateTime<Utc>,
) -> Result<usize, tokio_postgres::Error> {
    let tx = client.transaction().await?;
    let locked: bool = tx
        .query_one(
            "SELECT pg_try_advisory_xact_lock($1, $2)",
            &[&PARTITION_LOCK.0, &PARTITION_LOCK.1],
        )
        .await?
        .get(0);
    if !locked {
        return Ok(0);
    }
    let mut dropped = 0;
    for table in ["hits", "sessions", "events"] {
        let parts: Vec<String> = tx
            .query(
                "SELECT c.relname::text FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                 WHERE i.inhparent = $1::text::regclass",
                &[&table],
            )
            .await?
            .into_iter()
            .map(|r| r.get(0))
            .collect();
        for p in parts {
            if partition_end(&p).is_some_and(|end| end <= cutoff) {
                tx.batch_execute(&format!(
                    "ALTER TABLE {table} DETACH PARTITION \"{p}\"; DROP TABLE \"{p}\""
                ))
                .await?;
                dropped += 1;
            }
        }
    }
    tx.commit().await?;
    Ok(dropped)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partition_names_give_their_end() {
        assert_eq!(
            partition_end("hits_y2024m12").map(|t| t.to_rfc3339()),
            Some("2025-01-01T00:00:00+00:00".into())
        );
        assert_eq!(
            partition_end("sessions_y2024m02").map(|t| t.to_rfc3339()),
            Some("2024-03-01T00:00:00+00:00".into())
        );
        assert_eq!(partition_end("hits_default"), None);
    }
}
