//! Custom events in the write path. They travel in the same batches as page views and are
//! written in the same transaction, with set-based statements (one per kind per batch):
//!
//! * [`drop_repeats`] first: an event whose idempotency token was seen before (in this batch or
//!   within [`EVENT_TOKEN_KEEP_SECS`]) is dropped before it can touch any session, so a re-send
//!   is stored once;
//! * the sessionizer then treats every event as activity of its visitor: it continues the
//!   visitor's live session (the same `active_sessions` lookup page views use) and moves its
//!   `last_seen`. An event with no live session opens one, exactly as a visit would (a
//!   `sessions` row described by the event's User-Agent and location data, so conversions have
//!   a session to count), but it adds no hit: the new session has `hit_count` 0 and is not a
//!   bounce, and a page view that follows continues it as its first hit. Events never change
//!   hits, heartbeats or bounces;
//! * [`insert`] last: one row per event, bound to its session (id and start) and, in SQL, to
//!   the page view whose token it carries (`active_hits`, same service and same session; no
//!   binding when that page view is unknown or belongs to another session).

use super::beacons::Enriched;
use super::rows::{Columnar, EventColumns, EventRow};
use super::sessionize::{ts, SessionRef};
use chrono::{DateTime, Utc};
use deadpool_postgres::Transaction;
use std::collections::HashSet;
use std::sync::LazyLock;
use tokio_postgres::types::Json;
use uuid::Uuid;

/// How long an event's idempotency token is remembered (seconds): far longer than any
/// client's retry, bounded so the table stays small.
pub const EVENT_TOKEN_KEEP_SECS: f64 = 86_400.0;

/// Claims tokens; returns those that were new (or whose earlier sighting expired).
const CLAIM_TOKENS: &str = "
INSERT INTO event_tokens AS t (service_id, token, seen_at)
SELECT * FROM unnest($1::uuid[], $2::text[], $3::timestamptz[])
ON CONFLICT (service_id, token) DO UPDATE SET seen_at = EXCLUDED.seen_at
    WHERE t.seen_at < EXCLUDED.seen_at - make_interval(secs => $4)
RETURNING service_id, token";

/// `INSERT INTO events … SELECT … FROM unnest(…)`, the page-view token as one more array
/// joined against `active_hits` for `hit_id`.
static INSERT_EVENTS: LazyLock<String> = LazyLock::new(|| {
    let cols = EventRow::COLUMNS;
    let names: Vec<&str> = cols.iter().map(|c| c.name).collect();
    let select: Vec<String> = names
        .iter()
        .map(|n| match *n {
            "hit_id" => "coalesce(u.hit_id, a.hit_id)".to_owned(),
            n => format!("u.{n}"),
        })
        .collect();
    let arrays: Vec<String> = cols
        .iter()
        .enumerate()
        .map(|(i, c)| format!("${}::{}[]", i + 1, c.ty.name()))
        .collect();
    format!(
        "INSERT INTO events ({names}) SELECT {select} \
         FROM unnest({arrays}, ${page}::text[]) AS u({names}, page) \
         LEFT JOIN active_hits a ON a.service_id = u.service_id \
         AND a.idempotency = u.page AND a.session_id = u.session_id",
        names = names.join(", "),
        select = select.join(", "),
        arrays = arrays.join(", "),
        page = cols.len() + 1,
    )
});

/// What [`drop_repeats`] kept.
pub struct Kept {
    /// The batch without repeats, when any was dropped (`None`: keep the batch as it is).
    pub subset: Option<Vec<Enriched>>,
    /// Events dropped as repeats.
    pub repeats: usize,
}

