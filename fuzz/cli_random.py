#!/usr/bin/env python3
"""Random command lines against the lmprob CLI: a seeded search for crashes, sanitizer reports, failures
without a message, and hangs.

Each command line starts from a valid invocation of one command (the BASES below, on small copies of the
fixtures) and is mutated: an argument replaced by an edge value, a flag from the command's own --help added
with an edge value, or a flag added bare. Run it on the sanitized build, where UBSan and LeakSanitizer turn
quiet defects into reports:

    make SAN=1 cli && fuzz/cli_random.py --seed 1 --seconds 600

Everything runs in a fresh temporary folder holding copies of every file a command line may name, so an
--output that lands on an input overwrites a copy (an earlier throw-away version of this search wrote over a
fixture of the repository). Reported, one line each:
  BAD    a signal, an exit status other than 0, 1, 2, or a sanitizer report (fails the run);
  NOMSG  exit 1 or 2 without an "lmprob: ..." message on stderr (fails the run);
  SLOW   no exit within --timeout: most are requests for billions of numbers (rng -n 4294967296), which
         are what was asked; read them, they do not fail the run.
Exit status: 1 when a BAD or NOMSG line was printed, else 0. docs/reliability.md lists what it found.
"""
import argparse
import os
import random
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.environ.get("LMP_SHARED", os.path.join(os.path.dirname(ROOT), "shared"))

# Valid invocations, on the copies made in the work folder (A, B: n-gram models; HF: the tiny GPT-2; T, t.txt:
# texts; nums.txt: number pairs; golden.json: a golden reference file).
BASES = [
    "dist normal --mu 0 --sigma 1 --cdf 1.96", "dist categorical --p 0.2,0.3,0.5 --sample 10",
    "dist mvn --mean 0,0 --cov 1,0.5;0.5,1 --sample 3", "dist gamma --shape 2 --scale 3 --pdf 1 --cdf 2 --quantile 0.3",
    "dist beta --a 2 --b 3 --sf 0.4", "dist binomial --trials 10 --p 0.3 --pmf 3 --quantile 0.5",
    "dist poisson --lam 4 --pmf 2 --sample 5", "dist student_t --df 3 --cdf 1", "dist dirichlet --alpha 1,2,3 --sample 2",
    "rng normal --rng numpy --seed 3 -n 5", "rng integers --high 6 --rng numpy --seed 3 -n 5", "rng uniform -n 4",
    "stats --json nums.txt", "stats --covariance nums.txt", "fit --degree 2 --eval 4 nums.txt",
    "bayes beta --a 2 --b 2 --heads 7 --trials 10 --json", "bayes disease --tests 2",
    "nn init --kind he_normal --fan-in 256 --fan-out 128 --rng numpy --seed 0",
    "experiment rule --draws 1000 --seed 7 --json", "experiment mc --draws 1000",
    "info --p 0.5,0.25,0.25 --q 0.4,0.4,0.2 --base 2",
    "decode --logits 3,2,1.5,0 --top-p 0.9 --temperature 0.7 -n 5 --seed 1",
    "train --order 3 --output out.arpa T", "ppl A T", "ppl --json B T", "ppl --model HF --window 64 --stride 32 --recipe all T",
    "generate A --top-k 40 --temperature 0.8 -n 3 --seed 7", "generate --model HF --prompt hello --top-p 0.9 --max-len 5",
    "next B --prompt the --top 5", "next --model HF --prompt hello --top 5", "kl --model A --model B T",
    "kl --model HF --model HF --window 32 --beta 0.1 t.txt", "model convert A out.bin", "model info B", "model verify B",
    "mix A A --held-out t.txt --output out.arpa --ppl t.txt", "prune A --threshold 1e-3 --output out.arpa",
    "filter A --union t.txt --output out.arpa", "tokenize T --count", "tokenize --tokens t.txt", "gpt2 info HF",
    "gpt2 logits HF 15496,11,616", "chapter 9 --seed 7 --clt-repeats 5", "verify golden.json",
]
EDGE = ["0", "-0", "1", "-1", "2", "0.5", "1e308", "-1e308", "1e-320", "nan", "inf", "-inf", "", "x", "1e400",
        "999999999999", "18446744073709551616", "-5", "1.5", "0,0", "1,-1", "65536", "1024", "1025", "50257", "50256",
        "/dev/null", "/dev/zero", "t.txt", "bin.dat", "A", "B", "HF", "-", "2147483648", "4294967296", "1e-300",
        "0.999999999", "1,2,3,4,5,6,7,8,9,10"]
