//! A cheap, dependency-free "obvious automation" test for User-Agent strings.
//!
//! The edge worker cannot afford the full uap-core classification (building the regexes costs
//! over a second of CPU in WASM), yet it should not forward traffic from crawlers, uptime probes
//! and HTTP libraries that a service owner asked to ignore. [`looks_like_bot`] answers that with a
//! handful of case-insensitive substring checks: no regex engine, no tables to build, a few
//! hundred nanoseconds per call.
//!
//! It deliberately errs toward **false negatives**: a bot it misses is still caught by the
//! aggregator, which runs the full classification (uap-core regexes plus a maintained bot list,
//! see `ua.rs`), whereas a real visitor wrongly dropped here would be lost for good.

/// Longest prefix of a User-Agent that is scanned. Real UAs are well under 1 KiB; the cap only
/// bounds the work an abusive multi-kilobyte header can cause.
const MAX_SCAN_BYTES: usize = 4096;

/// Lower-case ASCII markers of automated clients. Each is matched as a substring, ignoring ASCII
/// case. They are chosen to be rare in real browsers' UAs.
const BOT_MARKERS: &[&str] = &[
    "bot",
    "crawl",
    "spider",
    "slurp",
    "headless",
    "curl/",
    "wget/",
    "python-",
    "go-http-client",
    "java/",
    "okhttp",
    "httpclient",
    "phantomjs",
    "lighthouse",
    "pingdom",
    "uptime",
    "monitor",
    "preview",
    "facebookexternalhit",
    "scrapy",
];

/// Words that contain `bot` but name real consumer devices, so a `bot` hit inside them does not
/// count (for example CUBOT Android phones send `Android 10; CUBOT X30`).
const BOT_FALSE_FRIENDS: &[&str] = &["cubot"];

/// Returns `true` when the User-Agent obviously belongs to automation (crawlers, monitors, link
/// previewers, HTTP libraries, headless browsers), or is empty.
///
/// Exists so the edge can drop robot traffic for services with "ignore robots" on without
/// loading the uap-core regexes. An empty (or all-whitespace) UA counts as a bot because every
/// real browser sends one. Errs toward false negatives: when in doubt it says "not a bot" and
/// leaves the decision to the aggregator's full classification.
pub fn looks_like_bot(ua: &str) -> bool {
    let ua = ua.trim();
    if ua.is_empty() {
        return true;
    }
    let bytes = ua.as_bytes();
    let hay = &bytes[..bytes.len().min(MAX_SCAN_BYTES)];
    BOT_MARKERS.iter().any(|marker| {
        let marker = marker.as_bytes();
        if marker == b"bot" {
            contains_bot_outside_false_friends(hay)
        } else {
            find_ignore_ascii_case(hay, marker, 0).is_some()
        }
    })
}

/// Position of the first case-insensitive occurrence of `needle` in `hay` at or after `from`.
fn find_ignore_ascii_case(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || from >= hay.len() || hay.len() - from < needle.len() {
        return None;
    }
    hay.get(from..)?
        .windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
        .map(|p| p + from)
}

/// `true` if some occurrence of `bot` is not part of one of [`BOT_FALSE_FRIENDS`].
fn contains_bot_outside_false_friends(hay: &[u8]) -> bool {
    let mut from = 0;
    while let Some(pos) = find_ignore_ascii_case(hay, b"bot", from) {
        let inside_friend = BOT_FALSE_FRIENDS.iter().any(|friend| {
            let friend = friend.as_bytes();
            // Offset of "bot" within the friend word, e.g. 2 for "cubot".
            match find_ignore_ascii_case(friend, b"bot", 0) {
                Some(off) if pos >= off => hay
                    .get(pos - off..pos - off + friend.len())
                    .is_some_and(|w| w.eq_ignore_ascii_case(friend)),
                _ => false,
            }
        });
        if !inside_friend {
            return true;
        }
        from = pos + 1;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::looks_like_bot;

    #[test]
    fn empty_and_blank_are_bots() {
        assert!(looks_like_bot(""));
        assert!(looks_like_bot("   "));
        assert!(looks_like_bot("\t\n"));
    }

    #[test]
    fn obvious_automation_is_caught() {
        let bots = [
            "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
            "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
            "Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)",
            "Mozilla/5.0 (compatible; Yahoo! Slurp; http://help.yahoo.com/help/us/ysearch/slurp)",
            "Baiduspider+(+http://www.baidu.com/search/spider.htm)",
            "CCBot/2.0 (https://commoncrawl.org/faq/)",
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/124.0.0.0 Safari/537.36",
            "curl/7.88.1",
            "Wget/1.21.3",
            "python-requests/2.31.0",
            "Python-urllib/3.11",
            "Go-http-client/2.0",
            "Java/17.0.2",
            "okhttp/4.12.0",
            "Apache-HttpClient/4.5.14 (Java/17.0.8)",
            "Mozilla/5.0 (Unknown; Linux x86_64) AppleWebKit/538.1 (KHTML, like Gecko) PhantomJS/2.1.1 Safari/538.1",
            "Mozilla/5.0 (Linux; Android 11; moto g power (2022)) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Mobile Safari/537.36 Chrome-Lighthouse",
            "Pingdom.com_bot_version_1.4_(http://www.pingdom.com/)",
            "Mozilla/5.0 (compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)",
            "Site24x7 Monitor",
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/58.0.3029.110 Safari/537.36 BingPreview/1.0b",
            "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
            "Scrapy/2.11.0 (+https://scrapy.org)",
            "SomeCrawler/1.0",
            "GOOGLEBOT",
        ];
        for ua in bots {
            assert!(looks_like_bot(ua), "should be a bot: {ua}");
        }
    }

    #[test]
    fn real_browsers_pass() {
        let browsers = [
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.51",
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15",
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:125.0) Gecko/20100101 Firefox/125.0",
            "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1",
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36",
            "Mozilla/5.0 (Linux; Android 13; SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36",
            "Mozilla/5.0 (iPad; CPU OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1",
            "Mozilla/5.0 (Linux; Android 10; CUBOT X30) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36",
            "Mozilla/5.0 (SMART-TV; Linux; Tizen 6.0) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/4.0 Chrome/76.0.3809.146 TV Safari/537.36",
            "Mozilla/5.0 (Linux; Android 13; SAMSUNG SM-A536B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36",
        ];
        for ua in browsers {
            assert!(!looks_like_bot(ua), "should not be a bot: {ua}");
        }
    }

    #[test]
    fn false_friend_does_not_hide_a_real_bot_marker() {
        assert!(looks_like_bot("CUBOT X30 somebot/1.0"));
        assert!(looks_like_bot("robot cubot"));
        assert!(!looks_like_bot("cubot"));
        assert!(!looks_like_bot("CuBoT"));
    }

    #[test]
    fn never_panics_on_odd_input() {
        assert!(!looks_like_bot("bo"));
        assert!(looks_like_bot("bot"));
        assert!(!looks_like_bot("ünïcödé ☃ browser"));
        assert!(looks_like_bot("ünïcödé ☃ BOT"));
        let huge = "a".repeat(1 << 20);
        assert!(!looks_like_bot(&huge));
        // A marker beyond the scan cap is not seen: bounded work beats completeness here.
        let late = format!("{}bot", "a".repeat(10_000));
        assert!(!looks_like_bot(&late));
    }
}
