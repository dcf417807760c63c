//! Single-use links (password reset, address verification), stored as hashes of the mailed
//! token.

use super::token;
use tokio_postgres::GenericClient;

/// How long a reset or verification link works.
pub const LINK_HOURS: i32 = 24;

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

/// Creates a link and returns its token (the only copy outside the mail).
pub async fn create<C: GenericClient>(
    c: &C,
    purpose: Purpose,
    user_id: i64,
    email_id: Option<i64>,
) -> Result<String, tokio_postgres::Error> {
    let t = token::new_token();
    c.execute(
        "INSERT INTO one_time_tokens (token_hash, purpose, user_id, email_id, expires_at)
         VALUES ($1, $2, $3, $4, now() + make_interval(hours => $5))",
        &[
            &token::hash(&t),
            &purpose.as_str(),
            &user_id,
            &email_id,
            &LINK_HOURS,
        ],
    )
    .await?;
    Ok(t)
}

/// The user and address of an unused, unexpired link.
pub async fn open<C: GenericClient>(
    c: &C,
    t: &str,
    purpose: Purpose,
) -> Result<Option<(i64, Option<i64>)>, tokio_postgres::Error> {
    Ok(c.query_opt(
        "SELECT user_id, email_id FROM one_time_tokens
             WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > now()",
        &[&token::hash(t), &purpose.as_str()],
    )
    .await?
    .map(|r| (r.get(0), r.get(1))))
}

/// Marks a link used, atomically: only one of two concurrent uses gets `Some`.
pub async fn consume<C: GenericClient>(
    c: &C,
    t: &str,
    purpose: Purpose,
) -> Result<Option<(i64, Option<i64>)>, tokio_postgres::Error> {
    Ok(c.query_opt(
        "UPDATE one_time_tokens SET used_at = now()
             WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > now()
             RETURNING user_id, email_id",
        &[&token::hash(t), &purpose.as_str()],
    )
    .await?
    .map(|r| (r.get(0), r.get(1))))
}

/// Unused, unexpired links of a user for a purpose.
pub async fn count_open<C: GenericClient>(
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
