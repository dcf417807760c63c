//! Second-factor rows: TOTP secrets (`user_totp`), single-use recovery codes
//! (`user_recovery_codes`), logins waiting for their second factor (`pending_logins`) and the
//! instance setting that makes a second factor mandatory. What counts as a valid code is the
//! caller's; this module keeps the state and makes each use of a step or code atomic.

use tokio_postgres::GenericClient;

/// The `instance_settings` key of "every user needs a second factor".
const REQUIRE_KEY: &str = "require_2fa";

/// A user's TOTP row.
#[derive(Debug, Clone)]
pub struct Totp {
    /// The shared secret (raw bytes).
    pub secret: Vec<u8>,
    /// Confirmed with a code: logins need a second factor.
    pub enabled: bool,
}

/// The TOTP row of a user, if enrolment was started.
pub async fn totp<C: GenericClient>(
    c: &C,
    user: i64,
) -> Result<Option<Totp>, tokio_postgres::Error> {
    Ok(c.query_opt(
        "SELECT secret, enabled FROM user_totp WHERE user_id = $1",
        &[&user],
    )
    .await?
    .map(|r| Totp {
        secret: r.get(0),
        enabled: r.get(1),
    }))
}

/// Stores a new unconfirmed secret; `false` (nothing changed) when 2FA is already on.
pub async fn start<C: GenericClient>(
    c: &C,
    user: i64,
    secret: &[u8],
) -> Result<bool, tokio_postgres::Error> {
    Ok(c.query_opt(
        "INSERT INTO user_totp (user_id, secret) VALUES ($1, $2)
             ON CONFLICT (user_id) DO UPDATE
               SET secret = EXCLUDED.secret, last_step = NULL, created_at = now()
               WHERE user_totp.enabled = false
             RETURNING 1",
        &[&user, &secret],
    )
    .await?
    .is_some())
}

/// Records that the code of time step `step` was used, if no code of this or a later step was
/// used before (one atomic update, so two parallel requests cannot both use one code). With
/// `enable`, also switches 2FA on (the enrolment's confirming code); otherwise 2FA must be on.
pub async fn use_step<C: GenericClient>(
    c: &C,
    user: i64,
    step: i64,
    enable: bool,
) -> Result<bool, tokio_postgres::Error> {
    Ok(c.query_opt(
        "UPDATE user_totp SET last_step = $2, enabled = true
             WHERE user_id = $1 AND enabled = NOT $3
               AND (last_step IS NULL OR last_step < $2)
             RETURNING 1",
        &[&user, &step, &enable],
    )
    .await?
    .is_some())
}

/// Replaces every recovery code of a user by these hashes.
pub async fn set_recovery_codes<C: GenericClient>(
    c: &C,
    user: i64,
    hashes: &[Vec<u8>],
) -> Result<(), tokio_postgres::Error> {
    c.execute(
        "DELETE FROM user_recovery_codes WHERE user_id = $1",
        &[&user],
    )
    .await?;
    c.execute(
        "INSERT INTO user_recovery_codes (user_id, code_hash)
         SELECT $1, h FROM unnest($2::bytea[]) AS h ON CONFLICT DO NOTHING",
        &[&user, &hashes],
    )
    .await?;
    Ok(())
}

/// Marks an unused recovery code used; `false` when there is no such unused code.
pub async fn use_recovery_code<C: GenericClient>(
    c: &C,
    user: i64,
    hash: &[u8],
) -> Result<bool, tokio_postgres::Error> {
    Ok(c.query_opt(
        "UPDATE user_recovery_codes SET used_at = now()
             WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL RETURNING 1",
        &[&user, &hash],
    )
    .await?
    .is_some())
}

/// How many unused recovery codes a user has.
pub async fn recovery_codes_left<C: GenericClient>(
    c: &C,
    user: i64,
) -> Result<i64, tokio_postgres::Error> {
    Ok(c.query_one(
        "SELECT count(*) FROM user_recovery_codes WHERE user_id = $1 AND used_at IS NULL",
        &[&user],
    )
    .await?
    .get(0))
}

/// Switches 2FA off: the secret, the recovery codes and pending logins go. `false` when the
/// user had no TOTP row (nothing to switch off).
pub async fn disable<C: GenericClient>(c: &C, user: i64) -> Result<bool, tokio_postgres::Error> {
    let had = c
        .execute("DELETE FROM user_totp WHERE user_id = $1", &[&user])
        .await?
        > 0;
    for sql in [
        "DELETE FROM user_recovery_codes WHERE user_id = $1",
        "DELETE FROM pending_logins WHERE user_id = $1",
    ] {
        c.execute(sql, &[&user]).await?;
    }
    Ok(had)
}

