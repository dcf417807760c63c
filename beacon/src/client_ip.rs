//! Choosing the visitor's IP address from the request.
//!
//! Behind a CDN, load balancer or ingress the socket peer is the proxy, not the visitor; the
//! visitor's address travels in a header the proxy adds. Which headers are believable depends on
//! the deployment, so the caller passes the list of *trusted* header names (usually
//! [`DEFAULT_IP_HEADERS`], or a subset from configuration). The IP feeds the visitor hash, the
//! ignored-IP filter and the geo lookup, and is then dropped unless the service collects IPs.
//!
//! Selection follows Shynet (django-ipware): headers are consulted in order, each contributes its
//! left-most valid address, the first publicly routable candidate wins, otherwise the first
//! non-public one. The socket address is the last candidate, so a public socket address beats
//! private header values: that stops a client talking to an exposed server from steering its
//! own identity with a forged `X-Forwarded-For: 10.0.0.1`.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Shynet's header precedence for the client IP (lower-case names).
///
/// Exists so both entrances (edge and direct ingest) pick the same address for the same request
/// when no narrower list is configured. Shynet also reads a Django-only `X_FORWARDED_FOR` meta
/// key, which has no HTTP header equivalent and is left out.
pub const DEFAULT_IP_HEADERS: &[&str] = &[
    "cf-connecting-ip",
    "x-forwarded-for",
    "client-ip",
    "x-real-ip",
    "x-forwarded",
    "x-cluster-client-ip",
    "forwarded-for",
    "forwarded",
    "via",
];

/// Only this many bytes of each header value are examined.
const MAX_HEADER_BYTES: usize = 4096;
/// Only this many comma-separated entries of each header value are examined.
const MAX_ENTRIES: usize = 64;

/// Picks the client IP of a request.
///
/// `header` looks a header up by (lower-case) name, case-insensitively, and returns its value.
/// `trusted_headers` lists, in order of precedence, the headers the deployment's proxies set
/// (for example [`DEFAULT_IP_HEADERS`]); with an empty list the headers are ignored and only the
/// `socket` peer address is used, which is right for an aggregator exposed directly.
///
/// For each trusted header the left-most entry that parses as an address is taken (plain,
/// `ip:port`, `[v6]:port`, quoted, or an RFC 7239 `for=` pair); entries that don't parse (such as
/// `unknown`) are skipped. The first publicly routable candidate wins; if none is, the first
/// valid candidate; the socket address comes last in both rounds. IPv4-mapped IPv6 addresses are
/// returned as IPv4. Never panics; at most the first 4 KiB and 64 entries of each header are
/// examined.
pub fn client_ip<'a, F: Fn(&str) -> Option<&'a str>>(
    header: F,
    trusted_headers: &[String],
    socket: Option<IpAddr>,
) -> Option<IpAddr> {
    let mut fallback: Option<IpAddr> = None;
    for name in trusted_headers {
        let Some(value) = header(name) else { continue };
        let Some(ip) = leftmost_address(value) else {
            continue;
        };
        if is_public(ip) {
            return Some(ip);
        }
        fallback.get_or_insert(ip);
    }
    let socket = socket.map(|ip| ip.to_canonical());
    match (fallback, socket) {
        (_, Some(s)) if is_public(s) => Some(s),
        (Some(f), _) => Some(f),
        (None, s) => s,
    }
}

/// The left-most entry of a comma-separated header value that holds a valid address.
fn leftmost_address(value: &str) -> Option<IpAddr> {
    let value = truncate_to_char_boundary(value, MAX_HEADER_BYTES);
    value
        .split(',')
        .take(MAX_ENTRIES)
        .find_map(parse_entry)
        .map(|ip| ip.to_canonical())
}

