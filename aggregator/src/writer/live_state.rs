//! The sessionizer's live state: `active_sessions` (each visitor's current session) and
//! `active_hits` (each page-view token's current hit). Every decision about them is one atomic
//! upsert per batch, so several aggregator processes writing at once still agree on one session
//! per visitor. Their expiry lives here too, next to the rules that make expired rows useless.

use super::sessionize::{
    ts, Group, LiveSessions, Proposal, Reset, SessionRef, TokenGroup, TokenHit,
};
use chrono::{DateTime, Utc};
use deadpool_postgres::Transaction;
use std::collections::HashMap;
use uuid::Uuid;

/// How long live state outlives the session timeout: the writer ignores expired entries
/// anyway, so this margin only covers clock skew between replicas.
pub const MARGIN_SECS: f64 = 60.0;

const UPSERT_ACTIVE_SESSIONS: &str = "
INSERT INTO active_sessions AS a (service_id, visitor, session_id, session_start, last_seen)
SELECT * FROM unnest($1::uuid[], $2::bytea[], $3::uuid[], $4::timestamptz[], $5::timestamptz[])
ON CONFLICT (service_id, visitor) DO UPDATE SET
    session_id = CASE WHEN a.last_seen < EXCLUDED.session_start - make_interval(secs => $6)
                      THEN EXCLUDED.session_id ELSE a.session_id END,
    session_start = CASE WHEN a.last_seen < EXCLUDED.session_start - make_interval(secs => $6)
                      THEN EXCLUDED.session_start ELSE a.session_start END,
    last_seen = GREATEST(a.last_seen, EXCLUDED.last_seen)
RETURNING service_id, visitor, session_id, session_start";

const RENAME_PREVIOUS_DAY_KEYS: &str = "
UPDATE active_sessions a SET visitor = u.cur
FROM unnest($1::uuid[], $2::bytea[], $3::bytea[]) AS u(service_id, prev, cur)
WHERE a.service_id = u.service_id AND a.visitor = u.prev
  AND NOT EXISTS (SELECT 1 FROM active_sessions b
                  WHERE b.service_id = u.service_id AND b.visitor = u.cur)";

const RESET_ACTIVE_SESSIONS: &str = "
UPDATE active_sessions a SET session_id = u.sid, session_start = u.start, last_seen = u.last
FROM unnest($1::uuid[], $2::bytea[], $3::uuid[], $4::timestamptz[], $5::timestamptz[])
     AS u(service_id, visitor, sid, start, last)
WHERE a.service_id = u.service_id AND a.visitor = u.visitor";

const UPSERT_ACTIVE_HITS: &str = "
INSERT INTO active_hits AS h (service_id, idempotency, hit_id, session_id, hit_start, last_seen)
SELECT * FROM unnest($1::uuid[], $2::text[], $3::int8[], $4::uuid[], $5::timestamptz[], $6::timestamptz[])
ON CONFLICT (service_id, idempotency) DO UPDATE SET
    hit_id = CASE WHEN h.session_id <> EXCLUDED.session_id
                    OR h.last_seen < EXCLUDED.hit_start - make_interval(secs => $7)
                  THEN EXCLUDED.hit_id ELSE h.hit_id END,
    hit_start = CASE WHEN h.session_id <> EXCLUDED.session_id
                    OR h.last_seen < EXCLUDED.hit_start - make_interval(secs => $7)
                  THEN EXCLUDED.hit_start ELSE h.hit_start END,
    session_id = EXCLUDED.session_id,
    last_seen = GREATEST(h.last_seen, EXCLUDED.last_seen)
RETURNING service_id, idempotency, hit_id, hit_start";

/// Live-state tables and the timestamp their expiry goes by.
const EXPIRING: &[(&str, &str)] = &[
    ("active_sessions", "last_seen"),
    ("active_hits", "last_seen"),
];

/// Just after UTC midnight, moves yesterday-keyed live sessions to today's key.
pub async fn carry_over_midnight(
    tx: &Transaction<'_>,
    groups: &[Group],
) -> Result<(), tokio_postgres::Error> {
    let renames: Vec<(&Group, &[u8])> = groups
        .iter()
        .filter_map(|g| g.previous.as_ref().map(|p| (g, &p.0[..])))
        .collect();
    if renames.is_empty() {
        return Ok(());
    }
    let svc: Vec<Uuid> = renames.iter().map(|r| r.0.key.0).collect();
    let prev: Vec<&[u8]> = renames.iter().map(|r| r.1).collect();
    let cur: Vec<&[u8]> = renames.iter().map(|r| &r.0.key.1 .0[..]).collect();
    let stmt = tx.prepare_cached(RENAME_PREVIOUS_DAY_KEYS).await?;
    tx.execute(&stmt, &[&svc, &prev, &cur]).await?;
    Ok(())
}

