#!/usr/bin/env bash
# Compare lmprob filter with KenLM's filter on a model: the same n-grams in
# single (--vocab) and union (--union) mode, and the same numbers (within
# TOL, default 0: KenLM copies the lines, lmprob writes each float as the
# shortest decimal that reads back as it).
#
#   KENLM_BIN=/path/to/kenlm/build/bin tests/kenlm_filter_compare.sh MODEL.arpa TEXT [TOL]
#
# Does not build KenLM.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${KENLM_BIN:?set KENLM_BIN to the folder with the KenLM filter binary (this script does not build KenLM)}"
model=${1:?usage: kenlm_filter_compare.sh MODEL.arpa TEXT [TOL]}
text=${2:?usage: kenlm_filter_compare.sh MODEL.arpa TEXT [TOL]}
tol=${3:-0}
LMPROB=${LMPROB:-build/lmprob}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bad=0
for mode in single union; do
  "$KENLM_BIN/filter" "$mode" "vocab:$text" "$tmp/kenlm.$mode.arpa" <"$model" 2>"$tmp/filter.log" ||
    { cat "$tmp/filter.log" >&2; exit 1; }
  opt=--vocab
  [ "$mode" = union ] && opt=--union
  "$LMPROB" filter "$model" "$opt" "$text" --output "$tmp/lmprob.$mode.arpa" >/dev/null
  echo "KenLM filter $mode vs lmprob filter $opt, $model, $text, tolerance $tol"
  awk -v tol="$tol" -F'\t' -f tests/arpa_diff.awk "$tmp/kenlm.$mode.arpa" "$tmp/lmprob.$mode.arpa" || bad=1
done
exit $bad
