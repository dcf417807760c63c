//! Operational guarantees of direct ingest: script caching headers, back-pressure (queue full →
//! 503, nothing accepted is lost), graceful shutdown draining the queue, salt rotation and
//! sessions across midnight, and two processes sharing one database.

mod common;
use aggregator::salts::SaltStore;
use aggregator::writer::{apply, Enriched};
use beacon::visitor::{visitor_key, DAY_MS};
use beacon::wire::{Beacon, Tracker};
use common::*;
use std::sync::Arc;
use std::time::Duration;

#[tokio::test]
async fn script_is_cached_compressed_and_has_a_dnt_variant() {
    let t = spawn_app(Opts::default()).await;
    let svc = t
        .service(Svc {
            script_inject: "console.log('owner-extra')",
            ..Svc::default()
        })
        .await;
    let url = t.url(&format!("/ingress/{svc}/script.js"));
    let r = t.http.get(&url).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let h = r.headers().clone();
    assert!(h["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/javascript"));
    assert_eq!(h["cache-control"], "public, max-age=300");
    let vary = h["vary"].to_str().unwrap().to_ascii_lowercase();
    assert!(vary.contains("dnt") && vary.contains("sec-gpc") && vary.contains("accept-encoding"));
    let etag = h["etag"].to_str().unwrap().to_owned();
    let body = r.text().await.unwrap();
    assert!(body.contains("owner-extra"), "inject is appended");
    assert!(body.contains("sendBeacon"));

    // Revalidation.
    let r = t
        .http
        .get(&url)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 304);

    // Compressed when the client accepts it, within the size budget.
    let r = t
        .http
        .get(&url)
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-encoding"], "gzip");
    let gz = r.bytes().await.unwrap();
    assert!(gz.len() < body.len());

    // DNT / GPC variant: a no-op tracker without the owner's code, sent raw (gzip would grow it).
    for (k, v) in [("dnt", "1"), ("sec-gpc", "1")] {
        let r = t
            .http
            .get(&url)
            .header(k, v)
            .header("accept-encoding", "gzip")
            .send()
            .await
            .unwrap();
        assert!(r.headers().get("content-encoding").is_none());
        assert_ne!(r.headers()["etag"].to_str().unwrap(), etag);
        let b = r.text().await.unwrap();
        assert!(b.contains("newPageLoad"));
        assert!(!b.contains("owner-extra"));
        assert!(!b.contains("sendBeacon"));
    }
}

