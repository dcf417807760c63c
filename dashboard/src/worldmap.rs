//! Country names and the world map of sessions by country, drawn on the server from bundled
//! Natural Earth shapes (see `data/LICENSES.md`): each country is filled with an opacity from
//! [`MIN_OPACITY`] to 1.0 in proportion to its sessions, with a tooltip "<country>: N sessions".

use crate::format;
use crate::i18n::{self, Arg};
use crate::render::esc;
use stats::Row;
use std::collections::HashMap;

/// The fill opacity of the country with the fewest sessions: low enough to rank countries, high
/// enough that a country with a single session stands apart from land without any, on the light
/// and on the dark background.
const MIN_OPACITY: f64 = 0.3;
use std::fmt::Write;
use std::sync::OnceLock;

const DATA: &str = include_str!("../data/countries.tsv");

struct Country {
    name: &'static str,
    path: &'static str,
}

fn table() -> &'static HashMap<&'static str, Country> {
    static T: OnceLock<HashMap<&'static str, Country>> = OnceLock::new();
    T.get_or_init(|| {
        DATA.lines()
            .filter_map(|l| {
                let mut f = l.splitn(3, '\t');
                let (code, name, path) = (f.next()?, f.next()?, f.next().unwrap_or(""));
                Some((code, Country { name, path }))
            })
            .collect()
    })
}

/// The English name of an ISO 3166-1 alpha-2 code ("Unknown" for "", the code itself if
/// unlisted).
pub fn country_name(code: &str) -> String {
    if code.is_empty() {
        return i18n::tr_now("common-unknown");
    }
    table()
        .get(code.to_ascii_uppercase().as_str())
        .map(|c| c.name.to_owned())
        .unwrap_or_else(|| code.to_owned())
}

/// The map as SVG.
pub fn map(countries: &[Row]) -> String {
    let max = countries.iter().map(|r| r.count).max().unwrap_or(0);
    let counts: HashMap<String, i64> = countries
        .iter()
        .map(|r| (r.key.to_ascii_uppercase(), r.count))
        .collect();
    let mut codes: Vec<_> = table().iter().filter(|(_, c)| !c.path.is_empty()).collect();
    codes.sort_by_key(|(k, _)| **k);
    let mut s = format!(
        "<svg class=\"worldmap\" viewBox=\"0 0 1000 487\" role=\"img\" aria-label=\"{}\">",
        esc(&i18n::tr_now("map-label"))
    );
    for (code, c) in codes {
        let n = counts.get(*code).copied().unwrap_or(0);
        let title = i18n::tr_now_args(
            "map-country",
            &[
                ("country", Arg::from(c.name)),
                ("sessions", Arg::from(format::int(n))),
            ],
        );
        if n > 0 && max > 0 {
            let opacity = MIN_OPACITY + (1.0 - MIN_OPACITY) * n as f64 / max as f64;
            let _ = write!(
                s,
                "<path class=\"land hit\" fill-opacity=\"{opacity:.2}\" d=\"{}\"><title>{}</title></path>",
                c.path,
                esc(&title)
            );
        } else {
            let _ = write!(
                s,
                "<path class=\"land\" d=\"{}\"><title>{}</title></path>",
                c.path,
                esc(&title)
            );
        }
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_map() {
        assert_eq!(country_name("DE"), "Germany");
        assert_eq!(country_name("de"), "Germany");
        assert_eq!(country_name(""), "Unknown");
        assert_eq!(country_name("<b>"), "<b>");
        assert!(table().len() > 240);
        let svg = map(&[
            Row {
                key: "FR".into(),
                count: 10,
            },
            Row {
                key: "DE".into(),
                count: 5,
            },
        ]);
        assert!(svg.contains("France: 10 sessions"));
        assert!(svg.contains("fill-opacity=\"1.00\""));
        assert!(svg.contains("fill-opacity=\"0.65\""));
    }
}
