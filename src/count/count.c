/* Counting the n-grams of the highest order, and KenLM's adjusted counts.
 *
 * Counting (Heafield et al. 2013, section 3.1, done in memory here): every token
 * position gives one order-N record (the N-1 words before it, padded with <s>
 * at the start of a sentence, and the word). Records go into a chunk; a full
 * chunk is radix sorted in suffix order (least significant word first, 16-bit
 * digits) and equal records are combined. A chunk that stays more than half
 * full after combining is written to a temporary file as a sorted run. At the
 * end all runs (on disk and the last one of each thread in memory) are merged,
 * summing counts, into one sorted array. Two threads count the two halves of
 * the token stream. The result does not depend on the chunk size.
 *
 * Adjusted counts (Kneser & Ney 1995; Chen & Goodman 1998 section 3; KenLM
 * lm/builder/adjust_counts.cc): in suffix order the n-grams that share their
 * last k words are contiguous, so one scan of the top order gives every lower
 * order k: its count is the number of distinct words seen before it (the
 * continuation count N1+(. w)), except an n-gram starting with <s>, which
 * cannot be extended to the left and keeps its raw count. Padded records
 * ("<s> <s> w", second word <s>) are not n-grams of the model; they only carry
 * the raw counts of the "<s> w" n-grams and are dropped afterwards. */
#include "train_internal.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Record: N words then a 64-bit count as two uint32 (low, high). */
static inline uint64_t rec_count(const uint32_t *r, unsigned N)
{
    return (uint64_t)r[N] | ((uint64_t)r[N + 1] << 32);
}
static inline void rec_set_count(uint32_t *r, unsigned N, uint64_t c)
{
    r[N] = (uint32_t)c;
    r[N + 1] = (uint32_t)(c >> 32);
}

/* Suffix order: the last word is the most significant. */
static inline int suffix_cmp(const uint32_t *a, const uint32_t *b, unsigned n)
{
    for (unsigned i = n; i-- > 0;)
        if (a[i] != b[i]) return a[i] < b[i] ? -1 : 1;
    return 0;
}

static void radix_sort(uint32_t *a, uint32_t *tmp, uint64_t k, unsigned S, unsigned N, unsigned bits, uint64_t *hist)
{
    uint32_t *src = a, *dst = tmp;
    for (unsigned j = 0; j < N; j++) {
        for (unsigned shift = 0; shift < bits; shift += 16) {
            unsigned width = bits - shift < 16 ? bits - shift : 16;
            uint32_t nb = 1u << width, mask = nb - 1;
            memset(hist, 0, nb * sizeof *hist);
            for (uint64_t r = 0; r < k; r++) hist[(src[r * S + j] >> shift) & mask]++;
            int trivial = 0;
            for (uint32_t d = 0; d < nb; d++)
                if (hist[d] == k) trivial = 1;
            if (trivial) continue;
            uint64_t sum = 0;
            for (uint32_t d = 0; d < nb; d++) {
                uint64_t h = hist[d];
                hist[d] = sum;
                sum += h;
            }
            for (uint64_t r = 0; r < k; r++) {
                const uint32_t *s = src + r * S;
                uint32_t *d = dst + hist[(s[j] >> shift) & mask]++ * S;
                for (unsigned x = 0; x < S; x++) d[x] = s[x];
            }
            uint32_t *t = src;
            src = dst;
            dst = t;
        }
    }
    if (src != a) memcpy(a, src, k * S * sizeof *a);
}

/* Combine equal adjacent records of a sorted chunk; returns the new length. */
static uint64_t combine(uint32_t *a, uint64_t k, unsigned S, unsigned N)
{
    if (k == 0) return 0;
    uint64_t w = 0;
    for (uint64_t r = 1; r < k; r++) {
        uint32_t *cur = a + w * S, *nx = a + r * S;
        if (memcmp(cur, nx, N * sizeof *a) == 0) {
            rec_set_count(cur, N, rec_count(cur, N) + rec_count(nx, N));
        } else {
            w++;
            if (w != r) memcpy(a + w * S, nx, S * sizeof *a);
        }
    }
    return w + 1;
}

typedef struct run {
    FILE *f;         /* disk run (already unlinked) or NULL */
    uint32_t *mem;   /* memory run */
    uint64_t count;  /* records */
} run;

