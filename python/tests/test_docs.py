"""docs/python.md's worked example, run as a user would run it (from the repository's root, where
../shared is the shared material) and compared line by line with the output the page shows."""
import os
import re
import subprocess
import sys
import unittest

from common import ROOT, SHARED
import lmprob

DOC = os.path.join(ROOT, "docs", "python.md")


def worked_example():
    """The first ```python block after '## Worked example' and the first plain ``` block after it."""
    with open(DOC) as f:
        text = f.read()
    part = text[text.index("## Worked example"):]
    m = re.search(r"```python\n(.*?)```.*?```\n(.*?)```", part, re.S)
    return m.group(1), m.group(2)


class TestDocs(unittest.TestCase):
    def test_worked_example(self):
        code, want = worked_example()
        self.assertIn("import lmprob.kenlm as kenlm", code)
        env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(lmprob.__file__)))
        # The page reads ../shared from the repository's root; LMPROB_SHARED may put it elsewhere.
        code = code.replace('"../shared/', '"' + os.path.abspath(SHARED) + "/")
        r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                           timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.splitlines(), want.splitlines())


if __name__ == "__main__":
    unittest.main()
