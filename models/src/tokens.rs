//! Secrets handed to a browser or mailed, stored only as hashes: single-use links
//! (`one_time_tokens`: password reset, address verification) and web sessions (`web_sessions`:
//! the cookie's token, its user and CSRF secret). Both are looked up by the hash of what the
//! browser presents and die by expiry, so they share a family. Callers hash; nothing here sees
//! a token in the clear.

use tokio_postgres::GenericClient;

/// What a link is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Choose a new password.
    Reset,
    /// Prove an address.
    Verify,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::Reset => "reset",
            Purpose::Verify => "verify",
        }
    }
}

/// Stores a link valid for `hours`.
pub async fn create_link<C: GenericClient>(
    c: &C,
    token_hash: &[u8],
    purpose: Purpose,
    user_id: i64,
    email_id: Option<i64>,
    hours: i32,
) -> Result<(), tokio_postgres::Error> {
    c.execute(
        "INSERT INTO one_time_tokens (token_hash, purpose, user_id, email_id, expires_at)
         VALUES ($1, $2, $3, $4, now() + make_interval(hours => $5))",
        &[&token_hash, &purpose.as_str(), &user_id, &email_id, &hours],
    )
    .await?;
    Ok(())
}

/// The user and address of an unused, unexpired link.
pub async fn open_link<C: GenericClient>(
    c: &C,
    token_hash: &[u8],
    purpose: Purpose,
) -> Result<Option<(i64, Option<i64>)>, tokio_postgres::Error> {
    Ok(c.query_opt(
        "SELECT user_id, email_id FROM one_time_tokens
             WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > now()",
        &[&token_hash, &purpose.as_str()],
    )
    .await?
    .map(|r| (r.get(0), r.get(1))))
}

/// Marks a link used, atomically: only one of two concurrent uses gets `Some`.
pub async fn consume_link<C: GenericClient>(
    c: &C,
    token_hash: &[u8],
    purpose: Purpose,
) -> Result<Option<(i64, Option<i64>)>, tokio_postgres::Error> {
    Ok(c.query_opt(
        "UPDATE one_time_tokens SET used_at = now()
             WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > now()
             RETURNING user_id, email_id",
        &[&token_hash, &purpose.as_str()],
    )
    .await?
    .map(|r| (r.get(0), r.get(1))))
}

/// Unused, unexpired links of a user for a purpose.
pub async fn count_open_links<C: GenericClient>(
    c: &C,
    user_id: i64,
    purpose: Purpose,
) -> Result<i64, tokio_postgres::Error> {
    Ok(c.query_one(
        "SELECT count(*) FROM one_time_tokens
             WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > now()",
        &[&user_id, &purpose.as_str()],
    )
    .await?
    .get(0))
}

/// Voids every unused link of a user (a new password makes old reset and verification mails
/// worthless).
pub async fn delete_open_links<C: GenericClient>(
    c: &C,
    user_id: i64,
) -> Result<(), tokio_postgres::Error> {
    c.execute(
        "DELETE FROM one_time_tokens WHERE user_id = $1 AND used_at IS NULL",
        &[&user_id],
    )
    .await?;
    Ok(())
}

/// A live session's row: its CSRF secret and its (active) user.
#[derive(Debug, Clone)]
pub struct SessionRow {
    /// User id.
    pub user_id: i64,
    /// The user's login address.
    pub email: String,
    /// Whether the user is an admin.
    pub is_admin: bool,
    /// Secret every form must echo.
    pub csrf: String,
    /// The user's date display preference (`users.date_style`).
    pub date_style: String,
    /// The user's language setting (`users.language`: `auto` or a language code).
    pub language: String,
}

/// Stores a session valid for `days`.
pub async fn create_session<C: GenericClient>(
    c: &C,
    token_hash: &[u8],
    user_id: i64,
    csrf: &str,
    days: i32,
) -> Result<(), tokio_postgres::Error> {
    c.execute(
        "INSERT INTO web_sessions (token_hash, user_id, csrf_token, expires_at)
         VALUES ($1, $2, $3, now() + make_interval(days => $4::int))",
        &[&token_hash, &user_id, &csrf, &days],
    )
    .await?;
    Ok(())
}

/// The unexpired session under `token_hash`, if its user is active: checking `is_active` on
/// every lookup is what ends a deactivated user's sessions at once.
pub async fn find_session<C: GenericClient>(
    c: &C,
    token_hash: &[u8],
) -> Result<Option<SessionRow>, tokio_postgres::Error> {
    Ok(c.query_opt(
        "SELECT u.id, u.email, u.is_admin, s.csrf_token, u.date_style, u.language
             FROM web_sessions s
             JOIN users u ON u.id = s.user_id
             WHERE s.token_hash = $1 AND s.expires_at > now() AND u.is_active",
        &[&token_hash],
    )
    .await?
    .map(|r| SessionRow {
        user_id: r.get(0),
        email: r.get(1),
        is_admin: r.get(2),
        csrf: r.get(3),
        date_style: r.get(4),
        language: r.get(5),
    }))
}

/// Ends one session.
pub async fn delete_session<C: GenericClient>(
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
pub async fn delete_other_sessions<C: GenericClient>(
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

/// Ends every session of a user (deactivation).
pub async fn delete_sessions_of<C: GenericClient>(
    c: &C,
    user_id: i64,
) -> Result<(), tokio_postgres::Error> {
    c.execute("DELETE FROM web_sessions WHERE user_id = $1", &[&user_id])
        .await?;
    Ok(())
}

/// Deletes expired sessions, and links a day past expiry.
pub async fn prune<C: GenericClient>(c: &C) -> Result<(), tokio_postgres::Error> {
    c.batch_execute(
        "DELETE FROM web_sessions WHERE expires_at < now();
         DELETE FROM one_time_tokens WHERE expires_at < now() - interval '1 day';",
    )
    .await
}
