#!/usr/bin/env bash
# Load test of `wbc serve` on loopback (developer-time; needs Debian's wrk: apt-get install wrk).
#   Benchmarks/serve-load.sh RUN [seconds=60] [connections=16] [image=a Kaggle TEST image]
# Starts the server on RUN with a fresh case history, posts one real image as a raw image/jpeg body from
# `connections` connections for `seconds`, then prints throughput, latency percentiles, the status counts, and
# whether the history holds exactly one row per 200 answer. WBC=path/to/wbc uses that binary instead of building
# one (a tree built for the tests, with -Xswiftc -enable-testing, would otherwise be rebuilt from scratch).
set -euo pipefail
cd "$(dirname "$0")/.."
run=${1:?usage: Benchmarks/serve-load.sh RUN [seconds] [connections] [image]}
seconds=${2:-60}; connections=${3:-16}
image=${4:-$(find ../shared/data/blood-cells/dataset2-master/images/TEST -name '*.jpeg' | sort | sed -n 1p)}
command -v wrk >/dev/null || { echo "serve-load.sh: needs wrk (apt-get install wrk)" >&2; exit 2; }
wbc=${WBC:-}
if [ -z "$wbc" ]; then swift build -c release --product wbc >/dev/null; wbc=.build/release/wbc; fi
dir=$(mktemp -d /tmp/wbc-serve-load.XXXXXX)
port=$((20000 + RANDOM % 20000))
"$wbc" serve --run "$run" --port "$port" --db "$dir/cases.sqlite" > "$dir/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$dir"' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
cat > "$dir/post.lua" <<LUA
local f = assert(io.open("$image", "rb"))
wbc_body = f:read("*a")
f:close()
wrk.method = "POST"
wrk.body = wbc_body
wrk.headers["Content-Type"] = "image/jpeg"
wrk.headers["X-File-Name"] = "load.jpeg"
local counts = {}
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) statuses = {}; ids = {} end
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  local id = string.match(body, '"id":(%d+)')
  if status == 200 and id then table.insert(ids, id) end
end
function done(summary, latency, requests)
  local total = {}
  local acknowledged = assert(io.open("$dir/acknowledged.txt", "w"))
  for _, t in ipairs(threads) do
    local s = t:get("statuses")
    for code, n in pairs(s) do total[code] = (total[code] or 0) + n end
    for _, id in ipairs(t:get("ids")) do acknowledged:write(id, "\n") end
  end
  acknowledged:close()
  for code, n in pairs(total) do io.write(string.format("status %d: %d\n", code, n)) end
  io.write(string.format("p50 %.1f ms, p90 %.1f ms, p99 %.1f ms\n", latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000))
end
LUA
echo "wbc serve on $run, $(nproc) cores; $connections connections for ${seconds}s posting $image"
wrk -t "$(( connections < 2 ? 1 : 2 ))" -c "$connections" -d "${seconds}s" --timeout 10s -s "$dir/post.lua" "http://127.0.0.1:$port/api/v1/predictions" | tee "$dir/wrk.txt"
ok=$(awk '/^status 200:/ {print $3}' "$dir/wrk.txt"); ok=${ok:-0}
kill -INT $server; wait $server || true
rows=$(sqlite3 "$dir/cases.sqlite" 'select count(*) from prediction')
acknowledged=$(sort -u "$dir/acknowledged.txt" | wc -l)
found=$( (echo "create temp table a(id integer);"; sed 's/.*/insert into a values(&);/' "$dir/acknowledged.txt"; echo "select count(distinct a.id) from a join prediction p on p.id = a.id;") | sqlite3 "$dir/cases.sqlite")
# wrk stops reading when its time is up: requests in flight then were recorded but never acknowledged.
echo "200 answers: $ok ($acknowledged ids); rows in the case history: $rows; acknowledged ids found there: $found $( [ "$found" = "$acknowledged" ] && echo '(none lost)' || echo '(LOST RECORDS)')"
grep -E '^serving' "$dir/server.log" || true
