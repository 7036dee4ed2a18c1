/* The training driver (include/lmprob/ngram_train.h): corpus → token ids →
 * vocabulary limits → counts → adjusted counts → links → probabilities. */
#include "../count/train_internal.h"
#include "../core/cnum.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The one table of the estimators' names (the CLI, the Python module and the models' records read it). */
static const struct {
    const char *name;
    lmp_estimator e;
} estimator_names[] = {
    {"mkn", LMP_EST_MKN},     {"kn", LMP_EST_KN},    {"addk", LMP_EST_ADDK}, {"mle", LMP_EST_MLE},
    {"wb", LMP_EST_WB},       {"katz", LMP_EST_KATZ}, {"abs", LMP_EST_ABS},   {"stupid", LMP_EST_STUPID},
    /* other spellings, after the names */
    {"add-k", LMP_EST_ADDK}, {"laplace", LMP_EST_ADDK}, {"witten-bell", LMP_EST_WB}, {"gt", LMP_EST_KATZ},
    {"absolute", LMP_EST_ABS},
};

const char *lmp_train_estimator_name(lmp_estimator e)
{
    for (size_t i = 0; i < sizeof estimator_names / sizeof estimator_names[0]; i++)
        if (estimator_names[i].e == e) return estimator_names[i].name;
    return "?";
}

lmp_status lmp_train_estimator_parse(const char *s, lmp_estimator *out, lmp_error *err)
{
    if (!s || !out) return lmp_error_set(err, LMP_EINVAL, "lmp_train_estimator_parse: NULL argument");
    for (size_t i = 0; i < sizeof estimator_names / sizeof estimator_names[0]; i++)
        if (strcmp(s, estimator_names[i].name) == 0) {
            *out = estimator_names[i].e;
            return LMP_OK;
        }
    return lmp_error_set(err, LMP_EINVAL, "estimator '%s': expected " LMP_TRAIN_ESTIMATORS, s);
}

void lmp_train_params_init(lmp_train_params *p)
{
    memset(p, 0, sizeof *p);
    p->order = 3;
    p->estimator = LMP_EST_MKN;
    p->k = 1.0;
    p->memory = 1ull << 30; /* the whole training: see ngram_train.h */
    p->fallback[0] = 0.5; /* lmplz --discount_fallback defaults */
    p->fallback[1] = 1.0;
    p->fallback[2] = 1.5;
    lmp_corpus_params_init(&p->corpus);
    p->threads = 2;
    p->alpha = 0.4; /* Brants et al. 2007 */
    p->gt_max[0] = 1; /* SRILM ngram-count: -gt1max 1, -gtNmax 7 above */
    for (unsigned i = 1; i < LMP_NGRAM_MAX_ORDER; i++) p->gt_max[i] = 7;
}

static void progress(const lmp_train_params *p, const char *stage, uint64_t count)
{
    if (p->progress) p->progress(p->progress_ctx, stage, count);
}

