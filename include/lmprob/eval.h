/* Evaluation of any language model behind lm.h: sliding-window perplexity.
 *
 * A model with a bounded context (GPT-2: 1024 positions) cannot score a long
 * text in one pass. The Hugging Face recipe ("Perplexity of fixed-length
 * models") moves a window of `window` tokens by `stride` tokens and, in each
 * window, scores only the tokens no earlier window has scored, so every token
 * gets between window-stride and window-1 tokens of context.
 *
 * What lmprob computes (the correct quantity):
 *     PPL = exp( sum_t -log p(x_t | x_[b(t) .. t)) / T )
 * summed over the scored tokens t = 1 .. n-1 (token 0 has no context and is
 * never scored, as with GPT-2, which adds no BOS; prepend the model's BOS id to
 * the sequence to score the first word), T = n-1 and b(t) the begin of the
 * first window holding t. The per-token sum is taken directly and never rebuilt
 * from window means, which is where the chapter's version goes wrong
 * (../shared/chapter/ERRATA.md, "The Hugging Face sliding-window perplexity
 * block"). No window is wasted: the loop stops at the window that reaches the
 * end. There is no NaN for any length: fewer than 2 tokens is LMP_EDOM.
 *
 * Window layout (HF): begin = 0, stride, 2 stride, ...; end = min(begin + window,
 * n); the window scores positions [max(prev_end, begin+1), end). When stride ==
 * window the first token of a window has no context inside it; lmprob scores it
 * with the empty context (lm.h allows n = 0) so that no token is dropped (HF
 * drops one token per window there). */
#ifndef LMPROB_EVAL_H
#define LMPROB_EVAL_H

#include <stddef.h>
#include <stdint.h>

#include "lmprob/core.h"
#include "lmprob/lm.h"

LMP_EXTERN_C_BEGIN

typedef struct lmp_eval_result {
    double nll;          /* total negative log-likelihood, nats, over the scored tokens */
    size_t scored;       /* tokens scored (n - 1) */
    size_t windows;      /* windows (forward passes) evaluated */
    double perplexity;   /* exp(nll / scored); +inf when some token had probability 0 */
    size_t max_context;  /* longest context any token saw */
    size_t min_context_later; /* shortest context of a token scored after the first window (>= window - stride
                               * when stride < window: what the overlap buys); 0 with a single window */
} lmp_eval_result;

/* Sliding-window perplexity of ids[0..n) under lm.
 * window >= 2 (tokens per window, context plus scored), 1 <= stride <= window.
 * Every id must be in [0, vocab_size). Errors: LMP_EINVAL (bad window/stride/id,
 * NULL), LMP_EDOM (n < 2: nothing to score; or the model returned NaN, with the
 * position). Scratch: none; the model is called once per scored token. */
LMP_API lmp_status lmp_eval_sliding_window(const lmp_lm *lm, const int32_t *ids, size_t n, size_t window, size_t stride,
                                           lmp_eval_result *out, lmp_error *err);

/* Number of windows the loop above evaluates for n tokens: 1 + ceil((n - window) / stride)
 * for n > window, else 1 (0 for n < 2). */
LMP_API size_t lmp_eval_window_count(size_t n, size_t window, size_t stride);

/* What the chapter's `compute_perplexity` returns (a reproduction, kept to show
 * its bugs side by side with the correct value; do not use it to evaluate):
 * for begin in range(0, n, stride) with no break: end = min(begin + window, n),
 * target_len = end - prev_end; the window loss is the MEAN NLL over the labels
 * that survive the internal shift (chunk positions j >= 1 with j >= len -
 * target_len, or every j >= 1 when target_len == 0, because `[:-0]` masks
 * nothing); nlls += loss * target_len; result exp(sum / n). The mean over zero
 * labels (a final chunk of one token, n == 1 mod stride) is NaN, and so is the
 * result, as in PyTorch. *windows counts every forward pass, wasted ones too.
 * Errors as lmp_eval_sliding_window except that n = 1 is allowed (gives NaN). */
LMP_API lmp_status lmp_eval_chapter_seed(const lmp_lm *lm, const int32_t *ids, size_t n, size_t window, size_t stride,
                                         double *ppl, size_t *windows, lmp_error *err);

LMP_EXTERN_C_END

#endif
