//! The aggregator through PgBouncer (1.21 or later, prepared statements tracked across its
//! server connections) in transaction pool mode, under concurrent ingest load: page views with
//! repeated tokens on the direct path and signed edge batches redelivered at once, each stored
//! exactly once; the figures read back through PgBouncer agree. Migrations run on a direct connection (their advisory lock is held by the
//! session; see docs/operations.md), everything else through PgBouncer.

mod common;

use aggregator::config::{EdgeSecret, IngestArgs};
use aggregator::pools::{PoolSizes, Pools};
use aggregator::testkit::PgBouncer;
use beacon::edge_protocol::{sign, BatchReceipt, EdgeBatch, SignedRequest, SIGNATURE_HEADER};
use beacon::wire::{Beacon, Geo, Tracker, VisitorKey};
use common::{Svc, CHROME_UA};
use std::time::Duration;
use uuid::Uuid;

const EDGE_SECRET: &str = "pgbouncer-test-edge-secret-0123";
/// Visitors on the direct path, and page views per visitor (each sent twice).
const VISITORS: usize = 40;
const VIEWS_PER_VISITOR: usize = 6;
/// Edge batches, beacons per batch, and deliveries of each batch (sent at once).
const BATCHES: usize = 16;
const BEACONS_PER_BATCH: usize = 25;
const DELIVERIES: usize = 3;

fn edge_beacon(service: Uuid, batch: usize, i: usize) -> Beacon {
    Beacon {
        service,
        time_ms: chrono::Utc::now().timestamp_millis(),
        tracker: Tracker::Js,
        identifier: String::new(),
        idempotency: Some(format!("edge-{batch}-{i}")),
        location: format!("https://edge.example/p/{i}"),
        referrer: String::new(),
        load_time: Some(100.0),
        user_agent: CHROME_UA.into(),
        visitor: VisitorKey([(batch * BEACONS_PER_BATCH + i) as u8; 16]),
        previous_visitor: None,
        ip: None,
        geo: Geo {
            country: "DE".into(),
            ..Geo::default()
        },
        event: None,
    }
}

/// One signed delivery of a batch.
async fn deliver(http: reqwest::Client, url: String, body: Vec<u8>) -> bool {
    let t = chrono::Utc::now().timestamp();
    let sig = sign(
        EDGE_SECRET.as_bytes(),
        &SignedRequest::batch(&body),
        t,
        &Uuid::new_v4().into_bytes(),
    );
    let r = http
        .post(url)
        .header(SIGNATURE_HEADER, sig)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json::<BatchReceipt>().await.unwrap().applied
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ingest_through_pgbouncer_in_transaction_mode_stores_each_beacon_once() {
    let (direct, cfg) = common::fresh_db().await;
    let dbname = cfg.get_dbname().unwrap().to_owned();
    let name = dbname.clone();
    let bouncer = tokio::task::spawn_blocking(move || PgBouncer::start(&name))
        .await
        .unwrap()
        .unwrap();
    eprintln!(
        "PgBouncer {}.{}: transaction mode, {} server connections, prepared statements tracked",
        bouncer.version.0,
        bouncer.version.1,
        aggregator::testkit::PGBOUNCER_SERVER_CONNECTIONS,
    );
    let via = bouncer.pg_config(&dbname);
    let ingest_pool = aggregator::db::make_pool(via.clone(), 8).unwrap();
    let pools = Pools::open(ingest_pool.clone(), &via, PoolSizes::default()).unwrap();
    let opts = common::Opts {
        tracking: Default::default(),
        ingest: IngestArgs {
            ip_headers: "x-forwarded-for".into(),
            edge_secret: Some(EdgeSecret(EDGE_SECRET.into())),
            // Small batches: many transactions through the pooler.
            batch_size: 20,
            ..IngestArgs::default()
        },
    };
    let t = common::spawn_app_with_pools(direct.clone(), pools, opts).await;
    let direct_svc = t.service(Svc::default()).await;
    let edge_svc = t.service(Svc::default()).await;

    // Direct path: every page view sent twice, concurrently (the repeat is a heartbeat).
    let mut sends = Vec::new();
    for v in 0..VISITORS {
        for p in 0..VIEWS_PER_VISITOR {
            for _ in 0..2 {
                let (http, url) = (
                    t.http.clone(),
                    t.url(&format!("/ingress/{direct_svc}/script.js")),
                );
                let body = common::page(&format!("v{v}-p{p}"), &format!("https://d.example/{p}"));
                sends.push(tokio::spawn(async move {
                    http.post(url)
                        .header("user-agent", CHROME_UA)
                        .header(
                            "x-forwarded-for",
                            format!("81.2.{}.{}", v / 200, v % 200 + 1),
                        )
                        .header("content-type", "text/plain;charset=UTF-8")
                        .body(body.to_string())
                        .send()
                        .await
                        .unwrap()
                        .status()
                }));
            }
        }
    }
    // Edge path: each batch delivered several times at once; exactly one delivery applies.
    let mut deliveries = Vec::new();
    for b in 0..BATCHES {
        let body = serde_json::to_vec(&EdgeBatch {
            batch_id: format!("batch-{b}"),
            beacons: (0..BEACONS_PER_BATCH)
                .map(|i| edge_beacon(edge_svc, b, i))
                .collect(),
            fences: vec![],
            message_ids: vec![],
            drops: vec![],
        })
        .unwrap();
        for _ in 0..DELIVERIES {
            deliveries.push(tokio::spawn(deliver(
                t.http.clone(),
                t.url("/ingest/v1/batch"),
                body.clone(),
            )));
        }
    }
    for s in sends {
        assert!(s.await.unwrap().is_success());
    }
    let mut applied = 0;
    for d in deliveries {
        applied += usize::from(d.await.unwrap());
    }
    t.settle().await;

    assert_eq!(applied, BATCHES, "one delivery of each batch applies");
    assert_eq!(
        t.hits(direct_svc).await,
        (VISITORS * VIEWS_PER_VISITOR) as i64,
        "{}",
        bouncer.log()
    );
    assert_eq!(t.hits(edge_svc).await, (BATCHES * BEACONS_PER_BATCH) as i64);
    assert_eq!(
        t.count(
            "SELECT count(*) FROM ingest_batches WHERE batch_id LIKE 'batch-%' AND $1::uuid IS NOT NULL",
            edge_svc
        )
        .await,
        BATCHES as i64
    );
    let m = t.app.metrics.snapshot();
    assert_eq!(m.write_rejected, 0, "{m:?}");
    // Reads through PgBouncer agree (the figures `shynet stats` prints).
    let v = aggregator::cli::stats(&ingest_pool, direct_svc, None, None, chrono_tz::UTC, 5000)
        .await
        .unwrap();
    assert_eq!(
        v["stats"]["hit_count"].as_i64(),
        Some((VISITORS * VIEWS_PER_VISITOR) as i64)
    );
    let h = t.http.get(t.url("/healthz")).send().await.unwrap();
    assert_eq!(h.status(), 200);
    tokio::time::timeout(Duration::from_secs(60), t.app.shutdown())
        .await
        .expect("shutdown through PgBouncer");
}
