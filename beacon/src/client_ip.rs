//! Choosing the visitor's IP address from the request.
//!
//! Behind a CDN, load balancer or reverse proxy the socket peer is the proxy, not the visitor;
//! the visitor's address travels in a header the proxy adds. A header is only as believable as
//! whoever wrote it: any client can send `X-Forwarded-For: 1.2.3.4`, so a header counts only when
//! the socket peer is a *trusted proxy* ([`ProxyTrust`]), and within an `X-Forwarded-For` chain
//! only the part written by trusted proxies counts. The IP feeds the visitor hash, the
//! ignored-IP filter and the geo lookup, and is then dropped unless the service collects IPs.
//!
//! Two entrances use this module:
//! - the aggregator, which knows its TCP peer: [`client_ip`];
//! - the edge worker, where the platform (Cloudflare) itself wrote the headers and no client
//!   can reach the worker around it: [`platform_client_ip`].

use ipnet::IpNet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The proxy headers consulted by default, in order: the one every common reverse proxy
/// (nginx `$proxy_add_x_forwarded_for`, Caddy, Traefik, HAProxy, Kubernetes ingresses) appends
/// the address of its own client to.
pub const DEFAULT_IP_HEADERS: &[&str] = &["x-forwarded-for"];

/// Headers a CDN overwrites with the visitor's address. A proxy that does not know about them
/// passes a client's forged value through unchanged, so they are believed only from peers
/// [`ProxyTrust`] names as the CDN (or when the operator says their proxy sets them).
pub const CDN_IP_HEADERS: &[&str] = &["cf-connecting-ip", "true-client-ip"];

/// Networks trusted as proxies by default: loopback, the private ranges and the shared address
/// space some cluster networks use (100.64.0.0/10), so a reverse proxy on the same host or an
/// ingress in the same private network works without configuration while a client on the
/// internet cannot choose its address.
pub const DEFAULT_TRUSTED_PROXIES: &str =
    "127.0.0.0/8, ::1/128, 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 100.64.0.0/10, fc00::/7";

/// Most networks a trusted-proxy list may hold (each request scans the list).
pub const MAX_TRUSTED_NETWORKS: usize = 256;

/// Only this many bytes of each header value are examined (the right-most ones).
const MAX_HEADER_BYTES: usize = 4096;
/// Only this many comma-separated entries of each header value are examined (the right-most).
const MAX_ENTRIES: usize = 64;

/// Why a trusted-network list was rejected.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NetworkListError {
    /// An entry is neither an address nor `address/prefix`.
    #[error("{0:?} is not an IP address or CIDR network")]
    NotANetwork(String),
    /// More than [`MAX_TRUSTED_NETWORKS`] entries.
    #[error("too many networks: at most {MAX_TRUSTED_NETWORKS} are allowed")]
    TooMany,
}

/// Parses a comma- or whitespace-separated list of addresses and CIDR networks; `""` and
/// `"none"` are the empty list. IPv4-mapped IPv6 entries become IPv4 entries.
pub fn parse_networks(s: &str) -> Result<Vec<IpNet>, NetworkListError> {
    if s.trim().eq_ignore_ascii_case("none") {
        return Ok(Vec::new());
    }
    let mut nets = Vec::new();
    for entry in s
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|e| !e.is_empty())
    {
        if nets.len() >= MAX_TRUSTED_NETWORKS {
            return Err(NetworkListError::TooMany);
        }
        let bad = || NetworkListError::NotANetwork(entry.chars().take(80).collect());
        let net = match entry.parse::<IpNet>() {
            Ok(n) => n.trunc(),
            Err(_) => IpNet::from(entry.parse::<IpAddr>().map_err(|_| bad())?.to_canonical()),
        };
        let net = match net {
            IpNet::V6(v6) if v6.prefix_len() >= 96 => match v6.addr().to_ipv4_mapped() {
                Some(v4) => IpNet::new(IpAddr::V4(v4), v6.prefix_len() - 96).map_err(|_| bad())?,
                None => net,
            },
            _ => net,
        };
        nets.push(net);
    }
    Ok(nets)
}

