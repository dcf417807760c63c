//! What an operator's log holds under overload: refused beacons (503 while the queue is full)
//! and client errors (4xx) leave no line each, only counters and one shed summary per interval.

mod common;
use aggregator::logging::{subscriber, CaptureWriter, LogFormat, DEFAULT_FILTER};
use common::*;
use futures_util::StreamExt;
use std::time::Duration;

/// Refused beacons in the flood.
const FLOOD: usize = 3000;
/// Client errors in the flood.
const CLIENT_ERRORS: usize = 500;
/// Badly signed edge batches in the flood.
const BAD_SIGNATURES: usize = 200;
/// Most log lines the whole flood may write.
const MAX_LINES: usize = 20;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overload_is_counted_and_summarised_not_logged_per_request() {
    let log = CaptureWriter::default();
    tracing::subscriber::set_global_default(subscriber(
        LogFormat::Text,
        tracing_subscriber::EnvFilter::new(DEFAULT_FILTER),
        log.clone(),
    ))
    .expect("the only subscriber in this test binary");

    let mut o = Opts::default();
    o.ingest.queue_capacity = 4;
    o.ingest.batch_size = 2;
    o.ingest.edge_secret = Some(aggregator::config::EdgeSecret(
        "an edge secret of sufficient length".into(),
    ));
    let t = spawn_app(o).await;
    let svc = t.service(Svc::default()).await;
    let mut locker = t.pool.get().await.unwrap();
    let tx = locker.transaction().await.unwrap();
    tx.batch_execute("LOCK TABLE hits IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();
    assert_eq!(
        t.pixel(svc, "81.2.0.1", CHROME_UA, "https://e.com/")
            .await
            .status(),
        200
    );
    wait_for_lock_waiter(&t.pool, "hits").await;
    let before = log.text().len();

    // Thousands of beacons against a stalled writer, and a stream of client errors.
    let statuses: Vec<u16> = futures_util::stream::iter(0..FLOOD)
        .map(|i| {
            let ip = format!("81.3.{}.{}", i / 200, i % 200 + 1);
            let t = &t;
            async move {
                t.pixel(svc, &ip, CHROME_UA, "https://e.com/")
                    .await
                    .status()
                    .as_u16()
            }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    let accepted = statuses.iter().filter(|s| **s == 200).count();
    let refused = statuses.iter().filter(|s| **s == 503).count();
    assert_eq!(accepted + refused, FLOOD, "only 200 or 503: {statuses:?}");
    assert_eq!(accepted, 4, "the queue holds 4 beacons");
    let unknown = uuid::Uuid::new_v4();
    for i in 0..CLIENT_ERRORS {
        let path = if i % 2 == 0 {
            format!("/ingress/{unknown}/pixel.gif?u=secret")
        } else {
            format!("/ingress/{svc}/nope.txt")
        };
        let r = t.http.get(t.url(&path)).send().await.unwrap();
        assert!(r.status().is_client_error(), "{path}: {}", r.status());
    }
    for i in 0..BAD_SIGNATURES {
        let r = t
            .http
            .post(t.url("/ingest/v1/batch"))
            .header(
                beacon::edge_protocol::SIGNATURE_HEADER,
                format!("t=1,n=x,v1={i}"),
            )
            .body("[]")
            .send()
            .await
            .unwrap();
        assert!(
            r.status().is_client_error(),
            "bad signature: {}",
            r.status()
        );
    }

    let m = t.app.metrics.snapshot();
    assert_eq!(
        m.rejected_overload, refused as u64,
        "every refusal is counted"
    );
    assert_eq!(
        m.rejected_bad_input, CLIENT_ERRORS as u64,
        "every client error is counted"
    );
    // The summary comes within the poll interval of the first refusal.
    let mut summary = None;
    for _ in 0..500 {
        summary = log.text()[before..]
            .lines()
            .find(|l| l.contains("shed ") && l.contains("beacons in the last"))
            .map(str::to_owned);
        if summary.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let summary = summary.expect("a shed summary line while shedding");
    assert!(summary.contains("WARN"), "{summary}");
    let flood_log = log.text()[before..].to_owned();
    let lines = flood_log.lines().count();
    assert!(
        lines < MAX_LINES,
        "{lines} log lines for {FLOOD} refusals, {CLIENT_ERRORS} client errors and \
         {BAD_SIGNATURES} bad signatures:\n{}",
        &flood_log[..flood_log.len().min(4000)]
    );
    assert!(!flood_log.contains("secret"), "no query strings in logs");

    tx.rollback().await.unwrap();
    t.settle().await;
    assert_eq!(t.hits(svc).await, 1 + accepted as i64);
    t.app.shutdown().await;
}
