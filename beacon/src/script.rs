//! The tracking script served at `/ingress/{service}[/{identifier}]/script.js`, by the
//! aggregator and by the edge worker alike. The readable source is `beacon/script/tracker.js`;
//! `build.rs` minifies it at build time, and [`render`] fills in the per-service settings for
//! one request. Keeping it here (no I/O) means both entrances serve byte-identical scripts, so
//! caches and ETags agree.

use sha2::{Digest, Sha256};

/// The minified tracker template with its placeholders still in. Built from
/// `script/tracker.js` by `build.rs`, so the served bytes never drift from the source.
pub const TRACKER_SOURCE_MIN: &str = include_str!(concat!(env!("OUT_DIR"), "/tracker.min.js"));

/// Replaced (quotes included) by `!0` or `!1`: whether the script checks DNT/GPC itself.
const RESPECT_DNT_PLACEHOLDER: &str = "\"__RESPECT_DNT__\"";
/// Replaced (quotes included) by the heartbeat interval in milliseconds.
const HEARTBEAT_PLACEHOLDER: &str = "\"__HEARTBEAT_MS__\"";

/// What a visitor who asked not to be tracked gets: no beacon code at all, but a `Shynet`
/// object whose `newPageLoad` and `event` exist, so a site calling them does not throw.
const DNT_STUB: &str = "window.Shynet={dnt:!0,newPageLoad:function(){},event:function(){}};";

/// Most bytes the rendered tracker (no injected code) may take gzipped (level 9, as served):
/// what the script weighed before custom events. `Shynet.event` and the `auto.js` loader fit in
/// it because the script sends one-letter keys, leaves fitting event props to the aggregator,
/// relies on `sendBeacon` and Navigation Timing 2 (in every browser in use) and counts
/// `pushState` and back/forward navigations but not `replaceState` rewrites.
pub const TRACKER_GZIP_BUDGET: usize = 600;

/// Heartbeats more often than this would flood the server for little gain in precision.
const MIN_HEARTBEAT_MS: u64 = 1000;
/// Browsers treat a `setInterval` delay over 2^31-1 ms as 0 (a heartbeat storm).
const MAX_HEARTBEAT_MS: u64 = i32::MAX as u64;

/// The settings one rendering of the script depends on. Every field changes the body, so a
/// response built from them must be cached per combination (or revalidated by [`etag`]).
#[derive(Debug, Clone, Copy)]
pub struct ScriptParams<'a> {
    /// Interval between heartbeats while the page is visible (clamped to 1 s ..= 2^31-1 ms).
    pub heartbeat_ms: u64,
    /// The service honours Do Not Track / Global Privacy Control (Shynet's `respect_dnt`).
    pub respect_dnt: bool,
    /// The script request itself carried `DNT: 1` or `Sec-GPC: 1`.
    pub dnt_request: bool,
    /// The service owner's extra JavaScript (Shynet's `script_inject`), "" for none.
    pub inject: &'a str,
}

/// Renders the script body for one request variant. A request that carried DNT/GPC for a
/// service that respects it gets a stub that sends nothing and defines a no-op
/// `Shynet.newPageLoad` and `Shynet.event`. Otherwise the tracker, which checks DNT/GPC again in the browser
/// when the service respects it (the response may come from a shared cache). `inject` (the
/// owner's extra JS) is appended after a comment line, but NEVER in the DNT variant (the
/// original served it there too: a visitor who opted out must not run the owner's code either).
pub fn render(p: &ScriptParams) -> String {
    if p.respect_dnt && p.dnt_request {
        return DNT_STUB.to_owned();
    }
    let heartbeat = p.heartbeat_ms.clamp(MIN_HEARTBEAT_MS, MAX_HEARTBEAT_MS);
    let mut out = TRACKER_SOURCE_MIN
        .replace(
            RESPECT_DNT_PLACEHOLDER,
            if p.respect_dnt { "!0" } else { "!1" },
        )
        .replace(HEARTBEAT_PLACEHOLDER, &heartbeat.to_string());
    if !p.inject.trim().is_empty() {
        out.push_str("\n// Added by the site's administrator:\n");
        out.push_str(p.inject);
        out.push('\n');
    }
    out
}

