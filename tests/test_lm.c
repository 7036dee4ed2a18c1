/* The language-model interface (lm.h): contexts (push, next, score, predict, rewind, copy) on
 * the chapter's mock LM (cli/chapter/mock_lm.c, over the vtable) and the n-gram fixture (tests/fixtures/model/README.md has the
 * hand-computed scores), tokenizing, ownership, and generation. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "chapter/mock_lm.h"
#include "lmprob/lm.h"
#include "lmprob/rng.h"
#include "lmprob/sample.h"
#include "test.h"

#define FIX "tests/fixtures/model/"
/* The fixture's numbers are float32 in the model: 1e-6 absolute on natural logs of order 1. */
#define TOL 1e-6

enum { BOS, THE, CAT, SAT, EOS };
/* tiny.arpa's ids: <unk> 0, <s> 1, </s> 2, a 3, b 4, c 5 */
enum { T_UNK, T_BOS, T_EOS, T_A, T_B, T_C };

static void test_mock(void)
{
    lmp_lm *lm = NULL;
    CHECK(ch_mock_lm_create(&lm, NULL) == LMP_OK);
    lmp_lm_info in;
    lmp_lm_get_info(lm, &in);
    CHECK_INT(in.vocab_size, 5);
    CHECK_INT(in.bos, BOS);
    CHECK_INT(in.eos, EOS);
    CHECK_INT(in.kind, LMP_LM_CUSTOM);
    CHECK(strcmp(in.name, "mock") == 0);
    CHECK(strcmp(lmp_lm_token_text(lm, CAT, NULL), "cat") == 0);
    CHECK(lmp_lm_token_text(lm, 5, NULL) == NULL);
    lmp_lm_ctx *c = NULL;
    CHECK(lmp_lm_ctx_create(lm, 4, &c, NULL) == LMP_OK);
    const lmp_token_id ctx[] = {BOS, THE};
    double lp[5];
    CHECK(lmp_lm_ctx_push(c, ctx, 1, NULL) == LMP_OK);
    CHECK(lmp_lm_ctx_next_logprobs(c, lp, NULL) == LMP_OK);
    CHECK_REL(lp[THE], log(0.7), 1e-15);
    CHECK(lp[BOS] == -INFINITY && lp[SAT] == -INFINITY);
    CHECK(lmp_lm_ctx_push(c, ctx + 1, 1, NULL) == LMP_OK);
    CHECK(lmp_lm_ctx_next_logprobs(c, lp, NULL) == LMP_OK);
    CHECK_REL(lp[CAT], log(0.6), 1e-15);
    float lpf[5];
    CHECK(lmp_lm_ctx_next_logprobs_f32(c, lpf, NULL) == LMP_OK);
    CHECK_REL(lpf[CAT], log(0.6), 1e-7); /* float */
    /* score: <s> is context only (NaN), the others the chain rule */
    const lmp_token_id seq[] = {CAT, EOS};
    double s[2];
    CHECK(lmp_lm_ctx_rewind(c, 1, NULL) == LMP_OK);
    CHECK(lmp_lm_ctx_score(c, seq, 2, s, NULL) == LMP_OK);
    CHECK_REL(s[0], log(0.2), 1e-15);
    CHECK_REL(s[1], log(0.2), 1e-15);
    CHECK_INT(lmp_lm_ctx_length(c), 3);
    lmp_error err;
    CHECK(lmp_lm_ctx_push(c, seq, 2, &err) == LMP_ERANGE); /* capacity 4 */
    CHECK(strstr(err.msg, "capacity of 4") != NULL);
    CHECK_INT(lmp_lm_ctx_length(c), 3); /* unchanged on error */
    const lmp_token_id bad[] = {7};
    CHECK(lmp_lm_ctx_push(c, bad, 1, &err) == LMP_EINVAL);
    CHECK(strstr(err.msg, "ids[0] = 7") != NULL);
    CHECK(lmp_lm_ctx_rewind(c, 9, &err) == LMP_EINVAL);
    const lmp_token_id b[] = {BOS};
    CHECK(lmp_lm_ctx_rewind(c, 0, NULL) == LMP_OK);
    CHECK(lmp_lm_ctx_score(c, b, 1, s, NULL) == LMP_OK);
    CHECK(isnan(s[0])); /* bos != eos: never predicted */
    /* n = 0 with NULL arrays ("n may be 0"): the append copied 0 ids from NULL with memcpy, undefined
     * behaviour (UBSan: "null pointer passed as argument 2"); now nothing is copied. */
    CHECK(lmp_lm_ctx_push(c, NULL, 0, &err) == LMP_OK);
    CHECK(lmp_lm_ctx_score(c, NULL, 0, NULL, &err) == LMP_OK);
    CHECK(lmp_lm_ctx_predict_f32(c, NULL, 0, NULL, &err) == LMP_OK);
    CHECK_INT(lmp_lm_ctx_length(c), 1);
    double lp0 = -1;
    CHECK(lmp_lm_sequence_logprob(lm, NULL, 0, 0, &lp0, &err) == LMP_OK && lp0 == 0.0);
    lmp_lm_ctx_free(c);
    lmp_lm_ctx_free(NULL);
    lmp_lm_free(lm);
    lmp_lm_free(NULL);
}

