//! UA classification benchmark (plain `harness = false`, no criterion).
//!
//! Measures building a `UaClassifier` (regex compilation) and the per-call cost of `classify`
//! over the 12 User-Agents of the ingestion workload (`bench/workload/common.lua`) plus the
//! first 1,000 UAs of uap-core's `test_ua.yaml`. Run with `cargo bench -p beacon --bench ua`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use beacon::ua::UaClassifier;

/// The User-Agents of the shared ingestion workload, in its order and weighting.
const WORKLOAD_UAS: [&str; 12] = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.51",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:125.0) Gecko/20100101 Firefox/125.0",
    "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 13; SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36",
    "Mozilla/5.0 (iPad; CPU OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
];

/// `user_agent_string` values of uap-core's test file (single- or double-quoted scalars).
fn test_file_uas(yaml: &str, n: usize) -> Vec<String> {
    yaml.lines()
        .filter_map(|l| l.trim().strip_prefix("- user_agent_string:"))
        .map(|v| {
            let v = v.trim();
            if let Some(inner) = v.strip_prefix('\'').and_then(|x| x.strip_suffix('\'')) {
                inner.replace("''", "'")
            } else if let Some(inner) = v.strip_prefix('"').and_then(|x| x.strip_suffix('"')) {
                inner.to_string()
            } else {
                v.to_string()
            }
        })
        .take(n)
        .collect()
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

/// Times every call separately over `passes` passes and prints median, mean and p99.
fn run(label: &str, c: &UaClassifier, uas: &[&str], passes: usize) {
    let mut samples = Vec::with_capacity(uas.len() * passes);
    for _ in 0..passes {
        for ua in uas {
            let t = Instant::now();
            black_box(c.classify(black_box(ua)));
            samples.push(t.elapsed());
        }
    }
    samples.sort_unstable();
    let n = samples.len();
    let total: Duration = samples.iter().sum();
    let median = micros(samples[n / 2]);
    let p99 = micros(samples[(n * 99 / 100).min(n - 1)]);
    let mean = micros(total) / n as f64;
    println!(
        "{label:<34} {n:>6} calls  median {median:>7.2} µs  mean {mean:>7.2} µs  p99 {p99:>7.2} µs"
    );
}

fn main() {
    let t = Instant::now();
    let classifier = match UaClassifier::new() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("cannot build the classifier: {e}");
            std::process::exit(1);
        }
    };
    let built = t.elapsed();
    println!(
        "construction (UaClassifier::new)    {:>8.1} ms",
        built.as_secs_f64() * 1e3
    );

    let file_uas = test_file_uas(include_str!("../data/uap-core/test_ua.yaml"), 1000);
    let file_refs: Vec<&str> = file_uas.iter().map(String::as_str).collect();
    let mut all: Vec<&str> = WORKLOAD_UAS.to_vec();
    all.extend(&file_refs);

    // The first pass is reported separately: it pays for the lazily built regex (DFA) states,
    // as the first requests after start-up do.
    run("first pass, cold (12 + 1000)", &classifier, &all, 1);

    run("workload UAs (12)", &classifier, &WORKLOAD_UAS, 500);
    run("test_ua.yaml first 1000", &classifier, &file_refs, 5);
    run("all (12 + 1000)", &classifier, &all, 5);
}
