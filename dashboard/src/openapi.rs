//! The OpenAPI description served at `/api/v1/openapi.json`. The hand-written part lives in
//! `static/openapi.json`; the dimension tables of the `Stats` schema are added from the
//! registry, so a new dimension shows up in the description the moment it shows up in answers.

use serde_json::{json, Value};
use stats::dimensions::ALL;
use std::sync::LazyLock;

/// The hand-written part: everything but the dimension tables.
const BASE: &str = include_str!("../static/openapi.json");

/// Share links and the dropped-traffic report, merged in by [`add_share`].
const SHARE: &str = include_str!("../static/openapi_share.json");

/// The full description, built once.
pub static OPENAPI: LazyLock<String> = LazyLock::new(|| {
    let doc = describe(BASE).unwrap_or_else(|e| panic!("static/openapi.json: {e}"));
    serde_json::to_string_pretty(&doc).unwrap_or_default()
});

/// `base` with the dimension tables in `components.schemas.Stats` and the `Row` schema's
/// description listing their value keys.
fn describe(base: &str) -> Result<Value, String> {
    let mut doc: Value = serde_json::from_str(base).map_err(|e| e.to_string())?;
    let schemas = doc
        .pointer_mut("/components/schemas")
        .ok_or("no components.schemas")?;
    let mut keys: Vec<&str> = Vec::new();
    for d in ALL {
        if !keys.contains(&d.api_key) {
            keys.push(d.api_key);
        }
    }
    schemas["Row"]["description"] = json!(format!(
        "One dimension value (keyed by the table's column: {}) and its count.",
        keys.join(", ")
    ));
    let props = schemas
        .pointer_mut("/Stats/properties")
        .and_then(Value::as_object_mut)
        .ok_or("no Stats.properties")?;
    for d in ALL {
        if props.contains_key(d.api_name) {
            return Err(format!(
                "`{}` is written by hand and by the registry",
                d.api_name
            ));
        }
        props.insert(
            d.api_name.to_owned(),
            json!({
                "type": "array",
                "description": format!("{} Rows are keyed `{}`.", d.description, d.api_key),
                "items": {"$ref": "#/components/schemas/Row"},
            }),
        );
    }
    add_share(&mut doc)?;
    add_filters(&mut doc)?;
    Ok(doc)
}

/// Adds the `filters` parameter of the dashboard API, its fields listed from the registry.
fn add_filters(doc: &mut Value) -> Result<(), String> {
    use stats::filters::{field_names, MAX_FILTERS, MAX_VALUE_CHARS};
    let params = doc
        .pointer_mut("/paths/~1api~1v1~1dashboard~1/get/parameters")
        .and_then(Value::as_array_mut)
        .ok_or("no parameters of /api/v1/dashboard/")?;
    params.push(json!({
        "name": "filters",
        "in": "query",
        "required": false,
        "style": "form",
        "explode": true,
        "schema": {"type": "array", "maxItems": MAX_FILTERS,
                   "items": {"type": "string", "maxLength": MAX_VALUE_CHARS + 40}},
        "example": ["country:DE", "browser:Firefox", "page~:/blog/"],
        "description": format!(
            "Narrows every figure, table and chart (and `compare`) to a segment; repeat the \
             parameter to combine filters (AND), at most {MAX_FILTERS}. Each is FIELD:VALUE \
             (is), FIELD!:VALUE (is not), FIELD~:VALUE (contains) or FIELD!~:VALUE (does not \
             contain; the last two for page, entry_page, exit_page and referrer only). VALUE is \
             a key as the tables give it (\"DE\", \"Chrome / 124\", a full page URL; empty = \
             unknown). Fields: {}. Filtered figures are counted from raw rows; `events`, \
             `event_properties` and `goals` are those of the segment's sessions. A malformed filter, an unknown field or too many filters \
             answer 400 with the reason in `error`.",
            field_names().join(", ")
        ),
    }));
    Ok(())
}

/// Adds the share API's path and schemas and the services' `dropped` report.
fn add_share(doc: &mut Value) -> Result<(), String> {
    let extra: Value = serde_json::from_str(SHARE).map_err(|e| format!("share part: {e}"))?;
    let merge = |into: Option<&mut Value>, from: &Value| -> Result<(), String> {
        let (Some(into), Some(from)) = (into.and_then(Value::as_object_mut), from.as_object())
        else {
            return Err("share part: missing object".into());
        };
        for (k, v) in from {
            into.insert(k.clone(), v.clone());
        }
        Ok(())
    };
    merge(doc.get_mut("paths"), &extra["paths"])?;
    merge(doc.pointer_mut("/components/schemas"), &extra["schemas"])?;
    merge(
        doc.pointer_mut("/components/schemas/Service/properties"),
        &extra["service_properties"],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_dimension_is_described() {
        let doc: Value = serde_json::from_str(&OPENAPI).unwrap();
        let props = &doc["components"]["schemas"]["Stats"]["properties"];
        let row = doc["components"]["schemas"]["Row"]["description"]
            .as_str()
            .unwrap();
        for d in ALL {
            assert_eq!(props[d.api_name]["type"], "array", "{}", d.name);
            assert!(row.contains(d.api_key), "{}", d.name);
        }
        assert!(doc["paths"]["/api/v1/dashboard/"]["get"].is_object());
    }

    #[test]
    fn shares_and_dropped_traffic_are_described() {
        let doc: Value = serde_json::from_str(&OPENAPI).unwrap();
        assert!(doc["paths"]["/share/{token}/api/"]["get"].is_object());
        let schemas = &doc["components"]["schemas"];
        for k in ["noised", "epsilon", "session_count", "chart_data"] {
            assert!(schemas["SharedStats"]["properties"][k].is_object(), "{k}");
        }
        assert_eq!(
            schemas["Service"]["properties"]["dropped"]["items"]["$ref"],
            "#/components/schemas/DroppedRow"
        );
        let reasons = &schemas["DroppedRow"]["properties"]["reason"]["enum"];
        for k in beacon::dropped::DropKind::ALL {
            assert!(reasons.as_array().unwrap().contains(&json!(k.as_str())));
        }
    }

    #[test]
    fn events_and_goals_are_described() {
        let doc: Value = serde_json::from_str(&OPENAPI).unwrap();
        let schemas = &doc["components"]["schemas"];
        let props = &schemas["Stats"]["properties"];
        for (key, item) in [
            ("events", "EventRow"),
            ("goals", "GoalRow"),
            ("event_properties", "PropRow"),
        ] {
            assert_eq!(
                props[key]["items"]["$ref"],
                format!("#/components/schemas/{item}")
            );
            assert!(schemas[item]["properties"].is_object(), "{item}");
        }
        for k in ["key", "count", "sessions"] {
            assert!(schemas["EventRow"]["properties"][k].is_object(), "{k}");
        }
        for k in ["name", "conversions", "conversion_rate_pct"] {
            assert!(schemas["GoalRow"]["properties"][k].is_object(), "{k}");
        }
        let params = doc["paths"]["/api/v1/dashboard/"]["get"]["parameters"]
            .as_array()
            .unwrap();
        assert!(params.iter().any(|p| p["name"] == "event"));
        let f = params.iter().find(|p| p["name"] == "filters").unwrap();
        assert!(f["description"]
            .as_str()
            .unwrap()
            .contains("browser_version"));
        assert_eq!(f["schema"]["maxItems"], stats::filters::MAX_FILTERS);
    }
}
