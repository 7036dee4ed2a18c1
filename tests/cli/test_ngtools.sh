# lmprob mix, prune and filter (docs/ngram-toolkit.md): a known EM answer, the
# merged model against the on-the-fly mixture, the hand-made pruning case,
# filtered models that score their texts as the full model, binary outputs,
# and bad input for each command (clear error, non-zero exit, no file left).
. "$(dirname "$0")/lib.sh"
FX=tests/fixtures/ngtools
EST=tests/fixtures/estimators.txt
PY=/usr/bin/python3

no_file() { # label path: the output and any temporary sibling must not exist
  if [ -e "$2" ] || ls "$2".tmp.* >/dev/null 2>&1; then bad "$1: output file left behind"; else ok; fi
}
json_field() { # file python-expression-on-d
  $PY -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"
}

for c in mix prune filter; do expect_out "$c --help" "usage: lmprob $c" "$LMPROB" $c --help; done
expect_out "filter --help: numbers kept bit for bit" "shortest decimal" "$LMPROB" filter --help

# ---- mix --------------------------------------------------------------------------------
# EM: 5 x's and 4 y's; A's weight maximises 5 log(.25 + .25 l) + 4 log(.5 - .25 l): l = 2/3
printf 'x x y x\ny y x\nx y\n' >"$TMPD/held.txt"
expect_ok "mix EM" "$LMPROB" mix "$FX/uni_a.arpa" "$FX/uni_b.arpa" --held-out "$TMPD/held.txt" --tol 1e-12 --json
cp "$TMPD/out" "$TMPD/em.json"
if [ "$(json_field "$TMPD/em.json" "abs(d['weights'][0] - 2/3) < 1e-7 and d['em']['converged']")" = True ]; then ok; else bad "EM weights: $(cat "$TMPD/em.json")"; fi

# two trigram models on two texts; the merged model's ppl equals the
# on-the-fly mixture's on a text whose every n-gram is in the union (the training
# texts), and differs on a text that backs off
sed -n '1,5p' "$EST" >"$TMPD/ta.txt"
sed -n '6,9p' "$EST" >"$TMPD/tb.txt"
"$LMPROB" train --quiet --order 3 --estimator wb -o "$TMPD/a.arpa" "$TMPD/ta.txt"
"$LMPROB" train --quiet --order 3 --estimator wb -o "$TMPD/b.arpa" "$TMPD/tb.txt"
cat "$TMPD/ta.txt" "$TMPD/tb.txt" >"$TMPD/both.txt"
expect_ok "mix merged + ppl" "$LMPROB" mix "$TMPD/a.arpa" "$TMPD/b.arpa" --weights 0.4,0.6 --output "$TMPD/m.arpa" --ppl "$TMPD/both.txt" --json
cp "$TMPD/out" "$TMPD/m.json"
if [ "$(json_field "$TMPD/m.json" "abs(d['ppl']['merged'] / d['ppl']['mixture'] - 1) < 1e-6")" = True ]; then ok; else bad "merged != mixture on the union's n-grams: $(cat "$TMPD/m.json")"; fi
printf 'the mat sat on a dog\ncat eat the log\n' >"$TMPD/other.txt"
# EM says how many of its tokens no model has (kept, with each model's <unk> probability, as SRILM's -unk):
# it did not, and compute-best-mix without -unk leaves them out
printf 'the zzqx of\nzzqy\n' >"$TMPD/oovs.txt"
"$LMPROB" mix "$TMPD/a.arpa" "$TMPD/b.arpa" --held-out "$TMPD/oovs.txt" --ppl "$TMPD/oovs.txt" --json >"$TMPD/out" 2>"$TMPD/err"
# as many as the mixture's own count of them (--ppl, as ppl counts), and at least the two made-up words
"$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); e=d["em"]["oov"]; sys.exit(not (e == d["ppl"]["oov"] and e >= 2))' "$TMPD/out" &&
  ok || bad "mix --held-out: its OOV count: $(cat "$TMPD/out" "$TMPD/err")"
# a model written to a full standard output: the one wording of every command's stdout (it read "-: write failed")
# (a model larger than stdio's buffer, so that a write fails before the last flush)
"$LMPROB" train --quiet --order 3 -o "$TMPD/big.arpa" "$SHARED/data/ptb/ptb.valid.txt"
for c in "model convert $TMPD/big.arpa -" "mix $TMPD/big.arpa $TMPD/big.arpa --weights 0.4,0.6 -o -" "prune $TMPD/big.arpa --threshold 1e-9 -o -"; do
  expect_fail "$c >/dev/full" "^lmprob: [a-z ]*: writing the results to standard output failed: No space left on device$" sh -c "'$LMPROB' $c >/dev/full"
