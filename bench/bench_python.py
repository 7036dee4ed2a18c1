#!/usr/bin/python3
"""The Python module against what it replaces, side by side in one process, on the same inputs
(bench/bench_python.sh runs it; docs/python.md quotes it). Each part prints lines
    BENCH <name> lmprob=<v><unit> <peer>=<v><unit> ratio=<peer time / lmprob time> (threads ...)

  kenlm     KenLM's own Python module (KENLM_PY: the folder holding kenlm*.so; skipped without it)
            against lmprob.Model, both loading the same ARPA file and scoring the PTB test set
            sentence by sentence with score(s) (bos and eos): sentences/s, and lmprob's
            score_batch (one call, every core) beside the same kenlm loop.
  torch     Hugging Face's warpers (temperature 0.7 -> top-k 50 -> top-p 0.9, then
            torch.multinomial; transformers' own tensor ops, re-implemented in bench/peer_sample.py)
            on a [8, 50257] float32 tensor against lmprob.sample on the same tensor (read in place).
  numpy     the chapter's numpy functions (softmax, shannon_entropy, kl_divergence,
            cross_entropy_loss, perplexity_from_log_probs, temperature_sample, top_k_sample,
            nucleus_sample) on a 50257-entry vector against the lmprob call that computes the same,
            then on the chapter's own example inputs (2 to 100 numbers); and numpy's legacy
            RandomState against lmprob.RandomState (randint, permutation, binomial, ...: the same
            values, 10^5 a call).

  bench_python.py ARPA TEST_TEXT [REPS]
Times are medians of REPS (default 7) rounds; within a round lmprob and the peer alternate.
CLOCK=cpu times the numpy part in the calling thread's CPU time (user + system) and reports the
fastest round instead of the median: on a machine shared with other jobs, the time the process
is descheduled inflates wall-clock medians (each side differently, depending on when it ran).
"""
import math
import os
import statistics
import sys
import time

import numpy as np

import lmprob

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)


def median_time(fn, reps, inner=1, clock=time.perf_counter):
    ts = []
    for _ in range(reps):
        t = clock()
        for _ in range(inner):
            fn()
        ts.append((clock() - t) / inner)
    return statistics.median(ts)


def side_by_side(ours, peer, reps, inner=1, clock=time.perf_counter, stat=statistics.median, settle=0.0):
    """Median (or stat) seconds per call of ours and of peer, timed in alternating rounds. settle: seconds
    to wait (untimed) after each round, so that a side's idle threads, which spin for a while before they
    sleep (torch's OpenMP workers; lmprob's pool, 2 ms), have stopped before the other side is timed; each
    side's first call after the wait is untimed (it wakes the side's threads and warms its caches)."""
    a, b = [], []
    for _ in range(reps):
        if settle:
            ours()
        a.append(median_time(ours, 1, inner, clock))
        time.sleep(settle)
        if settle:
            peer()
        b.append(median_time(peer, 1, inner, clock))
        time.sleep(settle)
    return stat(a), stat(b)


def line(name, ours, peer_name, peer, unit, ratio, note):
    print(f"BENCH {name} lmprob={ours}{unit} {peer_name}={peer}{unit} ratio={ratio:.1f} ({note})", flush=True)


