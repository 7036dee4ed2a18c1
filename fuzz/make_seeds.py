#!/usr/bin/env python3
"""Seed corpora of the fuzz targets (fuzz/README.md).

    fuzz/make_seeds.py small          rewrite fuzz/corpus/<target>/ (committed; a few KB each)
    fuzz/make_seeds.py big DIR        write the large corpus seeds (inputs of 100-600 KiB, the
                                      compressed reader's refills) into DIR (make's rule puts them
                                      in build/fuzz/seeds/corpus; not committed)

"small" takes its material from the test fixtures (tests/fixtures), ../shared/golden/reference.json,
../shared/gpt2/tokenizer_cases.json and, for the binary models, `lmprob model convert` ($LMPROB,
default build/lmprob). Everything is deterministic."""
import gzip, io, json, lzma, os, random, struct, subprocess, sys, tempfile, zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "fuzz", "corpus")


def put(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def fixture(p):
    with open(os.path.join(ROOT, "tests", "fixtures", p), "rb") as f:
        return f.read()


ARPAS = ["model/tiny.arpa", "model/nounk.arpa", "model/pruned.arpa", "ngtools/hand.arpa", "ngtools/uni_a.arpa"]


def arpa():
    for p in ARPAS:
        put("arpa", os.path.basename(p), fixture(p))
    put("arpa", "tiny.arpa.gz", gzip.compress(fixture("model/tiny.arpa"), mtime=0))
    put("arpa", "hand.arpa.xz", lzma.compress(fixture("ngtools/hand.arpa")))


def binary():
    lmprob = os.environ.get("LMPROB", os.path.join(ROOT, "build", "lmprob"))
    with tempfile.TemporaryDirectory() as t:
        for p in ["model/tiny.arpa", "ngtools/hand.arpa", "model/nounk.arpa"]:
            b = os.path.basename(p)[:-5]
            src = os.path.join(ROOT, "tests", "fixtures", p)
            for ext, extra in [("bin", []), ("trie", [])] + ([("q8.trie", ["-q", "8", "-b", "8"])] if b == "hand" else []):
                out = os.path.join(t, f"{b}.{ext}")
                subprocess.run([lmprob, "model", "convert"] + extra + [src, out], check=True)
                with open(out, "rb") as f:
                    put("binary", f"{b}.{ext}", f.read())


def corpus():
    text = fixture("train_small.txt")[:3000]
    # selector byte: bits 0-1 mode, 2 replace_invalid, 3 skip_markers, 4-5 how (0 as is, 1 gzip,
    # 2 xz, 3 gzip in two members), 6 max_line 200, 7 stored
    for sel, name in [(0x00, "word"), (0x01, "char"), (0x02, "byte"), (0x14, "gzip-replace"), (0x21, "xz-char"),
                      (0x38, "gzip2-skip"), (0x90, "gzip-stored"), (0xa0, "xz-stored"), (0x40, "maxline")]:
        put("corpus", name, bytes([sel]) + text)
    put("corpus", "invalid-utf8", b"\x04a b \xff\xc0\x80 c\r\nd <s> e\n\xe2\x82\n")
    put("corpus", "markers", b"\x08<s> a </s>\n\n\r\nb\x00c\tz")
    put("corpus", "raw-gzip", b"\x00" + gzip.compress(text, mtime=0))
    put("corpus", "raw-gzip-multi", b"\x00" + gzip.compress(text[:500], mtime=0) + gzip.compress(text[500:900], mtime=0))
    put("corpus", "raw-xz", b"\x00" + lzma.compress(text[:1000]))
    put("corpus", "raw-gzip-truncated", b"\x00" + gzip.compress(text, mtime=0)[:-20])


def big(outdir):
    """Inputs past 64 KiB of compressed data: stored gzip/xz of ~150-600 KiB of words (the issue's
    "corpus larger than about 64 KiB is corrupt"), and as-is gzip/xz files of that size."""
    os.makedirs(outdir, exist_ok=True)
    rng = random.Random(11)
    words = [("".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(1, 9)))) for _ in range(3000)]

    def text(nbytes):
        out, n = [], 0
        while n < nbytes:
            line = " ".join(rng.choice(words) for _ in range(rng.randint(0, 25))) + "\n"
            out.append(line)
            n += len(line)
        return "".join(out).encode()

    t150, t300, t600 = text(150 << 10), text(300 << 10), text(600 << 10)
    seeds = {
        "big-gzip-stored-150k": bytes([0x90]) + t150,
        "big-xz-stored-300k": bytes([0xa0]) + t300,
        "big-gzip2-stored-600k": bytes([0xb0]) + t600,
        "big-gzip-300k": bytes([0x10]) + t300,
        "big-raw-gzip-200k": b"\x00" + gzip.compress(t600, compresslevel=1, mtime=0)[: 200 << 10],
        "big-raw-xz-200k": b"\x00" + lzma.compress(t600, preset=0)[: 200 << 10],
        "big-raw-gzip-full": b"\x00" + gzip.compress(t600, compresslevel=1, mtime=0),
        "big-raw-xz-full": b"\x00" + lzma.compress(t600, preset=0),
    }
    for k, v in seeds.items():
        with open(os.path.join(outdir, k), "wb") as f:
            f.write(v)


