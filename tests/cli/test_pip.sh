# `pip install .` and pip's view of `make install` (docs/python.md, "Build and install"): in a fresh venv
# of Debian's python3, pip (build isolation on, --no-index: nothing from PyPI) builds the wheel with the
# in-tree backend (python/lmprob_backend.py) and installs it; the module imports from outside the tree,
# computes, and has the CLI's version; pip and importlib.metadata know it; pip uninstall removes every
# file. `pip install -e` the same way: a .pth naming a build folder whose Python files are the tree's.
# Then `make install PREFIX=<the venv>` writes a .dist-info that pip shows and uninstalls.
# The build is the plain one make test has already built: the backend's make compiles nothing for it but
# the module's eight files for a python without numpy, once per build folder (build/obj/python/<ABI>).
# run once: it builds and installs the plain build's module whatever CLI is under test.
. "$(dirname "$0")/lib.sh"
root=$(cd "$(dirname "$0")/../.." && pwd)
bdir=$(dirname "$LMPROB")
case "$bdir" in
  */asan) bdir=${bdir%/asan} ;;   # the plain build (same sources)
esac
py=/usr/bin/python3
want=$("$LMPROB" --version | awk '{print $2}')
# The backend builds in the build folder make does: BUILD, as make reads it from the environment.
export BUILD="$bdir"
v="$TMPD/v"
vpy="$v/bin/python"

if ! "$py" -m venv "$v" >"$TMPD/venv.out" 2>&1; then
  bad "$py -m venv failed (Debian's python3-venv; scripts/setup.sh installs it): $(head -c 300 "$TMPD/venv.out")"
  finish; exit
fi
site=$("$vpy" -c 'import sysconfig; print(sysconfig.get_path("platlib"))')

# make python's module (build/python/lmprob), which the other tests import: pip builds in a folder of its own
# (build/pip/<ABI>) and leaves it as it was, though its python (the venv's, without numpy) compiles the
# module's files without numpy's C API.
mod_sum() { cat "$bdir"/python/lmprob/_lmprob*.so 2>/dev/null | sha256sum; }
mod_before=$(mod_sum)
expect_ok "pip install --no-index <repo> (offline, build isolation on)" \
  sh -c "cd '$TMPD' && '$v/bin/pip' install --no-index '$root'"
if [ "$(mod_sum)" = "$mod_before" ]; then ok; else bad "pip install rewrote $bdir/python/lmprob's module"; fi
# Where the module came from, its version, a tokenizer with its packaged vocabulary, and numbers (the
# venv has no numpy: results are memoryviews).
cat >"$TMPD/use.py" <<'PY'
import importlib.metadata, math, sys
import lmprob
assert lmprob.__file__.startswith(sys.argv[1] + "/lmprob/"), lmprob.__file__
assert lmprob.get_encoding("gpt2").encode("Hello world") == [15496, 995]
assert abs(lmprob.logsumexp([1.0, 2.0]) - math.log(math.e + math.e ** 2)) < 1e-12
assert [round(x, 12) for x in lmprob.softmax([0.0, math.log(3.0)]).tolist()] == [0.25, 0.75]
print(lmprob.__version__, importlib.metadata.version("lmprob"))
PY
expect_out "the installed module: version, get_encoding('gpt2'), logsumexp, softmax" "^$want $want\$" \
  sh -c "cd '$TMPD' && env -u LMPROB_GPT2_VOCAB -u PYTHONPATH '$vpy' use.py '$site'"
expect_out "pip show lmprob" "^Version: $want\$" "$v/bin/pip" show lmprob
# The wheel holds the package alone: the module, the Python files, stubs, the vocabulary, nothing else
# (installed files outside lmprob/ and its dist-info would be repository files leaking into the wheel).
"$v/bin/pip" show -f lmprob >"$TMPD/files" 2>&1
for f in lmprob/__init__.py lmprob/__init__.pyi lmprob/kenlm.py lmprob/py.typed lmprob/data/gpt2/encoder.json \
         lmprob/data/gpt2/vocab.bpe "lmprob/_lmprob$("$vpy" -c 'import sysconfig; print(sysconfig.get_config_var("EXT_SUFFIX"))')"; do
  if grep -qx "  $f" "$TMPD/files"; then ok; else bad "pip show -f: $f not installed: $(cat "$TMPD/files")"; fi
done
other=$(sed -n '/^Files:/,$p' "$TMPD/files" | tail -n +2 | grep -vE "^  (lmprob/|lmprob-$want\.dist-info/)")
if [ -z "$other" ]; then ok; else bad "the wheel installed files outside the package: $other"; fi
expect_ok "pip uninstall -y lmprob" "$v/bin/pip" uninstall -y lmprob
if [ ! -e "$site/lmprob" ] && ! ls -d "$site"/lmprob-* >/dev/null 2>&1; then ok
else bad "pip uninstall left $(ls -d "$site"/lmprob* 2>&1)"; fi

