/* A trained model (ngram_train.h) as the writers and the scorer see it: its
 * n-grams through the ng_src view, written by the one ARPA writer, or built
 * into an lmp_ngram in memory (no ARPA round trip). */
#include <stdlib.h>

#include "../count/train_internal.h"
#include "ngram_internal.h"

typedef struct train_view {
    const lmp_train_model *m; /* first (view_model) */
    uint32_t *ctx[LMP_NGRAM_MAX_ORDER + 1]; /* contexts computed here when the model lacks them */
} train_view;

/* The words and unigrams of both views (train_view, pull_view): each starts with
 * the model's pointer, which is all these two read. */
static const lmp_train_model *view_model(const void *self) { return *(const lmp_train_model *const *)self; }

static const char *tv_word(const void *self, lmp_token_id id, size_t *len)
{
    return lmp_vocab_word(view_model(self)->vocab, id, len);
}

static void tv_unigram(const void *self, lmp_token_id id, float *prob, float *backoff)
{
    const train_order *o = &view_model(self)->o[1];
    *prob = (float)o->lp[id];
    *backoff = o->lb ? (float)o->lb[id] : 0.0f;
}

static void tv_entry(const void *self, unsigned n, uint64_t i, uint32_t *ctx, lmp_token_id *w, float *prob,
                     float *backoff)
{
    const train_view *v = self;
    const train_order *o = &v->m->o[n];
    *ctx = v->ctx[n] ? v->ctx[n][i] : o->ctx[i];
    *w = o->w[i * n + n - 1];
    *prob = (float)o->lp[i];
    *backoff = o->lb ? (float)o->lb[i] : 0.0f;
}

static const lmp_token_id *tv_words(const void *self, unsigned n, uint64_t i)
{
    return ((const train_view *)self)->m->o[n].w + i * n;
}

/* Index of the context w[0..n-1) of an order-n n-gram in order n-1 (suffix
 * order: the last word most significant), by binary search. */
static uint32_t find_context(const train_order *lo, const lmp_token_id *w, unsigned n1)
{
    if (n1 == 1) return (uint32_t)w[0]; /* order 1 is indexed by word id (>= 0) */
    uint64_t a = 0, b = lo->m;
    while (a < b) {
        uint64_t mid = a + (b - a) / 2;
        const lmp_token_id *g = lo->w + mid * n1;
        int less = 0;
        for (unsigned k = n1; k-- > 0;)
            if (g[k] != w[k]) {
                less = g[k] < w[k];
                break;
            }
        if (less) a = mid + 1;
        else b = mid;
    }
    return (uint32_t)a;
}

static lmp_status view_init(const lmp_train_model *m, train_view *v, ng_src *s, lmp_error *err)
{
    memset(v, 0, sizeof *v);
    memset(s, 0, sizeof *s);
    v->m = m;
    for (unsigned n = 2; n <= m->order; n++) {
        if (m->o[n].ctx) continue;
        /* an estimator that did not keep the contexts: find them */
        v->ctx[n] = malloc((m->o[n].m ? m->o[n].m : 1) * sizeof(uint32_t));
        if (!v->ctx[n]) return lmp_error_set(err, LMP_ENOMEM, "out of memory for the %u-gram contexts", n);
        for (uint64_t i = 0; i < m->o[n].m; i++) v->ctx[n][i] = find_context(&m->o[n - 1], m->o[n].w + i * n, n - 1);
    }
    s->order = m->order;
    for (unsigned n = 1; n <= m->order; n++) s->counts[n] = m->o[n].m;
    s->self = v;
    s->word = tv_word;
    s->unigram = tv_unigram;
    s->entry = tv_entry;
    s->words = tv_words;
    s->meta = m->meta;
    s->meta_bytes = m->meta_bytes;
    s->n_meta = m->n_meta;
    return LMP_OK;
}

static void view_free(train_view *v)
{
    for (unsigned n = 0; n <= LMP_NGRAM_MAX_ORDER; n++) free(v->ctx[n]);
}

/* view_init within the training's budget: the contexts an estimator did not keep
 * (4 bytes an n-gram, view_init makes them) are checked first; *need says how
 * many bytes they take, for the caller's own check. v is zeroed on a refusal. */
static lmp_status view_init_in_budget(const lmp_train_model *m, train_view *v, ng_src *s, const char *what,
                                      uint64_t *need, lmp_error *err)
{
    *need = 0;
    for (unsigned n = 2; n <= m->order; n++)
        if (!m->o[n].ctx) *need += 4 * m->o[n].m;
    lmp_status st = *need ? tb_check(&m->budget, *need, what, err) : LMP_OK;
    if (st) {
        memset(v, 0, sizeof *v);
        return st;
    }
    return view_init(m, v, s, err);
}

lmp_status lmp_train_write_arpa(const lmp_train_model *m, const char *path, lmp_error *err)
{
    if (!m || !path) return lmp_error_set(err, LMP_EINVAL, "lmp_train_write_arpa: NULL model or path");
    train_view v;
    ng_src s;
    /* Writing is part of the training's memory budget (--memory): the contexts
     * an estimator did not keep, and the writer's own arrays, before any of it. */
    uint64_t need;
    lmp_status st = view_init_in_budget(m, &v, &s, "the contexts the ARPA writer needs", &need, err);
    if (!st) st = tb_check(&m->budget, need + ng_write_arpa_bytes(&s, LMP_ARPA_ORDER_CONTEXT),
                           "writing the ARPA file (the writer's buffers and the context order's sort)", err);
    if (!st) st = ng_write_arpa(&s, path, LMP_ARPA_ORDER_CONTEXT, NULL, NULL, err);
    view_free(&v);
    return st;
}