typedef struct counter {
    const uint32_t *ids;
    uint64_t b, e;
    unsigned N, S, bits;
    uint64_t cap;
    const char *tmpdir;
    run *runs;
    size_t nruns, runs_cap;
    uint64_t spilled; /* runs written, merges included */
    uint64_t merged;
    lmp_status st;
    lmp_error err;
} counter;

enum { MAX_DISK_RUNS = 32 }; /* per thread; more are merged into one */

static lmp_status add_run(counter *c, run r)
{
    if (c->nruns == c->runs_cap) {
        size_t nc = c->runs_cap ? c->runs_cap * 2 : 8;
        run *nr = realloc(c->runs, nc * sizeof *nr);
        if (!nr) return lmp_error_set(&c->err, LMP_ENOMEM, "counting: out of memory");
        c->runs = nr;
        c->runs_cap = nc;
    }
    c->runs[c->nruns++] = r;
    return LMP_OK;
}

typedef struct reader {
    FILE *f;
    uint32_t *buf;
    uint64_t pos, len, left; /* left: records not yet read from the file */
    int own;
} reader;

enum { READER_RECS = 4096 };

static lmp_status reader_fill(reader *r, unsigned S, lmp_error *err)
{
    uint64_t want = r->left < READER_RECS ? r->left : READER_RECS;
    if (want && fread(r->buf, sizeof *r->buf * S, want, r->f) != want)
        return lmp_error_set(err, LMP_EIO, "reading a sorted run back: %s", ferror(r->f) ? strerror(errno) : "short file");
    r->left -= want;
    r->pos = 0;
    r->len = want;
    return LMP_OK;
}

/* A new temporary file, unlinked at once (the system removes it when closed). */
static lmp_status temp_file(counter *c, FILE **out)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/lmprob-train-XXXXXX", c->tmpdir);
    int fd = mkstemp(path);
    if (fd < 0)
        return lmp_error_set(&c->err, LMP_EIO, "cannot create a temporary file in %s: %s (set the temp dir or raise the memory budget)",
                             c->tmpdir, strerror(errno));
    unlink(path);
    FILE *f = fdopen(fd, "w+b");
    if (!f) {
        close(fd);
        return lmp_error_set(&c->err, LMP_EIO, "temporary file: %s", strerror(errno));
    }
    *out = f;
    return LMP_OK;
}

static lmp_status spill(counter *c, const uint32_t *a, uint64_t k)
{
    FILE *f;
    lmp_status st = temp_file(c, &f);
    if (st) return st;
    if (fwrite(a, sizeof *a * c->S, k, f) != k || fflush(f) != 0 || fseek(f, 0, SEEK_SET) != 0) {
        int e = errno;
        fclose(f);
        return lmp_error_set(&c->err, LMP_EIO, "writing a sorted run to %s: %s", c->tmpdir, strerror(e));
    }
    run r = {f, NULL, k};
    st = add_run(c, r);
    if (st) fclose(f);
    return st;
}

/* Merge this thread's disk runs into one (counts summed), so that a tiny memory
 * budget does not mean thousands of open files and a slow final merge. */
