//! The edge's ingress logic as plain Rust (no `worker` types): given a request's facts, the
//! cached config and the time, produce the response and, when the beacon is to be recorded,
//! the reduced [`Beacon`] for the queue. Every rule and every response byte comes from
//! `beacon::route`, the same code the aggregator's direct ingest runs.

use beacon::bots::looks_like_bot;
use beacon::dropped::DropKind;
use beacon::edge_protocol::{EdgeConfig, EdgeService};
use beacon::ip_filter::IgnoredIps;
use beacon::origins::AllowedOrigins;
use beacon::route::{self, DropReason, Plan, Reply, Route};
use beacon::visitor::visitor_key;
use beacon::wire::{Beacon, Geo};
use std::borrow::Cow;
use std::collections::HashMap;
use std::net::IpAddr;
use uuid::Uuid;

/// A service's settings with the texts parsed once per config load.
pub struct PreparedService {
    /// As received.
    pub raw: EdgeService,
    /// Parsed origins (none allowed if the text is invalid, as on the aggregator).
    pub origins: AllowedOrigins,
    /// Parsed ignored networks (none if invalid, as on the aggregator).
    pub ignored_ips: IgnoredIps,
}

/// A config ready for requests.
pub struct Prepared {
    /// The document as fetched (salts, timing).
    pub config: EdgeConfig,
    /// Services by id.
    pub services: HashMap<Uuid, PreparedService>,
}

impl Prepared {
    /// Parses every service's origins and ignored networks, falling back to the privacy-safe
    /// reading exactly as the aggregator's service cache does.
    pub fn new(config: EdgeConfig) -> Prepared {
        let services = config
            .services
            .iter()
            .map(|s| {
                let p = PreparedService {
                    origins: s
                        .origins
                        .parse()
                        .unwrap_or(AllowedOrigins::List(Vec::new())),
                    ignored_ips: s.ignored_ips.parse().unwrap_or_default(),
                    raw: s.clone(),
                };
                (s.id, p)
            })
            .collect();
        Prepared { config, services }
    }
}

/// What the edge knows about one request.
pub struct RequestFacts<'a> {
    /// HTTP method, upper-case.
    pub method: &'a str,
    /// The path below `/ingress/`.
    pub tail: &'a str,
    /// The raw query string, if any (`event.gif`, `auto.js`).
    pub query: Option<&'a str>,
    /// Request headers by lower-case name (repeated headers joined with ", ", as fetch does).
    pub headers: &'a HashMap<String, String>,
    /// The body (empty for GET/HEAD).
    pub body: &'a [u8],
    /// Trusted client-IP headers in precedence order (`cf-connecting-ip` on Cloudflare).
    pub ip_headers: &'a [String],
    /// Receipt time (ms since epoch).
    pub now_ms: i64,
}

/// The outcome: the response, and the beacon to queue when one is to be recorded.
pub struct Outcome {
    /// What the visitor gets.
    pub reply: Reply,
    /// The reduced beacon, its `geo` still empty; `None` for refusals, preflights, scripts and
    /// deliberate drops.
    pub beacon: Option<Beacon>,
    /// Why a beacon was dropped, for logs.
    pub dropped: Option<DropReason>,
    /// A beacon of a known service not queued, and why: for the dropped-traffic report.
    pub report: Option<(uuid::Uuid, DropKind)>,
    /// The CORS origin granted, for answers built after `handle` (queue failures).
    pub allow_origin: Option<String>,
}

fn refuse(reply: Reply) -> Outcome {
    Outcome {
        reply,
        beacon: None,
        dropped: None,
        report: None,
        allow_origin: None,
    }
}

/// A refusal counted in the dropped-traffic report.
fn refuse_counted(reply: Reply, service: uuid::Uuid, kind: DropKind) -> Outcome {
    Outcome {
        report: Some((service, kind)),
        ..refuse(reply)
    }
}

