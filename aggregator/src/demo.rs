//! `shynet demo`: realistic traffic for one service, written straight into Postgres with binary
//! COPY of the writer's own row types (no HTTP, no sessionizer), so that dashboards and benchmarks can be tried at 10M hits in
//! minutes. Sessions of several pages from a diurnal, weekly and slowly growing curve; page dwell
//! times with the tracker's heartbeats; referrers, countries, networks and User-Agents drawn from
//! weighted lists (the User-Agents are real strings, classified by the same classifier as
//! ingestion); load times from a log-normal-ish spread; custom events on about one page view
//! in five (signups with a plan, outbound clicks and downloads with their URL, 404s), bound to
//! their session and page view as the writer binds them. Then the rollups catch up.

use crate::writer::rows::{copy_in, copy_types, EventRow, HitRow, SessionRow};
use crate::writer::store::NEXT_HIT_IDS;
use anyhow::Context;
use beacon::ua::UaClassifier;
use beacon::wire::Tracker;
use chrono::{DateTime, Duration, Utc};
use deadpool_postgres::Pool;
use futures_util::pin_mut;
use indicatif::{ProgressBar, ProgressStyle};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::BTreeMap;
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::Json;
use uuid::Uuid;

/// User-Agents with rough shares of real traffic (desktop Chrome leads, then mobile Safari …).
const UAS: &[(&str, u32)] = &[
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36", 30),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.51", 6),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15", 8),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:125.0) Gecko/20100101 Firefox/125.0", 3),
    ("Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0", 2),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0", 4),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1", 20),
    ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36", 6),
    ("Mozilla/5.0 (Linux; Android 13; SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36", 10),
    ("Mozilla/5.0 (iPad; CPU OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1", 3),
    ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", 1),
];

/// Countries with a network of each and a rough share.
const PLACES: &[(&str, &str, i32, u32)] = &[
    ("US", "Comcast Cable Communications", 7922, 30),
    ("US", "Verizon Business", 701, 8),
    ("DE", "Deutsche Telekom AG", 3320, 9),
    ("GB", "British Telecommunications PLC", 2856, 7),
    ("FR", "Orange", 3215, 6),
    ("IN", "Reliance Jio Infocomm Limited", 55836, 8),
    ("BR", "Claro NXT Telecomunicacoes Ltda", 28573, 4),
    ("CA", "Rogers Communications Canada Inc.", 812, 4),
    ("JP", "NTT Communications Corporation", 4713, 4),
    ("NL", "KPN B.V.", 1136, 3),
    ("AU", "Telstra Limited", 1221, 3),
    ("ES", "Telefonica de Espana", 3352, 3),
    ("PL", "Orange Polska Spolka Akcyjna", 5617, 2),
    ("SE", "Telia Company AB", 3301, 2),
    ("", "", 0, 2),
];

/// Entry referrers ("" = direct).
const REFERRERS: &[(&str, u32)] = &[
    ("", 40),
    ("https://www.google.com/", 30),
    ("https://duckduckgo.com/", 5),
    ("https://www.bing.com/", 4),
    ("https://news.ycombinator.com/", 5),
    ("https://www.reddit.com/", 4),
    ("https://t.co/", 3),
    ("https://github.com/", 4),
    ("https://lobste.rs/", 2),
    ("android-app://com.slack/", 1),
];

/// Share of page views that send a custom event.
const EVENT_RATE: f64 = 0.2;

/// Custom events with rough shares: the automatic ones (outbound links, downloads, 404s) and a
/// conversion (`Signup`, props `plan`).
const EVENTS: &[(&str, u32)] = &[
    ("Outbound Link: Click", 40),
    ("Signup", 25),
    ("File Download", 25),
    ("404", 10),
];

/// Targets of outbound links.
const OUTBOUND: &[(&str, u32)] = &[
    ("https://github.com/example/project", 40),
    ("https://twitter.com/example", 15),
    ("https://news.ycombinator.com/item?id=1", 10),
    ("https://docs.rs/example", 20),
    ("https://www.youtube.com/watch?v=demo", 15),
];

/// Downloadable files.
const DOWNLOADS: &[(&str, u32)] = &[
    ("https://example.com/files/whitepaper.pdf", 40),
    ("https://example.com/files/example-1.4.2.zip", 30),
    ("https://example.com/files/pricing.pdf", 20),
    ("https://example.com/files/logo-kit.zip", 10),
];

/// Hour-of-day weights (UTC), a workday curve.
const DIURNAL: [u32; 24] = [
    3, 2, 2, 2, 3, 4, 6, 8, 10, 11, 12, 12, 12, 12, 12, 12, 11, 10, 9, 8, 7, 6, 5, 4,
];

fn weighted<'a, T>(rng: &mut StdRng, items: &'a [T], w: impl Fn(&T) -> u32) -> &'a T {
    let total: u32 = items.iter().map(&w).sum();
    let mut x = rng.random_range(0..total.max(1));
    for it in items {
        let wi = w(it);
        if x < wi {
            return it;
        }
        x -= wi;
    }
    &items[items.len() - 1]
}

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
}

