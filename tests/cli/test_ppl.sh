#!/usr/bin/env bash
# lmprob ppl and lmprob generate on the hand-written fixture (values in tests/fixtures/model/README.md).
. "$(dirname "$0")/lib.sh"
FIX="$(cd "$(dirname "$0")/../fixtures/model" && pwd)"
printf 'a b c\nb a\na zzz b\n' >"$TMPD/text.txt"

expect_ok "ppl --help" "$LMPROB" ppl --help
expect_out "help names the JSON keys" "perplexity_excl_oov" "$LMPROB" ppl --help
# log10 P = -7.35 over 11 tokens, 1 OOV: perplexity 10^(7.35/11) = 4.65781..., excl. OOV 10^0.595 = 3.93550...
expect_out "perplexity incl. OOV" "Perplexity including OOVs:.4\.6578" "$LMPROB" ppl "$FIX/tiny.arpa" "$TMPD/text.txt"
expect_out "perplexity excl. OOV" "Perplexity excluding OOVs:.3\.935" "$LMPROB" ppl "$FIX/tiny.arpa" "$TMPD/text.txt"
expect_out "json keys" '"perplexity": 4\.6578.*' "$LMPROB" ppl --json "$FIX/tiny.arpa" "$TMPD/text.txt"
"$LMPROB" ppl --json "$FIX/tiny.arpa" "$TMPD/text.txt" >"$TMPD/j.json" 2>&1
for k in perplexity perplexity_excl_oov oov tokens sentences log10_prob bits_per_token bits_per_byte; do
  if grep -q "\"$k\": " "$TMPD/j.json"; then ok; else bad "json lacks $k"; fi
done
expect_out "json counts" '"oov": 1, "tokens": 11, "sentences": 3, "bytes": 18' "$LMPROB" ppl --json "$FIX/tiny.arpa" "$TMPD/text.txt"
if python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$TMPD/j.json" 2>/dev/null; then ok; else bad "ppl --json is not valid JSON"; fi
"$LMPROB" ppl --json --per-sentence --per-token "$FIX/tiny.arpa" "$TMPD/text.txt" >"$TMPD/k.json" 2>&1
if python3 - "$TMPD/k.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
s = d["per_sentence"]
assert [round(x["log10_prob"], 5) for x in s] == [-1.25, -3.1, -3.0], s
assert [len(x["per_token"]) for x in s] == [4, 3, 4]
t = s[2]["per_token"][1]
assert t["word"] == "zzz" and t["oov"] is True and t["ngram_length"] == 1 and abs(t["log10_prob"] + 1.4) < 1e-6, t
PY
then ok; else bad "per-sentence/per-token JSON values"; fi
# A literal <unk> in the text is an OOV, as KenLM's query counts it (its vocabulary never stores <unk>:
# Index("<unk>") is 0, NotFound): the same score as 'zzz' (the <unk> unigram), counted; the perplexity
# including OOVs is unchanged, the OOV count and the one excluding them change. Every scorer counts alike:
# the batch scorer (hashed and trie), the windows (lmp_lm_tokenize), the mixture.
sed 's/zzz/<unk>/' "$TMPD/text.txt" >"$TMPD/unk.txt"
"$LMPROB" model convert "$FIX/tiny.arpa" "$TMPD/tiny.trie"
for m in "$FIX/tiny.arpa" "$TMPD/tiny.trie"; do
  expect_out "literal <unk>: the perplexities ($(basename "$m"))" '"perplexity": 4\.6578[0-9]*, "perplexity_excl_oov": 3\.935' "$LMPROB" ppl --json "$m" "$TMPD/unk.txt"
  expect_out "literal <unk> is an OOV ($(basename "$m"))" '"oov": 1, "tokens": 11,' "$LMPROB" ppl --json "$m" "$TMPD/unk.txt"
