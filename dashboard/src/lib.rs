//! Shynet's web front over the `stats` crate (which also serves `shynet stats`, so each metric
//! has exactly one definition): accounts and permissions, server-rendered pages, SVG charts and
//! the JSON API. The aggregator mounts [`routes`].

pub mod api;
pub mod auth;
pub mod config;
pub mod format;
pub mod http;
pub mod mail;
pub mod openapi;
pub mod pages;
pub mod render;
pub mod routes;
pub mod service_form;
pub mod services;
pub mod site;
pub mod snippet;
pub mod state;
pub mod svg_chart;
pub mod worldmap;

pub use config::DashboardArgs;
pub use routes::routes;
pub use state::{DashboardSettings, DashboardState};
