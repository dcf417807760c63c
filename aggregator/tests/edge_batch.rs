//! The edge endpoints against the real app and a real Postgres: signature, window and nonce
//! checks (the header's before any body is read), size limits, exactly-once application of redelivered batches, the aggregator's own drop
//! rules, the config document, and 503 (not loss) while Postgres is unreachable.

mod common;
use aggregator::config::{EdgeSecret, IngestArgs};
use beacon::edge_protocol::{
    sign, BatchReceipt, EdgeBatch, EdgeConfig, SignedRequest, MAX_BATCH_BEACONS, MAX_BATCH_BYTES,
    NONCE_BYTES, NOT_APPLIED_HEADER, SIGNATURE_HEADER,
};
use beacon::wire::{Beacon, Geo, Tracker, VisitorKey};
use common::*;
use std::time::Duration;
use uuid::Uuid;

const SECRET: &str = "test-edge-secret-0123456789";

fn opts() -> Opts {
    Opts {
        ingest: IngestArgs {
            ip_headers: "x-forwarded-for".into(),
            edge_secret: Some(EdgeSecret(SECRET.into())),
            ..IngestArgs::default()
        },
        ..Opts::default()
    }
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// A fresh random nonce, as the edge makes one per request.
fn nonce() -> [u8; NONCE_BYTES] {
    Uuid::new_v4().into_bytes()
}

/// The edge's signature of a batch POST with `body` at `t`.
fn sign_batch(secret: &[u8], t: i64, body: &[u8]) -> String {
    sign(secret, &SignedRequest::batch(body), t, &nonce())
}

/// The edge's signature of a config GET at `t`.
fn sign_config(t: i64) -> String {
    sign(SECRET.as_bytes(), &SignedRequest::config(), t, &nonce())
}

fn beacon(service: Uuid, visitor: u8, ua: &str, page: &str) -> Beacon {
    Beacon {
        service,
        time_ms: chrono::Utc::now().timestamp_millis(),
        tracker: Tracker::Pixel,
        identifier: String::new(),
        idempotency: None,
        location: page.into(),
        referrer: String::new(),
        load_time: None,
        user_agent: ua.into(),
        visitor: VisitorKey([visitor; 16]),
        previous_visitor: None,
        ip: Some("203.0.113.7".parse().unwrap()),
        geo: Geo {
            country: "JP".into(),
            region: "Tokyo".into(),
            city: "Tokyo".into(),
            latitude: Some(35.68),
            longitude: Some(139.69),
            time_zone: "Asia/Tokyo".into(),
            asn: Some(2516),
            as_org: "KDDI".into(),
            colo: "NRT".into(),
        },
        event: None,
    }
}

fn body(id: &str, beacons: Vec<Beacon>) -> Vec<u8> {
    serde_json::to_vec(&EdgeBatch {
        batch_id: id.into(),
        beacons,
        fences: vec![],
        message_ids: vec![],
        drops: vec![],
    })
    .unwrap()
}

fn fenced(id: &str, beacons: Vec<(&[&str], Beacon)>) -> Vec<u8> {
    let (fences, beacons): (Vec<Vec<String>>, Vec<Beacon>) = beacons
        .into_iter()
        .map(|(f, b)| (f.iter().map(|s| s.to_string()).collect(), b))
        .unzip();
    serde_json::to_vec(&EdgeBatch {
        batch_id: id.into(),
        beacons,
        fences,
        message_ids: vec![],
        drops: vec![],
    })
    .unwrap()
}

async fn post_signed(t: &TestApp, body: Vec<u8>, sig: Option<String>) -> reqwest::Response {
    let mut req = t.http.post(t.url("/ingest/v1/batch")).body(body);
    if let Some(s) = sig {
        req = req.header(SIGNATURE_HEADER, s);
    }
    req.send().await.unwrap()
}

async fn post(t: &TestApp, body: Vec<u8>) -> reqwest::Response {
    send(t, body).await
}

#[tokio::test]
async fn disabled_without_a_secret() {
    let t = spawn_app(Opts::default()).await;
    let b = body("x", vec![]);
    let sig = sign_batch(SECRET.as_bytes(), now(), &b);
    assert_eq!(post_signed(&t, b, Some(sig)).await.status(), 404);
    let r = t.http.get(t.url("/ingest/v1/config")).send().await.unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn signed_batch_is_applied_once_with_geo_and_classified_ua() {
    let t = spawn_app(opts()).await;
    let svc = t.service(Svc::default()).await;
    let ips = t
        .service(Svc {
            collect_ips: true,
            ..Svc::default()
        })
        .await;
    let b = body(
        "batch-1",
        vec![
            beacon(svc, 1, CHROME_UA, "https://e.com/a"),
            beacon(svc, 1, CHROME_UA, "https://e.com/b"),
            beacon(ips, 2, IPHONE_UA, "https://e.com/c"),
        ],
    );
    let r = post(&t, b.clone()).await;
    assert_eq!(r.status(), 200);
    let receipt: BatchReceipt = r.json().await.unwrap();
    assert!(receipt.applied);
    assert_eq!(receipt.written, 3);
    assert_eq!(t.hits(svc).await, 2);
    assert_eq!(t.sessions(svc).await, 1);
    let c = t.pool.get().await.unwrap();
    let row = c
        .query_one(
            "SELECT country, region, city, latitude, longitude, time_zone, asn, as_org,
                    browser, os, device_type, ip IS NULL, user_agent
             FROM sessions WHERE service_id = $1",
            &[&svc],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "JP");
    assert_eq!(row.get::<_, String>(1), "Tokyo");
    assert_eq!(row.get::<_, String>(2), "Tokyo");
    assert_eq!(row.get::<_, Option<f64>>(3), Some(35.68));
    assert_eq!(row.get::<_, Option<f64>>(4), Some(139.69));
    assert_eq!(row.get::<_, String>(5), "Asia/Tokyo");
    assert_eq!(row.get::<_, Option<i32>>(6), Some(2516));
    assert_eq!(row.get::<_, String>(7), "KDDI");
    assert_eq!(row.get::<_, String>(8), "Chrome");
    assert_eq!(row.get::<_, String>(9), "Windows");
    assert_eq!(row.get::<_, String>(10), "DESKTOP");
    assert!(
        row.get::<_, bool>(11),
        "IP stripped for a service that does not collect IPs"
    );
    assert_eq!(row.get::<_, String>(12), "");
    let row = c
        .query_one(
            "SELECT host(ip), device_type FROM sessions WHERE service_id = $1",
            &[&ips],
        )
        .await
        .unwrap();
    assert_eq!(
        row.get::<_, Option<String>>(0).as_deref(),
        Some("203.0.113.7")
    );
    assert_eq!(row.get::<_, String>(1), "PHONE");

    // The same batch again (a queue redelivery, freshly signed): acknowledged, not applied.
    let r = post(&t, b).await;
    assert_eq!(r.status(), 200);
    let receipt: BatchReceipt = r.json().await.unwrap();
    assert!(!receipt.applied);
    assert_eq!(receipt.written, 0);
    assert_eq!(t.hits(svc).await, 2);
    assert_eq!(t.hits(ips).await, 1);
    let n: i64 = c
        .query_one(
            "SELECT count(*) FROM ingest_batches WHERE batch_id = 'batch-1'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 1);
}

#[tokio::test]
async fn fenced_resends_apply_exactly_once_whatever_the_grouping() {
    let t = spawn_app(opts()).await;
    let svc = t.service(Svc::default()).await;
    let b = |n: u8| beacon(svc, n, CHROME_UA, &format!("https://e.com/{n}"));
    let receipt = |r: reqwest::Response| async move {
        assert_eq!(r.status(), 200);
        assert!(!r.headers().contains_key(NOT_APPLIED_HEADER));
        r.json::<BatchReceipt>().await.unwrap()
    };
    // "first" commits, but the edge never hears it: it re-sends b2 fenced on "first", grouped
    // with a new beacon b3. b2 is recognised, b3 applied.
    receipt(post(&t, body("first", vec![b(1), b(2)])).await).await;
    let none: &[&str] = &[];
    let r = receipt(post(&t, fenced("second", vec![(&["first"], b(2)), (none, b(3))])).await).await;
    assert_eq!((r.written, r.duplicates), (1, 1));
    // "ghost" never reached the aggregator; its beacons come back split over two batches.
    let r = receipt(post(&t, fenced("third", vec![(&["ghost"], b(4))])).await).await;
    assert_eq!((r.written, r.duplicates), (1, 0));
    let r = receipt(post(&t, fenced("fourth", vec![(&["ghost"], b(5))])).await).await;
    assert_eq!((r.written, r.duplicates), (1, 0));
    // The original "ghost" turns up late: fenced, so nothing is applied twice.
    let r = receipt(post(&t, body("ghost", vec![b(4), b(5)])).await).await;
    assert!(!r.applied);
    // A chain: re-sent after "first" and after "fifth" (both unknown to the edge): skipped
    // because "first" applied it.
    let r = receipt(post(&t, fenced("sixth", vec![(&["first", "fifth"], b(1))])).await).await;
    assert_eq!((r.written, r.duplicates), (0, 1));
    assert_eq!(t.hits(svc).await, 5);
    // Refusals before commit say so; misaligned fences are refused.
    let mut bad: EdgeBatch = serde_json::from_slice(&fenced("bad", vec![(none, b(9))])).unwrap();
    bad.fences.push(vec![]);
    let r = post(&t, serde_json::to_vec(&bad).unwrap()).await;
    assert_eq!(r.status(), 400);
    assert_eq!(r.headers()[NOT_APPLIED_HEADER], "1");
}

#[tokio::test]
async fn concurrent_redeliveries_apply_once() {
    let t = spawn_app(opts()).await;
    let svc = t.service(Svc::default()).await;
    let beacons: Vec<Beacon> = (0..50u8)
        .map(|i| beacon(svc, i, CHROME_UA, "https://e.com/"))
        .collect();
    let b = body("same", beacons);
    let sends = (0..6).map(|_| post(&t, b.clone()));
    let results = futures_util::future::join_all(sends).await;
    let mut applied = 0;
    for r in results {
        assert_eq!(r.status(), 200);
        if r.json::<BatchReceipt>().await.unwrap().applied {
            applied += 1;
        }
    }
    assert_eq!(applied, 1);
    assert_eq!(t.hits(svc).await, 50);
}

#[tokio::test]
async fn bad_signatures_and_stale_timestamps_are_refused_with_their_reason() {
    let t = spawn_app(opts()).await;
    let svc = t.service(Svc::default()).await;
    let b = body("b", vec![beacon(svc, 1, CHROME_UA, "https://e.com/")]);
    let good = sign_batch(SECRET.as_bytes(), now(), &b);
    let mut tampered = b.clone();
    let pos = tampered.len() - 5;
    tampered[pos] ^= 1;
    // The retired scheme's header: a MAC over time and body only.
    let v1 = format!("t={},v1={}", now(), "ab".repeat(32));
    let cases = vec![
        (
            "tampered body",
            tampered,
            Some(good.clone()),
            401,
            "does not match",
        ),
        ("no header", b.clone(), None, 401, "missing"),
        (
            "garbage header",
            b.clone(),
            Some("t=1,v1=nothex".into()),
            400,
            "malformed",
        ),
        ("v1 header", b.clone(), Some(v1), 400, "malformed"),
        (
            "wrong secret",
            b.clone(),
            Some(sign_batch(b"another-secret-of-some-length", now(), &b)),
            401,
            "does not match",
        ),
        (
            "stale",
            b.clone(),
            Some(sign_batch(SECRET.as_bytes(), now() - 301, &b)),
            401,
            "window",
        ),
        (
            "future",
            b.clone(),
            Some(sign_batch(SECRET.as_bytes(), now() + 301, &b)),
            401,
            "window",
        ),
    ];
    for (what, body, sig, status, reason) in cases {
        let r = post_signed(&t, body, sig).await;
        assert_eq!(r.status(), status, "{what}");
        assert_eq!(r.headers()[NOT_APPLIED_HEADER], "1", "{what}");
        let text = r.text().await.unwrap();
        assert!(text.contains(reason), "{what}: {text}");
        assert!(!text.contains(SECRET), "{what} leaks the secret: {text}");
    }
    // Within the window on either side is fine.
    let r = post_signed(
        &t,
        b.clone(),
        Some(sign_batch(SECRET.as_bytes(), now() - 240, &b)),
    )
    .await;
    assert_eq!(r.status(), 200);
    assert_eq!(t.hits(svc).await, 1);
}

/// Sends only the head of a batch POST declaring a body of [`MAX_BATCH_BYTES`] over a raw
/// socket, and returns the status line and body of whatever the aggregator answers before any
/// byte of the body was sent (`None` when it waits for the body).
async fn answer_to_headers_only(t: &TestApp, sig: Option<&str>) -> Option<(String, String)> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut sock = tokio::net::TcpStream::connect(t.app.address())
        .await
        .unwrap();
    let sig = sig.map_or(String::new(), |s| format!("{SIGNATURE_HEADER}: {s}\r\n"));
    let head = format!(
        "POST /ingest/v1/batch HTTP/1.1\r\nhost: {}\r\ncontent-type: application/json\r\n\
         content-length: {MAX_BATCH_BYTES}\r\n{sig}\r\n",
        t.app.address()
    );
    sock.write_all(head.as_bytes()).await.unwrap();
    let mut got = Vec::new();
    let read = async {
        let mut buf = [0u8; 4096];
        // The whole answer: head, then a body as long as its content-length.
        loop {
            let n = sock.read(&mut buf).await.unwrap();
            if n == 0 {
                return;
            }
            got.extend_from_slice(&buf[..n]);
            let text = String::from_utf8_lossy(&got).to_string();
            if let Some((head, body)) = text.split_once("\r\n\r\n") {
                let len = head
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .map(|v| v.trim().to_owned())
                    })
                    .and_then(|v| v.parse::<usize>().ok())
                    .unwrap_or(0);
                if body.len() >= len {
                    return;
                }
            }
        }
    };
    // Generous for a loaded machine; an aggregator that waits for the body never answers
    // before it gives up on reading it.
    tokio::time::timeout(Duration::from_secs(5), read)
        .await
        .ok()?;
    let text = String::from_utf8_lossy(&got).to_string();
    let (head, body) = text.split_once("\r\n\r\n")?;
    Some((head.lines().next()?.to_owned(), body.to_owned()))
}

