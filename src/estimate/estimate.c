/* Probabilities and backoffs from (adjusted) counts.
 *
 * Links. Every order is sorted in suffix order, which makes the orders a trie
 * over reversed n-grams: the suffix of "w0 .. w(n-1)" (w1 .. w(n-1), one order
 * down) is found by walking both arrays together, and the n-grams sharing a
 * suffix are contiguous and sorted by their first word. The context
 * "w0 .. w(n-2)" is then the child with first word w0 of the context of the
 * suffix, found by binary search in that child range (for bigrams the context
 * is the unigram w0 itself).
 *
 * Interpolated (modified) Kneser-Ney, as lmplz computes it
 * (lm/builder/initial_probabilities.cc, interpolate.cc; Chen & Goodman 1998,
 * eqs. 26 and 17-19 for the interpolated form):
 *   discounts per order n, from the counts of counts n_j of adjusted counts:
 *     Y = n1 / (n1 + 2 n2),  D_j = j - (j + 1) Y n_(j+1) / n_j   (j = 1, 2, 3+)  [eq. 26]
 *     (KN: one discount D = Y for every count, Ney, Essen & Kneser 1994)
 *   for context c with adjusted counts a(c w):
 *     u(w | c) = (a(c w) - D(a(c w))) / sum_x a(c x)
 *     gamma(c) = (D1 N1(c .) + D2 N2(c .) + D3 N3+(c .)) / sum_x a(c x)
 *     p(w | c) = u(w | c) + gamma(c) p(w | c without its first word)
 *   unigrams: the empty context, and p(w | empty without a word) = 1 / V, V the
 *   vocabulary without <s>; an unseen <unk> gets gamma / V. ARPA backoff(c) =
 *   gamma(c) (1 when c is not a context), the <s> unigram probability -99.
 *
 * Add-k / MLE (raw counts) are backoff models (Katz 1987 with additive or no
 * discounting): p(w | c) = (c(c w) + k) / (c(c .) + k V) for every seen n-gram
 * (k = 0: MLE), and an unseen word after c gets backoff(c) p(w | shorter c) with
 *   backoff(c) = (1 - sum_seen p(w | c)) / (1 - sum_seen p(w | shorter c)),
 * so each conditional distribution sums to one. With MLE nothing is left over:
 * backoff(c) = 0, written as -99. */
#include "../count/train_internal.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define LOG_ZERO (-99.0)
#define NONE UINT32_MAX

static double log10_or_floor(double p)
{
    if (!(p > 0)) return LOG_ZERO;
    double l = log10(p);
    return l < LOG_ZERO ? LOG_ZERO : l;
}

static inline int same_words(const uint32_t *a, const uint32_t *b, unsigned n)
{
    for (unsigned i = n; i-- > 0;) /* the last word differs most often */
        if (a[i] != b[i]) return 0;
    return 1;
}

static inline int suffix_less(const uint32_t *a, const uint32_t *b, unsigned n)
{
    for (unsigned i = n; i-- > 0;)
        if (a[i] != b[i]) return a[i] < b[i];
    return 0;
}

/* Index of words[0..n) in order n (suffix-sorted), or NONE. */
static uint32_t find_ngram(const train_order *t, const uint32_t *words, unsigned n)
{
    if (n == 1) return words[0] < t->m ? words[0] : NONE;
    uint64_t a = 0, b = t->m;
    while (a < b) {
        uint64_t mid = a + (b - a) / 2;
        if (suffix_less(t->w + mid * n, words, n)) a = mid + 1;
        else b = mid;
    }
    return (a < t->m && same_words(t->w + a * n, words, n)) ? (uint32_t)a : NONE;
}

/* Suffix links and contexts of n-grams [from, to) of order n (>= 3), the
 * suffix scan starting at j in order n-1. Returns 0, or the index + 1 of an
 * n-gram whose suffix or context is missing (cannot happen unpruned). */
typedef struct link_job {
    train_order *o;
    unsigned n;
    uint64_t from, to, j;
    uint64_t bad; /* 0 or index + 1 */
    int bad_sfx;
} link_job;

