# lmprob decode: the chapter's sampling examples (numpy's exact output with the
# numpy-legacy stream), conventions, JSON, and bad input.
. "$(dirname "$0")/lib.sh"

V=(--logits 3,2,1.5,1.2,0.8,0.4,0.1 --names the,a,cat,dog,ran,sat,leapt)

# Greedy vs sampling block: np.random.seed(42); 10 x np.random.choice(7, p=softmax(logits))
expect_out "chapter greedy" '^greedy: the$' "$LMPROB" decode "${V[@]}" --rng numpy --seed 42 -n 10
expect_out "chapter samples seed 42" '^samples: the sat cat a the the the dog a cat$' \
  "$LMPROB" decode "${V[@]}" --rng numpy --seed 42 -n 10
# Temperature table (ERRATA b16: the real values, not the chapter's comments)
expect_out "T=0.1" '^top: the:1.00 a:0.00 cat:0.00$' "$LMPROB" decode "${V[@]}" --temperature 0.1 --top 3 --digits 2 -n 0
expect_out "T=0.5" '^top: the:0.81 a:0.11 cat:0.04$' "$LMPROB" decode "${V[@]}" --temperature 0.5 --top 3 --digits 2 -n 0
expect_out "T=1.0" '^top: the:0.50 a:0.18 cat:0.11$' "$LMPROB" decode "${V[@]}" --temperature 1.0 --top 3 --digits 2 -n 0
expect_out "T=1.5" '^top: the:0.37 a:0.19 cat:0.13$' "$LMPROB" decode "${V[@]}" --temperature 1.5 --top 3 --digits 2 -n 0
expect_out "T=2.0" '^top: the:0.30 a:0.18 cat:0.14$' "$LMPROB" decode "${V[@]}" --temperature 2.0 --top 3 --digits 2 -n 0
# Top-k counter: seed 42, 20 x top_k_sample(k=3) -> Counter({'the': 14, 'cat': 3, 'a': 3})
expect_out "chapter top-k counter" '^counts: the:14 cat:3 a:3$' \
  "$LMPROB" decode "${V[@]}" --top-k 3 --rng numpy --seed 42 -n 20 --counts
expect_out "top-k kept set" '^kept: 3 \[0 1 2\]$' "$LMPROB" decode "${V[@]}" --top-k 3 -n 0
# Nucleus sizes: peaked 1, flat 6 (p = 0.9)
expect_out "nucleus peaked" '^kept: 1 \[0\]$' "$LMPROB" decode --logits 10,1,0.5,0.1,0,0,0 --top-p 0.9 -n 0
expect_out "nucleus flat" '^kept: 6 \[0 1 2 3 4 5\]$' "$LMPROB" decode --logits 2,1.8,1.6,1.4,1.2,1.0,0.8 --top-p 0.9 -n 0
expect_out "nucleus p=1 keeps V (the chapter's function says V+1)" '^kept: 7 ' \
  "$LMPROB" decode --logits 10,1,0.5,0.1,0,0,0 --top-p 1 -n 0

# Conventions: the chain order matters (SPEC 3.3.1)
expect_out "hf order T=0.5 top-p 0.9" '^kept: 2 \[0 1\]$' "$LMPROB" decode "${V[@]}" --temperature 0.5 --top-p 0.9 -n 0
expect_out "llama order T=0.5 top-p 0.9" '^kept: 5 \[0 1 2 3 4\]$' \
  "$LMPROB" decode "${V[@]}" --temperature 0.5 --top-p 0.9 --chain llama -n 0
expect_out "hf top-k ties" '^kept: 4 ' "$LMPROB" decode --logits 2,1,1,1,0 --top-k 2 -n 0
expect_out "llama top-k exactly k" '^kept: 2 \[0 1\]$' "$LMPROB" decode --logits 2,1,1,1,0 --top-k 2 --chain llama -n 0
expect_out "T=0 greedy, lowest id" '^samples: 1 1 1$' "$LMPROB" decode --logits 1,3,3,2 --temperature 0 -n 3
expect_out "min-p" '^kept: 5 ' "$LMPROB" decode "${V[@]}" --min-p 0.1 -n 0
expect_out "typical" '^kept: 3 ' "$LMPROB" decode "${V[@]}" --typical 0.5 -n 0
expect_out "epsilon" '^kept: 1 ' "$LMPROB" decode "${V[@]}" --epsilon 0.9 -n 0
expect_out "-inf logit never drawn" '^counts: (0:[0-9]+ 2:[0-9]+|2:[0-9]+ 0:[0-9]+)$' \
  "$LMPROB" decode --logits 1,-inf,1 -n 200 --counts
expect_out "repetition penalty changes the distribution" '^top: 1:' \
  "$LMPROB" decode --logits 2,1.9 --repetition-penalty 1.5 --history 0 --top 1 -n 0
expect_out "same seed, same samples" "$("$LMPROB" decode "${V[@]}" --seed 7 -n 12 | grep samples)" \
  "$LMPROB" decode "${V[@]}" --seed 7 -n 12