done
: >"$TMPD/none.txt"
"$LMPROB" mix "$TMPD/a.arpa" "$TMPD/b.arpa" --weights 0.4,0.6 --ppl "$TMPD/none.txt" >"$TMPD/out" 2>"$TMPD/err"
# an empty --ppl text: nan and exit 0, as ppl, which says why on stderr (mix said nothing)
[ $? = 0 ] && grep -q 'nan' "$TMPD/out" && grep -q "mix: note: .*none.txt: no sentence to score" "$TMPD/err" && ok || bad "mix --ppl of an empty text: $(cat "$TMPD/out" "$TMPD/err")"
expect_ok "mix ppl on a backing-off text" "$LMPROB" mix "$TMPD/a.arpa" "$TMPD/b.arpa" --weights 0.4,0.6 --output "$TMPD/m2.arpa" --ppl "$TMPD/other.txt" --json
if [ "$(json_field "$TMPD/out" "abs(d['ppl']['merged'] / d['ppl']['mixture'] - 1) > 1e-4")" = True ]; then ok; else bad "merged == mixture where they should differ: $(cat "$TMPD/out")"; fi
# the merged ARPA scores like the ppl command says, and a binary output holds the same model
expect_ok "mix binary" "$LMPROB" mix "$TMPD/a.arpa" "$TMPD/b.arpa" --weights 0.4,0.6 --output "$TMPD/m.bin"
"$LMPROB" ppl "$TMPD/m.arpa" "$TMPD/other.txt" >"$TMPD/p1"; "$LMPROB" ppl "$TMPD/m.bin" "$TMPD/other.txt" >"$TMPD/p2"
expect_ok "binary = ARPA scores" cmp "$TMPD/p1" "$TMPD/p2"
expect_out "binary is binary" 'lmprob binary' "$LMPROB" model info "$TMPD/m.bin"
# the merged model is scored from memory, never read back: the same perplexity as ppl gives its file, with
# the output a FIFO (re-reading it hung for ever), /dev/null (failed after writing) or '-' (was skipped)
"$LMPROB" ppl --json "$TMPD/m2.arpa" "$TMPD/other.txt" >"$TMPD/p2.json"
want=$(json_field "$TMPD/p2.json" "repr(d['perplexity'])")
mkfifo "$TMPD/fifo"
cat "$TMPD/fifo" >"$TMPD/from_fifo" &
reader=$!
for o in "$TMPD/fifo" /dev/null -; do
  timeout 60 "$LMPROB" mix "$TMPD/a.arpa" "$TMPD/b.arpa" --weights 0.4,0.6 --output "$o" --ppl "$TMPD/other.txt" --json \
    >"$TMPD/mo.out" 2>"$TMPD/mo.json"
  rc=$?
  [ "$o" = - ] || cp "$TMPD/mo.out" "$TMPD/mo.json"
  got=$(json_field "$TMPD/mo.json" "repr(d['ppl'].get('merged'))" 2>/dev/null)
  if [ $rc = 0 ] && [ "$got" = "$want" ]; then ok; else bad "mix --output $o --ppl: exit $rc, merged $got, ppl of the file $want"; fi
done
{ wait $reader; } 2>/dev/null
if cmp -s <(grep -v '^# lmprob command' "$TMPD/from_fifo") <(grep -v '^# lmprob command' "$TMPD/m2.arpa"); then ok; else bad "mix --output FIFO: its reader got another model"; fi

