# The CLI skeleton: help, version, unknown commands, verify's own errors.
. "$(dirname "$0")/lib.sh"

expect_out "--version" '^lmprob [0-9]+\.[0-9]+\.[0-9]+' "$LMPROB" --version
expect_out "--help lists verify" 'verify' "$LMPROB" --help
expect_fail "no command" 'usage' "$LMPROB"
expect_fail "unknown command" "unknown command 'frobnicate'" "$LMPROB" frobnicate
expect_fail "an option before any command" "unknown option '--bogus': expected a command first" "$LMPROB" --bogus
# the help and the version to a full disk: exit 1 and a message, as every command's output (they said nothing, exit 0)
for a in --help --version "help rng"; do
  expect_fail "$a >/dev/full" "writing the results to standard output failed" sh -c "'$LMPROB' $a >/dev/full"
done
# a subcommand's results: the message names the subcommand ("lmprob: nn: ..." named only the command)
expect_fail "nn init >/dev/full" "^lmprob: nn init: writing the results to standard output failed" sh -c "'$LMPROB' nn init --kind xavier_normal --fan-in 3 >/dev/full"
expect_fail "bayes disease >/dev/full" "^lmprob: bayes disease: writing the results to standard output failed" sh -c "'$LMPROB' bayes disease >/dev/full"
expect_fail "verify missing file" 'nope.json: cannot open' "$LMPROB" verify "$TMPD/nope.json"
printf '{"schema": 1, "cases": [' >"$TMPD/bad.json"
expect_fail "verify malformed json" 'line 1, column' "$LMPROB" verify "$TMPD/bad.json"
cat >"$TMPD/unknown.json" <<'J'
{"schema": 1, "cases": [{"name": "x", "function": "no_such_fn", "args": {}, "expected": 1}]}
J
expect_out "verify reports unknown function" "unknown function 'no_such_fn'" sh -c "'$LMPROB' verify '$TMPD/unknown.json'; true"
expect_fail "verify fails on unknown function" "0 passed, 1 failed" "$LMPROB" verify "$TMPD/unknown.json"
# an id outside the token ids is named with its value (the message read it from freed memory until the
# thirty-ninth session: another number in the plain build, heap-use-after-free under ASan)
cat >"$TMPD/bigid.json" <<'J'
{"schema": 1, "cases": [{"name": "big id", "function": "repetition_penalty", "args": {"scores": [2.0, -1.0], "prev_ids": [0, 4294967296], "penalty": 1.2}, "expected": [0, 0]}]}
J
expect_fail "verify: an id beyond 2^31 named" "item 1 = 4294967296 is not a token id" "$LMPROB" verify "$TMPD/bigid.json"
cat >"$TMPD/wrong.json" <<'J'
{"schema": 1, "cases": [
 {"name": "right", "function": "normal_pdf", "args": {"x": 0, "mu": 0, "sigma": 1}, "expected": 0.3989422804014327, "rtol": 1e-13},
 {"name": "wrong value", "function": "normal_pdf", "args": {"x": 0, "mu": 0, "sigma": 1}, "expected": 0.5},
 {"name": "exact list", "function": "numpy_legacy_choice", "args": {"seed": 42, "n": 3, "p": [0.4, 0.25, 0.15, 0.12, 0.08]}, "expected": [0, 4, 2], "exact": true}]}
J
expect_fail "verify fails on a wrong value" "FAIL wrong value: expected 0.5, got 0.398942" "$LMPROB" verify "$TMPD/wrong.json"
expect_out "verify counts the passing cases" "^2 passed, 1 failed$" sh -c "'$LMPROB' verify '$TMPD/wrong.json'; true"
expect_out "verify --json" '"passed": 2, "failed": 1' sh -c "'$LMPROB' verify --json '$TMPD/wrong.json'; true"
expect_fail "verify unknown option" "unknown option '--frob'" "$LMPROB" verify --frob "$TMPD/wrong.json"
expect_fail "verify schema 2" "schema 2 is not supported" sh -c "echo '{\"schema\": 2, \"cases\": []}' > '$TMPD/s2.json'; '$LMPROB' verify '$TMPD/s2.json'"
# "-" is standard input (docs/cli.md), read once; a file that cannot be read is refused before the report, with
# nothing on stdout (it was reported as a failed case: "0 passed, 1 failed", a JSON report); a readable file that
# is no reference file is a failure in the report, as it is in its count
expect_out "verify stdin" '^2 passed, 1 failed$' sh -c "'$LMPROB' verify - <'$TMPD/wrong.json'; true"
expect_fail "verify - -" "FILE 1 and FILE 2 are both standard input" sh -c "'$LMPROB' verify - - <'$TMPD/wrong.json'"
"$LMPROB" verify --json "$TMPD/wrong.json" "$TMPD/nope.json" >"$TMPD/vj" 2>"$TMPD/err"
rc=$?
if [ $rc -eq 1 ] && [ ! -s "$TMPD/vj" ] && grep -q 'nope.json: cannot open' "$TMPD/err"; then ok
else bad "verify --json with a missing file: exit $rc, stdout $(head -c 200 "$TMPD/vj")"; fi
expect_out "verify: a file that is no reference file, in the report" '"failed": 1' sh -c "'$LMPROB' verify --json '$TMPD/bad.json'; true"
finish
