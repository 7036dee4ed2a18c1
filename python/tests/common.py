"""What the Python tests share: where the CLI, the shared material and the module are."""
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SHARED = os.environ.get("LMPROB_SHARED", os.path.join(ROOT, "..", "shared"))
LMPROB = os.environ.get("LMPROB", os.path.join(ROOT, "build", "lmprob"))
PTB = os.path.join(SHARED, "data", "ptb")
GPT2_DIR = os.path.join(SHARED, "gpt2")

import lmprob  # noqa: E402  (PYTHONPATH points at the build's package)

try:
    import numpy as np  # noqa: F401
except ImportError:  # the module works without numpy; most tests compare with it
    np = None


def run_threads(work, n):
    """Run work(0), ..., work(n - 1) on n threads at once; return when all have ended."""
    import threading

    ts = [threading.Thread(target=work, args=(j,)) for j in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()


def cli(*args, stdin=None):
    """Run the lmprob CLI; return stdout (raises on a non-zero exit)."""
    r = subprocess.run([LMPROB, *map(str, args)], input=stdin, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"lmprob {' '.join(map(str, args))}: exit {r.returncode}: {r.stderr}")
    return r.stdout


def cli_json(*args, stdin=None):
    return json.loads(cli(*args, "--json", stdin=stdin))


_tmp = tempfile.TemporaryDirectory(prefix="lmprob-pytest-")
TMP = _tmp.name

# A small word corpus (the PTB training text's first lines, <unk> renamed as KenLM needs),
# and a 3-gram model of it trained by the CLI, shared by the n-gram tests.
_small = {}


def small_corpus(lines=3000):
    key = ("corpus", lines)
    if key not in _small:
        path = os.path.join(TMP, f"small{lines}.txt")
        with open(os.path.join(PTB, "ptb.train.txt")) as f, open(path, "w") as out:
            for i, line in enumerate(f):
                if i >= lines:
                    break
                out.write(line.replace("<unk>", "UNK"))
        _small[key] = path
    return _small[key]


def small_model(order=3):
    key = ("model", order)
    if key not in _small:
        arpa = os.path.join(TMP, f"small{order}.arpa")
        cli("train", "--order", order, "--quiet", "--output", arpa, small_corpus())
        _small[key] = arpa
    return _small[key]


def test_sentences(n=400):
    with open(os.path.join(PTB, "ptb.test.txt")) as f:
        return [l.rstrip("\n").replace("<unk>", "UNK") for l, _ in zip(f, range(n))]


def kenlm_module():
    """KenLM's own Python module when importable (KENLM_PY: a folder holding it), else None."""
    extra = os.environ.get("KENLM_PY")
    if extra and extra not in sys.path:
        sys.path.append(extra)
    try:
        import kenlm
    except ImportError:
        return None
    if getattr(kenlm, "__file__", "").startswith(os.path.dirname(lmprob.__file__)):
        return None
    return kenlm
