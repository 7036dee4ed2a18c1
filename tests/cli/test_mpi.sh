#!/usr/bin/env bash
# lmprob-mpi train (docs/mpi.md): the ARPA file is byte-identical to lmprob train's, with 3 and 4 ranks
# (counting, exchange and estimation distributed),
# and a failure on one rank (death, unreadable shard, full disk) stops the job with that rank's error
# and no model file. A representative subset: scripts/mpi_exactness.sh runs the full matrix
# (PTB and WikiText-2, orders 3 and 5, 1..4 ranks).
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/mpi_lib.sh"
MPI=${LMPROB_MPI:-$(dirname "$LMPROB")/lmprob-mpi}
if [ ! -x "$MPI" ] || ! command -v mpirun >/dev/null 2>&1; then
  bad "lmprob-mpi or mpirun missing ($MPI): scripts/setup.sh installs openmpi-bin and libopenmpi-dev, make builds it"
  finish; exit
fi
case "$LMPROB" in */asan/*) export ASAN_OPTIONS=${ASAN_OPTIONS:-}:detect_leaks=0 ;; esac # Open MPI's own allocations at exit
# When a rank fails, mpirun sends the others SIGTERM and, odls_base_sigkill_timeout seconds later (1 by
# default), SIGKILL. The failure cases here check the message, the exit status and that no model is left; they
# waited out that grace, 1.3 s each (17 of the script's 18 s wall, 7 s CPU). They run without it; the one case
# whose check is what the grace is for (rank 0 removing its temporary file on SIGTERM while it writes) keeps it.
export OMPI_MCA_odls_base_sigkill_timeout=${OMPI_MCA_odls_base_sigkill_timeout:-0}
PTB=../shared/data/ptb/ptb.train.txt
# 60,000 lines would take too long here: the first 4,000 lines of PTB (about 90,000 tokens)
head -n 4000 "$PTB" >"$TMPD/c.txt"

# Spilling: --memory must hold the whole training (the model included: 24M for order 5 here), so a
# small --count-tables forces the sorted runs (about 40 per rank at 4 ranks) and the exchange rounds.
SPILL="--memory 24M --count-tables 64K"

# same_as_train LABEL NP ORDER [options]: the ARPA of NP ranks = lmprob train's (same output path, so the
# recorded command line is the same too)
same_as_train() {
  local l=$1 np=$2 order=$3; shift 3
  rm -f "$TMPD/m.arpa"
  "$LMPROB" train --order "$order" "$@" --output "$TMPD/m.arpa" "$TMPD/c.txt" >/dev/null 2>"$TMPD/err1" &&
    mv "$TMPD/m.arpa" "$TMPD/ref.arpa" || { bad "$l: lmprob train failed: $(head -c 300 "$TMPD/err1")"; return; }
  if ! mpirun_n "$np" "$MPI" train --order "$order" "$@" --output "$TMPD/m.arpa" "$TMPD/c.txt" >"$TMPD/out" 2>"$TMPD/err"; then
    bad "$l: lmprob-mpi failed: $(head -c 400 "$TMPD/err")"; return
  fi
  case " $* " in # the ranks did spill (their runs summed in the report)
    *" --count-tables "*) grep -q 'sorted runs spilled to disk' "$TMPD/out" || bad "$l: no spilled runs: $(cat "$TMPD/out")" ;;
  esac
  if cmp -s "$TMPD/m.arpa" "$TMPD/ref.arpa"; then ok; else bad "$l: ARPA differs from lmprob train's: $(cmp "$TMPD/m.arpa" "$TMPD/ref.arpa" 2>&1)"; fi
}

# MPI_TEST_FULL=1: every case under the sanitizers too (by hand; make test runs one there)
case "$LMPROB${MPI_TEST_FULL:+ full}" in
  */asan/lmprob) # under the sanitizers: one distributed run (every step with 3 ranks), spilling
    same_as_train "order 3, 3 ranks, spilled, prune 0 1 (asan)" 3 3 $SPILL --prune 0 1 ;;
  *)
    # counting tables of 64K a rank: spilled runs on every rank, dozens of exchange rounds
    # (the ranks stream their pieces to rank 0, which writes while it merges: it never holds the model)
    export LMPROB_MPI_STATS=1
    same_as_train "order 5, 4 ranks, spilled, prune 0 1 2" 4 5 $SPILL --prune 0 1 2
    unset LMPROB_MPI_STATS
    grep -q 'rank 0: written' "$TMPD/err" && ! grep -q 'rank 0: gathered' "$TMPD/err" && ok ||
      bad "the 4-rank model was not written from the ranks' chunks: $(head -c 600 "$TMPD/err")"

    # a list of files (@LIST), whole files per rank, one of them gzip: the model of their concatenation
    # (the recorded command names the input, so that line is left out of the comparison)
    head -n 1500 "$TMPD/c.txt" >"$TMPD/f1.txt"
    sed -n 1501,3000p "$TMPD/c.txt" | gzip >"$TMPD/f2.gz"
    sed -n '3001,$p' "$TMPD/c.txt" >"$TMPD/f3.txt"
    printf '%s\n' "$TMPD/f1.txt" "$TMPD/f2.gz" "$TMPD/f3.txt" >"$TMPD/list"
    # (Witten-Bell: the distributed estimation of another interpolated estimator, on raw counts)
    "$LMPROB" train --order 3 --estimator wb --quiet --output "$TMPD/m.arpa" "$TMPD/c.txt" && mv "$TMPD/m.arpa" "$TMPD/ref.arpa"
    expect_ok "file list, 3 ranks, wb" mpirun_n 3 "$MPI" train --order 3 --estimator wb --quiet --output "$TMPD/m.arpa" "@$TMPD/list"
    if cmp -s <(grep -v '^# lmprob command:' "$TMPD/m.arpa") <(grep -v '^# lmprob command:' "$TMPD/ref.arpa"); then ok
    else bad "file list, 3 ranks, wb: ARPA differs from lmprob train's on the concatenation"; fi
    rm -f "$TMPD/m.arpa"
    # --json's peak_bytes: the largest rank's budget (it was rank 0's model budget alone, 0 when the ranks estimate)
    expect_out "--json peak_bytes on 2 ranks" '"peak_bytes": [1-9][0-9]*,' mpirun_n 2 "$MPI" train --order 3 --json \
      --output "$TMPD/m.arpa" "$TMPD/f1.txt"
    rm -f "$TMPD/m.arpa"

    # refusals: not distributed
    # (a singleton, without mpirun: MPI_Init makes a world of one rank; isolated: without starting
    # Open MPI's daemon, 0.3 s instead of 1 s)
    expect_fail "--min-count refused" "--min-count.*not distributed" env OMPI_MCA_ess_singleton_isolated=1 "$MPI" train --order 3 --min-count 2 --output "$TMPD/x.arpa" "$TMPD/c.txt"
    [ -e "$TMPD/x.arpa" ] && bad "refusal left a model" || ok
    # what the ranks cannot share out is a usage error, exit 2, as an option outside its domain (it was exit 1)
    env OMPI_MCA_ess_singleton_isolated=1 "$MPI" train --order 3 --min-count 2 --output "$TMPD/x.arpa" "$TMPD/c.txt" >/dev/null 2>&1
    rc=$?; [ $rc -eq 2 ] && ok || bad "--min-count on lmprob-mpi: exit $rc, expected 2 (usage)"
    OMPI_MCA_ess_singleton_isolated=1 "$MPI" train --order 3 --output "$TMPD/x.arpa" - <"$TMPD/c.txt" >/dev/null 2>&1
    rc=$?; [ $rc -eq 2 ] && ok || bad "stdin on lmprob-mpi: exit $rc, expected 2 (usage)"
    expect_fail "a device refused" "/dev/null: expected a regular file" env OMPI_MCA_ess_singleton_isolated=1 "$MPI" train --order 3 --output "$TMPD/x.arpa" /dev/null

    # faults. A rank that dies (killed in the distributed estimation, between two exchanges; docs/mpi.md
    # shows a kill after counting too): the job stops, no model.
    rm -f "$TMPD/m.arpa"
    expect_fail "a rank dies" "rank 1|signal 9|Killed" env LMPROB_MPI_TEST_DIE=1:estimating bash -c '. "$0"; mpirun_n 2 "$@"' \
      "$(dirname "$0")/mpi_lib.sh" "$MPI" train --order 3 --quiet --output "$TMPD/m.arpa" "$TMPD/c.txt"
    [ -e "$TMPD/m.arpa" ] && bad "a rank dies: a model was left" || ok
    # a rank that dies while rank 0 writes the model from the ranks' chunks (rank 1 after its first
    # chunk; small chunks with --count-tables): mpirun stops rank 0, which removes its temporary file
    expect_fail "a rank dies while the model is written" "rank 1|signal 9|Killed" env LMPROB_MPI_TEST_DIE=1:writing \
      OMPI_MCA_odls_base_sigkill_timeout=1 bash -c '. "$0"; mpirun_n 2 "$@"' "$(dirname "$0")/mpi_lib.sh" "$MPI" train --order 3 $SPILL --quiet \
      --output "$TMPD/m.arpa" "$TMPD/c.txt"
    [ -e "$TMPD/m.arpa" ] && bad "a rank dies while the model is written: a model was left" || ok
    ls "$TMPD" | grep -q 'm\.arpa.' && bad "a rank dies while the model is written: a temporary file was left: $(ls "$TMPD")" || ok
    # a shard that cannot be read: invalid UTF-8 in the second half, read by rank 1 of 2
    { cat "$TMPD/c.txt"; printf 'bad \377 byte\n'; head -n 100 "$TMPD/c.txt"; } >"$TMPD/bad.txt"
    # (at the file's line, 4001, as lmprob train says: it was the line within rank 1's byte range)
    expect_fail "unreadable shard" "rank 1 of 2: .*bad\.txt:4001: invalid UTF-8.*byte range" \
      mpirun_n 2 "$MPI" train --order 3 --quiet --output "$TMPD/m.arpa" "$TMPD/bad.txt"
    [ -e "$TMPD/m.arpa" ] && bad "unreadable shard: a model was left" || ok
    # a --temp-dir that takes no files: refused by every rank before reading (as lmprob train); it failed only at the
    # first spill, or never
    expect_fail "--temp-dir missing" "rank [01] of 2: temporary folder $TMPD/nodir \\(temp_dir, --temp-dir\\): No such file" \
      mpirun_n 2 "$MPI" train --order 3 --quiet --temp-dir "$TMPD/nodir" --output "$TMPD/m.arpa" "$TMPD/c.txt"
    [ -e "$TMPD/m.arpa" ] && bad "--temp-dir missing: a model was left" || ok
    # a line that lmprob train refuses (longer than an eighth of --memory) is refused by the ranks too (they
    # read it, past the limit, and went on)
    { cat "$TMPD/c.txt"; head -c 300000 /dev/zero | tr '\0' a; echo; } >"$TMPD/long.txt"
    expect_fail "lmprob train's line limit" "^lmprob: train: .*long\.txt:4001: line longer than 262144 bytes" \
      "$LMPROB" train --order 2 --memory 2M --quiet --output "$TMPD/m.arpa" "$TMPD/long.txt"
    expect_fail "the same line limit on the ranks" "rank 1 of 2: .*long\.txt:4001: line longer than 262144 bytes" \
      mpirun_n 2 "$MPI" train --order 2 --memory 2M --quiet --output "$TMPD/m.arpa" "$TMPD/long.txt"
    # a shard that cannot be read: the list's second file (rank 1's) is missing
    printf '%s\n' "$TMPD/f1.txt" "$TMPD/gone.txt" "$TMPD/f3.txt" >"$TMPD/list2"
    expect_fail "missing file of a list" "rank 1 of 2: .*gone\.txt" \
      mpirun_n 2 "$MPI" train --order 3 --quiet --output "$TMPD/m.arpa" "@$TMPD/list2"
    [ -e "$TMPD/m.arpa" ] && bad "missing file of a list: a model was left" || ok
    # a full disk on rank 1: its spill files may not grow past 1 KiB (ulimit -f, SIGXFSZ ignored: EFBIG)
    expect_fail "full disk on rank 1" "rank 1 of 2: writing a sorted run .*(File too large|No space)" \
      mpirun_tcp 2 bash -c 'if [ "$OMPI_COMM_WORLD_RANK" = 1 ]; then ulimit -f 1; trap "" XFSZ; fi; exec "$@"' sh \
      "$MPI" train --order 3 $SPILL --quiet --output "$TMPD/m.arpa" "$TMPD/c.txt"
    [ -e "$TMPD/m.arpa" ] && bad "full disk on rank 1: a model was left" || ok
    # a full disk on rank 0 while it writes the model: the atomic writer leaves nothing
    expect_fail "full disk on rank 0 (the model)" "m\\.arpa: write failed: (File too large|No space)" \
      mpirun_tcp 2 bash -c 'if [ "$OMPI_COMM_WORLD_RANK" = 0 ]; then ulimit -f 64; trap "" XFSZ; fi; exec "$@"' sh \
      "$MPI" train --order 3 --quiet --output "$TMPD/m.arpa" "$TMPD/c.txt"
    [ -e "$TMPD/m.arpa" ] && bad "full disk on rank 0: a model was left" || ok
    ls "$TMPD" | grep -q 'm\.arpa.' && bad "a temporary model file was left: $(ls "$TMPD")" || ok
    ;;
