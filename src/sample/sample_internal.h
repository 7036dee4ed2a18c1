/* Kernels shared by the sampler chain (src/sample/sample.c) and its
 * standalone functions; not part of the public API. */
#ifndef LMPROB_SAMPLE_INTERNAL_H
#define LMPROB_SAMPLE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

/* lg[i] = logits[i] / T (T = 1: no division), rounded to float when f32, for
 * i < V; exactly one of lf/ld is set. Returns the first index holding NaN or
 * +inf (or a value that overflows float32 when f32, or whose x / T overflows),
 * or V when all are valid; then *max is the largest lg (-inf when all are -inf). */
size_t lmp_sample_load(const float *lf, const double *ld, size_t V, double T, double *lg, int f32, double *max);

/* max of x[0..n) (-inf for n = 0); no NaN allowed. */
double lmp_sample_max(const double *x, size_t n);

/* p[i] /= z, rounded to float when f32 (bit-identical to the scalar loop). */
void lmp_sample_scale(double *p, size_t n, double z, int f32);

/* e[i] = exp(x[i] - m) (rounded to float when f32) for i < n; returns the sum
 * of the e[i] in double. exp(-inf) = 0 exactly, exp(0) = 1 exactly. */
double lmp_sample_exp_sum(const double *x, size_t n, double m, double *e, int f32);

/* numpy's legacy choice: cdf = cumsum(p) (sequential), cdf /= cdf[-1], the
 * first i with cdf[i] > u. Returns the last index with p > 0 when rounding
 * leaves none (cannot happen for u < 1). */
size_t lmp_sample_cdf_search(const double *p, size_t n, double u);

#endif
