/* N-gram training: MLE and add-k against a direct count, (modified) Kneser-Ney
 * against KenLM's lmplz output on a fixture, normalisation, spilling, errors. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../src/count/train_internal.h"
#include "../src/ngram/ngram_internal.h"
#include "lmprob/ngram_train.h"
#include "test.h"

static lmp_train_model *train_mem(const char *text, const lmp_train_params *p, lmp_status *st, lmp_error *err)
{
    lmp_corpus *c;
    lmp_train_model *m = NULL;
    *st = lmp_corpus_create(text, strlen(text), "mem.txt", &p->corpus, &c, err);
    if (*st) return NULL;
    *st = lmp_train_model_create(c, p, &m, err);
    lmp_corpus_free(c);
    return m;
}

/* ---- a direct count, written independently of the library ------------------------- */

enum { MAXW = 64, MAXG = 4096 };
typedef struct direct {
    char words[MAXW][16];
    int nw;
    int gram[MAXG][4]; /* word indices; n in glen */
    int glen[MAXG];
    long cnt[MAXG];
    int ng;
} direct;

static int dword(direct *d, const char *w)
{
    for (int i = 0; i < d->nw; i++)
        if (strcmp(d->words[i], w) == 0) return i;
    snprintf(d->words[d->nw], sizeof d->words[0], "%s", w);
    return d->nw++;
}

static void dadd(direct *d, const int *g, int n)
{
    for (int i = 0; i < d->ng; i++)
        if (d->glen[i] == n && memcmp(d->gram[i], g, (size_t)n * sizeof *g) == 0) {
            d->cnt[i]++;
            return;
        }
    memcpy(d->gram[d->ng], g, (size_t)n * sizeof *g);
    d->glen[d->ng] = n;
    d->cnt[d->ng++] = 1;
}

/* Every n-gram (n <= N) of "<s> w1 .. wk </s>" per line that does not predict <s>. */
static void direct_count(direct *d, const char *text, int N)
{
    memset(d, 0, sizeof *d);
    dword(d, "<unk>");
    int bos = dword(d, "<s>");
    dword(d, "</s>");
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", text);
    /* Lines by hand: strtok would skip the empty line, which is a sentence "<s> </s>". */
    for (char *line = buf, *nl; *line; line = nl + 1) {
        nl = strchr(line, '\n');
        *nl = '\0';
        int seq[128], L = 0;
        seq[L++] = bos;
        char *s2 = NULL;
        for (char *w = strtok_r(line, " ", &s2); w; w = strtok_r(NULL, " ", &s2)) seq[L++] = dword(d, w);
        seq[L++] = dword(d, "</s>");
        for (int e = 1; e < L; e++)
            for (int n = 1; n <= N && e - n + 1 >= 0; n++) dadd(d, seq + e - n + 1, n);
    }
}

/* Sum of counts of n-grams with context h (n-1 words). */
static long dcontext(const direct *d, const int *h, int n)
{
    long s = 0;
    for (int i = 0; i < d->ng; i++)
        if (d->glen[i] == n && memcmp(d->gram[i], h, (size_t)(n - 1) * sizeof *h) == 0) s += d->cnt[i];
    return s;
}

static void check_against_direct(const char *text, int N, lmp_estimator est, double k)
{
    lmp_train_params p;
    lmp_train_params_init(&p);
    p.order = (unsigned)N;
    p.estimator = est;
    p.k = k;
    lmp_status st;
    lmp_error err;
    lmp_train_model *m = train_mem(text, &p, &st, &err);
    CHECK_MSG(st == LMP_OK, "%s", err.msg);
    if (!m) return;
    direct d;
    direct_count(&d, text, N);
    const double V = d.nw - 1; /* without <s> */
    int checked = 0;
    lmp_train_info info;
    lmp_train_get_info(m, &info);
    long ngrams_direct[5] = {0, 0, 0, 0, 0};
    for (int i = 0; i < d.ng; i++) ngrams_direct[d.glen[i]]++;
    for (int n = 2; n <= N; n++) CHECK_INT(info.counts[n], ngrams_direct[n]);
    for (int i = 0; i < d.ng; i++) {
        int n = d.glen[i];
        const char *w[4];
        for (int j = 0; j < n; j++) w[j] = d.words[d.gram[i][j]];
        double lp, lb;
        CHECK_MSG(lmp_train_lookup(m, w, (size_t)n, &lp, &lb) == 0, "missing %d-gram ending '%s'", n, w[n - 1]);
        long c = d.cnt[i];
        long ctx = n == 1 ? 0 : dcontext(&d, d.gram[i], n);
        if (n == 1)
            for (int j = 0; j < d.ng; j++)
                if (d.glen[j] == 1) ctx += d.cnt[j];
        double want = est == LMP_EST_MLE ? (double)c / (double)ctx : ((double)c + k) / ((double)ctx + k * V);
        /* Both sides compute the same ratio in double; the log10 differs by rounding only. */
        CHECK_ABS(lp, log10(want), 1e-12);
        checked++;
    }
    CHECK(checked > 5);
    /* The unseen <unk>: MLE 0 (written -99), add-k k / (T + kV). */
    const char *unk[1] = {"<unk>"};
    double lp;
    CHECK(lmp_train_lookup(m, unk, 1, &lp, NULL) == 0);
    const char *null_word[2] = {"<unk>", NULL}; /* strlen(NULL) crashed */
    CHECK(lmp_train_lookup(m, null_word, 2, &lp, NULL) == -1);
    CHECK(lmp_train_lookup(m, NULL, 1, &lp, NULL) == -1 && lmp_train_lookup(NULL, unk, 1, &lp, NULL) == -1);
    long T = 0;
    for (int j = 0; j < d.ng; j++)
        if (d.glen[j] == 1) T += d.cnt[j];
    CHECK_ABS(lp, est == LMP_EST_MLE ? -99.0 : log10(k / ((double)T + k * V)), 1e-12);
    lmp_train_model_free(m);
}

static const char *TINY = "a b a\nb a\n\nc a b b\na c\n";

static void test_mle_direct_count(void) { check_against_direct(TINY, 3, LMP_EST_MLE, 0); }
static void test_laplace_direct_count(void) { check_against_direct(TINY, 3, LMP_EST_ADDK, 1.0); }
static void test_addk_direct_count(void) { check_against_direct(TINY, 2, LMP_EST_ADDK, 0.25); }

