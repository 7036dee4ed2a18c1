#!/usr/bin/env bash
# The Python module (make python) against what it replaces, side by side in one process (bench/bench_python.py):
#   BENCH py_kenlm_score_ptb        lmprob.Model.score vs KenLM's Python module, PTB test set, sentences/s
#   BENCH py_kenlm_score_batch_ptb  lmprob.Model.score_batch (every core) vs the same kenlm loop
#   BENCH py_hf_chain_torch_*       Hugging Face's warper chain in torch vs lmprob.sample, [8, 50257] and one row
#   BENCH py_chapter_*              the chapter's numpy functions vs the lmprob call computing the same
#   BENCH py_numpy_stream_*         numpy.random.RandomState vs lmprob.RandomState, the same draws (randint, ...)
# The model: a 5-gram (mkn, lmprob train = KenLM's lmplz numbers) of PTB train with <unk> renamed UNK.
#   KENLM_PY   folder holding KenLM's Python module (kenlm*.so; docs/python.md); without it that part skips
#   BUILD      lmprob build folder (default build; $BUILD/python holds the package)
#   REPS       rounds per median (default 7)
#   CLOCK      cpu: the numpy part in thread CPU time, fastest round (bench_python.py says why)
#   WORK       scratch folder (default ${TMPDIR:-/tmp}/lmprob-bench-python)
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
REPS=${REPS:-7}
WORK=${WORK:-${TMPDIR:-/tmp}/lmprob-bench-python}
DATA=${LMPROB_DATA:-../shared/data}
[ -f "$BUILD/python/lmprob/__init__.py" ] || { echo "# bench_python: $BUILD/python not built (make python)"; exit 1; }
mkdir -p "$WORK"
arpa="$WORK/ptb5.arpa"
if [ ! -s "$arpa" ]; then
  sed 's/<unk>/UNK/g' "$DATA/ptb/ptb.train.txt" >"$WORK/train.txt"
  "$BUILD/lmprob" train --order 5 --quiet --output "$arpa" "$WORK/train.txt" || exit 1
fi
# OpenBLAS settings inherited from the shell are not the peer's to keep (docs/benchmarks.md).
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE PYTHONPATH="$PWD/$BUILD/python" \
  /usr/bin/python3 bench/bench_python.py "$arpa" "$DATA/ptb/ptb.test.txt" "$REPS"
