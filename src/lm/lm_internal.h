/* Internals of the language-model interface (include/lmprob/lm.h): the
 * handle, the context, and the operations each kind of model supplies.
 * Not a public header.
 *
 * The generic layer (lm.c) owns the token history of a context and checks
 * every argument; a model's operations see only valid requests. A push or a
 * score first appends the ids to c->tok (so a model can read its whole
 * history) and then calls the model with `from`, the old length; on an error
 * the generic layer rewinds to `from`. */
#ifndef LMPROB_LM_INTERNAL_H
#define LMPROB_LM_INTERNAL_H

#include "lmprob/lm.h"

typedef struct lm_ops {
    /* Set up / release c->impl (NULL ctx_init: no per-context state). */
    lmp_status (*ctx_init)(lmp_lm_ctx *c, lmp_error *err);
    void (*ctx_fini)(lmp_lm_ctx *c);
    /* c->tok[from .. c->len) were appended. */
    lmp_status (*pushed)(lmp_lm_ctx *c, size_t from, lmp_error *err);
    /* The distribution after c->tok[0 .. c->len) (len >= 1 when needs_context)
     * into d[V] (double) or f[V] (float): exactly one is non-NULL. */
    lmp_status (*next)(lmp_lm_ctx *c, double *d, float *f, lmp_error *err);
    /* c->tok[from .. c->len) were appended: for each, lp[i] = log p(tok[from+i] | tok[<from+i])
     * (lp may be NULL) or the whole distribution into rows (may be NULL), and
     * advance the state. Entries the model does not predict are fixed up by
     * the generic layer afterwards (NaN). */
    lmp_status (*score)(lmp_lm_ctx *c, size_t from, double *lp, float *rows, lmp_error *err);
    /* c->len was reduced from old_len to the new length. */
    lmp_status (*rewound)(lmp_lm_ctx *c, size_t old_len, lmp_error *err);
    /* dst->tok and dst->len already equal src's. */
    lmp_status (*copy)(lmp_lm_ctx *dst, const lmp_lm_ctx *src, lmp_error *err);
    const char *(*token_text)(const lmp_lm *lm, lmp_token_id id, size_t *len);
    lmp_status (*tokenize)(const lmp_lm *lm, const char *text, size_t len, unsigned flags, lmp_token_id *ids,
                           unsigned char *unknown, lmp_lm_span *spans, size_t cap, size_t *n, lmp_error *err);
    void (*free)(lmp_lm *lm);
} lm_ops;

#define LM_START_BOS (-2) /* lmp_lm.start: the model's bos (every model but GPT-2) */

struct lmp_lm {
    const lm_ops *ops;
    lmp_lm_info info;
    void *impl;     /* the model's own data (owned or borrowed as its kind says) */
    const lmp_lm_vtable *vt; /* custom and mock models */
    void *self;
    lmp_token_id start; /* an empty context's first token (lmp_lm_start); LM_START_BOS: info.bos */
};

struct lmp_lm_ctx {
    const lmp_lm *lm;
    lmp_token_id *tok; /* history, cap entries */
    size_t len, cap;
    void *impl;        /* the model's per-context state */
    double *scratch;   /* vocab_size doubles, for models that compute in double */
    int raw_rows;      /* lm_ctx_predict_scores_f32 is asking: rows may be scores up to a constant a row */
};

/* lmp_lm_ctx_predict_f32's rows as the model has them before normalising, where it normalises itself
 * (GPT-2: its float logits), else its log-probabilities: eval/kl.c normalises both rows of a pair in
 * double, and two close models' float log-probabilities, each rounded on its own, lost their
 * differences (a KL of 6e-14 came out 110 % off). */
lmp_status lm_ctx_predict_scores_f32(lmp_lm_ctx *c, const lmp_token_id *ids, size_t n, float *rows, lmp_error *err);

/* The models (lm_ngram.c, lm_gpt2.c, lm.c). */
/* tok: GPT-2's vocabulary, for (and only for) tokens == LMP_LM_TOKENS_GPT2. owned / tok_owned: m and tok
 * again when the handle is to free them, else NULL (it frees them only once it exists: on an error the caller
 * still owns both). */
lmp_status lm_ngram_make(const lmp_ngram *m, lmp_ngram *owned, lmp_lm_tokens tokens, const lmp_tokenizer *tok,
                         lmp_tokenizer *tok_owned, lmp_lm **out, lmp_error *err);
const lmp_tokenizer *lm_ngram_tokenizer(const lmp_lm *lm);
const lmp_tokenizer *lm_gpt2_tokenizer(const lmp_lm *lm);
lmp_status lm_gpt2_load(const char *path, const lmp_lm_load_params *p, lmp_lm **out, lmp_error *err);
/* 1 when path names what lm_gpt2_load reads (any folder, a .safetensors file). */
int lm_gpt2_is_model_path(const char *path);
/* 1 when the folder path holds tokenizer.json, vocab.json + merges.txt or encoder.json + vocab.bpe (or half a pair). */
int lm_gpt2_folder_has_vocab(const char *path);

/* Shared by the models: a new handle with ops and info (kind, name, sizes set
 * by the caller afterwards). */
lmp_status lm_alloc(const lm_ops *ops, lmp_lm **out, lmp_error *err);


#endif
