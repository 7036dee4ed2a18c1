/* The n-gram model behind lm.h: natural-log next-token distributions over the
 * whole vocabulary, for evaluation and generation code that knows only lm.h. */
#include <stdlib.h>

#include "ngram_internal.h"

#define LN10 2.30258509299404568402

static lmp_status nglm_next_logprobs(void *self, const int32_t *context, size_t n, double *out, lmp_error *err)
{
    const lmp_ngram *m = self;
    if (!out || (n && !context)) return lmp_error_set(err, LMP_EINVAL, "next_logprobs: NULL context or output");
    lmp_ngram_state in, tmp;
    lmp_ngram_state_from(m, context, n, &in);
    unsigned len;
    for (uint64_t v = 0; v < m->vocab_size; v++) out[v] = (double)ng_score(m, &in, (int32_t)v, &tmp, &len) * LN10;
    /* <s> is context only (lm.h: never scored); lmplz gives it log10 p = 0. */
    if (m->bos >= 0) out[m->bos] = -INFINITY;
    return LMP_OK;
}

static double nglm_score(void *self, const int32_t *context, size_t n, int32_t token)
{
    const lmp_ngram *m = self;
    if (token < 0 || (uint64_t)token >= m->vocab_size) return NAN;
    if (token == m->bos) return -INFINITY;
    lmp_ngram_state in, tmp;
    lmp_ngram_state_from(m, context, n, &in);
    unsigned len;
    return (double)ng_score(m, &in, token, &tmp, &len) * LN10;
}

static const char *nglm_token_str(const void *self, int32_t id)
{
    return lmp_ngram_word(self, id);
}

static void nglm_free(void *self)
{
    lmp_ngram_free(self);
}

static const lmp_lm_vtable ngram_vtable = {
    /* .name = */ "ngram",
    /* .next_logprobs = */ nglm_next_logprobs,
    /* .score = */ nglm_score,
    /* .token_str = */ nglm_token_str,
    /* .free = */ nglm_free,
};

lmp_status lmp_ngram_as_lm(lmp_ngram *m, lmp_lm *out, lmp_error *err)
{
    if (!m || !out) return lmp_error_set(err, LMP_EINVAL, "lmp_ngram_as_lm: NULL model or output");
    out->vt = &ngram_vtable;
    out->self = m;
    out->vocab_size = (size_t)m->vocab_size;
    out->bos = m->bos;
    out->eos = m->eos;
    out->unk = m->unk;
    return LMP_OK;
}
