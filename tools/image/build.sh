#!/usr/bin/env bash
# `make image`: the agent's OCI image without a container daemon (BUILD-NOTES, "Kubernetes and images").
#   base     Debian bookworm, minbase variant, made by debootstrap from the machine's own Debian mirror
#            (cached in target/image/rootfs.tar: ~100 s the first time), trimmed of docs, man pages,
#            locales and apt's lists
#   runtime  a JDK 25 cut by jlink to the modules jdeps finds in the agent's jars (java.desktop left
#            out: only `simulate --plot` draws, and the agent never does)
#   app      target/edgeppo.jar and its runtime jars (xchart left out, same reason), bin/edgeppo
#   NVML     Debian's libnvidia-ml1 at /opt/edgeppo/nvml-debian, off the loader's path: in a cluster
#            the NVIDIA runtime mounts the node driver's own libnvidia-ml.so.1, which must win; the
#            smoke test points EDGEPPO_NVML_LIBRARY at Debian's to check the real library's answer
#   user     65532 (the webhook runs so; the DaemonSet runs the agent as root for the kubelet's dirs)
# buildah with the vfs storage driver commits localhost/edgeppo:$VERSION and saves it as an OCI
# archive, target/image/edgeppo-$VERSION.oci.tar. Run as root (debootstrap and buildah need it here).
set -euo pipefail
cd "$(dirname "$0")/../.."
VERSION=${VERSION:-0.1.0}
IMAGE=localhost/edgeppo:$VERSION
OUT=target/image
BUILDAH=(buildah --storage-driver vfs)
JAVA_HOME=${JAVA_HOME:-$(tools/find-jdk25.sh)}

[ "$(id -u)" -eq 0 ] || { echo "image: run as root (debootstrap, buildah)" >&2; exit 1; }
[ -f target/edgeppo.jar ] || { echo "image: target/edgeppo.jar is missing: make build first" >&2; exit 1; }
mkdir -p "$OUT"

