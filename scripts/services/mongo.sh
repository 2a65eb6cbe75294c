#!/usr/bin/env bash
# MongoDB-wire server on 127.0.0.1:$KRANGE_MONGO_PORT. Verbs: install|start|stop|status.
#
# - If a real `mongod` is on PATH it is used: a single-node replica set `rs0` (initiated on first
#   start), so transactions and majority write concern behave as in production.
# - Otherwise FerretDB 1.24.2 with its SQLite backend, built from our wrapper module in ./ferretdb
#   with two upstream bugs patched (ferretdb/README.md says why and what). FerretDB has gaps (no
#   transactions, writeConcern ignored, ...): code must stick to what both servers support.
#
# Health is checked at the wire level: an OP_MSG `ping` (and `hello` for the replica set), sent by a
# few lines of python3 below, so no MongoDB shell or driver is needed.
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
. "$HERE/lib.sh"

SVC=mongo
PORT="$KRANGE_MONGO_PORT"
FERRETDB_VERSION=1.24.2
FERRETDB_SRC="$HERE/ferretdb"

# The binary name carries a hash of the wrapper files: editing them (e.g. a version bump in go.mod)
# builds a new binary, while an unchanged tree reuses the cached one without invoking Go at all.
ferretdb_bin() {
  local h
  h="$(cat "$FERRETDB_SRC/go.mod" "$FERRETDB_SRC/go.sum" "$FERRETDB_SRC/main.go" "$FERRETDB_SRC"/*.patch \
    | sha256sum | cut -c1-12)"
  echo "$KRANGE_CACHE/bin/ferretdb-$FERRETDB_VERSION-$h"
}

use_mongod() { command -v mongod >/dev/null 2>&1; }

# Separate data folders per server kind: FerretDB's SQLite files and mongod's WiredTiger files
# must never be mixed when a machine gains or loses mongod.
server_data() {
  if use_mongod; then echo "$(data_dir "$SVC")/mongod"; else echo "$(data_dir "$SVC")/ferretdb"; fi
}

