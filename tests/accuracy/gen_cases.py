#!/usr/bin/python3
"""Randomized accuracy cases for `lmprob verify`, with references from mpmath.

Run from the project root with Debian's python3-mpmath (1.2.1):

    /usr/bin/python3 tests/accuracy/gen_cases.py --seed 1 --out tests/accuracy/cases.json
    /usr/bin/python3 tests/accuracy/gen_cases.py --regressions --out tests/accuracy/regressions.json
    build/lmprob verify tests/accuracy/cases.json tests/accuracy/regressions.json

`--seed S` draws a new set (the checked-in file is seed 1); `--per-function N` sets how many cases each function
gets (default 24); `--only f1,f2` restricts the functions; `--measure BIN` writes nothing but runs BIN verify on the
drawn cases with zero tolerance and prints, per function, the largest error in units of the case's tolerance budget
u * (1 + kappa) (see below).

What a case promises (docs/accuracy.md)
-----------------------------------------
Every input is a double, written as a literal that reads back exactly. The reference is the exact function of those
doubles, computed with mpmath: at 50 and at 80 significant digits, and again at 130, 250, 500, 1000 until two
successive precisions agree to 40 digits (so cancellation inside the reference formula, e.g. a difference of two
log-gamma values of 1e308, is resolved by precision, not trusted). A case whose reference does not settle is dropped
and counted.

The tolerance is derived from the condition number of the case, never chosen per case:

    |got - want| <= atol + rtol * |want|,   rtol = K * u * (1 + kappa),   atol = K * 2^-1074,

with u = 2^-53 (the unit roundoff of double), K = 8 (four ulps), and kappa the relative condition number of the
function at the case's inputs,

    kappa = sum_i |x_i * df/dx_i| / |f|,

over the real (non-integer) inputs x_i: the error a result can pick up from rounding each input by one unit, which
no algorithm working in double can avoid. Integer inputs (k, n, targets, ddof, deg) are exact and not perturbed.
For functions that depend on logits only through their differences (softmax, log_softmax, softmax_temperature,
entropy_of_softmax, ce_loss, ce_loss_batch) the perturbed inputs are the differences d_i = x_i - max(x): a
difference of two doubles is computed with a relative error of at most u, so a stable algorithm can be held to the
condition of the differences, and a logit vector shifted far from 0 is as well conditioned as the same vector at 0.
logsumexp(x) = m + logsumexp(d) is held to the same model with m = max(x) perturbed as well.

kappa is computed per function: analytically where the derivative is short (vectors: softmax, entropy, moments, ...,
each given in its function below), otherwise by central differences of the mpmath reference with relative step
1e-20 at a precision where the reference is good to 40 digits (truncation 1e-40, rounding 1e-20: two digits of
kappa are all that matter). Quantiles use the implicit-function theorem on their cdf:
dx/dp = 1 / f(x), dx/dtheta = -(dF/dtheta) / f(x).

Atol is K units in the last place of the subnormal range: a result that underflows may lose its relative accuracy,
never more than its last subnormal bits. A reference beyond the double range is expected as +-inf exactly, one that
rounds to 0 as 0 within atol; cases within the tolerance of the overflow threshold are dropped (either is right).

Outputs that are vectors carry one rtol per element (a list), because kappa differs per element (the tail of a
softmax is worse conditioned than its head).
"""
import argparse
import json
import math
import random
import subprocess
import sys
import tempfile

import mpmath as mp

U = 2.0 ** -53
K = 8
TINY = 2.0 ** -1074
DMAX = sys.float_info.max
STEP = mp.mpf(10) ** -20


class NoReference(Exception):
    pass


# ---------------------------------------------------------------------------------------------------------------
# precision control


def agree(a, b, digits=40):
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(agree(x, y, digits) for x, y in zip(a, b))
    if mp.isnan(a) or mp.isnan(b):
        return mp.isnan(a) and mp.isnan(b)
    if mp.isinf(a) or mp.isinf(b):
        return a == b
    return abs(a - b) <= mp.mpf(10) ** -digits * max(abs(a), abs(b)) or a == b


DPS_LADDER = (50, 80, 130, 250, 500, 1000)


def settle(f):
    """f() at rising precision until two successive values agree to 40 digits; returns (value, dps)."""
    prev = None
    for d in DPS_LADDER:
        with mp.workdps(d):
            try:
                v = f()
            except (mp.libmp.NoConvergence, ZeroDivisionError, OverflowError, ValueError) as e:
                prev = None
                last = e
                continue
            v = [+x for x in v] if isinstance(v, list) else +v
        if prev is not None and agree(prev, v):
            if any_zero(v) and d < 250:
                continue   # an exact 0 may be a rounded 1 - tiny: confirm it far beyond
            return v, d
        prev = v
    raise NoReference("reference did not settle")


def any_zero(v):
    return any(x == 0 for x in v) if isinstance(v, list) else v == 0


def mpf(x):
    return mp.mpf(x) if not isinstance(x, str) else mp.mpf(x.replace("inf", "inf"))


# ---------------------------------------------------------------------------------------------------------------
# random draws


def logu(rng, lo, hi):
    """log-uniform in [lo, hi], as a double"""
    return float(10 ** rng.uniform(math.log10(lo), math.log10(hi)))


def sgn(rng):
    return 1.0 if rng.random() < 0.5 else -1.0


def near1(rng, lo=1e-17, hi=1e-1):
    """1 - t with t log-uniform, rounded to double"""
    return 1.0 - logu(rng, lo, hi)


def prob(rng):
    """a probability: log-uniform down to 1e-300, near 1, or central"""
    r = rng.random()
    if r < 0.4:
        return logu(rng, 1e-300, 0.5)
    if r < 0.7:
        return near1(rng, 1e-16, 0.5)
    return rng.uniform(0.001, 0.999)


# ---------------------------------------------------------------------------------------------------------------
# condition numbers by central differences


def numeric_kappa(f, args, keys, fval):
    """sum_i |x_i df/dx_i| / |f| over args[keys] (scalars), by central differences of relative step 1e-20."""
    if fval == 0 or mp.isinf(fval) or mp.isnan(fval):
        return mp.inf if fval == 0 else mp.mpf(0)
    tot = mp.mpf(0)
    for k in keys:
        x = mpf(args[k])
        if x == 0 or mp.isinf(x):
            continue
        a1 = dict(args)
        a2 = dict(args)
        a1[k] = x * (1 + STEP)
        a2[k] = x * (1 - STEP)
        d = (f(a1) - f(a2)) / (2 * STEP)
        tot += abs(d)
    return tot / abs(fval)


def numeric_kappa_vec(f, args, key, fval, idx=None):
    """The same over the elements of one vector argument (kept short by the callers)."""
    vec = [mpf(v) for v in args[key]]
    tot = [mp.mpf(0)] * (len(fval) if isinstance(fval, list) else 1)
    fl = fval if isinstance(fval, list) else [fval]
    for i, x in enumerate(vec):
        if x == 0:
            continue
        a1 = dict(args)
        a2 = dict(args)
        v1 = list(vec)
        v2 = list(vec)
        v1[i] = x * (1 + STEP)
        v2[i] = x * (1 - STEP)
        a1[key] = v1
        a2[key] = v2
        r1, r2 = f(a1), f(a2)
        r1 = r1 if isinstance(r1, list) else [r1]
        r2 = r2 if isinstance(r2, list) else [r2]
        tot = [t + abs((p - q) / (2 * STEP)) for t, p, q in zip(tot, r1, r2)]
    return tot


def margs(args):
    """args with every number (and number inside a list) as mpf"""
    out = {}
    for k, v in args.items():
        if isinstance(v, list):
            out[k] = [[mpf(x) for x in r] if isinstance(r, list) else mpf(r) for r in v]
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            out[k] = mpf(v)
        else:
            out[k] = v
    return out


def jnum(x):
    """a double for JSON: inf/nan as strings"""
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


def to_double(v):
    """mpf -> double, with overflow to inf"""
    if mp.isnan(v):
        return float("nan")
    if mp.isinf(v):
        return float(v)
    if abs(v) > DMAX:
        return math.copysign(math.inf, float(mp.sign(v)))
    return float(v)


# ---------------------------------------------------------------------------------------------------------------
# reference kernels that mpmath lacks in the whole range: incomplete gamma and beta with huge parameters, and
# the inversion of cdfs. mpmath's gammainc/betainc (hypergeometric series) are used where they converge; past
# that, the integral of the density is taken by tanh-sinh quadrature on pieces that follow the scale of the
# integrand at the end point (1/(d log f) for an exponential tail, the curvature's sqrt for a Gaussian one).


def _tail_quad(logratio, d1, d2, end):
    """int_0^end exp(logratio(s)) ds, where logratio(0) = 0 and the log-integrand falls at rate d1 (its first
    derivative, > 0 when falling) with curvature d2 (minus the second derivative) at s = 0. Pieces start at the
    integrand's own scale w (1/d1 for an exponential tail, 1/sqrt(d2) for a Gaussian one) and double, and stop
    where the integrand (monotone: the callers shift a first parameter below 1 away) has fallen below e^-250: it
    may fall only polynomially, e.g. (1 + s/y)^(b-1) for b < 1, so the stop is by value, not by a multiple of w."""
    ws = []
    if d1 > 0:
        ws.append(1 / d1)
    if d2 > 0:
        ws.append(1 / mp.sqrt(d2))
    w = min(ws) if ws else (end if end != mp.inf else mp.mpf(1))
    if end != mp.inf:
        w = min(w, end)
    pts = [mp.mpf(0)]
    s = w / 4
    while s < end:
        pts.append(s)
        if logratio(s) < -250:
            break
        s *= 2
        if len(pts) > 4000:
            raise NoReference("quadrature pieces")
    else:
        pts.append(end)
    return mp.quad(lambda t: mp.exp(logratio(t)), pts)


def gamma_lower_quad(a, x):
    """P(a, x) for x <= a: x^a e^-x / Gamma(a) * int_0^x exp((a-1) log(1 - s/x) + s) ds / x^... (t = x - s);
    for a < 1 first P(a, x) = P(a + 1, x) + x^a e^-x / Gamma(a + 1) (A&S 6.5.21), so the integrand has no
    singular end point"""
    if a < 1:
        with mp.extradps(xdps(a, x)):
            head = mp.exp(a * mp.log(x) - x - mp.loggamma(a + 1))
        return gamma_lower_quad(a + 1, x) + head
    with mp.extradps(xdps(a, x)):
        logg = +((a - 1) * mp.log(x) - x - mp.loggamma(a))
    r = _tail_quad(lambda s: (a - 1) * mp.log1p(-s / x) + s, (a - 1) / x - 1, (a - 1) / x ** 2, x)
    return mp.exp(logg) * r


def gamma_upper_quad(a, x):
    """Q(a, x) for x >= a - 1, t = x + s"""
    with mp.extradps(xdps(a, x)):
        logg = +((a - 1) * mp.log(x) - x - mp.loggamma(a))
    r = _tail_quad(lambda s: (a - 1) * mp.log1p(s / x) - s, 1 - (a - 1) / x, (a - 1) / x ** 2, mp.inf)
    return mp.exp(logg) * r


def gammainc_ref(a, x, upper):
    """regularised P(a, x) (upper=False) or Q(a, x), each computed on its own tail"""
    if x == 0:
        return mp.mpf(1 if upper else 0)
    lower_side = x < a

    def tail(lower):
        try:
            if a > 1e4:
                raise mp.libmp.NoConvergence("large parameter: quadrature")
            if lower:
                return mp.gammainc(a, 0, x, regularized=True)
            return mp.gammainc(a, x, mp.inf, regularized=True)
        except mp.libmp.NoConvergence:
            return gamma_lower_quad(a, x) if lower else gamma_upper_quad(a, x)
    v = tail(lower_side)
    if lower_side == upper and v > 0.5:
        # x < a is not always the smaller tail: below a shape of 1 the median lies below the mean, and for a tiny
        # shape P(a, x) = 1 - a (-log x - gamma) + ... for every x < a, so 1 - v is 0 at any precision of
        # settle()'s ladder (Q(8.9e-274, 2.3e-276) = 5.6e-271 was referenced as 0; seed 33). The other tail
        # directly (x > a - 1 here, since the median exceeds a - 1 for a >= 1: gamma_upper_quad's range)
        return tail(not lower_side)
    return v if lower_side != upper else 1 - v


def _beta_lower_quad(a, b, x):
    """I_x(a, b) by quadrature from x down; for a < 1 first I_x(a, b) = I_x(a + 1, b) + x^a y^b / (a B(a, b))
    (A&S 26.5.16), so the integrand falls monotonically away from x"""
    if a < 1:
        with mp.extradps(xdps(a, b)):
            head = mp.exp(a * mp.log(x) + b * mp.log1p(-x) - mp.log(a) - log_beta_ref(a, b))
        return _beta_lower_quad_(a + 1, b, x) + head
    return _beta_lower_quad_(a, b, x)


def _beta_lower_quad_(a, b, x):
    with mp.extradps(xdps(a, b)):
        logg = +((a - 1) * mp.log(x) + (b - 1) * mp.log1p(-x) - log_beta_ref(a, b))
    y = 1 - x
    r = _tail_quad(lambda s: (a - 1) * mp.log1p(-s / x) + (b - 1) * mp.log1p(s / y),
                   (a - 1) / x - (b - 1) / y, (a - 1) / x ** 2 + (b - 1) / y ** 2, x)
    return mp.exp(logg) * r


def xdps(*v):
    """extra digits for a difference of log-gamma values of arguments up to max |v|: they are ~x log x, and a
    result of O(1) needs as many digits beyond the working ones (settle() cannot see a loss that stays the
    same at every precision of its ladder, e.g. lgamma(2e273) - lgamma(2e273 + 1e-40))"""
    m = max([abs(mp.mpf(x)) for x in v if not mp.isinf(x)] + [mp.mpf(10)])
    return int(mp.log10(m * mp.log(m))) + 10


def log_beta_ref(a, b):
    with mp.extradps(xdps(a, b)):
        return +(mp.loggamma(a) + mp.loggamma(b) - mp.loggamma(a + b))


def betainc_ref(a, b, x, upper):
    """regularised I_x(a, b) (upper=False) or 1 - I_x(a, b); the tail below the mean is computed directly, the
    other one through the mirror I_x(a, b) = 1 - I_{1-x}(b, a) with 1 - x exact."""
    if x <= 0:
        return mp.mpf(1 if upper else 0)
    if x >= 1:
        return mp.mpf(0 if upper else 1)
    def side(flip):
        """the tail on the side of xx: I_xx(aa, bb)"""
        aa, bb = (b, a) if flip else (a, b)
        # 1 - x is exact at this precision plus the -log2 x bits by which x's last bit lies below 1's (x a double
        # or an mpf of this precision, the quantiles' points); at the precision alone 1 - 6.9e-131 was 1 at 50
        # and at 80 digits, I_1(b, a) = 1 agreed with itself, and the sf of Beta(5.8e-256, 163) at
        # x = 6.9e-131 was called 1 (it is 1.69e-253; seed 16)
        extra = max(0, -mp.mag(x)) + 1 if flip else 0
        with mp.workprec(mp.mp.prec + extra):
            xx = 1 - x if flip else x
            try:
                if aa + bb > 1e4 and xx * (aa + bb) > 0.5:
                    raise mp.libmp.NoConvergence("large parameters: quadrature")
                return mp.betainc(aa, bb, 0, xx, regularized=True)
            except mp.libmp.NoConvergence:
                return _beta_lower_quad(aa, bb, xx)
    flip = x * (a + b) > a
    v = side(flip)
    want_small_side = (upper == flip)
    if not want_small_side and v > 0.5:
        # the side of the mean is not always the smaller tail: for a tiny a, I_x(a, b) = x^a (...) is 1 - a
        # (-log x - ...) for every x below the mean, and 1 - v is 0 at any precision of settle()'s ladder (as
        # gammainc_ref's seed-33 case). The other side directly, through the mirror
        return side(not flip)
    return v if want_small_side else 1 - v


