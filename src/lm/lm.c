/* The language-model interface (include/lmprob/lm.h): handles, contexts and
 * the argument checks every model shares; models of your own (a vtable over
 * the token history, as the chapter's mock LM is: cli/chapter/mock_lm.c). The n-gram and GPT-2 models
 * are in lm_ngram.c and lm_gpt2.c, generation in generate.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lm_internal.h"

/* ---- handles ----------------------------------------------------------------------- */

lmp_status lm_alloc(const lm_ops *ops, lmp_lm **out, lmp_error *err)
{
    lmp_lm *lm = calloc(1, sizeof *lm);
    if (!lm) return lmp_error_set(err, LMP_ENOMEM, "out of memory for a model handle");
    lm->ops = ops;
    lm->info.bos = lm->info.eos = lm->info.unk = LMP_TOKEN_NONE;
    lm->start = LM_START_BOS;
    *out = lm;
    return LMP_OK;
}

lmp_token_id lmp_lm_start(const lmp_lm *lm)
{
    if (!lm) return LMP_TOKEN_NONE;
    return lm->start == LM_START_BOS ? lm->info.bos : lm->start;
}

lmp_token_id lmp_lm_sentence_marker(const lmp_lm *lm)
{
    if (!lm || lm->info.bos < 0 || lm->info.bos == lm->info.eos) return LMP_TOKEN_NONE;
    return lm->info.bos;
}

void lmp_lm_load_params_init(lmp_lm_load_params *p)
{
    if (!p) return;
    memset(p, 0, sizeof *p);
    p->tokens = LMP_LM_TOKENS_DEFAULT;
}

lmp_status lmp_lm_load(const char *path, const lmp_lm_load_params *params, lmp_lm **out, lmp_error *err)
{
    if (!out) return lmp_error_set(err, LMP_EINVAL, "lmp_lm_load: expected an output pointer, got NULL");
    *out = NULL;
    if (!path) return lmp_error_set(err, LMP_EINVAL, "lmp_lm_load: expected a path, got NULL");
    lmp_lm_load_params defaults;
    lmp_lm_load_params_init(&defaults);
    const lmp_lm_load_params *p = params ? params : &defaults;
    if (lm_gpt2_is_model_path(path)) return lm_gpt2_load(path, p, out, err);
    lmp_tokenizer *tok = NULL;
    lmp_ngram *m = NULL;
    lmp_status st = lmp_ngram_load(path, p->progress, p->progress_ctx, &m, err);
    if (st) return st;
    lmp_lm_tokens tokens = p->tokens;
    if (tokens == LMP_LM_TOKENS_DEFAULT && lmp_ngram_get_tokens(m) == LMP_NGRAM_TOKENS_GPT2) tokens = LMP_LM_TOKENS_GPT2;
    if (tokens == LMP_LM_TOKENS_GPT2) { /* an n-gram model over GPT-2 tokens: their names need the vocabulary */
        st = p->vocab ? lmp_tokenizer_load(p->vocab, &tok, err)
                      : lmp_error_set(err, LMP_EINVAL, "%s: an n-gram model over GPT-2 tokens: expected GPT-2's "
                                      "vocabulary (lmp_lm_load_params.vocab)", path);
        if (st) {
            lmp_ngram_free(m);
            return st;
        }
    }
    return lmp_lm_create_ngram_take(m, tokens, tok, out, err);
}

lmp_status lmp_lm_create_ngram(const lmp_ngram *m, lmp_lm_tokens tokens, const lmp_tokenizer *tok, lmp_lm **out,
                               lmp_error *err)
{
    if (!out) return lmp_error_set(err, LMP_EINVAL, "lmp_lm_create_ngram: expected an output pointer, got NULL");
    *out = NULL;
    if (!m) return lmp_error_set(err, LMP_EINVAL, "lmp_lm_create_ngram: expected a model, got NULL");
    return lm_ngram_make(m, NULL, tokens, tok, NULL, out, err);
}

