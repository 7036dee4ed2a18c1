/* Internal interfaces of the training pipeline (src/count, src/estimate).
 * Not installed; the public API is include/lmprob/ngram_train.h. */
#ifndef LMPROB_TRAIN_INTERNAL_H
#define LMPROB_TRAIN_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "lmprob/ngram_train.h"
#include "lmprob/vocab.h"

/* The n-grams of one order, sorted in suffix order (the last word most
 * significant, then the one before, ...; KenLM's SuffixOrder), except order 1,
 * which is indexed by word id. */
typedef struct train_order {
    unsigned n;     /* order */
    uint64_t m;     /* number of n-grams */
    lmp_token_id *w; /* [m][n] word ids */
    uint64_t *cnt;  /* [m] adjusted (KN/MKN) or raw (add-k/MLE) counts */
    uint32_t *sfx;  /* [m] index in order n-1 of words 1..n-1 (n >= 2; for n = 2 the index into order 1, the word id) */
    uint32_t *ctx;  /* [m] index in order n-1 of words 0..n-2 (n >= 2, likewise); kept in the trained model */
    uint32_t *kids; /* [m + 1] first index in order n+1 whose suffix is this n-gram (n < order) */
    double *p;      /* [m] probability (linear) */
    double *lp;     /* [m] log10 probability as written */
    double *lb;     /* [m] log10 backoff as written (0: not a context); NULL at the top order */
    int last_raw_valid; /* lmplz quirk, see train_adjust */
    uint64_t last_raw;  /* raw count of the last n-gram (suffix order) of this order */
    uint64_t last_idx;  /* its index */
} train_order;

/* The memory budget of one training run, lmp_train_params.memory: the token
 * stream, the counting tables and runs, every order's arrays, the links and
 * sums of the estimation are taken from it before they are allocated, and a
 * stage that would go past it stops with LMP_ENOMEM naming what it needed,
 * instead of growing past the limit (issue 11: --memory bounded counting
 * only). Shared by the counting and adjusting threads (atomic counters). */
typedef struct train_budget {
    uint64_t total; /* --memory */
    uint64_t limit; /* what the budget's allocations may take: total less a fixed reserve */
    uint64_t used; /* bytes taken now (allocator's usable sizes) */
    uint64_t peak; /* most taken at once */
    int trimming;  /* a thread is in malloc_trim (tb_free): the others skip theirs */
} train_budget;

void tb_init(train_budget *b, uint64_t limit);
/* count x size bytes (zeroed when zero), or NULL with err set: LMP_ENOMEM, the
 * message naming `what` and the sizes when the budget refuses. */
void *tb_array(train_budget *b, uint64_t count, size_t size, int zero, const char *what, lmp_error *err);
/* realloc through the budget (the old and new block count together while both exist). */
void *tb_resize(train_budget *b, void *p, uint64_t count, size_t size, const char *what, lmp_error *err);
/* Free a block of tb_array / tb_resize. NULL is a no-op. */
void tb_free(train_budget *b, void *p);
/* Count memory held elsewhere (the vocabulary) in or out, unchecked. */
void tb_hold(train_budget *b, int64_t delta);
/* LMP_OK when n more bytes would fit now (nothing taken). */
lmp_status tb_check(const train_budget *b, uint64_t n, const char *what, lmp_error *err);
/* Bytes left. */
uint64_t tb_left(const train_budget *b);

struct lmp_train_model {
    unsigned order;
    lmp_estimator est;
    lmp_vocab *vocab;
    train_order o[LMP_NGRAM_MAX_ORDER + 1]; /* o[1..order] */
    lmp_train_info info;
    train_budget budget;
    /* how it was made, for the model's metadata: n_meta pairs "key\0value\0" */
    char *meta;
    uint64_t meta_bytes;
    unsigned n_meta;
};

/* ---- a model written while its orders arrive (the distributed trainer) ----
 * lmp_train_write_arpa writes each order n >= 2 in the lexicographic order of
 * the n-grams' word ids (first word most significant: the CONTEXT order of
 * the ARPA writer, since order 1 keeps the ids). A trainer whose n-grams are
 * spread over processes merges their pieces in that order and hands them over
 * window by window, so that no process holds the whole model. */

/* The next `count` n-grams of order n in the written order: w[count][n] word ids,
 * lp[count] the log10 probabilities, lb[count] the log10 backoffs (n below the
 * model's order only; NULL otherwise), as floats, as written. */
typedef lmp_status (*train_pull_fn)(void *ctx, unsigned n, uint64_t count, lmp_token_id *w, float *lp, float *lb,
                                    lmp_error *err);
/* Write m as ARPA text, atomically: the metadata and unigrams from m, then m->o[n].m
 * n-grams of each order n >= 2 from pull (m->o[n]'s arrays are not read). */
