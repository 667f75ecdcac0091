#!/bin/sh
# Exits 0 when `edgeppo ARGS...` may train (so the JVM needs the incubator module jdk.incubator.vector, the
# CPU backend's Vector API) and 1 when it cannot: help and version, gpu-diag, webhook, serve --mode infer.
# The launcher adds the module only when needed, because the JVM prints "WARNING: Using incubator modules"
# whenever it is resolved. When unsure (serve in a mode set by its config file) it says yes: a warning too
# many is harmless, a missing module would stop training.
for a in "$@"; do
  case "$a" in -h|--help|-V|--version) exit 1 ;; esac
done
case "${1:-}" in
  ""|help|gpu-diag|webhook) exit 1 ;;
  serve)
    mode=${EDGEPPO_MODE:-}
    prev=
    for a in "$@"; do
      case "$a" in --mode=*) mode=${a#--mode=} ;; esac
      [ "$prev" = "--mode" ] && mode=$a
      prev=$a
    done
    [ "$mode" = infer ] && exit 1
    exit 0 ;;
  *) exit 0 ;;
esac
