#!/usr/bin/env bash
# Runs every Google Benchmark binary of a Release build and writes one JSON per binary.
#   bench/run.sh BUILD_DIR RESULTS_DIR
set -euo pipefail
build=$1
results=$2
mkdir -p "$results"
while IFS= read -r bin; do
  [ -n "$bin" ] || continue
  name=$(basename "$bin")
  echo "[bench] $name" >&2
  "$bin" --benchmark_out="$results/$name.json" --benchmark_out_format=json --benchmark_counters_tabular=true
done < "$build/benchmarks.txt"
for script in "$(dirname "$0")"/scenarios/*.sh; do
  [ -x "$script" ] || continue
  echo "[bench] $(basename "$script")" >&2
  "$script" "$build" "$results"
done
