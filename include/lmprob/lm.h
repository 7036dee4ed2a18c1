/* One interface for next-token language models.
 *
 * Anything that evaluates or generates text (sequence log-probability by the
 * chain rule, perplexity, sliding-window perplexity, generation) talks to a
 * model only through this vtable: the chapter's mock LM, the n-gram models,
 * and later GPT-2 all implement it.
 *
 * Token ids are int32 in [0, vocab_size). Log-probabilities are natural logs. */
#ifndef LMPROB_LM_H
#define LMPROB_LM_H

#include <stddef.h>
#include <stdint.h>

#include "lmprob/core.h"

LMP_EXTERN_C_BEGIN

typedef struct lmp_lm_vtable {
    const char *name;
    /* Natural-log probabilities of every next token after context[0..n)
     * (n may be 0; n-gram models use only their last order-1 tokens).
     * out has vocab_size entries. */
    lmp_status (*next_logprobs)(void *self, const int32_t *context, size_t n, double *out, lmp_error *err);
    /* Natural-log probability of `token` after context[0..n). */
    double (*score)(void *self, const int32_t *context, size_t n, int32_t token);
    /* The text of a token, or NULL for an id out of range. */
    const char *(*token_str)(const void *self, int32_t id);
    /* Release self. */
    void (*free)(void *self);
} lmp_lm_vtable;

typedef struct lmp_lm {
    const lmp_lm_vtable *vt;
    void *self;
    size_t vocab_size;
    int32_t bos;  /* begin-of-sentence id (context only, never scored), -1 if none */
    int32_t eos;  /* end-of-sentence id: generation stops after emitting it, -1 if none */
    int32_t unk;  /* unknown-word id, -1 if none */
} lmp_lm;

/* ---- helpers over any model (src/lm/lm.c) -------------------------------------
 * The chain rule: log P(x_start .. x_n-1 | x_0 .. x_start-1) = sum_t log p(x_t | x_<t).
 * ids must be in [0, vocab_size); start <= n. A token of probability 0 makes
 * the log-probability -inf (and the perplexity +inf): not an error. Errors:
 * LMP_EINVAL (NULL model, bad id, start > n), LMP_EDOM (the model returned NaN
 * or a positive log-probability, naming the position). */
LMP_API lmp_status lmp_lm_sequence_logprob(const lmp_lm *lm, const int32_t *ids, size_t n, size_t start,
                                           double *logprob, lmp_error *err);

/* exp(-logprob / (n - start)) over the scored tokens ids[start..n); n - start >= 1. */
LMP_API lmp_status lmp_lm_perplexity(const lmp_lm *lm, const int32_t *ids, size_t n, size_t start, double *ppl,
                                     lmp_error *err);

/* Release a model made by a *_create function (calls vt->free); NULL is a no-op. */
LMP_API void lmp_lm_free(lmp_lm *lm);

/* The chapter's mock LM (mock_lm_probs), vocabulary <s> the cat sat </s>
 * (ids 0..4, bos 0, eos 4): after exactly [<s>] (or the empty context):
 * [0, .7, .2, 0, .1]; after "the": [0, 0, .6, .1, .3]; after "cat":
 * [0, 0, 0, .8, .2]; otherwise [0, 0, 0, 0, 1]. */
LMP_API lmp_status lmp_lm_mock_create(lmp_lm *out, lmp_error *err);

LMP_EXTERN_C_END

#endif
