//! Faults against real processes: the `shynet` binary and a Postgres cluster this test stops
//! and starts. Nothing accepted is lost, nothing is doubled.
//!
//! - Postgres stopped during steady direct-ingest load, then started: every 2xx beacon is
//!   stored exactly once, the refused ones got 503.
//! - SIGTERM under load: every 2xx beacon is stored exactly once, the process exits 0.
//! - SIGKILL in the middle of signed edge batch deliveries, then a restart: after the
//!   deliveries are retried the way the edge's queue consumer retries them (same group when the
//!   aggregator said "not applied", re-queued with a fence when the outcome is unknown, in new
//!   groupings), and with consumers that now and then die after a request without
//!   acknowledging (the platform redelivers those messages in other groups), every beacon is
//!   stored exactly once.
//! - Two aggregator processes on one database, interleaved beacons of the same visitors: one
//!   session per visitor, heartbeats applied once, bounce flags right.

mod support;

use beacon::edge_protocol::{
    self, BatchReceipt, EdgeBatch, QueuedBeacon, NOT_APPLIED_HEADER, SIGNATURE_HEADER,
};
use beacon::wire::{Beacon, Tracker, VisitorKey};
use nix::sys::signal::Signal;
use rand::seq::SliceRandom;
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::*;
use uuid::Uuid;

/// Answers the load has had so far, for waiting on its progress.
#[derive(Default)]
struct Progress {
    accepted: AtomicUsize,
    refused: AtomicUsize,
}

impl Progress {
    fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
    fn refused(&self) -> usize {
        self.refused.load(Ordering::SeqCst)
    }
}

