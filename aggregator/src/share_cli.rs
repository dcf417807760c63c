//! `shynet share create|list|revoke`: public share links from the command line, checked by the
//! same rules as the manage page (`dashboard::share_links`). No prompt, so scripts can call it:
//! `--password` takes the password from `SHYNET_SHARE_PASSWORD`, or else from the first line of
//! standard input.

use anyhow::{bail, Context};
use clap::Subcommand;
use dashboard::auth::token;
use dashboard::share_links::{self, CreateError};
use deadpool_postgres::Pool;
use models::shares::{self, ShareLink, Which};
use uuid::Uuid;

/// The environment variable `--password` reads first.
pub const PASSWORD_ENV: &str = "SHYNET_SHARE_PASSWORD";

/// `shynet share …`
#[derive(Debug, Subcommand)]
pub enum ShareCommand {
    /// Create a share link; prints its id and URL (the token is shown only this once).
    Create {
        /// Service id.
        #[arg(long)]
        service: Uuid,
        /// Last day the link works (YYYY-MM-DD, UTC); without it the link never expires.
        #[arg(long, value_name = "YYYY-MM-DD")]
        expires: Option<String>,
        /// Ask viewers for a password, read from SHYNET_SHARE_PASSWORD or else the first line
        /// of standard input (at least 8 characters).
        #[arg(long)]
        password: bool,
        /// Noise the figures with differential privacy at this ε (0.01 to 10; 1 is common).
        #[arg(long)]
        epsilon: Option<String>,
    },
    /// List a service's links: id, privacy, password, expiry, status.
    List {
        /// Service id.
        #[arg(long)]
        service: Uuid,
    },
    /// Revoke a link by its id (as `list` shows it) or its token; it then answers 404.
    Revoke {
        /// Link id or token.
        which: String,
    },
}

fn read_password(
    from_env: Option<String>,
    stdin: &mut dyn std::io::BufRead,
) -> anyhow::Result<String> {
    let pw = match from_env {
        Some(p) => p,
        None => {
            let mut line = String::new();
            stdin
                .read_line(&mut line)
                .context("reading the password from standard input")?;
            line.trim_end_matches(['\r', '\n']).to_owned()
        }
    };
    if pw.is_empty() {
        bail!("--password given but no password: set {PASSWORD_ENV} or pipe it to standard input");
    }
    Ok(pw)
}

fn describe(l: &ShareLink, now: chrono::DateTime<chrono::Utc>) -> String {
    let privacy = l
        .epsilon
        .map(|e| format!("noised ε={e}"))
        .unwrap_or_else(|| "exact".into());
    let expires = l
        .expires_at
        .map(|e| (e - chrono::Duration::days(1)).date_naive().to_string())
        .unwrap_or_else(|| "never".into());
    let status = if l.revoked_at.is_some() {
        "revoked"
    } else if l.is_live(now) {
        "live"
    } else {
        "expired"
    };
    let pw = if l.has_password { "password" } else { "open" };
    format!("{}\t{privacy}\t{pw}\texpires {expires}\t{status}", l.id)
}

/// What `revoke` was given.
#[derive(Debug, PartialEq)]
enum Target {
    /// A number: the link's id.
    Id(i64),
    /// 64 hex digits: the SHA-256 of the token.
    TokenHash(Vec<u8>),
}

fn target(s: &str) -> anyhow::Result<Target> {
    let s = s.trim();
    if let Ok(id) = s.parse::<i64>() {
        return Ok(Target::Id(id));
    }
    if s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(Target::TokenHash(token::hash(s)));
    }
    bail!("give a link id (as `shynet share list` shows it) or its 64-digit token")
}

/// Runs a `shynet share` command; returns the lines to print.
pub async fn run(pool: &Pool, cmd: &ShareCommand) -> anyhow::Result<Vec<String>> {
    match cmd {
        ShareCommand::Create {
            service,
            expires,
            password,
            epsilon,
        } => {
            let pw = if *password {
                read_password(
                    std::env::var(PASSWORD_ENV).ok(),
                    &mut std::io::stdin().lock(),
                )?
            } else {
                String::new()
            };
            let ask = share_links::Request {
                epsilon: epsilon.as_deref().unwrap_or(""),
                expires: expires.as_deref().unwrap_or(""),
                password: &pw,
            };
            let c = pool.get().await?;
            let created = match share_links::create(&**c, *service, ask, None).await {
                Ok(c) => c,
                Err(CreateError::UnknownService) => bail!("no service with id {service}"),
                Err(e) => bail!("{e}"),
            };
            let base = std::env::var("SHYNET_DASHBOARD_URL").unwrap_or_default();
            Ok(vec![format!(
                "share {} created: {}{}",
                created.id,
                base.trim_end_matches('/'),
                share_links::path(&created.token)
            )])
        }
        ShareCommand::List { service } => {
            let c = pool.get().await?;
            if !models::services::exists(&**c, *service).await? {
                bail!("no service with id {service}");
            }
            let now = chrono::Utc::now();
            Ok(shares::list(&**c, *service)
                .await?
                .iter()
                .map(|l| describe(l, now))
                .collect())
        }
        ShareCommand::Revoke { which: w } => {
            let t = target(w)?;
            let which = match &t {
                Target::Id(id) => Which::Id(*id),
                Target::TokenHash(h) => Which::TokenHash(h),
            };
            let c = pool.get().await?;
            match shares::revoke(&**c, which).await? {
                Some(l) => Ok(vec![format!("share {} revoked", l.id)]),
                None => bail!("no live share link matches `{}`", w.trim()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_come_from_the_environment_or_stdin() {
        let mut empty = std::io::Cursor::new(Vec::new());
        assert_eq!(
            read_password(Some("from env".into()), &mut empty).unwrap(),
            "from env"
        );
        let mut piped = std::io::Cursor::new(b"piped secret\nrest".to_vec());
        assert_eq!(read_password(None, &mut piped).unwrap(), "piped secret");
        assert!(read_password(None, &mut empty).is_err());
    }

    #[test]
    fn revoke_takes_an_id_or_a_token() {
        assert_eq!(target("12").unwrap(), Target::Id(12));
        assert!(matches!(target(&"a".repeat(64)).unwrap(), Target::TokenHash(h) if h.len() == 32));
        assert!(target("nope").is_err());
    }
}
