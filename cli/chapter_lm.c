/* lmprob chapter, the language-model half: the chain rule on the chapter's
 * mock LM (b03), greedy decoding and sampling (b15), temperature (b16), top-k
 * (b17), nucleus size (b18), perplexity (b19) and the Hugging Face
 * sliding-window perplexity (b19hf) through include/lmprob/eval.h. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "chapter.h"
#include "chapter/mock_lm.h"
#include "cli.h"
#include "lmprob/dist.h"
#include "lmprob/eval.h"
#include "lmprob/info.h"
#include "lmprob/lm.h"
#include "lmprob/ngram.h"
#include "lmprob/sample.h"

/* ---- b03: the chapter's mock LM (cli/chapter/mock_lm.c, a model over lm.h's vtable) -------- */

int ch_b03_chain(ch_ctx *c)
{
    lmp_rng r;
    if (ch_seed(c, &r, 42)) return CLI_FAIL;
    lmp_lm *lm = NULL;
    lmp_lm_ctx *ctx = NULL;
    lmp_error err;
    lmp_status st = ch_mock_lm_create(&lm, &err);
    if (!st) st = lmp_lm_ctx_create(lm, 8, &ctx, &err);
    lmp_lm_info in;
    lmp_lm_get_info(lm, &in);
    enum { MAXV = 16 };
    if (!st && (in.vocab_size > MAXV || in.bos < 0))
        st = lmp_error_set(&err, LMP_EINVAL, "mock LM: unexpected vocabulary");
    if (!st) st = lmp_lm_ctx_push(ctx, &in.bos, 1, &err);
    size_t V = in.vocab_size;
    double lp = 0.0, lpv[MAXV], pv[MAXV];
    /* The chapter's loop: three steps, no stop at </s>. */
    for (int step = 0; step < 3 && !st; step++) {
        st = lmp_lm_ctx_next_logprobs(ctx, lpv, &err);
        if (st) break;
        for (size_t i = 0; i < V; i++) pv[i] = exp(lpv[i]);
        size_t k = lmp_categorical_sample(&r, pv, V); /* np.random.choice(len(vocab), p=probs) */
        if (k >= V) {
            st = lmp_error_set(&err, LMP_EDOM, "mock LM: the next-token distribution does not sum to 1");
            break;
        }
        lp += lpv[k];
        lmp_token_id tok = (lmp_token_id)k;
        if ((st = lmp_lm_ctx_push(ctx, &tok, 1, &err))) break;
        const char *w = lmp_lm_token_text(lm, tok, NULL);
        ch_say(c, "Step %d: generated '%s', log_prob so far = %.3f", step + 1, w, lp);
        char key[32];
        snprintf(key, sizeof key, "step%d_token", step + 1);
        ch_str(c, key, w);
        snprintf(key, sizeof key, "step%d_logprob", step + 1);
        ch_num(c, key, lp);
    }
    if (st) {
        lmp_lm_ctx_free(ctx);
        lmp_lm_free(lm);
        return ch_fail(c, st, &err);
    }
    char seq[256];
    size_t o = (size_t)snprintf(seq, sizeof seq, "[");
    const lmp_token_id *hist = lmp_lm_ctx_tokens(ctx);
    for (size_t i = 0; i < lmp_lm_ctx_length(ctx); i++)
        o += (size_t)snprintf(seq + o, sizeof seq - o, "%s'%s'", i ? ", " : "", lmp_lm_token_text(lm, hist[i], NULL));
    snprintf(seq + o, sizeof seq - o, "]");
    ch_say(c, "Sequence: %s P(seq) = %.4f", seq, exp(lp));
    ch_num(c, "p_seq", exp(lp));
    lmp_lm_ctx_free(ctx);
    /* The chain rule on the intended sentence <s> the cat sat </s> (ids 0..4 of the mock). */
    const lmp_token_id sent[] = {0, 1, 2, 3, 4};
    double lps = 0.0;
    st = lmp_lm_sequence_logprob(lm, sent, 5, 1, &lps, &err);
    lmp_lm_free(lm);
    if (st) return ch_fail(c, st, &err);
    ch_say(c, "chain rule: P(the cat sat </s> | <s>) = 0.7 x 0.6 x 0.8 x 1 = %.4f", exp(lps));
    ch_num(c, "p_the_cat_sat", exp(lps));
    ch_note(c, "the loop keeps generating after '</s>' (the default branch forces '</s>' with p = 1), so the "
               "'sequence' ends '</s>', '</s>'; a generator stops at the end token (lmprob generate does). The "
               "vocabulary has 5 tokens, not 4. The +1e-10 inside the log only moves P(seq) by about 1e-10");
    return CLI_OK;
}

