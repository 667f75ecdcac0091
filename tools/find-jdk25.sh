#!/bin/sh
# Prints the home of a JDK 25 or newer, or explains on stderr and exits 1.
# Looked for, in order: $EDGEPPO_JAVA_HOME, $JAVA_HOME, /usr/lib/jvm/*, the java on PATH.
# The machine's default JDK may be older (17 here), so JAVA_HOME alone cannot be trusted.
major() {
  "$1/bin/java" -XshowSettings:properties -version 2>&1 |
    sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p' | head -n 1
}
ok() { [ -x "$1/bin/java" ] && [ -x "$1/bin/javac" ] && m=$(major "$1") && [ -n "$m" ] && [ "$m" -ge 25 ]; }
for c in "${EDGEPPO_JAVA_HOME:-}" "${JAVA_HOME:-}"; do
  if [ -n "$c" ] && ok "$c"; then echo "$c"; exit 0; fi
done
for c in $(ls -d /usr/lib/jvm/* 2>/dev/null | sort -r); do
  if ok "$c"; then echo "$c"; exit 0; fi
done
if command -v java >/dev/null 2>&1; then
  c=$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")
  if ok "$c"; then echo "$c"; exit 0; fi
fi
echo "edgeppo needs a JDK 25 or newer (java and javac). None was found in EDGEPPO_JAVA_HOME," >&2
echo "JAVA_HOME, /usr/lib/jvm or on PATH. Install one (e.g. Temurin 25) and set EDGEPPO_JAVA_HOME." >&2
exit 1
