/* Fuzz GPT-2's encoder (src/tokenizer/encode.c, stream.c) with GPT-2's own vocabulary on any
 * bytes. The vocabulary: $LMPROB_FUZZ_VOCAB, else build/gpt2 (where `make vocab` puts it) found
 * from the program's folder or the current one.
 *
 * The first byte holds the flags (bit 0 SPECIAL, bit 1 RAW_BYTES, bit 2 STRICT when not RAW_BYTES)
 * and, in bits 3-7, how the stream is fed (chunk sizes). Properties:
 *   - encode succeeds (STRICT: fails exactly when the text is invalid UTF-8);
 *   - count == the number of ids; the two-call sizing agrees; the bound holds;
 *   - decode(encode(x)) == x for valid UTF-8 x, and for any x with RAW_BYTES;
 *   - the stream, fed in chunks cut anywhere, gives the ids of one call. */
#include "fuzz.h"

#include <libgen.h>

#include "lmprob/tokenizer.h"

static lmp_tokenizer *tok;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char path[4096];
    const char *env = getenv("LMPROB_FUZZ_VOCAB");
    lmp_error err;
    if (env) snprintf(path, sizeof path, "%s", env);
    else {
        /* build/fuzz/bin/ (make fuzz) or build/fuzz/quick/bin/ (make test): build/gpt2 is two or
         * three folders up. */
        char self[4096];
        snprintf(self, sizeof self, "%s", (*argc > 0) ? (*argv)[0] : ".");
        const char *dir = dirname(self);
        snprintf(path, sizeof path, "%s/../../gpt2", dir);
        if (access(path, R_OK) != 0) snprintf(path, sizeof path, "%s/../../../gpt2", dir);
        if (access(path, R_OK) != 0) snprintf(path, sizeof path, "build/gpt2");
    }
    if (lmp_tokenizer_load(path, &tok, &err) != LMP_OK) {
        fprintf(stderr, "tok_encode: %s (run `make vocab`, or set LMPROB_FUZZ_VOCAB)\n", err.msg);
        exit(1);
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    unsigned sel = data[0];
    unsigned flags = sel & 3u;
    if (!(flags & LMP_TOKENIZER_RAW_BYTES) && (sel & 4u)) flags |= LMP_TOKENIZER_STRICT;
    unsigned chunking = sel >> 3;
    const uint8_t *text = data + 1;
    size_t len = size - 1;
    size_t first_bad;
    size_t nbad = lmp_tokenizer_invalid_utf8(text, len, &first_bad);
    FUZZ_CHECK((nbad == 0) == (first_bad == len));

    lmp_error err;
    lmp_token_buf one;
    lmp_token_buf_init(&one);
    lmp_status st = lmp_tokenizer_encode_buf(tok, text, len, flags, &one, &err);
    if (flags & LMP_TOKENIZER_STRICT) {
        FUZZ_CHECK((st == LMP_OK) == (nbad == 0));
        if (st != LMP_OK) {
            FUZZ_CHECK(st == LMP_EFORMAT);
            lmp_token_buf_free(&one);
            return 0;
        }
    }
    FUZZ_CHECK(st == LMP_OK);
    FUZZ_CHECK(one.n <= lmp_tokenizer_encode_bound(len, flags));

    size_t counted = 0, sized = 0;
    FUZZ_CHECK(lmp_tokenizer_count(tok, text, len, flags, &counted, &err) == LMP_OK);
    FUZZ_CHECK(counted == one.n);
    FUZZ_CHECK(lmp_tokenizer_encode(tok, text, len, flags, NULL, 0, &sized, &err) == LMP_OK);
    FUZZ_CHECK(sized == one.n);

    /* Round trip. */
    size_t out_len = 0;
    FUZZ_CHECK(lmp_tokenizer_decode(tok, one.ids, one.n, NULL, 0, &out_len, &err) == LMP_OK);
    char *out = malloc(out_len + 1);
    if (!out) abort();
    FUZZ_CHECK(lmp_tokenizer_decode(tok, one.ids, one.n, out, out_len + 1, &out_len, &err) == LMP_OK);
    if (nbad == 0 || (flags & LMP_TOKENIZER_RAW_BYTES)) FUZZ_CHECK(out_len == len && memcmp(out, text, len) == 0);
    free(out);

    /* Streaming: chunk sizes from a small generator seeded by the selector byte. */
    lmp_tokenizer_stream *s = NULL;
    FUZZ_CHECK(lmp_tokenizer_stream_create(tok, flags, 0, &s, &err) == LMP_OK);
    lmp_token_buf streamed;
    lmp_token_buf_init(&streamed);
    uint32_t r = chunking * 2654435761u + 1;
    size_t pos = 0;
    while (pos < len) {
        r = r * 1103515245u + 12345u;
        size_t k = chunking == 0 ? len : 1 + (r >> 16) % (chunking < 16 ? chunking : 64);
        if (k > len - pos) k = len - pos;
        FUZZ_CHECK(lmp_tokenizer_stream_feed(s, text + pos, k, &streamed, &err) == LMP_OK);
        pos += k;
    }
    FUZZ_CHECK(lmp_tokenizer_stream_finish(s, &streamed, &err) == LMP_OK);
    lmp_tokenizer_stream_stats ss;
    lmp_tokenizer_stream_get_stats(s, &ss);
    FUZZ_CHECK(ss.bytes == len && ss.ids == one.n && ss.invalid == nbad);
    FUZZ_CHECK(streamed.n == one.n);
    FUZZ_CHECK(one.n == 0 || memcmp(streamed.ids, one.ids, one.n * sizeof *one.ids) == 0);
    lmp_tokenizer_stream_free(s);
    lmp_token_buf_free(&streamed);
    lmp_token_buf_free(&one);
    return 0;
}