esac

# The output may not be one of a list's files (@LIST): the model's rename replaced that input (it was checked
# against the list file only). Before training, so a singleton (isolated) shows it.
cp "$TMPD/c.txt" "$TMPD/in.txt"
ln -f "$TMPD/in.txt" "$TMPD/in-link.txt"
printf '%s\n' "$TMPD/in.txt" >"$TMPD/list3"
for out in "$TMPD/in.txt" "$TMPD/in-link.txt"; do
  expect_fail "output is a file of the list ($(basename "$out"))" "output .*in(-link)?\.txt is the input .*in\.txt" \
    env OMPI_MCA_ess_singleton_isolated=1 "$MPI" train --order 2 --quiet --output "$out" "@$TMPD/list3"
done
cmp -s "$TMPD/c.txt" "$TMPD/in.txt" && ok || bad "output is a file of the list: the input was replaced"
# a list that names no file: refused before training, naming the list
printf '\n\r\n' >"$TMPD/list4"
expect_fail "a list of no file" "file list .*list4: expected one file name a line, got none" \
  env OMPI_MCA_ess_singleton_isolated=1 "$MPI" train --order 2 --quiet --output "$TMPD/m.arpa" "@$TMPD/list4"

# Messages before training come once, not once per rank (every rank checks the options): a usage error,
# --help; a check that fails on one rank alone is told by that rank, and the others stop instead of waiting
mpirun_n 3 "$MPI" train --order 0 --output "$TMPD/m.arpa" "$TMPD/c.txt" >"$TMPD/out" 2>"$TMPD/err"
rc=$?
n=$(grep -c -- "--order: expected an n-gram order" "$TMPD/err")
if [ $rc -ne 0 ] && [ "$n" = 1 ]; then ok; else bad "usage error on 3 ranks: exit $rc, said $n times: $(head -c 300 "$TMPD/err")"; fi
mpirun_n 2 "$MPI" train --help >"$TMPD/out" 2>"$TMPD/err"
rc=$?
n=$(grep -c "^usage: lmprob train" "$TMPD/out")
if [ $rc -eq 0 ] && [ "$n" = 1 ] && grep -q "^example: mpirun -np 2 lmprob-mpi train" "$TMPD/out"; then ok; else bad "--help on 2 ranks: exit $rc (was 255), usage $n times: $(head -c 300 "$TMPD/err")"; fi
rm -f "$TMPD/m.arpa" # (left by an earlier test in the sanitized run)
timeout 120 bash -c '. "$0"; mpirun_n 2 bash -c '"'"'if [ "$OMPI_COMM_WORLD_RANK" = 1 ]; then exec "$@" --prune 0,0,0,0; else exec "$@"; fi'"'"' sh "$@"' \
  "$(dirname "$0")/mpi_lib.sh" "$MPI" train --order 3 --quiet --output "$TMPD/m.arpa" "$TMPD/c.txt" >"$TMPD/out" 2>"$TMPD/err"
