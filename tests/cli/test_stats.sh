# CLI tests for stats, fit, bayes, nn, experiment and the stats golden file.
. "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)

# ---- stats ----
printf '2 4 4 4 5 5 7 9\n' >"$TMPD/ch.txt"
expect_out "stats mean" '^mean +5$' "$LMPROB" stats "$TMPD/ch.txt"
expect_out "stats var" '^var \(ddof=0\) +4$' "$LMPROB" stats "$TMPD/ch.txt"
expect_out "stats ddof=1 json" '"var": 4.5714285714285712' "$LMPROB" stats --ddof 1 --json "$TMPD/ch.txt"
expect_out "stats skewness" '"skewness": 0.65625' "$LMPROB" stats --json "$TMPD/ch.txt"
# data near DBL_MAX: the mean and the standard deviation are doubles though the sum and the variance are not
printf '1e308 1e308 1.5e308\n' >"$TMPD/big.txt"
expect_out "stats mean past DBL_MAX" '^mean +1\.166666667e\+308$' "$LMPROB" stats "$TMPD/big.txt"
printf '1e308 -1e308 1e308\n' >"$TMPD/spread.txt"
expect_out "stats std of a variance past DBL_MAX" '^std \(ddof=0\) +9\.428090416e\+307$' "$LMPROB" stats "$TMPD/spread.txt"
expect_out "stats normaltest" 'normaltest +statistic 1.80172 +p-value 0.40622' "$LMPROB" stats "$TMPD/ch.txt"
expect_out "stats stdin" '"n": 8, ' sh -c "cat '$TMPD/ch.txt' | '$LMPROB' stats --json -"
expect_out "stats small n: tests n/a" 'skewtest +n/a \(needs n >= 8\)' sh -c "echo 1 2 3 | '$LMPROB' stats"
expect_out "stats small n: json null" '"normaltest": null' sh -c "echo 1 2 3 | '$LMPROB' stats --json"
expect_out "stats --help" 'usage: lmprob stats' "$LMPROB" stats --help
printf '1 2\n3 nan\n' >"$TMPD/nan.txt"
expect_fail "stats NaN names file:line" 'nan.txt:2: item 2: expected a finite number, got .nan.' "$LMPROB" stats "$TMPD/nan.txt"
# a value is shown as text a terminal can print: invalid UTF-8 and control bytes as \xNN (they went out raw,
# an escape sequence among them), UTF-8 kept, about 90 bytes of it
printf '1 2\n3 \377\376\001\303\251\n' >"$TMPD/bytes.txt"
expect_fail "stats: bytes shown escaped" "bytes.txt:2: item 2: expected a finite number, got '\\\\xff\\\\xfe\\\\x01é'\$" "$LMPROB" stats "$TMPD/bytes.txt"
head -c 5000 /dev/zero | tr '\0' 7 | sed 's/^/x/' >"$TMPD/long.txt"
expect_fail "stats: a long token cut" "got 'x7{80,92}\\.\\.\\.'\$" "$LMPROB" stats "$TMPD/long.txt"
expect_fail "an option's value shown escaped" "dist: --mu: expected a finite number, got 'x\\\\x1b\\[31m'" "$LMPROB" dist normal --mu "$(printf 'x\033[31m')"
expect_fail "an unknown option shown escaped" "unknown option '--x\\\\xff'" "$LMPROB" stats "--x$(printf '\377')"
printf '1 2\n3 4x\n' >"$TMPD/bad.txt"
expect_fail "stats malformed number" "bad.txt:2: item 2: expected a finite number, got '4x'" "$LMPROB" stats "$TMPD/bad.txt"
: >"$TMPD/empty.txt"
expect_fail "stats empty input" 'empty input' "$LMPROB" stats "$TMPD/empty.txt"
expect_fail "stats missing file" 'cannot open' "$LMPROB" stats "$TMPD/none.txt"
expect_fail "stats bad ddof" "--ddof: expected a number >= 0, got '-1'" "$LMPROB" stats --ddof -1 "$TMPD/ch.txt"
expect_fail "stats ddof too large" 'ddof = 8 with 8 observations' "$LMPROB" stats --covariance --ddof 8 "$TMPD/ch.txt"
# the same rule without --covariance (it printed var nan, exit 0), exit 1 and nothing on stdout
"$LMPROB" stats --ddof 8 --json "$TMPD/ch.txt" >"$TMPD/o" 2>"$TMPD/e"; rc=$?
if [ $rc -eq 1 ] && [ ! -s "$TMPD/o" ] && grep -q 'lmprob: stats: .*ch.txt: ddof = 8 with 8 observations: expected ddof < observations' "$TMPD/e"; then ok; else bad "stats --ddof 8 of 8: rc $rc: $(cat "$TMPD/o" "$TMPD/e")"; fi
expect_fail "stats unknown option" "unknown option '--frob'" "$LMPROB" stats --frob

