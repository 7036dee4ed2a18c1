"""lmprob.RandomState against numpy's legacy RandomState itself, value for value."""
import copy
import threading
import unittest

from common import lmprob, np, run_threads


def outcome(f, r):
    """What f(r) gives on r, for comparing lmprob with numpy: the value, its type and dtype and the next
    random_sample (the place in the stream), or the exception's type and message (lmprob's messages start
    with "randint: ", numpy's do not)."""
    import warnings
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # numpy's casts of NaN and of out-of-range floats warn
            v = f(r)
    except Exception as e:
        return type(e), str(e).replace("randint: ", "")
    return repr(v), type(v), getattr(v, "dtype", None), r.random_sample()


INT_SPELLINGS = {
    "bool": ["bool", "np.bool_", "'?'"], "int8": ["np.int8", "'i1'", "'b'"], "uint8": ["np.uint8", "'u1'", "'B'"],
    "int16": ["np.int16", "'i2'", "'h'"], "uint16": ["np.uint16", "'H'"], "int32": ["np.int32", "'i4'", "np.intc"],
    "uint32": ["np.uint32", "'I'"], "int64": ["int", "np.int64", "'l'", "None"], "uint64": ["np.uint64", "'Q'"],
}


def random_call(g):
    """A random call for test_randint_stream, as Python source on r (g: a random.Random)."""
    if g.random() < 0.15:
        return g.choice(["r.random_sample()", "r.random_sample(3)", "r.randn()", "r.randint(2**40, size=3)",
                         "r.permutation(5)"])
    name = g.choice(list(INT_SPELLINGS))
    dt = g.choice(INT_SPELLINGS[name])
    dts = "" if dt == "None" else ", dtype=" + dt
    lo, hi = (0, 1) if name == "bool" else (int(np.iinfo(name).min), int(np.iinfo(name).max))
    u = g.random()
    if u < 0.15:  # an edge range: rng = 0, 2^8-1, 2^16-1, 2^32-1, 2^64-1, where it fits
        a = g.choice([lo, max(lo, -5), max(lo, 0)])
        b = a + g.choice([0, 1, 2**8 - 1, 2**8, 2**16 - 1, 2**16, 2**32 - 1, 2**32, 2**63, 2**64 - 1]) + 1
    elif u < 0.25:  # bounds at or beyond the dtype's
        a, b = g.choice([(lo, hi + 1), (lo - 1, hi), (lo, hi + 2), (5, 5), (0, 0), (6, 3)])
    else:
        a = g.randint(lo, max(lo, hi - 1))
        b = min(a + g.randint(1, g.choice([2, 3, 10, 255, 256, 1000, 65535, 70000, 2**31, 2**33, 2**62])), hi + 1)
    size = g.choice([None, None, 1, 5, 37, 300, (3, 4), (2, 0), ()])
    if g.random() < 0.5:  # scalar bounds, high=None when low is 0
        return f"r.randint({b}, size={size!r}{dts})" if a == 0 and g.random() < 0.5 else \
            f"r.randint({a}, {b}, size={size!r}{dts})"
    shapes = [(), (3,), (1,), (4, 1), (1, 3), (2, 3)]
    ls, hs = g.choice(shapes), g.choice(shapes[1:])

    def arr(v, shape, other):
        vals = [v if g.random() < 0.8 else g.randint(min(v, other), max(v, other)) for _ in range(int(np.prod(shape)))]
        if not shape:
            return repr(vals[0])
        kind = g.choice(["object", "int64", "uint64", "float", "list"])
        if kind == "int64" and not all(-2**63 <= x < 2**63 for x in vals) or \
                kind == "uint64" and not all(0 <= x < 2**64 for x in vals):
            kind = "object"
        if kind == "list":
            return f"np.array({vals!r}).reshape({shape!r}).tolist()"
        return f"np.array({vals!r}, dtype={kind!r}).reshape({shape!r})"

    la, ha = arr(a, ls, b - 1), arr(b, hs, a + 1)
    size = g.choice([None, None, size])
    return f"r.randint({ha}, size={size!r}{dts})" if g.random() < 0.15 else \
        f"r.randint({la}, {ha}, size={size!r}{dts})"


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

    def test_array_parameters_and_small_shapes(self):
        # Every distribution method with numbers and with arrays that broadcast (with each other and with size),
        # the shapes below 1 (numpy's own gamma, Johnk's beta, the Dirichlet of those), and the methods added
        # with them: the same values, types and dtypes as numpy, and the same next draw. Before, an array
        # parameter was a TypeError, gamma below shape 1 and beta's stream were lmprob's, and beta, lognormal,
        # laplace, chisquare and standard_t were missing.
        col = np.array([[0.5], [2.0]])
        calls = [
            "r.normal([0.0, 10.0, -5.0], 2.0)", "r.normal(0.0, [1.0, 2.0, 3.0], size=(2, 3))", "r.normal(col, [1, 2, 3])",
            "r.normal(np.float64(1.5), np.array(2.0), size=3)", "r.normal(loc=[1, 2], scale=0.0)",
            "r.uniform([0, 1], 2)", "r.uniform(-1.0, [[1.0], [3.0]], size=(2, 4))", "r.uniform([1e300, 0.0], 2.0)",
            "r.exponential([1.0, 0.5, 2.0])", "r.exponential(scale=col, size=(3, 2, 1))",
            "r.gamma(0.3, 2.0, size=6)", "r.gamma([0.05, 0.5, 1.0, 2.0, 50.0], 1.5)", "r.gamma(0.7)",
            "r.gamma(col, [1.0, 3.0])", "r.standard_gamma([0.2, 3.0], size=(4, 2))", "r.standard_gamma(1e-3, 8)",
            "r.binomial([3, 1000, 20], 0.4)", "r.binomial(10, [0.1, 0.9, 0.5], size=(2, 3))", "r.binomial(np.int32(7), 0.2)",
            "r.binomial([[5], [500]], [0.3, 0.7])",
            "r.poisson([1.0, 50.0, 0.0])", "r.poisson(col, size=(2, 3))", "r.poisson(lam=[[2.0, 2000.0]])",
            "r.beta(0.5, 0.7, size=10)", "r.beta(0.4, 2.5, size=5)", "r.beta(2.0, 3.0, size=5)", "r.beta(1.0, 1.0)",
            "r.beta([0.1, 0.9, 5.0], [0.2, 3.0, 0.5])", "r.beta(1e-3, 1e-3, size=6)",
            "r.lognormal(0.0, 1.0, size=5)", "r.lognormal([0.0, 1.0], col)", "r.lognormal()",
            "r.laplace(1.0, 2.0, size=20)", "r.laplace([0.0, 5.0], [[1.0], [0.1]])", "r.laplace()",
            "r.chisquare(3.0, size=5)", "r.chisquare([0.5, 2.0, 10.0])", "r.chisquare(1.3)",
            "r.standard_t(5.0, size=5)", "r.standard_t([0.5, 2.0, 30.0])", "r.standard_t(1.0)",
            "r.dirichlet([0.2, 0.5, 3.0], size=3)", "r.dirichlet(np.full(6, 0.05))",
            "r.normal([1.0, 2.0], 1.0, size=3)", "r.binomial([1.5, 2.0], 0.5)", "r.normal([[1, 2], [3, 4]], size=(2,))",
            "r.binomial(1.5, 0.5)", "r.binomial(np.array([1.5]), 0.5)", "r.normal([[1.0], [2.0]], size=3)",
            "r.normal(['1', '2'])", "r.binomial(np.array([3], dtype=np.uint64), 0.5)", "r.normal([], size=(0,))",
            "r.poisson([[]])", "r.normal(np.zeros((2, 0)), [1.0])",
            "r.binomial(5, 0.0)", "r.binomial(0, 0.5)", "r.binomial([0, 3, 4], [0.5, 0.0, 1.0])",
            "r.multinomial(10, [0.2, 0.3, 0.5])", "r.multinomial(10, [0.2, 0.3, 0.5], size=(2, 2))",
            "r.multinomial(10, [0.7, 0.7])", "r.multinomial(10, [0.3, 0.3])", "r.multinomial(10.7, [0.5, 0.5])",
            "r.multinomial(10, np.array([0.2, 0.8], dtype=np.float32))", "r.multinomial(2**40, [0.5, 0.5])",
            "r.multinomial(10, [1.0, 0, 0])", "r.multinomial(10, [0.5, 0.5], size=0)", "r.multinomial(0, [0.5, 0.5])",
            "r.multinomial(1000, [0.0, 0.25, 0.0, 0.75], size=3)", "r.multinomial(100, [0.1] * 10, size=4)",
            "r.multinomial(10, [0.5, 0.6, -0.1])", "r.multinomial(-1, [0.5, 0.5])", "r.multinomial(10, [0.5, np.nan])",
            "r.multinomial(10, [0.6, 0.6, 0.0])",
            "r.geometric(0.5, size=20)", "r.geometric(0.34, size=20)", "r.geometric(0.3333, size=20)",
            "r.geometric(0.1, size=20)", "r.geometric(1e-5, size=5)", "r.geometric(1.0, size=3)", "r.geometric(0.05)",
            "r.geometric([0.9, 0.2, 1e-3])", "r.geometric([[0.5], [0.01]], size=(2, 3))", "r.geometric(0.0)",
            "r.geometric(1.5)",
            "r.multivariate_normal([0, 0], [[1, 0.8], [0.8, 1]], 500)", "r.multivariate_normal([0], [[4.0]])",
            "r.multivariate_normal([1, 2, 3], np.diag([1.0, 2.0, 3.0]), size=(2, 3))",
            "r.multivariate_normal([0, 0], [[1, 2], [2, 1]], 3)", "r.multivariate_normal([0, 0], [[1, 2], [2, 1]], 3, "
            "check_valid='raise')", "r.multivariate_normal([0, 0], [[1, 2], [2, 1]], 3, check_valid='ignore')",
            "r.multivariate_normal([0, 0], np.eye(2), check_valid='x')", "r.multivariate_normal([[0, 0]], np.eye(2))",
            "r.multivariate_normal([0, 0, 0], np.eye(2))", "r.multivariate_normal([0, 0], np.ones(2))",
            "r.standard_cauchy(size=20)", "r.standard_cauchy()", "r.pareto([2.5, 0.5], size=(3, 2))",
            "r.weibull([1.5, 0.0, 3.0])", "r.power(3.0, 20)", "r.rayleigh(col, size=(2, 4))", "r.rayleigh()",
            "r.f(3.0, 7.0, 20)", "r.f([0.5, 10.0], 0.8)", "r.wald(1.0, [2.0, 0.1, 30.0])", "r.negative_binomial(5, 0.3, 20)",
            "r.negative_binomial([0.5, 50.0], [[0.9], [0.2]])", "r.gumbel(1.0, 2.0, 20)", "r.logistic([1.0, -1.0], 2.0)",
            "r.gumbel(0.0, 0.0, 3)", "r.logistic(scale=0.0)", "r.rayleigh(0.0, 2)", "r.pareto(-1.0)", "r.f(0.0, 1.0)",
            "r.wald(1.0, 0.0)", "r.negative_binomial(0.0, 0.5)",
            "r.noncentral_chisquare(3.0, 2.0, 20)", "r.noncentral_chisquare(0.5, 2.0, 20)",
            "r.noncentral_chisquare([1.0, 5.0], 0.0)", "r.noncentral_chisquare(2.0, [[0.5], [40.0]], size=(2, 3))",
            "r.noncentral_chisquare(0.0, 1.0)", "r.noncentral_chisquare(1.0, -1.0)",
            "r.noncentral_f(3.0, 7.0, 2.0, 20)", "r.noncentral_f(0.5, [0.8, 9.0], 2.0)", "r.noncentral_f(3.0, 7.0, 0.0, 5)",
            "r.noncentral_f(3.0, 7.0, -1.0)", "r.triangular(0, 1, 3, 20)", "r.triangular(-1, -1, 2, 20)",
            "r.triangular(0, 2, 2, 20)", "r.triangular([0, 1], [1, 2], [[3], [5]])", "r.triangular(1, 0, 3)",
            "r.triangular(0, 3, 2)", "r.triangular(1, 1, 1)",
            "r.bytes(0)", "r.bytes(1)", "r.bytes(5)", "r.bytes(8)", "r.bytes(13)", "r.tomaxint()", "r.tomaxint(5)",
            "r.tomaxint((2, 3))", "r.random_integers(5)", "r.random_integers(5, size=4)",
            "r.random_integers(-3, 7, size=(2, 2))", "r.random_integers(2, 4.7, 3)", "r.random_integers([1, 2], [3, 4])",
            "r.logseries(0.0, 3)", "r.logseries(0.5, 200)", "r.logseries(0.999999, 200)", "r.logseries([0.1, 0.9])",
            "r.logseries(1.0)", "r.zipf(2.0, 200)", "r.zipf(1.0001, 50)", "r.zipf(1.5, 100)", "r.zipf(1000.0, 5)",
            "r.zipf([1.5, 4.0], (3, 2))", "r.zipf(1.0)",
            "r.hypergeometric(5, 5, 3, 50)", "r.hypergeometric(10, 3, 7, 50)", "r.hypergeometric(100, 200, 50, 100)",
            "r.hypergeometric(1000, 10, 500, 100)", "r.hypergeometric(7, 0, 5, 3)", "r.hypergeometric(0, 9, 4, 3)",
            "r.hypergeometric(5.7, 5, 3, 5)", "r.hypergeometric(10**9, 10**9, 10**6, 20)",
            "r.hypergeometric(2**40, 2**41, 2**39, 20)", "r.hypergeometric(50, 50, 99, 20)",
            "r.hypergeometric(3, 997, 11, 50)", "r.hypergeometric(20, 30, 11)",
            "r.hypergeometric([[5], [50], [500]], [7, 70], [[3, 11]])", "r.hypergeometric(5, 5, 0)",
            "r.hypergeometric(-1, 5, 1)", "r.hypergeometric(5, -1, 1)", "r.hypergeometric(5, 5, 11)",
            "r.hypergeometric(np.nan, 5, 3)", "r.hypergeometric(np.array([5.0, 6.0]), 5, 3)",
            "r.vonmises(2.0, 5.0, 50)", "r.vonmises(0.0, 1e7, 20)", "r.vonmises(-3.0, 0.5, 50)",
            "r.vonmises(3.0, 1e-6, 20)", "r.vonmises(1.0, 0.0, 20)", "r.vonmises(0.0, 1e-9, 5)",
            "r.vonmises(3.1, 700.0, 20)", "r.vonmises(0.0, 1e15, 20)", "r.vonmises(-10.0, 3.0, 20)",
            "r.vonmises([0.0, 1.0, -2.0], [[0.5], [50.0]])", "r.vonmises(1.0, 2.0)", "r.vonmises(0.0, -1.0)",
        ]
        for seed in (0, 6, 37, 2**32 - 1):
            for src in calls:
                a, b = self.pair(seed)
                got = outcome(lambda r: eval(src, {"r": r, "np": np, "col": col}), a)
                want = outcome(lambda r: eval(src, {"r": r, "np": np, "col": col}), b)
                if isinstance(want[0], type):  # numpy refuses: so does lmprob, with an exception of the same type
                    self.assertEqual(got[0], want[0], "%s, seed %d: %s" % (src, seed, got))
                else:
                    self.assertEqual(got, want, "%s, seed %d" % (src, seed))
        # lmprob's own checks, for numbers and for elements of arrays (which numpy lets through as nan draws
        # or as 0): the message names the parameter and, for an array, the element of the broadcast
        a = lmprob.RandomState(1)
        with self.assertRaisesRegex(ValueError, r"^normal: element 2 of the broadcast parameters: scale = -1: "
                                                r"expected scale >= 0$"):
            a.normal(0.0, [1.0, 2.0, -1.0])
        with self.assertRaisesRegex(ValueError, r"^beta: element 1 of the broadcast parameters: b = 0"):
            a.beta([1.0, 2.0], [1.0, 0.0])
        with self.assertRaisesRegex(ValueError, r"^laplace: scale = 0: expected scale > 0"):
            a.laplace(0.0, 0.0)
        with self.assertRaisesRegex(ValueError, r"^chisquare: df = -1: expected df > 0"):
            a.chisquare(-1)
        with self.assertRaisesRegex(ValueError, r"^noncentral_chisquare: nonc = 1e\+300 with df <= 1: .*too large"):
            a.noncentral_chisquare(0.5, 1e300)  # its Poisson(nonc / 2) has no 64-bit draw (it gave nan)
        with self.assertRaisesRegex(OverflowError, r"^uniform: element 0 of the broadcast parameters: high - low"):
            a.uniform([-1e308], 1e308)
        with self.assertRaisesRegex(ValueError, r"^normal: output size \(3,\) is not compatible"):
            a.normal([[1.0], [2.0]], size=3)
        with self.assertRaisesRegex(TypeError, r"^binomial: n: cannot cast array data from dtype\('float64'\)"):
            a.binomial(np.array([1.5, 2.0]), 0.5)
        self.assertEqual(a.random_sample(), np.random.RandomState(1).random_sample())  # nothing drawn by the errors
        for call in (lambda: a.negative_binomial(1e20, 0.5), lambda: a.negative_binomial([1.0, 1e20], 0.5, size=(3, 2))):
            with self.assertRaisesRegex(ValueError, r"^negative_binomial: \d+ of the gamma draws were above 9.2e18"):
                call()  # (after drawing) each draw was -1, the Poisson sampler's "no draw"
        # zipf from a = 1025 on: numpy 1.24's loop never ends (2^(a-1) overflows, a NaN test); here 1, no draw
        z = lmprob.RandomState(1)
        self.assertEqual(z.zipf([3000.0, 1e308]).tolist(), [1, 1])
        self.assertEqual(z.random_sample(), np.random.RandomState(1).random_sample())
        # vonmises from kappa 6.0e15 on (where numpy 1.24's loop need not end) and hypergeometric's bounds
        v = lmprob.RandomState(2).vonmises([0.0, 3.0], [1e300, 1e20], size=(1000, 2))
        self.assertLess(np.abs(v[:, 0]).max(), 1e-15)
        self.assertLess(np.abs(v[:, 1] - 3.0).max(), 1e-8)
        self.assertGreater(np.unique(v[:, 1]).size, 100)  # the normal limit's spread, not a constant
        with self.assertRaisesRegex(ValueError, r"^vonmises: kappa = inf: expected kappa >= 0 \(finite\)$"):
            a.vonmises(0.0, np.inf)  # numpy 1.24's loop never ends
        with self.assertRaisesRegex(ValueError, r"^vonmises: element 1 of the broadcast parameters: mu = nan"):
            a.vonmises([0.0, np.nan], 1.0)  # numpy: nan draws
        with self.assertRaisesRegex(ValueError, r"^hypergeometric: nsample = 11: expected nsample <= ngood \+ nbad "
                                                r"= 10$"):
            a.hypergeometric(5, 5, 11)
        with self.assertRaisesRegex(ValueError, r"^hypergeometric: ngood = 4611686018427387904, nbad = "
                                                r"4611686018427387904: expected ngood \+ nbad < 2\^63 - 2$"):
            a.hypergeometric(2**62, 2**62, 10)
        h = lmprob.RandomState(5).hypergeometric(30, 12, [5, 20, 41], size=(2000, 3))
        self.assertTrue((h >= [0, 8, 29]).all() and (h <= [5, 20, 30]).all())
        self.assertAlmostEqual(h[:, 1].mean(), 20 * 30 / 42, delta=0.15)
        # geometric below p = 1.1e-16, where 1 - p rounds to 1: numpy's count is INT64_MIN, here a count >= 1
        # (log1p(-p) divides), INT64_MAX where it does not fit
        g = lmprob.RandomState(3).geometric([1e-17, 1e-300], size=(1000, 2))
        self.assertTrue((g >= 1).all() and (g[:, 1] == 2**63 - 1).all() and g[:, 0].max() < 2**63 - 1)
        self.assertGreater(np.median(g[:, 0]), 1e16)

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

    def test_randint_dtypes(self):
        # every integer dtype numpy's randint takes, under its spellings: the values, numpy's return types (a
        # Python int or bool for dtype=int or bool with size=None, else np.<dtype> scalars or arrays), the
        # place in the stream after the call (8- and 16-bit dtypes and bool draw pieces of a 32-bit word kept
        # for the call), and numpy's exception and message for bounds outside the dtype
        spellings = {
            "bool": [bool, np.bool_, "?"], "int8": [np.int8, "i1", np.byte], "uint8": [np.uint8, "B"],
            "int16": [np.int16, "h"], "uint16": [np.uint16, "u2"], "int32": [np.int32, "i4", np.intc, "i"],
            "uint32": [np.uint32, "I"], "int64": [int, np.int64, "l", "q", "int"], "uint64": [np.uint64, "Q", "L"],
        }
        cases = 0
        for name, dts in spellings.items():
            lo, hi = (0, 1) if name == "bool" else (int(np.iinfo(name).min), int(np.iinfo(name).max))
            spans = [s for s in (0, 1, 2, 9, 2**8 - 1, 2**8, 2**16 - 1, 2**16 + 3, 2**32 - 1, 2**40, 2**64 - 1)
                     if lo + s <= hi]
            bounds = [(lo, lo + s + 1) for s in spans] + [(hi - s, hi + 1) for s in spans]
            bounds += [(0, min(hi + 1, 7)), (lo - 1, 0), (0, hi + 2), (3, 3), (0, 0), (5, 2)]
            for dt in dts:
                for a, b in bounds:
                    for size in (None, 50, (3, 5), 0):
                        f = lambda r: r.randint(a, b, size=size, dtype=dt)
                        for seed in (1, 2**32 - 1):
                            self.assertEqual(outcome(f, lmprob.RandomState(seed)), outcome(f, np.random.RandomState(seed)),
                                             f"randint({a}, {b}, size={size}, dtype={dt!r}), seed {seed}")
                            cases += 1
                    f = lambda r: (r.randint(min(hi + 1, 100), dtype=dt), r.randint(min(hi + 1, 100), dtype=dt))
                    self.assertEqual(outcome(f, lmprob.RandomState(3)), outcome(f, np.random.RandomState(3)))
        self.assertGreater(cases, 2500)
        for dt in (np.float64, "f4", object, "U3", "M8[s]"):  # numpy's TypeError names the dtype
            self.assertEqual(outcome(lambda r: r.randint(5, dtype=dt), lmprob.RandomState(0)),
                             outcome(lambda r: r.randint(5, dtype=dt), np.random.RandomState(0)))
        with self.assertWarns(DeprecationWarning):  # numpy warns about a non-native byte order, then ignores it
            self.assertEqual(lmprob.RandomState(0).randint(9, size=4, dtype=">i2").dtype, np.int16)
        # numpy calls dtype(value) when dtype == int or bool: a TypeError for np.dtype('int64'), after the draw
        f = lambda r: r.randint(5, dtype=np.dtype("int64"))
        self.assertEqual(outcome(f, lmprob.RandomState(0)), outcome(f, np.random.RandomState(0)))

    def test_randint_arrays(self):
        # low and high as lists or arrays, broadcast with each other and with size as numpy does (the
        # output element i takes position i, in C order, of the broadcast of low, high and the output), the
        # checks element by element, numpy's casts of float and object bounds
        big = 2**63
        cases = [
            ([1, 2, 3], 10, None), (0, [3, 5, 10], None), ([1, 5, 7], 10, None), ([[1], [2]], [5, 6, 7], None),
            ([1, 3, 5, 7], [[10], [20]], None), ([1, 2], [[3], [4]], (2,)), ([[1], [2], [3]], 10, 2),
            ([[1], [2], [3]], 10, (4, 3, 2)), ([1, 2], 10, ()), ([5, 9], None, (3, 2)), (np.array([5]), None, None),
            ([0, 0], [1, 5], None), ([0, 0], [0, 5], None), ([0, 1], [1, 1], None), ([2, 0], [1, 0], None),
            ([-1], 3, None), (0, [2**8 + 1], None), ([], None, None), ([], None, 3), ([5], None, 0), ([1, 2], [3, 4, 5], None),
            ([0, 0], [1.5, 2**70], None), ([0.5], [0.7], None), ([0.5, 1.9], [3.7, 9.2], (2, 2)),
            (0, np.array([2**64], dtype=object), None), (0, np.array([2**64 + 1], dtype=object), None),
            (-1, np.array([2**64], dtype=object), None), (0, [2**64], None), (-big, [big], None), ([-big], big, None),
            (0, np.array([2**32], dtype=np.uint64), None), (0, [2**32 + 1], None), (0, np.array([True, True]), None),
            (np.array([2, 2], dtype=np.uint64), None, None), (np.array([-3, 4], dtype=np.int8), 120, 6),
            (np.array([[0], [10]], dtype=np.uint16), np.array([2**8, 2**16], dtype=np.uint32), None),
            (0, [2, 2, 2, 1], 40), ([0, 0, 1], [2, 1, 2], (5, 3)), (0, np.full(100, 2**16), None),
            (0, [2**31, 2**32, 2**63, 2**64], None), (["1"], ["5"], None), ([1, 2], [None, 3], None),
        ]
        dtypes = [bool, np.int8, np.uint8, np.int16, np.uint16, np.int32, np.uint32, int, np.int64, np.uint64]
        for i, (low, high, size) in enumerate(cases):
            for dt in dtypes:
                f = lambda r: r.randint(low, high, size=size, dtype=dt)
                for seed in (0, 7, 12345):
                    self.assertEqual(outcome(f, lmprob.RandomState(seed)), outcome(f, np.random.RandomState(seed)),
                                     f"case {i}: randint({low!r}, {high!r}, size={size}, dtype={dt!r}), seed {seed}")

    def test_randint_stream(self):
        # random sequences of randint calls (every dtype and spelling, scalar and array bounds, edge ranges,
        # bounds out of range) between other draws, one stream each: every call leaves it where numpy does
        import collections
        import random
        kinds = collections.Counter()
        for seed in (0, 1, 2, 3):
            g = random.Random(seed)
            a, b = lmprob.RandomState(seed), np.random.RandomState(seed)
            for i in range(300):
                call = random_call(g)
                f = eval("lambda r: " + call)
                want = outcome(f, b)
                self.assertEqual(outcome(f, a), want, f"seed {seed}, call {i}: {call}")
                self.assertTrue(isinstance(want[0], str) or want[0] is ValueError, f"{call}: {want}")
                kinds[("array" if "np.array" in call else "scalar", want[0] is ValueError)] += 1
        # most calls draw; the others are numpy's ValueErrors for bounds out of range, and nothing else
        self.assertEqual(sum(kinds.values()), 1200)
        self.assertGreater(kinds[("array", False)], 250)
        self.assertGreater(kinds[("scalar", False)], 500)

    def test_integers_on_xoshiro(self):
        # lmprob's own stream: the same methods, uniform over their range, seeded reproducibly
        r = lmprob.Xoshiro256(7)
        x = r.randint(-3, 4, size=70000)
        self.assertEqual(set(x.tolist()), set(range(-3, 4)))
        counts = np.bincount(x + 3)
        self.assertLess(((counts - 10000) ** 2 / 10000).sum(), 30)  # chi-square, 6 dof: p ~ 4e-5
        for dt, lo in ((np.uint8, 0), (np.int16, -3), (np.int32, -3)):  # the narrow dtypes on its words too
            y = r.randint(lo, lo + 7, size=70000, dtype=dt)
            self.assertEqual(y.dtype, dt)
            counts = np.bincount(y.astype(np.int64) - lo, minlength=7)
            self.assertLess(((counts - 10000) ** 2 / 10000).sum(), 30, dt)
        ones = r.randint(2, size=40000, dtype=bool).sum()
        self.assertLess(abs(ones - 20000), 5 * 100)  # 5 standard deviations
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
        # numpy's dict form (get_state(legacy=False)) both ways, a cached Gaussian in it
        e = lmprob.RandomState(5)
        e.randn()
        n = np.random.RandomState()
        n.set_state(e.get_state(legacy=False))
        np.testing.assert_array_equal(n.randn(3), copy.deepcopy(e).randn(3))
        want = np.random.RandomState(5)
        want.randn()
        f = lmprob.RandomState(0)
        f.set_state(want.get_state(legacy=False))
        np.testing.assert_array_equal(f.randn(3), want.randn(3))
        with self.assertRaisesRegex(TypeError, "numpy's dict"):
            f.set_state({"bit_generator": "MT19937"})

    def test_set_state_out_of_range_as_numpy(self):
        # What numpy's Cython refuses with OverflowError on the way into a C int (pos, has_gauss) or a
        # uint32_t (each key) was cast here: the dict's pos = 2**32 + 3 was stored as 3, has_gauss = 2**32 as
        # 0, a key of -1 as 4294967295 and 2**40 as 0. Each case in both forms, against numpy's own refusal;
        # the stream must be left as it was.
        base = np.random.RandomState(3)

        def forms(pos=None, has_gauss=None, key=None):
            t = list(base.get_state())
            d = base.get_state(legacy=False)
            if pos is not None:
                t[2] = d["state"]["pos"] = pos
            if has_gauss is not None:
                t[3] = d["has_gauss"] = has_gauss
            if key is not None:
                t[1] = d["state"]["key"] = key
            return tuple(t), d

        keys = base.get_state()[1]
        cases = [{"pos": 2**32 + 3}, {"pos": 2**31}, {"pos": -2**31 - 1}, {"pos": 2**64},
                 {"has_gauss": 2**32}, {"has_gauss": 2**31}, {"has_gauss": -2**40}]
        for bad in (-1, 2**32, 2**40, 2**64 - 1):
            for i in (0, 623):
                k = [int(x) for x in keys]
                k[i] = bad
                cases.append({"key": k})
                if bad < 2**63:
                    cases.append({"key": np.array(k, dtype=np.int64)})
        cases.append({"key": np.full(624, 2**32, dtype=np.uint64)})
        for case in cases:
            for state in forms(**case):
                with self.assertRaises(OverflowError, msg=f"numpy {case} {type(state).__name__}"):
                    np.random.RandomState(0).set_state(state)
                r = lmprob.RandomState(0)
                with self.assertRaises(OverflowError, msg=f"lmprob {case} {type(state).__name__}"):
                    r.set_state(state)
                self.assertEqual(r.random_sample(), np.random.RandomState(0).random_sample())
        # the edges of the ranges are taken, as numpy takes them
        for case in ({"key": [0] + [2**32 - 1] * 623}, {"has_gauss": 0}):
            for state in forms(**case):
                r, n = lmprob.RandomState(0), np.random.RandomState(0)
                r.set_state(state)
                n.set_state(state)
                np.testing.assert_array_equal(r.get_state()[1], n.get_state()[1])
                self.assertEqual(r.random_sample(), n.random_sample())
        with self.assertRaisesRegex(OverflowError, r"set_state: pos = 4294967299: value too large to convert to int"):
            lmprob.RandomState(0).set_state(forms(pos=2**32 + 3)[1])
        with self.assertRaisesRegex(OverflowError, r"set_state: keys\[5\] = -1: can't convert negative value to uint32_t"):
            lmprob.RandomState(0).set_state(forms(key=[-1 if i == 5 else 0 for i in range(624)])[0])

    def test_seed_and_errors(self):
        a = lmprob.RandomState(5)
        x = a.random_sample()
        a.seed(5)
        self.assertEqual(a.random_sample(), x)
        # one wording for every seed out of range, the value named (-1 and 2**32 were worded apart)
        for bad in (-1, 2**32, 2**64):
            with self.assertRaisesRegex(ValueError, r"^seed = %d: expected an int between 0 and 2\*\*32 - 1 \(as "
                                        r"np.random.seed\)$" % bad):
                lmprob.RandomState(bad)
        for bad in (-1, 2**64):
            with self.assertRaisesRegex(ValueError, r"^seed = %d: expected an int between 0 and 2\*\*64 - 1$" % bad):
                lmprob.Xoshiro256(bad)
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

    def test_seed_arrays(self):
        # numpy's legacy seeding of a sequence (MT19937's init_by_array) and of a one-element array
        # (squeezed to its int), the keys' range and shape checked as numpy checks them
        seeds = ([1, 2, 3], (0,), [2**32 - 1, 7], list(range(700)), [5], np.array([5]), np.array([[4]]),
                 np.array([1, 2, 3], np.uint32), np.int64(9))
        for seed in seeds:
            want = np.random.RandomState(seed)
            a = lmprob.RandomState(seed)
            np.testing.assert_array_equal(a.random_sample(5), want.random_sample(5), err_msg=repr(seed))
            a.seed(seed)
            np.testing.assert_array_equal(a.randn(3), np.random.RandomState(seed).randn(3), err_msg=repr(seed))
        for bad, err in (([], ValueError), (np.array([], dtype=int), ValueError), ([-1], ValueError),
                         ([3, 2**32], ValueError), ([1.5], TypeError),
                         (np.array([[1, 2], [3, 4]]), ValueError), ("ab", TypeError)):
            with self.assertRaises(err, msg=repr(bad)):
                np.random.RandomState(bad)  # the peer refuses it, and with the same kind of error:
            with self.assertRaises(err, msg=repr(bad)):
                lmprob.RandomState(bad)
        with self.assertRaisesRegex(TypeError, "expected an int"):
            lmprob.Xoshiro256([1, 2])  # numpy's array seeding is the legacy stream's

    def test_pickle_and_copy(self):
        import copy
        import pickle
        for cls in (lmprob.RandomState, lmprob.Xoshiro256):
            a = cls(11)
            a.randn(3)  # an odd count: RandomState caches a Gaussian in its state
            for b in (pickle.loads(pickle.dumps(a)), copy.copy(a), copy.deepcopy(a)):
                self.assertIs(type(b), cls)
                np.testing.assert_array_equal(b.randn(7), copy.deepcopy(a).randn(7))
            c = cls(0)
            with self.assertRaises((TypeError, ValueError)):
                c.__setstate__(("other", (1,), 0, 0, 0.0))
            with self.assertRaisesRegex(ValueError, "all-zero"):
                c.__setstate__(a.__reduce__()[2][:1] + (tuple(0 for _ in a.__reduce__()[2][1]),) +
                               a.__reduce__()[2][2:])

    def test_repr(self):
        # numpy's form (RandomState(MT19937) at 0x...): the stream's kind, not a call that reads as unseeded
        self.assertRegex(repr(lmprob.RandomState(3)), r"^lmprob\.RandomState\(MT19937\) at 0x[0-9a-fA-F]+$")
        self.assertRegex(repr(lmprob.Xoshiro256(3)), r"^lmprob\.Xoshiro256\(xoshiro256\*\*\) at 0x[0-9a-fA-F]+$")
        self.assertIn("(MT19937) at 0x", repr(np.random.RandomState(3)))  # the form it follows

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