/// Handles one `/ingress/…` request against `cfg`.
pub fn handle(req: &RequestFacts, cfg: &Prepared) -> Outcome {
    let h = |name: &str| req.headers.get(name).map(String::as_str);
    let Route {
        service,
        identifier,
        file,
    } = match route::parse_route(req.tail) {
        Ok(r) => r,
        Err(r) => return refuse(r.reply()),
    };
    let Some(svc) = cfg.services.get(&service) else {
        return refuse(route::unknown_service().reply());
    };
    let origin = h("origin");
    let referer = h("referer");
    let is_beacon = matches!(
        (req.method, file),
        ("POST", route::File::Script | route::File::Event)
            | ("GET" | "HEAD", route::File::Pixel | route::File::EventGif)
    );
    let allow_origin = match route::gate(svc.raw.active, &svc.origins, origin, referer) {
        Ok(a) => a,
        Err(r) if is_beacon => {
            let kind = if r.status == 404 {
                DropKind::Archived
            } else {
                DropKind::Origin
            };
            return refuse_counted(r.reply(), service, kind);
        }
        Err(r) => return refuse(r.reply()),
    };
    let plan = route::plan(req.method, file, identifier, req.body, req.query, referer);
    let view = match plan {
        Plan::Preflight => return refuse(route::preflight_reply().with_cors(&allow_origin)),
        Plan::Refuse(r) => {
            return refuse_counted(
                r.reply().with_cors(&allow_origin),
                service,
                DropKind::Invalid,
            )
        }
        Plan::Auto(features) => {
            let body = beacon::auto_script::render(features);
            let etag = beacon::script::etag(&body);
            let reply =
                route::script_reply(Cow::Owned(body.into_bytes()), &etag, h("if-none-match"));
            return refuse(reply.with_cors(&allow_origin));
        }
        // An aggregator that predates events would store them as page views: answer as it
        // would, and queue nothing (see `beacon::edge_protocol`, beacon kinds).
        Plan::Beacon(view) if view.event.is_some() && !cfg.config.accepts_events() => {
            return refuse(route::no_such_route().reply());
        }
        Plan::Script => {
            let dnt = h("dnt");
            let gpc = h("sec-gpc");
            let body = beacon::script::render(&beacon::script::ScriptParams {
                heartbeat_ms: cfg.config.heartbeat_ms,
                respect_dnt: svc.raw.respect_dnt,
                dnt_request: svc.raw.respect_dnt && beacon::responses::wants_no_tracking(dnt, gpc),
                inject: &svc.raw.script_inject,
            });
            let etag = beacon::script::etag(&body);
            let inm = h("if-none-match");
            let reply = route::script_reply(Cow::Owned(body.into_bytes()), &etag, inm);
            return refuse(reply.with_cors(&allow_origin));
        }
        Plan::Beacon(view) => view,
    };
    let ok = route::accepted_reply(view.tracker).with_cors(&allow_origin);
    let ip: Option<IpAddr> = beacon::client_ip::platform_client_ip(h, req.ip_headers);
    let dnt = h("dnt");
    let gpc = h("sec-gpc");
    let user_agent = beacon::limits::truncate_utf8(
        h("user-agent").unwrap_or_default().trim(),
        beacon::limits::MAX_USER_AGENT_BYTES,
    )
    .to_owned();
    let mut dropped = route::privacy_drop(svc.raw.respect_dnt, dnt, gpc, ip, &svc.ignored_ips);
    if dropped.is_none() && svc.raw.ignore_robots && looks_like_bot(&user_agent) {
        dropped = Some(DropReason::Robot);
    }
    if let Some(why) = dropped {
        let kind = match why {
            DropReason::DoNotTrack => DropKind::of_privacy_signal(dnt),
            DropReason::IgnoredIp => DropKind::IgnoredIp,
            DropReason::Robot => DropKind::Bot,
        };
        return Outcome {
            reply: ok,
            beacon: None,
            dropped,
            report: Some((service, kind)),
            allow_origin: Some(allow_origin),
        };
    }
    let Some((current, previous)) = cfg.config.salts_for(req.now_ms) else {
        return refuse_counted(
            route::error_reply(503, "temporarily unavailable; retry shortly"),
            service,
            DropKind::Overload,
        );
    };
    let beacon = Beacon {
        service,
        time_ms: req.now_ms,
        tracker: view.tracker,
        identifier: view.identifier,
        idempotency: view.idempotency,
        location: view.location,
        referrer: view.referrer,
        load_time: view.load_time,
        visitor: visitor_key(&current, &service, ip, &user_agent),
        previous_visitor: previous.map(|p| visitor_key(&p, &service, ip, &user_agent)),
        ip: if svc.raw.collect_ips { ip } else { None },
        user_agent,
        // Filled in by the worker shell, which reads `request.cf` only for queued beacons.
        geo: Geo::default(),
        event: view.event,
    };
    Outcome {
        reply: ok,
        beacon: Some(beacon),
        dropped: None,
        report: None,
        allow_origin: Some(allow_origin),
    }
}

