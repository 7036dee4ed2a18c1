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
 * backoff(c) = 0, written as -99.
 *
 * On raw counts too (docs/ngram-toolkit.md has the checks):
 *   Witten-Bell, interpolated (Witten & Bell 1991; Chen & Goodman 1998 eq. 15):
 *     p(w | c) = (c(c w) + N1+(c .) p(w | c')) / (c(c .) + N1+(c .)), down to 1/V;
 *   absolute discounting, interpolated (Ney, Essen & Kneser 1994): the Kneser-Ney
 *     formulas above with one discount per order on raw counts;
 *   Katz backoff with Good-Turing discounts (Katz 1987; SRILM ngram-count(1), its default Good-Turing):
 *     p(w | c) = d_r c(c w) / c(c .), backoff as for add-k;
 *   stupid backoff (Brants et al. 2007): S(w | c) = c(c w) / c(c .), backoff alpha.
 * With nltk_conventions V and the unigram total count <s> (NLTK's nltk.lm). */
#include "../core/pool.h"
#include "../count/train_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define LOG_ZERO (-99.0)
#define NONE UINT32_MAX /* no index (a suffix link or context of train_order: indices, not word ids) */

double train_log10(double p)
{
    if (!(p > 0)) return LOG_ZERO;
    double l = log10(p);
    return l < LOG_ZERO ? LOG_ZERO : l;
}

static inline int same_words(const lmp_token_id *a, const lmp_token_id *b, unsigned n)
{
    for (unsigned i = n; i-- > 0;) /* the last word differs most often */
        if (a[i] != b[i]) return 0;
    return 1;
}

static inline int suffix_less(const lmp_token_id *a, const lmp_token_id *b, unsigned n)
{
    for (unsigned i = n; i-- > 0;)
        if (a[i] != b[i]) return a[i] < b[i];
    return 0;
}

/* Index of words[0..n) in order n (suffix-sorted), or NONE. */
static uint32_t find_ngram(const train_order *t, const lmp_token_id *words, unsigned n)
{
    /* order 1 is indexed by word id (>= 0) */
    if (n == 1) return (uint64_t)words[0] < t->m ? (uint32_t)words[0] : NONE;
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
        const lmp_token_id *g = hi->w + i * n;
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
            /* the index into order 1 is the word id (>= 0) */
            hi->sfx[i] = (uint32_t)hi->w[2 * i + 1];
            hi->ctx[i] = (uint32_t)hi->w[2 * i];
        }
        return LMP_OK;
    }
    link_job jobs[2] = {{o, n, 0, hi->m, 0, 0, 0}, {o, n, hi->m, hi->m, 0, 0, 0}};
    if (hi->m >= 200000) {
        uint64_t h = hi->m / 2, a = 0, b = lo->m;
        const lmp_token_id *g = hi->w + h * n;
        while (a < b) { /* the first n-1-gram not below the suffix of n-gram h */
            uint64_t mid = a + (b - a) / 2;
            if (suffix_less(lo->w + mid * (n - 1), g + 1, n - 1)) a = mid + 1;
            else b = mid;
        }
        jobs[0].to = h;
        jobs[1].from = h;
        jobs[1].j = a;
    }
    run_pair(link_range, &jobs[0], jobs[1].to > jobs[1].from ? &jobs[1] : NULL);
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

void train_compact_pruned(train_order *t)
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

/* The next order is linked: what only linking needed can go (the contexts
 * stay: the ARPA writer and the conversion to lmp_ngram use them). */
static void free_links_before(train_budget *b, train_order *o, unsigned n)
{
    tb_free(b, o[n - 1].sfx);
    o[n - 1].sfx = NULL;
    if (n >= 3) {
        tb_free(b, o[n - 2].kids);
        o[n - 2].kids = NULL;
    }
}

void train_to_log(train_order *t, int clamp)
{
    double *v = t->p;
    for (uint64_t i = 0; i < t->m; i++) {
        double l = train_log10(v[i]);
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

/* Discounts of one order from its counts of counts (KenLM adjust_counts.cc).
 * One discount (KN, ABS) or three (MKN). */
static lmp_status discounts_for(unsigned n, const uint64_t nk[5], const lmp_train_params *p, double D[4], int *fell,
                                lmp_error *err)
{
    D[0] = 0;
    *fell = 0;
    const int single = p->estimator != LMP_EST_MKN;
    const char *what = p->estimator == LMP_EST_KN ? "Kneser-Ney" : p->estimator == LMP_EST_ABS ? "absolute discounting"
                                                                                              : "modified Kneser-Ney";
    unsigned need = single ? 2 : 3;
    char why[256] = "";
    for (unsigned j = 1; j <= need && !why[0]; j++)
        if (nk[j] == 0)
            snprintf(why, sizeof why, "no %u-grams have %s count %u%s", n, p->estimator == LMP_EST_ABS ? "a" : "adjusted",
                     j, j == 3 ? " (3 or more)" : "");
    if (!why[0]) {
        double Y = (double)nk[1] / ((double)nk[1] + 2.0 * (double)nk[2]);
        if (single) {
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
                             "expected %u-grams with %s counts 1, 2%s and each discount Dj in [0, j] "
                             "(Chen & Goodman eq. 26); is this small or artificial data? discount_fallback "
                             "(lmprob train --discount-fallback [D1 D2 D3], Python discount_fallback=True) supplies "
                             "fallback discounts (default 0.5 1 1.5)%s",
                             what, why, (unsigned long long)nk[1], (unsigned long long)nk[2],
                             (unsigned long long)nk[3], (unsigned long long)nk[4], n,
                             p->estimator == LMP_EST_ABS ? "raw" : "adjusted", single ? "" : " and 3+",
                             p->estimator == LMP_EST_ABS ? " (absolute discounting uses D1), or discount (--discount D) fixes one" : "");
    for (unsigned j = 1; j <= 3; j++) D[j] = p->estimator == LMP_EST_ABS ? p->fallback[0] : p->fallback[j - 1];
    *fell = 1;
    return LMP_OK;
}

void train_count_counts(const train_order *t, unsigned N, uint64_t nk[5])
{
    const unsigned n = t->n;
    for (uint64_t i = 0; i < t->m; i++) {
        /* lmplz counts the last n-gram of each lower order with its raw count
         * (see train_adjust); reproduced so the discounts are the same. */
        uint64_t a = (n < N && t->last_raw_valid && i == t->last_idx) ? t->last_raw : (t->cnt[i] & ~TRAIN_MARK);
        if (a < 5) nk[a]++;
    }
}

lmp_status train_interp_discounts(const lmp_train_params *p, unsigned N, const uint64_t nk[][5], double D[][4],
                                  lmp_train_info *info, lmp_error *err)
{
    for (unsigned n = 1; n <= N; n++) {
        for (unsigned j = 0; j < 4; j++) D[n][j] = 0;
        if (p->estimator == LMP_EST_WB) continue;
        if (p->estimator == LMP_EST_ABS && p->discount > 0) {
            D[n][1] = D[n][2] = D[n][3] = p->discount;
        } else {
            lmp_status st = discounts_for(n, nk[n], p, D[n], &info->fallback_used[n], err);
            if (st) return st;
        }
        for (unsigned j = 0; j < 4; j++) info->discount[n][j] = D[n][j];
    }
    return LMP_OK;
}

lmp_status train_interp_unigrams(train_budget *b, train_order *o1, const double D1[4], const lmp_train_params *p,
                                 uint64_t sentences, lmp_error *err)
{
    const int wb = p->estimator == LMP_EST_WB;
    const int nltk = p->nltk_conventions;
    /* V: <s> excluded (KenLM interpolate.cc), included under NLTK's conventions */
    const double V = (double)(o1->m - (nltk ? 0 : 1));
    lmp_status st = alloc_probs(b, o1, err);
    if (st) return st;
    /* Unigrams: one context. */
    uint64_t T = 0, nk[4] = {0, 0, 0, 0};
    for (uint64_t i = 0; i < o1->m; i++) {
        uint64_t a = o1->cnt[i];
        T += a;
        if (a) nk[a < 3 ? a : 3]++;
    }
    if (nltk) T += sentences; /* NLTK counts one <s> a sentence (order 2) */
    const double n1p = (double)(nk[1] + nk[2] + nk[3]); /* N1+(.) */
    double gamma = (D1[1] * (double)nk[1] + D1[2] * (double)nk[2] + D1[3] * (double)nk[3]) / (double)T;
    for (uint64_t i = 0; i < o1->m; i++) {
        uint64_t a = o1->cnt[i];
        double pr;
        if (nltk) pr = (double)a / (double)T; /* nltk.lm: the MLE unigram ends the recursion */
        else if (wb) pr = ((double)a + n1p / V) / ((double)T + n1p); /* Witten-Bell down to the uniform 1/V */
        else pr = ((double)a - train_disc(D1, a)) / (double)T + gamma / V;
        if (i == LMP_VOCAB_BOS) pr = 1.0; /* context only; KenLM gives it probability 1 internally */
        o1->p[i] = pr;
    }
    return LMP_OK;
}

lmp_status train_interp_alloc(train_budget *b, train_order *hi, train_order *lo, lmp_error *err)
{
    lmp_status st = alloc_probs(b, hi, err);
    return st ? st : alloc_backoffs(b, lo, err);
}

/* Interpolated estimators: MKN, KN (adjusted counts), ABS and WB (raw counts).
 * p(w|h) = u(w|h) + gamma(h) p(w|h'), written with backoff(h) = gamma(h).
 * The formulas are the train_ctx_add / train_ctx_close / train_interp_p of
 * train_internal.h, which the distributed trainer (mpi/train_mpi.c) runs too. */
static lmp_status estimate_interp(lmp_train_model *m, const lmp_train_params *p, lmp_error *err)
{
    const unsigned N = m->order;
    train_order *o = m->o;
    const int wb = p->estimator == LMP_EST_WB;
    uint64_t nk[LMP_NGRAM_MAX_ORDER + 1][5];
    double D[LMP_NGRAM_MAX_ORDER + 1][4];
    train_budget *b = &m->budget;
    lmp_status st;
    memset(nk, 0, sizeof nk);
    for (unsigned n = 1; n <= N; n++) train_count_counts(&o[n], N, nk[n]);
    if ((st = train_interp_discounts(p, N, (const uint64_t(*)[5])nk, D, &m->info, err))) return st;
    if ((st = train_interp_unigrams(b, &o[1], D[1], p, m->info.sentences, err))) return st;
    for (unsigned n = 2; n <= N; n++) {
        train_order *hi = &o[n], *lo = &o[n - 1];
        if ((st = link_order(b, o, n, err)) || (st = train_interp_alloc(b, hi, lo, err))) return st;
        free_links_before(b, o, n);
        uint64_t *den = tb_array(b, lo->m, sizeof *den, 1, "the context sums", err);
        uint64_t *n1p = wb && den ? tb_array(b, lo->m, sizeof *n1p, 1, "the context sums", err) : NULL; /* WB: N1+(c .) */
        /* gamma(c) = sum over the words after c of D(a(c w)) / den(c): the same as
         * (D1 N1 + D2 N2 + D3 N3+) / den, accumulated in place in lo->lb (no per-context
         * N1/N2/N3 arrays: they were the largest temporary of the top order). */
        double *gamma = lo->lb; /* calloc'd: 0; its log10 once the probabilities are done */
        if (!den || (wb && !n1p)) {
            tb_free(b, den);
            return LMP_ENOMEM;
        }
        uint64_t none = 0;
        for (uint64_t i = 0; i < hi->m; i++) {
            uint32_t c = hi->ctx[i];
            if (c == NONE) continue; /* pruned, and so is its context */
            train_ctx_add(wb, hi->cnt[i], D[n], &den[c], wb ? &n1p[c] : &none, &gamma[c]);
        }
        for (uint64_t c = 0; c < lo->m; c++) train_ctx_close(wb, den[c], wb ? &n1p[c] : &none, &gamma[c]);
        int pruned = 0;
        for (uint64_t i = 0; i < hi->m; i++) {
            uint64_t c = hi->ctx[i]; /* 64-bit: 2 * c of a 32-bit context past 2^31 would wrap */
            uint64_t a = hi->cnt[i];
            if (a & TRAIN_MARK) {
                hi->p[i] = 0;
                pruned = 1;
                continue;
            }
            hi->p[i] = train_interp_p(wb, a, D[n], den[c], wb ? n1p[c] : 0, gamma[c], lo->p[hi->sfx[i]]);
        }
        tb_free(b, den);
        tb_free(b, n1p);
        if (pruned) train_compact_pruned(hi);
        if (n < N && (st = build_kids(b, o, n, err))) return st;
        for (uint64_t c = 0; c < lo->m; c++) lo->lb[c] = train_ctx_backoff(gamma[c]);
        tb_free(b, hi->cnt);
        hi->cnt = NULL;
        train_to_log(lo, 1);
    }
    train_to_log(&o[N], 1);
    return LMP_OK; /* the top order has no backoffs (lb stays NULL) */
}

/* SRILM's Prob_Epsilon: a context whose discounted probabilities sum to more
 * than 1 - this has its total raised by one (ngram-count's "no backoff
 * probability mass left ... incrementing denominator", a hack SRILM credits
 * to Doug Paul). */
#define KATZ_EPS 3e-6

/* Good-Turing coefficients of one order (Katz 1987; SRILM ngram-count(1), its default Good-Turing):
 *   d_r = ((r+1) n_(r+1) / (r n_r) - A) / (1 - A),  A = (k+1) n_(k+1) / n_1,  1 <= r <= k,
 * counts above k undiscounted. As ngram-count: no singletons disable the
 * discounting (k = 0), k is lowered while n_(k+1) = 0, and a coefficient whose
 * Good-Turing ratio (r+1) n_(r+1) / (r n_r) is not in (A, 1] is set to 1.
 * With k = 1 (SRILM's default for unigrams) the ratio equals A: d_1 = 1. */
static void good_turing(const train_order *t, unsigned kmax, unsigned *kout, double *d)
{
    uint64_t nr[LMP_TRAIN_GT_MAX + 2];
    memset(nr, 0, sizeof nr);
    for (uint64_t i = 0; i < t->m; i++) {
        uint64_t a = t->cnt[i] & ~TRAIN_MARK;
        if (t->n == 1 && i == LMP_VOCAB_BOS) continue;
        if (a >= 1 && a <= kmax + 1) nr[a]++;
    }
    unsigned k = kmax;
    if (nr[1] == 0) k = 0;
    while (k > 0 && nr[k + 1] == 0) k--;
    for (unsigned r = 0; r <= LMP_TRAIN_GT_MAX; r++) d[r] = 1.0;
    if (k > 0) {
        double A = (double)(k + 1) * (double)nr[k + 1] / (double)nr[1];
        for (unsigned r = 1; r <= k; r++) {
            if (nr[r] == 0) continue;
            double ratio = (double)(r + 1) * (double)nr[r + 1] / ((double)r * (double)nr[r]);
            if (ratio > A && ratio <= 1.0) d[r] = (ratio - A) / (1.0 - A);
        }
    }
    *kout = k;
}

static inline double gt_disc(const double *d, unsigned k, uint64_t a) { return a <= k ? d[a] : 1.0; }

/* Katz's total: the smallest c(h) + j (j >= 0) for which the discounted
 * probabilities sum(d a) / total stay at or below 1 - KATZ_EPS. */
static double katz_total(double sum_da, uint64_t total)
{
    double t = (double)total;
    if (sum_da / t <= 1.0 - KATZ_EPS) return t;
    double j = ceil(sum_da / (1.0 - KATZ_EPS) - t);
    if (j < 1) j = 1;
    while (sum_da / (t + j) > 1.0 - KATZ_EPS) j += 1;
    while (j > 1 && sum_da / (t + j - 1) <= 1.0 - KATZ_EPS) j -= 1;
    return t + j;
}

/* Backoff estimators on raw counts: add-k, MLE, Katz, stupid backoff. */
static lmp_status estimate_backoff(lmp_train_model *m, const lmp_train_params *p, lmp_error *err)
{
    train_budget *b = &m->budget;
    const unsigned N = m->order;
    train_order *o = m->o;
    const lmp_estimator est = p->estimator;
    const int nltk = p->nltk_conventions;
    const double V = (double)(o[1].m - (nltk ? 0 : 1));
    const double k = est == LMP_EST_ADDK ? p->k : 0.0;
    double gt[LMP_NGRAM_MAX_ORDER + 1][LMP_TRAIN_GT_MAX + 1];
    unsigned K[LMP_NGRAM_MAX_ORDER + 1];
    lmp_status st;
    if (est == LMP_EST_KATZ)
        for (unsigned n = 1; n <= N; n++) {
            good_turing(&o[n], p->gt_max[n - 1], &K[n], gt[n]);
            m->info.gt_max[n] = K[n];
            for (unsigned r = 0; r <= LMP_TRAIN_GT_MAX; r++) m->info.gt_coeff[n][r] = r >= 1 && r <= K[n] ? gt[n][r] : 0.0;
        }
    if ((st = alloc_probs(b, &o[1], err))) return st;
    uint64_t T = 0;
    for (uint64_t i = 0; i < o[1].m; i++)
        if (i != LMP_VOCAB_BOS) T += o[1].cnt[i];
    if (nltk) T += m->info.sentences; /* NLTK counts one <s> a sentence (order 2) */
    if (est == LMP_EST_KATZ) {
        double sda = 0;
        uint64_t zero = 0;
        for (uint64_t i = 0; i < o[1].m; i++) {
            if (i == LMP_VOCAB_BOS) continue;
            sda += gt_disc(gt[1], K[1], o[1].cnt[i]) * (double)o[1].cnt[i];
            zero += o[1].cnt[i] == 0;
        }
        double tot = katz_total(sda, T), left = 1.0 - sda / tot;
        /* SRILM's distributeProb: the left-over mass goes to the zero-count words,
         * or to every word when there are none. */
        for (uint64_t i = 0; i < o[1].m; i++) {
            uint64_t a = o[1].cnt[i];
            double pr = gt_disc(gt[1], K[1], a) * (double)a / tot;
            if (zero) pr += a == 0 ? left / (double)zero : 0.0;
            else pr += left / V;
            o[1].p[i] = i == LMP_VOCAB_BOS ? 1.0 : pr;
        }
    } else {
        for (uint64_t i = 0; i < o[1].m; i++) {
            double pr = ((double)o[1].cnt[i] + k) / ((double)T + k * V); /* k = 0: MLE, stupid backoff */
            if (i == LMP_VOCAB_BOS) pr = 1.0;
            o[1].p[i] = pr;
        }
    }
    for (unsigned n = 2; n <= N; n++) {
        train_order *hi = &o[n], *lo = &o[n - 1];
        if ((st = link_order(b, o, n, err)) || (st = alloc_probs(b, hi, err)) || (st = alloc_backoffs(b, lo, err)))
            return st;
        free_links_before(b, o, n);
        uint64_t *den = tb_array(b, lo->m, sizeof *den, 1, "the context sums", err);
        double *sp = den ? tb_array(b, 2 * (lo->m ? lo->m : 1), sizeof *sp, 1, "the context sums", err) : NULL;
        if (!den || !sp) {
            tb_free(b, den);
            return LMP_ENOMEM;
        }
        /* c(h): every n-gram counts, a pruned (cut-off) one too (SRILM's totalCount, lmplz's pruning) */
        for (uint64_t i = 0; i < hi->m; i++)
            if (hi->ctx[i] != NONE) den[hi->ctx[i]] += hi->cnt[i] & ~TRAIN_MARK;
        double *tot = NULL;
        if (est == LMP_EST_KATZ) {
            tot = tb_array(b, lo->m, sizeof *tot, 0, "the context totals", err);
            if (!tot) {
                tb_free(b, den);
                tb_free(b, sp);
                return LMP_ENOMEM;
            }
            for (uint64_t i = 0; i < hi->m; i++)
                if (!(hi->cnt[i] & TRAIN_MARK)) sp[2 * (uint64_t)hi->ctx[i]] += gt_disc(gt[n], K[n], hi->cnt[i]) * (double)hi->cnt[i];
            for (uint64_t c = 0; c < lo->m; c++) {
                tot[c] = den[c] ? katz_total(sp[2 * c], den[c]) : 1.0;
                sp[2 * c] = 0;
            }
        }
        int pruned = 0;
        for (uint64_t i = 0; i < hi->m; i++) {
            uint64_t c = hi->ctx[i]; /* 64-bit: 2 * c of a 32-bit context past 2^31 would wrap */
            uint64_t a = hi->cnt[i];
            if (a & TRAIN_MARK) {
                hi->p[i] = 0;
                pruned = 1;
                continue;
            }
            double pr;
            if (est == LMP_EST_KATZ) pr = gt_disc(gt[n], K[n], a) * (double)a / tot[c];
            else pr = ((double)a + k) / ((double)den[c] + k * V);
            hi->p[i] = pr;
            sp[2 * c] += pr;
            sp[2 * c + 1] += lo->p[hi->sfx[i]];
        }
        for (uint64_t c = 0; c < lo->m; c++) {
            if (est == LMP_EST_STUPID) {
                lo->lb[c] = log10(p->alpha); /* every n-gram, a context or not (Brants et al. 2007) */
                continue;
            }
            if (!den[c]) continue; /* not a context: backoff 1 */
            /* Katz 1987: backoff(h) = (1 - sum_seen p(w|h)) / (1 - sum_seen p(w|h')) */
            double left = 1.0 - sp[2 * c], lower = 1.0 - sp[2 * c + 1];
            if (left <= 1e-12) lo->lb[c] = LOG_ZERO;
            else if (lower <= 1e-15) lo->lb[c] = 0;
            else lo->lb[c] = train_log10(left / lower);
        }
        tb_free(b, den);
        tb_free(b, sp);
        tb_free(b, tot);
        if (pruned) train_compact_pruned(hi);
        if (n < N && (st = build_kids(b, o, n, err))) return st;
        tb_free(b, hi->cnt);
        hi->cnt = NULL;
        train_to_log(lo, 0);
    }
    train_to_log(&o[N], 0);
    return LMP_OK; /* the top order has no backoffs (lb stays NULL) */
}

lmp_status train_estimate(lmp_train_model *m, const lmp_train_params *p, lmp_error *err)
{
    switch (p->estimator) {
    case LMP_EST_MKN:
    case LMP_EST_KN:
    case LMP_EST_ABS:
    case LMP_EST_WB: return estimate_interp(m, p, err);
    default: return estimate_backoff(m, p, err);
    }
}