# wire_cmd <json command> [db]: runs one command over the MongoDB wire protocol (OP_MSG) and prints
# the reply as JSON. Exit 0 only when the reply says ok: 1. Tiny BSON codec, enough for
# ping/hello/replSetInitiate and their replies.
wire_cmd() {
  need_cmd python3 "install python3 (apt-get install python3): the health check speaks the MongoDB wire protocol with it"
  python3 - "$KRANGE_HOST" "$PORT" "$1" "${2:-admin}" <<'PY'
import json, os, socket, struct, sys

def enc_elem(k, v):
    n = k.encode() + b"\0"
    if isinstance(v, bool):
        return b"\x08" + n + (b"\x01" if v else b"\x00")
    if isinstance(v, int):
        return (b"\x10" + n + struct.pack("<i", v)) if -2**31 <= v < 2**31 else (b"\x12" + n + struct.pack("<q", v))
    if isinstance(v, float):
        return b"\x01" + n + struct.pack("<d", v)
    if isinstance(v, str):
        s = v.encode() + b"\0"
        return b"\x02" + n + struct.pack("<i", len(s)) + s
    if isinstance(v, dict):
        return b"\x03" + n + enc_doc(v)
    if isinstance(v, list):
        return b"\x04" + n + enc_doc({str(i): x for i, x in enumerate(v)})
    if v is None:
        return b"\x0a" + n
    raise TypeError(type(v))

def enc_doc(d):
    body = b"".join(enc_elem(k, v) for k, v in d.items()) + b"\0"
    return struct.pack("<i", len(body) + 4) + body

def dec_doc(b, i=0, arr=False):
    end = i + struct.unpack_from("<i", b, i)[0] - 1
    i += 4
    out = {}
    while i < end:
        t = b[i]; i += 1
        j = b.index(b"\0", i); k = b[i:j].decode(); i = j + 1
        if t == 0x01: v = struct.unpack_from("<d", b, i)[0]; i += 8
        elif t in (0x02, 0x0d, 0x0e):
            n = struct.unpack_from("<i", b, i)[0]; v = b[i + 4:i + 3 + n].decode(); i += 4 + n
        elif t in (0x03, 0x04):
            v = dec_doc(b, i, t == 0x04); i += struct.unpack_from("<i", b, i)[0]
        elif t == 0x05:
            n = struct.unpack_from("<i", b, i)[0]; v = b[i + 5:i + 5 + n].hex(); i += 5 + n
        elif t == 0x07: v = b[i:i + 12].hex(); i += 12
        elif t == 0x08: v = b[i] == 1; i += 1
        elif t in (0x09, 0x11, 0x12): v = struct.unpack_from("<q", b, i)[0]; i += 8
        elif t in (0x0a, 0x06, 0xff, 0x7f): v = None
        elif t == 0x10: v = struct.unpack_from("<i", b, i)[0]; i += 4
        elif t == 0x13: v = b[i:i + 16].hex(); i += 16
        else: raise ValueError("unsupported BSON type 0x%02x" % t)
        out[k] = v
    return list(out.values()) if arr else out

def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        c = s.recv(n - len(buf))
        if not c: raise EOFError("connection closed")
        buf += c
    return buf

host, port, cmd, db = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3]), sys.argv[4]
cmd["$db"] = db
body = struct.pack("<I", 0) + b"\0" + enc_doc(cmd)
s = socket.create_connection((host, port), timeout=5)
s.settimeout(float(os.environ.get("WIRE_TIMEOUT", "5")))  # a wedged server must not hang `status`
s.sendall(struct.pack("<iiii", 16 + len(body), 1, 0, 2013) + body)
length, _, _, opcode = struct.unpack("<iiii", recv_exact(s, 16))
rest = recv_exact(s, length - 16)
if opcode != 2013: sys.exit("unexpected reply opcode %d" % opcode)
reply = dec_doc(rest, 5)  # skip flagBits (4) and section kind (1)
print(json.dumps(reply))
sys.exit(0 if reply.get("ok") == 1 else 1)
PY
}

healthy() { wire_cmd '{"ping": 1}' >/dev/null 2>&1; }

# The replica-set member can take writes (after replSetInitiate the election takes a few seconds).
writable_primary() { wire_cmd '{"hello": 1}' 2>/dev/null | grep -q '"isWritablePrimary": true'; }

install() {
  if use_mongod; then
    log "mongo: using mongod from $(command -v mongod)"
    return 0
  fi
  local bin
  bin="$(ferretdb_bin)"
  [ -x "$bin" ] && return 0
  need_cmd go "install Go 1.24 or newer (https://go.dev/dl), or put a MongoDB 'mongod' on PATH"
  need_cmd git "install git (apt-get install git): it applies our FerretDB patch"
  log "building FerretDB $FERRETDB_VERSION (first run only; Go caches in ~/go/pkg/mod and ~/.cache/go-build)"
  mkdir -p "$KRANGE_CACHE/bin"
  local build="$KRANGE_CACHE/build/ferretdb.$$" blog="$KRANGE_CACHE/bin/ferretdb-build.log"
  rm -rf "$build"; mkdir -p "$build"
  if ! (
    set -e
    cd "$FERRETDB_SRC"
    # FerretDB's source, copied out of the read-only module cache and patched (see ferretdb/README.md),
    # then used by a copy of our wrapper module through a `replace`.
    go mod download github.com/FerretDB/FerretDB
    cp -R "$(go list -m -f '{{.Dir}}' github.com/FerretDB/FerretDB)" "$build/ferretdb-src"
    chmod -R u+w "$build/ferretdb-src"
    # GIT_CEILING_DIRECTORIES: plain patching, even if the cache lies inside some git checkout.
    (cd "$build/ferretdb-src" && GIT_CEILING_DIRECTORIES="$build" git apply -p1 "$FERRETDB_SRC/ferretdb-v$FERRETDB_VERSION.patch")
    cp go.mod go.sum main.go "$build/"
    cd "$build"
    go mod edit -replace "github.com/FerretDB/FerretDB=./ferretdb-src"
    # CGO off: the SQLite backend is pure Go (modernc.org/sqlite), so no C toolchain is needed.
    # -buildvcs=false: no VCS stamping (git may refuse a checkout owned by another user).
    # -mod=readonly: go.sum is committed and must be complete.
    CGO_ENABLED=0 go build -mod=readonly -buildvcs=false -trimpath -ldflags='-s -w' -o "$bin.tmp" .
  ) >"$blog" 2>&1; then
    tail -n 30 "$blog" >&2; rm -rf "$build" "$bin.tmp"; die "FerretDB build failed (log: $blog)"
  fi
  rm -rf "$build"; rmdir "$KRANGE_CACHE/build" 2>/dev/null || true
  # Drop binaries of older wrapper versions, then publish the new one atomically.
  find "$KRANGE_CACHE/bin" -maxdepth 1 -name 'ferretdb-*' ! -name '*.log' ! -name '*.tmp' -delete
  mv "$bin.tmp" "$bin"
}

