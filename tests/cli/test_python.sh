# The Python module (make python; python/tests/run.py): its tests against the CLI under test, numpy, scipy,
# torch, KenLM's own module (when KENLM_PY names its folder) and ../shared/gpt2, and the worked example of
# docs/python.md. The module of the plain build is the one tested: an ASan build of an extension would need
# libasan preloaded into the interpreter, so under build/asan this script only says so.
# run once: the plain build's module is the one tested.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
: "${LMPROB:?set LMPROB to the lmprob binary}"
bdir=$(dirname "$LMPROB")
case "$bdir" in
  */asan) echo "test_python.sh: the Python module is tested on the plain build only"
          echo "test_python.sh: 0 passed, 0 failed"; exit 0 ;;
esac
py=${PYTHON:-/usr/bin/python3}
if [ ! -f "$bdir/python/lmprob/__init__.py" ]; then
  echo "FAIL: $bdir/python/lmprob not built (make python; Debian's python3-dev)"
  echo "test_python.sh: 0 passed, 1 failed"; exit 1
fi
PYTHONPATH="$bdir/python" LMPROB="$LMPROB" exec "$py" "$root/python/tests/run.py"
