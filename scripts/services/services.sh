#!/usr/bin/env bash
# The local service stack: Kafka, HDFS (WebHDFS), a MongoDB-wire server, Redis and PostgreSQL,
# each a process of ours on 127.0.0.1. Usage: services.sh up|down|status|logs|env [service...]
# Each service lives in <service>.sh beside this file with the verbs install|start|stop|status.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
. "$HERE/lib.sh"

ALL=(kafka hdfs mongo redis postgres)
verb="${1:-}"; shift || true
if [ "$#" -gt 0 ]; then svcs=("$@"); else svcs=("${ALL[@]}"); fi
for s in "${svcs[@]}"; do
  [ -f "$HERE/$s.sh" ] || die "unknown service '$s' (known: ${ALL[*]})"
done

case "$verb" in
  up)
    t0=$SECONDS
    # Installs run one after another (they share the Maven and apt caches); starts run in parallel.
    for s in "${svcs[@]}"; do bash "$HERE/$s.sh" install; done
    pids=()
    for s in "${svcs[@]}"; do bash "$HERE/$s.sh" start & pids+=($!); done
    failed=0
    for i in "${!pids[@]}"; do
      wait "${pids[$i]}" || { log "${svcs[$i]} failed to start"; failed=1; }
    done
    [ "$failed" -eq 0 ] || die "some services failed; see 'make services-logs'"
    log "all up in $((SECONDS - t0))s"
    ;;
  down)
    for s in "${svcs[@]}"; do bash "$HERE/$s.sh" stop & done
    wait
    ;;
  status)
    bad=0
    for s in "${svcs[@]}"; do bash "$HERE/$s.sh" status || bad=1; done
    exit "$bad"
    ;;
  logs)
    for s in "${svcs[@]}"; do
      echo "==> $(log_file "$s") <=="
      tail -n "${LINES_PER_LOG:-40}" "$(log_file "$s")" 2>/dev/null || echo "(no log yet)"
    done
    ;;
  env)
    # Connection settings for krange and its tests, as shell exports.
    echo "export KRANGE_KAFKA_BROKERS=$KRANGE_HOST:$KRANGE_KAFKA_PORT"
    echo "export KRANGE_WEBHDFS_URL=http://$KRANGE_HOST:$KRANGE_HDFS_NN_HTTP_PORT"
    echo "export KRANGE_MONGO_URL=mongodb://$KRANGE_HOST:$KRANGE_MONGO_PORT/?directConnection=true"
    echo "export KRANGE_REDIS_URL=redis://$KRANGE_HOST:$KRANGE_REDIS_PORT"
    echo "export KRANGE_PG_URL=postgres://krange@$KRANGE_HOST:$KRANGE_PG_PORT/krange"
    ;;
  *)
    echo "usage: services.sh up|down|status|logs|env [${ALL[*]}]" >&2
    exit 2
    ;;
esac
