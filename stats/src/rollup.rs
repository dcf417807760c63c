//! Hourly rollups: per service and UTC hour, the sums behind every dashboard figure
//! (`rollup_hours`) and the per-dimension counts behind every table (`rollup_dims_hourly`, summed
//! per UTC day into `rollup_dims_daily`), with the dimensions of [`crate::dimensions`]; per
//! complete UTC day also the distinct visitors ([`crate::visitors`]), and per hour the visitors'
//! first and last hours of their day ([`crate::rollup_visitors`]). They live
//! in the stats crate beside their readers, so one crate defines what a rollup row means. Custom
//! events and goal conversions are rolled up in the same pass by [`crate::rollup_events`].
//!
//! The job keeps a watermark: every hour before it is rolled up. An hour is rolled only once it
//! ended more than the session timeout (+ [`CLOSE_MARGIN_SECS`]) ago, because sessions are
//! windowed by their start and keep changing while they are live. Later changes to older hours
//! (a session live for hours, a replayed batch) are recorded by the writer in `rollup_dirty`, and
//! a pass re-rolls exactly those hours (the maintenance job once their first mark has settled,
//! [`REROLL_SETTLE_SECS`]). A pass re-rolls in one transaction and advances in another, each
//! holding the watermark row (`FOR UPDATE SKIP LOCKED`), so with several replicas one rolls and
//! the others skip.

use crate::dimensions::{HIT_DIMS, SESSION_DIMS, VISITORS_DAY_CODE};
use crate::rollup_events::{self, Span};
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

/// Which rows a roll statement covers.
enum Target<'a> {
    /// Every service, hours in [lo, hi).
    Range(DateTime<Utc>, DateTime<Utc>),
    /// These (service, hour) pairs.
    Pairs(&'a [Uuid], &'a [DateTime<Utc>]),
}

fn floor_day(t: DateTime<Utc>) -> NaiveDate {
    t.date_naive()
}

fn day_start(d: NaiveDate) -> DateTime<Utc> {
    d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()
}

