//! Who this server is: the configured public base URL (the only source of links in mail and of
//! the HTTPS decision for cookies and HSTS) and the host names it answers for. Request headers
//! (`Host`, `X-Forwarded-Proto`) never decide either, because any client can set them.

use crate::settings::DashboardArgs;
use webcore::hosts::{host_of, AllowedHosts, BadHost};

/// Why the site settings are unusable.
#[derive(Debug, thiserror::Error)]
pub enum SiteError {
    /// `SHYNET_DASHBOARD_URL` is not an absolute http(s) URL.
    #[error("SHYNET_DASHBOARD_URL `{0}` must look like https://stats.example.com")]
    BadUrl(String),
    /// An entry of `SHYNET_ALLOWED_HOSTS` is not a host name.
    #[error(transparent)]
    BadHost(#[from] BadHost),
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

/// The `Host` values this server answers for: `SHYNET_ALLOWED_HOSTS` if set (`*` = any), else
/// the local names; the dashboard URL's host is always allowed.
pub fn allowed_hosts(a: &DashboardArgs, site: Option<&SiteUrl>) -> Result<AllowedHosts, SiteError> {
    Ok(AllowedHosts::parse(
        a.allowed_hosts.as_deref(),
        site.map(|s| s.host.as_str()),
    )?)
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
        let a = allowed_hosts(&args(None, None), site.as_ref()).unwrap();
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
        let only = allowed_hosts(&args(None, Some("t.example, s.example")), None).unwrap();
        assert!(only.permits("t.example:443") && !only.permits("localhost"));
        let any = allowed_hosts(&args(None, Some("*")), None).unwrap();
        assert!(any.permits("whatever.example"));
        assert!(allowed_hosts(&args(None, Some("https://x.example")), None).is_err());
    }
}
