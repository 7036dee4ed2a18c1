/* Top-p as the first truncation, straight from float32 logits (the top-p route). */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sampler_internal.h"

/* Top-p as the first truncation, straight from float32 logits (float32
 * dtype, no penalties, top-k and typical off; HF with T > 0 fused, llama with
 * T last): one pass validates and finds the maximum, one pass computes (and
 * keeps) every exp and the normaliser, a stride sample guesses the bucket (of
 * the general path's 4096-bucket mass histogram by distance below the maximum)
 * past the crossing, and one pass gathers the tokens down to that bucket with
 * their logits and exps, checking that the mass surely inside reaches p (else
 * a lower guess, and at last the full histogram). Only those are converted;
 * their probabilities use the full normaliser, and the cut among them is the
 * bucketed rule of the general path (mass ranked above < p), which depends
 * only on the buckets down to the crossing one. Returns as topk_first. */
/* A step after the top-p route that would change or read the kept set. */
static int later_steps(const lmp_sampler *s)
{
    const lmp_sampler_params *p = &s->prm;
    if (p->min_p > 0 || p->typical_p < 1.0 || p->epsilon > 0) return 1;
    return p->conv == LMP_CONV_LLAMA && p->temperature != 1.0; /* llama.cpp: temperature last */
}

/* Form the kept arrays of the lazy top-p: ids (into ord[], leaving the gathered
 * ids for the draw), logits and probabilities, as the compacting route would. */
void smp_topp_form(lmp_sampler *s)
{
    if (!s->tp_lazy || s->tp_formed) return;
    const float *xs = (const float *)(const void *)s->work, *es = xs + s->cap;
    int32_t *kid = (int32_t *)(void *)s->ord;
    memcpy(kid, s->id, s->tp_n * sizeof *kid);
    float *xk = (float *)(void *)s->key; /* free now */
    memcpy(xk, xs, s->tp_n * sizeof *xk);
    s->n = lmp_sample_topp_finish(s->isa, xk, es, kid, s->tp_n, s->tp_tf, s->tp_lthr, s->tp_lo, s->tp_hi, s->p);
    lmp_sample_logits_widen(s->isa, xk, s->n, s->tp_tf, s->lg);
    s->p_exps = 1; /* p holds the kept exps: cur_softmax normalises them */
    smp_cur_softmax(s);
    s->tp_kid = kid;
    s->tp_formed = 1;
}

