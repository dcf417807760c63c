//! Alert webhooks: the owner's URL is checked (https, public address) when it is saved and again
//! at every call, because a name can resolve elsewhere later; the call goes to the address that
//! was checked (no second lookup), follows no redirects, and has a deadline and a cap on the
//! response it reads. Bodies are signed with the service's secret:
//! `X-Shynet-Signature: sha256=hex(HMAC-SHA256(secret, "{timestamp}.{body}"))` with the Unix
//! time in `X-Shynet-Timestamp`, so a receiver can refuse old (replayed) deliveries.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

/// Longest URL accepted.
pub const MAX_URL_LEN: usize = 2000;
/// Deadline of one call (connect, send, and read the answer).
pub const TIMEOUT: Duration = Duration::from_secs(10);
/// Most bytes of a receiver's answer read (the rest is ignored).
pub const MAX_RESPONSE_BYTES: usize = 64 * 1024;
/// Signature header.
pub const SIGNATURE_HEADER: &str = "X-Shynet-Signature";
/// Timestamp header.
pub const TIMESTAMP_HEADER: &str = "X-Shynet-Timestamp";

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
pub fn check_form(url: &str, allow_private: bool) -> Result<reqwest::Url, UrlError> {
    if url.len() > MAX_URL_LEN {
        return Err(UrlError::TooLong);
    }
    let u = reqwest::Url::parse(url).map_err(|_| UrlError::Malformed)?;
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
pub async fn resolve(u: &reqwest::Url, allow_private: bool) -> Result<SocketAddr, UrlError> {
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

/// `sha256=` and the hex HMAC-SHA256 of `"{timestamp}.{body}"` under `secret`.
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .expect("HMAC takes any key length");
    m.update(timestamp.to_string().as_bytes());
    m.update(b".");
    m.update(body);
    format!("sha256={}", hex::encode(m.finalize().into_bytes()))
}

/// POSTs a signed JSON body; `Err` carries a reason fit for a log (no secret in it).
pub async fn post(url: &str, body: &str, secret: &str, allow_private: bool) -> Result<u16, String> {
    let u = check_form(url, allow_private).map_err(|e| e.to_string())?;
    let addr = resolve(&u, allow_private)
        .await
        .map_err(|e| e.to_string())?;
    let host = u.host_str().unwrap_or_default().to_owned();
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(TIMEOUT)
        .resolve(&host, addr)
        .build()
        .map_err(|e| format!("client: {e}"))?;
    let ts = chrono::Utc::now().timestamp();
    let mut resp = client
        .post(u)
        .header("content-type", "application/json")
        .header("user-agent", "Shynet-Webhook")
        .header(TIMESTAMP_HEADER, ts.to_string())
        .header(SIGNATURE_HEADER, sign(secret, ts, body.as_bytes()))
        .body(body.to_owned())
        .send()
        .await
        .map_err(|e| format!("request: {}", e.without_url()))?;
    let status = resp.status().as_u16();
    let mut read = 0usize;
    while read < MAX_RESPONSE_BYTES {
        match tokio::time::timeout(TIMEOUT, resp.chunk()).await {
            Ok(Ok(Some(c))) => read += c.len(),
            _ => break,
        }
    }
    if (200..300).contains(&status) {
        Ok(status)
    } else {
        Err(format!("the receiver answered {status}"))
    }
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

    #[test]
    fn signature_covers_timestamp_and_body() {
        let a = sign("k", 1, b"{}");
        assert!(a.starts_with("sha256=") && a.len() == 7 + 64);
        assert_ne!(a, sign("k", 2, b"{}"));
        assert_ne!(a, sign("k", 1, b"{ }"));
        assert_ne!(a, sign("j", 1, b"{}"));
    }
}