lmp_status lmp_lm_create_ngram_take(lmp_ngram *m, lmp_lm_tokens tokens, lmp_tokenizer *tok, lmp_lm **out,
                                    lmp_error *err)
{
    lmp_status st = out && m ? lm_ngram_make(m, m, tokens, tok, tok, out, err)
                             : lmp_error_set(err, LMP_EINVAL, "lmp_lm_create_ngram_take: expected a model and an "
                                             "output pointer");
    if (st) { /* the caller gave them: released here */
        lmp_ngram_free(m);
        lmp_tokenizer_free(tok);
    }
    return st;
}

const lmp_tokenizer *lmp_lm_tokenizer(const lmp_lm *lm)
{
    if (!lm) return NULL;
    if (lm->info.kind == LMP_LM_NGRAM) return lm_ngram_tokenizer(lm);
    if (lm->info.kind == LMP_LM_GPT2) return lm_gpt2_tokenizer(lm);
    return NULL;
}

lmp_lm_path_kind lmp_lm_probe_path(const char *path)
{
    if (!path || !lm_gpt2_is_model_path(path)) return LMP_LM_PATH_NGRAM;
    return lm_gpt2_folder_has_vocab(path) ? LMP_LM_PATH_GPT2_VOCAB : LMP_LM_PATH_GPT2;
}

void lmp_lm_free(lmp_lm *lm)
{
    if (!lm) return;
    if (lm->ops && lm->ops->free) lm->ops->free(lm);
    free(lm);
}

void lmp_lm_get_info(const lmp_lm *lm, lmp_lm_info *info)
{
    if (lm && info) *info = lm->info;
}

size_t lmp_lm_vocab_size(const lmp_lm *lm)
{
    return lm ? lm->info.vocab_size : 0;
}

const char *lmp_lm_token_text(const lmp_lm *lm, lmp_token_id id, size_t *len)
{
    if (len) *len = 0;
    if (!lm || id < 0 || (size_t)id >= lm->info.vocab_size || !lm->ops->token_text) return NULL;
    return lm->ops->token_text(lm, id, len);
}

lmp_status lmp_lm_tokenize(const lmp_lm *lm, const char *text, size_t len, unsigned flags, lmp_token_id *ids,
                           unsigned char *unknown, lmp_lm_span *spans, size_t cap, size_t *n, lmp_error *err)
{
    if (!lm || !n) return lmp_error_set(err, LMP_EINVAL, "tokenize: expected a model and a count pointer, got NULL");
    *n = 0;
    if (len && !text) return lmp_error_set(err, LMP_EINVAL, "tokenize: %zu bytes of text but a NULL pointer", len);
    if (!ids) cap = 0; /* a size query whatever cap says, as lmp_tokenizer_encode's (it was LMP_EINVAL here) */
    if (flags & ~LMP_LM_SENTENCES) /* as lmp_tokenizer_encode refuses its unknown bits: they were ignored here */
        return lmp_error_set(err, LMP_EINVAL, "tokenize: flags 0x%x: expected 0 or LMP_LM_SENTENCES (0x%x)", flags,
                             LMP_LM_SENTENCES);
    if (!lm->ops->tokenize)
        return lmp_error_set(err, LMP_EUNSUPPORTED, "model %s has no tokenizer: expected token ids", lm->info.name);
    lmp_status st = lm->ops->tokenize(lm, text ? text : "", len, flags, ids, unknown, spans, cap, n, err);
    /* ids NULL (cap 0): a size query, answered with LMP_OK as lmp_tokenizer_encode answers it (a caller of
     * both asked the same question and got LMP_ERANGE and a message from one) */
    if (st == LMP_ERANGE && !ids) {
        lmp_error_clear(err);
        st = LMP_OK;
    }
    return st;
}

/* ---- contexts ---------------------------------------------------------------------- */