/// Which socket peers may speak for the visitor.
///
/// Exists because the right answer depends on the deployment: a proxy on the same host, a load
/// balancer in a private network, or a CDN on the internet. Peers outside every list are the
/// visitor themselves and their headers are ignored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProxyTrust {
    /// Reverse proxies whose proxy headers (`X-Forwarded-For`, …) are believed.
    proxies: Vec<IpNet>,
    /// CDN edges: proxies whose [`CDN_IP_HEADERS`] are believed too.
    cdn: Vec<IpNet>,
    /// Believe [`CDN_IP_HEADERS`] from every trusted proxy (a tunnel daemon or a proxy on this
    /// host that forwards what the CDN set).
    cdn_headers_from_proxies: bool,
}

impl Default for ProxyTrust {
    /// Loopback and private proxies ([`DEFAULT_TRUSTED_PROXIES`]), no CDN.
    fn default() -> Self {
        ProxyTrust {
            proxies: parse_networks(DEFAULT_TRUSTED_PROXIES).unwrap_or_default(),
            cdn: Vec::new(),
            cdn_headers_from_proxies: false,
        }
    }
}

impl ProxyTrust {
    /// Trust `proxies` for proxy headers, `cdn` for proxy and CDN headers, and, with
    /// `cdn_headers_from_proxies`, CDN headers from every trusted proxy.
    pub fn new(proxies: Vec<IpNet>, cdn: Vec<IpNet>, cdn_headers_from_proxies: bool) -> Self {
        ProxyTrust {
            proxies,
            cdn,
            cdn_headers_from_proxies,
        }
    }

    /// Trusts nobody: every peer is the visitor.
    pub fn none() -> Self {
        ProxyTrust::new(Vec::new(), Vec::new(), false)
    }

    /// `true` if `ip` is a trusted proxy or CDN edge (IPv4-mapped addresses count as IPv4).
    pub fn is_trusted(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.proxies
            .iter()
            .chain(&self.cdn)
            .any(|n| n.contains(&ip))
    }

    fn cdn_headers_allowed(&self, peer: IpAddr) -> bool {
        self.cdn.iter().any(|n| n.contains(&peer))
            || (self.cdn_headers_from_proxies && self.proxies.iter().any(|n| n.contains(&peer)))
    }
}

/// Picks the client IP of a request that reached this server from `peer`.
///
/// `header` looks a header up by (lower-case) name and returns its value; `ip_headers` lists,
/// in order of precedence, the proxy headers to consult (for example [`DEFAULT_IP_HEADERS`]).
///
/// - A peer that `trust` does not name is the visitor: every header is ignored.
/// - From a peer allowed to speak for a CDN, the first valid [`CDN_IP_HEADERS`] value wins.
/// - Otherwise each proxy header in turn is read right to left, skipping trusted proxies; the
///   first address that is not a trusted proxy is the visitor (everything left of it was
///   written by the client and proves nothing). When every entry is a trusted proxy the
///   left-most is taken (a visitor inside the private network). An entry that is not an address
///   (`unknown`) ends the walk: nothing to its left can be vouched for.
/// - With no usable header the peer itself is the answer.
///
/// IPv4-mapped IPv6 addresses are returned as IPv4. Never panics; at most the right-most 4 KiB
/// and 64 entries of each header are examined. `None` only when the peer is unknown.
pub fn client_ip<'a, F: Fn(&str) -> Option<&'a str>>(
    header: F,
    ip_headers: &[String],
    peer: Option<IpAddr>,
    trust: &ProxyTrust,
) -> Option<IpAddr> {
    let peer = peer?.to_canonical();
    if !trust.is_trusted(peer) {
        return Some(peer);
    }
    if trust.cdn_headers_allowed(peer) {
        let cdn = CDN_IP_HEADERS
            .iter()
            .filter_map(|name| header(name))
            .find_map(|v| parse_address(truncate_left(v, MAX_HEADER_BYTES).0));
        if let Some(ip) = cdn {
            return Some(ip.to_canonical());
        }
    }
    ip_headers
        .iter()
        .filter(|name| !CDN_IP_HEADERS.contains(&name.as_str()))
        .filter_map(|name| header(name))
        .find_map(|v| rightmost_untrusted(v, trust))
        .or(Some(peer))
}