/* Full backoff-model probability of w after h (words as strings). */
static double model_prob(const lmp_train_model *m, const char **h, size_t nh, const char *w)
{
    const char *g[LMP_NGRAM_MAX_ORDER];
    for (size_t i = 0; i < nh; i++) g[i] = h[i];
    g[nh] = w;
    double lp, lb;
    if (lmp_train_lookup(m, g, nh + 1, &lp, NULL) == 0) return pow(10.0, lp);
    double bo = 0;
    if (nh > 0 && lmp_train_lookup(m, h, nh, &lp, &lb) == 0) bo = lb;
    return pow(10.0, bo) * model_prob(m, h + 1, nh - 1, w);
}

/* Every estimator gives, for each context, a distribution over the vocabulary
 * (without <s>) that sums to one. */
static void check_normalised_pruned(const char *text, lmp_estimator est, int discount_fallback, uint64_t prune)
{
    lmp_train_params p;
    lmp_train_params_init(&p);
    p.order = 3;
    p.prune[1] = p.prune[2] = prune;
    p.estimator = est;
    p.k = 0.5;
    p.discount_fallback = discount_fallback;
    lmp_status st;
    lmp_error err;
    lmp_train_model *m = train_mem(text, &p, &st, &err);
    CHECK_MSG(st == LMP_OK, "%s", err.msg);
    if (!m) return;
    direct d;
    direct_count(&d, text, 3);
    int contexts = 0;
    for (int i = 0; i < d.ng; i++) {
        if (d.glen[i] > 2) continue;
        int n = d.glen[i];
        if (d.gram[i][n - 1] == 2) continue; /* ends in </s>: never a context */
        const char *h[2];
        for (int j = 0; j < n; j++) h[j] = d.words[d.gram[i][j]];
        double sum = 0;
        for (int w = 0; w < d.nw; w++)
            if (w != 1) sum += model_prob(m, h, (size_t)n, d.words[w]);
        /* ARPA values are rounded to 8 digits when written, but here they are the
         * exact doubles: only summation rounding remains. */
        CHECK_MSG(fabs(sum - 1.0) < 1e-9, "context '%s%s%s': sum %.15g", h[0], n > 1 ? " " : "", n > 1 ? h[1] : "", sum);
        contexts++;
    }
    CHECK(contexts > 5);
    lmp_train_model_free(m);
}

static void check_normalised(const char *text, lmp_estimator est, int discount_fallback)
{
    check_normalised_pruned(text, est, discount_fallback, 0);
}

static void test_normalised_addk(void) { check_normalised(TINY, LMP_EST_ADDK, 0); }
static void test_normalised_mkn(void) { check_normalised(TINY, LMP_EST_MKN, 1); }
static void test_normalised_kn(void) { check_normalised(TINY, LMP_EST_KN, 1); }
static void test_normalised_wb(void) { check_normalised(TINY, LMP_EST_WB, 0); }
static void test_normalised_abs(void) { check_normalised(TINY, LMP_EST_ABS, 1); }
static void test_normalised_katz(void) { check_normalised(TINY, LMP_EST_KATZ, 0); }

/* Count pruning with the raw-count estimators: the pruned n-grams' mass goes to
 * the backoffs, and every context still sums to one. */
static void test_normalised_pruned(void)
{
    const lmp_estimator e[] = {LMP_EST_ADDK, LMP_EST_MLE, LMP_EST_WB, LMP_EST_ABS, LMP_EST_KATZ, LMP_EST_KN};
    for (size_t i = 0; i < sizeof e / sizeof e[0]; i++) check_normalised_pruned(TINY, e[i], 1, 1);
}

/* A text of TEXT_LINES lines over 12 words with skewed frequencies (a fixed
 * linear congruential stream), for count-of-counts with many values. */
enum { TEXT_LINES = 40 };
static void skewed_text(char *buf, size_t cap)
{
    static const char *const w[] = {"the", "of", "a", "cat", "dog", "sat", "ran", "on", "mat", "log", "big", "red"};
    uint32_t x = 12345;
    size_t k = 0;
    for (int l = 0; l < TEXT_LINES; l++) {
        int len = 2 + l % 5;
        for (int i = 0; i < len; i++) {
            x = x * 1103515245u + 12345u;
            uint32_t r = (x >> 16) % 78; /* 12 + 11 + .. + 1: word j with weight 12 - j */
            int j = 0;
            while (r >= (uint32_t)(12 - j)) r -= (uint32_t)(12 - j++);
            k += (size_t)snprintf(buf + k, cap - k, "%s%s", i ? " " : "", w[j]);
        }
        k += (size_t)snprintf(buf + k, cap - k, "\n");
    }
}

/* Good-Turing coefficients computed here from a direct count (SRILM
 * ngram-count(1) default): d_r = ((r+1) n_(r+1) / (r n_r) - A) / (1 - A). */
static void direct_gt(const direct *d, int n, unsigned kmax, unsigned *k, double *dr)
{
    long nr[32] = {0};
    for (int i = 0; i < d->ng; i++)
        if (d->glen[i] == n && d->cnt[i] <= 30) nr[d->cnt[i]]++;
    unsigned K = nr[1] ? kmax : 0;
    while (K > 0 && nr[K + 1] == 0) K--;
    for (int r = 0; r < 32; r++) dr[r] = 1;
    double A = K ? (double)(K + 1) * (double)nr[K + 1] / (double)nr[1] : 0;
    for (unsigned r = 1; r <= K; r++) {
        double g = nr[r] ? (double)(r + 1) * (double)nr[r + 1] / ((double)r * (double)nr[r]) : 0;
        if (nr[r] && g > A && g <= 1) dr[r] = (g - A) / (1 - A);
    }
    *k = K;
}

/* Katz backoff with Good-Turing discounts against a direct computation:
 * every bigram's d(c) c / c(h) (c(h) raised by one where SRILM's
 * "incrementing denominator" applies), the unigrams' undiscounted c / (T + 1)
 * with the left-over 1 / (T + 1) on the unseen <unk>, and the cut-off
 * trigrams (count 1 dropped, SRILM's -gt3min 2). */
