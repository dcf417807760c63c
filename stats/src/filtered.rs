//! The figures of a filtered view. Rollups are counted per dimension, not per combination of
//! dimensions, so they cannot answer "sessions from Germany using Firefox". A view filtered by
//! one `is` filter on a low-cardinality session field (country, browser, OS, device type,
//! channel), or by two on two different such fields ([`crate::segment`]), is answered from the
//! segment rollups plus raw edges
//! ([`crate::segment_read`]); every other filter set is counted from the raw rows of the window
//! ([`crate::filtered_raw`]). The unfiltered readers are not involved: callers choose this
//! module only when a filter is active, so unfiltered views cost what they cost before.
//!
//! Each function here mirrors an unfiltered one and uses the same definitions (strict window
//! bounds, sessions by their start, hits by their own time, visitors distinct per UTC day), so
//! with no filter it returns exactly what [`crate::Source::Raw`] returns; the `_with` variants
//! take [`Source::Raw`] to skip the segment rollups (the reference they are tested against).

use crate::chart::{empty_points, Chart};
use crate::dimensions;
use crate::figures::StatsError;
use crate::filter_sql::{params, session_clause, values};
use crate::filtered_raw;
use crate::filters::Filters;
use crate::plan::Source;
use crate::scalars::{Scalars, Sums};
use crate::segment::{self, Segment};
use crate::segment_plan::Coverage;
use crate::segment_read;
use crate::tables::{assemble, wants, CoreStats, Tables};
use crate::top::{self, Ranked, RANK_TAIL};
use crate::window::Window;
use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use tokio_postgres::GenericClient;
use uuid::Uuid;

/// The exact sums of the segment over `w`.
pub async fn sums<C: GenericClient>(
    client: &C,
    service: Uuid,
    w: &Window,
    filters: &Filters,
) -> Result<Sums, StatsError> {
    sums_with(client, service, w, filters, Source::Auto).await
}

/// Where a filtered view's figures come from: a pre-counted segment's rollups (with how far
/// they reach) or raw rows. Chosen once per view, so a view's figures share one reading of the
/// rollup coverage.
#[derive(Debug, Clone)]
pub(crate) enum Reader {
    PreCounted(Segment, Coverage),
    Raw,
}

impl Reader {
    /// The reader for `filters`; [`Source::Raw`] always reads raw rows.
    pub(crate) async fn choose<C: GenericClient>(
        client: &C,
        filters: &Filters,
        source: Source,
    ) -> Result<Reader, StatsError> {
        let seg = match source {
            Source::Raw => None,
            _ => segment::of(filters),
        };
        Ok(match seg {
            Some(seg) => match segment_read::coverage(client).await? {
                Some(cov) => Reader::PreCounted(seg, cov),
                None => Reader::Raw,
            },
            None => Reader::Raw,
        })
    }

    async fn sums<C: GenericClient>(
        &self,
        client: &C,
        service: Uuid,
        w: &Window,
        filters: &Filters,
    ) -> Result<Sums, StatsError> {
        match self {
            Reader::PreCounted(seg, cov) => {
                segment_read::sums(client, service, w, filters, seg, cov).await
            }
            Reader::Raw => filtered_raw::sums(client, service, w, filters).await,
        }
    }

    async fn visitors<C: GenericClient>(
        &self,
        client: &C,
        service: Uuid,
        w: &Window,
        filters: &Filters,
    ) -> Result<i64, StatsError> {
        match self {
            Reader::PreCounted(seg, cov) => {
                segment_read::visitors(client, service, w, filters, seg, cov).await
            }
            Reader::Raw => filtered_raw::visitors(client, service, w, filters).await,
        }
    }

    async fn ranked<C: GenericClient>(
        &self,
        client: &C,
        service: Uuid,
        w: &Window,
        filters: &Filters,
        want: &[top::Want],
    ) -> Result<Vec<Ranked>, StatsError> {
        match self {
            Reader::PreCounted(seg, cov) => {
                segment_read::ranked(client, service, w, filters, want, seg, cov).await
            }
            Reader::Raw => raw_ranked(client, service, w, filters, want).await,
        }
    }
}

/// [`sums`] from `source`: [`Source::Auto`] reads a pre-counted segment ([`crate::segment`])
/// from its rollups and raw edges.
pub async fn sums_with<C: GenericClient>(
    client: &C,
    service: Uuid,
    w: &Window,
    filters: &Filters,
    source: Source,
) -> Result<Sums, StatsError> {
    let reader = Reader::choose(client, filters, source).await?;
    reader.sums(client, service, w, filters).await
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
    visitors_with(client, service, w, filters, Source::Auto).await
}

/// [`visitors`] from `source` (see [`sums_with`]).
pub async fn visitors_with<C: GenericClient>(
    client: &C,
    service: Uuid,
    w: &Window,
    filters: &Filters,
    source: Source,
) -> Result<i64, StatsError> {
    let reader = Reader::choose(client, filters, source).await?;
    reader.visitors(client, service, w, filters).await
}

/// The requested slices of the segment's rankings (see [`top::ranked`]).
pub async fn ranked<C: GenericClient>(
    client: &C,
    service: Uuid,
    w: &Window,
    filters: &Filters,
    want: &[top::Want],
) -> Result<Vec<Ranked>, StatsError> {
    ranked_with(client, service, w, filters, want, Source::Auto).await
}

/// [`ranked`] from `source` (see [`sums_with`]).
pub async fn ranked_with<C: GenericClient>(
    client: &C,
    service: Uuid,
    w: &Window,
    filters: &Filters,
    want: &[top::Want],
    source: Source,
) -> Result<Vec<Ranked>, StatsError> {
    let reader = Reader::choose(client, filters, source).await?;
    reader.ranked(client, service, w, filters, want).await
}

/// The rankings from raw rows, in one statement.
async fn raw_ranked<C: GenericClient>(
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
        "WITH want(dim, off, lim) AS (SELECT * FROM unnest($4::int2[], $5::int8[], $6::int8[])),
src(dim, key, n) AS ({}),
{RANK_TAIL}",
        filtered_raw::src(filters, ("$2", "$3"), "$4", 6, true)
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
    let reader = Reader::choose(client, filters, Source::Auto).await?;
    let sc = reader.sums(client, service, w, filters).await?.scalars();
    let online = online(client, service, online_window, now, filters).await?;
    let has_hits = crate::has_hits(client, service).await?;
    let visitors = reader.visitors(client, service, w, filters).await?;
    let want = wants(hide_referrer);
    let t = assemble(
        reader.ranked(client, service, w, filters, &want).await?,
        hide_referrer,
    );
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
    chart_with(client, service, w, tz, now, filters, Source::Auto).await
}

/// [`chart`] from `source` (see [`sums_with`]).
pub async fn chart_with<C: GenericClient>(
    client: &C,
    service: Uuid,
    w: &Window,
    tz: Tz,
    now: DateTime<Utc>,
    filters: &Filters,
    source: Source,
) -> Result<Chart, StatsError> {
    let (g, mut points) = empty_points(w, tz, now);
    let buckets = filtered_raw::Buckets::new(g, &points);
    match Reader::choose(client, filters, source).await? {
        Reader::PreCounted(seg, cov) => {
            let into = (&buckets, points.as_mut_slice());
            segment_read::chart(client, service, w, tz, filters, &seg, &cov, into).await?
        }
        Reader::Raw => {
            filtered_raw::add_chart(client, service, w, tz, filters, (&buckets, &mut points))
                .await?
        }
    }
    Ok(Chart {
        granularity: g,
        points,
    })
}
