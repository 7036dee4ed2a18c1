/* Top-p as the first truncation, straight from float32 logits: the top-p route
 * of the fused engine (docs/decoding.md, "top-p first").
 *
 * When it applies: float32 logits and dtype, no penalties, top-k off, and in
 * llama order typical off (it would run first); HF with T > 0 (fused into the
 * route), llama with T last. It computes exactly what the general path's top-p
 * step computes (the bucketed rule of cut.c over the full softmax), touching V
 * as few times as it can. The stages, one function each:
 *
 *   1. topp_scan      one validating pass: maximum, NaN/+inf check, every 16th
 *                     logit and the maximum of every chunk of 256;
 *   2. topp_estimate  an estimated mass histogram by distance below the maximum
 *                     (the head, within 3 of the maximum, exactly; the rest from
 *                     the 1-in-16 sample weighted by 16);
 *   3. topp_gather    guess the bucket a quarter of the way into the tail mass
 *                     past p, and in one pass compute every exp (the normaliser)
 *                     and gather the tokens down to that bucket with their exps;
 *                     check that the mass surely inside reaches p, else guess
 *                     further into the tail (and at last give up);
 *   4. topp_cut       the general path's cut on the gathered tokens only (every
 *                     bucket down to the crossing one is among them);
 *   5. topp_keep      write the kept set once, or, when nothing follows top-p,
 *                     leave it in place for the draw (the lazy top-p);
 *   6. topp_full      when the gather could not be checked: the full mass
 *                     histogram over V, then the general cut on a superset. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sampler_internal.h"

/* The state of one call of the route. */
typedef struct topp_route {
    lmp_sampler *s;
    const float *lf;     /* the logits [V] */
    size_t V;
    int hf;
    double P;            /* top_p */
    double T;            /* the fused temperature (HF), else 1 */
    float tf;            /* (float)T */
    float mx, m;         /* the maximum logit, and m = mx / tf: the processed maximum */
    size_t ns, nc;       /* the sample (every 16th logit) and the chunk maxima: how many */
    float *xsm, *cmax;   /* ... where (in key[], 2 cap floats with the head) */
    float *head;
    double zs;           /* the estimated normaliser (sum of the estimated histogram) */
    int bh_guess;        /* the bucket where the estimate reaches p - 0.05 */
    float *xs, *es;      /* the gathered logits and exps (in work[], 2 cap floats) */
    size_t n;            /* how many were gathered */
    double Z;            /* the exact float32 normaliser over V */
    float glo;           /* the line of the last gather */
} topp_route;

/* The histogram of the general path's cut spans 60 nats below the maximum in 4096 buckets. */
#define TOPP_SPAN 60.0
#define TOPP_SCALE ((double)(NBUCKETS - 1) / TOPP_SPAN)

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
    lmp_token_id *kid = (lmp_token_id *)(void *)s->ord;
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

/* Whether the route applies; sets r's parameters. */
static int topp_applies(topp_route *r)
{
    lmp_sampler *s = r->s;
    const lmp_sampler_params *p = &s->prm;
    int hf = p->conv == LMP_CONV_HF;
    int no_pen = p->repetition_penalty == 1.0 && p->frequency_penalty == 0.0 && p->presence_penalty == 0.0;
    size_t k = (size_t)p->top_k;
    if (hf && p->top_k > 0 && k < p->min_keep) k = p->min_keep;
    int k_off = p->top_k == 0 || k >= r->V;
    if (!r->lf || !s->f32 || !no_pen || !(p->top_p < 1.0) || !k_off || r->V > s->cap || r->V <= 4 * SAMPLE_SIZE)
        return 0;
    if (!hf && p->typical_p < 1.0) return 0; /* llama runs typical before top-p */
    if (hf && p->temperature == 0.0) return 0;
    r->hf = hf;
    r->P = p->top_p;
    r->T = hf && p->temperature != 1.0 ? R(1, p->temperature) : 1.0;
    r->tf = (float)r->T;
    return 1;
}

/* 1. The validating pass; it also takes the stride sample (every 16th logit)
 * and the maximum of every chunk of 256, to find the head below. key (2 cap
 * floats) holds the sample, the chunk maxima and the head. */
