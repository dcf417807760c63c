//! The signature nonces the edge endpoints have accepted, kept in Postgres for the signature
//! window so a captured request is refused the second time, by whichever replica receives it.

use super::api::POOL_WAIT;
use beacon::edge_protocol::{MAX_SKEW_SECS, NONCE_BYTES};
use deadpool_postgres::{Pool, Timeouts};

/// How long after a nonce's window closed (by the signer's clock) it is deleted: covers clock
/// differences between the aggregator replicas, which judge the window, and Postgres, which
/// judges the purge.
pub const PURGE_MARGIN_SECS: f64 = 300.0;

/// Records the nonce; `false` when it was recorded before.
const CLAIM: &str = "INSERT INTO edge_nonces (nonce, expires_at)
     VALUES ($1, to_timestamp($2::float8)) ON CONFLICT (nonce) DO NOTHING";

/// Why a nonce could not be checked.
#[derive(Debug, thiserror::Error)]
pub enum NonceError {
    /// No connection within [`POOL_WAIT`].
    #[error("no database connection: {0}")]
    NoConnection(String),
    /// The insert failed.
    #[error("recording the nonce failed: {0}")]
    Query(#[from] tokio_postgres::Error),
}

/// Claims `nonce` of a request signed at `timestamp`: `Ok(true)` the first time, `Ok(false)`
/// for a replay. Called only after the MAC verified, so nobody without the secret can fill
/// the table.
pub async fn claim(
    pool: &Pool,
    nonce: &[u8; NONCE_BYTES],
    timestamp: i64,
) -> Result<bool, NonceError> {
    let timeouts = Timeouts {
        wait: Some(POOL_WAIT),
        create: Some(POOL_WAIT),
        recycle: Some(POOL_WAIT),
    };
    let client = pool
        .timeout_get(&timeouts)
        .await
        .map_err(|e| NonceError::NoConnection(e.to_string()))?;
    let stmt = client.prepare_cached(CLAIM).await?;
    let expires = timestamp.saturating_add(MAX_SKEW_SECS) as f64;
    let inserted = client.execute(&stmt, &[&&nonce[..], &expires]).await?;
    Ok(inserted == 1)
}

/// Deletes nonces whose window closed more than [`PURGE_MARGIN_SECS`] ago (maintenance).
pub async fn purge(
    client: &impl tokio_postgres::GenericClient,
) -> Result<u64, tokio_postgres::Error> {
    client
        .execute(
            "DELETE FROM edge_nonces WHERE expires_at < now() - make_interval(secs => $1)",
            &[&PURGE_MARGIN_SECS],
        )
        .await
}
