//! Account mail sent (`account_mail_log`), counted so nobody can make the instance mail an
//! address, or mail on one user's behalf, without bound. The limits are the caller's.

use tokio_postgres::GenericClient;

/// Records a mail to `address` for `user_id` if fewer than `per_address` went to the address
/// and fewer than `per_user` on the user's behalf in the last `window_minutes`; `false` = over
/// a limit. Locks the user's row first, so concurrent requests for one user are counted one by
/// one. Run it in a transaction.
pub async fn take<C: GenericClient>(
    c: &C,
    user_id: i64,
    address: &str,
    per_address: i64,
    per_user: i64,
    window_minutes: i32,
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
            &[&user_id, &address, &per_address, &per_user, &window_minutes],
        )
        .await?;
    Ok(row.is_some())
}

/// Deletes entries older than a day (longer than any window).
pub async fn prune<C: GenericClient>(c: &C) -> Result<(), tokio_postgres::Error> {
    c.batch_execute("DELETE FROM account_mail_log WHERE sent_at < now() - interval '1 day';")
        .await
}
