/* Vectorised double exp and log and the array kernels of the information
 * functions (library-internal; src/info/info.c is the user).
 *
 * ISA: every function takes the level `isa` of lmp_sample_isa_best()
 * (src/sample/kernels.h: 0 portable, 1 AVX2 + FMA, 2 AVX-512) as its first
 * argument, never above what the machine runs; the caller picks it per call,
 * so nothing is process-wide. One body (vmath_body.h) is compiled three times:
 * AVX-512 (8 lanes) and AVX2 (4 lanes) with fused multiply-adds give the same
 * bits lane by lane; the portable one (GCC vector extensions, no FMA) may
 * round differently within the same bounds.
 *
 * Accuracy (tests/test_info.c checks it against long double libm, whose
 * 64-bit significand is 2^-11 ulp of a double, over the whole double range;
 * python/tests/test_info.py checks a sample against mpmath):
 *   lmp_vm_exp: at most 1 ulp from exp(x) for every double x (subnormal
 *     results: 1 ulp of the smallest subnormal); exp(-inf) = 0, exp(+inf) =
 *     +inf, NaN -> NaN, overflow (x > 709.78) -> +inf, exp(0) = 1 exactly.
 *   lmp_vm_log: at most 1 ulp for every positive double (subnormals
 *     included); log(0) = -inf, log(x < 0) = NaN, log(+inf) = +inf, NaN ->
 *     NaN, log(1) = 0 exactly.
 * The measured maxima are in docs/information.md.
 *
 * The sums (lmp_vm_dd) are per-lane TwoSum accumulations (Knuth; Ogita, Rump
 * & Oishi 2005, Algorithm 4.4 "Sum2" done lane-wise): hi + lo holds the sum
 * with an error of at most about n^2 u^2 of the sum of |terms|, as the
 * Neumaier sums these kernels replaced. */
#ifndef LMPROB_SRC_INFO_VMATH_H
#define LMPROB_SRC_INFO_VMATH_H

#include <math.h>
#include <stddef.h>

/* a double-double sum: the value is hi + lo (|lo| <= ulp(hi) / 2 after lmp_vm_dd_norm) */
typedef struct lmp_vm_dd {
    double hi, lo;
} lmp_vm_dd;

/* y[i] = exp(x[i]) / log(x[i]) for i < n (y may alias x) */
void lmp_vm_exp(int isa, const double *x, double *y, size_t n);
void lmp_vm_log(int isa, const double *x, double *y, size_t n);

/* The kernels read doubles xd or floats xf (exactly one is non-NULL; floats
 * are widened exactly and computed in double). */

/* The first index holding NaN or +inf (n when none); *max = the maximum
 * (-inf when all are -inf or n = 0; unspecified on a bad index). */
size_t lmp_vm_check_max(int isa, const double *xd, const float *xf, size_t n, double *max);

/* The first index i with x[i] == v (n when none). */
size_t lmp_vm_find(int isa, const double *xd, const float *xf, size_t n, double v);

/* sum of exp(x[i] - m) over lo <= i < hi; with outd (outf), also
 * out[i] = exp(x[i] - m) (rounded to float for outf). m is finite, x[i] <= m
 * or -inf. */
lmp_vm_dd lmp_vm_exp_sum(int isa, const double *xd, const float *xf, size_t lo, size_t hi, double m, double *outd,
                         float *outf);

/* sum of -exp(x[i] - m) (x[i] - m) over lo <= i < hi (the terms of an entropy of
 * logits: each >= 0, and 0 where x[i] = -inf). m is finite, x[i] <= m or -inf. */
lmp_vm_dd lmp_vm_exp_dsum(int isa, const double *xd, const float *xf, size_t lo, size_t hi, double m);

/* out[i] *= s (double) */
void lmp_vm_scale(int isa, double *out, size_t n, double s);

/* out[i] = (x[i] - m) - l, into outd (double) or outf (rounded to float) */
void lmp_vm_sub2(int isa, const double *xd, const float *xf, size_t n, double m, double l, double *outd, float *outf);

/* Weights: returns 0 when every entry is >= 0 and finite (then *max is the
 * largest), -1 otherwise. */
int lmp_vm_check_weights(int isa, const double *xd, const float *xf, size_t n, double *max);

/* sum of (x[i] * s1) * s2 over lo <= i < hi (s1, s2 powers of two) */
lmp_vm_dd lmp_vm_sum_scaled(int isa, const double *xd, const float *xf, size_t lo, size_t hi, double s1, double s2);

/* sum of w (logS - log w) over lo <= i < hi, w = (x[i] * s1) * s2 > 0 (terms with
 * w = 0 are 0): the entropy sum of weights whose total is S (info.c) */
lmp_vm_dd lmp_vm_entropy_terms(int isa, const double *xd, const float *xf, size_t lo, size_t hi, double s1,
                               double s2, double logS);

/* Natural log probabilities: the sum of x[0..n); *flag = 1 when an entry is
 * NaN or > 0, else 2 when one is -inf, else 0. */