static void test_katz_direct(void)
{
    static char text[8192];
    skewed_text(text, sizeof text);
    lmp_train_params p;
    lmp_train_params_init(&p);
    p.order = 3;
    p.estimator = LMP_EST_KATZ;
    p.prune[2] = 1;
    lmp_status st;
    lmp_error err;
    lmp_train_model *m = train_mem(text, &p, &st, &err);
    CHECK_MSG(st == LMP_OK, "%s", err.msg);
    if (!m) return;
    static direct d;
    direct_count(&d, text, 3);
    unsigned K2, K1;
    double d2[32], d1[32];
    direct_gt(&d, 2, 7, &K2, d2);
    direct_gt(&d, 1, 1, &K1, d1);
    lmp_train_info info;
    lmp_train_get_info(m, &info);
    CHECK_INT(info.gt_max[2], K2);
    CHECK(K2 >= 3); /* the text gives real discounts, not all 1 */
    int discounted = 0;
    for (unsigned r = 1; r <= K2; r++) {
        CHECK_ABS(info.gt_coeff[2][r], d2[r], 1e-12);
        discounted += d2[r] < 1;
    }
    CHECK(discounted >= 2);
    long T = 0;
    for (int i = 0; i < d.ng; i++)
        if (d.glen[i] == 1) T += d.cnt[i];
    int checked = 0;
    long tri_kept = 0;
    for (int i = 0; i < d.ng; i++) {
        int n = d.glen[i];
        const char *w[3];
        for (int j = 0; j < n; j++) w[j] = d.words[d.gram[i][j]];
        double lp, lb;
        int found = lmp_train_lookup(m, w, (size_t)n, &lp, &lb) == 0;
        if (n == 3) {
            CHECK(found == (d.cnt[i] >= 2));
            tri_kept += d.cnt[i] >= 2;
            continue;
        }
        CHECK(found);
        if (n == 1) {
            /* k = 1 for unigrams: the ratio equals A, so d1 = 1: no discount; the sum is 1 and
             * SRILM raises the total by one */
            CHECK_ABS(lp, log10((double)d.cnt[i] / (double)(T + 1)), 1e-12);
        } else {
            long ch = dcontext(&d, d.gram[i], 2);
            double sum = 0;
            for (int j = 0; j < d.ng; j++)
                if (d.glen[j] == 2 && d.gram[j][0] == d.gram[i][0])
                    sum += (d.cnt[j] <= (long)K2 ? d2[d.cnt[j]] : 1.0) * (double)d.cnt[j];
            double tot = (double)ch;
            while (sum / tot > 1.0 - 3e-6) tot += 1; /* SRILM's Prob_Epsilon */
            double dc = d.cnt[i] <= (long)K2 ? d2[d.cnt[i]] : 1.0;
            CHECK_ABS(lp, log10(dc * (double)d.cnt[i] / tot), 1e-12);
        }
        checked++;
    }
    CHECK(checked > 40);
    CHECK_INT(info.counts[3], tri_kept);
    const char *unk[1] = {"<unk>"};
    double lp;
    CHECK(lmp_train_lookup(m, unk, 1, &lp, NULL) == 0);
    CHECK_ABS(lp, log10(1.0 / (double)(T + 1)), 1e-12);
    lmp_train_model_free(m);
    /* and it is normalised, with the cut-offs */
    check_normalised(text, LMP_EST_KATZ, 0);
}

/* Witten-Bell (default: down to the uniform 1/V), absolute discounting with a
 * given D, and stupid backoff, against their formulas on a direct count. */
static void test_wb_abs_stupid_direct(void)
{
    static char text[8192];
    skewed_text(text, sizeof text);
    static direct d;
    direct_count(&d, text, 2);
    const double V = d.nw - 1;
    long T = 0, N1p = 0;
    for (int i = 0; i < d.ng; i++)
        if (d.glen[i] == 1) T += d.cnt[i], N1p++;
    for (int e = 0; e < 3; e++) {
        lmp_train_params p;
        lmp_train_params_init(&p);
        p.order = 2;
        p.estimator = e == 0 ? LMP_EST_WB : e == 1 ? LMP_EST_ABS : LMP_EST_STUPID;
        p.discount = 0.6;
        p.alpha = 0.25;
        lmp_status st;
        lmp_error err;
        lmp_train_model *m = train_mem(text, &p, &st, &err);
        CHECK_MSG(st == LMP_OK, "%s", err.msg);
        if (!m) return;
        double uni[MAXW];
        for (int w = 0; w < d.nw; w++) {
            long c = 0;
            for (int i = 0; i < d.ng; i++)
                if (d.glen[i] == 1 && d.gram[i][0] == w) c = d.cnt[i];
            if (e == 0) uni[w] = ((double)c + (double)N1p / V) / (double)(T + N1p);
            else if (e == 1) uni[w] = (c ? (double)c - 0.6 : 0.0) / (double)T + 0.6 * (double)N1p / (double)T / V;
            else uni[w] = (double)c / (double)T;
        }
        int checked = 0;
        for (int h = 0; h < d.nw; h++) {
            if (h == 2 || h == 0) continue; /* </s> and the unseen <unk> are never contexts */
            int hh[2] = {h, 0};
            long ch = dcontext(&d, hh, 2), n1p = 0;
            if (!ch) continue;
            for (int i = 0; i < d.ng; i++)
                if (d.glen[i] == 2 && d.gram[i][0] == h) n1p++;
            for (int w = 0; w < d.nw; w++) {
                if (w == 1) continue;
                long c = 0;
                for (int i = 0; i < d.ng; i++)
                    if (d.glen[i] == 2 && d.gram[i][0] == h && d.gram[i][1] == w) c = d.cnt[i];
                double want;
                if (e == 0) want = ((double)c + (double)n1p * uni[w]) / (double)(ch + n1p);
                else if (e == 1) want = (c ? (double)c - 0.6 : 0.0) / (double)ch + 0.6 * (double)n1p / (double)ch * uni[w];
                else want = c ? (double)c / (double)ch : 0.25 * uni[w];
                const char *hw[1] = {d.words[h]};
                double got = model_prob(m, hw, 1, d.words[w]);
                if (want == 0) CHECK(got < 1e-90); /* stupid backoff: the unseen <unk> */
                else CHECK_REL(got, want, 1e-12); /* the same ratios in double */
                checked++;
            }
        }
        CHECK(checked > 100);
        lmp_train_model_free(m);
    }
}

