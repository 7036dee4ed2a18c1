/* ARPA back-off model files: a strict reader with diagnostic errors (file and
 * line, the value seen, what was expected) and an atomic writer.
 *
 * Accepted (SRILM, KenLM lmplz, lmprob train): blank lines anywhere between
 * sections, '#' comment lines before \data\, tabs or spaces between fields,
 * a missing backoff column (= 0), -99 log probabilities, CRLF line ends,
 * gzip or xz compression. Rejected with a message: text before \data\, count
 * lines out of order, a section with more or fewer n-grams than \data\
 * declares, a missing section or \end\, a positive or NaN log probability, an
 * infinite backoff, a non-zero backoff on the highest order, a word of an
 * n-gram that is not a unigram, an n-gram whose context (its first n-1 words)
 * is not an (n-1)-gram (KenLM makes the same demand), a duplicate n-gram, NUL
 * bytes (binary data), and KenLM's own binary format. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "ngram_internal.h"

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

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
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
    lmp_ngram_progress_fn progress;
    void *pctx;
    uint64_t lines_since;
    const uint64_t *counts;
    uint64_t fill[LMP_NGRAM_MAX_ORDER + 1];            /* slots used per order (n-grams + blanks) */
    unsigned char *blank[LMP_NGRAM_MAX_ORDER + 1];     /* per order, 1 for a blank slot (NULL: none yet) */
} arpa_ctx;

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
    float v = strtof(buf, &end);
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

static lmp_status header_kind_error(arpa_ctx *a, const char *line, size_t len)
{
    char q[80];
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
    return lmp_error_set_at(a->err, LMP_EFORMAT, a->path, io_reader_lineno(a->r),
                            "expected '\\data\\' as the first line of an ARPA file, got '%s'",
                            quote(line, len, q, sizeof q));
}

static lmp_status read_counts(arpa_ctx *a, struct lmp_ngram *m, const char **line, size_t *len)
{
    char q[80];
    lmp_status st;
    for (;;) {
        st = io_reader_line(a->r, line, len, NULL, a->err);
        if (st == LMP_EOF)
            return lmp_error_set_at(a->err, LMP_EFORMAT, a->path, io_reader_lineno(a->r),
                                    "truncated file: it ends before '\\data\\'");
        if (st) return st;
        if (is_blank(*line, *len)) continue;
        if ((*line)[0] == '#' && !memchr(*line, 0, *len)) continue;
        break;
    }
    size_t n = rtrim(*line, *len);
    if (!(n == 6 && memcmp(*line, "\\data\\", 6) == 0)) return header_kind_error(a, *line, *len);
    unsigned order = 0;
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
        int used = 0;
        if (sscanf(buf, "ngram %lu=%llu%n", &ord, &cnt, &used) != 2 || (size_t)used != n || buf[0] != 'n')
            return lmp_error_set_at(a->err, LMP_EFORMAT, a->path, io_reader_lineno(a->r),
                                    "expected a count line 'ngram N=COUNT' in \\data\\, got '%s'",
                                    quote(*line, *len, q, sizeof q));
        if (ord != order + 1)
            return lmp_error_set_at(a->err, LMP_EFORMAT, a->path, io_reader_lineno(a->r),
                                    "count line for order %lu: expected order %u next (orders 1, 2, ... in turn)",
                                    ord, order + 1);
        if (ord > LMP_NGRAM_MAX_ORDER)
            return lmp_error_set_at(a->err, LMP_EUNSUPPORTED, a->path, io_reader_lineno(a->r),
                                    "order %lu: this build handles orders up to %d", ord, LMP_NGRAM_MAX_ORDER);
        if (ord == 1 && (cnt == 0 || cnt >= INT32_MAX - 2))
            return lmp_error_set_at(a->err, LMP_EFORMAT, a->path, io_reader_lineno(a->r),
                                    "ngram 1=%llu: expected between 1 and %d unigrams", cnt, INT32_MAX - 3);
        if (ord > 1 && cnt >= UINT32_MAX / 2)
            return lmp_error_set_at(a->err, LMP_EUNSUPPORTED, a->path, io_reader_lineno(a->r),
                                    "ngram %lu=%llu: this build handles up to %u n-grams per order", ord, cnt,
                                    UINT32_MAX / 2 - 1);
        order = (unsigned)ord;
        m->counts[order] = cnt;
    }
    if (order == 0)
        return lmp_error_set_at(a->err, LMP_EFORMAT, a->path, io_reader_lineno(a->r),
                                "\\data\\ has no 'ngram N=COUNT' lines: expected at least 'ngram 1=...'");
    m->order = order;
    return LMP_OK;
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
                                n - 1, n - 1, (unsigned long long)a->counts[n - 1], want,
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
    uint64_t V = m->counts[1];
    int highest = m->order == 1;
    m->uni = malloc((V + 1) * sizeof *m->uni);
    m->stroff = malloc((V + 2) * sizeof *m->stroff);
    m->strings = malloc(cap);
    if (!m->uni || !m->stroff || !m->strings)
        return lmp_error_set(a->err, LMP_ENOMEM, "out of memory for %llu unigrams", (unsigned long long)V);
    for (uint64_t i = 0; i < V; i++) {
        lmp_status st = next_nonblank(a, &line, &len);
        if (st == LMP_EOF)
            return lmp_error_set_at(a->err, LMP_EFORMAT, a->path, io_reader_lineno(a->r),
                                    "truncated file: \\1-grams: ends after %llu of %llu unigrams",
                                    (unsigned long long)i, (unsigned long long)V);
        if (st) return st;
        if (line[0] == '\\') return section_count_error(a, 1, i, V, line, len);
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
    m->stroff[V] = used;
    m->strbytes = used;
    lmp_status st = ng_build_vocab_table(m, a->path, a->err);
    if (st) return st;
    m->unk = ng_vocab_find(m, "<unk>", 5);
    if (m->unk < 0) {
        /* KenLM (lm/vocab.cc, unknown_missing): <unk> gets log10 p = -100. */
        memcpy(m->strings + used, "<unk>", 6);
        m->uni[V].prob = -100.0f;
        m->uni[V].backoff = -0.0f;
        m->unk = (int32_t)V;
        used += 6;
        m->vocab_size = V + 1;
        m->counts[1] = V + 1;
        m->stroff[V + 1] = used;
        m->strbytes = used;
        m->flags |= LMP_NGRAM_UNK_ADDED;
        free(m->vtab);
        m->vtab = NULL;
        if ((st = ng_build_vocab_table(m, a->path, a->err))) return st;
    }
    m->bos = ng_vocab_find(m, "<s>", 3);
    m->eos = ng_vocab_find(m, "</s>", 4);
    return LMP_OK;
}

