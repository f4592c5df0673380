-- Requests built from lines of a file, each wrk thread walking its own share of the lines.
-- Arguments: <file> <method> <threads>. A line is "path", or "path<TAB>token<TAB>body" (an empty
-- token or body means none). Thread k takes lines k, k+threads, k+2*threads, ... so with one line
-- per user and enough lines, no two requests carry the same line: one buyer per order at checkout.
package.path = package.path .. ";" .. (os.getenv("BENCH_LUA") or ".") .. "/?.lua"
local report = require("report")

local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end

function init(args)
  local lines = {}
  for line in io.lines(args[1]) do
    table.insert(lines, line)
  end
  method = args[2]
  local threads = tonumber(args[3])
  entries = {}
  for i = id + 1, #lines, threads do
    table.insert(entries, lines[i])
  end
  if #entries == 0 then
    entries = lines  -- fewer lines than threads (one URL for everyone): every thread takes them all
  end
  for i, line in ipairs(entries) do
    entries[i] = build(line)
  end
  next_entry = 1
end

-- Built once per line, in init: wrk shares the CPUs with the server, and what it spends per request
-- is taken from whatever it measures.
function build(line)
  local path, token, body = line:match("^([^\t]*)\t?([^\t]*)\t?(.*)$")
  local headers = {}
  if token ~= "" then
    headers["Authorization"] = "Bearer " .. token
  end
  if body ~= "" then
    headers["Content-Type"] = "application/json"
  else
    body = nil
  end
  return wrk.format(method, path, headers, body)
end

function request()
  local built = entries[next_entry]
  next_entry = next_entry % #entries + 1
  return built
end

done = report.done
