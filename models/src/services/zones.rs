//! A service's own time zone (`services.time_zone`, NULL = the instance's `TIME_ZONE`), read by
//! the command line, digests and share pages that have only the service's id. The name is
//! validated by the callers that write it (`stats::window::parse_zone`).

use tokio_postgres::GenericClient;
use uuid::Uuid;

/// A service's name, hide-referrer pattern and time zone (`None` inside: the instance's).
pub async fn name_pattern_zone<C: GenericClient>(
    c: &C,
    id: Uuid,
) -> Result<Option<(String, String, Option<String>)>, tokio_postgres::Error> {
    Ok(c.query_opt(
        "SELECT name, hide_referrer_regex, time_zone FROM services WHERE id = $1",
        &[&id],
    )
    .await?
    .map(|r| (r.get(0), r.get(1), r.get(2))))
}

/// A service's time zone: `None` for no such service, `Some(None)` for the instance's.
pub async fn time_zone<C: GenericClient>(
    c: &C,
    id: Uuid,
) -> Result<Option<Option<String>>, tokio_postgres::Error> {
    Ok(
        c.query_opt("SELECT time_zone FROM services WHERE id = $1", &[&id])
            .await?
            .map(|r| r.get(0)),
    )
}