# ---- covariance / correlation ----
printf '1 2 3 4 5\n2 4 5 4 5\n5 3 2 2 1\n' >"$TMPD/m.txt"
expect_out "cov matrix" '^ +2.5 +1.5 +-2.25$' "$LMPROB" stats --covariance "$TMPD/m.txt"
expect_out "cov json" '"cov": \[\[2.5, 1.5, -2.25\]' "$LMPROB" stats --covariance --json "$TMPD/m.txt"
expect_out "corr json" '0.7745966692414834' "$LMPROB" stats --corr --json "$TMPD/m.txt"
printf '1 2 5\n2 4 3\n3 5 2\n4 4 2\n5 5 1\n' >"$TMPD/mt.txt"
expect_out "cov --columns" '"cov": \[\[2.5, 1.5, -2.25\]' "$LMPROB" stats --covariance --columns --json "$TMPD/mt.txt"
printf '1 2 3\n4 5\n' >"$TMPD/rag.txt"
expect_fail "cov ragged rows" 'rag.txt:2: row has 2 values: expected 3 \(as line 1\)' "$LMPROB" stats --covariance "$TMPD/rag.txt"
expect_fail "cov and corr" 'at most one' "$LMPROB" stats --covariance --corr "$TMPD/m.txt"
expect_fail "columns without cov" '--columns: expected together with --covariance or --correlation' "$LMPROB" stats --columns "$TMPD/m.txt"

