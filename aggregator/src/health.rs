//! `/healthz`: 200 when Postgres answers, 503 otherwise; `?format=json` adds the ingest
//! counters, queue depth and (on Linux) resident memory split into heap and mapped files. Used by the container health check and Kubernetes readiness probe.
//! `?probe=liveness` answers 200 without asking Postgres: the process and its server respond,
//! so a database outage takes replicas out of rotation (readiness) without restarting them
//! and losing the beacons they still hold.

use crate::metrics::IngestMetrics;
use crate::notify::counters::NotifyMetrics;
use crate::replicas::ReplicaSet;
use crate::writer::IngestQueue;
use deadpool_postgres::Pool;
use std::sync::Arc;
use std::time::Duration;
use warp::http::StatusCode;
use warp::Filter;

/// How long the database check may take.
const DB_CHECK_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(serde::Deserialize)]
struct Q {
    format: Option<String>,
    probe: Option<String>,
}

/// The `/healthz` filter.
pub fn route(
    pool: Pool,
    queue: IngestQueue,
    metrics: Arc<IngestMetrics>,
    notify: Arc<NotifyMetrics>,
    replicas: ReplicaSet,
) -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone {
    warp::path("healthz")
        .and(warp::path::end())
        .and(warp::get().or(warp::head()).unify())
        .and(
            warp::query::<Q>()
                .or(warp::any().map(|| Q {
                    format: None,
                    probe: None,
                }))
                .unify(),
        )
        .and_then(move |q: Q| {
            let pool = pool.clone();
            let queue = queue.clone();
            let metrics = metrics.clone();
            let notify = notify.clone();
            let replicas = replicas.clone();
            async move {
                use warp::Reply;
                if q.probe.as_deref() == Some("liveness") {
                    return Ok::<_, std::convert::Infallible>(
                        warp::reply::with_status("alive", StatusCode::OK).into_response(),
                    );
                }
                let db_ok = tokio::time::timeout(DB_CHECK_TIMEOUT, async {
                    let c = pool.get().await.ok()?;
                    c.simple_query("SELECT 1").await.ok()
                })
                .await
                .ok()
                .flatten()
                .is_some();
                let status = if db_ok {
                    StatusCode::OK
                } else {
                    StatusCode::SERVICE_UNAVAILABLE
                };
                let resp = if q.format.as_deref() == Some("json") {
                    let mut body = serde_json::json!({
                        "database": if db_ok { "working" } else { "unavailable" },
                        "queue_depth": queue.depth(),
                        "ingest": metrics.snapshot(),
                        "notify": notify.snapshot(),
                    });
                    if let Some(r) = replicas.health_json() {
                        body["read_replicas"] = r;
                    }
                    if let Some(m) = crate::memory::current() {
                        body["memory"] = serde_json::json!(m);
                    }
                    warp::reply::with_status(warp::reply::json(&body), status).into_response()
                } else {
                    warp::reply::with_status(
                        if db_ok { "ok" } else { "database unavailable" },
                        status,
                    )
                    .into_response()
                };
                Ok::<_, std::convert::Infallible>(resp)
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::writer::{self, WriterConfig};

    #[tokio::test]
    async fn liveness_does_not_depend_on_the_database() {
        let mut cfg = tokio_postgres::Config::new();
        cfg.host("127.0.0.1")
            .port(1)
            .user("nobody")
            .dbname("none")
            .connect_timeout(Duration::from_millis(200));
        let pool = crate::db::make_pool(cfg, 2).unwrap();
        let metrics = Arc::new(IngestMetrics::default());
        let (queue, _writer) = writer::start(
            pool.clone(),
            10,
            WriterConfig {
                batch_size: 10,
                session_timeout_secs: 1800.0,
                shutdown_retry_limit: Duration::from_secs(1),
            },
            metrics.clone(),
        );
        let filter = route(pool, queue, metrics, Arc::default(), Default::default());
        let ready = warp::test::request().path("/healthz").reply(&filter).await;
        assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
        let live = warp::test::request()
            .path("/healthz?probe=liveness")
            .reply(&filter)
            .await;
        assert_eq!(live.status(), StatusCode::OK);
        assert_eq!(live.body(), "alive");
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn json_reports_heap_and_mapped_memory_apart() {
        let pool = crate::db::make_pool(tokio_postgres::Config::new(), 2).unwrap();
        let metrics = Arc::new(IngestMetrics::default());
        let (queue, _writer) = writer::start(
            pool.clone(),
            10,
            WriterConfig {
                batch_size: 10,
                session_timeout_secs: 1800.0,
                shutdown_retry_limit: Duration::from_secs(1),
            },
            metrics.clone(),
        );
        let filter = route(pool, queue, metrics, Arc::default(), Default::default());
        let r = warp::test::request()
            .path("/healthz?format=json")
            .reply(&filter)
            .await;
        let v: serde_json::Value = serde_json::from_slice(r.body()).unwrap();
        let mem = &v["memory"];
        let get = |k: &str| {
            mem[k]
                .as_u64()
                .unwrap_or_else(|| panic!("memory.{k} missing: {v}"))
        };
        let (anon, file, rss) = (get("anonymous_bytes"), get("file_bytes"), get("rss_bytes"));
        assert!(anon > 0 && file > 0, "{mem}");
        assert!(rss >= anon && rss < 64 << 30, "{mem}");
        assert!(mem["shmem_bytes"].is_u64(), "{mem}");
    }
}