static lmp_status merge_disk_runs(counter *c)
{
    const unsigned S = c->S, N = c->N;
    size_t k = c->nruns;
    lmp_status st = LMP_OK;
    reader *rd = calloc(k, sizeof *rd);
    uint32_t *ob = malloc((size_t)READER_RECS * S * sizeof *ob);
    FILE *f = NULL;
    uint64_t out = 0, ob_n = 0;
    if (!rd || !ob) {
        st = lmp_error_set(&c->err, LMP_ENOMEM, "merging runs: out of memory");
        goto done;
    }
    for (size_t i = 0; i < k && !st; i++) {
        rd[i].f = c->runs[i].f;
        rd[i].left = c->runs[i].count;
        rd[i].buf = malloc((size_t)READER_RECS * S * sizeof *rd[i].buf);
        if (!rd[i].buf) st = lmp_error_set(&c->err, LMP_ENOMEM, "merging runs: out of memory");
        else st = reader_fill(&rd[i], S, &c->err);
    }
    if (!st) st = temp_file(c, &f);
    uint32_t *last = NULL;
    while (!st) {
        size_t best = k;
        for (size_t i = 0; i < k; i++) {
            if (rd[i].pos == rd[i].len) continue;
            if (best == k || suffix_cmp(rd[i].buf + rd[i].pos * S, rd[best].buf + rd[best].pos * S, N) < 0) best = i;
        }
        if (best == k) break;
        const uint32_t *rec = rd[best].buf + rd[best].pos * S;
        if (last && memcmp(last, rec, N * sizeof *rec) == 0) {
            rec_set_count(last, N, rec_count(last, N) + rec_count(rec, N));
        } else {
            if (ob_n == READER_RECS) {
                if (fwrite(ob, sizeof *ob * S, ob_n, f) != ob_n)
                    st = lmp_error_set(&c->err, LMP_EIO, "writing a merged run to %s: %s", c->tmpdir, strerror(errno));
                ob_n = 0;
            }
            last = ob + ob_n * S;
            memcpy(last, rec, S * sizeof *rec);
            ob_n++;
            out++;
        }
        if (++rd[best].pos == rd[best].len && rd[best].left && !st) st = reader_fill(&rd[best], S, &c->err);
    }
    if (!st && ob_n && fwrite(ob, sizeof *ob * S, ob_n, f) != ob_n)
        st = lmp_error_set(&c->err, LMP_EIO, "writing a merged run to %s: %s", c->tmpdir, strerror(errno));
    if (!st && (fflush(f) != 0 || fseek(f, 0, SEEK_SET) != 0))
        st = lmp_error_set(&c->err, LMP_EIO, "writing a merged run to %s: %s", c->tmpdir, strerror(errno));
    if (!st) {
        for (size_t i = 0; i < k; i++) fclose(c->runs[i].f);
        c->runs[0].f = f;
        c->runs[0].mem = NULL;
        c->runs[0].count = out;
        c->nruns = 1;
        c->merged++;
        f = NULL;
    }
done:
    if (f) fclose(f);
    for (size_t i = 0; rd && i < k; i++) free(rd[i].buf);
    free(rd);
    free(ob);
    return st;
}

static void *count_thread(void *arg)
{
    counter *c = arg;
    const unsigned N = c->N, S = c->S;
    uint64_t total = c->e - c->b;
    uint64_t cap = c->cap < total ? c->cap : total;
    if (cap == 0) return NULL;
    uint32_t *A = malloc(cap * S * sizeof *A), *B = malloc(cap * S * sizeof *B);
    uint64_t *hist = malloc(sizeof *hist << 16);
    if (!A || !B || !hist) {
        c->st = lmp_error_set(&c->err, LMP_ENOMEM, "counting: out of memory for %llu records", (unsigned long long)cap);
        goto done;
    }
    uint32_t win[LMP_NGRAM_MAX_ORDER];
    for (unsigned j = 0; j < N; j++) win[j] = LMP_VOCAB_BOS;
    uint64_t k = 0;
    for (uint64_t i = c->b; i < c->e; i++) {
        uint32_t x = c->ids[i];
        uint32_t *r = A + k * S;
        for (unsigned j = 0; j + 1 < N; j++) r[j] = win[j + 1];
        r[N - 1] = x;
        r[N] = 1;
        r[N + 1] = 0;
        k++;
        if (x == LMP_VOCAB_EOS) {
            for (unsigned j = 0; j < N; j++) win[j] = LMP_VOCAB_BOS;
        } else {
            for (unsigned j = 0; j + 1 < N; j++) win[j] = win[j + 1];
            win[N - 1] = x;
        }
        if (k == cap) {
            radix_sort(A, B, k, S, N, c->bits, hist);
            k = combine(A, k, S, N);
            if (k > cap / 2 && i + 1 < c->e) {
                if ((c->st = spill(c, A, k))) goto done;
                c->spilled++;
                if (c->nruns >= MAX_DISK_RUNS && (c->st = merge_disk_runs(c))) goto done;
                k = 0;
            }
        }
    }
    radix_sort(A, B, k, S, N, c->bits, hist);
    k = combine(A, k, S, N);
    free(B);
    B = NULL;
    uint32_t *shrunk = realloc(A, k * S * sizeof *A);
    if (shrunk) A = shrunk;
    run r = {NULL, A, k};
    if ((c->st = add_run(c, r))) goto done;
    A = NULL;
done:
    free(A);
    free(B);
    free(hist);
    return NULL;
}

