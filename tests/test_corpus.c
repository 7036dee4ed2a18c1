/* Corpus reader: lines, tokenisers, compression, UTF-8 policy, markers, stats. */
#include <lzma.h>
#include <stdlib.h>
#include <string.h>
#define ZLIB_CONST /* next_in is const: the test reads its text, never writes it */
#include <zlib.h>

#include "lmprob/corpus.h"
#include "test.h"

/* Read all lines of data, joining tokens with '|' and lines with '\n'. */
static lmp_status read_all(const void *data, size_t n, const lmp_corpus_params *p, char *out, size_t cap,
                           lmp_corpus_stats *stats, lmp_error *err)
{
    lmp_corpus *c;
    lmp_status st = lmp_corpus_create(data, n, "mem.txt", p, &c, err);
    if (st) return st;
    size_t k = 0;
    out[0] = '\0';
    const lmp_token *t;
    size_t nt;
    while ((st = lmp_corpus_next_line(c, &t, &nt, err)) == LMP_OK) {
        for (size_t i = 0; i < nt; i++) {
            if (i && k + 1 < cap) out[k++] = '|';
            for (size_t j = 0; j < t[i].len && k + 1 < cap; j++) out[k++] = t[i].ptr[j];
        }
        if (k + 1 < cap) out[k++] = '\n';
        out[k] = '\0';
    }
    if (stats) lmp_corpus_get_stats(c, stats);
    lmp_corpus_free(c);
    return st == LMP_EOF ? LMP_OK : st;
}

static void test_words_and_lines(void)
{
    /* KenLM's delimiters: space, tab, CR, NUL; \v and \f are not. An empty and an
     * all-blank line are still lines; the last line needs no '\n'; CRLF works. */
    const char text[] = "the  cat\tsat\r\n\n   \nx\vy z\nlast";
    char out[256];
    lmp_corpus_stats s;
    lmp_error err;
    CHECK_INT(read_all(text, sizeof text - 1, NULL, out, sizeof out, &s, &err), LMP_OK);
    CHECK_MSG(strcmp(out, "the|cat|sat\n\n\nx\vy|z\nlast\n") == 0, "got '%s'", out);
    CHECK_INT(s.lines, 5);
    CHECK_INT(s.tokens, 6);
    CHECK_INT(s.bytes, sizeof text - 1); /* every byte, newlines included */
    CHECK_INT(s.line_bytes, 4);
}

static void test_unk_is_a_word(void)
{
    const char text[] = "a <unk> b\n";
    char out[64];
    lmp_error err;
    CHECK_INT(read_all(text, sizeof text - 1, NULL, out, sizeof out, NULL, &err), LMP_OK);
    CHECK(strcmp(out, "a|<unk>|b\n") == 0);
}

static void test_markers(void)
{
    const char text[] = "ok line\nfoo <s> bar\n";
    char out[64];
    lmp_error err;
    lmp_error_clear(&err);
    CHECK_INT(read_all(text, sizeof text - 1, NULL, out, sizeof out, NULL, &err), LMP_EFORMAT);
    CHECK_INT(err.line, 2);
    CHECK_INT(err.col, 5);
    CHECK_MSG(strstr(err.msg, "mem.txt:2") && strstr(err.msg, "<s>"), "msg: %s", err.msg);
    lmp_corpus_params p;
    lmp_corpus_params_init(&p);
    p.skip_markers = 1;
    lmp_corpus_stats s;
    const char t2[] = "foo <s> bar </s>\n";
    CHECK_INT(read_all(t2, sizeof t2 - 1, &p, out, sizeof out, &s, &err), LMP_OK);
    CHECK(strcmp(out, "foo|bar\n") == 0);
    CHECK_INT(s.skipped, 2);
    /* a text to score (query_words): markers are tokens, a word's bytes need not be UTF-8 (KenLM's
     * query); skip_markers still drops the markers; char mode still decodes (and refuses) */
    lmp_corpus_params q;
    lmp_corpus_params_init(&q);
    q.query_words = 1;
    const char t3[] = "foo <s> b\xFFr </s>\n";
    CHECK_INT(read_all(t3, sizeof t3 - 1, &q, out, sizeof out, &s, &err), LMP_OK);
    CHECK_MSG(strcmp(out, "foo|<s>|b\xFFr|</s>\n") == 0, "got '%s'", out);
    q.skip_markers = 1;
    CHECK_INT(read_all(t3, sizeof t3 - 1, &q, out, sizeof out, &s, &err), LMP_OK);
    CHECK_MSG(strcmp(out, "foo|b\xFFr\n") == 0, "got '%s'", out);
    q.skip_markers = 0;
    q.mode = LMP_CORPUS_CHAR;
    CHECK_INT(read_all(t3, sizeof t3 - 1, &q, out, sizeof out, &s, &err), LMP_EFORMAT);
}

