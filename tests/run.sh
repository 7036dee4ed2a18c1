#!/usr/bin/env bash
# Run the whole suite for each build directory given (e.g. build build/asan build/aarch64):
#   - every unit test program build/tests/test_*      (each prints "<prog>: N passed, M failed")
#   - every CLI test script tests/cli/test_*.sh        (LMPROB points at the CLI under test; a script
#                                                      marked "# run once:" only with the plain flavour)
#   - lmprob verify on ../shared/golden/reference.json (one case = one test)
# and end with one line "N passed, M failed" for everything. A cross build (a file .runner in it
# naming the emulator, e.g. "qemu-aarch64 -L /usr/aarch64-linux-gnu") runs its unit programs
# through that command, with LMP_TEST_EMULATED=1 (tests/test.h test_scaled: the longest loops run
# shorter there), and has no CLI to test.
#
# The parts are independent (each CLI script works in its own mktemp -d; shared caches under build/
# are written to a temporary name and renamed), so they run LMP_TEST_JOBS at a time (default: the
# number of cores), the slowest kinds first; the report is printed in a fixed order afterwards.
set -u
cd "$(dirname "$0")/.."
golden=${LMPROB_GOLDEN:-../shared/golden/reference.json}
jobs=${LMP_TEST_JOBS:-$(nproc 2>/dev/null || echo 2)}
start=$SECONDS
res=$(mktemp -d)
trap 'rm -rf "$res"' EXIT

# The queue: one line per part, "<id>\t<flavour>\t<label>\t<kind>\t<build dir>\t<file>".
queue=()
flavours=()
# The flavour that runs the "# run once:" scripts: the first plain one given, else the first with a CLI.
once_b=
for b in "$@"; do
  [ -f "$b/.runner" ] || [[ "$b" == *fuzz* ]] && continue
  [ -z "$once_b" ] && once_b=$b
  [[ "$b" != *asan* ]] && { once_b=$b; break; }
done
for b in "$@"; do
  flavour=normal
  [[ "$b" == *asan* ]] && flavour="asan+ubsan"
  if [ -f "$b/.runner" ]; then
    read -r -a runner <"$b/.runner"
    flavour="$(basename "$b") (${runner[0]})"
  fi
  if [ -d "$b/bin" ] && [[ "$b" == *fuzz* ]]; then
    # The libFuzzer targets: seeds and regression inputs replayed, a short run of each (fuzz/run.sh).
    flavour="libFuzzer targets"
    flavours+=("$flavour|$b")
    queue+=("$flavour|fuzz|fuzz|$b|fuzz/run.sh")
    continue
  fi
  flavours+=("$flavour|$b")
  for t in "$b"/tests/test_*; do
    [ -x "$t" ] || continue
    if [ -f "$b/.runner" ]; then
      kind=emulated
    else kind=unit; fi
    queue+=("$flavour|$(basename "$t")|$kind|$b|$t")
  done
  [ -f "$b/.runner" ] && continue
  for s in tests/cli/test_*.sh; do
    [ -f "$s" ] || continue
    # A script whose checks do not depend on the CLI under test (a line "# run once: why") runs with one
    # flavour only, the plain one when it is given: run again, it would repeat the same checks on the
    # same files.
    if grep -q '^# run once:' "$s" && [ "$b" != "$once_b" ]; then continue; fi
    queue+=("$flavour|$(basename "$s")|cli|$b|$s")
  done
  queue+=("$flavour|verify $(basename "$golden")|verify|$b|$golden")
done

run_part() {  # $1 = index into queue: runs it, leaves $res/$1.out and $res/$1.rc ("rc seconds")
  local flavour label kind b file s0 rc runner=()
  IFS='|' read -r flavour label kind b file <<<"${queue[$1]}"
  s0=$SECONDS
  case $kind in
    unit) "$file" >"$res/$1.out" 2>&1 ;;
    # a safety net only (each program takes seconds of CPU under qemu): a hang, like the mixed
    # glibc of 2026-12-03 (docs/DEVELOPING.md), fails the part instead of the whole CI run
    emulated) read -r -a runner <"$b/.runner"
              LMP_TEST_EMULATED=1 timeout 300 "${runner[@]}" "$file" >"$res/$1.out" 2>&1
              rc=$?
              [ "$rc" -ne 124 ] || echo "FAIL: killed after 300 s under ${runner[0]}" >>"$res/$1.out"
              (exit "$rc") ;;
    fuzz) fuzz/run.sh test "$b" >"$res/$1.out" 2>&1 ;;
    cli) LMPROB="$(cd "$b" && pwd)/lmprob" bash "$file" >"$res/$1.out" 2>&1 ;;
    verify) if [ -f "$file" ]; then "$b/lmprob" verify "$file" >"$res/$1.out" 2>&1
            else echo "verify: $file not found" >"$res/$1.out"; false; fi ;;
  esac
  rc=$?
  echo "$rc $((SECONDS - s0))" >"$res/$1.rc"
}

# Slowest kinds first (emulated unit programs, then sanitizer builds), so that the pool does not end
# on one long part running alone.
order=()
for pass in emulated fuzz asan other; do
  for i in "${!queue[@]}"; do
    IFS='|' read -r flavour _ kind _ <<<"${queue[$i]}"
    case $pass in
      emulated) [ "$kind" = emulated ] && order+=("$i") ;;
      fuzz) [ "$kind" = fuzz ] && order+=("$i") ;;
      asan) [ "$kind" != emulated ] && [ "$kind" != fuzz ] && [[ "$flavour" == asan* ]] && order+=("$i") ;;
      other) [ "$kind" != emulated ] && [ "$kind" != fuzz ] && [[ "$flavour" != asan* ]] && order+=("$i") ;;
    esac
  done
done
running=0
for i in "${order[@]}"; do
  run_part "$i" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then wait -n; running=$((running - 1)); fi
done
wait

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

for fb in "${flavours[@]}"; do
  echo "== ${fb%%|*} (${fb#*|})"
  for i in "${!queue[@]}"; do
    IFS='|' read -r flavour label _ b _ <<<"${queue[$i]}"
    [ "$flavour|$b" = "$fb" ] || continue
    read -r rc secs <"$res/$i.rc"
    count "$flavour $label" "$res/$i.out" "$rc"
    printf '  %-28s %s (%s s)\n' "$label" \
      "$(grep -E 'passed, [0-9]+ failed' "$res/$i.out" | tail -n 1 | sed 's/^[^:]*: //')" "$secs"
  done
done
echo "($((SECONDS - start)) s wall, $jobs parts at a time)"

if [ ${#failed_parts[@]} -gt 0 ]; then
  echo "failing: ${failed_parts[*]}"
fi
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
