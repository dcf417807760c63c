//! Target-independent pieces shared by both entrances of Shynet: the edge worker (wasm32) and the
//! aggregator's direct ingest (native). Keeping the wire types, limits, validation, hashing and
//! response shapes here means the two entrances cannot drift apart. No I/O lives here.

pub mod auto_script;
pub mod bots;
pub mod campaign;
#[cfg(feature = "classify")]
pub mod channels;
pub mod client_ip;
pub mod dropped;
pub mod edge_protocol;
pub mod event;
pub mod ip_filter;
pub mod limits;
pub mod origins;
pub mod payload;
pub mod plausible;
pub mod responses;
pub mod route;
pub mod script;
pub mod snippet;
pub mod tracking_params;
#[cfg(feature = "classify")]
pub mod ua;
pub mod url_parts;
pub mod visitor;
pub mod wire;
