//! `POST /api/event` (Plausible's Events API) at the edge: the body is parsed by
//! `beacon::plausible` and turned into the request our own routes take (`{service}/script.js`
//! for a `pageview`, `{service}/event` for anything else), so every rule of the edge's ingress
//! flow applies unchanged. The edge knows services by id only, so `domain` must be the service
//! id here (the aggregator also accepts a link's domain). Answers are Plausible's: 202 `{}`, or
//! `{"error": "…"}`.

use beacon::plausible::{self, PlausibleEvent};
use beacon::route::Reply;
use serde_json::json;
use std::borrow::Cow;

/// What the edge refuses when `domain` is not a service id.
pub const NEEDS_SERVICE_ID: &str =
    "domain: at the edge, use the service id as the domain (or send to the aggregator)";

/// A Plausible error answer.
pub fn error(status: u16, reason: &str) -> Reply {
    Reply {
        status,
        headers: vec![
            ("content-type", "application/json".to_owned()),
            ("cache-control", "no-store".to_owned()),
        ],
        body: Cow::Owned(json!({ "error": reason }).to_string().into_bytes()),
    }
    .with_cors("*")
}

/// The ingress tail and body that record this Plausible event, or the refusal.
pub fn to_ingress(body: &[u8]) -> Result<(String, Vec<u8>), Reply> {
    let PlausibleEvent { domain, view } =
        plausible::parse(body).map_err(|e| error(e.status(), &e.to_string()))?;
    let service = uuid::Uuid::parse_str(&domain).map_err(|_| error(400, NEEDS_SERVICE_ID))?;
    let (file, ours) = match view.event {
        None => (
            "script.js",
            json!({ "location": view.location, "referrer": view.referrer }),
        ),
        Some(e) => (
            "event",
            json!({ "name": e.name, "props": e.props, "location": view.location, "referrer": view.referrer }),
        ),
    };
    Ok((format!("{service}/{file}"), ours.to_string().into_bytes()))
}

/// Our ingress answer in Plausible's shape: 202 `{}` when accepted (or deliberately dropped),
/// `{"error": reason}` otherwise; CORS headers kept.
pub fn answer(ours: Reply) -> Reply {
    if (200..300).contains(&ours.status) {
        let mut headers: Vec<(&'static str, String)> = ours
            .headers
            .into_iter()
            .filter(|(n, _)| n.starts_with("access-control-") || *n == "vary")
            .collect();
        headers.push(("content-type", "application/json".to_owned()));
        return Reply {
            status: 202,
            headers,
            body: Cow::Borrowed(b"{}"),
        };
    }
    let reason = serde_json::from_slice::<serde_json::Value>(&ours.body)
        .ok()
        .and_then(|v| v["reason"].as_str().map(str::to_owned))
        .unwrap_or_else(|| "refused".to_owned());
    let mut r = ours;
    r.body = Cow::Owned(json!({ "error": reason }).to_string().into_bytes());
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pageviews_and_events_become_our_requests() {
        let id = "5a1e0000-4000-8000-0000-0000000000a1";
        let body = format!(
            r#"{{"name":"pageview","url":"https://a.example/","domain":"{id}","referrer":"https://t.co/"}}"#
        );
        let (tail, b) = to_ingress(body.as_bytes()).unwrap();
        assert_eq!(tail, format!("{id}/script.js"));
        let v: serde_json::Value = serde_json::from_slice(&b).unwrap();
        assert_eq!(v["location"], "https://a.example/");
        let body =
            format!(r#"{{"n":"Signup","u":"https://a.example/","d":"{id}","p":{{"plan":"pro"}}}}"#);
        let (tail, b) = to_ingress(body.as_bytes()).unwrap();
        assert_eq!(tail, format!("{id}/event"));
        let v: serde_json::Value = serde_json::from_slice(&b).unwrap();
        assert_eq!(
            (v["name"].as_str(), v["props"]["plan"].as_str()),
            (Some("Signup"), Some("pro"))
        );
        let r =
            to_ingress(br#"{"name":"pageview","url":"https://a.example/","domain":"a.example"}"#)
                .unwrap_err();
        assert_eq!(r.status, 400);
        assert!(String::from_utf8_lossy(&r.body).contains("service id"));
    }

    #[test]
    fn answers_take_plausibles_shape() {
        let ok = answer(beacon::route::accepted_reply(beacon::wire::Tracker::Js).with_cors("*"));
        assert_eq!((ok.status, &ok.body[..]), (202, &b"{}"[..]));
        assert!(ok
            .headers
            .iter()
            .any(|(n, _)| *n == "access-control-allow-origin"));
        let bad = answer(beacon::route::error_reply(403, "origin not allowed"));
        assert_eq!(bad.status, 403);
        assert_eq!(&bad.body[..], br#"{"error":"origin not allowed"}"#);
    }
}
