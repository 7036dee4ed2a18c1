/* Model tools for back-off n-gram models: interpolation of several models
 * (with EM weights, as SRILM's compute-best-mix), a merged interpolated model
 * (as SRILM's ngram -mix-lm -write-lm), relative-entropy pruning (Stolcke
 * 1998, SRILM's ngram -prune) and filtering to a vocabulary (KenLM's filter).
 * docs/ngram-toolkit.md has the formulas, the conventions and the checks.
 *
 * Inputs are loaded models (lmp_ngram, ARPA or binary). The models these
 * functions make are lmp_train_model objects, the trainer's model: n-grams
 * with double log10 probabilities and backoffs, written with
 * lmp_train_write_arpa (then lmp_ngram_load reads it back to score it, or
 * lmp_ngram_write_binary converts it), looked up with lmp_train_lookup, freed
 * with lmp_train_model_free.
 *
 * Vocabularies. The models of a mixture may have different vocabularies: the
 * mixture's is their union, a word that model i lacks has p_i = 0 (as SRILM,
 * which reads all models into one vocabulary), and a word that no model has
 * is <unk> in every model (and counted as OOV).
 *
 * Thread safety: the functions keep no state; the models they read are only
 * read, so several calls may share them. */
#ifndef LMPROB_NGRAM_TOOLS_H
#define LMPROB_NGRAM_TOOLS_H

#include <stddef.h>
#include <stdint.h>

#include "lmprob/core.h"
#include "lmprob/ngram.h"
#include "lmprob/ngram_train.h"

LMP_EXTERN_C_BEGIN

/* Most models in one mixture. */
#define LMP_MIX_MAX_MODELS 16

/* ---- interpolation ------------------------------------------------------------- */

/* Exact interpolation evaluated on the fly: every line of the text at path
 * ("-" = stdin; plain/gzip/xz; split into words as lmprob train splits them)
 * is a sentence <s> w1 .. wn </s>, and each token gets
 *   p(w | h) = sum_i weights[i] p_i(w | h),
 * p_i from model i's own back-off rule on its own state. *acc is zeroed
 * first; it counts tokens, OOVs (words of no model), sentences and bytes as
 * lmp_ngram_score_file does. weights: k >= 1 values >= 0 summing to 1 (within
 * 1e-6). Errors: LMP_EINVAL (bad or NULL weights, k, a NULL acc), LMP_EFORMAT/LMP_EIO (the
 * text), LMP_ENOMEM. */
LMP_API lmp_status lmp_ngram_mix_score_file(const lmp_ngram *const *models, const double *weights, size_t k,
                                            const char *path, lmp_ngram_stats *acc, lmp_error *err);

typedef struct lmp_ngram_mix_em_info {
    unsigned iterations;  /* EM iterations run */
    uint64_t tokens;      /* tokens used (a token that every model gives probability 0 is left out) */
    uint64_t skipped;     /* those left out */
    double log10_prob;    /* of the used tokens under the final weights */
    double perplexity;    /* 10^(-log10_prob / tokens) */
    int converged;        /* 1 when the stopping rule held before max_iter */
    uint64_t oov;         /* of the used tokens, those no model has (each model's <unk> probability, as
                             SRILM's ngram -unk; compute-best-mix over ngram -ppl without -unk leaves them out) */
} lmp_ngram_mix_em_info;

/* Mixture weights that maximise the likelihood of a held-out text, by EM
 * (Dempster, Laird & Rubin 1977; the procedure of SRILM's compute-best-mix):
 *   weights_i <- (1/T) sum_t weights_i p_i(t) / sum_j weights_j p_j(t)
 * with p_i(t) the probability model i gives token t in its context (the
 * conventions of lmp_ngram_mix_score_file). weights holds the start (all > 0,
 * summing to 1; equal weights are the usual start) and receives the result.
 * Stops when no weight moves by more than tol (> 0; 1e-7 is plenty) or after
 * max_iter iterations (info->converged = 0). Errors as above, and LMP_EDOM
 * when no token has a non-zero probability. */
