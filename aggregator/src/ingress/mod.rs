//! Direct ingest: the `/ingress/…` routes that browsers hit when no edge worker sits in front.

pub mod enrich;
pub mod handlers;
pub mod plausible;
pub mod script_cache;

pub use enrich::{Enricher, UaCache};
pub use handlers::{ingress_routes, IngestState};
pub use plausible::plausible_event_route;
