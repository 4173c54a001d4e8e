-- wrk script for bench/run.sh: walks the pre-signed ListPhoneNumbers requests of
-- bench/gen_requests.py without reusing one (ccgate refuses a repeated SignatureNonce).
--
-- Environment:
--   CCBENCH_URLS  directory holding urls.<n>.txt, one file per wrk thread (required)
--   CCBENCH_WRAP  "1": start over when a thread's list is exhausted (only for the bare
--                 baseline, which does not check signatures); otherwise a thread that runs
--                 out stops sending and the run is reported as failed.
--   CCBENCH_METHOD         "POST": each target is POSTed with the body CCBENCH_BODY (default
--                          "{}") as application/json (the Huawei dialect); default GET
--   CCBENCH_AUTHORIZATION  an Authorization header sent with every request (a Huawei
--                          AccessToken as "Bearer <token>"); default none
--
-- done() prints one machine-readable line for run.sh
--   CCBENCH requests=N duration_us=N rps=N p50_us=N p99_us=N non2xx=N socket_errors=N exhausted=N
-- and exits 1 when any response was not 2xx/3xx, any socket error occurred or a thread ran
-- out of requests. Status codes are counted from wrk's own summary (errors.status counts
-- every status > 399), so no per-response Lua hook slows wrk down.

local threads = {}
local counter = 0

function setup(thread)
   counter = counter + 1
   thread:set("id", counter)
   table.insert(threads, thread)
end

-- Per thread (each wrk thread has its own Lua state); `id` and `exhausted` are globals so
-- that setup() can set and done() can read them through the thread object.
local reqs, n, i, wrap = {}, 0, 0, false
exhausted = 0

function init(args)
   local dir = os.getenv("CCBENCH_URLS") or error("CCBENCH_URLS is not set")
   wrap = os.getenv("CCBENCH_WRAP") == "1"
   local path = dir .. "/urls." .. id .. ".txt"
   local f = io.open(path, "r") or error("cannot open " .. path)
   local headers = {
      ["Accept"] = "*/*",
      ["User-Agent"] = "AlibabaCloud (Linux;x86_64) Python/3.11.7 Core/2.16.1 python-requests/2.18.3",
      ["x-sdk-client"] = "python/2.0.0",
   }
   local method, body = os.getenv("CCBENCH_METHOD") or "GET", nil
   if method == "POST" then
      headers["Content-Type"] = "application/json"
      body = os.getenv("CCBENCH_BODY") or "{}"
   end
   local authorization = os.getenv("CCBENCH_AUTHORIZATION")
   if authorization then headers["Authorization"] = authorization end
   for line in f:lines() do
      n = n + 1
      reqs[n] = wrk.format(method, line, headers, body)
   end
   f:close()
   if n == 0 then error(path .. " is empty") end
end

function request()
   i = i + 1
   if i > n then
      if wrap then
         i = 1
      else
         exhausted = 1
         wrk.thread:stop()
         i = n
      end
   end
   return reqs[i]
end

function done(summary, latency, requests)
   local ran_out = 0
   for _, t in ipairs(threads) do
      ran_out = ran_out + (t:get("exhausted") or 0)
   end
   local e = summary.errors
   local socket_errors = e.connect + e.read + e.write + e.timeout
   local secs = summary.duration / 1e6
   io.write(string.format(
      "CCBENCH requests=%d duration_us=%d rps=%.1f p50_us=%d p99_us=%d non2xx=%d socket_errors=%d exhausted=%d\n",
      summary.requests, summary.duration, summary.requests / secs,
      latency:percentile(50), latency:percentile(99), e.status, socket_errors, ran_out))
   if e.status > 0 or socket_errors > 0 or ran_out > 0 then
      io.write(string.format(
         "CCBENCH FAILED: %d non-2xx/3xx responses, %d socket errors, %d threads exhausted their signed requests\n",
         e.status, socket_errors, ran_out))
      os.exit(1)
   end
end
