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
#include "../core/path.h"
#include "../core/pool.h"
#include "train_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Record: N words then a 64-bit count as two uint32 (low, high), in one uint32_t array (the chunks,
 * the runs, and the temporary files' format). The words are word ids (lmp_token_id, each >= 0)
 * stored as their uint32_t values (rec_word): non-negative, so the radix sort's unsigned digits
 * and suffix_cmp order them as the ids. */
static inline uint64_t rec_count(const uint32_t *r, unsigned N)
{
    return (uint64_t)r[N] | ((uint64_t)r[N + 1] << 32);
}
static inline void rec_set_count(uint32_t *r, unsigned N, uint64_t c)
{
    r[N] = (uint32_t)c;
    r[N + 1] = (uint32_t)(c >> 32);
}
/* A word id as a record word (ids are >= 0: the same bits, the same order). */
static inline uint32_t rec_word(lmp_token_id w) { return (uint32_t)w; }

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
    train_budget *budget;
    const lmp_token_id *ids;
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
    FILE *f;                 /* a run on disk, or NULL */
    const uint32_t *mem;     /* a run in memory, or NULL */
    uint32_t *buf;           /* a disk run's block */
    const uint32_t *rec;     /* the records being read: buf, or mem (a memory run is read in place) */
    uint64_t pos, len, left; /* left: records not yet read from the file */
    uint64_t total;          /* records of the run */
    int own;                 /* buf is ours (a disk run's block) */
} reader;

/* Records read from a disk run at a time (24 KiB for 4-grams: the merges of up
 * to 33 runs stay small beside a tight memory budget). */
enum { READER_RECS = 1024 };

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
    lmp_status jst = lmp_path_join(path, sizeof path, c->tmpdir, "lmprob-train-XXXXXX", &c->err);
    if (jst) return jst;
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

/* (Re)start reading every run from its first record. */
static lmp_status readers_start(train_budget *b, reader *rd, size_t nr, unsigned S, lmp_error *err)
{
    for (size_t i = 0; i < nr; i++) {
        reader *r = &rd[i];
        r->pos = 0;
        if (!r->f) {
            r->rec = r->mem;
            r->len = r->total;
            continue;
        }
        if (!r->own) {
            r->buf = tb_array(b, (uint64_t)READER_RECS * S, sizeof *r->buf, 0, "merging sorted runs", err);
            if (!r->buf) return LMP_ENOMEM;
            r->own = 1;
        }
        r->rec = r->buf;
        if (fseek(r->f, 0, SEEK_SET) != 0)
            return lmp_error_set(err, LMP_EIO, "reading a sorted run back: %s", strerror(errno));
        r->left = r->total;
        r->len = 0;
        lmp_status st = reader_fill(r, S, err);
        if (st) return st;
    }
    return LMP_OK;
}

/* Where merge_runs puts each distinct n-gram and its summed count: arrays (w,
 * cnt), or a run file written in blocks of READER_RECS records (f, ob); with
 * neither, the n-grams are only counted. */
typedef struct merge_sink {
    lmp_token_id *w;
    uint64_t *cnt;
    FILE *f;
    uint32_t *ob;
    uint64_t ob_n;
    const char *tmpdir;
} merge_sink;

static lmp_status sink_put(merge_sink *o, const uint32_t *key, uint64_t count, uint64_t k, unsigned S, unsigned N,
                           lmp_error *err)
{
    if (o->w) {
        for (unsigned j = 0; j < N; j++) o->w[k * N + j] = (lmp_token_id)key[j]; /* a record word back to its id */
        o->cnt[k] = count;
    } else if (o->f) {
        uint32_t *r = o->ob + o->ob_n * S;
        memcpy(r, key, N * sizeof *key);
        rec_set_count(r, N, count);
        if (++o->ob_n == READER_RECS) {
            if (fwrite(o->ob, sizeof *o->ob * S, o->ob_n, o->f) != o->ob_n)
                return lmp_error_set(err, LMP_EIO, "writing a merged run to %s: %s", o->tmpdir, strerror(errno));
            o->ob_n = 0;
        }
    }
    return LMP_OK;
}

/* Merge the runs (each sorted, records unique within it), summing the counts
 * of equal n-grams, into the sink (NULL: only count them). *m = the number of
 * distinct n-grams. The runs are few (two unless the budget forced spills). */
