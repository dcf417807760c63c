//! Instance-wide rows: the settings an admin changes on the web (`instance_settings`) and the
//! question whether the instance holds any accounts or services yet.

use tokio_postgres::GenericClient;

/// The instance name set on the admin page, if any.
pub async fn name<C: GenericClient>(c: &C) -> Result<Option<String>, tokio_postgres::Error> {
    Ok(c.query_opt(
        "SELECT value FROM instance_settings WHERE key = 'whitelabel'",
        &[],
    )
    .await?
    .map(|r| r.get(0)))
}

/// Stores the instance name.
pub async fn set_name<C: GenericClient>(c: &C, name: &str) -> Result<(), tokio_postgres::Error> {
    c.execute(
        "INSERT INTO instance_settings (key, value) VALUES ('whitelabel', $1)
         ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
        &[&name],
    )
    .await?;
    Ok(())
}

/// How many users and services exist; `None` when the schema is not there yet (a restore
/// into a fresh database).
pub async fn population<C: GenericClient>(
    c: &C,
) -> Result<Option<(i64, i64)>, tokio_postgres::Error> {
    let has_schema: bool = c
        .query_one(
            "SELECT to_regclass('public.users') IS NOT NULL AND to_regclass('public.services') IS NOT NULL",
            &[],
        )
        .await?
        .get(0);
    if !has_schema {
        return Ok(None);
    }
    let row = c
        .query_one(
            "SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM services)",
            &[],
        )
        .await?;
    Ok(Some((row.get(0), row.get(1))))
}
