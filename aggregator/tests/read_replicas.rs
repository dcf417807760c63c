//! Read replicas against a real streaming standby (`pg_basebackup -R` of the test's own
//! cluster): figures come from the standby while it keeps up; once its replay is paused and it
//! falls behind the bound it is skipped and the primary answers; resumed, it is used again.
//! Services, accounts and anything just written are always read from the primary.
//!
//! Two apps share the database: `patient` tolerates an hour of lag (so while replay is paused
//! it keeps answering from the standby, which proves where its figures come from), `strict`
//! tolerates one second (so it falls back to the primary).

mod common;
mod dashboard_support;

use aggregator::pools::Pools;
use aggregator::replicas::ReplicaSet;
use dashboard_support::{Dash, DashOpts, Who};
use deadpool_postgres::Pool;
use serde_json::Value;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// How long a condition may take to come true before the test fails.
const WAIT: Duration = Duration::from_secs(90);
/// A password in the replica URL: it must never show in health output or metrics.
const SECRET: &str = "sekret-pw-123";

async fn start(pool: &Pool, cfg: &tokio_postgres::Config, url: &str, max_lag: u64) -> Dash {
    let replicas = ReplicaSet::open(&[url.to_owned()], 2, Duration::from_secs(max_lag)).unwrap();
    let pools = Pools::from(pool.clone()).with_replicas(replicas);
    let opts = DashOpts {
        ingest: common::Opts::default().ingest,
        ..Default::default()
    };
    let mut d = dashboard_support::spawn_with(pool.clone(), cfg.clone(), pools, opts).await;
    d.app
        .serve_metrics("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    d
}

/// Retries `f` until it returns `Some`, failing after [`WAIT`] with `what`.
async fn wait_for<T, F, Fut>(what: &str, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn health(d: &Dash) -> Value {
    let r = d
        .http
        .get(d.url("/healthz?format=json"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body = r.text().await.unwrap();
    assert!(!body.contains(SECRET), "{body}");
    serde_json::from_str(&body).unwrap()
}

/// The replica's `status` in `/healthz?format=json` ("in_use" or "skipped") and its reason.
async fn replica_state(d: &Dash) -> (String, Value) {
    let h = health(d).await;
    let r = &h["read_replicas"]["replicas"][0];
    (r["status"].as_str().unwrap_or("").to_owned(), r.clone())
}

async fn wait_state(d: &Dash, want: &str) -> Value {
    wait_for(&format!("replica {want}"), || async {
        let (s, r) = replica_state(d).await;
        (s == want).then_some(r)
    })
    .await
}

/// The service's hit count through the JSON API.
async fn api_hits(d: &Dash, who: &Who, svc: Uuid) -> i64 {
    let r = d
        .api(Some(&format!("Token {}", who.api)), &format!("?uuid={svc}"))
        .await;
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    v["services"][0]["stats"]["hit_count"].as_i64().unwrap()
}

async fn cli_hits(primary: &Pool, url: &str, max_lag: u64, svc: Uuid) -> i64 {
    let reads = aggregator::replicas::pool_for_cli(
        &[url.to_owned()],
        Duration::from_secs(max_lag),
        primary,
    )
    .await
    .unwrap();
    let v = aggregator::cli::stats_from(primary, &reads, svc, None, None, chrono_tz::UTC, 5000)
        .await
        .unwrap();
    v["stats"]["hit_count"].as_i64().unwrap()
}

/// `shynet stats` (the binary) with `--read-database-url`: its hit count; its log never shows
/// the replica's password.
async fn binary_hits(primary: &str, replica: &str, max_lag: u64, svc: Uuid) -> i64 {
    let args: Vec<String> = vec![
        "stats".into(),
        "--service".into(),
        svc.to_string(),
        "--database-url".into(),
        primary.into(),
        "--read-database-url".into(),
        replica.into(),
        "--replica-max-lag".into(),
        max_lag.to_string(),
    ];
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_shynet"))
            .args(&args)
            .env("SHYNET_LOG", "info")
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(!stderr.contains(SECRET), "{stderr}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v["stats"]["hit_count"].as_i64().unwrap()
}

/// A page view through the real ingest route; waits until the writer committed it.
async fn beacon(d: &Dash, svc: Uuid, token: &str) {
    let r = d
        .http
        .post(d.url(&format!("/ingress/{svc}/script.js")))
        .header("user-agent", common::CHROME_UA)
        .header("x-forwarded-for", "81.2.69.160")
        .header("content-type", "text/plain;charset=UTF-8")
        .body(common::page(token, "https://example.com/replicated").to_string())
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    wait_for("the beacon to be written", || async {
        let m = d.app.metrics.snapshot();
        (m.written_beacons >= m.accepted).then_some(())
    })
    .await;
}

async fn metrics_text(d: &Dash) -> String {
    // The admin listener's /metrics (the public listener has none).
    let addr = d.app.metrics_address().expect("metrics listener started");
    let r = d
        .http
        .get(format!("http://{addr}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.text().await.unwrap()
}

async fn standby_sql(standby: &Pool, sql: &str) {
    standby
        .get()
        .await
        .unwrap()
        .batch_execute(sql)
        .await
        .unwrap();
}

#[tokio::test]
async fn figures_come_from_a_fit_standby_and_from_the_primary_when_it_lags() {
    let (pool, cfg) = common::fresh_db().await;
    let standby = tokio::task::spawn_blocking(aggregator::testkit::start_standby)
        .await
        .unwrap()
        .unwrap();
    let dbname = cfg.get_dbname().unwrap().to_owned();
    let sb = standby.pg_config(&dbname);
    let url = format!(
        "host={} port=5432 user=shynet dbname={dbname} password={SECRET}",
        standby.dirs.socket_dir.display()
    );
    let standby_pool = aggregator::db::make_pool(sb, 1).unwrap();
    wait_for("the standby to accept connections", || async {
        let c = standby_pool.get().await.ok()?;
        let r = c.query_one("SELECT pg_is_in_recovery()", &[]).await.ok()?;
        r.get::<_, bool>(0).then_some(())
    })
    .await;

    let patient = start(&pool, &cfg, &url, 3600).await;
    let strict = start(&pool, &cfg, &url, 1).await;
    let owner = patient.user("owner@example.com", false).await;
    let (svc, _) = patient.service(&owner, None, "Replicated").await;
    // Rows written through the app's ingest route reach the figures read via the standby.
    beacon(&patient, svc, "first-view").await;
    let r = wait_state(&strict, "in_use").await;
    assert!(r["lag_seconds"].as_f64().unwrap() <= 1.0, "{r}");
    let label = r["host"].as_str().unwrap().to_owned();
    assert!(label.ends_with(":5432") && !label.contains("user"), "{r}");
    wait_state(&patient, "in_use").await;
    wait_for("the standby to replay the beacon", || async {
        (api_hits(&patient, &owner, svc).await == 3).then_some(())
    })
    .await;
    assert_eq!(api_hits(&strict, &owner, svc).await, 3);
    assert_eq!(cli_hits(&pool, &url, 3600, svc).await, 3);
    // In use, as the metrics say too (waited for: a check may land between two states).
    let in_use = format!("shynet_replica_in_use{{replica=\"{label}\"}} 1");
    let metrics = wait_for("the in-use series", || async {
        let m = metrics_text(&strict).await;
        m.contains(&in_use).then_some(m)
    })
    .await;
    assert!(
        metrics.contains(&format!(
            "shynet_replica_lag_seconds{{replica=\"{label}\"}}"
        )),
        "{metrics}"
    );
    assert!(!metrics.contains(SECRET));

    // Replay paused: new rows reach the primary only.
    standby_sql(&standby_pool, "SELECT pg_wal_replay_pause()").await;
    beacon(&patient, svc, "second-view").await;
    // The strict app skips the standby once it is more than a second behind.
    let r = wait_state(&strict, "skipped").await;
    assert_eq!(r["reason"], "lagging", "{r}");
    assert!(r["lag_seconds"].as_f64().unwrap() > 1.0, "{r}");
    assert_eq!(
        api_hits(&strict, &owner, svc).await,
        4,
        "read from the primary"
    );
    assert_eq!(cli_hits(&pool, &url, 1, svc).await, 4);
    let primary_url = format!(
        "host={} port=5432 user=shynet dbname={dbname}",
        aggregator::testkit::cluster()
            .unwrap()
            .dirs
            .socket_dir
            .display()
    );
    assert_eq!(binary_hits(&primary_url, &url, 1, svc).await, 4);
    assert_eq!(binary_hits(&primary_url, &url, 3600, svc).await, 3);
    let page = strict
        .get(&owner, &format!("/dashboard/service/{svc}/"))
        .await;
    assert_eq!(page.status(), 200);
    // The patient app still uses the paused standby: its figures are the standby's.
    assert_eq!(replica_state(&patient).await.0, "in_use");
    assert_eq!(
        api_hits(&patient, &owner, svc).await,
        3,
        "read from the standby"
    );
    assert_eq!(cli_hits(&pool, &url, 3600, svc).await, 3);
    // Read after write: a service made now on the primary has its page, even on the app that
    // reads figures from the paused standby (the service itself is read from the primary).
    let (fresh, _) = patient.service(&owner, None, "Just made").await;
    let page = patient
        .get(&owner, &format!("/dashboard/service/{fresh}/"))
        .await;
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("Just made"));
    let metrics = metrics_text(&strict).await;
    assert!(
        metrics.contains(&format!("shynet_replica_in_use{{replica=\"{label}\"}} 0")),
        "{metrics}"
    );

    // Resumed, the standby catches up and is used again.
    standby_sql(&standby_pool, "SELECT pg_wal_replay_resume()").await;
    wait_state(&strict, "in_use").await;
    wait_for("the patient app to see the standby catch up", || async {
        (api_hits(&patient, &owner, svc).await == 4).then_some(())
    })
    .await;
    assert_eq!(api_hits(&strict, &owner, svc).await, 4);
    patient.app.shutdown().await;
    strict.app.shutdown().await;
}

#[tokio::test]
async fn a_server_that_is_not_a_standby_is_never_used() {
    // The primary itself given as a "replica": it is not in recovery, so it is skipped (its
    // data could differ from the primary's in general, e.g. a promoted former standby).
    let (pool, cfg) = common::fresh_db().await;
    let c = aggregator::testkit::cluster().unwrap();
    let url = format!(
        "host={} port=5432 user=shynet dbname={}",
        c.dirs.socket_dir.display(),
        cfg.get_dbname().unwrap()
    );
    let d = start(&pool, &cfg, &url, 10).await;
    let r = wait_state(&d, "skipped").await;
    assert_eq!(r["reason"], "not_standby", "{r}");
    d.app.shutdown().await;
}
