//! Filters: the segment a dashboard view, an API call or `shynet stats` narrows to. One filter is
//! a field (a registry dimension, or a custom event's name), an operator and a value; several
//! filters combine with AND. This module parses and validates them (pure, no SQL); the SQL lives
//! in [`crate::filter_sql`] and the figures in [`crate::filtered`].
//!
//! Two spellings of the same thing, one per place they are typed:
//!
//! | operator | URL / API (`f=`, `filters=`) | CLI (`--filter`) |
//! |---|---|---|
//! | is | `country:DE` | `country=DE` |
//! | is not | `country!:DE` | `country!=DE` |
//! | contains | `page~:/blog/` | `page~=/blog/` |
//! | does not contain | `page!~:/blog/` | `page!~=/blog/` |
//! | starts with | `page_path^:/blog/` | `page_path^=/blog/` |
//! | does not start with | `page_path!^:/blog/` | `page_path!^=/blog/` |
//!
//! "Contains" and "starts with" are plain text matches (no wildcards), offered for pages, their
//! paths (`page_path`, `entry_path`, `exit_path`: the URL's path as Plausible reports pages) and
//! referrers.

use crate::dimensions::{self, Dimension, Scope};
use std::fmt;

/// Most filters one view combines: each adds a predicate to every raw read of the view, so the
/// cost of a filtered page grows with it.
pub const MAX_FILTERS: usize = 8;

/// Longest filter value in characters (URLs are the longest keys a table shows).
pub const MAX_VALUE_CHARS: usize = 1000;

/// The field name for custom events (not a registry dimension: a session matches when it sent
/// an event of that name).
pub const EVENT_FIELD: &str = "event";

/// What a filter looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// A dimension of the registry, compared on the key its table shows.
    Dim(&'static Dimension),
    /// The path of a page dimension's URL (no scheme, host, query or fragment; "/" when empty):
    /// pages as Plausible reports them (`page_path`, `entry_path`, `exit_path`).
    Path(&'static Dimension),
    /// The name of a custom event the session sent.
    Event,
}

/// The page dimensions that have a path field, and its name.
const PATHS: [(&Dimension, &str); 3] = [
    (&dimensions::LOCATION, "page_path"),
    (&dimensions::ENTRY_PAGE, "entry_path"),
    (&dimensions::EXIT_PAGE, "exit_path"),
];

impl Field {
    /// The name filters use for it (the registry name; `page` for pages).
    pub fn name(&self) -> &'static str {
        match self {
            Field::Dim(d) if **d == dimensions::LOCATION => "page",
            Field::Dim(d) => d.name,
            Field::Path(d) => PATHS
                .iter()
                .find(|(p, _)| *p == *d)
                .map_or("page_path", |(_, n)| n),
            Field::Event => EVENT_FIELD,
        }
    }

    /// The dimension it reads, if any.
    pub fn dimension(&self) -> Option<&'static Dimension> {
        match self {
            Field::Dim(d) | Field::Path(d) => Some(d),
            Field::Event => None,
        }
    }

    /// Whether a substring match is offered (pages and referrers).
    pub fn allows_contains(&self) -> bool {
        matches!(self, Field::Dim(d) if d.links) || matches!(self, Field::Path(_))
    }

    /// How the pages title it.
    pub fn title(&self) -> &'static str {
        match self {
            Field::Dim(d) => d.heading,
            Field::Path(_) => "Path",
            Field::Event => "Event",
        }
    }

    /// Looks a field up by the name filters use (`page` and `location` both name pages).
    pub fn by_name(name: &str) -> Option<Field> {
        if name == EVENT_FIELD {
            return Some(Field::Event);
        }
        if let Some((d, _)) = PATHS.iter().find(|(_, n)| *n == name) {
            return Some(Field::Path(d));
        }
        let name = if name == "page" { "location" } else { name };
        dimensions::ALL
            .iter()
            .find(|d| d.name == name)
            .map(Field::Dim)
    }

    /// Whether it is decided per hit (pages) rather than per session.
    pub fn per_hit(&self) -> bool {
        self.dimension().is_some_and(|d| d.scope == Scope::Hit)
    }
}

/// How the value is compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// Equal.
    Is,
    /// Not equal.
    IsNot,
    /// Contains the value.
    Contains,
    /// Does not contain the value.
    NotContains,
    /// Starts with the value.
    StartsWith,
    /// Does not start with the value.
    NotStartsWith,
}

impl Op {
    /// The part before the separator: "", "!", "~", "!~".
    fn token(self) -> &'static str {
        match self {
            Op::Is => "",
            Op::IsNot => "!",
            Op::Contains => "~",
            Op::NotContains => "!~",
            Op::StartsWith => "^",
            Op::NotStartsWith => "!^",
        }
    }

    /// Whether the operator negates.
    pub fn negated(self) -> bool {
        matches!(self, Op::IsNot | Op::NotContains | Op::NotStartsWith)
    }

    /// Whether it matches part of a value (contains, starts with).
    pub fn partial(self) -> bool {
        !matches!(self, Op::Is | Op::IsNot)
    }

    /// How the pages word it.
    pub fn words(self) -> &'static str {
        match self {
            Op::Is => "is",
            Op::IsNot => "is not",
            Op::Contains => "contains",
            Op::NotContains => "does not contain",
            Op::StartsWith => "starts with",
            Op::NotStartsWith => "does not start with",
        }
    }
}

