//! The rollup job's part for events and goals, run in [`crate::rollup`]'s passes (same slices,
//! same watermark, same dirty hours).
//!
//! Hours are hours of session start. Per hour, `rollup_events_*` hold each event name's events
//! and distinct sessions, and the same per (name, property key, value): enough to answer every
//! event goal, including goals defined after the data, without a row per goal. Page goals need
//! a row per goal (`rollup_goals_*`): per-page session counts cannot be added up for a glob,
//! because a session that viewed two matching pages must count once.
//!
//! A new page goal has no rows for the hours rolled before it existed. Its `rolled_from` says
//! where its rows start; [`backfill_goals`] fills [`GOAL_BACKFILL_HOURS`] more of them per pass,
//! backwards, from the raw rows retention still keeps, and clears `rolled_from` when it reaches
//! the service's oldest session. Readers answer a goal from raw rows until then, so no figure is
//! ever short while the backfill runs, and one request never has to scan a year of history.

use crate::event_sql::{PAGE_MATCH, PROPS};
use crate::plan::floor_hour;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use tokio_postgres::Transaction;
use uuid::Uuid;

/// Hours of one page goal's history recomputed per rollup pass.
pub const GOAL_BACKFILL_HOURS: i64 = 24 * 7;
/// Page goals advanced per rollup pass (the others wait for the next pass).
pub const GOAL_BACKFILL_GOALS_PER_PASS: i64 = 4;

/// Which hours a statement covers.
pub(crate) enum Span<'a> {
    /// Every service, sessions that started in [lo, hi): their counts are added to the rows
    /// already there (a pass cleared its hours first and rolls them in slices; a session's
    /// distinct count stays exact because a session starts in exactly one slice).
    Range(DateTime<Utc>, DateTime<Utc>),
    /// These (service, hour) pairs, replaced whole.
    Pairs(&'a [Uuid], &'a [DateTime<Utc>]),
}

/// Inserts the hourly event rows of the events `from` yields (as `e`): per event its totals
/// (NULL key) and one row per property.
fn insert_events(from: &str) -> String {
    format!(
        "INSERT INTO rollup_events_hourly (service_id, hour, name, prop_key, prop_value, events,
                                           sessions)
         SELECT e.service_id, date_trunc('hour', e.session_start, 'UTC'), e.name, p.key, p.value,
                count(*), count(DISTINCT e.session_id)
         {from}
         CROSS JOIN LATERAL (SELECT NULL::text, NULL::text
             UNION ALL SELECT q.key, q.value FROM {PROPS} AS q(key, value)) AS p(key, value)
         GROUP BY 1, 2, 3, 4, 5"
    )
}

/// Inserts the hourly rows of the page goals and sessions `from` yields (as `g` and `s`).
fn insert_goals(from: &str, cond: &str) -> String {
    format!(
        "INSERT INTO rollup_goals_hourly (service_id, goal_id, hour, sessions)
         SELECT g.service_id, g.id, date_trunc('hour', s.start_time, 'UTC'), count(*)
         {from} WHERE {cond} AND g.page_regex IS NOT NULL AND {PAGE_MATCH}
         GROUP BY 1, 2, 3
         ON CONFLICT (goal_id, hour) DO UPDATE
         SET sessions = rollup_goals_hourly.sessions + EXCLUDED.sessions"
    )
}

