//! One erasure as the manage page, the API and `shynet delete` run it: the owner's input
//! checked into a [`Selector`], the rows deleted and re-rolled (`stats::erasure`) and the audit
//! row written (`models::erasures`) in one transaction, so either all of it happens or nothing.
//!
//! The audit row stores an argon2id hash of the selector (kind, service and value, with a
//! random salt per row), never the value. Why a salted slow hash and not a keyed HMAC: a key
//! would have to live somewhere the database's readers cannot reach, and this install has no
//! such place (the edge secret is optional and a dump holds everything else); a fast hash of an
//! IPv4 address is reversed by trying all 2³² of them in minutes. With argon2id (tens of
//! milliseconds per try) the same search costs years of CPU per row, and no precomputed table
//! helps because every row has its own salt. Its limit: a value from a small set (a numeric
//! user id below 10,000, say) can still be confirmed by trying each, one row at a time.

use argon2::password_hash::PasswordHasher;
use argon2::Argon2;
use chrono::{DateTime, Duration, NaiveTime, TimeZone, Utc};
use models::erasures::NewErasure;
use stats::erasure::{Counts, Selector};
use std::net::IpAddr;
use uuid::Uuid;

/// Longest range an erasure from the web or the API covers, in days (the command line has no
/// cap): one request holds one connection and the rollup lock for the whole deletion.
pub const MAX_WEB_RANGE_DAYS: i64 = stats::window::MAX_WINDOW_DAYS;

/// Why an erasure was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum ErasureError {
    /// The input names no selector, several, or a malformed one.
    #[error("{0}")]
    BadInput(String),
    /// No such service.
    #[error("no service with id {0}")]
    UnknownService(Uuid),
    /// No database connection came free.
    #[error("no database connection is free: {0}")]
    Pool(String),
    /// Hashing the selector for the audit row failed.
    #[error("hashing the selector failed: {0}")]
    Hash(String),
    /// The database failed.
    #[error("database error: {0}")]
    Db(#[from] tokio_postgres::Error),
}

/// The selector fields as a form, the API or the command line give them (empty = absent).
#[derive(Debug, Default, Clone)]
pub struct SelectorInput<'a> {
    /// `identifier`.
    pub identifier: Option<&'a str>,
    /// `ip`.
    pub ip: Option<&'a str>,
    /// `session`.
    pub session: Option<&'a str>,
    /// `from` (YYYY-MM-DD, first day included).
    pub from: Option<&'a str>,
    /// `to` (YYYY-MM-DD, last day included).
    pub to: Option<&'a str>,
}

fn given(x: Option<&str>) -> Option<&str> {
    x.map(str::trim).filter(|s| !s.is_empty())
}

fn bad(msg: impl Into<String>) -> ErasureError {
    ErasureError::BadInput(msg.into())
}

/// The instant a local day starts in `tz` (after a DST gap at midnight: the first valid time).
pub fn local_midnight(tz: chrono_tz::Tz, d: chrono::NaiveDate) -> DateTime<Utc> {
    let naive = d.and_time(NaiveTime::MIN);
    tz.from_local_datetime(&naive)
        .earliest()
        .or_else(|| {
            tz.from_local_datetime(&(naive + Duration::hours(1)))
                .earliest()
        })
        .map_or_else(|| naive.and_utc(), |t| t.with_timezone(&Utc))
}