def solve_increasing(h, lo, hi):
    """root of an increasing h on a bracket grown from [lo, hi], by the Illinois variant of regula falsi
    (each end moves, so the bracket shrinks superlinearly)."""
    hlo, hhi = h(lo), h(hi)
    step = mp.mpf(1)
    while hlo > 0:
        lo, step = lo - step, step * 2
        hlo = h(lo)
    step = mp.mpf(1)
    while hhi < 0:
        hi, step = hi + step, step * 2
        hhi = h(hi)
    side = 0
    eps = mp.mpf(10) ** (-mp.mp.dps + 3)
    t = lo
    for _ in range(2000):
        t = (lo * hhi - hi * hlo) / (hhi - hlo)
        ht = h(t)
        if ht == 0:
            return t
        if ht < 0:
            lo, hlo = t, ht
            if side == -1:
                hhi /= 2
            side = -1
        else:
            hi, hhi = t, ht
            if side == 1:
                hlo /= 2
            side = 1
        if hi - lo <= eps * max(1, abs(t)):
            return t
    raise NoReference("root did not converge")


# ---------------------------------------------------------------------------------------------------------------
# the registry: one entry per verify function. draw(rng) -> (args, label); ref(A) -> mpf or list of mpf, where A
# holds the args as mpf; kappa(A, value) -> mpf or list (default: central differences over `cont`).

SPECS = {}


def spec(name, draw, ref, cont=(), kappa=None):
    SPECS[name] = {"draw": draw, "ref": ref, "cont": cont, "kappa": kappa}


def choose(rng, table):
    """table: list of (weight, label, thunk); returns (label, thunk())"""
    tot = sum(w for w, _, _ in table)
    r = rng.uniform(0, tot)
    for w, label, th in table:
        r -= w
        if r <= 0:
            return label, th()
    w, label, th = table[-1]
    return label, th()


# ---- normal ---------------------------------------------------------------------------------------------------


def draw_normal(rng, key="x", logs=False):
    sigma = 1.0 if rng.random() < 0.3 else logu(rng, 1e-300, 1e300)
    lab_mu, c = choose(rng, [(3, "mu0", lambda: 0.0), (3, "", lambda: rng.uniform(-5, 5)),
                             (2, "mu-far", lambda: sgn(rng) * logu(rng, 1e-5, 1e5))])
    mu = c * sigma
    table = [(4, "central", lambda: rng.uniform(-5, 5)), (4, "tail", lambda: sgn(rng) * rng.uniform(5, 38.6))]
    if logs:
        table += [(3, "far", lambda: sgn(rng) * logu(rng, 38, 1.3e154)),
                  (2, "overflow-edge", lambda: sgn(rng) * rng.uniform(1.3e154, 1.9e154))]
    else:
        table += [(1, "far", lambda: sgn(rng) * logu(rng, 38, 1e10))]
    for _ in range(100):
        lab, z = choose(rng, table)
        x = mu + sigma * z
        if math.isfinite(x):
            return {key: x, "mu": mu, "sigma": sigma}, "-".join(t for t in (lab, lab_mu) if t)
    raise NoReference("no finite x")


def nz(A):
    return (A["x"] - A["mu"]) / A["sigma"]


NCONT = ("x", "mu", "sigma")
spec("normal_pdf", lambda r: draw_normal(r), lambda A: mp.npdf(nz(A)) / A["sigma"], NCONT)
spec("normal_logpdf", lambda r: draw_normal(r, logs=True),
     lambda A: -nz(A) ** 2 / 2 - mp.log(A["sigma"]) - mp.log(mp.sqrt(2 * mp.pi)), NCONT)
spec("normal_cdf", lambda r: draw_normal(r), lambda A: mp.ncdf(nz(A)), NCONT)
spec("normal_sf", lambda r: draw_normal(r), lambda A: mp.ncdf(-nz(A)), NCONT)


def log_ncdf(z):
    """log Phi(z); log1p of the other tail when z > 0 (1 - tiny would round to 1 at any fixed precision)"""
    return mp.log(mp.ncdf(z)) if z <= 0 else mp.log1p(-mp.ncdf(-z))


spec("normal_logcdf", lambda r: draw_normal(r, logs=True), lambda A: log_ncdf(nz(A)), NCONT)
spec("normal_logsf", lambda r: draw_normal(r, logs=True), lambda A: log_ncdf(-nz(A)), NCONT)


def std_normal_quantile(p):
    """z with Phi(z) = p, solved on log Phi (log of the smaller tail)"""
    if p <= 0.5:
        lp = mp.log(p)
        h = lambda z: mp.log(mp.ncdf(z)) - lp
        z0 = -mp.sqrt(-2 * lp) if p < 0.3 else mp.mpf(-1)
        return solve_increasing(h, z0 - 1, z0 + 1)
    lq = mp.log(1 - p)
    h = lambda z: lq - mp.log(mp.ncdf(-z))
    z0 = mp.sqrt(-2 * lq) if 1 - p < 0.3 else mp.mpf(1)
    return solve_increasing(h, z0 - 1, z0 + 1)


def draw_normal_ppf(rng):
    a, lab = draw_normal(rng, key="p")
    lab2, p = choose(rng, [(6, "p", lambda: prob(rng)), (1, "subnormal-p", lambda: logu(rng, 5e-324, 2e-308))])
    a["p"] = p
    return a, lab2 + "-" + lab.split("-", 1)[-1] if "-" in lab else lab2


spec("normal_ppf", draw_normal_ppf, lambda A: A["mu"] + A["sigma"] * std_normal_quantile(A["p"]), ("p", "mu", "sigma"))


# ---- binomial, Poisson ----------------------------------------------------------------------------------------


def draw_binom(rng, tails=True):
    lab_n, n = choose(rng, [(3, "n-small", lambda: rng.randint(1, 60)), (5, "", lambda: int(logu(rng, 1, 1e15))),
                            (2, "n-1e9", lambda: int(logu(rng, 3e8, 3e9)))])
    lab_p, p = choose(rng, [(3, "p-tiny", lambda: logu(rng, 1e-300, 1e-3)),
                            (3, "p-near-1", lambda: near1(rng, 1e-16, 1e-2)),
                            (4, "", lambda: rng.uniform(0.001, 0.999))])
    mean = n * p
    sd = math.sqrt(n * p * (1 - p))
    opts = [(5, "k-mean", lambda: int(round(mean + sd * rng.gauss(0, 2)))), (1, "k0", lambda: 0),
            (1, "k-small", lambda: rng.randint(0, 20)), (1, "k-n-small", lambda: n - rng.randint(0, 20))]
    if tails:
        opts += [(2, "k-tail", lambda: int(round(mean + sd * rng.choice([-1, 1]) * logu(rng, 3, 40))))]
    for _ in range(100):
        lab_k, k = choose(rng, opts)
        if 0 <= k <= n:
            return {"k": k, "n": n, "p": p}, "-".join(t for t in (lab_n, lab_p, lab_k) if t)
    return {"k": 0, "n": n, "p": p}, "-".join(t for t in (lab_n, lab_p, "k0") if t)


def binom_logpmf_ref(A):
    k, n, p = A["k"], A["n"], A["p"]
    with mp.extradps(xdps(n)):
        lc = mp.loggamma(n + 1) - mp.loggamma(k + 1) - mp.loggamma(n - k + 1)
        return +(lc + k * mp.log(p) + (n - k) * mp.log1p(-p))


def draw_binom_cs(rng):
    for _ in range(100):
        a, lab = draw_binom(rng)
        if a["k"] < a["n"]:
            return a, lab
    return {"k": 0, "n": 10, "p": 0.5}, "default"


spec("binomial_logpmf", draw_binom, binom_logpmf_ref, ("p",))
spec("binomial_pmf", draw_binom, lambda A: mp.exp(binom_logpmf_ref(A)), ("p",))
spec("binomial_cdf", draw_binom_cs, lambda A: betainc_ref(A["k"] + 1, A["n"] - A["k"], A["p"], True), ("p",))
spec("binomial_sf", draw_binom_cs, lambda A: betainc_ref(A["k"] + 1, A["n"] - A["k"], A["p"], False), ("p",))


def draw_pois(rng):
    lab_l, lam = choose(rng, [(3, "lam-small", lambda: logu(rng, 1e-300, 1)), (4, "", lambda: logu(rng, 1, 1e6)),
                              (3, "lam-huge", lambda: logu(rng, 1e6, 1e15))])
    sd = math.sqrt(lam)
    opts = [(5, "k-mean", lambda: int(round(lam + sd * rng.gauss(0, 2)))), (1, "k0", lambda: 0),
            (2, "k-small", lambda: rng.randint(0, 30)),
            (2, "k-tail", lambda: int(round(lam + sd * rng.choice([-1, 1]) * logu(rng, 3, 40))))]
    for _ in range(100):
        lab_k, k = choose(rng, opts)
        if 0 <= k < 9e15:
            return {"k": k, "lambda": lam}, "-".join(t for t in (lab_l, lab_k) if t)
    return {"k": 0, "lambda": lam}, lab_l + "-k0"


def pois_logpmf_ref(A):
    k, lam = A["k"], A["lambda"]
    with mp.extradps(xdps(k, lam)):
        return +(k * mp.log(lam) - lam - mp.loggamma(k + 1))


spec("poisson_logpmf", draw_pois, pois_logpmf_ref, ("lambda",))
spec("poisson_pmf", draw_pois, lambda A: mp.exp(pois_logpmf_ref(A)), ("lambda",))
spec("poisson_cdf", draw_pois, lambda A: gammainc_ref(A["k"] + 1, A["lambda"], True), ("lambda",))
spec("poisson_sf", draw_pois, lambda A: gammainc_ref(A["k"] + 1, A["lambda"], False), ("lambda",))


# ---- Laplace, exponential -------------------------------------------------------------------------------------


def draw_laplace(rng):
    b = 1.0 if rng.random() < 0.3 else logu(rng, 1e-300, 1e300)
    mu = rng.choice([0.0, rng.uniform(-5, 5) * b, sgn(rng) * logu(rng, 1e-300, 1e300)])
    lab, z = choose(rng, [(4, "central", lambda: rng.uniform(-3, 3)), (3, "tail", lambda: sgn(rng) * logu(rng, 3, 745)),
                          (1, "near-mu", lambda: sgn(rng) * logu(rng, 1e-20, 1e-3))])
    x = mu + b * z
    if not math.isfinite(x):
        x = mu
    return {"x": x, "mu": mu, "b": b}, lab


def lz(A):
    return (A["x"] - A["mu"]) / A["b"]


LCONT = ("x", "mu", "b")
spec("laplace_pdf", draw_laplace, lambda A: mp.exp(-abs(lz(A))) / (2 * A["b"]), LCONT)
spec("laplace_cdf", draw_laplace,
     lambda A: mp.exp(lz(A)) / 2 if lz(A) <= 0 else 1 - mp.exp(-lz(A)) / 2, LCONT)
spec("laplace_sf", draw_laplace,
     lambda A: mp.exp(-lz(A)) / 2 if lz(A) >= 0 else 1 - mp.exp(lz(A)) / 2, LCONT)


def draw_expon(rng, key="x"):
    rate = 1.0 if rng.random() < 0.2 else logu(rng, 1e-300, 1e300)
    if key == "p":
        lab, p = choose(rng, [(1, "p", lambda: prob(rng))])
        return {"p": p, "rate": rate}, lab
    lab, y = choose(rng, [(3, "central", lambda: logu(rng, 0.01, 10)), (2, "small", lambda: logu(rng, 1e-300, 0.01)),
                          (2, "tail", lambda: logu(rng, 10, 745))])
    x = y / rate
    if not math.isfinite(x) or x == 0:
        x = 1.0 / rate if math.isfinite(1.0 / rate) else 1.0
    return {"x": x, "rate": rate}, lab


spec("exponential_pdf", draw_expon, lambda A: A["rate"] * mp.exp(-A["rate"] * A["x"]), ("x", "rate"))
spec("exponential_cdf", draw_expon, lambda A: -mp.expm1(-A["rate"] * A["x"]), ("x", "rate"))
spec("exponential_sf", draw_expon, lambda A: mp.exp(-A["rate"] * A["x"]), ("x", "rate"))
spec("exponential_ppf", lambda r: draw_expon(r, "p"), lambda A: -mp.log1p(-A["p"]) / A["rate"], ("p", "rate"))


# ---- gamma, beta ------------------------------------------------------------------------------------------------


def draw_shape(rng):
    return choose(rng, [(2, "k-tiny", lambda: logu(rng, 1e-300, 1e-3)), (4, "k-small", lambda: logu(rng, 1e-3, 1)),
                        (4, "", lambda: logu(rng, 1, 1e3)), (3, "k-huge", lambda: logu(rng, 1e3, 1e15))])


def draw_gamma(rng, key="x"):
    lab_k, k = draw_shape(rng)
    th = 1.0 if rng.random() < 0.4 else logu(rng, 1e-100, 1e100)
    if key == "p":
        lab, p = choose(rng, [(1, "", lambda: prob(rng))])
        return {"p": p, "shape": k, "scale": th}, lab_k or "k-mid"
    sd = math.sqrt(k)
    opts = [(4, "x-mean", lambda: k + sd * rng.gauss(0, 2)), (2, "x-low", lambda: k * logu(rng, 1e-12, 0.5)),
            (2, "x-high", lambda: k * (1 + logu(rng, 0.1, 100))), (1, "x-tiny", lambda: logu(rng, 1e-300, 1e-5))]
    for _ in range(100):
        lab_x, y = choose(rng, opts)
        x = y * th
        if y > 0 and 0 < x < DMAX:
            return {"x": x, "shape": k, "scale": th}, "-".join(t for t in (lab_k, lab_x) if t)
    return {"x": th, "shape": k, "scale": th}, lab_k


def gamma_logpdf_ref(A):
    y = A["x"] / A["scale"]
    k = A["shape"]
    with mp.extradps(xdps(k, y)):
        return +((k - 1) * mp.log(y) - y - mp.loggamma(k) - mp.log(A["scale"]))