done
expect_out "literal <unk> per token" '"word": "<unk>", "id": 0, "oov": true' "$LMPROB" ppl --json --per-token "$FIX/tiny.arpa" "$TMPD/unk.txt"
expect_out "literal <unk> in windows" '"oov": 1, "tokens": 14' "$LMPROB" ppl --recipe exact --json "$FIX/tiny.arpa" "$TMPD/unk.txt"
expect_out "literal <unk> in a mixture" ' 11 tokens, 1 OOV' "$LMPROB" mix "$FIX/tiny.arpa" "$FIX/tiny.arpa" --ppl "$TMPD/unk.txt"
# One reading of a text to score in ppl, kl, mix, filter, next and generate (word mode, as KenLM's query reads
# it): a word is its bytes (invalid UTF-8 makes a word the model lacks) and <s> or </s> inside a line is the
# model's own token. kl and mix refused the text ppl scored, naming train's --skip-markers and --utf8-replace.
printf 'a <s> b\nb \377 a\n' >"$TMPD/odd.txt"
expect_out "ppl: markers and raw bytes" '"oov": 1, "tokens": 8,' "$LMPROB" ppl --json "$FIX/tiny.arpa" "$TMPD/odd.txt"
expect_out "mix: the same counts" ' 8 tokens, 1 OOV' "$LMPROB" mix "$FIX/tiny.arpa" "$FIX/tiny.arpa" --ppl "$TMPD/odd.txt"
expect_out "kl: the same text" '^positions: ' "$LMPROB" kl --model "$FIX/tiny.arpa" --model "$FIX/tiny.arpa" "$TMPD/odd.txt"
expect_out "filter: the same words" '^wrote ' "$LMPROB" filter "$FIX/tiny.arpa" --vocab "$TMPD/odd.txt" --output "$TMPD/odd.arpa"
expect_out "next: a prompt with <s>" '^context: 3 tokens' "$LMPROB" next "$FIX/tiny.arpa" --prompt "<s> a"
expect_out "generate: a prompt with <s>" '^<s> a b' "$LMPROB" generate "$FIX/tiny.arpa" --prompt "<s> a" --temperature 0 --max-len 2
# KenLM query's per-token layout: word=id ngram_length log10p, sentence total
expect_out "per-token layout" "^a=3 2 -0\.3.*b=4 3 -0\.1.*c=5 3 -0\.15.*</s>=2 1 -0\.7" "$LMPROB" ppl --per-token "$FIX/tiny.arpa" "$TMPD/text.txt"
expect_out "per-sentence total" "^Total: -3\.1 OOV: 0" "$LMPROB" ppl --per-sentence "$FIX/tiny.arpa" "$TMPD/text.txt"
expect_out "natural log" "^Total: -2\.878" "$LMPROB" ppl --per-sentence --ln "$FIX/tiny.arpa" "$TMPD/text.txt"
expect_out "stdin text" "Tokens:.11" sh -c "\"$LMPROB\" ppl \"$FIX/tiny.arpa\" - < \"$TMPD/text.txt\""
# an empty text: nan figures and success, as KenLM's query, with a note on stderr saying why
: >"$TMPD/empty.txt"
expect_out "empty text: nan, as KenLM" "Perplexity including OOVs:.nan" "$LMPROB" ppl "$FIX/tiny.arpa" "$TMPD/empty.txt"
if grep -q "empty.txt: no sentence to score: the perplexity of 0 tokens is undefined (nan)" "$TMPD/err"; then ok; else bad "empty text note: $(cat "$TMPD/err")"; fi
# the same with windows: a complete object with nan, exit 0 (no bare "{" and exit 1)
"$LMPROB" ppl --json --window 5 "$FIX/tiny.arpa" "$TMPD/empty.txt" >"$TMPD/ew.json" 2>"$TMPD/ew.err"
if [ $? -eq 0 ] && python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["perplexity"] == "nan" and d["tokens"] == 0' "$TMPD/ew.json" &&
   grep -q "empty.txt: no token to score in 0 tokens" "$TMPD/ew.err"; then ok; else bad "empty text with windows: $(cat "$TMPD/ew.json" "$TMPD/ew.err")"; fi
gzip -c "$TMPD/text.txt" >"$TMPD/text.txt.gz"
expect_out "gzip text" "Perplexity including OOVs:.4\.6578" "$LMPROB" ppl "$FIX/tiny.arpa" "$TMPD/text.txt.gz"
if command -v xz >/dev/null; then
  xz -c "$FIX/tiny.arpa" >"$TMPD/tiny.arpa.xz"
  expect_out "xz model" "Perplexity including OOVs:.4\.6578" "$LMPROB" ppl "$TMPD/tiny.arpa.xz" "$TMPD/text.txt"
