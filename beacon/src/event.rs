//! Custom events: `Shynet.event(name, props)` from the tracker, the automatic outbound-link,
//! download and 404 events of `auto.js`, direct `POST …/event` calls and the no-script
//! `GET …/event.gif?name=…&p.<key>=<value>`. Their wire shape, limits and validation live here so
//! the edge worker and the aggregator accept exactly the same events with the same reasons.
//!
//! Wire form of `POST /ingress/{service}[/{identifier}]/event` (every key but `name` optional):
//!
//! ```json
//! {"name": "Signup", "props": {"plan": "pro"}, "location": "https://…", "referrer": "https://…",
//!  "idempotency": "<token>", "page": "<page-view token>", "truncated": 0}
//! ```
//!
//! `idempotency` makes a re-send of the same event count once; `page` is the page-view token of
//! the page that sent it (the `idempotency` of its page-view beacons), so the writer can bind
//! the event to that hit; `truncated` is how many props the sender left out to stay within
//! [`MAX_EVENT_PROPS`] (counted in the aggregator's metrics, never refused). The tracker sends
//! one-letter keys (`n`, `p`, `k`, `l`, see [`crate::payload`]) and its props as the page
//! passed them: props under `p` are fitted (see [`script_props`]) where a direct client's under
//! `props` would be refused.

use crate::limits::{MAX_BODY_BYTES, MAX_IDEMPOTENCY_BYTES, MAX_URL_BYTES};
use crate::payload::{field, opt_string, PayloadError};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// Longest event name (characters, after trimming).
pub const MAX_EVENT_NAME_CHARS: usize = 120;
/// Most props one event may carry.
pub const MAX_EVENT_PROPS: usize = 30;
/// Longest prop key (characters).
pub const MAX_PROP_KEY_CHARS: usize = 100;
/// Longest prop value (characters): room for a link target (`url` of the automatic events).
pub const MAX_PROP_VALUE_CHARS: usize = 2000;
/// Prefix of a prop in the query string of `event.gif` (`p.plan=pro`).
pub const QUERY_PROP_PREFIX: &str = "p.";

/// An event's own facts, as they travel from the entrance to the writer (inside
/// [`crate::wire::Beacon::event`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// What happened ("Signup", "404", …).
    pub name: String,
    /// String properties, at most [`MAX_EVENT_PROPS`].
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub props: BTreeMap<String, String>,
    /// The event's idempotency token: a re-send with the same token is stored once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// The page-view token of the page that sent it, to bind the event to that hit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<String>,
    /// Props the sender left out to stay within the limit.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub truncated: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// Why an event was refused. The `Display` text is the reason sent back (400, or 413 for an
/// oversized body); each names the rule that was broken.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EventError {
    /// The body as a whole, or one of the fields events share with page views.
    #[error(transparent)]
    Body(#[from] PayloadError),
    /// No name, or only whitespace.
    #[error("name: required")]
    NameMissing,
    /// A name that is not a string.
    #[error("name: must be a string")]
    NameNotString,
    /// A name over [`MAX_EVENT_NAME_CHARS`].
    #[error("name: at most {MAX_EVENT_NAME_CHARS} characters")]
    NameTooLong,
    /// A control character in the name.
    #[error("name: no control characters")]
    NameControl,
    /// `props` that is not an object.
    #[error("props: must be an object of string values")]
    PropsNotObject,
    /// More than [`MAX_EVENT_PROPS`] props.
    #[error("props: at most {MAX_EVENT_PROPS} pairs")]
    TooManyProps,
    /// An empty key, or one over [`MAX_PROP_KEY_CHARS`].
    #[error("props: keys must be 1 to {MAX_PROP_KEY_CHARS} characters")]
    KeyLength,
    /// A value that is not a string (numbers, booleans, objects, null).
    #[error("props: values must be strings")]
    ValueNotString,
    /// A value over [`MAX_PROP_VALUE_CHARS`].
    #[error("props: values at most {MAX_PROP_VALUE_CHARS} characters")]
    ValueTooLong,
    /// A control character in a key or value.
    #[error("props: no control characters in keys or values")]
    PropControl,
    /// `truncated` that is not a non-negative integer.
    #[error("truncated: must be a non-negative integer")]
    BadTruncated,
    /// A query string (of `event.gif`) that does not decode to UTF-8.
    #[error("query: not valid percent-encoded UTF-8")]
    BadQuery,
}

