//! Per-request logging. Refusals a busy server answers by the thousand (4xx for bad input, 503
//! while shedding load) are expected outcomes: they are counted (`/healthz?format=json`), never
//! logged one line each, so an overload cannot fill the disk with logs. Only unexpected server
//! errors (5xx other than 503) are logged every time. An optional access log samples 1 request
//! in N; it holds no client address, User-Agent or query string (a query can carry data).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use warp::http::StatusCode;

/// `tracing` target of access-log lines (filter with `SHYNET_LOG=…,shynet::access=off`).
pub const ACCESS_TARGET: &str = "shynet::access";

/// Longest path written to a log line; longer paths are cut (and marked with `…`).
pub const MAX_LOGGED_PATH_BYTES: usize = 200;

/// The warp wrapper: `sample` = 0 logs no successful or refused request, N logs every N-th.
pub fn layer(
    sample: u64,
) -> warp::log::Log<impl Fn(warp::log::Info<'_>) + Clone + Send + Sync + 'static> {
    let seen = Arc::new(AtomicU64::new(0));
    warp::log::custom(move |info: warp::log::Info<'_>| {
        let status = info.status();
        let unexpected = status.is_server_error() && status != StatusCode::SERVICE_UNAVAILABLE;
        let sampled = sample > 0 && seen.fetch_add(1, Ordering::Relaxed).is_multiple_of(sample);
        if !(unexpected || sampled) {
            return;
        }
        let path = clip(info.path());
        let duration_ms = info.elapsed().as_secs_f64() * 1000.0;
        if unexpected {
            tracing::error!(target: ACCESS_TARGET, method = %info.method(), path, status = status.as_u16(), duration_ms, "request failed");
        } else {
            tracing::info!(target: ACCESS_TARGET, method = %info.method(), path, status = status.as_u16(), duration_ms, "request");
        }
    })
}

/// `path` cut to [`MAX_LOGGED_PATH_BYTES`] on a character boundary.
fn clip(path: &str) -> String {
    if path.len() <= MAX_LOGGED_PATH_BYTES {
        return path.to_owned();
    }
    let cut = beacon::limits::truncate_utf8(path, MAX_LOGGED_PATH_BYTES);
    format!("{cut}…")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logging::{subscriber, CaptureWriter, LogFormat};
    use warp::Filter;

    fn app(
        sample: u64,
    ) -> impl warp::Filter<Extract = (impl warp::Reply,), Error = warp::Rejection> + Clone + 'static
    {
        use warp::Reply;
        warp::any()
            .and(warp::filters::path::param::<u16>())
            .map(|code: u16| {
                let status = StatusCode::from_u16(code).unwrap_or(StatusCode::OK);
                warp::reply::with_status("x", status).into_response()
            })
            .with(layer(sample))
    }

    async fn hit<F>(filter: &F, path: &str)
    where
        F: warp::Filter + 'static,
        F::Extract: warp::Reply + Send,
    {
        warp::test::request()
            .path(path)
            .header("user-agent", "SecretAgent/1.0")
            .header("x-forwarded-for", "203.0.113.9")
            .remote_addr("198.51.100.7:4000".parse().unwrap())
            .reply(filter)
            .await;
    }

    #[tokio::test]
    async fn refusals_are_not_logged_by_default_but_unexpected_errors_are() {
        let out = CaptureWriter::default();
        let _g = tracing::subscriber::set_default(subscriber(
            LogFormat::Text,
            tracing_subscriber::EnvFilter::new(crate::logging::DEFAULT_FILTER),
            out.clone(),
        ));
        let f = app(0);
        for code in [200u16, 204, 400, 404, 413, 429, 503] {
            for _ in 0..50 {
                hit(&f, &format!("/{code}?visitor=secret")).await;
            }
        }
        assert_eq!(out.text(), "", "expected outcomes leave no log line");
        hit(&f, "/500").await;
        let text = out.text();
        assert_eq!(text.lines().count(), 1, "{text}");
        assert!(
            text.contains("ERROR") && text.contains("status=500"),
            "{text}"
        );
    }

    #[tokio::test]
    async fn sampled_access_log_has_no_address_agent_or_query() {
        let out = CaptureWriter::default();
        let _g = tracing::subscriber::set_default(subscriber(
            LogFormat::Json,
            tracing_subscriber::EnvFilter::new(crate::logging::DEFAULT_FILTER),
            out.clone(),
        ));
        let f = app(10);
        for i in 0..100 {
            let code = if i % 2 == 0 { 200 } else { 404 };
            hit(&f, &format!("/{code}?visitor=secret")).await;
        }
        let text = out.text();
        assert_eq!(text.lines().count(), 10, "1 in 10 sampled:\n{text}");
        for line in text.lines() {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            assert_eq!(v["target"], ACCESS_TARGET);
            assert_eq!(v["method"], "GET");
            assert!(v["path"] == "/200" || v["path"] == "/404", "{line}");
            assert!(v["status"].is_u64() && v["duration_ms"].is_f64(), "{line}");
        }
        for secret in ["secret", "SecretAgent", "203.0.113.9", "198.51.100.7"] {
            assert!(!text.contains(secret), "{secret} leaked: {text}");
        }
    }

    #[test]
    fn long_paths_are_clipped() {
        let long = format!("/{}", "é".repeat(300));
        let c = clip(&long);
        assert!(c.len() <= MAX_LOGGED_PATH_BYTES + '…'.len_utf8());
        assert!(c.ends_with('…'));
    }
}
