#!/usr/bin/env bash
# Mean and variance of 1e8 doubles: lmprob (bench/bench_stats.c: the harness at -O3 -march=native, the library as built, -O2) against
# numpy's np.mean / np.var (bench/peer_stats.py) on the same numbers, in this run.
# Single thread, median of RUNS runs. Usage: BUILD=build bench/bench_stats.sh [N] [RUNS]
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
N=${1:-1e8}
RUNS=${2:-5}
bin="$BUILD/bench/bench_stats"
[ -x "$bin" ] || { echo "bench_stats: $bin not built (make BUILD=$BUILD benches)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
"$bin" "$N" "$RUNS" >"$tmp/c"
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3 bench/peer_stats.py "$N" "$RUNS" >"$tmp/py"
get() { sed -n "s/^$2=//p" "$1"; }
for what in mean var; do
  c=$(get "$tmp/c" "${what}_ms"); p=$(get "$tmp/py" "${what}_ms")
  ratio=$(awk -v a="$c" -v b="$p" 'BEGIN { printf "%.2f", b / a }')
  echo "BENCH ${what}_$N lmprob=${c}ms numpy=${p}ms ratio=$ratio"
done
# Accuracy against a long-double compensated reference (relative error).
for what in mean var; do
  ref=$(get "$tmp/c" "ref_$what"); c=$(get "$tmp/c" "$what"); p=$(get "$tmp/py" "$what")
  awk -v r="$ref" -v a="$c" -v b="$p" -v w="$what" 'BEGIN {
    ea = (a - r) / r; if (ea < 0) ea = -ea; eb = (b - r) / r; if (eb < 0) eb = -eb;
    printf "# accuracy %s: lmprob %.17g (rel err %.2g), numpy %.17g (rel err %.2g), %s\n", w, a, ea, b, eb,
      (a == b ? "identical bits" : "different bits") }'
done
