//! The segment rollups ([`crate::segment`]): per hour the scalar sums of each pre-counted
//! segment (`rollup_segment_hours`), per complete UTC day every dimension's counts and the
//! distinct visitors (`rollup_segment_dims_daily`), and per hour the dimension counts of the day
//! the watermark is in (`rollup_segment_dims_hourly`, summed into daily rows when that day is
//! complete, then deleted), and per hour of session start each event name's events and sessions
//! (`rollup_segment_events_hourly`). Rolled in the rollup job's passes, from the same raw rows
//! and with the same definitions as the unfiltered rollups ([`crate::rollup`]); a hit counts in
//! the segment of its session.
//!
//! Coverage starts at `rollup_state.segments_from`: an install that existed before these tables
//! has its older days built from raw rows by [`backfill`], a week per pass.

use crate::dimensions::{self, Scope, HIT_DIMS, SESSION_DIMS, VISITORS_DAY_CODE};
use crate::filter_sql::seen_after_hint;
use crate::plan::day_start;
use crate::rollup_hourly::EVERY_SERVICE;
use crate::segment::{daily_only, FIELDS, VALUES};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use std::sync::LazyLock;
use tokio_postgres::types::ToSql;
use tokio_postgres::Transaction;
use uuid::Uuid;

/// Days one pass fills backwards (at 10M demo hits a year a day takes about 0.3 s).
pub const BACKFILL_DAYS: i64 = 7;

/// Which raw rows a statement covers.
pub(crate) enum Span<'a> {
    /// Every service, [lo, hi).
    Range(DateTime<Utc>, DateTime<Utc>),
    /// Per listed service, [start, start + len) with `len` an SQL interval (`1 hour`, `1 day`).
    Each(&'a [Uuid], &'a [DateTime<Utc>], &'static str),
}

/// Session dimensions with hourly segment rows (all but [`crate::segment::DAILY_ONLY`]).
static HOURLY_SESSION_DIMS: LazyLock<String> =
    LazyLock::new(|| dimensions::values(|d| d.scope == Scope::Session && !daily_only(d.code)));

/// A bucket of rows: the UTC hour or the UTC day of their start.
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Bucket {
    Hour,
    Day,
}

impl Bucket {
    /// The bucket column of the rollup tables.
    pub(crate) fn column(self) -> &'static str {
        match self {
            Bucket::Hour => "hour",
            Bucket::Day => "day",
        }
    }

    /// A bound on that column from a timestamptz expression.
    pub(crate) fn bound(self, ts: &str) -> String {
        match self {
            Bucket::Hour => ts.to_owned(),
            Bucket::Day => format!("(({ts})::timestamptz AT TIME ZONE 'UTC')::date"),
        }
    }

    pub(crate) fn of(self, alias: &str) -> String {
        match self {
            Bucket::Hour => format!("date_trunc('hour', {alias}.start_time, 'UTC')"),
            Bucket::Day => format!("({alias}.start_time AT TIME ZONE 'UTC')::date"),
        }
    }
}

