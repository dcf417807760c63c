-- wrk script for the soak test's dashboard reads: the JSON API's all-services figures for the
-- last 30 days (the dashboard's default window), authenticated with SOAK_TOKEN, one request per
-- SOAK_DELAY_MS per connection.
local token = os.getenv("SOAK_TOKEN")
local pause = tonumber(os.getenv("SOAK_DELAY_MS"))
function request()
  return wrk.format("GET", nil, { ["Authorization"] = "Token " .. token }, nil)
end
function delay() return pause end
