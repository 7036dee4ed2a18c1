#!/usr/bin/env bash
# The full fault matrix of tests/cli/test_faults.sh (docs/reliability.md, "Faults, injected"):
# every N of every range, where make test samples a few. Two corpora: the test fixture
# (15 sentences) and a generated one of 3,000 sentences over 2,000 words (a 1 MB ARPA model,
# several writes per output; its file-size limits are sampled, 64 of about 1,000 KiB).
# Usage: tests/fault/sweep.sh [BUILD...]   (default: build build/asan; make tests, make SAN=1 cli tests)
# Prints each run's summary; the last line of each is "test_faults.sh: N passed, M failed".
set -u
cd "$(dirname "$0")/../.."
[ $# -gt 0 ] || set -- build build/asan
big=$(mktemp /tmp/lmprob-sweep-XXXXXX.txt)
trap 'rm -f "$big"' EXIT
awk 'BEGIN { srand(11); for (i = 0; i < 3000; i++) { n = int(rand() * 12); s = "";
       for (j = 0; j < n; j++) s = s (j ? " " : "") "w" int(rand() * rand() * 2000); print s } }' >"$big"
rc=0
for b in "$@"; do
  for corpus in tests/fixtures/train_small.txt "$big"; do
    echo "== $b, $(basename "$corpus") ($(wc -l <"$corpus") lines)"
    s0=$SECONDS
    LMPROB=$b/lmprob FAULT_FULL=1 FAULT_FSIZE_MAX=64 FAULT_CORPUS=$corpus bash tests/cli/test_faults.sh || rc=1
    echo "   ($((SECONDS - s0)) s wall)"
  done
done
exit $rc
