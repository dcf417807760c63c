//! How a pass moves the watermark over closed hours: in short transactions, so that none keeps
//! a snapshot open for long (while one is open, vacuum cannot reclaim the rows the ingest path
//! keeps updating, and on a busy site a whole hour's roll took over ten minutes).
//!
//! Readers use rollup rows only below the watermark (daily rows only for days before its day),
//! so every row at or after it may be written in any order before the watermark moves:
//!
//! 1. clear: the range's hourly rows of every family go (a stopped pass may have left some);
//! 2. slices: the raw rows are rolled slice by slice of start time, each slice's counts added
//!    to the hourly rows (sized by page views so that one takes about
//!    [`crate::rollup_slices::SLICE_TARGET`]); the segment dimension counts of whole days go
//!    to daily rows instead ([`whole_days`]);
//! 3. merge: tables without a key got a row per slice and key; each key's rows become one (in
//!    the segment tables one kind of segment per transaction);
//! 4. days: the visitors' first and last hours, the daily rows of the days the range touches,
//!    and the segment rows of days that become complete (their visitors one kind of segment
//!    per transaction);
//! 5. last: the watermark moves (and the hourly segment rows of completed days go).
//!
//! Every step checks the pass's lease first ([`crate::rollup_lease::step`]); when it was lost
//! or the raw rows changed behind the pass, the pass stops and the next one starts over.

use crate::plan::day_start;
use crate::rollup_days;
use crate::rollup_events::{self, Span};
use crate::rollup_hourly::{self, Target};
use crate::rollup_lease::{self as lease, Lease};
use crate::rollup_segment_days;
use crate::rollup_segments::{self, Bucket};
use crate::rollup_slices::Slicer;
use crate::rollup_visitors;
use crate::segment::VALUE_ROWS;
use chrono::{DateTime, Duration, Utc};
use std::time::Instant;
use tokio_postgres::{Client, Transaction};

/// Every hourly rollup table a pass fills.
pub(crate) const HOURLY_TABLES: &[&str] = &[
    "rollup_hours",
    "rollup_dims_hourly",
    "rollup_events_hourly",
    "rollup_goals_hourly",
    "rollup_segment_hours",
    "rollup_segment_events_hourly",
    "rollup_segment_dims_hourly",
];

/// A table without a key (keys can be 4 KB URLs): each slice appends its rows, and the merge
/// step sums each key's rows into one.
struct Merge {
    table: &'static str,
    /// Hourly rows, or the daily rows of whole days ([`whole_days`]).
    bucket: Bucket,
    keys: &'static str,
    sums: &'static [&'static str],
    /// Merged one kind of segment (`fdim`) per transaction.
    per_kind: bool,
}

const MERGES: &[Merge] = &[
    Merge {
        table: "rollup_dims_hourly",
        bucket: Bucket::Hour,
        keys: "service_id, hour, dim, key",
        sums: &["count"],
        per_kind: false,
    },
    Merge {
        table: "rollup_events_hourly",
        bucket: Bucket::Hour,
        keys: "service_id, hour, name, prop_key, prop_value",
        sums: &["events", "sessions"],
        per_kind: false,
    },
    Merge {
        table: "rollup_segment_hours",
        bucket: Bucket::Hour,
        keys: "service_id, hour, fdim, fval",
        sums: &[
            "sessions",
            "bounces",
            "duration_us",
            "hits",
            "load_time_sum",
            "load_time_count",
        ],
        per_kind: true,
    },
    Merge {
        table: "rollup_segment_events_hourly",
        bucket: Bucket::Hour,
        keys: "service_id, hour, fdim, fval, name",
        sums: &["events", "sessions"],
        per_kind: true,
    },
    Merge {
        table: "rollup_segment_dims_hourly",
        bucket: Bucket::Hour,
        keys: "service_id, hour, fdim, fval, dim, key",
        sums: &["count"],
        per_kind: true,
    },
    Merge {
        table: "rollup_segment_dims_daily",
        bucket: Bucket::Day,
        keys: "service_id, day, fdim, fval, dim, key",
        sums: &["count"],
        per_kind: true,
    },
];