fn truncate_to_char_boundary(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while end > 0 && !s.is_char_boundary(end) {
        end -= 1;
    }
    s.get(..end).unwrap_or("")
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

/// IPv4 ranges that are not publicly routable unicast: (network, prefix length).
const V4_NON_PUBLIC: &[(u32, u8)] = &[
    (0x0000_0000, 8),  // 0.0.0.0/8 "this network"
    (0x0a00_0000, 8),  // 10.0.0.0/8 private
    (0x6440_0000, 10), // 100.64.0.0/10 carrier-grade NAT
    (0x7f00_0000, 8),  // 127.0.0.0/8 loopback
    (0xa9fe_0000, 16), // 169.254.0.0/16 link-local
    (0xac10_0000, 12), // 172.16.0.0/12 private
    (0xc000_0000, 24), // 192.0.0.0/24 IETF protocol assignments
    (0xc000_0200, 24), // 192.0.2.0/24 TEST-NET-1
    (0xc058_6300, 24), // 192.88.99.0/24 deprecated 6to4 relay anycast
    (0xc0a8_0000, 16), // 192.168.0.0/16 private
    (0xc612_0000, 15), // 198.18.0.0/15 benchmarking
    (0xc633_6400, 24), // 198.51.100.0/24 TEST-NET-2
    (0xcb00_7100, 24), // 203.0.113.0/24 TEST-NET-3
    (0xe000_0000, 4),  // 224.0.0.0/4 multicast
    (0xf000_0000, 4),  // 240.0.0.0/4 reserved, incl. 255.255.255.255
];

/// Ranges inside global unicast 2000::/3 that are still not public: (network, prefix length).
const V6_NON_PUBLIC: &[(u128, u8)] = &[
    (0x2001_0db8 << 96, 32),      // 2001:db8::/32 documentation
    (0x3fff << 112, 20),          // 3fff::/20 documentation (RFC 9637)
    (0x2001_0002_0000 << 80, 48), // 2001:2::/48 benchmarking
    (0x2001_0010 << 96, 28),      // 2001:10::/28 ORCHID (deprecated)
    (0x2001_0020 << 96, 28),      // 2001:20::/28 ORCHIDv2
];

fn in_prefix<const BITS: u32>(addr: u128, net: u128, len: u8) -> bool {
    let len = u32::from(len).min(BITS);
    if len == 0 {
        return true;
    }
    let shift = BITS - len;
    (addr >> shift) == (net >> shift)
}

/// `true` if `ip` is a publicly routable unicast address.
///
/// Exists because a private, loopback or reserved address in a forwarding header says nothing
/// about the visitor (it is a hop inside some network) and has no geolocation, so a public
/// candidate is preferred. Excludes private (RFC 1918), loopback, link-local, carrier-grade NAT
/// (100.64/10), multicast, unspecified, broadcast/reserved, benchmarking and documentation
/// ranges; for IPv6 only global unicast (2000::/3) counts, minus its documentation,
/// benchmarking and ORCHID blocks, which also rules out unique-local fc00::/7. IPv4-mapped IPv6
/// addresses are judged as the IPv4 address they carry.
pub fn is_public(ip: IpAddr) -> bool {
    match ip.to_canonical() {
        IpAddr::V4(v4) => {
            let a = u128::from(u32::from(v4));
            !V4_NON_PUBLIC
                .iter()
                .any(|&(net, len)| in_prefix::<32>(a, u128::from(net), len))
        }
        IpAddr::V6(v6) => {
            let a = u128::from(v6);
            in_prefix::<128>(a, 0x2000 << 112, 3)
                && !V6_NON_PUBLIC
                    .iter()
                    .any(|&(net, len)| in_prefix::<128>(a, net, len))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn trusted() -> Vec<String> {
        DEFAULT_IP_HEADERS.iter().map(|s| s.to_string()).collect()
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    /// Runs `client_ip` over a header map with case-insensitive lookup.
    fn pick(headers: &[(&str, &str)], socket: Option<&str>) -> Option<IpAddr> {
        pick_with(headers, &trusted(), socket)
    }

    fn pick_with(
        headers: &[(&str, &str)],
        trusted: &[String],
        socket: Option<&str>,
    ) -> Option<IpAddr> {
        let map: HashMap<String, &str> = headers
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), *v))
            .collect();
        client_ip(
            |name| map.get(&name.to_ascii_lowercase()).copied(),
            trusted,
            socket.map(ip),
        )
    }

    #[test]
    fn default_header_order_matches_shynet() {
        assert_eq!(
            DEFAULT_IP_HEADERS,
            &[
                "cf-connecting-ip",
                "x-forwarded-for",
                "client-ip",
                "x-real-ip",
                "x-forwarded",
                "x-cluster-client-ip",
                "forwarded-for",
                "forwarded",
                "via"
            ]
        );
    }

    #[test]
    fn socket_only_without_headers() {
        assert_eq!(pick(&[], Some("81.2.69.160")), Some(ip("81.2.69.160")));
        assert_eq!(pick(&[], Some("10.0.0.1")), Some(ip("10.0.0.1")));
        assert_eq!(pick(&[], None), None);
    }

    #[test]
    fn empty_trusted_list_ignores_headers() {
        let h = [("X-Forwarded-For", "81.2.69.160")];
        assert_eq!(pick_with(&h, &[], Some("10.1.2.3")), Some(ip("10.1.2.3")));
        assert_eq!(pick_with(&h, &[], None), None);
    }

    #[test]
    fn cf_connecting_ip_wins_over_xff() {
        let h = [
            ("X-Forwarded-For", "81.2.69.160"),
            ("CF-Connecting-IP", "89.160.20.112"),
        ];
        assert_eq!(pick(&h, Some("10.0.0.1")), Some(ip("89.160.20.112")));
    }

    #[test]
    fn leftmost_of_xff_is_taken() {
        let h = [("x-forwarded-for", "81.2.69.160, 89.160.20.112, 10.0.0.1")];
        assert_eq!(pick(&h, Some("10.0.0.2")), Some(ip("81.2.69.160")));
    }

    #[test]
    fn header_lookup_is_case_insensitive() {
        let h = [("X-FORWARDED-FOR", "81.2.69.160")];
        assert_eq!(pick(&h, None), Some(ip("81.2.69.160")));
    }

    #[test]
    fn invalid_leftmost_entries_are_skipped() {
        let h = [("x-forwarded-for", "unknown, , 81.2.69.160")];
        assert_eq!(pick(&h, None), Some(ip("81.2.69.160")));
    }

    #[test]
    fn public_in_later_header_beats_private_in_earlier() {
        let h = [
            ("x-forwarded-for", "10.0.0.5"),
            ("x-real-ip", "81.2.69.160"),
        ];
        assert_eq!(pick(&h, None), Some(ip("81.2.69.160")));
    }

    #[test]
    fn only_leftmost_per_header_is_considered() {
        // The public address sits to the right of a private one: not a candidate.
        let h = [("x-forwarded-for", "10.0.0.5, 81.2.69.160")];
        assert_eq!(pick(&h, Some("172.16.0.1")), Some(ip("10.0.0.5")));
    }

    #[test]
    fn first_non_public_header_candidate_when_nothing_is_public() {
        let h = [
            ("x-forwarded-for", "192.168.1.10"),
            ("x-real-ip", "10.0.0.7"),
        ];
        assert_eq!(pick(&h, Some("127.0.0.1")), Some(ip("192.168.1.10")));
    }

    #[test]
    fn public_socket_beats_private_header() {
        let h = [("x-forwarded-for", "10.0.0.1")];
        assert_eq!(pick(&h, Some("81.2.69.160")), Some(ip("81.2.69.160")));
    }

    #[test]
    fn public_header_beats_public_socket() {
        let h = [("x-forwarded-for", "89.160.20.112")];
        assert_eq!(pick(&h, Some("81.2.69.160")), Some(ip("89.160.20.112")));
    }

    #[test]
    fn garbage_headers_fall_back_to_socket() {
        let h = [
            ("x-forwarded-for", "not an ip"),
            ("forwarded", "for=unknown"),
            ("via", "1.1 proxy.example.com (squid)"),
        ];
        assert_eq!(pick(&h, Some("10.9.8.7")), Some(ip("10.9.8.7")));
        assert_eq!(pick(&h, None), None);
    }

    #[test]
    fn ipv4_with_port() {
        let h = [("x-forwarded-for", "81.2.69.160:51234")];
        assert_eq!(pick(&h, None), Some(ip("81.2.69.160")));
    }

    #[test]
    fn bracketed_ipv6_with_and_without_port() {
        assert_eq!(
            pick(&[("x-forwarded-for", "[2a02:db8::1]:443")], None),
            Some(ip("2a02:db8::1"))
        );
        assert_eq!(
            pick(&[("x-forwarded-for", "[2a02:db8::1]")], None),
            Some(ip("2a02:db8::1"))
        );
        assert_eq!(
            pick(&[("x-forwarded-for", "2a02:db8::1")], None),
            Some(ip("2a02:db8::1"))
        );
        // Garbage after the bracket is not an address.
        assert_eq!(pick(&[("x-forwarded-for", "[2a02:db8::1]x")], None), None);
        assert_eq!(pick(&[("x-forwarded-for", "[2a02:db8::1")], None), None);
    }

    #[test]
    fn forwarded_header_syntax() {
        let cases = [
            ("for=81.2.69.160;proto=https", "81.2.69.160"),
            ("For=\"81.2.69.160:8080\"", "81.2.69.160"),
            (
                "proto=https;for=\"[2a02:db8::17]:4711\";by=10.0.0.1",
                "2a02:db8::17",
            ),
            ("for=unknown, for=81.2.69.160", "81.2.69.160"),
            ("for=_hidden;proto=http, for=89.160.20.112", "89.160.20.112"),
            (" for = 81.2.69.160 ; proto=http", "81.2.69.160"),
        ];
        for (value, want) in cases {
            assert_eq!(
                pick(&[("forwarded", value)], None),
                Some(ip(want)),
                "{value}"
            );
        }
        // An element without `for` has no candidate.
        assert_eq!(
            pick(&[("forwarded", "proto=https;by=81.2.69.160")], None),
            None
        );
    }

    #[test]
    fn via_with_address_token() {
        assert_eq!(
            pick(&[("via", "1.1 81.2.69.160")], None),
            Some(ip("81.2.69.160"))
        );
    }

    #[test]
    fn whitespace_is_tolerated() {
        let h = [("x-forwarded-for", "   81.2.69.160 \t,  10.0.0.1 ")];
        assert_eq!(pick(&h, None), Some(ip("81.2.69.160")));
        let h = [("x-real-ip", "\" 81.2.69.160 \"")];
        assert_eq!(pick(&h, None), Some(ip("81.2.69.160")));
    }

    #[test]
    fn ipv4_mapped_addresses_become_ipv4() {
        let h = [("x-forwarded-for", "::ffff:81.2.69.160")];
        assert_eq!(pick(&h, None), Some(ip("81.2.69.160")));
        assert_eq!(pick(&[], Some("::ffff:10.0.0.1")), Some(ip("10.0.0.1")));
        assert_eq!(
            pick(
                &[("x-forwarded-for", "::ffff:10.0.0.1")],
                Some("::ffff:81.2.69.160")
            ),
            Some(ip("81.2.69.160"))
        );
    }

    #[test]
    fn custom_trusted_list_order_and_subset() {
        let trusted = vec!["x-real-ip".to_string(), "x-forwarded-for".to_string()];
        let h = [
            ("cf-connecting-ip", "89.160.20.112"),
            ("x-forwarded-for", "81.2.69.160"),
            ("x-real-ip", "216.160.83.56"),
        ];
        assert_eq!(pick_with(&h, &trusted, None), Some(ip("216.160.83.56")));
    }

    #[test]
    fn entry_cap_limits_work() {
        // 100 garbage entries, then a valid one: beyond the 64-entry cap, so not seen.
        let mut v = ["x"; 100].join(",");
        v.push_str(",81.2.69.160");
        assert_eq!(pick(&[("x-forwarded-for", &v)], None), None);
        // Within the cap it is found.
        let mut v = ["x"; 10].join(",");
        v.push_str(",81.2.69.160");
        assert_eq!(
            pick(&[("x-forwarded-for", &v)], None),
            Some(ip("81.2.69.160"))
        );
    }

    #[test]
    fn byte_cap_limits_work_and_respects_char_boundaries() {
        let v = format!("{}, 81.2.69.160", "é".repeat(3000));
        assert_eq!(pick(&[("x-forwarded-for", &v)], None), None);
        let v = format!("{}81.2.69.160", "ü".repeat(2047));
        // 4094 bytes of ü then the address is cut mid-way: nothing valid, no panic.
        assert_eq!(pick(&[("x-forwarded-for", &v)], None), None);
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
            "1.2.3.4:99999999",
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
            "999.999.999.999",
            "fe80::1%eth0",
        ];
        for v in odd {
            let _ = pick(
                &[("x-forwarded-for", v), ("forwarded", v), ("via", v)],
                None,
            );
        }
        let big = "9".repeat(1 << 20);
        assert_eq!(pick(&[("x-forwarded-for", &big)], None), None);
    }

    #[test]
    fn is_public_ipv4() {
        let public = [
            "81.2.69.160",
            "8.8.8.8",
            "1.1.1.1",
            "100.63.255.255",
            "100.128.0.0",
            "172.15.255.255",
            "172.32.0.0",
            "192.169.0.0",
            "198.17.255.255",
            "198.20.0.0",
            "223.255.255.255",
            "11.0.0.0",
            "169.253.255.255",
            "192.0.1.1",
            "192.0.3.1",
        ];
        for s in public {
            assert!(is_public(ip(s)), "{s} should be public");
        }
        let not_public = [
            "0.0.0.0",
            "0.1.2.3",
            "10.0.0.1",
            "10.255.255.255",
            "100.64.0.1",
            "100.127.255.255",
            "127.0.0.1",
            "127.255.255.254",
            "169.254.1.1",
            "172.16.0.1",
            "172.31.255.255",
            "192.0.0.8",
            "192.0.2.1",
            "192.88.99.1",
            "192.168.0.1",
            "198.18.0.1",
            "198.19.255.255",
            "198.51.100.7",
            "203.0.113.9",
            "224.0.0.1",
            "239.255.255.255",
            "240.0.0.1",
            "255.255.255.255",
        ];
        for s in not_public {
            assert!(!is_public(ip(s)), "{s} should not be public");
        }
    }

    #[test]
    fn is_public_ipv6() {
        let public = [
            "2a02:db8::1",
            "2001:4860:4860::8888",
            "2606:4700:4700::1111",
            "2002:c000:0204::1",
            "3ffe::1",
            "2001:0:4136:e378::1",
            "2001:db9::1",
        ];
        for s in public {
            assert!(is_public(ip(s)), "{s} should be public");
        }
        let not_public = [
            "::",
            "::1",
            "fe80::1",
            "fc00::1",
            "fd12:3456::1",
            "ff02::1",
            "2001:db8::1",
            "2001:db8:ffff::1",
            "3fff::1",
            "3fff:0fff::1",
            "2001:2::1",
            "2001:10::1",
            "2001:20::1",
            "64:ff9b::808:808",
            "::1.2.3.4",
            "fec0::1",
            "::ffff:10.0.0.1",
            "100::1",
        ];
        for s in not_public {
            assert!(!is_public(ip(s)), "{s} should not be public");
        }
        assert!(is_public(ip("::ffff:81.2.69.160")));
    }
}
