//! The host names this server answers for, and the guard every route sits behind. It lives here,
//! beside the peer address, because the guard runs before the ingest routes as well as the
//! dashboard's: a request for an unknown `Host` is refused before anything else looks at it.

use std::sync::Arc;
use warp::http::StatusCode;
use warp::{Filter, Reply};

/// Host names every instance answers for unless `SHYNET_ALLOWED_HOSTS` says otherwise: local
/// use, tests and probes from the same machine.
pub const LOCAL_HOSTS: &[&str] = &["localhost", "127.0.0.1", "[::1]"];

/// The one path answered whatever the `Host`: load balancers and orchestrators probe it by IP.
pub const HOST_EXEMPT_PATH: &str = "/healthz";

/// An entry of the allowed-host list that is not a host name.
#[derive(Debug, thiserror::Error)]
#[error("SHYNET_ALLOWED_HOSTS entry `{0}` is not a host name (no scheme, path or port)")]
pub struct BadHost(pub String);

/// The host part of an authority (`name[:port]`, `[v6][:port]`), lower-cased; `None` when it
/// holds anything but host-name characters.
pub fn host_of(authority: &str) -> Option<String> {
    let host = if authority.starts_with('[') {
        let end = authority.find(']')?;
        let (h, port) = authority.split_at(end + 1);
        if !(port.is_empty()
            || port[1..].bytes().all(|b| b.is_ascii_digit()) && port.starts_with(':'))
        {
            return None;
        }
        h
    } else {
        match authority.rsplit_once(':') {
            Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) => h,
            Some(_) => return None,
            None => authority,
        }
    };
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let ok = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b));
    ok.then_some(host)
}

/// The `Host` values this server answers for (like Django's `ALLOWED_HOSTS`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedHosts {
    /// `*` was configured: any host.
    any: bool,
    /// Lower-cased host names without port.
    names: Vec<String>,
}

impl AllowedHosts {
    /// `configured` (the comma-separated `SHYNET_ALLOWED_HOSTS`, `*` = any) if set and not
    /// blank, else [`LOCAL_HOSTS`]; `also` (the dashboard URL's host) is always allowed.
    pub fn parse(configured: Option<&str>, also: Option<&str>) -> Result<AllowedHosts, BadHost> {
        let configured = configured.map(str::trim).filter(|s| !s.is_empty());
        let mut names: Vec<String> = match configured {
            Some(list) => list
                .split(',')
                .map(str::trim)
                .filter(|h| !h.is_empty())
                .map(|h| {
                    if h == "*" {
                        return Ok(h.to_owned());
                    }
                    match host_of(h) {
                        Some(n) if !h.contains(':') || h.starts_with('[') => Ok(n),
                        _ => Err(BadHost(h.to_owned())),
                    }
                })
                .collect::<Result<_, _>>()?,
            None => LOCAL_HOSTS.iter().map(|h| (*h).to_owned()).collect(),
        };
        names.extend(also.map(str::to_owned));
        let any = names.iter().any(|n| n == "*");
        names.retain(|n| n != "*");
        Ok(AllowedHosts { any, names })
    }

    /// Whether a request's authority (`Host` header or absolute URI) is one of ours.
    pub fn permits(&self, authority: &str) -> bool {
        self.any || host_of(authority).is_some_and(|h| self.names.contains(&h))
    }

    /// The names, for the start-up log.
    pub fn describe(&self) -> String {
        if self.any {
            "*".into()
        } else {
            self.names.join(",")
        }
    }
}

/// A filter placed before every other route: answers 400 when the request's authority is not
/// allowed (except [`HOST_EXEMPT_PATH`]), and otherwise rejects so the real routes run.
pub fn refuse_unknown_hosts(
    allowed: AllowedHosts,
) -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone {
    let allowed = Arc::new(allowed);
    warp::path::full()
        .and(
            warp::host::optional()
                .map(|a: Option<warp::host::Authority>| a.map(|a| a.as_str().to_owned()))
                .or(warp::any().map(|| None))
                .unify(),
        )
        .and_then(move |path: warp::path::FullPath, authority: Option<String>| {
            let ok = path.as_str() == HOST_EXEMPT_PATH
                || authority.as_deref().is_some_and(|a| allowed.permits(a));
            if !ok {
                tracing::info!(host = ?authority, "request for a host not in SHYNET_ALLOWED_HOSTS refused");
            }
            async move {
                if ok {
                    Err(warp::reject::not_found())
                } else {
                    Ok(warp::reply::with_status(
                        "Unknown host: this server answers only for the host names in SHYNET_ALLOWED_HOSTS.",
                        StatusCode::BAD_REQUEST,
                    )
                    .into_response())
                }
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allowed_hosts_default_to_local_plus_the_extra_host() {
        let a = AllowedHosts::parse(None, Some("stats.example.com")).unwrap();
        for ok in [
            "localhost",
            "127.0.0.1:8080",
            "[::1]:80",
            "stats.example.com",
            "STATS.example.com.",
        ] {
            assert!(a.permits(ok), "{ok}");
        }
        for no in ["evil.example", "stats.example.com.evil", "", "a b", "[::2]"] {
            assert!(!a.permits(no), "{no}");
        }
        let only = AllowedHosts::parse(Some("t.example, s.example"), None).unwrap();
        assert!(only.permits("t.example:443") && !only.permits("localhost"));
        let any = AllowedHosts::parse(Some("*"), None).unwrap();
        assert!(any.permits("whatever.example"));
        assert!(AllowedHosts::parse(Some("https://x.example"), None).is_err());
        assert!(AllowedHosts::parse(Some("  "), None)
            .unwrap()
            .permits("localhost"));
    }

    #[tokio::test]
    async fn unknown_hosts_get_400_except_the_health_path() {
        let guard = refuse_unknown_hosts(AllowedHosts::parse(Some("s.example"), None).unwrap());
        let refused = warp::test::request()
            .path("/ingress/x/script.js")
            .header("host", "evil.example")
            .filter(&guard)
            .await
            .unwrap();
        assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
        for (path, host) in [
            ("/ingress/x/script.js", "s.example"),
            ("/healthz", "evil.example"),
        ] {
            let passed = warp::test::request()
                .path(path)
                .header("host", host)
                .filter(&guard)
                .await;
            assert!(passed.is_err(), "{path} on {host} must reach the routes");
        }
    }
}
