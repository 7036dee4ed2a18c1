# lmprob info, and lmprob verify on the extra golden cases of the info module.
. "$(dirname "$0")/lib.sh"
here=$(cd "$(dirname "$0")/.." && pwd)

expect_out "KL(P||Q) = 0.3681 (ERRATA b14)" '^KL\(p \|\| q\) +0\.3680642072 nats$' "$LMPROB" info --p 0.9,0.1 --q 0.5,0.5
expect_out "KL(Q||P) = 0.5108" '^KL\(q \|\| p\) +0\.5108256238 nats$' "$LMPROB" info --p 0.9,0.1 --q 0.5,0.5
expect_out "coin entropy 1 bit" '^H\(p\) +1 bits$' "$LMPROB" info --p 0.5,0.5 --base 2
expect_out "two coins 2 bits" '^H\(p\) +2 bits$' "$LMPROB" info --p .25,.25,.25,.25 --base 2
expect_out "deterministic 0 (not -0)" '^H\(p\) +0 nats$' "$LMPROB" info --p 1,0,0
expect_out "KL to a zero is inf" '^KL\(p \|\| q\) +inf' "$LMPROB" info --p 0.5,0.5 --q 1,0
expect_out "JS distance (scipy)" '^JS distance +0\.3189815435' "$LMPROB" info --p 0.9,0.1 --q 0.5,0.5
expect_out "peaked entropy 8.14 nats (ERRATA b13)" '^H\(softmax\(logits\)\) +8\.1410603' \
  sh -c "'$LMPROB' info --logits \"\$(/usr/bin/python3 -c 'print(\",\".join([\"0\"]*42+[\"10\"]+[\"0\"]*50214))')\""
expect_out "perplexity" '^perplexity +4$' "$LMPROB" info --log-probs -0.6931471805599453,-1.3862943611198906,-2.0794415416798357
expect_out "perplexity of an overflowing sum" '"perplexity": "inf"' "$LMPROB" info --log-probs -1e308,-1e308 --json
expect_out "json" '"kl_pq": 0\.368064207168497' "$LMPROB" info --p 0.9,0.1 --q 0.5,0.5 --json
printf '0.2 0.3\n0.5\n' >"$TMPD/p.txt"
expect_out "from a file" '^H\(p\) +1.0296530' "$LMPROB" info --p-file "$TMPD/p.txt"
expect_out "normalize counts" '^H\(p\) +1.2798542' "$LMPROB" info --p 1,2,3,4 --normalize
expect_fail "not summing to 1" 'info: --p: sum of p = 1.1[0-9]*: expected probabilities summing to 1 \(within 1e-9\).*--normalize' \
  "$LMPROB" info --p 0.6,0.5
expect_fail "negative probability" "info: --p: p\[1\] = -0.1: expected a non-negative finite probability" "$LMPROB" info --p 1.1,-0.1
# --p is one flag (CLI_OPT_PROBS): info and dist categorical refuse the same values with the same
# message and the same exit status: 2, an option's value outside its domain, whether the numbers are
# not a distribution (the library's check, as for every dist family's parameters) or not numbers.
for bad in 0.6,0.5 1.1,-0.1 0,0 0.5,x; do
  want=2
  "$LMPROB" info --p "$bad" >/dev/null 2>"$TMPD/e1"; r1=$?
  "$LMPROB" dist categorical --p "$bad" --sample 1 >/dev/null 2>"$TMPD/e2"; r2=$?
  m1=$(sed 's/^lmprob: info: //' "$TMPD/e1"); m2=$(sed 's/^lmprob: dist: //' "$TMPD/e2")
  [ $r1 -eq $want ] && [ $r2 -eq $want ] && [ -n "$m1" ] && [ "$m1" = "$m2" ] && ok || bad "--p $bad: info (exit $r1) '$m1', dist (exit $r2) '$m2'"
done
# and with --normalize: weights, one domain and one message in both commands
for bad in 1,-1 0,0 1,nan; do
  want=2
  "$LMPROB" info --normalize --p "$bad" >/dev/null 2>"$TMPD/e1"; r1=$?
  "$LMPROB" dist categorical --normalize --p "$bad" --sample 1 >/dev/null 2>"$TMPD/e2"; r2=$?
  m1=$(sed 's/^lmprob: info: //' "$TMPD/e1"); m2=$(sed 's/^lmprob: dist: //' "$TMPD/e2")
  [ $r1 -eq $want ] && [ $r2 -eq $want ] && [ -n "$m1" ] && [ "$m1" = "$m2" ] && ok || bad "--normalize --p $bad: info (exit $r1) '$m1', dist (exit $r2) '$m2'"
