//! The figures of a filtered view. Rollups are counted per dimension, not per combination of
//! dimensions, so they cannot answer "sessions from Germany using Firefox": a filtered figure is
//! counted from raw `sessions`, `hits` (and `events`) rows of the window, with the predicates of
//! [`crate::filter_sql`]. Every statement is set-based, bounded by the window (itself capped at
//! [`crate::window::MAX_WINDOW_DAYS`]) and by LIMITs, and binds the filter values as parameters.
//! The unfiltered readers (rollups plus raw edges) are not involved: callers choose this module
//! only when a filter is active, so unfiltered views cost what they cost before.
//!
//! Each function here mirrors an unfiltered one and uses the same definitions (strict window
//! bounds, sessions by their start, hits by their own time, visitors distinct per UTC day), so
//! with no filter it returns exactly what [`crate::Source::Raw`] returns.

use crate::chart::{empty_points, Chart, Granularity};
use crate::dimensions::{self, HIT_DIMS, SESSION_DIMS};
use crate::figures::StatsError;
use crate::filter_sql::{hit_clause, params, session_clause, values};
use crate::filters::Filters;
use crate::scalars::{Scalars, Sums};
use crate::tables::{assemble, wants, CoreStats, Tables};
use crate::top::{self, Ranked, RANK_TAIL};
use crate::window::Window;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use std::collections::HashMap;
use tokio_postgres::GenericClient;
use uuid::Uuid;

