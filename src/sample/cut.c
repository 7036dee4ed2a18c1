/* The cumulative-mass cut of top-p and typical (the fused engine): rank by key,
 * find the first rank whose cumulative probability reaches the target, literally
 * for small sets and through a 4096-bucket mass histogram above LMP_SAMPLE_EXACT_MAX. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sampler_internal.h"

/* Rank the survivors by key ascending (ties by id per low_first) and find the
 * number K of first ranks up to and including the first rank whose cumulative
 * probability reaches target (>= target, or > target when strict); K = n when
 * it never does. Also returns the key at rank K and how many tokens with that
 * key are among the first K. The probabilities are s->p; the running sum is
 * rounded to the sampler's dtype in the literal path. */
void smp_cut_finish(lmp_sampler *s, size_t m, int big, double cum, size_t before, double target, int strict,
                       int low_first, void *scratch, size_t *K, double *tkey, size_t *rtie);

/* The bucket scale of mass_cut's histogram over [kmin, kmin + 60] (top-p: kmin = -max logit). */
double smp_cut_scale(double kmin, double kmax)
{
    return kmax > kmin ? (double)(NBUCKETS - 1) / (kmax - kmin) : 0.0;
}

void smp_mass_cut(lmp_sampler *s, double target, int strict, int low_first, double kmin_known, size_t *K,
                     double *tkey, size_t *rtie)
{
    int big = s->n > LMP_SAMPLE_EXACT_MAX || s->force_bucket;
    s->cut_ties = TIES_ALL; /* unknown until the cut is found */
    const double *key = s->key, *p = s->p;
    size_t n = s->n;
    size_t *ord = s->ord;
    size_t m = 0, before = 0;
    double cum = 0.0;
    if (!big) {
        for (size_t i = 0; i < n; i++) ord[i] = i;
        m = n;
    } else {
        /* Histogram of the keys over [kmin, kmin + KEY_SPAN]: keys beyond (and +inf,
         * p = 0) share the last bucket. For top-p the key is -logit, so the last
         * bucket holds tokens below e^-60 of the maximum. kmin is known for top-p
         * (-max logit); otherwise one pass finds it. */
        const double KEY_SPAN = 60.0;
        double kmin = kmin_known, kmax = -INFINITY;
        if (isnan(kmin)) {
            kmin = INFINITY;
            for (size_t i = 0; i < n; i++) {
                double k = key[i];
                kmin = k < kmin ? k : kmin;
                kmax = k > kmax && k != INFINITY ? k : kmax;
            }
        } else {
            kmax = kmin + KEY_SPAN;
        }
        if (kmax > kmin + KEY_SPAN) kmax = kmin + KEY_SPAN;
        double scale = smp_cut_scale(kmin, kmax);
        memset(s->bmass, 0, sizeof s->bmass);
        memset(s->bcnt, 0, sizeof s->bcnt);
        int32_t *bidx = (int32_t *)(void *)s->work; /* free during the cut */
        lmp_sample_bucketize(s->isa, key, p, n, kmin, scale, NBUCKETS, s->bmass, s->bcnt, bidx);
        size_t b = 0;
        for (; b < NBUCKETS; b++) {
            if (s->bcnt[b] == 0) continue; /* a target <= 0 must land on a token, not an empty bucket */
            double c = cum + s->bmass[b];
            if (strict ? c > target : c >= target) break;
            cum = c;
            before += s->bcnt[b];
        }
        if (b == NBUCKETS) { /* never reached (rounding): keep all */
            *K = n;
            *tkey = INFINITY;
            *rtie = TIES_ALL;
            return;
        }
        m = lmp_sample_bucket_members(s->isa, bidx, n, (int32_t)b, ord, NULL);
    }
    smp_cut_finish(s, m, big, cum, before, target, strict, low_first, s->work, K, tkey, rtie); /* work: free here */
}

/* The end of mass_cut: the m candidate positions in ord (the crossing bucket,
 * or all), the mass cum of the ranks before them (before of them): rank the
 * candidates and cut. key[] and p[] need to hold only the candidates'. */
void smp_cut_finish(lmp_sampler *s, size_t m, int big, double cum, size_t before, double target, int strict,
                       int low_first, void *scratch, size_t *K, double *tkey, size_t *rtie)
{
    const double *key = s->key, *p = s->p;
    size_t n = s->n, *ord = s->ord;
    if (m == 0) { /* cannot happen (the crossing bucket is non-empty); keep all rather than read ord[-1] */
        *K = n;
        *tkey = INFINITY;
        *rtie = TIES_ALL;
        s->cut_mass = cum;
        return;
    }
    /* ord holds ascending positions here (the bucket's members, or all); the
     * radix sort needs 32 m bytes of scratch's 8 work_n */
    if (m >= 64 && m <= s->work_n / 4) smp_sort_positions_radix(ord, m, key, low_first, scratch);
    else smp_sort_positions(ord, m, key, low_first);
    size_t j = 0;
    /* Literal path in float32: llama.cpp keeps a float running sum; torch's
     * CPU cumsum accumulates in double and rounds each output to float. */
    int f32 = !big && s->f32, float_acc = f32 && s->prm.conv == LMP_CONV_LLAMA;
    double tg = R(f32, target), acc = cum;
    for (; j < m; j++) {
        acc = R(float_acc, acc + p[ord[j]]);
        cum = R(f32, acc);
        if (strict ? cum > tg : cum >= tg) break;
    }
    if (j == m) j = m - 1; /* rounding: the whole bucket (or set) */
    s->cut_mass = cum;
    *K = before + j + 1;
    *tkey = key[ord[j]];
    size_t r = 0, all = 0;
    for (size_t q = 0; q <= j; q++) r += key[ord[q]] == *tkey;
    for (size_t q = 0; q < m; q++) all += key[ord[q]] == *tkey; /* equal keys share a bucket */
    *rtie = r;
    s->cut_ties = all;
    if (!big && j == n - 1 && !(strict ? cum > tg : cum >= tg)) *K = n;
}
