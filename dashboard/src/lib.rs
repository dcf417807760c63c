//! The read side of Shynet: one stats module that the dashboard pages, the JSON API and
//! `shynet stats` all use, so each metric has exactly one definition.

pub mod snippet;
pub mod stats;
pub mod window;
