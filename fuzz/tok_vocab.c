/* Fuzz the tokenizer's vocabulary readers (src/tokenizer/load.c). The first byte chooses the
 * format, the rest is the file(s), two files separated by the line "#--#":
 *   0: encoder.json #--# vocab.bpe      (OpenAI)
 *   1: vocab.json #--# merges.txt       (Hugging Face)
 *   2: a tiktoken rank file
 *   3: tokenizer.json                   (Hugging Face's tokenizers, added tokens included)
 * Any bytes load or fail with an error; a vocabulary that loads encodes and decodes a text
 * with every byte value, and decode(encode(x)) == x with RAW_BYTES. */
#include "fuzz.h"

#include "lmprob/tokenizer.h"

static void exercise(const lmp_tokenizer *tok)
{
    unsigned char text[300];
    for (int i = 0; i < 256; i++) text[i] = (unsigned char)i;
    memcpy(text + 256, " hello <|endoftext|> world's 12 ", 32);
    memcpy(text + 288, "[PAD]<|x|> ", 11); /* the added tokens of the seed */
    size_t len = 299;
    lmp_token_buf b;
    lmp_token_buf_init(&b);
    lmp_error err;
    for (unsigned flags = 0; flags <= 3; flags++) {
        b.n = 0;
        if (lmp_tokenizer_encode_buf(tok, text, len, flags, &b, &err) != LMP_OK) continue;
        size_t out_len = 0;
        lmp_status st = lmp_tokenizer_decode(tok, b.ids, b.n, NULL, 0, &out_len, &err);
        FUZZ_CHECK(st == LMP_OK);
        char *out = malloc(out_len + 1);
        if (!out) abort();
        FUZZ_CHECK(lmp_tokenizer_decode(tok, b.ids, b.n, out, out_len + 1, &out_len, &err) == LMP_OK);
        if (flags == LMP_TOKENIZER_RAW_BYTES) FUZZ_CHECK(out_len == len && memcmp(out, text, len) == 0);
        free(out);
    }
    lmp_token_buf_free(&b);
    size_t n = lmp_tokenizer_vocab_size(tok);
    for (size_t i = 0; i < n && i < 300; i++) {
        size_t l1, l2;
        const char *by = lmp_tokenizer_token_bytes(tok, (lmp_token_id)i, &l1);
        const char *nm = lmp_tokenizer_token_name(tok, (lmp_token_id)i, &l2);
        FUZZ_CHECK(by != NULL && nm != NULL);
        FUZZ_CHECK(lmp_tokenizer_find_bytes(tok, by, l1) != LMP_TOKEN_NONE);
        FUZZ_CHECK(lmp_tokenizer_find_name(tok, nm, l2) != LMP_TOKEN_NONE);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    unsigned fmt = data[0] % 4;
    const uint8_t *a = data + 1, *b;
    size_t a_len, b_len;
    fuzz_split(a, size - 1, "\n#--#\n", &a_len, &b, &b_len);
    char p1[512], p2[512];
    const char *load;
    if (fmt == 0) {
        fuzz_write_file("encoder.json", a, a_len, p1);
        fuzz_write_file("vocab.bpe", b, b_len, p2);
        load = p1;
    } else if (fmt == 1) {
        fuzz_write_file("vocab.json", a, a_len, p1);
        fuzz_write_file("merges.txt", b, b_len, p2);
        load = p1;
    } else if (fmt == 3) {
        fuzz_write_file("tokenizer.json", data + 1, size - 1, p1);
        load = p1;
    } else {
        fuzz_write_file("ranks.tiktoken", data + 1, size - 1, p1);
        load = p1;
    }
    lmp_tokenizer *tok = NULL;
    lmp_error err;
    lmp_status st = lmp_tokenizer_load(load, &tok, &err);
    FUZZ_CHECK((st == LMP_OK) == (tok != NULL));
    if (tok) exercise(tok);
    lmp_tokenizer_free(tok);
    return 0;
}