/* ---- against KenLM -------------------------------------------------------------------- */

/* Compare with an ARPA file written by KenLM's lmplz on the same text. */
static void check_kenlm_arpa(const char *arpa, unsigned order, int fallback, uint64_t prune2)
{
    lmp_train_params p;
    lmp_train_params_init(&p);
    p.order = order;
    p.discount_fallback = fallback;
    for (unsigned i = 1; i < order; i++) p.prune[i] = prune2; /* lmplz --prune 0 prune2 */
    lmp_train_model *m = NULL;
    lmp_error err;
    lmp_status st = lmp_train_model_load("tests/fixtures/train_small.txt", &p, &m, &err);
    CHECK_MSG(st == LMP_OK, "%s", err.msg);
    FILE *f = fopen(arpa, "r");
    CHECK_MSG(f != NULL, "cannot open %s", arpa);
    if (!m || !f) {
        if (f) fclose(f);
        lmp_train_model_free(m);
        return;
    }
    lmp_train_info info;
    lmp_train_get_info(m, &info);
    char line[512];
    unsigned n = 0;
    uint64_t seen[LMP_NGRAM_MAX_ORDER + 1] = {0};
    int compared = 0;
    double maxd = 0;
    while (fgets(line, sizeof line, f)) {
        unsigned o;
        unsigned long long cnt;
        if (sscanf(line, "ngram %u=%llu", &o, &cnt) == 2) {
            CHECK_INT(info.counts[o], cnt);
            continue;
        }
        if (sscanf(line, "\\%u-grams:", &o) == 1) {
            n = o;
            continue;
        }
        if (n == 0 || line[0] == '\n' || line[0] == '\\') continue;
        line[strcspn(line, "\n")] = '\0';
        char *prob = strtok(line, "\t"), *words = strtok(NULL, "\t"), *bo = strtok(NULL, "\t");
        const char *w[LMP_NGRAM_MAX_ORDER];
        size_t k = 0;
        for (char *t = strtok(words, " "); t && k < LMP_NGRAM_MAX_ORDER; t = strtok(NULL, " ")) w[k++] = t;
        double lp, lb;
        CHECK_MSG(lmp_train_lookup(m, w, k, &lp, &lb) == 0, "%s: missing n-gram ending '%s'", arpa, w[k - 1]);
        seen[n]++;
        double want_p = atof(prob), want_b = bo ? atof(bo) : 0.0;
        if (n == 1 && strcmp(w[0], "<s>") == 0) {
            CHECK_ABS(lp, -99.0, 0); /* lmplz writes 0: never predicted either way */
        } else {
            /* lmplz computes in float and prints ~8 digits: 1e-6 is a few float ulps of log10 values ~1. */
            CHECK_ABS(lp, want_p, 1e-6);
            if (fabs(lp - want_p) > maxd) maxd = fabs(lp - want_p);
        }
        CHECK_ABS(lb, want_b, 1e-6);
        compared++;
    }
    fclose(f);
    for (unsigned o = 1; o <= order; o++) CHECK_INT(seen[o], info.counts[o]);
    CHECK(compared > 50);
    lmp_train_model_free(m);
}

static void test_mkn_matches_kenlm(void) { check_kenlm_arpa("tests/fixtures/train_small.kenlm3.arpa", 3, 0, 0); }
static void test_mkn_fallback_matches_kenlm(void) { check_kenlm_arpa("tests/fixtures/train_small.kenlm2fb.arpa", 2, 1, 0); }
static void test_mkn_pruned_matches_kenlm(void) { check_kenlm_arpa("tests/fixtures/train_small.kenlm3p01.arpa", 3, 0, 1); }

static void test_prune_params(void)
{
    lmp_train_params p;
    lmp_train_params_init(&p);
    lmp_status st;
    lmp_error err;
    p.prune[0] = 1;
    CHECK(train_mem("a b\n", &p, &st, &err) == NULL);
    CHECK_INT(st, LMP_EUNSUPPORTED);
    CHECK(strstr(err.msg, "unigrams") != NULL);
    p.prune[0] = 0;
    p.prune[1] = 2;
    p.prune[2] = 1;
    CHECK(train_mem("a b\n", &p, &st, &err) == NULL);
    CHECK_INT(st, LMP_EINVAL);
    CHECK(strstr(err.msg, "non-decreasing") != NULL);
    /* Count pruning works with every estimator now (SRILM's -gtNmin); bad
     * estimator parameters are named. */
    p.prune[2] = 2;
    p.estimator = LMP_EST_ADDK;
    lmp_train_model *m = train_mem("a b\n", &p, &st, &err);
    CHECK_MSG(st == LMP_OK, "%s", err.msg);
    lmp_train_model_free(m);
    memset(p.prune, 0, sizeof p.prune);
    p.estimator = LMP_EST_STUPID;
    p.alpha = 1.5;
    CHECK(train_mem("a b\n", &p, &st, &err) == NULL);
    CHECK_INT(st, LMP_EINVAL);
    CHECK(strstr(err.msg, "alpha = 1.5") != NULL);
    p.estimator = LMP_EST_ABS;
    p.discount = -0.5;
    CHECK(train_mem("a b\n", &p, &st, &err) == NULL);
    CHECK_INT(st, LMP_EINVAL);
    CHECK(strstr(err.msg, "discount = -0.5") != NULL);
    p.discount = 0;
    p.estimator = LMP_EST_KATZ;
    p.nltk_conventions = 1;
    CHECK(train_mem("a b\n", &p, &st, &err) == NULL);
    CHECK_INT(st, LMP_EINVAL);
    CHECK(strstr(err.msg, "NLTK") != NULL);
    p.nltk_conventions = 0;
    p.gt_max[1] = LMP_TRAIN_GT_MAX + 1;
    CHECK(train_mem("a b\n", &p, &st, &err) == NULL);
    CHECK_INT(st, LMP_EINVAL);
}

/* A temporary file holding s; its name into path (a "/tmp/lmprob-test-...-XXXXXX" template). 0 on success. */
static int temp_text(char *path, const char *s)
{
    int fd = mkstemp(path);
    if (fd < 0) return -1;
    size_t n = strlen(s);
    int ok = write(fd, s, n) == (ssize_t)n;
    close(fd);
    return ok ? 0 : -1;
}

