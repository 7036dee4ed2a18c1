/* The ARPA writer: one for every model lmprob holds (read, trained, trie), over
 * the ng_src view of ngram_internal.h.
 *
 * Layout as lmplz prints it (lm/common/print.cc): comment lines, "\data\",
 * "ngram n=count" lines, then per order "log10p<TAB>w1 .. wn[<TAB>log10 backoff]",
 * every order below the highest with a backoff column, each number the
 * shortest decimal that reads back as the same float (numfmt.c). Lines are
 * formatted into two fixed 1 MiB buffers, alternate blocks of n-grams on two
 * threads (formatting dominated the time of `train`); a line longer than a
 * buffer (a 1 MB word) is written piece by piece, so memory does not depend on
 * the words. The output is atomic (lmp_atomic_*): no partial file on an error.
 *
 * Orders (lmp_arpa_order). KEEP writes the view's order. CONTEXT sorts each
 * order by (position of the context in the written order n-1, last word id):
 * the n-grams in the lexicographic order of their words' positions in
 * \1-grams, which is what IRSTLM's compile-lm needs: it gives each word the
 * code of its position among the unigrams and appends each n-gram to its
 * context's children (lmtable.cpp add()), which it then binary-searches, so
 * the children of a context must be contiguous, sorted by code, and in the
 * order of their contexts. Two stable counting sorts per order (by the last
 * word, then by the context's position), O(n-grams + vocabulary). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "../core/pool.h"
#include "../core/zwrite.h"
#include "ngram_internal.h"

#define BUF_BYTES (1u << 20)
#define BLOCK (NG_ARPA_WINDOW / 2) /* n-grams per formatting job: two jobs a window */

/* The words of entry i of order n (n >= 2), oldest first, through the source's
 * word lists or its context links. */
void ng_src_words(const ng_src *s, unsigned n, uint64_t i, lmp_token_id *ids)
{
    if (s->words) {
        memcpy(ids, s->words(s->self, n, i), n * sizeof *ids);
        return;
    }
    uint32_t ctx;
    lmp_token_id w;
    float p, b;
    s->entry(s->self, n, i, &ctx, &w, &p, &b);
    ids[n - 1] = w;
    for (unsigned o = n - 1; o >= 2; o--) {
        s->entry(s->self, o, ctx, &ctx, &w, &p, &b);
        ids[o - 1] = w;
    }
    ids[0] = (lmp_token_id)ctx; /* a 2-gram's context is its index in order 1: the word id */
}

/* Recently formatted numbers, by their float bits (direct-mapped): an order's
 * backoffs take a few thousand distinct values, so most are found here. */
#define NCACHE 1024
typedef struct num_cache {
    uint32_t key[NCACHE];
    uint8_t len[NCACHE];
    char s[NCACHE][24];
} num_cache;

static void cache_init(num_cache *c)
{
    memset(c->key, 0xff, sizeof c->key); /* a NaN's bits: no model value */
}

static size_t cached_format(num_cache *c, char *out, float v)
{
    uint32_t b;
    memcpy(&b, &v, 4);
    unsigned h = (unsigned)((b * 2654435761u) >> 22) & (NCACHE - 1);
    if (c->key[h] == b) {
        memcpy(out, c->s[h], 24);
        return c->len[h];
    }
    size_t n = ng_format_float(out, v);
    if (n < 24) {
        c->key[h] = b;
        c->len[h] = (uint8_t)n;
        memcpy(c->s[h], out, 24);
    }
    return n;
}

/* The words' text, looked up once (V pointers and lengths) rather than per n-gram. */
typedef struct word_tab {
    const char **w;
    uint32_t *len;
} word_tab;

typedef struct fmt_job {
    const ng_src *src;
    const word_tab *words;
    unsigned n;
    const uint32_t *perm; /* output position -> entry (NULL: identity) */
    uint64_t from, to;    /* output positions */
    char *buf;
    size_t len;
    uint64_t stopped; /* first position not formatted (to: all) */
    num_cache *cache;
} fmt_job;

/* One line's parts: the numbers and the words. */
typedef struct line_parts {
    char p[40], b[40];
    size_t pl, bl;
    const char *w[LMP_NGRAM_MAX_ORDER];
    size_t wl[LMP_NGRAM_MAX_ORDER];
    size_t bytes;
} line_parts;

