//! Single-use links (password reset, address verification): the mailed token is made here and
//! stored only as its hash.

use super::token;
use models::tokens;
pub use models::tokens::Purpose;
use tokio_postgres::GenericClient;

/// How long a reset or verification link works.
pub const LINK_HOURS: i32 = 24;

/// Creates a link and returns its token (the only copy outside the mail).
pub async fn create<C: GenericClient>(
    c: &C,
    purpose: Purpose,
    user_id: i64,
    email_id: Option<i64>,
) -> Result<String, tokio_postgres::Error> {
    let t = token::new_token();
    tokens::create_link(c, &token::hash(&t), purpose, user_id, email_id, LINK_HOURS).await?;
    Ok(t)
}

/// The user and address of an unused, unexpired link.
pub async fn open<C: GenericClient>(
    c: &C,
    t: &str,
    purpose: Purpose,
) -> Result<Option<(i64, Option<i64>)>, tokio_postgres::Error> {
    tokens::open_link(c, &token::hash(t), purpose).await
}

/// Marks a link used, atomically: only one of two concurrent uses gets `Some`.
pub async fn consume<C: GenericClient>(
    c: &C,
    t: &str,
    purpose: Purpose,
) -> Result<Option<(i64, Option<i64>)>, tokio_postgres::Error> {
    tokens::consume_link(c, &token::hash(t), purpose).await
}

/// Unused, unexpired links of a user for a purpose.
pub async fn count_open<C: GenericClient>(
    c: &C,
    user_id: i64,
    purpose: Purpose,
) -> Result<i64, tokio_postgres::Error> {
    tokens::count_open_links(c, user_id, purpose).await
}
