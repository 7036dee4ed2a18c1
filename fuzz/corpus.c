/* Fuzz the corpus reader (src/corpus/corpus.c over the line reader src/core/reader.c).
 *
 * The first byte chooses how the rest is read:
 *   bits 0-1  mode: word, char, byte (3: word)
 *   bit 2     replace_invalid          bit 3  skip_markers
 *   bits 4-5  0: the bytes as given (so gzip/xz headers and streams are fuzzed as they are);
 *             1: gzip-compressed here, 2: xz-compressed here, 3: gzip, in two members
 *   bit 6     max_line = 200 instead of the default
 *   bit 7     compress with no compression (stored blocks / preset 0): the compressed input is
 *             then about as large as the text, so inputs of a few hundred KiB make the reader
 *             refill its input buffer many times (issue 11: corpora over 64 KiB were "corrupt")
 * Property: a compressed text reads exactly as the same text read plain: the same lines, tokens,
 * statistics and final status (an error's line number too). */
#include "fuzz.h"

#include <lzma.h>
#include <zlib.h>

#include "lmprob/corpus.h"

typedef struct digest {
    uint64_t h;         /* FNV-1a over every token and line boundary */
    uint64_t lines, tokens;
    lmp_status end;     /* LMP_EOF or the error that stopped the reading */
    long err_line;
    lmp_corpus_stats stats;
} digest;

static void mix(uint64_t *h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) *h = (*h ^ b[i]) * 1099511628211u;
}

static int read_all(const void *buf, size_t size, const lmp_corpus_params *par, digest *d)
{
    memset(d, 0, sizeof *d);
    d->h = 14695981039346656037u;
    lmp_corpus *c = NULL;
    lmp_error err;
    lmp_status st = lmp_corpus_create(buf, size, "fuzz", par, &c, &err);
    if (st != LMP_OK) {
        FUZZ_CHECK(c == NULL);
        d->end = st;
        return -1;
    }
    for (;;) {
        const lmp_token *t;
        size_t n;
        st = lmp_corpus_next_line(c, &t, &n, &err);
        if (st != LMP_OK) break;
        d->lines++;
        d->tokens += n;
        for (size_t i = 0; i < n; i++) {
            mix(&d->h, t[i].ptr, t[i].len);
            mix(&d->h, "\x01", 1);
        }
        size_t len;
        const char *line = lmp_corpus_line(c, &len);
        FUZZ_CHECK(line != NULL || len == 0);
        mix(&d->h, "\x02", 1);
    }
    d->end = st;
    d->err_line = st == LMP_EOF ? 0 : err.line;
    lmp_corpus_get_stats(c, &d->stats);
    /* A second call after the end gives the same answer again. */
    const lmp_token *t;
    size_t n;
    FUZZ_CHECK(lmp_corpus_next_line(c, &t, &n, &err) == st);
    lmp_corpus_free(c);
    return 0;
}

static unsigned char *gzip(const uint8_t *p, size_t n, int level, int members, size_t *out_len)
{
    size_t cap = 2 * n + 256 * (size_t)members + 64, len = 0;
    unsigned char *out = malloc(cap);
    if (!out) abort();
    for (int m = 0; m < members; m++) {
        size_t a = n * (size_t)m / (size_t)members, b = n * (size_t)(m + 1) / (size_t)members;
        z_stream z;
        memset(&z, 0, sizeof z);
        if (deflateInit2(&z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) abort();
        z.next_in = (Bytef *)(uintptr_t)(p + a);
        z.avail_in = (uInt)(b - a);
        z.next_out = out + len;
        z.avail_out = (uInt)(cap - len);
        if (deflate(&z, Z_FINISH) != Z_STREAM_END) abort();
        len = cap - z.avail_out;
        deflateEnd(&z);
    }
    *out_len = len;
    return out;
}

static unsigned char *xz(const uint8_t *p, size_t n, int store, size_t *out_len)
{
    size_t cap = lzma_stream_buffer_bound(n), len = 0;
    unsigned char *out = malloc(cap);
    if (!out) abort();
    if (lzma_easy_buffer_encode(store ? 0 : 1, LZMA_CHECK_CRC32, NULL, p, n, out, &len, cap) != LZMA_OK) abort();
    *out_len = len;
    return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    unsigned sel = data[0];
    const uint8_t *text = data + 1;
    size_t n = size - 1;
    lmp_corpus_params par;
    lmp_corpus_params_init(&par);
    par.mode = (sel & 3) == 3 ? LMP_CORPUS_WORD : (lmp_corpus_mode)(sel & 3);
    par.replace_invalid = (sel >> 2) & 1;
    par.skip_markers = (sel >> 3) & 1;
    if (sel & 0x40) par.max_line = 200;
    unsigned how = (sel >> 4) & 3;
    int store = (sel >> 7) & 1;

    digest plain, packed;
    read_all(text, n, &par, &plain);
    if (how == 0) return 0;
    size_t clen;
    unsigned char *c = how == 2 ? xz(text, n, store, &clen) : gzip(text, n, store ? 0 : 1, how == 3 ? 2 : 1, &clen);
    read_all(c, clen, &par, &packed);
    free(c);
    /* The plain reader may take compressed-looking text for a compressed stream; compare only
     * when the text itself is not one. */
    int looks_packed = (n >= 2 && text[0] == 0x1f && text[1] == 0x8b) || (n >= 6 && memcmp(text, "\xfd" "7zXZ", 6) == 0);
    if (looks_packed) return 0;
    FUZZ_CHECK(packed.end == plain.end);
    FUZZ_CHECK(packed.lines == plain.lines);
    FUZZ_CHECK(packed.tokens == plain.tokens);
    FUZZ_CHECK(packed.h == plain.h);
    FUZZ_CHECK(packed.err_line == plain.err_line);
    FUZZ_CHECK(packed.stats.bytes == plain.stats.bytes);
    FUZZ_CHECK(packed.stats.replaced == plain.stats.replaced);
    return 0;
}
