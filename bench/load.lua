-- wrk script for bench/load.py: each request is a random line of the targets file
-- ("<session key> <path>", one family or staff member and one of their pages), sent with that
-- session's cookie. At the end, one line of JSON with the figures bench/load.py reads.
local targets = {}

function init(args)
  for line in io.lines(args[1]) do
    local session, path = line:match("^(%S+)%s+(%S+)$")
    if session then
      table.insert(targets, { session = session, path = path })
    end
  end
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 100000)
end

function request()
  local target = targets[math.random(#targets)]
  local headers = {}
  if target.session ~= "-" then
    headers["Cookie"] = "sessionid=" .. target.session
  end
  return wrk.format("GET", target.path, headers)
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    'RESULT {"requests": %d, "seconds": %.3f, "non_2xx": %d, "socket_errors": %d, ' ..
    '"p50_ms": %.2f, "p95_ms": %.2f, "p99_ms": %.2f, "max_ms": %.2f}\n',
    summary.requests, summary.duration / 1e6, errors.status,
    errors.connect + errors.read + errors.write + errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000))
end
