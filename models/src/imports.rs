//! What `shynet import shynet` writes outside the raw-row tables: accounts and services carried
//! over from the original Shynet (keeping its service UUIDs), their collaborators, and the
//! per-service cursors (`import_cursors`) that make an import resumable. The raw sessions and
//! hits are written by the importer itself, with the writer's column layout.

use chrono::{DateTime, Utc};
use tokio_postgres::GenericClient;
use uuid::Uuid;

/// An account as the source has it, ready to store.
#[derive(Debug, Clone)]
pub struct NewUser<'a> {
    /// Login address.
    pub email: &'a str,
    /// The stored password hash: Django's string as it was (verified at login and re-hashed on
    /// the first success), or one that never matches.
    pub password_hash: &'a str,
    /// Admin (the source's superuser flag).
    pub is_admin: bool,
    /// May log in.
    pub is_active: bool,
    /// SHA-256 of the source's API token, if it had one.
    pub api_token_hash: Option<Vec<u8>>,
    /// When the account was made.
    pub created_at: DateTime<Utc>,
    /// Last login, if any.
    pub last_login: Option<DateTime<Utc>>,
}

/// Inserts an account unless its address is already a login here. Returns the user's id and
/// whether it was created now (an existing account is kept as it is).
pub async fn upsert_user<C: GenericClient>(
    c: &C,
    u: &NewUser<'_>,
) -> Result<(i64, bool), tokio_postgres::Error> {
    let inserted = c
        .query_opt(
            "INSERT INTO users (email, password_hash, is_admin, is_active, api_token_hash,
                                created_at, last_login)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT DO NOTHING RETURNING id",
            &[
                &u.email,
                &u.password_hash,
                &u.is_admin,
                &u.is_active,
                &u.api_token_hash,
                &u.created_at,
                &u.last_login,
            ],
        )
        .await?;
    if let Some(r) = inserted {
        return Ok((r.get(0), true));
    }
    let r = c
        .query_one(
            "SELECT id FROM users WHERE lower(email) = lower($1)",
            &[&u.email],
        )
        .await?;
    Ok((r.get(0), false))
}

/// A service's settings as the source has them (already validated by the importer).
#[derive(Debug, Clone)]
pub struct NewService<'a> {
    /// The source's UUID, kept so installed snippets keep working.
    pub id: Uuid,
    /// Display name (1–64 characters).
    pub name: &'a str,
    /// Owner, as a user id here.
    pub owner_id: i64,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// Primary URL or `''`.
    pub link: &'a str,
    /// Allowed origins (canonical form).
    pub origins: &'a str,
    /// `AC` or `AR`.
    pub status: &'a str,
    /// Honour DNT/GPC.
    pub respect_dnt: bool,
    /// Drop robots.
    pub ignore_robots: bool,
    /// Store IPs.
    pub collect_ips: bool,
    /// Ignored networks (canonical form).
    pub ignored_ips: &'a str,
    /// Hidden-referrer pattern.
    pub hide_referrer_regex: &'a str,
    /// Extra tracker JavaScript.
    pub script_inject: &'a str,
}

/// Inserts a service unless one with its id exists (a previous run, resumed); `true` if created.
pub async fn insert_service<C: GenericClient>(
    c: &C,
    s: &NewService<'_>,
) -> Result<bool, tokio_postgres::Error> {
    let n = c
        .execute(
            "INSERT INTO services (id, name, owner_id, created_at, link, origins, status,
                                   respect_dnt, ignore_robots, collect_ips, ignored_ips,
                                   hide_referrer_regex, script_inject)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
             ON CONFLICT (id) DO NOTHING",
            &[
                &s.id,
                &s.name,
                &s.owner_id,
                &s.created_at,
                &s.link,
                &s.origins,
                &s.status,
                &s.respect_dnt,
                &s.ignore_robots,
                &s.collect_ips,
                &s.ignored_ips,
                &s.hide_referrer_regex,
                &s.script_inject,
            ],
        )
        .await?;
    Ok(n > 0)
}