lmp_status train_count_top(const uint32_t *ids, uint64_t n, unsigned N, uint32_t nwords, uint64_t memory,
                           const char *temp_dir, unsigned nthreads, train_order *top, uint64_t *runs,
                           lmp_error *err)
{
    memset(top, 0, sizeof *top);
    top->n = N;
    *runs = 0;
    unsigned S = N + 2;
    unsigned bits = 1;
    while (bits < 32 && (1ull << bits) < nwords) bits++;
    if (memory < 65536) memory = 65536;
    if (nthreads < 1) nthreads = 1;
    if (nthreads > 2) nthreads = 2;
    counter c[2];
    memset(c, 0, sizeof c);
    uint64_t split = n;
    if (nthreads == 2) {
        split = n / 2;
        while (split < n && ids[split] != LMP_VOCAB_EOS) split++;
        if (split < n) split++;
    }
    uint64_t per = memory / nthreads / (2 * S * sizeof(uint32_t));
    if (per < 16) per = 16;
    for (unsigned t = 0; t < nthreads; t++) {
        c[t].ids = ids;
        c[t].b = t == 0 ? 0 : split;
        c[t].e = (t == 0 && nthreads == 2) ? split : n;
        c[t].N = N;
        c[t].S = S;
        c[t].bits = bits;
        c[t].cap = per;
        c[t].tmpdir = temp_dir;
    }
    pthread_t th;
    int threaded = nthreads == 2 && pthread_create(&th, NULL, count_thread, &c[1]) == 0;
    count_thread(&c[0]);
    if (nthreads == 2) {
        if (threaded) pthread_join(th, NULL);
        else count_thread(&c[1]);
    }
    lmp_status st = LMP_OK;
    for (unsigned t = 0; t < nthreads && !st; t++)
        if (c[t].st) {
            st = c[t].st;
            if (err) *err = c[t].err;
        }
    for (unsigned t = 0; t < nthreads; t++) *runs += c[t].spilled;
    /* Merge every run. */
    size_t nr = 0;
    uint64_t bound = 0;
    reader *rd = NULL;
    if (!st) {
        for (unsigned t = 0; t < nthreads; t++) nr += c[t].nruns;
        rd = calloc(nr ? nr : 1, sizeof *rd);
        if (!rd) st = lmp_error_set(err, LMP_ENOMEM, "counting: out of memory");
    }
    if (!st) {
        size_t i = 0;
        for (unsigned t = 0; t < nthreads; t++)
            for (size_t j = 0; j < c[t].nruns; j++, i++) {
                run *r = &c[t].runs[j];
                bound += r->count;
                if (r->f) {
                    rd[i].f = r->f;
                    rd[i].left = r->count;
                    rd[i].buf = malloc((size_t)READER_RECS * S * sizeof *rd[i].buf);
                    rd[i].own = 1;
                    if (!rd[i].buf) st = lmp_error_set(err, LMP_ENOMEM, "counting: out of memory");
                    else if (!st) st = reader_fill(&rd[i], S, err);
                } else {
                    rd[i].buf = r->mem;
                    rd[i].len = r->count;
                }
            }
    }
    if (!st) {
        top->w = malloc((bound ? bound : 1) * N * sizeof *top->w);
        top->cnt = malloc((bound ? bound : 1) * sizeof *top->cnt);
        if (!top->w || !top->cnt) st = lmp_error_set(err, LMP_ENOMEM, "counting: out of memory for %llu n-grams",
                                                     (unsigned long long)bound);
    }
    uint64_t m = 0;
    while (!st) {
        /* The smallest head (k is small: two runs unless the budget forced spills). */
        size_t best = nr;
        for (size_t i = 0; i < nr; i++) {
            if (rd[i].pos == rd[i].len) continue;
            if (best == nr || suffix_cmp(rd[i].buf + rd[i].pos * S, rd[best].buf + rd[best].pos * S, N) < 0) best = i;
        }
        if (best == nr) break;
        const uint32_t *rec = rd[best].buf + rd[best].pos * S;
        if (m > 0 && memcmp(top->w + (m - 1) * N, rec, N * sizeof *rec) == 0) {
            top->cnt[m - 1] += rec_count(rec, N);
        } else {
            memcpy(top->w + m * N, rec, N * sizeof *rec);
            top->cnt[m] = rec_count(rec, N);
            m++;
        }
        if (++rd[best].pos == rd[best].len && rd[best].f && rd[best].left) st = reader_fill(&rd[best], S, err);
    }
    top->m = m;
    if (!st && m) {
        uint32_t *w2 = realloc(top->w, m * N * sizeof *w2);
        if (w2) top->w = w2;
        uint64_t *c2 = realloc(top->cnt, m * sizeof *c2);
        if (c2) top->cnt = c2;
    }
    for (size_t i = 0; rd && i < nr; i++)
        if (rd[i].own) free(rd[i].buf);
    free(rd);
    for (unsigned t = 0; t < nthreads; t++) {
        for (size_t j = 0; j < c[t].nruns; j++) {
            if (c[t].runs[j].f) fclose(c[t].runs[j].f);
            free(c[t].runs[j].mem);
        }
        free(c[t].runs);
    }
    if (st) {
        free(top->w);
        free(top->cnt);
        top->w = NULL;
        top->cnt = NULL;
        top->m = 0;
    }
    return st;
}