impl EventError {
    /// HTTP status: 413 for an oversized body, 400 for everything else.
    pub fn status(&self) -> u16 {
        match self {
            EventError::Body(e) => e.status(),
            _ => 400,
        }
    }
}

/// A parsed event request: the event and the page facts it shares with page views.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EventPayload {
    /// The event.
    pub event: Event,
    /// The page it happened on; `None` when absent (the `Referer` header is used then).
    pub location: Option<String>,
    /// `document.referrer` of that page ("" when absent).
    pub referrer: String,
}

/// Parses the JSON body of `POST …/event` (sent as `application/json` or, by `sendBeacon`,
/// `text/plain`).
pub fn parse_event_body(body: &[u8]) -> Result<EventPayload, EventError> {
    if body.len() > MAX_BODY_BYTES {
        return Err(PayloadError::TooLarge.into());
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(EventError::NameMissing);
    }
    let value: Value =
        serde_json::from_slice(body).map_err(|e| PayloadError::NotJson(e.to_string()))?;
    let Value::Object(map) = value else {
        return Err(PayloadError::NotObject.into());
    };
    from_map(&map)
}

/// The event of a parsed body or query.
fn from_map(map: &serde_json::Map<String, Value>) -> Result<EventPayload, EventError> {
    let name = match field(map, "name") {
        None | Some(Value::Null) => return Err(EventError::NameMissing),
        Some(Value::String(s)) => check_name(s)?,
        Some(_) => return Err(EventError::NameNotString),
    };
    let page = token(opt_string(map, "page", MAX_IDEMPOTENCY_BYTES)?);
    // Props under the short key come from the tracker's `Shynet.event`, as the page's code
    // passed them: they are fitted here rather than refused.
    let (props, left_out) = match (map.get("props"), map.get("p")) {
        (None | Some(Value::Null), None | Some(Value::Null)) => (BTreeMap::new(), 0),
        (Some(Value::Object(o)), _) => (strict_props(o)?, 0),
        (None | Some(Value::Null), Some(Value::Object(o))) => script_props(o)?,
        _ => return Err(EventError::PropsNotObject),
    };
    let truncated = match map.get("truncated") {
        None | Some(Value::Null) => 0,
        Some(Value::Number(n)) => n
            .as_u64()
            .map(|n| u32::try_from(n).unwrap_or(u32::MAX))
            .ok_or(EventError::BadTruncated)?,
        Some(_) => return Err(EventError::BadTruncated),
    };
    Ok(EventPayload {
        event: Event {
            name,
            props,
            token: token(opt_string(map, "idempotency", MAX_IDEMPOTENCY_BYTES)?),
            page,
            truncated: truncated.saturating_add(left_out),
        },
        location: opt_string(map, "location", MAX_URL_BYTES)?,
        referrer: opt_string(map, "referrer", MAX_URL_BYTES)?.unwrap_or_default(),
    })
}

/// A direct client's props: strings only, at most [`MAX_EVENT_PROPS`]; anything else is refused
/// with the rule it broke, so the integration's author sees the mistake.
fn strict_props(
    o: &serde_json::Map<String, Value>,
) -> Result<BTreeMap<String, String>, EventError> {
    if o.len() > MAX_EVENT_PROPS {
        return Err(EventError::TooManyProps);
    }
    let mut props = BTreeMap::new();
    for (k, v) in o {
        let Value::String(v) = v else {
            return Err(EventError::ValueNotString);
        };
        check_prop(k, v)?;
        props.insert(k.clone(), v.clone());
    }
    Ok(props)
}

