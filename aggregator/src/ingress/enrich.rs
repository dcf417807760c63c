//! Turns an accepted request into the reduced [`Beacon`] record: classify the UA (cached),
//! locate the IP, hash the visitor under today's salt, and drop the raw IP unless the owner
//! collects it. The batch endpoint reuses [`UaCache`] for beacons that were reduced at the edge.

use crate::geo::GeoDb;
use crate::salts::SaltStore;
use beacon::ua::{UaClassifier, UaInfo};
use beacon::visitor::visitor_key;
use beacon::wire::{Beacon, Tracker};
use std::net::IpAddr;
use std::sync::Arc;
use uuid::Uuid;

/// Distinct User-Agents remembered; a busy site sees a few thousand.
pub const UA_CACHE_CAPACITY: usize = 20_000;

/// UA classification, compiled once per process and memoised per UA string.
pub struct UaCache {
    classifier: UaClassifier,
    cache: quick_cache::sync::Cache<String, Arc<UaInfo>>,
}

impl UaCache {
    /// Builds the uap-core regexes (about 0.3 s, once).
    pub fn new() -> anyhow::Result<UaCache> {
        Ok(UaCache {
            classifier: UaClassifier::new()?,
            cache: quick_cache::sync::Cache::new(UA_CACHE_CAPACITY),
        })
    }

    /// Classification of `ua`, from the cache when seen before.
    pub fn classify(&self, ua: &str) -> Arc<UaInfo> {
        if let Some(hit) = self.cache.get(ua) {
            return hit;
        }
        let info = Arc::new(self.classifier.classify(ua));
        self.cache.insert(ua.to_owned(), info.clone());
        info
    }
}

/// Everything request-independent that enrichment needs.
pub struct Enricher {
    /// UA classification.
    pub ua: UaCache,
    /// GeoIP databases.
    pub geo: GeoDb,
    /// Daily salts.
    pub salts: SaltStore,
    /// `BLOCK_ALL_IPS`.
    pub block_all_ips: bool,
}

/// The request facts enrichment starts from.
pub struct RawBeacon {
    /// Service.
    pub service: Uuid,
    /// Receipt time (ms since epoch).
    pub time_ms: i64,
    /// Collector.
    pub tracker: Tracker,
    /// Path identifier.
    pub identifier: String,
    /// Page-view token.
    pub idempotency: Option<String>,
    /// Page URL.
    pub location: String,
    /// Referrer.
    pub referrer: String,
    /// Load time.
    pub load_time: Option<f64>,
    /// Raw UA (already cut to the limit).
    pub user_agent: String,
    /// Client IP, if known.
    pub ip: Option<IpAddr>,
    /// Whether the service stores IPs.
    pub collect_ips: bool,
    /// The custom event, when the request was one.
    pub event: Option<beacon::event::Event>,
}

impl Enricher {
    /// Reduces a request to a beacon. Fails only if today's salt cannot be loaded.
    pub async fn enrich(
        &self,
        raw: RawBeacon,
        ua: Arc<UaInfo>,
    ) -> anyhow::Result<(Beacon, Arc<UaInfo>)> {
        let salts = self.salts.for_time(raw.time_ms).await?;
        let visitor = visitor_key(&salts.current, &raw.service, raw.ip, &raw.user_agent);
        let previous_visitor = salts
            .previous
            .as_ref()
            .map(|s| visitor_key(s, &raw.service, raw.ip, &raw.user_agent));
        let geo = raw.ip.map(|ip| self.geo.lookup(ip)).unwrap_or_default();
        let keep_ip = raw.collect_ips && !self.block_all_ips;
        Ok((
            Beacon {
                service: raw.service,
                time_ms: raw.time_ms,
                tracker: raw.tracker,
                identifier: raw.identifier,
                idempotency: raw.idempotency,
                location: raw.location,
                referrer: raw.referrer,
                load_time: raw.load_time,
                user_agent: raw.user_agent,
                visitor,
                previous_visitor,
                ip: if keep_ip { raw.ip } else { None },
                geo,
                event: raw.event,
            },
            ua,
        ))
    }
}
