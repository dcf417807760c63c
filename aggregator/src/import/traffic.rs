//! Sessions and hits of one service, copied in bounded chunks. Each chunk is written in one
//! transaction together with the service's cursor (`import_cursors`), so an interrupted import
//! resumes after the last committed chunk and nothing is copied twice. At ingest the writer
//! derives a session's campaign tags, channel, exit page and hit count and each hit's clean
//! page URL; the same functions derive them here from the source rows. Raw IPs and
//! User-Agents are kept only for services that collect IPs (and never with `--block-all-ips`).

use super::source::{self, Hit, Session};
use crate::writer::store::NEXT_HIT_IDS;
use beacon::tracking_params::TrackingParams;
use chrono::{DateTime, Duration, Utc};
use deadpool_postgres::Pool;
use indicatif::ProgressBar;
use models::imports::{self, Cursor};
use std::net::IpAddr;
use tokio_postgres::Client;
use uuid::Uuid;

/// Sessions or hits per chunk (one read, one transaction).
pub const CHUNK_ROWS: i64 = 5_000;
/// The largest chunk `--chunk-rows` accepts (bounds memory per chunk).
pub const MAX_CHUNK_ROWS: i64 = 50_000;

/// On a re-run, sessions that started up to this long before the last one copied are read again
/// and updated if they changed in the source (sessions that were still live during the previous
/// run, when both instances run side by side).
pub const RESYNC_HOURS: i64 = 24;

/// Where a first run starts reading sessions (before any Shynet data).
fn origin() -> (DateTime<Utc>, Uuid) {
    (
        DateTime::from_timestamp(0, 0).unwrap_or_default(),
        Uuid::nil(),
    )
}

/// What the traffic step did for one service (or would do, for `--dry-run`).
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct TrafficSummary {
    pub sessions_new: u64,
    pub sessions_updated: u64,
    pub hits_new: u64,
    pub ips_dropped: u64,
    pub user_agents_dropped: u64,
}

impl TrafficSummary {
    pub fn add(&mut self, o: &TrafficSummary) {
        self.sessions_new += o.sessions_new;
        self.sessions_updated += o.sessions_updated;
        self.hits_new += o.hits_new;
        self.ips_dropped += o.ips_dropped;
        self.user_agents_dropped += o.user_agents_dropped;
    }
}

/// One service's settings for the copy.
pub struct Plan<'a> {
    pub service: Uuid,
    /// Keep raw IPs and User-Agents.
    pub keep_identifying: bool,
    pub params: &'a TrackingParams,
    /// Rows per chunk.
    pub chunk_rows: i64,
}

/// Where reading starts for a service (a re-run steps back [`RESYNC_HOURS`]).
pub fn start(cur: &Cursor) -> (DateTime<Utc>, Uuid) {
    match cur.session {
        Some((t, _)) => (t - Duration::hours(RESYNC_HOURS), Uuid::nil()),
        None => origin(),
    }
}

/// Copies a service's sessions, then its hits, chunk by chunk.
pub async fn copy(
    src: &Client,
    pool: &Pool,
    plan: &Plan<'_>,
    bar: &ProgressBar,
) -> anyhow::Result<TrafficSummary> {
    let mut sum = TrafficSummary::default();
    let mut cur = imports::cursor(&**pool.get().await?, plan.service).await?;
    let mut after = start(&cur);
    loop {
        let chunk = source::sessions(src, plan.service, after, plan.chunk_rows).await?;
        let Some(last) = chunk.last() else { break };
        after = (last.start_time, last.uuid);
        let mut c = pool.get().await?;
        let tx = c.transaction().await?;
        let (new, updated, changed_times) = write_sessions(&tx, plan, &chunk).await?;
        imports::mark_hours_dirty(&*tx, plan.service, &changed_times).await?;
        cur.session = cur.session.max(Some(after));
        cur.sessions += new as i64;
        imports::save_cursor(&*tx, plan.service, &cur).await?;
        tx.commit().await?;
        sum.sessions_new += new;
        sum.sessions_updated += updated;
        if !plan.keep_identifying {
            sum.ips_dropped += chunk.iter().filter(|s| s.ip.is_some()).count() as u64;
            sum.user_agents_dropped +=
                chunk.iter().filter(|s| !s.user_agent.is_empty()).count() as u64;
        }
        bar.inc(chunk.len() as u64);
    }
    loop {
        let chunk = source::hits(src, plan.service, cur.hit, plan.chunk_rows).await?;
        let Some(last) = chunk.last() else { break };
        let mut c = pool.get().await?;
        let tx = c.transaction().await?;
        write_hits(&tx, plan, &chunk).await?;
        let times: Vec<DateTime<Utc>> = chunk.iter().map(|h| h.start_time).collect();
        imports::mark_hours_dirty(&*tx, plan.service, &times).await?;
        cur.hit = last.id;
        cur.hits += chunk.len() as i64;
        imports::save_cursor(&*tx, plan.service, &cur).await?;
        tx.commit().await?;
        sum.hits_new += chunk.len() as u64;
        bar.inc(chunk.len() as u64);
    }
    Ok(sum)
}

