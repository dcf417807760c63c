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