static void *link_range(void *arg)
{
    link_job *L = arg;
    train_order *o = L->o, *hi = &o[L->n], *lo = &o[L->n - 1];
    const unsigned n = L->n;
    uint64_t j = L->j;
    L->bad = 0;
    for (uint64_t i = L->from; i < L->to; i++) {
        const uint32_t *g = hi->w + i * n;
        const int marked = (hi->cnt[i] & TRAIN_MARK) != 0;
        while (j < lo->m && suffix_less(lo->w + j * (n - 1), g + 1, n - 1)) j++;
        uint32_t s = (j < lo->m && same_words(lo->w + j * (n - 1), g + 1, n - 1)) ? (uint32_t)j : NONE;
        hi->sfx[i] = s;
        uint32_t c = NONE;
        if (s != NONE) {
            /* the child with first word g[0] of the context of the suffix (g[1 .. n-2]) */
            uint32_t c2 = lo->ctx[s];
            uint64_t a = o[n - 2].kids[c2], b = o[n - 2].kids[c2 + 1], e = b;
            while (a < b) {
                uint64_t mid = a + (b - a) / 2;
                if (lo->w[mid * (n - 1)] < g[0]) a = mid + 1;
                else b = mid;
            }
            if (a < e && lo->w[a * (n - 1)] == g[0]) c = (uint32_t)a;
        } else if (marked) {
            c = find_ngram(lo, g, n - 1);
        }
        hi->ctx[i] = c;
        if (!marked && (s == NONE || c == NONE)) {
            L->bad = i + 1;
            L->bad_sfx = s == NONE;
            return NULL;
        }
    }
    return NULL;
}

/* Suffix links and contexts of order n (>= 2). Needs the contexts of order n-1
 * and the kids of order n-2 into order n-1. With pruning, a pruned (marked)
 * n-gram may have lost its suffix or its context: NONE then (its count still
 * goes to its context's sums when the context is there). Large orders are
 * split in two halves linked on two threads (the second half's suffix scan
 * starts at a binary search): the scan and its binary searches wait on memory,
 * and this was a fifth of training a WikiText-2 5-gram. */
static lmp_status link_order(train_budget *bud, train_order *o, unsigned n, lmp_error *err)
{
    train_order *hi = &o[n], *lo = &o[n - 1];
    if (hi->m >= NONE || lo->m >= NONE) /* links are 32-bit */
        return lmp_error_set(err, LMP_EUNSUPPORTED, "%llu %u-grams: expected fewer than 2^32 - 1 n-grams per order",
                             (unsigned long long)(hi->m >= NONE ? hi->m : lo->m), hi->m >= NONE ? n : n - 1);
    char what[80];
    snprintf(what, sizeof what, "the links of %llu %u-grams", (unsigned long long)hi->m, n);
    hi->sfx = tb_array(bud, hi->m, sizeof *hi->sfx, 0, what, err);
    hi->ctx = hi->sfx ? tb_array(bud, hi->m, sizeof *hi->ctx, 0, what, err) : NULL;
    if (!hi->sfx || !hi->ctx) return LMP_ENOMEM;
    if (n == 2) {
        for (uint64_t i = 0; i < hi->m; i++) {
            hi->sfx[i] = hi->w[2 * i + 1];
            hi->ctx[i] = hi->w[2 * i];
        }
        return LMP_OK;
    }
    link_job jobs[2] = {{o, n, 0, hi->m, 0, 0, 0}, {o, n, hi->m, hi->m, 0, 0, 0}};
    if (hi->m >= 200000) {
        uint64_t h = hi->m / 2, a = 0, b = lo->m;
        const uint32_t *g = hi->w + h * n;
        while (a < b) { /* the first n-1-gram not below the suffix of n-gram h */
            uint64_t mid = a + (b - a) / 2;
            if (suffix_less(lo->w + mid * (n - 1), g + 1, n - 1)) a = mid + 1;
            else b = mid;
        }
        jobs[0].to = h;
        jobs[1].from = h;
        jobs[1].j = a;
    }
    pthread_t th;
    int threaded = jobs[1].to > jobs[1].from && pthread_create(&th, NULL, link_range, &jobs[1]) == 0;
    link_range(&jobs[0]);
    if (threaded) pthread_join(th, NULL);
    else if (jobs[1].to > jobs[1].from) link_range(&jobs[1]);
    for (int k = 0; k < 2; k++)
        if (jobs[k].bad)
            return lmp_error_set(err, LMP_EFORMAT, "internal: the %s of a %u-gram is not a %u-gram",
                                 jobs[k].bad_sfx ? "suffix" : "context", n, n - 1);
    return LMP_OK;
}

