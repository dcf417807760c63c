//! Services (`services`) as the dashboard and the command line see them: one with the
//! caller's access level, lists, saving, archiving and deleting, and the settings ingest caches.
//! Permissions live here, in one place: owners (and admins) manage, collaborators view,
//! everyone else does not learn the service exists.

use crate::users::User;
use serde::Serialize;
use tokio_postgres::GenericClient;
use uuid::Uuid;

mod deletion;
pub mod ingest;
pub mod retention;
pub mod zones;

pub use deletion::{delete, delete_in, SERVICE_DATA_TABLES};

/// What the caller may do with a service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Access {
    /// Nothing (the service is reported as not found).
    None,
    /// Read its stats (collaborators).
    View,
    /// Change, archive and delete it (owner, admins).
    Manage,
}

/// A service's settings.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServiceRow {
    /// Id.
    pub id: Uuid,
    /// Display name.
    pub name: String,
    /// Primary URL.
    pub link: String,
    /// Owning user.
    pub owner_id: i64,
    /// `AC` or `AR`.
    pub status: String,
    /// Allowed origins.
    pub origins: String,
    /// Honour DNT/GPC.
    pub respect_dnt: bool,
    /// Drop robots.
    pub ignore_robots: bool,
    /// Store IPs.
    pub collect_ips: bool,
    /// Ignored networks.
    pub ignored_ips: String,
    /// Referrers hidden from the referrer table.
    pub hide_referrer_regex: String,
    /// Extra tracker JavaScript.
    pub script_inject: String,
    /// Days raw hits and sessions are kept (`None` = for ever).
    pub raw_retention_days: Option<i32>,
    /// Days hourly rollups are kept (`None` = for ever).
    pub rollup_retention_days: Option<i32>,
    /// Query parameters removed from page URLs before grouping (canonical list).
    pub tracking_params: String,
    /// The service's IANA time zone (`None` = the instance's `TIME_ZONE`).
    pub time_zone: Option<String>,
}

impl ServiceRow {
    /// Whether it is archived.
    pub fn archived(&self) -> bool {
        self.status == "AR"
    }
}

const COLS: &str = "s.id, s.name, s.link, s.owner_id, s.status, s.origins, s.respect_dnt, \
                    s.ignore_robots, s.collect_ips, s.ignored_ips, s.hide_referrer_regex, s.script_inject, \
                    s.raw_retention_days, s.rollup_retention_days, s.tracking_params, s.time_zone";

fn row(r: &tokio_postgres::Row) -> ServiceRow {
    ServiceRow {
        id: r.get(0),
        name: r.get(1),
        link: r.get(2),
        owner_id: r.get(3),
        status: r.get(4),
        origins: r.get(5),
        respect_dnt: r.get(6),
        ignore_robots: r.get(7),
        collect_ips: r.get(8),
        ignored_ips: r.get(9),
        hide_referrer_regex: r.get(10),
        script_inject: r.get(11),
        raw_retention_days: r.get(12),
        rollup_retention_days: r.get(13),
        tracking_params: r.get(14),
        time_zone: r.get(15),
    }
}

/// Loads a service with the caller's access (`None` access → treat as not found).
pub async fn find_for_user<C: GenericClient>(
    c: &C,
    id: Uuid,
    user: &User,
) -> Result<Option<(ServiceRow, Access)>, tokio_postgres::Error> {
    let r = c
        .query_opt(
            &format!(
                "SELECT {COLS}, EXISTS (SELECT 1 FROM collaborators k
                                        WHERE k.service_id = s.id AND k.user_id = $2)
                 FROM services s WHERE s.id = $1"
            ),
            &[&id, &user.id],
        )
        .await?;
    Ok(r.and_then(|r| {
        let s = row(&r);
        let collab: bool = r.get(16);
        let access = if user.is_admin || s.owner_id == user.id {
            Access::Manage
        } else if collab {
            Access::View
        } else {
            Access::None
        };
        (access != Access::None).then_some((s, access))
    }))
}

/// A service in a list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Listed {
    /// Id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Link.
    pub link: String,
    /// Whether the user owns it (else collaborates).
    pub owned: bool,
    /// Archived.
    pub archived: bool,
    /// Its own time zone (`None` = the instance's).
    pub time_zone: Option<String>,
}

/// Services user `$1` owns or collaborates on.
const VISIBLE_TO: &str = "FROM services s
     WHERE (s.owner_id = $1
        OR EXISTS (SELECT 1 FROM collaborators k WHERE k.service_id = s.id AND k.user_id = $1))";

fn listed(r: tokio_postgres::Row) -> Listed {
    Listed {
        id: r.get(0),
        name: r.get(1),
        link: r.get(2),
        owned: r.get(3),
        archived: r.get(4),
        time_zone: r.get(5),
    }
}

