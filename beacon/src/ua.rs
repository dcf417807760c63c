//! User-Agent classification: browser, OS, device and device type, as Shynet records them.
//!
//! Shynet stores, per session, the uap-core browser/OS/device families and a coarse device type
//! (`PHONE`, `TABLET`, `DESKTOP`, `ROBOT`, `OTHER`) computed with the heuristics of the Python
//! `user-agents` 2.2.0 library. This module reproduces both with the `ua-parser` crate (the uap
//! maintainers' Rust port) over the uap-core regexes bundled in `data/uap-core/regexes.json`,
//! and adds the `isbot` crate's maintained bot list so headless browsers and HTTP libraries that
//! uap-core does not flag are still counted as robots.
//!
//! Building the classifier compiles about 1,200 regexes (a few hundred milliseconds natively,
//! over a second in WASM), so it is built once per process and shared; hence this module exists
//! only with the `classify` feature, which the edge worker turns off.
#![cfg(feature = "classify")]

use std::fmt;

use serde::{Deserialize, Serialize};
use ua_parser::{device, os, user_agent, Extractor, Regexes};

/// The uap-core regexes (converted losslessly from the `regexes.yaml` vendored in `ua-parser`
/// 0.2.2, together with the test files beside it).
static REGEXES_JSON: &str = include_str!("../data/uap-core/regexes.json");

/// Only this many bytes of a User-Agent are classified. Real UAs stay well below 1 KiB; the cap
/// bounds the regex work an abusive header can cause.
const MAX_UA_BYTES: usize = 2048;

/// Shynet's coarse device classes, stored in `session.device_type`.
///
/// Exists because the dashboard's "device type" breakdown and the per-service "ignore robots"
/// switch work on this class rather than on the detailed device family. Serialised (and stored)
/// as the upper-case names `PHONE`, `TABLET`, `DESKTOP`, `ROBOT`, `OTHER`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum DeviceType {
    /// A phone or other small mobile device.
    Phone,
    /// A tablet.
    Tablet,
    /// A desktop or laptop computer.
    Desktop,
    /// A crawler, monitor, HTTP library or other automation.
    Robot,
    /// Anything else (TVs, consoles, unknown devices).
    #[default]
    Other,
}

impl DeviceType {
    /// The spelling stored in Postgres and shown on the dashboard.
    pub fn as_str(self) -> &'static str {
        match self {
            DeviceType::Phone => "PHONE",
            DeviceType::Tablet => "TABLET",
            DeviceType::Desktop => "DESKTOP",
            DeviceType::Robot => "ROBOT",
            DeviceType::Other => "OTHER",
        }
    }
}

impl fmt::Display for DeviceType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a session records about the visitor's software and hardware.
///
/// Exists as the single result of classification that both the writer (session columns) and the
/// robot filter consume, so the raw User-Agent need not travel further than the classifier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UaInfo {
    /// uap-core browser family, e.g. `Chrome`, `Mobile Safari`; `Other` when unknown.
    pub browser: String,
    /// `major.minor.patch` of the browser, as many leading parts as are known; may be empty.
    pub browser_version: String,
    /// uap-core OS family, e.g. `Windows`, `Mac OS X`, `iOS`, `Android`; `Other` when unknown.
    pub os: String,
    /// `major.minor.patch` of the OS, as many leading parts as are known; may be empty.
    pub os_version: String,
    /// uap-core device family, else the device model, else empty; `Other` when unknown.
    pub device: String,
    /// Shynet's device class; always [`DeviceType::Robot`] when `is_robot` is set, except for
    /// an empty User-Agent (see [`UaClassifier::classify`]).
    pub device_type: DeviceType,
    /// Whether the client is automation rather than a person's browser.
    pub is_robot: bool,
}

/// Why the classifier could not be built. Both cases mean the bundled regexes are broken, i.e.
/// a packaging bug, not a runtime condition.
#[derive(Debug, thiserror::Error)]
pub enum UaError {
    /// `regexes.json` is not valid JSON of the expected shape.
    #[error("the bundled uap-core regexes.json cannot be read: {0}")]
    Regexes(#[from] serde_json::Error),
    /// A regex in `regexes.json` does not compile.
    #[error("the bundled uap-core regexes do not compile: {0}")]
    Compile(#[from] ua_parser::Error),
}

/// Classifies User-Agent strings.
///
/// Exists to compile the uap-core regexes and the bot list once and share them: it is `Send +
/// Sync`, so one instance (e.g. in an `Arc` or a `OnceLock`) serves every ingest task.
pub struct UaClassifier {
    extractor: Extractor<'static>,
    bots: isbot::Bots,
}

impl fmt::Debug for UaClassifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UaClassifier").finish_non_exhaustive()
    }
}

