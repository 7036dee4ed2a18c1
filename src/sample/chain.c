/* The sampler chain and its reference steps (include/lmprob/sample.h, "the chain,
 * step by step").
 *
 * A chain is a list of steps over one candidate array, after llama.cpp's sampler
 * chain (src/llama-sampling.cpp: one llama_sampler_i per sampler). Each built-in
 * step below is one short function that states its rule the plain way: sort
 * where the rule ranks, sum in the order the rule sums, round where the dtype
 * rounds. That is the definition of what the sampler keeps. The fused engine
 * (filters.c and the fast paths) computes the same sets, logits and
 * probabilities in O(V) without sorting, and tests/test_chain.c checks the two
 * against each other bit for bit.
 *
 * Two definitions are shared with the fused engine rather than restated, because
 * they ARE the arithmetic of the dtype: the softmax (lmp_cand_array_softmax: the
 * exp and sum kernels of kernels.c, whose summation order is fixed and documented
 * there) and the draw (lmp_sample_cdf_search: numpy's choice rule).
 *
 * The rules, in the sample.h table's terms: */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sampler_internal.h"

/* ---- the candidate array ------------------------------------------------------------ */

void lmp_cand_array_softmax(lmp_cand_array *c)
{
    int f32 = c->dtype == LMP_DTYPE_F32;
    double m = lmp_sample_max(c->simd_level, c->logit, c->n);
    double z = lmp_sample_exp_sum(c->simd_level, c->logit, c->n, m, c->p, f32);
    if (f32) z = (double)(float)z;
    lmp_sample_scale(c->simd_level, c->p, c->n, z, f32); /* p / z: numpy's e / e.sum() */
    c->p_ok = 1;
}

void lmp_cand_array_keep(lmp_cand_array *c, const unsigned char *keep)
{
    size_t m = 0;
    for (size_t i = 0; i < c->n; i++) m += keep[i] != 0;
    if (m == 0 || m == c->n) return;
    m = 0;
    for (size_t i = 0; i < c->n; i++) {
        if (!keep[i]) continue;
        c->id[m] = c->id[i];
        c->logit[m] = c->logit[i];
        c->p[m] = c->p[i];
        m++;
    }
    c->n = m;
    c->p_ok = 0; /* the survivors' probabilities no longer sum to 1 */
}

/* ---- helpers of the built-in steps -------------------------------------------------- */

static double Rd(const lmp_cand_array *c, double x) { return R(c->dtype == LMP_DTYPE_F32, x); }

/* ord[0..n) = the candidates ranked by key ascending; equal keys by id, the lower
 * id first when low_first, else the higher. */
static void rank(lmp_cand_array *c, const double *key, int low_first)
{
    for (size_t i = 0; i < c->n; i++) c->ord[i] = i;
    smp_sort_positions(c->ord, c->n, key, low_first);
}

/* Keep the first K ranks of ord (all when K >= n). */
static void keep_ranks(lmp_cand_array *c, size_t K)
{
    if (K >= c->n) return;
    memset(c->keep, 0, c->n);
    for (size_t j = 0; j < K; j++) c->keep[c->ord[j]] = 1;
    lmp_cand_array_keep(c, c->keep);
}

/* The k-th largest logit (1 <= k <= n), by quickselect on a copy. */
static double kth_largest_logit(lmp_cand_array *c, size_t k)
{
    for (size_t i = 0; i < c->n; i++) c->key[i] = -c->logit[i];
    return -smp_select_kth_smallest(c->key, c->n, k);
}

/* Keep the first K candidates by logit descending (ties: the lower id first). */
static void keep_top(lmp_cand_array *c, size_t K);

/* key = -logit: rank by logit descending. */
static double *neg_logits(lmp_cand_array *c)
{
    for (size_t i = 0; i < c->n; i++) c->key[i] = -c->logit[i];
    return c->key;
}

static void keep_top(lmp_cand_array *c, size_t K)
{
    rank(c, neg_logits(c), 1);
    keep_ranks(c, K);
}

/* llama.cpp's llama_sampler_softmax_impl, for its literal float32 path: sort by
 * logit descending (ties: lower id first), e = expf(l - max), a float running sum
 * in that order, p = e / sum in float. Leaves the ranks in ord. */
static void llama_softmax_sorted(lmp_cand_array *c)
{
    rank(c, neg_logits(c), 1);
    double mx = c->logit[c->ord[0]], z = 0.0;
    for (size_t j = 0; j < c->n; j++) {
        size_t i = c->ord[j];
        c->p[i] = (double)expf((float)(c->logit[i] - mx));
        z = (double)(float)(z + c->p[i]);
    }
    for (size_t i = 0; i < c->n; i++) c->p[i] = (double)(float)(c->p[i] / z);
    c->p_ok = 0; /* not the softmax of lmp_cand_array_softmax: recompute there when needed */
}

