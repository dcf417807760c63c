//! Dashboard traffic cannot starve ingestion or health: a burst of failed logins (valid CSRF
//! pair, wrong password) against a deliberately small dashboard pool, while page views flow and
//! `/healthz` is probed. Every beacon is stored, every probe answers 200, and every login gets a
//! 4xx (a wrong password is 400; a busy dashboard answers 429), never a 5xx.

mod common;

use aggregator::pools::{PoolSizes, Pools};
use common::*;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Concurrent logins in the burst: far more than the dashboard pool has connections.
const LOGINS: usize = 64;
/// Dashboard connections: small, so the burst contends for them.
const DASHBOARD_POOL: usize = 2;
/// Page views sent at least, one after another, while the burst runs.
const MIN_BEACONS: usize = 20;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_login_burst_cannot_starve_ingestion_or_health() {
    let (pool, cfg) = fresh_db().await;
    let pools = Pools::open(
        pool.clone(),
        &cfg,
        PoolSizes {
            edge: 2,
            dashboard: DASHBOARD_POOL,
        },
    )
    .unwrap();
    let t = spawn_app_with_pools(pool, pools, Opts::default()).await;
    let svc = t.service(Svc::default()).await;
    let burst_over = Arc::new(AtomicBool::new(false));

    // Page views, one after another, until the burst is over.
    let beacons = {
        let (http, base, over) = (t.http.clone(), t.base.clone(), burst_over.clone());
        tokio::spawn(async move {
            let mut sent = Vec::new();
            while sent.len() < MIN_BEACONS || !over.load(Ordering::SeqCst) {
                let i = sent.len();
                let status = http
                    .get(format!("{base}/ingress/{svc}/pixel.gif"))
                    .header("user-agent", CHROME_UA)
                    .header("x-forwarded-for", format!("81.2.69.{}", 1 + i % 200))
                    .header("referer", format!("https://site.example/during/{i}"))
                    .send()
                    .await
                    .map(|r| r.status().as_u16())
                    .unwrap_or(0);
                sent.push(status);
            }
            sent
        })
    };
    // Readiness probes, one after another, until the burst is over.
    let probes = {
        let (http, base, over) = (t.http.clone(), t.base.clone(), burst_over.clone());
        tokio::spawn(async move {
            let mut got = Vec::new();
            while got.len() < 5 || !over.load(Ordering::SeqCst) {
                let status = http
                    .get(format!("{base}/healthz"))
                    .send()
                    .await
                    .map(|r| r.status().as_u16())
                    .unwrap_or(0);
                got.push(status);
            }
            got
        })
    };

    // The burst: each login brings a matching CSRF cookie and field, and a wrong password.
    let csrf = "c".repeat(64);
    let logins: Vec<_> = (0..LOGINS)
        .map(|i| {
            let (http, base, csrf) = (t.http.clone(), t.base.clone(), csrf.clone());
            tokio::spawn(async move {
                http.post(format!("{base}/accounts/login/"))
                    .header(
                        "cookie",
                        format!("{}={csrf}", dashboard::auth::csrf::COOKIE),
                    )
                    .form(&[
                        (dashboard::auth::csrf::FIELD, csrf.as_str()),
                        ("email", &format!("nobody-{i}@example.com")),
                        ("password", "wrong password"),
                    ])
                    .send()
                    .await
                    .map(|r| r.status().as_u16())
                    .unwrap_or(0)
            })
        })
        .collect();
    let mut login_statuses = Vec::new();
    for l in logins {
        login_statuses.push(l.await.unwrap());
    }
    burst_over.store(true, Ordering::SeqCst);
    let beacon_statuses = beacons.await.unwrap();
    let probe_statuses = probes.await.unwrap();

    for (i, s) in login_statuses.iter().enumerate() {
        assert!(
            (400..500).contains(s),
            "login {i} answered {s} (all: {login_statuses:?})"
        );
    }
    assert!(
        login_statuses.contains(&400),
        "some logins were checked: {login_statuses:?}"
    );
    assert!(
        probe_statuses.iter().all(|s| *s == 200),
        "/healthz during the burst: {probe_statuses:?}"
    );
    assert!(
        beacon_statuses.iter().all(|s| *s == 200),
        "beacons during the burst: {beacon_statuses:?}"
    );
    t.settle().await;
    assert_eq!(
        t.hits(svc).await,
        beacon_statuses.len() as i64,
        "every beacon is stored"
    );
}
