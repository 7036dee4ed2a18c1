"""lmprob.sample / lmprob.Sampler against `lmprob decode` (the C library), numpy's choice, and
themselves across batches, threads, strides and array kinds."""
import os
import time
import unittest

from common import TMP, cli_json, lmprob, np, run_threads

CHAPTER_LOGITS = [3.0, 2.0, 1.5, 1.2, 0.8, 0.4, 0.1]


def decode(logits, n, *args):
    """`lmprob decode` on these logits (written with repr: the exact doubles)."""
    path = os.path.join(TMP, "logits.txt")
    with open(path, "w") as f:
        f.write("\n".join(repr(float(x)) for x in logits) + "\n")
    return cli_json("decode", path, "-n", n, *args)


def sampler_kwargs(args):
    """The CLI options of a case as Sampler keywords."""
    names = {"--temperature": ("temperature", float), "--top-k": ("top_k", int), "--top-p": ("top_p", float),
             "--min-p": ("min_p", float), "--typical": ("typical_p", float), "--epsilon": ("epsilon", float),
             "--repetition-penalty": ("repetition_penalty", float), "--min-keep": ("min_keep", int),
             "--chain": ("order", str), "--dtype": ("dtype", lambda v: {"f32": "float32", "f64": "float64"}[v])}
    kw = {}
    for k, v in zip(args[::2], args[1::2]):
        if k in names:
            kw[names[k][0]] = names[k][1](v)
    return kw


class TestAgainstDecode(unittest.TestCase):
    def check(self, logits, args, seed, rng_kind, n=25):
        j = decode(logits, n, *args, "--seed", seed, "--rng", rng_kind)
        s = lmprob.Sampler(**sampler_kwargs(args))
        rng = lmprob.RandomState(seed) if rng_kind == "numpy" else lmprob.Xoshiro256(seed)
        x = np.asarray(logits, dtype=np.float64)
        got = [s.sample(x, rng=rng) for _ in range(n)]
        self.assertEqual(got, j["samples"], args)
        ids, p, _ = s.kept()
        self.assertEqual(ids.tolist(), j["kept"], args)
        self.assertEqual(p.tolist(), j["kept_p"], args)  # the CLI prints 17 digits: exact

    def test_chapter_example(self):
        # the README's `lmprob decode ... --top-p 0.9 --rng numpy --seed 42 -n 10`
        self.check(CHAPTER_LOGITS, ["--top-p", "0.9"], 42, "numpy", n=10)

    def test_chains_large_vocab(self):
        x = (np.random.RandomState(3).randn(50257) * 3.0).tolist()
        cases = [
            ["--temperature", "0.7", "--top-k", "50", "--top-p", "0.9"],
            ["--min-p", "0.05"],
            ["--typical", "0.9", "--temperature", "1.3"],
            ["--top-k", "40", "--chain", "llama"],
            ["--top-p", "0.8", "--min-p", "0.01", "--chain", "llama", "--dtype", "f64"],
            ["--epsilon", "0.0003"],
            ["--temperature", "0"],
        ]
        for i, args in enumerate(cases):
            self.check(x, args, 100 + i, "numpy" if i % 2 else "xoshiro", n=10)

    def test_penalties(self):
        x = CHAPTER_LOGITS
        j = decode(x, 15, "--repetition-penalty", "1.8", "--history", "0,0,1", "--seed", "5")
        s = lmprob.Sampler(repetition_penalty=1.8)
        rng = lmprob.Xoshiro256(5)
        self.assertEqual([s.sample(x, [0, 0, 1], rng=rng) for _ in range(15)], j["samples"])


