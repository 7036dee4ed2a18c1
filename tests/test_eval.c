/* Sliding-window perplexity (src/eval) against a Python reference.
 *
 * The mock LM below is the one in the Python script quoted at each literal: V = 11 tokens,
 * logits_j = cos(j * (1 + prev) + 0.1 * n) with prev the last context token (0 for an empty
 * context) and n the context length, so the result depends on how much context each token
 * gets, i.e. on the windowing. Token ids: ids[i] = (7 i + (i^2 mod 13)) mod 11.
 * The reference values were printed by /usr/bin/python3 running:
 *   correct(L, W, S): every token t >= 1 scored once, context ids[begin(t) .. t), exp(sum NLL / count)
 *   chapter(L, W, S): the chapter's compute_perplexity with HF's shifted, ignore-index, mean loss
 * (the script is in docs/chapter.md, section "Sliding-window perplexity (section 20)"). */
#include <math.h>
#include <stdlib.h>

#include "lmprob/eval.h"
#include "test.h"

#define MOCK_V 11

typedef struct mock {
    int calls; /* how many tokens were scored: counts forward work */
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

static double mock_score(void *self, const int32_t *ctx, size_t n, int32_t tok)
{
    ((mock *)self)->calls++;
    return mock_logprob(n, n ? ctx[n - 1] : 0, tok);
}

static lmp_status mock_next(void *self, const int32_t *ctx, size_t n, double *out, lmp_error *err)
{
    (void)err;
    for (int j = 0; j < MOCK_V; j++) out[j] = mock_logprob(n, n ? ctx[n - 1] : 0, j);
    ((mock *)self)->calls++;
    return LMP_OK;
}

static const char *mock_str(const void *self, int32_t id)
{
    (void)self;
    static const char *names[MOCK_V] = {"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k"};
    return id >= 0 && id < MOCK_V ? names[id] : NULL;
}

static void mock_free(void *self) { (void)self; }

static const lmp_lm_vtable mock_vt = {"mock", mock_next, mock_score, mock_str, mock_free};

static int32_t *make_ids(size_t n)
{
    int32_t *ids = malloc((n ? n : 1) * sizeof *ids);
    for (size_t i = 0; i < n; i++) ids[i] = (int32_t)((i * 7 + (i * i) % 13) % MOCK_V);
    return ids;
}

typedef struct ref_case {
    size_t n, window, stride;
    double ppl;          /* correct(L, W, S)[0] */
    size_t scored, windows;
    double seed_ppl;     /* chapter(L, W, S)[0]; NAN where the chapter's code gives nan */
    size_t seed_windows;
} ref_case;

/* From /usr/bin/python3 eval_ref.py (see the header comment). */
static const ref_case cases[] = {
    {300, 1024, 512, 14.269932278938898, 299, 1, 14.269932278938898, 1},
    {513, 1024, 512, 13.96417489774395, 512, 1, NAN, 2},
    {1024, 1024, 512, 13.759292634659628, 1023, 1, 13.759292634659628, 2},
    {1025, 1024, 512, 13.766077487516942, 1024, 2, NAN, 3},
    {1500, 1024, 512, 13.882124491988936, 1499, 2, 13.882042239896009, 3},
    {20, 8, 3, 11.058403996582665, 19, 5, 10.94366373664308, 7},
    {22, 8, 3, 11.598599178879248, 21, 6, NAN, 8},
    {17, 5, 5, 12.74226264078249, 16, 4, 10.221028928787229, 4},
    {2, 4, 2, 17.297164894442073, 1, 1, 17.297164894442073, 1},
};

/* Tolerance: both sides sum the same per-token terms in the same order with libm cos/exp/log;
 * a few ulps per term over <= 1500 terms, so 1e-12 relative is ample yet catches a dropped token
 * (which moves the result by ~1e-4 relative or more). */
static void test_against_python(void)
{
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        const ref_case *rc = &cases[c];
        int32_t *ids = make_ids(rc->n);
        mock m = {0};
        lmp_lm lm = {&mock_vt, &m, MOCK_V, -1, -1, -1};
        lmp_eval_result r;
        lmp_error err;
        CHECK_INT(lmp_eval_sliding_window(&lm, ids, rc->n, rc->window, rc->stride, &r, &err), LMP_OK);
        CHECK_REL(r.perplexity, rc->ppl, 1e-12);
        CHECK_INT(r.scored, rc->scored);
        CHECK_INT(r.windows, rc->windows);
        CHECK_INT(r.windows, lmp_eval_window_count(rc->n, rc->window, rc->stride));
        CHECK_INT(m.calls, rc->scored); /* each token scored exactly once */
        CHECK(isfinite(r.perplexity));
        double sp = 0.0;
        size_t sw = 0;
        CHECK_INT(lmp_eval_chapter_seed(&lm, ids, rc->n, rc->window, rc->stride, &sp, &sw, &err), LMP_OK);
        CHECK_REL(sp, rc->seed_ppl, 1e-12);
        CHECK_INT(sw, rc->seed_windows);
        free(ids);
    }
}

