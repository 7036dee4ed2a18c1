/* Perplexity recipes and KL (src/eval) against a Python reference and hand-computed values.
 *
 * The mock LM below is the one in the Python script quoted at each literal: V = 11 tokens,
 * logits_j = cos(j * (1 + prev) + 0.1 * n) with prev the last context token and n the context
 * length, so the result depends on how much context each token gets, i.e. on the windowing.
 * Token ids: ids[i] = (7 i + (i^2 mod 13)) mod 11. The reference values were printed by
 * /usr/bin/python3 running the script of docs/perplexity.md ("The reference behind the tests"):
 *   exact(L, W, S): every token at [max(prev_end, begin + 1), end) scored once, exp(sum NLL / count)
 *   hf_doc(L, W, S): Hugging Face's doc recipe (window mean * (valid labels - 1), break at the end)
 *   chapter(L, W, S): the chapter's compute_perplexity with HF's shifted, ignore-index, mean loss */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lmprob/eval.h"
#include "lmprob/info.h"
#include "test.h"

#define MOCK_V 11
#define FIX "tests/fixtures/model/"

typedef struct mock {
    long calls; /* next_logprobs calls: the model's work */
} mock;

static double mock_logprob(size_t n, int32_t prev, int32_t tok)
{
    double lg[MOCK_V], m = -INFINITY, z = 0.0;
    for (int j = 0; j < MOCK_V; j++) {
        lg[j] = cos((double)j * (double)(1 + prev) + 0.1 * (double)n);
        if (lg[j] > m) m = lg[j];
    }
    for (int j = 0; j < MOCK_V; j++) z += exp(lg[j] - m);
    return lg[tok] - m - log(z);
}

static lmp_status mock_next(void *self, const lmp_token_id *ctx, size_t n, double *out, lmp_error *err)
{
    (void)err;
    ((mock *)self)->calls++;
    for (int j = 0; j < MOCK_V; j++) out[j] = mock_logprob(n, n ? ctx[n - 1] : 0, j);
    return LMP_OK;
}

static const lmp_lm_vtable mock_vt = {.name = "smooth-mock", .next_logprobs = mock_next};

/* A mock that, like GPT-2, cannot predict the first token of a window. */
static lmp_lm *make_mock(mock *m)
{
    lmp_lm_info in = {.vocab_size = MOCK_V, .bos = LMP_TOKEN_NONE, .eos = LMP_TOKEN_NONE, .unk = LMP_TOKEN_NONE,
                      .needs_context = 1};
    lmp_lm *lm = NULL;
    CHECK(lmp_lm_create(&mock_vt, m, &in, &lm, NULL) == LMP_OK);
    return lm;
}

/* The mock model and a context of capacity cap over it (the caller frees both). */
static lmp_lm_ctx *make_mock_ctx(mock *m, size_t cap, lmp_lm **lm)
{
    *lm = make_mock(m);
    lmp_lm_ctx *ctx = NULL;
    CHECK(lmp_lm_ctx_create(*lm, cap, &ctx, NULL) == LMP_OK);
    return ctx;
}

static lmp_token_id *make_ids(size_t n)
{
    lmp_token_id *ids = malloc((n ? n : 1) * sizeof *ids);
    for (size_t i = 0; i < n; i++) ids[i] = (lmp_token_id)((i * 7 + (i * i) % 13) % MOCK_V);
    return ids;
}

typedef struct ref_case {
    size_t n, window, stride;
    double exact;
    size_t scored, windows;
    double hf;        /* hf_doc(L, W, S) */
    double chapter;   /* chapter(L, W, S)[0]; NAN where the chapter's code gives nan */
    size_t chapter_windows;
} ref_case;

