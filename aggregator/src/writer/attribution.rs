//! What the writer stores beside a beacon's URLs: the clean page URL (the service's tracking
//! parameters removed) and the campaign tags and channel a session gets from its entry. Pure
//! functions, run at enrichment with the service's cached list, so a list edited on the manage
//! page applies to beacons received after the next settings reload.

use beacon::campaign::{self, Campaign};
use beacon::channels::{self, Channel};
use beacon::tracking_params::TrackingParams;
use beacon::wire::Beacon;

/// What is derived from one beacon's URLs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Derived {
    /// The location without tracking parameters; `None` where cleaning changes nothing (the
    /// stored `location_clean` is then NULL and readers use `location`).
    pub clean_location: Option<String>,
    /// The campaign tags and channel, used when this beacon starts a session.
    pub tags: SessionTags,
}

/// A new session's campaign tags and channel, from its entry page view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionTags {
    /// The entry URL's campaign tags.
    pub campaign: Campaign,
    /// The channel they and the entry referrer give.
    pub channel: Channel,
}

/// Derives a beacon's clean URL and session tags.
pub fn derive(b: &Beacon, params: &TrackingParams) -> Derived {
    Derived {
        clean_location: params.clean(&b.location),
        tags: session_tags(b),
    }
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
    use beacon::wire::{Tracker, VisitorKey};
    use uuid::Uuid;

    fn beacon(location: &str, referrer: &str) -> Beacon {
        Beacon {
            service: Uuid::nil(),
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
        }
    }

    #[test]
    fn each_service_cleans_with_its_own_list() {
        let utm: TrackingParams = "utm_*".parse().unwrap();
        let utm_ref: TrackingParams = "utm_*, ref".parse().unwrap();
        let b = beacon("https://a.example/p?utm_source=x&ref=y", "");
        assert_eq!(
            derive(&b, &utm).clean_location.as_deref(),
            Some("https://a.example/p?ref=y")
        );
        assert_eq!(
            derive(&b, &utm_ref).clean_location.as_deref(),
            Some("https://a.example/p")
        );
        let plain = beacon("https://a.example/q", "");
        assert_eq!(derive(&plain, &utm).clean_location, None);
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
        let e = beacon(
            "https://a.example/?utm_source=Facebook&utm_medium=CPC&utm_campaign=Spring",
            "https://l.facebook.com/",
        );
        let t = session_tags(&e);
        assert_eq!(t.channel, Channel::PaidSocial);
        assert_eq!(
            (t.campaign.source.as_str(), t.campaign.campaign.as_str()),
            ("facebook", "Spring")
        );
        let direct = session_tags(&beacon("https://a.example/", ""));
        assert_eq!(direct.channel, Channel::Direct);
    }
}
