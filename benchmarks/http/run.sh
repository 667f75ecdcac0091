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
#  4. the floor: nginx (Debian's package, one worker, run unprivileged from a config written here) answering
#     POST /allocate with the agent's own response body, measured by the same Loader at the same rate over
#     the same connections for the same window, while the same feeder keeps the agent training — so both see
#     the same machine. Then agent/nginx ratios for p99 and p99.9 and a verdict against issue 21's target:
#     PASS when p99 <= 2x nginx's p99 and p99.9 < 10 ms (NGINX=0: no floor, no verdict).
# Per thread of the agent, the time spent runnable but waiting for a core during the open loop
# (/proc/PID/task/TID/schedstat, field 2): whether the tail is the trainer or GC holding the cores.
# EDGEPPO_BIN runs another build (default: this tree's bin/edgeppo), for before/after comparisons;
# EDGEPPO_JAVA_OPTS passes JVM options (e.g. -Dedgeppo.trainer.nice=0 for the trainer at normal priority).
#   benchmarks/http/run.sh [RATE=5000] [CONNECTIONS=64] [SECONDS=20]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
rate=${1:-5000}; connections=${2:-64}; seconds=${3:-20}
port=${EDGEPPO_BENCH_PORT:-18181}
jdk=$("$root/tools/find-jdk25.sh")
state=$(mktemp -d)
serve_pid=
nginx_pid=
cleanup() {
  [ -n "$nginx_pid" ] && kill "$nginx_pid" 2>/dev/null && wait "$nginx_pid" 2>/dev/null
  [ -n "$serve_pid" ] && kill "$serve_pid" 2>/dev/null && wait "$serve_pid" 2>/dev/null
  rm -rf "$state"
}
nginx_on=${NGINX:-1}
nginx_port=${NGINX_BENCH_PORT:-18183}
if [ "$nginx_on" = 1 ] && ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then
  echo "nginx not found (tools/setup.sh installs it): no floor and no verdict (NGINX=0 to silence)"; nginx_on=0
fi
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
nice -n 10 wrk -t1 -c1 -d$((3 * seconds + 70))s -s "$here/pairs.lua" "http://127.0.0.1:$port/" > "$state/pairs.out" &
feeder=$!
sleep 2
echo "== closed loop: wrk -t2 -c$connections -d${seconds}s /allocate"
nice -n 10 wrk -t2 -c"$connections" -d"${seconds}s" --latency -s "$here/allocate.lua" "http://127.0.0.1:$port/allocate" \
  | grep -E "Latency Distribution|50%|90%|99%|Requests/sec"
sleep 6 # let the TTL drop what wrk allocated
echo "== open loop: $rate req/s over $connections connections for ${seconds}s"
# The recording covers the loader's warm-up (5 s) too: same schedule, so the same per-request figures.
r0=$(requests); c0=$(cpu_ticks)
schedstat() { # tid name run-queue-wait-ns, one line per thread of the agent
  for t in /proc/"$serve_pid"/task/*; do
    printf '%s %s %s\n' "${t##*/}" "$(tr ' ' '_' < "$t/comm")" "$(cut -d' ' -f2 "$t/schedstat" 2>/dev/null || echo 0)"
  done
}
schedstat > "$state/sched0"
[ "$jfr" = 1 ] && "$jdk/bin/jcmd" "$serve_pid" JFR.start name=openloop settings=default filename="$state/openloop.jfr" \
  jdk.JavaMonitorEnter#threshold=1ms jdk.VirtualThreadPinned#threshold=1ms jdk.FileForce#threshold=1ms \
  jdk.ThreadAllocationStatistics#period=1s >/dev/null
nice -n 10 "$jdk/bin/java" "$here/Loader.java" 127.0.0.1 "$port" /allocate '{"cores":80,"memory":4000}' "$rate" "$connections" "$seconds" \
  | tee "$state/agent.lat"
r1=$(requests); c1=$(cpu_ticks)
schedstat > "$state/sched1"
echo "agent threads' wait for a core (runnable, not running) over the open loop, by thread name, ms:"
awk 'NR == FNR { w[$1] = $3; next } { d = $3 - ($1 in w ? w[$1] : 0); n = $2; sub(/-?[0-9]+$/, "#", n); s[n] += d }
     END { for (n in s) if (s[n] >= 1e6) printf "  %-28s %8.1f\n", n, s[n] / 1e6 }' "$state/sched0" "$state/sched1" | sort -k2 -nr | sed -n 1,12p
