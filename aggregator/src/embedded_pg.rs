//! The embedded Postgres of a single-machine install: a private cluster under the data dir,
//! created with the system's `initdb`/`pg_ctl`/`postgres`, reachable only through a Unix socket
//! inside the data dir. Several `shynet` processes share one cluster: each holds a shared lock on
//! `users.lock` (set-up and shutdown are serialised by `setup.lock`); the last one out stops it.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Environment variable naming the directory of `initdb`/`pg_ctl`/`postgres`.
pub const PG_BIN_DIR_ENV: &str = "SHYNET_PG_BIN_DIR";
/// Name of the database and role the embedded cluster serves.
pub const DB_NAME: &str = "shynet";
/// Port number baked into the socket file name (no TCP listener is opened).
pub const SOCKET_PORT: u16 = 5432;
/// Longest Unix socket path the kernel accepts (sun_path is 108 bytes with the NUL).
const MAX_SOCKET_PATH: usize = 107;

/// Server settings given at every start (`pg_ctl -o`), so clusters made by earlier versions get
/// them too; settings only an initdb needs are in the `postgresql.conf` it writes. Both are
/// about the dashboard's reads, many short statements on a few connections at once, on a small
/// machine (statement logs and EXPLAIN ANALYZE at 30M demo hits, one filter over 30 days):
///
/// - no parallel query: a worker costs more to start than it saves; the API read took 215 ms
///   with the default of 2 workers per statement and 105 ms without (a 3 ms hash join waited
///   40 ms for its worker). Workers would also escape the rollup backend's lowered CPU priority.
/// - no JIT: the tables statement's estimated cost crosses `jit_above_cost` over partitioned
///   tables, and compiling its 319 functions took 352 ms of its 448 (72 ms without); whether it
///   crosses depends on the planner's statistics, which made the same page fast in one
///   benchmark run and 40 % slower in the next.
pub const START_OPTIONS: &str = "-c max_parallel_workers_per_gather=0 -c jit=off";

/// What can go wrong while preparing the embedded cluster; each message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum EmbeddedPgError {
    /// No Postgres server binaries were found.
    #[error(
        "no PostgreSQL server binaries found (looked for `initdb`, `pg_ctl` and `postgres` on PATH \
         and in /usr/lib/postgresql/*/bin). Install them (Debian/Ubuntu: `apt-get install postgresql`; \
         Fedora: `dnf install postgresql-server`; macOS: `brew install postgresql`) or point \
         --database-url / DATABASE_URL at an existing server"
    )]
    NoBinaries,
    /// Running as root but no unprivileged account exists to run Postgres.
    #[error(
        "running as root, and Postgres refuses to run as root, but there is no `postgres` or \
         `nobody` account to run it as; create one (`useradd --system postgres`) or run shynet \
         as an ordinary user"
    )]
    NoUnprivilegedUser,
    /// The unprivileged user cannot reach the data dir.
    #[error(
        "the embedded Postgres runs as the unprivileged user `{user}`, which cannot enter `{dir}`; \
         choose a --data-dir / SHYNET_DATA_DIR it can reach (e.g. under /var/lib or /srv) or set \
         DATABASE_URL"
    )]
    Unreachable {
        /// The account Postgres runs as.
        user: String,
        /// The directory it cannot traverse.
        dir: PathBuf,
    },
    /// The socket path would exceed the kernel's limit.
    #[error(
        "the data dir path is too long for a Unix socket ({len} bytes > {MAX_SOCKET_PATH}); use a \
         shorter --data-dir"
    )]
    PathTooLong {
        /// Length of the socket path.
        len: usize,
    },
    /// A Postgres tool failed.
    #[error("`{tool}` failed: {detail}")]
    Tool {
        /// Which command.
        tool: String,
        /// Its output or error.
        detail: String,
    },
    /// File-system trouble.
    #[error("{context}: {source}")]
    Io {
        /// What we were doing.
        context: String,
        /// The error.
        source: std::io::Error,
    },
}

