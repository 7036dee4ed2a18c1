#!/usr/bin/python3
"""Peers for lmprob's samplers: the chapter's numpy functions, Hugging Face's
logits warpers re-implemented in torch, and llama.cpp's samplers re-implemented
in numpy float32.

  peer_sample.py bench V KIND N_ITERS     print one line per benchmark:
                                          "<name> numpy_chapter <median us>" / "<name> torch_hf <median us>"
  peer_sample.py golden OUT.json          write extra golden cases (schema of ../shared/golden/README.md)

Run with `env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE /usr/bin/python3` (torch single-threaded).
The logits of a benchmark are written by bench_sample (so both sides time the same input).
"""
import json
import sys
import time

import numpy as np
import torch

torch.set_num_threads(1)

# ---------------------------------------------------------------------------
# Hugging Face transformers, generation/logits_process.py (re-implemented, same tensor ops)


def hf_temperature(scores, T):
    return scores / T


def hf_top_k(scores, top_k, min_keep=1):
    top_k = min(max(top_k, min_keep), scores.size(-1))
    thr = torch.topk(scores, top_k)[0][..., -1, None]
    remove = scores < thr
    return scores.masked_fill(remove, -float("inf")), remove


# stable: the golden cases sort stably so that their kept sets on ties do not depend on torch's sort; the
# benchmark times the calls as transformers makes them (torch.sort / argsort without stable=True)
def hf_top_p(scores, top_p, min_keep=1, stable=True):
    sorted_logits, sorted_indices = torch.sort(scores, descending=False, stable=stable)
    cum = sorted_logits.softmax(dim=-1).cumsum(dim=-1)
    remove = cum <= (1 - top_p)
    remove[..., -min_keep:] = 0
    remove = remove.scatter(-1, sorted_indices, remove)
    return scores.masked_fill(remove, -float("inf")), remove


def hf_min_p(scores, min_p, min_keep=1, stable=True):
    probs = torch.softmax(scores, dim=-1)
    top = probs.amax(dim=-1, keepdim=True)
    remove = probs < min_p * top
    sorted_indices = torch.argsort(scores, descending=True, dim=-1, stable=stable)
    sremove = torch.gather(remove, -1, sorted_indices)
    sremove[..., :min_keep] = False
    remove = sremove.scatter(-1, sorted_indices, sremove)
    return scores.masked_fill(remove, -float("inf")), remove


def hf_typical(scores, mass, min_keep=1):
    normalized = torch.nn.functional.log_softmax(scores, dim=-1)
    p = torch.exp(normalized)
    ent = -(normalized * p).nansum(-1, keepdim=True)
    shifted = torch.abs((-normalized) - ent)
    sorted_scores, sorted_indices = torch.sort(shifted, descending=False, stable=True)
    sorted_logits = scores.gather(-1, sorted_indices)
    cum = sorted_logits.softmax(dim=-1).cumsum(dim=-1)
    last_ind = (cum < mass).sum(dim=-1)
    last_ind.clamp_(max=sorted_scores.shape[-1] - 1)
    sremove = sorted_scores > sorted_scores.gather(-1, last_ind.view(1))
    sremove[..., :min_keep] = 0
    remove = sremove.scatter(-1, sorted_indices, sremove)
    return scores.masked_fill(remove, -float("inf")), remove


def hf_epsilon(scores, eps, min_keep=1):
    probs = scores.softmax(dim=-1)
    remove = probs < eps
    k = min(min_keep, scores.size(-1))
    remove = remove & (scores < torch.topk(scores, k)[0][..., -1, None])
    return scores.masked_fill(remove, -float("inf")), remove


def hf_chain(scores, T=1.0, top_k=0, top_p=1.0, min_p=None, typical=1.0, eps=0.0, min_keep=1):
    """generate(): Temperature -> TopK -> TopP -> MinP -> Typical -> Epsilon, each only when active.
    Returns the scores and the union of the warpers' removal masks."""
    removed = torch.zeros(scores.shape, dtype=torch.bool)
    if T != 1.0:
        scores = hf_temperature(scores, T)
    steps = []
    if top_k:
        steps.append(lambda s: hf_top_k(s, top_k, min_keep))
    if top_p < 1.0:
        steps.append(lambda s: hf_top_p(s, top_p, min_keep))
    if min_p is not None:
        steps.append(lambda s: hf_min_p(s, min_p, min_keep))
    if typical < 1.0:
        steps.append(lambda s: hf_typical(s, typical, min_keep))
    if 0 < eps < 1:
        steps.append(lambda s: hf_epsilon(s, eps, min_keep))
    for f in steps:
        scores, rem = f(scores)
        removed |= rem
    return scores, removed