static void test_chain_rule(void)
{
    lmp_lm *lm = NULL;
    ch_mock_lm_create(&lm, NULL);
    const lmp_token_id seq[] = {BOS, THE, CAT, SAT, EOS};
    double lp;
    CHECK(lmp_lm_sequence_logprob(lm, seq, 5, 1, &lp, NULL) == LMP_OK);
    CHECK_REL(lp, log(0.7) + log(0.6) + log(0.8) + log(1.0), 1e-15);
    /* start 0: the <s> is not predicted, so the same */
    CHECK(lmp_lm_sequence_logprob(lm, seq, 5, 0, &lp, NULL) == LMP_OK);
    CHECK_REL(lp, log(0.7) + log(0.6) + log(0.8), 1e-15);
    const lmp_token_id impossible[] = {BOS, SAT};
    CHECK(lmp_lm_sequence_logprob(lm, impossible, 2, 1, &lp, NULL) == LMP_OK);
    CHECK(lp == -INFINITY);
    lmp_error err;
    const lmp_token_id bad[] = {BOS, 7};
    CHECK(lmp_lm_sequence_logprob(lm, bad, 2, 1, &lp, &err) == LMP_EINVAL);
    CHECK(strstr(err.msg, "ids[0] = 7") != NULL);
    CHECK(lmp_lm_sequence_logprob(lm, seq, 5, 6, &lp, &err) == LMP_EINVAL);
    CHECK(lmp_lm_sequence_logprob(NULL, seq, 5, 1, &lp, &err) == LMP_EINVAL);
    lmp_lm_free(lm);
}

/* A custom model's vtable sees the whole history; bad infos are refused. */
static lmp_status bad_next(void *self, const lmp_token_id *ctx, size_t n, double *out, lmp_error *err)
{
    (void)self;
    (void)ctx;
    (void)err;
    out[0] = n ? NAN : 0.0;
    out[1] = -INFINITY;
    return LMP_OK;
}
static const lmp_lm_vtable bad_vt = {.name = "bad", .next_logprobs = bad_next};
/* A model that fails as callers' models do: a status without a message (after 1 token), a value that is
 * no status (2), its own message (3); it writes its lmp_error without checking for NULL. */
static lmp_status quiet_next(void *self, const lmp_token_id *ctx, size_t n, double *out, lmp_error *err)
{
    (void)self;
    (void)ctx;
    out[0] = out[1] = log(0.5);
    if (n == 1) return LMP_EIO;
    if (n == 2) return (lmp_status)42;
    if (n == 3) {
        snprintf(err->msg, sizeof err->msg, "quiet: my own words");
        return LMP_EDOM;
    }
    if (n == 4) { /* the caller's own stop (core.h: the last status), with its message */
        snprintf(err->msg, sizeof err->msg, "quiet: user stop");
        return LMP_ECANCELED;
    }
    return LMP_OK;
}
static const lmp_lm_vtable quiet_vt = {.name = "quiet", .next_logprobs = quiet_next};

