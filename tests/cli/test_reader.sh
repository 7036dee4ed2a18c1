# The one line reader (src/core/reader.c) through every command that reads text:
# train, ppl (word, char and byte modes) and the ARPA reader, on gzip and xz
# inputs over 1 MB, several times the reader's buffers (256 KiB raw chunks, a
# 256 KiB initial line buffer); tests/test_corpus.c reads 5 MB ones. Issue 11: a
# gzip or xz corpus over 64 KiB was rejected as corrupt.
. "$(dirname "$0")/lib.sh"

# About 2.7 MB of text: a 20,000-word Zipf vocabulary of random letters (so the
# compressed files stay large: about 1.35 MB gzip -1, 1.2 MB xz -0, five times the buffers).
/usr/bin/python3 - "$TMPD/t.txt" <<'PY'
import itertools, random, sys
r = random.Random(7)
L = 'abcdefghijklmnopqrstuvwxyz'
vocab = [''.join(r.choice(L) for _ in range(r.randint(2, 8))) for _ in range(20000)]
cw = list(itertools.accumulate(1.0 / (i + 1) for i in range(len(vocab))))
with open(sys.argv[1], 'w') as f:
    for i in range(70000):
        f.write(' '.join(r.choices(vocab, cum_weights=cw, k=r.randint(0, 14))) + '\n')
PY
gzip -1 -c "$TMPD/t.txt" >"$TMPD/t.txt.gz"
xz -0 -c "$TMPD/t.txt" >"$TMPD/t.txt.xz"
# Two gzip members and two xz streams, as `cat a.gz b.gz` makes.
head -n 35000 "$TMPD/t.txt" | gzip -1 >"$TMPD/t2.txt.gz"
tail -n +35001 "$TMPD/t.txt" | gzip -1 >>"$TMPD/t2.txt.gz"
head -n 35000 "$TMPD/t.txt" | xz -0 >"$TMPD/t2.txt.xz"
tail -n +35001 "$TMPD/t.txt" | xz -0 >>"$TMPD/t2.txt.xz"
size() { wc -c <"$1" | tr -d ' '; }
# ppl --json without the file names, to compare the numbers of two runs
same_numbers() { cmp -s <(sed -E 's/"(model|text)": "[^"]*", //g' "$1") <(sed -E 's/"(model|text)": "[^"]*", //g' "$2"); }
if [ "$(size "$TMPD/t.txt.gz")" -gt 1000000 ] && [ "$(size "$TMPD/t.txt.xz")" -gt 1000000 ]; then ok; else bad "compressed test inputs are too small"; fi

# train: the same model from plain, gzip, xz, two members, and stdin (all but the
# command line each model records, "# lmprob command: ...").
same() { cmp -s <(grep -v '^# lmprob command: ' "$1") <(grep -v '^# lmprob command: ' "$2"); }
expect_ok "train plain" "$LMPROB" train --quiet --order 2 --output "$TMPD/p.arpa" "$TMPD/t.txt"
for f in t.txt.gz t.txt.xz t2.txt.gz t2.txt.xz; do
  expect_ok "train $f" "$LMPROB" train --quiet --order 2 --output "$TMPD/c.arpa" "$TMPD/$f"
  if same "$TMPD/p.arpa" "$TMPD/c.arpa"; then ok; else bad "train $f: model differs from the plain text's"; fi
done
expect_ok "train gzip from stdin" sh -c "'$LMPROB' train --quiet --order 2 --output '$TMPD/s.arpa' - <'$TMPD/t.txt.gz'"
if same "$TMPD/p.arpa" "$TMPD/s.arpa"; then ok; else bad "train from stdin: model differs"; fi

