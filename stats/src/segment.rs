//! Segments the rollup job pre-counts: a view filtered by one `is` filter on a low-cardinality
//! session field (country, browser, OS, device type, channel) is answered from segment rollups
//! ([`crate::rollup_segments`], read by [`crate::segment_read`]) instead of raw rows. Each field
//! multiplies the rollup rows by its number of values, so only fields with few values qualify:
//! pages, referrers, cities or campaigns crossed with every table would outgrow the raw rows
//! they summarise. Every other filter set is read from raw rows by [`crate::filtered`].

use crate::dimensions::{self, Dimension, Scope};
use crate::filters::{Field, Filters, Op};
use std::sync::LazyLock;

/// The fields whose `is` filters are pre-counted.
pub const FIELDS: [&Dimension; 5] = [
    &dimensions::COUNTRY,
    &dimensions::BROWSER,
    &dimensions::OS,
    &dimensions::DEVICE_TYPE,
    &dimensions::CHANNEL,
];

/// One pre-counted segment: a field's `dim` code and the value it is filtered to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment<'a> {
    /// The [`Dimension::code`] of the field.
    pub fdim: i16,
    /// The value.
    pub fval: &'a str,
}

/// The pre-counted segment `filters` select, if they are exactly one `is` filter on one of
/// [`FIELDS`].
pub fn of(filters: &Filters) -> Option<Segment<'_>> {
    let mut it = filters.iter();
    let f = it.next()?;
    if it.next().is_some() || f.op != Op::Is {
        return None;
    }
    match f.field {
        Field::Dim(d) if FIELDS.iter().any(|x| x.code == d.code) => Some(Segment {
            fdim: d.code,
            fval: &f.value,
        }),
        _ => None,
    }
}

/// The `(fdim, fval)` rows of a session row under alias `s`, as a LATERAL `VALUES` list.
pub(crate) static VALUES: LazyLock<String> = LazyLock::new(|| {
    let rows: Vec<String> = FIELDS
        .iter()
        .map(|d| {
            debug_assert_eq!(d.scope, Scope::Session);
            format!("({}::int2, {})", d.code, d.sql())
        })
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
    fn only_one_is_filter_on_a_listed_field_is_pre_counted() {
        assert_eq!(
            of(&f(&["country:DE"])),
            Some(Segment {
                fdim: dimensions::COUNTRY.code,
                fval: "DE"
            })
        );
        assert_eq!(of(&f(&["channel:Search"])).map(|s| s.fdim), Some(10));
        for other in [
            &["country!:DE"][..],
            &["country:DE", "browser:Firefox"],
            &["page:/"],
            &["referrer:x"],
            &["city:DE / Berlin"],
            &[],
        ] {
            assert_eq!(of(&f(other)), None, "{other:?}");
        }
    }

    #[test]
    fn every_field_is_a_plain_session_column() {
        for d in FIELDS {
            assert_eq!(d.scope, Scope::Session, "{}", d.name);
            assert!(!d.column.contains("{t}"), "{}", d.name);
        }
        assert!(VALUES.starts_with("(VALUES (2::int2, s.country), (5::int2, s.browser)"));
    }
}
