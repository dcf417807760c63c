//! The message catalogues and the templates, checked without a server: no language left in a
//! template outside `{{…}}`, every key used (by templates and by code) in the English
//! catalogue, German complete, and the two languages agreeing on each message's arguments and
//! markup.

use dashboard::i18n::{self, keys};
use dashboard::i18n_helpers::HTML_SUFFIX;
use dashboard::lang::Lang;
use dashboard::pages::layout::{flash_key, FLASH_CODES};
use dashboard::render::{PARTIALS, TEMPLATES};
use regex::Regex;
use std::collections::{BTreeSet, HashMap};
use std::path::Path;

/// Attribute values with letters that are examples of input, not language (an address, a
/// pattern, an event name): the placeholders of the settings and goal forms.
const NOT_LANGUAGE: &[&str] = &[
    "https://example.com",
    "https://(www\\.)?example\\.com",
    "utm_*, fbclid, gclid",
    "10.0.0.0/8, 2001:db8::/32",
    "signup",
    "plan=pro",
    "/pricing",
];

/// Attributes a person reads or hears.
const VISIBLE_ATTRIBUTES: &[&str] = &["title", "alt", "aria-label", "placeholder"];

fn all_templates() -> impl Iterator<Item = (&'static str, &'static str)> {
    TEMPLATES.iter().chain(PARTIALS.iter()).copied()
}

/// The template with every `{{…}}`/`{{{…}}}` expression replaced by `\u{1}`, and the contents
/// of `<pre>` and `<code>` (code, not language) removed.
fn without_expressions(src: &str) -> String {
    let exprs = Regex::new(r"(?s)\{\{\{.*?\}\}\}|\{\{.*?\}\}").unwrap();
    let code = Regex::new(r"(?s)<(pre|code)\b[^>]*>.*?</(pre|code)>").unwrap();
    let s = exprs.replace_all(src, "\u{1}");
    code.replace_all(&s, "<code></code>").into_owned()
}

fn has_letters(s: &str) -> bool {
    let entities = Regex::new(r"&[a-zA-Z]+;|&#x?[0-9a-fA-F]+;").unwrap();
    entities.replace_all(s, "").chars().any(char::is_alphabetic)
}