GCONT = ("x", "shape", "scale")
spec("gamma_pdf", draw_gamma, lambda A: mp.exp(gamma_logpdf_ref(A)), GCONT)
spec("gamma_cdf", draw_gamma, lambda A: gammainc_ref(A["shape"], A["x"] / A["scale"], False), GCONT)
spec("gamma_sf", draw_gamma, lambda A: gammainc_ref(A["shape"], A["x"] / A["scale"], True), GCONT)


def newton_log(h, t0):
    """root of h(t) (h returns value and derivative) by Newton from a start close to the root, with the
    bracketing solver as the fallback when a step misbehaves"""
    t = mp.mpf(t0)
    eps = mp.mpf(10) ** (-mp.mp.dps + 5)
    for _ in range(60):
        v, d = h(t)
        if not (mp.isfinite(v) and mp.isfinite(d)) or d == 0:
            break
        step = v / d
        t -= step
        if abs(step) <= eps * max(1, abs(t)):
            return t
    return None


def scipy_start(fn, *args):
    """a double start for a root, from scipy (only a start: the root is mpmath's); None if unusable"""
    try:
        import scipy.special as sp
        v = float(getattr(sp, fn)(*[float(a) for a in args]))
        return v if math.isfinite(v) and v > 0 else None
    except Exception:
        return None


def gamma_ppf_ref(A):
    p, k = A["p"], A["shape"]
    if p > 0.5:
        # a quantile far below the subnormals above the middle (a tiny shape: e^(-6.3e173) at k = 6.1e-175,
        # p = 0.68; seed 38): there P = x^k / Gamma(k + 1) (1 + O(x)) (A&S 6.5.29), whose root is closed; the
        # Newton below never returned (mpmath's gammainc takes seconds a call there). 1 + k exact for the
        # log-gamma (-0.577 k, which 1 + k rounded to 1 would lose: a factor e^0.577 in x)
        with mp.workprec(mp.mp.prec + max(0, -mp.mag(k)) + 10):
            tu = (mp.log(p) + mp.loggamma(1 + k)) / k
        if tu < -800 and mp.exp(tu) < mp.mpf(10) ** (-mp.mp.dps - 10):
            return A["scale"] * mp.exp(tu)
    lower = p <= 0.5
    lp = mp.log(p) if lower else mp.log(1 - p)

    def h(t):
        x = mp.exp(t)
        F = gammainc_ref(k, x, not lower)
        xf = mp.exp(k * t - x - mp.loggamma(k))
        return (mp.log(F) - lp, xf / F) if lower else (lp - mp.log(F), xf / F)
    x0 = scipy_start("gammaincinv", k, p) if lower else scipy_start("gammainccinv", k, 1 - p)
    t = newton_log(h, mp.log(x0)) if x0 else None
    if t is None:
        t0 = (lp + mp.loggamma(k + 1)) / k if (lower and k < 1) else mp.log(k + 1)
        t = solve_increasing(lambda u: h(u)[0], t0 - 1, t0 + 1)
    check_root(h, t)
    return A["scale"] * mp.exp(t)


def check_root(h, t):
    """the root must solve its equation: a start from far off, or a tail that is flat to the working
    precision (Beta(1e-300, 0.005)), can leave Newton elsewhere; such a case is dropped, not trusted"""
    v, d = h(t)
    if not (abs(v) <= mp.mpf(10) ** -30 and mp.isfinite(d) and d != 0):
        raise NoReference("quantile: the root does not solve F(x) = p")


def quantile_kappa(cdf, pdf, xkey="x", params=()):
    """kappa of x = F^-1(p; theta): |p / (x f)| + sum |theta dF/dtheta| / |x f| (implicit-function theorem)"""
    def kap(A, x):
        if x == 0 or mp.isinf(x):
            return mp.mpf(0)
        B = dict(A)
        B[xkey] = x
        f = pdf(B)
        tot = abs(A["p"])   # dF = dp
        for k in params:
            v = A[k]
            B1, B2 = dict(B), dict(B)
            B1[k], B2[k] = v * (1 + STEP), v * (1 - STEP)
            tot += abs((cdf(B1) - cdf(B2)) / (2 * STEP))
        return tot / abs(x * f)
    return kap


spec("gamma_ppf", lambda r: draw_gamma(r, "p"), gamma_ppf_ref,
     kappa=quantile_kappa(lambda B: gammainc_ref(B["shape"], B["x"] / B["scale"], False),
                          lambda B: mp.exp(gamma_logpdf_ref(B)), params=("shape", "scale")))


def draw_beta(rng, key="x"):
    la, a = draw_shape(rng)
    lb, b = draw_shape(rng)
    lab_ab = "-".join(t.replace("k-", s + "-") for t, s in ((la, "a"), (lb, "b")) if t)
    if key == "p":
        return {"p": prob(rng), "a": a, "b": b}, lab_ab or "ab-mid"
    m = a / (a + b)
    if a * b > 0:
        sd = math.sqrt(a * b / ((a + b) ** 2 * (a + b + 1)))
    else:   # a b underflows (a, b ~ 1e-200; seed 7 drew it): the scaled form, which no earlier draw reached
        sd = math.sqrt((a / (a + b)) * (b / (a + b)) / (a + b + 1))
    opts = [(4, "x-mean", lambda: m + sd * rng.gauss(0, 2)), (2, "x-low", lambda: m * logu(rng, 1e-300, 0.5)),
            (2, "x-high", lambda: 1 - (1 - m) * logu(rng, 1e-16, 0.5)), (1, "x-any", lambda: rng.random())]
    for _ in range(100):
        lab_x, x = choose(rng, opts)
        if 0 < x < 1:
            return {"x": x, "a": a, "b": b}, "-".join(t for t in (lab_ab, lab_x) if t)
    return {"x": 0.5, "a": a, "b": b}, lab_ab


def beta_logpdf_ref(A):
    x, a, b = A["x"], A["a"], A["b"]
    with mp.extradps(xdps(a, b)):
        return +((a - 1) * mp.log(x) + (b - 1) * mp.log1p(-x) - log_beta_ref(a, b))


BCONT = ("x", "a", "b")
spec("beta_pdf", draw_beta, lambda A: mp.exp(beta_logpdf_ref(A)), BCONT)
spec("beta_cdf", draw_beta, lambda A: betainc_ref(A["a"], A["b"], A["x"], False), BCONT)
spec("beta_sf", draw_beta, lambda A: betainc_ref(A["a"], A["b"], A["x"], True), BCONT)


def beta_ppf_ref(A):
    p, a, b = A["p"], A["a"], A["b"]
    if p > 0.5:
        # a quantile far below the subnormals above the middle (a tiny a: e^(-6.8e262) at a = 7.8e-265,
        # b = 722.6, p = 0.95; seed 24): there I = x^a / (a B(a, b)) (1 + O(b x)), whose root is closed; the
        # mirrored logit below would need 1 - x to 1e262 digits (the Newton never returned)
        tu = (mp.log(p) + mp.log(a) + log_beta_ref(a, b)) / a
        if tu < -800 and b * mp.exp(tu) < mp.mpf(10) ** (-mp.mp.dps - 10):
            return mp.exp(tu)
    else:
        # the mirror: a lower-half quantile whose 1 - x is far below 1's last bit (a tiny b: 1 - x = e^(-7.2e57)
        # at a = 12.4, b = 2.6e-60, p = 0.019; seed 48): there 1 - p = I_(1-x)(b, a) = (1 - x)^b / (b B(a, b))
        # (1 + O(a (1 - x))); the logit below needed I at 1 - e^(-7.2e57) (the Newton never returned). log(b B)
        # = -b (psi(a) + gamma) + ... is a difference of log-gammas near -log b: b's exponent in extra bits
        with mp.workprec(mp.mp.prec + max(0, -mp.mag(b)) + 10):
            tl = (mp.log1p(-p) + mp.log(b) + log_beta_ref(a, b)) / b
        if tl < -800 and a * mp.exp(tl) < mp.mpf(10) ** (-mp.mp.dps - 10):
            return 1 - mp.exp(tl)
    # the smaller tail in the logit u = log(x / (1 - x)); above the middle the mirrored lower quantile
    if p > 0.5:
        a, b = b, a
    q = p if A["p"] <= 0.5 else 1 - p
    lq = mp.log(q)
    lb = log_beta_ref(a, b)

    def h(u):
        x = 1 / (1 + mp.exp(-u))
        y = 1 / (1 + mp.exp(u))
        F = betainc_ref(a, b, x, False)
        xyf = mp.exp(a * mp.log(x) + b * mp.log(y) - lb)
        return mp.log(F) - lq, xyf / F
    x0 = scipy_start("betaincinv", a, b, q)
    u = newton_log(h, mp.log(x0) - mp.log1p(-x0)) if x0 and x0 < 1 else None
    if u is None:
        m = a / (a + b)
        u0 = mp.log(m / (1 - m))
        if a < 1:
            u0 = min(u0, (lq + mp.log(a) + lb) / a)
        u = solve_increasing(lambda v: h(v)[0], u0 - 1, u0 + 1)
    check_root(h, u)
    return 1 / (1 + mp.exp(-u)) if A["p"] <= 0.5 else 1 / (1 + mp.exp(u))


spec("beta_ppf", lambda r: draw_beta(r, "p"), beta_ppf_ref,
     kappa=quantile_kappa(lambda B: betainc_ref(B["a"], B["b"], B["x"], False),
                          lambda B: mp.exp(beta_logpdf_ref(B)), params=("a", "b")))


# ---- special functions ------------------------------------------------------------------------------------------


def draw_lgamma(rng):
    return choose(rng, [(3, "x-pos", lambda: {"x": logu(rng, 1e-300, 1e305)}),
                        (2, "x-mid", lambda: {"x": rng.uniform(0.01, 30)}),
                        (1, "near-root", lambda: {"x": rng.choice([1.0, 2.0]) + sgn(rng) * logu(rng, 1e-17, 1e-2)}),
                        (1, "overflow-edge", lambda: {"x": rng.uniform(2.5e305, 2.6e305)}),
                        (2, "x-neg", lambda: {"x": -(rng.randint(0, 1000) + rng.uniform(0.001, 0.999))}),
                        (1, "x-neg-big", lambda: {"x": -(logu(rng, 1e3, 1e15) + 0.5)})])[::-1]


def lgamma_ref(A):
    x = A["x"]
    if x > 0:
        return mp.loggamma(x)
    return mp.log(abs(mp.gamma(x))) if x > -200 else mp.re(mp.loggamma(x))


spec("lgamma", draw_lgamma, lgamma_ref, ("x",))


def draw_digamma(rng):
    return choose(rng, [(3, "x-pos", lambda: {"x": logu(rng, 1e-300, 1e300)}),
                        (2, "x-mid", lambda: {"x": rng.uniform(0.01, 30)}),
                        (1, "near-root", lambda: {"x": 1.4616321449683622 + sgn(rng) * logu(rng, 1e-16, 0.2)}),
                        (2, "x-neg", lambda: {"x": -(rng.randint(0, 1000) + rng.uniform(0.001, 0.999))})])[::-1]


spec("digamma", draw_digamma, lambda A: mp.digamma(A["x"]), ("x",))


def draw_log_beta(rng):
    def one():
        return choose(rng, [(2, "tiny", lambda: logu(rng, 1e-300, 1e-3)), (3, "mid", lambda: logu(rng, 1e-3, 1e3)),
                            (3, "big", lambda: logu(rng, 1e3, 1e300)), (1, "top", lambda: logu(rng, 1e300, DMAX))])
    la, a = one()
    lb, b = one()
    return {"a": a, "b": b}, la + "-" + lb


spec("log_beta", draw_log_beta, lambda A: log_beta_ref(A["a"], A["b"]), ("a", "b"))


def draw_dirichlet(rng):
    k = rng.randint(2, 8)
    lab, alpha = choose(rng, [(2, "small", lambda: [logu(rng, 1e-3, 1) for _ in range(k)]),
                              (3, "mid", lambda: [logu(rng, 0.5, 100) for _ in range(k)]),
                              (2, "big", lambda: [logu(rng, 1e2, 1e8) for _ in range(k)])])
    g = [rng.gammavariate(max(a, 0.05), 1) + 1e-300 for a in alpha]
    s = sum(g)
    x = [v / s for v in g]
    return {"x": x, "alpha": alpha}, lab


def dirichlet_ref(A):
    x, al = A["x"], A["alpha"]
    with mp.extradps(xdps(mp.fsum(al))):
        return +(mp.loggamma(mp.fsum(al)) - mp.fsum(mp.loggamma(a) for a in al) +
                 mp.fsum((a - 1) * mp.log(v) for a, v in zip(al, x)))


def dirichlet_kappa(A, f):
    """d/dx_i = (alpha_i - 1)/x_i, d/dalpha_i = psi(sum alpha) - psi(alpha_i) + log x_i"""
    x, al = A["x"], A["alpha"]
    sa = mp.fsum(al)
    t = mp.fsum(abs(a - 1) for a in al)
    t += mp.fsum(abs(a * (mp.digamma(sa) - mp.digamma(a) + mp.log(v))) for a, v in zip(al, x))
    return t / abs(f)


spec("dirichlet_logpdf", draw_dirichlet, dirichlet_ref, kappa=dirichlet_kappa)


def draw_mvn(rng):
    d = rng.randint(1, 5)
    scale = logu(rng, 1e-100, 1e100)
    lab, cond = choose(rng, [(3, "well", lambda: 1.0), (2, "ill", lambda: logu(rng, 1e2, 1e8))])
    A = [[rng.gauss(0, 1) for _ in range(d)] for _ in range(d)]
    ev = [logu(rng, 1, cond) for _ in range(d)]
    # cov = Q diag(ev) Q^T with Q from Gram-Schmidt of A, times scale, symmetrised in double
    Q = []
    for v in A:
        for q in Q:
            c = sum(a * b for a, b in zip(v, q))
            v = [a - c * b for a, b in zip(v, q)]
        nv = math.sqrt(sum(a * a for a in v))
        Q.append([a / nv for a in v])
    cov = [[scale * sum(Q[k][i] * ev[k] * Q[k][j] for k in range(d)) for j in range(d)] for i in range(d)]
    for i in range(d):
        for j in range(i):
            cov[i][j] = cov[j][i]
    mean = [rng.gauss(0, 1) * math.sqrt(scale) * rng.choice([1, 1e3]) for _ in range(d)]
    L = [[0.0] * d for _ in range(d)]
    z = [rng.gauss(0, rng.choice([1, 5])) for _ in range(d)]
    # x = mean + sqrt(scale) * Q^T sqrt(ev) z, so that the quadratic form is O(z^2)
    x = [mean[i] + math.sqrt(scale) * sum(Q[k][i] * math.sqrt(ev[k]) * z[k] for k in range(d)) for i in range(d)]
    return {"x": x, "mean": mean, "cov": cov}, lab + "-d%d" % d


def mvn_ref(A):
    x, m, C = A["x"], A["mean"], A["cov"]
    d = len(x)
    M = mp.matrix(C)
    L = mp.cholesky(M)
    r = mp.matrix([x[i] - m[i] for i in range(d)])
    y = mp.lu_solve(L, r)   # L y = r (L lower)
    q = mp.fsum(v ** 2 for v in y)
    ld = 2 * mp.fsum(mp.log(L[i, i]) for i in range(d))
    return -(d * mp.log(2 * mp.pi) + ld + q) / 2