def hf_kept(logits, dtype=torch.float64, **kw):
    """The kept set: indices that no warper removed (a -inf token a warper did not remove counts as kept)."""
    s = torch.tensor([float(v) for v in logits], dtype=dtype)
    _, removed = hf_chain(s.clone(), **kw)
    return [i for i in range(len(logits)) if not removed[i]]


# ---------------------------------------------------------------------------
# llama.cpp src/llama-sampling.cpp (re-implemented in float32; candidate arrays of (id, logit, p))

f32 = np.float32


def ll_sort_desc(c):
    return sorted(c, key=lambda t: (-t[1], t[0]))


def ll_softmax(c):
    c = ll_sort_desc(c)
    mx = c[0][1]
    ps = []
    cum = f32(0)
    for (_, l, _) in c:
        p = f32(np.exp(f32(l - mx)))
        ps.append(p)
        cum = f32(cum + p)
    return [(i, l, f32(p / cum)) for (i, l, _), p in zip(c, ps)]


def ll_top_k(c, k):
    if k <= 0:
        return c
    k = min(k, len(c))
    return ll_sort_desc(c)[:k]


def ll_top_p(c, p, min_keep=1):
    if p >= 1.0:
        return c
    c = ll_softmax(c)
    cum = f32(0)
    last = len(c)
    for i, (_, _, pi) in enumerate(c):
        cum = f32(cum + pi)
        if cum >= f32(p) and i + 1 >= min_keep:
            last = i + 1
            break
    return c[:last]


def ll_min_p(c, p, min_keep=1):
    if p <= 0 or not c:
        return c
    mx = max(l for _, l, _ in c)
    min_logit = f32(f32(mx) + f32(np.log(f32(p))))
    kept = [t for t in c if t[1] >= min_logit]
    if len(kept) >= min_keep and kept:
        return kept
    c = ll_sort_desc(c)
    out = [c[0]]
    for i in range(1, len(c)):
        if c[i][1] < min_logit and i >= min_keep:
            break
        out.append(c[i])
    return out


def ll_typical(c, p, min_keep=1):
    if p >= 1.0:
        return c
    c = ll_softmax(c)
    ent = f32(0)
    for (_, _, pi) in c:
        if pi > 0:
            ent = f32(ent + f32(-pi * f32(np.log(pi))))
    shifted = [f32(abs(f32(-f32(np.log(pi))) - ent)) if pi > 0 else np.inf for (_, _, pi) in c]
    order = sorted(range(len(c)), key=lambda j: (shifted[j], c[j][0]))
    cum = f32(0)
    last = len(order)
    for i, j in enumerate(order):
        cum = f32(cum + c[j][2])
        if cum > f32(p) and i >= min_keep - 1:
            last = i + 1
            break
    return [c[j] for j in order[:last]]


def ll_kept(logits, top_k=0, top_p=1.0, min_p=0.0, typical=1.0, min_keep=1):
    """llama.cpp order: top_k -> typical -> top_p -> min_p (temperature last changes no kept set)."""
    c = [(i, f32(float(l)), f32(0)) for i, l in enumerate(logits)]
    c = ll_top_k(c, top_k)
    c = ll_typical(c, typical, min_keep)
    c = ll_top_p(c, top_p, min_keep)
    c = ll_min_p(c, min_p, min_keep)
    return sorted(i for i, _, _ in c)


# ---------------------------------------------------------------------------
# golden cases


