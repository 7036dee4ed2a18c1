/* Unit tests for include/lmprob/info.h: hand-computed values, the chapter's
 * examples (with the ERRATA's corrected numbers), edge cases.
 * Tolerances: CHECK_REL 1e-14 where the formula is a handful of correctly
 * rounded operations; 1e-12 for sums over 10^4+ terms; CHECK_ABS for values
 * that are exactly 0. */
#include <float.h>
#include <math.h>
#include <stdlib.h>

#include "lmprob/info.h"
#include "test.h"

static void test_logsumexp(void)
{
    double a[] = {1000.0, 1000.0};
    CHECK_REL(lmp_logsumexp(a, 2), 1000.0 + log(2.0), 1e-15);
    double b[] = {-1e4, 1e4, 0.0};
    CHECK_REL(lmp_logsumexp(b, 3), 1e4, 1e-15); /* finite for +-1e4 */
    double c[] = {-INFINITY, -INFINITY};
    CHECK(lmp_logsumexp(c, 2) == -INFINITY);
    CHECK(lmp_logsumexp(c, 0) == -INFINITY);
    double d[] = {1.0, INFINITY};
    CHECK(lmp_logsumexp(d, 2) == INFINITY);
    double e[] = {1.0, NAN};
    CHECK(isnan(lmp_logsumexp(e, 2)));
    float f[] = {1e4f, 1e4f};
    CHECK_REL(lmp_logsumexp_f32(f, 2), 1e4 + log(2.0), 1e-15);
}

static void test_softmax(void)
{
    double x[] = {1e4, -1e4, 0.0, -INFINITY}, p[4], lp[4];
    CHECK(lmp_softmax(x, 4, p, NULL) == LMP_OK);
    CHECK_REL(p[0], 1.0, 1e-15);
    CHECK(p[1] == 0.0 && p[2] == 0.0 && p[3] == 0.0);
    CHECK(lmp_log_softmax(x, 4, lp, NULL) == LMP_OK);
    CHECK_ABS(lp[0], 0.0, 1e-300);
    CHECK_REL(lp[1], -2e4, 1e-15); /* finite, no log(0) */
    CHECK_REL(lp[2], -1e4, 1e-15);
    CHECK(lp[3] == -INFINITY);
    double y[] = {1.0, 2.0, 3.0};
    CHECK(lmp_softmax(y, 3, p, NULL) == LMP_OK);
    CHECK_REL(p[2], 0.6652409557748219, 1e-14);
    /* errors name the value */
    lmp_error err;
    double allinf[] = {-INFINITY, -INFINITY};
    CHECK(lmp_softmax(allinf, 2, p, &err) == LMP_EINVAL);
    CHECK(strstr(err.msg, "-inf") != NULL);
    double withnan[] = {0.0, NAN};
    CHECK(lmp_softmax(withnan, 2, p, &err) == LMP_EINVAL);
    CHECK(strstr(err.msg, "logit[1]") != NULL);
    CHECK(lmp_softmax(y, 0, p, &err) == LMP_EINVAL);
    float xf[] = {1e4f, -1e4f, 0.0f, -INFINITY}, pf[4];
    CHECK(lmp_softmax_f32(xf, 4, pf, NULL) == LMP_OK);
    CHECK(pf[0] == 1.0f && pf[3] == 0.0f);
    float lpf[4];
    CHECK(lmp_log_softmax_f32(xf, 4, lpf, NULL) == LMP_OK);
    CHECK(lpf[1] == -2e4f && lpf[3] == -INFINITY);
}

static void test_softmax_temperature(void)
{
    double x[] = {3.0, 2.0, 1.5, 1.2, 0.8, 0.4, 0.1}, p[7];
    CHECK(lmp_softmax_temperature(x, 7, 2.0, p, NULL) == LMP_OK);
    CHECK_REL(p[0], 0.3007120828725214, 1e-13);
    CHECK(lmp_softmax_temperature(x, 7, 0.0, p, NULL) == LMP_OK); /* T = 0: one-hot on the first max */
    CHECK(p[0] == 1.0 && p[1] == 0.0);
    lmp_error err;
    CHECK(lmp_softmax_temperature(x, 7, -1.0, p, &err) == LMP_EINVAL);
    CHECK(strstr(err.msg, "temperature = -1") != NULL);
}

