#!/usr/bin/env bash
# lmprob gpt2 info / logits on the tiny model, and bad checkpoints, bad token ids, too many tokens:
# a message naming the tensor (or token) and what is wrong, a non-zero exit, no output file left.
. "$(dirname "$0")/lib.sh"
TINY=$SHARED/gpt2/tiny.safetensors
HF=$SHARED/gpt2/tiny-hf
IDS=15496,11,616,3290,318,13779,13,1119,1183,910,25,366,1026,338,513,13,1415,2474,198
PY=/usr/bin/python3

expect_ok "gpt2 --help" "$LMPROB" gpt2 --help
expect_out "info: config from the metadata" "^config: +__metadata__" "$LMPROB" gpt2 info "$TINY"
expect_out "info: a folder's config.json, by its path" "^config: +$HF/config.json\$" "$LMPROB" gpt2 info "$HF"
expect_out "info: a folder/ names its config.json once" "^config: +$HF/config.json\$" "$LMPROB" gpt2 info "$HF/"
expect_out "info: sizes" "^n_embd: +64" "$LMPROB" gpt2 info "$HF"
expect_out "info: the end-of-text id (config.json)" "^eos: +50256" "$LMPROB" gpt2 info "$HF"
expect_out "info --json" '"weights": "[^"]*/tiny.safetensors", "n_layer": 2, "n_head": 2, "n_embd": 64, "n_ctx": 1024, "vocab_size": 50257' \
  "$LMPROB" gpt2 info --json "$TINY"
expect_out "info --tensors" "transformer.wte.weight +F32 +\[50257, 64\]" "$LMPROB" gpt2 info --tensors "$TINY"

# the argmax of every position is PyTorch's (tiny_ref.json), on 1 and 2 threads
for th in 1 2; do
  "$LMPROB" gpt2 logits --threads $th --top 1 "$TINY" "$IDS" >"$TMPD/top$th" 2>"$TMPD/err" || bad "logits t$th: $(cat "$TMPD/err")"
  got=$(awk -F'\t' '{ split($3, a, ":"); printf "%s%s", (NR > 1 ? "," : ""), a[1] }' "$TMPD/top$th")
  want=$("$PY" -c 'import json, sys; print(",".join(map(str, json.load(open(sys.argv[1]))["argmax"])))' "$SHARED/gpt2/tiny_ref.json")
  if [ "$got" = "$want" ]; then ok; else bad "argmax t$th: got $got, want $want"; fi
done
# all logits to a file: PyTorch's float64 logits within 1e-4
expect_ok "logits --output" "$LMPROB" gpt2 logits --output "$TMPD/lg.f32" "$HF" "$IDS"
# the logits to a full standard output: exit 1 and the message (a segmentation fault: the sticky stdout's
# write returned -1, which glibc's block write took for (size_t)-1 bytes written, cli/main.c)
expect_fail "logits --output - into /dev/full" "^lmprob: gpt2 logits: writing the results to standard output failed: No space left" \
  sh -c "'$LMPROB' gpt2 logits --output - '$TINY' '$IDS' >/dev/full"
