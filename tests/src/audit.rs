//! Accessibility checks in a real Chromium: axe-core (the npm package, read from `node_modules`
//! and run through WebDriver, because the dashboard's CSP forbids every script source a page
//! could load it from), colour-scheme emulation through ChromeDriver's DevTools bridge, and a
//! keyboard walk that tabs through a page and checks each stop shows a focus ring.

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::Client;
use std::path::PathBuf;

/// The axe-core impacts that fail a page.
pub const FAILING_IMPACTS: [&str; 2] = ["serious", "critical"];

/// Where `npm ci` puts axe-core's browser bundle.
pub fn axe_path() -> PathBuf {
    crate::workspace_root().join("node_modules/axe-core/axe.min.js")
}

/// axe-core's bundle. Fails (never skips) when it is missing.
pub fn axe_source() -> String {
    let path = axe_path();
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; install the JavaScript tools with `npm ci` (scripts/setup does)",
            path.display()
        )
    })
}

/// One serious or critical axe-core finding, with the elements it names.
#[derive(Debug, Clone)]
pub struct Violation {
    /// axe-core's rule id (`color-contrast`, `label`, …).
    pub rule: String,
    /// `serious` or `critical`.
    pub impact: String,
    /// What the rule asks for.
    pub help: String,
    /// Each failing element: its selector and axe-core's summary of what is wrong.
    pub nodes: Vec<String>,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "  [{}] {}: {}", self.impact, self.rule, self.help)?;
        for n in &self.nodes {
            writeln!(f, "      {n}")?;
        }
        Ok(())
    }
}

/// Runs axe-core (WCAG 2.x A and AA rules and best practices) on the current page and returns
/// its serious and critical violations.
pub async fn axe(b: &Client, source: &str) -> Vec<Violation> {
    let loaded = b
        .execute(
            &format!("{source}\n;return typeof window.axe === 'object';"),
            vec![],
        )
        .await
        .expect("inject axe-core");
    assert_eq!(loaded, serde_json::json!(true), "axe-core did not load");
    let got = b
        .execute_async(
            "const done = arguments[arguments.length - 1];
             window.axe.run(document, {resultTypes: ['violations']})
               .then((r) => done(JSON.stringify(r.violations.map((v) => ({
                  rule: v.id, impact: v.impact, help: v.help,
                  nodes: v.nodes.map((n) => n.target.join(' ') + ': '
                    + (n.failureSummary || '').replace(/\\s+/g, ' '))})))),
                     (e) => done('error: ' + e));",
            vec![],
        )
        .await
        .expect("run axe-core");
    let text = got.as_str().unwrap_or_default();
    assert!(!text.starts_with("error:"), "axe-core: {text}");
    let all: Vec<serde_json::Value> = serde_json::from_str(text).expect("axe-core's answer");
    all.into_iter()
        .filter(|v| FAILING_IMPACTS.contains(&v["impact"].as_str().unwrap_or_default()))
        .map(|v| Violation {
            rule: v["rule"].as_str().unwrap_or_default().to_owned(),
            impact: v["impact"].as_str().unwrap_or_default().to_owned(),
            help: v["help"].as_str().unwrap_or_default().to_owned(),
            nodes: v["nodes"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|n| n.as_str().unwrap_or_default().to_owned())
                        .collect()
                })
                .unwrap_or_default(),
        })
        .collect()
}

/// Whether the page is drawn dark: the relative luminance (WCAG) of the `<main>` background,
/// or the body's where `<main>` is transparent, is below one half.
pub async fn looks_dark(b: &Client) -> bool {
    let l = b
        .execute(
            "const bg = (e) => e && getComputedStyle(e).backgroundColor;
             let c = bg(document.querySelector('main'));
             if (!c || c === 'rgba(0, 0, 0, 0)') c = bg(document.body);
             const [r, g, b] = c.match(/[\\d.]+/g).slice(0, 3).map((v) => {
               const s = v / 255;
               return s <= 0.04045 ? s / 12.92 : Math.pow((s + 0.055) / 1.055, 2.4);
             });
             return 0.2126 * r + 0.7152 * g + 0.0722 * b;",
            vec![],
        )
        .await
        .expect("background luminance");
    l.as_f64().expect("a luminance") < 0.5
}

/// ChromeDriver's bridge to the DevTools protocol (`POST /session/{id}/goog/cdp/execute`).
#[derive(Debug)]
struct Cdp {
    cmd: &'static str,
    params: serde_json::Value,
}

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        let body = serde_json::json!({ "cmd": self.cmd, "params": self.params });
        (http::Method::POST, Some(body.to_string()))
    }
}

/// Emulates `prefers-color-scheme: dark` (or light) for this browser tab, across navigations,
/// with DevTools' `Emulation.setEmulatedMedia` and checks the page's media query agrees.
pub async fn color_scheme(b: &Client, dark: bool) {
    let value = if dark { "dark" } else { "light" };
    b.issue_cmd(Cdp {
        cmd: "Emulation.setEmulatedMedia",
        params: serde_json::json!({
            "features": [{ "name": "prefers-color-scheme", "value": value }]
        }),
    })
    .await
    .expect("emulate the colour scheme");
    let matches = b
        .execute(
            "return window.matchMedia('(prefers-color-scheme: ' + arguments[0] + ')').matches;",
            vec![serde_json::json!(value)],
        )
        .await
        .expect("read the colour scheme");
    assert_eq!(matches, serde_json::json!(true), "{value} scheme emulated");
}

