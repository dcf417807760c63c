//! Command line and environment: every setting is a flag with an env var of the same meaning,
//! using Shynet's names and defaults where they apply.

use clap::builder::BoolishValueParser;
use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;

/// The proxy headers consulted for the client IP (when the peer is a trusted proxy).
pub const DEFAULT_IP_HEADERS: &str = "x-forwarded-for";

/// `shynet`: privacy-friendly, cookie-free web analytics you host yourself.
#[derive(Debug, Parser)]
#[command(name = "shynet", version, about, propagate_version = true)]
pub struct Cli {
    /// Where the data lives.
    #[command(flatten)]
    pub db: DbArgs,
    /// Display time zone for stats and charts (IANA name).
    #[arg(
        long,
        env = "TIME_ZONE",
        default_value = "America/New_York",
        global = true
    )]
    pub time_zone: chrono_tz::Tz,
    /// Whether `--time-zone` was given on the command line (not from TIME_ZONE or the default):
    /// `service create --time-zone Z` then gives the new service its own zone Z.
    #[arg(skip)]
    pub time_zone_given: bool,
    /// Log line format on stderr (filter with SHYNET_LOG, e.g. `warn`).
    #[arg(long, env = "SHYNET_LOG_FORMAT", default_value = "text", global = true)]
    pub log_format: crate::logging::LogFormat,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Database location: a server URL, or the embedded cluster under the data dir.
#[derive(Debug, Clone, Args)]
pub struct DbArgs {
    /// Postgres connection string (e.g. postgres://user:pw@host/db). Without it, shynet runs its
    /// own private Postgres cluster under --data-dir.
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<String>,
    /// Directory of the embedded Postgres cluster (used when no database URL is given).
    #[arg(
        long,
        env = "SHYNET_DATA_DIR",
        default_value = "./shynet-data",
        global = true
    )]
    pub data_dir: PathBuf,
    /// Read replicas (hot standbys of the database above) for the figures of the dashboard,
    /// the API and `shynet stats`; repeat the flag or separate URLs with commas. Writes,
    /// accounts, sessions state and jobs stay on the primary. Never logged (only host and port).
    #[arg(
        long = "read-database-url",
        env = "SHYNET_READ_DATABASE_URL",
        global = true,
        hide_env_values = true,
        value_delimiter = ','
    )]
    pub read_database_url: Vec<String>,
    /// A read replica whose replay is more than this many seconds behind the primary is skipped
    /// (its reads go to the primary) until it catches up; checked in the background.
    #[arg(
        long,
        env = "SHYNET_REPLICA_MAX_LAG",
        default_value_t = crate::replicas::DEFAULT_REPLICA_MAX_LAG_SECS,
        value_parser = clap::value_parser!(u64).range(1..=86_400),
        global = true
    )]
    pub replica_max_lag: u64,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server: migrations, ingest, health (and the dashboard).
    Serve(ServeArgs),
    /// Apply pending database migrations and exit (run once per release, e.g. as a Kubernetes
    /// Job, before replicas started with `serve --skip-migrations`).
    Migrate,
    /// Create an admin user and print a generated password.
    Createadmin {
        /// The admin's email address (their login).
        email: String,
    },
    /// Manage tracked services.
    #[command(subcommand)]
    Service(ServiceCommand),
    /// Manage a service's goals (conversions shown with its stats).
    #[command(subcommand)]
    Goal(crate::goals_cli::GoalCommand),
    /// Create, list and revoke public share links of a service (read-only, optionally noised).
    #[command(subcommand)]
    Share(crate::share_cli::ShareCommand),
    /// Reports by mail: send one now to check the mail setup.
    #[command(subcommand)]
    Report(crate::report_cli::ReportCommand),
    /// Print the core stats of a service for a date window.
    Stats(StatsArgs),
    /// Delete one visitor's data (identifier, IP or session) or a date range of a service's
    /// sessions, with their page views, events and live state; totals are recomputed.
    Delete(crate::erasure_cli::DeleteArgs),
    /// Export a service's raw sessions, page views and events as CSV files or NDJSON.
    Export(crate::export_cli::ExportArgs),
    /// Import accounts, services and their data from another analytics instance.
    #[command(subcommand)]
    Import(crate::import::ImportCommand),
    /// API tokens for scripts (the JSON API and the Plausible-compatible stats API).
    #[command(subcommand)]
    Token(crate::token_cli::TokenCommand),
    /// Generate realistic demo traffic for a service straight into Postgres (binary COPY), then
    /// roll it up: for trying the dashboard and for the benchmarks.
    Demo(DemoArgs),
    /// Write a consistent backup of the database (pg_dump custom format) to a file.
    Backup(BackupArgs),
    /// Replace the database's contents with a backup, in one transaction.
    Restore(RestoreArgs),
    /// Classify User-Agents read from stdin (one per line) exactly as ingestion does.
    Ua,
    /// Show what the configured GeoIP databases say about an address.
    Geoip {
        /// The IP address to look up.
        ip: String,
        /// The databases.
        #[command(flatten)]
        geo: GeoArgs,
    },
}

