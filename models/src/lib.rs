//! The SQL of the account and service tables, one module per table family, so the dashboard's
//! pages, its auth layer and the aggregator's CLI and caches share one statement per question
//! instead of each spelling its own. Stats and rollup queries, and the writer's ingest-time SQL,
//! are not here: they belong to the code whose performance they decide.
//!
//! Functions take any [`tokio_postgres::GenericClient`] so callers choose the transaction;
//! those that must run inside one say so. Modules call only "down" this list (`users` uses
//! `emails`, `tokens`, `two_factor` and `login_throttle`; nothing calls `users`).

pub mod collaborators;
pub mod dropped;
pub mod emails;
pub mod erasures;
pub mod goals;
pub mod imports;
pub mod instance;
pub mod login_throttle;
pub mod mail_log;
pub mod notify;
pub mod segments;
pub mod services;
pub mod shares;
pub mod tokens;
pub mod two_factor;
pub mod users;

pub use tokio_postgres::Error;

/// Deletes expired sessions and links and forgotten throttle and mail-log rows, in the
/// caller's transaction (a maintenance job runs it now and then).
pub async fn prune_expired<C: tokio_postgres::GenericClient>(c: &C) -> Result<(), Error> {
    tokens::prune(c).await?;
    login_throttle::prune(c).await?;
    mail_log::prune(c).await?;
    two_factor::prune(c).await?;
    notify::prune(c).await
}
