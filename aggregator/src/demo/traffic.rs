//! The weighted lists `shynet demo` draws its visitors from: User-Agents, places (country,
//! region, city, network), entry referrers across every channel, and the campaigns a share of
//! entry URLs carry (utm tags, ad click ids, `ref=`), each with the referrer it arrives from.

use rand::rngs::StdRng;
use rand::Rng;

/// User-Agents with rough shares of real traffic (desktop Chrome leads, then mobile Safari …);
/// several versions of the big browsers, so the version tables have something to show.
pub static UAS: &[(&str, u32)] = &[
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36", 22),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.0.0 Safari/537.36", 8),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.51", 6),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15", 6),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Safari/605.1.15", 2),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:125.0) Gecko/20100101 Firefox/125.0", 3),
    ("Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0", 2),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:124.0) Gecko/20100101 Firefox/124.0", 4),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1", 15),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 16_7_8 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1", 5),
    ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36", 6),
    ("Mozilla/5.0 (Linux; Android 13; SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.6312.99 Mobile Safari/537.36", 10),
    ("Mozilla/5.0 (iPad; CPU OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1", 3),
    ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", 1),
];

/// A visitor's place: country, region, city, network (AS organisation, ASN) and a rough share.
pub struct Place {
    /// ISO country code ("" = unknown).
    pub country: &'static str,
    /// First-level subdivision.
    pub region: &'static str,
    /// City.
    pub city: &'static str,
    /// AS organisation.
    pub as_org: &'static str,
    /// AS number (0 = unknown).
    pub asn: i32,
    /// Weight.
    pub weight: u32,
}

const fn place(
    country: &'static str,
    region: &'static str,
    city: &'static str,
    as_org: &'static str,
    asn: i32,
    weight: u32,
) -> Place {
    Place {
        country,
        region,
        city,
        as_org,
        asn,
        weight,
    }
}

/// Places with rough shares.
pub static PLACES: &[Place] = &[
    place(
        "US",
        "California",
        "San Francisco",
        "Comcast Cable Communications",
        7922,
        10,
    ),
    place(
        "US",
        "California",
        "Los Angeles",
        "Comcast Cable Communications",
        7922,
        7,
    ),
    place("US", "New York", "New York", "Verizon Business", 701, 8),
    place("US", "Texas", "Austin", "AT&T Services, Inc.", 7018, 6),
    place(
        "US",
        "Washington",
        "Seattle",
        "Comcast Cable Communications",
        7922,
        5,
    ),
    place("DE", "Bavaria", "Munich", "Deutsche Telekom AG", 3320, 4),
    place("DE", "Berlin", "Berlin", "Deutsche Telekom AG", 3320, 4),
    place("DE", "Hamburg", "Hamburg", "Vodafone GmbH", 3209, 2),
    place(
        "GB",
        "England",
        "London",
        "British Telecommunications PLC",
        2856,
        5,
    ),
    place(
        "GB",
        "Scotland",
        "Edinburgh",
        "British Telecommunications PLC",
        2856,
        2,
    ),
    place("FR", "Île-de-France", "Paris", "Orange", 3215, 4),
    place("FR", "Auvergne-Rhône-Alpes", "Lyon", "Orange", 3215, 2),
    place(
        "IN",
        "Karnataka",
        "Bengaluru",
        "Reliance Jio Infocomm Limited",
        55836,
        5,
    ),
    place(
        "IN",
        "Maharashtra",
        "Mumbai",
        "Reliance Jio Infocomm Limited",
        55836,
        3,
    ),
    place(
        "BR",
        "São Paulo",
        "São Paulo",
        "Claro NXT Telecomunicacoes Ltda",
        28573,
        4,
    ),
    place(
        "CA",
        "Ontario",
        "Toronto",
        "Rogers Communications Canada Inc.",
        812,
        4,
    ),
    place(
        "JP",
        "Tokyo",
        "Tokyo",
        "NTT Communications Corporation",
        4713,
        4,
    ),
    place("NL", "North Holland", "Amsterdam", "KPN B.V.", 1136, 3),
    place(
        "AU",
        "New South Wales",
        "Sydney",
        "Telstra Limited",
        1221,
        3,
    ),
    place("ES", "Madrid", "Madrid", "Telefonica de Espana", 3352, 3),
    place(
        "PL",
        "Mazovia",
        "Warsaw",
        "Orange Polska Spolka Akcyjna",
        5617,
        2,
    ),
    place(
        "SE",
        "Stockholm County",
        "Stockholm",
        "Telia Company AB",
        3301,
        2,
    ),
    place("", "", "", "", 0, 2),
];

