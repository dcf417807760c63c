//! The rollup rows behind the visitors of partial UTC days (`rollup_visitor_hours`).
//!
//! Visitors are distinct per UTC day ([`crate::visitors`]), so a day's count cannot be added up
//! from hourly counts, and a window's first and last UTC days are usually partial (local
//! midnight is not UTC midnight). Two per-hour counts make such parts additive: for each
//! (service, UTC day, visitor) the hour of its first session of the day and the hour of its
//! last. A visitor has a session at or after hour `h` exactly when its last one is, so the
//! visitors of the day from `h` on are the sum of the `lasts` of the hours from `h`; likewise the
//! visitors before `h` are the sum of the `firsts` before `h`.
//!
//! The firsts of an hour depend only on sessions up to its end, so they are final once the hour
//! is rolled up, even while its day goes on; the lasts are final only for a complete day, and
//! readers use them only then ([`crate::plan::visitor_plan`]). Every pass rewrites each day it
//! touches, whole, so late sessions and erasures that move a visitor's first or last hour are
//! counted again.

use crate::rollup_hourly::EVERY_SERVICE;
use chrono::{DateTime, NaiveDate, Utc};
use tokio_postgres::Transaction;
use uuid::Uuid;

/// `(service, day, visitor)` → its first and last hour, then counted per hour. `{from}` and
/// `{cond}` select the sessions.
fn insert_sql(from: &str, cond: &str) -> String {
    format!(
        "INSERT INTO rollup_visitor_hours (service_id, hour, firsts, lasts)
         SELECT v.service_id, x.hour, sum(x.f), sum(x.l)
         FROM (SELECT s.service_id, date_trunc('hour', min(s.start_time), 'UTC') AS fh,
                      date_trunc('hour', max(s.start_time), 'UTC') AS lh
               {from}
               WHERE s.visitor IS NOT NULL AND {cond}
               GROUP BY s.service_id, (s.start_time AT TIME ZONE 'UTC')::date, s.visitor) v
         CROSS JOIN LATERAL (VALUES (v.fh, 1, 0), (v.lh, 0, 1)) AS x(hour, f, l)
         GROUP BY 1, 2"
    )
}

fn day_start(d: NaiveDate) -> DateTime<Utc> {
    d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()
}

/// Rewrites the rows of every service for the UTC days [lo, hi), from sessions that started
/// before `upto` (the pass's new watermark: later hours are not rolled up yet).
pub(crate) async fn rebuild_range(
    tx: &Transaction<'_>,
    lo: NaiveDate,
    hi: NaiveDate,
    upto: DateTime<Utc>,
) -> Result<(), tokio_postgres::Error> {
    let (lo, hi) = (day_start(lo), day_start(hi));
    tx.execute(
        "DELETE FROM rollup_visitor_hours WHERE hour >= $1 AND hour < $2",
        &[&lo, &hi],
    )
    .await?;
    let sql = insert_sql(
        "FROM sessions s",
        &format!(
            "s.service_id = {EVERY_SERVICE}
             AND s.start_time >= $1 AND s.start_time < least($2::timestamptz, $3::timestamptz)"
        ),
    );
    tx.execute(&sql, &[&lo, &hi, &upto]).await?;
    Ok(())
}

/// Rewrites the rows of these (service, UTC day) pairs, from sessions that started before
/// `upto` (the watermark).
pub(crate) async fn rebuild_pairs(
    tx: &Transaction<'_>,
    services: &[Uuid],
    days: &[NaiveDate],
    upto: DateTime<Utc>,
) -> Result<(), tokio_postgres::Error> {
    let (s, d) = (services.to_vec(), days.to_vec());
    tx.execute(
        "DELETE FROM rollup_visitor_hours r USING unnest($1::uuid[], $2::date[]) AS p(sid, day)
         WHERE r.service_id = p.sid
           AND r.hour >= p.day::timestamp AT TIME ZONE 'UTC'
           AND r.hour < (p.day + 1)::timestamp AT TIME ZONE 'UTC'",
        &[&s, &d],
    )
    .await?;
    let sql = insert_sql(
        "FROM unnest($1::uuid[], $2::date[]) AS p(sid, day)
         JOIN sessions s ON s.service_id = p.sid
          AND s.start_time >= p.day::timestamp AT TIME ZONE 'UTC'
          AND s.start_time < (p.day + 1)::timestamp AT TIME ZONE 'UTC'",
        "s.start_time < $3",
    );
    tx.execute(&sql, &[&s, &d, &upto]).await?;
    Ok(())
}
