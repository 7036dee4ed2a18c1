/* Perplexity over windows, three recipes from one set of forward passes
 * (include/lmprob/eval.h; ../shared/chapter/ERRATA.md for why the chapter's
 * and the HF doc's figures differ from the exact one). */
#include <math.h>
#include <stdlib.h>

#include "eval_internal.h"

void lmp_eval_windows(const lmp_lm *lm, size_t n, size_t *window, size_t *stride)
{
    if (!window || !stride) return; /* eval.h: nowhere to read or write them */
    if (*window == 0) {
        lmp_lm_info in;
        lmp_lm_get_info(lm, &in);
        *window = in.n_ctx ? in.n_ctx : n;
    }
    if (*stride == 0) *stride = *window / 2 ? *window / 2 : 1;
}

lmp_status eval_check_windows(lmp_lm_ctx *c, const lmp_token_id *ids, size_t n, size_t *window, size_t *stride,
                              size_t *span, lmp_error *err)
{
    if (!c) return lmp_error_set(err, LMP_EINVAL, "evaluation: expected a context, got NULL");
    if (n && !ids) return lmp_error_set(err, LMP_EINVAL, "evaluation: %zu ids but a NULL pointer", n);
    const lmp_lm *lm = lmp_lm_ctx_model(c);
    size_t V = lmp_lm_vocab_size(lm);
    for (size_t i = 0; i < n; i++)
        if (ids[i] < 0 || (size_t)ids[i] >= V)
            return lmp_error_set(err, LMP_EINVAL, "ids[%zu] = %d: expected a token id in [0, %zu)", i, (int)ids[i], V);
    lmp_eval_windows(lm, n, window, stride);
    if (*window < 2) return lmp_error_set(err, LMP_EINVAL, "window = %zu: expected window >= 2", *window);
    if (*stride > *window)
        return lmp_error_set(err, LMP_EINVAL, "stride = %zu: expected 1 <= stride <= window (%zu)", *stride, *window);
    *span = *window < n ? *window : n; /* the longest window this text gives */
    if (*span > lmp_lm_ctx_capacity(c))
        return lmp_error_set(err, LMP_ERANGE, "window = %zu: expected at most the context's capacity %zu", *span,
                             lmp_lm_ctx_capacity(c));
    return LMP_OK;
}

lmp_status eval_window(lmp_lm_ctx *c, const lmp_token_id *ids, size_t begin, size_t first, lmp_error *err)
{
    lmp_status st = lmp_lm_ctx_rewind(c, 0, err);
    if (!st) st = lmp_lm_ctx_push(c, ids + begin, first - begin, err);
    return st;
}

