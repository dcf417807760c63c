//! `shynet goal add|list|remove`: a service's goals from the command line, validated by the
//! same rules as the manage page (`stats::goal_spec`).

use anyhow::{bail, Context};
use clap::{ArgGroup, Subcommand};
use deadpool_postgres::Pool;
use models::goals::{self, Inserted, NewGoal, Which};
use stats::goal_spec::{GoalSpec, MAX_GOALS_PER_SERVICE};
use uuid::Uuid;

/// `shynet goal …`
#[derive(Debug, Subcommand)]
pub enum GoalCommand {
    /// Add a goal: sessions that send an event (optionally with one property) or view a page
    /// matching a pattern convert. Counted from existing data too, as far as it is kept.
    #[command(group(ArgGroup::new("target").required(true).args(["event", "page"])))]
    Add {
        /// Service id.
        #[arg(long)]
        service: Uuid,
        /// Goal name (1-64 characters, unique within the service).
        #[arg(long)]
        name: String,
        /// Event name that reaches the goal (exact, case-sensitive).
        #[arg(long)]
        event: Option<String>,
        /// Property the event must carry, as KEY=VALUE (only with --event).
        #[arg(long, value_name = "KEY=VALUE")]
        prop: Option<String>,
        /// Page path pattern that reaches the goal: `/pricing` (that page), `/blog/*` (one
        /// segment below /blog), `/docs/**` (/docs and everything below). Query strings and
        /// one trailing slash are ignored.
        #[arg(long, value_name = "GLOB")]
        page: Option<String>,
    },
    /// List a service's goals: id, name and definition, one per line.
    List {
        /// Service id.
        #[arg(long)]
        service: Uuid,
    },
    /// Remove a goal (and its figures) by name or id.
    #[command(group(ArgGroup::new("which").required(true).args(["name", "id"])))]
    Remove {
        /// Service id.
        #[arg(long)]
        service: Uuid,
        /// Goal name.
        #[arg(long)]
        name: Option<String>,
        /// Goal id (as `shynet goal list` shows it).
        #[arg(long)]
        id: Option<i64>,
    },
}

fn describe(g: &goals::GoalRow) -> String {
    stats::goal_spec::describe(
        g.event_name.as_deref(),
        g.prop.as_ref().map(|(k, v)| (k.as_str(), v.as_str())),
        g.page_glob.as_deref(),
    )
}

async fn require_service(pool: &Pool, service: Uuid) -> anyhow::Result<()> {
    let c = pool.get().await?;
    models::services::name_and_hide_pattern(&**c, service)
        .await?
        .with_context(|| format!("no service with id {service}"))?;
    Ok(())
}

/// Runs a `shynet goal` command; returns the lines to print.
pub async fn run(pool: &Pool, cmd: &GoalCommand) -> anyhow::Result<Vec<String>> {
    match cmd {
        GoalCommand::Add {
            service,
            name,
            event,
            prop,
            page,
        } => {
            let spec = GoalSpec::new(name, event.as_deref(), prop.as_deref(), page.as_deref())?;
            let (event_name, prop, page) = spec.parts();
            let goal = NewGoal {
                name: &spec.name,
                event_name,
                prop,
                page,
            };
            let mut c = pool.get().await?;
            match goals::insert(&mut c, *service, goal, MAX_GOALS_PER_SERVICE).await? {
                Inserted::Id(id) => Ok(vec![format!(
                    "goal {id} added: {} ({})",
                    spec.name, spec.target
                )]),
                Inserted::UnknownService => bail!("no service with id {service}"),
                Inserted::LimitReached => bail!(
                    "the service already has {MAX_GOALS_PER_SERVICE} goals, the most it can \
                     have: remove one first"
                ),
                Inserted::DuplicateName => {
                    bail!("the service already has a goal named `{}`", spec.name)
                }
            }
        }
        GoalCommand::List { service } => {
            require_service(pool, *service).await?;
            let c = pool.get().await?;
            Ok(goals::list(&**c, *service, MAX_GOALS_PER_SERVICE)
                .await?
                .iter()
                .map(|g| format!("{}\t{}\t{}", g.id, g.name, describe(g)))
                .collect())
        }
        GoalCommand::Remove { service, name, id } => {
            require_service(pool, *service).await?;
            let which = match (id, name) {
                (Some(id), _) => Which::Id(*id),
                (None, Some(n)) => Which::Name(n.trim()),
                (None, None) => bail!("say which goal: --name or --id"),
            };
            let mut c = pool.get().await?;
            match goals::delete(&mut c, *service, which).await? {
                Some(n) => Ok(vec![format!("goal removed: {n}")]),
                None => match which {
                    Which::Id(id) => bail!("the service has no goal with id {id}"),
                    Which::Name(n) => bail!("the service has no goal named `{n}`"),
                },
            }
        }
    }
}
