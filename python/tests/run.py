#!/usr/bin/python3
"""Run lmprob's Python tests (python/tests/test_*.py) with unittest and end with one line
"N passed, M failed" for tests/run.sh. Skipped tests (a peer that is not installed, such as
kenlm's own module) are listed and counted apart, never as passed.

    PYTHONPATH=build/python LMPROB=build/lmprob /usr/bin/python3 python/tests/run.py [test_x ...]
"""
import os
import sys
import time
import unittest

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)


class Result(unittest.TextTestResult):
    def __init__(self, *a, **k):
        super().__init__(*a, **k)
        self.passed = 0
        self.times = {}

    def startTest(self, test):
        self._t0 = time.perf_counter()
        super().startTest(test)

    def addSuccess(self, test):
        super().addSuccess(test)
        self.passed += 1
        self.times[test.id()] = time.perf_counter() - self._t0


def main(argv):
    names = argv or sorted(f[:-3] for f in os.listdir(here) if f.startswith("test_") and f.endswith(".py"))
    loader = unittest.TestLoader()
    suite = unittest.TestSuite(loader.loadTestsFromName(n) for n in names)
    runner = unittest.TextTestRunner(stream=sys.stdout, verbosity=1, resultclass=Result)
    t0 = time.perf_counter()
    res = runner.run(suite)
    failed = len(res.failures) + len(res.errors) + len(res.unexpectedSuccesses)
    for t, why in res.skipped:
        print(f"skipped: {t.id()}: {why}")
    slow = sorted(res.times.items(), key=lambda kv: -kv[1])[:5]
    print("slowest: " + ", ".join(f"{k.split('.', 1)[1]} {v:.1f}s" for k, v in slow))
    print(f"python ({time.perf_counter() - t0:.1f} s, {len(res.skipped)} skipped): {res.passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
