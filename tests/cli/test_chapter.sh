# lmprob chapter: key values against what numpy/scipy print for the same code.
#
# The literals were printed by /usr/bin/python3 (numpy 1.24.2, scipy 1.10.1) running each chapter block on a
# fresh legacy stream: the block's own np.random.seed, else np.random.seed(42) put in front (lmprob chapter's
# default --seed 42). The script is in docs/chapter.md ("numpy reference"); for example b01 is
#   np.random.seed(42); np.random.choice(vocab, size=10, p=probs)
#   weights = np.random.normal(0.0, 0.02, size=(768, 768)); weights.mean(); weights.std()
# Tolerances: relative, chosen per quantity: 1e-12 where both sides do the same arithmetic on the same draws
# (sums in a different order move the last digits), looser where the formulas differ on purpose (noted).
. "$(dirname "$0")/lib.sh"

expect_ok "chapter runs" "$LMPROB" chapter --json --clt-repeats 0
J="$TMPD/chapter.json"
cp "$TMPD/out" "$J"

# val KEY: the number (or string) after "KEY": in the JSON output
val() { grep -o "\"$1\": [^,}]*" "$J" | head -n 1 | sed -e 's/^[^:]*: //' -e 's/"//g'; }
# near LABEL KEY WANT RTOL : |got - want| <= rtol * |want|
near() {
  local got
  got=$(val "$2")
  if [ -z "$got" ]; then bad "$1: key $2 missing"; return; fi
  if awk -v g="$got" -v w="$3" -v r="$4" 'BEGIN { d = g - w; if (d < 0) d = -d; a = w < 0 ? -w : w; exit !(d <= r * a) }'; then
    ok
  else
    bad "$1: $2 = $got, numpy $3 (rel tol $4)"
  fi
}
same() { local got; got=$(val "$2"); if [ "$got" = "$3" ]; then ok; else bad "$1: $2 = '$got', want '$3'"; fi; }

# every section ran
n_ok=$(grep -c '"ok": true' "$J")
if [ "$n_ok" -eq 21 ]; then ok; else bad "expected 21 sections ok, got $n_ok"; fi

