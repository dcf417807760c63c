//! A cap on open connections per client address, so one client cannot take every connection
//! slot (the server-wide cap) and lock everyone else out.
//!
//! The cap applies to the socket peer. Peers the operator trusts as proxies are exempt: behind
//! a reverse proxy or CDN every visitor arrives from the proxy's few addresses, and capping them
//! would cap the whole site (the proxy enforces its own per-client limits). IPv6 peers are
//! counted per /64, the block one subscriber usually holds, so rotating through addresses of
//! one network does not multiply the allowance.

use beacon::client_ip::ProxyTrust;
use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::{Arc, Mutex};

/// The default per-address cap: far above what one browser opens (6 per host), low enough that
/// a single address holds a small share of the default 1,024 server-wide slots.
pub const DEFAULT_MAX_CONNECTIONS_PER_IP: usize = 64;

/// The first bytes of the answer a refused connection gets before it is closed.
const REFUSAL: &[u8] = b"HTTP/1.1 429 Too Many Requests\r\ncontent-type: text/plain; charset=utf-8\r\n\
connection: close\r\nretry-after: 1\r\ncontent-length: 39\r\n\r\ntoo many connections from this address\n";

/// Counts open connections per client key.
#[derive(Debug)]
pub struct PerIpLimiter {
    cap: usize,
    exempt: ProxyTrust,
    open: Mutex<HashMap<IpAddr, usize>>,
}

/// One counted connection; dropping it releases the count.
#[derive(Debug)]
pub struct PerIpPermit {
    limiter: Option<(Arc<PerIpLimiter>, IpAddr)>,
}

impl Drop for PerIpPermit {
    fn drop(&mut self) {
        if let Some((limiter, key)) = self.limiter.take() {
            let mut open = limiter.open.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(n) = open.get_mut(&key) {
                *n -= 1;
                if *n == 0 {
                    open.remove(&key);
                }
            }
        }
    }
}

/// What a client is counted as: its IPv4 address, or the /64 of its IPv6 address.
fn key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => {
            let bits = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(Ipv6Addr::from(bits))
        }
        v4 => v4,
    }
}

impl PerIpLimiter {
    /// At most `cap` connections per client; `exempt` peers are not counted.
    pub fn new(cap: usize, exempt: ProxyTrust) -> Arc<PerIpLimiter> {
        Arc::new(PerIpLimiter {
            cap: cap.max(1),
            exempt,
            open: Mutex::default(),
        })
    }

    /// Counts a new connection from `peer`; `None` when that client is at the cap.
    pub fn try_acquire(self: &Arc<Self>, peer: IpAddr) -> Option<PerIpPermit> {
        if self.exempt.is_trusted(peer) {
            return Some(PerIpPermit { limiter: None });
        }
        let k = key(peer);
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        let n = open.entry(k).or_insert(0);
        if *n >= self.cap {
            return None;
        }
        *n += 1;
        Some(PerIpPermit {
            limiter: Some((self.clone(), k)),
        })
    }
}

/// Tells a refused client why, if its socket takes the bytes at once, and closes it.
pub fn refuse(stream: tokio::net::TcpStream) {
    let _ = stream.try_write(REFUSAL);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn caps_each_client_and_releases_on_drop() {
        let l = PerIpLimiter::new(2, ProxyTrust::none());
        let a = l.try_acquire(ip("81.2.69.160")).unwrap();
        let _b = l.try_acquire(ip("81.2.69.160")).unwrap();
        assert!(l.try_acquire(ip("81.2.69.160")).is_none());
        assert!(l.try_acquire(ip("::ffff:81.2.69.160")).is_none());
        let _other = l.try_acquire(ip("81.2.69.161")).unwrap();
        drop(a);
        assert!(l.try_acquire(ip("81.2.69.160")).is_some());
    }

    #[test]
    fn ipv6_counts_per_64_and_trusted_proxies_are_exempt() {
        let l = PerIpLimiter::new(1, ProxyTrust::default());
        let _a = l.try_acquire(ip("2a02:db8:1:2::1")).unwrap();
        assert!(l.try_acquire(ip("2a02:db8:1:2::ffff")).is_none());
        assert!(l.try_acquire(ip("2a02:db8:1:3::1")).is_some());
        let proxies: Vec<_> = (0..10).map(|_| l.try_acquire(ip("127.0.0.1"))).collect();
        assert!(proxies.iter().all(Option::is_some));
        assert!(l.open.lock().unwrap().get(&ip("127.0.0.1")).is_none());
    }

    #[test]
    fn the_refusal_is_a_well_formed_answer() {
        let text = std::str::from_utf8(REFUSAL).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        let len: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length: "))
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(body.len(), len);
    }
}