static void test_custom(void)
{
    lmp_lm *lm = NULL;
    lmp_error err;
    lmp_lm_info in = {.vocab_size = 2, .bos = LMP_TOKEN_NONE, .eos = 2, .unk = LMP_TOKEN_NONE};
    CHECK(lmp_lm_create(&bad_vt, NULL, &in, &lm, &err) == LMP_EINVAL);
    CHECK(strstr(err.msg, "eos = 2") != NULL);
    CHECK(lm == NULL);
    in.eos = 1;
    in.vocab_size = 0;
    CHECK(lmp_lm_create(&bad_vt, NULL, &in, &lm, &err) == LMP_EINVAL);
    in.vocab_size = 2;
    CHECK(lmp_lm_create(&bad_vt, NULL, &in, &lm, &err) == LMP_OK);
    lmp_lm_ctx *c = NULL;
    lmp_lm_ctx_create(lm, 4, &c, NULL);
    double lp[2];
    CHECK(lmp_lm_ctx_next_logprobs(c, lp, &err) == LMP_OK);
    const lmp_token_id z = 0;
    lmp_lm_ctx_push(c, &z, 1, NULL);
    CHECK(lmp_lm_ctx_next_logprobs(c, lp, &err) == LMP_EDOM); /* a NaN from the model is named */
    CHECK(strstr(err.msg, "model bad") != NULL);
    CHECK(lmp_lm_tokenize(lm, "x", 1, 0, NULL, NULL, NULL, 0, &(size_t){0}, &err) == LMP_EUNSUPPORTED);
    /* unknown flag bits are refused before the model is asked, as lmp_tokenizer_encode refuses them */
    CHECK_INT(lmp_lm_tokenize(lm, "x", 1, 0x80, NULL, NULL, NULL, 0, &(size_t){0}, &err), LMP_EINVAL);
    CHECK_MSG(strstr(err.msg, "flags 0x80") != NULL, "%s", err.msg);
    lmp_lm_ctx_free(c);
    lmp_lm_free(lm);

    /* a failing model's status always comes with a message (it was empty, or the last call's) */
    CHECK(lmp_lm_create(&quiet_vt, NULL, &in, &lm, &err) == LMP_OK);
    lmp_lm_ctx_create(lm, 8, &c, NULL);
    CHECK(lmp_lm_ctx_next_logprobs(c, lp, &err) == LMP_OK);
    lmp_lm_ctx_push(c, &z, 1, NULL);
    strcpy(err.msg, "stale");
    CHECK(lmp_lm_ctx_next_logprobs(c, lp, &err) == LMP_EIO);
    CHECK_MSG(strstr(err.msg, "model quiet: next_logprobs after 1 tokens failed (") != NULL, "%s", err.msg);
    CHECK_INT(err.code, LMP_EIO);
    lmp_lm_ctx_push(c, &z, 1, NULL);
    CHECK(lmp_lm_ctx_next_logprobs(c, lp, &err) == LMP_EINVAL);
    CHECK_MSG(strstr(err.msg, "returned 42: expected an lmp_status") != NULL, "%s", err.msg);
    lmp_lm_ctx_push(c, &z, 1, NULL);
    CHECK(lmp_lm_ctx_next_logprobs(c, lp, &err) == LMP_EDOM);
    CHECK_MSG(strcmp(err.msg, "quiet: my own words") == 0, "%s", err.msg);
    CHECK(lmp_lm_ctx_next_logprobs(c, lp, NULL) == LMP_EDOM); /* the model writes its error: not through NULL */
    lmp_lm_ctx_push(c, &z, 1, NULL);
    CHECK_INT(lmp_lm_ctx_next_logprobs(c, lp, &err), LMP_ECANCELED); /* was LMP_EINVAL, "returned 10" */
    CHECK_MSG(strcmp(err.msg, "quiet: user stop") == 0, "%s", err.msg);
    CHECK(lmp_lm_ctx_rewind(c, 3, NULL) == LMP_OK);
    double seq_lp[4];
    CHECK(lmp_lm_ctx_rewind(c, 0, NULL) == LMP_OK);
    const lmp_token_id zs[4] = {0, 0, 0, 0};
    CHECK(lmp_lm_ctx_score(c, zs, 4, seq_lp, &err) == LMP_EIO); /* scoring asks the model after 1 token */
    CHECK_MSG(strstr(err.msg, "after 1 tokens failed") != NULL, "%s", err.msg);
    lmp_lm_ctx_free(c);
    lmp_lm_free(lm);
}

static lmp_lm *tiny(void)
{
    lmp_lm *lm = NULL;
    lmp_error err;
    lmp_status st = lmp_lm_load(FIX "tiny.arpa", NULL, &lm, &err);
    CHECK_MSG(st == LMP_OK, "%s", err.msg);
    return lm;
}

/* The n-gram model behind the interface: next-token distributions from a state that threads
 * through pushes, the hand-computed values of the fixture. */
