# The shared library exports exactly the public API:
#  - every dynamic symbol `nm -D --defined-only liblmprob.so` lists is an lmp_ function
#    declared in include/ (the declarations as the compiler sees them: gcc -aux-info);
#  - every function the public headers declare is exported;
#  - every public header compiles on its own, as C11 and as C++11;
#  - a C++ program (tests/test_cxx.cpp) links against the shared library and runs.
# run once: it checks the plain build's shared library whatever CLI is under test.
. "$(dirname "$0")/lib.sh"
root=$(cd "$(dirname "$0")/../.." && pwd)
bdir=$(cd "$(dirname "$LMPROB")" && pwd)
case "$bdir" in
  */asan) bdir=${bdir%/asan} ;;   # the export list is a property of the plain shared build
esac
so="$bdir/liblmprob.so"
CXX=${CXX:-g++}
[ -f "$so" ] || { bad "$so not built"; finish; exit 1; }

# Declared: every function prototype the compiler reads from include/ through lmprob.h.
printf '#include "lmprob.h"\n' >"$TMPD/all.c"
if gcc -std=c11 -D_GNU_SOURCE -I"$root/include" -fsyntax-only -aux-info "$TMPD/aux" "$TMPD/all.c" 2>"$TMPD/err"; then
  ok
  # "name header" pairs, then the names alone
  grep -F "/* $root/include/" "$TMPD/aux" |
    sed -E 's|^/\* [^ ]*/include/([^:]*):.*[ *]([A-Za-z_][A-Za-z0-9_]*) \(.*|\2 \1|' | sort -u >"$TMPD/declared_h"
  awk '{print $1}' "$TMPD/declared_h" | sort -u >"$TMPD/declared"
else
  bad "gcc -aux-info on lmprob.h: $(head -c 400 "$TMPD/err")"
  : >"$TMPD/declared"
fi
nd=$(wc -l <"$TMPD/declared")
if [ "$nd" -gt 100 ]; then ok; else bad "only $nd declarations found in include/"; fi

# Exported: the dynamic symbol table (functions T, data D/B/R; anything else is listed too).
nm -D --defined-only "$so" | awk '{print $2, $3}' >"$TMPD/dyn"
awk '{print $2}' "$TMPD/dyn" | sort -u >"$TMPD/exported"

bad_prefix=$(grep -v '^lmp_' "$TMPD/exported" | tr '\n' ' ')
if [ -z "$bad_prefix" ]; then ok; else bad "exported without the lmp_ prefix: $bad_prefix"; fi
not_func=$(awk '$1 != "T" {print $2}' "$TMPD/dyn" | tr '\n' ' ')
if [ -z "$not_func" ]; then ok; else bad "exported symbols that are not functions: $not_func"; fi
undeclared=$(comm -13 "$TMPD/declared" "$TMPD/exported" | tr '\n' ' ')
if [ -z "$undeclared" ]; then ok; else bad "exported but declared in no public header: $undeclared"; fi
# Declared but not exported: LMP_API missing, or not implemented. A header none of whose
# functions is exported yet is a module whose interface was committed ahead of its code
# (contracts.md: the owner commits the header early): reported, not failed. A function
# missing from a header that has others exported fails.
comm -23 "$TMPD/declared" "$TMPD/exported" >"$TMPD/unexported"
awk 'NR == FNR {ex[$1] = 1; next} ex[$1] {done[$2] = 1} END {for (h in done) print h}' \
  "$TMPD/exported" "$TMPD/declared_h" | sort >"$TMPD/live_headers"
unexported=$(awk 'NR == FNR {live[$1] = 1; next} FILENAME == ARGV[2] {miss[$1] = 1; next} miss[$1] && live[$2] {print $1 " (" $2 ")"}' \
  "$TMPD/live_headers" "$TMPD/unexported" "$TMPD/declared_h" | tr '\n' ' ')
if [ -z "$unexported" ]; then ok; else bad "declared in a public header but not exported (LMP_API missing?): $unexported"; fi
pending=$(awk 'NR == FNR {live[$1] = 1; next} !live[$2] {print $2}' "$TMPD/live_headers" "$TMPD/declared_h" | sort -u | tr '\n' ' ')
[ -z "$pending" ] || echo "note: headers with no function implemented yet (not counted): $pending"

