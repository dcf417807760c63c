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
/// Locks the user's row first, so concurrent requests for one user are counted one by one.
/// Run it in a transaction.
pub async fn take<C: GenericClient>(
    c: &C,
    user_id: i64,
    address: &str,
) -> Result<bool, tokio_postgres::Error> {
    c.execute("SELECT 1 FROM users WHERE id = $1 FOR UPDATE", &[&user_id])
        .await?;
    let row = c
        .query_opt(
            "INSERT INTO account_mail_log (user_id, address)
             SELECT $1, $2
             WHERE (SELECT count(*) FROM account_mail_log WHERE user_id = $1
                      AND sent_at > now() - make_interval(mins => $5)) < $4
               AND (SELECT count(*) FROM account_mail_log WHERE lower(address) = lower($2)
                      AND sent_at > now() - make_interval(mins => $5)) < $3
             RETURNING 1",
            &[
                &user_id,
                &address,
                &MAX_PER_ADDRESS,
                &MAX_PER_USER,
                &WINDOW_MINUTES,
            ],
        )
        .await?;
    Ok(row.is_some())
}
