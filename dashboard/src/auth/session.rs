//! Server-side web sessions: the cookie holds a random token, Postgres holds its hash, the user
//! and the session's CSRF secret. Deactivated users' sessions stop working at once because every
//! lookup checks `is_active`.

use super::{token, User};
use tokio_postgres::GenericClient;

/// Cookie base name (`__Host-` prefixed over HTTPS, see [`crate::http::cookie_name`]).
pub const COOKIE: &str = "shynet_session";
/// Lifetime of a session.
pub const LIFETIME_DAYS: i64 = 14;

/// A live session.
#[derive(Debug, Clone)]
pub struct WebSession {
    /// Stored hash of the cookie token.
    pub token_hash: Vec<u8>,
    /// Secret every form must echo.
    pub csrf: String,
    /// Whose it is.
    pub user: User,
}

/// Creates a session and returns the cookie token.
pub async fn create<C: GenericClient>(
    c: &C,
    user_id: i64,
) -> Result<String, tokio_postgres::Error> {
    let t = token::new_token();
    c.execute(
        "INSERT INTO web_sessions (token_hash, user_id, csrf_token, expires_at)
         VALUES ($1, $2, $3, now() + make_interval(days => $4::int))",
        &[
            &token::hash(&t),
            &user_id,
            &token::new_token(),
            &(LIFETIME_DAYS as i32),
        ],
    )
    .await?;
    c.execute(
        "UPDATE users SET last_login = now() WHERE id = $1",
        &[&user_id],
    )
    .await?;
    Ok(t)
}

/// Finds the session of a cookie token, if valid and its user is active.
pub async fn load<C: GenericClient>(
    c: &C,
    cookie_token: &str,
) -> Result<Option<WebSession>, tokio_postgres::Error> {
    if cookie_token.len() != 64 {
        return Ok(None);
    }
    let h = token::hash(cookie_token);
    let row = c
        .query_opt(
            "SELECT u.id, u.email, u.is_admin, s.csrf_token FROM web_sessions s
             JOIN users u ON u.id = s.user_id
             WHERE s.token_hash = $1 AND s.expires_at > now() AND u.is_active",
            &[&h],
        )
        .await?;
    Ok(row.map(|r| WebSession {
        token_hash: h,
        csrf: r.get(3),
        user: User {
            id: r.get(0),
            email: r.get(1),
            is_admin: r.get(2),
        },
    }))
}

/// Ends one session.
pub async fn destroy<C: GenericClient>(
    c: &C,
    token_hash: &[u8],
) -> Result<(), tokio_postgres::Error> {
    c.execute(
        "DELETE FROM web_sessions WHERE token_hash = $1",
        &[&token_hash],
    )
    .await?;
    Ok(())
}

/// Ends every session of a user except `keep` (after a password change or reset).
pub async fn destroy_others<C: GenericClient>(
    c: &C,
    user_id: i64,
    keep: Option<&[u8]>,
) -> Result<(), tokio_postgres::Error> {
    c.execute(
        "DELETE FROM web_sessions WHERE user_id = $1 AND ($2::bytea IS NULL OR token_hash <> $2)",
        &[&user_id, &keep],
    )
    .await?;
    Ok(())
}

/// Deletes expired sessions and one-time tokens (called now and then).
pub async fn prune<C: GenericClient>(c: &C) -> Result<(), tokio_postgres::Error> {
    c.batch_execute(
        "DELETE FROM web_sessions WHERE expires_at < now();
         DELETE FROM one_time_tokens WHERE expires_at < now() - interval '1 day';
         DELETE FROM login_throttle WHERE last_at < now() - interval '1 day';
         DELETE FROM account_mail_log WHERE sent_at < now() - interval '1 day';",
    )
    .await
}