fi
expect_out "byte mode" '"tokens": ' "$LMPROB" ppl --json --mode byte "$FIX/tiny.arpa" "$TMPD/text.txt"

# errors: usage 2, bad input 1, messages name what and where
expect_fail "no args" "expected MODEL and TEXT" "$LMPROB" ppl
"$LMPROB" ppl >/dev/null 2>&1; [ $? -eq 2 ] && ok || bad "usage error exit code is not 2"
expect_fail "bad option" "unknown option '--frobnicate'" "$LMPROB" ppl --frobnicate "$FIX/tiny.arpa" "$TMPD/text.txt"
expect_fail "missing model" "nope.arpa: cannot open" "$LMPROB" ppl "$TMPD/nope.arpa" "$TMPD/text.txt"
"$LMPROB" ppl "$TMPD/nope.arpa" "$TMPD/text.txt" >/dev/null 2>&1; [ $? -eq 1 ] && ok || bad "missing model exit code is not 1"
expect_fail "missing text" "nope.txt: cannot open" "$LMPROB" ppl "$FIX/tiny.arpa" "$TMPD/nope.txt"
expect_fail "text is not a model" "text.txt:1: expected '\\\\data\\\\'" "$LMPROB" ppl "$TMPD/text.txt" "$TMPD/text.txt"
head -c 3000 /dev/urandom >"$TMPD/garbage.bin"
expect_fail "garbage model" "garbage.bin:[0-9]+: .*(binary data|NUL byte|expected)" "$LMPROB" ppl "$TMPD/garbage.bin" "$TMPD/text.txt"
sed 's/^-0.4\ta b/0.4\ta b/' "$FIX/tiny.arpa" >"$TMPD/pos.arpa"
expect_fail "positive log prob" "pos.arpa:16: positive log10 probability 0.4" "$LMPROB" ppl "$TMPD/pos.arpa" "$TMPD/text.txt"
sed 's/^ngram 2=5/ngram 2=6/' "$FIX/tiny.arpa" >"$TMPD/cnt.arpa"
expect_fail "wrong count" "cnt.arpa:[0-9]+: section .2-grams: has 5 n-grams.*ngram 2=6" "$LMPROB" ppl "$TMPD/cnt.arpa" "$TMPD/text.txt"
head -n 17 "$FIX/tiny.arpa" >"$TMPD/trunc.arpa"
expect_fail "truncated" "trunc.arpa:[0-9]+: truncated file" "$LMPROB" ppl "$TMPD/trunc.arpa" "$TMPD/text.txt"
gzip -c "$FIX/tiny.arpa" | gzip -c >"$TMPD/double.arpa.gz"
expect_fail "gzip inside gzip" "gzip file inside a gzip file" "$LMPROB" ppl "$TMPD/double.arpa.gz" "$TMPD/text.txt"
printf '\xff\xfe bad\n' >"$TMPD/bad.txt"
expect_fail "char mode: invalid UTF-8" "bad.txt:1" "$LMPROB" ppl --mode char "$FIX/tiny.arpa" "$TMPD/bad.txt"

