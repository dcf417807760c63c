//! Clean page URLs: the query parameters that only say where a visitor came from (`utm_*`,
//! ad click ids, mail campaign ids) are removed before pages are grouped, so one page is one row
//! on the dashboard however it was linked. Each service keeps its own list (services differ: a
//! shop's `?ref=` may be a real page parameter); [`DEFAULT_TRACKING_PARAMS`] is what new
//! services start with. The raw URL is stored as well; only the grouping uses the clean one.

use crate::url_parts::{decode, split};
use std::fmt;
use std::str::FromStr;

/// The list a new service starts with. `name*` matches every parameter starting with `name`.
pub const DEFAULT_TRACKING_PARAMS: &str = "utm_*, fbclid, gclid, gbraid, wbraid, dclid, msclkid, \
     yclid, twclid, ttclid, li_fat_id, igshid, mc_cid, mc_eid, _ga, _gl, _hsenc, _hsmi, mkt_tok";

/// Most entries in one service's list.
pub const MAX_TRACKING_PARAMS: usize = 64;
/// Longest entry (bytes, including a trailing `*`).
pub const MAX_TRACKING_PARAM_BYTES: usize = 64;

/// Why a list was refused; the message is shown beside the form field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrackingParamsError {
    /// More than [`MAX_TRACKING_PARAMS`] entries.
    #[error("List at most {MAX_TRACKING_PARAMS} parameters.")]
    TooMany,
    /// An entry with characters a parameter name does not have, or too long.
    #[error(
        "`{0}` is not a parameter name: use letters, digits, `_`, `-`, `.`, `[` or `]` (at most \
         {MAX_TRACKING_PARAM_BYTES} characters), optionally ending in `*` to match every name \
         that starts with it."
    )]
    Invalid(String),
}

/// A service's list of tracking parameters, matched ASCII case-insensitively.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrackingParams {
    /// Whole names, lower-case.
    exact: Vec<String>,
    /// Name prefixes (entries ending in `*`), lower-case, without the `*`.
    prefixes: Vec<String>,
}

impl FromStr for TrackingParams {
    type Err = TrackingParamsError;

    /// Entries separated by commas, spaces or new lines; duplicates are dropped.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut out = TrackingParams::default();
        let entries = s
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|e| !e.is_empty());
        for (i, entry) in entries.enumerate() {
            if i >= MAX_TRACKING_PARAMS {
                return Err(TrackingParamsError::TooMany);
            }
            let (name, prefix) = match entry.strip_suffix('*') {
                Some(n) => (n, true),
                None => (entry, false),
            };
            let ok_char = |c: char| c.is_ascii_alphanumeric() || "_-.[]".contains(c);
            if name.is_empty()
                || entry.len() > MAX_TRACKING_PARAM_BYTES
                || !name.chars().all(ok_char)
            {
                return Err(TrackingParamsError::Invalid(
                    entry.chars().take(80).collect(),
                ));
            }
            let list = if prefix {
                &mut out.prefixes
            } else {
                &mut out.exact
            };
            let name = name.to_ascii_lowercase();
            if !list.contains(&name) {
                list.push(name);
            }
        }
        Ok(out)
    }
}

impl fmt::Display for TrackingParams {
    /// The canonical spelling stored in `services.tracking_params`: prefixes first.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let prefixes = self.prefixes.iter().map(|p| format!("{p}*"));
        let all: Vec<String> = prefixes.chain(self.exact.iter().cloned()).collect();
        f.write_str(&all.join(", "))
    }
}

impl TrackingParams {
    /// Whether no parameter is removed.
    pub fn is_empty(&self) -> bool {
        self.exact.is_empty() && self.prefixes.is_empty()
    }

    /// Whether `name` (decoded) is a tracking parameter.
    pub fn matches(&self, name: &str) -> bool {
        let lower = name.to_ascii_lowercase();
        self.exact.contains(&lower) || self.prefixes.iter().any(|p| lower.starts_with(p))
    }

    /// `url` without its tracking parameters, or `None` when there are none to remove (the
    /// caller then keeps the URL as it is). The other parameters keep their order and spelling,
    /// a query left empty loses its `?`, and the fragment stays.
    pub fn clean(&self, url: &str) -> Option<String> {
        if self.is_empty() {
            return None;
        }
        let query = split(url).query?;
        let tracking = |seg: &str| {
            let name = seg.split_once('=').map_or(seg, |(n, _)| n);
            !seg.is_empty() && self.matches(&decode(name))
        };
        if !query.split('&').any(tracking) {
            return None;
        }
        let kept: Vec<&str> = query
            .split('&')
            .filter(|seg| !seg.is_empty() && !tracking(seg))
            .collect();
        let q = url.find('?')?;
        let base = &url[..q];
        let fragment = url[q..].find('#').map(|i| &url[q + i..]).unwrap_or("");
        let mut out = String::with_capacity(url.len());
        out.push_str(base);
        if !kept.is_empty() {
            out.push('?');
            out.push_str(&kept.join("&"));
        }
        out.push_str(fragment);
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn default() -> TrackingParams {
        DEFAULT_TRACKING_PARAMS.parse().unwrap()
    }

    #[test]
    fn tracking_parameters_go_and_the_rest_stays() {
        let p = default();
        assert_eq!(
            p.clean("https://x.example/a?utm_source=n&id=7&FBCLID=z&utm_medium=e#sec")
                .as_deref(),
            Some("https://x.example/a?id=7#sec")
        );
        assert_eq!(
            p.clean("https://x.example/a?gclid=1&utm_campaign=s")
                .as_deref(),
            Some("https://x.example/a")
        );
        assert_eq!(
            p.clean("https://x.example/?b=2&a=1&utm_x").as_deref(),
            Some("https://x.example/?b=2&a=1")
        );
        // Encoded names are matched decoded.
        assert_eq!(
            p.clean("https://x.example/?utm%5Fsource=n&q=1").as_deref(),
            Some("https://x.example/?q=1")
        );
        // Nothing to remove: the caller keeps the original.
        assert_eq!(p.clean("https://x.example/?q=utm_source"), None);
        assert_eq!(p.clean("https://x.example/#utm_source=x"), None);
        assert_eq!(p.clean("https://x.example/"), None);
        assert_eq!(p.clean("https://x.example/?a=1&&b"), None);
        assert_eq!(
            TrackingParams::default().clean("https://x/?utm_source=a"),
            None
        );
    }

    #[test]
    fn lists_are_validated_and_canonical() {
        let p: TrackingParams = " ref\nutm_*,ref, REF , x-y.z[0] ".parse().unwrap();
        assert_eq!(p.to_string(), "utm_*, ref, x-y.z[0]");
        assert!(p.matches("UTM_Anything") && p.matches("Ref") && !p.matches("refs"));
        assert_eq!(p.to_string().parse::<TrackingParams>().unwrap(), p);
        assert!("".parse::<TrackingParams>().unwrap().is_empty());
        for bad in ["a=b", "*", "a b*c", "ü", &"x".repeat(65)] {
            assert!(
                matches!(
                    bad.parse::<TrackingParams>(),
                    Err(TrackingParamsError::Invalid(_))
                ),
                "{bad}"
            );
        }
        let many = (0..65)
            .map(|i| format!("p{i}"))
            .collect::<Vec<_>>()
            .join(",");
        assert_eq!(
            many.parse::<TrackingParams>(),
            Err(TrackingParamsError::TooMany)
        );
        assert_eq!(
            default().to_string(),
            DEFAULT_TRACKING_PARAMS.replace("  ", " ")
        );
    }
}
