#!/usr/bin/env bash
# The walk-through of SPEC §5 in docs/observer.md without a GPU: a real process stands for a pod's container, a proc
# root laid out with its kubepods cgroup file, the stand-in NVML reports that PID at 35 % SM and 1 GiB,
# and an allocation that names the pod gets its feedback, and is trained on, with no POST /feedback.
# Needs `make build`. Usage: tools/observe-demo.sh [PORT]
set -euo pipefail
HOME_DIR=$(cd "$(dirname "$0")/.." && pwd)
PORT=${1:-8089}
WORK=$(mktemp -d)
POD_UID=3e5f6a1c-1b2c-4d3e-8f90-0123456789ab
cd "$WORK"
sleep 600 & PID=$!
trap 'kill $PID ${SERVE:-} 2>/dev/null; rm -rf "$WORK"' EXIT
mkdir -p proc/$PID
echo "0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${POD_UID//-/_}.slice/cri-containerd-1f2e.scope" \
  > proc/$PID/cgroup
cat > gpu.txt <<EOT
gpu
uuid GPU-7c0c5a2e-0000-4000-8000-000000000001
memory 16106127360 0 0
process $PID 1073741824
procutil $PID 35 0 0 0 now
EOT
EDGEPPO_NVML_LIBRARY="$HOME_DIR/native/build/nvml-standin/libnvidia-ml.so.1" EDGEPPO_NVML_STANDIN_SCRIPT=gpu.txt \
  "$HOME_DIR/bin/edgeppo" serve --port "$PORT" --telemetry nvml --backend cpu --proc-root proc \
  --observe-period-seconds 0.5 --observe-window-seconds 5 --batch-size 1 2>serve.log >/dev/null &
SERVE=$!
until curl -sf "localhost:$PORT/healthz" >/dev/null; do sleep 0.2; done
set -x
curl -s -XPOST "localhost:$PORT/allocate" -d '{"cores":80,"memory":4000,"pod":"ml/train-0","pod_uid":"'$POD_UID'"}' | tee allocate.json
{ set +x; } 2>/dev/null
ID=$(sed 's/.*"allocation_id":"\([^"]*\)".*/\1/' allocate.json)
echo; sleep 1; set -x
curl -s "localhost:$PORT/v1/allocations/$ID"
{ set +x; } 2>/dev/null
echo; sleep 6; set -x
curl -s "localhost:$PORT/v1/allocations/$ID"
{ set +x; } 2>/dev/null
echo; set -x
curl -s "localhost:$PORT/v1/policy" | grep -o '"updates":[0-9]*'
curl -s "localhost:$PORT/metrics" | grep -E '^edgeppo_(feedbacks_total|observer_self_reported)'
{ set +x; } 2>/dev/null
