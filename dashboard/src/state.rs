//! Everything a dashboard request needs, built once at start-up: the pool, the settings, the
//! compiled templates, the mailer, and the instance name every page shows.

use crate::mail::Mailer;
use crate::render::Templates;
use crate::settings::DashboardArgs;
use crate::site::{allowed_hosts, SiteError, SiteUrl};
use chrono::Duration;
use deadpool_postgres::Pool;
use std::sync::{Arc, RwLock};
use webcore::hosts::AllowedHosts;

/// Settings the dashboard shares with the rest of `shynet serve`.
#[derive(Debug, Clone)]
pub struct DashboardSettings {
    /// The dashboard's own flags.
    pub args: DashboardArgs,
    /// Display zone for days and hours.
    pub time_zone: chrono_tz::Tz,
    /// Tracker heartbeat (ms); "online" means seen within twice this.
    pub heartbeat_ms: u64,
    /// `BLOCK_ALL_IPS`: the collect-IPs switch is forced off.
    pub block_all_ips: bool,
    /// Headers trusted to carry the client address (`SHYNET_IP_HEADERS`), for login throttling.
    pub ip_headers: Vec<String>,
    /// Which socket peers may speak for the client in those headers (the same rule as ingest).
    pub proxy_trust: beacon::client_ip::ProxyTrust,
}

/// Shared state of the dashboard routes (cheap to clone).
#[derive(Clone)]
pub struct DashboardState {
    inner: Arc<Inner>,
}

struct Inner {
    pool: Pool,
    settings: DashboardSettings,
    templates: Templates,
    mailer: Mailer,
    site: Option<SiteUrl>,
    allowed_hosts: AllowedHosts,
    /// The name set on the admin page ("" = none), kept here so rendering a page needs no
    /// database connection of its own: a handler that still holds one while rendering cannot
    /// then wait on a second, which under load exhausted the pool for every request.
    instance: RwLock<String>,
    /// Slots for HTTP exports running at once (`export_http`).
    export_slots: Arc<tokio::sync::Semaphore>,
    /// Permits for computing share answers ([`MAX_CONCURRENT_SHARES`]).
    share_gate: Arc<tokio::sync::Semaphore>,
    /// Hot standbys for statistics reads (none unless set at start-up).
    reads: std::sync::OnceLock<crate::read_pool::ReadReplicas>,
}

/// Share answers computed at once; beyond this, 429 with `Retry-After` at once (half the
/// default dashboard pool, so owners keep connections however many anonymous viewers arrive).
pub const MAX_CONCURRENT_SHARES: usize = 2;

/// How often the instance name is reloaded, so a change made through another process shows
/// everywhere (a change made here shows at once).
pub const INSTANCE_NAME_REFRESH: std::time::Duration = std::time::Duration::from_secs(30);

/// Why the dashboard cannot start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// A template or a message catalogue failed to compile (a bug caught by the tests).
    #[error("template: {0}")]
    Template(String),
    /// Mail settings are unusable.
    #[error("mail settings: {0}")]
    Mail(String),
    /// The dashboard URL or allowed hosts are unusable.
    #[error(transparent)]
    Site(#[from] SiteError),
}

impl DashboardState {
    /// Compiles the templates and sets up mail.
    pub fn new(pool: Pool, settings: DashboardSettings) -> Result<DashboardState, StartError> {
        crate::i18n::init().map_err(StartError::Template)?;
        let templates = Templates::new().map_err(StartError::Template)?;
        let mailer = Mailer::from_args(&settings.args).map_err(StartError::Mail)?;
        let site = SiteUrl::from_args(&settings.args)?;
        let allowed_hosts = allowed_hosts(&settings.args, site.as_ref())?;
        if site.is_none() {
            tracing::warn!(
                "SHYNET_DASHBOARD_URL is not set: password-reset and verification mail will not be sent"
            );
        }
        tracing::info!(hosts = %allowed_hosts.describe(), "allowed hosts");
        Ok(DashboardState {
            inner: Arc::new(Inner {
                pool,
                settings,
                templates,
                mailer,
                site,
                allowed_hosts,
                instance: RwLock::default(),
                export_slots: Arc::new(tokio::sync::Semaphore::new(
                    crate::export_http::MAX_CONCURRENT_EXPORTS,
                )),
                share_gate: Arc::new(tokio::sync::Semaphore::new(MAX_CONCURRENT_SHARES)),
                reads: std::sync::OnceLock::new(),
            }),
        })
    }

    /// The permits public share answers take before touching the database: anonymous requests
    /// for shares can hold at most [`MAX_CONCURRENT_SHARES`] of the dashboard's connections.
    pub fn share_gate(&self) -> &Arc<tokio::sync::Semaphore> {
        &self.inner.share_gate
    }

