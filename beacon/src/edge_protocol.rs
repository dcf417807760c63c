//! Authentication between the edge worker and the aggregator, and the wire types they exchange.
//!
//! The edge and the aggregator share one secret (`SHYNET_EDGE_SECRET` on the aggregator, a
//! Worker secret of the same name at the edge). Every request between them carries
//!
//! ```text
//! X-Shynet-Signature: t=<unix seconds>,n=<32 hex digits: 128-bit random nonce>,v2=<64 hex digits>
//! ```
//!
//! where `v2` is HMAC-SHA256(secret, [`canonical`] request): the scheme tag, the method, the
//! endpoint's path, the timestamp, the nonce and the SHA-256 of the body, one per line. The
//! receiver checks the header's form and the ±[`MAX_SKEW_SECS`] window before it reads any
//! body ([`SignatureHeader::parse`]), then the MAC in constant time
//! ([`SignatureHeader::verify`]), then that it has not seen the nonce within the window (the
//! aggregator keeps them in Postgres, shared by every replica). So a captured signature opens
//! neither another endpoint nor another method, nor the same request a second time, and the
//! secret itself never travels. A legitimate re-send (a queue redelivery) is a new request: new
//! timestamp, new nonce, new signature; exactly-once for batches rests on the batch and message
//! ids, not on the signature.
//!
//! Versioning: `v2` is the only accepted scheme. The earlier `t=…,v1=…` header (a MAC over the
//! timestamp and body only) is refused as malformed; the worker and the aggregator are released
//! together, so no transition period is supported.
//!
//! Beacon kinds: a beacon with an `event` is a custom event, one without is a page view (the
//! page-view wire form is the same as before events existed). An aggregator that predates
//! events would ignore the unknown `event` key and store the event as a page view, so the edge
//! queues events only when the aggregator's config announces [`EVENTS_PROTOCOL`] or later in
//! [`EdgeConfig::protocol`] (an older aggregator sends no `protocol`: version 1); otherwise it
//! answers the event routes 404, as that aggregator would. An older edge sends no events, so a
//! newer aggregator reads its batches unchanged.
//!
//! No I/O, no clock and no randomness here: callers pass the time and the nonce, which keeps
//! this usable (and testable) on both sides, native and wasm32.

use crate::wire::Beacon;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

mod config;
pub use config::{
    EdgeConfig, EdgeService, WireSalt, DROPS_PROTOCOL, EVENTS_PROTOCOL, PROTOCOL_VERSION,
};

/// Request header carrying the signature (lower-case, as HTTP/2 and both sides spell it).
pub const SIGNATURE_HEADER: &str = "x-shynet-signature";

/// The signature scheme: its tag in the header and the first line of what is MACed.
pub const SIGNATURE_SCHEME: &str = "v2";

/// Bytes of a nonce (128 bits, hex-encoded in the header): random per request, so guessing or
/// colliding one is out of reach, and the verifier can refuse any it has seen.
pub const NONCE_BYTES: usize = 16;

/// Largest accepted distance between the signer's and the verifier's clocks (seconds), in either
/// direction. Bounds how long the verifier must remember a nonce.
pub const MAX_SKEW_SECS: i64 = 300;

/// Longest accepted signature header (bytes): a valid one is about 120.
pub const MAX_SIGNATURE_HEADER_BYTES: usize = 256;

/// A queue message that carries an isolate's drop counters instead of a beacon (at most
/// [`MAX_BATCH_DROPS`]). A beacon message never parses as one (it has no `drops`), nor this as
/// a beacon (it has no `service`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueuedDrops {
    /// The counters.
    pub drops: Vec<EdgeDrop>,
}

/// Most beacons in one signed batch. The queue consumer splits larger message batches; the
/// aggregator refuses (413) anything over it, so one request's transaction stays bounded.
pub const MAX_BATCH_BEACONS: usize = 500;

/// Largest accepted batch body (bytes). A beacon is at most ~10 KiB of JSON in practice (URL,
/// referrer and UA limits), ~60 KiB with pathological escaping; 8 MiB fits any full batch of
/// realistic beacons. The aggregator answers 413 above it without reading the rest.
pub const MAX_BATCH_BYTES: usize = 8 * 1024 * 1024;

/// Path of the batch endpoint on the aggregator (signed as is, whatever prefix
/// `AGGREGATOR_URL` carries).
pub const BATCH_PATH: &str = "/ingest/v1/batch";

