//! The erasure audit log (`erasures`): who deleted which kind of visitor data of a service,
//! when, and how many rows went. The deleted value itself is never stored: the caller passes a
//! salted slow hash of it (or, for a time range, the range, which is not personal data).

use chrono::{DateTime, Utc};
use tokio_postgres::GenericClient;
use uuid::Uuid;

/// Most audit rows a page or API answer lists.
pub const LIST_LIMIT: i64 = 50;

/// One audit row to write.
#[derive(Debug, Clone)]
pub struct NewErasure<'a> {
    /// The service whose data went.
    pub service: Uuid,
    /// The dashboard user who asked (None: the command line).
    pub user_id: Option<i64>,
    /// `cli`, `web` or `api`.
    pub via: &'a str,
    /// `identifier`, `ip`, `session` or `range`.
    pub kind: &'a str,
    /// PHC string of the selector's hash (None for a range).
    pub selector_hash: Option<&'a str>,
    /// The range's bounds (range only).
    pub range: Option<(DateTime<Utc>, DateTime<Utc>)>,
    /// Rows deleted: sessions, hits, events, live-state rows.
    pub rows: [i64; 4],
}

/// Writes an audit row, in the erasure's transaction.
pub async fn insert<C: GenericClient>(
    c: &C,
    e: &NewErasure<'_>,
) -> Result<i64, tokio_postgres::Error> {
    let (from, to) = e.range.unzip();
    Ok(c.query_one(
        "INSERT INTO erasures (service_id, user_id, via, selector_kind, selector_hash,
                               range_from, range_to, sessions, hits, events, live_rows)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
        &[
            &e.service,
            &e.user_id,
            &e.via,
            &e.kind,
            &e.selector_hash,
            &from,
            &to,
            &e.rows[0],
            &e.rows[1],
            &e.rows[2],
            &e.rows[3],
        ],
    )
    .await?
    .get(0))
}

/// One audit row as listed.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ErasureRow {
    /// Row id.
    pub id: i64,
    /// When.
    pub created_at: DateTime<Utc>,
    /// Who: the user's address, or None (command line, or a deleted user).
    pub user_email: Option<String>,
    /// `cli`, `web` or `api`.
    pub via: String,
    /// `identifier`, `ip`, `session` or `range`.
    pub kind: String,
    /// The range's bounds (range only).
    pub range_from: Option<DateTime<Utc>>,
    /// See `range_from`.
    pub range_to: Option<DateTime<Utc>>,
    /// Sessions deleted.
    pub sessions: i64,
    /// Page views deleted.
    pub hits: i64,
    /// Events deleted.
    pub events: i64,
    /// Live-state rows deleted.
    pub live_rows: i64,
}

/// A service's latest audit rows, newest first (at most `limit`).
pub async fn list<C: GenericClient>(
    c: &C,
    service: Uuid,
    limit: i64,
) -> Result<Vec<ErasureRow>, tokio_postgres::Error> {
    Ok(c.query(
        "SELECT e.id, e.created_at, u.email, e.via, e.selector_kind, e.range_from, e.range_to,
                e.sessions, e.hits, e.events, e.live_rows
         FROM erasures e LEFT JOIN users u ON u.id = e.user_id
         WHERE e.service_id = $1 ORDER BY e.created_at DESC, e.id DESC LIMIT $2",
        &[&service, &limit],
    )
    .await?
    .iter()
    .map(|r| ErasureRow {
        id: r.get(0),
        created_at: r.get(1),
        user_email: r.get(2),
        via: r.get(3),
        kind: r.get(4),
        range_from: r.get(5),
        range_to: r.get(6),
        sessions: r.get(7),
        hits: r.get(8),
        events: r.get(9),
        live_rows: r.get(10),
    })
    .collect())
}
