-- The page-view model of the JavaScript tracker, shared by script_post.lua and
-- script_events.lua (wrk 4.x Lua). Loaded with dofile() next to common.lua; call the
-- returned function with the common helpers.
--
-- Replays what the tracker does in a browser: on page load it POSTs
--   {"idempotency": <random id>, "referrer": document.referrer,
--    "location": window.location.href, "loadTime": <ms>}
-- with Content-Type: application/json, then re-sends the *same* body as a
-- heartbeat every 5 s while the tab is visible (same idempotency key = same hit).
--
-- Model: each wrk thread keeps SLOTS concurrent page views. Requests go round-robin
-- over the slots; a page view sends 1 initial beacon + HEARTBEATS heartbeats, then
-- is replaced by a new page view (new idempotency key). A new page view belongs to
-- a new visitor (fresh IP + User-Agent) with probability 1/PAGES_PER_VISIT, otherwise
-- to the same visitor (same IP + UA -> same session in the server).
-- Defaults: 5 heartbeats (~25-30 s on page), 3 pages per visit, so 1 request in 6
-- is a page load and 1 in 18 starts a new visitor/session.
--
-- env: HEARTBEATS (default 5), PAGES_PER_VISIT (default 3), SLOTS (default 64)

return function(C)
  local M = {}
  M.HEARTBEATS = tonumber(os.getenv("HEARTBEATS") or "5")
  local PAGES_PER_VISIT = tonumber(os.getenv("PAGES_PER_VISIT") or "3")
  local SLOTS = tonumber(os.getenv("SLOTS") or "64")

  local slots, cursor = {}, 0

  -- A JSON string literal (control characters, quotes and backslashes escaped).
  function M.json_str(s)
    return '"' .. s:gsub('[%c"\\]', function(c) return string.format("\\u%04x", c:byte()) end) .. '"'
  end
  local json_str = M.json_str

  local function new_visitor()
    return { ip = C.random_ip(), ua = C.pick(C.user_agents), referrer = C.pick(C.referrers) }
  end

  local function new_pageview(visitor, prev_location)
    local location = C.site .. C.pick(C.paths)
    -- first page of a visit: external/direct referrer; later pages: the previous page
    local referrer = prev_location or visitor.referrer
    local token = C.idempotency()
    local body = string.format('{"idempotency":%s,"referrer":%s,"location":%s,"loadTime":%d}',
      json_str(token), json_str(referrer), json_str(location), math.random(150, 2500))
    return { visitor = visitor, location = location, body = body, token = token, left = 1 + M.HEARTBEATS }
  end

  -- wrk's init() for one thread: seeds its generator, resets its error count and fills the
  -- slots.
  function M.init()
    C.start_thread(104729)
    wrk.method = "POST"
    for i = 1, SLOTS do
      local pv = new_pageview(new_visitor(), nil)
      -- stagger so that page loads are spread over time instead of all at start
      pv.left = math.random(1, 1 + M.HEARTBEATS)
      slots[i] = pv
    end
  end

  -- Moves to the next slot and returns its page view (sent or not).
  function M.next_slot()
    cursor = cursor % SLOTS + 1
    return slots[cursor]
  end

  -- The current slot's next beacon: a heartbeat of its page view, or the first beacon of
  -- the page view that replaces it once its heartbeats are spent.
  function M.beacon()
    local pv = slots[cursor]
    if pv.left <= 0 then
      if math.random(PAGES_PER_VISIT) == 1 then
        pv = new_pageview(new_visitor(), nil)
      else
        pv = new_pageview(pv.visitor, pv.location)
      end
      slots[cursor] = pv
    end
    pv.left = pv.left - 1
    local v = pv.visitor
    local headers = {
      ["Content-Type"] = "application/json",
      ["User-Agent"] = v.ua,
      ["X-Forwarded-For"] = v.ip,
      -- cross-origin XHR from the tracked page: default referrer policy sends the origin only
      ["Origin"] = C.site,
      ["Referer"] = C.site .. "/",
      ["Accept"] = "*/*",
    }
    return wrk.format("POST", nil, headers, pv.body)
  end

  return M
end
