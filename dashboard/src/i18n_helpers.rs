//! The templates' way into the catalogues: `{{t "key" name=value}}` prints a message as text
//! (escaped like any `{{…}}`), `{{{th "key-html" name=value}}}` a message whose catalogue text
//! holds markup (links, `<code>`): its arguments are escaped here, the message itself is
//! trusted because it is compiled in. Only keys ending in `-html` may carry markup (a test
//! checks both directions). The language is the render data's `lang` (set by the layout for
//! every page), else the request's current language.

use crate::i18n::{self, Arg};
use crate::lang::{self, Lang};
use handlebars::{
    Context, Handlebars, Helper, HelperDef, RenderContext, RenderError, RenderErrorReason,
    ScopedJson,
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
    fn call_inner<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        _: &'reg Handlebars<'reg>,
        ctx: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
    ) -> Result<ScopedJson<'rc>, RenderError> {
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
        Ok(ScopedJson::Derived(Value::String(i18n::tr_args(
            lang_of(ctx),
            key,
            &args,
        ))))
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
        Arg::from(handlebars::html_escape(&text))
    } else {
        Arg::from(text)
    }
}
