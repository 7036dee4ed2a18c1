/* A GPT-2 push allocates nothing (include/lmprob/gpt2.h), counted by
 * tests/alloc_count.h. Loading and creating a context allocate; the pushes (a
 * batch with all logits, one token at a time, after a rewind), a copy and a
 * rewind must not, on one thread and on two. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lmprob/gpt2.h"
#include "alloc_count.h"
#include "test.h"

static void test_push_allocates_nothing(void)
{
    const char *sh = getenv("LMP_SHARED");
    char path[1024];
    snprintf(path, sizeof path, "%s/gpt2/tiny.safetensors", sh ? sh : "../shared");
    lmp_gpt2 *m;
    lmp_error err;
    if (lmp_gpt2_load(path, NULL, NULL, &m, &err)) {
        CHECK_MSG(0, "%s", err.msg);
        return;
    }
    /* the hooks see the library's allocations (so the zero below means something) */
    if (COUNTING) CHECK_MSG(n_alloc > 0, "loading the model made no counted allocation");
    static const lmp_token_id ids[19] = {15496, 11, 616, 3290, 318, 13779, 13, 1119, 1183, 910,
                                         25,    366, 1026, 338, 513, 13,    1415, 2474, 198};
    float *lg = malloc(19 * 50257 * sizeof *lg);
    for (int threads = 1; threads <= 2; threads++) {
        lmp_gpt2_ctx *c, *d;
        if (lmp_gpt2_ctx_create(m, 64, threads, &c, &err) || lmp_gpt2_ctx_create(m, 64, threads, &d, &err)) {
            CHECK_MSG(0, "%s", err.msg);
            break;
        }
        /* a first push, then count (the first touch of scratch pages is the kernel's, not malloc's) */
        CHECK_INT(lmp_gpt2_ctx_push(c, ids, 19, lg, LMP_GPT2_LOGITS_ALL, &err), LMP_OK);
        size_t before = n_alloc;
        CHECK_INT(lmp_gpt2_ctx_rewind(c, 0, &err), LMP_OK);
        CHECK_INT(lmp_gpt2_ctx_push(c, ids, 19, lg, LMP_GPT2_LOGITS_ALL, &err), LMP_OK);
        CHECK_INT(lmp_gpt2_ctx_rewind(c, 10, &err), LMP_OK);
        for (int i = 10; i < 19; i++) CHECK_INT(lmp_gpt2_ctx_push(c, ids + i, 1, lg, LMP_GPT2_LOGITS_LAST, &err), LMP_OK);
        CHECK_INT(lmp_gpt2_ctx_copy(d, c, &err), LMP_OK);
        CHECK_INT(lmp_gpt2_ctx_push(d, ids, 5, NULL, LMP_GPT2_LOGITS_NONE, &err), LMP_OK);
        if (COUNTING) CHECK_MSG(n_alloc == before, "%d threads: %zu allocations in pushes", threads, n_alloc - before);
        lmp_gpt2_ctx_free(c);
        lmp_gpt2_ctx_free(d);
    }
    free(lg);
    lmp_gpt2_free(m);
}

int main(int argc, char **argv)
{
    test_chdir_root(argv[0]);
    (void)argc;
    RUN(test_push_allocates_nothing);
    return TEST_SUMMARY();
}