lmp_status lmp_eval_perplexity(lmp_lm_ctx *c, const lmp_token_id *ids, size_t n, size_t window, size_t stride,
                               unsigned recipes, lmp_ppl_token_fn fn, void *ud, lmp_ppl_result out[LMP_PPL_RECIPES],
                               lmp_error *err)
{
    size_t span;
    lmp_status st = eval_check_windows(c, ids, n, &window, &stride, &span, err);
    if (st) return st;
    if (!out) return lmp_error_set(err, LMP_EINVAL, "perplexity: expected a result array, got NULL");
    if (recipes == 0 || (recipes & ~LMP_PPL_ALL))
        return lmp_error_set(err, LMP_EINVAL, "perplexity: recipes = %#x: expected a non-empty mask of LMP_PPL_*",
                             recipes);
    double *lp = malloc((span ? span : 1) * sizeof *lp);
    if (!lp) return lmp_error_set(err, LMP_ENOMEM, "out of memory for a window of %zu log-probabilities", span);
    /* EXACT: the per-token sum; HF: sum of window mean * (labels - 1); CHAPTER: sum of window mean * target_len.
     * A sentence marker the model never predicts (an n-gram model's <s>, lm.h) is a masked label (HF's -100)
     * in both, wherever it sits: out of the window's mean, its labels (target_len) and the chapter's divisor
     * L. For a model without such markers (GPT-2) nothing changes; counted as labels, the <s> tokens gave an
     * n-gram model's hf and chapter figures from a mix of counts (a PTB trigram, W = 5, S = 2: 184.83 and
     * 185.28 where exact is 192.56; docs/perplexity.md). Within [first, end) a marker is also a NaN score; the
     * id test is for the window's first position, which is never scored. */
    const lmp_token_id marker = lmp_lm_sentence_marker(lmp_lm_ctx_model(c));
    double ex_nll = 0.0, hf_sum = 0.0, hf_w = 0.0, ch_sum = 0.0;
    size_t ex_n = 0, passes = 0, ch_passes, prev_end = 0, begin = 0, masked = 0;
    for (; begin < n; begin += stride) {
        size_t end = begin + window < n ? begin + window : n;
        size_t first = prev_end > begin + 1 ? prev_end : begin + 1;
        if (first > end) first = end;
        if ((st = eval_window(c, ids, begin, first, err)) ||
            (st = lmp_lm_ctx_score(c, ids + first, end - first, lp, err)))
            break;
        double wsum = 0.0;
        size_t wn = 0, wmasked = 0;
        if (marker != LMP_TOKEN_NONE)
            for (size_t t = prev_end; t < end; t++) wmasked += ids[t] == marker;
        for (size_t t = first; t < end; t++) {
            double v = lp[t - first];
            if (isnan(v)) continue; /* not predicted (lm.h) */
            wsum -= v;
            wn++;
            if (fn) {
                lmp_ppl_token tk = {t, ids[t], v, t - begin};
                if (fn(ud, &tk)) {
                    st = lmp_error_set(err, LMP_ECANCELED, "perplexity: stopped by the caller at token %zu", t);
                    break;
                }
            }
        }
        if (st) break;
        /* HF's loss is CrossEntropyLoss's mean over the labels that survive the
         * shift: NaN over none. target_len = end - prev_end labels are not -100. */
        double mean = wn ? wsum / (double)wn : NAN;
        double target_len = (double)(end - prev_end - wmasked);
        masked += wmasked;
        ex_nll += wsum;
        ex_n += wn;
        hf_sum += mean * (target_len - 1.0); /* num_loss_tokens = num_valid_tokens - batch_size */
        hf_w += target_len - 1.0;
        ch_sum += mean * target_len;         /* nlls.append(loss * target_len) */
        passes++;
        prev_end = end;
        if (end == n) break; /* the HF doc's `if end_loc == seq_len: break` */
    }
    /* The chapter's loop has no break: each later begin of range(0, L, S) is a
     * pass with target_len = 0, which masks nothing (`[:-0]` is empty), so the
     * whole chunk is scored and multiplied by 0 (NaN * 0 stays NaN). */
    ch_passes = passes;
    if (!st && (recipes & (1u << LMP_PPL_CHAPTER)))
        for (begin += stride; begin < n; begin += stride) {
            size_t end = begin + window < n ? begin + window : n;
            if ((st = eval_window(c, ids, begin, begin + 1, err)) ||
                (st = lmp_lm_ctx_score(c, ids + begin + 1, end - begin - 1, lp, err)))
                break;
            double wsum = 0.0;
            size_t wn = 0;
            for (size_t t = begin + 1; t < end; t++)
                if (!isnan(lp[t - begin - 1])) {
                    wsum -= lp[t - begin - 1];
                    wn++;
                }
            ch_sum += (wn ? wsum / (double)wn : NAN) * 0.0;
            ch_passes++;
        }
    free(lp);
    if (st) return st;
    if (ex_n == 0 && (recipes & ((1u << LMP_PPL_EXACT) | (1u << LMP_PPL_HF)))) {
        /* Undefined, not failed: a caller that reports it (lmprob ppl prints nan, as for an empty text
         * without windows) still gets the passes that were made. */
        for (int r = 0; r < LMP_PPL_RECIPES; r++)
            if (recipes & (1u << r))
                out[r] = (lmp_ppl_result){NAN, 0.0, 0.0, 0, r == LMP_PPL_CHAPTER ? ch_passes : passes};
        return lmp_error_set(err, LMP_EDOM,
                             "perplexity of %zu token%s: no token to score (the first token of a window is context "
                             "only)", n, n == 1 ? "" : "s");
    }
    if (recipes & (1u << LMP_PPL_EXACT))
        out[LMP_PPL_EXACT] = (lmp_ppl_result){exp(ex_nll / (double)ex_n), ex_nll, (double)ex_n, ex_n, passes};
    if (recipes & (1u << LMP_PPL_HF))
        out[LMP_PPL_HF] = (lmp_ppl_result){exp(hf_sum / hf_w), hf_sum, hf_w, ex_n, passes};
    if (recipes & (1u << LMP_PPL_CHAPTER))
        out[LMP_PPL_CHAPTER] = (lmp_ppl_result){exp(ch_sum / (double)(prev_end - masked)), ch_sum,
                                                (double)(prev_end - masked), ex_n, ch_passes};
    return LMP_OK;
}