class TestNumpyParity(unittest.TestCase):
    def test_chapter_sampling(self):
        """The chapter's `np.random.seed(42); [np.random.choice(len(vocab), p=probs) ...]`."""
        logits = np.array(CHAPTER_LOGITS)
        probs = np.exp(logits - logits.max())
        probs /= probs.sum()
        np.random.seed(42)
        want = [np.random.choice(len(probs), p=probs) for _ in range(200)]
        rs = lmprob.RandomState(42)
        got = [lmprob.sample(logits, rng=rs) for _ in range(200)]
        self.assertEqual(got, want)
        # the chapter's top-k: k=3, seed 42
        np.random.seed(42)
        thr = np.partition(logits, -3)[-3]
        masked = np.where(logits >= thr, logits, -np.inf)
        p3 = np.exp(masked - masked.max())
        p3 /= p3.sum()
        want3 = [np.random.choice(len(p3), p=p3) for _ in range(20)]
        rs = lmprob.RandomState(42)
        self.assertEqual([lmprob.sample(logits, top_k=3, rng=rs) for _ in range(20)], want3)

    def test_dtype_as_numpy_spells_it(self):
        # np.float32 was a TypeError ("must be str or None, not type"); numpy users pass dtypes so
        x = np.random.RandomState(0).randn(300)
        for want, spellings in (("float32", (np.float32, np.dtype("float32"))), ("float64", (np.float64, float))):
            ref = [lmprob.sample(x, top_p=0.9, dtype=want, rng=lmprob.RandomState(s)) for s in range(20)]
            for d in spellings:
                self.assertEqual([lmprob.sample(x, top_p=0.9, dtype=d, rng=lmprob.RandomState(s)) for s in range(20)],
                                 ref, d)
                self.assertEqual(lmprob.Sampler(top_p=0.9, dtype=d).params["dtype"], want)
        with self.assertRaisesRegex(ValueError, "dtype = 'int32'"):
            lmprob.sample(x, dtype=np.int32)
        with self.assertRaises(TypeError):
            lmprob.sample(x, dtype=3)

    def test_greedy(self):
        x = np.random.RandomState(0).randn(1000)
        self.assertEqual(lmprob.sample(x, temperature=0.0), int(np.argmax(x)))