echo "agent CPU (user + system) per request in the open loop, training included: $(( (c1 - c0) * 1000000 / $(getconf CLK_TCK) / (r1 - r0) )) µs"
if [ "$jfr" = 1 ]; then
  "$jdk/bin/jcmd" "$serve_pid" JFR.stop name=openloop >/dev/null
  nice -n 10 "$jdk/bin/java" "$here/JfrSummary.java" "$state/openloop.jfr" $(( r1 - r0 ))
  [ -n "${JFR_KEEP:-}" ] && cp "$state/openloop.jfr" "$JFR_KEEP"
fi
if [ "$nginx_on" = 1 ]; then
  echo "== floor: nginx, same Loader, same rate, connections and window, the feeder still training the agent"
  body=$(curl -s -XPOST "http://127.0.0.1:$port/allocate" -d '{"cores":80,"memory":4000}')
  mkdir -p "$state/nginx"
  # One worker: the agent answers /allocate on one event loop, so one nginx process is the like-for-like floor.
  cat > "$state/nginx/nginx.conf" <<CONF
daemon off;
worker_processes 1;
pid $state/nginx/nginx.pid;
error_log $state/nginx/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $state/nginx/body; proxy_temp_path $state/nginx/proxy; fastcgi_temp_path $state/nginx/fcgi;
  uwsgi_temp_path $state/nginx/uwsgi; scgi_temp_path $state/nginx/scgi;
  keepalive_requests 1000000; keepalive_timeout 300s;
  server {
    listen 127.0.0.1:$nginx_port;
    location = /allocate { default_type application/json; return 200 '$body'; }
  }
}
CONF
  "$(command -v nginx || echo /usr/sbin/nginx)" -e "$state/nginx/error.log" -p "$state/nginx" -c "$state/nginx/nginx.conf" &
  nginx_pid=$!
  for _ in $(seq 50); do curl -sf -XPOST "http://127.0.0.1:$nginx_port/allocate" >/dev/null && break; sleep 0.1; done
  nice -n 10 "$jdk/bin/java" "$here/Loader.java" 127.0.0.1 "$nginx_port" /allocate '{"cores":80,"memory":4000}' "$rate" "$connections" "$seconds" \
    | tee "$state/nginx.lat"
  kill "$nginx_pid" 2>/dev/null; wait "$nginx_pid" 2>/dev/null || true; nginx_pid=
  # Loader's line: "latency  p50 A ms  p90 B ms  p99 C ms  p99.9 D ms  max E ms"
  pct() { sed -nE "s/.* $2 ([0-9.]+) ms.*/\1/p" "$1" | sed -n 1p; }
  a99=$(pct "$state/agent.lat" p99); a999=$(pct "$state/agent.lat" p99.9)
  n99=$(pct "$state/nginx.lat" p99); n999=$(pct "$state/nginx.lat" p99.9)
  [ -n "$a99" ] && [ -n "$a999" ] && [ -n "$n99" ] && [ -n "$n999" ] || { echo "FAIL: a loader printed no latency line (see above)"; a99=; }
  [ -n "$a99" ] && awk -v a99="$a99" -v a999="$a999" -v n99="$n99" -v n999="$n999" -v rate="$rate" 'BEGIN {
    printf "agent/nginx at %s req/s: p99 %.3f / %.3f ms = %.2fx   p99.9 %.3f / %.3f ms = %.2fx\n", rate, a99, n99, a99 / n99, a999, n999, a999 / n999
    ok = (a99 <= 2 * n99) && (a999 < 10)
    printf "%s: p99 <= 2x nginx (%s), p99.9 < 10 ms (%s)\n", ok ? "PASS" : "FAIL", a99 <= 2 * n99 ? "yes" : "no", a999 < 10 ? "yes" : "no"
  }'
fi
kill "$feeder" 2>/dev/null || true; wait "$feeder" 2>/dev/null || true
after=$(updates)
echo "updates while measuring: $((after - before)) (feeder: allocate/feedback pairs on 1 connection, FEED_DELAY_MS=${FEED_DELAY_MS:-5})"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg), cores: $(nproc)"
