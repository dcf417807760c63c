//! Segments the rollup job pre-counts: a view filtered by one `is` filter on a low-cardinality
//! session field (country, browser, OS, device type, channel), or by two `is` filters on two
//! different such fields, is answered from segment rollups ([`crate::rollup_segments`], read by
//! [`crate::segment_read`]) instead of raw rows. Each field multiplies the rollup rows by its
//! number of values, so only fields with few values qualify: pages, referrers, cities or
//! campaigns crossed with every table would outgrow the raw rows they summarise. A pair of
//! fields multiplies them by the pairs of values that occur together, which the sessions
//! themselves bound (a session adds its rows to one pair per pair of fields). Every other filter
//! set is read from raw rows by [`crate::filtered`].

use crate::dimensions::{self, Dimension, Scope};
use crate::filters::{Field, Filters, Op};
use std::sync::LazyLock;

/// The fields whose `is` filters are pre-counted, alone and in pairs.
pub const FIELDS: [&Dimension; 5] = [
    &dimensions::COUNTRY,
    &dimensions::BROWSER,
    &dimensions::OS,
    &dimensions::DEVICE_TYPE,
    &dimensions::CHANNEL,
];

/// Dimensions whose segment counts are kept per complete day only, not per hour of the open
/// day: places and networks have tens of thousands of values in a busy hour, and crossed with
/// every segment they were nine in ten of the hourly segment rows (2.0M of 2.2M in an hour of
/// 1.2M page views), so a view of a segment reads them raw for the open day instead.
pub const DAILY_ONLY: [&Dimension; 3] =
    [&dimensions::REGION, &dimensions::CITY, &dimensions::NETWORK];

/// Whether dimension `code` is one of [`DAILY_ONLY`].
pub fn daily_only(code: i16) -> bool {
    DAILY_ONLY.iter().any(|d| d.code == code)
}

/// The `fdim` of a pair of fields: both dimension codes (each under 100), the one listed first
/// in [`FIELDS`] in the hundreds.
fn pair_code(a: &Dimension, b: &Dimension) -> i16 {
    a.code * 100 + b.code
}

/// One pre-counted segment: its `fdim` code (a field's [`Dimension::code`], or a
/// [`pair_code`]) and the value it is filtered to (for a pair, both values, see [`pair_value`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    pub fdim: i16,
    pub fval: String,
}

/// The `fval` of a pair: the first value's length, a colon, and both values, so no two pairs
/// of values share one.
fn pair_value(a: &str, b: &str) -> String {
    format!("{}:{a}{b}", a.chars().count())
}

/// The pre-counted segment `filters` select, if they are one `is` filter on one of [`FIELDS`]
/// or two on two different ones.
pub fn of(filters: &Filters) -> Option<Segment> {
    let mut picked: Vec<(usize, &str)> = Vec::with_capacity(2);
    for f in filters.iter() {
        let Field::Dim(d) = f.field else { return None };
        let i = FIELDS.iter().position(|x| x.code == d.code)?;
        if f.op != Op::Is || picked.len() == 2 || picked.iter().any(|p| p.0 == i) {
            return None;
        }
        picked.push((i, &f.value));
    }
    picked.sort_unstable_by_key(|p| p.0);
    match picked[..] {
        [(i, v)] => Some(Segment {
            fdim: FIELDS[i].code,
            fval: v.to_owned(),
        }),
        [(i, a), (j, b)] => Some(Segment {
            fdim: pair_code(FIELDS[i], FIELDS[j]),
            fval: pair_value(a, b),
        }),
        _ => None,
    }
}

/// Each pre-counted segment's `fdim` with the SQL of its `fval` over a session row under alias
/// `s`: one per field, then one per pair of fields (the SQL twin of [`pair_value`]).
pub(crate) static VALUE_ROWS: LazyLock<Vec<(i16, String)>> = LazyLock::new(|| {
    let mut rows: Vec<(i16, String)> = FIELDS
        .iter()
        .map(|d| {
            debug_assert_eq!(d.scope, Scope::Session);
            (d.code, d.sql())
        })
        .collect();
    for (i, a) in FIELDS.iter().enumerate() {
        for b in &FIELDS[i + 1..] {
            rows.push((
                pair_code(a, b),
                format!(
                    "char_length({a})::text || ':' || {a} || {b}",
                    a = a.sql(),
                    b = b.sql()
                ),
            ));
        }
    }
    rows
});

/// The `(fdim, fval)` rows of a session row under alias `s`, as a LATERAL `VALUES` list.
pub(crate) static VALUES: LazyLock<String> = LazyLock::new(|| {
    let rows: Vec<String> = VALUE_ROWS
        .iter()
        .map(|(code, sql)| format!("({code}::int2, {sql})"))
        .collect();
    format!("(VALUES {})", rows.join(", "))
});

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filters::Syntax;

    fn f(items: &[&str]) -> Filters {
        Filters::parse(items.iter().copied(), Syntax::Url).unwrap()
    }

    #[test]
    fn one_or_two_is_filters_on_listed_fields_are_pre_counted() {
        assert_eq!(
            of(&f(&["country:DE"])),
            Some(Segment {
                fdim: dimensions::COUNTRY.code,
                fval: "DE".into()
            })
        );
        assert_eq!(of(&f(&["channel:Search"])).map(|s| s.fdim), Some(10));
        for other in [
            &["country!:DE"][..],
            &["country:DE", "browser!:Firefox"],
            &["country:DE", "country:FR"],
            &["country:DE", "browser:Firefox", "os:Linux"],
            &["country:DE", "page:/"],
            &["page:/"],
            &["referrer:x"],
            &["city:DE / Berlin"],
            &[],
        ] {
            assert_eq!(of(&f(other)), None, "{other:?}");
        }
    }

    #[test]
    fn a_pair_is_one_segment_whichever_filter_comes_first() {
        let want = Some(Segment {
            fdim: 205,
            fval: "2:DEFirefox".into(),
        });
        assert_eq!(of(&f(&["country:DE", "browser:Firefox"])), want);
        assert_eq!(of(&f(&["browser:Firefox", "country:DE"])), want);
        // The length prefix keeps values that run together apart.
        assert_ne!(pair_value("ab", "c"), pair_value("a", "bc"));
        assert_eq!(pair_value("Türkei", "x"), "6:Türkeix");
    }

    #[test]
    fn daily_only_dimensions_are_session_dimensions_outside_the_fields() {
        for d in DAILY_ONLY {
            assert_eq!(d.scope, Scope::Session, "{}", d.name);
            assert!(!FIELDS.iter().any(|f| f.code == d.code), "{}", d.name);
            assert!(daily_only(d.code));
        }
        assert!(!daily_only(dimensions::COUNTRY.code));
        assert!(!daily_only(dimensions::LOCATION.code));
    }

    #[test]
    fn every_field_is_a_plain_session_column() {
        for d in FIELDS {
            assert_eq!(d.scope, Scope::Session, "{}", d.name);
            assert!(!d.column.contains("{t}"), "{}", d.name);
        }
        assert!(VALUES.starts_with("(VALUES (2::int2, s.country), (5::int2, s.browser)"));
        assert!(VALUES.contains(
            "(205::int2, char_length(s.country)::text || ':' || s.country || s.browser)"
        ));
        assert_eq!(VALUES.matches("::int2").count(), 15);
    }
}
