/* Unit tests of the sampler chain (include/lmprob/sample.h, "the chain, step by
 * step"; src/sample/chain.c):
 *  - each reference step on tiny hand-computed distributions (after llama.cpp's
 *    tests/test-sampling.cpp), both conventions;
 *  - building chains with lmp_sampler_add_*: which are fused, what get_params says;
 *  - a step of one's own through the public vtable;
 *  - the fused engine against the reference steps, bit for bit: the same status,
 *    kept ids, logits and probabilities, and the same tokens for the same
 *    uniforms and RNG stream, over random chains (both conventions, both dtypes,
 *    float and double logits, every filter, penalties with a history), logits of
 *    several shapes and sizes that reach every fast path, and every SIMD level. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lmprob/rng.h"
#include "lmprob/sample.h"
#include "test.h"

#include "../src/sample/kernels.h" /* lmp_sample_isa_best: the SIMD levels this machine has */

/* ---- the reference steps by hand ------------------------------------------------------ */

/* A sampler with only the steps added here (params all off), on the reference path. */
static lmp_sampler *empty_chain(lmp_sampler_convention conv, lmp_sampler_dtype dt, size_t V)
{
    lmp_sampler_params p;
    lmp_sampler_params_init(&p);
    p.conv = conv;
    p.dtype = dt;
    p.path = LMP_PATH_REFERENCE;
    lmp_sampler *s = NULL;
    CHECK(lmp_sampler_create(&p, V, &s, NULL) == LMP_OK);
    CHECK(lmp_sampler_n_steps(s) == 0);
    return s;
}

/* Apply s to x[n]; check the kept ids and (tolerance 1e-6: probabilities of
 * float32 arithmetic) their probabilities. */
static void expect_kept(lmp_sampler *s, const double *x, size_t n, const int *ids, const double *ps, size_t m,
                        const char *what)
{
    lmp_error err;
    lmp_status st = lmp_sampler_apply(s, x, n, NULL, 0, &err);
    CHECK_MSG(st == LMP_OK, "%s: %s", what, err.msg);
    lmp_candidates k = lmp_sampler_kept(s);
    int ok = k.n == m;
    for (size_t i = 0; ok && i < m; i++) ok = k.id[i] == ids[i] && fabs(k.p[i] - ps[i]) <= 1e-6;
    CHECK_MSG(ok, "%s: kept %zu (first id %d, p %g)", what, k.n, k.n ? (int)k.id[0] : -1, k.n ? k.p[0] : 0.0);
}

