-- wrk script: each request is the morning check-in of a different student (PUT /api/v1/me/check-ins,
-- their first of the day, so the API inserts).
--
-- Environment:
--   TOKENS   file with one access token per line (from `securebase synthetic --tokens-out`)
--   THREADS  wrk's -t (tokens are dealt out to threads round-robin)
--   PACE_MS  optional: wait this long before each request on a connection (paced runs)
-- Each thread stops once its tokens are used up, so no student checks in twice.

threads = {} -- global: benches/wrk_result.lua reads it

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

local EMOTIONS = { "calm", "happy", "proud", "hopeful", "curious", "tired", "worried", "sad" }
local BODIES = 200

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
  pace = tonumber(os.getenv("PACE_MS") or "0")
  next_token = 0
  math.randomseed(2000 + tid)
  -- Bodies are made before the measurement, so Lua does not take CPU from the server.
  bodies = {}
  for b = 1, BODIES do
    local note = ""
    if b % 5 == 0 then
      note = ',"note":"Slept badly, but breakfast helped."'
    end
    bodies[b] = '{"emotion":"' .. EMOTIONS[math.random(#EMOTIONS)] .. '","intensity":' ..
      math.random(1, 5) .. note .. '}'
  end
end

function delay()
  if pace > 0 then
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
  return wrk.format("PUT", "/api/v1/me/check-ins", {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json",
  }, bodies[next_token % BODIES + 1])
end

dofile("benches/wrk_result.lua")
