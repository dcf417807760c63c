//! The install snippet owners paste into their pages: the script, plus the `<noscript>` pixel
//! for visitors without JavaScript. It lives beside the tracking script because both spell the
//! ingress paths browsers load.

use uuid::Uuid;

/// HTML for a service, with `base` the URL at which browsers reach the ingress (aggregator or
/// edge), e.g. `https://t.example.com`.
pub fn install_snippet(base: &str, service: Uuid) -> String {
    let base = base.trim_end_matches('/');
    format!(
        "<noscript><img src=\"{base}/ingress/{service}/pixel.gif\" alt=\"\" width=\"1\" height=\"1\" style=\"position:absolute\"></noscript>\n\
         <script defer src=\"{base}/ingress/{service}/script.js\"></script>"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippet_has_pixel_and_script() {
        let s = install_snippet("https://t.example.com/", Uuid::nil());
        assert!(s.contains(
            "https://t.example.com/ingress/00000000-0000-0000-0000-000000000000/pixel.gif"
        ));
        assert!(s.contains("<script defer src=\"https://t.example.com/ingress/00000000-0000-0000-0000-000000000000/script.js\">"));
        assert!(s.starts_with("<noscript>"));
    }
}
