//! Shynet's core stats (§3.2–3.3 of the reference): scalar figures and top-N tables for one
//! service and window. Sessions are windowed by their start, hits by their own time, with strict
//! bounds. The queries scan each table once (grouping sets for the session tables).

use crate::window::Window;
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use std::collections::HashMap;
use tokio_postgres::GenericClient;
use uuid::Uuid;

pub mod chart;
pub mod sessions;

/// Rows per top-N table (Shynet's `RESULTS_LIMIT`).
pub const RESULTS_LIMIT: usize = 300;

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

/// Compiles an owner's hide-referrer pattern the way every reader applies it: anchored at the
/// start of the referrer (Shynet's `re.match`); empty or invalid hides nothing.
pub fn hide_referrer_regex(pattern: &str) -> Option<regex::Regex> {
    let p = pattern.trim();
    if p.is_empty() {
        None
    } else {
        regex::Regex::new(&format!("^(?:{p})")).ok()
    }
}

fn top(mut rows: Vec<Row>) -> Vec<Row> {
    rows.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.key.cmp(&b.key)));
    rows.truncate(RESULTS_LIMIT);
    rows
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

/// The scalar figures of several services at once (one scan per table, grouped by service).
/// Services without data in the window get all-zero figures.
pub async fn scalars_many<C: GenericClient>(
    client: &C,
    services: &[Uuid],
    window: &Window,
) -> Result<HashMap<Uuid, Scalars>, StatsError> {
    let (s, e) = (&window.start, &window.end);
    let ids = services.to_vec();
    let mut sess: HashMap<Uuid, (i64, i64, Option<f64>)> = HashMap::new();
    for r in client
        .query(
            "SELECT service_id, count(*), count(*) FILTER (WHERE is_bounce),
                    avg(extract(epoch FROM last_seen - start_time))::float8
             FROM sessions WHERE service_id = ANY($1) AND start_time > $2 AND start_time < $3
             GROUP BY service_id",
            &[&ids, s, e],
        )
        .await?
    {
        sess.insert(r.get(0), (r.get(1), r.get(2), r.get(3)));
    }
    let mut hits: HashMap<Uuid, (i64, Option<f64>)> = HashMap::new();
    for r in client
        .query(
            "SELECT service_id, count(*), avg(load_time) FROM hits
             WHERE service_id = ANY($1) AND start_time > $2 AND start_time < $3
             GROUP BY service_id",
            &[&ids, s, e],
        )
        .await?
    {
        hits.insert(r.get(0), (r.get(1), r.get(2)));
    }
    Ok(services
        .iter()
        .map(|id| {
            let (session_count, bounces, avg_dur) = sess.get(id).copied().unwrap_or((0, 0, None));
            let (hit_count, avg_load) = hits.get(id).copied().unwrap_or((0, None));
            let per_session = |x: f64| (session_count > 0).then(|| x / session_count as f64);
            (
                *id,
                Scalars {
                    session_count,
                    hit_count,
                    bounce_rate_pct: per_session(100.0 * bounces as f64),
                    avg_session_duration: if session_count > 0 { avg_dur } else { None },
                    avg_load_time: avg_load,
                    avg_hits_per_session: per_session(hit_count as f64),
                },
            )
        })
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
            "SELECT EXISTS (SELECT 1 FROM hits WHERE service_id = $1)",
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
    let (s, e) = (&window.start, &window.end);
    let locations = client
        .query(
            "SELECT location, count(*) FROM hits
             WHERE service_id = $1 AND start_time > $2 AND start_time < $3
             GROUP BY location ORDER BY count(*) DESC, location LIMIT $4",
            &[&service, s, e, &(RESULTS_LIMIT as i64)],
        )
        .await?
        .into_iter()
        .map(|r| Row {
            key: r.get(0),
            count: r.get(1),
        })
        .collect();
    let all_referrers: Vec<Row> = client
        .query(
            "SELECT referrer, count(*) FROM hits
             WHERE service_id = $1 AND start_time > $2 AND start_time < $3 AND initial
             GROUP BY referrer",
            &[&service, s, e],
        )
        .await?
        .into_iter()
        .map(|r| Row {
            key: r.get(0),
            count: r.get(1),
        })
        .collect();
    let entry_count = all_referrers.iter().map(|r| r.count).sum();
    let referrers = all_referrers
        .into_iter()
        .filter(|r| hide_referrer.is_none_or(|re| r.key.is_empty() || !re.is_match(&r.key)))
        .collect();

    let mut by_session: [Vec<Row>; 6] = Default::default();
    for r in client
        .query(
            "SELECT GROUPING(country, as_org, os, browser, device_type, device),
                    COALESCE(country, as_org, os, browser, device_type, device), count(*)
             FROM sessions WHERE service_id = $1 AND start_time > $2 AND start_time < $3
             GROUP BY GROUPING SETS ((country), (as_org), (os), (browser), (device_type), (device))",
            &[&service, s, e],
        )
        .await?
    {
        // GROUPING() sets a bit for every column *not* in the set; the one clear bit names it.
        let mask: i32 = r.get(0);
        if let Some(i) = (0..6).find(|i| mask & (1 << (5 - i)) == 0) {
            by_session[i].push(Row {
                key: r.get(1),
                count: r.get(2),
            });
        }
    }
    Ok(Tables {
        locations: top(locations),
        referrers: top(referrers),
        entry_count,
        by_session: by_session.map(top),
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
    let sc = scalars_many(client, &[service], window)
        .await?
        .remove(&service)
        .unwrap_or_default();
    let online = online_many(client, &[service], online_window, now)
        .await?
        .remove(&service)
        .unwrap_or(0);
    let has_hits = has_hits(client, service).await?;
    let t = tables(client, service, window, hide_referrer).await?;
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