def mvn_kappa(A, f):
    """numeric over x, mean and the upper triangle of cov (perturbing cov[i][j] and cov[j][i] together)"""
    t = numeric_kappa_vec(mvn_ref, A, "x", f)[0] + numeric_kappa_vec(mvn_ref, A, "mean", f)[0]
    d = len(A["x"])
    for i in range(d):
        for j in range(i, d):
            c = A["cov"][i][j]
            if c == 0:
                continue
            r = []
            for s in (1, -1):
                C = [list(row) for row in A["cov"]]
                C[i][j] = C[j][i] = c * (1 + s * STEP)
                B = dict(A)
                B["cov"] = C
                r.append(mvn_ref(B))
            t += abs((r[0] - r[1]) / (2 * STEP))
    return t / abs(f)


spec("mvn_logpdf", draw_mvn, mvn_ref, kappa=mvn_kappa)


# ---- vectors ------------------------------------------------------------------------------------------------------


def expand(v):
    """a vector argument as floats: a list, or a generator object computed as lmprob verify does (in double:
    a + (double)i * d, or fill then set)"""
    if isinstance(v, list):
        return [float(x) if not isinstance(x, str) else float(x) for x in v]
    n = int(v["size"])
    if "start" in v:
        a, d = float(v["start"]), float(v["step"])
        return [a + float(i) * d for i in range(n)]
    out = [float(v["fill"])] * n
    for k, x in v.get("set", {}).items():
        out[int(k)] = float(x)
    return out


def mvec(A, key):
    """the vector A[key] as mpf (expanding a generator object)"""
    v = A[key]
    if isinstance(v, dict):
        return [mp.mpf(x) for x in expand(v)]
    return [mpf(x) for x in v]


def draw_logits(rng, nmax=30, long_ok=True, neg_inf=True, long_sizes=(1000, 50257, 100000)):
    """logits: (short list | long generator) x (at 0 | shifted far) x spread"""
    lab_s, shift = choose(rng, [(3, "", lambda: 0.0), (2, "shifted", lambda: sgn(rng) * logu(rng, 1e3, 1e15)),
                                (1, "shifted-huge", lambda: sgn(rng) * logu(rng, 1e15, 1e300))])
    lab_w, width = choose(rng, [(3, "", lambda: logu(rng, 0.1, 10)), (2, "wide", lambda: logu(rng, 10, 800)),
                                (1, "narrow", lambda: logu(rng, 1e-12, 0.1))])
    # a spread that the shift can carry: differences below ulp(shift) are rounded away, which is fine (the
    # reference sees the rounded logits), but keep some variety
    width = max(width, abs(shift) * 2.0 ** -40) if shift else width
    if long_ok and rng.random() < 0.15:
        n = rng.choice(long_sizes)
        step = width / n * rng.choice([1, -1])
        return {"size": n, "start": shift, "step": step}, "-".join(t for t in ("long", lab_s, lab_w) if t)
    n = rng.randint(1, nmax)
    x = [shift + width * rng.gauss(0, 1) for _ in range(n)]
    if neg_inf and n > 2 and rng.random() < 0.15:
        x[rng.randrange(n)] = "-inf"
        lab_w = (lab_w + "-neginf").strip("-")
    if all(v == "-inf" for v in x):
        x[0] = shift
    return x, "-".join(t for t in (lab_s, lab_w) if t) or "plain"


def mfin(v):
    return mp.mpf(v) if not isinstance(v, str) else mp.mpf("-inf")


def softmax_parts(x):
    """m, d_i = x_i - m (exact), s_i, lse(d) for a list of mpf logits. lse(d) = log1p(sum of the others): the
    maximum's own term is exactly 1, and 1 + (the rest) would round the rest away at any fixed precision when
    it is below 10^-dps (settle() cannot see a loss that is the same at every precision)."""
    m = max(x)
    imax = x.index(m)
    d = [v - m for v in x]
    e = [mp.exp(v) if v != -mp.inf else mp.mpf(0) for v in d]
    r = mp.fsum(v for i, v in enumerate(e) if i != imax)
    z = 1 + r
    return m, d, [v / z for v in e], mp.log1p(r)


def logits_of(A, key="logits"):
    v = A[key]
    if isinstance(v, dict):
        return [mp.mpf(x) for x in expand(v)]
    return [mfin(x) if isinstance(x, str) else mp.mpf(x) for x in v]


def absd(v):
    return abs(v) if v != -mp.inf else mp.mpf(0)


def kappa_softmax_elems(d, s):
    """kappa_i of log s_i w.r.t. relative perturbations of d: |d_i|(1 - s_i) + sum_{j != i} |d_j| s_j"""
    t = mp.fsum(absd(dj) * sj for dj, sj in zip(d, s))
    return [absd(di) * (1 - si) + t - absd(di) * si for di, si in zip(d, s)]


def draw_lse_logits(rng):
    x, lab = draw_logits(rng)
    return {"logits": x}, lab


def ref_softmax(A):
    _, _, s, _ = softmax_parts(logits_of(A))
    return s


def kap_softmax(A, val):
    _, d, s, _ = softmax_parts(logits_of(A))
    return kappa_softmax_elems(d, s)


def ref_log_softmax(A):
    _, d, _, l = softmax_parts(logits_of(A))
    return [v - l for v in d]


def kap_log_softmax(A, val):
    _, d, s, _ = softmax_parts(logits_of(A))
    return [k / abs(v) if v != 0 and v != -mp.inf else (mp.inf if v == 0 else mp.mpf(0))
            for k, v in zip(kappa_softmax_elems(d, s), val)]


def draw_softmax(rng):
    x, lab = draw_logits(rng, long_sizes=(300,))
    return {"logits": x}, lab


spec("softmax", draw_softmax, ref_softmax, kappa=kap_softmax)
spec("log_softmax", draw_softmax, ref_log_softmax, kappa=kap_log_softmax)


def draw_softmax_t(rng):
    x, lab = draw_logits(rng, long_sizes=(300,))
    lt, T = choose(rng, [(4, "", lambda: logu(rng, 0.05, 20)), (1, "T-tiny", lambda: logu(rng, 1e-300, 1e-5)),
                         (1, "T-huge", lambda: logu(rng, 1e5, 1e300))])
    return {"logits": x, "T": T}, "-".join(t for t in (lab, lt) if t)


def softmax_t_parts(A):
    x = logits_of(A)
    T = A["T"]
    m = max(x)
    d = [(v - m) / T if v != -mp.inf else -mp.inf for v in x]
    e = [mp.exp(v) if v != -mp.inf else mp.mpf(0) for v in d]
    z = mp.fsum(e)
    return [v * T if v != -mp.inf else v for v in d], [v / z for v in e], T


def kap_softmax_t(A, val):
    """log s_i = d_i/T - lse(d/T): w.r.t. d as for softmax (scaled by 1/T), w.r.t. T: |d_i - sum s_j d_j| / T"""
    d, s, T = softmax_t_parts(A)
    ed = mp.fsum(sj * dj for sj, dj in zip(s, d) if dj != -mp.inf)
    return [(k + (abs(di - ed) if di != -mp.inf else 0)) / T for k, di in zip(kappa_softmax_elems(d, s), d)]


spec("softmax_temperature", draw_softmax_t, lambda A: softmax_t_parts(A)[1], kappa=kap_softmax_t)


def ref_lse(A):
    m, _, _, l = softmax_parts(logits_of(A, "a"))
    return m + l


def kap_lse(A, val):
    """lse = m + lse(d): |m| + sum |d_j| s_j over |lse|"""
    m, d, s, _ = softmax_parts(logits_of(A, "a"))
    return (abs(m) + mp.fsum(absd(dj) * sj for dj, sj in zip(d, s))) / abs(val) if val != 0 else mp.inf


def draw_lse(rng):
    x, lab = draw_logits(rng)
    return {"a": x}, lab


spec("logsumexp", draw_lse, ref_lse, kappa=kap_lse)


def ref_ent_sm(A):
    _, d, s, l = softmax_parts(logits_of(A))
    return l - mp.fsum(si * di for si, di in zip(s, d) if di != -mp.inf)


def kap_ent_sm(A, val):
    """dH/dd_j = -s_j (log s_j + H)"""
    _, d, s, l = softmax_parts(logits_of(A))
    if val == 0:
        return mp.inf
    return mp.fsum(absd(dj) * sj * abs(dj - l + val) for dj, sj in zip(d, s) if sj > 0) / abs(val)


spec("entropy_of_softmax", draw_lse_logits, ref_ent_sm, kappa=kap_ent_sm)


def draw_ce(rng):
    x, lab = draw_logits(rng, long_ok=True, neg_inf=False)
    n = len(x) if isinstance(x, list) else x["size"]
    t = rng.randrange(n)
    ls, eps = choose(rng, [(3, "", lambda: 0.0), (1, "smooth", lambda: rng.uniform(0, 1))])
    a = {"logits": x, "target": t}
    if eps:
        a["label_smoothing"] = eps
    return a, "-".join(u for u in (lab, ls) if u)


def ce_parts(x, t, eps):
    """loss and kappa numerator for one row: L = (1 - eps)(lse(d) - d_t) + eps (lse(d) - mean d);
    dL/dd_j = s_j - (1 - eps) [j = t] - eps / C, dL/deps = (lse - mean d) - (lse - d_t)"""
    _, d, s, l = softmax_parts(x)
    C = len(x)
    md = mp.fsum(d) / C
    nll = l - d[t]
    L = (1 - eps) * nll + eps * (l - md)
    kn = mp.fsum(abs(dj * (sj - ((1 - eps) if j == t else 0) - eps / C)) for j, (dj, sj) in enumerate(zip(d, s)))
    kn += abs(eps * ((l - md) - nll))
    return L, kn


def ref_ce(A):
    return ce_parts(logits_of(A), int(A["target"]), A.get("label_smoothing", mp.mpf(0)))[0]


def kap_ce(A, val):
    L, kn = ce_parts(logits_of(A), int(A["target"]), A.get("label_smoothing", mp.mpf(0)))
    return kn / abs(L) if L != 0 else mp.inf


spec("ce_loss", draw_ce, ref_ce, kappa=kap_ce)


def draw_ce_batch(rng):
    N = rng.randint(1, 6)
    C = rng.randint(2, 12)
    lab, shift = choose(rng, [(2, "", lambda: 0.0), (2, "shifted", lambda: sgn(rng) * logu(rng, 1e3, 1e15))])
    w = logu(rng, 0.1, 50)
    X = [[shift + w * rng.gauss(0, 1) for _ in range(C)] for _ in range(N)]
    ign = -100
    t = [rng.randrange(C) if rng.random() < 0.85 else ign for _ in range(N)]
    if all(v == ign for v in t):
        t[0] = 0
    a = {"logits": X, "targets": t, "ignore_index": ign}
    if rng.random() < 0.3:
        a["label_smoothing"] = rng.uniform(0, 1)
    return a, lab or "plain"


def ce_batch_parts(A):
    eps = A.get("label_smoothing", mp.mpf(0))
    tot, kn, n = mp.mpf(0), mp.mpf(0), 0
    for row, t in zip(A["logits"], A["targets"]):
        if int(t) == int(A["ignore_index"]):
            continue
        L, k = ce_parts([mp.mpf(v) for v in row], int(t), eps)
        tot += L
        kn += k
        n += 1
    return tot / n, kn / n


spec("ce_loss_batch", draw_ce_batch, lambda A: ce_batch_parts(A)[0],
     kappa=lambda A, v: ce_batch_parts(A)[1] / abs(v) if v != 0 else mp.inf)


def draw_perplexity(rng):
    if rng.random() < 0.15:
        n = rng.choice([1000, 100000])
        a = -logu(rng, 1e-6, 10)
        return {"log_probs": {"size": n, "start": a, "step": -logu(rng, 1e-9, 1e-3)}}, "long"
    n = rng.randint(1, 50)
    lab, sc = choose(rng, [(3, "", lambda: 3.0), (1, "tiny", lambda: 1e-12), (1, "overflow-edge", lambda: 700.0)])
    return {"log_probs": [-sc * rng.random() for _ in range(n)]}, lab or "plain"


def ref_ppl(A):
    lp = mvec(A, "log_probs")
    return mp.exp(-mp.fsum(lp) / len(lp))


def kap_ppl(A, v):
    lp = mvec(A, "log_probs")
    return mp.fsum(abs(x) for x in lp) / len(lp)


spec("perplexity", draw_perplexity, ref_ppl, kappa=kap_ppl)


# ---- entropy, cross-entropy, divergences ---------------------------------------------------------------------------


def draw_dist(rng, n=None, zeros=True):
    n = n or rng.randint(1, 40)
    lab, sc = choose(rng, [(3, "", lambda: 1.0), (1, "counts", lambda: 1e6), (1, "tiny", lambda: 1e-300),
                           (1, "huge", lambda: 1e305)])
    kind = rng.choice(["flat", "spread"])
    v = [max(sc * (rng.random() if kind == "flat" else logu(rng, 1e-30, 1)), 1e-320) for _ in range(n)]
    if zeros and n > 2 and rng.random() < 0.3:
        v[rng.randrange(n)] = 0.0
    if all(x == 0 for x in v):
        v[0] = sc
    return v, lab or kind


def draw_entropy(rng):
    base = rng.choice(["e", "e", 2, 10])
    r = rng.random()
    if r < 0.12:
        n = rng.choice([1000, 100000, 300000])
        return {"p": {"size": n, "start": float(rng.randint(1, 100)), "step": float(rng.randint(0, 3))},
                "base": base}, "long-counts"
    if r < 0.2:
        n = rng.randint(1, 10)
        c = logu(rng, 1e300, DMAX)
        return {"p": {"size": n, "fill": c}, "base": base}, "overflow-edge"
    p, lab = draw_dist(rng)
    return {"p": p, "base": base}, lab


def log_base(A):
    b = A.get("base", "e")
    return mp.mpf(1) if b == "e" else mp.log(b)


def logq(p):
    """log of the normalised weights, the largest one as log1p(-(sum of the others) / sum) (no 1 - tiny)"""
    S = mp.fsum(p)
    i = p.index(max(p))
    rest = mp.fsum(v for j, v in enumerate(p) if j != i)
    return [mp.log1p(-rest / S) if j == i else (mp.log(v / S) if v > 0 else -mp.inf) for j, v in enumerate(p)]


def ent_parts(A):
    p = mvec(A, "p")
    S = mp.fsum(p)
    q = [v / S for v in p]
    H = -mp.fsum(v * l for v, l in zip(q, logq(p)) if v > 0)
    return q, H


def kap_entropy(A, v):
    """dH/dp_j = -(log q_j + H) / S (natural log): kappa = sum q_j |log q_j + H| / H"""
    q, H = ent_parts(A)
    if H == 0:
        return mp.inf
    return mp.fsum(v * abs(l + H) for v, l in zip(q, logq(mvec(A, "p"))) if v > 0) / H