static void test_ngram(void)
{
    lmp_lm *lm = tiny();
    if (!lm) return;
    lmp_lm_info in;
    lmp_lm_get_info(lm, &in);
    CHECK_INT(in.vocab_size, 6);
    CHECK_INT(in.bos, T_BOS);
    CHECK_INT(in.eos, T_EOS);
    CHECK_INT(in.unk, T_UNK);
    CHECK_INT(in.order, 3);
    CHECK_INT(in.n_ctx, 0);
    CHECK_INT(in.tokens, LMP_LM_TOKENS_WORD);
    CHECK(lmp_lm_ngram(lm) != NULL);
    size_t len;
    CHECK(strcmp(lmp_lm_token_text(lm, T_C, &len), "c") == 0 && len == 1);
    CHECK(lmp_lm_token_text(lm, 6, NULL) == NULL);
    const double ln10 = log(10.0);
    lmp_lm_ctx *c = NULL;
    CHECK(lmp_lm_ctx_create(lm, 16, &c, NULL) == LMP_OK);
    double out[6];
    /* empty context: the unigrams */
    CHECK(lmp_lm_ctx_next_logprobs(c, out, NULL) == LMP_OK);
    CHECK_ABS(out[T_C], -1.2 * ln10, TOL);
    const lmp_token_id sa[] = {T_BOS, T_A};
    CHECK(lmp_lm_ctx_push(c, sa, 2, NULL) == LMP_OK);
    CHECK(lmp_lm_ctx_next_logprobs(c, out, NULL) == LMP_OK);
    CHECK_ABS(out[T_B], -0.1 * ln10, TOL);               /* trigram <s> a b */
    CHECK_ABS(out[T_A], (-0.6 - 0.1) * ln10, TOL);       /* bigram a a + bo(<s> a) */
    CHECK_ABS(out[T_EOS], (-0.7 - 0.3 - 0.1) * ln10, TOL); /* </s>: unigram + both backoffs */
    CHECK(isinf(out[T_BOS]) && out[T_BOS] < 0);          /* <s> is never predicted */
    /* score the README's sentence "a b c" after <s> a: b -0.1, c -0.15, </s> -0.7 */
    const lmp_token_id rest[] = {T_B, T_C, T_EOS};
    double lp[3];
    CHECK(lmp_lm_ctx_score(c, rest, 3, lp, NULL) == LMP_OK);
    CHECK_ABS(lp[0], -0.1 * ln10, TOL);
    CHECK_ABS(lp[1], -0.15 * ln10, TOL);
    CHECK_ABS(lp[2], -0.7 * ln10, TOL);
    /* a longer history: only the last two words and the last <s> count. Push a second sentence
     * "<s> b a" and compare with a fresh context that holds only that sentence. */
    const lmp_token_id s2[] = {T_BOS, T_B, T_A};
    CHECK(lmp_lm_ctx_push(c, s2, 3, NULL) == LMP_OK);
    lmp_lm_ctx *f = NULL;
    lmp_lm_ctx_create(lm, 16, &f, NULL);
    lmp_lm_ctx_push(f, s2, 3, NULL);
    double o1[6], o2[6];
    lmp_lm_ctx_next_logprobs(c, o1, NULL);
    lmp_lm_ctx_next_logprobs(f, o2, NULL);
    for (int v = 0; v < 6; v++) CHECK(o1[v] == o2[v]);
    CHECK_ABS(o1[T_EOS], (-0.7 - 0.3) * ln10, TOL); /* the README's "b a": </s> -1.0 */
    /* rewind to "<s> a b" (3 tokens) and the distribution is the one after it */
    CHECK(lmp_lm_ctx_rewind(c, 3, NULL) == LMP_OK);
    lmp_lm_ctx_next_logprobs(c, o1, NULL);
    CHECK_ABS(o1[T_C], -0.15 * ln10, TOL);
    /* copy (fork): the copy continues like the original */
    lmp_lm_ctx *g = NULL;
    lmp_lm_ctx_create(lm, 4, &g, NULL);
    CHECK(lmp_lm_ctx_copy(g, c, NULL) == LMP_OK);
    CHECK_INT(lmp_lm_ctx_length(g), 3);
    lmp_lm_ctx_next_logprobs(g, o2, NULL);
    for (int v = 0; v < 6; v++) CHECK(o1[v] == o2[v]);
    lmp_lm_ctx_push(c, rest, 3, NULL);
    lmp_error err;
    CHECK(lmp_lm_ctx_copy(g, c, &err) == LMP_ERANGE); /* 6 tokens into capacity 4 */
    /* predict: the rows are the distributions before each token */
    float rows[2 * 6];
    lmp_lm_ctx_rewind(f, 0, NULL);
    CHECK(lmp_lm_ctx_predict_f32(f, sa, 2, rows, NULL) == LMP_OK);
    CHECK(isnan(rows[0]) && isnan(rows[5])); /* the <s> is not predicted: a row of NaN */
    CHECK_ABS(rows[6 + T_A], -0.3 * ln10, TOL); /* a | <s> */
    lmp_lm_ctx_free(c);
    lmp_lm_ctx_free(f);
    lmp_lm_ctx_free(g);
    lmp_lm_free(lm);
}

/* Text to ids: the corpus reader's words, unknown words kept with their place in the text,
 * sentences framed by <s> .. </s> on request. */
