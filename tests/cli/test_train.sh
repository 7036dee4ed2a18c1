# lmprob train: usage, outputs, the error cases (no partial file left), spilling,
# compressed and stdin input, and (when KENLM_BIN is set) the KenLM comparison.
. "$(dirname "$0")/lib.sh"
FIX=tests/fixtures/train_small.txt

# same_model label a b: the two ARPA files are identical but for the command line they record
same_model() {
  if cmp -s <(grep -v '^# lmprob command: ' "$2") <(grep -v '^# lmprob command: ' "$3"); then ok; else bad "$1: $2 and $3 differ"; fi
}
no_file() { # label path: the output file and any temporary sibling must not exist
  if [ -e "$2" ] || ls "$2".*tmp* >/dev/null 2>&1; then bad "$1: output file left behind"; else ok; fi
}

expect_out "--help" 'usage: lmprob train' "$LMPROB" train --help
expect_fail "no order" '--order: expected an n-gram order' "$LMPROB" train --output "$TMPD/x.arpa" "$FIX"
expect_fail "no output" '--output: expected an output file' "$LMPROB" train --order 3 "$FIX"
expect_ok "--estimator absolute (abs)" "$LMPROB" train --order 2 --estimator absolute --discount 0.5 --quiet -o "$TMPD/abs.arpa" "$FIX"
grep -q '^# lmprob estimator: abs D=0.5$' "$TMPD/abs.arpa" && ok || bad "--estimator absolute: its record: $(grep estimator "$TMPD/abs.arpa")"
# @LIST: the listed files as one text, as lmprob-mpi reads them (the command a model of lmprob-mpi records;
# lmprob train said "@LIST: cannot open"): equal to the model of their concatenation, a gzip file and a last
# line without a newline included
head -n 40 "$FIX" >"$TMPD/l1.txt"; tail -n +41 "$FIX" | gzip >"$TMPD/l2.txt.gz"; printf 'a b c' >"$TMPD/l3.txt"
printf '%s\n' "$TMPD/l1.txt" "$TMPD/l2.txt.gz" "$TMPD/l3.txt" >"$TMPD/list"
{ cat "$TMPD/l1.txt"; gzip -dc "$TMPD/l2.txt.gz"; cat "$TMPD/l3.txt"; echo; } >"$TMPD/lcat.txt"
"$LMPROB" train --order 3 --discount-fallback --quiet -o "$TMPD/list.arpa" "@$TMPD/list" &&
  "$LMPROB" train --order 3 --discount-fallback --quiet -o "$TMPD/lcat.arpa" "$TMPD/lcat.txt" &&
  cmp -s <(grep -v '^#' "$TMPD/list.arpa") <(grep -v '^#' "$TMPD/lcat.arpa") && ok || bad "train @LIST: not the model of the concatenation"
printf '%s\n' "$TMPD/l1.txt" "$TMPD/nothere.txt" >"$TMPD/list2"
expect_fail "train @LIST with a missing file" "nothere.txt: cannot open" "$LMPROB" train --order 3 --quiet -o "$TMPD/x.arpa" "@$TMPD/list2"
expect_fail "train @LIST naming stdin" "file 1 of 1 is '-' \(standard input\): expected a file name" sh -c "printf -- '-\n' >'$TMPD/list3'; '$LMPROB' train --order 3 -o '$TMPD/x.arpa' @'$TMPD/list3' </dev/null"
[ -e "$TMPD/x.arpa" ] && bad "a refused @LIST left a model" || ok
expect_fail "bad estimator" "--estimator: expected mkn, kn, addk, mle, wb, katz, abs or stupid, got 'foo'" "$LMPROB" train --order 3 --estimator foo -o "$TMPD/x.arpa" "$FIX"
expect_fail "bad memory" "--memory: expected a size" "$LMPROB" train --order 3 --memory lots -o "$TMPD/x.arpa" "$FIX"
# the number as every option reads one (fortieth session: strtod took hexadecimal and a leading space)
for m in 0x10M ' 1G' 0x1p4M; do
  expect_fail "--memory '$m'" "--memory: expected a size" "$LMPROB" train --order 3 --memory "$m" -o "$TMPD/x.arpa" "$FIX"
