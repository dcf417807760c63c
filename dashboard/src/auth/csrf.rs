//! CSRF protection for every state-changing form: logged-in browsers echo their session's
//! secret; anonymous forms (login, sign-up, reset) use a double-submit cookie. SameSite=Lax
//! cookies are a second layer, not the only one.

use super::token;

/// Base name of the cookie holding the anonymous CSRF secret (`__Host-` prefixed over HTTPS).
pub const COOKIE: &str = "shynet_csrf";
/// Form field every POST must carry.
pub const FIELD: &str = "csrf";

/// Whether the submitted token matches the expected one.
pub fn check(expected: &str, submitted: Option<&str>) -> bool {
    match submitted {
        Some(s) if !expected.is_empty() => {
            token::constant_time_eq(expected.as_bytes(), s.as_bytes())
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_missing_and_wrong_tokens() {
        assert!(check("abc", Some("abc")));
        assert!(!check("abc", Some("abd")));
        assert!(!check("abc", None));
        assert!(!check("", Some("")));
    }
}
