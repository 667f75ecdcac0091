#!/bin/sh
# Regenerates bindings/src (package dev.edgeppo.nvml.gen) from the system's nvml.h with jextract.
# Needs: jextract on PATH or in $JEXTRACT; nvml.h in $NVML_HEADER (default /usr/include/nvml.h,
# Debian's libnvidia-ml-dev). The output is committed and never edited by hand; `make bindings`
# runs this script, and a clean `git status` afterwards shows the bindings regenerate identically.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
jextract=${JEXTRACT:-$(command -v jextract || true)}
header=${NVML_HEADER:-/usr/include/nvml.h}
[ -n "$jextract" ] && [ -x "$jextract" ] || {
  echo "generate.sh: no jextract: put it on PATH or set JEXTRACT=/path/to/bin/jextract" >&2; exit 1; }
[ -f "$header" ] || { echo "generate.sh: $header is missing (install libnvidia-ml-dev or set NVML_HEADER)" >&2; exit 1; }

out="$here/src"
rm -rf "$out/dev/edgeppo/nvml/gen"
mkdir -p "$out"
# NVML_NO_UNVERSIONED_FUNC_DEFS: keep each function under its real symbol name (nvmlInit_v2, ...) and
# declare the older unversioned symbols too, so the wrapper can fall back to them on older drivers.
# No --library: the wrapper loads the library it chooses ($EDGEPPO_NVML_LIBRARY or libnvidia-ml.so.1)
# before the first call, and the generated code finds the symbols through the loader lookup.
cd "$here"
"$jextract" \
  -D NVML_NO_UNVERSIONED_FUNC_DEFS \
  --target-package dev.edgeppo.nvml.gen \
  --header-class-name nvml_h \
  --output "$out" \
  @nvml.symbols \
  "$header"
echo "generate.sh: bindings written to $out/dev/edgeppo/nvml/gen"
