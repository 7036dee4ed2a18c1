"""numpy / scipy side of bench/bench_dist.sh: the same tasks as bench/bench_dist.c on the
same probability vector, median of RUNS runs, key=value lines (ms, or us per draw).
usage: peer_dist.py P_FILE RUNS"""
import sys
import time

import numpy as np
import scipy.special as sp


def med(f, runs):
    ts = []
    for k in range(runs):
        t0 = time.perf_counter()
        f(k)
        ts.append(time.perf_counter() - t0)
    return float(np.median(ts))


p = np.loadtxt(sys.argv[1])
runs = int(sys.argv[2])
V, N = len(p), 10**7


def seed(k):
    np.random.seed(k)


print("normal_sample_ms=%.3f" % (1e3 * med(lambda k: (seed(k), np.random.normal(0.0, 1.0, N)), runs)))
print("normal_sample_generator_ms=%.3f" % (1e3 * med(lambda k: np.random.default_rng(k).standard_normal(N), runs)))
single = 2000


def singles(k):
    seed(k)
    for _ in range(single):
        np.random.choice(V, p=p)


print("categorical_single_us=%.3f" % (1e6 * med(singles, runs) / single))
print("categorical_bulk_ms=%.3f" % (1e3 * med(lambda k: (seed(k), np.random.choice(V, size=10**6, p=p)), runs)))
alpha = np.ones(1000)
print("dirichlet_ms=%.3f" % (1e3 * med(lambda k: (seed(k), np.random.dirichlet(alpha, 10**4)), runs)))
x = -10.0 + 20.0 * np.arange(N) / (N - 1)
print("normal_cdf_ms=%.3f" % (1e3 * med(lambda k: sp.ndtr(x), runs)))
u = (np.arange(N) + 0.5) / N
print("normal_quantile_ms=%.3f" % (1e3 * med(lambda k: sp.ndtri(u), runs)))
