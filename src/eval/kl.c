/* Two models compared position by position: KL both ways and Jensen-Shannon
 * over the whole vocabulary (include/lmprob/eval.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../core/bigmem.h"
#include "eval_internal.h"
#include "../info/vmath.h"     /* the row kernel */
#include "../lm/lm_internal.h"   /* lm_ctx_predict_scores_f32 */
#include "../sample/kernels.h" /* lmp_sample_isa_best */

#define KL_ROWS 64 /* distributions per batch and model: 64 x 50257 floats = 12.9 MB for GPT-2 */

lmp_status lmp_lm_check_same_vocab(const lmp_lm *a, const lmp_lm *b, lmp_error *err)
{
    if (!a || !b) return lmp_error_set(err, LMP_EINVAL, "vocabulary check: expected two models, got NULL");
    size_t va = lmp_lm_vocab_size(a), vb = lmp_lm_vocab_size(b);
    if (va != vb)
        return lmp_error_set(err, LMP_EINVAL,
                             "the models have different vocabularies: %zu tokens against %zu (expected the same "
                             "vocabulary: the same tokens with the same ids)", va, vb);
    for (size_t v = 0; v < va; v++) {
        size_t la, lb;
        const char *ta = lmp_lm_token_text(a, (lmp_token_id)v, &la), *tb = lmp_lm_token_text(b, (lmp_token_id)v, &lb);
        if (!ta || !tb) continue; /* a model without token texts: ids are all there is */
        if (la != lb || memcmp(ta, tb, la) != 0)
            return lmp_error_set(err, LMP_EINVAL,
                                 "the models have different vocabularies: token %zu is '%.*s' in the first and '%.*s' "
                                 "in the second (expected the same tokens with the same ids)",
                                 v, (int)(la > 40 ? 40 : la), ta, (int)(lb > 40 ? 40 : lb), tb);
    }
    return LMP_OK;
}

/* KL(A||B), KL(B||A) and JS of two rows of log-probabilities, each renormalised first (a
 * model's floats sum to 1 only up to rounding), in the vector kernel of info (vmath.h): terms
 * with p = 0 are 0 (0 log 0 = 0); p > 0 against q = 0 makes KL +inf. Each sum is >= 0 in exact
 * arithmetic; a negative rounding residue is reported as 0. */
static void row_divergence(const float *ra, const float *rb, size_t V, lmp_kl_point *p)
{
    /* each log-sum-exp in two parts, the maximum and log1p of the rest: logits near 1e30 lost the
     * rest (ln V) to the rounding of their sum, and their probabilities summed to V */
    const int isa = lmp_sample_isa_best();
    double ma, mb, sa = lmp_vm_lse_parts(isa, ra, V, &ma), sb = lmp_vm_lse_parts(isa, rb, V, &mb);
    lmp_vm_dd s[3];
    lmp_vm_logit_div(isa, ra, rb, V, ma, sa, mb, sb, s);
    double kab = lmp_vm_dd_val(s[0]), kba = lmp_vm_dd_val(s[1]), js = lmp_vm_dd_val(s[2]);
    p->kl_ab = kab > 0 ? kab : 0.0;
    p->kl_ba = kba > 0 ? kba : 0.0;
    p->js = js > 0 ? js : 0.0;
    p->logprob_a = ((double)ra[p->id] - ma) - sa;
    p->logprob_b = ((double)rb[p->id] - mb) - sb;
}

static void track_max(double v, size_t pos, double *max, size_t *arg)
{
    if (v > *max || (isinf(v) && *max != INFINITY)) {
        *max = v;
        *arg = pos;
    }
}

