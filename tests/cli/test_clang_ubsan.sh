# The n-gram scorer under clang's UndefinedBehaviorSanitizer (issue 11: clang
# reported a pointer overflow in the prefetch of src/ngram/score.c on every
# sentence; gcc's UBSan, which the rest of `make test` uses, does not check
# that case). Builds src/core, src/count, src/ngram, src/vocab and tests/clang/score_ub.c with clang
# once per source change (build/clang-ubsan/), then scores sentences of every
# length. Skipped, with a note, when clang is not installed.
. "$(dirname "$0")/lib.sh"
if ! command -v clang >/dev/null 2>&1; then
  echo "SKIP: clang is not installed (scripts/setup.sh installs it)"
  finish
  exit $?
fi
out=build/clang-ubsan
bin=$out/score_ub
mkdir -p "$out"
srcs=(src/core/*.c src/count/*.c src/ngram/*.c src/vocab/*.c tests/clang/score_ub.c)
stale=0
[ -x "$bin" ] || stale=1
for f in "${srcs[@]}" include/lmprob/*.h src/*/*.h; do [ "$f" -nt "$bin" ] && stale=1; done
if [ $stale = 1 ]; then
  # One compiler process per file, two at a time, into a private folder, then an atomic move.
  objdir=$(mktemp -d "$out/obj.XXXXXX")
  printf '%s\n' "${srcs[@]}" | xargs -P 2 -I{} sh -c 'clang -std=c11 -D_GNU_SOURCE -O1 -g -fsanitize=undefined -fno-sanitize-recover=all -Iinclude -c "{}" -o "$0/$(echo "{}" | tr / _).o"' "$objdir"
  if clang -fsanitize=undefined -o "$objdir/score_ub" "$objdir"/*.o -lz -llzma -lm -lpthread 2>"$TMPD/link.err"; then
    mv -f "$objdir/score_ub" "$bin"
  else
    bad "clang build failed: $(head -c 400 "$TMPD/link.err")"
  fi
  rm -rf "$objdir"
fi
for model in tests/fixtures/model/tiny.arpa tests/fixtures/train_small.kenlm3.arpa tests/fixtures/model/nounk.arpa; do
  expect_ok "clang UBSan: scoring with $(basename "$model")" "$bin" "$model" tests/fixtures/train_small.txt
done
"$LMPROB" model convert tests/fixtures/train_small.kenlm3.arpa "$TMPD/m.bin" >/dev/null 2>&1 && \
  expect_ok "clang UBSan: scoring with a binary model" "$bin" "$TMPD/m.bin" tests/fixtures/train_small.txt
finish
