/* Unit and statistical tests for include/lmprob/sample.h.
 *  - hand cases per filter and convention (the SPEC's edge cases: ties, min_keep,
 *    k >= V, p = 1, -inf, T = 0), errors that name the value;
 *  - the O(V) bucketed path against a brute-force sort-based reference;
 *  - numpy parity of the draw (the chapter's seeded examples);
 *  - chi-square: 10^6 seeded draws per sampler match the renormalised kept
 *    distribution (p > 1e-3) and never leave the kept set. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lmprob/info.h"
#include "lmprob/rng.h"
#include "lmprob/sample.h"
#include "test.h"

#include "../src/sample/kernels.h" /* the vectorised exp kernels, tested directly */

/* The kernels' SIMD level of this run: test_isa_variants runs the fast-path
 * tests again on every level the machine has, through each sampler's
 * params.simd and the kernels' isa argument (nothing process-wide). */
static lmp_simd test_simd = LMP_SIMD_BEST;
static int test_isa;

static lmp_status create_sampler(const lmp_sampler_params *p, size_t V, lmp_sampler **out, lmp_error *err)
{
    lmp_sampler_params q = *p;
    if (q.simd == LMP_SIMD_BEST) q.simd = test_simd;
    return lmp_sampler_create(&q, V, out, err);
}

/* Count allocations (not under AddressSanitizer, which owns malloc): a
 * sampler call must allocate nothing. glibc exports the real allocator as
 * __libc_*; these definitions interpose on the process's malloc. */
#if !defined(__SANITIZE_ADDRESS__)
#define COUNT_ALLOCS 1
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);
static int counting_;
static long nalloc_;
void *malloc(size_t n)
{
    nalloc_ += counting_;
    return __libc_malloc(n);
}
void *calloc(size_t n, size_t m)
{
    nalloc_ += counting_;
    return __libc_calloc(n, m);
}
void *realloc(void *p, size_t n)
{
    nalloc_ += counting_;
    return __libc_realloc(p, n);
}
void free(void *p) { __libc_free(p); }
#endif

/* Run a sampler on double logits; copy the kept ids to ids[] (ascending) and return their number, or -1 on error. */
static long kept_of(const lmp_sampler_params *p, const double *x, size_t n, int32_t *ids)
{
    lmp_sampler *s;
    if (create_sampler(p, n, &s, NULL)) return -1;
    long k = -1;
    if (lmp_sampler_apply(s, x, n, NULL, 0, NULL) == LMP_OK) {
        lmp_candidates c = lmp_sampler_kept(s);
        for (size_t i = 0; i < c.n; i++)
            if (ids) ids[i] = c.id[i];
        k = (long)c.n;
    }
    lmp_sampler_free(s);
    return k;
}

static lmp_sampler_params params(lmp_sampler_convention conv)
{
    lmp_sampler_params p;
    lmp_sampler_params_init(&p);
    p.conv = conv;
    p.dtype = conv == LMP_CONV_HF ? LMP_DTYPE_F64 : LMP_DTYPE_F32;
    return p;
}

static int same_ids(const int32_t *got, long n, const int32_t *want, long m)
{
    if (n != m) return 0;
    for (long i = 0; i < n; i++)
        if (got[i] != want[i]) return 0;
    return 1;
}

#define CHECK_KEPT(p, x, want)                                                                     \
    do {                                                                                           \
        int32_t got_[64];                                                                          \
        long n_ = kept_of(&(p), (x), sizeof(x) / sizeof(x)[0], got_);                              \
        CHECK_MSG(same_ids(got_, n_, (want), (long)(sizeof(want) / sizeof(want)[0])), "kept %ld", n_); \
    } while (0)

static const double seedl[] = {3.0, 2.0, 1.5, 1.2, 0.8, 0.4, 0.1};

static void test_top_k(void)
{
    double ties[] = {2.0, 1.0, 1.0, 1.0, 0.0};
    lmp_sampler_params hf = params(LMP_CONV_HF), ll = params(LMP_CONV_LLAMA);
    hf.top_k = ll.top_k = 2;
    int32_t hf_want[] = {0, 1, 2, 3}, ll_want[] = {0, 1};
    CHECK_KEPT(hf, ties, hf_want); /* HF keeps every tie of the k-th value */
    CHECK_KEPT(ll, ties, ll_want); /* llama exactly k, lower ids first */
    hf.top_k = ll.top_k = 10;      /* k >= V keeps all */
    int32_t all[] = {0, 1, 2, 3, 4, 5, 6};
    CHECK_KEPT(hf, seedl, all);
    CHECK_KEPT(ll, seedl, all);
    double minf[] = {1.0, 0.0, -INFINITY, -INFINITY};
    hf.top_k = ll.top_k = 3;
    int32_t hf_inf[] = {0, 1, 2, 3}, ll_inf[] = {0, 1, 2};
    CHECK_KEPT(hf, minf, hf_inf); /* the k-th value is -inf: HF removes nothing */
    CHECK_KEPT(ll, minf, ll_inf);
    hf.top_k = 1;
    hf.min_keep = 3; /* HF: k' = max(k, min_keep) */
    int32_t mk[] = {0, 1, 2};
    CHECK_KEPT(hf, seedl, mk);
    /* large V: exactly k on a ramp, through the sampled-threshold path */
    size_t V = 151936;
    double *x = malloc(V * sizeof *x);
    for (size_t i = 0; i < V; i++) x[i] = -(double)((i * 7919) % V) / 1000.0; /* a permutation of a ramp */
    lmp_sampler_params big = params(LMP_CONV_LLAMA);
    big.top_k = 50;
    int32_t *ids = malloc(V * sizeof *ids);
    CHECK_INT(kept_of(&big, x, V, ids), 50);
    for (int i = 0; i < 50; i++) CHECK(x[ids[i]] >= -0.0495);
    big = params(LMP_CONV_HF);
    big.top_k = 50;
    CHECK_INT(kept_of(&big, x, V, ids), 50);
    free(ids);
    free(x);
}

static void test_top_p(void)
{
    lmp_sampler_params hf = params(LMP_CONV_HF), ll = params(LMP_CONV_LLAMA);
    double flat[] = {2.0, 1.8, 1.6, 1.4, 1.2, 1.0, 0.8}, peaked[] = {10.0, 1.0, 0.5, 0.1, 0.0, 0.0, 0.0};
    hf.top_p = ll.top_p = 0.9;
    int32_t six[] = {0, 1, 2, 3, 4, 5}, one[] = {0};
    CHECK_KEPT(hf, flat, six); /* the chapter's nucleus sizes: flat 6, peaked 1 */
    CHECK_KEPT(ll, flat, six);
    CHECK_KEPT(hf, peaked, one);
    CHECK_KEPT(ll, peaked, one);
    hf.top_p = ll.top_p = 1.0; /* off: all V (the chapter's nucleus_size returns V + 1 here) */
    int32_t all[] = {0, 1, 2, 3, 4, 5, 6};
    CHECK_KEPT(hf, peaked, all);
    CHECK_KEPT(ll, peaked, all);
    hf.top_p = ll.top_p = 0.0; /* keeps min_keep */
    CHECK_KEPT(hf, flat, one);
    CHECK_KEPT(ll, flat, one);
    hf.top_p = 0.5;
    hf.min_keep = 3;
    int32_t three[] = {0, 1, 2};
    CHECK_KEPT(hf, peaked, three);
    /* ties at the cut: HF (stable ascending sort) keeps the higher id, llama the lower */
    double ties[] = {2.0, 1.0, 1.0, 1.0, 0.0};
    hf = params(LMP_CONV_HF);
    hf.top_p = ll.top_p = 0.75;
    int32_t hf_t[] = {0, 2, 3}, ll_t[] = {0, 1, 2};
    CHECK_KEPT(hf, ties, hf_t);
    CHECK_KEPT(ll, ties, ll_t);
    /* p equal to a partial sum of 1/10s: f64 / f32 / llama give 10 / 9 / 9 */
    double u10[10] = {0};
    hf.top_p = ll.top_p = 0.9;
    CHECK_INT(kept_of(&hf, u10, 10, NULL), 10);
    hf.dtype = LMP_DTYPE_F32;
    CHECK_INT(kept_of(&hf, u10, 10, NULL), 9);
    CHECK_INT(kept_of(&ll, u10, 10, NULL), 9);
    /* -inf logits never survive a top-p cut */
    double minf[] = {1.0, -INFINITY, 0.5, -INFINITY, 0.0};
    hf = params(LMP_CONV_HF);
    hf.top_p = 0.999999;
    int32_t fin[] = {0, 2, 4};
    CHECK_KEPT(hf, minf, fin);
}

static void test_min_p_typical_epsilon(void)
{
    lmp_sampler_params hf = params(LMP_CONV_HF), ll = params(LMP_CONV_LLAMA);
    hf.min_p = ll.min_p = 0.1;
    int32_t five[] = {0, 1, 2, 3, 4};
    CHECK_KEPT(hf, seedl, five);
    CHECK_KEPT(ll, seedl, five);
    hf.min_p = 0.9;
    hf.min_keep = 2;
    int32_t two[] = {0, 1};
    CHECK_KEPT(hf, seedl, two);
    hf = params(LMP_CONV_HF);
    hf.typical_p = ll.typical_p = 0.5;
    ll.min_p = 0;
    int32_t three[] = {0, 1, 2};
    CHECK_KEPT(hf, seedl, three);
    CHECK_KEPT(ll, seedl, three);
    /* typical ties: HF keeps every token tied with the crossing one, llama exactly as many as it needs */
    double ties[] = {1.0, 1.0, 1.0, 0.0, 0.0, -1.0};
    int32_t hf_t[] = {0, 1, 2}, ll_t[] = {0, 1};
    CHECK_KEPT(hf, ties, hf_t);
    CHECK_KEPT(ll, ties, ll_t);
    hf = params(LMP_CONV_HF);
    hf.epsilon = 0.05;
    CHECK_KEPT(hf, seedl, five);
    hf.epsilon = 0.9;
    int32_t one[] = {0};
    CHECK_KEPT(hf, seedl, one);
}

static void test_chain_order_and_temperature(void)
{
    lmp_sampler_params hf = params(LMP_CONV_HF), ll = params(LMP_CONV_LLAMA);
    hf.top_p = ll.top_p = 0.9;
    hf.temperature = ll.temperature = 0.5;
    int32_t hf_w[] = {0, 1}, ll_w[] = {0, 1, 2, 3, 4};
    CHECK_KEPT(hf, seedl, hf_w); /* HF: temperature first sharpens, then the nucleus */
    CHECK_KEPT(ll, seedl, ll_w); /* llama: the nucleus of the raw logits, temperature last */
    hf.temperature = ll.temperature = 2.0;
    int32_t hf_w2[] = {0, 1, 2, 3, 4, 5};
    CHECK_KEPT(hf, seedl, hf_w2);
    CHECK_KEPT(ll, seedl, ll_w);
    /* T = 0: greedy, lowest id on ties */
    double tied[] = {1.0, 3.0, 3.0, 2.0};
    hf = params(LMP_CONV_HF);
    hf.temperature = 0.0;
    int32_t g[] = {1};
    CHECK_KEPT(hf, tied, g);
    ll = params(LMP_CONV_LLAMA);
    ll.temperature = 0.0;
    CHECK_KEPT(ll, tied, g);
    CHECK_INT(lmp_argmax(tied, 4), 1);
    float tf[] = {1.0f, 3.0f, 3.0f, 2.0f};
    CHECK_INT(lmp_argmax_f32(tf, 4), 1);
    /* the renormalised probabilities after temperature are softmax(x / T) */
    hf = params(LMP_CONV_HF);
    hf.temperature = 0.7;
    lmp_sampler *s;
    CHECK(create_sampler(&hf, 7, &s, NULL) == LMP_OK);
    CHECK(lmp_sampler_apply(s, seedl, 7, NULL, 0, NULL) == LMP_OK);
    lmp_candidates c = lmp_sampler_kept(s);
    double want[7];
    lmp_softmax_temperature(seedl, 7, 0.7, want, NULL);
    CHECK_INT(c.n, 7);
    for (int i = 0; i < 7; i++) CHECK_REL(c.p[i], want[i], 1e-15);
    lmp_sampler_free(s);
}