lmp_status lmp_lm_ctx_create(const lmp_lm *lm, size_t max_tokens, lmp_lm_ctx **out, lmp_error *err)
{
    if (!out) return lmp_error_set(err, LMP_EINVAL, "context: expected an output pointer, got NULL");
    *out = NULL;
    if (!lm) return lmp_error_set(err, LMP_EINVAL, "context: expected a model, got NULL");
    if (max_tokens == 0) return lmp_error_set(err, LMP_EINVAL, "context: max_tokens = 0: expected >= 1");
    if (lm->info.n_ctx && max_tokens > lm->info.n_ctx)
        return lmp_error_set(err, LMP_ERANGE, "context of %zu tokens: model %s attends to at most %zu (n_ctx)",
                             max_tokens, lm->info.name, lm->info.n_ctx);
    if (max_tokens > SIZE_MAX / sizeof(lmp_token_id) / 2)
        return lmp_error_set(err, LMP_ERANGE, "context of %zu tokens: too large", max_tokens);
    lmp_lm_ctx *c = calloc(1, sizeof *c);
    if (!c) return lmp_error_set(err, LMP_ENOMEM, "out of memory for a context");
    c->lm = lm;
    c->cap = max_tokens;
    c->tok = malloc(max_tokens * sizeof *c->tok);
    c->scratch = malloc(lm->info.vocab_size * sizeof *c->scratch);
    if (!c->tok || !c->scratch) {
        lmp_lm_ctx_free(c);
        return lmp_error_set(err, LMP_ENOMEM, "out of memory for a context of %zu tokens", max_tokens);
    }
    if (lm->ops->ctx_init) {
        lmp_status st = lm->ops->ctx_init(c, err);
        if (st) {
            lmp_lm_ctx_free(c);
            return st;
        }
    }
    *out = c;
    return LMP_OK;
}

void lmp_lm_ctx_free(lmp_lm_ctx *c)
{
    if (!c) return;
    if (c->impl && c->lm->ops->ctx_fini) c->lm->ops->ctx_fini(c);
    free(c->tok);
    free(c->scratch);
    free(c);
}

const lmp_lm *lmp_lm_ctx_model(const lmp_lm_ctx *c)
{
    return c ? c->lm : NULL;
}

size_t lmp_lm_ctx_length(const lmp_lm_ctx *c)
{
    return c ? c->len : 0;
}

size_t lmp_lm_ctx_capacity(const lmp_lm_ctx *c)
{
    return c ? c->cap : 0;
}

const lmp_token_id *lmp_lm_ctx_tokens(const lmp_lm_ctx *c)
{
    return c ? c->tok : NULL;
}

/* Check ids[0..n) and room for them, then append them to the history. */
static lmp_status append(lmp_lm_ctx *c, const lmp_token_id *ids, size_t n, lmp_error *err)
{
    if (!c) return lmp_error_set(err, LMP_EINVAL, "context: expected a context, got NULL");
    if (n && !ids) return lmp_error_set(err, LMP_EINVAL, "context: %zu ids but a NULL pointer", n);
    size_t V = c->lm->info.vocab_size;
    for (size_t i = 0; i < n; i++)
        if (ids[i] < 0 || (size_t)ids[i] >= V)
            return lmp_error_set(err, LMP_EINVAL, "ids[%zu] = %d: expected a token id in [0, %zu)", i, (int)ids[i], V);
    if (n > c->cap - c->len)
        return lmp_error_set(err, LMP_ERANGE, "context full: %zu tokens + %zu exceed its capacity of %zu", c->len, n,
                             c->cap);
    if (n) memcpy(c->tok + c->len, ids, n * sizeof *ids); /* ids may be NULL when n = 0: memcpy forbids it */
    c->len += n;
    return LMP_OK;
}

/* After a failed model call: back to `from` (the model rewinds its state too). */
static void undo(lmp_lm_ctx *c, size_t from)
{
    size_t old = c->len;
    c->len = from;
    if (c->lm->ops->rewound) c->lm->ops->rewound(c, old, NULL);
}

lmp_status lmp_lm_ctx_push(lmp_lm_ctx *c, const lmp_token_id *ids, size_t n, lmp_error *err)
{
    size_t from = c ? c->len : 0;
    lmp_status st = append(c, ids, n, err);
    if (st || n == 0) return st;
    if (c->lm->ops->pushed && (st = c->lm->ops->pushed(c, from, err))) undo(c, from);
    return st;
}

