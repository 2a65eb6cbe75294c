#!/usr/bin/env bash
# Redis on 127.0.0.1:$KRANGE_REDIS_PORT from Debian's redis-server package: our own instance with
# its config and data under the data dir (a system redis service, if any, is left alone).
# Verbs: install|start|stop|status.
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
. "$HERE/lib.sh"

SVC=redis
PORT="$KRANGE_REDIS_PORT"

healthy() { [ "$(redis-cli -h "$KRANGE_HOST" -p "$PORT" ping 2>/dev/null)" = "PONG" ]; }

case "${1:-}" in
  install)
    if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
      apt_install redis-server
    fi
    ;;
  start)
    if is_running "$SVC" && healthy; then log "redis already running (pid $(cat "$(pid_file "$SVC")"))"; exit 0; fi
    need_cmd redis-server "install Redis: apt-get install redis-server"
    stop_daemon "$SVC"
    ensure_port_free "$SVC" "$PORT"
    dir="$(data_dir "$SVC")"
    mkdir -p "$dir"
    # Append-only persistence: a restarted Redis (the outage tests) keeps what it acknowledged.
    cat >"$dir/redis.conf" <<CONF
bind $KRANGE_HOST
port $PORT
protected-mode no
daemonize no
dir $dir
appendonly yes
appendfsync everysec
save ""
loglevel warning
CONF
    start_daemon "$SVC" redis-server "$dir/redis.conf"
    wait_until 30 "$SVC" healthy
    log "redis healthy on $KRANGE_HOST:$PORT"
    ;;
  stop)
    stop_daemon "$SVC"
    ;;
  status)
    if is_running "$SVC" && healthy; then
      printf '%-9s healthy  %s:%s  pid %s\n' "$SVC" "$KRANGE_HOST" "$PORT" "$(cat "$(pid_file "$SVC")")"
    elif is_running "$SVC"; then
      printf '%-9s unhealthy  %s:%s  pid %s\n' "$SVC" "$KRANGE_HOST" "$PORT" "$(cat "$(pid_file "$SVC")")"; exit 1
    else
      printf '%-9s down  %s:%s  pid -\n' "$SVC" "$KRANGE_HOST" "$PORT"; exit 1
    fi
    ;;
  *) echo "usage: redis.sh install|start|stop|status" >&2; exit 2 ;;
esac
