//! `shynet demo`: realistic traffic for one service, written straight into Postgres with binary
//! COPY of the writer's own row types (no HTTP, no sessionizer), so that dashboards and benchmarks can be tried at 10M hits in
//! minutes. Sessions of several pages from a diurnal, weekly and slowly growing curve; page dwell
//! times with the tracker's heartbeats; referrers across every channel, campaigns (utm tags, ad
//! click ids, `ref=`) on a quarter of the entry URLs, places down to the city, networks and
//! User-Agents drawn from weighted lists ([`traffic`]; the User-Agents are real strings,
//! classified by the same classifier as ingestion, and campaigns, channels and clean URLs come
//! from the writer's own functions); visitors coming back within a day; load times from a
//! log-normal-ish spread; custom events on about one page view in five ([`events`]). Then the
//! rollups catch up.

mod events;
mod traffic;

use crate::writer::rows::{copy_in, copy_types, HitRow, SessionRow};
use crate::writer::store::NEXT_HIT_IDS;
use anyhow::Context;
use beacon::campaign::{self, Campaign};
use beacon::channels::{self, Channel};
use beacon::tracking_params::{TrackingParams, DEFAULT_TRACKING_PARAMS};
use beacon::ua::UaClassifier;
use beacon::wire::Tracker;
use chrono::{DateTime, Duration, Utc};
use deadpool_postgres::Pool;
use futures_util::pin_mut;
use indicatif::{ProgressBar, ProgressStyle};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use traffic::{weighted, CAMPAIGNS, CAMPAIGN_PERCENT, DIURNAL, PLACES, REFERRERS, UAS};
use uuid::Uuid;

/// What `demo` wrote.
#[derive(Debug, Default, Clone, Copy, serde::Serialize)]
pub struct Summary {
    /// Hits written.
    pub hits: u64,
    /// Sessions written.
    pub sessions: u64,
    /// Custom events written.
    pub events: u64,
    /// Share of one-page sessions.
    pub bounce_rate: f64,
    /// Seconds spent writing rows.
    pub write_secs: f64,
    /// Seconds spent rolling up.
    pub rollup_secs: f64,
}

struct Session {
    id: Uuid,
    start: DateTime<Utc>,
    last: DateTime<Utc>,
    ua: usize,
    place: usize,
    hits: i32,
    campaign: Campaign,
    channel: Channel,
    exit: String,
    visitor: [u8; 16],
}

struct Hit {
    session: Uuid,
    initial: bool,
    start: DateTime<Utc>,
    last: DateTime<Utc>,
    heartbeats: i32,
    location: String,
    location_clean: Option<String>,
    referrer: &'static str,
    load_time: Option<f64>,
}

/// Where a session comes from: its entry referrer and the campaign query of its entry URL.
fn arrival(rng: &mut StdRng) -> (&'static str, Option<&'static str>) {
    if rng.random_range(0..100) < CAMPAIGN_PERCENT {
        let (query, referrer, _) = weighted(rng, CAMPAIGNS, |c| c.2);
        (referrer, Some(query))
    } else {
        (weighted(rng, REFERRERS, |r| r.1).0, None)
    }
}

/// A visitor key: about one session in four is a visitor's second (or later) of the day.
fn visitor(rng: &mut StdRng, day: i64, sessions_per_day: u64) -> [u8; 16] {
    let id = rng.random_range(0..(sessions_per_day * 3 / 4).max(1)) as u128;
    ((day as u128) << 64 | id).to_le_bytes()
}

fn page(rng: &mut StdRng) -> String {
    // A few hot pages and a long tail of posts (Zipf-like).
    let r: f64 = rng.random();
    if r < 0.25 {
        "https://example.com/".into()
    } else if r < 0.35 {
        "https://example.com/pricing".into()
    } else if r < 0.42 {
        "https://example.com/docs/".into()
    } else {
        let n = (1.0 / (1.0 - rng.random::<f64>() * 0.995)).floor() as u32;
        format!("https://example.com/blog/post-{n}")
    }
}