/* 1 when the model does not predict the token at position pos of the history. */
static int not_predicted(const lmp_lm_ctx *c, size_t pos)
{
    if (pos == 0 && c->lm->info.needs_context) return 1;
    const lmp_token_id marker = lmp_lm_sentence_marker(c->lm);
    return marker != LMP_TOKEN_NONE && c->tok[pos] == marker;
}

static lmp_status score_or_predict(lmp_lm_ctx *c, const lmp_token_id *ids, size_t n, double *lp, float *rows,
                                   lmp_error *err)
{
    if (c && n && !lp && !rows) return lmp_error_set(err, LMP_EINVAL, "score: expected an output array, got NULL");
    size_t from = c ? c->len : 0;
    lmp_status st = append(c, ids, n, err);
    if (st || n == 0) return st;
    st = c->lm->ops->score(c, from, lp, rows, err);
    if (st) {
        undo(c, from);
        return st;
    }
    size_t V = c->lm->info.vocab_size;
    for (size_t i = 0; i < n; i++)
        if (not_predicted(c, from + i)) {
            if (lp) lp[i] = NAN;
            if (rows)
                for (size_t v = 0; v < V; v++) rows[i * V + v] = NAN;
        }
    return LMP_OK;
}

lmp_status lmp_lm_ctx_score(lmp_lm_ctx *c, const lmp_token_id *ids, size_t n, double *logprob, lmp_error *err)
{
    if (c && n && !logprob) return lmp_error_set(err, LMP_EINVAL, "score: expected an output array, got NULL");
    return score_or_predict(c, ids, n, logprob, NULL, err);
}

lmp_status lmp_lm_ctx_predict_f32(lmp_lm_ctx *c, const lmp_token_id *ids, size_t n, float *rows, lmp_error *err)
{
    if (c && n && !rows) return lmp_error_set(err, LMP_EINVAL, "predict: expected an output array, got NULL");
    return score_or_predict(c, ids, n, NULL, rows, err);
}

lmp_status lm_ctx_predict_scores_f32(lmp_lm_ctx *c, const lmp_token_id *ids, size_t n, float *rows, lmp_error *err)
{
    if (c) c->raw_rows = 1;
    lmp_status st = lmp_lm_ctx_predict_f32(c, ids, n, rows, err);
    if (c) c->raw_rows = 0;
    return st;
}

static lmp_status next_any(lmp_lm_ctx *c, double *d, float *f, lmp_error *err)
{
    if (!c || (!d && !f)) return lmp_error_set(err, LMP_EINVAL, "next_logprobs: expected a context and an output");
    if (c->len == 0 && c->lm->info.needs_context)
        return lmp_error_set(err, LMP_EDOM, "next_logprobs: model %s needs at least one token of context, got none",
                             c->lm->info.name);
    return c->lm->ops->next(c, d, f, err);
}

lmp_status lmp_lm_ctx_next_logprobs(lmp_lm_ctx *c, double *out, lmp_error *err)
{
    return next_any(c, out, NULL, err);
}

lmp_status lmp_lm_ctx_next_logprobs_f32(lmp_lm_ctx *c, float *out, lmp_error *err)
{
    return next_any(c, NULL, out, err);
}

lmp_status lmp_lm_ctx_rewind(lmp_lm_ctx *c, size_t keep, lmp_error *err)
{
    if (!c) return lmp_error_set(err, LMP_EINVAL, "rewind: expected a context, got NULL");
    if (keep > c->len)
        return lmp_error_set(err, LMP_EINVAL, "rewind to %zu tokens: expected at most the length %zu", keep, c->len);
    if (keep == c->len) return LMP_OK;
    size_t old = c->len;
    c->len = keep;
    return c->lm->ops->rewound ? c->lm->ops->rewound(c, old, err) : LMP_OK;
}

