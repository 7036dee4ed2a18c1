/* Generation from any model behind lm.h with a sampler chain (sample.h): the
 * loop every caller shares (lmprob generate, the chapter, the demo). */
#include <stdlib.h>
#include <string.h>

#include "lm_internal.h"

void lmp_lm_generate_params_init(lmp_lm_generate_params *p)
{
    if (!p) return;
    p->max_new = 50;
    p->sentences = 1;
}

/* Room for one more token: when the context is full, keep its newer half
 * (llama.cpp's context shift): rewind to nothing and push those tokens again. */
static lmp_status make_room(lmp_lm_ctx *c, lmp_token_id *keep_buf, lmp_error *err)
{
    if (c->len < c->cap) return LMP_OK;
    size_t keep = c->cap / 2;
    if (keep == 0) return lmp_error_set(err, LMP_ERANGE, "generate: a context of capacity %zu cannot hold a token "
                                        "and its context", c->cap);
    memcpy(keep_buf, c->tok + c->len - keep, keep * sizeof *keep_buf);
    lmp_status st = lmp_lm_ctx_rewind(c, 0, err);
    if (!st) st = lmp_lm_ctx_push(c, keep_buf, keep, err);
    return st;
}

lmp_status lmp_lm_generate(lmp_lm_ctx *c, lmp_sampler *s, lmp_rng *rng, const lmp_lm_generate_params *p,
                           lmp_lm_event_fn on_token, void *ud, lmp_error *err)
{
    if (!c || !s || !rng || !p)
        return lmp_error_set(err, LMP_EINVAL, "generate: expected a context, a sampler, an rng and parameters");
    if (p->max_new == 0 || p->sentences == 0)
        return lmp_error_set(err, LMP_EINVAL, "generate: max_new = %zu, sentences = %zu: expected both >= 1",
                             p->max_new, p->sentences);
    const lmp_lm_info *in = &c->lm->info;
    size_t V = in->vocab_size;
    double *lp = malloc(V * sizeof *lp);
    lmp_token_id *keep_buf = malloc((c->cap / 2 + 1) * sizeof *keep_buf);
    if (!lp || !keep_buf) {
        free(lp);
        free(keep_buf);
        return lmp_error_set(err, LMP_ENOMEM, "generate: out of memory for %zu log-probabilities", V);
    }
    int markers = lmp_lm_sentence_marker(c->lm) != LMP_TOKEN_NONE;
    lmp_status st = LMP_OK;
    const lmp_token_id start = lmp_lm_start(c->lm); /* GPT-2: the config's bos_token_id, as HF's generate */
    if (c->len == 0 && start >= 0) st = lmp_lm_ctx_push(c, &start, 1, err);
    for (size_t sent = 0; !st && sent < p->sentences; sent++) {
        if (sent > 0 && markers) {
            if (!(st = make_room(c, keep_buf, err))) st = lmp_lm_ctx_push(c, &in->bos, 1, err);
            if (st) break;
        }
        lmp_lm_event ev = {LMP_LM_EVENT_CUT, LMP_TOKEN_NONE, 0.0, sent, 0};
        for (size_t i = 0; i < p->max_new; i++) {
            if ((st = lmp_lm_ctx_next_logprobs(c, lp, err))) break;
            if ((st = lmp_sampler_apply(s, lp, V, c->tok, c->len, err))) break;
            lmp_token_id tok = lmp_sampler_draw(s, rng);
            if (tok < 0 || (size_t)tok >= V) {
                st = lmp_error_set(err, LMP_EDOM, "generate: the sampler drew no token");
                break;
            }
            /* room for it only now: the draw saw the whole context, full or not, and the shift comes
             * before the new token is pushed, as llama.cpp shifts before decoding it (the shift came
             * before the draw, whose distribution then had half the context) */
            if ((st = make_room(c, keep_buf, err))) break;
            if ((st = lmp_lm_ctx_push(c, &tok, 1, err))) break;
            ev.kind = tok == in->eos ? LMP_LM_EVENT_END : LMP_LM_EVENT_TOKEN;
            ev.id = tok;
            ev.logprob = lp[tok];
            ev.index = i;
            if (on_token && on_token(ud, &ev)) goto out;
            if (ev.kind == LMP_LM_EVENT_END) break;
        }
        if (st) break;
        if (ev.kind != LMP_LM_EVENT_END) {
            ev.kind = LMP_LM_EVENT_CUT;
            ev.id = LMP_TOKEN_NONE;
            ev.logprob = 0.0;
            ev.index = p->max_new;
            if (on_token && on_token(ud, &ev)) goto out;
        }
    }
out:
    free(lp);
    free(keep_buf);
    return st;
}
