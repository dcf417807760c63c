//! The isolate's dropped-traffic counters: beacons of known services the edge answered but did
//! not queue (DNT, GPC, ignored IPs, robots, refused origins, archived services, invalid
//! beacons, overload), added up per service, UTC day and reason, and taken out at most every
//! `DROPS_FLUSH_SECS` as one queue message ([`beacon::edge_protocol::QueuedDrops`]). A flood of
//! dropped beacons costs a map increment each, not a queue message each.

use beacon::dropped::DropKind;
use beacon::edge_protocol::{EdgeDrop, MAX_BATCH_DROPS, MAX_DROP_COUNT};
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use uuid::Uuid;

/// Default interval between an isolate's drop messages (seconds).
pub const DEFAULT_FLUSH_SECS: u64 = 30;

type Key = (Uuid, i32, DropKind);

thread_local! {
    static CELLS: RefCell<BTreeMap<Key, u32>> = const { RefCell::new(BTreeMap::new()) };
    static LAST_TAKEN_MS: Cell<u64> = const { Cell::new(0) };
}

fn day_of(now_ms: u64) -> i32 {
    (now_ms / 86_400_000) as i32
}

/// Counts one dropped beacon. New cells beyond [`MAX_BATCH_DROPS`] are not counted (the
/// report is an estimate; memory stays bounded); counts saturate at [`MAX_DROP_COUNT`].
pub fn count(service: Uuid, kind: DropKind, now_ms: u64) {
    add(service, day_of(now_ms), kind, 1);
}

fn add(service: Uuid, day: i32, kind: DropKind, n: u32) {
    CELLS.with(|c| {
        let mut cells = c.borrow_mut();
        let full = cells.len() >= MAX_BATCH_DROPS;
        match cells.get_mut(&(service, day, kind)) {
            Some(v) => *v = v.saturating_add(n).min(MAX_DROP_COUNT),
            None if !full => {
                cells.insert((service, day, kind), n.min(MAX_DROP_COUNT));
            }
            None => {}
        }
    });
}

/// The counters when a message is due (something counted and `flush_ms` passed since the last
/// one), emptied; `None` otherwise.
pub fn take_due(now_ms: u64, flush_ms: u64) -> Option<Vec<EdgeDrop>> {
    if now_ms < LAST_TAKEN_MS.get().saturating_add(flush_ms) {
        return None;
    }
    let cells = CELLS.with(|c| std::mem::take(&mut *c.borrow_mut()));
    if cells.is_empty() {
        return None;
    }
    LAST_TAKEN_MS.set(now_ms);
    Some(
        cells
            .into_iter()
            .map(|((service, day, reason), count)| EdgeDrop {
                service,
                day,
                reason,
                count,
            })
            .collect(),
    )
}

/// Puts counters back after a failed send.
pub fn put_back(drops: Vec<EdgeDrop>) {
    for d in drops {
        add(d.service, d.day, d.reason, d.count);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_taken_at_most_once_per_interval() {
        let s = Uuid::from_u128(1);
        let now = 1_700_000_000_000;
        count(s, DropKind::Dnt, now);
        count(s, DropKind::Dnt, now);
        count(s, DropKind::Bot, now);
        let taken = take_due(now, 30_000).unwrap();
        assert_eq!(taken.len(), 2);
        assert_eq!(taken.iter().map(|d| d.count).sum::<u32>(), 3);
        count(s, DropKind::Dnt, now + 1);
        assert!(take_due(now + 1, 30_000).is_none(), "not due yet");
        put_back(taken);
        let again = take_due(now + 30_000, 30_000).unwrap();
        assert_eq!(again.iter().map(|d| d.count).sum::<u32>(), 4);
        assert!(take_due(now + 90_000, 30_000).is_none(), "nothing counted");
    }
}
