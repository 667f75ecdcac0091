#!/usr/bin/env bash
# /allocate under load from other processes on loopback, with training running, against
# `edgeppo serve --telemetry sim` (needs `make build`, wrk, and a JDK 25 for Loader.java):
#  1. a feeder (wrk, 1 connection, pairs.lua) streams allocate/feedback pairs the whole time (about
#     100 pairs/s; FEED_DELAY_MS=0 for as fast as possible), so the agent journals every feedback and
#     runs an update every 32 of them;
#  2. wrk, closed loop, CONNECTIONS connections: throughput at saturation and latency there;
#  3. Loader.java, open loop at RATE req/s over CONNECTIONS connections: latency at that throughput,
#     measured from each request's scheduled time (wrk cannot hold a rate).
# Load generators run under `nice` so that, on a small machine, they do not preempt the agent the way
# a load from another host would not. Allocations in this benchmark never get feedback, so the pending
# TTL is 5 s to keep the pending table at the size real traffic (with feedback) keeps it.
# During the open loop a JFR recording of the agent (JFR=0: none) gives what does not depend on how loaded
# the machine is: GC pauses, bytes allocated per request, lock contention, fsyncs (JfrSummary.java).
# EDGEPPO_BIN runs another build (default: this tree's bin/edgeppo), for before/after comparisons.
#   benchmarks/http/run.sh [RATE=5000] [CONNECTIONS=64] [SECONDS=20]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
rate=${1:-5000}; connections=${2:-64}; seconds=${3:-20}
port=${EDGEPPO_BENCH_PORT:-18181}
jdk=$("$root/tools/find-jdk25.sh")
state=$(mktemp -d)
serve_pid=
cleanup() { [ -n "$serve_pid" ] && kill "$serve_pid" 2>/dev/null && wait "$serve_pid" 2>/dev/null; rm -rf "$state"; }
trap cleanup EXIT

"${EDGEPPO_BIN:-$root/bin/edgeppo}" serve --telemetry sim --backend cpu --port "$port" --state-dir "$state/dir" --log-level warn \
  --pending-ttl-seconds 5 > "$state/serve.out" 2>&1 &
serve_pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
updates() { curl -s "http://127.0.0.1:$port/v1/policy" | sed -E 's/.*"updates":([0-9]+).*/\1/'; }
requests() { curl -s "http://127.0.0.1:$port/metrics" | awk '/^edgeppo_http_requests_total/ { n += $2 } END { printf "%d", n }'; }
jfr=${JFR:-1}
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$serve_pid/stat"; } # user + system, in clock ticks

echo "warm-up (10 s)"
nice -n 10 wrk -t2 -c"$connections" -d10s -s "$here/allocate.lua" "http://127.0.0.1:$port/allocate" >/dev/null
before=$(updates)
nice -n 10 wrk -t1 -c1 -d$((2 * seconds + 60))s -s "$here/pairs.lua" "http://127.0.0.1:$port/" > "$state/pairs.out" &
feeder=$!
sleep 2
echo "== closed loop: wrk -t2 -c$connections -d${seconds}s /allocate"
nice -n 10 wrk -t2 -c"$connections" -d"${seconds}s" --latency -s "$here/allocate.lua" "http://127.0.0.1:$port/allocate" \
  | grep -E "Latency Distribution|50%|90%|99%|Requests/sec"
sleep 6 # let the TTL drop what wrk allocated
echo "== open loop: $rate req/s over $connections connections for ${seconds}s"
# The recording covers the loader's warm-up (5 s) too: same schedule, so the same per-request figures.
r0=$(requests); c0=$(cpu_ticks)
[ "$jfr" = 1 ] && "$jdk/bin/jcmd" "$serve_pid" JFR.start name=openloop settings=default filename="$state/openloop.jfr" \
  jdk.JavaMonitorEnter#threshold=1ms jdk.VirtualThreadPinned#threshold=1ms jdk.FileForce#threshold=1ms \
  jdk.ThreadAllocationStatistics#period=1s >/dev/null
nice -n 10 "$jdk/bin/java" "$here/Loader.java" 127.0.0.1 "$port" /allocate '{"cores":80,"memory":4000}' "$rate" "$connections" "$seconds"
r1=$(requests); c1=$(cpu_ticks)
echo "agent CPU (user + system) per request in the open loop, training included: $(( (c1 - c0) * 1000000 / $(getconf CLK_TCK) / (r1 - r0) )) µs"
if [ "$jfr" = 1 ]; then
  "$jdk/bin/jcmd" "$serve_pid" JFR.stop name=openloop >/dev/null
  nice -n 10 "$jdk/bin/java" "$here/JfrSummary.java" "$state/openloop.jfr" $(( r1 - r0 ))
  [ -n "${JFR_KEEP:-}" ] && cp "$state/openloop.jfr" "$JFR_KEEP"
fi
kill "$feeder" 2>/dev/null || true; wait "$feeder" 2>/dev/null || true
after=$(updates)
echo "updates while measuring: $((after - before)) (feeder: allocate/feedback pairs on 1 connection, FEED_DELAY_MS=${FEED_DELAY_MS:-5})"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg), cores: $(nproc)"