static void test_tokenize(void)
{
    lmp_lm *lm = tiny();
    if (!lm) return;
    const char *text = "a  zzz b\n\nc\n";
    lmp_token_id ids[16];
    unsigned char unk[16];
    lmp_lm_span sp[16];
    size_t n = 0;
    CHECK(lmp_lm_tokenize(lm, text, strlen(text), 0, ids, unk, sp, 16, &n, NULL) == LMP_OK);
    CHECK_INT(n, 4);
    CHECK(ids[0] == T_A && ids[1] == T_UNK && ids[2] == T_B && ids[3] == T_C);
    CHECK(unk[1] == 1 && unk[0] == 0);
    CHECK(sp[1].offset == 3 && sp[1].len == 3); /* "zzz" */
    CHECK(sp[3].offset == 10 && sp[3].len == 1);
    CHECK(lmp_lm_tokenize(lm, text, strlen(text), LMP_LM_SENTENCES, ids, unk, sp, 16, &n, NULL) == LMP_OK);
    CHECK_INT(n, 10); /* <s> a zzz b </s> <s> </s> <s> c </s>: an empty line is a sentence, as in KenLM */
    CHECK(ids[0] == T_BOS && ids[4] == T_EOS && ids[5] == T_BOS && ids[6] == T_EOS && ids[9] == T_EOS);
    lmp_error err;
    CHECK(lmp_lm_tokenize(lm, text, strlen(text), LMP_LM_SENTENCES, ids, NULL, NULL, 4, &n, &err) == LMP_ERANGE);
    CHECK_INT(n, 10); /* two-call sizing: the count needed */
    n = 0; /* ids NULL: the size query, LMP_OK as lmp_tokenizer_encode's (it was LMP_ERANGE with a message) */
    CHECK(lmp_lm_tokenize(lm, text, strlen(text), LMP_LM_SENTENCES, NULL, NULL, NULL, 0, &n, &err) == LMP_OK);
    CHECK_INT(n, 10);
    n = 0; /* ids NULL with a cap: the same size query (it was LMP_EINVAL here, LMP_OK in lmp_tokenizer_encode) */
    CHECK(lmp_lm_tokenize(lm, text, strlen(text), LMP_LM_SENTENCES, NULL, NULL, NULL, 4, &n, &err) == LMP_OK);
    CHECK_INT(n, 10);
    CHECK_INT(lmp_lm_tokenize(lm, text, strlen(text), 2u, ids, NULL, NULL, 16, &n, &err), LMP_EINVAL); /* no such flag */
    /* word mode reads a text to score as ppl and KenLM's query: a word is its bytes (here an unknown one),
     * "<s>" the model's own token; char mode decodes UTF-8 and refuses what is not (below) */
    CHECK(lmp_lm_tokenize(lm, "a \xff <s>", 8, 0, ids, unk, NULL, 16, &n, &err) == LMP_OK);
    CHECK_INT(n, 3);
    CHECK(ids[0] == T_A && ids[1] == T_UNK && unk[1] == 1 && ids[2] == T_BOS && unk[2] == 0);
    lmp_lm_free(lm);
    /* char mode */
    lmp_lm_load_params p;
    lmp_lm_load_params_init(&p);
    p.tokens = LMP_LM_TOKENS_CHAR;
    CHECK(lmp_lm_load(FIX "tiny.arpa", &p, &lm, &err) == LMP_OK);
    CHECK(lmp_lm_tokenize(lm, "ab c", 4, 0, ids, unk, sp, 16, &n, NULL) == LMP_OK);
    CHECK_INT(n, 4);
    CHECK(ids[0] == T_A && ids[1] == T_B && ids[2] == T_UNK && ids[3] == T_C); /* <sp> is not in the model */
    CHECK(unk[2] == 1 && sp[2].offset == 2 && sp[2].len == 1);
    CHECK(lmp_lm_tokenize(lm, "a \xff", 3, 0, ids, NULL, NULL, 16, &n, &err) == LMP_EFORMAT);
    CHECK(strstr(err.msg, ":1") != NULL);
    lmp_lm_free(lm);
}

/* Ownership: a handle over your model borrows it (free the handle, then the model); a loaded
 * handle owns its model (one lmp_lm_free). ASan checks both. */
static void test_ownership(void)
{
    lmp_ngram *m = NULL;
    CHECK(lmp_ngram_load(FIX "tiny.arpa", NULL, NULL, &m, NULL) == LMP_OK);
    if (!m) return;
    lmp_lm *a = NULL, *b = NULL;
    CHECK(lmp_lm_create_ngram(m, LMP_LM_TOKENS_DEFAULT, NULL, &a, NULL) == LMP_OK);
    CHECK(lmp_lm_create_ngram(m, LMP_LM_TOKENS_WORD, NULL, &b, NULL) == LMP_OK); /* two handles over one model */
    CHECK(lmp_lm_ngram(a) == m);
    lmp_lm_free(a);
    lmp_lm_free(b);
    CHECK_INT(lmp_ngram_order(m), 3); /* still alive */
    lmp_error err;
    CHECK(lmp_lm_create_ngram(m, LMP_LM_TOKENS_GPT2, NULL, &a, &err) == LMP_EINVAL);
    CHECK(a == NULL);
    lmp_ngram_free(m);
    CHECK(lmp_lm_load("tests/fixtures", NULL, &a, &err) == LMP_EFORMAT); /* a folder without model.safetensors */
    CHECK(strstr(err.msg, "a folder without model.safetensors") != NULL);
    CHECK(lmp_lm_load(FIX "nope.arpa", NULL, &a, &err) != LMP_OK);
    CHECK(a == NULL);
}