#[tokio::test]
async fn a_bad_signature_header_is_refused_before_the_body_is_sent() {
    let t = spawn_app(opts()).await;
    let stale = sign_batch(SECRET.as_bytes(), now() - 3600, b"");
    let cases = [
        (None, "401", "missing"),
        (Some("t=1,v2=00"), "400", "malformed"),
        (Some(stale.as_str()), "401", "window"),
    ];
    for (sig, status, reason) in cases {
        let (line, body) = answer_to_headers_only(&t, sig)
            .await
            .unwrap_or_else(|| panic!("no answer before the body for {sig:?}"));
        assert!(line.contains(status), "{sig:?}: {line}");
        assert!(body.contains(reason), "{sig:?}: {body}");
    }
    // A well-formed header inside the window is answered only once the body arrives (its MAC
    // covers the body): the early answer is not simply every answer.
    let fresh = sign_batch(SECRET.as_bytes(), now(), b"");
    assert_eq!(answer_to_headers_only(&t, Some(&fresh)).await, None);
}

#[tokio::test]
async fn oversized_batches_are_413_and_bad_json_400() {
    let t = spawn_app(opts()).await;
    let svc = t.service(Svc::default()).await;
    // Too many bytes: refused on the declared length, before the body is read (and so before
    // the MAC over it can be checked).
    let huge = vec![b' '; MAX_BATCH_BYTES + 1];
    let sig = sign_batch(SECRET.as_bytes(), now(), b"");
    let r = post_signed(&t, huge, Some(sig)).await;
    assert_eq!(r.status(), 413);
    // Too many beacons.
    let many: Vec<Beacon> = (0..=MAX_BATCH_BEACONS)
        .map(|i| beacon(svc, (i % 250) as u8, CHROME_UA, "https://e.com/"))
        .collect();
    assert_eq!(post(&t, body("many", many)).await.status(), 413);
    // Signed but not a batch.
    assert_eq!(post(&t, b"{\"nope\":1}".to_vec()).await.status(), 400);
    assert_eq!(post(&t, body("", vec![])).await.status(), 400);
    assert_eq!(t.hits(svc).await, 0);
}

