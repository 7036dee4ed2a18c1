"""The GPT-2 tokenizer (tiktoken's API) and lmprob.GPT2 against the shared reference material
(../shared/gpt2: the cases all tokenizers agree on, the tiny model's float64 logits, the
sliding-window perplexities) and against the CLI."""
import json
import math
import os
import pickle
import shutil
import unittest

from common import GPT2_DIR, ROOT, TMP, cli_json, lmprob, np, run_threads


def encoding():
    try:
        return lmprob.get_encoding("gpt2")
    except FileNotFoundError as e:  # make python copies build/gpt2; without npm there is none
        raise unittest.SkipTest(str(e))


class TestTokenizer(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.enc = encoding()
        with open(os.path.join(GPT2_DIR, "tokenizer_cases.json")) as f:
            cls.cases = json.load(f)["cases"]

    def test_reference_cases(self):
        enc = self.enc
        for c in self.cases:
            raw = bytes.fromhex(c["input_utf8_hex"])
            text = raw.decode("utf-8", "replace")  # what a Python caller holds; invalid bytes -> U+FFFD
            self.assertEqual(enc.encode_ordinary(text), c["ids"], c["name"])
            self.assertEqual(enc.encode(text, disallowed_special=()), c["ids"], c["name"])
            self.assertEqual(enc.encode(text, allowed_special="all"), c["special_allowed_ids_tiktoken"], c["name"])
            self.assertEqual(enc._encode(raw), c["ids"], c["name"])  # bytes: the library's U+FFFD rule
            self.assertEqual([t.hex() for t in enc.decode_tokens_bytes(c["ids"])], c["decoded_tokens_hex"])
            if c["valid_utf8"]:
                self.assertEqual(enc.decode(c["ids"]), text)
        self.assertEqual(enc.encode_batch([bytes.fromhex(c["input_utf8_hex"]).decode("utf-8", "replace")
                                           for c in self.cases], disallowed_special=()),
                         [c["ids"] for c in self.cases])

    def test_tiktoken_rules(self):
        enc = self.enc
        self.assertEqual(enc.n_vocab, 50257)
        self.assertEqual(enc.eot_token, 50256)
        self.assertEqual(enc.max_token_value, 50256)
        self.assertEqual(enc.special_tokens_set, {"<|endoftext|>"})
        self.assertEqual(enc.name, "gpt2")
        self.assertIs(lmprob.get_encoding("gpt2"), enc)
        self.assertEqual(lmprob.get_encoding("r50k_base").encode("hello world"), [31373, 995])
        with self.assertRaisesRegex(ValueError, "disallowed special token"):
            enc.encode("a<|endoftext|>b")
        self.assertEqual(enc.encode("a<|endoftext|>b", allowed_special={"<|endoftext|>"}), [64, 50256, 65])
        self.assertEqual(enc.encode("a<|endoftext|>b", disallowed_special=()), enc.encode_ordinary("a<|endoftext|>b"))
        with self.assertRaisesRegex(ValueError, "disallowed"):
            enc.encode_batch(["ok", "x<|endoftext|>"])
        self.assertEqual(enc.encode_single_token(" the"), 262)
        self.assertEqual(enc.encode_single_token("<|endoftext|>"), 50256)
        with self.assertRaises(KeyError):
            enc.encode_single_token("not one token at all")
        self.assertEqual(enc.decode_single_token_bytes(262), b" the")
        text, offsets = enc.decode_with_offsets(enc.encode("hello world"))
        self.assertEqual((text, offsets), ("hello world", [0, 5]))
        a = enc.encode_to_numpy("hello world")
        self.assertEqual((a.dtype, a.tolist()), (np.uint32, [31373, 995]))
        tbv = enc.token_byte_values()
        self.assertEqual((len(tbv), tbv[:3], tbv == sorted(tbv)), (50256, [b"\x00", b"\x01", b"\x02"], True))
        self.assertEqual(enc.encode_batch(t for t in ["hello world", "bye"]), [[31373, 995], [16390]])
        self.assertEqual(pickle.loads(pickle.dumps(enc)).encode("hi"), enc.encode("hi"))
        with self.assertRaisesRegex(ValueError, "Unknown encoding"):
            lmprob.get_encoding("cl100k_base")

    def test_surrogates_and_errors(self):
        enc = self.enc
        # a lone surrogate becomes one U+FFFD (tiktoken re-decodes through UTF-16 with "replace")
        self.assertEqual(enc.encode("a\ud800b"), enc.encode("a\ufffdb"))
        with self.assertRaisesRegex(ValueError, r"tokens\[1\] = 60000"):
            enc.decode([1, 60000])
        with self.assertRaises(TypeError):
            enc.encode(123)
        with self.assertRaisesRegex(TypeError, "got bool"):  # bools are no token ids (read as 1 and 0 before)
            enc.decode(np.array([True, False]))
        with self.assertRaises(TypeError):
            enc.encode_batch("one string")
        self.assertEqual(enc.decode(np.array([31373, 995], dtype=np.int64)), "hello world")
        self.assertEqual(enc.decode([]), "")
        self.assertEqual(enc.decode(enc.encode("\u00e9")[:1] if len(enc.encode("\u00e9")) > 1 else [128]),
                         enc.decode_bytes([128]).decode("utf-8", "replace"))

    def test_long_text_and_threads(self):
        enc = self.enc
        path = os.path.join(GPT2_DIR, "..", "data", "tinyshakespeare", "input.txt")
        with open(path, encoding="utf-8") as f:
            text = f.read()
        ids = enc.encode_ordinary(text)
        self.assertEqual(len(ids), 338025)  # ../shared/gpt2/README.md
        self.assertEqual(enc.decode(ids), text)
        parts = text.split("\n\n")[:400]
        want = [enc.encode_ordinary(p) for p in parts]
        self.assertEqual(enc.encode_ordinary_batch(parts, num_threads=2), want)
        errs = []

        def work(_):
            if enc.encode_ordinary_batch(parts, num_threads=1) != want:
                errs.append(1)

        run_threads(work, 3)
        self.assertEqual(errs, [])


class TestGPT2(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        encoding()
        cls.model = lmprob.GPT2(os.path.join(GPT2_DIR, "tiny-hf"), threads=2)
        with open(os.path.join(GPT2_DIR, "tiny_ref.json")) as f:
            cls.ref = json.load(f)
        cls.ref_logits = np.fromfile(os.path.join(GPT2_DIR, "tiny_ref_logits.f32"), dtype="<f4").reshape(19, 50257)

    def test_no_config_warns(self):
        # a file with no config at all (here tiny.safetensors without its __metadata__): the head count is
        # n_embd / 64, a guess, and a UserWarning says so; a file with its config gives none
        import struct
        import warnings
        b = open(os.path.join(GPT2_DIR, "tiny.safetensors"), "rb").read()
        n = struct.unpack("<Q", b[:8])[0]
        h = {k: v for k, v in json.loads(b[8:8 + n]).items() if k != "__metadata__"}
        hb = json.dumps(h).encode()
        hb += b" " * ((8 - len(hb) % 8) % 8)
        path = os.path.join(TMP, "nometa.safetensors")
        with open(path, "wb") as f:
            f.write(struct.pack("<Q", len(hb)) + hb + b[8 + n:])
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            lmprob.GPT2(path)
            lmprob.GPT2(os.path.join(GPT2_DIR, "tiny.safetensors"))
        self.assertEqual([str(x.message).split(":")[0] for x in w], [path + " has no config (config.json, or __metadata__ in the file)"])
        self.assertIn("n_head = 1 is n_embd / 64", str(w[0].message))

    def test_logits_against_reference(self):
        toks = self.ref["tokens"]
        lg = self.model.logits(toks)
        self.assertEqual((lg.shape, lg.dtype), ((19, 50257), np.float32))
        # float32 engine against float64 PyTorch: the README's 1e-5-scale agreement (tiny_ref.json suggests 1e-4)
        self.assertLess(float(np.max(np.abs(lg - self.ref_logits))), 1e-4)
        last = self.model.logits(toks, last_only=True)
        np.testing.assert_allclose(last, lg[-1], atol=1e-6)  # the last-row path rounds its own way
        self.assertEqual(self.model.encode(self.ref["text"]), toks)
        self.assertEqual(self.model.logits(self.ref["text"]).shape, (19, 50257))
        nl = self.model.next_logprobs(toks)
        np.testing.assert_allclose(nl, lmprob.log_softmax(lg[-1]), atol=2e-6)
        sc = self.model.score(toks)
        self.assertTrue(math.isnan(sc[0]))
        nll = -np.mean(sc[1:])
        self.assertAlmostEqual(nll, self.ref["mean_nll"], delta=1e-5)

    def test_perplexity_recipes(self):
        with open(os.path.join(GPT2_DIR, "sliding", "sliding_ref.json")) as f:
            cases = json.load(f)["cases"]
        for c in cases:
            if c["L"] not in (100, 129, 300, 513, 1000):
                continue  # keep the test quick: these cover every recipe edge (NaN chapter windows included)
            path = os.path.join(GPT2_DIR, "sliding", f"text_{c['L']}.txt")
            with open(path, encoding="utf-8") as f:
                text = f.read()
            r = self.model.perplexity(text, c["window"], c["stride"], recipe="all", details=True)
            self.assertEqual(r["exact"]["scored_tokens"], c["scored_tokens"])
            self.assertEqual(r["exact"]["forward_passes"], c["forward_passes"])
            for k, key in (("exact", "exact_ppl"), ("hf", "hf_doc_ppl"), ("chapter", "chapter_ppl")):
                want = c[key]
                if isinstance(want, float) and math.isnan(want):
                    self.assertTrue(math.isnan(r[k]["perplexity"]), (c["L"], k))
                else:
                    self.assertLess(abs(r[k]["perplexity"] / want - 1), 1e-5, (c["L"], k))  # README: ~1e-5
            if c["L"] == 1000:  # the CLI on the same text: the same number (one code path)
                j = cli_json("ppl", "--model", os.path.join(GPT2_DIR, "tiny-hf"), "--window", c["window"],
                             "--stride", c["stride"], path)
                self.assertEqual(j["perplexity"], r["exact"]["perplexity"])

    def test_perplexity_nothing_scored(self):
        # fewer than 2 tokens: nothing to score, the perplexity undefined: NaN with a RuntimeWarning, as lmprob ppl
        # prints nan with a note and lmprob.perplexity([]) is nan (it raised ValueError)
        import warnings
        for toks in ([5], []):
            with warnings.catch_warnings(record=True) as w:
                warnings.simplefilter("always")
                self.assertTrue(math.isnan(self.model.perplexity(toks)))
                d = self.model.perplexity(toks, recipe="all", details=True)
            self.assertEqual([x.category for x in w], [RuntimeWarning] * 2)
            self.assertIn("no token to score", str(w[0].message))
            self.assertEqual(d["exact"]["scored_tokens"], 0)
            self.assertTrue(all(math.isnan(d[k]["perplexity"]) for k in ("exact", "hf", "chapter")))

    def test_small_vocab_without_tokenizer(self):
        # a model smaller than GPT-2's vocabulary (the tiny model cut to 100 ids) with no tokenizer of its own runs
        # on token ids: the default encoding is not forced on it (it was refused: "the vocabulary has 50257 tokens
        # and the model 100"); its logits are the tiny model's first 100 columns
        import struct
        b = open(os.path.join(GPT2_DIR, "tiny.safetensors"), "rb").read()
        n = struct.unpack("<Q", b[:8])[0]
        h = json.loads(b[8:8 + n])
        cfg = json.loads(h["__metadata__"]["config"])
        cfg["vocab_size"] = 100
        out, data = {"__metadata__": {"format": "pt", "config": json.dumps(cfg)}}, b""
        for k in sorted(x for x in h if x != "__metadata__"):
            lo, hi = h[k]["data_offsets"]
            t, shape = b[8 + n + lo:8 + n + hi], list(h[k]["shape"])
            if k.endswith("wte.weight"):
                shape[0] = 100
                t = t[:100 * shape[1] * 4]
            out[k] = {"dtype": h[k]["dtype"], "shape": shape, "data_offsets": [len(data), len(data) + len(t)]}
            data += t
        hb = json.dumps(out).encode()
        hb += b" " * ((8 - len(hb) % 8) % 8)
        path = os.path.join(TMP, "small_vocab.safetensors")
        with open(path, "wb") as f:
            f.write(struct.pack("<Q", len(hb)) + hb + data)
        small = lmprob.GPT2(path)
        self.assertIsNone(small.encoding)
        toks = [t for t in self.ref["tokens"] if t < 100] or [1, 2, 3]
        np.testing.assert_allclose(small.logits(toks), self.model.logits(toks)[:, :100], atol=1e-5)
        with self.assertRaisesRegex(ValueError, "no tokenizer"):
            small.perplexity("hello")
        self.assertIsNotNone(lmprob.GPT2(os.path.join(GPT2_DIR, "tiny.safetensors")).encoding)

    def test_perplexity_interrupted(self):
        # Ctrl-C during a long perplexity raises KeyboardInterrupt within a tenth of a second or so (the
        # passes look for pending signals every 50 ms), not once every window is done; the model works after
        import signal
        import threading
        import time
        with open(os.path.join(GPT2_DIR, "sliding", "text_1000.txt"), encoding="utf-8") as f:
            toks = self.model.encode(f.read())[:500]
        # Python's own Ctrl-C handler, whatever the test started with: a background job of a script (make test
        # runs two parts at once) starts with SIGINT ignored, and Python then leaves it ignored
        old = signal.signal(signal.SIGINT, signal.default_int_handler)
        self.addCleanup(signal.signal, signal.SIGINT, old)
        # a call long enough to tell an interrupted one from a whole one (> 0.4 s): more tokens until it is, as
        # the machine's speed asks (500 tokens took 0.21 s on this session's Zen 4 core); the windows' cost
        # grows with the tokens (window 64, stride 1: one window a token)
        text = toks
        for n in (500, 1000, 2000, 4000, 8000):
            toks = (text * (n // len(text) + 1))[:n]
            t0 = time.monotonic()
            want = self.model.perplexity(toks, 64, 1)
            full = time.monotonic() - t0
            if full > 0.4:
                break
        self.assertGreater(full, 0.4)
        timer = threading.Timer(0.05, os.kill, (os.getpid(), signal.SIGINT))
        t0 = time.monotonic()
        timer.start()
        with self.assertRaises(KeyboardInterrupt):
            self.model.perplexity(toks, 64, 1)
            time.sleep(5)  # an interrupt that came only after the call would land here
        took = time.monotonic() - t0
        timer.join()
        self.assertLess(took, full / 2, "interrupted after %.2f s of a %.2f s call" % (took, full))
        self.assertEqual(self.model.perplexity(toks, 64, 1), want)

    def test_errors_and_sharing(self):
        m = self.model
        with self.assertRaisesRegex(ValueError, "n_ctx"):
            m.logits(list(range(1025)))
        with self.assertRaisesRegex(ValueError, "60000"):
            m.logits([1, 60000])
        # a uint64 id past INT64_MAX is named by its value (it was reported as -1, the int64 it wraps to)
        with self.assertRaisesRegex(ValueError, r"^tokens\[1\] = 9223372036854775808: expected a token id"):
            m.logits(np.array([5, 2**63], dtype=np.uint64))
        with self.assertRaises(ValueError):
            m.next_logprobs([])
        with self.assertRaisesRegex(ValueError, "recipe"):
            m.perplexity("abc", recipe="nope")
        with self.assertRaises(FileNotFoundError):
            lmprob.GPT2("/nonexistent/gpt2")
        self.assertEqual(m.config["n_layer"], 2)
        self.assertEqual(m.config["eos_token_id"], 50256)
        self.assertTrue(m.has_tokenizer)
        want = m.logits(self.ref["tokens"])
        errs = []

        def work(_):
            if not np.array_equal(m.logits(self.ref["tokens"]), want):
                errs.append(1)

        run_threads(work, 3)
        self.assertEqual(errs, [])
        bare = lmprob.GPT2(os.path.join(GPT2_DIR, "tiny.safetensors"), vocab=lmprob.get_encoding("gpt2"))
        np.testing.assert_array_equal(bare.logits(self.ref["tokens"]), want)
        # a folder with model.safetensors and no config.json loads as the CLI loads it (config from the file)
        folder = os.path.join(TMP, "gpt2_nocfg")
        os.makedirs(folder, exist_ok=True)
        shutil.copyfile(os.path.join(GPT2_DIR, "tiny.safetensors"), os.path.join(folder, "model.safetensors"))
        np.testing.assert_array_equal(lmprob.GPT2(folder).logits(self.ref["tokens"]), want)
        os.remove(os.path.join(folder, "model.safetensors"))
        with self.assertRaisesRegex(lmprob.FormatError, "a folder without model.safetensors"):
            lmprob.GPT2(folder)

    def test_sharded_folder(self):
        # tiny-hf's tensors in two shards with model.safetensors.index.json, as save_pretrained writes a
        # checkpoint past its max_shard_size: the same logits as the one file; a shard the index does not
        # agree with is a FormatError naming it
        import subprocess
        import sys
        folder = os.path.join(TMP, "gpt2_sharded")
        shutil.copytree(os.path.join(GPT2_DIR, "tiny-hf"), folder, ignore=shutil.ignore_patterns("model.safetensors"))
        subprocess.run([sys.executable, os.path.join(ROOT, "tests", "shard_safetensors.py"),
                        os.path.join(GPT2_DIR, "tiny-hf", "model.safetensors"), folder, "2"], check=True)
        index = os.path.join(folder, "model.safetensors.index.json")
        with open(index) as f:
            wm = json.load(f)["weight_map"]
        names = sorted(wm)
        np.testing.assert_array_equal(lmprob.GPT2(folder).logits(self.ref["tokens"]), self.model.logits(self.ref["tokens"]))
        here = wm[names[0]]
        wm[names[0]] = "model-00002-of-00002.safetensors" if here.startswith("model-00001") else "model-00001-of-00002.safetensors"
        with open(index, "w") as f:
            json.dump({"metadata": {}, "weight_map": wm}, f)
        with self.assertRaisesRegex(lmprob.FormatError, "%s: tensor '%s' is here" % (here, names[0])):
            lmprob.GPT2(folder)

    def test_pytorch_checkpoint_folder(self):
        # a fine-tune saved before safetensors: config.json + pytorch_model.bin as torch.save writes it (both
        # formats: the zip of PyTorch >= 1.6 and the pickles before), the same logits as the safetensors folder
        import sys
        sys.path.insert(0, os.path.join(ROOT, "tests", "peers"))
        import make_torch_checkpoint  # torch itself writes them
        want = self.model.logits(self.ref["tokens"])
        for name, legacy in [("gpt2_pt", False), ("gpt2_pt_legacy", True)]:
            folder = os.path.join(TMP, name)
            shutil.copytree(os.path.join(GPT2_DIR, "tiny-hf"), folder, ignore=shutil.ignore_patterns("model.safetensors"))
            make_torch_checkpoint.write(os.path.join(GPT2_DIR, "tiny-hf", "model.safetensors"),
                                        os.path.join(folder, "pytorch_model.bin"), legacy=legacy)
            np.testing.assert_array_equal(lmprob.GPT2(folder).logits(self.ref["tokens"]), want)

    def test_added_tokens_folder(self):
        # A fine-tune with added tokens (resize_token_embeddings to 50,260; tokenizer.json as save_pretrained
        # writes it): the folder's tokenizer.json is the model's tokenizer, its special tokens follow tiktoken's
        # rules together; wte rows 50257.. are copies of rows 1000.., so their logits are those rows' logits.
        import struct
        import subprocess
        import sys
        folder = os.path.join(TMP, "gpt2_added")
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(GPT2_DIR, "tiny.safetensors"), "rb") as f:
            raw = f.read()
        n = struct.unpack("<Q", raw[:8])[0]
        hdr = json.loads(raw[8:8 + n])
        data = raw[8 + n:]
        meta = dict(hdr["__metadata__"])
        cfg = json.loads(meta["config"])
        cfg["vocab_size"] = 50260
        meta["config"] = json.dumps(cfg)
        out, blobs, off = {"__metadata__": meta}, [], 0
        for k, v in hdr.items():
            if k == "__metadata__":
                continue
            blob = data[v["data_offsets"][0]:v["data_offsets"][1]]
            shape = list(v["shape"])
            if k == "transformer.wte.weight":
                row = len(blob) // shape[0]
                blob += blob[1000 * row:1003 * row]
                shape[0] = 50260
            out[k] = {"dtype": v["dtype"], "shape": shape, "data_offsets": [off, off + len(blob)]}
            off += len(blob)
            blobs.append(blob)
        hb = json.dumps(out).encode()
        hb += b" " * ((8 - len(hb) % 8) % 8)
        with open(os.path.join(folder, "model.safetensors"), "wb") as f:
            f.write(struct.pack("<Q", len(hb)) + hb + b"".join(blobs))
        with open(os.path.join(folder, "config.json"), "w") as f:
            json.dump(cfg, f)
        subprocess.run([sys.executable, os.path.join(ROOT, "tests", "peers", "make_tokenizer_json.py"),
                        lmprob.get_encoding("gpt2").path, os.path.join(folder, "tokenizer.json"),
                        "--added", "[PAD]:50257:special", "--added", "<|user|>:50258:normalized",
                        "--added", "<|assistant|>:50259"], check=True)
        m = lmprob.GPT2(folder)
        self.assertEqual(m.n_vocab, 50260)
        self.assertEqual(m.encode("<|user|>Hi[PAD]<|endoftext|>"), [50258, 17250, 50257, 50256])
        enc = m.encoding
        self.assertEqual(enc.n_vocab, 50260)
        self.assertEqual(enc.special_tokens_set, {"<|endoftext|>", "[PAD]"})
        self.assertTrue(enc.is_special_token(50257))
        self.assertFalse(enc.is_special_token(50258))
        with self.assertRaisesRegex(ValueError, "disallowed special token '\\[PAD\\]'"):
            enc.encode("x[PAD]")
        self.assertEqual(enc.encode("[PAD]<|user|>", disallowed_special=()), [58, 47, 2885, 60, 50258])
        self.assertEqual(enc.encode("[PAD]", allowed_special="all"), [50257])
        with self.assertRaisesRegex(ValueError, "every special token of this vocabulary as special or none"):
            enc.encode("[PAD]", allowed_special={"[PAD]"})
        self.assertEqual(enc.decode([50258, 17250, 50257]), "<|user|>Hi[PAD]")
        lg = m.logits([50258, 17250, 50257])
        np.testing.assert_array_equal(lg[:, 50257:50260], lg[:, 1000:1003])


if __name__ == "__main__":
    unittest.main()