pub fn io_err(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> EmbeddedPgError {
    let context = context.into();
    move |source| EmbeddedPgError::Io { context, source }
}

/// Paths of the Postgres server tools.
#[derive(Debug, Clone)]
pub struct PgBinaries {
    /// `initdb`
    pub initdb: PathBuf,
    /// `pg_ctl`
    pub pg_ctl: PathBuf,
    /// `postgres`
    pub postgres: PathBuf,
}

impl PgBinaries {
    /// Finds the tools in `SHYNET_PG_BIN_DIR` when set (to pick a Postgres version), else on
    /// PATH, else in the newest `/usr/lib/postgresql/<v>/bin` (Debian keeps them off PATH).
    pub fn locate() -> Result<Self, EmbeddedPgError> {
        Self::locate_in(&search_dirs())
    }

    /// Finds the tools in the first of `dirs` that has all three.
    pub fn locate_in(dirs: &[PathBuf]) -> Result<Self, EmbeddedPgError> {
        for dir in dirs {
            let initdb = dir.join("initdb");
            let pg_ctl = dir.join("pg_ctl");
            let postgres = dir.join("postgres");
            if initdb.is_file() && pg_ctl.is_file() && postgres.is_file() {
                return Ok(PgBinaries {
                    initdb,
                    pg_ctl,
                    postgres,
                });
            }
        }
        Err(EmbeddedPgError::NoBinaries)
    }
}

/// Where Postgres tools are looked for, in order: `SHYNET_PG_BIN_DIR` alone when set (to pick a
/// Postgres version), else PATH, then `/usr/lib/postgresql/<v>/bin` newest first (Debian keeps
/// the server tools off PATH).
pub fn search_dirs() -> Vec<PathBuf> {
    if let Some(dir) = std::env::var_os(PG_BIN_DIR_ENV).filter(|d| !d.is_empty()) {
        return vec![PathBuf::from(dir)];
    }
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    if let Ok(entries) = std::fs::read_dir("/usr/lib/postgresql") {
        let mut versions: Vec<(u32, PathBuf)> = entries
            .flatten()
            .filter_map(|e| {
                let v = e.file_name().to_str()?.parse::<u32>().ok()?;
                Some((v, e.path().join("bin")))
            })
            .collect();
        versions.sort_by_key(|v| std::cmp::Reverse(v.0));
        dirs.extend(versions.into_iter().map(|(_, p)| p));
    }
    dirs
}

/// The account the server processes run as: ourselves, or an unprivileged one when we are root.
#[derive(Debug, Clone)]
pub struct RunAs {
    user: Option<nix::unistd::User>,
}

impl RunAs {
    pub fn detect() -> Result<Self, EmbeddedPgError> {
        if !nix::unistd::geteuid().is_root() {
            return Ok(RunAs { user: None });
        }
        for name in ["postgres", "nobody"] {
            if let Ok(Some(u)) = nix::unistd::User::from_name(name) {
                return Ok(RunAs { user: Some(u) });
            }
        }
        Err(EmbeddedPgError::NoUnprivilegedUser)
    }

    pub fn command(&self, program: &Path) -> Command {
        let mut cmd = Command::new(program);
        if let Some(u) = &self.user {
            cmd.uid(u.uid.as_raw()).gid(u.gid.as_raw());
            cmd.env("HOME", &u.dir);
            cmd.env("USER", &u.name);
        }
        // Never inherit a caller's PG* settings into the server tools.
        cmd.env_remove("PGDATA")
            .env_remove("PGHOST")
            .env_remove("PGPORT");
        cmd.current_dir("/");
        cmd
    }

    pub fn chown(&self, path: &Path) -> Result<(), EmbeddedPgError> {
        if let Some(u) = &self.user {
            std::os::unix::fs::chown(path, Some(u.uid.as_raw()), Some(u.gid.as_raw()))
                .map_err(io_err(format!("chown {}", path.display())))?;
        }
        Ok(())
    }

    /// Refuses early, with advice, when the unprivileged account cannot traverse to `dir`.
    fn check_reachable(&self, dir: &Path) -> Result<(), EmbeddedPgError> {
        let Some(u) = &self.user else { return Ok(()) };
        let mut cur = Some(dir);
        while let Some(p) = cur {
            if let Ok(meta) = std::fs::metadata(p) {
                use std::os::unix::fs::MetadataExt;
                let mode = meta.permissions().mode();
                let ok = if meta.uid() == u.uid.as_raw() {
                    mode & 0o100 != 0
                } else if meta.gid() == u.gid.as_raw() {
                    mode & 0o010 != 0
                } else {
                    mode & 0o001 != 0
                };
                if !ok {
                    return Err(EmbeddedPgError::Unreachable {
                        user: u.name.clone(),
                        dir: p.to_path_buf(),
                    });
                }
            }
            cur = p.parent();
        }
        Ok(())
    }

    fn name(&self) -> String {
        self.user
            .as_ref()
            .map(|u| u.name.clone())
            .unwrap_or_else(|| "the current user".into())
    }
}

pub fn run(mut cmd: Command, tool: &str) -> Result<String, EmbeddedPgError> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| EmbeddedPgError::Tool {
            tool: tool.into(),
            detail: e.to_string(),
        })?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if out.status.success() {
        Ok(text)
    } else {
        Err(EmbeddedPgError::Tool {
            tool: tool.into(),
            detail: text.trim().to_owned(),
        })
    }
}