lmp_status lmp_lm_ctx_copy(lmp_lm_ctx *dst, const lmp_lm_ctx *src, lmp_error *err)
{
    if (!dst || !src) return lmp_error_set(err, LMP_EINVAL, "copy: expected two contexts, got NULL");
    if (dst == src) return LMP_OK;
    if (dst->lm != src->lm)
        return lmp_error_set(err, LMP_EINVAL, "copy: the contexts belong to different models (%s, %s)",
                             src->lm->info.name, dst->lm->info.name);
    if (src->len > dst->cap)
        return lmp_error_set(err, LMP_ERANGE, "copy: %zu tokens into a context of capacity %zu", src->len, dst->cap);
    memcpy(dst->tok, src->tok, src->len * sizeof *src->tok);
    dst->len = src->len;
    if (!dst->lm->ops->copy) return LMP_OK;
    lmp_status st = dst->lm->ops->copy(dst, src, err);
    if (st) dst->len = 0; /* a failed copy leaves an empty (valid) context */
    return st;
}

lmp_status lmp_lm_sequence_logprob(const lmp_lm *lm, const lmp_token_id *ids, size_t n, size_t start, double *logprob,
                                   lmp_error *err)
{
    if (!lm || !logprob) return lmp_error_set(err, LMP_EINVAL, "sequence_logprob: expected a model and an output");
    if (start > n) return lmp_error_set(err, LMP_EINVAL, "start = %zu: expected start <= n = %zu", start, n);
    if (!ids && n) /* before ids + start */
        return lmp_error_set(err, LMP_EINVAL, "sequence_logprob: ids is NULL (n = %zu): expected an array of n ids", n);
    if (n == 0) {
        *logprob = 0.0;
        return LMP_OK;
    }
    lmp_lm_ctx *c = NULL;
    double *lp = malloc(n * sizeof *lp);
    if (!lp) return lmp_error_set(err, LMP_ENOMEM, "out of memory for %zu log-probabilities", n);
    lmp_status st = lmp_lm_ctx_create(lm, n, &c, err);
    if (!st) st = lmp_lm_ctx_push(c, ids, start, err);
    if (!st) st = lmp_lm_ctx_score(c, ids + start, n - start, lp, err);
    if (!st) {
        double s = 0.0;
        for (size_t t = 0; t < n - start; t++)
            if (!isnan(lp[t])) s += lp[t]; /* -inf stays -inf: an impossible token */
        *logprob = s;
    }
    lmp_lm_ctx_free(c);
    free(lp);
    return st;
}

/* ---- models given as a vtable over the history ----------------------------- */

static lmp_status vt_check(const lmp_lm_ctx *c, const double *d, lmp_error *err)
{
    size_t V = c->lm->info.vocab_size;
    for (size_t v = 0; v < V; v++)
        if (isnan(d[v]) || d[v] > 0)
            return lmp_error_set(err, LMP_EDOM, "model %s: log p(%zu | %zu tokens) = %g: expected a value <= 0",
                                 c->lm->info.name, v, c->len, d[v]);
    return LMP_OK;
}

/* The vtable's next_logprobs after the context's first n tokens, checked, and a failure always with a
 * message: a model of the caller's may return a status without filling its lmp_error (the caller's message
 * was then empty or stale), or a value that is no status; and it always gets an lmp_error to write, even
 * where the caller passed none. */
static lmp_status vt_call_next(const lmp_lm_ctx *c, size_t n, double *out, lmp_error *err)
{
    const lmp_lm *lm = c->lm;
    lmp_error e = {.code = LMP_OK};
    lmp_status st = lm->vt->next_logprobs(lm->self, c->tok, n, out, &e);
    if (st == LMP_OK) return vt_check(c, out, err);
    if ((unsigned)st > (unsigned)LMP_ECANCELED) /* the last status (core.h): a model may stop on a callback */
        lmp_error_set(&e, LMP_EINVAL, "model %s: next_logprobs after %zu tokens returned %d: expected an lmp_status",
                      lm->info.name, n, (int)st);
    else if (!e.msg[0])
        lmp_error_set(&e, st, "model %s: next_logprobs after %zu tokens failed (%s) without a message", lm->info.name,
                      n, lmp_status_str(st));
    else
        e.code = st; /* the status returned is the one the caller gets */
    if (err) *err = e;
    return e.code;
}

