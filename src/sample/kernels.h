/* Kernels shared by the sampler (the files of src/sample) and its
 * standalone functions; not part of the public API. */
#ifndef LMPROB_SRC_SAMPLE_KERNELS_H
#define LMPROB_SRC_SAMPLE_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/* lg[i] = logits[i] / T (T = 1: no division; f32 divides in float by
 * (float)T: the correctly rounded float quotient, as torch and llama.cpp), for
 * i < V; exactly one of lf/ld is set. Returns the first index holding NaN or
 * +inf (or a value that overflows float32 when f32); when there is none, the
 * first whose x / T overflows (the reference chain's order: every logit is
 * checked before the temperature); or V when all are valid, and then *max is
 * the largest lg (-inf when all are -inf). */
size_t lmp_sample_load(int isa, const float *lf, const double *ld, size_t V, double T, double *lg, int f32,
                       double *max);

/* max of x[0..n) (-inf for n = 0); no NaN allowed. */
double lmp_sample_max(int isa, const double *x, size_t n);

/* p[i] /= z (float64: IEEE division, bit-identical to the scalar loop); f32:
 * p[i] * (1/z) rounded to float, which is the float quotient when p[i] and z
 * are float values (see scale_body in kernels.c). */
void lmp_sample_scale(int isa, double *p, size_t n, double z, int f32);

/* e[i] = exp(x[i] - m) (rounded to float when f32) for i < n; returns the sum
 * of the e[i] in double. exp(-inf) = 0 exactly, exp(0) = 1 exactly. */
double lmp_sample_exp_sum(int isa, const double *x, size_t n, double m, double *e, int f32);

/* out[i] = expf(x[i] - m) through the vectorised polynomial (float in and
 * out, <= 2 ulp, results under FLT_MIN flushed to 0); returns the sum in double.
 * Used by lmp_softmax_f32 (src/info). */
double lmp_sample_expf_array(int isa, const float *x, size_t n, float m, float *out);

/* The lazy float32 path of a temperature-only chain (sample.c): */
#define LMP_LAZY_BLOCK 256
/* first index of a NaN/+inf float or n; *max the maximum */
size_t lmp_sample_fcheck(int isa, const float *x, size_t n, float *max);
/* the same, and sample[j] = x[16 j] for j < ceil(n / 16) and cmax[c] = the
 * maximum of x[c LMP_CHUNK .. (c + 1) LMP_CHUNK) (taken in the same pass) */
#define LMP_CHUNK 256
size_t lmp_sample_fcheck_sample(int isa, const float *x, size_t n, float *max, float *sample, float *cmax);
/* block[b] = sum of expf(x_i / tf (in float) - m) over block b of LMP_LAZY_BLOCK; returns the total.
 * Also copies x[0..n) to copy[0..n) (in the same pass). */
double lmp_sample_lazy_sums(int isa, const float *x, float *copy, size_t n, float tf, float m, double *block);
/* e[i - lo] = expf(x_i / tf (in float) - m) for lo <= i < hi (one block) */
void lmp_sample_lazy_block(int isa, const float *x, size_t lo, size_t hi, float tf, float m, double *e);

/* top-p on float32 input, one pass: exps of x / tf (in float) - m, their sum
 * (returned) and the histogram of their mass by bucket of m - l (scale buckets
 * per logit unit, nb buckets, the last one open-ended) */
double lmp_sample_topp_hist(int isa, const float *x, size_t n, float tf, float m, double scale, int nb, double *bmass,
                            size_t *bcnt);

/* One streaming pass for the gather fast paths (sample.c): validates x[0..n)
 * (returns the first index holding NaN or +inf, or n), sets *max to the
 * maximum, and writes to out[0..*nout) (ascending) every index i with
 * x[i] >= thr_of(M, ctx), where M is the maximum of a prefix of x that
 * includes i (the running maximum, updated 32 floats at a time; -inf while
 * every logit so far is -inf). thr_of must be non-decreasing in M; then the
 * output is a superset of { i : x[i] >= thr_of(*max, ctx) }, which the caller
 * filters. A constant thr_of gives exactly that set. On a bad index the output
 * is unspecified. */
typedef float (*lmp_sample_thr_fn)(float max, const void *ctx);
size_t lmp_sample_fgather(int isa, const float *x, size_t n, lmp_sample_thr_fn thr_of, const void *ctx, float *max,
                          int32_t *out, size_t *nout);

/* out[i] *= s for i < n (float; vectorised). */
void lmp_sample_fscale(int isa, float *out, size_t n, float s);