/* Several files as one text: the model of their concatenation, each file's lines its own (a last line
 * without a newline too); no file, NULL or '-' refused. */
static void test_load_files(void)
{
    char a[] = "/tmp/lmprob-test-files-XXXXXX", b[] = "/tmp/lmprob-test-files-XXXXXX",
         all[] = "/tmp/lmprob-test-files-XXXXXX";
    CHECK(temp_text(a, "a b c\nb c d\nc a") == 0);
    CHECK(temp_text(b, "a c d e\nd d a\n") == 0);
    CHECK(temp_text(all, "a b c\nb c d\nc a\na c d e\nd d a\n") == 0);
    lmp_train_params p;
    lmp_train_params_init(&p);
    p.order = 3;
    p.estimator = LMP_EST_WB;
    lmp_train_model *m1 = NULL, *m2 = NULL;
    lmp_error err;
    const char *const two[] = {a, b};
    CHECK_INT(lmp_train_model_load_files(two, 2, &p, &m1, &err), LMP_OK);
    CHECK_INT(lmp_train_model_load(all, &p, &m2, &err), LMP_OK);
    if (m1 && m2) {
        lmp_train_info i1, i2;
        lmp_train_get_info(m1, &i1);
        lmp_train_get_info(m2, &i2);
        CHECK_INT(i1.sentences, 5);
        CHECK_INT(i1.tokens, i2.tokens);
        for (unsigned n = 1; n <= 3; n++) CHECK_INT(i1.counts[n], i2.counts[n]);
        const char *w[3] = {"c", "a", "a"}; /* "c a" ends file a's last line: then </s>, not file b's "a" */
        double l1 = 0, b1 = 0, l2 = 0, b2 = 0;
        CHECK_INT(lmp_train_lookup(m1, w, 2, &l1, &b1), lmp_train_lookup(m2, w, 2, &l2, &b2));
        CHECK(l1 == l2 && b1 == b2);
        CHECK(lmp_train_lookup(m1, w, 3, &l1, &b1) != 0); /* "c a a" is in neither */
    }
    lmp_train_model_free(m1);
    lmp_train_model_free(m2);
    m1 = NULL;
    CHECK_INT(lmp_train_model_load_files(two, 0, &p, &m1, &err), LMP_EINVAL);
    CHECK_INT(lmp_train_model_load_files(NULL, 1, &p, &m1, &err), LMP_EINVAL);
    const char *const dash[] = {a, "-"};
    CHECK_INT(lmp_train_model_load_files(dash, 2, &p, &m1, &err), LMP_EINVAL);
    CHECK_MSG(strstr(err.msg, "file 2 of 2 is '-'") != NULL, "%s", err.msg);
    CHECK(m1 == NULL);
    unlink(a);
    unlink(b);
    unlink(all);
}

/* The one table of the estimators' names: each name parses to its estimator and back; the other spellings
 * parse; anything else is refused naming the list (the CLI, Python and the models' records use these). */
static void test_estimator_names(void)
{
    static const char *const names[] = {"mkn", "kn", "addk", "mle", "wb", "katz", "abs", "stupid"};
    const lmp_estimator want[] = {LMP_EST_MKN, LMP_EST_KN,   LMP_EST_ADDK, LMP_EST_MLE,
                                  LMP_EST_WB,  LMP_EST_KATZ, LMP_EST_ABS,  LMP_EST_STUPID};
    lmp_error err;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        lmp_estimator e = (lmp_estimator)-1;
        CHECK_INT(lmp_train_estimator_parse(names[i], &e, &err), LMP_OK);
        CHECK_INT(e, want[i]);
        CHECK_MSG(strcmp(lmp_train_estimator_name(want[i]), names[i]) == 0, "%s", names[i]);
        CHECK_MSG(strstr(LMP_TRAIN_ESTIMATORS, names[i]) != NULL, "%s not in the list", names[i]);
    }
    static const char *const other[] = {"add-k", "laplace", "witten-bell", "gt", "absolute"};
    const lmp_estimator other_e[] = {LMP_EST_ADDK, LMP_EST_ADDK, LMP_EST_WB, LMP_EST_KATZ, LMP_EST_ABS};
    for (size_t i = 0; i < sizeof other / sizeof other[0]; i++) {
        lmp_estimator e = (lmp_estimator)-1;
        CHECK_INT(lmp_train_estimator_parse(other[i], &e, &err), LMP_OK);
        CHECK_INT(e, other_e[i]);
    }
    lmp_estimator e = LMP_EST_WB;
    CHECK_INT(lmp_train_estimator_parse("MKN", &e, &err), LMP_EINVAL);
    CHECK_MSG(strstr(err.msg, "estimator 'MKN': expected " LMP_TRAIN_ESTIMATORS) != NULL, "%s", err.msg);
    CHECK_INT(e, LMP_EST_WB);
    CHECK_INT(lmp_train_estimator_parse(NULL, &e, NULL), LMP_EINVAL);
    CHECK(strcmp(lmp_train_estimator_name((lmp_estimator)99), "?") == 0);
}

static void test_discount_errors(void)
{
    /* On this fixture lmplz -o 2 stops: "2-gram discount out of range for adjusted count 3". */
    lmp_train_params p;
    lmp_train_params_init(&p);
    p.order = 2;
    lmp_train_model *m = NULL;
    lmp_error err;
    CHECK_INT(lmp_train_model_load("tests/fixtures/train_small.txt", &p, &m, &err), LMP_EDOM);
    CHECK(m == NULL);
    CHECK_MSG(strstr(err.msg, "D3 = ") && strstr(err.msg, "2-grams") && strstr(err.msg, "--discount-fallback"), "msg: %s", err.msg);
    /* One sentence: no count of 2 at all. */
    lmp_status st;
    p.order = 3;
    m = train_mem("just one sentence here\n", &p, &st, &err);
    CHECK_INT(st, LMP_EDOM);
    CHECK(strstr(err.msg, "adjusted count 2") != NULL);
    CHECK(strstr(err.msg, "--discount-fallback") != NULL);
    /* The same with fallback trains. */
    p.discount_fallback = 1;
    m = train_mem("just one sentence here\n", &p, &st, &err);
    CHECK_INT(st, LMP_OK);
    lmp_train_info info;
    if (m) {
        lmp_train_get_info(m, &info);
        CHECK_INT(info.fallback_used[1], 1);
        CHECK_ABS(info.discount[2][3], 1.5, 0);
    }
    lmp_train_model_free(m);
}

