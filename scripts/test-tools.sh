#!/usr/bin/env bash
# Installs the independent clients the integration tests use to write and read data krange did not
# write itself: kcat (librdkafka), Debian's Chromium (browser tests, driven by playwright-core),
# and Python's fastavro (Avro writer) and schemathesis (OpenAPI fuzzer). Idempotent and quick when
# everything is present; apt and pip cache their downloads (/var/cache/apt, ~/.cache/pip).
set -euo pipefail
log() { printf '[test-tools] %s\n' "$*"; }

need_apt=()
command -v kcat >/dev/null || need_apt+=(kcat)
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
if [ "${#need_apt[@]}" -gt 0 ]; then
  command -v apt-get >/dev/null || { echo "missing ${need_apt[*]}: install them with your package manager"; exit 1; }
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  log "installing ${need_apt[*]} (apt-get)"
  $SUDO apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

need_pip=()
python3 -c 'import fastavro' 2>/dev/null || need_pip+=('fastavro==1.*')
command -v schemathesis >/dev/null || need_pip+=('schemathesis==4.*')
if [ "${#need_pip[@]}" -gt 0 ]; then
  log "installing ${need_pip[*]} (pip)"
  python3 -m pip install --quiet --disable-pip-version-check "${need_pip[@]}" 2>&1 | grep -v 'WARNING: Running pip as' || true
fi
log "kcat $(kcat -V 2>&1 | head -1 | awk '{print $2}'), $(/usr/bin/chromium --version 2>/dev/null | head -1), fastavro $(python3 -c 'import fastavro; print(fastavro.__version__)'), schemathesis $(schemathesis --version 2>/dev/null | awk '{print $NF}')"
