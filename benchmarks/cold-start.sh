#!/usr/bin/env bash
# How fast a freshly started agent's first updates are (issue 21), read from its own /v1/policy (update_ms).
# Needs `make build`, curl and jq; PyTorch (Debian's python3-torch) for the reference, else that part is
# skipped with a message.
#
#   benchmarks/cold-start.sh [STARTS=10] [BATCH=32] [HIDDEN=64] [EPOCHS=4]
#     STARTS fresh `serve` starts (the default JIT warm-up on); for each, the mean of its first three
#     updates against PyTorch's warm update of the same shape (tools/reference/bench_torch.py: the same
#     GAE, epochs over the whole batch, Adam, one thread), measured once in the same run. Prints per start
#     the ratio torch/agent and a final verdict "K/STARTS at least 5x faster" (PASS when K = STARTS).
#   benchmarks/cold-start.sh --big [HIDDEN=256] [EPOCHS=100] [BATCH=32]
#     one fresh start of a wide, long learner: the first update must end within 10 s + three warm updates
#     (updates 4-6 of the same run, median) of its batch being complete, warm-up included (PASS/FAIL).
# The serve flags fix the shape to the reference's: --minibatch-size 0 (whole batch), --replay-size 0.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
big=0
[ "${1:-}" = --big ] && { big=1; shift; }
if [ "$big" = 1 ]; then
  starts=1; hidden=${1:-256}; epochs=${2:-100}; batch=${3:-32}
else
  starts=${1:-10}; batch=${2:-32}; hidden=${3:-64}; epochs=${4:-4}
fi
port=${EDGEPPO_BENCH_PORT:-18182}
tmp=$(mktemp -d)
serve_pid=
cleanup() { [ -n "$serve_pid" ] && kill "$serve_pid" 2>/dev/null && wait "$serve_pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
url="http://127.0.0.1:$port"
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

start_agent() {
  rm -rf "$tmp/state"
  "$root/bin/edgeppo" serve --telemetry sim --backend cpu --port "$port" --state-dir "$tmp/state" --log-format json \
    --batch-size "$batch" --hidden "$hidden" --epochs "$epochs" --minibatch-size 0 --replay-size 0 > "$tmp/out" 2> "$tmp/err" &
  serve_pid=$!
  for _ in $(seq 600); do curl -sf "$url/healthz" >/dev/null 2>&1 && return 0; sleep 0.05; done
  echo "serve did not come up:"; cat "$tmp/err"; exit 1
}
stop_agent() { kill "$serve_pid"; wait "$serve_pid" 2>/dev/null || true; serve_pid=; }
feed_batch() { # one batch of allocate/feedback pairs
  for _ in $(seq "$batch"); do
    id=$(curl -sf -XPOST "$url/allocate" -d '{"cores":60,"memory":4000}' | jq -r .allocation_id)
    curl -sf -XPOST "$url/feedback" -d "{\"allocation_id\":\"$id\",\"actual_usage\":45,\"qos_met\":true,\"pods\":2}" >/dev/null
  done
}
wait_updates() { # $1: until /v1/policy counts this many updates (at most 10 min)
  for _ in $(seq 12000); do [ "$(curl -sf "$url/v1/policy" | jq .updates)" -ge "$1" ] && return 0; sleep 0.05; done
  echo "no update $1 within 10 minutes"; exit 1
}
update_ms() { curl -sf "$url/v1/policy" | jq .update_ms; }
warmup_line() { grep '"JIT warm-up"' "$tmp/err" | jq -c '{updates, settled, ms}' 2>/dev/null || echo none; }

if [ "$big" = 1 ]; then
  echo "== one fresh start, hidden $hidden, epochs $epochs, batch $batch"
  start_agent
  feed_batch; t_full=$(now_ms)
  wait_updates 1; t_first=$(now_ms)
  first=$(update_ms)
  warm=()
  for u in 2 3 4 5 6; do feed_batch; wait_updates "$u"; [ "$u" -ge 4 ] && warm+=("$(update_ms)"); done
  echo "warm-up $(warmup_line); first update: $first ms of its own, ended $((t_first - t_full)) ms after its batch was complete;" \
    "warm updates 4-6: ${warm[*]} ms"
  stop_agent
  awk -v wait=$((t_first - t_full)) -v a="${warm[0]}" -v b="${warm[1]}" -v c="${warm[2]}" 'BEGIN {
    m = a; if ((a <= b && b <= c) || (c <= b && b <= a)) m = b; else if ((b <= c && c <= a) || (a <= c && c <= b)) m = c
    bound = 10000 + 3 * m
    printf "%s: first update ended %d ms after its batch; bound 10 s + 3 x %.1f ms = %.0f ms\n", wait <= bound ? "PASS" : "FAIL", wait, m, bound
  }'
  echo "load average: $(cut -d' ' -f1-3 /proc/loadavg), cores: $(nproc)"
  exit 0
fi

torch_us=
if /usr/bin/python3 -c 'import torch' 2>/dev/null; then
  torch_us=$(nice -n 0 /usr/bin/python3 "$root/tools/reference/bench_torch.py" --batches "$batch" --hidden "$hidden" --epochs "$epochs" --seconds 3 \
    | jq .update_us)
  echo "PyTorch warm update (batch $batch, hidden $hidden, $epochs epochs, 1 thread): $torch_us µs"
else
  echo "PyTorch not installed (apt-get install python3-torch): agent times only, no ratio and no verdict"
fi
fast=0
for s in $(seq "$starts"); do
  start_agent
  ms=()
  for u in 1 2 3; do feed_batch; wait_updates "$u"; ms+=("$(update_ms)"); done
  stop_agent
  mean=$(awk -v a="${ms[0]}" -v b="${ms[1]}" -v c="${ms[2]}" 'BEGIN { printf "%.3f", (a + b + c) / 3 }')
  line="start $s: warm-up $(warmup_line); first three updates ${ms[*]} ms, mean $mean ms"
  if [ -n "$torch_us" ]; then
    ratio=$(awk -v t="$torch_us" -v m="$mean" 'BEGIN { printf "%.1f", t / 1000 / m }')
    awk -v r="$ratio" 'BEGIN { exit !(r >= 5) }' && fast=$((fast + 1))
    line="$line; PyTorch/agent $ratio x"
  fi
  echo "$line"
done
if [ -n "$torch_us" ]; then
  echo "$([ "$fast" = "$starts" ] && echo PASS || echo FAIL): $fast/$starts fresh starts at least 5x faster than PyTorch's warm update (mean of the first three updates)"
fi
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg), cores: $(nproc)"
