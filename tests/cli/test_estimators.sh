# The estimators beyond Kneser-Ney (docs/ngram-toolkit.md): Witten-Bell,
# absolute discounting, add-k (Lidstone/Laplace), MLE and stupid backoff
# against NLTK's nltk.lm (python3-nltk, installed by scripts/setup.sh) on
# tests/fixtures/estimators.txt at order 2, where NLTK's padding is lmprob's
# <s> w1 .. wn </s>; Katz/Good-Turing's summary; bad options.
. "$(dirname "$0")/lib.sh"
FIX=tests/fixtures/estimators.txt
PY=/usr/bin/python3
REF=tests/cli/nltk_ref.py

if ! $PY -c 'import nltk.lm' 2>/dev/null; then
  bad "python3-nltk is missing: scripts/setup.sh installs it"
else
  train_nltk() { # label lmprob-train-options...
    local label=$1; shift
    "$LMPROB" train --quiet --order 2 --nltk "$@" --output "$TMPD/$label.arpa" "$FIX" || bad "$label: train failed"
  }
  train_nltk wb --estimator wb
  train_nltk abs --estimator abs --discount 0.75
  train_nltk laplace --estimator addk --k 1
  train_nltk lidstone --estimator addk --k 0.1
  train_nltk mle --estimator mle
  train_nltk stupid --estimator stupid
  train_nltk stupid2 --estimator stupid --backoff-factor 0.25
  # one python run for all (importing nltk is most of its time); a line per model
  if $PY "$REF" "$LMPROB" 2 "$FIX" "$TMPD/wb.arpa:wb" "$TMPD/abs.arpa:abs:0.75" "$TMPD/laplace.arpa:lidstone:1" \
       "$TMPD/lidstone.arpa:lidstone:0.1" "$TMPD/mle.arpa:mle" "$TMPD/stupid.arpa:stupid:0.4" \
       "$TMPD/stupid2.arpa:stupid:0.25" >"$TMPD/cmp" 2>&1; then
    ok
  else
    bad "NLTK comparison: $(tail -8 "$TMPD/cmp")"
  fi
  if [ "$(grep -c 'compared [1-9][0-9]* pairs' "$TMPD/cmp")" = 7 ]; then ok; else bad "expected 7 models compared: $(cat "$TMPD/cmp")"; fi
  # Without --nltk, lmprob's V leaves out <s> (and wb ends at 1/V): a different model,
  # which the comparison must notice (the check can fail).
  "$LMPROB" train --quiet --order 2 --estimator wb --output "$TMPD/wb_own.arpa" "$FIX"
  if $PY "$REF" "$LMPROB" 2 "$FIX" "$TMPD/wb_own.arpa:wb" >"$TMPD/cmp" 2>&1; then bad "wb without --nltk matched NLTK"; else ok; fi
fi

# Katz with SRILM's defaults: unigrams k = 1 (d1 = 1), trigram singletons cut (-gt3min 2)
expect_out "katz summary" '2-grams +[0-9]+ +Good-Turing k=[1-7] d1=0\.' "$LMPROB" train --order 3 --estimator katz --output "$TMPD/katz.arpa" "$FIX"
expect_out "katz json" '"good_turing": \[\[1\], \[0\.[0-9]+, ' "$LMPROB" train --order 3 --estimator katz --json --output "$TMPD/katz2.arpa" "$FIX"
expect_out "katz drops singleton trigrams" '^ngram 3=[0-9]$' cat "$TMPD/katz.arpa"
expect_out "katz --prune 0 0 0 keeps them" '^ngram 3=[1-9][0-9]$' sh -c "'$LMPROB' train --quiet --order 3 --estimator katz --prune 0 0 0 --output - '$FIX'"
expect_out "stupid backoff says scores" 'scores, not probabilities' "$LMPROB" train --order 2 --estimator stupid --output "$TMPD/sb.arpa" "$FIX"
expect_out "stupid backoff: backoff log10(0.4) everywhere" '^-99	<s>	-0\.39794$' cat "$TMPD/sb.arpa"

