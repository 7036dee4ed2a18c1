#!/usr/bin/env bash
# Run the libFuzzer targets of build/fuzz/bin (fuzz/README.md).
#   fuzz/run.sh test BUILD [TARGET...]           what `make test` runs: per target, replay every seed
#                                                (fuzz/corpus/<t>, BUILD/seeds/<t>) and every regression
#                                                input (fuzz/regressions/<t>), then fuzz it
#                                                $FUZZ_TEST_SECONDS (default 1) from the seeds, two
#                                                targets at a time; ends with "fuzz: N passed, M failed"
#   fuzz/run.sh long BUILD SECONDS [TARGET...]   fuzz each target SECONDS (nice -n 10; with FUZZ_CPU_SECONDS=N
#                                                set, until it has used N CPU-seconds instead), one after the
#                                                other, corpus kept in BUILD/work/<t>, crashes in
#                                                BUILD/crashes/<t>, log in BUILD/logs/<t>.log (with
#                                                -print_final_stats=1)
set -u
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
cd "$(dirname "$0")/.."
mode=${1:?usage: fuzz/run.sh test|long BUILD ...}
build=${2:?usage: fuzz/run.sh test|long BUILD ...}
shift 2
if [ "$mode" = long ]; then
  seconds=${1:?usage: fuzz/run.sh long BUILD SECONDS [TARGET...]}
  shift
