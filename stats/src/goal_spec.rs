//! What a goal is, checked before it is stored: the one place that says which goal definitions
//! are valid, shared by `shynet goal add` and the manage page so both refuse the same input with
//! the same reasons.
//!
//! A goal is reached by a session that sent an event with a given name (optionally carrying one
//! property with a given value), or that viewed a page whose path matches a glob
//! ([`crate::glob`]). Conversions count sessions, never events or page views: a session that
//! reaches a goal twice, or matches a page glob with two different paths, counts once.

use crate::glob::{self, GlobError};
use std::fmt;

/// Most goals one service can have: every goal costs one rollup row per hour with conversions
/// and a line in each stats read.
pub const MAX_GOALS_PER_SERVICE: i64 = 20;
/// Longest goal name, in characters.
pub const MAX_GOAL_NAME_CHARS: usize = 64;
/// Longest event name a goal can name, in characters.
pub const MAX_EVENT_NAME_CHARS: usize = 200;
/// Longest property key a goal can name, in characters.
pub const MAX_PROP_KEY_CHARS: usize = 200;
/// Longest property value a goal can name, in characters.
pub const MAX_PROP_VALUE_CHARS: usize = 500;

/// A goal definition that cannot be stored, with the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GoalError {
    /// No name.
    #[error("the goal needs a name")]
    NameEmpty,
    /// Name too long.
    #[error("the goal name is longer than {MAX_GOAL_NAME_CHARS} characters")]
    NameTooLong,
    /// Control characters in a text.
    #[error("the {0} contains control characters")]
    Control(&'static str),
    /// Neither an event nor a page.
    #[error("say what reaches the goal: an event name or a page pattern")]
    NoTarget,
    /// Both an event and a page.
    #[error("a goal is either an event or a page pattern, not both")]
    BothTargets,
    /// Empty event name.
    #[error("the event name is empty")]
    EventEmpty,
    /// Event name too long.
    #[error("the event name is longer than {MAX_EVENT_NAME_CHARS} characters")]
    EventTooLong,
    /// A property on a page goal.
    #[error("a property can only be given with an event")]
    PropWithoutEvent,
    /// Not `key=value`.
    #[error("write the property as key=value (for example plan=pro)")]
    PropSyntax,
    /// Key or value too long.
    #[error(
        "the property key is limited to {MAX_PROP_KEY_CHARS} characters and its value to \
         {MAX_PROP_VALUE_CHARS}"
    )]
    PropTooLong,
    /// Bad page glob.
    #[error(transparent)]
    Glob(#[from] GlobError),
}

/// What reaches a goal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// An event with this name, optionally with the property `key` set to `value`.
    Event {
        /// Event name (exact, case-sensitive).
        name: String,
        /// `(key, value)` the event must carry.
        prop: Option<(String, String)>,
    },
    /// A page view whose path matches the glob.
    Page {
        /// The glob as the owner wrote it.
        glob: String,
        /// Its anchored regular expression ([`glob::to_regex`]).
        regex: String,
    },
}

/// How a goal's definition reads: "event signup", "event signup with plan=pro", "page /blog/*".
pub fn describe(event: Option<&str>, prop: Option<(&str, &str)>, page: Option<&str>) -> String {
    match (event, prop, page) {
        (Some(e), Some((k, v)), _) => format!("event {e} with {k}={v}"),
        (Some(e), None, _) => format!("event {e}"),
        (None, _, Some(p)) => format!("page {p}"),
        (None, _, None) => String::new(),
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&match self {
            Target::Event { name, prop } => describe(
                Some(name),
                prop.as_ref().map(|(k, v)| (k.as_str(), v.as_str())),
                None,
            ),
            Target::Page { glob, .. } => describe(None, None, Some(glob)),
        })
    }
}

/// A valid goal definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoalSpec {
    /// Display name, unique per service.
    pub name: String,
    /// What reaches it.
    pub target: Target,
}

fn no_control(s: &str, what: &'static str) -> Result<(), GoalError> {
    if s.chars().any(char::is_control) {
        return Err(GoalError::Control(what));
    }
    Ok(())
}

/// Parses `key=value` (split at the first `=`; the key is trimmed, the value kept as written).
pub fn parse_prop(s: &str) -> Result<(String, String), GoalError> {
    let (k, v) = s.split_once('=').ok_or(GoalError::PropSyntax)?;
    let k = k.trim();
    if k.is_empty() || v.is_empty() {
        return Err(GoalError::PropSyntax);
    }
    if k.chars().count() > MAX_PROP_KEY_CHARS || v.chars().count() > MAX_PROP_VALUE_CHARS {
        return Err(GoalError::PropTooLong);
    }
    no_control(k, "property key")?;
    no_control(v, "property value")?;
    Ok((k.to_owned(), v.to_owned()))
}