/// A cluster directory layout: `<data>/pg` (PGDATA), `<data>/run` (socket), `<data>/*.lock`.
#[derive(Debug, Clone)]
pub struct ClusterDirs {
    /// The data dir given by the user (absolute).
    pub root: PathBuf,
    /// PGDATA.
    pub pgdata: PathBuf,
    /// Where the Unix socket lives.
    pub socket_dir: PathBuf,
}

impl ClusterDirs {
    /// Lays out the directories under `root` (made absolute).
    pub fn new(root: &Path) -> Result<Self, EmbeddedPgError> {
        std::fs::create_dir_all(root).map_err(io_err(format!("create {}", root.display())))?;
        let root = root
            .canonicalize()
            .map_err(io_err(format!("resolve {}", root.display())))?;
        let socket_dir = root.join("run");
        let sock_len = socket_dir
            .join(format!(".s.PGSQL.{SOCKET_PORT}"))
            .as_os_str()
            .len();
        if sock_len > MAX_SOCKET_PATH {
            return Err(EmbeddedPgError::PathTooLong { len: sock_len });
        }
        Ok(ClusterDirs {
            pgdata: root.join("pg"),
            socket_dir,
            root,
        })
    }

    /// Connection settings for the cluster's socket.
    pub fn pg_config(&self, dbname: &str) -> tokio_postgres::Config {
        let mut cfg = tokio_postgres::Config::new();
        cfg.host_path(&self.socket_dir)
            .port(SOCKET_PORT)
            .user(DB_NAME)
            .dbname(dbname)
            .application_name("shynet");
        cfg
    }
}

/// Creates PGDATA with `initdb` if it does not hold a cluster yet, and writes our settings.
fn init_cluster(
    bins: &PgBinaries,
    run_as: &RunAs,
    dirs: &ClusterDirs,
) -> Result<(), EmbeddedPgError> {
    if dirs.pgdata.join("PG_VERSION").is_file() {
        return Ok(());
    }
    // We open up the data dir itself below; its ancestors must already be traversable.
    if let Some(parent) = dirs.root.parent() {
        run_as.check_reachable(parent)?;
    }
    // Let the unprivileged account traverse the data dir.
    if run_as.user.is_some() {
        let mut perm = std::fs::metadata(&dirs.root)
            .map_err(io_err("stat data dir"))?
            .permissions();
        perm.set_mode(perm.mode() | 0o711);
        std::fs::set_permissions(&dirs.root, perm).map_err(io_err("chmod data dir"))?;
    }
    for d in [&dirs.pgdata, &dirs.socket_dir] {
        std::fs::create_dir_all(d).map_err(io_err(format!("create {}", d.display())))?;
        std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o700))
            .map_err(io_err(format!("chmod {}", d.display())))?;
        run_as.chown(d)?;
    }
    let mut cmd = run_as.command(&bins.initdb);
    cmd.arg("-D").arg(&dirs.pgdata).args([
        "-U",
        DB_NAME,
        "--auth=trust",
        "--encoding=UTF8",
        "--no-locale",
        "--no-sync",
    ]);
    run(cmd, "initdb").map_err(|e| match e {
        EmbeddedPgError::Tool { tool, detail } => EmbeddedPgError::Tool {
            tool,
            detail: format!("{detail} (running as {})", run_as.name()),
        },
        other => other,
    })?;
    let conf = format!(
        "\n# written by shynet: private cluster, reachable only through the socket below\n\
         listen_addresses = ''\n\
         unix_socket_directories = '{}'\n\
         unix_socket_permissions = 0700\n\
         port = {SOCKET_PORT}\n\
         # room for several replicas' pools (22 each by default) and the admin commands\n\
         max_connections = 100\n\
         # Postgres's default, kept for small machines; bench/pg_tuning.sh has a 512MB profile\n\
         shared_buffers = 128MB\n\
         # sustained ingest forced a checkpoint every 16-28 s at the default 1GB (one-hour soak),\n\
         # and each one re-logs whole pages of the live-state tables; 2GB/15min wrote 21 % less\n\
         # WAL per beacon over 5 minutes (4GB: 28 %) at the same rate (bench/pg_tuning.sh); 2GB\n\
         # bounds the WAL kept on a small disk. wal_compression (lz4) measured no better.\n\
         max_wal_size = 2GB\n\
         checkpoint_timeout = 15min\n\
         # live-state fillfactor and HOT updates are set by the schema (migration V8), their\n\
         # autovacuum thresholds too (V25); checking every 15 s instead of every minute lets a\n\
         # vacuum start soon after the expiry has left enough dead rows to be worth one\n\
         autovacuum_naptime = 15s\n\
         logging_collector = off\n",
        dirs.socket_dir.display()
    );
    use std::io::Write;
    let mut f = OpenOptions::new()
        .append(true)
        .open(dirs.pgdata.join("postgresql.conf"))
        .map_err(io_err("open postgresql.conf"))?;
    f.write_all(conf.as_bytes())
        .map_err(io_err("write postgresql.conf"))?;
    Ok(())
}

