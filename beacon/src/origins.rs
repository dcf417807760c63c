//! A service's allowed origins: which sites may send beacons for it.
//!
//! Without this anyone could embed a service's tracking snippet on another site and pollute its
//! statistics. The owner lists the origins of their own site(s), or `*` for any. Both entrances
//! run the same check on every beacon, and its result also gives the value of the
//! `Access-Control-Allow-Origin` response header, so a browser only lets listed sites read the
//! response.
//!
//! Origins are compared in one normal form: lower-case `scheme://host[:port]`, with no trailing
//! slash and with the scheme's default port (`:443` for https, `:80` for http) left out, which
//! is how browsers serialise the `Origin` header.

use std::fmt;
use std::net::Ipv6Addr;
use std::str::FromStr;

/// Most origins one service may list. Exists to bound the per-beacon check (a linear scan)
/// and the stored text; a longer list is rejected on save.
pub const MAX_ORIGINS: usize = 100;

/// Longest host name accepted (the DNS limit).
const MAX_HOST_LEN: usize = 253;
/// Longest piece of an offending entry quoted back in an error message.
const MAX_QUOTED_CHARS: usize = 80;

/// Which sites may send beacons to a service.
///
/// Exists so the origin list is parsed and normalised once (on save, or when the service's
/// settings are cached) rather than on every beacon. The [`Default`] is [`AllowedOrigins::Any`],
/// Shynet's default of `*`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum AllowedOrigins {
    /// `*`: beacons from any site (or with no origin information at all) are accepted.
    #[default]
    Any,
    /// Only these normalised origins (`scheme://host[:port]`) are accepted.
    List(Vec<String>),
}

/// The outcome of [`AllowedOrigins::check`] for one request.
///
/// Exists so the caller gets, in one value, both the verdict and the exact
/// `Access-Control-Allow-Origin` header value to send back (or why it must answer 403).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OriginCheck {
    /// Accept the beacon and answer with `Access-Control-Allow-Origin: allow_origin`.
    Allowed {
        /// The remote origin in normal form, or `*` when the service accepts any origin and the
        /// request carried none.
        allow_origin: String,
    },
    /// Refuse the beacon (403); `reason` is for logs and counters, not for the visitor.
    Denied {
        /// Short, fixed explanation.
        reason: &'static str,
    },
}

/// Reason given when the remote origin is not in the service's list (or is unusable).
pub const DENIED_NOT_ALLOWED: &str = "origin not allowed for this service";
/// Reason given when a listed-origins service gets a request with neither header.
pub const DENIED_NO_HEADER: &str = "no Origin or Referer header";

/// Why an allowed-origins setting was rejected; the message names the offending entry so the
/// service form can show it next to the field.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum OriginsError {
    /// The setting is empty.
    #[error("list at least one origin or *")]
    Empty,
    /// `*` appears together with other entries.
    #[error("* allows any origin and must stand alone, not inside a list")]
    StarInList,
    /// More than [`MAX_ORIGINS`] entries.
    #[error("too many origins: at most {max} are allowed")]
    TooMany {
        /// The limit, [`MAX_ORIGINS`].
        max: usize,
    },
    /// One entry is not a valid `scheme://host[:port]` origin.
    #[error("{entry:?} is not a valid origin ({reason}); write it as scheme://host[:port], e.g. https://example.com")]
    Invalid {
        /// The entry as written (shortened if very long).
        entry: String,
        /// What is wrong with it.
        reason: &'static str,
    },
}

impl FromStr for AllowedOrigins {
    type Err = OriginsError;

    /// Parses `*` (after trimming) or a comma-separated list of origins. Each entry is
    /// trimmed, lower-cased, stripped of one trailing slash and of its scheme's default port,
    /// then validated (scheme http or https, non-empty host, optional port, no path, query,
    /// fragment or user info). Empty entries (stray commas) are skipped; duplicates are dropped.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s == "*" {
            return Ok(AllowedOrigins::Any);
        }
        let mut list: Vec<String> = Vec::new();
        for (i, entry) in s
            .split(',')
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .enumerate()
        {
            if i >= MAX_ORIGINS {
                return Err(OriginsError::TooMany { max: MAX_ORIGINS });
            }
            if entry == "*" {
                return Err(OriginsError::StarInList);
            }
            let origin = normalize_origin(entry).map_err(|reason| OriginsError::Invalid {
                entry: entry.chars().take(MAX_QUOTED_CHARS).collect(),
                reason,
            })?;
            if !list.contains(&origin) {
                list.push(origin);
            }
        }
        if list.is_empty() {
            return Err(OriginsError::Empty);
        }
        Ok(AllowedOrigins::List(list))
    }
}

