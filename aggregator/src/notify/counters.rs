//! Counters of alert and report delivery, shown on `/healthz?format=json` (under `notify`) and
//! the admin listener's `/metrics` (`metrics_export.rs`), so a broken SMTP relay or webhook receiver is visible without reading logs.

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
}