/* ---- b15 .. b18: the seven-token example ------------------------------------------- */

static const char *v7[7] = {"the", "a", "cat", "dog", "ran", "sat", "leapt"};
static const double logits7[7] = {3.0, 2.0, 1.5, 1.2, 0.8, 0.4, 0.1};

int ch_b15_greedy(ch_ctx *c)
{
    double p[7];
    lmp_error err;
    lmp_status st = lmp_softmax(logits7, 7, p, &err);
    if (st) return ch_fail(c, st, &err);
    size_t g = lmp_argmax(p, 7);
    ch_say(c, "Greedy: '%s' (always)   p = %.4f", v7[g], p[g]);
    ch_str(c, "greedy", v7[g]);
    ch_num(c, "p_the", p[0]);
    lmp_rng r;
    if (ch_seed(c, &r, 42)) return CLI_FAIL;
    int rc = ch_say_draws(c, &r, p, v7, 7, "Samples: ", ", ", "draw");
    if (rc) return rc;
    ch_note(c, "the chapter's 'e.g.' list is not what seed 42 gives; the line above is (numpy prints the same)");
    return CLI_OK;
}

int ch_b16_temperature(ch_ctx *c)
{
    static const double temps[] = {0.1, 0.5, 1.0, 1.5, 2.0};
    lmp_rng r;
    if (ch_seed(c, &r, -1)) return CLI_FAIL;
    ch_say(c, "%6s %40s", "Temp", "Distribution (top 3)");
    for (size_t t = 0; t < 5; t++) {
        double p[7];
        lmp_error err;
        lmp_status st = lmp_softmax_temperature(logits7, 7, temps[t], p, &err);
        if (st) return ch_fail(c, st, &err);
        (void)lmp_categorical_sample(&r, p, 7); /* temperature_sample also draws a token */
        /* top 3 by probability, ties to the lower index (the logits are distinct here) */
        size_t idx[7];
        for (size_t i = 0; i < 7; i++) idx[i] = i;
        for (size_t i = 0; i < 3; i++)
            for (size_t j = i + 1; j < 7; j++)
                if (p[idx[j]] > p[idx[i]]) {
                    size_t tmp = idx[i];
                    idx[i] = idx[j];
                    idx[j] = tmp;
                }
        ch_say(c, "%6.1f %s:%.2f %s:%.2f %s:%.2f   (H = %.3f nats)", temps[t], v7[idx[0]], p[idx[0]], v7[idx[1]],
               p[idx[1]], v7[idx[2]], p[idx[2]], lmp_entropy(p, 7, LMP_BASE_E));
        char key[32];
        snprintf(key, sizeof key, "T%.1f_p_%s", temps[t], v7[idx[0]]);
        ch_num(c, key, p[idx[0]]);
        snprintf(key, sizeof key, "T%.1f_p_%s", temps[t], v7[idx[1]]);
        ch_num(c, key, p[idx[1]]);
        snprintf(key, sizeof key, "T%.1f_p_%s", temps[t], v7[idx[2]]);
        ch_num(c, key, p[idx[2]]);
    }
    ch_note(c, "the chapter's three claimed rows are all wrong: T=0.1 prints the:1.00 (0.99995 rounds up), T=1.0 "
               "the:0.50 a:0.18 cat:0.11, T=2.0 the:0.30 a:0.18 cat:0.14 (not 'almost uniform': the top token "
               "still has 2.1x the uniform 1/7). Run standalone, the block fails (softmax is defined in b15)");
    return CLI_OK;
}