static lmp_status topp_scan(topp_route *r, lmp_error *err)
{
    lmp_sampler *s = r->s;
    size_t V = r->V;
    r->ns = (V + 15) / 16;
    r->nc = (V + LMP_CHUNK - 1) / LMP_CHUNK;
    r->xsm = (float *)(void *)s->key;
    r->cmax = r->xsm + r->ns;
    r->head = r->cmax + r->nc;
    size_t bad = lmp_sample_fcheck_sample(s->isa, r->lf, V, &r->mx, r->xsm, r->cmax);
    if (bad < V)
        return smp_bad_logit_error(bad, (double)r->lf[bad], err);
    if (r->mx == -INFINITY) return smp_no_finite_error(V, err);
    r->m = r->tf != 1.0f ? r->mx / r->tf : r->mx;
    if (!(r->m < INFINITY) || r->m == -INFINITY) /* -inf: the finite logits overflowed (negative, T tiny) */
        return lmp_error_set(err, LMP_ERANGE, "max logit / T = %g / %g overflows float32: expected a larger T",
                             (double)r->mx, r->T);
    return LMP_OK;
}

/* 2. The estimated mass histogram (in bmass) and its total, r->zs: the head
 * (the logits within 3 of the maximum, after the temperature, which carry most
 * of the mass of a peaked distribution and which a 1-in-16 sample would mostly
 * miss) exactly, from the chunks whose maximum reaches its line, and the rest
 * from the sample weighted by 16. When more than 1 chunk in 4 is hot the
 * distribution is flat enough for the sample alone (and the head would cost a
 * pass). The counts it also keeps in bcnt are not read (whoever reads bcnt
 * clears it first). Also the bucket where the estimate reaches p - 0.05: the cut
 * lies below it (unless the sample is off by that much), so the buckets above
 * it need no histogram in topp_cut. */
static void topp_estimate(topp_route *r)
{
    lmp_sampler *s = r->s;
    const float line = r->mx - 3.0f * r->tf;
    memset(s->bmass, 0, sizeof s->bmass);
    size_t hot = 0;
    for (size_t c = 0; c < r->nc; c++) hot += r->cmax[c] >= line;
    if (hot <= r->nc / 4) { /* the head: at most V / 4 + LMP_CHUNK floats after ns + nc in 2 cap */
        size_t nh = 0, nt = 0;
        for (size_t c = 0; c < r->nc; c++) {
            if (!(r->cmax[c] >= line)) continue;
            for (size_t j = c * LMP_CHUNK; j < r->V && j < (c + 1) * LMP_CHUNK; j++) {
                r->head[nh] = r->lf[j];
                nh += r->lf[j] >= line;
            }
        }
        for (size_t j = 0; j < r->ns; j++) { /* the sample without the head */
            r->xsm[nt] = r->xsm[j];
            nt += !(r->xsm[j] >= line);
        }
        r->zs = 16.0 * lmp_sample_topp_hist(s->isa, r->xsm, nt, r->tf, r->m, TOPP_SCALE, NBUCKETS, s->bmass, s->bcnt);
        for (int b = 0; b < NBUCKETS; b++) s->bmass[b] *= 16.0;
        r->zs += lmp_sample_topp_hist(s->isa, r->head, nh, r->tf, r->m, TOPP_SCALE, NBUCKETS, s->bmass, s->bcnt);
    } else {
        r->zs = lmp_sample_topp_hist(s->isa, r->xsm, r->ns, r->tf, r->m, TOPP_SCALE, NBUCKETS, s->bmass, s->bcnt);
    }
    r->bh_guess = 0;
    for (double c = 0.0, q = (r->P - 0.05) * r->zs; r->bh_guess < NBUCKETS - 1; r->bh_guess++) {
        c += s->bmass[r->bh_guess];
        if (c >= q) break;
    }
}

/* 3. Gather the tokens down to a guessed bucket: the first try also computes
 * every exp and the exact normaliser Z in the same pass. Returns 1 when the
 * gathered tokens surely inside the guessed range carry the mass p (with a
 * relative margin of 1e-4, far above the rounding of the probabilities) and
 * min_keep tokens were gathered: then the crossing bucket of the exact rule and
 * everything above it are among them. Else guess further into the tail (0.6,
 * 0.9 of the tail mass); 0 after three tries. */
