/* The fused engine's general path: the load pass, the penalties, the softmax in
 * the dtype and one function per filter, over the survivors in ascending id order. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sampler_internal.h"

/* Form lg[] when the top-p fast path left it pending. */
void smp_lg_ready(lmp_sampler *s)
{
    if (!s->lg_pending) return;
    lmp_sample_logits_widen(s->isa, (const float *)(const void *)s->work, s->n, s->lg_tf, s->lg);
    s->lg_pending = 0;
}
/* ---- probabilities ----------------------------------------------------------------- */

/* p = softmax(lg) over the survivors, in the sampler's dtype. */
void smp_cur_softmax(lmp_sampler *s)
{
    size_t n = s->n;
    double m = s->max_ok ? s->lgmax : lmp_sample_max(s->isa, s->lg, n);
    s->lgmax = m;
    s->max_ok = 1;
    /* the exps are already there when the top-p fast path wrote them (the same
     * kernel on the same values: the same bits), and a compaction since then
     * moved them with their logits */
    double z = s->p_exps ? lmp_sample_sum_exps(s->isa, s->p, n) : lmp_sample_exp_sum(s->isa, s->lg, n, m, s->p, s->f32);
    s->p_exps = 0;
    if (s->f32) z = (double)(float)z;
    /* Division (not multiplication by 1/z) so that p equals numpy's e / e.sum(). */
    lmp_sample_scale(s->isa, s->p, n, z, s->f32);
}

/* llama.cpp's llama_sampler_softmax_impl for the literal path: candidates
 * sorted by logit descending (ties: lower id first), e = expf(l - max), a float
 * running sum in that order, p = e / sum. Fills s->p (by position) and leaves
 * the sorted positions in s->ord. */
void smp_llama_softmax_sorted(lmp_sampler *s)
{
    size_t n = s->n, *ord = s->ord;
    s->p_exps = 0;
    for (size_t i = 0; i < n; i++) {
        ord[i] = i;
        s->key[i] = -s->lg[i];
    }
    smp_sort_positions(ord, n, s->key, 1);
    double mx = s->lg[ord[0]], z = 0.0;
    for (size_t j = 0; j < n; j++) {
        size_t i = ord[j];
        s->p[i] = (double)expf((float)(s->lg[i] - mx));
        z = (double)(float)(z + s->p[i]);
    }
    for (size_t i = 0; i < n; i++) s->p[i] = (double)(float)(s->p[i] / z);
}

int smp_llama_literal(const lmp_sampler *s)
{
    return s->prm.conv == LMP_CONV_LLAMA && s->f32 && s->n <= LMP_SAMPLE_EXACT_MAX;
}

/* ---- filters ------------------------------------------------------------------------ */

void smp_step_temperature(lmp_sampler *s)
{
    double T = s->prm.temperature;
    if (T == 1.0 || s->temp_done) return;
    smp_lg_ready(s);
    s->p_exps = 0; /* the logits change */
    if (T == 0.0) { /* greedy: keep the first maximum (lowest id) */
        size_t arg = 0;
        for (size_t i = 1; i < s->n; i++)
            if (s->lg[i] > s->lg[arg]) arg = i;
        s->id[0] = s->ident ? (lmp_token_id)arg : s->id[arg];
        s->lg[0] = s->lg[arg];
        s->n = 1;
        s->ident = 0;
        return;
    }
    /* float32: x / (float)T in float, the correctly rounded quotient (torch, llama.cpp).
     * A quotient that overflows is an error, reported by apply once the steps are
     * done (the first such token in id order, as the reference step reports it). */
    float tf = (float)T;
    size_t arg = 0; /* the largest logit: where every quotient is -inf, it is the one reported */
    double lmax = -INFINITY, qmax = -INFINITY;
    for (size_t i = 0; i < s->n; i++) {
        double l = s->lg[i], q = s->f32 ? (double)((float)l / tf) : l / T;
        if (q == INFINITY && !s->t_over) {
            s->t_over = 1;
            s->t_over_id = s->ident ? (lmp_token_id)i : s->id[i];
            s->t_over_v = l;
        }
        if (l > lmax) lmax = l, arg = i;
        if (q > qmax) qmax = q;
        s->lg[i] = q;
    }
    if (qmax == -INFINITY && lmax > -INFINITY && !s->t_over) { /* finite logits all overflowed to -inf */
        s->t_over = 1;
        s->t_over_id = s->ident ? (lmp_token_id)arg : s->id[arg];
        s->t_over_v = lmax;
    }
    s->max_ok = 0;
}

