//! The demo's custom events: about one page view in five sends one (outbound clicks and
//! downloads with their URL, signups with a plan, 404s), bound to its session and page view as
//! the writer binds them, so event tables, goals and their benchmarks have realistic rows.

use super::traffic::weighted;
use crate::writer::rows::{copy_in, copy_types, EventRow};
use chrono::{DateTime, Duration, Utc};
use deadpool_postgres::Pool;
use futures_util::pin_mut;
use rand::rngs::StdRng;
use rand::Rng;
use std::collections::BTreeMap;
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::Json;
use uuid::Uuid;

/// Share of page views that send a custom event.
const EVENT_RATE: f64 = 0.2;

/// Custom events with rough shares: the automatic ones (outbound links, downloads, 404s) and a
/// conversion (`Signup`, props `plan`).
static EVENTS: &[(&str, u32)] = &[
    ("Outbound Link: Click", 40),
    ("Signup", 25),
    ("File Download", 25),
    ("404", 10),
];

/// Targets of outbound links.
static OUTBOUND: &[(&str, u32)] = &[
    ("https://github.com/example/project", 40),
    ("https://twitter.com/example", 15),
    ("https://news.ycombinator.com/item?id=1", 10),
    ("https://docs.rs/example", 20),
    ("https://www.youtube.com/watch?v=demo", 15),
];

/// Downloadable files.
static DOWNLOADS: &[(&str, u32)] = &[
    ("https://example.com/files/whitepaper.pdf", 40),
    ("https://example.com/files/example-1.4.2.zip", 30),
    ("https://example.com/files/pricing.pdf", 20),
    ("https://example.com/files/logo-kit.zip", 10),
];

/// A custom event of one demo page view.
pub(super) struct DemoEvent {
    /// Index of its page view in the chunk's hits.
    hit: usize,
    /// Its session and page.
    session: Uuid,
    location: String,
    /// Its session's start.
    session_start: DateTime<Utc>,
    time: DateTime<Utc>,
    name: &'static str,
    props: BTreeMap<String, String>,
}

/// The page view an event may come from: its index in the chunk, session, page and time span.
pub(super) struct PageView<'a> {
    pub index: usize,
    pub session: Uuid,
    pub session_start: DateTime<Utc>,
    pub location: &'a str,
    pub start: DateTime<Utc>,
    pub last: DateTime<Utc>,
}

/// The event a page view sends, if any (about [`EVENT_RATE`] of them).
pub(super) fn event(rng: &mut StdRng, h: &PageView) -> Option<DemoEvent> {
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
        hit: h.index,
        session: h.session,
        location: h.location.to_owned(),
        session_start: h.session_start,
        time: h.start + Duration::milliseconds(rng.random_range(0..=dwell_ms)),
        name,
        props,
    })
}

/// Writes the events, each bound to its page view (`hit_ids` in the order of the chunk's hits).
pub(super) async fn copy_events(
    pool: &Pool,
    service: Uuid,
    events: &[DemoEvent],
    hit_ids: &[i64],
) -> anyhow::Result<()> {
    let client = pool.get().await?;
    let sink = client.copy_in(&copy_in::<EventRow>()).await?;
    let w = BinaryCopyInWriter::new(sink, &copy_types::<EventRow>());
    pin_mut!(w);
    for e in events {
        let row = EventRow {
            service_id: service,
            session_id: e.session,
            session_start: e.session_start,
            hit_id: hit_ids.get(e.hit).copied(),
            start_time: e.time,
            name: e.name,
            props: Json(&e.props),
            location: &e.location,
        };
        w.as_mut().write(&row.values()).await?;
    }
    w.finish().await?;
    Ok(())
}
