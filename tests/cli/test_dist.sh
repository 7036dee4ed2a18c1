# lmprob dist / lmprob rng: outputs, numpy parity, the extra golden file, and every error.
. "$(dirname "$0")/lib.sh"
G="$(dirname "$0")/../golden/dist_extra.json"

expect_out "help lists families" 'categorical.*--p' "$LMPROB" dist --help
expect_out "help lists mvn cov" 'mvn +--mean' "$LMPROB" dist --help
expect_out "normal cdf 1.96" '^cdf\(1.96\) = 0\.975002104851779' "$LMPROB" dist normal --mu 0 --sigma 1 --cdf 1.96
expect_out "normal sf 10 (tail)" '^sf\(10\) = 7\.61985302416052[0-9]*e-24' "$LMPROB" dist normal --sf 10
expect_out "normal quantile 1e-300" '^quantile\(1e-300\) = -37\.04709629936' "$LMPROB" dist normal --quantile 1e-300
expect_out "normal logcdf via logsf list" '^logpdf\(0\) = -0\.918938533204672' "$LMPROB" dist normal --logpdf 0,1
expect_out "stats by default" '^var = 4$' "$LMPROB" dist normal --mu 3 --sigma 2
expect_out "binomial logpmf tail" '^logpmf\(0\) = -6907\.7552789821' "$LMPROB" dist binomial --trials 1000 --p 0.999 --logpmf 0
# The exact value for the double p = 0.3 is 0.64961071840000003; within an ulp either way is right.
expect_out "binomial cdf" '^cdf\(3\) = 0\.64961071(84|83999999)' "$LMPROB" dist binomial --trials 10 --p 0.3 --cdf 3
expect_out "poisson pmf" '^pmf\(3\) = 0\.2137630172497' "$LMPROB" dist poisson --lambda 2.5 --pmf 3
expect_out "gamma quantile" '^quantile\(0\.5\) = 1\.678346' "$LMPROB" dist gamma --shape 2 --quantile 0.5
expect_out "beta stats" '^mean = 0\.2857142857142857' "$LMPROB" dist beta --a 2 --b 5 --stats
expect_out "laplace cdf" '^cdf\(-1\) = 0\.30326532985631' "$LMPROB" dist laplace --b 2 --cdf -1
expect_out "exponential sf" '^sf\(2\) = 0\.36787944117144' "$LMPROB" dist exponential --rate 0.5 --sf 2
expect_out "uniform quantile" '^quantile\(0\.25\) = 0\.5$' "$LMPROB" dist uniform --lo 0 --hi 2 --quantile 0.25
expect_out "bernoulli pmf" '^pmf\(1\) = 0\.25$' "$LMPROB" dist bernoulli --p 0.25 --pmf 1
# quantile(1) is 1 for every p > 0, also where 1 - p rounds to 1 (it gave 0 below p = 2^-53; fortieth session);
# q = 0.9 at p = 0.1 stays scipy's 0
expect_out "bernoulli quantile(1) at p = 1e-300" '^quantile\(1\) = 1$' "$LMPROB" dist bernoulli --p 1e-300 --quantile 1
expect_out "bernoulli quantile(0.9) at p = 0.1" '^quantile\(0\.9\) = 0$' "$LMPROB" dist bernoulli --p 0.1 --quantile 0.9
expect_out "dirichlet logpdf" '^logpdf\(0\.2,0\.3,0\.5\) = 0\.693147180559945' "$LMPROB" dist dirichlet --alpha 1,1,1 --logpdf 0.2,0.3,0.5
expect_out "mvn logpdf" '^logpdf\(0,0\) = -1\.69403603018345' "$LMPROB" dist mvn --mean 0,0 --cov "1,0.5;0.5,1" --logpdf 0,0
expect_out "json output" '^\{"family": "normal", "cdf": \[\{"x": 0, "value": 0\.5\}\]\}$' "$LMPROB" dist normal --cdf 0 --json
# The draws' JSON names the stream that made them; --sample 0 is an empty list (it printed the moments, no key)
expect_out "json samples name rng and seed" '^\{"family": "normal", "rng": "numpy", "seed": 3, "samples": \[1\.7886284734303186, 0\.43650985051198943\]\}$' "$LMPROB" dist normal --sample 2 --rng numpy --seed 3 --json
expect_out "json --sample 0: empty list" '^\{"family": "mvn", "rng": "xoshiro", "seed": 42, "samples": \[\]\}$' "$LMPROB" dist mvn --mean 0,0 --cov "1,0;0,1" --sample 0 --json
"$LMPROB" dist normal --sample 0 >"$TMPD/o" 2>&1; rc=$?
[ $rc -eq 0 ] && [ ! -s "$TMPD/o" ] && ok || bad "dist normal --sample 0: rc $rc, output '$(cat "$TMPD/o")' (no draws asked)"

