//! What several account pages check or set: the shape of an address, the current password
//! before a sensitive change (with a constant-time miss for unknown users), the session cookie.

use crate::auth::{password, session, token};
use crate::http;
use crate::page_error::PageError;
use crate::request_context::Ctx;
use models::users;
use tokio::sync::OnceCell;
use tokio_postgres::GenericClient;

/// Basic shape check of an email address (ownership is proven by the verification link).
pub fn valid_email(email: &str) -> bool {
    let e = email.trim();
    e.len() <= 254
        && e.split_once('@').is_some_and(|(l, d)| {
            !l.is_empty()
                && d.contains('.')
                && !d.starts_with('.')
                && !d.ends_with('.')
                && !d.contains('@')
        })
        && !e
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>')
}

/// A hash that never matches, verified when the user does not exist so timing does not tell.
pub(super) async fn dummy_hash() -> &'static str {
    static H: OnceCell<String> = OnceCell::const_new();
    H.get_or_init(|| async { password::hash(token::new_token()).await.unwrap_or_default() })
        .await
}

pub(super) fn session_cookie(ctx: &Ctx, value: &str, max_age: i64) -> String {
    http::cookie(session::COOKIE, value, Some(max_age), ctx.secure)
}

/// Whether `given` is the signed-in user's password: the re-check before a sensitive change.
pub(super) async fn current_password_matches<C: GenericClient>(
    c: &C,
    user_id: i64,
    given: &str,
) -> Result<bool, PageError> {
    let stored = users::password_hash(c, user_id).await?;
    Ok(password::verify(given.to_owned(), stored).await)
}

/// The answer when the current password given with a sensitive change is wrong.
pub(super) const WRONG_CURRENT: &str = "error-wrong-current-password";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_shapes() {
        assert!(valid_email("a@b.example"));
        assert!(!valid_email("a@b"));
        assert!(!valid_email("<a@b.example>"));
        assert!(!valid_email("a b@c.example"));
    }
}