/// Strong ETag for a rendered body: `"` + 16 hex digits of its SHA-256 + `"`. Lets browsers
/// and CDNs revalidate cheaply instead of keeping a stale script for a year (as the original's did).
pub fn etag(body: &str) -> String {
    let digest = Sha256::digest(body.as_bytes());
    format!("\"{}\"", hex::encode(&digest[..8]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::process::{Command, Stdio};

    const INJECT: &str = "console.log('owner code');";

    fn params(respect_dnt: bool, dnt_request: bool, inject: &str) -> ScriptParams<'_> {
        ScriptParams {
            heartbeat_ms: 5000,
            respect_dnt,
            dnt_request,
            inject,
        }
    }

    /// Runs `node` with `args`, `stdin` as input; panics (fails the test) when node is missing.
    fn node(args: &[&str], stdin: &str) -> std::process::Output {
        let mut child = Command::new("node")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("`node` must be on PATH for the tracker tests");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    }

    fn assert_parses(js: &str) {
        // `node --check -` reads the script from stdin and only parses it.
        let out = node(&["--check", "-"], js);
        assert!(
            out.status.success(),
            "node --check failed: {}\n--- script ---\n{js}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    #[test]
    fn size_budget() {
        let body = render(&params(true, false, ""));
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(9));
        gz.write_all(body.as_bytes()).unwrap();
        let gzipped = gz.finish().unwrap().len();
        println!(
            "tracker: {} bytes raw, {gzipped} bytes gzipped (level 9)",
            body.len()
        );
        assert!(
            gzipped <= TRACKER_GZIP_BUDGET,
            "tracker is {gzipped} bytes gzipped, budget {TRACKER_GZIP_BUDGET}"
        );
    }

    #[test]
    fn placeholders_are_all_replaced() {
        assert!(TRACKER_SOURCE_MIN.contains(RESPECT_DNT_PLACEHOLDER));
        assert!(TRACKER_SOURCE_MIN.contains(HEARTBEAT_PLACEHOLDER));
        for respect in [true, false] {
            let body = render(&params(respect, false, ""));
            assert!(!body.contains("__"), "placeholder left in {body}");
            assert!(body.contains(if respect { "dnt:!0&&" } else { "dnt:!1&&" }));
            assert!(body.contains("5000"));
        }
    }

    #[test]
    fn heartbeat_is_clamped() {
        let mut p = params(true, false, "");
        p.heartbeat_ms = 0;
        assert!(render(&p).contains(",1000)"));
        p.heartbeat_ms = u64::MAX;
        assert!(render(&p).contains(",2147483647)"));
    }

    #[test]
    fn dnt_variant_is_a_stub_without_inject() {
        let body = render(&params(true, true, INJECT));
        assert_eq!(body, DNT_STUB);
        assert!(!body.contains("owner code"));
        assert!(body.contains("newPageLoad:function(){}"));
        assert!(body.contains("event:function(){}"));
        assert_parses(&body);
    }

    #[test]
    fn dnt_request_is_ignored_when_the_service_does_not_respect_it() {
        let body = render(&params(false, true, INJECT));
        assert!(body.starts_with(TRACKER_SOURCE_MIN.split('"').next().unwrap()));
        assert!(body.contains("owner code"));
    }

    #[test]
    fn inject_is_appended_after_a_comment() {
        let body = render(&params(true, false, INJECT));
        let (tracker, rest) = body
            .split_once("\n// Added by the site's administrator:\n")
            .unwrap();
        assert!(tracker.ends_with(';'));
        assert_eq!(rest, format!("{INJECT}\n"));
        assert_parses(&body);
        // Blank inject adds nothing.
        assert_eq!(
            render(&params(true, false, " \n")),
            render(&params(true, false, ""))
        );
    }

    #[test]
    fn rendered_variants_parse() {
        for respect in [true, false] {
            assert_parses(&render(&params(respect, false, "")));
        }
    }

    #[test]
    fn etag_is_strong_and_content_addressed() {
        let a = etag("a");
        assert_eq!(a.len(), 18);
        assert!(a.starts_with('"') && a.ends_with('"'));
        assert!(a[1..17].chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(a, etag("a"));
        assert_ne!(a, etag("b"));
        // SHA-256("a") starts with ca978112ca1bbdca.
        assert_eq!(a, "\"ca978112ca1bbdca\"");
    }

    /// Runs the rendered tracker in a fake browser (Node's `vm` with stubbed window, document,
    /// navigator, history, performance) and checks what it sends. The scenarios and their
    /// assertions are in the JavaScript below; a failure exits non-zero with a message.
    #[test]
    fn behaves_in_a_fake_browser() {
        let full = render(&params(true, false, ""));
        let no_respect = render(&params(false, false, ""));
        let stub = render(&params(true, true, INJECT));
        let auto = |q: &str| {
            crate::auto_script::render(crate::auto_script::AutoFeatures::from_query(Some(q)))
        };
        let input = serde_json::json!({
            "full": full,
            "noRespect": no_respect,
            "stub": stub,
            "autoAll": auto("f=outbound,downloads,404"),
            "autoOutbound": auto("f=outbound"),
        })
        .to_string();
        // The flag lets the harness see the tracker's dynamic import of auto.js.
        let out = node(&["--experimental-vm-modules", "-e", HARNESS], &input);
        assert!(
            out.status.success(),
            "fake-browser scenarios failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        println!("{}", String::from_utf8_lossy(&out.stdout));
    }

    const HARNESS: &str = r##"
const vm = require("vm");
const assert = require("assert");
const input = JSON.parse(require("fs").readFileSync(0, "utf8"));

// One fake page. Returns the sandbox plus handles to drive it.
function page(src, opts = {}) {
  const sent = [], fetched = [], listeners = {}, docListeners = {}, intervals = [], touched = [];
  const imported = [];
  let href = opts.href || "https://site.example/a?x=1";
  const loc = {};
  Object.defineProperty(loc, "href", { get: () => href });
  Object.defineProperty(loc, "host", { get: () => new URL(href).host });
  const hist = {
    pushState(s, t, url) { href = new URL(url, href).href; },
    replaceState(s, t, url) { if (url !== undefined) href = new URL(url, href).href; },
  };
  const doc = {
    currentScript: opts.noCurrentScript ? null
      : { src: "https://stats.example/ingress/svc/ident/script.js?v=3#frag", dataset: opts.dataset || {} },
    addEventListener(type, fn, capture) { (docListeners[type] = docListeners[type] || []).push({ fn, capture }); },
    querySelector(sel) { return sel === "script[data-downloads]" ? opts.tag || null : null; },
    readyState: opts.readyState || "complete",
    hidden: !!opts.hidden,
    referrer: "https://search.example/",
  };
  for (const k of ["cookie"]) Object.defineProperty(doc, k, {
    get() { touched.push(k); return ""; }, set() { touched.push(k); } });
  const nav = {
    doNotTrack: opts.dnt ? "1" : null,
    globalPrivacyControl: opts.gpc,
    sendBeacon: opts.noBeacon ? undefined : (url, body) => {
      if (opts.beaconThrows) throw new TypeError("nope");
      sent.push({ url, body: JSON.parse(body), raw: body });
      return !opts.beaconRefuses;
    },
  };
  const win = {
    navigator: nav, document: doc, location: loc, history: hist,
    addEventListener(type, fn) { (listeners[type] = listeners[type] || []).push(fn); },
    setInterval(fn, ms) { intervals.push({ fn, ms }); return intervals.length; },
    performance: opts.noNavEntry
      ? { getEntriesByType: () => [], timing: { navigationStart: 1000, domContentLoadedEventEnd: 1234 } }
      : { getEntriesByType: (t) => t === "navigation" ? [{ domContentLoadedEventEnd: 321.5 }] : [] },
    fetch(url, init) {
      fetched.push({ url, init });
      return opts.fetchRejects ? Promise.reject(new Error("offline")) : Promise.resolve({});
    },
    JSON, Math, Date, String, URL, Promise, TypeError,
  };
  for (const k of ["localStorage", "sessionStorage", "indexedDB"]) Object.defineProperty(win, k, {
    get() { touched.push(k); return undefined; } });
  win.window = win;
  const ctx = vm.createContext(win);
  // Dynamic imports (the auto.js loader) are recorded, not loaded.
  new vm.Script(src, { importModuleDynamically(spec) { imported.push(spec); throw new Error("not here"); } })
    .runInContext(ctx);
  return {
    win, doc, hist, sent, fetched, listeners, docListeners, intervals, touched, imported, ctx,
    fire(type) { for (const fn of listeners[type] || []) fn({ type }); },
    click(type, link, button = 0) {
      const target = { closest: (sel) => (sel === "a[href]" ? link : null) };
      for (const l of docListeners[type] || []) l.fn({ type, target, button });
    },
    tick() { for (const i of intervals) i.fn(); },
    go(url) { href = new URL(url, href).href; },
  };
}

const KEYS = ["i", "r", "l", "t"];
const URL_OUT = "https://stats.example/ingress/svc/ident/script.js";

// Page view on load, posted back to the script URL without query/fragment.
let p = page(input.full);
assert.strictEqual(p.sent.length, 1);
let pv = p.sent[0];
assert.strictEqual(pv.url, URL_OUT);
assert.deepStrictEqual(Object.keys(pv.body), KEYS);
assert.strictEqual(pv.body.r, "https://search.example/");
assert.strictEqual(pv.body.l, "https://site.example/a?x=1");
assert.strictEqual(pv.body.t, 321.5);
assert.ok(pv.body.i.length >= 8);
assert.strictEqual(p.win.Shynet.dnt, false);
assert.strictEqual(typeof p.win.Shynet.newPageLoad, "function");
assert.deepStrictEqual(p.touched, [], "no cookies or storage");

// Heartbeats: same body, only while visible, at the configured interval.
assert.strictEqual(p.intervals.length, 1);
assert.strictEqual(p.intervals[0].ms, 5000);
p.tick();
assert.strictEqual(p.sent.length, 2);
assert.strictEqual(p.sent[1].raw, pv.raw);
p.doc.hidden = true; p.tick(); p.doc.hidden = false;
assert.strictEqual(p.sent.length, 2);

// SPA: pushState to another path is a new page view (new token, referrer = previous URL,
// no loadTime); later heartbeats carry the new token.
p.hist.pushState(null, "", "/b");
assert.strictEqual(p.sent.length, 3);
let spa = p.sent[2].body;
assert.deepStrictEqual(Object.keys(spa), ["i", "r", "l"]);
assert.strictEqual(spa.r, "https://site.example/a?x=1");
assert.strictEqual(spa.l, "https://site.example/b");
assert.notStrictEqual(spa.i, pv.body.i);
p.tick();
assert.strictEqual(p.sent[3].body.i, spa.i);
// replaceState (routers rewriting the current entry, to another URL too) and fragment-only
// changes are not page views.
p.hist.replaceState({ scroll: 1 }, "");
p.hist.replaceState(null, "", "/b?normalised=1");
p.go("/b");
p.hist.pushState(null, "", "#section");
p.go("/b#other"); p.fire("popstate");
assert.strictEqual(p.sent.length, 4);
// ... but the manual call counts a fragment change (hash routers), once.
p.win.Shynet.newPageLoad();
assert.strictEqual(p.sent.length, 5);
assert.strictEqual(p.sent[4].body.l, "https://site.example/b#other");
p.win.Shynet.newPageLoad();
assert.strictEqual(p.sent.length, 5);
// Back button to another path.
p.go("/a?x=1"); p.fire("popstate");
assert.strictEqual(p.sent.length, 6);
assert.strictEqual(p.sent[5].body.r, "https://site.example/b#other");
assert.deepStrictEqual(p.touched, []);

// Not loaded yet: waits for the load event.
p = page(input.full, { readyState: "loading" });
assert.strictEqual(p.sent.length, 0);
p.hist.pushState(null, "", "/early");   // before the first page view: nothing
assert.strictEqual(p.sent.length, 0);
p.doc.readyState = "complete"; p.fire("load");
assert.strictEqual(p.sent.length, 1);
assert.strictEqual(p.sent[0].body.l, "https://site.example/early");

// Hidden at load (background tab, prerender): page view at the first visible tick.
p = page(input.full, { hidden: true });
assert.strictEqual(p.sent.length, 0);
p.tick();
assert.strictEqual(p.sent.length, 0);
p.doc.hidden = false; p.tick();
assert.strictEqual(p.sent.length, 1);
assert.strictEqual(p.sent[0].body.t, 321.5);

// No Navigation Timing entry: the page view goes without a load time.
p = page(input.full, { noNavEntry: true });
assert.deepStrictEqual(Object.keys(p.sent[0].body), ["i", "r", "l"]);

// DNT / GPC with a service that respects them: nothing sent, nothing wrapped, no-op API.
for (const o of [{ dnt: true }, { gpc: true }]) {
  p = page(input.full, o);
  assert.strictEqual(p.sent.length + p.fetched.length, 0);
  assert.strictEqual(p.win.Shynet.dnt, true);
  p.win.Shynet.newPageLoad();
  p.hist.pushState(null, "", "/x");
  assert.strictEqual(p.sent.length + p.fetched.length + p.intervals.length, 0);
}
// ... and with a service that does not: tracked.
p = page(input.noRespect, { dnt: true, gpc: true });
assert.strictEqual(p.sent.length, 1);

// No currentScript (cannot know where to post): stays silent, API exists.
p = page(input.full, { noCurrentScript: true });
assert.strictEqual(p.sent.length, 0);
p.win.Shynet.newPageLoad();

// sendBeacon only: a browser without it, or one that throws, sends nothing and the page never
// sees an error.
for (const o of [{ noBeacon: true }, { beaconThrows: true }]) {
  p = page(input.full, o);
  p.tick();
  p.win.Shynet.event("Signup");
  assert.strictEqual(p.sent.length + p.fetched.length, 0);
}

// The DNT stub: defines the API, sends nothing.
const stub = vm.createContext({});
stub.window = stub;
vm.runInContext(input.stub, stub);
assert.strictEqual(stub.Shynet.dnt, true);
stub.Shynet.newPageLoad();
stub.Shynet.event("Signup", { plan: "pro" });

// Custom events: posted beside the script, bound to the current page view's token, props as
// the page passed them (the aggregator fits them: src/event.rs); sent even while hidden.
const EVENT_OUT = "https://stats.example/ingress/svc/ident/event";
p = page(input.full);
p.win.Shynet.event("Signup", { plan: "pro", seats: 3 });
assert.strictEqual(p.sent.length, 2);
let ev = p.sent[1];
assert.strictEqual(new URL(ev.url).href, EVENT_OUT);
assert.deepStrictEqual(ev.body, {
  n: "Signup", p: { plan: "pro", seats: 3 }, k: p.sent[0].body.i, l: "https://site.example/a?x=1",
});
p.hist.pushState(null, "", "/b");
p.doc.hidden = true;
p.win.Shynet.event("Hidden");
ev = p.sent[p.sent.length - 1].body;
assert.strictEqual(ev.n, "Hidden");
assert.strictEqual(ev.k, p.sent[2].body.i, "bound to the SPA page view");
assert.strictEqual(ev.l, "https://site.example/b");
p.win.Shynet.event("404");
assert.deepStrictEqual(Object.keys(p.sent[p.sent.length - 1].body), ["n", "k", "l"]);
// Not tracking: nothing sent.
for (const o of [{ dnt: true }, { noCurrentScript: true }]) {
  p = page(input.full, o);
  p.win.Shynet.event("Signup", { plan: "pro" });
  assert.strictEqual(p.sent.length + p.fetched.length, 0);
}
assert.deepStrictEqual(p.touched, []);

// auto.js is loaded only when the tag has data attributes, for exactly those, after the
// first page view.
p = page(input.full);
assert.deepStrictEqual(p.imported, []);
p = page(input.full, { readyState: "loading", dataset: { outbound: "", 404: "" } });
assert.deepStrictEqual(p.imported, []);
p.doc.readyState = "complete"; p.fire("load");
assert.strictEqual(p.imported.length, 1);
assert.strictEqual(new URL(p.imported[0]).href, "https://stats.example/ingress/svc/ident/auto.js?f=404,outbound");
p = page(input.full, { dnt: true, dataset: { outbound: "" } });
assert.deepStrictEqual(p.imported, []);

// auto.js: 404 at once; downloads by extension (the tag's list, any case), outbound links to
// other hosts, middle clicks too; nothing for same-host pages or right clicks.
const link = (href) => { const u = new URL(href); return { href, pathname: u.pathname, protocol: u.protocol, host: u.host }; };
const last = (q) => q.sent[q.sent.length - 1].body;
p = page(input.full, { tag: { getAttribute: () => "zip, PDF" } });
vm.runInContext(input.autoAll, p.ctx);
assert.strictEqual(p.win.Shynet.auto, 7);
assert.strictEqual(last(p).n, "404");
assert.strictEqual(last(p).k, p.sent[0].body.i);
const before = p.sent.length;
p.click("click", link("https://site.example/files/report.PDF"));
assert.deepStrictEqual([last(p).n, last(p).p], ["File Download", { url: "https://site.example/files/report.PDF" }]);
p.click("click", link("https://elsewhere.example/x"));
assert.deepStrictEqual([last(p).n, last(p).p], ["Outbound Link: Click", { url: "https://elsewhere.example/x" }]);
p.click("auxclick", link("https://elsewhere.example/y"), 1);
assert.strictEqual(last(p).p.url, "https://elsewhere.example/y");
p.click("auxclick", link("https://elsewhere.example/z"), 2);
p.click("click", link("https://site.example/page.html"));
p.click("click", link("https://site.example/a.exe"));
p.click("click", link("mailto:someone@example.com"));
p.click("click", null);
assert.strictEqual(p.sent.length, before + 3);
assert.ok(p.docListeners.click.every((l) => l.capture === true));
// Outbound only: no 404, downloads on the same host are not events.
p = page(input.full);
vm.runInContext(input.autoOutbound, p.ctx);
p.click("click", link("https://site.example/a.pdf"));
assert.strictEqual(p.sent.length, 1);
p.click("click", link("https://elsewhere.example/a.pdf"));
assert.strictEqual(last(p).n, "Outbound Link: Click");
// Under DNT auto.js does nothing at all.
p = page(input.full, { dnt: true });
vm.runInContext(input.autoAll, p.ctx);
assert.strictEqual(p.docListeners.click, undefined);
assert.strictEqual(p.sent.length, 0);

process.on("unhandledRejection", (e) => { console.error("unhandled rejection", e); process.exit(1); });
setTimeout(() => console.log("all fake-browser scenarios passed"), 10);
"##;
}