done
expect_ok "--memory 1.5G" "$LMPROB" train --quiet --order 3 --discount-fallback --memory 1.5G -o "$TMPD/x.arpa" "$FIX"

# A model, and its summary.
expect_out "train order 3" '3-grams +56 +D1=0.728814' "$LMPROB" train --order 3 --output "$TMPD/m3.arpa" "$FIX"
expect_out "header counts" '^ngram 3=56$' cat "$TMPD/m3.arpa"
expect_out "json summary" '"ngrams": \[16, 38, 56\], "discounts": \[\[0\.14285714' "$LMPROB" train --order 3 --json --output "$TMPD/m3j.arpa" "$FIX"
expect_out "<s> unigram is -99" '^-99	<s>	' cat "$TMPD/m3.arpa"
# lmplz -o 3 on the same file prints -0.83314323 (tests/fixtures/train_small.kenlm3.arpa)
expect_out "KenLM's value for 'the cat sat'" '^-0\.833143[0-9]*	the cat sat$' cat "$TMPD/m3.arpa"

# An output named *.gz or *.xz is written compressed, as SRILM writes it (it was plain text under that
# name), by train, prune, filter, mix and model convert; a binary layout is never compressed (usage error).
magic() { od -An -tx1 -N6 "$1" | tr -d ' \n'; }
for z in gz xz; do
  expect_ok "train --output .arpa.$z" "$LMPROB" train --quiet --order 3 --output "$TMPD/z.arpa.$z" "$FIX"
  case $z in gz) want=1f8b ;; xz) want=fd377a585a00 ;; esac
  case $(magic "$TMPD/z.arpa.$z") in "$want"*) ok ;; *) bad "train --output .arpa.$z: not $z: $(magic "$TMPD/z.arpa.$z")" ;; esac
  case $z in gz) gzip -dc "$TMPD/z.arpa.$z" ;; xz) xz -dc "$TMPD/z.arpa.$z" ;; esac >"$TMPD/z.arpa" 2>/dev/null
  same_model "train --output .arpa.$z holds the model" "$TMPD/m3.arpa" "$TMPD/z.arpa"
  "$LMPROB" prune "$TMPD/m3.arpa" --threshold 1e-3 --output "$TMPD/p.arpa.$z" >/dev/null
  "$LMPROB" filter "$TMPD/m3.arpa" --vocab "$FIX" --output "$TMPD/f.arpa.$z" >/dev/null
  "$LMPROB" mix "$TMPD/m3.arpa" "$TMPD/m3.arpa" --output "$TMPD/x.arpa.$z" >/dev/null
  "$LMPROB" model convert "$TMPD/m3.arpa" "$TMPD/c.$z"
  for f in p.arpa f.arpa x.arpa c; do
    case $(magic "$TMPD/$f.$z") in "$want"*) ok ;; *) bad "$f.$z: not $z" ;; esac
  done
  expect_out "ppl reads .arpa.$z" 'Perplexity including OOVs' "$LMPROB" ppl "$TMPD/c.$z" "$FIX"
done
"$LMPROB" ppl "$TMPD/m3.arpa" "$FIX" >"$TMPD/p1"; "$LMPROB" ppl "$TMPD/z.arpa.xz" "$FIX" >"$TMPD/p2"
expect_ok "the compressed model scores as the plain one" cmp "$TMPD/p1" "$TMPD/p2"
for c in "train --order 2 --output $TMPD/b.bin.gz $FIX" "prune $TMPD/m3.arpa --threshold 1e-3 --output $TMPD/b.trie.xz" \
         "model convert --to binary $TMPD/m3.arpa $TMPD/b.gz" "model convert $TMPD/m3.arpa $TMPD/b.bin.xz"; do
  "$LMPROB" $c >/dev/null 2>"$TMPD/err"; rc=$?
  if [ $rc = 2 ] && grep -q "a binary model is mapped into memory, never compressed" "$TMPD/err"; then ok; else bad "$c: exit $rc: $(cat "$TMPD/err")"; fi
