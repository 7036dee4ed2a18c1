"""The two roads arrays take in and out of the module (python/src/array.c): numpy's C API, and the
buffer protocol alone (LMPROB_PY_NUMPY_API=0, or a module built without numpy's headers). Every
case below is run in two child processes, one on each road; the results (type, dtype, shape,
strides, writability, the bytes) and the errors (type and message) must be the same.
"""
import json
import os
import subprocess
import sys
import unittest

from common import np

import lmprob
from lmprob import _lmprob

# Each case: a name and an expression over lmprob, np and the inputs made in CASES_SETUP.
CASES_SETUP = """
x64 = np.array([3.0, 2.0, 1.5, 1.2, 0.8, 0.4, 0.1])
x32 = x64.astype(np.float32)
m64 = np.arange(24, dtype=np.float64).reshape(4, 6) / 7.0
p5 = np.array([0.40, 0.25, 0.15, 0.12, 0.08])
big = np.linspace(-3.0, 3.0, 20000)  # a result of 160 KB: the block road out
# unaligned: the library reads `const double *`, which must be aligned; the module copies these
u64 = np.frombuffer(b"\\0" + x64.tobytes(), dtype=np.float64, offset=1)
u32 = np.frombuffer(b"\\0" + x32.tobytes(), dtype=np.float32, offset=1)
rec = np.zeros(7, dtype=np.dtype([("a", "u1"), ("x", "<f8")], align=False))  # a packed record: stride 9
rec["x"] = x64
"""
CASES = [
    ("softmax f64", "lmprob.softmax(x64)"),
    ("softmax f32", "lmprob.softmax(x32)"),
    ("softmax 2-D", "lmprob.softmax(m64)"),
    ("softmax axis 0", "lmprob.softmax(m64, axis=0)"),
    ("softmax strided", "lmprob.softmax(m64[:, ::2])"),
    ("softmax transposed", "lmprob.softmax(m64.T)"),
    ("softmax large", "lmprob.softmax(big)"),
    ("log_softmax large f32", "lmprob.log_softmax(big.astype(np.float32))"),
    ("softmax read-only", "lmprob.softmax(np.frombuffer(x64.tobytes()))"),
    ("softmax broadcast view", "lmprob.softmax(np.broadcast_to(x64, (3, 7)))"),
    ("softmax empty rows", "lmprob.softmax(np.zeros((0, 5)))"),
    ("softmax matrix subclass", "lmprob.softmax(np.matrix(m64))"),
    ("softmax list", "lmprob.softmax([1.0, 2.0, 3.0])"),
    ("entropy", "lmprob.entropy(p5)"),
    ("entropy int counts", "lmprob.entropy(np.array([3, 1, 0, 4], dtype=np.int64))"),
    ("entropy uint8", "lmprob.entropy(np.array([3, 1, 0, 4], dtype=np.uint8))"),
    ("entropy bool", "lmprob.entropy(np.array([True, False, True]))"),
    ("entropy keepdims", "lmprob.entropy(m64 + 1, keepdims=True)"),
    ("entropy axis None", "lmprob.entropy(m64 + 1, axis=None)"),
    ("kl broadcast", "lmprob.kl(m64 + 1, p5[:1] + np.zeros(6))"),
    ("perplexity", "lmprob.perplexity(-np.ones(100))"),
    ("ce loss 2-D", "lmprob.cross_entropy_loss(m64, np.array([0, 1, 2, 3]))"),
    ("unaligned softmax f64", "lmprob.softmax(u64)"),
    ("unaligned softmax f32", "lmprob.softmax(u32)"),
    ("unaligned ce loss", "lmprob.cross_entropy_loss(u64, 2)"),
    ("unaligned entropy", "lmprob.entropy(np.abs(u64))"),
    ("unaligned sample", "lmprob.sample(u32, top_p=0.9, rng=lmprob.RandomState(1))"),
    ("packed record field", "lmprob.log_softmax(rec['x'])"),
    ("error unaligned out",
     "lmprob.sample(np.tile(x64, (3, 1)), out=np.ndarray((3,), np.int64, bytearray(25), offset=1))"),
    ("sample 1-D", "lmprob.sample(x64, top_p=0.9, rng=lmprob.RandomState(1))"),
    ("sample 2-D", "lmprob.sample(np.tile(x32, (5, 1)), temperature=0.7, rng=lmprob.RandomState(1))"),
    ("randint int64", "lmprob.RandomState(3).randint(-5, 9, size=(4, 3))"),
    ("randint large", "lmprob.RandomState(3).randint(2**40, size=20000)"),  # 160 KB: the block road out
    ("randint uint64 large", "lmprob.RandomState(3).randint(2**64 - 5, 2**64, size=20000, dtype=np.uint64)"),
    ("randint large dtype class", "[type(lmprob.RandomState(3).randint(0, 2**k, size=20000, dtype=t).dtype).__name__ "
                                  "for k, t in ((40, int), (64, np.uint64))]"),  # np.int64, not np.longlong
    ("randint narrow", "[lmprob.RandomState(3).randint(-5, 9, size=(4, 3), dtype=t) for t in "
                       "(bool, np.int8, np.uint8, np.int16, np.uint16, np.int32, np.uint32)]"),
    ("randint bool large", "lmprob.RandomState(3).randint(2, size=70000, dtype=bool)"),
    ("randint int16 large", "lmprob.RandomState(3).randint(-300, 300, size=(300, 200), dtype=np.int16)"),
    ("randint broadcast", "lmprob.RandomState(3).randint([0, 10, 100], [[20], [200]], dtype=np.uint8)"),
    ("sample out", "lmprob.sample(np.tile(x64, (3, 1)), rng=lmprob.RandomState(1), out=np.zeros(3, dtype=np.int64))"),
    ("random normal", "lmprob.RandomState(5).normal(size=(2, 3))"),
    ("random choice", "lmprob.RandomState(5).choice(10, size=4)"),
    ("random state keys", "lmprob.RandomState(5).get_state()[1]"),
    # errors: the message must not depend on the road
    ("error float16", "lmprob.softmax(x64.astype(np.float16))"),
    ("byte-swapped", "lmprob.softmax(x64.astype('>f8'))"),  # read through a native copy (it was refused)
    ("error int logits", "lmprob.softmax(np.arange(4))"),
    ("error complex", "lmprob.entropy(np.ones(3, dtype=np.complex128))"),
    ("error object", "lmprob.entropy(np.array(['a', 'b'], dtype=object))"),
    ("error 0-d", "lmprob.softmax(np.array(1.0))"),
    ("error NaN logit", "lmprob.softmax(np.array([1.0, float('nan')]))"),
    ("error read-only out",
     "lmprob.sample(np.tile(x64, (3, 1)), out=np.frombuffer(np.zeros(3, dtype=np.int64).tobytes(), dtype=np.int64))"),
    ("error out dtype", "lmprob.sample(np.tile(x64, (3, 1)), out=np.zeros(3, dtype=np.int32))"),
    ("error 3-D sample", "lmprob.sample(np.zeros((2, 2, 2)))"),
]

