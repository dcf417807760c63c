//! Why a page could not be served, and the result type of every page handler. Its own module so
//! the state, the request context and the pages can all answer with it.

use crate::http::Response;

/// Why a page could not be served; each maps to a clear 4xx/5xx page.
#[derive(Debug)]
pub enum PageError {
    /// 404.
    NotFound,
    /// 403 with a reason.
    Forbidden(String),
    /// 400 with a reason.
    BadRequest(String),
    /// Not logged in: redirect to the login page.
    Login,
    /// CSRF token missing or wrong: 403.
    Csrf,
    /// 503: the database failed.
    Unavailable(String),
    /// 429: no database connection came free in time (the dashboard's pool is busy); answered
    /// at once instead of queueing, and never taken from what ingestion uses.
    Busy,
    /// 503: a read ran past [`crate::router::READ_TIME_LIMIT`] and was stopped.
    TooSlow,
}

impl From<tokio_postgres::Error> for PageError {
    fn from(e: tokio_postgres::Error) -> Self {
        PageError::Unavailable(e.to_string())
    }
}

impl From<deadpool_postgres::PoolError> for PageError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        use deadpool_postgres::{PoolError, TimeoutType};
        match e {
            PoolError::Timeout(TimeoutType::Wait) => PageError::Busy,
            e => PageError::Unavailable(e.to_string()),
        }
    }
}

impl From<stats::StatsError> for PageError {
    fn from(e: stats::StatsError) -> Self {
        PageError::Unavailable(e.to_string())
    }
}

impl From<stats::window::WindowError> for PageError {
    fn from(e: stats::window::WindowError) -> Self {
        PageError::BadRequest(format!("{e}."))
    }
}

/// The result of a page handler.
pub type PageResult = Result<Response, PageError>;
