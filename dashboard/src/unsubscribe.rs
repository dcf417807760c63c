//! Signed unsubscribe links for report and alert mail: they work without a login (a mail client's
//! one-click button has none), so the link itself carries the authority, as an HMAC-SHA256 of
//! the user, service and kind of mail under a key only the instance holds (`notify_key`).
//! Changing any part of the link invalidates it.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use uuid::Uuid;

/// Path of the unsubscribe page.
pub const PATH: &str = "/notifications/unsubscribe/";
/// Length of a fresh key in bytes.
pub const KEY_LEN: usize = 32;

fn mac(key: &[u8], user: i64, service: Uuid, which: &str) -> Hmac<Sha256> {
    // A key of any length is accepted by HMAC; this cannot fail.
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    m.update(format!("unsubscribe:{user}:{service}:{which}").as_bytes());
    m
}

/// The signature of an unsubscribe link (hex).
pub fn sign(key: &[u8], user: i64, service: Uuid, which: &str) -> String {
    hex::encode(mac(key, user, service, which).finalize().into_bytes())
}

/// Whether `sig` (hex) signs this user, service and kind (compared in constant time).
pub fn verify(key: &[u8], user: i64, service: Uuid, which: &str, sig: &str) -> bool {
    let Ok(bytes) = hex::decode(sig) else {
        return false;
    };
    mac(key, user, service, which).verify_slice(&bytes).is_ok()
}

/// The full link under the dashboard's public URL `base` (no trailing slash).
pub fn link(base: &str, key: &[u8], user: i64, service: Uuid, which: &str) -> String {
    format!(
        "{base}{PATH}?u={user}&s={service}&k={which}&sig={}",
        sign(key, user, service, which)
    )
}

/// The instance's key, created on first use.
pub async fn key<C: tokio_postgres::GenericClient>(
    c: &C,
) -> Result<Vec<u8>, tokio_postgres::Error> {
    let fresh: [u8; KEY_LEN] = rand::random();
    models::notify::link_key(c, &fresh).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_changed_link_does_not_verify() {
        let key = [7u8; KEY_LEN];
        let s = Uuid::new_v4();
        let sig = sign(&key, 5, s, "weekly");
        assert!(verify(&key, 5, s, "weekly", &sig));
        assert!(!verify(&key, 6, s, "weekly", &sig));
        assert!(!verify(&key, 5, Uuid::new_v4(), "weekly", &sig));
        assert!(!verify(&key, 5, s, "monthly", &sig));
        assert!(!verify(&[8u8; KEY_LEN], 5, s, "weekly", &sig));
        assert!(!verify(&key, 5, s, "weekly", "zz"));
        let mut bad = sig.clone();
        bad.replace_range(0..1, if sig.starts_with('0') { "1" } else { "0" });
        assert!(!verify(&key, 5, s, "weekly", &bad));
    }
}
