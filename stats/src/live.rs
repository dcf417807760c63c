//! The live view's figures: page views per minute over the last [`LIVE_MINUTES`] minutes, the
//! pages being viewed (by visitors online now, then by recent page views) and the referrers of
//! the sessions that began in that time. Every read is bounded twice: by the window (the `hits`
//! partitions and the `(service_id, start_time)` index prune everything older) and by a `LIMIT`,
//! so a busy site costs the same per refresh as a quiet one, give or take the rows of half an hour.
//!
//! These read raw rows only: the open hour is never rolled up yet, and half an hour of one
//! service's hits is small next to the rollups a window of days would need.

use crate::figures::{Row, StatsError};
use chrono::{DateTime, Duration, DurationRound, NaiveDateTime, Utc};
use regex::Regex;
use serde::Serialize;
use std::collections::HashMap;
use tokio_postgres::GenericClient;
use uuid::Uuid;

/// Minutes the live view looks back (the current, partial minute included).
pub const LIVE_MINUTES: i64 = 30;

/// Rows of the live view's page and referrer tables.
pub const LIVE_ROWS: usize = 10;

/// Extra referrer ranks read when the owner hides some, so hidden referrers can be dropped
/// before the cut and the table still fills (past that it shows fewer rows, never wrong ones).
pub const LIVE_HIDDEN_HEADROOM: usize = 200;

/// Page views that began in one minute.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Minute {
    /// The minute's first instant (UTC).
    pub start: DateTime<Utc>,
    /// Page views that began in it.
    pub pageviews: i64,
}

/// A page of the live view.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LivePage {
    /// Clean page URL (without the service's tracking parameters).
    pub page: String,
    /// Visitors online now whose latest page view is this page.
    pub now: i64,
    /// Page views of it in the window.
    pub pageviews: i64,
}

/// Everything the live view shows besides the online count.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Live {
    /// One entry per minute, oldest first, [`LIVE_MINUTES`] of them, empty minutes included.
    pub minutes: Vec<Minute>,
    /// Page views in the window (the sum of `minutes`).
    pub pageviews: i64,
    /// At most [`LIVE_ROWS`] pages, visitors on them now first, then page views.
    pub pages: Vec<LivePage>,
    /// At most [`LIVE_ROWS`] entry referrers ("" = direct) of sessions that began in the
    /// window, by sessions, without those the owner hides.
    pub referrers: Vec<Row>,
}

/// The first instant of the live window ending at `now`: the start of the minute
/// `LIVE_MINUTES - 1` minutes before the current one.
pub fn window_start(now: DateTime<Utc>) -> DateTime<Utc> {
    let minute = now
        .duration_trunc(Duration::minutes(1))
        .unwrap_or(now - Duration::seconds(59));
    minute - Duration::minutes(LIVE_MINUTES - 1)
}

/// Reads the live view of `service` at `now`; a session is online when seen after
/// `now - online_window`; referrers matching `hide_referrer` are left out.
pub async fn live<C: GenericClient>(
    client: &C,
    service: Uuid,
    online_window: Duration,
    hide_referrer: Option<&Regex>,
    now: DateTime<Utc>,
) -> Result<Live, StatsError> {
    let from = window_start(now);
    let minutes = per_minute(client, service, from, now).await?;
    let pageviews = minutes.iter().map(|m| m.pageviews).sum();
    let pages = pages(client, service, from, now, now - online_window).await?;
    let referrers = referrers(client, service, from, now, hide_referrer).await?;
    Ok(Live {
        minutes,
        pageviews,
        pages,
        referrers,
    })
}

async fn per_minute<C: GenericClient>(
    client: &C,
    service: Uuid,
    from: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Vec<Minute>, StatsError> {
    // At most LIVE_MINUTES groups: the window bounds the result.
    let rows = client
        .query(
            "SELECT date_trunc('minute', start_time AT TIME ZONE 'UTC') AS m, count(*)
             FROM hits WHERE service_id = $1 AND start_time >= $2 AND start_time <= $3
             GROUP BY 1 LIMIT $4",
            &[&service, &from, &now, &(LIVE_MINUTES + 1)],
        )
        .await?;
    let counts: HashMap<NaiveDateTime, i64> = rows
        .iter()
        .map(|r| (r.get(0), r.get::<_, i64>(1)))
        .collect();
    Ok((0..LIVE_MINUTES)
        .map(|i| {
            let start = from + Duration::minutes(i);
            Minute {
                start,
                pageviews: counts.get(&start.naive_utc()).copied().unwrap_or(0),
            }
        })
        .collect())
}

async fn pages<C: GenericClient>(
    client: &C,
    service: Uuid,
    from: DateTime<Utc>,
    now: DateTime<Utc>,
    online_since: DateTime<Utc>,
) -> Result<Vec<LivePage>, StatsError> {
    let rows = client
        .query(
            "WITH recent AS (
                 SELECT session_id, coalesce(location_clean, location) AS page, start_time, id
                 FROM hits WHERE service_id = $1 AND start_time >= $2 AND start_time <= $3
             ), latest AS (
                 SELECT DISTINCT ON (r.session_id) r.page
                 FROM recent r
                 JOIN sessions s ON s.id = r.session_id AND s.service_id = $1 AND s.last_seen > $4
                 ORDER BY r.session_id, r.start_time DESC, r.id DESC
             )
             SELECT page, sum(now)::bigint, sum(views)::bigint FROM (
                 SELECT page, 0::bigint AS now, count(*) AS views FROM recent GROUP BY page
                 UNION ALL
                 SELECT page, count(*), 0 FROM latest GROUP BY page
             ) x
             GROUP BY page ORDER BY 2 DESC, 3 DESC, 1 LIMIT $5",
            &[&service, &from, &now, &online_since, &(LIVE_ROWS as i64)],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| LivePage {
            page: r.get(0),
            now: r.get(1),
            pageviews: r.get(2),
        })
        .collect())
}

async fn referrers<C: GenericClient>(
    client: &C,
    service: Uuid,
    from: DateTime<Utc>,
    now: DateTime<Utc>,
    hide: Option<&Regex>,
) -> Result<Vec<Row>, StatsError> {
    let limit = LIVE_ROWS
        + if hide.is_some() {
            LIVE_HIDDEN_HEADROOM
        } else {
            0
        };
    let rows = client
        .query(
            "SELECT referrer, count(*) FROM hits
             WHERE service_id = $1 AND initial AND start_time >= $2 AND start_time <= $3
             GROUP BY referrer ORDER BY 2 DESC, 1 LIMIT $4",
            &[&service, &from, &now, &(limit as i64)],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| Row {
            key: r.get(0),
            count: r.get(1),
        })
        .filter(|r| match hide {
            Some(re) => r.key.is_empty() || !re.is_match(&r.key),
            None => true,
        })
        .take(LIVE_ROWS)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_holds_thirty_whole_minutes_with_the_current_one() {
        let now: DateTime<Utc> = "2026-03-01T12:34:56.789Z".parse().unwrap();
        let from = window_start(now);
        assert_eq!(
            from,
            "2026-03-01T12:05:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        let last = from + Duration::minutes(LIVE_MINUTES - 1);
        assert_eq!(
            last,
            "2026-03-01T12:34:00Z".parse::<DateTime<Utc>>().unwrap()
        );
    }
}
