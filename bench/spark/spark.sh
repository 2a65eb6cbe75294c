#!/usr/bin/env bash
# The Spark side of W1. Usage: spark.sh build | run <bootstrap> <topic> <output uri> | classpath
#        | run-avro <bootstrap> <topic> <output uri> <avsc file>   (the Avro variant, from_avro)
# build: compiles the main (mvn package) and resolves Spark's runtime jars once into
#        ~/.cache/krange/spark-<version>/jars (Maven cache in ~/.m2).
# run:   one local[2] Spark application; prints a JSON line of its own timings on stdout.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SPARK_VERSION="$(sed -n 's:.*<spark.version>\(.*\)</spark.version>.*:\1:p' "$HERE/pom.xml")"
JARS="${KRANGE_CACHE:-$HOME/.cache/krange}/spark-$SPARK_VERSION/jars"
CLASSES="$HERE/target/classes"

# Spark 4 supports Java 17 and 21; use the default java when it is one of those, else temurin 25.
pick_java() {
  local v
  v="$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1)"
  if [ "${v:-0}" -ge 17 ]; then echo java; return; fi
  echo /usr/lib/jvm/temurin-25-jdk-amd64/bin/java
}

build() {
  if [ ! -f "$JARS/.complete" ] || ! cmp -s "$HERE/pom.xml" "$JARS/.pom"; then
    echo "[spark] resolving Spark $SPARK_VERSION jars into $JARS (first run only)" >&2
    rm -rf "$JARS"; mkdir -p "$JARS"
    mvn -q -B -f "$HERE/pom.xml" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$JARS" >&2
    cp "$HERE/pom.xml" "$JARS/.pom"; touch "$JARS/.complete"
  fi
  local main
  for main in SparkClickstream SparkClickstreamAvro; do
    if [ ! -f "$CLASSES/krange/bench/$main.class" ] \
       || [ "$HERE/src/main/java/krange/bench/$main.java" -nt "$CLASSES/krange/bench/$main.class" ]; then
      mvn -q -B -f "$HERE/pom.xml" package -DskipTests >&2
      break
    fi
  done
}

case "${1:-}" in
  build) build ;;
  classpath) echo "$CLASSES:$JARS/*" ;;
  run|run-avro)
    MAIN=krange.bench.SparkClickstream
    if [ "$1" = run-avro ]; then
      MAIN=krange.bench.SparkClickstreamAvro
      [ "$#" -eq 5 ] || { echo "usage: spark.sh run-avro <bootstrap> <topic> <output uri> <avsc file>" >&2; exit 2; }
    else
      [ "$#" -eq 4 ] || { echo "usage: spark.sh run <bootstrap> <topic> <output uri>" >&2; exit 2; }
    fi
    shift
    # Heap: local mode runs driver and executors in one JVM. 2 tasks at a time each hold a Parquet
    # writer per open dt directory (a 128 MiB row group buffer at most) plus Kafka fetch buffers;
    # 2 GiB fixed (Xms = Xmx: no heap resizing in the timing) leaves room and is what a user would give.
    export HADOOP_USER_NAME="${HADOOP_USER_NAME:-krange}"
    # Everything stays on the loopback interface.
    export SPARK_LOCAL_IP=127.0.0.1
    exec "$(pick_java)" -Xms2g -Xmx2g -XX:+UseParallelGC \
      -XX:+IgnoreUnrecognizedVMOptions \
      --add-opens=java.base/java.lang=ALL-UNNAMED \
      --add-opens=java.base/java.lang.invoke=ALL-UNNAMED \
      --add-opens=java.base/java.lang.reflect=ALL-UNNAMED \
      --add-opens=java.base/java.io=ALL-UNNAMED \
      --add-opens=java.base/java.net=ALL-UNNAMED \
      --add-opens=java.base/java.nio=ALL-UNNAMED \
      --add-opens=java.base/java.util=ALL-UNNAMED \
      --add-opens=java.base/java.util.concurrent=ALL-UNNAMED \
      --add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED \
      --add-opens=java.base/jdk.internal.ref=ALL-UNNAMED \
      --add-opens=java.base/sun.nio.ch=ALL-UNNAMED \
      --add-opens=java.base/sun.nio.cs=ALL-UNNAMED \
      --add-opens=java.base/sun.security.action=ALL-UNNAMED \
      --add-opens=java.base/sun.util.calendar=ALL-UNNAMED \
      -Djdk.reflect.useDirectMethodHandle=false \
      -Dio.netty.tryReflectionSetAccessible=true \
      -cp "$CLASSES:$JARS/*" "$MAIN" "$@"
    ;;
  *) echo "usage: spark.sh build | run <bootstrap> <topic> <output uri> | run-avro <bootstrap> <topic> <output uri> <avsc> | classpath" >&2; exit 2 ;;
esac