/// The raw uap-core results for one UA, with unknowns filled in as uap-core specifies
/// (`Other` families, no versions).
struct Parsed {
    ua: user_agent::Value,
    os: os::Value,
    dev: device::Value,
}

const TABLET_DEVICE_FAMILIES: &[&str] = &[
    "iPad",
    "BlackBerry Playbook",
    "Blackberry Playbook",
    "Kindle",
    "Kindle Fire",
    "Kindle Fire HD",
    "Galaxy Tab",
    "Xoom",
    "Dell Streak",
];

const MOBILE_DEVICE_FAMILIES: &[&str] = &[
    "iPhone",
    "iPod",
    "Generic Smartphone",
    "Generic Feature Phone",
    "PlayStation Vita",
    "iOS-Device",
];

const MOBILE_BROWSER_FAMILIES: &[&str] = &[
    "IE Mobile",
    "Opera Mobile",
    "Opera Mini",
    "Chrome Mobile",
    "Chrome Mobile WebView",
    "Chrome Mobile iOS",
];

const MOBILE_OS_FAMILIES: &[&str] = &[
    "Windows Phone",
    "Windows Phone OS",
    "Symbian OS",
    "Bada",
    "Windows CE",
    "Windows Mobile",
    "Maemo",
];

const PC_OS_FAMILIES: &[&str] = &["Windows 95", "Windows 98", "Solaris"];

/// The facts the `user-agents` heuristics look at.
struct Facts<'a> {
    ua: &'a str,
    browser: &'a str,
    os: &'a str,
    /// All known OS version parts joined with dots (the library's `version_string`).
    os_version_full: &'a str,
    device_family: &'a str,
}

impl Facts<'_> {
    fn is_tablet(&self) -> bool {
        TABLET_DEVICE_FAMILIES.contains(&self.device_family)
            // Newer Android tablets omit "Mobile" from their UA.
            || (self.os == "Android"
                && !self.ua.contains("Mobile Safari")
                && self.browser != "Firefox Mobile")
            || (self.os == "Windows" && self.os_version_full.starts_with("RT"))
            || (self.os == "Firefox OS" && !self.browser.contains("Mobile"))
    }

    fn is_mobile(&self) -> bool {
        MOBILE_DEVICE_FAMILIES.contains(&self.device_family)
            || MOBILE_BROWSER_FAMILIES.contains(&self.browser)
            || ((self.os == "Android" || self.os == "Firefox OS") && !self.is_tablet())
            || (self.os == "BlackBerry OS"
                && self.device_family != "Blackberry Playbook"
                && self.device_family != "BlackBerry Playbook")
            || MOBILE_OS_FAMILIES.contains(&self.os)
            || self.ua.contains("J2ME")
            || self.ua.contains("MIDP")
            || self.ua.contains("iPhone;")
            || self.ua.contains("Googlebot-Mobile")
            || (self.device_family == "Spider" && self.browser.contains("Mobile"))
            || (self.ua.contains("NokiaBrowser") && self.ua.contains("Mobile"))
    }

    fn is_pc(&self) -> bool {
        if self.ua.contains("Windows NT")
            || PC_OS_FAMILIES.contains(&self.os)
            || (self.os == "Windows" && self.os_version_full == "ME")
        {
            return true;
        }
        if self.os == "Mac OS X" && !self.ua.contains("Silk") {
            return true;
        }
        // Maemo sends "Linux" and "X11" but is a phone OS.
        if self.ua.contains("Maemo") {
            return false;
        }
        self.os.contains("Chrome OS") || (self.ua.contains("Linux") && self.ua.contains("X11"))
    }
}

/// Joins the leading known version parts with dots (`["17", "4", None]` → `17.4`).
fn join_version(parts: &[Option<&str>]) -> String {
    let mut out = String::new();
    for part in parts {
        match *part {
            Some(p) if !p.is_empty() => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(p);
            }
            _ => break,
        }
    }
    out
}

