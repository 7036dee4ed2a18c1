/* Compressed output of the library's text writers (zwrite.h): a FILE * from
 * fopencookie whose writes go through zlib's deflate (gzip wrapper) or liblzma's
 * easy encoder into the underlying FILE *. */
#include "zwrite.h"

#include <errno.h>
#include <lzma.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

enum { ZW_OUT = 1 << 16 }; /* compressed bytes handed to the underlying stream at a time */

typedef struct zw {
    FILE *under;
    io_compression c;
    z_stream z;
    lzma_stream x;
    int failed; /* a compressor or write error: every later write fails too */
    int err_no; /* its errno (the underlying write's: ENOSPC, EFBIG, ...) */
    unsigned char out[ZW_OUT];
} zw;

static int ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcmp(s + a - b, suf) == 0;
}

io_compression io_compression_for_name(const char *path)
{
    if (!path) return IO_PLAIN;
    return ends_with(path, ".gz") ? IO_GZIP : ends_with(path, ".xz") ? IO_XZ : IO_PLAIN;
}

/* Run the compressor over n input bytes (finish: to the end of the stream), writing
 * what it makes to the underlying stream. 0, or -1 (w->failed set). */
static int zw_run(zw *w, const void *in, size_t n, int finish)
{
    if (w->failed) return -1;
    for (;;) {
        size_t made;
        int done;
        if (w->c == IO_GZIP) {
            w->z.next_in = (Bytef *)(uintptr_t)in;
            w->z.avail_in = (uInt)n;
            w->z.next_out = w->out;
            w->z.avail_out = ZW_OUT;
            int r = deflate(&w->z, finish ? Z_FINISH : Z_NO_FLUSH);
            if (r == Z_STREAM_ERROR) break;
            made = ZW_OUT - w->z.avail_out;
            in = w->z.next_in;
            n = w->z.avail_in;
            done = finish ? r == Z_STREAM_END : n == 0 && w->z.avail_out != 0;
        } else {
            w->x.next_in = in;
            w->x.avail_in = n;
            w->x.next_out = w->out;
            w->x.avail_out = ZW_OUT;
            lzma_ret r = lzma_code(&w->x, finish ? LZMA_FINISH : LZMA_RUN);
            if (r != LZMA_OK && r != LZMA_STREAM_END) break;
            made = ZW_OUT - w->x.avail_out;
            in = w->x.next_in;
            n = w->x.avail_in;
            done = finish ? r == LZMA_STREAM_END : n == 0 && w->x.avail_out != 0;
        }
        if (made && fwrite(w->out, 1, made, w->under) != made) {
            w->err_no = errno ? errno : EIO;
            w->failed = 1;
            return -1;
        }
        if (done) return 0;
    }
    w->err_no = ENOMEM; /* zlib and liblzma fail here only for memory (or a misuse) */
    w->failed = 1;
    return -1;
}

/* 32-bit counts for zlib: a larger write goes in pieces (stdio hands over at most its buffer anyway). */
static ssize_t zw_write(void *cookie, const char *buf, size_t size)
{
    zw *w = cookie;
    for (size_t at = 0; at < size;) {
        size_t k = size - at < (1u << 30) ? size - at : (1u << 30);
        if (zw_run(w, buf + at, k, 0)) {
            errno = w->err_no;
            return -1;
        }
        at += k;
    }
    return (ssize_t)size;
}

static int zw_close(void *cookie)
{
    zw *w = cookie;
    int rc = zw_run(w, NULL, 0, 1), e = w->err_no;
    if (w->c == IO_GZIP) deflateEnd(&w->z);
    else lzma_end(&w->x);
    free(w);
    if (rc) errno = e;
    return rc;
}

FILE *io_zwriter_open(FILE *under, io_compression c, lmp_error *err)
{
    if (c != IO_GZIP && c != IO_XZ) {
        lmp_error_set(err, LMP_EINVAL, "io_zwriter_open: expected gzip or xz");
        return NULL;
    }
    zw *w = calloc(1, sizeof *w);
    if (!w) {
        lmp_error_set(err, LMP_ENOMEM, "out of memory for the compressor");
        return NULL;
    }
    w->under = under;
    w->c = c;
    int ok;
    if (c == IO_GZIP) {
        /* 15 + 16: a gzip wrapper (what gzip -d and the reader's gzip path take), level 6 as gzip's */
        ok = deflateInit2(&w->z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK;
    } else {
        lzma_stream init = LZMA_STREAM_INIT;
        w->x = init;
        ok = lzma_easy_encoder(&w->x, 6, LZMA_CHECK_CRC64) == LZMA_OK;
    }
    if (!ok) {
        free(w);
        lmp_error_set(err, LMP_ENOMEM, "cannot start the %s compressor (out of memory)", c == IO_GZIP ? "gzip" : "xz");
        return NULL;
    }
    cookie_io_functions_t fns = {NULL, zw_write, NULL, zw_close};
    FILE *f = fopencookie(w, "w", fns);
    if (!f) {
        if (c == IO_GZIP) deflateEnd(&w->z);
        else lzma_end(&w->x);
        free(w);
        lmp_error_set(err, LMP_ENOMEM, "out of memory for the compressing stream");
    }
    return f;
}

lmp_status io_zwriter_close(FILE *z, const char *path, lmp_error *err)
{
    errno = 0;
    int bad = ferror(z) != 0;
    if (fclose(z) != 0) bad = 1;
    if (!bad) return LMP_OK;
    return lmp_error_set_at(err, LMP_EIO, path, 0, "write failed while compressing: %s",
                            errno ? strerror(errno) : "I/O error");
}
