#!/usr/bin/env bash
# The statistics of the last `fuzz/run.sh long` (make fuzz) of each target, as a Markdown table:
#   fuzz/stats.sh [BUILD]        (default build/fuzz; reads BUILD/logs/<t>.log and <t>.time)
# executions and exec/s from libFuzzer's -print_final_stats; cov (edges) and ft (features) and the
# corpus from its DONE line; CPU time (user + sys) and wall time from bash's `time` of the run.
set -u
cd "$(dirname "$0")/.."
build=${1:-build/fuzz}
echo "| target | executions | exec/s | cov | ft | corpus (inputs/size) | CPU s (user+sys) | wall s | crashes, leaks, timeouts |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---|"
for log in "$build"/logs/*.log; do
  [ -f "$log" ] || continue
  t=$(basename "$log" .log)
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
  # the DONE line, or (a run stopped by SIGINT, FUZZ_CPU_SECONDS: it prints none) the last status line
  done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n 1)
  [ -n "$done_line" ] || done_line=$(grep -E '^#[0-9]+[[:space:]]+(INITED|NEW|REDUCE|pulse)' "$log" | tail -n 1)
  cov=$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"$done_line")
  ft=$(sed -nE 's/.* ft: ([0-9]+).*/\1/p' <<<"$done_line")
  corp=$(sed -nE 's/.* corp: ([0-9]+\/[0-9]+[a-zA-Z]*).*/\1/p' <<<"$done_line")
  read -r _ u _ _ _ s _ _ w _ _ < <(cat "$build/logs/$t.time" 2>/dev/null)
  cpu=$(awk -v u="${u:-0}" -v s="${s:-0}" 'BEGIN { printf "%.0f", u + s }')
  bad=$(grep -cE '==[0-9]+==ERROR|^SUMMARY|property failed|ALARM: working on the last Unit|out-of-memory' "$log")
  [ "$bad" -eq 0 ] && bad=none || bad="$bad (see $log)"
  printf '| %s | %s | %s | %s | %s | %s | %s | %.0f | %s |\n' "$t" "${runs:-?}" "${eps:-?}" "${cov:-?}" "${ft:-?}" \
    "${corp:-?}" "$cpu" "${w:-0}" "$bad"
done