lmp_status lmp_train_params_check(const lmp_train_params *p, lmp_error *err)
{
    if (p->order == 0) return lmp_error_set(err, LMP_EINVAL, "order = 0: expected an order from 1 to %d", LMP_NGRAM_MAX_ORDER);
    if (p->order > LMP_NGRAM_MAX_ORDER)
        return lmp_error_set(err, LMP_EUNSUPPORTED, "order = %u: expected at most %d (LMP_NGRAM_MAX_ORDER)", p->order,
                             LMP_NGRAM_MAX_ORDER);
    if ((int)p->estimator < 0 || (int)p->estimator > 7)
        return lmp_error_set(err, LMP_EINVAL, "estimator = %d: expected mkn, kn, addk, mle, wb, katz, abs or stupid",
                             (int)p->estimator);
    if (p->estimator == LMP_EST_ABS && !(p->discount >= 0 && p->discount <= 1))
        return lmp_error_set(err, LMP_EINVAL, "discount = %g: expected 0 < D <= 1 (or 0: estimate it per order)",
                             p->discount);
    if (p->estimator == LMP_EST_STUPID && !(p->alpha > 0 && p->alpha <= 1))
        return lmp_error_set(err, LMP_EINVAL, "alpha = %g: expected 0 < alpha <= 1", p->alpha);
    if (p->nltk_conventions && (p->estimator == LMP_EST_MKN || p->estimator == LMP_EST_KN || p->estimator == LMP_EST_KATZ))
        return lmp_error_set(err, LMP_EINVAL, "NLTK conventions with the %s estimator: expected addk, mle, wb, abs or "
                             "stupid (the estimators nltk.lm has in the same form)",
                             lmp_train_estimator_name(p->estimator));
    if (p->estimator == LMP_EST_KATZ)
        for (unsigned i = 0; i < p->order && i < LMP_NGRAM_MAX_ORDER; i++)
            if (p->gt_max[i] > LMP_TRAIN_GT_MAX)
                return lmp_error_set(err, LMP_EINVAL, "gt_max of order %u = %u: expected at most %d", i + 1,
                                     p->gt_max[i], LMP_TRAIN_GT_MAX);
    if (p->estimator == LMP_EST_ADDK && !(p->k > 0 && p->k < 1e300))
        return lmp_error_set(err, LMP_EINVAL, "k = %g: expected k > 0 (finite)", p->k);
    if (p->discount_fallback)
        for (unsigned j = 0; j < 3; j++)
            if (!(p->fallback[j] >= 0 && p->fallback[j] <= j + 1))
                return lmp_error_set(err, LMP_EINVAL, "fallback discount D%u = %g: expected 0 <= D%u <= %u", j + 1,
                                     p->fallback[j], j + 1, j + 1);
    if (p->threads > 2) return lmp_error_set(err, LMP_EINVAL, "threads = %u: expected 1 or 2 (0: both)", p->threads);
    for (unsigned i = 0; i < p->order; i++) {
        if (i > 0 && p->prune[i] < p->prune[i - 1])
            return lmp_error_set(err, LMP_EINVAL, "prune thresholds %llu then %llu: expected a non-decreasing sequence "
                                 "(otherwise substrings of kept n-grams would be removed)",
                                 (unsigned long long)p->prune[i - 1], (unsigned long long)p->prune[i]);
        if (!p->prune[i]) continue;
        if (i == 0)
            return lmp_error_set(err, LMP_EUNSUPPORTED, "prune threshold of the unigrams = %llu: expected 0 (unigrams are not pruned, as in lmplz)",
                                 (unsigned long long)p->prune[0]);
    }
    return LMP_OK;
}

/* The vocabulary's memory, held outside the budget's allocations: brought up
 * to date in the budget whenever the token stream grows (and at the end). */
static void sync_vocab(train_budget *b, const lmp_vocab *v, uint64_t *held)
{
    uint64_t now = lmp_vocab_bytes(v);
    tb_hold(b, (int64_t)now - (int64_t)*held);
    *held = now;
}

static lmp_status ids_push(train_budget *b, train_ids *a, lmp_token_id x, const lmp_vocab *v, uint64_t *vheld,
                           lmp_error *err)
{
    if (a->n == a->cap) {
        uint64_t nc = a->cap ? a->cap * 2 : 1 << 16;
        sync_vocab(b, v, vheld);
        /* A doubling past the budget, while the stream may still fit: grow into what is left
         * (realloc holds the old block too), by an eighth at least; train_read_ids gives the
         * slack back at the end. (A stream of 3 GB was refused under --memory 6G: its last
         * doubling wanted 4 GiB beside the 2 GiB it had.) */
        uint64_t room = tb_left(b) / sizeof *a->v;
        if (nc > room && room >= a->cap + a->cap / 8 + (1 << 16)) nc = room;
        lmp_token_id *nv = tb_resize(b, a->v, nc, sizeof *nv, "the token stream (4 bytes a token)", err);
        if (!nv) return LMP_ENOMEM;
        a->v = nv;
        a->cap = nc;
    }
    a->v[a->n++] = x;
    return LMP_OK;
}