# Sampling: counts and numpy parity (np.random.seed(42); np.random.choice(5, size=12, p=[.4,.25,.15,.12,.08])).
"$LMPROB" dist categorical --p 0.2,0.3,0.5 --sample 10 >"$TMPD/cat" 2>&1
if [ "$(wc -l <"$TMPD/cat")" -eq 10 ] && ! grep -qv '^[012]$' "$TMPD/cat"; then ok; else bad "categorical --sample 10 gives 10 indices in 0..2: $(head -c 200 "$TMPD/cat")"; fi
"$LMPROB" dist categorical --p 0.4,0.25,0.15,0.12,0.08 --sample 12 --rng numpy --seed 42 >"$TMPD/np" 2>&1
if [ "$(tr '\n' ' ' <"$TMPD/np")" = "0 4 2 1 0 0 0 3 1 2 0 4 " ]; then ok; else bad "numpy choice parity: $(tr '\n' ' ' <"$TMPD/np")"; fi
"$LMPROB" dist mvn --mean 0,0 --cov "1,0.5;0.5,1" --sample 3 >"$TMPD/mvn" 2>&1
if [ "$(wc -l <"$TMPD/mvn")" -eq 3 ] && [ "$(awk '{print NF}' "$TMPD/mvn" | sort -u)" = 2 ]; then ok; else bad "mvn --sample 3: $(cat "$TMPD/mvn")"; fi
"$LMPROB" dist normal --sample 5 --seed 7 >"$TMPD/a"; "$LMPROB" dist normal --sample 5 --seed 7 >"$TMPD/b"; "$LMPROB" dist normal --sample 5 --seed 8 >"$TMPD/c"
if cmp -s "$TMPD/a" "$TMPD/b" && ! cmp -s "$TMPD/a" "$TMPD/c"; then ok; else bad "same seed, same draws; other seed, other draws"; fi
expect_out "numpy normal parity" '^3\.528104691935328' "$LMPROB" dist normal --mu 0 --sigma 2 --sample 1 --rng numpy --seed 0
expect_out "numpy binomial parity" '^2$' "$LMPROB" dist binomial --trials 3 --p 0.5 --sample 1 --rng numpy --seed 0
# exponential(rate) on the numpy stream is numpy's exponential(1 / rate) = (1 / rate) * standard_exponential():
# RandomState(1).exponential(1/3, 3) (e / rate gave ...849, an ulp off, in a third to a half of the draws)
expect_out "numpy exponential parity, rate 3" '^0\.17986861241972846$' \
  sh -c '"$0" dist exponential --rate 3 --sample 3 --rng numpy --seed 1 | head -1' "$LMPROB"
# a Dirichlet row that is numpy's 0/0 (NaN) is drawn in log space from a side stream, so the rows after it
# stay numpy's: RandomState(42).dirichlet([.001, .001], 3) = [0, 1], [nan, nan], [1, 0] (the third was
# 1 2.15e-132: the replacement had drawn from the numpy stream)
expect_out "numpy dirichlet stays in step after a 0/0 row" '^1 0$' \
  sh -c '"$0" dist dirichlet --alpha 0.001,0.001 --sample 3 --rng numpy --seed 42 | tail -1' "$LMPROB"
expect_out "dirichlet sample sums to 1" '^0\.[0-9]+ 0\.[0-9]+ 0\.[0-9]+$' "$LMPROB" dist dirichlet --alpha 1,2,3 --sample 2
expect_out "normalize" '^pmf\(1\) = 0\.75$' "$LMPROB" dist categorical --p 1,3 --normalize --pmf 1

