//! The admin listener's `/metrics` against a real Postgres: the scrape parses as Prometheus'
//! text format (HELP and TYPE before each family's samples, counters ending in `_total`), the
//! series the operations guide alerts on are there, and they move when beacons are accepted,
//! refused and written. The public listener no longer serves `/metrics`.

mod common;

use aggregator::config::IngestArgs;
use common::{page, spawn_app, wait_for_lock_waiter, Opts, Svc, CHROME_UA};
use std::collections::{BTreeMap, HashMap};

/// One scrape: `name{labels}` → value, after checking the format line by line.
fn parse(text: &str) -> BTreeMap<String, f64> {
    let mut types: HashMap<String, String> = HashMap::new();
    let mut helped: Vec<String> = Vec::new();
    let mut samples = BTreeMap::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, help) = rest.split_once(' ').expect("HELP has a text");
            assert!(!help.trim().is_empty(), "{line}");
            assert!(!helped.contains(&name.to_owned()), "HELP twice: {name}");
            helped.push(name.to_owned());
            continue;
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').expect("TYPE has a kind");
            assert!(
                helped.contains(&name.to_owned()),
                "TYPE before HELP: {name}"
            );
            assert!(matches!(kind, "counter" | "gauge"), "{line}");
            assert!(
                types.insert(name.to_owned(), kind.to_owned()).is_none(),
                "TYPE twice: {name}"
            );
            continue;
        }
        assert!(!line.starts_with('#') && !line.is_empty(), "{line:?}");
        let (series, value) = line.rsplit_once(' ').expect("sample has a value");
        let name = series.split('{').next().unwrap();
        assert!(name.starts_with("shynet_"), "{name}");
        let kind = types
            .get(name)
            .unwrap_or_else(|| panic!("no TYPE for {name}"));
        assert_eq!(
            kind == "counter",
            name.ends_with("_total"),
            "counters, and only counters, end in _total: {name}"
        );
        let v: f64 = match value {
            "NaN" => f64::NAN,
            v => v
                .parse()
                .unwrap_or_else(|_| panic!("bad value in {line:?}")),
        };
        assert!(
            samples.insert(series.to_owned(), v).is_none(),
            "twice: {series}"
        );
    }
    samples
}