static void line_get(const ng_src *s, const word_tab *wt, unsigned n, uint64_t i, line_parts *L, num_cache *cache)
{
    float p, b;
    lmp_token_id ids[LMP_NGRAM_MAX_ORDER];
    if (n == 1) {
        s->unigram(s->self, (lmp_token_id)i, &p, &b); /* i < counts[1] <= INT32_MAX */
        ids[0] = (lmp_token_id)i;
    } else {
        uint32_t ctx;
        lmp_token_id w;
        s->entry(s->self, n, i, &ctx, &w, &p, &b);
        ng_src_words(s, n, i, ids);
    }
    L->pl = cached_format(cache, L->p, p);
    L->bytes = L->pl + 1 + n; /* tab, n - 1 spaces, newline */
    for (unsigned j = 0; j < n; j++) {
        L->w[j] = wt->w[ids[j]];
        L->wl[j] = wt->len[ids[j]];
        L->bytes += L->wl[j];
    }
    L->bl = 0;
    if (n < s->order) {
        L->bl = cached_format(cache, L->b, b);
        L->bytes += 1 + L->bl;
    }
}

static size_t line_put(const line_parts *L, unsigned n, char *out)
{
    size_t k = L->pl;
    memcpy(out, L->p, L->pl);
    out[k++] = '\t';
    for (unsigned j = 0; j < n; j++) {
        if (j) out[k++] = ' ';
        memcpy(out + k, L->w[j], L->wl[j]);
        k += L->wl[j];
    }
    if (L->bl) {
        out[k++] = '\t';
        memcpy(out + k, L->b, L->bl);
        k += L->bl;
    }
    out[k++] = '\n';
    return k;
}

/* Format positions [from, to) until the buffer would overflow. */
static void *fmt_run(void *arg)
{
    fmt_job *j = arg;
    size_t k = 0;
    line_parts L;
    uint64_t pos = j->from;
    for (; pos < j->to; pos++) {
        uint64_t i = j->perm ? j->perm[pos] : pos;
        line_get(j->src, j->words, j->n, i, &L, j->cache);
        if (k + L.bytes > BUF_BYTES) break;
        k += line_put(&L, j->n, j->buf + k);
    }
    j->len = k;
    j->stopped = pos;
    return NULL;
}

/* Positions [from, to) one by one on this thread, a line longer than the buffer in pieces. */
static int write_rest(FILE *f, const ng_src *s, const word_tab *wt, unsigned n, const uint32_t *perm, uint64_t from,
                      uint64_t to, char *buf, num_cache *cache)
{
    while (from < to) {
        fmt_job j = {s, wt, n, perm, from, to, buf, 0, from, cache};
        fmt_run(&j);
        if (j.len && fwrite(buf, 1, j.len, f) != j.len) return -1;
        from = j.stopped;
        if (from < to && j.len == 0) { /* one line longer than the buffer */
            line_parts L;
            line_get(s, wt, n, perm ? perm[from] : from, &L, cache);
            if (fwrite(L.p, 1, L.pl, f) != L.pl || fputc('\t', f) == EOF) return -1;
            for (unsigned w = 0; w < n; w++) {
                if (w && fputc(' ', f) == EOF) return -1;
                if (fwrite(L.w[w], 1, L.wl[w], f) != L.wl[w]) return -1;
            }
            if (L.bl && (fputc('\t', f) == EOF || fwrite(L.b, 1, L.bl, f) != L.bl)) return -1;
            if (fputc('\n', f) == EOF) return -1;
            from++;
        }
    }
    return 0;
}

int ng_counting_sort(const uint32_t *idx, const uint32_t *key, uint64_t m, uint64_t nkeys, uint32_t *out)
{
    uint64_t *cnt = calloc(nkeys + 1, sizeof *cnt);
    if (!cnt) return -1;
    for (uint64_t i = 0; i < m; i++) cnt[key[idx[i]] + 1]++;
    for (uint64_t k = 0; k < nkeys; k++) cnt[k + 1] += cnt[k];
    for (uint64_t i = 0; i < m; i++) out[cnt[key[idx[i]]]++] = idx[i];
    free(cnt);
    return 0;
}

/* CONTEXT order of order n: perm[pos] = entry, and pos_of[entry] = pos for the next order.
 * prev_pos: positions of order n-1 (NULL for n = 2: unigrams keep their ids). */