LMP_API lmp_status lmp_ngram_mix_em(const lmp_ngram *const *models, size_t k, const char *heldout, double *weights,
                                    double tol, unsigned max_iter, lmp_ngram_mix_em_info *info, lmp_error *err);

/* One back-off model for the mixture, as SRILM's ngram -mix-lm ... -write-lm
 * (static interpolation): its n-grams are the union of the models' n-grams,
 * each with p(w | h) = sum_i weights[i] p_i(w | h) (exact), and every backoff
 * is recomputed so that each p(. | h) sums to one:
 *   backoff(h) = (1 - sum_{w: hw in union} p(w|h)) / (1 - sum_{same w} p(w|h')).
 * A word unseen after h then gets backoff(h) p(w | h'), where the exact
 * mixture gives sum_i weights[i] backoff_i(h) p_i(w | h'): the two agree for
 * every n-gram of the union, and differ elsewhere unless the models' backoffs
 * agree (docs/ngram-toolkit.md measures by how much). The order is the
 * highest of the models'. The <s> unigram gets -99 (never predicted). LMP_EINVAL
 * for NULL weights or a NULL out, as for bad weights. */
LMP_API lmp_status lmp_train_model_create_mix(const lmp_ngram *const *models, const double *weights, size_t k,
                                              lmp_train_model **out, lmp_error *err);

/* ---- pruning ----------------------------------------------------------------------- */

typedef struct lmp_ngram_prune_info {
    uint64_t before[LMP_NGRAM_MAX_ORDER + 1]; /* n-grams per order in the input */
    uint64_t after[LMP_NGRAM_MAX_ORDER + 1];  /* and kept */
    double delta_h10; /* sum over the pruned n-grams of Stolcke's relative entropy D (log10 units, see below) */
    double ppl_change; /* 10^delta_h10 - 1: the predicted relative change of the model's perplexity */
} lmp_ngram_prune_info;

/* Relative-entropy pruning (Stolcke 1998, "Entropy-based pruning of backoff
 * language models"), as SRILM's ngram -prune: order by order from the
 * highest down to min_order (>= 2; unigrams are never pruned), each n-gram
 * "h w" of the model is removed when removing it alone changes the model's
 * perplexity by less than threshold (relative), that is when
 *   10^D - 1 < threshold,  D = -p(h) { p(w|h) [log10 p(w|h') + log10 b'(h) - log10 p(w|h)]
 *                                      + (1 - sum_{v: hv in model} p(v|h)) [log10 b'(h) - log10 b(h)] },
 *   b'(h) = (1 - sum_v p(v|h) + p(w|h)) / (1 - sum_v p(v|h') + p(w|h')),
 * D being p(h) times the relative entropy between p(.|h) before and after, and
 * p(h) the product of the model's conditional probabilities of h's words
 * (the first one's unigram; for <s> the unigram of </s>, as SRILM). An
 * n-gram that is the context of a kept longer n-gram stays. All decisions of
 * one order are taken on the model before that order is pruned; the backoffs
 * are recomputed at the end (lmp_train_model_create_mix's formula). threshold > 0 and
 * finite (SRILM's typical 1e-8 .. 1e-6; one above every change prunes all that may go).
 * info may be NULL. */
LMP_API lmp_status lmp_train_model_create_pruned(const lmp_ngram *m, double threshold, unsigned min_order,
                                                 lmp_train_model **out, lmp_ngram_prune_info *info,
                                                 lmp_error *err);

/* ---- filtering ----------------------------------------------------------------------- */

typedef enum lmp_ngram_filter_mode {
    LMP_FILTER_VOCAB = 0, /* KenLM filter "single": one vocabulary, every word of the file */
    LMP_FILTER_UNION = 1  /* KenLM filter "union": each line is a vocabulary; keep an n-gram whose words all
                             appear on one line */
} lmp_ngram_filter_mode;