/// The tracker's props: numbers and booleans become strings, the first [`MAX_EVENT_PROPS`]
/// usable ones (in key order) are kept, and the rest, with nulls, objects and arrays, are
/// counted as left out. Keys and values over their length limits are still refused: a page
/// that sends them has a bug worth a 400 in its console.
fn script_props(
    o: &serde_json::Map<String, Value>,
) -> Result<(BTreeMap<String, String>, u32), EventError> {
    let mut props = BTreeMap::new();
    let mut left_out = 0u32;
    for (k, v) in o {
        let v = match v {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            _ => {
                left_out = left_out.saturating_add(1);
                continue;
            }
        };
        if props.len() == MAX_EVENT_PROPS {
            left_out = left_out.saturating_add(1);
            continue;
        }
        check_prop(k, &v)?;
        props.insert(k.clone(), v);
    }
    Ok((props, left_out))
}

/// Parses the query string of `GET …/event.gif`: `name`, props as `p.<key>=<value>`, and
/// optionally `idempotency`, `page`, `location` and `referrer`. Other parameters (cache
/// busters) are ignored; a repeated parameter keeps its last value.
pub fn parse_event_query(query: &str) -> Result<EventPayload, EventError> {
    if query.len() > MAX_BODY_BYTES {
        return Err(PayloadError::TooLong {
            field: "query",
            max: MAX_BODY_BYTES,
        }
        .into());
    }
    let mut map = serde_json::Map::new();
    let mut props = serde_json::Map::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let (k, v) = (form_decode(k)?, form_decode(v)?);
        match k.strip_prefix(QUERY_PROP_PREFIX) {
            Some(key) => {
                props.insert(key.to_owned(), Value::String(v));
            }
            None if QUERY_FIELDS.contains(&k.as_str()) => {
                map.insert(k, Value::String(v));
            }
            None => {}
        }
    }
    if !props.is_empty() {
        map.insert("props".to_owned(), Value::Object(props));
    }
    from_map(&map)
}

/// The plain (non-prop) parameters `event.gif` reads.
const QUERY_FIELDS: &[&str] = &["name", "idempotency", "page", "location", "referrer"];

/// `application/x-www-form-urlencoded` decoding of one key or value (`+` is a space).
fn form_decode(s: &str) -> Result<String, EventError> {
    let spaced = s.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8()
        .map(|c| c.into_owned())
        .map_err(|_| EventError::BadQuery)
}

/// An empty token is no token.
fn token(t: Option<String>) -> Option<String> {
    t.filter(|s| !s.is_empty())
}

/// The trimmed name, or the rule it breaks.
fn check_name(raw: &str) -> Result<String, EventError> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(EventError::NameMissing);
    }
    if name.chars().count() > MAX_EVENT_NAME_CHARS {
        return Err(EventError::NameTooLong);
    }
    if name.chars().any(char::is_control) {
        return Err(EventError::NameControl);
    }
    Ok(name.to_owned())
}

/// The rule a prop breaks, if any.
fn check_prop(key: &str, value: &str) -> Result<(), EventError> {
    let key_chars = key.chars().count();
    if key_chars == 0 || key_chars > MAX_PROP_KEY_CHARS {
        return Err(EventError::KeyLength);
    }
    if value.chars().count() > MAX_PROP_VALUE_CHARS {
        return Err(EventError::ValueTooLong);
    }
    if key.chars().chain(value.chars()).any(char::is_control) {
        return Err(EventError::PropControl);
    }
    Ok(())
}

