-- wrk script for bench/heartbeats.py.  wrk -t N -c N -s this URL -- DIR PREFIX METHOD PATH
-- Each wrk thread has one keep-alive connection and its own learners, read from DIR/PREFIX_<thread>.lua
-- ({lesson = id, people = {{cookie = ..., token = ..., start_ms = ...}, ...}}). It sends each learner's next
-- 15-second heartbeat in turn (HB_START sets where the first one starts), and one time in ten a replay of an
-- older one, so each learner's heartbeats leave in order, one request at a time on the connection.
-- request() returns the same request until its answer arrives (wrk also calls it once to check the script).
-- At the end it writes, per learner, the last heartbeat answered 200 and the last one sent, and the totals,
-- to the file named by HB_RESULT.
local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  local data = dofile(args[1] .. "/" .. args[2] .. "_" .. id .. ".lua")
  method, path, lesson, people = args[3], args[4], data.lesson, data.people
  count, turn, pending, bad = #people, 0, nil, 0
  local start = tonumber(os.getenv("HB_START") or "0")
  for i = 1, count do _G["s" .. i], _G["a" .. i] = start, start end
  math.randomseed(1000 + id)
end

function request()
  if pending then return pending.request end
  turn = turn % count + 1
  local p, k = people[turn], _G["s" .. turn]
  local replay = k > 1 and math.random() < 0.1
  if replay then k = math.random(1, k - 1) else k = k + 1; _G["s" .. turn] = k end
  local body = string.format(
    '{"lesson_id": %d, "position_s": %.1f, "watched": [[%.1f, %.1f]], "client_time": %d, "seq": %d}',
    lesson, k * 15, (k - 1) * 15, k * 15, p.start_ms + k * 15000, k)
  local headers = {["Cookie"] = p.cookie, ["X-CSRFToken"] = p.token}
  if method == "POST" then headers["Content-Type"] = "application/json" else body = nil end
  pending = {learner = turn, k = k, replay = replay, request = wrk.format(method, path, headers, body)}
  return pending.request
end

function response(status, headers, body)
  local job = pending
  pending = nil
  if status ~= 200 then bad = bad + 1
  elseif not job.replay and job.k > _G["a" .. job.learner] then _G["a" .. job.learner] = job.k end
end

function done(summary, latency, requests)
  local out = assert(io.open(os.getenv("HB_RESULT"), "w"))
  local non200 = 0
  for _, t in ipairs(threads) do
    non200 = non200 + t:get("bad")
    for i = 1, t:get("count") do
      out:write(string.format("learner %d %d %d %d\n", t:get("id"), i, t:get("a" .. i), t:get("s" .. i)))
    end
  end
  local e = summary.errors
  out:write(string.format("total %d %d %d %d %d %d\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), non200, e.connect + e.read + e.write + e.timeout))
  out:close()
end
