/* Training vocabulary: specials, stable ids, growth. */
#include <stdio.h>
#include <string.h>

#include "lmprob/vocab.h"
#include "test.h"

static void test_specials(void)
{
    lmp_vocab *v;
    lmp_error err;
    CHECK_INT(lmp_vocab_create(&v, &err), LMP_OK);
    if (!v) return;
    CHECK_INT(lmp_vocab_size(v), 3);
    CHECK_INT(lmp_vocab_find(v, "<unk>", 5), LMP_VOCAB_UNK);
    CHECK_INT(lmp_vocab_find(v, "<s>", 3), LMP_VOCAB_BOS);
    CHECK_INT(lmp_vocab_find(v, "</s>", 4), LMP_VOCAB_EOS);
    lmp_token_id id = 99;
    CHECK_INT(lmp_vocab_add(v, "<unk>", 5, &id, &err), LMP_OK);
    CHECK_INT(id, 0); /* a literal <unk> is the unknown-word class */
    CHECK_INT(lmp_vocab_find(v, "<unk", 4), -1);
    CHECK(lmp_vocab_word(v, 3, NULL) == NULL);
    lmp_vocab_free(v);
    lmp_vocab_free(NULL);
}

static void test_many_words(void)
{
    /* Ids follow first appearance and survive table growth. */
    lmp_vocab *v;
    lmp_error err;
    CHECK_INT(lmp_vocab_create(&v, &err), LMP_OK);
    if (!v) return;
    char w[32];
    int bad = 0;
    for (int round = 0; round < 2; round++)
        for (int i = 0; i < 50000; i++) {
            int len = snprintf(w, sizeof w, "w%d", i * 7919 % 50000);
            lmp_token_id id;
            if (lmp_vocab_add(v, w, (size_t)len, &id, &err) != LMP_OK || id != (lmp_token_id)i + 3) bad++;
        }
    CHECK_INT(bad, 0);
    CHECK_INT(lmp_vocab_size(v), 50003);
    size_t len;
    const char *s = lmp_vocab_word(v, 3 + 1, &len);
    CHECK(s && strcmp(s, "w7919") == 0 && len == 5);
    CHECK_INT(lmp_vocab_find(v, "w49999", 6) >= 3, 1);
    CHECK_INT(lmp_vocab_find(v, "w50000", 6), -1);
    lmp_vocab_free(v);
}

/* A NULL word with n > 0: LMP_TOKEN_NONE from find, LMP_EINVAL from add (each crashed before). */
static void test_null_arrays(void)
{
    lmp_vocab *v = NULL;
    lmp_error e;
    lmp_token_id id = 5;
    CHECK(lmp_vocab_create(&v, &e) == LMP_OK);
    CHECK(lmp_vocab_find(v, NULL, 3) == LMP_TOKEN_NONE);
    CHECK(lmp_vocab_add(v, NULL, 3, &id, &e) == LMP_EINVAL && strstr(e.msg, "vocab_add: the word is NULL (n = 3)"));
    CHECK(lmp_vocab_add(v, "abc", 3, NULL, &e) == LMP_EINVAL && strstr(e.msg, "id is NULL"));
    CHECK(lmp_vocab_size(v) == 3 && id == 5);
    lmp_vocab_free(v);
}

int main(int argc, char **argv)
{
    (void)argc;
    RUN(test_specials);
    RUN(test_many_words);
    RUN(test_null_arrays);
    return TEST_SUMMARY();
}