def golden(out_path):
    cases = []
    src_hf = "bench/peer_sample.py: HF logits_process.py re-implemented in torch (stable sorts), dtype as named"
    src_ll = "bench/peer_sample.py: llama.cpp llama-sampling.cpp re-implemented in numpy float32 (ties: lower id first)"

    def add(name, fn, args, expected, src, **extra):
        c = {"name": name, "function": fn, "args": args, "expected": expected, "source": src}
        c.update(extra)
        cases.append(c)

    def keep_cases(tag, logits, fn, key, val, mk=1, llama=True, hf32=True):
        args = {"logits": logits, key: val, "min_keep": mk}
        hf_kw = {"p": {"top_p": val}, "min_p": {"min_p": val}, "mass": {"typical": val},
                 "epsilon": {"eps": val}}[key]
        hf_kw["min_keep"] = mk
        add(f"{fn} {tag} [hf]", fn, dict(args, convention="hf"), hf_kept(logits, torch.float64, **hf_kw), src_hf,
            exact=True)
        if hf32:
            add(f"{fn} {tag} [hf_f32]", fn, dict(args, convention="hf_f32"), hf_kept(logits, torch.float32, **hf_kw),
                src_hf, exact=True)
        if llama:
            ll_kw = {"p": {"top_p": val}, "min_p": {"min_p": val}, "mass": {"typical": val}}[key]
            add(f"{fn} {tag} [llama]", fn, dict(args, convention="llama"), ll_kept(logits, min_keep=mk, **ll_kw),
                src_ll, exact=True)

    rs = np.random.RandomState(7)
    uniform10 = [0.0] * 10
    # p equal to a partial sum of equal probabilities: the dtype and the direction of the sum decide
    for p in (0.3, 0.7, 0.8, 0.9):
        keep_cases(f"uniform V=10 p={p}", uniform10, "top_p_keep", "p", p)
    keep_cases("uniform V=3 p=2/3", [1.0, 1.0, 1.0], "top_p_keep", "p", 2.0 / 3.0)
    # ties at the cut: HF keeps the higher id (stable ascending sort), llama the lower
    keep_cases("ties at cut", [2.0, 1.0, 1.0, 1.0, 0.0], "top_p_keep", "p", 0.75)
    keep_cases("min_keep=3", [10.0, 1.0, 0.5, 0.1, 0.0, 0.0, 0.0], "top_p_keep", "p", 0.5, mk=3)
    keep_cases("-inf logits", [1.0, "-inf", 0.5, "-inf", 0.0], "top_p_keep", "p", 0.8, hf32=False, llama=False)
    keep_cases("min_keep=2", [3.0, 2.0, 1.5, 1.2, 0.8, 0.4, 0.1], "min_p_keep", "min_p", 0.9, mk=2)
    keep_cases("peaked", [10.0, 1.0, 0.5, 0.1, 0.0, 0.0, 0.0], "min_p_keep", "min_p", 0.001)
    keep_cases("mass=0.2", [3.0, 2.0, 1.5, 1.2, 0.8, 0.4, 0.1], "typical_keep", "mass", 0.2)
    keep_cases("mass=0.95", [3.0, 2.0, 1.5, 1.2, 0.8, 0.4, 0.1], "typical_keep", "mass", 0.95)
    keep_cases("ties", [1.0, 1.0, 1.0, 0.0, 0.0, -1.0], "typical_keep", "mass", 0.5)
    keep_cases("min_keep=3", [5.0, 1.0, 0.5, 0.2, 0.0], "typical_keep", "mass", 0.3, mk=3)
    keep_cases("min_keep=3", [3.0, 2.0, 1.5, 1.2, 0.8, 0.4, 0.1], "epsilon_keep", "epsilon", 0.5, mk=3, llama=False)
    keep_cases("ties", [1.0, 1.0, 0.0, 0.0], "epsilon_keep", "epsilon", 0.2, llama=False)
    for V, p, tag in ((20000, 0.9, "flat randn*2"), (3000, 0.5, "flat randn*2")):
        x = (rs.randn(V) * 2.0).round(4).tolist()
        # llama.cpp sums 10^4 float32 probabilities in sorted order (drift ~1e-4); lmprob's O(V) path sums in
        # double above LMP_SAMPLE_EXACT_MAX candidates, so only the HF column is a golden value at this size.
        keep_cases(f"V={V} {tag} p={p}", x, "top_p_keep", "p", p, hf32=False, llama=False)
        keep_cases(f"V={V} {tag} min_p=0.05", x, "min_p_keep", "min_p", 0.05, hf32=False)
    x = (rs.randn(2000) * 2.0).round(6).tolist()
    keep_cases("V=2000 typical", x, "typical_keep", "mass", 0.9, hf32=False)
    # top-k: ties, min_keep, k >= V, -inf
    for logits, k, mk, tag in (([2.0, 1.0, 1.0, 1.0, 0.0], 2, 1, "ties"), ([1.0, 2.0, 3.0], 5, 1, "k>=V"),
                               ([3.0, 2.0, 1.0, 0.0], 1, 3, "min_keep=3"),
                               ([1.0, "-inf", "-inf", 0.0], 3, 1, "-inf k-th")):
        args = {"logits": logits, "k": k, "min_keep": mk}
        add(f"top_k_keep {tag} [hf]", "top_k_keep", dict(args, convention="hf"),
            hf_kept(logits, top_k=k, min_keep=mk), src_hf, exact=True)
        add(f"top_k_keep {tag} [llama]", "top_k_keep", dict(args, convention="llama"), ll_kept(logits, top_k=k),
            src_ll, exact=True)
    ramp = {"size": 151936, "start": 3.0, "step": -0.0001}
    xr = [3.0 + i * -0.0001 for i in range(151936)]
    add("top_k_count V=151936 ramp k=50 [hf]", "top_k_count", {"logits": ramp, "k": 50, "convention": "hf"},
        len(hf_kept(xr, top_k=50)), src_hf, exact=True)
    add("top_p_keep V=151936 ramp p=0.5 [hf]", "top_p_keep", {"logits": ramp, "p": 0.5, "min_keep": 1,
        "convention": "hf"}, hf_kept(xr, top_p=0.5), src_hf, exact=True)
    # chains
    lg = [3.0, 2.0, 1.5, 1.2, 0.8, 0.4, 0.1]
    for T, tk, tp in ((0.7, 3, 0.9), (1.5, 5, 0.8), (0.5, 0, 0.9), (2.0, 0, 0.9)):
        add(f"chain T={T} top_k={tk} top_p={tp} [hf]", "chain_keep",
            {"logits": lg, "T": T, "top_k": tk, "top_p": tp, "convention": "hf"},
            hf_kept(lg, T=T, top_k=tk, top_p=tp), src_hf, exact=True)
        add(f"chain T={T} top_k={tk} top_p={tp} [llama]", "chain_keep",
            {"logits": lg, "T": T, "top_k": tk, "top_p": tp, "convention": "llama"},
            ll_kept(lg, top_k=tk, top_p=tp), src_ll, exact=True)
    # information theory (scipy / torch float64)
    import scipy.special as sp
    import scipy.stats as st
    from scipy.spatial.distance import jensenshannon
    P, Q = [0.1, 0.2, 0.3, 0.4], [0.25, 0.25, 0.25, 0.25]
    add("entropy bits", "entropy", {"p": P, "base": 2}, float(st.entropy(P, base=2)), "scipy.stats.entropy",
        rtol=1e-14, atol=1e-15)
    add("entropy base 10 counts", "entropy", {"p": [3, 1, 0, 4], "base": 10}, float(st.entropy([3, 1, 0, 4], base=10)),
        "scipy.stats.entropy (normalises)", rtol=1e-14, atol=1e-15)
    add("kl Q||P", "kl_divergence", {"P": Q, "Q": P, "base": "e"}, float(st.entropy(Q, P)), "scipy.stats.entropy",
        rtol=1e-13, atol=1e-15)
    add("kl chapter P||Q", "kl_divergence", {"P": [0.9, 0.1], "Q": [0.5, 0.5], "base": 2},
        float(st.entropy([0.9, 0.1], [0.5, 0.5], base=2)), "scipy.stats.entropy", rtol=1e-13, atol=1e-15)
    add("js_distance base 2", "js_distance", {"P": P, "Q": Q, "base": 2}, float(jensenshannon(P, Q, base=2)),
        "scipy.spatial.distance.jensenshannon", rtol=1e-13, atol=1e-15)
    add("js_divergence base 2", "js_divergence", {"P": P, "Q": Q, "base": 2}, float(jensenshannon(P, Q, base=2) ** 2),
        "scipy.spatial.distance.jensenshannon ** 2", rtol=1e-12, atol=1e-15)
    add("cross_entropy bits", "cross_entropy", {"p": P, "q": Q, "base": 2},
        float(-(sp.xlogy(P, Q)).sum() / np.log(2)), "-(xlogy(p,q)).sum()/ln 2", rtol=1e-14, atol=1e-15)
    x = [1e4, -1e4, 0.0, "-inf"]
    xt = torch.tensor([1e4, -1e4, 0.0, -np.inf], dtype=torch.float64)
    add("log_softmax +-1e4 and -inf", "log_softmax", {"logits": x},
        [v if np.isfinite(v) else "-inf" for v in torch.log_softmax(xt, 0).tolist()], "torch.log_softmax float64",
        rtol=1e-14, atol=1e-14)
    add("softmax +-1e4 and -inf", "softmax", {"logits": x}, torch.softmax(xt, 0).tolist(), "torch.softmax float64",
        rtol=1e-14, atol=1e-300)
    add("logsumexp +-1e4", "logsumexp", {"a": [1e4, -1e4, 1e4]}, float(sp.logsumexp([1e4, -1e4, 1e4])),
        "scipy.special.logsumexp", rtol=1e-15, atol=0.0)
    lg5 = torch.tensor([[1.0, 2.0, 3.0, 0.5, 0.2], [0.0, 0.0, 5.0, -1.0, 2.0]], dtype=torch.float64)
    add("ce_loss label_smoothing=0.3", "ce_loss", {"logits": lg5[1].tolist(), "target": 3, "label_smoothing": 0.3},
        float(torch.nn.functional.cross_entropy(lg5[1:2], torch.tensor([3]), label_smoothing=0.3)),
        "torch.nn.functional.cross_entropy", rtol=1e-14, atol=0.0)
    add("ce_loss_batch smoothing 0.1", "ce_loss_batch",
        {"logits": lg5.tolist(), "targets": [2, 4], "ignore_index": -100, "label_smoothing": 0.1},
        float(torch.nn.functional.cross_entropy(lg5, torch.tensor([2, 4]), label_smoothing=0.1)),
        "torch.nn.functional.cross_entropy", rtol=1e-14, atol=0.0)
    add("ce_loss_batch ignore 7", "ce_loss_batch",
        {"logits": lg5.tolist(), "targets": [7, 0], "ignore_index": 7},
        float(torch.nn.functional.cross_entropy(lg5, torch.tensor([7, 0]), ignore_index=7)),
        "torch.nn.functional.cross_entropy(ignore_index=7)", rtol=1e-14, atol=0.0)
    add("entropy_of_softmax randn V=1000", "entropy_of_softmax", {"logits": np.random.RandomState(3).randn(1000).round(8).tolist()},
        float(st.entropy(sp.softmax(np.random.RandomState(3).randn(1000).round(8)))), "scipy", rtol=1e-12, atol=0.0)
    add("perplexity uniform 7", "perplexity", {"log_probs": [float(np.log(1 / 7))] * 5}, 7.000000000000001,
        "exp(-mean(log 1/7)) in numpy", rtol=1e-13, atol=0.0)
    add("argmax all equal", "argmax", {"logits": [0.5, 0.5, 0.5]}, 0, "numpy.argmax", exact=True)
    add("argmax -inf first", "argmax", {"logits": ["-inf", -3.0, -1.0, -1.0]}, 2, "numpy.argmax", exact=True)
    add("sample_index boundary", "sample_index", {"weights": [0.1, 0.2, 0.3, 0.4], "u": 0.1}, 1,
        "numpy: first i with cdf > u", exact=True)
    add("sample_index zero weight skipped", "sample_index", {"weights": [0.0, 1.0, 0.0, 1.0], "u": 0.5}, 3,
        "cumsum > u*sum", exact=True)
    add("repetition penalty repeated ids", "repetition_penalty",
        {"scores": [1.0, -2.0, 0.0, 4.0], "prev_ids": [3, 3, 3, 1], "penalty": 2.0}, [1.0, -4.0, 0.0, 2.0],
        "HF: once per distinct id", rtol=0.0, atol=0.0)
    with open(out_path, "w") as f:
        json.dump({"schema": 1, "cases": cases}, f, indent=None)
        f.write("\n")
    print(f"{len(cases)} cases -> {out_path}")


