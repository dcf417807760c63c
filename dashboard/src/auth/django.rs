//! Password hashes carried over from the original Shynet (Django): accounts imported by
//! `shynet import shynet` keep their password hash as Django wrote it, and the first successful
//! login replaces it with our argon2id hash. Two formats are checked:
//!
//! - `pbkdf2_sha256$<iterations>$<salt>$<base64 key>`: Django's default. The key is
//!   PBKDF2-HMAC-SHA256 of the password's UTF-8 bytes, with the salt string's bytes as salt, the
//!   given iteration count and 32 bytes of output, in standard base64 with padding.
//! - `argon2$argon2id$v=19$m=…,t=…,p=…$<salt>$<hash>`: Django's argon2 hasher, a PHC string behind
//!   the prefix `argon2`.
//!
//! Anything else Django may leave there (an unusable `!…` password, bcrypt, scrypt, SHA-1) never
//! matches: those users reset their password by mail.

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::PasswordVerifier;
use argon2::Argon2;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The most PBKDF2 iterations accepted, so one login costs bounded CPU whatever the stored
/// string says (Django 4.1 uses 390 000; later releases raise it by about 10% a year).
pub const MAX_PBKDF2_ITERATIONS: u32 = 5_000_000;

/// Prefix of Django's PBKDF2-SHA256 hashes.
const PBKDF2_SHA256: &str = "pbkdf2_sha256$";
/// Prefix Django puts before an argon2 PHC string.
const DJANGO_ARGON2: &str = "argon2$";

/// Whether a stored hash is one of Django's (and must be replaced after a successful login).
pub fn is_django(stored: &str) -> bool {
    stored.starts_with(PBKDF2_SHA256) || stored.starts_with(DJANGO_ARGON2)
}

/// Checks `pw` against a Django hash; `false` for any other string or a malformed one.
/// Runs for as long as the hash's work factor says: call it off the async threads.
pub fn verify(pw: &str, stored: &str) -> bool {
    if let Some(rest) = stored.strip_prefix(PBKDF2_SHA256) {
        return verify_pbkdf2_sha256(pw, rest);
    }
    if let Some(phc) = stored.strip_prefix("argon2") {
        if !phc.starts_with("$argon2") {
            return false;
        }
        return match PasswordHash::new(phc) {
            Ok(h) => Argon2::default().verify_password(pw.as_bytes(), &h).is_ok(),
            Err(_) => false,
        };
    }
    false
}

/// `<iterations>$<salt>$<base64 key>`.
fn verify_pbkdf2_sha256(pw: &str, rest: &str) -> bool {
    let mut parts = rest.splitn(3, '$');
    let (Some(iter), Some(salt), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    let Ok(iterations) = iter.parse::<u32>() else {
        return false;
    };
    if iterations == 0 || iterations > MAX_PBKDF2_ITERATIONS || salt.contains('$') {
        return false;
    }
    let Ok(expected) = base64::engine::general_purpose::STANDARD.decode(key) else {
        return false;
    };
    if expected.len() != 32 {
        return false;
    }
    let derived = pbkdf2_hmac_sha256(pw.as_bytes(), salt.as_bytes(), iterations);
    super::token::constant_time_eq(&derived, &expected)
}

/// PBKDF2 (RFC 8018) with HMAC-SHA256, one 32-byte block: all Django keeps.
fn pbkdf2_hmac_sha256(pw: &[u8], salt: &[u8], iterations: u32) -> [u8; 32] {
    // Any key length is accepted by HMAC; the error cannot happen.
    let Ok(keyed) = Hmac::<Sha256>::new_from_slice(pw) else {
        return [0; 32];
    };
    let mut mac = keyed.clone();
    mac.update(salt);
    mac.update(&1u32.to_be_bytes());
    let mut u: [u8; 32] = mac.finalize().into_bytes().into();
    let mut out = u;
    for _ in 1..iterations {
        let mut mac = keyed.clone();
        mac.update(&u);
        u = mac.finalize().into_bytes().into();
        for (o, x) in out.iter_mut().zip(u.iter()) {
            *o ^= x;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A known answer: the key computed by Python's `hashlib.pbkdf2_hmac`, as Django encodes it.
    const KNOWN: &str =
        "pbkdf2_sha256$390000$bNOCZLygk73sBEEokYzDdu$plTH06fN1Pv3jyVwbPZqzQS2nRaZ4pjScVxFY6FE5Yc=";

    #[test]
    fn pbkdf2_sha256_hashes_verify() {
        assert!(is_django(KNOWN));
        assert!(verify("hunter2 old password", KNOWN));
        assert!(!verify("hunter2 old passwore", KNOWN));
        assert!(!verify("", KNOWN));
    }

    #[test]
    fn malformed_and_foreign_hashes_never_match() {
        for bad in [
            "",
            "!Xb8c2VwLk6Lr1zIiC0ZxMIOd7G1q0a3oJk6tVz9y",
            "pbkdf2_sha256$",
            "pbkdf2_sha256$x$salt$AAAA",
            "pbkdf2_sha256$0$salt$plTH06fN1Pv3jyVwbPZqzQS2nRaZ4pjScVxFY6FE5Yc=",
            "pbkdf2_sha256$99999999999$s$plTH06fN1Pv3jyVwbPZqzQS2nRaZ4pjScVxFY6FE5Yc=",
            "pbkdf2_sha256$10$s$not base64",
            "pbkdf2_sha256$10$s$AAAA",
            "bcrypt_sha256$$2b$12$abc",
            "argon2$notphc",
        ] {
            assert!(!verify("hunter2 old password", bad), "{bad}");
        }
        assert!(!is_django("$argon2id$v=19$m=19456,t=2,p=1$abc$def"));
    }

    #[test]
    fn django_argon2_hashes_verify() {
        use argon2::password_hash::PasswordHasher;
        let phc = Argon2::default()
            .hash_password(b"an argon2 user")
            .unwrap()
            .to_string();
        let stored = format!("argon2{phc}");
        assert!(is_django(&stored));
        assert!(verify("an argon2 user", &stored));
        assert!(!verify("another", &stored));
    }
}
