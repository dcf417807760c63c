//! Row-level reads: the paginated session list of a window, one session with a page of its hits,
//! and the full (paginated) location list. Hit counts per session come from the session row, so
//! a page costs one query, not one per session. Every read is a bounded slice: a session that
//! lasted days with thousands of hits is paged like the session list.

use crate::dimensions::LOCATION;
use crate::figures::{Row, StatsError};
use crate::filter_sql::{params, session_clause, values};
use crate::filters::Filters;
use crate::window::Window;
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use std::net::IpAddr;
use tokio_postgres::GenericClient;
use uuid::Uuid;

/// A session as the session tables show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SessionRow {
    /// Session id.
    pub id: Uuid,
    /// First request.
    pub start_time: DateTime<Utc>,
    /// Latest request.
    pub last_seen: DateTime<Utc>,
    /// Site-supplied identifier ("" = anonymous).
    pub identifier: String,
    /// ISO country code ("" = unknown).
    pub country: String,
    /// Network (AS organisation).
    pub as_org: String,
    /// All hits of the session (not windowed).
    pub hit_count: i64,
    /// `last_seen - start_time` in seconds.
    pub duration: f64,
    /// Seen within the online window.
    pub online: bool,
}

/// One page of sessions and the total in the window.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SessionPage {
    /// Newest first.
    pub rows: Vec<SessionRow>,
    /// Sessions in the window.
    pub total: i64,
}

pub(crate) const ROW: &str =
    "id, start_time, last_seen, identifier, country, as_org, hit_count::int8,
                   extract(epoch FROM last_seen - start_time)::float8";

pub(crate) fn session_row(r: &tokio_postgres::Row, online_since: DateTime<Utc>) -> SessionRow {
    let last_seen: DateTime<Utc> = r.get(2);
    SessionRow {
        id: r.get(0),
        start_time: r.get(1),
        last_seen,
        identifier: r.get(3),
        country: r.get(4),
        as_org: r.get(5),
        hit_count: r.get(6),
        duration: r.get(7),
        online: last_seen > online_since,
    }
}

/// The segment's sessions that started in `w`, newest first, `limit` from `offset`, with the
/// segment's total in the window for pagination (`Filters::none()`: every session).
#[allow(clippy::too_many_arguments)]
pub async fn sessions_page<C: GenericClient>(
    client: &C,
    service: Uuid,
    w: &Window,
    offset: i64,
    limit: i64,
    online_window: Duration,
    now: DateTime<Utc>,
    filters: &Filters,
) -> Result<SessionPage, StatsError> {
    let rows = recent_sessions(
        client,
        service,
        w,
        offset,
        limit,
        online_window,
        now,
        filters,
    )
    .await?;
    let vals = values(filters);
    let sql = format!(
        "SELECT count(*) FROM sessions s
         WHERE s.service_id = $1 AND s.start_time > $2 AND s.start_time < $3 AND {}",
        session_clause(filters, "s", 3)
    );
    let total: i64 = client
        .query_one(&sql, &params(&[&service, &w.start, &w.end], &vals))
        .await?
        .get(0);
    Ok(SessionPage { rows, total })
}

/// The segment's sessions that started in `w`, newest first, without the total: the service
/// page's "recent sessions" box needs only a few rows, and counting a year of raw sessions would
/// dominate it.
#[allow(clippy::too_many_arguments)]
pub async fn recent_sessions<C: GenericClient>(
    client: &C,
    service: Uuid,
    w: &Window,
    offset: i64,
    limit: i64,
    online_window: Duration,
    now: DateTime<Utc>,
    filters: &Filters,
) -> Result<Vec<SessionRow>, StatsError> {
    let vals = values(filters);
    let sql = format!(
        "SELECT {ROW} FROM sessions s
         WHERE s.service_id = $1 AND s.start_time > $2 AND s.start_time < $3 AND {}
         ORDER BY s.start_time DESC, s.id LIMIT $4 OFFSET $5",
        session_clause(filters, "s", 5)
    );
    let rows = client
        .query(
            &sql,
            &params(&[&service, &w.start, &w.end, &limit, &offset], &vals),
        )
        .await?;
    let since = now - online_window;
    Ok(rows.iter().map(|r| session_row(r, since)).collect())
}

