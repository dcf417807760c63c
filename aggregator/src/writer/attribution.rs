//! What the writer derives from URLs, once per row: the clean page URL of every new hit (the
//! service's tracking parameters removed) and, for every new session, its campaign tags and
//! channel. Everything here is pure except [`tracking_params`], one statement per batch that
//! reads the services' lists, so a list edited on the manage page applies to the next batch.

use super::beacons::Enriched;
use super::sessionize::NewHit;
use beacon::campaign::{self, Campaign};
use beacon::channels::{self, Channel};
use beacon::tracking_params::TrackingParams;
use beacon::wire::Beacon;
use deadpool_postgres::Transaction;
use std::collections::HashMap;
use uuid::Uuid;

const TRACKING_PARAMS: &str = "SELECT id, tracking_params FROM services WHERE id = ANY($1)";

/// The tracking-parameter lists of the batch's services. A list that does not parse (edited by
/// hand in SQL; the form validates it) removes nothing rather than failing the batch.
pub async fn tracking_params(
    tx: &Transaction<'_>,
    batch: &[Enriched],
) -> Result<HashMap<Uuid, TrackingParams>, tokio_postgres::Error> {
    let mut ids: Vec<Uuid> = batch.iter().map(|e| e.beacon.service).collect();
    ids.sort_unstable();
    ids.dedup();
    let stmt = tx.prepare_cached(TRACKING_PARAMS).await?;
    let mut out = HashMap::with_capacity(ids.len());
    for r in tx.query(&stmt, &[&ids]).await? {
        let id: Uuid = r.get(0);
        let list: &str = r.get(1);
        let params = list.parse().unwrap_or_else(|e| {
            tracing::warn!(service = %id, error = %e, "invalid tracking parameters; removing none");
            TrackingParams::default()
        });
        out.insert(id, params);
    }
    Ok(out)
}

/// The clean URL of each beacon that starts a new hit, by beacon index; `None` where cleaning
/// changes nothing (the stored `location_clean` is then NULL and readers use `location`).
pub fn clean_pages(
    batch: &[Enriched],
    new_hits: &[NewHit],
    params: &HashMap<Uuid, TrackingParams>,
) -> Vec<Option<String>> {
    let mut out = vec![None; batch.len()];
    for h in new_hits {
        let b = &batch[h.first].beacon;
        if let (Some(p), Some(slot)) = (params.get(&b.service), out.get_mut(h.first)) {
            *slot = p.clean(&b.location);
        }
    }
    out
}

/// The page a beacon counts under: its clean URL, else its location.
pub fn page<'b>(batch: &'b [Enriched], clean: &'b [Option<String>], i: usize) -> &'b str {
    clean
        .get(i)
        .and_then(Option::as_deref)
        .unwrap_or(&batch[i].beacon.location)
}

/// A new session's campaign tags and channel, from its entry page view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionTags {
    /// The entry URL's campaign tags.
    pub campaign: Campaign,
    /// The channel they and the entry referrer give.
    pub channel: Channel,
}

/// Tags a session by the beacon that started it.
pub fn session_tags(entry: &Beacon) -> SessionTags {
    let campaign = campaign::parse(&entry.location);
    let channel = channels::classify(&campaign, &entry.referrer, &entry.location);
    SessionTags { campaign, channel }
}

#[cfg(test)]
mod tests {
    use super::*;
    use beacon::ua::{DeviceType, UaInfo};
    use beacon::wire::{Tracker, VisitorKey};
    use std::sync::Arc;

    fn enriched(service: Uuid, location: &str, referrer: &str) -> Enriched {
        Enriched {
            beacon: Beacon {
                service,
                time_ms: 0,
                tracker: Tracker::Js,
                identifier: String::new(),
                idempotency: None,
                location: location.into(),
                referrer: referrer.into(),
                load_time: None,
                user_agent: String::new(),
                visitor: VisitorKey([0; 16]),
                previous_visitor: None,
                ip: None,
                geo: Default::default(),
                event: None,
            },
            ua: Arc::new(UaInfo {
                browser: String::new(),
                browser_version: String::new(),
                os: String::new(),
                os_version: String::new(),
                device: String::new(),
                device_type: DeviceType::Other,
                is_robot: false,
            }),
        }
    }

    #[test]
    fn each_service_cleans_with_its_own_list() {
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let batch = [
            enriched(a, "https://a.example/p?utm_source=x&ref=y", ""),
            enriched(b, "https://b.example/p?utm_source=x&ref=y", ""),
            enriched(a, "https://a.example/q", ""),
        ];
        let params = HashMap::from([
            (a, "utm_*".parse().unwrap()),
            (b, "utm_*, ref".parse().unwrap()),
        ]);
        let hit = |first| NewHit {
            id: first as i64,
            first,
            last_ms: 0,
            heartbeats: 0,
        };
        let clean = clean_pages(&batch, &[hit(0), hit(1), hit(2)], &params);
        assert_eq!(page(&batch, &clean, 0), "https://a.example/p?ref=y");
        assert_eq!(page(&batch, &clean, 1), "https://b.example/p");
        assert_eq!(clean[2], None);
        assert_eq!(page(&batch, &clean, 2), "https://a.example/q");
    }

    /// Services created by SQL (the CLI, upgrades) get the column's default: the same list.
    #[test]
    fn the_migration_default_is_the_code_default() {
        let sql = include_str!("../../../migrations/V12__campaigns_channels_clean_pages.sql");
        let default = format!(
            "DEFAULT '{}'",
            beacon::tracking_params::DEFAULT_TRACKING_PARAMS
        );
        assert!(sql.contains(&default), "{default}");
    }

    #[test]
    fn sessions_are_tagged_from_their_entry() {
        let e = enriched(
            Uuid::nil(),
            "https://a.example/?utm_source=Facebook&utm_medium=CPC&utm_campaign=Spring",
            "https://l.facebook.com/",
        );
        let t = session_tags(&e.beacon);
        assert_eq!(t.channel, Channel::PaidSocial);
        assert_eq!(
            (t.campaign.source.as_str(), t.campaign.campaign.as_str()),
            ("facebook", "Spring")
        );
        let direct = session_tags(&enriched(Uuid::nil(), "https://a.example/", "").beacon);
        assert_eq!(direct.channel, Channel::Direct);
    }
}
