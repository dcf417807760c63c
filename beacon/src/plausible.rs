//! Plausible's event body (`POST /api/event`), so Plausible's tracker and its server-side
//! libraries can send to this instance. The body is `{name, url, domain, referrer, props}`
//! (Plausible's tracker sends the same keys abbreviated: `n`, `u`, `d`, `r`, `p`); other keys
//! (screen width, hash mode, revenue) are ignored. A `pageview` is a page view; any other name
//! is a custom event with the same limits as ours ([`crate::event`]). Prop values that are
//! numbers or booleans are kept as their text, as Plausible does.

use crate::event::{self, EventError};
use crate::payload::PayloadError;
use crate::route::PageView;
use crate::wire::Tracker;
use serde_json::{Map, Value};

/// The event name Plausible uses for page views.
pub const PAGEVIEW: &str = "pageview";
/// Longest `domain` accepted (a host name, or a service id).
pub const MAX_DOMAIN_BYTES: usize = 253;

/// A parsed Plausible event: which site, and what to record.
#[derive(Debug, Clone, PartialEq)]
pub struct PlausibleEvent {
    /// The `domain` sent: a service's link host, or its id.
    pub domain: String,
    /// The page view (with `event` set for custom events).
    pub view: PageView,
}

/// Why a Plausible event is refused (the text goes back in `{"error": …}`).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PlausibleError {
    /// A rule our own event route applies.
    #[error(transparent)]
    Event(#[from] EventError),
    /// No `domain`.
    #[error("domain: required")]
    DomainMissing,
    /// A `domain` that is not a host name or service id (or lists several sites).
    #[error("domain: one site's domain (or service id), at most {MAX_DOMAIN_BYTES} characters")]
    BadDomain,
    /// No `url`.
    #[error("url: required")]
    UrlMissing,
}

impl PlausibleError {
    /// 413 for an oversized body, 400 for the rest.
    pub fn status(&self) -> u16 {
        match self {
            PlausibleError::Event(e) => e.status(),
            _ => 400,
        }
    }
}

fn field<'a>(map: &'a Map<String, Value>, long: &str, short: &str) -> Option<&'a Value> {
    map.get(long)
        .or_else(|| map.get(short))
        .filter(|v| !v.is_null())
}

/// Parses the body of `POST /api/event`.
pub fn parse(body: &[u8]) -> Result<PlausibleEvent, PlausibleError> {
    if body.len() > crate::limits::MAX_BODY_BYTES {
        return Err(EventError::from(PayloadError::TooLarge).into());
    }
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| EventError::from(PayloadError::NotJson(e.to_string())))?;
    let Value::Object(map) = value else {
        return Err(EventError::from(PayloadError::NotObject).into());
    };
    let domain = match field(&map, "domain", "d") {
        None => return Err(PlausibleError::DomainMissing),
        Some(Value::String(d)) => d.trim().to_ascii_lowercase(),
        Some(_) => return Err(PlausibleError::BadDomain),
    };
    if domain.is_empty()
        || domain.len() > MAX_DOMAIN_BYTES
        || !domain
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.:_".contains(&b))
    {
        return Err(PlausibleError::BadDomain);
    }
    let url = match field(&map, "url", "u") {
        Some(Value::String(u)) if !u.trim().is_empty() => u.clone(),
        _ => return Err(PlausibleError::UrlMissing),
    };
    // Our own event body, so every limit is checked by the same code as our routes.
    let mut ours = Map::new();
    if let Some(n) = field(&map, "name", "n") {
        ours.insert("name".into(), n.clone());
    }
    ours.insert("location".into(), Value::String(url));
    if let Some(r) = field(&map, "referrer", "r") {
        ours.insert("referrer".into(), r.clone());
    }
    if let Some(p) = field(&map, "props", "p") {
        ours.insert("props".into(), stringify_props(p));
    }
    let parsed =
        event::parse_event_body(&serde_json::to_vec(&Value::Object(ours)).unwrap_or_default())?;
    let is_pageview = parsed.event.name == PAGEVIEW;
    Ok(PlausibleEvent {
        domain,
        view: PageView {
            tracker: Tracker::Js,
            identifier: String::new(),
            idempotency: None,
            location: parsed.location.unwrap_or_default(),
            referrer: parsed.referrer,
            load_time: None,
            event: (!is_pageview).then_some(parsed.event),
        },
    })
}

/// Plausible's tracker may send props as a JSON string of an object; scalar values become text.
fn stringify_props(p: &Value) -> Value {
    let obj = match p {
        Value::String(s) => match serde_json::from_str::<Value>(s) {
            Ok(Value::Object(o)) => o,
            _ => return p.clone(),
        },
        Value::Object(o) => o.clone(),
        other => return other.clone(),
    };
    Value::Object(
        obj.into_iter()
            .map(|(k, v)| {
                let v = match v {
                    Value::Number(n) => Value::String(n.to_string()),
                    Value::Bool(b) => Value::String(b.to_string()),
                    other => other,
                };
                (k, v)
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_body_and_the_trackers_short_keys() {
        let e = parse(br#"{"name":"pageview","url":"https://a.example/p?x=1","domain":"A.example","referrer":"https://t.co/","width":1666}"#).unwrap();
        assert_eq!(e.domain, "a.example");
        assert_eq!(e.view.location, "https://a.example/p?x=1");
        assert_eq!(e.view.referrer, "https://t.co/");
        assert!(e.view.event.is_none());
        let e = parse(br#"{"n":"Signup","u":"https://a.example/","d":"a.example","r":null,"p":"{\"plan\":\"pro\",\"seats\":3}"}"#).unwrap();
        let ev = e.view.event.unwrap();
        assert_eq!(ev.name, "Signup");
        assert_eq!(ev.props.get("plan").map(String::as_str), Some("pro"));
        assert_eq!(ev.props.get("seats").map(String::as_str), Some("3"));
    }

    #[test]
    fn bad_bodies_are_refused_with_a_reason() {
        let err = |b: &str| parse(b.as_bytes()).unwrap_err().to_string();
        assert_eq!(
            err(r#"{"name":"pageview","url":"https://a.example/"}"#),
            "domain: required"
        );
        assert_eq!(
            err(r#"{"name":"pageview","domain":"a.example"}"#),
            "url: required"
        );
        assert!(
            err(r#"{"name":"pageview","url":"x","domain":"a.example,b.example"}"#)
                .starts_with("domain")
        );
        assert_eq!(
            err(r#"{"url":"https://a.example/","domain":"a.example"}"#),
            "name: required"
        );
        assert!(err("[1]").contains("object"), "{}", err("[1]"));
        let long = format!(
            r#"{{"name":"{}","url":"u","domain":"a.example"}}"#,
            "x".repeat(5000)
        );
        assert!(err(&long).starts_with("name"));
    }
}
