#!/usr/bin/env bash
# Run the whole suite for each build directory given (e.g. build build/asan):
#   - every unit test program build/tests/test_*      (each prints "<prog>: N passed, M failed")
#   - every CLI test script tests/cli/test_*.sh        (LMPROB points at the CLI under test)
#   - lmprob verify on ../shared/golden/reference.json (one case = one test)
# and end with one line "N passed, M failed" for everything. A cross build (a file .runner in it
# naming the emulator, e.g. "qemu-aarch64 -L /usr/aarch64-linux-gnu") runs its unit programs
# through that command, and has no CLI to test.
set -u
cd "$(dirname "$0")/.."
golden=${LMPROB_GOLDEN:-../shared/golden/reference.json}
total_pass=0
total_fail=0
failed_parts=()

count() {  # $1 = label, $2 = output file, $3 = exit code
  local line p f
  line=$(grep -E '[0-9]+ passed, [0-9]+ failed' "$2" | tail -n 1)
  if [ -z "$line" ]; then
    total_fail=$((total_fail + 1)); failed_parts+=("$1 (no summary line, exit $3)")
    tail -n 20 "$2"
    return
  fi
  p=$(sed -E 's/^(.*[^0-9])?([0-9]+) passed, ([0-9]+) failed.*/\2/' <<<"$line")
  f=$(sed -E 's/^(.*[^0-9])?([0-9]+) passed, ([0-9]+) failed.*/\3/' <<<"$line")
  total_pass=$((total_pass + p))
  total_fail=$((total_fail + f))
  if [ "$f" -ne 0 ] || [ "$3" -ne 0 ]; then
    [ "$f" -eq 0 ] && total_fail=$((total_fail + 1))
    failed_parts+=("$1")
    grep -E 'FAIL|error|Sanitizer|runtime error' "$2" | head -n 40
  fi
}

for b in "$@"; do
  flavour=normal
  [[ "$b" == *asan* ]] && flavour="asan+ubsan"
  runner=()
  if [ -f "$b/.runner" ]; then
    read -r -a runner <"$b/.runner"
    flavour="$(basename "$b") (${runner[0]})"
  fi
  if [ -d "$b/bin" ] && [[ "$b" == *fuzz* ]]; then
    # The libFuzzer targets: seeds and regression inputs replayed, a short run of each (fuzz/run.sh).
    echo "== libFuzzer targets ($b)"
    out=$(mktemp)
    s0=$SECONDS; fuzz/run.sh test "$b" >"$out" 2>&1; rc=$?
    count "fuzz" "$out" $rc
    sed 's/^/  /' "$out"
    echo "  ($((SECONDS - s0)) s wall for the fuzz targets)"
    rm -f "$out"
    continue
  fi
  echo "== $flavour ($b)"
  out=$(mktemp)
  if [ ${#runner[@]} -gt 0 ]; then
    # A cross build: its unit programs only (it has no CLI), two at a time through the emulator,
    # with LMP_TEST_EMULATED=1 (tests/test.h test_scaled: the longest loops run shorter there).
    start=$SECONDS
    res=$(mktemp -d)
    running=0
    for t in "$b"/tests/test_*; do
      [ -x "$t" ] || continue
      n=$(basename "$t")
      ( s0=$SECONDS; LMP_TEST_EMULATED=1 "${runner[@]}" "$t" >"$res/$n.out" 2>&1; echo "$? $((SECONDS - s0))" >"$res/$n.rc" ) &
      running=$((running + 1))
      if [ $running -ge 2 ]; then wait -n; running=$((running - 1)); fi
    done
    wait
    for f in "$res"/*.rc; do
      n=$(basename "$f" .rc)
      read -r rc secs <"$f"
      count "$flavour $n" "$res/$n.out" "$rc"
      printf '  %-28s %s (%s s)\n' "$n" "$(grep -E 'passed, [0-9]+ failed' "$res/$n.out" | tail -n 1 | sed 's/^[^:]*: //')" "$secs"
    done
    echo "  ($((SECONDS - start)) s wall for the unit programs under ${runner[0]})"
    rm -rf "$res" "$out"
    continue
  fi
  for t in "$b"/tests/test_*; do
    [ -x "$t" ] || continue
    s0=$SECONDS; "$t" >"$out" 2>&1; rc=$?
    count "$flavour $(basename "$t")" "$out" $rc
    printf '  %-28s %s (%s s)\n' "$(basename "$t")" "$(grep -E 'passed, [0-9]+ failed' "$out" | tail -n 1 | sed 's/^[^:]*: //')" "$((SECONDS - s0))"
  done
  for s in tests/cli/test_*.sh; do
    [ -f "$s" ] || continue
    s0=$SECONDS; LMPROB="$(cd "$b" && pwd)/lmprob" bash "$s" >"$out" 2>&1; rc=$?
    count "$flavour $(basename "$s")" "$out" $rc
    printf '  %-28s %s (%s s)\n' "$(basename "$s")" "$(grep -E 'passed, [0-9]+ failed' "$out" | tail -n 1 | sed 's/^[^:]*: //')" "$((SECONDS - s0))"
  done
  if [ -f "$golden" ]; then
    "$b/lmprob" verify "$golden" >"$out" 2>&1; rc=$?
    count "$flavour verify $(basename "$golden")" "$out" $rc
    printf '  %-28s %s\n' "verify $(basename "$golden")" "$(tail -n 1 "$out")"
  else
    echo "  verify: $golden not found"; total_fail=$((total_fail + 1)); failed_parts+=("golden file missing")
  fi
  rm -f "$out"
done

if [ ${#failed_parts[@]} -gt 0 ]; then
  echo "failing: ${failed_parts[*]}"
fi
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