void smp_keys_neg_logit(lmp_sampler *s)
{
    for (size_t i = 0; i < s->n; i++) s->key[i] = -s->lg[i];
}

void smp_step_top_k(lmp_sampler *s)
{
    long k = s->prm.top_k;
    if (k <= 0 || s->topk_done) return;
    size_t K = (size_t)k;
    int hf = s->prm.conv == LMP_CONV_HF;
    if (hf && K < s->prm.min_keep) K = s->prm.min_keep;
    if (K >= s->n) return;
    size_t m;
    double t = smp_kth_largest_logit(s, K, &m);
    /* HF: remove scores < the k-th value; every tie survives; a -inf k-th value
     * removes nothing. llama: exactly K, the ties at the k-th value by lower id. */
    size_t rtie = TIES_ALL;
    if (!hf) {
        size_t gt = 0;
        if (m) for (size_t j = 0; j < m; j++) gt += s->lg[s->ord[j]] > t;
        else for (size_t i = 0; i < s->n; i++) gt += s->lg[i] > t;
        rtie = K - gt;
    }
    if (m) smp_compact_gathered(s, m, t, rtie);
    else smp_compact_by_logit(s, t, rtie, 1);
}

void smp_step_top_p(lmp_sampler *s)
{
    double P = s->prm.top_p;
    if (P >= 1.0 || s->topp_done) return;
    int hf = s->prm.conv == LMP_CONV_HF;
    size_t mk = s->prm.min_keep, n = s->n;
    if (smp_llama_literal(s)) smp_llama_softmax_sorted(s);
    else smp_cur_softmax(s);
    if (hf && n <= LMP_SAMPLE_EXACT_MAX) {
        /* HF literally: sort ascending (stable: ties by id ascending), cumulative
         * sum ascending in the dtype, remove cum <= 1 - p, keep the last min_keep. */
        size_t *ord = s->ord;
        for (size_t i = 0; i < n; i++) ord[i] = i;
        /* the same order either way (a total one, ties by id); work is free here, as in the cut below */
        if (n >= 64 && n <= s->work_n / 4) smp_sort_positions_radix(ord, n, s->lg, 1, s->work);
        else smp_sort_positions(ord, n, s->lg, 1);
        double lim = R(s->f32, 1.0 - P), acc = 0.0;
        for (size_t j = 0; j < n; j++) {
            acc += s->p[ord[j]]; /* torch's CPU cumsum: double accumulator, output in the dtype */
            s->flag[ord[j]] = R(s->f32, acc) > lim || j + mk >= n;
        }
        smp_compact_by_flag(s);
        return;
    }
    /* Descending rank = ascending -logit; HF's stable ascending sort ranks the
     * higher id above its ties, llama's scan the lower. */
    smp_keys_neg_logit(s);
    size_t K, rtie;
    double tkey;
    smp_mass_cut(s, P, 0, !hf, s->max_ok ? -s->lgmax : NAN, &K, &tkey, &rtie);
    if (K < mk) smp_keep_first_ranks(s, mk, !hf);
    else if (K < n) smp_compact_by_key_t(s, tkey, rtie, !hf, s->cut_ties);
}

