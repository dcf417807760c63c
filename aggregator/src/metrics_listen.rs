//! The admin listener (`--metrics-listen`, default `127.0.0.1:9091`): `GET /metrics` and
//! nothing else. It is a listener of its own, not a route of the public one, because the
//! figures (traffic, queue, pools, memory) tell an attacker when the server is near its limits;
//! bind it to loopback or a private network that only the scraper reaches. It has no
//! authentication of its own: the address is the guard.

use crate::metrics_export::{Exporter, CONTENT_TYPE_HEADER};
use crate::startup::server::{self, ServerLimits};
use std::net::SocketAddr;
use std::sync::Arc;
use warp::Filter;

/// The default address: loopback only.
pub const DEFAULT_METRICS_LISTEN: &str = "127.0.0.1:9091";

/// The listener's address as configured: `None` (an empty value) disables it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetricsListen(pub Option<SocketAddr>);

impl std::str::FromStr for MetricsListen {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.is_empty() {
            return Ok(MetricsListen(None));
        }
        s.parse::<SocketAddr>()
            .map(|a| MetricsListen(Some(a)))
            .map_err(|_| {
                format!(
                    "`{s}` is not an address with a port (such as {DEFAULT_METRICS_LISTEN}); \
                 leave it empty to turn the metrics listener off"
                )
            })
    }
}

/// Binds `addr` and serves `/metrics` from `exporter` until the task is aborted. Returns the
/// bound address (port 0 picks a free one) and the server task.
pub async fn start(
    addr: SocketAddr,
    exporter: Arc<Exporter>,
    limits: ServerLimits,
) -> anyhow::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| anyhow::anyhow!("metrics listener on {addr}: {e}"))?;
    let bound = listener.local_addr()?;
    let route = warp::path("metrics")
        .and(warp::path::end())
        .and(warp::get().or(warp::head()).unify())
        .then(move || {
            let exporter = exporter.clone();
            async move {
                use warp::Reply;
                let body = exporter.render().await;
                warp::reply::with_header(body, "content-type", CONTENT_TYPE_HEADER).into_response()
            }
        });
    let task = tokio::spawn(server::serve(
        listener,
        route,
        limits,
        std::future::pending::<()>(),
    ));
    tracing::info!(addr = %bound, "metrics listening");
    Ok((bound, task))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_disables_and_bad_input_is_explained() {
        assert_eq!("".parse::<MetricsListen>(), Ok(MetricsListen(None)));
        assert_eq!("  ".parse::<MetricsListen>(), Ok(MetricsListen(None)));
        assert_eq!(
            DEFAULT_METRICS_LISTEN.parse::<MetricsListen>(),
            Ok(MetricsListen(Some("127.0.0.1:9091".parse().unwrap())))
        );
        assert_eq!(
            "[::1]:9100"
                .parse::<MetricsListen>()
                .unwrap()
                .0
                .unwrap()
                .port(),
            9100
        );
        let e = "localhost".parse::<MetricsListen>().unwrap_err();
        assert!(e.contains("not an address with a port"), "{e}");
    }
}
