//! The dimension registry: every table Shynet ranks (pages, referrers, countries, …) is declared
//! once here, and everything that used to list dimensions by hand is driven from it: the rollup
//! job's SQL, the raw reader's SQL, the stats results, the service page tables, the API keys
//! and its OpenAPI description. Adding a dimension is one entry below, one migration adding its
//! column to `sessions` or `hits`, and the writer filling that column; stored rollups stay valid
//! because each entry keeps the `dim` code its rows were written with.

use std::sync::LazyLock;

/// Which rows a dimension counts, and so what its shares are taken of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// One count per session (by its start), from a `sessions` column.
    Session,
    /// One count per hit, from a `hits` column.
    Hit,
    /// One count per entry (a session's initial hit), from a `hits` column.
    Entry,
}

impl Scope {
    /// The alias the rollup and raw SQL give the scope's table.
    pub fn alias(self) -> &'static str {
        match self {
            Scope::Session => "s",
            Scope::Hit | Scope::Entry => "h",
        }
    }

    /// What the counts are, as a table heading.
    pub fn unit(self) -> &'static str {
        match self {
            Scope::Session => "Sessions",
            Scope::Hit => "Hits",
            Scope::Entry => "Entries",
        }
    }
}

/// How the pages turn a stored key into text (the stats keep the stored key).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Label {
    /// The key as stored.
    Text,
    /// "MOBILE" and "mobile" both read "Mobile".
    TitleCase,
    /// An ISO 3166 code, shown as the country's name.
    Country,
}

/// Where the service page shows a dimension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// A table in the grid, in registry order.
    Table,
    /// The world map card, with its own table.
    Map,
    /// A tab of the card with this title (one card for all dimensions naming it, placed where
    /// the first of them is).
    Tab(&'static str),
    /// Nested under the rows of the dimension with this `code`: each key is its parent's key,
    /// [`KEY_SEPARATOR`] and its own part (`DE / Bavaria` under `DE`, `Chrome / 124` under
    /// `Chrome`).
    Under(i16),
    /// Not on the page (API and CLI only).
    Hidden,
}

/// Joins the parts of a nested dimension's key.
pub const KEY_SEPARATOR: &str = " / ";

/// The `dim` code under which the rollup job stores each UTC day's distinct visitors in
/// `rollup_dims_daily` (key `''`). Not a ranked table: no registry entry may use it.
pub const VISITORS_DAY_CODE: i16 = 1000;

/// One dimension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dimension {
    /// Identifier in code and logs.
    pub name: &'static str,
    /// The `dim` code of its rows in `rollup_dims_hourly`/`rollup_dims_daily`. Never reuse or
    /// renumber one: stored rollups keep it.
    pub code: i16,
    /// What is counted.
    pub scope: Scope,
    /// The column of `sessions` (session scope) or `hits` (hit and entry scope), or an SQL
    /// expression over them with `{t}` standing for the table's alias.
    pub column: &'static str,
    /// Key of its table in the API's and `shynet stats --json`'s `stats` object.
    pub api_name: &'static str,
    /// Key of the value in each API row (`{"<api_key>": …, "count": …}`). The original
    /// Shynet tables keep their column names; newer ones use `key`.
    pub api_key: &'static str,
    /// What an API reader needs to know about the values.
    pub description: &'static str,
    /// Table title on the service page.
    pub title: &'static str,
    /// Heading of the value column.
    pub heading: &'static str,
    /// Text shown for the empty key.
    pub empty: &'static str,
    /// How keys are shown.
    pub label: Label,
    /// Whether `http(s)://` keys are shown as links.
    pub links: bool,
    /// Whether the service's hide-referrer pattern removes matching keys (before the cut).
    pub owner_hides: bool,
    /// Where the service page shows it.
    pub placement: Placement,
}