static void test_utf8(void)
{
    /* "é" is valid; 0xFF, a lone continuation byte and the overlong C0 80 are not. */
    const char good[] = "caf\xC3\xA9 ok\n";
    const char bad[] = "fine\nab \xC3\xA9 \xFF x\n";
    char out[128];
    lmp_error err;
    CHECK_INT(read_all(good, sizeof good - 1, NULL, out, sizeof out, NULL, &err), LMP_OK);
    CHECK(strcmp(out, "caf\xC3\xA9|ok\n") == 0);
    CHECK_INT(read_all(bad, sizeof bad - 1, NULL, out, sizeof out, NULL, &err), LMP_EFORMAT);
    CHECK_INT(err.line, 2);
    CHECK_INT(err.col, 7); /* 1-based byte offset of 0xFF in "ab é \xFF x" */
    CHECK_MSG(strstr(err.msg, "mem.txt:2") && strstr(err.msg, "byte 7"), "msg: %s", err.msg);
    lmp_corpus_params p;
    lmp_corpus_params_init(&p);
    p.replace_invalid = 1;
    lmp_corpus_stats s;
    const char bad2[] = "a\xFF" "b \xC0\x80 \xE2\x82\n";
    CHECK_INT(read_all(bad2, sizeof bad2 - 1, &p, out, sizeof out, &s, &err), LMP_OK);
    /* C0 and 80 are two maximal subparts; the truncated E2 82 is one (Unicode 3.9). */
    CHECK_MSG(strcmp(out, "a\xEF\xBF\xBD" "b|\xEF\xBF\xBD\xEF\xBF\xBD|\xEF\xBF\xBD\n") == 0, "got '%s'", out);
    CHECK_INT(s.replaced, 4);
    /* Surrogates (ED A0 80) are invalid. */
    const char sur[] = "\xED\xA0\x80\n";
    CHECK_INT(read_all(sur, sizeof sur - 1, NULL, out, sizeof out, NULL, &err), LMP_EFORMAT);
    /* lmp_utf8_char (core.h), the decoder behind both: a length, or minus a maximal invalid subpart's
     * (the lengths of Python's bytes.decode("utf-8", "replace"), one U+FFFD each). */
    CHECK_INT(lmp_utf8_char("a", 1), 1);
    CHECK_INT(lmp_utf8_char("\xC3\xA9", 2), 2);
    CHECK_INT(lmp_utf8_char("\xE6\x97\xA5", 3), 3);
    CHECK_INT(lmp_utf8_char("\xF0\x9F\x98\x80", 4), 4);
    CHECK_INT(lmp_utf8_char("\xE6\x97", 2), -2);          /* cut by the end: one subpart */
    CHECK_INT(lmp_utf8_char("\xF0\x9F\x98" "a", 4), -3);  /* cut by an ASCII byte */
    CHECK_INT(lmp_utf8_char("\xFF", 1), -1);
    CHECK_INT(lmp_utf8_char("\xC0\xAF", 2), -1);          /* overlong lead: each byte alone */
    CHECK_INT(lmp_utf8_char("\xED\xA0\x80", 3), -1);      /* surrogate: ED then A0 80 */
    CHECK_INT(lmp_utf8_char("\xF4\x90\x80\x80", 4), -1); /* above U+10FFFF */
    CHECK_INT(lmp_utf8_char("", 0), 0);
}

