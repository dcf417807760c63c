//! The message catalogues: every text the dashboard and its mail show people, in Project
//! Fluent's `.ftl` files under `dashboard/locales/<code>/`, compiled into the binary and parsed
//! once (at start-up, by [`init`]). English is complete (a test checks every key used exists);
//! a message missing from another language falls back to English, so a half-done translation
//! still renders, but a test also checks that German has every English key.
//!
//! Numbers given to a message are written the language's way (`1,234` or `1.234`). Bidi
//! isolation marks are off: the dashboard's texts are left-to-right and the marks would end up in
//! mail subjects and test output.

use crate::lang::{self, Lang};
use crate::numbers;
use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use std::borrow::Cow;
use std::sync::OnceLock;

/// One catalogue file: its name (for error messages) and text.
type Source = (&'static str, &'static str);

/// Every catalogue file of a language. Adding a language: copy `locales/en/`, translate it,
/// add a [`Lang`] variant and its line here.
const SOURCES: &[(Lang, &[Source])] = &[
    (
        Lang::En,
        &[
            ("common.ftl", include_str!("../locales/en/common.ftl")),
            ("accounts.ftl", include_str!("../locales/en/accounts.ftl")),
            ("service.ftl", include_str!("../locales/en/service.ftl")),
            ("manage.ftl", include_str!("../locales/en/manage.ftl")),
            ("mail.ftl", include_str!("../locales/en/mail.ftl")),
        ],
    ),
    (
        Lang::De,
        &[
            ("common.ftl", include_str!("../locales/de/common.ftl")),
            ("accounts.ftl", include_str!("../locales/de/accounts.ftl")),
            ("service.ftl", include_str!("../locales/de/service.ftl")),
            ("manage.ftl", include_str!("../locales/de/manage.ftl")),
            ("mail.ftl", include_str!("../locales/de/mail.ftl")),
        ],
    ),
];

/// The parsed catalogues, one bundle per language in [`Lang::ALL`] order.
struct Catalogues {
    bundles: Vec<(Lang, FluentBundle<FluentResource>)>,
}

static CATALOGUES: OnceLock<Result<Catalogues, String>> = OnceLock::new();

/// A value for a message's `{ $name }`.
#[derive(Debug, Clone)]
pub enum Arg<'a> {
    /// Text, inserted as it is.
    Text(Cow<'a, str>),
    /// A number: written the language's way, and usable for plural choices. Limits quoted in
    /// error messages (`1 to 36500 days`) are passed as text instead, so they read the same as
    /// in the form's own attributes.
    Num(f64),
}

impl<'a> From<&'a str> for Arg<'a> {
    fn from(s: &'a str) -> Arg<'a> {
        Arg::Text(Cow::Borrowed(s))
    }
}

impl From<String> for Arg<'_> {
    fn from(s: String) -> Self {
        Arg::Text(Cow::Owned(s))
    }
}

impl From<i64> for Arg<'_> {
    fn from(n: i64) -> Self {
        Arg::Num(n as f64)
    }
}

/// Parses every catalogue. Called once at start-up so a broken catalogue stops the server
/// there, not on some later page; later calls return the first result.
pub fn init() -> Result<(), String> {
    catalogues().map(|_| ())
}

fn catalogues() -> Result<&'static Catalogues, String> {
    CATALOGUES
        .get_or_init(parse_all)
        .as_ref()
        .map_err(Clone::clone)
}

fn parse_all() -> Result<Catalogues, String> {
    let mut bundles = Vec::with_capacity(SOURCES.len());
    for (lang, files) in SOURCES {
        let id = lang
            .code()
            .parse()
            .map_err(|e| format!("{}: {e}", lang.code()))?;
        let mut bundle = FluentBundle::new_concurrent(vec![id]);
        bundle.set_use_isolating(false);
        bundle.set_formatter(Some(match lang {
            Lang::En => format_en,
            Lang::De => format_de,
        }));
        for (name, text) in *files {
            let res = FluentResource::try_new((*text).to_owned())
                .map_err(|(_, errs)| format!("locales/{}/{name}: {errs:?}", lang.code()))?;
            bundle
                .add_resource(res)
                .map_err(|errs| format!("locales/{}/{name}: {errs:?}", lang.code()))?;
        }
        bundles.push((*lang, bundle));
    }
    Ok(Catalogues { bundles })
}