/// A running embedded cluster this process uses. Dropping it without [`Cluster::release`] leaves
/// the server running (the next `shynet` command picks it up and stops it when it is last out).
#[derive(Debug)]
pub struct Cluster {
    /// The directory layout.
    pub dirs: ClusterDirs,
    bins: PgBinaries,
    run_as: RunAs,
    setup: File,
    users: File,
}

fn open_lock(path: &Path) -> Result<File, EmbeddedPgError> {
    OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .write(true)
        .open(path)
        .map_err(io_err(format!("open {}", path.display())))
}

impl Cluster {
    /// Creates the cluster on first use, starts it unless another `shynet` process already did,
    /// and registers this process as a user of it.
    pub fn ensure_running(data_dir: &Path) -> Result<Cluster, EmbeddedPgError> {
        let bins = PgBinaries::locate()?;
        let run_as = RunAs::detect()?;
        let dirs = ClusterDirs::new(data_dir)?;
        let setup = open_lock(&dirs.root.join("setup.lock"))?;
        // Exclusive while we set up, so two commands started together do not both start it.
        setup.lock().map_err(io_err("lock setup.lock"))?;
        let result = (|| {
            init_cluster(&bins, &run_as, &dirs)?;
            if !Self::is_running(&bins, &run_as, &dirs) {
                let mut cmd = run_as.command(&bins.pg_ctl);
                cmd.arg("-D")
                    .arg(&dirs.pgdata)
                    .arg("-l")
                    .arg(dirs.pgdata.join("server.log"))
                    .args(["-o", START_OPTIONS, "-w", "-t", "60", "start"]);
                run(cmd, "pg_ctl start").map_err(|e| match e {
                    EmbeddedPgError::Tool { tool, detail } => EmbeddedPgError::Tool {
                        tool,
                        detail: format!(
                            "{detail}; see {}",
                            dirs.pgdata.join("server.log").display()
                        ),
                    },
                    other => other,
                })?;
                tracing::info!(data_dir = %dirs.root.display(), "embedded Postgres started");
            } else {
                tracing::info!(data_dir = %dirs.root.display(), "using the running embedded Postgres");
            }
            // Register as a user of the cluster (shared: many users at once).
            let users = open_lock(&dirs.root.join("users.lock"))?;
            users.lock_shared().map_err(io_err("lock users.lock"))?;
            Ok(users)
        })();
        let _ = setup.unlock();
        let users = result?;
        Ok(Cluster {
            dirs,
            bins,
            run_as,
            setup,
            users,
        })
    }

