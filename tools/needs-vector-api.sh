#!/bin/sh
# Exits 0 when `edgeppo ARGS...` may train (so the JVM needs the incubator module jdk.incubator.vector:
# the update's Vector API) and 1 when it cannot: help and version, gpu-diag, webhook, and `serve --mode
# infer`, which serves through Dense's scalar path when the module is absent. The launcher adds the module
# only when needed, because the JVM prints "WARNING: Using incubator modules" whenever it is resolved.
# serve's mode is decided as ServeConfig does, flag before environment: --mode infer (or --mode=infer), else
# EDGEPPO_MODE=infer without a --mode flag. A mode set only in a --config file is not read here, so that serve
# gets the module: a warning too many is harmless, a missing module would stop an agent that trains. Unknown
# commands get it too, for the same reason.
for a in "$@"; do
  case "$a" in -h|--help|-V|--version) exit 1 ;; esac
done
case "${1:-}" in
  ""|help|gpu-diag|webhook) exit 1 ;;
  serve)
    mode=
    prev=
    for a in "$@"; do
      case "$a" in --mode=*) mode=${a#--mode=} ;; esac
      [ "$prev" = --mode ] && mode=$a
      prev=$a
    done
    [ -z "$mode" ] && mode=${EDGEPPO_MODE:-}
    [ "$mode" = infer ] && exit 1
    exit 0 ;;
  *) exit 0 ;;
esac
