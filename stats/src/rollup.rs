//! Hourly rollups: per service and UTC hour, the sums behind every dashboard figure
//! (`rollup_hours`) and the per-dimension counts behind every table (`rollup_dims_hourly`, summed
//! per UTC day into `rollup_dims_daily`), with the dimensions of [`crate::dimensions`]; per
//! complete UTC day also the distinct visitors ([`crate::visitors`]), and per hour the visitors'
//! first and last hours of their day ([`crate::rollup_visitors`]). They live
//! in the stats crate beside their readers, so one crate defines what a rollup row means. Custom
//! events and goal conversions are rolled up in the same pass by [`crate::rollup_events`], the
//! pre-counted segments by [`crate::rollup_segments`].
//!
//! The job keeps a watermark: every hour before it is rolled up. An hour is rolled only once it
//! ended more than the session timeout (+ [`CLOSE_MARGIN_SECS`]) ago, because sessions are
//! windowed by their start and keep changing while they are live. Later changes to older hours
//! (a session live for hours, a replayed batch) are recorded by the writer in `rollup_dirty`, and
//! a pass re-rolls exactly those hours (the maintenance job once their first mark has settled,
//! [`REROLL_SETTLE_SECS`]). A pass holds a lease on the watermark ([`crate::rollup_lease`]), so
//! with several replicas one rolls and the others skip, and works in short transactions
//! ([`crate::rollup_advance`]).

use crate::rollup_advance::{self, HOURLY_TABLES};
use crate::rollup_days::rebuild_days_pairs;
use crate::rollup_events::{self, Span};
use crate::rollup_hourly::{roll, Target};
use crate::rollup_lease;
use crate::rollup_segments;
use crate::rollup_visitors;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use tokio_postgres::{Client, Transaction};
use uuid::Uuid;

/// How much later than the writer's dirty-marking horizon the job closes an hour: longer than
/// any batch transaction, so a change committed after the job's snapshot is always marked dirty.
pub const CLOSE_MARGIN_SECS: f64 = 300.0;

/// How long the maintenance job lets a dirty hour's first mark wait before re-rolling it. A
/// session live for hours marks its start hour in every batch; re-rolling at once would re-roll
/// that hour in every run, each a long transaction on a busy site that holds back vacuum
/// everywhere. Rolled figures of such hours lag the raw rows by at most this much.
pub const REROLL_SETTLE_SECS: f64 = 600.0;

/// What one pass did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pass {
    /// Another replica held the watermark; nothing was done.
    pub busy: bool,
    /// The pass stopped midway: another replica took its expired lease, or a rewind or an
    /// erasure changed rows it had read. The next pass starts over from the watermark.
    pub interrupted: bool,
    /// The longest of the pass's transactions (how long it held back vacuum at most).
    pub longest_step: std::time::Duration,
    /// Watermark after the pass (None: no pass has run yet).
    pub watermark: Option<DateTime<Utc>>,
    /// Hours newly rolled up.
    pub hours_rolled: i64,
    /// Dirty (service, hour) pairs re-rolled.
    pub rerolled: usize,
    /// Whether closed hours remain past the new watermark (call again to catch up).
    pub behind: bool,
    /// Page goals whose history was extended backwards ([`rollup_events::backfill_goals`]).
    pub goals_backfilled: usize,
}

/// Re-rolls these (service, UTC hour) pairs, all before `watermark`, from the raw rows: the
/// hourly rollups of every family (scalars, dimensions, events, goals) and the daily rows of
/// their days. The caller holds the watermark row ([`lock_watermark`] or a pass), so no pass
/// rolls the same hours from an older snapshot at the same time.
pub async fn reroll_pairs(
    tx: &Transaction<'_>,
    services: &[Uuid],
    hours: &[DateTime<Utc>],
    watermark: DateTime<Utc>,
) -> Result<(), tokio_postgres::Error> {
    if services.is_empty() {
        return Ok(());
    }
    roll(tx, &Target::Pairs(services, hours)).await?;
    rollup_events::roll(tx, &Span::Pairs(services, hours)).await?;
    let mut days: Vec<(Uuid, NaiveDate)> = services
        .iter()
        .zip(hours)
        .map(|(s, h)| (*s, h.date_naive()))
        .collect();
    days.sort_unstable();
    days.dedup();
    let s: Vec<Uuid> = days.iter().map(|d| d.0).collect();
    let d: Vec<NaiveDate> = days.iter().map(|d| d.1).collect();
    rebuild_days_pairs(tx, &s, &d, watermark.date_naive()).await?;
    rollup_visitors::rebuild_pairs(tx, &s, &d, watermark).await?;
    rollup_events::rebuild_days_pairs(tx, &s, &d).await?;
    rollup_segments::reroll(tx, services, hours, watermark).await
}

