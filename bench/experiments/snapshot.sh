#!/usr/bin/env bash
# Makes a runnable copy of krange for an A/B experiment, so a proposed change to src/ can be
# measured without touching the shared work tree: copies bin/ src/ jobs/ and package.json into
# ${KRANGE_EXP_DIR:-/tmp/krange-exp}/<name> (node_modules linked), then applies <name>.patch from
# this folder if there is one. Usage: snapshot.sh <name> [<name>...]
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
BASE="${KRANGE_EXP_DIR:-/tmp/krange-exp}"
for name in "$@"; do
  dir="$BASE/$name"
  rm -rf "$dir"; mkdir -p "$dir"
  cp -r "$ROOT/bin" "$ROOT/src" "$ROOT/jobs" "$ROOT/package.json" "$ROOT/tsconfig.json" "$dir/"
  ln -s "$ROOT/node_modules" "$dir/node_modules"
  # Job files import 'krange', i.e. dist/ (build it first: node scripts/build.mjs --if-stale).
  if [ -d "$ROOT/dist" ]; then cp -r "$ROOT/dist" "$dir/"; fi
  if [ -f "$HERE/$name.patch" ]; then
    (cd "$dir" && patch -s -p1 < "$HERE/$name.patch") || { echo "snapshot: $name.patch does not apply to the current src/" >&2; exit 1; }
  fi
  echo "$dir"
done