void smp_step_min_p(lmp_sampler *s)
{
    double mp = s->prm.min_p;
    if (mp <= 0 || s->minp_done) return;
    smp_lg_ready(s);
    size_t n = s->n, kept = 0;
    int exact_done = 0;
    if (s->prm.conv == LMP_CONV_HF && n > LMP_SAMPLE_EXACT_MAX) {
        /* p_i >= min_p * p_max <=> l_i - l_max >= log(min_p) in exact arithmetic;
         * HF's rounded probabilities can only disagree for logits within a few
         * ulps of that line. Decide in logit space when no logit is within a
         * generous margin of it (no exp over V); otherwise fall back to HF's
         * literal softmax comparison below. */
        double m = s->max_ok ? s->lgmax : lmp_sample_max(s->isa, s->lg, n), L = log(mp);
        double margin = (fabs(L) + 8.0) * (s->f32 ? 1e-5 : 1e-12);
        size_t near = 0;
        for (size_t i = 0; i < n; i++) {
            double d = s->lg[i] - m - L;
            near += fabs(d) <= margin;
            kept += (s->flag[i] = d >= 0);
        }
        exact_done = near == 0;
        if (!exact_done) kept = 0;
    }
    if (exact_done) {
        /* decided in logit space */
    } else if (s->prm.conv == LMP_CONV_HF) {
        smp_cur_softmax(s);
        double pmax = 0.0;
        for (size_t i = 0; i < n; i++)
            if (s->p[i] > pmax) pmax = s->p[i];
        double thr = R(s->f32, mp * pmax);
        for (size_t i = 0; i < n; i++) kept += (s->flag[i] = s->p[i] >= thr);
    } else {
        /* llama.cpp: in logit space, p_i >= min_p * p_max <=> l_i >= l_max + log(min_p). */
        double m = -INFINITY;
        for (size_t i = 0; i < n; i++)
            if (s->lg[i] > m) m = s->lg[i];
        double thr = R(s->f32, m + R(s->f32, log(mp)));
        for (size_t i = 0; i < n; i++) kept += (s->flag[i] = s->lg[i] >= thr);
    }
    if (kept < s->prm.min_keep) {
        smp_keys_neg_logit(s);
        smp_keep_first_ranks(s, s->prm.min_keep, 1);
    } else if (kept < n) {
        smp_compact_by_flag(s);
    }
}

void smp_step_typical(lmp_sampler *s)
{
    double mass = s->prm.typical_p;
    if (mass >= 1.0) return;
    smp_lg_ready(s);
    int hf = s->prm.conv == LMP_CONV_HF, f32 = s->f32;
    size_t n = s->n, mk = s->prm.min_keep;
    /* Meister et al. 2023: rank by |-log p - H|, the distance of the token's
     * information content from the entropy (the expected information content). */
    double H = 0.0;
    if (smp_llama_literal(s)) {
        /* llama.cpp: float softmax in sorted order, float entropy sum in that order, logf. */
        smp_llama_softmax_sorted(s);
        for (size_t j = 0; j < n; j++) {
            double p = s->p[s->ord[j]];
            if (p > 0) H = R(1, H + R(1, -p * R(1, logf((float)p))));
        }
        for (size_t i = 0; i < n; i++)
            s->key[i] = s->p[i] > 0 ? R(1, fabs(R(1, -(double)logf((float)s->p[i])) - H)) : INFINITY;
    } else {
        /* Hugging Face: normalized = log_softmax(scores); H = -nansum(normalized * p);
         * shifted = |-normalized - H|. */
        smp_cur_softmax(s);
        double m = -INFINITY, z = 0.0;
        for (size_t i = 0; i < n; i++)
            if (s->lg[i] > m) m = s->lg[i];
        for (size_t i = 0; i < n; i++) z += exp(s->lg[i] - m);
        double lse = m + log(z);
        for (size_t i = 0; i < n; i++) {
            s->key[i] = R(f32, s->lg[i] - lse); /* log-probability */
            if (s->p[i] > 0) H -= s->key[i] * s->p[i];
        }
        H = R(f32, H);
        for (size_t i = 0; i < n; i++)
            s->key[i] = s->p[i] > 0 ? R(f32, fabs(-s->key[i] - H)) : INFINITY;
    }
    size_t K, rtie;
    double tkey;
    /* HF: last = count(cum < mass): the first rank with cum >= mass, then keep
     * every key <= its key. llama: the first rank with cum > mass (strict),
     * exactly that many. Both rank ties by lower id first (stable sort). */
    smp_mass_cut(s, mass, !hf, 1, NAN, &K, &tkey, &rtie);
    if (hf) {
        size_t kept = 0;
        for (size_t i = 0; i < n; i++) kept += s->key[i] <= tkey;
        if (kept < mk) smp_keep_first_ranks(s, mk, 1);
        else smp_compact_by_key(s, tkey, TIES_ALL, 1);
    } else {
        if (K < mk) smp_keep_first_ranks(s, mk, 1);
        else if (K < n) smp_compact_by_key(s, tkey, rtie, 1);
    }
    s->max_ok = 0; /* typical sampling may drop the most probable token */
}