async fn scrape(http: &reqwest::Client, addr: std::net::SocketAddr) -> BTreeMap<String, f64> {
    let r = http
        .get(format!("http://{addr}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let ct = r.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(ct.starts_with("text/plain; version=0.0.4"), "{ct}");
    parse(&r.text().await.unwrap())
}

fn get(m: &BTreeMap<String, f64>, series: &str) -> f64 {
    *m.get(series)
        .unwrap_or_else(|| panic!("{series} missing from {:#?}", m.keys()))
}

#[tokio::test]
async fn scrape_parses_and_its_series_move_with_ingest() {
    let mut app = spawn_app(Opts {
        ingest: IngestArgs {
            ip_headers: "x-forwarded-for".into(),
            queue_capacity: 1234,
            ..IngestArgs::default()
        },
        ..Opts::default()
    })
    .await;
    let addr = app
        .app
        .serve_metrics("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    assert_ne!(addr, app.app.address(), "a listener of its own");
    let svc = app.service(Svc::default()).await;

    let before = scrape(&app.http, addr).await;
    assert_eq!(get(&before, "shynet_queue_capacity"), 1234.0);
    assert_eq!(get(&before, "shynet_queue_depth"), 0.0);
    assert_eq!(get(&before, "shynet_database_up"), 1.0);
    for pool in ["ingest", "edge", "dashboard", "health"] {
        for g in ["max_size", "size", "available", "waiting"] {
            get(&before, &format!("shynet_pool_{g}{{pool=\"{pool}\"}}"));
        }
    }
    assert!(get(&before, "shynet_pool_max_size{pool=\"health\"}") >= 1.0);
    get(&before, "shynet_rollup_lag_seconds");
    get(&before, "shynet_rollup_dirty_hours");
    get(&before, "shynet_notify_mail_failures_total");
    get(&before, "shynet_memory_bytes{kind=\"anonymous\"}");
    let accepted = "shynet_ingest_requests_total{route=\"script\",outcome=\"accepted\"}";
    let refused = "shynet_ingest_requests_total{route=\"script\",outcome=\"refused\"}";
    let pixel_refused = "shynet_ingest_requests_total{route=\"pixel\",outcome=\"refused\"}";
    assert_eq!(get(&before, accepted), 0.0);

    // Three page views, one beacon for a service that does not exist, one malformed pixel path.
    for i in 0..3 {
        let r = app
            .js(
                svc,
                "81.2.69.160",
                CHROME_UA,
                page(&format!("m{i}"), &format!("https://example.com/{i}")),
            )
            .await;
        assert!(r.status().is_success(), "{}", r.status());
    }
    let unknown = uuid::Uuid::new_v4();
    let r = app
        .js(
            unknown,
            "81.2.69.160",
            CHROME_UA,
            page("x", "https://example.com/"),
        )
        .await;
    assert_eq!(r.status(), 404);
    let r = app
        .http
        .get(app.url("/ingress/not-a-uuid/pixel.gif"))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_client_error());
    app.settle().await;

    let after = scrape(&app.http, addr).await;
    assert_eq!(get(&after, accepted), 3.0);
    assert_eq!(get(&after, refused), 1.0);
    assert_eq!(get(&after, pixel_refused), 1.0);
    assert_eq!(get(&after, "shynet_ingest_accepted_total"), 3.0);
    assert_eq!(get(&after, "shynet_ingest_rejected_bad_input_total"), 2.0);
    assert_eq!(get(&after, "shynet_writer_rows_total{table=\"hits\"}"), 3.0);
    assert_eq!(get(&after, "shynet_ingest_written_beacons_total"), 3.0);
    let batches = get(&after, "shynet_writer_batches_total");
    assert!((1.0..=3.0).contains(&batches), "{batches}");
    assert!(get(&after, "shynet_writer_last_batch_duration_seconds") > 0.0);
    assert_eq!(get(&after, "shynet_writer_errors_total"), 0.0);
    assert_eq!(
        get(
            &after,
            "shynet_ingest_requests_total{route=\"script\",outcome=\"shed\"}"
        ),
        0.0
    );

    // Only /metrics, only on this listener.
    let other = app
        .http
        .get(format!("http://{addr}/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 404);
    let public = app.http.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(
        public.status(),
        404,
        "the public listener does not serve /metrics"
    );
}

#[tokio::test]
async fn rollup_lag_reads_the_watermark() {
    // No app, so no maintenance pass moves the watermark under the test.
    let (pool, _) = common::fresh_db().await;
    let c = pool.get().await.unwrap();
    let lag = |c| async move { stats::rollup_lag::rollup_lag(c, 1800.0).await.unwrap() };
    let fresh = lag(&**c).await;
    assert_eq!(fresh.behind_seconds, None, "no pass yet");
    assert_eq!(fresh.dirty_hours, 0);
    // A watermark three days old: about three days less the session timeout and margin behind.
    c.execute(
        "UPDATE rollup_state SET watermark = date_trunc('hour', now() - interval '3 days')",
        &[],
    )
    .await
    .unwrap();
    let svc = uuid::Uuid::new_v4();
    c.execute(
        "INSERT INTO rollup_dirty (service_id, hour)
         VALUES ($1, date_trunc('hour', now() - interval '5 days')),
                ($1, date_trunc('hour', now() - interval '6 days'))",
        &[&svc],
    )
    .await
    .unwrap();
    let behind = lag(&**c).await;
    let secs = behind.behind_seconds.unwrap();
    assert!((2.0 * 86_400.0..=3.0 * 86_400.0).contains(&secs), "{secs}");
    assert_eq!(secs % 3600.0, 0.0, "whole hours");
    assert_eq!(behind.dirty_hours, 2);
    // Caught up (or ahead): zero, never negative.
    c.execute(
        "UPDATE rollup_state SET watermark = date_trunc('hour', now() + interval '1 hour')",
        &[],
    )
    .await
    .unwrap();
    assert_eq!(lag(&**c).await.behind_seconds, Some(0.0));
}

#[tokio::test]
async fn a_stalled_writer_shows_as_a_full_queue_and_shed_pixels() {
    let mut o = Opts::default();
    o.ingest.queue_capacity = 2;
    o.ingest.batch_size = 1;
    let mut app = spawn_app(o).await;
    let addr = app
        .app
        .serve_metrics("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let svc = app.service(Svc::default()).await;
    // Stall the writer: hold an exclusive lock on hits.
    let mut locker = app.pool.get().await.unwrap();
    let tx = locker.transaction().await.unwrap();
    tx.batch_execute("LOCK TABLE hits IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();
    let pixel = |i: usize| {
        let app = &app;
        async move {
            app.pixel(
                svc,
                &format!("81.2.69.{}", i + 1),
                CHROME_UA,
                "https://e.com/",
            )
            .await
            .status()
            .as_u16()
        }
    };
    assert_eq!(pixel(0).await, 200);
    // The writer took the first beacon and waits on the lock: the queue only fills now.
    wait_for_lock_waiter(&app.pool, "hits").await;
    let statuses = [
        pixel(1).await,
        pixel(2).await,
        pixel(3).await,
        pixel(4).await,
    ];
    assert_eq!(statuses, [200, 200, 503, 503]);
    let m = scrape(&app.http, addr).await;
    assert_eq!(get(&m, "shynet_queue_depth"), 2.0);
    assert_eq!(get(&m, "shynet_queue_capacity"), 2.0);
    let pixels = |outcome: &str| {
        get(
            &m,
            &format!("shynet_ingest_requests_total{{route=\"pixel\",outcome=\"{outcome}\"}}"),
        )
    };
    assert_eq!((pixels("accepted"), pixels("shed")), (3.0, 2.0));
    assert_eq!(get(&m, "shynet_ingest_rejected_overload_total"), 2.0);
    // The writer is waiting on a connection it holds: the ingest pool shows it in use.
    assert!(get(&m, "shynet_pool_size{pool=\"ingest\"}") >= 1.0);

    tx.rollback().await.unwrap();
    drop(locker);
    app.settle().await;
    let m = scrape(&app.http, addr).await;
    assert_eq!(get(&m, "shynet_queue_depth"), 0.0);
    assert_eq!(get(&m, "shynet_writer_rows_total{table=\"hits\"}"), 3.0);
}
