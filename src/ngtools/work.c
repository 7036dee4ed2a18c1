/* The working model of the model tools: building orders, lookups, back-off
 * probabilities and backoff weights in double precision. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ngtools_internal.h"

lmp_status ngt_model_create(unsigned order, lmp_vocab *vocab, lmp_train_model **out, lmp_error *err)
{
    *out = NULL;
    lmp_train_model *m = calloc(1, sizeof *m);
    if (!m) {
        lmp_vocab_free(vocab);
        return lmp_error_set(err, LMP_ENOMEM, "out of memory");
    }
    m->order = order;
    m->vocab = vocab;
    uint64_t nv = lmp_vocab_size(vocab);
    train_order *u = &m->o[1];
    u->n = 1;
    u->m = nv;
    u->w = malloc(nv * sizeof *u->w);
    u->lp = malloc(nv * sizeof *u->lp);
    u->lb = order > 1 ? calloc(nv, sizeof *u->lb) : NULL;
    if (!u->w || !u->lp || (order > 1 && !u->lb)) {
        lmp_train_model_free(m);
        return lmp_error_set(err, LMP_ENOMEM, "out of memory for %llu unigrams", (unsigned long long)nv);
    }
    for (uint64_t i = 0; i < nv; i++) {
        u->w[i] = (lmp_token_id)i; /* nv: a vocabulary's size, <= INT32_MAX */
        u->lp[i] = NGT_LOG_ZERO;
    }
    for (unsigned n = 2; n <= order; n++) m->o[n].n = n;
    *out = m;
    return LMP_OK;
}

lmp_status ngt_meta_copy(lmp_train_model *m, const lmp_ngram *g, const char *replace, const char *value,
                         lmp_error *err)
{
    int done = 0;
    for (size_t i = 0; i < lmp_ngram_meta_count(g); i++) {
        const char *k, *v;
        lmp_ngram_meta_at(g, i, &k, &v);
        if (!k || strcmp(k, LMP_NGRAM_META_COMMAND) == 0) continue; /* the tool's command is not the model's */
        if (replace && strcmp(k, replace) == 0) {
            v = value;
            done = 1;
        }
        if (train_meta_add(m, k, v)) return lmp_error_set(err, LMP_ENOMEM, "out of memory for the metadata");
    }
    if (replace && !done && train_meta_add(m, replace, value))
        return lmp_error_set(err, LMP_ENOMEM, "out of memory for the metadata");
    return LMP_OK;
}

void ngt_update_info(lmp_train_model *m)
{
    m->info.order = m->order;
    m->info.vocab = m->o[1].m;
    for (unsigned n = 1; n <= LMP_NGRAM_MAX_ORDER; n++) m->info.counts[n] = n <= m->order ? m->o[n].m : 0;
}

static int rec_cmp(const void *a, const void *b)
{
    const ngt_rec *x = a, *y = b;
    for (unsigned i = 0; i < LMP_NGRAM_MAX_ORDER; i++)
        if (x->r[i] != y->r[i]) return x->r[i] < y->r[i] ? -1 : 1;
    return 0;
}

uint64_t ngt_sort_unique(ngt_rec *recs, uint64_t n)
{
    if (n == 0) return 0;
    qsort(recs, n, sizeof *recs, rec_cmp);
    uint64_t k = 1;
    for (uint64_t i = 1; i < n; i++)
        if (rec_cmp(&recs[i], &recs[k - 1]) != 0) recs[k++] = recs[i];
    return k;
}

lmp_status ngt_set_order(lmp_train_model *m, unsigned n, const ngt_rec *recs, uint64_t count, lmp_error *err)
{
    train_order *t = &m->o[n];
    free(t->w);
    free(t->lp);
    free(t->lb);
    t->n = n;
    t->m = count;
    t->w = malloc((count ? count : 1) * n * sizeof *t->w);
    t->lp = malloc((count ? count : 1) * sizeof *t->lp);
    t->lb = n < m->order ? malloc((count ? count : 1) * sizeof *t->lb) : NULL;
    if (!t->w || !t->lp || (n < m->order && !t->lb))
        return lmp_error_set(err, LMP_ENOMEM, "out of memory for the %llu %u-grams of the model being built",
                             (unsigned long long)count, n);
    for (uint64_t i = 0; i < count; i++) {
        for (unsigned j = 0; j < n; j++) t->w[i * n + j] = recs[i].r[n - 1 - j];
        t->lp[i] = recs[i].lp;
        if (t->lb) t->lb[i] = recs[i].lb;
    }
    return LMP_OK;
}