impl Span<'_> {
    /// `FROM … WHERE …` of the sessions the span covers (alias `s`).
    pub(crate) fn sessions(&self) -> String {
        match self {
            Span::Range(..) => format!(
                "FROM sessions s WHERE s.service_id = {EVERY_SERVICE}
                  AND s.start_time >= $1 AND s.start_time < $2"
            ),
            Span::Each(_, _, len) => format!(
                "FROM unnest($1::uuid[], $2::timestamptz[]) AS p(sid, lo)
                 JOIN sessions s ON s.service_id = p.sid AND s.start_time >= p.lo
                  AND s.start_time < p.lo + interval '{len}' WHERE true"
            ),
        }
    }

    /// `FROM … WHERE …` of the hits the span covers (alias `h`) with their sessions (`s`). A
    /// session starts no later than its hits and is last seen no earlier, and the sessions
    /// index on (service, last seen) finds exactly those live in the span; for spans in the past
    /// (backfill, re-rolls) [`seen_after_hint`] keeps that from reading all later sessions.
    fn hits(&self) -> String {
        match self {
            Span::Range(..) => format!(
                "FROM hits h
                 JOIN sessions s ON s.id = h.session_id AND s.service_id = h.service_id
                  AND s.service_id = {EVERY_SERVICE}
                  AND s.last_seen >= $1 AND s.start_time < $2
                 WHERE h.service_id = {EVERY_SERVICE}
                  AND h.start_time >= $1 AND h.start_time < $2"
            ),
            Span::Each(_, _, len) => format!(
                "FROM unnest($1::uuid[], $2::timestamptz[]) AS p(sid, lo)
                 JOIN hits h ON h.service_id = p.sid AND h.start_time >= p.lo
                  AND h.start_time < p.lo + interval '{len}'
                 JOIN sessions s ON s.id = h.session_id AND s.service_id = p.sid
                  AND s.last_seen >= p.lo AND s.start_time < p.lo + interval '{len}'
                  AND {}
                 WHERE true",
                seen_after_hint("s", "p.lo")
            ),
        }
    }

    /// Deletes the span's rows of `table`, bucketed by `bucket`.
    pub(crate) fn delete(&self, table: &str, bucket: Bucket) -> String {
        let col = bucket.column();
        let (lo, hi) = match self {
            Span::Range(..) => (bucket.bound("$1"), bucket.bound("$2")),
            Span::Each(_, _, len) => (
                bucket.bound("p.lo"),
                bucket.bound(&format!("p.lo + interval '{len}'")),
            ),
        };
        match self {
            Span::Range(..) => format!("DELETE FROM {table} WHERE {col} >= {lo} AND {col} < {hi}"),
            Span::Each(..) => format!(
                "DELETE FROM {table} r USING unnest($1::uuid[], $2::timestamptz[]) AS p(sid, lo)
                 WHERE r.service_id = p.sid AND r.{col} >= {lo} AND r.{col} < {hi}"
            ),
        }
    }

    pub(crate) async fn run(
        &self,
        tx: &Transaction<'_>,
        sql: &str,
    ) -> Result<u64, tokio_postgres::Error> {
        match self {
            Span::Range(lo, hi) => tx.execute(sql, &[lo, hi]).await,
            Span::Each(s, t, _) => {
                let (s, t) = (s.to_vec(), t.to_vec());
                let p: [&(dyn ToSql + Sync); 2] = [&s, &t];
                tx.execute(sql, &p).await
            }
        }
    }
}

/// Every dimension's counts per bucket and segment into the bucket's table (the dimensions of
/// [`crate::segment::DAILY_ONLY`] only with `daily_only`, never per hour). Rows are first counted per
/// combination of the fields' values ([`field_columns`]) and only then fanned out to the segments
/// ([`fan_out`]): a busy hour has far fewer combinations than rows, and each combination
/// belongs to fifteen segments.
fn dims_sql(span: &Span, bucket: Bucket, daily_only: bool) -> String {
    let table = match bucket {
        Bucket::Hour => "rollup_segment_dims_hourly",
        Bucket::Day => "rollup_segment_dims_daily",
    };
    let col = bucket.column();
    format!(
        "INSERT INTO {table} (service_id, {col}, fdim, fval, dim, key, count)
         SELECT s.service_id, s.b, f.fdim, f.fval, s.dim, s.key, sum(s.n)::int8
         FROM (SELECT s.service_id, {bs} AS b, {fields}, d.dim, d.key, count(*) AS n
               {from_s}
               GROUP BY {group}
               UNION ALL
               SELECT h.service_id, {bh}, {fields}, d.dim, d.key, count(*)
               {from_h} AND d.dim IS NOT NULL
               GROUP BY {group}) s
         {fan}
         GROUP BY 1, 2, 3, 4, 5, 6",
        bs = bucket.of("s"),
        bh = bucket.of("h"),
        fields = field_columns(),
        group = positions(FIELDS.len() + 4),
        from_s = with_lateral(
            &span.sessions(),
            &format!(
                "CROSS JOIN LATERAL {} AS d(dim, key)",
                if daily_only {
                    &*SESSION_DIMS
                } else {
                    &*HOURLY_SESSION_DIMS
                }
            )
        ),
        from_h = with_lateral(
            &span.hits(),
            &format!("CROSS JOIN LATERAL {} AS d(dim, key)", *HIT_DIMS)
        ),
        fan = fan_out(),
    )
}