static void test_input_errors(void)
{
    lmp_train_params p;
    lmp_train_params_init(&p);
    lmp_status st;
    lmp_error err;
    p.estimator = LMP_EST_MLE;
    CHECK(train_mem("", &p, &st, &err) == NULL);
    CHECK_INT(st, LMP_EFORMAT);
    CHECK(strstr(err.msg, "empty corpus") != NULL);
    p.order = LMP_NGRAM_MAX_ORDER + 1;
    CHECK(train_mem("a b\n", &p, &st, &err) == NULL);
    CHECK_INT(st, LMP_EUNSUPPORTED);
    p.order = 0;
    CHECK(train_mem("a b\n", &p, &st, &err) == NULL);
    CHECK_INT(st, LMP_EINVAL);
    p.order = 2;
    CHECK(train_mem("a b\nc \xFF d\n", &p, &st, &err) == NULL);
    CHECK_INT(st, LMP_EFORMAT);
    CHECK_INT(err.line, 2);
    CHECK_INT(err.col, 3);
    CHECK(train_mem("a </s> b\n", &p, &st, &err) == NULL);
    CHECK_INT(st, LMP_EFORMAT);
    p.estimator = LMP_EST_ADDK;
    p.k = 0;
    CHECK(train_mem("a b\n", &p, &st, &err) == NULL);
    CHECK_INT(st, LMP_EINVAL);
    CHECK(strstr(err.msg, "k = 0") != NULL);
}

/* ---- spilling, threads, orders ------------------------------------------------------ */

static char *synthetic_corpus(int sentences, uint64_t seed)
{
    size_t cap = (size_t)sentences * 120 + 1, k = 0;
    char *s = malloc(cap);
    if (!s) return NULL;
    uint64_t x = seed;
    for (int i = 0; i < sentences; i++) {
        int len = 1 + (int)((x >> 33) % 12);
        for (int j = 0; j < len; j++) {
            x = x * 6364136223846793005ull + 1442695040888963407ull;
            /* Zipf-like: small ids much more often */
            unsigned r = (unsigned)(x >> 40) % 1000;
            unsigned w = (r * r) / 2500;
            k += (size_t)snprintf(s + k, cap - k, j ? " w%u" : "w%u", w);
        }
        s[k++] = '\n';
        x = x * 6364136223846793005ull + 1442695040888963407ull;
    }
    s[k] = '\0';
    return s;
}

static int same_models(const lmp_train_model *a, const lmp_train_model *b, const char *text, unsigned order)
{
    /* Every n-gram of the text (all orders) looks up to bitwise-equal numbers. */
    lmp_train_info ia, ib;
    lmp_train_get_info(a, &ia);
    lmp_train_get_info(b, &ib);
    for (unsigned n = 1; n <= order; n++)
        if (ia.counts[n] != ib.counts[n]) return 0;
    char buf[256];
    const char *p = text;
    int checked = 0;
    while (*p) {
        const char *e = strchr(p, '\n');
        size_t L = (size_t)(e - p);
        if (L >= sizeof buf) L = sizeof buf - 1;
        memcpy(buf, p, L);
        buf[L] = '\0';
        p = e + 1;
        const char *w[64];
        size_t nw = 0;
        w[nw++] = "<s>";
        for (char *t = strtok(buf, " "); t && nw < 62; t = strtok(NULL, " ")) w[nw++] = t;
        w[nw++] = "</s>";
        for (size_t end = 1; end <= nw; end++)
            for (unsigned n = 1; n <= order && n <= end; n++) {
                double pa, ba, pb, bb;
                int fa = lmp_train_lookup(a, w + end - n, n, &pa, &ba);
                int fb = lmp_train_lookup(b, w + end - n, n, &pb, &bb);
                if (fa != fb || (fa == 0 && (pa != pb || ba != bb))) return 0;
                checked++;
            }
    }
    return checked > 1000;
}

static void test_spill_gives_identical_model(void)
{
    char *text = synthetic_corpus(12000, 7); /* > 2 x 32 runs: the in-thread merges run too */
    CHECK(text != NULL);
    if (!text) return;
    lmp_train_params p;
    lmp_train_params_init(&p);
    p.order = 4;
    p.discount_fallback = 1; /* synthetic text: do not depend on the discounts being estimable */
    lmp_status st;
    lmp_error err;
    lmp_train_model *big = train_mem(text, &p, &st, &err);
    CHECK_MSG(st == LMP_OK, "%s", err.msg);
    p.count_tables = 65536; /* ~680 records a chunk: dozens of runs */
    lmp_train_model *small = train_mem(text, &p, &st, &err);
    CHECK_MSG(st == LMP_OK, "%s", err.msg);
    p.count_tables = 0;
    p.threads = 1;
    lmp_train_model *one = train_mem(text, &p, &st, &err);
    CHECK_MSG(st == LMP_OK, "%s", err.msg);
    if (big && small && one) {
        lmp_train_info i1, i2;
        lmp_train_get_info(big, &i1);
        lmp_train_get_info(small, &i2);
        CHECK_INT(i1.spilled_runs, 0);
        CHECK(i2.spilled_runs >= 2 * 32);
        CHECK(same_models(big, small, text, 4));
        CHECK(same_models(big, one, text, 4));
    }
    lmp_train_model_free(big);
    lmp_train_model_free(small);
    lmp_train_model_free(one);
    free(text);
}

static void test_all_orders(void)
{
    /* Orders 1..max train, and the n-grams of order n are the same set whatever
     * the model order (the count of n-grams of order n in the order-n model). */
    char *text = synthetic_corpus(600, 11);
    CHECK(text != NULL);
    if (!text) return;
    uint64_t own[LMP_NGRAM_MAX_ORDER + 1] = {0};
    for (unsigned o = 1; o <= LMP_NGRAM_MAX_ORDER; o++) {
        lmp_train_params p;
        lmp_train_params_init(&p);
        p.order = o;
        p.discount_fallback = 1;
        lmp_status st;
        lmp_error err;
        lmp_train_model *m = train_mem(text, &p, &st, &err);
        CHECK_MSG(st == LMP_OK, "order %u: %s", o, err.msg);
        if (!m) continue;
        lmp_train_info info;
        lmp_train_get_info(m, &info);
        own[o] = info.counts[o];
        for (unsigned n = 1; n < o; n++) CHECK_INT(info.counts[n], own[n]);
        CHECK(info.counts[o] > 0);
        lmp_train_model_free(m);
    }
    free(text);
}

