#!/usr/bin/python3
"""lmprob's n-gram estimators against NLTK's nltk.lm (tests/cli/test_estimators.sh).

usage: nltk_ref.py LMPROB ORDER TRAIN.txt MODEL.arpa:KIND[:PARAM] ...
  KIND: wb (WittenBellInterpolated), abs (AbsoluteDiscountingInterpolated,
  PARAM = discount), lidstone (Lidstone, PARAM = gamma), mle (MLE), stupid
  (StupidBackoff, PARAM = alpha). ORDER 2: NLTK pads a sentence with
  ORDER - 1 <s> and </s>, which for ORDER 2 is lmprob's <s> w1 .. wn </s>.
  Several models in one run (NLTK's import is most of the time).

For every context h (the ORDER - 1 words before; <s> allowed, </s> not) and
every word w of the vocabulary but <s>, NLTK's lm.score(w, h) is compared with
lmprob's log10 p(w | h), read from `lmprob ppl --per-token --json` on the
sentence "h w" (or "w" after <s>). Pairs that a back-off model cannot hold
are skipped: Lidstone's k / (c(h) + kV) for a word unseen after h (NLTK adds k
to every word of the vocabulary; lmprob backs off). NLTK's 0 must be lmprob's
-99 floor or below. Prints "compared N pairs, max |diff log10| D" and exits 1
when a pair differs by more than 2e-6 (the ARPA file holds 8 digits and the
model float32: about 1e-7 relative), one line per model."""
import json
import math
import subprocess
import sys

from nltk.lm import MLE, AbsoluteDiscountingInterpolated, Lidstone, StupidBackoff, WittenBellInterpolated
from nltk.lm.preprocessing import padded_everygram_pipeline

lmprob, order, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
sents = [line.split() for line in open(path, encoding="utf-8")]
name = {"<UNK>": "<unk>"}  # NLTK's unknown-word label; lmprob's is <unk>


def check(arpa, kind, param):
    """Compare one lmprob model with NLTK's; returns the number of mismatches."""
    train, vocab = padded_everygram_pipeline(order, sents)
    models = {
        "wb": lambda: WittenBellInterpolated(order),
        "abs": lambda: AbsoluteDiscountingInterpolated(order, discount=param),
        "lidstone": lambda: Lidstone(param, order),
        "mle": lambda: MLE(order),
        "stupid": lambda: StupidBackoff(alpha=param, order=order),
    }
    lm = models[kind]()
    lm.fit(train, vocab)
    words = sorted(w for w in lm.vocab if w != "<s>")
    contexts = [()] if order == 1 else [(h,) for h in sorted(lm.vocab) if h not in ("</s>", "<UNK>")]
    pairs, lines, pick = [], [], []
    for h in contexts:
        for w in words:
            if kind == "lidstone" and order == 2 and lm.counts[list(h)][w] == 0:
                continue
            ref = lm.score(w, list(h))
            hh = [x for x in h if x != "<s>"]
            ws = [] if w == "</s>" else [name.get(w, w)]
            lines.append(" ".join([name.get(x, x) for x in hh] + ws))
            pick.append(len(hh))  # index of w's token in that sentence
            pairs.append((" ".join(h + (w,)), ref))
    with open(arpa + ".pairs.txt", "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    cmd = [lmprob, "ppl", "--per-token", "--json"] + (["--scores"] if kind == "stupid" else []) + [arpa, arpa + ".pairs.txt"]
    toks = json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout)["per_token"]
    sent, i = [], 0
    for n in lines:  # tokens per sentence: the words and </s>
        k = len(n.split()) + 1
        sent.append(toks[i:i + k])
        i += k
    worst, bad = 0.0, 0
    for (label, ref), s, j in zip(pairs, sent, pick):
        got = s[j]["log10_prob"]
        if ref == 0:
            ok = got <= -99
            d = 0.0
        else:
            d = abs(got - math.log10(ref))
            ok = d <= 2e-6
        worst = max(worst, d)
        if not ok:
            bad += 1
            print(f"MISMATCH {kind} order {order}: p({label}) nltk {ref!r} lmprob 10^{got}")
    print(f"{arpa}: {kind} order {order}: compared {len(pairs)} pairs, max |diff log10| {worst:.2g}")
    return bad + (0 if pairs else 1)


fails = 0
for spec in sys.argv[4:]:
    parts = spec.split(":")
    fails += check(parts[0], parts[1], float(parts[2]) if len(parts) > 2 and parts[2] else 0.0)
sys.exit(1 if fails else 0)
