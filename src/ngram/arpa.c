/* ARPA back-off model files: a strict reader with diagnostic errors (file and
 * line, the value seen, what was expected). The writer is arpa_write.c.
 *
 * Accepted (SRILM, KenLM lmplz, IRSTLM, Sphinx, lmprob train): any text before
 * \data\ (the format allows it: Sphinx writes a paragraph there, SRILM and
 * KenLM '#' comments), blank lines anywhere between sections, tabs or spaces
 * between fields, a missing backoff column (= 0), -99 log probabilities, CRLF
 * line ends, a UTF-8 byte order mark at the start (the line reader's rule),
 * gzip or xz compression.
 * lmprob's own comment lines "# lmprob KEY: VALUE" before \data\ are the
 * model's metadata (lmp_ngram_meta_get). Rejected
 * with a message: no \data\ in the first NG_PREAMBLE_LINES lines, count lines
 * out of order, counts the file cannot hold, a section with more or fewer
 * n-grams than \data\ declares, a missing section or \end\, a positive or NaN
 * log probability, an infinite backoff, a non-zero backoff on the highest
 * order, a word of an n-gram that is not a unigram, an n-gram whose context
 * (its first n-1 words) is not an (n-1)-gram (KenLM makes the same demand), a
 * duplicate n-gram, NUL bytes (binary data), and KenLM's own binary format.
 *
 * Memory: what the file holds, not what its header says. For a plain file the
 * declared counts are checked against its size before anything is allocated
 * (an n-gram line takes at least 2n + 2 bytes); for compressed input and pipes
 * the arrays start small and grow as n-grams arrive (hashed.c). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "ngram_internal.h"
#include "../core/cnum.h"

/* Lines of free text accepted before \data\ (Sphinx writes about ten). */
#define NG_PREAMBLE_LINES 10000
/* Room reserved up front when the input's size is unknown (compressed, pipe). */
#define NG_RESERVE_UNKNOWN (1u << 20)

static int is_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\v' && s[i] != '\f') return 0;
    return 1;
}

static size_t rtrim(const char *s, size_t n)
{
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r')) n--;
    return n;
}

/* The bytes between an ARPA line's fields: KenLM's kARPASpaces (space, tab; newline ends the line) and CR
 * for CRLF files. Not \v or \f: a word may hold them, as lmplz and lmprob train split a corpus only on space,
 * tab, CR, LF and NUL, so "b\fc" is one word; split here, the model train wrote could not be read back. */
static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

/* Quote at most 60 bytes of a line for an error message, replacing control bytes. */
static const char *quote(const char *s, size_t n, char *buf, size_t cap)
{
    size_t k = 0;
    for (size_t i = 0; i < n && k + 4 < cap && i < 60; i++) {
        unsigned char c = (unsigned char)s[i];
        buf[k++] = (c < 32 || c == 127) ? '?' : (char)c;
    }
    if (n > 60 && k + 4 < cap) {
        buf[k++] = '.';
        buf[k++] = '.';
        buf[k++] = '.';
    }
    buf[k] = 0;
    return buf;
}

typedef struct arpa_ctx {
    io_reader *r;
    const char *path;
    lmp_error *err;
    lmp_progress_fn progress;
    void *pctx;
    uint64_t lines_since;
    uint64_t declared[LMP_NGRAM_MAX_ORDER + 1];
    long declared_line[LMP_NGRAM_MAX_ORDER + 1]; /* where each count line is */
    ng_hb hb;
    /* The line of unigram i is i + off of the last jump at or before i: the offset moves only at
     * blank lines inside \1-grams:, so a few pairs name the line of a duplicate word. */
    struct uni_jump {
        uint64_t id;
        long off;
    } *jump;
    size_t njump, jump_cap;
} arpa_ctx;

/* Where unigram id was read (read_unigrams recorded the jumps). */
static long unigram_line(const arpa_ctx *a, uint64_t id)
{
    long off = 0;
    for (size_t k = 0; k < a->njump && a->jump[k].id <= id; k++) off = a->jump[k].off;
    return (long)id + off;
}

/* Next non-blank line; LMP_EOF at the end. */
static lmp_status next_nonblank(arpa_ctx *a, const char **line, size_t *len)
{
    for (;;) {
        lmp_status st = io_reader_line(a->r, line, len, NULL, a->err);
        if (st) return st;
        if (memchr(*line, 0, *len))
            return lmp_error_set_at(a->err, LMP_EFORMAT, a->path, io_reader_lineno(a->r),
                                    "NUL byte in the line: expected ARPA text, got binary data");
        if (!is_blank(*line, *len)) return LMP_OK;
    }
}

