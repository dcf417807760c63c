//! The service page's dimension cards, laid out from the registry's placements: a plain table
//! per [`Placement::Table`] dimension, the dimensions nested [`Placement::Under`] it as rows that
//! open under their parent (regions under their country with their top cities, versions under
//! their browser or OS), one tabbed card per [`Placement::Tab`] title (the campaigns), and the
//! map card's table of countries.

use super::tables::table_rows;
use crate::lang;
use crate::{format, i18n};
use serde_json::{json, Value};
use stats::dimensions::{self, Dimension, Label, Placement, Scope, KEY_SEPARATOR};
use stats::{Row, Scalars, Tables};

/// Cities listed beside each region.
const CITIES_PER_REGION: usize = 5;

fn title_case(s: &str) -> String {
    let lower = s.to_lowercase();
    let mut c = lower.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// The catalogue key of one of a dimension's words (`title`, `heading`, `tab`): the
/// registry's English words stay the API's and the CLI's, the page says them in its language.
fn dim_key(d: &Dimension, part: &str) -> String {
    format!("dim-{}-{part}", d.name.replace('_', "-"))
}

/// A dimension's word for the page, in the request's language.
pub fn dim_text(d: &Dimension, part: &str) -> String {
    i18n::tr(lang::current(), &dim_key(d, part))
}

/// The catalogue key of what a dimension calls rows without a value ("Unknown", "Direct",
/// "None").
fn empty_key(d: &Dimension) -> String {
    format!("dim-empty-{}", d.empty.to_lowercase())
}

/// The catalogue key of what a dimension's counts are ("Sessions", "Hits", "Entries").
fn unit_key(d: &Dimension) -> String {
    format!("dim-unit-{}", d.unit().to_lowercase())
}

/// The unit heading of a dimension's table, in the request's language.
pub fn unit_text(d: &Dimension) -> String {
    i18n::tr(lang::current(), &unit_key(d))
}

/// The catalogue key of a tabbed card's title (`Placement::Tab`).
fn tab_key(title: &str) -> String {
    format!("dim-tab-{}", title.to_lowercase().replace(' ', "-"))
}

/// Every catalogue key the dimension cards use (for the catalogue test).
pub fn catalogue_keys() -> Vec<String> {
    let mut keys = Vec::new();
    for d in dimensions::ALL {
        for part in ["title", "heading", "tab"] {
            keys.push(dim_key(d, part));
        }
        keys.push(empty_key(d));
        keys.push(unit_key(d));
        if let Placement::Tab(t) = d.placement {
            keys.push(tab_key(t));
        }
    }
    keys.sort();
    keys.dedup();
    keys
}

/// How the page shows a key of `d`.
pub fn dim_label(d: &Dimension, key: &str) -> String {
    if key.is_empty() {
        return i18n::tr(lang::current(), &empty_key(d));
    }
    match d.label {
        Label::Text => key.to_owned(),
        Label::TitleCase => title_case(key),
        Label::Country => crate::worldmap::country_name(key),
    }
}

/// The total a dimension's shares are taken of.
fn total_of(d: &Dimension, t: &Tables, cur: &Scalars) -> i64 {
    match d.scope {
        Scope::Session => cur.session_count,
        Scope::Hit => cur.hit_count,
        Scope::Entry => t.entry_count,
    }
}

/// The rows of `rows` that nest under `parent_key`, with the rest of their key.
fn nested<'r>(rows: &'r [Row], parent_key: &str) -> Vec<(&'r str, &'r Row)> {
    let prefix = format!("{parent_key}{KEY_SEPARATOR}");
    rows.iter()
        .filter_map(|r| r.key.strip_prefix(&prefix).map(|rest| (rest, r)))
        .filter(|(rest, _)| !rest.is_empty())
        .collect()
}

