//! What an export of a service's raw rows contains: one table each of sessions, page views and
//! custom events, their columns, and the `COPY … TO STDOUT` statements that stream them (CSV
//! with a header, or one JSON object per line). Postgres streams a `COPY` row by row, so neither
//! the server nor Shynet holds a table in memory, whatever its size.
//!
//! The raw IP and User-Agent columns are exported only for services that collect IPs: for the
//! others they are empty anyway, and leaving the columns out says so plainly. The daily visitor
//! hash is never exported (it is an internal counting key, not data about the visit).

use chrono::{DateTime, SecondsFormat, Utc};
use uuid::Uuid;

/// The exported tables, in the order they are written.
pub const TABLES: [&str; 3] = ["sessions", "hits", "events"];

/// Session columns every export has; `user_agent` and `ip` are added for services that collect IPs.
const SESSION_COLUMNS: &str = "id, start_time, last_seen, identifier, browser, browser_version, \
     os, os_version, device, device_type, asn, as_org, country, region, city, latitude, longitude, \
     time_zone, hit_count, is_bounce, utm_source, utm_medium, utm_campaign, utm_term, utm_content, \
     channel, exit_page";
const HIT_COLUMNS: &str = "id, session_id, initial, start_time, last_seen, heartbeats, tracker, \
     location, location_clean, referrer, load_time";
const EVENT_COLUMNS: &str =
    "id, session_id, session_start, hit_id, start_time, name, props, location";

/// Output format of one table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// RFC 4180 CSV with a header row.
    Csv,
    /// One JSON object per line, with a `table` key.
    Ndjson,
}

/// The column list of `table` (one of [`TABLES`]) for a service that does or does not collect
/// IPs.
pub fn columns(table: &str, collect_ips: bool) -> String {
    match table {
        "sessions" if collect_ips => format!("{SESSION_COLUMNS}, user_agent, host(ip) AS ip"),
        "sessions" => SESSION_COLUMNS.to_owned(),
        "hits" => HIT_COLUMNS.to_owned(),
        _ => EVENT_COLUMNS.to_owned(),
    }
}

fn ts(t: DateTime<Utc>) -> String {
    format!(
        "'{}'::timestamptz",
        t.to_rfc3339_opts(SecondsFormat::Micros, true)
    )
}

/// The `COPY … TO STDOUT` statement that streams `table` of `service`, rows whose own time is in
/// [from, to) (all rows when `window` is None), oldest first.
///
/// `COPY` takes no bind parameters, so the values are written into the statement: both are
/// typed values (a UUID and instants formatted here), never text from a request.
pub fn copy_statement(
    table: &str,
    service: Uuid,
    window: Option<(DateTime<Utc>, DateTime<Utc>)>,
    collect_ips: bool,
    format: Format,
) -> String {
    let table = TABLES
        .iter()
        .find(|t| **t == table)
        .copied()
        .unwrap_or("hits");
    let cols = columns(table, collect_ips);
    let time = match window {
        Some((lo, hi)) => format!(" AND start_time >= {} AND start_time < {}", ts(lo), ts(hi)),
        None => String::new(),
    };
    let select =
        format!("SELECT {cols} FROM {table} WHERE service_id = '{service}'::uuid{time} ORDER BY start_time, id");
    match format {
        Format::Csv => format!("COPY ({select}) TO STDOUT WITH (FORMAT csv, HEADER true)"),
        // JSON text holds no raw control characters, so with control characters as CSV's quote
        // and delimiter nothing is ever quoted or escaped: each line is the object as is.
        Format::Ndjson => format!(
            "COPY (SELECT (jsonb_build_object('table', '{table}') || to_jsonb(t))::text
                   FROM ({select}) t)
             TO STDOUT WITH (FORMAT csv, QUOTE e'\\x01', DELIMITER e'\\x02')"
        ),
    }
}

/// How many rows [`copy_statement`] will stream (for a progress bar).
pub fn count_statement(
    table: &str,
    service: Uuid,
    window: Option<(DateTime<Utc>, DateTime<Utc>)>,
) -> (String, Vec<DateTime<Utc>>) {
    let table = TABLES
        .iter()
        .find(|t| **t == table)
        .copied()
        .unwrap_or("hits");
    match window {
        Some((lo, hi)) => (
            format!(
                "SELECT count(*) FROM {table} WHERE service_id = '{service}'::uuid
                 AND start_time >= $1 AND start_time < $2"
            ),
            vec![lo, hi],
        ),
        None => (
            format!("SELECT count(*) FROM {table} WHERE service_id = '{service}'::uuid"),
            vec![],
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ip_and_user_agent_only_for_services_that_collect_ips() {
        let without = columns("sessions", false);
        assert!(!without.contains("ip") && !without.contains("user_agent"));
        let with = columns("sessions", true);
        assert!(with.contains("host(ip) AS ip") && with.contains("user_agent"));
        for t in ["hits", "events"] {
            assert!(!columns(t, true).contains("user_agent"));
        }
    }

    #[test]
    fn statements_name_only_known_tables() {
        let s = copy_statement("pg_authid", Uuid::nil(), None, false, Format::Csv);
        assert!(s.contains("FROM hits"), "{s}");
    }
}
