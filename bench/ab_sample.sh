#!/usr/bin/env bash
# Side-by-side timing of two builds of bench_sample (before/after a change), the C side of bench_sample.sh:
#   bench/ab_sample.sh BEFORE_BUILD AFTER_BUILD [ROUNDS]
# e.g. git worktree or git archive of the old commit into /tmp/old, `make -C /tmp/old build/bench/bench_sample`,
# then bench/ab_sample.sh /tmp/old/build build. Each round runs both binaries on the same input files, in an order
# that flips every round; prints per row the median over the rounds of bench_sample's per-call medians (200 calls),
# in us, and after/before. Single thread.
set -u
[ $# -ge 2 ] || { echo "usage: bench/ab_sample.sh BEFORE_BUILD AFTER_BUILD [ROUNDS]" >&2; exit 2; }
B="$1/bench/bench_sample" A="$2/bench/bench_sample" R=${3:-9}
for b in "$B" "$A"; do [ -x "$b" ] || { echo "ab_sample.sh: $b not built" >&2; exit 1; }; done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for r in $(seq 1 "$R"); do
  for V in 50257 151936; do
    for kind in flat peaked; do
      if [ $((r % 2)) -eq 0 ]; then order="B A"; else order="A B"; fi
      for w in $order; do
        bin=$B; [ "$w" = A ] && bin=$A
        "$bin" "$V" "$kind" "$tmp/x.f32" 200 2>/dev/null | awk -v w="$w" -v V="$V" -v k="$kind" '{print w, V, k, $1, $3}' >>"$tmp/raw"
      done
    done
  done
done
/usr/bin/python3 - "$tmp/raw" <<'P'
import collections, statistics, sys
d = collections.defaultdict(list)
for line in open(sys.argv[1]):
    w, V, k, name, us = line.split()
    d[(V, k, name, w)].append(float(us))
print(f"{'row':36s} {'before':>9s} {'after':>9s} {'after/before':>12s}")
for V, k, n in sorted({key[:3] for key in d}):
    b, a = statistics.median(d[(V, k, n, 'B')]), statistics.median(d[(V, k, n, 'A')])
    print(f"{n + '_' + k + '_V' + V:36s} {b:9.2f} {a:9.2f} {a / b:12.3f}")
P
