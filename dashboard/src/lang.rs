//! Which language a request is answered in: the signed-in user's setting (`users.language`)
//! wins; with "automatic" (or nobody signed in) the browser's `Accept-Language` decides (q-values
//! honoured); anything unusable falls back to English, never to an error. Pure: the catalogues
//! live in [`crate::i18n`], the setting's form in `pages/accounts/preferences.rs`.
//!
//! The language of the request being answered is also kept in a task-local, so the number and
//! date formatting deep inside a page (charts, tables, badges) follows it without every
//! function taking a language argument; outside a request (mail, the CLI) it is English unless
//! the caller sets one with [`with_lang`].

use std::cell::Cell;
use std::future::Future;

/// A language the dashboard has a complete message catalogue for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum Lang {
    /// English: the default and the fallback for any missing message.
    #[default]
    En,
    /// German.
    De,
}

/// The longest `Accept-Language` header read; longer ones are ignored (English).
pub const MAX_ACCEPT_LANGUAGE_LEN: usize = 1024;
/// At most this many language ranges of a header are considered.
pub const MAX_LANGUAGE_RANGES: usize = 32;

impl Lang {
    /// Every language, in the order the preferences page offers them.
    pub const ALL: [Lang; 2] = [Lang::En, Lang::De];

    /// The BCP 47 code: `<html lang>`, `users.language`, the form value.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::De => "de",
        }
    }

    /// The language's own name, as offered on the preferences page.
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::De => "Deutsch",
        }
    }

    /// The language of an exact code; `None` for anything else.
    pub fn from_code(code: &str) -> Option<Lang> {
        Lang::ALL.into_iter().find(|l| l.code() == code)
    }

    /// The language a language range names (`de`, `de-DE`, `DE-at`, `en-GB`); `None` for
    /// ranges without a catalogue (and for `*`).
    fn of_range(range: &str) -> Option<Lang> {
        let primary = range.split('-').next().unwrap_or("");
        Lang::ALL
            .into_iter()
            .find(|l| l.code().eq_ignore_ascii_case(primary))
    }
}

/// What a user chose on the preferences page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LangSetting {
    /// Follow the browser (`Accept-Language`); English in mail.
    #[default]
    Auto,
    /// Always this language.
    Fixed(Lang),
}

impl LangSetting {
    /// The code stored in `users.language` and sent by the form.
    pub fn code(self) -> &'static str {
        match self {
            LangSetting::Auto => "auto",
            LangSetting::Fixed(l) => l.code(),
        }
    }

    /// Every setting, in the order the preferences page offers them.
    pub fn all() -> impl Iterator<Item = LangSetting> {
        std::iter::once(LangSetting::Auto).chain(Lang::ALL.into_iter().map(LangSetting::Fixed))
    }

    /// The setting of a submitted code; `None` for anything else.
    pub fn from_code(code: &str) -> Option<LangSetting> {
        LangSetting::all().find(|s| s.code() == code)
    }

    /// The setting a stored code names; automatic for anything unknown (a row written by a
    /// newer version must not break the page).
    pub fn from_stored(code: &str) -> LangSetting {
        LangSetting::from_code(code).unwrap_or_default()
    }

    /// The language of a page: the fixed choice, else the browser's.
    pub fn for_page(self, accept_language: Option<&str>) -> Lang {
        match self {
            LangSetting::Fixed(l) => l,
            LangSetting::Auto => negotiate(accept_language),
        }
    }

    /// The language of a mail: the fixed choice, else English (a mail has no browser to ask).
    pub fn for_mail(self) -> Lang {
        match self {
            LangSetting::Fixed(l) => l,
            LangSetting::Auto => Lang::En,
        }
    }
}

/// The best language for an `Accept-Language` header: the supported range with the highest
/// q-value (the earlier one on ties); English when there is none, the header is missing, too
/// long, or malformed.
pub fn negotiate(header: Option<&str>) -> Lang {
    let Some(h) = header.filter(|h| h.len() <= MAX_ACCEPT_LANGUAGE_LEN) else {
        return Lang::En;
    };
    let mut best: Option<(u16, Lang)> = None;
    for item in h.split(',').take(MAX_LANGUAGE_RANGES) {
        let mut parts = item.split(';');
        let range = parts.next().unwrap_or("").trim();
        let Some(q) = parts.try_fold(1000u16, |q, p| quality_param(p.trim(), q)) else {
            continue;
        };
        if q == 0 || !valid_range(range) {
            continue;
        }
        if let Some(lang) = Lang::of_range(range) {
            if best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, lang));
            }
        }
    }
    best.map(|(_, l)| l).unwrap_or_default()
}

