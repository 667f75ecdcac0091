#!/usr/bin/env bash
# One-time set-up of a fresh Debian 12 machine (README's first command). Idempotent.
# - checks that a JDK 25 exists (the build finds it by itself; the default JDK may be older)
# - Debian's non-free component, for NVML: libnvidia-ml-dev (nvml.h, to build the stand-in library)
#   and libnvidia-ml1 (the real library, tested for its "Driver Not Loaded" answer without a driver)
# - wrk, the load generator of the HTTP benchmark, and nginx, its floor (run unprivileged from its own config)
# - Node.js and npm when missing (`make test` validates deploy/ with npm's kubernetes-models)
# With --image, also what `make image` needs (buildah, podman, runc, skopeo, debootstrap, uidmap);
# `make image` runs `tools/setup.sh --image` itself, so CI's default set-up stays small.
set -euo pipefail
IMAGE=0
for arg in "$@"; do
  case "$arg" in
    --image) IMAGE=1 ;;
    *) echo "setup: unknown option $arg (known: --image)" >&2; exit 2 ;;
  esac
done
cd "$(dirname "$0")/.."

tools/find-jdk25.sh >/dev/null
echo "JDK 25: $(tools/find-jdk25.sh)"

for tool in gcc g++ make mvn unzip; do
  command -v "$tool" >/dev/null || { echo "setup: '$tool' is missing; install it first" >&2; exit 1; }
done
command -v nvcc >/dev/null || echo "setup: nvcc not found: the CUDA fatbin will not be built (the host build of the kernels still is)"

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
need=()
pkgs=(libnvidia-ml-dev libnvidia-ml1 wrk nginx)
command -v node >/dev/null && command -v npm >/dev/null || pkgs+=(nodejs npm)
[ "$IMAGE" -eq 0 ] || pkgs+=(buildah podman runc skopeo debootstrap uidmap)
for pkg in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  # Same mirror and suites as the machine's own Debian sources, with the components NVML lives in.
  src=/etc/apt/sources.list.d/edgeppo-nonfree.sources
  if [ ! -f "$src" ] && [ -f /etc/apt/sources.list.d/debian.sources ]; then
    sed -e 's/^Components:.*/Components: contrib non-free/' /etc/apt/sources.list.d/debian.sources | $SUDO tee "$src" >/dev/null
  fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
echo "setup: done"
