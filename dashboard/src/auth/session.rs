//! Server-side web sessions: the cookie holds a random token, Postgres holds its hash, the user
//! and the session's CSRF secret. Deactivated users' sessions stop working at once because every
//! lookup checks `is_active`.

use super::{token, User};
use crate::date_style::DateStyle;
use crate::lang::LangSetting;
use models::{tokens, users};
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
    /// How they like dates written.
    pub date_style: DateStyle,
    /// Which language they chose (automatic: the browser's).
    pub language: LangSetting,
}

/// Creates a session and returns the cookie token.
pub async fn create<C: GenericClient>(
    c: &C,
    user_id: i64,
) -> Result<String, tokio_postgres::Error> {
    let t = token::new_token();
    tokens::create_session(
        c,
        &token::hash(&t),
        user_id,
        &token::new_token(),
        LIFETIME_DAYS as i32,
    )
    .await?;
    users::touch_last_login(c, user_id).await?;
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
    let row = tokens::find_session(c, &h).await?;
    Ok(row.map(|r| WebSession {
        token_hash: h,
        csrf: r.csrf,
        user: User {
            id: r.user_id,
            email: r.email,
            is_admin: r.is_admin,
        },
        date_style: DateStyle::from_stored(&r.date_style),
        language: LangSetting::from_stored(&r.language),
    }))
}

/// Ends one session.
pub async fn destroy<C: GenericClient>(
    c: &C,
    token_hash: &[u8],
) -> Result<(), tokio_postgres::Error> {
    tokens::delete_session(c, token_hash).await
}