/// The services a user owns or collaborates on, by name.
pub async fn list_for_user<C: GenericClient>(
    c: &C,
    user_id: i64,
) -> Result<Vec<Listed>, tokio_postgres::Error> {
    Ok(c.query(
        &format!(
            "SELECT s.id, s.name, s.link, s.owner_id = $1, s.status = 'AR', s.time_zone {VISIBLE_TO}
                 ORDER BY s.name, s.id"
        ),
        &[&user_id],
    )
    .await?
    .into_iter()
    .map(listed)
    .collect())
}

/// One page of [`list_for_user`] (`limit` from `offset`, only service `only` if given) and how many
/// there are in all: the overview and the API read only the services they show.
pub async fn page_for<C: GenericClient>(
    c: &C,
    user_id: i64,
    only: Option<Uuid>,
    offset: i64,
    limit: i64,
) -> Result<(Vec<Listed>, i64), tokio_postgres::Error> {
    let rows = c
        .query(
            &format!(
                "SELECT s.id, s.name, s.link, s.owner_id = $1, s.status = 'AR', s.time_zone {VISIBLE_TO}
                   AND ($4::uuid IS NULL OR s.id = $4)
                 ORDER BY s.name, s.id LIMIT $2 OFFSET $3"
            ),
            &[&user_id, &limit.max(0), &offset.max(0), &only],
        )
        .await?;
    let total: i64 = c
        .query_one(
            &format!("SELECT count(*) {VISIBLE_TO} AND ($2::uuid IS NULL OR s.id = $2)"),
            &[&user_id, &only],
        )
        .await?
        .get(0);
    Ok((rows.into_iter().map(listed).collect(), total))
}

/// One page (`limit` from `offset`) of every service with its owner's address (admin page),
/// and how many services there are.
pub async fn page_all<C: GenericClient>(
    c: &C,
    offset: i64,
    limit: i64,
) -> Result<(Vec<(Listed, String)>, i64), tokio_postgres::Error> {
    let total: i64 = c
        .query_one("SELECT count(*) FROM services", &[])
        .await?
        .get(0);
    let rows = c
        .query(
            "SELECT s.id, s.name, s.link, s.status = 'AR', u.email, s.time_zone FROM services s
             JOIN users u ON u.id = s.owner_id ORDER BY s.name, s.id LIMIT $1 OFFSET $2",
            &[&limit.max(0), &offset.max(0)],
        )
        .await?;
    let page = rows
        .into_iter()
        .map(|r| {
            (
                Listed {
                    id: r.get(0),
                    name: r.get(1),
                    link: r.get(2),
                    owned: false,
                    archived: r.get(3),
                    time_zone: r.get(5),
                },
                r.get(4),
            )
        })
        .collect();
    Ok((page, total))
}

/// Sets archived or active.
pub async fn set_archived<C: GenericClient>(
    c: &C,
    service: Uuid,
    archived: bool,
) -> Result<(), tokio_postgres::Error> {
    c.execute(
        "UPDATE services SET status = $2, updated_at = now() WHERE id = $1",
        &[&service, &if archived { "AR" } else { "AC" }],
    )
    .await?;
    Ok(())
}

/// The settings an owner edits, as validated by the form.
#[derive(Debug, Clone, Copy)]
pub struct Settings<'a> {
    /// Display name.
    pub name: &'a str,
    /// Primary URL.
    pub link: &'a str,
    /// Allowed origins.
    pub origins: &'a str,
    /// Honour DNT/GPC.
    pub respect_dnt: bool,
    /// Drop robots.
    pub ignore_robots: bool,
    /// Store IPs.
    pub collect_ips: bool,
    /// Ignored networks.
    pub ignored_ips: &'a str,
    /// Referrers hidden from the referrer table.
    pub hide_referrer_regex: &'a str,
    /// Extra tracker JavaScript.
    pub script_inject: &'a str,
    /// Days raw hits and sessions are kept (`None` = for ever).
    pub raw_retention_days: Option<i32>,
    /// Days hourly rollups are kept (`None` = for ever).
    pub rollup_retention_days: Option<i32>,
    /// Query parameters removed from page URLs before grouping (validated by the caller).
    pub tracking_params: &'a str,
    /// IANA time zone, validated by the caller (`None` = the instance's `TIME_ZONE`).
    pub time_zone: Option<&'a str>,
}

/// Creates service `id` owned by `owner_id`.
pub async fn insert<C: GenericClient>(
    c: &C,
    id: Uuid,
    owner_id: i64,
    s: &Settings<'_>,
) -> Result<(), tokio_postgres::Error> {
    c.execute(
        "INSERT INTO services (id, name, owner_id, link, origins, respect_dnt, ignore_robots,
             collect_ips, ignored_ips, hide_referrer_regex, script_inject,
             raw_retention_days, rollup_retention_days, tracking_params, time_zone)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
        &[
            &id,
            &s.name,
            &owner_id,
            &s.link,
            &s.origins,
            &s.respect_dnt,
            &s.ignore_robots,
            &s.collect_ips,
            &s.ignored_ips,
            &s.hide_referrer_regex,
            &s.script_inject,
            &s.raw_retention_days,
            &s.rollup_retention_days,
            &s.tracking_params,
            &s.time_zone,
        ],
    )
    .await?;
    Ok(())
}

