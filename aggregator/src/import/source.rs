//! Reading the original Shynet's database (its Django tables: `core_user`, `core_service`,
//! `core_service_collaborators`, `analytics_session`, `analytics_hit`; the layout is described in
//! `docs/IMPORT.md` and created by `aggregator/tests/fixtures/shynet_source.sql`). Accounts and
//! services are read whole (they are few); sessions and hits are read in keyset-ordered chunks of
//! bounded size, so memory stays flat however large the source is.

use chrono::{DateTime, Utc};
use std::net::IpAddr;
use tokio_postgres::Client;
use uuid::Uuid;

/// The tables an import reads; a database without them is not a Shynet database.
const REQUIRED_TABLES: &[&str] = &[
    "core_user",
    "core_service",
    "core_service_collaborators",
    "analytics_session",
    "analytics_hit",
];

/// Why a source database cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// A table Shynet always has is missing.
    #[error("the source database has no table `{0}`: is it a Shynet (0.10 or later) database?")]
    MissingTable(&'static str),
    /// The database answered with an error.
    #[error("reading the source database: {0}")]
    Db(#[from] tokio_postgres::Error),
}

/// What the source database offers.
#[derive(Debug, Clone, Copy)]
pub struct Layout {
    /// Whether `core_user.api_token` exists (Shynet 0.13 and later).
    pub api_tokens: bool,
}

/// Checks that the source has Shynet's tables.
pub async fn layout(c: &Client) -> Result<Layout, SourceError> {
    for t in REQUIRED_TABLES {
        let found: bool = c
            .query_one(
                "SELECT to_regclass($1) IS NOT NULL",
                &[&format!("public.{t}")],
            )
            .await?
            .get(0);
        if !found {
            return Err(SourceError::MissingTable(t));
        }
    }
    let api_tokens: bool = c
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM information_schema.columns
                            WHERE table_schema = 'public' AND table_name = 'core_user'
                              AND column_name = 'api_token')",
            &[],
        )
        .await?
        .get(0);
    Ok(Layout { api_tokens })
}

/// One `core_user` row.
#[derive(Debug, Clone)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub password: String,
    pub is_superuser: bool,
    pub is_active: bool,
    pub date_joined: DateTime<Utc>,
    pub last_login: Option<DateTime<Utc>>,
    pub api_token: Option<String>,
}

/// The users to import: every user, or with a service filter the owners and collaborators of
/// those services.
pub async fn users(
    c: &Client,
    layout: Layout,
    only: Option<&[Uuid]>,
) -> Result<Vec<User>, SourceError> {
    let token = if layout.api_tokens {
        "api_token"
    } else {
        "NULL::text"
    };
    let sql = format!(
        "SELECT id, email, password, is_superuser, is_active, date_joined, last_login, {token}
         FROM core_user
         WHERE $1::uuid[] IS NULL
            OR id IN (SELECT owner_id FROM core_service WHERE uuid = ANY($1)
                      UNION SELECT user_id FROM core_service_collaborators
                            WHERE service_id = ANY($1))
         ORDER BY id"
    );
    let only = only.map(<[Uuid]>::to_vec);
    Ok(c.query(&sql, &[&only])
        .await?
        .iter()
        .map(|r| User {
            id: r.get(0),
            email: r.get(1),
            password: r.get(2),
            is_superuser: r.get(3),
            is_active: r.get(4),
            date_joined: r.get(5),
            last_login: r.get(6),
            api_token: r.get(7),
        })
        .collect())
}

/// One `core_service` row.
#[derive(Debug, Clone)]
pub struct Service {
    pub uuid: Uuid,
    pub name: String,
    pub created: DateTime<Utc>,
    pub link: String,
    pub origins: String,
    pub status: String,
    pub owner_id: i64,
    pub respect_dnt: bool,
    pub collect_ips: bool,
    pub ignored_ips: String,
    pub hide_referrer_regex: String,
    pub ignore_robots: bool,
    pub script_inject: String,
}

/// The services to import (all, or those listed).
pub async fn services(c: &Client, only: Option<&[Uuid]>) -> Result<Vec<Service>, SourceError> {
    let only = only.map(<[Uuid]>::to_vec);
    Ok(c.query(
        "SELECT uuid, name, created, link, origins, status, owner_id, respect_dnt, collect_ips,
                ignored_ips, hide_referrer_regex, ignore_robots, script_inject
         FROM core_service WHERE $1::uuid[] IS NULL OR uuid = ANY($1)
         ORDER BY created, uuid",
        &[&only],
    )
    .await?
    .iter()
    .map(|r| Service {
        uuid: r.get(0),
        name: r.get(1),
        created: r.get(2),
        link: r.get(3),
        origins: r.get(4),
        status: r.get(5),
        owner_id: r.get(6),
        respect_dnt: r.get(7),
        collect_ips: r.get(8),
        ignored_ips: r.get(9),
        hide_referrer_regex: r.get(10),
        ignore_robots: r.get(11),
        script_inject: r.get(12),
    })
    .collect())
}

/// The source user ids collaborating on a service.
pub async fn collaborators(c: &Client, service: Uuid) -> Result<Vec<i64>, SourceError> {
    Ok(c.query(
        "SELECT user_id FROM core_service_collaborators WHERE service_id = $1 ORDER BY user_id",
        &[&service],
    )
    .await?
    .iter()
    .map(|r| r.get(0))
    .collect())
}