/* a < b in suffix order (the last word most significant) */
static int suffix_less(const lmp_token_id *a, const lmp_token_id *b, unsigned n)
{
    for (unsigned i = n; i-- > 0;)
        if (a[i] != b[i]) return a[i] < b[i];
    return 0;
}

uint64_t ngt_find(const lmp_train_model *m, unsigned n, const lmp_token_id *w)
{
    const train_order *t = &m->o[n];
    if (n == 1) return w[0] >= 0 && (uint64_t)w[0] < t->m ? (uint64_t)w[0] : NGT_NONE; /* indexed by id */
    uint64_t a = 0, b = t->m;
    while (a < b) { /* the first n-gram not below w */
        uint64_t mid = a + (b - a) / 2;
        if (suffix_less(t->w + mid * n, w, n)) a = mid + 1;
        else b = mid;
    }
    if (a < t->m && memcmp(t->w + a * n, w, n * sizeof *w) == 0) return a;
    return NGT_NONE;
}

double ngt_logprob(const lmp_train_model *m, const lmp_token_id *h, unsigned nh, lmp_token_id w)
{
    lmp_token_id g[LMP_NGRAM_MAX_ORDER];
    if (nh > m->order - 1) {
        h += nh - (m->order - 1);
        nh = m->order - 1;
    }
    double bo = 0;
    for (unsigned k = nh;; k--) { /* the (k+1)-gram h[nh-k..nh) w */
        if (k == 0) return (w >= 0 && (uint64_t)w < m->o[1].m ? m->o[1].lp[w] : NGT_LOG_ZERO) + bo;
        memcpy(g, h + nh - k, k * sizeof *g);
        g[k] = w;
        uint64_t i = ngt_find(m, k + 1, g);
        if (i != NGT_NONE) return m->o[k + 1].lp[i] + bo;
        uint64_t c = ngt_find(m, k, g); /* the context h[nh-k..nh) */
        if (c != NGT_NONE && m->o[k].lb) bo += m->o[k].lb[c];
    }
}

/* SRILM's Prob_Epsilon: sums this close below 0 are rounding, taken as 0. */
#define NGT_EPS 3e-6

lmp_status ngt_recompute_backoffs(lmp_train_model *m, lmp_error *err)
{
    for (unsigned n = 2; n <= m->order; n++) {
        train_order *hi = &m->o[n], *lo = &m->o[n - 1];
        double *num = calloc(2 * (lo->m ? lo->m : 1), sizeof *num);
        unsigned char *has = calloc(lo->m ? lo->m : 1, 1);
        if (!num || !has) {
            free(num);
            free(has);
            return lmp_error_set(err, LMP_ENOMEM, "recomputing backoffs: out of memory");
        }
        for (uint64_t i = 0; i < hi->m; i++) {
            const lmp_token_id *g = hi->w + i * n;
            uint64_t c = ngt_find(m, n - 1, g);
            if (c == NGT_NONE) {
                free(num);
                free(has);
                return lmp_error_set(err, LMP_EFORMAT, "a %u-gram whose context is not a %u-gram: expected every "
                                     "context in the model", n, n - 1);
            }
            has[c] = 1;
            num[2 * c] += pow(10.0, hi->lp[i]);
            num[2 * c + 1] += pow(10.0, ngt_logprob(m, g + 1, n - 2, g[n - 1]));
        }
        for (uint64_t c = 0; c < lo->m; c++) {
            if (!has[c]) {
                lo->lb[c] = 0;
                continue;
            }
            double a = 1.0 - num[2 * c], b = 1.0 - num[2 * c + 1];
            if (a < 0 && a > -NGT_EPS) a = 0;
            if (b < 0 && b > -NGT_EPS) b = 0;
            if (a <= 0) lo->lb[c] = NGT_LOG_ZERO; /* nothing left for unseen words */
            else if (b <= 0) lo->lb[c] = a > NGT_EPS ? NGT_LOG_ZERO : 0.0; /* improper, or nothing to back off to */
            else {
                double l = log10(a / b);
                lo->lb[c] = l < NGT_LOG_ZERO ? NGT_LOG_ZERO : l;
            }
        }
        free(num);
        free(has);
    }
    return LMP_OK;
}