/// Takes the watermark row for the rest of the transaction, waiting for a running step of a
/// pass to end, and stops a pass in flight (it starts over): the caller, a writer of raw rows
/// outside the ingest path such as an erasure, re-rolls the hours before the watermark under
/// it and forgets the rows after it ([`forget_unrolled`]). Returns the watermark (None: nothing
/// is rolled up yet).
pub async fn lock_watermark(
    tx: &Transaction<'_>,
) -> Result<Option<DateTime<Utc>>, tokio_postgres::Error> {
    Ok(tx
        .query_one(
            &format!(
                "UPDATE rollup_state SET {} WHERE id RETURNING watermark",
                rollup_lease::BUMP_GENERATION
            ),
            &[],
        )
        .await?
        .get(0))
}

/// Deletes the hourly rollup rows of `service` at or after `watermark`: a stopped pass may have
/// left partial rows there (unread, and rebuilt by the next pass), and an erasure must leave no
/// figure that still counts the erased rows.
pub async fn forget_unrolled(
    tx: &Transaction<'_>,
    service: Uuid,
    watermark: DateTime<Utc>,
) -> Result<(), tokio_postgres::Error> {
    for table in HOURLY_TABLES.iter().chain(&["rollup_visitor_hours"]) {
        tx.execute(
            &format!("DELETE FROM {table} WHERE service_id = $1 AND hour >= $2"),
            &[&service, &watermark],
        )
        .await?;
    }
    Ok(())
}

/// One rollup pass: re-rolls every dirty hour before the watermark, then advances the watermark
/// over at most `max_hours` closed hours. `session_timeout_secs` is the sessionizer's timeout.
pub async fn run_pass(
    client: &mut Client,
    session_timeout_secs: f64,
    max_hours: i64,
) -> Result<Pass, tokio_postgres::Error> {
    run_pass_settled(client, session_timeout_secs, max_hours, 0.0).await
}

/// [`run_pass`] re-rolling only the dirty hours first marked at least `settle_secs` ago (the
/// maintenance job passes [`REROLL_SETTLE_SECS`]). The pass holds the lease
/// ([`crate::rollup_lease`]) and works in short transactions, so none holds a snapshot for long.
pub async fn run_pass_settled(
    client: &mut Client,
    session_timeout_secs: f64,
    max_hours: i64,
    settle_secs: f64,
) -> Result<Pass, tokio_postgres::Error> {
    let close_after = session_timeout_secs + CLOSE_MARGIN_SECS;
    let Some(acquired) = rollup_lease::acquire(client, close_after).await? else {
        return Ok(Pass {
            busy: true,
            ..Pass::default()
        });
    };
    let mut lease = acquired.lease;
    let result = pass_steps(client, &mut lease, acquired.close, max_hours, settle_secs).await;
    // Released also after an error, so the next pass need not wait for the lease to expire.
    let released = rollup_lease::release(client, &lease).await;
    let pass = result?;
    released?;
    Ok(pass)
}