lmp_status train_write_arpa_pulled(const lmp_train_model *m, const char *path, train_pull_fn pull, void *ctx,
                                   lmp_error *err);
/* perm[0..o->m) = the n-grams of o in the written order (the lexicographic order of
 * their words), by o->n stable counting sorts, last word first (radix sort; ids < nwords).
 * *perm is malloc'ed. */
lmp_status train_written_order(const train_order *o, uint32_t nwords, uint32_t **perm, lmp_error *err);

/* Count the order-N n-grams of the token stream ids[0..n) (sentences end with
 * LMP_VOCAB_EOS; each starts with N-1 implicit <s>), KenLM-style padded: the
 * n-grams whose second word is <s> are included (the lower orders need them).
 * Result: top->w/cnt sorted in suffix order, unique, raw counts. The counting
 * tables get what the budget has left (at most `tables` bytes when not 0); full ones spill sorted runs to
 * temp_dir. *ids is freed (and set NULL) once counted, before the merge; runs
 * still in memory go to disk too when the merged result would not fit beside
 * them. nthreads: 1 or 2. *runs = number of runs written to disk. */
lmp_status train_count_top(train_budget *b, uint64_t tables, lmp_token_id **ids, uint64_t n, unsigned N,
                           uint32_t nwords, const char *temp_dir, unsigned nthreads, train_order *top, uint64_t *runs,
                           lmp_error *err);

/* From the padded top order, derive orders 1..N-1 (continuation = 1: KenLM's
 * adjusted counts; 0: raw counts), then drop the padded top n-grams.
 * lmplz quirk reproduced for parity: its AdjustCounts (adjust_counts.cc, the
 * loop after the main one) adds the n-grams still pending at the end (the
 * suffixes of the last top-order n-gram) to the counts of counts with their raw
 * count instead of their adjusted count. last_raw/last_raw_valid record it.
 * Order 1 gets all nwords ids (count 0 when unseen). */
lmp_status train_adjust(train_budget *b, train_order *o, unsigned N, uint32_t nwords, int continuation, const uint64_t *prune,
                        unsigned nthreads, lmp_error *err);

/* Count pruning (lmplz --prune): an n-gram of order n >= 2 whose raw count is
 * <= prune[n-1] keeps its adjusted count (for the discounts and the context
 * sums) with this bit set, and is removed after estimation. */
#define TRAIN_MARK (1ull << 63)

/* Probabilities and backoffs (all estimators), order by order: suffix links,
 * child ranges and contexts of order n, then its probabilities; the counts and
 * links are freed as soon as nothing needs them. info->discount etc. are filled. */
lmp_status train_estimate(lmp_train_model *m, const lmp_train_params *p, lmp_error *err);

/* ---- the interpolated estimators (MKN, KN, ABS, WB) in pieces ----
 * estimate.c runs them on one machine; the distributed trainer (mpi/train_mpi.c)
 * runs the same pieces where its data is, so both compute the same doubles. */

/* log10(p), floored at -99 (0 and below: -99). */
double train_log10(double p);
/* p (linear) -> lp (log10, as written; clamp: at most 0), in place: lp takes over the array.
 * Order 1: <s> gets -99 (a context only). */
void train_to_log(train_order *t, int clamp);
/* Drop the pruned (TRAIN_MARK) n-grams of an order once its probabilities are known
 * (the arrays w, cnt, p and, when there, sfx and ctx move together). */
void train_compact_pruned(train_order *t);
/* Add the counts of counts of order t->n (of N) to nk[0..4] (counts 0..4; lmplz's
 * last-n-gram quirk of train_adjust applied when t->last_raw_valid). */
void train_count_counts(const train_order *t, unsigned N, uint64_t nk[5]);
/* The discounts D[n][1..3] of orders 1..N from their counts of counts nk[n]
 * (Chen & Goodman 1998 eq. 26; none for WB), also into info->discount and
 * info->fallback_used. LMP_EDOM when one cannot be estimated (no fallback). */
lmp_status train_interp_discounts(const lmp_train_params *p, unsigned N, const uint64_t nk[][5], double D[][4],
                                  lmp_train_info *info, lmp_error *err);
/* The unigram probabilities (linear) into o1->p, from the counts of every word
 * (o1->cnt dense by word id) and the order-1 discounts. */
lmp_status train_interp_unigrams(train_budget *b, train_order *o1, const double D1[4], const lmp_train_params *p,
                                 uint64_t sentences, lmp_error *err);
/* hi->p and lo->lb (zeroed) of one order n = hi->n and its contexts' order. */
lmp_status train_interp_alloc(train_budget *b, train_order *hi, train_order *lo, lmp_error *err);

