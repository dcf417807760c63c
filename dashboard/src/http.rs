//! The small request/response vocabulary the pages share: a parsed request (query, form,
//! cookies), response builders, and the security headers every dashboard response carries.

use std::net::SocketAddr;
use warp::http::header::{self, HeaderMap, HeaderValue};
use warp::http::{Method, StatusCode};
use warp::Reply;

/// A response as warp sends it.
pub type Response = warp::reply::Response;

/// Largest accepted form body; dashboard forms are small.
pub const MAX_FORM_BYTES: usize = 64 * 1024;

/// Content-Security-Policy of every page: no scripts at all, styles and images only from here.
pub const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; \
                       form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// A request, parsed once before dispatch.
#[derive(Debug, Clone)]
pub struct Req {
    /// HTTP method.
    pub method: Method,
    /// Path without the query.
    pub path: String,
    /// Raw query string ("" if none), kept to preserve date ranges in links.
    pub raw_query: String,
    /// Decoded query parameters.
    pub query: Vec<(String, String)>,
    /// Request headers.
    pub headers: HeaderMap,
    /// Decoded `application/x-www-form-urlencoded` body fields (POST only).
    pub form: Vec<(String, String)>,
    /// The TCP peer (the proxy's address when behind one).
    pub remote: Option<SocketAddr>,
}

fn first<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// Decodes `a=1&b=2`.
pub fn parse_urlencoded(s: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(s)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

impl Req {
    /// Builds a request; the body is decoded as a form when the method is POST.
    pub fn new(
        method: Method,
        path: String,
        raw_query: String,
        headers: HeaderMap,
        body: &[u8],
        remote: Option<SocketAddr>,
    ) -> Req {
        let query = parse_urlencoded(raw_query.as_bytes());
        let form = if method == Method::POST {
            parse_urlencoded(body)
        } else {
            Vec::new()
        };
        Req {
            method,
            path,
            raw_query,
            query,
            headers,
            form,
            remote,
        }
    }

    /// A query parameter.
    pub fn q(&self, key: &str) -> Option<&str> {
        first(&self.query, key)
    }

    /// A form field.
    pub fn f(&self, key: &str) -> Option<&str> {
        first(&self.form, key)
    }

    /// A form field, trimmed, "" when absent.
    pub fn field(&self, key: &str) -> String {
        self.f(key).unwrap_or("").trim().to_owned()
    }

    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// A cookie's value.
    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|kv| kv.trim().split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v)
    }

    /// The Host the browser used (for snippets shown to the requester only).
    pub fn host(&self) -> String {
        self.header("host")
            .filter(|h| {
                !h.is_empty()
                    && h.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b))
            })
            .unwrap_or("localhost")
            .to_owned()
    }

    /// The date range parameters of this request as a query string ("" when none), so links
    /// keep the range.
    pub fn range_query(&self) -> String {
        let mut out = form_urlencoded::Serializer::new(String::new());
        for key in ["startDate", "endDate"] {
            if let Some(v) = self.q(key).filter(|v| !v.is_empty()) {
                out.append_pair(key, v);
            }
        }
        out.finish()
    }
}

/// An HTML page.
pub fn html(status: StatusCode, body: String) -> Response {
    warp::reply::with_status(warp::reply::html(body), status).into_response()
}

/// A plain-text response.
pub fn text(status: StatusCode, body: &str) -> Response {
    warp::reply::with_status(body.to_owned(), status).into_response()
}

/// A JSON response.
pub fn json(status: StatusCode, body: &serde_json::Value) -> Response {
    warp::reply::with_status(warp::reply::json(body), status).into_response()
}

/// A redirect (303 after a form, so the browser follows with GET).
pub fn redirect(status: StatusCode, to: &str) -> Response {
    let mut r = warp::reply::with_status("", status).into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

/// Adds a `Set-Cookie` header.
pub fn set_cookie(resp: &mut Response, cookie: &str) {
    if let Ok(v) = HeaderValue::from_str(cookie) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
}

/// The name a cookie goes by: with the `__Host-` prefix over HTTPS, so browsers accept it only
/// when Secure, for this exact host and path `/` (a sibling subdomain cannot plant or shadow it).
pub fn cookie_name(base: &str, secure: bool) -> String {
    if secure {
        format!("__Host-{base}")
    } else {
        base.to_owned()
    }
}

/// Builds a cookie string: HttpOnly, SameSite=Lax, path /, no Domain, Secure over HTTPS.
/// `name` is the base name; [`cookie_name`] adds the prefix.
pub fn cookie(name: &str, value: &str, max_age_secs: Option<i64>, secure: bool) -> String {
    let name = cookie_name(name, secure);
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if let Some(a) = max_age_secs {
        c.push_str(&format!("; Max-Age={a}"));
    }
    if secure {
        c.push_str("; Secure");
    }
    c
}

/// HSTS lifetime sent when the dashboard URL is https (one year; subdomains are not included
/// because they may belong to other services of the operator).
pub const HSTS: &str = "max-age=31536000";

/// Security headers for every dashboard response; `https` adds HSTS.
pub fn secure_headers(resp: &mut Response, https: bool) {
    let h = resp.headers_mut();
    if https {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        );
    }
    let mut set = |k: &'static str, v: &'static str| {
        h.insert(k, HeaderValue::from_static(v));
    };
    set("content-security-policy", CSP);
    set("x-frame-options", "DENY");
    set("x-content-type-options", "nosniff");
    set("referrer-policy", "same-origin");
    set("cross-origin-opener-policy", "same-origin");
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(headers: &[(&'static str, &'static str)], query: &str) -> Req {
        let mut h = HeaderMap::new();
        for (k, v) in headers {
            h.append(*k, HeaderValue::from_static(v));
        }
        Req::new(Method::GET, "/".into(), query.into(), h, b"", None)
    }

    #[test]
    fn reads_cookies_and_query() {
        let r = req(
            &[("cookie", "a=1; shynet_session=abc"), ("cookie", "b=2")],
            "startDate=2024-01-01&x=%3Cy%3E",
        );
        assert_eq!(r.cookie("shynet_session"), Some("abc"));
        assert_eq!(r.cookie("b"), Some("2"));
        assert_eq!(r.cookie("c"), None);
        assert_eq!(r.q("x"), Some("<y>"));
        assert_eq!(r.range_query(), "startDate=2024-01-01");
    }

    #[test]
    fn hostile_host_is_replaced() {
        assert_eq!(
            req(&[("host", "a.example:8080")], "").host(),
            "a.example:8080"
        );
        assert_eq!(req(&[("host", "a\"><script>")], "").host(), "localhost");
    }
}
