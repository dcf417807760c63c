//! The ingress request flow as pure functions, shared by the aggregator's direct ingest (warp)
//! and the edge worker (workers-rs): which route a path names, whether a service takes the
//! request, what the method asks for, which privacy rules drop the beacon, and every response
//! with its exact status, headers and body. Each entrance only does its own I/O (service
//! lookup, UA classification, queueing) between these steps, so the two cannot drift apart.

use crate::auto_script::AutoFeatures;
use crate::event::{self, Event, EventError};
use crate::ip_filter::IgnoredIps;
use crate::origins::{AllowedOrigins, OriginCheck};
use crate::payload::{self, PayloadError};
use crate::responses as ig;
use crate::wire::Tracker;
use std::borrow::Cow;
use std::net::IpAddr;
use uuid::Uuid;

/// Which file an ingress path names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum File {
    /// `script.js`: the tracker (GET/HEAD) and its beacons (POST).
    Script,
    /// `pixel.gif`: the `<noscript>` pixel (GET/HEAD).
    Pixel,
    /// `event`: a custom event as JSON (POST).
    Event,
    /// `event.gif`: a custom event in the query string, answered with the pixel (GET/HEAD).
    EventGif,
    /// `auto.js`: the automatic-event script the tracker loads when its tag asks (GET/HEAD).
    Auto,
}

impl File {
    /// The `Allow` header of a 405 on this file.
    pub fn allow(self) -> &'static str {
        match self {
            File::Script => "GET, HEAD, POST, OPTIONS",
            File::Pixel | File::EventGif | File::Auto => "GET, HEAD, OPTIONS",
            File::Event => "POST, OPTIONS",
        }
    }
}

/// A parsed `/ingress/{service}[/{identifier}]/{file}` path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The service id.
    pub service: Uuid,
    /// The site-supplied visitor key, URL-decoded, trimmed and validated ("" = none).
    pub identifier: String,
    /// Script or pixel.
    pub file: File,
}

/// A refused request: status and the reason sent back in the JSON body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// HTTP status (4xx).
    pub status: u16,
    /// Human-readable reason (safe to show: it never echoes secrets).
    pub reason: Cow<'static, str>,
    /// `Allow` header value for a 405.
    pub allow: Option<&'static str>,
}

impl Refusal {
    fn new(status: u16, reason: impl Into<Cow<'static, str>>) -> Refusal {
        Refusal {
            status,
            reason: reason.into(),
            allow: None,
        }
    }

    /// The response for this refusal (JSON reason, `no-store`, `Allow` on a 405).
    pub fn reply(&self) -> Reply {
        let mut r = error_reply(self.status, &self.reason);
        if let Some(allow) = self.allow {
            r.headers.push(("allow", allow.to_owned()));
        }
        r
    }
}

impl From<PayloadError> for Refusal {
    fn from(e: PayloadError) -> Refusal {
        Refusal::new(e.status(), e.to_string())
    }
}

impl From<EventError> for Refusal {
    fn from(e: EventError) -> Refusal {
        Refusal::new(e.status(), e.to_string())
    }
}

/// Parses the path below `/ingress/` (`{service}[/{identifier}]/{file}`): unknown shapes are
/// 404, a malformed service id or identifier 400.
///
/// Exists so both entrances accept exactly the same paths with the same answers.
pub fn parse_route(tail: &str) -> Result<Route, Refusal> {
    let parts: Vec<&str> = tail.split('/').collect();
    let (svc, ident, file) = match parts.as_slice() {
        [s, f] => (*s, "", *f),
        [s, i, f] if !i.is_empty() => (*s, *i, *f),
        _ => return Err(no_such_route()),
    };
    let file = match file {
        "script.js" => File::Script,
        "pixel.gif" => File::Pixel,
        "event" => File::Event,
        "event.gif" => File::EventGif,
        "auto.js" => File::Auto,
        _ => return Err(no_such_route()),
    };
    let ident = percent_encoding::percent_decode_str(ident)
        .decode_utf8()
        .map_err(|_| Refusal::new(400, "path segment is not valid UTF-8"))?;
    let service = Uuid::parse_str(svc).map_err(|_| Refusal::new(400, "malformed service id"))?;
    let identifier = payload::parse_identifier(&ident)?;
    Ok(Route {
        service,
        identifier,
        file,
    })
}

