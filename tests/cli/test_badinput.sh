# Hostile input (issue 11, docs/reliability.md): sizes that wrap, numbers hidden
# behind a NUL byte or a space, empty list items, floats that overflow, lone
# UTF-16 surrogates in JSON, verify cases that ask for gigabytes.
. "$(dirname "$0")/lib.sh"

# ---- sizes from input: -n that wraps n * sizeof(sample) (was a heap overflow)
expect_fail "decode -n 2^62+1" "decode: -n: .*4611686018427387905" "$LMPROB" decode --logits 1,2,3 -n 4611686018427387905
# an integer too large is told the bound, not that it is not an integer >= 0
expect_fail "decode -n 2^62+1 names the bound" "decode: -n: expected an integer >= 0 and at most 1000000000000000, got '4611686018427387905'" \
  "$LMPROB" decode --logits 1,2,3 -n 4611686018427387905
expect_fail "decode -n 1e30 digits names the bound" "and at most 1000000000000000, got '1000000000000000000000000000000'" \
  "$LMPROB" decode --logits 1,2,3 -n 1000000000000000000000000000000
expect_fail "decode -n -3 is not an integer >= 0" "decode: -n: expected an integer >= 0, got '-3'" "$LMPROB" decode --logits 1,2,3 -n -3
expect_fail "decode -n 2^61" "decode: -n: .*2305843009213693952" "$LMPROB" decode --logits 1,2,3 -n 2305843009213693952
expect_out "decode -n 3 still works" '^samples: ' "$LMPROB" decode --logits 1,2,3 -n 3

# ---- integers: no leading space or sign slips through strtoull/strtol
expect_fail "--seed ' -1'" "decode: --seed: expected a non-negative integer.*, got ' -1'" "$LMPROB" decode --logits 1,2,3 --seed " -1"
expect_fail "--seed ' 5'" "decode: --seed: expected a non-negative integer.*, got ' 5'" "$LMPROB" decode --logits 1,2,3 --seed " 5"
expect_fail "--seed '+5'" "decode: --seed: expected a non-negative integer.*, got '\\+5'" "$LMPROB" decode --logits 1,2,3 --seed "+5"
expect_fail "--seed 2^64" "decode: --seed: expected a non-negative integer" "$LMPROB" decode --logits 1,2,3 --seed 18446744073709551616
expect_fail "-n ' 3'" "decode: -n: expected an integer.*, got ' 3'" "$LMPROB" decode --logits 1,2,3 -n " 3"
expect_out "--seed 18446744073709551615" 'seed: 18446744073709551615' "$LMPROB" decode --logits 1,2,3 --seed 18446744073709551615

# ---- lists: an empty item is an error, not skipped
expect_fail "--logits 1,,2" "decode: --logits: item 2 is empty: expected a number between the commas" "$LMPROB" decode --logits 1,,2
expect_fail "--logits ,1,2" "decode: --logits: item 1 is empty" "$LMPROB" decode --logits ,1,2
expect_fail "--logits 1,2," "decode: --logits: item 3 is empty" "$LMPROB" decode --logits 1,2,
expect_fail "--logits '1, ,2'" "decode: --logits: item 2 is empty" "$LMPROB" decode --logits "1, ,2"
expect_fail "info --p 0.5,,0.5" "info: --p: item 2 is empty" "$LMPROB" info --p 0.5,,0.5 --q 0.5,0.5
expect_out "--logits '1, 2 3' (commas and spaces)" '^V: 3 ' "$LMPROB" decode --logits "1, 2 3" -n 1
printf '1,,2\n' >"$TMPD/empty_item.txt"
expect_fail "logits file 1,,2" "empty_item.txt:1: item 2 is empty" "$LMPROB" decode "$TMPD/empty_item.txt"

# ---- a NUL byte in a numbers file: an error, not the end of the line
printf '1 2\0003 4\n5\n' >"$TMPD/nul.txt"
expect_fail "NUL in a logits file" "nul.txt:1: NUL byte at column 4: expected text" "$LMPROB" decode "$TMPD/nul.txt"
printf '1 2\n3\000' >"$TMPD/nul2.txt"
expect_fail "NUL at the end of a logits file" "nul2.txt:2: NUL byte at column 2" "$LMPROB" decode "$TMPD/nul2.txt"