/// `shynet service …`
#[derive(Debug, Subcommand)]
pub enum ServiceCommand {
    /// Create a service and print its id and install snippet.
    Create {
        /// Display name (1-64 characters).
        #[arg(long)]
        name: String,
        /// Email of the owning user (must exist).
        #[arg(long)]
        owner: String,
        /// Allowed origins: comma-separated scheme://host[:port] list, or * for any.
        #[arg(long, default_value = "*")]
        origins: String,
        /// The site's primary URL.
        #[arg(long, default_value = "")]
        link: String,
        /// Base URL at which browsers reach this server's ingress, used in the snippet.
        #[arg(
            long,
            env = "SHYNET_PUBLIC_URL",
            default_value = "http://127.0.0.1:8080"
        )]
        public_url: String,
    },
    /// List services.
    List,
}

/// `shynet stats …`
#[derive(Debug, Args)]
pub struct StatsArgs {
    /// Service id.
    #[arg(long)]
    pub service: uuid::Uuid,
    /// First day (YYYY-MM-DD, in the service's time zone, year 1970 to 9999); default 30 days ago. A range
    /// spans at most 1100 days (stats::window::MAX_WINDOW_DAYS).
    #[arg(long)]
    pub start: Option<String>,
    /// Last day (YYYY-MM-DD, in the service's time zone); default today.
    #[arg(long)]
    pub end: Option<String>,
    /// Print JSON (the only format for now; kept for scripts that pass it).
    #[arg(long)]
    pub json: bool,
    /// Tracker settings that affect stats (heartbeat frequency for "online").
    #[command(flatten)]
    pub tracking: TrackingArgs,
}

/// `shynet backup …`
#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The archive to write (replaced only once the backup is complete; mode 0600).
    #[arg(long)]
    pub out: PathBuf,
}

/// `shynet restore …`
#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The archive written by `shynet backup`.
    #[arg(long)]
    pub from: PathBuf,
    /// Restore even though the database already holds users or services (they are replaced).
    #[arg(long)]
    pub force: bool,
}

/// `shynet demo …`
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Service id (create it first with `shynet service create`).
    #[arg(long)]
    pub service: uuid::Uuid,
    /// Hits to generate.
    #[arg(long, default_value_t = 100_000)]
    pub hits: u64,
    /// Days of history, ending now.
    #[arg(long, default_value_t = 30)]
    pub days: u32,
    /// Random seed (the same seed gives the same traffic shape).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Tracker settings (the session timeout decides which hours can be rolled up).
    #[command(flatten)]
    pub tracking: TrackingArgs,
}

/// GeoIP databases.
#[derive(Debug, Clone, Args)]
pub struct GeoArgs {
    /// City database(s), comma-separated (GeoIP2/GeoLite2 City or DB-IP/ip-location-db city).
    #[arg(
        long,
        env = "MAXMIND_CITY_DB",
        default_value = "/etc/GeoLite2-City.mmdb",
        value_delimiter = ','
    )]
    pub maxmind_city_db: Vec<PathBuf>,
    /// ASN database(s), comma-separated.
    #[arg(
        long,
        env = "MAXMIND_ASN_DB",
        default_value = "/etc/GeoLite2-ASN.mmdb",
        value_delimiter = ','
    )]
    pub maxmind_asn_db: Vec<PathBuf>,
}

/// Tracker timing shared by ingest and stats.
#[derive(Debug, Clone, Args)]
pub struct TrackingArgs {
    /// Inactivity (seconds) that ends a session; also how long heartbeat tokens are remembered.
    #[arg(long, env = "SESSION_MEMORY_TIMEOUT", default_value_t = 1800)]
    pub session_memory_timeout: u64,
    /// Tracker heartbeat interval (ms); "online" means seen within twice this.
    #[arg(long, env = "SCRIPT_HEARTBEAT_FREQUENCY", default_value_t = 5000)]
    pub script_heartbeat_frequency: u64,
}