/// Picks the client IP where the platform itself wrote the headers and no client reaches the
/// code around it (a Cloudflare Worker: Cloudflare sets `CF-Connecting-IP` and appends the
/// visitor to `X-Forwarded-For`). Each of `ip_headers` in order yields its right-most address,
/// the one the platform wrote; the first that has one wins.
pub fn platform_client_ip<'a, F: Fn(&str) -> Option<&'a str>>(
    header: F,
    ip_headers: &[String],
) -> Option<IpAddr> {
    let nobody = ProxyTrust::none();
    ip_headers
        .iter()
        .filter_map(|name| header(name))
        .find_map(|v| rightmost_untrusted(v, &nobody))
}

/// Walks a comma-separated chain right to left: the first address that is not a trusted proxy,
/// else the left-most trusted one reached before the chain ended or stopped being readable.
fn rightmost_untrusted(value: &str, trust: &ProxyTrust) -> Option<IpAddr> {
    let (value, cut) = truncate_left(value, MAX_HEADER_BYTES);
    let entries: Vec<&str> = value.rsplit(',').take(MAX_ENTRIES + 1).collect();
    let mut furthest_proxy = None;
    for (i, entry) in entries.iter().enumerate() {
        let last_piece = i + 1 == entries.len();
        if i == MAX_ENTRIES || (cut && last_piece) {
            // Past what is examined, or the remains of an entry cut in half.
            break;
        }
        if entry.trim().is_empty() {
            continue;
        }
        let Some(ip) = parse_entry(entry).map(|ip| ip.to_canonical()) else {
            break;
        };
        if !trust.is_trusted(ip) {
            return Some(ip);
        }
        furthest_proxy = Some(ip);
    }
    furthest_proxy
}

/// The last `max` bytes of `s` (at a character boundary), and whether anything was cut.
fn truncate_left(s: &str, max: usize) -> (&str, bool) {
    if s.len() <= max {
        return (s, false);
    }
    let mut start = s.len() - max;
    while start < s.len() && !s.is_char_boundary(start) {
        start += 1;
    }
    (s.get(start..).unwrap_or(""), true)
}

/// One list entry: either a `Forwarded` element (`for=…;proto=…`) or a bare address.
fn parse_entry(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    if entry.is_empty() {
        return None;
    }
    if entry.contains('=') {
        // RFC 7239 element: `for=192.0.2.60;proto=http;by=203.0.113.43`.
        return entry.split(';').find_map(|pair| {
            let (key, val) = pair.split_once('=')?;
            if key.trim().eq_ignore_ascii_case("for") {
                parse_address(val)
            } else {
                None
            }
        });
    }
    parse_address(entry).or_else(|| {
        // `Via: 1.1 10.0.0.1` names the proxy after the protocol; take the first token that is
        // an address so a Via-only deployment still yields something.
        entry.split_whitespace().skip(1).find_map(parse_address)
    })
}

/// A single address token: `1.2.3.4`, `1.2.3.4:8080`, `2001:db8::1`, `[2001:db8::1]`,
/// `[2001:db8::1]:443`, optionally wrapped in double quotes.
fn parse_address(token: &str) -> Option<IpAddr> {
    let token = token.trim();
    let token = token
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(token)
        .trim();
    if let Some(rest) = token.strip_prefix('[') {
        let (inner, after) = rest.split_once(']')?;
        if !(after.is_empty() || is_port_suffix(after)) {
            return None;
        }
        return inner.parse::<Ipv6Addr>().ok().map(IpAddr::V6);
    }
    if let Ok(ip) = token.parse::<IpAddr>() {
        return Some(ip);
    }
    let (host, port) = token.rsplit_once(':')?;
    if !is_port(port) {
        return None;
    }
    host.parse::<Ipv4Addr>().ok().map(IpAddr::V4)
}

