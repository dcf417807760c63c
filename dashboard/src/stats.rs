//! Shynet's core stats, as the original defines them: scalar figures and top-N tables for one
//! service and window. Sessions are windowed by their start, hits by their own time, with strict
//! bounds. Closed hours are read from rollups and only the edges and the open tail from raw
//! rows ([`plan`]); [`Source::Raw`] answers from raw rows alone, the reference the rollup path
//! is tested against. Tables are ranked and cut in SQL ([`top`]): a request receives the rows it
//! shows, never every distinct key.

use crate::window::Window;
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use std::collections::HashMap;
use tokio_postgres::GenericClient;
use uuid::Uuid;

pub mod chart;
pub mod plan;
pub mod rollup;
pub mod sessions;
pub mod top;

pub use plan::{Plan, Source};

/// Rows per top-N table (Shynet's `RESULTS_LIMIT`).
pub const RESULTS_LIMIT: usize = 300;

/// Extra referrer ranks fetched when the owner hides some: hidden referrers are dropped before
/// the cut, so the table can still show [`RESULTS_LIMIT`] rows when up to this many distinct
/// hidden referrers outrank them (past that it shows fewer, never wrong ones).
pub const HIDDEN_REFERRER_HEADROOM: i64 = 2000;

/// One row of a top-N table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    /// The dimension value ("" = unknown / direct).
    pub key: String,
    /// Sessions or hits.
    pub count: i64,
}

/// Everything the stats strip and the tables show.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct CoreStats {
    /// Sessions seen within 2 × heartbeat of now (not windowed).
    pub currently_online: i64,
    /// Sessions that started in the window.
    pub session_count: i64,
    /// Hits in the window.
    pub hit_count: i64,
    /// Whether the service ever received a hit.
    pub has_hits: bool,
    /// Percentage of sessions with exactly one hit.
    pub bounce_rate_pct: Option<f64>,
    /// Mean session duration in seconds.
    pub avg_session_duration: Option<f64>,
    /// Mean page load time in ms.
    pub avg_load_time: Option<f64>,
    /// Hits per session.
    pub avg_hits_per_session: Option<f64>,
    /// Pages by hits.
    pub locations: Vec<Row>,
    /// Entry referrers by sessions (after the owner's hide regex).
    pub referrers: Vec<Row>,
    /// Entries (initial hits) in the window, hidden referrers included: the total that
    /// referrer shares are taken of.
    pub entry_count: i64,
    /// Countries by sessions.
    pub countries: Vec<Row>,
    /// Networks (AS organisation) by sessions.
    pub networks: Vec<Row>,
    /// Operating systems by sessions.
    pub operating_systems: Vec<Row>,
    /// Browsers by sessions.
    pub browsers: Vec<Row>,
    /// Device types by sessions.
    pub device_types: Vec<Row>,
    /// Devices by sessions.
    pub devices: Vec<Row>,
}

/// Failure to compute stats.
#[derive(Debug, thiserror::Error)]
pub enum StatsError {
    /// The database failed.
    #[error("database error: {0}")]
    Db(#[from] tokio_postgres::Error),
}

/// The scalar figures of one service and window (the stats strip, the overview cards, the
/// comparison period).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Default)]
pub struct Scalars {
    /// Sessions that started in the window.
    pub session_count: i64,
    /// Hits in the window.
    pub hit_count: i64,
    /// Percentage of those sessions with exactly one hit.
    pub bounce_rate_pct: Option<f64>,
    /// Mean session duration in seconds.
    pub avg_session_duration: Option<f64>,
    /// Mean page load time in ms (hits without one are ignored).
    pub avg_load_time: Option<f64>,
    /// Hits per session.
    pub avg_hits_per_session: Option<f64>,
}

/// Exact sums behind the scalar figures: what a raw segment and a run of rollup hours both
/// produce, so they can be added up.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Sums {
    /// Sessions.
    pub sessions: i64,
    /// Sessions with exactly one hit.
    pub bounces: i64,
    /// Sum of session durations in microseconds.
    pub duration_us: i64,
    /// Hits.
    pub hits: i64,
    /// Sum of load times (ms).
    pub load_time_sum: f64,
    /// Hits with a load time.
    pub load_time_count: i64,
}

