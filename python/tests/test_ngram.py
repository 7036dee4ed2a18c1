"""lmprob.Model against the C library's own numbers (the CLI), kenlm's API and semantics,
and, when KenLM's Python module is importable (KENLM_PY or sys.path), against it on PTB."""
import copy
import math
import os
import pickle
import re
import subprocess
import unittest

from common import LMPROB, PTB, TMP, cli, cli_json, kenlm_module, lmprob, np, run_threads, small_corpus, small_model, test_sentences


class TestAgainstCLI(unittest.TestCase):
    """Checks that always run: the module's numbers are the C API's (through the CLI)."""

    @classmethod
    def setUpClass(cls):
        cls.arpa = small_model(3)
        cls.m = lmprob.Model(cls.arpa)
        cls.sents = test_sentences(300)
        cls.text = os.path.join(TMP, "test300.txt")
        with open(cls.text, "w") as f:
            f.write("\n".join(cls.sents) + "\n")

    def test_per_token_values(self):
        # `lmprob ppl --per-token --json`: every token's log10 p and n-gram length, in order
        j = cli_json("ppl", "--per-token", self.arpa, self.text)
        toks = j["per_token"]
        mine = [t for s in self.sents for t in self.m.full_scores(s)]
        self.assertEqual(len(toks), len(mine))
        for t, (lp, n, oov) in zip(toks, mine):
            # the CLI prints the float32 value in double precision: equality is exact
            self.assertEqual(t["log10_prob"], lp)
            self.assertEqual(t["ngram_length"], n)

    def test_evaluate_equals_ppl(self):
        j = cli_json("ppl", self.arpa, self.text)
        for ev in (self.m.evaluate(self.text), self.m.evaluate(self.sents)):
            self.assertEqual(ev["tokens"], j["tokens"])
            self.assertEqual(ev["oov"], j["oov"])
            self.assertEqual(ev["sentences"], j["sentences"])
            self.assertEqual(ev["log10_prob"], j["log10_prob"])  # the same sums in the same order
            self.assertEqual(ev["perplexity"], j["perplexity"])

    def test_evaluate_refuses_scores(self):
        # stupid backoff gives scores, not probabilities: evaluate refuses it as `lmprob ppl` does, and
        # scores=True gives the figures `ppl --scores` prints (the same sums)
        corpus = ["a b c", "a c b", "b a c", "c c a"] * 20
        m = lmprob.train(corpus, order=2, estimator="stupid")
        with self.assertRaisesRegex(ValueError, r"stupid-backoff model.*scores=True"):
            m.evaluate(["a b c"])
        ev = m.evaluate(["a b c"], scores=True)
        self.assertTrue(ev["scores_not_probabilities"])
        self.assertEqual(ev["log10_prob"], sum(lp for lp, _, _ in m.full_scores("a b c")))  # in double, in order
        self.assertFalse(self.m.evaluate(self.sents[:3])["scores_not_probabilities"])

    def test_score_is_float_sum_of_full_scores(self):
        for s in self.sents[:100]:
            acc = np.float32(0)
            for lp, _, _ in self.m.full_scores(s):
                acc = np.float32(acc + np.float32(lp))
            self.assertEqual(self.m.score(s), float(acc))
            for bos in (True, False):
                for eos in (True, False):
                    acc = np.float32(0)
                    for lp, _, _ in self.m.full_scores(s, bos=bos, eos=eos):
                        acc = np.float32(acc + np.float32(lp))
                    self.assertEqual(self.m.score(s, bos=bos, eos=eos), float(acc), (s, bos, eos))

    def test_perplexity_rule(self):
        for s in self.sents[:50]:
            words = len(s.split()) + 1
            self.assertEqual(self.m.perplexity(s), 10.0 ** (-self.m.score(s) / words))

    def test_state_api_equals_score(self):
        for s in self.sents[:50]:
            a, b = lmprob.State(), lmprob.State()
            self.m.BeginSentenceWrite(a)
            acc = np.float32(0)
            for w in s.split() + ["</s>"]:
                acc = np.float32(acc + np.float32(self.m.BaseScore(a, w, b)))
                a, b = b, a
            self.assertEqual(float(acc), self.m.score(s))

    def test_base_full_score(self):
        a, b = lmprob.State(), lmprob.State()
        self.m.NullContextWrite(a)
        r = self.m.BaseFullScore(a, "the", b)
        self.assertIsInstance(r, lmprob.FullScoreReturn)
        self.assertEqual(r.ngram_length, 1)
        self.assertFalse(r.oov)
        self.assertEqual(r.log_prob, self.m.score("the", bos=False, eos=False))
        r2 = self.m.BaseFullScore(b, "qwertyuiop", a)
        self.assertTrue(r2.oov)
        self.assertTrue(repr(r).startswith("FullScoreReturn(-"))
        # in and out may be one State
        c = lmprob.State()
        self.m.BeginSentenceWrite(c)
        d = copy.copy(c)
        v1 = self.m.BaseScore(c, "the", c)
        v2 = self.m.BaseScore(d, "the", lmprob.State())
        self.assertEqual(v1, v2)

    def test_keyword_arguments_as_kenlm(self):
        # kenlm's methods are Cython defs: every argument can be given by its name
        m, s = self.m, self.sents[0]
        self.assertEqual(m.score(sentence=s, bos=False, eos=False), m.score(s, False, False))
        self.assertEqual(m.perplexity(sentence=s), m.perplexity(s))
        self.assertEqual(list(m.full_scores(sentence=s, eos=False)), list(m.full_scores(s, True, False)))
        a, b = lmprob.State(), lmprob.State()
        m.BeginSentenceWrite(state=a)
        self.assertEqual(m.BaseScore(in_state=a, word="the", out_state=b), m.BaseScore(a, "the", b))
        r1, r2 = m.BaseFullScore(a, word="the", out_state=b), m.BaseFullScore(a, "the", b)
        self.assertEqual((r1.log_prob, r1.ngram_length, r1.oov), (r2.log_prob, r2.ngram_length, r2.oov))
        m.NullContextWrite(state=a)
        self.assertEqual(m.word(id=m.index(word="the")), "the")
        with self.assertRaisesRegex(TypeError, "unexpected keyword argument 'foo'"):
            m.score(s, foo=1)
        with self.assertRaisesRegex(TypeError, "missing required argument 'out_state'"):
            m.BaseScore(a, "the")

    def test_contains_and_oov(self):
        self.assertIn("the", self.m)
        self.assertIn(b"the", self.m)
        self.assertIn("<s>", self.m)
        self.assertNotIn("<unk>", self.m)  # kenlm: Index(w) != 0
        self.assertNotIn("qwertyuiop", self.m)
        fs = list(self.m.full_scores("the qwertyuiop <unk>"))
        self.assertEqual([f[2] for f in fs], [False, True, True, False])

    def test_state_equality_hash_order(self):
        m = self.m
        s1, s2, s3 = lmprob.State(), lmprob.State(), lmprob.State()
        self.assertEqual(s1, s2)
        self.assertEqual(hash(s1), 0)  # MurmurHash64A of nothing, seed 0 (as kenlm's empty state)
        m.BeginSentenceWrite(s1)
        m.BeginSentenceWrite(s2)
        self.assertEqual(s1, s2)
        self.assertEqual(hash(s1), hash(s2))
        m.BaseScore(s1, "the", s3)
        self.assertNotEqual(s1, s3)
        self.assertTrue(s1 < s3 or s3 < s1)
        self.assertEqual(len({s1, s2, s3}), 2)
        self.assertFalse(s1 == 3)
        self.assertEqual(s3.length, 2)  # <s> the: a context some 3-gram extends
        self.assertEqual(len(s3.words), s3.length)
        self.assertEqual(copy.deepcopy(s3), s3)

    def test_attributes_repr_pickle(self):
        self.assertEqual(self.m.order, 3)
        self.assertIsInstance(self.m.path, bytes)
        self.assertTrue(os.path.isabs(self.m.path))
        self.assertEqual(repr(self.m), "<Model from b'small3.arpa'>")
        m2 = pickle.loads(pickle.dumps(self.m))
        self.assertEqual(m2.score("the company said"), self.m.score("the company said"))
        self.assertEqual(self.m.word(self.m.index("the")), "the")
        self.assertEqual(len(self.m.vocab()), self.m.vocab_size)
        info = self.m.info()
        self.assertEqual(info["order"], 3)
        self.assertEqual(info["metadata"]["estimator"].split()[0], "mkn")

    def test_path_settable_as_kenlm(self):
        # kenlm's `cdef public bytes path`: bytes or None may be assigned, anything else is a TypeError
        m = lmprob.Model(self.m.path)
        m.path = b"/elsewhere/other.arpa"
        self.assertEqual(m.path, b"/elsewhere/other.arpa")
        self.assertEqual(repr(m), "<Model from b'other.arpa'>")
        with self.assertRaises(TypeError):
            m.path = "/a/str/path.arpa"
        self.assertEqual(m.path, b"/elsewhere/other.arpa")
        m.path = None
        self.assertIsNone(m.path)
        self.assertEqual(repr(m), "<Model from None>")
        with self.assertRaisesRegex(TypeError, "pickled"):
            pickle.dumps(m)
        m.path = self.m.path
        del m.path
        self.assertIsNone(m.path)
        self.assertEqual(m.score("the company said"), self.m.score("the company said"))

    def test_sentence_types(self):
        self.assertEqual(self.m.score(b"the company"), self.m.score("the company"))
        with self.assertRaisesRegex(TypeError, "Cannot convert"):
            self.m.score(3)
        # KenLM's separators: \t \n \v \f \r and space, nothing else
        self.assertEqual(self.m.score("the\tcompany\x0bsaid\x0c."), self.m.score("the company said ."))
        self.assertNotEqual(self.m.score("the\xa0company"), self.m.score("the company"))
        # ScoreSentence reads a C string (stops at NUL); the other paths split the whole string
        self.assertEqual(self.m.score("the\x00 company"), self.m.score("the"))
        # the splitter works 16 bytes at a time: words across block edges, sentences that end
        # on one, runs of every separator, each length up to 80 bytes; against str.split (the
        # same separators for this alphabet) and the per-token path (full_scores)
        rs = np.random.RandomState(8)
        alphabet = list("the company said ") + [" ", "\t", "\n", "\x0b", "\x0c", "\r"] * 3
        words = [w for w in self.sents[0].split()] + ["company", "said", "zyzzyva"]
        for n in range(0, 81):
            t = "".join(rs.choice(alphabet, n))
            if n % 3 == 0:  # whole known words, split by separator runs
                t = "".join(rs.choice(words) + "".join(rs.choice(alphabet[-18:], 1 + n % 4)) for _ in range(n // 6))
            acc = np.float32(0)
            for lp, _, _ in self.m.full_scores(t):
                acc = np.float32(acc + np.float32(lp))
            self.assertEqual(self.m.score(t), float(acc), repr(t))
            self.assertEqual(self.m.score(t), self.m.score(" ".join(t.split())), repr(t))

    def test_non_utf8_words_round_trip(self):
        # a word that is not UTF-8 (Latin-1 b'caf\xe9') comes back from word() and vocab() with
        # surrogateescape; index(), `in`, score() and score_batch() take that str back (they raised
        # UnicodeEncodeError), with the numbers of the bytes
        path = os.path.join(TMP, "latin1.arpa")
        with open(path, "wb") as f:
            f.write(b"\\data\\\nngram 1=5\n\n\\1-grams:\n-1.0\t<unk>\n-1.0\t<s>\n-0.5\t</s>\n"
                    b"-0.7\tcaf\xe9\n-0.9\tnoir\n\n\\end\\\n")
        m = lmprob.Model(path)
        ids = {m.word(i): i for i in range(len(m.vocab()))}
        w = "caf\udce9"
        self.assertIn(w, ids)
        self.assertEqual(m.index(w), ids[w])
        self.assertEqual([m.index(v) for v in m.vocab()], list(range(len(m.vocab()))))
        self.assertIn(w, m)
        self.assertEqual(m.score(w + " noir"), m.score(b"caf\xe9 noir"))
        self.assertEqual(m.perplexity(w + " noir"), m.perplexity(b"caf\xe9 noir"))
        self.assertEqual(list(m.full_scores(w)), list(m.full_scores(b"caf\xe9")))
        self.assertEqual(list(m.score_batch([w + " noir", "noir"])), [m.score(b"caf\xe9 noir"), m.score("noir")])
        self.assertNotEqual(m.score(w), m.score("zzz"))  # not <unk>

    def test_next_logprobs(self):
        s = lmprob.State()
        self.m.BeginSentenceWrite(s)
        lp = self.m.next_logprobs(s)
        self.assertEqual(lp.shape, (self.m.vocab_size,))
        words = self.m.vocab()
        for i in range(0, len(words), 97):
            if words[i] == "<s>":
                self.assertEqual(lp[i], -math.inf)
            else:
                self.assertEqual(lp[i], self.m.BaseScore(s, words[i], lmprob.State()))
        self.assertAlmostEqual(float(np.sum(10.0 ** lp)), 1.0, delta=1e-4)  # float32 model values
        ln = self.m.next_logprobs(s, base=math.e)
        np.testing.assert_allclose(ln, lp * math.log(10), rtol=1e-15)
        out = np.empty(self.m.vocab_size, dtype=np.float32)
        self.assertIs(self.m.next_logprobs(s, out=out), out)
        np.testing.assert_array_equal(out, lp.astype(np.float32))
        with self.assertRaises(ValueError):
            self.m.next_logprobs(s, out=np.empty(3))

    def test_score_batch(self):
        got = self.m.score_batch(self.sents)
        self.assertEqual(got.dtype, np.float64)
        self.assertEqual(list(got), [self.m.score(s) for s in self.sents])
        got2 = self.m.score_batch(self.sents * 20, bos=False, eos=False, threads=2)
        self.assertEqual(list(got2[:len(self.sents)]), [self.m.score(s, False, False) for s in self.sents])
        self.assertEqual(len(self.m.score_batch([])), 0)
        with self.assertRaises(TypeError):
            self.m.score_batch("one string")
        with self.assertRaises(TypeError):
            self.m.score_batch(["ok", 3])

    def test_shared_by_threads(self):
        """One Model used by 4 threads at once: every result is the single-threaded one."""
        want = [self.m.score(s) for s in self.sents]
        errors = []

        def work(_):
            for _ in range(3):
                if [self.m.score(s) for s in self.sents] != want:
                    errors.append("score")
                if list(self.m.score_batch(self.sents, threads=2)) != want:
                    errors.append("batch")

        run_threads(work, 4)
        self.assertEqual(errors, [])

    def test_write_and_reload(self):
        b = os.path.join(TMP, "small3.bin")
        a = os.path.join(TMP, "small3_rewritten.arpa")
        self.m.write_binary(b)
        self.m.write_arpa(a)
        for path in (b, a):
            m2 = lmprob.Model(path)
            self.assertEqual([m2.score(s) for s in self.sents[:50]], [self.m.score(s) for s in self.sents[:50]])
        self.assertTrue(lmprob.Model(b).info()["binary"])

    def test_quantised_trie_written_on(self):
        # A quantised trie written by the module as ARPA or binary keeps the record of its rounding (the
        # centres its codes stand for), as `lmprob model convert` does: without it `ppl` refused the file
        # ("not a probability model: its values after <s> sum to 1.00...") that it accepted as the trie
        # (this model at -q 6 and -q 10).
        for bits in (6, 8, 10):
            t = os.path.join(TMP, f"small3_q{bits}.trie")
            cli("model", "convert", "-q", bits, self.arpa, t)
            q = lmprob.Model(t)
            for path in (os.path.join(TMP, "q_by_python.arpa"), os.path.join(TMP, "q_by_python.bin")):
                (q.write_arpa if path.endswith(".arpa") else q.write_binary)(path)
                self.assertIn("Perplexity including OOVs", cli("ppl", path, self.text), (bits, path))
                m2 = lmprob.Model(path)
                self.assertEqual([m2.score(s) for s in self.sents[:50]], [q.score(s) for s in self.sents[:50]])


class TestTrain(unittest.TestCase):
    def test_estimator_spellings(self):
        # the library's one table of names (lmp_train_estimator_parse): "absolute" was refused here while its
        # neighbours' long spellings (witten-bell, add-k, laplace) were taken
        sents = ["a b c", "b c d", "a c d e", "c a b"]
        for names in (("abs", "absolute"), ("wb", "witten-bell"), ("addk", "add-k", "laplace"), ("katz", "gt")):
            kw = {"discount": 0.5} if names[0] == "abs" else {}
            want = [lmprob.train(sents, order=2, estimator=names[0], **kw).score(s) for s in sents]
            for n in names[1:]:
                self.assertEqual([lmprob.train(sents, order=2, estimator=n, **kw).score(s) for s in sents], want, n)
        with self.assertRaisesRegex(ValueError, "estimator 'foo': expected mkn, kn, addk, mle, wb, katz, abs or stupid"):
            lmprob.train(sents, estimator="foo")

    def test_train_equals_cli(self):
        """lmprob.train writes the ARPA file `lmprob train` writes (byte for byte, but the command line)."""
        corpus = small_corpus()
        # three estimator families (the others share these paths; tests/cli covers each against its reference)
        for est, extra_py, extra_cli in (("mkn", {}, []), ("addk", {"k": 0.5}, ["--k", "0.5"]), ("katz", {}, [])):
            out_py = os.path.join(TMP, f"py_{est}.arpa")
            out_cli = os.path.join(TMP, f"cli_{est}.arpa")
            m = lmprob.train(corpus, order=3, estimator=est, output=out_py, **extra_py)
            cli("train", "--order", 3, "--estimator", est, *extra_cli, "--quiet", "--output", out_cli, corpus)

            def body(p):
                with open(p) as f:
                    return [l for l in f if not l.startswith("# lmprob command:")]

            self.assertEqual(body(out_py), body(out_cli), est)
            self.assertEqual(m.order, 3)
            self.assertEqual(m.path, os.path.abspath(out_py).encode())

    def test_train_in_memory(self):
        lines = ["the cat sat", "the dog sat", "a cat ran"] * 5
        m1 = lmprob.train(lines, order=2, estimator="addk")
        m2 = lmprob.train(text="\n".join(lines) + "\n", order=2, estimator="addk")
        self.assertEqual(m1.score("the cat ran"), m2.score("the cat ran"))
        self.assertEqual(m1.path, b"")
        with self.assertRaisesRegex(TypeError, "pickled"):
            pickle.dumps(m1)
        with self.assertRaisesRegex(ValueError, "estimator"):
            lmprob.train(lines, estimator="nope")
        with self.assertRaisesRegex(ValueError, "order"):
            lmprob.train(lines, order=0)
        with self.assertRaises(FileNotFoundError):
            lmprob.train("/nonexistent/corpus.txt")
        # a $TMPDIR that takes no files is refused before the text is read, whatever its size, as by `lmprob train`
        # (the counter spills there once its tables fill the budget; it trained in silence before)
        old = os.environ.get("TMPDIR")
        os.environ["TMPDIR"] = "/nonexistent/tmp"
        try:
            with self.assertRaisesRegex(OSError, r"temporary folder /nonexistent/tmp \(\$TMPDIR\): No such file"):
                lmprob.train(lines, order=2, estimator="addk")
        finally:
            if old is None:
                del os.environ["TMPDIR"]
            else:
                os.environ["TMPDIR"] = old
        with self.assertRaises(TypeError):
            lmprob.train()
        with self.assertRaises(ValueError):  # MKN cannot estimate its discounts from 15 sentences
            lmprob.train(lines, order=3)
        m3 = lmprob.train(lines, order=3, discount_fallback=True)
        self.assertLess(m3.score("the cat sat"), 0)
        # a budget below a KiB is said in bytes (memory=1 read "within memory 0 KiB")
        with self.assertRaisesRegex(MemoryError, r"within memory 1 byte \(.*; 0 bytes of it kept"):
            lmprob.train(lines, order=2, estimator="addk", memory=1)
        # threads as --threads: 0 (every core) to 1024 (0 was refused), the same model on any count
        s = m1.score("the cat ran")
        for t in (0, 1, 2, 7, 1024):
            self.assertEqual(lmprob.train(lines, order=2, estimator="addk", threads=t).score("the cat ran"), s)
        for t in (-1, 1025):
            with self.assertRaisesRegex(ValueError, r"threads = -?\d+: expected 0 \(every core\) to 1024"):
                lmprob.train(lines, order=2, estimator="addk", threads=t)

    def test_output_is_never_an_input(self):
        # `lmprob train -o c.txt c.txt` exits 2; train(c, output=c) replaced the corpus with the model, silently.
        # Refused as the CLI refuses it (cli_check_output_from), under any name of the file, before reading.
        d = os.path.join(TMP, "same_file")
        os.makedirs(d, exist_ok=True)
        corpus, vocab = os.path.join(d, "c.txt"), os.path.join(d, "v.txt")
        with open(corpus, "w") as f:
            f.write("a b c\nb c a\nc a b\na c\n" * 5)
        with open(vocab, "w") as f:
            f.write("a\nb\nc\n")
        link, hard = os.path.join(d, "link.txt"), os.path.join(d, "hard.txt")
        for p in (link, hard):
            if os.path.lexists(p):
                os.remove(p)
        os.symlink(corpus, link)
        os.link(corpus, hard)
        with open(corpus, "rb") as f:
            before = f.read()
        for out, kw, named in ((corpus, {}, corpus), (link, {}, corpus), (hard, {}, corpus),
                               (os.path.join(d, ".", "c.txt"), {}, corpus),
                               (vocab, {"vocab_file": vocab}, vocab), (link, {"vocab_file": vocab}, corpus)):
            want = (f"train: output {re.escape(out)} is the input {re.escape(named)} \\(the same file\\): expected "
                    "another output name, since writing it would replace the input")
            with self.assertRaisesRegex(ValueError, want):
                lmprob.train(corpus, order=2, estimator="addk", output=out, **kw)
        for p in (corpus, vocab):
            with open(p, "rb") as f:
                self.assertNotIn(b"\\data\\", f.read(), p)
        with open(corpus, "rb") as f:
            self.assertEqual(f.read(), before)
        # a list of sentences or text= has no input file; a new name is written
        m = lmprob.train(["a b c", "b c a"], order=2, estimator="addk", output=os.path.join(d, "m.arpa"))
        self.assertEqual(lmprob.Model(os.path.join(d, "m.arpa")).score("a b"), m.score("a b"))
        # a model read from a file is that file's: writing it back over it is `model convert IN IN`
        m = lmprob.Model(os.path.join(d, "m.arpa"))
        alias = os.path.join(d, "alias.arpa")
        if os.path.lexists(alias):
            os.remove(alias)
        os.symlink(os.path.join(d, "m.arpa"), alias)
        for write in (m.write_arpa, m.write_binary):
            name = write.__name__
            with self.assertRaisesRegex(ValueError, f"{name}: output {re.escape(alias)} is the input .*m\\.arpa "
                                                     "\\(the same file\\)"):
                write(alias)
        m.path = b"/elsewhere.arpa"  # kenlm's settable path is not what was read
        with self.assertRaisesRegex(ValueError, "is the input"):
            m.write_arpa(os.path.join(d, "m.arpa"))
        m.write_binary(os.path.join(d, "m2.bin"))  # another file: written
        m3 = os.path.join(d, "m3.arpa")  # a trained model was not read from its output=
        lmprob.train(corpus, order=2, estimator="addk", output=m3).write_arpa(m3)
        # a corpus that is a temporary file of the output (left by a killed run; no pid 99999999): writing the
        # output removes such files, so it was gone after the training read it; refused, the file kept
        left = os.path.join(d, "out.arpa.lmprob-tmp.99999999")
        with open(left, "wb") as f:
            f.write(before)
        with self.assertRaisesRegex(ValueError, "train: input .*out\\.arpa\\.lmprob-tmp\\.99999999 is a temporary "
                                                "file of the output .*out\\.arpa"):
            lmprob.train(left, order=2, estimator="addk", output=os.path.join(d, "out.arpa"))
        with open(left, "rb") as f:
            self.assertEqual(f.read(), before)

    def test_output_format_by_name(self):
        # The format output= names, by the CLI's one rule (src/ngram/out_name.h): train(output='m.bin' or
        # 'm.trie') wrote ARPA text, and 'm.arpa.bz2' plain text, where `lmprob train -o` writes the binary
        # layouts and refuses .bz2; write_binary('x.arpa.gz') wrote a binary model under a gzip name.
        corpus = small_corpus(500)
        d = os.path.join(TMP, "out_format")
        os.makedirs(d, exist_ok=True)
        sents = test_sentences(50)

        def arpa_body(model):  # the model as ARPA text, but the command line
            a = os.path.join(d, "body.arpa")
            model.write_arpa(a)
            with open(a) as f:
                return [l for l in f if not l.startswith("# lmprob command:")]

        for name, trie in (("m.bin", False), ("m.trie", True)):
            py, by_cli = os.path.join(d, "py_" + name), os.path.join(d, "cli_" + name)
            m = lmprob.train(corpus, order=3, output=py)
            cli("train", "--order", 3, "--quiet", "--output", by_cli, corpus)
            with open(py, "rb") as f:
                self.assertEqual(f.read(8), b"LMPNGRAM", name)
            a, b = lmprob.Model(py), lmprob.Model(by_cli)
            self.assertEqual((a.info()["binary"], a.info()["trie"]), (True, trie), name)
            self.assertEqual((b.info()["binary"], b.info()["trie"]), (True, trie), name)
            self.assertEqual([a.score(s) for s in sents], [b.score(s) for s in sents], name)
            self.assertEqual([a.score(s) for s in sents], [m.score(s) for s in sents], name)
            self.assertEqual(arpa_body(a), arpa_body(b), name)
            self.assertEqual(m.path, os.path.abspath(py).encode())
        gz = os.path.join(d, "m.arpa.gz")
        lmprob.train(corpus, order=2, output=gz)
        with open(gz, "rb") as f:
            self.assertEqual(f.read(2), b"\x1f\x8b")
        # refused before reading, with the CLI's words (its exit 2), and nothing written
        for name in ("m.arpa.bz2", "m.zst", "m.bin.gz", "m.trie.xz"):
            out = os.path.join(d, name)
            r = subprocess.run([LMPROB, "train", "--order", "2", "--quiet", "-o", out, corpus], capture_output=True, text=True)
            self.assertEqual(r.returncode, 2, name)
            want = r.stderr.strip().replace("lmprob: ", "", 1)
            self.assertTrue(want.startswith(f"train: {out}: "), want)
            with self.assertRaises(ValueError) as e:
                lmprob.train(corpus, order=2, output=out)
            self.assertEqual(str(e.exception), want)
            self.assertFalse(os.path.exists(out), name)
        # a chosen format (as `model convert --to`): no compression lmprob does not write; a binary layout never
        # compressed; ARPA under any other name (.bin.gz is compressed ARPA then, as --to arpa writes it)
        m = lmprob.Model(os.path.join(d, "py_m.bin"))
        for write, name, why in (
                (m.write_binary, "x.arpa.gz", "a binary model is mapped into memory, never compressed: expected a name without .gz"),
                (m.write_binary, "x.bin.xz", "a binary model is mapped into memory, never compressed: expected a name without .xz"),
                (m.write_binary, "x.bz2", r"lmprob compresses what it writes with gzip \(.gz\) or xz \(.xz\) only: .* not .bz2"),
                (m.write_arpa, "x.arpa.zst", r"lmprob compresses what it writes with gzip \(.gz\) or xz \(.xz\) only: .* not .zst")):
            out = os.path.join(d, name)
            with self.assertRaisesRegex(ValueError, f"^{write.__name__}: {re.escape(out)}: {why}$"):
                write(out)
            self.assertFalse(os.path.exists(out), name)
        for write, name, magic in ((m.write_arpa, "x.bin.gz", b"\x1f\x8b"), (m.write_binary, "x.model", b"LMPNGRAM")):
            write(os.path.join(d, name))
            with open(os.path.join(d, name), "rb") as f:
                self.assertEqual(f.read(len(magic)), magic, name)


class TestKenlmDropIn(unittest.TestCase):
    def test_import_as_kenlm(self):
        import lmprob.kenlm as kenlm

        # kenlm's python/example.py, unchanged but for the model path and the prints
        model = kenlm.LanguageModel(small_model(3))
        self.assertEqual(model.order, 3)
        sentence = "language modeling is fun ."
        self.assertLess(model.score(sentence), 0)
        words = ["<s>"] + sentence.split() + ["</s>"]
        for i, (prob, length, oov) in enumerate(model.full_scores(sentence)):
            self.assertLessEqual(length, model.order)
            if oov:
                self.assertNotIn(words[i + 1], model)
        state = kenlm.State()
        state2 = kenlm.State()
        model.BeginSentenceWrite(state)
        accum = 0.0
        accum += model.BaseScore(state, "a", state2)
        accum += model.BaseScore(state2, "sentence", state)
        self.assertEqual(model.BaseFullScore(state, "</s>", state2).ngram_length >= 1, True)
        cfg = kenlm.Config()
        cfg.load_method = kenlm.LoadMethod.LAZY
        m2 = kenlm.Model(small_model(3), cfg)
        self.assertEqual(m2.score(sentence), model.score(sentence))


@unittest.skipIf(kenlm_module() is None, "KenLM's Python module is not importable (set KENLM_PY)")
class TestAgainstKenLM(unittest.TestCase):
    """Every PTB test sentence through both modules: bit-equal scores, full scores, perplexity,
    State values and hashes. The model: lmprob.train's modified Kneser-Ney on PTB (KenLM's
    lmplz numbers), written as ARPA, loaded by both."""

    @classmethod
    def setUpClass(cls):
        cls.kenlm = kenlm_module()
        train = os.path.join(TMP, "ptb_train.txt")
        with open(os.path.join(PTB, "ptb.train.txt")) as f, open(train, "w") as out:
            out.write(f.read().replace("<unk>", "UNK"))
        cls.arpa = os.path.join(TMP, "ptb4.arpa")
        lmprob.train(train, order=4, output=cls.arpa)
        cls.K = cls.kenlm.Model(cls.arpa)
        cls.L = lmprob.Model(cls.arpa)
        with open(os.path.join(PTB, "ptb.test.txt")) as f:
            cls.sents = [l.rstrip("\n").replace("<unk>", "UNK") for l in f]
        cls.sents += ["xyzzy plugh", "", "  the   company\tsaid ", "<unk> UNK the"]

    def test_scores(self):
        K, L = self.K, self.L
        bad = []
        for s in self.sents:
            for bos in (True, False):
                for eos in (True, False):
                    if K.score(s, bos=bos, eos=eos) != L.score(s, bos=bos, eos=eos):
                        bad.append((s, bos, eos))
            if K.perplexity(s) != L.perplexity(s):
                bad.append((s, "perplexity"))
            if list(K.full_scores(s)) != list(L.full_scores(s)):
                bad.append((s, "full_scores"))
        self.assertEqual(bad, [])
        self.assertEqual(list(L.score_batch(self.sents)), [K.score(s) for s in self.sents])

    def test_states(self):
        K, L, kenlm = self.K, self.L, self.kenlm
        bad = 0
        for s in self.sents[:500]:
            ka, kb, la, lb = kenlm.State(), kenlm.State(), lmprob.State(), lmprob.State()
            K.BeginSentenceWrite(ka)
            L.BeginSentenceWrite(la)
            prev_k, prev_l = None, None
            for w in s.split() + ["</s>"]:
                rk, rl = K.BaseFullScore(ka, w, kb), L.BaseFullScore(la, w, lb)
                if (rk.log_prob, rk.ngram_length, rk.oov) != (rl.log_prob, rl.ngram_length, rl.oov):
                    bad += 1
                if hash(kb) != hash(lb):
                    bad += 1
                if prev_k is not None and ((kb == prev_k) != (lb == prev_l) or (kb < prev_k) != (lb < prev_l)):
                    bad += 1
                prev_k, prev_l = copy.copy(kb), copy.copy(lb)
                ka, kb, la, lb = kb, ka, lb, la
        self.assertEqual(bad, 0)
        for w in ("the", "UNK", "<unk>", "<s>", "</s>", "xyzzy", ""):
            self.assertEqual(w in K, w in L, w)


if __name__ == "__main__":
    unittest.main()