# ---- a 40 MB line in a numbers file costs no more memory than its numbers: read a byte at
# a time, not grown to the longest line (getline needed 40 MB). Under a 16 MB address-space
# limit, in the normal build (ASan reserves terabytes of address space).
case "$LMPROB" in
  *asan*) ok ;;
  *) { head -c 40000000 /dev/zero | tr '\0' ' '; printf '1 2 3\n'; } >"$TMPD/longline.txt"
     expect_out "a 40 MB line of logits in 16 MB" '^kept: 3 ' sh -c "ulimit -v 16000; '$LMPROB' decode '$TMPD/longline.txt'"
     rm -f "$TMPD/longline.txt" ;;
esac

# ---- a JSON text's tree costs memory in proportion to the text, within an address-space limit: the
# parser's first arena block is six times the text (src/core/json.c), but when that is refused it takes
# what each piece needs (a 12 MB string under 60 MB). Normal build only, as above.
case "$LMPROB" in
  *asan*) ok ;;
  *) { printf '{"schema": 1, "pad": "'; head -c 12000000 /dev/zero | tr '\0' a
       printf '", "cases": [{"name": "x", "function": "normal_pdf", "args": {"x": 0, "mu": 0, "sigma": 1}, "expected": 0.3989422804014327}]}'; } >"$TMPD/bigpad.json"
     expect_out "a 12 MB JSON string in 60 MB" '^1 passed, 0 failed' sh -c "ulimit -v 60000; '$LMPROB' verify '$TMPD/bigpad.json'"
     rm -f "$TMPD/bigpad.json" ;;
esac

# ---- floats that overflow: an error naming the value, never a silent inf
expect_fail "--logits 1e999" "decode: --logits: item 2: '1e999' is out of the range of a double" "$LMPROB" decode --logits 1,1e999
expect_fail "--logits -1e999" "decode: --logits: item 1: '-1e999' is out of the range of a double" "$LMPROB" decode --logits -1e999,1
expect_out "--logits -inf is allowed" '^V: 2 ' "$LMPROB" decode --logits -inf,1 -n 1
printf '1 -1e400 2\n' >"$TMPD/overflow.txt"
expect_fail "logits file -1e400" "overflow.txt:1: item 2: '-1e400' is out of the range of a double" "$LMPROB" decode "$TMPD/overflow.txt"
expect_fail "--temperature 1e999" "'1e999' is out of the range of a double" "$LMPROB" decode --logits 1,2 --temperature 1e999
# a double that is finite but past an option's cap: the message states the cap (1e300), which the words
# of an open-ended domain do not; a usage error as any other bad value
expect_fail "--beta 1e308" "kl: --beta: expected a coefficient >= 0 and at most 1e300, got '1e308'" "$LMPROB" kl --beta 1e308 --model x --model y z
expect_fail "--frequency-penalty 1e301" "--frequency-penalty: expected a finite number and at most 1e300, got '1e301'" "$LMPROB" decode --logits 1,2 --frequency-penalty 1e301
expect_fail "--presence-penalty -1e301" "--presence-penalty: expected a finite number and at least -1e300, got '-1e301'" "$LMPROB" decode --logits 1,2 --presence-penalty -1e301
expect_fail "a list item past the cap" "--discount-fallback: expected .* >= 0 and at most 1e300, got '1e301'" "$LMPROB" train --discount-fallback 1 2 1e301 x
"$LMPROB" kl --beta 1e308 --model x --model y z >/dev/null 2>&1; [ $? -eq 2 ] && ok || bad "a value past a cap is not a usage error"
# -0 is 0: printed back as 0, never -0
printf 'a b\n' >"$TMPD/ab.txt"
expect_out "--beta -0 prints 0" "beta = 0: 0 per token, 0 over the text" "$LMPROB" kl --beta -0 --model tests/fixtures/model/tiny.arpa --model tests/fixtures/model/tiny.arpa "$TMPD/ab.txt"
# and so is an item of a list option's text (cli_parse_number_list): dist printed "cdf(-0)", JSON "x": -0
expect_out "dist --cdf -0 prints cdf(0)" "^cdf\(0\) = 0\.5$" "$LMPROB" dist normal --cdf -0
expect_out "dist --pdf 1,-0 --json prints x 0" '"x": 0, "value"' "$LMPROB" dist normal --pdf 1,-0 --json
printf '0 1\n1 3\n2 5\n' >"$TMPD/line.txt"
expect_out "fit --eval -0 prints p(0)" "^p\(0\) = 1$" "$LMPROB" fit --degree 1 --eval -0 "$TMPD/line.txt"
sed 's/^-1.2\tc$/-1e39\tc/' tests/fixtures/model/tiny.arpa >"$TMPD/big_logprob.arpa"
grep -q -- '-1e39' "$TMPD/big_logprob.arpa" && ok || bad "fixture edit failed"
expect_fail "ARPA log10 probability -1e39" "big_logprob.arpa:12: .*'-1e39' is out of the range of a float" "$LMPROB" ppl "$TMPD/big_logprob.arpa" tests/fixtures/train_small.txt
sed 's/^-0.6\ta\t-0.3$/-0.6\ta\t1e39/' tests/fixtures/model/tiny.arpa >"$TMPD/big_backoff.arpa"
expect_fail "ARPA backoff 1e39" "big_backoff.arpa:10: .*'1e39' is out of the range of a float" "$LMPROB" model info "$TMPD/big_backoff.arpa"
cat >"$TMPD/bignum.json" <<'J'
{"schema": 1, "cases": [{"name": "x", "function": "normal_pdf", "args": {"x": 1e400, "mu": 0, "sigma": 1}, "expected": 0}]}
J
expect_fail "JSON number 1e400" "line 1, column [0-9]+: number '1e400' is out of the range of a double" "$LMPROB" verify "$TMPD/bignum.json"

