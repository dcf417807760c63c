//! Telling owners: anomaly alerts (`alerts`), weekly and monthly reports (`reports`), and the
//! delivery of both by mail and webhook (`deliver`, `webhook`), with the words in `compose`.
//! Runs in the maintenance job ([`crate::jobs`]) of every replica; claims and the sent log keep
//! each message once.

pub mod alerts;
pub mod compose;
pub mod context;
pub mod counters;
pub mod deliver;
pub mod reports;
pub mod webhook;
