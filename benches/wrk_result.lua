-- Shared by the wrk scripts (dofile): the first refusal each thread saw, and the RESULT line the
-- benchmark scripts read (benches/lib.sh, `value`). wrk runs from the repository root.

-- The first refusal a thread saw, to explain a non-zero non_2xx count.
function response(status, headers, body)
  if status >= 300 and first_refusal == nil then
    first_refusal = status .. " " .. body
  end
end

function done(summary, latency, requests)
  for _, thread in ipairs(threads) do
    local refusal = thread:get("first_refusal")
    if refusal then
      io.write("first refusal: " .. refusal .. "\n")
    end
  end
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d seconds=%.2f rps=%.1f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f " ..
    "connect_errors=%d read_errors=%d write_errors=%d timeouts=%d non_2xx=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, e.connect, e.read, e.write, e.timeout, e.status))
end