/* From /usr/bin/python3 eval_ref.py (see the header comment). */
static const ref_case cases[] = {
    {300, 1024, 512, 14.269932278938898, 299, 1, 14.269932278938898, 14.269932278938898, 1},
    {513, 1024, 512, 13.96417489774395, 512, 1, 13.96417489774395, NAN, 2},
    {1024, 1024, 512, 13.759292634659628, 1023, 1, 13.759292634659628, 13.759292634659628, 2},
    {1025, 1024, 512, 13.766077487516942, 1024, 2, 13.759292634659628, NAN, 3},
    {1500, 1024, 512, 13.882124491988936, 1499, 2, 13.881947483700817, 13.882042239896009, 3},
    {2049, 1024, 512, 13.824899857078451, 2048, 4, 13.819938099489042, NAN, 5},
    {20, 8, 3, 11.058403996582665, 19, 5, 10.705328910485237, 10.94366373664308, 7},
    {22, 8, 3, 11.598599178879248, 21, 6, 11.06811739119842, NAN, 8},
    {17, 5, 5, 10.534398141371016, 13, 4, 10.534398141371016, 10.221028928787229, 4},
    {16, 5, 5, 11.152769210033835, 12, 4, NAN, NAN, 4},
    {2, 4, 2, 17.297164894442073, 1, 1, 17.297164894442073, 17.297164894442073, 1},
    {9, 8, 4, 10.306225190651746, 8, 2, 8.976317694005761, NAN, 3},
};

/* Tolerance: both sides sum the same per-token terms in the same order with libm cos/exp/log;
 * a few ulps per term over <= 2048 terms, so 1e-12 relative is ample yet catches a dropped or
 * double-counted token (which moves the result by ~1e-4 relative or more). */
static void test_against_python(void)
{
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        const ref_case *rc = &cases[c];
        lmp_token_id *ids = make_ids(rc->n);
        mock m = {0};
        lmp_lm *lm = make_mock(&m);
        lmp_lm_ctx *ctx = NULL;
        CHECK(lmp_lm_ctx_create(lm, rc->window < rc->n ? rc->window : rc->n, &ctx, NULL) == LMP_OK);
        lmp_ppl_result r[LMP_PPL_RECIPES];
        lmp_error err;
        CHECK_INT(lmp_eval_perplexity(ctx, ids, rc->n, rc->window, rc->stride, LMP_PPL_ALL, NULL, NULL, r, &err),
                  LMP_OK);
        CHECK_REL(r[LMP_PPL_EXACT].perplexity, rc->exact, 1e-12);
        CHECK_INT(r[LMP_PPL_EXACT].scored_tokens, rc->scored);
        CHECK_INT(r[LMP_PPL_EXACT].forward_passes, rc->windows);
        CHECK_REL(r[LMP_PPL_HF].perplexity, rc->hf, 1e-12);
        CHECK_INT(r[LMP_PPL_HF].forward_passes, rc->windows);
        CHECK_REL(r[LMP_PPL_CHAPTER].perplexity, rc->chapter, 1e-12);
        CHECK_INT(r[LMP_PPL_CHAPTER].forward_passes, rc->chapter_windows);
        /* asked alone, each recipe gives the same figure */
        for (int k = 0; k < LMP_PPL_RECIPES; k++) {
            lmp_ppl_result one[LMP_PPL_RECIPES];
            CHECK_INT(lmp_eval_perplexity(ctx, ids, rc->n, rc->window, rc->stride, 1u << k, NULL, NULL, one, &err),
                      LMP_OK);
            CHECK_REL(one[k].perplexity, r[k].perplexity, 0.0);
        }
        lmp_lm_ctx_free(ctx);
        lmp_lm_free(lm);
        free(ids);
    }
}

typedef struct counter {
    size_t n, last_pos;
    int in_order;
} counter;

static int count_token(void *ud, const lmp_ppl_token *t)
{
    counter *c = ud;
    if (c->n && t->pos <= c->last_pos) c->in_order = 0;
    c->last_pos = t->pos;
    c->n++;
    return 0;
}

/* Every length 2 .. 60 and stride 1 .. 6 under window 6: finite, each token scored once and in
 * order (with S = W the first token of a later window is context only), windows 1 + ceil((n - W) / S);
 * the chapter's recipe is NaN exactly when its last begin leaves a one-token chunk (L = 1 mod S). */
