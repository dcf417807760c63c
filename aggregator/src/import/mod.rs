//! `shynet import shynet --from postgres://…`: moves a running original Shynet's accounts,
//! services (with the same UUIDs, so installed snippets keep working after a DNS switch),
//! collaborators, settings, sessions and hits into this instance, then rolls the imported hours
//! up. Resumable and idempotent: see [`traffic`]. `--dry-run` reads the source and reports what
//! would be imported without writing anything.

mod accounts;
pub mod source;
mod traffic;

use anyhow::Context;
use beacon::tracking_params::TrackingParams;
use clap::{Args, Subcommand};
use deadpool_postgres::Pool;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use uuid::Uuid;

pub use accounts::{AccountsSummary, PasswordKind};
pub use traffic::{TrafficSummary, CHUNK_ROWS};

/// `shynet import …`
#[derive(Debug, Clone, Subcommand)]
pub enum ImportCommand {
    /// From the original (Django) Shynet's PostgreSQL database.
    Shynet(ImportShynetArgs),
}

/// `shynet import shynet …`
#[derive(Debug, Clone, Args)]
pub struct ImportShynetArgs {
    /// The source database, e.g. postgres://shynet@db.example/shynet (read only; TLS is not
    /// used, so reach it over a private network or an SSH tunnel).
    #[arg(long, value_name = "URL")]
    pub from: String,
    /// Import only these services (comma-separated UUIDs), with their owners and collaborators.
    #[arg(long, value_delimiter = ',', value_name = "UUID,…")]
    pub services: Option<Vec<Uuid>>,
    /// Read the source and report what would be imported; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Never store raw IPs or User-Agents, whatever a service says.
    #[arg(long, env = "BLOCK_ALL_IPS", default_value = "false", value_parser = clap::builder::BoolishValueParser::new())]
    pub block_all_ips: bool,
    /// Do not draw a progress bar.
    #[arg(long)]
    pub quiet: bool,
    /// Rows per chunk (read, written and committed with the cursor together).
    #[arg(long, default_value_t = CHUNK_ROWS, value_parser = clap::value_parser!(i64).range(1..=traffic::MAX_CHUNK_ROWS), hide = true)]
    pub chunk_rows: i64,
    /// The session timeout of this instance (seconds), for the rollup of imported hours.
    #[arg(long, env = "SESSION_MEMORY_TIMEOUT", default_value_t = 1800)]
    pub session_memory_timeout: u64,
}

/// What an import did (or would do).
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct Summary {
    pub dry_run: bool,
    pub accounts: AccountsSummary,
    pub traffic: TrafficSummary,
    /// Services whose raw IPs and User-Agents were dropped (they do not collect IPs).
    pub services_without_ips: Vec<Uuid>,
}

impl Summary {
    /// Human-readable lines for the command line.
    pub fn lines(&self) -> Vec<String> {
        let a = &self.accounts;
        let t = &self.traffic;
        let verb = if self.dry_run {
            "would import"
        } else {
            "imported"
        };
        let mut out = vec![
            format!(
                "{verb}: {} users ({} already here, kept as they are), {} services ({} already here), {} collaborators",
                a.users_created, a.users_existing, a.services_created, a.services_existing, a.collaborators_added
            ),
            format!(
                "{verb}: {} sessions ({} updated), {} hits",
                t.sessions_new, t.sessions_updated, t.hits_new
            ),
            format!(
                "dropped for privacy: {} raw IPs and {} User-Agents of {} services that do not collect IPs",
                t.ips_dropped,
                t.user_agents_dropped,
                self.services_without_ips.len()
            ),
        ];
        if a.api_tokens > 0 {
            out.push(format!(
                "{} API tokens keep working (`Authorization: Token …`)",
                a.api_tokens
            ));
        }
        if a.users_needing_reset > 0 {
            out.push(format!(
                "{} users have no password we can check (unusable or an unsupported hash): they reset it by mail",
                a.users_needing_reset
            ));
        }
        out
    }
}

/// Runs `shynet import shynet`.
pub async fn run(pool: &Pool, args: &ImportShynetArgs) -> anyhow::Result<Summary> {
    let session_timeout_secs = args.session_memory_timeout as f64;
    let (src, conn) = tokio_postgres::connect(&args.from, tokio_postgres::NoTls)
        .await
        .context("connecting to the source database (--from)")?;
    let conn = tokio::spawn(conn);
    let result = import(&src, pool, args, session_timeout_secs).await;
    drop(src);
    let _ = conn.await;
    result
}