impl Sums {
    fn add(&mut self, o: &Sums) {
        self.sessions += o.sessions;
        self.bounces += o.bounces;
        self.duration_us += o.duration_us;
        self.hits += o.hits;
        self.load_time_sum += o.load_time_sum;
        self.load_time_count += o.load_time_count;
    }

    /// The figures these sums give.
    pub fn scalars(&self) -> Scalars {
        let n = self.sessions;
        let per_session = |x: f64| (n > 0).then(|| x / n as f64);
        Scalars {
            session_count: n,
            hit_count: self.hits,
            bounce_rate_pct: per_session(100.0 * self.bounces as f64),
            avg_session_duration: per_session(self.duration_us as f64 / 1e6),
            avg_load_time: (self.load_time_count > 0)
                .then(|| self.load_time_sum / self.load_time_count as f64),
            avg_hits_per_session: per_session(self.hits as f64),
        }
    }
}

/// The rollup watermark and the services' raw-purge instants, read once per request part.
async fn plans<C: GenericClient>(
    client: &C,
    services: &[Uuid],
    w: &Window,
    source: Source,
) -> Result<Vec<(Plan, Vec<Uuid>)>, StatsError> {
    if source == Source::Raw {
        return Ok(vec![(plan::raw_only(w), services.to_vec())]);
    }
    let ids = services.to_vec();
    let watermark: Option<DateTime<Utc>> = client
        .query_opt("SELECT watermark FROM rollup_state", &[])
        .await?
        .and_then(|r| r.get(0));
    let purged: HashMap<Uuid, DateTime<Utc>> = client
        .query(
            "SELECT id, raw_purged_before FROM services
             WHERE id = ANY($1) AND raw_purged_before IS NOT NULL",
            &[&ids],
        )
        .await?
        .into_iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    let mut out: Vec<(Plan, Vec<Uuid>)> = Vec::new();
    for id in services {
        let p = plan::plan(w, watermark, purged.get(id).copied());
        match out.iter_mut().find(|(q, _)| *q == p) {
            Some((_, v)) => v.push(*id),
            None => out.push((p, vec![*id])),
        }
    }
    Ok(out)
}

/// The instant before which `service`'s raw rows (session lists, session details) were deleted by
/// its retention setting, if any.
pub async fn raw_available_since<C: GenericClient>(
    client: &C,
    service: Uuid,
) -> Result<Option<DateTime<Utc>>, StatsError> {
    Ok(client
        .query_opt(
            "SELECT raw_purged_before FROM services WHERE id = $1",
            &[&service],
        )
        .await?
        .and_then(|r| r.get(0)))
}

const RAW_SEGMENTS: &str =
    "((start_time > $2 AND start_time < $3) OR (start_time > $4 AND start_time < $5))";

