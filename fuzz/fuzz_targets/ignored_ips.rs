//! Ignored-IP lists: never a panic, and the canonical form parses back to the same list.
#![no_main]

use beacon::ip_filter::IgnoredIps;
use libfuzzer_sys::fuzz_target;
use std::net::IpAddr;

fuzz_target!(|data: &[u8]| {
    let text = shynet_fuzz::text(data);
    let Ok(list) = text.parse::<IgnoredIps>() else {
        return;
    };
    let canon = list.to_canonical_string();
    let again: IgnoredIps = canon.parse().expect("canonical form parses");
    assert_eq!(again.to_canonical_string(), canon);
    for ip in [
        "127.0.0.1",
        "10.1.2.3",
        "2001:db8::1",
        "::ffff:10.1.2.3",
        "203.0.113.9",
    ] {
        let ip: IpAddr = ip.parse().unwrap();
        assert_eq!(list.contains(ip), again.contains(ip));
        assert_eq!(list.contains(ip), list.contains(ip.to_canonical()));
    }
});
