//! The dropped-traffic report's counters: beacons a service did not store, per UTC day and
//! reason, added up in memory and written by the maintenance pass in one set-based upsert.
//!
//! Never one write per dropped beacon: a flood of junk beacons then costs a hash-map increment
//! each, not a database write. Only services that exist are counted (a beacon for an unknown
//! id is not the owner's traffic), and the map is capped at [`MAX_PENDING_CELLS`] cells; past
//! that, counts go to [`DropCounts::overflowed`] only (shown on `/healthz` through the log) until
//! the next flush empties the map. A crash loses at most one flush interval of counts: the
//! report is an estimate of cost, not a ledger.

use beacon::dropped::DropKind;
use chrono::NaiveDate;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use uuid::Uuid;

/// Most (service, day, reason) cells held between flushes.
pub const MAX_PENDING_CELLS: usize = 10_000;

type Cell = (Uuid, NaiveDate, DropKind);

/// Counts waiting for the next flush.
#[derive(Debug, Default)]
pub struct DropCounts {
    cells: Mutex<HashMap<Cell, i64>>,
    overflowed: AtomicU64,
}

impl DropCounts {
    /// Counts one beacon of `service` dropped today (UTC) for `kind`.
    pub fn record(&self, service: Uuid, kind: DropKind) {
        self.add(service, chrono::Utc::now().date_naive(), kind, 1);
    }

    /// Adds `n` drops of one cell.
    pub fn add(&self, service: Uuid, day: NaiveDate, kind: DropKind, n: i64) {
        if n <= 0 {
            return;
        }
        let mut cells = self.cells.lock().unwrap_or_else(|p| p.into_inner());
        let full = cells.len() >= MAX_PENDING_CELLS;
        match cells.get_mut(&(service, day, kind)) {
            Some(c) => *c = c.saturating_add(n),
            None if !full => {
                cells.insert((service, day, kind), n);
            }
            None => {
                self.overflowed.fetch_add(n as u64, Ordering::Relaxed);
            }
        }
    }

    /// Drops not counted because the map was full.
    pub fn overflowed(&self) -> u64 {
        self.overflowed.load(Ordering::Relaxed)
    }

    /// Takes every pending cell.
    fn take(&self) -> HashMap<Cell, i64> {
        std::mem::take(&mut *self.cells.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// Writes the pending counts in one statement. On failure they are put back (within the
    /// cap) for the next pass.
    pub async fn flush<C: tokio_postgres::GenericClient>(
        &self,
        c: &C,
    ) -> Result<usize, tokio_postgres::Error> {
        let cells = self.take();
        if cells.is_empty() {
            return Ok(0);
        }
        let n = cells.len();
        let mut services = Vec::with_capacity(n);
        let mut days = Vec::with_capacity(n);
        let mut reasons = Vec::with_capacity(n);
        let mut counts = Vec::with_capacity(n);
        for ((s, d, k), c) in &cells {
            services.push(*s);
            days.push(*d);
            reasons.push(k.as_str());
            counts.push(*c);
        }
        match models::dropped::add(c, &services, &days, &reasons, &counts).await {
            Ok(_) => Ok(n),
            Err(e) => {
                for ((s, d, k), c) in cells {
                    self.add(s, d, k, c);
                }
                Err(e)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_add_up_per_cell_and_stop_at_the_cap() {
        let d = DropCounts::default();
        let s = Uuid::new_v4();
        let day = NaiveDate::from_ymd_opt(2026, 1, 2).unwrap();
        d.add(s, day, DropKind::Dnt, 2);
        d.add(s, day, DropKind::Dnt, 3);
        d.add(s, day, DropKind::Bot, 1);
        d.add(s, day, DropKind::Bot, 0);
        let cells = d.take();
        assert_eq!(cells[&(s, day, DropKind::Dnt)], 5);
        assert_eq!(cells.len(), 2);
        assert!(d.take().is_empty());
        for i in 0..MAX_PENDING_CELLS + 10 {
            d.add(Uuid::from_u128(i as u128), day, DropKind::Invalid, 1);
        }
        assert_eq!(d.take().len(), MAX_PENDING_CELLS);
        assert_eq!(d.overflowed(), 10);
    }
}