/// Most drop counters one batch may carry (one per service, UTC day and reason the edge saw
/// since its last batch); the aggregator refuses (400) more.
pub const MAX_BATCH_DROPS: usize = 1000;

/// Largest count one drop counter may carry (a counter past it is split by the edge or capped).
pub const MAX_DROP_COUNT: u32 = 10_000_000;

/// Beacons the edge did not queue, counted per service, UTC day and reason. An isolate adds
/// them up and queues them as one [`QueuedDrops`] message at most every few seconds (never a
/// message per dropped beacon); the consumer delivers that message as a batch of its own
/// (no beacons, batch id from the message id), so a redelivered message counts once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EdgeDrop {
    /// The service the beacon was for (a known one: unknown ids are not counted).
    pub service: Uuid,
    /// UTC day number (days since 1970-01-01), as salts count days.
    pub day: i32,
    /// Why it was not queued.
    pub reason: crate::dropped::DropKind,
    /// How many.
    pub count: u32,
}

/// Path of the edge config endpoint on the aggregator (signed as is, like [`BATCH_PATH`]).
pub const CONFIG_PATH: &str = "/ingest/v1/config";

type HmacSha256 = Hmac<Sha256>;

/// What a signature covers besides time and nonce.
///
/// Exists so signer and verifier name the same three parts; the path is the endpoint's
/// ([`BATCH_PATH`], [`CONFIG_PATH`]), not whatever URL prefix sits in front of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignedRequest<'a> {
    /// `GET` or `POST` (upper-case).
    pub method: &'a str,
    /// The endpoint's path.
    pub path: &'a str,
    /// The body (empty for a GET).
    pub body: &'a [u8],
}

impl<'a> SignedRequest<'a> {
    /// `POST` [`BATCH_PATH`] with `body`.
    pub fn batch(body: &'a [u8]) -> Self {
        SignedRequest {
            method: "POST",
            path: BATCH_PATH,
            body,
        }
    }

    /// `GET` [`CONFIG_PATH`], no body.
    pub fn config() -> Self {
        SignedRequest {
            method: "GET",
            path: CONFIG_PATH,
            body: b"",
        }
    }
}

/// The text that is MACed: `v2\n{method}\n{path}\n{timestamp}\n{nonce hex}\n{sha256(body) hex}`.
///
/// Public so other signers (the benchmark's and tests' JavaScript) can be checked against it.
/// Every field is on its own line and none may contain a newline (method and path are
/// constants, the rest digits), so no two requests share a canonical form.
pub fn canonical(req: &SignedRequest<'_>, timestamp: i64, nonce: &[u8; NONCE_BYTES]) -> String {
    format!(
        "{SIGNATURE_SCHEME}\n{}\n{}\n{timestamp}\n{}\n{}",
        req.method,
        req.path,
        hex::encode(nonce),
        hex::encode(Sha256::digest(req.body)),
    )
}

fn mac(
    secret: &[u8],
    req: &SignedRequest<'_>,
    timestamp: i64,
    nonce: &[u8; NONCE_BYTES],
) -> HmacSha256 {
    // HMAC accepts keys of any length (long ones are hashed first), so this cannot fail.
    let mut m = match HmacSha256::new_from_slice(secret) {
        Ok(m) => m,
        Err(_) => unreachable!("HMAC takes keys of any length"),
    };
    m.update(canonical(req, timestamp, nonce).as_bytes());
    m
}

/// The `X-Shynet-Signature` value for `req` signed at `timestamp` (Unix seconds) with `nonce`
/// (fresh random bytes per request: the verifier refuses a nonce it has seen).
///
/// Exists so the edge's consumer and config fetch (and the tests, which play the edge)
/// produce exactly what [`verify`] checks.
pub fn sign(
    secret: &[u8],
    req: &SignedRequest<'_>,
    timestamp: i64,
    nonce: &[u8; NONCE_BYTES],
) -> String {
    let tag = mac(secret, req, timestamp, nonce).finalize().into_bytes();
    format!(
        "t={timestamp},n={},{SIGNATURE_SCHEME}={}",
        hex::encode(nonce),
        hex::encode(tag)
    )
}