/// Sends beacons with `concurrency` workers until `stop` is set; returns (location, status).
async fn load(
    base: Arc<Mutex<String>>,
    svc: Uuid,
    concurrency: usize,
    stop: Arc<std::sync::atomic::AtomicBool>,
    limit: Duration,
    progress: Arc<Progress>,
) -> Vec<(String, u16)> {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let counter = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..concurrency {
        let (http, base, stop, counter, progress) = (
            http.clone(),
            base.clone(),
            stop.clone(),
            counter.clone(),
            progress.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut out = Vec::new();
            while !stop.load(std::sync::atomic::Ordering::SeqCst) && started.elapsed() < limit {
                let i = counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let location = format!("https://site.example/p/{i}");
                let ip = format!("198.51.100.{}", 1 + (i % 50));
                let b = base.lock().unwrap().clone();
                let status =
                    beacon(&http, &b, svc, &ip, CHROME_UA, &format!("t{i}"), &location).await;
                out.push((location, status));
                match status {
                    200 => progress.accepted.fetch_add(1, Ordering::SeqCst),
                    503 => progress.refused.fetch_add(1, Ordering::SeqCst),
                    _ => 0,
                };
                if status == 0 {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
            let _ = w;
            out
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all
}

/// Whether the process's writer has nothing left: queue empty, every accepted beacon committed
/// or rejected (from `/healthz?format=json`).
async fn writer_idle(base: &str) -> bool {
    let Ok(r) = reqwest::get(format!("{base}/healthz?format=json")).await else {
        return false;
    };
    let Ok(h) = r.json::<serde_json::Value>().await else {
        return false;
    };
    let n = |k: &str| h["ingest"][k].as_u64();
    match (
        h["queue_depth"].as_u64(),
        n("accepted"),
        n("written_beacons"),
        n("write_rejected"),
    ) {
        (Some(0), Some(a), Some(w), Some(r)) => w + r >= a,
        _ => false,
    }
}

/// Stored hits per location.
async fn stored(url: &str, svc: Uuid) -> HashMap<String, i64> {
    let c = db(url).await;
    c.query(
        "SELECT location, count(*) FROM hits WHERE service_id = $1 GROUP BY location",
        &[&svc],
    )
    .await
    .unwrap()
    .into_iter()
    .map(|r| (r.get(0), r.get(1)))
    .collect()
}

/// Every 2xx location stored exactly once, nothing else stored, every refusal a 503.
fn check_exactly_once(
    sent: &[(String, u16)],
    stored: &HashMap<String, i64>,
    allow_conn_errors: bool,
) {
    let mut ok = 0;
    for (loc, status) in sent {
        match status {
            200 => {
                ok += 1;
                assert_eq!(stored.get(loc).copied(), Some(1), "{loc} got 200");
            }
            503 => assert_eq!(stored.get(loc), None, "{loc} got 503 but was stored"),
            0 if allow_conn_errors => assert_eq!(stored.get(loc), None, "{loc} unanswered"),
            other => panic!("{loc}: unexpected status {other}"),
        }
    }
    assert_eq!(
        stored.values().sum::<i64>(),
        ok as i64,
        "nothing else stored"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_outage_during_direct_ingest_loses_and_doubles_nothing() {
    let mut pg = Pg::start("outage");
    let url = pg.database("outage").await;
    let svc = service(&url, false).await;
    let shynet = Shynet::serve(
        &url,
        &[
            ("SHYNET_QUEUE_CAPACITY", "300"),
            ("SHYNET_BATCH_SIZE", "50"),
        ],
    );
    let base = Arc::new(Mutex::new(shynet.base.clone()));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let progress = Arc::new(Progress::default());
    let loader = tokio::spawn(load(
        base,
        svc,
        6,
        stop.clone(),
        Duration::from_secs(60),
        progress.clone(),
    ));
    let p = progress.clone();
    assert!(
        until(Duration::from_secs(20), || async { p.accepted() >= 200 }).await,
        "beacons accepted before the outage"
    );
    pg.stop();
    // During the outage the queue fills and further beacons are refused.
    let p = progress.clone();
    assert!(
        until(Duration::from_secs(20), || async { p.refused() >= 50 }).await,
        "the full queue refused beacons during the outage"
    );
    let at_restart = progress.accepted();
    pg.restart();
    // Accepted again only once the writer drains the full queue into the restarted Postgres.
    let p = progress.clone();
    assert!(
        until(Duration::from_secs(30), || async {
            p.accepted() >= at_restart + 100
        })
        .await,
        "beacons accepted after the outage"
    );
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let sent = loader.await.unwrap();
    let ok = sent.iter().filter(|(_, s)| *s == 200).count();
    let refused = sent.iter().filter(|(_, s)| *s == 503).count();
    eprintln!(
        "outage: {} sent, {ok} accepted, {refused} refused",
        sent.len()
    );
    assert!(
        refused > 0,
        "the full queue refused beacons during the outage"
    );
    assert!(ok > 300, "beacons were accepted before, during and after");
    let done = until(Duration::from_secs(60), || async {
        stored(&url, svc).await.values().sum::<i64>() >= ok as i64
    })
    .await;
    assert!(done, "the writer caught up after the outage");
    assert!(
        until(Duration::from_secs(30), || writer_idle(&shynet.base)).await,
        "the writer went idle"
    );
    check_exactly_once(&sent, &stored(&url, svc).await, false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_under_load_writes_everything_accepted() {
    let pg = Pg::start("sigterm");
    let url = pg.database("sigterm").await;
    let svc = service(&url, false).await;
    let mut shynet = Shynet::serve(&url, &[]);
    let base = Arc::new(Mutex::new(shynet.base.clone()));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let progress = Arc::new(Progress::default());
    let loader = tokio::spawn(load(
        base,
        svc,
        8,
        stop.clone(),
        Duration::from_secs(20),
        progress.clone(),
    ));
    let p = progress.clone();
    assert!(
        until(Duration::from_secs(20), || async { p.accepted() >= 100 }).await,
        "beacons accepted before SIGTERM"
    );
    shynet.signal(Signal::SIGTERM);
    let clean = tokio::task::spawn_blocking(move || {
        let ok = shynet.wait(Duration::from_secs(40));
        (ok, shynet)
    })
    .await
    .unwrap();
    assert!(clean.0, "shynet exits 0 after SIGTERM");
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let sent = loader.await.unwrap();
    let ok = sent.iter().filter(|(_, s)| *s == 200).count();
    eprintln!("sigterm: {} sent, {ok} accepted", sent.len());
    assert!(ok > 50);
    // After exit nothing more is written: what is stored now is final.
    check_exactly_once(&sent, &stored(&url, svc).await, true);
}

const EDGE_SECRET: &str = "faults-edge-secret-0123456789abcdef";

/// One queue message as the edge's consumer sees it.
#[derive(Clone)]
struct Message {
    id: String,
    body: QueuedBeacon,
}

fn edge_beacon(svc: Uuid, i: usize) -> Beacon {
    let mut visitor = [0u8; 16];
    visitor[..8].copy_from_slice(&(i as u64).to_be_bytes());
    Beacon {
        service: svc,
        time_ms: chrono_now_ms(),
        tracker: Tracker::Js,
        identifier: String::new(),
        idempotency: Some(format!("edge-{i}")),
        location: format!("https://site.example/e/{i}"),
        referrer: String::new(),
        load_time: None,
        user_agent: CHROME_UA.to_owned(),
        visitor: VisitorKey(visitor),
        previous_visitor: None,
        ip: None,
        geo: Default::default(),
        event: None,
    }
}

fn chrono_now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Delivers one group; `Ok(Some(receipt))` applied or acknowledged, `Ok(None)` refused before
/// any commit (retry as is), `Err(batch_id)` outcome unknown (re-queue with a fence).
async fn deliver(
    http: &reqwest::Client,
    base: &str,
    group: &[Message],
) -> Result<Option<BatchReceipt>, String> {
    let ids: Vec<&str> = group.iter().map(|m| m.id.as_str()).collect();
    let batch_id = edge_protocol::batch_id(&ids);
    let fences: Vec<Vec<String>> = group.iter().map(|m| m.body.fences.clone()).collect();
    let batch = EdgeBatch {
        batch_id: batch_id.clone(),
        beacons: group.iter().map(|m| m.body.beacon.clone()).collect(),
        fences: if fences.iter().all(Vec::is_empty) {
            Vec::new()
        } else {
            fences
        },
        message_ids: group
            .iter()
            .map(|m| m.body.origin.clone().unwrap_or_else(|| m.id.clone()))
            .collect(),
        drops: vec![],
    };
    let body = serde_json::to_vec(&batch).unwrap();
    let now = chrono_now_ms() / 1000;
    // A fresh nonce per request, as the edge makes one: a retried batch is a new request.
    let nonce = uuid::Uuid::new_v4().into_bytes();
    let sig = edge_protocol::sign(
        EDGE_SECRET.as_bytes(),
        &edge_protocol::SignedRequest::batch(&body),
        now,
        &nonce,
    );
    match http
        .post(format!("{base}/ingest/v1/batch"))
        .header(SIGNATURE_HEADER, sig)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
    {
        Ok(r) if r.status().is_success() => match r.json::<BatchReceipt>().await {
            Ok(receipt) => Ok(Some(receipt)),
            // The answer was cut off: the outcome is unknown.
            Err(_) => Err(batch_id),
        },
        Ok(r) if r.headers().contains_key(NOT_APPLIED_HEADER) => Ok(None),
        _ => Err(batch_id),
    }
}

/// Answers of applied batches the test's consumers pretend never arrived.
const LOST_ANSWERS: usize = 3;

/// Bookkeeping of the injected lost answers.
#[derive(Default)]
struct LostAnswers {
    /// Batch ids whose answer was dropped.
    batch_ids: Mutex<HashSet<String>>,
    /// Message ids of their beacons, re-queued with the fence.
    resent_ids: Mutex<HashSet<String>>,
    /// Re-sent messages acknowledged after the aggregator skipped them.
    acked: std::sync::atomic::AtomicUsize,
}

impl LostAnswers {
    /// Records `batch_id` as a lost answer, while fewer than [`LOST_ANSWERS`] were injected.
    fn inject(&self, batch_id: &str) -> bool {
        let mut ids = self.batch_ids.lock().unwrap();
        if ids.len() >= LOST_ANSWERS {
            return false;
        }
        ids.insert(batch_id.to_owned());
        true
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_during_edge_batch_deliveries_then_restart_stores_each_beacon_once() {
    let pg = Pg::start("sigkill");
    let url = pg.database("sigkill").await;
    let svc = service(&url, false).await;
    let env = [
        ("SHYNET_EDGE_SECRET", EDGE_SECRET),
        ("SHYNET_BATCH_SIZE", "100"),
    ];
    let first = Shynet::serve(&url, &env);
    let base = Arc::new(Mutex::new(first.base.clone()));
    const N: usize = 3000;
    let queue: Arc<Mutex<VecDeque<Message>>> = Arc::new(Mutex::new(
        (0..N)
            .map(|i| Message {
                id: format!("msg-{i}"),
                body: QueuedBeacon {
                    beacon: edge_beacon(svc, i),
                    fences: Vec::new(),
                    origin: None,
                },
            })
            .collect(),
    ));
    let delivered = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    // Answers of applied batches dropped on the way back (injected, so the fence path surely
    // runs), the re-queued messages of those batches, and how many of them were acknowledged.
    let lost = Arc::new(LostAnswers::default());
    // Deliveries whose outcome was unknown for real (not injected).
    let unknown = Arc::new(AtomicUsize::new(0));
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let mut consumers = Vec::new();
    for _ in 0..4 {
        let (queue, base, http, delivered, lost, unknown) = (
            queue.clone(),
            base.clone(),
            http.clone(),
            delivered.clone(),
            lost.clone(),
            unknown.clone(),
        );
        consumers.push(tokio::spawn(async move {
            let started = Instant::now();
            loop {
                assert!(
                    started.elapsed() < Duration::from_secs(120),
                    "deliveries stalled"
                );
                // The queue regroups: a random group of up to 25 waiting messages.
                let group: Vec<Message> = {
                    let mut q = queue.lock().unwrap();
                    if q.is_empty() {
                        if delivered.load(std::sync::atomic::Ordering::SeqCst) >= N {
                            return;
                        }
                        Vec::new()
                    } else {
                        let mut v: Vec<Message> = q.drain(..).collect();
                        v.shuffle(&mut rand::rng());
                        let take = v.len().min(25);
                        let group: Vec<Message> = v.drain(..take).collect();
                        q.extend(v);
                        group
                    }
                };
                if group.is_empty() {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
                let b = base.lock().unwrap().clone();
                let mut outcome = deliver(&http, &b, &group).await;
                // Now and then the consumer dies after the request, whatever its outcome: it
                // never acknowledges, and the platform redelivers the same messages later, in
                // other groups (new batch ids, no fences).
                let dies = rand::random_ratio(1, 8);
                let resent: usize = {
                    let ids = lost.resent_ids.lock().unwrap();
                    group.iter().filter(|m| ids.contains(&m.id)).count()
                };
                if let Ok(Some(receipt)) = &outcome {
                    if receipt.applied {
                        // Every re-sent message of a lost answer is skipped: its fence names a
                        // batch that was applied.
                        assert!(
                            receipt.duplicates >= resent,
                            "{resent} fenced re-sends, {} skipped",
                            receipt.duplicates
                        );
                    }
                    if !dies
                        && receipt.applied
                        && receipt.written > 0
                        && resent == 0
                        && lost.inject(&receipt.batch_id)
                    {
                        outcome = Err(receipt.batch_id.clone());
                    }
                }
                if dies {
                    queue.lock().unwrap().extend(group);
                    continue;
                }
                match outcome {
                    Ok(Some(_)) => {
                        delivered.fetch_add(group.len(), std::sync::atomic::Ordering::SeqCst);
                        lost.acked
                            .fetch_add(resent, std::sync::atomic::Ordering::SeqCst);
                    }
                    Ok(None) => {
                        queue.lock().unwrap().extend(group);
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                    Err(batch_id) => {
                        // Unknown outcome: ack and re-enqueue each beacon fenced by this batch.
                        let injected = lost.batch_ids.lock().unwrap().contains(&batch_id);
                        if !injected {
                            unknown.fetch_add(1, Ordering::SeqCst);
                        }
                        let fenced: Vec<Message> = group
                            .into_iter()
                            .map(|mut m| {
                                m.body.fences.push(batch_id.clone());
                                if injected {
                                    // No origin message id: only the fence can keep these
                                    // from applying twice.
                                    m.body.origin = None;
                                } else {
                                    m.body.origin.get_or_insert_with(|| m.id.clone());
                                }
                                m.id = Uuid::new_v4().to_string();
                                m
                            })
                            .collect();
                        if injected {
                            lost.resent_ids
                                .lock()
                                .unwrap()
                                .extend(fenced.iter().map(|m| m.id.clone()));
                        }
                        queue.lock().unwrap().extend(fenced);
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                }
            }
        }));
    }
    // Kill the aggregator mid-stream, then bring up a new one on the same database.
    let waited = until(Duration::from_secs(60), || async {
        delivered.load(std::sync::atomic::Ordering::SeqCst) >= N / 4
    })
    .await;
    assert!(waited, "deliveries started");
    let unknown_at_kill = unknown.load(Ordering::SeqCst);
    first.signal(Signal::SIGKILL);
    drop(first);
    // The consumers run into the dead aggregator (outcome unknown) before the new one starts.
    let u = unknown.clone();
    assert!(
        until(Duration::from_secs(20), || async {
            u.load(Ordering::SeqCst) > unknown_at_kill
        })
        .await,
        "no delivery failed while the aggregator was down"
    );
    let second = Shynet::serve(&url, &env);
    *base.lock().unwrap() = second.base.clone();
    for c in consumers {
        c.await.unwrap();
    }
    let s = stored(&url, svc).await;
    for i in 0..N {
        let loc = format!("https://site.example/e/{i}");
        assert_eq!(s.get(&loc).copied(), Some(1), "{loc}");
    }
    assert_eq!(s.values().sum::<i64>(), N as i64);
    // A page view applied twice would not add a hit (same idempotency key) but a heartbeat.
    let c = db(&url).await;
    let heartbeats: i64 = c
        .query_one(
            "SELECT coalesce(sum(heartbeats), 0)::bigint FROM hits WHERE service_id = $1",
            &[&svc],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(heartbeats, 0, "beacons applied more than once");
    // The unknown-outcome path ran: answers of applied batches were lost, their beacons came
    // back fenced, and the aggregator skipped them (asserted per receipt above).
    assert_eq!(lost.batch_ids.lock().unwrap().len(), LOST_ANSWERS);
    assert!(
        lost.acked.load(std::sync::atomic::Ordering::SeqCst) > 0,
        "no fenced re-send of a lost answer was acknowledged"
    );
    drop(second);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_processes_share_sessions_heartbeats_and_bounces() {
    let pg = Pg::start("replicas");
    let url = pg.database("replicas").await;
    let svc = service(&url, true).await;
    let a = Shynet::serve(&url, &[]);
    let b = Shynet::serve(&url, &[]);
    let http = reqwest::Client::new();
    const VISITORS: usize = 30;
    let mut tasks = Vec::new();
    for v in 0..VISITORS {
        let (http, a, b, url) = (http.clone(), a.base.clone(), b.base.clone(), url.clone());
        tasks.push(tokio::spawn(async move {
            let ip = format!("203.0.113.{}", 10 + v);
            let (first, second) = if v.is_multiple_of(2) {
                (&a, &b)
            } else {
                (&b, &a)
            };
            // Each beacon goes to the other process only once the previous one is stored, so
            // every step relies on state the other process wrote.
            let c = db(&url).await;
            let stored = |location: String, heartbeats: i32| {
                let c = &c;
                async move {
                    let ok = until(Duration::from_secs(20), || async {
                        c.query_one(
                            "SELECT count(*) FROM hits WHERE service_id = $1 AND location = $2 \
                             AND heartbeats >= $3",
                            &[&svc, &location, &heartbeats],
                        )
                        .await
                        .unwrap()
                        .get::<_, i64>(0)
                            > 0
                    })
                    .await;
                    assert!(ok, "{location} with {heartbeats} heartbeats was not stored");
                }
            };
            // Page 1 on one process, its heartbeat on the other.
            let t1 = format!("v{v}-p1");
            let l1 = format!("https://site.example/v{v}/1");
            assert_eq!(
                beacon(&http, first, svc, &ip, CHROME_UA, &t1, &l1).await,
                200
            );
            stored(l1.clone(), 0).await;
            assert_eq!(
                beacon(&http, second, svc, &ip, CHROME_UA, &t1, &l1).await,
                200
            );
            // Every third visitor bounces; the others view a second page, heartbeat crossed.
            if !v.is_multiple_of(3) {
                stored(l1.clone(), 1).await;
                let t2 = format!("v{v}-p2");
                let l2 = format!("https://site.example/v{v}/2");
                assert_eq!(
                    beacon(&http, second, svc, &ip, CHROME_UA, &t2, &l2).await,
                    200
                );
                stored(l2.clone(), 0).await;
                assert_eq!(
                    beacon(&http, first, svc, &ip, CHROME_UA, &t2, &l2).await,
                    200
                );
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let expected_hits = (0..VISITORS)
        .map(|v| if v.is_multiple_of(3) { 1 } else { 2 })
        .sum::<i64>();
    let c = db(&url).await;
    let done = until(Duration::from_secs(20), || async {
        let n: i64 = c
            .query_one(
                "SELECT count(*) FROM hits WHERE service_id = $1 AND heartbeats > 0",
                &[&svc],
            )
            .await
            .unwrap()
            .get(0);
        n >= expected_hits
    })
    .await;
    assert!(done, "all heartbeats were applied");
    let rows = c
        .query(
            "SELECT host(s.ip), count(DISTINCT s.id), bool_and(s.is_bounce), \
                    count(h.id), max(h.heartbeats), min(h.heartbeats) \
             FROM sessions s JOIN hits h ON h.session_id = s.id \
             WHERE s.service_id = $1 GROUP BY host(s.ip)",
            &[&svc],
        )
        .await
        .unwrap();
    assert_eq!(rows.len(), VISITORS, "one group of sessions per visitor");
    for r in rows {
        let ip: String = r.get(0);
        let v: usize = ip.rsplit('.').next().unwrap().parse::<usize>().unwrap() - 10;
        let sessions: i64 = r.get(1);
        let bounce: bool = r.get(2);
        let hits: i64 = r.get(3);
        let (max_hb, min_hb): (i32, i32) = (r.get(4), r.get(5));
        assert_eq!(sessions, 1, "visitor {v}: one session");
        assert_eq!(
            hits,
            if v.is_multiple_of(3) { 1 } else { 2 },
            "visitor {v}: hits"
        );
        assert_eq!(bounce, v.is_multiple_of(3), "visitor {v}: bounce flag");
        assert_eq!(
            (min_hb, max_hb),
            (1, 1),
            "visitor {v}: one heartbeat per hit"
        );
    }
    drop((a, b));
}