# ---------------------------------------------------------------------------
# benchmark peers


def softmax(x):
    e = np.exp(x - x.max())
    return e / e.sum()


def temperature_sample(logits, temperature=1.0):
    scaled = logits / temperature
    probs = softmax(scaled)
    return np.random.choice(len(probs), p=probs), probs


def top_k_sample(logits, k, temperature=1.0):
    threshold = np.partition(logits, -k)[-k]
    masked = np.where(logits >= threshold, logits, -np.inf)
    probs = softmax(masked / temperature)
    return np.random.choice(len(probs), p=probs)


def nucleus_sample(logits, p, temperature=1.0):
    probs = softmax(logits / temperature)
    sorted_idx = np.argsort(probs)[::-1]
    cumulative = np.cumsum(probs[sorted_idx])
    cutoff = np.searchsorted(cumulative, p) + 1
    nucleus_idx = sorted_idx[:cutoff]
    nucleus_probs = probs[nucleus_idx]
    nucleus_probs = nucleus_probs / nucleus_probs.sum()
    return np.random.choice(nucleus_idx, p=nucleus_probs)


def min_p_sample(logits, min_p, temperature=1.0):
    # The chapter has no min-p function; this is the same numpy style (softmax, mask, renormalise, choice).
    probs = softmax(logits / temperature)
    probs = np.where(probs >= min_p * probs.max(), probs, 0.0)
    probs = probs / probs.sum()
    return np.random.choice(len(probs), p=probs)