int ch_b17_topk(ch_ctx *c)
{
    lmp_sampler_params prm;
    lmp_sampler_params_init(&prm);
    prm.conv = LMP_CONV_HF; /* the chapter keeps every token tied with the k-th value, as HF */
    prm.top_k = 3;
    lmp_sampler *s = NULL;
    lmp_error err;
    lmp_status st = lmp_sampler_create(&prm, 7, &s, &err);
    if (st) return ch_fail(c, st, &err);
    lmp_rng r;
    if (ch_seed(c, &r, 42)) {
        lmp_sampler_free(s);
        return CLI_FAIL;
    }
    int counts[7] = {0}, first_seen[7], nseen = 0;
    for (int i = 0; i < 20; i++) {
        lmp_token_id tok;
        st = lmp_sampler_sample(s, logits7, 7, NULL, 0, &r, &tok, &err);
        if (st) {
            lmp_sampler_free(s);
            return ch_fail(c, st, &err);
        }
        if (counts[tok]++ == 0) first_seen[nseen++] = tok;
    }
    char line[256];
    size_t o = (size_t)snprintf(line, sizeof line, "Counter({");
    int printed = 0;
    /* Counter prints by count, descending, ties in first-seen order */
    for (int want = 20; want > 0; want--)
        for (int j = 0; j < nseen; j++)
            if (counts[first_seen[j]] == want)
                o += (size_t)snprintf(line + o, sizeof line - o, "%s'%s': %d", printed++ ? ", " : "", v7[first_seen[j]],
                                      want);
    snprintf(line + o, sizeof line - o, "})");
    ch_say(c, "%s", line);
    for (int k = 0; k < 7; k++) {
        char key[32];
        snprintf(key, sizeof key, "count_%s", v7[k]);
        ch_num(c, key, counts[k]);
    }
    /* The tie edge: logits [2 1 1 1 0], k = 2 keeps 4 tokens with the chapter's >= threshold (HF), 2 with llama. */
    double tie[5] = {2, 1, 1, 1, 0};
    size_t keep_hf = 0, keep_llama = 0;
    prm.top_k = 2;
    lmp_sampler *s2 = NULL;
    st = lmp_sampler_create(&prm, 5, &s2, &err);
    if (!st) st = lmp_sampler_apply(s2, tie, 5, NULL, 0, &err);
    if (!st) keep_hf = lmp_sampler_kept(s2).n;
    lmp_sampler_free(s2);
    s2 = NULL;
    prm.conv = LMP_CONV_LLAMA;
    if (!st) st = lmp_sampler_create(&prm, 5, &s2, &err);
    if (!st) st = lmp_sampler_apply(s2, tie, 5, NULL, 0, &err);
    if (!st) keep_llama = lmp_sampler_kept(s2).n;
    lmp_sampler_free(s2);
    lmp_sampler_free(s);
    if (st) return ch_fail(c, st, &err);
    ch_say(c, "ties: logits [2 1 1 1 0], k = 2 keeps %zu tokens with the chapter's `logits >= threshold` (HF), %zu "
              "with llama.cpp's exactly-k", keep_hf, keep_llama);
    ch_num(c, "tie_keep_hf", (double)keep_hf);
    ch_num(c, "tie_keep_llama", (double)keep_llama);
    return CLI_OK;
}

static int nucleus(ch_ctx *c, const double *logits, size_t n, double p, size_t *size)
{
    lmp_sampler_params prm;
    lmp_sampler_params_init(&prm);
    prm.top_p = p;
    lmp_sampler *s = NULL;
    lmp_error err;
    lmp_status st = lmp_sampler_create(&prm, n, &s, &err);
    if (!st) st = lmp_sampler_apply(s, logits, n, NULL, 0, &err);
    if (!st) *size = lmp_sampler_kept(s).n;
    lmp_sampler_free(s);
    if (st) return ch_fail(c, st, &err);
    return CLI_OK;
}

