#!/usr/bin/env bash
# The commits the docs cite are in this history. Measurements and fixes are cited by commit hash
# (docs/accuracy.md, docs/gpt2.md, ...); a branch rebased before it lands gets new hashes, and the
# docs written on it kept the old ones (eleven of them until d9cf3e7). Every 7- to 12-digit
# lowercase hex word of README.md and docs/*.md with a letter and a digit in it must name a
# commit that main's history reaches, but for the few below that are something else.
# Nothing to check outside a git checkout, or in a shallow one.
# run once: it reads the docs and the git history, not the CLI under test.
set -u
. "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/../.."
# Not commits of this repository: kpu/kenlm's and llama.cpp's (the peers' versions, docs/benchmarks.md
# and docs/gpt2.md), a sha256 shortened with an ellipsis (docs/tokenizer.md) and words in hex
# (docs/generate.md, words_hex).
OTHERS=" 4cb443e c392e5094 0c00ab83 616d6f6e67 6347643e 6f74686572 7468696e6773 "
if ! git rev-parse --git-dir >/dev/null 2>&1 || [ "$(git rev-parse --is-shallow-repository 2>/dev/null)" = true ]; then
  echo "test_docs.sh: not a full git checkout: the cited commits are not checked"
  finish
  exit
fi
words=$(grep -ohE '\b[0-9a-f]{7,12}\b' README.md docs/*.md | grep '[a-f]' | grep '[0-9]' |
  grep -vE '^[0-9]+e[0-9]*$' | sort -u)
[ -n "$words" ] && ok || bad "no commit hash found in the docs (the pattern is wrong?)"
git rev-list HEAD >"$TMPD/history"
for h in $words; do
  case "$OTHERS" in *" $h "*) continue ;; esac
  if grep -q "^$h" "$TMPD/history"; then
    ok
  else
    bad "$h, cited in $(grep -lw "$h" README.md docs/*.md | tr '\n' ' '), is not a commit of this history (rebased away? find it by its subject: git log --oneline | grep ...)"
  fi
done
finish
