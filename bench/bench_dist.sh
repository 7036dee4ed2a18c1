#!/usr/bin/env bash
# Distributions: lmprob (bench/bench_dist.c: the harness at -O3 -march=native, the library as built, -O2) against numpy/scipy (bench/peer_dist.py),
# the same tasks on the same probability vector, in this run, single thread, median of RUNS.
#   normal_sample_1e7          10^7 standard normals (xoshiro ziggurat vs legacy np.random.normal,
#                              and vs np.random.default_rng().standard_normal)
#   categorical_single_V50257  one draw per call from a V = 50257 probability vector, as a
#                              decoder does (lmp_categorical_sample vs np.random.choice(V, p=p));
#                              also with lmprob on numpy's stream (numpy's exact search rule)
#   categorical_bulk_1e6       10^6 draws from one distribution (alias table incl. building it
#                              vs np.random.choice(V, size=10**6, p=p))
#   dirichlet_K1000_1e4        10^4 draws, alpha = 1 (K = 1000)
#   normal_cdf_1e7 / normal_quantile_1e7  vs scipy.special.ndtr / ndtri
# Times are per task (ms) or per draw (us): ratio = numpy / lmprob (> 1: lmprob ahead).
# Usage: BUILD=build bench/bench_dist.sh [RUNS]
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
RUNS=${1:-5}
bin="$BUILD/bench/bench_dist"
[ -x "$bin" ] || { echo "bench_dist: $bin not built (make BUILD=$BUILD benches)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
PY="env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3"
# The shared input: a Dirichlet(1) draw over a GPT-2-sized vocabulary (V = 50257), fixed seed.
$PY -c "import numpy as np; np.savetxt('$tmp/p.txt', np.random.RandomState(0).dirichlet(np.ones(50257)), fmt='%.17g')"
"$bin" "$tmp/p.txt" "$RUNS" >"$tmp/c"
$PY bench/peer_dist.py "$tmp/p.txt" "$RUNS" >"$tmp/py"
get() { sed -n "s/^$2=//p" "$1"; }
line() {  # name c_key py_key unit peer_label
  local c p
  c=$(get "$tmp/c" "$2"); p=$(get "$tmp/py" "$3")
  echo "BENCH $1 lmprob=$c$4 ${5:-numpy}=$p$4 ratio=$(awk -v a="$c" -v b="$p" 'BEGIN { printf "%.2f", b / a }')"
}
line normal_sample_1e7 normal_sample_ms normal_sample_ms ms numpy_legacy
line normal_sample_1e7_generator normal_sample_ms normal_sample_generator_ms ms numpy_generator
line categorical_single_V50257 categorical_single_us categorical_single_us us/draw
line categorical_single_V50257_numpystream categorical_single_numpystream_us categorical_single_us us/draw
line categorical_bulk_1e6_V50257 categorical_bulk_ms categorical_bulk_ms ms
line dirichlet_K1000_1e4 dirichlet_ms dirichlet_ms ms
line normal_cdf_1e7 normal_cdf_ms normal_cdf_ms ms scipy
line normal_quantile_1e7 normal_quantile_ms normal_quantile_ms ms scipy