/// Rolls up (or re-rolls) the target hours: replaces their rows in `rollup_hours` and
/// `rollup_dims_hourly` from the raw rows.
async fn roll(tx: &Transaction<'_>, target: &Target<'_>) -> Result<(), tokio_postgres::Error> {
    let (from_s, from_h, cond_s, cond_h) = match target {
        Target::Range(..) => (
            "FROM sessions s".to_owned(),
            "FROM hits h".to_owned(),
            "s.start_time >= $1 AND s.start_time < $2",
            "h.start_time >= $1 AND h.start_time < $2",
        ),
        Target::Pairs(..) => (
            "FROM unnest($1::uuid[], $2::timestamptz[]) AS p(sid, hr) JOIN sessions s
               ON s.service_id = p.sid AND s.start_time >= p.hr
              AND s.start_time < p.hr + interval '1 hour'"
                .to_owned(),
            "FROM unnest($1::uuid[], $2::timestamptz[]) AS p(sid, hr) JOIN hits h
               ON h.service_id = p.sid AND h.start_time >= p.hr
              AND h.start_time < p.hr + interval '1 hour'"
                .to_owned(),
            "true",
            "true",
        ),
    };
    let deletes = match target {
        Target::Range(..) => [
            "DELETE FROM rollup_hours WHERE hour >= $1 AND hour < $2",
            "DELETE FROM rollup_dims_hourly WHERE hour >= $1 AND hour < $2",
        ],
        Target::Pairs(..) => [
            "DELETE FROM rollup_hours r USING unnest($1::uuid[], $2::timestamptz[]) AS p(sid, hr)
             WHERE r.service_id = p.sid AND r.hour = p.hr",
            "DELETE FROM rollup_dims_hourly r USING unnest($1::uuid[], $2::timestamptz[]) AS p(sid, hr)
             WHERE r.service_id = p.sid AND r.hour = p.hr",
        ],
    };
    let hours = format!(
        "INSERT INTO rollup_hours (service_id, hour, sessions, bounces, duration_us, hits,
                                   load_time_sum, load_time_count)
         SELECT service_id, hour, sum(n_s)::int8, sum(n_b)::int8, sum(d_us)::int8, sum(n_h)::int8,
                sum(lt_sum), sum(lt_n)::int8
         FROM (SELECT s.service_id, date_trunc('hour', s.start_time, 'UTC') AS hour,
                      count(*) AS n_s, count(*) FILTER (WHERE s.is_bounce) AS n_b,
                      sum(extract(epoch FROM s.last_seen - s.start_time) * 1000000) AS d_us,
                      0::int8 AS n_h, 0::float8 AS lt_sum, 0::int8 AS lt_n
               {from_s} WHERE {cond_s} GROUP BY 1, 2
               UNION ALL
               SELECT h.service_id, date_trunc('hour', h.start_time, 'UTC'), 0, 0, 0, count(*),
                      coalesce(sum(h.load_time), 0), count(h.load_time)
               {from_h} WHERE {cond_h} GROUP BY 1, 2) x
         GROUP BY 1, 2"
    );
    let dims = format!(
        "INSERT INTO rollup_dims_hourly (service_id, hour, dim, key, count)
         SELECT s.service_id, date_trunc('hour', s.start_time, 'UTC'), d.dim, d.key, count(*)
         {from_s} CROSS JOIN LATERAL {session_dims} AS d(dim, key)
         WHERE {cond_s} GROUP BY 1, 2, 3, 4
         UNION ALL
         SELECT h.service_id, date_trunc('hour', h.start_time, 'UTC'), d.dim, d.key, count(*)
         {from_h} CROSS JOIN LATERAL {hit_dims} AS d(dim, key)
         WHERE {cond_h} AND d.dim IS NOT NULL GROUP BY 1, 2, 3, 4",
        session_dims = *SESSION_DIMS,
        hit_dims = *HIT_DIMS,
    );
    match target {
        Target::Range(lo, hi) => {
            for sql in deletes
                .iter()
                .copied()
                .chain([hours.as_str(), dims.as_str()])
            {
                tx.execute(sql, &[lo, hi]).await?;
            }
        }
        Target::Pairs(s, h) => {
            let (s, h) = (s.to_vec(), h.to_vec());
            for sql in deletes
                .iter()
                .copied()
                .chain([hours.as_str(), dims.as_str()])
            {
                tx.execute(sql, &[&s, &h]).await?;
            }
        }
    }
    Ok(())
}

/// Counts each service's distinct visitors of the complete UTC days in [lo, hi) from raw
/// sessions (see [`crate::visitors`]): a day's count cannot be added up from its hours.
const VISITOR_DAYS_RANGE: &str = "
INSERT INTO rollup_dims_daily (service_id, day, dim, key, count)
SELECT service_id, (start_time AT TIME ZONE 'UTC')::date, $3, '', count(DISTINCT visitor)
FROM sessions WHERE start_time >= $1 AND start_time < $2 AND visitor IS NOT NULL
GROUP BY 1, 2";

/// The same for (service, UTC day) pairs, days before `$3` only.
const VISITOR_DAYS_PAIRS: &str = "
INSERT INTO rollup_dims_daily (service_id, day, dim, key, count)
SELECT p.sid, p.day, $4, '', count(DISTINCT s.visitor)
FROM unnest($1::uuid[], $2::date[]) AS p(sid, day)
JOIN sessions s ON s.service_id = p.sid
 AND s.start_time >= p.day::timestamp AT TIME ZONE 'UTC'
 AND s.start_time < (p.day + 1)::timestamp AT TIME ZONE 'UTC'
 AND s.visitor IS NOT NULL
WHERE p.day < $3
GROUP BY 1, 2";

