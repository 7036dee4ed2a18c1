#!/usr/bin/env bash
# make bench: run every bench/bench_*.sh. Each prints lines
#   BENCH <name> lmprob=<value><unit> <peer>=<value><unit> ratio=<peer/lmprob>
# measured side by side in this one run (ratio > 1: lmprob is ahead).
# BUILD points at the build folder (default build); KENLM_BIN at KenLM's binaries.
set -u
cd "$(dirname "$0")/.."
export BUILD=${BUILD:-build}
# OpenBLAS settings that slow numpy down are not ours to keep for a peer's timing (see docs/benchmarks.md).
status=0
for s in bench/bench_*.sh; do
  [ -f "$s" ] || continue
  echo "# $(basename "$s")"
  bash "$s" || { echo "# $(basename "$s") failed"; status=1; }
done
exit $status
