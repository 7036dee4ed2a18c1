#!/usr/bin/env bash
# Query throughput: `lmprob ppl` (lmprob binary model, mmapped) against KenLM's `query -v summary` (probing
# binary from build_binary), side by side on the same machine in the same run, on PTB and WikiText-2 test text
# for orders 3 and 5; then the compact layouts of order 5 (lmprob's trie against build_binary trie, exact and
# with 8-bit quantisation): sizes, perplexities, speed. Models: KenLM lmplz -S 10% on the train text with <unk> renamed to UNK (lmplz refuses
# <unk> in training text), as ../shared/data/README.md. Both sides score the identical ARPA model; the script
# checks that both perplexities agree.
#
#   KENLM_BIN   folder with lmplz, build_binary, query (the script never builds KenLM; without it: skip)
#   BUILD       lmprob build folder (default build), for $BUILD/lmprob
#   RUNS        timed runs per measurement, median reported (default 15); lmprob and KenLM runs alternate
#   WORK        scratch folder for models and renamed text (default ${TMPDIR:-/tmp}/lmprob-bench-query)
#
# Lines (ratio = kenlm_time / lmprob_time, > 1 means lmprob is ahead):
#   BENCH query_<corpus>_o<N>_total  lmprob=<Mtok/s>Mtok/s kenlm=<Mtok/s>Mtok/s ratio=<r>   whole process, wall time
#   BENCH query_<corpus>_o<N>_noload lmprob=... kenlm=... ratio=...    total minus the same command on empty text
#   BENCH load_<corpus>_o<N>         lmprob=<ms>ms kenlm=<ms>ms ratio=<r>     the command on empty text
#   BENCH size_trie[_q8]_<corpus>_o5 lmprob=<MB>MB kenlm=<MB>MB ratio=<kenlm/lmprob>   file sizes (> 1: lmprob smaller)
#   BENCH qerr_trie_q8_<corpus>_o5   lmprob=<ppl> kenlm=<ppl> ratio=<kenlm/lmprob>      |ppl(8-bit) - ppl(exact)|
#   BENCH query_trie[_q8]_<corpus>_o5_total|noload, load_trie[_q8]_<corpus>_o5           as above, trie layouts
set -u
cd "$(dirname "$0")/.."
if [ -z "${KENLM_BIN:-}" ] || [ ! -x "${KENLM_BIN}/query" ]; then
  echo "# bench_query: skipped (set KENLM_BIN to the folder with KenLM's lmplz, build_binary and query)"
  exit 0
fi
BUILD=${BUILD:-build}
LMPROB=$PWD/$BUILD/lmprob
RUNS=${RUNS:-15}
WORK=${WORK:-${TMPDIR:-/tmp}/lmprob-bench-query}
DATA=${LMPROB_DATA:-../shared/data}
[ -x "$LMPROB" ] || { echo "# bench_query: $LMPROB not built (make all)"; exit 1; }
mkdir -p "$WORK"
: >"$WORK/empty.txt"