/// Rebuilds the daily dimension rows of every service for UTC days in [lo, hi) from the hourly
/// ones, and the visitor counts of those days that are complete (before `complete`).
async fn rebuild_days_range(
    tx: &Transaction<'_>,
    lo: NaiveDate,
    hi: NaiveDate,
    complete: NaiveDate,
) -> Result<(), tokio_postgres::Error> {
    tx.execute(
        "DELETE FROM rollup_dims_daily WHERE day >= $1 AND day < $2",
        &[&lo, &hi],
    )
    .await?;
    tx.execute(
        "INSERT INTO rollup_dims_daily (service_id, day, dim, key, count)
         SELECT service_id, (hour AT TIME ZONE 'UTC')::date, dim, key, sum(count)::int8
         FROM rollup_dims_hourly WHERE hour >= $1 AND hour < $2 GROUP BY 1, 2, 3, 4",
        &[&day_start(lo), &day_start(hi)],
    )
    .await?;
    let visitors_hi = hi.min(complete);
    if lo < visitors_hi {
        tx.execute(
            VISITOR_DAYS_RANGE,
            &[&day_start(lo), &day_start(visitors_hi), &VISITORS_DAY_CODE],
        )
        .await?;
    }
    Ok(())
}

/// Rebuilds the daily dimension rows of these (service, UTC day) pairs, and the visitor counts
/// of those days that are complete (before `complete`).
async fn rebuild_days_pairs(
    tx: &Transaction<'_>,
    services: &[Uuid],
    days: &[NaiveDate],
    complete: NaiveDate,
) -> Result<(), tokio_postgres::Error> {
    let (s, d) = (services.to_vec(), days.to_vec());
    tx.execute(
        "DELETE FROM rollup_dims_daily r USING unnest($1::uuid[], $2::date[]) AS p(sid, day)
         WHERE r.service_id = p.sid AND r.day = p.day",
        &[&s, &d],
    )
    .await?;
    tx.execute(
        "INSERT INTO rollup_dims_daily (service_id, day, dim, key, count)
         SELECT p.sid, p.day, r.dim, r.key, sum(r.count)::int8
         FROM unnest($1::uuid[], $2::date[]) AS p(sid, day)
         JOIN rollup_dims_hourly r ON r.service_id = p.sid
          AND r.hour >= p.day::timestamp AT TIME ZONE 'UTC'
          AND r.hour < (p.day + 1)::timestamp AT TIME ZONE 'UTC'
         GROUP BY 1, 2, 3, 4",
        &[&s, &d],
    )
    .await?;
    tx.execute(VISITOR_DAYS_PAIRS, &[&s, &d, &complete, &VISITORS_DAY_CODE])
        .await?;
    Ok(())
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
        .map(|(s, h)| (*s, floor_day(*h)))
        .collect();
    days.sort_unstable();
    days.dedup();
    let s: Vec<Uuid> = days.iter().map(|d| d.0).collect();
    let d: Vec<NaiveDate> = days.iter().map(|d| d.1).collect();
    rebuild_days_pairs(tx, &s, &d, floor_day(watermark)).await?;
    rollup_visitors::rebuild_pairs(tx, &s, &d, watermark).await?;
    rollup_events::rebuild_days_pairs(tx, &s, &d).await?;
    rollup_segments::reroll(tx, services, hours, watermark).await
}

