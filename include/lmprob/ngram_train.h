/* N-gram language model training: corpus → counts → adjusted counts →
 * discounts → probabilities → ARPA.
 *
 * Estimators (docs/ngram-training.md has the formulas and citations):
 *   LMP_EST_MKN   interpolated modified Kneser-Ney (Chen & Goodman 1998), computed
 *                 as KenLM's lmplz does (Heafield et al. 2013): adjusted counts
 *                 (continuation counts below the top order, except n-grams that
 *                 start with <s>, which keep raw counts), three discounts per
 *                 order from counts of counts (Chen & Goodman eq. 26), unigrams
 *                 interpolated with the uniform distribution over the vocabulary
 *                 (<s> excluded), ARPA backoff = interpolation weight gamma.
 *   LMP_EST_KN    interpolated Kneser-Ney with one discount per order,
 *                 D = n1 / (n1 + 2 n2) (Ney, Essen & Kneser 1994), same pipeline.
 *   LMP_EST_ADDK  add-k on raw counts: p(w|h) = (c(hw) + k) / (c(h) + k V) for every
 *                 seen n-gram, the MAP estimate under a symmetric Dirichlet(k + 1)
 *                 prior (k = 1: Laplace); unseen words back off with the weight
 *                 that renormalises (Katz-style backoff).
 *   LMP_EST_MLE   maximum likelihood c(hw) / c(h) on raw counts; an unseen word in a
 *                 seen context gets probability 0 (backoff written as -99).
 *   LMP_EST_WB    interpolated Witten-Bell (Witten & Bell 1991; Chen & Goodman 1998
 *                 eq. 15): p(w|h) = (c(hw) + N1+(h.) p(w|h')) / (c(h) + N1+(h.)) on raw
 *                 counts, ending at the uniform 1/V (or, with nltk_conventions, at
 *                 the MLE unigram, as nltk.lm.WittenBellInterpolated).
 *   LMP_EST_KATZ  Katz backoff with Good-Turing discounts (Katz 1987), as SRILM's
 *                 ngram-count default: d_r = ((r+1) n_(r+1) / (r n_r) - A) / (1 - A),
 *                 A = (k+1) n_(k+1) / n_1, for 1 <= r <= k = gt_max[n-1] (counts above k
 *                 undiscounted; a coefficient outside (0, 1] is 1); n-grams below
 *                 the count cut-off (prune) dropped; unigram left-over mass spread
 *                 over the zero-count words (all words when there are none).
 *   LMP_EST_ABS   interpolated absolute discounting (Ney, Essen & Kneser 1994) on
 *                 raw counts: one discount D per order (D = n1 / (n1 + 2 n2), or
 *                 `discount` when > 0), p(w|h) = max(c(hw) - D, 0) / c(h)
 *                 + D N1+(h.) / c(h) p(w|h'), ending at 1/V (nltk: the MLE unigram).
 *   LMP_EST_STUPID stupid backoff (Brants, Popat, Xu, Och & Dean 2007): SCORES, not
 *                 probabilities: S(w|h) = c(hw) / c(h) when c(hw) > 0, else
 *                 alpha S(w|h'); S(w) = c(w) / N. Every n-gram below the top order
 *                 carries the backoff log10(alpha). A context absent from the model
 *                 has backoff 1 in ARPA, so there S lacks Brants' alpha factor (a
 *                 constant for that context: rankings are unchanged).
 * V is the vocabulary size without <s> (words, <unk> and </s>); with
 * nltk_conventions <s> counts as a word (V + 1) and as a unigram event (the
 * unigram total gains one per sentence), as NLTK's nltk.lm does.
 *
 * Conventions: every line is one sentence "<s> w1 .. wn </s>" (an empty line
 * is "<s> </s>"); <unk> = id 0, <s> = 1, </s> = 2; the <s> unigram gets log10 p
 * = -99 (it is only ever a context). ARPA output is sorted like lmplz's: unigrams
 * in vocabulary order, higher orders in suffix order of the word ids.
 *
 * Memory: `memory` bounds the whole training: the token stream (4 bytes a
 * token), the vocabulary, the counting tables, every order's n-grams and the
 * estimation's links and sums are taken from it before they are allocated.
 * Counting uses what is left and, when its tables fill up, writes sorted runs
 * to temporary files in temp_dir (removed before returning) and merges them,
 * with the same result; the estimation holds every n-gram in memory, so a
 * model that does not fit stops with LMP_ENOMEM naming the stage, the size it
 * needed and the limit, before allocating it. Writing is checked the same way:
 * lmp_train_write_arpa (and lmp_ngram_create_from_train) first check that
 * their arrays fit beside the model. Of `memory`, min(16 MiB, a quarter) is
 * kept for what the budget does not count (the program, the reader's fixed
 * buffers, the allocator's slack). */
#ifndef LMPROB_NGRAM_TRAIN_H
#define LMPROB_NGRAM_TRAIN_H