static void test_entropy(void)
{
    double det[] = {1.0, 0.0, 0.0}, coin[] = {0.5, 0.5}, four[] = {0.25, 0.25, 0.25, 0.25};
    CHECK(lmp_entropy(det, 3, LMP_BASE_E) == 0.0); /* not -0.0 */
    CHECK(!signbit(lmp_entropy(det, 3, LMP_BASE_E)));
    CHECK_REL(lmp_entropy(coin, 2, 2.0), 1.0, 1e-15);
    CHECK_REL(lmp_entropy(four, 4, 2.0), 2.0, 1e-15);
    CHECK_REL(lmp_entropy(four, 4, LMP_BASE_E), log(4.0), 1e-15);
    CHECK_REL(lmp_entropy(four, 4, 10.0), log10(4.0), 1e-15);
    double counts[] = {1, 2, 3, 4}; /* normalised first, as scipy */
    CHECK_REL(lmp_entropy(counts, 4, LMP_BASE_E), 1.2798542258336674, 1e-14);
    double neg[] = {0.5, -0.1};
    CHECK(isnan(lmp_entropy(neg, 2, LMP_BASE_E)));
    CHECK(isnan(lmp_entropy(coin, 2, 1.0))); /* base 1 */
    CHECK(isnan(lmp_entropy(coin, 2, -2.0)));
    float cf[] = {0.5f, 0.5f};
    CHECK_REL(lmp_entropy_f32(cf, 2, 2.0), 1.0, 1e-15);
    /* The chapter's "peaked" example: one logit 10 among 50257 zeros has
     * H = 8.1411 nats, not ~0 (ERRATA b13); the flat one ln 50257. */
    size_t V = 50257;
    double *l = calloc(V, sizeof *l);
    float *lf = calloc(V, sizeof *lf);
    CHECK_REL(lmp_entropy_of_logits(l, V), log((double)V), 1e-12);
    l[42] = 10.0;
    lf[42] = 10.0f;
    CHECK_REL(lmp_entropy_of_logits(l, V), 8.141060378397372, 1e-12);
    CHECK_REL(lmp_entropy_of_logits_f32(lf, V), 8.141060378397372, 1e-12);
    l[0] = -INFINITY; /* probability 0 contributes nothing */
    double h1 = lmp_entropy_of_logits(l, V);
    CHECK(isfinite(h1));
    free(l);
    free(lf);
    double inf2[] = {-INFINITY, -INFINITY};
    CHECK(isnan(lmp_entropy_of_logits(inf2, 2)));
}