/* llama.cpp's tests/test-sampling.cpp distribution {.1, .2, .3, .4} as log-probabilities. */
static void test_steps_by_hand(void)
{
    const double x[4] = {log(0.1), log(0.2), log(0.3), log(0.4)};
    for (int conv = 0; conv < 2; conv++)
        for (int dt = 0; dt < 2; dt++) {
            lmp_sampler_convention cv = conv ? LMP_CONV_LLAMA : LMP_CONV_HF;
            lmp_sampler_dtype d = dt ? LMP_DTYPE_F32 : LMP_DTYPE_F64;
            lmp_sampler *s;
            static const int k2[] = {2, 3}, k123[] = {1, 2, 3}, k3[] = {3};
            static const double p2[] = {0.3 / 0.7, 0.4 / 0.7}, p123[] = {0.2 / 0.9, 0.3 / 0.9, 0.4 / 0.9},
                                p1[] = {1.0};
            s = empty_chain(cv, d, 4);
            CHECK(lmp_sampler_add_top_k(s, 2, NULL) == LMP_OK);
            expect_kept(s, x, 4, k2, p2, 2, "top_k 2");
            lmp_sampler_free(s);
            s = empty_chain(cv, d, 4); /* cumulative .4, .7: the crossing token (.3) is kept */
            CHECK(lmp_sampler_add_top_p(s, 0.65, NULL) == LMP_OK);
            expect_kept(s, x, 4, k2, p2, 2, "top_p 0.65");
            lmp_sampler_free(s);
            s = empty_chain(cv, d, 4); /* p_max .4: the line is .24 */
            CHECK(lmp_sampler_add_min_p(s, 0.6, NULL) == LMP_OK);
            expect_kept(s, x, 4, k2, p2, 2, "min_p 0.6");
            lmp_sampler_free(s);
            s = empty_chain(cv, d, 4); /* H = 1.2799; |-log p - H| = 1.023, .330, .076, .364: ranks 2, 1, 3, 0 */
            CHECK(lmp_sampler_add_typical(s, 0.55, NULL) == LMP_OK);
            expect_kept(s, x, 4, k123, p123, 3, "typical 0.55");
            lmp_sampler_free(s);
            s = empty_chain(cv, d, 4);
            CHECK(lmp_sampler_add_epsilon(s, 0.15, NULL) == LMP_OK);
            expect_kept(s, x, 4, k123, p123, 3, "epsilon 0.15");
            lmp_sampler_free(s);
            s = empty_chain(cv, d, 4);
            CHECK(lmp_sampler_add_temperature(s, 0.0, NULL) == LMP_OK);
            expect_kept(s, x, 4, k3, p1, 1, "temperature 0");
            lmp_sampler_free(s);
            s = empty_chain(cv, d, 4);
            CHECK(lmp_sampler_add_greedy(s, NULL) == LMP_OK);
            expect_kept(s, x, 4, k3, p1, 1, "greedy");
            lmp_sampler_free(s);
        }
    /* the ties of the conventions: [2, 1, 1, 1, 0], top-k 2: HF keeps every tie (4), llama exactly 2 */
    const double tie[5] = {2, 1, 1, 1, 0};
    lmp_sampler *s = empty_chain(LMP_CONV_HF, LMP_DTYPE_F64, 5);
    CHECK(lmp_sampler_add_top_k(s, 2, NULL) == LMP_OK);
    CHECK(lmp_sampler_apply(s, tie, 5, NULL, 0, NULL) == LMP_OK);
    CHECK(lmp_sampler_kept(s).n == 4);
    lmp_sampler_free(s);
    s = empty_chain(LMP_CONV_LLAMA, LMP_DTYPE_F64, 5);
    CHECK(lmp_sampler_add_top_k(s, 2, NULL) == LMP_OK);
    CHECK(lmp_sampler_apply(s, tie, 5, NULL, 0, NULL) == LMP_OK);
    CHECK(lmp_sampler_kept(s).n == 2 && lmp_sampler_kept(s).id[1] == 1);
    lmp_sampler_free(s);
    /* ten equal logits, top-p 0.9 (tests/golden/info_extra.json): HF float64 keeps 10
     * (1 - 0.9 = 0.09999999999999998 in double), HF float32 9, llama 9 */
    const double ten[10] = {0};
    static const struct { lmp_sampler_convention c; lmp_sampler_dtype d; size_t want; } tp[] = {
        {LMP_CONV_HF, LMP_DTYPE_F64, 10}, {LMP_CONV_HF, LMP_DTYPE_F32, 9}, {LMP_CONV_LLAMA, LMP_DTYPE_F32, 9}};
    for (size_t i = 0; i < 3; i++) {
        s = empty_chain(tp[i].c, tp[i].d, 10);
        CHECK(lmp_sampler_add_top_p(s, 0.9, NULL) == LMP_OK);
        CHECK(lmp_sampler_apply(s, ten, 10, NULL, 0, NULL) == LMP_OK);
        CHECK_MSG(lmp_sampler_kept(s).n == tp[i].want, "ten equal logits, case %zu: kept %zu", i,
                  lmp_sampler_kept(s).n);
        lmp_sampler_free(s);
    }
    /* penalties: [1, 2, -1, 0.5], history 0 0 2; repetition 2, frequency 0.1, presence 0.05:
     * id 0: 1 / 2 - (2 * 0.1 + 0.05) = 0.25; id 2: -1 * 2 - (0.1 + 0.05) = -2.15 */
    const double pl[4] = {1, 2, -1, 0.5};
    const lmp_token_id h[3] = {0, 0, 2};
    s = empty_chain(LMP_CONV_HF, LMP_DTYPE_F64, 4);
    CHECK(lmp_sampler_add_penalties(s, 2.0, 0.1, 0.05, 0, NULL) == LMP_OK);
    CHECK(lmp_sampler_apply(s, pl, 4, h, 3, NULL) == LMP_OK);
    lmp_candidates k = lmp_sampler_kept(s);
    CHECK(k.n == 4);
    CHECK_REL(k.logit[0], 0.25, 1e-15); /* two roundings of the penalty terms at most */
    CHECK_REL(k.logit[2], -2.15, 1e-15);
    CHECK(k.logit[1] == 2.0 && k.logit[3] == 0.5);
    /* the history is checked: an id outside [0, V) names its position */
    const lmp_token_id bad[2] = {1, 4};
    lmp_error err;
    CHECK(lmp_sampler_apply(s, pl, 4, bad, 2, &err) == LMP_EINVAL && strstr(err.msg, "history[1] = 4"));
    lmp_sampler_free(s);
}

/* A temperature whose quotient overflows is an error on both paths, in every
 * position the temperature can take (HF first and fused into the load; after
 * the penalties; llama last); the fused engine once wrote +inf there silently. */
static void test_temperature_overflow(void)
{
    const double x[4] = {1, 2, 3, -1};
    const lmp_token_id h[1] = {2};
    for (int path = 0; path < 2; path++)
        for (int conv = 0; conv < 2; conv++)
            for (int pen = 0; pen < 2; pen++)
                for (int dt = 0; dt < 2; dt++) {
                    lmp_sampler_params p;
                    lmp_sampler_params_init(&p);
                    p.conv = conv ? LMP_CONV_LLAMA : LMP_CONV_HF;
                    p.dtype = dt ? LMP_DTYPE_F32 : LMP_DTYPE_F64;
                    p.temperature = dt ? 1e-40 : 1e-310; /* 1 / T beyond FLT_MAX / DBL_MAX */
                    p.repetition_penalty = pen ? 1.5 : 1.0;
                    p.path = path ? LMP_PATH_REFERENCE : LMP_PATH_AUTO;
                    lmp_sampler *s;
                    lmp_error err;
                    CHECK(lmp_sampler_create(&p, 4, &s, NULL) == LMP_OK);
                    lmp_status st = lmp_sampler_apply(s, x, 4, h, 1, &err);
                    CHECK_MSG(st == LMP_ERANGE && strstr(err.msg, "overflows") != NULL,
                              "path %d conv %d pen %d dtype %d: status %d", path, conv, pen, dt, (int)st);
                    CHECK(lmp_sampler_kept(s).n == 0);
                    lmp_sampler_free(s);
                }
}

/* Which logit an error names when a tiny T overflows many quotients, at every SIMD level, both dtypes and
 * conventions, lengths on both sides of the vector blocks: the first overflow, unless a NaN or +inf logit is in
 * the row, which comes first whatever its place (the reference checks every logit before the temperature). The
 * fused load named the first overflow of its scalar tail (logit[4] of 1..5) and, with a +inf after it, said
 * ERANGE where the reference says EINVAL. */
