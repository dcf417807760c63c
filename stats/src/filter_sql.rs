//! The SQL of [`Filters`]: two predicates, one over a `sessions` row and one over a `hits` row,
//! that every filtered read adds to its raw statement. Values are never written into the SQL:
//! filter `i` is bound as parameter `$base + i + 1`, so one statement can use both predicates
//! with the same parameters.
//!
//! What a filter means, for every figure alike:
//! - a session filter (country, browser, channel, exit page, …) keeps the sessions whose column
//!   matches, and the hits of those sessions;
//! - an entry filter (entry page, referrer) keeps the sessions whose initial hit matches;
//! - an event filter keeps the sessions that sent an event of that name;
//! - page filters keep the hits whose page matches (all page filters on the same hit), and the
//!   sessions with at least one such hit.
//!
//! A negated filter is the complement of its positive form at the level where it applies.

use crate::dimensions::{Dimension, Scope};
use crate::filters::{Field, Filter, Filters, Op};

/// The key expression of `d` over the table alias `alias`.
fn expr(d: &Dimension, alias: &str) -> String {
    if d.column.contains("{t}") {
        d.column.replace("{t}", alias)
    } else {
        format!("{alias}.{}", d.column)
    }
}

/// The path of a URL expression as Plausible reports pages: without scheme, host, query and
/// fragment, "/" when empty (the dashboard's Plausible API shapes its keys the same way).
fn path_of(url: &str) -> String {
    format!("coalesce(nullif(substring({url} FROM '^(?:[^/?#]*://)?[^/?#]*([^?#]*)'), ''), '/')")
}

/// The expression a field compares over `alias` (events have none: they test a subquery).
fn field_expr(field: Field, alias: &str) -> String {
    match field {
        Field::Dim(d) => expr(d, alias),
        Field::Path(d) => path_of(&expr(d, alias)),
        Field::Event => "FALSE".to_owned(),
    }
}

/// `expr` compared with parameter `p` (positive form of `op` when `positive`).
fn compare(expr: &str, op: Op, p: &str, positive: bool) -> String {
    let op = if positive {
        match op {
            Op::IsNot => Op::Is,
            Op::NotContains => Op::Contains,
            Op::NotStartsWith => Op::StartsWith,
            o => o,
        }
    } else {
        op
    };
    match op {
        Op::Is => format!("{expr} = {p}"),
        Op::IsNot => format!("{expr} <> {p}"),
        Op::Contains => format!("strpos({expr}, {p}) > 0"),
        Op::NotContains => format!("strpos({expr}, {p}) = 0"),
        Op::StartsWith => format!("left({expr}, char_length({p})) = {p}"),
        Op::NotStartsWith => format!("left({expr}, char_length({p})) <> {p}"),
    }
}

fn param(base: usize, i: usize) -> String {
    format!("${}", base + i + 1)
}

/// `cond` or, for a negated filter, `NOT cond`.
fn signed(f: &Filter, cond: String) -> String {
    if f.op.negated() {
        format!("NOT {cond}")
    } else {
        cond
    }
}

/// The conjunction of `parts`, `TRUE` for none.
fn all(parts: Vec<String>) -> String {
    if parts.is_empty() {
        "TRUE".to_owned()
    } else {
        format!("({})", parts.join(" AND "))
    }
}

/// A bound statement parameter.
pub type Param<'a> = &'a (dyn tokio_postgres::types::ToSql + Sync);

