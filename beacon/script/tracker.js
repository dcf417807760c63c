/*
 * Shynet tracker: one page view per page load (and per single-page-app navigation), then a
 * heartbeat every few seconds while the page is visible, all carrying the same random token so
 * the server can tell page views from heartbeats. No cookies, no storage, no fingerprinting.
 *
 * This is the readable source. beacon/build.rs minifies it at build time and
 * beacon/src/script.rs fills in the placeholders per request. The served script has a size
 * budget (600 bytes gzipped), hence the terse style. Rules the build relies on:
 *   - End every statement with a semicolon: the minifier drops line breaks, so there is no
 *     automatic semicolon insertion. Never write an empty statement (`if (x);`).
 *   - Names starting with "_" are ours and are renamed to one letter at build time. Never give
 *     that prefix to anything the browser defines (globals, DOM properties, event names).
 *   - "__RESPECT_DNT__" becomes !0 or !1 and "__HEARTBEAT_MS__" a number, quotes included.
 *   - No regular expression literals, no template strings (keep the tokenizer's job simple).
 */
(function (_win, _doc, _nav, _loc, _hist, _script, _url, _href, _body) {
  // (The parameters after _hist are plain local variables; declaring them here saves bytes.
  // _href is the URL of the current page view, undefined until the first one is sent.)

  // Read now: document.currentScript is only set while this script is being executed.
  _script = _doc.currentScript;

  // Shynet's API: newPageLoad() after a client-side navigation. It does nothing while no page
  // view was sent (in particular when we do not track) or when the URL, fragment included, is
  // unchanged, so routers that call it after a pushState we already saw do not count twice.
  // Do Not Track / Global Privacy Control are checked here too because the script may come
  // from a cache filled by a visitor who did not send those headers.
  _win.Shynet = {
    dnt:
      "__RESPECT_DNT__" &&
      (_nav.globalPrivacyControl || _nav.doNotTrack == 1 || _win.doNotTrack == 1),
    newPageLoad: function () {
      _href && _loc.href != _href && _pageView(_href);
    }
  };
  if (_win.Shynet.dnt || !_script) return;

  // Post back to where the script came from (aggregator or edge, identifier path included).
  // Cutting at "?" also drops any fragment, and a fragment is never sent anyway.
  _url = _script.src.split("?")[0];

  // Sends the current body, only while the page is visible: a hidden page (background tab,
  // or a prerendered page, which is hidden until shown) sends its page view at the first
  // heartbeat tick after it becomes visible, and one never shown is not counted.
  // sendBeacon with a string body sends text/plain, a CORS-safelisted type: no preflight.
  // fetch when sendBeacon is missing or refuses (queue full). Errors never reach the page
  // (String is just a harmless function to swallow the rejection with).
  function _send() {
    if (!_doc.hidden)
      try {
        _nav.sendBeacon && _nav.sendBeacon(_url, _body) ||
          fetch(_url, { method: "POST", body: _body, keepalive: true }).catch(String);
      } catch (_e) {}
  }

  // Starts a page view: a new token and one beacon now. Heartbeats repeat the latest body, so
  // the first one to arrive is the page view.
  // JSON.stringify leaves loadTime out when it is undefined.
  function _pageView(_referrer, _ms) {
    _body = JSON.stringify({
      // 52 random bits: plenty to tell apart the page views of one visitor.
      idempotency: "" + Math.random(),
      referrer: _referrer,
      location: _href = _loc.href,
      loadTime: _ms > 0 ? _ms : void 0
    });
    _send();
  }

  // First page view once the page has loaded, then a heartbeat every interval.
  // Load time: DOMContentLoaded in ms since navigation start (Navigation Timing 2, else 1).
  function _start(_t) {
    if (_doc.readyState != "complete") addEventListener("load", _start);
    else {
      try {
        _t = performance;
        _t = _t.getEntriesByType("navigation")[0] || _t.timing;
        _t = _t.domContentLoadedEventEnd - (_t.navigationStart || 0);
      } catch (_e) {}
      _pageView(_doc.referrer, _t);
      setInterval(_send, "__HEARTBEAT_MS__");
    }
  }

  // Single-page apps: a new page view when the URL changes other than in its fragment.
  // Fragment-only changes (in-page anchors, which also fire popstate) are not page views;
  // hash-routed apps call Shynet.newPageLoad() themselves.
  function _navigated() {
    _href && _loc.href.split("#")[0] != _href.split("#")[0] && _pageView(_href);
  }
  ["pushState", "replaceState"].forEach(function (_name, _original) {
    _original = _hist[_name];
    // (Both return undefined, so there is no result to pass on.)
    _hist[_name] = function () {
      _original.apply(this, arguments);
      _navigated();
    };
  });
  addEventListener("popstate", _navigated);

  _start();
})(window, document, navigator, location, history);