/// Checks an event that arrived already parsed (an edge batch): the same rules as the
/// entrances apply, so a bug at the edge cannot become rows the direct path would refuse.
pub fn check(e: &Event) -> Result<(), EventError> {
    if check_name(&e.name)? != e.name {
        return Err(EventError::NameMissing);
    }
    if e.props.len() > MAX_EVENT_PROPS {
        return Err(EventError::TooManyProps);
    }
    for (k, v) in &e.props {
        check_prop(k, v)?;
    }
    for t in [&e.token, &e.page].into_iter().flatten() {
        if t.len() > MAX_IDEMPOTENCY_BYTES || t.contains('\0') {
            return Err(PayloadError::TooLong {
                field: "idempotency",
                max: MAX_IDEMPOTENCY_BYTES,
            }
            .into());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(body: &str) -> String {
        parse_event_body(body.as_bytes()).unwrap_err().to_string()
    }

    #[test]
    fn parses_the_documented_shape() {
        let p = parse_event_body(
            br#"{"name":" Signup ","props":{"plan":"pro"},"location":"https://e.com/p",
                 "referrer":"https://g.co/","idempotency":"ev-1","page":"pv-1","truncated":3}"#,
        )
        .unwrap();
        assert_eq!(p.event.name, "Signup");
        assert_eq!(p.event.props.get("plan").map(String::as_str), Some("pro"));
        assert_eq!(p.event.token.as_deref(), Some("ev-1"));
        assert_eq!(p.event.page.as_deref(), Some("pv-1"));
        assert_eq!(p.event.truncated, 3);
        assert_eq!(p.location.as_deref(), Some("https://e.com/p"));
        assert_eq!(p.referrer, "https://g.co/");
        // Only the name is required.
        let p = parse_event_body(br#"{"name":"404"}"#).unwrap();
        assert_eq!((p.event.props.len(), p.location), (0, None));
        assert!(check(&p.event).is_ok());
    }

    /// The tracker's body: one-letter keys, props as the page passed them.
    #[test]
    fn script_events_are_fitted_not_refused() {
        let mut props: Vec<String> = (0..31).map(|i| format!(r#""k{i:02}":"v""#)).collect();
        props.push(r#""n1":7"#.into());
        props.push(r#""n2":true"#.into());
        props.push(r#""x":null"#.into());
        props.push(r#""y":{"a":1}"#.into());
        let body = format!(
            r#"{{"n":"Signup","p":{{{}}},"k":"pv-1","l":"https://e.com/p"}}"#,
            props.join(",")
        );
        let p = parse_event_body(body.as_bytes()).unwrap();
        assert_eq!(p.event.name, "Signup");
        assert_eq!(p.event.page.as_deref(), Some("pv-1"));
        assert_eq!(p.location.as_deref(), Some("https://e.com/p"));
        assert_eq!(p.event.props.len(), MAX_EVENT_PROPS);
        // Key order: k00..k29 kept; k30, n1, n2 over the limit; null and object unusable.
        assert!(p.event.props.contains_key("k29"));
        assert_eq!(p.event.truncated, 5);
        assert!(check(&p.event).is_ok());
        // Numbers and booleans become strings when there is room.
        let p = parse_event_body(br#"{"n":"a","p":{"n":7,"b":false,"f":1.5},"k":"pv"}"#).unwrap();
        let got: Vec<(&str, &str)> = p
            .event
            .props
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(got, [("b", "false"), ("f", "1.5"), ("n", "7")]);
        // Also before the first page view (no token yet).
        let p = parse_event_body(br#"{"n":"a","p":{"n":7}}"#).unwrap();
        assert_eq!(p.event.props.get("n").map(String::as_str), Some("7"));
        // Under the long key the same props are a direct client's mistake.
        let direct = format!(r#"{{"name":"Signup","props":{{{}}}}}"#, props.join(","));
        assert!(parse_event_body(direct.as_bytes()).is_err());
        assert_eq!(
            err(r#"{"name":"a","props":{"n":7}}"#),
            EventError::ValueNotString.to_string()
        );
    }

    #[test]
    fn each_rule_has_its_reason() {
        assert_eq!(err(""), "name: required");
        assert_eq!(err(r#"{"props":{}}"#), "name: required");
        assert_eq!(err(r#"{"name":"  "}"#), "name: required");
        assert_eq!(err(r#"{"name":5}"#), "name: must be a string");
        let long = "n".repeat(MAX_EVENT_NAME_CHARS + 1);
        assert_eq!(
            err(&format!(r#"{{"name":"{long}"}}"#)),
            "name: at most 120 characters"
        );
        // 120 characters of several bytes each are fine: the limit counts characters.
        let wide = "é".repeat(MAX_EVENT_NAME_CHARS);
        assert!(parse_event_body(format!(r#"{{"name":"{wide}"}}"#).as_bytes()).is_ok());
        assert_eq!(err(r#"{"name":"a\u0007b"}"#), "name: no control characters");
        assert_eq!(
            err(r#"{"name":"a","props":[1]}"#),
            "props: must be an object of string values"
        );
        let many: serde_json::Map<String, Value> = (0..=MAX_EVENT_PROPS)
            .map(|i| (format!("k{i}"), Value::String("v".into())))
            .collect();
        let body = serde_json::json!({"name": "a", "props": many}).to_string();
        assert_eq!(err(&body), "props: at most 30 pairs");
        assert_eq!(
            err(r#"{"name":"a","props":{"n":1}}"#),
            "props: values must be strings"
        );
        assert_eq!(
            err(r#"{"name":"a","props":{"n":null}}"#),
            "props: values must be strings"
        );
        assert_eq!(
            err(r#"{"name":"a","props":{"":"v"}}"#),
            "props: keys must be 1 to 100 characters"
        );
        let big = "v".repeat(MAX_PROP_VALUE_CHARS + 1);
        assert_eq!(
            err(&format!(r#"{{"name":"a","props":{{"k":"{big}"}}}}"#)),
            "props: values at most 2000 characters"
        );
        assert_eq!(
            err(r#"{"name":"a","props":{"k\n":"v"}}"#),
            "props: no control characters in keys or values"
        );
        assert_eq!(
            err(r#"{"name":"a","props":{"k":"v\u0000"}}"#),
            "props: no control characters in keys or values"
        );
        assert_eq!(
            err(r#"{"name":"a","truncated":-1}"#),
            "truncated: must be a non-negative integer"
        );
        assert_eq!(
            err(r#"{"name":"a","page":7}"#),
            "field `page` must be a string or null"
        );
        let e = parse_event_body(&vec![b' '; MAX_BODY_BYTES + 1]).unwrap_err();
        assert_eq!(e.status(), 413);
        assert_eq!(EventError::TooManyProps.status(), 400);
    }

    #[test]
    fn the_gif_query_reads_name_props_and_tokens() {
        let p = parse_event_query(
            "name=File+Download&p.url=https%3A%2F%2Fe.com%2Fa.pdf&p.kind=pdf&_=123&idempotency=t1&page=pv",
        )
        .unwrap();
        assert_eq!(p.event.name, "File Download");
        assert_eq!(p.event.props["url"], "https://e.com/a.pdf");
        assert_eq!(p.event.props.len(), 2);
        assert_eq!(p.event.token.as_deref(), Some("t1"));
        assert_eq!(p.event.page.as_deref(), Some("pv"));
        assert_eq!(
            parse_event_query("p.a=1").unwrap_err(),
            EventError::NameMissing
        );
        assert_eq!(
            parse_event_query("name=%ff").unwrap_err(),
            EventError::BadQuery
        );
        assert_eq!(
            parse_event_query("name=a%07").unwrap_err(),
            EventError::NameControl
        );
        let many: Vec<String> = (0..=MAX_EVENT_PROPS).map(|i| format!("p.k{i}=v")).collect();
        assert_eq!(
            parse_event_query(&format!("name=a&{}", many.join("&"))).unwrap_err(),
            EventError::TooManyProps
        );
        // An over-long query is refused (400, it is no body), not cut.
        let huge = format!("name=a&p.k={}", "v".repeat(MAX_BODY_BYTES));
        let e = parse_event_query(&huge).unwrap_err();
        assert_eq!(e.status(), 400);
        assert_eq!(e.to_string(), "field `query` is longer than 16384 bytes");
    }

    #[test]
    fn check_applies_the_entrance_rules() {
        let mut e = Event {
            name: "ok".into(),
            ..Event::default()
        };
        assert!(check(&e).is_ok());
        e.name = " padded ".into();
        assert!(check(&e).is_err());
        e.name = "ok".into();
        e.props.insert("k".into(), "\u{7}".into());
        assert_eq!(check(&e), Err(EventError::PropControl));
        e.props.clear();
        e.token = Some("t".repeat(MAX_IDEMPOTENCY_BYTES + 1));
        assert!(check(&e).is_err());
    }

    #[test]
    fn wire_form_is_compact() {
        let e = Event {
            name: "404".into(),
            ..Event::default()
        };
        assert_eq!(serde_json::to_string(&e).unwrap(), r#"{"name":"404"}"#);
        let back: Event = serde_json::from_str(r#"{"name":"404"}"#).unwrap();
        assert_eq!(back, e);
    }
}