static void test_errors(void)
{
    lmp_sampler_params p = params(LMP_CONV_HF);
    lmp_sampler *s = NULL;
    lmp_error err;
    p.temperature = -1;
    CHECK(create_sampler(&p, 10, &s, &err) == LMP_EINVAL && s == NULL);
    CHECK(strstr(err.msg, "temperature = -1") != NULL);
    p = params(LMP_CONV_HF);
    p.top_k = -3;
    CHECK(create_sampler(&p, 10, &s, &err) == LMP_EINVAL);
    CHECK(strstr(err.msg, "top_k = -3") != NULL);
    p = params(LMP_CONV_HF);
    p.top_p = 1.5;
    CHECK(create_sampler(&p, 10, &s, &err) == LMP_EINVAL);
    CHECK(strstr(err.msg, "top_p = 1.5") != NULL);
    p = params(LMP_CONV_HF);
    CHECK(create_sampler(&p, 4, &s, &err) == LMP_OK);
    double nan_l[] = {0.0, NAN, 1.0}, inf_l[] = {0.0, INFINITY}, allinf[] = {-INFINITY, -INFINITY};
    CHECK(lmp_sampler_apply(s, nan_l, 3, NULL, 0, &err) == LMP_EINVAL);
    CHECK(strstr(err.msg, "logit[1]") != NULL);
    CHECK(lmp_sampler_kept(s).n == 0);
    CHECK(lmp_sampler_draw_u(s, 0.5) == -1); /* nothing applied */
    CHECK(lmp_sampler_apply(s, inf_l, 2, NULL, 0, &err) == LMP_EINVAL);
    CHECK(lmp_sampler_apply(s, allinf, 2, NULL, 0, &err) == LMP_EINVAL);
    CHECK(strstr(err.msg, "-inf") != NULL);
    CHECK(lmp_sampler_apply(s, nan_l, 0, NULL, 0, &err) == LMP_EINVAL);
    double five[] = {1, 2, 3, 4, 5};
    CHECK(lmp_sampler_apply(s, five, 5, NULL, 0, &err) == LMP_EINVAL); /* V > max_vocab */
    CHECK(strstr(err.msg, "max_vocab") != NULL);
    /* a NULL stream or token pointer is refused before the apply (the draw dereferenced it); a u outside
     * [0, 1) draws nothing (it took the first or the last kept token) */
    double four[] = {0.0, 1.0, 2.0, 3.0};
    lmp_token_id tok = 7;
    CHECK(lmp_sampler_sample(s, four, 4, NULL, 0, NULL, &tok, &err) == LMP_EINVAL && tok == 7);
    CHECK(strstr(err.msg, "random stream") != NULL);
    lmp_rng rng;
    lmp_rng_seed(&rng, LMP_RNG_XOSHIRO, 1, NULL);
    CHECK(lmp_sampler_sample(s, four, 4, NULL, 0, &rng, NULL, &err) == LMP_EINVAL);
    CHECK(lmp_sampler_apply(s, four, 4, NULL, 0, &err) == LMP_OK);
    CHECK(lmp_sampler_draw(s, NULL) == LMP_TOKEN_NONE);
    CHECK(lmp_sampler_draw_u(s, NAN) == LMP_TOKEN_NONE && lmp_sampler_draw_u(s, -1.0) == LMP_TOKEN_NONE);
    CHECK(lmp_sampler_draw_u(s, 1.0) == LMP_TOKEN_NONE && lmp_sampler_draw_u(s, INFINITY) == LMP_TOKEN_NONE);
    CHECK(lmp_sampler_draw_u(s, 0.0) >= 0 && lmp_sampler_draw_u(s, 0.999) >= 0);
    CHECK(lmp_sampler_draw_u(NULL, 0.5) == LMP_TOKEN_NONE);
    lmp_sampler_free(s);
    /* float32: a double logit beyond FLT_MAX is an error, not a silent inf */
    p.dtype = LMP_DTYPE_F32;
    CHECK(create_sampler(&p, 4, &s, &err) == LMP_OK);
    double huge[] = {1e300, 0.0};
    CHECK(lmp_sampler_apply(s, huge, 2, NULL, 0, &err) == LMP_EINVAL);
    lmp_sampler_free(s);
    /* penalties: history ids are checked */
    p = params(LMP_CONV_HF);
    p.repetition_penalty = 1.3;
    CHECK(create_sampler(&p, 4, &s, &err) == LMP_OK);
    int32_t hist[] = {0, 9};
    CHECK(lmp_sampler_apply(s, five, 4, hist, 2, &err) == LMP_EINVAL);
    CHECK(strstr(err.msg, "history[1] = 9") != NULL);
    lmp_sampler_free(s);
    lmp_sampler_free(NULL);
}

static void test_penalties(void)
{
    double sc[] = {2.0, -1.0, 0.5, 0.0, 3.0};
    int32_t prev[] = {0, 1, 3, 0};
    CHECK(lmp_repetition_penalty(sc, 5, prev, 4, 1.2, NULL) == LMP_OK);
    CHECK_REL(sc[0], 2.0 / 1.2, 1e-15);
    CHECK_REL(sc[1], -1.2, 1e-15);
    CHECK(sc[3] == 0.0 && sc[2] == 0.5);
    float lf[] = {2.0f, -1.0f, 0.5f, 0.0f, 3.0f};
    CHECK(lmp_penalties_f32(lf, 5, prev, 4, 1.2f, 0.5f, 0.25f, NULL) == LMP_OK);
    CHECK_REL(lf[0], 0.4166666269302368, 1e-6);
    CHECK_REL(lf[3], -0.75, 1e-7);
    /* the chain applies the same penalties (llama: last_n) */
    lmp_sampler_params p = params(LMP_CONV_LLAMA);
    p.repetition_penalty = 1.2;
    p.frequency_penalty = 0.5;
    p.presence_penalty = 0.25;
    p.penalty_last_n = 4;
    lmp_sampler *s;
    CHECK(create_sampler(&p, 5, &s, NULL) == LMP_OK);
    double x[] = {2.0, -1.0, 0.5, 0.0, 3.0};
    int32_t hist[] = {4, 4, 0, 1, 3, 0}; /* the two 4s are older than the last 4 */
    CHECK(lmp_sampler_apply(s, x, 5, hist, 6, NULL) == LMP_OK);
    lmp_candidates c = lmp_sampler_kept(s);
    CHECK_REL(c.logit[0], 0.4166666269302368, 1e-6);
    CHECK_REL(c.logit[1], -1.9500000476837158, 1e-6);
    CHECK(c.logit[4] == 3.0);
    /* and again: the counts scratch is clean between calls */
    CHECK(lmp_sampler_apply(s, x, 5, hist, 6, NULL) == LMP_OK);
    c = lmp_sampler_kept(s);
    CHECK_REL(c.logit[0], 0.4166666269302368, 1e-6);
    lmp_sampler_free(s);
    /* Penalties that push a finite logit to +inf (issue: float64 probabilities inf/inf = NaN, and the draw
     * gave token 0 with LMP_OK; float32 gave the boosted token): LMP_ERANGE naming the token, on the fused
     * and the reference path, in both conventions and dtypes. */
    const double lg[] = {1, 2, 3, 4, 5, 6, 7, 8};
    const int32_t h7[] = {7, 7, 7}, h0[] = {0};
    for (int k = 0; k < 8; k++) {
        lmp_sampler_params q = params(k & 1 ? LMP_CONV_LLAMA : LMP_CONV_HF);
        q.dtype = k & 2 ? LMP_DTYPE_F32 : LMP_DTYPE_F64;
        q.path = k & 4 ? LMP_PATH_REFERENCE : LMP_PATH_AUTO;
        for (int which = 0; which < 2; which++) {
            lmp_sampler_params r = q;
            /* float32: penalties it can hold (one beyond float32 is refused when the sampler is made, below) */
            if (which) r.repetition_penalty = k & 2 ? 1e-40 : 1e-310;
            else r.frequency_penalty = k & 2 ? -3e38 : -1e308;
            lmp_error err;
            int32_t tok = -2;
            lmp_rng rng;
            lmp_rng_seed(&rng, LMP_RNG_XOSHIRO, 1, NULL);
            CHECK(create_sampler(&r, 8, &s, NULL) == LMP_OK);
            CHECK_MSG(lmp_sampler_sample(s, lg, 8, which ? h0 : h7, which ? 1 : 3, &rng, &tok, &err) == LMP_ERANGE,
                      "case %d %s: token %d", k, which ? "repetition" : "frequency", (int)tok);
            CHECK(strstr(err.msg, which ? "logit[0] = 1 " : "logit[7] = 8 ") != NULL);
            lmp_sampler_free(s);
        }
    }
    /* float32 penalties beyond float32 (+-inf, or a repetition penalty of 0, as floats) are refused by value when
     * the sampler is made: a later "presence_penalty = -inf overflows" named a value nobody gave */
    lmp_sampler_params f = params(LMP_CONV_LLAMA);
    f.dtype = LMP_DTYPE_F32;
    lmp_error err;
    f.presence_penalty = -1e300;
    CHECK(lmp_sampler_params_check(&f, &err) == LMP_EINVAL && strstr(err.msg, "presence_penalty = -1e+300: beyond float32"));
    f.presence_penalty = 0;
    f.repetition_penalty = 1e-300;
    CHECK(lmp_sampler_params_check(&f, &err) == LMP_EINVAL && strstr(err.msg, "repetition_penalty = 1e-300: 0 in float32"));
    f.dtype = LMP_DTYPE_F64; /* float64 holds them */
    CHECK(lmp_sampler_params_check(&f, &err) == LMP_OK);
}

/* Brute-force references on a sorted copy (double): count of the top-p nucleus
 * (mass ranked above < p) and of min-p. */
static int cmp_desc(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x < y) - (x > y);
}