/// Generates one chunk of about `hits` hits in [from, to), with their events.
fn generate(
    rng: &mut StdRng,
    hits: u64,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    params: &TrackingParams,
) -> (Vec<Session>, Vec<Hit>, Vec<events::DemoEvent>) {
    let mut sessions = Vec::new();
    let mut demo_events = Vec::new();
    let mut out = Vec::with_capacity(hits as usize + 16);
    let days = ((to - from).num_hours() / 24).max(1);
    let sessions_per_day = hits / 3 / days as u64;
    while (out.len() as u64) < hits {
        // Day: growth over the period and quieter weekends; hour: the diurnal curve.
        let day = loop {
            let d = rng.random_range(0..days);
            let growth = 0.6 + 0.4 * d as f64 / days as f64;
            let date = from + Duration::days(d);
            let weekend = matches!(
                chrono::Datelike::weekday(&date),
                chrono::Weekday::Sat | chrono::Weekday::Sun
            );
            if rng.random::<f64>() < growth * if weekend { 0.7 } else { 1.0 } {
                break date;
            }
        };
        let hour = *weighted(rng, &(0..24).collect::<Vec<usize>>(), |h| DIURNAL[*h]) as i64;
        let start = chrono::DurationRound::duration_trunc(day, Duration::days(1)).unwrap_or(day)
            + Duration::hours(hour)
            + Duration::milliseconds(rng.random_range(0..3_600_000));
        if start >= to || start < from {
            continue;
        }
        let pages = if rng.random_bool(0.45) {
            1
        } else {
            2 + (rng.random::<f64>().powi(2) * 8.0) as i32
        };
        let id = Uuid::new_v4();
        let ua = UAS
            .iter()
            .position(|u| std::ptr::eq(u, weighted(rng, UAS, |u| u.1)))
            .unwrap_or(0);
        let place = PLACES
            .iter()
            .position(|p| std::ptr::eq(p, weighted(rng, PLACES, |p| p.weight)))
            .unwrap_or(0);
        let (referrer, query) = arrival(rng);
        let mut t = start;
        for i in 0..pages {
            let dwell_ms = (-(1.0 - rng.random::<f64>()).ln() * 45_000.0) as i64;
            let last = t + Duration::milliseconds(dwell_ms);
            let location = match query.filter(|_| i == 0) {
                Some(q) => format!("{}?{q}", page(rng)),
                None => page(rng),
            };
            out.push(Hit {
                session: id,
                initial: i == 0,
                start: t,
                last,
                heartbeats: (dwell_ms / 5000) as i32,
                location_clean: params.clean(&location),
                location,
                referrer: if i == 0 { referrer } else { "" },
                load_time: rng
                    .random_bool(0.9)
                    .then(|| (150.0 + 1200.0 * rng.random::<f64>().powi(3)).round()),
            });
            let i = out.len() - 1;
            let h = &out[i];
            let view = events::PageView {
                index: i,
                session: h.session,
                session_start: start,
                location: &h.location,
                start: h.start,
                last: h.last,
            };
            demo_events.extend(events::event(rng, &view));
            t = last + Duration::milliseconds(rng.random_range(500..20_000));
        }
        let last = out.last().map(|h| h.last).unwrap_or(start);
        let entry = &out[out.len() - pages as usize];
        let campaign = campaign::parse(&entry.location);
        let channel = channels::classify(&campaign, referrer, &entry.location);
        let exit = out
            .last()
            .map(|h| {
                h.location_clean
                    .clone()
                    .unwrap_or_else(|| h.location.clone())
            })
            .unwrap_or_default();
        let day = (start - from).num_days();
        sessions.push(Session {
            id,
            start,
            last,
            ua,
            place,
            hits: pages,
            campaign,
            channel,
            exit,
            visitor: visitor(rng, day, sessions_per_day),
        });
    }
    (sessions, out, demo_events)
}

