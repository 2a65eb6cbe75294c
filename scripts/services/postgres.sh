#!/usr/bin/env bash
# PostgreSQL on 127.0.0.1:$KRANGE_PG_PORT from Debian's packages: our own cluster in the data dir,
# run as the `postgres` OS user (the server refuses root), trust auth on loopback only, role and
# database `krange`. Verbs: install|start|stop|status.
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
. "$HERE/lib.sh"

SVC=postgres
PORT="$KRANGE_PG_PORT"

bindir() {
  local d
  d="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  [ -n "$d" ] && [ -x "$d/postgres" ] && echo "$d"
}

as_pg() { runuser -u postgres -- "$@"; }

healthy() {
  local b; b="$(bindir)" || return 1
  "$b/pg_isready" -q -h "$KRANGE_HOST" -p "$PORT" && \
    "$b/psql" -h "$KRANGE_HOST" -p "$PORT" -U krange -d krange -tAc 'select 1' >/dev/null 2>&1
}

case "${1:-}" in
  install)
    if ! bindir >/dev/null || ! id postgres >/dev/null 2>&1; then apt_install postgresql; fi
    ;;
  start)
    if is_running "$SVC" && healthy; then log "postgres already running (pid $(cat "$(pid_file "$SVC")"))"; exit 0; fi
    B="$(bindir)" || die "PostgreSQL binaries not found: apt-get install postgresql"
    need_cmd runuser "runuser (util-linux) is needed to run PostgreSQL as the postgres user"
    stop_daemon "$SVC"
    ensure_port_free "$SVC" "$PORT"
    dir="$(data_dir "$SVC")"
    mkdir -p "$dir"
    chown postgres:postgres "$dir"
    chmod 700 "$dir"
    # Our data dir may sit under root-owned folders: the postgres user needs to traverse them.
    p="$dir"; while [ "$p" != "/" ]; do p="$(dirname "$p")"; chmod o+x "$p" 2>/dev/null || true; done
    fresh=0
    if [ ! -f "$dir/pgdata/PG_VERSION" ]; then
      fresh=1
      as_pg "$B/initdb" -D "$dir/pgdata" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >>"$(log_file "$SVC")" 2>&1 \
        || die "initdb failed (log: $(log_file "$SVC"))"
    fi
    mkdir -p "$dir/socket"; chown postgres:postgres "$dir/socket"
    # setsid via start_daemon keeps the postmaster and its children in our process group.
    start_daemon "$SVC" runuser -u postgres -- "$B/postgres" -D "$dir/pgdata" -p "$PORT" \
      -c listen_addresses="$KRANGE_HOST" -c unix_socket_directories="$dir/socket" \
      -c shared_buffers=128MB -c max_connections=200 -c fsync=on -c synchronous_commit=on \
      -c log_min_messages=warning -c logging_collector=off
    wait_until 60 "$SVC" "$B/pg_isready" -q -h "$KRANGE_HOST" -p "$PORT"
    if [ "$fresh" = 1 ] || ! "$B/psql" -h "$KRANGE_HOST" -p "$PORT" -U krange -d krange -tAc 'select 1' >/dev/null 2>&1; then
      "$B/psql" -h "$KRANGE_HOST" -p "$PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -q >/dev/null <<'SQL' \
        || die "could not create role/database krange"
SELECT 'CREATE ROLE krange LOGIN SUPERUSER' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'krange')\gexec
SELECT 'CREATE DATABASE krange OWNER krange' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'krange')\gexec
SQL
    fi
    wait_until 30 "$SVC" healthy
    log "postgres healthy on $KRANGE_HOST:$PORT (role and database krange)"
    ;;
  stop)
    # SIGINT is PostgreSQL's "fast" shutdown; stop_daemon's TERM on the group works too ("smart").
    if is_running "$SVC"; then kill -INT -- "-$(cat "$(pid_file "$SVC")")" 2>/dev/null || true; fi
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
  *) echo "usage: postgres.sh install|start|stop|status" >&2; exit 2 ;;
esac