/// The exact sums of several services over one window.
pub async fn sums_many<C: GenericClient>(
    client: &C,
    services: &[Uuid],
    window: &Window,
    source: Source,
) -> Result<HashMap<Uuid, Sums>, StatsError> {
    let mut out: HashMap<Uuid, Sums> = services.iter().map(|id| (*id, Sums::default())).collect();
    for (p, ids) in plans(client, services, window, source).await? {
        if !p.raw.is_empty() {
            let [(a, b), (c, d)] = p.raw_pair();
            for r in client
                .query(
                    &format!(
                        "SELECT service_id, count(*), count(*) FILTER (WHERE is_bounce),
                                coalesce(sum(extract(epoch FROM last_seen - start_time) * 1000000), 0)::int8
                         FROM sessions WHERE service_id = ANY($1) AND {RAW_SEGMENTS}
                         GROUP BY service_id"
                    ),
                    &[&ids, &a, &b, &c, &d],
                )
                .await?
            {
                if let Some(s) = out.get_mut(&r.get::<_, Uuid>(0)) {
                    s.add(&Sums {
                        sessions: r.get(1),
                        bounces: r.get(2),
                        duration_us: r.get(3),
                        ..Sums::default()
                    });
                }
            }
            for r in client
                .query(
                    &format!(
                        "SELECT service_id, count(*), coalesce(sum(load_time), 0), count(load_time)
                         FROM hits WHERE service_id = ANY($1) AND {RAW_SEGMENTS}
                         GROUP BY service_id"
                    ),
                    &[&ids, &a, &b, &c, &d],
                )
                .await?
            {
                if let Some(s) = out.get_mut(&r.get::<_, Uuid>(0)) {
                    s.add(&Sums {
                        hits: r.get(1),
                        load_time_sum: r.get(2),
                        load_time_count: r.get(3),
                        ..Sums::default()
                    });
                }
            }
        }
        if let Some((lo, hi)) = p.hours {
            for r in client
                .query(
                    "SELECT service_id, sum(sessions)::int8, sum(bounces)::int8,
                            sum(duration_us)::int8, sum(hits)::int8, sum(load_time_sum),
                            sum(load_time_count)::int8
                     FROM rollup_hours WHERE service_id = ANY($1) AND hour >= $2 AND hour < $3
                     GROUP BY service_id",
                    &[&ids, &lo, &hi],
                )
                .await?
            {
                if let Some(s) = out.get_mut(&r.get::<_, Uuid>(0)) {
                    s.add(&Sums {
                        sessions: r.get(1),
                        bounces: r.get(2),
                        duration_us: r.get(3),
                        hits: r.get(4),
                        load_time_sum: r.get(5),
                        load_time_count: r.get(6),
                    });
                }
            }
        }
    }
    Ok(out)
}

/// The scalar figures of several services at once (one scan per table, grouped by service).
/// Services without data in the window get all-zero figures.
pub async fn scalars_many<C: GenericClient>(
    client: &C,
    services: &[Uuid],
    window: &Window,
) -> Result<HashMap<Uuid, Scalars>, StatsError> {
    scalars_many_with(client, services, window, Source::Auto).await
}

/// [`scalars_many`] from the given source.
pub async fn scalars_many_with<C: GenericClient>(
    client: &C,
    services: &[Uuid],
    window: &Window,
    source: Source,
) -> Result<HashMap<Uuid, Scalars>, StatsError> {
    Ok(sums_many(client, services, window, source)
        .await?
        .into_iter()
        .map(|(id, s)| (id, s.scalars()))
        .collect())
}

/// Sessions seen within `online_window` of `now`, per service (not windowed).
pub async fn online_many<C: GenericClient>(
    client: &C,
    services: &[Uuid],
    online_window: Duration,
    now: DateTime<Utc>,
) -> Result<HashMap<Uuid, i64>, StatsError> {
    let ids = services.to_vec();
    Ok(client
        .query(
            "SELECT service_id, count(*) FROM sessions
             WHERE service_id = ANY($1) AND last_seen > $2 GROUP BY service_id",
            &[&ids, &(now - online_window)],
        )
        .await?
        .into_iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect())
}

/// Whether the service ever received a hit.
pub async fn has_hits<C: GenericClient>(client: &C, service: Uuid) -> Result<bool, StatsError> {
    Ok(client
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM hits WHERE service_id = $1)
                 OR EXISTS (SELECT 1 FROM rollup_hours WHERE service_id = $1 AND hits > 0)",
            &[&service],
        )
        .await?
        .get(0))
}

/// The equal-length period immediately before `w` (Shynet's comparison window).
pub fn previous(w: &Window) -> Window {
    Window {
        start: w.start - (w.end - w.start),
        end: w.start,
    }
}

/// The top-N tables of one service and window.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Tables {
    /// Pages by hits.
    pub locations: Vec<Row>,
    /// Entry referrers by entries, hidden ones removed before the cut.
    pub referrers: Vec<Row>,
    /// All entries, hidden referrers included.
    pub entry_count: i64,
    /// Countries, networks, operating systems, browsers, device types, devices by sessions.
    pub by_session: [Vec<Row>; 6],
}

/// Computes the top-N tables.
pub async fn tables<C: GenericClient>(
    client: &C,
    service: Uuid,
    window: &Window,
    hide_referrer: Option<&regex::Regex>,
) -> Result<Tables, StatsError> {
    tables_with(client, service, window, hide_referrer, Source::Auto).await
}