static void test_kl_js(void)
{
    double P[] = {0.9, 0.1}, Q[] = {0.5, 0.5};
    /* ERRATA b14: KL(P||Q) = 0.3681 and KL(Q||P) = 0.5108 (the chapter swaps them). */
    CHECK_REL(lmp_kl_divergence(P, Q, 2, LMP_BASE_E), 0.3680642071684971, 1e-13);
    CHECK_REL(lmp_kl_divergence(Q, P, 2, LMP_BASE_E), 0.5108256237659907, 1e-13);
    CHECK_REL(lmp_kl_divergence(P, Q, 2, 2.0), 0.5310044064107188, 1e-13);
    float Pf[] = {0.9f, 0.1f}, Qf[] = {0.5f, 0.5f};
    CHECK_REL(lmp_kl_divergence_f32(Pf, Qf, 2, LMP_BASE_E), 0.3680642071684971, 1e-7); /* float inputs */
    double A[] = {0.5, 0.5}, B[] = {1.0, 0.0};
    CHECK(lmp_kl_divergence(A, B, 2, LMP_BASE_E) == INFINITY);
    /* P = 0 terms are 0: log 2, to the 2 ulps of a sum of deviance terms (bd0(1, 1/2) + 1/2) */
    CHECK_REL(lmp_kl_divergence(B, A, 2, LMP_BASE_E), log(2.0), 4.5e-16);
    /* the chapter's eps-smoothed KL: finite where the exact one is +inf, and
     * equal to the chapter's own function (computed by hand here) */
    double eps = 1e-10;
    double pa = (0.5 + eps) / (1 + 2 * eps), qa = (1.0 + eps) / (1 + 2 * eps), qb = eps / (1 + 2 * eps);
    double want = pa * log(pa / qa) + pa * log(pa / qb);
    CHECK_REL(lmp_kl_divergence_smoothed(A, B, 2, eps, LMP_BASE_E), want, 1e-13);
    CHECK_REL(lmp_kl_divergence_smoothed(P, Q, 2, 0.0, LMP_BASE_E), 0.3680642071684971, 1e-13);
    /* JS: symmetric, bounded by log 2, distance = sqrt */
    CHECK_REL(lmp_js_divergence(P, Q, 2, LMP_BASE_E), 0.10174922507919669, 1e-13);
    CHECK_REL(lmp_js_divergence(Q, P, 2, LMP_BASE_E), 0.10174922507919669, 1e-13);
    CHECK_REL(lmp_js_distance(P, Q, 2, LMP_BASE_E), 0.3189815434773565, 1e-13);
    double D1[] = {1.0, 0.0}, D2[] = {0.0, 1.0};
    CHECK_REL(lmp_js_divergence(D1, D2, 2, 2.0), 1.0, 1e-15);
    CHECK_ABS(lmp_js_divergence(P, P, 2, LMP_BASE_E), 0.0, 1e-300);
    /* cross-entropy = H(p) + KL(p||q) */
    double h = lmp_entropy(P, 2, LMP_BASE_E), kl = lmp_kl_divergence(P, Q, 2, LMP_BASE_E);
    CHECK_REL(lmp_cross_entropy(P, Q, 2, LMP_BASE_E), h + kl, 1e-14);
    CHECK(lmp_cross_entropy(A, B, 2, LMP_BASE_E) == INFINITY);
}

static void test_perplexity(void)
{
    double lp[100];
    for (int i = 0; i < 100; i++) lp[i] = log(1.0);
    CHECK(lmp_perplexity(lp, 100) == 1.0);
    for (int i = 0; i < 100; i++) lp[i] = log(1.0 / 50257);
    CHECK_REL(lmp_perplexity(lp, 100), 50257.0, 1e-12);
    lp[3] = -INFINITY;
    CHECK(lmp_perplexity(lp, 100) == INFINITY);
    CHECK(isnan(lmp_perplexity(lp, 0)));
    lp[3] = 0.5; /* log p > 0 */
    CHECK(isnan(lmp_perplexity(lp, 100)));
}

static void test_ce_loss(void)
{
    double x[] = {1.0, 2.0, 3.0, 0.5, 0.2}, loss;
    CHECK(lmp_ce_loss(x, 5, 2, 0.0, &loss, NULL) == LMP_OK);
    CHECK_REL(loss, 0.4984147984857819, 1e-14);
    CHECK(lmp_ce_loss(x, 5, 2, 0.1, &loss, NULL) == LMP_OK);
    CHECK_REL(loss, 0.6644147984857819, 1e-14);
    double big[] = {1000.0, 0.0, -1000.0};
    CHECK(lmp_ce_loss(big, 3, 2, 0.0, &loss, NULL) == LMP_OK);
    CHECK_REL(loss, 2000.0, 1e-14); /* the chapter's +1e-9 caps this at 20.72 */
    double minf[] = {0.0, -INFINITY};
    CHECK(lmp_ce_loss(minf, 2, 1, 0.0, &loss, NULL) == LMP_OK);
    CHECK(loss == INFINITY);
    lmp_error err;
    CHECK(lmp_ce_loss(x, 5, 5, 0.0, &loss, &err) == LMP_EINVAL);
    CHECK(strstr(err.msg, "target = 5") != NULL);
    CHECK(lmp_ce_loss(x, 5, 0, 1.5, &loss, &err) == LMP_EINVAL);
    double batch[] = {2.0, 1.0, 0.1, -1.0, 0.5, 0.5, 0.5, 0.5, -1.0, 3.0, 0.0, 2.0};
    lmp_token_id t[] = {1, -100, 3};
    CHECK(lmp_ce_loss_batch(batch, 3, 4, t, -100, 0.0, &loss, NULL) == LMP_OK);
    CHECK_REL(loss, 1.4055810207361596, 1e-14);
    lmp_token_id all[] = {-100, -100, -100};
    CHECK(lmp_ce_loss_batch(batch, 3, 4, all, -100, 0.0, &loss, NULL) == LMP_OK);
    CHECK(isnan(loss));
    lmp_token_id bad[] = {1, 9, 3};
    CHECK(lmp_ce_loss_batch(batch, 3, 4, bad, -100, 0.0, &loss, &err) == LMP_EINVAL);
    CHECK(strstr(err.msg, "row 1") != NULL);
}

