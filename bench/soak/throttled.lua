-- wrk wrapper for the soak test: runs one of the ingest workloads (SOAK_WORKLOAD = pixel or
-- script_post, from WORKLOAD_DIR) with a fixed pause before each request on each connection
-- (SOAK_DELAY_MS), so that connections × 1000 / delay sets the request rate.
local dir = os.getenv("WORKLOAD_DIR")
dofile(dir .. os.getenv("SOAK_WORKLOAD") .. ".lua")
local pause = tonumber(os.getenv("SOAK_DELAY_MS"))
function delay() return pause end
