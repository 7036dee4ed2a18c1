/* The line reader (src/core/reader.h): raw chunks → decompressor → one line
 * buffer. The invariant that matters (issue 11: a gzip or xz corpus over 64 KiB
 * read as "corrupt"): the raw chunk is refilled only once the decompressor has
 * consumed all of it, and in_pos always records what it consumed. */
#include "reader.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <lzma.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

enum { IN_CAP = 1 << 18, BUF_INIT = 1 << 18 };

struct io_reader {
    char *name;
    int fd;     /* -1 for memory input */
    int own_fd; /* close on free (not stdin) */
    const unsigned char *mem;
    size_t mem_size, mem_pos;
    io_compression comp;
    z_stream z;
    int z_init;
    lzma_stream x;
    int x_init;
    int dec_done;       /* the compressed input is finished */
    unsigned char *in;  /* raw input chunk: [in_pos, in_len) not consumed yet */
    size_t in_pos, in_len;
    int in_eof;
    uint64_t raw_total, raw_size;
    char *buf;          /* decompressed text: [beg, end) not handed out yet */
    size_t cap, beg, end;
    int eof;            /* no more decompressed bytes will come */
    size_t max_line;
    uint64_t consumed;
    long lineno;
    lmp_status sticky;
    lmp_error sticky_err;
};

static lmp_status fail(io_reader *r, lmp_status st, lmp_error *err)
{
    r->sticky = st;
    if (err) r->sticky_err = *err;
    else lmp_error_set_at(&r->sticky_err, st, r->name, r->lineno, "%s", lmp_status_str(st));
    return st;
}

/* ---- raw input ------------------------------------------------------------------- */

static lmp_status raw_read(io_reader *r, unsigned char *dst, size_t cap, size_t *got, lmp_error *err)
{
    *got = 0;
    if (r->fd < 0) {
        size_t n = r->mem_size - r->mem_pos;
        if (n > cap) n = cap;
        if (n) memcpy(dst, r->mem + r->mem_pos, n);
        r->mem_pos += n;
        *got = n;
    } else {
        if (cap > SSIZE_MAX) cap = SSIZE_MAX;
        for (;;) {
            ssize_t k = read(r->fd, dst, cap);
            if (k >= 0) {
                *got = (size_t)k;
                break;
            }
            if (errno == EINTR) continue;
            return lmp_error_set_at(err, LMP_EIO, r->name, 0, "read failed: %s", strerror(errno));
        }
    }
    r->raw_total += *got;
    return LMP_OK;
}

/* Refill the raw chunk, only once the decompressor consumed all of it. */
static lmp_status in_refill(io_reader *r, lmp_error *err)
{
    if (r->in_eof || r->in_pos < r->in_len) return LMP_OK;
    size_t got;
    lmp_status st = raw_read(r, r->in, IN_CAP, &got, err);
    if (st) return st;
    r->in_pos = 0;
    r->in_len = got;
    if (got == 0) r->in_eof = 1;
    return LMP_OK;
}

/* ---- decompression into buf[end, cap) ----------------------------------------------- */

/* One decoder step over the raw chunk into buf[end, end + room): *produced
 * bytes out; sets dec_done at the end of the compressed input. The caller has
 * just refilled the chunk, so it is empty only at the end of the input. */
