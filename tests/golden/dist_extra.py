"""Regenerate tests/golden/dist_extra.json (run from the project root with /usr/bin/python3:
numpy 1.24.2, scipy 1.10.1, mpmath 1.2.1). Tail values come from mpmath at 50 digits, numpy
streams from numpy legacy RandomState; "source" in each case says which."""
import json, numpy as np, scipy.stats as st, scipy.special as sp, mpmath as mp
mp.mp.dps = 50
cases = []
def add(name, fn, args, exp, rtol=1e-12, atol=0.0, src=""):
    e = exp
    if isinstance(e, float):
        if np.isnan(e): e = "nan"
        elif np.isinf(e): e = "inf" if e > 0 else "-inf"
    c = {"name": name, "function": fn, "args": args, "expected": e, "source": src}
    if isinstance(e, str): c["exact"] = True
    else: c["rtol"] = rtol; c["atol"] = atol
    cases.append(c)
ncdf = lambda x: mp.ncdf(x)
# normal tails vs mpmath
for x in [-37.5, -30.0, -20.0, -10.0, -5.0, -1.5, -0.3, 0.7, 3.0, 6.0, 8.0]:
    add(f"normal_cdf x={x}", "normal_cdf", {"x": x, "mu": 0.0, "sigma": 1.0}, float(ncdf(x)), 5e-15, 0, "mpmath ncdf, 50 digits")
    add(f"normal_sf x={-x}", "normal_sf", {"x": -x, "mu": 0.0, "sigma": 1.0}, float(ncdf(x)), 5e-15, 0, "mpmath ncdf(-x)")
for x in [-1000.0, -200.0, -38.5, -25.0, -19.0, -8.0, -1.0, 2.0, 9.0]:
    add(f"normal_logcdf x={x}", "normal_logcdf", {"x": x, "mu": 0.0, "sigma": 1.0}, float(mp.log(ncdf(x))), 5e-15, 0, "mpmath log ncdf")
    add(f"normal_logsf x={-x}", "normal_logsf", {"x": -x, "mu": 0.0, "sigma": 1.0}, float(mp.log(ncdf(x))), 5e-15, 0, "mpmath log ncdf(-x)")
add("normal_cdf x=-38 subnormal", "normal_cdf", {"x": -38.0, "mu": 0.0, "sigma": 1.0}, float(ncdf(-38)), 0, 1e-319, "mpmath; subnormal, compared in absolute terms")
add("normal_cdf x=-40 underflow", "normal_cdf", {"x": -40.0, "mu": 0.0, "sigma": 1.0}, float(ncdf(-40)), 0, 1e-323, "mpmath: below the smallest subnormal is 0 or 5e-324")
for p in [1e-320, 1e-300, 1e-200, 1e-50, 1e-20, 1e-5, 0.02, 0.3, 0.5, 0.6, 0.97, 1 - 1e-10]:
    lo, hi = mp.mpf(-40), mp.mpf(8)
    for _ in range(200):
        mid = (lo + hi) / 2
        if mp.ncdf(mid) < mp.mpf(p): lo = mid
        else: hi = mid
    x = (lo + hi) / 2
    add(f"normal_ppf p={p}", "normal_ppf", {"p": p, "mu": 0.0, "sigma": 1.0}, float(x), 2e-15 if p != 1 - 1e-10 else 1e-9, 1e-16, "mpmath root of ncdf at the double p")
add("normal_ppf p=0", "normal_ppf", {"p": 0.0, "mu": 0.0, "sigma": 1.0}, float("-inf"), src="edge")
add("normal_ppf nan", "normal_ppf", {"p": "nan", "mu": 0.0, "sigma": 1.0}, float("nan"), src="edge")
add("normal_pdf sigma=0 invalid", "normal_pdf", {"x": 0.0, "mu": 0.0, "sigma": 0.0}, float("nan"), src="sigma must be > 0")
add("normal_cdf sigma<0 invalid", "normal_cdf", {"x": 0.0, "mu": 0.0, "sigma": -1.0}, float("nan"), src="sigma must be > 0")
add("normal_logpdf x=1e10 mu=-3 sigma=0.5", "normal_logpdf", {"x": 1e10, "mu": -3.0, "sigma": 0.5}, float(st.norm.logpdf(1e10, -3, 0.5)), 1e-14, 0, "scipy")
# binomial
def bpmf(k, n, p): return mp.binomial(n, k) * mp.mpf(p)**k * (1 - mp.mpf(p))**(n - k)
for (k, n, p) in [(0, 1000, 0.999), (1000, 1000, 0.001), (3, 10, 0.3), (500, 1000, 0.5), (7, 100000, 1e-4), (99990, 100000, 0.9999), (250, 1000, 0.3), (1, 1, 0.5), (5, 1000000, 0.5)]:
    v = bpmf(k, n, p)
    add(f"binomial_logpmf k={k} n={n} p={p}", "binomial_logpmf", {"k": k, "n": n, "p": p}, float(mp.log(v)), 1e-13, 0, "mpmath exact sum")
    if v > mp.mpf("1e-300"): add(f"binomial_pmf k={k} n={n} p={p}", "binomial_pmf", {"k": k, "n": n, "p": p}, float(v), 1e-12, 0, "mpmath exact")