static int llama_literal(const lmp_cand_array *c, lmp_sampler_convention conv)
{
    return conv == LMP_CONV_LLAMA && c->dtype == LMP_DTYPE_F32 && c->n <= LMP_SAMPLE_EXACT_MAX;
}

/* The cumulative-mass cut of top-p and typical: rank by key ascending (equal keys
 * by id per low_first) and keep the first K ranks, K the rank of the first whose
 * cumulative probability reaches target (>= target, or > when strict); all when
 * none does. Marks c->keep, returns K, and the key of the last kept rank in
 * *tkey (INFINITY when all are kept).
 *
 * Up to LMP_SAMPLE_EXACT_MAX candidates the running sum is literal: in the
 * dtype (float32: llama.cpp's float accumulator; Hugging Face's torch cumsum
 * accumulates in double and rounds each output). Above, the O(V) rule the
 * fused engine computes (cut.c), stated plainly: bucket the keys in 4096 equal
 * buckets over [kmin, kmin + span] (the last bucket open-ended), add each
 * bucket's probabilities in id order, add the bucket sums in bucket order until
 * one reaches the target, then add that bucket's members in rank order, in
 * double; if even its last member does not reach it, the cut takes the whole
 * bucket. span is 60 (top-p: the 60 nats below the maximum logit) or, when
 * span_to_max, the keys' finite range capped at 60 (typical). It differs from
 * the literal sum only where a partial sum ties with the target. */
typedef struct cut_scratch {
    double mass[NBUCKETS];
    size_t count[NBUCKETS];
} cut_scratch;

static int bucket_of(double key, double kmin, double scale)
{
    double r = (key - kmin) * scale;
    return r < NBUCKETS - 1 ? (int)r : NBUCKETS - 1; /* +inf, and NaN from inf * 0: the last bucket */
}

static size_t mass_cut(lmp_cand_array *c, const double *key, double target, int strict, int low_first,
                       int span_to_max, lmp_sampler_convention conv, cut_scratch *cs, double *tkey)
{
    size_t n = c->n;
    *tkey = INFINITY;
#define REACHES(x) (strict ? (x) > tg : (x) >= tg)
    if (n <= LMP_SAMPLE_EXACT_MAX) {
        int f32 = c->dtype == LMP_DTYPE_F32, float_acc = f32 && conv == LMP_CONV_LLAMA;
        double tg = R(f32, target), acc = 0.0;
        size_t K = n;
        rank(c, key, low_first);
        for (size_t j = 0; j < n; j++) {
            acc = R(float_acc, acc + c->p[c->ord[j]]);
            if (REACHES(R(f32, acc))) {
                K = j + 1;
                *tkey = key[c->ord[j]];
                break;
            }
        }
        memset(c->keep, 0, n);
        for (size_t j = 0; j < K; j++) c->keep[c->ord[j]] = 1;
        return K;
    }
    double kmin = INFINITY, kmax = -INFINITY, tg = target;
    for (size_t i = 0; i < n; i++) {
        kmin = key[i] < kmin ? key[i] : kmin;
        kmax = key[i] > kmax && key[i] != INFINITY ? key[i] : kmax;
    }
    if (!span_to_max || kmax > kmin + 60.0) kmax = kmin + 60.0;
    double scale = kmax > kmin ? (double)(NBUCKETS - 1) / (kmax - kmin) : 0.0;
    memset(cs, 0, sizeof *cs);
    for (size_t i = 0; i < n; i++) {
        int b = bucket_of(key[i], kmin, scale);
        cs->mass[b] += c->p[i];
        cs->count[b]++;
    }
    double cum = 0.0;
    size_t before = 0;
    int b = 0;
    for (; b < NBUCKETS; b++) {
        if (cs->count[b] == 0) continue;
        if (REACHES(cum + cs->mass[b])) break;
        cum += cs->mass[b];
        before += cs->count[b];
    }
    if (b == NBUCKETS) { /* never reached (rounding): keep all */
        memset(c->keep, 1, n);
        return n;
    }
    /* the crossing bucket's members in rank order; keep those before the cut */
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        int bi = bucket_of(key[i], kmin, scale);
        c->keep[i] = bi < b;
        if (bi == b) c->ord[m++] = i;
    }
    smp_sort_positions(c->ord, m, key, low_first);
    size_t j = 0;
    while (j + 1 < m && !REACHES(cum + c->p[c->ord[j]])) cum += c->p[c->ord[j++]];
    for (size_t q = 0; q <= j; q++) c->keep[c->ord[q]] = 1;
    *tkey = key[c->ord[j]];
    return before + j + 1;
