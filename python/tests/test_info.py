"""Information theory along an axis against scipy / numpy and the chapter's functions."""
import math
import unittest

from common import lmprob, np

try:
    import scipy.special as sp
    import scipy.stats as st
    from scipy.spatial.distance import jensenshannon
except ImportError:  # the bench set-up installs scipy; the test set-up need not
    sp = None

# Relative tolerance for float64 results against scipy's: both subtract the maximum and
# sum in double, in different orders: a few ulp over a few hundred terms.
RTOL = 1e-12


def chapter_kl(P, Q, eps=1e-10):
    P, Q = np.array(P) + eps, np.array(Q) + eps
    P, Q = P / P.sum(), Q / Q.sum()
    return np.sum(P * np.log(P / Q))


@unittest.skipIf(sp is None, "scipy is not installed")
class TestAgainstScipy(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        rs = np.random.RandomState(5)
        cls.p = rs.dirichlet(np.ones(300), size=(4, 6))      # (4, 6, 300)
        cls.q = rs.dirichlet(np.ones(300), size=(4, 6))
        cls.x = rs.randn(4, 6, 300) * 5

    def test_entropy_axes(self):
        p = self.p
        for axis in (-1, 2, 1, 0):
            np.testing.assert_allclose(lmprob.entropy(p, axis=axis), st.entropy(p, axis=axis), rtol=RTOL)
            np.testing.assert_allclose(lmprob.entropy(p, 2, axis=axis), st.entropy(p, base=2, axis=axis), rtol=RTOL)
        self.assertEqual(lmprob.entropy(p, axis=1, keepdims=True).shape, (4, 1, 300))
        np.testing.assert_allclose(lmprob.entropy(p, axis=None), st.entropy(p.ravel()), rtol=RTOL)
        self.assertEqual(lmprob.entropy(p, axis=None, keepdims=True).shape, (1, 1, 1))
        self.assertIsInstance(lmprob.entropy(p[0, 0]), float)
        # axis=None: broadcast first, then flat (scipy); a map keeps the shape, float32 stays float32
        q = self.q[0, 0]  # (300,) against (4, 6, 300)
        np.testing.assert_allclose(lmprob.kl(p, q, axis=None), st.entropy(p, np.broadcast_to(q, p.shape), axis=None),
                                   rtol=RTOL)
        x32 = self.x.astype(np.float32)
        for x in (self.x, self.x.transpose(2, 0, 1), x32, x32.transpose(1, 2, 0)):
            for f, ref in ((lmprob.softmax, sp.softmax), (lmprob.log_softmax, sp.log_softmax)):
                y = f(x, axis=None)
                self.assertEqual((y.shape, y.dtype), (x.shape, x.dtype))
                np.testing.assert_allclose(y, ref(x.astype(np.float64), axis=None), rtol=1e-5 if x.dtype == np.float32 else 1e-12, atol=1e-30)
        # counts are normalised (scipy's rule), 0 log 0 = 0
        self.assertAlmostEqual(lmprob.entropy([3, 1, 0, 4], base=10), st.entropy([3, 1, 0, 4], base=10), places=14)
        # the chapter's shannon_entropy examples
        self.assertEqual(lmprob.entropy([1.0, 0.0, 0.0]), 0.0)
        self.assertEqual(lmprob.entropy([0.5, 0.5], base=2), 1.0)
        self.assertEqual(lmprob.entropy([0.25] * 4, base=2), 2.0)
        self.assertAlmostEqual(lmprob.entropy_of_logits(np.zeros(50257)), math.log(50257), places=12)
        self.assertTrue(math.isnan(lmprob.entropy([0.5, -0.5, 1.0])))
        # an empty row is no distribution: NaN for all four (docs/information.md; scipy's entropy([]) is 0.0)
        for f, args in ((lmprob.entropy, ([],)), (lmprob.cross_entropy, ([], [])), (lmprob.kl, ([], [])),
                        (lmprob.js, ([], []))):
            self.assertTrue(math.isnan(f(*args)), f.__name__)

    def test_noncontiguous_and_float32(self):
        p = self.p[:, ::2, ::3]
        np.testing.assert_allclose(lmprob.entropy(p), st.entropy(p, axis=-1), rtol=RTOL)
        np.testing.assert_allclose(lmprob.entropy(p, axis=0), st.entropy(p, axis=0), rtol=RTOL)
        p32 = self.p.astype(np.float32)
        np.testing.assert_allclose(lmprob.entropy(p32), st.entropy(p32.astype(np.float64), axis=-1), rtol=1e-6)
        # the chapter's KL of float32 rows: the float64 answer of the same values, to the bit
        q32 = self.p[::-1].astype(np.float32)
        p64, q64 = p32.astype(np.float64), q32.astype(np.float64)
        self.assertEqual(lmprob.kl(p32, q32, eps=1e-10).tolist(), lmprob.kl(p64, q64, eps=1e-10).tolist())
        # and the cross-entropy and JS (divergence and distance), likewise
        self.assertEqual(lmprob.cross_entropy(p32, q32, 2).tolist(), lmprob.cross_entropy(p64, q64, 2).tolist())
        self.assertEqual(lmprob.js(p32, q32).tolist(), lmprob.js(p64, q64).tolist())
        self.assertEqual(lmprob.js(p32, q32, 2, distance=True).tolist(), lmprob.js(p64, q64, 2, distance=True).tolist())
        x32 = self.x.astype(np.float32)
        ls = lmprob.log_softmax(x32)
        self.assertEqual(ls.dtype, np.float32)
        np.testing.assert_allclose(ls, sp.log_softmax(x32.astype(np.float64), axis=-1), rtol=1e-5, atol=1e-5)

    def test_divergences_broadcast(self):
        p, q = self.p, self.q
        np.testing.assert_allclose(lmprob.kl(p, q), st.entropy(p, q, axis=-1), rtol=RTOL)
        np.testing.assert_allclose(lmprob.kl(p, q, 2, axis=0), st.entropy(p, q, base=2, axis=0), rtol=RTOL)
        np.testing.assert_allclose(lmprob.js(p, q, distance=True), jensenshannon(p, q, axis=-1), rtol=1e-10)
        np.testing.assert_allclose(lmprob.js(p, q), jensenshannon(p, q, axis=-1) ** 2, rtol=1e-10)
        ce = -(sp.xlogy(p, q)).sum(-1)
        np.testing.assert_allclose(lmprob.cross_entropy(p, q), ce, rtol=RTOL)
        # one reference distribution against every row: numpy broadcasting
        ref = q[0, 0]
        np.testing.assert_allclose(lmprob.kl(p, ref), st.entropy(p, np.broadcast_to(ref, p.shape), axis=-1), rtol=RTOL)
        with self.assertRaisesRegex(ValueError, "broadcast"):
            lmprob.kl(p, q[:, :, :5])
        self.assertEqual(lmprob.kl([0.5, 0.5], [1.0, 0.0]), math.inf)

    def test_chapter_kl(self):
        P, Q = [0.9, 0.1], [0.5, 0.5]
        self.assertAlmostEqual(lmprob.kl(P, Q, eps=1e-10), chapter_kl(P, Q), places=15)
        self.assertAlmostEqual(lmprob.kl(Q, P, eps=1e-10), chapter_kl(Q, P), places=15)
        self.assertEqual(round(lmprob.kl(P, Q), 4), 0.3681)   # exact KL; the chapter's comment says 0.5108 (ERRATA)

    def test_smoothed_kl_close(self):
        # the smoothed KL (eps) of two distributions 1e-8 apart: its terms a log(a / b) carried the rounding of the
        # two normalisations whole (2.2e-17 for 5.07e-17, or negative); Loader's deviance terms keep the digits.
        # The reference in exact rationals: sum of a log(a / b) over the smoothed, normalised values (mpmath)
        import mpmath as mp
        mp.mp.dps = 50
        rng = np.random.default_rng(5)
        p = rng.random(100)
        q = p * (1 + 1e-8 * rng.standard_normal(100))
        eps = 1e-10
        pe = [mp.mpf(float(x)) + eps for x in p]
        qe = [mp.mpf(float(x)) + eps for x in q]
        sp, sq = mp.fsum(pe), mp.fsum(qe)
        want = float(mp.fsum((a / sp) * mp.log((a / sp) / (b / sq)) for a, b in zip(pe, qe)))
        self.assertAlmostEqual(want, 5.0690214587679904e-17, delta=1e-25)
        # the condition number is about 3e8 here (KL ~ 5e-17 from terms ~ 1e-8): 1e-8 relative is a few ulps of it
        self.assertLess(abs(lmprob.kl(p, q, eps=eps) - want) / want, 1e-8)

    def test_logsumexp_softmax(self):
        x = self.x
        np.testing.assert_allclose(lmprob.logsumexp(x), sp.logsumexp(x, axis=-1), rtol=RTOL)
        np.testing.assert_allclose(lmprob.logsumexp(x, axis=1, keepdims=True),
                                   sp.logsumexp(x, axis=1, keepdims=True), rtol=RTOL)
        np.testing.assert_allclose(lmprob.log_softmax(x, axis=0), sp.log_softmax(x, axis=0), rtol=RTOL, atol=1e-13)
        np.testing.assert_allclose(lmprob.softmax(x, axis=1), sp.softmax(x, axis=1), rtol=1e-12, atol=1e-300)
        self.assertEqual(lmprob.logsumexp([1e308, 1e308]), 1e308 + math.log(2))
        self.assertEqual(lmprob.logsumexp([]), -math.inf)
        big = np.array([1e4, -1e4, 0.0, -np.inf])
        np.testing.assert_allclose(lmprob.log_softmax(big), sp.log_softmax(big), rtol=RTOL)

    def test_perplexity(self):
        self.assertAlmostEqual(lmprob.perplexity([math.log(1 / 50257)] * 100), 50257.0, places=6)
        self.assertEqual(lmprob.perplexity([0.0] * 100), 1.0)
        lp = np.log(self.p)
        np.testing.assert_allclose(lmprob.perplexity(lp), np.exp(-np.mean(lp, axis=-1)), rtol=RTOL)

    def test_errors(self):
        with self.assertRaisesRegex(ValueError, r"vector \(1\): .*nan"):
            lmprob.softmax(np.array([[0.0, 1.0], [np.nan, 1.0]]))
        with self.assertRaisesRegex(ValueError, "out of bounds"):
            lmprob.entropy(self.p, axis=3)
        with self.assertRaisesRegex(ValueError, "base"):
            lmprob.entropy(self.p, base=1)
        with self.assertRaisesRegex(TypeError, "axis"):
            lmprob.entropy(self.p, axis="x")
        with self.assertRaisesRegex(ValueError, "0-d"):
            lmprob.entropy(np.float64(3.0).reshape(()))
        with self.assertRaisesRegex(TypeError, "array of numbers"):
            lmprob.entropy("abc")
        with self.assertRaisesRegex(ValueError, "at least one value"):
            lmprob.softmax(np.ones((3, 0)))
        self.assertEqual(lmprob.entropy(np.ones((0, 4))).shape, (0,))

    def test_out_of_memory_says_what(self):
        # a broadcast input is copied a vector at a time, a result is allocated whole: either one too large raised
        # MemoryError with no message. 2**45 items: more bytes than a 47-bit address space, so the allocation fails
        # whatever the machine's overcommit policy
        huge = np.broadcast_to(np.ones(1), (2**45,))
        with self.assertRaisesRegex(MemoryError, r"^kl: a contiguous copy of vectors of 35184372088832 values: out of "
                                    r"memory \(844 TB\)$"):
            lmprob.kl(huge, huge)
        with self.assertRaisesRegex(MemoryError, r"^a result array of 35184372088832 values: out of memory \(281 TB\)$"):
            lmprob.softmax(huge)

    def test_large_threaded(self):
        x = np.random.RandomState(1).randn(64, 50257).astype(np.float32)
        np.testing.assert_allclose(lmprob.logsumexp(x), sp.logsumexp(x.astype(np.float64), axis=-1), rtol=1e-6)
        np.testing.assert_allclose(lmprob.entropy_of_logits(x), st.entropy(sp.softmax(x.astype(np.float64), -1),
                                                                            axis=-1), rtol=1e-5)


if __name__ == "__main__":
    unittest.main()



try:
    import mpmath
except ImportError:
    mpmath = None


@unittest.skipIf(mpmath is None or np.finfo(np.longdouble).nmant < 63, "needs mpmath and an 80-bit long double")
class TestResultMemory(unittest.TestCase):
    def test_reused_blocks_stay_apart(self):
        """The memory of freed large results is reused (array.c, block_alloc): a live result
        never shares it, and a reused block of another size gives an array of the new size."""
        rng = np.random.default_rng(5)
        xs = [rng.standard_normal(n) * 3 for n in (50257, 50257, 30000, 50257, 70000)]
        want = [np.exp(x - x.max()) / np.exp(x - x.max()).sum() for x in xs]
        a = lmprob.softmax(xs[0])
        b = lmprob.softmax(xs[1])
        del a  # its block is kept
        c = lmprob.softmax(xs[2])  # 240 KB from a kept 402 KB block
        d = lmprob.softmax(xs[3])
        e = lmprob.log_softmax(xs[4])
        self.assertEqual([c.shape, d.shape, e.shape], [(30000,), (50257,), (70000,)])
        np.testing.assert_allclose(b, want[1], rtol=1e-13)
        np.testing.assert_allclose(c, want[2], rtol=1e-13)
        np.testing.assert_allclose(d, want[3], rtol=1e-13)
        np.testing.assert_allclose(np.exp(e), want[4], rtol=1e-12)
        self.assertEqual(len({id(b), id(c), id(d), id(e)}), 4)
        ptrs = [arr.__array_interface__["data"][0] for arr in (b, c, d, e)]
        self.assertEqual(len(set(ptrs)), 4)  # four live results, four blocks


class TestLongDoubleReference(unittest.TestCase):
    """tests/test_info.c measures the vector exp and log (src/info/vmath.h: <= 1 ulp) against libm's
    long double expl and logl. This checks that reference against mpmath, through numpy's longdouble
    (whose exp and log are libm's expl and logl): on doubles over the whole range (subnormal results,
    the overflow edge, 1 + tiny), within 2^-60 relative, 1/128 ulp of a double, so what the C test
    measures is the kernel's error, not the reference's."""

    def test_expl_logl(self):
        mpmath.mp.prec = 130
        rs = np.random.RandomState(3)
        xs = list(rs.uniform(-745.1, 709.7, 400)) + [709.78, -708.39, -745.13, 1e-300, -0.3465, 0.3466]
        ls = list(np.abs(rs.randn(400)) * 10.0 ** rs.uniform(-320, 308, 400))
        ls += [5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, 1 + 2 ** -52, 1 - 2 ** -53,
               0.7071067811865476]
        for npf, mf, pts in ((np.exp, mpmath.exp, xs), (np.log, mpmath.log, ls)):
            worst = 0.0
            for x in pts:
                v = np.ldexp(npf(np.longdouble(float(x))), 1000)  # exact; keeps results below 1e-290 normal
                hi = float(v)                         # v = hi + lo exactly (64 significant bits)
                lo = float(v - np.longdouble(hi))
                got = mpmath.ldexp(mpmath.mpf(hi) + mpmath.mpf(lo), -1000)
                want = mf(mpmath.mpf(float(x)))
                worst = max(worst, float(abs(got - want) / abs(want)))
            self.assertLess(worst, 2.0 ** -60, npf.__name__)


@unittest.skipIf(mpmath is None, "needs mpmath")
class TestDivergencesWideRange(unittest.TestCase):
    """Cross-entropy, KL and JS of weights spread over up to the whole double range, subnormals
    included, against mpmath with enough digits for every probability (one of 2^-2000 is still an
    ordinary log, -1386). Each is a sum of non-negative terms, so the result is good to a few ulp
    times the length; the float32 inputs the same way (their range is smaller). The cross-entropy
    was NaN and the KL +inf or NaN as soon as a normalised probability fell below the doubles."""

    def check(self, dtype, lo, hi, seed, trials):
        rs = np.random.RandomState(seed)
        worst = 0.0
        for trial in range(trials):
            n = int(rs.randint(2, 12))
            span = [5, 50, 300, 620][trial % 4]
            with np.errstate(over="ignore"):
                P = np.clip(10.0 ** rs.uniform(-span / 2, span / 2, n), lo, hi).astype(dtype)
                Q = np.clip(10.0 ** rs.uniform(-span / 2, span / 2, n), lo, hi).astype(dtype)
            if trial % 5 == 0:
                P[rs.randint(n)] = 0
            sp_, sq = mpmath.fsum(mpmath.mpf(float(x)) for x in P), mpmath.fsum(mpmath.mpf(float(x)) for x in Q)
            a = [mpmath.mpf(float(x)) / sp_ for x in P]
            b = [mpmath.mpf(float(x)) / sq for x in Q]
            m = [(x + y) / 2 for x, y in zip(a, b)]
            want = {
                "cross_entropy": mpmath.fsum(-x * mpmath.log(y) for x, y in zip(a, b) if x > 0),
                "kl": mpmath.fsum(x * mpmath.log(x / y) for x, y in zip(a, b) if x > 0),
                "js": (mpmath.fsum(x * mpmath.log(x / z) for x, z in zip(a, m) if x > 0)
                       + mpmath.fsum(y * mpmath.log(y / z) for y, z in zip(b, m))) / 2,
            }
            for name, ref in want.items():
                if abs(ref) < mpmath.mpf("1e-290"):  # the result itself near the subnormals
                    continue
                got = getattr(lmprob, name)(P, Q)
                err = float(abs((mpmath.mpf(got) - ref) / ref))
                self.assertLess(err, 1e-14, f"{name} trial {trial}: {got!r} against {mpmath.nstr(ref, 17)}\nP={P.tolist()}\nQ={Q.tolist()}")
                worst = max(worst, err)
        return worst

    def setUp(self):
        self.dps, mpmath.mp.dps = mpmath.mp.dps, 700

    def tearDown(self):
        mpmath.mp.dps = self.dps

    def test_float64(self):
        self.check(np.float64, 5e-324, 1.7e308, 11, 160)

    def test_float32(self):
        self.check(np.float32, 1.5e-45, 3.4e38, 12, 80)

    def test_closed_form(self):
        # q_i = 2^-(600 + j_i) below the doubles: -log q_i = (600 + j_i) ln 2
        j = np.array([400, 430, 700, 1000, 1070])
        Q = np.concatenate([[2.0 ** 600], 2.0 ** -j.astype(float)])
        P = np.ones(6)
        want = (600 + j).sum() * math.log(2) / 6
        self.assertAlmostEqual(lmprob.cross_entropy(P, Q) / want, 1.0, delta=1e-15)
        self.assertAlmostEqual(lmprob.kl(P, Q) / (want - math.log(6)), 1.0, delta=1e-15)


try:
    import torch
    import torch.nn.functional as torch_f
except ImportError:  # the test set-up installs python3-torch
    torch = None


@unittest.skipIf(torch is None, "needs torch")
class TestCrossEntropyLoss(unittest.TestCase):
    """lmprob.cross_entropy_loss against torch.nn.functional.cross_entropy (reduction 'mean') in float64:
    one example and batches, label smoothing, ignore_index, float32 and non-contiguous logits, the
    errors."""

    def torch_loss(self, x, t, s=0.0, ignore=-100):
        return torch_f.cross_entropy(torch.tensor(np.asarray(x, dtype=np.float64)), torch.tensor(t),
                                     label_smoothing=s, ignore_index=ignore).item()

    def test_against_torch(self):
        rs = np.random.RandomState(9)
        for N, C in ((1, 2), (3, 7), (8, 50), (5, 1000), (8, 50257)):
            x = rs.randn(N, C) * 4
            t = rs.randint(0, C, N)
            if N > 2:
                t[1] = -100
            for s in (0.0, 0.1, 1.0):
                got, want = lmprob.cross_entropy_loss(x, t, label_smoothing=s), self.torch_loss(x, t, s)
                self.assertLess(abs(got - want), 1e-13 * abs(want), (N, C, s))
            # another ignore_index, a list of targets, one example at a time
            t2 = np.where(t == -100, 3 % C, t)
            t2[0] = 3 % C
            got, want = lmprob.cross_entropy_loss(x, list(t2), ignore_index=3 % C), self.torch_loss(x, t2, 0.0, 3 % C)
            if math.isnan(want):  # N = 1: its one row ignored
                self.assertTrue(math.isnan(got))
            else:
                self.assertLess(abs(got - want), 1e-13 * abs(want), (N, C))
            for i in range(min(N, 3)):
                if t[i] >= 0:
                    self.assertAlmostEqual(lmprob.cross_entropy_loss(x[i], int(t[i])),
                                           self.torch_loss(x[i], int(t[i])), delta=1e-12)

    def test_layouts_and_dtypes(self):
        rs = np.random.RandomState(3)
        x = rs.randn(6, 40)
        t = rs.randint(0, 40, 6)
        want = self.torch_loss(x, t)
        for xs in (np.asfortranarray(x), x[:, ::-1][:, ::-1], np.repeat(x, 2, axis=1)[:, ::2]):
            self.assertEqual(lmprob.cross_entropy_loss(xs, t), lmprob.cross_entropy_loss(x, t))
        self.assertAlmostEqual(lmprob.cross_entropy_loss(x, t), want, delta=1e-13 * abs(want))
        x32 = x.astype(np.float32)
        self.assertAlmostEqual(lmprob.cross_entropy_loss(x32, t.astype(np.int32)), self.torch_loss(x32, t),
                               delta=1e-12 * abs(want))
        # the chapter's example (5 logits, class 2): its cross_entropy_loss adds 1e-9 inside the log
        ce5 = np.array([1.0, 2.0, 3.0, 0.5, 0.2])
        p = np.exp(ce5 - ce5.max()) / np.exp(ce5 - ce5.max()).sum()
        self.assertAlmostEqual(lmprob.cross_entropy_loss(ce5, 2), -math.log(p[2]), delta=1e-15)

    def test_edges_and_errors(self):
        x = np.array([0.0, -np.inf, 1.0])
        self.assertEqual(lmprob.cross_entropy_loss(x, 1), math.inf)     # the target's logit is -inf
        for s in (0.0, 0.5, 1.0):  # smoothed too: inf, and torch's 0 * inf = nan at s = 1
            got, want = lmprob.cross_entropy_loss(x, 1, label_smoothing=s), self.torch_loss(x, 1, s)
            self.assertTrue(got == want or (math.isnan(got) and math.isnan(want)), (s, got, want))
        self.assertTrue(math.isnan(lmprob.cross_entropy_loss(np.zeros((2, 3)), [-100, -100])))  # all ignored
        for args, exc, msg in (
            ((np.zeros(3), 3), ValueError, r"target = 3: expected a class in \[0, 3\)"),
            ((np.zeros((2, 3)), [0, 5]), ValueError, r"row 1"),
            ((np.zeros((2, 3)), [0]), ValueError, r"expected \(2,\)"),
            ((np.zeros((2, 2, 2)), 0), ValueError, r"expected \[C\] or \[N, C\]"),
            ((np.array([1.0, np.nan]), 0), ValueError, r"nan"),
            ((np.array([-np.inf, -np.inf]), 0), ValueError, r"-inf"),
            ((np.zeros(3), 1.5), TypeError, r"target"),
            ((np.zeros((2, 3)), np.array([0.0, 1.0])), TypeError, r"target"),
            ((np.zeros(3), 0, 1.5), TypeError, r"positional"),  # label_smoothing is keyword-only, torch's third is weight
            ((np.array(["a"]), 0), TypeError, r"logits"),
        ):
            with self.assertRaisesRegex(exc, msg):
                lmprob.cross_entropy_loss(*args)
        with self.assertRaisesRegex(ValueError, r"label_smoothing = 1\.5"):
            lmprob.cross_entropy_loss(np.zeros(3), 0, label_smoothing=1.5)
