//! What the write path carries and reports: beacons ready for the writer and what one batch
//! changed. Shared by the sink, the sessionizer, the stores and both entrances.

use super::attribution::{self, Derived};
use crate::metrics::IngestMetrics;
use beacon::tracking_params::TrackingParams;
use beacon::ua::UaInfo;
use beacon::wire::Beacon;
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// A beacon ready for the writer: the wire record plus what is derived from it.
#[derive(Debug, Clone)]
pub struct Enriched {
    /// The reduced beacon.
    pub beacon: Beacon,
    /// Browser, OS and device classification of its User-Agent.
    pub ua: Arc<UaInfo>,
    /// Clean page URL and campaign tags.
    pub derived: Derived,
}

impl Enriched {
    /// Derives the URL-based fields on the caller's thread: request handlers run on every core,
    /// while the writer is one task whose CPU time is spent between the batch's round-trips.
    pub fn new(beacon: Beacon, ua: Arc<UaInfo>, params: &TrackingParams) -> Enriched {
        let derived = attribution::derive(&beacon, params);
        Enriched {
            beacon,
            ua,
            derived,
        }
    }

    /// The page this beacon counts under: its clean URL, else its location.
    pub fn page(&self) -> &str {
        self.derived
            .clean_location
            .as_deref()
            .unwrap_or(&self.beacon.location)
    }
}

/// What one batch changed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct BatchOutcome {
    /// Beacons applied.
    pub beacons: u64,
    /// New hits.
    pub hits: u64,
    /// New sessions.
    pub sessions: u64,
    /// Heartbeats added to existing hits.
    pub heartbeats: u64,
    /// Custom events stored.
    pub events: u64,
    /// Custom events dropped because their idempotency token was seen before.
    pub event_repeats: u64,
    /// Props the senders of the stored events left out to stay within the limit.
    pub event_props_truncated: u64,
}

impl BatchOutcome {
    /// Counts what one committed write stored (both entrances report the same way).
    pub fn record(&self, m: &IngestMetrics) {
        m.written_beacons.fetch_add(self.beacons, Ordering::Relaxed);
        m.written_hits.fetch_add(self.hits, Ordering::Relaxed);
        m.written_sessions
            .fetch_add(self.sessions, Ordering::Relaxed);
        m.heartbeats.fetch_add(self.heartbeats, Ordering::Relaxed);
        m.written_events.fetch_add(self.events, Ordering::Relaxed);
        m.event_repeats
            .fetch_add(self.event_repeats, Ordering::Relaxed);
        m.event_props_truncated
            .fetch_add(self.event_props_truncated, Ordering::Relaxed);
    }
}