#undef REACHES
}

/* ---- the built-in steps ------------------------------------------------------------- */

/* Penalties (both conventions): for each distinct token among the last last_n of
 * the history (all when 0), with count its occurrences there:
 *   l <= 0 ? l * repetition : l / repetition     (Keskar et al. 2019; HF and llama.cpp)
 *   l -= count * frequency + presence            (llama.cpp, the OpenAI API)
 * each result rounded to the dtype. */
typedef struct pen_step {
    double rep, freq, pres;
    size_t last_n;
} pen_step;

static lmp_status pen_apply(void *vctx, lmp_cand_array *c, lmp_error *err)
{
    const pen_step *k = vctx;
    if (k->rep == 1.0 && k->freq == 0.0 && k->pres == 0.0) return LMP_OK;
    size_t nh = c->nhist, start = k->last_n && nh > k->last_n ? nh - k->last_n : 0;
    /* the history was checked by lmp_sampler_apply (every id in [0, V)) */
    double rep = Rd(c, k->rep), fr = Rd(c, k->freq), pr = Rd(c, k->pres);
    double *count = c->key; /* indexed by token id (V <= max_vocab) */
    for (size_t i = start; i < nh; i++) count[c->hist[i]] = 0.0;
    for (size_t i = start; i < nh; i++) count[c->hist[i]] += 1.0;
    lmp_token_id sank = -1; /* the last finite logit a penalty took to -inf */
    double sank_from = 0.0;
    for (size_t i = start; i < nh; i++) {
        lmp_token_id t = c->hist[i];
        double cnt = count[t];
        if (cnt == 0.0) continue; /* done at its first occurrence */
        count[t] = 0.0;
        size_t lo = 0, hi = c->n; /* the candidate with id t, if it is still one */
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (c->id[mid] < t) lo = mid + 1;
            else hi = mid;
        }
        if (lo == c->n || c->id[lo] != t) continue;
        double l = c->logit[lo];
        if (rep != 1.0) l = Rd(c, l <= 0 ? l * rep : l / rep);
        if (fr != 0.0 || pr != 0.0) l = Rd(c, l - Rd(c, Rd(c, cnt * fr) + pr));
        if (l == INFINITY) return smp_penalty_overflow(t, c->logit[lo], rep, fr, pr, err);
        if (l == -INFINITY && c->logit[lo] != -INFINITY) {
            sank = t;
            sank_from = c->logit[lo];
        }
        c->logit[lo] = l;
    }
    if (sank >= 0) { /* no finite logit left: an error (smp_penalty_sank_all) */
        size_t i = 0;
        while (i < c->n && c->logit[i] == -INFINITY) i++;
        if (i == c->n) return smp_penalty_sank_all(sank, sank_from, rep, fr, pr, err);
    }
    c->p_ok = 0;
    return LMP_OK;
}

/* The first maximum (lowest id on ties) alone: temperature 0 and greedy. */
static void keep_first_max(lmp_cand_array *c)
{
    size_t arg = 0;
    for (size_t i = 1; i < c->n; i++)
        if (c->logit[i] > c->logit[arg]) arg = i;
    memset(c->keep, 0, c->n);
    c->keep[arg] = 1;
    lmp_cand_array_keep(c, c->keep);
}

/* Temperature: l / T (float32: the float quotient l / (float)T, as torch and
 * llama.cpp); T = 0 keeps the first maximum; a quotient that overflows is an error. */
typedef struct temp_step {
    double T;
} temp_step;

static lmp_status temp_apply(void *vctx, lmp_cand_array *c, lmp_error *err)
{
    double T = ((const temp_step *)vctx)->T;
    if (T == 1.0) return LMP_OK;
    if (T == 0.0) {
        keep_first_max(c);
        return LMP_OK;
    }
    size_t arg = 0;
    double lmax = -INFINITY, qmax = -INFINITY;
    for (size_t i = 0; i < c->n; i++) {
        double l = c->logit[i];
        double q = c->dtype == LMP_DTYPE_F32 ? (double)((float)l / (float)T) : l / T;
        if (q == INFINITY)
            return lmp_error_set(err, LMP_ERANGE, "logit[%d] / T = %g / %g overflows: expected a larger T",
                                 (int)c->id[i], l, T);
        if (l > lmax) lmax = l, arg = i;
        if (q > qmax) qmax = q;
        c->logit[i] = q;
    }
    /* every finite logit overflowed to -inf (all negative, T tiny): no distribution left (smp_all_inf_error) */
    if (qmax == -INFINITY && lmax > -INFINITY)
        return lmp_error_set(err, LMP_ERANGE, "logit[%d] / T = %g / %g overflows: expected a larger T",
                             (int)c->id[arg], lmax, T);
    c->p_ok = 0;
    return LMP_OK;
}

