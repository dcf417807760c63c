//! The Shynet aggregator: the `shynet` binary's library. Config → startup → routes → domain,
//! with Postgres as the only shared state so that several replicas can run side by side.

pub mod access_log;
pub mod backup;
pub mod cli;
pub mod config;
pub mod db;
pub mod demo;
pub mod dropped;
pub mod edge;
pub mod embedded_pg;
pub mod erasure_cli;
pub mod export_cli;
pub mod geo;
pub mod goals_cli;
pub mod health;
pub mod import;
pub mod ingress;
pub mod jobs;
pub mod logging;
pub mod memory;
pub mod metrics;
pub mod notify;
pub mod pools;
pub mod replicas;
pub mod report_cli;
pub mod retention;
pub mod salts;
pub mod services;
pub mod share_cli;
pub mod shed_log;
pub mod startup;
pub mod testkit;
pub mod token_cli;
pub mod writer;
