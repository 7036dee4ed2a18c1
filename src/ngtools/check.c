/* Does a model give probabilities? The mass of one next-word distribution. */
#include <math.h>

#include "lmprob/ngram_tools.h"

double lmp_ngram_mass_after(const lmp_ngram *m, const lmp_token_id *ctx, size_t n)
{
    lmp_ngram_state s, o;
    lmp_ngram_state_from(m, ctx, n, &s);
    double sum = 0;
    size_t V = lmp_ngram_vocab_size(m);
    for (size_t w = 0; w < V; w++)
        if ((int32_t)w != lmp_ngram_bos(m)) sum += pow(10.0, lmp_ngram_score(m, &s, (int32_t)w, &o, NULL));
    return sum;
}