/// "Munich (12), Nuremberg (5)": the top grandchildren of one child row, in a line.
fn detail(grandchild: Option<&Dimension>, t: &Tables, key: &str) -> String {
    let Some(g) = grandchild else {
        return String::new();
    };
    nested(t.rows(g), key)
        .into_iter()
        .take(CITIES_PER_REGION)
        .map(|(rest, r)| format!("{rest} ({})", format::int(r.count)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The link a table row of a dimension gets: this view with a filter on its key added.
pub type AddFilter<'a> = &'a dyn Fn(&'static Dimension, &str) -> String;

/// The rows of `d` with the rows of its first nested dimension under each; each row links to
/// `add` of its own key.
fn tree_rows(
    d: &'static Dimension,
    t: &Tables,
    total: i64,
    skip_empty: bool,
    add: AddFilter<'_>,
) -> Vec<Value> {
    let rows: Vec<Row> = t
        .rows(d)
        .iter()
        .filter(|r| !(skip_empty && r.key.is_empty()))
        .cloned()
        .collect();
    let mut out = table_rows(&rows, total, &|k: &str| dim_label(d, k), d.links);
    for (row, value) in rows.iter().zip(out.iter_mut()) {
        value["filter"] = json!(add(d, &row.key));
    }
    let Some(child) = dimensions::children(d).next() else {
        return out;
    };
    let grandchild = dimensions::children(child).next();
    for (row, value) in rows.iter().zip(out.iter_mut()) {
        if row.key.is_empty() {
            continue;
        }
        let kids = nested(t.rows(child), &row.key);
        if kids.is_empty() {
            continue;
        }
        let kid_rows: Vec<Row> = kids.iter().map(|(_, r)| (*r).clone()).collect();
        let labels: Vec<&str> = kids.iter().map(|(rest, _)| *rest).collect();
        let mut rendered = table_rows(&kid_rows, total, &|k: &str| k.to_owned(), false);
        for ((v, label), r) in rendered.iter_mut().zip(labels).zip(&kid_rows) {
            v["label"] = json!(label);
            v["detail"] = json!(detail(grandchild, t, &r.key));
            v["filter"] = json!(add(child, &r.key));
        }
        value["children"] = json!(rendered);
        value["child_title"] = json!(dim_text(child, "title"));
    }
    out
}

/// The table card of one dimension.
pub fn dim_table(d: &'static Dimension, t: &Tables, cur: &Scalars, add: AddFilter<'_>) -> Value {
    json!({
        "title": dim_text(d, "title"), "col": dim_text(d, "heading"), "unit": unit_text(d),
        "rows": tree_rows(d, t, total_of(d, t, cur), false, add),
    })
}

/// One tabbed card: a tab per dimension placed in it, sessions without a value left out (the
/// shares stay of all sessions).
fn tab_card(
    title: &str,
    dims: &[&'static Dimension],
    t: &Tables,
    cur: &Scalars,
    add: AddFilter<'_>,
) -> Value {
    let tabs: Vec<Value> = dims
        .iter()
        .map(|d| {
            json!({
                "id": d.name, "title": dim_text(d, "tab"), "col": dim_text(d, "heading"),
                "unit": unit_text(d), "rows": tree_rows(d, t, total_of(d, t, cur), true, add),
            })
        })
        .collect();
    let shown = i18n::tr(lang::current(), &tab_key(title));
    json!({ "title": shown, "id": title.to_lowercase().replace(' ', "-"), "tabs": tabs })
}

/// The service page's cards in registry order: those above the map, those below it, and the
/// map's own table. `locations` is the link to the full page list.
pub fn dim_cards(
    t: &Tables,
    cur: &Scalars,
    locations: &dyn Fn() -> String,
    add: AddFilter<'_>,
) -> (Vec<Value>, Vec<Value>, Value) {
    let (mut head, mut cards) = (Vec::new(), Vec::new());
    let mut countries = Value::Null;
    let mut tabs_done: Vec<&str> = Vec::new();
    for d in dimensions::ALL {
        match d.placement {
            Placement::Table => {
                let mut table = dim_table(d, t, cur, add);
                // Only pages have a full list of their own.
                if *d == dimensions::LOCATION && t.rows(d).len() >= stats::RESULTS_LIMIT {
                    table["more"] = json!(locations());
                }
                cards.push(table);
            }
            Placement::Tab(title) if !tabs_done.contains(&title) => {
                tabs_done.push(title);
                let dims: Vec<&'static Dimension> = dimensions::ALL
                    .iter()
                    .filter(|x| x.placement == Placement::Tab(title))
                    .collect();
                cards.push(tab_card(title, &dims, t, cur, add));
            }
            Placement::Map => {
                countries = dim_table(d, t, cur, add);
                head = std::mem::take(&mut cards);
            }
            Placement::Tab(_) | Placement::Under(_) | Placement::Hidden => {}
        }
    }
    (head, cards, countries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_dimension_speaks_every_language() {
        use crate::lang::Lang;
        for key in catalogue_keys() {
            for l in Lang::ALL {
                assert!(i18n::has_key(l, &key), "{}: {key}", l.code());
            }
        }
    }

    fn row(key: &str, count: i64) -> Row {
        Row {
            key: key.into(),
            count,
        }
    }

    #[test]
    fn labels_follow_the_registry() {
        assert_eq!(dim_label(&dimensions::DEVICE_TYPE, "MOBILE"), "Mobile");
        assert_eq!(dim_label(&dimensions::DEVICE_TYPE, ""), "Unknown");
        assert_eq!(dim_label(&dimensions::REFERRER, ""), "Direct");
        assert_eq!(dim_label(&dimensions::COUNTRY, "DE"), "Germany");
        assert_eq!(dim_label(&dimensions::OS, "Linux"), "Linux");
    }

    #[test]
    fn regions_nest_under_countries_with_their_cities() {
        let mut t = Tables::default();
        t.dims
            .set(&dimensions::COUNTRY, vec![row("DE", 10), row("", 2)]);
        t.dims.set(
            &dimensions::REGION,
            vec![
                row("DE / Bavaria", 6),
                row("DE", 3),
                row("FR / Brittany", 1),
            ],
        );
        t.dims.set(
            &dimensions::CITY,
            vec![
                row("DE / Bavaria / Munich", 4),
                row("DE / Bavaria / Passau", 2),
            ],
        );
        let cur = Scalars {
            session_count: 12,
            ..Scalars::default()
        };
        let card = dim_table(&dimensions::COUNTRY, &t, &cur, &|d, k| {
            format!("{}={k}", d.name)
        });
        let de = &card["rows"][0];
        assert_eq!(de["label"], "Germany");
        assert_eq!(de["children"].as_array().unwrap().len(), 1);
        assert_eq!(de["children"][0]["label"], "Bavaria");
        assert_eq!(de["children"][0]["detail"], "Munich (4), Passau (2)");
        // Every row adds a filter on its own key, nested rows on theirs.
        assert_eq!(de["filter"], "country=DE");
        assert_eq!(de["children"][0]["filter"], "region=DE / Bavaria");
        assert!(card["rows"][1].get("children").is_none());
    }

    #[test]
    fn campaigns_are_one_tabbed_card_without_the_untagged() {
        let mut t = Tables::default();
        t.dims.set(
            &dimensions::UTM_SOURCE,
            vec![row("", 9), row("newsletter", 3)],
        );
        let cur = Scalars {
            session_count: 12,
            ..Scalars::default()
        };
        let (head, _, _) = dim_cards(&t, &cur, &String::new, &|_, _| String::new());
        let card = head.iter().find(|c| c["title"] == "Campaigns").unwrap();
        let tabs = card["tabs"].as_array().unwrap();
        assert_eq!(
            tabs.iter()
                .map(|x| x["title"].as_str().unwrap())
                .collect::<Vec<_>>(),
            ["Sources", "Mediums", "Campaigns"]
        );
        assert_eq!(tabs[0]["rows"].as_array().unwrap().len(), 1);
        assert_eq!(tabs[0]["rows"][0]["share"], "25.0%");
        assert_eq!(head.iter().filter(|c| c["title"] == "Campaigns").count(), 1);
    }
}
