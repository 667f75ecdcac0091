#!/bin/sh
# Prints the central repository URL that the installed Maven itself uses (its super POM), so the
# wrapper fetches from wherever this machine's Maven already does. $MVNW_REPOURL wins when set.
if [ -n "${MVNW_REPOURL:-}" ]; then echo "$MVNW_REPOURL"; exit 0; fi
mvn_home=$(mvn -v 2>/dev/null | sed -n 's/^Maven home: //p')
jar=$(ls "$mvn_home"/lib/maven-model-builder-*.jar 2>/dev/null | head -n 1)
[ -n "$jar" ] || { echo "cannot find Maven's model builder to read the central URL; set MVNW_REPOURL" >&2; exit 1; }
unzip -p "$jar" org/apache/maven/model/pom-4.0.0.xml |
  tr -d '\r' | sed -n '/<repository>/,/<\/repository>/s/.*<url>\(.*\)<\/url>.*/\1/p' | head -n 1
