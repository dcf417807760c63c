//! `shynet stats --filter …`: the figures of a segment. Filters are written `country=DE`,
//! `country!=DE`, `page~=/blog/`, `page!~=/blog/` (the dashboard's `f=country:DE` with `=` for
//! `:`), checked before any database is opened. Without filters the command answers from
//! [`crate::cli::stats`] (rollups) as before; with filters from raw rows
//! ([`stats::filtered`]), in the same JSON shape plus a `filters` list.

use crate::config::StatsArgs;
use anyhow::Context;
use deadpool_postgres::Pool;
use stats::filters::{Filters, Syntax};

/// The filters of the command line, or the reason they are refused.
pub fn filters(a: &StatsArgs) -> anyhow::Result<Filters> {
    Filters::parse(a.filter.iter().map(String::as_str), Syntax::Cli).context("--filter")
}

/// Runs `shynet stats` with its arguments.
/// `pool` is the primary, `reads` where figures are read (a read replica in use, or the primary).
pub async fn run(
    (pool, reads): (&Pool, &Pool),
    a: &StatsArgs,
    tz: chrono_tz::Tz,
) -> anyhow::Result<serde_json::Value> {
    let f = filters(a)?;
    let heartbeat = a.tracking.script_heartbeat_frequency;
    let (start, end) = (a.start.as_deref(), a.end.as_deref());
    if f.is_empty() {
        return crate::cli::stats_from(pool, reads, a.service, start, end, tz, heartbeat).await;
    }
    filtered((pool, reads), a.service, (start, end), tz, heartbeat, &f).await
}

/// The filtered figures of `service`, shaped like [`crate::cli::stats`]'s answer (events and
/// goals are those of the segment's sessions).
pub async fn filtered(
    (pool, reads): (&Pool, &Pool),
    service: uuid::Uuid,
    (start, end): (Option<&str>, Option<&str>),
    tz: chrono_tz::Tz,
    heartbeat_ms: u64,
    f: &Filters,
) -> anyhow::Result<serde_json::Value> {
    let now = chrono::Utc::now();
    crate::cli::stats_window(start, end, tz, now)?;
    let client = pool.get().await?;
    let (name, hide, zone) = models::services::zones::name_pattern_zone(&**client, service)
        .await?
        .with_context(|| format!("no service with id {service}"))?;
    let tz = stats::window::service_zone(zone.as_deref(), tz);
    let window = crate::cli::stats_window(start, end, tz, now)?;
    let hide = stats::referrer::compile_lenient(&hide);
    // The service came from the primary; its figures from `reads`.
    drop(client);
    let client = reads.get().await?;
    let online = chrono::Duration::milliseconds(2 * heartbeat_ms as i64);
    let s = stats::filtered::core_stats(&**client, service, &window, hide.as_ref(), online, now, f)
        .await?;
    let events = stats::filtered_events::events(&**client, service, &window, f).await?;
    let mut st = serde_json::to_value(s)?;
    st["events"] = serde_json::to_value(events)?;
    st["goals"] =
        serde_json::to_value(stats::filtered_events::goals(&**client, service, &window, f).await?)?;
    Ok(serde_json::json!({
        "service": { "id": service, "name": name },
        "window": { "start": window.start, "end": window.end, "time_zone": tz.name() },
        "filters": f.written(Syntax::Cli),
        "stats": st,
    }))
}
