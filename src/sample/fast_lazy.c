/* The lazy path of a temperature-only chain on float32 logits (V > 4096): two
 * passes over the input, the draw recomputes one block of exps, the kept arrays
 * are formed only on demand. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sampler_internal.h"

/* The lazy path applies when nothing truncates: the draw then needs only the
 * normaliser and the block where the cdf crosses u, so the call makes two
 * passes over the float logits (check + max, exp + block sums) and writes no
 * V-sized double array. The numbers are those of the materialised float32
 * path (same operations, same precision). */
int smp_lazy_eligible(const lmp_sampler *s, const float *lf, size_t V)
{
    const lmp_sampler_params *p = &s->prm;
    int no_pen = p->repetition_penalty == 1.0 && p->frequency_penalty == 0.0 && p->presence_penalty == 0.0;
    size_t k = (size_t)p->top_k;
    if (p->conv == LMP_CONV_HF && p->top_k > 0 && k < p->min_keep) k = p->min_keep;
    return lf && s->f32 && V > 4096 && V <= s->cap && no_pen && p->temperature > 0 && (p->top_k == 0 || k >= V) &&
           p->top_p >= 1.0 && p->min_p <= 0 && p->typical_p >= 1.0 && p->epsilon <= 0;
}

lmp_status smp_apply_lazy(lmp_sampler *s, const float *lf, size_t V, lmp_error *err)
{
    float mx;
    size_t bad = lmp_sample_fcheck(s->isa, lf, V, &mx);
    if (bad < V)
        return smp_bad_logit_error(bad, (double)lf[bad], err);
    if (mx == -INFINITY) return smp_no_finite_error(V, err);
    double T = R(1, s->prm.temperature);
    float tf = (float)T, m = tf != 1.0f ? mx / tf : mx;
    if (!(m < INFINITY) || m == -INFINITY) /* -inf: every finite logit overflowed (negative logits, T tiny) */
        return lmp_error_set(err, LMP_ERANGE, "max logit / T = %g / %g overflows float32: expected a larger T",
                             (double)mx, T);
    float *x = (float *)s->work;
    s->lz_tf = tf;
    s->lz_m = m;
    s->lz_total = lmp_sample_lazy_sums(s->isa, lf, x, V, tf, m, s->key); /* and copies lf to x */
    s->lazy = 1;
    s->materialized = 0;
    s->n = V;
    s->ident = 1;
    s->applied = 1;
    return LMP_OK;
}

/* Fill lg and p of the lazy path (for lmp_sampler_kept), as cur_softmax would. */
void smp_lazy_materialize(lmp_sampler *s)
{
    const float *x = (const float *)s->work;
    size_t V = s->n;
    double z = (double)(float)s->lz_total, iz = 1.0 / z;
    for (size_t lo = 0; lo < V; lo += LMP_LAZY_BLOCK) {
        size_t hi = lo + LMP_LAZY_BLOCK < V ? lo + LMP_LAZY_BLOCK : V;
        lmp_sample_lazy_block(s->isa, x, lo, hi, s->lz_tf, s->lz_m, s->p + lo);
        for (size_t i = lo; i < hi; i++) {
            s->lg[i] = s->lz_tf != 1.0f ? (double)(x[i] / s->lz_tf) : (double)x[i];
            s->p[i] = (double)(float)(s->p[i] * iz);
        }
    }
    s->materialized = 1;
}
/* The lazy draw: blocks until the running sum of exps passes u * total, then
 * the exps of that block in order (the same rule as lmp_sample_cdf_search's
 * large-n path, on unnormalised weights). */
lmp_token_id smp_lazy_draw(const lmp_sampler *s, double u)
{
    const float *x = (const float *)s->work;
    const double *block = s->key;
    size_t V = s->n, nb = (V + LMP_LAZY_BLOCK - 1) / LMP_LAZY_BLOCK, last = 0;
    double e[LMP_LAZY_BLOCK], target = u * s->lz_total, c = 0.0;
    for (size_t b = 0; b < nb; b++) {
        if (block[b] > 0) last = b;
        if (c + block[b] <= target) {
            c += block[b];
            continue;
        }
        size_t lo = b * LMP_LAZY_BLOCK, hi = lo + LMP_LAZY_BLOCK < V ? lo + LMP_LAZY_BLOCK : V;
        lmp_sample_lazy_block(s->isa, x, lo, hi, s->lz_tf, s->lz_m, e);
        for (size_t i = lo; i < hi; i++) {
            c += e[i - lo];
            if (c > target) return (lmp_token_id)i;
        }
    }
    /* rounding left u * total above the sum: the last token with weight > 0 */
    size_t lo = last * LMP_LAZY_BLOCK, hi = lo + LMP_LAZY_BLOCK < V ? lo + LMP_LAZY_BLOCK : V;
    lmp_sample_lazy_block(s->isa, x, lo, hi, s->lz_tf, s->lz_m, e);
    size_t i = hi - 1;
    while (i > lo && e[i - lo] == 0) i--;
    return (lmp_token_id)i;
}