static lmp_status vt_next(lmp_lm_ctx *c, double *d, float *f, lmp_error *err)
{
    const lmp_lm *lm = c->lm;
    double *out = d ? d : c->scratch;
    lmp_status st = vt_call_next(c, c->len, out, err);
    if (st || d) return st;
    for (size_t v = 0; v < lm->info.vocab_size; v++) f[v] = (float)out[v];
    return LMP_OK;
}

static lmp_status vt_score(lmp_lm_ctx *c, size_t from, double *lp, float *rows, lmp_error *err)
{
    const lmp_lm *lm = c->lm;
    size_t V = lm->info.vocab_size, end = c->len;
    for (size_t t = from; t < end; t++) {
        lmp_token_id tok = c->tok[t];
        if (lp && !rows && lm->vt->score) {
            double v = lm->vt->score(lm->self, c->tok, t, tok);
            if (isnan(v) || v > 0)
                return lmp_error_set(err, LMP_EDOM, "model %s: log p(%d | %zu tokens) = %g: expected a value <= 0",
                                     lm->info.name, (int)tok, t, v);
            lp[t - from] = v;
            continue;
        }
        if (t == 0 && lm->info.needs_context) continue; /* not predicted: the generic layer writes NaN */
        lmp_status st = vt_call_next(c, t, c->scratch, err);
        if (st) return st;
        if (lp) lp[t - from] = c->scratch[tok];
        if (rows)
            for (size_t v = 0; v < V; v++) rows[(t - from) * V + v] = (float)c->scratch[v];
    }
    return LMP_OK;
}

static const char *vt_token_text(const lmp_lm *lm, lmp_token_id id, size_t *len)
{
    if (!lm->vt->token_text) return NULL;
    const char *s = lm->vt->token_text(lm->self, id);
    if (s && len) *len = strlen(s);
    return s;
}

static const lm_ops vt_ops = {
    .next = vt_next,
    .score = vt_score,
    .token_text = vt_token_text,
};

static lmp_status check_info(const lmp_lm_info *in, lmp_error *err)
{
    if (in->vocab_size == 0) return lmp_error_set(err, LMP_EINVAL, "model: vocab_size = 0: expected >= 1");
    const lmp_token_id ids[3] = {in->bos, in->eos, in->unk};
    static const char *const names[3] = {"bos", "eos", "unk"};
    for (int i = 0; i < 3; i++)
        if (ids[i] < LMP_TOKEN_NONE || (ids[i] >= 0 && (size_t)ids[i] >= in->vocab_size))
            return lmp_error_set(err, LMP_EINVAL, "model: %s = %d: expected -1 (none) or an id in [0, %zu)", names[i],
                                 (int)ids[i], in->vocab_size);
    return LMP_OK;
}

lmp_status lmp_lm_create(const lmp_lm_vtable *vt, void *self, const lmp_lm_info *info, lmp_lm **out, lmp_error *err)
{
    if (!out) return lmp_error_set(err, LMP_EINVAL, "lmp_lm_create: expected an output pointer, got NULL");
    *out = NULL;
    if (!vt || !vt->next_logprobs || !info)
        return lmp_error_set(err, LMP_EINVAL, "lmp_lm_create: expected a vtable with next_logprobs and an info");
    lmp_status st = check_info(info, err);
    if (st) return st;
    lmp_lm *lm = NULL;
    if ((st = lm_alloc(&vt_ops, &lm, err))) return st;
    lm->vt = vt;
    lm->self = self;
    lm->info = *info;
    lm->info.kind = LMP_LM_CUSTOM;
    lm->info.name = vt->name ? vt->name : "custom";
    lm->info.order = 0;
    lm->info.tokens = LMP_LM_TOKENS_NONE;
    *out = lm;
    return LMP_OK;
}