static lmp_status gzip_step(io_reader *r, size_t room, size_t *produced, lmp_error *err)
{
    if (room > UINT_MAX) room = UINT_MAX;
    size_t before = r->in_len - r->in_pos;
    r->z.next_in = r->in + r->in_pos;
    r->z.avail_in = (uInt)before;
    r->z.next_out = (Bytef *)(r->buf + r->end);
    r->z.avail_out = (uInt)room;
    int zr = inflate(&r->z, Z_NO_FLUSH);
    r->in_pos = r->in_len - r->z.avail_in;
    *produced = room - r->z.avail_out;
    r->end += *produced;
    if (zr == Z_STREAM_END) {
        /* Another member may follow (gzip -c a b, cat a.gz b.gz). */
        lmp_status st = in_refill(r, err);
        if (st) return st;
        if (r->in_pos < r->in_len && r->in[r->in_pos] == 0) {
            /* Zero bytes after a member (a tape block, a preallocated file): the end, as gzip -d and Python's
             * gzip take them; anything after them is refused by name. They were "truncated gzip data" (one
             * zero) or "incorrect header check" (more). */
            for (;;) {
                while (r->in_pos < r->in_len && r->in[r->in_pos] == 0) r->in_pos++;
                if (r->in_pos < r->in_len)
                    return lmp_error_set_at(err, LMP_EFORMAT, r->name, 0,
                                            "data after the zero padding of a gzip stream, at compressed byte %llu: "
                                            "expected zeros to the end",
                                            (unsigned long long)(r->raw_total - (r->in_len - r->in_pos)));
                if ((st = in_refill(r, err))) return st;
                if (r->in_pos >= r->in_len) break; /* the end of the input */
            }
        }
        if (r->in_pos < r->in_len) inflateReset(&r->z);
        else r->dec_done = 1;
        return LMP_OK;
    }
    if (zr == Z_MEM_ERROR) return lmp_error_set_at(err, LMP_ENOMEM, r->name, 0, "gzip decoder: out of memory");
    if (zr != Z_OK && zr != Z_BUF_ERROR)
        return lmp_error_set_at(err, LMP_EFORMAT, r->name, 0,
                                "corrupt gzip data near compressed byte %llu (%s): expected a valid gzip stream",
                                (unsigned long long)(r->raw_total - (r->in_len - r->in_pos)),
                                r->z.msg ? r->z.msg : "inflate error");
    if (*produced == 0 && r->in_len - r->in_pos == before) /* no progress: the input is exhausted */
        return lmp_error_set_at(err, LMP_EFORMAT, r->name, 0,
                                r->in_eof ? "truncated gzip data after %llu compressed bytes: expected the end of the gzip stream"
                                          : "gzip decoder stalled after %llu compressed bytes: expected a valid gzip stream",
                                (unsigned long long)r->raw_total);
    return LMP_OK;
}

static lmp_status xz_step(io_reader *r, size_t room, size_t *produced, lmp_error *err)
{
    size_t before = r->in_len - r->in_pos;
    r->x.next_in = r->in + r->in_pos;
    r->x.avail_in = before;
    r->x.next_out = (uint8_t *)(r->buf + r->end);
    r->x.avail_out = room;
    /* LZMA_CONCATENATED: the end is known only when told LZMA_FINISH. */
    lzma_ret xr = lzma_code(&r->x, (r->in_eof && before == 0) ? LZMA_FINISH : LZMA_RUN);
    r->in_pos = r->in_len - r->x.avail_in;
    *produced = room - r->x.avail_out;
    r->end += *produced;
    switch (xr) {
    case LZMA_STREAM_END:
        r->dec_done = 1;
        return LMP_OK;
    case LZMA_OK:
        return LMP_OK; /* liblzma answers LZMA_BUF_ERROR to a second call without progress */
    case LZMA_BUF_ERROR:
        return lmp_error_set_at(err, LMP_EFORMAT, r->name, 0,
                                "truncated xz data after %llu compressed bytes: expected the end of the xz stream",
                                (unsigned long long)r->raw_total);
    case LZMA_MEMLIMIT_ERROR:
        return lmp_error_set_at(err, LMP_EFORMAT, r->name, 0,
                                "xz data that needs %llu MiB to decode (its dictionary size): expected at most %llu MiB",
                                (unsigned long long)(lzma_memusage(&r->x) >> 20),
                                (unsigned long long)(IO_XZ_MEMLIMIT >> 20));
    case LZMA_MEM_ERROR:
        return lmp_error_set_at(err, LMP_ENOMEM, r->name, 0, "xz decoder: out of memory");
    default: { /* in words, as zlib's messages ("incorrect data check") name the gzip cases */
        char why[48];
        snprintf(why, sizeof why, "liblzma error %d", (int)xr);
        return lmp_error_set_at(err, LMP_EFORMAT, r->name, 0, "corrupt xz data near compressed byte %llu (%s): expected a "
                                "valid xz stream", (unsigned long long)(r->raw_total - (r->in_len - r->in_pos)),
                                xr == LZMA_DATA_ERROR      ? "its data, a header or an integrity check is damaged"
                                : xr == LZMA_FORMAT_ERROR  ? "no xz stream header"
                                : xr == LZMA_OPTIONS_ERROR ? "options this liblzma does not support"
                                                           : why);
    }
    }
}

/* Decode until some bytes come out or the compressed input ends. */
static lmp_status fill_compressed(io_reader *r, size_t room, lmp_error *err)
{
    size_t produced = 0;
    while (produced == 0) {
        if (r->dec_done) {
            r->eof = 1;
            return LMP_OK;
        }
        lmp_status st = in_refill(r, err);
        if (!st) st = r->comp == IO_GZIP ? gzip_step(r, room, &produced, err) : xz_step(r, room, &produced, err);
        if (st) return st;
    }
    return LMP_OK;
}