static void test_every_length(void)
{
    for (size_t n = 2; n <= 60; n++) {
        lmp_token_id *ids = make_ids(n);
        for (size_t stride = 1; stride <= 6; stride++) {
            mock m = {0};
            lmp_lm *lm = make_mock(&m);
            lmp_lm_ctx *ctx = NULL;
            lmp_lm_ctx_create(lm, 6, &ctx, NULL);
            lmp_ppl_result r[LMP_PPL_RECIPES];
            counter cnt = {0, 0, 1};
            lmp_status st = lmp_eval_perplexity(ctx, ids, n, 6, stride, LMP_PPL_ALL, count_token, &cnt, r, NULL);
            size_t windows = n <= 6 ? 1 : 1 + (n - 6 + stride - 1) / stride;
            size_t scored = n - (stride == 6 ? windows : 1);
            CHECK_MSG(st == LMP_OK && isfinite(r[0].perplexity), "n=%zu stride=%zu", n, stride);
            CHECK_MSG(r[0].scored_tokens == scored && cnt.n == scored && cnt.in_order, "n=%zu stride=%zu: %zu scored",
                      n, stride, r[0].scored_tokens);
            CHECK_MSG(r[0].forward_passes == windows, "n=%zu stride=%zu windows %zu", n, stride, r[0].forward_passes);
            size_t last_begin = (n - 1) / stride * stride;
            int nan_expected = n - last_begin == 1;
            CHECK_MSG((isnan(r[LMP_PPL_CHAPTER].perplexity) != 0) == nan_expected, "n=%zu stride=%zu chapter %g", n, stride,
                      r[LMP_PPL_CHAPTER].perplexity);
            CHECK_MSG(r[LMP_PPL_CHAPTER].forward_passes == (n - 1) / stride + 1, "n=%zu stride=%zu", n, stride);
            lmp_lm_ctx_free(ctx);
            lmp_lm_free(lm);
        }
        free(ids);
    }
}

/* A callback that returns nonzero stops the passes at that token: LMP_ECANCELED, no token after it
 * seen, on every recipe mask (the Python module stops a long GPT-2 pass on Ctrl-C this way). */
typedef struct stopper {
    size_t n, stop_at;
} stopper;

static int stop_token(void *ud, const lmp_ppl_token *t)
{
    (void)t;
    stopper *s = ud;
    return ++s->n == s->stop_at;
}

static void test_callback_stops(void)
{
    size_t n = 50;
    lmp_token_id *ids = make_ids(n);
    mock m = {0};
    lmp_lm *lm;
    lmp_lm_ctx *ctx = make_mock_ctx(&m, 6, &lm);
    lmp_ppl_result r[LMP_PPL_RECIPES];
    lmp_error err;
    const unsigned masks[3] = {1u << LMP_PPL_EXACT, LMP_PPL_ALL, 1u << LMP_PPL_CHAPTER};
    for (int k = 0; k < 3; k++)
        for (size_t at = 1; at <= 30; at += 7) {
            stopper s = {0, at};
            m.calls = 0;
            CHECK_INT(lmp_eval_perplexity(ctx, ids, n, 6, 1, masks[k], stop_token, &s, r, &err), LMP_ECANCELED);
            CHECK_MSG(s.n == at, "mask %u: stop at %zu, %zu tokens seen", masks[k], at, s.n);
            CHECK_MSG((size_t)m.calls < 6 * (at + 1), "mask %u: stop at %zu, %ld model calls", masks[k], at, m.calls);
        }
    CHECK(strstr(err.msg, "stopped by the caller at token") != NULL);
    stopper never = {0, 0};
    CHECK_INT(lmp_eval_perplexity(ctx, ids, n, 6, 1, LMP_PPL_ALL, stop_token, &never, r, &err), LMP_OK);
    CHECK_INT(never.n, n - 1);
    lmp_lm_ctx_free(ctx);
    lmp_lm_free(lm);
    free(ids);
}

/* One window over the text: the exact recipe is the chain rule, and the model is asked once per
 * scored token (no context rebuilt per token: a history-based model is asked exactly n - 1 times). */
static void test_single_window_is_chain_rule(void)
{
    size_t n = 40;
    lmp_token_id *ids = make_ids(n);
    mock m = {0};
    lmp_lm *lm = make_mock(&m);
    double nll = 0.0;
    for (size_t t = 1; t < n; t++) nll -= mock_logprob(t, ids[t - 1], ids[t]);
    lmp_lm_ctx *ctx = NULL;
    lmp_lm_ctx_create(lm, 64, &ctx, NULL);
    lmp_ppl_result r[LMP_PPL_RECIPES];
    m.calls = 0;
    CHECK_INT(lmp_eval_perplexity(ctx, ids, n, 64, 16, 1u << LMP_PPL_EXACT, NULL, NULL, r, NULL), LMP_OK);
    CHECK_REL(r[0].perplexity, exp(nll / 39.0), 1e-14); /* same terms, same order */
    CHECK_INT(m.calls, 39);
    double lp;
    CHECK_INT(lmp_lm_sequence_logprob(lm, ids, n, 1, &lp, NULL), LMP_OK);
    CHECK_REL(lp, -nll, 1e-14);
    lmp_lm_ctx_free(ctx);
    lmp_lm_free(lm);
    free(ids);
}