rc=$?
n=$(grep -c -- "--prune: expected" "$TMPD/err")
if [ $rc -ne 0 ] && [ $rc -ne 124 ] && [ "$n" = 1 ] && [ ! -e "$TMPD/m.arpa" ]; then ok
else bad "a check failing on rank 1 alone: exit $rc (124: a hang), said $n times: $(head -c 300 "$TMPD/err")"; fi
# The ranks agree on one job before any work (every rank parses its own command line and reads its own copy
# of the input): rank1 ARGS... runs the job with ARGS appended on rank 1 only (MPMD or per-node differences).
rank1() {
  timeout 120 bash -c '. "$0"; mpirun_n 2 bash -c '"'"'r=$1; shift; if [ "$OMPI_COMM_WORLD_RANK" = 1 ]; then set -- "$@" $r; fi; exec "$@"'"'"' sh "$@"' \
    "$(dirname "$0")/mpi_lib.sh" "$@" >"$TMPD/out" 2>"$TMPD/err"
}
# other options on one rank: one message, no model (it trained a model of neither, hung, or aborted in MPI)
for extra in "--estimator kn" "--estimator katz" "--mode char" "--prune 0 0 1"; do
  rm -f "$TMPD/m.arpa"
  rank1 "$extra" "$MPI" train --order 3 --quiet --output "$TMPD/m.arpa" "$TMPD/c.txt"
  rc=$?
  n=$(grep -c "the ranks were given different options" "$TMPD/err")
  if [ $rc -ne 0 ] && [ $rc -ne 124 ] && [ "$n" = 1 ] && [ ! -e "$TMPD/m.arpa" ]; then ok
  else bad "$extra on rank 1 alone: exit $rc (124: a hang), said $n times: $(head -c 300 "$TMPD/err")"; fi