/// Decides whether a known service takes this request: archived services take nothing (404),
/// and the request's `Origin`/`Referer` must pass the service's origin list (403). On success
/// returns the `Access-Control-Allow-Origin` value to send.
///
/// Exists so the edge and the aggregator refuse the same requests with the same reasons.
pub fn gate(
    active: bool,
    origins: &AllowedOrigins,
    origin: Option<&str>,
    referer: Option<&str>,
) -> Result<String, Refusal> {
    if !active {
        return Err(Refusal::new(404, "service is archived and accepts no data"));
    }
    match origins.check(origin, referer) {
        OriginCheck::Allowed { allow_origin } => Ok(allow_origin),
        OriginCheck::Denied { reason } => Err(Refusal::new(403, reason)),
    }
}

/// The refusal for a path that names no ingress file (also what an edge answers for events
/// while its aggregator does not store them).
pub fn no_such_route() -> Refusal {
    Refusal::new(404, "no such ingress route")
}

/// The refusal for a service id that does not exist.
pub fn unknown_service() -> Refusal {
    Refusal::new(404, "unknown service")
}

/// The page-view facts of an accepted beacon request, before any per-visitor rule.
#[derive(Debug, Clone, PartialEq)]
pub struct PageView {
    /// Script or pixel.
    pub tracker: Tracker,
    /// Path identifier.
    pub identifier: String,
    /// Page-view token (script only).
    pub idempotency: Option<String>,
    /// Page URL: the body's `location`, else the `Referer` header.
    pub location: String,
    /// `document.referrer` (script only).
    pub referrer: String,
    /// Load time in ms (script only).
    pub load_time: Option<f64>,
    /// A custom event sent from this page instead of a page view (`event`, `event.gif`).
    pub event: Option<Event>,
}

/// What a request to a gated service asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Plan {
    /// `OPTIONS`: answer [`preflight_reply`].
    Preflight,
    /// `GET`/`HEAD` of the script: serve the tracker.
    Script,
    /// `GET`/`HEAD` of `auto.js`: serve [`crate::auto_script::render`] for these features.
    Auto(AutoFeatures),
    /// A beacon to record; answer [`accepted_reply`] once it is accepted (or deliberately
    /// dropped).
    Beacon(PageView),
    /// Refuse (bad body, wrong method).
    Refuse(Refusal),
}

/// Decides what a request to `file` with `method` asks for, parsing a beacon's body (or, for
/// `event.gif` and `auto.js`, its `query` string).
///
/// Exists so both entrances share the method table and the body rules (400/413 reasons).
pub fn plan(
    method: &str,
    file: File,
    identifier: String,
    body: &[u8],
    query: Option<&str>,
    referer: Option<&str>,
) -> Plan {
    let view = |tracker, location: Option<String>, referrer, event| PageView {
        tracker,
        identifier: identifier.clone(),
        idempotency: None,
        location: location.unwrap_or_else(|| payload::header_url(referer)),
        referrer,
        load_time: None,
        event,
    };
    let event_view = |tracker, parsed: Result<event::EventPayload, EventError>| match parsed {
        Ok(e) => Plan::Beacon(view(tracker, e.location, e.referrer, Some(e.event))),
        Err(e) => Plan::Refuse(e.into()),
    };
    match (method, file) {
        ("OPTIONS", _) => Plan::Preflight,
        ("GET" | "HEAD", File::Script) => Plan::Script,
        ("GET" | "HEAD", File::Auto) => Plan::Auto(AutoFeatures::from_query(query)),
        ("POST", File::Script) => match payload::parse_script_body(body) {
            Ok(p) => Plan::Beacon(PageView {
                idempotency: p.idempotency,
                load_time: p.load_time,
                ..view(Tracker::Js, p.location, p.referrer, None)
            }),
            Err(e) => Plan::Refuse(e.into()),
        },
        ("GET" | "HEAD", File::Pixel) => {
            Plan::Beacon(view(Tracker::Pixel, None, String::new(), None))
        }
        ("POST", File::Event) => event_view(Tracker::Js, event::parse_event_body(body)),
        ("GET" | "HEAD", File::EventGif) => event_view(
            Tracker::Pixel,
            event::parse_event_query(query.unwrap_or("")),
        ),
        _ => Plan::Refuse(Refusal {
            status: 405,
            reason: Cow::Borrowed("method not allowed here"),
            allow: Some(file.allow()),
        }),
    }
}

