#!/bin/sh
# Exits 0 when `edgeppo ARGS...` runs the networks (so the JVM needs the incubator module
# jdk.incubator.vector: Dense's Vector API, which both training and serving go through) and 1 when it
# cannot: help and version, gpu-diag, webhook. The launcher adds the module only when needed, because the
# JVM prints "WARNING: Using incubator modules" whenever it is resolved. Unknown commands get it: a
# warning too many is harmless, a missing module would stop the agent.
for a in "$@"; do
  case "$a" in -h|--help|-V|--version) exit 1 ;; esac
done
case "${1:-}" in
  ""|help|gpu-diag|webhook) exit 1 ;;
  *) exit 0 ;;
esac