/* Generation with numpy's legacy stream reproduces np.random.choice(5, p=probs) step by step
 * (the chapter's chain-rule block), and stops at </s>. */
typedef struct rec {
    lmp_token_id ids[64];
    lmp_lm_event_kind kinds[64];
    size_t n;
    double lp;
} rec;

static int record(void *ud, const lmp_lm_event *ev)
{
    rec *r = ud;
    if (r->n < 64) {
        r->ids[r->n] = ev->id;
        r->kinds[r->n] = ev->kind;
        r->n++;
    }
    r->lp += ev->logprob;
    return 0;
}

static void test_generate(void)
{
    lmp_lm *lm = NULL;
    ch_mock_lm_create(&lm, NULL);
    lmp_sampler_params p;
    lmp_sampler_params_init(&p);
    lmp_sampler *s;
    CHECK(lmp_sampler_create(&p, 5, &s, NULL) == LMP_OK);
    struct {
        uint32_t seed;
        lmp_token_id want[6];
        size_t n;
        double lp;
    } cases[] = {
        {42, {THE, EOS}, 2, log(0.7) + log(0.3)}, /* the chapter's seed: it then appends a 2nd </s>; we stop */
        {2, {THE, CAT, SAT, EOS}, 4, log(0.7) + log(0.6) + log(0.8)},
        {4, {EOS}, 1, log(0.1)},
    };
    lmp_lm_ctx *c = NULL;
    lmp_lm_ctx_create(lm, 16, &c, NULL);
    lmp_lm_generate_params gp;
    lmp_lm_generate_params_init(&gp);
    CHECK_INT(gp.max_new, 50);
    CHECK_INT(gp.sentences, 1);
    gp.max_new = 10;
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        lmp_rng r;
        lmp_rng_seed(&r, LMP_RNG_NUMPY_LEGACY, cases[k].seed, NULL);
        rec got = {.n = 0};
        lmp_lm_ctx_rewind(c, 0, NULL);
        CHECK(lmp_lm_generate(c, s, &r, &gp, record, &got, NULL) == LMP_OK); /* the empty context gets <s> */
        CHECK_INT(got.n, cases[k].n);
        for (size_t i = 0; i < got.n && i < cases[k].n; i++) CHECK_INT(got.ids[i], cases[k].want[i]);
        CHECK(got.kinds[got.n - 1] == LMP_LM_EVENT_END);
        CHECK_REL(got.lp, cases[k].lp, 1e-12);
        CHECK_INT(lmp_lm_ctx_tokens(c)[0], BOS);
        CHECK_INT(lmp_lm_ctx_length(c), cases[k].n + 1);
    }
    /* max_new cuts a sentence; greedy follows the argmax path: the cat | cut */
    lmp_sampler_free(s);
    p.temperature = 0.0;
    CHECK(lmp_sampler_create(&p, 5, &s, NULL) == LMP_OK);
    lmp_rng r;
    lmp_rng_seed(&r, LMP_RNG_XOSHIRO, 1, NULL);
    gp.max_new = 2;
    rec got = {.n = 0};
    lmp_lm_ctx_rewind(c, 0, NULL);
    CHECK(lmp_lm_generate(c, s, &r, &gp, record, &got, NULL) == LMP_OK);
    CHECK_INT(got.n, 3);
    CHECK(got.ids[0] == THE && got.ids[1] == CAT && got.kinds[2] == LMP_LM_EVENT_CUT);
    lmp_error err;
    gp.max_new = 0;
    CHECK(lmp_lm_generate(c, s, &r, &gp, NULL, NULL, &err) == LMP_EINVAL);
    lmp_sampler_free(s);
    lmp_lm_ctx_free(c);
    lmp_lm_free(lm);
}

/* Several sentences in a row on the n-gram fixture: greedy from <s> is "a b c", and each new
 * sentence starts after a fresh <s>; a context smaller than the text shifts its older half out. */