/// The select list of the pre-counted fields, named as their session columns, so that
/// [`VALUES`] reads them from a derived table aliased `s`.
fn field_columns() -> String {
    let cols: Vec<String> = FIELDS
        .iter()
        .map(|d| format!("{} AS {}", d.sql(), d.column))
        .collect();
    cols.join(", ")
}

/// GROUP BY positions of the first `n` columns of a select list.
fn positions(n: usize) -> String {
    let p: Vec<String> = (1..=n).map(|i| i.to_string()).collect();
    p.join(", ")
}

/// The join that gives every row of a derived table `s` (with the fields' columns) its
/// segments `f(fdim, fval)`.
fn fan_out() -> String {
    format!("CROSS JOIN LATERAL {} AS f(fdim, fval)", *VALUES)
}

/// Puts `more` (further LATERALs) between the FROM list and the WHERE of `from`.
pub(crate) fn with_lateral(from: &str, more: &str) -> String {
    let at = from.rfind("WHERE").unwrap_or(from.len());
    format!("{} {more} {}", &from[..at], &from[at..])
}

/// Puts the segment LATERAL between the FROM list and the WHERE of `from`.
fn lateral(from: &str) -> String {
    with_lateral(from, &fan_out())
}

/// Distinct visitors per UTC day and segment (whole days only).
fn visitors_sql(span: &Span) -> String {
    format!(
        "INSERT INTO rollup_segment_dims_daily (service_id, day, fdim, fval, dim, key, count)
         SELECT s.service_id, {day}, f.fdim, f.fval, {VISITORS_DAY_CODE}::int2, '',
                count(DISTINCT s.visitor)
         {from} AND s.visitor IS NOT NULL
         GROUP BY 1, 2, 3, 4",
        day = Bucket::Day.of("s"),
        from = lateral(&span.sessions()),
    )
}

/// Each event name's events and distinct sessions per hour of session start and segment.
fn events_sql(span: &Span) -> String {
    format!(
        "INSERT INTO rollup_segment_events_hourly (service_id, hour, fdim, fval, name, events,
                                                   sessions)
         SELECT s.service_id, {hs}, f.fdim, f.fval, e.name, count(*), count(DISTINCT e.session_id)
         {from}
         GROUP BY 1, 2, 3, 4, 5",
        hs = Bucket::Hour.of("s"),
        from = lateral(&with_lateral(
            &span.sessions(),
            "JOIN events e ON e.session_id = s.id AND e.session_start = s.start_time
              AND e.service_id = s.service_id"
        )),
    )
}

/// Rolls the hours of `span` again: replaces the scalar sums and event counts, and with
/// `tables` the hourly dimension counts.
pub(crate) async fn roll_hours(
    tx: &Transaction<'_>,
    span: &Span<'_>,
    tables: bool,
) -> Result<(), tokio_postgres::Error> {
    span.run(tx, &span.delete("rollup_segment_hours", Bucket::Hour))
        .await?;
    span.run(
        tx,
        &span.delete("rollup_segment_events_hourly", Bucket::Hour),
    )
    .await?;
    if tables {
        span.run(tx, &span.delete("rollup_segment_dims_hourly", Bucket::Hour))
            .await?;
    }
    add_hours(tx, span, tables).await
}