/// Which of these users have 2FA on (the admin page asks for one page of users at a time).
pub async fn enabled_among<C: GenericClient>(
    c: &C,
    users: &[i64],
) -> Result<Vec<i64>, tokio_postgres::Error> {
    Ok(c.query(
        "SELECT user_id FROM user_totp WHERE enabled AND user_id = ANY($1)",
        &[&users],
    )
    .await?
    .into_iter()
    .map(|r| r.get(0))
    .collect())
}

/// Whether every user must have a second factor.
pub async fn required<C: GenericClient>(c: &C) -> Result<bool, tokio_postgres::Error> {
    Ok(c.query_opt(
        "SELECT value FROM instance_settings WHERE key = $1",
        &[&REQUIRE_KEY],
    )
    .await?
    .is_some_and(|r| r.get::<_, String>(0) == "on"))
}

/// Sets or clears "every user must have a second factor".
pub async fn set_required<C: GenericClient>(c: &C, on: bool) -> Result<(), tokio_postgres::Error> {
    let value = if on { "on" } else { "off" };
    c.execute(
        "INSERT INTO instance_settings (key, value) VALUES ($1, $2)
         ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
        &[&REQUIRE_KEY, &value],
    )
    .await?;
    Ok(())
}

/// Whether this user must enrol before doing anything else: the instance requires a second
/// factor and theirs is not on.
pub async fn must_enrol<C: GenericClient>(c: &C, user: i64) -> Result<bool, tokio_postgres::Error> {
    Ok(c.query_one(
        "SELECT EXISTS (SELECT 1 FROM instance_settings WHERE key = $2 AND value = 'on')
                AND NOT EXISTS (SELECT 1 FROM user_totp WHERE user_id = $1 AND enabled)",
        &[&user, &REQUIRE_KEY],
    )
    .await?
    .get(0))
}

/// Stores a pending login that expires after `secs` seconds.
pub async fn create_pending<C: GenericClient>(
    c: &C,
    token_hash: &[u8],
    user: i64,
    next: &str,
    secs: i32,
) -> Result<(), tokio_postgres::Error> {
    c.execute(
        "INSERT INTO pending_logins (token_hash, user_id, next, expires_at)
         VALUES ($1, $2, $3, now() + make_interval(secs => $4))",
        &[&token_hash, &user, &next, &(secs as f64)],
    )
    .await?;
    Ok(())
}

/// A live pending login, claimed for one more code attempt.
#[derive(Debug, Clone)]
pub struct Pending {
    /// Whose login it is.
    pub user_id: i64,
    /// Where to go once logged in.
    pub next: String,
    /// The user's stored address (for the account's throttle key).
    pub email: String,
}

/// Counts one code attempt on a pending login: `None` when it is unknown, expired, of a
/// deactivated user, or has used up its `max_attempts`.
pub async fn claim_pending<C: GenericClient>(
    c: &C,
    token_hash: &[u8],
    max_attempts: i32,
) -> Result<Option<Pending>, tokio_postgres::Error> {
    Ok(c.query_opt(
        "UPDATE pending_logins p SET attempts = p.attempts + 1
             FROM users u
             WHERE p.token_hash = $1 AND u.id = p.user_id AND u.is_active
               AND p.expires_at > now() AND p.attempts < $2
             RETURNING p.user_id, p.next, u.email",
        &[&token_hash, &max_attempts],
    )
    .await?
    .map(|r| Pending {
        user_id: r.get(0),
        next: r.get(1),
        email: r.get(2),
    }))
}

/// Ends a pending login (used, or given up).
pub async fn delete_pending<C: GenericClient>(
    c: &C,
    token_hash: &[u8],
) -> Result<(), tokio_postgres::Error> {
    c.execute(
        "DELETE FROM pending_logins WHERE token_hash = $1",
        &[&token_hash],
    )
    .await?;
    Ok(())
}

/// Ends every pending login of a user (their password changed).
pub async fn delete_pending_of<C: GenericClient>(
    c: &C,
    user: i64,
) -> Result<(), tokio_postgres::Error> {
    c.execute("DELETE FROM pending_logins WHERE user_id = $1", &[&user])
        .await?;
    Ok(())
}

/// Deletes expired pending logins.
pub async fn prune<C: GenericClient>(c: &C) -> Result<(), tokio_postgres::Error> {
    c.batch_execute("DELETE FROM pending_logins WHERE expires_at < now();")
        .await
}
