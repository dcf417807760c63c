//! Replaying an archive in one transaction. `pg_restore --clean` cannot replace a schema with
//! partitioned tables (it drops a partition's inherited constraints before the parent's), and
//! it leaves alone tables the archive does not know. So the archive is turned into SQL by
//! `pg_restore` and fed to `psql --single-transaction` after a statement that empties the
//! `public` schema: the database ends up exactly as backed up, or, on any error, unchanged.

use super::{libpq, run_tool};
use anyhow::{bail, Context};
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};

/// Runs first, inside the restore's transaction.
const REPLACE_SCHEMA: &str = "DROP SCHEMA IF EXISTS public CASCADE;\nCREATE SCHEMA public;\n";

/// Restores `archive` into the database `cfg` points at; returns the number of tables filled.
pub fn replay(
    pg_restore: &Path,
    psql: &Path,
    cfg: &tokio_postgres::Config,
    archive: &Path,
) -> anyhow::Result<usize> {
    let tables = list_tables(pg_restore, archive)?;
    let mut sql = libpq::command(psql, cfg);
    sql.args([
        "--no-psqlrc",
        "--quiet",
        "--single-transaction",
        "--set=ON_ERROR_STOP=1",
        "--no-password",
        "--file=-",
    ])
    .arg(libpq::dbname_arg(cfg))
    .stdin(Stdio::piped())
    .stdout(Stdio::null())
    .stderr(Stdio::piped());
    let mut psql = sql.spawn().context("cannot start `psql`")?;
    let (Some(mut input), Some(mut errors)) = (psql.stdin.take(), psql.stderr.take()) else {
        bail!("`psql` started without pipes");
    };
    let psql_errors = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = errors.read_to_string(&mut s);
        s
    });
    let mut script = Command::new(pg_restore);
    script
        .args(["--no-owner", "--no-privileges", "--verbose", "--file=-"])
        .arg(archive);
    let fed = input
        .write_all(REPLACE_SCHEMA.as_bytes())
        .context("writing to psql")
        .and_then(|()| {
            run_tool(
                script,
                "pg_restore",
                "processing data for table",
                "restoring table",
                tables,
                |out| std::io::copy(out, &mut input).context("writing to psql"),
            )
        });
    let restored = match fed {
        Ok((_, n)) => n,
        Err(e) => {
            // psql has not seen the end of its input, so it has not committed: killing it ends
            // the session and Postgres rolls the transaction back.
            let _ = psql.kill();
            let _ = psql.wait();
            return Err(e.context("restore failed; the database is unchanged"));
        }
    };
    drop(input);
    let status = psql.wait().context("waiting for psql")?;
    let errors = psql_errors.join().unwrap_or_default();
    if !status.success() {
        bail!(
            "restore failed; the database is unchanged: `psql` failed ({status}):\n{}",
            errors.trim()
        );
    }
    Ok(restored)
}

/// Counts the tables with data in `archive`, refusing a damaged one before anything changes.
fn list_tables(pg_restore: &Path, archive: &Path) -> anyhow::Result<usize> {
    let listed = Command::new(pg_restore)
        .arg("--list")
        .arg(archive)
        .stdin(Stdio::null())
        .output()
        .context("cannot start `pg_restore`")?;
    if !listed.status.success() {
        bail!(
            "{} is damaged or unreadable: {}",
            archive.display(),
            String::from_utf8_lossy(&listed.stderr).trim()
        );
    }
    let toc = String::from_utf8_lossy(&listed.stdout);
    Ok(toc.lines().filter(|l| l.contains(" TABLE DATA ")).count())
}
