/* Sliding-window perplexity over lm.h (see include/lmprob/eval.h for the
 * definition and ../shared/chapter/ERRATA.md for why the chapter's version
 * differs). */
#include <math.h>

#include "lmprob/eval.h"

size_t lmp_eval_window_count(size_t n, size_t window, size_t stride)
{
    if (n < 2 || window < 2 || stride == 0 || stride > window) return 0;
    if (n <= window) return 1;
    return 1 + (n - window + stride - 1) / stride;
}

static lmp_status check_args(const lmp_lm *lm, const int32_t *ids, size_t n, size_t window, size_t stride,
                             lmp_error *err)
{
    if (!lm || !lm->vt || !lm->vt->score) return lmp_error_set(err, LMP_EINVAL, "model: expected a model, got NULL");
    if (n > 0 && !ids) return lmp_error_set(err, LMP_EINVAL, "ids: expected %zu token ids, got NULL", n);
    if (window < 2) return lmp_error_set(err, LMP_EINVAL, "window = %zu: expected window >= 2", window);
    if (stride == 0 || stride > window)
        return lmp_error_set(err, LMP_EINVAL, "stride = %zu: expected 1 <= stride <= window (%zu)", stride, window);
    for (size_t i = 0; i < n; i++)
        if (ids[i] < 0 || (size_t)ids[i] >= lm->vocab_size)
            return lmp_error_set(err, LMP_EINVAL, "ids[%zu] = %d: expected a token id in [0, %zu)", i, (int)ids[i],
                                 lm->vocab_size);
    return LMP_OK;
}

lmp_status lmp_eval_sliding_window(const lmp_lm *lm, const int32_t *ids, size_t n, size_t window,
                                   size_t stride, lmp_eval_result *out, lmp_error *err)
{
    lmp_status st = check_args(lm, ids, n, window, stride, err);
    if (st) return st;
    if (!out) return lmp_error_set(err, LMP_EINVAL, "out: expected a result record, got NULL");
    if (n < 2)
        return lmp_error_set(err, LMP_EDOM, "n = %zu tokens: expected at least 2 (token 0 is context only)", n);
    lmp_eval_result r = {0};
    size_t prev_end = 0;
    for (size_t begin = 0;; begin += stride) {
        size_t end = begin + window < n ? begin + window : n;
        size_t first = prev_end > begin ? prev_end : begin;
        if (first == 0) first = 1; /* token 0 has no context: never scored */
        for (size_t t = first; t < end; t++) {
            double lp = lm->vt->score(lm->self, ids + begin, t - begin, ids[t]);
            if (isnan(lp))
                return lmp_error_set(err, LMP_EDOM, "model %s returned NaN for token %zu (id %d)",
                                     lm->vt->name ? lm->vt->name : "?", t, (int)ids[t]);
            r.nll -= lp;
            r.scored++;
            if (t - begin > r.max_context) r.max_context = t - begin;
            if (begin > 0 && (r.min_context_later == 0 || t - begin < r.min_context_later))
                r.min_context_later = t - begin;
        }
        r.windows++;
        prev_end = end;
        if (end == n) break; /* the HF doc's `if end == n: break`: no wasted window */
    }
    r.perplexity = exp(r.nll / (double)r.scored);
    *out = r;
    return LMP_OK;
}

lmp_status lmp_eval_chapter_seed(const lmp_lm *lm, const int32_t *ids, size_t n, size_t window,
                                 size_t stride, double *ppl, size_t *windows, lmp_error *err)
{
    lmp_status st = check_args(lm, ids, n, window, stride, err);
    if (st) return st;
    if (!ppl) return lmp_error_set(err, LMP_EINVAL, "ppl: expected an output pointer, got NULL");
    if (n == 0) return lmp_error_set(err, LMP_EDOM, "n = 0 tokens: the chapter's code fails on an empty text");
    double total = 0.0; /* sum of loss * target_len, as in `torch.stack(nlls).sum()` */
    size_t prev_end = 0, passes = 0;
    for (size_t begin = 0; begin < n; begin += stride) { /* range(0, n, stride), no break */
        size_t end = begin + window < n ? begin + window : n;
        size_t target_len = end - prev_end;
        size_t len = end - begin;
        /* target_ids[:, :-target_len] = -100; with target_len == 0 the slice [:-0] is empty: nothing masked */
        size_t first_label = target_len == 0 ? 0 : len - target_len;
        /* HF shifts: logit j predicts label j+1, so label position 0 is never scored */
        if (first_label == 0) first_label = 1;
        double sum = 0.0;
        size_t count = 0;
        for (size_t j = first_label; j < len; j++) {
            double lp = lm->vt->score(lm->self, ids + begin, j, ids[begin + j]);
            sum -= lp;
            count++;
        }
        double loss = count ? sum / (double)count : NAN; /* CrossEntropyLoss mean over no element: NaN */
        total += loss * (double)target_len;             /* NaN * 0 stays NaN */
        passes++;
        prev_end = end;
    }
    *ppl = exp(total / (double)prev_end);
    if (windows) *windows = passes;
    return LMP_OK;
}
