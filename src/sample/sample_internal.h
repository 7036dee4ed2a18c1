/* Kernels shared by the sampler chain (src/sample/sample.c) and its
 * standalone functions; not part of the public API. */
#ifndef LMPROB_SAMPLE_INTERNAL_H
#define LMPROB_SAMPLE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

/* lg[i] = logits[i] / T (T = 1: no division; f32 multiplies by 1/T in double
 * and rounds, see kernels.c), rounded to float when f32, for
 * i < V; exactly one of lf/ld is set. Returns the first index holding NaN or
 * +inf (or a value that overflows float32 when f32, or whose x / T overflows),
 * or V when all are valid; then *max is the largest lg (-inf when all are -inf). */
size_t lmp_sample_load(const float *lf, const double *ld, size_t V, double T, double *lg, int f32, double *max);

/* max of x[0..n) (-inf for n = 0); no NaN allowed. */
double lmp_sample_max(const double *x, size_t n);

/* p[i] /= z (float64: IEEE division, bit-identical to the scalar loop); f32:
 * p[i] * (1/z) rounded to float (the float quotient but for ~2^-29 of cases). */
void lmp_sample_scale(double *p, size_t n, double z, int f32);

/* e[i] = exp(x[i] - m) (rounded to float when f32) for i < n; returns the sum
 * of the e[i] in double. exp(-inf) = 0 exactly, exp(0) = 1 exactly. */
double lmp_sample_exp_sum(const double *x, size_t n, double m, double *e, int f32);

/* out[i] = expf(x[i] - m) through the vectorised polynomial (float in and
 * out, <= 2 ulp, results under FLT_MIN flushed to 0); returns the sum in double.
 * Used by lmp_softmax_f (src/info). */
double lmp_sample_expf_array(const float *x, size_t n, float m, float *out);

/* The lazy float32 path of a temperature-only chain (sample.c): */
#define LMP_LAZY_BLOCK 256
/* first index of a NaN/+inf float or n; *max the maximum */
size_t lmp_sample_fcheck(const float *x, size_t n, float *max);
/* block[b] = sum of expf((float)(x_i * it) - m) over block b of LMP_LAZY_BLOCK; returns the total */
double lmp_sample_lazy_sums(const float *x, size_t n, double it, float m, double *block);
/* e[i - lo] = expf((float)(x_i * it) - m) for lo <= i < hi (one block) */
void lmp_sample_lazy_block(const float *x, size_t lo, size_t hi, double it, float m, double *e);

/* top-p on float32 input, one pass: exps of (float)(x * it) - m, their sum
 * (returned) and the histogram of their mass by bucket of m - l (scale buckets
 * per logit unit, nb buckets, the last one open-ended) */
double lmp_sample_topp_hist(const float *x, size_t n, double it, float m, double scale, int nb, double *bmass,
                            size_t *bcnt);

/* numpy's legacy choice: cdf = cumsum(p) (sequential), cdf /= cdf[-1], the
 * first i with cdf[i] > u. Returns the last index with p > 0 when rounding
 * leaves none (cannot happen for u < 1). */
size_t lmp_sample_cdf_search(const double *p, size_t n, double u);

#endif
