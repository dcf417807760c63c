//! Page globs of page goals, translated once (when the goal is saved) into the anchored regular
//! expression the rollup job and the raw reader match `hits.location` with in SQL, so both paths
//! count the same sessions.
//!
//! A glob names a URL path and is matched against the path of every page view of a session:
//!
//! - it starts with `/` and is compared with the path only: scheme, host, query (`?…`) and
//!   fragment (`#…`) of the stored URL are ignored, and a URL without a path is `/`;
//! - one trailing `/` is optional on both sides: `/pricing` matches `/pricing` and `/pricing/`;
//! - `*` matches any run of characters within one path segment (no `/`); a segment that is `*`
//!   alone needs at least one character: `/blog/*` matches `/blog/x` and `/blog/x/` but not
//!   `/blog`, `/blog/` or `/blog/x/y`;
//! - a segment that is `**` matches zero or more whole segments: `/docs/**` matches `/docs`,
//!   `/docs/a` and `/docs/a/b`; `/a/**/b` matches `/a/b` and `/a/x/y/b`; `**` inside a segment
//!   (`/files**`) matches any characters, `/` included;
//! - everything else is literal and case-sensitive, percent-escapes included (`%20` matches
//!   `%20`, not a space).
//!
//! The expressions use only syntax that Postgres' regular expressions and Rust's `regex` read
//! the same way (literals in brackets, `[^…]` classes, `(?:…)?` groups), so the unit tests below
//! check the SQL's behaviour.

/// Longest glob, in characters.
pub const MAX_GLOB_CHARS: usize = 300;

/// A glob that cannot name a page.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GlobError {
    /// Empty.
    #[error("the page pattern is empty: give a path such as /pricing or /blog/*")]
    Empty,
    /// Not a path.
    #[error("the page pattern must start with / (a path such as /pricing, without the domain)")]
    NotAPath,
    /// Too long.
    #[error("the page pattern is longer than {MAX_GLOB_CHARS} characters")]
    TooLong,
    /// A character a path cannot hold here (whitespace, `?`, `#`, non-ASCII, quotes…).
    #[error(
        "the page pattern contains `{0}`: use the path only (letters, digits, / - . _ ~ % and \
         ! $ & ' ( ) + , ; = : @), with * and ** as wildcards"
    )]
    BadChar(char),
    /// Three or more stars in a row.
    #[error("the page pattern has `***`: use * (within a segment) or ** (any segments)")]
    TooManyStars,
}

/// Scheme and host of an absolute URL (both optional, so bare paths match too).
const PREFIX: &str = "^(?:[A-Za-z][A-Za-z0-9+.-]*:)?(?://[^/?#]*)?";
/// An optional trailing slash, then the query and fragment, whatever they are.
const SUFFIX: &str = "/?(?:[?#].*)?$";

fn allowed(c: char) -> bool {
    c.is_ascii_alphanumeric() || "/-._~!$&'()*+,;=:@%".contains(c)
}

/// Checks `glob` and returns it trimmed of surrounding whitespace.
pub fn validate(glob: &str) -> Result<String, GlobError> {
    let g = glob.trim();
    if g.is_empty() {
        return Err(GlobError::Empty);
    }
    if !g.starts_with('/') {
        return Err(GlobError::NotAPath);
    }
    if g.chars().count() > MAX_GLOB_CHARS {
        return Err(GlobError::TooLong);
    }
    if let Some(c) = g.chars().find(|c| !allowed(*c)) {
        return Err(GlobError::BadChar(c));
    }
    if g.contains("***") {
        return Err(GlobError::TooManyStars);
    }
    Ok(g.to_owned())
}

/// One segment (no `/`) as a regular expression.
fn segment(s: &str) -> String {
    if s == "*" {
        return "[^/?#]+".to_owned();
    }
    let mut out = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '*' if chars.peek() == Some(&'*') => {
                chars.next();
                out.push_str("[^?#]*");
            }
            '*' => out.push_str("[^/?#]*"),
            c if c.is_ascii_alphanumeric() => out.push(c),
            // Every other allowed character is a literal, written in brackets: no engine gives
            // a one-character bracket expression a special meaning.
            c => {
                out.push('[');
                out.push(c);
                out.push(']');
            }
        }
    }
    out
}