static int topp_gather(topp_route *r)
{
    lmp_sampler *s = r->s;
    const double margin = 1e-3 + fabs((double)r->m) * 1e-6; /* logit units, far above float rounding */
    double target = 0.0;
    r->xs = (float *)(void *)s->work;
    r->es = r->xs + s->cap;
    static const double qs[] = {0.25, 0.6, 0.9}; /* how far into the tail mass each try aims */
    for (int tries = 0; tries < 3; tries++) {
        double q = (r->P + (1.0 - r->P) * qs[tries]) * r->zs, c = 0.0;
        int guess = NBUCKETS - 1;
        for (int b = 0; b < NBUCKETS; b++) {
            c += s->bmass[b];
            if (c >= q) {
                guess = b;
                break;
            }
        }
        /* the guessed bucket's lower edge, in the input's units (x = l * T), lowered by the margin */
        double edge = (double)r->m - (guess + 1) / TOPP_SCALE, T = r->T;
        double lo = T != 1.0 ? (edge - margin) * T : edge - margin, hi = T != 1.0 ? (edge + margin) * T : edge + margin;
        float lof = (float)lo, hif = (float)hi;
        if ((double)lof > lo) lof = nextafterf(lof, -INFINITY);
        if ((double)hif < hi) hif = nextafterf(hif, INFINITY);
        r->glo = lof;
        if (tries == 0) { /* the normaliser, the gather and the gathered exps in one pass */
            r->Z = lmp_sample_exps_gather(s->isa, r->lf, r->V, r->tf, r->m, lof, s->id, r->xs, r->es, &r->n);
            target = r->P * r->Z;
        } else {
            r->n = lmp_sample_fgather_ge(s->isa, r->lf, r->V, lof, s->id, r->xs);
            lmp_sample_topp_exps(s->isa, r->xs, r->n, r->tf, r->m, r->es); /* the same kernel: the same values */
        }
        /* the top min_keep ranks are gathered too (everything above the line is) */
        if (lmp_sample_mass_ge(s->isa, r->xs, r->es, r->n, hif) >= target * (1.0 + 1e-4) && r->n >= s->prm.min_keep)
            return 1;
        if (!(r->zs > 0)) break;
    }
    return 0;
}

/* 4. The cut of the general path's bucketed rule (cut.c), on the gathered
 * tokens only: the histogram of their probabilities, then the keys and
 * probabilities of the crossing bucket's members alone. Returns K, the kept
 * ranks (n when the cut is below every gathered token), and the key at the cut
 * and its tie count through tkey / rtie.
 *
 * mass_cut adds the bucket sums in order. A bucket's sum is exact in double
 * whatever the order (its members lie within a factor e^(60/4095) of each
 * other: one binade). So are the running sums over the buckets whose every
 * member has p >= 2^-30 (p a float, so a multiple of 2^-53; sums below p <= 1 of
 * such are exact doubles): those buckets, up to bh, are summed in one go, in
 * any order, with the same result; only the tokens from bh on go through the
 * histogram. bh: the buckets with m - l < 30 ln 2 - ln z (p = e / z >= 2^-30, e
 * within 2 ulp of exp), less a margin. */