def bench_kenlm(arpa, text, reps):
    extra = os.environ.get("KENLM_PY")
    if extra:
        sys.path.append(extra)
    try:
        import kenlm
    except ImportError:
        print("# kenlm: skipped (KenLM's Python module is not importable; set KENLM_PY, docs/python.md says how to build it)")
        return
    with open(text) as f:
        sents = [s.rstrip("\n").replace("<unk>", "UNK") for s in f]
    km = kenlm.Model(arpa)
    lm = lmprob.Model(arpa)
    # The same numbers first: a benchmark of two programs computing different things is void.
    worst = max(abs(km.score(s) - lm.score(s)) for s in sents[:500])
    if worst > 1e-4:
        print(f"# kenlm: scores differ by {worst}", file=sys.stderr)
        sys.exit(1)
    ks, ls = km.score, lm.score

    def ours():
        for s in sents:
            ls(s)

    def peer():
        for s in sents:
            ks(s)

    t_ours, t_peer = side_by_side(ours, peer, reps)
    n = len(sents)
    line("py_kenlm_score_ptb", f"{n / t_ours:.0f}", "kenlm_py", f"{n / t_peer:.0f}", "sent/s", t_peer / t_ours,
         f"{n} sentences, model.score(s) in a Python loop, 1 thread each, max |diff| {worst:.1e}")
    # CPU time of the calling thread: what each side costs when the shared machine deschedules it.
    cpu_ours, cpu_peer = side_by_side(ours, peer, reps, clock=time.thread_time)
    line("py_kenlm_score_ptb_cpu", f"{n / cpu_ours:.0f}", "kenlm_py", f"{n / cpu_peer:.0f}", "sent/s",
         cpu_peer / cpu_ours, "the same loops, thread CPU time")
    t_batch, t_peer = side_by_side(lambda: lm.score_batch(sents), peer, reps)
    line("py_kenlm_score_batch_ptb", f"{n / t_batch:.0f}", "kenlm_py", f"{n / t_peer:.0f}", "sent/s", t_peer / t_batch,
         f"lmprob: one score_batch call on {os.cpu_count()} threads; kenlm: the loop, 1 thread")


def bench_torch(reps):
    try:
        import torch
        import peer_sample as hf
    except ImportError as e:
        print(f"# torch: skipped ({e})")
        return
    torch.manual_seed(0)
    V, B = 50257, 8
    rng = np.random.default_rng(1)
    # GPT-2-like logits: a few confident rows, most spread out.
    logits = torch.from_numpy((rng.standard_normal((B, V)) * 3).astype(np.float32))
    gen = torch.Generator().manual_seed(0)
    r = lmprob.RandomState(0)

    def peer():
        s = hf.hf_temperature(logits, 0.7)
        s = hf.hf_top_k(s, 50)[0]
        s = hf.hf_top_p(s, 0.9)[0]
        return torch.multinomial(torch.softmax(s, dim=-1), 1, generator=gen)

    # Both keep the same tokens: the torch chain's kept sets hold lmprob's draws.
    s = hf.hf_top_p(hf.hf_top_k(hf.hf_temperature(logits, 0.7), 50)[0], 0.9)[0]
    ids = lmprob.sample(logits, temperature=0.7, top_k=50, top_p=0.9, rng=r)
    assert all(math.isfinite(float(s[i, int(ids[i])])) for i in range(B)), "lmprob drew a token torch removes"
    # The same thread count on both sides (peer_sample sets torch to one thread at import).
    for nt in sorted({1, os.cpu_count()}):
        torch.set_num_threads(nt)
        t_ours, t_peer = side_by_side(
            lambda: lmprob.sample(logits, temperature=0.7, top_k=50, top_p=0.9, rng=r, threads=nt), peer, reps,
            inner=5, settle=0.1)
        line(f"py_hf_chain_torch_8x50257_t{nt}", f"{t_ours * 1e6:.0f}", "torch_hf", f"{t_peer * 1e6:.0f}", "us",
             t_peer / t_ours, f"T 0.7, top-k 50, top-p 0.9, draw; {nt} thread(s) each"
             + ("; lmprob's threads= is an upper bound, and a batch under 2^18 logits runs on one" if nt > 1 else ""))
    torch.set_num_threads(1)
    one = logits[0].contiguous()
    t_ours, t_peer = side_by_side(lambda: lmprob.sample(one, temperature=0.7, top_k=50, top_p=0.9, rng=r),
                                  lambda: torch.multinomial(torch.softmax(hf.hf_top_p(hf.hf_top_k(
                                      hf.hf_temperature(one, 0.7), 50)[0], 0.9)[0], -1), 1, generator=gen),
                                  reps, inner=10)
    line("py_hf_chain_torch_1x50257", f"{t_ours * 1e6:.0f}", "torch_hf", f"{t_peer * 1e6:.0f}", "us", t_peer / t_ours,
         "one row, 1 thread each")