def hf_chain_chapter(logits):
    # T 0.7 -> top-k 50 -> top-p 0.9 with the chapter's functions: top-k's mask, then nucleus on the survivors.
    threshold = np.partition(logits, -50)[-50]
    masked = np.where(logits >= threshold, logits, -np.inf)
    return nucleus_sample(masked, 0.9, temperature=0.7)


def timeit(fn, iters):
    for _ in range(5):  # warm-up calls, as bench_sample.c makes for lmprob's side (they were timed here)
        fn()
    ts = []
    for _ in range(iters):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    ts.sort()
    return ts[len(ts) // 2] * 1e6


def bench(path, iters):
    # float32 logits on every side, as lmprob's (the chapter's functions ran on a float64 copy until the
    # thirty-fourth session, which made them slower: 1312 against 1015 us for temperature at V = 50257)
    x = np.fromfile(path, dtype=np.float32)
    t = torch.from_numpy(x.copy())
    gen = torch.Generator().manual_seed(0)
    np.random.seed(0)

    def multinomial(scores):
        return torch.multinomial(torch.softmax(scores, dim=-1), 1, generator=gen)

    rows = [
        ("temperature", lambda: temperature_sample(x, 0.7), lambda: multinomial(hf_temperature(t, 0.7))),
        ("top_k50", lambda: top_k_sample(x, 50), lambda: multinomial(hf_top_k(t, 50)[0])),
        ("top_p0.9", lambda: nucleus_sample(x, 0.9), lambda: multinomial(hf_top_p(t, 0.9, stable=False)[0])),
        ("min_p0.05", lambda: min_p_sample(x, 0.05), lambda: multinomial(hf_min_p(t, 0.05, stable=False)[0])),
        ("hf_chain", lambda: hf_chain_chapter(x),
         lambda: multinomial(hf_top_p(hf_top_k(hf_temperature(t, 0.7), 50)[0], 0.9, stable=False)[0])),
    ]
    for name, np_fn, th_fn in rows:
        print(f"{name} numpy_chapter {timeit(np_fn, iters):.1f}")
        print(f"{name} torch_hf {timeit(th_fn, iters):.1f}")


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "golden":
        golden(sys.argv[2])
    elif len(sys.argv) >= 4 and sys.argv[1] == "bench":
        bench(sys.argv[2], int(sys.argv[3]))
    else:
        print(__doc__)
        sys.exit(2)
