//! Reads fetch bounded slices: the top-N tables and the page list send Postgres only the ranks
//! they show however many distinct keys a service has (measured on the wire, on the raw path and
//! the rollup path alike), and a long session's hits are paged.

mod common;
mod dashboard_support;

use chrono::{Duration, Utc};
use dashboard_support::owner_with_service;
use stats::dimensions::{LOCATION, REFERRER};
use stats::window;
use stats::{rollup, sessions as srows, Source};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use uuid::Uuid;

/// Forwards a Unix socket to Postgres and counts the bytes the server sends: what a query
/// really transfers, whatever the caller keeps of it.
struct WireMeter {
    cfg: tokio_postgres::Config,
    from_server: Arc<AtomicU64>,
    dir: std::path::PathBuf,
}

impl WireMeter {
    fn start(cfg: &tokio_postgres::Config) -> WireMeter {
        use tokio_postgres::config::Host;
        let Some(Host::Unix(dir)) = cfg.get_hosts().first() else {
            panic!("the test cluster listens on a Unix socket");
        };
        let port = cfg.get_ports().first().copied().unwrap_or(5432);
        let target = dir.join(format!(".s.PGSQL.{port}"));
        let mine = std::env::temp_dir().join(format!(
            "shynet-meter-{}-{}",
            std::process::id(),
            Uuid::new_v4().simple()
        ));
        std::fs::create_dir_all(&mine).unwrap();
        let listener =
            tokio::net::UnixListener::bind(mine.join(format!(".s.PGSQL.{port}"))).unwrap();
        let from_server = Arc::new(AtomicU64::new(0));
        let counter = from_server.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let server = tokio::net::UnixStream::connect(&target).await.unwrap();
                let counter = counter.clone();
                tokio::spawn(async move {
                    let (mut cr, mut cw) = client.into_split();
                    let (mut sr, mut sw) = server.into_split();
                    let up = tokio::io::copy(&mut cr, &mut sw);
                    let down = async {
                        let mut buf = vec![0u8; 64 * 1024];
                        loop {
                            use tokio::io::{AsyncReadExt, AsyncWriteExt};
                            let n = sr.read(&mut buf).await?;
                            if n == 0 {
                                return Ok::<_, std::io::Error>(());
                            }
                            counter.fetch_add(n as u64, Ordering::SeqCst);
                            cw.write_all(&buf[..n]).await?;
                        }
                    };
                    let _ = tokio::join!(up, down);
                });
            }
        });
        let mut metered = tokio_postgres::Config::new();
        metered.host_path(&mine).port(port);
        if let Some(user) = cfg.get_user() {
            metered.user(user);
        }
        if let Some(db) = cfg.get_dbname() {
            metered.dbname(db);
        }
        WireMeter {
            cfg: metered,
            from_server,
            dir: mine,
        }
    }

    async fn client(&self) -> tokio_postgres::Client {
        let (client, conn) = self.cfg.connect(tokio_postgres::NoTls).await.unwrap();
        tokio::spawn(conn);
        client
    }

    /// Bytes the server sent while `f` ran.
    async fn measure<T>(&self, f: impl std::future::Future<Output = T>) -> (T, u64) {
        let before = self.from_server.load(Ordering::SeqCst);
        let out = f.await;
        (out, self.from_server.load(Ordering::SeqCst) - before)
    }
}

