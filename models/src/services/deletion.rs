//! Deleting services with everything they collected, in one transaction: the tables that
//! hold a service's rows without a foreign key are listed here, in one place, so that a new
//! table cannot be forgotten (a test compares the list with the schema).

use uuid::Uuid;

/// Tables holding a service's data without a foreign key to `services` (bulk writes stay cheap,
/// partitions can be dropped). [`delete`] empties each; a test checks this list against every
/// table of the schema that has a `service_id` column.
pub const SERVICE_DATA_TABLES: &[&str] = &[
    "hits",
    "sessions",
    "events",
    "event_tokens",
    "active_hits",
    "active_sessions",
    "rollup_hours",
    "rollup_dims_hourly",
    "rollup_dims_daily",
    "rollup_dims_monthly",
    "rollup_dirty",
    "rollup_visitor_hours",
    "rollup_segment_hours",
    "rollup_segment_dims_hourly",
    "rollup_segment_dims_daily",
    "rollup_segment_events_hourly",
    "rollup_events_hourly",
    "rollup_events_daily",
    "rollup_goals_hourly",
    "rollup_goals_daily",
    "erasures",
    "dropped_beacons",
    "import_cursors",
];

/// Deletes a service and all its data: raw rows (custom events included), live sessionizer
/// state, event idempotency tokens and rollups, then the service itself (collaborators and goals
/// go with it by foreign key).
pub async fn delete(
    c: &mut tokio_postgres::Client,
    service: Uuid,
) -> Result<(), tokio_postgres::Error> {
    let tx = c.transaction().await?;
    delete_in(&tx, &[service]).await?;
    tx.commit().await
}

/// [`delete`] for several services inside the caller's transaction (account deletion removes
/// the account and everything it owns atomically).
pub async fn delete_in(
    tx: &tokio_postgres::Transaction<'_>,
    services: &[Uuid],
) -> Result<(), tokio_postgres::Error> {
    // The rollup job's state row first: a rollup step running now (it reads raw rows and writes
    // rollup rows) ends before the rows go, and the next one no longer sees them.
    tx.execute("SELECT 1 FROM rollup_state WHERE id FOR UPDATE", &[])
        .await?;
    for table in SERVICE_DATA_TABLES {
        tx.execute(
            &format!("DELETE FROM {table} WHERE service_id = ANY($1)"),
            &[&services],
        )
        .await?;
    }
    tx.execute("DELETE FROM services WHERE id = ANY($1)", &[&services])
        .await?;
    Ok(())
}