/// Entry referrers of untagged visits ("" = direct), across search, social, mail and plain
/// referrals.
pub static REFERRERS: &[(&str, u32)] = &[
    ("", 40),
    ("https://www.google.com/", 28),
    ("https://www.google.de/", 3),
    ("https://duckduckgo.com/", 5),
    ("https://www.bing.com/", 4),
    ("https://www.ecosia.org/", 1),
    ("https://news.ycombinator.com/", 5),
    ("https://www.reddit.com/", 4),
    ("https://t.co/", 3),
    ("https://l.facebook.com/", 2),
    ("https://www.linkedin.com/", 2),
    ("https://mail.google.com/", 1),
    ("https://github.com/", 4),
    ("https://lobste.rs/", 2),
    ("https://en.wikipedia.org/", 1),
    ("android-app://com.slack/", 1),
];

/// Percent of sessions whose entry URL carries a campaign.
pub const CAMPAIGN_PERCENT: u32 = 25;

/// Campaigns: the query an entry URL carries, the referrer it arrives with, and a weight.
pub static CAMPAIGNS: &[(&str, &str, u32)] = &[
    (
        "utm_source=newsletter&utm_medium=email&utm_campaign=spring-launch&utm_content=header",
        "",
        6,
    ),
    (
        "utm_source=newsletter&utm_medium=email&utm_campaign=spring-launch&utm_content=footer",
        "https://mail.google.com/",
        2,
    ),
    (
        "utm_source=newsletter&utm_medium=email&utm_campaign=weekly-digest",
        "",
        4,
    ),
    (
        "utm_source=google&utm_medium=cpc&utm_campaign=brand&utm_term=privacy+analytics&gclid=Cj0KCQjw",
        "https://www.google.com/",
        6,
    ),
    (
        "utm_source=google&utm_medium=cpc&utm_campaign=competitors&utm_term=cookieless+analytics&gclid=EAIaIQ",
        "https://www.google.com/",
        3,
    ),
    ("gclid=CjwKCAjw", "https://www.googleadservices.com/", 2),
    (
        "utm_source=bing&utm_medium=cpc&utm_campaign=brand&msclkid=5f2ab91c",
        "https://www.bing.com/",
        1,
    ),
    (
        "utm_source=facebook&utm_medium=paid_social&utm_campaign=spring-launch&fbclid=IwAR0x",
        "https://l.facebook.com/",
        3,
    ),
    (
        "utm_source=twitter&utm_medium=social&utm_campaign=launch-thread",
        "https://t.co/",
        2,
    ),
    (
        "utm_source=partner-blog&utm_medium=affiliate&utm_campaign=summer-deal",
        "https://partner.example/",
        1,
    ),
    ("ref=producthunt", "https://www.producthunt.com/", 2),
    (
        "utm_source=youtube&utm_medium=video&utm_campaign=tutorial",
        "https://www.youtube.com/",
        1,
    ),
];

/// Hour-of-day weights (UTC), a workday curve.
pub const DIURNAL: [u32; 24] = [
    3, 2, 2, 2, 3, 4, 6, 8, 10, 11, 12, 12, 12, 12, 12, 12, 11, 10, 9, 8, 7, 6, 5, 4,
];

/// Draws one item by weight.
pub fn weighted<'a, T>(rng: &mut StdRng, items: &'a [T], w: impl Fn(&T) -> u32) -> &'a T {
    let total: u32 = items.iter().map(&w).sum();
    let mut x = rng.random_range(0..total.max(1));
    for it in items {
        let wi = w(it);
        if x < wi {
            return it;
        }
        x -= wi;
    }
    &items[items.len() - 1]
}
