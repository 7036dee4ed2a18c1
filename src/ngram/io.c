/* Buffered line reader for model and text files: plain, gzip (zlib) or xz
 * (liblzma), chosen by the first bytes, or stdin for "-". Lines are handed out
 * as pointers into one growing buffer (no copy per line). */
#include <errno.h>
#include <lzma.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "ngram_internal.h"

#define NG_CHUNK (1u << 20)

struct ng_reader {
    FILE *fp;
    int is_stdin;
    ng_compress kind;
    char path[256];
    /* raw (compressed) input */
    unsigned char *raw;
    size_t raw_len, raw_pos;
    int raw_eof;
    uint64_t raw_total, raw_size;
    z_stream zs;
    int zs_init;
    lzma_stream xz;
    int xz_init;
    /* decompressed data: buf[beg .. end) not yet handed out */
    char *buf;
    size_t cap, beg, end;
    int eof;
    uint64_t consumed;
    long lineno;
};

static lmp_status raw_fill(ng_reader *r, lmp_error *err)
{
    if (r->raw_pos < r->raw_len || r->raw_eof) return LMP_OK;
    r->raw_len = fread(r->raw, 1, NG_CHUNK, r->fp);
    r->raw_pos = 0;
    r->raw_total += r->raw_len;
    if (r->raw_len < NG_CHUNK) {
        if (ferror(r->fp)) return lmp_error_set_at(err, LMP_EIO, r->path, 0, "read failed: %s", strerror(errno));
        r->raw_eof = 1;
    }
    return LMP_OK;
}

/* Append decompressed bytes to buf[end..cap). Sets r->eof at the end of input. */
static lmp_status fill(ng_reader *r, lmp_error *err)
{
    if (r->eof) return LMP_OK;
    if (r->beg > 0 && (r->end == r->beg || r->cap - r->end < NG_CHUNK / 2)) {
        memmove(r->buf, r->buf + r->beg, r->end - r->beg);
        r->end -= r->beg;
        r->beg = 0;
    }
    if (r->cap - r->end < NG_CHUNK / 2) {
        size_t nc = r->cap * 2;
        char *nb = realloc(r->buf, nc);
        if (!nb) return lmp_error_set(err, LMP_ENOMEM, "%s: out of memory for a line buffer of %zu bytes", r->path, nc);
        r->buf = nb;
        r->cap = nc;
    }
    size_t room = r->cap - r->end - 1;
    if (r->kind == NG_PLAIN) {
        /* Leftover raw bytes from the magic peek go first. */
        if (r->raw_pos < r->raw_len) {
            size_t k = r->raw_len - r->raw_pos;
            if (k > room) k = room;
            memcpy(r->buf + r->end, r->raw + r->raw_pos, k);
            r->raw_pos += k;
            r->end += k;
            return LMP_OK;
        }
        if (r->raw_eof) {
            r->eof = 1;
            return LMP_OK;
        }
        size_t got = fread(r->buf + r->end, 1, room, r->fp);
        r->raw_total += got;
        r->end += got;
        if (got < room) {
            if (ferror(r->fp)) return lmp_error_set_at(err, LMP_EIO, r->path, 0, "read failed: %s", strerror(errno));
            if (got == 0) r->eof = 1;
        }
        return LMP_OK;
    }
    size_t produced = 0;
    while (produced == 0) {
        lmp_status st = raw_fill(r, err);
        if (st) return st;
        if (r->kind == NG_GZIP) {
            r->zs.next_in = r->raw + r->raw_pos;
            r->zs.avail_in = (uInt)(r->raw_len - r->raw_pos);
            r->zs.next_out = (Bytef *)(r->buf + r->end);
            r->zs.avail_out = (uInt)room;
            int zr = inflate(&r->zs, Z_NO_FLUSH);
            r->raw_pos = r->raw_len - r->zs.avail_in;
            produced = room - r->zs.avail_out;
            r->end += produced;
            if (zr == Z_STREAM_END) {
                /* Concatenated gzip members (as gzip -c a b) continue. */
                if (r->raw_pos < r->raw_len || (raw_fill(r, err) == LMP_OK && r->raw_pos < r->raw_len)) {
                    inflateReset(&r->zs);
                    if (produced) return LMP_OK;
                    continue;
                }
                if (produced == 0) r->eof = 1;
                return LMP_OK;
            }
            if (zr != Z_OK && zr != Z_BUF_ERROR)
                return lmp_error_set_at(err, LMP_EFORMAT, r->path, 0,
                                        "corrupt gzip data near compressed offset %llu: %s",
                                        (unsigned long long)(r->raw_total - (r->raw_len - r->raw_pos)),
                                        r->zs.msg ? r->zs.msg : "inflate error");
            if (produced == 0 && r->raw_eof && r->raw_pos >= r->raw_len)
                return lmp_error_set_at(err, LMP_EFORMAT, r->path, 0,
                                        "truncated gzip file: the compressed stream ends early (at %llu bytes)",
                                        (unsigned long long)r->raw_total);
        } else {
            r->xz.next_in = r->raw + r->raw_pos;
            r->xz.avail_in = r->raw_len - r->raw_pos;
            r->xz.next_out = (uint8_t *)(r->buf + r->end);
            r->xz.avail_out = room;
            lzma_ret xr = lzma_code(&r->xz, r->raw_eof ? LZMA_FINISH : LZMA_RUN);
            r->raw_pos = r->raw_len - r->xz.avail_in;
            produced = room - r->xz.avail_out;
            r->end += produced;
            if (xr == LZMA_STREAM_END) {
                if (produced == 0) r->eof = 1;
                return LMP_OK;
            }
            if (xr != LZMA_OK && xr != LZMA_BUF_ERROR)
                return lmp_error_set_at(err, LMP_EFORMAT, r->path, 0, "corrupt or truncated xz data (liblzma code %d)",
                                        (int)xr);
            if (produced == 0 && r->raw_eof && r->raw_pos >= r->raw_len)
                return lmp_error_set_at(err, LMP_EFORMAT, r->path, 0, "truncated xz file: the stream ends early");
        }
    }
    return LMP_OK;
}

