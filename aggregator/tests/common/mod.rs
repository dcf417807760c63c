//! Test harness: one throwaway Postgres cluster per test binary (a real server from the system
//! binaries), a fresh database per test, and the real application on an ephemeral port.
#![allow(dead_code)]

mod locks;
mod rows;
pub mod traffic;
// Each test binary uses some of these.
#[allow(unused_imports)]
pub use locks::{poll_count, wait_for_lock_waiter, wait_for_waiting_statement, LOCK_WAITERS};
#[allow(unused_imports)]
pub use rows::{one_page_session, owned_service, owner_with_services};

use aggregator::config::{IngestArgs, TrackingArgs};
use aggregator::geo::GeoDb;
use aggregator::startup::{Application, ServeSettings};
use deadpool_postgres::Pool;
use std::path::PathBuf;
use std::time::Duration;
use uuid::Uuid;

/// A fresh, migrated database.
pub async fn fresh_db() -> (Pool, tokio_postgres::Config) {
    aggregator::testkit::fresh_db().await.unwrap()
}

/// Paths of the committed GeoIP test databases.
pub fn test_geo() -> GeoDb {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/geoip");
    let (db, warnings) = GeoDb::open(
        &[dir.join("GeoIP2-City-Test.mmdb")],
        &[dir.join("GeoLite2-ASN-Test.mmdb")],
    );
    assert!(warnings.is_empty(), "{warnings:?}");
    db
}

/// Knobs for a test app.
#[derive(Clone)]
pub struct Opts {
    pub tracking: TrackingArgs,
    pub ingest: IngestArgs,
}

impl Default for Opts {
    fn default() -> Self {
        Opts {
            tracking: TrackingArgs::default(),
            ingest: IngestArgs {
                ip_headers: "x-forwarded-for".into(),
                ..IngestArgs::default()
            },
        }
    }
}

/// A running app with its own database.
pub struct TestApp {
    pub app: Application,
    pub pool: Pool,
    pub base: String,
    pub http: reqwest::Client,
}

pub async fn spawn_app(opts: Opts) -> TestApp {
    let (pool, _) = fresh_db().await;
    spawn_app_on(pool, opts).await
}

pub async fn spawn_app_on(pool: Pool, opts: Opts) -> TestApp {
    spawn_app_with_pools(pool.clone(), pool, opts).await
}

/// The app on `pools` (one per kind of work, a pooler or replicas in between), while the
/// test itself reads and writes through `pool`.
pub async fn spawn_app_with_pools(
    pool: Pool,
    pools: impl Into<aggregator::pools::Pools>,
    opts: Opts,
) -> TestApp {
    let app = Application::start(settings(opts.tracking, opts.ingest), pools, test_geo())
        .await
        .unwrap();
    let base = format!("http://{}", app.address());
    TestApp {
        app,
        pool,
        base,
        http: http_client(),
    }
}

/// Serve settings on an ephemeral loopback port, display zone UTC.
pub fn settings(tracking: TrackingArgs, ingest: IngestArgs) -> ServeSettings {
    ServeSettings {
        listen: "127.0.0.1:0".parse().unwrap(),
        tracking,
        ingest,
        time_zone: chrono_tz::UTC,
    }
}

/// An HTTP client that shows redirects instead of following them.
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Service settings for [`TestApp::service`].
pub struct Svc<'a> {
    pub origins: &'a str,
    pub respect_dnt: bool,
    pub ignore_robots: bool,
    pub collect_ips: bool,
    pub ignored_ips: &'a str,
    pub script_inject: &'a str,
    pub status: &'a str,
}

impl Default for Svc<'_> {
    fn default() -> Self {
        Svc {
            origins: "*",
            respect_dnt: true,
            ignore_robots: false,
            collect_ips: false,
            ignored_ips: "",
            script_inject: "",
            status: "AC",
        }
    }
}

pub const CHROME_UA: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36";
pub const IPHONE_UA: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1";
pub const GOOGLEBOT_UA: &str =
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";

impl TestApp {
    /// Creates an owner and a service with the given settings.
    pub async fn service(&self, s: Svc<'_>) -> Uuid {
        let c = self.pool.get().await.unwrap();
        let email = format!("owner-{}@example.com", Uuid::new_v4());
        let uid: i64 = c
            .query_one(
                "INSERT INTO users (email, password_hash) VALUES ($1, 'x') RETURNING id",
                &[&email],
            )
            .await
            .unwrap()
            .get(0);
        let id = Uuid::new_v4();
        c.execute(
            "INSERT INTO services (id, name, owner_id, origins, respect_dnt, ignore_robots,
                 collect_ips, ignored_ips, script_inject, status)
             VALUES ($1, 'Test', $2, $3, $4, $5, $6, $7, $8, $9)",
            &[
                &id,
                &uid,
                &s.origins,
                &s.respect_dnt,
                &s.ignore_robots,
                &s.collect_ips,
                &s.ignored_ips,
                &s.script_inject,
                &s.status,
            ],
        )
        .await
        .unwrap();
        id
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// POSTs a JS beacon.
    pub async fn js(
        &self,
        service: Uuid,
        ip: &str,
        ua: &str,
        body: serde_json::Value,
    ) -> reqwest::Response {
        self.post_ingress(service, "script.js", ip, ua, body).await
    }

    /// POSTs `body` to `/ingress/{service}/{route}` as the tracker does (`text/plain`, no
    /// preflight) from `ip` with User-Agent `ua`.
    pub async fn post_ingress(
        &self,
        service: Uuid,
        route: &str,
        ip: &str,
        ua: &str,
        body: serde_json::Value,
    ) -> reqwest::Response {
        self.http
            .post(self.url(&format!("/ingress/{service}/{route}")))
            .header("user-agent", ua)
            .header("x-forwarded-for", ip)
            .header("content-type", "text/plain;charset=UTF-8")
            .body(body.to_string())
            .send()
            .await
            .unwrap()
    }

    /// GETs the pixel.
    pub async fn pixel(&self, service: Uuid, ip: &str, ua: &str, page: &str) -> reqwest::Response {
        self.http
            .get(self.url(&format!("/ingress/{service}/pixel.gif")))
            .header("user-agent", ua)
            .header("x-forwarded-for", ip)
            .header("referer", page)
            .send()
            .await
            .unwrap()
    }

    /// Waits until every accepted beacon has been committed (or rejected by Postgres).
    pub async fn settle(&self) {
        for _ in 0..1000 {
            let m = self.app.metrics.snapshot();
            if m.written_beacons + m.write_rejected >= m.accepted {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("writer did not drain: {:?}", self.app.metrics.snapshot());
    }

    pub async fn count(&self, sql: &str, service: Uuid) -> i64 {
        let c = self.pool.get().await.unwrap();
        c.query_one(sql, &[&service]).await.unwrap().get(0)
    }

    pub async fn hits(&self, service: Uuid) -> i64 {
        self.count("SELECT count(*) FROM hits WHERE service_id = $1", service)
            .await
    }

    pub async fn sessions(&self, service: Uuid) -> i64 {
        self.count(
            "SELECT count(*) FROM sessions WHERE service_id = $1",
            service,
        )
        .await
    }
}

pub fn page(idem: &str, location: &str) -> serde_json::Value {
    serde_json::json!({"idempotency": idem, "referrer": "https://www.google.com/", "location": location, "loadTime": 321})
}
