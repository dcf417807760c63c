//! User rows as the account pages need them: the login lookup, the password and the API token.
//! A new password revokes everything the old one could have granted.

use tokio_postgres::GenericClient;

/// What a login needs to know about the account of a submitted address.
#[derive(Debug, Clone)]
pub struct LoginRow {
    /// User id.
    pub id: i64,
    /// Stored PHC hash.
    pub password_hash: String,
    /// Deactivated users cannot log in.
    pub is_active: bool,
    /// Whether the primary address is verified.
    pub verified: bool,
    /// The primary address row, if any.
    pub primary_email_id: Option<i64>,
    /// The stored primary address (mail goes here, never to what was typed).
    pub email: String,
}

/// The account whose login is `email` (case-insensitive).
pub async fn for_login<C: GenericClient>(
    c: &C,
    email: &str,
) -> Result<Option<LoginRow>, tokio_postgres::Error> {
    Ok(c.query_opt(
        "SELECT u.id, u.password_hash, u.is_active, COALESCE(e.verified, false), e.id, u.email
             FROM users u LEFT JOIN user_emails e ON e.user_id = u.id AND e.is_primary
             WHERE lower(u.email) = lower($1)",
        &[&email],
    )
    .await?
    .map(|r| LoginRow {
        id: r.get(0),
        password_hash: r.get(1),
        is_active: r.get(2),
        verified: r.get(3),
        primary_email_id: r.get(4),
        email: r.get(5),
    }))
}

/// Creates an account whose address is unverified until its link is opened; `None` when the
/// address is taken (verified by someone, or another account's login). Returns the user and
/// address ids. Run it in a transaction.
pub async fn create_unverified<C: GenericClient>(
    c: &C,
    email: &str,
    hash: &str,
) -> Result<Option<(i64, i64)>, tokio_postgres::Error> {
    if super::addresses::taken_for_signup(c, email).await? {
        return Ok(None);
    }
    let Some(user_id) = c
        .query_opt(
            "INSERT INTO users (email, password_hash) VALUES ($1, $2)
             ON CONFLICT DO NOTHING RETURNING id",
            &[&email, &hash],
        )
        .await?
        .map(|r| r.get::<_, i64>(0))
    else {
        return Ok(None);
    };
    // The insert trigger added the address as verified primary (right for admins created on
    // the command line); a self-claimed one is not.
    let email_id: i64 = c
        .query_one(
            "UPDATE user_emails SET verified = false WHERE user_id = $1 RETURNING id",
            &[&user_id],
        )
        .await?
        .get(0);
    Ok(Some((user_id, email_id)))
}

/// The stored password hash of a user.
pub async fn password_hash<C: GenericClient>(
    c: &C,
    user_id: i64,
) -> Result<String, tokio_postgres::Error> {
    Ok(
        c.query_one("SELECT password_hash FROM users WHERE id = $1", &[&user_id])
            .await?
            .get(0),
    )
}

/// Sets a new password and revokes the old one's reach: the API token, every open one-time link
/// (reset and verification), every web session but `keep`, and the account's login back-off.
/// Run it in a transaction.
pub async fn set_password<C: GenericClient>(
    c: &C,
    user_id: i64,
    hash: &str,
    keep: Option<&[u8]>,
) -> Result<(), tokio_postgres::Error> {
    c.execute(
        "UPDATE users SET password_hash = $2, api_token_hash = NULL WHERE id = $1",
        &[&user_id, &hash],
    )
    .await?;
    c.execute(
        "DELETE FROM one_time_tokens WHERE user_id = $1 AND used_at IS NULL",
        &[&user_id],
    )
    .await?;
    super::session::destroy_others(c, user_id, keep).await?;
    super::throttle::clear_user(c, user_id).await
}

/// Whether the user has an API token.
pub async fn has_api_token<C: GenericClient>(
    c: &C,
    user_id: i64,
) -> Result<bool, tokio_postgres::Error> {
    Ok(c.query_one(
        "SELECT api_token_hash IS NOT NULL FROM users WHERE id = $1",
        &[&user_id],
    )
    .await?
    .get(0))
}

/// Replaces the user's API token (stored hashed).
pub async fn set_api_token<C: GenericClient>(
    c: &C,
    user_id: i64,
    token_hash: &[u8],
) -> Result<(), tokio_postgres::Error> {
    c.execute(
        "UPDATE users SET api_token_hash = $2 WHERE id = $1",
        &[&user_id, &token_hash],
    )
    .await?;
    Ok(())
}
