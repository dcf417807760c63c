//! `shynet backup` and `shynet restore`: a consistent `pg_dump` custom-format archive of the
//! database shynet uses (embedded cluster or `--database-url`), and its restore in one
//! transaction, so a failed restore leaves the database as it was.

pub mod libpq;
mod progress;
mod restore;

use anyhow::{bail, Context};
use deadpool_postgres::Pool;
use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// First bytes of every `pg_dump --format=custom` archive.
const ARCHIVE_MAGIC: &[u8] = b"PGDMP";

/// What a backup wrote.
#[derive(Debug)]
pub struct BackupSummary {
    /// Archive size.
    pub bytes: u64,
    /// Tables dumped.
    pub tables: usize,
}

/// The connection the client tools use: the URL, or the embedded cluster's socket.
pub fn connection(
    database_url: Option<&str>,
    db: &crate::db::Database,
) -> anyhow::Result<tokio_postgres::Config> {
    use std::str::FromStr;
    match (database_url.filter(|u| !u.trim().is_empty()), &db.cluster) {
        (Some(url), _) => tokio_postgres::Config::from_str(url)
            .context("DATABASE_URL is not a valid Postgres connection string"),
        (None, Some(cluster)) => Ok(cluster.pg_config(crate::embedded_pg::DB_NAME)),
        (None, None) => bail!("no database to back up"),
    }
}

/// `shynet backup --out FILE`: dumps into `FILE.partial`, then renames it, so `FILE` is only
/// ever a complete archive. The archive holds account data (password hashes): it is created
/// readable by its owner only.
pub async fn backup(
    pool: &Pool,
    cfg: &tokio_postgres::Config,
    out: &Path,
) -> anyhow::Result<BackupSummary> {
    let client = pool.get().await?;
    let tables: i64 = client
        .query_one(
            // Ordinary tables only: a partitioned parent holds no rows of its own.
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema')
               AND n.nspname NOT LIKE 'pg_toast%'",
            &[],
        )
        .await?
        .get(0);
    drop(client);
    let pg_dump = libpq::locate_tool("pg_dump")?;
    let (cfg, out) = (cfg.clone(), out.to_owned());
    tokio::task::spawn_blocking(move || dump(&pg_dump, &cfg, &out, tables as usize))
        .await
        .context("backup task")?
}

fn dump(
    pg_dump: &Path,
    cfg: &tokio_postgres::Config,
    out: &Path,
    tables: usize,
) -> anyhow::Result<BackupSummary> {
    let mut partial = out.as_os_str().to_owned();
    partial.push(".partial");
    let partial = PathBuf::from(partial);
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&partial)
        .with_context(|| format!("cannot create {}", partial.display()))?;
    let mut cmd = libpq::command(pg_dump, cfg);
    cmd.args(["--format=custom", "--verbose", "--no-password"])
        .arg(libpq::dbname_arg(cfg));
    let result = run_tool(
        cmd,
        "pg_dump",
        "dumping contents of table",
        "dumping table",
        tables,
        |stdout| std::io::copy(stdout, &mut file).context("writing the backup"),
    );
    let finished = result.and_then(|(bytes, seen)| {
        file.sync_all().context("writing the backup")?;
        std::fs::rename(&partial, out)
            .with_context(|| format!("cannot rename {} to {}", partial.display(), out.display()))?;
        Ok(BackupSummary {
            bytes,
            tables: seen,
        })
    });
    if finished.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    finished
}

/// Runs a tool, feeding its stdout to `consume` and following its `--verbose` stderr; returns
/// what `consume` returned and the number of tables seen, or the tool's errors.
pub(crate) fn run_tool<T>(
    mut cmd: Command,
    tool: &str,
    marker: &'static str,
    label: &'static str,
    tables: usize,
    consume: impl FnOnce(&mut dyn Read) -> anyhow::Result<T>,
) -> anyhow::Result<(T, usize)> {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd
        .spawn()
        .with_context(|| format!("cannot start `{tool}`"))?;
    let (Some(mut stdout), Some(stderr)) = (child.stdout.take(), child.stderr.take()) else {
        bail!("`{tool}` started without pipes");
    };
    let follower = std::thread::spawn(move || progress::follow(stderr, marker, label, tables));
    let consumed = consume(&mut stdout);
    if consumed.is_err() {
        let _ = child.kill();
    }
    drop(stdout);
    let status = child
        .wait()
        .with_context(|| format!("waiting for `{tool}`"))?;
    let seen = follower
        .join()
        .map_err(|_| anyhow::anyhow!("reading `{tool}` output"))?;
    let value = consumed?;
    if !status.success() {
        bail!("`{tool}` failed ({status}):\n{}", seen.error_text());
    }
    Ok((value, seen.tables))
}

/// Refuses, with a clear reason, a file that is missing or not a `pg_dump` custom archive.
pub fn check_archive(path: &Path) -> anyhow::Result<()> {
    let mut head = [0u8; ARCHIVE_MAGIC.len()];
    let mut f = std::fs::File::open(path)
        .with_context(|| format!("cannot read the backup {}", path.display()))?;
    let n = f
        .read(&mut head)
        .with_context(|| format!("cannot read the backup {}", path.display()))?;
    if n < head.len() || head != ARCHIVE_MAGIC {
        bail!(
            "{} is not a shynet backup (expected an archive written by `shynet backup`, i.e. \
             `pg_dump --format=custom`)",
            path.display()
        );
    }
    Ok(())
}

/// `shynet restore --from FILE`: replaces the database's contents with the archive's, in one
/// transaction (see [`restore::replay`]). Unless `force`, refuses a database that already
/// holds users or services.
pub async fn restore(
    pool: &Pool,
    cfg: &tokio_postgres::Config,
    from: &Path,
    force: bool,
) -> anyhow::Result<usize> {
    check_archive(from)?;
    let from = from
        .canonicalize()
        .with_context(|| format!("cannot read the backup {}", from.display()))?;
    let pg_restore = libpq::locate_tool("pg_restore")?;
    if !force {
        if let Some(held) = existing_data(pool).await? {
            bail!(
                "the database already holds {held}; restoring replaces all of it with the \
                 backup. Stop `shynet serve`, then run the restore again with --force"
            );
        }
    }
    let psql = libpq::locate_tool("psql")?;
    let cfg = cfg.clone();
    tokio::task::spawn_blocking(move || restore::replay(&pg_restore, &psql, &cfg, &from))
        .await
        .context("restore task")?
}

/// "N users and M services" when the database holds any, else `None`.
async fn existing_data(pool: &Pool) -> anyhow::Result<Option<String>> {
    let client = pool.get().await?;
    let Some((users, services)) = models::instance::population(&**client).await? else {
        return Ok(None);
    };
    Ok((users + services > 0).then(|| format!("{users} user(s) and {services} service(s)")))
}
