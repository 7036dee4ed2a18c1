"""Peer for bench/bench_stats.c: np.mean and np.var of the same N doubles,
median of RUNS runs, printed as key=value lines (numpy's pairwise summation)."""
import sys
import time

import numpy as np

n = int(float(sys.argv[1])) if len(sys.argv) > 1 else 100_000_000
runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
i = np.arange(n, dtype=np.uint64)
h = (i * np.uint64(2654435761)) & np.uint64(0xFFFFFFFF)
x = 1000.0 + 10.0 * (h.astype(np.float64) / 4294967296.0)
del i, h
tm, tv = [], []
for _ in range(runs):
    t0 = time.perf_counter()
    m = np.mean(x)
    t1 = time.perf_counter()
    v = np.var(x)
    t2 = time.perf_counter()
    tm.append((t1 - t0) * 1e3)
    tv.append((t2 - t1) * 1e3)
print(f"mean_ms={np.median(tm):.3f}\nvar_ms={np.median(tv):.3f}\nmean={m!r}\nvar={v!r}\nnumpy={np.__version__}")