/* Append decompressed bytes to buf; sets r->eof at the end of the input.
 * Pending bytes are moved to the front first; the buffer grows (by doubling, up
 * to max_line + 2 bytes) only when a pending line fills it. */
static lmp_status fill(io_reader *r, lmp_error *err)
{
    if (r->eof) return LMP_OK;
    if (r->beg > 0) {
        memmove(r->buf, r->buf + r->beg, r->end - r->beg);
        r->end -= r->beg;
        r->beg = 0;
    }
    if (r->end == r->cap) {
        size_t ncap = r->cap * 2, top = r->max_line + 2;
        if (ncap > top) ncap = top;
        if (ncap <= r->cap) /* the caller checks max_line first: cannot happen */
            return lmp_error_set_at(err, LMP_EFORMAT, r->name, r->lineno + 1, "line longer than %zu bytes", r->max_line);
        char *nb = realloc(r->buf, ncap);
        if (!nb)
            return lmp_error_set_at(err, LMP_ENOMEM, r->name, r->lineno + 1,
                                    "out of memory for a line buffer of %zu bytes", ncap);
        r->buf = nb;
        r->cap = ncap;
    }
    size_t room = r->cap - r->end, got = 0;
    lmp_status st;
    switch (r->comp) {
    case IO_PLAIN:
        if (r->in_pos < r->in_len) { /* bytes read while looking at the magic */
            got = r->in_len - r->in_pos;
            if (got > room) got = room;
            memcpy(r->buf + r->end, r->in + r->in_pos, got);
            r->in_pos += got;
        } else if (!r->in_eof) {
            if ((st = raw_read(r, (unsigned char *)r->buf + r->end, room, &got, err))) return st;
            if (got == 0) r->in_eof = 1;
        }
        if (got == 0 && r->in_eof) r->eof = 1;
        r->end += got;
        return LMP_OK;
    case IO_GZIP:
    case IO_XZ:
        return fill_compressed(r, room, err);
    }
    return LMP_OK;
}

/* ---- open / free ------------------------------------------------------------------ */

static lmp_status start(io_reader *r, int detect, lmp_error *err)
{
    lmp_status st;
    r->in = calloc(1, IN_CAP); /* calloc: a short input leaves no byte unset before the magic test */
    r->cap = BUF_INIT < r->max_line + 2 ? BUF_INIT : r->max_line + 2;
    r->buf = malloc(r->cap);
    if (!r->in || !r->buf) return lmp_error_set_at(err, LMP_ENOMEM, r->name, 0, "out of memory for the read buffers");
    /* Read until 10 bytes are there (or the input ends) to look at the magic. */
    while (r->in_len < 10 && !r->in_eof) {
        size_t got;
        if ((st = raw_read(r, r->in + r->in_len, IN_CAP - r->in_len, &got, err))) return st;
        if (got == 0) r->in_eof = 1;
        r->in_len += got;
    }
    const unsigned char *m = r->in;
    if (!detect) return LMP_OK;
    if (r->in_len >= 2 && m[0] == 0x1f && m[1] == 0x8b) {
        r->comp = IO_GZIP;
        /* 15 + 16: a gzip wrapper only (no raw zlib streams). */
        int zr = inflateInit2(&r->z, 15 + 16);
        if (zr != Z_OK)
            return lmp_error_set_at(err, zr == Z_MEM_ERROR ? LMP_ENOMEM : LMP_EIO, r->name, 0, "cannot start zlib (%d)", zr);
        r->z_init = 1;
    } else if (r->in_len >= 6 && memcmp(m, "\xfd" "7zXZ\0", 6) == 0) {
        r->comp = IO_XZ;
        lzma_stream init = LZMA_STREAM_INIT;
        r->x = init;
        lzma_ret xr = lzma_stream_decoder(&r->x, IO_XZ_MEMLIMIT, LZMA_CONCATENATED);
        if (xr != LZMA_OK)
            return lmp_error_set_at(err, xr == LZMA_MEM_ERROR ? LMP_ENOMEM : LMP_EIO, r->name, 0,
                                    "cannot start liblzma (%d)", (int)xr);
        r->x_init = 1;
    } else if ((r->in_len >= 10 && memcmp(m, "BZh", 3) == 0 && m[3] >= '1' && m[3] <= '9' &&
                (memcmp(m + 4, "1AY&SY", 6) == 0 || memcmp(m + 4, "\x17\x72\x45\x38\x50\x90", 6) == 0)) ||
               (r->in_len >= 4 && memcmp(m, "\x28\xb5\x2f\xfd", 4) == 0)) {
        /* bzip2 (its block or end-of-stream magic after "BZh1".."BZh9") and zstd: compressed data this reader
         * does not decode, which was read as text (ppl scored its bytes, exit 0) */
        return lmp_error_set_at(err, LMP_EUNSUPPORTED, r->name, 0,
                                "%s-compressed input: expected plain text, gzip or xz (decompress it first)",
                                m[0] == 'B' ? "bzip2" : "zstd");
    }
    return LMP_OK;
}

