//! Plausible's Stats API v1 `filters` (`visit:country==DE;event:page==/blog/**`) translated onto
//! our filters ([`stats::filters`]), pure. `;` joins filters (AND); `==` is "is", `!=` "is not";
//! `a|b` alternatives are accepted after `!=` (none of them: one "is not" each) and refused
//! after `==` (our filters combine with AND only). Pages are paths, as Plausible reports them: a
//! value ending in `*`/`**` matches paths starting with the rest, one wrapped in `**` paths
//! containing it. Everything else we cannot answer exactly (other wildcards, `visit:source`,
//! `visit:referrer`, goals, regions, cities) is refused with the reason, which the API answers
//! as a 400 in Plausible's `{"error": …}` shape.

use stats::dimensions::{self, Dimension};
use stats::filters::{Field, Filter, Filters, Op, MAX_FILTERS, MAX_VALUE_CHARS};

/// The field a Plausible property filters on.
fn field(prop: &str) -> Result<Field, String> {
    let dim = |d: &'static Dimension| Ok(Field::Dim(d));
    match prop {
        "visit:country" => dim(&dimensions::COUNTRY),
        "visit:browser" => dim(&dimensions::BROWSER),
        "visit:os" => dim(&dimensions::OS),
        "visit:device" => dim(&dimensions::DEVICE_TYPE),
        "visit:utm_source" => dim(&dimensions::UTM_SOURCE),
        "visit:utm_medium" => dim(&dimensions::UTM_MEDIUM),
        "visit:utm_campaign" => dim(&dimensions::UTM_CAMPAIGN),
        "visit:utm_term" => dim(&dimensions::UTM_TERM),
        "visit:utm_content" => dim(&dimensions::UTM_CONTENT),
        "event:page" => Ok(Field::Path(&dimensions::LOCATION)),
        "visit:entry_page" => Ok(Field::Path(&dimensions::ENTRY_PAGE)),
        "visit:exit_page" => Ok(Field::Path(&dimensions::EXIT_PAGE)),
        "event:name" => Ok(Field::Event),
        other => Err(format!(
            "Filtering by `{other}` is not supported by this server."
        )),
    }
}

/// Plausible's device names as our device types.
fn device(v: &str) -> Result<String, String> {
    Ok(match v {
        "Desktop" => "DESKTOP",
        "Mobile" => "PHONE",
        "Tablet" => "TABLET",
        "Robot" => "ROBOT",
        other => {
            return Err(format!(
                "Unknown device `{other}`: use Desktop, Mobile, Tablet or Robot."
            ))
        }
    }
    .to_owned())
}

/// One value of `field` as an operator and our key.
fn value(field: Field, negated: bool, v: &str) -> Result<(Op, String), String> {
    let (is, contains, starts) = if negated {
        (Op::IsNot, Op::NotContains, Op::NotStartsWith)
    } else {
        (Op::Is, Op::Contains, Op::StartsWith)
    };
    if !v.contains('*') {
        return match field {
            Field::Dim(d) if *d == dimensions::DEVICE_TYPE => Ok((is, device(v)?)),
            _ => Ok((is, v.to_owned())),
        };
    }
    if !matches!(field, Field::Path(_)) {
        return Err("Wildcards (`*`) are supported in page filters only.".into());
    }
    let inner = v.trim_start_matches('*').trim_end_matches('*');
    let lead = v.len() - v.trim_start_matches('*').len();
    if inner.is_empty() || inner.contains('*') {
        return Err(format!(
            "The page pattern `{v}` is not supported: use `/path`, `/prefix**` or `**part**`."
        ));
    }
    match lead {
        0 => Ok((starts, inner.to_owned())),
        _ if v.ends_with('*') => Ok((contains, inner.to_owned())),
        _ => Err(format!(
            "The page pattern `{v}` is not supported: use `/path`, `/prefix**` or `**part**`."
        )),
    }
}

/// Translates Plausible's `filters` (absent or empty: none).
pub fn filters(raw: Option<&str>) -> Result<Filters, String> {
    let raw = raw.map(str::trim).unwrap_or("");
    let mut out = Filters::none();
    if raw.is_empty() {
        return Ok(out);
    }
    let mut count = 0;
    for part in raw.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let (prop, negated, values) = if let Some((p, v)) = part.split_once("!=") {
            (p, true, v)
        } else if let Some((p, v)) = part.split_once("==") {
            (p, false, v)
        } else {
            return Err(format!(
                "The filter `{part}` is malformed: write property==value or property!=value."
            ));
        };
        let f = field(prop.trim())?;
        let alternatives: Vec<&str> = values.split('|').collect();
        if alternatives.len() > 1 && !negated {
            return Err(
                "Alternatives (`a|b`) are supported after `!=` only on this server.".into(),
            );
        }
        for v in alternatives {
            if v.chars().count() > MAX_VALUE_CHARS || v.chars().any(char::is_control) {
                return Err(format!(
                    "Filter values are at most {MAX_VALUE_CHARS} characters, without control characters."
                ));
            }
            count += 1;
            if count > MAX_FILTERS {
                return Err(format!(
                    "Too many filters: at most {MAX_FILTERS} (each alternative counts)."
                ));
            }
            let (op, value) = value(f, negated, v)?;
            out = out.with(Filter {
                field: f,
                op,
                value,
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use stats::filters::Syntax;

    fn ours(raw: &str) -> Vec<String> {
        filters(Some(raw)).unwrap().written(Syntax::Url)
    }

    #[test]
    fn maps_plausible_filters_onto_ours() {
        assert!(filters(None).unwrap().is_empty());
        assert_eq!(
            ours("visit:country==DE;visit:browser!=Firefox"),
            ["country:DE", "browser!:Firefox"]
        );
        assert_eq!(ours("event:page==/blog**"), ["page_path^:/blog"]);
        assert_eq!(ours("event:page==/blog/x"), ["page_path:/blog/x"]);
        assert_eq!(ours("event:page!=**blog**"), ["page_path!~:blog"]);
        assert_eq!(ours("visit:entry_page==/"), ["entry_path:/"]);
        assert_eq!(ours("visit:device==Mobile"), ["device_type:PHONE"]);
        assert_eq!(
            ours("visit:os!=Linux|Windows"),
            ["os!:Linux", "os!:Windows"]
        );
        assert_eq!(ours("event:name==Signup"), ["event:Signup"]);
    }

    #[test]
    fn refuses_what_it_cannot_answer_exactly() {
        for (raw, says) in [
            ("visit:source==Google", "not supported"),
            ("event:goal==Signup", "not supported"),
            ("visit:country=DE", "malformed"),
            ("visit:country==DE|FR", "after `!=` only"),
            ("visit:country==D*", "page filters only"),
            ("event:page==/a*b", "not supported"),
            ("event:page==**/a", "not supported"),
            ("visit:device==Fridge", "Unknown device"),
        ] {
            let e = filters(Some(raw)).unwrap_err();
            assert!(e.contains(says), "{raw}: {e}");
        }
        let many: Vec<String> = (0..=MAX_FILTERS).map(|i| format!("x{i}")).collect();
        let e = filters(Some(&format!("visit:os!={}", many.join("|")))).unwrap_err();
        assert!(e.contains("Too many filters"), "{e}");
    }
}
