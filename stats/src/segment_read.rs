//! The figures of a pre-counted segment ([`crate::segment`]): the parts of a window its rollups
//! cover ([`crate::segment_plan`]) come from `rollup_segment_*` rows, the rest from raw rows
//! through the same readers [`crate::filtered`] uses for any filter, so both paths count by the
//! same definitions (the property test compares them).

use crate::chart::{hour_aligned, Granularity, Point};
use crate::dimensions::{self, VISITORS_DAY_CODE};
use crate::figures::StatsError;
use crate::filter_sql::{params, values, Param};
use crate::filtered_raw::{self, Buckets};
use crate::filters::Filters;
use crate::scalars::Sums;
use crate::segment::{self, Segment};
use crate::segment_plan::{self, Coverage, TablePlan};
use crate::top::{self, Ranked, RANK_TAIL};
use crate::window::Window;
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use tokio_postgres::GenericClient;
use uuid::Uuid;

/// How far the segment rollups reach (None before the first rollup pass).
pub(crate) async fn coverage<C: GenericClient>(client: &C) -> Result<Option<Coverage>, StatsError> {
    let row = client
        .query_opt(
            "SELECT watermark, segments_from FROM rollup_state WHERE id",
            &[],
        )
        .await?;
    Ok(row.and_then(|r| {
        let watermark: Option<DateTime<Utc>> = r.get(0);
        let from: Option<NaiveDate> = r.get(1);
        Some(Coverage {
            watermark: watermark?,
            from: from?,
        })
    }))
}

fn piece(lo: DateTime<Utc>, hi: DateTime<Utc>) -> Window {
    Window { start: lo, end: hi }
}

/// The raw pieces of a plan as statement parameters, for readers that sum rollup rows and raw
/// pieces in one statement: each piece's bounds follow the statement's fixed parameters, and the
/// filter values follow the bounds. The values are bound only when some piece is raw, since a
/// parameter no statement part uses would have no type.
pub(crate) struct RawParams {
    bounds: Vec<DateTime<Utc>>,
    vals: Vec<String>,
}

impl RawParams {
    pub(crate) fn new(
        pieces: impl Iterator<Item = (DateTime<Utc>, DateTime<Utc>)>,
        filters: &Filters,
    ) -> Self {
        let bounds: Vec<DateTime<Utc>> = pieces.flat_map(|(lo, hi)| [lo, hi]).collect();
        let vals = if bounds.is_empty() {
            Vec::new()
        } else {
            values(filters)
        };
        RawParams { bounds, vals }
    }

    /// The placeholders of piece `i`'s bounds when `fixed` parameters come first.
    pub(crate) fn bounds_of(fixed: usize, i: usize) -> (String, String) {
        (
            format!("${}", fixed + 1 + 2 * i),
            format!("${}", fixed + 2 + 2 * i),
        )
    }

    /// How many parameters precede the filter values (their `base` in [`crate::filter_sql`]).
    pub(crate) fn base(&self, fixed: usize) -> usize {
        fixed + self.bounds.len()
    }