# ---- fit ----
printf '# x y\n0 1\n1 3\n2 5\n3 7\n' >"$TMPD/line.txt"
expect_out "fit line slope" '^c\[x\^1\] = 2(\.0+[0-9]?)?$' "$LMPROB" fit --degree 1 "$TMPD/line.txt"
expect_out "fit eval" '"eval": \[\{"x": 10, "y": 21' "$LMPROB" fit --degree 1 --eval 10 --json "$TMPD/line.txt"
expect_out "fit --help" 'usage: lmprob fit' "$LMPROB" fit --help
printf '0 -1e300\n1e-10 1e300\n' >"$TMPD/steep.txt"
expect_fail "fit: a coefficient beyond the doubles" 'fit: .*steep.txt: the coefficient of x\^1 is beyond the range of a double' "$LMPROB" fit --degree 1 "$TMPD/steep.txt"
# the residual RMS of residuals whose squares leave the doubles (np: sqrt(mean(r**2)) of r scaled) was inf / 0
printf '0 1e300\n1 -1e300\n2 1e300\n' >"$TMPD/bigres.txt"
expect_out "fit RMS of residuals of 1e300" '"residual_rms": 9\.42809041582063[0-9]*e\+299' "$LMPROB" fit --degree 1 --json "$TMPD/bigres.txt"
printf '0 1e-170\n1 -1e-170\n2 1e-170\n' >"$TMPD/tinyres.txt"
expect_out "fit RMS of residuals of 1e-170" '"residual_rms": 9\.42809041582063[0-9]*e-171' "$LMPROB" fit --degree 1 --json "$TMPD/tinyres.txt"
printf '0 0\n1 0\n2 0\n' >"$TMPD/zeros.txt"
expect_out "fit of zeros: 0, not -0" '^c\[x\^0\] = 0$' "$LMPROB" fit --degree 1 "$TMPD/zeros.txt"
expect_fail "fit degree >= points" 'fit: .*line\.txt: degree = 4 .*degree 4 needs at least 5 points' "$LMPROB" fit --degree 4 "$TMPD/line.txt"
printf '1 1\n1 2\n2 3\n2 4\n' >"$TMPD/rep.txt"
expect_fail "fit singular" 'x has 2 distinct value\(s\): a degree 2 fit needs at least 3 distinct x values' "$LMPROB" fit --degree 2 "$TMPD/rep.txt"
printf '0 1\n1 zz\n' >"$TMPD/fbad.txt"
expect_fail "fit malformed" "fbad.txt:2: item 2: expected a finite number, got 'zz'" "$LMPROB" fit --degree 1 "$TMPD/fbad.txt"
printf '0 1\n1\n' >"$TMPD/fone.txt"
expect_fail "fit one value" '^lmprob: fit: .*fone.txt:2: row has 1 value: expected 2$' "$LMPROB" fit --degree 1 "$TMPD/fone.txt"
# a first line of three numbers is the wrong one (it set the width: line 2's 'x y' was blamed)
printf '1 2 3\n4 5\n6 7\n' >"$TMPD/fthree.txt"
expect_fail "fit: a first row of 3 is named" '^lmprob: fit: .*fthree.txt:1: row has 3 values: expected 2$' "$LMPROB" fit --degree 1 "$TMPD/fthree.txt"
expect_fail "fit needs degree" '--degree: expected a degree' "$LMPROB" fit "$TMPD/line.txt"
expect_fail "fit bad degree" "--degree: expected an integer from 0 to 32, got '40'" "$LMPROB" fit --degree 40 "$TMPD/line.txt"
expect_fail "fit bad eval" "--eval: item 2: expected a finite number, got 'q'" "$LMPROB" fit --degree 1 --eval 1,q "$TMPD/line.txt"
expect_fail "fit empty" 'empty input' "$LMPROB" fit --degree 1 "$TMPD/empty.txt"
# one reader for stats and fit: '#' lines are comments in both, hex is not a number (numpy refuses it), a token
# may be of any length, and every message starts with the command
printf '# x y\n0 1\n  # note\n1 3\n2 5\n' >"$TMPD/cm.txt"
expect_out "fit skips comments" '^c\[x\^1\] = 2' "$LMPROB" fit --degree 1 "$TMPD/cm.txt"
expect_out "stats skips comments" '^n +6$' "$LMPROB" stats "$TMPD/cm.txt"
expect_fail "stats hex" "lmprob: stats: <stdin>:1: expected a finite number, got '0x10'" sh -c "printf '0x10 1' | \"$LMPROB\" stats -"
expect_fail "fit hex" "lmprob: fit: <stdin>:1: item 2: expected a finite number, got '0x1p3'" sh -c "printf '1 0x1p3\n2 3\n' | \"$LMPROB\" fit --degree 1 -"
expect_out "stats long token" '^mean +1\.33333' sh -c "/usr/bin/python3 -c \"print('1.'+'0'*126+' 1 2')\" | \"$LMPROB\" stats -"
# a NaN is "nan" in text as in JSON (printf wrote x86's default NaN, 0/0, as "-nan")
expect_out "stats nan text" '^skewness +nan +\(bias-corrected G1 nan\)$' sh -c "printf '1 1 1\n' | \"$LMPROB\" stats -"
expect_fail "stats file error names the command" '^lmprob: stats: /nonexistent/x: cannot open' "$LMPROB" stats /nonexistent/x
# a table of pairs read a row per variable (the default, as np.cov): a 20,000 x 20,000 matrix (3.2 GB) under a 1 GB
# address-space limit says which matrix and names --columns; it said "lmprob: out of memory" (not under ASan)
if is_asan; then ok; else
  /usr/bin/python3 -c "print('\n'.join('%d %d' % (i, 2 * i) for i in range(20000)))" >"$TMPD/pairs.txt"
  expect_fail "stats --covariance too many variables" '^lmprob: stats: .*pairs.txt: out of memory for a 20000 x 20000 covariance matrix \(3.2 GB\): 20000 variables, one a line \(the default; --columns reads one a column\)$' sh -c "ulimit -v 1000000; '$LMPROB' stats --covariance '$TMPD/pairs.txt'"
