#!/usr/bin/env bash
# One cold `krange run` of W1 (the demo job over bench-clicks-<N>, 8 partitions; `make bench` makes
# the topic) with metrics on or off, for an A/B of what metrics cost: run `on` and `off` in turn,
# whole processes, and compare CPU (user + sys) and wall time pair by pair (BENCHMARKS.md).
# A fresh state directory per run; the output path is fixed per mode, so each run rewrites the same
# Parquet files (iteration 0 again) and nothing accumulates on HDFS.
# Usage: bench/metrics-cost-run.sh on|off [N=2000000]   (after `make build`: bin/krange.mjs runs dist/)
set -euo pipefail
mode=${1:?on or off}
n=${2:-2000000}
cd "$(dirname "$0")/.."
state="${TMPDIR:-/tmp}/krange-metrics-cost-$mode"
rm -rf "$state"
export KRANGE_STATE_DIR="$state" KRANGE_CLICKSTREAM_TOPIC="bench-clicks-$n" \
  KRANGE_CLICKSTREAM_PATH="webhdfs:///bench/metrics-cost/$mode" KRANGE_LOG_LEVEL=warn \
  KAFKAJS_NO_PARTITIONER_WARNING=1
case "$mode" in
  on) unset KRANGE_METRICS ;;
  off) export KRANGE_METRICS=0 ;;
  *) echo "usage: $0 on|off [N]" >&2; exit 2 ;;
esac
exec node bin/krange.mjs run clickstream
