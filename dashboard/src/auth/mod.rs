//! Who is asking: passwords (argon2id), random tokens stored only as hashes, server-side web
//! sessions, CSRF tokens, login throttling and account-mail limits. The rows behind them are
//! read and written through `models`; what stays here is the policy and the secrets.

pub mod csrf;
pub mod django;
pub mod mail_quota;
pub mod one_time;
pub mod password;
pub mod session;
pub mod throttle;
pub mod token;
pub mod totp;

pub use models::users::User;