# lmprob rng
expect_out "rng numpy uniform" '^0\.54881350392732475$' "$LMPROB" rng --rng numpy --seed 0 -n 1
expect_out "rng numpy normal" '^1\.764052345967664' "$LMPROB" rng --rng numpy --seed 0 normal -n 1
expect_out "rng numpy u32" '^1791095845$' "$LMPROB" rng --rng numpy --seed 1 u32 -n 1
expect_out "rng xoshiro u64" '^1546998764402558742$' "$LMPROB" rng --seed 42 u64 -n 1
expect_out "rng stream 1" '^5766981335298035530$' "$LMPROB" rng --seed 42 --stream 1 u64 -n 1
# rng integers = numpy's randint (values from numpy 1.24: RandomState(3).randint(6, size=5),
# RandomState(0).randint(-2**63, 2**63 - 1, size=2), RandomState(5).randint(-7, 2**33, size=4))
expect_out "rng integers numpy" '^2 0 1 3 0 $' bash -c '"$0" rng integers --high 6 --rng numpy --seed 3 -n 5 | tr "\n" " "' "$LMPROB"
expect_out "rng integers int64 range" '"values": \[900450186894289455, 3969543146641149120\]' "$LMPROB" rng integers --low -9223372036854775808 --high 9223372036854775807 --rng numpy --seed 0 -n 2 --json
expect_out "rng integers 64-bit words" '^4206684226 385778397 7084371936 3519608852 $' bash -c '"$0" rng integers --low -7 --high 8589934592 --rng numpy --seed 5 -n 4 | tr "\n" " "' "$LMPROB"
expect_fail "rng integers without --high" "integers: expected --high H" "$LMPROB" rng integers
expect_fail "rng integers empty range" "expected low < high" "$LMPROB" rng integers --low 3 --high 3
expect_fail "rng --low for uniform" "only for integers" "$LMPROB" rng uniform --low 3
expect_out "rng numpy exponential" '^0\.2510199773226525[0-9]*' "$LMPROB" rng --rng numpy --seed 5 exponential -n 1
expect_out "numpy poisson parity" '^22$' "$LMPROB" dist poisson --lambda 25 --sample 1 --rng numpy --seed 31
# past 2^53, as integers (np.random.RandomState(0).poisson(1e16, 2)); past numpy's limit, refused
expect_out "numpy poisson 1e16" '^10000000013709104 10000000029249380 $' sh -c "\"$LMPROB\" dist poisson --lambda 1e16 --sample 2 --rng numpy --seed 0 | tr '\n' ' '"
expect_fail "poisson sample limit" 'lambda = 9.3e\+18: too large to sample' "$LMPROB" dist poisson --lambda 9.3e18 --sample 1
expect_out "poisson pmf past the limit" '^pmf\(0\) = 0' "$LMPROB" dist poisson --lambda 9.3e18 --pmf 0
# past 2^53 (k + 1 == k): the quantile returns at once (it stepped k by 1 forever), k goes past long
expect_out "poisson quantile 1e16" '^quantile\(0\.5\) = 10000000000000000$' timeout 10 "$LMPROB" dist poisson --lambda 1e16 --quantile 0.5
expect_out "poisson quantile 1e300" '^quantile\(0\.5\) = 1\.0000000000000001e\+300$' timeout 10 "$LMPROB" dist poisson --lambda 1e300 --quantile 0.5
expect_out "poisson cdf 1e18" '^cdf\(1e\+18\) = 0\.500000000265961' "$LMPROB" dist poisson --lambda 1e18 --cdf 1e18
expect_out "poisson pmf 9e18" '^pmf\(9e\+18\) = 1\.32980760133810' "$LMPROB" dist poisson --lambda 9e18 --pmf 9e18
expect_out "poisson logpmf 1e300" '^logpmf\(1e\+300\) = -346\.306702482311' "$LMPROB" dist poisson --lambda 1e300 --logpmf 1e300
expect_out "rng json" '"values": \[' "$LMPROB" rng --json -n 2
expect_out "rng help" 'usage: lmprob rng' "$LMPROB" rng --help

# beta with large a, b (Temme's expansion) and moments without overflow or underflow
expect_out "beta cdf 1e20" '^cdf\(0\.5\) = 0\.5$' "$LMPROB" dist beta --a 1e20 --b 1e20 --cdf 0.5
expect_out "beta cdf 1e100" '^cdf\(0\.5\) = 0\.5$' "$LMPROB" dist beta --a 1e100 --b 1e100 --cdf 0.5
expect_out "beta quantile 1e18:3e18" '^quantile\(0\.5\) = 0\.25$' "$LMPROB" dist beta --a 1e18 --b 3e18 --quantile 0.5
expect_out "beta var 1e155" '^var = 1\.25e-156$' "$LMPROB" dist beta --a 1e155 --b 1e155 --stats
expect_out "beta var tiny" '^var = 0\.25$' "$LMPROB" dist beta --a 1e-200 --b 1e-200 --stats
expect_out "gamma quantile 1e30" '^quantile\(0\.7\) = 1\.0000000000000006e\+30$' "$LMPROB" dist gamma --shape 1e30 --quantile 0.7