for (k, n, p) in [(3, 10, 0.3), (250, 1000, 0.3), (350, 1000, 0.3), (0, 50, 0.2), (49, 50, 0.2), (10, 100000, 1e-4), (900, 1000, 0.5)]:
    c = mp.fsum(bpmf(j, n, p) for j in range(0, k + 1)) if k < n / 2 else 1 - mp.fsum(bpmf(j, n, p) for j in range(k + 1, n + 1))
    s = mp.fsum(bpmf(j, n, p) for j in range(k + 1, n + 1))
    add(f"binomial_cdf k={k} n={n} p={p}", "binomial_cdf", {"k": k, "n": n, "p": p}, float(c), 1e-11, 1e-300, "mpmath sum of pmf")
    add(f"binomial_sf k={k} n={n} p={p}", "binomial_sf", {"k": k, "n": n, "p": p}, float(s), 1e-11, 1e-300, "mpmath sum of pmf")
add("binomial_pmf p=1.5 invalid", "binomial_pmf", {"k": 1, "n": 3, "p": 1.5}, float("nan"), src="p outside [0,1]")
add("binomial_pmf n=-1 invalid", "binomial_pmf", {"k": 0, "n": -1, "p": 0.5}, float("nan"), src="n < 0")
# poisson
for (k, lam) in [(0, 1e-10), (0, 745.0), (1000, 1000.0), (3, 2.5), (100, 3.0), (0, 800.0), (20, 1e6)]:
    v = mp.exp(-mp.mpf(lam)) * mp.mpf(lam)**k / mp.factorial(k)
    add(f"poisson_logpmf k={k} lambda={lam}", "poisson_logpmf", {"k": k, "lambda": lam}, float(mp.log(v)), 1e-13, 0, "mpmath")
for (k, lam) in [(3, 2.5), (0, 5.0), (30, 20.0), (5, 20.0), (1000, 1000.0)]:
    c = mp.fsum(mp.exp(-mp.mpf(lam)) * mp.mpf(lam)**j / mp.factorial(j) for j in range(k + 1))
    add(f"poisson_cdf k={k} lambda={lam}", "poisson_cdf", {"k": k, "lambda": lam}, float(c), 1e-12, 1e-300, "mpmath sum")
    add(f"poisson_sf k={k} lambda={lam}", "poisson_sf", {"k": k, "lambda": lam}, float(1 - c), 1e-11, 1e-300, "mpmath 1 - sum at 50 digits")
# laplace
for (x, mu, b) in [(3.0, 0.0, 1.0), (-50.0, 0.0, 1.0), (0.5, 1.0, 0.25)]:
    add(f"laplace_pdf x={x}", "laplace_pdf", {"x": x, "mu": mu, "b": b}, float(st.laplace.pdf(x, mu, b)), 1e-14, 0, "scipy")
    add(f"laplace_cdf x={x}", "laplace_cdf", {"x": x, "mu": mu, "b": b}, float(st.laplace.cdf(x, mu, b)), 1e-14, 0, "scipy")
    add(f"laplace_sf x={x}", "laplace_sf", {"x": x, "mu": mu, "b": b}, float(st.laplace.sf(x, mu, b)), 1e-14, 0, "scipy")
# special
for x in [1e-300, 0.001, 2.5, 15.5, 100.0, 1e6, 1e300, -2.5, -100.5]:
    add(f"lgamma x={x}", "lgamma", {"x": x}, float(mp.log(abs(mp.gamma(x)))), 1e-14, 1e-15, "mpmath")
add("lgamma x=0 pole", "lgamma", {"x": 0.0}, float("inf"), src="pole")
add("lgamma x=-3 pole", "lgamma", {"x": -3.0}, float("inf"), src="pole")
for x in [1e-12, 0.25, 1.4616321449683622, 1.4616321449683625, 1.37, 1.55, 1.47, 2.0, 7.3, 30.0, 1e8, -0.5, -2.7]:
    add(f"digamma x={x}", "digamma", {"x": x}, float(mp.digamma(x)), 1e-13, 0, "mpmath (near the root 1.4616...: relative)")