# The files a model folder is read by are no output (`-o DIR/config.json` replaced the config with the
# logits, exit 0); another name in the folder is, as often as asked.
mkdir "$TMPD/hfc" && cp "$HF"/config.json "$HF"/model.safetensors "$TMPD/hfc/" && chmod u+w "$TMPD/hfc"/*
for f in config.json model.safetensors; do
  expect_fail "--output the folder's $f" "output .*hfc/$f is a file in the input folder .*hfc: expected an output name outside it" \
    "$LMPROB" gpt2 logits --output "$TMPD/hfc/$f" "$TMPD/hfc" "$IDS"
  if cmp -s "$TMPD/hfc/$f" "$HF/$f"; then ok; else bad "gpt2 logits --output DIR/$f changed it"; fi
done
expect_ok "--output a new name in the folder" "$LMPROB" gpt2 logits --output "$TMPD/hfc/lg.f32" "$TMPD/hfc" "$IDS"
expect_ok "... again" "$LMPROB" gpt2 logits --output "$TMPD/hfc/lg.f32" "$TMPD/hfc" "$IDS"
# a .bin or .safetensors name the folder is not read by is written too, again and again; a shard's name is not
for f in lg.bin other.safetensors; do
  expect_ok "--output DIR/$f" "$LMPROB" gpt2 logits --output "$TMPD/hfc/$f" "$TMPD/hfc" "$IDS"
  expect_ok "... again" "$LMPROB" gpt2 logits --output "$TMPD/hfc/$f" "$TMPD/hfc" "$IDS"
done
: >"$TMPD/hfc/model-00001-of-00002.safetensors"
expect_fail "--output a shard's name" "model-00001-of-00002.safetensors is a file in the input folder" \
  "$LMPROB" gpt2 logits --output "$TMPD/hfc/model-00001-of-00002.safetensors" "$TMPD/hfc" "$IDS"
rm -f "$TMPD/hfc/model-00001-of-00002.safetensors"
if "$PY" -c 'import sys, struct
a = open(sys.argv[1], "rb").read(); b = open(sys.argv[2], "rb").read()
assert len(a) == len(b), (len(a), len(b))
n = len(a) // 4
x = struct.unpack("<%df" % n, a); y = struct.unpack("<%df" % n, b)
d = max(abs(p - q) for p, q in zip(x, y))
sys.exit(0 if d <= 1e-4 else 1)' "$TMPD/lg.f32" "$SHARED/gpt2/tiny_ref_logits.f32"; then ok; else bad "logits differ from torch by more than 1e-4"; fi

# loading shows a progress line on a terminal, as the n-gram loaders do (none was shown: GPT-2 XL's 6 GB take
# seconds), cleared before the results
if have_tty; then
  on_tty "$TMPD/tty" "'$LMPROB' gpt2 info '$TINY'"
  grep -q 'lmprob: gpt2 info: loading model *[0-9]*%' "$TMPD/tty" && grep -q '^vocab_size' <(tr -d '\r' <"$TMPD/tty" | sed 's/^.*\x1b\[K//') &&
    ok || bad "gpt2 info on a terminal: no loading line, or no results: $(head -c 300 "$TMPD/tty" | cat -v)"
fi
# bad token ids, too many tokens: usage errors (exit 2, as decode's --history; an id past the vocabulary exited
# 1), nothing written
expect_fail "id out of range" "IDS: item 2: expected a token id in \[0, 50257\) \(the model's vocab_size\), got '50257'" \
  "$LMPROB" gpt2 logits --output "$TMPD/x.f32" "$TINY" 15496,50257
"$LMPROB" gpt2 logits --output "$TMPD/x.f32" "$TINY" 15496,50257 2>/dev/null
[ $? -eq 2 ] && ok || bad "id out of range: exit $?, expected 2"
expect_fail "negative id" "IDS: item 1: expected a token id \(a decimal integer from 0 to 2147483647\), got '-3'" "$LMPROB" gpt2 logits -- "$TINY" -3
long=$(seq 1 1025 | paste -sd, -)
expect_fail "longer than the context" "1025 tokens: the model reads at most n_ctx = 1024" \
  "$LMPROB" gpt2 logits --output "$TMPD/x.f32" "$TINY" "$long"
if ls "$TMPD" | grep -q '^x\.f32'; then bad "a failed run left an output file"; else ok; fi
"$LMPROB" gpt2 logits "$TINY" "$long" >/dev/null 2>&1; [ $? = 2 ] && ok || bad "more ids than n_ctx: not a usage error (exit 2, as ppl --window)"
expect_fail "not an id" "gpt2 logits: IDS: item 2: expected a token id \(a decimal integer from 0 to 2147483647\), got 'abc'" "$LMPROB" gpt2 logits "$TINY" 1,abc
expect_fail "not an integer" "IDS: item 2: expected a token id .*, got '2.5'" "$LMPROB" gpt2 logits "$TINY" 1,2.5
"$LMPROB" gpt2 logits "$TINY" 1,abc >/dev/null 2>&1; [ $? -eq 2 ] && ok || bad "a usage error does not exit 2"
# ids are read as detokenize reads them: decimal digits only, not as doubles (1.0 and 1e3 were ids); an id
# past 2^31 is echoed as typed
for id in 1.0 0x1 1e3 1e-400 +5 99999999999999999999; do
  expect_fail "id '$id'" "IDS: item 2: expected a token id .*, got '${id//+/[+]}'" "$LMPROB" gpt2 logits "$TINY" "7,$id"
done
# --output writes every logit: --json or --top with it would be ignored, so they are refused (exit 2, no file)
for f in --json "--top 3"; do
  "$LMPROB" gpt2 logits --output "$TMPD/x.f32" $f "$TINY" 1,2 >"$TMPD/out" 2>"$TMPD/err"
  if [ $? -eq 2 ] && [ ! -e "$TMPD/x.f32" ] && grep -q "gpt2 logits: --output with ${f%% *}: expected one or the other" "$TMPD/err"; then ok
  else bad "--output with $f: $(cat "$TMPD/err")"; fi
done
if have_tty; then  # binary to a terminal: refused as tokenize --u32 refuses it
  on_tty "$TMPD/tty" "'$LMPROB' gpt2 logits --output - '$TINY' 1,2"
  if grep -q "gpt2 logits: --output writes binary: redirect stdout or give -o FILE" "$TMPD/tty" && [ "$(wc -c <"$TMPD/tty")" -lt 200 ]; then ok
  else bad "gpt2 logits --output - on a terminal: $(head -c 200 "$TMPD/tty" | cat -v)"; fi
fi
expect_ok "--output - in a pipe" sh -c "'$LMPROB' gpt2 logits --output - '$TINY' 1,2 | cmp -s - /dev/null; [ \$? -eq 1 ]"
expect_fail "no model" "expected a MODEL" "$LMPROB" gpt2 info
# a folder named with a trailing slash: its files named without a doubled one (messages read "dir//config.json")
mkdir -p "$TMPD/slash" && ln -s "$(cd "$HF" && pwd)/model.safetensors" "$TMPD/slash/model.safetensors"
echo '{"n_layer": 0}' >"$TMPD/slash/config.json"
expect_fail "a folder/ names its config once" "slash/config.json: config: n_layer = 0" "$LMPROB" gpt2 info "$TMPD/slash/"
if grep -q "//" "$TMPD/err"; then bad "a doubled slash: $(cat "$TMPD/err")"; else ok; fi
echo '{}' >"$TMPD/slash/vocab.json"
expect_fail "a vocabulary folder/" "slash/: vocab.json without merges.txt" "$LMPROB" tokenize --gpt2-vocab "$TMPD/slash/" /dev/null
# a folder whose path fits PATH_MAX (stat takes it) but not with a file name joined: refused, not cut
long=$("$PY" -c '
import os, sys
p = sys.argv[1]
while len(p) < 4060: p += "/" + "d" * min(200, 4075 - len(p))
os.makedirs(p); print(p)' "$TMPD/deep")
expect_fail "a folder path too long to join" "a folder path of 40[0-9][0-9] bytes: too long to hold model[.]safetensors" "$LMPROB" gpt2 info "$long"

# broken checkpoints, made from the tiny one
mutate() { # out python-statements-on(h: header dict, data: bytearray, meta: dict)
  "$PY" - "$TINY" "$1" "$2" <<'EOF'
import json, struct, sys
src, out, code = sys.argv[1], sys.argv[2], sys.argv[3]
raw = open(src, 'rb').read()
n = struct.unpack('<Q', raw[:8])[0]
h = json.loads(raw[8:8 + n]); data = bytearray(raw[8 + n:])
hlen = None; tail = None; htext = None
exec(code)
hb = htext.encode() if htext is not None else json.dumps(h).encode()
hb += b' ' * ((8 - len(hb) % 8) % 8)
blob = struct.pack('<Q', hlen if hlen is not None else len(hb)) + hb + bytes(data)
if tail is not None: blob = blob[:tail]
open(out, 'wb').write(blob)
EOF
}
m() { mutate "$TMPD/bad.safetensors" "$1"; }
m 'tail = 4'
expect_fail "truncated in the length" "truncated file: 4 bytes" "$LMPROB" gpt2 info "$TMPD/bad.safetensors"
m 'tail = 8 + 100'
expect_fail "truncated in the header" "header length [0-9]+ runs past the end of the file" "$LMPROB" gpt2 info "$TMPD/bad.safetensors"
m 'tail = len(raw) - 1000'
expect_fail "truncated in the data" "tensor 'transformer.wte.weight': data_offsets \[[0-9]+, 13528320\] run past the end" \
  "$LMPROB" gpt2 info "$TMPD/bad.safetensors"
m 'hlen = 1 << 40'
expect_fail "header length past the end" "header length 1099511627776 runs past the end" "$LMPROB" gpt2 info "$TMPD/bad.safetensors"
m 'htext = json.dumps(h).replace("\"shape\"", "\"shape\" ", 1).replace(":", ";", 1)'
expect_fail "bad JSON" "header JSON: line 1, column [0-9]+: expected ':'" "$LMPROB" gpt2 info "$TMPD/bad.safetensors"
m 'h["transformer.ln_f.bias"]["dtype"] = "F24"'
expect_fail "unknown dtype" "tensor 'transformer.ln_f.bias': unknown dtype 'F24'" "$LMPROB" gpt2 info "$TMPD/bad.safetensors"
m 'h["transformer.ln_f.bias"]["dtype"] = "I32"'
expect_fail "integer weights" "tensor 'transformer.ln_f.bias' has dtype I32: expected F32, F16 or BF16" "$LMPROB" gpt2 info "$TMPD/bad.safetensors"
m 'b, e = h["transformer.wpe.weight"]["data_offsets"]; h["transformer.wpe.weight"]["data_offsets"] = [b + 10**9, e + 10**9]'
expect_fail "offsets out of the file" "tensor 'transformer.wpe.weight': data_offsets \[[0-9]+, [0-9]+\] run past the end of the data" \
  "$LMPROB" gpt2 info "$TMPD/bad.safetensors"
m 'b, e = h["transformer.wpe.weight"]["data_offsets"]; h["transformer.wpe.weight"]["data_offsets"] = [b - 256, e - 256]'
expect_fail "overlapping tensors" "tensor 'transformer.wpe.weight' at \[[0-9]+, [0-9]+\] overlaps tensor 'transformer.ln_f.weight'" \
  "$LMPROB" gpt2 info "$TMPD/bad.safetensors"
m 'h["transformer.h.1.mlp.c_fc.weight"]["shape"] = [128, 128]'
expect_fail "shape against the config" "tensor 'transformer.h.1.mlp.c_fc.weight' has shape \[128, 128\], but the config \(__metadata__\) implies \[n_embd, n_inner\] = \[64, 256\]" \
  "$LMPROB" gpt2 info "$TMPD/bad.safetensors"
m 'b, e = h.pop("transformer.h.1.ln_2.bias")["data_offsets"]; del data[b:e]
for k, v in h.items():
    if k != "__metadata__" and v["data_offsets"][0] >= e: v["data_offsets"] = [x - (e - b) for x in v["data_offsets"]]'
expect_fail "missing tensor" "missing tensor 'transformer.h.1.ln_2.bias'" "$LMPROB" gpt2 info "$TMPD/bad.safetensors"
m 'b, e = h["transformer.h.1.ln_2.bias"]["data_offsets"]; h["transformer.h.1.ln_2.bias"]["data_offsets"] = [b, e - 4]'
expect_fail "bytes no tensor describes" "tensor 'transformer.h.1.ln_2.bias': 252 bytes .* needs 256" "$LMPROB" gpt2 info "$TMPD/bad.safetensors"
m 'b, e = h["transformer.h.0.attn.c_proj.weight"]["data_offsets"]; data[b + 4 * 70:b + 4 * 71] = struct.pack("<f", float("nan"))'
expect_fail "NaN in a weight" "tensor 'transformer.h.0.attn.c_proj.weight': element 70 \(row 1, column 6\) is NaN" \
  "$LMPROB" gpt2 info "$TMPD/bad.safetensors"
m 'b, e = h["transformer.wpe.weight"]["data_offsets"]; data[b:b + 4] = struct.pack("<f", float("-inf"))'
expect_fail "inf in a weight" "tensor 'transformer.wpe.weight': element 0 \(row 0, column 0\) is -inf" \
  "$LMPROB" gpt2 logits --output "$TMPD/x.f32" "$TMPD/bad.safetensors" 1,2
if ls "$TMPD" | grep -q '^x\.f32'; then bad "a failed load left an output file"; else ok; fi

# a tensor name holding \u0000 was cut there and taken for the tensor before it ("ln_1.bias\u0000x" as ln_1.bias):
# a JSON key is a C string, so the header is refused, the key named with its \u0000
m 'h["transformer.h.0.ln_1.bias\u0000x"] = h.pop("transformer.h.0.ln_1.bias")'
expect_fail "a tensor name with NUL" 'header JSON: line 1, column [0-9]+: object key "transformer.h.0.ln_1.bias\\u0000x" holds \\u0000: expected a key without NUL' \
  "$LMPROB" gpt2 info "$TMPD/bad.safetensors"

# a Hugging Face folder whose config.json disagrees with the tensors
mkdir -p "$TMPD/hf"
ln -s "$HF/model.safetensors" "$TMPD/hf/model.safetensors"
sed 's/"n_embd": 64/"n_embd": 128/' "$HF/config.json" >"$TMPD/hf/config.json"
expect_fail "config.json vs shapes" "tensor 'transformer.wte.weight' has shape \[50257, 64\], but the config \(.*config.json\) implies \[vocab_size, n_embd\] = \[50257, 128\]" \
  "$LMPROB" gpt2 info "$TMPD/hf"
sed 's/"n_layer": 2/"n_layer": 3/' "$HF/config.json" >"$TMPD/hf/config.json"
expect_fail "config.json: more layers" "missing tensor 'transformer.h.2.ln_1.weight' .*: the config has n_layer = 3, but the file has layers 0..1" "$LMPROB" gpt2 info "$TMPD/hf"
sed 's/"n_layer": 2/"n_layer": 1/' "$HF/config.json" >"$TMPD/hf/config.json"
expect_fail "config.json: fewer layers" "is of layer 1, but the config has n_layer = 1" "$LMPROB" gpt2 info "$TMPD/hf"
# an attribute_map alias wins over its plain name whatever the order, as GPT2Config reads them (the last key
# won: 2 heads where Hugging Face builds 4, other logits with no word)
sed 's/"n_head": 2,/"num_attention_heads": 1, "n_head": 2,/' "$HF/config.json" >"$TMPD/hf/config.json"
expect_out "config.json: the alias wins" "^n_head: +1$" "$LMPROB" gpt2 info "$TMPD/hf"
sed 's/"n_layer": 2,/"n_layer": 2, "num_hidden_layers": 1,/' "$HF/config.json" >"$TMPD/hf/config.json"
expect_fail "config.json: the alias's layer count" "is of layer 1, but the config has n_layer = 1" "$LMPROB" gpt2 info "$TMPD/hf"
printf '{"n_layer": 2,' >"$TMPD/hf/config.json"
expect_fail "config.json: bad JSON" "config.json:1: column 15: expected a string key" "$LMPROB" gpt2 info "$TMPD/hf"
# half a vocabulary in the folder (vocab.json without merges.txt, or the reverse): refused naming the missing
# file, not replaced in silence by the default vocabulary
cp "$HF/config.json" "$TMPD/hf/config.json"
VOC=$(dirname "$LMPROB")/gpt2  # the vocabulary `make` installs beside the binary (build/asan: ../gpt2)
[ -f "$VOC/encoder.json" ] || VOC=$(dirname "$LMPROB")/../gpt2
printf 'Hello world' >"$TMPD/hw.txt"
cp "$VOC/encoder.json" "$TMPD/hf/vocab.json"
expect_fail "vocab.json without merges.txt" "ppl: .*/hf: vocab.json without merges.txt: expected both" "$LMPROB" ppl --model "$TMPD/hf" "$TMPD/hw.txt"
rm "$TMPD/hf/vocab.json" && cp "$VOC/vocab.bpe" "$TMPD/hf/merges.txt"
expect_fail "merges.txt without vocab.json" "next: .*/hf: merges.txt without vocab.json: expected both" "$LMPROB" next --model "$TMPD/hf"
cp "$VOC/encoder.json" "$TMPD/hf/vocab.json"
expect_out "both: the folder's vocabulary" "^Tokens:.2.\(1 scored\)" "$LMPROB" ppl --model "$TMPD/hf" "$TMPD/hw.txt"
rm "$TMPD/hf/model.safetensors"
expect_fail "folder without weights" "$TMPD/hf: a folder without model.safetensors" "$LMPROB" gpt2 info "$TMPD/hf"

