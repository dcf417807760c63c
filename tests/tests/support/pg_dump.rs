//! The whole database as `pg_dump` writes it, for tests that prove what is and is not stored.

use super::Pg;
use std::path::PathBuf;
use std::process::Command;

/// The newest `pg_dump` of the installed PostgreSQL versions.
fn pg_dump_bin() -> PathBuf {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("bin/pg_dump"))
        .filter(|p| p.exists())
        .collect();
    found.sort();
    found
        .pop()
        .expect("pg_dump not found (scripts/setup installs postgresql)")
}

/// A plain-SQL dump (`INSERT`s, no owners) of database `db` on `pg`.
pub fn dump(pg: &Pg, db: &str) -> String {
    let out = Command::new(pg_dump_bin())
        .args(["--no-owner", "--inserts"])
        .arg("-h")
        .arg(pg.dir.join("run"))
        .args(["-p", "5432", "-U", "shynet", db])
        .output()
        .expect("run pg_dump");
    assert!(
        out.status.success(),
        "pg_dump: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}