fi

# ---- bayes ----
expect_out "disease 1 test" '^ +1 +0.0682686 +1.9435%$' "$LMPROB" bayes disease --tests 2
expect_out "disease 2 tests" '^ +2 +0.314922 +28.1832%$' "$LMPROB" bayes disease --tests 2
expect_out "disease json" '"posterior": 0.28183229813664595' "$LMPROB" bayes disease --prior 0.001 --sensitivity 0.99 --fpr 0.05 --tests 2 --json
expect_fail "disease prior > 1" "--prior: expected a probability in \[0, 1\], got '1.5'" "$LMPROB" bayes disease --prior 1.5
# options that make a result impossible: a usage error, exit 2 (it was 1, a data error, with no data)
"$LMPROB" bayes disease --sensitivity 0 --fpr 0 >/dev/null 2>"$TMPD/e"; rc=$?
if [ $rc = 2 ] && grep -q "P(+) = 0 with --sensitivity 0 --fpr 0: expected a possible result" "$TMPD/e"; then ok
else bad "bayes disease --sensitivity 0 --fpr 0: exit $rc: $(cat "$TMPD/e")"; fi
expect_fail "disease fpr nan" "--fpr: expected a probability in \[0, 1\], got 'nan'" "$LMPROB" bayes disease --fpr nan
expect_fail "disease never positive" 'P\(\+\) = 0' "$LMPROB" bayes disease --sensitivity 0 --fpr 0
expect_out "disease mixed results" '^ +3 +- +0.685078 +0.4114%$' "$LMPROB" bayes disease --results "+,+,-"
expect_out "disease results json" '"tests": 2, "result": "-", "posterior": ' "$LMPROB" bayes disease --results "+-" --json
# an impossible result (options only: a usage error, exit 2): the message with the subcommand's name, and nothing on stdout (it was a complete-looking object)
"$LMPROB" bayes disease --prior 1 --sensitivity 0 --tests 2 --json >"$TMPD/o" 2>"$TMPD/e"; rc=$?
if [ $rc -eq 2 ] && [ ! -s "$TMPD/o" ] && grep -q "^lmprob: bayes disease: test 1 is '+' but P(+) = 0" "$TMPD/e"; then ok; else bad "bayes disease impossible: rc $rc: $(cat "$TMPD/o" "$TMPD/e")"; fi
expect_fail "bayes beta heads > trials" '^lmprob: bayes beta: --heads 11: expected at most --trials 10' "$LMPROB" bayes beta --a 1 --b 1 --heads 11 --trials 10
expect_fail "disease bad result" "--results: item 2: expected '\+' or '-', got 'x'" "$LMPROB" bayes disease --results "+x"
expect_fail "disease tests and results" '--tests and --results' "$LMPROB" bayes disease --tests 2 --results "+"
expect_out "joint marginals" '"p_x": \[0.5, 0.5\], "p_y": \[0.55000000000000004, 0.44999999999999996\]' "$LMPROB" bayes joint --table "0.4,0.1;0.15,0.35" --json
expect_out "joint conditional" '"p_y_given_x": \[\[0.80000000000000004, 0.20000000000000001\]' "$LMPROB" bayes joint --table "0.4,0.1;0.15,0.35" --json
expect_out "joint dependent" 'max \|P\(x,y\) - P\(x\)P\(y\)\| = 0.125 -> dependent' "$LMPROB" bayes joint --table "0.4,0.1;0.15,0.35"
expect_out "joint independent" '-> independent' "$LMPROB" bayes joint --table "0.06,0.24;0.14,0.56"
expect_fail "joint sum != 1" 'cells sum to 0.90000000000000002: expected 1 within 1e-09 \(use --normalize' "$LMPROB" bayes joint --table "0.4,0.1;0.15,0.25"
expect_fail "joint cell > 1" 'p\[1\]\[0\] = 1.5: expected a probability in \[0, 1\]' "$LMPROB" bayes joint --table "0.4,0.1;1.5,0.35"
expect_fail "joint negative cell normalize" 'p\[0\]\[1\] = -1: expected a finite non-negative weight' "$LMPROB" bayes joint --table "1,-1;2,3" --normalize
expect_out "joint normalize counts" '"p_x": \[0.30000000000000004, 0.69999999999999996\]' "$LMPROB" bayes joint --table "1,2;3,4" --normalize --json
expect_out "joint normalize overflowing total" '"joint": \[\[0\.25, 0\.25\], \[0\.25, 0\.25\]\].*"p_y_given_x": \[\[0\.5, 0\.5\]' "$LMPROB" bayes joint --table "1e308,1e308;1e308,1e308" --normalize --json
expect_fail "joint malformed" "bayes joint: --table: row 2: item 2: expected a finite number, got 'x'" "$LMPROB" bayes joint --table "0.4,0.1;0.15,x"
# a table that is not numbers is a usage error (exit 2), as every malformed option value
"$LMPROB" bayes joint --table 'a,b;c,d' >/dev/null 2>&1; [ $? -eq 2 ] && ok || bad "bayes joint --table 'a,b;c,d': expected exit 2"
"$LMPROB" bayes joint --table '0x1,0;0,0' >/dev/null 2>&1; [ $? -eq 2 ] && ok || bad "bayes joint --table with a hex float: expected exit 2"
expect_fail "joint ragged" 'row 2 has 1 cells: expected 2' "$LMPROB" bayes joint --table "0.4,0.1;0.5"
expect_fail "joint empty row" 'row 2: expected a list of numbers, got an empty list' "$LMPROB" bayes joint --table "0.5,0.5;"
expect_fail "joint missing table" '--table: expected a table' "$LMPROB" bayes joint
expect_out "beta mean" '"mean": 0.6428571428571429' "$LMPROB" bayes beta --a 2 --b 2 --heads 7 --trials 10 --json
expect_out "beta log marginal" '"log_marginal": -2.19025590802012' "$LMPROB" bayes beta --a 2 --b 2 --heads 7 --trials 10 --json
expect_out "beta mode text" 'posterior mode +0.6666666667' "$LMPROB" bayes beta --a 2 --b 2 --heads 7 --trials 10
expect_fail "beta heads > n" '--heads 11: expected at most --trials 10' "$LMPROB" bayes beta --a 2 --b 2 --heads 11 --trials 10
expect_fail "beta a <= 0" "--a: expected a > 0, got '0'" "$LMPROB" bayes beta --a 0 --b 2 --heads 1 --trials 10
expect_fail "beta missing" 'all four' "$LMPROB" bayes beta --a 1
expect_fail "bayes unknown sub" "unknown subcommand 'x'" "$LMPROB" bayes x
expect_out "bayes --help" 'usage: lmprob bayes disease' "$LMPROB" bayes --help