NAMES = {"A": "tiny3.arpa", "B": "tiny3.bin", "HF": "hf", "T": "small.txt"}


def setup(work, lmprob):
    """Copies of every file a command line may name, in work."""
    fix = os.path.join(ROOT, "tests", "fixtures")
    shutil.copy(os.path.join(fix, "train_small.txt"), os.path.join(work, "small.txt"))
    with open(os.path.join(work, "t.txt"), "w") as f:
        f.write("the cat sat on the mat\nhello world\n")
    with open(os.path.join(work, "bin.dat"), "wb") as f:
        f.write(random.Random(0).randbytes(3000))
    with open(os.path.join(work, "nums.txt"), "w") as f:
        f.write("1 2\n3 4\n5 6.5\n-1 0\n")
    shutil.copytree(os.path.join(SHARED, "gpt2", "tiny-hf"), os.path.join(work, "hf"))
    for root, dirs, files in os.walk(os.path.join(work, "hf")):
        for n in dirs + files:
            os.chmod(os.path.join(root, n), 0o755 if n in dirs else 0o644)
    os.chmod(os.path.join(work, "hf"), 0o755)
    shutil.copy(os.path.join(SHARED, "golden", "reference.json"), os.path.join(work, "golden.json"))
    run = lambda *a: subprocess.run([lmprob, *a], cwd=work, check=True, capture_output=True)
    run("train", "--quiet", "--order", "3", "--output", "tiny3.arpa", "small.txt")
    run("model", "convert", "tiny3.arpa", "tiny3.bin")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 epilog="example: fuzz/cli_random.py --seed 1 --seconds 600")
    ap.add_argument("--lmprob", default=os.path.join(ROOT, "build", "asan", "lmprob"),
                    help="the CLI to run (default build/asan/lmprob, the sanitized build)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--seconds", type=float, default=300, help="how long to search (default 300)")
    ap.add_argument("--timeout", type=float, default=30, help="seconds before a command line is SLOW (default 30)")
    args = ap.parse_args()
    lmprob = os.path.abspath(args.lmprob)
    if not os.access(lmprob, os.X_OK):
        sys.exit(f"cli_random.py: {lmprob}: not an executable: build it (make SAN=1 cli) or give --lmprob")
    rnd = random.Random(args.seed)
    work = tempfile.mkdtemp(prefix="lmprob-cli-random-")
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1", UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1")
    flag_cache = {}

    def flags(words):
        key = tuple(w for w in words[:2] if re.fullmatch(r"[a-z0-9]+", w))
        if key not in flag_cache:
            out = subprocess.run([lmprob, *key, "--help"], capture_output=True, text=True, errors="replace").stdout
            flag_cache[key] = sorted(set(re.findall(r"(--[a-z][a-z0-9-]*)", out)) - {"--help"})
        return flag_cache[key]

    try:
        setup(work, lmprob)
        t0, runs, failed, codes = time.time(), 0, 0, {}
        while time.time() - t0 < args.seconds:
            words = shlex.split(rnd.choice(BASES))
            for _ in range(rnd.randint(1, 3)):
                r = rnd.random()
                values = [i for i, w in enumerate(words) if i > 1 and not w.startswith("--")]
                if r < 0.5 and values:
                    words[rnd.choice(values)] = rnd.choice(EDGE)
                elif flags(words):
                    words += [rnd.choice(flags(words))] + ([rnd.choice(EDGE)] if r < 0.85 else [])
            words = [NAMES.get(w, w) for w in words]
            runs += 1
            try:
                p = subprocess.run([lmprob, *words], cwd=work, capture_output=True, timeout=args.timeout,
                                   stdin=subprocess.DEVNULL, env=env)
            except subprocess.TimeoutExpired:
                print("SLOW", shlex.join(words), flush=True)
                continue
            err = p.stderr.decode(errors="replace")
            codes[p.returncode] = codes.get(p.returncode, 0) + 1
            if p.returncode < 0 or p.returncode > 2 or re.search(r"Sanitizer|runtime error", err):
                failed += 1
                print("BAD rc=%d %s\n    %s" % (p.returncode, shlex.join(words), err[-700:].replace("\n", "\n    ")),
                      flush=True)
            elif p.returncode in (1, 2) and "lmprob:" not in err:
                failed += 1
                print("NOMSG rc=%d %s: %r" % (p.returncode, shlex.join(words), err[-200:]), flush=True)
        print("cli_random.py: seed %d: %d command lines, %d failed; exit statuses %s"
              % (args.seed, runs, failed, dict(sorted(codes.items()))))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