#[tokio::test]
async fn full_queue_answers_503_and_loses_nothing_accepted() {
    let mut o = Opts::default();
    o.ingest.queue_capacity = 4;
    o.ingest.batch_size = 2;
    let t = spawn_app(o).await;
    let svc = t.service(Svc::default()).await;
    // Stall the writer: hold an exclusive lock on hits.
    let mut locker = t.pool.get().await.unwrap();
    let tx = locker.transaction().await.unwrap();
    tx.batch_execute("LOCK TABLE hits IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();
    let mut ok = 0;
    let mut refused = 0;
    for i in 0..40 {
        if i == 1 {
            // The writer took the first beacon and now waits on the lock: from here on the queue
            // only fills.
            wait_for_lock_waiter(&t.pool, "hits").await;
        }
        let r = t
            .pixel(
                svc,
                &format!("81.2.{}.{}", i / 200, i % 200 + 1),
                CHROME_UA,
                "https://e.com/",
            )
            .await;
        match r.status().as_u16() {
            200 => ok += 1,
            503 => {
                assert_eq!(r.headers()["retry-after"], "1");
                assert!(r.text().await.unwrap().contains("queue is full"));
                refused += 1;
            }
            s => panic!("unexpected status {s}"),
        }
    }
    // One beacon held by the blocked writer plus a full queue; every other one refused.
    assert_eq!((ok, refused), (5, 35));
    tx.rollback().await.unwrap();
    t.settle().await;
    assert_eq!(t.hits(svc).await, ok, "every 2xx beacon is stored");
    assert_eq!(t.app.metrics.snapshot().rejected_overload, refused as u64);
}

#[tokio::test]
async fn graceful_shutdown_writes_every_queued_beacon() {
    let t = spawn_app(Opts::default()).await;
    let svc = t.service(Svc::default()).await;
    let mut locker = t.pool.get().await.unwrap();
    let tx = locker.transaction().await.unwrap();
    tx.batch_execute("LOCK TABLE hits IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();
    let ips: Vec<String> = (0..300)
        .map(|i| format!("89.160.{}.{}", i / 250, i % 250 + 1))
        .collect();
    let mut futs = Vec::new();
    for ip in &ips {
        futs.push(t.pixel(svc, ip, IPHONE_UA, "https://e.com/p"));
    }
    for r in futures_util::future::join_all(futs).await {
        assert_eq!(r.status(), 200);
    }
    assert!(
        t.app.queue.depth() > 0,
        "beacons are still queued behind the lock"
    );
    let pool = t.pool.clone();
    let queue = t.app.queue.clone();
    let addr = t.app.address();
    wait_for_lock_waiter(&pool, "hits").await;
    let shutdown = tokio::spawn(t.app.shutdown());
    // The server stops accepting first; the writer is still blocked, so the drain is pending.
    let mut tries = 0;
    while tokio::net::TcpStream::connect(addr).await.is_ok() {
        tries += 1;
        assert!(tries < 500, "shutdown never stopped the server");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    wait_for_lock_waiter(&pool, "hits").await;
    assert!(queue.depth() > 0, "beacons are still queued");
    assert!(!shutdown.is_finished(), "shutdown waits for the queue");
    tx.rollback().await.unwrap();
    shutdown.await.unwrap();
    let c = pool.get().await.unwrap();
    let n: i64 = c
        .query_one("SELECT count(*) FROM hits WHERE service_id = $1", &[&svc])
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 300);
}

#[tokio::test]
async fn salts_rotate_daily_and_none_outlives_its_use() {
    let (pool, _) = fresh_db().await;
    let timeout_ms = 1_800_000;
    let store = SaltStore::new(pool.clone(), timeout_ms);
    let day = 20_000i64; // some UTC day
    let noon = day * DAY_MS + DAY_MS / 2;
    let a = store.for_time(noon).await.unwrap();
    assert!(a.previous.is_none(), "no previous salt at noon");
    let b = store.for_time(noon + DAY_MS).await.unwrap();
    assert_ne!(
        a.current.bytes, b.current.bytes,
        "a new random salt every day"
    );
    assert_eq!(b.current.day, a.current.day + 1);
    // Just after midnight yesterday's salt is offered so a visit can span midnight…
    let early = store.for_time((day + 1) * DAY_MS + 60_000).await.unwrap();
    assert_eq!(
        early.previous.as_ref().map(|s| s.bytes),
        Some(a.current.bytes)
    );
    // …and rotation deletes it once the session timeout has passed.
    let deleted = store
        .rotate((day + 1) * DAY_MS + timeout_ms + 1)
        .await
        .unwrap();
    assert!(deleted >= 1);
    let c = pool.get().await.unwrap();
    let days: Vec<chrono::NaiveDate> = c
        .query("SELECT day FROM salts ORDER BY day", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(!days.is_empty());
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
    assert!(
        days.iter().all(|d| (*d - epoch).num_days() > day),
        "no salt of an ended day survives: {days:?}"
    );
    // No salt row anywhere is older than 48 hours.
    let old: i64 = c
        .query_one(
            "SELECT count(*) FROM salts WHERE created_at < now() - interval '48 hours'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(old, 0);
    // The real-time path: the stored salt equals the one in memory, and only live days remain.
    let now = chrono::Utc::now().timestamp_millis();
    store.rotate(now).await.unwrap();
    let live = store.for_time(now).await.unwrap();
    let stored: Vec<u8> = c
        .query_one(
            "SELECT salt FROM salts WHERE day = (now() AT TIME ZONE 'UTC')::date",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(stored, live.current.bytes.to_vec());
}

fn beacon(
    svc: uuid::Uuid,
    time_ms: i64,
    visitor: beacon::wire::VisitorKey,
    prev: Option<beacon::wire::VisitorKey>,
    tok: &str,
) -> Enriched {
    let ua = beacon::ua::UaClassifier::new().unwrap().classify(CHROME_UA);
    Enriched::new(
        Beacon {
            service: svc,
            time_ms,
            tracker: Tracker::Js,
            identifier: String::new(),
            idempotency: Some(tok.to_owned()),
            location: format!("https://e.com/{tok}"),
            referrer: String::new(),
            load_time: None,
            user_agent: CHROME_UA.into(),
            visitor,
            previous_visitor: prev,
            ip: None,
            geo: Default::default(),
            event: None,
        },
        Arc::new(ua),
        &Default::default(),
    )
}

#[tokio::test]
async fn a_visit_spanning_utc_midnight_stays_one_session() {
    // The writer alone on a fresh database: no background job may expire the live state between
    // the two batches (their times are in the past on purpose).
    let (pool, _) = fresh_db().await;
    let mut c = pool.get().await.unwrap();
    let svc = owned_service(&c, "m@example.com", "Midnight").await;
    let count = |table: &'static str| {
        let pool = pool.clone();
        async move {
            let c = pool.get().await.unwrap();
            c.query_one(
                &format!("SELECT count(*) FROM {table} WHERE service_id = $1"),
                &[&svc],
            )
            .await
            .unwrap()
            .get::<_, i64>(0)
        }
    };
    let ip = Some("81.2.69.160".parse().unwrap());
    // Last midnight (UTC), so the rows land in an existing monthly partition.
    let day = chrono::Utc::now().timestamp_millis().div_euclid(DAY_MS) - 1;
    let s1 = beacon::visitor::Salt {
        day: day as i32,
        bytes: [1; 32],
    };
    let s2 = beacon::visitor::Salt {
        day: day as i32 + 1,
        bytes: [2; 32],
    };
    let k1 = visitor_key(&s1, &svc, ip, CHROME_UA);
    let k2 = visitor_key(&s2, &svc, ip, CHROME_UA);
    assert_ne!(k1, k2);
    let before = (day + 1) * DAY_MS - 20_000;
    let after = (day + 1) * DAY_MS + 20_000;
    for batch in [
        vec![beacon(svc, before, k1, None, "p1")],
        vec![beacon(svc, after, k2, Some(k1), "p2")],
    ] {
        let tx = c.transaction().await.unwrap();
        apply::apply(&tx, &batch, 1800.0).await.unwrap();
        tx.commit().await.unwrap();
    }
    assert_eq!(
        count("sessions").await,
        1,
        "the key was carried over midnight"
    );
    assert_eq!(count("hits").await, 2);
    // Without the previous-day key the visitor is new (yesterday's hash is unrecognisable).
    let k3 = visitor_key(
        &beacon::visitor::Salt {
            day: day as i32 + 1,
            bytes: [3; 32],
        },
        &svc,
        ip,
        CHROME_UA,
    );
    let tx = c.transaction().await.unwrap();
    apply::apply(&tx, &[beacon(svc, after + 1000, k3, None, "p3")], 1800.0)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(count("sessions").await, 2);
}

#[tokio::test]
async fn two_processes_share_sessions_and_heartbeats() {
    let t = spawn_app(Opts::default()).await;
    let other = spawn_app_on(t.pool.clone(), Opts::default()).await;
    let svc = t.service(Svc::default()).await;
    let apps = [&t, &other];
    let ips: Vec<String> = (0..20).map(|v| format!("2.125.160.{}", v + 1)).collect();
    for round in 0..6 {
        let mut futs = Vec::new();
        for v in 0..20 {
            let app = apps[(v + round) % 2];
            let tok = format!("v{v}-page{}", round / 3);
            futs.push(app.js(svc, &ips[v], CHROME_UA, page(&tok, "https://e.com/")));
        }
        for r in futures_util::future::join_all(futs).await {
            assert_eq!(r.status(), 200);
        }
        t.settle().await;
        other.settle().await;
    }
    assert_eq!(t.sessions(svc).await, 20, "one session per visitor");
    assert_eq!(t.hits(svc).await, 40, "two page views per visitor");
    assert_eq!(
        t.count(
            "SELECT sum(heartbeats)::int8 FROM hits WHERE service_id = $1",
            svc
        )
        .await,
        80,
        "every heartbeat applied once"
    );
    assert_eq!(
        t.count("SELECT count(*) FROM sessions WHERE service_id = $1 AND NOT is_bounce AND hit_count = 2", svc).await,
        20
    );
}