static void test_temperature_overflow_first(void)
{
    static const size_t lens[] = {1, 5, 6, 9, 17, 70, 5000};
    enum { VB = 5000 };
    static double x[VB];
    static float xf[VB];
    for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++)
        for (int tail = 0; tail < 3; tail++) /* nothing, +inf, NaN as the last logit */
            for (int conv = 0; conv < 2; conv++)
                for (int dt = 0; dt < 2; dt++)
                    for (int simd = LMP_SIMD_BEST; simd <= LMP_SIMD_AVX512; simd++) {
                        size_t V = lens[li];
                        for (size_t i = 0; i < V; i++) x[i] = 1.0 + (double)(i % 7);
                        if (tail) x[V - 1] = tail == 1 ? INFINITY : NAN;
                        for (size_t i = 0; i < V; i++) xf[i] = (float)x[i];
                        char msg[2][sizeof ((lmp_error *)0)->msg];
                        lmp_status st[2];
                        for (int path = 0; path < 2; path++) {
                            lmp_sampler_params p;
                            lmp_sampler_params_init(&p);
                            p.conv = conv ? LMP_CONV_LLAMA : LMP_CONV_HF;
                            p.dtype = dt ? LMP_DTYPE_F32 : LMP_DTYPE_F64;
                            p.temperature = dt ? 1e-40 : 1e-310;
                            p.simd = (lmp_simd)simd;
                            p.path = path ? LMP_PATH_REFERENCE : LMP_PATH_AUTO;
                            lmp_sampler *s;
                            lmp_error err = {0};
                            CHECK(lmp_sampler_create(&p, V, &s, NULL) == LMP_OK);
                            st[path] = dt ? lmp_sampler_apply_f32(s, xf, V, NULL, 0, &err)
                                          : lmp_sampler_apply(s, x, V, NULL, 0, &err);
                            snprintf(msg[path], sizeof msg[path], "%s", err.msg);
                            lmp_sampler_free(s);
                        }
                        int want_inval = tail != 0;
                        const char *want = tail ? (tail == 1 ? "= inf" : "= nan") : "logit[0] / T";
                        char idx[32];
                        snprintf(idx, sizeof idx, "logit[%zu]", tail ? V - 1 : 0);
                        for (int path = 0; path < 2; path++)
                            /* (the lazy float32 path, V > 4096, names the maximum, as in the test below) */
                            CHECK_MSG(st[path] == (want_inval ? LMP_EINVAL : LMP_ERANGE) &&
                                          ((strstr(msg[path], want) && strstr(msg[path], idx)) ||
                                           (!tail && strstr(msg[path], "max logit / T"))),
                                      "V %zu tail %d conv %d dtype %d simd %d %s: status %d: %s", V, tail, conv, dt,
                                      simd, path ? "reference" : "fused", (int)st[path], msg[path]);
                    }
}

/* Negative logits whose quotients all overflow to -inf (T tiny): the same error as an overflow to +inf,
 * naming the largest logit, on every path (the fused loads, the lazy float32 path for V > 4096, the
 * top-p and gather routes, llama's temperature last) and both dtypes. It said "all are -inf" of a row
 * that had none, and the llama chain drew from a uniform distribution over every token. One logit
 * finite enough (0 here) keeps the row: the others' -inf is their probability 0, the greedy limit. */
static void test_temperature_overflow_negative(void)
{
    enum { VB = 5000 };
    static double x[VB];
    static float xf[VB];
    for (int big = 0; big < 2; big++)
        for (int keep = 0; keep < 2; keep++)
            for (int path = 0; path < 2; path++)
                for (int conv = 0; conv < 2; conv++)
                    for (int dt = 0; dt < 2; dt++)
                        for (int filt = 0; filt < 3; filt++) {
                            const size_t V = big ? VB : 6;
                            for (size_t i = 0; i < V; i++) x[i] = -1.0 - (double)((i * 37) % 101) / 100.0;
                            x[V / 3] = -0.5;          /* the largest: the one the message names */
                            if (keep) x[V / 2] = 0.0; /* 0 / T = 0: a distribution survives */
                            for (size_t i = 0; i < V; i++) xf[i] = (float)x[i];
                            lmp_sampler_params p;
                            lmp_sampler_params_init(&p);
                            p.conv = conv ? LMP_CONV_LLAMA : LMP_CONV_HF;
                            p.dtype = dt ? LMP_DTYPE_F32 : LMP_DTYPE_F64;
                            p.temperature = dt ? 1e-44 : 1e-320;
                            p.top_p = filt == 1 ? 0.9 : 1.0;
                            p.top_k = filt == 2 ? 40 : 0;
                            p.path = path ? LMP_PATH_REFERENCE : LMP_PATH_AUTO;
                            lmp_sampler *s;
                            lmp_error err;
                            CHECK(lmp_sampler_create(&p, V, &s, NULL) == LMP_OK);
                            lmp_rng r;
                            lmp_rng_seed(&r, LMP_RNG_XOSHIRO, 7, NULL);
                            lmp_token_id tok = -1;
                            lmp_status st = dt ? lmp_sampler_sample_f32(s, xf, V, NULL, 0, &r, &tok, &err)
                                               : lmp_sampler_sample(s, x, V, NULL, 0, &r, &tok, &err);
                            char want[32];
                            snprintf(want, sizeof want, "logit[%zu] / T", V / 3);
                            if (keep)
                                CHECK_MSG(st == LMP_OK && tok == (lmp_token_id)(V / 2),
                                          "V %zu path %d conv %d dtype %d filter %d: status %d token %d", V, path,
                                          conv, dt, filt, (int)st, (int)tok);
                            else
                                CHECK_MSG(st == LMP_ERANGE && strstr(err.msg, "overflows") &&
                                              (strstr(err.msg, want) || strstr(err.msg, "max logit / T")),
                                          "V %zu path %d conv %d dtype %d filter %d: status %d: %s", V, path, conv,
                                          dt, filt, (int)st, st ? err.msg : "");
                            lmp_sampler_free(s);
                        }
}

