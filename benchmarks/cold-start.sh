#!/usr/bin/env bash
# The first updates of a freshly started agent, read from its own metric and log, with the start-up JIT
# warm-up (serve's default) and without it (--warmup-max-updates 0). Needs `make build`, curl and jq.
# For each: start-up time (launch to "listening"), the warm-up's own log line, the wall time of each of
# the first UPDATES updates (/v1/policy's update_ms after each, and the histogram's count and sum), and
# the agent's resident memory (VmRSS now, VmHWM peak). Allocate/feedback pairs are sent as soon as the
# agent listens, so the first batch fills while the warm-up may still run (it then waits behind it).
#   benchmarks/cold-start.sh [UPDATES=3] [BATCH=32]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
updates=${1:-3}; batch=${2:-32}
port=${EDGEPPO_BENCH_PORT:-18182}
tmp=$(mktemp -d)
serve_pid=
cleanup() { [ -n "$serve_pid" ] && kill "$serve_pid" 2>/dev/null && wait "$serve_pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
url="http://127.0.0.1:$port"

run() { # $1 = warmup_max_updates
  rm -rf "$tmp/state"
  local t0 t1
  t0=$(date +%s%N)
  "$root/bin/edgeppo" serve --telemetry sim --backend cpu --port "$port" --state-dir "$tmp/state" --log-format json \
    --batch-size "$batch" --warmup-max-updates "$1" > "$tmp/out" 2> "$tmp/err" &
  serve_pid=$!
  for _ in $(seq 600); do grep -q "listening" "$tmp/out" 2>/dev/null && break; sleep 0.05; done
  t1=$(date +%s%N)
  local ms=()
  for u in $(seq "$updates"); do
    for _ in $(seq "$batch"); do
      id=$(curl -sf -XPOST "$url/allocate" -d '{"cores":60,"memory":4000}' | jq -r .allocation_id)
      curl -sf -XPOST "$url/feedback" -d "{\"allocation_id\":\"$id\",\"actual_usage\":45,\"qos_met\":true,\"pods\":2}" >/dev/null
    done
    for _ in $(seq 1200); do [ "$(curl -sf "$url/v1/policy" | jq .updates)" -ge "$u" ] && break; sleep 0.05; done
    ms+=("$(curl -sf "$url/v1/policy" | jq .update_ms)")
  done
  local count sum warm rss hwm
  count=$(curl -sf "$url/metrics" | awk '/^edgeppo_train_update_duration_seconds_count/ {print $2}')
  sum=$(curl -sf "$url/metrics" | awk '/^edgeppo_train_update_duration_seconds_sum/ {print $2}')
  warm=$(grep '"JIT warm-up"' "$tmp/err" | jq -c '{updates, settled, ms}' 2>/dev/null || echo none)
  rss=$(awk '/^VmRSS/ {print int($2/1024)}' "/proc/$serve_pid/status")
  hwm=$(awk '/^VmHWM/ {print int($2/1024)}' "/proc/$serve_pid/status")
  kill "$serve_pid"; wait "$serve_pid" 2>/dev/null || true; serve_pid=
  echo "warmup_max_updates=$1: start-up $(( (t1 - t0) / 1000000 )) ms to listening; warm-up ${warm:-none};" \
    "first $updates updates (update_ms): ${ms[*]}; histogram count $count sum ${sum}s; RSS ${rss} MiB (peak ${hwm} MiB)"
}

run 0
run "${WARMUP_MAX:-1000}"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg), cores: $(nproc)"
