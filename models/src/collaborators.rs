//! Who may view a service besides its owner (`collaborators`).

use tokio_postgres::GenericClient;
use uuid::Uuid;

/// Collaborators' login addresses, by address.
pub async fn emails<C: GenericClient>(
    c: &C,
    service: Uuid,
) -> Result<Vec<String>, tokio_postgres::Error> {
    Ok(c.query(
        "SELECT u.email FROM collaborators k JOIN users u ON u.id = k.user_id
             WHERE k.service_id = $1 ORDER BY u.email",
        &[&service],
    )
    .await?
    .into_iter()
    .map(|r| r.get(0))
    .collect())
}

/// Makes `users` exactly the collaborators of a service. Run it in a transaction.
pub async fn replace<C: GenericClient>(
    c: &C,
    service: Uuid,
    users: &[i64],
) -> Result<(), tokio_postgres::Error> {
    c.execute(
        "DELETE FROM collaborators WHERE service_id = $1 AND NOT (user_id = ANY($2))",
        &[&service, &users],
    )
    .await?;
    c.execute(
        "INSERT INTO collaborators (service_id, user_id) SELECT $1, unnest($2::int8[])
         ON CONFLICT DO NOTHING",
        &[&service, &users],
    )
    .await?;
    Ok(())
}