lmp_status ng_reader_open(ng_reader **out, const char *path, lmp_error *err)
{
    *out = NULL;
    ng_reader *r = calloc(1, sizeof *r);
    if (!r) return lmp_error_set(err, LMP_ENOMEM, "out of memory");
    snprintf(r->path, sizeof r->path, "%s", strcmp(path, "-") == 0 ? "<stdin>" : path);
    if (strcmp(path, "-") == 0) {
        r->fp = stdin;
        r->is_stdin = 1;
    } else {
        r->fp = fopen(path, "rb");
        if (!r->fp) {
            lmp_status st = lmp_error_set_at(err, LMP_EIO, path, 0, "cannot open: %s", strerror(errno));
            free(r);
            return st;
        }
        struct stat sb;
        if (fstat(fileno(r->fp), &sb) == 0) {
            if (S_ISDIR(sb.st_mode)) {
                fclose(r->fp);
                free(r);
                return lmp_error_set_at(err, LMP_EIO, path, 0, "is a directory: expected a file");
            }
            if (S_ISREG(sb.st_mode)) r->raw_size = (uint64_t)sb.st_size;
        }
    }
    r->raw = malloc(NG_CHUNK);
    r->cap = NG_CHUNK * 2;
    r->buf = malloc(r->cap);
    if (!r->raw || !r->buf) {
        ng_reader_close(r);
        return lmp_error_set(err, LMP_ENOMEM, "out of memory");
    }
    lmp_status st = raw_fill(r, err);
    if (st) {
        ng_reader_close(r);
        return st;
    }
    if (r->raw_len >= 2 && r->raw[0] == 0x1f && r->raw[1] == 0x8b) {
        r->kind = NG_GZIP;
        if (inflateInit2(&r->zs, 15 + 32) != Z_OK) {
            ng_reader_close(r);
            return lmp_error_set(err, LMP_ENOMEM, "%s: cannot start zlib", path);
        }
        r->zs_init = 1;
    } else if (r->raw_len >= 6 && memcmp(r->raw, "\xfd" "7zXZ\0", 6) == 0) {
        r->kind = NG_XZ;
        lzma_stream init = LZMA_STREAM_INIT;
        r->xz = init;
        if (lzma_stream_decoder(&r->xz, UINT64_MAX, LZMA_CONCATENATED) != LZMA_OK) {
            ng_reader_close(r);
            return lmp_error_set(err, LMP_ENOMEM, "%s: cannot start liblzma", path);
        }
        r->xz_init = 1;
    }
    *out = r;
    return LMP_OK;
}

lmp_status ng_reader_line(ng_reader *r, const char **line, size_t *len, int *had_newline, lmp_error *err)
{
    size_t scan = r->beg;
    for (;;) {
        char *nl = memchr(r->buf + scan, '\n', r->end - scan);
        if (nl) {
            size_t n = (size_t)(nl - (r->buf + r->beg));
            *line = r->buf + r->beg;
            *len = n;
            if (had_newline) *had_newline = 1;
            r->beg += n + 1;
            r->consumed += n + 1;
            r->lineno++;
            return LMP_OK;
        }
        if (r->eof) {
            if (r->end == r->beg) return LMP_EOF;
            size_t n = r->end - r->beg;
            *line = r->buf + r->beg;
            *len = n;
            if (had_newline) *had_newline = 0;
            r->beg = r->end;
            r->consumed += n;
            r->lineno++;
            return LMP_OK;
        }
        size_t old_beg = r->beg, off = r->end - r->beg;
        lmp_status st = fill(r, err);
        if (st) return st;
        (void)old_beg;
        scan = r->beg + off;
    }
}

lmp_status ng_reader_peek(ng_reader *r, char *buf, size_t n, size_t *got, lmp_error *err)
{
    while (r->end - r->beg < n && !r->eof) {
        lmp_status st = fill(r, err);
        if (st) return st;
    }
    size_t k = r->end - r->beg < n ? r->end - r->beg : n;
    memcpy(buf, r->buf + r->beg, k);
    *got = k;
    return LMP_OK;
}

ng_compress ng_reader_compression(const ng_reader *r) { return r->kind; }
uint64_t ng_reader_bytes(const ng_reader *r) { return r->consumed; }
uint64_t ng_reader_raw_bytes(const ng_reader *r) { return r->raw_total; }
uint64_t ng_reader_raw_size(const ng_reader *r) { return r->raw_size; }
long ng_reader_lineno(const ng_reader *r) { return r->lineno; }
const char *ng_reader_path(const ng_reader *r) { return r->path; }

void ng_reader_close(ng_reader *r)
{
    if (!r) return;
    if (r->zs_init) inflateEnd(&r->zs);
    if (r->xz_init) lzma_end(&r->xz);
    if (r->fp && !r->is_stdin) fclose(r->fp);
    free(r->raw);
    free(r->buf);
    free(r);
}
