/* The n-gram models behind lm.h (include/lmprob/ngram.h): a context is one
 * lmp_ngram_state, KenLM's State, advanced by one lmp_ngram_score per token,
 * so scoring n tokens costs n backoff walks whatever the history's length.
 * Natural logs: the model's log10 values times ln 10. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lm_internal.h"
#include "lmprob/corpus.h"

#define LN10 2.30258509299404568402

typedef struct ng_lm {
    const lmp_ngram *m;
    lmp_ngram *owned; /* the model when the handle took it */
    lmp_corpus_mode mode;
    const lmp_tokenizer *tok;    /* GPT-2 token mode: the vocabulary the words are named in */
    lmp_tokenizer *tok_owned;
} ng_lm;

typedef struct ng_ctx {
    lmp_ngram_state st;
} ng_ctx;

static const lmp_ngram *model(const lmp_lm_ctx *c)
{
    return ((const ng_lm *)c->lm->impl)->m;
}

static lmp_status ng_ctx_init(lmp_lm_ctx *c, lmp_error *err)
{
    ng_ctx *x = malloc(sizeof *x);
    if (!x) return lmp_error_set(err, LMP_ENOMEM, "out of memory for an n-gram context");
    lmp_ngram_state_null(&x->st);
    c->impl = x;
    return LMP_OK;
}

static void ng_ctx_fini(lmp_lm_ctx *c)
{
    free(c->impl);
    c->impl = NULL;
}

/* One token into the state: <s> starts a sentence (KenLM's BeginSentenceState),
 * any other word is scored and the state moves on. Returns log10 p (-inf for <s>). */
static double step(const lmp_ngram *m, lmp_ngram_state *st, lmp_token_id tok)
{
    if (tok == lmp_ngram_bos(m)) {
        lmp_ngram_state_begin(m, st);
        return -INFINITY;
    }
    lmp_ngram_state nx;
    double p = lmp_ngram_score(m, st, tok, &nx, NULL);
    *st = nx;
    return p;
}

static lmp_status ng_pushed(lmp_lm_ctx *c, size_t from, lmp_error *err)
{
    (void)err;
    const lmp_ngram *m = model(c);
    ng_ctx *x = c->impl;
    for (size_t t = from; t < c->len; t++) step(m, &x->st, c->tok[t]);
    return LMP_OK;
}

/* Every word of the vocabulary scored from one state. <s> is context only:
 * -inf (lmplz writes it a log10 probability of 0 or -99, never meant to be predicted). */
static void dist(const lmp_ngram *m, const lmp_ngram_state *st, double *d, float *f)
{
    size_t V = lmp_ngram_vocab_size(m);
    lmp_token_id bos = lmp_ngram_bos(m);
    lmp_ngram_state nx;
    for (size_t v = 0; v < V; v++) {
        double lp = (lmp_token_id)v == bos ? -INFINITY : lmp_ngram_score(m, st, (lmp_token_id)v, &nx, NULL) * LN10;
        if (d) d[v] = lp;
        else f[v] = (float)lp;
    }
}

static lmp_status ng_next(lmp_lm_ctx *c, double *d, float *f, lmp_error *err)
{
    (void)err;
    dist(model(c), &((ng_ctx *)c->impl)->st, d, f);
    return LMP_OK;
}

static lmp_status ng_score(lmp_lm_ctx *c, size_t from, double *lp, float *rows, lmp_error *err)
{
    (void)err;
    const lmp_ngram *m = model(c);
    ng_ctx *x = c->impl;
    size_t V = c->lm->info.vocab_size;
    for (size_t t = from; t < c->len; t++) {
        if (rows) dist(m, &x->st, NULL, rows + (t - from) * V);
        double p = step(m, &x->st, c->tok[t]);
        if (lp) lp[t - from] = p * LN10;
    }
    return LMP_OK;
}

/* The state after tok[0..len) depends only on the tokens since the last <s>
 * and, of those, on the last order-1: rebuild it from there. */
static lmp_status ng_rewound(lmp_lm_ctx *c, size_t old_len, lmp_error *err)
{
    (void)old_len;
    (void)err;
    const lmp_ngram *m = model(c);
    ng_ctx *x = c->impl;
    unsigned order = lmp_ngram_order(m);
    size_t start = c->len > order - 1 ? c->len - (order - 1) : 0;
    lmp_token_id bos = lmp_ngram_bos(m);
    for (size_t t = c->len; t > start; t--)
        if (c->tok[t - 1] == bos) {
            start = t - 1;
            break;
        }
    lmp_ngram_state_null(&x->st);
    for (size_t t = start; t < c->len; t++) step(m, &x->st, c->tok[t]);
    return LMP_OK;
}

static lmp_status ng_copy(lmp_lm_ctx *dst, const lmp_lm_ctx *src, lmp_error *err)
{
    (void)err;
    ((ng_ctx *)dst->impl)->st = ((const ng_ctx *)src->impl)->st;
    return LMP_OK;
}