/* The model restricted to the words of the file at path (whitespace-separated;
 * plain/gzip/xz; "-" = stdin): an n-gram is kept when every word is in the
 * vocabulary (mode VOCAB) or on one line (UNION); <s>, </s> and <unk> always
 * are. Nothing is recomputed: every probability and backoff is the model's,
 * so any sentence of vocabulary words (VOCAB) or any line of the file (UNION)
 * scores as under the full model (the filtered model no longer sums to one
 * over the dropped words, as with KenLM's filter). A file with no words at all
 * is refused (LMP_EINVAL), as lmprob train's --vocab list is. */
LMP_API lmp_status lmp_train_model_create_filtered(const lmp_ngram *m, const char *path,
                                                   lmp_ngram_filter_mode mode, lmp_train_model **out,
                                                   lmp_error *err);

/* ---- checks ---------------------------------------------------------------------------- */

/* The total sum_w p(w | ctx[0..n)) over the vocabulary (<s> excluded: it is
 * never predicted), by the model's own scoring (lmp_ngram_score; ctx as in
 * lmp_ngram_state_from). 1 for a normalised model (within float rounding),
 * below 1 for a filtered one (its dropped words are gone), above 1 for a
 * model of scores such as stupid backoff: ppl refuses those. NaN when ctx is
 * NULL with n > 0. */
LMP_API double lmp_ngram_mass_after(const lmp_ngram *m, const lmp_token_id *ctx, size_t n);

/* How far above 1 a probability model's mass may be: float rounding summed over a vocabulary
 * stays far below it, stupid backoff's excess far above (0.10 after <s> on PTB). */
#define LMP_NGRAM_MASS_TOL 1e-3

/* Does m give probabilities? The one rule of every command that needs them (lmprob ppl, kl,
 * mix, prune; generate says so): LMP_OK, or LMP_EDOM with a message saying why not:
 *  - the model records the stupid-backoff estimator (LMP_NGRAM_META_ESTIMATOR "stupid ...":
 *    scores, whatever they sum to);
 *  - its values after <s> (the empty context without <s>) sum to more than
 *    1 + LMP_NGRAM_MASS_TOL, even with every quantised value at the bottom of its rounding
 *    interval: a trie made with quantisation (lmp_ngram_trie_params) stores each bigram value
 *    as the nearest of 2^bits centres, so a probability model's mass after <s> moves by the
 *    rounding (1.09 for PTB's trigram at 6 bits), and the test is on the lowest mass the model
 *    can have had before it (the midpoints to the centres below, ng_trie_prob_floor).
 * A quantised stupid-backoff model without its record can therefore pass where the rounding
 * covers its excess. *mass (may be NULL) receives the sum as the model stores it. O(V). */
LMP_API lmp_status lmp_ngram_check_probabilities(const lmp_ngram *m, double *mass, lmp_error *err);

/* The record a model keeps of a quantisation its values went through: the bigram probability
 * centres (log10, distinct and ascending, "%.9g" each, space-separated, read back as floats) of the
 * quantised trie they came from.
 * Converted to ARPA, hashed or another trie, the values are still the centres, but the code table
 * is gone, and lmp_ngram_check_probabilities takes each bigram value after <s> down to the bottom
 * of its recorded interval as it does with a trie's own table (else an 8-bit trie's PTB trigram,
 * whose mass after <s> is 1.0046, was refused once converted). */
#define LMP_NGRAM_META_QUANTISED "quantised"

/* When m is a trie whose bigram probabilities are quantised, set its LMP_NGRAM_META_QUANTISED
 * record to their centres (before writing m in any format); otherwise leave m as it is (a record
 * it has stays). LMP_ENOMEM. Not safe while another thread reads m. */
LMP_API lmp_status lmp_ngram_record_quantisation(lmp_ngram *m, lmp_error *err);

LMP_EXTERN_C_END

#endif /* LMPROB_NGRAM_TOOLS_H */
