#!/usr/bin/env bash
# GPT-2 tokenizer throughput: lmprob against OpenAI's tiktoken (npm 1.0.22, its Rust core as WASM, in node)
# and gpt-tokenizer (npm 4.0.0, JavaScript), side by side in this one run on the same text: the shared
# corpora concatenated (TinyShakespeare, PTB train/valid/test, WikiText-2 valid/test: 9,444,869 bytes of
# English). Every measurement is a fresh process (cold: no warm-up pass, no cache carried over), timed
# inside the process around one encode call (bench/bench_tokenizer.c, bench/peer_tokenizer.cjs); the
# median of RUNS runs, the programs taking turns. Every run's ids are counted and must agree.
#
#   BUILD  lmprob build folder (default build)     RUNS  runs per measurement (default 5)
#   PEERS  folder with node_modules/{tiktoken,gpt-tokenizer} (default build/npm-peers; scripts/npmpeers.sh)
#
# Lines (MB = 10^6 bytes; ratio = lmprob / peer for throughput, peer / lmprob for times: > 1, lmprob ahead):
#   BENCH tokenize_1thread lmprob=<MB/s>MB/s tiktoken=<MB/s>MB/s ratio=<r>
#   BENCH tokenize_1thread lmprob=... gpt-tokenizer=... ratio=<r>
#   BENCH tokenize_1thread_cpu lmprob=... tiktoken=... ratio=<r>   the same over the encode call's CPU time, which
#                                          a shared machine's queue for a core does not inflate (gpt-tokenizer too)
#   BENCH tokenize_2threads lmprob_2threads=<MB/s>MB/s lmprob_1thread=<MB/s>MB/s ratio=<2 threads / 1 thread>
#   BENCH tokenizer_load lmprob=<ms>ms tiktoken=<ms>ms ratio=<r>       (gpt-tokenizer likewise)
#   BENCH tokenizer_load_cpu lmprob=<ms>ms tiktoken=<ms>ms ratio=<r>   its CPU time
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
RUNS=${RUNS:-5}
PEERS=${PEERS:-build/npm-peers}
DATA=${LMPROB_DATA:-../shared/data}
BIN=$BUILD/bench/bench_tokenizer
VOCAB=build/gpt2
[ -x "$BIN" ] || { echo "# bench_tokenizer: $BIN not built (make all)"; exit 1; }
[ -f "$VOCAB/encoder.json" ] || { echo "# bench_tokenizer: no vocabulary in $VOCAB (scripts/setup.sh)"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
text=$tmp/english.txt
cat $DATA/tinyshakespeare/input.txt $DATA/ptb/ptb.train.txt $DATA/ptb/ptb.valid.txt $DATA/ptb/ptb.test.txt \
    $DATA/wikitext-2/valid.txt $DATA/wikitext-2/test.txt >"$text" || exit 1
bytes=$(wc -c <"$text")
echo "# text: $bytes bytes (TinyShakespeare, PTB, WikiText-2 valid+test); $RUNS cold runs each, median"

peers=(tiktoken gpt-tokenizer)
have_node=1
command -v node >/dev/null 2>&1 && [ -f "$PEERS/node_modules/tiktoken/package.json" ] || {
  echo "# bench_tokenizer: node or the npm peers missing (scripts/setup.sh bench): peers skipped"; have_node=0; }

# field NAME LINE: the value of NAME= in LINE
field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p" <<<"$2"; }
median() { sort -g "$1" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

: >"$tmp/ids"
for r in $(seq "$RUNS"); do
  for who in lmprob1 lmprob2 ${peers[@]}; do
    case $who in
      lmprob1) out=$("$BIN" "$VOCAB" "$text" 1) ;;
      lmprob2) out=$("$BIN" "$VOCAB" "$text" 2) ;;
      *) [ $have_node = 1 ] || continue; out=$(node bench/peer_tokenizer.cjs "$PEERS" "$text" "$who") ;;
    esac
    [ -n "$out" ] || { echo "# bench_tokenizer: $who failed"; exit 1; }
    field encode_s "$out" >>"$tmp/$who.enc"
    field encode_cpu_s "$out" >>"$tmp/$who.cpu"
    field load_ms "$out" >>"$tmp/$who.load"
    field load_cpu_ms "$out" >>"$tmp/$who.loadcpu"
    field ids "$out" >>"$tmp/ids"
  done
done
if [ "$(sort -u "$tmp/ids" | wc -l)" -ne 1 ]; then echo "# bench_tokenizer: the id counts differ: $(sort -u "$tmp/ids" | xargs)"; exit 1; fi
echo "# ids: $(head -n 1 "$tmp/ids") from every program"

mbs() { awk -v b="$bytes" -v s="$(median "$1")" 'BEGIN { printf "%.1f", b / s / 1e6 }'; }
l1=$(mbs "$tmp/lmprob1.enc") l2=$(mbs "$tmp/lmprob2.enc") ll=$(median "$tmp/lmprob1.load") lc=$(mbs "$tmp/lmprob1.cpu")
if [ $have_node = 1 ]; then
  for p in "${peers[@]}"; do
    pm=$(mbs "$tmp/$p.enc")
    awk -v l="$l1" -v p="$pm" -v n="$p" 'BEGIN { printf "BENCH tokenize_1thread lmprob=%.1fMB/s %s=%.1fMB/s ratio=%.2f\n", l, n, p, l / p }'
  done
  for p in "${peers[@]}"; do
    pm=$(mbs "$tmp/$p.cpu")
    awk -v l="$lc" -v p="$pm" -v n="$p" 'BEGIN { printf "BENCH tokenize_1thread_cpu lmprob=%.1fMB/s %s=%.1fMB/s ratio=%.2f\n", l, n, p, l / p }'
  done
fi
awk -v a="$l2" -v b="$l1" 'BEGIN { printf "BENCH tokenize_2threads lmprob_2threads=%.1fMB/s lmprob_1thread=%.1fMB/s ratio=%.2f\n", a, b, a / b }'
llc=$(median "$tmp/lmprob1.loadcpu")
if [ $have_node = 1 ]; then
  for p in "${peers[@]}"; do
    pl=$(median "$tmp/$p.load") plc=$(median "$tmp/$p.loadcpu")
    awk -v l="$ll" -v p="$pl" -v n="$p" 'BEGIN { printf "BENCH tokenizer_load lmprob=%.1fms %s=%.1fms ratio=%.2f\n", l, n, p, p / l }'
    awk -v l="$llc" -v p="$plc" -v n="$p" 'BEGIN { printf "BENCH tokenizer_load_cpu lmprob=%.1fms %s=%.1fms ratio=%.2f\n", l, n, p, p / l }'
  done
else
  awk -v l="$ll" 'BEGIN { printf "BENCH tokenizer_load lmprob=%.1fms\n", l }'
fi