lmp_status lmp_eval_kl(lmp_lm_ctx *a, lmp_lm_ctx *b, const lmp_token_id *ids, size_t n, size_t window, size_t stride,
                       lmp_kl_fn fn, void *ud, lmp_kl_result *out, lmp_error *err)
{
    if (!a || !b || !out) return lmp_error_set(err, LMP_EINVAL, "kl: expected two contexts and a result, got NULL");
    if (a == b) return lmp_error_set(err, LMP_EINVAL, "kl: expected two contexts, got the same one twice");
    const lmp_lm *ma = lmp_lm_ctx_model(a), *mb = lmp_lm_ctx_model(b);
    lmp_status st = lmp_lm_check_same_vocab(ma, mb, err);
    if (st) return st;
    if (window == 0) { /* the smaller of the two contexts the models attend to */
        lmp_lm_info ia, ib;
        lmp_lm_get_info(ma, &ia);
        lmp_lm_get_info(mb, &ib);
        window = ia.n_ctx && ib.n_ctx ? (ia.n_ctx < ib.n_ctx ? ia.n_ctx : ib.n_ctx) : ia.n_ctx ? ia.n_ctx : ib.n_ctx;
    }
    size_t span, wb = window, sb = stride;
    if ((st = eval_check_windows(a, ids, n, &window, &stride, &span, err))) return st;
    if ((st = eval_check_windows(b, ids, n, &wb, &sb, &span, err))) return st;
    size_t V = lmp_lm_vocab_size(ma);
    float *ra = malloc((size_t)KL_ROWS * V * sizeof *ra), *rb = malloc((size_t)KL_ROWS * V * sizeof *rb);
    if (!ra || !rb) {
        free(ra);
        free(rb);
        return lmp_error_set(err, LMP_ENOMEM, "kl: out of memory for 2 x %d distributions of %zu tokens", KL_ROWS, V);
    }
    /* written whole by the first batch: 2 MB pages, as the GPT-2 model's rows of logits (lm_gpt2.c) */
    mem_hugepages(ra, (size_t)KL_ROWS * V * sizeof *ra);
    mem_hugepages(rb, (size_t)KL_ROWS * V * sizeof *rb);
    lmp_kl_result r;
    memset(&r, 0, sizeof r);
    /* below every divergence (>= 0), so that the first position compared is the argmax of equal ones (two
     * equal models: all 0, and the argmax was position 0, which is never compared) */
    r.max_kl_ab = r.max_kl_ba = r.max_js = -INFINITY;
    double sum_ba = 0.0, sum_js = 0.0;
    size_t prev_end = 0;
    for (size_t begin = 0; !st && begin < n; begin += stride) {
        size_t end = begin + window < n ? begin + window : n;
        size_t first = prev_end > begin + 1 ? prev_end : begin + 1;
        if (first > end) first = end;
        if ((st = eval_window(a, ids, begin, first, err)) || (st = eval_window(b, ids, begin, first, err))) break;
        for (size_t t = first; t < end; t += KL_ROWS) {
            size_t k = end - t < KL_ROWS ? end - t : KL_ROWS;
            if ((st = lm_ctx_predict_scores_f32(a, ids + t, k, ra, err)) ||
                (st = lm_ctx_predict_scores_f32(b, ids + t, k, rb, err)))
                break;
            for (size_t i = 0; i < k; i++) {
                if (isnan(ra[i * V]) || isnan(rb[i * V])) continue; /* not predicted by a model (lm.h) */
                lmp_kl_point p = {t + i, ids[t + i], 0, 0, 0, 0, 0};
                row_divergence(ra + i * V, rb + i * V, V, &p);
                r.positions++;
                r.sum_kl_ab += p.kl_ab;
                sum_ba += p.kl_ba;
                sum_js += p.js;
                r.sum_log_ratio += p.logprob_a - p.logprob_b;
                track_max(p.kl_ab, p.pos, &r.max_kl_ab, &r.argmax_kl_ab);
                track_max(p.kl_ba, p.pos, &r.max_kl_ba, &r.argmax_kl_ba);
                track_max(p.js, p.pos, &r.max_js, &r.argmax_js);
                if (fn && fn(ud, &p)) {
                    st = lmp_error_set(err, LMP_ECANCELED, "kl: stopped by the caller at position %zu", p.pos);
                    break;
                }
            }
            if (st) break;
        }
        r.forward_passes++;
        prev_end = end;
        if (end == n) break;
    }
    free(ra);
    free(rb);
    if (st) return st;
    if (r.positions == 0) {
        /* Undefined, not failed: the passes made, nothing compared, NaN means and maxima (empty sums 0) */
        r.mean_kl_ab = r.mean_kl_ba = r.mean_js = r.max_kl_ab = r.max_kl_ba = r.max_js = NAN;
        *out = r;
        return lmp_error_set(err, LMP_EDOM, "kl over %zu token%s: no position to compare (the first token of a "
                             "window is context only)", n, n == 1 ? "" : "s");
    }
    r.mean_kl_ab = r.sum_kl_ab / (double)r.positions;
    r.mean_kl_ba = sum_ba / (double)r.positions;
    r.mean_js = sum_js / (double)r.positions;
    *out = r;
    return LMP_OK;
}
