/* Unit tests for include/lmprob/info.h: hand-computed values, the chapter's
 * examples (with the ERRATA's corrected numbers), edge cases.
 * Tolerances: CHECK_REL 1e-14 where the formula is a handful of correctly
 * rounded operations; 1e-12 for sums over 10^4+ terms; CHECK_ABS for values
 * that are exactly 0. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "lmprob/info.h"
#include "test.h"

#include "../src/dist/internal.h"  /* lmp_bd0_, the scalar deviance the KL kernels vectorise */
#include "../src/info/vmath.h"     /* the vector exp and log, tested directly */
#include "../src/sample/kernels.h" /* lmp_sample_isa_best */

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
    /* a difference x - m past the doubles over a T that brings it back (mpmath, 50 digits): it was -inf,
     * the second probability 0 */
    double w[2] = {1e308, -1e308}, q[2];
    CHECK(lmp_softmax_temperature(w, 2, 1.7e308, q, NULL) == LMP_OK);
    CHECK_REL(q[0], 0.7643126128217471111, 1e-15);
    CHECK_REL(q[1], 0.2356873871782528889, 1e-15);
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
    l[0] = -INFINITY; /* probability 0 contributes nothing: the entropy of the other V - 1 */
    double h1 = lmp_entropy_of_logits(l, V);
    CHECK(isfinite(h1));
    CHECK_REL(h1, lmp_entropy_of_logits(l + 1, V - 1), 1e-13);
    l[V - 1] = -INFINITY; /* and in the last, partial vector of the kernel */
    CHECK_REL(lmp_entropy_of_logits(l, V), lmp_entropy_of_logits(l + 1, V - 2), 1e-13);
    free(l);
    free(lf);
    double inf2[] = {-INFINITY, -INFINITY};
    CHECK(isnan(lmp_entropy_of_logits(inf2, 2)));
}