/// The request headers the ingress flow reads (besides the trusted client-IP headers); the
/// worker copies only these out of the runtime.
pub const REQUEST_HEADERS: &[&str] = &[
    "origin",
    "referer",
    "dnt",
    "sec-gpc",
    "user-agent",
    "if-none-match",
    "content-length",
];

/// The `request.cf` fields [`geo_from_cf`] reads.
pub const CF_FIELDS: &[&str] = &[
    "country",
    "region",
    "city",
    "latitude",
    "longitude",
    "timezone",
    "asn",
    "asOrganization",
    "colo",
];

/// Reads the fields of Cloudflare's `request.cf` (as JSON) that describe the visitor's
/// location and network, and the edge location itself.
pub fn geo_from_cf(cf: &serde_json::Value) -> Geo {
    let s = |k: &str| {
        cf.get(k)
            .and_then(|v| v.as_str())
            .map(str::to_owned)
            .unwrap_or_default()
    };
    let num = |k: &str| {
        match cf.get(k) {
            Some(serde_json::Value::Number(n)) => n.as_f64(),
            Some(serde_json::Value::String(t)) => t.trim().parse::<f64>().ok(),
            _ => None,
        }
        .filter(|v| v.is_finite())
    };
    // Cloudflare's placeholder country for Tor and unknown locations.
    let country = s("country");
    let country = if country == "T1" || country == "XX" {
        String::new()
    } else {
        country
    };
    Geo {
        country,
        region: s("region"),
        city: s("city"),
        latitude: num("latitude"),
        longitude: num("longitude"),
        time_zone: s("timezone"),
        asn: num("asn")
            .filter(|a| *a >= 0.0 && *a <= f64::from(u32::MAX))
            .map(|a| a as u32),
        as_org: s("asOrganization"),
        colo: s("colo"),
    }
}

/// The query string of a URL as the runtime serialises it (`?` excluded, fragment cut), if
/// any.
pub fn query_of(url: &str) -> Option<&str> {
    let rest = &url[url.find('?')? + 1..];
    Some(&rest[..rest.find('#').unwrap_or(rest.len())])
}

/// The path of a URL as the runtime serialises it (`Request.url`), without parsing it again:
/// a special-scheme URL always has a path starting at the first `/` after the host, and `?`
/// and `#` inside the path are percent-encoded.
pub fn path_of(url: &str) -> &str {
    let Some(host_start) = url.find("://").map(|i| i + 3) else {
        return url;
    };
    let Some(path_start) = url[host_start..].find('/').map(|i| host_start + i) else {
        return "/";
    };
    let path = &url[path_start..];
    &path[..path.find(['?', '#']).unwrap_or(path.len())]
}

/// Why `AGGREGATOR_URL` is refused.
pub const INSECURE_AGGREGATOR: &str = "AGGREGATOR_URL must be https:// (plain http:// is allowed only to localhost, 127.0.0.0/8 or [::1], or with ALLOW_INSECURE_AGGREGATOR=1)";

/// `AGGREGATOR_URL` without a trailing `/`, if it may carry the edge's traffic: the config
/// answer holds the visitor-hash salts and every batch holds visitors' data, so it must travel
/// over TLS. Plain http is accepted for a loopback host (local development and the tests) or
/// when the operator opts in explicitly (`allow_insecure`, e.g. a private network link).
pub fn checked_aggregator_url(raw: &str, allow_insecure: bool) -> Result<String, &'static str> {
    let url = raw.trim().trim_end_matches('/');
    let scheme_end = url.find("://").ok_or(INSECURE_AGGREGATOR)?;
    let scheme = &url[..scheme_end];
    if scheme.eq_ignore_ascii_case("https") {
        return Ok(url.to_owned());
    }
    if !scheme.eq_ignore_ascii_case("http") {
        return Err(INSECURE_AGGREGATOR);
    }
    if allow_insecure || is_loopback_authority(&url[scheme_end + 3..]) {
        Ok(url.to_owned())
    } else {
        Err(INSECURE_AGGREGATOR)
    }
}

/// Whether the authority at the start of `rest` (what follows `http://`) names a loopback
/// host. Userinfo is skipped, so `http://localhost@example.com` is not loopback.
fn is_loopback_authority(rest: &str) -> bool {
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_port = authority.rsplit('@').next().unwrap_or("");
    let host = if let Some(v6) = host_port.strip_prefix('[') {
        match v6.split_once(']') {
            Some((h, _)) => h,
            None => return false,
        }
    } else {
        host_port.split(':').next().unwrap_or("")
    };
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}