# ---- nn ----
expect_out "nn xavier std" 'std 0.04419417382' "$LMPROB" nn init --kind xavier_normal --fan-in 512 --fan-out 512
expect_out "nn xavier numpy parity" '"values": \[0.021951871619098437' "$LMPROB" nn init --kind xavier_normal --fan-in 512 --fan-out 512 --rng numpy --seed 42 --print 1 --json
expect_out "nn he std" '"std": 0.0625' "$LMPROB" nn init --kind he_normal --fan-in 512 --json
expect_out "nn init json names its stream" '^\{"seed": 5, "rng": "numpy", "kind": "he_normal"' "$LMPROB" nn init --kind he_normal --fan-in 8 --rng numpy --seed 5 --json
expect_fail "nn bad kind" "^lmprob: nn init: --kind: initialiser 'glorot': expected xavier_normal" "$LMPROB" nn init --kind glorot --fan-in 3
expect_fail "nn fan-in 0" "--fan-in: expected an integer from 1 to 100000, got '0'" "$LMPROB" nn init --kind he_normal --fan-in 0
expect_fail "nn numpy seed too large" '2\^32|4294967295|seed' "$LMPROB" nn init --kind he_normal --fan-in 4 --rng numpy --seed 99999999999
expect_out "nn layernorm" '^-1.3416354199689269$' "$LMPROB" nn layernorm --x 1,2,3,4
expect_out "nn layernorm affine" '0.19999936000307197' "$LMPROB" nn layernorm --x 0.5,-1.5,2,0 --gain 1,2,0.5,-1 --shift 0,0.1,-0.2,0.3 --json
expect_fail "nn layernorm constant eps 0" 'var \+ eps = 0' "$LMPROB" nn layernorm --x 2,2,2 --eps 0
# x at the ends of the range: scaled by its largest |x| before the moments
expect_out "nn layernorm 1e308" '^1 -1 $' sh -c "\"$LMPROB\" nn layernorm --x 1e308,-1e308 | tail -n 2 | tr '\n' ' '"
expect_out "nn layernorm 1e200" '^-0\.7071067811865472[0-9]* -0\.7071067811865472[0-9]* 1\.414213562373095[0-9]* $' sh -c "\"$LMPROB\" nn layernorm --x 1e200,1e200,3e200 | tail -n 3 | tr '\n' ' '"
expect_out "nn layernorm 1e-200 eps 0" '^-1\.224744871391588[0-9]* 0 1\.224744871391588[0-9]* $' sh -c "\"$LMPROB\" nn layernorm --x 1e-200,2e-200,3e-200 --eps 0 | tail -n 3 | tr '\n' ' '"
expect_fail "nn layernorm gamma length" '^lmprob: nn layernorm: --gain has 2 values: expected 3' "$LMPROB" nn layernorm --x 1,2,3 --gain 1,2
expect_out "nn reparam numpy parity" '"z": \[2.1243453636632417, -2.2235128273001505' "$LMPROB" nn reparam --mean 0.5,-1,2 --logvar 0,1.3862943611198906,-2 --rng numpy --seed 1 --json
expect_fail "nn reparam negative sigma" 'sigma\[1\] = -1: expected a finite sigma >= 0' "$LMPROB" nn reparam --mean 0,0 --std 1,-1
expect_fail "nn reparam both" 'exactly one of --std' "$LMPROB" nn reparam --mean 0 --std 1 --logvar 0
# each message names the subcommand, as every other message of nn does (these said only "nn:")
expect_fail "nn reparam list length" '^lmprob: nn reparam: --std has 1 values: expected 2' "$LMPROB" nn reparam --mean 0,1 --std 1
expect_fail "nn init too many weights" '^lmprob: nn init: --fan-in x --fan-out' "$LMPROB" nn init --kind he_normal --fan-in 100000 --fan-out 100000
expect_out "nn --help" 'usage: lmprob nn init' "$LMPROB" nn --help