/// Writes `hits` hits over the last `days` days into `service`, then rolls up.
pub async fn run(
    pool: &Pool,
    service: Uuid,
    hits: u64,
    days: u32,
    seed: u64,
    session_timeout_secs: f64,
) -> anyhow::Result<Summary> {
    let classifier = UaClassifier::new().context("loading the User-Agent classifier")?;
    let uas: Vec<beacon::ua::UaInfo> = UAS.iter().map(|u| classifier.classify(u.0)).collect();
    let client = pool.get().await?;
    let exists = models::services::exists(&**client, service).await?;
    anyhow::ensure!(
        exists,
        "no service {service}: create it first (`shynet service create`)"
    );
    // Data must not be newer than now: rows end a few minutes ago.
    let to = Utc::now() - Duration::minutes(5);
    let from = to - Duration::days(days.max(1) as i64);
    client
        .query_one("SELECT shynet_ensure_partitions($1, 3)", &[&from])
        .await?;
    stats::rollup::rewind(&**client, from).await?;
    drop(client);

    let bar = ProgressBar::new(hits);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:40} {human_pos}/{human_len} hits ({per_sec}, eta {eta})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let started = std::time::Instant::now();
    let mut rng = StdRng::seed_from_u64(seed);
    let mut summary = Summary::default();
    let mut bounces = 0u64;
    const CHUNK: u64 = 200_000;
    let chunks = hits.div_ceil(CHUNK).max(1);
    let span = (to - from) / chunks as i32;
    let mut pending: Option<tokio::task::JoinHandle<anyhow::Result<()>>> = None;
    let params: TrackingParams = DEFAULT_TRACKING_PARAMS.parse()?;
    for c in 0..chunks {
        let n = CHUNK.min(hits - c * CHUNK);
        let lo = from + span * c as i32;
        let (sessions, hit_rows, demo_events) = generate(&mut rng, n, lo, lo + span, &params);
        summary.sessions += sessions.len() as u64;
        summary.hits += hit_rows.len() as u64;
        summary.events += demo_events.len() as u64;
        bounces += sessions.iter().filter(|s| s.hits == 1).count() as u64;
        // Write this chunk while the next one is generated.
        if let Some(p) = pending.take() {
            p.await??;
        }
        let pool = pool.clone();
        let uas = uas.clone();
        let bar = bar.clone();
        pending = Some(tokio::spawn(async move {
            let (a, b) = tokio::join!(
                copy_sessions(&pool, service, &sessions, &uas),
                copy_hits(&pool, service, &hit_rows)
            );
            a?;
            events::copy_events(&pool, service, &demo_events, &b?).await?;
            bar.inc(hit_rows.len() as u64);
            Ok(())
        }));
    }
    if let Some(p) = pending.take() {
        p.await??;
    }
    bar.finish();
    summary.write_secs = started.elapsed().as_secs_f64();
    summary.bounce_rate = bounces as f64 / summary.sessions.max(1) as f64;

    let started = std::time::Instant::now();
    let spinner = ProgressBar::new_spinner();
    spinner.set_message("rolling up");
    let mut conn = pool.get().await?;
    // Again after the rows exist: a running server's passes may have rolled these hours while
    // they were being written.
    stats::rollup::rewind(&**conn, from).await?;
    stats::rollup::catch_up(&mut conn, session_timeout_secs, 24 * 31, |p| {
        spinner.set_message(format!("rolling up: watermark {:?}", p.watermark));
        spinner.tick();
    })
    .await?;
    spinner.finish_and_clear();
    summary.rollup_secs = started.elapsed().as_secs_f64();
    Ok(summary)
}

async fn copy_sessions(
    pool: &Pool,
    service: Uuid,
    rows: &[Session],
    uas: &[beacon::ua::UaInfo],
) -> anyhow::Result<()> {
    let client = pool.get().await?;
    let sink = client.copy_in(&copy_in::<SessionRow>()).await?;
    let w = BinaryCopyInWriter::new(sink, &copy_types::<SessionRow>());
    pin_mut!(w);
    for s in rows {
        let ua = &uas[s.ua];
        let p = &PLACES[s.place];
        let row = SessionRow {
            id: s.id,
            service_id: service,
            start_time: s.start,
            last_seen: s.last,
            identifier: "",
            user_agent: "",
            browser: &ua.browser,
            browser_version: &ua.browser_version,
            os: &ua.os,
            os_version: &ua.os_version,
            device: &ua.device,
            device_type: ua.device_type.as_str(),
            ip: None,
            asn: (p.asn != 0).then_some(p.asn),
            as_org: p.as_org,
            country: p.country,
            region: p.region,
            city: p.city,
            latitude: None,
            longitude: None,
            time_zone: "",
            hit_count: s.hits,
            is_bounce: s.hits == 1,
            utm_source: &s.campaign.source,
            utm_medium: &s.campaign.medium,
            utm_campaign: &s.campaign.campaign,
            utm_term: &s.campaign.term,
            utm_content: &s.campaign.content,
            channel: s.channel.as_str(),
            exit_page: &s.exit,
            visitor: &s.visitor,
        };
        w.as_mut().write(&row.values()).await?;
    }
    w.finish().await?;
    Ok(())
}

/// Writes the hits; returns their ids (in order) for the events that refer to them.
async fn copy_hits(pool: &Pool, service: Uuid, rows: &[Hit]) -> anyhow::Result<Vec<i64>> {
    let client = pool.get().await?;
    // Ids from the hits' own sequence, as the writer takes them, so demo rows and live rows
    // never collide.
    let ids: Vec<i64> = client
        .query(NEXT_HIT_IDS, &[&(rows.len() as i64)])
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    anyhow::ensure!(ids.len() == rows.len(), "the hit id sequence fell short");
    let sink = client.copy_in(&copy_in::<HitRow>()).await?;
    let w = BinaryCopyInWriter::new(sink, &copy_types::<HitRow>());
    pin_mut!(w);
    for (h, &id) in rows.iter().zip(&ids) {
        let row = HitRow {
            id,
            session_id: h.session,
            service_id: service,
            initial: h.initial,
            start_time: h.start,
            last_seen: h.last,
            heartbeats: h.heartbeats,
            tracker: Tracker::Js.as_str(),
            location: &h.location,
            referrer: h.referrer,
            load_time: h.load_time,
            location_clean: h.location_clean.as_deref(),
        };
        w.as_mut().write(&row.values()).await?;
    }
    w.finish().await?;
    Ok(ids)
}
