//! Wires the server together: caches, writer, routes, background jobs, and an orderly shutdown
//! that stops accepting, finishes in-flight requests, and writes every queued beacon.

pub mod body_deadline;
pub mod per_ip;
pub mod server;

use crate::config::{IngestArgs, TrackingArgs};
use crate::dropped::DropCounts;
use crate::geo::GeoDb;
use crate::ingress::{ingress_routes, plausible_event_route, Enricher, IngestState, UaCache};
use crate::metrics::IngestMetrics;
use crate::pools::Pools;
use crate::salts::SaltStore;
use crate::services::ServiceCache;
use crate::writer::{self, IngestQueue, WriterConfig, WriterHandle};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::oneshot;
use warp::Filter;

/// Everything `serve` needs besides the database.
#[derive(Debug, Clone)]
pub struct ServeSettings {
    /// Listen address (port 0 picks a free port).
    pub listen: SocketAddr,
    /// Tracker timing.
    pub tracking: TrackingArgs,
    /// Ingest settings.
    pub ingest: IngestArgs,
    /// Display time zone.
    pub time_zone: chrono_tz::Tz,
}

/// A running server.
pub struct Application {
    addr: SocketAddr,
    stop_server: oneshot::Sender<()>,
    server: tokio::task::JoinHandle<()>,
    writer: WriterHandle,
    background: Vec<tokio::task::JoinHandle<()>>,
    /// The ingest queue (for health and tests).
    pub queue: IngestQueue,
    /// Ingest counters.
    pub metrics: Arc<IngestMetrics>,
    /// The per-service settings cache (tests reload it instead of waiting for the refresher).
    pub services: ServiceCache,
    /// Dropped-traffic counters (flushed by the maintenance pass and at shutdown).
    pub drops: Arc<DropCounts>,
    /// The dashboard's shared state (tests reach its share gate through it).
    pub dashboard: dashboard::DashboardState,
    ingest_pool: deadpool_postgres::Pool,
    /// What the admin listener's `/metrics` reports ([`Application::serve_metrics`]).
    exporter: Arc<crate::metrics_export::Exporter>,
    limits: server::ServerLimits,
    metrics_addr: Option<SocketAddr>,
}

impl Application {
    /// Binds, starts the writer and background jobs, and serves with the dashboard's default
    /// settings. Migrations must have run. `pools` is [`Pools`] or, for tests of one part, a
    /// single pool shared by everything.
    pub async fn start(
        settings: ServeSettings,
        pools: impl Into<Pools>,
        geo: GeoDb,
    ) -> anyhow::Result<Application> {
        Self::start_with_dashboard(settings, dashboard::DashboardArgs::default(), pools, geo).await
    }

