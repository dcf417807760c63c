//! Direct ingest: the `/ingress/…` routes that browsers hit when no edge worker sits in front.

pub mod enrich;
pub mod routes;
pub mod script_cache;

pub use enrich::{Enricher, UaCache};
pub use routes::{ingress_routes, IngestState};
