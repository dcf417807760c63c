//! Time-based one-time passwords (RFC 6238 over RFC 4226's HOTP: HMAC-SHA1, 30-second steps,
//! 6 digits), the base32 form authenticator apps read, and recovery codes. Pure functions: the
//! replay guard (a step is accepted once) lives in the database, see `models::two_factor`.

use hmac::{Hmac, Mac};
use rand::RngCore;
use sha1::Sha1;

/// Length of a step, in seconds.
pub const STEP_SECS: i64 = 30;
/// Digits of a code.
pub const DIGITS: u32 = 6;
/// Steps accepted either side of now, for clocks that are a little off.
pub const SKEW_STEPS: i64 = 1;
/// Bytes of a new secret (160 bits, the HMAC-SHA1 key size RFC 4226 recommends).
pub const SECRET_BYTES: usize = 20;
/// Recovery codes made at enrolment.
pub const RECOVERY_CODES: usize = 10;
/// Random bytes per recovery code (80 bits: 16 base32 characters).
const RECOVERY_BYTES: usize = 10;

const B32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// A new random secret.
pub fn new_secret() -> Vec<u8> {
    let mut b = vec![0u8; SECRET_BYTES];
    rand::rng().fill_bytes(&mut b);
    b
}

/// RFC 4648 base32 without padding (what `otpauth://` URIs carry).
pub fn base32(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(5) * 8);
    let (mut buf, mut bits) = (0u32, 0u32);
    for &b in data {
        buf = (buf << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(B32[((buf >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(B32[((buf << (5 - bits)) & 31) as usize] as char);
    }
    out
}

/// The HOTP value of `counter` (RFC 4226 section 5.3).
pub fn hotp(secret: &[u8], counter: u64) -> u32 {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = Hmac::<Sha1>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(&counter.to_be_bytes());
    let h = mac.finalize().into_bytes();
    let off = (h[19] & 0x0f) as usize;
    let bin = u32::from_be_bytes([h[off] & 0x7f, h[off + 1], h[off + 2], h[off + 3]]);
    bin % 10u32.pow(DIGITS)
}

/// The step of a Unix time.
pub fn step_of(unix_secs: i64) -> i64 {
    unix_secs.div_euclid(STEP_SECS)
}

/// The code of a step, zero-padded.
pub fn code_at_step(secret: &[u8], step: i64) -> String {
    format!(
        "{:0width$}",
        hotp(secret, step.max(0) as u64),
        width = DIGITS as usize
    )
}

/// Which step within ±[`SKEW_STEPS`] of `unix_secs` a typed code belongs to, if any. Spaces
/// are ignored; anything but six digits matches nothing. The newest matching step wins, so the
/// replay guard (which refuses steps not newer than the last used) is as strict as possible.
pub fn matching_step(secret: &[u8], code: &str, unix_secs: i64) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != DIGITS as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let now = step_of(unix_secs);
    (-SKEW_STEPS..=SKEW_STEPS)
        .rev()
        .map(|d| now + d)
        .find(|&s| {
            super::token::constant_time_eq(code_at_step(secret, s).as_bytes(), code.as_bytes())
        })
}

/// The `otpauth://` URI an authenticator app scans.
pub fn otpauth_uri(issuer: &str, account: &str, secret: &[u8]) -> String {
    let enc = |s: &str| {
        percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
    };
    format!(
        "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECS}",
        enc(issuer),
        enc(account),
        base32(secret),
        enc(issuer)
    )
}

/// New recovery codes, shown once as `XXXX-XXXX-XXXX-XXXX` (80 random bits each).
pub fn new_recovery_codes() -> Vec<String> {
    (0..RECOVERY_CODES)
        .map(|_| {
            let mut b = [0u8; RECOVERY_BYTES];
            rand::rng().fill_bytes(&mut b);
            let s = base32(&b);
            format!("{}-{}-{}-{}", &s[0..4], &s[4..8], &s[8..12], &s[12..16])
        })
        .collect()
}

/// The stored form of a recovery code: SHA-256 of its normalised text (upper case, no dashes
/// or spaces). 80 random bits make a slow hash unnecessary: no dictionary applies, and
/// guessing offline is 2^80 work per code.
pub fn recovery_hash(code: &str) -> Vec<u8> {
    let norm: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    super::token::hash(&norm)
}

/// Whether typed text looks like a recovery code rather than a TOTP code.
pub fn looks_like_recovery(code: &str) -> bool {
    code.chars().filter(|c| c.is_ascii_alphanumeric()).count() == RECOVERY_BYTES * 8 / 5
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B, SHA-1 rows (8 digits there; the last 6 are what 6-digit codes are).
    #[test]
    fn rfc6238_vectors() {
        let secret = b"12345678901234567890";
        for (t, eight) in [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            assert_eq!(code_at_step(secret, step_of(t)), &eight[2..], "t={t}");
        }
    }

    /// RFC 4226 appendix D.
    #[test]
    fn rfc4226_vectors() {
        let secret = b"12345678901234567890";
        let want = [
            755224, 287082, 359152, 969429, 338314, 254676, 287922, 162583, 399871, 520489,
        ];
        for (i, w) in want.iter().enumerate() {
            assert_eq!(hotp(secret, i as u64), *w);
        }
    }

    #[test]
    fn skew_window_and_input_shape() {
        let s = new_secret();
        let t = 1_700_000_000;
        let now = step_of(t);
        assert_eq!(matching_step(&s, &code_at_step(&s, now), t), Some(now));
        assert_eq!(
            matching_step(&s, &code_at_step(&s, now - 1), t),
            Some(now - 1)
        );
        assert_eq!(
            matching_step(&s, &code_at_step(&s, now + 1), t),
            Some(now + 1)
        );
        let far = code_at_step(&s, now - 3);
        if ![-1, 0, 1].iter().any(|d| code_at_step(&s, now + d) == far) {
            assert_eq!(matching_step(&s, &far, t), None);
        }
        let c = code_at_step(&s, now);
        assert_eq!(
            matching_step(&s, &format!("{} {}", &c[..3], &c[3..]), t),
            Some(now)
        );
        assert_eq!(matching_step(&s, "12345", t), None);
        assert_eq!(matching_step(&s, "abcdef", t), None);
    }

    #[test]
    fn base32_and_recovery_codes() {
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
        assert_eq!(base32(b""), "");
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), RECOVERY_CODES);
        assert!(codes
            .iter()
            .all(|c| c.len() == 19 && looks_like_recovery(c)));
        assert_eq!(
            recovery_hash(&codes[0]),
            recovery_hash(&codes[0].to_lowercase().replace('-', " "))
        );
        assert_ne!(recovery_hash(&codes[0]), recovery_hash(&codes[1]));
        assert!(!looks_like_recovery("123456"));
    }
}
