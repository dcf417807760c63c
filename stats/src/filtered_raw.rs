//! The raw readers of filtered views: sums, visitors, ranking rows and chart buckets counted
//! from raw `sessions`, `hits` (and `events`) rows with the predicates of [`crate::filter_sql`].
//! Every statement is set-based, bounded by its window (itself capped at
//! [`crate::window::MAX_WINDOW_DAYS`]) and by LIMITs, and binds the filter values as
//! parameters. [`crate::filtered`] answers any filter set with them;
//! [`crate::segment_read`] uses them for the raw edges of a pre-counted segment.

use crate::chart::{Granularity, Point};
use crate::dimensions::{HIT_DIMS, SESSION_DIMS};
use crate::figures::StatsError;
use crate::filter_sql::{hit_clause, params, session_clause, values};
use crate::filters::Filters;
use crate::scalars::Sums;
use crate::window::Window;
use chrono::NaiveDate;
use chrono_tz::Tz;
use std::collections::HashMap;
use tokio_postgres::GenericClient;
use uuid::Uuid;

/// The sums of the segment's raw rows over `w`.
pub(crate) async fn sums<C: GenericClient>(
    client: &C,
    service: Uuid,
    w: &Window,
    filters: &Filters,
) -> Result<Sums, StatsError> {
    let vals = values(filters);
    let p = params(&[&service, &w.start, &w.end], &vals);
    let s = client
        .query_one(
            &format!(
                "SELECT count(*), count(*) FILTER (WHERE s.is_bounce),
                        coalesce(sum(extract(epoch FROM s.last_seen - s.start_time) * 1000000), 0)::int8
                 FROM sessions s
                 WHERE s.service_id = $1 AND s.start_time > $2 AND s.start_time < $3 AND {}",
                session_clause(filters, "s", 3)
            ),
            &p,
        )
        .await?;
    let h = client
        .query_one(
            &format!(
                "SELECT count(*), coalesce(sum(h.load_time), 0), count(h.load_time)
                 FROM hits h
                 WHERE h.service_id = $1 AND h.start_time > $2 AND h.start_time < $3 AND {}",
                hit_clause(filters, "h", 3, ("$2", "$3"))
            ),
            &p,
        )
        .await?;
    Ok(Sums {
        sessions: s.get(0),
        bounces: s.get(1),
        duration_us: s.get(2),
        hits: h.get(0),
        load_time_sum: h.get(1),
        load_time_count: h.get(2),
    })
}

/// Distinct visitors of the segment's raw rows per UTC day over `w`.
pub(crate) async fn visitors<C: GenericClient>(
    client: &C,
    service: Uuid,
    w: &Window,
    filters: &Filters,
) -> Result<i64, StatsError> {
    let vals = values(filters);
    let sql = format!(
        "SELECT count(*) FROM (
             SELECT DISTINCT (s.start_time AT TIME ZONE 'UTC')::date, s.visitor FROM sessions s
             WHERE s.service_id = $1 AND s.start_time > $2 AND s.start_time < $3
               AND s.visitor IS NOT NULL AND {}) x",
        session_clause(filters, "s", 3)
    );
    Ok(client
        .query_one(&sql, &params(&[&service, &w.start, &w.end], &vals))
        .await?
        .get(0))
}