/// `shynet serve …`
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "SHYNET_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Do not apply migrations at start-up: a separate `shynet migrate` step (a release Job)
    /// owns the schema, so replicas never race to change it.
    #[arg(long, env = "SHYNET_SKIP_MIGRATIONS", default_value = "false", value_parser = BoolishValueParser::new())]
    pub skip_migrations: bool,
    /// Admin listener for Prometheus' `/metrics` (an address with a port; empty = off). Keep
    /// it on loopback or a private network: it has no authentication.
    #[arg(long, env = "SHYNET_METRICS_LISTEN", default_value = crate::metrics_listen::DEFAULT_METRICS_LISTEN)]
    pub metrics_listen: crate::metrics_listen::MetricsListen,
    /// Tracker timing.
    #[command(flatten)]
    pub tracking: TrackingArgs,
    /// Ingest tuning and privacy switches.
    #[command(flatten)]
    pub ingest: IngestArgs,
    /// GeoIP databases.
    #[command(flatten)]
    pub geo: GeoArgs,
    /// Dashboard, accounts and mail (boxed: it is the largest part of the command line).
    #[command(flatten)]
    pub dashboard: Box<dashboard::DashboardArgs>,
}

/// Ingest settings.
#[derive(Debug, Clone, Args)]
pub struct IngestArgs {
    /// Never store IPs, whatever a service says.
    #[arg(long, env = "BLOCK_ALL_IPS", default_value = "false", value_parser = BoolishValueParser::new())]
    pub block_all_ips: bool,
    /// Proxy headers that carry the client IP, in precedence order (comma-separated, empty =
    /// use only the socket address). Read only from trusted proxies, right-most address first.
    #[arg(long, env = "SHYNET_IP_HEADERS", default_value = DEFAULT_IP_HEADERS)]
    pub ip_headers: String,
    /// Peers whose proxy headers are believed (addresses or CIDR networks, comma-separated;
    /// "none" = every peer is the visitor). Within X-Forwarded-For these are skipped too.
    #[arg(long, env = "SHYNET_TRUSTED_PROXIES", default_value = beacon::client_ip::DEFAULT_TRUSTED_PROXIES)]
    pub trusted_proxies: Networks,
    /// CDN edge networks (e.g. Cloudflare's published ranges): trusted proxies whose
    /// CF-Connecting-IP / True-Client-IP headers are believed. Default none.
    #[arg(long, env = "SHYNET_CDN_PROXIES", default_value = "none")]
    pub cdn_proxies: Networks,
    /// Believe CF-Connecting-IP / True-Client-IP from every trusted proxy (a Cloudflare tunnel
    /// or a proxy on this host that forwards the CDN's header).
    #[arg(long, env = "SHYNET_TRUST_CF_CONNECTING_IP", default_value = "false", value_parser = BoolishValueParser::new())]
    pub trust_cf_connecting_ip: bool,
    /// Beacons buffered between the routes and the writer; when full, ingest answers 503.
    #[arg(long, env = "SHYNET_QUEUE_CAPACITY", default_value_t = 20_000)]
    pub queue_capacity: usize,
    /// Most beacons written in one transaction.
    #[arg(long, env = "SHYNET_BATCH_SIZE", default_value_t = 5_000)]
    pub batch_size: usize,
    /// Connections in the ingest pool (writer, service lookups, jobs).
    #[arg(long, env = "SHYNET_DB_POOL_SIZE", default_value_t = 8)]
    pub db_pool_size: usize,
    /// Connections in the dashboard's own pool (pages, accounts, API); when all are busy a
    /// dashboard request is answered 429 within 2 s instead of touching ingestion's.
    #[arg(long, env = "SHYNET_DASHBOARD_POOL_SIZE", default_value_t = crate::pools::DEFAULT_DASHBOARD_POOL_SIZE)]
    pub dashboard_pool_size: usize,
    /// Connections in the edge batch pool.
    #[arg(long, env = "SHYNET_EDGE_POOL_SIZE", default_value_t = crate::pools::DEFAULT_EDGE_POOL_SIZE)]
    pub edge_pool_size: usize,
    /// Secret shared with the edge worker (its `SHYNET_EDGE_SECRET` secret). Enables the signed
    /// edge endpoints `POST /ingest/v1/batch` and `GET /ingest/v1/config`; without it they
    /// answer 404. Use at least 32 random bytes; never put it in a file under version control.
    #[arg(long, env = "SHYNET_EDGE_SECRET", hide_env_values = true)]
    pub edge_secret: Option<EdgeSecret>,
    /// Most open client connections; more wait in the accept backlog until one closes.
    #[arg(long, env = "SHYNET_MAX_CONNECTIONS", default_value_t = 1024)]
    pub max_connections: usize,
    /// Seconds a client may take to send a request's headers (or keep an idle connection);
    /// slower clients get 408 and are disconnected.
    #[arg(long, env = "SHYNET_HEADER_READ_TIMEOUT", default_value_t = 10)]
    pub header_read_timeout: u64,
    /// Seconds a client may take to send a request body once its headers arrived (every
    /// route); slower clients get 408 and are disconnected.
    #[arg(long, env = "SHYNET_BODY_READ_TIMEOUT", default_value_t = crate::startup::body_deadline::DEFAULT_BODY_READ_TIMEOUT.as_secs())]
    pub body_read_timeout: u64,
    /// Most open connections from one client address (IPv6: one /64); more get 429 and are
    /// closed. Trusted proxies (--trusted-proxies, --cdn-proxies) are exempt.
    #[arg(long, env = "SHYNET_MAX_CONNECTIONS_PER_IP", default_value_t = crate::startup::per_ip::DEFAULT_MAX_CONNECTIONS_PER_IP)]
    pub max_connections_per_ip: usize,
    /// Access log: write 1 request in N (method, path without query, status, duration; never
    /// an address or User-Agent). 0 = off. Refusals are counted in /healthz either way.
    #[arg(long, env = "SHYNET_ACCESS_LOG_SAMPLE", default_value_t = 0)]
    pub access_log_sample: u64,
}