/// One filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    /// What it looks at.
    pub field: Field,
    /// How it compares.
    pub op: Op,
    /// The value (a table key as stored: `DE`, `Chrome / 124`, a full page URL, "" = unknown).
    pub value: String,
}

/// Which spelling a filter is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    /// `country:DE` (URLs and the JSON API).
    Url,
    /// `country=DE` (the command line).
    Cli,
}

impl Syntax {
    fn separator(self) -> char {
        match self {
            Syntax::Url => ':',
            Syntax::Cli => '=',
        }
    }
}

/// Why filters were refused; the message is shown to whoever typed them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilterError {
    /// No separator, or nothing before it.
    #[error("malformed filter {0:?}: write it as FIELD{1}VALUE, FIELD!{1}VALUE, FIELD~{1}VALUE or FIELD!~{1}VALUE")]
    Malformed(String, char),
    /// The field is not one filters know.
    #[error("unknown filter field {0:?}; known fields: {1}")]
    UnknownField(String, String),
    /// Contains on a field without it.
    #[error("\"contains\" and \"starts with\" filters work on pages, paths and referrers only, not on {0:?}")]
    NoContains(String),
    /// Too long a value.
    #[error("filter value of {0:?} is longer than {MAX_VALUE_CHARS} characters")]
    TooLong(String),
    /// A value with control characters.
    #[error("filter value of {0:?} contains control characters")]
    Control(String),
    /// More than [`MAX_FILTERS`].
    #[error("too many filters: {0} given, at most {MAX_FILTERS} combine")]
    TooMany(usize),
}

/// Every field name filters accept, for error messages and documentation.
pub fn field_names() -> Vec<&'static str> {
    let mut out: Vec<&'static str> = dimensions::ALL
        .iter()
        .map(|d| Field::Dim(d).name())
        .collect();
    out.extend(PATHS.iter().map(|(_, n)| *n));
    out.push(EVENT_FIELD);
    out
}

impl Filter {
    /// Parses one filter in `syntax`.
    pub fn parse(s: &str, syntax: Syntax) -> Result<Filter, FilterError> {
        let sep = syntax.separator();
        let malformed = || FilterError::Malformed(s.chars().take(80).collect(), sep);
        let (head, value) = s.split_once(sep).ok_or_else(malformed)?;
        let (name, op) = if let Some(n) = head.strip_suffix("!~") {
            (n, Op::NotContains)
        } else if let Some(n) = head.strip_suffix("!^") {
            (n, Op::NotStartsWith)
        } else if let Some(n) = head.strip_suffix('^') {
            (n, Op::StartsWith)
        } else if let Some(n) = head.strip_suffix('~') {
            (n, Op::Contains)
        } else if let Some(n) = head.strip_suffix('!') {
            (n, Op::IsNot)
        } else {
            (head, Op::Is)
        };
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
            return Err(malformed());
        }
        let field = Field::by_name(name)
            .ok_or_else(|| FilterError::UnknownField(name.to_owned(), field_names().join(", ")))?;
        if op.partial() && !field.allows_contains() {
            return Err(FilterError::NoContains(name.to_owned()));
        }
        if value.chars().count() > MAX_VALUE_CHARS {
            return Err(FilterError::TooLong(name.to_owned()));
        }
        if value.chars().any(char::is_control) {
            return Err(FilterError::Control(name.to_owned()));
        }
        if op.partial() && value.is_empty() {
            return Err(malformed());
        }
        Ok(Filter {
            field,
            op,
            value: value.to_owned(),
        })
    }

    /// The filter written in `syntax` (what [`Filter::parse`] reads back).
    pub fn write(&self, syntax: Syntax) -> String {
        format!(
            "{}{}{}{}",
            self.field.name(),
            self.op.token(),
            syntax.separator(),
            self.value
        )
    }
}

/// The filters of one view, validated: at most [`MAX_FILTERS`], duplicates removed, in the order
/// given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters(Vec<Filter>);

impl Filters {
    /// No filter: the unfiltered (rollup) path.
    pub fn none() -> Filters {
        Filters(Vec::new())
    }

