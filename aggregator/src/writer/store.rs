//! The statements that change the stored data: new hits and sessions (from the named-field
//! rows of [`super::rows`]), heartbeats and session totals added to stored rows, hit ids, and
//! the hours the rollup job must roll again. One statement per kind per batch.

use super::beacons::Enriched;
use super::rows::{insert_unnest, HitColumns, HitRow, SessionColumns, SessionRow};
use super::sessionize::{ts, Beat, NewHit, SessionAcc, SessionRef, SessionSplit};
use chrono::{DateTime, Utc};
use deadpool_postgres::Transaction;
use std::collections::HashMap;
use std::sync::LazyLock;
use uuid::Uuid;

/// Hit ids for the new hits of a batch, taken up front so heartbeats can refer to them.
pub const NEXT_HIT_IDS: &str = "SELECT nextval('hits_id_seq') FROM generate_series(1, $1::int8)";

static INSERT_HITS: LazyLock<String> = LazyLock::new(insert_unnest::<HitRow>);
static INSERT_SESSIONS: LazyLock<String> = LazyLock::new(insert_unnest::<SessionRow>);

/// Heartbeats find their hit by (id, start_time), the partitioned table's primary key, so the
/// lookup is an index probe in one partition (`active_hits.hit_start` is the hit's start_time).
const UPDATE_HEARTBEATS: &str = "
UPDATE hits h SET heartbeats = h.heartbeats + u.n, last_seen = GREATEST(h.last_seen, u.t)
FROM unnest($1::int8[], $2::int4[], $3::timestamptz[], $4::timestamptz[]) AS u(id, n, t, start)
WHERE h.id = u.id AND h.start_time = u.start";

/// A batch's latest new page view becomes the exit page unless the session was already seen
/// later (a delayed batch, or another tab still sending heartbeats): `s.last_seen` is the
/// stored row's value, read after the row lock, so concurrent writers agree. Returns the
/// sessions that had no hit before (opened by a custom event) and get their first hits now:
/// the first of those is their entry page.
const UPDATE_SESSIONS: &str = "
WITH up AS (
    UPDATE sessions s SET
        last_seen = GREATEST(s.last_seen, u.last_seen),
        hit_count = s.hit_count + u.n,
        is_bounce = (s.hit_count + u.n) = 1,
        identifier = CASE WHEN s.identifier = '' THEN u.identifier ELSE s.identifier END,
        exit_page = CASE WHEN u.exit_at IS NOT NULL AND (u.exit_at >= s.last_seen OR s.exit_page = '')
                         THEN u.exit_page ELSE s.exit_page END
    FROM unnest($1::uuid[], $2::timestamptz[], $3::int4[], $4::text[], $5::timestamptz[],
                $6::text[], $7::timestamptz[])
         AS u(id, last_seen, n, identifier, start, exit_page, exit_at)
    WHERE s.id = u.id AND s.start_time = u.start
    RETURNING s.id, s.hit_count - u.n AS before, u.n
)
SELECT id FROM up WHERE before = 0 AND n > 0";

const MARK_DIRTY: &str = "
INSERT INTO rollup_dirty (service_id, hour)
SELECT DISTINCT u.s, u.h FROM unnest($1::uuid[], $2::timestamptz[]) AS u(s, h)
WHERE u.h + interval '1 hour' <= now() - make_interval(secs => $3)
ON CONFLICT DO NOTHING";

/// Takes `n` hit ids from the sequence.
pub async fn next_hit_ids(
    tx: &Transaction<'_>,
    n: usize,
) -> Result<Vec<i64>, tokio_postgres::Error> {
    let stmt = tx.prepare_cached(NEXT_HIT_IDS).await?;
    let rows = tx.query(&stmt, &[&(n as i64)]).await?;
    Ok(rows.into_iter().map(|r| r.get(0)).collect())
}

/// The `hits` row of a new hit.
fn hit_row<'b>(
    batch: &'b [Enriched],
    h: &NewHit,
    session: Option<SessionRef>,
    initial: bool,
) -> HitRow<'b> {
    let b = &batch[h.first].beacon;
    HitRow {
        id: h.id,
        session_id: session.map(|s| s.id).unwrap_or_default(),
        service_id: b.service,
        initial,
        start_time: ts(b.time_ms),
        last_seen: ts(h.last_ms),
        heartbeats: h.heartbeats,
        tracker: b.tracker.as_str(),
        location: &b.location,
        referrer: &b.referrer,
        load_time: b.load_time,
        location_clean: batch[h.first].derived.clean_location.as_deref(),
    }
}

/// Inserts the new hits.
pub async fn insert_hits(
    tx: &Transaction<'_>,
    batch: &[Enriched],
    new_hits: &[NewHit],
    session_of: &[Option<SessionRef>],
    initial: &[bool],
) -> Result<(), tokio_postgres::Error> {
    if new_hits.is_empty() {
        return Ok(());
    }
    let mut cols = HitColumns::with_capacity(new_hits.len());
    for (h, initial) in new_hits.iter().zip(initial) {
        cols.push(hit_row(batch, h, session_of[h.first], *initial));
    }
    let stmt = tx.prepare_cached(&INSERT_HITS).await?;
    tx.execute(&stmt, &cols.params()).await?;
    Ok(())
}