static void test_bucketed_path(void)
{
    lmp_rng r;
    lmp_rng_seed(&r, LMP_RNG_XOSHIRO, 11, NULL);
    size_t V = 30000;
    double *x = malloc(V * sizeof *x), *p = malloc(V * sizeof *p);
    for (int round = 0; round < 4; round++) {
        double scale = round < 2 ? 2.0 : 6.0;
        for (size_t i = 0; i < V; i++) x[i] = scale * lmp_rng_normal(&r);
        lmp_softmax(x, V, p, NULL);
        qsort(p, V, sizeof *p, cmp_desc);
        double P = round % 2 ? 0.5 : 0.9, cum = 0.0;
        size_t want = 0;
        while (want < V && cum < P) cum += p[want++];
        lmp_sampler_params hf = params(LMP_CONV_HF), ll = params(LMP_CONV_LLAMA);
        hf.top_p = ll.top_p = P;
        long got = kept_of(&hf, x, V, NULL);
        CHECK_MSG(got == (long)want, "round %d: HF top-p kept %ld, brute force %zu", round, got, want);
        ll.dtype = LMP_DTYPE_F64;
        got = kept_of(&ll, x, V, NULL);
        CHECK_MSG(got == (long)want, "round %d: llama top-p kept %ld, brute force %zu", round, got, want);
        /* min-p */
        size_t wmp = 0;
        while (wmp < V && p[wmp] >= 0.05 * p[0]) wmp++;
        hf = params(LMP_CONV_HF);
        hf.min_p = 0.05;
        CHECK_INT(kept_of(&hf, x, V, NULL), wmp);
        /* p = 0 (and a tiny p) keeps min_keep = 1 on the bucketed path too */
        hf = params(LMP_CONV_HF);
        hf.top_p = 0.0;
        CHECK_INT(kept_of(&hf, x, V, NULL), 1);
        ll = params(LMP_CONV_LLAMA);
        ll.top_p = 1e-12;
        CHECK_INT(kept_of(&ll, x, V, NULL), 1);
        hf.min_keep = 5;
        CHECK_INT(kept_of(&hf, x, V, NULL), 5);
        /* typical on the bucketed path keeps a non-empty set */
        hf = params(LMP_CONV_HF);
        hf.typical_p = 0.9;
        got = kept_of(&hf, x, V, NULL);
        CHECK(got >= 1 && got < (long)V);
        /* top-k agrees with sorting */
        hf = params(LMP_CONV_HF);
        hf.top_k = 100;
        CHECK_INT(kept_of(&hf, x, V, NULL), 100);
    }
    free(x);
    free(p);
}

static void test_f32_probabilities(void)
{
    /* the float32 path's vectorised exp: probabilities within 4 float ulps of double softmax */
    size_t V = 5000;
    double *x = malloc(V * sizeof *x), *want = malloc(V * sizeof *want);
    for (size_t i = 0; i < V; i++) x[i] = -80.0 * (double)i / (double)V + 0.37 * (double)(i % 7);
    for (size_t i = 0; i < V; i++) x[i] = (float)x[i];
    lmp_softmax(x, V, want, NULL);
    lmp_sampler_params p = params(LMP_CONV_HF);
    p.dtype = LMP_DTYPE_F32;
    lmp_sampler *s;
    CHECK(create_sampler(&p, V, &s, NULL) == LMP_OK);
    CHECK(lmp_sampler_apply(s, x, V, NULL, 0, NULL) == LMP_OK);
    lmp_candidates c = lmp_sampler_kept(s);
    /* float32 arithmetic rounds the argument x - max to float first (as
     * llama.cpp's expf(l - max)), which alone costs |x - max| * 2^-24 relative;
     * allow that plus 4 float ulps for exp, the sum and the division. */
    double worst = 0, mx = x[0];
    for (size_t i = 0; i < V; i++)
        if (x[i] > mx) mx = x[i];
    for (size_t i = 0; i < V; i++) {
        if (want[i] < 1e-30) continue; /* below FLT_MIN the path flushes to 0 */
        double rel = fabs(c.p[i] - want[i]) / want[i];
        double allowed = (fabs(x[i] - mx) + 4.0) * 0x1p-24;
        if (rel / allowed > worst) worst = rel / allowed;
    }
    CHECK_MSG(worst <= 1.0, "worst relative error / allowed = %g", worst);
    lmp_sampler_free(s);
    free(x);
    free(want);
}

/* A temperature-only chain on float32 logits with V > 4096 takes the lazy path
 * (no V-sized probability array unless asked for): its kept set and its draws
 * must equal those of the materialised float32 path (double input, same values). */
static void test_lazy_path(void)
{
    size_t V = 20000;
    float *xf = malloc(V * sizeof *xf);
    double *xd = malloc(V * sizeof *xd);
    lmp_rng r;
    lmp_rng_seed(&r, LMP_RNG_XOSHIRO, 3, NULL);
    for (size_t i = 0; i < V; i++) xd[i] = xf[i] = (float)(2.0 * lmp_rng_normal(&r));
    xf[17] = xd[17] = -INFINITY;
    lmp_sampler_params p = params(LMP_CONV_HF);
    p.dtype = LMP_DTYPE_F32;
    p.temperature = 0.7;
    lmp_sampler *a, *b;
    CHECK(create_sampler(&p, V, &a, NULL) == LMP_OK);
    CHECK(create_sampler(&p, V, &b, NULL) == LMP_OK);
    CHECK(lmp_sampler_apply_f32(a, xf, V, NULL, 0, NULL) == LMP_OK);   /* lazy */
    CHECK(lmp_sampler_apply(b, xd, V, NULL, 0, NULL) == LMP_OK); /* materialised */
    int same = 0;
    for (int i = 0; i < 2000; i++) {
        double u = (i + 0.5) / 2000.0;
        same += lmp_sampler_draw_u(a, u) == lmp_sampler_draw_u(b, u);
    }
    CHECK_MSG(same >= 1999, "lazy and materialised draws agree on %d of 2000 u", same);
    lmp_candidates ca = lmp_sampler_kept(a), cb = lmp_sampler_kept(b);
    CHECK_INT(ca.n, V);
    CHECK_INT(cb.n, V);
    size_t diff = 0;
    for (size_t i = 0; i < V && ca.n == V && cb.n == V; i++) {
        diff += ca.id[i] != cb.id[i] || ca.logit[i] != cb.logit[i];
        diff += fabs(ca.p[i] - cb.p[i]) > 2e-7 * cb.p[i];
    }
    CHECK_INT(diff, 0);
    CHECK(ca.p[17] == 0.0);
    /* the draw after kept() is the same as before it */
    CHECK_INT(lmp_sampler_draw_u(a, 0.25), lmp_sampler_draw_u(b, 0.25));
    /* errors on the lazy path too */
    lmp_error err;
    xf[5] = NAN;
    CHECK(lmp_sampler_apply_f32(a, xf, V, NULL, 0, &err) == LMP_EINVAL);
    CHECK(strstr(err.msg, "logit[5]") != NULL);
    CHECK(lmp_sampler_kept(a).n == 0);
    for (size_t i = 0; i < V; i++) xf[i] = -INFINITY;
    CHECK(lmp_sampler_apply_f32(a, xf, V, NULL, 0, &err) == LMP_EINVAL);
    lmp_sampler_free(a);
    lmp_sampler_free(b);
    free(xf);
    free(xd);
}

/* Top-k straight from float32 logits (the gather path) equals the general
 * path on the same values (double input), in both conventions, with a
 * temperature, with ties at the k-th value and with -inf. */
static void test_topk_gather_path(void)
{
    size_t V = 40000;
    float *xf = malloc(V * sizeof *xf);
    double *xd = malloc(V * sizeof *xd);
    int32_t *ia = malloc(V * sizeof *ia), *ib = malloc(V * sizeof *ib);
    lmp_rng r;
    lmp_rng_seed(&r, LMP_RNG_XOSHIRO, 21, NULL);
    for (size_t i = 0; i < V; i++) xf[i] = (float)(0.01 * (double)(int)(300 * lmp_rng_normal(&r))); /* many ties */
    xf[3] = -INFINITY;
    for (size_t i = 0; i < V; i++) xd[i] = xf[i];
    for (int conv = 0; conv < 2; conv++)
        for (int ti = 0; ti < 3; ti++) {
            double Ts[] = {1.0, 0.7, 1.9};
            lmp_sampler_params p = params(conv ? LMP_CONV_LLAMA : LMP_CONV_HF);
            p.dtype = LMP_DTYPE_F32;
            p.top_k = 40;
            p.top_p = 0.95;
            p.temperature = Ts[ti];
            lmp_sampler *a, *b;
            CHECK(create_sampler(&p, V, &a, NULL) == LMP_OK);
            CHECK(create_sampler(&p, V, &b, NULL) == LMP_OK);
            CHECK(lmp_sampler_apply_f32(a, xf, V, NULL, 0, NULL) == LMP_OK);
            CHECK(lmp_sampler_apply(b, xd, V, NULL, 0, NULL) == LMP_OK);
            lmp_candidates ca = lmp_sampler_kept(a), cb = lmp_sampler_kept(b);
            int same = ca.n == cb.n;
            for (size_t i = 0; same && i < ca.n; i++) same = ca.id[i] == cb.id[i] && ca.p[i] == cb.p[i];
            CHECK_MSG(same, "conv %d T %g: gather path kept %zu, general path %zu", conv, Ts[ti], ca.n, cb.n);
            lmp_sampler_free(a);
            lmp_sampler_free(b);
        }
    /* top-p first (top-k off): the gathered nucleus equals the general path's */
    for (int conv = 0; conv < 2; conv++)
        for (int ci = 0; ci < 4; ci++) {
            double Ts[] = {1.0, 0.7, 1.0, 1.6}, Ps[] = {0.9, 0.5, 0.95, 0.8}, MPs[] = {0.0, 0.0, 0.02, 0.0};
            lmp_sampler_params p = params(conv ? LMP_CONV_LLAMA : LMP_CONV_HF);
            p.dtype = LMP_DTYPE_F32;
            p.top_p = Ps[ci];
            p.min_p = MPs[ci];
            p.temperature = Ts[ci];
            p.min_keep = ci == 3 ? 7 : 1;
            lmp_sampler *a, *b;
            CHECK(create_sampler(&p, V, &a, NULL) == LMP_OK);
            CHECK(create_sampler(&p, V, &b, NULL) == LMP_OK);
            CHECK(lmp_sampler_apply_f32(a, xf, V, NULL, 0, NULL) == LMP_OK);
            CHECK(lmp_sampler_apply(b, xd, V, NULL, 0, NULL) == LMP_OK);
            lmp_candidates ca = lmp_sampler_kept(a), cb = lmp_sampler_kept(b);
            int same = ca.n == cb.n;
            for (size_t i = 0; same && i < ca.n; i++)
                same = ca.id[i] == cb.id[i] && fabs(ca.p[i] - cb.p[i]) <= 2e-7 * cb.p[i];
            CHECK_MSG(same, "top-p conv %d case %d: gather path kept %zu, general path %zu", conv, ci, ca.n, cb.n);
            lmp_sampler_free(a);
            lmp_sampler_free(b);
        }
    /* min-p first (top-k and top-p off), both dtypes */
    for (int conv = 0; conv < 2; conv++)
        for (int ci = 0; ci < 4; ci++) {
            double Ts[] = {1.0, 0.7, 1.3, 1.0}, MPs[] = {0.05, 0.1, 0.01, 0.2};
            lmp_sampler_params p = params(conv ? LMP_CONV_LLAMA : LMP_CONV_HF);
            p.dtype = ci % 2 ? LMP_DTYPE_F64 : LMP_DTYPE_F32;
            p.min_p = MPs[ci];
            p.temperature = Ts[ci];
            p.epsilon = ci == 3 ? 1e-3 : 0.0;
            lmp_sampler *a, *b;
            CHECK(create_sampler(&p, V, &a, NULL) == LMP_OK);
            CHECK(create_sampler(&p, V, &b, NULL) == LMP_OK);
            CHECK(lmp_sampler_apply_f32(a, xf, V, NULL, 0, NULL) == LMP_OK);
            CHECK(lmp_sampler_apply(b, xd, V, NULL, 0, NULL) == LMP_OK);
            lmp_candidates ca = lmp_sampler_kept(a), cb = lmp_sampler_kept(b);
            int same = ca.n == cb.n;
            for (size_t i = 0; same && i < ca.n; i++) same = ca.id[i] == cb.id[i] && ca.p[i] == cb.p[i];
            CHECK_MSG(same, "min-p conv %d case %d: gather path kept %zu, general path %zu", conv, ci, ca.n, cb.n);
            lmp_sampler_free(a);
            lmp_sampler_free(b);
        }
    lmp_error err;
    lmp_sampler_params p = params(LMP_CONV_HF);
    p.top_k = 5;
    lmp_sampler *s;
    CHECK(create_sampler(&p, V, &s, NULL) == LMP_OK);
    xf[30001] = NAN;
    CHECK(lmp_sampler_apply_f32(s, xf, V, NULL, 0, &err) == LMP_EINVAL);
    CHECK(strstr(err.msg, "logit[30001]") != NULL);
    lmp_sampler_free(s);
    p = params(LMP_CONV_HF);
    p.dtype = LMP_DTYPE_F32;
    p.top_p = 0.9;
    CHECK(create_sampler(&p, V, &s, NULL) == LMP_OK);
    CHECK(lmp_sampler_apply_f32(s, xf, V, NULL, 0, &err) == LMP_EINVAL); /* the NaN at 30001 */
    CHECK(strstr(err.msg, "logit[30001]") != NULL);
    for (size_t i = 0; i < V; i++) xf[i] = -INFINITY;
    CHECK(lmp_sampler_apply_f32(s, xf, V, NULL, 0, &err) == LMP_EINVAL);
    CHECK(strstr(err.msg, "-inf") != NULL);
    lmp_sampler_free(s);
    p.top_p = 1.0;
    p.top_k = 5;
    CHECK(create_sampler(&p, V, &s, NULL) == LMP_OK);
    CHECK(lmp_sampler_apply_f32(s, xf, V, NULL, 0, &err) == LMP_EINVAL);
    CHECK(strstr(err.msg, "-inf") != NULL);
    lmp_sampler_free(s);
    free(xf);
    free(xd);
    free(ia);
    free(ib);
}