add("digamma x=-2 pole", "digamma", {"x": -2.0}, float("nan"), src="pole")
for (a, b) in [(1e-5, 1e-5), (0.3, 50.0), (2.0, 1e6), (1e6, 1e6), (20.0, 1e10), (1.0, 1.0)]:
    add(f"log_beta a={a} b={b}", "log_beta", {"a": a, "b": b}, float(mp.log(mp.beta(a, b))), 1e-13, 1e-15, "mpmath")
add("log_beta a=0 invalid", "log_beta", {"a": 0.0, "b": 1.0}, float("nan"), src="a must be > 0")
# gamma / beta / exponential
for (x, k, th) in [(0.5, 0.5, 1.0), (3.0, 2.0, 1.5), (100.0, 80.0, 1.0), (1e-5, 0.1, 2.0), (50.0, 3.0, 1.0)]:
    add(f"gamma_pdf x={x} k={k} th={th}", "gamma_pdf", {"x": x, "shape": k, "scale": th}, float(st.gamma.pdf(x, k, scale=th)), 1e-12, 0, "scipy")
    add(f"gamma_cdf x={x} k={k} th={th}", "gamma_cdf", {"x": x, "shape": k, "scale": th}, float(mp.gammainc(k, 0, x / th, regularized=True)), 1e-12, 1e-300, "mpmath")
    add(f"gamma_sf x={x} k={k} th={th}", "gamma_sf", {"x": x, "shape": k, "scale": th}, float(mp.gammainc(k, x / th, mp.inf, regularized=True)), 1e-12, 1e-300, "mpmath")
for (p, k, th) in [(0.5, 0.5, 1.0), (0.01, 2.0, 1.5), (0.999, 80.0, 1.0), (1e-10, 3.0, 1.0), (0.9, 0.05, 1.0)]:
    add(f"gamma_ppf p={p} k={k} th={th}", "gamma_ppf", {"p": p, "shape": k, "scale": th}, float(st.gamma.ppf(p, k, scale=th)), 1e-10, 0, "scipy")
for (x, a, b) in [(0.3, 2.0, 5.0), (0.01, 0.5, 0.5), (0.999, 30.0, 2.0), (0.5, 200.0, 300.0), (1e-8, 1.5, 40.0)]:
    add(f"beta_pdf x={x} a={a} b={b}", "beta_pdf", {"x": x, "a": a, "b": b}, float(st.beta.pdf(x, a, b)), 1e-12, 0, "scipy")
    add(f"beta_cdf x={x} a={a} b={b}", "beta_cdf", {"x": x, "a": a, "b": b}, float(mp.betainc(a, b, 0, x, regularized=True)), 1e-12, 1e-300, "mpmath")
    add(f"beta_sf x={x} a={a} b={b}", "beta_sf", {"x": x, "a": a, "b": b}, float(mp.betainc(a, b, x, 1, regularized=True)), 1e-12, 1e-300, "mpmath")
for (p, a, b) in [(0.5, 2.0, 5.0), (0.001, 0.5, 0.5), (0.95, 30.0, 2.0), (1e-12, 2.0, 3.0)]:
    add(f"beta_ppf p={p} a={a} b={b}", "beta_ppf", {"p": p, "a": a, "b": b}, float(st.beta.ppf(p, a, b)), 1e-10, 0, "scipy")
for (x, rate) in [(1e-20, 3.0), (2.0, 0.5), (800.0, 1.0)]:
    add(f"exponential_cdf x={x} rate={rate}", "exponential_cdf", {"x": x, "rate": rate}, float(st.expon.cdf(x, scale=1 / rate)), 1e-14, 0, "scipy")
    add(f"exponential_sf x={x} rate={rate}", "exponential_sf", {"x": x, "rate": rate}, float(st.expon.sf(x, scale=1 / rate)), 1e-14, 0, "scipy")
add("exponential_ppf p=1e-17", "exponential_ppf", {"p": 1e-17, "rate": 2.0}, float(st.expon.ppf(1e-17, scale=0.5)), 1e-14, 0, "scipy")
# dirichlet, mvn
for (x, al) in [([0.1, 0.2, 0.3, 0.4], [2.0, 3.0, 4.0, 5.0]), ([0.5, 0.5], [0.1, 0.1]), ([0.001, 0.999], [300.0, 2.0])]:
    add(f"dirichlet_logpdf alpha={al}", "dirichlet_logpdf", {"x": x, "alpha": al}, float(st.dirichlet.logpdf(x, al)), 1e-12, 1e-14, "scipy")