# a sharded folder, as save_pretrained writes one past its max_shard_size: the tiny model's tensors in two
# shards and model.safetensors.index.json; the same logits and perplexity as the one file
mkdir -p "$TMPD/sh" && cp "$HF/config.json" "$TMPD/sh/"
"$PY" "$(dirname "$0")/../shard_safetensors.py" "$HF/model.safetensors" "$TMPD/sh" 2
expect_out "sharded: info" "^shards: +2$" "$LMPROB" gpt2 info "$TMPD/sh"
expect_out "sharded: the index read" "^weights: +$TMPD/sh/model.safetensors.index.json$" "$LMPROB" gpt2 info "$TMPD/sh"
expect_out "sharded: info --json" '"shards": 2, "vocabulary": null}$' "$LMPROB" gpt2 info --json "$TMPD/sh"
expect_out "sharded: each tensor's shard" "transformer.wte.weight .* in model-0000[12]-of-00002.safetensors" \
  "$LMPROB" gpt2 info --tensors "$TMPD/sh"
expect_ok "sharded: logits" "$LMPROB" gpt2 logits --output "$TMPD/sh.f32" "$TMPD/sh" "$IDS"
if cmp -s "$TMPD/sh.f32" "$TMPD/lg.f32"; then ok; else bad "sharded: logits differ from the one file's"; fi
"$LMPROB" ppl --model "$HF" --json "$TMPD/hw.txt" >"$TMPD/p1" 2>&1
"$LMPROB" ppl --model "$TMPD/sh" --json "$TMPD/hw.txt" >"$TMPD/p2" 2>&1
if [ -s "$TMPD/p1" ] && diff <(sed 's/"model": "[^"]*"//' "$TMPD/p1") <(sed 's/"model": "[^"]*"//' "$TMPD/p2") >/dev/null; then ok
else bad "sharded: ppl differs: $(head -c 300 "$TMPD/p2")"; fi
# the index or one shard named instead of the folder: said so (the index was read as a safetensors header, "header
# length 7022349238375811707", and by ppl as an ARPA file; a shard as a model missing most of its tensors)
expect_fail "sharded: the index named" "model.safetensors.index.json: the index of a sharded checkpoint: expected the folder that holds it.*\($TMPD/sh\)" \
  "$LMPROB" gpt2 info "$TMPD/sh/model.safetensors.index.json"