# The chapter's functions, as printed (../shared/chapter/probability-and-statistics.txt). Its softmax and
# samplers are bench/peer_sample.py's numpy peers (imported in bench_numpy); the rest are here.
def ch_shannon_entropy(probs, base=np.e):
    probs = np.array(probs)
    probs = probs[probs > 0]
    return -np.sum(probs * np.log(probs) / np.log(base))


def ch_kl_divergence(P, Q, eps=1e-10):
    P, Q = np.array(P) + eps, np.array(Q) + eps
    P, Q = P / P.sum(), Q / Q.sum()
    return np.sum(P * np.log(P / Q))


def ch_cross_entropy_loss(logits, target_class):
    logits = logits - logits.max()
    probs = np.exp(logits) / np.sum(np.exp(logits))
    return -np.log(probs[target_class] + 1e-9)


def ch_perplexity_from_log_probs(log_probs):
    return np.exp(-np.mean(log_probs))


def chapter_table(rows, reps, prefix, gm_name, tol, inner, digits, clock=time.perf_counter,
                  stat=statistics.median):
    """Rows (name, note, chapter's function, lmprob's call, chapter's result, lmprob's result; results None for the
    samplers): each checked against the other, timed side by side, printed as BENCH py_chapter_<name><prefix>;
    then their geometric mean as BENCH py_chapter_geomean_<gm_name>."""
    ratios = []
    for name, note, peer, ours, want, got in rows:
        if want is not None:
            assert np.allclose(want, got, **tol), (name, prefix, want, got)
        t_ours, t_peer = side_by_side(ours, peer, reps, inner=inner, clock=clock, stat=stat)
        ratios.append(t_peer / t_ours)
        line(f"py_chapter_{name}{prefix}", f"{t_ours * 1e6:.{digits}f}", "numpy_chapter", f"{t_peer * 1e6:.{digits}f}",
             "us", t_peer / t_ours, note)
    gm = math.exp(sum(map(math.log, ratios)) / len(ratios))
    print(f"BENCH py_chapter_geomean_{gm_name} lmprob=1x numpy_chapter={gm:.1f}x ratio={gm:.1f} "
          f"(geometric mean of the {len(ratios)} ratios above; lowest {min(ratios):.1f}, highest {max(ratios):.1f})",
          flush=True)


def bench_numpy(reps):
    """Each chapter function against lmprob on float64 logits (the dtype of the chapter's own arrays) and on
    float32 ones (what a model's logits are; numpy then computes in float32 too, lmprob takes its float32
    kernels)."""
    from peer_sample import nucleus_sample as ch_nucleus_sample
    from peer_sample import softmax as ch_softmax
    from peer_sample import temperature_sample as ch_temperature_sample
    from peer_sample import top_k_sample as ch_top_k_sample

    V = 50257
    rng = np.random.default_rng(2)
    cpu = os.environ.get("CLOCK") == "cpu"
    clock, stat, how = (time.thread_time, min, "thread CPU time, fastest round") if cpu else \
        (time.perf_counter, statistics.median, "wall, median")
    for dt in (np.float64, np.float32):
        tag = "f64" if dt is np.float64 else "f32"
        x = (rng.standard_normal(V) * 3).astype(dt)
        p = ch_softmax(x)
        q = ch_softmax((rng.standard_normal(V) * 3).astype(dt))
        lp = np.log(p[rng.integers(0, V, 4096)])
        top = int(np.argmax(x))
        tol = dict(rtol=1e-6, atol=1e-9) if dt is np.float64 else dict(rtol=2e-4, atol=1e-6)
        np.random.seed(0)
        r = lmprob.RandomState(0)
        rows = [
            ("softmax", lambda: ch_softmax(x), lambda: lmprob.softmax(x), ch_softmax(x), lmprob.softmax(x)),
            ("shannon_entropy", lambda: ch_shannon_entropy(p), lambda: lmprob.entropy(p),
             ch_shannon_entropy(p), lmprob.entropy(p)),
            ("kl_divergence", lambda: ch_kl_divergence(p, q), lambda: lmprob.kl(p, q, eps=1e-10),
             ch_kl_divergence(p, q), lmprob.kl(p, q, eps=1e-10)),
            # the most likely class: the chapter's + 1e-9 inside the log is then below the rounding
            ("cross_entropy_loss", lambda: ch_cross_entropy_loss(x, top), lambda: lmprob.cross_entropy_loss(x, top),
             ch_cross_entropy_loss(x, top), lmprob.cross_entropy_loss(x, top)),
            ("perplexity_from_log_probs", lambda: ch_perplexity_from_log_probs(lp), lambda: lmprob.perplexity(lp),
             ch_perplexity_from_log_probs(lp), lmprob.perplexity(lp)),
            ("temperature_sample", lambda: ch_temperature_sample(x, 0.7),
             lambda: lmprob.sample(x, temperature=0.7, rng=r), None, None),
            ("top_k_sample", lambda: ch_top_k_sample(x, 50), lambda: lmprob.sample(x, top_k=50, rng=r), None, None),
            ("nucleus_sample", lambda: ch_nucleus_sample(x, 0.9), lambda: lmprob.sample(x, top_p=0.9, rng=r),
             None, None),
        ]
        note = f"{tag} logits, 1 thread each, {how}"
        chapter_table([(n, note, *rest) for n, *rest in rows], reps, f"_{tag}_V{V}", tag, tol, 20, 1, clock, stat)


