#!/usr/bin/env bash
# ARPA interoperability with the other toolkits, run for real: a model written by
# `lmprob train` (its default output) loads in IRSTLM's compile-lm (Debian irstlm),
# in Sphinx's sphinx_lm_convert / sphinx_lm_eval (Debian sphinxbase-utils) and, when
# KENLM_BIN is set, in KenLM's query and build_binary, and gives the same perplexity
# where the conventions agree; the ARPA files those tools write load in lmprob.
# Conventions (docs/ngram-model.md, "Interoperability"): KenLM scores OOVs as <unk>
# and counts them (as lmprob); IRSTLM adds log10(1 / (dub - |V|)) to each OOV
# (--dub |V|+1 removes it); Sphinx skips OOVs (lmprob's "excluding OOVs") and
# works in integer logs of base 1.0001. A tool that is not installed is skipped
# with a note (scripts/setup.sh installs irstlm and sphinxbase-utils for make test).
. "$(dirname "$0")/lib.sh"
FIX=tests/fixtures/train_small.txt
IRST=${IRSTLM_BIN:-/usr/lib/irstlm/bin}

"$LMPROB" train --quiet --order 3 --output "$TMPD/m.arpa" "$FIX" || bad "train"
# test text: the training lines, and a line with two words the model lacks
{ cat "$FIX"; echo "the zebra sat on the quokka"; } >"$TMPD/text.txt"
awk '{print "<s> " $0 " </s>"}' "$TMPD/text.txt" >"$TMPD/wrapped.txt"
"$LMPROB" ppl --json "$TMPD/m.arpa" "$TMPD/text.txt" >"$TMPD/l.json"
field() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$1" "$2"; }
l_ppl=$(field "$TMPD/l.json" perplexity)
l_ppl_x=$(field "$TMPD/l.json" perplexity_excl_oov)
l_log=$(field "$TMPD/l.json" log10_prob)
l_tok=$(field "$TMPD/l.json" tokens)
l_oov=$(field "$TMPD/l.json" oov)
V=$("$LMPROB" model info --json "$TMPD/m.arpa" | python3 -c "import json,sys; print(json.load(sys.stdin)['vocab_size'])")
# close A B TOL: |A - B| <= TOL * |B|
close() { awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; if (b < 0) b = -b; exit !(d <= t * b) }'; }

# ---- IRSTLM ---------------------------------------------------------------------------
if [ -x "$IRST/compile-lm" ]; then
  # the n-grams in the order compile-lm needs: no sort-lm.pl step
  expect_ok "irstlm: compile-lm reads train's ARPA" "$IRST/compile-lm" "$TMPD/m.arpa" "$TMPD/m.blm"
  # without the OOV penalty (dub = |V| + 1) its log10 P and token count are lmprob's (2 decimals printed)
  out=$("$IRST/compile-lm" "$TMPD/m.arpa" --eval="$TMPD/wrapped.txt" -d=1 --dub=$((V + 1)) 2>/dev/null | grep '^%%')
  i_nw=$(sed -n 's/.*Nw=\([0-9]*\).*/\1/p' <<<"$out")
  i_oov=$(sed -n 's/.*Noov=\([0-9]*\).*/\1/p' <<<"$out")
  i_log=$(sed -n 's/.*logPr=\([-0-9.]*\).*/\1/p' <<<"$out")
  if [ "$i_nw" = "$l_tok" ] && [ "$i_oov" = "$l_oov" ] && close "$i_log" "$l_log" 1e-4; then ok
  else bad "irstlm: eval '$out' vs lmprob log10 P $l_log, $l_tok tokens, $l_oov OOV"; fi
  # with its default dub = 10^7 each OOV costs log10(1 / (10^7 - |V|)) more
  out=$("$IRST/compile-lm" "$TMPD/m.arpa" --eval="$TMPD/wrapped.txt" -d=1 2>/dev/null | grep '^%%')
  i_log=$(sed -n 's/.*logPr=\([-0-9.]*\).*/\1/p' <<<"$out")
  want=$(awk -v l="$l_log" -v o="$l_oov" -v v="$V" 'BEGIN { print l - o * log(1e7 - v) / log(10) }')
  if close "$i_log" "$want" 1e-4; then ok; else bad "irstlm: OOV penalty: logPr $i_log, expected $want"; fi
  # its ARPA output loads in lmprob with the same scores (to its 6 digits)
  expect_ok "irstlm: writes ARPA" "$IRST/compile-lm" "$TMPD/m.blm" "$TMPD/irst.arpa" -t=yes
  p=$("$LMPROB" ppl --json "$TMPD/irst.arpa" "$TMPD/text.txt" | python3 -c "import json,sys; print(json.load(sys.stdin)['perplexity'])")
  if [ -n "$p" ] && close "$p" "$l_ppl" 1e-4; then ok; else bad "irstlm's ARPA in lmprob: ppl '$p', expected $l_ppl"; fi