done
# another budget on one rank (--memory 10% on nodes of different RAM): the smallest for all, the same model
# (each rank sized its exchange rounds from its own budget: rounds larger than the receiver's buffer)
"$LMPROB" train --order 3 --quiet --output "$TMPD/one.arpa" "$TMPD/c.txt"
for extra in "--count-tables 64K" "--memory 20M"; do
  rm -f "$TMPD/m.arpa"
  rank1 "$extra" "$MPI" train --order 3 --quiet --output "$TMPD/m.arpa" "$TMPD/c.txt"
  rc=$?
  if [ $rc -eq 0 ] && cmp -s <(grep -v '^#' "$TMPD/m.arpa") <(grep -v '^#' "$TMPD/one.arpa"); then ok
  else bad "$extra on rank 1 alone: exit $rc, or not lmprob train's model: $(head -c 300 "$TMPD/err")"; fi
done
# --memory is not yet a bound for the ranks (docs/mpi.md): where the tracked peak passes it, a note says so (the
# job passed in silence where lmprob train refuses; 5.6 MiB at --memory 5M here), and none where it does not
mpirun_n 2 "$MPI" train --order 5 --memory 5M --quiet --output "$TMPD/m.arpa" "$TMPD/c.txt" >"$TMPD/out" 2>"$TMPD/err"
rc=$?
[ $rc = 0 ] && grep -q "lmprob-mpi: note: the largest rank's tracked memory peaked at .* MiB, above --memory 5.0 MiB" "$TMPD/err" &&
  ok || bad "--memory 5M passed without a note: exit $rc: $(head -c 300 "$TMPD/err")"
