//! `shynet delete`: erases one visitor's data (by identifier, IP or session id) or a service's
//! sessions of a date range, with the same checks, deletion, re-roll and audit row as the manage
//! page and the API (`dashboard::erasure`). It never prompts, so scripts can call it;
//! `--dry-run` prints what would go and changes nothing.

use anyhow::Context;
use clap::{ArgGroup, Args};
use dashboard::erasure::{self, Actor, SelectorInput};
use deadpool_postgres::Pool;
use uuid::Uuid;

/// `shynet delete …`
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("selector").required(true).args(["identifier", "ip", "session", "from"])))]
pub struct DeleteArgs {
    /// Service id.
    #[arg(long)]
    pub service: Uuid,
    /// Delete every session the site tagged with this identifier.
    #[arg(long)]
    pub identifier: Option<String>,
    /// Delete every session stored with this IP address (services that collect IPs).
    #[arg(long, value_name = "ADDR")]
    pub ip: Option<String>,
    /// Delete one session (its id, as the dashboard's session page shows it).
    #[arg(long, value_name = "UUID")]
    pub session: Option<String>,
    /// Delete the sessions that started from this day (YYYY-MM-DD in the service's time zone) on; needs --to.
    #[arg(long, value_name = "D", requires = "to")]
    pub from: Option<String>,
    /// Last day of the range (included); needs --from.
    #[arg(long, value_name = "D", requires = "from")]
    pub to: Option<String>,
    /// Print what would be deleted; change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

fn selector(a: &DeleteArgs, tz: chrono_tz::Tz) -> anyhow::Result<stats::erasure::Selector> {
    Ok(erasure::parse_selector(
        &SelectorInput {
            identifier: a.identifier.as_deref(),
            ip: a.ip.as_deref(),
            session: a.session.as_deref(),
            from: a.from.as_deref(),
            to: a.to.as_deref(),
        },
        tz,
        None,
    )?)
}

/// Checks the arguments without a database (malformed input fails before one is started).
pub fn check(a: &DeleteArgs, tz: chrono_tz::Tz) -> anyhow::Result<()> {
    selector(a, tz).map(|_| ())
}

/// Runs `shynet delete`; returns the lines to print.
pub async fn run(pool: &Pool, a: &DeleteArgs, tz: chrono_tz::Tz) -> anyhow::Result<Vec<String>> {
    selector(a, tz)?;
    let mut client = pool.get().await.context("connecting to the database")?;
    // Days are the service's own zone's when it has one (an unknown service fails below).
    let own = models::services::zones::time_zone(&**client, a.service)
        .await?
        .flatten();
    let selector = selector(a, stats::window::service_zone(own.as_deref(), tz))?;
    let actor = Actor {
        user_id: None,
        via: "cli",
    };
    let c = erasure::run(&mut client, a.service, &selector, actor, a.dry_run).await?;
    let rows = format!(
        "{} sessions, {} page views, {} events, {} live-state rows",
        c.sessions, c.hits, c.events, c.live_rows
    );
    Ok(vec![if a.dry_run {
        format!(
            "dry run: would delete {rows} (by {}); nothing changed",
            selector.kind()
        )
    } else {
        format!(
            "deleted {rows} (by {}); {} rolled-up hours recomputed; audit row written",
            selector.kind(),
            c.hours_rerolled
        )
    }])
}
