//! Where to go after logging in: only a path on this site. Browsers forgive a lot in a
//! `Location` (they drop tabs and newlines, read `\` as `/`, and take `//host` as another
//! site), so the target is checked after percent-decoding and anything unusual falls back to
//! the dashboard rather than being repaired.

/// Where to go when `next` is missing or refused.
pub const DEFAULT_NEXT: &str = "/dashboard/";
/// Longest accepted target.
pub const MAX_NEXT_BYTES: usize = 2048;
/// Rounds of percent-decoding applied before checking (catches `%252F`-style nesting).
const DECODE_ROUNDS: usize = 3;

/// The target to redirect to: `next` when it is a same-origin path, else [`DEFAULT_NEXT`].
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if is_local_path(n) => n.to_owned(),
        _ => DEFAULT_NEXT.to_owned(),
    }
}

fn is_local_path(raw: &str) -> bool {
    if raw.len() > MAX_NEXT_BYTES || !raw.bytes().all(|b| b.is_ascii_graphic()) {
        return false;
    }
    let mut s = raw.to_owned();
    for _ in 0..=DECODE_ROUNDS {
        if !plain_path(&s) {
            return false;
        }
        let decoded = percent_encoding::percent_decode_str(&s)
            .decode_utf8_lossy()
            .into_owned();
        if decoded == s {
            return true;
        }
        s = decoded;
    }
    false
}

/// A path starting with one `/`, with no `//`, backslash, whitespace or control character.
fn plain_path(s: &str) -> bool {
    s.starts_with('/')
        && !s.contains("//")
        && !s
            .chars()
            .any(|c| c == '\\' || c.is_whitespace() || c.is_control())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_paths_pass() {
        for ok in [
            "/dashboard/service/x/",
            "/dashboard/?startDate=2024-01-01&endDate=2024-01-31",
            "/accounts/email/",
            "/dashboard/service/%C3%A9/",
        ] {
            assert_eq!(safe_next(Some(ok)), ok);
        }
    }

    #[test]
    fn known_bypasses_fall_back() {
        for bad in [
            "//evil.example/",
            "///evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "/%2F/evil.example",
            "/%2f%2fevil.example",
            "%2F%2Fevil.example",
            "/%5Cevil.example",
            "/%5cevil.example",
            "/%09/evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/%0d%0aSet-Cookie:x=1",
            "/%0a/evil.example",
            "/%252F/evil.example",
            "/%25252F%25252Fevil.example",
            "/ /evil.example",
            "/%20/evil.example",
            "https://evil.example/",
            "http:evil.example",
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            "data:text/html,x",
            "evil.example",
            "",
            "/dashboard/\u{00e9}",
            "/\u{3000}/evil.example",
        ] {
            assert_eq!(safe_next(Some(bad)), DEFAULT_NEXT, "{bad:?}");
        }
        assert_eq!(
            safe_next(Some(&format!("/{}", "a".repeat(MAX_NEXT_BYTES)))),
            DEFAULT_NEXT
        );
        assert_eq!(safe_next(None), DEFAULT_NEXT);
    }
}
