/* Interpolated n-gram models: exact on-the-fly mixtures, EM weights (SRILM's
 * compute-best-mix), and one merged back-off model (SRILM's ngram -mix-lm
 * -write-lm, Ngram::mixProbs). include/lmprob/ngram_tools.h has the contracts. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../core/ksum.h"
#include "lmprob/corpus.h"
#include "lmprob/ngram_tools.h"
#include "ngtools_internal.h"
#include "../core/cnum.h"

static lmp_status check_models(const lmp_ngram *const *g, size_t k, lmp_error *err)
{
    if (!g || k < 1 || k > LMP_MIX_MAX_MODELS)
        return lmp_error_set(err, LMP_EINVAL, "%zu models: expected 1 to %d", k, LMP_MIX_MAX_MODELS);
    for (size_t i = 0; i < k; i++)
        if (!g[i]) return lmp_error_set(err, LMP_EINVAL, "model %zu is NULL", i + 1);
    /* models of different tokens (words and characters, say) cannot be mixed */
    size_t first = k;
    for (size_t i = 0; i < k; i++) {
        lmp_ngram_tokens t = lmp_ngram_get_tokens(g[i]);
        if (t == LMP_NGRAM_TOKENS_UNKNOWN) continue;
        if (first == k) first = i;
        else if (t != lmp_ngram_get_tokens(g[first]))
            return lmp_error_set(err, LMP_EINVAL, "model %zu has %s tokens and model %zu %s tokens: expected models "
                                 "of one token kind", first + 1, lmp_ngram_tokens_name(lmp_ngram_get_tokens(g[first])),
                                 i + 1, lmp_ngram_tokens_name(t));
    }
    return LMP_OK;
}

static lmp_status check_weights(const double *w, size_t k, int positive, lmp_error *err)
{
    if (!w) return lmp_error_set(err, LMP_EINVAL, "weights are NULL (k = %zu): expected an array of k weights", k);
    double s = 0;
    for (size_t i = 0; i < k; i++) {
        if (!(w[i] >= 0 && w[i] <= 1) || (positive && !(w[i] > 0)))
            return lmp_error_set(err, LMP_EINVAL, "weight %zu = %g: expected %s", i + 1, w[i],
                                 positive ? "0 < w <= 1 (EM cannot move a weight away from 0)" : "0 <= w <= 1");
        s += w[i];
    }
    if (fabs(s - 1.0) > 1e-6) return lmp_error_set(err, LMP_EINVAL, "weights sum to %.9g: expected 1", s);
    return LMP_OK;
}

/* Called for every token with each model's probability of it. */
typedef lmp_status (*mix_token_fn)(void *ctx, const double *p, int oov, lmp_error *err);

/* Walk the text: per sentence <s> w1 .. wn </s>, each model on its own state.
 * A word that model i lacks moves its state as <unk>; p_i is then 0, unless
 * no model has the word (an OOV): then every model's <unk> probability. */
static lmp_status walk_text(const lmp_ngram *const *g, size_t k, const char *path, mix_token_fn fn, void *ctx,
                            uint64_t *sentences, uint64_t *bytes, lmp_error *err)
{
    lmp_corpus *c;
    lmp_corpus_params cp;
    lmp_corpus_params_init(&cp);
    cp.query_words = 1; /* a text to score, read as ppl reads it (KenLM's query) */
    lmp_status st = lmp_corpus_load(path, &cp, &c, err);
    if (st) return st;
    lmp_ngram_state s[LMP_MIX_MAX_MODELS], nx;
    lmp_token_id id[LMP_MIX_MAX_MODELS];
    double p[LMP_MIX_MAX_MODELS];
    const lmp_token *tok;
    size_t nt;
    uint64_t lines = 0;
    /* !st first: a token callback's failure (an allocation in the EM) ends the walk; the next line's
     * status overwrote it, and the EM went on without the rest of that line, exit 0 with other weights */
    while (!st && (st = lmp_corpus_next_line(c, &tok, &nt, err)) == LMP_OK) {
        lines++;
        for (size_t i = 0; i < k; i++) lmp_ngram_state_begin(g[i], &s[i]);
        for (size_t t = 0; t <= nt && !st; t++) {
            int known = 0;
            for (size_t i = 0; i < k; i++) {
                id[i] = t < nt ? lmp_ngram_vocab_find(g[i], tok[t].ptr, tok[t].len) : lmp_ngram_eos(g[i]);
                if (id[i] == lmp_ngram_unk(g[i]))
                    id[i] = LMP_TOKEN_NONE; /* a literal <unk>: no model's word (an OOV, as ppl) */
                known |= id[i] >= 0;
            }
            for (size_t i = 0; i < k; i++) {
                lmp_token_id w = id[i] >= 0 ? id[i] : lmp_ngram_unk(g[i]);
                double lp = lmp_ngram_score(g[i], &s[i], w, &nx, NULL);
                p[i] = (id[i] >= 0 || !known) ? pow(10.0, lp) : 0.0;
                s[i] = nx;
            }
            st = fn(ctx, p, !known, err);
        }
    }
    if (st == LMP_EOF) st = LMP_OK;
    if (!st) {
        lmp_corpus_stats cs;
        lmp_corpus_get_stats(c, &cs);
        if (sentences) *sentences = lines;
        if (bytes) *bytes = cs.bytes;
    }
    lmp_corpus_free(c);
    return st;
}

