//! The automatic-event script served at `/ingress/{service}[/{identifier}]/auto.js?f=…`, by the
//! aggregator and the edge alike. The tracker requests it only when its `<script>` tag carries
//! data attributes, passing their names (`f=outbound,downloads,404`), so the base script stays
//! small and pages that want no automatic events never load this code. The readable source is
//! `beacon/script/auto.js`, minified by `build.rs`.
//!
//! The body depends only on the requested features (not on the service), so there is one
//! variant per feature set, cached and revalidated like `script.js` (ETag, short max-age).

use crate::event::MAX_PROP_VALUE_CHARS;

/// The minified template with its placeholders still in.
pub const AUTO_SOURCE_MIN: &str = include_str!(concat!(env!("OUT_DIR"), "/auto.min.js"));

/// Replaced (quotes included) by the feature bit set.
const FLAGS_PLACEHOLDER: &str = "\"__AUTO_FLAGS__\"";
/// Replaced (quotes included) by [`MAX_PROP_VALUE_CHARS`], so a long link target is cut to
/// what the aggregator accepts instead of refused.
const MAX_VALUE_PLACEHOLDER: &str = "\"__MAX_VALUE__\"";

/// The automatic events a page asked for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct AutoFeatures {
    /// `data-outbound`: clicks on links to other hosts.
    pub outbound: bool,
    /// `data-downloads`: clicks on links to files with a listed extension.
    pub downloads: bool,
    /// `data-404`: the page is a not-found page.
    pub not_found: bool,
}

impl AutoFeatures {
    /// Reads `f` from a query string: the tag's data-attribute names, comma-separated (the
    /// tracker sends `Object.keys(tag.dataset)`). Names of other data attributes a tag may
    /// carry for other tools are ignored rather than refused.
    pub fn from_query(query: Option<&str>) -> AutoFeatures {
        let mut f = AutoFeatures::default();
        let value = query
            .unwrap_or("")
            .split('&')
            .filter_map(|p| p.strip_prefix("f="))
            .next_back()
            .unwrap_or("");
        let decoded = percent_encoding::percent_decode_str(value).decode_utf8_lossy();
        for name in decoded.split(',').map(str::trim) {
            match name {
                "outbound" => f.outbound = true,
                "downloads" => f.downloads = true,
                "404" => f.not_found = true,
                _ => {}
            }
        }
        f
    }

    /// The bit set `auto.js` reads: 1 outbound, 2 downloads, 4 the 404 event.
    pub fn bits(self) -> u8 {
        u8::from(self.outbound) | u8::from(self.downloads) << 1 | u8::from(self.not_found) << 2
    }
}

/// The script for `features`.
pub fn render(features: AutoFeatures) -> String {
    AUTO_SOURCE_MIN
        .replace(FLAGS_PLACEHOLDER, &features.bits().to_string())
        .replace(MAX_VALUE_PLACEHOLDER, &MAX_PROP_VALUE_CHARS.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn features_from_the_dataset_names() {
        let f = AutoFeatures::from_query(Some("f=404,outbound,cfasync"));
        assert_eq!(
            f,
            AutoFeatures {
                outbound: true,
                downloads: false,
                not_found: true
            }
        );
        assert_eq!(f.bits(), 5);
        assert_eq!(
            AutoFeatures::from_query(Some("x=1&f=downloads%2Coutbound")).bits(),
            3
        );
        assert_eq!(AutoFeatures::from_query(None).bits(), 0);
        assert_eq!(AutoFeatures::from_query(Some("f=%ff")).bits(), 0);
    }

    #[test]
    fn placeholders_are_replaced_and_variants_differ() {
        assert!(AUTO_SOURCE_MIN.contains(FLAGS_PLACEHOLDER));
        assert!(AUTO_SOURCE_MIN.contains(MAX_VALUE_PLACEHOLDER));
        let all = render(AutoFeatures::from_query(Some("f=outbound,downloads,404")));
        assert!(!all.contains("__"), "placeholder left in {all}");
        assert!(all.contains("(7,document)"));
        assert!(all.contains(".slice(0,2000)"));
        // One body (so one ETag) per feature set.
        assert_ne!(all, render(AutoFeatures::default()));
    }
}
