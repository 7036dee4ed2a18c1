/* Tests for the LM helpers (lm.h) and generation (sample.h) on the chapter's mock LM. */
#include <math.h>
#include <string.h>

#include "lmprob/lm.h"
#include "lmprob/rng.h"
#include "lmprob/sample.h"
#include "test.h"

enum { BOS, THE, CAT, SAT, EOS };

static void test_mock(void)
{
    lmp_lm lm;
    CHECK(lmp_lm_mock_create(&lm, NULL) == LMP_OK);
    CHECK_INT(lm.vocab_size, 5);
    CHECK_INT(lm.bos, BOS);
    CHECK_INT(lm.eos, EOS);
    CHECK(strcmp(lm.vt->token_str(lm.self, CAT), "cat") == 0);
    CHECK(lm.vt->token_str(lm.self, 5) == NULL);
    int32_t ctx[] = {BOS, THE};
    double lp[5];
    CHECK(lm.vt->next_logprobs(lm.self, ctx, 1, lp, NULL) == LMP_OK);
    CHECK_REL(lp[THE], log(0.7), 1e-15);
    CHECK(lp[BOS] == -INFINITY && lp[SAT] == -INFINITY);
    CHECK(lm.vt->next_logprobs(lm.self, ctx, 2, lp, NULL) == LMP_OK);
    CHECK_REL(lp[CAT], log(0.6), 1e-15);
    CHECK_REL(lm.vt->score(lm.self, ctx, 2, EOS), log(0.3), 1e-15);
    /* a longer context ending in <s> is not "exactly [<s>]": the default row */
    int32_t two_bos[] = {BOS, BOS};
    CHECK(lm.vt->score(lm.self, two_bos, 2, EOS) == 0.0);
    lmp_lm_free(&lm);
    lmp_lm_free(NULL);
}

static void test_chain_rule(void)
{
    lmp_lm lm;
    lmp_lm_mock_create(&lm, NULL);
    int32_t seq[] = {BOS, THE, CAT, SAT, EOS};
    double lp, ppl;
    CHECK(lmp_lm_sequence_logprob(&lm, seq, 5, 1, &lp, NULL) == LMP_OK);
    CHECK_REL(lp, log(0.7) + log(0.6) + log(0.8) + log(1.0), 1e-15);
    CHECK(lmp_lm_perplexity(&lm, seq, 5, 1, &ppl, NULL) == LMP_OK);
    CHECK_REL(ppl, exp(-lp / 4), 1e-15);
    int32_t impossible[] = {BOS, SAT};
    CHECK(lmp_lm_sequence_logprob(&lm, impossible, 2, 1, &lp, NULL) == LMP_OK);
    CHECK(lp == -INFINITY);
    CHECK(lmp_lm_perplexity(&lm, impossible, 2, 1, &ppl, NULL) == LMP_OK);
    CHECK(ppl == INFINITY);
    lmp_error err;
    int32_t bad[] = {BOS, 7};
    CHECK(lmp_lm_sequence_logprob(&lm, bad, 2, 1, &lp, &err) == LMP_EINVAL);
    CHECK(strstr(err.msg, "ids[1] = 7") != NULL);
    CHECK(lmp_lm_perplexity(&lm, seq, 1, 1, &ppl, &err) == LMP_EDOM);
    CHECK(lmp_lm_sequence_logprob(NULL, seq, 5, 1, &lp, &err) == LMP_EINVAL);
}

/* Generation with numpy's legacy stream reproduces np.random.choice(5, p=probs)
 * step by step (the chapter's chain-rule block), and stops at </s>. */
static void test_generate(void)
{
    lmp_lm lm;
    lmp_lm_mock_create(&lm, NULL);
    lmp_sampler_params p = lmp_sampler_params_default();
    lmp_sampler *s;
    CHECK(lmp_sampler_create(&p, 5, &s, NULL) == LMP_OK);
    struct {
        uint32_t seed;
        int32_t want[6];
        size_t n;
        double lp;
    } cases[] = {
        {42, {BOS, THE, EOS}, 3, log(0.7) + log(0.3)}, /* the chapter's seed: it then appends a 2nd </s>; we stop */
        {2, {BOS, THE, CAT, SAT, EOS}, 5, log(0.7) + log(0.6) + log(0.8)},
        {4, {BOS, EOS}, 2, log(0.1)},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        lmp_rng r;
        lmp_rng_seed(&r, LMP_RNG_NUMPY_LEGACY, cases[c].seed, NULL);
        int32_t prompt[] = {BOS}, out[16];
        size_t n = 0;
        double lp = 0;
        CHECK(lmp_lm_generate(&lm, s, &r, prompt, 1, 10, out, &n, &lp, NULL) == LMP_OK);
        CHECK_INT(n, cases[c].n);
        for (size_t i = 0; i < n && i < cases[c].n; i++) CHECK_INT(out[i], cases[c].want[i]);
        CHECK_REL(lp, cases[c].lp, 1e-12);
        CHECK_INT(out[n - 1], EOS);
    }
    /* max_new bounds the length; greedy follows the argmax path */
    lmp_sampler_free(s);
    p.temperature = 0.0;
    CHECK(lmp_sampler_create(&p, 5, &s, NULL) == LMP_OK);
    lmp_rng r;
    lmp_rng_seed(&r, LMP_RNG_XOSHIRO, 1, NULL);
    int32_t prompt[] = {BOS}, out[16];
    size_t n;
    CHECK(lmp_lm_generate(&lm, s, &r, prompt, 1, 2, out, &n, NULL, NULL) == LMP_OK);
    CHECK_INT(n, 3);
    CHECK_INT(out[1], THE);
    CHECK_INT(out[2], CAT);
    lmp_error err;
    int32_t badp[] = {9};
    CHECK(lmp_lm_generate(&lm, s, &r, badp, 1, 2, out, &n, NULL, &err) == LMP_EINVAL);
    CHECK(strstr(err.msg, "prompt[0] = 9") != NULL);
    lmp_sampler_free(s);
}

int main(int argc, char **argv)
{
    (void)argc;
    RUN(test_mock);
    RUN(test_chain_rule);
    RUN(test_generate);
    return TEST_SUMMARY();
}