spec("entropy", draw_entropy, lambda A: ent_parts(A)[1] / log_base(A), kappa=kap_entropy)


def draw_two(rng, k1="p", k2="q", base=True):
    n = rng.randint(1, 30)
    p, lp = draw_dist(rng, n)
    lab, q = choose(rng, [(2, "indep", lambda: draw_dist(rng, n, zeros=False)[0]),
                          (2, "close", lambda: [v * (1 + logu(rng, 1e-12, 1e-2) * sgn(rng)) for v in p])])
    if lab == "close" and any(v == 0 for v in q):
        q = [v if v > 0 else 1e-3 * max(q) for v in q]
    a = {k1: p, k2: q}
    if base:
        a["base"] = rng.choice(["e", 2, 10])
    return a, lp + "-" + lab


def norm(v):
    S = mp.fsum(v)
    return [x / S for x in v]


def ref_ce_dist(A):
    p, lq = norm(mvec(A, "p")), logq(mvec(A, "q"))
    return -mp.fsum(a * b for a, b in zip(p, lq) if a > 0) / log_base(A)


def kap_pq_numeric(ref, k1, k2):
    def kap(A, v):
        if v == 0:
            return mp.inf
        t = numeric_kappa_vec(ref, A, k1, v)[0] + numeric_kappa_vec(ref, A, k2, v)[0]
        return t / abs(v)
    return kap


spec("cross_entropy", lambda r: draw_two(r), ref_ce_dist, kappa=kap_pq_numeric(ref_ce_dist, "p", "q"))


def ref_kl(A):
    p, q = norm(mvec(A, "P")), norm(mvec(A, "Q"))
    return mp.fsum(a * mp.log(a / b) for a, b in zip(p, q) if a > 0) / log_base(A)


def ref_js(A):
    p, q = norm(mvec(A, "P")), norm(mvec(A, "Q"))
    m = [(a + b) / 2 for a, b in zip(p, q)]
    kl = lambda x: mp.fsum(a * mp.log(a / c) for a, c in zip(x, m) if a > 0)
    return (kl(p) + kl(q)) / 2 / log_base(A)


def draw_kl(rng):
    return draw_two(rng, "P", "Q")


spec("kl_divergence", draw_kl, ref_kl, kappa=kap_pq_numeric(ref_kl, "P", "Q"))
spec("js_divergence", draw_kl, ref_js, kappa=kap_pq_numeric(ref_js, "P", "Q"))


def draw_jsd(rng):
    return draw_two(rng, "P", "Q", base=False)


spec("js_distance", draw_jsd, lambda A: mp.sqrt(ref_js(A)),
     kappa=lambda A, v: kap_pq_numeric(ref_js, "P", "Q")(A, v * v) / 2)


# ---- moments and tests -------------------------------------------------------------------------------------------


def draw_data(rng, nmin=2, nmax=40, long_ok=True):
    """samples: normal, skewed or heavy-tailed, at any scale, with an offset up to 1e8 standard deviations"""
    sc = logu(rng, 1e-150, 1e150)
    lab_o, off = choose(rng, [(3, "", lambda: 0.0), (2, "offset", lambda: sgn(rng) * logu(rng, 1, 1e8))])
    if long_ok and rng.random() < 0.1:
        n = rng.choice([10000, 100000])
        return {"size": n, "start": off * sc, "step": sc * logu(rng, 1e-6, 1)}, "long" + ("-" + lab_o if lab_o else "")
    n = rng.randint(nmin, nmax)
    lab, g = choose(rng, [(3, "normal", lambda: (lambda: rng.gauss(0, 1))),
                          (1, "skewed", lambda: (lambda: rng.expovariate(1.0))),
                          (1, "heavy", lambda: (lambda: rng.gauss(0, 1) / max(1e-3, abs(rng.gauss(0, 1)))))])
    x = [sc * (off + g()) for _ in range(n)]
    return x, "-".join(t for t in (lab, lab_o) if t)


def central(x):
    n = len(x)
    m = mp.fsum(x) / n
    c = [v - m for v in x]
    mom = {k: mp.fsum(v ** k for v in c) / n for k in (2, 3, 4)}
    return m, c, mom


def ref_var(A):
    x = mvec(A, "x")
    _, c, mom = central(x)
    return mom[2] * len(x) / (len(x) - A.get("ddof", 0))


def kap_var(A, v):
    """d var / dx_i = 2 (x_i - m) / (n - ddof): kappa = 2 sum |x_i (x_i - m)| / sum (x_i - m)^2"""
    x = mvec(A, "x")
    _, c, mom = central(x)
    s2 = mom[2] * len(x)
    return 2 * mp.fsum(abs(a * b) for a, b in zip(x, c)) / s2 if s2 else mp.inf


def draw_var(rng):
    x, lab = draw_data(rng)
    a = {"x": x}
    if rng.random() < 0.5:
        a["ddof"] = rng.choice([1, 0.5, 2])
    return a, lab


spec("variance", draw_var, ref_var, kappa=kap_var)
spec("stddev", draw_var, lambda A: mp.sqrt(ref_var(A)), kappa=lambda A, v: kap_var(A, v) / 2)


def skew_parts(x, bias, kurt=False, fisher=True):
    """value and sum_i |x_i d value / dx_i|, with d m_k / dx_i = (k/n) ((x_i - m)^(k-1) - m_(k-1)), m_1 = 0"""
    n = len(x)
    _, c, mom = central(x)
    m2, m3, m4 = mom[2], mom[3], mom[4]
    dm = lambda k, ci: mp.mpf(k) / n * (ci ** (k - 1) - (mom[k - 1] if k > 2 else 0))
    if not kurt:
        g = m3 / m2 ** mp.mpf(1.5)
        grad = [dm(3, ci) / m2 ** 1.5 - mp.mpf(1.5) * m3 * dm(2, ci) / m2 ** 2.5 for ci in c]
        f = mp.sqrt(mp.mpf(n - 1) * n) / (n - 2) if (not bias and n > 2) else 1
        return g * f, mp.fsum(abs(a * b) for a, b in zip(x, grad)) * abs(f)
    b2 = m4 / m2 ** 2
    grad = [dm(4, ci) / m2 ** 2 - 2 * m4 * dm(2, ci) / m2 ** 3 for ci in c]
    f = 1
    v = b2
    if not bias and n > 3:
        f = mp.mpf(n * n - 1) / ((n - 2) * (n - 3))
        v = (mp.mpf(n * n - 1) * b2 - 3 * mp.mpf(n - 1) ** 2) / ((n - 2) * (n - 3)) + 3
    if fisher:
        v -= 3
    return v, mp.fsum(abs(a * b) for a, b in zip(x, grad)) * abs(f)


def draw_skew(rng):
    x, lab = draw_data(rng, 3)
    a = {"x": x}
    if rng.random() < 0.5:
        a["bias"] = False
    return a, lab


def draw_kurt(rng):
    x, lab = draw_data(rng, 4)
    a = {"x": x}
    if rng.random() < 0.5:
        a["bias"] = False
    if rng.random() < 0.3:
        a["fisher"] = False
    return a, lab


spec("skewness", draw_skew, lambda A: skew_parts(mvec(A, "x"), A.get("bias", True))[0],
     kappa=lambda A, v: skew_parts(mvec(A, "x"), A.get("bias", True))[1] / abs(v) if v else mp.inf)
spec("kurtosis", draw_kurt, lambda A: skew_parts(mvec(A, "x"), A.get("bias", True), True, A.get("fisher", True))[0],
     kappa=lambda A, v: (skew_parts(mvec(A, "x"), A.get("bias", True), True, A.get("fisher", True))[1] / abs(v)
                         if v else mp.inf))


def skewtest_z(x):
    """scipy.stats.skewtest (D'Agostino 1970), in exact arithmetic"""
    n = mp.mpf(len(x))
    b2 = skew_parts(x, True)[0]
    y = b2 * mp.sqrt(((n + 1) * (n + 3)) / (6 * (n - 2)))
    beta2 = 3 * (n * n + 27 * n - 70) * (n + 1) * (n + 3) / ((n - 2) * (n + 5) * (n + 7) * (n + 9))
    W2 = -1 + mp.sqrt(2 * (beta2 - 1))
    delta = 1 / mp.sqrt(mp.log(mp.sqrt(W2)))
    alpha = mp.sqrt(2 / (W2 - 1))
    if y == 0:
        y = mp.mpf(1)
    return delta * mp.log(y / alpha + mp.sqrt((y / alpha) ** 2 + 1))


def kurtosistest_z(x):
    """scipy.stats.kurtosistest (Anscombe & Glynn 1983), in exact arithmetic"""
    n = mp.mpf(len(x))
    b2 = skew_parts(x, True, True, False)[0]
    E = 3 * (n - 1) / (n + 1)
    varb2 = 24 * n * (n - 2) * (n - 3) / ((n + 1) ** 2 * (n + 3) * (n + 5))
    xs = (b2 - E) / mp.sqrt(varb2)
    sb1 = 6 * (n * n - 5 * n + 2) / ((n + 7) * (n + 9)) * mp.sqrt(6 * (n + 3) * (n + 5) / (n * (n - 2) * (n - 3)))
    Aa = 6 + 8 / sb1 * (2 / sb1 + mp.sqrt(1 + 4 / sb1 ** 2))
    t1 = 1 - 2 / (9 * Aa)
    den = 1 + xs * mp.sqrt(2 / (Aa - 4))
    t2 = mp.sign(den) * mp.cbrt((1 - 2 / Aa) / abs(den))
    return (t1 - t2) / mp.sqrt(2 / (9 * Aa))


def two_sided(z):
    return mp.erfc(abs(z) / mp.sqrt(2))


TESTS = {
    "skewtest_statistic": lambda x: skewtest_z(x),
    "skewtest_pvalue": lambda x: two_sided(skewtest_z(x)),
    "kurtosistest_statistic": lambda x: kurtosistest_z(x),
    "kurtosistest_pvalue": lambda x: two_sided(kurtosistest_z(x)),
    "normaltest_statistic": lambda x: skewtest_z(x) ** 2 + kurtosistest_z(x) ** 2,
    "normaltest_pvalue": lambda x: mp.exp(-(skewtest_z(x) ** 2 + kurtosistest_z(x) ** 2) / 2),
}


def make_test_spec(name, fn):
    ref = lambda A: fn([mpf(v) for v in A["x"]])

    def draw(rng):
        x, lab = draw_data(rng, 20, 40, long_ok=False)
        return {"x": x}, lab

    def kap(A, v):
        return numeric_kappa_vec(ref, A, "x", v)[0] / abs(v) if v else mp.inf
    spec(name, draw, ref, kappa=kap)


for _n, _f in TESTS.items():
    make_test_spec(_n, _f)


def draw_matrix(rng):
    k = rng.randint(1, 4)
    m = rng.randint(2, 20)
    rows = [draw_data(rng, m, m, long_ok=False)[0] for _ in range(k)]
    # mix in correlation: each variable after the first leans on the first
    for i in range(1, k):
        c = rng.uniform(-1, 1)
        s = max(abs(v) for v in rows[i]) / max(1e-300, max(abs(v) for v in rows[0]))
        rows[i] = [a + c * s * b for a, b in zip(rows[i], rows[0])]
    rowvar = rng.random() < 0.7
    X = rows if rowvar else [list(r) for r in zip(*rows)]
    return X, rowvar


def cov_ref(X, rowvar, ddof):
    V = X if rowvar else [list(r) for r in zip(*X)]
    m = len(V[0])
    c = [[v - mp.fsum(r) / m for v in r] for r in V]
    return [[mp.fsum(a * b for a, b in zip(ci, cj)) / (m - ddof) for cj in c] for ci in c]


def flat(M):
    return [v for r in M for v in r]


def matrix_kappa(ref, A, key):
    """numeric over every entry of the matrix A[key], per output element"""
    X = A[key]
    base = ref(A)
    tot = [mp.mpf(0)] * len(base)
    for i in range(len(X)):
        for j in range(len(X[0])):
            if X[i][j] == 0:
                continue
            r = []
            for s in (1, -1):
                Y = [list(row) for row in X]
                Y[i][j] = X[i][j] * (1 + s * STEP)
                B = dict(A)
                B[key] = Y
                r.append(ref(B))
            tot = [t + abs((a - b) / (2 * STEP)) for t, a, b in zip(tot, r[0], r[1])]
    return [t / abs(v) if v != 0 else mp.inf for t, v in zip(tot, base)]


def draw_cov(rng):
    X, rowvar = draw_matrix(rng)
    a = {"X": X, "rowvar": rowvar}
    if rng.random() < 0.3:
        a["ddof"] = rng.choice([0, 2])
    return a, "rowvar" if rowvar else "colvar"


ref_cov = lambda A: flat(cov_ref(A["X"], A.get("rowvar", True), A.get("ddof", 1)))


def ref_corr(A):
    C = cov_ref(A["X"], A.get("rowvar", True), 1)
    return [C[i][j] / mp.sqrt(C[i][i] * C[j][j]) for i in range(len(C)) for j in range(len(C))]


spec("cov_matrix", draw_cov, ref_cov, kappa=lambda A, v: matrix_kappa(ref_cov, A, "X"))
spec("corr_matrix", lambda r: ({"X": draw_matrix(r)[0]}, "rowvar"), ref_corr,
     kappa=lambda A, v: matrix_kappa(ref_corr, A, "X"))


# ---- least squares, layer norm, initialisers -----------------------------------------------------------------------


def draw_fit(rng):
    deg = rng.randint(0, 4)
    n = rng.randint(deg + 1, deg + 25)
    lab, (c0, w) = choose(rng, [(3, "", lambda: (0.0, 1.0)), (1, "offset-x", lambda: (logu(rng, 10, 1e4), 1.0)),
                                (1, "scaled", lambda: (0.0, logu(rng, 1e-100, 1e100)))])
    x = sorted(c0 + w * rng.uniform(-1, 1) for _ in range(n))
    coef = [rng.gauss(0, 1) for _ in range(deg + 1)]
    y = [sum(c * (v / w) ** (deg - i) for i, c in enumerate(coef)) + rng.gauss(0, logu(rng, 1e-8, 1)) for v in x]
    if len(set(x)) <= deg:
        x = [float(i) for i in range(n)]
    return {"x": x, "y": y, "deg": deg}, (lab or "plain") + "-deg%d" % deg


def lsq(A):
    x, y, deg = A["x"], A["y"], int(A["deg"])
    M = mp.matrix([[v ** (deg - j) for j in range(deg + 1)] for v in x])
    c, _ = mp.qr_solve(M, mp.matrix(y))
    return [c[i] for i in range(deg + 1)]


def ref_polyval(A):
    c = lsq(A)
    return [mp.polyval(c, v) for v in A["x"]]


def fit_kappa(ref):
    def kap(A, v):
        t = [a + b for a, b in zip(numeric_kappa_vec(ref, A, "x", v), numeric_kappa_vec(ref, A, "y", v))]
        return [ti / abs(vi) if vi != 0 else mp.inf for ti, vi in zip(t, v)]
    return kap