# pip install -e . (PEP 660): the backend's build_editable builds the module in build/editable/<ABI>/lmprob
# with its Python files as links to python/lmprob's, and the wheel installs a .pth naming that folder and
# the .dist-info, nothing else. An edit to a .py file is then live: the test sees it through the links, as
# it never edits the tree it is given.
expect_ok "pip install --no-index -e <repo> (offline, build isolation on)" \
  sh -c "cd '$TMPD' && '$v/bin/pip' install --no-index -e '$root'"
pth=$(cd "$site" && ls __editable__.lmprob-*.pth 2>/dev/null)
edir=$(cat "$site/$pth" 2>/dev/null)
expect_out "the editable module, from the .pth's folder: version, get_encoding('gpt2'), logsumexp, softmax" \
  "^$want $want\$" sh -c "cd '$TMPD' && env -u LMPROB_GPT2_VOCAB -u PYTHONPATH '$vpy' use.py '$edir'"
unlinked=""
for f in "$root"/python/lmprob/*.py "$root"/python/lmprob/*.pyi "$root"/python/lmprob/py.typed; do
  g="$edir/lmprob/${f##*/}"
  if [ ! -L "$g" ] || [ "$(readlink -f "$g")" != "$(readlink -f "$f")" ]; then unlinked="$unlinked $g"; fi
done
if [ -n "$edir" ] && [ -f "$edir/lmprob/__init__.py" ] && [ -z "$unlinked" ]; then ok
else bad "pip install -e: not links to python/lmprob's files (.pth '$pth' names '$edir'):$unlinked"; fi
# One pip show (each pip command costs about a second): pip knows the install as editable (its
# direct_url.json, which pip writes), and it holds the .pth and the .dist-info alone.
expect_out "pip show -f lmprob: the editable install's project" "^Editable project location: $root\$" "$v/bin/pip" show -f lmprob
cp "$TMPD/out" "$TMPD/files"
other=$(sed -n '/^Files:/,$p' "$TMPD/files" | tail -n +2 | grep -vE "^  lmprob-$want\.dist-info/")
if [ "$other" = "  $pth" ] && [ -n "$pth" ]; then ok; else bad "pip install -e installed more or less than the .pth: $(cat "$TMPD/files")"; fi
expect_out "pip uninstall -y lmprob (the editable install)" "Successfully uninstalled lmprob-$want" \
  "$v/bin/pip" uninstall -y lmprob
if [ -n "$pth" ] && [ ! -e "$site/$pth" ] && ! ls -d "$site"/lmprob* >/dev/null 2>&1 && \
   ! (cd "$TMPD" && env -u PYTHONPATH "$vpy" -c 'import lmprob' 2>/dev/null); then ok
else bad "pip uninstall of the editable install left '$pth' or $(ls -d "$site"/lmprob* 2>&1), or lmprob still imports"; fi

# make install's .dist-info: into the venv's prefix (sitedir.py gives its site-packages), then pip's view.
expect_ok "make install PREFIX=<venv>" make -s -C "$root" BUILD="$bdir" PREFIX="$v" install
if [ -f "$site/lmprob/__init__.py" ]; then ok; else bad "make install PREFIX=$v: no $site/lmprob"; fi
expect_out "pip show lmprob after make install" "^Version: $want\$" "$v/bin/pip" show lmprob
expect_out "pip list -v: make is the installer" "^lmprob +$want +$site +make\$" "$v/bin/pip" list -v
expect_out "importlib.metadata after make install" "^$want\$" \
  sh -c "cd '$TMPD' && '$vpy' -c 'import importlib.metadata as m; print(m.version(\"lmprob\"))'"
expect_out "the make-installed module computes" '^\[15496, 995\]$' \
  sh -c "cd '$TMPD' && env -u LMPROB_GPT2_VOCAB '$vpy' -c 'import lmprob; print(lmprob.get_encoding(\"gpt2\").encode(\"Hello world\"))'"
# The same listing from outside the venv: the prefix's folder given to pip as a path.
expect_out "pip list --path <make install's site-packages>" "^lmprob +$want\$" "$py" -m pip list --path "$site"
expect_ok "pip uninstall -y lmprob (make's install)" "$v/bin/pip" uninstall -y lmprob
if [ ! -e "$site/lmprob" ] && ! ls -d "$site"/lmprob-* >/dev/null 2>&1; then ok
else bad "pip uninstall of make's install left $(ls -d "$site"/lmprob* 2>&1)"; fi
if [ -f "$v/lib/liblmprob.a" ]; then ok; else bad "pip uninstall removed more than the package (lib/liblmprob.a)"; fi

# No Python.h (Debian's python3 without python3-dev): the backend says so before make runs.
expect_fail "no Python.h: a clear error" "no Python\.h in $TMPD/no-include" \
  "$py" -c "import sys, sysconfig
g = sysconfig.get_paths
sysconfig.get_paths = lambda *a, **k: dict(g(*a, **k), include='$TMPD/no-include')
sys.path.insert(0, '$root/python')
import lmprob_backend
lmprob_backend.build_wheel('$TMPD')"
if grep -Eq 'apt-get install python3\.[0-9]+-dev' "$TMPD/err"; then ok; else bad "no Python.h: the package to install is not named: $(cat "$TMPD/err")"; fi
finish
