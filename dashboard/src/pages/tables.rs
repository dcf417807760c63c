//! Table rows as the service and session pages display them.

use crate::format;
use crate::i18n;
use serde_json::{json, Value};
use stats::{sessions as srows, Row};

/// Rows of a table with display strings: label, count, share of `total`, bar width, optional
/// link.
pub fn table_rows(
    rows: &[Row],
    total: i64,
    label: &dyn Fn(&str) -> String,
    link: bool,
) -> Vec<Value> {
    let max = rows.first().map(|r| r.count).unwrap_or(0);
    rows.iter()
        .map(|r| {
            json!({
                "label": label(&r.key),
                "href": (link && (r.key.starts_with("http://") || r.key.starts_with("https://"))).then_some(&r.key),
                "count": format::int(r.count),
                "share": format::share(r.count, total),
                "bar": crate::svg_chart::bar(format::bar(r.count, max)),
            })
        })
        .collect()
}

/// Session rows for the session tables.
pub fn session_rows(
    rows: &[srows::SessionRow],
    service: uuid::Uuid,
    tz: chrono_tz::Tz,
    style: crate::date_style::DateStyle,
) -> Vec<Value> {
    rows.iter()
        .map(|s| {
            json!({
                "href": format!("/dashboard/service/{service}/sessions/{}/", s.id),
                "start": style.date_time(&s.start_time.with_timezone(&tz)),
                "online": s.online,
                "identifier": s.identifier,
                "country": crate::worldmap::country_name(&s.country),
                "network": if s.as_org.is_empty() { i18n::tr_now("common-unknown") } else { s.as_org.clone() },
                "duration": format::duration(Some(s.duration)),
                "hits": format::int(s.hit_count),
            })
        })
        .collect()
}
