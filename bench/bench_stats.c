/* Benchmark: mean and variance of N doubles (default 1e8), lmprob's pairwise
 * two-pass against the peer (bench/peer_stats.py runs np.mean / np.var on the
 * same numbers). Prints key=value lines for bench/bench_stats.sh:
 *   mean_ms, var_ms   median wall time of `runs` runs (single thread)
 *   mean, var         the results (%.17g)
 *   ref_mean, ref_var the same in long double with compensated sums, for accuracy
 * The data: x_i = 1000 + 10 * frac(i * 0.6180339887498949) ... computed exactly
 * as the peer does: u_i = ((i * 2654435761) mod 2^32) / 2^32, x_i = 1000 + 10 u_i
 * (exact in double, so both sides see the same bits). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

#include "lmprob/stats.h"

#define HUGE_2M ((size_t)2 << 20)

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? (size_t)strtod(argv[1], NULL) : 100000000;
    int runs = argc > 2 ? atoi(argv[2]) : 5;
    if (n == 0 || n > (SIZE_MAX - HUGE_2M) / sizeof(double) || runs < 1 || runs > 100) {
        fprintf(stderr, "usage: bench_stats [N] [RUNS]\n");
        return 2;
    }
    /* numpy asks the kernel for transparent huge pages on every large array it allocates
     * (madvise MADV_HUGEPAGE, numpy >= 1.16 on Linux), so the peer's 800 MB stream has fewer TLB
     * misses; this array gets the same advice, so that both sides read the same kind of memory
     * (on the Zen 1 VM a throw-away driver's mean took 61 ms without it, 57 ms with it, before
     * PW_PREFETCH). */
    size_t bytes = (n * sizeof(double) + HUGE_2M - 1) / HUGE_2M * HUGE_2M;
    double *x = aligned_alloc(HUGE_2M, bytes);
#ifdef MADV_HUGEPAGE
    if (x) (void)madvise(x, bytes, MADV_HUGEPAGE);
#endif
    if (!x) {
        fprintf(stderr, "bench_stats: out of memory for %zu doubles\n", n);
        return 1;
    }
    for (size_t i = 0; i < n; i++) {
        uint32_t h = (uint32_t)((uint64_t)i * 2654435761u);
        x[i] = 1000.0 + 10.0 * ((double)h / 4294967296.0);
    }
    double tm[100], tv[100], mean = 0, var = 0;
    for (int r = 0; r < runs; r++) {
        double t0 = now_ms();
        mean = lmp_stats_mean(x, n);
        double t1 = now_ms();
        var = lmp_stats_variance(x, n, 0);
        double t2 = now_ms();
        tm[r] = t1 - t0;
        tv[r] = t2 - t1;
    }
    /* Reference: Kahan-compensated sums in long double (error ~1e-19 relative). */
    long double s = 0, c = 0;
    for (size_t i = 0; i < n; i++) {
        long double y = (long double)x[i] - c, t = s + y;
        c = (t - s) - y;
        s = t;
    }
    long double m = s / (long double)n, q = 0;
    c = 0;
    for (size_t i = 0; i < n; i++) {
        long double d = (long double)x[i] - m, y = d * d - c, t = q + y;
        c = (t - q) - y;
        q = t;
    }
    printf("n=%zu\nruns=%d\nmean_ms=%.3f\nvar_ms=%.3f\nmean=%.17g\nvar=%.17g\nref_mean=%.21Lg\nref_var=%.21Lg\n", n, runs,
           median(tm, runs), median(tv, runs), mean, var, m, q / (long double)n);
    free(x);
    return 0;
}