# what the merged model is: its metadata (docs/ngram-model.md), and models of different tokens refused
expect_out "mix metadata: estimator" '^# lmprob estimator: mix: 0\.4 \(wb\) \+ 0\.6 \(wb\)$' cat "$TMPD/m.arpa"
expect_out "mix metadata: command" '^# lmprob command: lmprob mix ' cat "$TMPD/m.arpa"
"$LMPROB" train --quiet --order 2 --estimator wb --mode char -o "$TMPD/c.arpa" "$TMPD/ta.txt"
expect_fail "mix word and char models" "model 1 has word tokens and model 2 char tokens" "$LMPROB" mix "$TMPD/a.arpa" "$TMPD/c.arpa" --output "$TMPD/x.arpa"
no_file "mix word and char models" "$TMPD/x.arpa"
expect_fail "mix one model" "expected at least two models" "$LMPROB" mix "$TMPD/a.arpa" --ppl "$TMPD/both.txt"
expect_fail "mix nothing to do" "expected something to do" "$LMPROB" mix "$TMPD/a.arpa" "$TMPD/b.arpa"
expect_fail "mix weights sum" "--weights: expected 2 weights in \[0, 1\] summing to 1 \(within 1e-6\), got '0.5,0.6' \(2 values, sum 1.1\)" "$LMPROB" mix "$TMPD/a.arpa" "$TMPD/b.arpa" --weights 0.5,0.6 --ppl "$TMPD/both.txt"
expect_fail "mix weights that miss 1 by 2.4e-6" "sum 0.999997611" "$LMPROB" mix "$TMPD/a.arpa" "$TMPD/b.arpa" --weights 0.8854594464538782,0.11453816491879196 --ppl "$TMPD/both.txt"
expect_fail "mix weights count" "expected 2 weights" "$LMPROB" mix "$TMPD/a.arpa" "$TMPD/b.arpa" --weights 1 --ppl "$TMPD/both.txt"
expect_fail "mix weights text" "--weights" "$LMPROB" mix "$TMPD/a.arpa" "$TMPD/b.arpa" --weights half,half --ppl "$TMPD/both.txt"
expect_fail "mix EM from 0" "EM starts from weights > 0" "$LMPROB" mix "$TMPD/a.arpa" "$TMPD/b.arpa" --weights 1,0 --held-out "$TMPD/both.txt"
expect_fail "mix missing model" "nope.arpa.*cannot open" "$LMPROB" mix "$TMPD/a.arpa" "$TMPD/nope.arpa" --output "$TMPD/x.arpa"
no_file "mix missing model" "$TMPD/x.arpa"
printf '\\data\\\nngram 1=2\n\n\\1-grams:\n-1\ta\n' >"$TMPD/trunc.arpa"
expect_fail "mix corrupt model" "trunc.arpa:[0-9]+: truncated" "$LMPROB" mix "$TMPD/a.arpa" "$TMPD/trunc.arpa" --output "$TMPD/x.arpa"
no_file "mix corrupt model" "$TMPD/x.arpa"
expect_fail "mix missing held-out" "nope.txt" "$LMPROB" mix "$TMPD/a.arpa" "$TMPD/b.arpa" --held-out "$TMPD/nope.txt" --output "$TMPD/x.arpa"
no_file "mix missing held-out" "$TMPD/x.arpa"
: >"$TMPD/empty.txt"
expect_fail "mix empty held-out" "empty.txt: empty held-out text" "$LMPROB" mix "$TMPD/a.arpa" "$TMPD/b.arpa" --held-out "$TMPD/empty.txt" --output "$TMPD/x.arpa"
no_file "mix empty held-out" "$TMPD/x.arpa"
# standard input is named as every reader names it (it was "-: empty held-out text")
expect_fail "mix empty held-out from stdin" "^lmprob: mix: <stdin>: empty held-out text" sh -c "'$LMPROB' mix '$TMPD/a.arpa' '$TMPD/b.arpa' --held-out - --output '$TMPD/x.arpa' </dev/null"
expect_fail "mix output dir missing" "output: .*nodir" "$LMPROB" mix "$TMPD/a.arpa" "$TMPD/b.arpa" --output "$TMPD/nodir/x.arpa"
expect_fail "mix --tol" "--tol: expected a tolerance > 0" "$LMPROB" mix "$TMPD/a.arpa" "$TMPD/b.arpa" --held-out "$TMPD/both.txt" --tol 0
expect_fail "mix bad option" "unknown option '--frobnicate'" "$LMPROB" mix "$TMPD/a.arpa" "$TMPD/b.arpa" --frobnicate

