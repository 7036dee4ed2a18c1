/* The public API's error convention on the arguments a caller gets wrong: a NULL handle, output
 * pointer or buffer, a release of NULL, an empty word. Each is LMP_EINVAL (or a no-op for a
 * release) with a message naming the argument, never a crash: the C API audit of the thirty-fifth
 * session found these segfaulting where their sibling functions returned LMP_EINVAL. */
#include <string.h>

#include "lmprob.h"
#include "test.h"

/* The status and a message that names what: each check below runs under ASan + UBSan too. */
#define EXPECT_EINVAL(call, what)                                                                   \
    do {                                                                                            \
        lmp_status st_ = (call);                                                                    \
        CHECK_MSG(st_ == LMP_EINVAL, "%s: status %d, want LMP_EINVAL", #call, (int)st_);           \
        CHECK_MSG(strstr(err.msg, what) != NULL, "%s: message '%s' does not name '%s'", #call,     \
                  err.msg, what);                                                                   \
    } while (0)

static void test_null_arguments(void)
{
    lmp_error err;
    lmp_token_id id;
    /* core */
    lmp_atomic_abort(NULL); /* a release: a no-op */
    char *data;
    size_t len;
    EXPECT_EINVAL(lmp_read_file("/etc/hostname", 0, NULL, &len, &err), "data is NULL");
    EXPECT_EINVAL(lmp_read_file("/etc/hostname", 0, &data, NULL, &err), "len is NULL");
    EXPECT_EINVAL(lmp_atomic_open(NULL, "/tmp/x", &err), "af is NULL");
    EXPECT_EINVAL(lmp_atomic_temp_path("/tmp/x", 1, NULL, 100, &err), "buf is NULL");
    /* vocab */
    EXPECT_EINVAL(lmp_vocab_create(NULL, &err), "out is NULL");
    EXPECT_EINVAL(lmp_vocab_add(NULL, "ab", 2, &id, &err), "the vocabulary is NULL");
    lmp_vocab *v;
    if (lmp_vocab_create(&v, &err) == LMP_OK) {
        EXPECT_EINVAL(lmp_vocab_add(v, "x", 0, &id, &err), "an empty word");
        CHECK(lmp_vocab_find(v, "", 0) == LMP_TOKEN_NONE);
        lmp_vocab_free(v);
    }
    /* nn */
    lmp_nn_init_kind k;
    EXPECT_EINVAL(lmp_nn_init_parse(NULL, &k, &err), "name is NULL");
    EXPECT_EINVAL(lmp_nn_init_parse("he_normal", NULL, &err), "kind is NULL");
    /* sampler steps on no sampler */
    EXPECT_EINVAL(lmp_sampler_add_top_k(NULL, 3, &err), "expected a sampler");
    EXPECT_EINVAL(lmp_sampler_add_temperature(NULL, 0.7, &err), "expected a sampler");
    EXPECT_EINVAL(lmp_sampler_add_penalties(NULL, 1.2, 0, 0, 0, &err), "expected a sampler");
    EXPECT_EINVAL(lmp_sampler_add_greedy(NULL, &err), "expected a sampler");
    /* corpus and training */
    const lmp_token *toks;
    size_t nt;
    EXPECT_EINVAL(lmp_corpus_next_line(NULL, &toks, &nt, &err), "the corpus is NULL");
    lmp_train_model *tm;
    EXPECT_EINVAL(lmp_train_model_create(NULL, NULL, &tm, &err), "corpus is NULL");
    /* n-gram models */
    lmp_ngram_tokens have;
    EXPECT_EINVAL(lmp_ngram_peek_tokens("/nonexistent.arpa", LMP_NGRAM_TOKENS_WORD, NULL, NULL, &err),
                  "have is NULL");
    lmp_ngram_stats acc;
    EXPECT_EINVAL(lmp_ngram_score_file(NULL, "/dev/null", &acc, NULL, &err), "the model is NULL");
    (void)have;
}

int main(int argc, char **argv)
{
    (void)argc;
    RUN(test_null_arguments);
    return TEST_SUMMARY();
}