# ---- JSON strings: a lone surrogate is an error (RFC 8259 section 8.2)
for s in '\ud800\u0041' '\ud800' '\udc00' '\ud800x' '\ud800\ud800'; do
  printf '{"schema": 1, "cases": [{"name": "%s", "function": "normal_pdf", "args": {"x": 0, "mu": 0, "sigma": 1}, "expected": 0.3989422804014327}]}\n' "$s" >"$TMPD/sur.json"
  expect_fail "JSON \"$s\"" "line 1, column [0-9]+: .*surrogate" "$LMPROB" verify "$TMPD/sur.json"
done
printf '{"schema": 1, "cases": [{"name": "\\ud83d\\ude00", "function": "normal_pdf", "args": {"x": 0, "mu": 0, "sigma": 1}, "expected": 0.3989422804014327, "rtol": 1e-15}]}\n' >"$TMPD/pair.json"
expect_out "JSON surrogate pair" '^1 passed, 0 failed' "$LMPROB" verify "$TMPD/pair.json"

# ---- verify: allocations bounded by what a case can hold
cat >"$TMPD/huge.json" <<'J'
{"schema": 1, "cases": [
 {"name": "gen", "function": "entropy", "args": {"p": {"size": 1e9, "fill": 1e-9}}, "expected": 20.7},
 {"name": "draws", "function": "numpy_legacy_random_sample", "args": {"seed": 1, "n": 100000000}, "expected": [0.5]},
 {"name": "dirichlet", "function": "numpy_legacy_dirichlet", "args": {"seed": 1, "n": 100000000, "alpha": [1, 1, 1]}, "expected": [[0.1, 0.2, 0.7]]},
 {"name": "polyfit", "function": "polyfit", "args": {"x": [1, 2, 3], "y": [1, 2, 3], "deg": 4000000000}, "expected": [1, 0]},
 {"name": "cov", "function": "cov_matrix", "args": {"X": [[1, 2, 3, 4, 5, 6, 7, 8]], "rowvar": false}, "expected": [1]}]}
