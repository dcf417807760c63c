//! What `/metrics` on the admin listener reports: every `shynet_*` series, written in one place
//! ([`Exporter::render`]). A new series is one line there (`e.gauge(…)` or `e.counter(…)` with
//! its name, help and labels), in the group it belongs to; a series that reads state the
//! exporter does not hold yet also adds that state as a field of [`Exporter`] (filled where
//! `startup/mod.rs` builds it). The test of the listener parses the whole scrape, so a malformed
//! line fails it.

use crate::exposition::Exposition;
pub use crate::exposition::CONTENT_TYPE as CONTENT_TYPE_HEADER;
use crate::metrics::IngestMetrics;
use crate::notify::counters::NotifyMetrics;
use crate::pools::Pools;
use crate::route_counters::RouteCounters;
use crate::writer::IngestQueue;
use std::sync::Arc;
use std::time::Duration;

/// How long a scrape waits for the database (the rollup lag) before reporting it unreachable.
pub const SCRAPE_DB_TIMEOUT: Duration = Duration::from_secs(2);

/// The sources a scrape reads: counters in memory, the queue, the pools, and the database for
/// the rollup lag (on the health pool, so a busy dashboard or writer cannot stall a scrape).
#[derive(Clone)]
pub struct Exporter {
    /// Beacon counters and writer figures.
    pub ingest: Arc<IngestMetrics>,
    /// Requests per route and outcome.
    pub routes: Arc<RouteCounters>,
    /// Alert and report delivery.
    pub notify: Arc<NotifyMetrics>,
    /// The writer's queue.
    pub queue: IngestQueue,
    /// Its capacity (`--queue-capacity`).
    pub queue_capacity: usize,
    /// Every connection pool.
    pub pools: Pools,
    /// The sessionizer's timeout, which decides when the rollup job may close an hour.
    pub session_timeout_secs: f64,
}

impl Exporter {
    /// One scrape in the text exposition format.
    pub async fn render(&self) -> String {
        let mut e = Exposition::new();
        e.gauge(
            "shynet_build_info",
            "Always 1; the version is in the label.",
            &[("version", env!("CARGO_PKG_VERSION"))],
            1.0,
        );
        self.ingest_series(&mut e);
        self.writer_series(&mut e);
        self.pool_series(&mut e);
        self.database_series(&mut e).await;
        self.notify_series(&mut e);
        if let Some(m) = crate::memory::current() {
            let help = "Resident memory of the process by kind (anonymous = heap and stacks).";
            for (kind, v) in [
                ("anonymous", m.anonymous_bytes),
                ("file", m.file_bytes),
                ("shmem", m.shmem_bytes),
                ("rss", m.rss_bytes),
            ] {
                e.gauge("shynet_memory_bytes", help, &[("kind", kind)], v as f64);
            }
        }
        let mut out = e.finish();
        // Read replicas write their own families (`shynet_replica_lag_seconds`,
        // `shynet_replica_in_use`), nothing when none is configured.
        self.pools.replicas.append_prometheus(&mut out);
        out
    }

