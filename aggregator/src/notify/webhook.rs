//! Alert webhooks: the owner's URL is checked ([`dashboard::webhook_url`]: https, public
//! address) when it is saved and again at every call, because a name can resolve elsewhere later; the call goes to the address that
//! was checked (no second lookup), follows no redirects, and has a deadline and a cap on the
//! response it reads. Bodies are signed with the service's secret:
//! `X-Shynet-Signature: sha256=hex(HMAC-SHA256(secret, "{timestamp}.{body}"))` with the Unix
//! time in `X-Shynet-Timestamp`, so a receiver can refuse old (replayed) deliveries.

use dashboard::webhook_url::{check_form, resolve, TIMEOUT};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Most bytes of a receiver's answer read (the rest is ignored).
pub const MAX_RESPONSE_BYTES: usize = 64 * 1024;
/// Signature header.
pub const SIGNATURE_HEADER: &str = "X-Shynet-Signature";
/// Timestamp header.
pub const TIMESTAMP_HEADER: &str = "X-Shynet-Timestamp";

/// `sha256=` and the hex HMAC-SHA256 of `"{timestamp}.{body}"` under `secret`.
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .expect("HMAC takes any key length");
    m.update(timestamp.to_string().as_bytes());
    m.update(b".");
    m.update(body);
    format!("sha256={}", hex::encode(m.finalize().into_bytes()))
}

/// POSTs a signed JSON body; `Err` carries a reason fit for a log (no secret in it).
pub async fn post(url: &str, body: &str, secret: &str, allow_private: bool) -> Result<u16, String> {
    let u = check_form(url, allow_private).map_err(|e| e.to_string())?;
    let addr = resolve(&u, allow_private)
        .await
        .map_err(|e| e.to_string())?;
    let host = u.host_str().unwrap_or_default().to_owned();
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(TIMEOUT)
        .resolve(&host, addr)
        .build()
        .map_err(|e| format!("client: {e}"))?;
    let ts = chrono::Utc::now().timestamp();
    let mut resp = client
        .post(u)
        .header("content-type", "application/json")
        .header("user-agent", "Shynet-Webhook")
        .header(TIMESTAMP_HEADER, ts.to_string())
        .header(SIGNATURE_HEADER, sign(secret, ts, body.as_bytes()))
        .body(body.to_owned())
        .send()
        .await
        .map_err(|e| format!("request: {}", e.without_url()))?;
    let status = resp.status().as_u16();
    let mut read = 0usize;
    while read < MAX_RESPONSE_BYTES {
        match tokio::time::timeout(TIMEOUT, resp.chunk()).await {
            Ok(Ok(Some(c))) => read += c.len(),
            _ => break,
        }
    }
    if (200..300).contains(&status) {
        Ok(status)
    } else {
        Err(format!("the receiver answered {status}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_covers_timestamp_and_body() {
        let a = sign("k", 1, b"{}");
        assert!(a.starts_with("sha256=") && a.len() == 7 + 64);
        assert_ne!(a, sign("k", 2, b"{}"));
        assert_ne!(a, sign("k", 1, b"{ }"));
        assert_ne!(a, sign("j", 1, b"{}"));
    }
}
