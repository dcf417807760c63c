//! Hostile clients against the real `shynet serve`: oversized and chunked bodies, slow headers
//! (slowloris) and slow bodies, invalid UTF-8, huge headers, deeply nested JSON, thousands of
//! distinct identifiers and User-Agents. Each gets a clear 4xx or is shed, the process's
//! resident memory stays bounded, and normal beacons sent at the same time are all stored.
//! Dashboard routes get the same body deadline, and one address cannot hold every connection.

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};
use support::*;
use uuid::Uuid;

/// Sends raw bytes on a new connection and returns the status of the answer (0 if the
/// connection was closed without one).
fn raw(addr: &str, bytes: &[u8]) -> u16 {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let _ = s.write_all(bytes);
    status_of(&mut s)
}

fn status_of(s: &mut TcpStream) -> u16 {
    let mut buf = [0u8; 64];
    let mut got = Vec::new();
    while got.len() < 12 {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    }
    std::str::from_utf8(&got)
        .ok()
        .and_then(|t| t.get(9..12))
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

fn post(addr: &str, path: &str, extra_headers: &str, body: &[u8]) -> Vec<u8> {
    let mut req = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: text/plain\r\n\
         X-Forwarded-For: 192.0.2.77\r\nContent-Length: {}\r\nConnection: close\r\n{extra_headers}\r\n",
        body.len()
    )
    .into_bytes();
    req.extend_from_slice(body);
    req
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hostile_clients_get_4xx_or_are_shed_and_normal_beacons_are_stored() {
    let pg = Pg::start("hostile");
    let url = pg.database("hostile").await;
    let svc = service(&url, false).await;
    let shynet = Shynet::serve(
        &url,
        &[
            ("SHYNET_HEADER_READ_TIMEOUT", "2"),
            ("SHYNET_MAX_CONNECTIONS", "256"),
        ],
    );
    let addr = shynet.base.trim_start_matches("http://").to_owned();
    let script = format!("/ingress/{svc}/script.js");
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    // Warm up (UA regexes, caches), then take the baseline.
    assert_eq!(
        beacon(
            &http,
            &shynet.base,
            svc,
            "192.0.2.1",
            CHROME_UA,
            "warm",
            "https://site.example/warm"
        )
        .await,
        200
    );
    let rss_start = shynet.rss_kib();

    // Normal visitors throughout the attack.
    let normal = {
        let (http, base) = (http.clone(), shynet.base.clone());
        tokio::spawn(async move {
            let mut out = Vec::new();
            for i in 0..150 {
                let ip = format!("198.51.100.{}", 1 + i % 100);
                let loc = format!("https://site.example/normal/{i}");
                out.push((
                    loc.clone(),
                    beacon(&http, &base, svc, &ip, CHROME_UA, &format!("n{i}"), &loc).await,
                ));
                tokio::time::sleep(Duration::from_millis(60)).await;
            }
            out
        })
    };

    // Slowloris: 300 connections (more than the cap) each sending a partial request head and
    // then a byte now and then. The server must drop them after its header timeout.
    let slow = {
        let addr = addr.clone();
        tokio::task::spawn_blocking(move || {
            let started = Instant::now();
            let mut conns: Vec<TcpStream> = (0..300)
                .filter_map(|_| TcpStream::connect(&addr).ok())
                .collect();
            for c in &mut conns {
                let _ = c.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ");
                c.set_read_timeout(Some(Duration::from_millis(10))).unwrap();
            }
            let mut closed = 0;
            let mut open: Vec<TcpStream> = conns;
            while !open.is_empty() && started.elapsed() < Duration::from_secs(20) {
                std::thread::sleep(Duration::from_millis(500));
                open.retain_mut(|c| {
                    let _ = c.write_all(b"a");
                    let mut b = [0u8; 256];
                    match c.read(&mut b) {
                        Ok(0) => {
                            closed += 1;
                            false
                        }
                        Ok(_) => {
                            // 408 Request Timeout, then close.
                            closed += 1;
                            false
                        }
                        Err(e)
                            if e.kind() == std::io::ErrorKind::WouldBlock
                                || e.kind() == std::io::ErrorKind::TimedOut =>
                        {
                            true
                        }
                        Err(_) => {
                            closed += 1;
                            false
                        }
                    }
                });
            }
            (closed, open.len(), started.elapsed())
        })
    };

    // A slow body: headers at once, then one byte and silence; refused after the body deadline.
    let slow_body = {
        let (addr, script) = (addr.clone(), script.clone());
        tokio::task::spawn_blocking(move || {
            let mut s = TcpStream::connect(&addr).unwrap();
            s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
            let head = post(&addr, &script, "", &[b' '; 100]);
            let _ = s.write_all(&head[..head.len() - 99]);
            status_of(&mut s)
        })
    };

    // One-shot hostile requests.
    let a = addr.clone();
    let sc = script.clone();
    let one_shots = tokio::task::spawn_blocking(move || {
        let mut results = Vec::new();
        // Oversized by Content-Length (refused before reading), and chunked past the limit.
        let big = vec![b'a'; 1024 * 1024];
        results.push(("oversized", raw(&a, &post(&a, &sc, "", &big)), 413));
        let mut chunked = format!(
            "POST {sc} HTTP/1.1\r\nHost: {a}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        )
        .into_bytes();
        for _ in 0..40 {
            chunked.extend_from_slice(b"400\r\n");
            chunked.extend_from_slice(&[b' '; 0x400]);
            chunked.extend_from_slice(b"\r\n");
        }
        chunked.extend_from_slice(b"0\r\n\r\n");
        results.push(("chunked oversized", raw(&a, &chunked), 413));
        // Invalid UTF-8 in the body and in the identifier.
        results.push((
            "utf8 body",
            raw(&a, &post(&a, &sc, "", b"{\"location\":\"\xff\xfe\"}")),
            400,
        ));
        let bad_ident = sc.replace("/script.js", "/%ff%fe/script.js");
        results.push((
            "utf8 identifier",
            raw(&a, &post(&a, &bad_ident, "", b"{}")),
            400,
        ));
        // Deeply nested JSON within the size limit.
        let nested = format!("{}{}", "[".repeat(8000), "]".repeat(8000));
        results.push((
            "nested json",
            raw(&a, &post(&a, &sc, "", nested.as_bytes())),
            400,
        ));
        let nested_obj = format!("{}1{}", "{\"a\":".repeat(2500), "}".repeat(2500));
        results.push((
            "nested object",
            raw(&a, &post(&a, &sc, "", nested_obj.as_bytes())),
            400,
        ));
        // A huge header, and very many headers.
        let huge = format!("X-Big: {}\r\n", "b".repeat(200 * 1024));
        results.push(("huge header", raw(&a, &post(&a, &sc, &huge, b"{}")), 431));
        let many: String = (0..500).map(|i| format!("X-H{i}: v\r\n")).collect();
        results.push(("many headers", raw(&a, &post(&a, &sc, &many, b"{}")), 431));
        // Garbage instead of HTTP.
        results.push((
            "garbage",
            raw(
                &a,
                b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03garbage\r\n\r\n",
            ),
            400,
        ));
        results
    });

    // Thousands of distinct identifiers and User-Agents (each a valid beacon: stored or shed).
    let mut distinct = Vec::new();
    let mut handles = Vec::new();
    for w in 0..8 {
        let (http, base) = (http.clone(), shynet.base.clone());
        handles.push(tokio::spawn(async move {
            let mut out = Vec::new();
            for j in 0..375 {
                let i = w * 375 + j;
                let ident = format!("user-{i}-{}", Uuid::new_v4());
                let ua = format!("Mozilla/5.0 (X11; Linux x86_64) Bot{i}/{}.0", i * 7);
                let loc = format!("https://site.example/distinct/{i}");
                let body = serde_json::json!({"idempotency": format!("d{i}"), "location": loc});
                let status = http
                    .post(format!("{base}/ingress/{svc}/{ident}/script.js"))
                    .header("x-forwarded-for", format!("203.0.113.{}", i % 250))
                    .header("user-agent", ua)
                    .body(body.to_string())
                    .send()
                    .await
                    .map(|r| r.status().as_u16())
                    .unwrap_or(0);
                out.push((loc, status));
            }
            out
        }));
    }
    for h in handles {
        distinct.extend(h.await.unwrap());
    }

    for (what, got, want) in one_shots.await.unwrap() {
        assert_eq!(got, want, "{what}");
    }
    assert_eq!(slow_body.await.unwrap(), 408, "slow body");
    let (closed, still_open, took) = slow.await.unwrap();
    eprintln!("slowloris: {closed} closed, {still_open} open after {took:?}");
    assert_eq!(still_open, 0, "every slow connection was dropped");
    let normal = normal.await.unwrap();

    for (loc, status) in &distinct {
        assert!(*status == 200 || *status == 503, "{loc}: {status}");
    }
    for (loc, status) in &normal {
        assert_eq!(*status, 200, "normal beacon {loc}");
    }
    // Everything accepted is stored, exactly once.
    let c = db(&url).await;
    let accepted: Vec<&String> = normal
        .iter()
        .chain(distinct.iter())
        .filter(|(_, s)| *s == 200)
        .map(|(l, _)| l)
        .collect();
    let done = until(Duration::from_secs(30), || async {
        let n: i64 = c
            .query_one("SELECT count(*) FROM hits WHERE service_id = $1", &[&svc])
            .await
            .unwrap()
            .get(0);
        n > accepted.len() as i64
    })
    .await;
    assert!(done, "accepted beacons were written");
    for loc in accepted {
        let n: i64 = c
            .query_one(
                "SELECT count(*) FROM hits WHERE service_id = $1 AND location = $2",
                &[&svc, loc],
            )
            .await
            .unwrap()
            .get(0);
        assert_eq!(n, 1, "{loc}");
    }
    let rss_end = shynet.rss_kib();
    eprintln!("RSS {rss_start} KiB -> {rss_end} KiB");
    assert!(
        rss_end < rss_start + 150 * 1024,
        "resident memory grew from {rss_start} KiB to {rss_end} KiB"
    );
}

/// Opens a connection from `source` (any 127.x address works on Linux loopback).
async fn connect_from(source: &str, addr: &str) -> tokio::net::TcpStream {
    let sock = tokio::net::TcpSocket::new_v4().unwrap();
    sock.bind(format!("{source}:0").parse().unwrap()).unwrap();
    sock.connect(addr.parse().unwrap()).await.unwrap()
}

/// Reads until the server closes the connection (or `limit` passes); returns what arrived and
/// whether the connection was closed.
async fn read_to_close(s: &mut tokio::net::TcpStream, limit: Duration) -> (String, bool) {
    use tokio::io::AsyncReadExt;
    let mut got = Vec::new();
    let closed = tokio::time::timeout(limit, async {
        let mut buf = [0u8; 1024];
        loop {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await
    .is_ok();
    (String::from_utf8_lossy(&got).into_owned(), closed)
}

fn status_line(text: &str) -> u16 {
    text.get(9..12).and_then(|c| c.parse().ok()).unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn dashboard_bodies_have_a_deadline_and_one_address_cannot_hold_every_connection() {
    use tokio::io::AsyncWriteExt;
    let pg = Pg::start("edges");
    let url = pg.database("edges").await;
    const CAP: usize = 8;
    let shynet = Shynet::serve(
        &url,
        &[
            ("SHYNET_BODY_READ_TIMEOUT", "2"),
            ("SHYNET_HEADER_READ_TIMEOUT", "60"),
            ("SHYNET_MAX_CONNECTIONS_PER_IP", "8"),
            // The test client is a loopback peer: not a proxy here, so the cap applies.
            ("SHYNET_TRUSTED_PROXIES", "none"),
        ],
    );
    let addr = shynet.base.trim_start_matches("http://").to_owned();

    // Slow bodies on the login form: the head at once, one byte of the body, then silence.
    let head = format!(
        "POST /accounts/login/ HTTP/1.1\r\nHost: {addr}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\ne"
    );
    let mut slow = Vec::new();
    for _ in 0..4 {
        let mut s = connect_from("127.0.0.1", &addr).await;
        s.write_all(head.as_bytes()).await.unwrap();
        slow.push(s);
    }
    for mut s in slow {
        let (answer, closed) = read_to_close(&mut s, Duration::from_secs(15)).await;
        assert_eq!(status_line(&answer), 408, "slow login body: {answer:?}");
        assert!(closed, "the connection is closed after the 408");
    }

    // A GET that announces a body is answered without reading it, and the connection closed.
    let mut s = connect_from("127.0.0.1", &addr).await;
    let get =
        format!("GET /accounts/login/ HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 100\r\n\r\n");
    s.write_all(get.as_bytes()).await.unwrap();
    let (answer, closed) = read_to_close(&mut s, Duration::from_secs(15)).await;
    assert_eq!(status_line(&answer), 200, "GET with a body: {answer:?}");
    assert!(
        closed,
        "the connection is closed after a GET whose body was not read"
    );

    // One address at the cap: its next connection is refused, another address is served.
    let mut held = Vec::new();
    for _ in 0..CAP {
        held.push(connect_from("127.0.0.1", &addr).await);
    }
    // The server counts a connection once it accepted it: wait until the cap is observable.
    let refused = until(Duration::from_secs(10), || {
        let addr = addr.clone();
        async move {
            let mut extra = connect_from("127.0.0.1", &addr).await;
            let req = format!("GET /healthz?probe=liveness HTTP/1.1\r\nHost: {addr}\r\n\r\n");
            let _ = extra.write_all(req.as_bytes()).await;
            let (answer, closed) = read_to_close(&mut extra, Duration::from_secs(5)).await;
            closed && (answer.is_empty() || status_line(&answer) == 429)
        }
    })
    .await;
    assert!(refused, "a connection past the per-address cap is refused");
    let mut other = connect_from("127.0.0.2", &addr).await;
    let req = format!(
        "GET /healthz?probe=liveness HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    );
    other.write_all(req.as_bytes()).await.unwrap();
    let (answer, _) = read_to_close(&mut other, Duration::from_secs(15)).await;
    assert_eq!(
        status_line(&answer),
        200,
        "another address is served: {answer:?}"
    );
    // Closing one of the held connections frees a place for that address again.
    drop(held.pop());
    let served = until(Duration::from_secs(10), || {
        let addr = addr.clone();
        async move {
            let mut again = connect_from("127.0.0.1", &addr).await;
            let req = format!(
                "GET /healthz?probe=liveness HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
            );
            let _ = again.write_all(req.as_bytes()).await;
            let (answer, _) = read_to_close(&mut again, Duration::from_secs(5)).await;
            status_line(&answer) == 200
        }
    })
    .await;
    assert!(
        served,
        "the address is served again once it is under the cap"
    );
    drop(held);
}
