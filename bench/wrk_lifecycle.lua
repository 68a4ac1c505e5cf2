-- wrk script for the HTTP throughput benchmark (run by bench/http_load.py).
--
-- Closed loop, one connection per wrk thread (-t N -c N), so each thread's requests and
-- answers alternate and a thread can carry one dossier through its lifecycle:
--   mode "intake":    POST /api/v1/dossiers again and again (tiếp nhận hồ sơ);
--   mode "lifecycle": intake, then the six actions that take the dossier to the citizen
--                     (forward x4 through three agencies, complete, return_result).
-- Arguments (after --): clerk kt tax ld tokens, the mode, the intake body (JSON).
-- done() prints one line "RESULT {json}" that http_load.py reads.

-- who acts at each step after the clerk's intake, as bench/lifecycle.py STEPS: the desk
-- forwards to the cadastral office (KT), KT to tax, tax to the land office's head (LD),
-- LD back to the desk (T1), which completes and returns the result
local steps = {{"clerk", "forward"}, {"kt", "forward"}, {"tax", "forward"}, {"ld", "forward"},
               {"clerk", "complete"}, {"clerk", "return_result"}}
local tokens, mode, intake_body
local state, code = 0, nil
lifecycles, failures, last_failure = 0, 0, ""

local threads = {}

function setup(thread)
   table.insert(threads, thread)
end

function init(args)
   tokens = {clerk = args[1], kt = args[2], tax = args[3], ld = args[4]}
   mode = args[5]
   intake_body = args[6]
end

local function headers(who)
   return {["Authorization"] = "Bearer " .. tokens[who], ["Content-Type"] = "application/json"}
end

function request()
   if state == 0 then
      return wrk.format("POST", "/api/v1/dossiers", headers("clerk"), intake_body)
   end
   local who, action = steps[state][1], steps[state][2]
   return wrk.format("POST", "/api/v1/dossiers/" .. code .. "/actions/" .. action, headers(who), "{}")
end

local function failed(status, body)
   failures = failures + 1
   last_failure = (status .. ": " .. string.sub(body or "", 1, 200)):gsub("[%c\\\"]", " ")
   state = 0
end

function response(status, headers, body)
   if state == 0 then
      if status ~= 201 then return failed(status, body) end
      if mode == "intake" then return end
      -- the dossier's own "code" is the answer's first field, before any nested one
      code = string.match(body, '"code":%s*"([^"]+)"')
      if not code then return failed(status, "no code in the intake answer") end
      state = 1
      return
   end
   if status ~= 200 then return failed(status, body) end
   if state == #steps then
      lifecycles = lifecycles + 1
      state = 0
   else
      state = state + 1
   end
end

function done(summary, latency, requests)
   local done_lifecycles, done_failures, sample = 0, 0, ""
   for _, t in ipairs(threads) do
      done_lifecycles = done_lifecycles + t:get("lifecycles")
      done_failures = done_failures + t:get("failures")
      if t:get("last_failure") ~= "" then sample = t:get("last_failure") end
   end
   local e = summary.errors
   io.write(string.format(
      'RESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p95_us": %d, ' ..
      '"lifecycles": %d, "failures": %d, "socket_errors": %d, "sample": "%s"}\n',
      summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
      done_lifecycles, done_failures, e.connect + e.read + e.write + e.timeout, sample))
end