/// Why a beacon was deliberately not recorded (the visitor still gets the normal answer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropReason {
    /// DNT or GPC on a service that honours them.
    DoNotTrack,
    /// The client IP is in the service's ignored networks.
    IgnoredIp,
    /// A robot on a service that ignores robots.
    Robot,
}

/// The per-visitor rules that need no UA classification, in the aggregator's order: DNT/GPC
/// first, then ignored IPs. Robots are checked by the caller afterwards (full classification in
/// the aggregator, [`crate::bots::looks_like_bot`] at the edge).
///
/// Exists so both entrances drop the same visitors.
pub fn privacy_drop(
    respect_dnt: bool,
    dnt: Option<&str>,
    sec_gpc: Option<&str>,
    ip: Option<IpAddr>,
    ignored_ips: &IgnoredIps,
) -> Option<DropReason> {
    if respect_dnt && ig::wants_no_tracking(dnt, sec_gpc) {
        return Some(DropReason::DoNotTrack);
    }
    if ip.is_some_and(|ip| ignored_ips.contains(ip)) {
        return Some(DropReason::IgnoredIp);
    }
    None
}

/// A response in neutral form: each entrance converts it to its HTTP library's type. Headers
/// are appended in order (`vary` may appear twice, as the aggregator always sent it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// Header names (lower-case) and values, in order.
    pub headers: Vec<(&'static str, String)>,
    /// Body bytes.
    pub body: Cow<'static, [u8]>,
}

impl Reply {
    /// Adds the CORS headers every ingress answer to a gated service carries.
    pub fn with_cors(mut self, allow_origin: &str) -> Reply {
        self.headers
            .push(("access-control-allow-origin", allow_origin.to_owned()));
        self.headers
            .push(("access-control-allow-methods", ig::ALLOW_METHODS.to_owned()));
        self.headers
            .push(("access-control-allow-headers", ig::ALLOW_HEADERS.to_owned()));
        self.headers.push(("vary", "Origin".to_owned()));
        self
    }
}

/// The JSON body of a refusal: `{"status":"error","reason":…}`.
pub fn error_body(reason: &str) -> String {
    serde_json::json!({ "status": "error", "reason": reason }).to_string()
}

/// A refusal or failure response (`application/json`, `no-store`).
pub fn error_reply(status: u16, reason: &str) -> Reply {
    Reply {
        status,
        headers: vec![
            ("content-type", "application/json".to_owned()),
            ("cache-control", "no-store".to_owned()),
        ],
        body: Cow::Owned(error_body(reason).into_bytes()),
    }
}

/// The answer to a CORS preflight (before [`Reply::with_cors`]).
pub fn preflight_reply() -> Reply {
    Reply {
        status: 204,
        headers: vec![("access-control-max-age", ig::PREFLIGHT_MAX_AGE.to_owned())],
        body: Cow::Borrowed(&[]),
    }
}

/// The answer to an accepted (or deliberately dropped) beacon: the GIF for the pixel,
/// `{"status": "OK"}` for the script (before [`Reply::with_cors`]).
pub fn accepted_reply(tracker: Tracker) -> Reply {
    match tracker {
        Tracker::Pixel => Reply {
            status: 200,
            headers: vec![
                ("content-type", "image/gif".to_owned()),
                ("cache-control", ig::PIXEL_CACHE_CONTROL.to_owned()),
            ],
            body: Cow::Borrowed(&ig::PIXEL_GIF),
        },
        Tracker::Js => Reply {
            status: 200,
            headers: vec![("content-type", "application/json".to_owned())],
            body: Cow::Borrowed(ig::OK_BODY.as_bytes()),
        },
    }
}