expect_fail "sharded: ppl --model the index" "the index of a sharded checkpoint" "$LMPROB" ppl --model "$TMPD/sh/model.safetensors.index.json" "$TMPD/hw.txt"
expect_fail "sharded: one shard named" "model-00002-of-00002.safetensors: shard 2 of 2 of a sharded checkpoint: expected the folder" \
  "$LMPROB" gpt2 logits --output "$TMPD/shx.f32" "$TMPD/sh/model-00002-of-00002.safetensors" "$IDS"
sed 's/model-00002-of-00002/model-00003-of-00002/' "$TMPD/sh/model.safetensors.index.json" >"$TMPD/ix" &&
  mv "$TMPD/ix" "$TMPD/sh/model.safetensors.index.json"
expect_fail "sharded: a shard missing" "sh/model-00003-of-00002.safetensors: cannot open" "$LMPROB" gpt2 info "$TMPD/sh"
# PyTorch checkpoints (pytorch_model.bin, torch.save's zip format), as fine-tunes saved before safetensors
# ship them: written by PyTorch itself from the tiny model's tensors (tests/peers/make_torch_checkpoint.py),
# they give the safetensors folder's logits to the bit, whole, in shards, with lm_head.weight sharing
# wte's storage, as nn.Parameter values, and in the format before PyTorch 1.6 (the original GPT-2 uploads)
# one Python process writes them all, the bad ones of below too (torch takes about 1.5 s to import)
for d in pt0 pt_sh pt_tied pt16 pt_old pt_old_sh pt_tr; do mkdir -p "$TMPD/$d" && cp "$HF/config.json" "$TMPD/$d/"; done
"$PY" - "$(dirname "$0")/../peers" "$HF/model.safetensors" "$TMPD" <<'PY' || bad "make_torch_checkpoint.py failed"
import os, sys
sys.path.insert(0, sys.argv[1])
import make_torch_checkpoint as mk
src, d = sys.argv[2], sys.argv[3]
for name, kw in [("pt0", {}), ("pt_sh", {"shards": 3}), ("pt_tied", {"lm_head": True, "parameters": True}),
                 ("pt16", {"f16": True}), ("pt_old", {"legacy": True}),
                 ("pt_old_sh", {"legacy": True, "shards": 2, "lm_head": True}),
                 ("pt_tr", {"transposed": "transformer.h.0.mlp.c_fc.weight"})]:
    mk.write(src, os.path.join(d, name, "pytorch_model.bin"), **kw)
