# The Python module (make python; python/tests/run.py): its tests against the CLI under test, numpy, scipy,
# torch, KenLM's own module (when KENLM_PY names its folder) and ../shared/gpt2, and the worked example of
# docs/python.md. Both flavours: under build/asan the module is the sanitised one (make SAN=1 python), run by
# the uninstrumented interpreter with the module's ASan runtime preloaded (the one its ldd names: gcc's
# libasan, or clang's libclang_rt.asan), leaks not checked (the interpreter's own allocations are not
# leaks), and a huge allocation that the tests expect as MemoryError returned as NULL, not an abort.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
: "${LMPROB:?set LMPROB to the lmprob binary}"
bdir=$(dirname "$LMPROB")
if [ ! -f "$bdir/python/lmprob/__init__.py" ]; then
  echo "FAIL: $bdir/python/lmprob not built (make python; Debian's python3-dev)"
  echo "test_python.sh: 0 passed, 1 failed"; exit 1
fi
case "$bdir" in
  */asan)
    rt=$(ldd "$bdir"/python/lmprob/_lmprob*.so 2>/dev/null | awk '/asan/ { print $3; exit }')
    if [ -z "$rt" ] || [ ! -f "$rt" ]; then
      echo "FAIL: $bdir/python/lmprob: no ASan runtime among the module's libraries (ldd)"
      echo "test_python.sh: 0 passed, 1 failed"; exit 1
    fi
    export LD_PRELOAD=$rt ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=1 ;;
esac
py=${PYTHON:-/usr/bin/python3}
PYTHONPATH="$bdir/python" LMPROB="$LMPROB" exec "$py" "$root/python/tests/run.py"
