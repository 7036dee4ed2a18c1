/* Status names and the per-call error record (see include/lmprob/core.h). */
#include "lmprob/core.h"

#include <stdarg.h>
#include <stdio.h>
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
    }
    return "unknown status";
}

void lmp_error_clear(lmp_error *err)
{
    if (!err) return;
    memset(err, 0, sizeof *err);
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
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
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
    snprintf(err->file, sizeof err->file, "%s", file ? file : "");
    char body[sizeof err->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(body, sizeof body, fmt, ap);
    va_end(ap);
    if (line > 0)
        snprintf(err->msg, sizeof err->msg, "%s:%ld: %s", err->file, line, body);
    else
        snprintf(err->msg, sizeof err->msg, "%s: %s", err->file, body);
    return code;
}
