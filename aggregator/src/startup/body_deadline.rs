//! One deadline for every request body, whatever route reads it.
//!
//! A client that sends its headers with a `Content-Length` and then the body one byte a minute
//! (or never) holds a connection slot for as long as a handler waits on the body. Bounding that
//! in each route is easy to forget for the next route, so the accept loop wraps every body:
//! when the body has not been read to its end within the deadline, the request is answered
//! 408 and the connection closed, whatever the handler was doing. The clock starts when the
//! request head has arrived; a body the handler finished or gave up on stops it. GET and HEAD
//! bodies are never read: the handler sees an empty body and the connection is closed after
//! the answer, so a client cannot park there either.

use hyper::body::{Body, Frame, Incoming, SizeHint};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::sync::oneshot;
use warp::http::{header, HeaderValue, Method, Request, StatusCode};

/// The default time a client has to send a whole request body once its headers arrived.
pub const DEFAULT_BODY_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// A request body that reports when nobody waits on the client any more: read to its end,
/// failed, or dropped by the handler.
pub struct TrackedBody {
    inner: Option<Incoming>,
    pending: Option<oneshot::Sender<()>>,
}

impl TrackedBody {
    fn finish(&mut self) {
        self.pending = None;
    }
}

impl Body for TrackedBody {
    type Data = bytes::Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = self.get_mut();
        let Some(inner) = this.inner.as_mut() else {
            this.finish();
            return Poll::Ready(None);
        };
        let polled = Pin::new(&mut *inner).poll_frame(cx);
        match &polled {
            Poll::Ready(None) | Poll::Ready(Some(Err(_))) => this.finish(),
            Poll::Ready(Some(Ok(_))) if inner.is_end_stream() => this.finish(),
            _ => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.as_ref().is_none_or(Body::is_end_stream)
    }

    fn size_hint(&self) -> SizeHint {
        self.inner
            .as_ref()
            .map_or_else(|| SizeHint::with_exact(0), Body::size_hint)
    }
}

/// What the accept loop does with one request's body.
pub struct Guarded {
    /// The request, its body wrapped.
    pub request: Request<TrackedBody>,
    /// Resolves when the body is still unread at the deadline; never otherwise.
    pub expired: std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>,
    /// The answer must close the connection (a GET or HEAD body was left unread).
    pub close_after: bool,
}

/// Wraps the body of `req` under a deadline of `limit`.
pub fn guard(req: Request<Incoming>, limit: Duration) -> Guarded {
    let (parts, body) = req.into_parts();
    let no_body_allowed = parts.method == Method::GET || parts.method == Method::HEAD;
    let close_after = no_body_allowed && !body.is_end_stream();
    let (tx, rx) = oneshot::channel();
    let body = if no_body_allowed || body.is_end_stream() {
        TrackedBody {
            inner: None,
            pending: None,
        }
    } else {
        TrackedBody {
            inner: Some(body),
            pending: Some(tx),
        }
    };
    let expired = Box::pin(async move {
        // Err = the sender is gone: the body ended or was abandoned in time.
        if tokio::time::timeout(limit, rx).await.is_ok() {
            std::future::pending::<()>().await;
        }
    });
    Guarded {
        request: Request::from_parts(parts, body),
        expired,
        close_after,
    }
}

/// The answer to a body that did not arrive in time.
pub fn timed_out() -> warp::reply::Response {
    use warp::Reply;
    let mut r = warp::reply::with_status(
        "the request body did not arrive in time",
        StatusCode::REQUEST_TIMEOUT,
    )
    .into_response();
    close(&mut r);
    r
}

/// Marks an answer as the last on its connection.
pub fn close(r: &mut warp::reply::Response) {
    r.headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
}
