/* Evaluation of any model behind lm.h: perplexity over windows (three
 * recipes) and the divergence between two models, position by position.
 *
 * Windows. A model with a bounded context (GPT-2: 1024 positions) cannot read
 * a long text at once. Every recipe here moves a window of W tokens by S
 * tokens, as Hugging Face's "Perplexity of fixed-length models" does:
 *     begin = 0, S, 2S, ...;  end = min(begin + W, L);
 * the window scores the tokens no earlier window scored, positions
 * [max(prev_end, begin + 1), end): token `begin` of a window is context only
 * (GPT-2 adds no BOS, and HF's loss shifts labels by one), so with S = W the
 * first token of every window is not scored. Each window is one fresh context
 * (rewind to 0, push the context part, score the rest in one batch).
 *
 * The three recipes (docs/perplexity.md; ../shared/chapter/ERRATA.md, "The
 * Hugging Face sliding-window perplexity block"):
 *  EXACT    exp(sum of the NLL of every scored token / their number); the
 *           loop stops at the window that reaches L (no pass past the end).
 *           This is the quantity to report.
 *  HF       the current Hugging Face doc: each window's mean loss weighted by
 *           its labels minus one (num_valid_tokens - batch_size), the sum
 *           divided by the sum of the weights, `break` at end == L. Exact
 *           for the first window; every later window is under-weighted by one
 *           token, and a last window of one token gets weight 0.
 *  CHAPTER  the chapter's compute_perplexity, for teaching: no `break`, so
 *           every begin in range(0, L, S) is a forward pass; a window with
 *           target_len = 0 masks nothing (`[:-0]` is empty) and scores its
 *           whole chunk, multiplied by 0; the mean over zero labels is NaN,
 *           and NaN * 0 = NaN, so L = 1 (mod S) gives NaN; window 1 is weighted
 *           by n labels where n - 1 are scored, and the sum is divided by L.
 * The per-token sum is taken directly, never rebuilt from window means.
 *
 * Tokens the model does not predict (lm.h: NaN from lmp_lm_ctx_score, e.g.
 * an n-gram model's <s>) are skipped by every recipe. */
#ifndef LMPROB_EVAL_H
#define LMPROB_EVAL_H

#include <stddef.h>
#include <stdint.h>

#include "lmprob/core.h"
#include "lmprob/lm.h"

LMP_EXTERN_C_BEGIN

typedef enum lmp_ppl_recipe { LMP_PPL_EXACT = 0, LMP_PPL_HF = 1, LMP_PPL_CHAPTER = 2 } lmp_ppl_recipe;
#define LMP_PPL_RECIPES 3
#define LMP_PPL_ALL ((1u << LMP_PPL_EXACT) | (1u << LMP_PPL_HF) | (1u << LMP_PPL_CHAPTER))

typedef struct lmp_ppl_result {
    double perplexity;      /* the recipe's figure (CHAPTER: NaN where its code gives nan) */
    double nll;             /* the sum the recipe divides, in nats (EXACT: the NLL of the scored tokens) */
    double denominator;     /* what it divides by (EXACT: scored_tokens; HF: the weights; CHAPTER: L) */
    size_t scored_tokens;   /* tokens whose NLL enters the sum (EXACT and HF: each once) */
    size_t forward_passes;  /* windows the recipe's loop runs the model on */
} lmp_ppl_result;

/* One token scored by the EXACT recipe. */
typedef struct lmp_ppl_token {
    size_t pos;             /* index in ids */
    lmp_token_id id;
    double logprob;         /* natural log */
    size_t context;         /* tokens of context the window gave it */
} lmp_ppl_token;
/* Returns 0 to go on; anything else stops the call, which then returns LMP_ECANCELED (a long pass
 * over a text can be interrupted: the Python module checks for Ctrl-C here). */
typedef int (*lmp_ppl_token_fn)(void *ud, const lmp_ppl_token *t);

/* Window and stride as the recipes use them: window 0 means the model's
 * n_ctx (for an unbounded model, all n tokens: one window), stride 0 means
 * window / 2 (at least 1). Does nothing when window or stride is NULL. */
LMP_API void lmp_eval_windows(const lmp_lm *lm, size_t n, size_t *window, size_t *stride);