def bench_numpy_chapter_inputs(reps):
    """The same chapter functions on the chapter's own example inputs (2 to 100 numbers, float64), where a
    call's fixed cost, not the arithmetic, is what is timed: numpy's few ufunc calls against one call into
    lmprob. Wall time, median (the calls take microseconds)."""
    from peer_sample import nucleus_sample as ch_nucleus_sample
    from peer_sample import softmax as ch_softmax
    from peer_sample import temperature_sample as ch_temperature_sample
    from peer_sample import top_k_sample as ch_top_k_sample

    words7 = np.array([3.0, 2.0, 1.5, 1.2, 0.8, 0.4, 0.1])      # the sampling section's logits
    probs5 = np.array([0.40, 0.25, 0.15, 0.12, 0.08])          # the chapter's first distribution
    P, Q = np.array([0.9, 0.1]), np.array([0.5, 0.5])         # KL is not symmetric
    ce5 = np.array([1.0, 2.0, 3.0, 0.5, 0.2])                 # 5-class logits, true class 2
    perfect = np.zeros(100)                                   # [log(1.0)] * 100
    np.random.seed(0)
    r = lmprob.RandomState(0)
    rows = [
        ("softmax", "7 logits", lambda: ch_softmax(words7), lambda: lmprob.softmax(words7),
         ch_softmax(words7), lmprob.softmax(words7)),
        ("shannon_entropy", "5 probabilities", lambda: ch_shannon_entropy(probs5), lambda: lmprob.entropy(probs5),
         ch_shannon_entropy(probs5), lmprob.entropy(probs5)),
        ("kl_divergence", "P = [0.9, 0.1], Q = [0.5, 0.5]", lambda: ch_kl_divergence(P, Q),
         lambda: lmprob.kl(P, Q, eps=1e-10), ch_kl_divergence(P, Q), lmprob.kl(P, Q, eps=1e-10)),
        ("cross_entropy_loss", "5 logits, class 2", lambda: ch_cross_entropy_loss(ce5, 2),
         lambda: lmprob.cross_entropy_loss(ce5, 2), ch_cross_entropy_loss(ce5, 2), lmprob.cross_entropy_loss(ce5, 2)),
        ("perplexity_from_log_probs", "100 log-probabilities", lambda: ch_perplexity_from_log_probs(perfect),
         lambda: lmprob.perplexity(perfect), ch_perplexity_from_log_probs(perfect), lmprob.perplexity(perfect)),
        ("temperature_sample", "7 logits, T 0.7", lambda: ch_temperature_sample(words7, 0.7),
         lambda: lmprob.sample(words7, temperature=0.7, rng=r), None, None),
        ("top_k_sample", "7 logits, k 3", lambda: ch_top_k_sample(words7, 3),
         lambda: lmprob.sample(words7, top_k=3, rng=r), None, None),
        ("nucleus_sample", "7 logits, p 0.9", lambda: ch_nucleus_sample(words7, 0.9),
         lambda: lmprob.sample(words7, top_p=0.9, rng=r), None, None),
    ]
    chapter_table([(n, f"the chapter's example: {what}; 1 thread each, wall, median", *rest)
                   for n, what, *rest in rows], reps, "_f64_chapter_input", "chapter_input",
                  dict(rtol=1e-6, atol=1e-8), 2000, 2)


