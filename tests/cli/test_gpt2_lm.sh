#!/usr/bin/env bash
# GPT-2 behind the language-model interface, on the tiny random model of ../shared/gpt2: the three
# perplexity recipes against sliding/sliding_ref.json (float64 PyTorch-style references), ppl and next
# against tiny_ref.json, generate (seeded, stops at <|endoftext|>), kl between two GPT-2s, bad input.
. "$(dirname "$0")/lib.sh"
HF=$SHARED/gpt2/tiny-hf
REF=$SHARED/gpt2/sliding/sliding_ref.json
PY=/usr/bin/python3

# ---- the three recipes, every case of sliding_ref.json ---------------------------------------------
# 1e-5 relative: the references are float64, lmprob computes in float32 (README: ~1e-5); nan where the
# chapter's code gives nan; the scored tokens and forward passes exactly. Under ASan the forward pass
# is ~10x slower: the cases of up to 1025 tokens there (the plain build runs them all).
maxL=1000000
case "$LMPROB" in *asan*) maxL=1025 ;; esac
"$PY" - "$LMPROB" "$REF" "$HF" "$SHARED/gpt2/sliding" "$maxL" >"$TMPD/sliding.out" 2>&1 <<'PY'
import json, math, subprocess, sys
lmprob, ref, hf, folder, maxL = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
bad = 0; n = 0
for c in json.load(open(ref))["cases"]:
    if c["L"] > maxL: continue
    n += 1
    out = subprocess.run([lmprob, "ppl", "--model", hf, "--window", str(c["window"]), "--stride", str(c["stride"]),
                          "--recipe", "all", "--json", "%s/text_%d.txt" % (folder, c["L"])], capture_output=True, text=True)
    if out.returncode:
        print("FAIL L=%d: exit %d: %s" % (c["L"], out.returncode, out.stderr)); bad += 1; continue
    d = json.loads(out.stdout); r = d["recipes"]
    def same(got, want):
        got = float(got)
        return math.isnan(got) if math.isnan(want) else abs(got - want) <= 1e-5 * abs(want)
    checks = [("exact", r["exact"]["perplexity"], c["exact_ppl"]), ("hf", r["hf"]["perplexity"], c["hf_doc_ppl"]),
              ("chapter", r["chapter"]["perplexity"], c["chapter_ppl"])]
    for name, got, want in checks:
        if not same(got, want): print("FAIL L=%d W=%d S=%d %s: %s, want %r" % (c["L"], c["window"], c["stride"], name, got, want)); bad += 1
    counts = (d["tokens"], r["exact"]["scored_tokens"], r["exact"]["forward_passes"], r["chapter"]["forward_passes"])
    want = (c["L"], c["scored_tokens"], c["forward_passes"], c["chapter_forward_passes"])
    if counts != want: print("FAIL L=%d counts %s, want %s" % (c["L"], counts, want)); bad += 1
    if abs(-d["ln_prob"] / r["exact"]["scored_tokens"] - c["exact_mean_nll"]) > 1e-5 * c["exact_mean_nll"]:
        print("FAIL L=%d mean NLL" % c["L"]); bad += 1
print("%d cases, %d failures" % (n, bad))
sys.exit(1 if bad or n == 0 else 0)
PY
if [ $? -eq 0 ]; then ok; else bad "sliding_ref.json: $(cat "$TMPD/sliding.out")"; fi
# one recipe at a time gives the same figure as --recipe all
expect_out "recipe chapter alone: nan" "Perplexity \(chapter\):.nan.*\(2 forward passes\)" "$LMPROB" ppl --model "$HF" --recipe chapter "$SHARED/gpt2/sliding/text_513.txt"
expect_out "one forward pass, said in the singular" "Perplexity \(exact\):.*\(1 forward pass\)$" "$LMPROB" ppl --model "$HF" "$SHARED/gpt2/sliding/text_100.txt"
expect_out "default recipe: exact, window 1024" "Window:.1024.stride 512" "$LMPROB" ppl --model "$HF" "$SHARED/gpt2/sliding/text_300.txt"

# ---- tiny_ref.json: the per-token NLL of its text, and the next token after it ------------------------
"$PY" -c 'import json,sys; sys.stdout.write(json.load(open(sys.argv[1]))["text"])' "$SHARED/gpt2/tiny_ref.json" >"$TMPD/hello.txt"
"$LMPROB" ppl --model "$HF" --json --per-token "$TMPD/hello.txt" >"$TMPD/hello.json" 2>"$TMPD/err" || bad "ppl hello: $(cat "$TMPD/err")"
"$PY" - "$TMPD/hello.json" "$SHARED/gpt2/tiny_ref.json" <<'PY' && ok || bad "ppl against tiny_ref.json"
import json, sys
d = json.load(open(sys.argv[1])); r = json.load(open(sys.argv[2]))
pt = d["per_token"]
assert [t["id"] for t in pt] == r["tokens"][1:], "token ids"
assert all(abs(-t["ln_prob"] - w) <= 1e-4 for t, w in zip(pt, r["nll_next_token"])), "per-token NLL (1e-4 abs: fp32 logits)"
assert abs(d["perplexity"] - r["ppl"]) <= 1e-5 * r["ppl"], (d["perplexity"], r["ppl"])
PY
"$LMPROB" next --model "$HF" --prompt "$(cat "$TMPD/hello.txt")
" --top 3 --json >"$TMPD/next.json" 2>"$TMPD/err" || bad "next: $(cat "$TMPD/err")"
"$PY" - "$TMPD/next.json" "$SHARED/gpt2/tiny_ref.json" <<'PY' && ok || bad "next against tiny_ref.json"
import json, sys
d = json.load(open(sys.argv[1])); r = json.load(open(sys.argv[2]))
assert d["context_tokens"] == 19, d["context_tokens"]
top = d["top"][0]
assert top["id"] == r["argmax"][-1], (top["id"], r["argmax"][-1])
assert abs(top["ln_p"] - (r["max_logit"][-1] - r["logsumexp"][-1])) <= 1e-4
assert abs(d["mass"] - 1) <= 1e-5 and 0 < d["entropy_nats"] <= 10.825 and d["nucleus_size"] > 1
PY
expect_out "next: empty prompt reads <|endoftext|>" "context: 1 token$" "$LMPROB" next --model "$HF" --top 1