lmp_vm_dd lmp_vm_logprob_sum(int isa, const double *xd, const float *xf, size_t n, int *flag);

/* sum of (P[i] + eps) S and of (Q[i] + eps) S (the chapter's smoothed KL), S = s1 s2 a power of two
 * applied as ((x * s1) * s2) + ((eps * s1) * s2), which is exact but for what falls below the normal
 * doubles (as info.c's wdist scales); P and Q each given as doubles (Pd) or floats (Pf), the other
 * pointer NULL */
void lmp_vm_sum_plus(int isa, const double *Pd, const float *Pf, const double *Qd, const float *Qf, size_t n,
                     double eps, double s1, double s2, lmp_vm_dd *sp, lmp_vm_dd *sq);

/* sum of a log(a / b), a = (P[i] + eps) S ia, b = (Q[i] + eps) S ib, S as in lmp_vm_sum_plus, over
 * a > 0; returns +inf when some a > 0 has b = 0. P and Q as lmp_vm_sum_plus. */
lmp_vm_dd lmp_vm_kl_smooth(int isa, const double *Pd, const float *Pf, const double *Qd, const float *Qf, size_t n,
                           double eps, double s1, double s2, double ia, double ib);

/* A distribution's weights as the divergence kernels read them: p_i = ((x[i] * s1) * s2) / sum
 * (info.c's wdist: s1 s2 = 2^shift, the power of two that brings the largest weight to [1, 2),
 * sum their scaled total); exactly one of d, f is set. Where p_i falls below the normal doubles
 * (subnormal or 0 though x[i] > 0) the kernels take log p_i = log x[i] - log(sum 2^-shift). */
typedef struct lmp_vm_wv {
    const double *d;
    const float *f;
    double s1, s2, sum;
    int shift;
} lmp_vm_wv;

/* sum of bd0(p_i, q_i) = p log(p / q) + q - p >= 0 over i < n (KL(p || q)); *inf = 1 when
 * some x[i] of P > 0 has Q's x[i] = 0 (a q_i that only underflows is taken by its log) */
lmp_vm_dd lmp_vm_kl_terms(int isa, lmp_vm_wv P, lmp_vm_wv Q, size_t n, int *inf);

/* sum of (bd0(p_i, m_i) + bd0(q_i, m_i)) / 2 over i < n, m = (p + q) / 2 (Jensen-Shannon) */
lmp_vm_dd lmp_vm_js_terms(int isa, lmp_vm_wv P, lmp_vm_wv Q, size_t n);

/* sum of -w_i log q_i over lo <= i < hi with w = (P.d[i] * P.s1) * P.s2 (P.sum unused: the
 * caller divides once); 0 where w = 0; *inf = 1 when some w_i > 0 has Q[i] = 0 (a q_i that
 * only underflows is taken by its log from Q[i]) */
lmp_vm_dd lmp_vm_xent_terms(int isa, lmp_vm_wv P, lmp_vm_wv Q, size_t lo, size_t hi, int *inf);

/* KL(a || b), KL(b || a) and JS (out[0..2]) of two distributions given as float log-probabilities
 * up to a constant each, their log-sum-exps in two parts: ma the row's maximum (finite), sa = log sum
 * e^(a[i] - ma) (lmp_vm_lse_parts), and mb, sb: see vmath_body.h. In two parts because ma + sa
 * rounds sa away where |ma| is large (logits near 1e30: sa ~ ln V below the ulp of ma). */
void lmp_vm_logit_div(int isa, const float *a, const float *b, size_t n, double ma, double sa, double mb, double sb,
                      lmp_vm_dd out[3]);
/* r of a log-sum-exp m + log1p(r): the sum of exp(x[i] - m) over every i but the first with x[i] = m
 * (*imax: that index, n when none; imax may be NULL), m the maximum */
double lmp_vm_exp_sum_others(int isa, const double *xd, const float *xf, size_t n, double m, size_t *imax);

/* The two parts of a float row's log-sum-exp (lmp_vm_logit_div, GPT-2's log-softmax in lm/lm_gpt2.c):
 * returns sa = log1p(sum of e^(a[i] - ma) over every i but the first maximum), *ma the maximum (-inf for
 * an empty or all -inf row, then sa = 0; the row holds no NaN or +inf). */
double lmp_vm_lse_parts(int isa, const float *a, size_t n, double *ma);

/* hi + lo rounded to one double */
static inline double lmp_vm_dd_val(lmp_vm_dd s) { return s.hi + s.lo; }

/* a + b of two double-double sums, rounded once (Neumaier's compensated sum of the four parts) */
static inline double lmp_vm_dd_add(lmp_vm_dd a, lmp_vm_dd b)
{
    const double x[4] = {a.hi, b.hi, a.lo, b.lo};
    double s = 0.0, c = 0.0;
    for (int i = 0; i < 4; i++) {
        double t = s + x[i];
        c += fabs(s) >= fabs(x[i]) ? (s - t) + x[i] : (x[i] - t) + s;
        s = t;
    }
    return s + c;
}

#endif
