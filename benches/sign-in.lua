-- wrk script: each request signs in one of the accounts listed in USERS (one username per line,
-- all with the password PASSWORD), round-robin per thread. Right passwords only: a success
-- clears the account's failure count, so no account is ever locked by the benchmark.
local users = {}
for line in io.lines(os.getenv("USERS")) do
  users[#users + 1] = line
end
local password = os.getenv("PASSWORD")
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("offset", counter * 7919)
end

function init(args)
  n = 0
end

function request()
  n = n + 1
  local user = users[((offset + n) % #users) + 1]
  local body = '{"username":"' .. user .. '","password":"' .. password .. '"}'
  return wrk.format("POST", "/api/v1/auth/login", { ["Content-Type"] = "application/json" }, body)
end