fn is_port_suffix(s: &str) -> bool {
    s.strip_prefix(':').is_some_and(is_port)
}

fn is_port(s: &str) -> bool {
    !s.is_empty() && s.len() <= 5 && s.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn xff_only() -> Vec<String> {
        DEFAULT_IP_HEADERS.iter().map(|s| s.to_string()).collect()
    }

    /// Every header name a client could try, in one list.
    fn every_header() -> Vec<String> {
        [
            "x-forwarded-for",
            "client-ip",
            "x-real-ip",
            "x-forwarded",
            "x-cluster-client-ip",
            "forwarded-for",
            "forwarded",
            "via",
            "cf-connecting-ip",
            "true-client-ip",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    }

    fn pick_with(
        headers: &[(&str, &str)],
        ip_headers: &[String],
        peer: Option<&str>,
        trust: &ProxyTrust,
    ) -> Option<IpAddr> {
        let map: HashMap<String, &str> = headers
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), *v))
            .collect();
        client_ip(
            |name| map.get(&name.to_ascii_lowercase()).copied(),
            ip_headers,
            peer.map(ip),
            trust,
        )
    }

    /// Through a reverse proxy on this host, default trust, `X-Forwarded-For` only.
    fn via_proxy(headers: &[(&str, &str)]) -> Option<IpAddr> {
        pick_with(
            headers,
            &xff_only(),
            Some("127.0.0.1"),
            &ProxyTrust::default(),
        )
    }

    fn nets(s: &str) -> Vec<IpNet> {
        parse_networks(s).unwrap()
    }

    #[test]
    fn a_direct_client_cannot_choose_its_address_with_any_header() {
        let forged = [
            ("x-forwarded-for", "81.2.69.160"),
            ("client-ip", "81.2.69.161"),
            ("x-real-ip", "81.2.69.162"),
            ("x-forwarded", "81.2.69.163"),
            ("x-cluster-client-ip", "81.2.69.164"),
            ("forwarded-for", "81.2.69.165"),
            ("forwarded", "for=81.2.69.166"),
            ("via", "1.1 81.2.69.167"),
            ("cf-connecting-ip", "81.2.69.168"),
            ("true-client-ip", "81.2.69.169"),
        ];
        // Even with every header configured and CDN headers enabled for proxies.
        let trust = ProxyTrust::new(nets(DEFAULT_TRUSTED_PROXIES), Vec::new(), true);
        for peer in ["89.160.20.112", "2a02:db8::1", "::ffff:89.160.20.112"] {
            let got = pick_with(&forged, &every_header(), Some(peer), &trust);
            assert_eq!(got, Some(ip(peer).to_canonical()), "peer {peer}");
        }
    }

    #[test]
    fn a_trusted_proxys_chain_yields_the_rightmost_untrusted_address() {
        // The client forged the left part; the proxy appended the address it saw.
        let h = [("x-forwarded-for", "1.2.3.4, 81.2.69.160")];
        assert_eq!(via_proxy(&h), Some(ip("81.2.69.160")));
        // Several private hops between the visitor and us are skipped.
        let h = [(
            "x-forwarded-for",
            "6.6.6.6, 89.160.20.112, 10.0.0.3, 192.168.1.1",
        )];
        assert_eq!(via_proxy(&h), Some(ip("89.160.20.112")));
        // A visitor inside the private network: every entry is trusted, the left-most is taken.
        let h = [("x-forwarded-for", "192.168.1.10, 10.0.0.3")];
        assert_eq!(via_proxy(&h), Some(ip("192.168.1.10")));
        // No header at all: the proxy itself.
        assert_eq!(via_proxy(&[]), Some(ip("127.0.0.1")));
    }

    #[test]
    fn an_unreadable_entry_ends_the_walk() {
        // The proxy did not know its client and wrote `unknown`: the forged part stays unused.
        let h = [("x-forwarded-for", "81.2.69.160, unknown")];
        assert_eq!(via_proxy(&h), Some(ip("127.0.0.1")));
        let h = [("x-forwarded-for", "81.2.69.160, unknown, 10.0.0.3")];
        assert_eq!(via_proxy(&h), Some(ip("10.0.0.3")));
        // Empty entries are skipped, not a stop.
        let h = [("x-forwarded-for", "81.2.69.160, , ")];
        assert_eq!(via_proxy(&h), Some(ip("81.2.69.160")));
    }

    #[test]
    fn configured_trusted_networks_replace_the_default() {
        let trust = ProxyTrust::new(nets("203.0.113.0/24"), Vec::new(), false);
        let h = [("x-forwarded-for", "1.2.3.4, 81.2.69.160, 203.0.113.7")];
        assert_eq!(
            pick_with(&h, &xff_only(), Some("203.0.113.9"), &trust),
            Some(ip("81.2.69.160"))
        );
        // Loopback is no longer trusted.
        assert_eq!(
            pick_with(&h, &xff_only(), Some("127.0.0.1"), &trust),
            Some(ip("127.0.0.1"))
        );
        // Trusting nobody: the peer, always.
        assert_eq!(
            pick_with(&h, &xff_only(), Some("10.0.0.1"), &ProxyTrust::none()),
            Some(ip("10.0.0.1"))
        );
    }

    #[test]
    fn cdn_headers_only_from_the_cdn_or_when_enabled() {
        let h = [
            ("cf-connecting-ip", "89.160.20.112"),
            ("x-forwarded-for", "81.2.69.160"),
        ];
        // A proxy on this host: CF-Connecting-IP is ignored (nginx passes it through as sent).
        assert_eq!(via_proxy(&h), Some(ip("81.2.69.160")));
        // Even when listed among the proxy headers.
        let listed = vec![
            "cf-connecting-ip".to_string(),
            "x-forwarded-for".to_string(),
        ];
        assert_eq!(
            pick_with(&h, &listed, Some("127.0.0.1"), &ProxyTrust::default()),
            Some(ip("81.2.69.160"))
        );
        // From a configured CDN range it wins; so does True-Client-IP.
        let cdn = ProxyTrust::new(
            nets(DEFAULT_TRUSTED_PROXIES),
            nets("173.245.48.0/20"),
            false,
        );
        assert_eq!(
            pick_with(&h, &xff_only(), Some("173.245.48.1"), &cdn),
            Some(ip("89.160.20.112"))
        );
        let t = [("true-client-ip", "89.160.20.113")];
        assert_eq!(
            pick_with(&t, &xff_only(), Some("173.245.48.1"), &cdn),
            Some(ip("89.160.20.113"))
        );
        // Explicitly enabled: from every trusted proxy (a tunnel daemon on this host).
        let enabled = ProxyTrust::new(nets(DEFAULT_TRUSTED_PROXIES), Vec::new(), true);
        assert_eq!(
            pick_with(&h, &xff_only(), Some("127.0.0.1"), &enabled),
            Some(ip("89.160.20.112"))
        );
        // Never from a direct client.
        assert_eq!(
            pick_with(&h, &xff_only(), Some("81.2.69.200"), &enabled),
            Some(ip("81.2.69.200"))
        );
        // A CDN edge's XFF chain: its own hop is trusted, the visitor is right-most.
        let x = [("x-forwarded-for", "6.6.6.6, 89.160.20.112")];
        assert_eq!(
            pick_with(&x, &xff_only(), Some("173.245.48.1"), &cdn),
            Some(ip("89.160.20.112"))
        );
    }

    #[test]
    fn the_platform_reads_what_it_wrote() {
        let map: HashMap<&str, &str> = [
            ("cf-connecting-ip", "89.160.20.112"),
            ("x-forwarded-for", "6.6.6.6, 81.2.69.160"),
        ]
        .into_iter()
        .collect();
        let get = |n: &str| map.get(n).copied();
        let cf = vec!["cf-connecting-ip".to_string()];
        assert_eq!(platform_client_ip(get, &cf), Some(ip("89.160.20.112")));
        assert_eq!(
            platform_client_ip(get, &xff_only()),
            Some(ip("81.2.69.160"))
        );
        assert_eq!(platform_client_ip(get, &[]), None);
    }

    #[test]
    fn peer_unknown_means_no_address() {
        let h = [("x-forwarded-for", "81.2.69.160")];
        assert_eq!(
            pick_with(&h, &xff_only(), None, &ProxyTrust::default()),
            None
        );
    }

    #[test]
    fn header_order_is_precedence() {
        let headers = vec!["x-real-ip".to_string(), "x-forwarded-for".to_string()];
        let h = [
            ("x-forwarded-for", "81.2.69.160"),
            ("x-real-ip", "216.160.83.56"),
        ];
        assert_eq!(
            pick_with(&h, &headers, Some("127.0.0.1"), &ProxyTrust::default()),
            Some(ip("216.160.83.56"))
        );
        // A header that yields nothing gives way to the next.
        let h = [("x-forwarded-for", "81.2.69.160"), ("x-real-ip", "garbage")];
        assert_eq!(
            pick_with(&h, &headers, Some("127.0.0.1"), &ProxyTrust::default()),
            Some(ip("81.2.69.160"))
        );
    }

    #[test]
    fn network_lists_parse_and_refuse_garbage() {
        assert_eq!(parse_networks("none").unwrap(), Vec::<IpNet>::new());
        assert_eq!(parse_networks(" ").unwrap(), Vec::<IpNet>::new());
        assert_eq!(
            parse_networks("10.1.2.3/8 ::ffff:192.168.0.0/112, 2a02:db8::1").unwrap(),
            nets("10.0.0.0/8, 192.168.0.0/16, 2a02:db8::1/128")
        );
        assert!(matches!(
            parse_networks("10.0.0.0/33"),
            Err(NetworkListError::NotANetwork(_))
        ));
        assert!(matches!(
            parse_networks("proxy.example"),
            Err(NetworkListError::NotANetwork(_))
        ));
        let many = (0..=MAX_TRUSTED_NETWORKS)
            .map(|i| format!("10.0.{}.{}", i / 256, i % 256))
            .collect::<Vec<_>>()
            .join(",");
        assert_eq!(parse_networks(&many), Err(NetworkListError::TooMany));
        assert!(ProxyTrust::default().is_trusted(ip("::ffff:127.0.0.1")));
        assert!(ProxyTrust::default().is_trusted(ip("fd00::1")));
        assert!(!ProxyTrust::default().is_trusted(ip("81.2.69.160")));
    }

    #[test]
    fn address_spellings() {
        let cases = [
            ("81.2.69.160:51234", "81.2.69.160"),
            ("[2a02:db8::1]:443", "2a02:db8::1"),
            ("[2a02:db8::1]", "2a02:db8::1"),
            ("2a02:db8::1", "2a02:db8::1"),
            ("\" 81.2.69.160 \"", "81.2.69.160"),
            ("::ffff:81.2.69.160", "81.2.69.160"),
            ("   81.2.69.160 \t", "81.2.69.160"),
        ];
        for (value, want) in cases {
            assert_eq!(
                via_proxy(&[("x-forwarded-for", value)]),
                Some(ip(want)),
                "{value}"
            );
        }
        for bad in [
            "[2a02:db8::1]x",
            "[2a02:db8::1",
            "1.2.3.4:99999999",
            "999.1.1.1",
        ] {
            assert_eq!(
                via_proxy(&[("x-forwarded-for", bad)]),
                Some(ip("127.0.0.1")),
                "{bad}"
            );
        }
    }

    #[test]
    fn forwarded_header_syntax() {
        let fwd = vec!["forwarded".to_string()];
        let cases = [
            ("for=81.2.69.160;proto=https", "81.2.69.160"),
            ("For=\"81.2.69.160:8080\"", "81.2.69.160"),
            (
                "proto=https;for=\"[2a02:db8::17]:4711\";by=10.0.0.1",
                "2a02:db8::17",
            ),
            ("for=6.6.6.6, for=81.2.69.160", "81.2.69.160"),
            (" for = 81.2.69.160 ; proto=http", "81.2.69.160"),
        ];
        for (value, want) in cases {
            let got = pick_with(
                &[("forwarded", value)],
                &fwd,
                Some("127.0.0.1"),
                &ProxyTrust::default(),
            );
            assert_eq!(got, Some(ip(want)), "{value}");
        }
        // An obfuscated identifier ends the walk.
        let got = pick_with(
            &[("forwarded", "for=81.2.69.160, for=_hidden")],
            &fwd,
            Some("127.0.0.1"),
            &ProxyTrust::default(),
        );
        assert_eq!(got, Some(ip("127.0.0.1")));
    }

    #[test]
    fn caps_keep_the_rightmost_part() {
        // 100 forged entries, then the proxy's: only the right-most 64 are examined.
        let mut v = ["6.6.6.6"; 100].join(",");
        v.push_str(",81.2.69.160");
        assert_eq!(
            via_proxy(&[("x-forwarded-for", &v)]),
            Some(ip("81.2.69.160"))
        );
        // 100 trusted hops: the walk stops at the cap with the furthest hop examined.
        let v = ["10.0.0.1"; 100].join(",");
        assert_eq!(via_proxy(&[("x-forwarded-for", &v)]), Some(ip("10.0.0.1")));
        // A huge value: the right-most 4 KiB still hold the answer.
        let v = format!("{}, 81.2.69.160", "é".repeat(100_000));
        assert_eq!(
            via_proxy(&[("x-forwarded-for", &v)]),
            Some(ip("81.2.69.160"))
        );
        // An entry cut by the byte cap is never read as a (different) address.
        // Here the cap cuts "181.2.69.160" to "81.2.69.160".
        let head = "181.2.69.160,10.0.0.1";
        let v = format!("{head}{}", " ".repeat(MAX_HEADER_BYTES + 1 - head.len()));
        assert_eq!(via_proxy(&[("x-forwarded-for", &v)]), Some(ip("10.0.0.1")));
    }

    #[test]
    fn never_panics_on_odd_input() {
        let odd = [
            "",
            ",",
            ",,,,",
            "[",
            "]",
            "[]",
            "[]:",
            "[::1]:",
            ":",
            "::",
            "1.2.3.4:",
            "1.2.3.4:abc",
            "\"",
            "\"\"",
            "for=",
            "for=\"",
            "=",
            ";;;",
            "for=[",
            "☃, ☃:☃, [☃]",
            "\u{0}\u{1}",
            "fe80::1%eth0",
        ];
        let trust = ProxyTrust::new(nets(DEFAULT_TRUSTED_PROXIES), Vec::new(), true);
        for v in odd {
            let h = [
                ("x-forwarded-for", v),
                ("forwarded", v),
                ("via", v),
                ("cf-connecting-ip", v),
            ];
            let got = pick_with(&h, &every_header(), Some("127.0.0.1"), &trust);
            assert!(got.is_some(), "{v:?}");
        }
        let big = "9".repeat(1 << 20);
        assert_eq!(
            via_proxy(&[("x-forwarded-for", &big)]),
            Some(ip("127.0.0.1"))
        );
    }
}
