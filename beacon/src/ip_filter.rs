//! A service's ignored-IP list: addresses and networks whose traffic is dropped before anything
//! is stored (typically the owner's office, CI runners or uptime probes).
//!
//! The list is edited as free text in the service form and evaluated on every beacon, at the
//! edge and in the aggregator alike, so it is parsed once into networks and matched without
//! allocation. Unlike Shynet, an entry with host bits set past its prefix (`10.0.0.1/8`) is
//! accepted and normalised to its network (`10.0.0.0/8`) instead of being rejected.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use ipnet::IpNet;

/// Most entries a single list may hold. Exists to bound the per-beacon matching cost (the list
/// is scanned linearly) and the size of the stored text; a longer list is rejected on save.
pub const MAX_IGNORED_IP_ENTRIES: usize = 1000;

/// Longest piece of an offending entry quoted back in an error message.
const MAX_QUOTED_CHARS: usize = 80;

/// The parsed ignored-IP list of a service.
///
/// Exists so the per-beacon check is a plain network containment test over pre-parsed,
/// normalised networks, and so the list can be stored back in one canonical spelling. Parse it
/// with [`str::parse`]; the [`Default`] list is empty and ignores nothing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IgnoredIps {
    nets: Vec<IpNet>,
}

/// Why an ignored-IP list was rejected; the message names the offending entry so the service
/// form can show it next to the field.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum IgnoredIpsError {
    /// An entry is neither an address nor `address/prefix`.
    #[error("{entry:?} is not an IP address or CIDR network")]
    NotAnAddress {
        /// The entry as written (shortened if very long).
        entry: String,
    },
    /// The prefix length is not a number within the address family's range.
    #[error("{entry:?} has an invalid prefix length: it must be a number from 0 to {max}")]
    BadPrefix {
        /// The entry as written (shortened if very long).
        entry: String,
        /// 32 for IPv4, 128 for IPv6.
        max: u8,
    },
    /// More than [`MAX_IGNORED_IP_ENTRIES`] entries.
    #[error("too many ignored IP entries: at most {max} are allowed")]
    TooMany {
        /// The limit, [`MAX_IGNORED_IP_ENTRIES`].
        max: usize,
    },
}

impl FromStr for IgnoredIps {
    type Err = IgnoredIpsError;

    /// Parses comma-, whitespace- or newline-separated IPv4/IPv6 addresses and CIDR networks.
    /// Empty input is the empty list. Host bits past the prefix are cleared, IPv4-mapped IPv6
    /// entries become IPv4 entries, and duplicates are dropped (first spelling kept).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut nets: Vec<IpNet> = Vec::new();
        let entries = s
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|e| !e.is_empty());
        for (i, entry) in entries.enumerate() {
            if i >= MAX_IGNORED_IP_ENTRIES {
                return Err(IgnoredIpsError::TooMany {
                    max: MAX_IGNORED_IP_ENTRIES,
                });
            }
            let net = parse_entry(entry)?;
            if !nets.contains(&net) {
                nets.push(net);
            }
        }
        Ok(IgnoredIps { nets })
    }
}

fn quoted(entry: &str) -> String {
    entry.chars().take(MAX_QUOTED_CHARS).collect()
}

fn parse_entry(entry: &str) -> Result<IpNet, IgnoredIpsError> {
    let not_an_address = || IgnoredIpsError::NotAnAddress {
        entry: quoted(entry),
    };
    let (addr, prefix) = match entry.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (entry, None),
    };
    let addr: IpAddr = addr.parse().map_err(|_| not_an_address())?;
    let max = match addr {
        IpAddr::V4(_) => 32u8,
        IpAddr::V6(_) => 128u8,
    };
    let len = match prefix {
        None => max,
        Some(p) => {
            let bad = || IgnoredIpsError::BadPrefix {
                entry: quoted(entry),
                max,
            };
            if p.is_empty() || p.len() > 3 || !p.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            match p.parse::<u8>() {
                Ok(n) if n <= max => n,
                _ => return Err(bad()),
            }
        }
    };
    let net = IpNet::new(addr, len).map_err(|_| not_an_address())?.trunc();
    Ok(unmap(net))
}

/// Turns an IPv4-mapped IPv6 network (`::ffff:10.0.0.0/104`) into the IPv4 network it denotes.
fn unmap(net: IpNet) -> IpNet {
    if let IpNet::V6(v6) = net {
        if v6.prefix_len() >= 96 {
            if let Some(v4) = v6.addr().to_ipv4_mapped() {
                if let Ok(n) = IpNet::new(IpAddr::V4(v4), v6.prefix_len() - 96) {
                    return n.trunc();
                }
            }
        }
    }
    net
}

