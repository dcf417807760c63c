//! Applies a batch of enriched beacons to Postgres in one transaction with set-based SQL: a
//! fixed number of statements per batch, whatever its size. Session and heartbeat state lives
//! in `active_sessions` / `active_hits`, and every decision is an atomic upsert on those rows, so
//! several aggregator processes writing at once still agree on one session per visitor.

use super::Enriched;
use beacon::wire::VisitorKey;
use chrono::{DateTime, TimeZone, Utc};
use deadpool_postgres::Transaction;
use std::collections::HashMap;
use std::net::IpAddr;
use uuid::Uuid;

/// What one batch changed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct BatchOutcome {
    /// Beacons applied.
    pub beacons: u64,
    /// New hits.
    pub hits: u64,
    /// New sessions.
    pub sessions: u64,
    /// Heartbeats added to existing hits.
    pub heartbeats: u64,
}

fn ts(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}

/// Where a beacon's session came from.
#[derive(Debug, Clone, Copy)]
struct SessionRef {
    id: Uuid,
    is_new: bool,
    /// The session's start_time (its partition key), for continuing sessions as stored in
    /// `active_sessions.session_start`.
    start: DateTime<Utc>,
}

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

const INSERT_HITS: &str = "
INSERT INTO hits (id, session_id, service_id, initial, start_time, last_seen, heartbeats,
                  tracker, location, referrer, load_time)
SELECT * FROM unnest($1::int8[], $2::uuid[], $3::uuid[], $4::bool[], $5::timestamptz[],
                     $6::timestamptz[], $7::int4[], $8::text[], $9::text[], $10::text[],
                     $11::float8[])";

/// Heartbeats find their hit by (id, start_time), the partitioned table's primary key, so the
/// lookup is an index probe in one partition (`active_hits.hit_start` is the hit's start_time).
const UPDATE_HEARTBEATS: &str = "
UPDATE hits h SET heartbeats = h.heartbeats + u.n, last_seen = GREATEST(h.last_seen, u.t)
FROM unnest($1::int8[], $2::int4[], $3::timestamptz[], $4::timestamptz[]) AS u(id, n, t, start)
WHERE h.id = u.id AND h.start_time = u.start";

const INSERT_SESSIONS: &str = "
INSERT INTO sessions (id, service_id, start_time, last_seen, identifier, user_agent, browser,
                      browser_version, os, os_version, device, device_type, ip, asn, as_org,
                      country, region, city, latitude, longitude, time_zone, hit_count, is_bounce)
