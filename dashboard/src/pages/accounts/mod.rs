//! Accounts: log in and out (throttled), sign up (when enabled), password change with the
//! personal API token, password reset by mailed single-use link, email addresses (several per
//! user, one primary, verification by mailed link), account deletion, two-factor login (TOTP
//! enrolment and the code step after the password), display preferences.
//!
//! Handlers never hold a pooled connection while rendering: `render` and `message` take their
//! own, and holding one across them lets a burst of requests exhaust the pool.

mod credentials;
mod emails;
mod login;
mod login_code;
mod mailing;
mod next;
mod preferences;
mod reset;
mod security;
mod signup;
mod two_factor;

pub use emails::{email_confirm, emails};
pub use login::{login, logout};
pub use login_code::login_code;
pub use next::safe_next;
pub use preferences::preferences;
pub use reset::{password_reset, password_reset_key};
pub use security::{account_delete, password_change, token_refresh};
pub use signup::signup;
pub use two_factor::two_factor_page;
