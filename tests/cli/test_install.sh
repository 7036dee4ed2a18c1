# make install PREFIX=DIR installs library, headers and lmprob.pc; a C file outside the
# tree that calls lmp_version() builds with `cc x.c $(pkg-config --cflags --libs lmprob)` and runs.
. "$(dirname "$0")/lib.sh"
root=$(cd "$(dirname "$0")/../.." && pwd)
bdir=$(dirname "$LMPROB")
case "$bdir" in
  */asan) bdir=${bdir%/asan} ;;   # packaging is checked on the plain build (same sources)
esac
prefix="$TMPD/prefix"
expect_ok "make install" make -s -C "$root" BUILD="$bdir" PREFIX="$prefix" install
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
finish
