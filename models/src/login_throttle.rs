//! Login back-off counters (`login_throttle`), one row per throttled key. The policy (which
//! keys, how many free attempts, how long a wait) is the caller's; this module only keeps the
//! counts, in Postgres so every replica agrees.

use tokio_postgres::GenericClient;

/// How a key backs off: `free` attempts pass at once; each further one waits
/// `base_secs · 2^(n − free)` seconds after the previous, at most `max_secs`; a key unused for
/// `forget_hours` starts from zero again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// Attempts before back-off starts.
    pub free: i32,
    /// First back-off step.
    pub base_secs: i32,
    /// Longest wait.
    pub max_secs: i32,
    /// Idle time after which the key is forgotten.
    pub forget_hours: i32,
}

/// Claims one attempt on `key`: `None` when allowed, else the seconds to wait. The claim is one
/// `INSERT … ON CONFLICT DO UPDATE … WHERE … RETURNING`, so parallel requests serialise on the
/// row and at most the allowed number pass.
pub async fn claim<C: GenericClient>(
    c: &C,
    key: &str,
    b: Backoff,
) -> Result<Option<i64>, tokio_postgres::Error> {
    // delay(n) = 0 below `free`, else min(base · 2^(n − free), max); `n` is capped before the
    // power so it cannot overflow.
    let claimed = c
        .query_opt(
            "INSERT INTO login_throttle AS t (key, failures, last_at) VALUES ($1, 1, now())
             ON CONFLICT (key) DO UPDATE
               SET failures = CASE WHEN t.last_at < now() - make_interval(hours => $5)
                                   THEN 1 ELSE t.failures + 1 END,
                   last_at = now()
               WHERE t.last_at < now() - make_interval(hours => $5)
                  OR t.failures < $2
                  OR t.last_at + make_interval(secs => least(($4::int)::float8,
                         ($3::int)::float8 * power(2, least(t.failures - $2, 30)))) <= now()
             RETURNING failures",
            &[&key, &b.free, &b.base_secs, &b.max_secs, &b.forget_hours],
        )
        .await?;
    if claimed.is_some() {
        return Ok(None);
    }
    let wait: f64 = c
        .query_one(
            "SELECT GREATEST(1, EXTRACT(EPOCH FROM t.last_at + make_interval(secs => least(($3::int)::float8,
                        ($2::int)::float8 * power(2, least(t.failures - $4, 30)))) - now()))::float8
             FROM login_throttle t WHERE key = $1",
            &[&key, &b.base_secs, &b.max_secs, &b.free],
        )
        .await?
        .get(0);
    Ok(Some(wait.ceil() as i64))
}

/// Forgets a key.
pub async fn clear<C: GenericClient>(c: &C, key: &str) -> Result<(), tokio_postgres::Error> {
    c.execute("DELETE FROM login_throttle WHERE key = $1", &[&key])
        .await?;
    Ok(())
}

/// Gives back one claimed attempt.
pub async fn refund<C: GenericClient>(c: &C, key: &str) -> Result<(), tokio_postgres::Error> {
    c.execute(
        "UPDATE login_throttle SET failures = GREATEST(failures - 1, 0) WHERE key = $1",
        &[&key],
    )
    .await?;
    Ok(())
}

/// Clears the account keys (`account:<lower-cased address>`) of every address of a user.
pub async fn clear_user<C: GenericClient>(
    c: &C,
    user_id: i64,
) -> Result<(), tokio_postgres::Error> {
    c.execute(
        "DELETE FROM login_throttle WHERE key IN (
             SELECT 'account:' || lower(email) FROM user_emails WHERE user_id = $1
             UNION SELECT 'account:' || lower(email) FROM users WHERE id = $1)",
        &[&user_id],
    )
    .await?;
    Ok(())
}

/// Deletes keys unused for a day.
pub async fn prune<C: GenericClient>(c: &C) -> Result<(), tokio_postgres::Error> {
    c.batch_execute("DELETE FROM login_throttle WHERE last_at < now() - interval '1 day';")
        .await
}