impl IgnoredIps {
    /// `true` if traffic from `ip` must be dropped.
    ///
    /// Exists as the per-beacon filter. An IPv4-mapped IPv6 address (`::ffff:10.0.0.1`, as seen
    /// on dual-stack sockets) is matched as the IPv4 address it carries, and only as that: an
    /// IPv6 network such as `::/0` does not cover IPv4 visitors in either spelling.
    pub fn contains(&self, ip: IpAddr) -> bool {
        // Only the canonical spelling counts, so one visitor gets one answer whether it arrived
        // on an IPv4 or a dual-stack socket (mapped entries were unmapped when parsed).
        let canonical = ip.to_canonical();
        self.nets.iter().any(|n| n.contains(&canonical))
    }

    /// The list in one canonical spelling: entries separated by `", "`, single addresses
    /// without a prefix, networks as `network/prefix`, duplicates removed.
    ///
    /// Exists so the service form stores (and shows back) exactly what is enforced, including
    /// the normalisation of `10.0.0.1/8` to `10.0.0.0/8`.
    pub fn to_canonical_string(&self) -> String {
        self.to_string()
    }

    /// `true` when nothing is ignored; lets callers skip the IP step entirely.
    pub fn is_empty(&self) -> bool {
        self.nets.is_empty()
    }
}