/// How much is left to copy for a service past its cursor: (sessions, of which with an IP,
/// of which with a User-Agent, hits).
#[derive(Debug, Clone, Copy, Default)]
pub struct Remaining {
    pub sessions: i64,
    pub with_ip: i64,
    pub with_ua: i64,
    pub hits: i64,
}

/// Counts what lies past the cursor (for the progress bar and `--dry-run`).
pub async fn remaining(
    c: &Client,
    service: Uuid,
    after: (DateTime<Utc>, Uuid),
    after_hit: i64,
) -> Result<Remaining, SourceError> {
    let s = c
        .query_one(
            "SELECT count(*), count(ip), count(NULLIF(user_agent, '')) FROM analytics_session
             WHERE service_id = $1 AND (start_time, uuid) > ($2, $3)",
            &[&service, &after.0, &after.1],
        )
        .await?;
    let h = c
        .query_one(
            "SELECT count(*) FROM analytics_hit WHERE service_id = $1 AND id > $2",
            &[&service, &after_hit],
        )
        .await?;
    Ok(Remaining {
        sessions: s.get(0),
        with_ip: s.get(1),
        with_ua: s.get(2),
        hits: h.get(0),
    })
}

/// One `analytics_session` row with what the importer derives from its hits: the entry page
/// view's location and referrer (campaign and channel), the latest page view's location (exit
/// page) and the number of hits.
#[derive(Debug, Clone)]
pub struct Session {
    pub uuid: Uuid,
    pub identifier: String,
    pub start_time: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    pub user_agent: String,
    pub browser: String,
    pub device: String,
    pub device_type: String,
    pub os: String,
    pub ip: Option<IpAddr>,
    pub asn: String,
    pub country: String,
    pub longitude: Option<f64>,
    pub latitude: Option<f64>,
    pub time_zone: String,
    pub is_bounce: bool,
    pub entry_location: Option<String>,
    pub entry_referrer: Option<String>,
    pub exit_location: Option<String>,
    pub hits: i64,
}

/// The next chunk of a service's sessions after `after`, in (start_time, uuid) order.
pub async fn sessions(
    c: &Client,
    service: Uuid,
    after: (DateTime<Utc>, Uuid),
    limit: i64,
) -> Result<Vec<Session>, SourceError> {
    Ok(c.query(
        "SELECT s.uuid, s.identifier, s.start_time, s.last_seen, s.user_agent, s.browser, s.device,
                s.device_type, s.os, s.ip, s.asn, s.country, s.longitude, s.latitude,
                s.time_zone, s.is_bounce, e.location, e.referrer, x.location,
                (SELECT count(*) FROM analytics_hit c WHERE c.session_id = s.uuid)
         FROM analytics_session s
         LEFT JOIN LATERAL (SELECT h.location, h.referrer FROM analytics_hit h
                            WHERE h.session_id = s.uuid
                            ORDER BY h.initial DESC, h.start_time, h.id LIMIT 1) e ON true
         LEFT JOIN LATERAL (SELECT h.location FROM analytics_hit h
                            WHERE h.session_id = s.uuid
                            ORDER BY h.start_time DESC, h.id DESC LIMIT 1) x ON true
         WHERE s.service_id = $1 AND (s.start_time, s.uuid) > ($2, $3)
         ORDER BY s.start_time, s.uuid LIMIT $4",
        &[&service, &after.0, &after.1, &limit],
    )
    .await?
    .iter()
    .map(|r| Session {
        uuid: r.get(0),
        identifier: r.get(1),
        start_time: r.get(2),
        last_seen: r.get(3),
        user_agent: r.get(4),
        browser: r.get(5),
        device: r.get(6),
        device_type: r.get(7),
        os: r.get(8),
        ip: r.get(9),
        asn: r.get(10),
        country: r.get(11),
        longitude: r.get(12),
        latitude: r.get(13),
        time_zone: r.get(14),
        is_bounce: r.get(15),
        entry_location: r.get(16),
        entry_referrer: r.get(17),
        exit_location: r.get(18),
        hits: r.get(19),
    })
    .collect())
}

/// One `analytics_hit` row.
#[derive(Debug, Clone)]
pub struct Hit {
    pub id: i64,
    pub session_id: Uuid,
    pub initial: bool,
    pub start_time: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    pub heartbeats: i32,
    pub tracker: String,
    pub location: String,
    pub referrer: String,
    pub load_time: Option<f64>,
}

/// The next chunk of a service's hits after source id `after`, in id order.
pub async fn hits(
    c: &Client,
    service: Uuid,
    after: i64,
    limit: i64,
) -> Result<Vec<Hit>, SourceError> {
    Ok(c.query(
        "SELECT id, session_id, initial, start_time, last_seen, heartbeats, tracker, location,
                referrer, load_time
         FROM analytics_hit WHERE service_id = $1 AND id > $2 ORDER BY id LIMIT $3",
        &[&service, &after, &limit],
    )
    .await?
    .iter()
    .map(|r| Hit {
        id: r.get(0),
        session_id: r.get(1),
        initial: r.get(2),
        start_time: r.get(3),
        last_seen: r.get(4),
        heartbeats: r.get(5),
        tracker: r.get(6),
        location: r.get(7),
        referrer: r.get(8),
        load_time: r.get(9),
    })
    .collect())
}