void smp_step_epsilon(lmp_sampler *s)
{
    double eps = s->prm.epsilon;
    if (eps <= 0) return;
    smp_lg_ready(s);
    size_t n = s->n;
    smp_cur_softmax(s);
    /* HF EpsilonLogitsWarper: remove p < eps unless the score is >= the
     * min_keep-th largest score. */
    size_t mk = s->prm.min_keep < n ? s->prm.min_keep : n;
    smp_keys_neg_logit(s);
    double t = -smp_kth_smallest_key(s, s->key, n, mk);
    double e = R(s->f32, eps);
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) kept += (s->flag[i] = s->p[i] >= e || s->lg[i] >= t);
    if (kept < n) smp_compact_by_flag(s);
}

/* ---- apply ------------------------------------------------------------------------- */

lmp_status smp_all_inf_error(const float *lf, const double *ld, size_t V, double T, lmp_error *err)
{
    size_t arg = V;
    double mx = -INFINITY;
    for (size_t i = 0; i < V; i++) {
        double v = ld ? ld[i] : (double)lf[i];
        if (v > mx) mx = v, arg = i;
    }
    if (arg < V)
        return lmp_error_set(err, LMP_ERANGE, "logit[%zu] / T = %g / %g overflows: expected a larger T", arg, mx, T);
    return smp_no_finite_error(V, err);
}

/* The two input errors of every path, in one wording (info.h's logit checks use it too) */
lmp_status smp_bad_logit_error(size_t i, double v, lmp_error *err)
{
    return lmp_error_set(err, LMP_EINVAL, "logit[%zu] = %g: expected a finite number or -inf", i, v);
}

lmp_status smp_no_finite_error(size_t V, lmp_error *err)
{
    return lmp_error_set(err, LMP_EINVAL, "all %zu logits are -inf: expected at least one finite logit", V);
}

lmp_status smp_load(lmp_sampler *s, const float *lf, const double *ld, size_t V, double T, lmp_error *err)
{
    if (V == 0) return lmp_error_set(err, LMP_EINVAL, "logits: expected at least one logit, got an empty vector");
    if (V > s->cap)
        return lmp_error_set(err, LMP_EINVAL, "logits: V = %zu: expected at most the sampler's max_vocab = %zu", V,
                             s->cap);
    double mx;
    size_t bad = lmp_sample_load(s->isa, lf, ld, V, T, s->lg, s->f32, &mx);
    if (bad < V) {
        double v = ld ? ld[bad] : (double)lf[bad];
        if (isnan(v) || v == INFINITY)
            return smp_bad_logit_error(bad, v, err);
        if (T != 1.0)
            return lmp_error_set(err, LMP_ERANGE, "logit[%zu] / T = %g / %g overflows: expected a larger T", bad, v, T);
        return lmp_error_set(err, LMP_EINVAL, "logit[%zu] = %g: expected a value representable in float32", bad, v);
    }
    if (mx == -INFINITY) return smp_all_inf_error(lf, ld, V, T, err);
    s->n = V;
    s->ident = 1;
    s->lgmax = mx;
    s->max_ok = 1;
    return LMP_OK;
}

