/* GPT-2 behind lm.h: the engine of gpt2.h and the tokenizer of tokenizer.h.
 *
 * A context is an engine context (the KV cache) that runs lazily: a push only
 * records the tokens, and the forward pass runs when logits are needed, over
 * every token not yet in the cache, in one batched push. So the windows of a
 * perplexity recipe (push the context part, score the rest) cost one pass
 * each with the logits of the scored positions only, and generation (push
 * one token, read the next distribution) is one decoding step per token.
 *
 * Positions: the engine's logits row after token t predicts token t + 1. The
 * logits after the whole context are kept (`last`), so the next call needs no
 * pass when nothing was pushed since. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../core/bigmem.h"
#include "../core/path.h"
#include "../core/pool.h" /* run_pair: the rows' log-softmax on two threads */
#include "../gpt2/torch_ckpt.h"
#include "../info/vmath.h" /* the double exps of the log-sum-exp */
#include "../sample/kernels.h"
#include "lm_internal.h"
#include "lmprob/gpt2.h"
#include "lmprob/info.h"
#include "lmprob/tokenizer.h"

#define G2_ROWS 256 /* logits rows per engine push when all positions are needed */

typedef struct g2_lm {
    const lmp_gpt2 *g;
    const lmp_tokenizer *tok; /* NULL: no tokenizer */
    lmp_gpt2 *g_owned;
    lmp_tokenizer *tok_owned;
    int threads;
    char *text;               /* every token's bytes, each followed by a NUL */
    size_t *off;              /* token i is text[off[i] .. off[i+1] - 1) */
} g2_lm;

typedef struct g2_ctx {
    lmp_gpt2_ctx *e;
    size_t engine_len; /* tokens in the KV cache: a prefix of c->tok */
    int last_valid;    /* last[] = the logits after c->tok[0 .. c->len), engine_len == c->len */
    float *last;       /* V */
    float *rows;       /* R x V */
    size_t R;
    int isa;           /* the vector kernels' level */
} g2_ctx;

int lm_gpt2_is_model_path(const char *path)
{
    size_t n = strlen(path);
    if (n >= 12 && strcmp(path + n - 12, ".safetensors") == 0) return 1;
    /* a sharded checkpoint's index named instead of its folder: the GPT-2 loader says to name the folder (an
     * n-gram load read it as an ARPA file: "expected '\\data\\', got '{'") */
    if ((n >= 23 && strcmp(path + n - 23, ".safetensors.index.json") == 0) ||
        (n >= 15 && strcmp(path + n - 15, ".bin.index.json") == 0))
        return 1;
    /* Every folder: an n-gram model is one file, so a folder is a GPT-2 checkpoint or nothing, and the loader
     * names what it lacks (model.safetensors; config.json is optional, as for lmp_gpt2_load and gpt2 info). */
    struct stat sb;
    if (stat(path, &sb) != 0) return 0;
    if (S_ISDIR(sb.st_mode)) return 1;
    /* A PyTorch checkpoint (pytorch_model.bin) named as a file: a zip archive, which no n-gram model is (ARPA
     * text, gzip or xz, lmprob's or KenLM's binary magic). Only regular files are opened: a FIFO stays unread. */
    unsigned char head[8];
    FILE *f = S_ISREG(sb.st_mode) ? fopen(path, "rb") : NULL;
    const size_t got = f ? fread(head, 1, sizeof head, f) : 0;
    if (f) fclose(f);
    return pt_is_checkpoint(head, got);
}

/* A folder "has" a vocabulary when it holds tokenizer.json or any file of one of the two pairs: half a
 * pair (vocab.json without merges.txt, ...) is then loaded, and lmp_tokenizer_load names the missing file,
 * instead of the folder being taken for one without a vocabulary and given the default one in silence. */
int lm_gpt2_folder_has_vocab(const char *path)
{
    static const char *const files[5] = {"tokenizer.json", "vocab.json", "merges.txt", "encoder.json", "vocab.bpe"};
    struct stat sb;
    if (stat(path, &sb) != 0 || !S_ISDIR(sb.st_mode)) return 0;
    for (int k = 0; k < 5; k++) {
        char a[4200];
        if (lmp_path_join(a, sizeof a, path, files[k], NULL) == LMP_OK && stat(a, &sb) == 0) return 1;
    }
    return 0;
}