# and bad ones, each refused below
import collections, io, pickle, zipfile
import torch
def folder(name, write):
    os.makedirs(os.path.join(d, name), exist_ok=True)
    write(os.path.join(d, name, "pytorch_model.bin"))
class Evil:  # what a malicious checkpoint holds: a call of os.system when unpickled
    def __reduce__(self):
        return (os.system, ("touch " + os.path.join(d, "pwned"),))
def evil(path):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        z.writestr("archive/data.pkl", pickle.dumps(collections.OrderedDict(w=Evil()), protocol=2))
folder("pt_evil", evil)
def deflated(path):  # the same entries as torch.save's, compressed
    buf = io.BytesIO(); torch.save({"w": torch.ones(3)}, buf)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for n in src.namelist(): z.writestr(n, src.read(n))
folder("pt_zip", deflated)
folder("pt_nested", lambda p: torch.save({"epoch": 3, "model": {"w": torch.ones(2)}}, p))
def truncated(path):
    buf = io.BytesIO(); torch.save({"w": torch.ones(1000)}, buf)
    open(path, "wb").write(buf.getvalue()[:2500])
folder("pt_cut", truncated)
def legacy_cut(path):  # the format before 1.6, its last storage cut short
    buf = io.BytesIO(); torch.save({"w": torch.ones(1000)}, buf, _use_new_zipfile_serialization=False)
    open(path, "wb").write(buf.getvalue()[:-100])