static lmp_status parse_float(arpa_ctx *a, const char *tok, size_t n, float *out, const char *what)
{
    char buf[64], q[80];
    if (n == 0 || n >= sizeof buf)
        return lmp_error_set_at(a->err, LMP_EFORMAT, a->path, io_reader_lineno(a->r), "%s: expected a number, got '%s'",
                                what, quote(tok, n, q, sizeof q));
    memcpy(buf, tok, n);
    buf[n] = 0;
    char *end;
    errno = 0;
    float v = lmp_strtof_c(buf, &end);
    if (end != buf + n || isnan(v))
        return lmp_error_set_at(a->err, LMP_EFORMAT, a->path, io_reader_lineno(a->r), "%s: expected a number, got '%s'",
                                what, buf);
    /* strtof turns a finite literal beyond the float range (-1e39) into -inf with
     * ERANGE; a log10 probability of -inf must be written as such. */
    if (isinf(v) && errno == ERANGE)
        return lmp_error_set_at(a->err, LMP_EFORMAT, a->path, io_reader_lineno(a->r),
                                "%s '%s' is out of the range of a float (magnitude above 3.4e38): expected a number "
                                "that a float holds",
                                what, buf);
    *out = v;
    return LMP_OK;
}

/* Split a line into whitespace-separated tokens; returns the count (up to max, then max+1 = too many). */
static size_t split(const char *s, size_t n, const char **tok, size_t *tlen, size_t max)
{
    size_t k = 0, i = 0;
    while (i < n) {
        while (i < n && is_space(s[i])) i++;
        if (i >= n) break;
        size_t b = i;
        while (i < n && !is_space(s[i])) i++;
        if (k == max) return max + 1;
        tok[k] = s + b;
        tlen[k] = i - b;
        k++;
    }
    return k;
}

/* An lmprob binary model where ARPA text was expected. lmp_ngram_load maps a binary model that is a regular
 * file, so one that comes here is compressed, streamed (standard input, a pipe, a device), or was given to
 * the ARPA reader itself: the message says which. */
static lmp_status binary_model_error(arpa_ctx *a)
{
    const int regular = io_reader_raw_size(a->r) > 0; /* a named regular file (the reader's fstat; a model is never empty) */
    return lmp_error_set_at(a->err, LMP_EFORMAT, a->path, 0, "%s",
                            io_reader_compression(a->r) != IO_PLAIN
                                ? "a compressed lmprob binary model: decompress it first (a binary model is mmapped)"
                            : !regular ? "an lmprob binary model read as a stream (standard input, a pipe or a "
                                         "device): a binary model is mmapped, so name it as a regular file"
                                       : "this is an lmprob binary model, not ARPA text");
}

/* A line before \data\ that shows the file is no ARPA text at all: its error, else LMP_OK. */
static lmp_status not_text_error(arpa_ctx *a, const char *line, size_t len)
{
    if (io_reader_lineno(a->r) == 1 && ng_is_binary_magic(line, len)) return binary_model_error(a);
    if (len >= 2 && (unsigned char)line[0] == 0x1f && (unsigned char)line[1] == 0x8b)
        return lmp_error_set_at(a->err, LMP_EFORMAT, a->path, io_reader_lineno(a->r),
                                "looks like a gzip file inside a gzip file: expected ARPA text after decompression");
    if (len >= 8 && memcmp(line, "mmap lm ", 8) == 0)
        return lmp_error_set_at(a->err, LMP_EFORMAT, a->path, io_reader_lineno(a->r),
                                "this is a KenLM binary model: lmprob reads ARPA or its own binary format "
                                "(give lmprob the ARPA file, or convert it with 'lmprob model convert X.arpa X.bin')");
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)line[i];
        if (c == 0 || (c < 32 && c != '\t' && c != '\r' && c != '\v' && c != '\f'))
            return lmp_error_set_at(a->err, LMP_EFORMAT, a->path, io_reader_lineno(a->r),
                                    "binary data (byte 0x%02x at column %zu): expected an ARPA file starting "
                                    "with '\\data\\'",
                                    c, i + 1);
    }
    return LMP_OK;
}

/* "# lmprob KEY: VALUE" (value with \n, \r, \\ and \xNN escapes): a metadata record. */
static lmp_status meta_line(arpa_ctx *a, struct lmp_ngram *m, const char *line, size_t len)
{
    static const char tag[] = "# lmprob ";
    size_t t = sizeof tag - 1;
    len = rtrim(line, len);
    if (len <= t || memcmp(line, tag, t) != 0) return LMP_OK;
    size_t k = t;
    while (k < len && ((line[k] >= 'a' && line[k] <= 'z') || (line[k] >= '0' && line[k] <= '9') || line[k] == '_' ||
                       line[k] == '-'))
        k++;
    if (k == t || k - t > 32 || k + 1 >= len || line[k] != ':' || line[k + 1] != ' ') return LMP_OK; /* a comment */
    char key[40], *val = malloc(len - k + 1);
    if (!val) return lmp_error_set(a->err, LMP_ENOMEM, "out of memory");
    memcpy(key, line + t, k - t);
    key[k - t] = 0;
    size_t v = 0;
    for (size_t i = k + 2; i < len; i++) {
        char c = line[i];
        if (c == '\\' && i + 1 < len) {
            char e = line[++i];
            if (e == 'n') c = '\n';
            else if (e == 'r') c = '\r';
            else if (e == 'x' && i + 2 < len && isxdigit((unsigned char)line[i + 1]) &&
                     isxdigit((unsigned char)line[i + 2])) {
                char hx[3] = {line[i + 1], line[i + 2], 0};
                c = (char)strtol(hx, NULL, 16);
                i += 2;
            } else c = e; /* \\, or an escape the writer never makes (\xzz): the character itself */
        }
        if (c) val[v++] = c;
    }
    val[v] = 0;
    lmp_status st = ng_meta_put(m, key, val, a->err);
    free(val);
    return st;
}