lmp_status ngt_from_ngram(const lmp_ngram *g, lmp_train_model **out, lmp_token_id **map_out, lmp_error *err)
{
    *out = NULL;
    if (map_out) *map_out = NULL;
    unsigned order = lmp_ngram_order(g);
    if (order > LMP_NGRAM_MAX_ORDER)
        return lmp_error_set(err, LMP_EUNSUPPORTED, "order %u: the model tools handle orders up to %d", order,
                             LMP_NGRAM_MAX_ORDER);
    size_t V = lmp_ngram_vocab_size(g);
    lmp_vocab *voc = NULL;
    lmp_train_model *m = NULL;
    lmp_token_id *map = malloc((V ? V : 1) * sizeof *map); /* model id -> working id */
    ngt_rec *recs = NULL;
    lmp_token_id *ids = NULL;
    float *fp = NULL, *fb = NULL;
    lmp_status st;
    if (!map) return lmp_error_set(err, LMP_ENOMEM, "out of memory");
    if ((st = lmp_vocab_create(&voc, err))) goto fail;
    for (size_t i = 0; i < V; i++) {
        const char *s = lmp_ngram_word(g, (lmp_token_id)i); /* i < V <= INT32_MAX */
        lmp_token_id id;
        if ((st = lmp_vocab_add(voc, s, strlen(s), &id, err))) goto fail;
        map[i] = id;
    }
    st = ngt_model_create(order, voc, &m, err);
    voc = NULL;
    if (st) goto fail;
    lmp_ngram_info gi;
    lmp_ngram_get_info(g, &gi);
    uint64_t most = 0;
    for (unsigned n = 1; n <= order; n++)
        if (gi.counts[n] > most) most = gi.counts[n];
    recs = malloc((most ? most : 1) * sizeof *recs);
    ids = malloc((most ? most : 1) * order * sizeof *ids);
    fp = malloc((most ? most : 1) * sizeof *fp);
    fb = malloc((most ? most : 1) * sizeof *fb);
    if (!recs || !ids || !fp || !fb) {
        st = lmp_error_set(err, LMP_ENOMEM, "out of memory reading the model");
        goto fail;
    }
    for (unsigned n = 1; n <= order; n++) {
        uint64_t cnt = gi.counts[n];
        if ((st = lmp_ngram_get_ngrams(g, n, ids, fp, fb, err))) goto fail;
        if (n == 1) {
            for (uint64_t i = 0; i < cnt; i++) {
                m->o[1].lp[map[i]] = fp[i];
                if (m->o[1].lb) m->o[1].lb[map[i]] = fb[i];
            }
            continue;
        }
        for (uint64_t i = 0; i < cnt; i++) {
            memset(recs[i].r, 0, sizeof recs[i].r);
            for (unsigned j = 0; j < n; j++) recs[i].r[n - 1 - j] = map[ids[i * n + j]];
            recs[i].lp = fp[i];
            recs[i].lb = fb[i];
        }
        uint64_t k = ngt_sort_unique(recs, cnt);
        if ((st = ngt_set_order(m, n, recs, k, err))) goto fail;
    }
    ngt_update_info(m);
    free(recs);
    free(ids);
    free(fp);
    free(fb);
    *out = m;
    if (map_out) *map_out = map;
    else free(map);
    return LMP_OK;
fail:
    lmp_vocab_free(voc);
    lmp_train_model_free(m);
    free(map);
    free(recs);
    free(ids);
    free(fp);
    free(fb);
    return st;
}
