//! Counters of what ingest did with every beacon, so that nothing is dropped or refused without
//! a trace. Exposed on `/healthz?format=json` and the admin listener's `/metrics`
//! (`metrics_export.rs`), and logged by the writer.

use serde::Serialize;
use std::sync::atomic::{AtomicU64, Ordering};

/// Process-wide ingest counters.
#[derive(Debug, Default)]
pub struct IngestMetrics {
    /// Beacons queued for writing.
    pub accepted: AtomicU64,
    /// Dropped: DNT/GPC honoured.
    pub dropped_dnt: AtomicU64,
    /// Dropped: ignored IP network.
    pub dropped_ignored_ip: AtomicU64,
    /// Dropped: robot on a service that ignores robots.
    pub dropped_robot: AtomicU64,
    /// Refused with 4xx: bad input.
    pub rejected_bad_input: AtomicU64,
    /// Refused with 503: queue full or shutting down.
    pub rejected_overload: AtomicU64,
    /// Beacons committed to Postgres.
    pub written_beacons: AtomicU64,
    /// Hits inserted.
    pub written_hits: AtomicU64,
    /// Sessions inserted.
    pub written_sessions: AtomicU64,
    /// Heartbeats applied to existing hits.
    pub heartbeats: AtomicU64,
    /// Custom events stored.
    pub written_events: AtomicU64,
    /// Custom events dropped as re-sends (their idempotency token was seen before).
    pub event_repeats: AtomicU64,
    /// Props the tracker left out of stored events to stay within the limit (its `truncated`).
    pub event_props_truncated: AtomicU64,
    /// Failed write attempts (retried).
    pub write_retries: AtomicU64,
    /// Beacons dropped because Postgres rejected them as invalid data.
    pub write_rejected: AtomicU64,
    /// Batch transactions committed (the direct writer's and the edge's).
    pub write_batches: AtomicU64,
    /// How long the latest committed batch took, in microseconds (connection wait included).
    pub last_batch_micros: AtomicU64,
}

/// A point-in-time copy for JSON output.
#[derive(Debug, Serialize, Clone, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct MetricsSnapshot {
    pub accepted: u64,
    pub dropped_dnt: u64,
    pub dropped_ignored_ip: u64,
    pub dropped_robot: u64,
    pub rejected_bad_input: u64,
    pub rejected_overload: u64,
    pub written_beacons: u64,
    pub written_hits: u64,
    pub written_sessions: u64,
    pub heartbeats: u64,
    pub written_events: u64,
    pub event_repeats: u64,
    pub event_props_truncated: u64,
    pub write_retries: u64,
    pub write_rejected: u64,
    pub write_batches: u64,
    pub last_batch_micros: u64,
}

impl IngestMetrics {
    /// Adds one to a counter.
    pub fn inc(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Records a committed batch and how long it took.
    pub fn record_batch(&self, took: std::time::Duration) {
        self.write_batches.fetch_add(1, Ordering::Relaxed);
        let micros = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        self.last_batch_micros.store(micros, Ordering::Relaxed);
    }

    /// Copies every counter.
    pub fn snapshot(&self) -> MetricsSnapshot {
        let g = |c: &AtomicU64| c.load(Ordering::Relaxed);
        MetricsSnapshot {
            accepted: g(&self.accepted),
            dropped_dnt: g(&self.dropped_dnt),
            dropped_ignored_ip: g(&self.dropped_ignored_ip),
            dropped_robot: g(&self.dropped_robot),
            rejected_bad_input: g(&self.rejected_bad_input),
            rejected_overload: g(&self.rejected_overload),
            written_beacons: g(&self.written_beacons),
            written_hits: g(&self.written_hits),
            written_sessions: g(&self.written_sessions),
            heartbeats: g(&self.heartbeats),
            written_events: g(&self.written_events),
            event_repeats: g(&self.event_repeats),
            event_props_truncated: g(&self.event_props_truncated),
            write_retries: g(&self.write_retries),
            write_rejected: g(&self.write_rejected),
            write_batches: g(&self.write_batches),
            last_batch_micros: g(&self.last_batch_micros),
        }
    }
}