/// Checks the input: exactly one of identifier, IP, session id, or a from/to pair of dates (whole
/// days in `tz`, both included). `max_range_days` caps a range (None: no cap).
pub fn parse_selector(
    input: &SelectorInput<'_>,
    tz: chrono_tz::Tz,
    max_range_days: Option<i64>,
) -> Result<Selector, ErasureError> {
    let (id, ip, session) = (
        given(input.identifier),
        given(input.ip),
        given(input.session),
    );
    let (from, to) = (given(input.from), given(input.to));
    let range = from.is_some() || to.is_some();
    let n = [id.is_some(), ip.is_some(), session.is_some(), range]
        .iter()
        .filter(|x| **x)
        .count();
    if n != 1 {
        return Err(bad(
            "name exactly one selector: an identifier, an IP address, a session id, or a \
             from/to date range",
        ));
    }
    if let Some(x) = id {
        if x.len() > beacon::limits::MAX_IDENTIFIER_BYTES {
            return Err(bad(format!(
                "the identifier is longer than {} bytes, so no session has it",
                beacon::limits::MAX_IDENTIFIER_BYTES
            )));
        }
        return Ok(Selector::Identifier(x.to_owned()));
    }
    if let Some(x) = ip {
        let ip: IpAddr = x
            .parse()
            .map_err(|_| bad(format!("`{x}` is not an IP address")))?;
        return Ok(Selector::Ip(ip));
    }
    if let Some(x) = session {
        let id: Uuid = x
            .parse()
            .map_err(|_| bad(format!("`{x}` is not a session id (a UUID)")))?;
        return Ok(Selector::Session(id));
    }
    let (Some(from), Some(to)) = (from, to) else {
        return Err(bad("a date range needs both from and to (YYYY-MM-DD)"));
    };
    let parse = |s: &str| stats::window::parse_date(s).map_err(|e| bad(e.to_string()));
    let (f, t) = (parse(from)?, parse(to)?);
    if f > t {
        return Err(bad(format!("from ({f}) is after to ({t})")));
    }
    let days = (t - f).num_days() + 1;
    if let Some(max) = max_range_days.filter(|m| days > *m) {
        return Err(bad(format!(
            "the range spans {days} days; here the longest is {max} (use `shynet delete` for more)"
        )));
    }
    Ok(Selector::Range(
        local_midnight(tz, f),
        local_midnight(tz, t + Duration::days(1)),
    ))
}

/// Who asked for an erasure, for the audit row.
#[derive(Debug, Clone, Copy)]
pub struct Actor {
    /// The dashboard user (None: the command line).
    pub user_id: Option<i64>,
    /// `cli`, `web` or `api`.
    pub via: &'static str,
}

/// The salted argon2id hash of a selector's value (None for a range, which is not personal).
async fn selector_hash(service: Uuid, sel: &Selector) -> Result<Option<String>, ErasureError> {
    let value = match sel {
        Selector::Identifier(x) => x.clone(),
        Selector::Ip(ip) => ip.to_string(),
        Selector::Session(id) => id.to_string(),
        Selector::Range(..) => return Ok(None),
    };
    let input = format!("{}\n{service}\n{value}", sel.kind());
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(input.as_bytes())
            .map(|h| Some(h.to_string()))
            .map_err(|e| ErasureError::Hash(e.to_string()))
    })
    .await
    .map_err(|e| ErasureError::Hash(e.to_string()))?
}

/// Runs an erasure (or, with `dry_run`, counts what it would delete and changes nothing):
/// deletes, re-rolls and writes the audit row in one transaction.
pub async fn run(
    client: &mut tokio_postgres::Client,
    service: Uuid,
    selector: &Selector,
    actor: Actor,
    dry_run: bool,
) -> Result<Counts, ErasureError> {
    // Hash before the transaction: it takes tens of milliseconds, locks must not wait for it.
    let hash = if dry_run {
        None
    } else {
        selector_hash(service, selector).await?
    };
    let tx = client.transaction().await?;
    let exists = tx
        .query_opt(
            "SELECT 1 FROM services WHERE id = $1 FOR SHARE",
            &[&service],
        )
        .await?
        .is_some();
    if !exists {
        return Err(ErasureError::UnknownService(service));
    }
    if dry_run {
        let counts = stats::erasure::dry_run(&tx, service, selector).await?;
        tx.rollback().await?;
        return Ok(counts);
    }
    let counts = stats::erasure::erase(&tx, service, selector).await?;
    let range = match selector {
        Selector::Range(a, b) => Some((*a, *b)),
        _ => None,
    };
    models::erasures::insert(
        &tx,
        &NewErasure {
            service,
            user_id: actor.user_id,
            via: actor.via,
            kind: selector.kind(),
            selector_hash: hash.as_deref(),
            range,
            rows: [
                counts.sessions,
                counts.hits,
                counts.events,
                counts.live_rows,
            ],
        },
    )
    .await?;
    tx.commit().await?;
    Ok(counts)
}
