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

/* Run one test function `static void name(void)`. */
#define RUN(name)                                                                        \
    do {                                                                                 \
        test_failed_checks_ = 0;                                                         \
        name();                                                                          \
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
