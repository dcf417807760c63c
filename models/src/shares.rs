//! Public share links (`share_links`): create, find by token hash, list, revoke. Hashing of
//! tokens and passwords and the permission checks stay with the callers.

use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio_postgres::{GenericClient, Row};
use uuid::Uuid;

/// Most links one service may have (revoked ones included, so listing stays bounded).
pub const MAX_LINKS_PER_SERVICE: i64 = 100;

/// One link as the owner sees it (no secrets).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ShareLink {
    /// Id (what `shynet share revoke` and the manage page name).
    pub id: i64,
    /// The service shown.
    pub service_id: Uuid,
    /// Whether a password is asked.
    pub has_password: bool,
    /// ε of the differentially private figures (`None` = exact figures).
    pub epsilon: Option<f64>,
    /// When the link stops working.
    pub expires_at: Option<DateTime<Utc>>,
    /// When it was revoked.
    pub revoked_at: Option<DateTime<Utc>>,
    /// When it was made.
    pub created_at: DateTime<Utc>,
}

impl ShareLink {
    /// Whether the link answers now.
    pub fn is_live(&self, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|e| e > now)
    }
}

/// A live link found by its token, with what serving it needs.
#[derive(Debug, Clone)]
pub struct Opened {
    /// The link.
    pub link: ShareLink,
    /// The key its noise and unlock cookie are derived from.
    pub noise_key: Vec<u8>,
    /// The argon2id hash of its password.
    pub password_hash: Option<String>,
}

/// What a new link is made of (the caller generated and hashed the secrets).
#[derive(Debug, Clone, Copy)]
pub struct NewLink<'a> {
    /// SHA-256 of the token.
    pub token_hash: &'a [u8],
    /// 32 random bytes.
    pub noise_key: &'a [u8],
    /// argon2id hash, if any.
    pub password_hash: Option<&'a str>,
    /// ε, if the figures are noised.
    pub epsilon: Option<f64>,
    /// Expiry, if any.
    pub expires_at: Option<DateTime<Utc>>,
    /// Who made it (`None` from the CLI).
    pub created_by: Option<i64>,
}

const COLS: &str = "id, service_id, password_hash IS NOT NULL, epsilon, expires_at, revoked_at, \
                    created_at";

fn link(r: &Row) -> ShareLink {
    ShareLink {
        id: r.get(0),
        service_id: r.get(1),
        has_password: r.get(2),
        epsilon: r.get(3),
        expires_at: r.get(4),
        revoked_at: r.get(5),
        created_at: r.get(6),
    }
}

/// The outcome of [`insert`].
#[derive(Debug, Clone, PartialEq)]
pub enum Inserted {
    /// The new link's id.
    Id(i64),
    /// No such service.
    UnknownService,
    /// The service already has [`MAX_LINKS_PER_SERVICE`] links.
    LimitReached,
}

/// Creates a link for `service`, refusing beyond `max` links, in one statement (concurrent
/// inserts may each pass the count; the limit is a bound on growth, not an exact quota).
pub async fn insert<C: GenericClient>(
    c: &C,
    service: Uuid,
    new: NewLink<'_>,
    max: i64,
) -> Result<Inserted, tokio_postgres::Error> {
    let row = c
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM services WHERE id = $1),
                    (SELECT count(*) FROM share_links WHERE service_id = $1)",
            &[&service],
        )
        .await?;
    let (exists, n): (bool, i64) = (row.get(0), row.get(1));
    if !exists {
        return Ok(Inserted::UnknownService);
    }
    if n >= max {
        return Ok(Inserted::LimitReached);
    }
    let id = c
        .query_one(
            "INSERT INTO share_links (service_id, token_hash, noise_key, password_hash, epsilon,
                                      expires_at, created_by)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            &[
                &service,
                &new.token_hash,
                &new.noise_key,
                &new.password_hash,
                &new.epsilon,
                &new.expires_at,
                &new.created_by,
            ],
        )
        .await?
        .get(0);
    Ok(Inserted::Id(id))
}

/// The live link with this token hash (revoked, expired and unknown alike give `None`), on an
/// active or archived service.
pub async fn open<C: GenericClient>(
    c: &C,
    token_hash: &[u8],
) -> Result<Option<Opened>, tokio_postgres::Error> {
    let row = c
        .query_opt(
            &format!(
                "SELECT {COLS}, noise_key, password_hash FROM share_links
                 WHERE token_hash = $1 AND revoked_at IS NULL
                   AND (expires_at IS NULL OR expires_at > now())"
            ),
            &[&token_hash],
        )
        .await?;
    Ok(row.map(|r| Opened {
        link: link(&r),
        noise_key: r.get(7),
        password_hash: r.get(8),
    }))
}

/// The links of a service, newest first (at most [`MAX_LINKS_PER_SERVICE`]).
pub async fn list<C: GenericClient>(
    c: &C,
    service: Uuid,
) -> Result<Vec<ShareLink>, tokio_postgres::Error> {
    Ok(c.query(
        &format!(
            "SELECT {COLS} FROM share_links WHERE service_id = $1
                 ORDER BY id DESC LIMIT $2"
        ),
        &[&service, &MAX_LINKS_PER_SERVICE],
    )
    .await?
    .iter()
    .map(link)
    .collect())
}

/// Which link to revoke.
#[derive(Debug, Clone, Copy)]
pub enum Which<'a> {
    /// By id, within a service (the manage page).
    IdOf(Uuid, i64),
    /// By id, any service (the CLI, run by the operator).
    Id(i64),
    /// By the SHA-256 of its token.
    TokenHash(&'a [u8]),
}

/// Revokes a link; returns it (with its service) when it existed and was not yet revoked.
pub async fn revoke<C: GenericClient>(
    c: &C,
    which: Which<'_>,
) -> Result<Option<ShareLink>, tokio_postgres::Error> {
    let set = "UPDATE share_links SET revoked_at = now() WHERE revoked_at IS NULL AND";
    let row = match which {
        Which::IdOf(svc, id) => {
            c.query_opt(
                &format!("{set} service_id = $1 AND id = $2 RETURNING {COLS}"),
                &[&svc, &id],
            )
            .await?
        }
        Which::Id(id) => {
            c.query_opt(&format!("{set} id = $1 RETURNING {COLS}"), &[&id])
                .await?
        }
        Which::TokenHash(h) => {
            c.query_opt(&format!("{set} token_hash = $1 RETURNING {COLS}"), &[&h])
                .await?
        }
    };
    Ok(row.as_ref().map(link))
}
