//! The per-service settings ingest needs on every beacon, cached in memory and refreshed from
//! Postgres, so a beacon costs no database round-trip and a settings change made by any process
//! reaches every process within [`REFRESH_INTERVAL`].

use beacon::ip_filter::IgnoredIps;
use beacon::origins::AllowedOrigins;
use beacon::tracking_params::TrackingParams;
use deadpool_postgres::Pool;
use models::services::ingest::{self, IngestRow};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// How often the whole cache is reloaded.
pub const REFRESH_INTERVAL: Duration = Duration::from_secs(5);
/// How long an unknown service id is remembered as unknown: a page with a stale snippet (or a
/// scanner) sending beacons to one id costs one lookup per this long, while a service created
/// by another process under an id that was probed before still starts working this soon (the
/// refresher forgets every unknown id sooner, at each reload).
pub const NEGATIVE_TTL: Duration = Duration::from_secs(5);
/// At most this many unknown ids are remembered (about 40 bytes each); past it the list starts
/// over, so random ids cannot grow memory.
pub const MAX_NEGATIVE: usize = 10_000;
/// At most this many single-service lookups run at once: a flood of random ids waits here
/// instead of taking every connection of the ingest pool from the writer.
pub const MAX_CONCURRENT_LOOKUPS: usize = 2;

/// Whether a service takes data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceStatus {
    /// Accepting data.
    Active,
    /// Kept for its history, accepting nothing.
    Archived,
}

/// What ingest needs to know about a service.
#[derive(Debug, Clone)]
pub struct ServiceSettings {
    /// Service id.
    pub id: Uuid,
    /// Active or archived.
    pub status: ServiceStatus,
    /// Allowed origins.
    pub origins: AllowedOrigins,
    /// Honour DNT / GPC.
    pub respect_dnt: bool,
    /// Drop robots.
    pub ignore_robots: bool,
    /// Store raw IPs.
    pub collect_ips: bool,
    /// Networks whose visitors are dropped.
    pub ignored_ips: IgnoredIps,
    /// Owner's extra JavaScript appended to the tracker.
    pub script_inject: String,
    /// Query parameters removed from stored page URLs, parsed once per reload rather than once
    /// per batch by the writer.
    pub tracking_params: TrackingParams,
}

fn from_row(r: IngestRow) -> ServiceSettings {
    let IngestRow {
        id,
        status,
        origins,
        respect_dnt,
        ignore_robots,
        collect_ips,
        ignored_ips: ignored,
        script_inject: inject,
        tracking_params: params,
    } = r;
    // Settings are validated when saved; a bad value that slipped in (edited by hand in SQL)
    // falls back to the privacy-safe reading instead of breaking ingest.
    let origins = origins.parse().unwrap_or_else(|e| {
        tracing::warn!(service = %id, error = %e, "invalid origins; allowing none");
        AllowedOrigins::List(Vec::new())
    });
    let ignored_ips = ignored.parse().unwrap_or_else(|e| {
        tracing::warn!(service = %id, error = %e, "invalid ignored IPs; ignoring none");
        IgnoredIps::default()
    });
    // A list that does not parse (edited by hand in SQL; the form validates it) removes nothing.
    let tracking_params = params.parse().unwrap_or_else(|e| {
        tracing::warn!(service = %id, error = %e, "invalid tracking parameters; removing none");
        TrackingParams::default()
    });
    ServiceSettings {
        id,
        status: if status == "AR" {
            ServiceStatus::Archived
        } else {
            ServiceStatus::Active
        },
        origins,
        respect_dnt,
        ignore_robots,
        collect_ips,
        ignored_ips,
        script_inject: inject,
        tracking_params,
    }
}

#[derive(Default)]
struct Inner {
    known: HashMap<Uuid, Arc<ServiceSettings>>,
    unknown: HashMap<Uuid, Instant>,
}

/// Concurrent lookups of one id share a gate, so they cost one query.
type Gates = Mutex<HashMap<Uuid, Arc<tokio::sync::Mutex<()>>>>;

/// A place in the line for one id's gate; the last one out removes the gate, also when the
/// request is abandoned mid-wait, so the map holds only ids being looked up right now.
struct GateTicket<'a> {
    gates: &'a Gates,
    id: Uuid,
    gate: Option<Arc<tokio::sync::Mutex<()>>>,
}

impl<'a> GateTicket<'a> {
    fn take(gates: &'a Gates, id: Uuid) -> GateTicket<'a> {
        let mut map = gates.lock().unwrap_or_else(|p| p.into_inner());
        let gate = map.entry(id).or_default().clone();
        GateTicket {
            gates,
            id,
            gate: Some(gate),
        }
    }
}

impl Drop for GateTicket<'_> {
    fn drop(&mut self) {
        let mut map = self.gates.lock().unwrap_or_else(|p| p.into_inner());
        // Dropped under the lock, so the count below sees every holder.
        drop(self.gate.take());
        if map.get(&self.id).is_some_and(|g| Arc::strong_count(g) == 1) {
            map.remove(&self.id);
        }
    }
}

