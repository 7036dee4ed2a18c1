# The CLI skeleton: help, version, unknown commands, verify's own errors.
. "$(dirname "$0")/lib.sh"

expect_out "--version" '^lmprob [0-9]+\.[0-9]+\.[0-9]+' "$LMPROB" --version
expect_out "--help lists verify" 'verify' "$LMPROB" --help
expect_fail "no command" 'usage' "$LMPROB"
expect_fail "unknown command" "unknown command 'frobnicate'" "$LMPROB" frobnicate
expect_fail "verify missing file" 'nope.json: cannot read' "$LMPROB" verify "$TMPD/nope.json"
printf '{"schema": 1, "cases": [' >"$TMPD/bad.json"
expect_fail "verify malformed json" 'line 1, column' "$LMPROB" verify "$TMPD/bad.json"
cat >"$TMPD/unknown.json" <<'J'
{"schema": 1, "cases": [{"name": "x", "function": "no_such_fn", "args": {}, "expected": 1}]}
J
expect_out "verify reports unknown function" "unknown function 'no_such_fn'" sh -c "'$LMPROB' verify '$TMPD/unknown.json'; true"
expect_fail "verify fails on unknown function" "0 passed, 1 failed" "$LMPROB" verify "$TMPD/unknown.json"
finish