def json_seeds():
    put("json", "object", '{"a": [1, -2.5e-3, true, false, null], "b": {"c": "d\\u00e9\\n\\"x\\""}, "e": []}')
    put("json", "surrogates", '["\\ud83d\\ude00", "\\u0000", "\\ud800\\u0041", "\xc3\xa9"]')
    put("json", "numbers", "[0, -0, 1e308, 1e-320, 123456789012345678901234567890, -1.5E+3, 0.1]")
    put("json", "deep", "[" * 40 + "1" + "]" * 40)
    put("json", "config", '{"n_layer": 1, "n_head": 2, "n_embd": 32, "n_positions": 8, "vocab_size": 40, "layer_norm_epsilon": 1e-5}')


def verify():
    with open(os.path.join(ROOT, "..", "shared", "golden", "reference.json")) as f:
        ref = json.load(f)
    by_fn = {}
    for c in ref["cases"]:
        by_fn.setdefault(c["function"], c)
    cases = list(by_fn.values())
    for i in range(0, len(cases), 8):
        put("verify", f"golden-{i // 8:02d}.json", json.dumps({"schema": 1, "cases": cases[i:i + 8]}, indent=0))
    put("verify", "generators.json", json.dumps({"schema": 1, "cases": [
        {"name": "gen", "function": "logsumexp", "args": {"x": {"size": 4, "fill": 1.0, "set": {"0": 2.0}}},
         "expected": 2.0, "rtol": [1e-3]},
        {"name": "ramp", "function": "softmax", "args": {"x": {"size": 3, "start": 0, "step": 1}},
         "expected": [0.09, 0.24, 0.66], "atol": 0.01}]}))


def cli_numbers():
    # first byte % 8: 0 double, 1 long, 2 u64, 3 list, 4 file, 5 logits file, 6 table, 7 decode argv
    for i, s in enumerate(["1.5", "-0x1p3", "1e308", "inf", " 7", "nan"]):
        put("cli_numbers", f"double-{i}", b"\x00" + s.encode())
    for i, s in enumerate(["42", "-9223372036854775808", "99999999999999999999", " -1", "+3"]):
        put("cli_numbers", f"long-{i}", b"\x01" + s.encode())
        put("cli_numbers", f"u64-{i}", b"\x02" + s.encode())
    for i, s in enumerate(["0.1,0.2 0.7", "1,,2", ",", "1e400,2"]):
        put("cli_numbers", f"list-{i}", b"\x03" + s.encode())
    put("cli_numbers", "file", b"\x04" + b"1 2 3\n4,5\n\n6e-3\n")
    put("cli_numbers", "logits", b"\x05" + b"3 2 -inf\n1.5\x002\n-1e39\n")
    put("cli_numbers", "table", b"\x06" + b"1 2\n3 4\n\n5,6\n")
    put("cli_numbers", "table-ragged", b"\x06" + b"1 2\n3\n")
    put("cli_numbers", "decode", b"\x07" + b"--logits\n3,2,1.5,-inf\n--top-k\n2\n--top-p\n0.9\n--temperature\n0.7\n--seed\n5\n--json")
    put("cli_numbers", "decode-min-p", b"\x07" + b"--logits=1,1,1,1\n--min-p\n0.1\n--typical\n0.5\n--names\na,b,c,d\n--counts\n--digits\n6\n--top\n3")
    put("cli_numbers", "decode-penalty", b"\x07" + b"--logits\n0 0 0\n--history\n0,1,1\n--repetition-penalty\n1.3\n--frequency-penalty\n0.5\n--presence-penalty\n0.2")