fn truncate_to_char_boundary(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while end > 0 && !s.is_char_boundary(end) {
        end -= 1;
    }
    s.get(..end).unwrap_or("")
}

impl UaClassifier {
    /// Compiles the bundled uap-core regexes and the bot list.
    ///
    /// Exists as the one expensive step (hundreds of milliseconds), to be run once at start-up.
    /// Fails only if the bundled data is broken.
    pub fn new() -> Result<Self, UaError> {
        let regexes: Regexes<'static> = serde_json::from_str(REGEXES_JSON)?;
        let extractor = Extractor::try_from(regexes)?;
        Ok(UaClassifier {
            extractor,
            bots: isbot::Bots::default(),
        })
    }

    fn parse(&self, ua: &str) -> Parsed {
        let (u, o, d) = self.extractor.extract(ua);
        Parsed {
            ua: u
                .map(user_agent::ValueRef::into_owned)
                .unwrap_or_else(|| user_agent::Value {
                    family: "Other".to_string(),
                    ..Default::default()
                }),
            os: o
                .map(os::ValueRef::into_owned)
                .unwrap_or_else(|| os::Value {
                    os: "Other".to_string(),
                    ..Default::default()
                }),
            dev: d
                .map(device::ValueRef::into_owned)
                .unwrap_or_else(|| device::Value {
                    device: "Other".to_string(),
                    ..Default::default()
                }),
        }
    }

    /// Classifies one User-Agent header value.
    ///
    /// Exists so every entrance derives the session's browser/OS/device columns and the robot
    /// verdict the same way. The rules, in order:
    ///
    /// * `browser`, `os`: uap-core families (`Other` when unknown); versions are the leading
    ///   known parts of major.minor.patch.
    /// * `device`: uap-core device family, else model, else empty (`Other` when unknown).
    /// * `is_robot`: device family `Spider`, or browser family `googlebot` (any case), or device
    ///   `spider` (any case), or the `isbot` crate's bot list matches (it catches e.g.
    ///   HeadlessChrome, curl, python-requests that uap-core leaves alone).
    /// * `device_type`: `ROBOT` if `is_robot`; else `PHONE`, `TABLET`, `DESKTOP` by the
    ///   `user-agents` 2.2.0 mobile / tablet / PC heuristics, checked in that order; else
    ///   `OTHER`.
    ///
    /// **Empty UA**: an empty or all-whitespace UA gives browser, OS and device `Other`,
    /// device type `OTHER` and `is_robot = true`. Real browsers always send a User-Agent, so an
    /// empty one is treated as automation for filtering, while the device type stays what
    /// Shynet would have recorded (its robot test looks only at parsed families, which are all
    /// `Other` here). This is the one case where `is_robot` and `ROBOT` disagree; robot filters
    /// should therefore test `is_robot`.
    ///
    /// Leading and trailing whitespace is ignored and only the first 2 KiB are examined.
    pub fn classify(&self, ua: &str) -> UaInfo {
        let ua = truncate_to_char_boundary(ua.trim(), MAX_UA_BYTES);
        if ua.is_empty() {
            return UaInfo {
                browser: "Other".to_string(),
                browser_version: String::new(),
                os: "Other".to_string(),
                os_version: String::new(),
                device: "Other".to_string(),
                device_type: DeviceType::Other,
                is_robot: true,
            };
        }
        let Parsed {
            ua: b,
            os: o,
            dev: d,
        } = self.parse(ua);
        let browser_version = join_version(&[&b.major, &b.minor, &b.patch].map(Option::as_deref));
        let os_version = join_version(&[&o.major, &o.minor, &o.patch].map(Option::as_deref));
        let os_version_full =
            join_version(&[&o.major, &o.minor, &o.patch, &o.patch_minor].map(Option::as_deref));
        let device = if !d.device.is_empty() {
            d.device.clone()
        } else {
            d.model.clone().unwrap_or_default()
        };

        let is_robot = d.device == "Spider"
            || b.family.trim().eq_ignore_ascii_case("googlebot")
            || device.trim().eq_ignore_ascii_case("spider")
            || self.bots.is_bot(ua);
        let device_type = if is_robot {
            DeviceType::Robot
        } else {
            let facts = Facts {
                ua,
                browser: &b.family,
                os: &o.os,
                os_version_full: &os_version_full,
                device_family: &d.device,
            };
            if facts.is_mobile() {
                DeviceType::Phone
            } else if facts.is_tablet() {
                DeviceType::Tablet
            } else if facts.is_pc() {
                DeviceType::Desktop
            } else {
                DeviceType::Other
            }
        };
        UaInfo {
            browser: b.family,
            browser_version,
            os: o.os,
            os_version,
            device,
            device_type,
            is_robot,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::sync::OnceLock;

    fn classifier() -> &'static UaClassifier {
        static C: OnceLock<UaClassifier> = OnceLock::new();
        C.get_or_init(|| UaClassifier::new().unwrap())
    }

    type Case = HashMap<String, Option<String>>;

    /// A minimal reader for the uap-core test files: a `test_cases:` list of flat maps whose
    /// values are empty, plain, 'single-quoted' or "double-quoted" scalars.
    fn read_cases(yaml: &str) -> Vec<Case> {
        let mut cases: Vec<Case> = Vec::new();
        for line in yaml.lines() {
            let t = line.trim();
            if t.is_empty() || t.starts_with('#') || t == "test_cases:" {
                continue;
            }
            let (new_case, kv) = match t.strip_prefix("- ") {
                Some(rest) => (true, rest),
                None => (false, t),
            };
            let (key, value) = kv.split_once(':').expect("key: value line");
            if new_case {
                cases.push(Case::new());
            }
            cases
                .last_mut()
                .expect("a case has started")
                .insert(key.trim().to_string(), unquote(value.trim()));
        }
        cases
    }

    fn unquote(v: &str) -> Option<String> {
        let s = if let Some(inner) = v.strip_prefix('\'').and_then(|x| x.strip_suffix('\'')) {
            inner.replace("''", "'")
        } else if let Some(inner) = v.strip_prefix('"').and_then(|x| x.strip_suffix('"')) {
            assert!(!inner.contains('\\'), "escapes are not supported: {v}");
            inner.to_string()
        } else {
            v.to_string()
        };
        (!s.is_empty()).then_some(s)
    }

    fn field(c: &Case, k: &str) -> Option<String> {
        c.get(k).cloned().flatten()
    }

    fn non_empty<S: AsRef<str>>(v: Option<S>) -> Option<String> {
        v.map(|s| s.as_ref().to_string()).filter(|s| !s.is_empty())
    }

    #[test]
    fn classifier_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<UaClassifier>();
    }

