/* Build-time generator of the tokenizer's Unicode character classes.
 *
 *   gen_unicode UnicodeData.txt PropList.txt OUT.c
 *
 * GPT-2's pre-tokenizer needs three classes of code points: \p{L} (general
 * category L*: Lu Ll Lt Lm Lo), \p{N} (N*: Nd Nl No) and \s (the White_Space
 * property; the regex engines of the references, Rust's regex crate under
 * tiktoken and Python's regex under encoder.py, both take \s as White_Space).
 * Everything else, unassigned code points included, is "other". The classes
 * are read from the Unicode Character Database as Debian's unicode-data
 * package installs it (/usr/share/unicode): UnicodeData.txt field 2 for the
 * general category (ranges given as "<..., First>" / "<..., Last>" pairs),
 * PropList.txt for White_Space; the version is the one PropList.txt's first
 * line names ("# PropList-15.0.0.txt").
 *
 * Output: a two-stage table (blocks of 128 code points, identical blocks
 * shared) that src/tokenizer/ reads through tok_class() in tok_internal.h. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NCP 0x110000
#define BLOCK 128
#define NBLOCKS (NCP / BLOCK)

enum { C_OTHER = 0, C_LETTER = 1, C_NUMBER = 2, C_SPACE = 3 };

static unsigned char cls[NCP];

static int fail(const char *file, long line, const char *what)
{
    fprintf(stderr, "gen_unicode: %s:%ld: %s\n", file, line, what);
    return 1;
}

static int parse_cp(const char *s, const char **end, unsigned long *cp)
{
    char *e;
    unsigned long v = strtoul(s, &e, 16);
    if (e == s || e - s > 6 || v >= NCP) return -1;
    *cp = v;
    *end = e;
    return 0;
}

static int read_unicode_data(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) return fail(path, 0, "cannot open");
    char line[1024];
    long ln = 0;
    unsigned long first = 0;
    int in_range = 0;
    size_t assigned = 0;
    while (fgets(line, sizeof line, f)) {
        ln++;
        const char *p;
        unsigned long cp;
        if (parse_cp(line, &p, &cp) || *p != ';') { fclose(f); return fail(path, ln, "expected a code point and ';'"); }
        const char *name = p + 1;
        const char *semi = strchr(name, ';');
        if (!semi || semi[1] == '\0' || semi[2] == '\0') { fclose(f); return fail(path, ln, "expected a name and a category"); }
        char gc0 = semi[1];
        int c = gc0 == 'L' ? C_LETTER : gc0 == 'N' ? C_NUMBER : C_OTHER;
        size_t nlen = (size_t)(semi - name);
        if (nlen > 8 && memcmp(semi - 8, ", First>", 8) == 0) {
            first = cp;
            in_range = 1;
            continue;
        }
        unsigned long lo = cp;
        if (nlen > 7 && memcmp(semi - 7, ", Last>", 7) == 0) {
            if (!in_range || first > cp) { fclose(f); return fail(path, ln, "a '<..., Last>' without its First"); }
            lo = first;
        }
        in_range = 0;
        for (unsigned long x = lo; x <= cp; x++) cls[x] = (unsigned char)c;
        assigned += cp - lo + 1;
    }
    fclose(f);
    if (assigned < 100000) return fail(path, ln, "fewer than 100000 assigned code points: not UnicodeData.txt?");
    return 0;
}

static int read_proplist(const char *path, char *version, size_t vcap)
{
    FILE *f = fopen(path, "r");
    if (!f) return fail(path, 0, "cannot open");
    char line[1024];
    long ln = 0;
    int nspace = 0;
    version[0] = '\0';
    while (fgets(line, sizeof line, f)) {
        ln++;
        if (ln == 1) {
            const char *v = strstr(line, "PropList-");
            if (!v) { fclose(f); return fail(path, ln, "expected '# PropList-<version>.txt' on the first line"); }
            v += 9;
            size_t n = 0;
            while (n + 1 < vcap && (isdigit((unsigned char)v[n]) || v[n] == '.')) { version[n] = v[n]; n++; }
            while (n > 0 && version[n - 1] == '.') n--; /* "15.0.0.txt" -> "15.0.0" */
            version[n] = '\0';
            if (n == 0) { fclose(f); return fail(path, ln, "no version on the first line"); }
            continue;
        }
        char *hash = strchr(line, '#');
        if (hash) *hash = '\0';
        const char *p = line;
        while (*p == ' ') p++;
        if (*p == '\0' || *p == '\n') continue;
        unsigned long lo, hi;
        if (parse_cp(p, &p, &lo)) { fclose(f); return fail(path, ln, "expected a code point"); }
        hi = lo;
        if (p[0] == '.' && p[1] == '.' && parse_cp(p + 2, &p, &hi)) { fclose(f); return fail(path, ln, "bad range"); }
        while (*p == ' ') p++;
        if (*p != ';') { fclose(f); return fail(path, ln, "expected ';'"); }
        p++;
        while (*p == ' ') p++;
        if (strncmp(p, "White_Space", 11) == 0 && (p[11] == ' ' || p[11] == '\n' || p[11] == '\0')) {
            for (unsigned long x = lo; x <= hi; x++) {
                if (cls[x] != C_OTHER) { fclose(f); return fail(path, ln, "a White_Space code point that is also L or N"); }
                cls[x] = C_SPACE;
                nspace++;
            }
        }
    }
    fclose(f);
    if (nspace < 20) return fail(path, ln, "fewer than 20 White_Space code points: not PropList.txt?");
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: gen_unicode UnicodeData.txt PropList.txt OUT.c\n");
        return 2;
    }
    char version[32];
    if (read_unicode_data(argv[1]) || read_proplist(argv[2], version, sizeof version)) return 1;

    static unsigned short stage1[NBLOCKS];
    static unsigned char stage2[NBLOCKS * BLOCK];
    size_t nuniq = 0;
    for (size_t b = 0; b < NBLOCKS; b++) {
        size_t u;
        for (u = 0; u < nuniq; u++)
            if (memcmp(stage2 + u * BLOCK, cls + b * BLOCK, BLOCK) == 0) break;
        if (u == nuniq) memcpy(stage2 + nuniq++ * BLOCK, cls + b * BLOCK, BLOCK);
        stage1[b] = (unsigned short)u;
    }

    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", argv[3]);
    FILE *o = fopen(tmp, "w");
    if (!o) return fail(tmp, 0, "cannot create");
    fprintf(o, "/* Generated by scripts/gen_unicode.c from %s and %s (Unicode %s). Do not edit. */\n",
            argv[1], argv[2], version);
    fprintf(o, "#include \"tok_internal.h\"\n\n");
    fprintf(o, "const char tok_unicode_version[] = \"%s\";\n\n", version);
    fprintf(o, "const unsigned short tok_uc_stage1[%d] = {", NBLOCKS);
    for (size_t b = 0; b < NBLOCKS; b++) fprintf(o, "%s%u,", b % 24 ? "" : "\n", stage1[b]);
    fprintf(o, "\n};\n\nconst unsigned char tok_uc_stage2[%zu] = {", nuniq * BLOCK);
    for (size_t i = 0; i < nuniq * BLOCK; i++) fprintf(o, "%s%u,", i % 64 ? "" : "\n", stage2[i]);
    fprintf(o, "\n};\n");
    if (fclose(o) != 0 || rename(tmp, argv[3]) != 0) return fail(argv[3], 0, "cannot write");
    return 0;
}