# Wall time in us of one run of "$@" with stdin from $1. The clock is bash's $EPOCHREALTIME (bash >= 5):
# reading it starts no process, whereas $(date +%s%N) put the start-up and exit of two `date` processes
# (about 1 ms on this VM) inside every measured interval, the same for both programs, pulling every ratio
# towards 1. Older bash: date as before.
now_us() { echo $(($(date +%s%N) / 1000)); }
once_us() {
  local in=$1 t0 t1
  shift
  if [ -n "${EPOCHREALTIME:-}" ]; then
    t0=${EPOCHREALTIME/[.,]/}
    "$@" <"$in" >/dev/null 2>&1 || { echo "FAILED: $*" >&2; echo -1; return; }
    t1=${EPOCHREALTIME/[.,]/}
  else
    t0=$(now_us)
    "$@" <"$in" >/dev/null 2>&1 || { echo "FAILED: $*" >&2; echo -1; return; }
    t1=$(now_us)
  fi
  echo $((10#$t1 - 10#$t0))
}
median() { sort -n | awk '{a[NR]=$1} END {printf "%.3f\n", a[int((NR+1)/2)]/1000}'; }

# Median wall times (ms) of lmprob and KenLM on one text; the two alternate run by run so that both see the
# same machine load.  $1 lmprob model, $2 KenLM model, $3 text.  Prints "lmprob_ms kenlm_ms".
pair_ms() {
  local i a=() b=()
  for ((i = 0; i < RUNS; i++)); do
    a+=("$(once_us /dev/null "$LMPROB" ppl "$1" "$3")")
    b+=("$(once_us "$3" "$KENLM_BIN/query" -v summary "$2")")
  done
  echo "$(printf '%s\n' "${a[@]}" | median) $(printf '%s\n' "${b[@]}" | median)"
}

mtoks() { awk -v n="$1" -v ms="$2" 'BEGIN { if (ms <= 0) print "nan"; else printf "%.2f", n / (ms / 1000) / 1e6 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b <= 0) print "nan"; else printf "%.2f", a / b }'; }

prepare() {  # $1 corpus name, $2 train file, $3 test file
  local c=$1
  [ -s "$WORK/$c.train.txt" ] || sed 's/<unk>/UNK/g' "$2" >"$WORK/$c.train.txt"
  [ -s "$WORK/$c.test.txt" ] || sed 's/<unk>/UNK/g' "$3" >"$WORK/$c.test.txt"
  for o in 3 5; do
    [ -s "$WORK/$c$o.arpa" ] || "$KENLM_BIN/lmplz" -o $o -S 10% <"$WORK/$c.train.txt" >"$WORK/$c$o.arpa" 2>/dev/null
    [ -s "$WORK/$c$o.klm" ] || "$KENLM_BIN/build_binary" -s probing "$WORK/$c$o.arpa" "$WORK/$c$o.klm" >/dev/null 2>&1
    # re-made when this build cannot load it (e.g. a file of an older binary format version)
    "$LMPROB" model info "$WORK/$c$o.bin" >/dev/null 2>&1 || "$LMPROB" model convert "$WORK/$c$o.arpa" "$WORK/$c$o.bin"
  done
}

run() {  # $1 corpus, $2 order
  local c=$1 o=$2 test="$WORK/$1.test.txt" tokens pl pk
  tokens=$("$LMPROB" ppl --json "$WORK/$c$o.bin" "$test" | sed -n 's/.*"tokens": \([0-9]*\).*/\1/p')
  pl=$("$LMPROB" ppl --json "$WORK/$c$o.bin" "$test" | sed -n 's/.*"perplexity": \([0-9.e+-]*\).*/\1/p')
  pk=$("$KENLM_BIN/query" -v summary "$WORK/$c$o.klm" <"$test" 2>/dev/null | sed -n 's/^Perplexity including OOVs:\t//p')
  awk -v a="$pl" -v b="$pk" 'BEGIN { d = a - b; if (d < 0) d = -d; if (d > 1e-4 * b) print "# WARNING: perplexities differ: lmprob " a ", kenlm " b }'
  speed "${c}_o${o}" "$WORK/$c$o.bin" "$WORK/$c$o.klm" "$test" "$tokens"
  echo "# ${c} o${o}: ${tokens} tokens, ppl lmprob ${pl} kenlm ${pk}"
}

# speed NAME LMPROB_MODEL KENLM_MODEL TEXT TOKENS: the query, load and noload lines
speed() {
  local name=$1 lm=$2 km=$3 test=$4 tokens=$5 lt kt le ke ln kn
  read -r lt kt <<<"$(pair_ms "$lm" "$km" "$test")"
  read -r le ke <<<"$(pair_ms "$lm" "$km" "$WORK/empty.txt")"
  ln=$(awk -v a="$lt" -v b="$le" 'BEGIN { printf "%.3f", a - b }')
  kn=$(awk -v a="$kt" -v b="$ke" 'BEGIN { printf "%.3f", a - b }')
  echo "BENCH query_${name}_total lmprob=$(mtoks "$tokens" "$lt")Mtok/s kenlm=$(mtoks "$tokens" "$kt")Mtok/s ratio=$(ratio "$kt" "$lt")"
  echo "BENCH query_${name}_noload lmprob=$(mtoks "$tokens" "$ln")Mtok/s kenlm=$(mtoks "$tokens" "$kn")Mtok/s ratio=$(ratio "$kn" "$ln")"
  echo "BENCH load_${name} lmprob=${le}ms kenlm=${ke}ms ratio=$(ratio "$ke" "$le")"
  echo "# ${name}: median of ${RUNS} wall times: lmprob ${lt} ms (empty text ${le} ms), kenlm ${kt} ms (empty text ${ke} ms)"
}

mb() { awk -v b="$(wc -c <"$1")" 'BEGIN { printf "%.2f", b / 1e6 }'; }
ppl_of() { "$LMPROB" ppl --json "$1" "$2" | sed -n 's/.*"perplexity": \([0-9.e+-]*\).*/\1/p'; }
kppl_of() { "$KENLM_BIN/query" -v summary "$1" <"$2" 2>/dev/null | sed -n 's/^Perplexity including OOVs:\t//p'; }

# The compact layouts, order 5: lmprob's trie against KenLM's `build_binary trie`, exact and quantised to
# 8 bits (-q 8 -b 8), same ARPA model: file sizes, perplexities (the exact trie must give the ARPA's,
# the quantised ones are compared by their distance from it), query speed.
trie() {  # $1 corpus
  local c=$1 o=5 a="$WORK/${1}5.arpa" test="$WORK/$1.test.txt" tokens
  "$LMPROB" model info "$WORK/$c$o.trie" >/dev/null 2>&1 || "$LMPROB" model convert "$a" "$WORK/$c$o.trie"
  "$LMPROB" model info "$WORK/$c$o.q8.trie" >/dev/null 2>&1 || "$LMPROB" model convert --prob-bits 8 -b 8 "$a" "$WORK/$c$o.q8.trie"
  [ -s "$WORK/$c$o.trie.klm" ] || "$KENLM_BIN/build_binary" -S 10% trie "$a" "$WORK/$c$o.trie.klm" >/dev/null 2>&1
  [ -s "$WORK/$c$o.q8.trie.klm" ] || "$KENLM_BIN/build_binary" -S 10% -q 8 -b 8 trie "$a" "$WORK/$c$o.q8.trie.klm" >/dev/null 2>&1
  [ -s "$WORK/$c$o.a22.trie.klm" ] || "$KENLM_BIN/build_binary" -S 10% -a 22 trie "$a" "$WORK/$c$o.a22.trie.klm" >/dev/null 2>&1
  [ -s "$WORK/$c$o.a22q8.trie.klm" ] || "$KENLM_BIN/build_binary" -S 10% -a 22 -q 8 -b 8 trie "$a" "$WORK/$c$o.a22q8.trie.klm" >/dev/null 2>&1
  tokens=$("$LMPROB" ppl --json "$WORK/$c$o.trie" "$test" | sed -n 's/.*"tokens": \([0-9]*\).*/\1/p')
  local sl sk sq sqk sa saq
  sl=$(mb "$WORK/$c$o.trie"); sk=$(mb "$WORK/$c$o.trie.klm"); sq=$(mb "$WORK/$c$o.q8.trie"); sqk=$(mb "$WORK/$c$o.q8.trie.klm")
  sa=$(mb "$WORK/$c$o.a22.trie.klm"); saq=$(mb "$WORK/$c$o.a22q8.trie.klm")
  # size lines: ratio = kenlm / lmprob, as every line (> 1: lmprob smaller; the goal, lmprob <= 0.9 kenlm, is >= 1.11)
  echo "BENCH size_trie_${c}_o5 lmprob=${sl}MB kenlm=${sk}MB ratio=$(ratio "$sk" "$sl")"
  echo "BENCH size_trie_q8_${c}_o5 lmprob=${sq}MB kenlm=${sqk}MB ratio=$(ratio "$sqk" "$sq")"
  echo "# ${c} o5 sizes: ARPA $(mb "$a") MB, lmprob hashed $(mb "$WORK/$c$o.bin") MB, KenLM probing $(mb "$WORK/$c$o.klm") MB; KenLM trie with -a 22 (Bhiksha pointers) ${sa} MB (kenlm/lmprob $(ratio "$sa" "$sl")), -a 22 -q 8 -b 8 ${saq} MB ($(ratio "$saq" "$sq"))"
  local pa pt pq pk pkq
  pa=$(ppl_of "$a" "$test"); pt=$(ppl_of "$WORK/$c$o.trie" "$test"); pq=$(ppl_of "$WORK/$c$o.q8.trie" "$test")
  pk=$(kppl_of "$WORK/$c$o.trie.klm" "$test"); pkq=$(kppl_of "$WORK/$c$o.q8.trie.klm" "$test")
  [ "$pa" = "$pt" ] || echo "# WARNING: the exact trie's perplexity $pt differs from the ARPA's $pa"
  # quantisation error: |ppl(quantised) - ppl(exact)|, each program against its own exact model
  local el ek
  el=$(awk -v q="$pq" -v e="$pa" 'BEGIN { d = q - e; if (d < 0) d = -d; printf "%.6f", d }')
  ek=$(awk -v q="$pkq" -v e="$pk" 'BEGIN { d = q - e; if (d < 0) d = -d; printf "%.6f", d }')
  echo "BENCH qerr_trie_q8_${c}_o5 lmprob=${el}ppl kenlm=${ek}ppl ratio=$(ratio "$ek" "$el")"
  echo "# ${c} o5 perplexities: ARPA ${pa}, lmprob trie ${pt}, lmprob -q 8 -b 8 ${pq}; KenLM trie ${pk}, KenLM -q 8 -b 8 ${pkq}"
  speed "trie_${c}_o5" "$WORK/$c$o.trie" "$WORK/$c$o.trie.klm" "$test" "$tokens"
  speed "trie_q8_${c}_o5" "$WORK/$c$o.q8.trie" "$WORK/$c$o.q8.trie.klm" "$test" "$tokens"
}

prepare ptb "$DATA/ptb/ptb.train.txt" "$DATA/ptb/ptb.test.txt"
prepare wikitext2 "$DATA/wikitext-2/train.txt" "$DATA/wikitext-2/test.txt"
for c in ptb wikitext2; do
  for o in 3 5; do run $c $o; done
done
for c in ptb wikitext2; do trie $c; done
