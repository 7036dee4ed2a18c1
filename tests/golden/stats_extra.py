#!/usr/bin/python3
"""Generate tests/golden/stats_extra.json: extra golden cases for lmprob's stats,
linalg, nn and bayes adapters (schema 1, as ../shared/golden/README.md).

Expected values come from numpy 1.24 / scipy 1.10 (/usr/bin/python3), and for
polynomial fits from exact rational least squares (sympy) rounded to double.
Run: /usr/bin/python3 tests/golden/stats_extra.py > tests/golden/stats_extra.json"""
import json
import math

import numpy as np
import sympy as sp
from scipy import stats

cases = []


def add(name, fn, args, expected, rtol, atol=0.0, source="", exact=False):
    def conv(v):
        if isinstance(v, (list, tuple, np.ndarray)):
            return [conv(u) for u in v]
        v = float(v)
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return v
    c = {"name": name, "function": fn, "args": args, "expected": conv(expected), "rtol": rtol, "atol": atol,
         "source": source}
    if exact:
        c["exact"] = True
    cases.append(c)


# ---- data sets built from exact operations (so numpy sees the same doubles) ----
d50 = [((i * 37) % 101) / 10.0 - 3.0 for i in range(50)]
d500 = [(((i * 7919) % 1000) / 100.0) ** 2 / 50.0 for i in range(500)]  # right-skewed
d_neg = [-(((i * 13) % 17) ** 3) / 100.0 for i in range(40)]          # left-skewed
gen = {"size": 1000, "start": 1e6, "step": 0.001}
gen_x = 1e6 + np.arange(1000, dtype=float) * 0.001

# ---- variance / stddev ----
for ddof in (0, 1, 2):
    add(f"variance d50 ddof={ddof}", "variance", {"x": d50, "ddof": ddof}, np.var(d50, ddof=ddof), 1e-14,
        source=f"numpy.var(x, ddof={ddof})")
    add(f"stddev d500 ddof={ddof}", "stddev", {"x": d500, "ddof": ddof}, np.std(d500, ddof=ddof), 1e-14,
        source=f"numpy.std(x, ddof={ddof})")
add("variance of a ramp at offset 1e6 (generator)", "variance", {"x": gen, "ddof": 1}, np.var(gen_x, ddof=1), 1e-9,
    source="numpy.var(1e6 + 0.001*arange(1000), ddof=1); exact 0.0834166..., inputs rounded at 1e6 scale")
add("variance ddof=2 of two values (edge: n-ddof=0)", "variance", {"x": [1.0, 2.0], "ddof": 2}, float("nan"), 0,
    source="numpy.var([1,2], ddof=2) -> nan", exact=True)
add("stddev of a constant", "stddev", {"x": [3.5] * 9, "ddof": 0}, 0.0, 0, source="numpy.std", exact=True)

# ---- cov / corr ----
X = np.array([[((i * 3 + j * 7) % 11) / 2.0 for j in range(12)] for i in range(4)])
add("cov_matrix 4x12 ddof=1", "cov_matrix", {"X": X.tolist(), "ddof": 1}, np.cov(X, ddof=1), 1e-13, 1e-15,
    source="numpy.cov(X, ddof=1)")
add("cov_matrix 4x12 ddof=0", "cov_matrix", {"X": X.tolist(), "ddof": 0}, np.cov(X, ddof=0), 1e-13, 1e-15,
    source="numpy.cov(X, ddof=0)")
add("cov_matrix rowvar=false 12x4", "cov_matrix", {"X": X.T.tolist(), "rowvar": False, "ddof": 1},
    np.cov(X.T, rowvar=False), 1e-13, 1e-15, source="numpy.cov(X.T, rowvar=False)")
add("corr_matrix 4x12", "corr_matrix", {"X": X.tolist()}, np.corrcoef(X), 1e-13, 1e-15, source="numpy.corrcoef(X)")
add("corr_matrix rowvar=false", "corr_matrix", {"X": X.T.tolist(), "rowvar": False}, np.corrcoef(X.T, rowvar=False),
    1e-13, 1e-15, source="numpy.corrcoef(X.T, rowvar=False)")