/// Rolls up (or re-rolls) the event and goal rows of `span`.
pub(crate) async fn roll(
    tx: &Transaction<'_>,
    span: &Span<'_>,
) -> Result<(), tokio_postgres::Error> {
    match span {
        Span::Range(lo, hi) => {
            // Per service, so each reads its slice of the (service, session_start) index.
            let events = insert_events(
                "FROM services sv CROSS JOIN LATERAL (
                     SELECT x.* FROM events x WHERE x.service_id = sv.id
                        AND x.session_start >= $1 AND x.session_start < $2) e",
            );
            let goals = insert_goals(
                "FROM goals g JOIN sessions s ON s.service_id = g.service_id
                    AND s.start_time >= $1 AND s.start_time < $2",
                "true",
            );
            for sql in [events.as_str(), goals.as_str()] {
                tx.execute(sql, &[lo, hi]).await?;
            }
        }
        Span::Pairs(s, h) => {
            let (s, h) = (s.to_vec(), h.to_vec());
            let events = insert_events(
                "FROM unnest($1::uuid[], $2::timestamptz[]) AS pr(sid, hr)
                 JOIN events e ON e.service_id = pr.sid AND e.session_start >= pr.hr
                  AND e.session_start < pr.hr + interval '1 hour'",
            );
            let goals = insert_goals(
                "FROM unnest($1::uuid[], $2::timestamptz[]) AS pr(sid, hr)
                 JOIN goals g ON g.service_id = pr.sid
                 JOIN sessions s ON s.service_id = pr.sid AND s.start_time >= pr.hr
                  AND s.start_time < pr.hr + interval '1 hour'",
                "true",
            );
            for sql in [
                "DELETE FROM rollup_events_hourly r
                 USING unnest($1::uuid[], $2::timestamptz[]) AS p(sid, hr)
                 WHERE r.service_id = p.sid AND r.hour = p.hr",
                "DELETE FROM rollup_goals_hourly r
                 USING unnest($1::uuid[], $2::timestamptz[]) AS p(sid, hr)
                 WHERE r.service_id = p.sid AND r.hour = p.hr",
                events.as_str(),
                goals.as_str(),
            ] {
                tx.execute(sql, &[&s, &h]).await?;
            }
        }
    }
    Ok(())
}

fn day_start(d: NaiveDate) -> DateTime<Utc> {
    d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()
}

/// Rebuilds the daily event and goal rows of every service for UTC days in [lo, hi).
pub(crate) async fn rebuild_days_range(
    tx: &Transaction<'_>,
    lo: NaiveDate,
    hi: NaiveDate,
) -> Result<(), tokio_postgres::Error> {
    for sql in [
        "DELETE FROM rollup_events_daily WHERE day >= $1 AND day < $2",
        "DELETE FROM rollup_goals_daily WHERE day >= $1 AND day < $2",
    ] {
        tx.execute(sql, &[&lo, &hi]).await?;
    }
    for sql in [
        "INSERT INTO rollup_events_daily (service_id, day, name, prop_key, prop_value, events,
                                          sessions)
         SELECT service_id, (hour AT TIME ZONE 'UTC')::date, name, prop_key, prop_value,
                sum(events)::int8, sum(sessions)::int8
         FROM rollup_events_hourly WHERE hour >= $1 AND hour < $2 GROUP BY 1, 2, 3, 4, 5",
        "INSERT INTO rollup_goals_daily (service_id, goal_id, day, sessions)
         SELECT service_id, goal_id, (hour AT TIME ZONE 'UTC')::date, sum(sessions)::int8
         FROM rollup_goals_hourly WHERE hour >= $1 AND hour < $2 GROUP BY 1, 2, 3",
    ] {
        tx.execute(sql, &[&day_start(lo), &day_start(hi)]).await?;
    }
    Ok(())
}

/// Rebuilds the daily event and goal rows of these (service, UTC day) pairs.
pub(crate) async fn rebuild_days_pairs(
    tx: &Transaction<'_>,
    services: &[Uuid],
    days: &[NaiveDate],
) -> Result<(), tokio_postgres::Error> {
    let (s, d) = (services.to_vec(), days.to_vec());
    const DAY: &str = "r.hour >= p.day::timestamp AT TIME ZONE 'UTC'
          AND r.hour < (p.day + 1)::timestamp AT TIME ZONE 'UTC'";
    let statements = [
        "DELETE FROM rollup_events_daily r USING unnest($1::uuid[], $2::date[]) AS p(sid, day)
         WHERE r.service_id = p.sid AND r.day = p.day"
            .to_owned(),
        "DELETE FROM rollup_goals_daily r USING unnest($1::uuid[], $2::date[]) AS p(sid, day)
         WHERE r.service_id = p.sid AND r.day = p.day"
            .to_owned(),
        format!(
            "INSERT INTO rollup_events_daily (service_id, day, name, prop_key, prop_value, events,
                                              sessions)
             SELECT p.sid, p.day, r.name, r.prop_key, r.prop_value, sum(r.events)::int8,
                    sum(r.sessions)::int8
             FROM unnest($1::uuid[], $2::date[]) AS p(sid, day)
             JOIN rollup_events_hourly r ON r.service_id = p.sid AND {DAY}
             GROUP BY 1, 2, 3, 4, 5"
        ),
        format!(
            "INSERT INTO rollup_goals_daily (service_id, goal_id, day, sessions)
             SELECT p.sid, r.goal_id, p.day, sum(r.sessions)::int8
             FROM unnest($1::uuid[], $2::date[]) AS p(sid, day)
             JOIN rollup_goals_hourly r ON r.service_id = p.sid AND {DAY}
             GROUP BY 1, 2, 3"
        ),
    ];
    for sql in &statements {
        tx.execute(sql.as_str(), &[&s, &d]).await?;
    }
    Ok(())
}