folder("pt_old_cut", legacy_cut)
PY
# zip64 records (sizes and offsets in extra fields, a zip64 end of central directory), as a checkpoint past
# 4 GB (GPT-2 XL) has them: Python's zipfile writes them for small entries when told its limits are low
mkdir -p "$TMPD/pt64" && cp "$HF/config.json" "$TMPD/pt64/" && "$PY" - "$TMPD/pt0/pytorch_model.bin" "$TMPD/pt64/pytorch_model.bin" <<'PY' || bad "writing the zip64 checkpoint failed"
import sys, zipfile
zipfile.ZIP64_LIMIT = 1000         # entries past 1000 bytes: zip64 sizes and offsets
zipfile.ZIP_FILECOUNT_LIMIT = 10   # the archive: a zip64 end of central directory record
src = zipfile.ZipFile(sys.argv[1])
with zipfile.ZipFile(sys.argv[2], "w", zipfile.ZIP_STORED) as z:
    for i in src.infolist():
        z.writestr(i, src.read(i.filename))
b = open(sys.argv[2], "rb").read()
sys.exit(0 if b.count(b"PK\x06\x06") == 1 and b"\xff\xff\xff\xff" in b else 1)
PY
for d in pt0 pt_sh pt_tied pt_old pt_old_sh pt64; do
  expect_ok "pytorch_model.bin ($d): logits" "$LMPROB" gpt2 logits --output "$TMPD/$d.f32" "$TMPD/$d" "$IDS"
  if cmp -s "$TMPD/$d.f32" "$TMPD/lg.f32"; then ok; else bad "pytorch_model.bin ($d): logits differ from the safetensors folder's"; fi