/// Content-Type of the tracker.
pub const SCRIPT_CONTENT_TYPE: &str = "application/javascript; charset=utf-8";

/// Whether an `If-None-Match` value matches `etag` (a list, or `*`).
pub fn etag_matches(if_none_match: Option<&str>, etag: &str) -> bool {
    if_none_match
        .map(|inm| inm.split(',').any(|t| t.trim() == etag || t.trim() == "*"))
        .unwrap_or(false)
}

/// Whether an `Accept-Encoding` value allows gzip.
pub fn accepts_gzip(accept_encoding: Option<&str>) -> bool {
    accept_encoding
        .map(|ae| ae.split(',').any(|e| e.trim().starts_with("gzip")))
        .unwrap_or(false)
}

/// The tracker response for a rendered `body` with its `etag`: 304 when the client has it,
/// else the body as given (`body` may already be compressed; the caller then adds
/// `content-encoding`). Headers: content type, short cache, ETag, `Vary`.
pub fn script_reply(body: Cow<'static, [u8]>, etag: &str, if_none_match: Option<&str>) -> Reply {
    let (status, body) = if etag_matches(if_none_match, etag) {
        (304, Cow::Borrowed(&[][..]))
    } else {
        (200, body)
    };
    Reply {
        status,
        headers: vec![
            ("content-type", SCRIPT_CONTENT_TYPE.to_owned()),
            ("cache-control", ig::SCRIPT_CACHE_CONTROL.to_owned()),
            ("etag", etag.to_owned()),
            ("vary", ig::SCRIPT_VARY.to_owned()),
        ],
        body,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id() -> String {
        Uuid::from_u128(7).to_string()
    }

    #[test]
    fn routes() {
        let r = parse_route(&format!("{}/script.js", id())).unwrap();
        assert_eq!((r.identifier.as_str(), r.file), ("", File::Script));
        let r = parse_route(&format!("{}/user%201/pixel.gif", id())).unwrap();
        assert_eq!((r.identifier.as_str(), r.file), ("user 1", File::Pixel));
        for (tail, status) in [
            (format!("{}/x/y/pixel.gif", id()), 404),
            (format!("{}//pixel.gif", id()), 404),
            (format!("{}/other.js", id()), 404),
            (format!("{}/%ff/pixel.gif", id()), 400),
            ("not-a-uuid/pixel.gif".to_owned(), 400),
        ] {
            assert_eq!(parse_route(&tail).unwrap_err().status, status, "{tail}");
        }
    }

    #[test]
    fn methods() {
        assert_eq!(
            plan("OPTIONS", File::Pixel, "".into(), b"", None, None),
            Plan::Preflight
        );
        assert_eq!(
            plan("HEAD", File::Script, "".into(), b"", None, None),
            Plan::Script
        );
        let Plan::Refuse(r) = plan("POST", File::Pixel, "".into(), b"", None, None) else {
            panic!()
        };
        assert_eq!((r.status, r.allow), (405, Some("GET, HEAD, OPTIONS")));
        assert!(r
            .reply()
            .headers
            .contains(&("allow", "GET, HEAD, OPTIONS".to_owned())));
        let Plan::Beacon(p) = plan(
            "GET",
            File::Pixel,
            "u".into(),
            b"",
            None,
            Some(" https://e.com/ "),
        ) else {
            panic!()
        };
        assert_eq!(
            (p.location.as_str(), p.identifier.as_str()),
            ("https://e.com/", "u")
        );
        let Plan::Beacon(p) = plan(
            "POST",
            File::Script,
            "".into(),
            br#"{"idempotency":"i","referrer":"r"}"#,
            None,
            Some("https://e.com/ref"),
        ) else {
            panic!()
        };
        assert_eq!(p.location, "https://e.com/ref");
        let Plan::Refuse(r) = plan("POST", File::Script, "".into(), b"nope", None, None) else {
            panic!()
        };
        assert_eq!(r.status, 400);
    }

    #[test]
    fn event_routes() {
        for (f, file) in [
            ("event", File::Event),
            ("event.gif", File::EventGif),
            ("auto.js", File::Auto),
        ] {
            assert_eq!(parse_route(&format!("{}/u/{f}", id())).unwrap().file, file);
        }
        let Plan::Beacon(p) = plan(
            "POST",
            File::Event,
            "u".into(),
            br#"{"name":"Signup","props":{"plan":"pro"},"page":"pv"}"#,
            None,
            Some("https://e.com/pricing"),
        ) else {
            panic!()
        };
        assert_eq!(p.tracker, Tracker::Js);
        assert_eq!(p.location, "https://e.com/pricing");
        assert_eq!(p.idempotency, None, "an event is no page view");
        let e = p.event.unwrap();
        assert_eq!((e.name.as_str(), e.page.as_deref()), ("Signup", Some("pv")));
        let Plan::Beacon(p) = plan(
            "GET",
            File::EventGif,
            "".into(),
            b"",
            Some("name=404&location=https%3A%2F%2Fe.com%2Fgone"),
            None,
        ) else {
            panic!()
        };
        assert_eq!(p.tracker, Tracker::Pixel);
        assert_eq!(p.location, "https://e.com/gone");
        assert_eq!(p.event.unwrap().name, "404");
        let Plan::Refuse(r) = plan(
            "POST",
            File::Event,
            "".into(),
            br#"{"name":"a","props":{"n":1}}"#,
            None,
            None,
        ) else {
            panic!()
        };
        assert_eq!(
            (r.status, r.reason.as_ref()),
            (400, "props: values must be strings")
        );
        let Plan::Refuse(r) = plan("GET", File::Event, "".into(), b"", None, None) else {
            panic!()
        };
        assert_eq!((r.status, r.allow), (405, Some("POST, OPTIONS")));
        let Plan::Refuse(r) = plan("POST", File::EventGif, "".into(), b"", None, None) else {
            panic!()
        };
        assert_eq!(r.status, 405);
        assert_eq!(
            plan(
                "GET",
                File::Auto,
                "".into(),
                b"",
                Some("f=outbound,404"),
                None
            ),
            Plan::Auto(AutoFeatures {
                outbound: true,
                downloads: false,
                not_found: true,
            })
        );
    }

    #[test]
    fn gate_and_drops() {
        let list: AllowedOrigins = "https://a.com".parse().unwrap();
        assert_eq!(
            gate(false, &AllowedOrigins::Any, None, None)
                .unwrap_err()
                .status,
            404
        );
        assert_eq!(
            gate(true, &list, Some("https://b.com"), None)
                .unwrap_err()
                .status,
            403
        );
        assert_eq!(
            gate(true, &list, Some("https://a.com"), None).unwrap(),
            "https://a.com"
        );
        let ignored: IgnoredIps = "10.0.0.0/8".parse().unwrap();
        let ip = Some("10.1.2.3".parse().unwrap());
        assert_eq!(
            privacy_drop(true, Some("1"), None, None, &ignored),
            Some(DropReason::DoNotTrack)
        );
        assert_eq!(privacy_drop(false, Some("1"), None, None, &ignored), None);
        assert_eq!(
            privacy_drop(false, None, None, ip, &ignored),
            Some(DropReason::IgnoredIp)
        );
    }

    #[test]
    fn replies() {
        let r = accepted_reply(Tracker::Pixel).with_cors("*");
        assert_eq!(r.body.len(), 43);
        assert_eq!(r.headers.iter().filter(|h| h.0 == "vary").count(), 1);
        let s = script_reply(Cow::Borrowed(b"x"), "\"e\"", Some("\"e\""));
        assert_eq!((s.status, s.body.len()), (304, 0));
        assert!(accepts_gzip(Some("br, gzip;q=0.8")));
        assert!(!accepts_gzip(None));
        let v: serde_json::Value = serde_json::from_slice(&error_reply(400, "x").body).unwrap();
        assert_eq!(v, serde_json::json!({"status": "error", "reason": "x"}));
    }
}