# ---- experiments (numpy parity where the chapter's calls are the same) ----
expect_out "mc chapter estimate" '^MC estimate \(100000 draws\): 1.4985$' "$LMPROB" experiment mc --rng numpy --max-pow 3
expect_out "mc normal mean" '^E\[N\(3,4\)\] \(1000000 draws\): 2.9971$' "$LMPROB" experiment mc --rng numpy --max-pow 3
expect_out "mc json" '"exact": 1.5, "chapter_mean": 1.49848' "$LMPROB" experiment mc --rng numpy --max-pow 2 --json
expect_out "rule numpy" '^ +1s +68.2534% +68.2689%' "$LMPROB" experiment rule --rng numpy
expect_out "rule json" '"exact": \[0.68268949213708585, 0.95449973610364158, 0.99730020393673979\]' "$LMPROB" experiment rule --draws 1000 --json
expect_out "clt numpy p-value" '^Normality test p-value: 0.636' "$LMPROB" experiment clt --rng numpy --repeats 0
expect_out "clt repeats" 'over 20 further samples: normaltest rejects' "$LMPROB" experiment clt --repeats 20 --n-sums 2000
# the closing comment follows the rates it printed (it said "the test sees it" under 0 % against the control's 20 %)
expect_out "clt: a test that does not see it says so" "^# the test does not tell it from the control in these 5 repeats \\(0.0% against 20.0%\\)" "$LMPROB" experiment clt --terms 100000 --n-sums 8 --repeats 5
expect_out "clt: the default run sees it" "^# the test sees it: it rejects more often than on the control \\(8.2% against 6.0%\\)" "$LMPROB" experiment clt --rng numpy
expect_out "biasvar numpy fit" '^ +15 +0.0002 +112.8' "$LMPROB" experiment biasvar --rng numpy --seed 0 --fit numpy
expect_out "biasvar rank warnings" 'degree 15: 10 of 200 fits rank deficient' "$LMPROB" experiment biasvar --rng numpy --seed 0 --fit numpy
expect_out "biasvar deg 3 mse" '^ +3 +0.0000 +0.0119 +0.1019' "$LMPROB" experiment biasvar --rng numpy --seed 0 --degrees 1,3
expect_fail "biasvar --degrees empty: what is expected" "--degrees: expected polynomial degrees, comma-separated, got ''" "$LMPROB" experiment biasvar --degrees ''
expect_fail "biasvar degree too big" '--degrees: item 1 = 20: expected an integer from 0 to 19' "$LMPROB" experiment biasvar --degrees 20
expect_fail "biasvar bad fit" "--fit: expected exact or numpy, got 'svd'" "$LMPROB" experiment biasvar --fit svd
expect_out "disease experiment" '^ +2 +28.18%' "$LMPROB" experiment disease --population 10000
expect_fail "experiment unknown" "unknown subcommand 'foo'" "$LMPROB" experiment foo
# A positive that cannot happen (P(+) = 0) has no posterior: exit 2 (options only) and nothing on stdout, as bayes disease
# (the rows printed nan% and "posterior": "nan" with exit 0); the message names the command.
"$LMPROB" experiment disease --sensitivity 0 --fpr 0 --population 100 --json >"$TMPD/out" 2>"$TMPD/err"; rc=$?
[ $rc -eq 2 ] && [ ! -s "$TMPD/out" ] && grep -q "^lmprob: experiment disease: test 1 is '+' but P(+) = 0" "$TMPD/err" && ok ||
  bad "experiment disease P(+) = 0: exit $rc: $(head -c 300 "$TMPD/out") $(cat "$TMPD/err")"