/* A count line "ngram N=COUNT" (buf NUL-terminated, right-trimmed). Blanks may follow "ngram" and
 * surround "=" (IRSTLM writes "ngram  1=     10002"; "ngram 1 = 3" was refused although the
 * documentation said otherwise). 0 with *ord and *cnt set; -1 when it is no such line; -2 when N is
 * but COUNT is no whole number that fits (a sign, other characters, above 2^64 - 1), *num then
 * pointing at COUNT as written, for the message. */
static int count_line(const char *buf, unsigned long *ord, unsigned long long *cnt, const char **num)
{
    const char *p = buf;
    char *end;
    if (strncmp(p, "ngram", 5) != 0 || (p[5] != ' ' && p[5] != '\t')) return -1;
    for (p += 5; *p == ' ' || *p == '\t'; p++) {}
    if (!isdigit((unsigned char)*p)) return -1;
    errno = 0;
    *ord = strtoul(p, &end, 10);
    if (errno) return -1;
    for (p = end; *p == ' ' || *p == '\t'; p++) {}
    if (*p != '=') return -1;
    for (p++; *p == ' ' || *p == '\t'; p++) {}
    *num = p;
    /* digits only: strtoull would take "-1" (as 2^64 - 1) and leading blanks */
    if (!isdigit((unsigned char)*p)) return -2;
    errno = 0;
    *cnt = strtoull(p, &end, 10);
    return *end || errno ? -2 : 0;
}