start() {
  if is_running "$SVC"; then
    wait_until 30 "$SVC" healthy
    log "mongo already running (pid $(cat "$(pid_file "$SVC")"))"
    return 0
  fi
  ensure_port_free "$SVC" "$PORT"
  local dir
  dir="$(server_data)"
  mkdir -p "$dir"
  if use_mongod; then
    # No --fork: start_daemon owns the process. A small WiredTiger cache: five services share the box.
    start_daemon "$SVC" mongod --dbpath "$dir" --bind_ip "$KRANGE_HOST" --port "$PORT" \
      --replSet rs0 --wiredTigerCacheSizeGB 0.25 --setParameter diagnosticDataCollectionEnabled=false
    wait_until 60 "$SVC" healthy
    # First start: make it a one-member replica set named after the address clients use. A marker
    # rather than `hello`, since a restarting member may answer before it has loaded its config;
    # AlreadyInitialized (code 23) is fine.
    if [ ! -f "$dir/.krange-rs0-initiated" ]; then
      log "mongo: initiating replica set rs0"
      local cfg reply
      cfg="{\"_id\": \"rs0\", \"members\": [{\"_id\": 0, \"host\": \"$KRANGE_HOST:$PORT\"}]}"
      reply="$(WIRE_TIMEOUT=60 wire_cmd "{\"replSetInitiate\": $cfg}" 2>&1)" \
        || grep -q '"code": 23' <<<"$reply" || die "replSetInitiate failed: $reply"
      touch "$dir/.krange-rs0-initiated"
    fi
    wait_until 60 "$SVC" writable_primary
  else
    install
    # The SQLite URL must name an existing directory, with a trailing slash. synchronous(normal):
    # in WAL mode a crash cannot corrupt the files, only lose the last commits, and inserts run
    # about twice as fast as with the default FULL (an fsync per commit). Fine for a test server.
    start_daemon "$SVC" "$(ferretdb_bin)" -listen-addr "$KRANGE_HOST:$PORT" \
      -sqlite-url "file:$dir/?_pragma=synchronous(normal)" -log-level warn
    wait_until 30 "$SVC" healthy
  fi
  log "mongo up on $KRANGE_HOST:$PORT ($(use_mongod && echo mongod || echo "FerretDB $FERRETDB_VERSION/SQLite"))"
}

stop() {
  # mongod and FerretDB both shut down cleanly on TERM.
  stop_daemon "$SVC"
}

status() { service_status "$SVC" "$KRANGE_HOST:$PORT" healthy; }

case "${1:-}" in
  install|start|stop|status) "$1" ;;
  *) echo "usage: $0 install|start|stop|status" >&2; exit 2 ;;
esac
