# Helpers for CLI tests. Source it; LMPROB is the CLI under test.
# Each check counts; end the script with `finish`.
: "${LMPROB:?set LMPROB to the lmprob binary}"
T_PASS=0
T_FAIL=0
# A script's scratch folder: with TMPDIR naming no folder, mktemp fails, and an empty TMPD put a venv at /v and
# files at / (test_pip.sh; fortieth session's docs audit). Stop instead, as a failed script.
if ! TMPD=$(mktemp -d) || [ -z "$TMPD" ] || [ ! -d "$TMPD" ]; then
  echo "FAIL: mktemp -d failed (TMPDIR=${TMPDIR:-unset}): no scratch folder for $(basename "$0")"
  echo "$(basename "$0"): 0 passed, 1 failed"
  exit 1
fi
trap 'rm -rf "$TMPD"' EXIT

ok()   { T_PASS=$((T_PASS + 1)); }
bad()  { T_FAIL=$((T_FAIL + 1)); echo "FAIL: $*"; }

# expect_ok "label" cmd...        : exit 0
expect_ok() { local l=$1; shift; if "$@" >"$TMPD/out" 2>"$TMPD/err"; then ok; else bad "$l (exit $?): $(head -c 400 "$TMPD/err")"; fi; }
# expect_fail "label" "regex" cmd... : non-zero exit, and stderr (or, failing that, stdout) matching the regex
expect_fail() {
  local l=$1 re=$2; shift 2
  if "$@" >"$TMPD/out" 2>"$TMPD/err"; then bad "$l: expected failure, got exit 0"; return; fi
  if grep -Eq -- "$re" "$TMPD/err" || grep -Eq -- "$re" "$TMPD/out"; then ok; else bad "$l: stderr did not match /$re/: $(head -c 400 "$TMPD/err")"; fi
}
# expect_out "label" "stdout regex" cmd... : exit 0 and stdout matching
expect_out() {
  local l=$1 re=$2; shift 2
  if ! "$@" >"$TMPD/out" 2>"$TMPD/err"; then bad "$l (exit $?): $(head -c 400 "$TMPD/err")"; return; fi
  if grep -Eq -- "$re" "$TMPD/out"; then ok; else bad "$l: stdout did not match /$re/: $(head -c 400 "$TMPD/out")"; fi
}
# The shared material (../shared beside the checkout, or LMP_SHARED).
SHARED=${LMP_SHARED:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/../shared}
# on_tty OUT 'command line': runs it with a pseudo-terminal as its stdout and stderr (script(1);
# its stdin ends at once), all it printed in OUT. have_tty: script(1) is there to do it.
have_tty() { command -v script >/dev/null 2>&1; }
on_tty() { script -qec "$2" /dev/null </dev/null >"$1" 2>&1; }
# Is $LMPROB built with AddressSanitizer? gcc links its runtime as libasan.so, clang into the
# program (or as libclang_rt.asan-*.so): both leave the runtime's entry point named in the file.
is_asan() { grep -qa __asan_init "$LMPROB"; }
finish() { echo "$(basename "$0"): $T_PASS passed, $T_FAIL failed"; [ "$T_FAIL" -eq 0 ]; }