int ch_b18_nucleus(ch_ctx *c)
{
    double peaked[7] = {10.0, 1.0, 0.5, 0.1, 0.0, 0.0, 0.0}, flat[7] = {2.0, 1.8, 1.6, 1.4, 1.2, 1.0, 0.8};
    size_t sp, sf, s1;
    if (nucleus(c, peaked, 7, 0.9, &sp) || nucleus(c, flat, 7, 0.9, &sf) || nucleus(c, peaked, 7, 1.0, &s1))
        return CLI_FAIL;
    ch_say(c, "Peaked: nucleus size = %zu (p=0.9)", sp);
    ch_say(c, "Flat: nucleus size = %zu (p=0.9)", sf);
    ch_num(c, "peaked_size", (double)sp);
    ch_num(c, "flat_size", (double)sf);
    /* The chapter's nucleus_size at p = 1: searchsorted on a cumsum that ends below 1.0. */
    /* The chapter's softmax as numpy computes it (exp of the shifted logits, one
     * sequential sum for n < 8, one division each), not lmp_softmax: the
     * library's compensated sum makes this cumsum end at exactly 1, numpy's does not. */
    double sorted[7], cum = 0.0, mx = peaked[0], z = 0.0;
    for (int i = 1; i < 7; i++)
        if (peaked[i] > mx) mx = peaked[i];
    for (int i = 0; i < 7; i++) z += (sorted[i] = exp(peaked[i] - mx));
    for (int i = 0; i < 7; i++) sorted[i] /= z;
    for (int i = 0; i < 7; i++)
        for (int j = i + 1; j < 7; j++)
            if (sorted[j] > sorted[i]) {
                double t = sorted[i];
                sorted[i] = sorted[j];
                sorted[j] = t;
            }
    size_t chapter_size = 0; /* searchsorted(cumsum, 1.0) + 1: the first index with cum >= 1, else 7 */
    for (size_t i = 0; i < 7; i++) {
        cum += sorted[i];
        if (cum >= 1.0) break;
        chapter_size = i + 1;
    }
    chapter_size += 1;
    ch_say(c, "p = 1.0: the chapter's nucleus_size gives %zu for V = 7 (its cumsum ends at %.17g); lmprob keeps %zu",
           chapter_size, cum, s1);
    ch_num(c, "chapter_size_p1", (double)chapter_size);
    ch_num(c, "lmprob_size_p1", (double)s1);
    ch_note(c, "the prose says 'exceeds p' but the code keeps the token at which the cumulative mass reaches p "
               "(cum >= p); lmprob keeps the crossing token too (Holtzman et al. 2020, HF TopPLogitsWarper)");
    return CLI_OK;
}

/* ---- b19 perplexity ------------------------------------------------------------------ */

int ch_b19_perplexity(ch_ctx *c)
{
    double lp[100];
    for (int i = 0; i < 100; i++) lp[i] = log(1.0);
    double perfect = lmp_perplexity(lp, 100);
    for (int i = 0; i < 100; i++) lp[i] = log(1.0 / 50257.0);
    double uni = lmp_perplexity(lp, 100);
    ch_say(c, "perfect model: %.17g", perfect);
    ch_say(c, "uniform model over 50257 tokens: %.17g", uni);
    ch_num(c, "perfect", perfect);
    ch_num(c, "uniform", uni);
    ch_note(c, "'GPT-2 large on WikiText-103: PP ~ 18' mixes up the models: the GPT-2 paper (Radford et al. 2019, "
               "Table 3) reports 22.05 for the 762M 'large' model and 17.48 for the 1.5B XL; GPT-3 175B zero-shot "
               "on PTB is 20.50 (Brown et al. 2020)");
    return CLI_OK;
}

/* ---- b19hf sliding-window perplexity ----------------------------------------------------- */

/* A smooth mock LM for long texts (the chapter's mock gives probability 0 to
 * any second sentence): V = 11, logits_j = cos(j (1 + prev) + 0.1 n) with prev
 * the last context token and n the context length, so the value depends on
 * the windowing. The same model is in tests/test_eval.c. */
#define SMOOTH_V 11
static lmp_status smooth_next(void *self, const lmp_token_id *ctx, size_t n, double *out, lmp_error *err)
{
    (void)self;
    (void)err;
    double lg[SMOOTH_V];
    for (int j = 0; j < SMOOTH_V; j++) lg[j] = cos((double)j * (double)(1 + (n ? ctx[n - 1] : 0)) + 0.1 * (double)n);
    double z = lmp_logsumexp(lg, SMOOTH_V);
    for (int j = 0; j < SMOOTH_V; j++) out[j] = lg[j] - z;
    return LMP_OK;
}
static const lmp_lm_vtable smooth_vt = {.name = "smooth-mock", .next_logprobs = smooth_next};

