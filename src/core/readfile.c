/* Whole files (core.h, "whole files"): the one reader of a file read whole, for
 * the library (a vocabulary from a pipe, a model's config) and the CLI (a text
 * to score, a golden file, a report's tables).
 *
 * A regular file is read into one buffer of its size, and one byte more, so
 * that a file that grew since fstat is seen growing (and read on) rather than
 * cut. Anything else, a pipe, a terminal or a device, is read until its end into
 * a buffer that doubles, up to the caller's bound: /dev/zero named as a text
 * was once read until memory ran out.
 *
 * Why each larger buffer is a fresh block marked for huge pages (bigmem.c)
 * and not a realloc: the first write to a fresh 4 KiB page is a page fault,
 * and in the virtual machine this was measured on, an expensive one. Reading
 * 1 GiB of /dev/zero (the CLI's bound) by realloc took 262,000 faults and 3.0 s
 * of system time, and 657,000 faults and 8 s under AddressSanitizer, whose
 * realloc copies into a new block in small pages before the caller could ask
 * for huge ones. The copies this costs are cheaper than the faults they save
 * (measured: docs/reliability.md, "Reading whole files"). */
#include "bigmem.h"
#include "lmprob/core.h"
#include "reader.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define READ_FIRST ((size_t)64 << 10) /* the first buffer of a stream */

/* "1 GiB", "256 MiB", "100 bytes": a bound for a message */
static const char *size_words(char *out, size_t cap, size_t n)
{
    static const char *const unit[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};
    int u = 0;
    size_t v = n;
    while (u < 4 && v >= 1024 && v % 1024 == 0) {
        v /= 1024;
        u++;
    }
    snprintf(out, cap, "%zu %s", v, unit[u]);
    return out;
}

/* A block of cap bytes of data and the NUL after them, holding the used bytes
 * of old (which is then freed); NULL without memory, old untouched. */
static char *regrow(char *old, size_t used, size_t cap)
{
    char *b = malloc(cap + 1);
    if (!b) return NULL;
    mem_hugepages(b, cap + 1); /* before the first write: faults then map 2 MiB at a time */
    if (used) memcpy(b, old, used);
    free(old);
    return b;
}

lmp_status lmp_read_fd(int fd, const char *name, size_t max, char **data, size_t *len, lmp_error *err)
{
    *data = NULL;
    *len = 0;
    if (!name) name = "<input>";
    if (fd < 0) return lmp_error_set_at(err, LMP_EINVAL, name, 0, "cannot read: not an open file descriptor");
    if (max == 0) max = LMP_READ_MAX;
    if (max > SIZE_MAX / 2) max = SIZE_MAX / 2;
    char words[32];
    size_t cap = READ_FIRST < max ? READ_FIRST : max;
    struct stat sb;
    if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode)) {
        /* what is left from the current offset (standard input may be a file read in part) */
        off_t at = lseek(fd, 0, SEEK_CUR);
        uintmax_t left = at >= 0 && at <= sb.st_size ? (uintmax_t)(sb.st_size - at) : (uintmax_t)sb.st_size;
        if (left > max)
            return lmp_error_set_at(err, LMP_EUNSUPPORTED, name, 0,
                                    "cannot read: %ju bytes, more than %s, the most read whole", left,
                                    size_words(words, sizeof words, max));
        /* a size of 0 may hide content (/proc files): then grown as a stream */
        if (left > 0) cap = left < max ? (size_t)left + 1 : max;
    }
    char *b = regrow(NULL, 0, cap);
    if (!b) return lmp_error_set_at(err, LMP_ENOMEM, name, 0, "cannot read: out of memory");
    size_t n = 0;
    for (;;) {
        if (n == cap) {
            if (cap == max) { /* exactly max bytes so far: taken only if that was all */
                char one;
                ssize_t got;
                while ((got = read(fd, &one, 1)) < 0 && errno == EINTR) {
                }
                if (got == 0) break;
                free(b);
                if (got < 0) return lmp_error_set_at(err, LMP_EIO, name, 0, "cannot read: %s", strerror(errno));
                return lmp_error_set_at(err, LMP_EUNSUPPORTED, name, 0,
                                        "cannot read: more than %s, the most read whole (a device, or a stream "
                                        "without an end?)",
                                        size_words(words, sizeof words, max));
            }
            size_t next = cap > max / 2 ? max : cap * 2;
            char *nb = regrow(b, n, next);
            if (!nb) {
                free(b);
                return lmp_error_set_at(err, LMP_ENOMEM, name, 0, "cannot read: out of memory after %zu bytes", n);
            }
            b = nb;
            cap = next;
        }
        ssize_t got = read(fd, b + n, cap - n);
        if (got < 0) {
            if (errno == EINTR) continue;
            int e = errno;
            free(b);
            return lmp_error_set_at(err, LMP_EIO, name, 0, "cannot read: %s", strerror(e));
        }
        if (got == 0) break;
        n += (size_t)got;
    }
    b[n] = '\0';
    *data = b;
    *len = n;
    return LMP_OK;
}

