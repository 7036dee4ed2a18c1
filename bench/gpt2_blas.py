"""The matrix products of a GPT-2 forward pass through the system BLAS (numpy's sgemm).

usage: gpt2_blas.py THREADS [T] [REPS]   (OpenBLAS reads its thread count from the environment: the
caller sets OPENBLAS_NUM_THREADS / OMP_NUM_THREADS; this prints what BLAS was loaded)

Times, for GPT-2 124M (12 layers, width 768, vocabulary 50257), the five weight products of a T-token
pass with all logits: per layer x[T,C] @ W for c_attn [C,3C], attn c_proj [C,C], c_fc [C,4C], and
h[T,4C] @ mlp c_proj [4C,C]; then x[T,C] @ wte^T [C,V]. They are 93 % of the pass's FLOP; an engine
that hands them to this BLAS spends at least this long on a pass, whatever it does for the rest.
Prints one JSON line: the median seconds over REPS and T divided by it (tokens/s, an upper bound for
a BLAS-based engine), the median CPU seconds (all threads), the GFLOP/s reached. Used by bench_gpt2.sh to say why lmprob has its own kernels.
"""
import json, sys, time

import numpy as np

threads = int(sys.argv[1])
T = int(sys.argv[2]) if len(sys.argv) > 2 else 1024
reps = int(sys.argv[3]) if len(sys.argv) > 3 else 3
L, C, V = 12, 768, 50257
rng = np.random.default_rng(1)
mk = lambda *s: (rng.standard_normal(s, dtype=np.float32) * 0.02).astype(np.float32)
# one layer's weights reused for every layer: the same shapes and products (the time of a product does not
# depend on the values); wte is [V, C] as in the checkpoint, used transposed as HF's tied lm_head
w_attn, w_proj, w_fc, w_fc2, wte = mk(C, 3 * C), mk(C, C), mk(C, 4 * C), mk(4 * C, C), mk(V, C)
x, h = mk(T, C), mk(T, 4 * C)
out = {"attn": np.empty((T, 3 * C), np.float32), "proj": np.empty((T, C), np.float32),
       "fc": np.empty((T, 4 * C), np.float32), "logits": np.empty((T, V), np.float32)}


cpu = []


def once():
    t, c = time.perf_counter(), time.process_time()
    for _ in range(L):
        np.matmul(x, w_attn, out=out["attn"])
        np.matmul(x, w_proj, out=out["proj"])
        np.matmul(x, w_fc, out=out["fc"])
        np.matmul(h, w_fc2, out=out["proj"])
    np.matmul(x, wte.T, out=out["logits"])
    cpu.append(time.process_time() - c)
    return time.perf_counter() - t


once()  # warm-up: page in, let the BLAS start its threads
cpu.clear()
runs = sorted(once() for _ in range(reps))
cpu.sort()
med = runs[len(runs) // 2] if reps % 2 else 0.5 * (runs[reps // 2 - 1] + runs[reps // 2])
flop = 2 * T * (12 * L * C * C + V * C)
libs = sorted({l.split()[-1] for l in open("/proc/self/maps") if "blas" in l})
print(json.dumps({"threads": threads, "T": T, "runs_s": [round(r, 4) for r in runs], "median_s": round(med, 4),
                  "tok_per_s": round(T / med, 1), "cpu_s": round(cpu[len(cpu) // 2], 4), "gflop_s": round(flop / med / 1e9, 1), "blas": libs}))
