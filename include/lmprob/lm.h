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

#endif