/* kids[p] of order n-1: the first n-gram of order n whose suffix is p (or later).
 * Order n holds no pruned n-grams any more, so its suffix links are ordered. */
static lmp_status build_kids(train_budget *b, train_order *o, unsigned n, lmp_error *err)
{
    train_order *hi = &o[n], *lo = &o[n - 1];
    lo->kids = tb_array(b, lo->m + 1, sizeof *lo->kids, 0, "the links between orders", err);
    if (!lo->kids) return LMP_ENOMEM;
    uint64_t i = 0;
    for (uint64_t p = 0; p <= lo->m; p++) {
        while (i < hi->m && hi->sfx[i] < p) i++;
        lo->kids[p] = (uint32_t)i;
    }
    return LMP_OK;
}

/* Drop the pruned n-grams of order n (after its probabilities are known). */
static void compact_pruned(train_order *t)
{
    const unsigned n = t->n;
    uint64_t k = 0;
    for (uint64_t i = 0; i < t->m; i++) {
        if (t->cnt[i] & TRAIN_MARK) continue;
        if (k != i) {
            memmove(t->w + k * n, t->w + i * n, n * sizeof *t->w);
            t->cnt[k] = t->cnt[i];
            t->p[k] = t->p[i];
            if (t->sfx) t->sfx[k] = t->sfx[i];
            if (t->ctx) t->ctx[k] = t->ctx[i];
        }
        k++;
    }
    t->m = k;
}

/* The next order is linked: what only linking needed can go. */
static void free_links_before(train_budget *b, train_order *o, unsigned n)
{
    tb_free(b, o[n - 1].ctx);
    tb_free(b, o[n - 1].sfx);
    o[n - 1].ctx = o[n - 1].sfx = NULL;
    if (n >= 3) {
        tb_free(b, o[n - 2].kids);
        o[n - 2].kids = NULL;
    }
}

/* p (linear) → lp (log10, as written), in place: lp takes over the array. */
static void to_log(train_order *t, int clamp)
{
    double *v = t->p;
    for (uint64_t i = 0; i < t->m; i++) {
        double l = log10_or_floor(v[i]);
        v[i] = clamp ? fmin(0.0, l) : l;
    }
    if (t->n == 1 && t->m > LMP_VOCAB_BOS) v[LMP_VOCAB_BOS] = LOG_ZERO; /* <s>: context only */
    t->lp = v;
    t->p = NULL;
}

static lmp_status alloc_probs(train_budget *b, train_order *t, lmp_error *err)
{
    char what[80];
    snprintf(what, sizeof what, "the probabilities of %llu %u-grams", (unsigned long long)t->m, t->n);
    t->p = tb_array(b, t->m, sizeof *t->p, 0, what, err);
    return t->p ? LMP_OK : LMP_ENOMEM;
}

static lmp_status alloc_backoffs(train_budget *b, train_order *t, lmp_error *err)
{
    char what[80];
    snprintf(what, sizeof what, "the backoffs of %llu %u-grams", (unsigned long long)t->m, t->n);
    t->lb = tb_array(b, t->m, sizeof *t->lb, 1, what, err);
    return t->lb ? LMP_OK : LMP_ENOMEM;
}

/* Discounts of one order from its counts of counts (KenLM adjust_counts.cc). */
static lmp_status discounts_for(unsigned n, const uint64_t nk[5], const lmp_train_params *p, double D[4], int *fell,
                                lmp_error *err)
{
    D[0] = 0;
    *fell = 0;
    const char *what = p->estimator == LMP_EST_KN ? "Kneser-Ney" : "modified Kneser-Ney";
    unsigned need = p->estimator == LMP_EST_KN ? 2 : 3;
    char why[256] = "";
    for (unsigned j = 1; j <= need && !why[0]; j++)
        if (nk[j] == 0)
            snprintf(why, sizeof why, "no %u-grams have adjusted count %u%s", n, j, j == 3 ? " (3 or more)" : "");
    if (!why[0]) {
        double Y = (double)nk[1] / ((double)nk[1] + 2.0 * (double)nk[2]);
        if (p->estimator == LMP_EST_KN) {
            D[1] = D[2] = D[3] = Y;
        } else {
            for (unsigned j = 1; j <= 3; j++) {
                D[j] = (double)j - (double)(j + 1) * Y * (double)nk[j + 1] / (double)nk[j];
                if ((D[j] < 0 || D[j] > j) && !why[0])
                    snprintf(why, sizeof why, "discount D%u = %g of the %u-grams is outside [0, %u]", j, D[j], n, j);
            }
        }
    }
    if (!why[0]) return LMP_OK;
    if (!p->discount_fallback)
        return lmp_error_set(err, LMP_EDOM,
                             "cannot estimate %s discounts: %s (counts of counts n1=%llu n2=%llu n3=%llu n4=%llu): "
                             "expected %u-grams with adjusted counts 1, 2 and 3+ and each discount Dj in [0, j] "
                             "(Chen & Goodman eq. 26); is this small or artificial data? "
                             "--discount-fallback [D1 D2 D3] (default 0.5 1 1.5) supplies fallback discounts",
                             what, why, (unsigned long long)nk[1], (unsigned long long)nk[2],
                             (unsigned long long)nk[3], (unsigned long long)nk[4], n);
    for (unsigned j = 1; j <= 3; j++) D[j] = p->fallback[j - 1];
    *fell = 1;
    return LMP_OK;
}