/// Adds the counts of the raw rows of `span` to the hourly rows (a pass's slice; see
/// [`roll_hours`]). Hits count in the hour of their own start, sessions and events in the hour
/// of the session's start, so a slice by start time splits every count without overlap.
pub(crate) async fn add_hours(
    tx: &Transaction<'_>,
    span: &Span<'_>,
    tables: bool,
) -> Result<(), tokio_postgres::Error> {
    span.run(tx, &hours_sql(span)).await?;
    span.run(tx, &events_sql(span)).await?;
    if tables {
        span.run(tx, &dims_sql(span, Bucket::Hour, false)).await?;
    }
    Ok(())
}

/// Adds the dimension counts of the raw rows of `span` to the rows of `bucket`, without the
/// daily-only dimensions. A pass over whole days that complete within it (catching up after
/// downtime, a demo load or an import) counts them straight per day, because hourly rows summed
/// and dropped in the same pass cost several times more (they are the most rows a pass writes).
/// The daily-only dimensions and the visitors follow when the days complete
/// ([`crate::rollup_segment_days::count_complete_day_kind`]).
pub(crate) async fn add_dims(
    tx: &Transaction<'_>,
    span: &Span<'_>,
    bucket: Bucket,
) -> Result<(), tokio_postgres::Error> {
    span.run(tx, &dims_sql(span, bucket, false)).await?;
    Ok(())
}

/// The scalar sums per hour and segment, first per combination of the fields' values, then
/// fanned out (as in [`dims_sql`]).
fn hours_sql(span: &Span) -> String {
    format!(
        "INSERT INTO rollup_segment_hours (service_id, hour, fdim, fval, sessions, bounces,
                                           duration_us, hits, load_time_sum, load_time_count)
         SELECT s.service_id, s.hour, f.fdim, f.fval, sum(n_s)::int8, sum(n_b)::int8,
                sum(d_us)::int8, sum(n_h)::int8, sum(lt_sum), sum(lt_n)::int8
         FROM (SELECT s.service_id, {hs} AS hour, {fields},
                      count(*) AS n_s, count(*) FILTER (WHERE s.is_bounce) AS n_b,
                      sum(extract(epoch FROM s.last_seen - s.start_time) * 1000000) AS d_us,
                      0::int8 AS n_h, 0::float8 AS lt_sum, 0::int8 AS lt_n
               {from_s} GROUP BY {group}
               UNION ALL
               SELECT h.service_id, {hh}, {fields}, 0, 0, 0, count(*),
                      coalesce(sum(h.load_time), 0), count(h.load_time)
               {from_h} GROUP BY {group}) s
         {fan}
         GROUP BY 1, 2, 3, 4",
        hs = Bucket::Hour.of("s"),
        hh = Bucket::Hour.of("h"),
        fields = field_columns(),
        group = positions(FIELDS.len() + 2),
        from_s = span.sessions(),
        from_h = span.hits(),
        fan = fan_out(),
    )
}

/// Rebuilds the daily rows (tables and visitors) of the whole UTC days `span` covers from raw
/// rows.
pub(crate) async fn build_days(
    tx: &Transaction<'_>,
    span: &Span<'_>,
) -> Result<(), tokio_postgres::Error> {
    span.run(tx, &span.delete("rollup_segment_dims_daily", Bucket::Day))
        .await?;
    span.run(tx, &dims_sql(span, Bucket::Day, true)).await?;
    span.run(tx, &visitors_sql(span)).await?;
    Ok(())
}

/// The first covered day (None before the first pass).
pub(crate) async fn covered_from(
    tx: &Transaction<'_>,
) -> Result<Option<NaiveDate>, tokio_postgres::Error> {
    Ok(tx
        .query_one("SELECT segments_from FROM rollup_state WHERE id", &[])
        .await?
        .get(0))
}

