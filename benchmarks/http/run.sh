#!/usr/bin/env bash
# /allocate latency and throughput of `edgeppo serve --telemetry sim` under wrk, with training running:
# a second wrk streams allocate/feedback pairs on one connection (an update every 32 pairs) while the
# first one loads /allocate with CONNECTIONS connections. Needs `make build` and wrk (Debian: apt-get install wrk).
#   benchmarks/http/run.sh [DURATION=20s] [CONNECTIONS=64] [THREADS=2]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
duration=${1:-20s}; connections=${2:-64}; threads=${3:-2}
port=${EDGEPPO_BENCH_PORT:-18181}
state=$(mktemp -d)
trap 'kill "$serve_pid" 2>/dev/null || true; wait "$serve_pid" 2>/dev/null || true; rm -rf "$state"' EXIT

"$root/bin/edgeppo" serve --telemetry sim --backend cpu --port "$port" --state-dir "$state" --log-level warn \
  > "$state/serve.out" 2>&1 &
serve_pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done

# Warm-up: let the JIT compile the request path before measuring.
wrk -t"$threads" -c"$connections" -d5s -s "$here/allocate.lua" "http://127.0.0.1:$port/allocate" >/dev/null
before=$(curl -s "http://127.0.0.1:$port/v1/policy" | sed -E 's/.*"updates":([0-9]+).*/\1/')

wrk -t1 -c1 -d"$duration" -s "$here/pairs.lua" "http://127.0.0.1:$port/" > "$state/pairs.out" &
pairs_pid=$!
wrk -t"$threads" -c"$connections" -d"$duration" --latency -s "$here/allocate.lua" "http://127.0.0.1:$port/allocate"
wait "$pairs_pid"

after=$(curl -s "http://127.0.0.1:$port/v1/policy" | sed -E 's/.*"updates":([0-9]+).*/\1/')
echo "feeder (allocate/feedback pairs on 1 connection):"
grep -E "Requests/sec" "$state/pairs.out"
echo "updates during the run: $((after - before))"