static void test_generate_sentences(void)
{
    lmp_lm *lm = tiny();
    if (!lm) return;
    lmp_sampler_params p;
    lmp_sampler_params_init(&p);
    p.temperature = 0.0;
    lmp_sampler *s = NULL;
    lmp_sampler_create(&p, 6, &s, NULL);
    lmp_rng r;
    lmp_rng_seed(&r, LMP_RNG_XOSHIRO, 1, NULL);
    lmp_lm_ctx *c = NULL;
    lmp_lm_ctx_create(lm, 64, &c, NULL);
    lmp_lm_generate_params gp = {.max_new = 3, .sentences = 3};
    rec got = {.n = 0};
    CHECK(lmp_lm_generate(c, s, &r, &gp, record, &got, NULL) == LMP_OK);
    /* <s> a b c: then </s> would be the 4th token, but max_new = 3 cuts: a b c | cut, three times */
    CHECK_INT(got.n, 12);
    for (int k = 0; k < 3; k++) {
        CHECK(got.ids[4 * k] == T_A && got.ids[4 * k + 1] == T_B && got.ids[4 * k + 2] == T_C);
        CHECK(got.kinds[4 * k + 3] == LMP_LM_EVENT_CUT);
    }
    CHECK_INT(lmp_lm_ctx_length(c), 12); /* <s> a b c, three times */
    CHECK_INT(lmp_lm_ctx_tokens(c)[4], T_BOS);
    /* the same with a context of 5 tokens: it fills and shifts, and the text is the same */
    lmp_lm_ctx *small = NULL;
    lmp_lm_ctx_create(lm, 5, &small, NULL);
    rec got2 = {.n = 0};
    lmp_rng_seed(&r, LMP_RNG_XOSHIRO, 1, NULL);
    CHECK(lmp_lm_generate(small, s, &r, &gp, record, &got2, NULL) == LMP_OK);
    CHECK_INT(got2.n, 12);
    CHECK(memcmp(got.ids, got2.ids, 12 * sizeof got.ids[0]) == 0);
    CHECK(lmp_lm_ctx_length(small) <= 5);
    lmp_lm_ctx_free(small);
    lmp_lm_ctx_free(c);
    lmp_sampler_free(s);
    lmp_lm_free(lm);
}

/* GPT-2 behind the interface, on the tiny model of ../shared/gpt2 ($LMP_SHARED): the lazy
 * KV-cache context gives the same log-probabilities whatever the order of pushes, scores,
 * rewinds and copies, and those of tiny_ref.json (PyTorch, float64). The ids are tiny_ref.json's
 * tokens (its text, 'Hello, my dog is cute. They\'ll say: "It\'s 3.14!"\n'). */
static const lmp_token_id hello[19] = {15496, 11, 616, 3290, 318, 13779, 13, 1119, 1183, 910,
                                       25, 366, 1026, 338, 513, 13, 1415, 2474, 198};
/* tiny_ref.json nll_next_token: -log p(hello[t + 1] | hello[0..t]) */
static const double hello_nll[18] = {11.0136265, 10.67459, 10.8438827, 10.7425728, 10.6827534, 10.7666048,
                                     10.9212483, 10.430832, 10.8079803, 10.6057525, 10.9178992, 10.8252761,
                                     10.9303732, 10.8867042, 10.5943957, 10.7446005, 10.8671235, 10.9109797};

