#!/usr/bin/env bash
# lmprob ppl against KenLM's query on KenLM's own models: PTB and WikiText-2, orders 3 and 5, trained by lmplz
# on the train text with <unk> renamed to UNK (lmplz refuses <unk> in training text), scored on the renamed
# test text. Checks: perplexity including and excluding OOVs within 0.01 %, the OOV and token counts equal,
# and every per-token log10 probability within 1e-5 with the same matched n-gram length. Also scores the
# PTB test text with the WikiText-2 model (thousands of OOVs) the same way, and checks that each lmplz ARPA file
# comes back byte-identical through lmprob's binary formats (hashed and trie), the trie scoring every token as query.
#
#   KENLM_BIN  folder with KenLM's lmplz and query (never built here); unset: the script skips
#   LMPROB     the lmprob CLI (default build/lmprob)
#   WORK       scratch folder (default ${TMPDIR:-/tmp}/lmprob-kenlm-compare; models are kept for reuse)
# Prints one line per comparison and "kenlm_query_compare: N passed, M failed".
set -u
cd "$(dirname "$0")/.."
if [ -z "${KENLM_BIN:-}" ] || [ ! -x "$KENLM_BIN/query" ] || [ ! -x "$KENLM_BIN/lmplz" ]; then
  echo "kenlm_query_compare: skipped (set KENLM_BIN to the folder with KenLM's lmplz and query)"
  exit 0
fi
LMPROB=${LMPROB:-$PWD/build/lmprob}
WORK=${WORK:-${TMPDIR:-/tmp}/lmprob-kenlm-compare}
DATA=${LMPROB_DATA:-../shared/data}
mkdir -p "$WORK"
pass=0
fail=0

prepare() {  # corpus train test
  [ -s "$WORK/$1.train.txt" ] || sed 's/<unk>/UNK/g' "$2" >"$WORK/$1.train.txt"
  [ -s "$WORK/$1.test.txt" ] || sed 's/<unk>/UNK/g' "$3" >"$WORK/$1.test.txt"
  for o in 3 5; do
    [ -s "$WORK/$1$o.arpa" ] || "$KENLM_BIN/lmplz" -o $o -S 10% <"$WORK/$1.train.txt" >"$WORK/$1$o.arpa" 2>/dev/null
  done
}

compare() {  # model text label
  compare_bin "$1" "$1" "$2" "$3"
}

