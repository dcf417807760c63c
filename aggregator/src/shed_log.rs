//! One warning per interval while ingest sheds load, instead of one log line per refused beacon:
//! a pixel flood answered with 503 would otherwise write hundreds of megabytes of identical
//! lines. The counters in `/healthz?format=json` keep the exact totals.

use crate::metrics::IngestMetrics;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// At most one shed summary per this interval while shedding lasts.
pub const SHED_SUMMARY_INTERVAL: Duration = Duration::from_secs(10);

/// How often the refusal counter is read, so the first summary comes soon after shedding starts.
const SHED_POLL_INTERVAL: Duration = Duration::from_millis(500);

/// Watches `metrics.rejected_overload` and logs how many beacons were shed since the last line.
pub fn spawn(metrics: Arc<IngestMetrics>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut reporter = ShedReporter::new(metrics.rejected_overload.load(Ordering::Relaxed));
        let mut tick = tokio::time::interval(SHED_POLL_INTERVAL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let total = metrics.rejected_overload.load(Ordering::Relaxed);
            if let Some((shed, since)) = reporter.observe(total, Instant::now()) {
                tracing::warn!(
                    shed,
                    "shed {shed} beacons in the last {} s; the write queue is full or the \
                     database is unavailable (503 with Retry-After; totals in \
                     /healthz?format=json)",
                    since.as_secs().max(1)
                );
            }
        }
    })
}

/// Lets one log line through per [`SHED_SUMMARY_INTERVAL`] for an error that can repeat on
/// every request (a database outage, a flood of badly signed requests); the repeats are
/// counted in the ingest metrics instead. For `static` use at the logging site.
#[derive(Debug)]
pub struct LogGate {
    /// Milliseconds since the Unix epoch of the last line let through; 0 = none yet.
    last_ms: AtomicU64,
}

impl LogGate {
    /// A gate that lets the first line through.
    pub const fn new() -> Self {
        LogGate {
            last_ms: AtomicU64::new(0),
        }
    }

    /// Whether to log now.
    pub fn allow(&self) -> bool {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_millis() as u64)
            .max(1);
        self.allow_at(now)
    }

    fn allow_at(&self, now_ms: u64) -> bool {
        let last = self.last_ms.load(Ordering::Relaxed);
        if last != 0 && now_ms.saturating_sub(last) < SHED_SUMMARY_INTERVAL.as_millis() as u64 {
            return false;
        }
        self.last_ms
            .compare_exchange(last, now_ms, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
    }
}

impl Default for LogGate {
    fn default() -> Self {
        Self::new()
    }
}

/// The rate limit, apart from the clock and the log so it can be tested.
#[derive(Debug)]
struct ShedReporter {
    reported: u64,
    last_line: Option<Instant>,
}

impl ShedReporter {
    fn new(total: u64) -> Self {
        ShedReporter {
            reported: total,
            last_line: None,
        }
    }

    /// Given the refusal total now, returns `(shed since the last line, time covered)` when a
    /// line is due: refusals happened and no line was written within the interval.
    fn observe(&mut self, total: u64, now: Instant) -> Option<(u64, Duration)> {
        let shed = total.saturating_sub(self.reported);
        if shed == 0 {
            return None;
        }
        let since = match self.last_line {
            Some(t) if now.duration_since(t) < SHED_SUMMARY_INTERVAL => return None,
            Some(t) => now.duration_since(t),
            None => SHED_POLL_INTERVAL,
        };
        self.reported = total;
        self.last_line = Some(now);
        Some((shed, since))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gate_lets_one_line_through_per_interval() {
        let gate = LogGate::new();
        let t0 = 1_000_000;
        assert!(gate.allow_at(t0));
        assert!(!gate.allow_at(t0 + 1));
        assert!(!gate.allow_at(t0 + 9_999));
        assert!(gate.allow_at(t0 + 10_000));
        assert!(!gate.allow_at(t0 + 10_001));
    }

    #[test]
    fn one_line_per_interval_with_everything_counted() {
        let t0 = Instant::now();
        let mut r = ShedReporter::new(0);
        assert_eq!(r.observe(0, t0), None, "nothing shed, nothing said");
        let first = r
            .observe(100, t0)
            .expect("the first refusals are reported at once");
        assert_eq!(first.0, 100);
        let mut total = 100;
        for ms in (500..10_000).step_by(500) {
            total += 1000;
            assert_eq!(r.observe(total, t0 + Duration::from_millis(ms)), None);
        }
        total += 1000;
        let (shed, since) = r.observe(total, t0 + SHED_SUMMARY_INTERVAL).unwrap();
        assert_eq!(
            shed,
            total - 100,
            "the line covers every refusal since the last one"
        );
        assert_eq!(since, SHED_SUMMARY_INTERVAL);
        // Shedding stopped: silence.
        assert_eq!(r.observe(total, t0 + 3 * SHED_SUMMARY_INTERVAL), None);
    }
}