/* The streaming gather (validate + running max + candidates, one pass) behind
 * the top-k-first and min-p-first fast paths, against the general path
 * (lmp_sampler_apply on the same values takes no fast path), on random
 * logits of several shapes: flat, heavy ties, an ascending ramp (a new maximum
 * in every block), mostly -inf, one far maximum at the end (the running line
 * starts low), logits placed on the min-p line; both conventions, both dtypes,
 * several T, k, min_p, min_keep; and bad values at every kind of position. */
static void test_gather_fast_paths_random(void)
{
    size_t V = 20011; /* not a multiple of 32: the scalar tail runs */
    float *xf = malloc(V * sizeof *xf);
    double *xd = malloc(V * sizeof *xd);
    lmp_rng r;
    lmp_rng_seed(&r, LMP_RNG_XOSHIRO, 77, NULL);
    int fails = 0, cases = 0;
    for (int kind = 0; kind < 7; kind++) {
        for (size_t i = 0; i < V; i++) {
            double z = lmp_rng_normal(&r);
            double v;
            switch (kind) {
            case 0: v = 2.0 * z; break;
            case 1: v = 0.25 * floor(4.0 * z); break;
            case 2: v = 1e-3 * (double)i + 0.01 * z; break;
            case 3: v = lmp_rng_uniform(&r) < 0.9 ? -INFINITY : z; break;
            case 4: v = i == V - 3 ? 30.0 : z; break;
            case 5: v = i % 3 == 0 ? 4.0 + log(0.05) : i % 3 == 1 ? 4.0 : z; break; /* on the 0.05 line of max 4 */
            default: v = i == V - 1 ? 1.0 : -INFINITY; break;
            }
            xf[i] = (float)v;
        }
        for (size_t i = 0; i < V; i++) xd[i] = xf[i];
        for (int conv = 0; conv < 2; conv++)
            for (int dt = 0; dt < 2; dt++)
                for (int ci = 0; ci < 8; ci++) {
                    static const double Ts[] = {1.0, 0.7, 1.9, 1.0, 0.7, 1.3, 1.0, 0.5};
                    static const long Ks[] = {50, 1, 200, 0, 0, 0, 0, 7};
                    static const double MPs[] = {0.0, 0.0, 0.1, 0.05, 0.3, 0.01, 1.0, 0.05};
                    static const size_t MKs[] = {1, 1, 3, 1, 5, 1, 2, 600};
                    lmp_sampler_params p = params(conv ? LMP_CONV_LLAMA : LMP_CONV_HF);
                    p.dtype = dt ? LMP_DTYPE_F64 : LMP_DTYPE_F32;
                    p.temperature = Ts[ci];
                    p.top_k = Ks[ci];
                    p.min_p = MPs[ci];
                    p.min_keep = MKs[ci];
                    lmp_sampler *a, *b;
                    CHECK(create_sampler(&p, V, &a, NULL) == LMP_OK);
                    CHECK(create_sampler(&p, V, &b, NULL) == LMP_OK);
                    lmp_status sa = lmp_sampler_apply_f32(a, xf, V, NULL, 0, NULL);
                    lmp_status sb = lmp_sampler_apply(b, xd, V, NULL, 0, NULL);
                    int same = sa == sb;
                    if (same && sa == LMP_OK) {
                        lmp_candidates ca = lmp_sampler_kept(a), cb = lmp_sampler_kept(b);
                        same = ca.n == cb.n && ca.n > 0;
                        for (size_t i = 0; same && i < ca.n; i++)
                            same = ca.id[i] == cb.id[i] && ca.p[i] == cb.p[i] && ca.logit[i] == cb.logit[i];
                        for (int d = 0; same && d < 20; d++) {
                            double u = (d + 0.5) / 20.0;
                            same = lmp_sampler_draw_u(a, u) == lmp_sampler_draw_u(b, u);
                        }
                        if (!same)
                            fprintf(stderr, "gather kind %d conv %d dtype %d case %d: kept %zu vs %zu\n", kind, conv,
                                    dt, ci, ca.n, cb.n);
                    }
                    fails += !same;
                    cases++;
                    lmp_sampler_free(a);
                    lmp_sampler_free(b);
                }
    }
    CHECK_MSG(fails == 0, "%d of %d gather cases differ from the general path", fails, cases);
    /* bad values: the first one is named, wherever it is (first block, a later
     * block, the scalar tail, after a new maximum), for both fast paths */
    for (size_t i = 0; i < V; i++) xf[i] = (float)(2.0 * lmp_rng_normal(&r));
    static const size_t pos[] = {0, 31, 32, 5000, 5001, 20000, 20010};
    for (size_t pi = 0; pi < sizeof pos / sizeof pos[0]; pi++)
        for (int what = 0; what < 2; what++)
            for (int path = 0; path < 2; path++) {
                lmp_sampler_params p = params(LMP_CONV_HF);
                p.dtype = LMP_DTYPE_F32;
                if (path) p.top_k = 40;
                else p.min_p = 0.05;
                float keep = xf[pos[pi]], later = xf[V - 1];
                xf[pos[pi]] = what ? INFINITY : NAN;
                if (pos[pi] + 1 < V) xf[V - 1] = NAN; /* a second bad value after the first */
                lmp_sampler *s;
                lmp_error err;
                char want[32];
                snprintf(want, sizeof want, "logit[%zu]", pos[pi]);
                CHECK(create_sampler(&p, V, &s, NULL) == LMP_OK);
                CHECK(lmp_sampler_apply_f32(s, xf, V, NULL, 0, &err) == LMP_EINVAL);
                CHECK_MSG(strstr(err.msg, want) != NULL, "path %d: %s, expected %s", path, err.msg, want);
                lmp_sampler_free(s);
                xf[pos[pi]] = keep;
                xf[V - 1] = later;
            }
    free(xf);
    free(xd);
}

/* The top-p-first path (float32 logits and dtype): every exp once, a sampled
 * guess of the crossing bucket checked by the mass of a gather (or, when the
 * guess fails, the full mass histogram), against the general path on many
 * shapes: ties (equal keys across the cut, HF ranks the higher id first),
 * -inf, one dominant token, a ramp; p from 0 to within 1e-6 of 1 (the check
 * cannot pass: the full histogram decides), min_keep, temperature. */
static void test_topp_fast_path_random(void)
{
    size_t V = 30011;
    float *xf = malloc(V * sizeof *xf);
    double *xd = malloc(V * sizeof *xd);
    lmp_rng r;
    lmp_rng_seed(&r, LMP_RNG_XOSHIRO, 91, NULL);
    int fails = 0, cases = 0;
    for (int kind = 0; kind < 6; kind++) {
        for (size_t i = 0; i < V; i++) {
            double z = lmp_rng_normal(&r), v;
            switch (kind) {
            case 0: v = 2.0 * z; break;
            case 1: v = 0.5 * floor(2.0 * z); break; /* few distinct values: big ties at the cut */
            case 2: v = lmp_rng_uniform(&r) < 0.7 ? -INFINITY : 3.0 * z; break;
            case 3: v = i == 12345 ? 40.0 : z; break; /* one token holds nearly all the mass */
            case 4: v = -1.1 * log((double)((i * 7919) % V + 1)) + 0.3 * z; break; /* Zipf-like */
            default: v = 2e-4 * (double)i + 0.05 * z; break;
            }
            xf[i] = (float)v;
        }
        for (size_t i = 0; i < V; i++) xd[i] = xf[i];
        for (int conv = 0; conv < 2; conv++)
            for (int ci = 0; ci < 8; ci++) {
                static const double Ps[] = {0.9, 0.5, 0.99, 0.0, 0.9999995, 0.3, 0.95, 0.8};
                static const double Ts[] = {1.0, 0.7, 1.0, 1.0, 1.0, 1.6, 0.9, 1.0};
                static const size_t MKs[] = {1, 1, 1, 3, 1, 1, 2, 40};
                lmp_sampler_params p = params(conv ? LMP_CONV_LLAMA : LMP_CONV_HF);
                p.dtype = LMP_DTYPE_F32;
                p.top_p = Ps[ci];
                p.temperature = Ts[ci];
                p.min_keep = MKs[ci];
                p.min_p = ci == 7 ? 0.01 : 0.0;
                lmp_sampler *a, *b;
                CHECK(create_sampler(&p, V, &a, NULL) == LMP_OK);
                CHECK(create_sampler(&p, V, &b, NULL) == LMP_OK);
                int same = lmp_sampler_apply_f32(a, xf, V, NULL, 0, NULL) == LMP_OK &&
                           lmp_sampler_apply(b, xd, V, NULL, 0, NULL) == LMP_OK;
                lmp_candidates ca = lmp_sampler_kept(a), cb = lmp_sampler_kept(b);
                same = same && ca.n == cb.n && ca.n > 0;
                for (size_t i = 0; same && i < ca.n; i++)
                    same = ca.id[i] == cb.id[i] && ca.logit[i] == cb.logit[i] &&
                           fabs(ca.p[i] - cb.p[i]) <= 2e-7 * cb.p[i];
                if (!same)
                    fprintf(stderr, "top-p kind %d conv %d case %d: fast path kept %zu, general path %zu\n", kind,
                            conv, ci, ca.n, cb.n);
                fails += !same;
                cases++;
                lmp_sampler_free(a);
                lmp_sampler_free(b);
            }
    }
    CHECK_MSG(fails == 0, "%d of %d top-p cases differ from the general path", fails, cases);
    free(xf);
    free(xd);
}

