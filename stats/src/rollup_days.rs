//! The daily rows of the unfiltered rollups (`rollup_dims_daily`): each UTC day's dimension
//! counts summed from its hours, and the distinct visitors of each complete day counted from raw
//! sessions (a day's count cannot be added up from its hours, see [`crate::visitors`]); then the
//! monthly rows of the closed months they touched ([`crate::rollup_months`]).

use crate::dimensions::VISITORS_DAY_CODE;
use crate::plan::day_start;
use crate::rollup_months;
use chrono::{DateTime, NaiveDate, Utc};
use tokio_postgres::Transaction;
use uuid::Uuid;

/// Each service's distinct visitors of the complete UTC days in [lo, hi): the sum of the day's
/// visitors' first hours (`rollup_visitor_hours`, rebuilt by the pass just before), which counts
/// every visitor of the day once; reading the day's raw sessions again would sort them all in
/// one statement (see [`crate::visitors`] for why a day's count is not a sum of hourly counts).
const VISITOR_DAYS_RANGE: &str = "
INSERT INTO rollup_dims_daily (service_id, day, dim, key, count)
SELECT service_id, (hour AT TIME ZONE 'UTC')::date, $3, '', sum(firsts)
FROM rollup_visitor_hours WHERE hour >= $1 AND hour < $2
GROUP BY 1, 2";

/// The same from raw sessions, for (service, UTC day) pairs re-rolled outside a pass: days
/// before `$3` only.
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
/// ones before `upto` (the new watermark: later hours may hold a stopped pass's partial rows),
/// and the visitor counts of those days that are complete (before `upto`'s day), from the
/// visitors' first hours rebuilt up to `upto`.
pub(crate) async fn rebuild_days_range(
    tx: &Transaction<'_>,
    lo: NaiveDate,
    hi: NaiveDate,
    upto: DateTime<Utc>,
) -> Result<(), tokio_postgres::Error> {
    let complete = upto.date_naive();
    tx.execute(
        "DELETE FROM rollup_dims_daily WHERE day >= $1 AND day < $2",
        &[&lo, &hi],
    )
    .await?;
    tx.execute(
        "INSERT INTO rollup_dims_daily (service_id, day, dim, key, count)
         SELECT service_id, (hour AT TIME ZONE 'UTC')::date, dim, key, sum(count)::int8
         FROM rollup_dims_hourly WHERE hour >= $1 AND hour < least($2::timestamptz, $3::timestamptz) GROUP BY 1, 2, 3, 4",
        &[&day_start(lo), &day_start(hi), &upto],
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
    rollup_months::rebuild_range(tx, lo, hi, complete).await
}

/// Rebuilds the daily dimension rows of these (service, UTC day) pairs, and the visitor counts
/// of those days that are complete (before `complete`).
pub(crate) async fn rebuild_days_pairs(
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
    rollup_months::rebuild_pairs(tx, services, days, complete).await
}