/// Why a signature was refused. Each reason is safe to tell the caller: none says anything
/// about the secret beyond "this MAC is not right".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// No signature header at all.
    #[error("missing {SIGNATURE_HEADER} header")]
    Missing,
    /// The header is not `t=<int>,n=<32 hex>,v2=<64 hex>` (an older `v1` header included).
    #[error("malformed {SIGNATURE_HEADER} header: expected t=<unix seconds>,n=<32 hex digits>,v2=<64 hex digits>")]
    Malformed,
    /// The timestamp is too far from the verifier's clock.
    #[error("signature timestamp outside the ±{MAX_SKEW_SECS} s window (skew {skew_secs} s)")]
    Stale {
        /// Verifier's time minus the signed time.
        skew_secs: i64,
    },
    /// The MAC does not match: wrong secret, or another method, path, time, nonce or body.
    #[error("signature does not match the request")]
    Mismatch,
    /// The nonce was used before within the window: a replayed request (the verifier's nonce
    /// store decides this, not [`verify`]).
    #[error("signature nonce already used")]
    Replayed,
    /// The verifier has no secret configured (so nothing can be verified).
    #[error("no shared secret configured")]
    NoSecret,
}

/// A parsed signature header whose timestamp is inside the window; the MAC is not checked yet.
///
/// Exists so the aggregator can refuse a missing, malformed or stale header before it reads
/// (or lets anyone send) a body of up to [`MAX_BATCH_BYTES`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureHeader {
    /// Signed time (Unix seconds).
    pub timestamp: i64,
    /// The request's nonce: the verifier records it until `timestamp + MAX_SKEW_SECS`.
    pub nonce: [u8; NONCE_BYTES],
    tag: [u8; 32],
}

impl SignatureHeader {
    /// Form and window checks, which need neither the secret nor the body.
    pub fn parse(header: Option<&str>, now: i64) -> Result<SignatureHeader, SignatureError> {
        let header = header.ok_or(SignatureError::Missing)?;
        let parsed = parse_fields(header).ok_or(SignatureError::Malformed)?;
        let skew_secs = now.saturating_sub(parsed.timestamp);
        if skew_secs.abs() > MAX_SKEW_SECS {
            return Err(SignatureError::Stale { skew_secs });
        }
        Ok(parsed)
    }

    /// The MAC over `req` with this header's time and nonce, compared in constant time.
    pub fn verify(&self, secret: &[u8], req: &SignedRequest<'_>) -> Result<(), SignatureError> {
        if secret.is_empty() {
            return Err(SignatureError::NoSecret);
        }
        mac(secret, req, self.timestamp, &self.nonce)
            .verify_slice(&self.tag)
            .map_err(|_| SignatureError::Mismatch)
    }
}

/// Checks `header` (the `X-Shynet-Signature` value, if any) against `req` at time `now`
/// (Unix seconds): form, window, then the MAC. Returns the header, whose nonce the caller
/// must then claim (see [`SignatureError::Replayed`]).
pub fn verify(
    secret: &[u8],
    header: Option<&str>,
    req: &SignedRequest<'_>,
    now: i64,
) -> Result<SignatureHeader, SignatureError> {
    if secret.is_empty() {
        return Err(SignatureError::NoSecret);
    }
    let parsed = SignatureHeader::parse(header, now)?;
    parsed.verify(secret, req)?;
    Ok(parsed)
}

/// Exactly the three fields, each once, in any order (spaces around parts tolerated).
fn parse_fields(header: &str) -> Option<SignatureHeader> {
    if header.len() > MAX_SIGNATURE_HEADER_BYTES {
        return None;
    }
    let mut timestamp = None;
    let mut nonce = None;
    let mut tag = None;
    for part in header.split(',') {
        let (k, v) = part.trim().split_once('=')?;
        let v = v.trim();
        match k.trim() {
            "t" if timestamp.is_none() && !v.starts_with('+') => {
                timestamp = Some(v.parse::<i64>().ok()?)
            }
            "n" if nonce.is_none() => {
                let mut out = [0u8; NONCE_BYTES];
                hex::decode_to_slice(v, &mut out).ok()?;
                nonce = Some(out);
            }
            SIGNATURE_SCHEME if tag.is_none() => {
                let mut out = [0u8; 32];
                hex::decode_to_slice(v, &mut out).ok()?;
                tag = Some(out);
            }
            _ => return None,
        }
    }
    Some(SignatureHeader {
        timestamp: timestamp?,
        nonce: nonce?,
        tag: tag?,
    })
}

