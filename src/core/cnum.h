/* Numbers read and written in the "C" locale (internal; not installed): the one rule for the library's text
 * formats (ARPA, JSON, config.json, the metadata a model records), which use a decimal point whatever the
 * program's locale. The CLI never calls setlocale, but a program that links the library may (Python's
 * locale.setlocale(locale.LC_ALL, "de_DE.UTF-8"), a C program's setlocale(LC_ALL, "")), and then strtod reads
 * "0.5" as 0 and the ARPA reader refused "-1.2999429" as not a number (the fortieth session's audit).
 *
 * newlocale(LC_ALL_MASK, "C", 0) returns the C library's own static "C" object (glibc and musl both), so asking
 * for it at each call allocates nothing and keeps no state here; freelocale is not needed for it. If it ever
 * failed, the calls fall back to the process's locale. Messages (lmp_error) keep the program's locale. */
#ifndef LMPROB_CORE_CNUM_H
#define LMPROB_CORE_CNUM_H

#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static inline locale_t lmp_c_locale(void)
{
    return newlocale(LC_ALL_MASK, "C", (locale_t)0);
}

static inline double lmp_strtod_c(const char *s, char **end)
{
    locale_t c = lmp_c_locale();
    return c ? strtod_l(s, end, c) : strtod(s, end);
}

static inline float lmp_strtof_c(const char *s, char **end)
{
    locale_t c = lmp_c_locale();
    return c ? strtof_l(s, end, c) : strtof(s, end);
}

/* snprintf with the C locale's decimal point: the thread's locale is switched for the call (uselocale is
 * per thread, so other threads are not affected). */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static inline int lmp_snprintf_c(char *buf, size_t size, const char *fmt, ...)
{
    locale_t c = lmp_c_locale(), old = c ? uselocale(c) : (locale_t)0;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    if (c) uselocale(old);
    return k;
}

#endif