# b01: np.random.choice draws, N(0, 0.02) weights, stats.norm.pdf(0, 0, 0.02)
i=0
for w in the mat sat cat the the the on cat sat; do same "b01 choice $i" "sample_$i" "$w"; i=$((i + 1)); done
near "b01 weights.mean()" weight_mean -2.934592518778351e-05 1e-9   # a mean near 0: pairwise vs other summation
near "b01 weights.std()" weight_std 0.020016931634115227 1e-12
near "b01 pdf_at_zero" pdf_at_zero 19.947114020071634 1e-14
# b02
near "b02 P(Sad)" p_sad 0.44999999999999996 1e-15
near "b02 P(Happy|Sunny)" p_happy_given_sunny 0.8 1e-15
# b03 (numpy adds 1e-10 inside the log: -0.35667494379587533; lmprob is exact, so 1e-9 relative)
same "b03 step 1" step1_token the
same "b03 step 2" step2_token '</s>'
same "b03 step 3" step3_token '</s>'
near "b03 step 1 log prob" step1_logprob -0.35667494379587533 1e-9
near "b03 P(seq)" p_seq 0.210000000121 1e-9
# b04, b05
near "b04 posterior" p_disease_given_positive 0.019434628975265017 1e-14
near "b05 chapter map_loss NLL" chapter_nll 0.11889164750338703 1e-13
# b06: np.random.binomial(3, 0.5, 100000).mean(), np.random.normal(3, 2, 10**6).mean()
near "b06 MC binomial mean" mc_estimate 1.49848 1e-15
near "b06 normal mean" gauss_mean 2.997116549422912 1e-12
# b07
near "b07 var ddof=1" var_ddof1 4.571428571428571 1e-15
near "b07 layer norm std row 0" ln_std_0 0.9999948881896721 1e-12
# b08: np.random.seed(0), np.cov(X.T)
near "b08 cov 11" cov_11 0.9983135793142437 1e-12
near "b08 cov 12" cov_12 0.7747719557175193 1e-12
near "b08 cov 13" cov_13 -0.04469334274308392 1e-11
near "b08 cov 22" cov_22 0.9438903036862102 1e-12
near "b08 cov 33" cov_33 0.9334184678216204 1e-12
near "b08 corr 12" corr_12 0.7981410363932546 1e-12
# b09: stats.normaltest(np.random.uniform(0, 1, (10000, 30)).sum(axis=1)), then Xavier and He draws
near "b09 normaltest K^2" normaltest_statistic 0.90441109611102 1e-9
near "b09 normaltest p" normaltest_pvalue 0.6362233818049462 1e-9
near "b09 within 1 sigma" within_1s 0.6826894921370859 1e-13
near "b09 xavier sample std" xavier_sample_std 0.04425243432994283 1e-12
near "b09 he sample std" he_sample_std 0.06250927488071907 1e-12
near "b09 xavier std" xavier_std 0.04419417382415922 1e-15
# b11, b12, b13, b14
near "b11 log-likelihood" log_likelihood -11.953401106314466 1e-14
near "b11 uniform log-lik" uniform_log_likelihood -12.875503299472802 1e-14
near "b12 chapter loss" chapter_loss 0.49841479683967227 1e-13
near "b12 capped loss" big_chapter_loss 20.72326583694641 1e-13
near "b13 peaked H" h_peaked 8.14106037839737 1e-10      # 50257-term sums in another order
near "b13 flat H" h_flat 10.824905119702079 1e-10
near "b13 p_max" p_max_peaked 0.30472764802095675 1e-10
near "b14 KL(P||Q)" kl_pq 0.36806420699271913 1e-13
near "b14 KL(Q||P)" kl_qp 0.5108256234104351 1e-13
# np.random.seed(42); min over 1000 pairs of kl_divergence(np.random.dirichlet(np.ones(10)), ...)
near "b14 min KL over Dirichlet pairs" min_kl_dirichlet 0.10383020081475695 1e-12
# b15: np.random.seed(42); [vocab[np.random.choice(7, p=probs)] for _ in range(10)]
i=0
for w in the sat cat a the the the dog a cat; do same "b15 sample $i" "draw_$i" "$w"; i=$((i + 1)); done
# b16 (notebook order): softmax(logits / T)
near "b16 T=0.1 the" 'T0.1_p_the' 0.9999542807439727 1e-13
near "b16 T=1.0 the" 'T1.0_p_the' 0.5008995037644598 1e-13
near "b16 T=1.0 a" 'T1.0_p_a' 0.18427062952792225 1e-13
near "b16 T=2.0 the" 'T2.0_p_the' 0.3007120828725214 1e-13
# b17: np.random.seed(42); Counter(top_k_sample(logits, 3) x 20) = Counter({'the': 14, 'cat': 3, 'a': 3})
same "b17 the" count_the 14
same "b17 cat" count_cat 3
same "b17 a" count_a 3
# b18: nucleus_size(peaked, 0.9) = 1, (flat, 0.9) = 6, (peaked, 1.0) = 8 (the chapter's bug)
same "b18 peaked" peaked_size 1
same "b18 flat" flat_size 6
same "b18 chapter p=1" chapter_size_p1 8
same "b18 lmprob p=1" lmprob_size_p1 7
# b19: perplexity_from_log_probs([np.log(1/50257)] * 100) = 50257.0000000002
near "b19 uniform" uniform 50257.0000000002 1e-13
# b19hf: the chapter's compute_perplexity against the exact value, mock LM of tests/test_eval.c
same "b19hf chapter NaN at L=513" L513_chapter_ppl nan
near "b19hf L=513" L513_ppl 13.96417489774395 1e-12
near "b19hf L=1500" L1500_ppl 13.882124491988936 1e-12
near "b19hf chapter L=1500" L1500_chapter_ppl 13.882042239896009 1e-12
same "b19hf L=1025 windows" L1025_windows 2
same "b19hf chapter L=1025 passes" L1025_chapter_passes 3
# b20: np.random.seed(0), polyfit/polyval at x = 0.5 (degree 7: numpy's monomial fit vs lmprob's Chebyshev QR,
# the conditioning allows 1e-8)
near "b20 var deg 1" var_deg1 0.013618923045058845 1e-10
near "b20 var deg 3" var_deg3 0.011863113650142854 1e-10
near "b20 var deg 7" var_deg7 0.023022510784860662 1e-8
near "b20 mse deg 3" mse_deg3 0.10187795688852852 1e-10
near "b20 bias2 deg 1" bias2_deg1 1.3620120836960551e-05 1e-8