static lmp_status make(const char *name, size_t max_line, io_reader **out, lmp_error *err)
{
    *out = NULL;
    io_reader *r = calloc(1, sizeof *r);
    if (r) r->name = strdup(name);
    if (!r || !r->name) {
        free(r);
        return lmp_error_set_at(err, LMP_ENOMEM, name, 0, "out of memory for a reader");
    }
    r->fd = -1;
    r->max_line = max_line ? max_line : IO_MAX_LINE_DEFAULT;
    if (r->max_line > SIZE_MAX / 4) r->max_line = SIZE_MAX / 4;
    *out = r;
    return LMP_OK;
}

lmp_status io_reader_open(const char *path, size_t max_line, io_reader **out, lmp_error *err)
{
    *out = NULL;
    if (!path || !*path) return lmp_error_set(err, LMP_EINVAL, "input path is empty: expected a file name or '-'");
    int is_stdin = strcmp(path, "-") == 0;
    io_reader *r;
    lmp_status st = make(is_stdin ? "<stdin>" : path, max_line, &r, err);
    if (st) return st;
    if (is_stdin) {
        r->fd = 0;
    } else {
        r->fd = open(path, O_RDONLY | O_CLOEXEC);
        if (r->fd < 0) {
            st = lmp_error_set_at(err, LMP_EIO, path, 0, "cannot open: %s", strerror(errno));
            io_reader_free(r);
            return st;
        }
        r->own_fd = 1;
        struct stat sb;
        if (fstat(r->fd, &sb) == 0) {
            if (S_ISDIR(sb.st_mode)) {
                io_reader_free(r);
                return lmp_error_set_at(err, LMP_EIO, path, 0, "is a directory: expected a file");
            }
            if (S_ISREG(sb.st_mode)) r->raw_size = (uint64_t)sb.st_size;
        }
    }
    if ((st = start(r, 1, err))) {
        io_reader_free(r);
        return st;
    }
    *out = r;
    return LMP_OK;
}

lmp_status io_reader_open_mem(const void *data, size_t size, const char *name, size_t max_line, int detect,
                              io_reader **out, lmp_error *err)
{
    *out = NULL;
    if (!data && size) return lmp_error_set(err, LMP_EINVAL, "input data is NULL with size %zu", size);
    io_reader *r;
    lmp_status st = make(name ? name : "<memory>", max_line, &r, err);
    if (st) return st;
    r->mem = data;
    r->mem_size = size;
    r->raw_size = size;
    if ((st = start(r, detect, err))) {
        io_reader_free(r);
        return st;
    }
    *out = r;
    return LMP_OK;
}

void io_reader_free(io_reader *r)
{
    if (!r) return;
    if (r->z_init) inflateEnd(&r->z);
    if (r->x_init) lzma_end(&r->x);
    if (r->own_fd && r->fd >= 0) close(r->fd);
    free(r->in);
    free(r->buf);
    free(r->name);
    free(r);
}

/* ---- lines ------------------------------------------------------------------------- */

lmp_status io_reader_line(io_reader *r, const char **line, size_t *len, int *had_newline, lmp_error *err)
{
    *line = NULL;
    *len = 0;
    if (r->sticky) {
        if (err) *err = r->sticky_err;
        return r->sticky;
    }
    size_t scanned = 0; /* bytes after beg known to hold no '\n' */
    for (;;) {
        const char *nl = memchr(r->buf + r->beg + scanned, '\n', r->end - r->beg - scanned);
        size_t pending = r->end - r->beg;
        if (nl || r->eof) {
            size_t n = nl ? (size_t)(nl - (r->buf + r->beg)) : pending;
            if (!nl && n == 0) return LMP_EOF;
            if (n > r->max_line) break;
            *line = r->buf + r->beg;
            *len = n;
            /* A UTF-8 byte order mark before the first line (a file saved by a Windows editor) is no text: a
             * corpus's first word carried it ("\ufeffthe" beside "the"), an ARPA file was refused. Its bytes
             * still count as read (io_reader_bytes). */
            if (r->lineno == 0 && r->consumed == 0 && n >= 3 && memcmp(*line, "\xef\xbb\xbf", 3) == 0) {
                *line += 3;
                *len -= 3;
            }
            if (had_newline) *had_newline = nl != NULL;
            r->beg += n + (nl != NULL);
            r->consumed += n + (nl != NULL);
            r->lineno++;
            return LMP_OK;
        }
        if (pending > r->max_line) break;
        scanned = pending;
        lmp_status st = fill(r, err);
        if (st) return fail(r, st, err);
    }
    return fail(r,
                lmp_error_set_at(err, LMP_EFORMAT, r->name, r->lineno + 1,
                                 "line longer than %zu bytes: expected lines of at most %zu bytes "
                                 "(one sentence a line)",
                                 r->max_line, r->max_line),
                err);
}