/* ---- written while the n-grams arrive (train_internal.h) ---------------------------- */

typedef struct pull_view {
    const lmp_train_model *m; /* first, as in train_view (view_model) */
    train_pull_fn pull;
    void *ctx;
    unsigned n;             /* the order of the window */
    uint64_t from, to;      /* the window: positions [from, to) of order n */
    lmp_token_id *w;        /* [NG_ARPA_WINDOW][order] word ids */
    float *lp, *lb;         /* [NG_ARPA_WINDOW] */
} pull_view;

static void pv_entry(const void *self, unsigned n, uint64_t i, uint32_t *ctx, lmp_token_id *w, float *prob,
                     float *backoff)
{
    const pull_view *v = self;
    uint64_t k = i - v->from; /* the writer reads only inside the window it asked for */
    *ctx = 0;                 /* the KEEP order does not need it */
    *w = v->w[k * n + n - 1];
    *prob = v->lp[k];
    *backoff = v->lb && n < v->m->order ? v->lb[k] : 0.0f;
}

static const lmp_token_id *pv_words(const void *self, unsigned n, uint64_t i)
{
    const pull_view *v = self;
    return v->w + (i - v->from) * n;
}

static lmp_status pv_fill(void *self, unsigned n, uint64_t from, uint64_t to, lmp_error *err)
{
    pull_view *v = self;
    /* the writer asks for each order's windows in turn, each following the last */
    if (n == v->n ? from != v->to : from != 0)
        return lmp_error_set(err, LMP_EINVAL, "writing ARPA: %u-grams asked from %llu, expected the next window", n,
                             (unsigned long long)from);
    v->n = n;
    v->from = from;
    v->to = to;
    return v->pull(v->ctx, n, to - from, v->w, v->lp, n < v->m->order ? v->lb : NULL, err);
}

lmp_status train_write_arpa_pulled(const lmp_train_model *m, const char *path, train_pull_fn pull, void *ctx,
                                   lmp_error *err)
{
    if (!m || !path || !pull) return lmp_error_set(err, LMP_EINVAL, "train_write_arpa_pulled: NULL argument");
    pull_view v = {m, pull, ctx, 0, 0, 0, malloc((size_t)NG_ARPA_WINDOW * m->order * sizeof(lmp_token_id)),
                   malloc(NG_ARPA_WINDOW * sizeof(float)), malloc(NG_ARPA_WINDOW * sizeof(float))};
    lmp_status st = LMP_OK;
    if (!v.w || !v.lp || !v.lb) st = lmp_error_set(err, LMP_ENOMEM, "writing ARPA: out of memory");
    if (!st) {
        ng_src s;
        memset(&s, 0, sizeof s);
        s.order = m->order;
        for (unsigned n = 1; n <= m->order; n++) s.counts[n] = m->o[n].m;
        s.self = &v;
        s.word = tv_word;
        s.unigram = tv_unigram;
        s.entry = pv_entry;
        s.words = pv_words;
        s.fill = pv_fill;
        s.fill_ctx = &v;
        s.meta = m->meta;
        s.meta_bytes = m->meta_bytes;
        s.n_meta = m->n_meta;
        st = ng_write_arpa(&s, path, LMP_ARPA_ORDER_KEEP, NULL, NULL, err);
    }
    free(v.w);
    free(v.lp);
    free(v.lb);
    return st;
}

lmp_status train_written_order(const train_order *o, uint32_t nwords, uint32_t **perm, lmp_error *err)
{
    const uint64_t m = o->m, m1 = m ? m : 1;
    uint32_t *a = malloc(m1 * sizeof *a), *b = malloc(m1 * sizeof *b), *key = malloc(m1 * sizeof *key);
    lmp_status st = LMP_OK;
    *perm = NULL;
    if (m > UINT32_MAX)
        st = lmp_error_set(err, LMP_ERANGE, "%llu %u-grams: expected at most 2^32 - 1", (unsigned long long)m, o->n);
    else if (!a || !b || !key)
        st = lmp_error_set(err, LMP_ENOMEM, "out of memory ordering %llu %u-grams", (unsigned long long)m, o->n);
    for (uint64_t i = 0; !st && i < m; i++) a[i] = (uint32_t)i;
    for (unsigned j = o->n; !st && j-- > 0;) { /* least significant (last) word first; each sort stable */
        /* the counting sort's keys are unsigned: ids are >= 0, so they sort as the ids */
        for (uint64_t i = 0; i < m; i++) key[i] = (uint32_t)o->w[i * o->n + j];
        if (ng_counting_sort(a, key, m, nwords, b))
            st = lmp_error_set(err, LMP_ENOMEM, "out of memory ordering %llu %u-grams", (unsigned long long)m, o->n);
        uint32_t *t = a;
        a = b;
        b = t;
    }
    free(b);
    free(key);
    if (st) free(a);
    else *perm = a;
    return st;
}

lmp_status lmp_ngram_create_from_train(const lmp_train_model *m, lmp_ngram **out, lmp_error *err)
{
    if (!out) return lmp_error_set(err, LMP_EINVAL, "lmp_ngram_create_from_train: NULL output");
    *out = NULL;
    if (!m) return lmp_error_set(err, LMP_EINVAL, "lmp_ngram_create_from_train: NULL model");
    train_view v;
    ng_src s;
    /* The copy is part of the training's memory budget too (train --output X.bin). */
    uint64_t need;
    lmp_status st = view_init_in_budget(m, &v, &s, "the contexts of the model", &need, err);
    if (!st) st = tb_check(&m->budget, need + ng_build_hashed_bytes(&s), "the model in lmprob's binary layout", err);
    if (!st) st = ng_build_hashed(&s, out, err);
    view_free(&v);
    return st;
}