class TestBatch(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # 12 rows: above the 2^18 logits under which a batch stays on the calling thread (sample.c)
        cls.x = (np.random.RandomState(11).randn(12, 50257) * 2).astype(np.float32)

    def rows(self, x, seed, **kw):
        rs = lmprob.RandomState(seed)
        s = lmprob.Sampler(**kw)
        return [s.sample(r, rng=rs) for r in x]

    def test_batch_equals_rows_and_threads(self):
        kw = dict(temperature=0.7, top_k=50, top_p=0.9)
        want = self.rows(self.x, 9, **kw)
        for threads in (1, 2, 3):
            got = lmprob.sample(self.x, rng=lmprob.RandomState(9), threads=threads, **kw)
            self.assertEqual(got.dtype, np.int64)
            self.assertEqual(got.tolist(), want, threads)
        s = lmprob.Sampler(**kw)
        self.assertEqual(s.sample(self.x, rng=lmprob.RandomState(9)).tolist(), want)
        out = np.zeros(12, dtype=np.int64)
        self.assertIs(s.sample(self.x, rng=lmprob.RandomState(9), out=out), out)
        self.assertEqual(out.tolist(), want)

    def test_batch_after_fork(self):
        # the batch calls' workers are kept between calls (python/src/module.c): a forked child
        # has none of its parent's, and must start its own rather than wait for them forever
        kw = dict(temperature=0.7, top_k=50)
        want = lmprob.sample(self.x, rng=lmprob.RandomState(5), threads=2, **kw).tolist()
        pid = os.fork()
        if pid == 0:
            try:
                # as many threads as the parent's pool has (the case that waits on workers that are not
                # there), then more (a new pool)
                got = [lmprob.sample(self.x, rng=lmprob.RandomState(5), threads=t, **kw).tolist() for t in (2, 3)]
                os._exit(0 if got == [want, want] else 1)
            except BaseException:
                os._exit(2)
        for _ in range(600):  # a hang fails too, after a minute
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            time.sleep(0.1)
        else:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            self.fail("a batch call in a forked child did not return in 60 s")
        self.assertTrue(os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, status)
        # and the parent's workers still serve the parent
        self.assertEqual(lmprob.sample(self.x, rng=lmprob.RandomState(5), threads=2, **kw).tolist(), want)

    def test_dtype_rules(self):
        # hf: the array's dtype; float32 logits sampled in float64 equal float64 logits
        x64 = self.x.astype(np.float64)
        a = lmprob.sample(self.x, rng=lmprob.RandomState(1), top_p=0.9, dtype="float64")
        b = lmprob.sample(x64, rng=lmprob.RandomState(1), top_p=0.9)
        self.assertEqual(a.tolist(), b.tolist())
        s = lmprob.Sampler(top_p=0.9, order="llama")
        self.assertEqual(s.params["dtype"], "auto")

    def test_strides_and_layouts(self):
        x = self.x
        want = lmprob.sample(np.ascontiguousarray(x[:, ::3]), rng=lmprob.RandomState(4), top_k=20)
        got = lmprob.sample(x[:, ::3], rng=lmprob.RandomState(4), top_k=20)
        self.assertEqual(got.tolist(), want.tolist())
        f = np.asfortranarray(x)
        self.assertEqual(lmprob.sample(f, rng=lmprob.RandomState(4)).tolist(),
                         lmprob.sample(x, rng=lmprob.RandomState(4)).tolist())
        rev = x[::-1]
        self.assertEqual(lmprob.sample(rev, rng=lmprob.RandomState(2)).tolist(),
                         lmprob.sample(np.ascontiguousarray(rev), rng=lmprob.RandomState(2)).tolist())

    def test_other_array_kinds(self):
        import array
        row = self.x[0]
        want = lmprob.sample(row, rng=lmprob.RandomState(3))
        self.assertEqual(lmprob.sample(array.array("f", row.tobytes()), rng=lmprob.RandomState(3)), want)
        self.assertEqual(lmprob.sample(memoryview(row), rng=lmprob.RandomState(3)), want)
        self.assertEqual(lmprob.sample(row.tolist(), dtype="float32", rng=lmprob.RandomState(3)), want)
        try:
            import torch
        except ImportError:
            self.skipTest("torch is not installed")
        t = torch.from_numpy(self.x)
        self.assertEqual(lmprob.sample(t, rng=lmprob.RandomState(8)).tolist(),
                         lmprob.sample(self.x, rng=lmprob.RandomState(8)).tolist())
        self.assertEqual(lmprob.sample(t[2], rng=lmprob.RandomState(8)),
                         lmprob.sample(self.x[2], rng=lmprob.RandomState(8)))

    def test_sample_cache_follows_the_settings(self):
        # sample() reuses the buffers of its last chain: changing the settings, the dtype, the
        # vocabulary size or the batch between calls must give what a fresh Sampler gives.
        x64 = self.x.astype("float64")
        calls = [(self.x[0], dict(top_k=50)), (self.x[0], dict(top_p=0.9)), (x64[1], dict(top_p=0.9)),
                 (self.x[2, :1000], dict(top_p=0.9)), (self.x[2], dict(top_p=0.9)), (self.x, dict(min_p=0.1)),
                 (self.x[3], dict(min_p=0.1, order="llama")), (self.x[3], dict(min_p=0.1)),
                 (self.x[4], dict(temperature=0.0)), (self.x[4], dict(temperature=0.5, top_k=3))]
        for i, (x, kw) in enumerate(calls * 2):
            got = lmprob.sample(x, rng=lmprob.RandomState(i), **kw)
            s = lmprob.Sampler(**kw)
            want = s.sample(x, rng=lmprob.RandomState(i))
            self.assertEqual(getattr(got, "tolist", lambda: got)(), getattr(want, "tolist", lambda: want)(), (i, kw))

    def test_sample_from_threads(self):
        # concurrent sample() calls: one holds the cache, the others make their own buffers
        settings = [dict(top_k=50), dict(top_p=0.8), dict(temperature=0.7, min_p=0.05)]
        want = [self.rows(self.x, 30 + j, **kw) for j, kw in enumerate(settings)]
        errs = []

        def work(j):
            for _ in range(10):
                rs = lmprob.RandomState(30 + j)
                if [lmprob.sample(r, rng=rs, **settings[j]) for r in self.x] != want[j]:
                    errs.append(j)

        run_threads(work, 3)
        self.assertEqual(errs, [])

    def test_history_per_row(self):
        x = self.x[:3]
        hist = [[1, 2, 3], [], [5, 5]]
        got = lmprob.sample(x, history=hist, repetition_penalty=1.5, rng=lmprob.RandomState(6))
        rs = lmprob.RandomState(6)
        want = [lmprob.sample(x[i], history=hist[i], repetition_penalty=1.5, rng=rs) for i in range(3)]
        self.assertEqual(got.tolist(), want)

    def test_shared_sampler_threads(self):
        s = lmprob.Sampler(top_k=50)
        want = self.rows(self.x, 21, top_k=50)
        errs = []

        def work(_):
            for _ in range(5):
                if s.sample(self.x, rng=lmprob.RandomState(21)).tolist() != want:
                    errs.append(1)

        run_threads(work, 3)
        self.assertEqual(errs, [])


class TestErrors(unittest.TestCase):
    def test_bad_logits(self):
        with self.assertRaisesRegex(ValueError, r"logit\[2\] = nan"):
            lmprob.sample(np.array([1.0, 2.0, np.nan]))
        with self.assertRaisesRegex(ValueError, "row 1: .*logit\\[0\\]"):
            lmprob.sample(np.array([[1.0, 2.0], [np.inf, 0.0]]))
        with self.assertRaises(ValueError):
            lmprob.sample(np.full(5, -np.inf))
        with self.assertRaisesRegex(TypeError, "float32 or float64 array, got int64"):
            lmprob.sample(np.arange(5))
        with self.assertRaisesRegex(TypeError, "float16"):
            lmprob.sample(np.ones(5, dtype=np.float16))
        with self.assertRaisesRegex(ValueError, "1-D .* or 2-D"):
            lmprob.sample(np.ones((2, 2, 2)))
        with self.assertRaisesRegex(ValueError, "at least one logit"):
            lmprob.sample(np.ones(0))
        self.assertEqual(lmprob.sample(np.ones((0, 5))).shape, (0,))
        with self.assertRaisesRegex(TypeError, "expected an array"):
            lmprob.sample("abc")
        # a byte-swapped array is read through a copy in the machine's order, as scipy reads it (it was
        # refused); an out= array is written in place, so a byte-swapped one stays refused
        x = np.array([0.1, 2.0, -1.0, 0.5])
        self.assertEqual(lmprob.sample(x.astype(">f8"), rng=lmprob.RandomState(4)),
                         lmprob.sample(x, rng=lmprob.RandomState(4)))
        with self.assertRaisesRegex(TypeError, "machine's byte order"):
            lmprob.sample(np.tile(x, (2, 1)), out=np.zeros(2, dtype=">i8"))

    def test_bad_params(self):
        x = np.ones(4)
        for kw, pat in (({"top_k": -1}, "top_k"), ({"top_p": 1.5}, "top_p"), ({"temperature": -1}, "temperature"),
                        ({"order": "vllm"}, "order"), ({"dtype": "int8"}, "dtype"), ({"min_keep": 0}, "min_keep"),
                        ({"typical_p": 0.0}, "typical")):
            with self.assertRaisesRegex(ValueError, pat):
                lmprob.sample(x, **kw)
        with self.assertRaisesRegex(TypeError, "rng"):
            lmprob.sample(x, rng=np.random.RandomState(0))
        with self.assertRaisesRegex(ValueError, r"history\[1\] = 9"):
            lmprob.sample(x, history=[1, 9], repetition_penalty=1.2)
        with self.assertRaisesRegex(ValueError, r"history\[1\] = 9"):  # whatever the chain (was accepted)
            lmprob.sample(x, history=[1, 9])
        # bools are no token ids (they were read as 1 and 0), in an array or a list
        with self.assertRaisesRegex(TypeError, "history: expected an integer array of token ids, got bool"):
            lmprob.sample(x, history=np.array([True, False]))
        with self.assertRaisesRegex(TypeError, r"history\[0\]: expected an int token id, got bool"):
            lmprob.sample(x, history=[True])
        with self.assertRaisesRegex(TypeError, "out: expected an int64 array .*, got int32"):
            lmprob.sample(np.zeros((2, 3)), out=np.zeros(2, np.int32))  # a wrong type: TypeError, as documented
        with self.assertRaisesRegex(ValueError, "out: expected a contiguous int64 array of 2"):
            lmprob.sample(np.zeros((2, 3)), out=np.zeros(3, np.int64))  # a wrong shape: ValueError
        with self.assertRaisesRegex(OverflowError, "argument 'top_k' = 1180591620717411303424"):
            lmprob.sample(x, top_k=2**70)  # names the argument (was CPython's bare "too large to convert")
        with self.assertRaisesRegex(ValueError, "no sample call yet"):
            lmprob.Sampler().kept()
        # kept() is the last call's, and only a call on one row has one: after a batch or an error it says
        # which, not "no call yet" (the kept set of an earlier 1-D call is not shown as the batch's)
        s = lmprob.Sampler(top_k=2)
        s.sample(np.array([1.0, 2.0, 3.0]), rng=lmprob.RandomState(0))
        self.assertEqual(s.kept()[0].tolist(), [1, 2])
        s.sample(np.array([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]]), rng=lmprob.RandomState(0))
        with self.assertRaisesRegex(ValueError, "last sample call was on a batch"):
            s.kept()
        with self.assertRaises(ValueError):
            s.sample(np.array([1.0, float("nan")]))
        with self.assertRaisesRegex(ValueError, "last sample call raised an error"):
            s.kept()

    def test_huge_row(self):
        x = np.zeros(3_000_000, dtype=np.float32)
        x[123_456] = 50.0
        self.assertEqual(lmprob.sample(x, top_p=0.5), 123_456)


if __name__ == "__main__":
    unittest.main()