spec("polyfit", draw_fit, lsq, kappa=fit_kappa(lsq))
spec("polyval_of_polyfit", draw_fit, ref_polyval, kappa=fit_kappa(ref_polyval))


def draw_layer_norm(rng):
    x, lab = draw_data(rng, 2, 40, long_ok=False)
    a = {"x": x, "eps": rng.choice([1e-5, 0.0, logu(rng, 1e-12, 1)])}
    if rng.random() < 0.5:
        a["gamma"] = [rng.gauss(1, 0.5) for _ in x]
        a["beta"] = [rng.gauss(0, 0.5) for _ in x]
    return a, lab


def ref_layer_norm(A):
    x = A["x"]
    n = len(x)
    m = mp.fsum(x) / n
    var = mp.fsum((v - m) ** 2 for v in x) / n
    r = 1 / mp.sqrt(var + A["eps"])
    g = A.get("gamma") or [1] * n
    b = A.get("beta") or [0] * n
    return [(v - m) * r * gi + bi for v, gi, bi in zip(x, g, b)]


def kap_layer_norm(A, v):
    t = numeric_kappa_vec(ref_layer_norm, A, "x", v)
    for k in ("gamma", "beta"):
        if k in A:
            t = [a + b for a, b in zip(t, numeric_kappa_vec(ref_layer_norm, A, k, v))]
    if A["eps"] != 0:
        B1, B2 = dict(A), dict(A)
        B1["eps"], B2["eps"] = A["eps"] * (1 + STEP), A["eps"] * (1 - STEP)
        t = [a + abs((p - q) / (2 * STEP)) for a, p, q in zip(t, ref_layer_norm(B1), ref_layer_norm(B2))]
    return [ti / abs(vi) if vi != 0 else mp.inf for ti, vi in zip(t, v)]


spec("layer_norm", draw_layer_norm, ref_layer_norm, kappa=kap_layer_norm)


def draw_fans(rng, two=True):
    lab, f = choose(rng, [(3, "", lambda: float(rng.randint(1, 100000))), (1, "huge", lambda: logu(rng, 1e5, DMAX)),
                          (1, "tiny", lambda: logu(rng, 1e-300, 1))])
    a = {"fan_in": f}
    if two:
        a["fan_out"] = logu(rng, 1, DMAX) if lab == "huge" else float(rng.randint(1, 100000))
    return a, lab or "plain"


spec("xavier_normal_std", draw_fans, lambda A: mp.sqrt(2 / (A["fan_in"] + A["fan_out"])), ("fan_in", "fan_out"))
spec("xavier_uniform_bound", draw_fans, lambda A: mp.sqrt(6 / (A["fan_in"] + A["fan_out"])), ("fan_in", "fan_out"))
spec("he_normal_std", lambda r: draw_fans(r, False), lambda A: mp.sqrt(2 / A["fan_in"]), ("fan_in",))
spec("he_uniform_bound", lambda r: draw_fans(r, False), lambda A: mp.sqrt(6 / A["fan_in"]), ("fan_in",))


# ---- Bayes -----------------------------------------------------------------------------------------------------------


def draw_bayes(rng):
    return {"prior": prob(rng), "sensitivity": prob(rng), "false_positive_rate": prob(rng),
            "n_positive": rng.choice([0, 1, 2, 3, rng.randint(4, 300)])}, "plain"


def ref_bayes(A):
    n = int(A["n_positive"])
    p, s, f = A["prior"], A["sensitivity"], A["false_positive_rate"]
    a = s ** n * p
    return a / (a + f ** n * (1 - p))


spec("bayes_posterior", draw_bayes, ref_bayes, ("prior", "sensitivity", "false_positive_rate"))


def draw_beta_post(rng):
    la, a = draw_shape(rng)
    lb, b = draw_shape(rng)
    lab, n = choose(rng, [(2, "n-small", lambda: rng.randint(0, 30)), (2, "", lambda: int(logu(rng, 1, 1e6))),
                          (1, "n-huge", lambda: int(logu(rng, 1e6, 1e15)))])
    heads = rng.choice([0, n, rng.randint(0, n), int(n * a / (a + b))])
    return {"a": a, "b": b, "heads": heads, "n": n}, "-".join(t for t in (la.replace("k-", "a-"),
                                                                         lb.replace("k-", "b-"), lab) if t) or "plain"


def ref_post_mode(A):
    Aa, Bb = A["a"] + A["heads"], A["b"] + A["n"] - A["heads"]
    return (Aa - 1) / (Aa + Bb - 2)


def draw_post_mode(rng):
    for _ in range(100):
        a, lab = draw_beta_post(rng)
        if a["a"] + a["heads"] > 1 and a["b"] + a["n"] - a["heads"] > 1:
            return a, lab
    return {"a": 2.0, "b": 3.0, "heads": 1, "n": 3}, "default"


def ref_bb(A):
    k, n, a, b = A["heads"], A["n"], A["a"], A["b"]
    with mp.extradps(xdps(n, a, b, n + a + b)):
        lc = mp.loggamma(n + 1) - mp.loggamma(k + 1) - mp.loggamma(n - k + 1)
        return +(lc + log_beta_ref(k + a, n - k + b) - log_beta_ref(a, b))


spec("beta_posterior_mean", draw_beta_post, lambda A: (A["a"] + A["heads"]) / (A["a"] + A["b"] + A["n"]), ("a", "b"))
spec("beta_posterior_mode", draw_post_mode, ref_post_mode, ("a", "b"))
spec("log_beta_binomial_marginal", draw_beta_post, ref_bb, ("a", "b"))


# ---- samplers (Hugging Face's rules in float64; llama.cpp's float32 penalties) --------------------------------------
# Kept sets, argmax and sample_index are discrete: the case is exact. A draw is kept only if no decision lies
# within a relative 1e-9 of its threshold (there a correctly rounded computation may go either way); logits are
# compared raw (top-k, argmax), so their ties are exact and are drawn on purpose.

MARGIN = mp.mpf("1e-9")


def near(a, b):
    return abs(a - b) <= MARGIN * max(abs(a), abs(b), mp.mpf("1e-300"))


def draw_keep_logits(rng):
    n = rng.randint(1, 24)
    lab, w = choose(rng, [(3, "", lambda: logu(rng, 0.3, 5)), (1, "wide", lambda: logu(rng, 5, 60))])
    shift = rng.choice([0.0, 0.0, sgn(rng) * logu(rng, 1, 1e6)])
    x = [shift + w * rng.gauss(0, 1) for _ in range(n)]
    if n > 3 and rng.random() < 0.3:   # exact ties
        x[rng.randrange(n)] = x[rng.randrange(n)]
    return x, (lab + ("-shifted" if shift else "")).strip("-") or "plain"


def probs(x):
    _, _, s, _ = softmax_parts([mp.mpf(v) for v in x])
    return s


def kept_top_k(x, k):
    """HF TopKLogitsWarper: keep every logit >= the k-th largest (ties with it kept)"""
    k = min(max(k, 1), len(x))
    kth = sorted(x, reverse=True)[k - 1]
    return [i for i, v in enumerate(x) if v >= kth]


def top_order(x, m):
    """the indices of the m largest logits (ties by index), as HF's topk for min_tokens_to_keep"""
    return sorted(range(len(x)), key=lambda i: (-x[i], i))[:m]


def kept_threshold(x, keep, min_keep):
    top = set(top_order(x, min_keep))
    return sorted(set(i for i, k in enumerate(keep) if k) | top)


def spec_keep(name, draw, ref):
    def reff(A):
        return [mp.mpf(i) for i in ref(A)]
    SPECS[name] = {"draw": draw, "ref": reff, "cont": (), "kappa": None, "exact": True}


def draw_top_k(rng):
    x, lab = draw_keep_logits(rng)
    return {"logits": x, "k": rng.randint(1, len(x) + 1), "convention": "hf"}, lab


spec_keep("top_k_keep", draw_top_k, lambda A: kept_top_k([float(v) for v in A["logits"]], int(A["k"])))
spec_keep("top_k_count", draw_top_k, lambda A: [len(kept_top_k([float(v) for v in A["logits"]], int(A["k"])))])


def draw_min_p(rng):
    x, lab = draw_keep_logits(rng)
    return {"logits": x, "min_p": logu(rng, 1e-4, 0.9), "min_keep": rng.choice([1, 1, 2, 3]), "convention": "hf"}, lab


def ref_min_p(A):
    """HF MinPLogitsWarper: keep p_i >= min_p * p_max (p_i / p_max = exp(x_i - max)), and the top min_keep"""
    x = [mp.mpf(v) for v in A["logits"]]
    m = max(x)
    r = [mp.exp(v - m) for v in x]
    if any(near(v, A["min_p"]) for v in r):
        raise NoReference("a ratio at the threshold")
    return kept_threshold(x, [v >= A["min_p"] for v in r], int(A["min_keep"]))


spec_keep("min_p_keep", draw_min_p, ref_min_p)


def draw_eps(rng):
    x, lab = draw_keep_logits(rng)
    return {"logits": x, "epsilon": logu(rng, 1e-6, 0.3), "min_keep": rng.choice([1, 1, 2]), "convention": "hf"}, lab


def ref_eps(A):
    """HF EpsilonLogitsWarper: keep p_i >= epsilon, and every logit >= the min_keep-th largest: its mask is
    `probs < epsilon & scores < topk(scores, min_keep)[0][..., -1]`, so a logit tied with the min_keep-th is
    kept too (seed 29: [2, 6, 7] with x_2 == x_6 and min_keep 2, where exactly the top min_keep by index, as
    MinPLogitsWarper's sorted mask keeps them, gave [2, 7])"""
    x = [mp.mpf(v) for v in A["logits"]]
    p = probs(x)
    if any(near(v, A["epsilon"]) for v in p):
        raise NoReference("a probability at the threshold")
    top = set(kept_top_k([float(v) for v in A["logits"]], int(A["min_keep"])))
    return sorted(set(i for i, v in enumerate(p) if v >= A["epsilon"]) | top)


spec_keep("epsilon_keep", draw_eps, ref_eps)


def nucleus(x, top_p, min_keep):
    """HF TopPLogitsWarper: ascending order, cumulative mass; remove where it is <= 1 - top_p; keep the top
    min_keep. Needs distinct probabilities (the order of ties is the sort's)."""
    p = probs(x)
    if len(set(p)) < len(p):
        raise NoReference("tied probabilities")
    asc = sorted(range(len(x)), key=lambda i: p[i])
    cut = 1 - mp.mpf(top_p)
    keep, c = [False] * len(x), mp.mpf(0)
    for i in asc:
        c += p[i]
        if near(c, cut):
            raise NoReference("cumulative mass at the cut")
        keep[i] = c > cut
    return kept_threshold(x, keep, min_keep)


def draw_top_p(rng):
    x, lab = draw_keep_logits(rng)
    return {"logits": x, "p": rng.uniform(0.05, 0.99), "min_keep": rng.choice([1, 1, 2]), "convention": "hf"}, lab


spec_keep("top_p_keep", draw_top_p, lambda A: nucleus([mp.mpf(v) for v in A["logits"]], A["p"], int(A["min_keep"])))


def draw_chain(rng):
    x, lab = draw_keep_logits(rng)
    return {"logits": x, "T": logu(rng, 0.1, 5), "top_p": rng.uniform(0.05, 0.99), "convention": "hf"}, lab


spec_keep("chain_keep", draw_chain,
          lambda A: nucleus([mp.mpf(v) / A["T"] for v in A["logits"]], A["top_p"], 1))


def ref_typical(A):
    """HF TypicalLogitsWarper: shifted_i = |-log p_i - H|, ascending; cumulative mass in that order;
    last = #(cumulative < mass) (at most n - 1); keep shifted <= shifted at last; and the first min_keep"""
    x = [mp.mpf(v) for v in A["logits"]]
    _, d, p, l = softmax_parts(x)
    logp = [v - l for v in d]
    H = -mp.fsum(a * b for a, b in zip(p, logp))
    sh = [abs(-v - H) for v in logp]
    order = sorted(range(len(x)), key=lambda i: sh[i])
    for a, b in zip(order, order[1:]):
        if near(sh[a], sh[b]):
            raise NoReference("tied shifted scores")
    c, cum = mp.mpf(0), []
    for i in order:
        c += p[i]
        if near(c, A["mass"]):
            raise NoReference("cumulative mass at the cut")
        cum.append(c)
    last = min(sum(1 for v in cum if v < A["mass"]), len(x) - 1)
    keep = [sh[i] <= sh[order[last]] for i in range(len(x))]
    mk = int(A["min_keep"])
    for i in order[:mk]:
        keep[i] = True
    return sorted(i for i in range(len(x)) if keep[i])


def draw_typical(rng):
    x, lab = draw_keep_logits(rng)
    return {"logits": x, "mass": rng.uniform(0.05, 0.99), "min_keep": rng.choice([1, 1, 2]), "convention": "hf"}, lab


spec_keep("typical_keep", draw_typical, ref_typical)


def ref_argmax(A):
    x = [float(v) for v in A["logits"]]
    return [x.index(max(x))]


spec_keep("argmax", lambda r: ({"logits": draw_keep_logits(r)[0]}, "plain"), ref_argmax)


def draw_sample_index(rng):
    n = rng.randint(1, 30)
    w = [logu(rng, 1e-30, 1) * rng.choice([1, 1e-300, 1e300]) if rng.random() < 0.2 else rng.random()
         for _ in range(n)]
    if rng.random() < 0.2:
        w[rng.randrange(n)] = 0.0
    if not any(w):
        w[0] = 1.0
    return {"weights": w, "u": rng.random()}, "plain"


def ref_sample_index(A):
    """the first i with cumsum(w)[i] > u * sum(w)"""
    w = [mp.mpf(v) for v in A["weights"]]
    t = A["u"] * mp.fsum(w)
    c = mp.mpf(0)
    for i, v in enumerate(w):
        c += v
        if near(c, t):
            raise NoReference("cumulative weight at u * sum")
        if c > t:
            return [i]
    raise NoReference("u at the end")


spec_keep("sample_index", draw_sample_index, ref_sample_index)


def draw_rep(rng):
    n = rng.randint(1, 20)
    s = [rng.gauss(0, 5) * rng.choice([1, 1, 1e-300, 1e300]) for _ in range(n)]
    prev = [rng.randrange(n) for _ in range(rng.randint(0, 2 * n))]
    return {"scores": s, "prev_ids": prev, "penalty": logu(rng, 1e-3, 1e3)}, "plain"


def ref_rep(A):
    """HF RepetitionPenaltyLogitsProcessor: once per distinct previous token, s < 0 ? s * pen : s / pen"""
    s = [mp.mpf(v) for v in A["scores"]]
    for i in set(int(v) for v in A["prev_ids"]):
        s[i] = s[i] * A["penalty"] if s[i] < 0 else s[i] / A["penalty"]
    return s


def kap_rep(A, v):
    """one product or quotient of two inputs: kappa 2 for a penalised score, 0 for the others"""
    hit = set(int(i) for i in A["prev_ids"])
    return [mp.mpf(2) if i in hit else mp.mpf(0) for i in range(len(v))]


