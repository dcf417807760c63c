//! Signed batch bodies and the `X-Shynet-Signature` header: parsing never panics, a forged
//! signature never verifies, and whatever parses as a batch serialises back to an equal batch.
#![no_main]

use beacon::signing::{self, EdgeBatch, QueuedBeacon, SignatureError};
use libfuzzer_sys::fuzz_target;

const SECRET: &[u8] = b"fuzz-secret";
const NOW: i64 = 1_700_000_000;

fuzz_target!(|data: &[u8]| {
    // First line: the signature header; the rest: the body.
    let f = shynet_fuzz::fields(data, 2);
    let header = shynet_fuzz::text(f[0]);
    let body = f.get(1).copied().unwrap_or(&[]);
    match signing::verify(SECRET, Some(&header), body, NOW) {
        // Only a real MAC over this body verifies: the fuzzer cannot know the secret, so a
        // success must be a header that is the genuine signature.
        Ok(()) => {
            let t = header
                .split(',')
                .find_map(|p| p.trim().strip_prefix("t="))
                .and_then(|t| t.trim().parse::<i64>().ok())
                .expect("verified header has a timestamp");
            let genuine = signing::sign(SECRET, t, body);
            assert!(signing::verify(SECRET, Some(&genuine), body, NOW).is_ok());
        }
        Err(SignatureError::Stale { skew_secs }) => {
            assert!(skew_secs.abs() > signing::MAX_SKEW_SECS)
        }
        Err(_) => {}
    }
    // A correctly signed copy verifies (round trip of the header format).
    let sig = signing::sign(SECRET, NOW, body);
    assert_eq!(signing::verify(SECRET, Some(&sig), body, NOW), Ok(()));

    for input in [data, body] {
        if let Ok(batch) = serde_json::from_slice::<EdgeBatch>(input) {
            let again = serde_json::to_vec(&batch).expect("serialise");
            let back: EdgeBatch = serde_json::from_slice(&again).expect("reparse");
            assert_eq!(back.batch_id, batch.batch_id);
            assert_eq!(back.beacons.len(), batch.beacons.len());
        }
        let _ = serde_json::from_slice::<QueuedBeacon>(input);
        let _ = serde_json::from_slice::<beacon::signing::EdgeConfig>(input);
    }
});