/* SRILM-pruned models can hold an n-gram whose suffix w_k .. w_n is missing.
 * The scorer walks suffixes and stops at the first miss, so, as KenLM does
 * (lm/search_hashed.cc FindLower/AdjustLower), the missing suffixes get
 * "blank" entries: log10 p = the backed-off probability of w_n after
 * w_k .. w_{n-1} from the lower orders, backoff 0, not written back to ARPA.
 * The blank's context is marked extendable so that states keep it. */
static lmp_status add_blanks(arpa_ctx *a, struct lmp_ngram *m, unsigned n, const uint32_t *ids)
{
    for (unsigned j = 2; j < n; j++) { /* suffix of length j: ids[n-j .. n-1] */
        uint64_t key = ng_key1(ids[n - 1]);
        for (unsigned q = 2; q <= j; q++) key = ng_combine(key, ids[n - q]);
        key = ng_key_fix(key);
        if (ng_find(m->tab[j], m->cap[j], key)) continue;
        if (a->fill[j] + 2 > m->cap[j]) /* keep one empty slot: probes end there */
            return lmp_error_set_at(a->err, LMP_EUNSUPPORTED, a->path, io_reader_lineno(a->r),
                                    "too many %u-grams missing from \\%u-grams: (suffixes of longer n-grams, as "
                                    "in a pruned SRILM model): the table is full",
                                    j, j);
        if (!a->blank[j] && !(a->blank[j] = calloc(m->cap[j], 1)))
            return lmp_error_set(a->err, LMP_ENOMEM, "out of memory");
        lmp_ngram_state st, out;
        lmp_ngram_state_from(m, (const int32_t *)(ids + n - j), j - 1, &st);
        unsigned len;
        float p = ng_score(m, &st, (int32_t)ids[n - 1], &out, &len);
        uint64_t s = ng_home(key, m->cap[j]);
        while (m->tab[j][s].key != 0)
            if (++s == m->cap[j]) s = 0;
        m->tab[j][s].key = key;
        m->tab[j][s].prob = p;
        m->tab[j][s].backoff = -0.0f;
        a->blank[j][s] = 1;
        a->fill[j]++;
        /* its context ids[n-j .. n-2] can now be extended */
        if (j == 2) {
            float *pb = &m->uni[ids[n - 2]].backoff;
            if (*pb == 0) *pb = 0.0f;
        } else {
            uint64_t ck = ng_key1(ids[n - 2]);
            for (unsigned q = 3; q <= j; q++) ck = ng_combine(ck, ids[n - q]);
            ng_slot *cs = (ng_slot *)ng_find(m->tab[j - 1], m->cap[j - 1], ng_key_fix(ck));
            if (cs && cs->backoff == 0) cs->backoff = 0.0f;
        }
    }
    return LMP_OK;
}