done
# weights whose sum overflows, and a probability below the doubles (1e-600): passed on as weights,
# not divided first (which gave "expected a positive finite sum", and KL = inf)
expect_out "normalize, sum past DBL_MAX" '^H\(p\) +1\.098612289 nats' "$LMPROB" info --p 1e308,1e308,1e308 --normalize
expect_out "dist normalize, sum past DBL_MAX" '^pmf\(1\) = 0\.5$' "$LMPROB" dist categorical --p 1e308,1e308 --normalize --pmf 1
expect_out "normalize, q of 1e-600: H(p,q)" '"cross_entropy": 690\.775527898213' "$LMPROB" info --p 1,1 --q 1e300,1e-300 --normalize --json
expect_out "normalize, q of 1e-600: KL" '"kl_pq": 690\.082380717653' "$LMPROB" info --p 1,1 --q 1e300,1e-300 --normalize --json
"$LMPROB" info --p 0.5,0.5 --q 0.9,0.2 >/dev/null 2>"$TMPD/e1"; r1=$?
[ $r1 -eq 2 ] && grep -q "info: --q: sum of p = 1.1" "$TMPD/e1" && ok || bad "--q 0.9,0.2: exit $r1: $(cat "$TMPD/e1")"
expect_fail "length mismatch" 'q: expected 2 probabilities' "$LMPROB" info --p 0.5,0.5 --q 0.2,0.3,0.5
expect_fail "bad base" "base: expected e or a positive number other than 1, got '1'" "$LMPROB" info --p 1 --base 1
printf '0.5\n0.6\n' >"$TMPD/sum11.txt"
expect_fail "a file's sum names the file" "info: --p-file .*sum11.txt: sum of p = 1.1" "$LMPROB" info --p-file "$TMPD/sum11.txt"
expect_fail "q's length names --q" "info: --q: expected 2 probabilities \(as many as p\), got 1" "$LMPROB" info --p 0.5,0.5 --q 1
expect_fail "hexadecimal base" "base: expected e or a positive number other than 1, got '0x10'" "$LMPROB" info --p 1 --base 0x10
expect_fail "nothing to do" 'expected --p' "$LMPROB" info
expect_fail "non-numeric" "item 2: expected a finite number, got 'x'" "$LMPROB" info --p 0.5,x
# the extra golden cases (torch / scipy / the HF and llama.cpp re-implementations in bench/peer_sample.py)
expect_out "verify info_extra.json" ' 0 failed' "$LMPROB" verify "$here/golden/info_extra.json"
# logits may hold -inf (docs/information.md); lists that are not numbers exit 2, as --p's; stdin read once
expect_out "info logits with -inf" '"entropy_of_softmax": 0' "$LMPROB" info --logits 1e308,0,-inf --json
"$LMPROB" info --logits 1,abc >/dev/null 2>&1; [ $? -eq 2 ] && ok || bad "info --logits 1,abc: expected exit 2"
"$LMPROB" info --log-probs -1,x >/dev/null 2>&1; [ $? -eq 2 ] && ok || bad "info --log-probs -1,x: expected exit 2"
expect_fail "info logits all -inf" 'info: --logits: all 2 logits are -inf' "$LMPROB" info --logits -inf,-inf
# inline values outside their domain: usage errors, exit 2 (they exited 1)
"$LMPROB" info --logits -inf,-inf >/dev/null 2>&1; [ $? -eq 2 ] && ok || bad "info --logits -inf,-inf: expected exit 2"
"$LMPROB" info --log-probs 1,-1 >/dev/null 2>&1; [ $? -eq 2 ] && ok || bad "info --log-probs 1,-1: expected exit 2"
expect_out "info log-probs -inf" '^perplexity +inf$' "$LMPROB" info --log-probs -1,-inf
"$LMPROB" info --p-file - --q-file - </dev/null >/dev/null 2>"$TMPD/e"; rc=$?
[ $rc -eq 2 ] && grep -q "both standard input ('-')" "$TMPD/e" && ok || bad "info --p-file - --q-file -: rc $rc: $(cat "$TMPD/e")"
expect_fail "info file error names the command" '^lmprob: info: /nonexistent/p: cannot open' "$LMPROB" info --p-file /nonexistent/p
expect_fail "info empty value" "info: --logits: expected logits, comma-separated \(-inf allowed\), got ''" "$LMPROB" info --logits ''
finish