/// Recomputes one page goal's hours [lo, hi) and the UTC days they touch.
async fn roll_goal(
    tx: &Transaction<'_>,
    goal: i64,
    lo: DateTime<Utc>,
    hi: DateTime<Utc>,
) -> Result<(), tokio_postgres::Error> {
    let insert = insert_goals(
        "FROM goals g JOIN sessions s ON s.service_id = g.service_id
            AND s.start_time >= $2 AND s.start_time < $3",
        "g.id = $1",
    );
    tx.execute(
        "DELETE FROM rollup_goals_hourly WHERE goal_id = $1 AND hour >= $2 AND hour < $3",
        &[&goal, &lo, &hi],
    )
    .await?;
    tx.execute(&insert, &[&goal, &lo, &hi]).await?;
    // Whole days around the range: the hours outside it keep their rows.
    let d0 = lo.date_naive();
    let d1 = (hi - Duration::microseconds(1)).date_naive() + Duration::days(1);
    tx.execute(
        "DELETE FROM rollup_goals_daily WHERE goal_id = $1 AND day >= $2 AND day < $3",
        &[&goal, &d0, &d1],
    )
    .await?;
    tx.execute(
        "INSERT INTO rollup_goals_daily (service_id, goal_id, day, sessions)
         SELECT service_id, goal_id, (hour AT TIME ZONE 'UTC')::date, sum(sessions)::int8
         FROM rollup_goals_hourly WHERE goal_id = $1 AND hour >= $2 AND hour < $3
         GROUP BY 1, 2, 3",
        &[&goal, &day_start(d0), &day_start(d1)],
    )
    .await?;
    Ok(())
}

/// Advances the backfill of up to [`GOAL_BACKFILL_GOALS_PER_PASS`] page goals by
/// [`GOAL_BACKFILL_HOURS`] each; returns how many goals it worked on.
pub(crate) async fn backfill_goals(tx: &Transaction<'_>) -> Result<usize, tokio_postgres::Error> {
    // Locked, so a goal deleted meanwhile waits for this pass instead of losing rows under it.
    let pending = tx
        .query(
            "SELECT id, service_id, rolled_from FROM goals WHERE rolled_from IS NOT NULL
             ORDER BY id LIMIT $1 FOR UPDATE",
            &[&GOAL_BACKFILL_GOALS_PER_PASS],
        )
        .await?;
    for g in &pending {
        let (id, service, from): (i64, Uuid, DateTime<Utc>) = (g.get(0), g.get(1), g.get(2));
        let oldest: Option<DateTime<Utc>> = tx
            .query_one(
                "SELECT min(start_time) FROM sessions WHERE service_id = $1 AND start_time < $2",
                &[&service, &from],
            )
            .await?
            .get(0);
        let next = match oldest.map(floor_hour) {
            None => None,
            Some(floor) => {
                let lo = floor.max(from - Duration::hours(GOAL_BACKFILL_HOURS));
                roll_goal(tx, id, lo, from).await?;
                (lo > floor).then_some(lo)
            }
        };
        tx.execute(
            "UPDATE goals SET rolled_from = $2 WHERE id = $1",
            &[&id, &next],
        )
        .await?;
    }
    Ok(pending.len())
}
