/* Internals of the model tools (mix, prune, filter; include/lmprob/ngram_tools.h).
 *
 * The tools work on a back-off model in double precision held as an
 * lmp_train_model, the trainer's own model object (src/count/train_internal.h):
 * per order n the n-grams' word ids w[m][n] sorted in suffix order (the last
 * word most significant, as the trainer keeps them, so lmp_train_lookup and
 * lmp_train_write_arpa work on it), their log10 probabilities lp[] and, below
 * the highest order, log10 backoffs lb[]; order 1 is indexed by word id. The
 * other fields of train_order (counts, links) stay NULL. */
#ifndef LMPROB_NGTOOLS_INTERNAL_H
#define LMPROB_NGTOOLS_INTERNAL_H

#include "../count/train_internal.h"
#include "lmprob/ngram.h"

#define NGT_NONE UINT64_MAX
#define NGT_LOG_ZERO (-99.0) /* log10 of probability 0, as ARPA files write it */

/* A new model of `order` over `vocab` (taken over, also on error): order 1
 * gets every word id with lp = -99, lb = 0; higher orders empty. */
lmp_status ngt_model_create(unsigned order, lmp_vocab *vocab, lmp_train_model **out, lmp_error *err);

/* Read a loaded model into a working model. map (may be NULL) receives a
 * malloc'd array: the working vocabulary id of each model id. */
lmp_status ngt_from_ngram(const lmp_ngram *g, lmp_train_model **out, lmp_token_id **map, lmp_error *err);

/* One n-gram while an order is being (re)built. */
typedef struct ngt_rec {
    lmp_token_id r[LMP_NGRAM_MAX_ORDER]; /* the words reversed (r[0] = the predicted word), 0-padded */
    double lp, lb;
} ngt_rec;

/* Sort recs in suffix order and merge equal n-grams (the first one's values
 * stay); returns the new count. */
uint64_t ngt_sort_unique(ngt_rec *recs, uint64_t n);

/* Order n of m from n-grams in suffix order (see ngt_sort_unique). */
lmp_status ngt_set_order(lmp_train_model *m, unsigned n, const ngt_rec *recs, uint64_t count, lmp_error *err);

/* Index of the n-gram w[0..n) in order n, or NGT_NONE. */
uint64_t ngt_find(const lmp_train_model *m, unsigned n, const lmp_token_id *w);

/* log10 p(w | h[0..nh)) by the back-off rule (Katz 1987): the longest n-gram
 * "h' w" of the model, plus the backoffs of the longer contexts that are
 * n-grams. nh may exceed order - 1 (only the last order - 1 words count). */
double ngt_logprob(const lmp_train_model *m, const lmp_token_id *h, unsigned nh, lmp_token_id w);

/* The backoff of every n-gram below the highest order, from the
 * probabilities (Katz 1987; SRILM's computeBOW): for a context h,
 *   backoff(h) = (1 - sum_{w: hw in model} p(w|h)) / (1 - sum_{same w} p(w|h')),
 * 1 for an n-gram that is no context, 0 (written -99) when nothing is left
 * for unseen words. Orders in increasing order: p(w|h') uses the backoffs of
 * shorter contexts. */
lmp_status ngt_recompute_backoffs(lmp_train_model *m, lmp_error *err);

/* Metadata of a tool's model: g's records but "command" (lmp_ngram_meta_at),
 * with key `replace` (may be NULL) set to value instead. LMP_ENOMEM. */
lmp_status ngt_meta_copy(lmp_train_model *m, const lmp_ngram *g, const char *replace, const char *value,
                         lmp_error *err);

/* Fill m->info.order and counts from the orders. */
void ngt_update_info(lmp_train_model *m);

#endif