    fn is_running(bins: &PgBinaries, run_as: &RunAs, dirs: &ClusterDirs) -> bool {
        let mut cmd = run_as.command(&bins.pg_ctl);
        cmd.arg("-D").arg(&dirs.pgdata).arg("status");
        cmd.stdout(Stdio::null()).stderr(Stdio::null());
        matches!(cmd.status(), Ok(s) if s.success())
    }

    /// Connection settings for this cluster.
    pub fn pg_config(&self, dbname: &str) -> tokio_postgres::Config {
        self.dirs.pg_config(dbname)
    }

    /// Unregisters this process; if no other `shynet` process uses the cluster, stops it
    /// cleanly (fast shutdown: sessions end, data is checkpointed).
    pub fn release(self) -> Result<(), EmbeddedPgError> {
        // Hold the setup lock so no command starts using the cluster while we decide to stop it.
        self.setup.lock().map_err(io_err("lock setup.lock"))?;
        let _ = self.users.unlock();
        let result = if self.users.try_lock().is_ok() {
            let mut cmd = self.run_as.command(&self.bins.pg_ctl);
            cmd.arg("-D")
                .arg(&self.dirs.pgdata)
                .args(["-m", "fast", "-w", "stop"]);
            let res = run(cmd, "pg_ctl stop");
            let _ = self.users.unlock();
            if res.is_ok() {
                tracing::info!("embedded Postgres stopped");
            }
            res.map(|_| ())
        } else {
            tracing::info!("embedded Postgres left running for the other shynet processes");
            Ok(())
        };
        let _ = self.setup.unlock();
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_binaries_say_how_to_install() {
        let empty = std::env::temp_dir().join(format!("shynet-nobins-{}", std::process::id()));
        std::fs::create_dir_all(&empty).unwrap();
        let e = PgBinaries::locate_in(std::slice::from_ref(&empty)).unwrap_err();
        let _ = std::fs::remove_dir_all(&empty);
        assert!(matches!(e, EmbeddedPgError::NoBinaries));
        assert!(e.to_string().contains("apt-get install postgresql"));
    }

    #[test]
    fn socket_path_limit_is_checked() {
        let long = std::env::temp_dir().join("x".repeat(120));
        assert!(matches!(
            ClusterDirs::new(&long),
            Err(EmbeddedPgError::PathTooLong { .. })
        ));
        let _ = std::fs::remove_dir_all(long);
    }
}

/// A throwaway cluster for tests: created in a fresh directory and run as a direct child that
/// dies with the test process (no stray servers between test binaries).
pub mod throwaway {
    use super::*;
    use std::time::{Duration, Instant};

    /// A running throwaway server; lives as long as the process.
    #[derive(Debug)]
    pub struct ThrowawayCluster {
        /// Its layout.
        pub dirs: ClusterDirs,
    }

    impl ThrowawayCluster {
        /// Starts a new cluster under `dir` (which must not hold one yet) and waits until it
        /// accepts connections.
        pub fn start(dir: &Path) -> Result<ThrowawayCluster, EmbeddedPgError> {
            let bins = PgBinaries::locate()?;
            let run_as = RunAs::detect()?;
            let dirs = ClusterDirs::new(dir)?;
            init_cluster(&bins, &run_as, &dirs)?;
            // Tests favour speed over durability. Streaming replication stays possible (Postgres's
            // defaults, spelled out): `testkit::start_standby` makes hot standbys of this cluster,
            // and initdb's `pg_hba.conf` (trust) admits replication through the socket.
            let mut extra = OpenOptions::new()
                .append(true)
                .open(dirs.pgdata.join("postgresql.conf"))
                .map_err(io_err("open postgresql.conf"))?;
            use std::io::Write;
            extra
                .write_all(
                    b"fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n\
                      wal_level = replica\nmax_wal_senders = 10\n",
                )
                .map_err(io_err("write postgresql.conf"))?;
            spawn_server(&bins, run_as, &dirs, dir)?;
            Ok(ThrowawayCluster { dirs })
        }
    }