static lmp_status merge_runs(reader *rd, size_t nr, unsigned S, unsigned N, merge_sink *out, uint64_t *m,
                             lmp_error *err)
{
    uint32_t last[LMP_NGRAM_MAX_ORDER];
    uint64_t k = 0, sum = 0;
    lmp_status st;
    for (;;) {
        size_t best = nr;
        for (size_t i = 0; i < nr; i++) {
            if (rd[i].pos == rd[i].len) continue;
            if (best == nr || suffix_cmp(rd[i].rec + rd[i].pos * S, rd[best].rec + rd[best].pos * S, N) < 0) best = i;
        }
        if (best == nr) break;
        const uint32_t *rec = rd[best].rec + rd[best].pos * S;
        if (k > 0 && memcmp(last, rec, N * sizeof *rec) == 0) {
            sum += rec_count(rec, N);
        } else {
            if (k > 0 && out && (st = sink_put(out, last, sum, k - 1, S, N, err))) return st;
            memcpy(last, rec, N * sizeof *rec);
            sum = rec_count(rec, N);
            k++;
        }
        if (++rd[best].pos == rd[best].len && rd[best].f && rd[best].left && (st = reader_fill(&rd[best], S, err)))
            return st;
    }
    if (k > 0 && out && (st = sink_put(out, last, sum, k - 1, S, N, err))) return st;
    *m = k;
    return LMP_OK;
}

/* Merge this thread's disk runs into one (counts summed), so that a tiny memory
 * budget does not mean thousands of open files and a slow final merge. */
static lmp_status merge_disk_runs(counter *c)
{
    const unsigned S = c->S, N = c->N;
    size_t k = c->nruns;
    lmp_status st;
    reader *rd = calloc(k, sizeof *rd);
    merge_sink out = {NULL, NULL, NULL, NULL, 0, c->tmpdir};
    uint64_t m = 0;
    if (!rd) {
        st = lmp_error_set(&c->err, LMP_ENOMEM, "merging runs: out of memory");
        goto done;
    }
    for (size_t i = 0; i < k; i++) {
        rd[i].f = c->runs[i].f;
        rd[i].total = c->runs[i].count;
    }
    out.ob = tb_array(c->budget, (uint64_t)READER_RECS * S, sizeof *out.ob, 0, "merging sorted runs", &c->err);
    st = out.ob ? readers_start(c->budget, rd, k, S, &c->err) : LMP_ENOMEM;
    if (!st) st = temp_file(c, &out.f);
    if (!st) st = merge_runs(rd, k, S, N, &out, &m, &c->err);
    if (!st && out.ob_n && fwrite(out.ob, sizeof *out.ob * S, out.ob_n, out.f) != out.ob_n)
        st = lmp_error_set(&c->err, LMP_EIO, "writing a merged run to %s: %s", c->tmpdir, strerror(errno));
    if (!st && (fflush(out.f) != 0 || fseek(out.f, 0, SEEK_SET) != 0))
        st = lmp_error_set(&c->err, LMP_EIO, "writing a merged run to %s: %s", c->tmpdir, strerror(errno));
    if (!st) {
        for (size_t i = 0; i < k; i++) fclose(c->runs[i].f);
        c->runs[0].f = out.f;
        c->runs[0].mem = NULL;
        c->runs[0].count = m;
        c->nruns = 1;
        c->merged++;
        out.f = NULL;
    }
done:
    if (out.f) fclose(out.f);
    for (size_t i = 0; rd && i < k; i++)
        if (rd[i].own) tb_free(c->budget, rd[i].buf);
    free(rd);
    tb_free(c->budget, out.ob);
    return st;
}