SELECT u.*, u.hit_count = 1 FROM unnest($1::uuid[], $2::uuid[], $3::timestamptz[],
    $4::timestamptz[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[],
    $11::text[], $12::text[], $13::inet[], $14::int4[], $15::text[], $16::text[], $17::text[],
    $18::text[], $19::float8[], $20::float8[], $21::text[], $22::int4[])
    AS u(id, service_id, start_time, last_seen, identifier, user_agent, browser, browser_version,
         os, os_version, device, device_type, ip, asn, as_org, country, region, city, latitude,
         longitude, time_zone, hit_count)";

const UPDATE_SESSIONS: &str = "
UPDATE sessions s SET
    last_seen = GREATEST(s.last_seen, u.last_seen),
    hit_count = s.hit_count + u.n,
    is_bounce = (s.hit_count + u.n) = 1,
    identifier = CASE WHEN s.identifier = '' THEN u.identifier ELSE s.identifier END
FROM unnest($1::uuid[], $2::timestamptz[], $3::int4[], $4::text[], $5::timestamptz[])
     AS u(id, last_seen, n, identifier, start)
WHERE s.id = u.id AND s.start_time = u.start";

/// Hours before the rollup horizon whose rows this batch changed: the rollup job re-rolls them.
/// The horizon (hour end older than the session timeout) is a little earlier than the job's own
/// (timeout + 5 minutes), so an hour the job may already have rolled is always marked.
/// Hit ids for the new hits of a batch, taken up front so heartbeats can refer to them.
const NEXT_HIT_IDS: &str = "SELECT nextval('hits_id_seq') FROM generate_series(1, $1::int8)";

const MARK_DIRTY: &str = "
INSERT INTO rollup_dirty (service_id, hour)
SELECT DISTINCT u.s, u.h FROM unnest($1::uuid[], $2::timestamptz[]) AS u(s, h)
WHERE u.h + interval '1 hour' <= now() - make_interval(secs => $3)
ON CONFLICT DO NOTHING";

/// Client-side pre-filter for dirty hours: an hour is sent only if it ended more than the session
/// timeout minus this much ago (the database applies the exact rule with its own clock).
const DIRTY_SLACK_MS: i64 = 3_600_000;

/// Per-session accumulation for this batch.
#[derive(Default)]
struct SessionAcc {
    first: usize,
    last_seen: i64,
    new_hits: i32,
    identifier: String,
    saw_initial: bool,
}

/// Applies `batch` inside `tx`. Beacons must already be filtered (DNT, ignored IPs, robots).
pub async fn apply(
    tx: &Transaction<'_>,
    batch: &[Enriched],
    session_timeout_secs: f64,
) -> Result<BatchOutcome, tokio_postgres::Error> {
    if batch.is_empty() {
        return Ok(BatchOutcome::default());
    }
    let timeout_ms = (session_timeout_secs * 1000.0) as i64;

    // 1. Group beacons by visitor, in time order, and split where the visitor went quiet for
    //    longer than the session timeout (possible when a delayed batch is replayed).
    let mut order: Vec<usize> = (0..batch.len()).collect();
    order.sort_by_key(|&i| {
        let b = &batch[i].beacon;
        (b.service, b.visitor, b.time_ms)
    });
    struct Group {
        key: (Uuid, VisitorKey),
        runs: Vec<Vec<usize>>,
        previous: Option<VisitorKey>,
    }
    let mut groups: Vec<Group> = Vec::new();
    for &i in &order {
        let b = &batch[i].beacon;
        let key = (b.service, b.visitor);
        match groups.last_mut() {
            Some(g) if g.key == key => {
                let last_ms = g
                    .runs
                    .last()
                    .and_then(|r| r.last())
                    .map(|&j| batch[j].beacon.time_ms)
                    .unwrap_or(b.time_ms);
                if b.time_ms - last_ms > timeout_ms {
                    g.runs.push(vec![i]);
                } else if let Some(r) = g.runs.last_mut() {
                    r.push(i);
                }
                if g.previous.is_none() {
                    g.previous = b.previous_visitor;
                }
            }
            _ => groups.push(Group {
                key,
                runs: vec![vec![i]],
                previous: b.previous_visitor,
            }),
        }
    }

    // 2. Just after UTC midnight, move yesterday-keyed live sessions to today's key.
    let renames: Vec<&Group> = groups.iter().filter(|g| g.previous.is_some()).collect();
    if !renames.is_empty() {
        let svc: Vec<Uuid> = renames.iter().map(|g| g.key.0).collect();
        let prev: Vec<&[u8]> = renames
            .iter()
            .filter_map(|g| g.previous.as_ref().map(|p| &p.0[..]))
            .collect();
        let cur: Vec<&[u8]> = renames.iter().map(|g| &g.key.1 .0[..]).collect();
        tx.execute(
            &tx.prepare_cached(RENAME_PREVIOUS_DAY_KEYS).await?,
            &[&svc, &prev, &cur],
        )
        .await?;
    }

    // 3. One atomic upsert decides, per visitor, whether the live session continues.
    let proposed: Vec<Uuid> = groups.iter().map(|_| Uuid::new_v4()).collect();
    let svc: Vec<Uuid> = groups.iter().map(|g| g.key.0).collect();
    let vis: Vec<&[u8]> = groups.iter().map(|g| &g.key.1 .0[..]).collect();
    let starts: Vec<DateTime<Utc>> = groups
        .iter()
        .map(|g| ts(batch[g.runs[0][0]].beacon.time_ms))
        .collect();
    let lasts: Vec<DateTime<Utc>> = groups
        .iter()
        .map(|g| {
            let r = &g.runs[0];
            ts(batch[r[r.len() - 1]].beacon.time_ms)
        })
        .collect();
    let rows = tx
        .query(
            &tx.prepare_cached(UPSERT_ACTIVE_SESSIONS).await?,
            &[
                &svc,
                &vis,
                &proposed,
                &starts,
                &lasts,
                &session_timeout_secs,
            ],
        )
        .await?;
    let mut live: HashMap<(Uuid, Vec<u8>), (Uuid, DateTime<Utc>)> =
        HashMap::with_capacity(rows.len());
    for r in rows {
        live.insert((r.get(0), r.get(1)), (r.get(2), r.get(3)));
    }
    let mut session_of: Vec<Option<SessionRef>> = vec![None; batch.len()];
    let mut reset: Vec<(Uuid, VisitorKey, Uuid, i64, i64)> = Vec::new();
    for ((g, prop), proposed_start) in groups.iter().zip(&proposed).zip(&starts) {
        let (sid, start) = live
            .get(&(g.key.0, g.key.1 .0.to_vec()))
            .copied()
            .unwrap_or((*prop, *proposed_start));
        let first = SessionRef {
            id: sid,
            is_new: sid == *prop,
            start,
        };
        for &i in &g.runs[0] {
            session_of[i] = Some(first);
        }
        for run in &g.runs[1..] {
            let s = SessionRef {
                id: Uuid::new_v4(),
                is_new: true,
                start: ts(batch[run[0]].beacon.time_ms),
            };
            for &i in run {
                session_of[i] = Some(s);
            }
            let start = batch[run[0]].beacon.time_ms;
            let last = batch[run[run.len() - 1]].beacon.time_ms;
            if let Some(pos) = reset.iter().position(|r| r.0 == g.key.0 && r.1 == g.key.1) {
                reset[pos] = (g.key.0, g.key.1, s.id, start, last);
            } else {
                reset.push((g.key.0, g.key.1, s.id, start, last));
            }
        }
    }
    if !reset.is_empty() {
        let a: Vec<Uuid> = reset.iter().map(|r| r.0).collect();
        let b: Vec<&[u8]> = reset.iter().map(|r| &r.1 .0[..]).collect();
        let c: Vec<Uuid> = reset.iter().map(|r| r.2).collect();
        let d: Vec<DateTime<Utc>> = reset.iter().map(|r| ts(r.3)).collect();
        let e: Vec<DateTime<Utc>> = reset.iter().map(|r| ts(r.4)).collect();
        tx.execute(
            &tx.prepare_cached(RESET_ACTIVE_SESSIONS).await?,
            &[&a, &b, &c, &d, &e],
        )
        .await?;
    }

    // 4. Page-view tokens: the first beacon of a token is a new hit unless the token is live in
    //    the same session; every other beacon of it is a heartbeat.
    let mut token_groups: Vec<(Uuid, &str, Vec<usize>)> = Vec::new();
    {
        let mut by_token: Vec<usize> = (0..batch.len())
            .filter(|&i| batch[i].beacon.idempotency.is_some())
            .collect();
        by_token.sort_by(|&x, &y| {
            let (a, b) = (&batch[x].beacon, &batch[y].beacon);
            (a.service, a.idempotency.as_deref(), a.time_ms).cmp(&(
                b.service,
                b.idempotency.as_deref(),
                b.time_ms,
            ))
        });
        for i in by_token {
            let b = &batch[i].beacon;
            let tok = b.idempotency.as_deref().unwrap_or("");
            match token_groups.last_mut() {
                Some(t) if t.0 == b.service && t.1 == tok => t.2.push(i),
                _ => token_groups.push((b.service, tok, vec![i])),
            }
        }
    }
    let untokened = batch
        .iter()
        .filter(|e| e.beacon.idempotency.is_none())
        .count();
    let wanted = untokened + token_groups.len();
    let ids: Vec<i64> = tx
        .query(&tx.prepare_cached(NEXT_HIT_IDS).await?, &[&(wanted as i64)])
        .await?
        .into_iter()
        .map(|r| r.get(0))
        .collect();
    let mut next_id = ids.into_iter();
    let mut token_hit: Vec<(i64, bool, DateTime<Utc>)> = Vec::with_capacity(token_groups.len());
    if !token_groups.is_empty() {
        let proposed_ids: Vec<i64> = token_groups
            .iter()
            .map(|_| next_id.next().unwrap_or_default())
            .collect();
        let a: Vec<Uuid> = token_groups.iter().map(|t| t.0).collect();
        let b: Vec<&str> = token_groups.iter().map(|t| t.1).collect();
        let d: Vec<Uuid> = token_groups
            .iter()
            .map(|t| session_of[t.2[0]].map(|s| s.id).unwrap_or_default())
            .collect();
        let e: Vec<DateTime<Utc>> = token_groups
            .iter()
            .map(|t| ts(batch[t.2[0]].beacon.time_ms))
            .collect();
        let f: Vec<DateTime<Utc>> = token_groups
            .iter()
            .map(|t| ts(batch[t.2[t.2.len() - 1]].beacon.time_ms))
            .collect();
        let rows = tx
            .query(
                &tx.prepare_cached(UPSERT_ACTIVE_HITS).await?,
                &[&a, &b, &proposed_ids, &d, &e, &f, &session_timeout_secs],
            )
            .await?;
        let mut got: HashMap<(Uuid, String), (i64, DateTime<Utc>)> =
            HashMap::with_capacity(rows.len());
        for r in rows {
            got.insert((r.get(0), r.get(1)), (r.get(2), r.get(3)));
        }
        for ((t, prop), start) in token_groups.iter().zip(&proposed_ids).zip(&e) {
            let (id, start) = got
                .get(&(t.0, t.1.to_owned()))
                .copied()
                .unwrap_or((*prop, *start));
            token_hit.push((id, id == *prop, start));
        }
    }

    // 5. Assemble new hits, heartbeat updates and per-session totals.
    struct NewHit {
        id: i64,
        first: usize,
        last_ms: i64,
        heartbeats: i32,
    }
    let mut new_hits: Vec<NewHit> = Vec::new();
    let mut beats: Vec<(i64, i32, i64, DateTime<Utc>)> = Vec::new();
    for (i, e) in batch.iter().enumerate() {
        if e.beacon.idempotency.is_none() {
            new_hits.push(NewHit {
                id: next_id.next().unwrap_or_default(),
                first: i,
                last_ms: e.beacon.time_ms,
                heartbeats: 0,
            });
        }
    }
    for (t, (id, is_new, start)) in token_groups.iter().zip(&token_hit) {
        let last_ms = batch[t.2[t.2.len() - 1]].beacon.time_ms;
        if *is_new {
            new_hits.push(NewHit {
                id: *id,
                first: t.2[0],
                last_ms,
                heartbeats: (t.2.len() - 1) as i32,
            });
        } else {
            beats.push((*id, t.2.len() as i32, last_ms, *start));
        }
    }
    new_hits.sort_by_key(|h| (batch[h.first].beacon.time_ms, h.id));

    let mut sessions: HashMap<Uuid, SessionAcc> = HashMap::new();
    for (i, e) in batch.iter().enumerate() {
        let Some(s) = session_of[i] else { continue };
        let acc = sessions.entry(s.id).or_insert_with(|| SessionAcc {
            first: i,
            last_seen: e.beacon.time_ms,
            ..SessionAcc::default()
        });
        if e.beacon.time_ms < batch[acc.first].beacon.time_ms {
            acc.first = i;
        }
        acc.last_seen = acc.last_seen.max(e.beacon.time_ms);
        if acc.identifier.is_empty() && !e.beacon.identifier.is_empty() {
            acc.identifier = e.beacon.identifier.clone();
        }
    }
    let mut initial_flags: Vec<bool> = Vec::with_capacity(new_hits.len());
    for h in &new_hits {
        let s = session_of[h.first].unwrap_or(SessionRef {
            id: Uuid::nil(),
            is_new: false,
            start: DateTime::<Utc>::default(),
        });
        let acc = sessions.entry(s.id).or_default();
        acc.new_hits += 1;
        let initial = s.is_new && !acc.saw_initial;
        if initial {
            acc.saw_initial = true;
        }
        initial_flags.push(initial);
    }

    // 6. Write hits.
    if !new_hits.is_empty() {
        let id: Vec<i64> = new_hits.iter().map(|h| h.id).collect();
        let sid: Vec<Uuid> = new_hits
            .iter()
            .map(|h| session_of[h.first].map(|s| s.id).unwrap_or_default())
            .collect();
        let svc: Vec<Uuid> = new_hits
            .iter()
            .map(|h| batch[h.first].beacon.service)
            .collect();
        let start: Vec<DateTime<Utc>> = new_hits
            .iter()
            .map(|h| ts(batch[h.first].beacon.time_ms))
            .collect();
        let last: Vec<DateTime<Utc>> = new_hits.iter().map(|h| ts(h.last_ms)).collect();
        let hb: Vec<i32> = new_hits.iter().map(|h| h.heartbeats).collect();
        let tracker: Vec<&str> = new_hits
            .iter()
            .map(|h| batch[h.first].beacon.tracker.as_str())
            .collect();
        let loc: Vec<&str> = new_hits
            .iter()
            .map(|h| batch[h.first].beacon.location.as_str())
            .collect();
        let refr: Vec<&str> = new_hits
            .iter()
            .map(|h| batch[h.first].beacon.referrer.as_str())
            .collect();
        let lt: Vec<Option<f64>> = new_hits
            .iter()
            .map(|h| batch[h.first].beacon.load_time)
            .collect();
        tx.execute(
            &tx.prepare_cached(INSERT_HITS).await?,
            &[
                &id,
                &sid,
                &svc,
                &initial_flags,
                &start,
                &last,
                &hb,
                &tracker,
                &loc,
                &refr,
                &lt,
            ],
        )
        .await?;
    }
    if !beats.is_empty() {
        beats.sort_by_key(|b| b.0);
        let a: Vec<i64> = beats.iter().map(|b| b.0).collect();
        let n: Vec<i32> = beats.iter().map(|b| b.1).collect();
        let t: Vec<DateTime<Utc>> = beats.iter().map(|b| ts(b.2)).collect();
        let st: Vec<DateTime<Utc>> = beats.iter().map(|b| b.3).collect();
        tx.execute(
            &tx.prepare_cached(UPDATE_HEARTBEATS).await?,
            &[&a, &n, &t, &st],
        )
        .await?;
    }

    // 7. Write sessions: insert the new ones, bump the continuing ones.
    let mut new_sessions: Vec<(Uuid, &SessionAcc)> = Vec::new();
    let mut old_sessions: Vec<(Uuid, &SessionAcc)> = Vec::new();
    let refs: HashMap<Uuid, SessionRef> = session_of.iter().flatten().map(|s| (s.id, *s)).collect();
    for (id, acc) in &sessions {
        if refs.get(id).is_some_and(|s| s.is_new) {
            new_sessions.push((*id, acc));
        } else if !id.is_nil() {
            old_sessions.push((*id, acc));
        }
    }
    if !new_sessions.is_empty() {
        new_sessions.sort_by_key(|s| s.0);
        let first = |s: &(Uuid, &SessionAcc)| &batch[s.1.first];
        let id: Vec<Uuid> = new_sessions.iter().map(|s| s.0).collect();
        let svc: Vec<Uuid> = new_sessions
            .iter()
            .map(|s| first(s).beacon.service)
            .collect();
        let start: Vec<DateTime<Utc>> = new_sessions
            .iter()
            .map(|s| ts(first(s).beacon.time_ms))
            .collect();
        let last: Vec<DateTime<Utc>> = new_sessions.iter().map(|s| ts(s.1.last_seen)).collect();
        let ident: Vec<&str> = new_sessions
            .iter()
            .map(|s| s.1.identifier.as_str())
            .collect();
        let ua_raw: Vec<&str> = new_sessions
            .iter()
            .map(|s| {
                let b = &first(s).beacon;
                // The raw UA is identifying: kept only where the owner collects IPs.
                if b.ip.is_some() {
                    b.user_agent.as_str()
                } else {
                    ""
                }
            })
            .collect();
        let browser: Vec<&str> = new_sessions
            .iter()
            .map(|s| first(s).ua.browser.as_str())
            .collect();
        let browser_v: Vec<&str> = new_sessions
            .iter()
            .map(|s| first(s).ua.browser_version.as_str())
            .collect();
        let os: Vec<&str> = new_sessions
            .iter()
            .map(|s| first(s).ua.os.as_str())
            .collect();
        let os_v: Vec<&str> = new_sessions
            .iter()
            .map(|s| first(s).ua.os_version.as_str())
            .collect();
        let device: Vec<&str> = new_sessions
            .iter()
            .map(|s| first(s).ua.device.as_str())
            .collect();
        let dtype: Vec<&str> = new_sessions
            .iter()
            .map(|s| first(s).ua.device_type.as_str())
            .collect();
        let ip: Vec<Option<IpAddr>> = new_sessions.iter().map(|s| first(s).beacon.ip).collect();
        let asn: Vec<Option<i32>> = new_sessions
            .iter()
            .map(|s| first(s).beacon.geo.asn.and_then(|a| i32::try_from(a).ok()))
            .collect();
        let as_org: Vec<&str> = new_sessions
            .iter()
            .map(|s| first(s).beacon.geo.as_org.as_str())
            .collect();
        let country: Vec<&str> = new_sessions
            .iter()
            .map(|s| first(s).beacon.geo.country.as_str())
            .collect();
        let region: Vec<&str> = new_sessions
            .iter()
            .map(|s| first(s).beacon.geo.region.as_str())
            .collect();
        let city: Vec<&str> = new_sessions
            .iter()
            .map(|s| first(s).beacon.geo.city.as_str())
            .collect();
        let lat: Vec<Option<f64>> = new_sessions
            .iter()
            .map(|s| first(s).beacon.geo.latitude)
            .collect();
        let lon: Vec<Option<f64>> = new_sessions
            .iter()
            .map(|s| first(s).beacon.geo.longitude)
            .collect();
        let tz: Vec<&str> = new_sessions
            .iter()
            .map(|s| first(s).beacon.geo.time_zone.as_str())
            .collect();
        let hc: Vec<i32> = new_sessions.iter().map(|s| s.1.new_hits).collect();
        tx.execute(
            &tx.prepare_cached(INSERT_SESSIONS).await?,
            &[
                &id, &svc, &start, &last, &ident, &ua_raw, &browser, &browser_v, &os, &os_v,
                &device, &dtype, &ip, &asn, &as_org, &country, &region, &city, &lat, &lon, &tz,
                &hc,
            ],
        )
        .await?;
    }
    if !old_sessions.is_empty() {
        old_sessions.sort_by_key(|s| s.0);
        let id: Vec<Uuid> = old_sessions.iter().map(|s| s.0).collect();
        let last: Vec<DateTime<Utc>> = old_sessions.iter().map(|s| ts(s.1.last_seen)).collect();
        let n: Vec<i32> = old_sessions.iter().map(|s| s.1.new_hits).collect();
        let ident: Vec<&str> = old_sessions
            .iter()
            .map(|s| s.1.identifier.as_str())
            .collect();
        let start: Vec<DateTime<Utc>> = old_sessions
            .iter()
            .map(|s| refs.get(&s.0).map(|r| r.start).unwrap_or_default())
            .collect();
        tx.execute(
            &tx.prepare_cached(UPDATE_SESSIONS).await?,
            &[&id, &last, &n, &ident, &start],
        )
        .await?;
    }

    // 8. Rows written into hours the rollup job may already have closed mark those hours for a
    //    re-roll. Most batches touch only recent hours and skip the statement.
    let horizon_ms = Utc::now().timestamp_millis() - timeout_ms + DIRTY_SLACK_MS;
    let mut dirty: Vec<(Uuid, i64)> = Vec::new();
    let mut consider = |svc: Uuid, t_ms: i64| {
        let hour = t_ms.div_euclid(3_600_000) * 3_600_000;
        if hour + 3_600_000 <= horizon_ms {
            dirty.push((svc, hour));
        }
    };
    for h in &new_hits {
        consider(batch[h.first].beacon.service, batch[h.first].beacon.time_ms);
    }
    for (id, acc) in new_sessions.iter().chain(&old_sessions) {
        let start = refs
            .get(id)
            .map(|r| r.start.timestamp_millis())
            .unwrap_or(batch[acc.first].beacon.time_ms);
        consider(batch[acc.first].beacon.service, start);
    }
    if !dirty.is_empty() {
        dirty.sort_unstable();
        dirty.dedup();
        let s: Vec<Uuid> = dirty.iter().map(|d| d.0).collect();
        let h: Vec<DateTime<Utc>> = dirty.iter().map(|d| ts(d.1)).collect();
        tx.execute(
            &tx.prepare_cached(MARK_DIRTY).await?,
            &[&s, &h, &session_timeout_secs],
        )
        .await?;
    }

    Ok(BatchOutcome {
        beacons: batch.len() as u64,
        hits: new_hits.len() as u64,
        sessions: new_sessions.len() as u64,
        heartbeats: beats.iter().map(|b| b.1 as u64).sum::<u64>()
            + new_hits.iter().map(|h| h.heartbeats as u64).sum::<u64>(),
    })
}
