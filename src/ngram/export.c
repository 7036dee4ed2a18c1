/* The n-grams of a loaded model as arrays (lmp_ngram_get_ngrams), for the
 * model tools (src/ngtools: mix, prune, filter) and anyone who wants to walk a
 * model: through the one view every layout gives (ng_src, hashed or trie),
 * which the ARPA writer reads too. */
#include <stdlib.h>

#include "ngram_internal.h"

lmp_status lmp_ngram_get_ngrams(const lmp_ngram *m, unsigned n, lmp_token_id *words, float *logprob, float *backoff,
                                lmp_error *err)
{
    if (!m || n < 1 || n > m->order)
        return lmp_error_set(err, LMP_EINVAL, "order %u: expected an order from 1 to %u", n, m ? m->order : 0);
    ng_src s;
    lmp_status st = ng_src_of_model(m, &s, err);
    if (st) return st;
    for (uint64_t i = 0; i < s.counts[n]; i++) {
        float p, b;
        if (n == 1) {
            s.unigram(s.self, (lmp_token_id)i, &p, &b); /* i < the vocabulary size <= INT32_MAX */
            if (words) words[i] = (lmp_token_id)i;
        } else {
            uint32_t ctx;
            lmp_token_id w;
            s.entry(s.self, n, i, &ctx, &w, &p, &b);
            if (words) ng_src_words(&s, n, i, words + i * n);
        }
        if (logprob) logprob[i] = p;
        if (backoff) backoff[i] = b == 0 ? 0.0f : b; /* -0.0 only marks "not extended" inside the model */
    }
    ng_src_release(&s);
    return LMP_OK;
}