static lmp_status read_order(arpa_ctx *a, struct lmp_ngram *m, unsigned n)
{
    const char *line, *tok[LMP_NGRAM_MAX_ORDER + 3];
    size_t len, tlen[LMP_NGRAM_MAX_ORDER + 3];
    uint32_t ids[LMP_NGRAM_MAX_ORDER];
    uint64_t cnt = m->counts[n];
    int highest = n == m->order;
    char q[80];
    m->cap[n] = ng_table_capacity(cnt);
    m->tab[n] = calloc(m->cap[n], sizeof(ng_slot));
    m->ent[n] = malloc((cnt ? cnt : 1) * sizeof(ng_entry));
    uint32_t *slot2ent = malloc(m->cap[n] * sizeof *slot2ent);
    if (!m->tab[n] || !m->ent[n] || !slot2ent) {
        free(slot2ent);
        return lmp_error_set(a->err, LMP_ENOMEM, "out of memory for %llu %u-grams", (unsigned long long)cnt, n);
    }
    lmp_status st = LMP_OK;
    uint64_t cap = m->cap[n];
    a->fill[n] = cnt;
    for (uint64_t i = 0; i < cnt; i++) {
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
            int32_t id = ng_vocab_find(m, tok[j + 1], tlen[j + 1]);
            if (id < 0) {
                st = lmp_error_set_at(a->err, LMP_EFORMAT, a->path, io_reader_lineno(a->r),
                                      "word '%s' of this %u-gram is not among the unigrams",
                                      quote(tok[j + 1], tlen[j + 1], q, sizeof q), n);
                break;
            }
            ids[j] = (uint32_t)id;
        }
        if (st) break;
        if (n >= 3 && (st = add_blanks(a, m, n, ids))) break;
        /* The context w_1 .. w_{n-1} must be an (n-1)-gram; it can now be extended. */
        uint32_t prefix;
        if (n == 2) {
            prefix = ids[0];
            float *pb = &m->uni[ids[0]].backoff;
            if (*pb == 0) *pb = 0.0f;
        } else {
            uint64_t pk = ng_key1(ids[n - 2]);
            for (int j = (int)n - 3; j >= 0; j--) pk = ng_combine(pk, ids[j]);
            pk = ng_key_fix(pk);
            const ng_slot *ps = ng_find(m->tab[n - 1], m->cap[n - 1], pk);
            if (ps && a->blank[n - 1] && a->blank[n - 1][ps - m->tab[n - 1]]) ps = NULL; /* a blank is no n-gram */
            if (!ps) {
                st = lmp_error_set_at(a->err, LMP_EFORMAT, a->path, io_reader_lineno(a->r),
                                      "the context '%s' of this %u-gram is not a %u-gram: expected every context "
                                      "to appear in \\%u-grams:",
                                      quote(tok[1], (size_t)(tok[n - 1] + tlen[n - 1] - tok[1]), q, sizeof q), n,
                                      n - 1, n - 1);
                break;
            }
            ng_slot *pw = (ng_slot *)ps;
            if (pw->backoff == 0) pw->backoff = 0.0f;
            prefix = (uint32_t)(ps - m->tab[n - 1]);
        }
        uint64_t key = ng_key1(ids[n - 1]);
        for (int j = (int)n - 2; j >= 0; j--) key = ng_combine(key, ids[j]);
        key = ng_key_fix(key);
        uint64_t s = ng_home(key, cap);
        while (m->tab[n][s].key != 0 && m->tab[n][s].key != key)
            if (++s == cap) s = 0;
        if (m->tab[n][s].key == key) {
            const ng_entry *e = &m->ent[n][slot2ent[s]];
            if (e->prefix == prefix && e->word == ids[n - 1])
                st = lmp_error_set_at(a->err, LMP_EFORMAT, a->path, io_reader_lineno(a->r),
                                      "duplicate %u-gram '%s': expected each n-gram once", n,
                                      quote(tok[1], (size_t)(tok[n] + tlen[n] - tok[1]), q, sizeof q));
            else
                st = lmp_error_set_at(a->err, LMP_EUNSUPPORTED, a->path, io_reader_lineno(a->r),
                                      "64-bit hash collision between two %u-grams (about 1 in 10^12 models): "
                                      "this model cannot be stored",
                                      n);
            break;
        }
        m->tab[n][s].key = key;
        m->tab[n][s].prob = p;
        m->tab[n][s].backoff = b;
        slot2ent[s] = (uint32_t)i;
        m->ent[n][i].prefix = prefix;
        m->ent[n][i].word = ids[n - 1];
        m->ent[n][i].slot = (uint32_t)s;
        progress(a);
    }
    free(slot2ent);
    return st;
}

