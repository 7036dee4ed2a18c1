/* Does a model give probabilities? The mass of one next-word distribution, and
 * the one rule every command that needs probabilities applies. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../ngram/ngram_internal.h"
#include "lmprob/ngram_tools.h"

double lmp_ngram_mass_after(const lmp_ngram *m, const lmp_token_id *ctx, size_t n)
{
    if (!ctx && n) return NAN; /* no context (ngram_tools.h) */
    lmp_ngram_state s, o;
    lmp_ngram_state_from(m, ctx, n, &s);
    double sum = 0;
    size_t V = lmp_ngram_vocab_size(m);
    for (size_t w = 0; w < V; w++)
        if ((int32_t)w != lmp_ngram_bos(m)) sum += pow(10.0, lmp_ngram_score(m, &s, (int32_t)w, &o, NULL));
    return sum;
}

lmp_status lmp_ngram_check_probabilities(const lmp_ngram *m, double *mass, lmp_error *err)
{
    if (mass) *mass = NAN;
    if (!m) return lmp_error_set(err, LMP_EINVAL, "lmp_ngram_check_probabilities: NULL model");
    /* After <s> (the empty context for a model without it): the context every sentence starts
     * from. A word seen after <s> gets its bigram's value, a quantised one in a trie made with
     * -q; any other word its unigram (never quantised) times <s>'s backoff (a unigram's:
     * exact). So the mass the model had before quantisation is at least `floor`, the sum with
     * every bigram value moved down to the bottom of its rounding interval. */
    lmp_token_id bos = lmp_ngram_bos(m);
    lmp_ngram_state s, o;
    if (bos >= 0) lmp_ngram_state_begin(m, &s);
    else lmp_ngram_state_null(&s);
    double sum = 0, floor = 0;
    size_t V = lmp_ngram_vocab_size(m);
    for (size_t w = 0; w < V; w++) {
        if ((lmp_token_id)w == bos) continue; /* never predicted */
        unsigned len;
        double lp = lmp_ngram_score(m, &s, (lmp_token_id)w, &o, &len);
        sum += pow(10.0, lp);
        /* len >= 2 after a one-word state: the bigram's own value, no backoff added */
        floor += pow(10.0, len >= 2 && s.length == 1 ? ng_trie_prob_floor(m, len, (float)lp) : lp);
    }
    if (mass) *mass = sum;
    const char *ctx = bos >= 0 ? "after <s>" : "in the empty context";
    /* lmprob train's record: stupid backoff (Brants et al. 2007) gives scores whatever they sum to
     * (a model made from one by a tool that renormalises is still no estimate of probabilities) */
    const char *est = lmp_ngram_meta_get(m, LMP_NGRAM_META_ESTIMATOR);
    if (est && strncmp(est, "stupid", 6) == 0) {
        char sums[96] = ""; /* the sum only where it shows: a renormalised one sums to 1 */
        if (sum > 1.0 + LMP_NGRAM_MASS_TOL) snprintf(sums, sizeof sums, " (they sum to %.6g %s)", sum, ctx);
        return lmp_error_set(err, LMP_EDOM,
                             "a stupid-backoff model (as its estimator record says): its values are scores, not "
                             "probabilities%s",
                             sums);
    }
    /* 1e-3: far above float rounding summed over a vocabulary, far below stupid backoff's excess
     * (its backoff factor times the unseen words' unigram mass: 0.10 after <s> on PTB) */
    if (floor > 1.0 + LMP_NGRAM_MASS_TOL) {
        lmp_ngram_info in;
        lmp_ngram_get_info(m, &in);
        char q[128] = "";
        if (in.prob_bits && floor != sum)
            snprintf(q, sizeof q, ", at least %.6g before its %u-bit quantisation", floor, in.prob_bits);
        return lmp_error_set(err, LMP_EDOM,
                             "not a probability model: its values %s sum to %.6g%s, expected at most 1 + %g: scores, "
                             "not probabilities",
                             ctx, sum, q, LMP_NGRAM_MASS_TOL);
    }
    return LMP_OK;
}