async fn import(
    src: &tokio_postgres::Client,
    pool: &Pool,
    args: &ImportShynetArgs,
    session_timeout_secs: f64,
) -> anyhow::Result<Summary> {
    let layout = source::layout(src).await?;
    let only = args.services.as_deref();
    let services = source::services(src, only).await?;
    if let Some(wanted) = only {
        if let Some(missing) = wanted
            .iter()
            .find(|u| !services.iter().any(|s| s.uuid == **u))
        {
            anyhow::bail!("--services: the source has no service {missing}");
        }
    }
    let services = accounts::check_services(services)?;
    let users = source::users(src, layout, only).await?;
    let mut sum = Summary {
        dry_run: args.dry_run,
        ..Summary::default()
    };
    sum.services_without_ips = services
        .iter()
        .filter(|s| args.block_all_ips || !s.src.collect_ips)
        .map(|s| s.src.uuid)
        .collect();
    if args.dry_run {
        dry_run(src, pool, &users, &services, &mut sum).await?;
        return Ok(sum);
    }

    let mut c = pool.get().await?;
    let tx = c.transaction().await?;
    let map = accounts::write_users(&tx, &users, &mut sum.accounts).await?;
    accounts::write_services(&tx, src, &services, &map, &mut sum.accounts).await?;
    tx.commit().await?;
    drop(c);

    let bar = progress(src, pool, &services, args.quiet).await?;
    let params = TrackingParams::default();
    for s in &services {
        let c = pool.get().await?;
        // The service's stored setting decides (an existing service keeps its own).
        let collects = models::imports::service_collects_ips(&**c, s.src.uuid)
            .await?
            .unwrap_or(false);
        let list: String = c
            .query_one(
                "SELECT tracking_params FROM services WHERE id = $1",
                &[&s.src.uuid],
            )
            .await?
            .get(0);
        drop(c);
        let params = list.parse().unwrap_or_else(|_| params.clone());
        let plan = traffic::Plan {
            service: s.src.uuid,
            keep_identifying: collects && !args.block_all_ips,
            params: &params,
            chunk_rows: args.chunk_rows,
        };
        let t = traffic::copy(src, pool, &plan, &bar).await?;
        sum.traffic.add(&t);
    }
    bar.finish_and_clear();

    let mut conn = pool.get().await?;
    stats::rollup::catch_up(&mut conn, session_timeout_secs, 24 * 31, |_| {}).await?;
    Ok(sum)
}

/// Counts what a run would copy, from the cursors a previous run left.
async fn dry_run(
    src: &tokio_postgres::Client,
    pool: &Pool,
    users: &[source::User],
    services: &[accounts::Checked],
    sum: &mut Summary,
) -> anyhow::Result<()> {
    let c = pool.get().await?;
    for u in users {
        if models::users::id_by_email(&**c, &u.email).await?.is_some() {
            sum.accounts.users_existing += 1;
        } else {
            sum.accounts.users_created += 1;
            sum.accounts.api_tokens += u64::from(u.api_token.is_some());
            if accounts::password_kind(&u.password) == PasswordKind::NeedsReset {
                sum.accounts.users_needing_reset += 1;
            }
        }
    }
    for s in services {
        let exists = models::imports::service_collects_ips(&**c, s.src.uuid)
            .await?
            .is_some();
        if exists {
            sum.accounts.services_existing += 1;
        } else {
            sum.accounts.services_created += 1;
        }
        let cur = models::imports::cursor(&**c, s.src.uuid).await?;
        let after = cur.session.unwrap_or_else(|| traffic::start(&cur));
        let r = source::remaining(src, s.src.uuid, after, cur.hit).await?;
        sum.traffic.sessions_new += r.sessions as u64;
        sum.traffic.hits_new += r.hits as u64;
        if sum.services_without_ips.contains(&s.src.uuid) {
            sum.traffic.ips_dropped += r.with_ip as u64;
            sum.traffic.user_agents_dropped += r.with_ua as u64;
        }
    }
    Ok(())
}

/// A progress bar over the sessions and hits left to copy (created partitions for their months
/// first, so the rows land in monthly partitions rather than the default one).
async fn progress(
    src: &tokio_postgres::Client,
    pool: &Pool,
    services: &[accounts::Checked],
    quiet: bool,
) -> anyhow::Result<ProgressBar> {
    let c = pool.get().await?;
    let mut total = 0u64;
    for s in services {
        let cur = models::imports::cursor(&**c, s.src.uuid).await?;
        let r = source::remaining(src, s.src.uuid, traffic::start(&cur), cur.hit).await?;
        total += (r.sessions + r.hits) as u64;
        let oldest: Option<chrono::DateTime<chrono::Utc>> = src
            .query_one(
                "SELECT min(start_time) FROM analytics_session WHERE service_id = $1",
                &[&s.src.uuid],
            )
            .await?
            .get(0);
        if let Some(t) = oldest {
            c.query_one("SELECT shynet_ensure_partitions($1, 3)", &[&t])
                .await?;
        }
    }
    let bar = ProgressBar::new(total);
    if quiet {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    }
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:40} {human_pos}/{human_len} rows ({per_sec}, eta {eta})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    Ok(bar)
}