static uint64_t model_bytes(const struct lmp_ngram *m)
{
    uint64_t b = m->vocab_size * (sizeof(ng_pb) + sizeof(uint64_t)) + m->vcap * sizeof(ng_vslot) + m->strbytes;
    for (unsigned n = 2; n <= m->order; n++) b += m->cap[n] * sizeof(ng_slot) + m->counts[n] * sizeof(ng_entry);
    return b;
}

lmp_status lmp_ngram_load_arpa(const char *path, lmp_ngram_progress_fn prog, void *pctx, lmp_ngram **out, lmp_error *err)
{
    *out = NULL;
    if (!path) return lmp_error_set(err, LMP_EINVAL, "model path is NULL");
    struct lmp_ngram *m = calloc(1, sizeof *m);
    if (!m) return lmp_error_set(err, LMP_ENOMEM, "out of memory");
    m->bos = m->eos = m->unk = -1;
    arpa_ctx a = {0};
    a.path = strcmp(path, "-") == 0 ? "<stdin>" : path;
    a.err = err;
    a.progress = prog;
    a.pctx = pctx;
    a.counts = m->counts;
    lmp_status st = io_reader_open(path, 0, &a.r, err);
    const char *line = NULL;
    size_t len = 0;
    if (!st) {
        const char *head = NULL;
        size_t k = 0;
        st = io_reader_peek(a.r, 8, &head, &k, err);
        if (st) {
            /* reported */
        } else if (k == 8 && ng_is_binary_magic(head, k))
            st = lmp_error_set_at(err, LMP_EFORMAT, a.path, 0,
                                  io_reader_compression(a.r) != IO_PLAIN
                                      ? "a compressed lmprob binary model: decompress it first (a binary is mmapped)"
                                      : "this is an lmprob binary model, not ARPA text");
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
                                      m->order, m->order, (unsigned long long)m->counts[m->order],
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
    io_reader_free(a.r);
    for (unsigned n = 0; n <= LMP_NGRAM_MAX_ORDER; n++) free(a.blank[n]);
    if (st) {
        lmp_ngram_free(m);
        return st;
    }
    /* Orders above 1 with zero n-grams would make empty tables: give them one slot each. */
    m->bytes = model_bytes(m);
    if (prog) prog(pctx, 1.0);
    *out = m;
    return LMP_OK;
}

/* ---- writer ----------------------------------------------------------------------- */

/* Fewest significant digits (6 to 9) that read back as the same float, laid
 * out as lmplz writes numbers: fixed notation down to 1e-6 (-0.00007147704),
 * below that a short exponent (-1.8120181e-7). */
static int fmt_float(char *buf, size_t cap, float v)
{
    if (v == 0) return snprintf(buf, cap, "0");
    if (isinf(v)) return snprintf(buf, cap, v < 0 ? "-inf" : "inf");
    int d = 6, k = 0;
    for (; d <= 9; d++) {
        k = snprintf(buf, cap, "%.*g", d, (double)v);
        if (d == 9 || strtof(buf, NULL) == v) break;
    }
    char *e = strchr(buf, 'e');
    if (e) {
        int ex = atoi(e + 1);
        if (ex < 0 && ex >= -6) {
            char fx[64];
            snprintf(fx, sizeof fx, "%.*f", d - 1 - ex, (double)v);
            if (strtof(fx, NULL) == v) k = snprintf(buf, cap, "%s", fx);
        } else {
            /* lmplz's short exponent: e-7, not e-07 */
            k = (int)(e - buf) + snprintf(e, cap - (size_t)(e - buf), "e%d", ex);
        }
    }
    return k;
}

static int write_words(FILE *f, const struct lmp_ngram *m, uint32_t *const *slot2ent, unsigned n, const ng_entry *e)
{
    /* Walk the prefix chain down to the first word, then print forwards. */
    uint32_t w[LMP_NGRAM_MAX_ORDER];
    unsigned k = n;
    w[--k] = e->word;
    uint32_t pre = e->prefix;
    for (unsigned o = n - 1; o >= 2; o--) {
        if (pre >= m->cap[o]) return -1;
        uint32_t ei = slot2ent[o][pre];
        if (ei >= m->counts[o]) return -1;
        const ng_entry *pe = &m->ent[o][ei];
        w[--k] = pe->word;
        pre = pe->prefix;
    }
    w[--k] = pre;
    for (unsigned j = 0; j < n; j++) {
        if (w[j] >= m->vocab_size) return -1;
        if (j) fputc(' ', f);
        fputs(m->strings + m->stroff[w[j]], f);
    }
    return 0;
}

lmp_status lmp_ngram_write_arpa(const lmp_ngram *m, const char *path, lmp_ngram_progress_fn prog, void *pctx,
                                lmp_error *err)
{
    uint32_t *slot2ent[LMP_NGRAM_MAX_ORDER + 1] = {0};
    lmp_atomic_file af;
    lmp_status st = lmp_atomic_open(&af, path, err);
    if (st) return st;
    for (unsigned n = 2; n < m->order; n++) {
        slot2ent[n] = malloc(m->cap[n] * sizeof(uint32_t));
        if (!slot2ent[n]) {
            st = lmp_error_set(err, LMP_ENOMEM, "out of memory writing %s", path);
            goto fail;
        }
        memset(slot2ent[n], 0xff, m->cap[n] * sizeof(uint32_t));
        for (uint64_t i = 0; i < m->counts[n]; i++) {
            uint32_t s = m->ent[n][i].slot;
            if (s >= m->cap[n]) {
                st = lmp_error_set(err, LMP_EFORMAT, "corrupt model: %u-gram %llu has slot %u beyond %llu", n,
                                   (unsigned long long)i, s, (unsigned long long)m->cap[n]);
                goto fail;
            }
            slot2ent[n][s] = (uint32_t)i;
        }
    }
    FILE *f = af.fp;
    uint64_t total = 0, done = 0;
    for (unsigned n = 1; n <= m->order; n++) total += m->counts[n];
    fprintf(f, "\\data\\\n");
    for (unsigned n = 1; n <= m->order; n++) fprintf(f, "ngram %u=%llu\n", n, (unsigned long long)m->counts[n]);
    char pb[32], bb[32];
    for (unsigned n = 1; n <= m->order; n++) {
        fprintf(f, "\n\\%u-grams:\n", n);
        for (uint64_t i = 0; i < m->counts[n]; i++) {
            float p, b;
            if (n == 1) {
                p = m->uni[i].prob;
                b = m->uni[i].backoff;
                fmt_float(pb, sizeof pb, p);
                fputs(pb, f);
                fputc('\t', f);
                fputs(m->strings + m->stroff[i], f);
            } else {
                const ng_entry *e = &m->ent[n][i];
                if (e->slot >= m->cap[n]) {
                    st = lmp_error_set(err, LMP_EFORMAT, "corrupt model: %u-gram %llu has slot %u beyond %llu", n,
                                       (unsigned long long)i, e->slot, (unsigned long long)m->cap[n]);
                    goto fail;
                }
                p = m->tab[n][e->slot].prob;
                b = m->tab[n][e->slot].backoff;
                fmt_float(pb, sizeof pb, p);
                fputs(pb, f);
                fputc('\t', f);
                if (write_words(f, m, slot2ent, n, e)) {
                    st = lmp_error_set(err, LMP_EFORMAT, "corrupt model: %u-gram %llu refers to a missing n-gram",
                                       n, (unsigned long long)i);
                    goto fail;
                }
            }
            if (n < m->order) {
                fmt_float(bb, sizeof bb, b);
                fputc('\t', f);
                fputs(bb, f);
            }
            fputc('\n', f);
            if (prog && (++done & 0x3ffff) == 0) prog(pctx, (double)done / (double)total);
        }
    }
    fprintf(f, "\n\\end\\\n");
    for (unsigned n = 2; n < m->order; n++) free(slot2ent[n]);
    if (prog) prog(pctx, 1.0);
    return lmp_atomic_commit(&af, err);
fail:
    for (unsigned n = 2; n < m->order; n++) free(slot2ent[n]);
    lmp_atomic_abort(&af);
    return st;
}
