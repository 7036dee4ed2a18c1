/* ARPA writer for trained models (lmp_train_write_arpa).
 *
 * Layout as lmplz prints it (lm/common/print.cc): "\data\", "ngram n=count"
 * lines, then per order "log10p<TAB>w1 .. wn[<TAB>log10 backoff]"; every order
 * below the highest has a backoff column (0 when the n-gram is not a context).
 * Numbers have 8 significant digits (lmplz prints float's shortest form, about
 * 7-9 digits), formatted by hand because printf's %g dominated the run time;
 * two threads format alternate blocks of lines; the output is atomic (lmp_atomic_*). */
#include "../count/train_internal.h"

#include <math.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

/* x with 8 significant digits, no exponent for 1e-5 <= |x| < 1e15 (%.8g otherwise). */
static size_t fmt_num(char *out, double x)
{
    if (x == 0) {
        out[0] = '0';
        return 1;
    }
    double a = fabs(x);
    if (!isfinite(x) || a < 1e-5 || a >= 1e15) return (size_t)snprintf(out, 32, "%.8g", x);
    static const double p10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    static const double neg[] = {1e-1, 1e-2, 1e-3, 1e-4, 1e-5};
    int e = 0; /* a = d.ddd * 10^e */
    if (a >= 1) {
        while (e < 14 && a >= p10[e + 1]) e++;
    } else {
        e = -1;
        while (e > -5 && a < neg[-e - 1]) e--;
    }
    unsigned long long d = 0;
    for (int tries = 0; tries < 4; tries++) {
        int sh = 7 - e;
        double scaled = sh >= 0 ? a * p10[sh] : a / p10[-sh];
        d = (unsigned long long)(scaled + 0.5);
        if (d >= 100000000ull) e++;
        else if (d < 10000000ull) e--;
        else break;
    }
    char dig[8];
    for (int i = 7; i >= 0; i--) {
        dig[i] = (char)('0' + d % 10);
        d /= 10;
    }
    int last = 7; /* last significant digit */
    while (last > 0 && dig[last] == '0') last--;
    size_t k = 0;
    if (x < 0) out[k++] = '-';
    if (e >= 0) {
        for (int i = 0; i <= e; i++) out[k++] = i < 8 ? dig[i] : '0';
        if (last > e) {
            out[k++] = '.';
            for (int i = e + 1; i <= last; i++) out[k++] = dig[i];
        }
    } else {
        out[k++] = '0';
        out[k++] = '.';
        for (int i = 0; i < -e - 1; i++) out[k++] = '0';
        for (int i = 0; i <= last; i++) out[k++] = dig[i];
    }
    return k;
}

/* Format entries [from, to) of order n into buf (returns bytes). The caller
 * sizes buf for the longest possible lines. */
static size_t format_block(const lmp_train_model *m, unsigned n, uint64_t from, uint64_t to, const char *const *ws,
                           const size_t *wl, char *buf)
{
    const train_order *t = &m->o[n];
    size_t k = 0;
    for (uint64_t i = from; i < to; i++) {
        k += fmt_num(buf + k, t->lp[i]);
        buf[k++] = '\t';
        const uint32_t *g = t->w + i * n;
        for (unsigned j = 0; j < n; j++) {
            if (j) buf[k++] = ' ';
            memcpy(buf + k, ws[g[j]], wl[g[j]]);
            k += wl[g[j]];
        }
        if (n < m->order) {
            buf[k++] = '\t';
            k += fmt_num(buf + k, t->lb[i]);
        }
        buf[k++] = '\n';
    }
    return k;
}

typedef struct fmt_job {
    const lmp_train_model *m;
    unsigned n;
    uint64_t from, to;
    const char *const *ws;
    const size_t *wl;
    char *buf;
    size_t len;
} fmt_job;

static void *fmt_thread(void *arg)
{
    fmt_job *j = arg;
    j->len = format_block(j->m, j->n, j->from, j->to, j->ws, j->wl, j->buf);
    return NULL;
}

enum { BLOCK = 1 << 14 }; /* entries formatted per block */

lmp_status lmp_train_write_arpa(const lmp_train_model *m, const char *path, lmp_error *err)
{
    lmp_atomic_file af;
    lmp_status st = lmp_atomic_open(&af, path, err);
    if (st) return st;
    size_t nv = lmp_vocab_size(m->vocab), maxw = 0;
    const char **ws = malloc(nv * sizeof *ws);
    size_t *wl = malloc(nv * sizeof *wl);
    if (ws && wl)
        for (size_t i = 0; i < nv; i++) {
            ws[i] = lmp_vocab_word(m->vocab, (lmp_token_id)i, &wl[i]);
            if (wl[i] > maxw) maxw = wl[i];
        }
    /* A line: two numbers (< 32 bytes each), tabs, n words and spaces. */
    size_t line_max = 80 + (size_t)m->order * (maxw + 1);
    size_t cap = (size_t)BLOCK * line_max;
    char *b[2] = {malloc(cap), malloc(cap)};
    int bad = !ws || !wl || !b[0] || !b[1];
    if (bad) {
        lmp_atomic_abort(&af);
        free(ws);
        free(wl);
        free(b[0]);
        free(b[1]);
        return lmp_error_set(err, LMP_ENOMEM, "writing ARPA: out of memory");
    }
    FILE *f = af.fp;
    if (fprintf(f, "\\data\\\n") < 0) bad = 1;
    for (unsigned n = 1; n <= m->order; n++)
        if (fprintf(f, "ngram %u=%llu\n", n, (unsigned long long)m->o[n].m) < 0) bad = 1;
    for (unsigned n = 1; n <= m->order && !bad; n++) {
        if (fprintf(f, "\n\\%u-grams:\n", n) < 0) bad = 1;
        const uint64_t total = m->o[n].m;
        for (uint64_t at = 0; at < total && !bad; at += 2 * (uint64_t)BLOCK) {
            fmt_job j[2];
            for (int t = 0; t < 2; t++) {
                uint64_t from = at + (uint64_t)t * BLOCK, to = from + BLOCK;
                if (from > total) from = total;
                if (to > total) to = total;
                j[t] = (fmt_job){m, n, from, to, ws, wl, b[t], 0};
            }
            pthread_t th;
            int threaded = j[1].to > j[1].from && pthread_create(&th, NULL, fmt_thread, &j[1]) == 0;
            fmt_thread(&j[0]);
            if (threaded) pthread_join(th, NULL);
            else fmt_thread(&j[1]);
            for (int t = 0; t < 2; t++)
                if (j[t].len && fwrite(j[t].buf, 1, j[t].len, f) != j[t].len) bad = 1;
        }
    }
    if (fprintf(f, "\n\\end\\\n") < 0) bad = 1;
    int e = errno; /* why a write failed (what follows keeps errno) */
    free(ws);
    free(wl);
    free(b[0]);
    free(b[1]);
    if (bad) {
        lmp_atomic_abort(&af);
        return lmp_error_set_at(err, LMP_EIO, path, 0, "write failed: %s", strerror(e ? e : EIO));
    }
    return lmp_atomic_commit(&af, err);
}