static lmp_status read_counts(arpa_ctx *a, struct lmp_ngram *m, const char **line, size_t *len)
{
    char q[80];
    lmp_status st;
    long first_text = 0;
    char first[80] = "";
    for (long k = 0;; k++) {
        st = io_reader_line(a->r, line, len, NULL, a->err);
        if (st == LMP_EOF)
            return first_text ? lmp_error_set_at(a->err, LMP_EFORMAT, a->path, first_text,
                                                 "expected '\\data\\' (an ARPA file), got '%s' and no '\\data\\' line "
                                                 "after it",
                                                 first)
                              : lmp_error_set_at(a->err, LMP_EFORMAT, a->path, io_reader_lineno(a->r),
                                                 "truncated file: it ends before '\\data\\'");
        if (st) return st;
        if (rtrim(*line, *len) == 6 && memcmp(*line, "\\data\\", 6) == 0) break;
        if (is_blank(*line, *len)) continue;
        if ((st = not_text_error(a, *line, *len))) return st;
        if ((*line)[0] == '#') {
            if ((st = meta_line(a, m, *line, *len))) return st;
            continue;
        }
        /* free text: allowed before \data\, but a file that never gets there is no model */
        if (!first_text) {
            first_text = io_reader_lineno(a->r);
            quote(*line, *len, first, sizeof first);
        }
        if (k >= NG_PREAMBLE_LINES)
            return lmp_error_set_at(a->err, LMP_EFORMAT, a->path, first_text,
                                    "expected '\\data\\' (an ARPA file) within the first %d lines, got '%s' and "
                                    "%ld more lines of text",
                                    NG_PREAMBLE_LINES, first, k);
    }
    unsigned order = 0;
    size_t n;
    for (;;) {
        st = io_reader_line(a->r, line, len, NULL, a->err);
        if (st == LMP_EOF)
            return lmp_error_set_at(a->err, LMP_EFORMAT, a->path, io_reader_lineno(a->r),
                                    "truncated file: it ends inside the \\data\\ section");
        if (st) return st;
        if (is_blank(*line, *len)) {
            if (order == 0) continue;
            break;
        }
        if ((*line)[0] == '\\') break;
        n = rtrim(*line, *len);
        char buf[128];
        if (n >= sizeof buf) n = sizeof buf - 1;
        memcpy(buf, *line, n);
        buf[n] = 0;
        unsigned long ord;
        unsigned long long cnt;
        const char *num;
        int rc = count_line(buf, &ord, &cnt, &num);
        if (rc == -1)
            return lmp_error_set_at(a->err, LMP_EFORMAT, a->path, io_reader_lineno(a->r),
                                    "expected a count line 'ngram N=COUNT' in \\data\\, got '%s'",
                                    quote(*line, *len, q, sizeof q));
        /* the count as written: strtoull made -1 and 99999999999999999999 both 18446744073709551615 */
        if (rc == -2)
            return lmp_error_set_at(a->err, LMP_EFORMAT, a->path, io_reader_lineno(a->r),
                                    "ngram %lu=%s: expected a count of n-grams, a whole number from 0 to %u", ord, num,
                                    UINT32_MAX / 2 - 1);
        if (ord != order + 1)
            return lmp_error_set_at(a->err, LMP_EFORMAT, a->path, io_reader_lineno(a->r),
                                    "count line for order %lu: expected order %u next (orders 1, 2, ... in turn)",
                                    ord, order + 1);
        if (ord > LMP_NGRAM_MAX_ORDER)
            return lmp_error_set_at(a->err, LMP_EUNSUPPORTED, a->path, io_reader_lineno(a->r),
                                    "order %lu: this build handles orders up to %d", ord, LMP_NGRAM_MAX_ORDER);
        if (ord == 1 && (cnt == 0 || cnt >= INT32_MAX - 2))
            return lmp_error_set_at(a->err, LMP_EFORMAT, a->path, io_reader_lineno(a->r),
                                    "ngram 1=%s: expected between 1 and %d unigrams", num, INT32_MAX - 3);
        if (ord > 1 && cnt >= UINT32_MAX / 2)
            return lmp_error_set_at(a->err, LMP_EUNSUPPORTED, a->path, io_reader_lineno(a->r),
                                    "ngram %lu=%s: this build handles up to %u n-grams per order", ord, num,
                                    UINT32_MAX / 2 - 1);
        order = (unsigned)ord;
        a->declared[order] = cnt;
        a->declared_line[order] = io_reader_lineno(a->r);
    }
    if (order == 0)
        return lmp_error_set_at(a->err, LMP_EFORMAT, a->path, io_reader_lineno(a->r),
                                "\\data\\ has no 'ngram N=COUNT' lines: expected at least 'ngram 1=...'");
    m->order = order;
    /* A plain file must hold what it declares: each n-gram line takes at least
     * 2n + 2 bytes ("p w1 .. wn" and a newline). Checked before allocating. */
    uint64_t size = io_reader_raw_size(a->r);
    if (size && io_reader_compression(a->r) == IO_PLAIN) {
        uint64_t left = size > io_reader_bytes(a->r) ? size - io_reader_bytes(a->r) : 0, need = 0;
        for (unsigned k = 1; k <= order; k++) {
            need += a->declared[k] * (2 * (uint64_t)k + 2);
            if (need > left)
                return lmp_error_set_at(a->err, LMP_EFORMAT, a->path, a->declared_line[k],
                                        "\\data\\ declares ngram %u=%llu, but the %llu bytes after it can hold at most "
                                        "%llu such lines (each at least %u bytes): expected counts that match the "
                                        "file",
                                        k, (unsigned long long)a->declared[k], (unsigned long long)left,
                                        (unsigned long long)(left / (2 * k + 2)), 2 * k + 2);
        }
    }
    return LMP_OK;
}

/* Room to reserve for n-grams the header declares: all of them when the file's
 * size was checked, otherwise a start that grows. */
static uint64_t reserve_for(const arpa_ctx *a, uint64_t declared)
{
    if (io_reader_raw_size(a->r) && io_reader_compression(a->r) == IO_PLAIN) return declared;
    return declared < NG_RESERVE_UNKNOWN ? declared : NG_RESERVE_UNKNOWN;
}

/* Expect the header "\N-grams:" (the line may already be in *line when have_line). */
static lmp_status expect_section(arpa_ctx *a, unsigned n, const char **line, size_t *len, int have_line)
{
    char q[80], want[32];
    snprintf(want, sizeof want, "\\%u-grams:", n);
    if (!have_line || is_blank(*line, *len)) {
        lmp_status st = next_nonblank(a, line, len);
        if (st == LMP_EOF)
            return lmp_error_set_at(a->err, LMP_EFORMAT, a->path, io_reader_lineno(a->r),
                                    "truncated file: section %s is missing (\\data\\ declares order %u)", want,
                                    n);
        if (st) return st;
    }
    size_t k = rtrim(*line, *len);
    if (n > 1 && (*line)[0] != '\\')
        return lmp_error_set_at(a->err, LMP_EFORMAT, a->path, io_reader_lineno(a->r),
                                "section \\%u-grams: has more n-grams than \\data\\ declares (ngram %u=%llu): "
                                "expected '%s', got '%s'",
                                n - 1, n - 1, (unsigned long long)a->declared[n - 1], want,
                                quote(*line, *len, q, sizeof q));
    if (k != strlen(want) || memcmp(*line, want, k) != 0)
        return lmp_error_set_at(a->err, LMP_EFORMAT, a->path, io_reader_lineno(a->r),
                                "expected the section header '%s', got '%s'", want, quote(*line, *len, q, sizeof q));
    return LMP_OK;
}

