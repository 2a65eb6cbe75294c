#!/usr/bin/env bash
# Installs Debian's Chromium for the browser tests (playwright-core drives /usr/bin/chromium; no
# browser is ever downloaded by npm or Playwright). Idempotent; run by `make test` before the tests.
set -euo pipefail
BROWSER="${KRANGE_CHROMIUM:-/usr/bin/chromium}"
if [ -x "$BROWSER" ]; then exit 0; fi
if ! command -v apt-get >/dev/null; then
  echo "install-chromium: $BROWSER is missing and apt-get is not available; install Chromium and set KRANGE_CHROMIUM" >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-chromium: installing Debian's chromium (apt-get)"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
test -x "$BROWSER"
