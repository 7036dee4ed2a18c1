/* GPT-2 engine benchmark (run by bench/bench_gpt2.sh).
 *
 *   bench_gpt2 write PATH [--layers L --embd C --heads H --vocab V --ctx P]
 *       write a GPT-2 checkpoint with random weights (HF GPT2LMHeadModel names,
 *       F32, lm_head tied, config in __metadata__), GPT-2 124M by default
 *   bench_gpt2 peak THREADS     peak FP32 FMA rate of THREADS threads (GFLOP/s)
 *   bench_gpt2 bw THREADS       read bandwidth of THREADS threads over 1 GiB (GB/s)
 *   bench_gpt2 run PATH THREADS [--T 1024 --prompt 16 --gen 128 --reps 3]
 *       prefill T tokens with all logits; decode gen tokens after a prompt
 *       (greedy); prints one JSON line with tokens/s (median), peak RSS and the
 *       MB of the weights mapped in 2 MB pages (pmd_mapped_mb).
 *   bench_gpt2 run PATH THREADS --llama [--T 1024 --gen 128 --reps 3]
 *       the jobs llama-bench times, for its lines: pp T is a prefill that asks
 *       for the last position's logits only (no T x vocab buffer), tg gen is gen
 *       one-token steps from an empty context (no prompt)
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>

#include "lmprob.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static double cpu_now(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + 1e-6 * (double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_sec +
           1e-6 * (double)ru.ru_stime.tv_usec;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_d);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static int arg_flag(int argc, char **argv, const char *name)
{
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], name) == 0) return 1;
    return 0;
}

static long arg_long(int argc, char **argv, const char *name, long def)
{
    for (int i = 0; i + 1 < argc; i++)
        if (strcmp(argv[i], name) == 0) return strtol(argv[i + 1], NULL, 10);
    return def;
}

/* ---- write: a random checkpoint ------------------------------------------------------ */

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t next_u64(void)
{
    /* splitmix64 */
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* N(0, std^2)-like values (a sum of 4 uniforms, scaled): the speed of a
 * forward pass does not depend on the values, only that they are ordinary
 * finite floats (no subnormals) */
static void fill(float *w, size_t n, float std, float mean)
{
    for (size_t i = 0; i < n; i++) {
        uint64_t r = next_u64();
        double s = (double)(r & 0xffff) + (double)((r >> 16) & 0xffff) + (double)((r >> 32) & 0xffff) +
                   (double)(r >> 48);
        s = (s / 65536.0 - 2.0) * 1.7320508; /* variance of 4 U(0,1) is 1/3 */
        w[i] = (float)(mean + std * s);
    }
}

static int cmd_write(int argc, char **argv)
{
    if (argc < 3) return 2;
    const char *path = argv[2];
    const long L = arg_long(argc, argv, "--layers", 12), C = arg_long(argc, argv, "--embd", 768),
               H = arg_long(argc, argv, "--heads", 12), V = arg_long(argc, argv, "--vocab", 50257),
               P = arg_long(argc, argv, "--ctx", 1024);
    struct {
        char name[64];
        long d0, d1;
        float std, mean;
    } t[16 * 64 + 8];
    int nt = 0;
#define ADD(nm, a, b, s, m) (snprintf(t[nt].name, 64, "%s", nm), t[nt].d0 = a, t[nt].d1 = b, t[nt].std = s, t[nt].mean = m, nt++)
    ADD("transformer.wte.weight", V, C, 0.02f, 0.0f);
    ADD("transformer.wpe.weight", P, C, 0.01f, 0.0f);
    for (long l = 0; l < L && l < 64; l++) {
        char nm[64];
        const float sp = 0.02f / sqrtf(2.0f * (float)L);
#define LAYER(suffix, a, b, s, m) (snprintf(nm, sizeof nm, "transformer.h.%ld.%s", l, suffix), ADD(nm, a, b, s, m))
        LAYER("ln_1.weight", C, 0, 0.0f, 1.0f);
        LAYER("ln_1.bias", C, 0, 0.0f, 0.0f);
        LAYER("attn.c_attn.weight", C, 3 * C, 0.02f, 0.0f);
        LAYER("attn.c_attn.bias", 3 * C, 0, 0.0f, 0.0f);
        LAYER("attn.c_proj.weight", C, C, sp, 0.0f);
        LAYER("attn.c_proj.bias", C, 0, 0.0f, 0.0f);
        LAYER("ln_2.weight", C, 0, 0.0f, 1.0f);
        LAYER("ln_2.bias", C, 0, 0.0f, 0.0f);
        LAYER("mlp.c_fc.weight", C, 4 * C, 0.02f, 0.0f);
        LAYER("mlp.c_fc.bias", 4 * C, 0, 0.0f, 0.0f);
        LAYER("mlp.c_proj.weight", 4 * C, C, sp, 0.0f);
        LAYER("mlp.c_proj.bias", C, 0, 0.0f, 0.0f);
#undef LAYER
    }
    ADD("transformer.ln_f.weight", C, 0, 0.0f, 1.0f);
    ADD("transformer.ln_f.bias", C, 0, 0.0f, 0.0f);
#undef ADD
    /* header */
    size_t cap = 256 + (size_t)nt * 160, hn = 0;
    char *hdr = malloc(cap);
    hn += (size_t)snprintf(hdr + hn, cap - hn,
                           "{\"__metadata__\":{\"format\":\"pt\",\"config\":\"{\\\"n_layer\\\": %ld, \\\"n_head\\\": %ld, "
                           "\\\"n_embd\\\": %ld, \\\"vocab_size\\\": %ld, \\\"n_positions\\\": %ld, "
                           "\\\"layer_norm_epsilon\\\": 1e-05, \\\"activation_function\\\": \\\"gelu_new\\\"}\"}",
                           L, H, C, V, P);
    size_t off = 0;
    for (int i = 0; i < nt; i++) {
        size_t bytes = (size_t)t[i].d0 * (size_t)(t[i].d1 ? t[i].d1 : 1) * 4;
        if (t[i].d1)
            hn += (size_t)snprintf(hdr + hn, cap - hn, ",\"%s\":{\"dtype\":\"F32\",\"shape\":[%ld,%ld],\"data_offsets\":[%zu,%zu]}",
                                   t[i].name, t[i].d0, t[i].d1, off, off + bytes);
        else
            hn += (size_t)snprintf(hdr + hn, cap - hn, ",\"%s\":{\"dtype\":\"F32\",\"shape\":[%ld],\"data_offsets\":[%zu,%zu]}",
                                   t[i].name, t[i].d0, off, off + bytes);
        off += bytes;
    }
    hn += (size_t)snprintf(hdr + hn, cap - hn, "}");
    while (hn % 8) hdr[hn++] = ' ';
    lmp_atomic_file af;
    lmp_error err;
    if (lmp_atomic_open(&af, path, &err)) {
        fprintf(stderr, "bench_gpt2 write: %s\n", err.msg);
        return 1;
    }
    unsigned char le[8];
    for (int i = 0; i < 8; i++) le[i] = (unsigned char)((uint64_t)hn >> (8 * i));
    int ok = fwrite(le, 1, 8, af.fp) == 8 && fwrite(hdr, 1, hn, af.fp) == hn;
    for (int i = 0; i < nt && ok; i++) {
        size_t n = (size_t)t[i].d0 * (size_t)(t[i].d1 ? t[i].d1 : 1);
        float *w = malloc(n * sizeof *w);
        if (t[i].std == 0.0f)
            for (size_t k = 0; k < n; k++) w[k] = t[i].mean;
        else
            fill(w, n, t[i].std, t[i].mean);
        ok = fwrite(w, 4, n, af.fp) == n;
        free(w);
    }
    free(hdr);
    if (!ok) {
        lmp_atomic_abort(&af);
        fprintf(stderr, "bench_gpt2 write: %s: write failed\n", path);
        return 1;
    }
    if (lmp_atomic_commit(&af, &err)) {
        fprintf(stderr, "bench_gpt2 write: %s\n", err.msg);
        return 1;
    }
    return 0;
}

/* ---- peak FLOP/s and bandwidth -------------------------------------------------------- */

typedef struct job {
    int kind;
    double secs;
    double result;
    const float *buf;
    size_t n;
} job;

/* The probes in the widest vectors the build has (bench_gpt2 is built -march=native):
 * AVX-512 (16 lanes) or AVX2 + FMA (8 lanes, the CPUs of src/gpt2/kernels_avx2.c). */
#if defined(__AVX512F__)
#include <immintrin.h>
typedef __m512 pk_vec;
#define PK_LANES 16
#define PK_SET1 _mm512_set1_ps
#define PK_ZERO _mm512_setzero_ps
#define PK_FMA _mm512_fmadd_ps
#define PK_ADD _mm512_add_ps
#define PK_LOAD _mm512_load_ps
#define PK_STORE _mm512_storeu_ps
#elif defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
typedef __m256 pk_vec;
#define PK_LANES 8
#define PK_SET1 _mm256_set1_ps
#define PK_ZERO _mm256_setzero_ps
#define PK_FMA _mm256_fmadd_ps
#define PK_ADD _mm256_add_ps
#define PK_LOAD _mm256_load_ps
#define PK_STORE _mm256_storeu_ps
#endif

#ifdef PK_LANES
/* 12 independent chains of vector FMAs with distinct starting values (equal
 * ones would let the compiler merge the chains): enough to keep both FMA
 * pipes busy (12 measured fastest here, ahead of 8, 16 and 24). The values
 * are 2^-12 apart. They used to be 1e-7 apart, less than a float's spacing
 * at 1 (2^-23, 1.19e-7): 1 + 1e-7 i rounded to the same float for i = 3, 4
 * and for i = 9, 10, gcc merged those chains, and the loop ran 10 FMAs where
 * 12 were counted, so the peak read 20 % high (258 against 212 GFLOP/s a core
 * on 2026-12-04; docs/gpt2.md, "The FMA peak"). */
#define PK_DEF(i) pk_vec a##i = PK_SET1(1.0f + 0x1p-12f * (float)i);
#define PK_UPD(i) a##i = PK_FMA(a##i, m, c);
#define PK_SUM(i) s = PK_ADD(s, a##i);
#define PK12(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)
static float pk_sum(pk_vec v) /* a sink for the results, so that the loops are not removed */
{
    float l[PK_LANES], s = 0;
    PK_STORE(l, v);
    for (int i = 0; i < PK_LANES; i++) s += l[i];
    return s;
}
static double fma_loop(double secs)
{
    PK12(PK_DEF)
    const pk_vec m = PK_SET1(0.999999f), c = PK_SET1(1e-7f);
    double t0 = now(), t;
    long iters = 0;
    do {
        for (int r = 0; r < 4096; r++) {
            PK12(PK_UPD)
        }
        iters += 4096;
        t = now();
    } while (t - t0 < secs);
    pk_vec s = PK_ZERO();
    PK12(PK_SUM)
    if (pk_sum(s) == 12345.0f) fprintf(stderr, "x\n");
    return (double)iters * 12 * PK_LANES * 2 / (t - t0);
}
static double read_loop(const float *b, size_t n, double secs)
{
    double t0 = now(), t, bytes = 0;
    pk_vec s0 = PK_ZERO(), s1 = s0, s2 = s0, s3 = s0;
    do {
        for (size_t i = 0; i + 4 * PK_LANES <= n; i += 4 * PK_LANES) {
            s0 = PK_ADD(s0, PK_LOAD(b + i));
            s1 = PK_ADD(s1, PK_LOAD(b + i + PK_LANES));
            s2 = PK_ADD(s2, PK_LOAD(b + i + 2 * PK_LANES));
            s3 = PK_ADD(s3, PK_LOAD(b + i + 3 * PK_LANES));
        }
        bytes += (double)n * 4;
        t = now();
    } while (t - t0 < secs);
    float sink = pk_sum(PK_ADD(PK_ADD(s0, s1), PK_ADD(s2, s3)));
    if (sink == 12345.0f) fprintf(stderr, "%g\n", sink);
    return bytes / (t - t0);
}
#else
static double fma_loop(double secs)
{
    float a[16];
    for (int i = 0; i < 16; i++) a[i] = 1.0f;
    double t0 = now(), t;
    long iters = 0;
    do {
        for (int r = 0; r < 4096; r++)
            for (int i = 0; i < 16; i++) a[i] = a[i] * 0.999999f + 1e-7f;
        iters += 4096;
        t = now();
    } while (t - t0 < secs);
    if (a[3] == 12345.0f) fprintf(stderr, "%g\n", a[3]);
    return (double)iters * 16 * 2 / (t - t0);
}
static double read_loop(const float *b, size_t n, double secs)
{
    double t0 = now(), t, bytes = 0;
    float s = 0;
    do {
        for (size_t i = 0; i < n; i++) s += b[i];
        bytes += (double)n * 4;
        t = now();
    } while (t - t0 < secs);
    if (s == 12345.0f) fprintf(stderr, "%g\n", s);
    return bytes / (t - t0);
}
#endif

static void *run_job(void *v)
{
    job *j = v;
    j->result = j->kind == 0 ? fma_loop(j->secs) : read_loop(j->buf, j->n, j->secs);
    return NULL;
}

/* Each thread runs the loop for `secs`; the rate is the sum. Best of 10 rounds
 * (a peak: on a shared machine the best round is the one least disturbed). */
static double measure(int kind, int threads, const float *buf, size_t n)
{
    double best = 0;
    for (int round = 0; round < 10; round++) {
        job jobs[64];
        pthread_t th[64];
        double sum = 0;
        for (int i = 0; i < threads; i++) {
            jobs[i] = (job){kind, kind == 0 ? 0.1 : 0.3, 0, buf + (size_t)i * (n / (size_t)threads) / 64 * 64,
                            n / (size_t)threads / 64 * 64};
            pthread_create(&th[i], NULL, run_job, &jobs[i]);
        }
        for (int i = 0; i < threads; i++) {
            pthread_join(th[i], NULL);
            sum += jobs[i].result;
        }
        if (sum > best) best = sum;
    }
    return best;
}

/* ---- run: prefill and decode ----------------------------------------------------------- */

/* MB of this process's file mappings in 2 MB pages (Linux: FilePmdMapped of
 * /proc/self/smaps_rollup), -1 where the kernel does not say. The weights are
 * the only large file mapping, and how much of them is mapped in 2 MB pages
 * depends on how the file came into the page cache: decoding on two threads
 * was 8 % faster with the file in 2 MB pages than in 4 KB ones, the same
 * binary and the same bytes (docs/gpt2.md, "Page cache"). */
static double pmd_mapped_mb(void)
{
    FILE *f = fopen("/proc/self/smaps_rollup", "r");
    if (!f) return -1;
    char line[256];
    double kb = -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "FilePmdMapped: %lf kB", &kb) == 1) break;
    fclose(f);
    return kb < 0 ? -1 : kb / 1024;
}