# generate: reproducible, stops at </s> or --max-len, sampler options checked
expect_ok "generate --help" "$LMPROB" generate --help
"$LMPROB" generate "$FIX/tiny.arpa" -n 5 --seed 3 >"$TMPD/g1" 2>&1
"$LMPROB" generate "$FIX/tiny.arpa" -n 5 --seed 3 >"$TMPD/g2" 2>&1
"$LMPROB" generate "$FIX/tiny.arpa" -n 5 --seed 4 >"$TMPD/g3" 2>&1
if cmp -s "$TMPD/g1" "$TMPD/g2" && [ "$(wc -l <"$TMPD/g1")" -eq 5 ]; then ok; else bad "same seed, different text"; fi
if ! cmp -s "$TMPD/g1" "$TMPD/g3"; then ok; else bad "seeds 3 and 4 gave the same 5 sentences"; fi
if ! grep -q '<s>' "$TMPD/g1"; then ok; else bad "generate produced <s>"; fi
# greedy from "<s> a": b (trigram -0.1), c (a b c -0.15 beats </s> -0.75), then from the empty state
# a (-0.6) beats </s> (-0.7), so it cycles until --max-len
expect_out "greedy" "^a b c a b$" "$LMPROB" generate "$FIX/tiny.arpa" --temperature 0 --prompt a --max-len 4
expect_out "max-len" '"generated": 2, "ended": false' "$LMPROB" generate "$FIX/tiny.arpa" --top-k 1 --prompt "a a" --max-len 2 --json --chain llama
expect_out "top-k 1 = greedy" "^a b c a b c$" "$LMPROB" generate "$FIX/tiny.arpa" --top-k 1 --prompt a --max-len 5
expect_fail "bad top-p" "top-p: expected a probability in" "$LMPROB" generate "$FIX/tiny.arpa" --top-p 1.5
expect_fail "bad chain" "chain: expected hf or llama" "$LMPROB" generate "$FIX/tiny.arpa" --chain foo
expect_fail "old --order" "generate: --order is now --chain: " "$LMPROB" generate "$FIX/tiny.arpa" --order llama
expect_fail "bad temperature" "temperature" "$LMPROB" generate "$FIX/tiny.arpa" --temperature x
# a model that can draw nothing (every unigram -inf): exit 1 naming the model and the context; with --json
# stdout is one complete object with the error in it (it ended '"sentences": []}]}')
printf '\\data\\\nngram 1=3\n\n\\1-grams:\n-inf\t<unk>\t0\n-99\t<s>\t0\n-inf\t</s>\t0\n\n\\end\\\n' >"$TMPD/allinf.arpa"
expect_fail "generate: nothing to draw" "generate: .*allinf.arpa: sample 1, after '<s>': all 3 logits are -inf" "$LMPROB" generate "$TMPD/allinf.arpa"
"$LMPROB" generate --json "$TMPD/allinf.arpa" >"$TMPD/gj.out" 2>/dev/null
rc=$?
if [ $rc = 1 ] && /usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if d["sentences"] == [] and "after '"'"'<s>'"'"'" in d["error"] else 1)' "$TMPD/gj.out" 2>/dev/null; then ok
else bad "generate --json on an error: exit $rc, stdout $(head -c 300 "$TMPD/gj.out")"; fi
"$LMPROB" generate --json --prompt "a b" "$TMPD/allinf.arpa" >"$TMPD/gj.out" 2>/dev/null
if /usr/bin/python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$TMPD/gj.out" 2>/dev/null; then ok; else bad "generate --json --prompt on an error: not JSON: $(head -c 300 "$TMPD/gj.out")"; fi
# generate --mode char|byte: the prompt through the corpus reader, tokens printed as the text they stand for
for i in 1 2 3 4 5 6 7 8; do printf 'ab cd\nx\ty\n'; done >"$TMPD/chars.txt"
"$LMPROB" train --mode char --order 3 --discount-fallback --output "$TMPD/c3.arpa" "$TMPD/chars.txt" >/dev/null 2>&1
"$LMPROB" train --mode byte --order 3 --discount-fallback --output "$TMPD/b3.arpa" "$TMPD/chars.txt" >/dev/null 2>&1
expect_out "char mode: <sp> printed as a space" "^ab cd$" "$LMPROB" generate "$TMPD/c3.arpa" --mode char --temperature 0 --prompt a
expect_out "char mode: the prompt's space is <sp>" "^ab cd$" "$LMPROB" generate "$TMPD/c3.arpa" --mode char --temperature 0 --prompt "ab "
"$LMPROB" generate "$TMPD/c3.arpa" --mode char --temperature 0 --prompt x >"$TMPD/tab.out" 2>&1
printf 'x\ty\n' >"$TMPD/tab.want"
if cmp -s "$TMPD/tab.out" "$TMPD/tab.want"; then ok; else bad "char mode: <tab> printed as a tab"; fi
expect_out "byte mode" "^ab cd$" "$LMPROB" generate "$TMPD/b3.arpa" --mode byte --temperature 0 --prompt a
expect_out "char mode json keeps the tokens" '"words": \["a", "b", "<sp>", "c", "d"\]' "$LMPROB" generate "$TMPD/c3.arpa" --mode char --temperature 0 --prompt a --json
# ... and words_hex holds the bytes they stand for (it held the names' bytes: "<sp>" as 3c73703e)
expect_out "char mode json: words_hex are the text's bytes" '"words_hex": \["61", "62", "20", "63", "64"\]' "$LMPROB" generate "$TMPD/c3.arpa" --mode char --temperature 0 --prompt a --json
expect_out "next --json: token_hex is the text's bytes" '"token": "<sp>", "token_hex": "20"' "$LMPROB" next "$TMPD/c3.arpa" --mode char --prompt ab --json --top 1
# MODEL given twice (a positional and --model), exit 2, each argument named
expect_fail "ppl MODEL TEXT --model X" "^lmprob: ppl: expected --model MODEL and one TEXT, got --model 'x' and two arguments, '.*tiny.arpa' and '.*tiny.arpa' \(the model goes once: as --model, or as the first argument\)$" "$LMPROB" ppl "$FIX/tiny.arpa" "$FIX/tiny.arpa" --model x
for c in "generate:$FIX/tiny.arpa" "next:$FIX/tiny.arpa --prompt a"; do
  cmd=${c%%:*}
  expect_fail "$cmd MODEL --model X" "^lmprob: $cmd: expected one MODEL, got '.*tiny.arpa' and --model 'x'" "$LMPROB" $cmd ${c#*:} --model x
done
expect_fail "ppl --model X without TEXT" "^lmprob: ppl: expected --model MODEL and one TEXT, got no TEXT$" "$LMPROB" ppl --model x
expect_out "ppl --per-token --json: token_hex is the text's bytes" '"token": "<sp>", "token_hex": "20"' "$LMPROB" ppl --model "$TMPD/c3.arpa" --mode char --window 4 --per-token --json "$TMPD/chars.txt"
expect_out "byte mode json: words_hex are the text's bytes" '"words_hex": \["61", "62", "20", "63", "64"\]' "$LMPROB" generate "$TMPD/b3.arpa" --mode byte --temperature 0 --prompt a --json
# ids beside them: the bytes' ids in byte mode, as next --json numbers them
expect_out "byte mode json: ids" '"ids": \[[0-9]+, [0-9]+, [0-9]+, [0-9]+, [0-9]+\]' "$LMPROB" generate "$TMPD/b3.arpa" --mode byte --temperature 0 --prompt a --json
expect_fail "bad mode" "expected word, char, byte or gpt2" "$LMPROB" generate "$TMPD/c3.arpa" --mode chars
expect_fail "char mode: invalid UTF-8 prompt" "generate: --prompt: line 1: invalid UTF-8" "$LMPROB" generate "$TMPD/c3.arpa" --mode char --prompt $'a\377'
"$LMPROB" generate "$TMPD/c3.arpa" --mode char --prompt $'a\377' >/dev/null 2>&1; [ $? = 2 ] && ok || bad "a bad --prompt: exit code is not 2"
expect_fail "next: the prompt named once" "next: --prompt: line 1: invalid UTF-8" "$LMPROB" next "$TMPD/c3.arpa" --mode char --prompt $'a\377'
printf 'a\377b\n' >"$TMPD/badc.txt"
expect_fail "kl: the text named once" "kl: [^ ]*badc.txt: line 1: invalid UTF-8" "$LMPROB" kl --model "$TMPD/c3.arpa" --model "$TMPD/c3.arpa" --mode char "$TMPD/badc.txt"

# Progress on a terminal (on_tty): drawn while a text is scored, not over
# --per-token / --per-sentence lines when stdout is that terminal too. PTB's validation text (400 KB)
# is long enough for the percentage to be drawn between the reader's refills.
PTB=$SHARED/data/ptb/ptb.valid.txt
if have_tty && [ -f "$PTB" ]; then
  on_tty "$TMPD/tty" "'$LMPROB' ppl '$FIX/tiny.arpa' '$PTB'"
  if grep -q 'lmprob: ppl: scoring  *[0-9]*%' "$TMPD/tty"; then ok; else bad "ppl on a terminal: no progress: $(head -c 300 "$TMPD/tty" | cat -v)"; fi
  for o in --per-token --per-sentence; do
    on_tty "$TMPD/tty" "'$LMPROB' ppl $o '$FIX/tiny.arpa' '$PTB'"
    if ! grep -q 'lmprob: ppl: scoring' "$TMPD/tty" && [ "$(wc -l <"$TMPD/tty")" -ge 3000 ]; then ok
    else bad "ppl $o on a terminal: progress drawn over the lines"; fi
  done
fi
# a read error late in the text: --json prints nothing (it left "{" alone on stdout); a streamed --json closes
# its object with the error, valid JSON (as generate)
M3="$(cd "$(dirname "$0")/../fixtures" && pwd)/train_small.kenlm3.arpa"
gzip -c "$(dirname "$M3")/train_small.txt" | head -c 40 >"$TMPD/trunc.gz"
expect_fail "ppl --json, truncated text" "truncated gzip data" "$LMPROB" ppl --json "$M3" "$TMPD/trunc.gz"
[ ! -s "$TMPD/out" ] && ok || bad "ppl --json wrote before failing: $(head -c 100 "$TMPD/out")"
"$LMPROB" ppl --json --per-token "$M3" "$TMPD/trunc.gz" >"$TMPD/pt.json" 2>/dev/null
/usr/bin/python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); assert "truncated gzip" in d["error"], d' "$TMPD/pt.json" &&
  ok || bad "ppl --json --per-token, truncated text: not one JSON object with the error: $(head -c 200 "$TMPD/pt.json")"