static lmp_status section_count_error(arpa_ctx *a, unsigned n, uint64_t got, uint64_t want, const char *line,
                                      size_t len)
{
    char q[80];
    return lmp_error_set_at(a->err, LMP_EFORMAT, a->path, io_reader_lineno(a->r),
                            "section \\%u-grams: has %llu n-grams before '%s', but \\data\\ declares ngram %u=%llu",
                            n, (unsigned long long)got, quote(line, len, q, sizeof q), n, (unsigned long long)want);
}

static void progress(arpa_ctx *a)
{
    if (!a->progress) return;
    if (++a->lines_since < (1u << 18)) return;
    a->lines_since = 0;
    uint64_t total = io_reader_raw_size(a->r);
    if (total) a->progress(a->pctx, (double)io_reader_raw_bytes(a->r) / (double)total);
}

static lmp_status read_unigrams(arpa_ctx *a, struct lmp_ngram *m)
{
    const char *line, *tok[4];
    size_t len, tlen[4], cap = 1 << 16, used = 0;
    uint64_t V = a->declared[1], room = reserve_for(a, V);
    int highest = m->order == 1;
    /* one extra for a missing <unk>, one for the final offset */
    m->uni = malloc((room + 1) * sizeof *m->uni);
    m->stroff = malloc((room + 2) * sizeof *m->stroff);
    m->strings = malloc(cap);
    if (!m->uni || !m->stroff || !m->strings)
        return lmp_error_set(a->err, LMP_ENOMEM, "out of memory for %llu unigrams", (unsigned long long)room);
    for (uint64_t i = 0; i < V; i++) {
        lmp_status st = next_nonblank(a, &line, &len);
        if (st == LMP_EOF)
            return lmp_error_set_at(a->err, LMP_EFORMAT, a->path, io_reader_lineno(a->r),
                                    "truncated file: \\1-grams: ends after %llu of %llu unigrams",
                                    (unsigned long long)i, (unsigned long long)V);
        if (st) return st;
        if (line[0] == '\\') return section_count_error(a, 1, i, V, line, len);
        long off = io_reader_lineno(a->r) - (long)i;
        if (a->njump == 0 || a->jump[a->njump - 1].off != off) { /* the first line, or blank lines before this */
            if (a->njump == a->jump_cap) {
                size_t nc = a->jump_cap ? 2 * a->jump_cap : 16;
                struct uni_jump *nj = realloc(a->jump, nc * sizeof *nj);
                if (!nj) return lmp_error_set(a->err, LMP_ENOMEM, "out of memory for the unigrams' line numbers");
                a->jump = nj;
                a->jump_cap = nc;
            }
            a->jump[a->njump++] = (struct uni_jump){i, off};
        }
        if (i == room) { /* more than reserved: grow */
            room *= 2;
            ng_pb *nu = realloc(m->uni, (room + 1) * sizeof *nu);
            if (nu) m->uni = nu;
            uint64_t *no = realloc(m->stroff, (room + 2) * sizeof *no);
            if (no) m->stroff = no;
            if (!nu || !no) return lmp_error_set(a->err, LMP_ENOMEM, "out of memory for %llu unigrams", (unsigned long long)room);
        }
        size_t k = split(line, len, tok, tlen, 3);
        char q[80];
        if (k < 2 || k > 3)
            return lmp_error_set_at(a->err, LMP_EFORMAT, a->path, io_reader_lineno(a->r),
                                    "expected 'log10prob word [backoff]', got '%s'", quote(line, len, q, sizeof q));
        float p, b = -0.0f;
        if ((st = parse_float(a, tok[0], tlen[0], &p, "log10 probability"))) return st;
        if (p > 0)
            return lmp_error_set_at(a->err, LMP_EFORMAT, a->path, io_reader_lineno(a->r),
                                    "positive log10 probability %g for '%s': expected <= 0", (double)p,
                                    quote(tok[1], tlen[1], q, sizeof q));
        if (k == 3) {
            if ((st = parse_float(a, tok[2], tlen[2], &b, "log10 backoff"))) return st;
            if (!isfinite(b))
                return lmp_error_set_at(a->err, LMP_EFORMAT, a->path, io_reader_lineno(a->r),
                                        "backoff %g: expected a finite number", (double)b);
            if (highest && b != 0)
                return lmp_error_set_at(a->err, LMP_EFORMAT, a->path, io_reader_lineno(a->r),
                                        "backoff %g on the highest order: expected none or 0", (double)b);
            if (b == 0) b = -0.0f;
        }
        m->uni[i].prob = p;
        m->uni[i].backoff = b;
        while (used + tlen[1] + 1 + 8 > cap) {
            cap *= 2;
            char *ns = realloc(m->strings, cap);
            if (!ns) return lmp_error_set(a->err, LMP_ENOMEM, "out of memory for the vocabulary");
            m->strings = ns;
        }
        m->stroff[i] = used;
        memcpy(m->strings + used, tok[1], tlen[1]);
        used += tlen[1];
        m->strings[used++] = 0;
        progress(a);
    }
    m->vocab_size = V;
    m->counts[1] = V;
    m->stroff[V] = used;
    m->strbytes = used;
    uint64_t dup[2];
    lmp_status st = ng_build_vocab_table(m, a->path, dup, a->err);
    if (st && dup[1] < V) {
        char q[80];
        const char *w = m->strings + m->stroff[dup[1]];
        return lmp_error_set_at(a->err, LMP_EFORMAT, a->path, unigram_line(a, dup[1]),
                                "word '%s' appears twice among the unigrams (lines %ld and %ld): expected each "
                                "word once",
                                quote(w, strlen(w), q, sizeof q), unigram_line(a, dup[0]), unigram_line(a, dup[1]));
    }
    if (st) return st;
    m->unk = ng_vocab_find(m, "<unk>", 5);
    if (m->unk < 0) {
        /* KenLM (lm/vocab.cc, unknown_missing): <unk> gets log10 p = -100. */
        memcpy(m->strings + used, "<unk>", 6);
        m->uni[V].prob = -100.0f;
        m->uni[V].backoff = -0.0f;
        m->unk = (lmp_token_id)V; /* V < INT32_MAX - 2 (the count line's check) */
        used += 6;
        m->vocab_size = V + 1;
        m->counts[1] = V + 1;
        m->stroff[V + 1] = used;
        m->strbytes = used;
        m->flags |= LMP_NGRAM_UNK_ADDED;
        free(m->vtab);
        m->vtab = NULL;
        if ((st = ng_build_vocab_table(m, a->path, NULL, a->err))) return st;
    }
    m->bos = ng_vocab_find(m, "<s>", 3);
    m->eos = ng_vocab_find(m, "</s>", 4);
    /* Every sentence is scored from <s> to </s> (KenLM's query, lmprob ppl): without </s> the end went
     * unscored and uncounted in silence, without <s> the first word had no context, and the tools that
     * rebuild a model (filter, prune, mix) added the missing marker at -99, changing every perplexity.
     * KenLM refuses such a file too (lm/vocab.cc, "The ARPA file is missing"). */
    if (m->bos < 0 || m->eos < 0)
        return lmp_error_set_at(a->err, LMP_EFORMAT, a->path, io_reader_lineno(a->r),
                                "\\1-grams: no %s among the %llu unigrams: expected both sentence markers, <s> "
                                "and </s> (every sentence is scored from <s> to </s>)",
                                m->bos < 0 && m->eos < 0 ? "<s> and no </s>" : m->bos < 0 ? "<s>" : "</s>",
                                (unsigned long long)V);
    return LMP_OK;
}

