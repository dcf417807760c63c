//! Running the Postgres client tools (`pg_dump`, `pg_restore`) against the database shynet
//! uses. Connection settings travel in the libpq environment variables, never on the command
//! line, where other users could read a password from the process list.

use std::path::PathBuf;
use std::process::Command;
use tokio_postgres::config::{Host, SslMode};

/// libpq variables a caller's environment could set; cleared so only ours apply.
const INHERITED_PG_VARS: &[&str] = &[
    "PGHOST",
    "PGHOSTADDR",
    "PGPORT",
    "PGUSER",
    "PGPASSWORD",
    "PGPASSFILE",
    "PGDATABASE",
    "PGSERVICE",
    "PGSERVICEFILE",
    "PGOPTIONS",
    "PGSSLMODE",
    "PGAPPNAME",
    "PGCONNECT_TIMEOUT",
];

/// Finds a Postgres client tool where the embedded cluster's tools are looked for.
pub fn locate_tool(name: &str) -> anyhow::Result<PathBuf> {
    crate::embedded_pg::search_dirs()
        .into_iter()
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .ok_or_else(|| {
            anyhow::anyhow!(
                "`{name}` not found (looked in ${}, on PATH and in /usr/lib/postgresql/*/bin); \
                 install the PostgreSQL client tools of the server's major version or newer \
                 (Debian/Ubuntu: `apt-get install postgresql-client`)",
                crate::embedded_pg::PG_BIN_DIR_ENV
            )
        })
}

/// `program` set up to connect where `cfg` points.
pub fn command(program: &std::path::Path, cfg: &tokio_postgres::Config) -> Command {
    let mut cmd = Command::new(program);
    for var in INHERITED_PG_VARS {
        cmd.env_remove(var);
    }
    for (k, v) in env_for(cfg) {
        cmd.env(k, v);
    }
    cmd
}

/// A `--dbname` argument naming only the database (a conninfo string, so a name containing
/// `=` cannot be read as other settings); everything else comes from the environment.
pub fn dbname_arg(cfg: &tokio_postgres::Config) -> String {
    let name = cfg.get_dbname().unwrap_or(crate::embedded_pg::DB_NAME);
    let escaped = name.replace('\\', "\\\\").replace('\'', "\\'");
    format!("--dbname=dbname='{escaped}'")
}

/// The libpq environment equivalent to `cfg`.
pub fn env_for(cfg: &tokio_postgres::Config) -> Vec<(&'static str, String)> {
    let mut env = Vec::new();
    let hosts: Vec<String> = cfg
        .get_hosts()
        .iter()
        .map(|h| match h {
            Host::Tcp(name) => name.clone(),
            Host::Unix(path) => path.display().to_string(),
        })
        .collect();
    if !hosts.is_empty() {
        env.push(("PGHOST", hosts.join(",")));
    }
    let ports: Vec<String> = cfg.get_ports().iter().map(u16::to_string).collect();
    if !ports.is_empty() {
        env.push(("PGPORT", ports.join(",")));
    }
    if let Some(user) = cfg.get_user() {
        env.push(("PGUSER", user.to_owned()));
    }
    if let Some(pw) = cfg.get_password() {
        env.push(("PGPASSWORD", String::from_utf8_lossy(pw).into_owned()));
    }
    if let Some(db) = cfg.get_dbname() {
        env.push(("PGDATABASE", db.to_owned()));
    }
    if let Some(opts) = cfg.get_options() {
        env.push(("PGOPTIONS", opts.to_owned()));
    }
    if let Some(t) = cfg.get_connect_timeout() {
        env.push(("PGCONNECT_TIMEOUT", t.as_secs().max(1).to_string()));
    }
    let ssl = match cfg.get_ssl_mode() {
        SslMode::Disable => "disable",
        SslMode::Require => "require",
        _ => "prefer",
    };
    env.push(("PGSSLMODE", ssl.to_owned()));
    env.push(("PGAPPNAME", "shynet-backup".to_owned()));
    env
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn url_becomes_environment_and_the_password_stays_off_the_command_line() {
        let cfg = tokio_postgres::Config::from_str(
            "postgres://alice:s3cr%27et@db.example.com:6543/analytics?sslmode=require",
        )
        .unwrap();
        let env: std::collections::HashMap<_, _> = env_for(&cfg).into_iter().collect();
        assert_eq!(env["PGHOST"], "db.example.com");
        assert_eq!(env["PGPORT"], "6543");
        assert_eq!(env["PGUSER"], "alice");
        assert_eq!(env["PGPASSWORD"], "s3cr'et");
        assert_eq!(env["PGDATABASE"], "analytics");
        assert_eq!(env["PGSSLMODE"], "require");
        let cmd = command(std::path::Path::new("/bin/true"), &cfg);
        let args: Vec<_> = cmd.get_args().collect();
        assert!(args.is_empty());
        assert_eq!(dbname_arg(&cfg), "--dbname=dbname='analytics'");
        let odd = tokio_postgres::Config::new().dbname("a' host=evil").clone();
        assert_eq!(dbname_arg(&odd), "--dbname=dbname='a\\' host=evil'");
    }
}