def bench_numpy_stream(reps):
    """lmprob.RandomState against numpy.random.RandomState, both seeded alike: the same draws (checked equal
    first), 10^5 values a call. randint for each dtype family (the narrow ones draw pieces of 32-bit words),
    permutation (numpy's shuffle: one masked draw an item), binomial (inversion and BTPE), and the continuous
    draws. One thread each; the lines say how each time was taken."""
    n = 10 ** 5
    cpu = os.environ.get("CLOCK") == "cpu"
    clock, stat, how = (time.thread_time, min, "thread CPU time, fastest round") if cpu else \
        (time.perf_counter, statistics.median, "wall, median")
    rows = [
        ("randint_int8", "randint(-100, 100, size=n, dtype=np.int8)", lambda g: g.randint(-100, 100, size=n, dtype=np.int8)),
        ("randint_int16", "randint(0, 1000, size=n, dtype=np.int16)", lambda g: g.randint(0, 1000, size=n, dtype=np.int16)),
        ("randint_bool", "randint(2, size=n, dtype=bool)", lambda g: g.randint(2, size=n, dtype=bool)),
        ("randint_int32", "randint(0, 50257, size=n, dtype=np.int32)", lambda g: g.randint(0, 50257, size=n, dtype=np.int32)),
        ("randint_int64", "randint(0, 50257, size=n)", lambda g: g.randint(0, 50257, size=n)),
        ("permutation", "permutation(n)", lambda g: g.permutation(n)),
        ("binomial_inversion", "binomial(10, 0.3, size=n)", lambda g: g.binomial(10, 0.3, size=n)),
        ("binomial_btpe", "binomial(1000, 0.3, size=n)", lambda g: g.binomial(1000, 0.3, size=n)),
        ("random_sample", "random_sample(n)", lambda g: g.random_sample(n)),
        ("standard_normal", "standard_normal(n)", lambda g: g.standard_normal(n)),
        ("poisson", "poisson(3.0, size=n)", lambda g: g.poisson(3.0, size=n)),
    ]
    for name, call, f in rows:
        a, b = np.random.RandomState(7), lmprob.RandomState(7)
        if not np.array_equal(f(a), f(b)) or a.random_sample() != b.random_sample():
            print(f"# bench_numpy_stream: {call} differs from numpy's", flush=True)
            continue
        t_ours, t_peer = side_by_side(lambda: f(b), lambda: f(a), reps, inner=5, clock=clock, stat=stat)
        line(f"py_numpy_stream_{name}", f"{t_ours * 1e6:.0f}", "numpy", f"{t_peer * 1e6:.0f}", "us",
             t_peer / t_ours, f"RandomState(7).{call}, n = 10^5, the same values; 1 thread each, {how}")


def main(argv):
    if len(argv) < 2:
        print(__doc__)
        return 2
    arpa, text = argv[0], argv[1]
    reps = int(argv[2]) if len(argv) > 2 else 7
    # The machine is shared: a reader of the lines should know how busy it was.
    print("# load average %.1f %.1f %.1f on %d cores; medians of %d rounds" % (*os.getloadavg(), os.cpu_count(), reps))
    bench_kenlm(arpa, text, reps)
    bench_torch(reps)
    bench_numpy(reps)
    bench_numpy_chapter_inputs(reps)
    bench_numpy_stream(reps)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