static void test_kl_js(void)
{
    /* disjoint supports: JS is ln 2 exactly, never a rounding above it (it was 1 ulp above: base 2 gave
     * 1.0000000000000002); random disjoint pairs stay at or below ln 2 / ln base */
    {
        double p2[2] = {1, 0}, q2[2] = {0, 1};
        CHECK(lmp_js_divergence(p2, q2, 2, LMP_BASE_E) == M_LN2);
        CHECK(lmp_js_divergence(p2, q2, 2, 2.0) == 1.0);
        uint64_t x = 88172645463325252ull;
        int above = 0;
        for (int t = 0; t < 2000; t++) {
            double P[6] = {0}, Q[6] = {0};
            for (int i = 0; i < 6; i++) {
                x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                double w = (double)(x >> 11) * 0x1p-53 + 1e-3;
                if (i % 2) Q[i] = w; else P[i] = w;
            }
            above += lmp_js_divergence(P, Q, 6, 2.0) > 1.0 || lmp_js_divergence(P, Q, 6, LMP_BASE_E) > M_LN2;
        }
        CHECK_MSG(above == 0, "%d of 2000 disjoint pairs above the bound", above);
    }
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
    /* float32 inputs: the double variant's value of the widened vectors, bit for bit (the
     * tails of every vector width, zeros in either input, eps 0, one-hot); invalid inputs NaN */
    {
        uint32_t st = 7;
        for (size_t n = 1; n <= 67; n++)
            for (int kind = 0; kind < 3; kind++) {
                float pf[67], qf[67];
                double pd[67], qd[67];
                for (size_t i = 0; i < n; i++) {
                    st = st * 1664525u + 1013904223u;
                    pf[i] = (float)((st >> 8) & 0xffff) / 65536.0f;
                    st = st * 1664525u + 1013904223u;
                    qf[i] = (float)((st >> 8) & 0xffff) / 65536.0f;
                    if (kind == 1 && i % 3 == 0) pf[i] = 0.0f;
                    if (kind == 2) pf[i] = i == n / 2 ? 1.0f : 0.0f;
                    pd[i] = pf[i];
                    qd[i] = qf[i];
                }
                for (int e = 0; e < 2; e++) {
                    const double ee = e ? 1e-10 : 0.0;
                    double a = lmp_kl_divergence_smoothed(pd, qd, n, ee, LMP_BASE_E),
                           b = lmp_kl_divergence_smoothed_f32(pf, qf, n, ee, LMP_BASE_E);
                    CHECK_MSG(memcmp(&a, &b, sizeof a) == 0 || (isnan(a) && isnan(b)),
                              "n %zu kind %d eps %g: float32 %.17g, double %.17g", n, kind, ee, b, a);
                }
                /* the same for the cross-entropy and JS, both ways round */
                const double got[6] = {lmp_cross_entropy_f32(pf, qf, n, 2.0), lmp_cross_entropy_f32(qf, pf, n, 2.0),
                                       lmp_js_divergence_f32(pf, qf, n, LMP_BASE_E),
                                       lmp_js_divergence_f32(qf, pf, n, 2.0), lmp_js_distance_f32(pf, qf, n, 2.0),
                                       lmp_kl_divergence_f32(pf, qf, n, LMP_BASE_E)};
                const double ref[6] = {lmp_cross_entropy(pd, qd, n, 2.0), lmp_cross_entropy(qd, pd, n, 2.0),
                                       lmp_js_divergence(pd, qd, n, LMP_BASE_E), lmp_js_divergence(qd, pd, n, 2.0),
                                       lmp_js_distance(pd, qd, n, 2.0), lmp_kl_divergence(pd, qd, n, LMP_BASE_E)};
                for (int k = 0; k < 6; k++)
                    CHECK_MSG(memcmp(&got[k], &ref[k], sizeof got[k]) == 0 || (isnan(got[k]) && isnan(ref[k])),
                              "n %zu kind %d function %d: float32 %.17g, double %.17g", n, kind, k, got[k], ref[k]);
            }
        float bad[] = {0.5f, -0.5f}, zero[] = {0.0f, 0.0f}, good[] = {0.5f, 0.5f};
        CHECK(isnan(lmp_kl_divergence_smoothed_f32(bad, good, 2, 1e-10, LMP_BASE_E)));
        CHECK(isnan(lmp_kl_divergence_smoothed_f32(good, zero, 2, 1e-10, LMP_BASE_E)));
        CHECK(isnan(lmp_kl_divergence_smoothed_f32(good, good, 2, -1.0, LMP_BASE_E)));
    }
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

/* Weights spanning more than the doubles' range: Q = (2^600, 2^-j_1, ..., 2^-j_10) has
 * probabilities q_i = 2^-(600 + j_i) (to a relative 2^-1000), from 2^-1000 (normal) through
 * the subnormals to 2^-1670 (0 as a double), yet each log q_i = -(600 + j_i) ln 2 is an
 * ordinary number: the cross-entropy and KL are finite and known to a few ulps. They were NaN
 * and +inf while q_i was taken as its rounded double (0, or a subnormal whose ratio a / q
 * overflowed); at every ISA level through the kernels, and through the public functions. */
static void test_divergence_wide_range(void)
{
    /* the smoothed KL on weights whose sums leave the doubles (mpmath, 50 digits): the reciprocal of a
     * subnormal sum overflowed (NaN) and of a sum past DBL_MAX was 0 (KL 0) */
    const double ps[2] = {1e-320, 2e-320}, qs[2] = {2e-320, 1e-320};
    const double pb[3] = {1e308, 1e308, 0}, qb[3] = {1e308, 5e307, 1e307};
    CHECK_REL(lmp_kl_divergence_smoothed(ps, qs, 2, 0.0, LMP_BASE_E), 0.23104906018664843647, 1e-15);
    CHECK_REL(lmp_kl_divergence_smoothed(pb, qb, 3, 0.0, LMP_BASE_E), 0.12343003896576289738, 4e-15); /* kappa 20 */
    const float pf[2] = {1e-40f, 2e-40f}, qf[2] = {2e-40f, 1e-40f};
    CHECK_REL(lmp_kl_divergence_smoothed_f32(pf, qf, 2, 0.0, LMP_BASE_E),
              lmp_kl_divergence_smoothed((const double[2]){(double)pf[0], (double)pf[1]},
                                         (const double[2]){(double)qf[0], (double)qf[1]}, 2, 0.0, LMP_BASE_E), 0);
    CHECK(fabs(lmp_kl_divergence_smoothed_f32(pf, qf, 2, 0.0, LMP_BASE_E) - 0.23) < 0.01);
    enum { N = 11 };
    static const int j[N] = {0, 400, 430, 470, 421, 460, 700, 1000, 1070, 520, 455};
    double P[N], Q[N], jsum = 0;
    for (int i = 0; i < N; i++) {
        P[i] = 1.0;
        Q[i] = i == 0 ? 0x1p600 : ldexp(1.0, -j[i]);
        if (i) jsum += 600 + j[i];
    }
    const double ln2 = 0.69314718055994530942;
    /* xent = -(1/N) sum log q_i (q_0 = 1 - 2^-1000: its term is below 1e-300) */
    double xent = jsum * ln2 / N, kl = xent - log((double)N);
    CHECK_REL(lmp_cross_entropy(P, Q, N, LMP_BASE_E), xent, 1e-15);
    CHECK_REL(lmp_kl_divergence(P, Q, N, LMP_BASE_E), kl, 1e-15);
    CHECK_REL(lmp_cross_entropy(P, Q, N, 2.0), jsum / N, 1e-15);
    /* KL(Q || P): Q is one-hot to 2^-1000, so log N; its tiny weights are the small side now */
    CHECK_REL(lmp_kl_divergence(Q, P, N, LMP_BASE_E), log((double)N), 1e-15);
    /* JS against its closed form for a one-hot b: m_0 = (1/N + 1) / 2, m_i = 1 / (2N) */
    double m0 = (1.0 / N + 1) / 2;
    double js = 0.5 * ((1.0 / N) * log((1.0 / N) / m0) + (N - 1.0) / N * log(2.0) + log(1 / m0));
    CHECK_REL(lmp_js_divergence(P, Q, N, LMP_BASE_E), js, 1e-14);
    /* the kernels at each level, as info.c calls them: Q scaled by 2^-600 (sum 1 + 2^-1000 = 1) */
    lmp_vm_wv wp = {P, NULL, 1.0, 1.0, (double)N, 0};
    lmp_vm_wv wq = {Q, NULL, 0x1p-600, 1.0, 1.0, -600};
    for (int isa = 0; isa <= lmp_sample_isa_best(); isa++) {
        int inf = -1;
        double got = lmp_vm_dd_val(lmp_vm_kl_terms(isa, wp, wq, N, &inf));
        CHECK_MSG(inf == 0 && fabs(got - kl) <= 1e-15 * kl, "isa %d: kl %.17g (inf %d), expected %.17g", isa, got,
                  inf, kl);
        inf = -1;
        got = lmp_vm_dd_val(lmp_vm_xent_terms(isa, wp, wq, 1, N, &inf)); /* the maximum is info.c's */
        CHECK_MSG(inf == 0 && fabs(got - jsum * ln2) <= 1e-15 * jsum * ln2, "isa %d: xent %.17g (inf %d), expected %.17g",
                  isa, got, inf, jsum * ln2);
    }
    /* a weight that is 0 still makes them +inf */
    Q[5] = 0.0;
    CHECK(lmp_cross_entropy(P, Q, N, LMP_BASE_E) == INFINITY);
    CHECK(lmp_kl_divergence(P, Q, N, LMP_BASE_E) == INFINITY);
}

/* The divergence kernels (KL, JS, cross-entropy terms) at every ISA level this machine runs,
 * against the scalar formulas they vectorise (lmp_bd0_, log; a compensated sum): an odd length
 * (whole vectors and a tail), independent and nearly equal distributions (the bd0 series
 * lanes, where the direct form would lose every digit), zeros on either side. */
typedef struct ksum_t {
    double s, c;
} ksum_t;

static void kadd_t(ksum_t *k, double x)
{
    double t = k->s + x;
    k->c += fabs(k->s) >= fabs(x) ? (k->s - t) + x : (x - t) + k->s;
    k->s = t;
}

static void test_divergence_kernels(void)
{
    enum { N = 1003 };
    double *P = malloc(N * sizeof *P), *Q = malloc(N * sizeof *Q);
    uint64_t r = 12345;
    for (int kind = 0; kind < 4; kind++) {
        double sp = 0, sq = 0;
        for (int i = 0; i < N; i++) {
            r = r * 6364136223846793005ULL + 1442695040888963407ULL;
            double u = (double)(r >> 11) * 0x1p-53;
            r = r * 6364136223846793005ULL + 1442695040888963407ULL;
            double w = (double)(r >> 11) * 0x1p-53;
            P[i] = u * u + 1e-3;
            /* 0: independent; 1: within 1e-7 (KL ~ 1e-15); 2: P has zeros; 3: and Q too, where P has none
             * (KL(P||Q) = +inf) */
            Q[i] = kind == 1 ? P[i] * (1 + 1e-7 * (w - 0.5)) : w;
            if (kind >= 2 && i % 7 == 3) P[i] = 0;
            if (kind == 3 && i % 7 == 5) Q[i] = 0;
            sp += P[i];
            sq += Q[i];
        }
        ksum_t kl = {0, 0}, js = {0, 0}, xe = {0, 0};
        int want_inf = 0;
        for (int i = 0; i < N; i++) {
            double a = P[i] / sp, b = Q[i] / sq, m = 0.5 * (a + b);
            if (a > 0 && b == 0) want_inf = 1;
            if (!want_inf) kadd_t(&kl, lmp_bd0_(a, b));
            kadd_t(&js, 0.5 * (lmp_bd0_(a, m) + lmp_bd0_(b, m)));
            if (P[i] > 0 && Q[i] > 0) kadd_t(&xe, -P[i] * log(b));
        }
        lmp_vm_wv wp = {P, NULL, 1.0, 1.0, sp, 0}, wq = {Q, NULL, 1.0, 1.0, sq, 0};
        for (int isa = 0; isa <= lmp_sample_isa_best(); isa++) {
            int inf = -1;
            double got = lmp_vm_dd_val(lmp_vm_kl_terms(isa, wp, wq, N, &inf));
            CHECK_MSG(inf == want_inf, "kind %d isa %d: kl inf flag %d, expected %d", kind, isa, inf, want_inf);
            if (!want_inf)
                CHECK_MSG(fabs(got - (kl.s + kl.c)) <= 1e-13 * (kl.s + kl.c), "kind %d isa %d: kl %.17g, expected %.17g",
                          kind, isa, got, kl.s + kl.c);
            got = lmp_vm_dd_val(lmp_vm_js_terms(isa, wp, wq, N));
            CHECK_MSG(fabs(got - (js.s + js.c)) <= 1e-13 * (js.s + js.c), "kind %d isa %d: js %.17g, expected %.17g",
                      kind, isa, got, js.s + js.c);
            inf = -1;
            got = lmp_vm_dd_val(lmp_vm_xent_terms(isa, wp, wq, 0, N, &inf));
            CHECK_MSG(inf == want_inf, "kind %d isa %d: xent inf flag %d, expected %d", kind, isa, inf, want_inf);
            if (!want_inf)
                CHECK_MSG(fabs(got - (xe.s + xe.c)) <= 1e-13 * (xe.s + xe.c), "kind %d isa %d: xent %.17g, expected %.17g",
                          kind, isa, got, xe.s + xe.c);
        }
        /* the same pair as float log-probabilities (eval/kl.c's rows): KL both ways and JS against
         * their scalar definitions; kind 2's zeros of P are -inf, kind 3's of Q too (KL(P||Q) = +inf) */
        float *la = malloc(N * sizeof *la), *lb = malloc(N * sizeof *lb);
        for (int i = 0; i < N; i++) {
            la[i] = P[i] > 0 ? (float)log(P[i]) + 3.0f : -INFINITY; /* + 3: not normalised */
            lb[i] = Q[i] > 0 ? (float)log(Q[i]) - 2.0f : -INFINITY;
        }
        /* The reference in long double, term by term in forms that keep their digits when the rows are
         * close (kind 1: logits a float ulp apart, KL ~ 1e-15): with delta = la - lb = (a - b) - (La - Lb),
         * a KL term is pa phi(-delta), phi(x) = expm1(x) - x (= pa (la - lb) + pb - pa), and a JS term
         * (pa phi(-ta) + pb phi(-tb)) / 2 with ta = la - lm = -log1p(expm1(-delta) / 2), tb likewise.
         * The naive sums of pa (la - lb) this test compared with before carried the rounding of La - Lb
         * whole: 6 % apart both ways at kind 1. Tolerance: the kernel's rounding of each probability
         * (a few u) times its term's first-order size pa |delta|, as the condition number has it. */
        long double La = 0, Lb = 0;
        for (int i = 0; i < N; i++) {
            La += expl((long double)la[i]);
            Lb += expl((long double)lb[i]);
        }
        La = logl(La);
        Lb = logl(Lb);
        long double rab = 0, rba = 0, rjs = 0, scale_ab = 0, scale_ba = 0, scale_js = 0;
        int ab_inf = 0, ba_inf = 0;
        for (int i = 0; i < N; i++) {
            long double pa = expl(la[i] - La), pb = expl(lb[i] - Lb);
            if (pa > 0 && pb > 0) {
                long double d = ((long double)la[i] - lb[i]) - (La - Lb);
                long double ta = -log1pl(expm1l(-d) / 2), tb = -log1pl(expm1l(d) / 2);
                rab += pa * (expm1l(-d) + d);
                rba += pb * (expm1l(d) - d);
                rjs += (pa * (expm1l(-ta) + ta) + pb * (expm1l(-tb) + tb)) / 2;
                scale_ab += pa * fabsl(d);
                scale_ba += pb * fabsl(d);
                scale_js += (pa + pb) * fabsl(d);
            } else {
                if (pa > 0) ab_inf = 1;
                if (pb > 0) ba_inf = 1;
                rab += pb; /* bd0(0, pb) */
                rba += pa;
                rjs += (pa + pb) * logl(2.0L) / 2;
            }
        }
        CHECK(want_inf == (kind == 3) && ab_inf == want_inf && ba_inf == (kind >= 2));
        const double u = 0x1p-53;
        for (int isa = 0; isa <= lmp_sample_isa_best(); isa++) {
            lmp_vm_dd o[3];
            double ma, mb, sa = lmp_vm_lse_parts(isa, la, N, &ma), sb = lmp_vm_lse_parts(isa, lb, N, &mb);
            CHECK(fabs((ma + sa) - lmp_logsumexp_f32(la, N)) <= 1e-15 * fabs(ma + sa) &&
                  fabs((mb + sb) - lmp_logsumexp_f32(lb, N)) <= 1e-15 * fabs(mb + sb));
            lmp_vm_logit_div(isa, la, lb, N, ma, sa, mb, sb, o);
            double kab = lmp_vm_dd_val(o[0]), kba = lmp_vm_dd_val(o[1]), jsd = lmp_vm_dd_val(o[2]);
            if (ab_inf) CHECK_MSG(kab == INFINITY, "kind %d isa %d: logit KL(a||b) %g, expected +inf", kind, isa, kab);
            else CHECK_MSG(fabsl(kab - rab) <= 1e-13L * rab + 8 * u * scale_ab,
                           "kind %d isa %d: logit KL(a||b) %.17g, expected %.17Lg", kind, isa, kab, rab);
            if (ba_inf) CHECK_MSG(kba == INFINITY, "kind %d isa %d: logit KL(b||a) %g, expected +inf", kind, isa, kba);
            else CHECK_MSG(fabsl(kba - rba) <= 1e-13L * rba + 8 * u * scale_ba,
                           "kind %d isa %d: logit KL(b||a) %.17g, expected %.17Lg", kind, isa, kba, rba);
            CHECK_MSG(fabsl(jsd - rjs) <= 1e-13L * rjs + 8 * u * scale_js, "kind %d isa %d: logit JS %.17g, expected %.17Lg",
                      kind, isa, jsd, rjs);
        }
        free(la);
        free(lb);
        if (kind == 1) /* nearly equal: KL ~ 1e-16, and every digit of it kept */
            CHECK_MSG(kl.s > 1e-17 && kl.s < 1e-14, "kind 1: KL %g, expected ~1e-16", kl.s);
    }
    /* Logits of any size: pa = (1/2, 1/2, 0), pb = (1, 0, 0) at offsets C where ln 2 is below the ulp of C (the
     * log-sum-exp in one double lost it, and the probabilities summed to 2: KL(b || a) came out 0 or 2 ln 2):
     * KL(a || b) = +inf, KL(b || a) = ln 2, JS = (ln(4/3) + (ln(2/3) + ln 2) / 2) / 2 */
    const float offs[] = {0.0f, 1e30f, -1e30f, 3e38f, -3e38f};
    for (size_t k = 0; k < sizeof offs / sizeof offs[0]; k++) {
        const float C = offs[k], ab[3] = {C, C, -INFINITY}, bb[3] = {C, -INFINITY, -INFINITY};
        const double want_js = (log(4.0 / 3.0) + 0.5 * (log(2.0 / 3.0) + log(2.0))) / 2;
        for (int isa = 0; isa <= lmp_sample_isa_best(); isa++) {
            lmp_vm_dd o[3];
            double ma, mb, sa = lmp_vm_lse_parts(isa, ab, 3, &ma), sb = lmp_vm_lse_parts(isa, bb, 3, &mb);
            lmp_vm_logit_div(isa, ab, bb, 3, ma, sa, mb, sb, o);
            double kab = lmp_vm_dd_val(o[0]), kba = lmp_vm_dd_val(o[1]), jsd = lmp_vm_dd_val(o[2]);
            CHECK_MSG(kab == INFINITY && fabs(kba - log(2.0)) <= 4e-16 && fabs(jsd - want_js) <= 4e-16,
                      "offset %g isa %d: KL %g and %.17g, JS %.17g: expected inf, ln 2 and %.17g", (double)C, isa, kab,
                      kba, jsd, want_js);
        }
    }
    free(P);
    free(Q);
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
    /* finite log probabilities whose sum overflows: the mean is below -DBL_MAX / n, perplexity inf (was NaN) */
    const double big[2] = {-1e308, -1e308};
    CHECK(lmp_perplexity(big, 2) == INFINITY);
    CHECK(lmp_perplexity(big, 1) == INFINITY);
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
    /* a row whose target's logit is -inf: the mean is +inf (PyTorch), not the NaN a compensated
     * sum makes of an infinite term */
    double ninf[] = {0.0, -INFINITY, 1.0, 2.0, 0.5, 0.5};
    lmp_token_id ti[] = {1, 0};
    CHECK(lmp_ce_loss_batch(ninf, 2, 3, ti, -100, 0.0, &loss, NULL) == LMP_OK);
    CHECK(loss == INFINITY);
    CHECK(lmp_ce_loss_batch(ninf, 2, 3, ti, -100, 0.1, &loss, NULL) == LMP_OK);
    CHECK(loss == INFINITY);
    /* with label smoothing any -inf logit makes the loss +inf (its uniform part), target or not */
    CHECK(lmp_ce_loss(ninf, 3, 0, 0.1, &loss, NULL) == LMP_OK);
    CHECK(loss == INFINITY);
    CHECK(lmp_ce_loss(ninf, 3, 0, 0.0, &loss, NULL) == LMP_OK);
    CHECK_REL(loss, 1.3132616875182228, 1e-15); /* torch: log(1 + e) */
    /* float32 logits: the double variant's value of the widened logits, bit for bit, for every
     * smoothing, ignored rows, -inf logits; and the same errors */
    {
        enum { N = 5, C = 37 };
        float xf[N * C];
        double xd[N * C];
        uint32_t st = 99;
        for (int i = 0; i < N * C; i++) {
            st = st * 1664525u + 1013904223u;
            xf[i] = (float)((double)((st >> 8) & 0xffffff) / 16777216.0 * 20.0 - 10.0);
            if (i == 40 || i == 77) xf[i] = -INFINITY;
            xd[i] = xf[i];
        }
        lmp_token_id tg[N] = {3, -100, 36, 0, 3}; /* -inf at 40 (row 1, ignored) and 77 (row 2, not its target) */
        for (int k = 0; k < 3; k++) {
            const double s = k == 0 ? 0.0 : k == 1 ? 0.1 : 1.0;
            double a, b;
            CHECK(lmp_ce_loss_batch(xd, N, C, tg, -100, s, &a, NULL) == LMP_OK);
            CHECK(lmp_ce_loss_batch_f32(xf, N, C, tg, -100, s, &b, NULL) == LMP_OK);
            CHECK_MSG(memcmp(&a, &b, sizeof a) == 0, "s %g: batch float32 %.17g, double %.17g", s, b, a);
            for (int i = 0; i < N; i++) {
                if (tg[i] < 0) continue;
                CHECK(lmp_ce_loss(xd + i * C, C, tg[i], s, &a, NULL) == LMP_OK);
                CHECK(lmp_ce_loss_f32(xf + i * C, C, tg[i], s, &b, NULL) == LMP_OK);
                CHECK_MSG(memcmp(&a, &b, sizeof a) == 0, "s %g row %d: float32 %.17g, double %.17g", s, i, b, a);
            }
        }
        lmp_token_id tb[N] = {3, 1, 37, 0, 3};
        CHECK(lmp_ce_loss_batch_f32(xf, N, C, tb, -100, 0.0, &loss, &err) == LMP_EINVAL);
        CHECK(strstr(err.msg, "row 2") != NULL && strstr(err.msg, "target = 37") != NULL);
        float fnan[2] = {1.0f, NAN};
        CHECK(lmp_ce_loss_f32(fnan, 2, 0, 0.0, &loss, &err) == LMP_EINVAL);
    }
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

/* ---- the vector exp and log against long double libm ------------------------------------
 * The reference is expl / logl (x87, a 64-bit significand: 2^-11 of a double's
 * ulp, so a measured error is good to about 0.001 ulp; python/tests/test_info.py
 * checks the long double reference itself against mpmath on a sample). The error
 * is |got - exact| / ulp(exact), the ulp of a double at the exact value's binade
 * (2^-1074 for a subnormal; a result beyond DBL_MAX counts as 2^1024). Every ISA
 * level this machine runs is checked, on the whole double range: random bit
 * patterns (every binade, subnormals included), dense uniform draws where the
 * results are finite, and the edges (overflow, the subnormal boundary, the last
 * subnormal, 1 +- tiny for log, 0, -0, +-inf, NaN), and random float bit patterns
 * (the float kernels compute in double on the widened floats). */

static uint64_t vm_state = 0x9E3779B97F4A7C15u;
static uint64_t vm_next(void) /* splitmix64 */
{
    uint64_t z = (vm_state += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}
static double vm_bits(uint64_t b)
{
    double d;
    memcpy(&d, &b, sizeof d);
    return d;
}
static double vm_unif(double lo, double hi) { return lo + (hi - lo) * ((double)(vm_next() >> 11) * 0x1p-53); }

static double vm_ulp_err(double got, long double want)
{
    long double a = fabsl(want);
    long double ulp = a < 0x1p-1022L ? 0x1p-1074L : ldexpl(1.0L, ilogbl(a) - 52);
    long double g = isinf(got) ? copysignl(0x1p1024L, got) : (long double)got;
    if (a >= 0x1.fffffffffffff8p1023L) /* rounds to +-inf */
        return isinf(got) && (got > 0) == (want > 0) ? 0.0 : INFINITY;
    return (double)(fabsl(g - want) / ulp);
}

#define VM_N 4096
/* the largest error of f over x[0..n), and the worst x */
static double vm_worst(int isa, int is_log, const double *x, size_t n, double *at)
{
    static double y[VM_N];
    double worst = 0.0;
    (is_log ? lmp_vm_log : lmp_vm_exp)(isa, x, y, n);
    for (size_t i = 0; i < n; i++) {
        double e;
        if (isnan(x[i]) || (is_log && x[i] < 0)) e = isnan(y[i]) ? 0.0 : INFINITY;
        else e = vm_ulp_err(y[i], is_log ? logl((long double)x[i]) : expl((long double)x[i]));
        if (e > worst) {
            worst = e;
            *at = x[i];
        }
    }
    return worst;
}

static void test_vm_exp_log_ulp(void)
{
    static double x[VM_N];
    int top = lmp_sample_isa_best();
    for (int isa = 0; isa <= top; isa++) {
        for (int is_log = 0; is_log < 2; is_log++) {
            double worst = 0.0, at = 0.0;
            /* 160 rounds (655,360 points; 16 under an emulator, test_scaled) */
            for (long round = 0; round < test_scaled(160, 16); round++) {
                for (size_t i = 0; i < VM_N; i++) {
                    double v;
                    switch (round % 4) {
                    case 0: /* any bit pattern: every binade of both signs, subnormals, inf, NaN */
                        v = vm_bits(vm_next());
                        break;
                    case 1: /* where the results are finite and not 0 */
                        v = is_log ? vm_bits(vm_next() >> 1) : vm_unif(-745.2, 709.8);
                        break;
                    case 2: /* the reduced ranges and around 0 / 1 */
                        v = is_log ? vm_unif(0.5, 2.0) : vm_unif(-1.0, 1.0);
                        break;
                    case 3: /* every float (the float kernels widen their input exactly): any bit pattern */
                        if (round % 8 == 3) {
                            uint32_t b = (uint32_t)vm_next();
                            float f;
                            memcpy(&f, &b, sizeof f);
                            v = f;
                            break;
                        }
                        /* fall through */
                    default: /* small: exp(tiny), log(1 + tiny), subnormal inputs */
                        v = ldexp(vm_unif(-1.0, 1.0), -(int)(vm_next() % 1080));
                        if (is_log) v = i % 2 ? 1.0 + v : fabs(v);
                        break;
                    }
                    x[i] = v;
                }
                double a = 0.0, w = vm_worst(isa, is_log, x, VM_N, &a);
                if (w > worst) worst = w, at = a;
            }
            /* the edges, one by one */
            const double edges_exp[] = {0.0, -0.0, 709.782712893384, 709.7827128933841, 709.78271289338397,
                                        710.0, -708.3964185322641, -708.4, -745.1332191019411,
                                        -745.1332191019412, -744.4400719213812, -746.0, 1e-300, -1e-300,
                                        INFINITY, -INFINITY, NAN, 0.5 * 0.6931471805599453, -0.34657359027997264};
            const double edges_log[] = {1.0, 0x1p-1074, 0x1p-1022, 0x1.fffffffffffffp-1023, DBL_MAX, 0.0, -0.0,
                                        INFINITY, -INFINITY, NAN, -1.0, 0x1.6a09e667f3bcdp-1,
                                        0x1.6a09e667f3bccp-1, 0x1.6a09e667f3bcdp0, 1.0 + 0x1p-52,
                                        1.0 - 0x1p-53, 2.0, 0.5};
            const double *ed = is_log ? edges_log : edges_exp;
            size_t ne = is_log ? sizeof edges_log / sizeof *edges_log : sizeof edges_exp / sizeof *edges_exp;
            double a = 0.0, w = vm_worst(isa, is_log, ed, ne, &a);
            if (w > worst) worst = w, at = a;
            /* the documented bound (vmath.h): 1 ulp for every ISA level */
            CHECK_MSG(worst <= 1.0, "%s isa %d: worst %.4f ulp at %a", is_log ? "log" : "exp", isa, worst, at);
            if (getenv("LMP_TEST_VERBOSE"))
                fprintf(stderr, "  %s isa %d: worst %.4f ulp at %a\n", is_log ? "log" : "exp", isa, worst, at);
        }
        /* exact points */
        double one[3] = {0.0, 1.0, 0.0}, r[3];
        lmp_vm_exp(isa, one, r, 1);
        CHECK(r[0] == 1.0);
        lmp_vm_log(isa, one + 1, r, 1);
        CHECK(r[0] == 0.0);
    }
}

/* The float kernels widen their input exactly and compute in double: the float and
 * double versions agree bit for bit on the same values, for lengths that end in every
 * position of a vector (the kernels' tails). */
static void test_vm_f32_paths(void)
{
    enum { N = 67 };
    float xf[N], pf[N], of[N];
    double xd[N], pd[N], od[N];
    for (size_t n = 1; n <= N; n += 5) {
        for (size_t i = 0; i < n; i++) {
            xf[i] = (float)vm_unif(-30.0, 30.0);
            xd[i] = xf[i];
            pf[i] = (float)vm_unif(0.0, 1.0);
            pd[i] = pf[i];
        }
        CHECK(lmp_entropy_f32(pf, n, 2.0) == lmp_entropy(pd, n, 2.0));
        CHECK(lmp_logsumexp_f32(xf, n) == lmp_logsumexp(xd, n));
        CHECK(lmp_log_softmax_f32(xf, n, of, NULL) == LMP_OK && lmp_log_softmax(xd, n, od, NULL) == LMP_OK);
        int same = 1;
        for (size_t i = 0; i < n; i++) same &= of[i] == (float)od[i];
        CHECK_MSG(same, "log_softmax_f32 != (float) log_softmax, n = %zu", n);
        /* and the vector sums against a long double loop */
        long double h = 0, z = 0, mx = -INFINITY;
        for (size_t i = 0; i < n; i++) mx = xd[i] > mx ? xd[i] : mx;
        for (size_t i = 0; i < n; i++) z += expl(xd[i] - mx);
        double sum = 0;
        for (size_t i = 0; i < n; i++) sum += pd[i];
        for (size_t i = 0; i < n; i++)
            if (pd[i] > 0) h -= pd[i] / sum * logl(pd[i] / (long double)sum);
        CHECK_REL(lmp_logsumexp(xd, n), (double)(mx + logl(z)), 4e-16);
        CHECK_REL(lmp_entropy(pd, n, LMP_BASE_E), (double)h, 1e-15);
    }
}

/* The kernels' last, partial vector (masked loads and stores on x86, a lane-by-lane copy in the
 * portable body) and their sums of fewer terms than lanes, at every level this machine runs, for
 * ranges [lo, hi) that start and end in every position of a vector: nothing outside the range is
 * read (NaN there would show) or written (the guards stay), and the sums hold every term. */
static void test_vm_tails(void)
{
    enum { N = 24, G = 8 };
    double xd[N + G], yd[N + G], od[N + G];
    float xf[N + G], of[N + G];
    int top = lmp_sample_isa_best(), bad = 0, fail_isa = -1;
    size_t fail_lo = 0, fail_hi = 0;
    for (int isa = 0; isa <= top; isa++)
        for (size_t lo = 0; lo < 4; lo++)
            for (size_t hi = lo + 1; hi <= N; hi++) {
                for (size_t i = 0; i < N + G; i++) {
                    int in = i >= lo && i < hi;
                    xd[i] = in ? vm_unif(0.01, 1.0) : NAN;
                    xf[i] = (float)xd[i];
                    yd[i] = in ? -vm_unif(0.0, 5.0) : NAN;
                    od[i] = -7.0;
                    of[i] = -7.0f;
                }
                long double sum = 0, sumf = 0, ent = 0, ls = 0;
                for (size_t i = lo; i < hi; i++) {
                    sum += xd[i];
                    sumf += xf[i];
                    ent += xd[i] * (0.5L - logl(xd[i]));
                    ls += yd[i];
                }
                lmp_vm_dd s1 = lmp_vm_sum_scaled(isa, xd, NULL, lo, hi, 2.0, 0.5);
                lmp_vm_dd s2 = lmp_vm_sum_scaled(isa, NULL, xf, lo, hi, 2.0, 0.5);
                lmp_vm_dd s3 = lmp_vm_entropy_terms(isa, xd, NULL, lo, hi, 1.0, 1.0, 0.5);
                int flag;
                lmp_vm_dd s4 = lmp_vm_logprob_sum(isa, yd + lo, NULL, hi - lo, &flag);
                bad |= !(fabs(lmp_vm_dd_val(s1) - (double)sum) <= 1e-15 * (double)sum);
                bad |= !(fabs(lmp_vm_dd_val(s2) - (double)sumf) <= 1e-15 * (double)sumf);
                bad |= !(fabs(lmp_vm_dd_val(s3) - (double)ent) <= 1e-15 * (double)ent);
                bad |= flag != 0 || !(fabs(lmp_vm_dd_val(s4) - (double)ls) <= 1e-15 * -(double)ls);
                lmp_vm_log(isa, xd + lo, od + lo, hi - lo);
                lmp_vm_sub2(isa, xd + lo, NULL, hi - lo, 0.5, 0.25, NULL, of + lo);
                for (size_t i = 0; i < N + G; i++) {
                    int in = i >= lo && i < hi;
                    bad |= in ? !(fabs(od[i] - log(xd[i])) <= 2.3e-16 * fabs(log(xd[i])) + 1e-300)
                              : od[i] != -7.0;
                    bad |= in ? of[i] != (float)((xd[i] - 0.5) - 0.25) : of[i] != -7.0f;
                }
                if (bad && fail_isa < 0) { /* the first failing case, named below */
                    fail_isa = isa;
                    fail_lo = lo;
                    fail_hi = hi;
                }
            }
    CHECK_MSG(!bad, "kernel tails: first failure at isa %d, range [%zu, %zu)", fail_isa, fail_lo, fail_hi);
}

/* An array argument that is NULL while its length is not 0: NaN from the scalar functions,
 * LMP_EINVAL naming the argument from the others (each crashed before; the sampler's in test_sample). */
static void test_null_arrays(void)
{
    double a[3] = {1, 2, 3}, o[3], loss = 0;
    float af[3] = {1, 2, 3}, of[3];
    lmp_token_id t = 0;
    lmp_error e;
    CHECK(isnan(lmp_logsumexp(NULL, 3)) && isnan(lmp_logsumexp_f32(NULL, 3)));
    CHECK(isnan(lmp_entropy(NULL, 3, 2)) && isnan(lmp_entropy_f32(NULL, 3, 2)));
    CHECK(isnan(lmp_entropy_of_logits(NULL, 3)) && isnan(lmp_entropy_of_logits_f32(NULL, 3)));
    CHECK(isnan(lmp_cross_entropy(NULL, a, 3, 2)) && isnan(lmp_cross_entropy(a, NULL, 3, 2)));
    CHECK(isnan(lmp_kl_divergence(a, NULL, 3, 2)) && isnan(lmp_kl_divergence_f32(NULL, af, 3, 2)));
    CHECK(isnan(lmp_kl_divergence_smoothed(NULL, a, 3, 1e-9, 2)));
    CHECK(isnan(lmp_js_divergence(NULL, a, 3, 2)) && isnan(lmp_js_distance(a, NULL, 3, 2)));
    CHECK(isnan(lmp_js_divergence_f32(NULL, af, 3, 2)) && isnan(lmp_perplexity(NULL, 3)));
    CHECK(lmp_softmax(NULL, 3, o, &e) == LMP_EINVAL && strstr(e.msg, "logits are NULL"));
    CHECK(lmp_softmax(a, 3, NULL, &e) == LMP_EINVAL && strstr(e.msg, "output is NULL"));
    CHECK(lmp_softmax_f32(NULL, 3, of, &e) == LMP_EINVAL && lmp_softmax_f32(af, 3, NULL, &e) == LMP_EINVAL);
    CHECK(lmp_log_softmax(NULL, 3, o, &e) == LMP_EINVAL && lmp_log_softmax_f32(af, 3, NULL, &e) == LMP_EINVAL);
    CHECK(lmp_softmax_temperature(NULL, 3, 1.0, o, &e) == LMP_EINVAL);
    CHECK(lmp_ce_loss(NULL, 3, t, 0, &loss, &e) == LMP_EINVAL && lmp_ce_loss(a, 3, t, 0, NULL, &e) == LMP_EINVAL);
    CHECK(lmp_ce_loss_batch(NULL, 1, 3, &t, -100, 0, &loss, &e) == LMP_EINVAL && strstr(e.msg, "logits"));
    CHECK(lmp_ce_loss_batch(a, 1, 3, NULL, -100, 0, &loss, &e) == LMP_EINVAL && strstr(e.msg, "targets"));
    CHECK(lmp_ce_loss_batch_f32(af, 1, 3, &t, -100, 0, NULL, &e) == LMP_EINVAL);
    CHECK(lmp_map_loss(NULL, a, 1, 3, NULL, 0, 0, LMP_PRIOR_GAUSSIAN, &loss, &e) == LMP_EINVAL);
}

/* N x C logits that cannot exist: LMP_ERANGE, not a read past the caller's rows */
static void test_batch_too_large(void)
{
    double x[8] = {0, 1, 2, 3, 4, 5, 6, 7}, loss;
    float xf[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    lmp_token_id t[2] = {1, 2};
    lmp_error err;
    CHECK_INT(lmp_ce_loss_batch(x, SIZE_MAX / 2, 4, t, -100, 0.0, &loss, &err), LMP_ERANGE);
    CHECK_INT(lmp_ce_loss_batch_f32(xf, SIZE_MAX / 4, 8, t, -100, 0.0, &loss, &err), LMP_ERANGE);
    CHECK_INT(lmp_map_loss(x, x, SIZE_MAX / 2, 4, NULL, 0, 0.0, LMP_PRIOR_GAUSSIAN, &loss, &err), LMP_ERANGE);
    CHECK_INT(lmp_ce_loss_batch(x, 2, 4, t, -100, 0.0, &loss, &err), LMP_OK);
}

int main(int argc, char **argv)
{
    (void)argc;
    RUN(test_batch_too_large);
    RUN(test_logsumexp);
    RUN(test_softmax);
    RUN(test_softmax_temperature);
    RUN(test_entropy);
    RUN(test_kl_js);
    RUN(test_divergence_kernels);
    RUN(test_divergence_wide_range);
    RUN(test_perplexity);
    RUN(test_ce_loss);
    RUN(test_map_loss);
    RUN(test_null_arrays);
    RUN(test_vm_exp_log_ulp);
    RUN(test_vm_f32_paths);
    RUN(test_vm_tails);
    return TEST_SUMMARY();
}
