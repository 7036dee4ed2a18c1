/* The chapter's mock LM through the public vtable (mock_lm.h). */
#include "mock_lm.h"

#include <math.h>

static const char *const mock_vocab[CH_MOCK_V] = {"<s>", "the", "cat", "sat", "</s>"};

static const double mock_rows[4][CH_MOCK_V] = {
    {0.0, 0.7, 0.2, 0.0, 0.1}, /* after exactly [<s>] */
    {0.0, 0.0, 0.6, 0.1, 0.3}, /* after 'the' */
    {0.0, 0.0, 0.0, 0.8, 0.2}, /* after 'cat' */
    {0.0, 0.0, 0.0, 0.0, 1.0}, /* otherwise: end */
};

/* The chapter's branches in its order: `context == ['<s>']` first, then the last token. */
static const double *mock_row(const lmp_token_id *ctx, size_t n)
{
    if (n == 0 || (n == 1 && ctx[0] == CH_MOCK_BOS)) return mock_rows[0];
    if (ctx[n - 1] == CH_MOCK_THE) return mock_rows[1];
    if (ctx[n - 1] == CH_MOCK_CAT) return mock_rows[2];
    return mock_rows[3];
}

static lmp_status mock_next_logprobs(void *self, const lmp_token_id *ctx, size_t n, double *out, lmp_error *err)
{
    (void)self, (void)err;
    const double *row = mock_row(ctx, n);
    for (int i = 0; i < CH_MOCK_V; i++) out[i] = row[i] > 0 ? log(row[i]) : -INFINITY;
    return LMP_OK;
}

static double mock_score(void *self, const lmp_token_id *ctx, size_t n, lmp_token_id tok)
{
    (void)self;
    const double p = mock_row(ctx, n)[tok];
    return p > 0 ? log(p) : -INFINITY;
}

static const char *mock_token_text(const void *self, lmp_token_id id)
{
    (void)self;
    return id >= 0 && id < CH_MOCK_V ? mock_vocab[id] : NULL;
}

static const lmp_lm_vtable mock_vt = {
    .name = "mock",
    .next_logprobs = mock_next_logprobs,
    .score = mock_score,
    .token_text = mock_token_text,
};

lmp_status ch_mock_lm_create(lmp_lm **out, lmp_error *err)
{
    const lmp_lm_info info = {.vocab_size = CH_MOCK_V, .bos = CH_MOCK_BOS, .eos = CH_MOCK_EOS, .unk = LMP_TOKEN_NONE};
    return lmp_lm_create(&mock_vt, NULL, &info, out, err);
}
