# Shared helpers for the local service stack (sourced by services.sh and each <service>.sh).
# Every service is a process group of ours, started with setsid, its pid in $KRANGE_SVC_DIR/pids,
# its data under $KRANGE_SVC_DIR/data/<svc>, its log in $KRANGE_SVC_DIR/logs/<svc>.log.
# Downloads and builds are cached under $KRANGE_CACHE (in the home directory), so a warm start is fast.

set -euo pipefail

KRANGE_ROOT="${KRANGE_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
KRANGE_SVC_DIR="${KRANGE_SVC_DIR:-$KRANGE_ROOT/.services}"
KRANGE_CACHE="${KRANGE_CACHE:-$HOME/.cache/krange}"
KRANGE_HOST="127.0.0.1"

# Fixed project ports; each can be overridden from the environment.
KRANGE_KAFKA_PORT="${KRANGE_KAFKA_PORT:-19092}"
KRANGE_KAFKA_CONTROLLER_PORT="${KRANGE_KAFKA_CONTROLLER_PORT:-19093}"
KRANGE_HDFS_NN_RPC_PORT="${KRANGE_HDFS_NN_RPC_PORT:-19000}"
KRANGE_HDFS_NN_HTTP_PORT="${KRANGE_HDFS_NN_HTTP_PORT:-19870}"
KRANGE_HDFS_DN_PORT="${KRANGE_HDFS_DN_PORT:-19866}"
KRANGE_HDFS_DN_HTTP_PORT="${KRANGE_HDFS_DN_HTTP_PORT:-19864}"
KRANGE_HDFS_DN_IPC_PORT="${KRANGE_HDFS_DN_IPC_PORT:-19867}"
KRANGE_MONGO_PORT="${KRANGE_MONGO_PORT:-27117}"
KRANGE_REDIS_PORT="${KRANGE_REDIS_PORT:-16379}"
KRANGE_PG_PORT="${KRANGE_PG_PORT:-15432}"

mkdir -p "$KRANGE_SVC_DIR/data" "$KRANGE_SVC_DIR/logs" "$KRANGE_SVC_DIR/pids" "$KRANGE_CACHE"

log() { printf '[services] %s\n' "$*" >&2; }
die() { printf '[services] error: %s\n' "$*" >&2; exit 1; }

# need_cmd <cmd> <what to install>: one-line error naming the missing prerequisite.
need_cmd() {
  command -v "$1" >/dev/null 2>&1 || die "'$1' not found on PATH: $2"
}

# apt_install <pkg...>: installs Debian packages (runs 'apt-get update' once first).
apt_install() {
  need_cmd apt-get "this script installs $* with apt-get; on other systems install $* yourself"
  if [ ! -f "$KRANGE_CACHE/.apt-updated" ] || [ -n "$(find "$KRANGE_CACHE/.apt-updated" -mmin +1440 2>/dev/null)" ]; then
    log "apt-get update"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null || die "apt-get update failed"
    touch "$KRANGE_CACHE/.apt-updated"
  fi
  log "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null \
    || die "apt-get install $* failed"
}

pid_file() { echo "$KRANGE_SVC_DIR/pids/$1.pid"; }
log_file() { echo "$KRANGE_SVC_DIR/logs/$1.log"; }
data_dir() { echo "$KRANGE_SVC_DIR/data/$1"; }

# is_running <name>: the recorded process group leader is alive.
is_running() {
  local pf pid
  pf="$(pid_file "$1")"
  [ -f "$pf" ] || return 1
  pid="$(cat "$pf")"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

# start_daemon <name> <cmd...>: runs cmd in a new session (its own process group), output to the
# service log, pid recorded. The caller health-checks afterwards.
start_daemon() {
  local name="$1"; shift
  local lf
  lf="$(log_file "$name")"
  printf '\n==== start %s %s\n' "$name" "$(date -u +%FT%TZ)" >>"$lf"
  setsid "$@" >>"$lf" 2>&1 < /dev/null &
  echo $! >"$(pid_file "$name")"
}

# stop_daemon <name>: TERM the whole process group, wait up to 30 s, then KILL. Leaves no orphans.
stop_daemon() {
  local name="$1" pf pid i
  pf="$(pid_file "$name")"
  [ -f "$pf" ] || return 0
  pid="$(cat "$pf")"
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 60); do
      kill -0 -- "-$pid" 2>/dev/null || break
      sleep 0.5
    done
    kill -KILL -- "-$pid" 2>/dev/null || true
  fi
  rm -f "$pf"
}

# port_open <port>: something accepts TCP connections on 127.0.0.1:<port>.
port_open() { (exec 3<>"/dev/tcp/$KRANGE_HOST/$1") 2>/dev/null; }

# wait_until <seconds> <name> <cmd...>: polls cmd until it succeeds; fails with the log tail when the
# process died or time ran out.
wait_until() {
  local timeout="$1" name="$2"; shift 2
  local deadline=$((SECONDS + timeout))
  while ! "$@" >/dev/null 2>&1; do
    if ! is_running "$name"; then
      tail -n 30 "$(log_file "$name")" >&2 || true
      die "$name exited during start-up (log: $(log_file "$name"))"
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      tail -n 30 "$(log_file "$name")" >&2 || true
      die "$name not healthy after ${timeout}s (log: $(log_file "$name"))"
    fi
    sleep 0.3
  done
}

# ensure_port_free <name> <port...>: refuses to start when a foreign process holds our port.
ensure_port_free() {
  local name="$1"; shift
  local p
  for p in "$@"; do
    if port_open "$p"; then
      die "port $p is in use by another process; stop it or set the $name port variables (see README)"
    fi
  done
}

# mvn_copy_deps <dir> <pom>: resolves a tiny pom's dependencies into <dir> once (Maven cache in ~/.m2).
mvn_copy_deps() {
  local dir="$1" pom="$2"
  if [ -f "$dir/.complete" ] && cmp -s "$pom" "$dir/.pom"; then return 0; fi
  need_cmd mvn "install Maven: apt-get install maven"
  rm -rf "$dir"; mkdir -p "$dir"
  log "resolving $(basename "$dir") jars with Maven (first run only)"
  mvn -q -B -f "$pom" dependency:copy-dependencies -DoutputDirectory="$dir" -DincludeScope=runtime \
    >"$dir/../$(basename "$dir").mvn.log" 2>&1 || { tail -n 20 "$dir/../$(basename "$dir").mvn.log" >&2; die "Maven could not resolve $(basename "$dir")"; }
  cp "$pom" "$dir/.pom"
  touch "$dir/.complete"
}

# service_status <name> <host:port> <health command...>: prints the one status line every service
# shares and returns 0 only when the process is ours, alive and healthy.
service_status() {
  local name="$1" addr="$2" pid="-" state=down
  shift 2
  if is_running "$name"; then
    pid="$(cat "$(pid_file "$name")")"
    if "$@" >/dev/null 2>&1; then state=healthy; else state=unhealthy; fi
  fi
  echo "$name  $state  $addr  pid $pid"
  [ "$state" = healthy ]
}
