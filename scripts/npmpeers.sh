#!/usr/bin/env bash
# Install the npm peers that the tokenizer tests and benchmarks run side by side with lmprob
# (tiktoken 1.0.22, gpt-tokenizer 4.0.0, Hugging Face's @huggingface/tokenizers 0.2.0 for tokenizer.json;
# never shipped, never linked):
#
#   scripts/npmpeers.sh OUT_DIR
#
# The versions and their sha512 integrity are pinned in scripts/npm-peers/package-lock.json; `npm ci`
# checks every tarball against it. Nothing happens when OUT_DIR already holds that exact lock.
set -euo pipefail
out=${1:?usage: npmpeers.sh OUT_DIR}
src=$(cd "$(dirname "$0")/npm-peers" && pwd)
if [ -f "$out/package-lock.json" ] && cmp -s "$src/package-lock.json" "$out/package-lock.json" &&
   [ -f "$out/node_modules/tiktoken/package.json" ] && [ -f "$out/node_modules/gpt-tokenizer/package.json" ] &&
   [ -f "$out/node_modules/@huggingface/tokenizers/package.json" ]; then
  exit 0
fi
command -v npm >/dev/null 2>&1 || { echo "npmpeers.sh: npm not found (scripts/setup.sh installs it)" >&2; exit 1; }
mkdir -p "$out"
cp "$src/package.json" "$src/package-lock.json" "$out/"
echo "npmpeers.sh: npm ci (tiktoken, gpt-tokenizer, @huggingface/tokenizers) -> $out" >&2
(cd "$out" && npm ci --no-audit --no-fund --silent >/dev/null)
[ -f "$out/node_modules/tiktoken/package.json" ] || { echo "npmpeers.sh: npm ci did not install tiktoken" >&2; exit 1; }