/* ---- adjusted counts ------------------------------------------------------------- */

static inline int same_key(const uint32_t *a, const uint32_t *b, unsigned n)
{
    for (unsigned i = n; i-- > 0;)
        if (a[i] != b[i]) return 0;
    return 1;
}

typedef struct adjust_job {
    const train_order *top;
    train_order *out;
    unsigned N;
    uint32_t nwords;
    int continuation;
    uint64_t prune; /* raw count threshold of this order (0: none) */
    lmp_status st;
    lmp_error err;
} adjust_job;

static void adjust_order(adjust_job *j)
{
    const train_order *top = j->top;
    train_order *o = j->out;
    const unsigned N = j->N, n = o->n, off = N - n;
    if (n == 1) {
        o->m = j->nwords;
        o->w = malloc(o->m * sizeof *o->w);
        o->cnt = calloc(o->m, sizeof *o->cnt);
        if (!o->w || !o->cnt) {
            j->st = lmp_error_set(&j->err, LMP_ENOMEM, "adjusting counts: out of memory");
            return;
        }
        for (uint64_t i = 0; i < o->m; i++) o->w[i] = (uint32_t)i;
        for (uint64_t r = 0; r < top->m; r++) {
            const uint32_t *g = top->w + r * N;
            uint32_t x = g[N - 1];
            if (!j->continuation) o->cnt[x] += top->cnt[r];
            else if (r == 0 || top->w[(r - 1) * N + N - 1] != x || top->w[(r - 1) * N + N - 2] != g[N - 2])
                o->cnt[x]++;
        }
        if (top->m) {
            uint32_t x = top->w[(top->m - 1) * N + N - 1];
            o->last_raw_valid = 1;
            o->last_idx = x;
            o->last_raw = 0;
            for (uint64_t r = top->m; r-- > 0 && top->w[r * N + N - 1] == x;) o->last_raw += top->cnt[r];
        }
        return;
    }
    /* Count the groups first to allocate exactly. */
    uint64_t groups = 0;
    for (uint64_t r = 0; r < top->m; r++) {
        const uint32_t *g = top->w + r * N;
        if (g[off + 1] == LMP_VOCAB_BOS) continue; /* padded: not an n-gram of this order */
        if (r == 0 || !same_key(g + off, g - N + off, n)) groups++;
    }
    o->m = groups;
    o->w = malloc((groups ? groups : 1) * n * sizeof *o->w);
    o->cnt = malloc((groups ? groups : 1) * sizeof *o->cnt);
    if (!o->w || !o->cnt) {
        j->st = lmp_error_set(&j->err, LMP_ENOMEM, "adjusting counts: out of memory");
        return;
    }
    uint64_t k = 0, raw = 0;
    for (uint64_t r = 0; r < top->m; r++) {
        const uint32_t *g = top->w + r * N;
        if (g[off + 1] == LMP_VOCAB_BOS) continue;
        int fresh = r == 0 || !same_key(g + off, g - N + off, n);
        if (fresh) {
            if (k > 0 && raw <= j->prune) o->cnt[k - 1] |= TRAIN_MARK;
            memcpy(o->w + k * n, g + off, n * sizeof *g);
            o->cnt[k] = 0;
            k++;
            raw = 0;
        }
        raw += top->cnt[r];
        uint64_t *cnt = &o->cnt[k - 1];
        if (!j->continuation || g[off] == LMP_VOCAB_BOS) *cnt += top->cnt[r]; /* raw count */
        else if (fresh || g[off - 1] != (g - N)[off - 1]) (*cnt)++;           /* a new left extension */
    }
    if (k > 0 && raw <= j->prune) o->cnt[k - 1] |= TRAIN_MARK;
    if (top->m && top->w[(top->m - 1) * N + off + 1] != LMP_VOCAB_BOS) {
        o->last_raw_valid = 1;
        o->last_idx = k - 1;
        o->last_raw = raw;
    }
}