static const g2_lm *G(const lmp_lm *lm)
{
    return lm->impl;
}

const lmp_tokenizer *lm_gpt2_tokenizer(const lmp_lm *lm)
{
    return G(lm)->tok;
}

const lmp_gpt2 *lmp_lm_gpt2(const lmp_lm *lm)
{
    return lm && lm->info.kind == LMP_LM_GPT2 ? G(lm)->g : NULL;
}

/* ---- contexts ---------------------------------------------------------------------- */

static lmp_status g2_ctx_init(lmp_lm_ctx *c, lmp_error *err)
{
    const g2_lm *m = G(c->lm);
    size_t V = c->lm->info.vocab_size;
    g2_ctx *x = calloc(1, sizeof *x);
    if (!x) return lmp_error_set(err, LMP_ENOMEM, "out of memory for a GPT-2 context");
    c->impl = x;
    x->R = c->cap < G2_ROWS ? c->cap : G2_ROWS;
    x->last = malloc(V * sizeof *x->last);
    x->rows = malloc(x->R * V * sizeof *x->rows);
    x->isa = lmp_sample_isa_best();
    if (!x->last || !x->rows)
        return lmp_error_set(err, LMP_ENOMEM, "out of memory for %zu rows of %zu logits", x->R + 1, V);
    /* 51 MB for GPT-2's 256 rows, written by the first pass that scores them: in 2 MB pages, 26 faults
     * where 4 KB pages took 12,600 (0.2 s of a short text's perplexity in a VM); untouched, as for a
     * context that only samples, it costs nothing either way */
    mem_hugepages(x->rows, x->R * V * sizeof *x->rows);
    return lmp_gpt2_ctx_create(m->g, c->cap, m->threads, &x->e, err);
}

static void g2_ctx_fini(lmp_lm_ctx *c)
{
    g2_ctx *x = c->impl;
    lmp_gpt2_ctx_free(x->e);
    free(x->last);
    free(x->rows);
    free(x);
    c->impl = NULL;
}

static lmp_status g2_pushed(lmp_lm_ctx *c, size_t from, lmp_error *err)
{
    (void)from;
    (void)err;
    ((g2_ctx *)c->impl)->last_valid = 0; /* the pass waits until logits are needed */
    return LMP_OK;
}

/* Bring the cache to c->tok[0 .. upto) without logits (upto >= engine_len). */
static lmp_status feed(lmp_lm_ctx *c, size_t upto, lmp_error *err)
{
    g2_ctx *x = c->impl;
    if (upto <= x->engine_len) return LMP_OK;
    lmp_status st = lmp_gpt2_ctx_push(x->e, c->tok + x->engine_len, upto - x->engine_len, NULL,
                                      LMP_GPT2_LOGITS_NONE, err);
    if (!st) x->engine_len = upto;
    return st;
}

/* Make the cache hold the whole context and last[] its final logits. */
static lmp_status flush_last(lmp_lm_ctx *c, lmp_error *err)
{
    g2_ctx *x = c->impl;
    if (x->last_valid) return LMP_OK;
    if (x->engine_len == c->len) { /* the logits of the last token were not kept: run it again */
        lmp_status st = lmp_gpt2_ctx_rewind(x->e, c->len - 1, err);
        if (st) return st;
        x->engine_len = c->len - 1;
    }
    lmp_status st = lmp_gpt2_ctx_push(x->e, c->tok + x->engine_len, c->len - x->engine_len, x->last,
                                      LMP_GPT2_LOGITS_LAST, err);
    if (st) return st;
    x->engine_len = c->len;
    x->last_valid = 1;
    return LMP_OK;
}

/* ln sum_v exp(row[v]) in two parts, *m the largest logit and log1p of the others' exps (vmath.h's
 * lmp_vm_lse_parts: double exps within 1 ulp, compensated sums), so that a log-probability is
 * (row[v] - m) - l1p: the likeliest token's is -l1p to the last bit however confident the row. The sum
 * was of float exps in one double with m: a log-probability of -1.2e-198 came out 0 and one of -2.2e-6
 * 3.6e-5 off. Returns -1 when a logit is NaN or +inf. */
