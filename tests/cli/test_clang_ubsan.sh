# The n-gram scorer under clang's UndefinedBehaviorSanitizer (issue 11: clang
# reported a pointer overflow in the prefetch of src/ngram/score.c on every
# sentence; gcc's UBSan, which the rest of `make test` uses, does not check
# that case): tests/clang/score_ub.c scores sentences of every length. make test
# builds it over the libFuzzer flavour's library (build/fuzz/quick: clang, UBSan
# and ASan), so the library is compiled by clang once for both; SCORE_UB names
# another build of it. Skipped, with a note, when clang is not installed.
# run once: the program under test is the libFuzzer flavour's (clang), whatever CLI is under test.
. "$(dirname "$0")/lib.sh"
if ! command -v clang >/dev/null 2>&1; then
  echo "SKIP: clang is not installed (scripts/setup.sh installs it)"
  finish
  exit $?
fi
bin=${SCORE_UB:-build/fuzz/quick/tests/score_ub}
if [ ! -x "$bin" ]; then
  bad "$bin is missing: make test builds it (make FUZZ=quick $bin)"
  finish
  exit $?
fi
for model in tests/fixtures/model/tiny.arpa tests/fixtures/train_small.kenlm3.arpa tests/fixtures/model/nounk.arpa; do
  expect_ok "clang UBSan: scoring with $(basename "$model")" "$bin" "$model" tests/fixtures/train_small.txt
done
"$LMPROB" model convert tests/fixtures/train_small.kenlm3.arpa "$TMPD/m.bin" >/dev/null 2>&1 && \
  expect_ok "clang UBSan: scoring with a binary model" "$bin" "$TMPD/m.bin" tests/fixtures/train_small.txt
# The Python module under clang: make test builds it with gcc only, and a static array initialised from a
# struct's fields (a GNU extension) once kept `make CC=clang` from building it. A syntax pass takes 2 s.
py=/usr/bin/python3
pyinc=$("$py" -c 'import sysconfig; print(sysconfig.get_paths()["include"])' 2>/dev/null)
if [ -f "$pyinc/Python.h" ]; then
  npinc=$("$py" -c 'import numpy; print(numpy.get_include())' 2>/dev/null)
  expect_ok "clang -fsyntax-only: python/src/*.c" clang -fsyntax-only -std=c11 -D_GNU_SOURCE -Iinclude -I"$pyinc" \
    ${npinc:+-DLMPY_NUMPY_API -isystem "$npinc"} -Wall -Wextra -Werror python/src/*.c
else
  echo "SKIP: no Python.h for the clang pass over python/src (scripts/setup.sh installs python3-dev)"
fi
finish
