//! Login throttling: after [`MAX_FAILURES`] failed logins for an address within
//! [`WINDOW_MINUTES`], further attempts for it are refused until the window has passed. Kept in
//! Postgres so every replica agrees.

use tokio_postgres::GenericClient;

/// Failures allowed per window.
pub const MAX_FAILURES: i64 = 5;
/// Window length.
pub const WINDOW_MINUTES: i64 = 15;

/// Whether `email` is currently locked out.
pub async fn is_locked<C: GenericClient>(
    c: &C,
    email: &str,
) -> Result<bool, tokio_postgres::Error> {
    let n: i64 = c
        .query_one(
            "SELECT count(*) FROM login_failures
             WHERE lower(email) = lower($1) AND at > now() - make_interval(mins => $2::int)",
            &[&email, &(WINDOW_MINUTES as i32)],
        )
        .await?
        .get(0);
    Ok(n >= MAX_FAILURES)
}

/// Records a failure (and forgets this address's failures older than a day).
pub async fn record_failure<C: GenericClient>(
    c: &C,
    email: &str,
) -> Result<(), tokio_postgres::Error> {
    c.execute(
        "DELETE FROM login_failures WHERE lower(email) = lower($1) AND at < now() - interval '1 day'",
        &[&email],
    )
    .await?;
    c.execute("INSERT INTO login_failures (email) VALUES ($1)", &[&email])
        .await?;
    Ok(())
}

/// Clears the failures of an address after a successful login.
pub async fn clear<C: GenericClient>(c: &C, email: &str) -> Result<(), tokio_postgres::Error> {
    c.execute(
        "DELETE FROM login_failures WHERE lower(email) = lower($1)",
        &[&email],
    )
    .await?;
    Ok(())
}