    #[test]
    fn golden_test_ua_yaml() {
        let cases = read_cases(include_str!("../data/uap-core/test_ua.yaml"));
        assert_eq!(cases.len(), 1460, "reader lost cases");
        let c = classifier();
        let mut failures = Vec::new();
        for case in &cases {
            let ua = field(case, "user_agent_string").unwrap_or_default();
            let p = c.parse(&ua);
            let got = (
                Some(p.ua.family.clone()),
                non_empty(p.ua.major.as_deref()),
                non_empty(p.ua.minor.as_deref()),
                non_empty(p.ua.patch.as_deref()),
            );
            let want = (
                field(case, "family"),
                field(case, "major"),
                field(case, "minor"),
                field(case, "patch"),
            );
            if got != want {
                failures.push(format!("{ua}\n  got  {got:?}\n  want {want:?}"));
                continue;
            }
            // The public result carries the same data.
            let info = c.classify(&ua);
            if ua.trim() == ua && !ua.is_empty() {
                assert_eq!(Some(info.browser.clone()), want.0, "{ua}");
                let parts = [want.1.as_deref(), want.2.as_deref(), want.3.as_deref()];
                assert_eq!(info.browser_version, join_version(&parts), "{ua}");
            }
        }
        assert!(
            failures.is_empty(),
            "{} of {} test_ua.yaml cases failed:\n{}",
            failures.len(),
            cases.len(),
            failures.join("\n")
        );
    }

