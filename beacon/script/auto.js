/*
 * Shynet automatic events: loaded by the tracker (script.js) only when its tag opts in with
 * data attributes, so pages that do not ask never download this code:
 *   data-outbound          "Outbound Link: Click" with the target as prop `url`, for clicks on
 *                          links to another host;
 *   data-downloads="pdf,…" "File Download" with prop `url`, for clicks on links whose file
 *                          extension is listed (an empty value means the list below);
 *   data-404               "404" once, on a page that says it is a not-found page.
 * Every event goes through Shynet.event, which uses sendBeacon: a click
 * is never held up or cancelled, so navigation is not delayed.
 *
 * Same build rules as tracker.js (beacon/build.rs minifies both): semicolons everywhere, "_"
 * names are renamed, no regular expression literals, no template strings. "__AUTO_FLAGS__"
 * becomes a number (1 outbound, 2 downloads, 4 the 404 event) and "__MAX_VALUE__" the longest
 * prop value the aggregator accepts.
 */
(function (_flags, _doc, _shynet, _tag, _exts) {
  _shynet = window.Shynet;
  // No tracker, or a visitor who asked not to be tracked: nothing to do.
  if (!_shynet || _shynet.dnt) return;

  _flags & 4 && _shynet.event("404");

  _tag = _doc.querySelector("script[data-downloads]");
  _exts = ((_tag && _tag.getAttribute("data-downloads")) ||
    "pdf,xlsx,docx,txt,rtf,csv,exe,key,pps,ppt,pptx,7z,pkg,rar,gz,zip,avi,mov,mp4,mpeg,wmv,midi,mp3,wav,wma,dmg,iso,msi,apk,epub")
    .toLowerCase()
    .split(",")
    .map(function (_x) {
      return _x.trim();
    });

  // A link click (main button, keyboard, or middle button via auxclick): a download when the
  // path ends in a listed extension, else outbound when it leaves this host.
  function _clicked(_e, _a, _path, _dot, _url) {
    _a = _e.target && _e.target.closest && _e.target.closest("a[href]");
    // (SVG links have no pathname; auxclick also fires for the right button.)
    if (!_a || !_a.pathname || _e.type == "auxclick" && _e.button != 1) return;
    _path = _a.pathname;
    _dot = _path.lastIndexOf(".");
    // (href is a serialised URL, ASCII only: slicing cannot split a character.)
    _url = { url: _a.href.slice(0, "__MAX_VALUE__") };
    if (_flags & 2 && _dot > _path.lastIndexOf("/") &&
        _exts.indexOf(_path.slice(_dot + 1).toLowerCase()) >= 0)
      _shynet.event("File Download", _url);
    else if (_flags & 1 && _a.protocol.indexOf("http") == 0 && _a.host != location.host)
      _shynet.event("Outbound Link: Click", _url);
  }
  if (_flags & 3) {
    _doc.addEventListener("click", _clicked, !0);
    _doc.addEventListener("auxclick", _clicked, !0);
  }
  // Which automatic events are on (for a site's own checks, and tests).
  _shynet.auto = _flags;
})("__AUTO_FLAGS__", document);
