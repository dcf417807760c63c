//! The reads behind anomaly detection: page views of one service in a handful of hours (the
//! hour judged and the same hour in earlier weeks), from the hourly rollups. Bounded: at most
//! [`MAX_HOURS`] hours per call, each one primary-key lookup.

use crate::figures::StatsError;
use chrono::{DateTime, Duration, Utc};
use tokio_postgres::GenericClient;
use uuid::Uuid;

/// Most hours read at once (the judged hour and the longest baseline).
pub const MAX_HOURS: usize = 1 + crate::anomaly::WEEKS_RANGE.1 as usize;

/// The hour judged and its seasonal baseline: the same hour of the week in each of the `weeks`
/// weeks before it, leaving out hours before `since` (the service did not exist yet).
pub fn baseline_hours(hour: DateTime<Utc>, weeks: i16, since: DateTime<Utc>) -> Vec<DateTime<Utc>> {
    let weeks = weeks.clamp(crate::anomaly::WEEKS_RANGE.0, crate::anomaly::WEEKS_RANGE.1);
    (1..=i64::from(weeks))
        .map(|w| hour - Duration::weeks(w))
        .filter(|h| *h >= since)
        .collect()
}

/// Page views (hits) per hour, in the order of `hours`; an hour without a rollup row had none.
/// Only hours the rollup job has closed may be asked for. At most [`MAX_HOURS`] are read.
pub async fn hits_in_hours<C: GenericClient>(
    c: &C,
    service: Uuid,
    hours: &[DateTime<Utc>],
) -> Result<Vec<f64>, StatsError> {
    let hours = &hours[..hours.len().min(MAX_HOURS)];
    let rows = c
        .query(
            "SELECT hour, hits FROM rollup_hours WHERE service_id = $1 AND hour = ANY($2)
             LIMIT $3",
            &[&service, &hours, &(MAX_HOURS as i64)],
        )
        .await?;
    Ok(hours
        .iter()
        .map(|h| {
            rows.iter()
                .find(|r| r.get::<_, DateTime<Utc>>(0) == *h)
                .map_or(0.0, |r| r.get::<_, i64>(1) as f64)
        })
        .collect())
}

/// The newest hour the rollup job has closed (the hour before its watermark), if any: the
/// newest hour whose count is final.
pub async fn last_closed_hour<C: GenericClient>(
    c: &C,
) -> Result<Option<DateTime<Utc>>, StatsError> {
    let w: Option<DateTime<Utc>> = c
        .query_opt("SELECT watermark FROM rollup_state WHERE id", &[])
        .await?
        .and_then(|r| r.get(0));
    Ok(w.map(|w| w - Duration::hours(1)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn baseline_is_the_same_hour_in_earlier_weeks_since_creation() {
        let h = Utc.with_ymd_and_hms(2026, 3, 30, 14, 0, 0).unwrap();
        let all = baseline_hours(h, 4, h - Duration::weeks(10));
        assert_eq!(all.len(), 4);
        assert_eq!(all[0], h - Duration::weeks(1));
        assert_eq!(all[3], h - Duration::weeks(4));
        assert_eq!(baseline_hours(h, 4, h - Duration::days(15)).len(), 2);
        assert_eq!(baseline_hours(h, 99, h - Duration::weeks(99)).len(), 12);
    }
}
