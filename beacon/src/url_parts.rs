//! The pieces of a page or referrer URL that attribution reads: host, path, query parameters
//! and fragment. Beacon URLs are already bounded ([`crate::limits::MAX_URL_BYTES`]) and often not
//! quite valid (app referrers like `android-app://com.google.android.gm`, stray spaces,
//! unencoded characters), so they are split leniently here instead of being rejected by a
//! strict URL parser: whatever cannot be read simply yields empty parts.

use percent_encoding::percent_decode_str;
use std::borrow::Cow;

/// A URL split into its parts, borrowing from the original.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UrlParts<'a> {
    /// Everything before `://` ("" when there is none).
    pub scheme: &'a str,
    /// The host as written, without user info and port.
    pub host: &'a str,
    /// From the first `/` after the host up to `?` or `#` (may be empty).
    pub path: &'a str,
    /// Between `?` and `#`, without either.
    pub query: Option<&'a str>,
    /// After `#`.
    pub fragment: Option<&'a str>,
}

/// Splits `url`. A value without `://` is read as a host followed by a path, the way a
/// `ref=news.example/post` parameter is written.
pub fn split(url: &str) -> UrlParts<'_> {
    let url = url.trim();
    let (rest, fragment) = match url.split_once('#') {
        Some((r, f)) => (r, Some(f)),
        None => (url, None),
    };
    let (rest, query) = match rest.split_once('?') {
        Some((r, q)) => (r, Some(q)),
        None => (rest, None),
    };
    let (scheme, rest) = rest.split_once("://").unwrap_or(("", rest));
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if let Some(v6) = host_port.strip_prefix('[') {
        v6.split_once(']').map_or(v6, |(h, _)| h)
    } else {
        host_port.split_once(':').map_or(host_port, |(h, _)| h)
    };
    UrlParts {
        scheme,
        host,
        path,
        query,
        fragment,
    }
}

/// The host of `url`, lower-cased and without a trailing dot ("" when there is none).
pub fn host(url: &str) -> String {
    split(url).host.trim_end_matches('.').to_ascii_lowercase()
}

/// Decodes one form-encoded query component: `+` is a space, `%XX` a byte; invalid UTF-8 is
/// replaced rather than refused.
pub fn decode(s: &str) -> Cow<'_, str> {
    if !s.contains(['+', '%']) {
        return Cow::Borrowed(s);
    }
    let spaced = s.replace('+', " ");
    Cow::Owned(percent_decode_str(&spaced).decode_utf8_lossy().into_owned())
}

/// The query's `name=value` pairs, decoded, in order; empty segments are skipped and a name
/// without `=` has an empty value.
pub fn params(query: &str) -> impl Iterator<Item = (Cow<'_, str>, Cow<'_, str>)> {
    query.split('&').filter(|s| !s.is_empty()).map(|seg| {
        let (n, v) = seg.split_once('=').unwrap_or((seg, ""));
        (decode(n), decode(v))
    })
}

/// The first non-empty value of parameter `name` (ASCII case-insensitive) in `url`'s query.
pub fn param<'a>(url: &'a str, name: &str) -> Option<Cow<'a, str>> {
    params(split(url).query?)
        .find(|(n, v)| n.eq_ignore_ascii_case(name) && !v.trim().is_empty())
        .map(|(_, v)| v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_the_usual_and_the_odd() {
        let p = split("https://user:pw@Shop.Example:8443/a/b?x=1&y=2#top");
        assert_eq!(
            (p.scheme, p.host, p.path, p.query, p.fragment),
            (
                "https",
                "Shop.Example",
                "/a/b",
                Some("x=1&y=2"),
                Some("top")
            )
        );
        let p = split("android-app://com.google.android.gm/");
        assert_eq!((p.host, p.path), ("com.google.android.gm", "/"));
        let p = split("http://[2001:db8::1]:80/x");
        assert_eq!((p.host, p.path), ("2001:db8::1", "/x"));
        let p = split("news.example/post?id=3");
        assert_eq!((p.scheme, p.host, p.path), ("", "news.example", "/post"));
        assert_eq!(split(""), UrlParts::default());
        assert_eq!(host("https://WWW.Example.COM./x"), "www.example.com");
    }

    #[test]
    fn query_parameters_are_decoded() {
        let got: Vec<(String, String)> = params("a=1&&b=x+y%21&c&d=%E2%82%AC&e=%FF")
            .map(|(n, v)| (n.into_owned(), v.into_owned()))
            .collect();
        assert_eq!(
            got,
            [
                ("a", "1"),
                ("b", "x y!"),
                ("c", ""),
                ("d", "€"),
                ("e", "\u{fffd}")
            ]
            .map(|(a, b)| (a.to_owned(), b.to_owned()))
        );
        assert_eq!(
            param("https://x/?UTM_Source=&utm_source=News", "utm_source").as_deref(),
            Some("News")
        );
        assert_eq!(param("https://x/#?utm_source=a", "utm_source"), None);
    }
}