/* Perplexity of ids[0..n) under the model of context c (its capacity must
 * hold a window) by the recipes in the bit mask `recipes` (1u << recipe,
 * or LMP_PPL_ALL), from one set of forward passes: out[recipe] is filled for
 * each recipe asked. fn (may be NULL) sees every token the EXACT recipe
 * scores, in order, and stops the call by returning nonzero (LMP_ECANCELED,
 * out[] not filled). Errors: LMP_EINVAL (window < 2 after the defaults, stride
 * > window, an id out of range, NULL), LMP_ERANGE (window > the context's
 * capacity), LMP_EDOM (EXACT or HF asked and no token scored, e.g. n < 2:
 * the perplexity is undefined, and out[recipe] still says so: NaN, 0 scored
 * tokens, the forward passes made), and the model's errors. Allocates a
 * window of log-probabilities per call. */
LMP_API lmp_status lmp_eval_perplexity(lmp_lm_ctx *c, const lmp_token_id *ids, size_t n, size_t window,
                                       size_t stride, unsigned recipes, lmp_ppl_token_fn fn, void *ud,
                                       lmp_ppl_result out[LMP_PPL_RECIPES], lmp_error *err);

/* ---- two models -------------------------------------------------------------------------- */

/* LMP_OK when a and b have the same vocabulary: the same size and, where both
 * have token texts, the same bytes for every id. LMP_EINVAL otherwise, naming
 * the sizes or the first id whose tokens differ. */
LMP_API lmp_status lmp_lm_check_same_vocab(const lmp_lm *a, const lmp_lm *b, lmp_error *err);

/* One position: the two models' next-token distributions for the token at pos. */
typedef struct lmp_kl_point {
    size_t pos;
    lmp_token_id id;
    double kl_ab;           /* KL(A || B) = sum_v pA log(pA / pB), nats */
    double kl_ba;           /* KL(B || A) */
    double js;              /* Jensen-Shannon divergence (KL(A||M) + KL(B||M)) / 2, M = (A + B) / 2 */
    double logprob_a;       /* log pA(id), log pB(id) */
    double logprob_b;
} lmp_kl_point;
typedef int (*lmp_kl_fn)(void *ud, const lmp_kl_point *p); /* 0 goes on; else LMP_ECANCELED */

typedef struct lmp_kl_result {
    size_t positions;       /* positions compared (the EXACT recipe's scored tokens) */
    size_t forward_passes;  /* windows, per model */
    double mean_kl_ab, mean_kl_ba, mean_js;
    double max_kl_ab, max_kl_ba, max_js;
    size_t argmax_kl_ab, argmax_kl_ba, argmax_js; /* positions of the maxima */
    double sum_kl_ab;       /* sum over positions of KL(A || B): the sequence-level KL of the chain rule */
    double sum_log_ratio;   /* sum of log pA(x_t) - log pB(x_t) over the text's tokens: the one-sample
                             * estimate of the sequence KL that PPO-style RLHF uses, exact in expectation
                             * when the text is drawn from A */
} lmp_kl_result;

/* Compare the models of contexts a and b on ids[0..n): at every position the
 * EXACT recipe scores (windows as lmp_eval_perplexity, window 0 taking the
 * smaller of the two models' contexts), the whole next-token distributions
 * (each renormalised by its log-sum-exp, in double). KL is +inf at a position
 * where one model gives probability 0 to a token the other does not; JS is
 * always finite (at most ln 2). fn (may be NULL) sees every position; nonzero
 * from it stops the call (LMP_ECANCELED, *out not filled).
 * Errors: as lmp_eval_perplexity, LMP_EINVAL when the vocabularies differ
 * (lmp_lm_check_same_vocab) or a and b are one context, LMP_EDOM when no
 * position is compared (*out then holds 0 positions, the forward passes, NaN
 * means and maxima, zero sums). Allocates two blocks of 64 rows of vocab_size
 * floats. */
LMP_API lmp_status lmp_eval_kl(lmp_lm_ctx *a, lmp_lm_ctx *b, const lmp_token_id *ids, size_t n, size_t window,
                               size_t stride, lmp_kl_fn fn, void *ud, lmp_kl_result *out, lmp_error *err);

LMP_EXTERN_C_END

#endif
