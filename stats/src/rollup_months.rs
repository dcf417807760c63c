//! The monthly dimension rows (`rollup_dims_monthly`): each closed calendar month's sums of its
//! daily dimension rows. A year's tables then sum about 15,000 rows instead of 220,000 at 30M
//! demo hits (see [`crate::top`]). Only closed months have rows (every day before the first
//! incomplete one), so an hourly pass rebuilds nothing here except on the day a month closes;
//! every writer of daily rows (a pass, a re-roll of pairs, rollup retention) rebuilds the closed
//! months it touched, so a month's rows always equal the sum of its daily rows.

use crate::months::{is_closed, month_of, next_month};
use chrono::{Duration, NaiveDate};
use tokio_postgres::GenericClient;
use uuid::Uuid;

const DELETE_PAIRS: &str = "
DELETE FROM rollup_dims_monthly r USING unnest($1::uuid[], $2::date[]) AS p(sid, month)
WHERE r.service_id = p.sid AND r.month = p.month";

const INSERT_PAIRS: &str = "
INSERT INTO rollup_dims_monthly (service_id, month, dim, key, count)
SELECT p.sid, p.month, r.dim, r.key, sum(r.count)::int8
FROM unnest($1::uuid[], $2::date[]) AS p(sid, month)
JOIN rollup_dims_daily r ON r.service_id = p.sid
 AND r.day >= p.month AND r.day < (p.month + interval '1 month')::date
GROUP BY 1, 2, 3, 4";

/// Rebuilds every service's rows of the closed months that days [lo, hi) touch, from their
/// daily rows (rebuilt just before). `complete` is the first day that is not complete.
pub(crate) async fn rebuild_range<C: GenericClient>(
    client: &C,
    lo: NaiveDate,
    hi: NaiveDate,
    complete: NaiveDate,
) -> Result<(), tokio_postgres::Error> {
    if lo >= hi {
        return Ok(());
    }
    let first = month_of(lo);
    let end = next_month(hi - Duration::days(1)).min(month_of(complete));
    if first >= end {
        return Ok(());
    }
    client
        .execute(
            "DELETE FROM rollup_dims_monthly WHERE month >= $1 AND month < $2",
            &[&first, &end],
        )
        .await?;
    client
        .execute(
            "INSERT INTO rollup_dims_monthly (service_id, month, dim, key, count)
             SELECT service_id, date_trunc('month', day)::date, dim, key, sum(count)::int8
             FROM rollup_dims_daily WHERE day >= $1 AND day < $2 GROUP BY 1, 2, 3, 4",
            &[&first, &end],
        )
        .await?;
    Ok(())
}

/// Rebuilds the rows of the closed months of these (service, UTC day) pairs.
pub(crate) async fn rebuild_pairs<C: GenericClient>(
    client: &C,
    services: &[Uuid],
    days: &[NaiveDate],
    complete: NaiveDate,
) -> Result<(), tokio_postgres::Error> {
    let mut pairs: Vec<(Uuid, NaiveDate)> = services
        .iter()
        .zip(days)
        .map(|(s, d)| (*s, month_of(*d)))
        .filter(|(_, m)| is_closed(*m, complete))
        .collect();
    pairs.sort_unstable();
    pairs.dedup();
    if pairs.is_empty() {
        return Ok(());
    }
    let s: Vec<Uuid> = pairs.iter().map(|p| p.0).collect();
    let m: Vec<NaiveDate> = pairs.iter().map(|p| p.1).collect();
    client.execute(DELETE_PAIRS, &[&s, &m]).await?;
    client.execute(INSERT_PAIRS, &[&s, &m]).await?;
    Ok(())
}

/// After rollup retention deleted `service`'s daily rows before `cutoff`: its months before
/// `cutoff`'s go, and the month `cutoff` falls in keeps the sum of the days left.
pub async fn after_purge<C: GenericClient>(
    client: &C,
    service: Uuid,
    cutoff: NaiveDate,
    complete: NaiveDate,
) -> Result<u64, tokio_postgres::Error> {
    let month = month_of(cutoff);
    let n = client
        .execute(
            "DELETE FROM rollup_dims_monthly WHERE service_id = $1 AND month < $2",
            &[&service, &month],
        )
        .await?;
    if month < cutoff {
        rebuild_pairs(client, &[service], &[month], complete).await?;
    }
    Ok(n)
}