#[tokio::test]
async fn unknown_archived_and_robot_beacons_are_dropped_and_counted() {
    let t = spawn_app(opts()).await;
    let svc = t
        .service(Svc {
            ignore_robots: true,
            ..Svc::default()
        })
        .await;
    let archived = t
        .service(Svc {
            status: "AR",
            ..Svc::default()
        })
        .await;
    let b = body(
        "mixed",
        vec![
            beacon(svc, 1, CHROME_UA, "https://e.com/"),
            beacon(svc, 2, GOOGLEBOT_UA, "https://e.com/"),
            beacon(archived, 3, CHROME_UA, "https://e.com/"),
            beacon(Uuid::new_v4(), 4, CHROME_UA, "https://e.com/"),
        ],
    );
    let r = post(&t, b).await;
    assert_eq!(r.status(), 200);
    let receipt: BatchReceipt = r.json().await.unwrap();
    assert_eq!(
        (
            receipt.written,
            receipt.dropped_robot,
            receipt.dropped_unknown_service
        ),
        (1, 1, 2)
    );
    assert_eq!(t.hits(svc).await, 1);
    assert_eq!(t.hits(archived).await, 0);
}

#[tokio::test]
async fn config_is_signed_and_carries_settings_and_salts() {
    let t = spawn_app(opts()).await;
    let svc = t
        .service(Svc {
            origins: "https://a.example, https://b.example",
            ignored_ips: "10.0.0.1/8",
            collect_ips: true,
            ..Svc::default()
        })
        .await;
    let get = |sig: Option<String>| {
        let mut r = t.http.get(t.url("/ingest/v1/config"));
        if let Some(s) = sig {
            r = r.header(SIGNATURE_HEADER, s);
        }
        r.send()
    };
    assert_eq!(get(None).await.unwrap().status(), 401);
    // A batch signature (even over the same, empty, body) does not open the config.
    let wrong = sign_batch(SECRET.as_bytes(), now(), b"");
    assert_eq!(get(Some(wrong)).await.unwrap().status(), 401);
    let r = get(Some(sign_config(now()))).await.unwrap();
    assert_eq!(r.status(), 200);
    let cfg: EdgeConfig = r.json().await.unwrap();
    // It tells the edge that custom events may be queued.
    assert_eq!(cfg.protocol, beacon::edge_protocol::PROTOCOL_VERSION);
    assert!(cfg.accepts_events());
    let s = cfg.services.iter().find(|s| s.id == svc).unwrap();
    assert!(s.active && s.collect_ips && s.respect_dnt);
    assert_eq!(s.origins, "https://a.example, https://b.example");
    assert_eq!(s.ignored_ips, "10.0.0.0/8");
    assert_eq!(cfg.session_timeout_ms, 1_800_000);
    let now_ms = chrono::Utc::now().timestamp_millis();
    let (cur, _) = cfg.salts_for(now_ms).unwrap();
    assert_eq!(cur.day, beacon::visitor::utc_day(now_ms));
    // The salt is the aggregator's: a beacon hashed at the edge matches direct ingest.
    let c = t.pool.get().await.unwrap();
    let stored: Vec<u8> = c
        .query_one(
            "SELECT salt FROM salts WHERE day = (now() AT TIME ZONE 'UTC')::date",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(&stored[..], &cur.bytes[..]);
    // A settings change shows in a config built after it (a built one is reused for
    // CONFIG_MEMO): polled, each request freshly signed.
    c.execute(
        "UPDATE services SET respect_dnt = false WHERE id = $1",
        &[&svc],
    )
    .await
    .unwrap();
    let deadline = std::time::Instant::now() + 10 * aggregator::edge::remote_config::CONFIG_MEMO;
    loop {
        let cfg: EdgeConfig = get(Some(sign_config(now())))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if !cfg
            .services
            .iter()
            .find(|s| s.id == svc)
            .unwrap()
            .respect_dnt
        {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the settings change never reached the config"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn postgres_unreachable_is_503_then_the_retry_lands() {
    let (pool, cfg) = fresh_db().await;
    let dbname = cfg.get_dbname().unwrap().to_owned();
    let t = spawn_app_on(pool, opts()).await;
    let svc = t.service(Svc::default()).await;
    // Warm the service cache so only the write needs Postgres.
    let warm = body(
        "warm",
        vec![beacon(svc, 9, CHROME_UA, "https://e.com/warm")],
    );
    assert_eq!(post(&t, warm).await.status(), 200);

    let mut admin_cfg = cfg.clone();
    admin_cfg.dbname("postgres");
    let (admin, conn) = admin_cfg.connect(tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(conn);
    admin
        .batch_execute(&format!(
            "ALTER DATABASE {dbname} ALLOW_CONNECTIONS false;
             SELECT pg_terminate_backend(pid) FROM pg_stat_activity
             WHERE datname = '{dbname}' AND pid <> pg_backend_pid();"
        ))
        .await
        .unwrap();
    // The pool's connections were terminated; wait until Postgres lists none of them.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let left: i64 = admin
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = $1",
                &[&dbname],
            )
            .await
            .unwrap()
            .get(0);
        if left == 0 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "backends survive");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let b = body(
        "during-outage",
        vec![beacon(svc, 1, CHROME_UA, "https://e.com/x")],
    );
    let started = std::time::Instant::now();
    let r = post(&t, b.clone()).await;
    assert_eq!(r.status(), 503);
    assert!(r.headers().contains_key("retry-after"));
    assert_eq!(
        r.headers()[NOT_APPLIED_HEADER],
        "1",
        "nothing was committed"
    );
    assert!(started.elapsed() < Duration::from_secs(15));

    admin
        .batch_execute(&format!("ALTER DATABASE {dbname} ALLOW_CONNECTIONS true"))
        .await
        .unwrap();
    // The queue's retry (same batch, new signature) now lands, once.
    let mut status = 0;
    for _ in 0..50 {
        status = post(&t, b.clone()).await.status().as_u16();
        if status == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status, 200);
    assert_eq!(post(&t, b).await.status(), 200);
    let c = t.pool.get().await.unwrap();
    let n: i64 = c
        .query_one(
            "SELECT count(*) FROM hits WHERE service_id = $1 AND location = 'https://e.com/x'",
            &[&svc],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 1);
}

/// A signed POST that owns what it needs, so it can run in a spawned task.
fn send(t: &TestApp, body: Vec<u8>) -> impl std::future::Future<Output = reqwest::Response> {
    let (http, url) = (t.http.clone(), t.url("/ingest/v1/batch"));
    async move {
        let sig = sign_batch(SECRET.as_bytes(), now(), &body);
        let r = http.post(url).header(SIGNATURE_HEADER, sig).body(body);
        r.send().await.unwrap()
    }
}

/// Holds an exclusive lock on `ingest_batches` (so batch transactions block on their first
/// statement) until the returned client's transaction ends: batches sent meanwhile are then
/// released at once.
async fn block_batches(t: &TestApp) -> deadpool_postgres::Object {
    let blocker = t.pool.get().await.unwrap();
    blocker
        .batch_execute("BEGIN; LOCK TABLE ingest_batches IN SHARE ROW EXCLUSIVE MODE")
        .await
        .unwrap();
    blocker
}

/// Waits until `n` batch transactions wait for the lock on `ingest_batches` (as `pg_locks`
/// shows them), polling for at most 10 s.
async fn until_batches_wait(t: &TestApp, n: i64) {
    let db = t.pool.get().await.unwrap();
    let mut waiting = 0;
    for _ in 0..500 {
        waiting = db
            .query_one(
                "SELECT count(*) FROM pg_locks
                 WHERE NOT granted AND relation = 'ingest_batches'::regclass",
                &[],
            )
            .await
            .unwrap()
            .get(0);
        if waiting >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{waiting} of {n} batch transactions reached the lock");
}

async fn until_a_batch_waits(t: &TestApp) {
    until_batches_wait(t, 1).await
}

/// How many batch transactions can wait on the lock at once: the pool, less the blocker's
/// connection and the one watching `pg_locks`.
fn lock_waiters_possible(t: &TestApp) -> i64 {
    t.pool.status().max_size as i64 - 2
}

#[tokio::test]
async fn batches_released_together_share_visitors_and_each_applies_once() {
    let t = spawn_app(opts()).await;
    let svc = t.service(Svc::default()).await;
    let blocker = block_batches(&t).await;
    // 21 batches from the same 10 visitors wait on the lock and then run at once: their
    // transactions contend for the same session rows.
    let page = |b: usize, i: usize| format!("https://e.com/b{b}/{i}");
    let batch = |b: usize| {
        let beacons = (0..30)
            .map(|i| beacon(svc, (i % 10) as u8, CHROME_UA, &page(b, i)))
            .collect();
        body(&format!("group-{b}"), beacons)
    };
    let first = tokio::spawn(send(&t, batch(0)));
    until_a_batch_waits(&t).await;
    let rest = futures_util::future::join_all((1..=20).map(|b| send(&t, batch(b))));
    let rest = tokio::spawn(async move {
        let mut receipts = Vec::new();
        for r in rest.await {
            assert_eq!(r.status(), 200);
            receipts.push(r.json::<BatchReceipt>().await.unwrap());
        }
        receipts
    });
    until_batches_wait(&t, 21.min(lock_waiters_possible(&t))).await;
    blocker.batch_execute("COMMIT").await.unwrap();
    assert_eq!(first.await.unwrap().status(), 200);
    let receipts = rest.await.unwrap();
    assert!(receipts.iter().all(|r| r.applied && r.written == 30));
    // Every beacon once; one session per visitor, whatever the order of the transactions.
    assert_eq!(t.hits(svc).await, 21 * 30);
    assert_eq!(t.sessions(svc).await, 10);
}

#[tokio::test]
async fn a_batch_postgres_rejects_does_not_sink_concurrent_ones() {
    let t = spawn_app(opts()).await;
    let svc = t.service(Svc::default()).await;
    // A rule only this test's data breaks: Postgres itself refuses the bad batch's rows.
    let db = t.pool.get().await.unwrap();
    db.batch_execute(
        "ALTER TABLE hits ADD CONSTRAINT test_refuses CHECK (location NOT LIKE '%refuse-me%')",
    )
    .await
    .unwrap();
    let blocker = block_batches(&t).await;
    let lead = body(
        "lead",
        vec![beacon(svc, 1, CHROME_UA, "https://e.com/lead")],
    );
    let blocked = tokio::spawn(send(&t, lead));
    until_a_batch_waits(&t).await;
    let good = |n: u8| {
        body(
            &format!("good-{n}"),
            vec![beacon(svc, n, CHROME_UA, "https://e.com/ok")],
        )
    };
    let bad = body(
        "bad",
        vec![
            beacon(svc, 50, CHROME_UA, "https://e.com/fine"),
            beacon(svc, 51, CHROME_UA, "https://e.com/refuse-me"),
        ],
    );
    let sends = futures_util::future::join_all(vec![
        send(&t, good(2)),
        send(&t, bad),
        send(&t, good(3)),
        send(&t, good(4)),
    ]);
    let sends = tokio::spawn(sends);
    until_batches_wait(&t, 5).await;
    blocker.batch_execute("COMMIT").await.unwrap();
    assert_eq!(blocked.await.unwrap().status(), 200);
    let results = sends.await.unwrap();
    let statuses: Vec<u16> = results.iter().map(|r| r.status().as_u16()).collect();
    assert_eq!(statuses, [200, 500, 200, 200]);
    // Refused as a whole (not even its fine beacon), and marked so the edge may regroup it.
    assert_eq!(results[1].headers()[NOT_APPLIED_HEADER], "1");
    assert_eq!(t.hits(svc).await, 4);
    let recorded: i64 = db
        .query_one(
            "SELECT count(*) FROM ingest_batches WHERE batch_id = 'bad'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(recorded, 0);
}

#[tokio::test]
async fn a_fenced_resend_racing_its_original_applies_once() {
    let t = spawn_app(opts()).await;
    let svc = t.service(Svc::default()).await;
    let b = |n: u8| beacon(svc, n, CHROME_UA, &format!("https://e.com/{n}"));
    let blocker = block_batches(&t).await;
    let blocked = tokio::spawn(send(&t, body("lead", vec![b(1)])));
    until_a_batch_waits(&t).await;
    // The edge lost the answer for "orig" and re-sent its beacons fenced on it (with a new
    // one); both reach the aggregator at once, in either order.
    let none: &[&str] = &[];
    let sends = futures_util::future::join_all(vec![
        send(
            &t,
            fenced(
                "resend",
                vec![(&["orig"], b(2)), (&["orig"], b(3)), (none, b(4))],
            ),
        ),
        send(&t, body("orig", vec![b(2), b(3)])),
    ]);
    let sends = tokio::spawn(sends);
    until_batches_wait(&t, 3).await;
    blocker.batch_execute("COMMIT").await.unwrap();
    assert_eq!(blocked.await.unwrap().status(), 200);
    for r in sends.await.unwrap() {
        assert_eq!(r.status(), 200);
    }
    // b1, b2, b3 and b4, each once.
    assert_eq!(t.hits(svc).await, 4);
}

#[tokio::test]
async fn nul_characters_are_removed_instead_of_sinking_the_batch() {
    let t = spawn_app(opts()).await;
    let svc = t.service(Svc::default()).await;
    let mut odd = beacon(svc, 1, &format!("{CHROME_UA}\0"), "https://e.com/a\0b");
    odd.referrer = "\0".into();
    odd.geo.city = "To\0kyo".into();
    let r = post(
        &t,
        body(
            "nul",
            vec![odd, beacon(svc, 2, CHROME_UA, "https://e.com/")],
        ),
    )
    .await;
    assert_eq!(r.status(), 200);
    assert_eq!(t.hits(svc).await, 2);
    let db = t.pool.get().await.unwrap();
    let row = db
        .query_one(
            "SELECT h.location, s.city, s.browser FROM hits h JOIN sessions s ON s.id = h.session_id
             WHERE h.location LIKE '%/ab'",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "https://e.com/ab");
    assert_eq!(row.get::<_, String>(1), "Tokyo");
    assert_eq!(row.get::<_, String>(2), "Chrome");
}

fn with_messages(id: &str, beacons: Vec<(&str, Beacon)>) -> Vec<u8> {
    let (message_ids, beacons): (Vec<String>, Vec<Beacon>) =
        beacons.into_iter().map(|(m, b)| (m.to_owned(), b)).unzip();
    serde_json::to_vec(&EdgeBatch {
        batch_id: id.into(),
        beacons,
        fences: vec![],
        message_ids,
        drops: vec![],
    })
    .unwrap()
}

#[tokio::test]
async fn messages_redelivered_in_another_grouping_apply_once() {
    let t = spawn_app(opts()).await;
    let svc = t.service(Svc::default()).await;
    let b = |n: u8| beacon(svc, n, CHROME_UA, &format!("https://e.com/{n}"));
    let receipt = |r: reqwest::Response| async move {
        assert_eq!(r.status(), 200);
        r.json::<BatchReceipt>().await.unwrap()
    };
    // The consumer posted m1+m2 as "a", the aggregator committed, and the consumer died before
    // acknowledging: the platform redelivers m2 with a new m3, under another batch id.
    let r = receipt(post(&t, with_messages("a", vec![("m1", b(1)), ("m2", b(2))])).await).await;
    assert_eq!((r.written, r.duplicates), (2, 0));
    let r = receipt(post(&t, with_messages("b", vec![("m2", b(2)), ("m3", b(3))])).await).await;
    assert!(r.applied);
    assert_eq!((r.written, r.duplicates), (1, 1));
    // The same message twice in one batch counts once.
    let r = receipt(post(&t, with_messages("c", vec![("m4", b(4)), ("m4", b(4))])).await).await;
    assert_eq!((r.written, r.duplicates), (1, 1));
    assert_eq!(t.hits(svc).await, 4);
    // Ids must line up with the beacons.
    let mut bad: EdgeBatch =
        serde_json::from_slice(&with_messages("d", vec![("m5", b(5))])).unwrap();
    bad.message_ids.push("m6".into());
    let r = post(&t, serde_json::to_vec(&bad).unwrap()).await;
    assert_eq!(r.status(), 400);
    assert_eq!(r.headers()[NOT_APPLIED_HEADER], "1");
    assert_eq!(t.hits(svc).await, 4);
}

#[tokio::test]
async fn a_message_in_two_concurrent_batches_applies_once() {
    let t = spawn_app(opts()).await;
    let svc = t.service(Svc::default()).await;
    let b = |n: u8| beacon(svc, n, CHROME_UA, &format!("https://e.com/{n}"));
    let blocker = block_batches(&t).await;
    let blocked = tokio::spawn(send(&t, with_messages("lead", vec![("m0", b(0))])));
    until_a_batch_waits(&t).await;
    let sends = tokio::spawn(futures_util::future::join_all(vec![
        send(&t, with_messages("x", vec![("m1", b(1)), ("m2", b(2))])),
        send(&t, with_messages("y", vec![("m2", b(2)), ("m3", b(3))])),
    ]));
    until_batches_wait(&t, 3).await;
    blocker.batch_execute("COMMIT").await.unwrap();
    assert_eq!(blocked.await.unwrap().status(), 200);
    let mut written = 0;
    for r in sends.await.unwrap() {
        assert_eq!(r.status(), 200);
        written += r.json::<BatchReceipt>().await.unwrap().written;
    }
    assert_eq!(written, 3);
    assert_eq!(t.hits(svc).await, 4);
}

#[tokio::test]
async fn maintenance_forgets_nonces_only_after_their_window() {
    let t = spawn_app(opts()).await;
    // A config request records its nonce until its window closes.
    let sig = sign_config(now());
    let r = t
        .http
        .get(t.url("/ingest/v1/config"))
        .header(SIGNATURE_HEADER, &sig)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let db = t.pool.get().await.unwrap();
    db.execute(
        "INSERT INTO edge_nonces (nonce, expires_at) VALUES ('\\x00'::bytea, now() - interval '1 hour')",
        &[],
    )
    .await
    .unwrap();
    let salts = aggregator::salts::SaltStore::new(t.pool.clone(), 1_800_000);
    // The purge skips a run while another holds its lock (the app's own maintenance job may be
    // purging at the same moment): run it until the expired nonce is gone.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let left: Vec<Vec<u8>> = loop {
        aggregator::jobs::run_once(&t.pool, &salts, 1800.0)
            .await
            .unwrap();
        let left: Vec<Vec<u8>> = db
            .query("SELECT nonce FROM edge_nonces", &[])
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.get(0))
            .collect();
        if !left.contains(&vec![0u8]) || std::time::Instant::now() > deadline {
            break left;
        }
    };
    let parsed = beacon::edge_protocol::SignatureHeader::parse(Some(&sig), now()).unwrap();
    assert_eq!(
        left,
        vec![parsed.nonce.to_vec()],
        "only the live nonce is kept"
    );
    // And it still refuses the replay.
    let r = t
        .http
        .get(t.url("/ingest/v1/config"))
        .header(SIGNATURE_HEADER, &sig)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn events_in_batches_apply_exactly_once_and_bind_to_their_page_view() {
    let t = spawn_app(opts()).await;
    let svc = t.service(Svc::default()).await;
    let view = Beacon {
        tracker: Tracker::Js,
        idempotency: Some("pv".into()),
        ..beacon(svc, 1, CHROME_UA, "https://e.com/pricing")
    };
    let ev = |name: &str, token: Option<&str>| Beacon {
        tracker: Tracker::Js,
        event: Some(beacon::event::Event {
            name: name.into(),
            props: [("plan".to_owned(), "pro".to_owned())].into(),
            token: token.map(str::to_owned),
            page: Some("pv".into()),
            truncated: 2,
        }),
        ..beacon(svc, 1, CHROME_UA, "https://e.com/pricing")
    };
    let receipt = |r: reqwest::Response| async move {
        assert_eq!(r.status(), 200);
        r.json::<BatchReceipt>().await.unwrap()
    };
    let first = with_messages(
        "ev-a",
        vec![
            ("m1", view),
            ("m2", ev("Signup", Some("tok"))),
            // What the edge never sends: dropped here, the rest applies.
            ("m3", ev("Bad\u{7}name", None)),
        ],
    );
    let r = receipt(post(&t, first.clone()).await).await;
    assert!(r.applied);
    assert_eq!(r.written, 2);
    let events = |t: &TestApp| {
        let pool = t.pool.clone();
        async move {
            let c = pool.get().await.unwrap();
            c.query(
                "SELECT e.name, e.props->>'plan', e.hit_id = h.id, e.session_id = h.session_id
                 FROM events e LEFT JOIN hits h ON h.service_id = e.service_id
                 WHERE e.service_id = $1 ORDER BY e.id",
                &[&svc],
            )
            .await
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r.get::<_, String>(0),
                    r.get::<_, Option<String>>(1),
                    r.get::<_, Option<bool>>(2),
                    r.get::<_, Option<bool>>(3),
                )
            })
            .collect::<Vec<_>>()
        }
    };
    let bound = (
        "Signup".to_owned(),
        Some("pro".to_owned()),
        Some(true),
        Some(true),
    );
    assert_eq!(events(&t).await, vec![bound.clone()]);
    assert_eq!(t.hits(svc).await, 1, "an event is no hit");
    // The same batch again, then the event's message regrouped with a new one: each once.
    assert!(!receipt(post(&t, first).await).await.applied);
    let r = receipt(
        post(
            &t,
            with_messages(
                "ev-b",
                vec![
                    ("m2", ev("Signup", Some("tok"))),
                    ("m4", ev("Upgrade", None)),
                ],
            ),
        )
        .await,
    )
    .await;
    assert_eq!((r.written, r.duplicates), (1, 1));
    // A client's re-send of the same event (same token) in a new message: stored once.
    let r = receipt(
        post(
            &t,
            with_messages("ev-c", vec![("m5", ev("Signup", Some("tok")))]),
        )
        .await,
    )
    .await;
    assert_eq!(r.written, 1);
    let names: Vec<String> = events(&t).await.into_iter().map(|e| e.0).collect();
    assert_eq!(names, vec!["Signup", "Upgrade"]);
    let m = t.app.metrics.snapshot();
    assert_eq!(
        (m.written_events, m.event_repeats, m.event_props_truncated),
        (2, 1, 4)
    );
    assert!(m.rejected_bad_input >= 1);
}

/// The edge's dropped-traffic counts travel with a batch: counted once when it first applies
/// (not again on redelivery), only for known services and recent days; too many counters or
/// too large a count refuse the whole batch before anything applies.
#[tokio::test]
async fn batch_drops_are_counted_once_for_known_services() {
    use beacon::dropped::DropKind;
    use beacon::edge_protocol::{EdgeDrop, MAX_BATCH_DROPS, MAX_DROP_COUNT};
    let t = spawn_app(opts()).await;
    let svc = t.service(Svc::default()).await;
    let today = (chrono::Utc::now().timestamp() / 86_400) as i32;
    let drop = |service, day, reason, count| EdgeDrop {
        service,
        day,
        reason,
        count,
    };
    let with_drops = |id: &str, drops: Vec<EdgeDrop>| {
        serde_json::to_vec(&EdgeBatch {
            batch_id: id.into(),
            beacons: vec![beacon(svc, 1, CHROME_UA, "https://e.com/a")],
            fences: vec![],
            message_ids: vec![],
            drops,
        })
        .unwrap()
    };
    let b = with_drops(
        "drops-1",
        vec![
            drop(svc, today, DropKind::Dnt, 7),
            drop(svc, today, DropKind::Bot, 2),
            drop(Uuid::new_v4(), today, DropKind::Dnt, 3),
            drop(svc, today - 30, DropKind::Gpc, 5),
        ],
    );
    assert_eq!(post(&t, b.clone()).await.status(), 200);
    let again: BatchReceipt = post(&t, b).await.json().await.unwrap();
    assert!(!again.applied);
    // Refused shapes apply nothing.
    let many = with_drops(
        "drops-2",
        vec![drop(svc, today, DropKind::Dnt, 1); MAX_BATCH_DROPS + 1],
    );
    assert_eq!(post(&t, many).await.status(), 400);
    let big = with_drops(
        "drops-3",
        vec![drop(svc, today, DropKind::Dnt, MAX_DROP_COUNT + 1)],
    );
    assert_eq!(post(&t, big).await.status(), 400);
    t.app.flush_drops().await.unwrap();
    let c = t.pool.get().await.unwrap();
    let rows: Vec<(String, i64)> = c
        .query(
            "SELECT reason, count FROM dropped_beacons ORDER BY reason",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(rows, vec![("bot".into(), 2), ("dnt".into(), 7)]);
    assert_eq!(t.hits(svc).await, 1);
}