static lmp_status greedy_apply(void *vctx, lmp_cand_array *c, lmp_error *err)
{
    (void)vctx;
    (void)err;
    keep_first_max(c);
    return LMP_OK;
}

/* The filters that take a convention and min_keep. */
typedef struct filt_step {
    lmp_sampler_convention conv;
    size_t min_keep;
    double v;       /* p, min_p, mass or epsilon */
    long k;         /* top-k */
    cut_scratch cs; /* the bucket sums of the O(V) cut (top-p, typical) */
} filt_step;

/* Top-k (Fan et al. 2018). HF: k' = max(k, min_keep), keep every logit >= the
 * k'-th largest (ties all kept; a -inf k-th value removes nothing). llama:
 * exactly k, ties at the k-th value to the lower ids. */
static lmp_status topk_apply(void *vctx, lmp_cand_array *c, lmp_error *err)
{
    const filt_step *f = vctx;
    (void)err;
    if (f->k <= 0) return LMP_OK;
    int hf = f->conv == LMP_CONV_HF;
    size_t K = (size_t)f->k;
    if (hf && K < f->min_keep) K = f->min_keep;
    if (K >= c->n) return LMP_OK;
    double t = kth_largest_logit(c, K);
    size_t gt = 0, ties = 0;
    for (size_t i = 0; i < c->n; i++) gt += c->logit[i] > t;
    for (size_t i = 0; i < c->n; i++) /* llama: of the logits equal to t, the first K - gt in id order */
        c->keep[i] = c->logit[i] > t || (c->logit[i] == t && (hf || ties++ < K - gt));
    lmp_cand_array_keep(c, c->keep);
    return LMP_OK;
}

/* Top-p (Holtzman et al. 2020): keep a token iff the mass ranked above it is < p
 * (the crossing token is kept), and at least min_keep. HF up to
 * LMP_SAMPLE_EXACT_MAX: its own steps, an ascending stable sort, the cumulative
 * sum (double accumulator, outputs in the dtype), remove cum <= 1 - p, keep the
 * last min_keep. Otherwise the cut of mass_cut on -logit (ties: HF the higher id
 * first, llama the lower); llama in float32 ranks by its own sorted softmax. */
static lmp_status topp_apply(void *vctx, lmp_cand_array *c, lmp_error *err)
{
    filt_step *f = vctx;
    (void)err;
    double P = f->v;
    if (P >= 1.0) return LMP_OK;
    int hf = f->conv == LMP_CONV_HF;
    size_t n = c->n, mk = f->min_keep;
    if (llama_literal(c, f->conv)) llama_softmax_sorted(c);
    else lmp_cand_array_softmax(c);
    if (hf && n <= LMP_SAMPLE_EXACT_MAX) {
        rank(c, c->logit, 1);
        double lim = Rd(c, 1.0 - P), acc = 0.0;
        for (size_t j = 0; j < n; j++) {
            acc += c->p[c->ord[j]];
            c->keep[c->ord[j]] = Rd(c, acc) > lim || j + mk >= n;
        }
        lmp_cand_array_keep(c, c->keep);
        return LMP_OK;
    }
    double tkey;
    size_t K = mass_cut(c, neg_logits(c), P, 0, !hf, 0, f->conv, &f->cs, &tkey);
    if (K >= mk) {
        lmp_cand_array_keep(c, c->keep);
    } else { /* the top min_keep ranks, ties as the cut ranks them */
        rank(c, neg_logits(c), !hf);
        keep_ranks(c, mk);
    }
    return LMP_OK;
}

/* Min-p (Nguyen et al. 2024). HF: keep p_i >= min_p * p_max (probabilities in
 * the dtype); llama: keep l_i >= l_max + log(min_p) (logit space, in the dtype).
 * Fewer than min_keep: the top min_keep by logit. */