struct Hit {
    session: Uuid,
    initial: bool,
    start: DateTime<Utc>,
    last: DateTime<Utc>,
    heartbeats: i32,
    location: String,
    referrer: &'static str,
    load_time: Option<f64>,
}

/// A custom event of one demo page view.
struct DemoEvent {
    /// Index of its page view in the chunk's hits.
    hit: usize,
    /// Its session's start.
    session_start: DateTime<Utc>,
    time: DateTime<Utc>,
    name: &'static str,
    props: BTreeMap<String, String>,
}

/// The event a page view sends, if any (about [`EVENT_RATE`] of them).
fn event(rng: &mut StdRng, hit: usize, h: &Hit, session_start: DateTime<Utc>) -> Option<DemoEvent> {
    if !rng.random_bool(EVENT_RATE) {
        return None;
    }
    let name = weighted(rng, EVENTS, |e| e.1).0;
    let prop = |k: &str, v: &str| BTreeMap::from([(k.to_owned(), v.to_owned())]);
    let props = match name {
        "Signup" => prop("plan", if rng.random_bool(0.8) { "free" } else { "pro" }),
        "Outbound Link: Click" => prop("url", weighted(rng, OUTBOUND, |u| u.1).0),
        "File Download" => prop("url", weighted(rng, DOWNLOADS, |u| u.1).0),
        _ => BTreeMap::new(),
    };
    let dwell_ms = (h.last - h.start).num_milliseconds().max(0);
    Some(DemoEvent {
        hit,
        session_start,
        time: h.start + Duration::milliseconds(rng.random_range(0..=dwell_ms)),
        name,
        props,
    })
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
) -> (Vec<Session>, Vec<Hit>, Vec<DemoEvent>) {
    let mut sessions = Vec::new();
    let mut events = Vec::new();
    let mut out = Vec::with_capacity(hits as usize + 16);
    let days = ((to - from).num_hours() / 24).max(1);
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
            .position(|p| std::ptr::eq(p, weighted(rng, PLACES, |p| p.3)))
            .unwrap_or(0);
        let referrer = weighted(rng, REFERRERS, |r| r.1).0;
        let mut t = start;
        for i in 0..pages {
            let dwell_ms = (-(1.0 - rng.random::<f64>()).ln() * 45_000.0) as i64;
            let last = t + Duration::milliseconds(dwell_ms);
            out.push(Hit {
                session: id,
                initial: i == 0,
                start: t,
                last,
                heartbeats: (dwell_ms / 5000) as i32,
                location: page(rng),
                referrer: if i == 0 { referrer } else { "" },
                load_time: rng
                    .random_bool(0.9)
                    .then(|| (150.0 + 1200.0 * rng.random::<f64>().powi(3)).round()),
            });
            let i = out.len() - 1;
            events.extend(event(rng, i, &out[i], start));
            t = last + Duration::milliseconds(rng.random_range(500..20_000));
        }
        let last = out.last().map(|h| h.last).unwrap_or(start);
        sessions.push(Session {
            id,
            start,
            last,
            ua,
            place,
            hits: pages,
        });
    }
    (sessions, out, events)
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
    for c in 0..chunks {
        let n = CHUNK.min(hits - c * CHUNK);
        let lo = from + span * c as i32;
        let (sessions, hit_rows, events) = generate(&mut rng, n, lo, lo + span);
        summary.sessions += sessions.len() as u64;
        summary.hits += hit_rows.len() as u64;
        summary.events += events.len() as u64;
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
            copy_events(&pool, service, &events, &hit_rows, &b?).await?;
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
        let (country, as_org, asn, _) = PLACES[s.place];
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
            asn: (asn != 0).then_some(asn),
            as_org,
            country,
            region: "",
            city: "",
            latitude: None,
            longitude: None,
            time_zone: "",
            hit_count: s.hits,
            is_bounce: s.hits == 1,
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
        };
        w.as_mut().write(&row.values()).await?;
    }
    w.finish().await?;
    Ok(ids)
}

/// Writes the events, each bound to its page view (`hit_ids` in the order of `hits`).
async fn copy_events(
    pool: &Pool,
    service: Uuid,
    events: &[DemoEvent],
    hits: &[Hit],
    hit_ids: &[i64],
) -> anyhow::Result<()> {
    let client = pool.get().await?;
    let sink = client.copy_in(&copy_in::<EventRow>()).await?;
    let w = BinaryCopyInWriter::new(sink, &copy_types::<EventRow>());
    pin_mut!(w);
    for e in events {
        let h = &hits[e.hit];
        let row = EventRow {
            service_id: service,
            session_id: h.session,
            session_start: e.session_start,
            hit_id: hit_ids.get(e.hit).copied(),
            start_time: e.time,
            name: e.name,
            props: Json(&e.props),
            location: &h.location,
        };
        w.as_mut().write(&row.values()).await?;
    }
    w.finish().await?;
    Ok(())
}
