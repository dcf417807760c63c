//! What the figures share: a table row, the table limits, the raw-segment filter and the error
//! every query returns.

use serde::Serialize;

/// Rows per top-N table (Shynet's `RESULTS_LIMIT`).
pub const RESULTS_LIMIT: usize = 300;

/// Extra referrer ranks fetched when the owner hides some: hidden referrers are dropped before
/// the cut, so the table can still show [`RESULTS_LIMIT`] rows when up to this many distinct
/// hidden referrers outrank them (past that it shows fewer, never wrong ones).
pub const HIDDEN_REFERRER_HEADROOM: i64 = 2000;

/// One row of a top-N table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    /// The dimension value ("" = unknown / direct).
    pub key: String,
    /// Sessions or hits.
    pub count: i64,
}

/// Failure to compute stats.
#[derive(Debug, thiserror::Error)]
pub enum StatsError {
    /// The database failed.
    #[error("database error: {0}")]
    Db(#[from] tokio_postgres::Error),
}

pub(crate) const RAW_SEGMENTS: &str =
    "((start_time > $2 AND start_time < $3) OR (start_time > $4 AND start_time < $5))";