# 1. Base root file system, cached.
if [ ! -f "$OUT/rootfs.tar" ]; then
  mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  [ -n "$mirror" ] || { echo "image: no Debian mirror in /etc/apt/sources.list.d/debian.sources" >&2; exit 1; }
  rm -rf "$OUT/rootfs"
  echo "image: debootstrap --variant=minbase bookworm (about 100 s)"
  debootstrap --variant=minbase bookworm "$OUT/rootfs" "$mirror" > "$OUT/debootstrap.log" 2>&1 \
    || { tail -20 "$OUT/debootstrap.log" >&2; exit 1; }
  (cd "$OUT/rootfs" && rm -rf usr/share/doc/* usr/share/man/* usr/share/info/* usr/share/locale/* \
     var/lib/apt/lists/* var/cache/apt/* var/cache/debconf/*-old var/log/* dev/*)
  grep -q '^edgeppo:' "$OUT/rootfs/etc/passwd" || {
    echo 'edgeppo:x:65532:65532:edgeppo:/nonexistent:/usr/sbin/nologin' >> "$OUT/rootfs/etc/passwd"
    echo 'edgeppo:x:65532:' >> "$OUT/rootfs/etc/group"; }
  tar -C "$OUT/rootfs" -cf "$OUT/rootfs.tar.tmp" . && mv "$OUT/rootfs.tar.tmp" "$OUT/rootfs.tar"
  rm -rf "$OUT/rootfs"
fi

# 2. The application tree: /opt/edgeppo/{jre,lib,bin,nvml-debian}.
APP=$OUT/app/opt/edgeppo
rm -rf "$OUT/app" && mkdir -p "$APP/lib" "$APP/bin" "$APP/nvml-debian"
cp target/edgeppo.jar "$APP/lib/"
# Exactly the jars of the jar's manifest Class-Path (target/lib may hold stale ones from older builds).
unzip -p target/edgeppo.jar META-INF/MANIFEST.MF | tr -d '\r' \
  | awk '/^Class-Path:/ {cp = substr($0, 13); f = 1; next} f && /^ / {cp = cp substr($0, 2); next} {f = 0} END {print cp}' \
  | tr ' ' '\n' | grep -v '^lib/xchart-' | grep . | while read -r jar; do cp "target/$jar" "$APP/lib/"; done
classpath=$(find "$APP/lib" -name '*.jar' ! -name edgeppo.jar | sort | tr '\n' ':')
echo "image: jdeps (the modules the agent's jars use)"
modules=$("$JAVA_HOME/bin/jdeps" --ignore-missing-deps --print-module-deps --multi-release 25 \
  --class-path "$classpath" "$APP/lib/edgeppo.jar" | tail -1)
# java.desktop: only the simulator's plot (dev.edgeppo.sim.Plot) needs it. jdk.naming.dns: Netty (the
# Kubernetes client's HTTP) may ask JNDI for the DNS servers.
modules=$(echo "$modules" | tr ',' '\n' | grep -vx java.desktop | { cat; echo jdk.naming.dns; } | sort -u | paste -sd, -)
echo "image: jlink --add-modules $modules"
"$JAVA_HOME/bin/jlink" --add-modules "$modules" --strip-debug --no-man-pages --no-header-files \
  --compress=zip-6 --output "$APP/jre"
cp tools/needs-vector-api.sh "$APP/bin/needs-vector-api.sh"
cat > "$APP/bin/edgeppo" <<'LAUNCHER'
#!/bin/sh
# The image's bin/edgeppo: the jlink'd runtime and the jars of /opt/edgeppo. The incubator module only for
# commands that may train, as in the source tree's launcher (needs-vector-api.sh says which).
VECTOR=
/opt/edgeppo/bin/needs-vector-api.sh "$@" && VECTOR="--add-modules jdk.incubator.vector"
exec /opt/edgeppo/jre/bin/java --enable-native-access=ALL-UNNAMED $VECTOR \
  ${EDGEPPO_JAVA_OPTS:-} -cp "/opt/edgeppo/lib/edgeppo.jar:/opt/edgeppo/lib/*" dev.edgeppo.cli.Main "$@"
LAUNCHER
chmod 755 "$APP/bin/edgeppo" "$APP/bin/needs-vector-api.sh"
# Debian's NVML, from its package (non-free, added by tools/setup.sh).
(cd "$OUT" && rm -f libnvidia-ml1_*.deb && apt-get download -q -o APT::Sandbox::User=root libnvidia-ml1 >/dev/null)
rm -rf "$OUT/nvml-deb" && dpkg-deb -x "$OUT"/libnvidia-ml1_*.deb "$OUT/nvml-deb"
cp "$(find "$OUT/nvml-deb" -name 'libnvidia-ml.so.*' -type f | head -1)" "$APP/nvml-debian/libnvidia-ml.so.1"
tar -C "$OUT/app" -cf "$OUT/app.tar" .

# 3. The image: two layers (base, application), config, commit, OCI archive.
ctr=$("${BUILDAH[@]}" from --name "edgeppo-build-$$" scratch)
trap '"${BUILDAH[@]}" rm "$ctr" >/dev/null 2>&1 || true' EXIT
"${BUILDAH[@]}" add "$ctr" "$OUT/rootfs.tar" / >/dev/null
"${BUILDAH[@]}" add "$ctr" "$OUT/app.tar" / >/dev/null
"${BUILDAH[@]}" config --entrypoint '["/opt/edgeppo/bin/edgeppo"]' --cmd '["serve"]' --user 65532:65532 \
  --workingdir / --env PATH=/opt/edgeppo/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  --label org.opencontainers.image.title=edgeppo --label org.opencontainers.image.version="$VERSION" "$ctr"
"${BUILDAH[@]}" commit --quiet --format oci --rm "$ctr" "$IMAGE" >/dev/null
trap - EXIT
rm -f "$OUT/edgeppo-$VERSION.oci.tar"
"${BUILDAH[@]}" push --quiet "$IMAGE" "oci-archive:$OUT/edgeppo-$VERSION.oci.tar:$IMAGE"
size=$("${BUILDAH[@]}" images --format '{{.Size}}' "$IMAGE" | head -1)
echo "image: built $IMAGE, $size unpacked; $(du -h "$OUT/edgeppo-$VERSION.oci.tar" | cut -f1) as an OCI archive" \
  "($(du -sh "$APP/jre" | cut -f1) runtime, $(du -sh "$APP/lib" | cut -f1) jars; modules $modules)"
