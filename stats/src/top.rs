//! Ranked dimension counts: the top-N tables and the paginated page list. Counts from every
//! source of a plan (raw edges, hourly, daily and monthly rollup rows) are summed, ranked and cut in one
//! statement, so a service with a hundred thousand distinct pages sends the requested slice to
//! the dashboard, not every key. Ties are broken by key in byte order (`COLLATE "C"`, the order
//! of Rust's `str`), so the rollup path and the raw path rank identically.

use crate::dimensions::{self, HIT_DIMS, SESSION_DIMS};
use crate::figures::{Row, StatsError, RAW_SEGMENTS};
use crate::months;
use crate::plan::Source;
use crate::window::Window;
use chrono::{DateTime, NaiveDate, Utc};
use tokio_postgres::GenericClient;
use uuid::Uuid;

/// The slice of one dimension's ranking to fetch: ranks `offset + 1 ..= offset + limit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Want {
    /// A [`dimensions::Dimension::code`].
    pub dim: i16,
    /// Rows to skip.
    pub offset: i64,
    /// Rows to return at most.
    pub limit: i64,
}

/// One dimension's slice, and what the whole ranking adds up to.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Ranked {
    /// The requested ranks, by count descending, then key.
    pub rows: Vec<Row>,
    /// Distinct keys with a non-zero count (for pagination).
    pub keys: i64,
    /// Sum of all counts (for shares of a total that includes rows not fetched).
    pub total: i64,
}

/// Rank 1 is always sent along (and dropped unless requested) so that `keys` and `total`
/// arrive even for an offset past the end.
fn statement() -> String {
    format!(
        r#"WITH want(dim, off, lim) AS (SELECT * FROM unnest($6::int2[], $7::int8[], $8::int8[])),
src(dim, key, n) AS (
    SELECT d.dim, d.key, count(*)::numeric FROM hits h
    CROSS JOIN LATERAL {hit_dims} AS d(dim, key)
    WHERE h.service_id = $1 AND {RAW_SEGMENTS} AND d.dim = ANY($6)
    GROUP BY 1, 2
  UNION ALL
    SELECT d.dim, d.key, count(*)::numeric FROM sessions s
    CROSS JOIN LATERAL {session_dims} AS d(dim, key)
    WHERE s.service_id = $1 AND {RAW_SEGMENTS} AND d.dim = ANY($6)
    GROUP BY 1, 2
  UNION ALL
    SELECT dim, key, sum(count) FROM rollup_dims_hourly
    WHERE service_id = $1 AND dim = ANY($6)
      AND ((hour >= $9 AND hour < $10) OR (hour >= $11 AND hour < $12))
    GROUP BY 1, 2
  UNION ALL
    SELECT dim, key, sum(count) FROM rollup_dims_daily
    WHERE service_id = $1 AND dim = ANY($6)
      AND ((day >= $13 AND day < $14) OR (day >= $15 AND day < $16))
    GROUP BY 1, 2
  UNION ALL
    SELECT dim, key, sum(count) FROM rollup_dims_monthly
    WHERE service_id = $1 AND dim = ANY($6) AND month >= $17 AND month < $18
    GROUP BY 1, 2
),
{RANK_TAIL}"#,
        hit_dims = *HIT_DIMS,
        session_dims = *SESSION_DIMS,
    )
}

/// The end of every ranking statement: sums `src(dim, key, n)` per key, ranks, and cuts each
/// dimension to the slice `want(dim, off, lim)` asks for (with rank 1 for the totals). The
/// filtered reader ([`crate::filtered`]) ranks its raw counts with the same text.
pub(crate) const RANK_TAIL: &str = r#"totals AS (SELECT dim, key, sum(n) AS n FROM src GROUP BY 1, 2 HAVING sum(n) <> 0),
ranked AS (
    SELECT dim, key, n,
           row_number() OVER (PARTITION BY dim ORDER BY n DESC, key COLLATE "C") AS rn,
           count(*) OVER (PARTITION BY dim) AS keys,
           sum(n) OVER (PARTITION BY dim) AS total
    FROM totals
)
SELECT r.dim, r.key, r.n::int8, r.keys, r.total::int8,
       r.rn > w.off AND r.rn <= w.off + w.lim