/// What advancing did.
pub(crate) struct Advanced {
    /// Whether the watermark reached `hi` (false: the pass was stopped).
    pub done: bool,
    /// The longest transaction it took.
    pub longest_step: std::time::Duration,
}

/// Runs `work` in one step of the pass; false when the pass must stop.
async fn in_step<F>(
    client: &mut Client,
    lease: &Lease,
    longest: &mut std::time::Duration,
    work: F,
) -> Result<bool, tokio_postgres::Error>
where
    F: AsyncFnOnce(&Transaction<'_>) -> Result<(), tokio_postgres::Error>,
{
    let started = Instant::now();
    let Some(tx) = lease::step(client, lease).await? else {
        return Ok(false);
    };
    work(&tx).await?;
    tx.commit().await?;
    *longest = (*longest).max(started.elapsed());
    Ok(true)
}

/// Rolls up [watermark, hi) and moves the watermark to `hi`.
pub(crate) async fn advance(
    client: &mut Client,
    lease: &mut Lease,
    hi: DateTime<Utc>,
) -> Result<Advanced, tokio_postgres::Error> {
    let lo = lease.watermark;
    let whole = whole_days(lo, hi);
    let mut longest = std::time::Duration::ZERO;
    let mut out = Advanced {
        done: false,
        longest_step: longest,
    };
    // 1. clear
    let cleared = in_step(client, lease, &mut longest, async |tx| {
        for table in HOURLY_TABLES {
            let sql = format!("DELETE FROM {table} WHERE hour >= $1 AND hour < $2");
            tx.execute(&sql, &[&lo, &hi]).await?;
        }
        if let Some((a, b)) = whole {
            tx.execute(
                "DELETE FROM rollup_segment_dims_daily WHERE day >= $1 AND day < $2",
                &[&a.date_naive(), &b.date_naive()],
            )
            .await?;
        }
        Ok(())
    })
    .await?;
    if !cleared {
        return Ok(out);
    }
    // 2. slices
    let (mut a, mut slices, mut sizes) = (lo, 0, Slicer::new());
    while a < hi {
        let (b, hits) = sizes.next(client, a, hi).await?;
        let started = Instant::now();
        if !in_step(client, lease, &mut longest, async |tx| {
            add_slice(tx, a, b, whole).await
        })
        .await?
        {
            out.longest_step = longest;
            return Ok(out);
        }
        sizes.took(b - a, hits, started.elapsed());
        a = b;
        slices += 1;
    }
    // 3. merge (the segment tables one kind of segment at a time: theirs are the most rows)
    if slices > 1 {
        for m in MERGES {
            let (from, to) = match (m.bucket, whole) {
                (Bucket::Hour, _) => (lo, hi),
                (Bucket::Day, Some(days)) => days,
                (Bucket::Day, None) => continue,
            };
            let kinds: Vec<Option<i16>> = if m.per_kind {
                VALUE_ROWS.iter().map(|(code, _)| Some(*code)).collect()
            } else {
                vec![None]
            };
            for kind in kinds {
                let sql = merge_sql(m, kind);
                let ok = in_step(client, lease, &mut longest, async |tx| {
                    tx.execute(&sql, &[&from, &to]).await.map(drop)
                })
                .await?;
                if !ok {
                    out.longest_step = longest;
                    return Ok(out);
                }
            }
        }
    }
    // 4. days, 5. last
    out.done = finish(client, lease, hi, whole, &mut longest).await?;
    out.longest_step = longest;
    Ok(out)
}

/// The whole UTC days in [lo, hi) (from midnight to midnight), which complete in this pass:
/// their segment dimension counts go straight into daily rows
/// ([`rollup_segments::add_dims`]).
fn whole_days(lo: DateTime<Utc>, hi: DateTime<Utc>) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let midnight = day_start(lo.date_naive());
    let first = if lo == midnight {
        lo
    } else {
        midnight + Duration::days(1)
    };
    let end = day_start(hi.date_naive());
    (first < end).then_some((first, end))
}