/* Penalties that push a logit out of range, on both paths, both conventions and dtypes:
 * to +inf (a tiny repetition penalty) is an error; to -inf (Hugging Face's float32 mask
 * value -3e38 times 1.5) is what a penalty may do, unless no finite logit is left, which
 * is an error too: the draw once returned a token of probability 0 (token 2 below). */
/* A history id outside [0, V), or nh > 0 with no array, is an error for every chain (the fused engine
 * and the reference steps, with and without penalties, whatever penalty_last_n): it was accepted
 * unless a penalty was on, and then only in the last penalty_last_n tokens. */
static void test_history_checked(void)
{
    double x[4] = {0.1, 0.2, 0.3, 0.4};
    const lmp_token_id bad[3] = {9, 1, 2}, good[3] = {3, 1, 2};
    for (int path = 0; path < 2; path++)
        for (int pen = 0; pen < 2; pen++) {
            lmp_sampler_params p;
            lmp_sampler_params_init(&p);
            p.path = path ? LMP_PATH_REFERENCE : LMP_PATH_AUTO;
            if (pen) {
                p.repetition_penalty = 1.3;
                p.penalty_last_n = 2; /* the bad id is older than the window */
            }
            lmp_sampler *s;
            lmp_error err;
            if (lmp_sampler_create(&p, 4, &s, &err)) {
                CHECK_MSG(0, "create: %s", err.msg);
                continue;
            }
            CHECK_INT(lmp_sampler_apply(s, x, 4, good, 3, &err), LMP_OK);
            CHECK_INT(lmp_sampler_apply(s, x, 4, bad, 3, &err), LMP_EINVAL);
            CHECK_MSG(strstr(err.msg, "history[0] = 9") != NULL, "path %d pen %d: %s", path, pen, err.msg);
            /* and the failed apply left no kept set of the call before */
            CHECK_INT(lmp_sampler_kept(s).n, 0);
            CHECK_INT(lmp_sampler_draw_u(s, 0.5), LMP_TOKEN_NONE);
            CHECK_INT(lmp_sampler_apply(s, x, 4, NULL, 3, &err), LMP_EINVAL);
            CHECK_INT(lmp_sampler_apply(s, x, 4, good, 3, &err), LMP_OK);
            lmp_sampler_free(s);
        }
}

static void test_penalty_range(void)
{
    for (int path = 0; path < 2; path++)
        for (int conv = 0; conv < 2; conv++)
            for (int dt = 0; dt < 2; dt++)
                for (int c = 0; c < 3; c++) {
                    const double big = dt ? -3e38 : -1e308; /* times 2: -inf in the dtype */
                    const double all[3] = {big, big, -INFINITY}, one[3] = {big, 0.5, -INFINITY},
                                 up[3] = {1e10, 0.5, -INFINITY};
                    const double *x = c == 0 ? all : c == 1 ? one : up;
                    const lmp_token_id h[2] = {0, 1};
                    lmp_sampler_params p;
                    lmp_sampler_params_init(&p);
                    p.conv = conv ? LMP_CONV_LLAMA : LMP_CONV_HF;
                    p.dtype = dt ? LMP_DTYPE_F32 : LMP_DTYPE_F64;
                    p.repetition_penalty = c == 2 ? (dt ? 1e-30 : 1e-300) : 2.0;
                    p.path = path ? LMP_PATH_REFERENCE : LMP_PATH_AUTO;
                    lmp_sampler *s;
                    lmp_error err;
                    CHECK(lmp_sampler_create(&p, 3, &s, NULL) == LMP_OK);
                    lmp_rng r;
                    lmp_rng_seed(&r, LMP_RNG_XOSHIRO, 7, NULL);
                    for (int draw = 0; draw < 20; draw++) {
                        lmp_token_id tok = -1;
                        lmp_status st = lmp_sampler_sample(s, x, 3, h, c == 1 ? 1 : 2, &r, &tok, &err);
                        if (c == 1) { /* token 0 sinks, token 1 is left: it is always drawn */
                            CHECK_MSG(st == LMP_OK && tok == 1, "path %d conv %d dtype %d: status %d token %d", path,
                                      conv, dt, (int)st, (int)tok);
                        } else {
                            CHECK_MSG(st == LMP_ERANGE && strstr(err.msg, c == 0 ? "so does every other" : "overflows"),
                                      "path %d conv %d dtype %d case %d: status %d token %d", path, conv, dt, c,
                                      (int)st, (int)tok);
                        }
                    }
                    lmp_sampler_free(s);
                }
}

/* ---- building chains ------------------------------------------------------------------ */