lmp_status io_reader_peek(io_reader *r, size_t n, const char **data, size_t *got, lmp_error *err)
{
    *data = NULL;
    *got = 0;
    if (r->sticky) {
        if (err) *err = r->sticky_err;
        return r->sticky;
    }
    if (n > r->max_line) n = r->max_line;
    while (r->end - r->beg < n && !r->eof) {
        lmp_status st = fill(r, err);
        if (st) return fail(r, st, err);
    }
    *data = r->buf + r->beg;
    *got = r->end - r->beg < n ? r->end - r->beg : n;
    return LMP_OK;
}

lmp_status io_reader_read(io_reader *r, size_t n, const char **data, size_t *got, lmp_error *err)
{
    *data = NULL;
    *got = 0;
    if (r->sticky) {
        if (err) *err = r->sticky_err;
        return r->sticky;
    }
    while (r->beg == r->end && !r->eof) {
        lmp_status st = fill(r, err);
        if (st) return fail(r, st, err);
    }
    size_t k = r->end - r->beg < n ? r->end - r->beg : n;
    *data = r->buf + r->beg;
    *got = k;
    r->beg += k;
    r->consumed += k;
    return LMP_OK;
}

/* ---- the public face: texts streamed (core.h) ------------------------------------------ */

struct lmp_text_reader {
    io_reader *r;
};

lmp_status lmp_text_reader_open(const char *path, lmp_text_reader **out, lmp_error *err)
{
    if (!out) return lmp_error_set(err, LMP_EINVAL, "lmp_text_reader_open: out is NULL: expected a place for it");
    *out = NULL;
    if (!path) return lmp_error_set(err, LMP_EINVAL, "lmp_text_reader_open: no path");
    lmp_text_reader *t = calloc(1, sizeof *t);
    if (!t) return lmp_error_set_at(err, LMP_ENOMEM, path, 0, "out of memory");
    lmp_status st = io_reader_open(path, 0, &t->r, err);
    if (st) {
        free(t);
        return st;
    }
    *out = t;
    return LMP_OK;
}

lmp_status lmp_text_reader_read(lmp_text_reader *t, void *buf, size_t cap, size_t *got, lmp_error *err)
{
    if (!got) return lmp_error_set(err, LMP_EINVAL, "lmp_text_reader_read: got is NULL: expected a place for it");
    *got = 0;
    if (!t || (!buf && cap))
        return lmp_error_set(err, LMP_EINVAL, "lmp_text_reader_read: %s is NULL", !t ? "the reader" : "buf");
    while (*got < cap) {
        const char *v;
        size_t k;
        lmp_status st = io_reader_read(t->r, cap - *got, &v, &k, err);
        if (st) return st;
        if (k == 0) break;
        memcpy((char *)buf + *got, v, k);
        *got += k;
    }
    return LMP_OK;
}

const char *lmp_text_reader_compression(const lmp_text_reader *t) { return t ? io_reader_compression_name(t->r) : NULL; }

uint64_t lmp_text_reader_bytes(const lmp_text_reader *t) { return t ? io_reader_bytes(t->r) : 0; }

void lmp_text_reader_free(lmp_text_reader *t)
{
    if (!t) return;
    io_reader_free(t->r);
    free(t);
}

io_compression io_reader_compression(const io_reader *r) { return r->comp; }

const char *io_reader_compression_name(const io_reader *r)
{
    return r->comp == IO_GZIP ? "gzip" : r->comp == IO_XZ ? "xz" : "plain";
}

uint64_t io_reader_bytes(const io_reader *r) { return r->consumed; }
uint64_t io_reader_raw_bytes(const io_reader *r) { return r->raw_total; }
uint64_t io_reader_raw_size(const io_reader *r) { return r->raw_size; }
long io_reader_lineno(const io_reader *r) { return r->lineno; }
const char *io_reader_name(const io_reader *r) { return r->name; }