    /// Parses every item in `syntax`.
    pub fn parse<'a>(
        items: impl IntoIterator<Item = &'a str>,
        syntax: Syntax,
    ) -> Result<Filters, FilterError> {
        let mut out: Vec<Filter> = Vec::new();
        let mut given = 0;
        for s in items {
            given += 1;
            if given > MAX_FILTERS {
                continue;
            }
            let f = Filter::parse(s, syntax)?;
            if !out.contains(&f) {
                out.push(f);
            }
        }
        if given > MAX_FILTERS {
            return Err(FilterError::TooMany(given));
        }
        Ok(Filters(out))
    }

    /// Whether there is no filter.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The filters in order.
    pub fn iter(&self) -> impl Iterator<Item = &Filter> {
        self.0.iter()
    }

    /// How many.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// These filters and `f` (unchanged when `f` is already among them or the maximum is
    /// reached).
    pub fn with(&self, f: Filter) -> Filters {
        let mut v = self.0.clone();
        if !v.contains(&f) && v.len() < MAX_FILTERS {
            v.push(f);
        }
        Filters(v)
    }

    /// These filters without the one at `index`.
    pub fn without(&self, index: usize) -> Filters {
        let mut v = self.0.clone();
        if index < v.len() {
            v.remove(index);
        }
        Filters(v)
    }

    /// Each filter written in `syntax`.
    pub fn written(&self, syntax: Syntax) -> Vec<String> {
        self.0.iter().map(|f| f.write(syntax)).collect()
    }
}

impl fmt::Display for Filters {
    /// "country is DE and page contains /blog/".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|x| format!("{} {} {:?}", x.field.name(), x.op.words(), x.value))
            .collect();
        f.write_str(&parts.join(" and "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Result<Filter, FilterError> {
        Filter::parse(s, Syntax::Url)
    }

    #[test]
    fn parses_every_operator_in_both_spellings() {
        let f = url("country:DE").unwrap();
        assert_eq!(f.field, Field::Dim(&dimensions::COUNTRY));
        assert_eq!((f.op, f.value.as_str()), (Op::Is, "DE"));
        assert_eq!(url("country!:DE").unwrap().op, Op::IsNot);
        let p = url("page~:/blog/").unwrap();
        assert_eq!(p.field, Field::Dim(&dimensions::LOCATION));
        assert_eq!((p.op, p.value.as_str()), (Op::Contains, "/blog/"));
        assert_eq!(url("referrer!~:google").unwrap().op, Op::NotContains);
        let c = Filter::parse("page~=/blog/", Syntax::Cli).unwrap();
        assert_eq!(c, p);
        assert_eq!(c.write(Syntax::Url), "page~:/blog/");
        assert_eq!(c.write(Syntax::Cli), "page~=/blog/");
        // Values keep their own separators; empty values mean "unknown".
        let u = url("page:https://a.example/x?y=1").unwrap();
        assert_eq!(u.value, "https://a.example/x?y=1");
        assert_eq!(url("country:").unwrap().value, "");
        assert_eq!(url("region:DE / Bavaria").unwrap().value, "DE / Bavaria");
        assert_eq!(url("event:signup").unwrap().field, Field::Event);
        assert_eq!(url("location:x").unwrap().field.name(), "page");
        let p = url("page_path!^:/blog").unwrap();
        assert_eq!(
            (p.field, p.op),
            (Field::Path(&dimensions::LOCATION), Op::NotStartsWith)
        );
        assert_eq!(p.write(Syntax::Url), "page_path!^:/blog");
        assert_eq!(url("exit_path^:/a").unwrap().field.name(), "exit_path");
    }

    #[test]
    fn refuses_bad_input_with_a_reason() {
        assert!(matches!(url("country"), Err(FilterError::Malformed(..))));
        assert!(matches!(url(":DE"), Err(FilterError::Malformed(..))));
        assert!(matches!(url("Country:DE"), Err(FilterError::Malformed(..))));
        assert!(matches!(url("page~:"), Err(FilterError::Malformed(..))));
        let e = url("colour:red").unwrap_err();
        assert!(e.to_string().contains("unknown filter field \"colour\""));
        assert!(e.to_string().contains("browser_version"));
        assert!(matches!(url("country~:D"), Err(FilterError::NoContains(_))));
        assert!(matches!(
            url(&format!("page:{}", "x".repeat(MAX_VALUE_CHARS + 1))),
            Err(FilterError::TooLong(_))
        ));
        assert!(matches!(url("page:a\nb"), Err(FilterError::Control(_))));
        let many: Vec<String> = (0..=MAX_FILTERS).map(|i| format!("city:c{i}")).collect();
        let e = Filters::parse(many.iter().map(String::as_str), Syntax::Url).unwrap_err();
        assert_eq!(e, FilterError::TooMany(MAX_FILTERS + 1));
        assert!(e.to_string().contains(&format!("at most {MAX_FILTERS}")));
    }

    #[test]
    fn sets_drop_duplicates_and_add_or_remove_one() {
        let f =
            Filters::parse(["country:DE", "browser:Firefox", "country:DE"], Syntax::Url).unwrap();
        assert_eq!(f.len(), 2);
        assert_eq!(f.written(Syntax::Url), ["country:DE", "browser:Firefox"]);
        let g = f.with(url("page~:/blog/").unwrap());
        assert_eq!(g.len(), 3);
        assert_eq!(g.with(url("country:DE").unwrap()), g);
        assert_eq!(
            g.without(0).written(Syntax::Cli),
            ["browser=Firefox", "page~=/blog/"]
        );
        assert_eq!(
            g.to_string(),
            "country is \"DE\" and browser is \"Firefox\" and page contains \"/blog/\""
        );
        assert!(Filters::none().is_empty());
    }
}