else
  echo "note: IRSTLM's compile-lm not found in $IRST: skipped"
fi

# ---- Sphinx ---------------------------------------------------------------------------
if command -v sphinx_lm_convert >/dev/null && command -v sphinx_lm_eval >/dev/null; then
  expect_ok "sphinx: converts train's ARPA" sphinx_lm_convert -i "$TMPD/m.arpa" -o "$TMPD/m.lm.bin"
  expect_ok "sphinx: writes ARPA" sphinx_lm_convert -i "$TMPD/m.lm.bin" -o "$TMPD/sphinx.arpa" -ofmt arpa
  # Sphinx's ARPA starts with a line of free text before \data\, which the format allows
  expect_out "sphinx ARPA has text before \\data\\" '^This is an ARPA-format' head -n 1 "$TMPD/sphinx.arpa"
  p=$("$LMPROB" ppl --json "$TMPD/sphinx.arpa" "$TMPD/text.txt" | python3 -c "import json,sys; print(json.load(sys.stdin)['perplexity'])")
  if [ -n "$p" ] && close "$p" "$l_ppl" 1e-3; then ok; else bad "sphinx's ARPA in lmprob: ppl '$p', expected $l_ppl (4 decimals)"; fi
  # sphinx_lm_eval skips OOVs: lmprob's perplexity excluding OOVs, to its integer logs
  s_ppl=$(sphinx_lm_eval -lm "$TMPD/m.arpa" -lsn "$TMPD/wrapped.txt" 2>/dev/null | sed -n 's/^perplexity: //p')
  s_oov=$(sphinx_lm_eval -lm "$TMPD/m.arpa" -lsn "$TMPD/wrapped.txt" 2>/dev/null | sed -n 's/^\([0-9]*\) OOVs.*/\1/p')
  if [ -n "$s_ppl" ] && close "$s_ppl" "$l_ppl_x" 1e-3 && [ "$s_oov" = "$l_oov" ]; then ok
  else bad "sphinx_lm_eval: ppl '$s_ppl' ($s_oov OOV), lmprob excluding OOVs $l_ppl_x ($l_oov OOV)"; fi
else
  echo "note: sphinx_lm_convert / sphinx_lm_eval not found: skipped"
fi

# ---- KenLM ----------------------------------------------------------------------------
if [ -n "${KENLM_BIN:-}" ] && [ -x "$KENLM_BIN/query" ]; then
  k=$("$KENLM_BIN/query" -v summary "$TMPD/m.arpa" <"$TMPD/text.txt" 2>/dev/null)
  k_ppl=$(sed -n 's/^Perplexity including OOVs:\t//p' <<<"$k")
  k_oov=$(sed -n 's/^OOVs:\t//p' <<<"$k")
  if [ -n "$k_ppl" ] && close "$k_ppl" "$l_ppl" 1e-6 && [ "$k_oov" = "$l_oov" ]; then ok
  else bad "kenlm query: ppl '$k_ppl' ($k_oov OOV), lmprob $l_ppl ($l_oov OOV)"; fi
  expect_ok "kenlm: build_binary trie" "$KENLM_BIN/build_binary" -S 10M trie "$TMPD/m.arpa" "$TMPD/m.klm"
  expect_ok "kenlm: lmplz" sh -c "'$KENLM_BIN/lmplz' -o 3 -S 100M --discount_fallback <'$FIX' >'$TMPD/k.arpa' 2>/dev/null"
  expect_ok "kenlm: lmplz ARPA in lmprob" "$LMPROB" ppl "$TMPD/k.arpa" "$TMPD/text.txt"
else
  echo "note: KENLM_BIN not set: KenLM skipped"
fi
finish