static void test_gpt2(void)
{
    const char *env = getenv("LMP_SHARED");
    char path[1024];
    snprintf(path, sizeof path, "%s/gpt2/tiny-hf", env && *env ? env : "../shared");
    lmp_lm *lm = NULL;
    lmp_error err;
    lmp_status st = lmp_lm_load(path, NULL, &lm, &err); /* no vocab.json in the folder: ids only */
    CHECK_MSG(st == LMP_OK, "%s", err.msg);
    if (st) return;
    lmp_lm_info in;
    lmp_lm_get_info(lm, &in);
    CHECK_INT(in.kind, LMP_LM_GPT2);
    CHECK_INT(in.vocab_size, 50257);
    CHECK_INT(in.n_ctx, 1024);
    CHECK_INT(in.needs_context, 1);
    CHECK_INT(in.tokens, LMP_LM_TOKENS_NONE);
    /* no vocabulary: the end of text from the config (it was none, and generation never stopped) */
    CHECK_INT(in.eos, 50256);
    CHECK_INT(in.bos, 50256);
    CHECK(lmp_lm_tokenize(lm, "x", 1, 0, NULL, NULL, NULL, 0, &(size_t){0}, &err) == LMP_EUNSUPPORTED);
    lmp_lm_ctx *c = NULL, *d = NULL;
    CHECK(lmp_lm_ctx_create(lm, 64, &c, NULL) == LMP_OK);
    CHECK(lmp_lm_ctx_create(lm, 64, &d, NULL) == LMP_OK);
    CHECK(lmp_lm_ctx_create(lm, 2048, &(lmp_lm_ctx *){NULL}, &err) == LMP_ERANGE); /* above n_ctx */
    double lp[19], lp2[19];
    /* one batch: the first token is context only (NaN), then tiny_ref's NLL (1e-4: fp32 logits) */
    CHECK(lmp_lm_ctx_score(c, hello, 19, lp, NULL) == LMP_OK);
    CHECK(isnan(lp[0]));
    for (int t = 0; t < 18; t++) CHECK_ABS(-lp[t + 1], hello_nll[t], 1e-4);
    /* the same split into a push, a score of 5, a score of the rest (the cached last logits serve the
     * first prediction of each call): the same numbers up to the batch's summation order (1e-5) */
    CHECK(lmp_lm_ctx_rewind(c, 0, NULL) == LMP_OK);
    CHECK(lmp_lm_ctx_push(c, hello, 4, NULL) == LMP_OK);
    CHECK(lmp_lm_ctx_score(c, hello + 4, 5, lp2 + 4, NULL) == LMP_OK);
    CHECK(lmp_lm_ctx_score(c, hello + 9, 10, lp2 + 9, NULL) == LMP_OK);
    for (int t = 4; t < 19; t++) CHECK_ABS(lp2[t], lp[t], 1e-5);
    /* token by token (decoding with the KV cache): next_logprobs, then push */
    double *row = malloc(50257 * sizeof *row);
    float *rows = malloc(3 * 50257 * sizeof *rows);
    CHECK(lmp_lm_ctx_rewind(c, 0, NULL) == LMP_OK);
    CHECK(lmp_lm_ctx_next_logprobs(c, row, &err) == LMP_EDOM); /* GPT-2 needs one token of context */
    CHECK(lmp_lm_ctx_push(c, hello, 1, NULL) == LMP_OK);
    for (int t = 1; t < 19; t++) {
        CHECK(lmp_lm_ctx_next_logprobs(c, row, NULL) == LMP_OK);
        CHECK_ABS(row[hello[t]], lp[t], 1e-5);
        CHECK(lmp_lm_ctx_push(c, hello + t, 1, NULL) == LMP_OK);
    }
    /* rewind to 7: the prediction of token 7 again (the logits after token 6 are recomputed) */
    CHECK(lmp_lm_ctx_rewind(c, 7, NULL) == LMP_OK);
    CHECK(lmp_lm_ctx_next_logprobs(c, row, NULL) == LMP_OK);
    CHECK_ABS(row[hello[7]], lp[7], 1e-5);
    double *row2 = malloc(50257 * sizeof *row2); /* next twice in a row: the cached logits, the same values */
    CHECK(lmp_lm_ctx_next_logprobs(c, row2, NULL) == LMP_OK);
    CHECK(memcmp(row, row2, 50257 * sizeof *row) == 0);
    free(row2);
    /* fork: a copy continues as the original */
    CHECK(lmp_lm_ctx_copy(d, c, NULL) == LMP_OK);
    CHECK(lmp_lm_ctx_score(d, hello + 7, 3, lp2, NULL) == LMP_OK);
    for (int t = 0; t < 3; t++) CHECK_ABS(lp2[t], lp[7 + t], 1e-5);
    /* predict: rows are whole distributions; row i at ids[i] is the score */
    CHECK(lmp_lm_ctx_predict_f32(c, hello + 7, 3, rows, NULL) == LMP_OK);
    for (int i = 0; i < 3; i++) CHECK_ABS(rows[(size_t)i * 50257 + (size_t)hello[7 + i]], lp[7 + i], 1e-5);
    CHECK_INT(lmp_lm_ctx_length(c), 10);
    free(row);
    free(rows);
    lmp_lm_ctx_free(c);
    lmp_lm_ctx_free(d);
    lmp_lm_free(lm);
}

/* NULL ids with n > 0: LMP_EINVAL naming them, checked before ids + start is formed (NULL + 0 is undefined;
 * the error came from the context before, naming no function). */
static void test_null_arrays(void)
{
    lmp_lm *lm = NULL;
    lmp_error err;
    double lp = 1;
    CHECK(ch_mock_lm_create(&lm, NULL) == LMP_OK);
    CHECK(lmp_lm_sequence_logprob(lm, NULL, 3, 0, &lp, &err) == LMP_EINVAL &&
          strstr(err.msg, "sequence_logprob: ids is NULL (n = 3)"));
    CHECK(lmp_lm_sequence_logprob(lm, NULL, 3, 1, &lp, &err) == LMP_EINVAL && lp == 1);
    lmp_lm_free(lm);
}

int main(int argc, char **argv)
{
    test_chdir_root(argv[0]);
    (void)argc;
    RUN(test_mock);
    RUN(test_chain_rule);
    RUN(test_custom);
    RUN(test_ngram);
    RUN(test_tokenize);
    RUN(test_ownership);
    RUN(test_generate);
    RUN(test_generate_sentences);
    RUN(test_gpt2);
    RUN(test_null_arrays);
    return TEST_SUMMARY();
}