static void test_errors(void)
{
    lmp_token_id *ids = make_ids(10);
    mock m = {0};
    lmp_lm *lm;
    lmp_lm_ctx *ctx = make_mock_ctx(&m, 8, &lm);
    lmp_ppl_result r[LMP_PPL_RECIPES];
    lmp_error err;
    CHECK_INT(lmp_eval_perplexity(ctx, ids, 1, 8, 4, LMP_PPL_ALL, NULL, NULL, r, &err), LMP_EDOM);
    CHECK(strstr(err.msg, "no token to score") != NULL);
    /* undefined, and the results say so: NaN, nothing scored, the one pass made over the one token */
    for (int k = 0; k < LMP_PPL_RECIPES; k++)
        CHECK_MSG(isnan(r[k].perplexity) && r[k].scored_tokens == 0 && r[k].forward_passes == 1, "recipe %d", k);
    CHECK_INT(lmp_eval_perplexity(ctx, ids, 0, 8, 4, LMP_PPL_ALL, NULL, NULL, r, &err), LMP_EDOM);
    CHECK(isnan(r[LMP_PPL_EXACT].perplexity) && r[LMP_PPL_EXACT].forward_passes == 0);
    /* the chapter's code alone: one token gives NaN (the mean over zero labels), not an error */
    CHECK_INT(lmp_eval_perplexity(ctx, ids, 1, 8, 4, 1u << LMP_PPL_CHAPTER, NULL, NULL, r, &err), LMP_OK);
    CHECK(isnan(r[LMP_PPL_CHAPTER].perplexity));
    CHECK_INT(lmp_eval_perplexity(ctx, ids, 10, 1, 1, LMP_PPL_ALL, NULL, NULL, r, &err), LMP_EINVAL);
    CHECK_INT(lmp_eval_perplexity(ctx, ids, 10, 8, 9, LMP_PPL_ALL, NULL, NULL, r, &err), LMP_EINVAL);
    CHECK(strstr(err.msg, "stride = 9") != NULL);
    CHECK_INT(lmp_eval_perplexity(ctx, ids, 10, 9, 4, LMP_PPL_ALL, NULL, NULL, r, &err), LMP_ERANGE);
    CHECK(strstr(err.msg, "capacity 8") != NULL);
    CHECK_INT(lmp_eval_perplexity(ctx, ids, 10, 8, 4, 0, NULL, NULL, r, &err), LMP_EINVAL);
    ids[3] = MOCK_V;
    CHECK_INT(lmp_eval_perplexity(ctx, ids, 10, 8, 4, LMP_PPL_ALL, NULL, NULL, r, &err), LMP_EINVAL);
    CHECK(strstr(err.msg, "ids[3] = 11") != NULL);
    CHECK_INT(lmp_eval_perplexity(NULL, ids, 10, 8, 4, LMP_PPL_ALL, NULL, NULL, r, &err), LMP_EINVAL);
    /* window 0 and stride 0: the model's context (unbounded here: the whole text) and half of it */
    size_t w = 0, s = 0;
    lmp_eval_windows(lm, 10, &w, &s);
    CHECK_INT(w, 10);
    CHECK_INT(s, 5);
    lmp_lm_ctx_free(ctx);
    lmp_lm_free(lm);
    free(ids);
}

/* The n-gram fixture (tests/fixtures/model/README.md has the hand-computed scores) as a stream. */
static lmp_lm *load_tiny(void)
{
    lmp_lm *lm = NULL;
    lmp_error err;
    lmp_status st = lmp_lm_load(FIX "tiny.arpa", NULL, &lm, &err);
    CHECK_MSG(st == LMP_OK, "%s", err.msg);
    return lm;
}