# ---- generate: seeded, streaming, every sampler option, <|endoftext|> ends a sentence ------------------
"$LMPROB" generate --model "$HF" --prompt "Hello, my dog" --max-len 12 --seed 5 -n 2 >"$TMPD/g1" 2>"$TMPD/g1.err"
"$LMPROB" generate --model "$HF" --prompt "Hello, my dog" --max-len 12 --seed 5 -n 2 >"$TMPD/g2" 2>/dev/null
if cmp -s "$TMPD/g1" "$TMPD/g2" && [ "$(grep -c '^Hello, my dog' "$TMPD/g1")" -eq 2 ]; then ok; else bad "generate: not reproducible: $(cat "$TMPD/g1")"; fi
if [ "$(grep -c '^lmprob: generate: sample [12], sentence 1: cut at --max-len 12 without <|endoftext|>$' "$TMPD/g1.err")" -eq 2 ]; then ok; else bad "generate cut lines: $(cat "$TMPD/g1.err")"; fi
# --prompt '' (a script's empty variable) is no prompt: the same next-token distribution and the same sample
"$LMPROB" next --model "$HF" --top 3 --json >"$TMPD/n0" && "$LMPROB" next --model "$HF" --prompt "" --top 3 --json >"$TMPD/n1" \
  && cmp -s "$TMPD/n0" "$TMPD/n1" && ok || bad "next --prompt '' differs from no prompt: $(cat "$TMPD/n1")"
"$LMPROB" generate --model "$HF" --max-len 6 --seed 9 >"$TMPD/e0" 2>/dev/null \
  && "$LMPROB" generate --model "$HF" --prompt= --max-len 6 --seed 9 >"$TMPD/e1" 2>/dev/null \
  && [ -s "$TMPD/e0" ] && cmp -s "$TMPD/e0" "$TMPD/e1" && ok || bad "generate --prompt= differs from no prompt: $(cat "$TMPD/e1")"
expect_ok "generate: every sampler option" "$LMPROB" generate --model "$HF" --max-len 4 --temperature 0.8 --top-k 50 --top-p 0.9 \
  --min-p 0.0001 --typical 0.99 --epsilon 0.00001 --repetition-penalty 1.1 --frequency-penalty 0.1 --presence-penalty 0.1 \
  --penalty-last-n 8 --min-keep 2 --chain llama --dtype f32 --rng numpy --seed 3