/* The top-p fast path (sample.c topp_first), on float32 logits x:
 * lmp_sample_exps_gather: the sum of expf(x_i / tf (in float) - m) over x[0..n),
 *   in the order of every float32 exp sum (the same normaliser), and in the same
 *   pass what lmp_sample_fgather_ge gathers, with the exps of the gathered in es;
 * lmp_sample_fgather_ge: id <- every i with x[i] >= lo (ascending), xs <- those x;
 *   returns the count;
 * lmp_sample_mass_ge: sum of es[j] over xs[j] >= hi (in no fixed order: a bound);
 * lmp_sample_topp_bucket: for each gathered token, l = xs / tf (float), the bucket
 *   of key -l as lmp_sample_bucketize computes it (into bidx) and the probability
 *   (float)(es * iz) as lmp_sample_scale(f32) computes it; the tokens of buckets
 *   >= bh add their probability to bmass[bucket], those below bh to the returned
 *   sum (in no fixed order: exact when every such probability is >= 2^-30 and the
 *   sum is < 1, see topp_first); band_b / band_p are scratch for n tokens;
 * lmp_sample_topp_finish: stable in-place compaction of id and xs keeping
 *   l = xs / tf > lthr and, of the l == lthr, those whose ordinal is in
 *   [lo_tie, hi_tie); writes p = es (the exps, not yet normalised) of the kept;
 *   returns the count (lmp_sample_logits_widen forms their logits when needed);
 * lmp_sample_logits_widen: lg[j] = (double)(x[j] / tf), the division in float. */
double lmp_sample_exps_gather(int isa, const float *x, size_t n, float tf, float m, float lo, int32_t *id, float *xs,
                              float *es, size_t *ng);
size_t lmp_sample_fgather_ge(int isa, const float *x, size_t n, float lo, int32_t *id, float *xs);
double lmp_sample_mass_ge(int isa, const float *xs, const float *es, size_t n, float hi);
double lmp_sample_topp_bucket(int isa, const float *xs, const float *es, size_t n, float tf, double kmin, double scale,
                              int nb, double iz, int32_t bh, double *bmass, int32_t *bidx, int32_t *band_b,
                              double *band_p);
size_t lmp_sample_topp_finish(int isa, float *xs, const float *es, int32_t *id, size_t n, float tf, float lthr,
                              size_t lo_tie, size_t hi_tie, double *p);
void lmp_sample_logits_widen(int isa, const float *x, size_t n, float tf, double *lg);
/* the draw of the lazy top-p: the position (among the n gathered) of the first
 * kept token (keep rule of lmp_sample_topp_finish) whose running sum of
 * (float)(es * iz) exceeds target; the last kept one if rounding leaves it short */
size_t lmp_sample_topp_draw(int isa, const float *xs, const float *es, size_t n, float tf, float lthr, size_t lo_tie,
                            size_t hi_tie, double iz, double target);

/* the sum of e[0..n) (exps already computed, float values) in the order of
 * every float32 exp sum */
double lmp_sample_sum_exps(int isa, const double *e, size_t n);

/* e[i] = expf(x_i / tf (in float) - m) as floats; returns their sum (the order of
 * every float32 exp sum) */
double lmp_sample_topp_exps(int isa, const float *x, size_t n, float tf, float m, float *e);

/* lg[j] = (double)(xs[j] / tf) in float (xs[j] when tf = 1), key[j] = -lg[j], p[j] = es[j] */
void lmp_sample_topp_convert(int isa, const float *xs, const float *es, size_t n, float tf, double *lg, double *p,
                             double *key);

/* The mass histogram of mass_cut: b = (key - kmin) * scale truncated, nb - 1
 * when not below it (NaN too); bidx[i] = b, bmass[b] += p[i] (in order of i),
 * bcnt[b]++. Then the positions of bucket b, ascending, into ord; returns how many
 * (and, when below is not NULL, how many positions have a bucket under b). */
void lmp_sample_bucketize(int isa, const double *key, const double *p, size_t n, double kmin, double scale, int nb,
                          double *bmass, size_t *bcnt, int32_t *bidx);
size_t lmp_sample_bucket_members(int isa, const int32_t *bidx, size_t n, int32_t b, size_t *ord, size_t *below);

/* Stable in-place compaction of (id, lg, p)[0..n): keeps i with key[i] < t,
 * and of the i with key[i] == t those whose ordinal among them (0-based, id
 * order) is in [lo_tie, hi_tie). ident: id[i] is taken as i. Returns the count. */
size_t lmp_sample_compact(int isa, const double *key, double t, size_t lo_tie, size_t hi_tie, size_t n, int ident,
                          int32_t *id, double *lg, double *p);

/* ISA levels of the kernels: 0 baseline (portable vectors, no FMA), 1 AVX2 + FMA,
 * 2 AVX-512. Every kernel that has variants takes the level as its first
 * argument `isa` (never above lmp_sample_isa_best()); the sampler keeps its own
 * (lmp_sampler_params.simd), so nothing is process-wide. AVX2 and AVX-512 give
 * the same bits; the baseline may round a float32 exp differently. */
int lmp_sample_isa_best(void);

/* numpy's legacy choice: cdf = cumsum(p) (sequential), cdf /= cdf[-1], the
 * first i with cdf[i] > u. Returns the last index with p > 0 when rounding
 * leaves none (cannot happen for u < 1). */
size_t lmp_sample_cdf_search(const double *p, size_t n, double u);

#endif