static int cmd_run(int argc, char **argv)
{
    if (argc < 4) return 2;
    const char *path = argv[2];
    const int threads = atoi(argv[3]);
    const long T = arg_long(argc, argv, "--T", 1024), prompt = arg_long(argc, argv, "--prompt", 16),
               gen = arg_long(argc, argv, "--gen", 128), reps = arg_long(argc, argv, "--reps", 3);
    /* --llama: llama-bench's pp/tg (above); its peak RSS then holds no all-position logits (206 MB at
     * T = 1024), which the perplexity job needs and llama-bench's pp never makes */
    const int llama = arg_flag(argc, argv, "--llama");
    const long pre = llama ? 0 : prompt; /* tokens in the context before the timed decode */
    lmp_gpt2 *m;
    lmp_error err;
    double t0 = now();
    if (lmp_gpt2_load(path, NULL, NULL, &m, &err)) {
        fprintf(stderr, "bench_gpt2: %s\n", err.msg);
        return 1;
    }
    double t_load = now() - t0;
    lmp_gpt2_config cf;
    lmp_gpt2_get_config(m, &cf);
    lmp_gpt2_ctx *c;
    size_t cap = (size_t)(T > pre + gen ? T : pre + gen);
    if (lmp_gpt2_ctx_create(m, cap, threads, &c, &err)) {
        fprintf(stderr, "bench_gpt2: %s\n", err.msg);
        return 1;
    }
    lmp_token_id *ids = malloc((size_t)T * sizeof *ids);
    for (long i = 0; i < T; i++) ids[i] = (lmp_token_id)(next_u64() % (uint64_t)cf.n_vocab);
    float *last = malloc((size_t)cf.n_vocab * sizeof *last);
    float *logits = llama ? last : malloc((size_t)T * (size_t)cf.n_vocab * sizeof *logits);
    const lmp_gpt2_logits which = llama ? LMP_GPT2_LOGITS_LAST : LMP_GPT2_LOGITS_ALL;
    /* warm-up: one whole prefill, so that the timed passes find every page of the
     * caller's logits, the KV cache and the activations mapped (as every window
     * after the first of a perplexity run does), not 200 MB of first-touch faults */
    lmp_gpt2_ctx_push(c, ids, (size_t)T, logits, which, &err);
    double pf[32], dc[32], pfc[32], dcc[32];
    int nr = reps < 32 ? (int)reps : 32;
    for (int r = 0; r < nr; r++) {
        lmp_gpt2_ctx_rewind(c, 0, &err);
        double t = now(), tc = cpu_now();
        if (lmp_gpt2_ctx_push(c, ids, (size_t)T, logits, which, &err)) {
            fprintf(stderr, "bench_gpt2: %s\n", err.msg);
            return 1;
        }
        pf[r] = now() - t;
        pfc[r] = cpu_now() - tc;
    }
    for (int r = 0; r < nr; r++) {
        lmp_gpt2_ctx_rewind(c, 0, &err);
        if (pre) lmp_gpt2_ctx_push(c, ids, (size_t)pre, last, LMP_GPT2_LOGITS_LAST, &err);
        double t = now(), tc = cpu_now();
        for (long s = 0; s < gen; s++) {
            lmp_token_id best = 0; /* tg from an empty context: no logits yet to pick its first token from */
            if (pre || s > 0)
                for (int v = 1; v < cf.n_vocab; v++)
                    if (last[v] > last[best]) best = v;
            if (lmp_gpt2_ctx_push(c, &best, 1, last, LMP_GPT2_LOGITS_LAST, &err)) {
                fprintf(stderr, "bench_gpt2: %s\n", err.msg);
                return 1;
            }
        }
        dc[r] = now() - t;
        dcc[r] = cpu_now() - tc;
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double mp = median(pf, nr), md = median(dc, nr), mpc = median(pfc, nr), mdc = median(dcc, nr);
    printf("{\"mode\": \"%s\", \"threads\": %d, \"weight_bytes\": %zu, \"load_s\": %.3f, \"prefill_tok_s\": %.1f, \"prefill_runs_s\": [", llama ? "llama-bench" : "perplexity", threads, cf.weight_bytes, t_load,
           (double)T / mp);
    for (int r = 0; r < nr; r++) printf("%s%.4f", r ? ", " : "", pf[r]);
    printf("], \"decode_tok_s\": %.2f, \"decode_runs_s\": [", (double)gen / md);
    for (int r = 0; r < nr; r++) printf("%s%.4f", r ? ", " : "", dc[r]);
    printf("], \"prefill_cpu_s\": %.3f, \"decode_cpu_s\": %.3f, \"peak_rss_mb\": %.1f, \"pmd_mapped_mb\": %.0f}\n",
           mpc, mdc, (double)ru.ru_maxrss / 1024.0, pmd_mapped_mb());
    free(ids);
    if (logits != last) free(logits);
    free(last);
    lmp_gpt2_ctx_free(c);
    lmp_gpt2_free(m);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_gpt2 write|peak|bw|run ...\n");
        return 2;
    }
    if (strcmp(argv[1], "write") == 0) return cmd_write(argc, argv);
    if (strcmp(argv[1], "run") == 0) return cmd_run(argc, argv);
    if (strcmp(argv[1], "peak") == 0 || strcmp(argv[1], "bw") == 0) {
        int threads = argc > 2 ? atoi(argv[2]) : 1;
        if (threads < 1 || threads > 64) return 2;
        if (argv[1][0] == 'p') {
            printf("%.1f\n", measure(0, threads, NULL, 0) / 1e9);
        } else {
            size_t n = (size_t)1 << 28; /* 1 GiB of floats */
            /* in 2 MB pages where the kernel gives them, as it gives them to weights
             * read cold (run's pmd_mapped_mb): the floor is the best this machine reads */
            float *b = aligned_alloc((size_t)2 << 20, n * sizeof *b);
            if (!b) return 1;
#ifdef MADV_HUGEPAGE
            (void)madvise(b, n * sizeof *b, MADV_HUGEPAGE);
#endif
            for (size_t i = 0; i < n; i++) b[i] = (float)(i & 1023);
            printf("%.1f\n", measure(1, threads, b, n) / 1e9);
            free(b);
        }
        return 0;
    }
    fprintf(stderr, "bench_gpt2: unknown command '%s'\n", argv[1]);
    return 2;
}
