#!/usr/bin/env bash
# Kafka for krange: one JVM that is both KRaft controller and broker, on 127.0.0.1 only.
# Jars come from Maven Central through kafka/pom.xml (no release tarball, no ZooKeeper).
#
#   kafka.sh install                    resolve the jars once into $KRANGE_CACHE/kafka-<version>/libs
#   kafka.sh start | stop | status      the service-script contract (see lib.sh)
#   kafka.sh run-class <Class> [args]   run any class on the Kafka classpath (tools log WARN to stderr)
#   kafka.sh perf-consumer [args]       org.apache.kafka.tools.ConsumerPerformance (kafka-consumer-perf-test);
#                                       --bootstrap-server defaults to our broker
#   kafka.sh version                    print the pinned Kafka version
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
. "$HERE/lib.sh"

SVC=kafka
POM="$HERE/kafka/pom.xml"
# The version is pinned in the pom only, so the pom and the cache directory can never disagree.
KAFKA_VERSION="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$POM")"
[ -n "$KAFKA_VERSION" ] || die "no <kafka.version> in $POM"
LIBS="$KRANGE_CACHE/kafka-$KAFKA_VERSION/libs"
DATA="$(data_dir "$SVC")"
CONF="$DATA/server.properties"
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"

# Kafka 4.x brokers and tools need Java 17 or newer.
need_java() {
  need_cmd "$JAVA" "install Java 17+: apt-get install openjdk-17-jre-headless"
  local v
  v="$("$JAVA" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n1)"
  [ -n "$v" ] && [ "$v" -ge 17 ] || die "Kafka $KAFKA_VERSION needs Java 17+, found '${v:-unknown}': apt-get install openjdk-17-jre-headless"
}

do_install() {
  need_java
  mvn_copy_deps "$LIBS" "$POM"
}

# Runs a Kafka class on the cached classpath, quiet logging. Exec, so signals reach the JVM.
# TieredStopAtLevel=1 (C1 only) starts short-lived tools faster and measured no slower for a 500k-record
# perf-consumer run; set KAFKA_TOOL_OPTS (even to "") to replace it, e.g. for long benchmarks.
run_class() {
  do_install
  # shellcheck disable=SC2086
  exec "$JAVA" -Xmx512m -XX:+UseSerialGC -Xshare:auto ${KAFKA_TOOL_OPTS--XX:TieredStopAtLevel=1} \
    -Djava.awt.headless=true -Dlog4j2.configurationFile="$HERE/kafka/tools-log4j2.properties" \
    -cp "$LIBS/*" "$@"
}

# Protocol-level health check without a JVM: a Metadata v4 request (v0-v3 were removed in 4.0)
# over bash's /dev/tcp, asking for no topics. Healthy when the broker answers with our
# correlation id and lists itself (node 1): a fenced or still-starting broker is not listed,
# and the client port only opens once request processing is enabled.
kafka_healthy() {
  local hex
  # size=28 | api_key=3 api_version=4 correlation_id=1 client_id="krange-health" | topics=[] allow_auto_create=false
  hex="$(timeout 3 bash -c '
    exec 3<>"/dev/tcp/$0/$1" || exit 1
    printf "\x00\x00\x00\x1c\x00\x03\x00\x04\x00\x00\x00\x01\x00\x0dkrange-health\x00\x00\x00\x00\x00" >&3
    head -c 26 <&3' "$KRANGE_HOST" "$KRANGE_KAFKA_PORT" 2>/dev/null | od -An -v -tx1 | tr -d ' \n')" || return 1
  # response: size(4) correlation_id(4) throttle_ms(4) broker_count(4) first node_id(4) host_len(2)
  [ "${#hex}" -eq 52 ] && [ "${hex:8:8}" = 00000001 ] && [ "${hex:24:8}" != 00000000 ] \
    && [ "${hex:32:8}" = 00000001 ]
}