# alphas whose sum overflows: a finite logpdf, mean 1/2, draws near 1/2
expect_out "dirichlet huge alphas" '"logpdf": \{"x": \[0\.5, 0\.5\], "value": 354\.6662063008894[0-9]*\}, "mean": \[0\.5, 0\.5\].*"samples": \[\[0\.5, 0\.5\]\]' "$LMPROB" dist dirichlet --alpha 9e307,9e307 --stats --sample 1 --logpdf 0.5,0.5 --json

# uniform where hi - lo overflows
expect_out "uniform wide" '^cdf\(0\) = 0\.5 quantile\(0\.25\) = -5\.0000000000000001e\+307 mean = 0 ' sh -c "\"$LMPROB\" dist uniform --lo -1e308 --hi 1e308 --cdf 0 --quantile 0.25 --stats | tr '\n' ' '"
"$LMPROB" dist uniform --lo -1e308 --hi 1e308 --sample 3 >"$TMPD/uw" 2>&1
if [ "$(wc -l <"$TMPD/uw")" -eq 3 ] && ! grep -q inf "$TMPD/uw"; then ok; else bad "uniform wide samples: $(cat "$TMPD/uw")"; fi

expect_out "gamma quantile below the subnormals" '^quantile\(0\.5\) = 4\.9406564584124654e-324$' "$LMPROB" dist gamma --shape 1e-10 --quantile 0.5
expect_out "normal pdf subnormal" '^pdf\(0\) = 2\.41970724519143[0-9]*e-309$' "$LMPROB" dist normal --mu 1e308 --sigma 1e308 --pdf 0

# only the family's own parameters (they were ignored), --quantile in [0, 1] (nan, exit 0), nothing on stdout
# after a data error (the JSON's first key was printed before the checks), and the empty value's message
"$LMPROB" dist gamma --shape 2 --rate 3 >"$TMPD/o" 2>"$TMPD/e"; rc=$?
[ $rc -eq 2 ] && [ ! -s "$TMPD/o" ] && grep -q 'dist: gamma does not take --rate: its parameters are --shape, --scale' "$TMPD/e" && ok || bad "dist gamma --rate: rc $rc: $(cat "$TMPD/e")"
expect_fail "exponential --scale" 'exponential does not take --scale: its parameters are --rate' "$LMPROB" dist exponential --scale 2
expect_fail "laplace --sigma" 'laplace does not take --sigma: its parameters are --mu, --b' "$LMPROB" dist laplace --sigma 5
expect_fail "normal --lambda" 'normal does not take --lambda: its parameters are --mu, --sigma' "$LMPROB" dist normal --lambda 3
expect_fail "poisson --normalize" 'poisson does not take --normalize' "$LMPROB" dist poisson --lambda 2 --normalize
"$LMPROB" dist normal --quantile 0.5,1.5 >"$TMPD/o" 2>"$TMPD/e"; rc=$?
[ $rc -eq 2 ] && [ ! -s "$TMPD/o" ] && grep -q "dist: --quantile: item 2: expected a probability in \[0, 1\], got '1.5'" "$TMPD/e" && ok || bad "dist --quantile 1.5: rc $rc: $(cat "$TMPD/o" "$TMPD/e")"
"$LMPROB" dist gamma --shape -1 --cdf 1 --json >"$TMPD/o" 2>/dev/null; rc=$?
[ $rc -eq 2 ] && [ ! -s "$TMPD/o" ] && ok || bad "dist gamma --shape -1 --json: rc $rc, stdout '$(cat "$TMPD/o")'"
# An option's value outside its domain is a usage error (exit 2) whether the option table or the library's
# check finds it (dist's families exited 1, its --a/--b 2); a file whose numbers are not a distribution is
# a data error (exit 1).
printf '0.9 0.2\n' >"$TMPD/p_bad.txt"
while IFS='|' read -r want re args; do
  # shellcheck disable=SC2086
  "$LMPROB" $args >"$TMPD/o" 2>"$TMPD/e"; rc=$?
  [ $rc -eq "$want" ] && [ ! -s "$TMPD/o" ] && grep -q -- "$re" "$TMPD/e" && ok ||
    bad "$args: rc $rc (expected $want): $(cat "$TMPD/o" "$TMPD/e")"
