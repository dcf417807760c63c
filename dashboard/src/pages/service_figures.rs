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

/// The dimension tables of `v`'s window (the heaviest single read of the page, so the page runs
/// it beside [`load`], with [`previous`], on a second connection when one is free).
pub async fn tables<C: GenericClient>(c: &C, v: &View<'_>) -> Result<Tables, stats::StatsError> {
    if v.filters.is_empty() {
        stats::tables(c, v.service, v.window, v.hide).await
    } else {
        filtered::tables(c, v.service, v.window, v.hide, v.filters).await
    }
}

/// Reads the figures of `v`'s window, except its tables ([`tables`]).
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