/// A list of networks, validated when the flags are parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Networks(pub Vec<ipnet::IpNet>);

impl std::str::FromStr for Networks {
    type Err = beacon::client_ip::NetworkListError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        beacon::client_ip::parse_networks(s).map(Networks)
    }
}

/// The edge secret: kept out of `Debug` output and logs.
#[derive(Clone, PartialEq, Eq)]
pub struct EdgeSecret(pub String);

impl std::fmt::Debug for EdgeSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EdgeSecret(<redacted>)")
    }
}

impl std::str::FromStr for EdgeSecret {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s.len() < 16 {
            return Err("the edge secret must be at least 16 characters".into());
        }
        Ok(EdgeSecret(s.to_owned()))
    }
}

impl IngestArgs {
    /// The HTTP server's bounds.
    pub fn server_limits(&self) -> crate::startup::server::ServerLimits {
        crate::startup::server::ServerLimits {
            max_connections: self.max_connections.max(1),
            max_connections_per_ip: self.max_connections_per_ip.max(1),
            per_ip_exempt: self.proxy_trust(),
            header_read_timeout: std::time::Duration::from_secs(self.header_read_timeout.max(1)),
            body_read_timeout: std::time::Duration::from_secs(self.body_read_timeout.max(1)),
            ..Default::default()
        }
    }

    /// Sizes of the pools beside the ingest pool.
    pub fn pool_sizes(&self) -> crate::pools::PoolSizes {
        crate::pools::PoolSizes {
            edge: self.edge_pool_size,
            dashboard: self.dashboard_pool_size,
        }
    }

    /// Which peers may speak for the visitor.
    pub fn proxy_trust(&self) -> beacon::client_ip::ProxyTrust {
        beacon::client_ip::ProxyTrust::new(
            self.trusted_proxies.0.clone(),
            self.cdn_proxies.0.clone(),
            self.trust_cf_connecting_ip,
        )
    }

    /// The trusted header names, lower-cased.
    pub fn ip_header_list(&self) -> Vec<String> {
        self.ip_headers
            .split(',')
            .map(|h| h.trim().to_ascii_lowercase())
            .filter(|h| !h.is_empty())
            .collect()
    }
}

impl Default for TrackingArgs {
    fn default() -> Self {
        TrackingArgs {
            session_memory_timeout: 1800,
            script_heartbeat_frequency: 5000,
        }
    }
}