# A file and stdin, one number per line or several
printf '3 2 1.5\n1.2 0.8\n0.4 0.1\n' >"$TMPD/l.txt"
expect_out "file input" '^V: 7 ' "$LMPROB" decode "$TMPD/l.txt" -n 1
expect_out "stdin input" '^V: 7 ' sh -c "'$LMPROB' decode - -n 1 < '$TMPD/l.txt'"
expect_out "json" '"kept_size": 3, "kept": \[0, 1, 2\]' "$LMPROB" decode "${V[@]}" --top-k 3 -n 2 --json
expect_out "json is valid" 'ok' sh -c "'$LMPROB' decode '$TMPD/l.txt' --top-p 0.8 -n 5 --counts --json | /usr/bin/python3 -c 'import json,sys; json.load(sys.stdin); print(\"ok\")'"
# the counts' keys are JSON strings: a name with a quote or a backslash escaped (it was written raw: not JSON)
printf 'a"b,c\\d\n' >"$TMPD/qnames.txt"
expect_out "json counts of quoted names" '^ok$' sh -c "'$LMPROB' decode --logits 1,2 --names \"\$(cat '$TMPD/qnames.txt')\" -n 5 --json | /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin)[\"counts\"]; print(\"ok\" if sorted(d) == [\"a\\\"b\", \"c\\\\d\"] and sum(d.values()) == 5 else d)'"
expect_out "help" 'usage: lmprob decode' "$LMPROB" decode --help

# Bad input: message names the value and the expectation; non-zero exit
printf '1.0\n2.0 nan\n' >"$TMPD/nan.txt"
expect_fail "NaN in a file (file:line)" 'nan.txt:2: item 2: expected a finite number or -inf, got .nan.' "$LMPROB" decode "$TMPD/nan.txt"
printf '1.0\nabc\n' >"$TMPD/abc.txt"
expect_fail "non-numeric logit" 'abc.txt:2: .*got .abc.' "$LMPROB" decode "$TMPD/abc.txt"
: >"$TMPD/empty.txt"
expect_fail "empty vector" 'empty' "$LMPROB" decode "$TMPD/empty.txt"
expect_fail "top-p > 1" "top-p: expected a probability in \(0, 1\], got '1.5'" "$LMPROB" decode "${V[@]}" --top-p 1.5
expect_fail "top-p = 0" "top-p: expected a probability in \(0, 1\], got '0'" "$LMPROB" decode "${V[@]}" --top-p 0
expect_fail "k < 0" "top-k: expected k >= 0.*got '-2'" "$LMPROB" decode "${V[@]}" --top-k -2
expect_fail "T < 0" "temperature: expected T >= 0.*got '-1'" "$LMPROB" decode "${V[@]}" --temperature -1
expect_fail "inline NaN" "logits: item 2: expected a finite number or -inf, got 'nan'" "$LMPROB" decode --logits 1,nan,2
expect_fail "inline +inf" "logits: item 2: expected a finite number or -inf, got 'inf'" "$LMPROB" decode --logits 1,inf,2
printf '1\ninf\n2\n' >"$TMPD/inf.txt"
expect_fail "+inf logit in a file" 'inf.txt:2: expected a finite number or -inf, got .inf.' "$LMPROB" decode "$TMPD/inf.txt"
expect_fail "all -inf" 'all 2 logits are -inf' "$LMPROB" decode --logits -inf,-inf
# an inline list outside the sampler's domain is an option's value: exit 2 (it was 1, a data error)
exit_is() { local want=$1 l=$2; shift 2; "$@" >/dev/null 2>&1; local rc=$?; [ "$rc" -eq "$want" ] && ok || bad "$l: exit $rc, expected $want"; }
exit_is 2 "all -inf inline: usage" "$LMPROB" decode --logits -inf,-inf
exit_is 2 "beyond float32 inline: usage" "$LMPROB" decode --logits 3.5e38,1 --dtype f32
printf '3.5e38 1\n' >"$TMPD/big.txt"
exit_is 1 "beyond float32 in a file: data" "$LMPROB" decode "$TMPD/big.txt" --dtype f32
# named 1-based, as every other message of the command (the library's 0-based "logit[1]" was shown)
expect_fail "beyond float32 inline: named" "decode: --logits: logit 2 = 3.5e\\+38: expected a value representable in float32" \
  "$LMPROB" decode --logits 1,3.5e38 --dtype f32
expect_fail "beyond float32 in a file: named" "big.txt: logit 1 = 3.5e\\+38: expected a value representable in float32" \
  "$LMPROB" decode "$TMPD/big.txt" --chain llama