static void test_vocab_limits(void)
{
    /* Counts: a 4, b 3, c 2, d 1. */
    const char *text = "a b c d\na b c\na b\na\n";
    lmp_train_params p;
    lmp_train_params_init(&p);
    p.order = 2;
    p.estimator = LMP_EST_MLE;
    p.min_count = 2;
    lmp_status st;
    lmp_error err;
    lmp_train_model *m = train_mem(text, &p, &st, &err);
    CHECK_MSG(st == LMP_OK, "%s", err.msg);
    const char *d[1] = {"d"}, *unk[1] = {"<unk>"}, *cu[2] = {"c", "<unk>"};
    double lp;
    if (m) {
        CHECK_INT(lmp_train_lookup(m, d, 1, &lp, NULL), -1);
        CHECK_INT(lmp_train_lookup(m, unk, 1, &lp, NULL), 0);
        CHECK_ABS(lp, log10(1.0 / 14.0), 1e-12); /* 10 words + 4 </s> */
        CHECK_INT(lmp_train_lookup(m, cu, 2, &lp, NULL), 0);
        CHECK_ABS(lp, log10(1.0 / 2.0), 1e-12);
    }
    lmp_train_model_free(m);
    p.min_count = 0;
    p.vocab_size = 2;
    m = train_mem(text, &p, &st, &err);
    if (m) {
        lmp_train_info info;
        lmp_train_get_info(m, &info);
        CHECK_INT(info.vocab, 5); /* <unk> <s> </s> a b */
    }
    lmp_train_model_free(m);
    /* A vocabulary file: listed words only; a listed word the text lacks gets count 0. */
    char path[] = "/tmp/lmprob-test-vocab-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd < 0) return;
    CHECK(write(fd, "b zebra\nc\n", 10) == 10);
    close(fd);
    p.vocab_size = 0;
    p.vocab_file = path;
    p.estimator = LMP_EST_ADDK;
    p.k = 1;
    m = train_mem(text, &p, &st, &err);
    CHECK_MSG(st == LMP_OK, "%s", err.msg);
    unlink(path);
    if (m) {
        const char *z[1] = {"zebra"}, *a[1] = {"a"};
        lmp_train_info info;
        lmp_train_get_info(m, &info);
        CHECK_INT(info.vocab, 6);
        CHECK_INT(lmp_train_lookup(m, a, 1, &lp, NULL), -1);
        CHECK_INT(lmp_train_lookup(m, z, 1, &lp, NULL), 0);
        CHECK_ABS(lp, log10(1.0 / (14.0 + 5.0)), 1e-12); /* (0 + 1) / (T + kV), V = 5 */
    }
    lmp_train_model_free(m);
}

static void test_char_mode(void)
{
    lmp_train_params p;
    lmp_train_params_init(&p);
    p.order = 2;
    p.estimator = LMP_EST_MLE;
    p.corpus.mode = LMP_CORPUS_CHAR;
    lmp_status st;
    lmp_error err;
    lmp_train_model *m = train_mem("ab a\n", &p, &st, &err);
    CHECK_MSG(st == LMP_OK, "%s", err.msg);
    if (!m) return;
    const char *g[2] = {"a", "<sp>"}, *h[2] = {"b", "<sp>"};
    double lp;
    CHECK_INT(lmp_train_lookup(m, g, 2, &lp, NULL), -1);
    CHECK_INT(lmp_train_lookup(m, h, 2, &lp, NULL), 0);
    CHECK_ABS(lp, 0.0, 1e-15);
    lmp_train_model_free(m);
}

static void test_write_arpa(void)
{
    lmp_train_params p;
    lmp_train_params_init(&p);
    p.order = 3;
    lmp_train_model *m = NULL;
    lmp_error err;
    CHECK_INT(lmp_train_model_load("tests/fixtures/train_small.txt", &p, &m, &err), LMP_OK);
    if (!m) return;
    char path[] = "/tmp/lmprob-test-arpa-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd >= 0) close(fd);
    CHECK_INT(lmp_train_write_arpa(m, path, &err), LMP_OK);
    FILE *f = fopen(path, "r");
    CHECK(f != NULL);
    if (f) {
        char line[256];
        int lines = 0, header = 0, meta = 0;
        while (fgets(line, sizeof line, f)) {
            unsigned o;
            unsigned long long c;
            if (sscanf(line, "ngram %u=%llu", &o, &c) == 2) header += (int)c;
            meta += strcmp(line, "# lmprob tokens: word\n") == 0 || strcmp(line, "# lmprob vocab: all\n") == 0 ||
                    strcmp(line, "# lmprob estimator: mkn\n") == 0;
            lines++;
        }
        fclose(f);
        CHECK_INT(header, 16 + 38 + 56);
        CHECK_INT(meta, 3);
        /* 3 metadata lines and a blank one, \data\ and 3 counts, the sections, \end\ */
        CHECK_INT(lines, 3 + 1 + 1 + 3 + (1 + 1 + 16) + (1 + 1 + 38) + (1 + 1 + 56) + 1 + 1);
    }
    unlink(path);
    CHECK_INT(lmp_train_write_arpa(m, "/nonexistent-dir/x.arpa", &err), LMP_EIO);
    lmp_train_model_free(m);
}

/* The ARPA file written from n-grams that arrive window by window (lmprob-mpi's
 * ranks, train_write_arpa_pulled) is the file lmp_train_write_arpa writes: here
 * the n-grams come from the model itself, in train_written_order's order, in
 * pulls of the writer's windows (PTB valid, order 4: 2-4 windows an order). */
typedef struct pull_src {
    const lmp_train_model *m;
    uint32_t *perm[LMP_NGRAM_MAX_ORDER + 1];
    uint64_t at[LMP_NGRAM_MAX_ORDER + 1];
    uint64_t pulls;
} pull_src;