static size_t topp_cut(topp_route *r, double iz, double *tkey, size_t *rtie)
{
    lmp_sampler *s = r->s;
    size_t n = r->n;
    double zf = (double)(float)r->Z, kmin = -(double)r->m, cscale = smp_cut_scale(kmin, kmin + TOPP_SPAN);
    int32_t *bidx = (int32_t *)(void *)s->lg;
    /* every gathered x >= glo, so l >= glo / tf: the buckets past nbu stay empty
     * (2 of margin for rounding) and are neither cleared nor read */
    double rmax = ((double)r->m - (double)(r->tf != 1.0f ? r->glo / r->tf : r->glo)) * cscale;
    int nbu = rmax < NBUCKETS - 3 ? (int)rmax + 3 : NBUCKETS;
    double d30 = (30.0 * M_LN2 - log(zf) - 1e-3) * cscale;
    int bh = d30 > 1.0 ? (d30 < nbu ? (int)d30 - 1 : nbu) : 0;
    if (bh > r->bh_guess) bh = r->bh_guess;
    int32_t *band_b = (int32_t *)(void *)s->ord;
    memset(s->bmass + bh, 0, (size_t)(nbu - bh) * sizeof s->bmass[0]);
    double cum = lmp_sample_topp_bucket(s->isa, r->xs, r->es, n, r->tf, kmin, cscale, NBUCKETS, iz, bh, s->bmass,
                                        bidx, band_b, s->key);
    if (!(cum < r->P)) { /* the cut lies above bh after all: every bucket through the histogram */
        bh = 0;
        memset(s->bmass, 0, (size_t)nbu * sizeof s->bmass[0]);
        cum = lmp_sample_topp_bucket(s->isa, r->xs, r->es, n, r->tf, kmin, cscale, NBUCKETS, iz, 0, s->bmass, bidx,
                                     band_b, s->key);
    }
    size_t before = 0, K = n;
    *rtie = TIES_ALL;
    *tkey = INFINITY;
    int b = bh;
    s->cut_mass = cum; /* cut_finish replaces it with the mass through the cut */
    /* as mass_cut, without its skip of empty buckets: adding an empty bucket's +0
     * leaves cum as it is, and with p > 0 a bucket of mass 0 cannot be the first
     * to reach p; the ranks before the crossing bucket are counted with its members */
    for (; b < nbu; b++) {
        double c = cum + s->bmass[b];
        if (c >= r->P) break;
        cum = c;
    }
    s->n = n;
    s->cut_ties = TIES_ALL;
    if (b < nbu) {
        /* the members' keys and probabilities side by side (ascending positions:
         * the same tie order), so the sort reads them from a few cache lines
         * rather than from all over the gathered arrays */
        size_t mb = lmp_sample_bucket_members(s->isa, bidx, n, (int32_t)b, s->ord, &before);
        for (size_t j = 0; j < mb; j++) {
            size_t q = s->ord[j];
            float l = r->tf != 1.0f ? r->xs[q] / r->tf : r->xs[q];
            s->key[j] = -(double)l;
            s->p[j] = (double)(float)((double)r->es[q] * iz);
            s->ord[j] = j;
        }
        smp_cut_finish(s, mb, 1, cum, before, r->P, 0, !r->hf, s->lg, &K, tkey, rtie); /* lg: free here */
    }
    return K;
}

/* 5. The kept set after the cut: min_keep below the cut (every gathered token
 * materialised, the general ranking), the lazy top-p when nothing follows (the
 * draw reads the gathered tokens in place; kept() forms the arrays), or the
 * kept tokens written once with their exps (cur_softmax normalises them). */
static void topp_keep(topp_route *r, size_t K, double tkey, size_t rtie, double iz)
{
    lmp_sampler *s = r->s;
    size_t n = r->n, mk = s->prm.min_keep;
    double zf = (double)(float)r->Z;
    s->ident = 0;
    s->temp_done = r->T != 1.0;
    s->lgmax = r->m;
    s->max_ok = 1;
    s->topp_done = 1;
    if (K < mk) {
        lmp_sample_topp_convert(s->isa, r->xs, r->es, n, r->tf, s->lg, s->p, s->key);
        lmp_sample_scale(s->isa, s->p, n, zf, 1);
        smp_keep_first_ranks(s, mk, !r->hf);
        return;
    }
    /* compact_by_key_t's rule: key < tkey, and of the ties (key == tkey) the
     * first rtie in id order (llama) or the last rtie (HF) */
    size_t lo_t = 0, hi_t = SIZE_MAX;
    if (K < n && rtie != TIES_ALL) {
        if (!r->hf) hi_t = rtie;
        else lo_t = s->cut_ties != TIES_ALL && s->cut_ties > rtie ? s->cut_ties - rtie : 0;
    }
    float lthr = K < n ? (float)-tkey : -INFINITY; /* -tkey is a float logit: exact */
    if (!later_steps(s)) {
        s->tp_lazy = 1;
        s->tp_formed = 0;
        s->tp_n = n;
        s->tp_lo = lo_t;
        s->tp_hi = hi_t;
        s->tp_tf = r->tf;
        s->tp_lthr = lthr;
        s->tp_iz = iz;
        s->tp_mass = s->cut_mass;
        s->n = K < n ? K : n;
        return;
    }
    s->n = lmp_sample_topp_finish(s->isa, r->xs, r->es, s->id, n, r->tf, lthr, lo_t, hi_t, s->p);
    s->p_exps = 1;
    s->lg_pending = 1;
    s->lg_tf = r->tf;
}