/// The exact sums of the segment over `w`.
pub async fn sums<C: GenericClient>(
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

/// The scalar figures of the segment over `w`.
pub async fn scalars<C: GenericClient>(
    client: &C,
    service: Uuid,
    w: &Window,
    filters: &Filters,
) -> Result<Scalars, StatsError> {
    Ok(sums(client, service, w, filters).await?.scalars())
}

/// Distinct visitors of the segment per UTC day, added up over `w`'s days.
pub async fn visitors<C: GenericClient>(
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

/// The requested slices of the segment's rankings (see [`top::ranked`]).
pub async fn ranked<C: GenericClient>(
    client: &C,
    service: Uuid,
    w: &Window,
    filters: &Filters,
    want: &[top::Want],
) -> Result<Vec<Ranked>, StatsError> {
    let dims: Vec<i16> = want.iter().map(|x| x.dim).collect();
    let offsets: Vec<i64> = want.iter().map(|x| x.offset.max(0)).collect();
    let limits: Vec<i64> = want.iter().map(|x| x.limit.max(0)).collect();
    let sql = format!(
        r#"WITH want(dim, off, lim) AS (SELECT * FROM unnest($4::int2[], $5::int8[], $6::int8[])),
src(dim, key, n) AS (
    SELECT d.dim, d.key, count(*)::numeric FROM hits h
    CROSS JOIN LATERAL {hit_dims} AS d(dim, key)
    WHERE h.service_id = $1 AND h.start_time > $2 AND h.start_time < $3 AND d.dim = ANY($4)
      AND {hits}
    GROUP BY 1, 2
  UNION ALL
    SELECT d.dim, d.key, count(*)::numeric FROM sessions s
    CROSS JOIN LATERAL {session_dims} AS d(dim, key)
    WHERE s.service_id = $1 AND s.start_time > $2 AND s.start_time < $3 AND d.dim = ANY($4)
      AND {sessions}
    GROUP BY 1, 2
),
{RANK_TAIL}"#,
        hit_dims = *HIT_DIMS,
        session_dims = *SESSION_DIMS,
        hits = hit_clause(filters, "h", 6, ("$2", "$3")),
        sessions = session_clause(filters, "s", 6),
    );
    let vals = values(filters);
    let rows = client
        .query(
            &sql,
            &params(
                &[&service, &w.start, &w.end, &dims, &offsets, &limits],
                &vals,
            ),
        )
        .await?;
    let mut out = vec![Ranked::default(); dimensions::ALL.len()];
    top::collect(&mut out, rows);
    Ok(out)
}

/// The segment's top-N tables (hidden referrers removed before the cut, as unfiltered).
pub async fn tables<C: GenericClient>(
    client: &C,
    service: Uuid,
    w: &Window,
    hide_referrer: Option<&regex::Regex>,
    filters: &Filters,
) -> Result<Tables, StatsError> {
    let r = ranked(client, service, w, filters, &wants(hide_referrer)).await?;
    Ok(assemble(r, hide_referrer))
}

/// Sessions of the segment seen within `online_window` of `now` (not windowed).
pub async fn online<C: GenericClient>(
    client: &C,
    service: Uuid,
    online_window: Duration,
    now: DateTime<Utc>,
    filters: &Filters,
) -> Result<i64, StatsError> {
    let vals = values(filters);
    let since = now - online_window;
    let sql = format!(
        "SELECT count(*) FROM sessions s WHERE s.service_id = $1 AND s.last_seen > $2 AND {}",
        session_clause(filters, "s", 2)
    );
    Ok(client
        .query_one(&sql, &params(&[&service, &since], &vals))
        .await?
        .get(0))
}

/// The core stats of the segment ([`crate::core_stats`] with filters).
pub async fn core_stats<C: GenericClient>(
    client: &C,
    service: Uuid,
    w: &Window,
    hide_referrer: Option<&regex::Regex>,
    online_window: Duration,
    now: DateTime<Utc>,
    filters: &Filters,
) -> Result<CoreStats, StatsError> {
    let sc = scalars(client, service, w, filters).await?;
    let online = online(client, service, online_window, now, filters).await?;
    let has_hits = crate::has_hits(client, service).await?;
    let visitors = visitors(client, service, w, filters).await?;
    let t = tables(client, service, w, hide_referrer, filters).await?;
    Ok(CoreStats {
        currently_online: online,
        session_count: sc.session_count,
        hit_count: sc.hit_count,
        has_hits,
        bounce_rate_pct: sc.bounce_rate_pct,
        avg_session_duration: sc.avg_session_duration,
        avg_load_time: sc.avg_load_time,
        avg_hits_per_session: sc.avg_hits_per_session,
        entry_count: t.entry_count,
        visitor_count: visitors,
        dims: t.dims,
    })
}

/// The segment's hits/sessions series over `w` (buckets as [`crate::chart::charts_many`]).
pub async fn chart<C: GenericClient>(
    client: &C,
    service: Uuid,
    w: &Window,
    tz: Tz,
    now: DateTime<Utc>,
    filters: &Filters,
) -> Result<Chart, StatsError> {
    let (g, mut points) = empty_points(w, tz, now);
    let by_start: HashMap<i64, usize> = points
        .iter()
        .enumerate()
        .map(|(i, p)| (p.start.timestamp(), i))
        .collect();
    let by_day: HashMap<NaiveDate, usize> = points
        .iter()
        .enumerate()
        .filter_map(|(i, p)| p.day.map(|d| (d, i)))
        .collect();
    let vals = values(filters);
    let tz_name = tz.name();
    let p = params(&[&service, &w.start, &w.end, &tz_name], &vals);
    for (table, alias, is_hits) in [("sessions", "s", false), ("hits", "h", true)] {
        let clause = if is_hits {
            hit_clause(filters, alias, 4, ("$2", "$3"))
        } else {
            session_clause(filters, alias, 4)
        };
        let bucket = match g {
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
            let i = match g {
                Granularity::Hourly => key
                    .parse::<f64>()
                    .ok()
                    .and_then(|b| by_start.get(&(b as i64)).copied()),
                Granularity::Daily => key
                    .parse::<NaiveDate>()
                    .ok()
                    .and_then(|d| by_day.get(&d).copied()),
            };
            if let Some(pt) = i.and_then(|i| points.get_mut(i)) {
                if is_hits {
                    pt.hits += n;
                } else {
                    pt.sessions += n;
                }
            }
        }
    }
    Ok(Chart {
        granularity: g,
        points,
    })
}
