//! Signed batch bodies and the `X-Shynet-Signature` header: parsing never panics, only the
//! genuine MAC verifies (a wrong key, a flipped MAC bit, another method or path, another body
//! are refused, checked on every input), and whatever parses as a batch serialises back to an
//! equal batch.
#![no_main]

use beacon::edge_protocol::{
    self, EdgeBatch, QueuedBeacon, SignatureError, SignedRequest, NONCE_BYTES,
};
use libfuzzer_sys::fuzz_target;
use sha2::{Digest, Sha256};

const SECRET: &[u8] = b"fuzz-secret";
const OTHER_KEY: &[u8] = b"fuzz-secret-but-not-this-one";
const NOW: i64 = 1_700_000_000;

fuzz_target!(|data: &[u8]| {
    // First line: the signature header; the rest: the body.
    let f = shynet_fuzz::fields(data, 2);
    let header = shynet_fuzz::text(f[0]);
    let body = f.get(1).copied().unwrap_or(&[]);
    let req = SignedRequest::batch(body);
    match edge_protocol::verify(SECRET, Some(&header), &req, NOW) {
        // The fuzzer's own header verified: it must be the genuine MAC for its time and nonce,
        // so the same header under another key must fail (an accept-anything check would not).
        Ok(parsed) => {
            assert!((NOW - parsed.timestamp).abs() <= edge_protocol::MAX_SKEW_SECS);
            assert_eq!(
                edge_protocol::verify(OTHER_KEY, Some(&header), &req, NOW),
                Err(SignatureError::Mismatch)
            );
        }
        Err(SignatureError::Stale { skew_secs }) => {
            assert!(skew_secs.abs() > edge_protocol::MAX_SKEW_SECS)
        }
        Err(_) => {}
    }

    // A correctly signed request verifies with the right key and nothing else does.
    let digest = Sha256::digest(data);
    let mut nonce = [0u8; NONCE_BYTES];
    nonce.copy_from_slice(&digest[..NONCE_BYTES]);
    let sig = edge_protocol::sign(SECRET, &req, NOW, &nonce);
    let parsed = edge_protocol::verify(SECRET, Some(&sig), &req, NOW).expect("genuine signature");
    assert_eq!((parsed.timestamp, parsed.nonce), (NOW, nonce));
    let refused = |h: &str, key: &[u8], r: &SignedRequest<'_>| {
        assert_eq!(
            edge_protocol::verify(key, Some(h), r, NOW),
            Err(SignatureError::Mismatch),
            "{h}"
        );
    };
    refused(&sig, OTHER_KEY, &req);
    // One hex digit of the MAC changed, at a position the input picks.
    let (head, mac) = sig.rsplit_once('=').expect("v2=<mac>");
    let at = usize::from(digest[16]) % mac.len();
    let mut flipped = mac.as_bytes().to_vec();
    flipped[at] = if flipped[at] == b'0' { b'1' } else { b'0' };
    let flipped = format!("{head}={}", String::from_utf8(flipped).expect("hex"));
    refused(&flipped, SECRET, &req);
    refused(&sig, SECRET, &SignedRequest::config());
    refused(
        &sig,
        SECRET,
        &SignedRequest {
            method: "GET",
            ..req
        },
    );
    refused(
        &sig,
        SECRET,
        &SignedRequest {
            path: edge_protocol::CONFIG_PATH,
            ..req
        },
    );
    let mut other_body = body.to_vec();
    other_body.push(b' ');
    refused(&sig, SECRET, &SignedRequest::batch(&other_body));

    for input in [data, body] {
        if let Ok(batch) = serde_json::from_slice::<EdgeBatch>(input) {
            let again = serde_json::to_vec(&batch).expect("serialise");
            let back: EdgeBatch = serde_json::from_slice(&again).expect("reparse");
            assert_eq!(back.batch_id, batch.batch_id);
            assert_eq!(back.beacons.len(), batch.beacons.len());
        }
        let _ = serde_json::from_slice::<QueuedBeacon>(input);
        let _ = serde_json::from_slice::<beacon::edge_protocol::EdgeConfig>(input);
    }
});