J
# A bounded address space guards the machine if this regresses (not under ASan,
# which reserves terabytes of shadow memory).
limit=""
is_asan || limit="ulimit -v 2000000;"
expect_ok "verify huge cases (runs)" sh -c "$limit timeout 60 '$LMPROB' verify '$TMPD/huge.json' >'$TMPD/huge.out' 2>&1; [ \$? = 1 ]"
for c in gen draws dirichlet polyfit cov; do
  if grep -q "FAIL $c: expected .*, error: .*: expected " "$TMPD/huge.out"; then ok; else bad "verify case $c: $(grep "$c" "$TMPD/huge.out" | head -c 300)"; fi
done
if grep -q "^0 passed, 5 failed" "$TMPD/huge.out"; then ok; else bad "verify huge: $(tail -n 1 "$TMPD/huge.out")"; fi
# a text read whole that never ends: refused at 1 GiB, not read until memory runs out (verify, and ppl / kl /
# chapter on GPT-2 read through the same lmp_read_file)
expect_fail "verify /dev/zero" "verify: /dev/zero: cannot read: more than 1 GiB, the most read whole" timeout 120 "$LMPROB" verify /dev/zero
# ---- standard input and pipes are read once (twenty-fourth session): two inputs on one '-' or one
# pipe, or a text a command reads twice, are refused (exit 2) before any work. Before, the second
# read found nothing and the command went on: train --vocab - - wrote a model of <unk> alone and
# filter - --union - an empty model (exit 0), kl printed nan, mix --ppl - --output and chapter
# --text - scored 0 tokens (nan, or a misleading "perplexity of 0 tokens").
M=tests/fixtures/model/tiny.arpa
T=tests/fixtures/train_small.txt
# stdin_twice "label" "regex" cmd...: cmd with the text on stdin exits 2 (a usage error) with the message
stdin_twice() { local l=$1 re=$2; shift 2; expect_fail "$l" "$re" sh -c '"$@" <"$0"; rc=$?; [ $rc = 2 ] && exit 2; echo "exit $rc (expected 2)"; exit 0' "$T" "$@"; }
stdin_twice "train --vocab - -" "TEXT and --vocab are both standard input" "$LMPROB" train --order 2 --discount-fallback --vocab - --output "$TMPD/v.arpa" -
if [ ! -e "$TMPD/v.arpa" ]; then ok; else bad "train --vocab - -: a model was written"; fi
stdin_twice "filter - --union -" "MODEL and --union are both standard input" "$LMPROB" filter - --union - --output "$TMPD/f.arpa"
stdin_twice "kl --model - TEXT -" "--model A and TEXT are both standard input" "$LMPROB" kl --model - --model "$M" -
stdin_twice "mix --held-out - --ppl -" "--held-out and --ppl are both standard input" "$LMPROB" mix "$M" "$M" --held-out - --ppl -
stdin_twice "mix --ppl - --output" "--ppl '-': with --output it is read twice" "$LMPROB" mix "$M" "$M" --ppl - --output "$TMPD/m.arpa"
stdin_twice "chapter --text -" "--text '-': section 20 reads it twice" "$LMPROB" chapter --model "$M" --text - 20
stdin_twice "ppl - /dev/stdin (one pipe)" "MODEL '-' and TEXT '/dev/stdin' are the same pipe" sh -c "cat | '$LMPROB' ppl - /dev/stdin"
expect_fail "mix --ppl <(pipe) --output" "a pipe can be read once: expected a file" bash -c "'$LMPROB' mix '$M' '$M' --ppl <(cat '$T') --output '$TMPD/m.arpa'"
# a regular file behind stdin is opened again by /dev/stdin: both reads see it whole
expect_out "ppl - with /dev/stdin a file (two reads of one file)" "Sentences:.15" sh -c "'$LMPROB' ppl '$M' /dev/stdin <'$T'"
expect_out "mix --ppl - without --output (read once)" "15 sentences|tokens" sh -c "'$LMPROB' mix '$M' '$M' --ppl - <'$T'"
finish
