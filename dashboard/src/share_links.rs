//! Making public share links: checking what the owner asked for (ε, expiry, password),
//! generating the token and the noise key, and storing only their hashes. Shared by the manage
//! page and `shynet share create`, so both refuse the same input with the same words.

use crate::auth::{password, token};
use chrono::{DateTime, NaiveDate, Utc};
use hmac::{Hmac, Mac};
use models::shares::{self, Inserted, NewLink, MAX_LINKS_PER_SERVICE};
use rand::RngCore;
use sha2::Sha256;
use tokio_postgres::GenericClient;
use uuid::Uuid;

/// Why a link was not made; each is the owner's mistake except `Db`.
#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    /// A malformed or out-of-range ε.
    #[error("invalid epsilon: {0}")]
    Epsilon(#[from] stats::noise::EpsilonError),
    /// A malformed or past expiry date.
    #[error("invalid expiry date `{0}`: give a day from today on as YYYY-MM-DD")]
    Expiry(String),
    /// A password too short or long.
    #[error("invalid password: {0}")]
    Password(String),
    /// No such service.
    #[error("no such service")]
    UnknownService,
    /// Too many links.
    #[error("this service already has {MAX_LINKS_PER_SERVICE} share links, the most it can have")]
    LimitReached,
    /// The database failed.
    #[error("database: {0}")]
    Db(#[from] tokio_postgres::Error),
}

/// What the owner asked for, as typed (empty = not set).
#[derive(Debug, Clone, Default)]
pub struct Request<'a> {
    /// ε (`""` = exact figures).
    pub epsilon: &'a str,
    /// Last day the link works, `YYYY-MM-DD` in UTC (`""` = never expires).
    pub expires: &'a str,
    /// Password (`""` = none).
    pub password: &'a str,
}

/// A new link: its id and the token, shown once and never stored.
#[derive(Debug, Clone)]
pub struct Created {
    /// Id.
    pub id: i64,
    /// The secret of its URL.
    pub token: String,
}

/// The path of a share (the token is its only secret).
pub fn path(token: &str) -> String {
    format!("/share/{token}/")
}

/// Parses the last day a link works: it stops at the end of that UTC day.
pub fn parse_expiry(s: &str, now: DateTime<Utc>) -> Result<Option<DateTime<Utc>>, CreateError> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let day = NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .filter(|d| *d >= now.date_naive())
        .and_then(|d| d.succ_opt())
        .ok_or_else(|| CreateError::Expiry(s.chars().take(40).collect()))?;
    Ok(Some(day.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()))
}

/// Checks the request, then stores a new link for `service`.
pub async fn create<C: GenericClient>(
    c: &C,
    service: Uuid,
    req: Request<'_>,
    created_by: Option<i64>,
) -> Result<Created, CreateError> {
    let epsilon = match req.epsilon.trim() {
        "" => None,
        e => Some(stats::noise::parse_epsilon(e)?),
    };
    let expires_at = parse_expiry(req.expires, Utc::now())?;
    let password_hash = match req.password {
        "" => None,
        pw => {
            password::check_new(pw).map_err(CreateError::Password)?;
            Some(
                password::hash(pw.to_owned())
                    .await
                    .map_err(CreateError::Password)?,
            )
        }
    };
    let tok = token::new_token();
    let mut key = [0u8; 32];
    rand::rng().fill_bytes(&mut key);
    let new = NewLink {
        token_hash: &token::hash(&tok),
        noise_key: &key,
        password_hash: password_hash.as_deref(),
        epsilon,
        expires_at,
        created_by,
    };
    match shares::insert(c, service, new, MAX_LINKS_PER_SERVICE).await? {
        Inserted::Id(id) => Ok(Created { id, token: tok }),
        Inserted::UnknownService => Err(CreateError::UnknownService),
        Inserted::LimitReached => Err(CreateError::LimitReached),
    }
}

/// The value of the cookie that proves a viewer gave a link's password: a keyed hash under the
/// link's secret, so it cannot be made without the password having been checked here.
pub fn unlock_value(noise_key: &[u8]) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(noise_key) else {
        unreachable!("HMAC takes keys of any length")
    };
    mac.update(b"share-unlocked");
    hex::encode(mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_is_a_day_from_today() {
        let now = "2026-03-10T12:00:00Z".parse().unwrap();
        assert!(parse_expiry("", now).unwrap().is_none());
        assert_eq!(
            parse_expiry("2026-03-10", now)
                .unwrap()
                .unwrap()
                .to_rfc3339(),
            "2026-03-11T00:00:00+00:00"
        );
        assert!(matches!(
            parse_expiry("2026-03-09", now),
            Err(CreateError::Expiry(_))
        ));
        assert!(matches!(
            parse_expiry("10/03/2026", now),
            Err(CreateError::Expiry(_))
        ));
    }

    #[test]
    fn unlock_values_differ_per_link() {
        assert_ne!(unlock_value(b"a"), unlock_value(b"b"));
        assert_eq!(unlock_value(b"a").len(), 64);
    }
}