# ppl, word mode (the scorer's reader) and the ARPA reader on a compressed model.
expect_ok "ppl plain" "$LMPROB" ppl --json "$TMPD/p.arpa" "$TMPD/t.txt"
cp "$TMPD/out" "$TMPD/ppl.plain"
gzip -1 -c "$TMPD/p.arpa" >"$TMPD/p.arpa.gz"
xz -0 -c "$TMPD/p.arpa" >"$TMPD/p.arpa.xz"
if [ "$(size "$TMPD/p.arpa.gz")" -gt 2000000 ]; then ok; else bad "compressed ARPA is too small"; fi
for mf in p.arpa:t.txt.gz p.arpa.gz:t.txt.xz p.arpa.xz:t2.txt.gz; do
  m=${mf%%:*} f=${mf#*:}
  expect_ok "ppl $m $f" "$LMPROB" ppl --json "$TMPD/$m" "$TMPD/$f"
  if same_numbers "$TMPD/out" "$TMPD/ppl.plain"; then ok; else bad "ppl $m $f: differs from plain"; fi
done
expect_ok "ppl gzip from stdin" sh -c "'$LMPROB' ppl --json '$TMPD/p.arpa.xz' - <'$TMPD/t.txt.gz' >'$TMPD/ppl.stdin'"
if same_numbers "$TMPD/ppl.stdin" "$TMPD/ppl.plain"; then ok; else bad "ppl from stdin: differs"; fi

# ppl --mode char and byte (the corpus reader) on the same compressed text.
head -c 300000 "$TMPD/t.txt" >"$TMPD/small.txt"
for mode in char byte; do
  expect_ok "train --mode $mode" "$LMPROB" train --quiet --mode $mode --estimator addk --order 3 --output "$TMPD/$mode.arpa" "$TMPD/small.txt"
  expect_ok "ppl --mode $mode plain" "$LMPROB" ppl --json --mode $mode "$TMPD/$mode.arpa" "$TMPD/t.txt"
  cp "$TMPD/out" "$TMPD/$mode.plain"
  for f in t.txt.gz t2.txt.xz; do
    expect_ok "ppl --mode $mode $f" "$LMPROB" ppl --json --mode $mode "$TMPD/$mode.arpa" "$TMPD/$f"
    if same_numbers "$TMPD/out" "$TMPD/$mode.plain"; then ok; else bad "ppl --mode $mode $f: differs from plain"; fi
  done
done

# Truncated and corrupt compressed input: a clear error, never a short read.
head -c 600000 "$TMPD/t.txt.gz" >"$TMPD/trunc.gz"
head -c 600000 "$TMPD/t.txt.xz" >"$TMPD/trunc.xz"
expect_fail "train truncated gzip" 'trunc.gz: truncated gzip data' "$LMPROB" train --quiet --order 2 --output "$TMPD/x.arpa" "$TMPD/trunc.gz"
expect_fail "ppl truncated xz" 'trunc.xz: truncated xz data' "$LMPROB" ppl "$TMPD/p.arpa" "$TMPD/trunc.xz"
expect_fail "ppl --mode char truncated gzip" 'trunc.gz: truncated gzip data' "$LMPROB" ppl --mode char "$TMPD/char.arpa" "$TMPD/trunc.gz"
head -c 1000000 "$TMPD/p.arpa.gz" >"$TMPD/trunc.arpa.gz"
expect_fail "model truncated gzip" 'trunc.arpa.gz: truncated gzip data' "$LMPROB" ppl "$TMPD/trunc.arpa.gz" "$TMPD/small.txt"
cp "$TMPD/t.txt.gz" "$TMPD/flip.gz"
printf '\377\377\377\377' | dd of="$TMPD/flip.gz" bs=1 seek=700000 conv=notrunc 2>/dev/null
expect_fail "corrupt gzip" 'flip.gz: corrupt gzip data near compressed byte' "$LMPROB" train --quiet --order 2 --output "$TMPD/x.arpa" "$TMPD/flip.gz"
# a damaged xz stream is named in words, as zlib names the gzip cases (it said "liblzma error 9")
cp "$TMPD/t.txt.xz" "$TMPD/flip.xz"
printf '\377\377\377\377' | dd of="$TMPD/flip.xz" bs=1 seek=300000 conv=notrunc 2>/dev/null
expect_fail "corrupt xz" 'flip.xz: corrupt xz data near compressed byte [0-9]+ \(its data, a header or an integrity check is damaged\)' "$LMPROB" train --quiet --order 2 --output "$TMPD/x.arpa" "$TMPD/flip.xz"
if [ ! -e "$TMPD/x.arpa" ]; then ok; else bad "a failed train left its output"; fi
# bzip2 and zstd input is refused by name (it was read as text: ppl scored the compressed bytes, exit 0); a text
# that merely starts with "BZh" is text
/usr/bin/python3 -c 'import bz2, sys; sys.stdout.buffer.write(bz2.compress(open(sys.argv[1], "rb").read()))' "$TMPD/t.txt" >"$TMPD/t.txt.bz2"
expect_fail "bzip2 refused" 't.txt.bz2: bzip2-compressed input: expected plain text, gzip or xz' "$LMPROB" ppl "$TMPD/p.arpa" "$TMPD/t.txt.bz2"
printf '\050\265\057\375\044\000\001\000' >"$TMPD/t.zst"
expect_fail "zstd refused" 't.zst: zstd-compressed input: expected plain text, gzip or xz' "$LMPROB" train --quiet --order 2 --output "$TMPD/z.arpa" "$TMPD/t.zst"
printf 'BZh1 is a word here\n' >"$TMPD/bzh.txt"
expect_ok "a text starting with BZh" "$LMPROB" ppl "$TMPD/p.arpa" "$TMPD/bzh.txt"
# zero bytes after the last gzip member are the end (gzip -d and Python's gzip take them), across the read chunk
# too; data after them is refused by name (they were "truncated gzip data" or "incorrect header check")
{ cat "$TMPD/t.txt.gz"; head -c 1 /dev/zero; } >"$TMPD/z1.gz"
{ cat "$TMPD/t.txt.gz"; head -c 300000 /dev/zero; } >"$TMPD/z3.gz"
for f in z1.gz z3.gz; do
  expect_ok "train $f (zero padding)" "$LMPROB" train --quiet --order 2 --output "$TMPD/zp.arpa" "$TMPD/$f"
  if same "$TMPD/p.arpa" "$TMPD/zp.arpa"; then ok; else bad "train $f: model differs from the plain text's"; fi
done
{ cat "$TMPD/t.txt.gz"; head -c 64 /dev/zero; printf 'x'; } >"$TMPD/zx.gz"
expect_fail "data after gzip zero padding" 'zx.gz: data after the zero padding of a gzip stream, at compressed byte [0-9]+' "$LMPROB" ppl "$TMPD/p.arpa" "$TMPD/zx.gz"
# Every command that reads a text whole or streams it decompresses it as the line reader does (core.h,
# "texts"): ppl through windows (n-gram and GPT-2), kl, chapter 20, tokenize (streamed and --threads), detokenize.
# They read the compressed bytes as text before: ppl of a .gz scored its bytes (exit 0, a note on invalid UTF-8).
head -c 1200 "$TMPD/t.txt" >"$TMPD/g.txt"
gzip -1 -c "$TMPD/g.txt" >"$TMPD/g.txt.gz"
xz -0 -c "$TMPD/g.txt" >"$TMPD/g.txt.xz"
head -c 300 "$TMPD/t.txt" >"$TMPD/k.txt" # kl's three sums over the vocabulary at each position cost more
gzip -1 -c "$TMPD/k.txt" >"$TMPD/k.txt.gz"
xz -0 -c "$TMPD/k.txt" >"$TMPD/k.txt.xz"
G=../shared/gpt2/tiny-hf
for f in g.txt g.txt.gz g.txt.xz; do
  "$LMPROB" ppl --json --model "$G" --window 64 "$TMPD/$f" >"$TMPD/gp.$f" 2>"$TMPD/gp.err.$f" || bad "ppl --model tiny-hf $f: $(cat "$TMPD/gp.err.$f")"
  "$LMPROB" ppl --json --window 5 "$TMPD/p.arpa" "$TMPD/$f" >"$TMPD/np.$f" 2>&1 || bad "ppl --window 5 $f: $(cat "$TMPD/np.$f")"
  "$LMPROB" kl --json --model "$G" --model "$G" --window 64 "$TMPD/k${f#g}" >"$TMPD/kl.$f" 2>&1 || bad "kl $f: $(cat "$TMPD/kl.$f")"
  "$LMPROB" chapter 20 --model "$TMPD/p.arpa" --window 8 --text "$TMPD/$f" >"$TMPD/ch.$f" 2>&1 || bad "chapter 20 $f: $(cat "$TMPD/ch.$f")"
done
for f in g.txt.gz g.txt.xz; do
  for k in gp np; do
    if same_numbers "$TMPD/$k.$f" "$TMPD/$k.g.txt"; then ok; else bad "$k $f: differs from plain: $(head -c 300 "$TMPD/$k.$f")"; fi
  done
  if cmp -s <(sed -E 's/"text": "[^"]*",? ?//' "$TMPD/kl.$f") <(sed -E 's/"text": "[^"]*",? ?//' "$TMPD/kl.g.txt"); then ok
  else bad "kl $f: differs from plain: $(head -c 300 "$TMPD/kl.$f")"; fi
  if cmp -s <(grep -v "$f\|g.txt" "$TMPD/ch.$f") <(grep -v "g.txt" "$TMPD/ch.g.txt"); then ok; else bad "chapter 20 $f: differs from plain"; fi
done
if [ ! -s "$TMPD/gp.err.g.txt.gz" ]; then ok; else bad "ppl of a gzip text: a note: $(cat "$TMPD/gp.err.g.txt.gz")"; fi
# tokenize: the same ids as the plain text from gzip, xz, two members, stdin, and with --threads; the 2.7 MB text is
# ten times tokenize's read chunk
"$LMPROB" tokenize --u32 -o "$TMPD/ids.plain" "$TMPD/t.txt" || bad "tokenize plain"
for f in t.txt.gz t.txt.xz t2.txt.gz t2.txt.xz; do
  expect_ok "tokenize $f" "$LMPROB" tokenize --u32 -o "$TMPD/ids.x" "$TMPD/$f"
  if cmp -s "$TMPD/ids.plain" "$TMPD/ids.x"; then ok; else bad "tokenize $f: ids differ from the plain text's"; fi
done
for f in t.txt.gz t2.txt.xz; do
  expect_ok "tokenize --threads 2 $f" "$LMPROB" tokenize --threads 2 --u32 -o "$TMPD/ids.x" "$TMPD/$f"
  if cmp -s "$TMPD/ids.plain" "$TMPD/ids.x"; then ok; else bad "tokenize --threads 2 $f: ids differ"; fi
done
expect_ok "tokenize gzip from stdin" sh -c "'$LMPROB' tokenize --u32 -o '$TMPD/ids.x' - <'$TMPD/t.txt.gz'"
if cmp -s "$TMPD/ids.plain" "$TMPD/ids.x"; then ok; else bad "tokenize gzip from stdin: ids differ"; fi
gzip -1 -c "$TMPD/ids.plain" >"$TMPD/ids.gz"
expect_ok "detokenize --u32 gzip" "$LMPROB" detokenize --u32 -o "$TMPD/back.txt" "$TMPD/ids.gz"
if cmp -s "$TMPD/t.txt" "$TMPD/back.txt"; then ok; else bad "detokenize of gzip ids: not the text"; fi
expect_fail "tokenize truncated gzip" 'trunc.gz: truncated gzip data' "$LMPROB" tokenize --count -o "$TMPD/tk.out" "$TMPD/trunc.gz"
if [ ! -e "$TMPD/tk.out" ]; then ok; else bad "a failed tokenize left its output"; fi
expect_fail "tokenize --threads 2 corrupt xz" 'flip.xz: corrupt xz data' "$LMPROB" tokenize --threads 2 --count "$TMPD/flip.xz"
expect_fail "tokenize bzip2 refused" 't.txt.bz2: bzip2-compressed input' "$LMPROB" tokenize "$TMPD/t.txt.bz2"
# A text in memory is text: a prompt (or a text already decompressed) that starts with gzip's magic is not
# decompressed again by the n-gram tokenizer (it was: "--prompt: text: corrupt gzip data"), as GPT-2's never was
expect_ok "a prompt starting with gzip's magic" "$LMPROB" next "$TMPD/p.arpa" --prompt "$(printf '\037\213 the')"
expect_fail "ppl --model tiny-hf bzip2 refused" 't.txt.bz2: bzip2-compressed input' "$LMPROB" ppl --model "$G" "$TMPD/t.txt.bz2"
# Numbers files (stats, fit, decode, info) through the same reader: a gzip or xz file of numbers was read as its
# compressed bytes ("NUL byte at column 4"). About 1.3 MB of rows, CRLF line ends, so that row and line ends fall
# across the reader's 16 KiB reads; the same figures from plain, gzip, xz and stdin.
/usr/bin/python3 - "$TMPD/xy.txt" <<'PY'
import random, sys
r = random.Random(3)
with open(sys.argv[1], 'w', newline='') as f:
    for i in range(60000):
        x = r.uniform(-5, 5)
        f.write('%.9f, %.9f\r\n' % (x, 2.5 * x - 1 + r.gauss(0, 0.3)))
PY
gzip -1 -c "$TMPD/xy.txt" >"$TMPD/xy.txt.gz"
xz -0 -c "$TMPD/xy.txt" >"$TMPD/xy.txt.xz"
expect_ok "stats --covariance plain" "$LMPROB" stats --covariance --columns "$TMPD/xy.txt"
cp "$TMPD/out" "$TMPD/cov.plain"
expect_ok "fit plain" "$LMPROB" fit --degree 1 "$TMPD/xy.txt"
cp "$TMPD/out" "$TMPD/fit.plain"
if grep -q '60000 observations' "$TMPD/cov.plain"; then ok; else bad "stats --covariance: expected 60000 rows of 2 values"; fi
for f in xy.txt.gz xy.txt.xz; do
  expect_ok "stats --covariance $f" "$LMPROB" stats --covariance --columns "$TMPD/$f"
  if cmp -s "$TMPD/out" "$TMPD/cov.plain"; then ok; else bad "stats --covariance $f: differs from the plain file's"; fi
  expect_ok "fit $f" "$LMPROB" fit --degree 1 "$TMPD/$f"
  if cmp -s "$TMPD/out" "$TMPD/fit.plain"; then ok; else bad "fit $f: differs from the plain file's"; fi
done
expect_ok "stats xz from stdin" sh -c "'$LMPROB' stats --covariance --columns - <'$TMPD/xy.txt.xz' >'$TMPD/cov.stdin'"
if cmp -s "$TMPD/cov.stdin" "$TMPD/cov.plain"; then ok; else bad "stats from stdin: differs"; fi
# decode reads one row of logits: 50,257 of them, gzip'd, draw the same token as the plain file
/usr/bin/python3 -c "
import random; r = random.Random(5); print(' '.join('%.6f' % r.gauss(0, 3) for _ in range(50257)))" >"$TMPD/logits.txt"
gzip -1 -c "$TMPD/logits.txt" >"$TMPD/logits.txt.gz"
expect_ok "decode plain" "$LMPROB" decode --seed 9 --temperature 0.7 --top-p 0.9 -n 20 "$TMPD/logits.txt"
cp "$TMPD/out" "$TMPD/dec.plain"
expect_ok "decode gzip" "$LMPROB" decode --seed 9 --temperature 0.7 --top-p 0.9 -n 20 "$TMPD/logits.txt.gz"
if cmp -s "$TMPD/out" "$TMPD/dec.plain"; then ok; else bad "decode of gzip logits: differs from the plain file's"; fi
head -c 100000 "$TMPD/xy.txt.gz" >"$TMPD/xy.trunc.gz"
expect_fail "stats truncated gzip" '^lmprob: stats: .*xy.trunc.gz: truncated gzip data' "$LMPROB" stats "$TMPD/xy.trunc.gz"
expect_fail "fit bzip2 refused" 'xy.txt.bz2: bzip2-compressed input' sh -c "bzip2 -c '$TMPD/xy.txt' >'$TMPD/xy.txt.bz2' && '$LMPROB' fit --degree 1 '$TMPD/xy.txt.bz2'"
finish