static int sliding_model(ch_ctx *c);

/* The exact and the chapter's recipes of one text, from one set of passes. */
static lmp_status both_recipes(const lmp_lm *lm, const lmp_token_id *ids, size_t n, size_t window, size_t stride,
                               lmp_ppl_result res[LMP_PPL_RECIPES], lmp_error *err)
{
    lmp_lm_ctx *ctx = NULL;
    lmp_status st = lmp_lm_ctx_create(lm, window < n ? window : n ? n : 1, &ctx, err);
    if (!st)
        st = lmp_eval_perplexity(ctx, ids, n, window, stride, (1u << LMP_PPL_EXACT) | (1u << LMP_PPL_CHAPTER), NULL,
                                 NULL, res, err);
    lmp_lm_ctx_free(ctx);
    return st;
}

int ch_b19_sliding(ch_ctx *c)
{
    static const size_t lens[] = {300, 513, 1024, 1025, 1500, 2049};
    lmp_lm_info info = {.vocab_size = SMOOTH_V, .bos = LMP_TOKEN_NONE, .eos = LMP_TOKEN_NONE, .unk = LMP_TOKEN_NONE};
    lmp_lm *lm = NULL;
    lmp_error err;
    lmp_status st = lmp_lm_create(&smooth_vt, NULL, &info, &lm, &err);
    if (st) return ch_fail(c, st, &err);
    lmp_token_id *ids = malloc(2049 * sizeof *ids);
    if (!ids) {
        lmp_lm_free(lm);
        return ch_fail(c, LMP_ENOMEM, NULL);
    }
    for (size_t i = 0; i < 2049; i++) ids[i] = (lmp_token_id)((i * 7 + (i * i) % 13) % SMOOTH_V);
    ch_say(c, "smooth mock LM (V = 11), window %zu, stride %zu:", c->window, c->stride);
    ch_say(c, "%6s %14s %8s %8s %16s %8s", "L", "lmprob", "scored", "windows", "chapter's code", "passes");
    for (size_t k = 0; k < sizeof lens / sizeof lens[0]; k++) {
        lmp_ppl_result res[LMP_PPL_RECIPES];
        if ((st = both_recipes(lm, ids, lens[k], c->window, c->stride, res, &err))) break;
        const lmp_ppl_result *ex = &res[LMP_PPL_EXACT], *ch = &res[LMP_PPL_CHAPTER];
        ch_say(c, "%6zu %14.7f %8zu %8zu %16.7f %8zu", lens[k], ex->perplexity, ex->scored_tokens, ex->forward_passes,
               ch->perplexity, ch->forward_passes);
        char key[40];
        snprintf(key, sizeof key, "L%zu_ppl", lens[k]);
        ch_num(c, key, ex->perplexity);
        snprintf(key, sizeof key, "L%zu_windows", lens[k]);
        ch_num(c, key, (double)ex->forward_passes);
        snprintf(key, sizeof key, "L%zu_chapter_ppl", lens[k]);
        ch_num(c, key, ch->perplexity);
        snprintf(key, sizeof key, "L%zu_chapter_passes", lens[k]);
        ch_num(c, key, (double)ch->forward_passes);
    }
    free(ids);
    lmp_lm_free(lm);
    if (st) return ch_fail(c, st, &err);
    ch_note(c, "the chapter's loop has no `if end == L: break`: later windows have target_len 0, `[:-0]` masks "
               "nothing, the pass is wasted, and when the last chunk is one token (L = 1 mod stride) the mean loss "
               "over zero labels is NaN, so the perplexity is NaN");
    ch_note(c, "it also weights window 1 by n labels where only n - 1 are scored (the shift) and divides by L where "
               "L - 1 tokens are predicted; the two errors nearly cancel. lmprob sums the per-token NLL and divides "
               "by the number of scored tokens (the column 'scored': L - 1 when the stride is below the window), finite "
               "for every L >= 2. On GPT-2: "
               "lmprob ppl --model DIR --recipe exact|hf|chapter (docs/perplexity.md)");
    if (c->model) return sliding_model(c);
    return CLI_OK;
}

