//! Saved segments (`segments`): a name and the filters of a view, per service. The filters are
//! stored as their URL spelling and validated by the callers (the stats crate parses them);
//! names are unique per service. Limits and permissions stay with the callers.

use tokio_postgres::GenericClient;
use uuid::Uuid;

/// One saved segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    /// Id (what a delete names).
    pub id: i64,
    /// The owner's name for it.
    pub name: String,
    /// The filters, in URL spelling (`country:DE`).
    pub filters: Vec<String>,
}

/// What [`insert`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Saved {
    /// Stored with this id.
    Id(i64),
    /// The service already has `limit` segments.
    LimitReached,
    /// The service already has a segment with this name.
    DuplicateName,
}

/// The segments of `service` by name, at most `limit`.
pub async fn list<C: GenericClient>(
    client: &C,
    service: Uuid,
    limit: i64,
) -> Result<Vec<Segment>, tokio_postgres::Error> {
    Ok(client
        .query(
            "SELECT id, name, filters FROM segments WHERE service_id = $1
             ORDER BY name, id LIMIT $2",
            &[&service, &limit],
        )
        .await?
        .into_iter()
        .map(|r| Segment {
            id: r.get(0),
            name: r.get(1),
            filters: r.get(2),
        })
        .collect())
}

/// Stores a segment unless the service has `limit` already or one of that name. The count and
/// the insert run under a lock on the service row, so two saves at once cannot pass the limit
/// together.
pub async fn insert(
    client: &mut tokio_postgres::Client,
    service: Uuid,
    name: &str,
    filters: &[String],
    created_by: Option<i64>,
    limit: i64,
) -> Result<Saved, tokio_postgres::Error> {
    let tx = client.transaction().await?;
    tx.execute(
        "SELECT 1 FROM services WHERE id = $1 FOR NO KEY UPDATE",
        &[&service],
    )
    .await?;
    let r = tx
        .query_one(
            "SELECT count(*), count(*) FILTER (WHERE name = $2) > 0
             FROM segments WHERE service_id = $1",
            &[&service, &name],
        )
        .await?;
    let (count, taken): (i64, bool) = (r.get(0), r.get(1));
    if taken {
        return Ok(Saved::DuplicateName);
    }
    if count >= limit {
        return Ok(Saved::LimitReached);
    }
    let id: i64 = tx
        .query_one(
            "INSERT INTO segments (service_id, name, filters, created_by)
             VALUES ($1, $2, $3, $4) RETURNING id",
            &[&service, &name, &filters, &created_by],
        )
        .await?
        .get(0);
    tx.commit().await?;
    Ok(Saved::Id(id))
}

/// Deletes segment `id` of `service`; whether it existed.
pub async fn delete<C: GenericClient>(
    client: &C,
    service: Uuid,
    id: i64,
) -> Result<bool, tokio_postgres::Error> {
    Ok(client
        .execute(
            "DELETE FROM segments WHERE service_id = $1 AND id = $2",
            &[&service, &id],
        )
        .await?
        == 1)
}