/* With one window covering the text, the result is exp(mean NLL) of the plain chain rule. */
static void test_single_window_is_chain_rule(void)
{
    size_t n = 40;
    int32_t *ids = make_ids(n);
    mock m = {0};
    lmp_lm lm = {&mock_vt, &m, MOCK_V, -1, -1, -1};
    double nll = 0.0;
    for (size_t t = 1; t < n; t++) nll -= mock_logprob(t, ids[t - 1], ids[t]);
    lmp_eval_result r;
    CHECK_INT(lmp_eval_sliding_window(&lm, ids, n, 64, 16, &r, NULL), LMP_OK);
    /* same terms, same order: exact up to the final exp/division rounding */
    CHECK_REL(r.perplexity, exp(nll / 39.0), 1e-14);
    CHECK_INT(r.max_context, 39);
    CHECK_INT(r.min_context_later, 0);
    free(ids);
}

/* No NaN for any length from 2 to 60 under a small window, and never a wasted window. */
static void test_no_nan_any_length(void)
{
    for (size_t n = 2; n <= 60; n++) {
        int32_t *ids = make_ids(n);
        for (size_t stride = 1; stride <= 6; stride++) {
            mock m = {0};
            lmp_lm lm = {&mock_vt, &m, MOCK_V, -1, -1, -1};
            lmp_eval_result r;
            lmp_status st = lmp_eval_sliding_window(&lm, ids, n, 6, stride, &r, NULL);
            CHECK_MSG(st == LMP_OK && isfinite(r.perplexity) && r.scored == n - 1, "n=%zu stride=%zu", n, stride);
            CHECK_MSG(r.windows == lmp_eval_window_count(n, 6, stride), "n=%zu stride=%zu windows %zu", n, stride,
                      r.windows);
            /* a window is wasted when it scores nothing; stride <= window rules that out */
            CHECK_MSG(m.calls == (int)(n - 1), "n=%zu stride=%zu calls %d", n, stride, m.calls);
            if (stride < 6 && n > 6) CHECK_MSG(r.min_context_later == 6 - stride, "n=%zu stride=%zu", n, stride);
        }
        free(ids);
    }
}

static void test_errors(void)
{
    int32_t *ids = make_ids(10);
    mock m = {0};
    lmp_lm lm = {&mock_vt, &m, MOCK_V, -1, -1, -1};
    lmp_eval_result r;
    lmp_error err;
    CHECK_INT(lmp_eval_sliding_window(&lm, ids, 1, 8, 4, &r, &err), LMP_EDOM);
    CHECK(strstr(err.msg, "at least 2") != NULL);
    CHECK_INT(lmp_eval_sliding_window(&lm, ids, 10, 1, 1, &r, &err), LMP_EINVAL);
    CHECK_INT(lmp_eval_sliding_window(&lm, ids, 10, 8, 0, &r, &err), LMP_EINVAL);
    CHECK_INT(lmp_eval_sliding_window(&lm, ids, 10, 8, 9, &r, &err), LMP_EINVAL);
    CHECK(strstr(err.msg, "stride = 9") != NULL);
    ids[3] = MOCK_V;
    CHECK_INT(lmp_eval_sliding_window(&lm, ids, 10, 8, 4, &r, &err), LMP_EINVAL);
    CHECK(strstr(err.msg, "ids[3] = 11") != NULL);
    CHECK_INT(lmp_eval_sliding_window(NULL, ids, 10, 8, 4, &r, &err), LMP_EINVAL);
    /* the chapter's code: one token gives NaN (mean over zero labels) */
    ids[3] = 0;
    double sp = 0.0;
    CHECK_INT(lmp_eval_chapter_seed(&lm, ids, 1, 8, 4, &sp, NULL, &err), LMP_OK);
    CHECK(isnan(sp));
    CHECK_INT(lmp_eval_window_count(1, 8, 4), 0);
    CHECK_INT(lmp_eval_window_count(8, 8, 4), 1);
    CHECK_INT(lmp_eval_window_count(9, 8, 4), 2);
    CHECK_INT(lmp_eval_window_count(12, 8, 4), 2);
    CHECK_INT(lmp_eval_window_count(13, 8, 4), 3);
    free(ids);
}

int main(int argc, char **argv)
{
    (void)argc;
    RUN(test_against_python);
    RUN(test_single_window_is_chain_rule);
    RUN(test_no_nan_any_length);
    RUN(test_errors);
    return TEST_SUMMARY();
}