/// Checks a goal name (trimmed).
pub fn check_name(name: &str) -> Result<String, GoalError> {
    let n = name.trim();
    if n.is_empty() {
        return Err(GoalError::NameEmpty);
    }
    if n.chars().count() > MAX_GOAL_NAME_CHARS {
        return Err(GoalError::NameTooLong);
    }
    no_control(n, "goal name")?;
    Ok(n.to_owned())
}

/// A field that was given: present and not blank.
fn given(x: Option<&str>) -> Option<&str> {
    x.map(str::trim).filter(|x| !x.is_empty())
}

/// A goal's parts as they are stored: event name, property `(key, value)`, page `(glob,
/// regex)`.
pub type StoredParts<'a> = (
    Option<&'a str>,
    Option<(&'a str, &'a str)>,
    Option<(&'a str, &'a str)>,
);

impl GoalSpec {
    /// The parts to store.
    pub fn parts(&self) -> StoredParts<'_> {
        match &self.target {
            Target::Event { name, prop } => (
                Some(name.as_str()),
                prop.as_ref().map(|(k, v)| (k.as_str(), v.as_str())),
                None,
            ),
            Target::Page { glob, regex } => (None, None, Some((glob.as_str(), regex.as_str()))),
        }
    }

    /// A goal from its parts as a form or the command line gives them: empty strings count as
    /// absent, so a form's blank fields need no special casing.
    pub fn new(
        name: &str,
        event: Option<&str>,
        prop: Option<&str>,
        page: Option<&str>,
    ) -> Result<GoalSpec, GoalError> {
        let name = check_name(name)?;
        let target = match (given(event), given(prop), given(page)) {
            (None, _, None) => return Err(GoalError::NoTarget),
            (Some(_), _, Some(_)) => return Err(GoalError::BothTargets),
            (None, Some(_), Some(_)) => return Err(GoalError::PropWithoutEvent),
            (None, None, Some(p)) => Target::Page {
                glob: glob::validate(p)?,
                regex: glob::to_regex(p)?,
            },
            (Some(e), prop, None) => {
                if e.chars().count() > MAX_EVENT_NAME_CHARS {
                    return Err(GoalError::EventTooLong);
                }
                no_control(e, "event name")?;
                Target::Event {
                    name: e.to_owned(),
                    prop: prop.map(parse_prop).transpose()?,
                }
            }
        };
        Ok(GoalSpec { name, target })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_and_page_goals_are_built_from_their_parts() {
        let g = GoalSpec::new(" Signup ", Some("signup"), Some("plan=pro=x"), None).unwrap();
        assert_eq!(g.name, "Signup");
        assert_eq!(
            g.target,
            Target::Event {
                name: "signup".into(),
                prop: Some(("plan".into(), "pro=x".into()))
            }
        );
        assert_eq!(g.target.to_string(), "event signup with plan=pro=x");
        let g = GoalSpec::new("Docs", Some(""), Some(""), Some("/docs/**")).unwrap();
        assert!(matches!(&g.target, Target::Page { glob, .. } if glob == "/docs/**"));
        assert_eq!(g.target.to_string(), "page /docs/**");
    }

    #[test]
    fn bad_definitions_say_why() {
        fn new(n: &str, e: Option<&str>, p: Option<&str>, g: Option<&str>) -> GoalError {
            GoalSpec::new(n, e, p, g).unwrap_err()
        }
        assert_eq!(new("", Some("x"), None, None), GoalError::NameEmpty);
        assert_eq!(
            new(&"n".repeat(65), Some("x"), None, None),
            GoalError::NameTooLong
        );
        assert_eq!(
            new("a\u{7}", Some("x"), None, None),
            GoalError::Control("goal name")
        );
        assert_eq!(new("g", None, None, None), GoalError::NoTarget);
        assert_eq!(new("g", Some("x"), None, Some("/")), GoalError::BothTargets);
        assert_eq!(
            new("g", None, Some("a=b"), Some("/")),
            GoalError::PropWithoutEvent
        );
        assert_eq!(new("g", None, Some("a=b"), None), GoalError::NoTarget);
        assert_eq!(new("g", Some("x"), Some("ab"), None), GoalError::PropSyntax);
        assert_eq!(new("g", Some("x"), Some("=b"), None), GoalError::PropSyntax);
        assert_eq!(new("g", Some("x"), Some("a="), None), GoalError::PropSyntax);
        assert_eq!(
            new("g", Some(&"e".repeat(201)), None, None),
            GoalError::EventTooLong
        );
        assert_eq!(
            new("g", None, None, Some("pricing")),
            GoalError::Glob(GlobError::NotAPath)
        );
        assert!(new("g", None, None, Some("pricing"))
            .to_string()
            .contains("must start with /"));
    }
}