/// Everything known about one session.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SessionDetail {
    /// The table fields.
    pub row: SessionRow,
    /// Browser family.
    pub browser: String,
    /// Device family.
    pub device: String,
    /// PHONE, TABLET, DESKTOP, ROBOT or OTHER.
    pub device_type: String,
    /// OS family.
    pub os: String,
    /// AS number.
    pub asn: Option<i32>,
    /// Coordinates.
    pub latitude: Option<f64>,
    /// Coordinates.
    pub longitude: Option<f64>,
    /// Raw IP, only if the service collects them.
    pub ip: Option<IpAddr>,
    /// The requested page of page views, newest first.
    pub hits: Vec<HitRow>,
    /// All page views of the session (for pagination).
    pub hit_total: i64,
}

/// A page view of a session.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HitRow {
    /// Page-view time.
    pub start_time: DateTime<Utc>,
    /// Page URL.
    pub location: String,
    /// Referrer ("" = none).
    pub referrer: String,
    /// Time on page in seconds (last heartbeat − start).
    pub duration: f64,
    /// Load time in ms.
    pub load_time: Option<f64>,
    /// JS or PIXEL.
    pub tracker: String,
}

/// One session of `service` with `limit` of its hits from `offset` (newest first), or `None` if
/// it does not exist there.
pub async fn session_detail<C: GenericClient>(
    client: &C,
    service: Uuid,
    session: Uuid,
    (offset, limit): (i64, i64),
    online_window: Duration,
    now: DateTime<Utc>,
) -> Result<Option<SessionDetail>, StatsError> {
    let Some(r) = client
        .query_opt(
            &format!(
                "SELECT {ROW}, browser, device, device_type, os, asn, latitude, longitude, ip
                 FROM sessions WHERE service_id = $1 AND id = $2"
            ),
            &[&service, &session],
        )
        .await?
    else {
        return Ok(None);
    };
    let hits = client
        .query(
            "SELECT start_time, location, referrer,
                    extract(epoch FROM last_seen - start_time)::float8, load_time, tracker
             FROM hits WHERE session_id = $1 AND service_id = $2 ORDER BY start_time DESC, id DESC
             LIMIT $3 OFFSET $4",
            &[&session, &service, &limit.max(0), &offset.max(0)],
        )
        .await?
        .into_iter()
        .map(|h| HitRow {
            start_time: h.get(0),
            location: h.get(1),
            referrer: h.get(2),
            duration: h.get(3),
            load_time: h.get(4),
            tracker: h.get(5),
        })
        .collect();
    let hit_total: i64 = client
        .query_one(
            "SELECT count(*) FROM hits WHERE session_id = $1 AND service_id = $2",
            &[&session, &service],
        )
        .await?
        .get(0);
    Ok(Some(SessionDetail {
        row: session_row(&r, now - online_window),
        browser: r.get(8),
        device: r.get(9),
        device_type: r.get(10),
        os: r.get(11),
        asn: r.get(12),
        latitude: r.get(13),
        longitude: r.get(14),
        ip: r.get(15),
        hits,
        hit_total,
    }))
}

/// One page of the full location list (by hits) and the number of distinct locations. Pages
/// are a table, not drill-down: they come from rollups like the service page's top pages.
pub async fn locations_page<C: GenericClient>(
    client: &C,
    service: Uuid,
    w: &Window,
    offset: i64,
    limit: i64,
) -> Result<(Vec<Row>, i64), StatsError> {
    let want = crate::top::Want {
        dim: LOCATION.code,
        offset,
        limit,
    };
    let mut ranked =
        crate::top::ranked(client, service, w, crate::plan::Source::Auto, &[want]).await?;
    let pages = std::mem::take(&mut ranked[LOCATION.index()]);
    Ok((pages.rows, pages.keys))
}