static lmp_status pull_model(void *arg, unsigned n, uint64_t count, lmp_token_id *w, float *lp, float *lb,
                             lmp_error *err)
{
    pull_src *ps = arg;
    const train_order *o = &ps->m->o[n];
    if (ps->at[n] + count > o->m) return lmp_error_set(err, LMP_EINVAL, "pulled past the end");
    for (uint64_t k = 0; k < count; k++) {
        uint32_t i = ps->perm[n][ps->at[n] + k];
        memcpy(w + k * n, o->w + (uint64_t)i * n, n * sizeof *w);
        lp[k] = (float)o->lp[i];
        if (lb) lb[k] = (float)o->lb[i];
    }
    ps->at[n] += count;
    ps->pulls++;
    return LMP_OK;
}

static int same_file(const char *a, const char *b)
{
    FILE *f = fopen(a, "rb"), *g = fopen(b, "rb");
    int same = f && g, x, y;
    while (same && (x = getc(f)) == (y = getc(g)) && x != EOF) {}
    if (same) same = x == y;
    if (f) fclose(f);
    if (g) fclose(g);
    return same;
}

/* Two counting threads freeing large tables at once both call malloc_trim
 * (tb_free). Where malloc is not glibc's (AddressSanitizer's), the first
 * malloc_trim initialises glibc's allocator, unguarded, and two at once
 * crashed in that (SEGV in mtrim, one ASan training in ~500). Each child
 * process here starts two threads freeing at the same moment from that fresh
 * state; this test runs first, before anything in this process trims. */
typedef struct trim_arg {
    train_budget *b;
    void *p;
    atomic_int *go;
} trim_arg;

static void *trim_one(void *arg)
{
    trim_arg *t = arg;
    while (!atomic_load(t->go)) {
    }
    tb_free(t->b, t->p);
    return NULL;
}

static void test_budget_trim_race(void)
{
    const int children = test_scaled(64, 16);
    int failed = 0;
    for (int i = 0; i < children; i++) {
        fflush(NULL);
        pid_t pid = fork();
        if (pid < 0) {
            CHECK_MSG(0, "fork failed");
            return;
        }
        if (pid == 0) {
            train_budget b;
            lmp_error err;
            tb_init(&b, 0);
            atomic_int go = 0;
            trim_arg a[2];
            pthread_t th[2];
            for (int t = 0; t < 2; t++) {
                a[t] = (trim_arg){&b, tb_array(&b, (uint64_t)8 << 20, 1, 0, "a table", &err), &go};
                if (!a[t].p || pthread_create(&th[t], NULL, trim_one, &a[t])) _exit(2);
            }
            atomic_store(&go, 1);
            for (int t = 0; t < 2; t++) pthread_join(th[t], NULL);
            _exit(b.used == 0 ? 0 : 3);
        }
        int status = 0;
        if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) failed++;
    }
    CHECK_MSG(failed == 0, "%d of %d processes freeing two large tables at once failed", failed, children);
}

static void test_write_arpa_pulled(void)
{
    lmp_train_params p;
    lmp_train_params_init(&p);
    p.order = 4;
    p.prune[3] = 1; /* a pruned order keeps its n-grams' contexts */
    lmp_train_model *m = NULL;
    lmp_error err;
    CHECK_INT(lmp_train_model_load("../shared/data/ptb/ptb.valid.txt", &p, &m, &err), LMP_OK);
    if (!m) return;
    char ref[] = "/tmp/lmprob-test-pull-XXXXXX", out[] = "/tmp/lmprob-test-pull-XXXXXX";
    int fd = mkstemp(ref), fd2 = mkstemp(out);
    CHECK(fd >= 0 && fd2 >= 0);
    if (fd >= 0) close(fd);
    if (fd2 >= 0) close(fd2);
    CHECK_INT(lmp_train_write_arpa(m, ref, &err), LMP_OK);
    pull_src ps;
    memset(&ps, 0, sizeof ps);
    ps.m = m;
    uint64_t most = 0;
    for (unsigned n = 2; n <= 4; n++) {
        CHECK_INT(train_written_order(&m->o[n], (uint32_t)m->o[1].m, &ps.perm[n], &err), LMP_OK);
        most = m->o[n].m > most ? m->o[n].m : most;
    }
    CHECK(most > NG_ARPA_WINDOW); /* more than one window */
    CHECK_INT(train_write_arpa_pulled(m, out, pull_model, &ps, &err), LMP_OK);
    CHECK(same_file(ref, out));
    uint64_t windows = 0;
    for (unsigned n = 2; n <= 4; n++) {
        CHECK(ps.at[n] == m->o[n].m);
        windows += (m->o[n].m + NG_ARPA_WINDOW - 1) / NG_ARPA_WINDOW;
    }
    CHECK(ps.pulls == windows);
    /* a source that fails: the error comes back and nothing is left at the path */
    unlink(out);
    memset(ps.at, 0, sizeof ps.at);
    ps.at[3] = m->o[3].m; /* order 3 "pulled past the end" */
    CHECK_INT(train_write_arpa_pulled(m, out, pull_model, &ps, &err), LMP_EINVAL);
    CHECK(access(out, F_OK) != 0);
    for (unsigned n = 2; n <= 4; n++) free(ps.perm[n]);
    unlink(ref);
    lmp_train_model_free(m);
}

int main(int argc, char **argv)
{
    test_chdir_root(argv[0]);
    (void)argc;
    RUN(test_budget_trim_race); /* first: before this process trims */
    RUN(test_mle_direct_count);
    RUN(test_laplace_direct_count);
    RUN(test_addk_direct_count);
    RUN(test_normalised_addk);
    RUN(test_normalised_mkn);
    RUN(test_normalised_kn);
    RUN(test_normalised_wb);
    RUN(test_normalised_abs);
    RUN(test_normalised_katz);
    RUN(test_normalised_pruned);
    RUN(test_katz_direct);
    RUN(test_wb_abs_stupid_direct);
    RUN(test_mkn_matches_kenlm);
    RUN(test_mkn_fallback_matches_kenlm);
    RUN(test_mkn_pruned_matches_kenlm);
    RUN(test_prune_params);
    RUN(test_estimator_names);
    RUN(test_load_files);
    RUN(test_discount_errors);
    RUN(test_input_errors);
    RUN(test_spill_gives_identical_model);
    RUN(test_all_orders);
    RUN(test_vocab_limits);
    RUN(test_char_mode);
    RUN(test_write_arpa);
    RUN(test_write_arpa_pulled);
    return TEST_SUMMARY();
}
