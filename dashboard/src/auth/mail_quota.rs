//! Rate limits on account mail, so nobody can make the instance mail an address (or mail on
//! one user's behalf) without bound.

use tokio_postgres::GenericClient;

/// Most account mails to one address per window.
pub const MAX_PER_ADDRESS: i64 = 3;
/// Most account mails on one user's behalf per window.
pub const MAX_PER_USER: i64 = 6;
/// Window length.
pub const WINDOW_MINUTES: i32 = 60;

/// Records a mail to `address` for `user_id` if both limits allow it; `false` = over a limit.
/// Run it in a transaction.
pub async fn take<C: GenericClient>(
    c: &C,
    user_id: i64,
    address: &str,
) -> Result<bool, tokio_postgres::Error> {
    models::mail_log::take(
        c,
        user_id,
        address,
        MAX_PER_ADDRESS,
        MAX_PER_USER,
        WINDOW_MINUTES,
    )
    .await
}