lmp_status smp_penalties(lmp_sampler *s, size_t V, const lmp_token_id *hist, size_t nh, lmp_error *err)
{
    const lmp_sampler_params *p = &s->prm;
    if (p->repetition_penalty == 1.0 && p->frequency_penalty == 0.0 && p->presence_penalty == 0.0) return LMP_OK;
    /* the history was checked by lmp_sampler_apply (every id in [0, V)) */
    size_t start = p->penalty_last_n && nh > p->penalty_last_n ? nh - p->penalty_last_n : 0;
    int f = s->f32;
    double rep = R(f, p->repetition_penalty), fr = R(f, p->frequency_penalty), pr = R(f, p->presence_penalty);
    s->max_ok = 0;
    for (size_t i = start; i < nh; i++) s->cnt[hist[i]]++;
    lmp_token_id sank = -1; /* the last finite logit a penalty took to -inf */
    double sank_from = 0.0;
    for (size_t i = start; i < nh; i++) {
        lmp_token_id t = hist[i];
        uint32_t c = s->cnt[t];
        if (c == 0) continue; /* already done: once per distinct token */
        s->cnt[t] = 0;
        double l = s->lg[t];
        if (rep != 1.0) l = R(f, l <= 0 ? l * rep : l / rep);
        if (fr != 0.0 || pr != 0.0) l = R(f, l - R(f, R(f, (double)c * fr) + pr));
        if (l == INFINITY) return smp_penalty_overflow(t, s->lg[t], rep, fr, pr, err);
        if (l == -INFINITY && s->lg[t] != -INFINITY) {
            sank = t;
            sank_from = s->lg[t];
        }
        s->lg[t] = l;
    }
    if (sank >= 0) { /* rare: look for a finite logit left only then */
        size_t i = 0;
        while (i < V && s->lg[i] == -INFINITY) i++;
        if (i == V) return smp_penalty_sank_all(sank, sank_from, rep, fr, pr, err);
    }
    return LMP_OK;
}

/* A finite logit pushed to +inf by a tiny repetition penalty (z / 1e-310) or a huge negative frequency or
 * presence penalty: its softmax is inf / inf, so the float64 probabilities were all NaN and the draw
 * returned token 0 (float32 gave the inf token probability 1). An error, as for a temperature. */
lmp_status smp_penalty_overflow(lmp_token_id t, double before, double rep, double freq, double pres, lmp_error *err)
{
    return lmp_error_set(err, LMP_ERANGE,
                         "logit[%d] = %g with repetition_penalty = %g, frequency_penalty = %g, presence_penalty = %g "
                         "overflows: expected smaller penalties", (int)t, before, rep, freq, pres);
}

/* The last finite logits pushed to -inf by the penalties (-3e38, the mask value of Hugging Face's float32
 * models, times a repetition penalty of 1.5, say): nothing is left to sample, as when every logit is -inf on
 * input, and the draw returned a token of probability 0. An error, naming the last one that went. */
lmp_status smp_penalty_sank_all(lmp_token_id t, double before, double rep, double freq, double pres, lmp_error *err)
{
    return lmp_error_set(err, LMP_ERANGE,
                         "logit[%d] = %g with repetition_penalty = %g, frequency_penalty = %g, presence_penalty = %g "
                         "becomes -inf, and so does every other logit: expected smaller penalties or at least one "
                         "finite logit outside the history", (int)t, before, rep, freq, pres);
}