/// Drops events whose token was already stored (or repeats within the batch: the earliest
/// copy stays). Tokens are claimed in (service, token) order, one statement, so concurrent
/// writers lock them in the same order.
pub async fn drop_repeats(
    tx: &Transaction<'_>,
    batch: &[Enriched],
) -> Result<Kept, tokio_postgres::Error> {
    let mut tokened: Vec<(Uuid, &str, i64, usize)> = batch
        .iter()
        .enumerate()
        .filter_map(|(i, e)| {
            let b = &e.beacon;
            let token = b.event.as_ref()?.token.as_deref()?;
            Some((b.service, token, b.time_ms, i))
        })
        .collect();
    if tokened.is_empty() {
        return Ok(Kept {
            subset: None,
            repeats: 0,
        });
    }
    tokened.sort_unstable();
    let mut drop: HashSet<usize> = HashSet::new();
    let mut first: Vec<(Uuid, &str, i64, usize)> = Vec::with_capacity(tokened.len());
    for t in tokened {
        match first.last() {
            Some(f) if (f.0, f.1) == (t.0, t.1) => {
                drop.insert(t.3);
            }
            _ => first.push(t),
        }
    }
    let svc: Vec<Uuid> = first.iter().map(|t| t.0).collect();
    let token: Vec<&str> = first.iter().map(|t| t.1).collect();
    let seen: Vec<DateTime<Utc>> = first.iter().map(|t| ts(t.2)).collect();
    let stmt = tx.prepare_cached(CLAIM_TOKENS).await?;
    let claimed: HashSet<(Uuid, String)> = tx
        .query(&stmt, &[&svc, &token, &seen, &EVENT_TOKEN_KEEP_SECS])
        .await?
        .into_iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    for t in &first {
        if !claimed.contains(&(t.0, t.1.to_owned())) {
            drop.insert(t.3);
        }
    }
    if drop.is_empty() {
        return Ok(Kept {
            subset: None,
            repeats: 0,
        });
    }
    let subset = batch
        .iter()
        .enumerate()
        .filter(|(i, _)| !drop.contains(i))
        .map(|(_, e)| e.clone())
        .collect();
    Ok(Kept {
        subset: Some(subset),
        repeats: drop.len(),
    })
}

/// Inserts the batch's events, each with the session the sessionizer gave it. Returns how
/// many were written and how many props their senders had left out.
pub async fn insert(
    tx: &Transaction<'_>,
    batch: &[Enriched],
    session_of: &[Option<SessionRef>],
) -> Result<(u64, u64), tokio_postgres::Error> {
    let mut cols = EventColumns::with_capacity(0);
    let mut pages: Vec<Option<&str>> = Vec::new();
    let mut truncated = 0u64;
    for (e, s) in batch.iter().zip(session_of) {
        let (Some(ev), Some(s)) = (&e.beacon.event, s) else {
            continue;
        };
        cols.push(EventRow {
            service_id: e.beacon.service,
            session_id: s.id,
            session_start: s.start,
            hit_id: None,
            start_time: ts(e.beacon.time_ms),
            name: &ev.name,
            props: Json(&ev.props),
            location: &e.beacon.location,
        });
        pages.push(ev.page.as_deref());
        truncated += u64::from(ev.truncated);
    }
    if cols.is_empty() {
        return Ok((0, 0));
    }
    let stmt = tx.prepare_cached(&INSERT_EVENTS).await?;
    let mut params = cols.params();
    params.push(&pages);
    tx.execute(&stmt, &params).await?;
    Ok((cols.len() as u64, truncated))
}

/// Forgets tokens older than [`EVENT_TOKEN_KEEP_SECS`] (maintenance).
pub async fn purge_tokens(
    client: &impl tokio_postgres::GenericClient,
) -> Result<u64, tokio_postgres::Error> {
    client
        .execute(
            "DELETE FROM event_tokens WHERE seen_at < now() - make_interval(secs => $1)",
            &[&EVENT_TOKEN_KEEP_SECS],
        )
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_insert_binds_every_column_and_the_page_token() {
        assert_eq!(
            *INSERT_EVENTS,
            "INSERT INTO events (service_id, session_id, session_start, hit_id, start_time, \
             name, props, location) SELECT u.service_id, u.session_id, u.session_start, \
             coalesce(u.hit_id, a.hit_id), u.start_time, u.name, u.props, u.location \
             FROM unnest($1::uuid[], $2::uuid[], $3::timestamptz[], $4::int8[], \
             $5::timestamptz[], $6::text[], $7::jsonb[], $8::text[], $9::text[]) \
             AS u(service_id, session_id, session_start, hit_id, start_time, name, props, \
             location, page) LEFT JOIN active_hits a ON a.service_id = u.service_id \
             AND a.idempotency = u.page AND a.session_id = u.session_id"
        );
    }
}