impl fmt::Display for AllowedOrigins {
    /// The canonical spelling to store: `*`, or the normalised origins separated by `", "`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AllowedOrigins::Any => f.write_str("*"),
            AllowedOrigins::List(list) => f.write_str(&list.join(", ")),
        }
    }
}

/// The origin a request claims to come from.
enum Remote {
    /// Neither a usable `Origin` nor a `Referer` header.
    Absent,
    /// A well-formed http(s) origin in normal form.
    Valid(String),
    /// Something was sent but it is not an http(s) origin (e.g. `chrome-extension://…`).
    Invalid,
}

impl AllowedOrigins {
    /// Decides whether a beacon carrying these `Origin` / `Referer` header values is accepted.
    ///
    /// Exists so both entrances apply Shynet's rule identically: the remote origin is the
    /// `Origin` header, or, when that is absent (or the opaque `null`), the
    /// `scheme://host[:port]` of the `Referer`. With [`AllowedOrigins::Any`] every request is
    /// allowed and the allow-origin value is the remote origin if there is a valid one, else
    /// `*`. With a list the remote origin must be listed; a request with neither header is
    /// denied.
    pub fn check(&self, origin: Option<&str>, referer: Option<&str>) -> OriginCheck {
        let remote = remote_origin(origin, referer);
        match (self, remote) {
            (AllowedOrigins::Any, Remote::Valid(o)) => OriginCheck::Allowed { allow_origin: o },
            (AllowedOrigins::Any, _) => OriginCheck::Allowed {
                allow_origin: "*".to_string(),
            },
            (AllowedOrigins::List(list), Remote::Valid(o)) => {
                if list.contains(&o) {
                    OriginCheck::Allowed { allow_origin: o }
                } else {
                    OriginCheck::Denied {
                        reason: DENIED_NOT_ALLOWED,
                    }
                }
            }
            (AllowedOrigins::List(_), Remote::Invalid) => OriginCheck::Denied {
                reason: DENIED_NOT_ALLOWED,
            },
            (AllowedOrigins::List(_), Remote::Absent) => OriginCheck::Denied {
                reason: DENIED_NO_HEADER,
            },
        }
    }
}

fn remote_origin(origin: Option<&str>, referer: Option<&str>) -> Remote {
    let origin = origin
        .map(str::trim)
        .filter(|o| !o.is_empty() && !o.eq_ignore_ascii_case("null"));
    if let Some(o) = origin {
        return match normalize_origin(o) {
            Ok(n) => Remote::Valid(n),
            Err(_) => Remote::Invalid,
        };
    }
    let Some(referer) = referer.map(str::trim).filter(|r| !r.is_empty()) else {
        return Remote::Absent;
    };
    match referer_origin(referer) {
        Some(n) => Remote::Valid(n),
        None => Remote::Invalid,
    }
}

/// `scheme://host[:port]` of a Referer URL, normalised; user info is dropped.
fn referer_origin(referer: &str) -> Option<String> {
    let (scheme, rest) = referer.split_once("://")?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = rest.get(..end)?;
    let host_port = match authority.rsplit_once('@') {
        Some((_, hp)) => hp,
        None => authority,
    };
    normalize_origin(&format!("{scheme}://{host_port}")).ok()
}

