//! Client-IP header chains: never a panic, the answer is canonical (no IPv4-mapped IPv6), a
//! peer that is not a trusted proxy is always its own answer, and a trusted proxy's answer is
//! the peer or an address written in one of the headers.
#![no_main]

use beacon::client_ip::{client_ip, platform_client_ip, ProxyTrust};
use libfuzzer_sys::fuzz_target;
use std::net::IpAddr;

const HEADERS: &[&str] = &[
    "x-forwarded-for",
    "x-real-ip",
    "forwarded",
    "via",
    "cf-connecting-ip",
    "true-client-ip",
];

fuzz_target!(|data: &[u8]| {
    // One header value per line, in HEADERS order; the first byte picks the peer and the trust.
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    let values: Vec<String> = shynet_fuzz::fields(rest, HEADERS.len())
        .into_iter()
        .map(shynet_fuzz::text)
        .collect();
    let names: Vec<String> = HEADERS.iter().map(|s| s.to_string()).collect();
    let peer: IpAddr = match sel % 4 {
        0 => "127.0.0.1".parse().unwrap(),
        1 => "10.0.0.1".parse().unwrap(),
        2 => "203.0.113.9".parse().unwrap(),
        _ => "::ffff:198.51.100.7".parse().unwrap(),
    };
    let trust = if sel & 4 == 0 {
        ProxyTrust::default()
    } else {
        ProxyTrust::new(Vec::new(), vec!["203.0.113.0/24".parse().unwrap()], true)
    };
    let lookup = |name: &str| {
        HEADERS
            .iter()
            .position(|h| *h == name)
            .and_then(|i| values.get(i))
            .map(String::as_str)
    };
    let ip = client_ip(lookup, &names, Some(peer), &trust).expect("a known peer gives an answer");
    assert_eq!(ip, ip.to_canonical());
    if !trust.is_trusted(peer) {
        assert_eq!(ip, peer.to_canonical());
    }
    if let Some(ip) = platform_client_ip(lookup, &names) {
        assert_eq!(ip, ip.to_canonical());
    }
});
