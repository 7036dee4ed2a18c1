/* The streaming encoder (include/lmprob/tokenizer.h): text in chunks, the ids
 * of one call on the whole text.
 *
 * Bytes wait in `pend` until the piece they belong to is certain, that is
 * until t->lookahead more bytes follow it: the two characters its extent
 * depends on, and room for an added token that could end it (tok_encode_run
 * with final = 0). A chunk
 * is encoded in place when nothing is pending, so only the undecided tail of
 * each chunk is copied. A piece that is still open at the end of the pending
 * bytes is not scanned again until the pending bytes have doubled, so a long
 * piece costs O(n) scanning however small the chunks. */
#include <stdlib.h>
#include <string.h>

#include "tok_internal.h"

struct lmp_tokenizer_stream {
    const lmp_tokenizer *t;
    unsigned flags;
    size_t max_piece;
    unsigned char *pend;
    size_t npend, cap;
    size_t wait_until;    /* skip encoding until npend reaches this (a long open piece) */
    tok_scratch scr;
    lmp_tokenizer_stream_stats st;
    int fresh;            /* the next feed starts a new text: clear the stats first */
    uint64_t consumed;    /* bytes encoded so far */
    uint64_t line_start;  /* offset of the first byte of the line `line` */
    long line;            /* 1-based line of offset `consumed` */
};

lmp_status lmp_tokenizer_stream_create(const lmp_tokenizer *t, unsigned flags, size_t max_piece,
                                       lmp_tokenizer_stream **out, lmp_error *err)
{
    if (!out) return lmp_error_set(err, LMP_EINVAL, "out is NULL");
    *out = NULL;
    if (!t) return lmp_error_set(err, LMP_EINVAL, "tokenizer is NULL");
    if (flags & ~(LMP_TOKENIZER_SPECIAL | LMP_TOKENIZER_RAW_BYTES | LMP_TOKENIZER_STRICT))
        return lmp_error_set(err, LMP_EINVAL, "flags 0x%x: expected LMP_TOKENIZER_SPECIAL, _RAW_BYTES, _STRICT", flags);
    if ((flags & LMP_TOKENIZER_STRICT) && (flags & LMP_TOKENIZER_RAW_BYTES))
        return lmp_error_set(err, LMP_EINVAL, "flags: STRICT and RAW_BYTES exclude each other");
    lmp_tokenizer_stream *s = calloc(1, sizeof *s);
    if (!s) return lmp_error_set(err, LMP_ENOMEM, "out of memory");
    s->t = t;
    s->flags = flags;
    /* a larger limit is the BPE's own: a longer piece is then refused by its length, where tok_bpe_heap's
     * bound said "out of memory" */
    s->max_piece = max_piece ? max_piece : LMP_TOKENIZER_MAX_PIECE;
    if (s->max_piece > LMP_TOKENIZER_PIECE_LIMIT) s->max_piece = LMP_TOKENIZER_PIECE_LIMIT;
    s->line = 1;
    *out = s;
    return LMP_OK;
}

void lmp_tokenizer_stream_free(lmp_tokenizer_stream *s)
{
    if (!s) return;
    free(s->pend);
    tok_scratch_free(&s->scr);
    free(s);
}

/* Ready for a new text; the stats stay readable until the next feed. */
static void reset(lmp_tokenizer_stream *s)
{
    s->npend = 0;
    s->wait_until = 0;
    s->fresh = 1;
    s->consumed = 0;
    s->line_start = 0;
    s->line = 1;
}

void lmp_tokenizer_stream_get_stats(const lmp_tokenizer_stream *s, lmp_tokenizer_stream_stats *out)
{
    if (!out) return;
    if (!s) {
        memset(out, 0, sizeof *out);
        return;
    }
    *out = s->st;
}

/* Line and byte-in-line of offset `at` (relative to text, which starts at
 * stream offset s->consumed). */
static void where(const lmp_tokenizer_stream *s, const unsigned char *text, size_t at, long *line, long *col)
{
    long l = s->line;
    uint64_t ls = s->line_start;
    /* text is NULL (no pending bytes) when at == 0: no pointer arithmetic on it (C11 6.5.6). */
    for (const unsigned char *p = text, *e = at ? text + at : text; p < e;) {
        const unsigned char *nl = memchr(p, '\n', (size_t)(e - p));
        if (!nl) break;
        l++;
        ls = s->consumed + (uint64_t)(nl - text) + 1;
        p = nl + 1;
    }
    *line = l;
    *col = (long)(s->consumed + at - ls) + 1;
}

/* Account for text[0..n) now encoded. */
static void advance(lmp_tokenizer_stream *s, const unsigned char *text, size_t n)
{
    /* finish on a stream with nothing pending passes text == NULL, n == 0 (C11 6.5.6: NULL + 0 is
     * undefined; clang UBSan reports it; found by fuzz/tok_encode.c) */
    if (n == 0) return;
    for (const unsigned char *p = text, *e = text + n; p < e;) {
        const unsigned char *nl = memchr(p, '\n', (size_t)(e - p));
        if (!nl) break;
        s->line++;
        s->st.lines++;
        s->line_start = s->consumed + (uint64_t)(nl - text) + 1;
        p = nl + 1;
    }
    s->consumed += n;
}

