#!/bin/sh
# bin/edgeppo, written by `make build`. Finds a JDK 25 and runs the agent's command line.
EDGEPPO_HOME="@EDGEPPO_HOME@"
JDK=$("$EDGEPPO_HOME/tools/find-jdk25.sh") || exit 1
JAR="$EDGEPPO_HOME/target/edgeppo.jar"
[ -f "$JAR" ] || { echo "edgeppo: $JAR is missing; run 'make build' in $EDGEPPO_HOME" >&2; exit 1; }
# The Vector API only where an update may run (tools/needs-vector-api.sh says why and which commands).
VECTOR=
"$EDGEPPO_HOME/tools/needs-vector-api.sh" "$@" && VECTOR="--add-modules jdk.incubator.vector"
# serve: a heap of at least 256 MB. The start-up warm-up's System.gc() otherwise shrinks it to tens of MB, and the
# small young generation that follows is collected every half second, with concurrent marking cycles whose
# remark pauses (6-10 ms) set /allocate's p99.9 (docs/performance.md, "Issue 21: the pending table").
# EDGEPPO_JAVA_OPTS comes after, so an -Xms there wins.
HEAP=
[ "${1:-}" = serve ] && HEAP="-Xms256m"
exec "$JDK/bin/java" --enable-native-access=ALL-UNNAMED $VECTOR $HEAP ${EDGEPPO_JAVA_OPTS:-} \
  -Dedgeppo.native.dir="$EDGEPPO_HOME/native/build" \
  -cp "$JAR:$EDGEPPO_HOME/target/lib/*" dev.edgeppo.cli.Main "$@"
