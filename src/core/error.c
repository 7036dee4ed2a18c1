/* Status names and the per-call error record (see include/lmprob/core.h). */
#include "lmprob/core.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *lmp_version(void) { return LMP_VERSION_STRING; }

const char *lmp_status_str(lmp_status st)
{
    switch (st) {
    case LMP_OK: return "ok";
    case LMP_EINVAL: return "invalid argument";
    case LMP_EDOM: return "domain error";
    case LMP_ERANGE: return "range error";
    case LMP_ENOMEM: return "out of memory";
    case LMP_EIO: return "input/output error";
    case LMP_EFORMAT: return "bad format";
    case LMP_ESINGULAR: return "singular matrix";
    case LMP_EUNSUPPORTED: return "unsupported";
    case LMP_EOF: return "end of input";
    case LMP_ECANCELED: return "canceled by the caller";
    }
    return "unknown status";
}

void lmp_error_clear(lmp_error *err)
{
    if (!err) return;
    memset(err, 0, sizeof *err);
}

/* Copy the n-byte message s into dst (size bytes). A message too long for dst
 * loses its middle, marked " ... ", never its end: messages end with the
 * reason and what was expected, and a long path or value at the start must
 * not push those out (issue 11: a 250-character output name cut the message
 * before its reason). The cuts fall on UTF-8 character boundaries. */
static void keep_ends(char *dst, size_t size, const char *s, size_t n)
{
    if (n < size) {
        memcpy(dst, s, n);
        dst[n] = '\0';
        return;
    }
    static const char mark[] = " ... ";
    size_t room = size - 1 - (sizeof mark - 1);
    size_t head = room * 2 / 5, tail = room - head;
    while (head > 0 && ((unsigned char)s[head] & 0xC0) == 0x80) head--;
    size_t from = n - tail;
    while (from < n && ((unsigned char)s[from] & 0xC0) == 0x80) from++;
    memcpy(dst, s, head);
    memcpy(dst + head, mark, sizeof mark - 1);
    memcpy(dst + head + sizeof mark - 1, s + from, n - from);
    dst[head + sizeof mark - 1 + (n - from)] = '\0';
}

/* Format prefix (may be NULL) then fmt/ap into dst, keeping both ends. */
static void format_msg(char *dst, size_t size, const char *prefix, const char *fmt, va_list ap)
{
    char local[4096];
    size_t pl = prefix ? strlen(prefix) : 0;
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(local, sizeof local, fmt, ap);
    char *heap = NULL;
    const char *body = local;
    if (n < 0) {
        n = 0;
        local[0] = '\0';
    } else if ((size_t)n >= sizeof local) {
        heap = malloc((size_t)n + 1);
        if (heap) {
            vsnprintf(heap, (size_t)n + 1, fmt, ap2);
            body = heap;
        } else {
            n = (int)sizeof local - 1; /* out of memory: the body's end is lost */
        }
    }
    va_end(ap2);
    if (pl == 0) {
        keep_ends(dst, size, body, (size_t)n);
    } else {
        /* prefix + body, both ends kept: the prefix's end may be dropped, the body's end never. */
        char *joined = malloc(pl + (size_t)n + 1);
        if (joined) {
            memcpy(joined, prefix, pl);
            memcpy(joined + pl, body, (size_t)n + 1);
            keep_ends(dst, size, joined, pl + (size_t)n);
            free(joined);
        } else {
            keep_ends(dst, size, body, (size_t)n);
        }
    }
    free(heap);
}

lmp_status lmp_error_set(lmp_error *err, lmp_status code, const char *fmt, ...)
{
    if (!err) return code;
    err->code = code;
    err->line = 0;
    err->col = 0;
    err->file[0] = '\0';
    va_list ap;
    va_start(ap, fmt);
    format_msg(err->msg, sizeof err->msg, NULL, fmt, ap);
    va_end(ap);
    return code;
}

lmp_status lmp_error_set_at(lmp_error *err, lmp_status code, const char *file, long line,
                            const char *fmt, ...)
{
    if (!err) return code;
    err->code = code;
    err->line = line;
    err->col = 0;
    if (!file) file = "";
    keep_ends(err->file, sizeof err->file, file, strlen(file));
    char prefix[4200];
    if (line > 0) snprintf(prefix, sizeof prefix, "%s:%ld: ", file, line);
    else snprintf(prefix, sizeof prefix, "%s: ", file);
    va_list ap;
    va_start(ap, fmt);
    format_msg(err->msg, sizeof err->msg, prefix, fmt, ap);
    va_end(ap);
    return code;
}