/// A chunk of sessions as the columns of one set-based upsert, with what the writer derives at
/// ingest (campaign tags, channel, clean exit page) derived the same way.
struct SessionColumns {
    ids: Vec<Uuid>,
    starts: Vec<DateTime<Utc>>,
    lasts: Vec<DateTime<Utc>>,
    text: [Vec<String>; 16],
    ips: Vec<Option<IpAddr>>,
    floats: [Vec<Option<f64>>; 2],
    hit_counts: Vec<i32>,
    bounces: Vec<bool>,
}

impl SessionColumns {
    fn build(plan: &Plan<'_>, chunk: &[Session]) -> SessionColumns {
        let n = chunk.len();
        let mut c = SessionColumns {
            ids: Vec::with_capacity(n),
            starts: Vec::with_capacity(n),
            lasts: Vec::with_capacity(n),
            text: Default::default(),
            ips: Vec::with_capacity(n),
            floats: Default::default(),
            hit_counts: Vec::with_capacity(n),
            bounces: Vec::with_capacity(n),
        };
        for s in chunk {
            let entry = s.entry_location.as_deref().unwrap_or("");
            let tags = beacon::campaign::parse(entry);
            let channel =
                beacon::channels::classify(&tags, s.entry_referrer.as_deref().unwrap_or(""), entry);
            let exit = s.exit_location.as_deref().unwrap_or("");
            let exit = plan.params.clean(exit).unwrap_or_else(|| exit.to_owned());
            let (ua, ip) = if plan.keep_identifying {
                (s.user_agent.clone(), s.ip)
            } else {
                (String::new(), None)
            };
            c.ids.push(s.uuid);
            c.starts.push(s.start_time);
            c.lasts.push(s.last_seen);
            for (col, v) in c.text.iter_mut().zip([
                s.identifier.trim().to_owned(),
                ua,
                s.browser.clone(),
                s.os.clone(),
                s.device.clone(),
                device_type(&s.device_type).to_owned(),
                s.asn.clone(),
                s.country.clone(),
                s.time_zone.clone(),
                tags.source,
                tags.medium,
                tags.campaign,
                tags.term,
                tags.content,
                channel.as_str().to_owned(),
                exit,
            ]) {
                col.push(v);
            }
            c.ips.push(ip);
            c.floats[0].push(s.latitude);
            c.floats[1].push(s.longitude);
            c.hit_counts.push(i32::try_from(s.hits).unwrap_or(i32::MAX));
            c.bounces.push(s.is_bounce);
        }
        c
    }
}