lmp_status lmp_read_file(const char *path, size_t max, char **data, size_t *len, lmp_error *err)
{
    if (!data || !len)
        return lmp_error_set(err, LMP_EINVAL, "lmp_read_file: %s is NULL: expected a place for it", !data ? "data" : "len");
    *data = NULL;
    *len = 0;
    if (!path) return lmp_error_set(err, LMP_EINVAL, "lmp_read_file: no path");
    if (strcmp(path, "-") == 0) return lmp_read_fd(STDIN_FILENO, "<stdin>", max, data, len, err);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return lmp_error_set_at(err, LMP_EIO, path, 0, "cannot read: %s", strerror(errno));
    lmp_status st = lmp_read_fd(fd, path, max, data, len, err);
    close(fd);
    return st;
}

/* A text whole, decompressed (core.h, "texts"). The raw bytes come through
 * lmp_read_file (its bounds, its streams, its huge pages); the one reader then
 * tells plain from gzip and xz by the magic bytes and refuses bzip2 and zstd,
 * so a text is told apart here exactly as the corpus reader tells it. */
lmp_status lmp_read_text(const char *path, size_t max, char **data, size_t *len, lmp_error *err)
{
    if (!data || !len)
        return lmp_error_set(err, LMP_EINVAL, "lmp_read_text: %s is NULL: expected a place for it", !data ? "data" : "len");
    *data = NULL;
    *len = 0;
    if (max == 0) max = LMP_READ_MAX;
    if (max > SIZE_MAX / 2) max = SIZE_MAX / 2;
    char *raw = NULL;
    size_t rawlen = 0;
    lmp_status st = lmp_read_file(path, max, &raw, &rawlen, err);
    if (st) return st;
    const char *name = strcmp(path, "-") == 0 ? "<stdin>" : path;
    io_reader *r = NULL;
    if ((st = io_reader_open_mem(raw, rawlen, name, 0, 1, &r, err))) {
        free(raw);
        return st;
    }
    if (io_reader_compression(r) == IO_PLAIN) {
        io_reader_free(r);
        *data = raw;
        *len = rawlen;
        return LMP_OK;
    }
    char words[32];
    size_t cap = rawlen < max / 4 ? (rawlen < READ_FIRST / 4 ? READ_FIRST : rawlen * 4) : max, n = 0;
    char *b = regrow(NULL, 0, cap);
    if (!b) st = lmp_error_set_at(err, LMP_ENOMEM, name, 0, "cannot read: out of memory");
    while (!st) {
        if (n == cap) {
            if (cap == max) { /* exactly max bytes so far: taken only if that was all */
                const char *v;
                size_t k;
                if ((st = io_reader_read(r, 1, &v, &k, err)) || k == 0) break;
                st = lmp_error_set_at(err, LMP_EUNSUPPORTED, name, 0,
                                      "cannot read: more than %s of %s-compressed text, the most read whole",
                                      size_words(words, sizeof words, max), io_reader_compression_name(r));
                break;
            }
            size_t next = cap > max / 2 ? max : cap * 2;
            char *nb = regrow(b, n, next);
            if (!nb) {
                st = lmp_error_set_at(err, LMP_ENOMEM, name, 0, "cannot read: out of memory after %zu bytes", n);
                break;
            }
            b = nb;
            cap = next;
        }
        const char *v;
        size_t k;
        if ((st = io_reader_read(r, cap - n, &v, &k, err)) || k == 0) break;
        memcpy(b + n, v, k);
        n += k;
    }
    io_reader_free(r);
    free(raw);
    if (st) {
        free(b);
        return st;
    }
    b[n] = '\0';
    *data = b;
    *len = n;
    return LMP_OK;
}