/// Every piece of text a template shows people outside `{{…}}`: `(template, what, text)`.
fn hard_coded_text(name: &str, src: &str) -> Vec<(String, String)> {
    let s = without_expressions(src);
    let tag = Regex::new(r"<[^>]*>").unwrap();
    let attr = Regex::new(r#"([a-zA-Z-]+)="([^"]*)""#).unwrap();
    let mut found = Vec::new();
    let mut last = 0;
    for m in tag.find_iter(&s) {
        let text = &s[last..m.start()];
        if has_letters(text) {
            found.push((format!("{name}: text"), text.trim().to_owned()));
        }
        last = m.end();
        let t = m.as_str();
        let is_submit_input = t.starts_with("<input")
            && ["submit", "button", "reset"]
                .iter()
                .any(|ty| t.contains(&format!("type=\"{ty}\"")));
        for c in attr.captures_iter(t) {
            let (a, v) = (&c[1], &c[2]);
            let visible = VISIBLE_ATTRIBUTES.contains(&a) || (a == "value" && is_submit_input);
            if visible && has_letters(v) && !NOT_LANGUAGE.contains(&v) {
                found.push((format!("{name}: attribute {a}"), v.to_owned()));
            }
        }
    }
    if has_letters(&s[last..]) {
        found.push((format!("{name}: text"), s[last..].trim().to_owned()));
    }
    found
}

#[test]
fn templates_hold_no_hard_coded_language() {
    let found: Vec<_> = all_templates()
        .flat_map(|(name, src)| hard_coded_text(name, src))
        .collect();
    assert!(
        found.is_empty(),
        "text outside the catalogues (use {{{{t \"key\"}}}}):\n{found:#?}"
    );
}

#[test]
fn the_scanner_finds_text_and_visible_attributes() {
    let bad = r#"<p>Hello {{name}}</p><a title="Open it" href="/x">{{t "k"}}</a>
<input type="submit" value="Send"><button name="action" value="go">{{t "k"}}</button>
<input placeholder="Your name"><pre>curl it</pre><code>GET /api</code>&nbsp;→"#;
    let found = hard_coded_text("sample", bad);
    let texts: Vec<&str> = found.iter().map(|(_, t)| t.as_str()).collect();
    assert_eq!(texts, ["Hello \u{1}", "Open it", "Send", "Your name"]);
}

/// `(helper, key)` for every `{{t "key" …}}` and `{{{th "key" …}}}` in the templates.
fn template_keys() -> Vec<(String, String)> {
    let re = Regex::new(r#"\{\{\{?(t|th) "([^"]+)""#).unwrap();
    all_templates()
        .flat_map(|(_, src)| {
            re.captures_iter(src)
                .map(|c| (c[1].to_owned(), c[2].to_owned()))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Families of keys code names in literals away from the `tr` call (in tables of labels).
const KEY_FAMILIES: &[&str] = &[
    "figure-",
    "range-",
    "dim-",
    "mail-",
    "title-",
    "fact-",
    "error-",
    "page-",
    "filter-",
    "unsubscribe-",
    "preferences-error-",
    "date-style-",
    "chart-",
    "map-",
    "notice-",
];

/// The keys code passes to `i18n::tr`/`tr_args` (or a local `tr` closure) as literals, and
/// literals of the [`KEY_FAMILIES`], in the dashboard and the aggregator (mail).
fn code_keys() -> BTreeSet<String> {
    let families = KEY_FAMILIES.join("|");
    let re = Regex::new(&format!(
        r#"\btr(?:_args|_now|_now_args)?\(\s*(?:[^,"()]+,\s*)?"([a-z0-9][a-z0-9-]*)"|"((?:{families})[a-z0-9-]+)""#
    ))
    .unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = BTreeSet::new();
    for dir in [root.join("src"), root.join("../aggregator/src")] {
        for file in rust_files(&dir) {
            let text = std::fs::read_to_string(&file).unwrap();
            // Unit tests may name keys that do not exist on purpose.
            let text = text.split("#[cfg(test)]").next().unwrap_or("");
            out.extend(
                re.captures_iter(text)
                    .filter_map(|c| c.get(1).or_else(|| c.get(2)).map(|m| m.as_str().to_owned())),
            );
        }
    }
    out
}

fn rust_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(rust_files(&p));
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
    out
}

#[test]
fn every_key_used_is_in_the_english_catalogue() {
    i18n::init().expect("the catalogues parse");
    let mut used: BTreeSet<String> = template_keys().into_iter().map(|(_, k)| k).collect();
    let from_code = code_keys();
    assert!(
        from_code.contains("error-not-found"),
        "the code scan finds keys"
    );
    used.extend(from_code);
    used.extend(FLASH_CODES.iter().filter_map(|c| flash_key(c)));
    let missing: Vec<_> = used
        .iter()
        .filter(|k| !i18n::has_key(Lang::En, k))
        .collect();
    assert!(missing.is_empty(), "missing in English: {missing:?}");
}

#[test]
fn markup_only_through_th_and_only_in_html_keys() {
    for (helper, key) in template_keys() {
        assert_eq!(
            helper == "th",
            key.ends_with(HTML_SUFFIX),
            "{{{{{helper} \"{key}\"}}}}: `th` is for keys ending in {HTML_SUFFIX}, `t` for the rest"
        );
    }
    let tag = Regex::new(r"<[a-zA-Z/][^>]*>").unwrap();
    for lang in Lang::ALL {
        for key in keys(lang) {
            let text = i18n::tr(lang, key);
            assert_eq!(
                tag.is_match(&text),
                key.ends_with(HTML_SUFFIX),
                "{}: {key} = {text:?} (markup only in -html keys)",
                lang.code()
            );
        }
    }
}

#[test]
fn german_is_complete_and_agrees_with_english() {
    let en: BTreeSet<_> = keys(Lang::En).into_iter().collect();
    let de: BTreeSet<_> = keys(Lang::De).into_iter().collect();
    assert_eq!(keys(Lang::En).len(), en.len(), "duplicate English keys");
    let missing: Vec<_> = en.difference(&de).collect();
    let extra: Vec<_> = de.difference(&en).collect();
    assert!(missing.is_empty(), "missing in German: {missing:?}");
    assert!(extra.is_empty(), "German keys English lacks: {extra:?}");
    for key in &en {
        assert!(
            i18n::has_key(Lang::De, key),
            "{key} does not parse in German"
        );
    }
    // The same arguments and the same markup in both: a translation must not drop a value or
    // a link.
    let var = Regex::new(r"\{\s*\$([a-z_]+)").unwrap();
    let tag = Regex::new(r"<(/?[a-z]+)[^>]*>").unwrap();
    let sources = raw_messages();
    for key in &en {
        let (e, d) = (&sources[&(Lang::En, *key)], &sources[&(Lang::De, *key)]);
        let vars = |s: &str| -> BTreeSet<String> {
            var.captures_iter(s).map(|c| c[1].to_owned()).collect()
        };
        assert_eq!(vars(e), vars(d), "arguments of {key}");
        let tags = |s: &str| -> Vec<String> {
            let mut t: Vec<_> = tag.captures_iter(s).map(|c| c[0].to_owned()).collect();
            t.sort();
            t
        };
        assert_eq!(tags(e), tags(d), "markup of {key}");
    }
}

/// Each message's source text (its first line and any indented lines after it), by language
/// and key.
fn raw_messages() -> HashMap<(Lang, &'static str), String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("locales");
    let mut out = HashMap::new();
    for lang in Lang::ALL {
        for e in std::fs::read_dir(root.join(lang.code())).unwrap() {
            let text: &'static str =
                Box::leak(std::fs::read_to_string(e.unwrap().path()).unwrap().into());
            let mut current: Option<(&'static str, String)> = None;
            for line in text.lines() {
                if line.starts_with(' ') || line.is_empty() {
                    if let Some((_, v)) = current.as_mut() {
                        v.push_str(line);
                        v.push('\n');
                    }
                    continue;
                }
                if let Some((k, v)) = current.take() {
                    out.insert((lang, k), v);
                }
                if let Some((k, v)) = line.split_once(" =") {
                    current = Some((k, v.to_owned()));
                }
            }
            if let Some((k, v)) = current.take() {
                out.insert((lang, k), v);
            }
        }
    }
    out
}

#[test]
fn german_differs_where_it_should() {
    // A catalogue copied and left untranslated passes the completeness test; these do not.
    for key in [
        "layout-sign-out",
        "login-heading",
        "service-by-country",
        "flash-saved",
    ] {
        assert_ne!(i18n::tr(Lang::De, key), i18n::tr(Lang::En, key), "{key}");
    }
}