compare_bin() {  # KenLM's model, lmprob's model, text, label
  local model=$1 lmodel=$2 text=$3 label=$4
  "$KENLM_BIN/query" "$model" <"$text" >"$WORK/q.out" 2>/dev/null
  "$LMPROB" ppl --per-token "$lmodel" "$text" >"$WORK/l.out"
  local kin kex koov ktok lin lex loov ltok
  kin=$(sed -n 's/^Perplexity including OOVs:\t//p' "$WORK/q.out")
  kex=$(sed -n 's/^Perplexity excluding OOVs:\t//p' "$WORK/q.out")
  koov=$(sed -n 's/^OOVs:\t//p' "$WORK/q.out")
  ktok=$(sed -n 's/^Tokens:\t//p' "$WORK/q.out")
  lin=$(sed -n 's/^Perplexity including OOVs:\t//p' "$WORK/l.out")
  lex=$(sed -n 's/^Perplexity excluding OOVs:\t//p' "$WORK/l.out")
  loov=$(sed -n 's/^OOVs:\t//p' "$WORK/l.out")
  ltok=$(sed -n 's/^Tokens:\t//p' "$WORK/l.out")
  # per-token triples "word=id length log10p" from both outputs, in order
  tr '\t' '\n' <"$WORK/q.out" | awk 'NF == 3 && $1 ~ /=[0-9]+$/ { sub(/=[0-9]+$/, "", $1); print $1, $2, $3 }' >"$WORK/q.tok"
  tr '\t' '\n' <"$WORK/l.out" | awk 'NF == 3 && $1 ~ /=[0-9]+$/ { sub(/=[0-9]+$/, "", $1); print $1, $2, $3 }' >"$WORK/l.tok"
  local tokres
  tokres=$(paste -d' ' "$WORK/q.tok" "$WORK/l.tok" | awk '
    { n++; if ($1 != $4 || $2 != $5) bad++; d = $3 - $6; if (d < 0) d = -d; if (d > maxd) maxd = d }
    END { printf "%d %d %.3g", n, bad, maxd }')
  local ntok nbad maxd
  read -r ntok nbad maxd <<<"$tokres"
  local nq nl
  nq=$(wc -l <"$WORK/q.tok")
  nl=$(wc -l <"$WORK/l.tok")
  local verdict
  verdict=$(awk -v a="$lin" -v b="$kin" -v c="$lex" -v d="$kex" -v md="$maxd" -v nb="$nbad" -v nq="$nq" -v nl="$nl" \
    -v lo="$loov" -v ko="$koov" -v lt="$ltok" -v kt="$ktok" 'BEGIN {
      r1 = (a - b) / b; if (r1 < 0) r1 = -r1; r2 = (c - d) / d; if (r2 < 0) r2 = -r2;
      ok = (b > 0 && r1 <= 1e-4 && r2 <= 1e-4 && md <= 1e-5 && nb == 0 && nq == nl && nq > 0 && lo == ko && lt == kt);
      printf "%s %.2g %.2g", ok ? "ok" : "FAIL", r1, r2 }')
  echo "$label: ${verdict%% *} ppl incl. OOV lmprob $lin kenlm $kin, excl. OOV lmprob $lex kenlm $kex (rel. diff ${verdict#* }); OOV $loov/$koov, tokens $ltok/$ktok; $ntok tokens compared: $nbad word/length mismatches, max |log10 diff| $maxd"
  if [ "${verdict%% *}" = ok ]; then pass=$((pass + 1)); else fail=$((fail + 1)); fi
}

prepare ptb "$DATA/ptb/ptb.train.txt" "$DATA/ptb/ptb.test.txt"
prepare wikitext2 "$DATA/wikitext-2/train.txt" "$DATA/wikitext-2/test.txt"
for c in ptb wikitext2; do
  for o in 3 5; do compare "$WORK/$c$o.arpa" "$WORK/$c.test.txt" "${c}_o$o"; done
done
compare "$WORK/wikitext23.arpa" "$WORK/ptb.test.txt" "wikitext2_o3_on_ptb_test"

# lmplz ARPA -> lmprob binary (hashed, then trie) -> ARPA gives lmplz's file back byte for byte, and each
# binary scores the same; the trie's per-token scores are KenLM's too.
for c in ptb wikitext2; do
  for o in 3 5; do
    for f in bin trie; do
      "$LMPROB" model convert "$WORK/$c$o.arpa" "$WORK/$c$o.$f" && "$LMPROB" model convert "$WORK/$c$o.$f" "$WORK/$c$o.back.arpa"
      a=$("$LMPROB" ppl --json "$WORK/$c$o.arpa" "$WORK/$c.test.txt" | sed -n 's/.*"log10_prob": \([^,]*\),.*/\1/p')
      b=$("$LMPROB" ppl --json "$WORK/$c$o.$f" "$WORK/$c.test.txt" | sed -n 's/.*"log10_prob": \([^,]*\),.*/\1/p')
      if cmp -s "$WORK/$c$o.arpa" "$WORK/$c$o.back.arpa" && [ -n "$a" ] && [ "$a" = "$b" ]; then
        echo "${c}_o$o round trip through .$f: ok (ARPA -> $f -> ARPA byte-identical; log10 P $a from both)"
        pass=$((pass + 1))
      else
        echo "${c}_o$o round trip through .$f: FAIL (files differ or log10 P '$a' vs '$b')"
        fail=$((fail + 1))
      fi
      rm -f "$WORK/$c$o.back.arpa"
    done
    compare_bin "$WORK/$c$o.arpa" "$WORK/$c$o.trie" "$WORK/$c.test.txt" "${c}_o$o trie"
  done
done
echo "kenlm_query_compare: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
