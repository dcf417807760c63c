//! Parsing and validation of what a visitor's browser sends: the JSON body of a script beacon
//! and the identifier in the path. Everything that is wrong becomes a typed error with a reason
//! a site owner can act on (answered as 400/413), never a crash.

use crate::limits::{
    truncate_utf8, MAX_BODY_BYTES, MAX_IDEMPOTENCY_BYTES, MAX_IDENTIFIER_BYTES, MAX_LOAD_TIME_MS,
    MAX_URL_BYTES,
};
use serde_json::Value;

/// Why a beacon was refused. The `Display` text is sent back to the client.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PayloadError {
    /// Body over [`MAX_BODY_BYTES`] (answered 413).
    #[error("body is larger than {MAX_BODY_BYTES} bytes")]
    TooLarge,
    /// Not JSON at all.
    #[error("body is not valid JSON: {0}")]
    NotJson(String),
    /// JSON, but not an object.
    #[error("body must be a JSON object")]
    NotObject,
    /// A field of the wrong type.
    #[error("field `{field}` must be {expected}")]
    WrongType {
        /// The offending key.
        field: &'static str,
        /// What it should have been.
        expected: &'static str,
    },
    /// A field over its length limit.
    #[error("field `{field}` is longer than {max} bytes")]
    TooLong {
        /// The offending key.
        field: &'static str,
        /// The limit.
        max: usize,
    },
}

impl PayloadError {
    /// HTTP status for this error: 413 for size, 400 for everything else.
    pub fn status(&self) -> u16 {
        match self {
            PayloadError::TooLarge => 413,
            _ => 400,
        }
    }
}

/// What a script beacon says about the page view.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PagePayload {
    /// Page-view token; repeats are heartbeats.
    pub idempotency: Option<String>,
    /// `document.referrer`.
    pub referrer: String,
    /// `location.href`; `None` when the key was absent (the Referer header is used then).
    pub location: Option<String>,
    /// Load time in ms, `None` when absent, null, not positive or implausibly large.
    pub load_time: Option<f64>,
}

/// Parses a script beacon body. Accepts `application/json` and `text/plain` bodies alike (the
/// tracker sends text/plain through `sendBeacon` to avoid a CORS preflight). An empty body is a
/// page view with no details.
pub fn parse_script_body(body: &[u8]) -> Result<PagePayload, PayloadError> {
    if body.len() > MAX_BODY_BYTES {
        return Err(PayloadError::TooLarge);
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(PagePayload::default());
    }
    let value: Value =
        serde_json::from_slice(body).map_err(|e| PayloadError::NotJson(e.to_string()))?;
    let Value::Object(map) = value else {
        return Err(PayloadError::NotObject);
    };
    let idempotency = opt_string(&map, "idempotency", MAX_IDEMPOTENCY_BYTES)?;
    let referrer = opt_string(&map, "referrer", MAX_URL_BYTES)?.unwrap_or_default();
    let location = opt_string(&map, "location", MAX_URL_BYTES)?;
    let load_time = match field(&map, "loadTime") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => n
            .as_f64()
            .filter(|v| v.is_finite() && *v > 0.0 && *v <= MAX_LOAD_TIME_MS),
        Some(_) => {
            return Err(PayloadError::WrongType {
                field: "loadTime",
                expected: "a number or null",
            })
        }
    };
    Ok(PagePayload {
        idempotency: idempotency.filter(|s| !s.is_empty()),
        referrer,
        location,
        load_time,
    })
}

/// The one-letter key the tracker sends for each long field name (the script's size budget
/// pays for every byte it sends as source). Direct clients may use either; the long name wins
/// when a body has both.
const SHORT_KEYS: &[(&str, &str)] = &[
    ("idempotency", "i"),
    ("referrer", "r"),
    ("location", "l"),
    ("loadTime", "t"),
    ("name", "n"),
    ("props", "p"),
    ("page", "k"),
];

/// A field by its long name or its short key. Shared with [`crate::event`].
pub(crate) fn field<'m>(map: &'m serde_json::Map<String, Value>, name: &str) -> Option<&'m Value> {
    map.get(name).or_else(|| {
        let (_, short) = SHORT_KEYS.iter().find(|(long, _)| *long == name)?;
        map.get(*short)
    })
}

/// An optional string field: trimmed, NULs removed, refused over `max` bytes or when not a
/// string. Shared with [`crate::event`].
pub(crate) fn opt_string(
    map: &serde_json::Map<String, Value>,
    field: &'static str,
    max: usize,
) -> Result<Option<String>, PayloadError> {
    match self::field(map, field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.len() > max => Err(PayloadError::TooLong { field, max }),
        Some(Value::String(s)) => {
            let mut s = s.trim().to_owned();
            crate::limits::strip_nul(&mut s);
            Ok(Some(s))
        }
        Some(_) => Err(PayloadError::WrongType {
            field,
            expected: "a string or null",
        }),
    }
}