# ---- skewness / kurtosis ----
for nm, d in (("d50", d50), ("d500", d500), ("dneg", d_neg)):
    for bias in (True, False):
        add(f"skewness {nm} bias={bias}", "skewness", {"x": d, "bias": bias}, stats.skew(d, bias=bias), 1e-12, 1e-15,
            source=f"scipy.stats.skew(x, bias={bias})")
        for fisher in (True, False):
            add(f"kurtosis {nm} fisher={fisher} bias={bias}", "kurtosis", {"x": d, "fisher": fisher, "bias": bias},
                stats.kurtosis(d, fisher=fisher, bias=bias), 1e-12, 1e-15,
                source=f"scipy.stats.kurtosis(x, fisher={fisher}, bias={bias})")
add("skewness of constant data is nan", "skewness", {"x": [2.0] * 10}, float("nan"), 0,
    source="scipy.stats.skew: m2 == 0 -> nan", exact=True)

# ---- normality tests ----
for nm, d in (("d50", d50), ("d500", d500), ("dneg", d_neg), ("n8", d50[:8])):
    s = stats.skewtest(d)
    add(f"skewtest {nm} statistic", "skewtest_statistic", {"x": d}, s.statistic, 1e-11, 1e-14,
        source="scipy.stats.skewtest(x)")
    add(f"skewtest {nm} pvalue", "skewtest_pvalue", {"x": d}, s.pvalue, 1e-10, 1e-300, source="scipy.stats.skewtest(x)")
    k = stats.kurtosistest(d)
    add(f"kurtosistest {nm} statistic", "kurtosistest_statistic", {"x": d}, k.statistic, 1e-11, 1e-14,
        source="scipy.stats.kurtosistest(x)")
    add(f"kurtosistest {nm} pvalue", "kurtosistest_pvalue", {"x": d}, k.pvalue, 1e-10, 1e-300,
        source="scipy.stats.kurtosistest(x)")
    t = stats.normaltest(d)
    add(f"normaltest {nm} statistic", "normaltest_statistic", {"x": d}, t.statistic, 1e-11, 1e-14,
        source="scipy.stats.normaltest(x)")
    add(f"normaltest {nm} pvalue", "normaltest_pvalue", {"x": d}, t.pvalue, 1e-10, 1e-300,
        source="scipy.stats.normaltest(x): chi2(2).sf")


# ---- polyfit: exact rational least squares ----
def exact_ls(x, y, deg):
    V = sp.Matrix([[sp.Rational(xi) ** k for k in range(deg, -1, -1)] for xi in x])
    Y = sp.Matrix([sp.Rational(v) for v in y])
    c = (V.T * V).LUsolve(V.T * Y)
    return [float(v) for v in c], [float(v) for v in V * c]


xa = [i / 10.0 for i in range(-10, 11)]
ya = [((i * 29) % 13) / 4.0 - 1.5 for i in range(21)]
for deg in (0, 2, 5):
    c, fv = exact_ls(xa, ya, deg)
    add(f"polyfit [-1,1] deg={deg}", "polyfit", {"x": xa, "y": ya, "deg": deg}, c, 1e-11, 1e-13,
        source="exact rational least squares rounded to double (sympy)")
xb = [i / 19.0 for i in range(20)]
yb = [math.floor(1000 * math.sin(i * 0.9)) / 1000.0 for i in range(20)]
c, fv = exact_ls(xb, yb, 10)
add("polyval_of_polyfit [0,1] deg=10", "polyval_of_polyfit", {"x": xb, "y": yb, "deg": 10}, fv, 0.0, 1e-11,
    source="exact rational least squares evaluated exactly at x (sympy)")
c, fv = exact_ls(xb, yb, 19)
add("polyval_of_polyfit [0,1] deg=19 interpolates", "polyval_of_polyfit", {"x": xb, "y": yb, "deg": 19}, yb, 0.0,
    1e-9, source="degree n-1: the least-squares polynomial interpolates y (cond ~1e13 in the monomial basis)")
