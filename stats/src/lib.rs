//! Shynet's core stats, as the original defines them: scalar figures and top-N tables for one
//! service and window. Sessions are windowed by their start, hits by their own time, with strict
//! bounds. Closed hours are read from rollups and only the edges and the open tail from raw
//! rows ([`plan`]); [`Source::Raw`] answers from raw rows alone, the reference the rollup path
//! is tested against. Tables are ranked and cut in SQL ([`top`]): a request receives the rows it
//! shows, never every distinct key.

use crate::window::Window;
use serde::Serialize;

pub mod chart;
pub mod dimensions;
pub mod plan;
pub mod referrer;
pub mod rollup;
mod scalars;
pub mod sessions;
mod tables;
pub mod top;
pub mod window;

pub use dimensions::Dimension;
pub use plan::{ReadPlan, Source};
pub use scalars::{
    has_hits, online_many, raw_available_since, scalars_many, scalars_many_with, sums_many,
    Scalars, Sums,
};
pub use tables::{core_stats, core_stats_with, tables, tables_with, CoreStats, DimRows, Tables};

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

/// The equal-length period immediately before `w` (Shynet's comparison window).
pub fn previous(w: &Window) -> Window {
    Window {
        start: w.start - (w.end - w.start),
        end: w.start,
    }
}