# The hf and chapter recipes over windows of an n-gram model treat its <s> tokens (never predicted) as
# masked labels, HF's -100: out of each window's mean, its labels and the chapter's divisor. They were
# counted as labels, so the recipes rested on a mix of counts. Rebuilt here from the per-token output (each
# token's window is pos - context; the positions never scored are the <s> tokens), the formulas of
# docs/perplexity.md, and compared with the recipes lmprob prints.
"$LMPROB" train --quiet --order 2 --discount-fallback --output "$TMPD/w2.arpa" "$FIX/../train_small.txt"
for ws in "5 2" "7 3" "6 4" "4 1"; do
  set -- $ws
  "$LMPROB" ppl --recipe all --window "$1" --stride "$2" --per-token --json "$TMPD/w2.arpa" "$FIX/../train_small.txt" \
    >"$TMPD/win.json" 2>/dev/null
  if /usr/bin/python3 - "$TMPD/win.json" "$1" "$2" <<'PY'
import json, math, sys
d = json.load(open(sys.argv[1])); W, S = int(sys.argv[2]), int(sys.argv[3])
toks = d["per_token"]; L = d["tokens"]
scored = {t["pos"] for t in toks}
masked = {p for p in range(L) if p not in scored}  # <s> (position 0 is <s> too)
by_begin = {}
for t in toks:
    by_begin.setdefault(t["pos"] - t["context"], []).append(-t["ln_prob"])
hs = hw = cs = 0.0
prev = 0
for begin in range(0, L, S):
    end = min(begin + W, L)
    nll = by_begin.get(begin, [])  # none: a window whose only new label is <s>, HF's mean over no label
    mean = sum(nll) / len(nll) if nll else math.nan
    n = sum(1 for p in range(prev, end) if p not in masked)
    hs += mean * (n - 1); hw += n - 1; cs += mean * n
    prev = end
    if end == L: break
hf, ch = math.exp(hs / hw), math.exp(cs / (L - len(masked)))
r = d["recipes"]
def same(got, want):
    return math.isnan(want) if got == "nan" else abs(got / want - 1) < 1e-12
assert same(r["hf"]["perplexity"], hf), (r["hf"]["perplexity"], hf)
if not (r["chapter"]["perplexity"] == "nan" and L % S == 1):  # the chapter's own NaN (docs/perplexity.md)
    assert same(r["chapter"]["perplexity"], ch), (r["chapter"]["perplexity"], ch)
PY
  then ok; else bad "n-gram hf/chapter recipes, window $1 stride $2: not the masked-label formulas"; fi
done
finish