# ---- prune ------------------------------------------------------------------------------
# The hand-made case: at T = .005 only "b a" goes (its change .00103; the next is .0209),
# with D = .2 * KL(p(.|b) || p'(.|b)) = .00044698532 (log10 units)
expect_ok "prune hand" "$LMPROB" prune "$FX/hand.arpa" --threshold 0.005 --output "$TMPD/h.arpa" --json
cp "$TMPD/out" "$TMPD/h.json"
if [ "$(json_field "$TMPD/h.json" "d['after'] == [5, 3] and abs(d['delta_h10'] - 0.00044698532) < 2e-9")" = True ]; then ok; else bad "prune hand: $(cat "$TMPD/h.json")"; fi
expect_out "b a is gone" '^ngram 2=3$' cat "$TMPD/h.arpa"
if grep -q '	b a$' "$TMPD/h.arpa"; then bad "b a still in the pruned model"; else ok; fi
# p(a | b) is now the unigram .4 (b's backoff 1): KenLM-style scoring through ppl
printf 'b a\n' >"$TMPD/ba.txt"
expect_out "p(a|b) after pruning" '"log10_prob": -0\.39794' "$LMPROB" ppl --per-token --json "$TMPD/h.arpa" "$TMPD/ba.txt"
expect_out "prune .022" '2-grams +4 -> +2' "$LMPROB" prune "$FX/hand.arpa" --threshold 0.022 --output "$TMPD/h2.bin"
expect_out "prune binary" 'lmprob binary' "$LMPROB" model info "$TMPD/h2.bin"
"$LMPROB" prune "$TMPD/a.arpa" --threshold 0.01 --output "$TMPD/ap.arpa" >/dev/null
expect_out "prune metadata" '^# lmprob estimator: wb, entropy-pruned at 0\.01 \(orders >= 2\)$' cat "$TMPD/ap.arpa"
expect_fail "prune no threshold" "--threshold: expected a relative perplexity change T > 0, got none" "$LMPROB" prune "$FX/hand.arpa" --output "$TMPD/x.arpa"
expect_fail "prune threshold 0" "--threshold: expected a relative perplexity change T > 0, got '0'" "$LMPROB" prune "$FX/hand.arpa" --threshold 0 --output "$TMPD/x.arpa"
expect_fail "prune threshold text" "--threshold" "$LMPROB" prune "$FX/hand.arpa" --threshold tiny --output "$TMPD/x.arpa"
# any finite T > 0: the library refused T >= 1e300 ("expected T > 0") although the CLI took it up to 1e300
for t in 1e300 1.7e308; do
  expect_out "prune threshold $t prunes all it may" '2-grams +4 -> +0' "$LMPROB" prune "$FX/hand.arpa" --threshold $t --output "$TMPD/x.arpa"
done
rm -f "$TMPD/x.arpa"
expect_fail "prune threshold past a double" "--threshold: '2e308' is out of the range of a double" "$LMPROB" prune "$FX/hand.arpa" --threshold 2e308 --output "$TMPD/x.arpa"
expect_fail "prune no output" "--output: expected an output file" "$LMPROB" prune "$FX/hand.arpa" --threshold 1e-6
expect_fail "prune min order 1" "--min-order: expected an order from 2 to 8" "$LMPROB" prune "$FX/hand.arpa" --threshold 1e-6 --min-order 1 --output "$TMPD/x.arpa"
# above the model's order nothing would be pruned: said, not done in silence (the default 2 stays quiet on a unigram model)
expect_fail "prune min order above the model's" "--min-order 3: .*hand.arpa is a model of order 2: expected at most 2" "$LMPROB" prune "$FX/hand.arpa" --threshold 1e-6 --min-order 3 --output "$TMPD/x.arpa"
expect_fail "prune missing model" "nope.arpa" "$LMPROB" prune "$TMPD/nope.arpa" --threshold 1e-6 --output "$TMPD/x.arpa"
expect_fail "prune corrupt model" "truncated" "$LMPROB" prune "$TMPD/trunc.arpa" --threshold 1e-6 --output "$TMPD/x.arpa"
no_file "prune failures" "$TMPD/x.arpa"

# ---- filter -----------------------------------------------------------------------------
"$LMPROB" train --quiet --order 3 --estimator wb -o "$TMPD/full.arpa" "$EST"
printf 'the cat sat on the mat\na dog\n' >"$TMPD/u.txt"
expect_ok "filter union" "$LMPROB" filter "$TMPD/full.arpa" --union "$TMPD/u.txt" --output "$TMPD/fu.arpa"
expect_ok "filter vocab" "$LMPROB" filter "$TMPD/full.arpa" --vocab "$TMPD/u.txt" --output "$TMPD/fv.bin"
# the filtered models score the lines of the file exactly as the full model does
for f in fu.arpa fv.bin; do
  "$LMPROB" ppl --json "$TMPD/full.arpa" "$TMPD/u.txt" >"$TMPD/pf.json"
  "$LMPROB" ppl --json "$TMPD/$f" "$TMPD/u.txt" >"$TMPD/pg.json"
  if $PY -c "import json,sys; a=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2])); sys.exit(0 if a['log10_prob'] == b['log10_prob'] and a['oov'] == b['oov'] == 0 else 1)" "$TMPD/pf.json" "$TMPD/pg.json"; then ok; else bad "filter $f changed the scores"; fi