static const char *ng_token_text(const lmp_lm *lm, lmp_token_id id, size_t *len)
{
    const char *w = lmp_ngram_word(((const ng_lm *)lm->impl)->m, id);
    if (w && len) *len = strlen(w);
    return w;
}

/* Put token k (when there is room). */
static void put(lmp_token_id *ids, unsigned char *unknown, lmp_lm_span *spans, size_t cap, size_t k, lmp_token_id id,
                int unk, size_t off, size_t len)
{
    if (k >= cap) return;
    ids[k] = id;
    if (unknown) unknown[k] = (unsigned char)unk;
    if (spans) spans[k] = (lmp_lm_span){off, len};
}

/* The text through the corpus reader of `lmprob train`, in the model's mode,
 * so that a word is what it was in training; words as a text to score
 * (query_words: bytes, markers the model's tokens), as ppl scores them. */
static lmp_status ng_tokenize(const lmp_lm *lm, const char *text, size_t len, unsigned flags, lmp_token_id *ids,
                              unsigned char *unknown, lmp_lm_span *spans, size_t cap, size_t *n, lmp_error *err)
{
    const ng_lm *g = lm->impl;
    const lmp_ngram *m = g->m;
    lmp_token_id bos = lmp_ngram_bos(m), eos = lmp_ngram_eos(m), unk = lmp_ngram_unk(m);
    int frame = (flags & LMP_LM_SENTENCES) && bos >= 0 && eos >= 0;
    lmp_corpus_params cp;
    lmp_corpus_params_init(&cp);
    cp.mode = g->mode;
    cp.tokenizer = g->tok;
    cp.query_words = 1; /* words as the n-gram scorer reads them (lmp_ngram_score_file, KenLM's query) */
    cp.plain = 1;       /* a text (read and decompressed by lmp_read_text) or a prompt: never decompressed again */
    lmp_corpus *rd = NULL;
    size_t k = 0;
    lmp_status st = len ? lmp_corpus_create(text, len, "text", &cp, &rd, err) : LMP_EOF;
    const lmp_token *tok;
    size_t nt;
    while (!st) {
        lmp_corpus_stats cs;
        lmp_corpus_get_stats(rd, &cs);
        size_t base = (size_t)cs.bytes; /* where the next line starts in the text */
        if ((st = lmp_corpus_next_line(rd, &tok, &nt, err))) break;
        size_t llen;
        const char *line = lmp_corpus_line(rd, &llen);
        if (frame) put(ids, unknown, spans, cap, k++, bos, 0, base, 0);
        size_t cur = 0;
        for (size_t i = 0; i < nt; i++) {
            size_t off, tl;
            if (tok[i].ptr >= line && tok[i].ptr < line + llen) { /* a view of the line */
                off = (size_t)(tok[i].ptr - line);
                tl = tok[i].len;
            } else if (g->tok) { /* a GPT-2 token's name ("Ġthe"): its bytes follow */
                off = cur;
                if (!lmp_tokenizer_token_bytes(g->tok, lmp_tokenizer_find_name(g->tok, tok[i].ptr, tok[i].len), &tl))
                    tl = 0;
            } else { /* a name the reader gave a byte (<sp>, <tab>, <0xNN>) */
                off = cur;
                tl = 1;
            }
            cur = off + tl;
            lmp_token_id id = lmp_ngram_vocab_find(m, tok[i].ptr, tok[i].len);
            /* a literal <unk> is unknown too, as ppl and KenLM's query count it (score.c) */
            put(ids, unknown, spans, cap, k++, id < 0 ? unk : id, id < 0 || id == unk, base + off, tl);
        }
        if (frame) put(ids, unknown, spans, cap, k++, eos, 0, base + llen, 0);
    }
    lmp_corpus_free(rd);
    if (st != LMP_EOF) return st;
    *n = k;
    if (k > cap) return lmp_error_set(err, LMP_ERANGE, "tokenize: %zu tokens, room for %zu", k, cap);
    return LMP_OK;
}

static void ng_free(lmp_lm *lm)
{
    ng_lm *g = lm->impl;
    if (g) {
        lmp_ngram_free(g->owned);
        lmp_tokenizer_free(g->tok_owned);
    }
    free(g);
}

static const lm_ops ng_ops = {
    .ctx_init = ng_ctx_init,
    .ctx_fini = ng_ctx_fini,
    .pushed = ng_pushed,
    .next = ng_next,
    .score = ng_score,
    .rewound = ng_rewound,
    .copy = ng_copy,
    .token_text = ng_token_text,
    .tokenize = ng_tokenize,
    .free = ng_free,
};

/* The token mode the model records (lmprob train writes it: ngram.h "tokens"), or
 * LMP_LM_TOKENS_DEFAULT when it has no record (an ARPA file from another toolkit). */