/// Saves an owner's edit of service `id`.
pub async fn update<C: GenericClient>(
    c: &C,
    id: Uuid,
    s: &Settings<'_>,
) -> Result<(), tokio_postgres::Error> {
    c.execute(
        "UPDATE services SET name = $2, link = $3, origins = $4, respect_dnt = $5,
             ignore_robots = $6, collect_ips = $7, ignored_ips = $8, hide_referrer_regex = $9,
             script_inject = $10, raw_retention_days = $11, rollup_retention_days = $12,
             tracking_params = $13, time_zone = $14, updated_at = now()
         WHERE id = $1",
        &[
            &id,
            &s.name,
            &s.link,
            &s.origins,
            &s.respect_dnt,
            &s.ignore_robots,
            &s.collect_ips,
            &s.ignored_ips,
            &s.hide_referrer_regex,
            &s.script_inject,
            &s.raw_retention_days,
            &s.rollup_retention_days,
            &s.tracking_params,
            &s.time_zone,
        ],
    )
    .await?;
    Ok(())
}

/// Creates a service with the defaults for everything but its name, origins, link and time zone
/// (the command line's `service create`).
pub async fn insert_minimal<C: GenericClient>(
    c: &C,
    id: Uuid,
    name: &str,
    owner_id: i64,
    origins: &str,
    link: &str,
    time_zone: Option<&str>,
) -> Result<(), tokio_postgres::Error> {
    c.execute(
        "INSERT INTO services (id, name, owner_id, origins, link, time_zone)
         VALUES ($1, $2, $3, $4, $5, $6)",
        &[&id, &name, &owner_id, &origins, &link, &time_zone],
    )
    .await?;
    Ok(())
}

/// A service as `shynet service list` prints it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Owner's login address.
    pub owner_email: String,
    /// Archived.
    pub archived: bool,
    /// Allowed origins.
    pub origins: String,
}

/// Every service with its owner, by name.
pub async fn list_all<C: GenericClient>(c: &C) -> Result<Vec<Summary>, tokio_postgres::Error> {
    Ok(c.query(
        "SELECT s.id, s.name, u.email, s.status, s.origins FROM services s
         JOIN users u ON u.id = s.owner_id ORDER BY s.name, s.id",
        &[],
    )
    .await?
    .into_iter()
    .map(|r| Summary {
        id: r.get(0),
        name: r.get(1),
        owner_email: r.get(2),
        archived: r.get::<_, String>(3) == "AR",
        origins: r.get(4),
    })
    .collect())
}

/// Whether a service exists.
pub async fn exists<C: GenericClient>(c: &C, id: Uuid) -> Result<bool, tokio_postgres::Error> {
    Ok(c.query_opt("SELECT 1 FROM services WHERE id = $1", &[&id])
        .await?
        .is_some())
}

/// Whether a service collects IPs (None: no such service); exports include the IP and
/// User-Agent columns only then.
pub async fn collects_ips<C: GenericClient>(
    c: &C,
    id: Uuid,
) -> Result<Option<bool>, tokio_postgres::Error> {
    Ok(
        c.query_opt("SELECT collect_ips FROM services WHERE id = $1", &[&id])
            .await?
            .map(|r| r.get(0)),
    )
}

/// Services a user owns, by name (what deleting the account would delete).
pub async fn owned_by<C: GenericClient>(
    c: &C,
    user_id: i64,
) -> Result<Vec<(Uuid, String)>, tokio_postgres::Error> {
    Ok(c.query(
        "SELECT id, name FROM services WHERE owner_id = $1 ORDER BY name",
        &[&user_id],
    )
    .await?
    .iter()
    .map(|r| (r.get(0), r.get(1)))
    .collect())
}

/// A service's name and hide-referrer pattern.
pub async fn name_and_hide_pattern<C: GenericClient>(
    c: &C,
    id: Uuid,
) -> Result<Option<(String, String)>, tokio_postgres::Error> {
    Ok(c.query_opt(
        "SELECT name, hide_referrer_regex FROM services WHERE id = $1",
        &[&id],
    )
    .await?
    .map(|r| (r.get(0), r.get(1))))
}

/// The hide-referrer pattern of each of `ids` that exists.
pub async fn hide_patterns<C: GenericClient>(
    c: &C,
    ids: &[Uuid],
) -> Result<Vec<(Uuid, String)>, tokio_postgres::Error> {
    Ok(c.query(
        "SELECT id, hide_referrer_regex FROM services WHERE id = ANY($1)",
        &[&ids],
    )
    .await?
    .iter()
    .map(|r| (r.get(0), r.get(1)))
    .collect())
}