fn format_en<M>(v: &FluentValue, _: &M) -> Option<String> {
    format_number(Lang::En, v)
}

fn format_de<M>(v: &FluentValue, _: &M) -> Option<String> {
    format_number(Lang::De, v)
}

/// Whole numbers with the language's grouping (`1,234`, `1.234`); others with all their
/// digits and the language's decimal mark (`0.25`, `0,25`), since a message cannot know how
/// many of them matter.
fn format_number(lang: Lang, v: &FluentValue) -> Option<String> {
    let FluentValue::Number(n) = v else {
        return None;
    };
    let x = n.value;
    if x.fract() == 0.0 && x.abs() < 1e15 {
        Some(numbers::int_in(lang, x as i64))
    } else {
        Some(numbers::decimal_in(lang, x))
    }
}

fn bundle(cats: &Catalogues, lang: Lang) -> Option<&FluentBundle<FluentResource>> {
    cats.bundles
        .iter()
        .find(|(l, _)| *l == lang)
        .map(|(_, b)| b)
}

/// The message `key` in `lang` (English when `lang` lacks it; the key itself when English
/// lacks it too, which the catalogue tests forbid).
pub fn tr(lang: Lang, key: &str) -> String {
    tr_args(lang, key, &[])
}

/// The message `key` in `lang` with its arguments.
pub fn tr_args(lang: Lang, key: &str, args: &[(&str, Arg)]) -> String {
    let Ok(cats) = catalogues() else {
        return key.to_owned();
    };
    let found = [lang, Lang::En].into_iter().find_map(|l| {
        let b = bundle(cats, l)?;
        let pattern = b.get_message(key)?.value()?;
        Some((b, pattern))
    });
    let Some((b, pattern)) = found else {
        return key.to_owned();
    };
    let mut fargs = FluentArgs::new();
    for (name, value) in args {
        match value {
            Arg::Text(s) => fargs.set(*name, FluentValue::from(s.as_ref())),
            Arg::Num(n) => fargs.set(*name, FluentValue::from(*n)),
        }
    }
    let mut errors = Vec::new();
    b.format_pattern(pattern, Some(&fargs), &mut errors)
        .into_owned()
}

/// The message `key` in the language of the request being answered ([`lang::current`]):
/// for code far from the page's context (form checks, shared helpers). Outside a request (the
/// CLI) that is English.
pub fn tr_now(key: &str) -> String {
    tr(lang::current(), key)
}

/// [`tr_now`] with arguments.
pub fn tr_now_args(key: &str, args: &[(&str, Arg)]) -> String {
    tr_args(lang::current(), key, args)
}

/// Whether `lang`'s own catalogue has `key` (without falling back).
pub fn has_key(lang: Lang, key: &str) -> bool {
    catalogues()
        .ok()
        .and_then(|c| bundle(c, lang))
        .is_some_and(|b| b.has_message(key))
}

/// Every message key of `lang`'s catalogue files, as written (for the completeness tests).
pub fn keys(lang: Lang) -> Vec<&'static str> {
    SOURCES
        .iter()
        .filter(|(l, _)| *l == lang)
        .flat_map(|(_, files)| files.iter())
        .flat_map(|(_, text)| text.lines())
        .filter_map(|line| {
            let (id, _) = line.split_once(" =")?;
            let ok = id.starts_with(|c: char| c.is_ascii_lowercase())
                && id
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            ok.then_some(id)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogues_parse_and_fall_back_to_english() {
        init().expect("catalogues parse");
        assert_eq!(tr(Lang::En, "layout-sign-out"), "Sign out");
        assert_eq!(tr(Lang::De, "layout-sign-out"), "Abmelden");
        assert_eq!(tr(Lang::De, "no-such-key"), "no-such-key");
        assert!(!has_key(Lang::En, "no-such-key"));
    }

    #[test]
    fn numbers_in_messages_follow_the_language() {
        let args = [("count", Arg::from(1234i64))];
        assert_eq!(tr_args(Lang::En, "service-online", &args), "1,234 online");
        assert_eq!(tr_args(Lang::De, "service-online", &args), "1.234 online");
    }
}