done
expect_out "pytorch_model.bin: info --tensors" "^ +transformer.h.1.mlp.c_proj.weight +F32 +\[256, 64\]" "$LMPROB" gpt2 info --tensors "$TMPD/pt0"
expect_out "pytorch_model.bin shards: info" "^weights: +$TMPD/pt_sh/pytorch_model.bin.index.json$" "$LMPROB" gpt2 info "$TMPD/pt_sh"
expect_out "pytorch_model.bin in float16" "^dtype: +F16 \(computed in fp32\)" "$LMPROB" gpt2 info "$TMPD/pt16"
"$LMPROB" ppl --model "$TMPD/pt0" --json "$TMPD/hw.txt" >"$TMPD/p3" 2>&1
if [ -s "$TMPD/p3" ] && diff <(sed 's/"model": "[^"]*"//' "$TMPD/p1") <(sed 's/"model": "[^"]*"//' "$TMPD/p3") >/dev/null; then ok
else bad "pytorch_model.bin: ppl differs from the safetensors folder's: $(head -c 300 "$TMPD/p3")"; fi
# a bare checkpoint file is taken for GPT-2 by what it holds (a zip archive), not by its name
expect_out "a bare pytorch_model.bin: ppl --model" "^Perplexity \(exact\):" "$LMPROB" ppl --model "$TMPD/pt0/pytorch_model.bin" "$TMPD/hw.txt"
# model.safetensors first, as from_pretrained: a broken pytorch_model.bin beside it is not read
mkdir -p "$TMPD/both" && cp "$HF/config.json" "$HF/model.safetensors" "$TMPD/both/" && echo junk >"$TMPD/both/pytorch_model.bin"
expect_out "model.safetensors before pytorch_model.bin" "^weights: +$TMPD/both/model.safetensors$" "$LMPROB" gpt2 info "$TMPD/both"
# bad checkpoints: each refused with its file and what is wrong; a pickle's globals are never called
expect_fail "pytorch_model.bin: a transposed view" "pt_tr/pytorch_model.bin: data.pkl, byte [0-9]*: _rebuild_tensor_v2: a tensor that is not contiguous" \
  "$LMPROB" gpt2 info "$TMPD/pt_tr"
