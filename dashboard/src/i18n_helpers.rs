//! The templates' way into the catalogues: `{{t "key" name=value}}` prints a message as text,
//! `{{{th "key-html" name=value}}}` a message whose catalogue text holds markup (links,
//! `<code>`): its arguments are escaped, the message itself is trusted because it is compiled
//! in. Only keys ending in `-html` may carry markup (a test checks both directions). The
//! language is the render data's `lang` (set by the layout for every page), else the request's
//! current language.
//!
//! The helpers write their output themselves, escaping `&`, `<`, `>` and `"` (enough for text
//! and the double-quoted attributes every template uses), so a message reads exactly as the
//! catalogue spells it: handlebars' own escaping would also turn `=` and `'` into entities.

use crate::i18n::{self, Arg};
use crate::lang::{self, Lang};
use handlebars::{
    Context, Handlebars, Helper, HelperDef, HelperResult, Output, RenderContext, RenderErrorReason,
};
use serde_json::Value;

/// The suffix of keys whose messages contain markup.
pub const HTML_SUFFIX: &str = "-html";

/// `t` (text) or `th` (trusted markup with escaped arguments).
pub struct Translate {
    /// Whether this is `th`.
    pub html: bool,
}

/// The language a render is in.
fn lang_of(ctx: &Context) -> Lang {
    ctx.data()
        .get("lang")
        .and_then(Value::as_str)
        .and_then(Lang::from_code)
        .unwrap_or_else(lang::current)
}

impl HelperDef for Translate {
    fn call<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        _: &'reg Handlebars<'reg>,
        ctx: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
        out: &mut dyn Output,
    ) -> HelperResult {
        let name = if self.html { "th" } else { "t" };
        let key = h
            .param(0)
            .and_then(|p| p.value().as_str())
            .ok_or(RenderErrorReason::ParamNotFoundForIndex(name, 0))?;
        let args: Vec<(&str, Arg)> = h
            .hash()
            .iter()
            .map(|(k, v)| (*k, arg(v.value(), self.html)))
            .collect();
        let text = i18n::tr_args(lang_of(ctx), key, &args);
        if self.html {
            out.write(&text)?;
        } else {
            out.write(&escape(&text))?;
        }
        Ok(())
    }
}

/// A template value as a message argument: numbers stay numbers (plural choices, the
/// language's digits), everything else is text (escaped for `th`).
fn arg(v: &Value, html: bool) -> Arg<'static> {
    let text = match v {
        Value::Number(n) => return Arg::Num(n.as_f64().unwrap_or(0.0)),
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    };
    if html {
        Arg::from(escape(&text))
    } else {
        Arg::from(text)
    }
}

/// Escapes text for an HTML text node or a double-quoted attribute. Apostrophes stay as written,
/// so translated messages read in the page source as they do in the catalogue.
pub fn escape(s: &str) -> String {
    escape_html(s, false)
}

/// The one HTML escaper of the crate; `apostrophe` also escapes `'` (for markup built outside
/// templates, which may land in single-quoted attributes).
pub(crate) fn escape_html(s: &str, apostrophe: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' if apostrophe => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn render(tpl: &str, data: serde_json::Value) -> String {
        let mut hb = Handlebars::new();
        hb.register_helper("t", Box::new(Translate { html: false }));
        hb.register_helper("th", Box::new(Translate { html: true }));
        hb.render_template(tpl, &data).unwrap()
    }

    #[test]
    fn text_and_arguments_are_escaped_and_markup_only_comes_from_the_catalogue() {
        let evil = "<script>\"x\"&";
        let out = render(
            r#"<p title="{{t "segments-delete-label" name=n}}">{{t "sessions-heading" name=n}}</p>"#,
            json!({"n": evil, "lang": "en"}),
        );
        assert!(!out.contains("<script>"), "{out}");
        assert!(out.contains("&lt;script&gt;&quot;x&quot;&amp;"), "{out}");
        let out = render(
            r#"{{{th "email-confirm-text-html" email=e}}}"#,
            json!({"e": evil, "lang": "de"}),
        );
        assert!(out.contains("<strong>&lt;script&gt;"), "{out}");
        assert!(out.starts_with("Bestätigen Sie"), "{out}");
        // `=` and `'` stay as the catalogue writes them.
        let out = render(r#"{{t "shares-noised" epsilon=e}}"#, json!({"e": 0.5}));
        assert_eq!(out, "noised, ε = 0.5");
    }
}
