//! Shynet's core stats, as the original defines them: scalar figures and top-N tables for one
//! service and window. Sessions are windowed by their start, hits by their own time, with strict
//! bounds. Closed hours are read from rollups and only the edges and the open tail from raw
//! rows ([`plan`]); [`Source::Raw`] answers from raw rows alone, the reference the rollup path
//! is tested against. Tables are ranked and cut in SQL ([`top`]): a request receives the rows it
//! shows, never every distinct key. Custom events and goal conversions ([`events`], [`goals`])
//! follow the same rules, windowed by session start.

pub mod anomaly;
pub mod anomaly_data;
pub mod chart;
pub mod dim_visitors;
pub mod dimensions;
pub mod erasure;
mod event_sql;
pub mod event_stats;
pub mod events;
pub mod export;
mod figures;
pub mod filter_sql;
pub mod filtered;
pub mod filtered_events;
mod filtered_raw;
pub mod filters;
pub mod glob;
pub mod goal_spec;
pub mod goals;
pub mod live;
pub mod months;
pub mod noise;
pub mod plan;
pub mod referrer;
pub mod rollup;
mod rollup_advance;
mod rollup_days;
pub mod rollup_events;
mod rollup_hourly;
pub mod rollup_lag;
mod rollup_lease;
pub mod rollup_months;
mod rollup_segment_days;
mod rollup_segments;
mod rollup_slices;
mod rollup_visitors;
mod scalars;
pub mod segment;
pub mod segment_plan;
mod segment_read;
pub mod sessions;
mod tables;
pub mod top;
pub mod visitor_plan;
pub mod visitors;
pub mod window;

pub use dimensions::Dimension;
pub use event_stats::{event_stats, event_stats_with, EventStats};
pub use figures::{Row, StatsError, HIDDEN_REFERRER_HEADROOM, RESULTS_LIMIT};
pub use plan::{ReadPlan, Source};
pub use scalars::{
    has_hits, online_many, raw_available_since, scalars_many, scalars_many_with, sums_many,
    Scalars, Sums,
};
pub use tables::{
    assemble_halves, core_stats, core_stats_with, tables, tables_with, wants_halves, CoreStats,
    DimRows, Tables,
};
pub use visitor_plan::VisitorPlan;
pub use visitors::visitors_many;
pub use window::previous;