    /// Like [`Application::start`], with the dashboard's settings (`shynet serve` passes its
    /// flags; tests pick what they exercise).
    pub async fn start_with_dashboard(
        settings: ServeSettings,
        dashboard_args: dashboard::DashboardArgs,
        pools: impl Into<Pools>,
        geo: GeoDb,
    ) -> anyhow::Result<Application> {
        let pools: Pools = pools.into();
        let pool = pools.ingest.clone();
        let dashboard = dashboard::DashboardState::new(
            pools.dashboard.clone(),
            dashboard::DashboardSettings {
                args: dashboard_args,
                time_zone: settings.time_zone,
                heartbeat_ms: settings.tracking.script_heartbeat_frequency,
                block_all_ips: settings.ingest.block_all_ips,
                ip_headers: settings.ingest.ip_header_list(),
                proxy_trust: settings.ingest.proxy_trust(),
            },
        )?;
        dashboard.use_read_replicas(pools.replicas.reads.clone());
        // Measured once before serving, so replicas fit for use take reads from the start.
        pools.replicas.check_once(&pools.health).await;
        let host_guard = webcore::hosts::refuse_unknown_hosts(dashboard.allowed_hosts().clone());
        if let Err(e) = dashboard.load_instance_name().await {
            tracing::warn!(error = ?e, "instance name not loaded; pages show SHYNET_WHITELABEL until it is");
        }
        let session_timeout_secs = settings.tracking.session_memory_timeout as f64;
        let notifier = crate::notify::context::Notifier::new(dashboard.clone());
        let metrics = Arc::new(IngestMetrics::default());
        let drops = Arc::new(DropCounts::default());
        let services = ServiceCache::load(pool.clone()).await?;
        let salts = SaltStore::new(pool.clone(), (session_timeout_secs * 1000.0) as i64);
        salts.rotate(chrono::Utc::now().timestamp_millis()).await?;
        let (queue, writer) = writer::start(
            pool.clone(),
            settings.ingest.queue_capacity,
            WriterConfig {
                batch_size: settings.ingest.batch_size.max(1),
                session_timeout_secs,
                shutdown_retry_limit: Duration::from_secs(30),
            },
            metrics.clone(),
        );
        let state = Arc::new(IngestState {
            services: services.clone(),
            enricher: Enricher {
                ua: UaCache::new()?,
                geo,
                salts: salts.clone(),
                block_all_ips: settings.ingest.block_all_ips,
            },
            queue: queue.clone(),
            metrics: metrics.clone(),
            drops: drops.clone(),
            ip_headers: settings.ingest.ip_header_list(),
            proxy_trust: settings.ingest.proxy_trust(),
            heartbeat_ms: settings.tracking.script_heartbeat_frequency,
            scripts: Default::default(),
        });
        let edge = crate::edge::EdgeApi::new(
            settings.ingest.edge_secret.as_ref().map(|s| s.0.as_str()),
            pools.edge.clone(),
            state.clone(),
            session_timeout_secs,
        );
        let route_counters = Arc::new(crate::route_counters::RouteCounters::default());
        let exporter = Arc::new(crate::metrics_export::Exporter {
            ingest: metrics.clone(),
            routes: route_counters.clone(),
            notify: notifier.metrics.clone(),
            queue: queue.clone(),
            queue_capacity: settings.ingest.queue_capacity.max(1),
            pools: pools.clone(),
            session_timeout_secs,
        });
        let routes = host_guard
            .or(plausible_event_route(state.clone()))
            .unify()
            .or(ingress_routes(state))
            .unify()
            .or(crate::edge::routes(edge))
            .unify()
            .or(crate::health::route(
                pools.health.clone(),
                queue.clone(),
                metrics.clone(),
                notifier.metrics.clone(),
                pools.replicas.clone(),
            ))
            .unify()
            .or(dashboard::routes(dashboard.clone()))
            .unify()
            .with(crate::access_log::layer(settings.ingest.access_log_sample))
            .with(crate::route_counters::layer(route_counters));

        let listener = tokio::net::TcpListener::bind(settings.listen).await?;
        let addr = listener.local_addr()?;
        let (stop_server, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(server::serve(
            listener,
            routes,
            settings.ingest.server_limits(),
            async move {
                let _ = stopped.await;
            },
        ));
        let mut background = vec![
            services.spawn_refresher(),
            crate::shed_log::spawn(metrics.clone()),
            crate::jobs::spawn(
                pool.clone(),
                salts,
                session_timeout_secs,
                drops.clone(),
                Some(notifier),
                pools.local_cluster,
            ),
            dashboard.spawn_instance_name_refresher(),
        ];
        if !pools.replicas.reads.is_empty() {
            background.push(pools.replicas.spawn_checker(pools.health.clone()));
        }
        tracing::info!(%addr, "shynet listening");
        Ok(Application {
            addr,
            stop_server,
            server,
            writer,
            background,
            queue,
            metrics,
            services,
            drops,
            dashboard,
            ingest_pool: pool,
            exporter,
            limits: settings.ingest.server_limits(),
            metrics_addr: None,
        })
    }

    /// Starts the admin listener on `addr`, serving `/metrics` (Prometheus text format) until
    /// shutdown; returns the bound address (port 0 picks a free one).
    pub async fn serve_metrics(&mut self, addr: SocketAddr) -> anyhow::Result<SocketAddr> {
        let (bound, task) =
            crate::metrics_listen::start(addr, self.exporter.clone(), self.limits.clone()).await?;
        self.background.push(task);
        self.metrics_addr = Some(bound);
        Ok(bound)
    }

    /// The admin listener's address, once [`Application::serve_metrics`] started it.
    pub fn metrics_address(&self) -> Option<SocketAddr> {
        self.metrics_addr
    }

    /// Writes the dropped-traffic counters now (the maintenance pass does it every
    /// [`crate::jobs::INTERVAL`]; tests and shutdown do not wait for it).
    pub async fn flush_drops(&self) -> anyhow::Result<usize> {
        crate::jobs::flush_drops(&self.ingest_pool, &self.drops).await
    }

    /// The bound address.
    pub fn address(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting, waits for in-flight requests, then writes every queued beacon.
    pub async fn shutdown(self) {
        let _ = self.stop_server.send(());
        if let Err(e) = self.server.await {
            tracing::error!(error = %e, "server task failed");
        }
        self.writer.drain_and_stop().await;
        if let Err(e) = crate::jobs::flush_drops(&self.ingest_pool, &self.drops).await {
            tracing::warn!(error = %e, "dropped-traffic counters not written at shutdown");
        }
        for t in self.background {
            t.abort();
        }
        tracing::info!("shutdown complete");
    }
}
