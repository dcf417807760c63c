//! Who is asking: passwords (argon2id), random tokens stored only as hashes, server-side web
//! sessions, CSRF tokens and login throttling.

pub mod addresses;
pub mod csrf;
pub mod mail_quota;
pub mod one_time;
pub mod password;
pub mod session;
pub mod throttle;
pub mod token;
pub mod users;

/// A logged-in, active user.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct User {
    /// Row id.
    pub id: i64,
    /// Login and primary address.
    pub email: String,
    /// May manage users, settings and every service.
    pub is_admin: bool,
}