static lmp_status minp_apply(void *vctx, lmp_cand_array *c, lmp_error *err)
{
    const filt_step *f = vctx;
    (void)err;
    double mp = f->v;
    if (mp <= 0) return LMP_OK;
    size_t kept = 0;
    if (f->conv == LMP_CONV_HF) {
        lmp_cand_array_softmax(c);
        double pmax = 0.0;
        for (size_t i = 0; i < c->n; i++) pmax = c->p[i] > pmax ? c->p[i] : pmax;
        double thr = Rd(c, mp * pmax);
        for (size_t i = 0; i < c->n; i++) kept += (c->keep[i] = c->p[i] >= thr);
    } else {
        double m = -INFINITY;
        for (size_t i = 0; i < c->n; i++) m = c->logit[i] > m ? c->logit[i] : m;
        double thr = Rd(c, m + Rd(c, log(mp)));
        for (size_t i = 0; i < c->n; i++) kept += (c->keep[i] = c->logit[i] >= thr);
    }
    if (kept >= f->min_keep) {
        lmp_cand_array_keep(c, c->keep);
    } else {
        keep_top(c, f->min_keep);
    }
    return LMP_OK;
}

/* Locally typical sampling (Meister et al. 2023): rank by |-log p_i - H|, the
 * distance of a token's information content from the entropy, and cut at the
 * typical mass (mass_cut; ties: the lower id first). HF: H and log p from
 * log_softmax in double (then the dtype), keep every score <= the score at the
 * cut (ties kept); llama: its sorted float softmax, logf and a float entropy sum,
 * the first cumulative mass > the target (strict), exactly that many. At least
 * min_keep either way. */
static lmp_status typical_apply(void *vctx, lmp_cand_array *c, lmp_error *err)
{
    filt_step *f = vctx;
    (void)err;
    double mass = f->v;
    if (mass >= 1.0) return LMP_OK;
    int hf = f->conv == LMP_CONV_HF, f32 = c->dtype == LMP_DTYPE_F32;
    size_t n = c->n;
    double *score = c->key, H = 0.0;
    if (llama_literal(c, f->conv)) {
        llama_softmax_sorted(c);
        for (size_t j = 0; j < n; j++) {
            double p = c->p[c->ord[j]];
            if (p > 0) H = R(1, H + R(1, -p * R(1, logf((float)p))));
        }
        for (size_t i = 0; i < n; i++)
            score[i] = c->p[i] > 0 ? R(1, fabs(R(1, -(double)logf((float)c->p[i])) - H)) : INFINITY;
    } else {
        lmp_cand_array_softmax(c);
        double m = -INFINITY, z = 0.0;
        for (size_t i = 0; i < n; i++) m = c->logit[i] > m ? c->logit[i] : m;
        for (size_t i = 0; i < n; i++) z += exp(c->logit[i] - m);
        double lse = m + log(z);
        for (size_t i = 0; i < n; i++) {
            score[i] = R(f32, c->logit[i] - lse); /* log p_i, for now */
            if (c->p[i] > 0) H -= score[i] * c->p[i];
        }
        H = R(f32, H);
        for (size_t i = 0; i < n; i++) score[i] = c->p[i] > 0 ? R(f32, fabs(-score[i] - H)) : INFINITY;
    }
    double t;
    size_t K = mass_cut(c, score, mass, !hf, 1, 1, f->conv, &f->cs, &t);
    if (hf) { /* every score <= the score at the cut */
        K = 0;
        for (size_t i = 0; i < n; i++) K += (c->keep[i] = score[i] <= t);
    }
    if (K >= f->min_keep) {
        lmp_cand_array_keep(c, c->keep);
    } else {
        rank(c, score, 1);
        keep_ranks(c, f->min_keep);
    }
    return LMP_OK;
}

/* Epsilon sampling (Hewitt et al. 2022): keep p_i >= epsilon, and every logit >=
 * the min_keep-th largest. */
static lmp_status eps_apply(void *vctx, lmp_cand_array *c, lmp_error *err)
{
    const filt_step *f = vctx;
    (void)err;
    if (f->v <= 0) return LMP_OK;
    lmp_cand_array_softmax(c);
    size_t mk = f->min_keep < c->n ? f->min_keep : c->n;
    double t = kth_largest_logit(c, mk), e = Rd(c, f->v);
    for (size_t i = 0; i < c->n; i++) c->keep[i] = c->p[i] >= e || c->logit[i] >= t;
    lmp_cand_array_keep(c, c->keep);
    return LMP_OK;
}