mpirun_n 2 "$MPI" train --order 5 --memory 64M --quiet --output "$TMPD/m.arpa" "$TMPD/c.txt" >"$TMPD/out" 2>"$TMPD/err"
[ ! -s "$TMPD/err" ] && ok || bad "--memory 64M: $(head -c 300 "$TMPD/err")"
# a check that fails on rank 1 alone (a file only it lacks, here an option only it has): its words, and which
# rank said them (on a cluster, which node lacks the file), exit non-zero, no model
rm -f "$TMPD/m.arpa"
rank1 "--order 0" "$MPI" train --order 3 --quiet --output "$TMPD/m.arpa" "$TMPD/c.txt"
rc=$?
if [ $rc -ne 0 ] && grep -q "^lmprob-mpi: rank 1 of 2 stopped before training:$" "$TMPD/err" && grep -q -- "--order: expected" "$TMPD/err" &&
   [ ! -e "$TMPD/m.arpa" ]; then ok; else bad "a check failing on rank 1 alone: exit $rc: $(head -c 300 "$TMPD/err")"; fi
# another copy of the corpus on one rank: rank 1 reads COPY where rank 0 reads c.txt; refused with MESSAGE and
# no model (it trained a mixed model)
other_copy_on_rank1() {  # LABEL COPY MESSAGE
  rm -f "$TMPD/m.arpa"
  timeout 120 bash -c '. "$0"; c=$1; shift; mpirun_n 2 bash -c '"'"'if [ "$OMPI_COMM_WORLD_RANK" = 1 ]; then set -- "${@%c.txt}$0"; fi; exec "$@"'"'"' "$c" "$@"' \
    "$(dirname "$0")/mpi_lib.sh" "$2" "$MPI" train --order 3 --quiet --output "$TMPD/m.arpa" "$TMPD/c.txt" >"$TMPD/out" 2>"$TMPD/err"
  local rc=$?
  if [ $rc -ne 0 ] && grep -q "$3" "$TMPD/err" && [ ! -e "$TMPD/m.arpa" ]; then ok
  else bad "$1 on rank 1: exit $rc: $(head -c 300 "$TMPD/err")"; fi
}
# a stale copy on a node (another size)
head -n 1000 "$TMPD/c.txt" >"$TMPD/stale.txt"
other_copy_on_rank1 "a stale copy" stale.txt "the ranks see files of different sizes"
# a copy of the same size with other bytes (a word replaced by one as long): it trained a mixed model and exited
# 0 while the sizes alone were compared
sed 's/\bthe\b/THE/g' "$TMPD/c.txt" >"$TMPD/edited.txt"
if [ "$(wc -c <"$TMPD/edited.txt")" = "$(wc -c <"$TMPD/c.txt")" ] && ! cmp -s "$TMPD/edited.txt" "$TMPD/c.txt"; then
  other_copy_on_rank1 "an edited copy of the same size" edited.txt "the ranks see files of the same size with different bytes"
