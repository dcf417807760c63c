//! User rows (`users`): the login lookup, accounts made by sign-up or on the command line, the
//! password and API token, the admin's switches and account deletion. A new password revokes
//! everything the old one could have granted, so [`set_password`] reaches into the token and
//! throttle families in one place.

use crate::{emails, login_throttle, tokens, two_factor};
use chrono::{DateTime, Utc};
use tokio_postgres::GenericClient;

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

/// Replaces a password hash by a new hash of the same password (an imported Django hash by our
/// argon2id), only if it is still `old`: a password changed meanwhile wins. Unlike
/// [`set_password`] it keeps the API token, since the password did not change.
pub async fn replace_password_hash<C: GenericClient>(
    c: &C,
    id: i64,
    old: &str,
    new: &str,
) -> Result<bool, tokio_postgres::Error> {
    Ok(c.execute(
        "UPDATE users SET password_hash = $3 WHERE id = $1 AND password_hash = $2",
        &[&id, &old, &new],
    )
    .await?
        > 0)
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

/// The id of the user whose login is `email` (case-insensitive).
pub async fn id_by_email<C: GenericClient>(
    c: &C,
    email: &str,
) -> Result<Option<i64>, tokio_postgres::Error> {
    Ok(c.query_opt(
        "SELECT id FROM users WHERE lower(email) = lower($1)",
        &[&email],
    )
    .await?
    .map(|r| r.get(0)))
}

/// Creates an admin whose address counts as verified (the insert trigger adds it so); `false`
/// when the address is already someone's login.
pub async fn create_admin<C: GenericClient>(
    c: &C,
    email: &str,
    hash: &str,
) -> Result<bool, tokio_postgres::Error> {
    let inserted = c
        .execute(
            "INSERT INTO users (email, password_hash, is_admin) VALUES ($1, $2, true)
             ON CONFLICT DO NOTHING",
            &[&email, &hash],
        )
        .await?;
    Ok(inserted > 0)
}

/// Creates an account whose address is unverified until its link is opened; `None` when the
/// address is taken (verified by someone, or another account's login). Returns the user and
/// address ids. Run it in a transaction.
pub async fn create_unverified<C: GenericClient>(
    c: &C,
    email: &str,
    hash: &str,
) -> Result<Option<(i64, i64)>, tokio_postgres::Error> {
    if emails::taken_for_signup(c, email).await? {
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
    let email_id = emails::unverify_new(c, user_id).await?;
    Ok(Some((user_id, email_id)))
}

/// Records a login.
pub async fn touch_last_login<C: GenericClient>(
    c: &C,
    user_id: i64,
) -> Result<(), tokio_postgres::Error> {
    c.execute(
        "UPDATE users SET last_login = now() WHERE id = $1",
        &[&user_id],
    )
    .await?;
    Ok(())
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
    tokens::delete_open_links(c, user_id).await?;
    tokens::delete_other_sessions(c, user_id, keep).await?;
    // Logins that proved the old password and wait for their code end too.
    two_factor::delete_pending_of(c, user_id).await?;
    login_throttle::clear_user(c, user_id).await
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

/// The active user holding an API token, with their admin flag (for per-service access).
pub async fn by_api_token<C: GenericClient>(
    c: &C,
    token_hash: &[u8],
) -> Result<Option<User>, tokio_postgres::Error> {
    Ok(c.query_opt(
        "SELECT id, email, is_admin FROM users WHERE api_token_hash = $1 AND is_active",
        &[&token_hash],
    )
    .await?
    .map(|r| User {
        id: r.get(0),
        email: r.get(1),
        is_admin: r.get(2),
    }))
}

/// The active user holding an API token.
pub async fn id_by_api_token<C: GenericClient>(
    c: &C,
    token_hash: &[u8],
) -> Result<Option<i64>, tokio_postgres::Error> {
    Ok(c.query_opt(
        "SELECT id FROM users WHERE api_token_hash = $1 AND is_active",
        &[&token_hash],
    )
    .await?
    .map(|r| r.get(0)))
}

/// A user as the admin list shows it.
#[derive(Debug, Clone)]
pub struct Listed {
    /// Row id.
    pub id: i64,
    /// Login address.
    pub email: String,
    /// Admin flag.
    pub is_admin: bool,
    /// Active flag.
    pub is_active: bool,
    /// When the account was made.
    pub created_at: DateTime<Utc>,
    /// Last login, if any.
    pub last_login: Option<DateTime<Utc>>,
    /// Services the user owns.
    pub services: i64,
}

/// How many users there are.
pub async fn count<C: GenericClient>(c: &C) -> Result<i64, tokio_postgres::Error> {
    Ok(c.query_one("SELECT count(*) FROM users", &[]).await?.get(0))
}

/// One page (`limit` from `offset`) of every user, by address.
pub async fn page_all<C: GenericClient>(
    c: &C,
    offset: i64,
    limit: i64,
) -> Result<Vec<Listed>, tokio_postgres::Error> {
    Ok(c.query(
        "SELECT u.id, u.email, u.is_admin, u.is_active, u.created_at, u.last_login,
                (SELECT count(*) FROM services s WHERE s.owner_id = u.id)
         FROM users u ORDER BY lower(u.email), u.id LIMIT $1 OFFSET $2",
        &[&limit, &offset],
    )
    .await?
    .into_iter()
    .map(|r| Listed {
        id: r.get(0),
        email: r.get(1),
        is_admin: r.get(2),
        is_active: r.get(3),
        created_at: r.get(4),
        last_login: r.get(5),
        services: r.get(6),
    })
    .collect())
}

/// Activates or deactivates a user; `false` when there is no such user. Deactivation alone
/// does not end sessions (lookups refuse them), so callers delete them to free the rows.
pub async fn set_active<C: GenericClient>(
    c: &C,
    user_id: i64,
    active: bool,
) -> Result<bool, tokio_postgres::Error> {
    Ok(c.execute(
        "UPDATE users SET is_active = $2 WHERE id = $1",
        &[&user_id, &active],
    )
    .await?
        > 0)
}

/// Grants or revokes admin; `false` when there is no such user.
pub async fn set_admin<C: GenericClient>(
    c: &C,
    user_id: i64,
    admin: bool,
) -> Result<bool, tokio_postgres::Error> {
    Ok(c.execute(
        "UPDATE users SET is_admin = $2 WHERE id = $1",
        &[&user_id, &admin],
    )
    .await?
        > 0)
}

/// Whether deleting `user_id` would leave no active admin. Locks the users table against
/// concurrent changes first, so two admins deleting themselves at once cannot both leave.
/// Run it in the transaction that deletes.
pub async fn lock_and_is_last_admin<C: GenericClient>(
    c: &C,
    user_id: i64,
) -> Result<bool, tokio_postgres::Error> {
    c.execute("LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE", &[])
        .await?;
    Ok(c.query_one(
        "SELECT is_admin AND NOT EXISTS (SELECT 1 FROM users o
                                         WHERE o.is_admin AND o.is_active AND o.id <> $1)
         FROM users WHERE id = $1",
        &[&user_id],
    )
    .await?
    .get(0))
}

/// Stores the user's date display preference (a code the caller validated; the column's CHECK
/// refuses any other).
pub async fn set_date_style<C: GenericClient>(
    c: &C,
    user_id: i64,
    code: &str,
) -> Result<(), tokio_postgres::Error> {
    c.execute(
        "UPDATE users SET date_style = $2 WHERE id = $1",
        &[&user_id, &code],
    )
    .await?;
    Ok(())
}

/// Stores the user's language setting (`auto` or a language code the caller validated; the
/// column's CHECK refuses any other).
pub async fn set_language<C: GenericClient>(
    c: &C,
    user_id: i64,
    code: &str,
) -> Result<(), tokio_postgres::Error> {
    c.execute(
        "UPDATE users SET language = $2 WHERE id = $1",
        &[&user_id, &code],
    )
    .await?;
    Ok(())
}

/// A user's language setting (`auto` when there is no such user).
pub async fn language_of<C: GenericClient>(
    c: &C,
    user_id: i64,
) -> Result<String, tokio_postgres::Error> {
    Ok(
        c.query_opt("SELECT language FROM users WHERE id = $1", &[&user_id])
            .await?
            .map(|r| r.get(0))
            .unwrap_or_else(|| "auto".to_owned()),
    )
}

/// The language setting of the user who owns `email` as a verified address (`auto` when
/// there is none): what mail to that address is written in.
pub async fn language_of_address<C: GenericClient>(
    c: &C,
    email: &str,
) -> Result<String, tokio_postgres::Error> {
    Ok(c.query_opt(
        "SELECT u.language FROM user_emails e JOIN users u ON u.id = e.user_id
              WHERE lower(e.email) = lower($1) LIMIT 1",
        &[&email],
    )
    .await?
    .map(|r| r.get(0))
    .unwrap_or_else(|| "auto".to_owned()))
}

/// Deletes a user; addresses, collaborations, tokens, login sessions and notification opt-ins go
/// with it by foreign key, and mail still queued for any of the user's addresses is dropped.
/// Owned services must be deleted first.
pub async fn delete<C: GenericClient>(c: &C, user_id: i64) -> Result<(), tokio_postgres::Error> {
    c.execute(
        "DELETE FROM notify_outbox WHERE channel = 'mail' AND lower(target) IN (
             SELECT lower(email) FROM users WHERE id = $1
             UNION SELECT lower(email) FROM user_emails WHERE user_id = $1)",
        &[&user_id],
    )
    .await?;
    c.execute("DELETE FROM users WHERE id = $1", &[&user_id])
        .await?;
    Ok(())
}