static void test_char_and_byte_modes(void)
{
    const char text[] = "h\xC3\xA9 y\tz\n";
    char out[128];
    lmp_error err;
    lmp_corpus_params p;
    lmp_corpus_params_init(&p);
    p.mode = LMP_CORPUS_CHAR;
    CHECK_INT(read_all(text, sizeof text - 1, &p, out, sizeof out, NULL, &err), LMP_OK);
    CHECK_MSG(strcmp(out, "h|\xC3\xA9|<sp>|y|<tab>|z\n") == 0, "got '%s'", out);
    p.mode = LMP_CORPUS_BYTE;
    const char t2[] = "a \xFF<\n";
    lmp_corpus_stats s;
    CHECK_INT(read_all(t2, sizeof t2 - 1, &p, out, sizeof out, &s, &err), LMP_OK);
    CHECK_MSG(strcmp(out, "a|<0x20>|<0xFF>|<\n") == 0, "got '%s'", out);
    CHECK_INT(s.tokens, 4);
}

/* text as two gzip members (as `cat a.gz b.gz` makes); returns the size. */
static size_t gzip_two_members(const char *text, size_t n, int level, unsigned char *gz, size_t cap)
{
    size_t gzlen = 0;
    for (int member = 0; member < 2; member++) {
        size_t half = n / 2, from = member ? half : 0, len = member ? n - half : half;
        z_stream z;
        memset(&z, 0, sizeof z);
        CHECK(deflateInit2(&z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK);
        z.next_in = (const Bytef *)text + from;
        z.avail_in = (uInt)len;
        z.next_out = gz + gzlen;
        z.avail_out = (uInt)(cap - gzlen);
        CHECK(deflate(&z, Z_FINISH) == Z_STREAM_END);
        gzlen = cap - z.avail_out;
        deflateEnd(&z);
    }
    return gzlen;
}

static void test_gzip_xz(void)
{
    /* The same text plain, gzip (two members) and xz gives the same tokens. */
    char text[4000];
    size_t n = 0;
    for (int i = 0; i < 200; i++) n += (size_t)snprintf(text + n, sizeof text - n, "w%d x%d\n", i % 17, i);
    char plain[8192], out[8192];
    lmp_error err;
    CHECK_INT(read_all(text, n, NULL, plain, sizeof plain, NULL, &err), LMP_OK);

    unsigned char gz[8192];
    size_t gzlen = gzip_two_members(text, n, 6, gz, sizeof gz);
    CHECK_INT(read_all(gz, gzlen, NULL, out, sizeof out, NULL, &err), LMP_OK);
    CHECK(strcmp(out, plain) == 0);
    /* Truncated gzip is an error, not a silent short read. */
    CHECK_INT(read_all(gz, gzlen / 3, NULL, out, sizeof out, NULL, &err), LMP_EFORMAT);

    uint8_t xz[8192];
    size_t xzlen = 0;
    CHECK(lzma_easy_buffer_encode(6, LZMA_CHECK_CRC64, NULL, (const uint8_t *)text, n, xz, &xzlen, sizeof xz) == LZMA_OK);
    CHECK_INT(read_all(xz, xzlen, NULL, out, sizeof out, NULL, &err), LMP_OK);
    CHECK(strcmp(out, plain) == 0);
    CHECK_INT(read_all(xz, xzlen - 7, NULL, out, sizeof out, NULL, &err), LMP_EFORMAT);

    lmp_corpus *c;
    CHECK_INT(lmp_corpus_create(xz, xzlen, NULL, NULL, &c, &err), LMP_OK);
    CHECK(strcmp(lmp_corpus_compression(c), "xz") == 0);
    lmp_corpus_free(c);
}

static void test_long_line_and_files(void)
{
    /* A line longer than the internal buffer (64 KiB) is read whole. */
    size_t n = 300000;
    char *big = malloc(n + 2);
    CHECK(big != NULL);
    if (!big) return;
    for (size_t i = 0; i < n; i++) big[i] = (i % 7 == 6) ? ' ' : 'a';
    big[n] = '\n';
    lmp_corpus *c;
    lmp_error err;
    CHECK_INT(lmp_corpus_create(big, n + 1, NULL, NULL, &c, &err), LMP_OK);
    const lmp_token *t;
    size_t nt;
    CHECK_INT(lmp_corpus_next_line(c, &t, &nt, &err), LMP_OK);
    CHECK_INT(nt, n / 7 + (n % 7 ? 1 : 0));
    CHECK_INT(lmp_corpus_next_line(c, &t, &nt, &err), LMP_EOF);
    CHECK_INT(lmp_corpus_next_line(c, &t, &nt, &err), LMP_EOF);
    lmp_corpus_free(c);
    free(big);
    /* A missing file names itself. */
    CHECK_INT(lmp_corpus_load("/nonexistent/dir/corpus.txt", NULL, &c, &err), LMP_EIO);
    CHECK(c == NULL);
    CHECK(strstr(err.msg, "/nonexistent/dir/corpus.txt") != NULL);
    /* A real file (the training fixture). */
    CHECK_INT(lmp_corpus_load("tests/fixtures/train_small.txt", NULL, &c, &err), LMP_OK);
    long lines = 0;
    lmp_status st;
    while ((st = lmp_corpus_next_line(c, &t, &nt, &err)) == LMP_OK) lines++;
    CHECK_INT(st, LMP_EOF);
    CHECK_INT(lines, 15);
    CHECK_INT(lmp_corpus_line_number(c), 15);
    lmp_corpus_free(c);
    lmp_corpus_free(NULL);
}

/* ---- compressed input larger than every buffer (issue 11: a gzip or xz corpus over
 * 64 KiB was rejected as corrupt: the refill overwrote input zlib had not consumed) ---- */

static uint64_t xs_next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* About `target` bytes of text: random lowercase words (high entropy, so the
 * compressed file is about as large), lines of 0..40 words, and one line of
 * target * 3/64 words (about 2.4 MB of 8), longer than any of the reader's buffers (256 KiB). */
static char *big_text(size_t target, size_t *n)
{
    char *t = malloc(target + 4096 + target / 8 * 3);
    if (!t) return NULL;
    uint64_t s = 0x9e3779b97f4a7c15ULL;
    size_t k = 0;
    int long_done = 0;
    while (k < target) {
        size_t words = (size_t)(xs_next(&s) % 41);
        if (!long_done && k > target / 2) {
            words = target / 8 * 3 / 8;
            long_done = 1;
        }
        for (size_t w = 0; w < words; w++) {
            size_t len = 1 + (size_t)(xs_next(&s) % 9);
            for (size_t i = 0; i < len; i++) t[k++] = (char)('a' + xs_next(&s) % 26);
            if (w + 1 < words) t[k++] = ' ';
        }
        t[k++] = '\n';
    }
    *n = k;
    return t;
}

/* Lines, tokens and an FNV-1a hash of every token, read from a file. */
typedef struct digest {
    uint64_t lines, tokens, hash, bytes;
    lmp_status st;
} digest;

static digest digest_file(const char *path)
{
    digest d = {0, 0, 1469598103934665603ULL, 0, LMP_OK};
    lmp_corpus *c;
    lmp_error err;
    lmp_status st = lmp_corpus_load(path, NULL, &c, &err);
    if (st) {
        d.st = st;
        return d;
    }
    const lmp_token *t;
    size_t nt;
    while ((st = lmp_corpus_next_line(c, &t, &nt, &err)) == LMP_OK) {
        d.lines++;
        for (size_t i = 0; i < nt; i++) {
            for (size_t j = 0; j < t[i].len; j++) d.hash = (d.hash ^ (unsigned char)t[i].ptr[j]) * 1099511628211ULL;
            d.hash = (d.hash ^ 0xff) * 1099511628211ULL;
        }
        d.tokens += nt;
    }
    lmp_corpus_stats cs;
    lmp_corpus_get_stats(c, &cs);
    d.bytes = cs.bytes;
    d.st = st == LMP_EOF ? LMP_OK : st;
    lmp_corpus_free(c);
    return d;
}

static void test_big_compressed_files(void)
{
    /* 8 MB; 2 MB under an emulator (tests/test.h test_scaled), still 8 times the reader's
     * buffers, with a line of about 0.6 MB */
    const size_t target = (size_t)test_scaled(8L << 20, 2L << 20);
    size_t n;
    char *text = big_text(target, &n);
    CHECK(text != NULL);
    if (!text) return;
    char dir[] = "/tmp/lmprob-test-corpus-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char plain[64], gzp[64], xzp[64];
    snprintf(plain, sizeof plain, "%s/c.txt", dir);
    snprintf(gzp, sizeof gzp, "%s/c.txt.gz", dir);
    snprintf(xzp, sizeof xzp, "%s/c.txt.xz", dir);
    CHECK(test_write_file(plain, text, n) == 0);

    /* gzip: two members, level 1 to keep the test quick. */
    size_t cap = n + n / 100 + 4096;
    unsigned char *gz = malloc(cap);
    CHECK(gz != NULL);
    size_t gzlen = gz ? gzip_two_members(text, n, 1, gz, cap) : 0;
    CHECK_MSG(gzlen > target / 2, "gzip size %zu: expected over %zu", gzlen, target / 2);
    CHECK(test_write_file(gzp, gz, gzlen) == 0);

    uint8_t *xz = malloc(cap);
    size_t xzlen = 0;
    CHECK(xz != NULL);
    if (xz) CHECK(lzma_easy_buffer_encode(0, LZMA_CHECK_CRC32, NULL, (const uint8_t *)text, n, xz, &xzlen, cap) == LZMA_OK);
    CHECK_MSG(xzlen > target / 2, "xz size %zu: expected over %zu", xzlen, target / 2);
    CHECK(test_write_file(xzp, xz, xzlen) == 0);

    digest a = digest_file(plain), b = digest_file(gzp), c = digest_file(xzp);
    CHECK_INT(a.st, LMP_OK);
    CHECK_INT(b.st, LMP_OK);
    CHECK_INT(c.st, LMP_OK);
    CHECK(a.lines > target / 200); /* 41,943 for 8 MB */
    CHECK_INT(b.lines, a.lines);
    CHECK_INT(c.lines, a.lines);
    CHECK_INT(b.tokens, a.tokens);
    CHECK_INT(c.tokens, a.tokens);
    CHECK(b.hash == a.hash);
    CHECK(c.hash == a.hash);
    CHECK_INT(a.bytes, n);
    CHECK_INT(b.bytes, n);
    CHECK_INT(c.bytes, n);

    /* The same bytes from memory. */
    lmp_error err;
    lmp_corpus *cm;
    CHECK_INT(lmp_corpus_create(gz, gzlen, "mem.gz", NULL, &cm, &err), LMP_OK);
    uint64_t lines = 0;
    const lmp_token *t;
    size_t nt;
    lmp_status st;
    while ((st = lmp_corpus_next_line(cm, &t, &nt, &err)) == LMP_OK) lines++;
    CHECK_INT(st, LMP_EOF);
    CHECK_INT(lines, a.lines);
    lmp_corpus_free(cm);

    /* Truncated in the middle: an error, never a silent short read. */
    CHECK(test_write_file(gzp, gz, gzlen / 2) == 0);
    CHECK_INT(digest_file(gzp).st, LMP_EFORMAT);
    CHECK(test_write_file(xzp, xz, xzlen / 2) == 0);
    CHECK_INT(digest_file(xzp).st, LMP_EFORMAT);

    remove(plain);
    remove(gzp);
    remove(xzp);
    remove(dir);
    free(gz);
    free(xz);
    free(text);
}

/* Texts whole and streamed (core.h, "texts"): the same bytes from plain, gzip (two members) and xz files, whole
 * and in reads of a few bytes; the bound on the decompressed size; bzip2 refused; a truncated stream an error. */
static void test_read_text(void)
{
    size_t n;
    char *text = big_text((size_t)test_scaled(1L << 20, 1L << 19), &n); /* several of the reader's 256 KiB chunks */
    CHECK(text != NULL);
    if (!text) return;
    char dir[] = "/tmp/lmprob-test-text-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[3][64];
    const char *ext[3] = {"txt", "txt.gz", "txt.xz"};
    size_t cap = n + n / 100 + 4096, gzlen = 0, xzlen = 0;
    unsigned char *gz = malloc(cap);
    uint8_t *xz = malloc(cap);
    CHECK(gz && xz);
    if (gz) gzlen = gzip_two_members(text, n, 1, gz, cap);
    if (xz) CHECK(lzma_easy_buffer_encode(0, LZMA_CHECK_CRC32, NULL, (const uint8_t *)text, n, xz, &xzlen, cap) == LZMA_OK);
    const void *bytes[3] = {text, gz, xz};
    const size_t lens[3] = {n, gzlen, xzlen};
    const char *comp[3] = {"plain", "gzip", "xz"};
    lmp_error err;
    for (int k = 0; k < 3; k++) {
        snprintf(path[k], sizeof path[k], "%s/t.%s", dir, ext[k]);
        CHECK(test_write_file(path[k], bytes[k], lens[k]) == 0);
        char *got = NULL;
        size_t len = 0;
        CHECK_INT(lmp_read_text(path[k], 0, &got, &len, &err), LMP_OK);
        CHECK_MSG(got && len == n && memcmp(got, text, n) == 0 && got[len] == '\0', "lmp_read_text %s", ext[k]);
        free(got);
        /* streamed in reads of 4093 bytes (a prime: the reads straddle every internal chunk), then 0 at the end */
        lmp_text_reader *r = NULL;
        CHECK_INT(lmp_text_reader_open(path[k], &r, &err), LMP_OK);
        if (!r) continue;
        CHECK(strcmp(lmp_text_reader_compression(r), comp[k]) == 0);
        char *back = malloc(n + 4093);
        size_t at = 0, g = 0;
        int short_reads = 0;
        lmp_status st = LMP_OK;
        while (back && (st = lmp_text_reader_read(r, back + at, 4093, &g, &err)) == LMP_OK && g > 0) {
            short_reads += g < 4093;
            at += g;
        }
        CHECK_INT(st, LMP_OK);
        CHECK_MSG(at == n && back && memcmp(back, text, n) == 0, "lmp_text_reader %s: %zu bytes of %zu", ext[k], at, n);
        CHECK_INT(short_reads, n % 4093 != 0); /* a read falls short only at the end */
        CHECK(lmp_text_reader_bytes(r) == n);
        CHECK_INT(lmp_text_reader_read(r, back, 10, &g, &err), LMP_OK); /* after the end: 0 again */
        CHECK(g == 0);
        free(back);
        lmp_text_reader_free(r);
        /* the bound is on the decompressed text: n - 1 bytes is too few, n is enough */
        CHECK_INT(lmp_read_text(path[k], n - 1, &got, &len, &err), LMP_EUNSUPPORTED);
        CHECK(got == NULL && len == 0);
        CHECK_INT(lmp_read_text(path[k], n, &got, &len, &err), LMP_OK);
        free(got);
    }
    /* truncated: an error naming the file, never a short text */
    CHECK(test_write_file(path[1], gz, gzlen / 2) == 0);
    char *got = NULL;
    size_t len = 0;
    CHECK_INT(lmp_read_text(path[1], 0, &got, &len, &err), LMP_EFORMAT);
    CHECK(strstr(err.msg, "t.txt.gz") != NULL && strstr(err.msg, "truncated gzip") != NULL);
    lmp_text_reader *r = NULL;
    CHECK(test_write_file(path[2], xz, xzlen / 2) == 0);
    CHECK_INT(lmp_text_reader_open(path[2], &r, &err), LMP_OK); /* found when the reads reach the cut */
    {
        char buf[65536];
        size_t g = 1;
        lmp_status st = LMP_OK;
        while (g > 0 && (st = lmp_text_reader_read(r, buf, sizeof buf, &g, &err)) == LMP_OK) {
        }
        CHECK_INT(st, LMP_EFORMAT);
        CHECK_INT(lmp_text_reader_read(r, buf, sizeof buf, &g, &err), LMP_EFORMAT); /* sticky */
    }
    lmp_text_reader_free(r);
    /* bzip2 is refused by name, not read as text */
    static const char bz[] = "BZh91AY&SY\x01\x02\x03\x04";
    CHECK(test_write_file(path[0], bz, sizeof bz - 1) == 0);
    CHECK_INT(lmp_read_text(path[0], 0, &got, &len, &err), LMP_EUNSUPPORTED);
    CHECK(strstr(err.msg, "bzip2") != NULL);
    /* bad arguments */
    CHECK_INT(lmp_read_text(path[0], 0, NULL, &len, &err), LMP_EINVAL);
    CHECK_INT(lmp_text_reader_open(NULL, &r, &err), LMP_EINVAL);
    CHECK_INT(lmp_text_reader_open(path[0], NULL, &err), LMP_EINVAL);
    CHECK_INT(lmp_text_reader_read(NULL, got, 0, &len, &err), LMP_EINVAL);
    CHECK_INT(lmp_text_reader_open(dir, &r, &err), LMP_EIO); /* a folder */
    CHECK(r == NULL);
    lmp_text_reader_free(NULL);
    for (int k = 0; k < 3; k++) remove(path[k]);
    remove(dir);
    free(gz);
    free(xz);
    free(text);
}

/* A line longer than max_line is refused once max_line bytes are read (bounded
 * memory), naming the file, the line and the limit. */
static void test_max_line(void)
{
    size_t n = 100000;
    char *t = malloc(n + 16);
    CHECK(t != NULL);
    if (!t) return;
    memcpy(t, "short line\n", 11);
    memset(t + 11, 'a', n);
    t[11 + n] = '\n';
    lmp_corpus_params p;
    lmp_corpus_params_init(&p);
    p.max_line = 4096;
    lmp_corpus *c;
    lmp_error err;
    const lmp_token *tok;
    size_t nt;
    CHECK_INT(lmp_corpus_create(t, n + 12, "long.txt", &p, &c, &err), LMP_OK);
    CHECK_INT(lmp_corpus_next_line(c, &tok, &nt, &err), LMP_OK);
    CHECK_INT(nt, 2);
    CHECK_INT(lmp_corpus_next_line(c, &tok, &nt, &err), LMP_EFORMAT);
    CHECK_MSG(strstr(err.msg, "long.txt:2:") && strstr(err.msg, "longer than 4096 bytes"), "msg: %s", err.msg);
    CHECK_INT(lmp_corpus_next_line(c, &tok, &nt, &err), LMP_EFORMAT); /* sticky */
    lmp_corpus_free(c);
    /* At the limit exactly, and a last line without '\n' over it. */
    p.max_line = n;
    CHECK_INT(lmp_corpus_create(t, n + 12, "long.txt", &p, &c, &err), LMP_OK);
    CHECK_INT(lmp_corpus_next_line(c, &tok, &nt, &err), LMP_OK);
    CHECK_INT(lmp_corpus_next_line(c, &tok, &nt, &err), LMP_OK);
    CHECK_INT(nt, 1);
    CHECK_INT(tok[0].len, n);
    CHECK_INT(lmp_corpus_next_line(c, &tok, &nt, &err), LMP_EOF);
    lmp_corpus_free(c);
    p.max_line = n - 1;
    CHECK_INT(lmp_corpus_create(t, n + 11, "long.txt", &p, &c, &err), LMP_OK);
    CHECK_INT(lmp_corpus_next_line(c, &tok, &nt, &err), LMP_OK);
    CHECK_INT(lmp_corpus_next_line(c, &tok, &nt, &err), LMP_EFORMAT);
    lmp_corpus_free(c);
    free(t);
}

/* An xz header may declare a dictionary of up to 4 GiB that the decoder would
 * allocate: a 100-byte file must not get that. The dictionary size is the
 * LZMA2 property byte in the block header (xz file format 1.1.0, 3.1.5 and
 * 5.3.1); 40 means 4 GiB - 1. The header's CRC32 is recomputed. */
static void test_xz_dictionary_limit(void)
{
    const char text[] = "a small text\n";
    uint8_t xz[512];
    size_t xzlen = 0;
    CHECK(lzma_easy_buffer_encode(0, LZMA_CHECK_CRC32, NULL, (const uint8_t *)text, sizeof text - 1, xz, &xzlen,
                                  sizeof xz) == LZMA_OK);
    size_t hb = 12, hsize = ((size_t)xz[hb] + 1) * 4; /* block header after the 12-byte stream header */
    /* flags (one filter; bits 0x40 / 0x80: a compressed / uncompressed size
     * follows as a varint), filter id 0x21 (LZMA2), 1 property byte */
    size_t k = hb + 2;
    CHECK((xz[hb + 1] & 3) == 0);
    for (int bit = 0x40; bit <= 0x80; bit <<= 1)
        if (xz[hb + 1] & bit)
            while (xz[k++] & 0x80) {}
    CHECK(xz[k] == 0x21 && xz[k + 1] == 1);
    xz[k + 2] = 40;
    uint32_t crc = (uint32_t)crc32(0, xz + hb, (uInt)(hsize - 4));
    for (int i = 0; i < 4; i++) xz[hb + hsize - 4 + i] = (uint8_t)(crc >> (8 * i));
    char out[256];
    lmp_error err;
    CHECK_INT(read_all(xz, xzlen, NULL, out, sizeof out, NULL, &err), LMP_EFORMAT);
    CHECK_MSG(strstr(err.msg, "needs 4096 MiB to decode") && strstr(err.msg, "at most 256 MiB"), "msg: %s", err.msg);
}

/* A NULL out: LMP_EINVAL (it was written through before); NULL data with a size, as before. */
static void test_null_arrays(void)
{
    lmp_error err;
    lmp_corpus *c = NULL;
    CHECK(lmp_corpus_create("a b\n", 4, NULL, NULL, NULL, &err) == LMP_EINVAL && strstr(err.msg, "out is NULL"));
    CHECK(lmp_corpus_create(NULL, 4, NULL, NULL, &c, &err) == LMP_EINVAL && c == NULL);
    CHECK(lmp_corpus_create(NULL, 0, NULL, NULL, &c, &err) == LMP_OK && c != NULL);
    lmp_corpus_free(c);
}

int main(int argc, char **argv)
{
    test_chdir_root(argv[0]);
    (void)argc;
    RUN(test_words_and_lines);
    RUN(test_unk_is_a_word);
    RUN(test_markers);
    RUN(test_utf8);
    RUN(test_char_and_byte_modes);
    RUN(test_gzip_xz);
    RUN(test_long_line_and_files);
    RUN(test_big_compressed_files);
    RUN(test_read_text);
    RUN(test_max_line);
    RUN(test_xz_dictionary_limit);
    RUN(test_null_arrays);
    return TEST_SUMMARY();
}
