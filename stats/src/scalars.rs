//! The scalar figures (sessions, hits, bounce rate, durations, load time) of many services at
//! once: exact sums from raw edges and rollup hours added up, so the rollup path and the raw
//! path agree to the unit.

use crate::figures::{StatsError, RAW_SEGMENTS};
use crate::plan::{self, ReadPlan, Source};
use crate::window::Window;
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use std::collections::HashMap;
use tokio_postgres::GenericClient;
use uuid::Uuid;

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
    pub(crate) fn add(&mut self, o: &Sums) {
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

/// The rollup watermark and the raw-purge instants of those `services` that have one.
pub(crate) async fn plan_inputs<C: GenericClient>(
    client: &C,
    services: &[Uuid],
) -> Result<(Option<DateTime<Utc>>, HashMap<Uuid, DateTime<Utc>>), StatsError> {
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
    Ok((watermark, purged))
}

/// The rollup watermark and the services' raw-purge instants, read once per request part.
pub(crate) async fn plans<C: GenericClient>(
    client: &C,
    services: &[Uuid],
    w: &Window,
    source: Source,
) -> Result<Vec<(ReadPlan, Vec<Uuid>)>, StatsError> {
    if source == Source::Raw {
        return Ok(vec![(plan::raw_only(w), services.to_vec())]);
    }
    let (watermark, purged) = plan_inputs(client, services).await?;
    let mut out: Vec<(ReadPlan, Vec<Uuid>)> = Vec::new();
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
