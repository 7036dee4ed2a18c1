#!/usr/bin/env bash
# The full exactness matrix of lmprob-mpi (docs/mpi.md): PTB and WikiText-2, orders 3 and 5,
# 1, 2, 3 and 4 ranks: is the ARPA file byte-identical to lmprob train's? One line per case, then a
# summary; exit 1 if any differs. Too slow for make test (about 20 runs of a full corpus), which
# runs a subset (tests/cli/test_mpi.sh).
#   scripts/mpi_exactness.sh [BUILD_DIR]        (default build; MPI_MEMORY=64M to force spilling)
set -u
cd "$(dirname "$0")/.."
b=${1:-build}
. tests/cli/mpi_lib.sh
mem=${MPI_MEMORY:-1G}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
same=0 diff=0
for corpus in ../shared/data/ptb/ptb.train.txt ../shared/data/wikitext-2/train.txt; do
  for order in 3 5; do
    rm -f "$tmp/m.arpa"
    s0=$(date +%s.%N)
    "$b/lmprob" train --order "$order" --memory "$mem" --quiet --output "$tmp/m.arpa" "$corpus" || exit 1
    t1=$(echo "$(date +%s.%N) - $s0" | bc)
    mv "$tmp/m.arpa" "$tmp/ref.arpa"
    for np in 1 2 3 4; do
      s0=$(date +%s.%N)
      if ! mpirun_n "$np" "$b/lmprob-mpi" train --order "$order" --memory "$mem" --quiet --output "$tmp/m.arpa" "$corpus" 2>"$tmp/err"; then
        echo "FAIL $corpus order $order -np $np: $(head -c 300 "$tmp/err")"; diff=$((diff + 1)); continue
      fi
      t=$(echo "$(date +%s.%N) - $s0" | bc)
      if cmp -s "$tmp/m.arpa" "$tmp/ref.arpa"; then r=identical; same=$((same + 1)); else r=DIFFERENT; diff=$((diff + 1)); fi
      printf '%-40s order %s  -np %s  %s  (%s bytes; lmprob-mpi %.1f s, lmprob train %.1f s)\n' "$corpus" "$order" "$np" "$r" \
        "$(stat -c %s "$tmp/ref.arpa")" "$t" "$t1"
      rm -f "$tmp/m.arpa"
    done
  done
done
echo "mpi exactness: $same identical, $diff different"
[ "$diff" -eq 0 ]