spec("repetition_penalty", draw_rep, ref_rep, kappa=kap_rep)


def f32(v):
    import struct
    return struct.unpack("f", struct.pack("f", v))[0]


def draw_penalties(rng):
    n = rng.randint(1, 20)
    x = [f32(rng.gauss(0, 5)) for _ in range(n)]
    last = [rng.randrange(n) for _ in range(rng.randint(0, 2 * n))]
    return {"logits": x, "last_n_tokens": last, "penalty_repeat": f32(logu(rng, 0.5, 2)),
            "penalty_freq": f32(rng.choice([0.0, rng.uniform(0, 1)])),
            "penalty_present": f32(rng.choice([0.0, rng.uniform(0, 1)]))}, "float32"


def pen_parts(A):
    """llama.cpp: repeat as HF, then - count * freq - (count > 0) * present; the terms of each result"""
    x = [mp.mpf(v) for v in A["logits"]]
    cnt = {}
    for t in A["last_n_tokens"]:
        cnt[int(t)] = cnt.get(int(t), 0) + 1
    out, terms = [], []
    for i, v in enumerate(x):
        c = cnt.get(i, 0)
        if c == 0:
            out.append(v)
            terms.append(mp.mpf(0))
            continue
        g = v * A["penalty_repeat"] if v <= 0 else v / A["penalty_repeat"]
        f = c * A["penalty_freq"]
        r = g - f - A["penalty_present"]
        out.append(r)
        terms.append(2 * abs(g) + abs(f) + abs(A["penalty_present"]))
    return out, terms


spec("penalties", draw_penalties, lambda A: pen_parts(A)[0],
     kappa=lambda A, v: [t / abs(r) if r != 0 else (mp.inf if t else mp.mpf(0)) for r, t in zip(*pen_parts(A))])
SPECS["penalties"]["unit"] = 2.0 ** -24   # llama.cpp's float32: the unit roundoff of float


# ---------------------------------------------------------------------------------------------------------------
# regression cases: one per class of failure found by the first randomized run (issue 11, "Accuracy"), and per
# class this suite found beyond it. Each failed before the fixes (checked with the binary of that time) and is
# held to the same derived tolerance as every other case.

SATURATED_SKEW = [
    -1.3019498249958967e+67, 8.462871306752474e+66, -4.149552874781951e+65, -2.221339980311545e+65,
    4.8922326886724965e+66, -8.712890346220296e+65, -2.8366646625379066e+67, 2.5988671922994185e+65,
    3.2341280707453486e+65, -1.5949071936175278e+66, 2.4106498633519053e+65, -4.309996015548557e+66,
    -2.2695225604739603e+64, 1.0632970859966969e+66, 2.592012440510903e+66, -6.683130821890955e+65,
    -3.3938695415494385e+66, -1.9768841604943264e+66, -4.99463529385372e+67, -3.984953915953636e+67,
    -1.1817798995223237e+67, 1.7076957829191754e+66, -2.8644457855377613e+65, 1.6103668819840346e+65,
    -9.882172979261556e+68, -1.2659453121080886e+66, -4.134005478770135e+66, -1.500885082517854e+66,
    5.5466961863931e+66, -1.701184736771734e+66, -2.1547639326180287e+66, 2.110755049969426e+66,
    1.0219373345014598e+66, -9.416005561945045e+65, 3.8664200017943828e+65, 2.05352062430651e+66,
    -4.333170610940023e+65, -1.8727503297876054e+66, -4.900841678369682e+66
]

REGRESSIONS = [
    # quantiles whose answer is tiny (gamma with a small shape, beta at p near 0), and huge shapes
    ("gamma_ppf", {"p": 1e-300, "shape": 0.95, "scale": 1.0}, "tiny-quantile"),
    ("gamma_ppf", {"p": 1e-50, "shape": 0.1, "scale": 1.0}, "tiny-quantile"),
    ("gamma_ppf", {"p": 1e-20, "shape": 0.05, "scale": 3.0}, "tiny-quantile"),
    ("beta_ppf", {"p": 1e-30, "a": 0.1, "b": 0.5}, "tiny-quantile"),
    ("beta_ppf", {"p": 1e-300, "a": 20.0, "b": 2.0}, "tiny-quantile"),
    ("beta_ppf", {"p": 1e-100, "a": 0.5, "b": 0.5}, "tiny-quantile"),
    ("gamma_ppf", {"p": 0.3, "shape": 1e12, "scale": 1.0}, "huge-shape"),
    ("beta_ppf", {"p": 0.9999941829447548, "a": 0.016111981881041734, "b": 98639988.96112722}, "b-huge-upper"),
    # the softmax family, cross-entropy and the batch form on logits shifted far from 0
    ("log_softmax", {"logits": [1e6 - 3.0, 1e6, 1e6 - 1.5, 1e6 - 40.0]}, "shifted"),
    ("log_softmax", {"logits": [30.0, 0.0, -2.0]}, "dominant"),
    ("softmax_temperature", {"logits": [1e12 + 2048.0 * i for i in range(5)], "T": 1000.0}, "shifted"),
    ("entropy_of_softmax", {"logits": [-134.80310638762523, 126.82308466320598]}, "dominant"),
    ("ce_loss", {"logits": [1e6 + 1.0, 1e6 - 2.0, 1e6 + 0.5], "target": 1}, "shifted"),
    ("ce_loss", {"logits": [-27.38496508573946, -23.643829565915688], "target": 1}, "confident"),
    ("ce_loss_batch", {"logits": [[1e9 + 1.0, 1e9, 1e9 - 3.0], [-1e9, -1e9 + 2.0, -1e9 + 0.5]], "targets": [0, 2],
                       "ignore_index": -100}, "shifted"),
    # incomplete beta and gamma with one parameter huge and the other small; gamma_sf as if 1 - P
    ("beta_cdf", {"x": 6.544428564097909e-07, "a": 425.99441354384106, "b": 654551915.3374107}, "b-huge"),
    ("beta_sf", {"x": 0.01, "a": 0.001, "b": 1.0}, "mirrored"),
    ("gamma_cdf", {"x": 999999000000.0, "shape": 1e12, "scale": 1.0}, "k-huge"),
    ("gamma_sf", {"x": 0.5, "shape": 1e-10, "scale": 1.0}, "k-tiny-1-P"),
    ("gamma_sf", {"x": 0.3, "shape": 0.01, "scale": 1.0}, "k-small-1-P"),
    ("poisson_cdf", {"k": 2238036407317, "lambda": 2238035934318.166}, "lam-huge"),
    # binomial cdf with n near 1e9 and p near 0; pmf and logpmf with p near 1
    ("binomial_cdf", {"k": 0, "n": 3193, "p": 0.002927387523066892}, "k0"),
    ("binomial_sf", {"k": 0, "n": 768228501, "p": 2.4654161115192364e-158}, "n-1e9-p-tiny"),
    ("binomial_pmf", {"k": 999999, "n": 1000000, "p": 0.999999}, "p-near-1"),
    ("binomial_logpmf", {"k": 99999, "n": 100000, "p": 0.99999}, "p-near-1"),
    # the entropy of a long count vector
    ("entropy", {"p": {"size": 1000000, "fill": 3.0}, "base": "e"}, "long-counts"),
    # the log beta-binomial marginal with one huge parameter
    ("log_beta_binomial_marginal", {"a": 1e10, "b": 2.0, "heads": 5, "n": 10}, "a-huge"),
    ("log_beta_binomial_marginal", {"a": 30015104735.73287, "b": 2.3304854393897863, "heads": 0, "n": 210755},
     "a-huge"),
    # overflow edges: -inf or NaN where the answer is finite
    ("normal_logcdf", {"x": -1.5e154, "mu": 0.0, "sigma": 1.0}, "overflow-edge"),
    ("normal_logsf", {"x": 1.5e154, "mu": 0.0, "sigma": 1.0}, "overflow-edge"),
    ("log_beta", {"a": 1e308, "b": 1e308}, "overflow-edge"),
    ("entropy", {"p": [1e308, 1e308, 1e308], "base": "e"}, "overflow-edge"),
    # found by this suite beyond the issue's list
    ("kl_divergence", {"P": [0.3, 0.2, 0.5], "Q": [0.3 * (1 + 1e-9), 0.2, 0.5 * (1 - 0.6e-9)], "base": "e"},
     "close"),
    ("entropy", {"p": [1.0, 1e-9, 2e-9], "base": 2}, "one-hot"),
    ("cross_entropy", {"p": [1.0, 1e-12], "q": [1.0, 3e-12], "base": "e"}, "one-hot"),
    ("skewness", {"x": [1e110, 2e110, 4e110, 8e110, 3e110]}, "overflow-edge"),
    ("kurtosis", {"x": [1e-90, 3e-90, 2e-90, 7e-90, 1.5e-90]}, "underflow-edge"),
    ("stddev", {"x": [1e300, -1e300, 1.5e300]}, "overflow-edge"),
    ("dirichlet_logpdf", {"x": [0.1, 0.25, 0.65], "alpha": [1e7, 2.5e7, 6.5e7]}, "alpha-huge"),
    ("gamma_pdf", {"x": 3.5546453807190007e-122, "shape": 1.688056974676958e-242, "scale": 1.0}, "k-tiny"),
    ("beta_pdf", {"x": 1e-200, "a": 0.01, "b": 3.0}, "a-small"),
    ("poisson_sf", {"k": 0, "lambda": 1e-300}, "lam-tiny"),
    ("binomial_pmf", {"k": 1, "n": 1000, "p": 1e-300}, "p-tiny"),
    # found by seed 7 (docs/accuracy.md): a standard density below the normal range scaled up by a tiny sigma;
    # a subnormal sigma rounded in sigma sqrt(2 pi) (3 units of 2^-1074: 6%); (1 - x)^b with the rounding of
    # 1 - x times a large b
    ("normal_pdf", {"x": -2.1563635698899177e-222, "mu": -2.1501206778494158e-222, "sigma": 1.6213647371007038e-226},
     "tail-mu-far"),
    ("normal_pdf", {"x": 1.48e-322, "mu": 0.0, "sigma": 1.48e-323}, "sigma-subnormal"),
    ("beta_pdf", {"x": 0.0008717894762941487, "a": 0.1443119002000676, "b": 255.708566053725}, "a-small-x-mean"),
    # found by seed 12: x so far below the mean, with both shapes >= 1e4 (Temme's expansion), that
    # lambda = a - (a + b) x rounds to a: the deviance bd0(a, a - lambda) was inf and the result NaN, on
    # either parameter's side of the frame a <= b
    ("beta_sf", {"x": 1.9364087565986903e-258, "a": 13371222118.11627, "b": 19516.719865370585},
     "a-huge-b-huge-x-low"),
    ("beta_cdf", {"x": 1e-300, "a": 2e4, "b": 1e10}, "a-huge-b-huge-x-low"),
    # found by seed 12: Bayes' rule whose product s^n p lies below the subnormals (the posterior was 0)
    ("bayes_posterior", {"prior": 2.1247214685893796e-86, "sensitivity": 8.016293305043796e-279,
                         "false_positive_rate": 2.4597146024112052e-124, "n_positive": 1}, "underflow"),
    ("bayes_posterior", {"prior": 1.1923761926394632e-215, "sensitivity": 6.350548841057468e-155,
                         "false_positive_rate": 9.184566278049337e-144, "n_positive": 3}, "underflow"),
    # found by seed 14: a skewness near its bound (n - 2) / sqrt(n - 1), which the p-values amplify 22.6 times
    # while their condition numbers in the data are below 1: g1 in double was most of their error
    ("skewtest_pvalue", {"x": SATURATED_SKEW}, "heavy-saturated"),
    ("normaltest_pvalue", {"x": SATURATED_SKEW}, "heavy-saturated"),
    # found by seed 22: a correlation of deviations near 1e155, whose squares overflowed (the covariance inf,
    # every r NaN), and of deviations near 2^-560, whose squares underflowed to 0
    ("corr_matrix", {"X": [[2.4040545129657157e-142, 1.8220059596947319e+155, 2.101870939551809e-61],
                           [2.4040562084624894e-142, 1.8220065257322e+155, 2.1690061144307356e-61],
                           [2.404054742785958e-142, 1.8220060713075043e+155, 1.8546201148601678e-61],
                           [2.4040538655721817e-142, 1.8220057745101213e+155, 1.9854275771168668e-61]]},
     "overflow-edge"),
    ("corr_matrix", {"X": [[math.ldexp(v, -560) for v in row]
                           for row in ([1, 2, 3, 4, 5], [2, 4, 5, 4, 5], [5, 3, 2, 2, 1])]}, "underflow-edge"),
    # found by seed 29 (a wrong reference, lmprob was right): HF's epsilon warper keeps every logit tied with
    # the min_keep-th largest (x_2 == x_6 here), not exactly min_keep of them
    ("epsilon_keep", {"logits": [1.9117898577479193, 1.322803061626333, 2.2936881010393027, 2.1197866077469882,
                                 0.7378832898993761, 1.0706489282357412, 2.2936881010393027, 5.146660671756315,
                                 -0.01095456599972544, 2.252906873698386, 0.5165375995380268, 1.781741314170076],
                      "epsilon": 0.07905257972029198, "min_keep": 2, "convention": "hf"}, "tie-at-min-keep"),
    # found by seed 24: an upper-half quantile of a tiny a below the subnormals, e^(-6.8e262): the smallest
    # double, 5e-324, whose cdf is 1 - 6e-262 >= p (the logit's tail was 0 from t = -709.8: 2^-1024)
    ("beta_ppf", {"p": 0.9486530504507695, "a": 7.783674213866966e-265, "b": 722.565025869859}, "a-tiny-below-subnormals"),
    # found by seed 33 (a wrong reference, lmprob was right): the upper tail of a tiny shape below its mean, which
    # the generator took as 1 - P with P = 1 - 5.6e-271 (0 at every precision); the same for beta's sf below the
    # mean of a tiny a (1 - I with I = 1 - 6.9e-278)
    ("gamma_sf", {"x": 2.319932622110705e-276, "shape": 8.907757697624916e-274, "scale": 1.0}, "k-tiny-x-low"),
    ("beta_sf", {"x": 1e-300, "a": 1e-280, "b": 2.0}, "a-tiny-x-low"),
    # found by seed 38 (the generator never returned there): an upper-half quantile of a tiny shape below
    # e^-745, where Q(k, e^t) was Q(k, 0) = 1, times a scale that brings it back into the doubles (it was 0, and
    # 4.9e-224 for 1.05e-319); seed 39 drew the same class: e^(-6.1e112) times 1.1e82 is 0, it was 5.4e-242
    ("gamma_ppf", {"p": 0.99, "shape": 1e-5, "scale": 1e300}, "k-tiny-upper-scaled"),
    ("gamma_ppf", {"p": 0.68, "shape": 4e-4, "scale": 1e100}, "k-tiny-upper-scaled"),
    ("gamma_ppf", {"p": 0.9999999999871599, "shape": 2.101281676179662e-124, "scale": 1.0836206235475564e+82},
     "k-tiny-upper"),
    # found from seed 38's near miss (beta_sf[a-small-b-huge-x-mean] #3 at 7.38): the upper tail of a small a
    # and a huge b past b x = 0.7, by a continued fraction of ~sqrt(b) steps (9.78 and 8.8 u(1 + kappa))
    ("beta_sf", {"x": 6.85597582034168e-09, "a": 0.006798721792411961, "b": 114679519.73864773}, "a-small-b-huge"),
    ("beta_sf", {"x": 2.3905981065086307e-11, "a": 0.04740251586915333, "b": 41192390639.109276}, "a-small-b-huge"),
    # found by seed 48 (the generator never returned there; lmprob was right): a lower-half quantile of a tiny b
    # whose 1 - x is e^(-7.2e57), 1 as a double; and from a sweep of that class, one of a tiny a and b, 1 -
    # e^(-4.6e121), where lmprob's solver stopped at 0.99999999999997 (its logit's staircase below 1)
    ("beta_ppf", {"p": 0.018585053201312738, "a": 12.428531822154804, "b": 2.619362409187234e-60}, "b-tiny-near-1"),
    ("beta_ppf", {"p": 0.16101753117919557, "a": 1.6307970001538856e-121, "b": 3.382415585010797e-123},
     "ab-tiny-near-1"),
    # found by seeds 45 to 50 (47.7 and 15.8 u(1 + kappa)), and the class from a sweep of tiny b at tiny p: a
    # quantile conditioned like p / b (I_x = b B_x(a, b) (1 + O(b))), whose solver resolved log I - log p only to
    # the ulp of |log p| (257 u(1 + kappa) for the third); and the front of I_x for a real shape below 1/2, whose
    # Loader form cancelled two terms of -log(b) / 2 (the cdf 41, the sf 27.6, the pdf at a = 1 + 5e-13 11, and
    # the fourth quantile 13.4 with the solver fixed)
    ("beta_ppf", {"p": 5.393219430874623e-228, "a": 0.0027328807965663385, "b": 1.4450340358884708e-230},
     "b-tiny-p-tiny"),
    ("beta_ppf", {"p": 5.112177072367892e-175, "a": 0.003508140604885137, "b": 1.7399987112638547e-177},
     "b-tiny-p-tiny"),
    ("beta_ppf", {"p": 1.465869332911754e-291, "a": 0.052347621247511085, "b": 7.818971298400619e-293},
     "b-tiny-p-tiny"),
    ("beta_ppf", {"p": 2.917206694847942e-292, "a": 8.722745446939308, "b": 2.881091847436418e-288},
     "b-tiny-p-tiny"),
    ("beta_cdf", {"x": 0.5, "a": 1.2, "b": 1e-300}, "b-tiny"),
    ("beta_sf", {"x": 0.6383801109536156, "a": 1.831481073902024e-229, "b": 1.7332286324000963}, "a-tiny"),
    ("beta_pdf", {"x": 0.15871851401483564, "a": 1.0000000000005203, "b": 1.53638032353646}, "a-near-1"),
    # found by the thirty-first session's audit: densities whose partial products left the normal range, a
    # subnormal scaled back up (beta: x^a y^b / B before the division by x y, 2.1e-6 off; gamma: dpois / theta,
    # 9.8e-4; exponential and Laplace: exp(-t) times a rate of 1e300, 0.75), and a beta log-density whose
    # (a - 1) log x and -log B cancelled (tests/test_dist.c: the generator has no log-density of beta)
    ("beta_pdf", {"x": 1e-210, "a": 1.5, "b": 0.5}, "underflow-inside"),
    ("beta_pdf", {"x": 1e-212, "a": 1.5, "b": 0.5}, "underflow-inside"),
    ("beta_pdf", {"x": 1e-20, "a": 1.0, "b": 1e-300}, "b-tiny"),
    ("beta_pdf", {"x": 1e-300, "a": 1.0, "b": 1e-300}, "b-tiny"),
    ("gamma_pdf", {"x": 7.4e-298, "shape": 2.0, "scale": 1e-300}, "scale-tiny"),
    ("gamma_pdf", {"x": 7.449999999999999e-298, "shape": 2.0, "scale": 1e-300}, "scale-tiny"),
    ("gamma_pdf", {"x": 7.449999999999999e-298, "shape": 1.0, "scale": 1e-300}, "scale-tiny"),
    ("exponential_pdf", {"x": 7.449999999999999e-298, "rate": 1e300}, "rate-huge"),
    ("laplace_pdf", {"x": 7.449999999999999e-298, "mu": 0.0, "b": 1e-300}, "b-tiny"),
    # a subnormal x, where x^a / x as one double overflows (a first version of the fix above fell back to exp of
    # a log of 177 there: 16.9 u(1 + kappa); found by seed 31)
    ("beta_pdf", {"x": 1.33e-321, "a": 1.913894778239141e-244, "b": 811866950.5924822}, "x-subnormal"),
]


