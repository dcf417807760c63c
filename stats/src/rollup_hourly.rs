//! The scalar and dimension rollups of raw rows per UTC hour (`rollup_hours`,
//! `rollup_dims_hourly`), with the dimensions of [`crate::dimensions`]: a pass adds the counts of
//! one time slice after another ([`Target::Range`]), a re-roll replaces whole (service, hour)
//! pairs ([`Target::Pairs`]).

use crate::dimensions::{HIT_DIMS, SESSION_DIMS};
use chrono::{DateTime, Utc};
use tokio_postgres::Transaction;
use uuid::Uuid;

/// Every service, as the leading column of the raw tables' (service, time) indexes: a time
/// range alone matches no index, and Postgres read the whole month's partition for each slice.
/// A macro so the range conditions below can be `concat!`ed from it.
macro_rules! every_service {
    () => {
        "ANY(ARRAY(SELECT id FROM services))"
    };
}
pub(crate) const EVERY_SERVICE: &str = every_service!();

/// The sessions and hits that started in [$1, $2), found through their (service, start) index.
const RANGE_SESSIONS: &str = concat!(
    "s.service_id = ",
    every_service!(),
    " AND s.start_time >= $1 AND s.start_time < $2"
);
const RANGE_HITS: &str = concat!(
    "h.service_id = ",
    every_service!(),
    " AND h.start_time >= $1 AND h.start_time < $2"
);

/// Which rows a roll statement covers.
pub(crate) enum Target<'a> {
    /// Every service, raw rows that started in [lo, hi): their counts are added to the rows
    /// already there (a pass cleared its hours first and rolls them in slices).
    Range(DateTime<Utc>, DateTime<Utc>),
    /// These (service, hour) pairs, replaced whole.
    Pairs(&'a [Uuid], &'a [DateTime<Utc>]),
}

/// Rolls up (or re-rolls) the target's raw rows into `rollup_hours` and `rollup_dims_hourly`.
pub(crate) async fn roll(
    tx: &Transaction<'_>,
    target: &Target<'_>,
) -> Result<(), tokio_postgres::Error> {
    let (from_s, from_h, cond_s, cond_h) = match target {
        Target::Range(..) => (
            "FROM sessions s".to_owned(),
            "FROM hits h".to_owned(),
            RANGE_SESSIONS,
            RANGE_HITS,
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
    let deletes: &[&str] = match target {
        Target::Range(..) => &[],
        Target::Pairs(..) => &[
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
         GROUP BY 1, 2
         ON CONFLICT (service_id, hour) DO UPDATE SET
             sessions = rollup_hours.sessions + EXCLUDED.sessions,
             bounces = rollup_hours.bounces + EXCLUDED.bounces,
             duration_us = rollup_hours.duration_us + EXCLUDED.duration_us,
             hits = rollup_hours.hits + EXCLUDED.hits,
             load_time_sum = rollup_hours.load_time_sum + EXCLUDED.load_time_sum,
             load_time_count = rollup_hours.load_time_count + EXCLUDED.load_time_count"
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
            for sql in [hours.as_str(), dims.as_str()] {
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