/// Validates a page URL taken from a header (the pixel's Referer): over-long values are cut
/// rather than refused, since the visitor's browser chose them, not the site.
pub fn header_url(value: Option<&str>) -> String {
    truncate_utf8(value.unwrap_or("").trim(), MAX_URL_BYTES).to_owned()
}

/// Validates the identifier path segment (already URL-decoded): trimmed, bounded, no control
/// characters.
pub fn parse_identifier(raw: &str) -> Result<String, PayloadError> {
    let trimmed = raw.trim();
    if trimmed.len() > MAX_IDENTIFIER_BYTES {
        return Err(PayloadError::TooLong {
            field: "identifier",
            max: MAX_IDENTIFIER_BYTES,
        });
    }
    if trimmed.chars().any(char::is_control) {
        return Err(PayloadError::WrongType {
            field: "identifier",
            expected: "text without control characters",
        });
    }
    Ok(trimmed.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_shynet_body() {
        let p = parse_script_body(
            br#"{"idempotency":"abc","referrer":"https://g.co/","location":"https://e.com/x","loadTime":123.5}"#,
        )
        .unwrap();
        assert_eq!(p.idempotency.as_deref(), Some("abc"));
        assert_eq!(p.referrer, "https://g.co/");
        assert_eq!(p.location.as_deref(), Some("https://e.com/x"));
        assert_eq!(p.load_time, Some(123.5));
    }

    /// The tracker's one-letter keys read the same as the long names, which win when both come.
    #[test]
    fn short_keys_are_the_long_names() {
        let p =
            parse_script_body(br#"{"i":"abc","r":"https://g.co/","l":"https://e.com/x","t":9}"#)
                .unwrap();
        assert_eq!(p.idempotency.as_deref(), Some("abc"));
        assert_eq!(p.referrer, "https://g.co/");
        assert_eq!(p.location.as_deref(), Some("https://e.com/x"));
        assert_eq!(p.load_time, Some(9.0));
        let p = parse_script_body(br#"{"i":"short","idempotency":"long"}"#).unwrap();
        assert_eq!(p.idempotency.as_deref(), Some("long"));
        let e = parse_script_body(br#"{"t":"fast"}"#).unwrap_err();
        assert_eq!(e.to_string(), "field `loadTime` must be a number or null");
    }

    #[test]
    fn null_and_non_positive_load_time_are_absent() {
        for body in [
            &br#"{"loadTime":null}"#[..],
            br#"{"loadTime":0}"#,
            br#"{"loadTime":-5}"#,
            br#"{"loadTime":1e12}"#,
            br#"{}"#,
        ] {
            assert_eq!(parse_script_body(body).unwrap().load_time, None);
        }
    }

    #[test]
    fn wrong_types_are_400_with_reason() {
        let e = parse_script_body(br#"{"loadTime":"fast"}"#).unwrap_err();
        assert_eq!(e.status(), 400);
        assert_eq!(e.to_string(), "field `loadTime` must be a number or null");
        let p = parse_script_body(br#"{"location":"https://e.com/\u0000x","referrer":"\u0000"}"#)
            .unwrap();
        assert_eq!(p.location.as_deref(), Some("https://e.com/x"));
        assert_eq!(p.referrer, "");
        let e = parse_script_body(br#"{"location":5}"#).unwrap_err();
        assert_eq!(e.to_string(), "field `location` must be a string or null");
        assert_eq!(
            parse_script_body(b"[1]").unwrap_err(),
            PayloadError::NotObject
        );
        assert!(matches!(
            parse_script_body(b"not json").unwrap_err(),
            PayloadError::NotJson(_)
        ));
        assert!(matches!(
            parse_script_body(b"{\"location\":\"\xff\"}").unwrap_err(),
            PayloadError::NotJson(_)
        ));
    }

    #[test]
    fn limits_are_enforced() {
        let big = vec![b' '; MAX_BODY_BYTES + 1];
        assert_eq!(parse_script_body(&big).unwrap_err().status(), 413);
        let long = format!(r#"{{"location":"{}"}}"#, "a".repeat(MAX_URL_BYTES + 1));
        assert!(matches!(
            parse_script_body(long.as_bytes()).unwrap_err(),
            PayloadError::TooLong {
                field: "location",
                ..
            }
        ));
        assert!(parse_identifier(&"x".repeat(MAX_IDENTIFIER_BYTES + 1)).is_err());
        assert!(parse_identifier("a\u{0}b").is_err());
        assert_eq!(parse_identifier("  user-1 ").unwrap(), "user-1");
    }

    #[test]
    fn empty_body_is_a_bare_page_view() {
        assert_eq!(parse_script_body(b"").unwrap(), PagePayload::default());
    }
}