def regression_cases():
    cases = []
    for i, (name, args, label) in enumerate(REGRESSIONS):
        try:
            c = make_case(name, args, label, i)
        except NoReference as e:
            sys.exit("regression %d (%s): no reference: %s" % (i, name, e))
        c["name"] = "regression %s[%s] #%d" % (name, label, i)
        cases.append(c)
        print("%-28s %s" % (name, label), file=sys.stderr)
    return cases


# ---------------------------------------------------------------------------------------------------------------
# cases


def tol_of(kap, unit=U):
    if mp.isnan(kap):
        return 0.0
    k = float(kap) if not mp.isinf(kap) else 1e300
    return up2(min(K * unit * (1 + k), 1e300))


def up2(x):
    """x rounded up to two significant digits (a shorter file, never a tighter-than-derived bound... nor looser
    by more than 10%)"""
    if x <= 0:
        return x
    e = math.floor(math.log10(x)) - 1
    r = float("%.2g" % x)
    if r < x:
        r = float("%.2g" % (r + 10.0 ** e))
    return r


def make_case(name, args, label, idx):
    s = SPECS[name]
    f = lambda a: s["ref"](margs(a))
    val, dps = settle(lambda: f(args))
    with mp.workdps(dps):
        A = margs(args)
        if s.get("exact"):
            kap = None
        elif s["kappa"]:
            kap = s["kappa"](A, val)
        elif isinstance(val, list):
            raise NoReference("vector output needs an explicit kappa")
        else:
            kap = numeric_kappa(f, args, s["cont"], val)
    if s.get("exact"):
        v = [int(x) for x in val]
        return {"name": "%s[%s] #%d" % (name, label, idx), "function": name, "args": jargs(args),
                "expected": v if name != "top_k_count" and name not in ("argmax", "sample_index") else v[0],
                "exact": True}
    vals = val if isinstance(val, list) else [val]
    kaps = kap if isinstance(kap, list) else [kap] * len(vals)
    exp_, rt = [], []
    for v, k in zip(vals, kaps):
        d = to_double(v)
        r = tol_of(k, s.get("unit", U)) if math.isfinite(d) else 0.0
        if r < 0.5 and (math.isfinite(d) and abs(d) > DMAX * (1 - r) or
                        (math.isinf(d) and not mp.isinf(v) and abs(v) < DMAX * (1 + r))):
            raise NoReference("within the tolerance of the overflow threshold")
        exp_.append(jnum(d))
        rt.append(r)
    case = {"name": "%s[%s] #%d" % (name, label, idx), "function": name, "args": jargs(args)}
    if isinstance(val, list):
        case["expected"] = exp_
        case["rtol"] = rt if len(set(rt)) > 1 else rt[0]
    else:
        case["expected"] = exp_[0]
        case["rtol"] = rt[0]
    case["atol"] = K * TINY
    finite = [float(min(k, 1e300)) for k in kaps if not mp.isnan(k)]
    case["kappa"] = float("%.2g" % max(finite)) if finite else 0.0
    return case


def jargs(args):
    out = {}
    for k, v in args.items():
        if isinstance(v, float):
            out[k] = jnum(v)
        elif isinstance(v, list):
            out[k] = [[jnum(x) for x in r] if isinstance(r, list) else (jnum(r) if isinstance(r, float) else r)
                      for r in v]
        else:
            out[k] = v
    return out


def generate_one(job):
    seed, per, name = job
    frng = random.Random("%d:%s" % (seed, name))   # each function its own stream: adding one changes no other
    cases, dropped, tries = [], 0, 0
    while len(cases) < per and tries < 4 * per:
        tries += 1
        args, label = SPECS[name]["draw"](frng)
        try:
            cases.append(make_case(name, args, label, len(cases)))
        except NoReference as e:
            dropped += 1
            print("drop %s %s: %s" % (name, json.dumps(jargs(args))[:200], e), file=sys.stderr)
    print("%-28s %d cases, %d dropped" % (name, len(cases), dropped), file=sys.stderr)
    return name, cases, dropped


def generate(seed, per, only, jobs=1):
    names = [n for n in SPECS if not only or n in only]
    work = [(seed, per, n) for n in names]
    if jobs > 1:
        import multiprocessing
        with multiprocessing.Pool(jobs) as pool:
            res = pool.map(generate_one, work, chunksize=1)
    else:
        res = [generate_one(w) for w in work]
    cases, dropped = [], {}
    for name, c, d in res:
        cases += c
        dropped[name] = d
    return cases, dropped


def write(cases, path, note):
    with open(path, "w") as f:
        f.write('{"schema": 1, "note": %s,\n "cases": [\n' % json.dumps(note))
        f.write(",\n".join(json.dumps(c, separators=(",", ":")) for c in cases))
        f.write("\n]}\n")


def measure(cases, binary, per_case=False):
    """run binary verify with zero tolerance and report, per function, max |got - want| / budget"""
    zero = []
    for c in cases:
        z = dict(c)
        if not z.get("exact"):
            z["rtol"], z["atol"] = 0, 0
        zero.append(z)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        path = f.name
    write(zero, path, "measure")
    run = subprocess.run([binary, "verify", "--json", path], capture_output=True, text=True)
    if run.stderr:
        sys.exit("verify: " + run.stderr)
    out = run.stdout
    got = {r["name"]: r for r in json.loads(out)["failures"]}
    worst = {}
    fails = []
    for c in cases:
        r = got.get(c["name"])
        e = c["expected"] if isinstance(c["expected"], list) else [c["expected"]]
        if c.get("exact"):
            rt = [0.0] * len(e)
        else:
            rt = c["rtol"] if isinstance(c["rtol"], list) else [c["rtol"]] * len(e)
        ratio = 0.0
        if r is not None:
            if "got" not in r:
                ratio = math.inf
            else:
                g = r["got"] if isinstance(r["got"], list) else [r["got"]]
                for gi, ei, ti in zip(g, e, rt):
                    gi, ei = float(gi) if not isinstance(gi, str) else float(gi), float(ei)
                    if ei == gi or (math.isnan(ei) and math.isnan(gi)):
                        continue
                    if not math.isfinite(ei) or not math.isfinite(gi):
                        ratio = math.inf
                        continue
                    budget = ti * abs(ei) + c.get("atol", 0.0)
                    ratio = max(ratio, abs(gi - ei) / budget * K if budget > 0 else math.inf)
        fn = c["function"]
        if per_case:
            print("%10.3g  %s" % (ratio, c["name"]))
        if ratio > worst.get(fn, (-1, ""))[0]:
            worst[fn] = (ratio, c["name"])
        if ratio > K:
            fails.append((ratio, c["name"]))
    print("function                      worst error in units of u(1+kappa)  (fails above %d)" % K)
    for fn in sorted(worst):
        print("  %-28s %10.3g  %s" % (fn, worst[fn][0], worst[fn][1]))
    print("%d of %d cases beyond tolerance" % (len(fails), len(cases)))
    for r, n in sorted(fails, reverse=True):
        print("  %10.3g  %s" % (r, n))


def selfcheck(n, seed):
    """the quadrature references against mpmath's hypergeometric betainc / gammainc where both converge
    (moderate parameters), at 40 digits: they must agree to 30"""
    rng = random.Random(seed)
    bad = 0
    with mp.workdps(40):
        for _ in range(n):
            a, b, x = mp.mpf(logu(rng, 1e-3, 60)), mp.mpf(logu(rng, 1e-3, 60)), mp.mpf(rng.random())
            if x * (a + b) > a:
                a, b, x = b, a, 1 - x
            q, h = _beta_lower_quad(a, b, x), mp.betainc(a, b, 0, x, regularized=True)
            if abs(q - h) > mp.mpf(10) ** -30 * abs(h):
                bad += 1
                print("beta a=%s b=%s x=%s: quad %s, hyp %s" % (a, b, x, q, h))
            k = mp.mpf(logu(rng, 1e-3, 300))
            y = k * mp.mpf(logu(rng, 0.05, 3))
            if y < k:
                q, h = gamma_lower_quad(k, y), mp.gammainc(k, 0, y, regularized=True)
            else:
                q, h = gamma_upper_quad(k, y), mp.gammainc(k, y, mp.inf, regularized=True)
            if abs(q - h) > mp.mpf(10) ** -30 * abs(h):
                bad += 1
                print("gamma a=%s x=%s: quad %s, hyp %s" % (k, y, q, h))
    print("selfcheck: %d beta and %d gamma quadratures, %d disagree" % (n, n, bad))
    return bad == 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--per-function", type=int, default=24)
    ap.add_argument("--only", default="")
    ap.add_argument("--jobs", type=int, default=1, help="processes (functions are drawn in parallel)")
    ap.add_argument("--out")
    ap.add_argument("--regressions", action="store_true", help="write the fixed regression cases instead")
    ap.add_argument("--measure", metavar="BIN", help="report errors of BIN (e.g. build/lmprob) instead of writing")
    ap.add_argument("--from", dest="src", help="with --measure: the cases of this file instead of new draws")
    ap.add_argument("--per-case", action="store_true", help="with --measure: one line per case")
    ap.add_argument("--selfcheck", type=int, metavar="N", help="check N quadrature references against mpmath's "
                    "hypergeometric functions, then exit")
    a = ap.parse_args()
    if a.selfcheck:
        sys.exit(0 if selfcheck(a.selfcheck, a.seed) else 1)
    only = set(a.only.split(",")) if a.only else None
    if a.src:
        cases = json.load(open(a.src))["cases"]
        if only:
            cases = [c for c in cases if c["function"] in only]
        dropped = {}
    elif a.regressions:
        cases, dropped = regression_cases(), {}
    else:
        cases, dropped = generate(a.seed, a.per_function, only, a.jobs)
    if a.measure:
        measure(cases, a.measure, a.per_case)
        return
    if not a.out:
        ap.error("--out FILE (or --measure BIN)")
    note = ("generated by tests/accuracy/gen_cases.py %s (mpmath %s); tolerances from condition numbers, "
            "see the script's header" % ("--regressions" if a.regressions else "--seed %d --per-function %d"
                                         % (a.seed, a.per_function), mp.__version__))
    write(cases, a.out, note)
    print("%d cases written to %s (%d draws dropped)" % (len(cases), a.out, sum(dropped.values())), file=sys.stderr)


if __name__ == "__main__":
    main()