static inline double disc(const double D[4], uint64_t a) { return D[a < 3 ? a : 3]; }

static lmp_status estimate_kn(lmp_train_model *m, const lmp_train_params *p, lmp_error *err)
{
    const unsigned N = m->order;
    train_order *o = m->o;
    const double V = (double)(o[1].m - 1); /* <s> excluded (KenLM interpolate.cc) */
    train_budget *b = &m->budget;
    double D[LMP_TRAIN_MAX_ORDER + 1][4];
    lmp_status st;
    for (unsigned n = 1; n <= N; n++) {
        uint64_t nk[5] = {0, 0, 0, 0, 0};
        for (uint64_t i = 0; i < o[n].m; i++) {
            /* lmplz counts the last n-gram of each lower order with its raw count
             * (see train_adjust); reproduced so the discounts are the same. */
            uint64_t a = (n < N && o[n].last_raw_valid && i == o[n].last_idx) ? o[n].last_raw : (o[n].cnt[i] & ~TRAIN_MARK);
            if (a < 5) nk[a]++;
        }
        if ((st = discounts_for(n, nk, p, D[n], &m->info.fallback_used[n], err))) return st;
        for (unsigned j = 0; j < 4; j++) m->info.discount[n][j] = D[n][j];
    }
    if ((st = alloc_probs(b, &o[1], err))) return st;
    /* Unigrams: one context. */
    {
        uint64_t T = 0, nk[4] = {0, 0, 0, 0};
        for (uint64_t i = 0; i < o[1].m; i++) {
            uint64_t a = o[1].cnt[i];
            T += a;
            if (a) nk[a < 3 ? a : 3]++;
        }
        double gamma = (D[1][1] * (double)nk[1] + D[1][2] * (double)nk[2] + D[1][3] * (double)nk[3]) / (double)T;
        for (uint64_t i = 0; i < o[1].m; i++) {
            uint64_t a = o[1].cnt[i];
            double pr = ((double)a - disc(D[1], a)) / (double)T + gamma / V;
            if (i == LMP_VOCAB_BOS) pr = 1.0; /* context only; KenLM gives it probability 1 internally */
            o[1].p[i] = pr;
        }
    }
    for (unsigned n = 2; n <= N; n++) {
        train_order *hi = &o[n], *lo = &o[n - 1];
        if ((st = link_order(b, o, n, err)) || (st = alloc_probs(b, hi, err)) || (st = alloc_backoffs(b, lo, err)))
            return st;
        free_links_before(b, o, n);
        uint64_t *den = tb_array(b, lo->m, sizeof *den, 1, "the context sums", err);
        /* gamma(c) = sum over the words after c of D(a(c w)) / den(c): the same as
         * (D1 N1 + D2 N2 + D3 N3+) / den, accumulated in place in lo->lb (no per-context
         * N1/N2/N3 arrays: they were the largest temporary of the top order). */
        double *gamma = lo->lb; /* calloc'd: 0; its log10 once the probabilities are done */
        if (!den) return LMP_ENOMEM;
        for (uint64_t i = 0; i < hi->m; i++) {
            uint32_t c = hi->ctx[i];
            uint64_t a = hi->cnt[i] & ~TRAIN_MARK;
            if (c == NONE) continue; /* pruned, and so is its context */
            den[c] += a;
            /* a pruned n-gram's whole count goes to gamma (lmplz initial_probabilities.cc:
             * "collect unused probability mass from pruning") */
            gamma[c] += (hi->cnt[i] & TRAIN_MARK) ? (double)a : disc(D[n], a);
        }
        for (uint64_t c = 0; c < lo->m; c++) gamma[c] = den[c] ? gamma[c] / (double)den[c] : -1.0; /* -1: not a context */
        int pruned = 0;
        for (uint64_t i = 0; i < hi->m; i++) {
            uint32_t c = hi->ctx[i];
            uint64_t a = hi->cnt[i];
            if (a & TRAIN_MARK) {
                hi->p[i] = 0;
                pruned = 1;
                continue;
            }
            double pr = ((double)a - disc(D[n], a)) / (double)den[c] + gamma[c] * lo->p[hi->sfx[i]];
            hi->p[i] = pr;
        }
        tb_free(b, den);
        if (pruned) compact_pruned(hi);
        if (n < N && (st = build_kids(b, o, n, err))) return st;
        for (uint64_t c = 0; c < lo->m; c++) lo->lb[c] = gamma[c] < 0 ? 0.0 : log10_or_floor(gamma[c]);
        tb_free(b, hi->cnt);
        hi->cnt = NULL;
        to_log(lo, 1);
    }
    to_log(&o[N], 1);
    return LMP_OK; /* the top order has no backoffs (lb stays NULL) */
}