/* Read the corpus into ids (sentences end with </s>) and raw word counts (train_internal.h). */
lmp_status train_read_ids(lmp_corpus *c, const lmp_train_params *p, train_budget *b, lmp_vocab *v, uint64_t *vheld,
                          train_ids *ids, uint64_t **wcount, uint64_t *wcap, lmp_train_info *info, lmp_error *err)
{
    lmp_status st;
    const lmp_token *tok;
    size_t nt;
    uint64_t lines = 0;
    while ((st = lmp_corpus_next_line(c, &tok, &nt, err)) == LMP_OK) {
        for (size_t i = 0; i < nt; i++) {
            lmp_token_id id; /* >= 0: lmp_vocab_add refuses a word past INT32_MAX ids */
            if ((st = lmp_vocab_add(v, tok[i].ptr, tok[i].len, &id, err))) return st;
            if (id == LMP_VOCAB_BOS || id == LMP_VOCAB_EOS) continue; /* only when markers are skipped */
            if ((st = ids_push(b, ids, id, v, vheld, err))) return st;
            if ((uint64_t)id >= *wcap) {
                uint64_t nc = *wcap ? *wcap * 2 : 1024;
                while (nc <= (uint64_t)id) nc *= 2;
                uint64_t *nw = tb_resize(b, *wcount, nc, sizeof *nw, "the word counts", err);
                if (!nw) return LMP_ENOMEM;
                memset(nw + *wcap, 0, (nc - *wcap) * sizeof *nw);
                *wcount = nw;
                *wcap = nc;
            }
            (*wcount)[id]++;
            info->tokens++;
        }
        if ((st = ids_push(b, ids, LMP_VOCAB_EOS, v, vheld, err))) return st;
        if ((++lines & 0xFFFF) == 0) progress(p, "reading", lines);
    }
    if (st != LMP_EOF) return st;
    /* the slack of the last growth goes back to the budget, for the counting tables */
    if (ids->n && ids->n < ids->cap) {
        lmp_token_id *nv = tb_resize(b, ids->v, ids->n, sizeof *nv, "the token stream (4 bytes a token)", err);
        if (!nv) return LMP_ENOMEM;
        ids->v = nv;
        ids->cap = ids->n;
    }
    sync_vocab(b, v, vheld);
    if (tb_left(b) == 0) return tb_check(b, 1, "the vocabulary", err);
    info->sentences = lines;
    return LMP_OK;
}

typedef struct rank_item {
    uint64_t count;
    lmp_token_id id;
} rank_item;

