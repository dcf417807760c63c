//! The read side of Shynet and its web front: one stats module that the dashboard pages, the
//! JSON API and `shynet stats` all use (so each metric has exactly one definition), accounts and
//! permissions, server-rendered pages and SVG charts. The aggregator mounts [`routes`].

pub mod api;
pub mod auth;
pub mod charts;
pub mod format;
pub mod http;
pub mod mail;
pub mod page_error;
pub mod pages;
pub mod referrer;
pub mod render;
pub mod request_context;
pub mod router;
pub mod service_form;
pub mod services;
pub mod settings;
pub mod site;
pub mod state;
pub mod stats;
pub mod window;
pub mod worldmap;

pub use router::routes;
pub use settings::DashboardArgs;
pub use state::{DashboardSettings, DashboardState};