/// Re-rolls dirty (service, hour) pairs (all before `watermark`): hours of the open day with
/// their hourly table rows; hours of complete days with their days rebuilt from raw (days before
/// the coverage too: unread, but an erasure must leave no trace in them either).
pub(crate) async fn reroll(
    tx: &Transaction<'_>,
    services: &[Uuid],
    hours: &[DateTime<Utc>],
    watermark: DateTime<Utc>,
) -> Result<(), tokio_postgres::Error> {
    if covered_from(tx).await?.is_none() {
        return Ok(());
    }
    let open = day_start(watermark.date_naive());
    let mut open_s = Vec::new();
    let mut open_h = Vec::new();
    let mut closed_s = Vec::new();
    let mut closed_h = Vec::new();
    let mut days: Vec<(Uuid, DateTime<Utc>)> = Vec::new();
    for (s, h) in services.iter().zip(hours) {
        if *h >= open {
            open_s.push(*s);
            open_h.push(*h);
        } else {
            closed_s.push(*s);
            closed_h.push(*h);
            days.push((*s, day_start(h.date_naive())));
        }
    }
    if !open_s.is_empty() {
        roll_hours(tx, &Span::Each(&open_s, &open_h, "1 hour"), true).await?;
    }
    if !closed_s.is_empty() {
        roll_hours(tx, &Span::Each(&closed_s, &closed_h, "1 hour"), false).await?;
        days.sort_unstable();
        days.dedup();
        let ds: Vec<Uuid> = days.iter().map(|d| d.0).collect();
        let dd: Vec<DateTime<Utc>> = days.iter().map(|d| d.1).collect();
        build_days(tx, &Span::Each(&ds, &dd, "1 day")).await?;
    }
    Ok(())
}

/// Starts the coverage at `first` if nothing is covered yet (the first pass).
pub(crate) async fn start_at(
    tx: &Transaction<'_>,
    first: NaiveDate,
) -> Result<(), tokio_postgres::Error> {
    tx.execute(
        "UPDATE rollup_state SET segments_from = $1 WHERE id AND segments_from IS NULL",
        &[&first],
    )
    .await?;
    Ok(())
}

/// Builds up to [`BACKFILL_DAYS`] complete days before the covered ones from raw rows, while
/// older raw rows exist (first the open day's rolled hours, when coverage starts after it).
/// Returns whether days may remain to be filled.
pub(crate) async fn backfill(
    tx: &Transaction<'_>,
    watermark: DateTime<Utc>,
) -> Result<bool, tokio_postgres::Error> {
    let Some(from) = covered_from(tx).await? else {
        return Ok(false);
    };
    let open = watermark.date_naive();
    if from > open {
        // Coverage starts after the open day (an upgrade): its rolled hours are rolled again
        // with their hourly table rows, so the day is whole when it completes.
        roll_hours(tx, &Span::Range(day_start(open), watermark), true).await?;
        tx.execute(
            "UPDATE rollup_state SET segments_from = $1 WHERE id",
            &[&open],
        )
        .await?;
        return Ok(true);
    }
    let end = day_start(from);
    let older: bool = tx
        .query_one(
            // Per service, so each finds its oldest row through its (service, start) index
            // instead of scanning the partition that holds the coverage start.
            "SELECT coalesce(least(
                 (SELECT min((SELECT min(start_time) FROM sessions x WHERE x.service_id = v.id))
                  FROM services v),
                 (SELECT min((SELECT min(start_time) FROM hits x WHERE x.service_id = v.id))
                  FROM services v)) < $1, false)",
            &[&end],
        )
        .await?
        .get(0);
    if !older {
        return Ok(false);
    }
    let lo = from - Duration::days(BACKFILL_DAYS);
    let span = Span::Range(day_start(lo), end);
    roll_hours(tx, &span, false).await?;
    build_days(tx, &span).await?;
    tx.execute(
        "UPDATE rollup_state SET segments_from = $1 WHERE id",
        &[&lo],
    )
    .await?;
    Ok(true)
}