static void *count_thread(void *arg)
{
    counter *c = arg;
    const unsigned N = c->N, S = c->S;
    uint64_t total = c->e - c->b;
    uint64_t cap = c->cap < total ? c->cap : total;
    if (cap == 0) return NULL;
    uint32_t *A = tb_array(c->budget, cap * S, sizeof *A, 0, "the counting tables", &c->err);
    uint32_t *B = A ? tb_array(c->budget, cap * S, sizeof *B, 0, "the counting tables", &c->err) : NULL;
    uint64_t *hist = B ? tb_array(c->budget, 1u << 16, sizeof *hist, 0, "the counting tables", &c->err) : NULL;
    if (!A || !B || !hist) {
        c->st = LMP_ENOMEM;
        goto done;
    }
    lmp_token_id win[LMP_NGRAM_MAX_ORDER];
    for (unsigned j = 0; j < N; j++) win[j] = LMP_VOCAB_BOS;
    uint64_t k = 0;
    for (uint64_t i = c->b; i < c->e; i++) {
        lmp_token_id x = c->ids[i];
        uint32_t *r = A + k * S;
        for (unsigned j = 0; j + 1 < N; j++) r[j] = rec_word(win[j + 1]);
        r[N - 1] = rec_word(x);
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
    tb_free(c->budget, B);
    B = NULL;
    tb_free(c->budget, hist);
    hist = NULL;
    uint32_t *shrunk = tb_resize(c->budget, A, k * S, sizeof *A, "a sorted run", &c->err);
    if (shrunk) A = shrunk; /* a failed shrink keeps the larger block */
    run r = {NULL, A, k};
    if ((c->st = add_run(c, r))) goto done;
    A = NULL;
done:
    tb_free(c->budget, A);
    tb_free(c->budget, B);
    tb_free(c->budget, hist);
    return NULL;
}

/* Write a run held in memory to a temporary file, giving its memory back. */
static lmp_status spill_memory_run(counter *c, run *r)
{
    FILE *f;
    lmp_status st = temp_file(c, &f);
    if (st) return st;
    if (fwrite(r->mem, sizeof *r->mem * c->S, r->count, f) != r->count || fflush(f) != 0 || fseek(f, 0, SEEK_SET) != 0) {
        int e = errno;
        fclose(f);
        return lmp_error_set(&c->err, LMP_EIO, "writing a sorted run to %s: %s", c->tmpdir, strerror(e));
    }
    tb_free(c->budget, r->mem);
    r->mem = NULL;
    r->f = f;
    c->spilled++;
    return LMP_OK;
}

lmp_status train_count_top(train_budget *b, uint64_t tables, lmp_token_id **idsp, uint64_t n, unsigned N,
                           uint32_t nwords, const char *temp_dir, unsigned nthreads, train_order *top, uint64_t *runs,
                           lmp_error *err)
{
    const lmp_token_id *ids = *idsp;
    memset(top, 0, sizeof *top);
    top->n = N;
    *runs = 0;
    unsigned S = N + 2;
    unsigned bits = 1;
    while (bits < 32 && (1ull << bits) < nwords) bits++;
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
    /* The tables get what the budget has left (two tables of S-word records a
     * thread, and a 512 KiB histogram); the merged result must fit later too,
     * but runs that do not fit beside it go to disk then. */
    uint64_t left = tb_left(b), hist_bytes = (uint64_t)nthreads * (sizeof(uint64_t) << 16);
    /* and, beside the tables, the block buffers of a thread's merge of its disk runs */
    hist_bytes += (uint64_t)nthreads * (MAX_DISK_RUNS + 1) * READER_RECS * S * sizeof(uint32_t);
    if (tables && tables < left) left = tables + hist_bytes;
    /* 7/8: room for the allocator's rounding and the runs' bookkeeping */
    uint64_t per = left > hist_bytes ? (left - hist_bytes) / 8 * 7 / nthreads / (2 * S * sizeof(uint32_t)) : 0;
    if (per < 16) per = 16; /* tb_array refuses, with the sizes, if even this does not fit */
    for (unsigned t = 0; t < nthreads; t++) {
        c[t].budget = b;
        c[t].ids = ids;
        c[t].b = t == 0 ? 0 : split;
        c[t].e = (t == 0 && nthreads == 2) ? split : n;
        c[t].N = N;
        c[t].S = S;
        c[t].bits = bits;
        c[t].cap = per;
        c[t].tmpdir = temp_dir;
    }
    run_pair(count_thread, &c[0], nthreads == 2 ? &c[1] : NULL);
    lmp_status st = LMP_OK;
    for (unsigned t = 0; t < nthreads && !st; t++)
        if (c[t].st) {
            st = c[t].st;
            if (err) *err = c[t].err;
        }
    /* The token stream is counted: give its memory back before the merge needs room. */
    tb_free(b, *idsp);
    *idsp = NULL;
    ids = NULL;
    for (unsigned t = 0; t < nthreads; t++) *runs += c[t].spilled;
    /* Merge every run. */
    size_t nr = 0;
    uint64_t bound = 0, m = 0;
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
                rd[i].total = r->count;
                rd[i].f = r->f;
                rd[i].mem = r->mem;
            }
    }
    /* The merged result holds at most `bound` records (the runs' sum). When that
     * does not fit, a first pass counts the distinct ones; and runs still in
     * memory go to disk when the result does not fit beside them. */
    const uint64_t rec_bytes = N * sizeof(lmp_token_id) + sizeof(uint64_t);
    uint64_t size = bound;
    if (!st && tb_check(b, (size ? size : 1) * rec_bytes, "the merged n-gram counts", NULL) != LMP_OK) {
        if (!(st = readers_start(b, rd, nr, S, err))) st = merge_runs(rd, nr, S, N, NULL, &size, err);
        if (!st && tb_check(b, (size ? size : 1) * rec_bytes, "the merged n-gram counts", NULL) != LMP_OK) {
            for (unsigned t = 0, i = 0; t < nthreads && !st; t++)
                for (size_t j = 0; j < c[t].nruns && !st; j++, i++)
                    if (c[t].runs[j].mem) {
                        if ((st = spill_memory_run(&c[t], &c[t].runs[j]))) {
                            if (err) *err = c[t].err;
                        } else {
                            rd[i].mem = NULL;
                            rd[i].rec = NULL;
                            rd[i].f = c[t].runs[j].f;
                            (*runs)++;
                        }
                    }
        }
    }
    if (!st) {
        char what[96];
        snprintf(what, sizeof what, "the counts of %s%llu %u-grams", size == bound ? "up to " : "",
                 (unsigned long long)size, N);
        top->w = tb_array(b, (size ? size : 1) * N, sizeof *top->w, 0, what, err);
        top->cnt = top->w ? tb_array(b, size ? size : 1, sizeof *top->cnt, 0, what, err) : NULL;
        if (!top->w || !top->cnt) st = LMP_ENOMEM;
    }
    merge_sink out = {top->w, top->cnt, NULL, NULL, 0, temp_dir};
    if (!st && !(st = readers_start(b, rd, nr, S, err))) st = merge_runs(rd, nr, S, N, &out, &m, err);
    top->m = m;
    for (size_t i = 0; rd && i < nr; i++)
        if (rd[i].own) tb_free(b, rd[i].buf);
    free(rd);
    for (unsigned t = 0; t < nthreads; t++) {
        for (size_t j = 0; j < c[t].nruns; j++) {
            if (c[t].runs[j].f) fclose(c[t].runs[j].f);
            tb_free(b, c[t].runs[j].mem);
        }
        free(c[t].runs);
    }
    if (!st && m) { /* shrink to what the merge kept (a failed shrink keeps the block) */
        lmp_token_id *w2 = tb_resize(b, top->w, m * N, sizeof *w2, "the merged n-gram counts", NULL);
        if (w2) top->w = w2;
        uint64_t *c2 = tb_resize(b, top->cnt, m, sizeof *c2, "the merged n-gram counts", NULL);
        if (c2) top->cnt = c2;
    }
    if (st) {
        tb_free(b, top->w);
        tb_free(b, top->cnt);
        top->w = NULL;
        top->cnt = NULL;
        top->m = 0;
    }
    return st;
}

