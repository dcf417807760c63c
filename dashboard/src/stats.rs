//! Shynet's core stats (§3.2–3.3 of the reference): scalar figures and top-N tables for one
//! service and window. Sessions are windowed by their start, hits by their own time, with strict
//! bounds. The queries scan each table once (grouping sets for the session tables).

use crate::window::Window;
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use tokio_postgres::GenericClient;
use uuid::Uuid;

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

fn top(mut rows: Vec<Row>) -> Vec<Row> {
    rows.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.key.cmp(&b.key)));
    rows.truncate(RESULTS_LIMIT);
    rows
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
    let (s, e) = (&window.start, &window.end);
    let srow = client
        .query_one(
            "SELECT count(*), count(*) FILTER (WHERE is_bounce),
                    avg(extract(epoch FROM last_seen - start_time))::float8
             FROM sessions WHERE service_id = $1 AND start_time > $2 AND start_time < $3",
            &[&service, s, e],
        )
        .await?;
    let session_count: i64 = srow.get(0);
    let bounces: i64 = srow.get(1);
    let avg_dur: Option<f64> = srow.get(2);
    let hrow = client
        .query_one(
            "SELECT count(*), avg(load_time) FROM hits
             WHERE service_id = $1 AND start_time > $2 AND start_time < $3",
            &[&service, s, e],
        )
        .await?;
    let hit_count: i64 = hrow.get(0);
    let avg_load: Option<f64> = hrow.get(1);
    let online: i64 = client
        .query_one(
            "SELECT count(*) FROM sessions WHERE service_id = $1 AND last_seen > $2",
            &[&service, &(now - online_window)],
        )
        .await?
        .get(0);
    let has_hits: bool = client
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM hits WHERE service_id = $1)",
            &[&service],
        )
        .await?
        .get(0);

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
    let referrers = client
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
        .filter(|r| hide_referrer.is_none_or(|re| r.key.is_empty() || !re.is_match(&r.key)))
        .collect();

    let mut tables: [Vec<Row>; 6] = Default::default();
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
        let idx = (0..6).find(|i| mask & (1 << (5 - i)) == 0);
        if let Some(i) = idx {
            tables[i].push(Row {
                key: r.get(1),
                count: r.get(2),
            });
        }
    }
    let [countries, networks, operating_systems, browsers, device_types, devices] = tables;

    let per_session = |x: f64| {
        if session_count > 0 {
            Some(x / session_count as f64)
        } else {
            None
        }
    };
    Ok(CoreStats {
        currently_online: online,
        session_count,
        hit_count,
        has_hits,
        bounce_rate_pct: per_session(100.0 * bounces as f64),
        avg_session_duration: if session_count > 0 { avg_dur } else { None },
        avg_load_time: avg_load,
        avg_hits_per_session: per_session(hit_count as f64),
        locations: top(locations),
        referrers: top(referrers),
        countries: top(countries),
        networks: top(networks),
        operating_systems: top(operating_systems),
        browsers: top(browsers),
        device_types: top(device_types),
        devices: top(devices),
    })
}
