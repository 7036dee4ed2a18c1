/* Relative-entropy pruning of a back-off model (Stolcke 1998, "Entropy-based
 * pruning of backoff language models"), with SRILM's conventions
 * (ngram -prune, Ngram::pruneProbs): include/lmprob/ngram_tools.h has the
 * formula and docs/ngram-toolkit.md the hand-checked case. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lmprob/ngram_tools.h"
#include "ngtools_internal.h"
#include "../core/cnum.h"

/* log10 p(h) of the context h[0..n): the chain rule under the model, the
 * first word by its unigram, <s> by the unigram of </s> (an n-gram model
 * gives <s> no probability; SRILM's computeContextProb does the same). */
static double context_logprob(const lmp_train_model *m, const lmp_token_id *h, unsigned n)
{
    double lp = 0;
    for (unsigned i = 0; i < n; i++) {
        lmp_token_id w = (i == 0 && h[0] == LMP_VOCAB_BOS) ? LMP_VOCAB_EOS : h[i];
        lp += ngt_logprob(m, h, i, w);
    }
    return lp;
}

/* SRILM's Prob_Epsilon */
#define PRUNE_EPS 3e-6

/* Drop the n-grams of order n marked in drop[]. */
static void compact(train_order *t, const unsigned char *drop)
{
    const unsigned n = t->n;
    uint64_t k = 0;
    for (uint64_t i = 0; i < t->m; i++) {
        if (drop[i]) continue;
        if (k != i) {
            memmove(t->w + k * n, t->w + i * n, n * sizeof *t->w);
            t->lp[k] = t->lp[i];
            if (t->lb) t->lb[k] = t->lb[i];
        }
        k++;
    }
    t->m = k;
}

lmp_status lmp_train_model_create_pruned(const lmp_ngram *g, double threshold, unsigned min_order,
                                         lmp_train_model **out, lmp_ngram_prune_info *info, lmp_error *err)
{
    *out = NULL;
    if (!g) return lmp_error_set(err, LMP_EINVAL, "model is NULL");
    /* any finite T > 0: one above every n-gram's change prunes all that may go */
    if (!(threshold > 0 && isfinite(threshold)))
        return lmp_error_set(err, LMP_EINVAL, "threshold = %g: expected a relative perplexity change > 0 (finite)",
                             threshold);
    if (min_order < 2)
        return lmp_error_set(err, LMP_EINVAL, "min_order = %u: expected at least 2 (unigrams are not pruned)",
                             min_order);
    lmp_train_model *m;
    lmp_status st = ngt_from_ngram(g, &m, NULL, err);
    if (st) return st;
    const unsigned N = m->order;
    lmp_ngram_prune_info inf;
    memset(&inf, 0, sizeof inf);
    for (unsigned n = 1; n <= N; n++) inf.before[n] = m->o[n].m;
    for (unsigned n = N; n >= 2 && n >= min_order; n--) {
        train_order *hi = &m->o[n], *lo = &m->o[n - 1];
        uint64_t M = hi->m, C = lo->m;
        unsigned char *drop = calloc(M ? M : 1, 1), *ext = calloc(M ? M : 1, 1), *seen = calloc(C ? C : 1, 1);
        double *sum = calloc(2 * (C ? C : 1), sizeof *sum), *lbo = malloc((M ? M : 1) * sizeof *lbo);
        double *ctxp = malloc((C ? C : 1) * sizeof *ctxp);
        uint64_t *ctx = malloc((M ? M : 1) * sizeof *ctx);
        if (!drop || !ext || !seen || !sum || !lbo || !ctxp || !ctx) {
            st = lmp_error_set(err, LMP_ENOMEM, "pruning: out of memory for %llu %u-grams", (unsigned long long)M, n);
        }
        /* an n-gram that is the context of a kept (n+1)-gram stays (SRILM: "don't prune ngrams whose
         * backoff nodes are needed") */
        if (!st && n < N)
            for (uint64_t i = 0; i < m->o[n + 1].m; i++) {
                uint64_t c = ngt_find(m, n, m->o[n + 1].w + i * (n + 1));
                if (c != NGT_NONE) ext[c] = 1;
            }
        for (uint64_t i = 0; i < M && !st; i++) {
            const lmp_token_id *w = hi->w + i * n;
            uint64_t c = ngt_find(m, n - 1, w);
            if (c == NGT_NONE) {
                st = lmp_error_set(err, LMP_EFORMAT, "a %u-gram whose context is not a %u-gram: expected every "
                                   "context in the model", n, n - 1);
                break;
            }
            ctx[i] = c;
            lbo[i] = ngt_logprob(m, w + 1, n - 2, w[n - 1]);
            sum[2 * c] += pow(10.0, hi->lp[i]);
            sum[2 * c + 1] += pow(10.0, lbo[i]);
            if (!seen[c]) {
                seen[c] = 1;
                ctxp[c] = pow(10.0, context_logprob(m, w, n - 1));
            }
        }
        for (uint64_t i = 0; i < M && !st; i++) {
            uint64_t c = ctx[i];
            /* backoff numerator and denominator of the context, as SRILM's computeBOW */
            double num = 1.0 - sum[2 * c], den = 1.0 - sum[2 * c + 1];
            if (num < 0 && num > -PRUNE_EPS) num = 0;
            if (den < 0 && den > -PRUNE_EPS) den = 0;
            if (num < 0) continue;                 /* improper context: left alone */
            if (den <= 0) {
                if (num > PRUNE_EPS) continue;
                num = den = 0;
            }
            double p = pow(10.0, hi->lp[i]);
            double newbow = log10(num + p) - log10(den + pow(10.0, lbo[i]));
            double dprob = lbo[i] + newbow - hi->lp[i];
            double bow = lo->lb[c];
            double dh = -ctxp[c] * (p * dprob + num * (newbow - bow));
            double change = pow(10.0, dh) - 1.0;
            if (change < threshold && !ext[i]) {
                drop[i] = 1;
                inf.delta_h10 += dh;
            }
        }
        if (!st) compact(hi, drop);
        free(drop);
        free(ext);
        free(seen);
        free(sum);
        free(lbo);
        free(ctxp);
        free(ctx);
        if (st) break;
    }
    if (!st) st = ngt_recompute_backoffs(m, err);
    if (!st) {
        char est[512];
        const char *old = lmp_ngram_meta_get(g, LMP_NGRAM_META_ESTIMATOR);
        lmp_snprintf_c(est, sizeof est, "%.400s%sentropy-pruned at %g (orders >= %u)", old ? old : "", old ? ", " : "",
                 threshold, min_order);
        st = ngt_meta_copy(m, g, LMP_NGRAM_META_ESTIMATOR, est, err);
    }
    if (st) {
        lmp_train_model_free(m);
        return st;
    }
    ngt_update_info(m);
    for (unsigned n = 1; n <= N; n++) inf.after[n] = m->o[n].m;
    inf.ppl_change = pow(10.0, inf.delta_h10) - 1.0;
    if (info) *info = inf;
    *out = m;
    return LMP_OK;
}