/* ---- adjusted counts ------------------------------------------------------------- */

static inline int same_key(const lmp_token_id *a, const lmp_token_id *b, unsigned n)
{
    for (unsigned i = n; i-- > 0;)
        if (a[i] != b[i]) return 0;
    return 1;
}

typedef struct adjust_job {
    train_budget *budget;
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
        o->w = tb_array(j->budget, o->m, sizeof *o->w, 0, "the 1-gram counts", &j->err);
        o->cnt = o->w ? tb_array(j->budget, o->m, sizeof *o->cnt, 1, "the 1-gram counts", &j->err) : NULL;
        if (!o->w || !o->cnt) {
            j->st = LMP_ENOMEM;
            return;
        }
        for (uint64_t i = 0; i < o->m; i++) o->w[i] = (lmp_token_id)i; /* i < nwords <= INT32_MAX */
        for (uint64_t r = 0; r < top->m; r++) {
            const lmp_token_id *g = top->w + r * N;
            lmp_token_id x = g[N - 1];
            if (!j->continuation) o->cnt[x] += top->cnt[r];
            else if (r == 0 || top->w[(r - 1) * N + N - 1] != x || top->w[(r - 1) * N + N - 2] != g[N - 2])
                o->cnt[x]++;
        }
        if (top->m) {
            lmp_token_id x = top->w[(top->m - 1) * N + N - 1];
            o->last_raw_valid = 1;
            o->last_idx = (uint64_t)x; /* order 1 is indexed by word id */
            o->last_raw = 0;
            for (uint64_t r = top->m; r-- > 0 && top->w[r * N + N - 1] == x;) o->last_raw += top->cnt[r];
        }
        return;
    }
    /* Count the groups first to allocate exactly. */
    uint64_t groups = 0;
    for (uint64_t r = 0; r < top->m; r++) {
        const lmp_token_id *g = top->w + r * N;
        if (g[off + 1] == LMP_VOCAB_BOS) continue; /* padded: not an n-gram of this order */
        if (r == 0 || !same_key(g + off, g - N + off, n)) groups++;
    }
    o->m = groups;
    char what[80];
    snprintf(what, sizeof what, "the counts of %llu %u-grams", (unsigned long long)groups, n);
    o->w = tb_array(j->budget, (groups ? groups : 1) * n, sizeof *o->w, 0, what, &j->err);
    o->cnt = o->w ? tb_array(j->budget, groups ? groups : 1, sizeof *o->cnt, 0, what, &j->err) : NULL;
    if (!o->w || !o->cnt) {
        j->st = LMP_ENOMEM;
        return;
    }
    uint64_t k = 0, raw = 0;
    for (uint64_t r = 0; r < top->m; r++) {
        const lmp_token_id *g = top->w + r * N;
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

lmp_status train_adjust(train_budget *b, train_order *o, unsigned N, uint32_t nwords, int continuation,
                        const uint64_t *prune, unsigned nthreads, lmp_error *err)
{
    train_order *top = &o[N];
    if (N == 1) {
        /* The counted "top" order is the unigrams themselves: make them dense. */
        uint64_t *cnt = tb_array(b, nwords, sizeof *cnt, 1, "the 1-gram counts", err);
        lmp_token_id *w = cnt ? tb_array(b, nwords, sizeof *w, 0, "the 1-gram counts", err) : NULL;
        if (!cnt || !w) {
            tb_free(b, cnt);
            return LMP_ENOMEM;
        }
        for (uint32_t i = 0; i < nwords; i++) w[i] = (lmp_token_id)i; /* nwords <= INT32_MAX (the vocabulary's limit) */
        for (uint64_t r = 0; r < top->m; r++) cnt[top->w[r]] += top->cnt[r];
        tb_free(b, top->w);
        tb_free(b, top->cnt);
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
        jobs[slot].budget = b;
        jobs[slot].top = top;
        jobs[slot].out = &o[n];
        jobs[slot].N = N;
        jobs[slot].nwords = nwords;
        jobs[slot].continuation = continuation;
        jobs[slot].prune = n >= 2 ? prune[n - 1] : 0;
    }
    run_pair(adjust_thread, &jobs[0], nthreads == 2 && jobs[1].top ? &jobs[1] : NULL);
    for (unsigned i = 0; i < 2 * LMP_NGRAM_MAX_ORDER + 2; i++)
        if (jobs[i].top && jobs[i].st) {
            if (err) *err = jobs[i].err;
            return jobs[i].st;
        }
    /* Drop the padded top n-grams. */
    uint64_t k = 0;
    for (uint64_t r = 0; r < top->m; r++) {
        const lmp_token_id *g = top->w + r * N;
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

void train_order_free(train_budget *b, train_order *o)
{
    tb_free(b, o->w);
    tb_free(b, o->cnt);
    tb_free(b, o->sfx);
    tb_free(b, o->ctx);
    tb_free(b, o->kids);
    tb_free(b, o->p);
    tb_free(b, o->lp);
    tb_free(b, o->lb);
    memset(o, 0, sizeof *o);
}
