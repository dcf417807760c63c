//! Size limits on everything a visitor's browser can send. They are explicit constants so that
//! both entrances enforce the same bounds and an owner can read them in one place.

/// Largest accepted beacon body (bytes). Larger bodies get 413.
pub const MAX_BODY_BYTES: usize = 16 * 1024;
/// Longest accepted page URL or referrer (bytes). Longer values get 400.
pub const MAX_URL_BYTES: usize = 4096;
/// Longest accepted identifier from the script/pixel path (bytes, after URL-decoding).
pub const MAX_IDENTIFIER_BYTES: usize = 256;
/// Longest accepted idempotency token (bytes).
pub const MAX_IDEMPOTENCY_BYTES: usize = 64;
/// User-Agent strings are cut to this many bytes before classification and storage; real
/// browsers stay far below it.
pub const MAX_USER_AGENT_BYTES: usize = 512;
/// Largest plausible page load time (ms); larger values are treated as unknown.
pub const MAX_LOAD_TIME_MS: f64 = 10.0 * 60.0 * 1000.0;

/// Cuts `s` to at most `max` bytes on a character boundary.
pub fn truncate_utf8(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Removes NUL characters, which Postgres text columns refuse: one stray NUL would otherwise
/// make Postgres reject a whole batch of otherwise good beacons.
pub fn strip_nul(s: &mut String) {
    if s.contains('\0') {
        s.retain(|c| c != '\0');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_characters_are_removed_and_nothing_else() {
        let mut s = String::from("a\0b\0\0c é");
        strip_nul(&mut s);
        assert_eq!(s, "abc é");
    }

    #[test]
    fn truncate_respects_char_boundaries() {
        assert_eq!(truncate_utf8("héllo", 2), "h");
        assert_eq!(truncate_utf8("héllo", 3), "hé");
        assert_eq!(truncate_utf8("abc", 10), "abc");
    }
}
