//! Who this server is: the configured public base URL (the only source of links in mail and of
//! the HTTPS decision for cookies and HSTS) and the host names it answers for. Request headers
//! (`Host`, `X-Forwarded-Proto`) never decide either, because any client can set them.

use crate::http::{self, Response};
use crate::settings::DashboardArgs;
use std::sync::Arc;
use warp::http::StatusCode;
use warp::Filter;

/// Host names every instance answers for unless `SHYNET_ALLOWED_HOSTS` says otherwise: local
/// use, tests and probes from the same machine.
pub const LOCAL_HOSTS: &[&str] = &["localhost", "127.0.0.1", "[::1]"];

/// The one path answered whatever the `Host`: load balancers and orchestrators probe it by IP.
pub const HOST_EXEMPT_PATH: &str = "/healthz";

/// Why the site settings are unusable.
#[derive(Debug, thiserror::Error)]
pub enum SiteError {
    /// `SHYNET_DASHBOARD_URL` is not an absolute http(s) URL.
    #[error("SHYNET_DASHBOARD_URL `{0}` must look like https://stats.example.com")]
    BadUrl(String),
    /// An entry of `SHYNET_ALLOWED_HOSTS` is not a host name.
    #[error("SHYNET_ALLOWED_HOSTS entry `{0}` is not a host name (no scheme, path or port)")]
    BadHost(String),
}

/// The configured public base URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteUrl {
    /// `scheme://authority[/path]` without a trailing slash: links are `base + "/accounts/…"`.
    pub base: String,
    /// Whether users reach the dashboard over HTTPS.
    pub https: bool,
    /// The host name, lower-cased, without port (IPv6 in brackets).
    pub host: String,
}

impl SiteUrl {
    /// Parses `SHYNET_DASHBOARD_URL`; `None` when unset or blank.
    pub fn from_args(a: &DashboardArgs) -> Result<Option<SiteUrl>, SiteError> {
        let Some(raw) = a
            .dashboard_url
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty())
        else {
            return Ok(None);
        };
        let bad = || SiteError::BadUrl(raw.to_owned());
        let (https, rest) = if let Some(r) = raw.strip_prefix("https://") {
            (true, r)
        } else if let Some(r) = raw.strip_prefix("http://") {
            (false, r)
        } else {
            return Err(bad());
        };
        let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
        if authority.contains('@') || rest.contains(['?', '#']) {
            return Err(bad());
        }
        let host = host_of(authority).ok_or_else(bad)?;
        Ok(Some(SiteUrl {
            base: raw.trim_end_matches('/').to_owned(),
            https,
            host,
        }))
    }
}

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
    /// `SHYNET_ALLOWED_HOSTS` if set (`*` = any), else [`LOCAL_HOSTS`]; the dashboard URL's host
    /// is always allowed.
    pub fn from_args(a: &DashboardArgs, site: Option<&SiteUrl>) -> Result<AllowedHosts, SiteError> {
        let configured = a
            .allowed_hosts
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty());
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
                        _ => Err(SiteError::BadHost(h.to_owned())),
                    }
                })
                .collect::<Result<_, _>>()?,
            None => LOCAL_HOSTS.iter().map(|h| (*h).to_owned()).collect(),
        };
        names.extend(site.map(|s| s.host.clone()));
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
) -> impl Filter<Extract = (Response,), Error = warp::Rejection> + Clone {
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
                    Ok(http::text(
                        StatusCode::BAD_REQUEST,
                        "Unknown host: this server answers only for the host names in SHYNET_ALLOWED_HOSTS.",
                    ))
                }
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(url: Option<&str>, hosts: Option<&str>) -> DashboardArgs {
        DashboardArgs {
            dashboard_url: url.map(Into::into),
            allowed_hosts: hosts.map(Into::into),
            ..Default::default()
        }
    }

    #[test]
    fn site_url_parses_scheme_and_host() {
        let s = SiteUrl::from_args(&args(Some("https://Stats.Example.com:8443/"), None))
            .unwrap()
            .unwrap();
        assert_eq!(s.base, "https://Stats.Example.com:8443");
        assert!(s.https);
        assert_eq!(s.host, "stats.example.com");
        assert!(SiteUrl::from_args(&args(None, None)).unwrap().is_none());
        for bad in [
            "stats.example.com",
            "ftp://x",
            "https://a@b.example",
            "https://",
            "https://x/?a",
        ] {
            assert!(SiteUrl::from_args(&args(Some(bad), None)).is_err(), "{bad}");
        }
    }

    #[test]
    fn allowed_hosts_default_to_local_plus_dashboard_host() {
        let site = SiteUrl::from_args(&args(Some("https://stats.example.com"), None)).unwrap();
        let a = AllowedHosts::from_args(&args(None, None), site.as_ref()).unwrap();
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
        let only =
            AllowedHosts::from_args(&args(None, Some("t.example, s.example")), None).unwrap();
        assert!(only.permits("t.example:443") && !only.permits("localhost"));
        let any = AllowedHosts::from_args(&args(None, Some("*")), None).unwrap();
        assert!(any.permits("whatever.example"));
        assert!(AllowedHosts::from_args(&args(None, Some("https://x.example")), None).is_err());
    }
}