/// Inserts new sessions and updates those that changed in the source; returns (new, updated,
/// start times of the rows written).
async fn write_sessions(
    tx: &tokio_postgres::Transaction<'_>,
    plan: &Plan<'_>,
    chunk: &[Session],
) -> anyhow::Result<(u64, u64, Vec<DateTime<Utc>>)> {
    let n = chunk.len();
    let SessionColumns {
        ids,
        starts,
        lasts,
        text,
        ips,
        floats,
        hit_counts,
        bounces,
    } = SessionColumns::build(plan, chunk);
    let existing: i64 = tx
        .query_one(
            "SELECT count(*) FROM sessions s
             JOIN unnest($1::uuid[], $2::timestamptz[]) AS x(i, st)
               ON s.id = x.i AND s.start_time = x.st",
            &[&ids, &starts],
        )
        .await?
        .get(0);
    let [identifier, ua, browser, os, device, dtype, as_org, country, tz, us, um, uc, ut, uco, channel, exit] =
        &text;
    let rows = tx
        .query(
            "INSERT INTO sessions (id, service_id, start_time, last_seen, identifier, user_agent,
                 browser, os, device, device_type, ip, as_org, country, latitude, longitude,
                 time_zone, hit_count, is_bounce, utm_source, utm_medium, utm_campaign, utm_term,
                 utm_content, channel, exit_page)
             SELECT i, $2, st, ls, idf, ua, b, o, d, dt, ip, ao, co, la, lo, tz, hc, ib,
                    us, um, uc, ut, uco, ch, ex
             FROM unnest($1::uuid[], $3::timestamptz[], $4::timestamptz[], $5::text[],
                         $6::text[], $7::text[], $8::text[], $9::text[], $10::text[],
                         $11::inet[], $12::text[], $13::text[], $14::float8[], $15::float8[],
                         $16::text[], $17::int4[], $18::bool[], $19::text[], $20::text[],
                         $21::text[], $22::text[], $23::text[], $24::text[], $25::text[])
                  AS x(i, st, ls, idf, ua, b, o, d, dt, ip, ao, co, la, lo, tz, hc, ib,
                       us, um, uc, ut, uco, ch, ex)
             ON CONFLICT (id, start_time) DO UPDATE SET
                 last_seen = EXCLUDED.last_seen, hit_count = EXCLUDED.hit_count,
                 is_bounce = EXCLUDED.is_bounce, exit_page = EXCLUDED.exit_page,
                 identifier = EXCLUDED.identifier
             WHERE (sessions.last_seen, sessions.hit_count, sessions.is_bounce,
                    sessions.exit_page, sessions.identifier)
                   IS DISTINCT FROM (EXCLUDED.last_seen, EXCLUDED.hit_count, EXCLUDED.is_bounce,
                    EXCLUDED.exit_page, EXCLUDED.identifier)
             RETURNING start_time",
            &[
                &ids,
                &plan.service,
                &starts,
                &lasts,
                identifier,
                ua,
                browser,
                os,
                device,
                dtype,
                &ips,
                as_org,
                country,
                &floats[0],
                &floats[1],
                tz,
                &hit_counts,
                &bounces,
                us,
                um,
                uc,
                ut,
                uco,
                channel,
                exit,
            ],
        )
        .await?;
    // Rows that did not exist were inserted; the other rows returned were updated.
    let new = n as u64 - existing as u64;
    let times = rows.iter().map(|r| r.get(0)).collect();
    Ok((new, (rows.len() as u64).saturating_sub(new), times))
}

/// Our device types are Shynet's; anything else an operator wrote by hand counts as `OTHER`.
fn device_type(t: &str) -> &'static str {
    match t {
        "PHONE" => "PHONE",
        "TABLET" => "TABLET",
        "DESKTOP" => "DESKTOP",
        "ROBOT" => "ROBOT",
        _ => "OTHER",
    }
}

/// Inserts a chunk of hits, with ids from our own sequence (the source's ids only move the
/// cursor, so imported and live rows never collide).
async fn write_hits(
    tx: &tokio_postgres::Transaction<'_>,
    plan: &Plan<'_>,
    chunk: &[Hit],
) -> anyhow::Result<()> {
    let ids: Vec<i64> = tx
        .query(NEXT_HIT_IDS, &[&(chunk.len() as i64)])
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    anyhow::ensure!(ids.len() == chunk.len(), "the hit id sequence fell short");
    let sessions: Vec<Uuid> = chunk.iter().map(|h| h.session_id).collect();
    let initial: Vec<bool> = chunk.iter().map(|h| h.initial).collect();
    let starts: Vec<DateTime<Utc>> = chunk.iter().map(|h| h.start_time).collect();
    let lasts: Vec<DateTime<Utc>> = chunk.iter().map(|h| h.last_seen).collect();
    let beats: Vec<i32> = chunk.iter().map(|h| h.heartbeats).collect();
    let tracker: Vec<&str> = chunk
        .iter()
        .map(|h| if h.tracker == "PIXEL" { "PIXEL" } else { "JS" })
        .collect();
    let location: Vec<&str> = chunk.iter().map(|h| h.location.as_str()).collect();
    let referrer: Vec<&str> = chunk.iter().map(|h| h.referrer.as_str()).collect();
    let load: Vec<Option<f64>> = chunk.iter().map(|h| h.load_time).collect();
    let clean: Vec<Option<String>> = chunk
        .iter()
        .map(|h| plan.params.clean(&h.location))
        .collect();
    tx.execute(
        "INSERT INTO hits (id, session_id, service_id, initial, start_time, last_seen, heartbeats,
                           tracker, location, referrer, load_time, location_clean)
         SELECT i, s, $3, ini, st, ls, hb, tr, lo, re, lt, lc
         FROM unnest($1::int8[], $2::uuid[], $4::bool[], $5::timestamptz[], $6::timestamptz[],
                     $7::int4[], $8::text[], $9::text[], $10::text[], $11::float8[], $12::text[])
              AS x(i, s, ini, st, ls, hb, tr, lo, re, lt, lc)",
        &[
            &ids,
            &sessions,
            &plan.service,
            &initial,
            &starts,
            &lasts,
            &beats,
            &tracker,
            &location,
            &referrer,
            &load,
            &clean,
        ],
    )
    .await?;
    Ok(())
}