static lmp_status context_order(const ng_src *s, unsigned n, const uint32_t *prev_pos, uint32_t **perm_out,
                                uint32_t **pos_out, lmp_error *err)
{
    uint64_t m = s->counts[n];
    uint32_t *hi = malloc((m ? m : 1) * sizeof *hi), *lo = malloc((m ? m : 1) * sizeof *lo);
    uint32_t *a = malloc((m ? m : 1) * sizeof *a), *b = malloc((m ? m : 1) * sizeof *b);
    lmp_status st = LMP_OK;
    if (!hi || !lo || !a || !b) {
        st = lmp_error_set(err, LMP_ENOMEM, "writing ARPA: out of memory sorting %llu %u-grams", (unsigned long long)m,
                           n);
        goto done;
    }
    for (uint64_t i = 0; i < m; i++) {
        uint32_t ctx;
        lmp_token_id w;
        float p, bo;
        s->entry(s->self, n, i, &ctx, &w, &p, &bo);
        if (ctx >= s->counts[n - 1] || w < 0 || (uint64_t)w >= s->counts[1]) {
            st = lmp_error_set(err, LMP_EFORMAT, "writing ARPA: %u-gram %llu refers to a missing n-gram", n,
                               (unsigned long long)i);
            goto done;
        }
        hi[i] = prev_pos ? prev_pos[ctx] : ctx;
        lo[i] = (uint32_t)w; /* the counting sort's unsigned key: w >= 0, checked above */
        a[i] = (uint32_t)i;
    }
    if (ng_counting_sort(a, lo, m, s->counts[1], b) || ng_counting_sort(b, hi, m, s->counts[n - 1], a)) {
        st = lmp_error_set(err, LMP_ENOMEM, "writing ARPA: out of memory sorting %llu %u-grams", (unsigned long long)m,
                           n);
        goto done;
    }
    for (uint64_t p = 0; p < m; p++) b[a[p]] = (uint32_t)p;
    *perm_out = a;
    *pos_out = b;
    a = b = NULL;
done:
    free(hi);
    free(lo);
    free(a);
    free(b);
    return st;
}

/* value with \, control bytes and newlines escaped, on one line */
static int put_escaped(FILE *f, const char *v)
{
    /* trailing blanks as \x20 / \x09: the reader trims a line's end (a vocabulary file named "voc " came back as
     * "voc", and ARPA -> binary -> ARPA differed) */
    const unsigned char *end = (const unsigned char *)v + strlen(v);
    while (end > (const unsigned char *)v && (end[-1] == ' ' || end[-1] == '\t')) end--;
    for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
        int r;
        if (*p == '\\') r = fputs("\\\\", f);
        else if (*p == '\n') r = fputs("\\n", f);
        else if (*p == '\r') r = fputs("\\r", f);
        else if ((*p < 32 && *p != '\t') || p >= end) r = fprintf(f, "\\x%02x", *p);
        else r = fputc(*p, f);
        if (r < 0) return -1;
    }
    return 0;
}

uint64_t ng_write_arpa_bytes(const ng_src *s, lmp_arpa_order order)
{
    /* The two text buffers, the two number caches and the word table; then, for
     * the CONTEXT order of order n, the positions of order n-1 (4 bytes each),
     * context_order's four arrays (16 bytes an n-gram) and its counting sort's
     * counts (8 bytes a key: a word or an (n-1)-gram), of which the permutation
     * and the positions (8 bytes an n-gram) stay for the next order. */
    uint64_t base = 2ull * BUF_BYTES + 2 * sizeof(num_cache) + s->counts[1] * (sizeof(const char *) + sizeof(uint32_t));
    uint64_t most = 0;
    for (unsigned n = 2; order == LMP_ARPA_ORDER_CONTEXT && n <= s->order; n++) {
        uint64_t keys = s->counts[1] > s->counts[n - 1] ? s->counts[1] : s->counts[n - 1];
        uint64_t at = 4 * s->counts[n - 1] + 16 * s->counts[n] + 8 * (keys + 1);
        if (at > most) most = at;
    }
    return base + most;
}

