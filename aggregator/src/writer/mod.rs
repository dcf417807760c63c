//! The write path, shared by both entrances: direct ingress queues beacons for the writer task
//! ([`queue`]), the edge endpoint hands over verified batches; both go through one [`sink`],
//! one failure classification and one sessionizer.

pub mod apply;
pub mod attribution;
pub mod beacons;
pub mod events;
pub mod exactly_once;
pub mod failure;
pub mod live_state;
pub mod queue;
pub mod rows;
pub mod sessionize;
pub mod sink;
pub mod store;

pub use beacons::{BatchOutcome, Enriched};
pub use failure::{is_transient, Failure};
pub use queue::{start, IngestQueue, QueueError, WriterConfig, WriterHandle};
pub use sink::{write, Batch, Written};