# Kafka's Uuid text form: 16 random bytes, base64url without padding (22 chars). Done in bash to
# spare a JVM start (StorageTool random-uuid); Kafka itself avoids ids starting with '-'.
random_cluster_id() {
  local id
  while :; do
    id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
    [ "${id:0:1}" != "-" ] && { echo "$id"; return; }
  done
}

do_start() {
  do_install
  if is_running "$SVC"; then
    if kafka_healthy; then log "kafka already running (pid $(cat "$(pid_file "$SVC")"))"; return 0; fi
    # Ours but not answering yet: most likely still starting; give it the usual time.
    wait_until 90 "$SVC" kafka_healthy
    log "kafka healthy on $KRANGE_HOST:$KRANGE_KAFKA_PORT"
    return 0
  fi
  ensure_port_free "kafka (KRANGE_KAFKA_PORT, KRANGE_KAFKA_CONTROLLER_PORT)" \
    "$KRANGE_KAFKA_PORT" "$KRANGE_KAFKA_CONTROLLER_PORT"

  mkdir -p "$DATA/log"
  # Rendered on every start so port overrides take effect (the static quorum has no stored voters).
  sed -e "s|@PORT@|$KRANGE_KAFKA_PORT|g" -e "s|@CONTROLLER_PORT@|$KRANGE_KAFKA_CONTROLLER_PORT|g" \
      -e "s|@LOG_DIR@|$DATA/log|g" "$HERE/kafka/server.properties" >"$CONF"

  # KRaft refuses to start on unformatted storage. Format once (meta.properties marks it done).
  if [ ! -f "$DATA/log/meta.properties" ]; then
    log "formatting kafka storage in $DATA/log"
    "$JAVA" -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto \
      -Dlog4j2.configurationFile="$HERE/kafka/tools-log4j2.properties" -cp "$LIBS/*" \
      kafka.tools.StorageTool format -t "$(random_cluster_id)" -c "$CONF" --ignore-formatted \
      >>"$(log_file "$SVC")" 2>&1 || { tail -n 20 "$(log_file "$SVC")" >&2; die "kafka storage format failed"; }
  fi

  # 512 MiB heap is plenty for tests and benchmarks here. Full JIT (no TieredStopAtLevel) because
  # the broker's produce path (CRC checks, decompression for validation) matters in benchmarks.
  # SerialGC: fewer GC threads on 2 shared cores, short pauses on a small heap.
  start_daemon "$SVC" "$JAVA" -Xms256m -Xmx512m -XX:+UseSerialGC -Xshare:auto \
    -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$HERE/kafka/log4j2.properties" \
    -cp "$LIBS/*" kafka.Kafka "$CONF"
  wait_until 90 "$SVC" kafka_healthy
  log "kafka $KAFKA_VERSION healthy on $KRANGE_HOST:$KRANGE_KAFKA_PORT"
}

do_status() { service_status "$SVC" "$KRANGE_HOST:$KRANGE_KAFKA_PORT" kafka_healthy; }

verb="${1:-}"; shift || true
case "$verb" in
  install) do_install ;;
  start) do_start ;;
  stop) stop_daemon "$SVC" ;;
  status) do_status ;;
  version) echo "$KAFKA_VERSION" ;;
  run-class)
    [ "$#" -ge 1 ] || die "usage: kafka.sh run-class <main class> [args...]"
    run_class "$@" ;;
  perf-consumer)
    # The tool requires --bootstrap-server; default it to our broker.
    case " $* " in *" --bootstrap-server "*) ;; *) set -- --bootstrap-server "$KRANGE_HOST:$KRANGE_KAFKA_PORT" "$@" ;; esac
    run_class org.apache.kafka.tools.ConsumerPerformance "$@" ;;
  *) echo "usage: kafka.sh install|start|stop|status|version|run-class <Class> [args]|perf-consumer [args]" >&2; exit 2 ;;
esac