static void test_ngram_windows(void)
{
    lmp_lm *lm = load_tiny();
    if (!lm) return;
    /* "a b c" = <s> a b c </s> (ids: <unk> 0, <s> 1, </s> 2, a 3, b 4, c 5) */
    const lmp_token_id s1[] = {1, 3, 4, 5, 2};
    lmp_lm_ctx *ctx = NULL;
    CHECK(lmp_lm_ctx_create(lm, 8, &ctx, NULL) == LMP_OK);
    lmp_ppl_result r[LMP_PPL_RECIPES];
    /* W = 3, S = 1: every token keeps the two words of context a trigram needs:
     * a -0.3, b -0.1, c -0.15, </s> -0.7 (the README's first sentence), 3 windows. Float model values: 1e-6. */
    CHECK_INT(lmp_eval_perplexity(ctx, s1, 5, 3, 1, 1u << LMP_PPL_EXACT, NULL, NULL, r, NULL), LMP_OK);
    CHECK_REL(r[0].perplexity, pow(10.0, 1.25 / 4), 1e-6);
    CHECK_INT(r[0].scored_tokens, 4);
    CHECK_INT(r[0].forward_passes, 3);
    /* W = 2, S = 1: one word of context: a | <s> -0.3; b | a: bigram a b -0.4; c | b: b c -0.2;
     * </s> | c: c has no backoff, the state is empty: -0.7. 4 windows. HF: <s> is a masked label
     * (-100), so window 1 has one label, weight 1 - 1 = 0, and every later window weight 0 too
     * (HF's formula under-weights each by one): 0 / 0, NaN (it was 10^0.3 while <s> counted as a
     * label there but not in the mean); the chapter's fifth begin (4) leaves a one-token chunk: NaN,
     * 5 passes. */
    CHECK_INT(lmp_eval_perplexity(ctx, s1, 5, 2, 1, LMP_PPL_ALL, NULL, NULL, r, NULL), LMP_OK);
    CHECK_REL(r[LMP_PPL_EXACT].perplexity, pow(10.0, 1.6 / 4), 1e-6);
    CHECK_INT(r[LMP_PPL_EXACT].forward_passes, 4);
    CHECK(isnan(r[LMP_PPL_HF].perplexity));
    CHECK(isnan(r[LMP_PPL_CHAPTER].perplexity));
    CHECK_INT(r[LMP_PPL_CHAPTER].forward_passes, 5);
    /* W = 3, S = 2 over <s> a b c </s>: windows [0,3) a | <s> -0.3, b | <s> a -0.1 (labels a b: the <s>
     * masked), weight 2 - 1 = 1, mean 0.2; [2,5), b context only: c | b -0.2, </s> | b c -0.7 (labels c
     * </s>), weight 1, mean 0.45: HF 10^((0.2 + 0.45) / 2); the chapter's last begin 4 is a one-token
     * chunk (NaN) */
    CHECK_INT(lmp_eval_perplexity(ctx, s1, 5, 3, 2, LMP_PPL_ALL, NULL, NULL, r, NULL), LMP_OK);
    CHECK_REL(r[LMP_PPL_HF].perplexity, pow(10.0, (0.2 + 0.45) / 2), 1e-6);
    CHECK(isnan(r[LMP_PPL_CHAPTER].perplexity));
    CHECK_INT(lmp_eval_perplexity(ctx, s1, 5, 3, 3, LMP_PPL_ALL, NULL, NULL, r, NULL), LMP_OK);
    /* W = S = 3: [0,3) as above (mean 0.2, 2 labels), [3,5): c is context, </s> | c -0.7 (labels c
     * </s>: 2, weight 1): HF 10^((0.2 * 1 + 0.7 * 1) / 2); the chapter (0.2 * 2 + 0.7 * 2) / 4 */
    CHECK_REL(r[LMP_PPL_HF].perplexity, pow(10.0, 0.9 / 2), 1e-6);
    CHECK_REL(r[LMP_PPL_CHAPTER].perplexity, pow(10.0, 1.8 / 4), 1e-6);
    /* W = 2, S = 2 over <s> a b c </s> <s>: windows [0,2) a | <s> -0.3; [2,4) b is context only,
     * c | b -0.2; [4,6) predicts only the second <s>, which no model of sentences predicts (NaN:
     * skipped). HF and the chapter take that window's mean over no label: NaN, times a weight
     * of 1 (HF: 2 labels - 1) or 2 (the chapter's target_len): NaN. */
    const lmp_token_id s2[] = {1, 3, 4, 5, 2, 1};
    CHECK_INT(lmp_eval_perplexity(ctx, s2, 6, 2, 2, LMP_PPL_ALL, NULL, NULL, r, NULL), LMP_OK);
    CHECK_REL(r[LMP_PPL_EXACT].perplexity, pow(10.0, 0.5 / 2), 1e-6);
    CHECK_INT(r[LMP_PPL_EXACT].scored_tokens, 2);
    CHECK_INT(r[LMP_PPL_EXACT].forward_passes, 3);
    CHECK(isnan(r[LMP_PPL_HF].perplexity));
    CHECK(isnan(r[LMP_PPL_CHAPTER].perplexity));
    lmp_lm_ctx_free(ctx);
    lmp_lm_free(lm);
}

