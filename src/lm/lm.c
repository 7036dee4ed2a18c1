/* Helpers over the lm.h interface (chain rule, perplexity) and the chapter's
 * mock LM, the first model behind the interface. */
#include "lmprob/lm.h"

#include <math.h>
#include <stdlib.h>

static lmp_status check_model(const lmp_lm *lm, lmp_error *err)
{
    if (!lm || !lm->vt || !lm->vt->score)
        return lmp_error_set(err, LMP_EINVAL, "model: expected a model with a score function, got NULL");
    return LMP_OK;
}

lmp_status lmp_lm_sequence_logprob(const lmp_lm *lm, const int32_t *ids, size_t n, size_t start, double *logprob,
                                   lmp_error *err)
{
    lmp_status st = check_model(lm, err);
    if (st) return st;
    if (start > n) return lmp_error_set(err, LMP_EINVAL, "start = %zu: expected start <= n = %zu", start, n);
    if (n > 0 && !ids) return lmp_error_set(err, LMP_EINVAL, "ids: %zu tokens but a NULL pointer", n);
    for (size_t t = 0; t < n; t++)
        if (ids[t] < 0 || (size_t)ids[t] >= lm->vocab_size)
            return lmp_error_set(err, LMP_EINVAL, "ids[%zu] = %d: expected a token id in [0, %zu)", t, (int)ids[t],
                                 lm->vocab_size);
    double s = 0.0;
    for (size_t t = start; t < n; t++) {
        double lp = lm->vt->score(lm->self, ids, t, ids[t]);
        if (isnan(lp) || lp > 0)
            return lmp_error_set(err, LMP_EDOM, "model %s: log p(ids[%zu] = %d | context) = %g: expected a value <= 0",
                                 lm->vt->name ? lm->vt->name : "?", t, (int)ids[t], lp);
        s += lp; /* -inf stays -inf: an impossible token */
    }
    *logprob = s;
    return LMP_OK;
}

lmp_status lmp_lm_perplexity(const lmp_lm *lm, const int32_t *ids, size_t n, size_t start, double *ppl,
                             lmp_error *err)
{
    if (start >= n)
        return lmp_error_set(err, LMP_EDOM, "perplexity: start = %zu, n = %zu: expected at least one scored token",
                             start, n);
    double lp;
    lmp_status st = lmp_lm_sequence_logprob(lm, ids, n, start, &lp, err);
    if (st) return st;
    *ppl = exp(-lp / (double)(n - start));
    return LMP_OK;
}

void lmp_lm_free(lmp_lm *lm)
{
    if (!lm || !lm->vt) return;
    if (lm->vt->free) lm->vt->free(lm->self);
    lm->self = NULL;
    lm->vt = NULL;
}

/* ---- the chapter's mock LM --------------------------------------------------------- */

enum { MOCK_BOS, MOCK_THE, MOCK_CAT, MOCK_SAT, MOCK_EOS, MOCK_V };

static const char *const mock_vocab[MOCK_V] = {"<s>", "the", "cat", "sat", "</s>"};

static const double mock_rows[4][MOCK_V] = {
    {0.0, 0.7, 0.2, 0.0, 0.1}, /* after exactly [<s>] */
    {0.0, 0.0, 0.6, 0.1, 0.3}, /* after 'the' */
    {0.0, 0.0, 0.0, 0.8, 0.2}, /* after 'cat' */
    {0.0, 0.0, 0.0, 0.0, 1.0}, /* otherwise: end */
};

/* The chapter's branches in its order: `context == ['<s>']` first, then the last token. */
static const double *mock_row(const int32_t *ctx, size_t n)
{
    if (n == 0 || (n == 1 && ctx[0] == MOCK_BOS)) return mock_rows[0];
    if (ctx[n - 1] == MOCK_THE) return mock_rows[1];
    if (ctx[n - 1] == MOCK_CAT) return mock_rows[2];
    return mock_rows[3];
}

static lmp_status mock_next_logprobs(void *self, const int32_t *ctx, size_t n, double *out, lmp_error *err)
{
    (void)self;
    if (n > 0 && !ctx) return lmp_error_set(err, LMP_EINVAL, "mock: context of %zu tokens but a NULL pointer", n);
    const double *row = mock_row(ctx, n);
    for (int i = 0; i < MOCK_V; i++) out[i] = row[i] > 0 ? log(row[i]) : -INFINITY;
    return LMP_OK;
}

static double mock_score(void *self, const int32_t *ctx, size_t n, int32_t tok)
{
    (void)self;
    if (tok < 0 || tok >= MOCK_V) return NAN;
    double p = mock_row(ctx, n)[tok];
    return p > 0 ? log(p) : -INFINITY;
}

static const char *mock_token_str(const void *self, int32_t id)
{
    (void)self;
    return id >= 0 && id < MOCK_V ? mock_vocab[id] : NULL;
}

static void mock_free(void *self) { (void)self; }

static const lmp_lm_vtable mock_vt = {
    .name = "mock",
    .next_logprobs = mock_next_logprobs,
    .score = mock_score,
    .token_str = mock_token_str,
    .free = mock_free,
};

lmp_status lmp_lm_mock_create(lmp_lm *out, lmp_error *err)
{
    if (!out) return lmp_error_set(err, LMP_EINVAL, "mock: expected an lmp_lm to fill, got NULL");
    out->vt = &mock_vt;
    out->self = NULL; /* stateless */
    out->vocab_size = MOCK_V;
    out->bos = MOCK_BOS;
    out->eos = MOCK_EOS;
    out->unk = -1;
    return LMP_OK;
}
