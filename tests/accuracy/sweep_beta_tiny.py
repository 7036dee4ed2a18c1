#!/usr/bin/python3
"""Cases of the beta family with a tiny shape, for `gen_cases.py --from FILE --measure BIN` (docs/accuracy.md, seeds
45 to 50: the quantiles of a tiny b at a tiny p, and the front of I_x for a shape below 1/2).

    /usr/bin/python3 tests/accuracy/sweep_beta_tiny.py --kind ppf --seed 2 --n 360 --out /tmp/ppf2.json
    /usr/bin/python3 tests/accuracy/gen_cases.py --from /tmp/ppf2.json --measure build/lmprob --per-case

--kind ppf: beta_ppf with a log-uniform in 1e-3..1e3, b in 1e-300..1e-10, and p in --p-min..--p-max (1e-300..1e-20):
a third with p drawn log-uniform, a third with p = I_x(a, b) rounded for x = 1 - (1e-16..1e-2) (a quantile near 1),
a third for x in 0.01..0.99 or 1e-6..0.99 (not near 1). --kind cdf: beta_cdf (a 1..30, b 1e-300..1e-3, x below
1/2), beta_sf of the mirror, and beta_pdf at a = 1 + (1e-15..0.4). References and kappa as the generator's
(make_case), at 300 and 400 digits first (then 600, 1000, until two agree to 40 digits)."""
import argparse
import json
import math
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_cases as G  # noqa: E402
from mpmath import mp  # noqa: E402


def draws(kind, rng, p_min, p_max):
    def lu(lo, hi):
        return float(10 ** rng.uniform(math.log10(lo), math.log10(hi)))
    i = 0
    while True:
        if kind == "cdf":
            a, b = lu(1, 30), lu(1e-300, 1e-3)
            x = rng.uniform(1e-3, 0.5) if rng.random() < 0.7 else lu(1e-8, 0.5)
            r, i = i % 4, i + 1
            if r == 0:
                yield "beta_cdf", {"x": x, "a": a, "b": b}, "b-tiny"
            elif r == 1:
                yield "beta_sf", {"x": 1 - x, "a": b, "b": a}, "a-tiny"
            else:
                yield "beta_pdf", {"x": rng.uniform(0.01, 0.99), "a": 1 + lu(1e-15, 0.4), "b": lu(1, 30)}, "a-near-1"
            continue
        a, b = lu(1e-3, 1e3), lu(1e-300, 1e-10)
        r = rng.random()
        if r < 0.34:
            yield "beta_ppf", {"p": lu(p_min, p_max), "a": a, "b": b}, "p"
            continue
        if r < 0.67:
            label, x = "near1", 1 - lu(1e-16, 1e-2)
        else:
            label, x = "mid", rng.uniform(0.01, 0.99) if rng.random() < 0.5 else lu(1e-6, 0.99)
        with mp.workdps(100):
            p = float(G.betainc_ref(mp.mpf(a), mp.mpf(b), mp.mpf(x), False))
        if p_min <= p <= p_max:
            yield "beta_ppf", {"p": p, "a": a, "b": b}, label


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kind", choices=("ppf", "cdf"), default="ppf")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--n", type=int, default=360)
    ap.add_argument("--p-min", type=float, default=1e-300)
    ap.add_argument("--p-max", type=float, default=1e-20)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    G.DPS_LADDER = (300, 400, 600, 1000)
    rng = random.Random(a.seed)
    cases, dropped = [], 0
    for name, args, label in draws(a.kind, rng, a.p_min, a.p_max):
        if len(cases) == a.n:
            break
        try:
            cases.append(G.make_case(name, args, label, len(cases)))
        except G.NoReference:
            dropped += 1
    G.write(cases, a.out, "sweep_beta_tiny.py --kind %s --seed %d --n %d --p-min %g --p-max %g"
            % (a.kind, a.seed, a.n, a.p_min, a.p_max))
    print("%d cases written to %s (%d draws dropped)" % (len(cases), a.out, dropped), file=sys.stderr)


if __name__ == "__main__":
    main()
