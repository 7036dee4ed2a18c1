#!/usr/bin/env bash
# Training speed and memory, lmprob train vs KenLM's lmplz -S 10%, side by side in
# this one run, on PTB and WikiText-2 (<unk> renamed to UNK, as lmplz needs), orders
# 3 and 5, interpolated modified Kneser-Ney. Wall time and peak RSS from
# /usr/bin/time, median of RUNS runs (default 3). Both programs use both cores
# (lmplz's pipeline is threaded; lmprob counts, adjusts and writes with 2 threads).
# Prints
#   BENCH train_<corpus>_o<N>_wall lmprob=<s>s kenlm=<s>s ratio=<kenlm/lmprob>
#   BENCH train_<corpus>_o<N>_rss  lmprob=<MiB>MiB kenlm=<MiB>MiB ratio=<kenlm/lmprob>
# Skips (with a message) when KENLM_BIN is not set. Never builds KenLM.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
LMPROB=${LMPROB:-$BUILD/lmprob}
RUNS=${RUNS:-3}
if [ -z "${KENLM_BIN:-}" ] || [ ! -x "$KENLM_BIN/lmplz" ]; then
  echo "# bench_train: KENLM_BIN is not set (or has no lmplz): skipped"
  exit 0
fi
[ -x /usr/bin/time ] || { echo "# bench_train: /usr/bin/time is missing: skipped"; exit 0; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# measure NAME CMD...: appends "wall rss_kb" lines to $tmp/NAME
measure() {
  local name=$1; shift
  /usr/bin/time -f '%e %M' -o "$tmp/t" "$@" >/dev/null 2>"$tmp/err" || { cat "$tmp/err" >&2; return 1; }
  tail -n 1 "$tmp/t" >>"$tmp/$name"
}
median() { # file column
  sort -g -k"$2" "$1" | awk -v c="$2" '{ v[NR] = $c } END { print v[int((NR + 1) / 2)] }'
}

for corpus in ptb:../shared/data/ptb/ptb.train.txt wt2:../shared/data/wikitext-2/train.txt; do
  key=${corpus%%:*} file=${corpus#*:}
  [ -f "$file" ] || { echo "# bench_train: $file missing: $key skipped"; continue; }
  sed 's/<unk>/UNK/g' "$file" >"$tmp/$key.txt"
  for order in 3 5; do
    rm -f "$tmp/l" "$tmp/k"
    for _ in $(seq "$RUNS"); do
      measure l "$LMPROB" train --quiet --order "$order" --output "$tmp/l.arpa" "$tmp/$key.txt" || exit 1
      measure k "$KENLM_BIN/lmplz" -o "$order" -S 10% -T "$tmp/" --text "$tmp/$key.txt" --arpa "$tmp/k.arpa" || exit 1
    done
    lw=$(median "$tmp/l" 1) kw=$(median "$tmp/k" 1)
    lr=$(median "$tmp/l" 2) kr=$(median "$tmp/k" 2)
    awk -v n="train_${key}_o${order}" -v lw="$lw" -v kw="$kw" -v lr="$lr" -v kr="$kr" 'BEGIN {
      printf "BENCH %s_wall lmprob=%.2fs kenlm=%.2fs ratio=%.2f\n", n, lw, kw, kw / (lw > 0 ? lw : 0.01)
      printf "BENCH %s_rss lmprob=%.0fMiB kenlm=%.0fMiB ratio=%.2f\n", n, lr / 1024, kr / 1024, kr / lr
    }'
  done
done