typedef struct score_ctx {
    const double *w;
    size_t k;
    lmp_ngram_stats *acc;
    lmp_ksum lp, lpo; /* the totals' log-probabilities, compensated, as lmp_ngram_score_file's */
} score_ctx;

static lmp_status score_token(void *ctx, const double *p, int oov, lmp_error *err)
{
    (void)err;
    score_ctx *s = ctx;
    double q = 0;
    for (size_t i = 0; i < s->k; i++) q += s->w[i] * p[i];
    double l = log10(q); /* -inf when every weighted model gives 0: the exact mixture's value */
    lmp_ksum_add(&s->lp, l);
    s->acc->tokens++;
    if (oov) {
        s->acc->oov++;
        lmp_ksum_add(&s->lpo, l);
    }
    return LMP_OK;
}

lmp_status lmp_ngram_mix_score_file(const lmp_ngram *const *models, const double *weights, size_t k,
                                    const char *path, lmp_ngram_stats *acc, lmp_error *err)
{
    lmp_status st;
    if ((st = check_models(models, k, err)) || (st = check_weights(weights, k, 0, err))) return st;
    if (!acc) return lmp_error_set(err, LMP_EINVAL, "mix_score_file: acc is NULL: expected a place for the totals");
    memset(acc, 0, sizeof *acc);
    score_ctx sc = {weights, k, acc, {0, 0}, {0, 0}};
    st = walk_text(models, k, path, score_token, &sc, &acc->sentences, &acc->bytes, err);
    acc->log10_prob = lmp_ksum_value(&sc.lp);
    acc->log10_prob_oov = lmp_ksum_value(&sc.lpo);
    return st;
}

typedef struct em_ctx {
    size_t k;
    double *p; /* [n][k] */
    uint64_t n, cap, skipped, oov;
} em_ctx;

static lmp_status em_token(void *ctx, const double *p, int oov, lmp_error *err)
{
    em_ctx *e = ctx;
    double any = 0;
    for (size_t i = 0; i < e->k; i++) any += p[i];
    if (!(any > 0)) { /* zero under every model: no weights change that */
        e->skipped++;
        return LMP_OK;
    }
    if (e->n == e->cap) {
        uint64_t nc = e->cap ? 2 * e->cap : 4096;
        double *np = realloc(e->p, nc * e->k * sizeof *np);
        if (!np) return lmp_error_set(err, LMP_ENOMEM, "EM: out of memory for %llu tokens", (unsigned long long)nc);
        e->p = np;
        e->cap = nc;
    }
    memcpy(e->p + e->n * e->k, p, e->k * sizeof *p);
    e->n++;
    e->oov += oov != 0;
    return LMP_OK;
}

lmp_status lmp_ngram_mix_em(const lmp_ngram *const *models, size_t k, const char *heldout, double *weights, double tol,
                            unsigned max_iter, lmp_ngram_mix_em_info *info, lmp_error *err)
{
    lmp_status st;
    if ((st = check_models(models, k, err)) || (st = check_weights(weights, k, 1, err))) return st;
    if (!(tol > 0)) return lmp_error_set(err, LMP_EINVAL, "tol = %g: expected > 0", tol);
    em_ctx e = {k, NULL, 0, 0, 0, 0};
    if ((st = walk_text(models, k, heldout, em_token, &e, NULL, NULL, err))) {
        free(e.p);
        return st;
    }
    if (e.n == 0) {
        free(e.p);
        const char *name = strcmp(heldout, "-") == 0 ? "<stdin>" : heldout; /* as the reader names it */
        if (e.skipped == 0)
            return lmp_error_set(err, LMP_EDOM, "%s: empty held-out text: expected at least one line", name);
        return lmp_error_set(err, LMP_EDOM, "%s: no token with a non-zero probability under any model: expected "
                             "a held-out text the models can score", name);
    }
    double w[LMP_MIX_MAX_MODELS], acc[LMP_MIX_MAX_MODELS];
    memcpy(w, weights, k * sizeof *w);
    unsigned it = 0;
    int conv = 0;
    while (it < max_iter && !conv) {
        /* E step: each token's posterior over the models; M step: their mean. */
        for (size_t i = 0; i < k; i++) acc[i] = 0;
        for (uint64_t t = 0; t < e.n; t++) {
            const double *p = e.p + t * k;
            double q = 0;
            for (size_t i = 0; i < k; i++) q += w[i] * p[i];
            for (size_t i = 0; i < k; i++) acc[i] += w[i] * p[i] / q;
        }
        double move = 0;
        for (size_t i = 0; i < k; i++) {
            double nw = acc[i] / (double)e.n;
            move = fmax(move, fabs(nw - w[i]));
            w[i] = nw;
        }
        it++;
        conv = move <= tol;
    }
    double ll = 0;
    for (uint64_t t = 0; t < e.n; t++) {
        double q = 0;
        for (size_t i = 0; i < k; i++) q += w[i] * e.p[t * k + i];
        ll += log10(q);
    }
    free(e.p);
    memcpy(weights, w, k * sizeof *w);
    if (info) {
        info->iterations = it;
        info->tokens = e.n;
        info->skipped = e.skipped;
        info->log10_prob = ll;
        info->perplexity = pow(10.0, -ll / (double)e.n);
        info->converged = conv;
        info->oov = e.oov;
    }
    return LMP_OK;
}

