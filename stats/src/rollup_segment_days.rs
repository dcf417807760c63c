//! Closing days of the segment rollups ([`crate::rollup_segments`]): when the rollup pass moves
//! the watermark past a UTC day, the day's hourly dimension rows are summed into daily rows, and
//! what is never kept per hour (each segment's distinct visitors, and the dimensions of
//! [`crate::segment::DAILY_ONLY`]) is counted from the day's sessions, one kind of segment per
//! transaction. Daily rows are unread until the watermark moves, so these run in transactions of
//! their own before the pass's last one, which drops the hourly rows ([`drop_complete_hours`]).

use crate::dimensions::{self, VISITORS_DAY_CODE};
use crate::plan::day_start;
use crate::rollup_segments::{with_lateral, Bucket, Span};
use crate::segment::{daily_only, VALUE_ROWS};
use chrono::NaiveDate;
use std::sync::LazyLock;
use tokio_postgres::Transaction;

/// The dimensions of [`crate::segment::DAILY_ONLY`] over `sessions s`.
static DAILY_ONLY_DIMS: LazyLock<String> =
    LazyLock::new(|| dimensions::values(|d| daily_only(d.code)));

/// Sums the hourly dimension rows of complete days [lo, hi) into daily rows (replacing any the
/// days had, so a pass stopped halfway and run again counts once).
pub(crate) async fn build_complete_days(
    tx: &Transaction<'_>,
    lo: NaiveDate,
    hi: NaiveDate,
) -> Result<(), tokio_postgres::Error> {
    let (a, b) = (day_start(lo), day_start(hi));
    let span = Span::Range(a, b);
    span.run(tx, &span.delete("rollup_segment_dims_daily", Bucket::Day))
        .await?;
    tx.execute(
        "INSERT INTO rollup_segment_dims_daily (service_id, day, fdim, fval, dim, key, count)
         SELECT service_id, (hour AT TIME ZONE 'UTC')::date, fdim, fval, dim, key, sum(count)::int8
         FROM rollup_segment_dims_hourly WHERE hour >= $1 AND hour < $2
         GROUP BY 1, 2, 3, 4, 5, 6",
        &[&a, &b],
    )
    .await?;
    Ok(())
}

/// Kinds of segment [`count_complete_day_kind`] counts one at a time.
pub(crate) fn segment_kinds() -> usize {
    VALUE_ROWS.len()
}

/// Counts the distinct visitors and the daily-only dimensions of complete days [lo, hi) in the
/// segments of kind `which` (after [`build_complete_days`]). One kind at a time: all kinds at
/// once would sort each of a busy day's sessions fifteen times in one statement.
pub(crate) async fn count_complete_day_kind(
    tx: &Transaction<'_>,
    lo: NaiveDate,
    hi: NaiveDate,
    which: usize,
) -> Result<(), tokio_postgres::Error> {
    let span = Span::Range(day_start(lo), day_start(hi));
    span.run(tx, &visitors_of_kind_sql(&span, which)).await?;
    span.run(tx, &daily_only_of_kind_sql(&span, which)).await?;
    Ok(())
}

/// Distinct visitors per UTC day of the segments of one kind ([`VALUE_ROWS`] entry `which`).
fn visitors_of_kind_sql(span: &Span, which: usize) -> String {
    let (code, fval) = &VALUE_ROWS[which];
    format!(
        "INSERT INTO rollup_segment_dims_daily (service_id, day, fdim, fval, dim, key, count)
         SELECT s.service_id, {day}, {code}::int2, {fval}, {VISITORS_DAY_CODE}::int2, '',
                count(DISTINCT s.visitor)
         {from} AND s.visitor IS NOT NULL
         GROUP BY 1, 2, 4",
        day = Bucket::Day.of("s"),
        from = span.sessions(),
    )
}

/// Sessions per UTC day, daily-only dimension and key of the segments of one kind.
fn daily_only_of_kind_sql(span: &Span, which: usize) -> String {
    let (code, fval) = &VALUE_ROWS[which];
    format!(
        "INSERT INTO rollup_segment_dims_daily (service_id, day, fdim, fval, dim, key, count)
         SELECT s.service_id, {day}, {code}::int2, {fval}, d.dim, d.key, count(*)
         {from}
         GROUP BY 1, 2, 4, 5, 6",
        day = Bucket::Day.of("s"),
        from = with_lateral(
            &span.sessions(),
            &format!("CROSS JOIN LATERAL {} AS d(dim, key)", *DAILY_ONLY_DIMS)
        ),
    )
}

/// Drops the hourly dimension rows of the days before `hi`, in the transaction that moves the
/// watermark past them (until then readers use them for the open day).
pub(crate) async fn drop_complete_hours(
    tx: &Transaction<'_>,
    hi: NaiveDate,
) -> Result<(), tokio_postgres::Error> {
    tx.execute(
        "DELETE FROM rollup_segment_dims_hourly WHERE hour < $1",
        &[&day_start(hi)],
    )
    .await?;
    Ok(())
}
