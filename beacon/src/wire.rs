//! The enriched beacon record: what both entrances (edge worker and direct ingest) hand to the
//! writer. It carries no raw IP unless the service collects IPs, so whatever crosses the wire or
//! sits in a queue is already reduced to what the owner needs.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Which collector produced a hit; stored as Shynet's `JS` / `PIXEL`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Hash)]
pub enum Tracker {
    /// The JavaScript tracker (page views and heartbeats).
    #[serde(rename = "JS")]
    Js,
    /// The `<noscript>` pixel: every load is a new hit.
    #[serde(rename = "PIXEL")]
    Pixel,
}

impl Tracker {
    /// The spelling stored in Postgres and shown on the dashboard.
    pub fn as_str(self) -> &'static str {
        match self {
            Tracker::Js => "JS",
            Tracker::Pixel => "PIXEL",
        }
    }
}

/// Geography and network of a visitor, derived from the IP before the IP is dropped.
/// The edge fills it from `request.cf`, the aggregator from MaxMind/DB-IP databases; empty
/// strings and `None` mean unknown.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Geo {
    /// ISO-3166 alpha-2 country code.
    #[serde(default)]
    pub country: String,
    /// First-level subdivision (state, region) name.
    #[serde(default)]
    pub region: String,
    /// City name.
    #[serde(default)]
    pub city: String,
    /// City-level latitude.
    #[serde(default)]
    pub latitude: Option<f64>,
    /// City-level longitude.
    #[serde(default)]
    pub longitude: Option<f64>,
    /// IANA time zone name.
    #[serde(default)]
    pub time_zone: String,
    /// Autonomous system number of the visitor's network.
    #[serde(default)]
    pub asn: Option<u32>,
    /// Organisation that runs that network (Shynet's "Network" column).
    #[serde(default)]
    pub as_org: String,
    /// Cloudflare data centre (IATA code) that received the beacon, set by the edge only. It
    /// describes our edge, not the visitor, so it is logged by the batch endpoint and never
    /// stored.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub colo: String,
}

/// One accepted beacon, enriched and reduced. Produced per request at the entrance, consumed in
/// batches by the writer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Beacon {
    /// The tracked service.
    pub service: Uuid,
    /// Receipt time at the entrance, in milliseconds since the Unix epoch (UTC). All stored
    /// times come from here, so a batch delivered late still lands at the right moment.
    pub time_ms: i64,
    /// Which collector sent it.
    pub tracker: Tracker,
    /// Site-supplied visitor key from the URL path ("" = anonymous), already trimmed.
    #[serde(default)]
    pub identifier: String,
    /// Page-view token of the JS tracker: a repeat of a known token is a heartbeat.
    #[serde(default)]
    pub idempotency: Option<String>,
    /// Page URL.
    #[serde(default)]
    pub location: String,
    /// `document.referrer` of the page ("" = direct).
    #[serde(default)]
    pub referrer: String,
    /// DOMContentLoaded time in ms; `None` when unknown or not positive.
    #[serde(default)]
    pub load_time: Option<f64>,
    /// Raw User-Agent; classified by the aggregator.
    #[serde(default)]
    pub user_agent: String,
    /// Keyed hash of (service, IP, User-Agent) under today's salt.
    pub visitor: VisitorKey,
    /// The same hash under yesterday's salt, sent only shortly after UTC midnight so a visit
    /// that spans midnight stays one session.
    #[serde(default)]
    pub previous_visitor: Option<VisitorKey>,
    /// The raw client IP, present only when the service collects IPs and the install allows it.
    #[serde(default)]
    pub ip: Option<std::net::IpAddr>,
    /// Geography and network.
    #[serde(default)]
    pub geo: Geo,
    /// Set when the beacon is a custom event rather than a page view (its `location` and
    /// `referrer` are then the event's page; `idempotency` stays `None`). Absent for page views,
    /// whose wire form is therefore unchanged: an edge and an aggregator from before events
    /// still understand each other's page views (see `edge_protocol::PROTOCOL_VERSION` for the
    /// other direction).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<crate::event::Event>,
}

/// A 16-byte visitor hash, hex on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct VisitorKey(pub [u8; 16]);

impl Serialize for VisitorKey {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(self.0))
    }
}

impl<'de> Deserialize<'de> for VisitorKey {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        let mut out = [0u8; 16];
        hex::decode_to_slice(s.as_bytes(), &mut out).map_err(serde::de::Error::custom)?;
        Ok(VisitorKey(out))
    }
}