done <<EOT
2|normal: sigma = 0: expected sigma > 0|dist normal --sigma 0 --cdf 1
2|--a: expected a > 0|dist beta --a 0 --b 1 --cdf 0.5
2|gamma: shape = 0|dist gamma --shape 0 --cdf 1
2|poisson: lambda = -1|dist poisson --lambda -1 --pmf 1
2|binomial: p = 2|dist binomial --trials 5 --p 2 --pmf 1
2|--p: sum of p = 1.1|dist categorical --p 0.5,0.6 --pmf 1
2|dirichlet: alpha\[0\] = 0|dist dirichlet --alpha 0,1 --sample 1
2|mvn: covariance is not positive definite|dist mvn --mean 0,0 --cov 1,2;2,1 --sample 1
2|bayes joint: --table: |bayes joint --table 0.5,0.6
2|info: --p: sum of p = 1.1|info --p 0.9,0.2
1|info: --p-file .*p_bad.txt: sum of p = 1.1|info --p-file $TMPD/p_bad.txt
EOT
"$LMPROB" dist mvn --mean 0,0 --cov "1,0;0,1" --pdf 0,0 --logpdf 1,2,3 --json >"$TMPD/o" 2>/dev/null; rc=$?
[ $rc -eq 2 ] && [ ! -s "$TMPD/o" ] && ok || bad "dist mvn bad second point: rc $rc, stdout '$(cat "$TMPD/o")'"
expect_fail "empty query" "dist: --cdf: expected points, comma-separated, got ''" "$LMPROB" dist normal --cdf=
# a query's messages name the spelling given (--pmf, --ppf), whatever the family's own word
expect_fail "--pmf named as given" "^lmprob: dist: --pmf: item 1: expected a finite number, got 'x'$" "$LMPROB" dist normal --pmf x
expect_fail "--pdf named as given" "^lmprob: dist: --pdf: item 1: expected a finite number, got 'x'$" "$LMPROB" dist poisson --lambda 2 --pdf x
expect_fail "--ppf named as given" "^lmprob: dist: --ppf: item 1: expected a probability in \\[0, 1\\], got '2'$" "$LMPROB" dist normal --ppf 2
expect_fail "a probability as typed" "^lmprob: dist: --quantile: item 1: expected a probability in \\[0, 1\\], got '-0.1'$" "$LMPROB" dist normal --quantile=-0.1
expect_fail "--logpmf named as given" "^lmprob: dist: --logpmf: expected a point with 2 coordinates, got 1$" "$LMPROB" dist mvn --mean 0,0 --cov "1,0;0,1" --logpmf 1

# The extra golden file (tails, edges, numpy streams).
expect_out "verify dist_extra.json" ' passed, 0 failed' "$LMPROB" verify "$G"