impl Default for IngestArgs {
    fn default() -> Self {
        IngestArgs {
            block_all_ips: false,
            ip_headers: DEFAULT_IP_HEADERS.into(),
            trusted_proxies: Networks(
                beacon::client_ip::parse_networks(beacon::client_ip::DEFAULT_TRUSTED_PROXIES)
                    .unwrap_or_default(),
            ),
            cdn_proxies: Networks(Vec::new()),
            trust_cf_connecting_ip: false,
            queue_capacity: 20_000,
            batch_size: 5_000,
            db_pool_size: 8,
            dashboard_pool_size: crate::pools::DEFAULT_DASHBOARD_POOL_SIZE,
            edge_pool_size: crate::pools::DEFAULT_EDGE_POOL_SIZE,
            edge_secret: None,
            max_connections: 1024,
            header_read_timeout: 10,
            body_read_timeout: crate::startup::body_deadline::DEFAULT_BODY_READ_TIMEOUT.as_secs(),
            max_connections_per_ip: crate::startup::per_ip::DEFAULT_MAX_CONNECTIONS_PER_IP,
            access_log_sample: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrate_is_a_subcommand_and_serve_can_skip_migrations() {
        let cli = Cli::try_parse_from(["shynet", "migrate"]).unwrap();
        assert!(matches!(cli.command, Command::Migrate));
        let cli = Cli::try_parse_from(["shynet", "serve", "--skip-migrations"]).unwrap();
        match cli.command {
            Command::Serve(args) => assert!(args.skip_migrations),
            other => panic!("parsed as {other:?}"),
        }
        let cli = Cli::try_parse_from(["shynet", "serve"]).unwrap();
        match cli.command {
            Command::Serve(args) => assert!(!args.skip_migrations, "migrating is the default"),
            other => panic!("parsed as {other:?}"),
        }
    }

    #[test]
    fn goal_commands_need_exactly_one_target() {
        use crate::goals_cli::GoalCommand;
        let svc = "8a1f0000-0000-4000-8000-000000000001";
        let parse = |args: &[&str]| {
            Cli::try_parse_from(["shynet", "goal"].iter().chain(args).copied())
                .map(|c| c.command)
                .map_err(|e| e.to_string())
        };
        let add = ["add", "--service", svc, "--name", "Signup"];
        let ok = parse(&[&add[..], &["--event", "signup", "--prop", "plan=pro"]].concat());
        assert!(
            matches!(ok, Ok(Command::Goal(GoalCommand::Add { ref prop, .. })) if prop.as_deref() == Some("plan=pro")),
            "{ok:?}"
        );
        let both = parse(&[&add[..], &["--event", "e", "--page", "/x"]].concat()).unwrap_err();
        assert!(both.contains("cannot be used with"), "{both}");
        let neither = parse(&add).unwrap_err();
        assert!(neither.contains("required"), "{neither}");
        assert!(parse(&["remove", "--service", svc]).is_err());
        assert!(parse(&["list", "--service", "not-a-uuid"]).is_err());
    }

    #[test]
    fn proxy_trust_flags_parse_and_bad_networks_are_refused() {
        let serve = |args: &[&str]| match Cli::try_parse_from(
            ["shynet", "serve"].iter().chain(args).copied(),
        ) {
            Ok(Cli {
                command: Command::Serve(s),
                ..
            }) => Ok(s.ingest),
            Ok(other) => panic!("parsed as {:?}", other.command),
            Err(e) => Err(e.to_string()),
        };
        let d = serve(&[]).unwrap();
        assert_eq!(d.trusted_proxies, IngestArgs::default().trusted_proxies);
        assert!(d.proxy_trust().is_trusted("127.0.0.1".parse().unwrap()));
        assert!(!d.proxy_trust().is_trusted("81.2.69.160".parse().unwrap()));
        let none = serve(&["--trusted-proxies", "none"]).unwrap();
        assert!(!none.proxy_trust().is_trusted("127.0.0.1".parse().unwrap()));
        let cdn = serve(&[
            "--cdn-proxies",
            "173.245.48.0/20",
            "--trust-cf-connecting-ip",
        ])
        .unwrap();
        assert!(cdn
            .proxy_trust()
            .is_trusted("173.245.48.9".parse().unwrap()));
        assert!(cdn.trust_cf_connecting_ip);
        let err = serve(&["--trusted-proxies", "10.0.0.0/99"]).unwrap_err();
        assert!(err.contains("not an IP address or CIDR network"), "{err}");
    }
}