#include <stddef.h>
#include <stdint.h>

#include "lmprob/core.h"
#include "lmprob/corpus.h"

LMP_EXTERN_C_BEGIN

typedef enum lmp_estimator {
    LMP_EST_MKN = 0,
    LMP_EST_KN = 1,
    LMP_EST_ADDK = 2,
    LMP_EST_MLE = 3,
    LMP_EST_WB = 4,
    LMP_EST_KATZ = 5,
    LMP_EST_ABS = 6,
    LMP_EST_STUPID = 7
} lmp_estimator;

/* The estimators' names as lmprob train's --estimator, Python's train(estimator=) and the models' "estimator"
 * record spell them; lmp_train_estimator_parse also takes add-k and laplace (addk), witten-bell (wb), gt
 * (katz) and absolute (abs). */
#define LMP_TRAIN_ESTIMATORS "mkn, kn, addk, mle, wb, katz, abs or stupid"
/* The name of e ("mkn", "wb", ...), or "?" for a value that is no estimator. */
LMP_API const char *lmp_train_estimator_name(lmp_estimator e);
/* The estimator named s into *out: LMP_OK, or LMP_EINVAL ("estimator 's': expected " LMP_TRAIN_ESTIMATORS). */
LMP_API lmp_status lmp_train_estimator_parse(const char *s, lmp_estimator *out, lmp_error *err);

/* Largest Good-Turing k (gt_max) lmp_train accepts. */
#define LMP_TRAIN_GT_MAX 20

/* Stage reports for progress displays: stage name, and a count (tokens read,
 * n-grams of an order, ...) or 0. May be NULL. */
typedef void (*lmp_train_progress_fn)(void *ctx, const char *stage, uint64_t count);

typedef struct lmp_train_params {
    unsigned order;          /* 1 .. LMP_NGRAM_MAX_ORDER (default 3) */
    lmp_estimator estimator; /* default LMP_EST_MKN */
    double k;                /* add-k pseudo-count, > 0 (default 1: Laplace) */
    uint64_t memory;         /* bytes for the whole training (default 1 GiB; 0: no limit), see "Memory" above */
    uint64_t count_tables;   /* at most this many bytes for the counting tables (0, the default: what
                                `memory` leaves); small values force many spilled runs, for tests */
    uint64_t min_count;      /* words seen fewer times become <unk> (default 0: keep all) */
    uint64_t vocab_size;     /* keep only the most frequent words (ties: first seen), 0 = all;
                                the specials are kept and not counted */
    const char *vocab_file;  /* whitespace-separated word list: every other word becomes <unk>;
                                its words that the text lacks get count 0. NULL: none */
    int discount_fallback;   /* MKN/KN: when a discount cannot be estimated use fallback[] (like lmplz --discount_fallback) */
    double fallback[3];      /* D1, D2, D3+ (default 0.5, 1, 1.5 as lmplz) */
    uint64_t prune[LMP_NGRAM_MAX_ORDER]; /* count pruning, as lmplz --prune (and SRILM's -gtNmin = prune + 1):
                                            n-grams of order i+1 whose raw count is <= prune[i] are dropped after
                                            estimation; their counts still make the discounts and their
                                            context's total, and their mass goes to their context's backoff.
                                            prune[0] must be 0 (no unigram pruning), the sequence
                                            non-decreasing over 1..order (0 = no pruning). Any estimator. */
    double discount;         /* LMP_EST_ABS: the discount D of every order, 0 < D <= 1; 0 = estimate per order */
    double alpha;            /* LMP_EST_STUPID: backoff factor, 0 < alpha <= 1 (default 0.4, Brants et al.) */
    unsigned gt_max[LMP_NGRAM_MAX_ORDER]; /* LMP_EST_KATZ: Good-Turing k of order i+1, counts above it are not
                                             discounted (default 1 for unigrams, 7 above: SRILM's -gtNmax) */
    int nltk_conventions;    /* NLTK's nltk.lm conventions: <s> is a vocabulary word and a unigram event
                                (V and the unigram total include it), and wb/abs end at the MLE unigram */
    lmp_corpus_params corpus;  /* tokenisation (word/char/byte, UTF-8 policy, markers) */
    const char *temp_dir;      /* for spilled runs (default $TMPDIR or /tmp) */
    unsigned threads;          /* 1 or 2 (default 2; 0: every core it can use, 2, the library's one rule for
                                  thread counts) */
    const char *command;       /* the command line that trains the model, kept in its metadata
                                  (lmp_ngram_meta_get "command"); NULL: none */
    lmp_train_progress_fn progress;
    void *progress_ctx;
} lmp_train_params;

