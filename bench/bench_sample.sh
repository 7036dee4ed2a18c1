#!/usr/bin/env bash
# Sampler benchmark: lmprob's chains (bench/bench_sample.c: the harness at -O3 -march=native, the library as built, -O2) against the chapter's numpy functions and
# Hugging Face's warpers re-implemented in torch (bench/peer_sample.py), on the same logits, in the same run,
# single thread. Lines:
#   BENCH sample_<name>_<kind>_V<V> lmprob=<us>us numpy_chapter=<us>us ratio=<numpy/lmprob>
#   BENCH sample_<name>_<kind>_V<V> lmprob=<us>us torch_hf=<us>us ratio=<torch/lmprob>
#   BENCH sample_floor_<kind>_V<V> lmprob=<us>us softmax_pass=<us>us ratio=<chain/softmax> (worst chain)
# BUILD (default build) holds bench/bench_sample. ITERS (default 200) calls per median.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
ITERS=${ITERS:-200}
PY="env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_NUM_THREADS=1 /usr/bin/python3"
bin="$BUILD/bench/bench_sample"
[ -x "$bin" ] || { echo "bench_sample.sh: $bin not built (make BUILD=$BUILD benches)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0
for V in 50257 151936; do
  for kind in flat peaked; do
    f="$tmp/logits_${kind}_$V.f32"
    "$bin" "$V" "$kind" "$f" "$ITERS" >"$tmp/c.txt" 2>/dev/null || { echo "bench_sample failed" >&2; status=1; continue; }
    $PY bench/peer_sample.py bench "$f" $((ITERS / 4 > 20 ? ITERS / 4 : 20)) >"$tmp/p.txt" || { status=1; continue; }
    floor=$(awk '$1 == "softmax" {print $3}' "$tmp/c.txt")
    worst=0
    while read -r name _ us kept; do
      [ "$name" = softmax ] && continue
      for peer in numpy_chapter torch_hf; do
        pus=$(awk -v n="$name" -v p="$peer" '$1 == n && $2 == p {print $3}' "$tmp/p.txt")
        [ -n "$pus" ] || continue
        printf 'BENCH sample_%s_%s_V%s lmprob=%.1fus %s=%.1fus ratio=%.1f (%s)\n' "$name" "$kind" "$V" "$us" "$peer" \
          "$pus" "$(awk -v a="$pus" -v b="$us" 'BEGIN {print a / b}')" "$kept"
      done
      worst=$(awk -v a="$us" -v w="$worst" 'BEGIN {print (a > w ? a : w)}')
    done <"$tmp/c.txt"
    printf 'BENCH sample_floor_%s_V%s lmprob=%.1fus softmax_pass=%.1fus ratio=%.2f (slowest chain / one float32 softmax)\n' \
      "$kind" "$V" "$worst" "$floor" "$(awk -v a="$worst" -v b="$floor" 'BEGIN {print a / b}')"
  done
done
exit $status