static void test_building_chains(void)
{
    lmp_sampler_params p;
    lmp_sampler_params_init(&p);
    p.dtype = LMP_DTYPE_F32;
    lmp_sampler *s;
    CHECK(lmp_sampler_create(&p, 100, &s, NULL) == LMP_OK);
    CHECK(lmp_sampler_n_steps(s) == 0 && lmp_sampler_is_fused(s));
    /* HF order: temperature, top-k, top-p: a chain the params describe */
    CHECK(lmp_sampler_add_temperature(s, 0.7, NULL) == LMP_OK);
    CHECK(lmp_sampler_add_top_k(s, 40, NULL) == LMP_OK);
    CHECK(lmp_sampler_add_top_p(s, 0.9, NULL) == LMP_OK);
    CHECK(lmp_sampler_is_fused(s));
    const lmp_sampler_params *g = lmp_sampler_get_params(s);
    CHECK(g->temperature == 0.7 && g->top_k == 40 && g->top_p == 0.9 && g->dtype == LMP_DTYPE_F32);
    CHECK(lmp_sampler_n_steps(s) == 3 && strcmp(lmp_sampler_step_name(s, 1), "top_k") == 0);
    CHECK(lmp_sampler_step_name(s, 3) == NULL);
    /* a bad value names itself and leaves the chain as it was */
    lmp_error err;
    CHECK(lmp_sampler_add_top_p(s, 1.5, &err) == LMP_EINVAL && strstr(err.msg, "top_p = 1.5") != NULL);
    CHECK(lmp_sampler_n_steps(s) == 3 && lmp_sampler_is_fused(s));
    /* a second top-k: no longer a params chain, so the steps run one by one */
    CHECK(lmp_sampler_add_top_k(s, 5, NULL) == LMP_OK);
    CHECK(!lmp_sampler_is_fused(s));
    CHECK(lmp_sampler_get_params(s)->top_k == 40); /* the last chain the params described */
    lmp_sampler_free(s);
    /* llama order puts the temperature last: temperature then top-k is out of order */
    p.conv = LMP_CONV_LLAMA;
    CHECK(lmp_sampler_create(&p, 100, &s, NULL) == LMP_OK);
    CHECK(lmp_sampler_add_top_k(s, 40, NULL) == LMP_OK && lmp_sampler_add_temperature(s, 0.8, NULL) == LMP_OK);
    CHECK(lmp_sampler_is_fused(s));
    CHECK(lmp_sampler_add_top_p(s, 0.9, NULL) == LMP_OK);
    CHECK(!lmp_sampler_is_fused(s));
    lmp_sampler_free(s);
    /* params build the convention's chain */
    lmp_sampler_params_init(&p);
    p.temperature = 0.5;
    p.min_p = 0.1;
    p.repetition_penalty = 1.3;
    CHECK(lmp_sampler_create(&p, 100, &s, NULL) == LMP_OK);
    CHECK(lmp_sampler_n_steps(s) == 3 && strcmp(lmp_sampler_step_name(s, 0), "penalties") == 0 &&
          strcmp(lmp_sampler_step_name(s, 2), "min_p") == 0 && lmp_sampler_is_fused(s));
    lmp_sampler_free(s);
    p.path = LMP_PATH_REFERENCE;
    CHECK(lmp_sampler_create(&p, 100, &s, NULL) == LMP_OK);
    CHECK(!lmp_sampler_is_fused(s));
    lmp_sampler_free(s);
    p.path = (lmp_sampler_path)5;
    CHECK(lmp_sampler_create(&p, 100, &s, &err) == LMP_EINVAL && strstr(err.msg, "path = 5") != NULL);
}

/* ---- a step of one's own -------------------------------------------------------------- */

/* Adds bias to one token's logit (a logit-bias step, as llama.cpp's logit_bias). */
typedef struct bias_ctx {
    lmp_token_id token;
    double bias;
    int *freed;
} bias_ctx;

static lmp_status bias_apply(void *vctx, lmp_cand_array *c, lmp_error *err)
{
    bias_ctx *b = vctx;
    if (b->bias != b->bias) return lmp_error_set(err, LMP_EINVAL, "bias: NaN");
    for (size_t i = 0; i < c->n; i++)
        if (c->id[i] == b->token) c->logit[i] += b->bias;
    c->p_ok = 0;
    return LMP_OK;
}

static void bias_free(void *vctx)
{
    bias_ctx *b = vctx;
    (*b->freed)++;
    free(b);
}

/* Keeps the even ids (a vocabulary mask). */
static lmp_status even_apply(void *vctx, lmp_cand_array *c, lmp_error *err)
{
    (void)vctx;
    (void)err;
    for (size_t i = 0; i < c->n; i++) c->keep[i] = c->id[i] % 2 == 0;
    lmp_cand_array_keep(c, c->keep);
    return LMP_OK;
}

/* Empties the array (a broken step): the sampler must refuse it. */
static lmp_status empty_apply(void *vctx, lmp_cand_array *c, lmp_error *err)
{
    (void)vctx;
    (void)err;
    c->n = 0;
    return LMP_OK;
}

static const lmp_sampler_step_iface bias_iface = {"bias", bias_apply, bias_free};
static const lmp_sampler_step_iface even_iface = {"even", even_apply, NULL};
static const lmp_sampler_step_iface empty_iface = {"empty", empty_apply, NULL};
static const lmp_sampler_step_iface no_apply_iface = {"none", NULL, bias_free};

