//! Exports over HTTP (the service page's download and the API): a zip of one CSV per table, or
//! NDJSON, streamed from `COPY … TO STDOUT` (`stats::export`) through a small bounded channel,
//! so a download holds a few chunks in memory whatever its size.
//!
//! An export must not take what ingestion or other readers need: it runs on the dashboard's
//! pool (never the writer's), at most [`MAX_CONCURRENT_EXPORTS`] at a time per server (others
//! get 429), over at most [`MAX_EXPORT_DAYS`] days, and it stops as soon as the client goes away
//! (the channel's receiver is dropped, the next send fails, the connection returns to the pool).

use crate::http::Response;
use crate::zip_stream::ZipStream;
use bytes::{Bytes, BytesMut};
use chrono::{DateTime, Utc};
use futures_util::{pin_mut, TryStreamExt};
use stats::export::{self, Format};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::sync::{mpsc, OwnedSemaphorePermit, Semaphore};
use uuid::Uuid;
use warp::http::HeaderValue;
use warp::Reply;

/// Longest window an HTTP export covers, in days (`shynet export` has no cap).
pub const MAX_EXPORT_DAYS: i64 = 366;
/// Exports running at once per process; more are answered 429.
pub const MAX_CONCURRENT_EXPORTS: usize = 1;
/// Frames buffered between Postgres and the client: at most this × [`FRAME_BYTES`] (plus one
/// row) of an export is in memory at once.
const CHANNEL_CHUNKS: usize = 16;
/// Size of one frame of the download.
const FRAME_BYTES: usize = 64 * 1024;
/// Longest a client may stall reading before its export is abandoned (its connection and its
/// export slot go back): a client that stops reading cannot hold them for ever.
const SEND_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// What is downloaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Download {
    /// `application/zip`, one CSV per table.
    CsvZip,
    /// `application/x-ndjson`.
    Ndjson,
}

impl Download {
    /// From `?format=` (`csv` or `ndjson`).
    pub fn parse(s: Option<&str>) -> Result<Download, String> {
        match s.map(str::trim) {
            Some("csv") => Ok(Download::CsvZip),
            Some("ndjson") | Some("json") => Ok(Download::Ndjson),
            _ => Err("Say format=csv (a zip of CSV files) or format=ndjson.".into()),
        }
    }
}

/// Why an export did not start.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// Another export runs.
    #[error("another export is running: try again when it is done")]
    Busy,
    /// The pool had no connection.
    #[error("no database connection is free")]
    Pool(#[from] deadpool_postgres::PoolError),
}

/// One export's parameters.
#[derive(Debug, Clone, Copy)]
pub struct Job {
    /// The service.
    pub service: Uuid,
    /// Rows whose time is in [start, end).
    pub window: (DateTime<Utc>, DateTime<Utc>),
    /// Whether IP and User-Agent columns are included.
    pub collect_ips: bool,
    /// The format.
    pub download: Download,
}

struct Chunks(mpsc::Receiver<Result<Bytes, std::io::Error>>);

impl futures_util::Stream for Chunks {
    type Item = Result<Bytes, std::io::Error>;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.0.poll_recv(cx)
    }
}

type Tx = mpsc::Sender<Result<Bytes, std::io::Error>>;

/// Sends `b`; false when the client has gone or stalled for [`SEND_TIMEOUT`].
async fn send(tx: &Tx, b: Bytes) -> bool {
    b.is_empty()
        || matches!(
            tokio::time::timeout(SEND_TIMEOUT, tx.send(Ok(b))).await,
            Ok(Ok(()))
        )
}

async fn produce(
    client: deadpool_postgres::Object,
    job: Job,
    tx: Tx,
    _slot: OwnedSemaphorePermit,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let format = match job.download {
        Download::CsvZip => Format::Csv,
        Download::Ndjson => Format::Ndjson,
    };
    let mut zip = (job.download == Download::CsvZip).then(ZipStream::new);
    for t in export::TABLES {
        if let Some(z) = zip.as_mut() {
            if !send(&tx, z.start(&format!("{t}.csv"))?.into()).await {
                return Ok(());
            }
        }
        let sql = export::copy_statement(t, job.service, Some(job.window), job.collect_ips, format);
        let stream = client.copy_out(&sql).await?;
        pin_mut!(stream);
        // Postgres sends a message per row: gather them into larger frames.
        let mut buf = BytesMut::with_capacity(FRAME_BYTES);
        while let Some(chunk) = stream.try_next().await? {
            if let Some(z) = zip.as_mut() {
                z.data(&chunk)?;
            }
            buf.extend_from_slice(&chunk);
            if buf.len() >= FRAME_BYTES && !send(&tx, buf.split().freeze()).await {
                return Ok(());
            }
        }
        if !send(&tx, buf.split().freeze()).await {
            return Ok(());
        }
        if let Some(z) = zip.as_mut() {
            if !send(&tx, z.finish_entry()?.into()).await {
                return Ok(());
            }
        }
    }
    if let Some(z) = zip {
        send(&tx, z.finish()?.into()).await;
    }
    Ok(())
}

/// Starts an export and answers with its streamed body. A failure after the headers went out
/// ends the body early, so the client sees an incomplete download, never a silently short one.
pub async fn start(
    pool: &deadpool_postgres::Pool,
    slots: &Arc<Semaphore>,
    job: Job,
) -> Result<Response, ExportError> {
    let slot = slots
        .clone()
        .try_acquire_owned()
        .map_err(|_| ExportError::Busy)?;
    let client = pool.get().await?;
    let (tx, rx) = mpsc::channel(CHANNEL_CHUNKS);
    tokio::spawn(async move {
        let err_tx = tx.clone();
        if let Err(e) = produce(client, job, tx, slot).await {
            tracing::warn!(error = %e, "export stopped");
            let err = Err(std::io::Error::other(e.to_string()));
            let _ = tokio::time::timeout(SEND_TIMEOUT, err_tx.send(err)).await;
        }
    });
    let (ctype, ext) = match job.download {
        Download::CsvZip => ("application/zip", "zip"),
        Download::Ndjson => ("application/x-ndjson", "ndjson"),
    };
    let mut r = warp::reply::stream(Chunks(rx)).into_response();
    let name = format!(
        "attachment; filename=\"shynet-{}-{}-{}.{ext}\"",
        job.service,
        job.window.0.format("%Y%m%d"),
        job.window.1.format("%Y%m%d")
    );
    let h = r.headers_mut();
    h.insert("content-type", HeaderValue::from_static(ctype));
    h.insert("cache-control", HeaderValue::from_static("no-store"));
    if let Ok(v) = HeaderValue::from_str(&name) {
        h.insert("content-disposition", v);
    }
    Ok(r)
}
