#!/usr/bin/env bash
# make bench: every benchmark, in order; each prints a markdown table (see bench/RESULTS.md).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake --build build --target bench_clients roomctl >/dev/null
echo "## memory"; bash bench/memory.sh
echo "## persistence"; bash bench/persistence.sh
echo "## fan-out"; bash bench/fanout.sh 160
echo "## cluster"; bash bench/cluster.sh