# text mode and the options
expect_out "text: b17 Counter line" "Counter\(\{'the': 14, 'cat': 3, 'a': 3\}\)" "$LMPROB" chapter 17
expect_out "text: b14 correction" "KL\(P\|\|Q\) = 0.3681" "$LMPROB" chapter 14
expect_out "list" "b19hf" "$LMPROB" chapter --list
# --list --json is one JSON object (it printed the text table)
"$LMPROB" chapter --list --json >"$TMPD/list.json" 2>"$TMPD/err" && /usr/bin/python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
s = d["sections"]
assert len(s) == 21 and s[19]["block"] == "b19hf" and s[0]["section"] == 1 and "api" in s[0], s[:2]' "$TMPD/list.json" && ok ||
  bad "chapter --list --json: not the JSON list: $(head -c 200 "$TMPD/list.json") $(cat "$TMPD/err")"
expect_out "help" "usage: lmprob chapter" "$LMPROB" chapter --help
expect_out "one section only" '^== 4\.' "$LMPROB" chapter 4
if grep -q '^== 5\.' "$TMPD/out"; then bad "chapter 4 printed section 5"; else ok; fi
expect_out "another seed changes b01" "sample_0" "$LMPROB" chapter 1 --json --seed 7
expect_fail "section out of range" "expected 1..21" "$LMPROB" chapter 22
expect_fail "bad seed" "seed" "$LMPROB" chapter --seed -3
# --rng: the flag's one domain (xoshiro or numpy, as in every command), then the chapter's own rule, said the same way
expect_fail "--rng xoshiro" "expected numpy \(the chapter's examples draw numpy's legacy stream\), got 'xoshiro'" "$LMPROB" chapter 1 --rng xoshiro
expect_fail "stride > window" "stride" "$LMPROB" chapter 20 --window 8 --stride 9
# --clt-repeats has experiment clt --repeats's domain (it took up to 1e15: years of work, seeds past 2^32)
expect_fail "clt-repeats cap" "--clt-repeats: expected an integer from 0 to 100000, got '100001'" "$LMPROB" chapter 9 --clt-repeats 100001
expect_fail "model without text" "both or neither" "$LMPROB" chapter 20 --model x.arpa
expect_fail "unknown option" "unknown option" "$LMPROB" chapter --frobnicate
# --window W alone takes ppl's default stride W/2 (it was refused: "--stride: expected 1 <= stride <= window
# (8), got '512'", a stride never given)
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
M3=$ROOT/tests/fixtures/train_small.kenlm3.arpa
expect_out "--window alone: stride W/2" "sliding window \(8/4\)" "$LMPROB" chapter 20 --window 8 --model "$M3" --text "$ROOT/tests/fixtures/train_small.txt"
expect_out "one window, one pass: in the singular" "92 tokens, 1 window$" "$LMPROB" chapter 20 --model "$M3" --text "$ROOT/tests/fixtures/train_small.txt"
expect_out "one forward pass in the singular" "compute_perplexity: +[0-9.]+, 1 forward pass$" "$LMPROB" chapter 20 --model "$M3" --text "$ROOT/tests/fixtures/train_small.txt"
# a library error names the command and the file (it read "lmprob: perplexity of 0 tokens: ...")
: >"$TMPD/empty.txt"
expect_fail "empty --text: command and file named" "^lmprob: chapter: $TMPD/empty.txt: perplexity of 0 tokens" "$LMPROB" chapter 20 --model "$M3" --text "$TMPD/empty.txt"
printf 'x\000y\n' >"$TMPD/nul.arpa"
expect_fail "bad --model: command named" "^lmprob: chapter: $TMPD/nul.arpa:1: binary data" "$LMPROB" chapter 20 --model "$TMPD/nul.arpa" --text "$TMPD/empty.txt"
# nothing on stdout after an error: the model and text are read before the first section (it printed
# sections 1-19, or section 20's start and JSON cut off mid-object, then failed)
no_stdout() { if [ -s "$TMPD/out" ]; then bad "$1: wrote $(wc -c <"$TMPD/out") bytes to stdout before failing"; else ok; fi; }
expect_fail "empty --text, JSON" "perplexity of 0 tokens" "$LMPROB" chapter 20 --json --model "$M3" --text "$TMPD/empty.txt"
no_stdout "empty --text, JSON"
expect_fail "empty --text, text" "perplexity of 0 tokens" "$LMPROB" chapter 20 --model "$M3" --text "$TMPD/empty.txt"
no_stdout "empty --text, text"
expect_fail "a text as --model, every section" "expected '.data.'" "$LMPROB" chapter --clt-repeats 0 --model "$ROOT/tests/fixtures/train_small.txt" --text "$ROOT/tests/fixtures/train_small.txt"
no_stdout "a text as --model, every section"
# --model/--text belong to section 20: with other sections only, a usage error (they were ignored)
expect_fail "--model without section 20" "section 20's: expected 20 among the sections" "$LMPROB" chapter 3 --model "$M3" --text "$ROOT/tests/fixtures/train_small.txt"
"$LMPROB" chapter 3 --model "$M3" --text "$ROOT/tests/fixtures/train_small.txt" >/dev/null 2>&1
[ $? -eq 2 ] && ok || bad "--model without section 20: exit $?, expected 2 (usage)"
# a GPT-2 model as --model: a usage error naming ppl's recipes (lmp_lm_load takes it; section 20 crashed on it)
if [ -d "$SHARED/gpt2/tiny-hf" ]; then
  expect_fail "GPT-2 as --model" "a GPT-2 model: section 20's --model is an n-gram model" "$LMPROB" chapter 20 --model "$SHARED/gpt2/tiny-hf" --text "$ROOT/tests/fixtures/train_small.txt"
  no_stdout "GPT-2 as --model"
  "$LMPROB" chapter 20 --model "$SHARED/gpt2/tiny-hf" --text "$ROOT/tests/fixtures/train_small.txt" >/dev/null 2>&1
  [ $? -eq 2 ] && ok || bad "GPT-2 as --model: exit $?, expected 2"
