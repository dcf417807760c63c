//! Filters on the service pages: read from the URL (`?f=country:DE&f=page~:/blog/`, see
//! [`stats::filters`]), carried by every link that keeps the view (date presets, the date form,
//! chart days, the session list), added by the links of table rows, and shown as chips whose
//! links remove them. Plain links and a GET form: no script, so the strict CSP holds and every
//! filtered view is a bookmarkable URL.

use super::dim_cards::dim_label;
use crate::http::Req;
use crate::i18n;
use crate::page_error::PageError;
use serde_json::{json, Value};
use stats::dimensions::Dimension;
use stats::filters::{Field, Filter, Filters, Op, Syntax};

/// The query parameter that carries one filter.
pub const PARAM: &str = "f";

/// The filters of a request; malformed ones, unknown fields and more than
/// [`stats::filters::MAX_FILTERS`] are a 400 with the reason.
pub fn filters_of(req: &Req) -> Result<Filters, PageError> {
    let items = req
        .query
        .iter()
        .filter(|(k, _)| k == PARAM)
        .map(|(_, v)| v.as_str());
    Filters::parse(items, Syntax::Url).map_err(|e| PageError::BadRequest(format!("{e}.")))
}

/// The query string (without `?`) of the request's date range and `filters`.
pub fn query(req: &Req, filters: &Filters) -> String {
    let mut q = form_urlencoded::Serializer::new(String::new());
    for key in ["startDate", "endDate"] {
        if let Some(v) = req.q(key).filter(|v| !v.is_empty()) {
            q.append_pair(key, v);
        }
    }
    for f in filters.written(Syntax::Url) {
        q.append_pair(PARAM, &f);
    }
    q.finish()
}

/// `path` with the request's date range and `filters`.
pub fn link(path: &str, req: &Req, filters: &Filters) -> String {
    let q = query(req, filters);
    if q.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{q}")
    }
}

/// `&f=…` for each filter: appended to links that set their own dates.
pub fn suffix(filters: &Filters) -> String {
    let mut q = form_urlencoded::Serializer::new(String::new());
    for f in filters.written(Syntax::Url) {
        q.append_pair(PARAM, &f);
    }
    let q = q.finish();
    if q.is_empty() {
        q
    } else {
        format!("&{q}")
    }
}

/// The link of a table row of `d` with key `key`: this view with "`d` is `key`" added.
pub fn add_link(
    path: &str,
    req: &Req,
    filters: &Filters,
    d: &'static Dimension,
    key: &str,
) -> String {
    let f = Filter {
        field: Field::Dim(d),
        op: Op::Is,
        value: key.to_owned(),
    };
    link(path, req, &filters.with(f))
}

/// A filter field as the page names it, in the request's language.
fn field_text(f: Field) -> String {
    match f {
        Field::Dim(d) => super::dim_cards::dim_text(d, "heading"),
        Field::Path(_) => i18n::tr_now("filter-field-path"),
        Field::Event => i18n::tr_now("filter-field-event"),
    }
}

/// A filter operator in words, in the request's language.
fn op_text(op: Op) -> String {
    i18n::tr_now(match op {
        Op::Is => "filter-op-is",
        Op::IsNot => "filter-op-is-not",
        Op::Contains => "filter-op-contains",
        Op::NotContains => "filter-op-not-contains",
        Op::StartsWith => "filter-op-starts-with",
        Op::NotStartsWith => "filter-op-not-starts-with",
    })
}

/// The chips of the active filters, each with the link that removes it, and a link that removes
/// them all.
pub fn chips(path: &str, req: &Req, filters: &Filters) -> Value {
    if filters.is_empty() {
        return Value::Null;
    }
    let items: Vec<Value> = filters
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let value = match (f.field, f.op) {
                (Field::Dim(d), Op::Is | Op::IsNot) => dim_label(d, &f.value),
                _ => f.value.clone(),
            };
            json!({
                "field": field_text(f.field),
                "op": op_text(f.op),
                "value": value,
                "param": f.write(Syntax::Url),
                "remove": link(path, req, &filters.without(i)),
            })
        })
        .collect();
    json!({ "items": items, "clear": link(path, req, &Filters::none()) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use warp::http::{HeaderMap, Method};

    fn req(q: &str) -> Req {
        Req::new(
            Method::GET,
            "/x".into(),
            q.into(),
            HeaderMap::new(),
            b"",
            None,
        )
    }

    #[test]
    fn links_keep_dates_and_filters() {
        let r = req("startDate=2024-01-01&endDate=2024-01-31&f=country:DE&page=3");
        let f = filters_of(&r).unwrap();
        assert_eq!(
            query(&r, &f),
            "startDate=2024-01-01&endDate=2024-01-31&f=country%3ADE"
        );
        let add = add_link("/s/", &r, &f, &stats::dimensions::BROWSER, "Firefox");
        assert!(add.ends_with("f=country%3ADE&f=browser%3AFirefox"), "{add}");
        let c = chips("/s/", &r, &f);
        assert_eq!(c["items"][0]["value"], "Germany");
        assert_eq!(c["items"][0]["op"], "is");
        assert_eq!(
            c["items"][0]["remove"],
            "/s/?startDate=2024-01-01&endDate=2024-01-31"
        );
        assert_eq!(suffix(&f), "&f=country%3ADE");
        assert!(chips("/s/", &req(""), &Filters::none()).is_null());
    }

    #[test]
    fn bad_filters_are_400_with_the_reason() {
        for q in ["f=colour:red", "f=country", "f=country~:D"] {
            match filters_of(&req(q)) {
                Err(PageError::BadRequest(m)) => assert!(m.contains("filter"), "{m}"),
                other => panic!("{q}: {other:?}"),
            }
        }
        let many: Vec<String> = (0..=stats::filters::MAX_FILTERS)
            .map(|i| format!("f=city:c{i}"))
            .collect();
        assert!(matches!(
            filters_of(&req(&many.join("&"))),
            Err(PageError::BadRequest(m)) if m.contains("too many filters")
        ));
    }
}
