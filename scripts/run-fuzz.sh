#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz) with clang in build-fuzz and runs each one for
# FUZZ_SECONDS seconds, starting from its seed corpus. The corpus is copied to a scratch
# directory first, so that a run never writes new inputs into the repository.
# Exits non-zero if any target crashes, leaks or breaks one of its invariants; the input that did
# it is kept as build-fuzz/artifacts/<target>/crash-* (replay: build-fuzz/tests/fuzz/<target> FILE).
# Usage: scripts/run-fuzz.sh [target...]   (default: every target)
set -euo pipefail
cd "$(dirname "$0")/.."

FUZZ_SECONDS=${FUZZ_SECONDS:-30}
# A fixed seed makes a run a prefix of any longer run with the same seed: what a long local run
# passed, a short CI run cannot fail on (FUZZ_SEED=0 lets libFuzzer pick one).
FUZZ_SEED=${FUZZ_SEED:-1}
FUZZ_JOBS=${FUZZ_JOBS:-2}
BUILD=build-fuzz
CC_BIN=${FUZZ_CC:-clang-14}
CXX_BIN=${FUZZ_CXX:-clang++-14}
all=(fuzz_envelope fuzz_spy_game fuzz_skribble_game fuzz_snapshot_restore fuzz_profile fuzz_ws_reader
  fuzz_bus_codec)
targets=("${@:-${all[@]}}")

if [ ! -f "$BUILD/build.ninja" ]; then
  CC=$CC_BIN CXX=$CXX_BIN cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DROOMCTL_FUZZ=ON -DBUILD_TESTING=OFF
fi
cmake --build "$BUILD" -j "$FUZZ_JOBS" --target "${targets[@]}"

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
failed=()
for t in "${targets[@]}"; do
  corpus="$scratch/$t"
  mkdir -p "$corpus" "$BUILD/artifacts/$t"
  cp -r "tests/fuzz/corpus/$t/." "$corpus/" 2>/dev/null || true
  dict=()
  [ -f "tests/fuzz/$t.dict" ] && dict=(-dict="tests/fuzz/$t.dict")
  echo "run-fuzz: $t for ${FUZZ_SECONDS}s" >&2
  if ! "$BUILD/tests/fuzz/$t" "${dict[@]}" -seed="$FUZZ_SEED" -max_total_time="$FUZZ_SECONDS" \
    -print_final_stats=1 \
    -artifact_prefix="$BUILD/artifacts/$t/" "$corpus" >"$BUILD/artifacts/$t/log.txt" 2>&1; then
    echo "run-fuzz: $t FAILED (log: $BUILD/artifacts/$t/log.txt)" >&2
    grep -a -E "INVARIANT VIOLATED|ERROR: |runtime error|Test unit written" \
      "$BUILD/artifacts/$t/log.txt" | head -5 >&2 || true
    failed+=("$t")
  else
    grep -a -E "stat::number_of_executed_units|cov: " "$BUILD/artifacts/$t/log.txt" | tail -2 >&2
  fi
done

if [ ${#failed[@]} -ne 0 ]; then
  echo "run-fuzz: failing targets: ${failed[*]}" >&2
  exit 1
fi
echo "run-fuzz: all ${#targets[@]} targets ran ${FUZZ_SECONDS}s without a finding" >&2