cov = [[4.0, 1.2, 0.0, 0.3], [1.2, 2.0, -0.5, 0.0], [0.0, -0.5, 1.0, 0.1], [0.3, 0.0, 0.1, 0.5]]
for x in [[0.0, 0.0, 0.0, 0.0], [10.0, -3.0, 2.0, 1.0]]:
    add(f"mvn_logpdf d=4 x={x}", "mvn_logpdf", {"x": x, "mean": [0.5, -0.5, 0.0, 1.0], "cov": cov}, float(st.multivariate_normal.logpdf(x, [0.5, -0.5, 0, 1], cov)), 1e-12, 0, "scipy")
add("mvn_logpdf d=1", "mvn_logpdf", {"x": [2.0], "mean": [1.0], "cov": [[0.25]]}, float(st.norm.logpdf(2, 1, 0.5)), 1e-13, 0, "scipy norm")
# numpy legacy streams
np.random.seed(31337); add("numpy random_sample crossing the twist", "numpy_legacy_random_sample", {"seed": 31337, "n": 700}, [float(v) for v in np.random.random_sample(700)], src="numpy 1.24.2 RandomState"); cases[-1]["exact"] = True
np.random.seed(5); add("numpy randn odd n", "numpy_legacy_randn", {"seed": 5, "n": 11}, [float(v) for v in np.random.randn(11)], src="numpy 1.24.2"); cases[-1]["exact"] = True
np.random.seed(17); add("numpy binomial BTPE n=500 p=0.4", "numpy_legacy_binomial", {"seed": 17, "n": 2000, "trials": 500, "p": 0.4}, [int(v) for v in np.random.binomial(500, 0.4, 2000)], src="numpy 1.24.2"); cases[-1]["exact"] = True
np.random.seed(18); add("numpy binomial BTPE flipped n=10000 p=0.93", "numpy_legacy_binomial", {"seed": 18, "n": 2000, "trials": 10000, "p": 0.93}, [int(v) for v in np.random.binomial(10000, 0.93, 2000)], src="numpy 1.24.2"); cases[-1]["exact"] = True
rs = np.random.RandomState(3); p = rs.dirichlet(np.ones(300) * 0.3); p[::7] = 0; p /= p.sum()
np.random.seed(4); add("numpy choice V=300 with zeros", "numpy_legacy_choice", {"seed": 4, "n": 500, "p": [float(v) for v in p]}, [int(v) for v in np.random.choice(300, size=500, p=p)], src="numpy 1.24.2"); cases[-1]["exact"] = True
np.random.seed(21); add("numpy poisson lambda=3.5 (multiplication)", "numpy_legacy_poisson", {"seed": 21, "n": 1000, "lambda": 3.5}, [int(v) for v in np.random.poisson(3.5, 1000)], src="numpy 1.24.2"); cases[-1]["exact"] = True
np.random.seed(22); add("numpy poisson lambda=45.5 (PTRS)", "numpy_legacy_poisson", {"seed": 22, "n": 1000, "lambda": 45.5}, [int(v) for v in np.random.poisson(45.5, 1000)], src="numpy 1.24.2"); cases[-1]["exact"] = True
np.random.seed(23); add("numpy gamma shape=2.5 scale=3 (Marsaglia-Tsang on legacy gauss)", "numpy_legacy_gamma", {"seed": 23, "n": 500, "shape": 2.5, "scale": 3.0}, [float(v) for v in np.random.gamma(2.5, 3.0, 500)], src="numpy 1.24.2"); cases[-1]["exact"] = True
np.random.seed(24); add("numpy exponential scale=2", "numpy_legacy_exponential", {"seed": 24, "n": 500, "scale": 2.0}, [float(v) for v in np.random.exponential(2.0, 500)], src="numpy 1.24.2"); cases[-1]["exact"] = True
np.random.seed(25); add("numpy dirichlet alpha=[1, 2, 3.5, 1.5]", "numpy_legacy_dirichlet", {"seed": 25, "n": 200, "alpha": [1.0, 2.0, 3.5, 1.5]}, [[float(x) for x in row] for row in np.random.dirichlet([1.0, 2.0, 3.5, 1.5], 200)], src="numpy 1.24.2"); cases[-1]["exact"] = True
json.dump({"schema": 1, "cases": cases}, open("tests/golden/dist_extra.json", "w"), indent=1)
print(len(cases))