static const lmp_sampler_step_iface pen_iface = {"penalties", pen_apply, free};
static const lmp_sampler_step_iface temp_iface = {"temperature", temp_apply, free};
static const lmp_sampler_step_iface topk_iface = {"top_k", topk_apply, free};
static const lmp_sampler_step_iface topp_iface = {"top_p", topp_apply, free};
static const lmp_sampler_step_iface minp_iface = {"min_p", minp_apply, free};
static const lmp_sampler_step_iface typical_iface = {"typical", typical_apply, free};
static const lmp_sampler_step_iface eps_iface = {"epsilon", eps_apply, free};
static const lmp_sampler_step_iface greedy_iface = {"greedy", greedy_apply, NULL};

/* ---- the chain ----------------------------------------------------------------------- */

/* The slot of each built-in kind in a convention's order (sample.h's table). */
static int slot_of(smp_kind k, lmp_sampler_convention conv)
{
    static const int hf[] = {[SMP_PEN] = 0, [SMP_TEMP] = 1, [SMP_TOPK] = 2, [SMP_TOPP] = 3,
                             [SMP_MINP] = 4, [SMP_TYPICAL] = 5, [SMP_EPS] = 6};
    static const int llama[] = {[SMP_PEN] = 0, [SMP_TOPK] = 1, [SMP_TYPICAL] = 2, [SMP_TOPP] = 3,
                                [SMP_MINP] = 4, [SMP_EPS] = 5, [SMP_TEMP] = 6};
    if (k == SMP_GREEDY) k = SMP_TEMP; /* greedy is temperature 0 */
    return conv == LMP_CONV_HF ? hf[k] : llama[k];
}

/* Whether the chain is one lmp_sampler_params describes (built-in steps, each
 * kind at most once, in the convention's order); if so, s->prm describes it and
 * the fused engine may run it. */
static void chain_update(lmp_sampler *s)
{
    lmp_sampler_params q = s->prm;
    q.temperature = 1.0;
    q.top_k = 0;
    q.top_p = 1.0;
    q.min_p = 0.0;
    q.typical_p = 1.0;
    q.epsilon = 0.0;
    q.repetition_penalty = 1.0;
    q.frequency_penalty = 0.0;
    q.presence_penalty = 0.0;
    q.penalty_last_n = 0;
    int last = -1, ok = 1;
    for (size_t i = 0; i < s->nsteps && ok; i++) {
        const smp_step *st = &s->steps[i];
        if (st->kind == SMP_CUSTOM) {
            ok = 0;
            break;
        }
        int slot = slot_of(st->kind, q.conv);
        if (slot <= last) ok = 0;
        last = slot;
        switch (st->kind) {
        case SMP_PEN: {
            const pen_step *k = st->ctx;
            q.repetition_penalty = k->rep;
            q.frequency_penalty = k->freq;
            q.presence_penalty = k->pres;
            q.penalty_last_n = k->last_n;
            break;
        }
        case SMP_TEMP: q.temperature = ((const temp_step *)st->ctx)->T; break;
        case SMP_GREEDY: q.temperature = 0.0; break;
        case SMP_TOPK: q.top_k = ((const filt_step *)st->ctx)->k; break;
        case SMP_TOPP: q.top_p = ((const filt_step *)st->ctx)->v; break;
        case SMP_MINP: q.min_p = ((const filt_step *)st->ctx)->v; break;
        case SMP_TYPICAL: q.typical_p = ((const filt_step *)st->ctx)->v; break;
        case SMP_EPS: q.epsilon = ((const filt_step *)st->ctx)->v; break;
        default: ok = 0;
        }
    }
    if (ok) s->prm = q;
    s->fused = ok && s->prm.path == LMP_PATH_AUTO;
}

static lmp_status push_step(lmp_sampler *s, smp_kind kind, const lmp_sampler_step_iface *iface, void *ctx,
                            lmp_error *err)
{
    if (!s) { /* the step is the caller's to free only when the add never took it: here it did */
        if (ctx && iface->free) iface->free(ctx);
        return lmp_error_set(err, LMP_EINVAL, "sampler step %s: expected a sampler, got NULL", iface->name);
    }
    if (!ctx && kind != SMP_GREEDY && kind != SMP_CUSTOM)
        return lmp_error_set(err, LMP_ENOMEM, "sampler step %s: out of memory", iface->name);
    if (s->nsteps == s->steps_cap) {
        size_t cap = s->steps_cap ? 2 * s->steps_cap : 8;
        smp_step *ns = realloc(s->steps, cap * sizeof *ns);
        if (!ns) {
            if (iface->free) iface->free(ctx);
            return lmp_error_set(err, LMP_ENOMEM, "sampler step %s: out of memory", iface->name);
        }
        s->steps = ns;
        s->steps_cap = cap;
    }
    s->steps[s->nsteps++] = (smp_step){kind, iface, ctx};
    chain_update(s);
    return LMP_OK;
}