int smp_topp_first(lmp_sampler *s, const float *lf, size_t V, lmp_status *st, lmp_error *err)
{
    const lmp_sampler_params *p = &s->prm;
    int hf = p->conv == LMP_CONV_HF;
    int no_pen = p->repetition_penalty == 1.0 && p->frequency_penalty == 0.0 && p->presence_penalty == 0.0;
    size_t k = (size_t)p->top_k;
    if (hf && p->top_k > 0 && k < p->min_keep) k = p->min_keep;
    int k_off = p->top_k == 0 || k >= V;
    if (!lf || !s->f32 || !no_pen || !(p->top_p < 1.0) || !k_off || V > s->cap || V <= 4 * SAMPLE_SIZE) return 0;
    if (!hf && p->typical_p < 1.0) return 0; /* llama runs typical before top-p */
    if (hf && p->temperature == 0.0) return 0;
    double T = hf && p->temperature != 1.0 ? R(1, p->temperature) : 1.0;
    float tf = (float)T, mx;
    /* The validating pass also takes the stride sample (every 16th logit) and
     * the maximum of every chunk of 256, to find the head: the logits within 3
     * (after the temperature) of the maximum, which carry most of the mass of a
     * peaked distribution and which a 1 in 16 sample would mostly miss. key (2
     * cap floats) holds the sample, the chunk maxima and the head. */
    const size_t ns = (V + 15) / 16, nc = (V + LMP_CHUNK - 1) / LMP_CHUNK;
    float *xsm = (float *)(void *)s->key, *cmax = xsm + ns, *head = cmax + nc;
    size_t bad = lmp_sample_fcheck_sample(s->isa, lf, V, &mx, xsm, cmax);
    if (bad < V)
        return *st = lmp_error_set(err, LMP_EINVAL, "logit[%zu] = %g: expected a finite number or -inf", bad,
                                   (double)lf[bad]), -1;
    if (mx == -INFINITY)
        return *st = lmp_error_set(err, LMP_EINVAL, "logits: all %zu are -inf: expected at least one finite logit",
                                   V), -1;
    float m = tf != 1.0f ? mx / tf : mx;
    if (!(m < INFINITY))
        return *st = lmp_error_set(err, LMP_ERANGE, "max logit / T = %g / %g overflows float32: expected a larger T",
                                   (double)mx, T), -1;
    const double span = 60.0, scale = (double)(NBUCKETS - 1) / span;
    const double margin = 1e-3 + fabs((double)m) * 1e-6; /* logit units, far above float rounding */
    /* Fast route: an estimated mass histogram (below) guesses the bucket where
     * the cumulative mass passes the target (aiming a quarter of the way into
     * the tail); one pass computes every exp and the normaliser and gathers the
     * tokens down to that bucket with their exps, and the mass of those surely
     * in it is summed. If that mass reaches the target (with a relative margin
     * far above the rounding of the probabilities), the crossing bucket of the
     * exact (bucketed) rule and everything above it are gathered, so the cut
     * below is the same as with the full histogram; otherwise guess lower, and
     * after a few tries take the full histogram. */
    /* scratch as floats: work (2 cap floats) holds the gathered logits and their
     * exps; key the stride sample; lg the bucket of each gathered token */
    float *xs = (float *)(void *)s->work, *es = xs + s->cap;
    /* the estimated mass histogram: the head exactly, the rest from the sample
     * weighted by 16 (or the sample alone, see below); the counts it also
     * keeps in bcnt are not read (whoever reads bcnt clears it first) */
    memset(s->bmass, 0, sizeof s->bmass);
    double zs;
    /* the head from the chunks whose maximum reaches its line; when they are
     * more than 1 in 4 the distribution is flat enough for the sample alone
     * (and the head would cost a pass) */
    const float line = mx - 3.0f * tf;
    size_t hot = 0;
    for (size_t c = 0; c < nc; c++) hot += cmax[c] >= line;
    if (hot <= nc / 4) { /* head: at most V / 4 + LMP_CHUNK floats after ns + nc in 2 cap */
        size_t nh = 0, nt = 0;
        for (size_t c = 0; c < nc; c++) {
            if (!(cmax[c] >= line)) continue;
            for (size_t j = c * LMP_CHUNK; j < V && j < (c + 1) * LMP_CHUNK; j++) {
                head[nh] = lf[j];
                nh += lf[j] >= line;
            }
        }
        for (size_t j = 0; j < ns; j++) {
            xsm[nt] = xsm[j];
            nt += !(xsm[j] >= line);
        }
        zs = 16.0 * lmp_sample_topp_hist(s->isa, xsm, nt, tf, m, scale, NBUCKETS, s->bmass, s->bcnt);
        for (int b = 0; b < NBUCKETS; b++) s->bmass[b] *= 16.0;
        zs += lmp_sample_topp_hist(s->isa, head, nh, tf, m, scale, NBUCKETS, s->bmass, s->bcnt);
    } else {
        zs = lmp_sample_topp_hist(s->isa, xsm, ns, tf, m, scale, NBUCKETS, s->bmass, s->bcnt);
    }
    size_t n = 0;
    int gathered = 0;
    double Z = 0.0, target = 0.0;
    float glo = 0.0f; /* the line of the last gather */
    /* The bucket where the sample's mass reaches p - 0.05: the cut lies below it
     * (unless the sample is off by that much), so the buckets above need no
     * histogram (see the cut below). */
    int bh_guess = 0;
    for (double c = 0.0, q = (p->top_p - 0.05) * zs; bh_guess < NBUCKETS - 1; bh_guess++) {
        c += s->bmass[bh_guess];
        if (c >= q) break;
    }
    static const double qs[] = {0.25, 0.6, 0.9}; /* how far into the tail mass each try aims */
    for (int tries = 0; tries < 3 && !gathered; tries++) {
        double q = (p->top_p + (1.0 - p->top_p) * qs[tries]) * zs, c = 0.0;
        int guess = NBUCKETS - 1;
        for (int b = 0; b < NBUCKETS; b++) {
            c += s->bmass[b];
            if (c >= q) {
                guess = b;
                break;
            }
        }
        double edge = (double)m - (guess + 1) / scale;
        double lo = T != 1.0 ? (edge - margin) * T : edge - margin, hi = T != 1.0 ? (edge + margin) * T : edge + margin;
        float lof = (float)lo, hif = (float)hi;
        if ((double)lof > lo) lof = nextafterf(lof, -INFINITY);
        if ((double)hif < hi) hif = nextafterf(hif, INFINITY);
        glo = lof;
        if (tries == 0) { /* the normaliser, the gather and the gathered exps in one pass */
            Z = lmp_sample_exps_gather(s->isa, lf, V, tf, m, lof, s->id, xs, es, &n);
            target = p->top_p * Z;
        } else {
            n = lmp_sample_fgather_ge(s->isa, lf, V, lof, s->id, xs);
            lmp_sample_topp_exps(s->isa, xs, n, tf, m, es); /* the same kernel: the same values */
        }
        /* the top min_keep ranks are gathered too (everything above the line is) */
        gathered = lmp_sample_mass_ge(s->isa, xs, es, n, hif) >= target * (1.0 + 1e-4) && n >= p->min_keep;
        if (!(zs > 0)) break;
    }
    double zf = (double)(float)Z;
    if (gathered) {
        /* The cut of mass_cut's bucketed rule, on the gathered tokens only (every
         * bucket up to the crossing one is among them): the histogram of their
         * probabilities, then the keys and probabilities of the crossing bucket's
         * members alone; the kept set is written once, with its exps (cur_softmax
         * normalises them without computing them again). */
        double kmin = -(double)m, iz = 1.0 / zf, cscale = smp_cut_scale(kmin, kmin + 60.0);
        int32_t *bidx = (int32_t *)(void *)s->lg;
        /* every gathered x >= glo, so l >= glo / tf: the buckets past nbu stay
         * empty (2 of margin for rounding) and are neither cleared nor read */
        double rmax = ((double)m - (double)(tf != 1.0f ? glo / tf : glo)) * cscale;
        int nbu = rmax < NBUCKETS - 3 ? (int)rmax + 3 : NBUCKETS;
        /* mass_cut adds the bucket sums in order. A bucket's sum is exact in
         * double whatever the order (its members lie within a factor e^(60/4095)
         * of each other: one binade). So are the running sums over the buckets
         * whose every member has p >= 2^-30 (p a float, so a multiple of 2^-53;
         * sums below p <= 1 of such are exact doubles): those buckets, up to bh,
         * are summed in one go, in any order, with the same result; only the
         * tokens from bh on go through the histogram. bh30: the buckets with
         * m - l < 30 ln 2 - ln z (p = e / z >= 2^-30, e within 2 ulp of exp),
         * less a margin. */
        double d30 = (30.0 * M_LN2 - log(zf) - 1e-3) * cscale;
        int bh = d30 > 1.0 ? (d30 < nbu ? (int)d30 - 1 : nbu) : 0;
        if (bh > bh_guess) bh = bh_guess;
        int32_t *band_b = (int32_t *)(void *)s->ord;
        memset(s->bmass + bh, 0, (size_t)(nbu - bh) * sizeof s->bmass[0]);
        double cum = lmp_sample_topp_bucket(s->isa, xs, es, n, tf, kmin, cscale, NBUCKETS, iz, bh, s->bmass, bidx, band_b,
                                            s->key);
        if (!(cum < p->top_p)) { /* the cut lies above bh after all: every bucket through the histogram */
            bh = 0;
            memset(s->bmass, 0, (size_t)nbu * sizeof s->bmass[0]);
            cum = lmp_sample_topp_bucket(s->isa, xs, es, n, tf, kmin, cscale, NBUCKETS, iz, 0, s->bmass, bidx, band_b,
                                         s->key);
        }
        size_t before = 0, K = n, rtie = TIES_ALL;
        double tkey = INFINITY;
        int b = bh;
        s->cut_mass = cum; /* cut_finish replaces it with the mass through the cut */
        /* as mass_cut, without its skip of empty buckets: adding an empty
         * bucket's +0 leaves cum as it is, and with p > 0 a bucket of mass 0
         * cannot be the first to reach p; the ranks before the crossing bucket
         * are counted with its members */
        for (; b < nbu; b++) {
            double c = cum + s->bmass[b];
            if (c >= p->top_p) break;
            cum = c;
        }
        s->n = n;
        s->cut_ties = TIES_ALL;
        if (b < nbu) {
            /* the members' keys and probabilities side by side (ascending
             * positions: the same tie order), so the sort reads them from a
             * few cache lines rather than from all over the gathered arrays */
            size_t mb = lmp_sample_bucket_members(s->isa, bidx, n, (int32_t)b, s->ord, &before);
            for (size_t j = 0; j < mb; j++) {
                size_t q = s->ord[j];
                float l = tf != 1.0f ? xs[q] / tf : xs[q];
                s->key[j] = -(double)l;
                s->p[j] = (double)(float)((double)es[q] * iz);
                s->ord[j] = j;
            }
            smp_cut_finish(s, mb, 1, cum, before, p->top_p, 0, !hf, s->lg, &K, &tkey, &rtie); /* lg: free here */
        }
        s->ident = 0;
        s->temp_done = T != 1.0;
        s->lgmax = m;
        s->max_ok = 1;
        s->topp_done = 1;
        size_t mk = p->min_keep;
        if (K < mk) { /* min_keep reaches below the cut: every gathered token materialised */
            lmp_sample_topp_convert(s->isa, xs, es, n, tf, s->lg, s->p, s->key);
            lmp_sample_scale(s->isa, s->p, n, zf, 1);
            smp_keep_first_ranks(s, mk, !hf);
            return 1;
        }
        /* compact_by_key_t's rule: key < tkey, and of the ties (key == tkey) the
         * first rtie in id order (llama) or the last rtie (HF) */
        size_t lo_t = 0, hi_t = SIZE_MAX;
        if (K < n && rtie != TIES_ALL) {
            if (!hf) hi_t = rtie;
            else lo_t = s->cut_ties != TIES_ALL && s->cut_ties > rtie ? s->cut_ties - rtie : 0;
        }
        float lthr = K < n ? (float)-tkey : -INFINITY; /* -tkey is a float logit: exact */
        if (!later_steps(s)) {
            /* nothing follows: the draw reads the gathered tokens in place and
             * kept() forms the arrays only if asked (topp_form) */
            s->tp_lazy = 1;
            s->tp_formed = 0;
            s->tp_n = n;
            s->tp_lo = lo_t;
            s->tp_hi = hi_t;
            s->tp_tf = tf;
            s->tp_lthr = lthr;
            s->tp_iz = iz;
            s->tp_mass = s->cut_mass;
            s->n = K < n ? K : n;
            return 1;
        }
        s->n = lmp_sample_topp_finish(s->isa, xs, es, s->id, n, tf, lthr, lo_t, hi_t, s->p);
        s->p_exps = 1;
        s->lg_pending = 1;
        s->lg_tf = tf;
        return 1;
    } else {
        memset(s->bmass, 0, sizeof s->bmass);
        memset(s->bcnt, 0, sizeof s->bcnt);
        Z = lmp_sample_topp_hist(s->isa, lf, V, tf, m, scale, NBUCKETS, s->bmass, s->bcnt);
        target = p->top_p * Z;
        double cum = 0.0;
        int bstar = NBUCKETS - 1;
        for (int b = 0; b < NBUCKETS; b++) {
            if (s->bcnt[b] == 0) continue;
            if (cum + s->bmass[b] >= target) {
                bstar = b;
                break;
            }
            cum += s->bmass[b];
        }
        /* Gather every token in buckets 0 .. bstar, a superset of the nucleus: l >
         * m - (bstar + 1) / scale, lowered by the margin, and compared in the
         * input's units (x = l * T). Branch-free: the nucleus is spread at
         * random over the ids. */
        double L = (double)m - (bstar + 1) / scale - margin;
        double thr = T != 1.0 ? L * T : L;
        float thrf = (float)thr;
        if ((double)thrf > thr) thrf = nextafterf(thrf, -INFINITY);
        n = 0;
        for (size_t i = 0; i < V; i++) {
            s->id[n] = (int32_t)i;
            n += lf[i] >= thrf;
        }
        if (n < p->min_keep) return 0; /* the top min_keep ranks may lie below: the general path */
        for (size_t j = 0; j < n; j++) {
            float x = lf[s->id[j]];
            s->lg[j] = tf != 1.0f ? (double)(x / tf) : (double)x;
        }
        lmp_sample_exp_sum(s->isa, s->lg, n, (double)m, s->p, 1);
        for (size_t j = 0; j < n; j++) s->key[j] = -s->lg[j];
    }
    s->n = n;
    s->ident = 0;
    s->temp_done = T != 1.0;
    /* probabilities with the full normaliser, as cur_softmax over all V would */
    zf = (double)(float)Z;
    lmp_sample_scale(s->isa, s->p, n, zf, 1);
    s->lgmax = m;
    s->max_ok = 1;
    size_t K, rtie;
    double tkey;
    s->force_bucket = 1;
    smp_mass_cut(s, p->top_p, 0, !hf, -(double)m, &K, &tkey, &rtie);
    s->force_bucket = 0;
    size_t mk = p->min_keep;
    if (K < mk) smp_keep_first_ranks(s, mk, !hf);
    else if (K < n) smp_compact_by_key_t(s, tkey, rtie, !hf, s->cut_ties);
    s->topp_done = 1;
    return 1;
}
