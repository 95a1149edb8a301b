-- wrk script for bench/webhook_load.py: replays pre-signed Twilio webhook posts, each once.
--
--   wrk -t T -c C -d 20s -s bench/webhook_load.lua http://127.0.0.1:PORT -- PREFIX PATH
--
-- Thread n (0-based) sends the lines of PREFIX.n.txt in order, one request per line, and
-- never a line twice: "<X-Twilio-Signature>\t<form-encoded body>". A thread that runs out
-- stops and says so (exhausted), so a too-small workload is reported, not silently re-sent.
-- done() prints one line "WRK_JSON {...}" with counts and latency percentiles (microseconds).

local threads = {}
local next_id = 0

function setup(thread)
   thread:set("id", next_id)
   next_id = next_id + 1
   table.insert(threads, thread)
end

function init(args)
   local prefix, path = args[1], args[2]
   reqs = {}
   local file = assert(io.open(prefix .. "." .. id .. ".txt", "r"))
   for line in file:lines() do
      local signature, body = line:match("^([^\t]*)\t(.*)$")
      if signature then
         reqs[#reqs + 1] = wrk.format("POST", path, {
            ["Content-Type"] = "application/x-www-form-urlencoded",
            ["X-Twilio-Signature"] = signature,
         }, body)
      end
   end
   file:close()
   loaded = #reqs
   sent = 0
   ok = 0
   not_ok = 0
   exhausted = 0
end

function request()
   sent = sent + 1
   local req = reqs[sent]
   if req == nil then
      -- Nothing left: stop this thread; this last request is a harmless GET, not counted.
      sent = sent - 1
      exhausted = 1
      wrk.thread:stop()
      return wrk.format("GET", "/healthz")
   end
   reqs[sent] = nil -- sent once, never again
   return req
end

function response(status, headers, body)
   if status == 200 then
      ok = ok + 1
   else
      not_ok = not_ok + 1
   end
end

function done(summary, latency, requests)
   local per_thread = {}
   local exhausted_any = 0
   for _, thread in ipairs(threads) do
      per_thread[#per_thread + 1] = string.format(
         '{"id": %d, "loaded": %d, "sent": %d, "ok": %d, "not_ok": %d, "exhausted": %d}',
         thread:get("id"), thread:get("loaded"), thread:get("sent"), thread:get("ok"),
         thread:get("not_ok"), thread:get("exhausted"))
   end
   local e = summary.errors
   io.write(string.format(
      'WRK_JSON {"duration_us": %d, "requests": %d, "bytes": %d, ' ..
      '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
      '"latency_us": {"p50": %d, "p90": %d, "p99": %d, "p999": %d, "max": %d, "mean": %.1f}, ' ..
      '"threads": [%s]}\n',
      summary.duration, summary.requests, summary.bytes,
      e.connect, e.read, e.write, e.status, e.timeout,
      latency:percentile(50), latency:percentile(90), latency:percentile(99),
      latency:percentile(99.9), latency.max, latency.mean,
      table.concat(per_thread, ", ")))
end