/* The table builder's errors (out of memory) know no file: named here, at the line being read, so that
 * `mix a.arpa b.arpa` says which model did not fit ("out of memory for 634950 2-grams" named none). */
static lmp_status at_path(arpa_ctx *a, lmp_status st)
{
    if (!st || !a->err || a->err->file[0]) return st;
    char msg[sizeof a->err->msg];
    memcpy(msg, a->err->msg, sizeof msg);
    return lmp_error_set_at(a->err, st, a->path, io_reader_lineno(a->r), "%s", msg);
}

static lmp_status read_order(arpa_ctx *a, struct lmp_ngram *m, unsigned n)
{
    const char *line, *tok[LMP_NGRAM_MAX_ORDER + 3];
    size_t len, tlen[LMP_NGRAM_MAX_ORDER + 3];
    lmp_token_id ids[LMP_NGRAM_MAX_ORDER];
    uint64_t cnt = a->declared[n];
    int highest = n == m->order;
    char q[80];
    lmp_status st = at_path(a, ng_hb_begin(&a->hb, n, reserve_for(a, cnt), a->err));
    for (uint64_t i = 0; !st && i < cnt; i++) {
        st = next_nonblank(a, &line, &len);
        if (st == LMP_EOF) {
            st = lmp_error_set_at(a->err, LMP_EFORMAT, a->path, io_reader_lineno(a->r),
                                  "truncated file: \\%u-grams: ends after %llu of %llu n-grams", n,
                                  (unsigned long long)i, (unsigned long long)cnt);
            break;
        }
        if (st) break;
        if (line[0] == '\\') {
            st = section_count_error(a, n, i, cnt, line, len);
            break;
        }
        size_t k = split(line, len, tok, tlen, n + 2);
        if (k < n + 1 || k > n + 2) {
            st = lmp_error_set_at(a->err, LMP_EFORMAT, a->path, io_reader_lineno(a->r),
                                  "expected 'log10prob' then %u words then an optional backoff, got '%s'", n,
                                  quote(line, len, q, sizeof q));
            break;
        }
        float p, b = -0.0f;
        if ((st = parse_float(a, tok[0], tlen[0], &p, "log10 probability"))) break;
        if (p > 0) {
            st = lmp_error_set_at(a->err, LMP_EFORMAT, a->path, io_reader_lineno(a->r),
                                  "positive log10 probability %g: expected <= 0", (double)p);
            break;
        }
        if (k == n + 2) {
            if ((st = parse_float(a, tok[n + 1], tlen[n + 1], &b, "log10 backoff"))) break;
            if (!isfinite(b)) {
                st = lmp_error_set_at(a->err, LMP_EFORMAT, a->path, io_reader_lineno(a->r),
                                      "backoff %g: expected a finite number", (double)b);
                break;
            }
            if (highest && b != 0) {
                st = lmp_error_set_at(a->err, LMP_EFORMAT, a->path, io_reader_lineno(a->r),
                                      "backoff %g on the highest order %u: expected none or 0", (double)b, n);
                break;
            }
            if (b == 0) b = -0.0f;
        }
        for (unsigned j = 0; j < n; j++) {
            lmp_token_id id = ng_vocab_find(m, tok[j + 1], tlen[j + 1]);
            if (id < 0) {
                st = lmp_error_set_at(a->err, LMP_EFORMAT, a->path, io_reader_lineno(a->r),
                                      "word '%s' of this %u-gram is not among the unigrams",
                                      quote(tok[j + 1], tlen[j + 1], q, sizeof q), n);
                break;
            }
            ids[j] = id;
        }
        if (st) break;
        switch (ng_hb_add(&a->hb, n, ids, p, b)) {
        case NG_HB_OK:
            break;
        case NG_HB_NOCTX:
            st = lmp_error_set_at(a->err, LMP_EFORMAT, a->path, io_reader_lineno(a->r),
                                  "the context '%s' of this %u-gram is not a %u-gram: expected every context "
                                  "to appear in \\%u-grams:",
                                  quote(tok[1], (size_t)(tok[n - 1] + tlen[n - 1] - tok[1]), q, sizeof q), n, n - 1,
                                  n - 1);
            break;
        case NG_HB_DUP:
            st = lmp_error_set_at(a->err, LMP_EFORMAT, a->path, io_reader_lineno(a->r),
                                  "duplicate %u-gram '%s': expected each n-gram once", n,
                                  quote(tok[1], (size_t)(tok[n] + tlen[n] - tok[1]), q, sizeof q));
            break;
        case NG_HB_COLLISION:
            st = lmp_error_set_at(a->err, LMP_EUNSUPPORTED, a->path, io_reader_lineno(a->r),
                                  "64-bit hash collision between two %u-grams (about 1 in 10^12 models): "
                                  "this model cannot be stored",
                                  n);
            break;
        case NG_HB_FULL:
            st = lmp_error_set_at(a->err, LMP_EUNSUPPORTED, a->path, io_reader_lineno(a->r),
                                  "too many %u-grams missing from \\%u-grams: (suffixes of longer n-grams, as "
                                  "in a pruned SRILM model): the table is full",
                                  a->hb.bad_order, a->hb.bad_order);
            break;
        case NG_HB_NOMEM:
            st = lmp_error_set_at(a->err, LMP_ENOMEM, a->path, io_reader_lineno(a->r), "out of memory for %llu %u-grams",
                                  (unsigned long long)i + 1, n);
            break;
        }
        progress(a);
    }
    if (!st) st = at_path(a, ng_hb_end(&a->hb, n, a->err));
    return st;
}