/* One window over the stream of three sentences equals KenLM-convention scoring of the lines:
 * every <s> restarts the state and is not scored. */
static void test_ngram_stream_equals_sentences(void)
{
    lmp_lm *lm = load_tiny();
    if (!lm) return;
    const char *text = "a b c\nb a\na zzz b\n";
    lmp_token_id ids[32];
    unsigned char unk[32];
    size_t n = 0;
    CHECK(lmp_lm_tokenize(lm, text, strlen(text), LMP_LM_SENTENCES, ids, unk, NULL, 32, &n, NULL) == LMP_OK);
    CHECK_INT(n, 14);
    lmp_lm_ctx *ctx = NULL;
    lmp_lm_ctx_create(lm, n, &ctx, NULL);
    lmp_ppl_result r[LMP_PPL_RECIPES];
    CHECK_INT(lmp_eval_perplexity(ctx, ids, n, 0, 0, 1u << LMP_PPL_EXACT, NULL, NULL, r, NULL), LMP_OK);
    CHECK_REL(r[0].perplexity, pow(10.0, 7.35 / 11), 1e-6); /* the README's 4.6578 */
    CHECK_INT(r[0].scored_tokens, 11);
    lmp_lm_ctx_free(ctx);
    lmp_lm_free(lm);
}

/* KL between two models: zero against itself; against the fixture's trigram a bigram version
 * of it; hand-checked on one position; vocabularies must agree. */
static lmp_status uniform_next(void *self, const lmp_token_id *ctx, size_t n, double *out, lmp_error *err)
{
    (void)self;
    (void)ctx;
    (void)n;
    (void)err;
    for (int v = 0; v < 6; v++) out[v] = -log(6.0);
    return LMP_OK;
}
static const char *uniform_text(const void *self, lmp_token_id id)
{
    (void)self;
    static const char *const w[6] = {"<unk>", "<s>", "</s>", "a", "b", "c"};
    return w[id];
}
static const lmp_lm_vtable uniform_vt = {.name = "uniform", .next_logprobs = uniform_next, .token_text = uniform_text};

typedef struct kl_seen {
    size_t n, stop_at; /* stop_at: the callback's nonzero return at its stop_at-th call (0: never) */
    double first_kl_ab, first_js;
} kl_seen;

static int on_kl(void *ud, const lmp_kl_point *p)
{
    kl_seen *s = ud;
    if (s->n++ == 0) {
        s->first_kl_ab = p->kl_ab;
        s->first_js = p->js;
    }
    return s->n == s->stop_at;
}