static void test_custom_steps(void)
{
    int freed = 0;
    lmp_sampler_params p;
    lmp_sampler_params_init(&p);
    lmp_sampler *s;
    CHECK(lmp_sampler_create(&p, 8, &s, NULL) == LMP_OK);
    bias_ctx *b = malloc(sizeof *b);
    *b = (bias_ctx){5, 3.0, &freed};
    CHECK(lmp_sampler_add_step_take(s, &bias_iface, b, NULL) == LMP_OK);
    CHECK(lmp_sampler_add_step_take(s, &even_iface, NULL, NULL) == LMP_OK);
    CHECK(lmp_sampler_add_top_k(s, 2, NULL) == LMP_OK);
    CHECK(!lmp_sampler_is_fused(s) && lmp_sampler_n_steps(s) == 3);
    /* logits 0..7 = i / 4: the bias lifts 5 to 4.25, the mask drops it with the odd
     * ids, top-k 2 keeps 4 and 6 */
    double x[8];
    for (int i = 0; i < 8; i++) x[i] = i / 4.0;
    lmp_rng r;
    lmp_rng_seed(&r, LMP_RNG_XOSHIRO, 1, NULL);
    lmp_token_id tok;
    CHECK(lmp_sampler_sample(s, x, 8, NULL, 0, &r, &tok, NULL) == LMP_OK);
    lmp_candidates k = lmp_sampler_kept(s);
    CHECK(k.n == 2 && k.id[0] == 4 && k.id[1] == 6 && (tok == 4 || tok == 6));
    CHECK_REL(k.p[1], 1.0 / (1.0 + exp(-0.5)), 1e-15); /* softmax of (1, 1.5), in double */
    lmp_sampler_free(s);
    CHECK(freed == 1); /* the sampler owned the step's context */
    /* a step that fails fails the call; one that empties the array is refused */
    CHECK(lmp_sampler_create(&p, 8, &s, NULL) == LMP_OK);
    b = malloc(sizeof *b);
    *b = (bias_ctx){1, NAN, &freed};
    CHECK(lmp_sampler_add_step_take(s, &bias_iface, b, NULL) == LMP_OK);
    lmp_error err;
    CHECK(lmp_sampler_apply(s, x, 8, NULL, 0, &err) == LMP_EINVAL && strstr(err.msg, "bias: NaN") != NULL);
    CHECK(lmp_sampler_kept(s).n == 0);
    lmp_sampler_free(s);
    CHECK(freed == 2);
    CHECK(lmp_sampler_create(&p, 8, &s, NULL) == LMP_OK);
    CHECK(lmp_sampler_add_step_take(s, &empty_iface, NULL, NULL) == LMP_OK);
    CHECK(lmp_sampler_apply(s, x, 8, NULL, 0, &err) == LMP_EINVAL && strstr(err.msg, "empty left 0") != NULL);
    /* an interface without apply is refused, and the context it came with is released */
    b = malloc(sizeof *b);
    *b = (bias_ctx){1, 1.0, &freed};
    CHECK(lmp_sampler_add_step_take(s, &no_apply_iface, b, &err) == LMP_EINVAL);
    CHECK(freed == 3 && lmp_sampler_n_steps(s) == 1);
    lmp_sampler_free(s);
}

/* ---- the fused engine against the reference steps ---------------------------------- */

static lmp_status apply_any(lmp_sampler *s, const float *xf, const double *xd, size_t V, const lmp_token_id *h,
                            size_t nh, lmp_error *err)
{
    return xf ? lmp_sampler_apply_f32(s, xf, V, h, nh, err) : lmp_sampler_apply(s, xd, V, h, nh, err);
}

static const char *describe(const lmp_sampler_params *p, int f32in, size_t V, size_t nh)
{
    static char buf[320];
    snprintf(buf, sizeof buf,
             "V=%zu in=%s conv=%s dtype=%s T=%g k=%ld p=%g minp=%g typ=%g eps=%g rep=%g fr=%g pr=%g last=%zu "
             "mk=%zu simd=%d nh=%zu",
             V, f32in ? "f32" : "f64", p->conv == LMP_CONV_HF ? "hf" : "llama",
             p->dtype == LMP_DTYPE_F32 ? "f32" : "f64", p->temperature, p->top_k, p->top_p, p->min_p, p->typical_p,
             p->epsilon, p->repetition_penalty, p->frequency_penalty, p->presence_penalty, p->penalty_last_n,
             p->min_keep, (int)p->simd, nh);
    return buf;
}

/* One comparison; returns 1 when both paths agree in every respect. */
static int same_as_reference(const lmp_sampler_params *prm, const float *xf, const double *xd, size_t V,
                             const lmp_token_id *h, size_t nh, int *fast_kept)
{
    lmp_sampler_params pa = *prm, pr = *prm;
    pa.path = LMP_PATH_AUTO;
    pr.path = LMP_PATH_REFERENCE;
    lmp_sampler *a = NULL, *r = NULL;
    lmp_error ea, er;
    int ok = lmp_sampler_create(&pa, V, &a, NULL) == LMP_OK && lmp_sampler_create(&pr, V, &r, NULL) == LMP_OK;
    ok = ok && lmp_sampler_is_fused(a) && !lmp_sampler_is_fused(r);
    const char *why = "create";
    if (ok) {
        lmp_status sa = apply_any(a, xf, xd, V, h, nh, &ea), sr = apply_any(r, xf, xd, V, h, nh, &er);
        if (sa != sr) {
            ok = 0;
            why = "status";
            fprintf(stderr, "    fused: %s\n    reference: %s\n", sa ? ea.msg : "ok", sr ? er.msg : "ok");
        } else if (sa == LMP_OK) {
            /* the draws first: the lazy paths draw before forming the kept arrays */
            for (int d = 0; ok && d < 64; d++) {
                double u = (d + 0.37) / 64.0;
                ok = lmp_sampler_draw_u(a, u) == lmp_sampler_draw_u(r, u);
                why = "draw_u";
            }
            lmp_rng ra, rr;
            lmp_rng_seed(&ra, LMP_RNG_XOSHIRO, 99, NULL);
            lmp_rng_seed(&rr, LMP_RNG_XOSHIRO, 99, NULL);
            for (int d = 0; ok && d < 16; d++) {
                ok = lmp_sampler_draw(a, &ra) == lmp_sampler_draw(r, &rr);
                why = "draw (rng)";
            }
            lmp_candidates ka = lmp_sampler_kept(a), kr = lmp_sampler_kept(r);
            if (ok && ka.n != kr.n) {
                ok = 0;
                why = "kept count";
                fprintf(stderr, "    kept %zu (fused) vs %zu (reference)\n", ka.n, kr.n);
            }
            for (size_t i = 0; ok && i < ka.n; i++) {
                if (ka.id[i] != kr.id[i] || ka.logit[i] != kr.logit[i] || ka.p[i] != kr.p[i]) {
                    ok = 0;
                    why = "kept arrays";
                    fprintf(stderr, "    [%zu] id %d/%d logit %.17g/%.17g p %.17g/%.17g\n", i, (int)ka.id[i],
                            (int)kr.id[i], ka.logit[i], kr.logit[i], ka.p[i], kr.p[i]);
                }
            }
            if (fast_kept) *fast_kept = (int)ka.n;
        }
    }
    if (!ok) fprintf(stderr, "  differs (%s): %s\n", why, describe(prm, xf != NULL, V, nh));
    lmp_sampler_free(a);
    lmp_sampler_free(r);
    return ok;
}

