//! What the aggregator tells the edge (`GET` `/ingest/v1/config`): each service's ingest
//! settings and the salts, so the edge enforces the same rules and derives the same visitor
//! keys as direct ingest.

use crate::visitor::Salt;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// This aggregator's batch protocol, announced in [`EdgeConfig::protocol`]: 1 page views only,
/// 2 beacons may carry an `event` (see the module notes on beacon kinds), 3 batches may carry
/// the edge's dropped-traffic counts (`EdgeBatch::drops`).
pub const PROTOCOL_VERSION: u32 = 3;

/// The first protocol version whose aggregators store custom events.
pub const EVENTS_PROTOCOL: u32 = 2;

/// The first protocol version whose aggregators read `EdgeBatch::drops`. Older aggregators
/// ignore the unknown key (the counts are then lost, nothing else changes), and an edge that
/// predates it sends none, which newer aggregators read as no drops.
pub const DROPS_PROTOCOL: u32 = 3;

/// A service's ingest settings as the edge needs them. Origins and ignored IPs travel in their
/// canonical text form and are parsed once per config load at the edge.
///
/// Exists so the edge applies the same per-service rules as the aggregator's direct ingest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EdgeService {
    /// Service id.
    pub id: Uuid,
    /// `false` once archived: the edge then refuses beacons exactly as the aggregator does.
    pub active: bool,
    /// Allowed origins (`*` or a list), as stored.
    pub origins: String,
    /// Honour DNT / GPC.
    pub respect_dnt: bool,
    /// Drop obvious robots at the edge (the aggregator drops the rest).
    pub ignore_robots: bool,
    /// Keep the raw IP (already combined with the install's `BLOCK_ALL_IPS`).
    pub collect_ips: bool,
    /// Ignored networks, as stored.
    pub ignored_ips: String,
    /// The owner's extra JavaScript for the tracker.
    pub script_inject: String,
}

/// A daily salt on the wire (hex), see [`crate::visitor::Salt`].
///
/// Exists because the salt's bytes are secret and the in-memory type deliberately has no
/// serde support; only this config payload (signed, over HTTPS) carries them.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireSalt {
    /// UTC day number.
    pub day: i32,
    /// 32 bytes, hex.
    pub salt: String,
}

impl std::fmt::Debug for WireSalt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WireSalt").field("day", &self.day).finish()
    }
}

impl WireSalt {
    /// Wraps a salt for the wire.
    pub fn from_salt(s: &Salt) -> WireSalt {
        WireSalt {
            day: s.day,
            salt: hex::encode(s.bytes),
        }
    }

    /// The salt, or `None` when the hex is not 32 bytes.
    pub fn to_salt(&self) -> Option<Salt> {
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(&self.salt, &mut bytes).ok()?;
        Some(Salt {
            day: self.day,
            bytes,
        })
    }
}

/// Everything the edge needs from the aggregator: `GET /ingest/v1/config`'s body.
///
/// Exists as the one definition of that payload for both sides.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EdgeConfig {
    /// The aggregator's [`PROTOCOL_VERSION`]; absent (1) from aggregators that predate it.
    #[serde(default = "protocol_v1")]
    pub protocol: u32,
    /// Aggregator time when this was produced (ms since epoch).
    pub generated_ms: i64,
    /// The install's session timeout (ms): decides when yesterday's salt is still needed.
    pub session_timeout_ms: i64,
    /// Tracker heartbeat interval (ms), rendered into the script.
    pub heartbeat_ms: u64,
    /// Every service that exists (active and archived).
    pub services: Vec<EdgeService>,
    /// Today's salt, yesterday's while sessions may span midnight, and tomorrow's shortly
    /// before midnight (so an edge whose cached copy is a minute old has it at 00:00).
    pub salts: Vec<WireSalt>,
}

fn protocol_v1() -> u32 {
    1
}

impl EdgeConfig {
    /// Whether the aggregator stores custom events (else the edge must not queue them).
    pub fn accepts_events(&self) -> bool {
        self.protocol >= EVENTS_PROTOCOL
    }

    /// Salts for a beacon received at `time_ms`: the current day's, falling back to the
    /// previous day's when the edge's copy predates midnight (the aggregator was unreachable),
    /// and the previous day's as `previous` during the first session timeout of a day.
    ///
    /// Exists so the edge picks salts by the same rule as the aggregator's `SaltStore`.
    /// `None` when no usable salt is known at all.
    pub fn salts_for(&self, time_ms: i64) -> Option<(Salt, Option<Salt>)> {
        let day = crate::visitor::utc_day(time_ms);
        let find = |d: i32| {
            self.salts
                .iter()
                .find(|s| s.day == d)
                .and_then(WireSalt::to_salt)
        };
        let previous = find(day - 1);
        match find(day) {
            Some(current) => {
                let prev = if crate::visitor::needs_previous_salt(time_ms, self.session_timeout_ms)
                {
                    previous
                } else {
                    None
                };
                Some((current, prev))
            }
            None => previous.map(|p| (p, None)),
        }
    }
}