/// Normalises one origin or explains what is wrong with it.
fn normalize_origin(raw: &str) -> Result<String, &'static str> {
    let s = raw.trim();
    if !s.is_ascii() {
        return Err("non-ASCII characters; use the punycode (xn--) form of the host");
    }
    let s = s.to_ascii_lowercase();
    let Some((scheme, rest)) = s.split_once("://") else {
        return Err("missing scheme://");
    };
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    let default_port = match scheme {
        "https" => "443",
        "http" => "80",
        _ => return Err("the scheme must be http or https"),
    };
    if rest.contains(['/', '?', '#']) {
        return Err("it must not contain a path, query or fragment");
    }
    if rest.contains('@') {
        return Err("it must not contain user info");
    }
    if rest.contains(|c: char| c.is_ascii_whitespace() || c.is_ascii_control()) {
        return Err("it must not contain spaces");
    }
    if rest.contains('*') {
        return Err("wildcards are not supported; list each origin");
    }
    let (host, port) = split_host_port(rest)?;
    if host.is_empty() {
        return Err("the host is empty");
    }
    if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        if inner.parse::<Ipv6Addr>().is_err() {
            return Err("the bracketed host is not an IPv6 address");
        }
    } else {
        if host.len() > MAX_HOST_LEN {
            return Err("the host is too long");
        }
        if !host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'))
        {
            return Err("the host contains characters not allowed in a host name");
        }
        if host.starts_with('.') || host.contains("..") {
            return Err("the host has an empty label");
        }
    }
    match port {
        Some(p) if p == default_port => Ok(format!("{scheme}://{host}")),
        Some(p) => Ok(format!("{scheme}://{host}:{p}")),
        None => Ok(format!("{scheme}://{host}")),
    }
}