/// Adds heartbeats to stored hits.
pub async fn update_heartbeats(
    tx: &Transaction<'_>,
    beats: &[Beat],
) -> Result<(), tokio_postgres::Error> {
    if beats.is_empty() {
        return Ok(());
    }
    let id: Vec<i64> = beats.iter().map(|b| b.id).collect();
    let n: Vec<i32> = beats.iter().map(|b| b.n).collect();
    let t: Vec<DateTime<Utc>> = beats.iter().map(|b| ts(b.last_ms)).collect();
    let start: Vec<DateTime<Utc>> = beats.iter().map(|b| b.start).collect();
    let stmt = tx.prepare_cached(UPDATE_HEARTBEATS).await?;
    tx.execute(&stmt, &[&id, &n, &t, &start]).await?;
    Ok(())
}

/// The `sessions` row of a new session, described by its first beacon (its campaign tags
/// too) and its latest page view so far.
fn session_row<'b>(batch: &'b [Enriched], id: Uuid, acc: &'b SessionAcc) -> SessionRow<'b> {
    let first = &batch[acc.first];
    let (b, ua, tags) = (&first.beacon, &first.ua, &first.derived.tags);
    SessionRow {
        id,
        service_id: b.service,
        start_time: ts(b.time_ms),
        last_seen: ts(acc.last_seen),
        identifier: &acc.identifier,
        // The raw UA is identifying: kept only where the owner collects IPs.
        user_agent: if b.ip.is_some() { &b.user_agent } else { "" },
        browser: &ua.browser,
        browser_version: &ua.browser_version,
        os: &ua.os,
        os_version: &ua.os_version,
        device: &ua.device,
        device_type: ua.device_type.as_str(),
        ip: b.ip,
        asn: b.geo.asn.and_then(|a| i32::try_from(a).ok()),
        as_org: &b.geo.as_org,
        country: &b.geo.country,
        region: &b.geo.region,
        city: &b.geo.city,
        latitude: b.geo.latitude,
        longitude: b.geo.longitude,
        time_zone: &b.geo.time_zone,
        hit_count: acc.new_hits,
        is_bounce: acc.new_hits == 1,
        utm_source: &tags.campaign.source,
        utm_medium: &tags.campaign.medium,
        utm_campaign: &tags.campaign.campaign,
        utm_term: &tags.campaign.term,
        utm_content: &tags.campaign.content,
        channel: tags.channel.as_str(),
        exit_page: acc.exit.map_or("", |e| batch[e.beacon].page()),
        visitor: &b.visitor.0,
    }
}

/// Inserts the sessions this batch started, tagged by their first beacon.
pub async fn insert_sessions(
    tx: &Transaction<'_>,
    batch: &[Enriched],
    sessions: &SessionSplit<'_>,
) -> Result<(), tokio_postgres::Error> {
    if sessions.new.is_empty() {
        return Ok(());
    }
    let mut cols = SessionColumns::with_capacity(sessions.new.len());
    for (id, acc) in &sessions.new {
        cols.push(session_row(batch, *id, acc));
    }
    let stmt = tx.prepare_cached(&INSERT_SESSIONS).await?;
    tx.execute(&stmt, &cols.params()).await?;
    Ok(())
}

/// Adds this batch's hits and time to the stored sessions it continued and moves their exit
/// page to the batch's latest new page view. Returns those that had no hit before this batch
/// (opened by a custom event) and get hits now.
pub async fn update_sessions(
    tx: &Transaction<'_>,
    batch: &[Enriched],
    sessions: &SessionSplit<'_>,
) -> Result<Vec<Uuid>, tokio_postgres::Error> {
    let old = &sessions.old;
    if old.is_empty() {
        return Ok(Vec::new());
    }
    let refs: &HashMap<Uuid, SessionRef> = &sessions.refs;
    let id: Vec<Uuid> = old.iter().map(|s| s.0).collect();
    let last: Vec<DateTime<Utc>> = old.iter().map(|s| ts(s.1.last_seen)).collect();
    let n: Vec<i32> = old.iter().map(|s| s.1.new_hits).collect();
    let ident: Vec<&str> = old.iter().map(|s| s.1.identifier.as_str()).collect();
    let start: Vec<DateTime<Utc>> = old
        .iter()
        .map(|s| refs.get(&s.0).map(|r| r.start).unwrap_or_default())
        .collect();
    let exit_page: Vec<&str> = old
        .iter()
        .map(|s| s.1.exit.map_or("", |e| batch[e.beacon].page()))
        .collect();
    let exit_at: Vec<Option<DateTime<Utc>>> =
        old.iter().map(|s| s.1.exit.map(|e| ts(e.at_ms))).collect();
    let stmt = tx.prepare_cached(UPDATE_SESSIONS).await?;
    let rows = tx
        .query(
            &stmt,
            &[&id, &last, &n, &ident, &start, &exit_page, &exit_at],
        )
        .await?;
    Ok(rows.into_iter().map(|r| r.get(0)).collect())
}

/// Marks (service, hour start in ms) pairs for a re-roll.
pub async fn mark_dirty(
    tx: &Transaction<'_>,
    dirty: &[(Uuid, i64)],
    session_timeout_secs: f64,
) -> Result<(), tokio_postgres::Error> {
    if dirty.is_empty() {
        return Ok(());
    }
    let svc: Vec<Uuid> = dirty.iter().map(|d| d.0).collect();
    let hour: Vec<DateTime<Utc>> = dirty.iter().map(|d| ts(d.1)).collect();
    let stmt = tx.prepare_cached(MARK_DIRTY).await?;
    tx.execute(&stmt, &[&svc, &hour, &session_timeout_secs])
        .await?;
    Ok(())
}