# The static library defines the same names and no other global: its internal functions are local
# (Makefile: ld -r, objcopy --localize-hidden), so a program may use their names for its own.
a="$bdir/liblmprob.a"
if [ -f "$a" ]; then
  nm -g --defined-only "$a" 2>/dev/null | awk 'NF == 3 {print $3}' | sort -u >"$TMPD/static"
  diff_static=$(comm -3 "$TMPD/exported" "$TMPD/static" | tr -s ' \t\n' ' ')
  if [ -z "$diff_static" ]; then ok; else bad "liblmprob.a's global names differ from liblmprob.so's exports: $diff_static"; fi
  cat >"$TMPD/own.c" <<'EOF'
#include <stdio.h>
#include "lmprob.h"
/* names the library uses inside: a program's own functions may have them */
void st_free(void *p) { (void)p; }
int mem_hugepages(void) { return 7; }
int io_reader_open(void) { return 3; }
int main(void)
{
    lmp_gpt2 *g = NULL; /* pulls in the library's safetensors reader and memory maps */
    lmp_error err;
    st_free(NULL);
    int st = lmp_gpt2_load("/nonexistent/model.safetensors", NULL, NULL, &g, &err);
    printf("%s %d %d %d\n", lmp_version(), st != 0, mem_hugepages(), io_reader_open());
    return 0;
}
EOF
  expect_ok "a program with its own st_free, mem_hugepages, io_reader_open links liblmprob.a" \
    gcc -std=c11 -I"$root/include" -o "$TMPD/own" "$TMPD/own.c" "$a" -lz -llzma -lpthread -lm
  expect_out "... and runs" " 1 7 3$" "$TMPD/own"
  # one object, but each function in its own section: with --gc-sections a program keeps what it calls
  # (lmp_version alone needs neither zlib nor liblzma then)
  printf '#include <stdio.h>\n#include "lmprob.h"\nint main(void) { puts(lmp_version()); return 0; }\n' >"$TMPD/ver.c"
  expect_ok "lmp_version alone links with --gc-sections and -lm only" \
    gcc -std=c11 -I"$root/include" -o "$TMPD/ver" "$TMPD/ver.c" "$a" -Wl,--gc-sections -lm
  expect_out "... and runs" "^[0-9]+\.[0-9]+\.[0-9]+$" "$TMPD/ver"
else
  bad "$a not built"
fi

# Each public header on its own, as C and as C++ (no missing include, no C-only syntax).
for h in "$root"/include/lmprob.h "$root"/include/lmprob/*.h; do
  rel=${h#"$root/include/"}
  printf '#include "%s"\n#include "%s"\n' "$rel" "$rel" >"$TMPD/h.c"
  if gcc -std=c11 -Wall -Wextra -Werror -pedantic -I"$root/include" -fsyntax-only "$TMPD/h.c" 2>"$TMPD/err"; then ok
  else bad "$rel as C11: $(head -c 400 "$TMPD/err")"; fi
  cp "$TMPD/h.c" "$TMPD/h.cpp"
  if "$CXX" -std=c++11 -Wall -Wextra -Werror -pedantic -I"$root/include" -fsyntax-only "$TMPD/h.cpp" 2>"$TMPD/err"; then ok
  else bad "$rel as C++11: $(head -c 400 "$TMPD/err")"; fi
done

# The C++ program against the shared library (the soname liblmprob.so.0 resolves in $TMPD).
ln -s "$so" "$TMPD/liblmprob.so.0"
expect_ok "C++ program links against liblmprob.so" \
  "$CXX" -std=c++11 -Wall -Wextra -Werror -pedantic -I"$root/include" -o "$TMPD/cxx" "$root/tests/test_cxx.cpp" \
  -L"$TMPD" -l:liblmprob.so.0 -Wl,-rpath,"$TMPD"
expect_out "C++ program runs" "test_cxx: [0-9]+ passed, 0 failed" "$TMPD/cxx"
finish
