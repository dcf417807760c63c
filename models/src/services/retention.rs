//! The services' side of retention: each one's cutoffs, and the mark readers use to know raw
//! rows before it are gone.

use chrono::{DateTime, Utc};
use tokio_postgres::GenericClient;
use uuid::Uuid;

/// Each service's retention cutoffs as of now (`None` = kept for ever): raw rows, rollups.
pub async fn cutoffs<C: GenericClient>(
    c: &C,
) -> Result<Vec<(Uuid, Option<DateTime<Utc>>, Option<DateTime<Utc>>)>, tokio_postgres::Error> {
    Ok(c.query(
        "SELECT id, now() - make_interval(days => raw_retention_days),
                now() - make_interval(days => rollup_retention_days)
         FROM services",
        &[],
    )
    .await?
    .iter()
    .map(|r| (r.get(0), r.get(1), r.get(2)))
    .collect())
}

/// Records that raw rows of a service before `cutoff` are (about to be) gone, so readers round
/// edges to rollup hours instead of trusting rows that are going. Never moves backwards.
pub async fn mark_raw_purged<C: GenericClient>(
    c: &C,
    id: Uuid,
    cutoff: DateTime<Utc>,
) -> Result<(), tokio_postgres::Error> {
    c.execute(
        "UPDATE services SET raw_purged_before = $2
         WHERE id = $1 AND (raw_purged_before IS NULL OR raw_purged_before < $2)",
        &[&id, &cutoff],
    )
    .await?;
    Ok(())
}
