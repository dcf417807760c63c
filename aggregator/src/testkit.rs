//! Test support shared by this crate's integration tests and the cross-process tests: one
//! throwaway Postgres cluster per test process (a real server from the system binaries, run as a
//! child that dies with the process) and a fresh, migrated database per test.

use crate::embedded_pg::throwaway::ThrowawayCluster;
use deadpool_postgres::Pool;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

static CLUSTER: OnceLock<Result<ThrowawayCluster, String>> = OnceLock::new();
static DB_COUNTER: AtomicUsize = AtomicUsize::new(0);

/// Every scratch-directory tag the test suites use (`<temp>/shynet-<tag>-<pid>…`); leftovers
/// of dead test processes under these names are deleted when a test process starts a cluster.
pub const SCRATCH_TAGS: &[&str] = &[
    "test",
    "cli",
    "nopg",
    "nobins",
    "dash-browser",
    "chrome",
    "hostile",
    "edges",
    "privacy",
    "outage",
    "sigterm",
    "sigkill",
    "replicas",
];

/// The process's throwaway cluster, started on first use.
pub fn cluster() -> anyhow::Result<&'static ThrowawayCluster> {
    CLUSTER
        .get_or_init(|| {
            crate::embedded_pg::throwaway::sweep_stale(SCRATCH_TAGS);
            let dir = std::env::temp_dir().join(format!("shynet-test-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            ThrowawayCluster::start(&dir).map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| anyhow::anyhow!("cannot start a throwaway Postgres: {e}"))
}

/// A new empty database with all migrations applied, and its connection settings.
pub async fn fresh_db() -> anyhow::Result<(Pool, tokio_postgres::Config)> {
    let (pool, cfg) = empty_db().await?;
    crate::db::migrate(&pool).await?;
    Ok((pool, cfg))
}

/// A new database with no schema at all (for upgrade tests that migrate step by step).
pub async fn empty_db() -> anyhow::Result<(Pool, tokio_postgres::Config)> {
    let c = cluster()?;
    let name = format!(
        "t{}_{}",
        std::process::id(),
        DB_COUNTER.fetch_add(1, Ordering::SeqCst)
    );
    let admin = crate::db::make_pool(c.dirs.pg_config("postgres"), 1)?;
    let mut tries = 0;
    let client = loop {
        match admin.get().await {
            Ok(cl) => break cl,
            Err(e) => {
                tries += 1;
                if tries > 300 {
                    anyhow::bail!("cannot connect to the throwaway cluster: {e}");
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    };
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await?;
    drop(client);
    admin.close();
    let cfg = c.dirs.pg_config(&name);
    let pool = crate::db::make_pool(cfg.clone(), 8)?;
    Ok((pool, cfg))
}

static STANDBY_COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A hot standby of the process's throwaway cluster, streaming from it.
#[derive(Debug)]
pub struct Standby {
    /// Its layout (its own socket directory, same port number).
    pub dirs: crate::embedded_pg::ClusterDirs,
}

impl Standby {
    /// Connection settings for `dbname` on the standby.
    pub fn pg_config(&self, dbname: &str) -> tokio_postgres::Config {
        self.dirs.pg_config(dbname)
    }
}

/// Makes a streaming replica of the throwaway cluster with `pg_basebackup -R` (the cluster's
/// `pg_hba.conf` from `initdb --auth=trust` allows replication through its socket) and starts
/// it as a hot standby that dies with the test process. It may still be starting up when this
/// returns: connect with retries.
pub fn start_standby() -> anyhow::Result<Standby> {
    use crate::embedded_pg::{io_err, run, ClusterDirs, PgBinaries, RunAs, SOCKET_PORT};
    use std::os::unix::fs::PermissionsExt;
    let primary = cluster()?;
    let n = STANDBY_COUNTER.fetch_add(1, Ordering::SeqCst);
    let root = primary.dirs.root.join(format!("standby-{n}"));
    let dirs = ClusterDirs::new(&root)?;
    let run_as = RunAs::detect()?;
    for d in [&dirs.pgdata, &dirs.socket_dir] {
        std::fs::create_dir_all(d).map_err(io_err(format!("create {}", d.display())))?;
        std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o700))
            .map_err(io_err(format!("chmod {}", d.display())))?;
        run_as.chown(d)?;
    }
    let bins = PgBinaries::locate()?;
    // Beside the real `initdb` (PATH may hold only symlinks to a few of the tools).
    let basebackup = bins
        .initdb
        .canonicalize()
        .map(|p| p.with_file_name("pg_basebackup"))
        .ok()
        .filter(|p| p.is_file())
        .unwrap_or_else(|| "pg_basebackup".into());
    let mut cmd = run_as.command(&basebackup);
    cmd.arg("-D")
        .arg(&dirs.pgdata)
        .arg("-h")
        .arg(&primary.dirs.socket_dir)
        .args(["-p", &SOCKET_PORT.to_string()])
        .args(["-U", crate::embedded_pg::DB_NAME])
        .args(["-R", "-X", "stream", "-c", "fast", "--no-sync"]);
    run(cmd, "pg_basebackup")?;
    // The copied configuration names the primary's socket directory: the standby gets its own.
    let conf = format!(
        "\n# standby of a test cluster\nunix_socket_directories = '{}'\nhot_standby = on\nhot_standby_feedback = on\n",
        dirs.socket_dir.display()
    );
    use std::io::Write;
    std::fs::OpenOptions::new()
        .append(true)
        .open(dirs.pgdata.join("postgresql.conf"))
        .and_then(|mut f| f.write_all(conf.as_bytes()))
        .map_err(io_err("write the standby's postgresql.conf"))?;
    crate::embedded_pg::throwaway::spawn_server(&bins, run_as, &dirs, &root)?;
    Ok(Standby { dirs })
}

/// A PgBouncer (the `pgbouncer` on the PATH, 1.21 or later) in transaction pool mode in front of
/// one database of the throwaway cluster, listening on a Unix socket in its own directory, with
/// protocol-level prepared statements tracked across its server connections. Stopped on drop.
#[derive(Debug)]
pub struct PgBouncer {
    /// `(major, minor)` of the installed PgBouncer.
    pub version: (u32, u32),
    dir: std::path::PathBuf,
    child: std::process::Child,
}

/// The first PgBouncer that carries prepared statements across server connections
/// (`max_prepared_statements`); the writer prepares its statements once per connection.
pub const PGBOUNCER_MIN_VERSION: (u32, u32) = (1, 21);
/// Server connections per database and user (`default_pool_size`): several, so a statement
/// prepared on one must be found on the others.
pub const PGBOUNCER_SERVER_CONNECTIONS: usize = 4;
/// The port number in the name of PgBouncer's socket file.
const PGBOUNCER_PORT: u16 = 6432;

/// The installed PgBouncer's `(major, minor)` version.
pub fn pgbouncer_version() -> anyhow::Result<(u32, u32)> {
    let out = std::process::Command::new("pgbouncer")
        .arg("--version")
        .output()
        .map_err(|e| anyhow::anyhow!("cannot run pgbouncer (apt-get install pgbouncer): {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let v = text
        .split_whitespace()
        .nth(1)
        .ok_or_else(|| anyhow::anyhow!("unexpected `pgbouncer --version` output: {text}"))?;
    let mut parts = v.split('.').map(|p| p.parse::<u32>());
    match (parts.next(), parts.next()) {
        (Some(Ok(a)), Some(Ok(b))) => Ok((a, b)),
        _ => anyhow::bail!("unexpected `pgbouncer --version` output: {text}"),
    }
}

impl PgBouncer {
    /// Starts PgBouncer for database `dbname` of the throwaway cluster; refuses a PgBouncer older
    /// than [`PGBOUNCER_MIN_VERSION`] (`scripts/setup` builds a recent one).
    pub fn start(dbname: &str) -> anyhow::Result<PgBouncer> {
        use crate::embedded_pg::{io_err, RunAs};
        use std::os::unix::fs::PermissionsExt;
        let primary = cluster()?;
        let version = pgbouncer_version()?;
        if version < PGBOUNCER_MIN_VERSION {
            anyhow::bail!(
                "PgBouncer {}.{} cannot track prepared statements; {}.{} or later is needed \
                 (run scripts/setup as root, which builds one into /usr/local)",
                version.0,
                version.1,
                PGBOUNCER_MIN_VERSION.0,
                PGBOUNCER_MIN_VERSION.1
            );
        }
        let n = STANDBY_COUNTER.fetch_add(1, Ordering::SeqCst);
        let dir = primary.dirs.root.join(format!("pgbouncer-{n}"));
        std::fs::create_dir_all(&dir).map_err(io_err("create the pgbouncer dir"))?;
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))
            .map_err(io_err("chmod the pgbouncer dir"))?;
        let run_as = RunAs::detect()?;
        run_as.chown(&dir)?;
        let ini = format!(
            "[databases]\n{dbname} = host={sock} port={port} dbname={dbname} user={user}\n\n\
             [pgbouncer]\nunix_socket_dir = {dir}\nlisten_port = {PGBOUNCER_PORT}\n\
             auth_type = any\npool_mode = transaction\n\
             default_pool_size = {PGBOUNCER_SERVER_CONNECTIONS}\nmax_prepared_statements = 200\n\
             max_client_conn = 500\nignore_startup_parameters = extra_float_digits\n\
             logfile = {dir}/pgbouncer.log\n",
            sock = primary.dirs.socket_dir.display(),
            port = crate::embedded_pg::SOCKET_PORT,
            user = crate::embedded_pg::DB_NAME,
            dir = dir.display(),
        );
        let ini_path = dir.join("pgbouncer.ini");
        std::fs::write(&ini_path, ini).map_err(io_err("write pgbouncer.ini"))?;
        run_as.chown(&ini_path)?;
        let mut cmd = run_as.command(std::path::Path::new("pgbouncer"));
        cmd.arg(&ini_path)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        // Dies with the thread that started it, should the test process be killed.
        // SAFETY: only calls prctl between fork and exec.
        unsafe {
            use std::os::unix::process::CommandExt;
            cmd.pre_exec(|| {
                nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGTERM)
                    .map_err(std::io::Error::from)
            });
        }
        let child = cmd
            .spawn()
            .map_err(|e| anyhow::anyhow!("cannot start pgbouncer: {e}"))?;
        let me = PgBouncer {
            version,
            dir,
            child,
        };
        let socket = me.dir.join(format!(".s.PGSQL.{PGBOUNCER_PORT}"));
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while !socket.exists() {
            if std::time::Instant::now() > deadline {
                let log = std::fs::read_to_string(me.dir.join("pgbouncer.log")).unwrap_or_default();
                anyhow::bail!("pgbouncer did not open its socket within 30 s: {log}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(me)
    }

    /// Connection settings for `dbname` through PgBouncer.
    pub fn pg_config(&self, dbname: &str) -> tokio_postgres::Config {
        let mut cfg = tokio_postgres::Config::new();
        cfg.host_path(&self.dir)
            .port(PGBOUNCER_PORT)
            .user(crate::embedded_pg::DB_NAME)
            .dbname(dbname)
            .application_name("shynet");
        cfg
    }

    /// PgBouncer's log so far (for failure messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("pgbouncer.log")).unwrap_or_default()
    }
}

impl Drop for PgBouncer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