/// The cache. Cheap to clone.
#[derive(Clone)]
pub struct ServiceCache {
    pool: Pool,
    inner: Arc<RwLock<Inner>>,
    gates: Arc<Gates>,
    slots: Arc<tokio::sync::Semaphore>,
    lookups: Arc<AtomicU64>,
}

impl ServiceCache {
    /// Loads every service once.
    pub async fn load(pool: Pool) -> anyhow::Result<ServiceCache> {
        let cache = ServiceCache {
            pool,
            inner: Arc::default(),
            gates: Arc::default(),
            slots: Arc::new(tokio::sync::Semaphore::new(MAX_CONCURRENT_LOOKUPS)),
            lookups: Arc::default(),
        };
        cache.refresh().await?;
        Ok(cache)
    }

    /// Reloads all services.
    pub async fn refresh(&self) -> anyhow::Result<()> {
        let client = self.pool.get().await?;
        let rows = ingest::all_for_ingest(&**client).await?;
        let known: HashMap<Uuid, Arc<ServiceSettings>> = rows
            .into_iter()
            .map(|r| {
                let s = from_row(r);
                (s.id, Arc::new(s))
            })
            .collect();
        if let Ok(mut inner) = self.inner.write() {
            inner.known = known;
            inner.unknown.clear();
        }
        Ok(())
    }

    /// Refreshes forever in the background.
    pub fn spawn_refresher(&self) -> tokio::task::JoinHandle<()> {
        let cache = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(REFRESH_INTERVAL);
            tick.tick().await;
            loop {
                tick.tick().await;
                if let Err(e) = cache.refresh().await {
                    tracing::warn!(error = %e, "service settings refresh failed; keeping the last good copy");
                }
            }
        })
    }

    /// Every known service, as last loaded (for the edge config endpoint, which calls
    /// [`ServiceCache::refresh`] first so edges see changes at once).
    pub fn snapshot(&self) -> Vec<Arc<ServiceSettings>> {
        match self.inner.read() {
            Ok(inner) => inner.known.values().cloned().collect(),
            Err(p) => p.into_inner().known.values().cloned().collect(),
        }
    }

    /// Single-service queries run so far (each miss of both the cache and the negative cache).
    pub fn lookups(&self) -> u64 {
        self.lookups.load(Ordering::Relaxed)
    }

    /// The cached answer for `id`, if there is a fresh one.
    fn cached(&self, id: Uuid) -> Option<Option<Arc<ServiceSettings>>> {
        let inner = match self.inner.read() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        if let Some(s) = inner.known.get(&id) {
            return Some(Some(s.clone()));
        }
        match inner.unknown.get(&id) {
            Some(t) if t.elapsed() < NEGATIVE_TTL => Some(None),
            _ => None,
        }
    }

    /// Settings of a service: from memory, else one lookup (so a service created a moment ago
    /// by another process works at once). `Ok(None)` = no such service. Concurrent requests for
    /// the same missing id wait for one lookup instead of each running their own.
    pub async fn get(&self, id: Uuid) -> anyhow::Result<Option<Arc<ServiceSettings>>> {
        if let Some(answer) = self.cached(id) {
            return Ok(answer);
        }
        let ticket = GateTicket::take(&self.gates, id);
        let gate = ticket.gate.clone().unwrap_or_default();
        let _turn = gate.lock().await;
        if let Some(answer) = self.cached(id) {
            return Ok(answer);
        }
        let _slot = self.slots.acquire().await?;
        self.lookup(id).await
    }

    /// The service a Plausible-style `domain` names: a service id, or the host of exactly one
    /// service's link. `Ok(None)` when none (or several) match. Not cached: it is one bounded
    /// query, taken under the same concurrency cap as other lookups.
    pub async fn id_for_domain(&self, domain: &str) -> anyhow::Result<Option<Uuid>> {
        if let Ok(id) = domain.parse::<Uuid>() {
            return Ok(Some(id));
        }
        let _slot = self.slots.acquire().await?;
        let client = self.pool.get().await?;
        let ids = ingest::ids_by_link_domain(&**client, domain).await?;
        Ok(match ids.as_slice() {
            [one] => Some(*one),
            _ => None,
        })
    }

    /// Queries one service and remembers the answer, found or not.
    async fn lookup(&self, id: Uuid) -> anyhow::Result<Option<Arc<ServiceSettings>>> {
        let client = self.pool.get().await?;
        self.lookups.fetch_add(1, Ordering::Relaxed);
        let row = ingest::for_ingest(&**client, id).await?;
        let mut inner = match self.inner.write() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        match row {
            Some(r) => {
                let s = Arc::new(from_row(r));
                inner.known.insert(id, s.clone());
                Ok(Some(s))
            }
            None => {
                if inner.unknown.len() >= MAX_NEGATIVE {
                    inner.unknown.clear();
                }
                inner.unknown.insert(id, Instant::now());
                Ok(None)
            }
        }
    }
}
