//! Counters of alert and report delivery, shown on `/healthz?format=json` (under `notify`) and
//! `/metrics`, so a broken SMTP relay or webhook receiver is visible without reading logs.

use serde::Serialize;
use std::sync::atomic::{AtomicU64, Ordering};

/// Process-wide notification counters.
#[derive(Debug, Default)]
pub struct NotifyMetrics {
    /// Alert episodes opened (alert queued).
    pub alerts: AtomicU64,
    /// Episodes closed (recovery queued).
    pub recoveries: AtomicU64,
    /// Reports queued (one per service and period).
    pub reports: AtomicU64,
    /// Mails the SMTP server accepted.
    pub mail_sent: AtomicU64,
    /// Failed mail attempts (retried with back-off).
    pub mail_failures: AtomicU64,
    /// Webhook calls answered 2xx.
    pub webhook_sent: AtomicU64,
    /// Failed webhook attempts (retried with back-off).
    pub webhook_failures: AtomicU64,
    /// Messages given up after the last retry.
    pub given_up: AtomicU64,
}

/// A copy for JSON output.
#[derive(Debug, Serialize, Clone, PartialEq, Eq, Default)]
#[allow(missing_docs)]
pub struct NotifySnapshot {
    pub alerts: u64,
    pub recoveries: u64,
    pub reports: u64,
    pub mail_sent: u64,
    pub mail_failures: u64,
    pub webhook_sent: u64,
    pub webhook_failures: u64,
    pub given_up: u64,
}

impl NotifyMetrics {
    /// Adds one.
    pub fn inc(c: &AtomicU64) {
        c.fetch_add(1, Ordering::Relaxed);
    }

    /// Copies every counter.
    pub fn snapshot(&self) -> NotifySnapshot {
        let g = |c: &AtomicU64| c.load(Ordering::Relaxed);
        NotifySnapshot {
            alerts: g(&self.alerts),
            recoveries: g(&self.recoveries),
            reports: g(&self.reports),
            mail_sent: g(&self.mail_sent),
            mail_failures: g(&self.mail_failures),
            webhook_sent: g(&self.webhook_sent),
            webhook_failures: g(&self.webhook_failures),
            given_up: g(&self.given_up),
        }
    }

    /// Prometheus text exposition of the counters.
    pub fn prometheus(&self) -> String {
        let s = self.snapshot();
        let rows = [
            ("alerts", s.alerts, "Alert episodes opened"),
            ("recoveries", s.recoveries, "Alert episodes closed"),
            ("reports", s.reports, "Reports queued"),
            (
                "mail_sent",
                s.mail_sent,
                "Notification mails accepted by SMTP",
            ),
            (
                "mail_failures",
                s.mail_failures,
                "Failed notification mail attempts",
            ),
            ("webhook_sent", s.webhook_sent, "Webhook calls answered 2xx"),
            (
                "webhook_failures",
                s.webhook_failures,
                "Failed webhook attempts",
            ),
            (
                "given_up",
                s.given_up,
                "Notifications given up after retries",
            ),
        ];
        rows.iter()
            .map(|(n, v, h)| {
                format!(
                    "# HELP shynet_notify_{n}_total {h}.\n# TYPE shynet_notify_{n}_total counter\nshynet_notify_{n}_total {v}\n"
                )
            })
            .collect()
    }
}
