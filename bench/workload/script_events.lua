-- wrk workload: JavaScript tracker beacons with custom events mixed in. The same model as
-- script_post.lua (page views and their heartbeats), except that a share of the requests
-- (EVENT_SHARE, default 0.2) are custom events, POST <ingress>/<service>/event, each bound to
-- the slot's current page view by its token, as Shynet.event sends them.
--
-- Based on script_post.lua (JavaScript tracker beacons, POST <ingress>/<service>/script.js):
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
-- usage: wrk -t2 -c32 -d20s --latency -s script_events.lua http://127.0.0.1:8088/ingress/<SERVICE_UUID>/script.js
-- env:   HEARTBEATS (default 5), PAGES_PER_VISIT (default 3), SLOTS (default 64),
--        EVENT_SHARE (default 0.2)

local dir = os.getenv("WORKLOAD_DIR") or (debug.getinfo(1, "S").source:match("^@(.*/)") or "./")
local C = dofile(dir .. "common.lua")

local HEARTBEATS = tonumber(os.getenv("HEARTBEATS") or "5")
local PAGES_PER_VISIT = tonumber(os.getenv("PAGES_PER_VISIT") or "3")
local SLOTS = tonumber(os.getenv("SLOTS") or "64")
local EVENT_SHARE = tonumber(os.getenv("EVENT_SHARE") or "0.2")
local EVENTS = {
  { name = "Signup", props = '{"plan":"pro"}' },
  { name = "Outbound Link: Click", props = '{"url":"https://elsewhere.example/"}' },
  { name = "File Download", props = '{"url":"https://example.com/a.pdf"}' },
  { name = "Play", props = '{}' },
}

function setup(thread) C.setup(thread) end

local slots, cursor = {}, 0

local function json_str(s)
  return '"' .. s:gsub('[%c"\\]', function(c) return string.format("\\u%04x", c:byte()) end) .. '"'
end

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
  return { visitor = visitor, location = location, body = body, token = token, left = 1 + HEARTBEATS }
end

local event_path

function init(args)
  event_path = wrk.path:gsub("script%.js$", "event")
  math.randomseed(os.time() * 1000 + (id or 1) * 104729)
  bad = 0
  wrk.method = "POST"
  for i = 1, SLOTS do
    local pv = new_pageview(new_visitor(), nil)
    -- stagger so that page loads are spread over time instead of all at start
    pv.left = math.random(1, 1 + HEARTBEATS)
    slots[i] = pv
  end
end

local function event_body(pv)
  local e = EVENTS[math.random(#EVENTS)]
  return string.format('{"name":%s,"props":%s,"page":%s,"location":%s}',
    json_str(e.name), e.props, json_str(pv.token), json_str(pv.location))
end

function request()
  cursor = cursor % SLOTS + 1
  local pv = slots[cursor]
  -- An event from a page view already sent (its first beacon went out), like a click on it.
  if pv.left <= HEARTBEATS and math.random() < EVENT_SHARE then
    local v = pv.visitor
    return wrk.format("POST", event_path, {
      ["Content-Type"] = "text/plain;charset=UTF-8",
      ["User-Agent"] = v.ua,
      ["X-Forwarded-For"] = v.ip,
      ["Origin"] = C.site,
      ["Referer"] = C.site .. "/",
    }, event_body(pv))
  end
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

function response(status, headers, body)
  if status < 200 or status > 299 then
    bad = bad + 1
  end
end

function done(summary, latency, requests) C.done(summary, latency, requests) end
