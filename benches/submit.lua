-- wrk script: each request is one anonymous survey submission by a different student.
--
-- Environment:
--   TOKENS   file with one access token per line (from `securebase synthetic --tokens-out`)
--   ITEMS    file with one line per item: "<item id> <value>,<value>,..." (from bench_items.py)
--   WINDOW   survey window id
--   THREADS  wrk's -t (tokens are dealt out to threads round-robin)
--   CONNECTIONS  wrk's -c
--   PACE_MS  optional: wait this long before each request on a connection (paced runs)
-- Each thread stops once its tokens are used up, so no student ever submits twice.

threads = {} -- global: benches/wrk_result.lua reads it

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

local function answers()
  local parts = {}
  for i, item in ipairs(items) do
    local value = item.options[math.random(#item.options)]
    parts[i] = '{"item_id":"' .. item.id .. '","value":' .. value .. '}'
  end
  return '{"answers":[' .. table.concat(parts, ",") .. ']}'
end

-- Answer sheets are drawn at start so that building JSON in Lua does not take CPU from the
-- server during the measurement (wrk shares the machine with it).
local SHEETS = 1000

function init(args)
  local nthreads = tonumber(os.getenv("THREADS"))
  tokens = {}
  local n = 0
  for line in io.lines(os.getenv("TOKENS")) do
    if n % nthreads == tid then
      tokens[#tokens + 1] = line
    end
    n = n + 1
  end
  items = {}
  for line in io.lines(os.getenv("ITEMS")) do
    local id, values = line:match("^(%S+) (%S+)$")
    local options = {}
    for v in values:gmatch("[^,]+") do
      options[#options + 1] = v
    end
    items[#items + 1] = { id = id, options = options }
  end
  path = "/api/v1/survey-windows/" .. os.getenv("WINDOW") .. "/responses"
  pace = tonumber(os.getenv("PACE_MS") or "0")
  next_token = 0
  started = 0
  connections_per_thread = math.ceil(tonumber(os.getenv("CONNECTIONS")) / nthreads)
  math.randomseed(1000 + tid)
  sheets = {}
  for s = 1, SHEETS do
    sheets[s] = answers()
  end
end

function delay()
  -- A connection's first request goes at once (a browser does not connect and then wait).
  started = started + 1
  if started <= connections_per_thread then
    return 0
  end
  if pace > 0 then
    -- Jitter spreads the connections' requests evenly instead of in lockstep.
    return pace * (0.5 + math.random())
  end
  return 0
end

function request()
  next_token = next_token + 1
  local token = tokens[next_token]
  if token == nil then
    wrk.thread:stop()
    token = tokens[#tokens]
  end
  return wrk.format("POST", path, {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json",
  }, sheets[next_token % SHEETS + 1])
end

dofile("benches/wrk_result.lua")