    /// `fixed`, then the bounds, then the filter values.
    pub(crate) fn all<'a>(&'a self, fixed: &[Param<'a>]) -> Vec<Param<'a>> {
        let mut p: Vec<Param<'a>> = fixed.to_vec();
        p.extend(self.bounds.iter().map(|b| b as Param<'a>));
        params(&p, &self.vals)
    }
}

/// The segment's exact sums over `w`.
pub(crate) async fn sums<C: GenericClient>(
    client: &C,
    service: Uuid,
    w: &Window,
    filters: &Filters,
    seg: &Segment,
    cov: &Coverage,
) -> Result<Sums, StatsError> {
    let plan = segment_plan::hours(w, cov);
    let mut total = Sums::default();
    for (lo, hi) in plan.raw {
        total.add(&filtered_raw::sums(client, service, &piece(lo, hi), filters).await?);
    }
    if let Some((lo, hi)) = plan.hours {
        let r = client
            .query_one(
                "SELECT coalesce(sum(sessions), 0)::int8, coalesce(sum(bounces), 0)::int8,
                        coalesce(sum(duration_us), 0)::int8, coalesce(sum(hits), 0)::int8,
                        coalesce(sum(load_time_sum), 0)::float8,
                        coalesce(sum(load_time_count), 0)::int8
                 FROM rollup_segment_hours
                 WHERE service_id = $1 AND fdim = $2 AND fval = $3 AND hour >= $4 AND hour < $5",
                &[&service, &seg.fdim, &seg.fval, &lo, &hi],
            )
            .await?;
        total.add(&Sums {
            sessions: r.get(0),
            bounces: r.get(1),
            duration_us: r.get(2),
            hits: r.get(3),
            load_time_sum: r.get(4),
            load_time_count: r.get(5),
        });
    }
    Ok(total)
}

/// The segment's visitors over `w` (distinct per UTC day, added up).
pub(crate) async fn visitors<C: GenericClient>(
    client: &C,
    service: Uuid,
    w: &Window,
    filters: &Filters,
    seg: &Segment,
    cov: &Coverage,
) -> Result<i64, StatsError> {
    let plan = segment_plan::visitors(w, cov);
    let mut n = 0;
    for (lo, hi) in plan.raw {
        n += filtered_raw::visitors(client, service, &piece(lo, hi), filters).await?;
    }
    if let Some((a, b)) = plan.days {
        let days: i64 = client
            .query_one(
                "SELECT coalesce(sum(count), 0)::int8 FROM rollup_segment_dims_daily
                 WHERE service_id = $1 AND fdim = $2 AND fval = $3 AND dim = $4
                   AND day >= $5 AND day < $6",
                &[&service, &seg.fdim, &seg.fval, &VISITORS_DAY_CODE, &a, &b],
            )
            .await?
            .get(0);
        n += days;
    }
    Ok(n)
}

/// The requested slices of the segment's rankings over `w`: daily and hourly rollup rows and
/// raw pieces (some subtracted) summed and ranked, in one statement for the dimensions with
/// hourly rows and one for those without ([`segment::DAILY_ONLY`]).
pub(crate) async fn ranked<C: GenericClient>(
    client: &C,
    service: Uuid,
    w: &Window,
    filters: &Filters,
    want: &[top::Want],
    seg: &Segment,
    cov: &Coverage,
) -> Result<Vec<Ranked>, StatsError> {
    let mut out = vec![Ranked::default(); dimensions::ALL.len()];
    let (daily, hourly): (Vec<top::Want>, Vec<top::Want>) =
        want.iter().partition(|x| segment::daily_only(x.dim));
    for (part, has_hours) in [(hourly, true), (daily, false)] {
        if !part.is_empty() {
            let plan = segment_plan::tables(w, cov, has_hours);
            let rows = ranked_rows(client, service, filters, &part, seg, &plan).await?;
            top::collect(&mut out, rows);
        }
    }
    Ok(out)
}

/// The ranked rows of the `want` slices under one table plan.
async fn ranked_rows<C: GenericClient>(
    client: &C,
    service: Uuid,
    filters: &Filters,
    want: &[top::Want],
    seg: &Segment,
    plan: &TablePlan,
) -> Result<Vec<tokio_postgres::Row>, StatsError> {
    let dims: Vec<i16> = want.iter().map(|x| x.dim).collect();
    let offsets: Vec<i64> = want.iter().map(|x| x.offset.max(0)).collect();
    let limits: Vec<i64> = want.iter().map(|x| x.limit.max(0)).collect();
    let epoch = DateTime::<Utc>::default();
    let (h0, h1) = plan.hours.unwrap_or((epoch, epoch));
    let (d0, d1) = plan
        .days
        .unwrap_or((epoch.date_naive(), epoch.date_naive()));
    let raw = RawParams::new(plan.raw.iter().map(|p| (p.0, p.1)), filters);
    let fixed: [Param; 10] = [
        &service, &dims, &offsets, &limits, &seg.fdim, &seg.fval, &h0, &h1, &d0, &d1,
    ];
    let base = raw.base(fixed.len());
    let mut parts = vec![
        "SELECT dim, key, sum(count) FROM rollup_segment_dims_hourly
    WHERE service_id = $1 AND fdim = $5 AND fval = $6 AND dim = ANY($2) AND hour >= $7 AND hour < $8
    GROUP BY 1, 2"
            .to_owned(),
        "SELECT dim, key, sum(count) FROM rollup_segment_dims_daily
    WHERE service_id = $1 AND fdim = $5 AND fval = $6 AND dim = ANY($2) AND day >= $9 AND day < $10
    GROUP BY 1, 2"
            .to_owned(),
    ];
    for (i, p) in plan.raw.iter().enumerate() {
        let (lo, hi) = RawParams::bounds_of(fixed.len(), i);
        parts.push(filtered_raw::src(filters, (&lo, &hi), "$2", base, p.2));
    }
    let sql = format!(
        "WITH want(dim, off, lim) AS (SELECT * FROM unnest($2::int2[], $3::int8[], $4::int8[])),
src(dim, key, n) AS ({}),
{RANK_TAIL}",
        parts.join("\n  UNION ALL\n    ")
    );
    Ok(client.query(&sql, &raw.all(&fixed)).await?)
}

/// Adds the segment's series over `w` to the chart's points. Segment hours are used where each
/// is a whole local hour of `tz`; in zones with half-hour offsets the chart reads raw rows.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn chart<C: GenericClient>(
    client: &C,
    service: Uuid,
    w: &Window,
    tz: Tz,
    filters: &Filters,
    seg: &Segment,
    cov: &Coverage,
    (buckets, points): (&Buckets, &mut [Point]),
) -> Result<(), StatsError> {
    let plan = segment_plan::hours(w, cov);
    let Some((lo, hi)) = plan.hours.filter(|(lo, hi)| hour_aligned(tz, *lo, *hi)) else {
        return filtered_raw::add_chart(client, service, w, tz, filters, (buckets, points)).await;
    };
    for (a, b) in plan.raw {
        filtered_raw::add_chart(
            client,
            service,
            &piece(a, b),
            tz,
            filters,
            (buckets, &mut *points),
        )
        .await?;
    }
    let tz_name = tz.name();
    let mut p: Vec<Param> = vec![&service, &seg.fdim, &seg.fval, &lo, &hi];
    let key = match buckets.granularity() {
        Granularity::Hourly => "extract(epoch FROM hour)::float8::text",
        Granularity::Daily => {
            p.push(&tz_name);
            "((hour AT TIME ZONE $6)::date)::text"
        }
    };
    let sql = format!(
        "SELECT {key}, sum(sessions)::int8, sum(hits)::int8 FROM rollup_segment_hours
         WHERE service_id = $1 AND fdim = $2 AND fval = $3 AND hour >= $4 AND hour < $5
         GROUP BY 1"
    );
    for r in client.query(&sql, &p).await? {
        let k: String = r.get(0);
        if let Some(p) = buckets.index(&k).and_then(|i| points.get_mut(i)) {
            p.sessions += r.get::<_, i64>(1);
            p.hits += r.get::<_, i64>(2);
        }
    }
    Ok(())
}