/// Takes the watermark row for the rest of the transaction, waiting for a running pass to end
/// (a writer of raw rows outside the ingest path, such as an erasure, re-rolls hours under it);
/// returns the watermark (None: nothing is rolled up yet).
pub async fn lock_watermark(
    tx: &Transaction<'_>,
) -> Result<Option<DateTime<Utc>>, tokio_postgres::Error> {
    Ok(tx
        .query_one(
            "SELECT watermark FROM rollup_state WHERE id FOR UPDATE",
            &[],
        )
        .await?
        .get(0))
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
/// maintenance job passes [`REROLL_SETTLE_SECS`]). The re-roll and the advance are separate
/// transactions, so neither holds a snapshot for the time of both.
pub async fn run_pass_settled(
    client: &mut Client,
    session_timeout_secs: f64,
    max_hours: i64,
    settle_secs: f64,
) -> Result<Pass, tokio_postgres::Error> {
    let Some(rerolled) = reroll_settled(client, settle_secs).await? else {
        return Ok(Pass {
            busy: true,
            ..Pass::default()
        });
    };
    let mut pass = advance(client, session_timeout_secs, max_hours).await?;
    pass.rerolled = rerolled;
    Ok(pass)
}

/// Re-rolls the dirty hours before the watermark whose first mark is `settle_secs` old, in one
/// transaction holding the watermark row. None: another replica holds it.
async fn reroll_settled(
    client: &mut Client,
    settle_secs: f64,
) -> Result<Option<usize>, tokio_postgres::Error> {
    let tx = client.transaction().await?;
    let Some(state) = tx
        .query_opt(
            "SELECT watermark FROM rollup_state WHERE id FOR UPDATE SKIP LOCKED",
            &[],
        )
        .await?
    else {
        return Ok(None);
    };
    let Some(watermark) = state.get::<_, Option<DateTime<Utc>>>(0) else {
        return Ok(Some(0));
    };
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
    reroll_pairs(&tx, &ds, &dh, watermark).await?;
    tx.commit().await?;
    Ok(Some(ds.len()))
}

/// Advances the watermark over at most `max_hours` closed hours, in one transaction holding
/// the watermark row.
async fn advance(
    client: &mut Client,
    session_timeout_secs: f64,
    max_hours: i64,
) -> Result<Pass, tokio_postgres::Error> {
    let tx = client.transaction().await?;
    let Some(state) = tx
        .query_opt(
            "SELECT watermark, date_trunc('hour', now() - make_interval(secs => $1), 'UTC')
             FROM rollup_state WHERE id FOR UPDATE SKIP LOCKED",
            &[&(session_timeout_secs + CLOSE_MARGIN_SECS)],
        )
        .await?
    else {
        return Ok(Pass {
            busy: true,
            ..Pass::default()
        });
    };
    let close: DateTime<Utc> = state.get(1);
    let watermark: DateTime<Utc> = match state.get::<_, Option<DateTime<Utc>>>(0) {
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
            rollup_segments::start_at(&tx, floor_day(first)).await?;
            first
        }
    };

    // Advance over closed hours.
    let hi = close.min(watermark + Duration::hours(max_hours.max(1)));
    let mut rolled = 0;
    if hi > watermark {
        roll(&tx, &Target::Range(watermark, hi)).await?;
        rollup_events::roll(&tx, &Span::Range(watermark, hi)).await?;
        let last_day = floor_day(hi - Duration::microseconds(1));
        let days = (floor_day(watermark), last_day + Duration::days(1));
        rebuild_days_range(&tx, days.0, days.1, floor_day(hi)).await?;
        rollup_visitors::rebuild_range(&tx, days.0, days.1, hi).await?;
        rollup_events::rebuild_days_range(&tx, days.0, days.1).await?;
        rollup_segments::roll_hours(&tx, &rollup_segments::Span::Range(watermark, hi), true)
            .await?;
        if floor_day(watermark) < floor_day(hi) {
            rollup_segments::complete_days(&tx, floor_day(watermark), floor_day(hi)).await?;
        }
        rolled = (hi - watermark).num_hours();
    }
    let goals_backfilled = rollup_events::backfill_goals(&tx).await?;
    let new_watermark = hi.max(watermark);
    let backfilling = rollup_segments::backfill(&tx, new_watermark).await?;
    tx.execute(
        "UPDATE rollup_state SET watermark = $1, updated_at = now() WHERE id",
        &[&new_watermark],
    )
    .await?;
    tx.commit().await?;
    Ok(Pass {
        busy: false,
        watermark: Some(new_watermark),
        hours_rolled: rolled,
        rerolled: 0,
        behind: new_watermark < close || backfilling,
        goals_backfilled,
    })
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
            "UPDATE rollup_state
             SET watermark = CASE WHEN watermark IS NULL THEN NULL
                                  ELSE least(watermark, date_trunc('hour', $1::timestamptz, 'UTC')) END,
                 segments_from = CASE WHEN watermark IS NULL OR segments_from IS NULL THEN segments_from
                                      ELSE least(segments_from, ($1::timestamptz AT TIME ZONE 'UTC')::date + 1) END
             WHERE id",
            &[&t],
        )
        .await?;
    Ok(())
}