/* The float32 exp kernel (whichever variant the machine runs: baseline,
 * AVX2 + FMA or AVX-512) against libm in float ulps, on a dense grid of
 * [-87.3, 0] and on every length 0..40 (the 16-, 8-lane and scalar tails);
 * the double-input kernel gives the same bits as the float one. */
/* The documented summation order of every float32 exp sum (kernels.c): groups of
 * 16 (zeros past n), 16 groups a block of 256 added as a pairwise float tree lane
 * by lane, the 16 lanes reduced in double as (y_j + y_(j+8)) then (d_j + d_(j+4))
 * then (t0 + t1) + (t2 + t3), the blocks added in double in order. */
static double ref_exp_sum_order(const float *y, size_t n)
{
    double total = 0.0;
    for (size_t lo = 0; lo < n; lo += 256) {
        float g[16][16];
        for (size_t j = 0; j < 16; j++)
            for (size_t l = 0; l < 16; l++) g[j][l] = lo + 16 * j + l < n ? y[lo + 16 * j + l] : 0.0f;
        for (size_t w = 1; w < 16; w *= 2)
            for (size_t j = 0; j + w < 16; j += 2 * w)
                for (size_t l = 0; l < 16; l++) g[j][l] = g[j][l] + g[j + w][l];
        double d[8], t[4];
        for (int l = 0; l < 8; l++) d[l] = (double)g[0][l] + (double)g[0][l + 8];
        for (int l = 0; l < 4; l++) t[l] = d[l] + d[l + 4];
        total += (t[0] + t[1]) + (t[2] + t[3]);
    }
    return total;
}

static void test_expf_kernel_ulp(void)
{
    size_t n = 1 << 20;
    float *x = malloc((n + 40) * sizeof *x), *y = malloc((n + 40) * sizeof *y);
    double *xd = malloc(4096 * sizeof *xd), *ed = malloc(4096 * sizeof *ed);
    for (size_t i = 0; i < n; i++) x[i] = (float)(-87.3 * (double)i / (double)n);
    x[7] = -INFINITY;
    x[9] = -100.0f;
    double s = lmp_sample_expf_array(test_isa, x, n, 0.0f, y);
    double worst = 0, sum = 0;
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        double want = exp((double)x[i]);
        sum += y[i];
        if (want < 0x1p-126) { /* under FLT_MIN: flushed to 0 (or the value) */
            bad += !(y[i] == 0.0f || fabs(y[i] - want) <= 0x1p-149 * 4);
            continue;
        }
        float wf = (float)want;
        double ulp = (double)nextafterf(wf, INFINITY) - (double)wf;
        double e = fabs((double)y[i] - want) / ulp;
        if (e > worst) worst = e;
    }
    CHECK_MSG(worst <= 2.0, "expf kernel: worst error %.3g ulp", worst);
    CHECK_INT(bad, 0);
    CHECK(y[7] == 0.0f && y[9] == 0.0f && y[0] == 1.0f);
    /* the sum in its documented order, to the bit, and close to the sequential double sum */
    CHECK(s == ref_exp_sum_order(y, n));
    CHECK(fabs(s - sum) <= 4e-7 * sum);
    /* every length: the same values as the long call (offset by m) */
    static const size_t longer[] = {255, 256, 257, 300, 511, 512, 513, 1000, 4095, 4096};
    for (size_t c = 0; c <= 40 + sizeof longer / sizeof longer[0]; c++) {
        size_t len = c <= 40 ? c : longer[c - 41];
        float m = 0.5f;
        for (size_t i = 0; i < len; i++) x[i] = (float)(-0.37 * (double)(i % 97)) + m;
        double tot = lmp_sample_expf_array(test_isa, x, len, m, y), chk = 0;
        int ok = 1;
        for (size_t i = 0; i < len; i++) {
            chk += y[i];
            float want = (float)exp((double)(x[i] - m));
            ok &= fabs(y[i] - want) <= 2.5 * ((double)nextafterf(want, INFINITY) - (double)want);
            xd[i] = (double)x[i];
        }
        ok &= lmp_sample_exp_sum(test_isa, xd, len, (double)m, ed, 1) == tot;
        for (size_t i = 0; i < len; i++) ok &= ed[i] == (double)y[i];
        CHECK_MSG(ok && tot == ref_exp_sum_order(y, len) && fabs(tot - chk) <= 4e-7 * chk, "expf kernel, length %zu",
                  len);
    }
    free(x);
    free(y);
    free(xd);
    free(ed);
}

/* Near-ties of the float quotient X / N: a float x (24-bit significand X)
 * with x / Tf within about 2^-49 (relative) of a float rounding midpoint, the
 * closest a float quotient of floats comes to one. For Tf = N * 2^k (N odd),
 * X = r * 2^-s mod N gives X * 2^s = q N + r with |r| small; q odd puts x / Tf
 * next to a midpoint. */
static size_t near_ties(float tf, float *out, size_t cap)
{
    int k;
    double fr = frexp((double)tf, &k);
    uint64_t N = (uint64_t)ldexp(fr, 24);
    while (N % 2 == 0) N /= 2;
    size_t n = 0;
    for (int s = 20; s <= 28 && n < cap; s++) {
        uint64_t inv = 1; /* 2^-s mod N */
        for (int j = 0; j < s; j++) inv = inv % 2 ? (inv + N) / 2 : inv / 2;
        for (int64_t r = -40; r <= 40 && n < cap; r++) {
            if (r == 0) continue;
            uint64_t rm = r > 0 ? (uint64_t)r : N - (uint64_t)(-r);
            uint64_t X = inv * rm % N; /* r * 2^-s mod N */
            if (X == 0 || X >= (1u << 24)) continue;
            double q = ldexp((double)X, s) / (double)N;
            if (((uint64_t)floor(q + 0.5)) % 2 == 0) continue; /* next to a float, not a midpoint */
            for (int e = -30; e <= 10 && n < cap; e += 8) out[n++] = (float)ldexp((double)X, e - 23);
        }
    }
    return n;
}

/* float32 temperature: every path (load, the lazy path, the top-p and top-k
 * fast paths, the general path) gives x / (float)T in float, the correctly
 * rounded quotient (torch on float32 tensors, llama.cpp's logit /= temp).
 * Random x and the near-ties above, several T; also counts the x where the
 * former (float)((double)x * (1.0 / Tf)) differs (none can: its error,
 * < 2^-52 relative, is below the 2^-49 gap from any midpoint). */
static void test_f32_temperature_exact(void)
{
    static const double Ts[] = {0.7, 0.3, 1.3, 0.9, 1.7, 0.6, 0.11, 3.7};
    size_t V = 40000;
    float *x = malloc(V * sizeof *x), *q = malloc(V * sizeof *q), *e1 = malloc(V * sizeof *e1),
          *e2 = malloc(V * sizeof *e2);
    double *lg = malloc(V * sizeof *lg), *p = malloc(V * sizeof *p), *key = malloc(V * sizeof *key),
           *block = malloc((V / LMP_LAZY_BLOCK + 1) * sizeof *block), *eb = malloc(LMP_LAZY_BLOCK * sizeof *eb);
    float *cp = malloc(V * sizeof *cp);
    lmp_rng r;
    lmp_rng_seed(&r, LMP_RNG_XOSHIRO, 11, NULL);
    size_t old_differs = 0;
    for (size_t t = 0; t < sizeof Ts / sizeof Ts[0]; t++) {
        float tf = (float)Ts[t];
        size_t nt = near_ties(tf, x, V / 2);
        CHECK_MSG(nt > 100, "T = %g: only %zu near-ties", Ts[t], nt);
        for (size_t i = nt; i < V; i++) {
            double u = lmp_rng_uniform(&r);
            x[i] = i % 7 == 0 ? (float)((u - 0.5) * 1e4) : (float)(4.0 * lmp_rng_normal(&r));
        }
        for (size_t i = 0; i < V; i++) {
            volatile float xi = x[i], tv = tf;
            q[i] = xi / tv; /* the scalar float division */
            old_differs += (float)((double)x[i] * (1.0 / (double)tf)) != q[i];
        }
        x[V - 5] = -INFINITY;
        q[V - 5] = -INFINITY;
        /* load (HF fused temperature), every length mod 8 */
        double mx;
        size_t bad = 0;
        for (size_t n = V - 9; n <= V; n++) {
            CHECK_INT(lmp_sample_load(test_isa, x, NULL, n, (double)tf, lg, 1, &mx), n);
            for (size_t i = 0; i < n; i++) bad += lg[i] != (double)q[i];
        }
        /* topp_convert */
        for (size_t i = 0; i < V; i++) e1[i] = 1.0f;
        lmp_sample_topp_convert(test_isa, x, e1, V - 3, tf, lg, p, key);
        for (size_t i = 0; i < V - 3; i++) bad += lg[i] != (double)q[i] || key[i] != -(double)q[i];
        CHECK_MSG(bad == 0, "T = %g: %zu logits differ from x / (float)T", Ts[t], bad);
        /* exps of the lazy and top-p kernels: those of x / Tf */
        float m = q[0];
        for (size_t i = 1; i < V; i++) m = q[i] > m ? q[i] : m;
        size_t n = V - 3;
        double zs = lmp_sample_expf_array(test_isa, q, n, m, e1);
        double ze = lmp_sample_topp_exps(test_isa, x, n, tf, m, e2);
        CHECK_MSG(memcmp(e1, e2, n * sizeof *e1) == 0 && ze == zs, "T = %g: topp_exps", Ts[t]);
        /* the top-p pass: the same normaliser, and the gather of x >= lo with those exps */
        {
            float lo = (float)(4.0 * 0.3);
            size_t ng = 0, want = 0, gbad = 0;
            int32_t *gid = malloc(n * sizeof *gid);
            float *gx = malloc(n * sizeof *gx), *ge = malloc(n * sizeof *ge);
            double zg = lmp_sample_exps_gather(test_isa, x, n, tf, m, lo, gid, gx, ge, &ng);
            for (size_t i = 0; i < n; i++) {
                if (!(x[i] >= lo)) continue;
                gbad += want >= ng || gid[want] != (int32_t)i || gx[want] != x[i] || ge[want] != e2[i];
                want++;
            }
            CHECK_MSG(zg == zs && ng == want && want > 100 && gbad == 0, "T = %g: exps_gather (%zu of %zu)", Ts[t], ng,
                      want);
            /* the gather alone (the retries of the top-p route) */
            size_t nf = lmp_sample_fgather_ge(test_isa, x, n, lo, gid, gx), fbad = 0;
            for (size_t j = 0; j < nf && j < ng; j++) fbad += gx[j] != x[gid[j]] || !(gx[j] >= lo);
            CHECK_MSG(nf == want && fbad == 0, "T = %g: fgather_ge", Ts[t]);
            /* the sum of the exps themselves (the top-p route's final normaliser), in the same order */
            double *ed = malloc(n * sizeof *ed);
            for (size_t i = 0; i < n; i++) ed[i] = (double)e2[i];
            CHECK(lmp_sample_sum_exps(test_isa, ed, n) == zs && lmp_sample_sum_exps(test_isa, ed, n - 5) == ref_exp_sum_order(e2, n - 5));
            free(ed);
            free(gid);
            free(gx);
            free(ge);
        }
        double zl = lmp_sample_lazy_sums(test_isa, x, cp, n, tf, m, block);
        CHECK_MSG(zl == zs && memcmp(cp, x, n * sizeof *x) == 0, "T = %g: lazy_sums", Ts[t]);
        size_t lbad = 0;
        for (size_t lo = 0; lo < n; lo += LMP_LAZY_BLOCK) {
            size_t hi = lo + LMP_LAZY_BLOCK < n ? lo + LMP_LAZY_BLOCK : n;
            lmp_sample_lazy_block(test_isa, x, lo, hi, tf, m, eb);
            for (size_t i = lo; i < hi; i++) lbad += eb[i - lo] != (double)e1[i];
        }
        CHECK_MSG(lbad == 0, "T = %g: lazy_block: %zu exps differ", Ts[t], lbad);
        /* the sampler's paths: kept logits are x / Tf */
        for (int c = 0; c < 5; c++) {
            lmp_sampler_params pr = params(c == 4 ? LMP_CONV_LLAMA : LMP_CONV_HF);
            pr.dtype = LMP_DTYPE_F32;
            pr.temperature = Ts[t];
            if (c == 1) pr.top_p = 0.9;   /* top-p fast path */
            if (c == 2) pr.top_k = 100;   /* top-k gather path */
            if (c == 3) pr.min_p = 0.05;  /* min-p gather path */
            if (c == 4) pr.top_p = 0.999; /* llama: temperature last, general path */
            lmp_sampler *sp;
            CHECK(create_sampler(&pr, V, &sp, NULL) == LMP_OK);
            CHECK(lmp_sampler_apply_f32(sp, x, V, NULL, 0, NULL) == LMP_OK);
            lmp_candidates k = lmp_sampler_kept(sp);
            size_t kb = 0;
            for (size_t j = 0; j < k.n; j++) kb += k.logit[j] != (double)q[k.id[j]];
            CHECK_MSG(k.n > 0 && kb == 0, "T = %g, case %d: %zu of %zu kept logits differ from x / (float)T", Ts[t],
                      c, kb, k.n);
            lmp_sampler_free(sp);
        }
    }
    /* a note, not a requirement: the former double multiply agreed everywhere */
    CHECK_INT(old_differs, 0);
    free(x);
    free(q);
    free(e1);
    free(e2);
    free(lg);
    free(p);
    free(key);
    free(block);
    free(eb);
    free(cp);
}