static int row_lse(const g2_ctx *x, const float *row, size_t V, double *m, double *l1p)
{
    float mf;
    if (lmp_sample_fcheck(x->isa, row, V, &mf) < V || mf == -INFINITY) return -1;
    *l1p = lmp_vm_lse_parts(x->isa, row, V, m);
    return 0;
}

/* Row (V logits) as log-probabilities: that of token `tok` (into *lp) and/or the whole row
 * into out (the logits themselves when raw: lm_ctx_predict_scores_f32). LMP_EDOM for a logit
 * that is NaN or +inf, naming the position. */
static lmp_status normalise(const g2_ctx *x, const float *row, size_t V, lmp_token_id tok, size_t pos, double *lp,
                            float *out, int raw, lmp_error *err)
{
    double m, l1p;
    float mf;
    /* raw rows and no log-probability (kl, which normalises the pair itself): the finiteness check alone,
     * not a log-sum-exp thrown away */
    int bad = raw && !lp ? lmp_sample_fcheck(x->isa, row, V, &mf) < V || mf == -INFINITY : row_lse(x, row, V, &m, &l1p);
    if (bad) return lmp_error_set(err, LMP_EDOM, "GPT-2: the logits after position %zu hold a NaN or an infinity", pos);
    if (out && raw) memcpy(out, row, V * sizeof *out);
    else if (out)
        for (size_t v = 0; v < V; v++) out[v] = (float)(((double)row[v] - m) - l1p);
    if (lp) *lp = ((double)row[tok] - m) - l1p;
    return LMP_OK;
}

/* Rows j0 .. j1 of a batch pushed after position p (row j predicts c->tok[p + j + 1]) as normalise makes
 * them, into lp and rows from index `from`; st and err: the first failure. */
typedef struct norm_job {
    const g2_ctx *x;
    const lmp_lm_ctx *c;
    size_t j0, j1, p, from;
    double *lp;
    float *rows;
    lmp_status st;
    lmp_error err;
} norm_job;

static void *norm_run(void *arg)
{
    norm_job *n = arg;
    const size_t V = n->c->lm->info.vocab_size;
    for (size_t j = n->j0; !n->st && j < n->j1; j++) {
        size_t target = n->p + j + 1;
        n->st = normalise(n->x, n->x->rows + j * V, V, n->c->tok[target], n->p + j,
                          n->lp ? n->lp + (target - n->from) : NULL, n->rows ? n->rows + (target - n->from) * V : NULL,
                          n->c->raw_rows, &n->err);
    }
    return NULL;
}

/* The k rows of a pushed batch, in two halves on two threads where the engine runs on two or more and the
 * batch is long (a prefill's 256 rows: the log-softmax in double costs about 0.2 ms a row of 50,257 here,
 * 5 % of GPT-2 124M's forward pass on one thread); the first failing row's error, as one loop gives it. */
static lmp_status normalise_rows(const lmp_lm_ctx *c, size_t p, size_t k, size_t from, double *lp, float *rows,
                                 lmp_error *err)
{
    const g2_ctx *x = c->impl;
    size_t half = k >= 16 && lmp_gpt2_ctx_threads(x->e) >= 2 ? k / 2 : k;
    norm_job a = {x, c, 0, half, p, from, lp, rows, LMP_OK, {0}}, b = a;
    b.j0 = half;
    b.j1 = k;
    run_pair(norm_run, &a, half < k ? &b : NULL);
    norm_job *bad = a.st ? &a : b.st ? &b : NULL;
    if (bad && err) *err = bad->err;
    return bad ? bad->st : LMP_OK;
}

static lmp_status g2_next(lmp_lm_ctx *c, double *d, float *f, lmp_error *err)
{
    lmp_status st = flush_last(c, err);
    if (st) return st;
    const g2_ctx *x = c->impl;
    size_t V = c->lm->info.vocab_size;
    double m, l1p;
    if (row_lse(x, x->last, V, &m, &l1p))
        return lmp_error_set(err, LMP_EDOM, "GPT-2: the logits after position %zu hold a NaN or an infinity",
                             c->len - 1);
    for (size_t v = 0; v < V; v++) {
        if (d) d[v] = ((double)x->last[v] - m) - l1p;
        else f[v] = (float)(((double)x->last[v] - m) - l1p);
    }
    return LMP_OK;
}

