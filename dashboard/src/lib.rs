//! Shynet's web front over the `stats` crate (which also serves `shynet stats`, so each metric
//! has exactly one definition): accounts and permissions, server-rendered pages, SVG charts and
//! the JSON API. The aggregator mounts [`routes`].

pub mod api;
pub mod api_data;
pub mod auth;
pub mod date_style;
pub mod erasure;
pub mod export_http;
pub mod format;
pub mod http;
pub mod i18n;
pub mod i18n_helpers;
pub mod lang;
pub mod live_chart;
pub mod mail;
pub mod numbers;
pub mod openapi;
pub mod page_error;
pub mod pages;
pub mod plausible_api;
pub mod plausible_filters;
pub mod plausible_query;
pub mod read_conn;
pub mod read_pool;
pub mod render;
pub mod request_context;
pub mod router;
pub mod service_form;
pub mod services;
pub mod settings;
pub mod share_links;
pub mod share_release;
pub mod site;
pub mod state;
pub mod svg_chart;
pub mod unsubscribe;
pub mod webhook_url;
pub mod worldmap;
pub mod zip_stream;

pub use router::routes;
pub use settings::DashboardArgs;
pub use state::{DashboardSettings, DashboardState};