fi
# --list N lists the sections given (it listed all 21)
expect_out "--list 3" "^ 3  b03 " "$LMPROB" chapter --list 3
[ "$(wc -l <"$TMPD/out")" -eq 1 ] && ok || bad "--list 3 printed $(wc -l <"$TMPD/out") lines, expected 1"
# docs/chapter.md shows the whole output of the default run: it is that output, to the byte
"$LMPROB" chapter >"$TMPD/chapter.txt" 2>"$TMPD/err" || bad "chapter (exit $?): $(head -c 300 "$TMPD/err")"
awk '/^## The output of `lmprob chapter`/ { f = 1; next } f && /^```$/ && !g { g = 1; next } g && /^```$/ { exit } g' \
  "$ROOT/docs/chapter.md" >"$TMPD/chapter.doc"
if cmp -s "$TMPD/chapter.doc" "$TMPD/chapter.txt"; then ok
else bad "docs/chapter.md's output block differs from lmprob chapter: $(diff "$TMPD/chapter.doc" "$TMPD/chapter.txt" | head -c 600)"; fi
# section 9's repeats (minutes at --clt-repeats 100000) show their progress on a terminal, and only there
if have_tty; then
  on_tty "$TMPD/tty" "'$LMPROB' chapter 9 --clt-repeats 400"
  if grep -aq 'lmprob: chapter: section 9, normality test repeats  *[0-9]*%' "$TMPD/tty"; then ok
  else bad "chapter 9 on a terminal: no progress: $(head -c 300 "$TMPD/tty" | cat -v)"; fi
fi
"$LMPROB" chapter 9 --clt-repeats 50 >/dev/null 2>"$TMPD/err"
if grep -q 'repeats' "$TMPD/err"; then bad "chapter 9 in a pipe drew progress: $(head -c 200 "$TMPD/err" | cat -v)"; else ok; fi
finish