/* Predict c->tok[from .. len): the logits after position t - 1 predict token t. */
static lmp_status g2_score(lmp_lm_ctx *c, size_t from, double *lp, float *rows, lmp_error *err)
{
    g2_ctx *x = c->impl;
    size_t V = c->lm->info.vocab_size, len = c->len;
    lmp_status st;
    size_t t = from; /* the next token whose prediction we need */
    if (t == 0) t = 1; /* token 0 of a context is not predicted (the generic layer writes NaN) */
    if (t >= len) return feed(c, len, err);
    if (x->last_valid && x->engine_len == t) { /* the prediction of tok[t] is at hand */
        if ((st = normalise(x, x->last, V, c->tok[t], t - 1, lp ? lp + (t - from) : NULL,
                            rows ? rows + (t - from) * V : NULL, c->raw_rows, err)))
            return st;
        t++;
    } else if (x->engine_len >= t) { /* the cache holds tok[t - 1] but not its logits */
        if ((st = lmp_gpt2_ctx_rewind(x->e, t - 1, err))) return st;
        x->engine_len = t - 1;
    }
    x->last_valid = 0;
    /* the context before tok[t - 1] without logits, then tok[t - 1 .. len - 1) with every row (each predicts
     * a token of the context), then tok[len - 1] without: the row after the whole context is no score, and
     * computing it made a stride-1 window's product two rows, which the engine multiplies through its packed
     * path (the whole output projection repacked: 5 ms a window on the tiny model, against about 1 ms for the
     * one row; lmp_lm_ctx_next_logprobs computes it when asked) */
    if ((st = feed(c, t - 1, err))) return st;
    size_t p = x->engine_len; /* = t - 1: the first position pushed with logits */
    while (p < len - 1) {
        size_t k = len - 1 - p < x->R ? len - 1 - p : x->R;
        if ((st = lmp_gpt2_ctx_push(x->e, c->tok + p, k, x->rows, LMP_GPT2_LOGITS_ALL, err))) return st;
        x->engine_len = p + k;
        if ((st = normalise_rows(c, p, k, from, lp, rows, err))) return st; /* row j follows tok[p + j] */
        p += k;
    }
    return feed(c, len, err);
}

static lmp_status g2_rewound(lmp_lm_ctx *c, size_t old_len, lmp_error *err)
{
    (void)old_len;
    g2_ctx *x = c->impl;
    x->last_valid = 0;
    if (x->engine_len <= c->len) return LMP_OK;
    x->engine_len = c->len;
    return lmp_gpt2_ctx_rewind(x->e, c->len, err);
}

static lmp_status g2_copy(lmp_lm_ctx *dst, const lmp_lm_ctx *src, lmp_error *err)
{
    g2_ctx *d = dst->impl;
    const g2_ctx *s = src->impl;
    d->last_valid = 0;
    d->engine_len = 0;
    lmp_status st = lmp_gpt2_ctx_copy(d->e, s->e, err);
    if (st) {
        lmp_gpt2_ctx_rewind(d->e, 0, NULL);
        return st;
    }
    d->engine_len = s->engine_len;
    if (s->last_valid) {
        memcpy(d->last, s->last, dst->lm->info.vocab_size * sizeof *d->last);
        d->last_valid = 1;
    }
    return LMP_OK;
}

/* ---- tokens ---------------------------------------------------------------------------- */

static const char *g2_token_text(const lmp_lm *lm, lmp_token_id id, size_t *len)
{
    const g2_lm *m = G(lm);
    if (!m->text) return NULL;
    if (len) *len = m->off[id + 1] - m->off[id] - 1;
    return m->text + m->off[id];
}

/* The BPE tokenizer as Hugging Face's GPT2TokenizerFast reads text: "<|endoftext|>" in the
 * text is the special token; invalid UTF-8 becomes U+FFFD, as every reference sees it. */