lmp_status ng_write_arpa(const ng_src *s, const char *path, lmp_arpa_order order, lmp_progress_fn prog,
                         void *pctx, lmp_error *err)
{
    if (order != LMP_ARPA_ORDER_KEEP && order != LMP_ARPA_ORDER_CONTEXT)
        return lmp_error_set(err, LMP_EINVAL, "ARPA order %d: expected LMP_ARPA_ORDER_KEEP or _CONTEXT", (int)order);
    if (s->fill && order != LMP_ARPA_ORDER_KEEP)
        return lmp_error_set(err, LMP_EINVAL, "ARPA writer: a streamed source is written in its own order");
    lmp_atomic_file af;
    lmp_status st = lmp_atomic_open(&af, path, err);
    if (st) return st;
    /* a file named *.gz or *.xz is written compressed, as SRILM writes one (zwrite.h) */
    io_compression zc = af.is_stdout ? IO_PLAIN : io_compression_for_name(path);
    FILE *f = zc == IO_PLAIN ? af.fp : io_zwriter_open(af.fp, zc, err);
    if (!f) {
        lmp_atomic_abort(&af);
        return err ? err->code : LMP_ENOMEM;
    }
    char *buf[2] = {malloc(BUF_BYTES), malloc(BUF_BYTES)};
    num_cache *cache = malloc(2 * sizeof *cache);
    word_tab wt = {malloc((s->counts[1] ? s->counts[1] : 1) * sizeof *wt.w),
                   malloc((s->counts[1] ? s->counts[1] : 1) * sizeof *wt.len)};
    uint32_t *perm = NULL, *pos = NULL, *prev_pos = NULL;
    int bad = 0;
    if (cache) {
        cache_init(&cache[0]);
        cache_init(&cache[1]);
    }
    if (wt.w && wt.len)
        for (uint64_t i = 0; i < s->counts[1]; i++) {
            size_t len;
            wt.w[i] = s->word(s->self, (lmp_token_id)i, &len);
            wt.len[i] = (uint32_t)len;
        }
    if (!buf[0] || !buf[1] || !cache || !wt.w || !wt.len) {
        st = lmp_error_set(err, LMP_ENOMEM, "writing ARPA: out of memory");
        goto fail;
    }
    /* metadata first: comment lines, which KenLM, IRSTLM and Sphinx skip before \data\ */
    const char *mp = s->meta;
    for (unsigned i = 0; i < s->n_meta && !bad; i++) {
        const char *key = mp, *val = mp + strlen(mp) + 1;
        mp = val + strlen(val) + 1;
        bad = fprintf(f, "# lmprob %s: ", key) < 0 || put_escaped(f, val) || fputc('\n', f) == EOF;
    }
    if (s->n_meta && !bad) bad = fputc('\n', f) == EOF;
    bad = bad || fprintf(f, "\\data\\\n") < 0;
    uint64_t total = 0, done = 0;
    for (unsigned n = 1; n <= s->order && !bad; n++) {
        bad = fprintf(f, "ngram %u=%llu\n", n, (unsigned long long)s->counts[n]) < 0;
        total += s->counts[n];
    }
    for (unsigned n = 1; n <= s->order && !bad; n++) {
        if (fprintf(f, "\n\\%u-grams:\n", n) < 0) {
            bad = 1;
            break;
        }
        if (order == LMP_ARPA_ORDER_CONTEXT && n >= 2) {
            free(perm);
            perm = NULL; /* context_order may fail, and the failure path frees perm (tests/cli/test_faults.sh) */
            if ((st = context_order(s, n, prev_pos, &perm, &pos, err))) goto fail;
            free(prev_pos);
            prev_pos = pos;
            pos = NULL;
        }
        const uint32_t *pm = n >= 2 ? perm : NULL;
        const uint64_t m = s->counts[n];
        for (uint64_t at = 0; at < m && !bad; at += 2 * (uint64_t)BLOCK) {
            const uint64_t end = m - at < 2 * (uint64_t)BLOCK ? m : at + 2 * (uint64_t)BLOCK;
            if (n >= 2 && s->fill && (st = s->fill(s->fill_ctx, n, at, end, err))) goto fail;
            fmt_job j[2];
            for (int t = 0; t < 2; t++) {
                uint64_t from = at + (uint64_t)t * BLOCK, to = from + BLOCK;
                if (from > m) from = m;
                if (to > m) to = m;
                j[t] = (fmt_job){s, &wt, n, pm, from, to, buf[t], 0, from, &cache[t]};
            }
            run_pair(fmt_run, &j[0], j[1].to > j[1].from ? &j[1] : NULL); /* an empty j[1] stays len 0, stopped at from */
            /* A job that stopped short (its buffer full) is finished here before the next one is written. */
            bad = (j[0].len && fwrite(buf[0], 1, j[0].len, f) != j[0].len) ||
                  write_rest(f, s, &wt, n, pm, j[0].stopped, j[0].to, buf[0], &cache[0]) ||
                  (j[1].len && fwrite(buf[1], 1, j[1].len, f) != j[1].len) ||
                  write_rest(f, s, &wt, n, pm, j[1].stopped, j[1].to, buf[0], &cache[0]);
            done += j[1].to - j[0].from;
            if (prog) prog(pctx, (double)done / (double)(total ? total : 1));
        }
    }
    bad = bad || fprintf(f, "\n\\end\\\n") < 0;
    if (!bad && f != af.fp) {
        st = io_zwriter_close(f, path, err);
        f = af.fp;
        if (st) goto fail;
    }
    if (bad) {
        int e = errno;
        st = strcmp(path, "-") == 0 /* as lmp_atomic_commit says it, the wording of every command's stdout */
                 ? lmp_error_set(err, LMP_EIO, "writing the results to standard output failed: %s",
                                 e ? strerror(e) : "I/O error")
                 : lmp_error_set_at(err, LMP_EIO, path, 0, "write failed: %s", e ? strerror(e) : "I/O error");
        goto fail;
    }
    free(buf[0]);
    free(buf[1]);
    free(cache);
    free(wt.w);
    free(wt.len);
    free(perm);
    free(prev_pos);
    if (prog) prog(pctx, 1.0);
    return lmp_atomic_commit(&af, err);
fail:
    if (f != af.fp) fclose(f); /* its trailer goes into the temporary file, removed below */
    free(buf[0]);
    free(buf[1]);
    free(cache);
    free(wt.w);
    free(wt.len);
    free(perm);
    free(pos);
    free(prev_pos);
    lmp_atomic_abort(&af);
    return st;
}

