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
awk -v tol="$tol" -F'\t' '
  function section(line) { if (line ~ /^\\[0-9]+-grams:$/) { sub(/^\\/, "", line); sub(/-grams:$/, "", line); return line + 0 } return -1 }
  FNR == 1 { file++; ord = 0 }
  /^ngram [0-9]+=/ { split($0, a, /[ =]/); cnt[file, a[2]] = a[3]; if (a[2] > maxo) maxo = a[2]; next }
  { s = section($0); if (s >= 0) { ord = s; next } }
  ord == 0 || $0 == "" || $0 == "\\end\\" { next }
  file == 1 { kp[ord SUBSEP $2] = $1; kb[ord SUBSEP $2] = (NF >= 3 ? $3 : 0); nk[ord]++; next }
  {
    key = ord SUBSEP $2
    if (!(key in kp)) { extra[ord]++; next }
    seen[ord]++
    if (ord == 1 && $2 == "<s>") { sprob = $1 " (lmprob) vs " kp[key] " (lmplz)"; delete kp[key]; bo = (NF >= 3 ? $3 : 0); d = bo - kb[key]; if (d < 0) d = -d; if (d > mb[ord]) mb[ord] = d; delete kb[key]; next }
    d = $1 - kp[key]; if (d < 0) d = -d; if (d > mp[ord]) mp[ord] = d
    bo = (NF >= 3 ? $3 : 0); d = bo - kb[key]; if (d < 0) d = -d; if (d > mb[ord]) mb[ord] = d
    delete kp[key]; delete kb[key]
  }
  END {
    bad = 0
    printf "%-6s %12s %12s %8s %8s %14s %14s\n", "order", "lmplz", "lmprob", "missing", "extra", "max|dlog10p|", "max|dlog10bo|"
    for (o = 1; o <= maxo; o++) {
      miss = 0; for (k in kp) { split(k, z, SUBSEP); if (z[1] == o) miss++ }
      printf "%-6d %12d %12d %8d %8d %14.3g %14.3g\n", o, cnt[1, o], cnt[2, o], miss, extra[o] + 0, mp[o] + 0, mb[o] + 0
      if (cnt[1, o] != cnt[2, o] || miss || extra[o] || mp[o] > tol || mb[o] > tol) bad = 1
      if (mp[o] > allp) allp = mp[o]; if (mb[o] > allb) allb = mb[o]
    }
    printf "<s> unigram: %s (not compared)\n", sprob
    printf "max |dlog10 p| = %.3g, max |dlog10 backoff| = %.3g: %s\n", allp, allb, bad ? "MISMATCH" : "OK"
    exit bad
  }' "$tmp/kenlm.arpa" "$tmp/lmprob.arpa"
