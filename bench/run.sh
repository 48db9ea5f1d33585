#!/usr/bin/env bash
# make bench: every benchmark, in order; each prints a markdown table (see bench/RESULTS.md).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake --build build --target bench_clients roomctl >/dev/null
echo "## memory"; bash bench/memory.sh
echo "## persistence"; bash bench/persistence.sh
echo "## fan-out"; bash bench/fanout.sh 160
echo "## fan-out beside the Node.js baseline"; bash bench/fanout_table.sh
echo "## one thread vs two"; bash bench/threads.sh
echo "## presence"; bash bench/presence.sh
echo "## cluster"; bash bench/cluster.sh
