//! How much raw data one slice of a rollup pass takes ([`crate::rollup_advance`]). Sized by
//! page views, not by time: a range that is empty for most of its length and dense at its end
//! (a site that just started, an hour after a quiet night) would otherwise grow the slices over
//! the empty part and then take the dense part in one long transaction. Before each slice a
//! capped count finds how far the slice may reach; after it, the measured speed sets how many
//! page views the next may hold to take about [`SLICE_TARGET`].

use chrono::{DateTime, Duration, Utc};
use tokio_postgres::Client;

/// How long one slice's transaction should take: short enough that vacuum is not held back
/// for long (the dashboard's own longest reads take as long at high rates), long enough that
/// the part of a slice's cost that does not grow with its page views (the sessions live in it)
/// stays small: at 5 s slices of a dense hour the roll took twice as long in all.
pub const SLICE_TARGET: std::time::Duration = std::time::Duration::from_secs(20);
/// Page views the first slice may hold (before any speed was measured).
const FIRST_BUDGET: i64 = 20_000;
/// Bounds of the page views one slice may hold.
const MIN_BUDGET: i64 = 1_000;
const MAX_BUDGET: i64 = 2_000_000;
/// The first slice's length, and the shortest one.
const FIRST_LEN_SECS: i64 = 300;
const MIN_LEN_SECS: i64 = 1;

/// Page views that started in [a, b), counted up to `cap` (per service through its
/// (service, start) index, stopping at the cap).
const HITS_IN: &str = "
SELECT count(*) FROM (
    SELECT 1 FROM services sv CROSS JOIN LATERAL (
        SELECT 1 FROM hits h WHERE h.service_id = sv.id AND h.start_time >= $1 AND h.start_time < $2
        LIMIT $3) x
    LIMIT $3) y";

/// The slice sizes of one pass.
pub(crate) struct Slicer {
    budget: i64,
    len: Duration,
}

impl Slicer {
    pub(crate) fn new() -> Self {
        Slicer {
            budget: FIRST_BUDGET,
            len: Duration::seconds(FIRST_LEN_SECS),
        }
    }

    /// The end of the next slice from `a` (at most `hi`) and about how many page views it holds.
    pub(crate) async fn next(
        &mut self,
        client: &Client,
        a: DateTime<Utc>,
        hi: DateTime<Utc>,
    ) -> Result<(DateTime<Utc>, i64), tokio_postgres::Error> {
        let mut b = hi.min(a + self.len);
        loop {
            let n: i64 = client
                .query_one(HITS_IN, &[&a, &b, &(self.budget + 1)])
                .await?
                .get(0);
            if n <= self.budget || b - a <= Duration::seconds(MIN_LEN_SECS) {
                return Ok((b, n));
            }
            b = a + shorter(b - a);
        }
    }

    /// Records that the slice [a, a + len) with `hits` page views took `took`.
    pub(crate) fn took(&mut self, len: Duration, hits: i64, took: std::time::Duration) {
        self.budget = next_budget(self.budget, hits, took);
        self.len = len * 4;
    }
}

/// A quarter of `len`, at least the shortest slice.
fn shorter(len: Duration) -> Duration {
    (len / 4).max(Duration::seconds(MIN_LEN_SECS))
}

/// Page views the next slice may hold: what would take [`SLICE_TARGET`] at the speed measured
/// (a slice with few page views says little about the speed: the budget then only grows).
fn next_budget(budget: i64, hits: i64, took: std::time::Duration) -> i64 {
    let secs = took.as_secs_f64().max(1e-3);
    let at_speed = (hits as f64 * SLICE_TARGET.as_secs_f64() / secs) as i64;
    let next = if hits * 4 < budget {
        budget.max(at_speed)
    } else {
        at_speed
    };
    next.clamp(MIN_BUDGET, MAX_BUDGET)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration as Took;

    #[test]
    fn the_budget_follows_the_measured_speed_within_bounds() {
        // 20k page views in 40 s: 10k fit in 20 s.
        assert_eq!(next_budget(20_000, 20_000, Took::from_secs(40)), 10_000);
        // Quick: grows.
        assert_eq!(next_budget(20_000, 20_000, Took::from_secs(4)), 100_000);
        // An empty or nearly empty slice never shrinks it.
        assert_eq!(next_budget(20_000, 0, Took::from_millis(50)), 20_000);
        assert_eq!(next_budget(20_000, 100, Took::from_secs(2)), 20_000);
        // Bounds.
        assert_eq!(
            next_budget(20_000, 20_000, Took::from_secs(600)),
            MIN_BUDGET
        );
        assert_eq!(
            next_budget(2_000_000, 2_000_000, Took::from_millis(1)),
            MAX_BUDGET
        );
    }

    #[test]
    fn a_slice_shrinks_by_quarters_down_to_a_second() {
        assert_eq!(shorter(Duration::seconds(300)), Duration::seconds(75));
        assert_eq!(shorter(Duration::seconds(2)), Duration::seconds(1));
    }
}