static lmp_status g2_tokenize(const lmp_lm *lm, const char *text, size_t len, unsigned flags, lmp_token_id *ids,
                              unsigned char *unknown, lmp_lm_span *spans, size_t cap, size_t *n, lmp_error *err)
{
    (void)flags;
    const g2_lm *m = G(lm);
    if (!m->tok)
        return lmp_error_set(err, LMP_EUNSUPPORTED,
                             "this GPT-2 model has no vocabulary (its folder has no tokenizer.json or vocab.json + "
                             "merges.txt): "
                             "expected one (lmp_lm_load_params.vocab)");
    lmp_status st = lmp_tokenizer_encode(m->tok, text, len, LMP_TOKENIZER_SPECIAL, cap ? ids : NULL, cap, n, err);
    if (st == LMP_OK && *n > cap) st = LMP_ERANGE; /* sizing call (ids NULL) */
    if (st == LMP_ERANGE) return lmp_error_set(err, LMP_ERANGE, "tokenize: %zu tokens, room for %zu", *n, cap);
    if (st) return st;
    size_t off = 0;
    for (size_t i = 0; i < *n; i++) {
        size_t tl = m->off[ids[i] + 1] - m->off[ids[i]] - 1;
        if (unknown) unknown[i] = 0; /* byte-level BPE: every text has tokens */
        if (spans) spans[i] = (lmp_lm_span){off < len ? off : len, off + tl <= len ? tl : off < len ? len - off : 0};
        off += tl;
    }
    return LMP_OK;
}

static void g2_free(lmp_lm *lm)
{
    g2_lm *m = lm->impl;
    if (!m) return;
    lmp_gpt2_free(m->g_owned);
    lmp_tokenizer_free(m->tok_owned);
    free(m->text);
    free(m->off);
    free(m);
}

static const lm_ops g2_ops = {
    .ctx_init = g2_ctx_init,
    .ctx_fini = g2_ctx_fini,
    .pushed = g2_pushed,
    .next = g2_next,
    .score = g2_score,
    .rewound = g2_rewound,
    .copy = g2_copy,
    .token_text = g2_token_text,
    .tokenize = g2_tokenize,
    .free = g2_free,
};

/* The handle over g and tok; takes g_own and tok_own (freed here on error too). */
static lmp_status make(const lmp_gpt2 *g, const lmp_tokenizer *tok, lmp_gpt2 *g_own, lmp_tokenizer *tok_own,
                       unsigned threads, lmp_lm **out, lmp_error *err)
{
    *out = NULL;
    lmp_gpt2_config cfg;
    lmp_gpt2_get_config(g, &cfg);
    size_t V = (size_t)cfg.n_vocab;
    lmp_status st = LMP_OK;
    /* A model larger than its vocabulary is padded (resize_token_embeddings(pad_to_multiple_of=64), nanoGPT's
     * 50,304): the extra ids are scored in every softmax, as Hugging Face's loss does, and have no text. A
     * vocabulary larger than the model has tokens the model cannot score. */
    if (tok && lmp_tokenizer_vocab_size(tok) > V)
        st = lmp_error_set(err, LMP_EINVAL,
                           "the vocabulary has %zu tokens and the model %zu: expected the model's own vocabulary",
                           lmp_tokenizer_vocab_size(tok), V);
    g2_lm *m = st ? NULL : calloc(1, sizeof *m);
    lmp_lm *lm = NULL;
    if (!st && !m) st = lmp_error_set(err, LMP_ENOMEM, "out of memory for a model handle");
    if (!st) st = lm_alloc(&g2_ops, &lm, err);
    if (st) {
        free(m);
        lmp_gpt2_free(g_own);
        lmp_tokenizer_free(tok_own);
        return st;
    }
    m->g = g;
    m->tok = tok;
    m->g_owned = g_own;
    m->tok_owned = tok_own;
    m->threads = threads > 1024 ? 1024 : (int)threads;
    lm->impl = m; /* from here lmp_lm_free releases everything */
    if (tok) {    /* every token's bytes, NUL-terminated, for lmp_lm_token_text */
        size_t total = 0, tl;
        for (size_t i = 0; i < V; i++) {
            if (!lmp_tokenizer_token_bytes(tok, (lmp_token_id)i, &tl)) tl = 0;
            total += tl + 1;
        }
        m->text = malloc(total);
        m->off = malloc((V + 1) * sizeof *m->off);
        if (!m->text || !m->off) {
            lmp_lm_free(lm);
            return lmp_error_set(err, LMP_ENOMEM, "out of memory for the texts of %zu tokens", V);
        }
        size_t o = 0;
        for (size_t i = 0; i < V; i++) {
            const char *b = lmp_tokenizer_token_bytes(tok, (lmp_token_id)i, &tl);
            if (!b) tl = 0;
            m->off[i] = o;
            if (tl) memcpy(m->text + o, b, tl);
            m->text[o + tl] = '\0';
            o += tl + 1;
        }
        m->off[V] = o;
    }
    /* Where generation stops: the config's eos_token_id, as Hugging Face's generate takes it (its default 50256
     * is <|endoftext|>; a fine-tune may name an added token, "<|im_end|>"), else the vocabulary's <|endoftext|>
     * (a config with eos_token_id null, or one that is no token of the model). */
    lmp_token_id eot = cfg.eos_token_id != LMP_TOKEN_NONE ? cfg.eos_token_id
                       : tok                 ? lmp_tokenizer_eot(tok)
                                             : LMP_TOKEN_NONE;
    lm->info.kind = LMP_LM_GPT2;
    lm->info.name = "gpt2";
    lm->info.vocab_size = V;
    lm->info.n_ctx = (size_t)cfg.n_ctx;
    lm->info.order = 0;
    lm->info.bos = lm->info.eos = eot; /* GPT-2's one marker, <|endoftext|> */
    /* An empty prompt starts from the config's bos_token_id, as Hugging Face's generate starts (50256,
     * <|endoftext|>, unless a fine-tune names another; it started from eos_token_id, other text) */
    lm->start = cfg.bos_token_id != LMP_TOKEN_NONE ? cfg.bos_token_id : eot;
    lm->info.unk = LMP_TOKEN_NONE;
    lm->info.tokens = tok ? LMP_LM_TOKENS_GPT2 : LMP_LM_TOKENS_NONE;
    lm->info.needs_context = 1; /* no BOS: token 0 of a context is never predicted */
    *out = lm;
    return LMP_OK;
}