# Copies of the tiny model whose final layer norm maps every position to one token's embedding (weight 0,
# bias c * wte[t]): every prediction is t with probability ~1; t = <|endoftext|> (eot/) and "." (dot/, below).
mkdir -p "$TMPD/eot" "$TMPD/dot"
cp "$HF/config.json" "$TMPD/eot/" && cp "$HF/config.json" "$TMPD/dot/"
"$PY" - "$HF/model.safetensors" "$TMPD" <<'PY' || bad "could not write the <|endoftext|> and '.' models"
import json, struct, sys, numpy as np
for folder, t in (("eot", 50256), ("dot", 13)):
    raw = bytearray(open(sys.argv[1], "rb").read())
    n = struct.unpack("<Q", raw[:8])[0]; hdr = json.loads(raw[8:8 + n]); base = 8 + n
    def view(name):
        b, e = hdr[name]["data_offsets"]
        return np.frombuffer(raw, dtype="<f4", count=(e - b) // 4, offset=base + b)
    wte = view("transformer.wte.weight").reshape(50257, 64)
    w = view("transformer.ln_f.weight"); b = view("transformer.ln_f.bias")
    w[:] = 0; b[:] = wte[t] * (200.0 / float(wte[t] @ wte[t]))
    open(f"{sys.argv[2]}/{folder}/model.safetensors", "wb").write(raw)
PY
"$LMPROB" generate --model "$TMPD/eot" --prompt "Hello" --max-len 5 --json >"$TMPD/eot.json" 2>"$TMPD/eot.err"
if [ "$(/usr/bin/python3 -c 'import json,sys; s=json.load(open(sys.argv[1]))["sentences"][0]; print(s["ended"], s["generated"])' "$TMPD/eot.json")" = "True 0" ] &&
   ! grep -q "cut at" "$TMPD/eot.err"; then ok; else bad "generate did not stop at <|endoftext|>: $(cat "$TMPD/eot.json" "$TMPD/eot.err")"; fi
expect_out "sentences go on after <|endoftext|>" '"sentence": 2' "$LMPROB" generate --model "$TMPD/eot" --sentences 3 --json
# Generation stops at the config's eos_token_id, as Hugging Face's generate does (a fine-tune may name another
# token, an added "<|im_end|>"): the "." model with eos_token_id 13 ends at once, with the default (50256) it
# writes "." to the limit.
mkdir -p "$TMPD/dot13" && cp "$TMPD/dot/model.safetensors" "$TMPD/dot13/"
"$PY" -c 'import json,sys; c=json.load(open(sys.argv[1])); c["eos_token_id"]=13; json.dump(c, open(sys.argv[2], "w"))' "$HF/config.json" "$TMPD/dot13/config.json"
"$LMPROB" generate --model "$TMPD/dot13" --prompt "Hello" --max-len 5 --json >"$TMPD/dot13.json" 2>"$TMPD/err"
"$LMPROB" generate --model "$TMPD/dot" --prompt "Hello" --max-len 5 --json >"$TMPD/dot.json" 2>>"$TMPD/err"
if [ "$("$PY" -c 'import json,sys; a=json.load(open(sys.argv[1]))["sentences"][0]; b=json.load(open(sys.argv[2]))["sentences"][0]; print(a["ended"], a["generated"], b["ended"], b["generated"], "".join(b["words"]))' "$TMPD/dot13.json" "$TMPD/dot.json")" = "True 0 False 5 Hello....." ]
then ok; else bad "generate and the config's eos_token_id: $(cat "$TMPD/dot13.json" "$TMPD/dot.json" "$TMPD/err")"; fi
# cut at the limit: the message names the model's end token (the eot model above with its eos moved to ".")
cp "$TMPD/eot/model.safetensors" "$TMPD/dot13/model.safetensors"
"$LMPROB" generate --model "$TMPD/dot13" --prompt "Hello" --max-len 2 >/dev/null 2>"$TMPD/err"
if grep -q "cut at --max-len 2 without \.$" "$TMPD/err"; then ok; else bad "cut message with eos '.': $(cat "$TMPD/err")"; fi

# ---- kl: two GPT-2s of one vocabulary ------------------------------------------------------------------
"$LMPROB" kl --model "$HF" --model "$HF" --json "$TMPD/hello.txt" >"$TMPD/kl0.json" 2>"$TMPD/err" || bad "kl self: $(cat "$TMPD/err")"
if [ "$(/usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["positions"], d["max_kl_ab"], d["max_js"])' "$TMPD/kl0.json")" = "18 0 0" ]; then ok; else bad "kl of the tiny model with itself: $(cat "$TMPD/kl0.json")"; fi
"$LMPROB" kl --model "$TMPD/eot" --model "$HF" --beta 0.2 --json "$TMPD/hello.txt" >"$TMPD/kl.json" 2>"$TMPD/err" || bad "kl: $(cat "$TMPD/err")"
"$PY" - "$TMPD/kl.json" <<'PY' && ok || bad "kl of the <|endoftext|> model against the tiny one"
import json, math, sys
d = json.load(open(sys.argv[1]))
# A puts ~all mass on one token that B gives about 1/V: KL(A||B) ~ -ln pB(eot) ~ 11; KL(B||A) is large; JS ~ ln 2
assert 9 < d["mean_kl_ab"] < 12, d["mean_kl_ab"]
assert d["mean_kl_ba"] > d["mean_kl_ab"], d
assert 0.6 < d["mean_js"] <= math.log(2), d["mean_js"]
assert abs(d["rlhf_penalty_per_token"] - 0.2 * d["mean_kl_ab"]) < 1e-12
PY
expect_out "kl: one forward pass, in the singular" "; 1 forward pass per model\)" "$LMPROB" kl --model "$HF" --model "$HF" "$TMPD/hello.txt"
expect_fail "kl: GPT-2 against an n-gram model" "different vocabularies: 50257 tokens against 6" "$LMPROB" kl --model "$HF" --model "$(dirname "$0")/../fixtures/model/tiny.arpa" "$TMPD/hello.txt"

# ---- JSON is valid UTF-8: tokens that are parts of characters, prompts and file names that are not UTF-8 ----
# Each output FILE is read strictly (open(..., encoding="utf-8"); json.tool on stdin would let invalid bytes
# through as surrogates). A partial or invalid sequence is U+FFFD, as Python's errors="replace" has it, and
# the exact bytes are in token_hex (words_hex for generate): decoding them with errors="replace" gives the
# string beside them, and they add up to the text.
printf '日本語のテキスト 😀 emoji, ünïcödé\n' >"$TMPD/cjk.txt"
cp "$TMPD/cjk.txt" "$TMPD/name_$(printf '\377\376').txt"
"$LMPROB" ppl --model "$HF" --per-token --json "$TMPD/cjk.txt" >"$TMPD/u_ppl.json" 2>"$TMPD/err" || bad "ppl cjk: $(cat "$TMPD/err")"
"$LMPROB" kl --model "$HF" --model "$HF" --per-position --json "$TMPD/cjk.txt" >"$TMPD/u_kl.json" 2>"$TMPD/err" || bad "kl cjk: $(cat "$TMPD/err")"
"$LMPROB" next --model "$HF" --prompt "$(printf 'bad \377\376 日本')" --top 200 --json >"$TMPD/u_next.json" 2>"$TMPD/err" || bad "next: $(cat "$TMPD/err")"
"$LMPROB" generate --model "$HF" --prompt "日本" --max-len 40 --sentences 3 --seed 3 --json >"$TMPD/u_gen.json" 2>/dev/null || bad "generate cjk"
"$LMPROB" ppl --model "$HF" --json "$TMPD/name_$(printf '\377\376').txt" >"$TMPD/u_name.json" 2>"$TMPD/err" || bad "ppl odd name: $(cat "$TMPD/err")"
# invalid UTF-8 is read as GPT-2's references read it (U+FFFD), and every command that reads text says so, as
# tokenize does (ppl, kl, next and generate did not); valid text gets no note
if grep -q "note" "$TMPD/err"; then bad "a note for valid UTF-8: $(cat "$TMPD/err")"; else ok; fi
printf 'ok line\nsecond \303 x\342\202' >"$TMPD/badutf.txt"
"$LMPROB" ppl --model "$HF" "$TMPD/badutf.txt" >/dev/null 2>"$TMPD/err"
want='invalid UTF-8 sequences replaced by U\+FFFD as the references do \(first at line 2, byte 8\)'
if grep -Eq "^lmprob: ppl: note: .*badutf.txt: 2 $want" "$TMPD/err"; then ok; else bad "ppl: no UTF-8 note: $(cat "$TMPD/err")"; fi
"$LMPROB" kl --model "$HF" --model "$HF" - <"$TMPD/badutf.txt" >/dev/null 2>"$TMPD/err"
if grep -Eq "^lmprob: kl: note: <stdin>: 2 $want" "$TMPD/err"; then ok; else bad "kl: no UTF-8 note: $(cat "$TMPD/err")"; fi
for c in "next --top 1" "generate --max-len 2"; do
  "$LMPROB" $c --model "$HF" --prompt "$(printf 'bad \377\376 x')" >/dev/null 2>"$TMPD/err"
  c=${c%% *}
  if grep -Eq "^lmprob: $c: note: --prompt: 2 invalid UTF-8 sequences .*first at line 1, byte 5" "$TMPD/err"; then ok
  else bad "$c: no UTF-8 note: $(cat "$TMPD/err")"; fi
done
"$PY" - "$TMPD" <<'PY' && ok || bad "JSON output is not valid UTF-8, or token_hex/words_hex disagree"
import json, sys
d = sys.argv[1]
load = lambda n: json.load(open(d + "/" + n, encoding="utf-8"))
text = open(d + "/cjk.txt", "rb").read()
def same(s, h):
    assert bytes.fromhex(h).decode("utf-8", "replace") == s, (s, h)
    return bytes.fromhex(h)
for name, key in (("u_ppl.json", "per_token"), ("u_kl.json", "per_position")):
    recs = load(name)[key]
    got = b"".join(same(t["token"], t["token_hex"]) for t in recs)
    assert text.endswith(got) and len(got) > len(text) // 2, name
    assert any("\ufffd" in t["token"] for t in recs), name + ": no partial character: the case tests nothing"
n = load("u_next.json")
assert n["prompt"] == "bad \ufffd\ufffd 日本", n["prompt"]
for t in n["top"]: same(t["token"], t["token_hex"])
g = load("u_gen.json")["sentences"]
assert len({tuple(sorted(s)) for s in g}) == 1, "sentence objects with different keys"
for s in g:
    assert len(s["words"]) == len(s["words_hex"])
    for w, h in zip(s["words"], s["words_hex"]): same(w, h)
assert g[0]["words"][:2] == ["\ufffd", "\ufffd"] or "\ufffd" in "".join(g[0]["words"]), g[0]["words"][:4]
assert load("u_name.json")["text"].endswith("name_\ufffd\ufffd.txt")
PY
# generate --json's ids: one a word, and detokenized they are the words' bytes (words_hex), prompt included
"$PY" - "$TMPD" <<'PY' || bad "generate --json: ids missing or not one a word"
import json, sys
d = sys.argv[1]
g = json.load(open(d + "/u_gen.json", encoding="utf-8"))["sentences"]
with open(d + "/gen_ids.txt", "w") as f, open(d + "/gen_hex.bin", "wb") as h:
    for s in g:
        assert len(s["ids"]) == len(s["words"]) and all(isinstance(i, int) and 0 <= i < 50257 for i in s["ids"]), s
        f.write(" ".join(map(str, s["ids"])) + " ")
        h.write(b"".join(bytes.fromhex(x) for x in s["words_hex"]))
PY
"$LMPROB" detokenize "$TMPD/gen_ids.txt" >"$TMPD/gen_back.bin" 2>"$TMPD/err" || bad "detokenize generate's ids: $(cat "$TMPD/err")"
if cmp -s "$TMPD/gen_back.bin" "$TMPD/gen_hex.bin"; then ok; else bad "generate --json: ids detokenize to other bytes than words_hex"; fi

# ---- progress of the windows: a percentage on a terminal's stderr, cleared at the end; none in a pipe ----
# (on_tty gives the command a pseudo-terminal; the texts are short, as kl reads both models' whole
# distributions at every position: ppl 300 tokens in windows of 32, kl 100 in windows of 16)
SL=$SHARED/gpt2/sliding
for c in "ppl --window 32 $SL/text_300.txt" "kl --model $HF --window 16 $SL/text_100.txt"; do
  name=${c%% *}
  "$LMPROB" $c --model "$HF" >"$TMPD/pipe.out" 2>"$TMPD/pipe.err" || bad "$name in a pipe: $(cat "$TMPD/pipe.err")"
  if [ ! -s "$TMPD/pipe.err" ]; then ok; else bad "$name wrote to stderr in a pipe: $(cat "$TMPD/pipe.err")"; fi
  if have_tty; then
    on_tty "$TMPD/tty" "'$LMPROB' $c --model '$HF'"
    # the terminal's copy has \r\n line ends and the progress line before the results
    tr -d '\r' <"$TMPD/tty" | sed 's/^.*\x1b\[K//' >"$TMPD/tty.out"
    if grep -q "lmprob: $name: [a-z]* *[0-9]*%" "$TMPD/tty" && grep -q $'\x1b\[K' "$TMPD/tty" &&
       grep -q "50 *%" "$TMPD/tty" && diff -q "$TMPD/pipe.out" "$TMPD/tty.out" >/dev/null; then ok
    else bad "$name on a terminal: no progress, or results changed: $(head -c 600 "$TMPD/tty" | cat -v)"; fi
    # each whole percentage drawn once, rising (a redraw every 0.01, rounded, drew one twice now and then)
    # (the scoring phase's: the model's loading line comes first, since the thirty-eighth session)
    tr '\r' '\n' <"$TMPD/tty" | grep -o "lmprob: $name: [a-z ]* *[0-9]*%" | grep -v 'loading model' | grep -o '[0-9]*%$' | tr -d % >"$TMPD/pct"
    if [ "$(wc -l <"$TMPD/pct")" -ge 10 ] && sort -n -c -u "$TMPD/pct" 2>/dev/null; then ok
    else bad "$name on a terminal: percentages not each once and rising: $(tr '\n' ' ' <"$TMPD/pct")"; fi
  fi
done
if have_tty; then  # --per-token lines on a terminal: no progress drawn over them
  on_tty "$TMPD/tty" "'$LMPROB' ppl --window 32 --per-token --model '$HF' '$SL/text_300.txt'"
  if ! grep -q 'lmprob: ppl: scoring' "$TMPD/tty" && [ "$(grep -c $'\t' "$TMPD/tty")" -ge 299 ]; then ok
  else bad "ppl --per-token on a terminal: progress drawn over the tokens"; fi
fi

# ---- a failed write stops the passes -----------------------------------------------------------------
# ppl --per-token and kl --per-position stop at the first write that fails (the token callback returns
# nonzero, eval.h): a stride-1 pass over 1,000 tokens into /dev/full fails after a buffer of lines (about 130
# to 270 tokens), so its work must be less than twice a pass over its first 300 tokens into /dev/null (the
# whole pass, 3.3 times as much, until the thirty-fourth session). The work is the process's CPU time on one
# thread, which other processes on the machine do not inflate as they did the wall time this compared until
# the thirty-ninth session (a make test beside other jobs failed it: 1,355 ms against 586). Skipped under ASan
# (ten times slower).
case "$LMPROB" in *asan*) ;; *)
  head -c 1100 "$SL/text_1000.txt" >"$TMPD/t300.txt"
  # user + system of /usr/bin/time -f '%U %S' (its last line: a failed command's status comes first)
  cpu_ms() { tail -n 1 "$TMPD/cpu" | awk '{ printf "%d\n", 1000 * ($1 + $2) }'; }
  for c in "ppl --per-token" "kl --model $HF --per-position"; do
    /usr/bin/time -f '%U %S' -o "$TMPD/cpu" "$LMPROB" $c --model "$HF" --threads 1 --window 64 --stride 1 "$TMPD/t300.txt" \
      >/dev/null 2>"$TMPD/err"
    c0=$(cpu_ms)
    /usr/bin/time -f '%U %S' -o "$TMPD/cpu" "$LMPROB" $c --model "$HF" --threads 1 --window 64 --stride 1 "$SL/text_1000.txt" \
      >/dev/full 2>"$TMPD/err"
    rc=$?; c1=$(cpu_ms)
    if [ $rc -eq 1 ] && grep -q "No space left on device" "$TMPD/err" && [ "$c1" -lt $((2 * c0)) ]; then ok
    else bad "${c%% *} into /dev/full: rc $rc, $c1 ms of CPU against $c0 ms for 300 tokens: $(cat "$TMPD/err")"; fi
  done ;;