/* 6. Without a checked gather: the full mass histogram over V (and Z with it),
 * the bucket where the mass crosses p, every token in buckets up to it (a
 * superset of the nucleus: l > m - (b + 1) / scale, lowered by a margin and
 * compared in the input's units; branch-free, the nucleus is spread at random
 * over the ids), then the general cut on those. Returns 0 when min_keep reaches
 * below them (the caller takes the general path). */
static int topp_full(topp_route *r)
{
    lmp_sampler *s = r->s;
    const lmp_sampler_params *p = &s->prm;
    const double margin = 1e-3 + fabs((double)r->m) * 1e-6;
    memset(s->bmass, 0, sizeof s->bmass);
    memset(s->bcnt, 0, sizeof s->bcnt);
    r->Z = lmp_sample_topp_hist(s->isa, r->lf, r->V, r->tf, r->m, TOPP_SCALE, NBUCKETS, s->bmass, s->bcnt);
    /* the bucket where the exps' mass passes p, a relative 1e-5 further on: the cut adds probabilities
     * (float(e / Z)), whose total differs from the exps' by the float rounding of Z and of each p (a few
     * 1e-7), so with p within that of 1 the exact crossing can lie buckets below (the route kept 9,900 of
     * 10,000 tokens at top_p 1 - 3e-8, where the reference chain keeps 9,938) */
    double target = r->P * r->Z * (1.0 + 1e-5), cum = 0.0;
    int bstar = NBUCKETS - 1;
    for (int b = 0; b < NBUCKETS; b++) {
        if (s->bcnt[b] == 0) continue;
        if (cum + s->bmass[b] >= target) {
            bstar = b;
            break;
        }
        cum += s->bmass[b];
    }
    double L = (double)r->m - (bstar + 1) / TOPP_SCALE - margin;
    double thr = r->T != 1.0 ? L * r->T : L;
    float thrf = (float)thr;
    if ((double)thrf > thr) thrf = nextafterf(thrf, -INFINITY);
    size_t n = 0;
    for (size_t i = 0; i < r->V; i++) {
        s->id[n] = (lmp_token_id)i;
        n += r->lf[i] >= thrf;
    }
    if (n < p->min_keep) return 0; /* the top min_keep ranks may lie below: the general path */
    for (size_t j = 0; j < n; j++) {
        float x = r->lf[s->id[j]];
        s->lg[j] = r->tf != 1.0f ? (double)(x / r->tf) : (double)x;
    }
    lmp_sample_exp_sum(s->isa, s->lg, n, (double)r->m, s->p, 1);
    for (size_t j = 0; j < n; j++) s->key[j] = -s->lg[j];
    s->n = n;
    s->ident = 0;
    s->temp_done = r->T != 1.0;
    /* probabilities with the full normaliser, as cur_softmax over all V would */
    lmp_sample_scale(s->isa, s->p, n, (double)(float)r->Z, 1);
    s->lgmax = r->m;
    s->max_ok = 1;
    size_t K, rtie;
    double tkey;
    s->force_bucket = 1;
    smp_mass_cut(s, p->top_p, 0, !r->hf, -(double)r->m, &K, &tkey, &rtie);
    s->force_bucket = 0;
    /* the cut keeps every gathered token: their probabilities did not reach p, and the rule goes on below
     * the line, where nothing was gathered (p within rounding of 1): the general path, over all V */
    if (K >= n && n < r->V) return 0;
    if (K < p->min_keep) smp_keep_first_ranks(s, p->min_keep, !r->hf);
    else if (K < n) smp_compact_by_key_t(s, tkey, rtie, !r->hf, s->cut_ties);
    s->topp_done = 1;
    return 1;
}

/* Returns 1 when the route ran (the top-p step is done), 0 when it does not
 * apply (the caller takes the general path), -1 on an input error (*st set). */
int smp_topp_first(lmp_sampler *s, const float *lf, size_t V, lmp_status *st, lmp_error *err)
{
    topp_route r = {.s = s, .lf = lf, .V = V};
    if (!topp_applies(&r)) return 0;
    if ((*st = topp_scan(&r, err))) return -1;
    topp_estimate(&r);
    if (!topp_gather(&r)) return topp_full(&r);
    double iz = 1.0 / (double)(float)r.Z, tkey;
    size_t rtie, K = topp_cut(&r, iz, &tkey, &rtie);
    topp_keep(&r, K, tkey, rtie, iz);
    return 1;
}