done
# --quiet on a terminal: nothing printed (the stages, "[ 0.01s 3 MiB] read", were shown there all the same)
if have_tty; then
  on_tty "$TMPD/tty" "'$LMPROB' train --order 2 --discount-fallback --quiet --output '$TMPD/q.arpa' '$FIX'"
  [ -s "$TMPD/q.arpa" ] && [ ! -s "$TMPD/tty" ] && ok || bad "train --quiet on a terminal printed: $(head -c 300 "$TMPD/tty")"
  on_tty "$TMPD/tty" "'$LMPROB' train --order 2 --discount-fallback --output '$TMPD/q.arpa' '$FIX'"
  grep -q 'MiB\]' "$TMPD/tty" && ok || bad "train on a terminal showed no stages: $(head -c 300 "$TMPD/tty")"
else echo "SKIP: --quiet on a terminal (no script(1))"; fi
# a compression lmprob does not write: refused by every command that writes a model (train wrote plain ARPA
# under x.arpa.bz2, which loaded since the reader sniffs the bytes); nothing is written
for c in "train --order 2 --discount-fallback --output $TMPD/u.arpa.bz2 $FIX" "prune $TMPD/m3.arpa --threshold 1e-3 --output $TMPD/u.arpa.zst" \
         "mix $TMPD/m3.arpa $TMPD/m3.arpa --output $TMPD/u.lz4" "filter $TMPD/m3.arpa --vocab $FIX --output $TMPD/u.arpa.lzma" \
         "model convert --to arpa $TMPD/m3.arpa $TMPD/u.arpa.bz2" "demo uniform --output $TMPD/u.arpa.zst $FIX"; do
  "$LMPROB" $c >/dev/null 2>"$TMPD/err"; rc=$?
  if [ $rc = 2 ] && grep -Eq "gzip \(.gz\) or xz \(.xz\) only|another compression's suffix" "$TMPD/err" && ! ls "$TMPD"/u.* >/dev/null 2>&1
  then ok; else bad "$c: exit $rc: $(cat "$TMPD/err")"; fi
done
# a write that fails while compressing (a file-size limit: the first compressed block does not fit): exit 1,
# the reason named, no file left
head -c 20000 /dev/urandom | od -An -tx1 | tr -s ' \n' '\n\n' | paste -sd' ' | fold -w 60 >"$TMPD/noise.txt"
sh -c "ulimit -f 4; '$LMPROB' train --quiet --order 2 --discount-fallback --output '$TMPD/lim.arpa.gz' '$TMPD/noise.txt'; echo rc=\$? >'$TMPD/rc'" 2>"$TMPD/err"
if grep -q 'rc=1' "$TMPD/rc" && grep -Eq 'lim.arpa.gz: write failed.*File too large' "$TMPD/err"; then ok; else bad "compressed write past a size limit: $(cat "$TMPD/rc" "$TMPD/err")"; fi
no_file "compressed write past a size limit" "$TMPD/lim.arpa.gz"

# The same model from stdin, gzip and xz input, and with a tiny memory budget (spilled runs).
expect_ok "stdin" sh -c "'$LMPROB' train --quiet --order 3 --output '$TMPD/stdin.arpa' - < '$FIX'"
same_model "stdin same model" "$TMPD/m3.arpa" "$TMPD/stdin.arpa"
gzip -c "$FIX" >"$TMPD/f.gz"
expect_ok "gzip" "$LMPROB" train --quiet --order 3 --output "$TMPD/gz.arpa" "$TMPD/f.gz"
same_model "gzip same model" "$TMPD/m3.arpa" "$TMPD/gz.arpa"
if command -v xz >/dev/null; then
  xz -c "$FIX" >"$TMPD/f.xz"
  expect_ok "xz" "$LMPROB" train --quiet --order 3 --output "$TMPD/xz.arpa" "$TMPD/f.xz"
  same_model "xz same model" "$TMPD/m3.arpa" "$TMPD/xz.arpa"