esac

# ---- windows that score little or nothing ------------------------------------------------------------------
# Bits per byte divide the scored tokens' bits by their bytes: with --window 2 --stride 2 half the tokens are
# scored, and scored_bytes is their bytes (a GPT-2 token's share is its own bytes), not the whole text's.
T100=$SHARED/gpt2/sliding/text_100.txt
"$LMPROB" ppl --model "$HF" --window 2 --stride 2 --per-token --json "$T100" >"$TMPD/w22.json" 2>"$TMPD/err" || bad "ppl W2 S2: $(cat "$TMPD/err")"
"$PY" - "$TMPD/w22.json" <<'PY' && ok || bad "bits_per_byte over the scored tokens' bytes: $(head -c 300 "$TMPD/w22.json")"
import json, math, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
assert d["tokens"] == 100 and d["scored_tokens"] == 50, (d["tokens"], d["scored_tokens"])
sb = sum(len(t["token_hex"]) // 2 for t in d["per_token"])
assert d["scored_bytes"] == sb and sb < d["bytes"], (d["scored_bytes"], sb, d["bytes"])
want = -d["ln_prob"] / math.log(2) / sb
assert abs(d["bits_per_byte"] - want) <= 1e-12 * want, (d["bits_per_byte"], want)
PY
# One token: nothing to score. A complete object with nan and exit 0 (as an empty text without windows),
# the reason on stderr; the same for kl.
printf 'a' >"$TMPD/one.txt"
for c in "ppl --model $HF" "kl --model $HF --model $HF"; do
  if "$LMPROB" $c --json "$TMPD/one.txt" >"$TMPD/one.json" 2>"$TMPD/one.err" &&
     "$PY" -c 'import json,sys; d=json.load(open(sys.argv[1], encoding="utf-8")); v=d.get("perplexity", d.get("mean_kl_ab")); assert v == "nan", d' "$TMPD/one.json" &&
     grep -q "note: .*one.txt: no .* in 1 token" "$TMPD/one.err"; then ok
  else bad "${c%% *} of one token: $(cat "$TMPD/one.json" "$TMPD/one.err")"; fi
done
# Made from the tiny model: a context of 1 token (nothing can be scored), a vocabulary of 300 tokens, and two
# larger ones (below).
"$PY" - "$SHARED/gpt2/tiny.safetensors" "$TMPD" <<'PY' || bad "could not write the small models"
import json, struct, sys
raw = open(sys.argv[1], "rb").read()
n = struct.unpack("<Q", raw[:8])[0]; hdr = json.loads(raw[8:8 + n]); data = raw[8 + n:]
def write(path, rows, grow_from=0, **cfg):  # rows: {tensor: rows}, fewer kept or more copied from row grow_from on
    meta = dict(hdr["__metadata__"]); c = json.loads(meta["config"]); c.update(cfg); meta["config"] = json.dumps(c)
    h = {"__metadata__": meta}; blobs = []; off = 0
    for k, v in hdr.items():
        if k == "__metadata__": continue
        b, e = v["data_offsets"]; blob = data[b:e]; shape = list(v["shape"])
        if k in rows:
            r = len(blob) // shape[0]; n = rows[k]
            blob = blob[:r * n] if n <= shape[0] else blob + blob[r * grow_from:r * (grow_from + n - shape[0])]; shape[0] = n
        h[k] = {"dtype": v["dtype"], "shape": shape, "data_offsets": [off, off + len(blob)]}; off += len(blob); blobs.append(blob)
    hb = json.dumps(h).encode(); hb += b" " * ((8 - len(hb) % 8) % 8)
    open(path, "wb").write(struct.pack("<Q", len(hb)) + hb + b"".join(blobs))
    return c
write(sys.argv[2] + "/ctx1.safetensors", {"transformer.wpe.weight": 1}, n_positions=1, n_ctx=1)
write(sys.argv[2] + "/ctx8.safetensors", {"transformer.wpe.weight": 8}, n_positions=8, n_ctx=8)
write(sys.argv[2] + "/v300.safetensors", {"transformer.wte.weight": 300}, vocab_size=300)
# a fine-tune with 3 added tokens (rows 50257.. copies of 1000..), and a model padded to 50,304 (copies of 0..46)
import os; os.makedirs(sys.argv[2] + "/added", exist_ok=True)
c = write(sys.argv[2] + "/added/model.safetensors", {"transformer.wte.weight": 50260}, 1000, vocab_size=50260)
json.dump(c, open(sys.argv[2] + "/added/config.json", "w"))
write(sys.argv[2] + "/pad.safetensors", {"transformer.wte.weight": 50304}, 0, vocab_size=50304)
PY

# A model of 300 tokens with GPT-2's vocabulary of 50,257: the message names the model and the vocabulary,
# for the default vocabulary and for a folder's own.
expect_fail "kl: a model of another vocabulary size" "kl: .*v300.safetensors: the vocabulary has 50257 tokens and the model 300: .*GPT-2 vocabulary: .*gpt2" \
  "$LMPROB" kl --model "$TMPD/v300.safetensors" --model "$HF" "$TMPD/hello.txt"
mkdir -p "$TMPD/v300"
VOC=$(dirname "$LMPROB")/gpt2  # the vocabulary `make` installs beside the binary (build/gpt2; build/asan: ../gpt2)
[ -f "$VOC/encoder.json" ] || VOC=$(dirname "$LMPROB")/../gpt2
cp "$VOC/encoder.json" "$VOC/vocab.bpe" "$TMPD/v300/" && cp "$TMPD/v300.safetensors" "$TMPD/v300/model.safetensors"
sed 's/"vocab_size": 50257/"vocab_size": 300/' "$HF/config.json" >"$TMPD/v300/config.json"
expect_fail "ppl: a folder whose vocabulary is not its model's" "ppl: .*/v300: the vocabulary has 50257 tokens and the model 300: .*\(vocabulary: .*/v300\)" \
  "$LMPROB" ppl --model "$TMPD/v300" "$TMPD/hello.txt"
# a data error both ways, exit 1 (the folder's own vocabulary gave exit 2, a usage error, the default one 1)
for m in "$TMPD/v300" "$TMPD/v300.safetensors"; do
  "$LMPROB" ppl --model "$m" "$TMPD/hello.txt" >/dev/null 2>&1
  rc=$?; if [ "$rc" -eq 1 ]; then ok; else bad "ppl --model $m (vocabulary size): exit $rc, expected 1"; fi
done

# A fine-tune that added tokens (resize_token_embeddings to 50,260; the tokens in its tokenizer.json, as
# save_pretrained writes them): the folder's tokenizer.json is its vocabulary. Rows 50257..50259 of wte are
# copies of rows 1000..1002, so (lm_head tied to wte) id 50257 is exactly as likely as id 1000 anywhere.
python3 "$(dirname "$0")/../peers/make_tokenizer_json.py" "$VOC" "$TMPD/added/tokenizer.json" --added '[PAD]:50257:special' \
  --added '<|user|>:50258:normalized' --added '<|assistant|>:50259' || bad "could not write its tokenizer.json"
printf '<|user|>Hi there<|assistant|>Hello![PAD][PAD]' >"$TMPD/chat.txt"
"$LMPROB" ppl --model "$TMPD/added" --per-token "$TMPD/chat.txt" >"$TMPD/chat.ppl" 2>"$TMPD/err"
want=$("$LMPROB" tokenize --special --gpt2-vocab "$TMPD/added" "$TMPD/chat.txt" | cut -d' ' -f2- | xargs)
got=$(grep -E '^[0-9]+	' "$TMPD/chat.ppl" | cut -f2 | xargs)
if [ -n "$got" ] && [ "$got" = "$want" ] && grep -q '^Tokens:	8	(7 scored)' "$TMPD/chat.ppl"; then ok
else bad "ppl on a folder with added tokens: '$got' against the tokenizer's '$want': $(cat "$TMPD/err")"; fi
"$LMPROB" next --model "$TMPD/added" --prompt '<|user|>Hi' --top 50260 --json >"$TMPD/next.json" 2>"$TMPD/err"
if [ "$("$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); p={t["id"]: t["p"] for t in d["top"]}; print(d["context_tokens"], len(p), p[50257] == p[1000] and p[50259] == p[1002] and p[50257] != p[50258])' "$TMPD/next.json")" = "2 50260 True" ]
then ok; else bad "next on a model with added tokens: $(head -c 300 "$TMPD/next.json") $(cat "$TMPD/err")"; fi

# gpt2 info shows the folder's vocabulary as the commands read it; a broken one fails the check.
expect_out "gpt2 info: the vocabulary" '^added: +50256 "<\|endoftext\|>" \(special\)' "$LMPROB" gpt2 info "$TMPD/added"
if grep -q '^vocabulary:  .*/added/tokenizer.json, 50260 tokens$' "$TMPD/out" && grep -q '^ *50257 "\[PAD\]" (special)$' "$TMPD/out" &&
   grep -q '^ *50258 "<|user|>"$' "$TMPD/out"; then ok; else bad "gpt2 info on a folder with added tokens: $(cat "$TMPD/out")"; fi
if [ "$("$LMPROB" gpt2 info --json "$TMPD/added" | "$PY" -c 'import json,sys; v=json.load(sys.stdin)["vocabulary"]; print(v["tokens"], [(a["id"], a["text"], a["special"]) for a in v["added"]][1:])')" = \
     "50260 [(50257, '[PAD]', True), (50258, '<|user|>', False), (50259, '<|assistant|>', False)]" ] &&
   [ "$("$LMPROB" gpt2 info --json "$HF" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["vocabulary"])')" = None ]
then ok; else bad "gpt2 info --json: the vocabulary"; fi
mkdir -p "$TMPD/badtok" && cp "$TMPD/added/model.safetensors" "$TMPD/added/config.json" "$TMPD/badtok/"
head -c 1000 "$TMPD/added/tokenizer.json" >"$TMPD/badtok/tokenizer.json"
expect_fail "gpt2 info: a broken tokenizer.json" "gpt2 info: vocabulary: .*badtok/tokenizer.json:[0-9]+: column" "$LMPROB" gpt2 info "$TMPD/badtok"

# The same fine-tune saved by a slow tokenizer (vocabulary files, added_tokens.json, special_tokens_map.json; no
# tokenizer.json): the same ids, the same perplexity, [PAD] special.
mkdir -p "$TMPD/legacy" && cp "$TMPD/added/model.safetensors" "$TMPD/added/config.json" "$VOC/encoder.json" "$VOC/vocab.bpe" "$TMPD/legacy/"
printf '{"[PAD]": 50257, "<|user|>": 50258, "<|assistant|>": 50259}' >"$TMPD/legacy/added_tokens.json"
printf '{"eos_token": "<|endoftext|>", "pad_token": {"content": "[PAD]", "lstrip": false}}' >"$TMPD/legacy/special_tokens_map.json"
"$LMPROB" ppl --model "$TMPD/legacy" --per-token "$TMPD/chat.txt" >"$TMPD/legacy.ppl" 2>"$TMPD/err"
if cmp -s "$TMPD/chat.ppl" "$TMPD/legacy.ppl"; then ok; else bad "ppl on a slow tokenizer's folder: $(head -c 300 "$TMPD/legacy.ppl") $(cat "$TMPD/err")"; fi
expect_out "added_tokens.json: [PAD] special, <|user|> not" '^50258 58 47 2885 60$' \
  sh -c "printf '<|user|>[PAD]' | '$LMPROB' tokenize --gpt2-vocab '$TMPD/legacy'"
printf '{"[PAD]": 50257,\n "<|user|>": "x"}' >"$TMPD/legacy/added_tokens.json"
expect_fail "a bad added_tokens.json" 'legacy/added_tokens.json:2: byte 14: added token "<\|user\|>": expected text of 1 to 1024 bytes and an id' \
  "$LMPROB" ppl --model "$TMPD/legacy" "$TMPD/chat.txt"

# A model padded past its vocabulary (resize_token_embeddings(pad_to_multiple_of=64), nanoGPT's 50,304): loaded
# with a note; the extra ids take part in every softmax (rows copied from 0..46 here, so they are exactly as
# likely as those), have no text, and perplexity counts them in the denominator as Hugging Face's loss does.
"$LMPROB" next --model "$TMPD/pad.safetensors" --prompt 'Hello, my dog' --top 50304 --json >"$TMPD/pad.json" 2>"$TMPD/pad.err"
if grep -q "note: .*pad.safetensors has 50304 tokens and its vocabulary 50257: ids 50257..50303 have no text" "$TMPD/pad.err" &&
   [ "$("$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); p={t["id"]: t for t in d["top"]}
print(d["vocab_size"], len(p), all(p[50257 + i]["p"] == p[i]["p"] and p[50257 + i]["token"] == "" for i in range(47)))' "$TMPD/pad.json")" = "50304 50304 True" ]
then ok; else bad "next on a padded model: $(head -c 300 "$TMPD/pad.json") $(cat "$TMPD/pad.err")"; fi
# its perplexity is above the unpadded model's (47 more ids share the mass), by the mass they take
"$LMPROB" ppl --model "$TMPD/pad.safetensors" --json "$TMPD/hello.txt" >"$TMPD/pad_ppl.json" 2>/dev/null
"$LMPROB" ppl --model "$SHARED/gpt2/tiny.safetensors" --json "$TMPD/hello.txt" >"$TMPD/unpad_ppl.json" 2>/dev/null
if [ "$("$PY" -c 'import json,sys; a=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2])); print(a["tokens"] == b["tokens"] and a["perplexity"] > b["perplexity"])' "$TMPD/pad_ppl.json" "$TMPD/unpad_ppl.json")" = True ]
then ok; else bad "ppl of a padded model: $(head -c 200 "$TMPD/pad_ppl.json")"; fi

# generate on a model whose context holds one token: the model named, the command's name once
"$LMPROB" generate --model "$TMPD/ctx1.safetensors" --max-len 3 >"$TMPD/out" 2>"$TMPD/err"
if [ $? -eq 1 ] && grep -q "^lmprob: generate: .*ctx1.safetensors: a context of 1 token (n_ctx): expected n_ctx >= 2" "$TMPD/err" &&
   ! grep -q "generate: generate:" "$TMPD/err"; then ok; else bad "generate on n_ctx 1: $(cat "$TMPD/err")"; fi

# next reads a prompt of exactly n_ctx tokens (the model of 8 above; GPT-2 has no start token to make room
# for): its top token is the argmax of gpt2 logits' last row; one token more is refused.
ids8=$(printf 'a b c d e f g h' | "$LMPROB" tokenize)
want=$("$LMPROB" gpt2 logits --top 1 "$TMPD/ctx8.safetensors" "$ids8" | tail -n 1 | cut -f3 | cut -d: -f1)
"$LMPROB" next --model "$TMPD/ctx8.safetensors" --prompt 'a b c d e f g h' --top 1 --json >"$TMPD/n8.json" 2>"$TMPD/err"
if [ "$(wc -w <<<"$ids8")" -eq 8 ] && [ -n "$want" ] &&
   [ "$("$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["context_tokens"], d["top"][0]["id"])' "$TMPD/n8.json")" = "8 $want" ]
then ok; else bad "next with a prompt of n_ctx tokens: $(cat "$TMPD/n8.json" "$TMPD/err")"; fi
expect_fail "next: a prompt of n_ctx + 1 tokens" "next: --prompt: 9 tokens: expected at most the model's context of 8" \
  "$LMPROB" next --model "$TMPD/ctx8.safetensors" --prompt 'a b c d e f g h i' --top 1
# a usage error (exit 2), as gpt2 logits' ids and ppl's --window above n_ctx: next and generate exited 1
for c in next generate; do
  "$LMPROB" $c --model "$TMPD/ctx8.safetensors" --prompt 'a b c d e f g h i' >/dev/null 2>"$TMPD/err"
  rc=$?
  [ $rc = 2 ] && grep -q -- "--prompt: 9 tokens" "$TMPD/err" && ok || bad "$c: a prompt above n_ctx: exit $rc: $(cat "$TMPD/err")"
done

# ---- bad input: a message naming the cause, nothing on stdout ------------------------------------------------
expect_fail "window above n_ctx" "ppl: --window: expected at most the context of .*tiny-hf, 1024 tokens \\(n_ctx\\), got '2048'" "$LMPROB" ppl --model "$HF" --window 2048 "$TMPD/hello.txt"
for c in "ppl --model $HF" "kl --model $HF --model $HF"; do
  name=${c%% *}
  # two values of the command line that conflict: a usage error, and the text is not blamed
  "$LMPROB" $c --window 10 --stride 11 --json "$T100" >"$TMPD/out" 2>"$TMPD/err"
  if [ $? -eq 2 ] && [ ! -s "$TMPD/out" ] && grep -q "^lmprob: $name: --stride: expected 1 <= stride <= window (10), got '11'$" "$TMPD/err"; then ok
  else bad "$name --window 10 --stride 11: $(cat "$TMPD/out" "$TMPD/err")"; fi
  # a model whose context holds one token: the model is named, not the text
  "$LMPROB" ${c//$HF/$TMPD/ctx1.safetensors} --json "$T100" >"$TMPD/out" 2>"$TMPD/err"
  if [ $? -eq 1 ] && [ ! -s "$TMPD/out" ] && grep -q "$name: .*ctx1.safetensors: a context of 1 token (n_ctx): expected n_ctx >= 2" "$TMPD/err"; then ok
  else bad "$name on a model of n_ctx 1: $(cat "$TMPD/out" "$TMPD/err")"; fi
  # a folder as TEXT: said as tokenize says it
  expect_fail "$name: a folder as TEXT" "$name: $TMPD: cannot read: Is a directory" "$LMPROB" $c "$TMPD"
done
expect_fail "--mode word on GPT-2" "GPT-2 reads text with its BPE tokenizer" "$LMPROB" ppl --model "$HF" --mode word "$TMPD/hello.txt"
expect_fail "no vocabulary" "GPT-2 vocabulary" "$LMPROB" ppl --model "$HF" --gpt2-vocab "$TMPD/novocab" "$TMPD/hello.txt"
expect_fail "a folder without model.safetensors" "$TMPD: a folder without model.safetensors or pytorch_model.bin: expected a Hugging Face GPT-2 folder" "$LMPROB" ppl --model "$TMPD" "$TMPD/hello.txt"
# a folder with model.safetensors and no config.json: the config from the file, as gpt2 info and lmp_gpt2_load read it
mkdir -p "$TMPD/nocfg" && cp "$SHARED/gpt2/tiny.safetensors" "$TMPD/nocfg/model.safetensors"
"$LMPROB" ppl --model "$TMPD/nocfg" --json "$TMPD/hello.txt" >"$TMPD/out_nocfg" 2>"$TMPD/err"
"$LMPROB" ppl --model "$SHARED/gpt2/tiny.safetensors" --json "$TMPD/hello.txt" >"$TMPD/out_bare" 2>>"$TMPD/err"
if [ -s "$TMPD/out_nocfg" ] && cmp -s <(grep -o '"perplexity": [^,]*' "$TMPD/out_nocfg") <(grep -o '"perplexity": [^,]*' "$TMPD/out_bare"); then ok
else bad "ppl on a folder without config.json: $(head -c 300 "$TMPD/out_nocfg" "$TMPD/err")"; fi
# no config at all (a bare file without __metadata__): the head count is a guess, and says so on stderr
/usr/bin/python3 - "$SHARED/gpt2/tiny.safetensors" "$TMPD/nometa/model.safetensors" <<'PY'
import json, os, struct, sys
b = open(sys.argv[1], "rb").read()
n = struct.unpack("<Q", b[:8])[0]
h = {k: v for k, v in json.loads(b[8:8 + n]).items() if k != "__metadata__"}
hb = json.dumps(h).encode()
hb += b" " * ((8 - len(hb) % 8) % 8)
os.makedirs(os.path.dirname(sys.argv[2]), exist_ok=True)
open(sys.argv[2], "wb").write(struct.pack("<Q", len(hb)) + hb + b[8 + n:])
PY
expect_ok "ppl on a model without any config" "$LMPROB" ppl --model "$TMPD/nometa" "$TMPD/hello.txt"
if grep -q "note: .*nometa has no config .*: n_head = 1 is n_embd / 64" "$TMPD/err"; then ok
else bad "no note on a guessed head count: $(head -c 300 "$TMPD/err")"; fi
if grep -q "note:" <("$LMPROB" ppl --model "$TMPD/nocfg" "$TMPD/hello.txt" 2>&1 >/dev/null); then
  bad "a note on a model whose file has its config"; else ok; fi
# --recipe chapter (or hf) in text: the counts and ln probability are the exact sum's, the bits the recipe's,
# and each line says which (they were printed side by side unlabelled)
"$LMPROB" ppl --model "$HF" --recipe chapter "$SHARED/gpt2/sliding/text_1500.txt" >"$TMPD/rc.out" 2>&1
if grep -q '^ln probability (exact):' "$TMPD/rc.out" && grep -q '^Bits per token (chapter):' "$TMPD/rc.out" &&
   grep -q '^Bits per byte (chapter):' "$TMPD/rc.out"; then ok; else bad "recipe lines unlabelled: $(cat "$TMPD/rc.out")"; fi
expect_fail "prompt longer than the context" "expected at most the model's context of 1024" "$LMPROB" generate --model "$HF" --prompt "$(head -c 6000 "$SHARED/gpt2/sliding/text_5000.txt")"
# a prompt that fills the context (1,024 tokens): the first token is drawn from the whole of it, so greedy
# generation gives next's top token (the prompt was refused; after a full context the shift came before the
# draw, whose distribution then had the newer 512 tokens)
P1024=$(cat "$SHARED/gpt2/sliding/text_1024.txt")
"$LMPROB" generate --model "$HF" --prompt "$P1024" --temperature 0 --max-len 2 --json --threads 1 >"$TMPD/full.json" 2>/dev/null
"$LMPROB" next --model "$HF" --prompt "$P1024" --top 1 --json --threads 1 >"$TMPD/full_next.json" 2>"$TMPD/err"
if /usr/bin/env python3 - "$TMPD/full.json" "$TMPD/full_next.json" <<'PY'
import json, sys
g = json.load(open(sys.argv[1]))["sentences"][0]
n = json.load(open(sys.argv[2]))
assert n["context_tokens"] == 1024, n["context_tokens"]
assert g["generated"] == 2, g["generated"]
# the first generated token is the one after the 1,024-token prompt
assert g["words_hex"][-2] == n["top"][0]["token_hex"], (g["words_hex"][-2:], n["top"][0])
PY
then ok; else bad "generate after a full context: not next's top token ($(head -c 200 "$TMPD/full.json"))"; fi
# a config whose bos_token_id is not its eos: an empty prompt starts from bos_token_id, as Hugging Face's generate
# (it started from eos_token_id: another distribution, other text), the same as a prompt of that one token
mkdir -p "$TMPD/bos"
ln -s "$HF/model.safetensors" "$TMPD/bos/model.safetensors"
sed 's/"bos_token_id": 50256/"bos_token_id": 464/' "$HF/config.json" >"$TMPD/bos/config.json"
expect_out "gpt2 info: bos" "^bos: +464$" "$LMPROB" gpt2 info "$TMPD/bos"
"$LMPROB" next --model "$TMPD/bos" --json --threads 1 >"$TMPD/bos_empty.json" 2>"$TMPD/err" || bad "next, empty prompt: $(cat "$TMPD/err")"
"$LMPROB" next --model "$TMPD/bos" --prompt The --json --threads 1 >"$TMPD/bos_the.json" 2>"$TMPD/err" || bad "next --prompt The: $(cat "$TMPD/err")"
"$PY" - "$TMPD/bos_empty.json" "$TMPD/bos_the.json" <<'PY' && ok || bad "an empty prompt did not start from bos_token_id 464 ('The')"
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
assert [t["id"] for t in a["top"]] == [t["id"] for t in b["top"]], (a["top"][:3], b["top"][:3])
assert abs(a["entropy_nats"] - b["entropy_nats"]) < 1e-12
PY
# ---- accuracy of close and confident models (the rule: a few ulps times the condition number) ----
# Two copies of the tiny model: its weights times 1 + 1e-6 (logits ~1e-6 apart: KL ~ 6e-14) and its final layer
# norm times 30 (confident rows: log-probabilities ~ -2e-6). References in long double from the float logits
# `gpt2 logits --output` gives, in forms that keep their digits (log1p, expm1). kl compared float
# log-probabilities rounded per model (110 % off); ppl's log-sum-exp summed float exps (3.6e-5 off).
"$PY" - "$HF" "$TMPD" <<'PY' || bad "could not write the scaled copies of the tiny model"
import json, os, shutil, struct, sys
import numpy as np
src, out = sys.argv[1], sys.argv[2]
raw = open(src + "/model.safetensors", "rb").read()
n = struct.unpack("<Q", raw[:8])[0]
hdr, base = json.loads(raw[8:8 + n]), 8 + n
def write(name, scale):
    os.makedirs(out + "/" + name, exist_ok=True)
    shutil.copy(src + "/config.json", out + "/" + name)
    b = bytearray(raw)
    for k, v in hdr.items():
        if k == "__metadata__":
            continue
        s, e = v["data_offsets"]
        a = np.frombuffer(raw[base + s:base + e], dtype="<f4") * np.float32(scale(k))
        b[base + s:base + e] = a.astype("<f4").tobytes()
    open(out + "/" + name + "/model.safetensors", "wb").write(b)
write("close", lambda k: 1 + 1e-6)
write("confident", lambda k: 30.0 if "ln_f" in k else 1.0)
PY
printf 'The quick brown fox jumps over the lazy dog. It was a sunny day.' >"$TMPD/acc.txt"
"$LMPROB" tokenize "$TMPD/acc.txt" >"$TMPD/acc.ids" 2>/dev/null || bad "tokenize acc.txt"
ids=$(tr ' ' ',' <"$TMPD/acc.ids" | tr -d '\n')
for m in "$HF" "$TMPD/close" "$TMPD/confident"; do
  "$LMPROB" gpt2 logits --output "$TMPD/$(basename "$m").f32" "$m" "$ids" 2>"$TMPD/err" || bad "gpt2 logits $m: $(cat "$TMPD/err")"
done
"$LMPROB" kl --model "$HF" --model "$TMPD/close" --json --per-position "$TMPD/acc.txt" >"$TMPD/acc_kl.json" 2>"$TMPD/err" || bad "kl close: $(cat "$TMPD/err")"
"$LMPROB" ppl --model "$TMPD/confident" --json --per-token "$TMPD/acc.txt" >"$TMPD/acc_ppl.json" 2>"$TMPD/err" || bad "ppl confident: $(cat "$TMPD/err")"
"$PY" - "$TMPD" <<'PY' && ok || bad "close or confident models: KL or log-probabilities off (see above)"
import json, sys
import numpy as np
d = sys.argv[1]
L = np.longdouble
def rows(name):
    return np.fromfile(d + "/" + name + ".f32", dtype="<f4").reshape(-1, 50257).astype(L)
def logprobs(r):  # (r - m) - log1p(sum of the rest), in long double
    m = r.max(); im = int(r.argmax()); e = np.exp(r - m); e[im] = 0
    return (r - m) - np.log1p(e.sum())
A, B, C = rows("tiny-hf"), rows("close"), rows("confident")
worst = 0.0
for t in json.load(open(d + "/acc_kl.json"))["per_position"]:
    la, lb = logprobs(A[t["pos"] - 1]), logprobs(B[t["pos"] - 1])
    dl = la - lb
    kab = float(np.sum(np.exp(la) * (np.expm1(-dl) + dl)))  # sum pa phi(-d): no cancellation
    kba = float(np.sum(np.exp(lb) * (np.expm1(dl) - dl)))
    for got, want in ((t["kl_ab"], kab), (t["kl_ba"], kba)):
        worst = max(worst, abs(got - want) / want)
    assert abs(t["ln_p_a"] - float(la[t["id"]])) <= 1e-15 * abs(la[t["id"]]), t
assert 1e-15 < kab < 1e-12, kab  # the case is what it says: KL ~ 6e-14
assert worst < 1e-8, "kl of close models: relative error %g (it was about 1)" % worst
worst = 0.0
for t in json.load(open(d + "/acc_ppl.json"))["per_token"]:
    want = float(logprobs(C[t["pos"] - 1])[t["id"]])
    worst = max(worst, abs(t["ln_prob"] - want) / abs(want))
assert worst < 1e-12, "ppl of a confident model: per-token relative error %g" % worst
PY
finish
