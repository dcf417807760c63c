//! A statistics read's connection that stops its query in Postgres when the request goes away.
//!
//! Dropping a request's future (the client gave up, or the request ran past
//! [`crate::router::READ_TIME_LIMIT`]) does not stop the query it was waiting on: Postgres
//! keeps scanning, and the pooled connection goes to the next request, which waits behind it.
//! Under heavy ingest a window ending now is read from raw rows and can take tens of seconds;
//! a reader that retries whenever its own timeout fires then stacks scans on top of each other
//! until they starve the writer of CPU. A [`ReadConn`] therefore returns to its pool through a
//! check: an empty query answered at once means the connection is idle; otherwise the running
//! query is cancelled (a cancel request, which PgBouncer forwards as well) and the connection
//! goes back once the check answers, or is discarded if it does not.

use deadpool_postgres::{ClientWrapper, Object};
use std::ops::Deref;
use std::time::Duration;

/// How long the idle check may take before the connection counts as busy with a query.
const IDLE_CHECK: Duration = Duration::from_millis(200);
/// How long a cancelled query may take to stop before its connection is discarded.
const STOP_WAIT: Duration = Duration::from_secs(10);

/// A pooled connection for statistics reads (dereferences like a pool object).
pub struct ReadConn {
    obj: Option<Object>,
}

impl From<Object> for ReadConn {
    fn from(obj: Object) -> Self {
        ReadConn { obj: Some(obj) }
    }
}

impl Deref for ReadConn {
    type Target = ClientWrapper;

    fn deref(&self) -> &ClientWrapper {
        match &self.obj {
            Some(o) => o,
            None => unreachable!("the object is taken only when dropped"),
        }
    }
}

impl Drop for ReadConn {
    fn drop(&mut self) {
        let Some(obj) = self.obj.take() else { return };
        if obj.is_closed() {
            return;
        }
        // Outside a runtime (a test's teardown) nothing can run a query any more.
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(settle(obj));
        }
    }
}

/// Whether `obj` answers an empty query within `wait`.
async fn answers(obj: &Object, wait: Duration) -> bool {
    matches!(
        tokio::time::timeout(wait, obj.simple_query("")).await,
        Ok(Ok(_))
    )
}

/// Returns `obj` to its pool once idle, cancelling a query still running on it.
async fn settle(obj: Object) {
    if answers(&obj, IDLE_CHECK).await {
        return;
    }
    let token = obj.cancel_token();
    if let Err(e) = token.cancel_query(tokio_postgres::NoTls).await {
        tracing::warn!(error = %e, "could not cancel an abandoned statistics query");
    }
    if !answers(&obj, STOP_WAIT).await {
        // Still busy (or broken): never hand it to another request.
        drop(Object::take(obj));
    }
}