/* Encode as much of text[0..n) as is certain (all of it when final); returns
 * the bytes consumed through *used. */
static lmp_status run(lmp_tokenizer_stream *s, const unsigned char *text, size_t n, int final, lmp_token_buf *out,
                      size_t *used, lmp_error *err)
{
    tok_sink sink = {NULL, 0, 0, out, 0};
    tok_invalid inv = {0, 0};
    size_t n0 = out->n;
    lmp_status st = tok_encode_run(s->t, text, n, s->flags, final, s->max_piece, &sink, &s->scr, &inv, used);
    if (st == LMP_OK && sink.oom) st = LMP_ENOMEM;
    if (inv.count) {
        if (s->st.invalid == 0) where(s, text, inv.first, &s->st.first_invalid_line, &s->st.first_invalid_col);
        s->st.invalid += inv.count;
    }
    s->st.ids += out->n - n0;
    if (st == LMP_OK) {
        advance(s, text, *used);
        return LMP_OK;
    }
    long line, col;
    where(s, text, *used, &line, &col);
    if (st == LMP_ENOMEM) {
        st = lmp_error_set(err, LMP_ENOMEM, "out of memory while encoding (line %ld)", line);
    } else if (st == LMP_EFORMAT) {
        st = lmp_error_set(err, LMP_EFORMAT, "line %ld, byte %ld: invalid UTF-8 byte 0x%02x: expected UTF-8 text", line,
                           col, text[*used]);
    } else {
        st = lmp_error_set(err, LMP_ERANGE,
                           "line %ld, byte %ld: a piece (a run of letters, digits, symbols or white space) longer than "
                           "%zu bytes: expected at most %zu (the stream's max_piece)",
                           line, col, s->max_piece, s->max_piece);
    }
    if (err) {
        err->line = line;
        err->col = col;
    }
    reset(s);
    return st;
}

static int pend_reserve(lmp_tokenizer_stream *s, size_t need)
{
    if (s->cap >= need) return 0;
    size_t nc = s->cap ? s->cap : 4096;
    while (nc < need) nc *= 2;
    unsigned char *p = realloc(s->pend, nc);
    if (!p) return -1;
    s->pend = p;
    s->cap = nc;
    return 0;
}

lmp_status lmp_tokenizer_stream_feed(lmp_tokenizer_stream *s, const void *text, size_t len, lmp_token_buf *out,
                                     lmp_error *err)
{
    if (!s || !out) return lmp_error_set(err, LMP_EINVAL, "stream or output buffer is NULL");
    if (!text && len) return lmp_error_set(err, LMP_EINVAL, "text is NULL with length %zu", len);
    const unsigned char *in = text;
    if (s->fresh) {
        memset(&s->st, 0, sizeof s->st);
        s->fresh = 0;
    }
    s->st.bytes += len;
    size_t used;
    lmp_status st;
    if (s->npend == 0 && s->wait_until == 0) {
        /* Nothing waiting: encode the chunk in place, keep its tail. */
        if ((st = run(s, in, len, 0, out, &used, err))) return st;
        in += used;
        len -= used;
        if (pend_reserve(s, len)) {
            reset(s);
            return lmp_error_set(err, LMP_ENOMEM, "out of memory");
        }
        if (len) memcpy(s->pend, in, len);
        s->npend = len;
        if (len > 4096) s->wait_until = 2 * len; /* an open piece this long: wait for it to double */
        return LMP_OK;
    }
    if (pend_reserve(s, s->npend + len)) {
        reset(s);
        return lmp_error_set(err, LMP_ENOMEM, "out of memory (%zu bytes pending)", s->npend + len);
    }
    if (len) memcpy(s->pend + s->npend, in, len);
    s->npend += len;
    if (s->npend < s->wait_until && s->npend <= s->max_piece + 64) return LMP_OK;
    if ((st = run(s, s->pend, s->npend, 0, out, &used, err))) return st;
    if (used < s->npend) memmove(s->pend, s->pend + used, s->npend - used);
    s->npend -= used;
    s->wait_until = s->npend > 4096 ? 2 * s->npend : 0;
    return LMP_OK;
}

lmp_status lmp_tokenizer_stream_finish(lmp_tokenizer_stream *s, lmp_token_buf *out, lmp_error *err)
{
    if (!s || !out) return lmp_error_set(err, LMP_EINVAL, "stream or output buffer is NULL");
    if (s->fresh) {
        memset(&s->st, 0, sizeof s->st);
        s->fresh = 0;
    }
    size_t used;
    lmp_status st = run(s, s->pend, s->npend, 1, out, &used, err);
    if (st) return st;
    reset(s);
    return LMP_OK;
}