/* The same fast-path tests on every kernel variant this machine can run
 * (baseline, AVX2 + FMA; AVX-512 is the default where present), and the
 * claim that the AVX2 and AVX-512 kernels give the same bits. */
static void kept_copy(lmp_sampler *s, int32_t *id, double *p, size_t *n)
{
    lmp_candidates c = lmp_sampler_kept(s);
    *n = c.n;
    memcpy(id, c.id, c.n * sizeof *id);
    memcpy(p, c.p, c.n * sizeof *p);
}

/* The float64 softmax's exps and sum (lmp_sample_exp_sum, f32 = 0): below 1024 entries libm's exp
 * summed in order, bit for bit, below 8 (numpy's order), compensated to 1023; from 1024 on the vector exp (within 1 ulp of exp) and a
 * compensated sum, at every ISA level, against long double. -inf entries give exactly 0, the
 * maximum exactly 1. */
static void test_exp_sum_f64(void)
{
    enum { V = 50257 };
    double *x = malloc(V * sizeof *x), *e = malloc(V * sizeof *e);
    uint64_t r = 99;
    for (int i = 0; i < V; i++) {
        r = r * 6364136223846793005ULL + 1442695040888963407ULL;
        x[i] = ((double)(r >> 11) * 0x1p-53 - 0.5) * 60.0; /* exps from e^-60 to 1 */
    }
    x[17] = -INFINITY; /* and the last entry finite: in the kernel's partial last vector */
    x[V - 2] = -INFINITY;
    double m = -INFINITY;
    for (int i = 0; i < V; i++) m = x[i] > m ? x[i] : m;
    for (int isa = 0; isa <= lmp_sample_isa_best(); isa++) {
        static const size_t sizes[3] = {5, 1000, V}; /* sequential below 8; compensated below and above 1024 */
        for (int si = 0; si < 3; si++) {
            const size_t n = sizes[si];
            double z = lmp_sample_exp_sum(isa, x, n, m, e, 0), seq = 0;
            long double want = 0;
            int ok = 1;
            for (size_t i = 0; i < n; i++) {
                double ex = exp(x[i] - m);
                want += expl((long double)x[i] - m);
                seq += ex;
                ok &= n < 1024 ? e[i] == ex : fabs(e[i] - ex) <= 0x1p-52 * ex;
                ok &= x[i] != -INFINITY || e[i] == 0.0;
                ok &= x[i] != m || e[i] == 1.0;
            }
            CHECK_MSG(ok, "isa %d n %zu: an exp more than 1 ulp from libm's", isa, n);
            if (n < 8) CHECK_MSG(z == seq, "isa %d n %zu: the short sum is not libm's in order", isa, n);
            else CHECK_MSG(fabsl(z - want) <= 1e-15L * want, "isa %d n %zu: sum %.17g, expected %.17Lg", isa, n, z, want);
        }
    }
    /* 1,000 logits alternating 0 and -1e-10 (the fortieth session's accuracy audit): the sum in order was 78
     * units of 2^-53 off in every probability, condition number 1; compensated, it is within 2 */
    for (int i = 0; i < 1000; i++) x[i] = i % 2 ? -1e-10 : 0.0;
    for (int isa = 0; isa <= lmp_sample_isa_best(); isa++) {
        double z = lmp_sample_exp_sum(isa, x, 1000, 0.0, e, 0);
        long double want = 500.0L + 500.0L * expl(-1e-10L);
        CHECK_MSG(fabsl(z - want) <= 0x1p-52L * want, "isa %d: near-equal logits: sum %.17g, expected %.17Lg (%.1Lf units)",
                  isa, z, want, fabsl(z - want) / (0x1p-53L * want));
    }
    free(x);
    free(e);
}

static void test_isa_variants(void)
{
    int top = lmp_sample_isa_best();
    for (int level = 0; level < top; level++) {
        test_simd = (lmp_simd)(LMP_SIMD_BASELINE + level);
        test_isa = level;
        test_gather_fast_paths_random();
        test_topp_fast_path_random();
        test_topk_gather_path();
        test_lazy_path();
        test_f32_probabilities();
        test_expf_kernel_ulp();
        test_f32_temperature_exact();
    }
    test_simd = LMP_SIMD_BEST;
    test_isa = top;
    if (top == 2) {
        /* two samplers, one capped at AVX2, used in turn: the same bits, and
         * neither's level leaks into the other */
        size_t V = 50000, na, nb;
        float *x = malloc(V * sizeof *x);
        int32_t *ia = malloc(V * sizeof *ia), *ib = malloc(V * sizeof *ib);
        double *pa = malloc(V * sizeof *pa), *pb = malloc(V * sizeof *pb);
        lmp_rng r;
        lmp_rng_seed(&r, LMP_RNG_XOSHIRO, 5, NULL);
        for (size_t i = 0; i < V; i++) x[i] = (float)(2.0 * lmp_rng_normal(&r));
        for (int c = 0; c < 4; c++) {
            lmp_sampler_params p = params(c % 2 ? LMP_CONV_LLAMA : LMP_CONV_HF);
            p.dtype = LMP_DTYPE_F32;
            p.temperature = c < 2 ? 0.7 : 1.0;
            p.top_p = c < 2 ? 1.0 : 0.9;
            lmp_sampler *s2, *s512;
            p.simd = LMP_SIMD_AVX2;
            CHECK(lmp_sampler_create(&p, V, &s2, NULL) == LMP_OK);
            p.simd = LMP_SIMD_AVX512;
            CHECK(lmp_sampler_create(&p, V, &s512, NULL) == LMP_OK);
            CHECK(lmp_sampler_apply_f32(s2, x, V, NULL, 0, NULL) == LMP_OK);
            CHECK(lmp_sampler_apply_f32(s512, x, V, NULL, 0, NULL) == LMP_OK);
            kept_copy(s2, ia, pa, &na);
            kept_copy(s512, ib, pb, &nb);
            int same = na == nb;
            for (size_t i = 0; same && i < na; i++) same = ia[i] == ib[i] && pa[i] == pb[i];
            CHECK_MSG(same, "case %d: AVX2 and AVX-512 kernels differ (kept %zu vs %zu)", c, na, nb);
            lmp_sampler_free(s2);
            lmp_sampler_free(s512);
        }
        float *ya = malloc(V * sizeof *ya), *yb = malloc(V * sizeof *yb);
        double sa = lmp_sample_expf_array(1, x, V - 3, 9.0f, ya);
        double sb = lmp_sample_expf_array(2, x, V - 3, 9.0f, yb);
        CHECK(sa == sb && memcmp(ya, yb, (V - 3) * sizeof *ya) == 0);
        free(ya);
        free(yb);
        free(x);
        free(ia);
        free(ib);
        free(pa);
        free(pb);
    }
    /* a level outside the enum is refused */
    lmp_sampler_params bad;
    lmp_sampler_params_init(&bad);
    bad.simd = (lmp_simd)7;
    lmp_error err;
    CHECK(lmp_sampler_params_check(&bad, &err) == LMP_EINVAL && strstr(err.msg, "simd = 7") != NULL);
}

