/* The tokenizer allocates nothing per token (include/lmprob/tokenizer.h),
 * counted by tests/alloc_count.h (aligned_alloc too: token buffers of 2 MiB
 * and more start on a huge page): encoding 1 MB or 9 MB must take the same
 * handful of allocations: scratch for pieces longer than the stack buffers,
 * grown geometrically, and (into a growing buffer) the buffer's own doublings. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lmprob/tokenizer.h"
#include "alloc_count.h"
#include "test.h"

static lmp_tokenizer *tok;
static char *text;
static size_t len;

/* Allocations made by one call, and its id count. */
static size_t allocs_encode(size_t n, size_t *ids)
{
    size_t cap = lmp_tokenizer_encode_bound(n, LMP_TOKENIZER_RAW_BYTES);
    lmp_token_id *buf = (lmp_token_id *)malloc(cap * sizeof *buf);
    lmp_error err;
    size_t a0 = n_alloc;
    CHECK(lmp_tokenizer_encode(tok, text, n, 0, buf, cap, ids, &err) == LMP_OK);
    size_t used = n_alloc - a0;
    free(buf);
    return used;
}

static size_t allocs_stream(size_t n, size_t *ids)
{
    lmp_tokenizer_stream *s;
    lmp_error err;
    lmp_token_buf out;
    lmp_token_buf_init(&out);
    CHECK(lmp_tokenizer_stream_create(tok, 0, 0, &s, &err) == LMP_OK);
    size_t a0 = n_alloc;
    /* 64 KiB chunks, the output emptied after each (as lmprob tokenize does). */
    *ids = 0;
    for (size_t pos = 0; pos < n; pos += 65536) {
        size_t c = n - pos < 65536 ? n - pos : 65536;
        CHECK(lmp_tokenizer_stream_feed(s, text + pos, c, &out, &err) == LMP_OK);
        *ids += out.n;
        out.n = 0;
    }
    CHECK(lmp_tokenizer_stream_finish(s, &out, &err) == LMP_OK);
    *ids += out.n;
    size_t used = n_alloc - a0;
    lmp_tokenizer_stream_free(s);
    lmp_token_buf_free(&out);
    return used;
}

static void test_no_allocation_per_token(void)
{
    if (COUNTING) { /* the counter counts */
        size_t a0 = n_alloc;
        void *volatile q = malloc(16); /* volatile: clang -O2 elides a bare free(malloc(16)) */
        free(q);
        CHECK_INT(n_alloc - a0, 1);
    }
    size_t small = len / 9, ids_s, ids_l;
    size_t a_small = allocs_encode(small, &ids_s);
    size_t a_large = allocs_encode(len, &ids_l);
    CHECK(ids_l > 2000000); /* about 2.27 million ids in the 9.4 MB text */
    if (COUNTING) {
        /* Into a caller's buffer: only the long-piece scratch, a few doublings. */
        CHECK_MSG(a_large <= 8, "%zu allocations for %zu ids", a_large, ids_l);
        CHECK_MSG(a_large <= a_small + 2, "%zu allocations for 1 MB, %zu for 9 MB", a_small, a_large);
    }
    size_t s_small = allocs_stream(small, &ids_s);
    size_t s_large = allocs_stream(len, &ids_l);
    printf("allocations: encode 1 MB %zu, 9.4 MB %zu; stream 1 MB %zu, 9.4 MB %zu\n", a_small, a_large, s_small, s_large);
    if (COUNTING) {
        /* Streaming: the pending bytes, the scratch and the output buffer, grown once each or a few times. */
        CHECK_MSG(s_large <= 24, "stream: %zu allocations for %zu ids", s_large, ids_l);
        CHECK_MSG(s_large <= s_small + 4, "stream: %zu allocations for 1 MB, %zu for 9 MB", s_small, s_large);
    }
    /* Counting allocates no more than encoding. */
    size_t n;
    lmp_error err;
    size_t a0 = n_alloc;
    CHECK(lmp_tokenizer_count(tok, text, len, 0, &n, &err) == LMP_OK);
    CHECK_INT(n, ids_l);
    if (COUNTING) CHECK_MSG(n_alloc - a0 <= 8, "count: %zu allocations", n_alloc - a0);
}

int main(int argc, char **argv)
{
    test_chdir_root(argv[0]);
    (void)argc;
    const char *vocab = getenv("LMPROB_GPT2_VOCAB");
    lmp_error err;
    if (lmp_tokenizer_load(vocab && *vocab ? vocab : "build/gpt2", &tok, &err) != LMP_OK) {
        fprintf(stderr, "FAIL: cannot load the GPT-2 vocabulary: %s\n", err.msg);
        test_failed_++;
        return TEST_SUMMARY();
    }
    /* The shared corpora, concatenated as bench/bench_tokenizer.sh does. */
    const char *files[] = {"../shared/data/tinyshakespeare/input.txt", "../shared/data/ptb/ptb.train.txt",
                           "../shared/data/ptb/ptb.valid.txt",        "../shared/data/ptb/ptb.test.txt",
                           "../shared/data/wikitext-2/valid.txt",     "../shared/data/wikitext-2/test.txt"};
    text = malloc((size_t)10 << 20);
    for (size_t i = 0; text && i < sizeof files / sizeof files[0]; i++) {
        FILE *f = fopen(files[i], "rb");
        if (!f) {
            fprintf(stderr, "FAIL: %s missing\n", files[i]);
            test_failed_++;
            return TEST_SUMMARY();
        }
        len += fread(text + len, 1, ((size_t)10 << 20) - len, f);
        fclose(f);
    }
    RUN(test_no_allocation_per_token);
    free(text);
    lmp_tokenizer_free(tok);
    return TEST_SUMMARY();
}