static void *adjust_thread(void *arg)
{
    adjust_job *jobs = arg;
    for (adjust_job *j = jobs; j->top; j += 2) adjust_order(j);
    return NULL;
}

lmp_status train_adjust(train_order *o, unsigned N, uint32_t nwords, int continuation, const uint64_t *prune,
                        unsigned nthreads, lmp_error *err)
{
    train_order *top = &o[N];
    if (N == 1) {
        /* The counted "top" order is the unigrams themselves: make them dense. */
        uint64_t *cnt = calloc(nwords, sizeof *cnt);
        uint32_t *w = malloc((size_t)nwords * sizeof *w);
        if (!cnt || !w) {
            free(cnt);
            free(w);
            return lmp_error_set(err, LMP_ENOMEM, "adjusting counts: out of memory");
        }
        for (uint32_t i = 0; i < nwords; i++) w[i] = i;
        for (uint64_t r = 0; r < top->m; r++) cnt[top->w[r]] += top->cnt[r];
        free(top->w);
        free(top->cnt);
        top->w = w;
        top->cnt = cnt;
        top->m = nwords;
        return LMP_OK;
    }
    /* jobs[2*i + t] for thread t; a zeroed job ends each thread's list. */
    adjust_job jobs[2 * LMP_NGRAM_MAX_ORDER + 2];
    memset(jobs, 0, sizeof jobs);
    /* Interleave so the threads get similar work (big orders alternate). */
    unsigned idx = 0;
    for (unsigned n = N - 1; n >= 1; n--, idx++) {
        unsigned t = nthreads == 2 ? idx % 2 : 0;
        unsigned slot = (idx / (nthreads == 2 ? 2 : 1)) * 2 + t;
        o[n].n = n;
        jobs[slot].top = top;
        jobs[slot].out = &o[n];
        jobs[slot].N = N;
        jobs[slot].nwords = nwords;
        jobs[slot].continuation = continuation;
        jobs[slot].prune = n >= 2 ? prune[n - 1] : 0;
    }
    pthread_t th;
    int threaded = nthreads == 2 && jobs[1].top && pthread_create(&th, NULL, adjust_thread, &jobs[1]) == 0;
    adjust_thread(&jobs[0]);
    if (nthreads == 2 && jobs[1].top) {
        if (threaded) pthread_join(th, NULL);
        else adjust_thread(&jobs[1]);
    }
    for (unsigned i = 0; i < 2 * LMP_NGRAM_MAX_ORDER + 2; i++)
        if (jobs[i].top && jobs[i].st) {
            if (err) *err = jobs[i].err;
            return jobs[i].st;
        }
    /* Drop the padded top n-grams. */
    uint64_t k = 0;
    for (uint64_t r = 0; r < top->m; r++) {
        const uint32_t *g = top->w + r * N;
        if (g[1] == LMP_VOCAB_BOS) continue;
        if (k != r) {
            memmove(top->w + k * N, g, N * sizeof *g);
            top->cnt[k] = top->cnt[r];
        }
        if (top->cnt[k] <= prune[N - 1]) top->cnt[k] |= TRAIN_MARK; /* top order: raw = adjusted count */
        k++;
    }
    top->m = k;
    return LMP_OK;
}

void train_order_free(train_order *o)
{
    free(o->w);
    free(o->cnt);
    free(o->sfx);
    free(o->ctx);
    free(o->kids);
    free(o->p);
    free(o->lp);
    free(o->lb);
    memset(o, 0, sizeof *o);
}