else bad "the edited copy is not of the same size with other bytes (the test's own fault)"; fi
# rank 0 tells the stages on stderr as lmplz does, once, unless --quiet (a job of hours showed nothing)
mpirun_n 2 "$MPI" train --order 3 --output "$TMPD/m.arpa" "$TMPD/c.txt" >"$TMPD/out" 2>"$TMPD/err"
n=$(grep -c '] counted' "$TMPD/err")
[ "$n" = 1 ] && grep -q '] written' "$TMPD/err" && ok || bad "stage lines on 2 ranks: 'counted' $n times: $(head -c 300 "$TMPD/err")"
mpirun_n 2 "$MPI" train --order 3 --quiet --output "$TMPD/m.arpa" "$TMPD/c.txt" >"$TMPD/out" 2>"$TMPD/err"
[ ! -s "$TMPD/err" ] && ok || bad "--quiet on 2 ranks printed: $(head -c 300 "$TMPD/err")"
# an input that is no file, the same on every rank: said once (it was said by each rank); a folder as lmprob
# train says it, exit 1 (it read "expected a regular file (each rank reads its own byte range of it)")
mpirun_n 3 "$MPI" train --order 3 --quiet --output "$TMPD/m.arpa" "$TMPD" >"$TMPD/out" 2>"$TMPD/err"
rc=$?
n=$(grep -c "^lmprob: train: $TMPD: is a directory: expected a file$" "$TMPD/err")
if [ $rc -ne 0 ] && [ "$n" = 1 ]; then ok; else bad "a folder as input on 3 ranks: exit $rc, said $n times: $(head -c 300 "$TMPD/err")"; fi
# A file list is read a line at a time into a path's room (twenty-fourth session: getline grew
# @/dev/zero's one line until memory ran out; under a limit it said "got none"). lmprob train reads lists with
# the same reader (cli_file_list_read); lmprob-mpi refuses a list that is no regular file (below).
limit=""
is_asan || limit="ulimit -v 1000000;"
expect_fail "@/dev/zero: a line longer than a path" "file list /dev/zero:1: a line longer than [0-9]+ bytes" \
  sh -c "$limit timeout 60 '$LMPROB' train --order 2 --output '$TMPD/z.arpa' @/dev/zero"
