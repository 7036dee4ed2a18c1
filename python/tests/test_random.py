"""lmprob.RandomState against numpy's legacy RandomState itself, value for value."""
import threading
import unittest

from common import lmprob, np, run_threads


class TestNumpyStream(unittest.TestCase):
    def pair(self, seed):
        return lmprob.RandomState(seed), np.random.RandomState(seed)

    def test_methods(self):
        for seed in (0, 42, 2**32 - 1):
            a, b = self.pair(seed)
            # interleaved calls: one stream, so every method must consume numpy's draws exactly
            np.testing.assert_array_equal(a.random_sample(7), b.random_sample(7))
            self.assertEqual(a.random_sample(), b.random_sample())
            np.testing.assert_array_equal(a.rand(3, 2), b.rand(3, 2))
            self.assertEqual(a.randn(), b.randn())  # leaves a cached deviate
            np.testing.assert_array_equal(a.randn(5), b.randn(5))
            np.testing.assert_array_equal(a.standard_normal((2, 3)), b.standard_normal((2, 3)))
            np.testing.assert_array_equal(a.normal(3.0, 2.0, size=101), b.normal(3.0, 2.0, size=101))
            self.assertEqual(a.normal(), b.normal())
            np.testing.assert_array_equal(a.uniform(-2, 5, size=9), b.uniform(-2, 5, size=9))
            np.testing.assert_array_equal(a.standard_exponential(6), b.standard_exponential(6))
            np.testing.assert_array_equal(a.exponential(2.5, 6), b.exponential(2.5, 6))
            np.testing.assert_array_equal(a.binomial(3, 0.5, size=50), b.binomial(3, 0.5, size=50))
            np.testing.assert_array_equal(a.binomial(1000, 0.3, size=50), b.binomial(1000, 0.3, size=50))
            np.testing.assert_array_equal(a.poisson(4.0, size=30), b.poisson(4.0, size=30))
            np.testing.assert_array_equal(a.poisson(40.0, size=30), b.poisson(40.0, size=30))
            np.testing.assert_array_equal(a.gamma(2.5, 1.5, size=20), b.gamma(2.5, 1.5, size=20))
            np.testing.assert_array_equal(a.standard_gamma(1.0, size=5), b.standard_gamma(1.0, size=5))
            np.testing.assert_array_equal(a.dirichlet([1.0, 2.0, 3.5], size=4), b.dirichlet([1.0, 2.0, 3.5], size=4))
            p = [0.4, 0.25, 0.15, 0.12, 0.08]
            np.testing.assert_array_equal(a.choice(5, size=40, p=p), b.choice(5, size=40, p=p))
            self.assertEqual(a.choice(5, p=p), b.choice(5, p=p))
            vocab = ["the", "cat", "sat", "on", "mat"]
            np.testing.assert_array_equal(a.choice(vocab, size=10, p=p), b.choice(vocab, size=10, p=p))
            self.assertEqual(a.random_sample(), b.random_sample())

    def test_integers(self):
        # randint, choice (with and without p, with and without replacement), permutation and shuffle: numpy's
        # masked rejection, 32-bit words below 2^32 and 64-bit ones above, the same value and the same next
        # draw (random_sample after each call) as numpy, and numpy's exception type for bad arguments
        big = 2**63
        w = np.random.RandomState(1).dirichlet(np.full(1000, 0.1))

        def shuffled(x):
            def f(r):
                y = x.copy()
                r.shuffle(y)
                return y
            return f

        def shuffled_view(r):
            y = np.arange(20)
            r.shuffle(y[::2])
            return y

        cases = [
            lambda r: r.randint(10), lambda r: r.randint(10, size=20), lambda r: r.randint(-5, 5, size=(3, 4)),
            lambda r: r.randint(2**32, size=7), lambda r: r.randint(2**32 - 1, size=7),
            lambda r: r.randint(2**32 + 1, size=7), lambda r: r.randint(3_000_000_007, size=7),
            lambda r: r.randint(2**40 + 3, size=9), lambda r: r.randint(-big, big - 1, size=5),
            lambda r: r.randint(big - 10, big - 1, size=5), lambda r: r.randint(1, size=5),
            lambda r: r.randint(0, size=0), lambda r: r.randint(7.9, size=4), lambda r: r.randint(10, dtype=np.int64),
            lambda r: r.randint(low=3, high=9, size=3), lambda r: r.randint(0), lambda r: r.randint(5, 5),
            lambda r: r.randint(0, big + 1), lambda r: r.randint(-big - 1, 0),
            lambda r: r.choice(5), lambda r: r.choice(5, size=10), lambda r: r.choice(2**33, size=3),
            lambda r: r.choice(["a", "b", "c"], size=(2, 2)), lambda r: r.choice(["a", "b", "c"]),
            lambda r: r.choice(["a", "b", "c"], size=()), lambda r: r.choice(np.int64(7), size=3),
            lambda r: r.choice(True, size=3),
            lambda r: r.choice(10, 4, replace=False), lambda r: r.choice(10, 10, replace=False),
            lambda r: r.choice(10, replace=False), lambda r: r.choice(3, 4, replace=False),
            lambda r: r.choice(6, 4, replace=False, p=[.1, .2, .3, .15, .05, .2]),
            lambda r: r.choice(6, 6, replace=False, p=[.1, .2, .3, .15, .05, .2]),
            lambda r: r.choice(6, 3, replace=False, p=[0, .5, 0, .25, 0, .25]),
            lambda r: r.choice(6, 4, replace=False, p=[0, .5, 0, .25, 0, .25]),
            lambda r: r.choice(8, (2, 2), replace=False, p=np.full(8, 1 / 8)),
            lambda r: r.choice(1000, 300, replace=False, p=w), lambda r: r.choice(1000, 3, replace=False),
            lambda r: r.choice([[1, 2], [3, 4]], size=2, p=[.5, .5]), lambda r: r.choice(np.array(3), p=[.2, .3, .5]),
            lambda r: r.choice((1, 2, 3), size=2, p=[.2, .3, .5]), lambda r: r.choice("abc"),
            lambda r: r.choice(3.0), lambda r: r.choice(0), lambda r: r.choice(0, size=0),
            lambda r: r.choice([], size=0), lambda r: r.choice([]), lambda r: r.choice(3, p=[[.2, .3, .5]]),
            lambda r: r.choice(2, p=[float("nan"), 1]), lambda r: r.choice(2, p=[-0.5, 1.5]),
            lambda r: r.choice(2, p=[.5, .6]), lambda r: r.choice(3, p=[.5, .5]),
            lambda r: r.choice(3, size=5, p=np.array([.2, .3, .5001], dtype=np.float32)),
            lambda r: r.permutation(10), lambda r: r.permutation(-3), lambda r: r.permutation([5, 6, 7, 8]),
            lambda r: r.permutation(np.arange(12).reshape(4, 3)), lambda r: r.permutation(2.0),
            lambda r: r.permutation(np.int32(6)), lambda r: r.permutation(5000),
            shuffled(list(range(9))), shuffled(np.arange(9.0)), shuffled(np.arange(12).reshape(4, 3)),
            shuffled([]), shuffled([1]), shuffled(np.array(3)), shuffled_view,
        ]

        def outcome(f, r):
            try:
                v = f(r)
            except Exception as e:  # numpy's exception type is part of the contract
                return type(e)
            return repr(v), type(v), getattr(v, "dtype", None), r.random_sample()

        for i, f in enumerate(cases):
            for seed in (0, 1, 12345):
                self.assertEqual(outcome(f, lmprob.RandomState(seed)), outcome(f, np.random.RandomState(seed)),
                                 f"case {i}, seed {seed}")
        with self.assertRaisesRegex(ValueError, "only int64"):
            lmprob.RandomState(0).randint(5, dtype=np.int32)
        with self.assertRaisesRegex(ValueError, "low as an array is not implemented"):
            lmprob.RandomState(0).randint([1, 2])

    def test_integers_on_xoshiro(self):
        # lmprob's own stream: the same methods, uniform over their range, seeded reproducibly
        r = lmprob.Xoshiro256(7)
        x = r.randint(-3, 4, size=70000)
        self.assertEqual(set(x.tolist()), set(range(-3, 4)))
        counts = np.bincount(x + 3)
        self.assertLess(((counts - 10000) ** 2 / 10000).sum(), 30)  # chi-square, 6 dof: p ~ 4e-5
        self.assertEqual(sorted(r.permutation(50).tolist()), list(range(50)))
        self.assertEqual(len(set(r.choice(100, 100, replace=False).tolist())), 100)
        np.testing.assert_array_equal(lmprob.Xoshiro256(3).choice(10, 5), lmprob.Xoshiro256(3).choice(10, 5))

    def test_poisson_huge_lambda(self):
        # PTRS's acceptance test turns on the last bits of log Gamma at large lambda: numpy's own
        # (src/dist/poisson.c loggam_numpy) keeps its stream, to its limit, past 2^53
        for lam in (1e15, 1e17, 9.2e18, 9.223372006484771e18):
            for seed in (1, 2):
                np.testing.assert_array_equal(lmprob.RandomState(seed).poisson(lam, 20000),
                                              np.random.RandomState(seed).poisson(lam, 20000), err_msg=f"lam {lam}")
        for bad in (9.3e18, float("inf"), -1.0):
            with self.assertRaisesRegex(ValueError, "lambda"):
                lmprob.RandomState(0).poisson(bad)

    def test_chapter_seeded_outputs(self):
        # "Simulate a tiny 4-token language model": np.random.seed(42), three choices from mock_lm_probs
        vocab = ["<s>", "the", "cat", "sat", "</s>"]

        def mock(context):
            if context == ["<s>"]:
                return [0.0, 0.7, 0.2, 0.0, 0.1]
            if context[-1] == "the":
                return [0.0, 0.0, 0.6, 0.1, 0.3]
            if context[-1] == "cat":
                return [0.0, 0.0, 0.0, 0.8, 0.2]
            return [0.0, 0.0, 0.0, 0.0, 1.0]

        def run(rng):
            context = ["<s>"]
            for _ in range(3):
                context.append(vocab[rng.choice(len(vocab), p=mock(context))])
            return context

        np.random.seed(42)
        self.assertEqual(run(lmprob.RandomState(42)), run(np.random))
        # the weights and the covariance example: np.random.seed(0) streams
        a, b = lmprob.RandomState(0), np.random.RandomState(0)
        np.testing.assert_array_equal(a.normal(0.0, 0.02, size=(768, 768)), b.normal(0.0, 0.02, size=(768, 768)))
        np.testing.assert_array_equal(a.binomial(3, 0.5, size=100000), b.binomial(3, 0.5, size=100000))

    def test_state_roundtrip(self):
        a, b = self.pair(7)
        a.randn()
        b.randn()  # a cached Gaussian in the state
        st = a.get_state()
        self.assertEqual(st[0], "MT19937")
        c = np.random.RandomState()
        c.set_state(st)
        np.testing.assert_array_equal(c.randn(5), b.randn(5))
        d = lmprob.RandomState(1)
        d.set_state(np.random.RandomState(99).get_state())
        np.testing.assert_array_equal(d.random_sample(4), np.random.RandomState(99).random_sample(4))

    def test_seed_and_errors(self):
        a = lmprob.RandomState(5)
        x = a.random_sample()
        a.seed(5)
        self.assertEqual(a.random_sample(), x)
        for bad in (-1, 2**32):
            with self.assertRaisesRegex(ValueError, "seed"):
                lmprob.RandomState(bad)
        with self.assertRaises(TypeError):
            lmprob.RandomState(1.5)
        with self.assertRaisesRegex(ValueError, "do not sum to 1"):
            a.choice(3, p=[0.5, 0.5, 0.5])
        with self.assertRaisesRegex(ValueError, "non-negative"):
            a.choice(2, p=[1.5, -0.5])
        with self.assertRaisesRegex(ValueError, "scale"):
            a.normal(0, -1)
        with self.assertRaisesRegex(ValueError, "negative dimensions"):
            a.random_sample((2, -1))
        self.assertEqual(a.random_sample(0).shape, (0,))
        with self.assertRaises(ValueError):
            a.binomial(-1, 0.5)

    def test_xoshiro_is_the_cli_stream(self):
        from common import cli_json
        for kind, method in (("uniform", "random_sample"), ("normal", "standard_normal"),
                             ("exponential", "standard_exponential")):
            for rng, cls in (("xoshiro", lmprob.Xoshiro256), ("numpy", lmprob.RandomState)):
                want = cli_json("rng", "--rng", rng, "--seed", 42, kind, "-n", 50)["values"]
                self.assertEqual(getattr(cls(42), method)(50).tolist(), want, (kind, rng))
        x, y = lmprob.Xoshiro256(42), lmprob.Xoshiro256(42)
        y.jump()
        self.assertNotEqual(x.random_sample(), y.random_sample())
        with self.assertRaises(AttributeError):
            x.get_state()

    def test_shared_between_threads(self):
        """Draws from 4 threads on one stream: together exactly the stream's first N values."""
        a = lmprob.RandomState(3)
        got = []
        lock = threading.Lock()

        def work(_):
            for _ in range(50):
                v = a.random_sample(100)
                with lock:
                    got.append(v)

        run_threads(work, 4)
        want = np.random.RandomState(3).random_sample(4 * 50 * 100)
        self.assertEqual(sorted(np.concatenate(got).tolist()), sorted(want.tolist()))


if __name__ == "__main__":
    unittest.main()