impl Dimension {
    /// Heading of the count column.
    pub fn unit(&self) -> &'static str {
        self.scope.unit()
    }

    /// Its position in [`ALL`], where result lists keep its rows.
    pub fn index(&self) -> usize {
        index_of(self.code).unwrap_or(usize::MAX)
    }

    /// The SQL that reads its key, over its scope's table alias.
    pub fn sql(&self) -> String {
        let alias = self.scope.alias();
        if self.column.contains("{t}") {
            self.column.replace("{t}", alias)
        } else {
            format!("{alias}.{}", self.column)
        }
    }
}

/// The position in [`ALL`] of the dimension with `dim` code `code`.
pub fn index_of(code: i16) -> Option<usize> {
    ALL.iter().position(|d| d.code == code)
}

macro_rules! registry {
    ($($(#[$m:meta])* $id:ident = $d:expr;)*) => {
        $($(#[$m])* pub const $id: Dimension = $d;)*
        /// Every dimension, in the order the page grid, the API and the CLI list them.
        pub const ALL: &[Dimension] = &[$($id),*];
    };
}

/// The page URL without the service's tracking parameters (`hits.location_clean` is NULL where
/// cleaning changed nothing).
const CLEAN_PAGE: &str = "coalesce({t}.location_clean, {t}.location)";

registry! {
    /// Pages (clean URLs), by hits.
    LOCATION = Dimension {
        name: "location", code: 0, scope: Scope::Hit, column: CLEAN_PAGE,
        api_name: "locations", api_key: "location",
        description: "Pages (URLs without the service's tracking parameters) by hits.",
        title: "Pages", heading: "Page", empty: "Unknown", label: Label::Text,
        links: true, owner_hides: false, placement: Placement::Table,
    };
    /// Entry pages (clean URLs), by entries.
    ENTRY_PAGE = Dimension {
        name: "entry_page", code: 8, scope: Scope::Entry, column: CLEAN_PAGE,
        api_name: "entry_pages", api_key: "key",
        description: "Entry pages (each session's first page, without tracking parameters) by entries.",
        title: "Entry pages", heading: "Page", empty: "Unknown", label: Label::Text,
        links: true, owner_hides: false, placement: Placement::Table,
    };
    /// Exit pages (clean URLs), by sessions.
    EXIT_PAGE = Dimension {
        name: "exit_page", code: 9, scope: Scope::Session, column: "exit_page",
        api_name: "exit_pages", api_key: "key",
        description: "Exit pages (each session's latest page, without tracking parameters) by sessions.",
        title: "Exit pages", heading: "Page", empty: "Unknown", label: Label::Text,
        links: true, owner_hides: false, placement: Placement::Table,
    };
    /// Entry referrers, by entries.
    REFERRER = Dimension {
        name: "referrer", code: 1, scope: Scope::Entry, column: "referrer",
        api_name: "referrers", api_key: "referrer",
        description: "Entry referrers (\"\" = direct) by entries, without those the service hides.",
        title: "Referrers", heading: "Referrer", empty: "Direct", label: Label::Text,
        links: true, owner_hides: true, placement: Placement::Table,
    };
    /// Channels, by sessions.
    CHANNEL = Dimension {
        name: "channel", code: 10, scope: Scope::Session, column: "channel",
        api_name: "channels", api_key: "key",
        description: "Channels (Direct, Organic Search, Paid Search, Social, Paid Social, Email, \
                      Referral, Display, Affiliates, Organic Video) by sessions.",
        title: "Channels", heading: "Channel", empty: "Unknown", label: Label::Text,
        links: false, owner_hides: false, placement: Placement::Table,
    };
    /// Campaign sources, by sessions.
    UTM_SOURCE = Dimension {
        name: "utm_source", code: 11, scope: Scope::Session, column: "utm_source",
        api_name: "utm_sources", api_key: "key",
        description: "Campaign sources (utm_source, else ref or source; lower-case; \"\" = none) by sessions.",
        title: "Campaign sources", heading: "Source", empty: "None", label: Label::Text,
        links: false, owner_hides: false, placement: Placement::Tab("Campaigns"),
    };
    /// Campaign mediums, by sessions.
    UTM_MEDIUM = Dimension {
        name: "utm_medium", code: 12, scope: Scope::Session, column: "utm_medium",
        api_name: "utm_mediums", api_key: "key",
        description: "Campaign mediums (utm_medium, lower-case; \"\" = none) by sessions.",
        title: "Campaign mediums", heading: "Medium", empty: "None", label: Label::Text,
        links: false, owner_hides: false, placement: Placement::Tab("Campaigns"),
    };
    /// Campaign names, by sessions.
    UTM_CAMPAIGN = Dimension {
        name: "utm_campaign", code: 13, scope: Scope::Session, column: "utm_campaign",
        api_name: "utm_campaigns", api_key: "key",
        description: "Campaigns (utm_campaign; \"\" = none) by sessions.",
        title: "Campaign names", heading: "Campaign", empty: "None", label: Label::Text,
        links: false, owner_hides: false, placement: Placement::Tab("Campaigns"),
    };
    /// Campaign terms, by sessions (API and CLI only).
    UTM_TERM = Dimension {
        name: "utm_term", code: 14, scope: Scope::Session, column: "utm_term",
        api_name: "utm_terms", api_key: "key",
        description: "Campaign terms (utm_term; \"\" = none) by sessions.",
        title: "Campaign terms", heading: "Term", empty: "None", label: Label::Text,
        links: false, owner_hides: false, placement: Placement::Hidden,
    };
    /// Campaign contents, by sessions (API and CLI only).
    UTM_CONTENT = Dimension {
        name: "utm_content", code: 15, scope: Scope::Session, column: "utm_content",
        api_name: "utm_contents", api_key: "key",
        description: "Campaign contents (utm_content; \"\" = none) by sessions.",
        title: "Campaign contents", heading: "Content", empty: "None", label: Label::Text,
        links: false, owner_hides: false, placement: Placement::Hidden,
    };
    /// Countries, by sessions.
    COUNTRY = Dimension {
        name: "country", code: 2, scope: Scope::Session, column: "country",
        api_name: "countries", api_key: "country",
        description: "Countries (ISO 3166 alpha-2, \"\" = unknown) by sessions.",
        title: "Countries", heading: "Country", empty: "Unknown", label: Label::Country,
        links: false, owner_hides: false, placement: Placement::Map,
    };
    /// Regions (country / region), by sessions.
    REGION = Dimension {
        name: "region", code: 16, scope: Scope::Session,
        column: "concat_ws(' / ', nullif({t}.country, ''), nullif({t}.region, ''))",
        api_name: "regions", api_key: "key",
        description: "Regions as \"country / region\" (\"DE / Bavaria\"; just the country when the \
                      region is unknown, \"\" when both are) by sessions.",
        title: "Regions", heading: "Region", empty: "Unknown", label: Label::Text,
        links: false, owner_hides: false, placement: Placement::Under(COUNTRY.code),
    };
    /// Cities (country / region / city), by sessions.
    CITY = Dimension {
        name: "city", code: 17, scope: Scope::Session,
        column: "CASE WHEN {t}.city = '' THEN '' ELSE \
                 concat_ws(' / ', nullif({t}.country, ''), nullif({t}.region, ''), {t}.city) END",
        api_name: "cities", api_key: "key",
        description: "Cities as \"country / region / city\" (\"DE / Bavaria / Munich\"; \"\" = \
                      unknown) by sessions.",
        title: "Cities", heading: "City", empty: "Unknown", label: Label::Text,
        links: false, owner_hides: false, placement: Placement::Under(REGION.code),
    };
    /// Networks (AS organisation), by sessions.
    NETWORK = Dimension {
        name: "network", code: 3, scope: Scope::Session, column: "as_org",
        api_name: "networks", api_key: "network",
        description: "Networks (the autonomous system's organisation) by sessions.",
        title: "Networks", heading: "Network", empty: "Unknown", label: Label::Text,
        links: false, owner_hides: false, placement: Placement::Table,
    };
    /// Operating systems, by sessions.
    OS = Dimension {
        name: "os", code: 4, scope: Scope::Session, column: "os",
        api_name: "operating_systems", api_key: "os",
        description: "Operating systems by sessions.",
        title: "Operating systems", heading: "OS", empty: "Unknown", label: Label::Text,
        links: false, owner_hides: false, placement: Placement::Table,
    };
    /// OS versions (OS / major.minor), by sessions.
    OS_VERSION = Dimension {
        name: "os_version", code: 19, scope: Scope::Session,
        column: "concat_ws(' / ', nullif({t}.os, ''), \
                 nullif(array_to_string((string_to_array({t}.os_version, '.'))[1:2], '.'), ''))",
        api_name: "os_versions", api_key: "key",
        description: "Operating system versions as \"OS / major.minor\" (\"iOS / 17.4\"; just the \
                      OS when its version is unknown) by sessions.",
        title: "OS versions", heading: "Version", empty: "Unknown", label: Label::Text,
        links: false, owner_hides: false, placement: Placement::Under(OS.code),
    };
    /// Browsers, by sessions.
    BROWSER = Dimension {
        name: "browser", code: 5, scope: Scope::Session, column: "browser",
        api_name: "browsers", api_key: "browser", description: "Browsers by sessions.",
        title: "Browsers", heading: "Browser", empty: "Unknown", label: Label::Text,
        links: false, owner_hides: false, placement: Placement::Table,
    };
    /// Browser versions (browser / major), by sessions.
    BROWSER_VERSION = Dimension {
        name: "browser_version", code: 18, scope: Scope::Session,
        column: "concat_ws(' / ', nullif({t}.browser, ''), \
                 nullif(split_part({t}.browser_version, '.', 1), ''))",
        api_name: "browser_versions", api_key: "key",
        description: "Browser versions as \"browser / major version\" (\"Chrome / 124\"; just the \
                      browser when its version is unknown) by sessions.",
        title: "Browser versions", heading: "Version", empty: "Unknown", label: Label::Text,
        links: false, owner_hides: false, placement: Placement::Under(BROWSER.code),
    };
    /// Device types, by sessions.
    DEVICE_TYPE = Dimension {
        name: "device_type", code: 6, scope: Scope::Session, column: "device_type",
        api_name: "device_types", api_key: "device_type",
        description: "Device types by sessions.",
        title: "Device types", heading: "Type", empty: "Unknown", label: Label::TitleCase,
        links: false, owner_hides: false, placement: Placement::Table,
    };
    /// Devices, by sessions.
    DEVICE = Dimension {
        name: "device", code: 7, scope: Scope::Session, column: "device",
        api_name: "devices", api_key: "device", description: "Devices by sessions.",
        title: "Devices", heading: "Device", empty: "Unknown", label: Label::Text,
        links: false, owner_hides: false, placement: Placement::Hidden,
    };
}

/// The dimensions nested under `parent` on the service page (see [`Placement::Under`]).
pub fn children(parent: &Dimension) -> impl Iterator<Item = &'static Dimension> + '_ {
    ALL.iter()
        .filter(move |d| d.placement == Placement::Under(parent.code))
}

/// The `(dim, key)` rows of the picked dimensions (all of one scope's table) as a LATERAL
/// `VALUES` list over the alias of that table. Entry dimensions yield a NULL `dim` for hits that
/// are not entries, which the statements filter out.
pub(crate) fn values(pick: impl Fn(&Dimension) -> bool) -> String {
    let rows: Vec<String> = ALL
        .iter()
        .filter(|d| pick(d))
        .map(|d| {
            let code = format!("{}::int2", d.code);
            let dim = match d.scope {
                Scope::Entry => format!("CASE WHEN {}.initial THEN {code} END", d.scope.alias()),
                Scope::Session | Scope::Hit => code,
            };
            format!("({dim}, {})", d.sql())
        })
        .collect();
    format!("(VALUES {})", rows.join(", "))
}

/// Session dimensions over `sessions s`; the rollup job and the raw reader share it so both
/// count the same thing.
pub static SESSION_DIMS: LazyLock<String> = LazyLock::new(|| values(|d| d.scope == Scope::Session));

/// Hit and entry dimensions over `hits h` (`dim` is NULL where an entry dimension does not
/// apply).
pub static HIT_DIMS: LazyLock<String> = LazyLock::new(|| values(|d| d.scope != Scope::Session));

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_names_and_keys_are_unique() {
        for (what, f) in [
            (
                "name",
                (|d: &Dimension| d.name) as fn(&Dimension) -> &'static str,
            ),
            ("api_name", |d| d.api_name),
            ("title", |d| d.title),
        ] {
            let set: HashSet<_> = ALL.iter().map(f).collect();
            assert_eq!(set.len(), ALL.len(), "duplicate {what}");
        }
        // Value keys: the original tables' column names are unique, newer tables share `key`.
        let named: Vec<&str> = ALL
            .iter()
            .map(|d| d.api_key)
            .filter(|k| *k != "key")
            .collect();
        let set: HashSet<_> = named.iter().collect();
        assert_eq!(set.len(), named.len(), "duplicate api_key");
        assert!(!named.iter().any(|k| ALL.iter().any(|d| d.api_name == *k)));
        let codes: HashSet<i16> = ALL.iter().map(|d| d.code).collect();
        assert_eq!(codes.len(), ALL.len(), "duplicate dim code");
        assert!(!codes.contains(&VISITORS_DAY_CODE));
        for (i, d) in ALL.iter().enumerate() {
            assert_eq!(d.index(), i);
            assert!(d.code >= 0, "{}", d.name);
            assert!(!d.column.is_empty() && !d.empty.is_empty() && !d.heading.is_empty());
            if let Placement::Under(parent) = d.placement {
                let p = index_of(parent).map(|i| &ALL[i]).expect("parent exists");
                assert_eq!(p.scope, d.scope, "{} counts what its parent counts", d.name);
                assert!(children(p).any(|c| c == d));
            }
        }
    }

    /// Stored rollups are read back by these codes: changing one silently mixes dimensions.
    #[test]
    fn stored_codes_are_unchanged() {
        let mut codes: Vec<(&str, i16)> = ALL.iter().map(|d| (d.name, d.code)).collect();
        codes.sort_by_key(|c| c.1);
        assert_eq!(
            codes,
            [
                ("location", 0),
                ("referrer", 1),
                ("country", 2),
                ("network", 3),
                ("os", 4),
                ("browser", 5),
                ("device_type", 6),
                ("device", 7),
                ("entry_page", 8),
                ("exit_page", 9),
                ("channel", 10),
                ("utm_source", 11),
                ("utm_medium", 12),
                ("utm_campaign", 13),
                ("utm_term", 14),
                ("utm_content", 15),
                ("region", 16),
                ("city", 17),
                ("browser_version", 18),
                ("os_version", 19),
            ]
        );
    }

    #[test]
    fn generated_sql_covers_every_dimension() {
        assert!(SESSION_DIMS.starts_with("(VALUES (9::int2, s.exit_page), (10::int2, s.channel), "));
        assert!(SESSION_DIMS
            .contains("(16::int2, concat_ws(' / ', nullif(s.country, ''), nullif(s.region, '')))"));
        assert_eq!(
            *HIT_DIMS,
            "(VALUES (0::int2, coalesce(h.location_clean, h.location)), \
             (CASE WHEN h.initial THEN 8::int2 END, coalesce(h.location_clean, h.location)), \
             (CASE WHEN h.initial THEN 1::int2 END, h.referrer))"
        );
        for d in ALL {
            let sql = if d.scope == Scope::Session {
                &*SESSION_DIMS
            } else {
                &*HIT_DIMS
            };
            assert!(!d.sql().contains("{t}"), "{}", d.name);
            assert!(sql.contains(&format!("{}::int2", d.code)), "{}", d.name);
            assert!(sql.contains(&d.sql()), "{} missing from {sql}", d.name);
        }
        assert_eq!(OS.sql(), "s.os");
    }
}
