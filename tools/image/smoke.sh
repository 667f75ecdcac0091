#!/usr/bin/env bash
# `make image-smoke`: runs the image of `make image` with podman and checks, inside it:
#   1. `serve` answers /healthz (200) and /readyz on loopback (--network host);
#   2. `gpu-diag` against Debian's real NVML exits non-zero with NVML's own "Driver Not Loaded"
#      (this machine has no GPU driver, which is exactly that answer);
#   3. `webhook` serves TLS and answers an AdmissionReview for a pinned pod with the pod's ask (no
#      API server is reachable: the failure policy), which exercises the Kubernetes client's JSON
#      (Jackson 3) and TLS on the jlink'd runtime.
# podman's default runtime (crun) fails in this sandbox; runc with these ulimits works (BUILD-NOTES).
set -euo pipefail
cd "$(dirname "$0")/../.."
VERSION=${VERSION:-0.1.0}
IMAGE=localhost/edgeppo:$VERSION
PODMAN=(podman --storage-driver vfs --runtime runc)
RUN=("${PODMAN[@]}" run --rm --network host --ulimit nofile=20000:20000 --ulimit nproc=32768:32768)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
fail() { echo "image-smoke: FAIL: $*" >&2; exit 1; }
WORK=$(mktemp -d)
NAME=edgeppo-smoke-$$
cleanup() {
  "${PODMAN[@]}" rm -f "$NAME" "$NAME-webhook" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
"${PODMAN[@]}" image exists "$IMAGE" || fail "no image $IMAGE: run make image"

# 1. serve
port=$(free_port)
"${RUN[@]}" -d --name "$NAME" "$IMAGE" serve --port "$port" --telemetry sim --state-dir /tmp/state >/dev/null
code=000
for _ in $(seq 1 90); do
  code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/healthz" || true)
  [ "$code" = 200 ] && break
  sleep 1
done
[ "$code" = 200 ] || { "${PODMAN[@]}" logs "$NAME" >&2 || true; fail "/healthz answered $code"; }
ready=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/readyz")
echo "image-smoke: serve /healthz 200, /readyz $ready"
"${PODMAN[@]}" stop -t 10 "$NAME" >/dev/null

# 2. gpu-diag against Debian's NVML
set +e
out=$("${RUN[@]}" -e EDGEPPO_NVML_LIBRARY=/opt/edgeppo/nvml-debian/libnvidia-ml.so.1 "$IMAGE" gpu-diag 2>&1)
rc=$?
set -e
[ "$rc" -ne 0 ] || fail "gpu-diag exited 0 without a driver: $out"
echo "$out" | grep -q "Driver Not Loaded" || fail "gpu-diag did not say Driver Not Loaded (exit $rc): $out"
echo "image-smoke: gpu-diag exit $rc: $(echo "$out" | tail -1)"

# 3. webhook over TLS, no API server reachable: the pod gets its ask
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost -addext subjectAltName=IP:127.0.0.1 \
  -keyout "$WORK/tls.key" -out "$WORK/tls.crt" 2>/dev/null
api=$(free_port)   # nothing listens there
cat > "$WORK/kubeconfig" <<KUBECONFIG
apiVersion: v1
kind: Config
clusters: [{name: none, cluster: {server: "https://127.0.0.1:$api", insecure-skip-tls-verify: true}}]
users: [{name: none, user: {token: none}}]
contexts: [{name: none, context: {cluster: none, user: none}}]
current-context: none
KUBECONFIG
chmod 755 "$WORK" && chmod 644 "$WORK"/*
wport=$(free_port)
"${RUN[@]}" -d --name "$NAME-webhook" -v "$WORK:/etc/smoke:ro" "$IMAGE" webhook --port "$wport" --bind 127.0.0.1 \
  --tls-cert /etc/smoke/tls.crt --tls-key /etc/smoke/tls.key --kubeconfig /etc/smoke/kubeconfig --agent-timeout-ms 500 >/dev/null
code=000
for _ in $(seq 1 90); do
  code=$(curl -s --cacert "$WORK/tls.crt" -o /dev/null -w '%{http_code}' "https://127.0.0.1:$wport/healthz" || true)
  [ "$code" = 200 ] && break
  sleep 1
done
[ "$code" = 200 ] || { "${PODMAN[@]}" logs "$NAME-webhook" >&2 || true; fail "webhook /healthz answered $code"; }
review='{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"smoke-1",
 "kind":{"group":"","version":"v1","kind":"Pod"},"resource":{"group":"","version":"v1","resource":"pods"},
 "namespace":"default","operation":"CREATE","object":{"apiVersion":"v1","kind":"Pod",
 "metadata":{"name":"p","namespace":"default","annotations":{"gpu.edgeppo.dev/cores":"30","gpu.edgeppo.dev/memory":"2048"}},
 "spec":{"nodeName":"edge-1","containers":[{"name":"c","image":"i"}]}}}}'
answer=$(curl -s --cacert "$WORK/tls.crt" -H 'Content-Type: application/json' -d "$review" "https://127.0.0.1:$wport/mutate")
[ "$(echo "$answer" | jq -r .response.allowed)" = true ] || fail "webhook answer: $answer"
patch=$(echo "$answer" | jq -r .response.patch | base64 -d)
echo "$patch" | jq -e 'map(select(.path == "/spec/containers/0/env"))[0].value | map(select(.name == "CUDA_MPS_ACTIVE_THREAD_PERCENTAGE"))[0].value == "30"' >/dev/null \
  || fail "webhook patch does not give the ask: $patch"
echo "image-smoke: webhook over TLS: allowed, the ask as limits ($(echo "$answer" | jq -r '.response.warnings[0]' | cut -c1-80)…)"
echo "image-smoke: passed"