static void test_map_loss(void)
{
    /* ERRATA b05: p = [.7, .2, .1], one-hot target 0: the correct per-example
     * NLL is -log 0.7 (the chapter's CE / 3 is tested in test_experiment.c). */
    double pred[] = {0.7, 0.2, 0.1}, tg[] = {1.0, 0.0, 0.0}, w[] = {0.5, -2.0}, loss;
    CHECK(lmp_map_loss(pred, tg, 1, 3, w, 2, 0.0, LMP_PRIOR_GAUSSIAN, &loss, NULL) == LMP_OK);
    CHECK_REL(loss, -log(0.7), 1e-15);
    CHECK(lmp_map_loss(pred, tg, 1, 3, w, 2, 0.01, LMP_PRIOR_GAUSSIAN, &loss, NULL) == LMP_OK);
    CHECK_REL(loss, -log(0.7) + 0.01 * 4.25, 1e-15);
    CHECK(lmp_map_loss(pred, tg, 1, 3, w, 2, 0.01, LMP_PRIOR_LAPLACE, &loss, NULL) == LMP_OK);
    CHECK_REL(loss, -log(0.7) + 0.01 * 2.5, 1e-15);
    /* two examples: the mean is over examples */
    double pred2[] = {0.7, 0.2, 0.1, 0.1, 0.1, 0.8}, tg2[] = {1, 0, 0, 0, 0, 1};
    CHECK(lmp_map_loss(pred2, tg2, 2, 3, NULL, 0, 0.0, LMP_PRIOR_GAUSSIAN, &loss, NULL) == LMP_OK);
    CHECK_REL(loss, -(log(0.7) + log(0.8)) / 2, 1e-15);
    double zero[] = {0.0, 0.5, 0.5};
    CHECK(lmp_map_loss(zero, tg, 1, 3, NULL, 0, 0.0, LMP_PRIOR_GAUSSIAN, &loss, NULL) == LMP_OK);
    CHECK(loss == INFINITY);
    lmp_error err;
    CHECK(lmp_map_loss(pred, tg, 1, 3, w, 2, -1.0, LMP_PRIOR_GAUSSIAN, &loss, &err) == LMP_EINVAL);
    CHECK(strstr(err.msg, "lambda = -1") != NULL);
    double badp[] = {1.7, 0.2, 0.1};
    CHECK(lmp_map_loss(badp, tg, 1, 3, w, 2, 0.0, LMP_PRIOR_GAUSSIAN, &loss, &err) == LMP_EINVAL);
}

int main(int argc, char **argv)
{
    (void)argc;
    RUN(test_logsumexp);
    RUN(test_softmax);
    RUN(test_softmax_temperature);
    RUN(test_entropy);
    RUN(test_kl_js);
    RUN(test_perplexity);
    RUN(test_ce_loss);
    RUN(test_map_loss);
    return TEST_SUMMARY();
}
