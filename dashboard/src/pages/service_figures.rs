//! The figures of the service page for one window and (read beside them) its previous period: from the rollup
//! readers when no filter is active (unchanged, the fast path), from the filtered raw readers
//! ([`stats::filtered`]) otherwise. One place decides, so the strip, its comparison, the
//! tables, the chart, the recent sessions and "online" always describe the same segment.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use stats::chart::Chart;
use stats::filters::Filters;
use stats::sessions::SessionRow;
use stats::window::Window;
use stats::{chart, filtered, sessions as srows, Scalars, Source, Tables};
use tokio_postgres::GenericClient;
use uuid::Uuid;

/// Recent sessions shown on the page.
const RECENT: i64 = 10;

/// Everything the page shows besides events.
pub struct Figures {
    /// Sessions seen within the online window.
    pub online: i64,
    /// This window.
    pub cur: Scalars,
    /// Visitors of this window.
    pub visitors: i64,
    /// The time series.
    pub chart: Option<Chart>,
    /// The newest sessions.
    pub recent: Vec<SessionRow>,
}

/// What the figures are read for.
pub struct View<'a> {
    /// The service.
    pub service: Uuid,
    /// The window.
    pub window: &'a Window,
    /// Its zone.
    pub tz: Tz,
    /// Now.
    pub now: DateTime<Utc>,
    /// Twice the heartbeat.
    pub online_window: Duration,
    /// The owner's hide-referrer pattern.
    pub hide: Option<&'a regex::Regex>,
    /// The active filters.
    pub filters: &'a Filters,
}

/// The scalars and visitors of `prev` (the previous period of `v`), for the comparison badges;
/// run beside [`load`], on another connection when one is free.
pub async fn previous<C: GenericClient>(
    c: &C,
    v: &View<'_>,
    prev: &Window,
) -> Result<(Scalars, i64), stats::StatsError> {
    let id = v.service;
    if !v.filters.is_empty() {
        return Ok((
            filtered::scalars(c, id, prev, v.filters).await?,
            filtered::visitors(c, id, prev, v.filters).await?,
        ));
    }
    let scalars = stats::scalars_many(c, &[id], prev)
        .await?
        .remove(&id)
        .unwrap_or_default();
    let visitors = stats::visitors_many(c, &[id], prev, Source::Auto)
        .await?
        .remove(&id)
        .unwrap_or(0);
    Ok((scalars, visitors))
}

/// One of two halves of the dimension tables of `v`'s window (the heaviest read of the page):
/// the page reads half 0 beside [`previous`] on a second connection when one is free, half 1
/// beside [`load`], and joins them with [`join_tables`]. Filtered tables are one statement, in
/// half 0.
pub async fn tables_half<C: GenericClient>(
    c: &C,
    v: &View<'_>,
    half: usize,
) -> Result<TablesHalf, stats::StatsError> {
    if !v.filters.is_empty() {
        return Ok(if half == 0 {
            TablesHalf::Whole(filtered::tables(c, v.service, v.window, v.hide, v.filters).await?)
        } else {
            TablesHalf::Nothing
        });
    }
    let wants = stats::wants_halves(v.hide);
    let want = wants.get(half).map_or(&[][..], Vec::as_slice);
    Ok(TablesHalf::Ranked(
        stats::top::ranked(c, v.service, v.window, Source::Auto, want).await?,
    ))
}

/// What [`tables_half`] read.
pub enum TablesHalf {
    /// Rankings of half the dimensions.
    Ranked(Vec<stats::top::Ranked>),
    /// Every table (filtered).
    Whole(Tables),
    /// Nothing (the other half holds every table).
    Nothing,
}

/// The tables from both halves.
pub fn join_tables(a: TablesHalf, b: TablesHalf, hide: Option<&regex::Regex>) -> Tables {
    match (a, b) {
        (TablesHalf::Ranked(a), TablesHalf::Ranked(b)) => stats::assemble_halves([a, b], hide),
        (TablesHalf::Whole(t), _) | (_, TablesHalf::Whole(t)) => t,
        _ => Tables::default(),
    }
}

/// Reads the figures of `v`'s window, except its tables ([`tables_half`]).
pub async fn load<C: GenericClient>(c: &C, v: &View<'_>) -> Result<Figures, stats::StatsError> {
    let (id, w) = (v.service, v.window);
    if !v.filters.is_empty() {
        let f = v.filters;
        return Ok(Figures {
            online: filtered::online(c, id, v.online_window, v.now, f).await?,
            cur: filtered::scalars(c, id, w, f).await?,
            visitors: filtered::visitors(c, id, w, f).await?,
            chart: Some(filtered::chart(c, id, w, v.tz, v.now, f).await?),
            recent: srows::recent_sessions(c, id, w, 0, RECENT, v.online_window, v.now, f).await?,
        });
    }
    let one = |m: std::collections::HashMap<Uuid, i64>| m.get(&id).copied().unwrap_or(0);
    Ok(Figures {
        online: one(stats::online_many(c, &[id], v.online_window, v.now).await?),
        cur: stats::scalars_many(c, &[id], w)
            .await?
            .remove(&id)
            .unwrap_or_default(),
        visitors: one(stats::visitors_many(c, &[id], w, Source::Auto).await?),
        chart: chart::charts_many(c, &[id], w, v.tz, v.now)
            .await?
            .remove(&id),
        recent: srows::recent_sessions(
            c,
            id,
            w,
            0,
            RECENT,
            v.online_window,
            v.now,
            &Filters::none(),
        )
        .await?,
    })
}
