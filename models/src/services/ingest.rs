//! The per-service settings ingest needs on every beacon, as stored; the aggregator parses and
//! caches them so a beacon costs no query.

use tokio_postgres::GenericClient;
use uuid::Uuid;

/// What ingest needs of a service, as stored (the aggregator parses and caches it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IngestRow {
    /// Id.
    pub id: Uuid,
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
    /// Extra tracker JavaScript.
    pub script_inject: String,
    /// Query parameters removed from stored page URLs.
    pub tracking_params: String,
}

const INGEST_SELECT: &str = "SELECT id, status, origins, respect_dnt, ignore_robots, \
                             collect_ips, ignored_ips, script_inject, tracking_params FROM services";

fn ingest_row(r: &tokio_postgres::Row) -> IngestRow {
    IngestRow {
        id: r.get(0),
        status: r.get(1),
        origins: r.get(2),
        respect_dnt: r.get(3),
        ignore_robots: r.get(4),
        collect_ips: r.get(5),
        ignored_ips: r.get(6),
        script_inject: r.get(7),
        tracking_params: r.get(8),
    }
}

/// Every service's ingest settings.
pub async fn all_for_ingest<C: GenericClient>(
    c: &C,
) -> Result<Vec<IngestRow>, tokio_postgres::Error> {
    Ok(c.query(INGEST_SELECT, &[])
        .await?
        .iter()
        .map(ingest_row)
        .collect())
}

/// One service's ingest settings.
pub async fn for_ingest<C: GenericClient>(
    c: &C,
    id: Uuid,
) -> Result<Option<IngestRow>, tokio_postgres::Error> {
    Ok(
        c.query_opt(&format!("{INGEST_SELECT} WHERE id = $1"), &[&id])
            .await?
            .as_ref()
            .map(ingest_row),
    )
}

/// The services whose link's host is `domain` (a leading `www.` ignored on both sides), at most
/// two: the Plausible-compatible routes address a site by its domain, and two answers mean the
/// domain is ambiguous.
pub async fn ids_by_link_domain<C: GenericClient>(
    c: &C,
    domain: &str,
) -> Result<Vec<Uuid>, tokio_postgres::Error> {
    Ok(c
        .query(
            "SELECT id FROM services
             WHERE regexp_replace(lower(substring(link from '^[A-Za-z][A-Za-z0-9+.-]*://([^/:?#@]+)')),
                                  '^www[.]', '') = regexp_replace(lower($1), '^www[.]', '')
             ORDER BY created_at, id LIMIT 2",
            &[&domain],
        )
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect())
}