static int rank_cmp(const void *a, const void *b)
{
    const rank_item *x = a, *y = b;
    if (x->count != y->count) return x->count > y->count ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* Count a vocabulary that limit_vocab builds in the budget, as it grows: LMP_ENOMEM (err set) when
 * it does not fit (a --vocab list of 17 million words was read whole under --memory 64M, 2 GB, and
 * only then refused with "needs 0 KiB more for the counting tables"). */
static lmp_status hold_vocab(train_budget *b, const lmp_vocab *v, uint64_t *held, const char *what, lmp_error *err)
{
    uint64_t now = lmp_vocab_bytes(v);
    if (now > *held) {
        lmp_status st = tb_check(b, now - *held, what, err);
        if (st) return st;
    }
    tb_hold(b, (int64_t)now - (int64_t)*held);
    *held = now;
    return LMP_OK;
}

/* Apply --min-count / --vocab-size / --vocab: a new vocabulary, ids remapped. Its arrays, the
 * word list and the new vocabulary are taken from the budget; the caller counts the new vocabulary
 * in once it replaced the old one. */
static lmp_status limit_vocab(const lmp_train_params *p, train_budget *b, lmp_vocab **vp, train_ids *ids,
                              const uint64_t *wcount, uint64_t wcap, lmp_error *err)
{
    lmp_vocab *v = *vp;
    size_t nv = lmp_vocab_size(v);
    lmp_status st = LMP_OK;
    const char *what = "the vocabulary limits";
    unsigned char *keep = tb_array(b, nv, 1, 1, what, err);
    lmp_token_id *map = keep ? tb_array(b, nv, sizeof *map, 0, what, err) : NULL; /* old id -> new id */
    rank_item *rk = NULL;
    lmp_vocab *nvv = NULL;
    lmp_vocab *listed = NULL;
    lmp_corpus *vc = NULL;
    uint64_t lheld = 0, nheld = 0;
    if (!keep || !map) {
        st = LMP_ENOMEM;
        goto done;
    }
    for (size_t i = 3; i < nv; i++) keep[i] = 1;
    if (p->vocab_file) {
        if ((st = lmp_vocab_create(&listed, err))) goto done;
        lmp_corpus_params cp;
        lmp_corpus_params_init(&cp);
        cp.skip_markers = 1;
        cp.max_line = p->corpus.max_line; /* within the budget, as the text's lines */
        if ((st = lmp_corpus_load(p->vocab_file, &cp, &vc, err))) goto done;
        const lmp_token *tok;
        size_t nt;
        while ((st = lmp_corpus_next_line(vc, &tok, &nt, err)) == LMP_OK)
            for (size_t i = 0; i < nt; i++) {
                lmp_token_id id;
                if ((st = lmp_vocab_add(listed, tok[i].ptr, tok[i].len, &id, err)) ||
                    (st = hold_vocab(b, listed, &lheld, "the word list of --vocab", err)))
                    goto done;
            }
        if (st != LMP_EOF) goto done;
        st = LMP_OK;
        if (lmp_vocab_size(listed) <= 3) { /* <unk>, <s>, </s> only: every word of the text would be <unk> */
            st = lmp_error_set(err, LMP_EINVAL,
                               "%s: the vocabulary list (--vocab, vocab_file=) has no words: expected one or more "
                               "words (whitespace-separated), since with none every word of the text is <unk>",
                               p->vocab_file);
            goto done;
        }
        for (size_t i = 3; i < nv; i++) {
            size_t len;
            const char *w = lmp_vocab_word(v, (lmp_token_id)i, &len);
            if (lmp_vocab_find(listed, w, len) < 0) keep[i] = 0;
        }
    }
    if (p->min_count > 1)
        for (size_t i = 3; i < nv; i++)
            if ((i < wcap ? wcount[i] : 0) < p->min_count) keep[i] = 0;
    if (p->vocab_size > 0) {
        size_t nk = 0;
        if (!(rk = tb_array(b, nv, sizeof *rk, 0, what, err))) {
            st = LMP_ENOMEM;
            goto done;
        }
        for (size_t i = 3; i < nv; i++)
            if (keep[i]) {
                rk[nk].count = i < wcap ? wcount[i] : 0;
                rk[nk].id = (lmp_token_id)i;
                nk++;
            }
        qsort(rk, nk, sizeof *rk, rank_cmp);
        for (size_t r = p->vocab_size; r < nk; r++) keep[rk[r].id] = 0;
    }
    if ((st = lmp_vocab_create(&nvv, err))) goto done;
    map[0] = 0;
    map[1] = 1;
    map[2] = 2;
    for (size_t i = 3; i < nv; i++) {
        if (!keep[i]) {
            map[i] = LMP_VOCAB_UNK;
            continue;
        }
        size_t len;
        const char *w = lmp_vocab_word(v, (lmp_token_id)i, &len);
        lmp_token_id id;
        if ((st = lmp_vocab_add(nvv, w, len, &id, err)) || (st = hold_vocab(b, nvv, &nheld, "the vocabulary", err)))
            goto done;
        map[i] = id;
    }
    if (listed) /* listed words the text lacks: count 0, after the seen ones */
        for (size_t i = 3; i < lmp_vocab_size(listed); i++) {
            size_t len;
            const char *w = lmp_vocab_word(listed, (lmp_token_id)i, &len);
            lmp_token_id id;
            if ((st = lmp_vocab_add(nvv, w, len, &id, err)) ||
                (st = hold_vocab(b, nvv, &nheld, "the vocabulary", err)))
                goto done;
        }
    for (uint64_t i = 0; i < ids->n; i++) ids->v[i] = map[ids->v[i]];
    lmp_vocab_free(v);
    *vp = nvv;
    nvv = NULL;
done:
    lmp_corpus_free(vc);
    lmp_vocab_free(listed);
    lmp_vocab_free(nvv);
    tb_hold(b, -(int64_t)(lheld + nheld));
    tb_free(b, keep);
    tb_free(b, map);
    tb_free(b, rk);
    return st;
}

int train_meta_add(lmp_train_model *m, const char *key, const char *value)
{
    size_t kl = strlen(key), vl = strlen(value);
    char *nb = realloc(m->meta, m->meta_bytes + kl + vl + 2);
    if (!nb) return -1;
    memcpy(nb + m->meta_bytes, key, kl + 1);
    memcpy(nb + m->meta_bytes + kl + 1, value, vl + 1);
    m->meta = nb;
    m->meta_bytes += kl + vl + 2;
    m->n_meta++;
    return 0;
}

/* The model's metadata (the keys of lmp_ngram_meta_get): tokens, vocabulary rule, estimator, command. */
static lmp_status train_meta(lmp_train_model *m, const lmp_train_params *p, lmp_error *err)
{
    const char *tokens = p->corpus.mode == LMP_CORPUS_CHAR   ? "char"
                         : p->corpus.mode == LMP_CORPUS_BYTE ? "byte"
                         : p->corpus.mode == LMP_CORPUS_GPT2 ? "gpt2"
                                                             : "word";
    char vocab[4200], est[96];
    if (p->vocab_file) snprintf(vocab, sizeof vocab, "file %s", p->vocab_file);
    else if (p->vocab_size > 0) snprintf(vocab, sizeof vocab, "size %llu", (unsigned long long)p->vocab_size);
    else if (p->min_count > 1) snprintf(vocab, sizeof vocab, "min-count %llu", (unsigned long long)p->min_count);
    else snprintf(vocab, sizeof vocab, "all");
    const char *name = lmp_train_estimator_name(p->estimator);
    switch (p->estimator) {
    case LMP_EST_ADDK: lmp_snprintf_c(est, sizeof est, "%s k=%.17g", name, p->k); break;
    case LMP_EST_ABS:
        if (p->discount > 0) lmp_snprintf_c(est, sizeof est, "%s D=%.9g", name, p->discount);
        else snprintf(est, sizeof est, "%s", name);
        break;
    case LMP_EST_STUPID: lmp_snprintf_c(est, sizeof est, "%s alpha=%.9g (scores, not probabilities)", name, p->alpha); break;
    default: snprintf(est, sizeof est, "%s", name); break;
    }
    if (p->nltk_conventions && strlen(est) + 6 < sizeof est) strcat(est, " nltk");
    if (train_meta_add(m, "tokens", tokens) || train_meta_add(m, "vocab", vocab) || train_meta_add(m, "estimator", est) ||
        (p->command && train_meta_add(m, "command", p->command)))
        return lmp_error_set(err, LMP_ENOMEM, "training: out of memory");
    return LMP_OK;
}

lmp_status train_finish(lmp_train_model *m, const lmp_train_params *p, lmp_error *err)
{
    progress(p, "estimating", 0);
    lmp_status st = train_estimate(m, p, err);
    return st ? st : train_finish_estimated(m, p, err);
}

lmp_status train_finish_estimated(lmp_train_model *m, const lmp_train_params *p, lmp_error *err)
{
    for (unsigned n = 1; n <= p->order; n++) m->info.counts[n] = m->o[n].m; /* after pruning */
    /* Only what lookups and the writer need stays (the contexts for the writer). */
    for (unsigned n = 1; n <= p->order; n++) {
        tb_free(&m->budget, m->o[n].p);
        tb_free(&m->budget, m->o[n].sfx);
        tb_free(&m->budget, m->o[n].kids);
        m->o[n].p = NULL;
        m->o[n].sfx = m->o[n].kids = NULL;
    }
    m->info.peak_bytes = m->budget.peak;
    return train_meta(m, p, err);
}

/* Every token of the text into ids: the open corpus, or the files paths[0..n) opened one at a time with
 * p->corpus (one reader open at once), their lines added up. */
static lmp_status read_text(lmp_corpus *corpus, const char *const *paths, size_t n, const lmp_train_params *p,
                            lmp_train_model *m, uint64_t *vheld, train_ids *ids, uint64_t **wcount, uint64_t *wcap,
                            lmp_error *err)
{
    if (corpus) return train_read_ids(corpus, p, &m->budget, m->vocab, vheld, ids, wcount, wcap, &m->info, err);
    uint64_t lines = 0;
    for (size_t i = 0; i < n; i++) {
        lmp_corpus *c;
        lmp_status st = lmp_corpus_load(paths[i], &p->corpus, &c, err);
        if (!st) st = train_read_ids(c, p, &m->budget, m->vocab, vheld, ids, wcount, wcap, &m->info, err);
        lmp_corpus_free(c);
        if (st) return st;
        lines += m->info.sentences; /* train_read_ids counts the lines of one corpus */
    }
    m->info.sentences = lines;
    return LMP_OK;
}

/* tmp: the folder for spilled runs when the caller has checked it (train_temp_dir), else NULL */
static lmp_status create_model(lmp_corpus *corpus, const char *const *paths, size_t npaths,
                               const lmp_train_params *params, const char *tmp, lmp_train_model **out, lmp_error *err)
{
    lmp_train_params p;
    if (params) p = *params;
    else lmp_train_params_init(&p);
    if (p.threads == 0) p.threads = 2;
    lmp_status st = lmp_train_params_check(&p, err);
    if (st) return st;
    if (!tmp && (st = train_temp_dir(&p, &tmp, err))) return st;
    lmp_train_model *m = calloc(1, sizeof *m);
    if (!m) return lmp_error_set(err, LMP_ENOMEM, "training: out of memory");
    m->order = p.order;
    m->est = p.estimator;
    m->info.order = p.order;
    m->info.estimator = p.estimator;
    train_ids ids = {NULL, 0, 0};
    uint64_t *wcount = NULL, wcap = 0, vheld = 0;
    tb_init(&m->budget, p.memory);
    if ((st = lmp_vocab_create(&m->vocab, err))) goto fail;
    progress(&p, "reading", 0);
    if ((st = read_text(corpus, paths, npaths, &p, m, &vheld, &ids, &wcount, &wcap, err))) goto fail;
    if (m->info.sentences == 0) {
        st = corpus ? lmp_error_set_at(err, LMP_EFORMAT, lmp_corpus_name(corpus), 0,
                                       "empty corpus: expected at least one line of text")
                    : lmp_error_set(err, LMP_EFORMAT, "%zu file%s, %s%s: empty corpus: expected at least one line of "
                                    "text in them", npaths, npaths == 1 ? "" : "s", paths[0], npaths > 1 ? ", ..." : "");
        goto fail;
    }
    progress(&p, "tokens", m->info.tokens);
    if (p.vocab_file || p.min_count > 1 || p.vocab_size > 0) {
        if ((st = limit_vocab(&p, &m->budget, &m->vocab, &ids, wcount, wcap, err))) goto fail;
        sync_vocab(&m->budget, m->vocab, &vheld);
        if (tb_left(&m->budget) == 0 && (st = tb_check(&m->budget, 1, "the vocabulary", err))) goto fail;
    }
    tb_free(&m->budget, wcount);
    wcount = NULL;
    uint32_t nwords = (uint32_t)lmp_vocab_size(m->vocab);
    m->info.vocab = nwords;
    progress(&p, "counting", 0);
    /* The counter frees the token stream once it is counted, before the merge. */
    st = train_count_top(&m->budget, p.count_tables, &ids.v, ids.n, p.order, nwords, tmp, p.threads, &m->o[p.order],
                         &m->info.spilled_runs, err);
    if (st) goto fail;
    progress(&p, "adjusting counts", m->o[p.order].m);
    int continuation = p.estimator == LMP_EST_MKN || p.estimator == LMP_EST_KN;
    if ((st = train_adjust(&m->budget, m->o, p.order, nwords, continuation, p.prune, p.threads, err))) goto fail;
    for (unsigned n = 1; n <= p.order; n++) m->o[n].n = n;
    if ((st = train_finish(m, &p, err))) goto fail;
    *out = m;
    return LMP_OK;
fail:
    tb_free(&m->budget, ids.v);
    tb_free(&m->budget, wcount);
    lmp_train_model_free(m);
    return st;
}

lmp_status lmp_train_model_create(lmp_corpus *corpus, const lmp_train_params *params, lmp_train_model **out,
                                  lmp_error *err)
{
    if (!out) return lmp_error_set(err, LMP_EINVAL, "train_model_create: out is NULL: expected a place for the model");
    *out = NULL;
    if (!corpus) return lmp_error_set(err, LMP_EINVAL, "train_model_create: corpus is NULL: expected an open corpus");
    return create_model(corpus, NULL, 0, params, NULL, out, err);
}

lmp_status lmp_train_model_load_files(const char *const *paths, size_t n, const lmp_train_params *params,
                                      lmp_train_model **out, lmp_error *err)
{
    if (!out) return lmp_error_set(err, LMP_EINVAL, "train_model_load_files: out is NULL: expected a place for the model");
    *out = NULL;
    if (!paths || n == 0) return lmp_error_set(err, LMP_EINVAL, "train_model_load_files: no file: expected n >= 1 paths");
    for (size_t i = 0; i < n; i++) {
        if (!paths[i]) return lmp_error_set(err, LMP_EINVAL, "train_model_load_files: paths[%zu] is NULL", i);
        if (strcmp(paths[i], "-") == 0) /* read once and gone: not one of several files */
            return lmp_error_set(err, LMP_EINVAL, "file %zu of %zu is '-' (standard input): expected a file name", i + 1,
                                 n);
    }
    lmp_train_params p;
    if (params) p = *params;
    else lmp_train_params_init(&p);
    lmp_status st = lmp_train_params_check(&p, err);
    if (st) return st;
    train_line_limit(&p);
    return create_model(NULL, paths, n, &p, NULL, out, err);
}

lmp_status train_temp_dir(const lmp_train_params *p, const char **dir, lmp_error *err)
{
    const char *d = p->temp_dir, *from = "temp_dir, --temp-dir";
    if (!d || !*d) {
        d = getenv("TMPDIR");
        from = "$TMPDIR";
        if (!d || !*d) d = "/tmp", from = "the default";
    }
    *dir = d;
    struct stat sb;
    const char *why;
    if (stat(d, &sb) != 0) why = strerror(errno);
    else if (!S_ISDIR(sb.st_mode)) why = "not a folder";
    else if (access(d, W_OK | X_OK) != 0) why = strerror(errno);
    else return LMP_OK;
    return lmp_error_set(err, LMP_EIO,
                         "temporary folder %s (%s): %s: expected an existing folder that takes files (counting "
                         "spills sorted runs there when its tables fill the memory budget, --memory)",
                         d, from, why);
}

void train_line_limit(lmp_train_params *p)
{
    /* A line is read whole before it is tokenised: keep the reader within a
     * part of the budget too (lines of at most an eighth of it, from 64 KiB).
     * Without a budget (memory 0), the reader's own limit (256 MiB): it read
     * "no limit" as lines of 64 KiB. */
    if (p->corpus.max_line == 0 && p->memory > 0) {
        uint64_t cap = p->memory / 8 < 65536 ? 65536 : p->memory / 8;
        p->corpus.max_line = cap < ((uint64_t)256 << 20) ? (size_t)cap : (size_t)256 << 20;
    }
    /* GPT-2's BPE of a piece takes about 36 bytes a byte (tok_bpe_heap): a piece of at most a 36th
     * of the line limit keeps it within the same eighth (a 60 MB run of letters under --memory 512M
     * peaked at 1.4 GB). */
    if (p->corpus.max_piece == 0 && p->memory > 0) p->corpus.max_piece = p->corpus.max_line / 36;
}

lmp_status lmp_train_model_load(const char *path, const lmp_train_params *params, lmp_train_model **out, lmp_error *err)
{
    *out = NULL;
    lmp_train_params p;
    if (params) p = *params;
    else lmp_train_params_init(&p);
    lmp_status st = lmp_train_params_check(&p, err);
    if (st) return st;
    lmp_corpus *c;
    const char *tmp;
    train_line_limit(&p);
    /* before the corpus: standard input is read whole by the load */
    if ((st = train_temp_dir(&p, &tmp, err)) || (st = lmp_corpus_load(path, &p.corpus, &c, err))) return st;
    st = create_model(c, NULL, 0, &p, tmp, out, err);
    lmp_corpus_free(c);
    return st;
}

void lmp_train_get_info(const lmp_train_model *m, lmp_train_info *info) { *info = m->info; }

static int suffix_cmp_n(const lmp_token_id *a, const lmp_token_id *b, unsigned n)
{
    for (unsigned i = n; i-- > 0;)
        if (a[i] != b[i]) return a[i] < b[i] ? -1 : 1;
    return 0;
}

int lmp_train_lookup(const lmp_train_model *m, const char *const *words, size_t n, double *logprob10,
                     double *backoff10)
{
    if (!m || !words || n == 0 || n > m->order) return -1;
    lmp_token_id key[LMP_NGRAM_MAX_ORDER];
    for (size_t i = 0; i < n; i++) {
        if (!words[i]) return -1; /* strlen(NULL) crashed: a NULL word is in no model */
        lmp_token_id id = lmp_vocab_find(m->vocab, words[i], strlen(words[i]));
        if (id < 0) return -1;
        key[i] = id;
    }
    const train_order *o = &m->o[n];
    uint64_t idx;
    if (n == 1) {
        idx = (uint64_t)key[0]; /* order 1 is indexed by word id (>= 0) */
        if (idx >= o->m) return -1;
    } else {
        uint64_t a = 0, b = o->m;
        while (a < b) {
            uint64_t mid = a + (b - a) / 2;
            if (suffix_cmp_n(o->w + mid * n, key, (unsigned)n) < 0) a = mid + 1;
            else b = mid;
        }
        if (a == o->m || suffix_cmp_n(o->w + a * n, key, (unsigned)n) != 0) return -1;
        idx = a;
    }
    if (logprob10) *logprob10 = o->lp[idx];
    if (backoff10) *backoff10 = o->lb ? o->lb[idx] : 0.0;
    return 0;
}

void lmp_train_model_free(lmp_train_model *m)
{
    if (!m) return;
    for (unsigned n = 0; n <= LMP_NGRAM_MAX_ORDER; n++) train_order_free(&m->budget, &m->o[n]);
    lmp_vocab_free(m->vocab);
    free(m->meta);
    free(m);
}