FROM ranked r JOIN want w USING (dim)
WHERE (r.rn > w.off AND r.rn <= w.off + w.lim) OR r.rn = 1
ORDER BY r.dim, r.rn"#;

/// The requested slices of one service's dimension rankings over `window`, indexed by
/// position in [`dimensions::ALL`] (dimensions not asked for stay empty). Each slice holds at most its
/// `limit` rows, whatever the number of distinct keys.
pub async fn ranked<C: GenericClient>(
    client: &C,
    service: Uuid,
    window: &Window,
    source: Source,
    wants: &[Want],
) -> Result<Vec<Ranked>, StatsError> {
    let mut out = vec![Ranked::default(); dimensions::ALL.len()];
    // One service gives one plan.
    let Some((p, _)) = crate::scalars::plans(client, &[service], window, source)
        .await?
        .into_iter()
        .next()
    else {
        return Ok(out);
    };
    let [(a, b), (c, d)] = p.raw_pair();
    let [(e, f), (g, h)] = p.dim_hour_pair();
    let epoch = DateTime::<Utc>::default().date_naive();
    let (day_lo, day_hi): (NaiveDate, NaiveDate) = p.dim_days.unwrap_or((epoch, epoch));
    // Whole months inside the daily range come from their monthly rows (closed months only:
    // the daily range ends at the watermark's day at the latest).
    let m = months::split(day_lo, day_hi);
    let dims: Vec<i16> = wants.iter().map(|w| w.dim).collect();
    let offsets: Vec<i64> = wants.iter().map(|w| w.offset.max(0)).collect();
    let limits: Vec<i64> = wants.iter().map(|w| w.limit.max(0)).collect();
    let params: [&(dyn tokio_postgres::types::ToSql + Sync); 18] = [
        &service,
        &a,
        &b,
        &c,
        &d,
        &dims,
        &offsets,
        &limits,
        &e,
        &f,
        &g,
        &h,
        &m.head.0,
        &m.head.1,
        &m.tail.0,
        &m.tail.1,
        &m.months.0,
        &m.months.1,
    ];
    let rows = if source == Source::Auto {
        serial(client, client.query(&statement(), &params)).await
    } else {
        client.query(&statement(), &params).await
    }?;
    collect(&mut out, rows);
    Ok(out)
}

/// Runs `query` on `client` without parallel workers. A rollup ranking sums a few thousand rows
/// (17k daily rows for 30 days at 10M demo hits); Postgres plans it with two workers, whose start
/// and merge cost more than they save, and the pages already read on two connections at once:
/// measured 28 ms against 50 ms (medians) on a busy two-core machine. The embedded cluster
/// turns parallel query off for every statement at start; this keeps the ranking serial on an
/// external server whose owner did not. The setting is reset
/// afterwards whatever the outcome; if a cancelled request leaves it on a pooled connection, it
/// only changes plans, never results.
async fn serial<C: GenericClient, T>(
    client: &C,
    query: impl std::future::Future<Output = Result<T, tokio_postgres::Error>>,
) -> Result<T, tokio_postgres::Error> {
    client
        .batch_execute("SET max_parallel_workers_per_gather = 0")
        .await?;
    let out = query.await;
    let reset = client
        .batch_execute("RESET max_parallel_workers_per_gather")
        .await;
    let out = out?;
    reset?;
    Ok(out)
}

/// Fills `out` (indexed like [`dimensions::ALL`]) from the rows of a [`RANK_TAIL`] statement.
pub(crate) fn collect(out: &mut [Ranked], rows: Vec<tokio_postgres::Row>) {
    for r in rows {
        let Some(slot) = dimensions::index_of(r.get(0)).and_then(|i| out.get_mut(i)) else {
            continue;
        };
        slot.keys = r.get(3);
        slot.total = r.get(4);
        if r.get::<_, bool>(5) {
            slot.rows.push(Row {
                key: r.get(1),
                count: r.get(2),
            });
        }
    }
}
