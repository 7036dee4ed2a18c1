/* Fuzz the binary model loaders (src/ngram/binary.c hashed, src/ngram/trie.c trie) and the
 * checker behind `lmprob model verify` (lmp_ngram_verify).
 *
 * Each input is loaded twice: as it is (the header and section checksums catch most changes),
 * then with every checksum recomputed the way the writer computes it (ng_checksum per section,
 * FNV-1a over the header), so that mutated vocabularies, tables, trie levels and metadata reach
 * the structural checks behind the checksums. Any bytes load or fail, never crash or read past
 * the file; a model that loads is scored (binary.c: "a corrupt table gives wrong numbers, never
 * a crash"). */
#include "fuzz.h"

#include "lmprob/ngram.h"
#include "ngram_internal.h"

static void load_and_score(const void *data, size_t size)
{
    char path[64];
    int fd = fuzz_memfile(data, size, path);
    lmp_ngram *m = NULL;
    lmp_error err;
    lmp_status st = lmp_ngram_load_binary(path, &m, &err);
    FUZZ_CHECK((st == LMP_OK) == (m != NULL));
    if (m) {
        size_t V = lmp_ngram_vocab_size(m);
        lmp_ngram_stats acc = {0};
        char line[256];
        size_t len = 0;
        for (size_t i = 0; i < V && i < 10; i++) {
            const char *w = lmp_ngram_word(m, (lmp_token_id)i);
            size_t n = w ? strlen(w) : 0;
            if (!n || len + n + 1 >= sizeof line) continue;
            memcpy(line + len, w, n);
            len += n;
            line[len++] = ' ';
        }
        lmp_ngram_score_line(m, line, len, &acc, NULL);
        lmp_ngram_score_line(m, "a b oov", 7, &acc, NULL);
        lmp_ngram_info info;
        lmp_ngram_get_info(m, &info);
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

static uint64_t fnv1a(const unsigned char *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 0x100000001b3ULL;
    return h;
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
    uint64_t sum = fnv1a(c, NG_HEADER_BYTES - 8);
    memcpy(c + NG_HEADER_BYTES - 8, &sum, 8);
    load_and_score(c, size);
    free(c);
    return 0;
}