# ---- GPT-2: a tiny checkpoint (vocab 8, 4 positions, width 8, 2 heads, 1 layer) ------------------
def tiny_gpt2(meta=None, f16=False):
    C, V, P, F = 8, 8, 4, 32
    shapes = [("wte.weight", [V, C]), ("wpe.weight", [P, C]), ("ln_f.weight", [C]), ("ln_f.bias", [C]),
              ("h.0.ln_1.weight", [C]), ("h.0.ln_1.bias", [C]), ("h.0.attn.c_attn.weight", [C, 3 * C]),
              ("h.0.attn.c_attn.bias", [3 * C]), ("h.0.attn.c_proj.weight", [C, C]), ("h.0.attn.c_proj.bias", [C]),
              ("h.0.ln_2.weight", [C]), ("h.0.ln_2.bias", [C]), ("h.0.mlp.c_fc.weight", [C, F]),
              ("h.0.mlp.c_fc.bias", [F]), ("h.0.mlp.c_proj.weight", [F, C]), ("h.0.mlp.c_proj.bias", [C])]
    rng = random.Random(5)
    hdr, data = {}, b""
    if meta is not None:
        hdr["__metadata__"] = meta
    for name, shape in shapes:
        n = 1
        for d in shape:
            n *= d
        vals = [rng.uniform(-0.1, 0.1) + (1.0 if "ln_" in name and name.endswith("weight") else 0) for _ in range(n)]
        blob = struct.pack(f"<{n}e" if f16 else f"<{n}f", *vals)
        hdr[name] = {"dtype": "F16" if f16 else "F32", "shape": shape, "data_offsets": [len(data), len(data) + len(blob)]}
        data += blob
    h = json.dumps(hdr, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    return struct.pack("<Q", len(h)) + h + data


def torch_pickle(st, f16_names=(), shared=None, legacy=False):
    """The tensors of the safetensors file st as torch.save pickles a state dict (protocol 2, the opcodes and
    globals torch emits, memo included): (pickle bytes, [(storage key, bytes, element size)]). f16_names:
    tensors stored as HalfStorage; shared = (name, of): name saved as a view of the storage of `of` (lm_head.weight of wte's when
    tied); legacy: the persistent ids of PyTorch before 1.6 (a sixth item, the view: None)."""
    n = struct.unpack("<Q", st[:8])[0]
    hdr = json.loads(st[8:8 + n])
    base = 8 + n
    memo = {}
    out = bytearray(b"\x80\x02")

    def uni(x):
        b = x.encode()
        return b"X" + struct.pack("<I", len(b)) + b

    def glob(mod, name):  # GLOBAL, memoised: BINGET on the next use
        key = mod + "." + name
        if key in memo:
            return b"h" + bytes([memo[key]])
        memo[key] = len(memo)
        return b"c" + mod.encode() + b"\n" + name.encode() + b"\n" + b"q" + bytes([memo[key]])

    def ints(v):
        return b"(" + b"".join(b"J" + struct.pack("<i", x) for x in v) + b"t"

    storages, keys = [], {}
    out += glob("collections", "OrderedDict") + b")R("
    names = [k for k in hdr if k != "__metadata__"] + ([shared[0]] if shared else [])
    for name in names:
        src = shared[1] if shared and name == shared[0] else name
        v = hdr[src]
        s0, e0 = v["data_offsets"]
        blob = st[base + s0:base + e0]
        half = src in f16_names
        if half:
            blob = struct.pack("<%de" % (len(blob) // 4), *struct.unpack("<%df" % (len(blob) // 4), blob))
        if src not in keys:
            keys[src] = str(len(keys))
            storages.append((keys[src], blob, 2 if half else 4))
        numel = len(blob) // (2 if half else 4)
        stride, acc = [], 1
        for d in reversed(v["shape"]):
            stride.insert(0, acc)
            acc *= d
        out += uni(name) + glob("torch._utils", "_rebuild_tensor_v2") + b"(("
        out += uni("storage") + glob("torch", "HalfStorage" if half else "FloatStorage") + uni(keys[src]) + uni("cpu")
        out += b"J" + struct.pack("<i", numel) + (b"N" if legacy else b"") + b"tQK\x00" + ints(v["shape"]) + ints(stride)
        out += b"\x89" + glob("collections", "OrderedDict") + b")RtR"
    out += b"u."
    return bytes(out), storages


def torch_zip(st, **kw):
    """torch.save's format since PyTorch 1.6: a zip of stored entries, archive/data.pkl and archive/data/<key>."""
    pkl, storages = torch_pickle(st, **kw)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        for name, data in [("archive/data.pkl", pkl), ("archive/byteorder", b"little"), ("archive/version", b"3\n")] + \
                [("archive/data/" + k, b) for k, b, _ in storages]:
            z.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), data)
    return buf.getvalue()


def torch_legacy(st, **kw):
    """torch.save's format before PyTorch 1.6: the magic number, 1001, sys_info, the state dict and the sorted
    storage keys as five pickles, then each storage (int64 element count, bytes) in the keys' order."""
    pkl, storages = torch_pickle(st, legacy=True, **kw)
    magic = b"\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19."
    version = b"\x80\x02M\xe9\x03."
    info = b"\x80\x02}(X\x10\x00\x00\x00protocol_versionM\xe9\x03X\x0d\x00\x00\x00little_endian\x88u."
    storages.sort()
    keys = b"\x80\x02](" + b"".join(b"X" + struct.pack("<I", len(k)) + k.encode() for k, _, _ in storages) + b"e."
    data = b"".join(struct.pack("<q", len(b) // es) + b for _, b, es in storages)
    return magic + version + info + pkl + keys + data


CFG = '{"n_layer": 1, "n_head": 2, "n_embd": 8, "n_positions": 4, "vocab_size": 8}'


def gpt2():
    st = tiny_gpt2()
    put("safetensors", "tiny.safetensors", st)
    put("safetensors", "tiny-f16.safetensors", tiny_gpt2(f16=True))
    put("safetensors", "meta.safetensors", tiny_gpt2(meta={"format": "pt", "n_layer": "1"}))
    empty = b"{}      "
    put("safetensors", "empty", struct.pack("<Q", len(empty)) + empty)
    put("gpt2", "with-config", CFG.encode() + b"\n#safetensors\n" + st)
    put("gpt2", "no-config", st)
    put("gpt2", "meta-config", tiny_gpt2(meta={"n_layer": "1", "n_head": "2", "n_embd": "8", "n_positions": "4",
                                                "vocab_size": "8"}))
    put("gpt2", "f16", CFG.encode() + b"\n#safetensors\n" + tiny_gpt2(f16=True))
    put("gpt2", "torch", CFG.encode() + b"\n#safetensors\n" + torch_zip(st))
    put("gpt2", "torch-f16-tied", CFG.encode() + b"\n#safetensors\n" +
        torch_zip(st, f16_names=("h.0.mlp.c_fc.weight",), shared=("lm_head.weight", "wte.weight")))
    put("torch_ckpt", "tiny.bin", torch_zip(st))
    put("torch_ckpt", "tied.bin", torch_zip(st, shared=("lm_head.weight", "wte.weight")))
    put("torch_ckpt", "legacy.bin", torch_legacy(st, shared=("lm_head.weight", "wte.weight")))
    put("gpt2", "torch-legacy", CFG.encode() + b"\n#safetensors\n" + torch_legacy(st))
    put("gpt2", "hf-config", b'{"n_layer": 1, "n_head": 2, "n_embd": 8, "n_positions": 4, "vocab_size": 8, '
        b'"layer_norm_epsilon": 1e-05, "activation_function": "gelu_new", "n_inner": null, '
        b'"scale_attn_weights": true, "tie_word_embeddings": true}\n#safetensors\n' + st)


# ---- tokenizer ----------------------------------------------------------------------------------
def byte_alphabet():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAC + 1)) + list(range(0xAE, 0xFF + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


def tiny_vocab():
    """256 byte tokens, then merges making " t", "he", " the", "in", "ing", " a", "<|endoftext|>" last."""
    a = byte_alphabet()
    enc = {a[b]: b for b in range(256)}
    merges = []
    for x, y in [(b" ", b"t"), (b"h", b"e"), (b" t", b"he"), (b"i", b"n"), (b"in", b"g"), (b" ", b"a"), (b"e", b"r")]:
        nx, ny = "".join(a[c] for c in x), "".join(a[c] for c in y)
        merges.append(f"{nx} {ny}")
        enc[nx + ny] = len(enc)
    enc["<|endoftext|>"] = len(enc)
    return enc, merges


def tok():
    enc, merges = tiny_vocab()
    ej = json.dumps(enc, ensure_ascii=False).encode()
    put("tok_vocab", "openai", b"\x00" + ej + b"\n#--#\n" + ("#version: 0.2\n" + "\n".join(merges) + "\n").encode())
    put("tok_vocab", "hf", b"\x01" + ej + b"\n#--#\n" + ("#version: 0.2\n" + "\n".join(merges) + "\n").encode())
    a = byte_alphabet()
    inv = {v: k for k, v in a.items()}
    import base64
    lines = []
    for name, rank in sorted(enc.items(), key=lambda kv: kv[1]):
        if name == "<|endoftext|>":
            continue
        lines.append(base64.b64encode(bytes(inv[ch] for ch in name)).decode() + f" {rank}")
    put("tok_vocab", "tiktoken", b"\x02" + ("\n".join(lines) + "\n").encode())
    # tokenizer.json: the same vocabulary and merges (as pairs), <|endoftext|> and two added tokens past it
    added = [{"id": enc["<|endoftext|>"], "content": "<|endoftext|>", "special": True, "normalized": False},
             {"id": len(enc), "content": "[PAD]", "special": True, "normalized": False},
             {"id": len(enc) + 1, "content": "<|x|>", "special": False, "normalized": True}]
    tj = {"added_tokens": added, "normalizer": None,
          "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "use_regex": True},
          "post_processor": {"type": "ByteLevel"}, "decoder": {"type": "ByteLevel"},
          "model": {"type": "BPE", "dropout": None, "vocab": enc, "merges": [m.split(" ") for m in merges]}}
    put("tok_vocab", "tokenizer_json", b"\x03" + json.dumps(tj, ensure_ascii=False).encode())
    with open(os.path.join(ROOT, "..", "shared", "gpt2", "tokenizer_cases.json")) as f:
        cases = json.load(f)["cases"]
    seen = 0
    for i, c in enumerate(cases):
        raw = bytes.fromhex(c["input_utf8_hex"])
        if not raw or len(raw) > 400:
            continue
        # selector: flags in bits 0-2, chunking in bits 3-7: vary them over the cases
        sel = (i * 37) & 0xff
        put("tok_encode", f"case-{seen:02d}", bytes([sel]) + raw)
        seen += 1
        if seen >= 40:
            break
    put("tok_encode", "invalid", b"\x0a" + b"a\xff\xfe b\xc0\xaf \xed\xa0\x80 \xf4\x90\x80\x80 end")
    put("tok_encode", "special", b"\x01" + b"hi<|endoftext|>there <|endof" + b"text|><|endoftext|>")
    put("tok_encode", "spaces", b"\x20" + b"   \n\n\t  x   \r\n y" + " \u3000\u00a0z".encode())


def main():
    if sys.argv[1:2] == ["big"]:
        big(sys.argv[2])
        return
    if sys.argv[1:2] != ["small"]:
        sys.exit(__doc__)
    for f in (arpa, binary, corpus, json_seeds, verify, cli_numbers, gpt2, tok):
        f()


if __name__ == "__main__":
    main()
