#!/usr/bin/env bash
# ARPA interoperability on real corpora (the numbers of docs/ngram-model.md, "Interoperability"): models
# written by `lmprob train` (its default ARPA output) scored by KenLM's query, IRSTLM's compile-lm and
# Sphinx's sphinx_lm_eval, and the ARPA files those tools write scored by lmprob. PTB and WikiText-2,
# <unk> renamed UNK as for lmplz; the text wrapped in <s> .. </s> for IRSTLM and Sphinx, which do not add
# them. Prints one line per measurement; tests/cli/test_interop.sh is the quick version in make test.
#
#   KENLM_BIN  folder with KenLM's query (optional); IRSTLM_BIN (default /usr/lib/irstlm/bin)
#   LMPROB     the lmprob CLI (default build/lmprob);  WORK  scratch folder
set -u
cd "$(dirname "$0")/.."
LMPROB=${LMPROB:-$PWD/build/lmprob}
IRST=${IRSTLM_BIN:-/usr/lib/irstlm/bin}
WORK=${WORK:-${TMPDIR:-/tmp}/lmprob-interop}
DATA=${LMPROB_DATA:-../shared/data}
mkdir -p "$WORK"
j() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$1" "$2"; }

prep() {  # corpus train test
  [ -s "$WORK/$1.train.txt" ] || sed 's/<unk>/UNK/g' "$2" >"$WORK/$1.train.txt"
  [ -s "$WORK/$1.test.txt" ] || sed 's/<unk>/UNK/g' "$3" >"$WORK/$1.test.txt"
  [ -s "$WORK/$1.test.wrapped" ] || awk '{print "<s> " $0 " </s>"}' "$WORK/$1.test.txt" >"$WORK/$1.test.wrapped"
}

one() {  # model-corpus order test-corpus
  local mc=$1 o=$2 tc=$3 m="$WORK/$1$2.arpa" t="$WORK/$3.test.txt" w="$WORK/$3.test.wrapped"
  [ -s "$m" ] || "$LMPROB" train --quiet --order "$o" --output "$m" "$WORK/$mc.train.txt"
  "$LMPROB" ppl --json "$m" "$t" >"$WORK/l.json"
  local lp lx ll lt lo V
  lp=$(j "$WORK/l.json" perplexity); lx=$(j "$WORK/l.json" perplexity_excl_oov); ll=$(j "$WORK/l.json" log10_prob)
  lt=$(j "$WORK/l.json" tokens); lo=$(j "$WORK/l.json" oov)
  V=$("$LMPROB" model info --json "$m" | python3 -c "import json,sys; print(json.load(sys.stdin)['vocab_size'])")
  echo "== $mc order $o on $tc test: lmprob ppl $lp, excl. OOV $lx, log10 P $ll, $lt tokens, $lo OOV, |V| $V"
  if [ -n "${KENLM_BIN:-}" ] && [ -x "$KENLM_BIN/query" ]; then
    "$KENLM_BIN/query" -v summary "$m" <"$t" 2>/dev/null | sed -n '1,4p' | tr '\n' ' ' | sed 's/^/KenLM query: /'; echo
  fi
  if [ -x "$IRST/compile-lm" ]; then
    echo "IRSTLM compile-lm, dub=|V|+1: $("$IRST/compile-lm" "$m" --eval="$w" -d=1 --dub=$((V + 1)) 2>/dev/null | grep '^%%')"
    echo "IRSTLM compile-lm, dub=10^7:  $("$IRST/compile-lm" "$m" --eval="$w" -d=1 2>/dev/null | grep '^%%')"
    "$IRST/compile-lm" "$m" "$WORK/irst.arpa" -t=yes >/dev/null 2>&1
    echo "lmprob on IRSTLM's ARPA: $("$LMPROB" ppl "$WORK/irst.arpa" "$t" | head -2 | tr '\n' ' ')"
  fi
  if command -v sphinx_lm_eval >/dev/null; then
    echo "Sphinx sphinx_lm_eval: $(sphinx_lm_eval -lm "$m" -lsn "$w" 2>/dev/null | tr '\n' ' ')"
    sphinx_lm_convert -i "$m" -o "$WORK/sphinx.arpa" -ofmt arpa >/dev/null 2>&1
    echo "lmprob on Sphinx's ARPA: $("$LMPROB" ppl "$WORK/sphinx.arpa" "$t" | head -2 | tr '\n' ' ')"
  fi
}

prep ptb "$DATA/ptb/ptb.train.txt" "$DATA/ptb/ptb.test.txt"
prep wikitext2 "$DATA/wikitext-2/train.txt" "$DATA/wikitext-2/test.txt"
one ptb 3 ptb
one ptb 5 ptb
one wikitext2 5 wikitext2
one wikitext2 3 ptb
