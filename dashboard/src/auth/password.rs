//! Password hashing with argon2id (the `argon2` defaults), run off the async threads because a
//! hash takes tens of milliseconds.

use crate::i18n::{self, Arg};
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::Argon2;

/// Shortest accepted password.
pub const MIN_LEN: usize = 8;
/// Longest accepted password (bounds hashing work per request).
pub const MAX_LEN: usize = 1024;

/// Why a new password is refused.
pub fn check_new(pw: &str) -> Result<(), String> {
    let n = pw.chars().count();
    if n < MIN_LEN {
        return Err(i18n::tr_now_args(
            "error-password-short",
            &[("min", Arg::from(MIN_LEN.to_string()))],
        ));
    }
    if pw.len() > MAX_LEN {
        return Err(i18n::tr_now_args(
            "error-password-long",
            &[("max", Arg::from(MAX_LEN.to_string()))],
        ));
    }
    Ok(())
}

/// Hashes a password (PHC string).
pub async fn hash(pw: String) -> Result<String, String> {
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(pw.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| format!("hashing failed: {e}"))
    })
    .await
    .map_err(|e| format!("hashing task failed: {e}"))?
}

/// Checks a password against a stored PHC string, or a Django hash of an imported account
/// ([`super::django`]); unparseable hashes never match.
pub async fn verify(pw: String, phc: String) -> bool {
    if pw.len() > MAX_LEN {
        return false;
    }
    tokio::task::spawn_blocking(move || {
        if super::django::is_django(&phc) {
            return super::django::verify(&pw, &phc);
        }
        match PasswordHash::new(&phc) {
            Ok(h) => Argon2::default().verify_password(pw.as_bytes(), &h).is_ok(),
            Err(_) => false,
        }
    })
    .await
    .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hash_and_verify() {
        let h = hash("correct horse".into()).await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("correct horse".into(), h.clone()).await);
        assert!(!verify("wrong horse".into(), h).await);
        assert!(!verify("x".into(), "not a hash".into()).await);
        assert!(check_new("short").is_err());
        assert!(check_new("long enough").is_ok());
    }
}
