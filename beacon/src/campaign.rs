//! Campaign tags of a session's entry page: the five `utm_*` parameters (with `ref` and `source`
//! standing in for a missing `utm_source`, as link shorteners and launch sites write it) and the
//! ad click ids that mark paid traffic without tags. Values are normalised so that one campaign
//! is one row on the dashboard: decoded, trimmed, whitespace collapsed, control characters
//! dropped, cut to [`MAX_CAMPAIGN_BYTES`]; source and medium are also lower-cased, since
//! `Newsletter` and `newsletter` are always meant to be the same.

use crate::limits::truncate_utf8;
use crate::url_parts::{self, params, split};

/// Longest stored campaign value (bytes); real tags are far shorter.
pub const MAX_CAMPAIGN_BYTES: usize = 200;

/// An ad platform's click id found on the entry URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClickId {
    /// Google Ads (`gclid`, `gbraid`, `wbraid`).
    Google,
    /// Microsoft Advertising (`msclkid`).
    Microsoft,
    /// Yandex Direct (`yclid`).
    Yandex,
    /// Google display and video ads (`dclid`).
    GoogleDisplay,
}

impl ClickId {
    fn from_param(name: &str) -> Option<ClickId> {
        let n = name.to_ascii_lowercase();
        match n.as_str() {
            "gclid" | "gbraid" | "wbraid" => Some(ClickId::Google),
            "msclkid" => Some(ClickId::Microsoft),
            "yclid" => Some(ClickId::Yandex),
            "dclid" => Some(ClickId::GoogleDisplay),
            _ => None,
        }
    }
}

/// The campaign tags of one URL ("" = absent).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Campaign {
    /// `utm_source`, else `ref`, else `source`; lower-case.
    pub source: String,
    /// `utm_medium`; lower-case.
    pub medium: String,
    /// `utm_campaign`.
    pub campaign: String,
    /// `utm_term`.
    pub term: String,
    /// `utm_content`.
    pub content: String,
    /// The first ad click id on the URL.
    pub click_id: Option<ClickId>,
}

/// Trims, collapses whitespace, drops control characters and cuts to [`MAX_CAMPAIGN_BYTES`].
pub fn normalise(value: &str) -> String {
    let mut out = String::with_capacity(value.len().min(MAX_CAMPAIGN_BYTES));
    for word in value
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
    {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
        if out.len() >= MAX_CAMPAIGN_BYTES {
            break;
        }
    }
    truncate_utf8(&out, MAX_CAMPAIGN_BYTES).to_owned()
}

/// A `ref`/`source` value that is a URL or host (`ref=https://www.producthunt.com/posts/x`)
/// becomes its host without `www.`; a plain name stays as it is.
fn source_name(value: &str) -> String {
    let v = normalise(value).to_lowercase();
    if v.contains("://") || (v.contains('.') && !v.contains(' ')) {
        let host = url_parts::host(&v);
        if !host.is_empty() {
            return host.strip_prefix("www.").unwrap_or(&host).to_owned();
        }
    }
    v
}

/// Reads the campaign tags of `url` (the entry page's location). The first non-empty value of
/// each parameter wins; parameter names are matched case-insensitively.
pub fn parse(url: &str) -> Campaign {
    let mut c = Campaign::default();
    let Some(query) = split(url).query else {
        return c;
    };
    let (mut by_ref, mut by_source) = (String::new(), String::new());
    for (name, value) in params(query) {
        if c.click_id.is_none() {
            c.click_id = ClickId::from_param(&name);
        }
        let slot = match name.to_ascii_lowercase().as_str() {
            "utm_source" => &mut c.source,
            "utm_medium" => &mut c.medium,
            "utm_campaign" => &mut c.campaign,
            "utm_term" => &mut c.term,
            "utm_content" => &mut c.content,
            "ref" => &mut by_ref,
            "source" => &mut by_source,
            _ => continue,
        };
        if slot.is_empty() {
            *slot = normalise(&value);
        }
    }
    c.source = if !c.source.is_empty() {
        c.source.to_lowercase()
    } else if !by_ref.is_empty() {
        source_name(&by_ref)
    } else {
        source_name(&by_source)
    };
    c.source = truncate_utf8(&c.source, MAX_CAMPAIGN_BYTES).to_owned();
    c.medium = truncate_utf8(&c.medium.to_lowercase(), MAX_CAMPAIGN_BYTES).to_owned();
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_all_five_tags_normalised() {
        let c = parse(
            "https://shop.example/?utm_source=%20Newsletter%20&utm_medium=EMAIL\
             &utm_campaign=Spring+Sale++2024&utm_term=running%0Ashoes&utm_content=hero",
        );
        assert_eq!(
            c,
            Campaign {
                source: "newsletter".into(),
                medium: "email".into(),
                campaign: "Spring Sale 2024".into(),
                term: "running shoes".into(),
                content: "hero".into(),
                click_id: None,
            }
        );
    }

    #[test]
    fn ref_and_source_stand_in_for_a_missing_utm_source() {
        assert_eq!(parse("https://x/?ref=ProductHunt").source, "producthunt");
        assert_eq!(
            parse("https://x/?ref=https%3A%2F%2Fwww.Indiehackers.com%2Fpost").source,
            "indiehackers.com"
        );
        assert_eq!(parse("https://x/?source=blog").source, "blog");
        assert_eq!(parse("https://x/?utm_source=a&ref=b").source, "a");
        assert_eq!(parse("https://x/?utm_source=&ref=b").source, "b");
        assert_eq!(parse("https://x/?ref=&source=c").source, "c");
    }

    #[test]
    fn first_value_wins_and_fragments_do_not_count() {
        let c = parse("https://x/?utm_medium=&UTM_MEDIUM=Cpc&utm_medium=email#utm_source=no");
        assert_eq!((c.medium.as_str(), c.source.as_str()), ("cpc", ""));
        assert_eq!(parse("https://x/#?utm_source=a"), Campaign::default());
        assert_eq!(parse("not a url"), Campaign::default());
    }

    #[test]
    fn click_ids_are_recognised() {
        assert_eq!(
            parse("https://x/?gclid=abc").click_id,
            Some(ClickId::Google)
        );
        assert_eq!(
            parse("https://x/?wbraid=abc").click_id,
            Some(ClickId::Google)
        );
        assert_eq!(
            parse("https://x/?a=1&MSCLKID=abc").click_id,
            Some(ClickId::Microsoft)
        );
        assert_eq!(parse("https://x/?yclid=1").click_id, Some(ClickId::Yandex));
        assert_eq!(
            parse("https://x/?dclid=1").click_id,
            Some(ClickId::GoogleDisplay)
        );
        assert_eq!(parse("https://x/?fbclid=abc").click_id, None);
    }

    #[test]
    fn values_are_bounded_and_clean() {
        let long = "é".repeat(500);
        let c = parse(&format!(
            "https://x/?utm_campaign={long}&utm_source={long}&utm_content=a%00b%09c"
        ));
        assert!(c.campaign.len() <= MAX_CAMPAIGN_BYTES && c.campaign.starts_with("éé"));
        assert!(c.source.len() <= MAX_CAMPAIGN_BYTES);
        assert_eq!(c.content, "a b c");
        assert_eq!(normalise("  a \t b  "), "a b");
    }
}
