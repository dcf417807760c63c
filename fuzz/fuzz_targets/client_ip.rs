//! Client-IP header chains: never a panic, the answer is one of the candidates (a header's
//! address or the socket), and it is canonical (no IPv4-mapped IPv6).
#![no_main]

use beacon::client_ip::{client_ip, DEFAULT_IP_HEADERS};
use libfuzzer_sys::fuzz_target;
use std::net::IpAddr;

fuzz_target!(|data: &[u8]| {
    // One header value per line, in DEFAULT_IP_HEADERS order; the first byte picks the socket.
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let values: Vec<String> = shynet_fuzz::fields(rest, DEFAULT_IP_HEADERS.len())
        .into_iter()
        .map(shynet_fuzz::text)
        .collect();
    let trusted: Vec<String> = DEFAULT_IP_HEADERS.iter().map(|s| s.to_string()).collect();
    let socket: Option<IpAddr> = match sel % 4 {
        0 => None,
        1 => Some("10.0.0.1".parse().unwrap()),
        2 => Some("203.0.113.9".parse().unwrap()),
        _ => Some("::ffff:198.51.100.7".parse().unwrap()),
    };
    let lookup = |name: &str| {
        DEFAULT_IP_HEADERS
            .iter()
            .position(|h| *h == name)
            .and_then(|i| values.get(i))
            .map(String::as_str)
    };
    let ip = client_ip(lookup, &trusted, socket);
    if let Some(ip) = ip {
        assert_eq!(ip, ip.to_canonical());
    }
    // With no trusted headers only the socket counts.
    assert_eq!(
        client_ip(lookup, &[], socket),
        socket.map(|s| s.to_canonical())
    );
});