    #[test]
    fn golden_test_os_yaml() {
        let cases = read_cases(include_str!("../data/uap-core/test_os.yaml"));
        assert_eq!(cases.len(), 468, "reader lost cases");
        let c = classifier();
        let mut failures = Vec::new();
        for case in &cases {
            let ua = field(case, "user_agent_string").unwrap_or_default();
            let p = c.parse(&ua);
            let got = (
                Some(p.os.os.clone()),
                non_empty(p.os.major.as_deref()),
                non_empty(p.os.minor.as_deref()),
                non_empty(p.os.patch.as_deref()),
                non_empty(p.os.patch_minor.as_deref()),
            );
            let want = (
                field(case, "family"),
                field(case, "major"),
                field(case, "minor"),
                field(case, "patch"),
                field(case, "patch_minor"),
            );
            if got != want {
                failures.push(format!("{ua}\n  got  {got:?}\n  want {want:?}"));
                continue;
            }
            let info = c.classify(&ua);
            if ua.trim() == ua && !ua.is_empty() {
                assert_eq!(Some(info.os.clone()), want.0, "{ua}");
                let parts = [want.1.as_deref(), want.2.as_deref(), want.3.as_deref()];
                assert_eq!(info.os_version, join_version(&parts), "{ua}");
            }
        }
        assert!(
            failures.is_empty(),
            "{} of {} test_os.yaml cases failed:\n{}",
            failures.len(),
            cases.len(),
            failures.join("\n")
        );
    }

    const IPHONE_SAFARI: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1";
    const IPAD_SAFARI: &str = "Mozilla/5.0 (iPad; CPU OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1";
    const WINDOWS_CHROME: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36";

    #[test]
    fn device_types_of_real_user_agents() {
        use DeviceType::*;
        let table: &[(&str, DeviceType)] = &[
            (IPHONE_SAFARI, Phone),
            (IPAD_SAFARI, Tablet),
            ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36", Phone),
            ("Mozilla/5.0 (Linux; Android 13; SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36", Phone),
            ("Mozilla/5.0 (Linux; Android 13; SAMSUNG SM-A536B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36", Phone),
            ("Mozilla/5.0 (Android 14; Mobile; rv:125.0) Gecko/125.0 Firefox/125.0", Phone),
            ("Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Safari/537.36", Tablet),
            ("Mozilla/5.0 (Linux; Android 9; KFTRWI) AppleWebKit/537.36 (KHTML, like Gecko) Silk/124.2.3 like Chrome/124.0.6367.82 Safari/537.36", Tablet),
            (WINDOWS_CHROME, Desktop),
            ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.51", Desktop),
            ("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0", Desktop),
            ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15", Desktop),
            ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:125.0) Gecko/20100101 Firefox/125.0", Desktop),
            ("Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0", Desktop),
            ("Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0", Desktop),
            ("Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36", Desktop),
            ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", Robot),
            ("Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", Robot),
            ("Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)", Robot),
            ("curl/7.88.1", Robot),
            ("python-requests/2.31.0", Robot),
            ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/124.0.0.0 Safari/537.36", Robot),
            ("Mozilla/5.0 (SMART-TV; Linux; Tizen 6.0) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/4.0 Chrome/76.0.3809.146 TV Safari/537.36", Other),
            ("Mozilla/5.0 (Web0S; Linux/SmartTV) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/79.0.3945.79 Safari/537.36 WebAppManager", Other),
            ("Mozilla/5.0 (PlayStation; PlayStation 5/2.26) AppleWebKit/605.1.15 (KHTML, like Gecko)", Other),
        ];
        let c = classifier();
        let mut wrong = Vec::new();
        for &(ua, want) in table {
            let info = c.classify(ua);
            if info.device_type != want {
                wrong.push(format!("{ua}\n  want {want:?}, got {info:?}"));
            }
            assert_eq!(info.is_robot, want == Robot, "{ua}: {info:?}");
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }

    #[test]
    fn user_agents_heuristics_rule_by_rule() {
        // Each case exercises one rule of the `user-agents` 2.2.0 heuristics.
        let facts = |ua: &'static str, browser, os, ver, dev| Facts {
            ua,
            browser,
            os,
            os_version_full: ver,
            device_family: dev,
        };
        // Tablet rules.
        assert!(facts("", "Other", "Other", "", "Kindle Fire HD").is_tablet());
        assert!(facts("", "Other", "Other", "", "Blackberry Playbook").is_tablet());
        assert!(facts("Android Safari/1", "Chrome", "Android", "", "Other").is_tablet());
        assert!(!facts("Android Mobile Safari/1", "Chrome", "Android", "", "Other").is_tablet());
        assert!(!facts("Android", "Firefox Mobile", "Android", "", "Other").is_tablet());
        assert!(facts("", "IE", "Windows", "RT 8.1", "Other").is_tablet());
        assert!(facts("", "Firefox", "Firefox OS", "", "Other").is_tablet());
        assert!(!facts("", "Firefox Mobile", "Firefox OS", "", "Other").is_tablet());
        // Mobile rules.
        for dev in MOBILE_DEVICE_FAMILIES {
            assert!(facts("", "Other", "Other", "", dev).is_mobile(), "{dev}");
        }
        for b in MOBILE_BROWSER_FAMILIES {
            assert!(facts("", b, "Other", "", "Other").is_mobile(), "{b}");
        }
        for os in MOBILE_OS_FAMILIES {
            assert!(facts("", "Other", os, "", "Other").is_mobile(), "{os}");
        }
        assert!(facts("Mobile Safari", "Chrome", "Android", "", "Other").is_mobile());
        assert!(!facts("Safari", "Chrome", "Android", "", "Other").is_mobile());
        assert!(facts("", "Firefox Mobile", "Firefox OS", "", "Other").is_mobile());
        assert!(facts("", "Other", "BlackBerry OS", "", "BlackBerry 9900").is_mobile());
        assert!(!facts("", "Other", "BlackBerry OS", "", "Blackberry Playbook").is_mobile());
        assert!(facts("Foo J2ME/MIDP", "Other", "Other", "", "Other").is_mobile());
        assert!(facts("MIDP-2.0", "Other", "Other", "", "Other").is_mobile());
        assert!(facts("(iPhone; x)", "Other", "Other", "", "Other").is_mobile());
        assert!(facts("Googlebot-Mobile/2.1", "Other", "Other", "", "Other").is_mobile());
        assert!(facts("", "Googlebot Mobile", "Other", "", "Spider").is_mobile());
        assert!(!facts("", "Googlebot", "Other", "", "Spider").is_mobile());
        assert!(facts("NokiaBrowser/8 Mobile", "Other", "Other", "", "Other").is_mobile());
        assert!(!facts("NokiaBrowser/8", "Other", "Other", "", "Other").is_mobile());
        // PC rules.
        assert!(facts("(Windows NT 10.0)", "Other", "Other", "", "Other").is_pc());
        assert!(facts("", "Other", "Windows 98", "", "Other").is_pc());
        assert!(facts("", "Other", "Windows 95", "", "Other").is_pc());
        assert!(facts("", "Other", "Solaris", "", "Other").is_pc());
        assert!(facts("", "Other", "Windows", "ME", "Other").is_pc());
        assert!(!facts("", "Other", "Windows", "XP", "Other").is_pc());
        assert!(facts("Mac", "Safari", "Mac OS X", "", "Other").is_pc());
        assert!(!facts("Mac Silk/1", "Silk", "Mac OS X", "", "Other").is_pc());
        assert!(!facts("Linux X11 Maemo", "Other", "Linux", "", "Other").is_pc());
        assert!(facts("", "Chrome", "Chrome OS", "", "Other").is_pc());
        assert!(facts("(X11; Linux x86_64)", "Firefox", "Linux", "", "Other").is_pc());
        assert!(!facts("(Linux; x86_64)", "Firefox", "Linux", "", "Other").is_pc());
    }

    #[test]
    fn mobile_is_checked_before_tablet() {
        // Chrome on an iPad reports the "Chrome Mobile iOS" family, which `user-agents` counts
        // as mobile before looking at the device; Shynet records PHONE, and so do we.
        let ua = "Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/124.0.6367.88 Mobile/15E148 Safari/604.1";
        let info = classifier().classify(ua);
        assert_eq!(info.browser, "Chrome Mobile iOS");
        assert_eq!(info.device_type, DeviceType::Phone);
    }

    #[test]
    fn fields_of_common_user_agents() {
        let c = classifier();
        let i = c.classify(WINDOWS_CHROME);
        assert_eq!(i.browser, "Chrome");
        assert_eq!(i.browser_version, "124.0.0");
        assert_eq!(i.os, "Windows");
        assert_eq!(i.os_version, "10");
        assert_eq!(i.device, "Other");
        assert!(!i.is_robot);

        let i = c.classify(IPHONE_SAFARI);
        assert_eq!(i.browser, "Mobile Safari");
        assert_eq!(i.browser_version, "17.4.1");
        assert_eq!(i.os, "iOS");
        assert_eq!(i.os_version, "17.4.1");
        assert_eq!(i.device, "iPhone");

        let i = c.classify(IPAD_SAFARI);
        assert_eq!(i.device, "iPad");

        let i =
            c.classify("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)");
        assert_eq!(i.browser, "Googlebot");
        assert_eq!(i.browser_version, "2.1");
        assert_eq!(i.device, "Spider");
        assert_eq!(i.device_type, DeviceType::Robot);
        assert!(i.is_robot);
    }

    #[test]
    fn unknown_user_agent() {
        let i = classifier().classify("zzz");
        assert_eq!(i.browser, "Other");
        assert_eq!(i.browser_version, "");
        assert_eq!(i.os, "Other");
        assert_eq!(i.os_version, "");
        assert_eq!(i.device, "Other");
        assert_eq!(i.device_type, DeviceType::Other);
        assert!(!i.is_robot);
    }

    #[test]
    fn empty_user_agent_is_a_robot_of_type_other() {
        for ua in ["", "   ", "\t\n"] {
            let i = classifier().classify(ua);
            assert_eq!(
                i,
                UaInfo {
                    browser: "Other".into(),
                    browser_version: String::new(),
                    os: "Other".into(),
                    os_version: String::new(),
                    device: "Other".into(),
                    device_type: DeviceType::Other,
                    is_robot: true,
                }
            );
        }
    }

    #[test]
    fn robots_are_always_type_robot() {
        let c = classifier();
        let cases = read_cases(include_str!("../data/uap-core/test_ua.yaml"));
        let mut robots = 0;
        for case in &cases {
            let ua = field(case, "user_agent_string").unwrap_or_default();
            let i = c.classify(&ua);
            if i.is_robot && !ua.trim().is_empty() {
                robots += 1;
                assert_eq!(i.device_type, DeviceType::Robot, "{ua}");
            }
            if i.device_type == DeviceType::Robot {
                assert!(i.is_robot, "{ua}");
            }
        }
        assert!(robots > 100, "only {robots} robots in test_ua.yaml");
    }

    #[test]
    fn huge_and_odd_input_does_not_panic() {
        let c = classifier();
        let huge = format!("{WINDOWS_CHROME} {}", "é".repeat(100_000));
        let i = c.classify(&huge);
        assert_eq!(i.browser, "Chrome");
        for ua in ["\u{0}", "☃", "()", ";;;", "Mozilla/5.0 (", "/////"] {
            let _ = c.classify(ua);
        }
    }

    #[test]
    fn serialises_with_the_documented_field_names() {
        let i = classifier().classify(IPHONE_SAFARI);
        let v = serde_json::to_value(&i).unwrap();
        assert_eq!(
            v,
            serde_json::json!({
                "browser": "Mobile Safari",
                "browser_version": "17.4.1",
                "os": "iOS",
                "os_version": "17.4.1",
                "device": "iPhone",
                "device_type": "PHONE",
                "is_robot": false
            })
        );
        let back: UaInfo = serde_json::from_value(v).unwrap();
        assert_eq!(back, i);
    }

    #[test]
    fn device_type_spellings() {
        use DeviceType::*;
        for (t, s) in [
            (Phone, "PHONE"),
            (Tablet, "TABLET"),
            (Desktop, "DESKTOP"),
            (Robot, "ROBOT"),
            (Other, "OTHER"),
        ] {
            assert_eq!(t.as_str(), s);
            assert_eq!(t.to_string(), s);
            assert_eq!(serde_json::to_string(&t).unwrap(), format!("\"{s}\""));
            assert_eq!(
                serde_json::from_str::<DeviceType>(&format!("\"{s}\"")).unwrap(),
                t
            );
        }
        assert_eq!(DeviceType::default(), Other);
    }

    #[test]
    fn join_version_takes_leading_parts() {
        assert_eq!(join_version(&[Some("1"), Some("2"), Some("3")]), "1.2.3");
        assert_eq!(join_version(&[Some("1"), None, Some("3")]), "1");
        assert_eq!(join_version(&[Some("1"), Some(""), Some("3")]), "1");
        assert_eq!(join_version(&[None, None, None]), "");
    }
}