/// The steps of one pass under its lease: re-roll, advance, backfills.
async fn pass_steps(
    client: &mut Client,
    lease: &mut rollup_lease::Lease,
    close: DateTime<Utc>,
    max_hours: i64,
    settle_secs: f64,
) -> Result<Pass, tokio_postgres::Error> {
    let mut pass = Pass {
        watermark: Some(lease.watermark),
        behind: true,
        ..Pass::default()
    };
    let started = std::time::Instant::now();
    let Some(tx) = rollup_lease::step(client, lease).await? else {
        pass.interrupted = true;
        return Ok(pass);
    };
    pass.rerolled = reroll_settled(&tx, lease.watermark, settle_secs).await?;
    tx.commit().await?;
    pass.longest_step = started.elapsed();

    let from = lease.watermark;
    let hi = close.min(from + Duration::hours(max_hours.max(1)));
    if hi > from {
        let advanced = rollup_advance::advance(client, lease, hi).await?;
        pass.longest_step = pass.longest_step.max(advanced.longest_step);
        if !advanced.done {
            pass.interrupted = true;
            return Ok(pass);
        }
        pass.hours_rolled = (hi - from).num_hours();
        pass.watermark = Some(hi);
    }

    let started = std::time::Instant::now();
    let Some(tx) = rollup_lease::step(client, lease).await? else {
        pass.interrupted = true;
        return Ok(pass);
    };
    pass.goals_backfilled = rollup_events::backfill_goals(&tx).await?;
    let backfilling = rollup_segments::backfill(&tx, lease.watermark).await?;
    tx.commit().await?;
    pass.longest_step = pass.longest_step.max(started.elapsed());
    pass.behind = lease.watermark < close || backfilling;
    Ok(pass)
}

/// Re-rolls the dirty hours before the watermark whose first mark is `settle_secs` old, in the
/// caller's step of a pass. Returns how many (service, hour) pairs.
async fn reroll_settled(
    tx: &Transaction<'_>,
    watermark: DateTime<Utc>,
    settle_secs: f64,
) -> Result<usize, tokio_postgres::Error> {
    // The same hour may be listed several times (marks never wait for each other, see the
    // migration that dropped the key); all its marks go once the first has settled. Marks made
    // after this snapshot stay for a later pass.
    let dirty = tx
        .query(
            "WITH due AS (
                 SELECT service_id, hour FROM rollup_dirty WHERE hour < $1 GROUP BY 1, 2
                 HAVING min(marked_at) <= clock_timestamp() - make_interval(secs => $2)),
             taken AS (
                 DELETE FROM rollup_dirty d USING due
                 WHERE d.service_id = due.service_id AND d.hour = due.hour
                 RETURNING d.service_id, d.hour)
             SELECT DISTINCT service_id, hour FROM taken",
            &[&watermark, &settle_secs],
        )
        .await?;
    let ds: Vec<Uuid> = dirty.iter().map(|r| r.get(0)).collect();
    let dh: Vec<DateTime<Utc>> = dirty.iter().map(|r| r.get(1)).collect();
    reroll_pairs(tx, &ds, &dh, watermark).await?;
    Ok(ds.len())
}

/// Runs passes until the watermark reaches the closed hours (or another replica holds it).
pub async fn catch_up(
    client: &mut Client,
    session_timeout_secs: f64,
    max_hours: i64,
    mut on_pass: impl FnMut(&Pass),
) -> Result<Pass, tokio_postgres::Error> {
    loop {
        let p = run_pass(client, session_timeout_secs, max_hours).await?;
        on_pass(&p);
        if p.busy || !p.behind {
            return Ok(p);
        }
    }
}

/// Moves the watermark back to the hour of `t` (when rows were written in the past without the
/// writer, e.g. by `shynet demo` or an import), so the next passes roll those hours. Never moves
/// it forward, and leaves an unset watermark unset (the first pass starts at the oldest row).
///
/// The statement has no condition on the watermark itself, so it always takes the row lock:
/// with one, a rewind issued while a first pass ran (the row still unset in the rewind's
/// snapshot) matched nothing and returned at once; that pass, which had looked for the oldest
/// row before the caller's rows existed, then set the watermark past them and their hours were
/// never rolled up. Waiting for the lock orders every rewind after any running pass.
pub async fn rewind<C: tokio_postgres::GenericClient>(
    client: &C,
    t: DateTime<Utc>,
) -> Result<(), tokio_postgres::Error> {
    client
        .execute(
            &format!(
                "UPDATE rollup_state
             SET watermark = CASE WHEN watermark IS NULL THEN NULL
                                  ELSE least(watermark, date_trunc('hour', $1::timestamptz, 'UTC')) END,
                 segments_from = CASE WHEN watermark IS NULL OR segments_from IS NULL THEN segments_from
                                      ELSE least(segments_from, ($1::timestamptz AT TIME ZONE 'UTC')::date + 1) END,
                 {}
             WHERE id",
                rollup_lease::BUMP_GENERATION
            ),
            &[&t],
        )
        .await?;
    Ok(())
}