static void test_no_allocation(void)
{
#ifdef COUNT_ALLOCS
    size_t V = 151936;
    float *xf = malloc(V * sizeof *xf);
    double *xd = malloc(V * sizeof *xd);
    lmp_rng r;
    lmp_rng_seed(&r, LMP_RNG_XOSHIRO, 8, NULL);
    for (size_t i = 0; i < V; i++) xd[i] = xf[i] = (float)(2.0 * lmp_rng_normal(&r));
    int32_t hist[100];
    for (int i = 0; i < 100; i++) hist[i] = (int32_t)((i * 7919) % (int)V);
    struct {
        double T, top_p, min_p, typical, eps, rep;
        long k;
        int conv;
    } chains[] = {
        {0.7, 1, 0, 1, 0, 1, 0, 0},   {1, 1, 0, 1, 0, 1, 50, 0},    {1, 0.9, 0, 1, 0, 1, 0, 0},
        {1, 1, 0.05, 1, 0, 1, 0, 0},  {1, 1, 0, 0.9, 0, 1, 0, 0},   {1, 1, 0, 1, 3e-4, 1, 0, 0},
        {0.7, 0.9, 0, 1, 0, 1, 50, 0}, {0.8, 0.95, 0.05, 1, 0, 1.1, 40, 1}, {0, 1, 0, 1, 0, 1, 0, 0},
    };
    for (size_t c = 0; c < sizeof chains / sizeof chains[0]; c++)
        for (int dt = 0; dt < 2; dt++) {
            lmp_sampler_params p = params(chains[c].conv ? LMP_CONV_LLAMA : LMP_CONV_HF);
            p.dtype = dt ? LMP_DTYPE_F32 : LMP_DTYPE_F64;
            p.temperature = chains[c].T;
            p.top_k = chains[c].k;
            p.top_p = chains[c].top_p;
            p.min_p = chains[c].min_p;
            p.typical_p = chains[c].typical;
            p.epsilon = chains[c].eps;
            p.repetition_penalty = chains[c].rep;
            lmp_sampler *s;
            CHECK(create_sampler(&p, V, &s, NULL) == LMP_OK);
            int32_t tok = -1;
            counting_ = 1;
            nalloc_ = 0;
            lmp_status st1 = lmp_sampler_sample_f32(s, xf, V, hist, 100, &r, &tok, NULL);
            lmp_status st2 = lmp_sampler_sample(s, xd, V, hist, 100, &r, &tok, NULL);
            size_t n = lmp_sampler_kept(s).n;
            counting_ = 0;
            CHECK(st1 == LMP_OK && st2 == LMP_OK && n >= 1);
            CHECK_MSG(nalloc_ == 0, "chain %zu dtype %d: %ld allocations in one call", c, dt, nalloc_);
            lmp_sampler_free(s);
        }
    free(xf);
    free(xd);
#endif
}

static void test_numpy_parity(void)
{
    /* The chapter's greedy/sampling block: np.random.seed(42), 10 x choice(7, p=softmax) */
    lmp_rng r;
    CHECK(lmp_rng_seed(&r, LMP_RNG_NUMPY_LEGACY, 42, NULL) == LMP_OK);
    lmp_sampler_params p = params(LMP_CONV_HF);
    lmp_sampler *s;
    CHECK(create_sampler(&p, 7, &s, NULL) == LMP_OK);
    CHECK(lmp_sampler_apply(s, seedl, 7, NULL, 0, NULL) == LMP_OK);
    int32_t want[] = {0, 5, 2, 1, 0, 0, 0, 3, 1, 2};
    for (int i = 0; i < 10; i++) CHECK_INT(lmp_sampler_draw(s, &r), want[i]);
    /* The top-k block: seed 42, 20 x top_k_sample(k=3) (choice over all 7 with zeros) */
    lmp_sampler_free(s);
    p.top_k = 3;
    CHECK(create_sampler(&p, 7, &s, NULL) == LMP_OK);
    lmp_rng_seed(&r, LMP_RNG_NUMPY_LEGACY, 42, NULL);
    int32_t wk[] = {0, 2, 1, 0, 0, 0, 0, 2, 0, 1, 0, 2, 1, 0, 0, 0, 0, 0, 0, 0};
    for (int i = 0; i < 20; i++) {
        int32_t tok;
        CHECK(lmp_sampler_sample(s, seedl, 7, NULL, 0, &r, &tok, NULL) == LMP_OK);
        CHECK_INT(tok, wk[i]);
    }
    lmp_sampler_free(s);
    /* the exact boundary: probs [.1 .2 .3 .4], u = 0.1 -> 1 (numpy's strict >) */
    double w[] = {0.1, 0.2, 0.3, 0.4};
    CHECK_INT(lmp_sample_index(w, 4, 0.1), 1);
    CHECK_INT(lmp_sample_index(w, 4, 0.0), 0);
    double z[] = {0.0, 1.0, 0.0};
    CHECK_INT(lmp_sample_index(z, 3, 0.999999), 1);
}

/* Upper tail of chi-square with k degrees of freedom, Wilson-Hilferty (accurate
 * to ~1e-3 relative in the range used here, which is all a p > 1e-3 test needs). */
static double chi2_sf(double x, double k)
{
    double z = (pow(x / k, 1.0 / 3.0) - (1.0 - 2.0 / (9.0 * k))) / sqrt(2.0 / (9.0 * k));
    return 0.5 * erfc(z / sqrt(2.0));
}

/* 10^6 draws from the kept set of one apply: all inside it, frequencies consistent. */
static void chi_square_run(const char *name, lmp_sampler *s, size_t V, uint64_t seed, long N);
static void chi_square_case(const char *name, const lmp_sampler_params *p, const double *x, size_t V, uint64_t seed)
{
    lmp_sampler *s;
    CHECK(create_sampler(p, V, &s, NULL) == LMP_OK);
    CHECK(lmp_sampler_apply(s, x, V, NULL, 0, NULL) == LMP_OK);
    chi_square_run(name, s, V, seed, test_scaled(1000000, 100000));
}

static void chi_square_run(const char *name, lmp_sampler *s, size_t V, uint64_t seed, long N)
{
    lmp_candidates c = lmp_sampler_kept(s);
    long *count = calloc(V, sizeof *count);
    unsigned char *in = calloc(V, 1);
    for (size_t i = 0; i < c.n; i++) in[c.id[i]] = 1;
    lmp_rng r;
    lmp_rng_seed(&r, LMP_RNG_XOSHIRO, seed, NULL);
    long outside = 0;
    for (long d = 0; d < N; d++) {
        int32_t t = lmp_sampler_draw(s, &r);
        if (t < 0 || (size_t)t >= V || !in[t]) outside++;
        else count[t]++;
    }
    CHECK_MSG(outside == 0, "%s: %ld draws outside the kept set", name, outside);
    /* cells with expected count >= 5; the rest pooled */
    double stat = 0.0, pool_e = 0.0, pool_o = 0.0;
    int cells = 0;
    for (size_t i = 0; i < c.n; i++) {
        double e = (double)N * c.p[i], o = (double)count[c.id[i]];
        if (e >= 5) {
            stat += (o - e) * (o - e) / e;
            cells++;
        } else {
            pool_e += e;
            pool_o += o;
        }
    }
    if (pool_e >= 5) {
        stat += (pool_o - pool_e) * (pool_o - pool_e) / pool_e;
        cells++;
    }
    if (cells >= 2) {
        double pv = chi2_sf(stat, cells - 1);
        CHECK_MSG(pv > 1e-3, "%s: chi2 = %.2f on %d cells, p = %.3g", name, stat, cells, pv);
    }
    free(count);
    free(in);
    lmp_sampler_free(s);
}

static void test_chi_square(void)
{
    size_t V = 60;
    double x[60];
    lmp_rng r;
    lmp_rng_seed(&r, LMP_RNG_XOSHIRO, 5, NULL);
    for (size_t i = 0; i < V; i++) x[i] = 1.5 * lmp_rng_normal(&r);
    x[7] = -INFINITY;
    for (int conv = 0; conv < 2; conv++) {
        lmp_sampler_params base = params(conv ? LMP_CONV_LLAMA : LMP_CONV_HF), p;
        const char *cn = conv ? "llama" : "hf";
        char name[64];
        p = base;
        p.temperature = 0.8;
        snprintf(name, sizeof name, "%s temperature", cn);
        chi_square_case(name, &p, x, V, 100 + conv);
        p = base;
        p.top_k = 12;
        snprintf(name, sizeof name, "%s top-k", cn);
        chi_square_case(name, &p, x, V, 200 + conv);
        p = base;
        p.top_p = 0.8;
        snprintf(name, sizeof name, "%s top-p", cn);
        chi_square_case(name, &p, x, V, 300 + conv);
        p = base;
        p.min_p = 0.05;
        snprintf(name, sizeof name, "%s min-p", cn);
        chi_square_case(name, &p, x, V, 400 + conv);
        p = base;
        p.typical_p = 0.7;
        snprintf(name, sizeof name, "%s typical", cn);
        chi_square_case(name, &p, x, V, 500 + conv);
        p = base;
        p.epsilon = 0.01;
        snprintf(name, sizeof name, "%s epsilon", cn);
        chi_square_case(name, &p, x, V, 600 + conv);
        p = base;
        p.temperature = 0.7;
        p.top_k = 20;
        p.top_p = 0.9;
        p.min_p = 0.02;
        snprintf(name, sizeof name, "%s chain", cn);
        chi_square_case(name, &p, x, V, 700 + conv);
    }
}

/* The top-p route when nothing follows it draws from the gathered tokens in
 * place: its draws follow numpy's choice rule on the formed kept set (up to u
 * within rounding of a boundary), stay the same after kept() forms the arrays,
 * never leave the kept set, and pass the chi-square test. Both conventions,
 * with and without ties at the cut, with a temperature. */
static void test_topp_lazy_draw(void)
{
    size_t V = 10000;
    float *x = malloc(V * sizeof *x);
    int32_t *before = malloc(2000 * sizeof *before);
    lmp_rng r;
    for (int c = 0; c < 4; c++) {
        lmp_rng_seed(&r, LMP_RNG_XOSHIRO, 40 + (uint64_t)c, NULL);
        for (size_t i = 0; i < V; i++) {
            double z = 2.0 * lmp_rng_normal(&r);
            x[i] = c >= 2 ? (float)(0.05 * (double)(int)(20.0 * z)) : (float)z; /* c >= 2: many ties */
        }
        lmp_sampler_params p = params(c % 2 ? LMP_CONV_LLAMA : LMP_CONV_HF);
        p.dtype = LMP_DTYPE_F32;
        p.top_p = c == 1 ? 0.5 : 0.9;
        p.temperature = c % 2 ? 1.0 : 0.8;
        lmp_sampler *s;
        CHECK(create_sampler(&p, V, &s, NULL) == LMP_OK);
        CHECK(lmp_sampler_apply_f32(s, x, V, NULL, 0, NULL) == LMP_OK);
        for (int i = 0; i < 2000; i++) before[i] = lmp_sampler_draw_u(s, (i + 0.5) / 2000.0);
        lmp_candidates k = lmp_sampler_kept(s);
        double total = 0.0;
        for (size_t i = 0; i < k.n; i++) total += k.p[i];
        int agree = 0, same = 0;
        size_t j = 0;
        double cum = k.p[0]; /* through j; u rises with i, so j only moves forward */
        for (int i = 0; i < 2000; i++) {
            double u = (i + 0.5) / 2000.0;
            while (j + 1 < k.n && cum / total <= u) cum += k.p[++j];
            agree += before[i] == k.id[j];
            same += before[i] == lmp_sampler_draw_u(s, u);
        }
        CHECK_MSG(k.n > 100 && agree >= 1998 && same == 2000,
                  "top-p case %d: lazy draws agree with the kept set's cdf on %d of 2000 (%d unchanged by kept()), "
                  "kept %zu", c, agree, same, k.n);
        char name[64];
        snprintf(name, sizeof name, "lazy top-p case %d", c);
        chi_square_run(name, s, V, 700 + (uint64_t)c, test_scaled(200000, 20000)); /* frees s */
    }
    free(x);
    free(before);
}