/* The discount of adjusted count a (D[1], D[2], D[3] for 3 and more). */
static inline double train_disc(const double D[4], uint64_t a) { return D[a < 3 ? a : 3]; }

/* One n-gram of context c, its count cnt (with TRAIN_MARK when pruned), into c's
 * sums: den(c) += a; gamma(c) += D(a) (a pruned n-gram's whole count: lmplz
 * initial_probabilities.cc, "collect unused probability mass from pruning");
 * WB: n1p(c) = N1+(c .) and gamma(c) += 1 (Chen & Goodman 1998 eq. 15). The
 * n-grams of one context must come in increasing order of their last word (the
 * one-machine order), for the same floating-point sum. */
static inline void train_ctx_add(int wb, uint64_t cnt, const double D[4], uint64_t *den, uint64_t *n1p, double *gamma)
{
    uint64_t a = cnt & ~TRAIN_MARK;
    *den += a;
    if (wb) {
        (*n1p)++;
        *gamma += 1.0 + ((cnt & TRAIN_MARK) ? (double)a : 0.0);
    } else {
        *gamma += (cnt & TRAIN_MARK) ? (double)a : train_disc(D, a);
    }
}

/* After the last n-gram of context c: gamma(c) = its sum / total (-1: c is not a
 * context); WB: *n1p becomes the total c(c) + N1+(c .). */
static inline void train_ctx_close(int wb, uint64_t den, uint64_t *n1p, double *gamma)
{
    double tot = (double)den + (wb ? (double)*n1p : 0.0);
    *gamma = den ? *gamma / tot : -1.0;
    if (wb) *n1p += den;
}

/* p(w | c) = u(w | c) + gamma(c) p(w | c'), plo = p(w | c') (Chen & Goodman 1998
 * eqs. 15, 17-19, 26); tot: WB's total (train_ctx_close), else unused. */
static inline double train_interp_p(int wb, uint64_t a, const double D[4], uint64_t den, uint64_t tot, double gamma,
                                    double plo)
{
    double u = wb ? (double)a / (double)tot : ((double)a - train_disc(D, a)) / (double)den;
    return u + gamma * plo;
}

/* The ARPA backoff of a context from its gamma (0: not a context). */
static inline double train_ctx_backoff(double gamma) { return gamma < 0 ? 0.0 : train_log10(gamma); }

/* Frees through the budget (every array of an order comes from it). */
void train_order_free(train_budget *b, train_order *o);

/* The pieces of lmp_train_model_create (src/estimate/train.c) that the
 * distributed trainer (mpi/train_mpi.c) runs per rank or on rank 0. */
typedef struct train_ids {
    lmp_token_id *v; /* word ids, each >= 0 */
    uint64_t n, cap;
} train_ids;


/* The longest line the trainer reads when p->corpus.max_line is 0 (the default): an eighth of --memory, from
 * 64 KiB, at most 256 MiB, since a line is read whole before it is tokenised. lmp_train_model_load and
 * lmprob-mpi's ranks set it alike, so both refuse the same lines. */
void train_line_limit(lmp_train_params *p);

/* The folder for the counter's spilled runs: p->temp_dir, else $TMPDIR, else /tmp, into *dir. It must exist and
 * take files before reading starts (the first spill comes only once the tables fill the budget, possibly after
 * minutes of work): else LMP_EIO naming the folder, where it came from and why. lmp_train_model_* (so the CLI and
 * the Python module) and lmprob-mpi's ranks ask it alike. */
lmp_status train_temp_dir(const lmp_train_params *p, const char **dir, lmp_error *err);

/* Read every line of c: word ids into v (first-seen order) and ids (each
 * sentence ends with </s>), raw word counts into *wcount (grown to *wcap),
 * info->tokens and info->sentences. An empty corpus is not an error here. */
lmp_status train_read_ids(lmp_corpus *c, const lmp_train_params *p, train_budget *b, lmp_vocab *v, uint64_t *vheld,
                          train_ids *ids, uint64_t **wcount, uint64_t *wcap, lmp_train_info *info, lmp_error *err);

/* From adjusted counts (m->o[1..order] as train_adjust leaves them, m->vocab
 * and m->info's corpus figures set): estimate, record the n-gram counts, free
 * what only estimation needs, add the metadata. */
lmp_status train_finish(lmp_train_model *m, const lmp_train_params *p, lmp_error *err);
/* The part of train_finish after train_estimate (m->o[n].lp, lb and w set):
 * the n-gram counts, what only estimation needs freed, the metadata. */
lmp_status train_finish_estimated(lmp_train_model *m, const lmp_train_params *p, lmp_error *err);

/* Append the metadata record key = value to m (no check of the key: callers
 * pass lmprob's own keys). 0, or -1 without memory. */
int train_meta_add(lmp_train_model *m, const char *key, const char *value);

#endif
