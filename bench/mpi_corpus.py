#!/usr/bin/python3
"""A larger training corpus for bench/bench_mpi.sh: sentences sampled from the maximum-likelihood
trigram model of PTB train + WikiText-2 train (each next word drawn uniformly from the words that
follow the last two in those corpora, <unk> renamed UNK for lmplz), seed 1, until TOKENS words.
A Markov chain's text has natural counts of counts (modified Kneser-Ney's discounts stay in range),
and its 4- and 5-grams are mostly new: a corpus that grows in n-grams as it grows in tokens.
usage: mpi_corpus.py TOKENS OUT FILE..."""
import random
import sys


def main():
    want, out, files = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
    follow = {}
    for path in files:
        with open(path, encoding="utf-8") as f:
            for line in f:
                w = ["<s>", "<s>"] + ["UNK" if t == "<unk>" else t for t in line.split()] + ["</s>"]
                for i in range(2, len(w)):
                    follow.setdefault((w[i - 2], w[i - 1]), []).append(w[i])
    rng = random.Random(1)
    n = 0
    with open(out, "w", encoding="utf-8") as f:
        while n < want:
            a, b, sent = "<s>", "<s>", []
            while len(sent) < 200:
                c = rng.choice(follow[(a, b)])
                if c == "</s>":
                    break
                sent.append(c)
                a, b = b, c
            f.write(" ".join(sent) + "\n")
            n += len(sent)


main()
