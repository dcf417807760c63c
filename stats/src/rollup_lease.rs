//! Who owns the rollup watermark while a pass runs. A pass advances over closed hours in several
//! short transactions ([`crate::rollup_advance`]), so no row lock holds it together; instead it
//! takes a lease in `rollup_state` (a holder id and an expiry, renewed by every transaction of
//! the pass). Each of those transactions starts with [`step`], which locks the state row (so an
//! erasure or a rewind waits for the step that is running, not for the whole pass) and checks
//! that the lease, the watermark and the generation are still the pass's; when another replica
//! took over an expired lease, or a rewind or an erasure bumped the generation, the pass stops
//! and the next one starts over from the watermark.

use crate::rollup_segments;
use chrono::{DateTime, Utc};
use tokio_postgres::{Client, Transaction};
use uuid::Uuid;

/// How long a lease lasts without renewal. Every step renews it and holds the state row while
/// it runs (so nobody can take over during a long step); this only bounds how long a pass that
/// died between steps keeps the others waiting.
pub const LEASE_SECS: f64 = 120.0;

/// A pass's hold on the watermark.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Lease {
    holder: Uuid,
    /// The watermark as the pass found it (moved by its last step).
    pub watermark: DateTime<Utc>,
    generation: i64,
}

/// What [`acquire`] found.
pub(crate) struct Acquired {
    pub lease: Lease,
    /// The newest hour that may be rolled up (exclusive).
    pub close: DateTime<Utc>,
}

/// Takes the lease unless another pass holds it (None). `close_after_secs`: an hour is closed
/// once it ended this long ago. On the very first pass also sets the watermark (to the oldest
/// row's hour, or the close) and starts the segment rollups' coverage there.
pub(crate) async fn acquire(
    client: &mut Client,
    close_after_secs: f64,
) -> Result<Option<Acquired>, tokio_postgres::Error> {
    let tx = client.transaction().await?;
    let Some(row) = tx
        .query_opt(
            "SELECT watermark, generation, date_trunc('hour', now() - make_interval(secs => $1), 'UTC'),
                    lease_holder IS NULL OR lease_until < now()
             FROM rollup_state WHERE id FOR UPDATE SKIP LOCKED",
            &[&close_after_secs],
        )
        .await?
    else {
        return Ok(None);
    };
    if !row.get::<_, bool>(3) {
        return Ok(None);
    }
    let close: DateTime<Utc> = row.get(2);
    let watermark = match row.get::<_, Option<DateTime<Utc>>>(0) {
        Some(w) => w,
        None => {
            // First pass: start at the oldest row (an upgraded install), or at the close.
            let oldest: Option<DateTime<Utc>> = tx
                .query_one(
                    "SELECT date_trunc('hour', least((SELECT min(start_time) FROM hits),
                                                     (SELECT min(start_time) FROM sessions)), 'UTC')",
                    &[],
                )
                .await?
                .get(0);
            let first = oldest.map_or(close, |o| o.min(close));
            rollup_segments::start_at(&tx, first.date_naive()).await?;
            first
        }
    };
    let holder = Uuid::new_v4();
    tx.execute(
        "UPDATE rollup_state SET lease_holder = $1, lease_until = now() + make_interval(secs => $2),
                                 watermark = $3
         WHERE id",
        &[&holder, &LEASE_SECS, &watermark],
    )
    .await?;
    tx.commit().await?;
    Ok(Some(Acquired {
        lease: Lease {
            holder,
            watermark,
            generation: row.get(1),
        },
        close,
    }))
}

/// Opens one transaction of the pass: locks the state row, checks that the lease is still this
/// pass's and nothing moved the watermark or the generation since, and renews the lease. None:
/// the pass must stop (the transaction is rolled back).
pub(crate) async fn step<'c>(
    client: &'c mut Client,
    lease: &Lease,
) -> Result<Option<Transaction<'c>>, tokio_postgres::Error> {
    let tx = client.transaction().await?;
    let ours: bool = tx
        .query_one(
            "SELECT lease_holder IS NOT DISTINCT FROM $1 AND watermark IS NOT DISTINCT FROM $2
                    AND generation = $3
             FROM rollup_state WHERE id FOR UPDATE",
            &[&lease.holder, &lease.watermark, &lease.generation],
        )
        .await?
        .get(0);
    if !ours {
        return Ok(None);
    }
    tx.execute(
        "UPDATE rollup_state SET lease_until = now() + make_interval(secs => $1) WHERE id",
        &[&LEASE_SECS],
    )
    .await?;
    Ok(Some(tx))
}

/// Moves the watermark to `to` inside a step's transaction (the pass's last step for a range).
pub(crate) async fn move_watermark(
    tx: &Transaction<'_>,
    lease: &mut Lease,
    to: DateTime<Utc>,
) -> Result<(), tokio_postgres::Error> {
    tx.execute(
        "UPDATE rollup_state SET watermark = $1, updated_at = now() WHERE id",
        &[&to],
    )
    .await?;
    lease.watermark = to;
    Ok(())
}

/// Gives the lease up (a pass that ended, also one that failed: the next may start at once).
pub(crate) async fn release(client: &Client, lease: &Lease) -> Result<(), tokio_postgres::Error> {
    client
        .execute(
            "UPDATE rollup_state SET lease_holder = NULL, lease_until = NULL
             WHERE id AND lease_holder = $1",
            &[&lease.holder],
        )
        .await?;
    Ok(())
}

/// Marks the raw rows as changed behind the job's back (rewind, erasure), inside the caller's
/// statement or transaction: a pass in flight starts over.
pub(crate) const BUMP_GENERATION: &str = "generation = generation + 1";