CHILD = r"""
import json, sys
import numpy as np
import lmprob
from lmprob import _lmprob
exec(sys.argv[1])
cases = json.loads(sys.argv[2])


def describe(v):
    if isinstance(v, np.ndarray):
        return {"type": "ndarray", "dtype": str(v.dtype), "shape": list(v.shape), "strides": list(v.strides),
                "writeable": bool(v.flags.writeable), "c": bool(v.flags.c_contiguous), "hex": v.tobytes().hex()}
    if isinstance(v, float):
        return {"type": "float", "hex": v.hex()}
    return {"type": type(v).__name__, "repr": repr(v)}


out = {"road": _lmprob._array_road()}
for name, expr in cases:
    try:
        out[name] = describe(eval(expr))
    except Exception as e:  # the error is the result
        out[name] = {"error": type(e).__name__, "msg": str(e)}
print(json.dumps(out))
"""


@unittest.skipIf(np is None, "numpy is not installed")
class TestArrayRoads(unittest.TestCase):
    def run_child(self, road):
        env = dict(os.environ)
        if road == "buffer":
            env["LMPROB_PY_NUMPY_API"] = "0"
        else:
            env.pop("LMPROB_PY_NUMPY_API", None)
        r = subprocess.run([sys.executable, "-c", CHILD, CASES_SETUP, json.dumps(CASES)], env=env,
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout)

    def test_numpy_road_is_taken(self):
        # make python builds with numpy's headers when python3-numpy is installed (the set-up installs it)
        self.assertEqual(_lmprob._array_road(), "numpy")

    def test_same_results_both_roads(self):
        fast, slow = self.run_child("numpy"), self.run_child("buffer")
        self.assertEqual((fast.pop("road"), slow.pop("road")), ("numpy", "buffer"))
        self.assertEqual(set(fast), set(slow))
        for name, _ in CASES:
            with self.subTest(case=name):
                self.assertEqual(fast[name], slow[name])
        # the errors are errors on both roads, the results results
        self.assertIn("error", fast["error float16"])
        self.assertIn("error", fast["error read-only out"])
        self.assertIn("aligned", fast["error unaligned out"].get("msg", ""))
        for name in ("unaligned softmax f64", "unaligned ce loss", "packed record field"):  # values, not errors
            self.assertNotIn("error", fast[name], name)
        self.assertEqual(fast["softmax large"]["type"], "ndarray")
        self.assertTrue(fast["softmax f64"]["writeable"])

    def test_lists_without_numpy(self):
        # Without numpy at all, lists and tuples of numbers are read by the module itself (array.c
        # list_to_block): integers where integers are wanted (token ids, state keys), as numpy.asarray
        # makes them; they were all read as float64, so a list of targets was refused there.
        cases = [
            ("ce loss list targets", "lmprob.cross_entropy_loss([[1.0, 2.0], [3.0, 4.0]], [0, 1])"),
            ("ce loss tuple targets", "lmprob.cross_entropy_loss(((1.0, 2.0), (3.0, 4.0)), (1, 0))"),
            ("ce loss float targets", "lmprob.cross_entropy_loss([[1.0, 2.0], [3.0, 4.0]], [0, 1.5])"),
            ("set_state list keys", "[r.set_state((st[0], list(st[1]), st[2], st[3], st[4])), r.random_sample()][1]"),
            ("entropy int counts", "lmprob.entropy([3, 1, 0, 4])"),
            ("softmax int list", "lmprob.softmax([1, 2, 3]).tolist()"),
            ("log_softmax 2-D int list", "lmprob.log_softmax([[1, 2], [3, 5]]).tolist()"),
            ("sample history list", "lmprob.sample([1.0, 2.0, 3.0], repetition_penalty=1.3, history=[2, 2], "
                                    "rng=lmprob.RandomState(4))"),
        ]
        setup = "r = lmprob.RandomState(9); st = r.get_state(); r.random_sample()"
        child = ("import json, sys\nsys.modules['numpy'] = None\nimport lmprob\n" + setup + "\nout = {}\n"
                 "for name, expr in json.loads(sys.argv[1]):\n"
                 "    try:\n        out[name] = repr(eval(expr))\n"
                 "    except Exception as e:\n        out[name] = type(e).__name__ + ': ' + str(e)\n"
                 "print(json.dumps(out))\n")
        r = subprocess.run([sys.executable, "-c", child, json.dumps(cases)], capture_output=True, text=True,
                           timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        got = json.loads(r.stdout)
        ns = {"lmprob": lmprob}
        exec(setup, ns)
        for name, expr in cases:
            with self.subTest(case=name):
                try:
                    v = eval(expr, ns)
                    want = repr(v.tolist() if isinstance(v, np.ndarray) else type(v)(v) if np.isscalar(v) else v)
                except Exception as e:
                    want = type(e).__name__ + ": " + str(e)
                self.assertEqual(got[name], want)
        self.assertTrue(got["ce loss float targets"].startswith("TypeError"))

    def test_results_own_their_memory(self):
        # a small result is numpy's own array; a large one lives in lmprob's block, its base
        small, large = lmprob.softmax(np.zeros(4)), lmprob.softmax(np.zeros(20000))
        self.assertIsNone(small.base)
        self.assertIsNotNone(large.base)
        del large  # the block outlives nothing it should not: no crash, and the memory is reused
        again = lmprob.softmax(np.zeros(20000))
        self.assertTrue(np.allclose(again, 1 / 20000))


if __name__ == "__main__":
    unittest.main()
