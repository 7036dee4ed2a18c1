/* bench_sample V KIND OUT.f32 [ITERS [reference]]: time lmprob's sampler chains on one
 * logits vector and write that vector (float32, raw) to OUT.f32 so that
 * bench/peer_sample.py times its peers on the very same input.
 *
 * KIND: flat   logits = randn * 2 (numpy legacy stream, seed 0: np.random.RandomState(0).randn(V) * 2)
 *       peaked log-probabilities of a Zipf law with exponent 1.1 over a random
 *              permutation of the ids, plus N(0, 0.3^2) noise
 * Prints "<name> lmprob <median us>" per chain (float32 logits, HF convention,
 * float32 arithmetic: the setting of a real model), and "softmax lmprob <us>"
 * for one float32 softmax pass over V (the floor). Single thread. With
 * "reference" the chains run as their reference steps one by one
 * (LMP_PATH_REFERENCE, src/sample/chain.c) instead of the fused engine: the cost
 * of reading the rules literally (bench/bench_sample.sh does not use it). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lmprob/info.h"
#include "lmprob/rng.h"
#include "lmprob/sample.h"

static double now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e6 + (double)t.tv_nsec * 1e-3;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *t, int n)
{
    qsort(t, (size_t)n, sizeof *t, cmp_d);
    return t[n / 2];
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: bench_sample V flat|peaked OUT.f32 [ITERS]\n");
        return 2;
    }
    size_t V = (size_t)strtoul(argv[1], NULL, 10);
    const char *kind = argv[2];
    int iters = argc > 4 ? atoi(argv[4]) : 200;
    int reference = argc > 5 && strcmp(argv[5], "reference") == 0;
    if (V == 0 || iters <= 0 || (strcmp(kind, "flat") && strcmp(kind, "peaked"))) {
        fprintf(stderr, "bench_sample: bad arguments\n");
        return 2;
    }
    float *x = malloc(V * sizeof *x), *out = malloc(V * sizeof *out);
    double *t = malloc((size_t)iters * sizeof *t);
    size_t *perm = malloc(V * sizeof *perm);
    if (!x || !out || !t || !perm) return 1;
    lmp_rng rng;
    lmp_rng_seed(&rng, LMP_RNG_NUMPY_LEGACY, 0, NULL);
    if (strcmp(kind, "flat") == 0) {
        for (size_t i = 0; i < V; i++) x[i] = (float)(lmp_rng_normal(&rng) * 2.0);
    } else {
        for (size_t i = 0; i < V; i++) perm[i] = i;
        for (size_t i = V - 1; i > 0; i--) { /* Fisher-Yates */
            size_t j = (size_t)lmp_rng_below(&rng, i + 1), tmp = perm[i];
            perm[i] = perm[j];
            perm[j] = tmp;
        }
        double z = 0.0;
        for (size_t r = 1; r <= V; r++) z += pow((double)r, -1.1);
        for (size_t i = 0; i < V; i++)
            x[i] = (float)(-1.1 * log((double)(perm[i] + 1)) - log(z) + 0.3 * lmp_rng_normal(&rng));
    }
    FILE *f = fopen(argv[3], "wb");
    if (!f || fwrite(x, sizeof *x, V, f) != V || fclose(f)) {
        fprintf(stderr, "bench_sample: cannot write %s\n", argv[3]);
        return 1;
    }

    struct {
        const char *name;
        double T, top_p, min_p;
        long top_k;
    } rows[] = {
        {"temperature", 0.7, 1.0, 0.0, 0},
        {"top_k50", 1.0, 1.0, 0.0, 50},
        {"top_p0.9", 1.0, 0.9, 0.0, 0},
        {"min_p0.05", 1.0, 1.0, 0.05, 0},
        {"hf_chain", 0.7, 0.9, 0.0, 50},
    };
    lmp_rng_seed(&rng, LMP_RNG_XOSHIRO, 1, NULL);
    long sink = 0;
    for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
        lmp_sampler_params p;
        lmp_sampler_params_init(&p);
        p.conv = LMP_CONV_HF;
        p.dtype = LMP_DTYPE_F32;
        p.temperature = rows[r].T;
        p.top_k = rows[r].top_k;
        p.top_p = rows[r].top_p;
        p.min_p = rows[r].min_p;
        p.path = reference ? LMP_PATH_REFERENCE : LMP_PATH_AUTO;
        lmp_sampler *s;
        lmp_error err;
        if (lmp_sampler_create(&p, V, &s, &err)) {
            fprintf(stderr, "bench_sample: %s\n", err.msg);
            return 1;
        }
        size_t kept = 0;
        for (int i = 0; i < iters + 5; i++) {
            lmp_token_id tok;
            double t0 = now_us();
            if (lmp_sampler_sample_f32(s, x, V, NULL, 0, &rng, &tok, &err)) {
                fprintf(stderr, "bench_sample: %s\n", err.msg);
                return 1;
            }
            double dt = now_us() - t0;
            if (i >= 5) t[i - 5] = dt; /* 5 warm-up calls */
            sink += tok;
            kept = lmp_sampler_kept(s).n;
        }
        printf("%s lmprob %.2f kept=%zu\n", rows[r].name, median(t, iters), kept);
        lmp_sampler_free(s);
    }
    for (int i = 0; i < iters + 5; i++) {
        double t0 = now_us();
        lmp_softmax_f32(x, V, out, NULL);
        double dt = now_us() - t0;
        if (i >= 5) t[i - 5] = dt;
        sink += out[V / 2] > 0.5f;
    }
    printf("softmax lmprob %.2f\n", median(t, iters));
    fprintf(stderr, "(checksum %ld)\n", sink);
    free(x);
    free(out);
    free(t);
    free(perm);
    return 0;
}