expect_out "experiment disease P(+) = 0, no test" '^ +0 +0.10%' "$LMPROB" experiment disease --sensitivity 0 --fpr 0 --tests 0 --population 100
# the long experiments draw a percentage on a terminal (they ran silent for minutes), cleared before the results
if have_tty; then
  on_tty "$TMPD/tty" "'$LMPROB' experiment rule --draws 20000000"
  grep -Eq 'lmprob: experiment: rule +[0-9]+%' "$TMPD/tty" && grep -q '68.2689%' "$TMPD/tty" && ok || bad "experiment rule: no progress on a terminal: $(head -c 300 "$TMPD/tty")"
  on_tty "$TMPD/tty" "'$LMPROB' experiment clt --repeats 100 --n-sums 20000"
  grep -Eq 'lmprob: experiment: clt +[0-9]+%' "$TMPD/tty" && ok || bad "experiment clt: no progress on a terminal: $(head -c 300 "$TMPD/tty")"
fi
"$LMPROB" experiment rule --draws 20000000 >/dev/null 2>"$TMPD/err"; [ ! -s "$TMPD/err" ] && ok || bad "experiment rule: stderr not a terminal, yet: $(head -c 200 "$TMPD/err")"
# --tests and --tol have one domain in the commands that take them (docs/cli.md "One name, one
# meaning"): the same message and exit 2 for the same bad value; experiment disease follows 11 tests
# and more (it kept a table of 11).
for inv in "bayes disease" "experiment disease --population 100"; do
  read -r -a A <<<"$inv"
  "$LMPROB" "${A[@]}" --tests 100001 >/dev/null 2>"$TMPD/err"; rc=$?
  [ $rc -eq 2 ] && grep -qF -- "--tests: expected an integer from 0 to 100000, got '100001'" "$TMPD/err" && ok || bad "$inv --tests 100001: exit $rc: $(cat "$TMPD/err")"