# Every rank reads the list: a FIFO (or a device, a folder) is refused before anything opens it. A FIFO with no
# writer held each rank in fopen while the others waited in the agreement, for ever (thirty-ninth session: an
# MPI fault audit; timeout's 124 here); with one writer one rank read the names and the others none.
mkfifo "$TMPD/fifo_list"
timeout 120 bash -c '. "$0"; mpirun_n 2 "$@"' "$(dirname "$0")/mpi_lib.sh" "$MPI" train --order 2 --quiet \
  --output "$TMPD/f.arpa" "@$TMPD/fifo_list" >"$TMPD/out" 2>"$TMPD/err"
rc=$?
if [ $rc = 2 ] && grep -q "file list $TMPD/fifo_list: expected a regular file (every rank reads it)" "$TMPD/err" &&
   [ ! -e "$TMPD/f.arpa" ]; then ok
else bad "@FIFO on 2 ranks: exit $rc (124: it hung): $(head -c 300 "$TMPD/err")"; fi
# A usage error on one rank (a FIFO as TEXT there) is the job's exit status 2 whichever rank ends first: the
# others exited 1, and mpirun's status was the first to end (rank 0's FIFO on 3 ranks: 1 in 1 of 3 runs).
mkfifo "$TMPD/fifo_text"
for r in 0 0 0 1; do
  timeout 120 bash -c '. "$0"; mpirun_n 3 "$@"' "$(dirname "$0")/mpi_lib.sh" bash -c \
    'if [ "$OMPI_COMM_WORLD_RANK" = "$1" ]; then t=$2; else t=$3; fi; shift 3; exec "$@" "$t"' sh "$r" "$TMPD/fifo_text" \
    "$TMPD/c.txt" "$MPI" train --order 2 --quiet --output "$TMPD/f.arpa" >"$TMPD/out" 2>"$TMPD/err"
  rc=$?
  if [ $rc = 2 ] && grep -q "expected a regular file" "$TMPD/err"; then ok
  else bad "a FIFO as TEXT on rank $r of 3: exit $rc (expected 2 on every rank): $(head -c 300 "$TMPD/err")"; fi
done
expect_fail "@/dev/zero on lmprob-mpi: not a regular file" "file list /dev/zero: expected a regular file" \
  env OMPI_MCA_ess_singleton_isolated=1 timeout 60 "$MPI" train --order 2 --output "$TMPD/z.arpa" @/dev/zero
finish