/// Batch id for a group of queue messages: hex SHA-256 of their ids, sorted and joined by
/// newlines.
///
/// Exists so a redelivery of the same messages (the queue retries a batch whose POST failed or
/// timed out after the aggregator committed) yields the same id whatever the delivery order,
/// and the aggregator acknowledges it without applying it twice.
pub fn batch_id<S: AsRef<str>>(message_ids: &[S]) -> String {
    let mut ids: Vec<&str> = message_ids.iter().map(AsRef::as_ref).collect();
    ids.sort_unstable();
    let mut h = Sha256::new();
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            h.update(b"\n");
        }
        h.update(id.as_bytes());
    }
    hex::encode(h.finalize())
}

/// Longest accepted batch id (a hex SHA-256 is 64); bounds what the aggregator stores.
pub const MAX_BATCH_ID_BYTES: usize = 128;

/// One signed delivery from the edge: the reduced beacons of one queue message batch.
///
/// Exists as the single wire format of `POST /ingest/v1/batch`, shared by the producer (edge
/// consumer) and the aggregator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EdgeBatch {
    /// Idempotency key, see [`batch_id`].
    pub batch_id: String,
    /// The beacons, at most [`MAX_BATCH_BEACONS`].
    pub beacons: Vec<Beacon>,
    /// Per beacon (same order), or empty when no beacon has any: the ids of earlier batches
    /// that carried this beacon and whose outcome the edge never learned (see
    /// [`QueuedBeacon::fences`]). The aggregator applies the beacon only if none of them was
    /// applied, and fences them so they never will be.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fences: Vec<Vec<String>>,
    /// Per beacon (same order), or empty from an older edge: the id of the queue message the
    /// beacon first travelled in ([`QueuedBeacon::origin`] keeps it across re-enqueues). The
    /// aggregator records them with the beacons, so when a consumer dies between the commit and
    /// its acknowledgement and the platform redelivers the messages in other groups (new batch
    /// ids, no fences), each is still applied once.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub message_ids: Vec<String>,
    /// The edge's dropped-traffic counts since its previous batch (protocol
    /// [`DROPS_PROTOCOL`]; absent from older edges). Counted once, when the batch is first
    /// applied, so a redelivered batch does not count them again.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub drops: Vec<EdgeDrop>,
}

/// Most fences one beacon may carry: after this many deliveries with unknown outcome the
/// consumer stops re-enqueueing and leaves the message to the queue's own retries and
/// dead-letter queue.
pub const MAX_FENCES: usize = 8;

/// Response header the aggregator sets on every batch refusal made before anything could be
/// committed. The edge may then retry the messages in any grouping; without it (a network
/// error, a proxy's 502, a failed commit) the outcome is unknown and the edge re-enqueues the
/// beacons with a fence instead (see [`QueuedBeacon`]).
pub const NOT_APPLIED_HEADER: &str = "x-shynet-not-applied";

/// A queue message: one reduced beacon, plus what earlier delivery attempts left unknown.
///
/// Exists because a batch id only recognises the *same group* of messages: a queue may
/// redeliver retried messages grouped with new ones. When a delivery's outcome is unknown
/// (the aggregator may have committed, but the answer was lost), the consumer acknowledges
/// the messages and enqueues each beacon again with that batch id appended to `fences`; the
/// aggregator then applies it only if no fenced batch was applied, and marks the fenced ids
/// so a late original cannot apply either. The common path adds nothing per beacon.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueuedBeacon {
    /// The beacon.
    #[serde(flatten)]
    pub beacon: Beacon,
    /// Batch ids of earlier deliveries with unknown outcome, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fences: Vec<String>,
    /// The id of the queue message this beacon first travelled in, set when the consumer
    /// re-enqueues it (the copy gets a new message id; the beacon keeps its identity).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
}

