/* Fuzz the binary model loaders (src/ngram/binary.c hashed, src/ngram/trie.c trie) and the
 * checker behind `lmprob model verify` (lmp_ngram_verify), and the header-only peek at the token
 * record (lmp_ngram_peek_tokens, ng_binary_peek_meta) that commands run before loading.
 *
 * Each input is loaded twice: as it is (the header and section checksums catch most changes),
 * then with every checksum recomputed the way the writer computes it (ng_checksum per section,
 * ng_header_checksum over the header), so that mutated vocabularies, tables, trie levels and metadata reach
 * the structural checks behind the checksums. Any bytes load or fail, never crash or read past
 * the file; a model that loads is scored (binary.c: "a corrupt table gives wrong numbers, never
 * a crash"). */
#include "fuzz_ngram.h"
#include "ngram_internal.h"

static void load_and_score(const void *data, size_t size)
{
    char path[64];
    int fd = fuzz_memfile(data, size, path);
    lmp_ngram *m = NULL;
    lmp_error err;
    lmp_ngram_tokens peek_have = LMP_NGRAM_TOKENS_UNKNOWN;
    int peeked = 0;
    lmp_status peek_st = lmp_ngram_peek_tokens(path, LMP_NGRAM_TOKENS_UNKNOWN, &peek_have, &peeked, &err);
    lmp_status st = lmp_ngram_load_binary(path, &m, &err);
    FUZZ_CHECK((st == LMP_OK) == (m != NULL));
    /* the peek checks the header and metadata as the loader does: a model that loads peeks without
     * an error, to the same token record */
    if (m) FUZZ_CHECK(peek_st == LMP_OK);
    if (m && peeked) FUZZ_CHECK(peek_have == lmp_ngram_get_tokens(m));
    if (m) {
        fuzz_score_model(m);
        for (size_t i = 0; i < lmp_ngram_meta_count(m); i++) {
            const char *k, *v;
            lmp_ngram_meta_at(m, i, &k, &v);
            FUZZ_CHECK(k && v);
        }
        lmp_ngram_free(m);
    }
    (void)lmp_ngram_verify(path, NULL, NULL, &err);
    close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    load_and_score(data, size);
    if (size < NG_HEADER_BYTES || memcmp(data, "LMPNGRAM", 8) != 0) return 0;
    unsigned char *c = malloc(size);
    if (!c) abort();
    memcpy(c, data, size);
    ng_header h;
    memcpy(&h, c, sizeof h);
    for (unsigned i = 0; i < h.n_sections && i < NG_MAX_SECTIONS; i++) {
        uint64_t off = h.sec[i].off, n = h.sec[i].bytes;
        if (off <= size && n <= size - off) h.sec[i].sum = ng_checksum(c + off, n);
    }
    memcpy(c, &h, sizeof h);
    uint64_t sum = ng_header_checksum(c);
    memcpy(c + NG_HEADER_BYTES - 8, &sum, 8);
    load_and_score(c, size);
    free(c);
    return 0;
}