/// Reads a `q=…` parameter as thousandths (`q=0.9` → 900), keeping `q` for other
/// parameters; `None` when the q-value is malformed (the range is then skipped).
fn quality_param(p: &str, q: u16) -> Option<u16> {
    let Some(v) = p.strip_prefix("q=").or_else(|| p.strip_prefix("Q=")) else {
        return Some(q);
    };
    let (int, frac) = v.split_once('.').unwrap_or((v, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let frac_val = format!("{frac:0<3}").parse::<u16>().ok()?;
    match int {
        "0" => Some(frac_val),
        "1" if frac_val == 0 => Some(1000),
        _ => None,
    }
}

/// A language range as RFC 4647 spells it: `*` or ASCII letters and digits in subtags of 1–8,
/// joined by `-`.
fn valid_range(r: &str) -> bool {
    r == "*"
        || (!r.is_empty()
            && r.split('-').all(|t| {
                (1..=8).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_alphanumeric())
            }))
}

tokio::task_local! {
    static CURRENT: Cell<Lang>;
}

/// Runs `fut` with `lang` as the current language (changeable inside with [`set_current`]).
pub async fn with_lang<F: Future>(lang: Lang, fut: F) -> F::Output {
    CURRENT.scope(Cell::new(lang), fut).await
}

/// Runs `f` with `lang` as the current language (for synchronous work such as composing mail).
pub fn with_lang_sync<R>(lang: Lang, f: impl FnOnce() -> R) -> R {
    CURRENT.sync_scope(Cell::new(lang), f)
}

/// Changes the current language of the request being answered (once the signed-in user's
/// setting is known); does nothing outside [`with_lang`].
pub fn set_current(lang: Lang) {
    let _ = CURRENT.try_with(|c| c.set(lang));
}

/// The language of the request (or mail) being answered; English outside one.
pub fn current() -> Lang {
    CURRENT.try_with(Cell::get).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_honours_q_values() {
        assert_eq!(negotiate(Some("de-DE,de;q=0.9")), Lang::De);
        assert_eq!(negotiate(Some("fr-FR, de;q=0.5, en;q=0.4")), Lang::De);
        assert_eq!(negotiate(Some("en;q=0.3, de;q=0.8")), Lang::De);
        assert_eq!(negotiate(Some("de;q=0.8, en")), Lang::En);
        assert_eq!(negotiate(Some("DE-at")), Lang::De);
        // Equal q-values: the earlier range wins.
        assert_eq!(negotiate(Some("de;q=0.5, en;q=0.5")), Lang::De);
        // q=0 means "not this one".
        assert_eq!(negotiate(Some("de;q=0, en;q=0.1")), Lang::En);
        assert_eq!(negotiate(Some("de;q=0")), Lang::En);
    }

    #[test]
    fn unusable_headers_fall_back_to_english() {
        for h in [
            "",
            "*",
            "fr, it",
            "de;q=2",
            "de;q=abc",
            "de;q=0.1234",
            "de_DE",
            "deutsch-sprache-lang",
            ";;;,,,",
            "de;q=",
            "\u{e9}",
        ] {
            assert_eq!(negotiate(Some(h)), Lang::En, "{h:?}");
        }
        assert_eq!(negotiate(None), Lang::En);
        let long = format!("{}de", "x, ".repeat(MAX_ACCEPT_LANGUAGE_LEN));
        assert_eq!(negotiate(Some(&long)), Lang::En);
    }

    #[test]
    fn settings_round_trip_and_decide() {
        for s in LangSetting::all() {
            assert_eq!(LangSetting::from_code(s.code()), Some(s));
        }
        assert_eq!(LangSetting::from_code("fr"), None);
        assert_eq!(LangSetting::from_stored("klingon"), LangSetting::Auto);
        let de = LangSetting::Fixed(Lang::De);
        assert_eq!(de.for_page(Some("en")), Lang::De);
        assert_eq!(LangSetting::Auto.for_page(Some("de")), Lang::De);
        assert_eq!(LangSetting::Auto.for_mail(), Lang::En);
        assert_eq!(de.for_mail(), Lang::De);
    }

    #[tokio::test]
    async fn the_current_language_is_scoped_to_the_request() {
        assert_eq!(current(), Lang::En);
        let inside = with_lang(Lang::En, async {
            set_current(Lang::De);
            current()
        })
        .await;
        assert_eq!(inside, Lang::De);
        assert_eq!(current(), Lang::En);
        assert_eq!(with_lang_sync(Lang::De, current), Lang::De);
    }
}