/// What the aggregator answers to an accepted batch.
///
/// Exists so the edge (and the tests) can tell a first application from an acknowledged
/// redelivery, and see how many beacons were dropped by the aggregator's own rules.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchReceipt {
    /// The batch id echoed back.
    pub batch_id: String,
    /// `false` when this id had been applied before (nothing was written this time).
    pub applied: bool,
    /// Beacons written.
    pub written: usize,
    /// Beacons dropped because their service is unknown or archived.
    pub dropped_unknown_service: usize,
    /// Beacons dropped as robots for services that ignore robots.
    pub dropped_robot: usize,
    /// Beacons skipped because an earlier batch (one of their fences) applied them.
    #[serde(default)]
    pub duplicates: usize,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::visitor::Salt;

    const SECRET: &[u8] = b"s3cret";
    const NONCE: [u8; NONCE_BYTES] = [7; NONCE_BYTES];

    fn batch_sig(t: i64, body: &[u8]) -> String {
        sign(SECRET, &SignedRequest::batch(body), t, &NONCE)
    }

    #[test]
    fn round_trip_and_rejections() {
        let body = br#"{"batch_id":"x","beacons":[]}"#;
        let req = SignedRequest::batch(body);
        let sig = batch_sig(1_000_000, body);
        assert!(sig.starts_with("t=1000000,n=07070707070707070707070707070707,v2="));
        let ok = verify(SECRET, Some(&sig), &req, 1_000_000).unwrap();
        assert_eq!((ok.timestamp, ok.nonce), (1_000_000, NONCE));
        assert!(verify(SECRET, Some(&sig), &req, 1_000_300).is_ok());
        assert!(verify(SECRET, Some(&sig), &req, 999_700).is_ok());
        assert_eq!(
            verify(SECRET, Some(&sig), &req, 1_000_301),
            Err(SignatureError::Stale { skew_secs: 301 })
        );
        assert_eq!(
            verify(SECRET, Some(&sig), &req, 999_699),
            Err(SignatureError::Stale { skew_secs: -301 })
        );
        assert_eq!(
            verify(SECRET, Some(&sig), &SignedRequest::batch(b"{}"), 1_000_000),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(b"other", Some(&sig), &req, 1_000_000),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(SECRET, None, &req, 1_000_000),
            Err(SignatureError::Missing)
        );
        assert_eq!(
            verify(b"", Some(&sig), &req, 1_000_000),
            Err(SignatureError::NoSecret)
        );
        // A changed timestamp or nonce without the secret does not verify.
        let forged = sig.replace("t=1000000", "t=1000001");
        assert_eq!(
            verify(SECRET, Some(&forged), &req, 1_000_000),
            Err(SignatureError::Mismatch)
        );
        let forged = sig.replace("n=0707", "n=0807");
        assert_eq!(
            verify(SECRET, Some(&forged), &req, 1_000_000),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn a_signature_is_bound_to_method_and_path() {
        let config = sign(SECRET, &SignedRequest::config(), 50, &NONCE);
        assert!(verify(SECRET, Some(&config), &SignedRequest::config(), 50).is_ok());
        // The config GET's signature opens neither the batch endpoint (even with the same,
        // empty, body) nor the config path with another method, nor another path.
        let refused = [
            SignedRequest::batch(b""),
            SignedRequest {
                method: "POST",
                ..SignedRequest::config()
            },
            SignedRequest {
                path: "/ingest/v1/config/",
                ..SignedRequest::config()
            },
            SignedRequest {
                method: "get",
                ..SignedRequest::config()
            },
        ];
        for req in refused {
            assert_eq!(
                verify(SECRET, Some(&config), &req, 50),
                Err(SignatureError::Mismatch),
                "{req:?}"
            );
        }
        // And each nonce gives another signature for the same request.
        assert_ne!(
            config,
            sign(SECRET, &SignedRequest::config(), 50, &[8; NONCE_BYTES])
        );
    }

    #[test]
    fn canonical_form_is_line_per_field() {
        let c = canonical(&SignedRequest::config(), 12, &[0xab; NONCE_BYTES]);
        assert_eq!(
            c,
            format!(
                "v2\nGET\n/ingest/v1/config\n12\n{}\n\
                 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                "ab".repeat(16)
            )
        );
    }

    #[test]
    fn form_and_window_are_checked_without_secret_or_body() {
        let sig = batch_sig(100, b"whatever body");
        let parsed = SignatureHeader::parse(Some(&sig), 100).unwrap();
        assert_eq!(parsed.nonce, NONCE);
        assert_eq!(
            SignatureHeader::parse(Some(&sig), 401),
            Err(SignatureError::Stale { skew_secs: 301 })
        );
        assert_eq!(
            SignatureHeader::parse(None, 100),
            Err(SignatureError::Missing)
        );
        assert!(parsed
            .verify(SECRET, &SignedRequest::batch(b"whatever body"))
            .is_ok());
        assert_eq!(
            parsed.verify(SECRET, &SignedRequest::batch(b"other")),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn malformed_headers() {
        let n = "00".repeat(16);
        let v = "00".repeat(32);
        let long = format!("t=1,n={n},v2={v},{}", "x".repeat(300));
        for h in [
            String::new(),
            "t=1".into(),
            format!("t=1,v2={v}"),
            format!("t=1,n={n}"),
            format!("n={n},v2={v}"),
            format!("t=x,n={n},v2={v}"),
            format!("t=+1,n={n},v2={v}"),
            format!("t=1,n=zz,v2={v}"),
            format!("t=1,n=0011,v2={v}"),
            format!("t=1,n={n},v2=0011"),
            format!("t=1,t=2,n={n},v2={v}"),
            format!("t=1,n={n},v2={v},extra=1"),
            // The retired scheme: refused, not half-understood.
            format!("t=1,v1={v}"),
            format!("t=1,n={n},v1={v}"),
            long,
            "garbage".into(),
        ] {
            assert_eq!(
                SignatureHeader::parse(Some(&h), 1),
                Err(SignatureError::Malformed),
                "{h}"
            );
        }
        // Order and spaces do not matter.
        let sig = batch_sig(5, b"b");
        let parts: Vec<&str> = sig.split(',').collect();
        let shuffled = format!("{} , {},{}", parts[2], parts[0], parts[1]);
        assert!(verify(SECRET, Some(&shuffled), &SignedRequest::batch(b"b"), 5).is_ok());
    }

    #[test]
    fn batch_ids_ignore_order() {
        let a = batch_id(&["m2", "m1", "m3"]);
        assert_eq!(a, batch_id(&["m1", "m2", "m3"]));
        assert_ne!(a, batch_id(&["m1", "m2"]));
        assert_eq!(a.len(), 64);
        // The separator keeps ["ab","c"] and ["a","bc"] apart.
        assert_ne!(batch_id(&["ab", "c"]), batch_id(&["a", "bc"]));
    }

    #[test]
    fn queued_beacon_round_trips_flat() {
        let json = r#"{"service":"00000000-0000-0000-0000-000000000007","time_ms":5,
            "tracker":"PIXEL","visitor":"000102030405060708090a0b0c0d0e0f","fences":["b1"]}"#;
        let q: QueuedBeacon = serde_json::from_str(json).unwrap();
        assert_eq!(q.fences, vec!["b1".to_owned()]);
        assert_eq!(q.beacon.visitor.0[15], 15);
        let back: QueuedBeacon = serde_json::from_str(&serde_json::to_string(&q).unwrap()).unwrap();
        assert_eq!(back, q);
        // A plain beacon is a queue message without fences.
        let plain: QueuedBeacon =
            serde_json::from_str(&serde_json::to_string(&q.beacon).unwrap()).unwrap();
        assert!(plain.fences.is_empty());
    }

    #[test]
    fn protocol_versions() {
        let old = r#"{"generated_ms":1,"session_timeout_ms":1,"heartbeat_ms":1,"services":[],"salts":[]}"#;
        let cfg: EdgeConfig = serde_json::from_str(old).unwrap();
        assert_eq!(cfg.protocol, 1);
        assert!(!cfg.accepts_events());
        let now = EdgeConfig {
            protocol: PROTOCOL_VERSION,
            ..cfg
        };
        assert!(now.accepts_events());
        let back: EdgeConfig = serde_json::from_str(&serde_json::to_string(&now).unwrap()).unwrap();
        assert_eq!(back.protocol, PROTOCOL_VERSION);
    }

    #[test]
    fn salts_by_day() {
        let day = 20_000;
        let ms = i64::from(day) * crate::visitor::DAY_MS;
        let s = |d: i32, b: u8| {
            WireSalt::from_salt(&Salt {
                day: d,
                bytes: [b; 32],
            })
        };
        let mut cfg = EdgeConfig {
            protocol: PROTOCOL_VERSION,
            generated_ms: ms,
            session_timeout_ms: 1_800_000,
            heartbeat_ms: 5000,
            services: vec![],
            salts: vec![s(day - 1, 1), s(day, 2)],
        };
        let (cur, prev) = cfg.salts_for(ms + 1000).unwrap();
        assert_eq!((cur.day, prev.map(|p| p.day)), (day, Some(day - 1)));
        let (cur, prev) = cfg.salts_for(ms + 3_600_000).unwrap();
        assert_eq!((cur.day, prev), (day, None));
        // Past midnight with a stale copy: yesterday's salt carries on.
        let (cur, prev) = cfg.salts_for(ms + crate::visitor::DAY_MS + 10).unwrap();
        assert_eq!((cur.day, prev), (day, None));
        cfg.salts.clear();
        assert!(cfg.salts_for(ms).is_none());
        assert!(!format!("{:?}", s(1, 0xab)).contains("ab"));
    }
}
