"""The library's text formats under a locale whose decimal mark is a comma.

ARPA files, JSON (a GPT-2 config.json) and the metadata a model records use a decimal point whatever the
program's locale. A Python program that calls locale.setlocale(locale.LC_ALL, "de_DE.UTF-8") changed how the
library read numbers (strtod follows LC_NUMERIC): an ARPA model was refused ("log10 probability: expected a
number, got '-1.2999429'"), a config's 0.00001 was read as 0. Each case runs in a child interpreter with a
de_DE locale made by localedef into a temporary folder (LOCPATH), and compares with this process (C locale).
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

from common import GPT2_DIR, ROOT, lmprob

FIX = os.path.join(ROOT, "tests", "fixtures")
LOCALE_SRC = "/usr/share/i18n/locales/de_DE"  # Debian's locales package (scripts/setup.sh installs it for tests)

CHILD = r"""
import json, locale, sys
locale.setlocale(locale.LC_ALL, "de_DE.UTF-8")
assert locale.localeconv()["decimal_point"] == ",", locale.localeconv()["decimal_point"]
import lmprob
job = json.loads(sys.argv[1])
out = {}
m = lmprob.Model(job["arpa"])
out["scores"] = [m.score(s) for s in job["sentences"]]
lmprob.train(text=job["text"], order=2, estimator="addk", k=0.5, output=job["addk_out"])
g = lmprob.GPT2(job["gpt2"])
out["eps"] = g.config["eps"]
out["logits"] = [float(x) for x in g.logits([464, 3290, 318], last_only=True)[:8]]
print(json.dumps(out))
"""


@unittest.skipUnless(os.path.exists(LOCALE_SRC) and shutil.which("localedef"),
                     "no de_DE locale source (Debian package locales) or localedef")
class TestDecimalComma(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp()
        loc = os.path.join(cls.tmp, "loc")
        os.mkdir(loc)
        r = subprocess.run(["localedef", "-i", "de_DE", "-f", "UTF-8", os.path.join(loc, "de_DE.UTF-8")],
                           capture_output=True, text=True)
        # localedef exits 1 on warnings it still writes the locale for
        if not os.path.isdir(os.path.join(loc, "de_DE.UTF-8")):
            raise RuntimeError("localedef failed: " + r.stderr)
        cls.env = dict(os.environ, LOCPATH=loc)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_numbers_in_files_read_and_written_with_a_point(self):
        d = self.tmp
        # a GPT-2 folder whose config writes its epsilon with a point and no exponent
        g = os.path.join(d, "gpt2")
        os.mkdir(g)
        with open(os.path.join(GPT2_DIR, "tiny-hf", "config.json")) as f:
            cfg = json.load(f)
        with open(os.path.join(g, "config.json"), "w") as f:
            f.write(json.dumps(cfg).replace('"layer_norm_epsilon": 1e-05', '"layer_norm_epsilon": 0.00001'))
        os.symlink(os.path.join(GPT2_DIR, "tiny-hf", "model.safetensors"), os.path.join(g, "model.safetensors"))
        job = {"arpa": os.path.join(FIX, "model", "tiny.arpa"), "sentences": ["a b c", "b a", "c c a b"],
               "text": "a b c\nb a\nc c a b\na a\n", "addk_out": os.path.join(d, "addk_de.arpa"), "gpt2": g}
        r = subprocess.run([sys.executable, "-c", CHILD, json.dumps(job)], capture_output=True, text=True,
                           env=self.env)
        self.assertEqual(r.returncode, 0, r.stderr)
        got = json.loads(r.stdout)
        # the same numbers as in this process, bit for bit
        m = lmprob.Model(job["arpa"])
        self.assertEqual(got["scores"], [m.score(s) for s in job["sentences"]])
        self.assertEqual(got["eps"], 1e-5)
        ref = lmprob.GPT2(os.path.join(GPT2_DIR, "tiny-hf"))
        self.assertEqual(got["logits"], [float(x) for x in ref.logits([464, 3290, 318], last_only=True)[:8]])
        # the model written there is the one written here, its recorded k included
        c_out = os.path.join(d, "addk_c.arpa")
        lmprob.train(text=job["text"], order=2, estimator="addk", k=0.5, output=c_out)
        with open(job["addk_out"]) as a, open(c_out) as b:
            de, c = a.read(), b.read()
        self.assertIn("k=0.5", de)
        self.assertEqual(de, c)


if __name__ == "__main__":
    unittest.main()
