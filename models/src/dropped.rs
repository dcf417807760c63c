//! The dropped-traffic report (`dropped_beacons`): counts of beacons a service did not store,
//! per UTC day and reason. Written in sets by the aggregator's flush; no visitor data.

use chrono::NaiveDate;
use serde::Serialize;
use tokio_postgres::GenericClient;
use uuid::Uuid;

/// Most days one report reads (the window cap every read shares).
pub const MAX_REPORT_DAYS: i64 = 1100;

/// One counter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Dropped {
    /// UTC day.
    pub day: NaiveDate,
    /// Why (`dnt`, `gpc`, `bot`, `ignored_ip`, `origin`, `archived`, `invalid`, `overload`).
    pub reason: String,
    /// How many.
    pub count: i64,
}

/// Adds counts in one statement: `(service, day, reason, count)` rows, summed into existing
/// rows. Rows of services that no longer exist are skipped (their data was deleted).
pub async fn add<C: GenericClient>(
    c: &C,
    services: &[Uuid],
    days: &[NaiveDate],
    reasons: &[&str],
    counts: &[i64],
) -> Result<u64, tokio_postgres::Error> {
    c.execute(
        "INSERT INTO dropped_beacons AS d (service_id, day, reason, count)
         SELECT u.s, u.d, u.r, sum(u.n) FROM UNNEST($1::uuid[], $2::date[], $3::text[], $4::int8[])
                AS u(s, d, r, n)
         JOIN services ON services.id = u.s
         GROUP BY u.s, u.d, u.r
         ON CONFLICT (service_id, day, reason) DO UPDATE SET count = d.count + EXCLUDED.count",
        &[&services, &days, &reasons, &counts],
    )
    .await
}

/// A service's counters for the days `from..=to` (at most [`MAX_REPORT_DAYS`]), newest day
/// first.
pub async fn for_service<C: GenericClient>(
    c: &C,
    service: Uuid,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<Dropped>, tokio_postgres::Error> {
    let from = from.max(to - chrono::Duration::days(MAX_REPORT_DAYS - 1));
    Ok(c.query(
        "SELECT day, reason, count FROM dropped_beacons
             WHERE service_id = $1 AND day BETWEEN $2 AND $3
             ORDER BY day DESC, reason LIMIT $4",
        &[&service, &from, &to, &(MAX_REPORT_DAYS * 8)],
    )
    .await?
    .iter()
    .map(|r| Dropped {
        day: r.get(0),
        reason: r.get(1),
        count: r.get(2),
    })
    .collect())
}