    fn ingest_series(&self, e: &mut Exposition) {
        for (route, outcome, n) in self.routes.snapshot() {
            e.counter(
                "shynet_ingest_requests_total",
                "Beacon requests per route and outcome (accepted = 2xx, refused = 4xx, shed = 503/429, error = other 5xx).",
                &[("route", route), ("outcome", outcome)],
                n,
            );
        }
        let s = self.ingest.snapshot();
        let beacons: [(&'static str, &str, u64); 12] = [
            (
                "shynet_ingest_accepted_total",
                "Beacons queued for writing.",
                s.accepted,
            ),
            (
                "shynet_ingest_rejected_bad_input_total",
                "Beacons refused with 4xx (bad input).",
                s.rejected_bad_input,
            ),
            (
                "shynet_ingest_rejected_overload_total",
                "Beacons shed with 503 (queue full, overload).",
                s.rejected_overload,
            ),
            (
                "shynet_ingest_dropped_dnt_total",
                "Beacons dropped for Do Not Track or GPC.",
                s.dropped_dnt,
            ),
            (
                "shynet_ingest_dropped_ignored_ip_total",
                "Beacons dropped from ignored networks.",
                s.dropped_ignored_ip,
            ),
            (
                "shynet_ingest_dropped_robot_total",
                "Beacons dropped as robots.",
                s.dropped_robot,
            ),
            (
                "shynet_ingest_written_beacons_total",
                "Beacons committed to Postgres.",
                s.written_beacons,
            ),
            (
                "shynet_ingest_written_hits_total",
                "Page views inserted.",
                s.written_hits,
            ),
            (
                "shynet_ingest_written_sessions_total",
                "Sessions inserted.",
                s.written_sessions,
            ),
            (
                "shynet_ingest_heartbeats_total",
                "Heartbeats applied to page views.",
                s.heartbeats,
            ),
            (
                "shynet_ingest_written_events_total",
                "Custom events stored.",
                s.written_events,
            ),
            (
                "shynet_ingest_event_repeats_total",
                "Custom events dropped as re-sends.",
                s.event_repeats,
            ),
        ];
        for (name, help, v) in beacons {
            e.counter(name, help, &[], v);
        }
        e.counter(
            "shynet_ingest_event_props_truncated_total",
            "Event properties left out to stay within the limit.",
            &[],
            s.event_props_truncated,
        );
        e.gauge(
            "shynet_queue_depth",
            "Beacons waiting for the writer.",
            &[],
            self.queue.depth() as f64,
        );
        e.gauge(
            "shynet_queue_capacity",
            "Most beacons the queue holds before ingest answers 503.",
            &[],
            self.queue_capacity as f64,
        );
    }

    fn writer_series(&self, e: &mut Exposition) {
        let s = self.ingest.snapshot();
        e.counter(
            "shynet_writer_batches_total",
            "Batch transactions committed (direct writer and edge batches).",
            &[],
            s.write_batches,
        );
        let rows_help = "Rows inserted by the writer, per table.";
        for (table, v) in [
            ("hits", s.written_hits),
            ("sessions", s.written_sessions),
            ("events", s.written_events),
        ] {
            e.counter(
                "shynet_writer_rows_total",
                rows_help,
                &[("table", table)],
                v,
            );
        }
        e.counter(
            "shynet_writer_errors_total",
            "Failed batch writes (each one retried: by the writer, or by the edge).",
            &[],
            s.write_retries,
        );
        e.counter(
            "shynet_writer_rejected_beacons_total",
            "Beacons Postgres rejected as invalid data (dropped).",
            &[],
            s.write_rejected,
        );
        e.gauge(
            "shynet_writer_last_batch_duration_seconds",
            "Time the latest committed batch took, connection wait included.",
            &[],
            s.last_batch_micros as f64 / 1e6,
        );
    }

    fn pool_series(&self, e: &mut Exposition) {
        for (name, pool) in [
            ("ingest", &self.pools.ingest),
            ("edge", &self.pools.edge),
            ("dashboard", &self.pools.dashboard),
            ("health", &self.pools.health),
        ] {
            let st = pool.status();
            let l = [("pool", name)];
            e.gauge(
                "shynet_pool_max_size",
                "Most connections the pool opens.",
                &l,
                st.max_size as f64,
            );
            e.gauge(
                "shynet_pool_size",
                "Connections open in the pool.",
                &l,
                st.size as f64,
            );
            e.gauge(
                "shynet_pool_available",
                "Open connections idle in the pool.",
                &l,
                st.available as f64,
            );
            e.gauge(
                "shynet_pool_waiting",
                "Tasks waiting for a connection.",
                &l,
                st.waiting as f64,
            );
        }
    }

    async fn database_series(&self, e: &mut Exposition) {
        let read = tokio::time::timeout(SCRAPE_DB_TIMEOUT, async {
            let c = self.pools.health.get().await.ok()?;
            stats::rollup_lag::rollup_lag(&**c, self.session_timeout_secs)
                .await
                .ok()
        })
        .await
        .ok()
        .flatten();
        e.gauge(
            "shynet_database_up",
            "1 when this scrape could read the database, else 0.",
            &[],
            if read.is_some() { 1.0 } else { 0.0 },
        );
        let Some(lag) = read else { return };
        e.gauge(
            "shynet_rollup_lag_seconds",
            "How far the rollup watermark is behind the newest hour it may close (NaN before the first pass).",
            &[],
            lag.behind_seconds.unwrap_or(f64::NAN),
        );
        e.gauge(
            "shynet_rollup_dirty_hours",
            "Rolled-up hours whose raw rows changed, waiting to be re-rolled.",
            &[],
            lag.dirty_hours as f64,
        );
    }

    fn notify_series(&self, e: &mut Exposition) {
        let s = self.notify.snapshot();
        let rows: [(&'static str, &str, u64); 8] = [
            (
                "shynet_notify_alerts_total",
                "Alert episodes opened.",
                s.alerts,
            ),
            (
                "shynet_notify_recoveries_total",
                "Alert episodes closed.",
                s.recoveries,
            ),
            ("shynet_notify_reports_total", "Reports queued.", s.reports),
            (
                "shynet_notify_mail_sent_total",
                "Notification mails accepted by SMTP.",
                s.mail_sent,
            ),
            (
                "shynet_notify_mail_failures_total",
                "Failed notification mail attempts.",
                s.mail_failures,
            ),
            (
                "shynet_notify_webhook_sent_total",
                "Webhook calls answered 2xx.",
                s.webhook_sent,
            ),
            (
                "shynet_notify_webhook_failures_total",
                "Failed webhook attempts.",
                s.webhook_failures,
            ),
            (
                "shynet_notify_given_up_total",
                "Notifications given up after retries.",
                s.given_up,
            ),
        ];
        for (name, help, v) in rows {
            e.counter(name, help, &[], v);
        }
    }
}
