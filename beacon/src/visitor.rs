//! Cookie-free visitor identity: a keyed hash of (service, IP, User-Agent) under a random salt
//! that rotates every UTC day. The salt is generated and stored by the aggregator and deleted
//! soon after its day ends, so a stored hash cannot be linked back to an IP once its salt is gone.

use crate::wire::VisitorKey;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::net::IpAddr;
use uuid::Uuid;

/// Milliseconds in a day.
pub const DAY_MS: i64 = 86_400_000;

/// A day's secret salt. `day` counts days since 1970-01-01 (UTC).
#[derive(Clone, PartialEq, Eq)]
pub struct Salt {
    /// UTC day number this salt belongs to.
    pub day: i32,
    /// 32 random bytes.
    pub bytes: [u8; 32],
}

impl std::fmt::Debug for Salt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the secret itself.
        f.debug_struct("Salt").field("day", &self.day).finish()
    }
}

/// UTC day number of a timestamp in ms.
pub fn utc_day(time_ms: i64) -> i32 {
    time_ms.div_euclid(DAY_MS) as i32
}

/// Whether a beacon at `time_ms` still needs yesterday's salt to find a session that started
/// before midnight: true during the first `session_timeout_ms` of a UTC day.
pub fn needs_previous_salt(time_ms: i64, session_timeout_ms: i64) -> bool {
    time_ms.rem_euclid(DAY_MS) < session_timeout_ms
}

/// The visitor hash: HMAC-SHA256 keyed by the salt over the service id, the IP and the UA,
/// cut to 16 bytes.
pub fn visitor_key(
    salt: &Salt,
    service: &Uuid,
    ip: Option<IpAddr>,
    user_agent: &str,
) -> VisitorKey {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = match <Hmac<Sha256> as Mac>::new_from_slice(&salt.bytes) {
        Ok(m) => m,
        Err(_) => unreachable!("HMAC takes keys of any length"),
    };
    mac.update(service.as_bytes());
    match ip {
        Some(IpAddr::V4(v4)) => mac.update(&v4.to_ipv6_mapped().octets()),
        Some(IpAddr::V6(v6)) => mac.update(&v6.octets()),
        None => mac.update(&[0u8; 16]),
    }
    mac.update(user_agent.as_bytes());
    let full = mac.finalize().into_bytes();
    let mut out = [0u8; 16];
    out.copy_from_slice(&full[..16]);
    VisitorKey(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn salt(day: i32, b: u8) -> Salt {
        Salt {
            day,
            bytes: [b; 32],
        }
    }

    #[test]
    fn same_inputs_same_key_and_salt_changes_it() {
        let s = Uuid::from_u128(1);
        let ip: IpAddr = "203.0.113.9".parse().unwrap();
        let a = visitor_key(&salt(1, 1), &s, Some(ip), "UA");
        assert_eq!(a, visitor_key(&salt(1, 1), &s, Some(ip), "UA"));
        assert_ne!(a, visitor_key(&salt(2, 2), &s, Some(ip), "UA"));
        assert_ne!(
            a,
            visitor_key(&salt(1, 1), &Uuid::from_u128(2), Some(ip), "UA")
        );
        assert_ne!(a, visitor_key(&salt(1, 1), &s, Some(ip), "UA2"));
        let mapped: IpAddr = "::ffff:203.0.113.9".parse().unwrap();
        assert_eq!(a, visitor_key(&salt(1, 1), &s, Some(mapped), "UA"));
    }

    #[test]
    fn day_maths() {
        assert_eq!(utc_day(0), 0);
        assert_eq!(utc_day(DAY_MS - 1), 0);
        assert_eq!(utc_day(DAY_MS), 1);
        assert_eq!(utc_day(-1), -1);
        assert!(needs_previous_salt(DAY_MS + 1000, 1_800_000));
        assert!(!needs_previous_salt(DAY_MS + 1_800_000, 1_800_000));
    }

    #[test]
    fn debug_hides_salt() {
        assert!(!format!("{:?}", salt(3, 0xab)).contains("171"));
    }
}