    /// The configured public base URL, if any (links in mail come only from here).
    pub fn site(&self) -> Option<&SiteUrl> {
        self.inner.site.as_ref()
    }

    /// Whether the dashboard is served over HTTPS (from the configured URL, never from headers).
    pub fn https(&self) -> bool {
        self.inner.site.as_ref().is_some_and(|s| s.https)
    }

    /// The host names the server answers for.
    pub fn allowed_hosts(&self) -> &AllowedHosts {
        &self.inner.allowed_hosts
    }

    /// The connection pool.
    pub fn pool(&self) -> &Pool {
        &self.inner.pool
    }

    /// Sends statistics reads to these replicas (set once, at start-up; later calls are ignored).
    pub fn use_read_replicas(&self, reads: crate::read_pool::ReadReplicas) {
        let _ = self.inner.reads.set(reads);
    }

    /// A connection for statistics reads: a read replica in use, else the primary's pool.
    /// Accounts, permissions and service settings are read with [`DashboardState::pool`], so
    /// what a request just wrote is always seen (see [`crate::read_pool`]).
    ///
    /// A query still running when the connection is dropped is cancelled
    /// ([`crate::read_conn`]).
    pub async fn read_client(
        &self,
    ) -> Result<crate::read_conn::ReadConn, deadpool_postgres::PoolError> {
        let obj = match self.inner.reads.get() {
            Some(r) => r.client(&self.inner.pool).await?,
            None => self.inner.pool.get().await?,
        };
        Ok(obj.into())
    }

    /// A second connection for statistics reads, only if one is free right now, for work that
    /// can run beside the request's first one (the previous period's figures): Postgres then
    /// uses a second core. A request never waits for it while holding its first one, so a busy
    /// dashboard degrades to one connection per request (the same queries, one after the other)
    /// instead of requests queueing behind each other's second connections.
    pub async fn spare_read_client(&self) -> Option<crate::read_conn::ReadConn> {
        let obj = match self.inner.reads.get() {
            Some(r) => r.spare_client(&self.inner.pool).await,
            None => crate::read_pool::now_or_never(&self.inner.pool).await,
        };
        obj.map(Into::into)
    }

    /// The slots of HTTP exports (one permit per running export).
    pub fn export_slots(&self) -> &Arc<tokio::sync::Semaphore> {
        &self.inner.export_slots
    }

    /// The settings.
    pub fn settings(&self) -> &DashboardSettings {
        &self.inner.settings
    }

    /// The dashboard flags.
    pub fn args(&self) -> &DashboardArgs {
        &self.inner.settings.args
    }

    /// The templates.
    pub fn templates(&self) -> &Templates {
        &self.inner.templates
    }

    /// The mailer.
    pub fn mailer(&self) -> &Mailer {
        &self.inner.mailer
    }

    /// The instance name: set on the admin page, else `SHYNET_WHITELABEL`.
    pub fn instance_name(&self) -> String {
        let set = self
            .inner
            .instance
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        if set.trim().is_empty() {
            self.inner.settings.args.whitelabel.clone()
        } else {
            set
        }
    }

    /// Records the name the admin page saved ("" = back to `SHYNET_WHITELABEL`).
    pub fn set_instance_name(&self, name: &str) {
        *self
            .inner
            .instance
            .write()
            .unwrap_or_else(|p| p.into_inner()) = name.to_owned();
    }

    /// Reloads the instance name from the database.
    pub async fn load_instance_name(&self) -> Result<(), crate::page_error::PageError> {
        let c = self.pool().get().await?;
        let v = models::instance::name(&**c).await?;
        self.set_instance_name(v.as_deref().unwrap_or(""));
        Ok(())
    }

    /// Reloads the instance name every [`INSTANCE_NAME_REFRESH`], keeping the last good value
    /// when the database does not answer.
    pub fn spawn_instance_name_refresher(&self) -> tokio::task::JoinHandle<()> {
        let state = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(INSTANCE_NAME_REFRESH);
            tick.tick().await;
            loop {
                tick.tick().await;
                if let Err(e) = state.load_instance_name().await {
                    tracing::warn!(error = ?e, "instance name reload failed; keeping the last one");
                }
            }
        })
    }

    /// "Online" = seen within this.
    pub fn online_window(&self) -> Duration {
        Duration::milliseconds(2 * self.inner.settings.heartbeat_ms as i64)
    }

    /// The instance's zone (`TIME_ZONE`): pages across services and services without their own.
    pub fn tz(&self) -> chrono_tz::Tz {
        self.inner.settings.time_zone
    }

    /// The zone of one service's windows: its own, else the instance's.
    pub fn tz_of(&self, svc: &models::services::ServiceRow) -> chrono_tz::Tz {
        stats::window::service_zone(svc.time_zone.as_deref(), self.tz())
    }
}
