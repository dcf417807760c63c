-- wrk workload: JavaScript tracker beacons with custom events mixed in. The page views and
-- their heartbeats of script_post.lua (modelled in pageviews.lua), except that a share of the
-- requests (EVENT_SHARE, default 0.2) are custom events, POST <ingress>/<service>/event, each
-- bound to the slot's current page view by its token, as Shynet.event sends them.
--
-- usage: wrk -t2 -c32 -d20s --latency -s script_events.lua http://127.0.0.1:8088/ingress/<SERVICE_UUID>/script.js
-- env:   HEARTBEATS (default 5), PAGES_PER_VISIT (default 3), SLOTS (default 64),
--        EVENT_SHARE (default 0.2)

local dir = os.getenv("WORKLOAD_DIR") or (debug.getinfo(1, "S").source:match("^@(.*/)") or "./")
local C = dofile(dir .. "common.lua")
local PV = dofile(dir .. "pageviews.lua")(C)

local EVENT_SHARE = tonumber(os.getenv("EVENT_SHARE") or "0.2")
local EVENTS = {
  { name = "Signup", props = '{"plan":"pro"}' },
  { name = "Outbound Link: Click", props = '{"url":"https://elsewhere.example/"}' },
  { name = "File Download", props = '{"url":"https://example.com/a.pdf"}' },
  { name = "Play", props = '{}' },
}

function setup(thread) C.setup(thread) end

local event_path

function init(args)
  event_path = wrk.path:gsub("script%.js$", "event")
  PV.init()
end

local function event_body(pv)
  local e = EVENTS[math.random(#EVENTS)]
  return string.format('{"name":%s,"props":%s,"page":%s,"location":%s}',
    PV.json_str(e.name), e.props, PV.json_str(pv.token), PV.json_str(pv.location))
end

function request()
  local pv = PV.next_slot()
  -- An event from a page view already sent (its first beacon went out), like a click on it.
  if pv.left <= PV.HEARTBEATS and math.random() < EVENT_SHARE then
    local v = pv.visitor
    return wrk.format("POST", event_path, {
      ["Content-Type"] = "text/plain;charset=UTF-8",
      ["User-Agent"] = v.ua,
      ["X-Forwarded-For"] = v.ip,
      ["Origin"] = C.site,
      ["Referer"] = C.site .. "/",
    }, event_body(pv))
  end
  return PV.beacon()
end

function response(status, headers, body) C.count_response(status) end

function done(summary, latency, requests) C.done(summary, latency, requests) end