/* A filter step with the sampler's convention and min_keep. */
static lmp_status push_filter(lmp_sampler *s, smp_kind kind, const lmp_sampler_step_iface *iface, double v, long k,
                              lmp_error *err)
{
    if (!s) return push_step(NULL, kind, iface, NULL, err); /* the NULL sampler's error */
    filt_step *f = calloc(1, sizeof *f);
    if (f) {
        f->conv = s->prm.conv;
        f->min_keep = s->prm.min_keep;
        f->v = v;
        f->k = k;
    }
    return push_step(s, kind, iface, f, err);
}

/* Each add checks its value through lmp_sampler_params_check, so the messages are
 * those of the parameters. */
static lmp_status check_one(lmp_sampler_params q, lmp_error *err) { return lmp_sampler_params_check(&q, err); }

lmp_status lmp_sampler_add_penalties(lmp_sampler *s, double repetition, double frequency, double presence,
                                     size_t last_n, lmp_error *err)
{
    lmp_sampler_params q;
    lmp_sampler_params_init(&q);
    q.repetition_penalty = repetition;
    q.frequency_penalty = frequency;
    q.presence_penalty = presence;
    lmp_status st = check_one(q, err);
    if (st) return st;
    pen_step *k = malloc(sizeof *k);
    if (k) *k = (pen_step){repetition, frequency, presence, last_n};
    return push_step(s, SMP_PEN, &pen_iface, k, err);
}

lmp_status lmp_sampler_add_temperature(lmp_sampler *s, double T, lmp_error *err)
{
    lmp_sampler_params q;
    lmp_sampler_params_init(&q);
    q.temperature = T;
    lmp_status st = check_one(q, err);
    if (st) return st;
    temp_step *k = malloc(sizeof *k);
    if (k) k->T = T;
    return push_step(s, SMP_TEMP, &temp_iface, k, err);
}

lmp_status lmp_sampler_add_top_k(lmp_sampler *s, long k, lmp_error *err)
{
    lmp_sampler_params q;
    lmp_sampler_params_init(&q);
    q.top_k = k;
    lmp_status st = check_one(q, err);
    return st ? st : push_filter(s, SMP_TOPK, &topk_iface, 0.0, k, err);
}

lmp_status lmp_sampler_add_top_p(lmp_sampler *s, double p, lmp_error *err)
{
    lmp_sampler_params q;
    lmp_sampler_params_init(&q);
    q.top_p = p;
    lmp_status st = check_one(q, err);
    return st ? st : push_filter(s, SMP_TOPP, &topp_iface, p, 0, err);
}

lmp_status lmp_sampler_add_min_p(lmp_sampler *s, double min_p, lmp_error *err)
{
    lmp_sampler_params q;
    lmp_sampler_params_init(&q);
    q.min_p = min_p;
    lmp_status st = check_one(q, err);
    return st ? st : push_filter(s, SMP_MINP, &minp_iface, min_p, 0, err);
}

lmp_status lmp_sampler_add_typical(lmp_sampler *s, double mass, lmp_error *err)
{
    lmp_sampler_params q;
    lmp_sampler_params_init(&q);
    q.typical_p = mass;
    lmp_status st = check_one(q, err);
    return st ? st : push_filter(s, SMP_TYPICAL, &typical_iface, mass, 0, err);
}

lmp_status lmp_sampler_add_epsilon(lmp_sampler *s, double epsilon, lmp_error *err)
{
    lmp_sampler_params q;
    lmp_sampler_params_init(&q);
    q.epsilon = epsilon;
    lmp_status st = check_one(q, err);
    return st ? st : push_filter(s, SMP_EPS, &eps_iface, epsilon, 0, err);
}

lmp_status lmp_sampler_add_greedy(lmp_sampler *s, lmp_error *err)
{
    return push_step(s, SMP_GREEDY, &greedy_iface, NULL, err);
}

lmp_status lmp_sampler_add_step_take(lmp_sampler *s, const lmp_sampler_step_iface *iface, void *ctx, lmp_error *err)
{
    if (!iface || !iface->apply) {
        if (iface && iface->free) iface->free(ctx);
        return lmp_error_set(err, LMP_EINVAL, "sampler step: expected an interface with apply, got %s",
                             iface ? "apply = NULL" : "NULL");
    }
    return push_step(s, SMP_CUSTOM, iface, ctx, err);
}

size_t lmp_sampler_n_steps(const lmp_sampler *s) { return s->nsteps; }

const char *lmp_sampler_step_name(const lmp_sampler *s, size_t i)
{
    return i < s->nsteps ? s->steps[i].iface->name : NULL;
}