/* p_i(w | h) of model i for the union ids h[0..nh) w (map: union id -> model id or -1). */
static double model_prob(const lmp_ngram *g, const lmp_token_id *map, const lmp_token_id *h, unsigned nh,
                         lmp_token_id w)
{
    lmp_token_id wi = map[w];
    if (wi < 0) return 0.0;
    lmp_token_id ctx[LMP_NGRAM_MAX_ORDER];
    for (unsigned j = 0; j < nh; j++) ctx[j] = map[h[j]] >= 0 ? map[h[j]] : lmp_ngram_unk(g);
    lmp_ngram_state s, out;
    lmp_ngram_state_from(g, ctx, nh, &s);
    return pow(10.0, lmp_ngram_score(g, &s, wi, &out, NULL));
}

lmp_status lmp_train_model_create_mix(const lmp_ngram *const *models, const double *weights, size_t k,
                                      lmp_train_model **out, lmp_error *err)
{
    if (!out) return lmp_error_set(err, LMP_EINVAL, "create_mix: out is NULL: expected a place for the model");
    *out = NULL;
    lmp_status st;
    if ((st = check_models(models, k, err)) || (st = check_weights(weights, k, 0, err))) return st;
    unsigned N = 0;
    for (size_t i = 0; i < k; i++) {
        unsigned o = lmp_ngram_order(models[i]);
        if (o > LMP_NGRAM_MAX_ORDER)
            return lmp_error_set(err, LMP_EUNSUPPORTED, "model %zu has order %u: the model tools handle up to %d",
                                 i + 1, o, LMP_NGRAM_MAX_ORDER);
        if (o > N) N = o;
    }
    lmp_vocab *voc = NULL;
    lmp_train_model *m = NULL;
    lmp_token_id *map[LMP_MIX_MAX_MODELS] = {0};  /* union id -> model i's id, or LMP_TOKEN_NONE */
    lmp_token_id *umap[LMP_MIX_MAX_MODELS] = {0}; /* model i's id -> union id */
    ngt_rec *recs = NULL;
    lmp_token_id *ids = NULL;
    if ((st = lmp_vocab_create(&voc, err))) return st;
    /* the union vocabulary: the first model's words in its order, then the others' new ones */
    for (size_t i = 0; i < k && !st; i++)
        for (size_t j = 0; j < lmp_ngram_vocab_size(models[i]) && !st; j++) {
            const char *s = lmp_ngram_word(models[i], (lmp_token_id)j);
            lmp_token_id id;
            st = lmp_vocab_add(voc, s, strlen(s), &id, err);
        }
    if (st) {
        lmp_vocab_free(voc);
        return st;
    }
    size_t nv = lmp_vocab_size(voc);
    for (size_t i = 0; i < k; i++) {
        map[i] = malloc(nv * sizeof *map[i]);
        if (!map[i]) {
            lmp_vocab_free(voc);
            st = lmp_error_set(err, LMP_ENOMEM, "mixing: out of memory");
            goto done;
        }
        size_t vi = lmp_ngram_vocab_size(models[i]);
        umap[i] = malloc((vi ? vi : 1) * sizeof *umap[i]);
        if (!umap[i]) {
            lmp_vocab_free(voc);
            st = lmp_error_set(err, LMP_ENOMEM, "mixing: out of memory");
            goto done;
        }
        for (size_t j = 0; j < nv; j++) {
            size_t len;
            const char *s = lmp_vocab_word(voc, (lmp_token_id)j, &len);
            map[i][j] = lmp_ngram_vocab_find(models[i], s, len);
            if (map[i][j] >= 0) umap[i][map[i][j]] = (lmp_token_id)j; /* j < nv <= INT32_MAX */
        }
    }
    if ((st = ngt_model_create(N, voc, &m, err))) goto done;
    /* unigrams: every word of the union */
    for (lmp_token_id w = 0; (size_t)w < nv; w++) { /* nv <= INT32_MAX (the vocabulary's limit) */
        double p = 0;
        for (size_t i = 0; i < k; i++) p += weights[i] * model_prob(models[i], map[i], NULL, 0, w);
        m->o[1].lp[w] = w == LMP_VOCAB_BOS ? NGT_LOG_ZERO : (p > 0 ? fmax(log10(p), NGT_LOG_ZERO) : NGT_LOG_ZERO);
    }
    for (unsigned n = 2; n <= N; n++) {
        uint64_t total = 0, most = 0;
        for (size_t i = 0; i < k; i++) {
            if (lmp_ngram_order(models[i]) < n) continue;
            lmp_ngram_info gi;
            lmp_ngram_get_info(models[i], &gi);
            total += gi.counts[n];
            if (gi.counts[n] > most) most = gi.counts[n];
        }
        free(recs);
        free(ids);
        recs = malloc((total ? total : 1) * sizeof *recs);
        ids = malloc((most ? most : 1) * n * sizeof *ids);
        if (!recs || !ids) {
            st = lmp_error_set(err, LMP_ENOMEM, "mixing: out of memory for %llu %u-grams", (unsigned long long)total, n);
            goto done;
        }
        uint64_t r = 0;
        for (size_t i = 0; i < k; i++) {
            if (lmp_ngram_order(models[i]) < n) continue;
            lmp_ngram_info gi;
            lmp_ngram_get_info(models[i], &gi);
            if ((st = lmp_ngram_get_ngrams(models[i], n, ids, NULL, NULL, err))) goto done;
            /* model id -> union id: the union vocabulary holds every model word */
            for (uint64_t x = 0; x < gi.counts[n]; x++, r++) {
                memset(recs[r].r, 0, sizeof recs[r].r);
                for (unsigned j = 0; j < n; j++) recs[r].r[n - 1 - j] = umap[i][ids[x * n + j]];
                recs[r].lb = 0;
            }
        }
        uint64_t u = ngt_sort_unique(recs, r);
        for (uint64_t x = 0; x < u; x++) {
            lmp_token_id h[LMP_NGRAM_MAX_ORDER];
            for (unsigned j = 0; j + 1 < n; j++) h[j] = recs[x].r[n - 1 - j];
            double p = 0;
            for (size_t i = 0; i < k; i++) p += weights[i] * model_prob(models[i], map[i], h, n - 1, recs[x].r[0]);
            recs[x].lp = p > 0 ? fmax(log10(p), NGT_LOG_ZERO) : NGT_LOG_ZERO;
        }
        if ((st = ngt_set_order(m, n, recs, u, err))) goto done;
    }
    if ((st = ngt_recompute_backoffs(m, err))) goto done;
    ngt_update_info(m);
    {
        /* what it is: the models' common tokens, the union vocabulary, the mixture */
        char est[1024];
        size_t at = (size_t)snprintf(est, sizeof est, "mix:");
        lmp_ngram_tokens tk = LMP_NGRAM_TOKENS_UNKNOWN;
        for (size_t i = 0; i < k; i++) {
            const char *e = lmp_ngram_meta_get(models[i], LMP_NGRAM_META_ESTIMATOR);
            if (at < sizeof est)
                at += (size_t)lmp_snprintf_c(est + at, sizeof est - at, "%s %.9g (%.40s)", i ? " +" : "", weights[i],
                                       e ? e : "unknown");
            if (lmp_ngram_get_tokens(models[i]) != LMP_NGRAM_TOKENS_UNKNOWN) tk = lmp_ngram_get_tokens(models[i]);
        }
        if ((tk != LMP_NGRAM_TOKENS_UNKNOWN && train_meta_add(m, LMP_NGRAM_META_TOKENS, lmp_ngram_tokens_name(tk))) ||
            train_meta_add(m, LMP_NGRAM_META_VOCAB, "the union of the mixed models' vocabularies") ||
            train_meta_add(m, LMP_NGRAM_META_ESTIMATOR, est))
            st = lmp_error_set(err, LMP_ENOMEM, "out of memory for the metadata");
    }
done:
    for (size_t i = 0; i < k; i++) {
        free(map[i]);
        free(umap[i]);
    }
    free(recs);
    free(ids);
    if (st) {
        lmp_train_model_free(m);
        return st;
    }
    *out = m;
    return LMP_OK;
}
