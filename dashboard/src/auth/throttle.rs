//! Login throttling with exponential back-off, per client address and per account.
//!
//! Every login attempt first *claims* a slot on two keys: the client's address (stops spraying
//! one password over many accounts) and the submitted account (stops guessing one account from
//! many addresses). A claim is one `INSERT … ON CONFLICT DO UPDATE … WHERE … RETURNING`, so
//! parallel requests serialise on the row and at most the allowed number pass; a refused claim
//! answers 429 before any password hash is computed. A key's first `free` claims pass at once;
//! each further one waits `BASE_DELAY_SECS · 2^(n − free)` seconds after the previous claim, capped.
//! There is no hard lock: the owner of an attacked account waits at most the account cap, and a
//! password reset clears the account's key. The counters live in `models::login_throttle`, in
//! Postgres so every replica agrees.

use models::login_throttle::{self, Backoff};
use std::net::IpAddr;
use tokio_postgres::GenericClient;

/// Attempts from one client address before back-off starts.
pub const CLIENT_FREE_ATTEMPTS: i32 = 10;
/// Attempts against one account (from anywhere) before back-off starts.
pub const ACCOUNT_FREE_ATTEMPTS: i32 = 5;
/// First back-off step.
pub const BASE_DELAY_SECS: i32 = 2;
/// Longest wait imposed on a client address.
pub const CLIENT_MAX_DELAY_SECS: i32 = 3600;
/// Longest wait imposed on an account: short, because anyone can push an account to it.
pub const ACCOUNT_MAX_DELAY_SECS: i32 = 300;
/// A key unused this long starts from zero again.
pub const FORGET_AFTER_HOURS: i32 = 24;
/// Longest account part of a key (addresses are at most 254 bytes).
const MAX_KEY_EMAIL_BYTES: usize = 320;

/// One throttled dimension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    /// Stored key.
    pub key: String,
    free: i32,
    max_delay: i32,
}

/// The key of a client address: IPv4 as is, IPv6 by its /64 (one subscriber's whole network).
pub fn client_key(ip: Option<IpAddr>) -> Key {
    let id = match ip.map(|i| i.to_canonical()) {
        Some(IpAddr::V4(v4)) => v4.to_string(),
        Some(IpAddr::V6(v6)) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        None => "unknown".to_owned(),
    };
    Key {
        key: format!("client:{id}"),
        free: CLIENT_FREE_ATTEMPTS,
        max_delay: CLIENT_MAX_DELAY_SECS,
    }
}

/// The key of an account: the submitted address, trimmed and lower-cased, whether or not such
/// an account exists (so throttling says nothing about existence).
pub fn account_key(email: &str) -> Key {
    let mut e = email.trim().to_lowercase();
    if e.len() > MAX_KEY_EMAIL_BYTES {
        let mut cut = MAX_KEY_EMAIL_BYTES;
        while !e.is_char_boundary(cut) {
            cut -= 1;
        }
        e.truncate(cut);
    }
    Key {
        key: format!("account:{e}"),
        free: ACCOUNT_FREE_ATTEMPTS,
        max_delay: ACCOUNT_MAX_DELAY_SECS,
    }
}

/// The key of a share link's password: guesses at one link from anywhere back off like guesses
/// at one account.
pub fn share_key(link: i64) -> Key {
    Key {
        key: format!("share:{link}"),
        free: ACCOUNT_FREE_ATTEMPTS,
        max_delay: ACCOUNT_MAX_DELAY_SECS,
    }
}

impl Key {
    fn backoff(&self) -> Backoff {
        Backoff {
            free: self.free,
            base_secs: BASE_DELAY_SECS,
            max_secs: self.max_delay,
            forget_hours: FORGET_AFTER_HOURS,
        }
    }
}

/// Claims one attempt on `key`: `Ok(None)` when allowed (the attempt now counts as a failure
/// until [`succeeded`] refunds it), `Ok(Some(secs))` when the caller must wait that long.
pub async fn claim<C: GenericClient>(
    c: &C,
    key: &Key,
) -> Result<Option<i64>, tokio_postgres::Error> {
    login_throttle::claim(c, &key.key, key.backoff()).await
}

/// After a successful login: the account's record is cleared, the client's claim refunded
/// (so a shared address with many good logins is not slowed down).
pub async fn succeeded<C: GenericClient>(
    c: &C,
    client: &Key,
    account: &Key,
) -> Result<(), tokio_postgres::Error> {
    login_throttle::clear(c, &account.key).await?;
    login_throttle::refund(c, &client.key).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_group_v6_by_prefix_and_normalise_addresses() {
        let a = client_key(Some("2001:db8:1:2:aaaa::1".parse().unwrap()));
        let b = client_key(Some("2001:db8:1:2:bbbb::9".parse().unwrap()));
        assert_eq!(a, b);
        assert_eq!(
            client_key(Some("::ffff:192.0.2.7".parse().unwrap())).key,
            "client:192.0.2.7"
        );
        assert_eq!(
            account_key(" Admin@Example.COM ").key,
            "account:admin@example.com"
        );
        assert!(account_key(&"é".repeat(400)).key.len() <= 8 + MAX_KEY_EMAIL_BYTES);
    }
}
