//! Which address a beacon is recorded under: headers count only from trusted proxies, the
//! right-most untrusted `X-Forwarded-For` entry is the visitor, and CDN headers count only from
//! the CDN or when enabled. Checked end to end through the real server (the test client is a
//! loopback peer) and the stored session IP.

mod common;

use aggregator::config::Networks;
use common::*;
use uuid::Uuid;

fn networks(s: &str) -> Networks {
    s.parse().unwrap()
}

/// Sends one pixel with `headers` through an app started with `opts`, returns the stored IP.
async fn recorded_ip(
    pool: &deadpool_postgres::Pool,
    opts: Opts,
    headers: &[(&str, &str)],
) -> String {
    let t = spawn_app_on(pool.clone(), opts).await;
    let svc: Uuid = t
        .service(Svc {
            collect_ips: true,
            ..Svc::default()
        })
        .await;
    let mut req = t
        .http
        .get(t.url(&format!("/ingress/{svc}/pixel.gif")))
        .header("user-agent", CHROME_UA)
        .header("referer", "https://e.com/");
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    assert_eq!(req.send().await.unwrap().status(), 200);
    t.settle().await;
    let c = t.pool.get().await.unwrap();
    let ip: String = c
        .query_one(
            "SELECT host(ip) FROM sessions WHERE service_id = $1",
            &[&svc],
        )
        .await
        .unwrap()
        .get(0);
    t.app.shutdown().await;
    ip
}

fn every_header_listed() -> Opts {
    let mut o = Opts::default();
    o.ingest.ip_headers = "cf-connecting-ip,true-client-ip,x-forwarded-for,client-ip,x-real-ip,\
                           x-forwarded,x-cluster-client-ip,forwarded-for,forwarded,via"
        .into();
    o
}

const FORGED: &[(&str, &str)] = &[
    ("x-forwarded-for", "81.2.69.160"),
    ("client-ip", "81.2.69.161"),
    ("x-real-ip", "81.2.69.162"),
    ("x-forwarded", "81.2.69.163"),
    ("x-cluster-client-ip", "81.2.69.164"),
    ("forwarded-for", "81.2.69.165"),
    ("forwarded", "for=81.2.69.166"),
    ("via", "1.1 81.2.69.167"),
    ("cf-connecting-ip", "81.2.69.168"),
    ("true-client-ip", "81.2.69.169"),
];

#[tokio::test]
async fn a_client_that_is_not_a_trusted_proxy_cannot_choose_its_address() {
    let (pool, _) = fresh_db().await;
    let mut o = every_header_listed();
    o.ingest.trusted_proxies = networks("none");
    o.ingest.trust_cf_connecting_ip = true;
    assert_eq!(recorded_ip(&pool, o, FORGED).await, "127.0.0.1");
    // Trusting some other proxy network changes nothing for this peer.
    let mut o = every_header_listed();
    o.ingest.trusted_proxies = networks("192.0.2.0/24");
    assert_eq!(recorded_ip(&pool, o, FORGED).await, "127.0.0.1");
}

#[tokio::test]
async fn a_trusted_proxys_chain_yields_the_rightmost_untrusted_address() {
    let (pool, _) = fresh_db().await;
    // The client forged "6.6.6.6"; the proxy appended what it saw; a private hop follows.
    let chain = [
        ("x-forwarded-for", "6.6.6.6, 81.2.69.160, 10.1.2.3"),
        ("cf-connecting-ip", "89.160.20.112"),
    ];
    assert_eq!(
        recorded_ip(&pool, Opts::default(), &chain).await,
        "81.2.69.160"
    );
}

#[tokio::test]
async fn cdn_headers_count_only_from_the_cdn_or_when_enabled() {
    let (pool, _) = fresh_db().await;
    let h = [
        ("x-forwarded-for", "81.2.69.160"),
        ("cf-connecting-ip", "89.160.20.112"),
    ];
    // Listed among the proxy headers, but the peer is no CDN: ignored.
    assert_eq!(
        recorded_ip(&pool, every_header_listed(), &h).await,
        "81.2.69.160"
    );
    // The peer is in the configured CDN ranges.
    let mut o = Opts::default();
    o.ingest.cdn_proxies = networks("127.0.0.0/8");
    assert_eq!(recorded_ip(&pool, o, &h).await, "89.160.20.112");
    // Enabled for every trusted proxy.
    let mut o = Opts::default();
    o.ingest.trust_cf_connecting_ip = true;
    assert_eq!(recorded_ip(&pool, o, &h).await, "89.160.20.112");
}