# Errors: each names the value and what was expected.
expect_fail "sigma <= 0" 'sigma = -1: expected sigma > 0' "$LMPROB" dist normal --sigma -1 --pdf 0
expect_fail "sigma = 0" 'sigma = 0: expected sigma > 0' "$LMPROB" dist normal --sigma 0
expect_fail "p > 1" 'p = 1.5: expected a probability in \[0, 1\]' "$LMPROB" dist binomial --trials 3 --p 1.5
expect_fail "p < 0 bernoulli" 'p = -0.1: expected a probability' "$LMPROB" dist bernoulli --p -0.1
expect_fail "n < 0" 'dist: --trials: expected a number of trials >= 0, got .-2.' "$LMPROB" dist binomial --trials -2 --p 0.5
# a count that is a number but not written as an integer is told so (it read "expected a number of trials >= 0,
# got '1e3'", as if 1e3 were below 0)
expect_fail "trials 1e3" "dist: --trials: expected a number of trials >= 0, written as an integer, got '1e3'" "$LMPROB" dist binomial --trials 1e3 --p 0.5
expect_fail "sample 2.5" "dist: --sample: expected a number of draws >= 0, written as an integer, got '2.5'" "$LMPROB" dist normal --sample 2.5
expect_fail "negative probability" 'p\[1\] = -0.1: expected a non-negative' "$LMPROB" dist categorical --p 0.6,-0.1,0.5
expect_fail "sum != 1" 'sum of p = 0.8999999999999999[0-9]*: expected probabilities summing to 1.*--normalize' "$LMPROB" dist categorical --p 0.3,0.6 --sample 1
expect_fail "nan rejected" "expected .*got 'nan'" "$LMPROB" dist normal --mu nan
expect_fail "nan in list" "nan" "$LMPROB" dist categorical --p 0.5,nan
expect_fail "malformed number" "--sigma: expected a finite number, got '1x'" "$LMPROB" dist normal --sigma 1x
expect_fail "malformed query" "--cdf: .*'abc'" "$LMPROB" dist normal --cdf abc
expect_fail "singular covariance" 'not positive definite' "$LMPROB" dist mvn --mean 0,0 --cov "1,1;1,1" --sample 1
expect_fail "indefinite covariance" 'not positive definite' "$LMPROB" dist mvn --mean 0,0 --cov "1,2;2,1" --logpdf 0,0
expect_fail "asymmetric covariance" 'expected a symmetric matrix' "$LMPROB" dist mvn --mean 0,0 --cov "1,0.5;0.4,1"
expect_fail "cov shape" 'expected 2 rows of 2 numbers' "$LMPROB" dist mvn --mean 0,0 --cov "1,0;0,1;1,1"
expect_fail "mvn point size" 'expected a point with 2 coordinates' "$LMPROB" dist mvn --mean 0,0 --cov "1,0;0,1" --pdf 1
expect_fail "dirichlet alpha" 'alpha\[1\] = 0: expected alpha > 0' "$LMPROB" dist dirichlet --alpha 1,0
expect_fail "gamma needs shape" 'gamma needs --shape' "$LMPROB" dist gamma --pdf 1
expect_fail "beta b" "dist: --b: expected b > 0, got '-1'" "$LMPROB" dist beta --a 1 --b -1
expect_fail "poisson lambda" 'lambda = -3: expected a finite rate' "$LMPROB" dist poisson --lambda -3
expect_fail "uniform lo<hi" 'lo = 2, hi = 1: expected lo < hi' "$LMPROB" dist uniform --lo 2 --hi 1
expect_fail "exponential rate" 'rate = 0: expected a rate > 0' "$LMPROB" dist exponential --rate 0
expect_fail "laplace b" "dist: --b: expected b > 0, got '-2'" "$LMPROB" dist laplace --b -2
expect_fail "unknown family" "unknown family 'cauchy'" "$LMPROB" dist cauchy
expect_fail "no family" 'no family given' "$LMPROB" dist --pdf 0
expect_fail "unknown option" "unknown option '--bogus'" "$LMPROB" dist normal --bogus
expect_fail "bad rng" "--rng: expected xoshiro or numpy, got 'mt'" "$LMPROB" dist normal --rng mt --sample 1
expect_fail "numpy seed range" '--seed: expected .*numpy: below 2\^32.*4294967296' "$LMPROB" dist normal --rng numpy --seed 4294967296 --sample 1
expect_fail "negative sample" 'expected a number of draws >= 0' "$LMPROB" dist normal --sample -1
expect_fail "quantile not for categorical" '--quantile is not available for categorical' "$LMPROB" dist categorical --p 0.5,0.5 --quantile 0.5
expect_fail "rng bad kind" "expected uniform, normal, exponential, u64, u32 or integers, got 'gauss'" "$LMPROB" rng gauss
expect_fail "rng bad n" "expected an integer|expected a number" "$LMPROB" rng -n x
expect_fail "rng stream numpy" 'numpy.*no jumps' "$LMPROB" rng --rng numpy --stream 1
# the flag's domain in the flag's words (it read "rng: stream = 99999999999: expected a stream index <= 1000000")
"$LMPROB" rng --stream 1000001 -n 1 >/dev/null 2>"$TMPD/err"
[ $? = 2 ] && grep -q "^lmprob: rng: --stream: expected a stream number from 0 to 1000000, got '1000001'$" "$TMPD/err" && ok || bad "rng --stream 1000001: $(cat "$TMPD/err")"
expect_ok "rng --stream 1000000" "$LMPROB" rng --stream 1000000 -n 1
expect_fail "option needs value" 'dist: --mu: expected a finite number, got nothing' "$LMPROB" dist normal --mu
finish
