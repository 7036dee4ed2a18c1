#!/usr/bin/env bash
# Distributed training (docs/mpi.md): lmprob-mpi with 1, 2 and 4 ranks against the one-machine
# lmprob train and KenLM's lmplz, side by side in this one run, at the same memory budget per
# process (MPI_BENCH_MEMORY, default 1G: --memory for lmprob, -S for lmplz), order 5, interpolated
# modified Kneser-Ney, on a corpus larger than the test corpora: 12 M tokens (MPI_BENCH_TOKENS) sampled
# from the trigram MLE of PTB train + WikiText-2 train (bench/mpi_corpus.py; cached in build/bench-mpi). Every rank runs on this machine (--oversubscribe: 4 ranks
# share 2 cores), so wall time here measures the overhead of distributing, not a cluster's speed-up.
# Prints
#   BENCH mpi_o5_<who>_wall lmprob=<s>s kenlm=<s>s ratio=<kenlm/lmprob>     who = train, np1, np2, np4
#   BENCH mpi_o5_<who>_rss  lmprob=<MiB>MiB kenlm=<MiB>MiB ratio=...        (lmprob-mpi: the largest rank)
# and comment lines with the peak RSS and the bytes sent by every rank. One run each (a run takes
# minutes here). Without KENLM_BIN the peer of the lmprob-mpi lines is lmprob train (kenlm= becomes
# lmprob_train=, and the train line is left out); skips when lmprob-mpi is missing.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
. tests/cli/mpi_lib.sh
MEM=${MPI_BENCH_MEMORY:-1G}
# The peer: KenLM's lmplz when KENLM_BIN has it; else the one-machine lmprob train (the same model, byte for byte)
peer=kenlm
if [ -z "${KENLM_BIN:-}" ] || [ ! -x "$KENLM_BIN/lmplz" ]; then
  peer=lmprob_train
  echo "# bench_mpi: KENLM_BIN is not set (or has no lmplz): lmprob-mpi against lmprob train only (KENLM_BIN=... for lmplz)"
fi
if [ ! -x "$BUILD/lmprob-mpi" ] || ! command -v mpirun >/dev/null; then echo "# bench_mpi: lmprob-mpi or mpirun missing: skipped"; exit 0; fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
TOKENS=${MPI_BENCH_TOKENS:-12000000}
corpus=$BUILD/bench-mpi/corpus-$TOKENS.txt
if [ ! -f "$corpus" ]; then
  mkdir -p "$(dirname "$corpus")"
  /usr/bin/python3 bench/mpi_corpus.py "$TOKENS" "$corpus.part" ../shared/data/ptb/ptb.train.txt \
    ../shared/data/wikitext-2/train.txt && mv "$corpus.part" "$corpus" || exit 1
fi
echo "# bench_mpi: $corpus: $(wc -l <"$corpus") lines, $(wc -w <"$corpus") tokens, $(stat -c %s "$corpus") bytes; memory $MEM per process"

if [ "$peer" = kenlm ]; then
  /usr/bin/time -f '%e %M' -o "$tmp/k" "$KENLM_BIN/lmplz" -o 5 -S "$MEM" -T "$tmp/" --text "$corpus" --arpa "$tmp/k.arpa" 2>"$tmp/kerr" >/dev/null ||
    { cat "$tmp/kerr" >&2; exit 1; }
  read -r kw kr <"$tmp/k"
  rm -f "$tmp/k.arpa"
fi
line() { # who wall rss_kb (against the peer's kw, kr)
  awk -v n="mpi_o5_$1" -v lw="$2" -v kw="$kw" -v lr="$3" -v kr="$kr" -v p="$peer" 'BEGIN {
    printf "BENCH %s_wall lmprob=%.2fs %s=%.2fs ratio=%.2f\n", n, lw, p, kw, kw / (lw > 0 ? lw : 0.01)
    printf "BENCH %s_rss lmprob=%.0fMiB %s=%.0fMiB ratio=%.2f (lmprob: its largest rank, one process of the job)\n", n, lr / 1024, p, kr / 1024, kr / lr }'
}
# lmprob train and lmprob-mpi write to the same path, so that the command line recorded in the
# model's metadata is the same and the files can be compared byte for byte.
/usr/bin/time -f '%e %M' -o "$tmp/l" "$BUILD/lmprob" train --quiet --order 5 --memory "$MEM" --output "$tmp/m.arpa" "$corpus" || exit 1
mv "$tmp/m.arpa" "$tmp/ref.arpa"
echo "# bench_mpi: the model has $(grep '^ngram ' "$tmp/ref.arpa" | sed 's/ngram //' | tr '\n' ' ')n-grams"
read -r lw lr <"$tmp/l"
if [ "$peer" = kenlm ]; then line train "$lw" "$lr"; else kw=$lw kr=$lr; fi
for np in 1 2 4; do
  rm -f "$tmp"/r.*
  s0=$(date +%s.%N)
  LMPROB_MPI_STATS=1 mpirun_n "$np" sh -c 'exec /usr/bin/time -f "%e %M" -o "$0.$OMPI_COMM_WORLD_RANK" "$@"' "$tmp/r" \
    "$BUILD/lmprob-mpi" train --quiet --order 5 --memory "$MEM" --output "$tmp/m.arpa" "$corpus" 2>"$tmp/stats" || { cat "$tmp/stats" >&2; exit 1; }
  wall=$(echo "$(date +%s.%N) - $s0" | bc)
  cmp -s "$tmp/m.arpa" "$tmp/ref.arpa" && same="identical to lmprob train's" || same="DIFFERENT from lmprob train's"
  rss=$(cat "$tmp"/r.* | awk '{ if ($2 > m) m = $2 } END { print m }')
  line "np$np" "$wall" "$rss"
  for r in $(seq 0 $((np - 1))); do
    read -r rw rr <"$tmp/r.$r"
    sent=$(grep "rank $r: " "$tmp/stats" | tail -n 1 | sed -E 's/.*sent ([0-9]+) bytes/\1/')
    # up to the end of the count exchange (the vocabulary too); the rest is the distributed estimation's
    # requests and answers and the model's pieces sent to rank 0 (mkn: docs/mpi.md)
    xch=$(grep "rank $r: exchanged" "$tmp/stats" | sed -E 's/.*sent ([0-9]+) bytes/\1/')
    echo "#   np=$np rank $r: peak RSS $((rr / 1024)) MiB, sent $sent bytes ($(echo "scale=1; $sent / 1048576" | bc) MiB; exchange $(echo "scale=1; ${xch:-0} / 1048576" | bc) MiB, estimation + model to rank 0 $(echo "scale=1; ($sent - ${xch:-0}) / 1048576" | bc) MiB), $(grep "rank $r: " "$tmp/stats" | sed -E 's/.*: ([a-z]+) at ([0-9.]+) s.*/\1 \2/' | tr '\n' ' ')"
  done
  echo "#   np=$np: ARPA $same"
  rm -f "$tmp/m.arpa"
done