impl Drop for WireMeter {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Distinct pages a service receives in the top-N test.
const DISTINCT_PAGES: i64 = 100_000;

/// What a slice of at most 300 short rows per table may cost on the wire, with room for the
/// protocol; every key of [`DISTINCT_PAGES`] would be several megabytes.
const WIRE_BUDGET: u64 = 256 * 1024;

#[tokio::test]
async fn top_tables_and_the_page_list_fetch_only_their_slice() {
    let (d, owner, svc, sid) = owner_with_service("Sliced").await;
    let c = d.pool.get().await.unwrap();
    // One hit for each of 100,000 pages two days ago, three popular pages, and a few more
    // referrers: set-based, so the fixture costs one statement per table.
    let base = Utc::now() - Duration::days(2);
    c.execute(
        "INSERT INTO hits (session_id, service_id, initial, start_time, last_seen, tracker,
                           location, referrer)
         SELECT $1, $2, i % 1000 = 0, $3::timestamptz + i * interval '50 milliseconds',
                $3::timestamptz + i * interval '50 milliseconds', 'JS',
                'https://example.com/p/' || lpad(i::text, 6, '0'),
                CASE WHEN i % 1000 = 0 THEN 'https://spam.example/' || i ELSE '' END
         FROM generate_series(0, $4::int8 - 1) AS i",
        &[&sid, &svc, &base, &DISTINCT_PAGES],
    )
    .await
    .unwrap();
    c.execute(
        "INSERT INTO hits (session_id, service_id, initial, start_time, last_seen, tracker,
                           location, referrer)
         SELECT $1, $2, false, $3::timestamptz + i * interval '1 second', $3::timestamptz + i * interval '1 second', 'JS',
                CASE WHEN i < 5 THEN 'https://example.com/b' WHEN i < 10 THEN 'https://example.com/a'
                     ELSE 'https://example.com/c' END, ''
         FROM generate_series(0, 12) AS i",
        &[&sid, &svc, &base],
    )
    .await
    .unwrap();
    // Rows written outside the writer: let the rollup job read those hours again.
    rollup::rewind(&**c, base).await.unwrap();
    let w = window::from_dates(None, None, chrono_tz::UTC, Utc::now()).unwrap();
    let check = |t: &stats::Tables| {
        let keys: Vec<&str> = t.rows(&LOCATION).iter().map(|r| r.key.as_str()).collect();
        assert_eq!(t.rows(&LOCATION).len(), stats::RESULTS_LIMIT);
        // By count, then key in byte order (the fixture's two pages have one hit each).
        assert_eq!(
            &keys[..6],
            [
                "https://example.com/a",
                "https://example.com/b",
                "https://example.com/c",
                "https://example.com/",
                "https://example.com/about",
                "https://example.com/p/000000"
            ]
        );
        assert_eq!(keys[299], "https://example.com/p/000294");
        // 100 spam entries and the session's first: all counted, the spam ones hidden.
        assert_eq!(t.entry_count, 101);
    };

    let meter = WireMeter::start(&d.cfg);
    let mc = meter.client().await;
    let hide = stats::referrer::compile_lenient("https://spam");
    for source in [Source::Raw, Source::Auto] {
        let (t, bytes) = meter
            .measure(stats::tables_with(&mc, svc, &w, hide.as_ref(), source))
            .await;
        let t = t.unwrap();
        check(&t);
        assert_eq!(t.rows(&REFERRER).len(), 1, "{:?}", t.rows(&REFERRER));
        assert!(
            bytes < WIRE_BUDGET,
            "{source:?}: {bytes} bytes for the tables"
        );
    }
    // The rollup path (hours closed two days ago) ranks exactly like the raw path.
    {
        let mut rc = d.pool.get().await.unwrap();
        rollup::catch_up(&mut rc, 1800.0, 24 * 7, |_| {})
            .await
            .unwrap();
    }
    let (auto, bytes) = meter
        .measure(stats::tables_with(&mc, svc, &w, None, Source::Auto))
        .await;
    let auto = auto.unwrap();
    assert!(bytes < WIRE_BUDGET, "rollups: {bytes} bytes for the tables");
    let raw = stats::tables_with(&mc, svc, &w, None, Source::Raw)
        .await
        .unwrap();
    check(&auto);
    assert_eq!(auto, raw);
    assert_eq!(auto.rows(&REFERRER).len(), 101);

    // The page list: a page past the middle, and one past the end still knows the total.
    let (page, bytes) = meter
        .measure(srows::locations_page(&mc, svc, &w, 99_900, 300))
        .await;
    let (rows, total) = page.unwrap();
    assert!(bytes < WIRE_BUDGET, "page list: {bytes} bytes");
    // 100,000 pages, three popular ones and the fixture's two.
    assert_eq!(total, DISTINCT_PAGES + 5);
    assert_eq!(rows.len(), 105);
    assert_eq!(rows.last().unwrap().key, "https://example.com/p/099999");
    let (rows, total) = srows::locations_page(&mc, svc, &w, 1_000_000, 300)
        .await
        .unwrap();
    assert_eq!((rows.len() as i64, total), (0, DISTINCT_PAGES + 5));

    // Over HTTP: the service page shows 300 pages and links to the full list.
    let r = d.get(&owner, &format!("/dashboard/service/{svc}/")).await;
    assert_eq!(r.status(), 200);
    let body = r.text().await.unwrap();
    // 295 in the pages table, and the 100 that were entry pages in the entry pages table; each
    // row names its URL three times: its text, its filter link's title and its outbound link.
    assert_eq!(
        body.matches("https://example.com/p/").count() / 3,
        295 + 100
    );
    assert!(body.contains("View more locations"));
}