/// Whether a service with this id exists, and whether it collects IPs.
pub async fn service_collects_ips<C: GenericClient>(
    c: &C,
    id: Uuid,
) -> Result<Option<bool>, tokio_postgres::Error> {
    Ok(
        c.query_opt("SELECT collect_ips FROM services WHERE id = $1", &[&id])
            .await?
            .map(|r| r.get(0)),
    )
}

/// Adds collaborators (user ids) to a service; returns how many were new.
pub async fn add_collaborators<C: GenericClient>(
    c: &C,
    service: Uuid,
    users: &[i64],
) -> Result<u64, tokio_postgres::Error> {
    c.execute(
        "INSERT INTO collaborators (service_id, user_id)
         SELECT $1, u FROM unnest($2::int8[]) AS u
         WHERE u <> (SELECT owner_id FROM services WHERE id = $1)
         ON CONFLICT DO NOTHING",
        &[&service, &users],
    )
    .await
}

/// How far a service's rows were copied.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cursor {
    /// The last session copied, by (start_time, uuid); `None` before the first.
    pub session: Option<(DateTime<Utc>, Uuid)>,
    /// The last source hit id copied (0 before the first).
    pub hit: i64,
    /// Sessions copied so far.
    pub sessions: i64,
    /// Hits copied so far.
    pub hits: i64,
}

/// The cursor of a service (all zero before its first chunk).
pub async fn cursor<C: GenericClient>(
    c: &C,
    service: Uuid,
) -> Result<Cursor, tokio_postgres::Error> {
    Ok(c.query_opt(
        "SELECT sessions_after_time, sessions_after_id, hits_after_id, sessions, hits
             FROM import_cursors WHERE service_id = $1",
        &[&service],
    )
    .await?
    .map(|r| {
        let t: Option<DateTime<Utc>> = r.get(0);
        let id: Option<Uuid> = r.get(1);
        Cursor {
            session: t.zip(id),
            hit: r.get(2),
            sessions: r.get(3),
            hits: r.get(4),
        }
    })
    .unwrap_or_default())
}

/// Stores a service's cursor; run it in the transaction that wrote the rows it covers.
pub async fn save_cursor<C: GenericClient>(
    c: &C,
    service: Uuid,
    cur: &Cursor,
) -> Result<(), tokio_postgres::Error> {
    let (t, id) = (cur.session.map(|s| s.0), cur.session.map(|s| s.1));
    c.execute(
        "INSERT INTO import_cursors (service_id, sessions_after_time, sessions_after_id,
                                     hits_after_id, sessions, hits)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (service_id) DO UPDATE SET
             sessions_after_time = EXCLUDED.sessions_after_time,
             sessions_after_id = EXCLUDED.sessions_after_id,
             hits_after_id = EXCLUDED.hits_after_id,
             sessions = EXCLUDED.sessions, hits = EXCLUDED.hits, updated_at = now()",
        &[&service, &t, &id, &cur.hit, &cur.sessions, &cur.hits],
    )
    .await?;
    Ok(())
}

/// Marks the rolled-up hours of these row times dirty, so the rollup job recounts them with the
/// imported rows (hours at or past the watermark are rolled up anyway).
pub async fn mark_hours_dirty<C: GenericClient>(
    c: &C,
    service: Uuid,
    times: &[DateTime<Utc>],
) -> Result<(), tokio_postgres::Error> {
    c.execute(
        "INSERT INTO rollup_dirty (service_id, hour)
         SELECT DISTINCT $1::uuid, date_trunc('hour', t, 'UTC') FROM unnest($2::timestamptz[]) AS t
         WHERE date_trunc('hour', t, 'UTC') < (SELECT watermark FROM rollup_state WHERE id)
         ON CONFLICT DO NOTHING",
        &[&service, &times],
    )
    .await?;
    Ok(())
}
