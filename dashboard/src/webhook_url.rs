//! Webhook URLs the owner supplies are requests this server makes on their behalf, so they are
//! checked against server-side request forgery: https only, no credentials, and every address
//! the host resolves to must be public (not loopback, private, link-local, shared or otherwise
//! internal). `SHYNET_WEBHOOK_ALLOW_PRIVATE` lifts the address rule and allows plain http, for
//! receivers on an intranet (and tests). The manage form checks when saving; the sender checks
//! again at every call and connects to the address it checked.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

/// Longest URL accepted.
pub const MAX_URL_LEN: usize = 2000;
/// Deadline of a name lookup and of one call (connect, send, and read the answer).
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// Why a webhook URL was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    /// Not a URL.
    #[error("the webhook URL is not a valid URL")]
    Malformed,
    /// Too long.
    #[error("the webhook URL is longer than {MAX_URL_LEN} characters")]
    TooLong,
    /// Not https (and private targets are not allowed).
    #[error("the webhook URL must start with https://")]
    NotHttps,
    /// Credentials in the URL.
    #[error("the webhook URL must not contain a user name or password")]
    Credentials,
    /// The host resolves to a loopback, private, link-local or otherwise internal address.
    #[error("the webhook URL points to a private or local address")]
    Private,
    /// The host does not resolve.
    #[error("the webhook host does not resolve")]
    Unresolvable,
}

/// Checks the URL's form: https (or http when private targets are allowed), no credentials.
pub fn check_form(url: &str, allow_private: bool) -> Result<url::Url, UrlError> {
    if url.len() > MAX_URL_LEN {
        return Err(UrlError::TooLong);
    }
    let u = url::Url::parse(url).map_err(|_| UrlError::Malformed)?;
    match u.scheme() {
        "https" => {}
        "http" if allow_private => {}
        _ => return Err(UrlError::NotHttps),
    }
    if !u.username().is_empty() || u.password().is_some() {
        return Err(UrlError::Credentials);
    }
    if u.host_str().is_none_or(str::is_empty) {
        return Err(UrlError::Malformed);
    }
    Ok(u)
}

/// Whether an address is reachable on the public Internet (not loopback, private, link-local,
/// shared, documentation, multicast or unspecified; IPv4-mapped IPv6 judged as IPv4).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(a) => {
            let o = a.octets();
            !(a.is_loopback()
                || a.is_private()
                || a.is_link_local()
                || a.is_unspecified()
                || a.is_broadcast()
                || a.is_multicast()
                || a.is_documentation()
                || o[0] == 0
                || (o[0] == 100 && (64..128).contains(&o[1]))
                || (o[0] == 192 && o[1] == 0 && o[2] == 0)
                || (o[0] == 198 && (18..20).contains(&o[1]))
                || o[0] >= 240)
        }
        IpAddr::V6(a) => {
            if let Some(v4) = a.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let s = a.segments();
            !(a.is_loopback()
                || a.is_unspecified()
                || a.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                || (s[0] == 0x2001 && s[1] == 0x0db8)
                || (s[0] == 0x64 && s[1] == 0xff9b))
        }
    }
}

/// Resolves the URL's host and checks every address; returns the one to connect to.
pub async fn resolve(u: &url::Url, allow_private: bool) -> Result<SocketAddr, UrlError> {
    let host = u.host_str().ok_or(UrlError::Malformed)?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let port = u.port_or_known_default().ok_or(UrlError::Malformed)?;
    let addrs: Vec<SocketAddr> =
        tokio::time::timeout(TIMEOUT, tokio::net::lookup_host((host, port)))
            .await
            .map_err(|_| UrlError::Unresolvable)?
            .map_err(|_| UrlError::Unresolvable)?
            .collect();
    let first = *addrs.first().ok_or(UrlError::Unresolvable)?;
    if !allow_private && addrs.iter().any(|a| !is_public(a.ip())) {
        return Err(UrlError::Private);
    }
    Ok(first)
}

/// Checks a URL completely (form and addresses), as the settings form and CLI do.
pub async fn check(url: &str, allow_private: bool) -> Result<(), UrlError> {
    let u = check_form(url, allow_private)?;
    resolve(&u, allow_private).await.map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_without_credentials() {
        assert!(check_form("https://hooks.example.com/x", false).is_ok());
        assert_eq!(
            check_form("http://hooks.example.com/x", false),
            Err(UrlError::NotHttps)
        );
        assert!(check_form("http://127.0.0.1:9/x", true).is_ok());
        assert_eq!(
            check_form("ftp://hooks.example.com/", true),
            Err(UrlError::NotHttps)
        );
        assert_eq!(
            check_form("https://u:p@hooks.example.com/", false),
            Err(UrlError::Credentials)
        );
        assert_eq!(check_form("not a url", false), Err(UrlError::Malformed));
    }

    #[test]
    fn internal_addresses_are_not_public() {
        for a in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(!is_public(a.parse().unwrap()), "{a}");
        }
        for a in ["93.184.216.34", "2606:4700::1111"] {
            assert!(is_public(a.parse().unwrap()), "{a}");
        }
    }

    #[tokio::test]
    async fn loopback_urls_are_refused_unless_allowed() {
        assert_eq!(
            check("https://127.0.0.1/hook", false).await,
            Err(UrlError::Private)
        );
        assert_eq!(
            check("https://localhost/hook", false).await,
            Err(UrlError::Private)
        );
        assert!(check("https://127.0.0.1/hook", true).await.is_ok());
    }
}