lmp_status lmp_ngram_load_arpa(const char *path, lmp_progress_fn prog, void *pctx, lmp_ngram **out, lmp_error *err)
{
    *out = NULL;
    if (!path) return lmp_error_set(err, LMP_EINVAL, "model path is NULL");
    struct lmp_ngram *m = calloc(1, sizeof *m);
    if (!m) return lmp_error_set(err, LMP_ENOMEM, "out of memory");
    m->bos = m->eos = m->unk = -1;
    arpa_ctx a;
    memset(&a, 0, sizeof a);
    a.path = strcmp(path, "-") == 0 ? "<stdin>" : path;
    a.err = err;
    a.progress = prog;
    a.pctx = pctx;
    ng_hb_init(&a.hb, m);
    lmp_status st = io_reader_open(path, 0, &a.r, err);
    const char *line = NULL;
    size_t len = 0;
    if (!st) {
        const char *head = NULL;
        size_t k = 0;
        st = io_reader_peek(a.r, 8, &head, &k, err);
        if (st) {
            /* reported */
        } else if (k == 8 && ng_is_binary_magic(head, k)) {
            st = binary_model_error(&a);
        }
        else if (k == 0)
            st = lmp_error_set_at(err, LMP_EFORMAT, a.path, 0, "empty file: expected an ARPA model");
    }
    if (!st) st = read_counts(&a, m, &line, &len);
    if (!st) st = expect_section(&a, 1, &line, &len, 1);
    if (!st) st = read_unigrams(&a, m);
    for (unsigned n = 2; !st && n <= m->order; n++) {
        st = expect_section(&a, n, &line, &len, 0);
        if (st == LMP_OK) st = read_order(&a, m, n);
    }
    if (!st) {
        st = next_nonblank(&a, &line, &len);
        char q[80];
        if (st == LMP_EOF)
            st = lmp_error_set_at(err, LMP_EFORMAT, a.path, io_reader_lineno(a.r),
                                  "truncated file: expected '\\end\\' after \\%u-grams:", m->order);
        else if (!st && !(rtrim(line, len) == 5 && memcmp(line, "\\end\\", 5) == 0)) {
            if (line[0] == '\\' && len > 1 && line[1] >= '0' && line[1] <= '9')
                st = lmp_error_set_at(err, LMP_EFORMAT, a.path, io_reader_lineno(a.r),
                                      "section '%s' is not declared in \\data\\ (order %u): expected '\\end\\'",
                                      quote(line, len, q, sizeof q), m->order);
            else if (line[0] != '\\')
                st = lmp_error_set_at(err, LMP_EFORMAT, a.path, io_reader_lineno(a.r),
                                      "section \\%u-grams: has more n-grams than \\data\\ declares (ngram %u=%llu): "
                                      "expected '\\end\\', got '%s'",
                                      m->order, m->order, (unsigned long long)a.declared[m->order],
                                      quote(line, len, q, sizeof q));
            else
                st = lmp_error_set_at(err, LMP_EFORMAT, a.path, io_reader_lineno(a.r), "expected '\\end\\', got '%s'",
                                      quote(line, len, q, sizeof q));
        }
    }
    if (!st) {
        st = next_nonblank(&a, &line, &len);
        if (st == LMP_EOF)
            st = LMP_OK;
        else if (!st) {
            char q[80];
            st = lmp_error_set_at(err, LMP_EFORMAT, a.path, io_reader_lineno(a.r),
                                  "text after '\\end\\': expected the end of the file, got '%s'",
                                  quote(line, len, q, sizeof q));
        }
    }
    if (a.r) {
        m->arpa_file_bytes = io_reader_raw_bytes(a.r); /* read to the end when st is OK */
        const io_compression c = io_reader_compression(a.r);
        m->arpa_compression = c == IO_GZIP ? LMP_NGRAM_ARPA_GZIP : c == IO_XZ ? LMP_NGRAM_ARPA_XZ : 0;
    }
    io_reader_free(a.r);
    ng_hb_free(&a.hb);
    free(a.jump);
    if (st) {
        lmp_ngram_free(m);
        return st;
    }
    m->bytes = ng_model_bytes(m);
    if (prog) prog(pctx, 1.0);
    *out = m;
    return LMP_OK;
}