/// `fixed` followed by the filter values (the statement's own parameters first, so filter `i`
/// is `$fixed.len() + i + 1`).
pub fn params<'a>(fixed: &[Param<'a>], vals: &'a [String]) -> Vec<Param<'a>> {
    let mut v: Vec<Param<'a>> = fixed.to_vec();
    v.extend(vals.iter().map(|s| s as Param<'a>));
    v
}

/// The filter values in parameter order.
pub fn values(filters: &Filters) -> Vec<String> {
    filters.iter().map(|f| f.value.clone()).collect()
}

/// The page predicates over the `hits` alias `h` (TRUE when no page filter).
fn page_preds(filters: &Filters, h: &str, base: usize) -> String {
    all(filters
        .iter()
        .enumerate()
        .filter(|(_, f)| f.field.per_hit())
        .map(|(i, f)| compare(&field_expr(f.field, h), f.op, &param(base, i), false))
        .collect())
}

/// The predicates that decide a session by its own row, its entry and its events, over the
/// `sessions` alias `s` (page filters not included).
fn session_own(filters: &Filters, s: &str, base: usize) -> Vec<String> {
    filters
        .iter()
        .enumerate()
        .filter(|(_, f)| !f.field.per_hit())
        .map(|(i, f)| {
            let p = param(base, i);
            match f.field {
                Field::Dim(d) | Field::Path(d) if d.scope == Scope::Entry => signed(
                    f,
                    format!(
                        "EXISTS (SELECT 1 FROM hits fe WHERE fe.session_id = {s}.id \
                         AND fe.service_id = {s}.service_id AND fe.start_time >= {s}.start_time \
                         AND fe.initial AND {})",
                        compare(&field_expr(f.field, "fe"), f.op, &p, true)
                    ),
                ),
                Field::Dim(_) | Field::Path(_) => compare(&field_expr(f.field, s), f.op, &p, false),
                Field::Event => signed(
                    f,
                    format!(
                        "EXISTS (SELECT 1 FROM events fv WHERE fv.session_id = {s}.id \
                         AND fv.service_id = {s}.service_id \
                         AND fv.session_start = {s}.start_time AND fv.name = {p})"
                    ),
                ),
            }
        })
        .collect()
}

/// Whether a session row under alias `s` belongs to the segment (`TRUE` when unfiltered).
pub fn session_clause(filters: &Filters, s: &str, base: usize) -> String {
    let mut parts = session_own(filters, s, base);
    if filters.iter().any(|f| f.field.per_hit()) {
        parts.push(format!(
            "EXISTS (SELECT 1 FROM hits fh WHERE fh.session_id = {s}.id \
             AND fh.service_id = {s}.service_id AND fh.start_time >= {s}.start_time AND {})",
            page_preds(filters, "fh", base)
        ));
    }
    all(parts)
}

/// Sessions lasting longer than this have their own index (migration V26, whose predicate
/// repeats this interval literally, as Postgres matches a partial index by its text).
pub const LONG_SESSION: &str = "24 hours";

/// A condition every session seen after `lo` meets, which lets Postgres find those sessions
/// without reading all the sessions last seen since then: either it started at most
/// [`LONG_SESSION`] before `lo` (the start-time index reads about a day of sessions), or it
/// lasted longer than that (the few long sessions, in the partial index of migration V26).
/// Alone, "last seen after `lo`" would read every session of the month since `lo`.
pub fn seen_after_hint(s: &str, lo: &str) -> String {
    format!(
        "({s}.start_time >= ({lo})::timestamptz - interval '{LONG_SESSION}' \
         OR {s}.last_seen - {s}.start_time > interval '{LONG_SESSION}')"
    )
}

/// Whether a hit row under alias `h` belongs to the segment: its page matches the page filters
/// and its session the others (`TRUE` when unfiltered). `within` is the SQL of the window's
/// strict bounds the statement puts on `h.start_time`: they bound the sessions looked up too
/// (a session starts no later than its hits and is last seen no earlier, and
/// [`seen_after_hint`]), so Postgres reads the window's sessions once and joins them by hash,
/// instead of probing every `sessions` partition once per hit.
pub fn hit_clause(filters: &Filters, h: &str, base: usize, within: (&str, &str)) -> String {
    let mut parts = Vec::new();
    if filters.iter().any(|f| f.field.per_hit()) {
        parts.push(page_preds(filters, h, base));
    }
    let own = session_own(filters, "fs", base);
    if !own.is_empty() {
        let (lo, hi) = within;
        parts.push(format!(
            "EXISTS (SELECT 1 FROM sessions fs WHERE fs.id = {h}.session_id \
             AND fs.service_id = {h}.service_id AND fs.start_time < {hi} AND fs.last_seen > {lo} \
             AND {} AND {})",
            seen_after_hint("fs", lo),
            all(own)
        ));
    }
    all(parts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filters::Syntax;

    fn f(items: &[&str]) -> Filters {
        Filters::parse(items.iter().copied(), Syntax::Url).unwrap()
    }

    #[test]
    fn the_long_sessions_index_has_the_readers_interval() {
        let migration = include_str!("../../migrations/V26__long_sessions_index.sql");
        let predicate = format!("WHERE last_seen - start_time > interval '{LONG_SESSION}'");
        assert!(migration.contains(&predicate), "{predicate}");
        assert!(seen_after_hint("fs", "$2").contains(
            &predicate[6..]
                .replace("last_seen", "fs.last_seen")
                .replace("- start_time", "- fs.start_time")
        ));
    }

    #[test]
    fn unfiltered_is_true() {
        assert_eq!(session_clause(&Filters::none(), "s", 3), "TRUE");
        assert_eq!(hit_clause(&Filters::none(), "h", 3, ("$2", "$3")), "TRUE");
    }

    #[test]
    fn values_are_parameters_never_text() {
        let x = f(&[
            "country:DE'--",
            "page~:/blog/",
            "referrer!:x",
            "event:signup",
        ]);
        let s = session_clause(&x, "s", 5);
        let h = hit_clause(&x, "h", 5, ("$2", "$3"));
        for sql in [&s, &h] {
            assert!(!sql.contains("DE'--") && !sql.contains("/blog/") && !sql.contains("signup"));
        }
        assert!(s.contains("s.country = $6"), "{s}");
        assert!(s.contains("strpos(coalesce(fh.location_clean, fh.location), $7) > 0"));
        assert!(s.contains("NOT EXISTS (SELECT 1 FROM hits fe"), "{s}");
        assert!(s.contains("fe.referrer = $8"), "{s}");
        assert!(s.contains("fv.name = $9"));
        assert!(h.contains("(strpos(coalesce(h.location_clean, h.location), $7) > 0) AND EXISTS (SELECT 1 FROM sessions fs"), "{h}");
        assert!(h.contains("fs.country = $6"));
        assert_eq!(values(&x), ["DE'--", "/blog/", "x", "signup"]);
    }

    #[test]
    fn composite_keys_compare_their_expression() {
        let s = session_clause(&f(&["browser_version!:Chrome / 124"]), "s", 0);
        assert!(s.contains("concat_ws(' / ', nullif(s.browser, ''), nullif(split_part(s.browser_version, '.', 1), '')) <> $1"), "{s}");
    }
}