    /// Runs `postgres -D <dirs.pgdata>` as a child that dies with this process (deleting `dir`
    /// at exit) and waits until its socket exists.
    pub fn spawn_server(
        bins: &PgBinaries,
        run_as: RunAs,
        dirs: &ClusterDirs,
        dir: &Path,
    ) -> Result<(), EmbeddedPgError> {
        let pgdata = dirs.pgdata.clone();
        let postgres = bins.postgres.clone();
        let dir_for_cleanup = dir.to_path_buf();
        let (tx, rx) = std::sync::mpsc::channel();
        // A dedicated thread owns the child: PR_SET_PDEATHSIG fires when the spawning
        // *thread* exits, so that thread must live as long as the process.
        std::thread::spawn(move || {
            let mut cmd = run_as.command(&postgres);
            cmd.arg("-D").arg(&pgdata);
            cmd.stdout(Stdio::null()).stderr(Stdio::null());
            unsafe {
                cmd.pre_exec(|| {
                    nix::sys::prctl::set_pdeathsig(nix::sys::signal::Signal::SIGINT)
                        .map_err(std::io::Error::from)
                });
            }
            match cmd.spawn() {
                Ok(mut child) => {
                    cleanup::arm(child.id(), &dir_for_cleanup);
                    let _ = tx.send(Ok(()));
                    let _ = child.wait();
                    loop {
                        std::thread::park();
                    }
                }
                Err(e) => {
                    let _ = tx.send(Err(e));
                }
            }
        });
        rx.recv()
            .map_err(|_| EmbeddedPgError::Tool {
                tool: "postgres".into(),
                detail: "launcher thread died".into(),
            })?
            .map_err(|e| EmbeddedPgError::Tool {
                tool: "postgres".into(),
                detail: e.to_string(),
            })?;
        let socket = dirs.socket_dir.join(format!(".s.PGSQL.{SOCKET_PORT}"));
        let deadline = Instant::now() + Duration::from_secs(30);
        while !socket.exists() {
            if Instant::now() > deadline {
                return Err(EmbeddedPgError::Tool {
                    tool: "postgres".into(),
                    detail: "did not open its socket within 30 s".into(),
                });
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(())
    }

    /// Stops the server and deletes its directory when the test process exits normally, so
    /// test runs do not leave a cluster (hundreds of MiB) behind in the temp directory; a killed
    /// process leaves one, which [`sweep_stale`] removes on a later run.
    mod cleanup {
        use std::path::{Path, PathBuf};
        use std::sync::{Mutex, Once};
        use std::time::{Duration, Instant};

        static CHILDREN: Mutex<Vec<(u32, PathBuf)>> = Mutex::new(Vec::new());
        static ARMED: Once = Once::new();

        extern "C" {
            fn atexit(callback: extern "C" fn()) -> std::os::raw::c_int;
        }

        pub(super) fn arm(pid: u32, dir: &Path) {
            CHILDREN
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push((pid, dir.to_path_buf()));
            // SAFETY: registers a plain `extern "C"` function with no captured state, once.
            ARMED.call_once(|| unsafe {
                atexit(on_exit);
            });
        }

        extern "C" fn on_exit() {
            use nix::sys::signal::{kill, Signal};
            use nix::unistd::Pid;
            let children = std::mem::take(&mut *CHILDREN.lock().unwrap_or_else(|e| e.into_inner()));
            // Standbys were started after their primary: stop them first.
            for (pid, dir) in children.into_iter().rev() {
                let pid = Pid::from_raw(pid as i32);
                // Immediate shutdown: nothing in a throwaway cluster needs to survive.
                let _ = kill(pid, Signal::SIGQUIT);
                let deadline = Instant::now() + Duration::from_secs(10);
                while kill(pid, None).is_ok() && Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(10));
                }
                let _ = std::fs::remove_dir_all(dir);
            }
        }
    }

    /// Deletes scratch directories `<temp>/shynet-<tag>-<pid>…` left by test processes that no
    /// longer run (killed before their clean-up), so repeated runs cannot fill the disk.
    pub fn sweep_stale(tags: &[&str]) {
        let tmp = std::env::temp_dir();
        let Ok(entries) = std::fs::read_dir(&tmp) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            let Some(rest) = name.strip_prefix("shynet-") else {
                continue;
            };
            let pid = tags.iter().find_map(|tag| {
                let after = rest.strip_prefix(tag)?.strip_prefix('-')?;
                let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
                digits.parse::<u32>().ok()
            });
            if let Some(pid) = pid {
                if pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
                    let _ = std::fs::remove_dir_all(entry.path());
                }
            }
        }
    }
}
