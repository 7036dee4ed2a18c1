/* Benchmarks for the dist module (bench/bench_dist.sh runs this next to bench/peer_dist.py).
 * usage: bench_dist P_FILE RUNS
 * P_FILE holds the V probabilities (one per line) that both sides sample from.
 * Prints key=value lines: the median over RUNS runs of each timing, in ms (or us per draw),
 * plus a checksum per task so that the compiler cannot drop the work. Single thread. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lmprob/dist.h"
#include "lmprob/rng.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: bench_dist P_FILE RUNS\n");
        return 2;
    }
    FILE *f = fopen(argv[1], "r");
    int runs = atoi(argv[2]);
    if (!f || runs < 1 || runs > 100) {
        fprintf(stderr, "bench_dist: cannot read %s or bad RUNS\n", argv[1]);
        return 2;
    }
    size_t V = 0, cap = 1 << 16;
    double *p = malloc(cap * sizeof *p);
    while (p && fscanf(f, "%lf", &p[V]) == 1)
        if (++V == cap) p = realloc(p, (cap *= 2) * sizeof *p);
    fclose(f);
    if (!p || V == 0) {
        fprintf(stderr, "bench_dist: no probabilities in %s\n", argv[1]);
        return 2;
    }
    const size_t N = 10000000;
    double *buf = malloc(N * sizeof *buf);
    size_t *idx = malloc(1000000 * sizeof *idx);
    double *t = malloc((size_t)runs * sizeof *t);
    if (!buf || !idx || !t) return 1;
    lmp_rng r;
    double check = 0;

    /* 1. 10^7 standard normals into a buffer (ziggurat on xoshiro256**). */
    for (int k = 0; k < runs; k++) {
        lmp_rng_seed(&r, LMP_RNG_XOSHIRO, (uint64_t)k, NULL);
        double t0 = now();
        lmp_normal_sample_n(&r, 0.0, 1.0, buf, N);
        t[k] = now() - t0;
        check += buf[N - 1];
    }
    printf("normal_sample_ms=%.3f\n", 1e3 * median(t, runs));

    /* 2. single categorical draws from the V-vector, one call per draw (the decoding loop). */
    const int single = 2000;
    for (int kind = 0; kind < 2; kind++) {
        for (int k = 0; k < runs; k++) {
            lmp_rng_seed(&r, (lmp_rng_kind)kind, (uint64_t)k, NULL);
            double t0 = now();
            size_t s = 0;
            for (int j = 0; j < single; j++) s += lmp_categorical_sample(&r, p, V);
            t[k] = now() - t0;
            check += (double)s;
        }
        printf("%s_us=%.3f\n", kind ? "categorical_single_numpystream" : "categorical_single",
               1e6 * median(t, runs) / single);
    }

    /* 3. 10^6 draws from one fixed distribution: alias table (built inside the timing). */
    for (int k = 0; k < runs; k++) {
        lmp_rng_seed(&r, LMP_RNG_XOSHIRO, (uint64_t)k, NULL);
        double t0 = now();
        lmp_alias *al = NULL;
        if (lmp_alias_create(p, V, &al, NULL)) return 1;
        lmp_alias_sample_n(al, &r, idx, 1000000);
        lmp_alias_free(al);
        t[k] = now() - t0;
        check += (double)idx[999999];
    }
    printf("categorical_bulk_ms=%.3f\n", 1e3 * median(t, runs));

    /* 4. 10^4 Dirichlet draws with K = 1000, alpha = 1. */
    const size_t K = 1000;
    double *alpha = malloc(K * sizeof *alpha), *out = malloc(K * sizeof *out);
    if (!alpha || !out) return 1;
    for (size_t i = 0; i < K; i++) alpha[i] = 1.0;
    for (int k = 0; k < runs; k++) {
        lmp_rng_seed(&r, LMP_RNG_XOSHIRO, (uint64_t)k, NULL);
        double t0 = now();
        for (int j = 0; j < 10000; j++) {
            lmp_dirichlet_sample(&r, alpha, K, out, NULL);
            check += out[0];
        }
        t[k] = now() - t0;
    }
    printf("dirichlet_ms=%.3f\n", 1e3 * median(t, runs));

    /* 5. normal cdf over 10^7 points in [-10, 10]; 6. quantile over 10^7 points in (0, 1).
     * The points are laid out in an array first, as numpy's are (not timed). */
    double *pts = malloc(N * sizeof *pts);
    if (!pts) return 1;
    for (size_t i = 0; i < N; i++) pts[i] = -10.0 + 20.0 * (double)i / (double)(N - 1);
    for (int k = 0; k < runs; k++) {
        double t0 = now();
        for (size_t i = 0; i < N; i++) buf[i] = lmp_normal_cdf(pts[i], 0, 1);
        t[k] = now() - t0;
        check += buf[N / 3];
    }
    printf("normal_cdf_ms=%.3f\n", 1e3 * median(t, runs));
    for (size_t i = 0; i < N; i++) pts[i] = ((double)i + 0.5) / (double)N;
    for (int k = 0; k < runs; k++) {
        double t0 = now();
        for (size_t i = 0; i < N; i++) buf[i] = lmp_normal_quantile(pts[i], 0, 1);
        t[k] = now() - t0;
        check += buf[N / 3];
    }
    free(pts);
    printf("normal_quantile_ms=%.3f\n", 1e3 * median(t, runs));
    printf("checksum=%.6g\n", check);
    free(alpha);
    free(out);
    free(buf);
    free(idx);
    free(t);
    free(p);
    return 0;
}
