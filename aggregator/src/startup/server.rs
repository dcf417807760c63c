//! The HTTP/1.1 accept loop. `warp::serve` sets no timer on hyper, so a client that sends
//! its headers one byte a minute (slowloris) holds a connection, a task and its buffers for
//! ever, and nothing caps how many such connections exist. This loop serves the same warp
//! filter with:
//!
//! - a header read timeout (hyper answers 408 and closes when the request head is not
//!   complete in time; it also closes idle keep-alive connections after that long);
//! - a body deadline for every route (see [`super::body_deadline`]);
//! - a cap on request-head size (hyper answers 431 past it);
//! - a cap on open connections: at the cap, new connections wait in the kernel's accept backlog
//!   until one closes, so a flood of slow clients cannot exhaust memory or file descriptors;
//! - a cap on open connections per client address (see [`super::per_ip`]), so one client
//!   cannot hold all of them;
//! - graceful shutdown: stop accepting, let in-flight requests finish, close idle connections.
//!
//! HTTP/2 is not offered: Shynet sits behind a reverse proxy or the edge, which speak HTTP/1.1
//! to it.

use super::body_deadline::{self, DEFAULT_BODY_READ_TIMEOUT};
use super::per_ip::{self, PerIpLimiter, DEFAULT_MAX_CONNECTIONS_PER_IP};
use beacon::client_ip::ProxyTrust;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower_service::Service;
use webcore::PeerAddr;

/// Bounds on what one client can hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerLimits {
    /// Most open connections; more wait in the accept backlog.
    pub max_connections: usize,
    /// Most open connections from one client address (IPv6: one /64); more are refused.
    pub max_connections_per_ip: usize,
    /// Peers exempt from the per-address cap: the trusted proxies, through which every visitor
    /// arrives.
    pub per_ip_exempt: ProxyTrust,
    /// Time allowed for a request head (and for an idle keep-alive connection).
    pub header_read_timeout: Duration,
    /// Time allowed for a request body once the head arrived.
    pub body_read_timeout: Duration,
    /// Largest request head (bytes, at least 8 KiB).
    pub max_header_bytes: usize,
}

impl Default for ServerLimits {
    fn default() -> Self {
        ServerLimits {
            max_connections: 1024,
            max_connections_per_ip: DEFAULT_MAX_CONNECTIONS_PER_IP,
            per_ip_exempt: ProxyTrust::default(),
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: DEFAULT_BODY_READ_TIMEOUT,
            max_header_bytes: 64 * 1024,
        }
    }
}

/// Serves `filter` on `listener` until `shutdown` resolves, then stops accepting and waits for
/// open connections to finish their requests.
pub async fn serve<F, R>(
    listener: TcpListener,
    filter: F,
    limits: ServerLimits,
    shutdown: impl Future<Output = ()>,
) where
    F: warp::Filter<Extract = (R,), Error = warp::Rejection> + Clone + Send + Sync + 'static,
    F::Future: Send,
    R: warp::Reply,
{
    let service = warp::service(filter);
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let per_ip = PerIpLimiter::new(limits.max_connections_per_ip, limits.per_ip_exempt.clone());
    let body_limit = limits.body_read_timeout;
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            p = slots.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(pair) => pair,
                Err(e) => {
                    // EMFILE and friends: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Some(peer_permit) = per_ip.try_acquire(peer.ip()) else {
            tracing::debug!(%peer, "connection refused: too many from this address");
            per_ip::refuse(stream);
            continue;
        };
        let svc = service.clone();
        let svc =
            hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
                req.extensions_mut().insert(PeerAddr(peer));
                let guarded = body_deadline::guard(req, body_limit);
                let mut svc = svc.clone();
                async move {
                    let call = svc.call(guarded.request);
                    let mut resp = tokio::select! {
                        biased;
                        r = call => r?,
                        () = guarded.expired => body_deadline::timed_out(),
                    };
                    if guarded.close_after {
                        body_deadline::close(&mut resp);
                    }
                    Ok::<_, std::convert::Infallible>(resp)
                }
            });
        let mut builder = http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(limits.header_read_timeout)
            .max_buf_size(limits.max_header_bytes.max(8192));
        let conn = builder.serve_connection(TokioIo::new(stream), svc);
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, %peer, "connection ended with an error");
            }
            drop(peer_permit);
            drop(permit);
        });
    }
    drop(listener);
    graceful.shutdown().await;
}