/* Section 20 on an n-gram model and a text: the text as one token stream, each
 * line <s> w .. </s> (the model's <s> is context only and resets the state, as
 * KenLM's query starts every sentence), scored by the exact recipe and by the
 * chapter's function, next to lmprob ppl's sentence-by-sentence value. */
lmp_status ch_model_prepare(ch_ctx *c, lmp_error *err)
{
    lmp_lm *lm = NULL;
    char *text = NULL;
    size_t len = 0, n = 0;
    lmp_token_id *ids = NULL;
    lmp_ngram_stats stats;
    lmp_status st = lmp_lm_load(c->model, NULL, &lm, err);
    if (!st && !lmp_lm_ngram(lm)) { /* a GPT-2 folder or file: lmp_lm_load takes those too (it crashed here) */
        c->mrun.not_ngram = 1;
        st = lmp_error_set(err, LMP_EUNSUPPORTED, "%s: a GPT-2 model: section 20's --model is an n-gram model (on "
                           "GPT-2 the same recipes are lmprob ppl --model %s --recipe exact|hf|chapter)", c->model,
                           c->model);
    }
    if (!st) st = lmp_ngram_score_file(lmp_lm_ngram(lm), c->text, &stats, NULL, err);
    if (!st) st = lmp_read_text(c->text, 0, &text, &len, err);
    if (!st) st = cli_tokenize("chapter", c->text, lm, text, len, LMP_LM_SENTENCES, &ids, NULL, NULL, &n, err);
    if (!st && (st = both_recipes(lm, ids, n, c->window, c->stride, c->mrun.res, err))) {
        char m[sizeof err->msg]; /* the eval's message names no file: "empty: perplexity of 0 tokens: ..." */
        snprintf(m, sizeof m, "%s", err->msg);
        lmp_error_set(err, st, "%s: %s", c->text, m);
    }
    free(text);
    free(ids);
    lmp_lm_free(lm);
    if (st) return st;
    c->mrun.tokens = n;
    c->mrun.ppl_sent = lmp_ngram_stats_perplexity(&stats);
    c->mrun.sent_tokens = (unsigned long long)stats.tokens;
    c->mrun.ready = 1;
    return LMP_OK;
}

static int sliding_model(ch_ctx *c)
{
    lmp_error err;
    if (!c->mrun.ready) { /* prepared by cmd_chapter; here only for a caller that did not */
        lmp_status st = ch_model_prepare(c, &err);
        if (st) return ch_fail(c, st, &err);
    }
    const lmp_ppl_result *res = c->mrun.res;
    size_t n = c->mrun.tokens;
    const lmp_ppl_result *ex = &res[LMP_PPL_EXACT], *ch = &res[LMP_PPL_CHAPTER];
    double ppl_sent = c->mrun.ppl_sent;
    ch_say(c, "n-gram model %s on %s (%zu tokens as one stream):", c->model, c->text, n);
    ch_say(c, "  lmprob sliding window (%zu/%zu): perplexity %.4f over %zu tokens, %zu window%s", c->window, c->stride,
           ex->perplexity, ex->scored_tokens, ex->forward_passes, ex->forward_passes == 1 ? "" : "s");
    ch_say(c, "  the chapter's compute_perplexity:  %.4f, %zu forward pass%s", ch->perplexity, ch->forward_passes,
           ch->forward_passes == 1 ? "" : "es");
    ch_say(c, "  lmprob ppl (each line as <s> .. </s>): %.4f over %llu tokens", ppl_sent, c->mrun.sent_tokens);
    ch_num(c, "model_sliding_ppl", ex->perplexity);
    ch_num(c, "model_sliding_windows", (double)ex->forward_passes);
    ch_num(c, "model_chapter_ppl", ch->perplexity);
    ch_num(c, "model_chapter_passes", (double)ch->forward_passes);
    ch_num(c, "model_sentence_ppl", ppl_sent);
    ch_note(c, "an n-gram model sees only its last order-1 tokens, so the windows change a token's score only where "
               "a window starts less than order-1 tokens before it; with one window over the text the stream's "
               "perplexity is lmprob ppl's exactly");
    return CLI_OK;
}