LMP_API void lmp_train_params_init(lmp_train_params *p);
/* The domain of every field lmp_train_model_load/_create check before reading any text: LMP_OK,
 * or LMP_EINVAL / LMP_EUNSUPPORTED naming the field, its value and what was expected (the order,
 * k, discount, alpha, gt_max, the fallback discounts D_j in [0, j], the prune thresholds: 0 for
 * the unigrams, then non-decreasing; nltk_conventions only with addk, mle, wb, abs, stupid). A
 * program checks its settings with it at its boundary (lmprob train: a usage error). */
LMP_API lmp_status lmp_train_params_check(const lmp_train_params *p, lmp_error *err);

/* A trained model: n-grams per order with log10 probabilities and backoffs. */
/* Thread safety: read-only once trained (lookup, info, ARPA writing may run from
 * several threads at once); training itself uses params.threads threads internally. */
typedef struct lmp_train_model lmp_train_model;

typedef struct lmp_train_info {
    unsigned order;
    lmp_estimator estimator;
    uint64_t counts[LMP_NGRAM_MAX_ORDER + 1]; /* counts[n]: n-grams of order n in the model (n >= 1), after pruning */
    double discount[LMP_NGRAM_MAX_ORDER + 1][4]; /* MKN/KN/ABS: discount[n][j] = D_j of order n (j = 1..3) */
    unsigned gt_max[LMP_NGRAM_MAX_ORDER + 1];    /* KATZ: the k used for order n (lowered as SRILM does when
                                                    n_(k+1) = 0; 0: no discounting) */
    double gt_coeff[LMP_NGRAM_MAX_ORDER + 1][LMP_TRAIN_GT_MAX + 1]; /* KATZ: d_r of order n, r = 1..gt_max[n] */
    int fallback_used[LMP_NGRAM_MAX_ORDER + 1];  /* 1 when order n used the fallback discounts */
    uint64_t tokens;    /* words in the text (no <s>/</s>) */
    uint64_t sentences; /* lines */
    uint64_t vocab;     /* unigrams in the model, <unk> <s> </s> included */
    uint64_t spilled_runs; /* sorted runs written to disk while counting (0 when all fitted) */
    uint64_t peak_bytes;   /* the most memory the training held at once (its budget, lmp_train_params.memory) */
} lmp_train_info;

/* Train a model on a text file ("-": stdin; plain/gzip/xz): `_load` because the
 * object is made from a file (docs/DEVELOPING.md, API rules). Errors (the model is not
 * created): LMP_EINVAL (bad params: names the field and value), LMP_EUNSUPPORTED
 * (order above LMP_NGRAM_MAX_ORDER), LMP_EFORMAT (invalid UTF-8, <s>/</s> in the
 * text: file, line, byte; empty corpus), LMP_EDOM (MKN/KN discounts cannot be
 * estimated from these counts: names the order and count and the fallback
 * option), LMP_EIO, LMP_ENOMEM. */
LMP_API lmp_status lmp_train_model_load(const char *path, const lmp_train_params *params, lmp_train_model **out,
                                        lmp_error *err);

/* Same, on the files paths[0..n) read one after another as one text (each file's lines its own, a last
 * line without a newline included; each plain, gzip or xz; no "-"): the model of their concatenation, as
 * lmprob train @LIST and lmprob-mpi train @LIST make it. n >= 1. */
LMP_API lmp_status lmp_train_model_load_files(const char *const *paths, size_t n, const lmp_train_params *params,
                                              lmp_train_model **out, lmp_error *err);

/* Same, from an open corpus reader (its params, not params->corpus, apply): `_create`,
 * the object is made from an argument. */
LMP_API lmp_status lmp_train_model_create(lmp_corpus *corpus, const lmp_train_params *params, lmp_train_model **out,
                                          lmp_error *err);

LMP_API void lmp_train_get_info(const lmp_train_model *m, lmp_train_info *info);

/* Look up the n-gram words[0..n) (n = 1..order; words[n-1] the predicted
 * word): its log10 probability and log10 backoff (0 at the highest order or
 * when it is not a context). Returns 0 when found, -1 when it is not in the model
 * (also for a NULL model, words array or word). */
LMP_API int lmp_train_lookup(const lmp_train_model *m, const char *const *words, size_t n, double *logprob10,
                             double *backoff10);

/* Write the model as ARPA (atomic; "-" = stdout) with lmprob's one ARPA writer
 * (lmp_ngram_write_arpa): its metadata (tokens, vocabulary rule, estimator,
 * command) as "# lmprob KEY: VALUE" lines before \data\, the n-grams of each
 * order in the order IRSTLM's compile-lm needs (LMP_ARPA_ORDER_CONTEXT), which
 * KenLM and Sphinx read as well, every number the shortest decimal that reads
 * back as the same float. LMP_EIO on failure, no file left. */
LMP_API lmp_status lmp_train_write_arpa(const lmp_train_model *m, const char *path, lmp_error *err);

/* NULL is a no-op. */
LMP_API void lmp_train_model_free(lmp_train_model *m);

LMP_EXTERN_C_END

#endif /* LMPROB_NGRAM_TRAIN_H */