done
expect_out "experiment disease 12 tests" '"positives": 12, ' "$LMPROB" experiment disease --tests 12 --population 1000 --json
for inv in "bayes joint --table 0.5,0.5" "mix $ROOT/tests/fixtures/ngtools/uni_a.arpa $ROOT/tests/fixtures/ngtools/uni_b.arpa"; do
  read -r -a A <<<"$inv"
  "$LMPROB" "${A[@]}" --tol 0 >/dev/null 2>"$TMPD/err"; rc=$?
  [ $rc -eq 2 ] && grep -qF -- "--tol: expected a tolerance > 0, got '0'" "$TMPD/err" && ok || bad "${A[0]} --tol 0: exit $rc: $(cat "$TMPD/err")"
done
expect_fail "experiment bad option" "unknown option '--n'" "$LMPROB" experiment mc --n 3
expect_fail "experiment bad rng" "--rng: expected xoshiro or numpy, got 'mt'" "$LMPROB" experiment rule --rng mt
expect_out "experiment --help" 'usage: lmprob experiment NAME' "$LMPROB" experiment --help

# a UTF-8 byte-order mark at the start of a numbers file is skipped (it was read into the first number:
# "expected a finite number, got '1'", the mark invisible); a data error names the file
printf '\357\273\2771\n2\n3\n' >"$TMPD/bom.txt"
expect_out "numbers file with a UTF-8 BOM" '^mean +2$' "$LMPROB" stats "$TMPD/bom.txt"
# CR-only line ends (old Mac) are line ends: the same covariance as LF and CRLF (it read one line: "1 variable")
printf '1 2\r3 4\r5 6.5\r7 8\r' >"$TMPD/cr.txt"; printf '1 2\n3 4\n5 6.5\n7 8\n' >"$TMPD/lf.txt"; printf '1 2\r\n3 4\r\n5 6.5\r\n7 8\r\n' >"$TMPD/crlf.txt"
for f in cr crlf; do
  if [ "$("$LMPROB" stats --covariance "$TMPD/$f.txt" 2>&1)" = "$("$LMPROB" stats --covariance "$TMPD/lf.txt" 2>&1)" ]; then ok
  else bad "stats --covariance of $f line ends differs from LF: $("$LMPROB" stats --covariance "$TMPD/$f.txt" 2>&1 | head -1)"; fi
done
printf '1\n2\n' >"$TMPD/two.txt"
expect_fail "stats --ddof = n names the file" 'stats: .*two\.txt: ddof = 2 with 2 observations' "$LMPROB" stats --ddof 2 "$TMPD/two.txt"

# ---- golden cases of this module beyond ../shared ----
expect_out "verify stats_extra.json" '^[0-9]+ passed, 0 failed$' "$LMPROB" verify "$ROOT/tests/golden/stats_extra.json"
finish