/// Continues each visitor's live session, or starts the proposed one where it expired, and
/// returns the sessions that are live now.
pub async fn continue_sessions(
    tx: &Transaction<'_>,
    groups: &[Group],
    proposal: &Proposal,
    session_timeout_secs: f64,
) -> Result<LiveSessions, tokio_postgres::Error> {
    let svc: Vec<Uuid> = groups.iter().map(|g| g.key.0).collect();
    let vis: Vec<&[u8]> = groups.iter().map(|g| &g.key.1 .0[..]).collect();
    let stmt = tx.prepare_cached(UPSERT_ACTIVE_SESSIONS).await?;
    let rows = tx
        .query(
            &stmt,
            &[
                &svc,
                &vis,
                &proposal.ids,
                &proposal.starts,
                &proposal.lasts,
                &session_timeout_secs,
            ],
        )
        .await?;
    let mut live: LiveSessions = HashMap::with_capacity(rows.len());
    for r in rows {
        live.insert((r.get(0), r.get(1)), (r.get(2), r.get(3)));
    }
    Ok(live)
}

/// Makes the session of a visitor's last run in the batch its live session.
pub async fn reset_sessions(
    tx: &Transaction<'_>,
    resets: &[Reset],
) -> Result<(), tokio_postgres::Error> {
    if resets.is_empty() {
        return Ok(());
    }
    let svc: Vec<Uuid> = resets.iter().map(|r| r.key.0).collect();
    let vis: Vec<&[u8]> = resets.iter().map(|r| &r.key.1 .0[..]).collect();
    let sid: Vec<Uuid> = resets.iter().map(|r| r.session).collect();
    let start: Vec<DateTime<Utc>> = resets.iter().map(|r| ts(r.start_ms)).collect();
    let last: Vec<DateTime<Utc>> = resets.iter().map(|r| ts(r.last_ms)).collect();
    let stmt = tx.prepare_cached(RESET_ACTIVE_SESSIONS).await?;
    tx.execute(&stmt, &[&svc, &vis, &sid, &start, &last])
        .await?;
    Ok(())
}

/// Resolves each page-view token to its live hit (a heartbeat target) or to the proposed new
/// hit (`proposed_ids`, one per token), one upsert for the batch.
pub async fn claim_hits(
    tx: &Transaction<'_>,
    batch: &[super::beacons::Enriched],
    tokens: &[TokenGroup<'_>],
    session_of: &[Option<SessionRef>],
    proposed_ids: &[i64],
    session_timeout_secs: f64,
) -> Result<Vec<TokenHit>, tokio_postgres::Error> {
    if tokens.is_empty() {
        return Ok(Vec::new());
    }
    let at = |i: usize| ts(batch[i].beacon.time_ms);
    let svc: Vec<Uuid> = tokens.iter().map(|t| t.service).collect();
    let token: Vec<&str> = tokens.iter().map(|t| t.token).collect();
    let sid: Vec<Uuid> = tokens
        .iter()
        .map(|t| session_of[t.beacons[0]].map(|s| s.id).unwrap_or_default())
        .collect();
    let start: Vec<DateTime<Utc>> = tokens.iter().map(|t| at(t.beacons[0])).collect();
    let last: Vec<DateTime<Utc>> = tokens
        .iter()
        .map(|t| at(t.beacons[t.beacons.len() - 1]))
        .collect();
    let stmt = tx.prepare_cached(UPSERT_ACTIVE_HITS).await?;
    let params: [&(dyn tokio_postgres::types::ToSql + Sync); 7] = [
        &svc,
        &token,
        &proposed_ids,
        &sid,
        &start,
        &last,
        &session_timeout_secs,
    ];
    let mut got: HashMap<(Uuid, String), (i64, DateTime<Utc>)> = HashMap::new();
    for r in tx.query(&stmt, &params).await? {
        got.insert((r.get(0), r.get(1)), (r.get(2), r.get(3)));
    }
    Ok(tokens
        .iter()
        .zip(proposed_ids)
        .zip(&start)
        .map(|((t, prop), start)| {
            let (id, start) = got
                .get(&(t.service, t.token.to_owned()))
                .copied()
                .unwrap_or((*prop, *start));
            TokenHit {
                id,
                is_new: id == *prop,
                start,
            }
        })
        .collect())
}

/// Deletes live state older than the session timeout plus [`MARGIN_SECS`] (maintenance), so
/// visitor hashes do not linger after a visit ends.
pub async fn purge(
    client: &impl tokio_postgres::GenericClient,
    session_timeout_secs: f64,
) -> Result<(), tokio_postgres::Error> {
    let keep_secs = session_timeout_secs + MARGIN_SECS;
    for (table, column) in EXPIRING {
        let sql = format!("DELETE FROM {table} WHERE {column} < now() - make_interval(secs => $1)");
        client.execute(&sql, &[&keep_secs]).await?;
    }
    Ok(())
}