# ppl refuses scores (they sum past 1 after <s>) unless --scores, which labels them
expect_fail "ppl refuses stupid backoff" "ppl: .*sb.arpa: a stupid-backoff model \(as its estimator record says\): its values are scores, not probabilities \(they sum to 1\.[0-9]+ after <s>\), so perplexity is undefined; --scores" "$LMPROB" ppl "$TMPD/sb.arpa" "$FIX"
# without lmprob's record (the "# lmprob" lines of the ARPA header), by the sum alone
grep -v '^# lmprob' "$TMPD/sb.arpa" >"$TMPD/sb_bare.arpa"
expect_fail "ppl refuses scores without the record" "not a probability model: its values after <s> sum to 1\.[0-9]+, expected at most 1 \+ 0\.001" "$LMPROB" ppl "$TMPD/sb_bare.arpa" "$FIX"
expect_out "ppl --scores labels them" "^NOTE: a stupid-backoff model .*scores, not probabilities" "$LMPROB" ppl --scores "$TMPD/sb.arpa" "$FIX"
# next lists them, and says they are scores (text and JSON), by the same rule (its note spoke of a mass only)
expect_out "next says scores" "^note: a stupid-backoff model .*scores, not probabilities.*the column p lists them" "$LMPROB" next "$TMPD/sb.arpa" --prompt the
expect_out "next --json says scores" '"scores_not_probabilities": true' "$LMPROB" next "$TMPD/sb.arpa" --prompt the --json
expect_out "ppl --scores --json labels them" '"scores_not_probabilities": true' "$LMPROB" ppl --scores --json "$TMPD/sb.arpa" "$FIX"
expect_out "ppl takes a normalised model as before" '^Perplexity including OOVs' "$LMPROB" ppl "$TMPD/katz.arpa" "$FIX"
# One rule, one message, in every command that needs probabilities (lmp_ngram_check_probabilities): mix
# printed a "perplexity" of scores, and prune made of one a model that summed to 1 but was refused as
# "a stupid-backoff model (the values after <s> sum to 1)"; generate samples from scores only when told.
sbmsg="a stupid-backoff model \(as its estimator record says\): its values are scores, not probabilities"
expect_fail "mix refuses stupid backoff" "mix: .*$sbmsg" "$LMPROB" mix "$TMPD/katz.arpa" "$TMPD/sb.arpa" --ppl "$FIX"
expect_fail "mix refuses it with --output" "mix: .*$sbmsg" "$LMPROB" mix "$TMPD/katz.arpa" "$TMPD/sb.arpa" --output "$TMPD/bad.arpa"
expect_fail "prune refuses stupid backoff" "prune: .*$sbmsg" "$LMPROB" prune "$TMPD/sb.arpa" --threshold 1e-6 --output "$TMPD/bad.arpa"
expect_fail "kl refuses stupid backoff" "kl: .*$sbmsg" "$LMPROB" kl --model "$TMPD/katz.arpa" --model "$TMPD/sb.arpa" "$FIX"
expect_fail "generate refuses stupid backoff" "generate: .*$sbmsg.*; --scores samples" "$LMPROB" generate "$TMPD/sb.arpa"
expect_fail "generate refuses scores without the record" "generate: .*sb_bare.arpa: not a probability model" "$LMPROB" generate "$TMPD/sb_bare.arpa"
expect_out "generate --scores samples them" '"generated": [1-9]' "$LMPROB" generate --scores -n 5 --json "$TMPD/sb.arpa"
for c in "mix $TMPD/katz.arpa $TMPD/sb.arpa --ppl $FIX" "prune $TMPD/sb.arpa --threshold 1e-6 --output $TMPD/bad.arpa" "generate $TMPD/sb.arpa"; do
  "$LMPROB" $c >/dev/null 2>&1; rc=$?
  [ $rc = 1 ] && ok || bad "$c: exit $rc, expected 1"
done
# quantised stupid backoff keeps its record; its 8-bit rounding does not hide the excess without it
"$LMPROB" model convert -q 8 "$TMPD/sb.arpa" "$TMPD/sb8.trie" && "$LMPROB" model convert -q 8 "$TMPD/sb_bare.arpa" "$TMPD/sbb8.trie"
expect_fail "ppl refuses a quantised stupid model" "sb8.trie: $sbmsg" "$LMPROB" ppl "$TMPD/sb8.trie" "$FIX"
expect_fail "ppl refuses it without the record" "sbb8.trie: not a probability model: its values after <s> sum to 1\\.[0-9]+, expected at most" "$LMPROB" ppl "$TMPD/sbb8.trie" "$FIX"