/* The validating pass of the top-p route on every ISA level: maximum, the
 * 1-in-16 stride sample and the chunk maxima, against a scalar reference, for
 * lengths that end inside or at the end of a chunk and of a vector step. */
/* The top-p route's kernels at every SIMD level this machine has against the portable ones (level 0),
 * on lengths around every multiple of 8 and 16 and logits with ties: the same gathered ids and logits,
 * bucket indices, bucket masses and (the probabilities being >= 2^-30, whose sums are exact in double) the
 * same returned mass and draws, the same members of a bucket; the mass check within rounding. The AVX2
 * versions of these were written in the thirty-fifth session (they ran scalar on AVX2 machines). */
static void test_topp_kernels_levels(void)
{
    static const size_t lens[] = {0, 1, 7, 8, 9, 15, 16, 17, 63, 64, 65, 255, 256, 257, 1000, 4097};
    const size_t cap = 4097 + 16;
    float *x = malloc(cap * sizeof *x), *e = malloc(cap * sizeof *e), *xs[3], *es[3];
    int32_t *id[3], *bidx[3], *band_b = malloc(cap * sizeof *band_b);
    size_t *ord[3];
    double *bmass[3], *band_p = malloc(cap * sizeof *band_p);
    for (int l = 0; l < 3; l++) {
        xs[l] = malloc(cap * sizeof(float));
        es[l] = malloc(cap * sizeof(float));
        id[l] = malloc(cap * sizeof(int32_t));
        bidx[l] = malloc(cap * sizeof(int32_t));
        ord[l] = malloc(cap * sizeof(size_t));
        bmass[l] = calloc(4096, sizeof(double));
    }
    lmp_rng r;
    lmp_rng_seed(&r, LMP_RNG_XOSHIRO, 2026, NULL);
    int top = lmp_sample_isa_best(), bad = 0, cases = 0;
    for (size_t t = 0; t < sizeof lens / sizeof lens[0]; t++)
        for (int round = 0; round < 3; round++) {
            size_t n = lens[t];
            for (size_t i = 0; i < n; i++) { /* logits in [-8, 0] on a grid of 1/64: many ties */
                x[i] = -(float)lmp_rng_below(&r, 513) / 64.0f;
                e[i] = 0.5f + 0.5f * (float)lmp_rng_uniform(&r);
            }
            float tf = round == 1 ? 0.7f : 1.0f, lo = -3.0f;
            double iz = 1.0 / (double)(n + 1), kmin = 0.0, scale = 4095.0 / 60.0; /* p in [2^-14, 1) */
            int32_t bh = round == 2 ? 0 : 100;
            size_t ng[3], below[3], nm[3], draw[3];
            double high[3], mass[3];
            for (int l = 0; l <= top && l < 3; l++) {
                ng[l] = lmp_sample_fgather_ge(l, x, n, lo, id[l], xs[l]);
                for (size_t j = 0; j < ng[l]; j++) es[l][j] = e[id[l][j]];
                memset(bmass[l], 0, 4096 * sizeof(double));
                high[l] = lmp_sample_topp_bucket(l, xs[l], es[l], ng[l], tf, kmin, scale, 4096, iz, bh, bmass[l],
                                                 bidx[l], band_b, band_p);
                nm[l] = lmp_sample_bucket_members(l, bidx[l], ng[l], bidx[l][ng[l] / 2 < ng[l] ? ng[l] / 2 : 0],
                                                  ord[l], &below[l]);
                mass[l] = lmp_sample_mass_ge(l, xs[l], es[l], ng[l], -1.5f);
                draw[l] = lmp_sample_topp_draw(l, xs[l], es[l], ng[l], tf, -2.0f, 0, SIZE_MAX, iz,
                                               0.37 * (double)ng[l] * iz);
            }
            for (int l = 1; l <= top && l < 3; l++, cases++) {
                int ok = ng[l] == ng[0] && !memcmp(id[l], id[0], ng[0] * sizeof(int32_t)) &&
                         !memcmp(xs[l], xs[0], ng[0] * sizeof(float)) &&
                         !memcmp(bidx[l], bidx[0], ng[0] * sizeof(int32_t)) &&
                         !memcmp(bmass[l], bmass[0], 4096 * sizeof(double)) && high[l] == high[0] &&
                         nm[l] == nm[0] && below[l] == below[0] && !memcmp(ord[l], ord[0], nm[0] * sizeof(size_t)) &&
                         fabs(mass[l] - mass[0]) <= 1e-12 * (1.0 + fabs(mass[0])) && draw[l] == draw[0];
                if (!ok) {
                    bad++;
                    CHECK_MSG(ok, "level %d, n = %zu, round %d: gathered %zu/%zu, high %.17g/%.17g, members %zu/%zu, "
                              "mass %.17g/%.17g, draw %zu/%zu", l, n, round, ng[l], ng[0], high[l], high[0], nm[l],
                              nm[0], mass[l], mass[0], draw[l], draw[0]);
                }
            }
        }
    CHECK_MSG(bad == 0 && (top == 0 || cases > 0), "%d of %d cases differ", bad, cases);
    for (int l = 0; l < 3; l++) {
        free(xs[l]);
        free(es[l]);
        free(id[l]);
        free(bidx[l]);
        free(ord[l]);
        free(bmass[l]);
    }
    free(x);
    free(e);
    free(band_b);
    free(band_p);
}

static void test_fcheck_sample(void)
{
    static const size_t lens[] = {8193, 8223, 10000, 256 * 40, 256 * 40 + 32, 100};
    size_t cap = 256 * 41;
    float *x = malloc(cap * sizeof *x), *smp = malloc(cap * sizeof *smp), *cm = malloc(cap * sizeof *cm);
    lmp_rng r;
    lmp_rng_seed(&r, LMP_RNG_XOSHIRO, 77, NULL);
    for (size_t i = 0; i < cap; i++) x[i] = (float)(3.0 * lmp_rng_normal(&r));
    x[5000] = -INFINITY;
    int top = lmp_sample_isa_best();
    for (int level = 0; level <= top; level++) {
        for (size_t t = 0; t < sizeof lens / sizeof lens[0]; t++) {
            size_t n = lens[t], bad = 0;
            float mx;
            CHECK_INT(lmp_sample_fcheck_sample(level, x, n, &mx, smp, cm), n);
            float want = -INFINITY;
            for (size_t i = 0; i < n; i++) want = x[i] > want ? x[i] : want;
            for (size_t i = 0; i < n; i += 16) bad += smp[i / 16] != x[i];
            for (size_t c = 0; c * LMP_CHUNK < n; c++) {
                float w = -INFINITY;
                for (size_t i = c * LMP_CHUNK; i < n && i < (c + 1) * LMP_CHUNK; i++) w = x[i] > w ? x[i] : w;
                bad += cm[c] != w;
            }
            CHECK_MSG(mx == want && bad == 0, "level %d, n = %zu: max %g (want %g), %zu wrong", level, n,
                      (double)mx, (double)want, bad);
        }
    }
    free(x);
    free(smp);
    free(cm);
}

static void test_chi_square_lazy(void)
{
    /* the lazy float32 path (temperature only, V > 4096) */
    size_t V = 5000;
    float *x = malloc(V * sizeof *x);
    lmp_rng r;
    lmp_rng_seed(&r, LMP_RNG_XOSHIRO, 9, NULL);
    for (size_t i = 0; i < V; i++) x[i] = (float)(0.5 * lmp_rng_normal(&r));
    lmp_sampler_params p = params(LMP_CONV_HF);
    p.dtype = LMP_DTYPE_F32;
    p.temperature = 1.3;
    lmp_sampler *s;
    CHECK(create_sampler(&p, V, &s, NULL) == LMP_OK);
    CHECK(lmp_sampler_apply_f32(s, x, V, NULL, 0, NULL) == LMP_OK);
    /* each lazy draw recomputes one block of 256 exps: 2 x 10^5 draws (40 per cell on average) */
    chi_square_run("lazy temperature V=5000", s, V, 900, test_scaled(200000, 20000));
    free(x);
}

static void test_chi_square_can_fail(void)
{
    /* The test above must be able to fail: draws from the wrong distribution
     * (u squared instead of u) give a huge statistic. */
    double w[] = {1, 2, 3, 4};
    long cnt[4] = {0};
    lmp_rng r;
    lmp_rng_seed(&r, LMP_RNG_XOSHIRO, 1, NULL);
    for (int i = 0; i < 100000; i++) {
        double u = lmp_rng_uniform(&r);
        cnt[lmp_sample_index(w, 4, u * u)]++;
    }
    double stat = 0;
    for (int i = 0; i < 4; i++) {
        double e = 100000.0 * w[i] / 10.0;
        stat += (cnt[i] - e) * (cnt[i] - e) / e;
    }
    CHECK(chi2_sf(stat, 3) < 1e-6);
}

/* NULL logits with V > 0, or no sampler: LMP_EINVAL (crashed before), and the sampler stays usable. */
static void test_null_logits(void)
{
    double a[3] = {1, 2, 3};
    lmp_token_id t = 0;
    lmp_error e;
    lmp_sampler_params p;
    lmp_sampler_params_init(&p);
    lmp_sampler *s = NULL;
    lmp_rng r;
    CHECK(lmp_sampler_create(&p, 3, &s, &e) == LMP_OK && lmp_rng_seed(&r, LMP_RNG_XOSHIRO, 1, &e) == LMP_OK);
    CHECK(lmp_sampler_apply(s, NULL, 3, NULL, 0, &e) == LMP_EINVAL && strstr(e.msg, "NULL for V = 3"));
    CHECK(lmp_sampler_apply_f32(s, NULL, 3, NULL, 0, &e) == LMP_EINVAL);
    CHECK(lmp_sampler_sample(s, NULL, 3, NULL, 0, &r, &t, &e) == LMP_EINVAL);
    CHECK(lmp_sampler_apply(NULL, a, 3, NULL, 0, &e) == LMP_EINVAL);
    CHECK(lmp_sampler_sample(s, a, 3, NULL, 0, &r, &t, &e) == LMP_OK && t >= 0 && t < 3); /* still usable */
    lmp_sampler_free(s);
}

int main(int argc, char **argv)
{
    test_isa = lmp_sample_isa_best();
    (void)argc;
    RUN(test_top_k);
    RUN(test_top_p);
    RUN(test_min_p_typical_epsilon);
    RUN(test_chain_order_and_temperature);
    RUN(test_errors);
    RUN(test_penalties);
    RUN(test_bucketed_path);
    RUN(test_f32_probabilities);
    RUN(test_lazy_path);
    RUN(test_no_allocation);
    RUN(test_topk_gather_path);
    RUN(test_gather_fast_paths_random);
    RUN(test_topp_fast_path_random);
    RUN(test_expf_kernel_ulp);
    RUN(test_f32_temperature_exact);
    RUN(test_exp_sum_f64);
    RUN(test_isa_variants);
    RUN(test_numpy_parity);
    RUN(test_chi_square);
    RUN(test_chi_square_lazy);
    RUN(test_topp_lazy_draw);
    RUN(test_fcheck_sample);
    RUN(test_topp_kernels_levels);
    RUN(test_chi_square_can_fail);
    RUN(test_null_logits);
    return TEST_SUMMARY();
}