int lmp_sampler_is_fused(const lmp_sampler *s) { return s->fused; }

/* The steps lmp_sampler_create starts with: those its params turn on, in the
 * convention's order. */
lmp_status smp_chain_init(lmp_sampler *s, lmp_error *err)
{
    const lmp_sampler_params p = s->prm;
    for (int slot = 0; slot < 7; slot++) {
        lmp_status st = LMP_OK;
        smp_kind k;
        for (k = SMP_PEN; k <= SMP_EPS; k++)
            if (slot_of(k, p.conv) == slot) break;
        switch (k) {
        case SMP_PEN:
            if (p.repetition_penalty != 1.0 || p.frequency_penalty != 0.0 || p.presence_penalty != 0.0)
                st = lmp_sampler_add_penalties(s, p.repetition_penalty, p.frequency_penalty, p.presence_penalty,
                                               p.penalty_last_n, err);
            break;
        case SMP_TEMP:
            if (p.temperature != 1.0) st = lmp_sampler_add_temperature(s, p.temperature, err);
            break;
        case SMP_TOPK:
            if (p.top_k > 0) st = lmp_sampler_add_top_k(s, p.top_k, err);
            break;
        case SMP_TOPP:
            if (p.top_p < 1.0) st = lmp_sampler_add_top_p(s, p.top_p, err);
            break;
        case SMP_MINP:
            if (p.min_p > 0.0) st = lmp_sampler_add_min_p(s, p.min_p, err);
            break;
        case SMP_TYPICAL:
            if (p.typical_p < 1.0) st = lmp_sampler_add_typical(s, p.typical_p, err);
            break;
        case SMP_EPS:
            if (p.epsilon > 0.0) st = lmp_sampler_add_epsilon(s, p.epsilon, err);
            break;
        default: break;
        }
        if (st) return st;
    }
    s->prm = p; /* penalty_last_n etc. as given, even where a step is off */
    chain_update(s);
    return LMP_OK;
}

void smp_chain_free(lmp_sampler *s)
{
    for (size_t i = 0; i < s->nsteps; i++)
        if (s->steps[i].iface->free) s->steps[i].iface->free(s->steps[i].ctx);
    free(s->steps);
}

/* ---- the reference apply ------------------------------------------------------------- */

/* Load every token as a candidate: its logit (float32: rounded to float; a NaN,
 * +inf or a double beyond the float range is an error), then the steps in order,
 * then p = softmax(logit) over the kept set. */
lmp_status smp_chain_apply(lmp_sampler *s, const float *lf, const double *ld, size_t V, const lmp_token_id *hist,
                           size_t nh, lmp_error *err)
{
    lmp_cand_array *c = &s->cand;
    *c = (lmp_cand_array){.id = s->id, .logit = s->lg, .p = s->p, .n = 0, .p_ok = 0, .dtype = s->prm.dtype,
                          .V = V, .hist = hist, .nhist = nh, .ord = s->ord, .key = s->key, .keep = s->flag,
                          .simd_level = s->isa};
    if (V == 0) return lmp_error_set(err, LMP_EINVAL, "logits: expected at least one logit, got an empty vector");
    if (V > s->cap)
        return lmp_error_set(err, LMP_EINVAL, "logits: V = %zu: expected at most the sampler's max_vocab = %zu", V,
                             s->cap);
    int f32 = s->prm.dtype == LMP_DTYPE_F32, finite = 0;
    for (size_t i = 0; i < V; i++) {
        double v = lf ? (double)lf[i] : ld[i];
        if (isnan(v) || v == INFINITY)
            return smp_bad_logit_error(i, v, err);
        if (f32 && isinf((float)v) && !isinf(v))
            return lmp_error_set(err, LMP_EINVAL, "logit[%zu] = %g: expected a value representable in float32", i,
                                 v);
        c->id[i] = (lmp_token_id)i;
        c->logit[i] = f32 ? (double)(float)v : v;
        finite |= v > -INFINITY;
    }
    if (!finite) return smp_no_finite_error(V, err);
    c->n = V;
    for (size_t i = 0; i < s->nsteps; i++) {
        const smp_step *st = &s->steps[i];
        lmp_status r = st->iface->apply(st->ctx, c, err);
        if (r) return r;
        if (c->n == 0 || c->n > V)
            return lmp_error_set(err, LMP_EINVAL, "sampler step %s left %zu candidates: expected from 1 to %zu",
                                 st->iface->name, c->n, V);
    }
    lmp_cand_array_softmax(c);
    return LMP_OK;
}