/* Logits of a few shapes (float values, so that float and double input agree). */
static void make_logits(lmp_rng *r, int kind, float *x, size_t V)
{
    for (size_t i = 0; i < V; i++) {
        double z = lmp_rng_normal(r), v;
        switch (kind) {
        case 0: v = 2.0 * z; break;                                                  /* flat */
        case 1: v = 0.5 * floor(2.0 * z); break;                                     /* many ties */
        case 2: v = lmp_rng_uniform(r) < 0.6 ? -INFINITY : 3.0 * z; break;           /* mostly -inf */
        case 3: v = -1.1 * log((double)((i * 7919) % V + 1)) + 0.3 * z; break;        /* Zipf-like */
        case 4: v = i == V / 3 ? 25.0 : z; break;                                     /* one token dominates */
        case 5: v = 4e-4 * (double)i + 0.02 * z; break;                               /* a ramp */
        default: v = i % 5 == 0 ? 1.0 : 0.0; break; /* two levels: partial sums that tie with p */
        }
        x[i] = (float)v;
    }
}

static void random_params(lmp_rng *r, lmp_sampler_params *p, size_t V)
{
    lmp_sampler_params_init(p);
    p->conv = lmp_rng_uniform(r) < 0.5 ? LMP_CONV_HF : LMP_CONV_LLAMA;
    p->dtype = lmp_rng_uniform(r) < 0.6 ? LMP_DTYPE_F32 : LMP_DTYPE_F64;
    double u;
    if ((u = lmp_rng_uniform(r)) < 0.5) p->temperature = u < 0.05 ? 0.0 : 0.3 + 1.5 * lmp_rng_uniform(r);
    if (lmp_rng_uniform(r) < 0.35) p->top_k = lmp_rng_uniform(r) < 0.2 ? (long)V + 3 : 1 + (long)lmp_rng_below(r, 200);
    if (lmp_rng_uniform(r) < 0.4) p->top_p = lmp_rng_uniform(r) < 0.1 ? 0.0 : 0.2 + 0.79 * lmp_rng_uniform(r);
    if (lmp_rng_uniform(r) < 0.3) p->min_p = lmp_rng_uniform(r) < 0.1 ? 1.0 : 0.2 * lmp_rng_uniform(r);
    if (lmp_rng_uniform(r) < 0.25) p->typical_p = 0.2 + 0.75 * lmp_rng_uniform(r);
    if (lmp_rng_uniform(r) < 0.2) p->epsilon = 1e-4 * lmp_rng_uniform(r);
    if (lmp_rng_uniform(r) < 0.2) {
        p->repetition_penalty = 0.5 + 1.5 * lmp_rng_uniform(r);
        p->frequency_penalty = lmp_rng_uniform(r) < 0.5 ? 0.0 : 0.7 * lmp_rng_uniform(r);
        p->presence_penalty = lmp_rng_uniform(r) < 0.5 ? 0.0 : 0.5 * lmp_rng_uniform(r);
        p->penalty_last_n = lmp_rng_uniform(r) < 0.5 ? 0 : 1 + (size_t)lmp_rng_below(r, 40);
    }
    p->min_keep = lmp_rng_uniform(r) < 0.7 ? 1 : 1 + (size_t)lmp_rng_below(r, 60);
}

/* top_p within float32's rounding of 1: the top-p route's gathered superset stopped above the crossing
 * (its mass, in exps, passed p where the probabilities' did not) and the cut kept every gathered token:
 * 9,900 of 10,000 where the reference keeps 9,938 (a helper's differential stress, thirty-fifth session) */
static void test_topp_near_one(void)
{
    const size_t V = 10000;
    float *xf = malloc(V * sizeof *xf);
    lmp_rng r;
    lmp_rng_seed(&r, LMP_RNG_XOSHIRO, 35, NULL);
    int fails = 0, cases = 0;
    for (int round = 0; round < 3; round++) {
        for (size_t i = 0; i < V; i++) xf[i] = (float)(3.0 * lmp_rng_normal(&r));
        for (int conv = 0; conv < 2; conv++)
            for (int j = 0; j < 4; j++, cases++) {
                lmp_sampler_params p;
                lmp_sampler_params_init(&p);
                p.conv = conv ? LMP_CONV_LLAMA : LMP_CONV_HF;
                p.dtype = LMP_DTYPE_F32;
                p.top_p = 1.0 - (double[]){3e-8, 1e-7, 2e-7, 4e-7}[j];
                fails += !same_as_reference(&p, xf, NULL, V, NULL, 0, NULL);
            }
    }
    CHECK_MSG(fails == 0, "%d of %d top_p near 1 cases differ from the reference steps", fails, cases);
    free(xf);
}