/* The token record without the n-grams: the lines up to \data\ and the counts of an ARPA
 * file (the metadata comes first, lmp_ngram_write_arpa), or a binary's header and metadata
 * section (ng_binary_peek_meta: not the sections after them, which the loader maps). */
lmp_status lmp_ngram_peek_tokens(const char *path, lmp_ngram_tokens want, lmp_ngram_tokens *have, int *peeked,
                                 lmp_error *err)
{
    if (!have) return lmp_error_set(err, LMP_EINVAL, "peek_tokens: have is NULL: expected a place for the kind");
    *have = LMP_NGRAM_TOKENS_UNKNOWN;
    if (peeked) *peeked = 0;
    if (!path) return lmp_error_set(err, LMP_EINVAL, "model path is NULL");
    /* Only a regular file can be read twice: the head of stdin, a pipe or a FIFO read here would be
     * missing from the loader's read. Those are checked after the load. */
    struct stat sb;
    if (strcmp(path, "-") == 0 || (stat(path, &sb) == 0 && !S_ISREG(sb.st_mode))) return LMP_OK;
    struct lmp_ngram *m = calloc(1, sizeof *m);
    if (!m) return lmp_error_set(err, LMP_ENOMEM, "out of memory");
    m->bos = m->eos = m->unk = -1;
    int done = 0, is_binary;
    lmp_status st = ng_probe_binary(path, &is_binary, err);
    if (st) {
        free(m);
        return st;
    }
    if (is_binary) {
        st = ng_binary_peek_meta(path, m, &done, err);
    } else {
        arpa_ctx a;
        memset(&a, 0, sizeof a);
        a.path = path;
        a.err = err;
        ng_hb_init(&a.hb, m);
        const char *line = NULL;
        size_t len = 0;
        st = io_reader_open(path, 0, &a.r, err);
        if (!st) st = read_counts(&a, m, &line, &len);
        io_reader_free(a.r);
        ng_hb_free(&a.hb);
        done = st == LMP_OK;
    }
    if (!st && done) {
        *have = lmp_ngram_get_tokens(m);
        if (peeked) *peeked = 1;
        if (want != LMP_NGRAM_TOKENS_UNKNOWN) st = lmp_ngram_check_tokens(m, want, err);
    }
    lmp_ngram_free(m);
    return st;
}