lmp_status lmp_lm_create_gpt2(const lmp_gpt2 *g, const lmp_tokenizer *tok, unsigned threads, lmp_lm **out,
                              lmp_error *err)
{
    if (!out) return lmp_error_set(err, LMP_EINVAL, "lmp_lm_create_gpt2: expected an output pointer, got NULL");
    *out = NULL;
    if (!g) return lmp_error_set(err, LMP_EINVAL, "lmp_lm_create_gpt2: expected a model, got NULL");
    return make(g, tok, NULL, NULL, threads, out, err);
}

lmp_status lmp_lm_create_gpt2_take(lmp_gpt2 *g, lmp_tokenizer *tok, unsigned threads, lmp_lm **out, lmp_error *err)
{
    if (out) *out = NULL;
    if (!out || !g) {
        lmp_gpt2_free(g);
        lmp_tokenizer_free(tok);
        return lmp_error_set(err, LMP_EINVAL, "lmp_lm_create_gpt2_take: expected a model and an output pointer");
    }
    return make(g, tok, g, tok, threads, out, err);
}

lmp_status lm_gpt2_load(const char *path, const lmp_lm_load_params *p, lmp_lm **out, lmp_error *err)
{
    *out = NULL;
    if (p->tokens != LMP_LM_TOKENS_DEFAULT && p->tokens != LMP_LM_TOKENS_GPT2)
        return lmp_error_set(err, LMP_EINVAL,
                             "%s: GPT-2 reads text with its BPE tokenizer: expected no token mode (word, char and "
                             "byte are for n-gram models)", path);
    lmp_gpt2 *g = NULL;
    lmp_tokenizer *tok = NULL;
    lmp_status st = lmp_gpt2_load(path, p->progress, p->progress_ctx, &g, err);
    if (st) return st;
    const char *vocab = lm_gpt2_folder_has_vocab(path) ? path : p->vocab;
    if (vocab && (st = lmp_tokenizer_load(vocab, &tok, err))) {
        lmp_gpt2_free(g);
        return st;
    }
    st = lmp_lm_create_gpt2_take(g, tok, p->threads, out, err);
    if (st == LMP_EINVAL && err) { /* a vocabulary of another size: which model, which vocabulary */
        char why[sizeof err->msg];
        snprintf(why, sizeof why, "%s", err->msg);
        lmp_error_set(err, st, "%s: %s (vocabulary: %s)", path, why, vocab ? vocab : "none");
    }
    return st;
}