done
expect_out "union drops cross-line n-grams" '^ngram 1=10$' cat "$TMPD/fu.arpa"
expect_out "filter metadata" '^# lmprob vocab: all, filtered \(union\) to ' cat "$TMPD/fu.arpa"
# a union text with no word of the model: the markers only (its empty list of pairs went to qsort as NULL: UB)
printf 'zzz qqq\n' >"$TMPD/none.txt"
expect_ok "filter union of no model word" "$LMPROB" filter "$TMPD/full.arpa" --union "$TMPD/none.txt" --output "$TMPD/fn.arpa"
if grep -q "runtime error" "$TMPD/err"; then bad "filter union of no model word: $(cat "$TMPD/err")"; else ok; fi
expect_out "filter union of no model word: <s>, </s>, <unk>" '^ngram 1=3$' cat "$TMPD/fn.arpa"
if grep -qE '	(the dog|a cat)$' "$TMPD/fu.arpa"; then bad "union kept a bigram whose words are on two lines"; else ok; fi
# a trie model in, a trie model out: the same scores as the ARPA route
"$LMPROB" train --quiet --order 3 --estimator wb -o "$TMPD/full.trie" "$EST"
expect_ok "filter a trie into a trie" "$LMPROB" filter "$TMPD/full.trie" --union "$TMPD/u.txt" --output "$TMPD/fu.trie"
"$LMPROB" ppl --json "$TMPD/fu.arpa" "$TMPD/u.txt" >"$TMPD/pa.json"; "$LMPROB" ppl --json "$TMPD/fu.trie" "$TMPD/u.txt" >"$TMPD/pt.json"
if $PY -c "import json,sys; a=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2])); sys.exit(0 if a['log10_prob'] == b['log10_prob'] else 1)" "$TMPD/pa.json" "$TMPD/pt.json"; then ok; else bad "trie filter scores differ"; fi
expect_out "trie output is a trie" 'trie layout' "$LMPROB" model info "$TMPD/fu.trie"
: >"$TMPD/nowords.txt"
"$LMPROB" filter "$TMPD/full.arpa" --vocab "$TMPD/nowords.txt" --output "$TMPD/x.arpa" 2>"$TMPD/err"
# a word list without words: refused (exit 1), as train's --vocab; it wrote a model of <s>, </s> and <unk>
[ $? = 1 ] && grep -q "nowords.txt: the word list has no words" "$TMPD/err" && [ ! -e "$TMPD/x.arpa" ] && ok || bad "filter, no words: $(cat "$TMPD/err")"
expect_fail "filter no mode" "expected one of --vocab FILE or --union FILE, got 0" "$LMPROB" filter "$TMPD/full.arpa" --output "$TMPD/x.arpa"
expect_fail "filter two modes" "got 2" "$LMPROB" filter "$TMPD/full.arpa" --vocab "$TMPD/u.txt" --union "$TMPD/u.txt" --output "$TMPD/x.arpa"
expect_fail "filter missing vocab" "nope.txt.*cannot open" "$LMPROB" filter "$TMPD/full.arpa" --vocab "$TMPD/nope.txt" --output "$TMPD/x.arpa"
printf 'caf\xc3 bad\n' >"$TMPD/badutf.txt"
# the words of a text to score are bytes (as ppl and KenLM's query read them): a word with invalid UTF-8 is
# one the model lacks, not an error (it was refused here, while ppl scored the same text)
expect_out "filter: invalid UTF-8 is a word" '1-grams +[0-9]+ -> +3$' "$LMPROB" filter "$TMPD/full.arpa" --vocab "$TMPD/badutf.txt" --output "$TMPD/fb.arpa"
expect_fail "filter missing model" "nope.arpa" "$LMPROB" filter "$TMPD/nope.arpa" --vocab "$TMPD/u.txt" --output "$TMPD/x.arpa"
expect_fail "filter no output" "--output: expected an output file" "$LMPROB" filter "$TMPD/full.arpa" --vocab "$TMPD/u.txt"
no_file "filter failures" "$TMPD/x.arpa"
expect_fail "mix --weights empty: what is expected" "--weights: expected weights, comma-separated, got ''" "$LMPROB" mix "$TMPD/a.arpa" "$TMPD/b.arpa" --weights '' --output "$TMPD/m3.arpa"
finish
