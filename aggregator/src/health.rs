//! `/healthz`: 200 when Postgres answers, 503 otherwise; `?format=json` adds the ingest
//! counters and queue depth. Used by the container health check and Kubernetes probes.

use crate::metrics::IngestMetrics;
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
}

/// The `/healthz` filter.
pub fn route(
    pool: Pool,
    queue: IngestQueue,
    metrics: Arc<IngestMetrics>,
) -> impl Filter<Extract = (warp::reply::Response,), Error = warp::Rejection> + Clone {
    warp::path("healthz")
        .and(warp::path::end())
        .and(warp::get().or(warp::head()).unify())
        .and(
            warp::query::<Q>()
                .or(warp::any().map(|| Q { format: None }))
                .unify(),
        )
        .and_then(move |q: Q| {
            let pool = pool.clone();
            let queue = queue.clone();
            let metrics = metrics.clone();
            async move {
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
                use warp::Reply;
                let resp = if q.format.as_deref() == Some("json") {
                    let body = serde_json::json!({
                        "database": if db_ok { "working" } else { "unavailable" },
                        "queue_depth": queue.depth(),
                        "ingest": metrics.snapshot(),
                    });
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
