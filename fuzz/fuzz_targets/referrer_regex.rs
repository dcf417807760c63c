//! The owner's referrer-hiding pattern: compiling never panics, stays within its size bounds
//! and time, and matching a referrer with the compiled pattern never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use stats::referrer;
use std::time::{Duration, Instant};

fuzz_target!(|data: &[u8]| {
    // Line 1: the pattern; line 2: a referrer to test it on.
    let f = shynet_fuzz::fields(data, 2);
    let pattern = shynet_fuzz::text(f[0]);
    let started = Instant::now();
    let compiled = referrer::compile(&pattern);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "compiling took {:?}",
        started.elapsed()
    );
    if let Ok(Some(re)) = compiled {
        assert!(pattern.trim().len() <= referrer::MAX_PATTERN_BYTES);
        let text = shynet_fuzz::text(f.get(1).copied().unwrap_or(b"https://example.com/"));
        let _ = re.is_match(&text);
    }
});
