//! `shynet export`: a service's raw sessions, page views and events, all of them or those of a
//! date range, as CSV files (one per table, in a directory) or one NDJSON file. Each table is
//! streamed from Postgres with `COPY … TO STDOUT` straight to disk (`stats::export` says what is
//! in it), so memory stays bounded whatever the size; one read-only snapshot covers all three
//! tables. Files are written as `NAME.partial` and renamed when complete; existing files are
//! never overwritten.

use anyhow::{bail, Context};
use clap::{Args, ValueEnum};
use deadpool_postgres::Pool;
use futures_util::{pin_mut, TryStreamExt};
use indicatif::{ProgressBar, ProgressStyle};
use stats::export::{self, Format};
use std::path::{Path, PathBuf};
use tokio::io::AsyncWriteExt;
use uuid::Uuid;

/// Output format of `shynet export`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// One CSV file per table (`sessions.csv`, `hits.csv`, `events.csv`) in the directory PATH.
    Csv,
    /// One file PATH, one JSON object per line, each with a `table` key.
    Ndjson,
}

/// `shynet export …`
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Service id.
    #[arg(long)]
    pub service: Uuid,
    /// First day (YYYY-MM-DD in the service's time zone); default: the oldest row.
    #[arg(long, value_name = "D")]
    pub from: Option<String>,
    /// Last day, included (YYYY-MM-DD in the service's time zone); default: the newest row.
    #[arg(long, value_name = "D")]
    pub to: Option<String>,
    /// csv or ndjson.
    #[arg(long, value_enum)]
    pub format: ExportFormat,
    /// A directory for csv (created if missing), a file for ndjson.
    #[arg(long, value_name = "PATH")]
    pub out: PathBuf,
}

type Window = Option<(chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>)>;

/// The rows' time window from --from/--to (None: everything).
fn window(a: &ExportArgs, tz: chrono_tz::Tz) -> anyhow::Result<Window> {
    let day = |s: &Option<String>, flag: &str| -> anyhow::Result<Option<chrono::NaiveDate>> {
        s.as_deref()
            .map(|d| stats::window::parse_date(d).with_context(|| flag.to_owned()))
            .transpose()
    };
    let (from, to) = (day(&a.from, "--from")?, day(&a.to, "--to")?);
    if let (Some(f), Some(t)) = (from, to) {
        if f > t {
            bail!("--from ({f}) is after --to ({t})");
        }
    }
    if from.is_none() && to.is_none() {
        return Ok(None);
    }
    let lo = from.map_or(chrono::DateTime::<chrono::Utc>::MIN_UTC, |d| {
        dashboard::erasure::local_midnight(tz, d)
    });
    let hi = to.map_or(chrono::DateTime::<chrono::Utc>::MAX_UTC, |d| {
        dashboard::erasure::local_midnight(tz, d + chrono::Duration::days(1))
    });
    Ok(Some((lo, hi)))
}

/// The files this export writes.
fn targets(a: &ExportArgs) -> Vec<PathBuf> {
    match a.format {
        ExportFormat::Ndjson => vec![a.out.clone()],
        ExportFormat::Csv => export::TABLES
            .iter()
            .map(|t| a.out.join(format!("{t}.csv")))
            .collect(),
    }
}

/// Checks the arguments without a database: dates, and that nothing would be overwritten.
pub fn check(a: &ExportArgs, tz: chrono_tz::Tz) -> anyhow::Result<()> {
    window(a, tz)?;
    if a.format == ExportFormat::Csv && a.out.exists() && !a.out.is_dir() {
        bail!(
            "--out {}: not a directory (csv writes one file per table into a directory)",
            a.out.display()
        );
    }
    if a.format == ExportFormat::Ndjson && a.out.is_dir() {
        bail!(
            "--out {}: is a directory (ndjson writes one file)",
            a.out.display()
        );
    }
    for t in targets(a) {
        if t.exists() {
            bail!("{} exists: refusing to overwrite it", t.display());
        }
    }
    Ok(())
}

fn partial(p: &Path) -> PathBuf {
    let mut s = p.as_os_str().to_owned();
    s.push(".partial");
    PathBuf::from(s)
}

/// Runs `shynet export`; returns the summary line.
pub async fn run(pool: &Pool, a: &ExportArgs, tz: chrono_tz::Tz) -> anyhow::Result<String> {
    check(a, tz)?;
    let mut client = pool.get().await.context("connecting to the database")?;
    let tx = client
        .build_transaction()
        .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .await?;
    let Some(collect_ips) = models::services::collects_ips(&*tx, a.service).await? else {
        bail!("no service with id {}", a.service);
    };
    // Days are the service's own zone's when it has one.
    let own = models::services::zones::time_zone(&*tx, a.service)
        .await?
        .flatten();
    let win = window(a, stats::window::service_zone(own.as_deref(), tz))?;
    let mut total = 0u64;
    for t in export::TABLES {
        let (sql, params) = export::count_statement(t, a.service, win);
        let p: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> =
            params.iter().map(|x| x as _).collect();
        total += tx.query_one(&sql, &p).await?.get::<_, i64>(0) as u64;
    }
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:40} {human_pos}/{human_len} rows {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    if a.format == ExportFormat::Csv {
        tokio::fs::create_dir_all(&a.out)
            .await
            .with_context(|| format!("creating {}", a.out.display()))?;
    }
    let format = match a.format {
        ExportFormat::Csv => Format::Csv,
        ExportFormat::Ndjson => Format::Ndjson,
    };
    let files = targets(a);
    let mut bytes = 0u64;
    let mut file = None;
    for (i, t) in export::TABLES.iter().enumerate() {
        bar.set_message(t.to_string());
        let path = &files[i.min(files.len() - 1)];
        if file.is_none() || a.format == ExportFormat::Csv {
            file = Some(tokio::io::BufWriter::new(
                tokio::fs::File::create(partial(path))
                    .await
                    .with_context(|| format!("creating {}", partial(path).display()))?,
            ));
        }
        let f = file.as_mut().context("output file")?;
        let stream = tx
            .copy_out(&export::copy_statement(
                t,
                a.service,
                win,
                collect_ips,
                format,
            ))
            .await?;
        pin_mut!(stream);
        while let Some(chunk) = stream.try_next().await? {
            bar.inc(chunk.iter().filter(|b| **b == b'\n').count() as u64);
            bytes += chunk.len() as u64;
            f.write_all(&chunk).await?;
        }
        if a.format == ExportFormat::Csv {
            if let Some(mut f) = file.take() {
                f.flush().await?;
                f.into_inner().sync_all().await?;
                tokio::fs::rename(partial(path), path).await?;
            }
        }
    }
    if let Some(mut f) = file.take() {
        f.flush().await?;
        f.into_inner().sync_all().await?;
        tokio::fs::rename(partial(&a.out), &a.out).await?;
    }
    tx.commit().await?;
    bar.finish_and_clear();
    Ok(format!(
        "exported {total} rows ({bytes} bytes) of service {} to {}{}",
        a.service,
        a.out.display(),
        if collect_ips {
            " (with IP and User-Agent: the service collects IPs)"
        } else {
            ""
        }
    ))
}