static void test_fused_equals_reference_random(void)
{
    static const size_t Vs[] = {7, 64, 700, 1024, 1025, 3000, 9001, 20011};
    size_t maxV = 20011;
    float *xf = malloc(maxV * sizeof *xf);
    double *xd = malloc(maxV * sizeof *xd);
    lmp_token_id hist[80];
    lmp_rng r;
    lmp_rng_seed(&r, LMP_RNG_XOSHIRO, 2024, NULL);
    int fails = 0, cases = 0;
    long rounds = test_scaled(280, 56); /* 56: every V size and shape at least once */
    for (int round = 0; round < rounds; round++) {
        size_t V = Vs[round % (sizeof Vs / sizeof Vs[0])];
        make_logits(&r, round / 8 % 7, xf, V);
        for (size_t i = 0; i < V; i++) xd[i] = xf[i];
        size_t nh = (size_t)lmp_rng_below(&r, 80);
        for (size_t i = 0; i < nh; i++) hist[i] = (lmp_token_id)lmp_rng_below(&r, V < 30 ? V : 30);
        lmp_sampler_params p;
        random_params(&r, &p, V);
        int f32in = lmp_rng_uniform(&r) < 0.6;
        fails += !same_as_reference(&p, f32in ? xf : NULL, f32in ? NULL : xd, V, hist, nh, NULL);
        cases++;
    }
    CHECK_MSG(fails == 0, "%d of %d random chains differ between the fused engine and the reference steps", fails,
              cases);
    free(xf);
    free(xd);
}

/* Each fast path of the fused engine (float32 logits and dtype, V > 8192),
 * against the reference steps, on every shape and SIMD level, both conventions. */
static void test_fast_paths_equal_reference(void)
{
    size_t V = 20011;
    float *xf = malloc(V * sizeof *xf);
    lmp_rng r;
    lmp_rng_seed(&r, LMP_RNG_XOSHIRO, 7, NULL);
    int fails = 0, cases = 0;
    struct {
        double T, top_p, min_p, typical, eps;
        long k;
        size_t mk;
    } rows[] = {
        {0.7, 1.0, 0.0, 1.0, 0.0, 0, 1},   /* temperature only: the lazy path */
        {1.0, 1.0, 0.0, 1.0, 0.0, 0, 1},   /* nothing at all: lazy, no division */
        {0.8, 1.0, 0.0, 1.0, 0.0, 50, 1},  /* top-k first */
        {1.0, 1.0, 0.05, 1.0, 0.0, 0, 1},  /* min-p first */
        {1.3, 1.0, 0.1, 1.0, 0.0, 0, 3},   /* min-p first, T, min_keep */
        {1.0, 0.9, 0.0, 1.0, 0.0, 0, 1},   /* top-p first, nothing after it: the lazy top-p draw */
        {0.7, 0.5, 0.0, 1.0, 0.0, 0, 1},   /* top-p first, T */
        {1.0, 0.95, 0.02, 1.0, 0.0, 0, 2}, /* top-p first, then min-p */
        {1.0, 0.9, 0.0, 1.0, 1e-4, 0, 1},  /* top-p first, then epsilon */
        {0.9, 0.8, 0.0, 0.9, 0.0, 0, 40},  /* top-p, typical (HF: after; llama: typical first, general path) */
        {1.0, 0.0, 0.0, 1.0, 0.0, 0, 5},   /* top-p 0: min_keep tokens */
    };
    int levels = 1 + lmp_sample_isa_best(); /* BEST, then BASELINE and AVX2 where they differ from it */
    for (int shape = 0; shape < 6; shape++) {
        make_logits(&r, shape, xf, V);
        for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
            for (int conv = 0; conv < 2; conv++)
                for (int simd = 0; simd < levels; simd++) {
                    if (simd != 0 && shape % 2) continue; /* every level on half the shapes: time */
                    lmp_sampler_params p;
                    lmp_sampler_params_init(&p);
                    p.conv = conv ? LMP_CONV_LLAMA : LMP_CONV_HF;
                    p.dtype = LMP_DTYPE_F32;
                    p.temperature = rows[i].T;
                    p.top_p = rows[i].top_p;
                    p.min_p = rows[i].min_p;
                    p.typical_p = rows[i].typical;
                    p.epsilon = rows[i].eps;
                    p.top_k = rows[i].k;
                    p.min_keep = rows[i].mk;
                    p.simd = simd == 0 ? LMP_SIMD_BEST : simd == 1 ? LMP_SIMD_BASELINE : LMP_SIMD_AVX2;
                    fails += !same_as_reference(&p, xf, NULL, V, NULL, 0, NULL);
                    cases++;
                }
    }
    CHECK_MSG(fails == 0, "%d of %d fast-path cases differ from the reference steps", fails, cases);
    free(xf);
}

int main(int argc, char **argv)
{
    (void)argc;
    RUN(test_steps_by_hand);
    RUN(test_temperature_overflow);
    RUN(test_temperature_overflow_first);
    RUN(test_temperature_overflow_negative);
    RUN(test_penalty_range);
    RUN(test_history_checked);
    RUN(test_building_chains);
    RUN(test_custom_steps);
    RUN(test_fast_paths_equal_reference);
    RUN(test_fused_equals_reference_random);
    RUN(test_topp_near_one);
    return TEST_SUMMARY();
}