static lmp_lm_tokens stored_tokens(const lmp_ngram *m)
{
    switch (lmp_ngram_get_tokens(m)) {
    case LMP_NGRAM_TOKENS_WORD: return LMP_LM_TOKENS_WORD;
    case LMP_NGRAM_TOKENS_CHAR: return LMP_LM_TOKENS_CHAR;
    case LMP_NGRAM_TOKENS_BYTE: return LMP_LM_TOKENS_BYTE;
    case LMP_NGRAM_TOKENS_GPT2: return LMP_LM_TOKENS_GPT2;
    default: return LMP_LM_TOKENS_DEFAULT;
    }
}

static const char *tokens_name(lmp_lm_tokens t)
{
    switch (t) {
    case LMP_LM_TOKENS_WORD: return "word";
    case LMP_LM_TOKENS_CHAR: return "char";
    case LMP_LM_TOKENS_BYTE: return "byte";
    case LMP_LM_TOKENS_GPT2: return "gpt2";
    default: return "none";
    }
}

_Static_assert((int)LMP_LM_TOKENS_WORD == (int)LMP_NGRAM_TOKENS_WORD && (int)LMP_LM_TOKENS_CHAR == (int)LMP_NGRAM_TOKENS_CHAR &&
                   (int)LMP_LM_TOKENS_BYTE == (int)LMP_NGRAM_TOKENS_BYTE &&
                   (int)LMP_LM_TOKENS_GPT2 == (int)LMP_NGRAM_TOKENS_GPT2,
               "lm.h and ngram.h number the token kinds alike");

lmp_status lm_ngram_make(const lmp_ngram *m, lmp_ngram *owned, lmp_lm_tokens tokens, const lmp_tokenizer *tok,
                         lmp_tokenizer *tok_owned, lmp_lm **out, lmp_error *err)
{
    *out = NULL;
    lmp_lm_tokens have = stored_tokens(m);
    if (tokens == LMP_LM_TOKENS_DEFAULT) tokens = have == LMP_LM_TOKENS_DEFAULT ? LMP_LM_TOKENS_WORD : have;
    if (tokens != LMP_LM_TOKENS_WORD && tokens != LMP_LM_TOKENS_CHAR && tokens != LMP_LM_TOKENS_BYTE &&
        tokens != LMP_LM_TOKENS_GPT2)
        return lmp_error_set(err, LMP_EINVAL, "n-gram model: token mode %d (%s): expected word, char, byte or gpt2",
                             (int)tokens, tokens_name(tokens));
    if ((tokens == LMP_LM_TOKENS_GPT2) != (tok != NULL))
        return lmp_error_set(err, LMP_EINVAL, tok ? "n-gram model: a GPT-2 vocabulary goes with GPT-2 tokens (gpt2 "
                                                    "mode), not %s tokens"
                                                  : "n-gram model over %s tokens: expected GPT-2's vocabulary",
                             tokens_name(tokens));
    lmp_status st = lmp_ngram_check_tokens(m, (lmp_ngram_tokens)tokens, err); /* the two enums agree */
    if (st) return st;
    ng_lm *g = calloc(1, sizeof *g);
    if (!g) return lmp_error_set(err, LMP_ENOMEM, "out of memory for a model handle");
    lmp_lm *lm = NULL;
    st = lm_alloc(&ng_ops, &lm, err);
    if (st) {
        free(g);
        return st;
    }
    g->m = m;
    g->mode = tokens == LMP_LM_TOKENS_CHAR   ? LMP_CORPUS_CHAR
              : tokens == LMP_LM_TOKENS_BYTE ? LMP_CORPUS_BYTE
              : tokens == LMP_LM_TOKENS_GPT2 ? LMP_CORPUS_GPT2
                                             : LMP_CORPUS_WORD;
    g->tok = tok;
    lm->impl = g;
    lm->info.kind = LMP_LM_NGRAM;
    lm->info.name = "ngram";
    lm->info.vocab_size = lmp_ngram_vocab_size(m);
    lm->info.n_ctx = 0;
    lm->info.order = lmp_ngram_order(m);
    lm->info.bos = lmp_ngram_bos(m);
    lm->info.eos = lmp_ngram_eos(m);
    lm->info.unk = lmp_ngram_unk(m);
    lm->info.tokens = tokens;
    lm->info.needs_context = 0;
    /* set last: on an error above the caller still owns m and tok */
    g->owned = owned;
    g->tok_owned = tok_owned;
    *out = lm;
    return LMP_OK;
}

const lmp_ngram *lmp_lm_ngram(const lmp_lm *lm)
{
    return lm && lm->info.kind == LMP_LM_NGRAM ? ((const ng_lm *)lm->impl)->m : NULL;
}

const lmp_tokenizer *lm_ngram_tokenizer(const lmp_lm *lm)
{
    return ((const ng_lm *)lm->impl)->tok;
}
