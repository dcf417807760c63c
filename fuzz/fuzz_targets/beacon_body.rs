//! Script beacon bodies, ingress paths and the request plan: never a panic, refusals are 4xx,
//! and accepted beacons respect the size limits.
#![no_main]

use beacon::limits::{
    MAX_IDEMPOTENCY_BYTES, MAX_IDENTIFIER_BYTES, MAX_LOAD_TIME_MS, MAX_URL_BYTES,
};
use beacon::route::{self, File, Plan};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The whole input as a body.
    if let Ok(p) = beacon::payload::parse_script_body(data) {
        assert!(p
            .idempotency
            .as_ref()
            .is_none_or(|s| s.len() <= MAX_IDEMPOTENCY_BYTES));
        assert!(p.referrer.len() <= MAX_URL_BYTES);
        assert!(p.location.as_ref().is_none_or(|s| s.len() <= MAX_URL_BYTES));
        assert!(p
            .load_time
            .is_none_or(|t| t.is_finite() && t > 0.0 && t <= MAX_LOAD_TIME_MS));
    }
    // First line: the path below /ingress/ (with its query string); second: the Referer;
    // the rest: the body.
    let f = shynet_fuzz::fields(data, 3);
    let tail = shynet_fuzz::text(f[0]);
    let (path, query) = match tail.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (tail.as_str(), None),
    };
    match route::parse_route(path) {
        Ok(r) => {
            assert!(r.identifier.len() <= MAX_IDENTIFIER_BYTES);
            assert!(!r.identifier.chars().any(char::is_control));
            let referer = f.get(1).map(|b| shynet_fuzz::text(b));
            let body = f.get(2).copied().unwrap_or(&[]);
            for method in ["GET", "HEAD", "POST", "OPTIONS", "PUT"] {
                match route::plan(
                    method,
                    r.file,
                    r.identifier.clone(),
                    body,
                    query,
                    referer.as_deref(),
                ) {
                    Plan::Refuse(x) => {
                        assert!((400..500).contains(&x.status));
                        let _ = x.reply();
                    }
                    Plan::Beacon(pv) => assert!(pv.location.len() <= MAX_URL_BYTES),
                    Plan::Preflight | Plan::Script | Plan::Auto(_) => {}
                }
            }
            let _ = r.file == File::Script;
        }
        Err(x) => assert!(x.status == 400 || x.status == 404),
    }
});