#[tokio::test]
async fn a_long_session_pages_its_hits() {
    let (d, owner, svc, sid) = owner_with_service("Sliced").await;
    let c = d.pool.get().await.unwrap();
    // 148 more hits, older than the two the fixture made: 150 in all.
    c.execute(
        "INSERT INTO hits (session_id, service_id, initial, start_time, last_seen, tracker,
                           location, referrer)
         SELECT $1, $2, false, now() - interval '2 hours' - i * interval '1 second',
                now() - interval '2 hours' - i * interval '1 second', 'JS',
                'https://example.com/old/' || lpad(i::text, 3, '0'), ''
         FROM generate_series(1, 148) AS i",
        &[&sid, &svc],
    )
    .await
    .unwrap();
    let path = format!("/dashboard/service/{svc}/sessions/{sid}/");
    let rows = |body: &str| body.matches("<tr><td>").count();
    let r = d.get(&owner, &path).await;
    assert_eq!(r.status(), 200);
    let first = r.text().await.unwrap();
    assert_eq!(rows(&first), 100);
    assert!(first.contains("150 hits in this session"));
    assert!(first.contains("https://example.com/about"), "newest first");
    assert!(first.contains("?page&#x3D;2"), "a link to the next page");
    let second = d
        .get(&owner, &format!("{path}?page=2"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(rows(&second), 50);
    assert!(
        second.contains("https://example.com/old/148"),
        "the oldest hit last"
    );
    assert!(!second.contains("https://example.com/about"));
    assert!(second.contains("?page&#x3D;1"), "a link back");
    // Past the end: an empty page with the way back; nonsense: 400 with the reason.
    let third = d.get(&owner, &format!("{path}?page=3")).await;
    assert_eq!(third.status(), 200);
    assert_eq!(rows(&third.text().await.unwrap()), 0);
    for bad in ["0", "-1", "abc", "99999999999"] {
        let r = d.get(&owner, &format!("{path}?page={bad}")).await;
        assert_eq!(r.status(), 400, "page={bad}");
        assert!(r.text().await.unwrap().contains("positive whole number"));
    }
}

#[tokio::test]
async fn the_api_pages_through_many_services() {
    let (d, owner, _, _) = owner_with_service("Sliced").await;
    let c = d.pool.get().await.unwrap();
    c.execute(
        "INSERT INTO services (id, name, owner_id)
         SELECT gen_random_uuid(), 'S' || lpad(i::text, 3, '0'), $1 FROM generate_series(1, 60) AS i",
        &[&owner.id],
    )
    .await
    .unwrap();
    let token = format!("Token {}", owner.api);
    let mut seen = std::collections::HashSet::new();
    for (query, n) in [("", 50), ("?page=2", 11), ("?page=3", 0)] {
        let r = d.api(Some(&token), query).await;
        assert_eq!(r.status(), 200, "{query}");
        let v: serde_json::Value = r.json().await.unwrap();
        let list = v["services"].as_array().unwrap();
        assert_eq!(list.len(), n, "{query}");
        assert_eq!(v["pages"], 2);
        for s in list {
            assert!(
                seen.insert(s["uuid"].as_str().unwrap().to_owned()),
                "{query}"
            );
        }
    }
    assert_eq!(seen.len(), 61, "every service on exactly one page");
    for bad in ["0", "-1", "x", "10000000"] {
        let r = d.api(Some(&token), &format!("?page={bad}")).await;
        assert_eq!(r.status(), 400, "page={bad}");
        let v: serde_json::Value = r.json().await.unwrap();
        assert!(v["error"].as_str().unwrap().contains("page"));
    }
}

#[tokio::test]
async fn the_admin_page_pages_users_and_services() {
    let d = dashboard_support::spawn(Default::default()).await;
    let admin = d.user("admin@example.com", true).await;
    let c = d.pool.get().await.unwrap();
    c.execute(
        "INSERT INTO users (email, password_hash)
         SELECT 'u' || lpad(i::text, 3, '0') || '@bulk.example', 'x'
         FROM generate_series(1, 150) AS i",
        &[],
    )
    .await
    .unwrap();
    let bulk = |body: &str| body.matches("@bulk.example</td>").count();
    let first = d.get(&admin, "/admin/").await.text().await.unwrap();
    // By address: the admin first, then u001 to u099.
    assert_eq!(bulk(&first), 99);
    assert!(first.contains("?page&#x3D;2"));
    let second = d.get(&admin, "/admin/?page=2").await.text().await.unwrap();
    assert_eq!(bulk(&second), 51);
    assert!(second.contains("u150@bulk.example"));
    assert_eq!(d.get(&admin, "/admin/?page=0").await.status(), 400);
}