fi
PTB=../shared/data/ptb/ptb.train.txt
if [ -f "$PTB" ]; then head -n 20000 "$PTB" >"$TMPD/ptb20k"; else for i in $(seq 300); do cat "$FIX"; done >"$TMPD/ptb20k"; fi
expect_ok "unlimited memory" "$LMPROB" train --quiet --order 4 --output "$TMPD/big.arpa" "$TMPD/ptb20k"
# --memory bounds the whole training: a text that repeats itself ten times has ten times
# the records of its distinct n-grams, so a budget that holds the model leaves tables
# small enough to spill dozens of runs.
head -n 2000 "$TMPD/ptb20k" >"$TMPD/ptb2k"
for i in $(seq 10); do cat "$TMPD/ptb2k"; done >"$TMPD/rep"
expect_ok "repeated text, default memory" "$LMPROB" train --quiet --order 4 --discount-fallback --output "$TMPD/rep.arpa" "$TMPD/rep"
expect_out "a 10 MB budget spills" 'sorted runs spilled to disk' "$LMPROB" train --order 4 --discount-fallback --memory 10M --temp-dir "$TMPD" --output "$TMPD/small.arpa" "$TMPD/rep"
same_model "spilled model identical" "$TMPD/rep.arpa" "$TMPD/small.arpa"
"$LMPROB" train --json --order 4 --discount-fallback --memory 10M --temp-dir "$TMPD" --output "$TMPD/small.arpa" "$TMPD/rep" >"$TMPD/mem.json"
read -r peak runs < <(/usr/bin/python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(d["peak_bytes"], d["spilled_runs"])' "$TMPD/mem.json")
# 10 MiB less the quarter kept for the program's own buffers; at least ten runs on disk
if [ "${peak:-0}" -gt 1000000 ] && [ "$peak" -le 7864320 ] && [ "${runs:-0}" -ge 10 ]; then ok
else bad "peak_bytes $peak, spilled_runs $runs: expected at most 7.5 MiB and at least 10 runs"; fi
# a line over train's line limit names where the limit comes from (the reader's message alone did not)
awk 'BEGIN { printf "a "; for (i = 0; i < 200000; i++) printf "x"; printf "\n" }' >"$TMPD/longline.txt"
expect_fail "a long line names --memory" "longline\.txt:1: line longer than 131072 bytes: .*an eighth of --memory" \
  "$LMPROB" train --order 2 --memory 1M --output "$TMPD/no.arpa" "$TMPD/longline.txt"
expect_fail "a budget too small names what it needs" 'training needs [0-9.]+ [KM]iB more for the token stream .*within memory 1.0 MiB [(]lmprob train --memory' "$LMPROB" train --order 4 --memory 1M --output "$TMPD/no.arpa" "$TMPD/rep"
# A --vocab word list is taken from the budget as it is read (twenty-fourth session: 17 million
# words were read whole under --memory 64M, 2 GB, then refused with "needs 0 KiB more for the
# counting tables"); a list that fits gives the model of a budget without limit.
seq 1 1000000 | sed 's/^/w/' >"$TMPD/words1m"
expect_fail "a --vocab list over --memory is refused as it is read" 'training needs [0-9.]+ MiB more for the word list of --vocab, with' "$LMPROB" train --order 2 --discount-fallback --memory 24M --vocab "$TMPD/words1m" --output "$TMPD/no.arpa" "$FIX"
if grep -q 'needs 0 KiB' "$TMPD/err"; then bad "a refusal of 0 KiB: $(cat "$TMPD/err")"; else ok; fi
tr ' ' '\n' <"$FIX" | sort -u | head -n 8 >"$TMPD/few_words"
"$LMPROB" train --quiet --order 2 --discount-fallback --memory 0 --vocab "$TMPD/few_words" --output "$TMPD/vocab0.arpa" "$FIX"
# an empty list (or one of sentence markers only) made every word <unk>, and the error was a Kneser-Ney discount's
expect_fail "an empty --vocab list says so" "/dev/null: the vocabulary list \\(--vocab, vocab_file=\\) has no words" "$LMPROB" train --order 2 --vocab /dev/null --output "$TMPD/no.arpa" "$FIX"
expect_ok "a --vocab list within --memory 24M" "$LMPROB" train --quiet --order 2 --discount-fallback --memory 24M --vocab "$TMPD/few_words" --output "$TMPD/vocab24.arpa" "$FIX"
if cmp -s <(grep -v '^# lmprob command' "$TMPD/vocab0.arpa") <(grep -v '^# lmprob command' "$TMPD/vocab24.arpa"); then ok; else bad "--vocab under a budget: another model"; fi
no_file "no output after a refused budget" "$TMPD/no.arpa"
if ls "$TMPD"/lmprob-train-* >/dev/null 2>&1; then bad "temporary runs left in $TMPD"; else ok; fi
expect_ok "one thread" "$LMPROB" train --quiet --order 4 --threads 1 --output "$TMPD/one.arpa" "$TMPD/ptb20k"
same_model "one thread identical" "$TMPD/big.arpa" "$TMPD/one.arpa"

# What the model records of itself, in the ARPA header (comments KenLM, IRSTLM and Sphinx skip).
expect_out "meta tokens" '^# lmprob tokens: word$' cat "$TMPD/m3.arpa"
expect_out "meta vocab" '^# lmprob vocab: all$' cat "$TMPD/m3.arpa"
expect_out "meta estimator" '^# lmprob estimator: mkn$' cat "$TMPD/m3.arpa"
expect_out "meta command" "^# lmprob command: lmprob train --order 3 --output $TMPD/m3.arpa $FIX\$" cat "$TMPD/m3.arpa"
expect_out "meta min-count" '^# lmprob vocab: min-count 3$' sh -c "'$LMPROB' train --quiet --order 2 --min-count 3 --discount-fallback --output - '$FIX'"
mkdir -p "$TMPD/a b"
expect_out "meta quoted command" "^# lmprob command: .*--temp-dir '$TMPD/a b' " sh -c "'$LMPROB' train --quiet --order 2 --discount-fallback --temp-dir '$TMPD/a b' --output - '$FIX'"
# Straight to the binary layouts: the same per-token scores as through the ARPA file.
expect_ok "train to .bin" "$LMPROB" train --quiet --order 3 --output "$TMPD/m3.bin" "$FIX"
expect_ok "train to .trie" "$LMPROB" train --quiet --order 3 --output "$TMPD/m3.trie" "$FIX"
expect_out "binary keeps the record" '^tokens:.word' "$LMPROB" model info "$TMPD/m3.bin"
expect_out "trie keeps the record" '^command:.lmprob train --quiet --order 3' "$LMPROB" model info "$TMPD/m3.trie"
"$LMPROB" ppl --per-token "$TMPD/m3.arpa" "$FIX" >"$TMPD/pa"
"$LMPROB" ppl --per-token "$TMPD/m3.bin" "$FIX" >"$TMPD/pb"
"$LMPROB" ppl --per-token "$TMPD/m3.trie" "$FIX" >"$TMPD/pt"
if [ -s "$TMPD/pa" ] && cmp -s "$TMPD/pa" "$TMPD/pb" && cmp -s "$TMPD/pa" "$TMPD/pt"; then ok; else bad "train to .bin/.trie: scores differ from the ARPA's"; fi
# A char model is scored in char mode by default, and word mode is refused.
expect_ok "char model" "$LMPROB" train --quiet --order 3 --mode char --discount-fallback --output "$TMPD/c3.arpa" "$FIX"
"$LMPROB" ppl --mode char "$TMPD/c3.arpa" "$FIX" >"$TMPD/c_explicit"
expect_ok "char model: mode from the record" sh -c "'$LMPROB' ppl '$TMPD/c3.arpa' '$FIX' > '$TMPD/c_default'"
if cmp -s "$TMPD/c_explicit" "$TMPD/c_default"; then ok; else bad "char model: the default mode is not char"; fi
expect_fail "char model in word mode" "trained on char tokens.*expected --mode char" "$LMPROB" ppl --mode word "$TMPD/c3.arpa" "$FIX"
"$LMPROB" ppl --mode word "$TMPD/c3.arpa" "$FIX" >/dev/null 2>&1; [ $? -eq 2 ] && ok || bad "mode mismatch: exit code is not 2"

# A 1 MB word (issue 11): the ARPA writer formats into two fixed 1 MiB buffers and writes a longer
# line in pieces (it used to ask for 2 x 16384 x (80 + order x (longest word + 1)) bytes, about
# 100 GB here, fail, and under ASan abort leaving its temporary file behind).
head -c 1048576 /dev/zero | tr '\0' 'w' >"$TMPD/bigword"
{ echo "a b c"; printf 'a '; cat "$TMPD/bigword"; echo ' c'; echo "a b"; echo "b c"; } >"$TMPD/bigw.txt"
expect_ok "1 MB word: train" "$LMPROB" train --quiet --order 3 --discount-fallback --output "$TMPD/bigw.arpa" "$TMPD/bigw.txt"
if python3 -c '
import sys
w = open(sys.argv[1]).read()
sys.exit(0 if any(l.rstrip("\n").split("\t")[1:2] == ["a " + w + " c"] for l in open(sys.argv[2])) else 1)' "$TMPD/bigword" "$TMPD/bigw.arpa"; then ok; else bad "1 MB word: its trigram is not in the ARPA file whole"; fi
expect_out "1 MB word: the model scores" "OOVs:	0" "$LMPROB" ppl "$TMPD/bigw.arpa" "$TMPD/bigw.txt"
# Within a training budget (--memory bounds writing too), and straight to the binary layout.
# The token stream's last doubling may not fit while the stream does: it grows into what is left and
# gives the slack back (twenty-fourth session: 1.3 million tokens, 5.2 MB, were refused under --memory
# 12M, "needs 8.0 MiB more for the token stream, with 4.0 MiB already in use"; a 3 GB stream under 6G).
yes "a b c d e f g h i j k l m n o p q r s t" | head -n 62000 >"$TMPD/abc"
"$LMPROB" train --quiet --order 2 --discount-fallback --memory 0 --output "$TMPD/abc0.arpa" "$TMPD/abc"
expect_ok "a token stream that fits after its last growth (--memory 12M)" "$LMPROB" train --quiet --order 2 --discount-fallback --memory 12M --temp-dir "$TMPD" --output "$TMPD/abc12.arpa" "$TMPD/abc"
same_model "the same model under --memory 12M" "$TMPD/abc0.arpa" "$TMPD/abc12.arpa"
# --memory 0 is no limit: lines up to the reader's own 256 MiB (it allowed 64 KiB, an eighth of 0 raised to
# the floor; twenty-fourth session)
expect_ok "1 MB word: train --memory 0 (no limit)" "$LMPROB" train --quiet --order 3 --discount-fallback --memory 0 --output "$TMPD/bigw0.arpa" "$TMPD/bigw.txt"
expect_ok "1 MB word: train --memory 32M" "$LMPROB" train --quiet --order 3 --discount-fallback --memory 32M --output "$TMPD/bigw32.arpa" "$TMPD/bigw.txt"
same_model "1 MB word: the same model within 32M" "$TMPD/bigw.arpa" "$TMPD/bigw32.arpa"
expect_ok "1 MB word: train to .bin" "$LMPROB" train --quiet --order 3 --discount-fallback --memory 32M --output "$TMPD/bigw.bin" "$TMPD/bigw.txt"
expect_out "1 MB word: the binary model scores" "OOVs:	0" "$LMPROB" ppl "$TMPD/bigw.bin" "$TMPD/bigw.txt"
# (temporary names are '<name>.lmprob-tmp.<pid>' since the atomic writer's rework; '.tmp.' before)
if ls -a "$TMPD" | grep -q '^bigw.*tmp'; then bad "1 MB word: a temporary file was left: $(ls -a "$TMPD" | grep tmp)"; else ok; fi

# Other estimators and modes.
expect_out "kn" '2-grams +38' "$LMPROB" train --order 2 --estimator kn --output "$TMPD/kn.arpa" "$FIX"
# c(the cat) = 8, c(the .) = 21, V = 15 (no <s>): log10(9/36) and log10(8/21), as the shortest
# decimals of their float32 values
expect_out "laplace" '^-0\.60206	the cat$' sh -c "'$LMPROB' train --quiet --order 2 --estimator addk --k 1 --output - '$FIX'"
expect_out "mle" '^-0\.4191293	the cat$' sh -c "'$LMPROB' train --quiet --order 2 --estimator mle --output - '$FIX'"
expect_out "char mode" '	<sp>	' sh -c "'$LMPROB' train --quiet --order 2 --mode char --discount-fallback --output - '$FIX'"
expect_out "byte mode" '	<0x20>	' sh -c "'$LMPROB' train --quiet --order 2 --mode byte --discount-fallback --output - '$FIX'"
expect_out "min-count" '^ngram 1=12$' sh -c "'$LMPROB' train --quiet --order 2 --min-count 3 --discount-fallback --output - '$FIX'"

# Pruning as lmplz --prune (the header counts of lmplz -o 3 --prune 0 1 on the fixture: 16 / 23 / 13).
expect_out "prune" '2-grams +23' "$LMPROB" train --order 3 --prune 0 1 --output "$TMPD/p.arpa" "$FIX"
expect_out "prune trigrams" '^ngram 3=13$' cat "$TMPD/p.arpa"
expect_fail "prune unigrams" 'unigrams are not pruned' "$LMPROB" train --order 3 --prune 1 --output "$TMPD/p2.arpa" "$FIX"
no_file "prune unigrams" "$TMPD/p2.arpa"
expect_fail "prune decreasing" 'non-decreasing' "$LMPROB" train --order 3 --prune 0 2 1 --output "$TMPD/p2.arpa" "$FIX"

# Errors: exit 1, a message naming the problem, and no output file.
printf '' >"$TMPD/empty.txt"
expect_fail "empty corpus" 'empty.txt: empty corpus' "$LMPROB" train --order 3 --output "$TMPD/e.arpa" "$TMPD/empty.txt"
no_file "empty corpus" "$TMPD/e.arpa"
echo "just one sentence" >"$TMPD/one.txt"
expect_fail "one sentence" 'cannot estimate modified Kneser-Ney discounts.*--discount-fallback' "$LMPROB" train --order 3 --output "$TMPD/o.arpa" "$TMPD/one.txt"
no_file "one sentence" "$TMPD/o.arpa"
expect_ok "one sentence with fallback" "$LMPROB" train --quiet --order 3 --discount-fallback 0.4 0.9 1.2 --output "$TMPD/o.arpa" "$TMPD/one.txt"
expect_fail "order too large" "--order: expected an n-gram order from 1 to 8, got '9'" "$LMPROB" train --order 9 --output "$TMPD/n.arpa" "$FIX"
no_file "order too large" "$TMPD/n.arpa"
printf 'fine line\nbad \377 byte\n' >"$TMPD/bad.txt"
expect_fail "invalid UTF-8" 'bad.txt:2: invalid UTF-8 at byte 5 .*; --utf8-replace replaces invalid UTF-8 by U\+FFFD$' "$LMPROB" train --order 2 --output "$TMPD/u.arpa" "$TMPD/bad.txt"
no_file "invalid UTF-8" "$TMPD/u.arpa"
expect_ok "invalid UTF-8 replaced" "$LMPROB" train --quiet --order 2 --estimator mle --utf8-replace --output "$TMPD/u.arpa" "$TMPD/bad.txt"
expect_out "U+FFFD in the model" $'\xef\xbf\xbd' cat "$TMPD/u.arpa"
printf 'a <s> b\n' >"$TMPD/mark.txt"
expect_fail "marker in text" "mark.txt:1: sentence marker '<s>' at byte 3.*; --skip-markers drops them$" "$LMPROB" train --order 2 --output "$TMPD/k.arpa" "$TMPD/mark.txt"
no_file "marker" "$TMPD/k.arpa"
# the hints name train's own options, and only train gives them (the reader's message names none)
"$LMPROB" train --quiet --order 2 --mode char --discount-fallback --output "$TMPD/c2.arpa" "$TMPD/mark.txt"
"$LMPROB" ppl --mode char "$TMPD/c2.arpa" "$TMPD/bad.txt" >/dev/null 2>"$TMPD/err"
if grep -q 'invalid UTF-8' "$TMPD/err" && ! grep -q -- '--utf8-replace\|replace_invalid' "$TMPD/err"; then ok; else bad "ppl names an option it lacks: $(cat "$TMPD/err")"; fi
expect_fail "unreadable file" 'nope.txt: cannot open' "$LMPROB" train --order 2 --output "$TMPD/r.arpa" "$TMPD/nope.txt"
no_file "unreadable" "$TMPD/r.arpa"
expect_fail "unwritable output" 'x.arpa: cannot write: its folder .*/no/dir does not exist' "$LMPROB" train --order 2 --discount-fallback --output "$TMPD/no/dir/x.arpa" "$FIX"

# Against KenLM, when it is there (never built here).
if [ -n "${KENLM_BIN:-}" ] && [ -x "$KENLM_BIN/lmplz" ]; then
  expect_out "same numbers as lmplz" ': OK$' env LMPROB="$LMPROB" tests/kenlm_compare.sh "$FIX" 3 1e-6
  expect_out "same pruned model as lmplz" ': OK$' env LMPROB="$LMPROB" LMPLZ_OPTS="--prune 0 1" LMPROB_TRAIN_OPTS="--prune 0 1" tests/kenlm_compare.sh "$FIX" 3 1e-6
fi
# usage refusals after the command line is read: exit 2 and nothing leaked (the joined command line was
# not freed: LeakSanitizer's exit status in the sanitized build)
"$LMPROB" train --order 3 --gpt2-vocab x --output "$TMPD/v.arpa" "$FIX" >/dev/null 2>"$TMPD/err"; rc=$?
if [ $rc -eq 2 ] && grep -q "train: --gpt2-vocab goes with --mode gpt2" "$TMPD/err" && ! grep -q Sanitizer "$TMPD/err"; then ok
else bad "--gpt2-vocab without --mode gpt2: rc $rc: $(head -c 300 "$TMPD/err")"; fi
"$LMPROB" train --order 3 --mode gpt2 --gpt2-vocab "$TMPD/nonexistent" --output "$TMPD/v.arpa" "$FIX" >/dev/null 2>"$TMPD/err"; rc=$?
if [ $rc -eq 1 ] && ! grep -q Sanitizer "$TMPD/err"; then ok; else bad "a missing --gpt2-vocab: rc $rc: $(head -c 300 "$TMPD/err")"; fi
expect_fail "--quiet with --json" "train: --quiet with --json: expected one or the other" \
  "$LMPROB" train --order 2 --quiet --json --output "$TMPD/qj.arpa" "$FIX"
# the --gpt2-vocab folder's own files are no output (vocab.bpe was replaced by the model, exit 0)
mkdir "$TMPD/vc" && cp build/gpt2/encoder.json build/gpt2/vocab.bpe "$TMPD/vc/"
expect_fail "--output the --gpt2-vocab folder's vocab.bpe" "output .*vc/vocab.bpe is a file in the input folder" \
  "$LMPROB" train --order 2 --mode gpt2 --gpt2-vocab "$TMPD/vc" --output "$TMPD/vc/vocab.bpe" --quiet "$FIX"
if cmp -s "$TMPD/vc/vocab.bpe" build/gpt2/vocab.bpe; then ok; else bad "train --output DIR/vocab.bpe changed it"; fi
# A UTF-8 byte order mark before the first line is no word (the line reader skips it): the same model as the
# text without it, and ppl scores the text the same, plain and gzip (the first word was "\ufeffthe", beside "the")
printf '\357\273\277the cat sat\nthe dog sat\n' >"$TMPD/bom.txt"; printf 'the cat sat\nthe dog sat\n' >"$TMPD/nobom.txt"
gzip -c "$TMPD/bom.txt" >"$TMPD/bom.txt.gz"
"$LMPROB" train --order 2 --discount-fallback --quiet --output "$TMPD/bom.arpa" "$TMPD/bom.txt.gz"
"$LMPROB" train --order 2 --discount-fallback --quiet --output "$TMPD/nobom.arpa" "$TMPD/nobom.txt"
if cmp -s <(grep -v '^# lmprob command' "$TMPD/bom.arpa") <(grep -v '^# lmprob command' "$TMPD/nobom.arpa"); then ok
else bad "a BOM changed the model: $(grep -c . "$TMPD/bom.arpa") lines against $(grep -c . "$TMPD/nobom.arpa")"; fi
a=$("$LMPROB" ppl --json "$TMPD/nobom.arpa" "$TMPD/bom.txt" | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["oov"], d["perplexity"])')
b=$("$LMPROB" ppl --json "$TMPD/nobom.arpa" "$TMPD/nobom.txt" | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["oov"], d["perplexity"])')
[ "$a" = "$b" ] && ok || bad "ppl of a text with a BOM: $a, without: $b"
finish
