//! Why a beacon was not stored: the reasons of the dropped-traffic report, named once for the
//! aggregator (which counts and stores them), the edge worker (which reports its own with its
//! batches) and the dashboard (which shows them).

use serde::{Deserialize, Serialize};

/// One reason a beacon was not stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DropKind {
    /// `DNT: 1` on a service that honours it.
    Dnt,
    /// `Sec-GPC: 1` (without DNT) on a service that honours it.
    Gpc,
    /// A robot on a service that ignores robots.
    Bot,
    /// The client IP is in the service's ignored networks.
    IgnoredIp,
    /// The request's origin is not in the service's allowed origins.
    Origin,
    /// The service is archived.
    Archived,
    /// The beacon was malformed (bad JSON, fields out of range, wrong method).
    Invalid,
    /// The server was overloaded (503: queue full, salt or settings unavailable).
    Overload,
}

impl DropKind {
    /// Every reason, in report order.
    pub const ALL: [DropKind; 8] = [
        DropKind::Dnt,
        DropKind::Gpc,
        DropKind::Bot,
        DropKind::IgnoredIp,
        DropKind::Origin,
        DropKind::Archived,
        DropKind::Invalid,
        DropKind::Overload,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            DropKind::Dnt => "dnt",
            DropKind::Gpc => "gpc",
            DropKind::Bot => "bot",
            DropKind::IgnoredIp => "ignored_ip",
            DropKind::Origin => "origin",
            DropKind::Archived => "archived",
            DropKind::Invalid => "invalid",
            DropKind::Overload => "overload",
        }
    }

    /// The reason of a stored name.
    pub fn parse(s: &str) -> Option<DropKind> {
        DropKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// What an owner reads.
    pub fn label(self) -> &'static str {
        match self {
            DropKind::Dnt => "Do Not Track",
            DropKind::Gpc => "Global Privacy Control",
            DropKind::Bot => "Robots",
            DropKind::IgnoredIp => "Ignored IP networks",
            DropKind::Origin => "Origin not allowed",
            DropKind::Archived => "Service archived",
            DropKind::Invalid => "Invalid beacons",
            DropKind::Overload => "Overload (503)",
        }
    }

    /// DNT when the browser sent `DNT: 1`, else GPC: how a privacy drop is reported.
    pub fn of_privacy_signal(dnt: Option<&str>) -> DropKind {
        if dnt.is_some_and(|v| v.trim() == "1") {
            DropKind::Dnt
        } else {
            DropKind::Gpc
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for k in DropKind::ALL {
            assert_eq!(DropKind::parse(k.as_str()), Some(k));
            assert_eq!(
                serde_json::to_string(&k).unwrap(),
                format!("\"{}\"", k.as_str())
            );
        }
        assert_eq!(DropKind::parse("nope"), None);
        assert_eq!(DropKind::of_privacy_signal(Some("1")), DropKind::Dnt);
        assert_eq!(DropKind::of_privacy_signal(None), DropKind::Gpc);
    }
}
