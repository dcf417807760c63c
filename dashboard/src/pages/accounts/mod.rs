//! Accounts: log in and out (throttled), sign up (when enabled), password change with the
//! personal API token, password reset by mailed single-use link, email addresses (several per
//! user, one primary, verification by mailed link), account deletion.
//!
//! Handlers never hold a pooled connection while rendering: `render` and `message` take their
//! own, and holding one across them lets a burst of requests exhaust the pool.

mod emails;
mod login;
mod mailing;
mod next;
mod reset;
mod security;
mod signup;

pub use emails::{email_confirm, emails};
pub use login::{login, logout};
pub use next::safe_next;
pub use reset::{password_reset, password_reset_key};
pub use security::{account_delete, password_change, token_refresh};
pub use signup::signup;

use crate::auth::{password, session, token, users};
use crate::http;
use crate::routes::{Ctx, PageError};
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
async fn dummy_hash() -> &'static str {
    static H: OnceCell<String> = OnceCell::const_new();
    H.get_or_init(|| async { password::hash(token::new_token()).await.unwrap_or_default() })
        .await
}

fn session_cookie(ctx: &Ctx, value: &str, max_age: i64) -> String {
    http::cookie(session::COOKIE, value, Some(max_age), ctx.secure)
}

/// Whether `given` is the signed-in user's password: the re-check before a sensitive change.
async fn current_password_matches<C: GenericClient>(
    c: &C,
    user_id: i64,
    given: &str,
) -> Result<bool, PageError> {
    let stored = users::password_hash(c, user_id).await?;
    Ok(password::verify(given.to_owned(), stored).await)
}

/// The answer when the current password given with a sensitive change is wrong.
const WRONG_CURRENT: &str = "The current password is wrong.";

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
