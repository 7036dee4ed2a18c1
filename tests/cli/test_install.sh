# make install PREFIX=DIR installs library, headers and lmprob.pc; a C file outside the
# tree that calls lmp_version() builds with `cc x.c $(pkg-config --cflags --libs lmprob)` and runs.
# run once: it installs the plain build whatever CLI is under test.
. "$(dirname "$0")/lib.sh"
root=$(cd "$(dirname "$0")/../.." && pwd)
bdir=$(dirname "$LMPROB")
case "$bdir" in
  */asan) bdir=${bdir%/asan} ;;   # packaging is checked on the plain build (same sources)
esac
prefix="$TMPD/prefix"
expect_ok "make install" make -s -C "$root" BUILD="$bdir" PREFIX="$prefix" install
cp "$TMPD/out" "$TMPD/install.out"
for f in lib/liblmprob.a lib/liblmprob.so lib/liblmprob.so.0 include/lmprob.h include/lmprob/core.h lib/pkgconfig/lmprob.pc; do
  if [ -e "$prefix/$f" ]; then ok; else bad "installed $f missing"; fi
done
# GPT-2's vocabulary and its notice, where the installed lmprob finds them with no argument.
for f in share/lmprob/gpt2/encoder.json share/lmprob/gpt2/vocab.bpe share/lmprob/gpt2/LICENSE share/lmprob/gpt2/NOTICE; do
  if [ -e "$prefix/$f" ]; then ok; else bad "installed $f missing"; fi
done
expect_out "installed lmprob tokenize finds share/lmprob/gpt2" '^15496 995$' \
  sh -c "printf 'Hello world' | env -u LMPROB_GPT2_VOCAB '$prefix/bin/lmprob' tokenize"
cat >"$TMPD/x.c" <<'C'
#include <lmprob.h>
#include <stdio.h>
#include <string.h>
int main(void) { printf("%s\n", lmp_version()); return strlen(lmp_version()) > 0 ? 0 : 1; }
C
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
expect_ok "compile against the installed library" sh -c "cc '$TMPD/x.c' -o '$TMPD/x' \$(pkg-config --cflags --libs lmprob)"
want=$("$LMPROB" --version | awk '{print $2}')
expect_out "the program runs and prints the version" "^$want\$" "$TMPD/x"
expect_ok "static link" sh -c "cc '$TMPD/x.c' -o '$TMPD/xs' \$(pkg-config --cflags lmprob) '$prefix/lib/liblmprob.a' \$(pkg-config --libs-only-l --static lmprob | sed 's/-llmprob//') && '$TMPD/xs'"

# The Python module (make python): installed beside the library, with the PYTHONPATH to use printed for a
# private prefix, and importable from outside the tree with nothing of build/ on the path.
py=${PYTHON:-/usr/bin/python3}
site=$("$py" "$root/python/sitedir.py" "$prefix" | awk '{print $1}')
if [ -f "$bdir/python/lmprob/__init__.py" ]; then
  for f in __init__.py __init__.pyi kenlm.py kenlm.pyi py.typed data/gpt2/encoder.json; do
    if [ -e "$site/lmprob/$f" ]; then ok; else bad "installed $site/lmprob/$f missing"; fi
  done
  if grep -q "export PYTHONPATH=$site\$" "$TMPD/install.out"; then ok; else bad "make install did not print PYTHONPATH=$site: $(cat "$TMPD/install.out")"; fi
  expect_out "the installed module imports and has the CLI's version" "^$want\$" \
    sh -c "cd '$TMPD' && PYTHONPATH='$site' '$py' -c 'import lmprob, sys; assert lmprob.__file__.startswith(\"$site/\"); print(lmprob.__version__)'"
  expect_out "the installed module finds its GPT-2 vocabulary" '^\[15496, 995\]$' \
    sh -c "cd '$TMPD' && PYTHONPATH='$site' env -u LMPROB_GPT2_VOCAB '$py' -c 'import lmprob; print(lmprob.get_encoding(\"gpt2\").encode(\"Hello world\"))'"
  if ldd "$site"/lmprob/_lmprob*.so | grep -q liblmprob; then bad "the module links liblmprob.so"; else ok; fi
  # The system Python's own folder for PREFIX=/usr/local (staged with DESTDIR): one on its sys.path.
  expect_ok "make install DESTDIR" make -s -C "$root" BUILD="$bdir" PREFIX=/usr/local DESTDIR="$TMPD/stage" install
  sys_site=$("$py" "$root/python/sitedir.py" /usr/local | awk '{print $1}')
  if [ -f "$TMPD/stage$sys_site/lmprob/__init__.py" ] && \
     "$py" -c "import sys; sys.exit(0 if '$sys_site' in sys.path else 1)"; then ok
  else bad "PREFIX=/usr/local: the module is not in a folder on $py's sys.path ($sys_site)"; fi
else
  bad "$bdir/python/lmprob not built (make python)"
fi
finish