/// Adds the raw rows that started in [a, b) to every family's hourly rows, and the segment
/// dimension counts of the part in `whole` days to daily rows.
async fn add_slice(
    tx: &Transaction<'_>,
    a: DateTime<Utc>,
    b: DateTime<Utc>,
    whole: Option<(DateTime<Utc>, DateTime<Utc>)>,
) -> Result<(), tokio_postgres::Error> {
    rollup_hourly::roll(tx, &Target::Range(a, b)).await?;
    rollup_events::roll(tx, &Span::Range(a, b)).await?;
    rollup_segments::add_hours(tx, &rollup_segments::Span::Range(a, b), false).await?;
    let (da, db) = whole.unwrap_or((b, b));
    let parts = [
        (a, b.min(da), Bucket::Hour),
        (a.max(da), b.min(db), Bucket::Day),
        (a.max(db), b, Bucket::Hour),
    ];
    for (x, y, bucket) in parts {
        if x < y {
            rollup_segments::add_dims(tx, &rollup_segments::Span::Range(x, y), bucket).await?;
        }
    }
    Ok(())
}

/// Sums each key's rows of one table's hours (or days) in [$1, $2) (of one kind of segment)
/// into one row.
fn merge_sql(m: &Merge, kind: Option<i16>) -> String {
    let sums: Vec<String> = m.sums.iter().map(|c| format!("sum({c})")).collect();
    let of_kind = kind.map_or(String::new(), |k| format!(" AND fdim = {k}"));
    let (lo, hi) = (m.bucket.bound("$1"), m.bucket.bound("$2"));
    format!(
        "WITH gone AS (DELETE FROM {t} WHERE {c} >= {lo} AND {c} < {hi}{of_kind} RETURNING *)
         INSERT INTO {t} ({keys}, {cols}) SELECT {keys}, {sums} FROM gone GROUP BY {keys}",
        t = m.table,
        c = m.bucket.column(),
        keys = m.keys,
        cols = m.sums.join(", "),
        sums = sums.join(", "),
    )
}

/// Steps 4 and 5: the daily rows, then the watermark. False when the pass was stopped.
async fn finish(
    client: &mut Client,
    lease: &mut Lease,
    hi: DateTime<Utc>,
    whole: Option<(DateTime<Utc>, DateTime<Utc>)>,
    longest: &mut std::time::Duration,
) -> Result<bool, tokio_postgres::Error> {
    let lo = lease.watermark;
    let first_day = lo.date_naive();
    let days = (
        first_day,
        (hi - Duration::microseconds(1)).date_naive() + Duration::days(1),
    );
    let completes = first_day < hi.date_naive();
    // Completed days with hourly dimension rows: all but the whole days, counted per day.
    let summed_to = whole.map_or(hi.date_naive(), |(a, _)| a.date_naive());
    // The visitors' first hours first: the daily visitor counts of completed days add them up.
    let ok = in_step(client, lease, longest, async |tx| {
        rollup_visitors::rebuild_range(tx, days.0, days.1, hi).await
    })
    .await?
        && in_step(client, lease, longest, async |tx| {
            rollup_days::rebuild_days_range(tx, days.0, days.1, hi).await?;
            rollup_events::rebuild_days_range(tx, days.0, days.1).await
        })
        .await?
        && (first_day >= summed_to
            || in_step(client, lease, longest, async |tx| {
                rollup_segment_days::build_complete_days(tx, first_day, summed_to).await
            })
            .await?);
    if !ok {
        return Ok(false);
    }
    if completes {
        for kind in 0..rollup_segment_days::segment_kinds() {
            let counted = in_step(client, lease, longest, async |tx| {
                rollup_segment_days::count_complete_day_kind(tx, first_day, hi.date_naive(), kind)
                    .await
            })
            .await?;
            if !counted {
                return Ok(false);
            }
        }
    }
    let started = Instant::now();
    let Some(tx) = lease::step(client, lease).await? else {
        return Ok(false);
    };
    if completes {
        rollup_segment_days::drop_complete_hours(&tx, hi.date_naive()).await?;
    }
    lease::move_watermark(&tx, lease, hi).await?;
    tx.commit().await?;
    *longest = (*longest).max(started.elapsed());
    Ok(true)
}