expect_fail "pytorch_model.bin: a pickle naming os.system" "pt_evil/pytorch_model.bin: data.pkl, byte [0-9]*: global '(posix|os).system' is not one a state dict of tensors needs: refused" \
  "$LMPROB" gpt2 info "$TMPD/pt_evil"
if [ ! -e "$TMPD/pwned" ]; then ok; else bad "a pickle's global was called"; fi
expect_fail "pytorch_model.bin: compressed entries" "pt_zip/pytorch_model.bin: entry [a-z_]*/data.pkl is compressed: expected the stored" \
  "$LMPROB" gpt2 info "$TMPD/pt_zip"
expect_fail "pytorch_model.bin: a training checkpoint" "pt_nested/pytorch_model.bin: state dict entry 'epoch' is not a tensor" \
  "$LMPROB" gpt2 info "$TMPD/pt_nested"
expect_fail "pytorch_model.bin: truncated" "pt_cut/pytorch_model.bin: no end of central directory record: a truncated zip archive" \
  "$LMPROB" gpt2 info "$TMPD/pt_cut"
expect_fail "pytorch_model.bin before 1.6: truncated" "pt_old_cut/pytorch_model.bin: byte [0-9]*: a storage's data runs past the end of the file" \
  "$LMPROB" gpt2 info "$TMPD/pt_old_cut"
# names and values read from files are quoted with their control bytes as \xNN: an escape sequence in a
# config string (or a tensor's name) acted on the terminal that showed the message
mkdir -p "$TMPD/esc"
ln -sf "$SHARED/gpt2/tiny-hf/model.safetensors" "$TMPD/esc/model.safetensors"
printf '{"model_type":"gpt2\\u001b[2J","n_layer":2,"n_head":2,"n_embd":64}' >"$TMPD/esc/config.json"
"$LMPROB" gpt2 info "$TMPD/esc" >"$TMPD/esc.out" 2>"$TMPD/esc.err"
if grep -qF "model_type 'gpt2\x1b[2J'" "$TMPD/esc.err" && ! grep -q $'\033' "$TMPD/esc.err"; then ok
else bad "a control byte of a config string reached stderr raw: $(od -c "$TMPD/esc.err" | head -3)"; fi
finish