xc = [100.0 + i for i in range(12)]
yc = [float((i * i) % 7) for i in range(12)]
c, fv = exact_ls(xc, yc, 3)
add("polyfit x in [100,111] deg=3 (offset data)", "polyfit", {"x": xc, "y": yc, "deg": 3}, c, 1e-8, 0.0,
    source="exact rational least squares; cond of the raw Vandermonde ~1e10")

# ---- layer norm ----
ln = np.array(d50[:16])
for eps in (1e-5, 0.0, 0.5):
    want = (ln - ln.mean()) / np.sqrt(ln.var() + eps)
    add(f"layer_norm d50[:16] eps={eps}", "layer_norm", {"x": ln.tolist(), "eps": eps}, want, 1e-13, 1e-14,
        source="(x - mean) / sqrt(var + eps), numpy two-pass")
g = [0.5 + 0.1 * i for i in range(16)]
b = [0.01 * i - 0.05 for i in range(16)]
want = (ln - ln.mean()) / np.sqrt(ln.var() + 1e-5) * np.array(g) + np.array(b)
add("layer_norm affine", "layer_norm", {"x": ln.tolist(), "eps": 1e-5, "gamma": g, "beta": b}, want, 1e-13, 1e-14,
    source="numpy formula with gamma, beta")

# ---- initialisers ----
for fi, fo in ((784, 256), (3, 5), (4096, 1024)):
    add(f"xavier_normal_std {fi}x{fo}", "xavier_normal_std", {"fan_in": fi, "fan_out": fo}, math.sqrt(2 / (fi + fo)),
        1e-15, source="sqrt(2/(in+out))")
    add(f"xavier_uniform_bound {fi}x{fo}", "xavier_uniform_bound", {"fan_in": fi, "fan_out": fo},
        math.sqrt(6 / (fi + fo)), 1e-15, source="sqrt(6/(in+out))")
    add(f"he_normal_std {fi}", "he_normal_std", {"fan_in": fi}, math.sqrt(2 / fi), 1e-15, source="sqrt(2/in)")
    add(f"he_uniform_bound {fi}", "he_uniform_bound", {"fan_in": fi}, math.sqrt(6 / fi), 1e-15, source="sqrt(6/in)")

# ---- Bayes ----
from fractions import Fraction as F


def post(prior, s, f, n):
    p, s, f = F(prior), F(s), F(f)
    return float(s ** n * p / (s ** n * p + f ** n * (1 - p)))


for (pr, s, f, n) in ((0.001, 0.99, 0.05, 3), (0.001, 0.99, 0.05, 0), (0.2, 0.7, 0.1, 5), (0.01, 0.9, 0.2, 10)):
    add(f"bayes_posterior prior={pr} sens={s} fpr={f} n={n}", "bayes_posterior",
        {"prior": pr, "sensitivity": s, "false_positive_rate": f, "n_positive": n}, post(pr, s, f, n), 1e-13,
        source="exact fraction s^n p / (s^n p + f^n (1-p)) of the double inputs")
for (a, b_, h, n) in ((1.0, 1.0, 3, 10), (0.5, 0.5, 0, 4), (10.0, 3.5, 40, 100), (2.5, 7.25, 1, 1)):
    add(f"beta_posterior_mean a={a} b={b_} {h}/{n}", "beta_posterior_mean", {"a": a, "b": b_, "heads": h, "n": n},
        (a + h) / (a + b_ + n), 1e-15, source="(a+h)/(a+b+n)")
    add(f"log_beta_binomial_marginal a={a} b={b_} {h}/{n}", "log_beta_binomial_marginal",
        {"a": a, "b": b_, "heads": h, "n": n}, stats.betabinom.logpmf(h, n, a, b_), 1e-12,
        source="scipy.stats.betabinom.logpmf")
add("beta_posterior_mode a=10 b=3.5 40/100", "beta_posterior_mode", {"a": 10.0, "b": 3.5, "heads": 40, "n": 100},
    (10.0 + 40 - 1) / (10.0 + 3.5 + 100 - 2), 1e-15, source="(A-1)/(A+B-2)")

print(json.dumps({"schema": 1, "cases": cases}, indent=1))