/// [`tables`] from the given source.
pub async fn tables_with<C: GenericClient>(
    client: &C,
    service: Uuid,
    window: &Window,
    hide_referrer: Option<&regex::Regex>,
    source: Source,
) -> Result<Tables, StatsError> {
    use rollup::dim;
    let headroom = if hide_referrer.is_some() {
        HIDDEN_REFERRER_HEADROOM
    } else {
        0
    };
    let want = |d: i16| top::Want {
        dim: d,
        offset: 0,
        limit: RESULTS_LIMIT as i64 + if d == dim::REFERRER { headroom } else { 0 },
    };
    let wants: Vec<top::Want> = (0..dim::COUNT as i16).map(want).collect();
    let mut ranked = top::ranked(client, service, window, source, &wants).await?;
    let mut take = |d: i16| std::mem::take(&mut ranked[d as usize]);
    let locations = take(dim::LOCATION).rows;
    let all_referrers = take(dim::REFERRER);
    let referrers = all_referrers
        .rows
        .into_iter()
        .filter(|r| hide_referrer.is_none_or(|re| r.key.is_empty() || !re.is_match(&r.key)))
        .take(RESULTS_LIMIT)
        .collect();
    let by_session: [Vec<Row>; 6] = [
        take(dim::COUNTRY).rows,
        take(dim::NETWORK).rows,
        take(dim::OS).rows,
        take(dim::BROWSER).rows,
        take(dim::DEVICE_TYPE).rows,
        take(dim::DEVICE).rows,
    ];
    Ok(Tables {
        locations,
        referrers,
        entry_count: all_referrers.total,
        by_session,
    })
}

/// Computes the core stats of `service` over `window`. `hide_referrer` hides matching referrers
/// before the top-N cut; `online_window` is twice the heartbeat interval.
pub async fn core_stats<C: GenericClient>(
    client: &C,
    service: Uuid,
    window: &Window,
    hide_referrer: Option<&regex::Regex>,
    online_window: Duration,
    now: DateTime<Utc>,
) -> Result<CoreStats, StatsError> {
    core_stats_with(
        client,
        service,
        window,
        hide_referrer,
        online_window,
        now,
        Source::Auto,
    )
    .await
}

/// [`core_stats`] from the given source ("currently online" always comes from raw rows).
pub async fn core_stats_with<C: GenericClient>(
    client: &C,
    service: Uuid,
    window: &Window,
    hide_referrer: Option<&regex::Regex>,
    online_window: Duration,
    now: DateTime<Utc>,
    source: Source,
) -> Result<CoreStats, StatsError> {
    let sc = scalars_many_with(client, &[service], window, source)
        .await?
        .remove(&service)
        .unwrap_or_default();
    let online = online_many(client, &[service], online_window, now)
        .await?
        .remove(&service)
        .unwrap_or(0);
    let has_hits = has_hits(client, service).await?;
    let t = tables_with(client, service, window, hide_referrer, source).await?;
    let [countries, networks, operating_systems, browsers, device_types, devices] = t.by_session;
    Ok(CoreStats {
        currently_online: online,
        session_count: sc.session_count,
        hit_count: sc.hit_count,
        has_hits,
        bounce_rate_pct: sc.bounce_rate_pct,
        avg_session_duration: sc.avg_session_duration,
        avg_load_time: sc.avg_load_time,
        avg_hits_per_session: sc.avg_hits_per_session,
        locations: t.locations,
        referrers: t.referrers,
        entry_count: t.entry_count,
        countries,
        networks,
        operating_systems,
        browsers,
        device_types,
        devices,
    })
}

impl CoreStats {
    /// The scalar part, for comparisons.
    pub fn scalars(&self) -> Scalars {
        Scalars {
            session_count: self.session_count,
            hit_count: self.hit_count,
            bounce_rate_pct: self.bounce_rate_pct,
            avg_session_duration: self.avg_session_duration,
            avg_load_time: self.avg_load_time,
            avg_hits_per_session: self.avg_hits_per_session,
        }
    }
}