/// The `src(dim, key, n)` rows of the segment's raw rows in the strict span `within` (two
/// parameters) for the dimensions in the `int2[]` parameter `dims`, negated unless `add`;
/// filter values are parameters from `base + 1` on. Service is `$1`.
pub(crate) fn src(
    filters: &Filters,
    within: (&str, &str),
    dims: &str,
    base: usize,
    add: bool,
) -> String {
    let (lo, hi) = within;
    let n = if add {
        "count(*)::numeric"
    } else {
        "-count(*)::numeric"
    };
    format!(
        "SELECT d.dim, d.key, {n} FROM hits h
    CROSS JOIN LATERAL {hit_dims} AS d(dim, key)
    WHERE h.service_id = $1 AND h.start_time > {lo} AND h.start_time < {hi} AND d.dim = ANY({dims})
      AND {hits}
    GROUP BY 1, 2
  UNION ALL
    SELECT d.dim, d.key, {n} FROM sessions s
    CROSS JOIN LATERAL {session_dims} AS d(dim, key)
    WHERE s.service_id = $1 AND s.start_time > {lo} AND s.start_time < {hi} AND d.dim = ANY({dims})
      AND {sessions}
    GROUP BY 1, 2",
        hit_dims = *HIT_DIMS,
        session_dims = *SESSION_DIMS,
        hits = hit_clause(filters, "h", base, within),
        sessions = session_clause(filters, "s", base),
    )
}

/// Finds a chart's point by the text key its SQL gives a bucket: the epoch seconds of a local
/// hour's start, or a local date.
pub(crate) struct Buckets {
    g: Granularity,
    by_start: HashMap<i64, usize>,
    by_day: HashMap<NaiveDate, usize>,
}

impl Buckets {
    pub(crate) fn new(g: Granularity, points: &[Point]) -> Buckets {
        Buckets {
            g,
            by_start: points
                .iter()
                .enumerate()
                .map(|(i, p)| (p.start.timestamp(), i))
                .collect(),
            by_day: points
                .iter()
                .enumerate()
                .filter_map(|(i, p)| p.day.map(|d| (d, i)))
                .collect(),
        }
    }

    /// The granularity.
    pub(crate) fn granularity(&self) -> Granularity {
        self.g
    }

    /// The point of the bucket keyed `key`.
    pub(crate) fn index(&self, key: &str) -> Option<usize> {
        match self.g {
            Granularity::Hourly => key
                .parse::<f64>()
                .ok()
                .and_then(|b| self.by_start.get(&(b as i64)).copied()),
            Granularity::Daily => key
                .parse::<NaiveDate>()
                .ok()
                .and_then(|d| self.by_day.get(&d).copied()),
        }
    }
}

/// Adds the segment's raw rows in `w` to the chart's points.
pub(crate) async fn add_chart<C: GenericClient>(
    client: &C,
    service: Uuid,
    w: &Window,
    tz: Tz,
    filters: &Filters,
    (buckets, points): (&Buckets, &mut [Point]),
) -> Result<(), StatsError> {
    let vals = values(filters);
    let tz_name = tz.name();
    let p = params(&[&service, &w.start, &w.end, &tz_name], &vals);
    for (table, alias, is_hits) in [("sessions", "s", false), ("hits", "h", true)] {
        let clause = if is_hits {
            hit_clause(filters, alias, 4, ("$2", "$3"))
        } else {
            session_clause(filters, alias, 4)
        };
        let bucket = match buckets.g {
            Granularity::Hourly => format!(
                "(floor((extract(epoch FROM {alias}.start_time) + extract(epoch FROM \
                 ({alias}.start_time AT TIME ZONE $4) - ({alias}.start_time AT TIME ZONE 'UTC'))) \
                 / 3600) * 3600 - extract(epoch FROM ({alias}.start_time AT TIME ZONE $4) - \
                 ({alias}.start_time AT TIME ZONE 'UTC')))::float8::text"
            ),
            Granularity::Daily => format!("(({alias}.start_time AT TIME ZONE $4)::date)::text"),
        };
        let sql = format!(
            "SELECT {bucket}, count(*) FROM {table} {alias}
             WHERE {alias}.service_id = $1 AND {alias}.start_time > $2 AND {alias}.start_time < $3
               AND {clause}
             GROUP BY 1"
        );
        for r in client.query(&sql, &p).await? {
            let key: String = r.get(0);
            let n: i64 = r.get(1);
            if let Some(pt) = buckets.index(&key).and_then(|i| points.get_mut(i)) {
                if is_hits {
                    pt.hits += n;
                } else {
                    pt.sessions += n;
                }
            }
        }
    }
    Ok(())
}