static void test_kl(void)
{
    lmp_lm *a = load_tiny(), *b = load_tiny(), *u = NULL;
    if (!a || !b) return;
    lmp_lm_info in = {.vocab_size = 6, .bos = LMP_TOKEN_NONE, .eos = LMP_TOKEN_NONE, .unk = LMP_TOKEN_NONE};
    CHECK(lmp_lm_create(&uniform_vt, NULL, &in, &u, NULL) == LMP_OK);
    const lmp_token_id s1[] = {1, 3, 4, 5, 2};
    lmp_lm_ctx *ca = NULL, *cb = NULL, *cu = NULL;
    lmp_lm_ctx_create(a, 8, &ca, NULL);
    lmp_lm_ctx_create(b, 8, &cb, NULL);
    lmp_lm_ctx_create(u, 8, &cu, NULL);
    lmp_kl_result r;
    lmp_error err;
    CHECK_INT(lmp_eval_kl(ca, cb, s1, 5, 0, 0, NULL, NULL, &r, &err), LMP_OK);
    CHECK_INT(r.positions, 4);
    CHECK(r.mean_kl_ab == 0.0 && r.max_kl_ba == 0.0 && r.max_js == 0.0 && r.sum_log_ratio == 0.0);
    /* Against the uniform model: at position 1 (after <s>) the n-gram's distribution q over the six
     * ids has q(<s>) = 0, so KL(uniform || n-gram) = +inf there, while KL(n-gram || uniform) =
     * sum q ln(6 q) is finite, and JS is at most ln 2. */
    kl_seen seen = {0, 0, 0, 0};
    CHECK_INT(lmp_eval_kl(ca, cu, s1, 5, 0, 0, on_kl, &seen, &r, &err), LMP_OK);
    CHECK_INT(seen.n, 4);
    CHECK(isinf(r.max_kl_ba) && r.max_kl_ba > 0);
    kl_seen stop = {0, 2, 0, 0}; /* a callback that says stop: LMP_ECANCELED at once, no later position */
    CHECK_INT(lmp_eval_kl(ca, cu, s1, 5, 3, 1, on_kl, &stop, &r, &err), LMP_ECANCELED);
    CHECK_INT(stop.n, 2);
    CHECK(strstr(err.msg, "stopped by the caller") != NULL);
    CHECK(isfinite(r.max_kl_ab) && r.max_kl_ab > 0);
    CHECK(r.max_js > 0 && r.max_js <= log(2.0));
    double q[6], lq[6], want = 0.0;
    lmp_lm_ctx_rewind(ca, 0, NULL);
    lmp_lm_ctx_push(ca, s1, 1, NULL);
    CHECK(lmp_lm_ctx_next_logprobs(ca, lq, NULL) == LMP_OK);
    double z = lmp_logsumexp(lq, 6);
    for (int v = 0; v < 6; v++) {
        q[v] = exp(lq[v] - z);
        if (q[v] > 0) want += q[v] * log(6.0 * q[v]);
    }
    CHECK_REL(seen.first_kl_ab, want, 1e-6); /* the rows are float: 1e-6 relative */
    /* vocabularies: the fixture's words against a model of three tokens */
    lmp_lm *small = NULL;
    lmp_lm_info in3 = {.vocab_size = 3, .bos = LMP_TOKEN_NONE, .eos = LMP_TOKEN_NONE, .unk = LMP_TOKEN_NONE};
    CHECK(lmp_lm_create(&uniform_vt, NULL, &in3, &small, NULL) == LMP_OK);
    CHECK_INT(lmp_lm_check_same_vocab(a, small, &err), LMP_EINVAL);
    CHECK(strstr(err.msg, "6 tokens against 3") != NULL);
    CHECK_INT(lmp_eval_kl(ca, ca, s1, 5, 0, 0, NULL, NULL, &r, &err), LMP_EINVAL);
    /* one token: nothing to compare, and the result says so (one pass, NaN means, zero sums) */
    CHECK_INT(lmp_eval_kl(ca, cb, s1, 1, 8, 4, NULL, NULL, &r, &err), LMP_EDOM);
    CHECK(r.positions == 0 && r.forward_passes == 1 && isnan(r.mean_kl_ab) && isnan(r.max_js) && r.sum_kl_ab == 0);
    lmp_lm_ctx_free(ca);
    lmp_lm_ctx_free(cb);
    lmp_lm_ctx_free(cu);
    lmp_lm_free(a);
    lmp_lm_free(b);
    lmp_lm_free(u);
    lmp_lm_free(small);
}

/* NULL window or stride: nothing read or written (lmp_eval_windows crashed before). */
static void test_null_arrays(void)
{
    mock mk;
    memset(&mk, 0, sizeof mk);
    lmp_lm *lm = make_mock(&mk);
    size_t w = 0, s = 0;
    lmp_eval_windows(lm, 10, NULL, &s);
    lmp_eval_windows(lm, 10, &w, NULL);
    CHECK(w == 0 && s == 0);
    lmp_eval_windows(lm, 10, &w, &s);
    CHECK(w > 0 && s > 0);
    lmp_lm_free(lm);
}

int main(int argc, char **argv)
{
    test_chdir_root(argv[0]);
    (void)argc;
    RUN(test_against_python);
    RUN(test_every_length);
    RUN(test_callback_stops);
    RUN(test_single_window_is_chain_rule);
    RUN(test_errors);
    RUN(test_ngram_windows);
    RUN(test_ngram_stream_equals_sentences);
    RUN(test_kl);
    RUN(test_null_arrays);
    return TEST_SUMMARY();
}