/// Most pixels tall a full-page screenshot may be (Chromium refuses far larger captures).
const MAX_SHOT_HEIGHT: f64 = 16_000.0;

/// A PNG of the whole page, not only the window (DevTools' `Page.captureScreenshot` beyond the
/// viewport), at the window's width.
pub async fn full_page_png(b: &Client) -> Vec<u8> {
    use base64::Engine;
    let size = b
        .execute(
            "const d = document.documentElement;
             return [d.clientWidth, Math.max(d.scrollHeight, document.body.scrollHeight)];",
            vec![],
        )
        .await
        .expect("page size");
    let w = size[0].as_f64().unwrap_or(1280.0);
    let h = size[1].as_f64().unwrap_or(900.0).min(MAX_SHOT_HEIGHT);
    let got = b
        .issue_cmd(Cdp {
            cmd: "Page.captureScreenshot",
            params: serde_json::json!({
                "format": "png",
                "captureBeyondViewport": true,
                "clip": { "x": 0, "y": 0, "width": w, "height": h, "scale": 1 }
            }),
        })
        .await
        .expect("capture the page");
    let data = got["data"].as_str().expect("screenshot data");
    base64::engine::general_purpose::STANDARD
        .decode(data)
        .expect("base64 screenshot")
}

/// The controls a keyboard user must reach on the current page, as selectors the walk below
/// marks: visible links, buttons, fields, `<summary>`s; a radio group counts once.
const CONTROLS: &str = "a[href], button, input:not([type=hidden]), select, textarea, summary";

/// Presses Tab from the top of the page until focus comes back round, and returns the problems:
/// visible controls that Tab never reached and stops that showed no focus ring (an outline; for a
/// visually hidden radio or checkbox, an outline on the label text beside it; for a link in a
/// chart, a stroke round its bar).
pub async fn keyboard_walk(b: &Client) -> Vec<String> {
    let total = b
        .execute(
            "const sel = arguments[0];
             document.activeElement && document.activeElement.blur();
             const seen = new Set();
             let n = 0;
             for (const e of document.querySelectorAll(sel)) {
               if (!e.checkVisibility({visibilityProperty: true})) continue;
               if (e.type === 'radio') { if (seen.has(e.name)) continue; seen.add(e.name); }
               e.dataset.kbd = 'todo'; n++;
             }
             return n;",
            vec![serde_json::json!(CONTROLS)],
        )
        .await
        .expect("mark controls")
        .as_u64()
        .unwrap_or(0);
    let mut problems = Vec::new();
    // Until focus comes back to the first stop; a date field has a stop per part (day, month,
    // year), hence the generous cap.
    let mut first: Option<serde_json::Value> = None;
    for _ in 0..total * 4 + 10 {
        let tab = KeyActions::new("keyboard".into())
            .then(KeyAction::Down {
                value: Key::Tab.into(),
            })
            .then(KeyAction::Up {
                value: Key::Tab.into(),
            });
        b.perform_actions(tab).await.expect("press Tab");
        let got = b
            .execute(
                "const e = document.activeElement;
                 if (!e || e === document.body) return null;
                 const ring = (x) => { if (!x) return false; const s = getComputedStyle(x);
                   return (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0)
                     || s.boxShadow !== 'none'; };
                 const stroke = (x) => { if (!x) return false; const s = getComputedStyle(x);
                   return s.stroke !== 'none' && parseFloat(s.strokeWidth) > 0; };
                 let shown = ring(e) || (e instanceof SVGElement && stroke(e.querySelector('.target')));
                 if (!shown && (e.type === 'radio' || e.type === 'checkbox')) {
                   shown = ring(e.nextElementSibling) || ring(e.labels && e.labels[0]);
                 }
                 const name = e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
                   + (e.getAttribute('href') ? '[href=' + e.getAttribute('href') + ']' : '')
                   + (e.name ? '[name=' + e.name + ']' : '')
                   + ' \"' + (e.textContent || e.value || '').trim().slice(0, 40) + '\"';
                 if (e.type === 'radio') {
                   document.querySelectorAll('input[type=radio]').forEach((r) => {
                     if (r.name === e.name) delete r.dataset.kbd; });
                 }
                 delete e.dataset.kbd;
                 return [shown, name];",
                vec![],
            )
            .await
            .expect("read the focused element");
        if let Some([shown, name]) = got.as_array().map(|a| [a[0].clone(), a[1].clone()]) {
            match &first {
                None => first = Some(name.clone()),
                Some(f) if *f == name && total > 1 => break,
                Some(_) => {}
            }
            if shown != serde_json::json!(true) {
                problems.push(format!("no focus ring on {}", name.as_str().unwrap_or("?")));
            }
        }
    }
    let missed = b
        .execute(
            "return [...document.querySelectorAll('[data-kbd=todo]')].map((e) =>
               e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
               + (e.getAttribute('href') ? '[href=' + e.getAttribute('href') + ']' : '')
               + ' \"' + (e.textContent || e.value || '').trim().slice(0, 40) + '\"');",
            vec![],
        )
        .await
        .expect("list missed controls");
    for m in missed.as_array().into_iter().flatten() {
        problems.push(format!("Tab never reaches {}", m.as_str().unwrap_or("?")));
    }
    problems.sort();
    problems.dedup();
    problems
}