# Bad options: usage errors, nothing written.
expect_fail "--discount 0" "--discount: expected 0 < D <= 1, got '0'" "$LMPROB" train --order 2 --estimator abs --discount 0 -o "$TMPD/bad.arpa" "$FIX"
expect_fail "--backoff-factor 2" "--backoff-factor: expected a backoff factor in \\(0, 1\\], got '2'" "$LMPROB" train --order 2 --estimator stupid --backoff-factor 2 -o "$TMPD/bad.arpa" "$FIX"
expect_fail "--gt-max x" "--gt-max: expected one count per order" "$LMPROB" train --order 2 --estimator katz --gt-max x -o "$TMPD/bad.arpa" "$FIX"
expect_fail "--gt-max: more values than orders" "--gt-max: expected at most one k per order \\(2\\), got 3" "$LMPROB" train --order 2 --estimator katz --gt-max 1 2 3 -o "$TMPD/bad.arpa" "$FIX"
expect_fail "--gt-max 99" "--gt-max: expected one count per order from 0 to 20, e.g. '1 7 7', got '99'" "$LMPROB" train --order 2 --estimator katz --gt-max 99 -o "$TMPD/bad.arpa" "$FIX"
# usage errors exit 2 (some exited 1, found by the library after the parse), and an option that the estimator
# does not read is refused naming the estimators it applies to (it was silently ignored)
usage_err() {  # label regex, then train's arguments
  local l=$1 re=$2; shift 2
  "$LMPROB" train --order 3 -o "$TMPD/bad.arpa" "$@" "$FIX" >"$TMPD/out" 2>"$TMPD/err"
  local rc=$?
  if [ $rc = 2 ] && grep -Eq -- "$re" "$TMPD/err"; then ok; else bad "$l: exit $rc: $(head -c 300 "$TMPD/err")"; fi
}
usage_err "--nltk with katz" "train: --nltk applies to --estimator addk, mle, wb, abs or stupid only .*, not to katz: expected one of them, or no --nltk" --estimator katz --nltk
usage_err "--nltk with mkn" "--nltk applies to .*, not to mkn \(the default\)" --nltk
usage_err "--k with mkn" "train: --k applies to --estimator addk only, not to mkn \(the default\): expected that estimator, or no --k" --k 2
usage_err "--discount with kn" "--discount applies to --estimator abs only, not to kn" --estimator kn --discount 0.3
usage_err "--backoff-factor with kn" "--backoff-factor applies to --estimator stupid only, not to kn" --estimator kn --backoff-factor 0.1
usage_err "--gt-max with wb" "--gt-max applies to --estimator katz only, not to wb" --estimator wb --gt-max 2
usage_err "--discount-fallback with addk" "--discount-fallback applies to --estimator mkn, kn or abs only .*, not to addk" --estimator addk --discount-fallback
usage_err "--discount-fallback 5 5 5" "train: fallback discount D1 = 5: expected 0 <= D1 <= 1" --discount-fallback 5 5 5
usage_err "--discount-fallback -1 1 1" "--discount-fallback: expected no value or three discounts" --discount-fallback -1 1 1
usage_err "--prune 1" "prune threshold of the unigrams = 1: expected 0" --prune 1
usage_err "--prune 0 2 1" "prune thresholds 2 then 1: expected a non-decreasing sequence" --prune 0 2 1
for m in 0.5 100 0.1b; do
  usage_err "--memory $m" "--memory: expected a size with its unit \(b, K, M, G, T or % of the physical memory\).*, or 0 for no limit, got '$m'" --memory $m
done
expect_ok "--estimator abs --discount-fallback" "$LMPROB" train --quiet --order 2 --estimator abs --discount-fallback -o "$TMPD/ok.arpa" "$FIX"
expect_ok "--estimator addk --k 2 --nltk" "$LMPROB" train --quiet --order 2 --estimator addk --k 2 --nltk -o "$TMPD/ok.arpa" "$FIX"
expect_ok "--memory 0 is no limit, 8M a size" "$LMPROB" train --quiet --order 2 --memory 0 --count-tables 8M --discount-fallback -o "$TMPD/ok.arpa" "$FIX"
echo "just one sentence here" >"$TMPD/one.txt"
expect_fail "abs: no discount estimable" "absolute discounting discounts.*--discount D" "$LMPROB" train --order 2 --estimator abs -o "$TMPD/bad.arpa" "$TMPD/one.txt"
if [ -e "$TMPD/bad.arpa" ] || ls "$TMPD"/bad.arpa.tmp.* >/dev/null 2>&1; then bad "a failed run left a file"; else ok; fi
finish