/// The anchored regular expression that matches a stored page URL whose path the glob names.
pub fn to_regex(glob: &str) -> Result<String, GlobError> {
    let g = validate(glob)?;
    // One trailing slash is optional anyway; the root has no segments.
    let body = g.strip_prefix('/').unwrap_or(&g);
    let body = body.strip_suffix('/').unwrap_or(body);
    let mut re = String::from(PREFIX);
    if !body.is_empty() {
        for s in body.split('/') {
            if s == "**" {
                re.push_str("(?:/[^?#]*)?");
            } else {
                re.push('/');
                re.push_str(&segment(s));
            }
        }
    }
    re.push_str(SUFFIX);
    Ok(re)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(glob: &str, url: &str) -> bool {
        regex::Regex::new(&to_regex(glob).unwrap())
            .unwrap()
            .is_match(url)
    }

    #[test]
    fn literal_paths_ignore_host_query_and_one_trailing_slash() {
        for url in [
            "https://a.example/pricing",
            "https://a.example/pricing/",
            "http://a.example:8080/pricing?plan=pro#top",
            "/pricing",
        ] {
            assert!(matches("/pricing", url), "{url}");
            assert!(matches("/pricing/", url), "{url}");
        }
        for url in [
            "https://a.example/pricing/team",
            "https://a.example/pricingx",
            "https://a.example/Pricing",
            "https://a.example/x/pricing",
            "https://pricing.example/",
        ] {
            assert!(!matches("/pricing", url), "{url}");
        }
    }

    #[test]
    fn the_root_matches_urls_without_a_path() {
        for url in [
            "https://a.example",
            "https://a.example/",
            "https://a.example/?q=1",
        ] {
            assert!(matches("/", url), "{url}");
        }
        assert!(!matches("/", "https://a.example/x"));
    }

    #[test]
    fn one_star_stays_within_a_segment() {
        assert!(matches("/blog/*", "https://a.example/blog/hello"));
        assert!(matches("/blog/*", "https://a.example/blog/hello/"));
        assert!(matches("/blog/*", "https://a.example/blog/hello?x=/y"));
        for url in [
            "https://a.example/blog",
            "https://a.example/blog/",
            "https://a.example/blog/a/b",
        ] {
            assert!(!matches("/blog/*", url), "{url}");
        }
        assert!(matches("/blog/post-*", "https://a.example/blog/post-"));
        assert!(matches("/blog/post-*", "https://a.example/blog/post-12"));
        assert!(!matches("/blog/post-*", "https://a.example/blog/post-1/2"));
    }

    #[test]
    fn two_stars_span_segments() {
        for url in [
            "https://a.example/docs",
            "https://a.example/docs/",
            "https://a.example/docs/a",
            "https://a.example/docs/a/b/c?x#y",
        ] {
            assert!(matches("/docs/**", url), "{url}");
        }
        assert!(!matches("/docs/**", "https://a.example/docsx"));
        assert!(!matches("/docs/**", "https://a.example/"));
        assert!(matches("/a/**/b", "https://a.example/a/b"));
        assert!(matches("/a/**/b", "https://a.example/a/x/y/b"));
        assert!(!matches("/a/**/b", "https://a.example/a/x/y/c"));
        assert!(matches("/files**", "https://a.example/files/x/y.pdf"));
        assert!(matches("/**", "https://a.example"));
        assert!(matches("/**", "https://a.example/any/thing"));
    }

    #[test]
    fn punctuation_is_literal() {
        assert!(matches("/a.b", "https://a.example/a.b"));
        assert!(!matches("/a.b", "https://a.example/axb"));
        assert!(matches("/c++/(x)$", "https://a.example/c++/(x)$"));
        assert!(!matches("/c++", "https://a.example/cc"));
        assert!(matches("/a%20b", "https://a.example/a%20b"));
    }

    #[test]
    fn bad_globs_are_refused_with_the_reason() {
        assert_eq!(to_regex(""), Err(GlobError::Empty));
        assert_eq!(to_regex("pricing"), Err(GlobError::NotAPath));
        assert_eq!(to_regex("https://a.example/x"), Err(GlobError::NotAPath));
        assert_eq!(to_regex("/a b"), Err(GlobError::BadChar(' ')));
        assert_eq!(to_regex("/a?b"), Err(GlobError::BadChar('?')));
        assert_eq!(to_regex("/a#b"), Err(GlobError::BadChar('#')));
        assert_eq!(to_regex("/\"x"), Err(GlobError::BadChar('"')));
        assert_eq!(to_regex("/é"), Err(GlobError::BadChar('é')));
        assert_eq!(to_regex("/a/***"), Err(GlobError::TooManyStars));
        let long = format!("/{}", "a".repeat(MAX_GLOB_CHARS));
        assert_eq!(to_regex(&long), Err(GlobError::TooLong));
        assert_eq!(validate("  /x  "), Ok("/x".to_owned()));
    }
}