/* ---- the view of a model ---------------------------------------------------------- */

static const char *model_word(const void *self, lmp_token_id id, size_t *len)
{
    const struct lmp_ngram *m = self;
    *len = (size_t)(m->stroff[id + 1] - m->stroff[id] - 1);
    return m->strings + m->stroff[id];
}

static void model_unigram(const void *self, lmp_token_id id, float *prob, float *backoff)
{
    const struct lmp_ngram *m = self;
    *prob = m->uni[id].prob;
    *backoff = m->uni[id].backoff;
}

static void hashed_entry(const void *self, unsigned n, uint64_t i, uint32_t *ctx, lmp_token_id *w, float *prob,
                         float *backoff)
{
    const struct lmp_ngram *m = self;
    const ng_entry *e = &m->ent[n][i];
    const ng_slot *s = &m->tab[n][e->slot < m->cap[n] ? e->slot : 0];
    *ctx = e->prefix;
    *w = ng_entry_word(e);
    *prob = s->prob;
    *backoff = s->backoff;
}

lmp_status ng_src_of_model(const struct lmp_ngram *m, ng_src *s, lmp_error *err)
{
    memset(s, 0, sizeof *s);
    s->order = m->order;
    for (unsigned n = 1; n <= m->order; n++) s->counts[n] = m->counts[n];
    s->self = m;
    s->word = model_word;
    s->unigram = model_unigram;
    s->entry = hashed_entry;
    s->meta = m->meta;
    s->meta_bytes = m->meta_bytes;
    s->n_meta = m->n_meta;
    s->flags = m->flags;
    return m->trie ? ng_trie_src(m, s, err) : LMP_OK;
}

void ng_src_release(ng_src *s)
{
    free(s->owned);
    s->owned = NULL;
}

lmp_status lmp_ngram_write_arpa(const lmp_ngram *m, const char *path, const lmp_ngram_write_params *params,
                                lmp_error *err)
{
    if (!m || !path) return lmp_error_set(err, LMP_EINVAL, "lmp_ngram_write_arpa: NULL model or path");
    lmp_ngram_write_params p = {LMP_ARPA_ORDER_KEEP, NULL, NULL};
    if (params) p = *params;
    ng_src s;
    lmp_status st = ng_src_of_model(m, &s, err);
    if (st) return st;
    /* a model from a binary file is checked at load except for its n-gram lists: check them here */
    for (unsigned n = 2; !m->trie && n <= m->order; n++)
        for (uint64_t i = 0; i < m->counts[n]; i++) {
            const ng_entry *e = &m->ent[n][i];
            if (e->slot >= m->cap[n] || e->word >= m->vocab_size || e->prefix >= m->counts[n - 1])
                return lmp_error_set(err, LMP_EFORMAT,
                                     "corrupt model: %u-gram %llu refers to slot %u, word %u, context %u "
                                     "(table %llu slots, %llu words, %llu %u-grams)",
                                     n, (unsigned long long)i, e->slot, e->word, e->prefix,
                                     (unsigned long long)m->cap[n], (unsigned long long)m->vocab_size,
                                     (unsigned long long)m->counts[n - 1], n - 1);
        }
    st = ng_write_arpa(&s, path, p.order, p.progress, p.progress_ctx, err);
    ng_src_release(&s);
    return st;
}