/// Splits `host[:port]` / `[v6][:port]`, validating the port (1–65535, written without leading
/// zeros so the normal form is unique).
fn split_host_port(rest: &str) -> Result<(&str, Option<&str>), &'static str> {
    let (host, port) = if rest.starts_with('[') {
        let Some(close) = rest.find(']') else {
            return Err("the bracketed IPv6 host is not closed");
        };
        let (h, after) = rest.split_at(close + 1);
        match after {
            "" => (h, None),
            _ => match after.strip_prefix(':') {
                Some(p) => (h, Some(p)),
                None => return Err("unexpected characters after the IPv6 host"),
            },
        }
    } else {
        match rest.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (rest, None),
        }
    };
    if let Some(p) = port {
        let valid = !p.is_empty()
            && p.len() <= 5
            && p.bytes().all(|b| b.is_ascii_digit())
            && !p.starts_with('0')
            && p.parse::<u32>().is_ok_and(|n| (1..=65535).contains(&n));
        if !valid {
            return Err("the port must be a number from 1 to 65535");
        }
    }
    Ok((host, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> AllowedOrigins {
        s.parse().unwrap()
    }

    fn allowed(o: &str) -> OriginCheck {
        OriginCheck::Allowed {
            allow_origin: o.to_string(),
        }
    }

    const NOT_ALLOWED: OriginCheck = OriginCheck::Denied {
        reason: DENIED_NOT_ALLOWED,
    };
    const NO_HEADER: OriginCheck = OriginCheck::Denied {
        reason: DENIED_NO_HEADER,
    };

    #[test]
    fn star_is_any() {
        assert_eq!(parse("*"), AllowedOrigins::Any);
        assert_eq!(parse("  *\n"), AllowedOrigins::Any);
        assert_eq!(AllowedOrigins::default(), AllowedOrigins::Any);
        assert_eq!(AllowedOrigins::Any.to_string(), "*");
    }

    #[test]
    fn list_is_normalised() {
        let o = parse(" HTTPS://Example.COM/ , http://localhost:8080,https://a.example.com:443, http://b.example:80/");
        assert_eq!(
            o,
            AllowedOrigins::List(vec![
                "https://example.com".into(),
                "http://localhost:8080".into(),
                "https://a.example.com".into(),
                "http://b.example".into(),
            ])
        );
        assert_eq!(
            o.to_string(),
            "https://example.com, http://localhost:8080, https://a.example.com, http://b.example"
        );
        assert_eq!(parse(&o.to_string()), o);
    }

    #[test]
    fn non_default_ports_are_kept() {
        assert_eq!(
            parse("https://example.com:80, http://example.com:443"),
            AllowedOrigins::List(vec![
                "https://example.com:80".into(),
                "http://example.com:443".into()
            ])
        );
    }

    #[test]
    fn ipv6_and_ip_hosts() {
        assert_eq!(
            parse("http://[::1]:8000, https://[2001:DB8::1]:443, http://127.0.0.1"),
            AllowedOrigins::List(vec![
                "http://[::1]:8000".into(),
                "https://[2001:db8::1]".into(),
                "http://127.0.0.1".into()
            ])
        );
    }

    #[test]
    fn duplicates_and_stray_commas() {
        assert_eq!(
            parse("https://a.com,, https://A.com/ ,"),
            AllowedOrigins::List(vec!["https://a.com".into()])
        );
    }

    #[test]
    fn empty_is_an_error() {
        for s in ["", "   ", ",", " , , "] {
            let e = s.parse::<AllowedOrigins>().unwrap_err();
            assert_eq!(e, OriginsError::Empty, "{s:?}");
            assert_eq!(e.to_string(), "list at least one origin or *");
        }
    }

    #[test]
    fn star_inside_list_is_an_error() {
        assert_eq!(
            "*, https://a.com".parse::<AllowedOrigins>().unwrap_err(),
            OriginsError::StarInList
        );
    }

    #[test]
    fn invalid_entries_are_named() {
        let cases = [
            ("example.com", "missing scheme://"),
            ("ftp://example.com", "the scheme must be http or https"),
            (
                "https://example.com/path",
                "it must not contain a path, query or fragment",
            ),
            (
                "https://example.com?x=1",
                "it must not contain a path, query or fragment",
            ),
            (
                "https://example.com#top",
                "it must not contain a path, query or fragment",
            ),
            (
                "https://example.com//",
                "it must not contain a path, query or fragment",
            ),
            ("https://user@example.com", "it must not contain user info"),
            ("https://", "the host is empty"),
            ("https://:8080", "the host is empty"),
            ("https://exa mple.com", "it must not contain spaces"),
            (
                "https://*.example.com",
                "wildcards are not supported; list each origin",
            ),
            (
                "https://example.com:0",
                "the port must be a number from 1 to 65535",
            ),
            (
                "https://example.com:65536",
                "the port must be a number from 1 to 65535",
            ),
            (
                "https://example.com:",
                "the port must be a number from 1 to 65535",
            ),
            (
                "https://example.com:08080",
                "the port must be a number from 1 to 65535",
            ),
            (
                "https://example.com:x",
                "the port must be a number from 1 to 65535",
            ),
            (
                "https://example.com:80:80",
                "the port must be a number from 1 to 65535",
            ),
            ("https://[::1", "the bracketed IPv6 host is not closed"),
            (
                "https://[::1]x",
                "unexpected characters after the IPv6 host",
            ),
            (
                "https://[nope]",
                "the bracketed host is not an IPv6 address",
            ),
            (
                "https://exa$mple.com",
                "the host contains characters not allowed in a host name",
            ),
            ("https://a..com", "the host has an empty label"),
            (
                "https://bücher.de",
                "non-ASCII characters; use the punycode (xn--) form of the host",
            ),
        ];
        for (entry, reason) in cases {
            let input = format!("https://ok.example, {entry}");
            let e = input.parse::<AllowedOrigins>().unwrap_err();
            assert_eq!(
                e,
                OriginsError::Invalid {
                    entry: entry.to_string(),
                    reason
                },
                "{entry}"
            );
            assert!(e.to_string().contains(&format!("{entry:?}")), "{e}");
        }
        let e = "https://example.com/path"
            .parse::<AllowedOrigins>()
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "\"https://example.com/path\" is not a valid origin (it must not contain a path, query or fragment); write it as scheme://host[:port], e.g. https://example.com"
        );
    }

    #[test]
    fn host_length_limit() {
        let long = format!("https://{}.com", "a".repeat(300));
        assert!(long.parse::<AllowedOrigins>().is_err());
    }

    #[test]
    fn origin_limit() {
        let ok: Vec<String> = (0..MAX_ORIGINS)
            .map(|i| format!("https://s{i}.example"))
            .collect();
        assert!(ok.join(",").parse::<AllowedOrigins>().is_ok());
        let mut more = ok.clone();
        more.push("https://one-too-many.example".into());
        assert_eq!(
            more.join(",").parse::<AllowedOrigins>().unwrap_err(),
            OriginsError::TooMany { max: MAX_ORIGINS }
        );
    }

    #[test]
    fn any_echoes_the_remote_origin_or_star() {
        let any = AllowedOrigins::Any;
        assert_eq!(
            any.check(Some("https://site.example"), None),
            allowed("https://site.example")
        );
        assert_eq!(
            any.check(None, Some("https://Site.example:443/page?q=1")),
            allowed("https://site.example")
        );
        assert_eq!(any.check(None, None), allowed("*"));
        assert_eq!(any.check(Some("null"), None), allowed("*"));
        assert_eq!(
            any.check(Some("chrome-extension://abcdef"), None),
            allowed("*")
        );
        assert_eq!(
            any.check(None, Some("android-app://com.example")),
            allowed("*")
        );
    }

    #[test]
    fn list_allows_listed_origins() {
        let list = parse("https://example.com, http://localhost:8080");
        assert_eq!(
            list.check(Some("https://example.com"), None),
            allowed("https://example.com")
        );
        assert_eq!(
            list.check(
                Some("http://localhost:8080"),
                Some("https://other.example/")
            ),
            allowed("http://localhost:8080")
        );
        // Default port and case are normalised on the remote side too.
        assert_eq!(
            list.check(Some("HTTPS://EXAMPLE.COM:443"), None),
            allowed("https://example.com")
        );
    }

    #[test]
    fn list_denies_others() {
        let list = parse("https://example.com");
        assert_eq!(list.check(Some("https://evil.example"), None), NOT_ALLOWED);
        assert_eq!(list.check(Some("http://example.com"), None), NOT_ALLOWED);
        assert_eq!(
            list.check(Some("https://example.com:8443"), None),
            NOT_ALLOWED
        );
        assert_eq!(
            list.check(Some("https://sub.example.com"), None),
            NOT_ALLOWED
        );
        assert_eq!(list.check(Some("garbage"), None), NOT_ALLOWED);
        // Origin wins over Referer: no fallback when Origin is present but not listed.
        assert_eq!(
            list.check(Some("https://evil.example"), Some("https://example.com/")),
            NOT_ALLOWED
        );
    }

    #[test]
    fn referer_fallback() {
        let list = parse("https://example.com");
        assert_eq!(
            list.check(None, Some("https://example.com/blog/post?x=1#frag")),
            allowed("https://example.com")
        );
        assert_eq!(
            list.check(Some("null"), Some("https://example.com/")),
            allowed("https://example.com")
        );
        assert_eq!(
            list.check(Some("  "), Some("https://user:pw@Example.com:443/x")),
            allowed("https://example.com")
        );
        assert_eq!(
            list.check(None, Some("https://example.com?q")),
            allowed("https://example.com")
        );
        assert_eq!(list.check(None, Some("https://evil.example/")), NOT_ALLOWED);
        assert_eq!(list.check(None, Some("not a url")), NOT_ALLOWED);
    }

    #[test]
    fn list_without_headers_is_denied() {
        let list = parse("https://example.com");
        assert_eq!(list.check(None, None), NO_HEADER);
        assert_eq!(list.check(Some("null"), None), NO_HEADER);
        assert_eq!(list.check(Some(""), Some("  ")), NO_HEADER);
    }

    #[test]
    fn ipv6_remote_origins() {
        let list = parse("http://[::1]:8000");
        assert_eq!(
            list.check(Some("http://[::1]:8000"), None),
            allowed("http://[::1]:8000")
        );
        assert_eq!(
            list.check(None, Some("http://[0:0::1]:8000/page")),
            NOT_ALLOWED,
            "addresses are compared as written, like browsers serialise them"
        );
    }

    #[test]
    fn never_panics_on_odd_input() {
        let odd = [
            "",
            "://",
            "https://[",
            "https://]",
            "https://[]",
            "https://[]:",
            "☃://☃",
            "https://☃",
            "https://a:☃",
            "http://a:99999999999999999999",
            "\u{0}",
            "https://@",
            "https://@@/",
            "https://a@",
            "https:///",
            "https://?",
            "https://#",
        ];
        let list = parse("https://example.com");
        for s in odd {
            let _ = s.parse::<AllowedOrigins>();
            let _ = list.check(Some(s), Some(s));
            let _ = list.check(None, Some(s));
            let _ = AllowedOrigins::Any.check(Some(s), None);
        }
    }
}
