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
    /// Not on the page (API and CLI only).
    Hidden,
}

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
    /// The column of `sessions` (session scope) or `hits` (hit and entry scope).
    pub column: &'static str,
    /// Key of its table in the API's and `shynet stats --json`'s `stats` object.
    pub api_name: &'static str,
    /// Key of the value in each API row (`{"<api_key>": …, "count": …}`).
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

registry! {
    /// Pages, by hits.
    LOCATION = Dimension {
        name: "location", code: 0, scope: Scope::Hit, column: "location",
        api_name: "locations", api_key: "location", description: "Pages (URLs) by hits.",
        title: "Pages", heading: "Page", empty: "Unknown", label: Label::Text,
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
    /// Countries, by sessions.
    COUNTRY = Dimension {
        name: "country", code: 2, scope: Scope::Session, column: "country",
        api_name: "countries", api_key: "country",
        description: "Countries (ISO 3166 alpha-2, \"\" = unknown) by sessions.",
        title: "Countries", heading: "Country", empty: "Unknown", label: Label::Country,
        links: false, owner_hides: false, placement: Placement::Map,
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
    /// Browsers, by sessions.
    BROWSER = Dimension {
        name: "browser", code: 5, scope: Scope::Session, column: "browser",
        api_name: "browsers", api_key: "browser", description: "Browsers by sessions.",
        title: "Browsers", heading: "Browser", empty: "Unknown", label: Label::Text,
        links: false, owner_hides: false, placement: Placement::Table,
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

/// The `(dim, key)` rows of one scope's dimensions as a LATERAL `VALUES` list over the alias of
/// the scope's table. Entry dimensions yield a NULL `dim` for hits that are not entries, which
/// the statements filter out.
fn values(pick: impl Fn(Scope) -> bool) -> String {
    let rows: Vec<String> = ALL
        .iter()
        .filter(|d| pick(d.scope))
        .map(|d| {
            let alias = d.scope.alias();
            let code = format!("{}::int2", d.code);
            let dim = match d.scope {
                Scope::Entry => format!("CASE WHEN {alias}.initial THEN {code} END"),
                Scope::Session | Scope::Hit => code,
            };
            format!("({dim}, {alias}.{})", d.column)
        })
        .collect();
    format!("(VALUES {})", rows.join(", "))
}

/// Session dimensions over `sessions s`; the rollup job and the raw reader share it so both
/// count the same thing.
pub static SESSION_DIMS: LazyLock<String> = LazyLock::new(|| values(|s| s == Scope::Session));

/// Hit and entry dimensions over `hits h` (`dim` is NULL where an entry dimension does not
/// apply).
pub static HIT_DIMS: LazyLock<String> = LazyLock::new(|| values(|s| s != Scope::Session));

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
            ("api_key", |d| d.api_key),
            ("title", |d| d.title),
        ] {
            let set: HashSet<_> = ALL.iter().map(f).collect();
            assert_eq!(set.len(), ALL.len(), "duplicate {what}");
        }
        let codes: HashSet<i16> = ALL.iter().map(|d| d.code).collect();
        assert_eq!(codes.len(), ALL.len(), "duplicate dim code");
        for (i, d) in ALL.iter().enumerate() {
            assert_eq!(d.index(), i);
            assert!(d.code >= 0, "{}", d.name);
            assert!(!d.column.is_empty() && !d.empty.is_empty() && !d.heading.is_empty());
        }
    }

    /// Stored rollups are read back by these codes: changing one silently mixes dimensions.
    #[test]
    fn stored_codes_are_unchanged() {
        let codes: Vec<(&str, i16)> = ALL.iter().map(|d| (d.name, d.code)).collect();
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
                ("device", 7)
            ]
        );
    }

    #[test]
    fn generated_sql_covers_every_dimension() {
        assert_eq!(
            *SESSION_DIMS,
            "(VALUES (2::int2, s.country), (3::int2, s.as_org), (4::int2, s.os), \
             (5::int2, s.browser), (6::int2, s.device_type), (7::int2, s.device))"
        );
        assert_eq!(
            *HIT_DIMS,
            "(VALUES (0::int2, h.location), (CASE WHEN h.initial THEN 1::int2 END, h.referrer))"
        );
        for d in ALL {
            let sql = if d.scope == Scope::Session {
                &*SESSION_DIMS
            } else {
                &*HIT_DIMS
            };
            let col = format!("{}.{})", d.scope.alias(), d.column);
            assert!(sql.contains(&col), "{} missing from {sql}", d.name);
            assert!(sql.contains(&format!("{}::int2", d.code)), "{}", d.name);
        }
    }
}