fi
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for b in "$build"/bin/*; do [ -x "$b" ] && targets+=("$(basename "$b")"); done
fi

# The options of each target: longer inputs for the corpus reader (its refills past 64 KiB of
# compressed input), quiet stdout/stderr for the CLI code (its messages; crash reports still show).
opts() {
  local t=$1
  local o=(-timeout=20 -rss_limit_mb=2560)
  case "$t" in
    corpus) o+=(-max_len=1048576) ;;
    cli_numbers|verify) o+=(-max_len=16384 -close_fd_mask=3) ;;
    *) o+=(-max_len=65536) ;;
  esac
  [ -f "fuzz/$t.dict" ] && o+=("-dict=fuzz/$t.dict")
  echo "${o[@]}"
}

seed_dirs() {
  local t=$1
  for d in "fuzz/corpus/$t" "$build/seeds/$t"; do [ -d "$d" ] && echo "$d"; done
}

# FUZZ_CPU_SECONDS=N: run the target until its process has used N CPU-seconds (user + sys, read from
# /proc/PID/stat every 2 s), then stop it with SIGINT, which prints libFuzzer's final statistics. On a
# shared machine a wall-time budget says little about how much fuzzing was done; this is the budget the
# long runs of docs/reliability.md use. Libfuzzer's exit 72 (stopped by SIGINT) is the budget, not a finding.
# The libFuzzer command of a long run of target $1 stopping after $2 seconds, into the array cmd.
long_cmd() {
  # shellcheck disable=SC2046,SC2207
  cmd=(nice -n 10 "$build/bin/$1" $(opts "$1") -max_total_time="$2" -print_final_stats=1
       -artifact_prefix="$build/crashes/$1/" "$build/work/$1" $(seed_dirs "$1"))
}

run_cpu() {
  local t=$1 start=$SECONDS tick u=0 s=0 us cmd
  tick=$(getconf CLK_TCK)
  long_cmd "$t" $((FUZZ_CPU_SECONDS * 100))
  "${cmd[@]}" >"$build/logs/$t.log" 2>&1 &
  local pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    if us=$(awk '{ print $14, $15 }' "/proc/$pid/stat" 2>/dev/null) && [ -n "$us" ]; then
      read -r u s <<<"$us"
      [ $(((u + s) / tick)) -ge "$FUZZ_CPU_SECONDS" ] && kill -INT "$pid" 2>/dev/null
    fi
    sleep 2
  done
  wait "$pid"
  local r=$?
  awk -v u="$u" -v s="$s" -v t="$tick" -v w=$((SECONDS - start)) \
    'BEGIN { printf "cpu: %.2f s user + %.2f s sys, %d s wall\n", u / t, s / t, w }' >"$build/logs/$t.time"
  [ "$r" -eq 72 ] && r=0
  return "$r"
}

if [ "$mode" = long ]; then
  mkdir -p "$build/logs"
  rc=0
  for t in "${targets[@]}"; do
    mkdir -p "$build/work/$t" "$build/crashes/$t"
    if [ -n "${FUZZ_CPU_SECONDS:-}" ]; then
      echo "== $t: until ${FUZZ_CPU_SECONDS} CPU-seconds (log $build/logs/$t.log)"
      run_cpu "$t"
    else
      echo "== $t: ${seconds} s (log $build/logs/$t.log)"
      # The CPU time the target actually got (the machine may be shared): bash's `time` of the run.
      TIMEFORMAT="cpu: %U s user + %S s sys, %R s wall"
      long_cmd "$t" "$seconds"
      { time "${cmd[@]}" >"$build/logs/$t.log" 2>&1; } 2>"$build/logs/$t.time"
    fi
    r=$?
    grep -E '^(stat::|Done|INFO: Seed|#[0-9]+[[:space:]]+(INITED|DONE)|==[0-9]+==ERROR|SUMMARY)' "$build/logs/$t.log" | sed 's/^/  /'
    echo "  corpus: $(find "$build/work/$t" -type f | wc -l) files; $(cat "$build/logs/$t.time")"
    if [ $r -ne 0 ]; then rc=1; echo "  FAIL: $t exit $r (crash inputs in $build/crashes/$t)"; fi
  done
  exit $rc
fi

[ "$mode" = test ] || { echo "fuzz/run.sh: unknown mode '$mode'" >&2; exit 2; }
secs=${FUZZ_TEST_SECONDS:-1}
res=$(mktemp -d)
trap 'rm -rf "$res"' EXIT
one() {  # replay, then a short run from the seeds into a scratch corpus
  local t=$1 bin="$build/bin/$1" out="$res/$1"
  local s0=$SECONDS inputs=()
  for d in $(seed_dirs "$t") "fuzz/regressions/$t"; do
    [ -d "$d" ] && for f in "$d"/*; do [ -f "$f" ] && inputs+=("$f"); done
  done
  # shellcheck disable=SC2046
  if [ ${#inputs[@]} -gt 0 ] && ! "$bin" $(opts "$t") -runs=1 "${inputs[@]}" >"$out.replay" 2>&1; then
    echo "FAIL $t: replaying its ${#inputs[@]} seeds and regression inputs" >"$out.res"
    grep -E 'Running:|ERROR|SUMMARY|property failed' "$out.replay" | tail -n 20 >>"$out.res"
    return
  fi
  mkdir -p "$res/$t.work" "$res/$t.crash"
  # shellcheck disable=SC2046
  if ! "$bin" $(opts "$t") -max_total_time="$secs" -artifact_prefix="$res/$t.crash/" "$res/$t.work" \
      $(seed_dirs "$t") >"$out.run" 2>&1; then
    echo "FAIL $t: fuzzing ${secs} s found a crash (kept in build/fuzz/crashes/$t; see fuzz/README.md)" >"$out.res"
    mkdir -p "$build/crashes/$t" && cp "$res/$t.crash/"* "$build/crashes/$t/" 2>/dev/null
    grep -E 'ERROR|SUMMARY|property failed' "$out.run" | head -n 20 >>"$out.res"
    return
  fi
  echo "ok   $t: ${#inputs[@]} inputs replayed, $(grep -Eo 'Done [0-9]+ runs' "$out.run" | grep -Eo '[0-9]+') runs in ${secs} s ($((SECONDS - s0)) s)" >"$out.res"
}
running=0
for t in "${targets[@]}"; do
  one "$t" &
  running=$((running + 1))
  if [ $running -ge 2 ]; then wait -n; running=$((running - 1)); fi
done
wait
pass=0
fail=0
for t in "${targets[@]}"; do
  cat "$res/$t.res" 2>/dev/null || echo "FAIL $t: no result"
  if grep -q '^ok' "$res/$t.res" 2>/dev/null; then pass=$((pass + 1)); else fail=$((fail + 1)); fi
done
echo "fuzz: $pass passed, $fail failed"
[ $fail -eq 0 ]
