/*
 * Shynet tracker: one page view per page load (and per single-page-app navigation), then a
 * heartbeat every few seconds while the page is visible, all carrying the same random token so
 * the server can tell page views from heartbeats. Custom events with Shynet.event(name, props),
 * bound to the current page view by its token. No cookies, no storage, no fingerprinting.
 *
 * This is the readable source. beacon/build.rs minifies it at build time and
 * beacon/src/script.rs fills in the placeholders per request. The served script has a size
 * budget (see TRACKER_GZIP_BUDGET in script.rs), hence the terse style. Rules the build relies on:
 *   - End every statement with a semicolon: the minifier drops line breaks, so there is no
 *     automatic semicolon insertion. Never write an empty statement (`if (x);`).
 *   - Names starting with "_" are ours and are renamed to one letter at build time. Never give
 *     that prefix to anything the browser defines (globals, DOM properties, event names).
 *   - "__RESPECT_DNT__" becomes !0 or !1 and "__HEARTBEAT_MS__" a number, quotes included.
 *   - No regular expression literals, no template strings (keep the tokenizer's job simple).
 */
((_win, _doc, _nav, _loc, _hist, _script, _url, _href, _body, _token, _api, _post, _send, _pageView, _start, _navigated, _push) => {
  // (The parameters after _hist are plain local variables; declaring them here saves bytes.
  // _href is the URL of the current page view, undefined until the first one is sent; _token
  // is its token, which events carry so the server can bind them to it.)
  // Wire keys are one letter (the aggregator also accepts the long names): a page view is
  // {i: token, r: referrer, l: location, t: load time}, an event {n: name, p: props,
  // k: page-view token, l: location}.

  // Read now: document.currentScript is only set while this script is being executed.
  _script = _doc.currentScript;

  // Shynet's API: newPageLoad() after a client-side navigation. It does nothing while no page
  // view was sent (in particular when we do not track) or when the URL, fragment included, is
  // unchanged, so routers that call it after a pushState we already saw do not count twice.
  // event(name, props) sends a custom event. Props go as they are: the aggregator keeps the
  // first 30 (its limit), turns numbers and booleans into strings and counts what it left
  // out, because the page-view token marks the call as the script's. It does nothing when we
  // do not track (_url is then undefined). It is sent whether or not the page is visible, with
  // sendBeacon, so an event sent on a link click never delays the navigation.
  // Do Not Track / Global Privacy Control are checked here too because the script may come
  // from a cache filled by a visitor who did not send those headers.
  _api = _win.Shynet = {
    dnt: "__RESPECT_DNT__" && (_nav.globalPrivacyControl || _nav.doNotTrack == 1),
    newPageLoad: () => _href && _loc.href != _href && _pageView(_href),
    event: (_name, _props) => {
      // ".../script.js/../event": the browser resolves it to the event route beside the script.
      _url && _post(_url + "/../event", { n: _name, p: _props, k: _token, l: _loc.href });
    }
  };
  if (_api.dnt || !_script) return;

  // Post back to where the script came from (aggregator or edge, identifier path included).
  // Cutting at "?" also drops any fragment, and a fragment is never sent anyway.
  _url = _script.src.split("?")[0];

  // Posts a body as JSON with sendBeacon: a string body goes as text/plain, a CORS-safelisted
  // type, so there is no preflight, and the browser sends it even while the page unloads.
  // (Every browser in use has sendBeacon; its 64 KiB in-flight quota is far above what a page
  // view and its heartbeats take.) Errors never reach the page.
  _post = (_to, _json) => {
    try {
      _nav.sendBeacon(_to, JSON.stringify(_json));
    } catch {}
  };

  // Sends the current page-view body, only while the page is visible: a hidden page
  // (background tab, or a prerendered page, which is hidden until shown) sends its page view
  // at the first heartbeat tick after it becomes visible, and one never shown is not counted.
  _send = () => _doc.hidden || _post(_url, _body);

  // Starts a page view: a new token and one beacon now. Heartbeats repeat the latest body, so
  // the first one to arrive is the page view.
  // JSON.stringify leaves the load time out when it is undefined.
  _pageView = (_referrer, _ms) => {
    _body = {
      // 52 random bits: plenty to tell apart the page views of one visitor.
      i: _token = "" + Math.random(),
      r: _referrer,
      l: _href = _loc.href,
      t: _ms > 0 ? _ms : void 0
    };
    _send();
  };

  // First page view once the page has loaded, then a heartbeat every interval.
  // Load time: DOMContentLoaded in ms since navigation start (Navigation Timing 2).
  // Then, when the tag has data attributes (data-outbound, data-downloads, data-404), the
  // automatic-event script for exactly those, as a module beside this script: its code is
  // never in this one, and pages without the attributes never load it.
  // (readyState is "loading", "interactive" or "complete": only the last sorts before "d".)
  _start = _t => {
    if (_doc.readyState > "d") addEventListener("load", _start);
    else {
      try {
        _t = performance.getEntriesByType("navigation")[0].domContentLoadedEventEnd;
      } catch {}
      _pageView(_doc.referrer, _t);
      setInterval(_send, "__HEARTBEAT_MS__");
      (_t = Object.keys(_script.dataset) + "") && import(_url + "/../auto.js?f=" + _t).catch(String);
    }
  };

  // Single-page apps: a new page view when pushState or the back button moves to another URL
  // other than in its fragment. Fragment-only changes (in-page anchors, which also fire
  // popstate) are not page views; hash-routed apps call Shynet.newPageLoad() themselves.
  // replaceState is left alone: routers use it to rewrite the current entry (scroll state,
  // normalised URLs), which is not a visit to another page.
  _navigated = () => _href && _loc.href.split("#")[0] != _href.split("#")[0] && _pageView(_href);
  _push = _hist.pushState;
  _hist.pushState = function () {
    _push.apply(this, arguments);
    _navigated();
  };
  addEventListener("popstate", _navigated);

  _start();
})(window, document, navigator, location, history);
