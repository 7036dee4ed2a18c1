/* Generation with any model behind lm.h and a sampler chain (see sample.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lmprob/sample.h"

lmp_status lmp_lm_generate(const lmp_lm *lm, lmp_sampler *s, lmp_rng *rng, const int32_t *prompt, size_t np,
                           size_t max_new, int32_t *out, size_t *n_out, double *logprob, lmp_error *err)
{
    if (!lm || !lm->vt || !lm->vt->next_logprobs)
        return lmp_error_set(err, LMP_EINVAL, "generate: expected a model with next_logprobs, got NULL");
    if (!s || !rng || !out || !n_out)
        return lmp_error_set(err, LMP_EINVAL, "generate: sampler, rng, out and n_out must not be NULL");
    if (np > 0 && !prompt) return lmp_error_set(err, LMP_EINVAL, "generate: %zu prompt tokens but NULL", np);
    size_t V = lm->vocab_size;
    for (size_t i = 0; i < np; i++)
        if (prompt[i] < 0 || (size_t)prompt[i] >= V)
            return lmp_error_set(err, LMP_EINVAL, "prompt[%zu] = %d: expected a token id in [0, %zu)", i,
                                 (int)prompt[i], V);
    double *lp = malloc((V ? V : 1) * sizeof *lp);
    if (!lp) return lmp_error_set(err, LMP_ENOMEM, "generate: out of memory for %zu log-probabilities", V);
    if (np) memmove(out, prompt, np * sizeof *out);
    size_t n = np;
    double total = 0.0;
    lmp_status st = LMP_OK;
    for (size_t step = 0; step < max_new; step++) {
        st = lm->vt->next_logprobs(lm->self, out, n, lp, err);
        if (st) break;
        st = lmp_sampler_apply(s, lp, V, out, n, err);
        if (st) break;
        int32_t tok = lmp_sampler_draw(s, rng);
        total += lp[tok];
        out[n++] = tok;
        if (tok == lm->eos) break; /* stop at the end token */
    }
    free(lp);
    if (st) return st;
    *n_out = n;
    if (logprob) *logprob = total;
    return LMP_OK;
}
