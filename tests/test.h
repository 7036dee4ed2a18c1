/* Tiny test harness. One test program per file; each prints
 *   <program>: N passed, M failed
 * and exits non-zero when M > 0. tests/run.sh adds the programs up.
 *
 * Tolerance kinds are named in the macro:
 *   CHECK_ABS(got, want, tol)   |got - want| <= tol
 *   CHECK_REL(got, want, rtol)  |got - want| <= rtol * |want|   (inf == inf, nan == nan)
 * Say in a comment why a tolerance is what it is. */
#ifndef LMPROB_TEST_H
#define LMPROB_TEST_H

#include <math.h>
#include <stdio.h>
#include <string.h>

static int test_failed_checks_;  /* checks failed inside the current test */
static int test_passed_;         /* tests passed */
static int test_failed_;         /* tests failed */

#define CHECK(cond)                                                                      \
    do {                                                                                 \
        if (!(cond)) {                                                                   \
            fprintf(stderr, "  FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);            \
            test_failed_checks_++;                                                       \
        }                                                                                \
    } while (0)

#define CHECK_MSG(cond, ...)                                                             \
    do {                                                                                 \
        if (!(cond)) {                                                                   \
            fprintf(stderr, "  FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);            \
            fprintf(stderr, __VA_ARGS__);                                                \
            fputc('\n', stderr);                                                         \
            test_failed_checks_++;                                                       \
        }                                                                                \
    } while (0)

static inline int test_close_(double got, double want, double atol, double rtol)
{
    if (isnan(want)) return isnan(got);
    if (isinf(want)) return got == want;
    if (!isfinite(got)) return 0;
    return fabs(got - want) <= atol + rtol * fabs(want);
}

#define CHECK_ABS(got, want, tol)                                                        \
    do {                                                                                 \
        double g_ = (got), w_ = (want);                                                  \
        if (!test_close_(g_, w_, (tol), 0.0)) {                                          \
            fprintf(stderr, "  FAIL %s:%d: %s = %.17g, want %.17g (abs tol %g)\n",       \
                    __FILE__, __LINE__, #got, g_, w_, (double)(tol));                    \
            test_failed_checks_++;                                                       \
        }                                                                                \
    } while (0)

#define CHECK_REL(got, want, rtol)                                                       \
    do {                                                                                 \
        double g_ = (got), w_ = (want);                                                  \
        if (!test_close_(g_, w_, 0.0, (rtol))) {                                         \
            fprintf(stderr, "  FAIL %s:%d: %s = %.17g, want %.17g (rel tol %g)\n",       \
                    __FILE__, __LINE__, #got, g_, w_, (double)(rtol));                   \
            test_failed_checks_++;                                                       \
        }                                                                                \
    } while (0)

#define CHECK_INT(got, want)                                                             \
    do {                                                                                 \
        long long g_ = (long long)(got), w_ = (long long)(want);                         \
        if (g_ != w_) {                                                                  \
            fprintf(stderr, "  FAIL %s:%d: %s = %lld, want %lld\n", __FILE__, __LINE__,  \
                    #got, g_, w_);                                                       \
            test_failed_checks_++;                                                       \
        }                                                                                \
    } while (0)

/* Under an emulator (tests/run.sh sets LMP_TEST_EMULATED=1 when it runs a cross build's
 * programs through qemu-user, some 50x slower on floating point) the longest loops run
 * shorter: n / 10, but at least lo. Use it where a loop's length buys statistical power or
 * the number of random cases, never a tolerance: a statistical check's threshold must be a
 * significance level or a number of standard deviations (so its false-failure rate stays what
 * it was). The native runs keep the full power and coverage; the emulated run checks the
 * same code on another architecture. */
#include <stdlib.h>
static inline long test_scaled(long n, long lo)
{
    const char *e = getenv("LMP_TEST_EMULATED");
    if (!e || !*e || *e == '0') return n;
    return n / 10 > lo ? n / 10 : (lo < n ? lo : n);
}

/* The programs that read files open them relative to the repository's root (tests/fixtures/...,
 * ../shared beside the repository), where tests/run.sh runs them. Run from another folder, such
 * a program first goes to the root: the current folder when it holds tests/fixtures, else the
 * nearest folder above the program's own (build/tests/x, build/asan/tests/x) that does. None:
 * a message and exit 2, rather than every check failing on a missing file, or a crash on a
 * model that did not load. Call it first in main. */
#include <sys/stat.h>
#include <unistd.h>
static inline int test_has_fixtures_(const char *dir)
{
    char p[4200];
    struct stat sb;
    snprintf(p, sizeof p, "%s/tests/fixtures", dir);
    return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}
static inline void test_chdir_root(const char *argv0)
{
    if (test_has_fixtures_(".")) return;
    const char *slash = strrchr(argv0, '/');
    char dir[4096];
    size_t n = slash ? (size_t)(slash - argv0) : 0;
    if (slash && n + 6 * 3 < sizeof dir) {
        memcpy(dir, argv0, n);
        dir[n] = '\0';
        for (int up = 0; up < 6; up++, strcat(dir, "/.."))
            if (test_has_fixtures_(dir) && chdir(dir) == 0) return;
    }
    fprintf(stderr, "%s: tests/fixtures not found in the current folder nor above the program: run it from the "
                    "repository's root\n", argv0);
    exit(2);
}

/* ---- files --------------------------------------------------------------------------
 * A program's scratch folder (test_tmpdir_make first in main, test_tmpdir_remove last),
 * names in it (test_tmp_path: the last eight stay valid), and whole files read and written. */
static char test_tmpdir[256];

static inline int test_tmpdir_make(const char *prog)
{
    const char *t = getenv("TMPDIR");
    snprintf(test_tmpdir, sizeof test_tmpdir, "%s/lmprob-%s-XXXXXX", t && *t ? t : "/tmp", prog);
    if (mkdtemp(test_tmpdir)) return 0;
    fprintf(stderr, "%s: cannot make the folder %s\n", prog, test_tmpdir);
    return -1;
}

static inline void test_tmpdir_remove(void)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", test_tmpdir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", test_tmpdir);
}

static inline const char *test_tmp_path(const char *name)
{
    static char buf[8][512];
    static int k;
    k = (k + 1) % 8;
    snprintf(buf[k], sizeof buf[k], "%s/%s", test_tmpdir, name);
    return buf[k];
}

/* The whole file, with a NUL after it (malloc'd), or NULL; *len (when len is not NULL) its size. */
static inline char *test_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    long n = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    char *b = n >= 0 && fseek(f, 0, SEEK_SET) == 0 ? (char *)malloc((size_t)n + 1) : NULL;
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    fclose(f);
    if (!b) return NULL;
    b[n] = '\0';
    if (len) *len = (size_t)n;
    return b;
}

/* 0, or -1 when the file could not be written whole. */
static inline int test_write_file(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    int bad = fwrite(p, 1, n, f) != n;
    bad |= fclose(f) != 0;
    return bad ? -1 : 0;
}

static inline int test_write_text(const char *path, const char *text)
{
    return test_write_file(path, text, strlen(text));
}

/* LMP_TEST_TIMES=1: each test's wall time on stderr, to find where a program's time goes
 * (make test's own report gives only whole programs). */
#include <time.h>
static inline double test_clock_(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}
static inline void test_time_report_(const char *name, double t0)
{
    const char *e = getenv("LMP_TEST_TIMES");
    if (e && *e && *e != '0') fprintf(stderr, "  time %-32s %8.3f s\n", name, test_clock_() - t0);
}

/* Run one test function `static void name(void)`. */
#define RUN(name)                                                                        \
    do {                                                                                 \
        const double t0_ = test_clock_();                                                \
        test_failed_checks_ = 0;                                                         \
        name();                                                                          \
        test_time_report_(#name, t0_);                                                   \
        if (test_failed_checks_) {                                                       \
            fprintf(stderr, "FAILED %s\n", #name);                                       \
            test_failed_++;                                                              \
        } else {                                                                         \
            test_passed_++;                                                              \
        }                                                                                \
    } while (0)

/* Print the summary line and return the exit status. */
static inline int test_summary_(const char *prog)
{
    const char *base = strrchr(prog, '/');
    printf("%s: %d passed, %d failed\n", base ? base + 1 : prog, test_passed_, test_failed_);
    return test_failed_ ? 1 : 0;
}
#define TEST_SUMMARY() test_summary_(argv[0])

#endif