# a temperature that float32 rounds to 0 is refused by name (it said "3 / 0 overflows")
expect_fail "T = 0 in float32" "temperature = 9.99989e-321: 0 in float32 \(dtype f32\): expected T = 0 \(greedy\) or T >= 1.4013e-45" "$LMPROB" decode --logits 3,2 --temperature 1e-320 --dtype f32
exit_is 2 "T = 0 in float32: usage" "$LMPROB" decode --logits 3,2 --temperature 1e-320 --dtype f32
expect_ok "the same T in float64" "$LMPROB" decode --logits 3,2 --temperature 1e-300 -n 1
# negative logits whose quotients all overflow to -inf: the overflow error, naming the largest (it said "all 2
# are -inf" of a row with none; the llama chain drew uniformly from every token); a 0 logit keeps the greedy limit
expect_fail "negative quotients overflow" 'logit\[0\] / T = -1 / 9.99989e-321 overflows: expected a larger T' "$LMPROB" decode --logits -1,-2 --temperature 1e-320 -n 1
expect_fail "negative quotients overflow, llama, f32" 'logit\[1\] / T = -0.5 / 1e-44 overflows: expected a larger T' "$LMPROB" decode --logits -1,-0.5,-2 --temperature 1e-44 --dtype f32 --chain llama -n 1
expect_out "one quotient left: greedy" '^samples: 1 1 1$' "$LMPROB" decode --logits -1,0,-2 --temperature 1e-320 -n 3
expect_fail "names size mismatch" 'names: expected 3 names' "$LMPROB" decode --logits 1,2,3 --names a,b
# two equal names would be one key of --json's counts (a JSON reader keeps one of them)
expect_fail "names: a repeated name" "^lmprob: decode: --names: name 3, 'a', is name 1's too: expected a distinct name per logit$" "$LMPROB" decode --logits 1,2,3 --names a,b,a -n 3 --json
expect_fail "bad chain" "chain: expected hf or llama, got 'gpt'" "$LMPROB" decode "${V[@]}" --chain gpt
# --order is train's n-gram order: the chain's old spelling fails loudly, naming --chain
expect_fail "old --order" "decode: --order is now --chain: " "$LMPROB" decode "${V[@]}" --order llama
expect_fail "history id out of range" "history: item 1: expected a token id in \[0, 7\)" \
  "$LMPROB" decode "${V[@]}" --history 9 --repetition-penalty 1.2
expect_fail "unknown option" "unknown option '--bogus'" "$LMPROB" decode "${V[@]}" --bogus
expect_fail "missing file" 'nope.txt: cannot open' "$LMPROB" decode "$TMPD/nope.txt"
# option values that are not numbers are usage errors (exit 2), checked before stdin is read; the library's
# messages under the command's name; the chain's convention under --chain's name
"$LMPROB" decode --logits 1,abc >/dev/null 2>"$TMPD/e"; rc=$?
[ $rc -eq 2 ] && grep -q "decode: --logits: item 2: expected a finite number or -inf, got 'abc'" "$TMPD/e" && ok || bad "decode --logits 1,abc: rc $rc: $(cat "$TMPD/e")"
"$LMPROB" decode --history 1.5/-1 </dev/null >/dev/null 2>"$TMPD/e"; rc=$?
[ $rc -eq 2 ] && grep -q "decode: --history: item 1: expected a finite number, got '1.5/-1'" "$TMPD/e" && ok || bad "decode --history 1.5/-1: rc $rc: $(cat "$TMPD/e")"
"$LMPROB" decode --logits 1,2 --history 1.5 >/dev/null 2>"$TMPD/e"; rc=$?
[ $rc -eq 2 ] && ok || bad "decode --history 1.5: rc $rc (expected 2)"
expect_fail "decode all -inf" '^lmprob: decode: all 2 logits are -inf' "$LMPROB" decode --logits -inf,-inf
expect_fail "decode file error" '^lmprob: decode: /nonexistent/l: cannot open' "$LMPROB" decode /nonexistent/l
expect_out "decode chain key" '^\{"V": 3, "chain": "hf", ' "$LMPROB" decode --logits 3,2,1 -n 1 --json
expect_out "decode chain text" '^V: 3  chain: llama  ' "$LMPROB" decode --logits 3,2,1 -n 1 --chain llama
# a single value with a leading space is refused by a decimal flag as by an integer one (strtod skipped the
# space: --temperature ' 1' was 1); a list's items may be spaced
expect_fail "--temperature ' 1'" "decode: --temperature: expected T >= 0 \(0 is greedy\), got ' 1'" "$LMPROB" decode --logits 1,2 --temperature ' 1'
expect_fail "--top-k ' 1'" "decode: --top-k: expected k >= 0 \(0 is off\), got ' 1'" "$LMPROB" decode --logits 1,2 --top-k ' 1'
expect_out "--logits ' 1, 2'" "^V: 2 " "$LMPROB" decode --logits ' 1, 2' -n 0
# -n has every command's domain: the samples are printed as drawn, not kept (decode alone capped it at
# 1e9); a run into a full disk stops at the failed write (within 65536 draws), exit 1
expect_fail "-n 1000000001 into /dev/full" "decode: writing the results to standard output failed" \
  sh -c "'$LMPROB' decode --logits 1,2 -n 1000000001 >/dev/full"
finish