impl fmt::Display for IgnoredIps {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, net) in self.nets.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            if net.prefix_len() == net.max_prefix_len() {
                write!(f, "{}", net.addr())?;
            } else {
                write!(f, "{net}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn list(s: &str) -> IgnoredIps {
        s.parse().unwrap()
    }

    #[test]
    fn empty_input_is_empty_list() {
        for s in ["", "   ", ",", " , ,\n", "\n\t"] {
            let l = list(s);
            assert!(l.is_empty(), "{s:?}");
            assert_eq!(l, IgnoredIps::default());
            assert_eq!(l.to_canonical_string(), "");
            assert!(!l.contains(ip("10.0.0.1")));
        }
    }

    #[test]
    fn single_addresses_and_networks() {
        let l = list("10.0.0.0/8, 192.168.1.7, 2001:db8::/32, ::1");
        assert!(!l.is_empty());
        assert!(l.contains(ip("10.1.2.3")));
        assert!(l.contains(ip("10.255.255.255")));
        assert!(!l.contains(ip("11.0.0.0")));
        assert!(l.contains(ip("192.168.1.7")));
        assert!(!l.contains(ip("192.168.1.8")));
        assert!(l.contains(ip("2001:db8:1::5")));
        assert!(!l.contains(ip("2001:db9::5")));
        assert!(l.contains(ip("::1")));
        assert!(!l.contains(ip("::2")));
    }

    #[test]
    fn separators_commas_whitespace_newlines() {
        let l = list("10.0.0.1\n10.0.0.2 10.0.0.3,10.0.0.4\r\n\t10.0.0.5,,");
        for i in 1..=5 {
            assert!(l.contains(ip(&format!("10.0.0.{i}"))));
        }
        assert!(!l.contains(ip("10.0.0.6")));
        assert_eq!(
            l.to_canonical_string(),
            "10.0.0.1, 10.0.0.2, 10.0.0.3, 10.0.0.4, 10.0.0.5"
        );
    }

    #[test]
    fn host_bits_are_normalised_not_rejected() {
        let l = list("10.0.0.1/8, 2001:db8::1/32, 192.168.1.200/25");
        assert_eq!(
            l.to_canonical_string(),
            "10.0.0.0/8, 2001:db8::/32, 192.168.1.128/25"
        );
        assert!(l.contains(ip("10.200.0.1")));
        assert!(l.contains(ip("192.168.1.129")));
        assert!(!l.contains(ip("192.168.1.127")));
    }

    #[test]
    fn full_length_prefix_prints_as_address() {
        assert_eq!(list("10.0.0.1/32").to_canonical_string(), "10.0.0.1");
        assert_eq!(list("2001:db8::1/128").to_canonical_string(), "2001:db8::1");
        assert_eq!(list("0.0.0.0/0").to_canonical_string(), "0.0.0.0/0");
    }

    #[test]
    fn zero_prefix_matches_whole_family_only() {
        let l = list("0.0.0.0/0");
        assert!(l.contains(ip("8.8.8.8")));
        assert!(!l.contains(ip("2001:db8::1")));
        let l = list("::/0");
        assert!(l.contains(ip("2001:db8::1")));
        assert!(!l.contains(ip("8.8.8.8")));
    }

    #[test]
    fn ipv4_mapped_addresses_match_ipv4_entries() {
        let l = list("10.0.0.0/8");
        assert!(l.contains(ip("::ffff:10.1.2.3")));
        assert!(!l.contains(ip("::ffff:11.1.2.3")));
        // A mapped entry is stored as IPv4 and matches both spellings.
        let l = list("::ffff:192.168.0.0/112");
        assert_eq!(l.to_canonical_string(), "192.168.0.0/16");
        assert!(l.contains(ip("192.168.3.4")));
        assert!(l.contains(ip("::ffff:192.168.3.4")));
        let l = list("::ffff:10.0.0.1");
        assert_eq!(l.to_canonical_string(), "10.0.0.1");
        assert!(l.contains(ip("10.0.0.1")));
    }

    /// Regression (found by the `ignored_ips` fuzz target, input `,8b6::1/4 ::ffff:1`): an
    /// IPv6 network that covers the IPv4-mapped range matched `::ffff:10.1.2.3` but not
    /// `10.1.2.3`, so one visitor was ignored or counted depending on the socket's family.
    /// IPv4 visitors are now matched by their IPv4 address only, whatever the spelling.
    #[test]
    fn ipv6_network_covering_mapped_space_answers_the_same_for_both_spellings() {
        for entries in ["::ffff:0:0/95", ",8b6::1/4 ::ffff:1", "::/0"] {
            let l = list(entries);
            for v4 in ["10.0.0.1", "10.1.2.3", "203.0.113.9"] {
                let mapped = format!("::ffff:{v4}");
                assert_eq!(
                    l.contains(ip(v4)),
                    l.contains(ip(&mapped)),
                    "{entries} {v4}"
                );
                assert!(!l.contains(ip(&mapped)), "{entries} {v4}");
            }
        }
        assert!(list("::/0").contains(ip("2001:db8::1")));
    }

    #[test]
    fn duplicates_are_dropped() {
        let l = list("10.0.0.1, 10.0.0.1, 10.0.0.0/8, 10.9.9.9/8");
        assert_eq!(l.to_canonical_string(), "10.0.0.1, 10.0.0.0/8");
    }

    #[test]
    fn canonical_string_round_trips() {
        let l = list(" 10.0.0.1/8 ,2001:DB8::1/64\n203.0.113.5 ");
        let s = l.to_canonical_string();
        assert_eq!(s, "10.0.0.0/8, 2001:db8::/64, 203.0.113.5");
        assert_eq!(list(&s), l);
        assert_eq!(l.to_string(), s);
    }

    #[test]
    fn bad_entries_are_named() {
        let e = "10.0.0.1, 10.0.0.300".parse::<IgnoredIps>().unwrap_err();
        assert_eq!(
            e.to_string(),
            r#""10.0.0.300" is not an IP address or CIDR network"#
        );
        assert_eq!(
            e,
            IgnoredIpsError::NotAnAddress {
                entry: "10.0.0.300".into()
            }
        );
        for bad in [
            "example.com",
            "10.0.0",
            "1.2.3.4.5",
            "010.0.0.1",
            "::g",
            "/8",
            "10.0.0.0//8",
            "[::1]",
            "10.0.0.1-10.0.0.9",
            "1.2.3.4/8/8",
        ] {
            assert!(bad.parse::<IgnoredIps>().is_err(), "{bad}");
        }
    }

    #[test]
    fn bad_prefixes_are_named() {
        let e = "10.0.0.0/33".parse::<IgnoredIps>().unwrap_err();
        assert_eq!(
            e.to_string(),
            r#""10.0.0.0/33" has an invalid prefix length: it must be a number from 0 to 32"#
        );
        let e = "2001:db8::/129".parse::<IgnoredIps>().unwrap_err();
        assert!(e.to_string().contains("from 0 to 128"), "{e}");
        for bad in [
            "10.0.0.0/",
            "10.0.0.0/x",
            "10.0.0.0/-1",
            "10.0.0.0/+8",
            "10.0.0.0/0008",
            "10.0.0.0/999",
            "10.0.0.0/ 8",
        ] {
            assert!(bad.parse::<IgnoredIps>().is_err(), "{bad}");
        }
        assert!("10.0.0.0/008".parse::<IgnoredIps>().is_ok());
    }

    #[test]
    fn long_bad_entry_is_shortened_in_the_message() {
        let entry = "x".repeat(10_000);
        let e = entry.parse::<IgnoredIps>().unwrap_err();
        assert!(e.to_string().len() < 200);
    }

    #[test]
    fn entry_limit() {
        let ok: Vec<String> = (0..MAX_IGNORED_IP_ENTRIES)
            .map(|i| format!("10.{}.{}.1", i / 256, i % 256))
            .collect();
        let l = ok.join(",").parse::<IgnoredIps>().unwrap();
        assert!(l.contains(ip("10.3.231.1")));
        let mut too_many = ok.clone();
        too_many.push("10.200.0.1".into());
        let e = too_many.join(",").parse::<IgnoredIps>().unwrap_err();
        assert_eq!(e, IgnoredIpsError::TooMany { max: 1000 });
        assert!(e.to_string().contains("1000"));
    }

    #[test]
    fn never_panics_on_odd_input() {
        for s in [
            "☃",
            "1.2.3.4/☃",
            "::ffff:1.2.3.4/200",
            "/",
            "//",
            "\u{0}",
            "1.2.3.4/\u{0}",
        ] {
            let _ = s.parse::<IgnoredIps>();
        }
    }
}