static lmp_status estimate_backoff(lmp_train_model *m, const lmp_train_params *p, lmp_error *err)
{
    const unsigned N = m->order;
    train_order *o = m->o;
    const double V = (double)(o[1].m - 1);
    const double k = p->estimator == LMP_EST_ADDK ? p->k : 0.0;
    train_budget *b = &m->budget;
    lmp_status st;
    if ((st = alloc_probs(b, &o[1], err))) return st;
    uint64_t T = 0;
    for (uint64_t i = 0; i < o[1].m; i++)
        if (i != LMP_VOCAB_BOS) T += o[1].cnt[i];
    for (uint64_t i = 0; i < o[1].m; i++) {
        double pr = ((double)o[1].cnt[i] + k) / ((double)T + k * V);
        if (i == LMP_VOCAB_BOS) pr = 1.0;
        o[1].p[i] = pr;
    }
    for (unsigned n = 2; n <= N; n++) {
        train_order *hi = &o[n], *lo = &o[n - 1];
        if ((st = link_order(b, o, n, err)) || (st = alloc_probs(b, hi, err)) || (st = alloc_backoffs(b, lo, err)))
            return st;
        if (n < N && (st = build_kids(b, o, n, err))) return st;
        free_links_before(b, o, n);
        uint64_t *den = tb_array(b, lo->m, sizeof *den, 1, "the context sums", err);
        double *sp = den ? tb_array(b, 2 * (lo->m ? lo->m : 1), sizeof *sp, 1, "the context sums", err) : NULL;
        if (!den || !sp) {
            tb_free(b, den);
            return LMP_ENOMEM;
        }
        for (uint64_t i = 0; i < hi->m; i++) den[hi->ctx[i]] += hi->cnt[i];
        for (uint64_t i = 0; i < hi->m; i++) {
            uint32_t c = hi->ctx[i];
            double pr = ((double)hi->cnt[i] + k) / ((double)den[c] + k * V);
            hi->p[i] = pr;
            sp[2 * c] += pr;
            sp[2 * c + 1] += lo->p[hi->sfx[i]];
        }
        for (uint64_t c = 0; c < lo->m; c++) {
            if (!den[c]) continue; /* not a context: backoff 1 */
            double left = 1.0 - sp[2 * c], lower = 1.0 - sp[2 * c + 1];
            if (left <= 1e-12) lo->lb[c] = LOG_ZERO;
            else if (lower <= 1e-15) lo->lb[c] = 0;
            else lo->lb[c] = log10_or_floor(left / lower);
        }
        tb_free(b, den);
        tb_free(b, sp);
        tb_free(b, hi->cnt);
        hi->cnt = NULL;
        to_log(lo, 0);
    }
    to_log(&o[N], 0);
    return LMP_OK; /* the top order has no backoffs (lb stays NULL) */
}

lmp_status train_estimate(lmp_train_model *m, const lmp_train_params *p, lmp_error *err)
{
    if (p->estimator == LMP_EST_MKN || p->estimator == LMP_EST_KN) return estimate_kn(m, p, err);
    return estimate_backoff(m, p, err);
}
