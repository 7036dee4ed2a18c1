#!/usr/bin/env bash
# Compare lmprob train with KenLM's lmplz on a corpus: the same n-grams, and every
# log10 probability and backoff within a tolerance (default 2e-5).
#
#   KENLM_BIN=/path/to/kenlm/build/bin tests/kenlm_compare.sh CORPUS ORDER [TOL]
#
# lmplz refuses <unk> in training text, so <unk> is renamed to the ordinary word
# UNK first (as in ../shared/data/README.md), for both programs. lmplz writes the
# <s> unigram probability as 0, lmprob as -99 (the ARPA convention; <s> is never
# predicted): that one value is reported apart and not compared.
# Does not build KenLM. Extra options: LMPLZ_OPTS for lmplz, LMPROB_TRAIN_OPTS for lmprob
# (e.g. LMPLZ_OPTS='--prune 0 1 2' LMPROB_TRAIN_OPTS='--prune 0 1 2').
set -euo pipefail
cd "$(dirname "$0")/.."
: "${KENLM_BIN:?set KENLM_BIN to the folder with lmplz (this script does not build KenLM)}"
corpus=${1:?usage: kenlm_compare.sh CORPUS ORDER [TOL]}
order=${2:?usage: kenlm_compare.sh CORPUS ORDER [TOL]}
tol=${3:-2e-5}
LMPROB=${LMPROB:-build/lmprob}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sed 's/<unk>/UNK/g' "$corpus" >"$tmp/text"
# shellcheck disable=SC2086
"$KENLM_BIN/lmplz" -o "$order" -S 10% -T "$tmp/" ${LMPLZ_OPTS:-} --text "$tmp/text" --arpa "$tmp/kenlm.arpa" 2>"$tmp/lmplz.log" ||
  { cat "$tmp/lmplz.log" >&2; exit 1; }
# shellcheck disable=SC2086
"$LMPROB" train --order "$order" ${LMPROB_TRAIN_OPTS:-} --quiet --output "$tmp/lmprob.arpa" "$tmp/text"
echo "corpus $corpus (<unk> -> UNK), order $order, tolerance $tol${LMPLZ_OPTS:+, lmplz $LMPLZ_OPTS}${LMPROB_TRAIN_OPTS:+, lmprob $LMPROB_TRAIN_OPTS}"
awk -v tol="$tol" -F'\t' -f tests/arpa_diff.awk "$tmp/kenlm.arpa" "$tmp/lmprob.arpa"
