/* The sampler chain (see include/lmprob/sample.h).
 *
 * Data model: the survivors live in three parallel arrays id[], lg[] (logits
 * after penalties/temperature) and p[] (probabilities, recomputed by a filter
 * that needs them), always in ascending id order: every filter computes a
 * threshold and then compacts the arrays in one stable pass. Keeping id order
 * is what makes the final draw equal to numpy's choice over the full vocabulary
 * (zero-probability tokens do not move the cdf) and makes the kept set cheap
 * to report.
 *
 * Cut-offs without a full sort:
 *  - k-th value (top-k, min_keep): a stride sample of 2048 logits gives a
 *    threshold that, with high probability, at least k logits pass; the
 *    survivors of one compare-and-gather pass go to quickselect. If fewer than k
 *    pass, quickselect runs on all n (still O(n) expected).
 *  - top-p / typical: one pass builds a 4096-bucket histogram of the ranking
 *    key (-logit, or |-log p - H|) weighted by probability; walking the buckets
 *    finds the bucket where the cumulative mass crosses the target; only that
 *    bucket's members are sorted. Below LMP_SAMPLE_EXACT_MAX candidates the
 *    whole set is sorted and summed sequentially (the literal algorithm).
 * Shortcuts for float32 input (lmp_sampler_apply_f32), each equal to the general
 * path on the same values (tests/test_sample.c compares them):
 *  - top-k, top-p or min-p as the first truncation: gather the positions above
 *    a threshold (sampled; from a sampled mass histogram checked by the
 *    gather's mass; the min-p line of the running maximum) minus a margin
 *    straight from the input, convert only those (topk_first, topp_first,
 *    minp_first). Top-k and min-p need one streaming pass over the input
 *    (validate + maximum + compare, lmp_sample_fgather) and no exponential
 *    outside the kept set;
 *  - temperature only, V > 4096: two passes (validate + max, exp + block sums
 *    + copy of the logits), the draw recomputes one block, the kept set is
 *    formed on demand (lazy).
 * Everything a call needs was allocated by lmp_sampler_create. */
#include "lmprob/sample.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sample_internal.h"

#define NBUCKETS 4096
#define SAMPLE_SIZE 2048
#define TIES_ALL ((size_t)-1)

struct lmp_sampler {
    lmp_sampler_params prm;
    size_t cap;      /* max vocabulary */
    size_t n;        /* survivors */
    int applied;
    int f32;         /* round to float after every operation */
    int ident;       /* id[i] == i for the survivors (no compaction yet): id[] not filled */
    int temp_done;   /* temperature was fused into the load */
    int max_ok;      /* lgmax is the maximum of lg[0..n) */
    /* lazy full-vocabulary path (temperature-only chain on float32 logits, V > 4096):
     * the logits are copied to work[] (as floats), key[] holds block sums of the
     * exps, and id/lg/p are filled only if lmp_sampler_kept asks for them. */
    int lazy, materialized;
    int topk_done;   /* the top-k step already ran (gathered straight from the input) */
    int topp_done;   /* likewise the top-p step */
    int minp_done;   /* likewise the min-p step */
    int force_bucket; /* mass_cut: use the bucketed rule whatever n (a gathered subset) */
    int p_exps;       /* p[] holds exp(lg - lgmax) of the survivors, not yet normalised (top-p fast path) */
    /* lazy top-p (the top-p route when nothing follows it): the kept set is the
     * gathered tokens (ids in id[], float logits and exps in work[]) with
     * l = x / tp_tf > tp_lthr, and of the ties l == tp_lthr the ordinals
     * [tp_lo, tp_hi); the draw reads them in place; kept() forms the arrays */
    int tp_lazy, tp_formed;
    size_t tp_n, tp_lo, tp_hi;
    float tp_tf, tp_lthr;
    double tp_iz;      /* 1 / the float32 normaliser over all V */
    double tp_mass;    /* the kept mass: sum of (float)(e * tp_iz) over the kept */
    int32_t *tp_kid;   /* the formed ids (in ord[], the gathered ids stay in id[]) */
    double cut_mass;   /* cut_finish: the cumulative mass through the last kept rank */
    int lg_pending;   /* lg[] not formed yet: the survivors' float32 logits are in work[] (as floats), to be
                         divided by lg_tf (top-p fast path; lg_ready forms lg when a step or kept() needs it) */
    float lg_tf;
    size_t cut_ties;  /* mass_cut: how many keys equal the cut key (TIES_ALL: unknown) */
    double lz_total;
    float lz_tf; /* the float temperature of the lazy path (1: none) */
    float lz_m;
    double lgmax;
    int32_t *iota;   /* [cap] 0, 1, 2, ... (the ids while ident) */
    int32_t *id;     /* [cap] */
    double *lg;      /* [cap] */
    double *p;       /* [cap] */
    double *key;     /* [cap] ranking keys */
    double *work;    /* [cap] selection scratch */
    size_t *ord;     /* [cap] positions (sorting scratch) */
    unsigned char *flag; /* [cap] keep flags for the literal paths */
    uint32_t *cnt;   /* [cap] penalty counts; all zero between calls */
    double bmass[NBUCKETS];
    size_t bcnt[NBUCKETS];
};

static inline double R(int f32, double x) { return f32 ? (double)(float)x : x; }

/* Form lg[] when the top-p fast path left it pending. */
static void lg_ready(lmp_sampler *s)
{
    if (!s->lg_pending) return;
    lmp_sample_logits_widen((const float *)(const void *)s->work, s->n, s->lg_tf, s->lg);
    s->lg_pending = 0;
}

/* ---- parameters ---------------------------------------------------------------- */

lmp_sampler_params lmp_sampler_params_default(void)
{
    lmp_sampler_params p = {
        .conv = LMP_CONV_HF,
        .dtype = LMP_DTYPE_F64,
        .temperature = 1.0,
        .top_k = 0,
        .top_p = 1.0,
        .min_p = 0.0,
        .typical_p = 1.0,
        .epsilon = 0.0,
        .repetition_penalty = 1.0,
        .frequency_penalty = 0.0,
        .presence_penalty = 0.0,
        .penalty_last_n = 0,
        .min_keep = 1,
    };
    return p;
}

lmp_status lmp_sampler_params_check(const lmp_sampler_params *p, lmp_error *err)
{
    if (!p) return lmp_error_set(err, LMP_EINVAL, "sampler params: expected a pointer, got NULL");
    if (p->conv != LMP_CONV_HF && p->conv != LMP_CONV_LLAMA)
        return lmp_error_set(err, LMP_EINVAL, "convention = %d: expected LMP_CONV_HF or LMP_CONV_LLAMA", (int)p->conv);
    if (p->dtype != LMP_DTYPE_F64 && p->dtype != LMP_DTYPE_F32)
        return lmp_error_set(err, LMP_EINVAL, "dtype = %d: expected LMP_DTYPE_F64 or LMP_DTYPE_F32", (int)p->dtype);
    if (!(p->temperature >= 0) || isinf(p->temperature))
        return lmp_error_set(err, LMP_EINVAL, "temperature = %g: expected T >= 0 (0 is greedy)", p->temperature);
    if (p->top_k < 0) return lmp_error_set(err, LMP_EINVAL, "top_k = %ld: expected k >= 0 (0 is off)", p->top_k);
    if (!(p->top_p >= 0 && p->top_p <= 1))
        return lmp_error_set(err, LMP_EINVAL, "top_p = %g: expected p in [0, 1] (1 is off)", p->top_p);
    if (!(p->min_p >= 0 && p->min_p <= 1))
        return lmp_error_set(err, LMP_EINVAL, "min_p = %g: expected a value in [0, 1] (0 is off)", p->min_p);
    if (!(p->typical_p > 0 && p->typical_p <= 1))
        return lmp_error_set(err, LMP_EINVAL, "typical_p = %g: expected a mass in (0, 1] (1 is off)", p->typical_p);
    if (!(p->epsilon >= 0 && p->epsilon < 1))
        return lmp_error_set(err, LMP_EINVAL, "epsilon = %g: expected a value in [0, 1) (0 is off)", p->epsilon);
    if (!(p->repetition_penalty > 0) || isinf(p->repetition_penalty))
        return lmp_error_set(err, LMP_EINVAL, "repetition_penalty = %g: expected a finite penalty > 0 (1 is off)",
                             p->repetition_penalty);
    if (!isfinite(p->frequency_penalty))
        return lmp_error_set(err, LMP_EINVAL, "frequency_penalty = %g: expected a finite number",
                             p->frequency_penalty);
    if (!isfinite(p->presence_penalty))
        return lmp_error_set(err, LMP_EINVAL, "presence_penalty = %g: expected a finite number", p->presence_penalty);
    return LMP_OK;
}

/* ---- lifetime ------------------------------------------------------------------ */

lmp_status lmp_sampler_create(const lmp_sampler_params *prm, size_t max_vocab, lmp_sampler **out, lmp_error *err)
{
    *out = NULL;
    lmp_status st = lmp_sampler_params_check(prm, err);
    if (st) return st;
    if (max_vocab == 0 || max_vocab > (size_t)INT32_MAX)
        return lmp_error_set(err, LMP_EINVAL, "max_vocab = %zu: expected 1 .. %d", max_vocab, INT32_MAX);
    lmp_sampler *s = calloc(1, sizeof *s);
    if (!s) return lmp_error_set(err, LMP_ENOMEM, "sampler: out of memory");
    s->prm = *prm;
    if (s->prm.min_keep == 0) s->prm.min_keep = 1;
    s->cap = max_vocab;
    s->f32 = prm->dtype == LMP_DTYPE_F32;
    s->id = malloc(max_vocab * sizeof *s->id);
    s->iota = malloc(max_vocab * sizeof *s->iota);
    s->lg = malloc(max_vocab * sizeof *s->lg);
    s->p = malloc(max_vocab * sizeof *s->p);
    s->key = malloc(max_vocab * sizeof *s->key);
    s->work = malloc(max_vocab * sizeof *s->work);
    s->ord = malloc(max_vocab * sizeof *s->ord);
    s->flag = malloc(max_vocab);
    s->cnt = calloc(max_vocab, sizeof *s->cnt);
    if (!s->id || !s->iota || !s->lg || !s->p || !s->key || !s->work || !s->ord || !s->flag || !s->cnt) {
        lmp_sampler_free(s);
        return lmp_error_set(err, LMP_ENOMEM, "sampler: out of memory for max_vocab = %zu", max_vocab);
    }
    for (size_t i = 0; i < max_vocab; i++) s->iota[i] = (int32_t)i;
    *out = s;
    return LMP_OK;
}

void lmp_sampler_free(lmp_sampler *s)
{
    if (!s) return;
    free(s->id);
    free(s->iota);
    free(s->lg);
    free(s->p);
    free(s->key);
    free(s->work);
    free(s->ord);
    free(s->flag);
    free(s->cnt);
    free(s);
}

const lmp_sampler_params *lmp_sampler_get_params(const lmp_sampler *s) { return &s->prm; }

/* ---- selection ------------------------------------------------------------------ */

static inline void dswap(double *a, double *b)
{
    double t = *a;
    *a = *b;
    *b = t;
}

/* In-place heapsort of doubles, ascending. glibc's qsort is a merge sort that
 * mallocs its buffer above 1 KB, and a sampler call must not allocate. */
static void heapsort_doubles(double *a, size_t n)
{
    if (n < 2) return;
    for (size_t start = n / 2; start-- > 0;) {
        size_t r = start;
        for (size_t c; (c = 2 * r + 1) < n; r = c) {
            if (c + 1 < n && a[c] < a[c + 1]) c++;
            if (!(a[r] < a[c])) break;
            dswap(&a[r], &a[c]);
        }
    }
    for (size_t end = n - 1; end > 0; end--) {
        dswap(&a[0], &a[end]);
        size_t r = 0;
        for (size_t c; (c = 2 * r + 1) < end; r = c) {
            if (c + 1 < end && a[c] < a[c + 1]) c++;
            if (!(a[r] < a[c])) break;
            dswap(&a[r], &a[c]);
        }
    }
}

/* k-th smallest (1-based) of a[0..n), reordering a. Quickselect with a
 * median-of-three pivot and Hoare partitioning (equal keys split evenly);
 * after 64 rounds it sorts what is left, so the worst case is O(n log n). */
static double select_kth_smallest(double *a, size_t n, size_t k)
{
    ptrdiff_t lo = 0, hi = (ptrdiff_t)n - 1, t = (ptrdiff_t)k - 1;
    for (int round = 0; lo < hi; round++) {
        if (round == 64) {
            heapsort_doubles(a + lo, (size_t)(hi - lo + 1));
            return a[t];
        }
        ptrdiff_t mid = lo + (hi - lo) / 2;
        if (a[mid] < a[lo]) dswap(&a[mid], &a[lo]);
        if (a[hi] < a[lo]) dswap(&a[hi], &a[lo]);
        if (a[hi] < a[mid]) dswap(&a[hi], &a[mid]);
        double pv = a[mid];
        ptrdiff_t i = lo, j = hi;
        while (i <= j) {
            while (a[i] < pv) i++;
            while (a[j] > pv) j--;
            if (i <= j) {
                dswap(&a[i], &a[j]);
                i++;
                j--;
            }
        }
        if (t <= j) hi = j;
        else if (t >= i) lo = i;
        else return a[t]; /* between j and i: equal to the pivot */
    }
    return a[t];
}

/* The k-th smallest of key[0..n) (1 <= k <= n), using s->work. For small k a
 * stride sample gives a threshold and one gather pass keeps what can be in the
 * answer; the result is exact either way. */
static double kth_smallest_key(lmp_sampler *s, const double *key, size_t n, size_t k)
{
    double *w = s->work;
    if (k == 1) {
        double m = key[0];
        for (size_t i = 1; i < n; i++)
            if (key[i] < m) m = key[i];
        return m;
    }
    if (n > 4 * SAMPLE_SIZE && k <= n / 64) {
        size_t stride = n / SAMPLE_SIZE;
        for (size_t j = 0; j < SAMPLE_SIZE; j++) w[j] = key[j * stride];
        /* Expect k * SAMPLE_SIZE / n sample points below the answer; ask for
         * twice that plus 16 so that the gather holds >= k keys with high probability. */
        size_t ks = (2 * k * SAMPLE_SIZE + n - 1) / n + 16;
        if (ks > SAMPLE_SIZE) ks = SAMPLE_SIZE;
        double thr = select_kth_smallest(w, SAMPLE_SIZE, ks);
        size_t m = 0;
        for (size_t i = 0; i < n; i++) {
            double v = key[i];
            if (v <= thr) w[m++] = v;
        }
        if (m >= k) return select_kth_smallest(w, m, k);
    }
    memcpy(w, key, n * sizeof *w);
    return select_kth_smallest(w, n, k);
}

/* Keep the survivors whose key is < tkey, and `rtie` of those equal to tkey:
 * the first rtie in id order when low_first, else the last rtie; TIES_ALL keeps
 * every tie. Stable compaction of id/lg/p. */
/* Keep the survivors whose key is < tkey, and `rtie` of those equal to tkey:
 * the first rtie in id order when low_first, else the last rtie; TIES_ALL keeps
 * every tie. Stable compaction of id/lg/p. ties: how many keys equal tkey
 * (TIES_ALL when unknown: counted here if needed). */
static void compact_by_key_t(lmp_sampler *s, double tkey, size_t rtie, int low_first, size_t ties)
{
    const double *key = s->key;
    size_t n = s->n, lo = 0, hi = SIZE_MAX;
    if (rtie != TIES_ALL && low_first) hi = rtie;
    if (rtie != TIES_ALL && !low_first) {
        if (ties == TIES_ALL) {
            ties = 0;
            for (size_t i = 0; i < n; i++) ties += key[i] == tkey;
        }
        lo = ties > rtie ? ties - rtie : 0;
    }
    s->n = lmp_sample_compact(key, tkey, lo, hi, n, s->ident, s->id, s->lg, s->p);
    s->ident = 0;
}

static void compact_by_key(lmp_sampler *s, double tkey, size_t rtie, int low_first)
{
    compact_by_key_t(s, tkey, rtie, low_first, TIES_ALL);
}

/* The k-th largest processed logit (1 <= k <= n), as kth_smallest_key on
 * -lg but without writing the keys: the sample and the gather negate on the fly. */
static double kth_largest_logit(lmp_sampler *s, size_t k, size_t *ngathered)
{
    const double *x = s->lg;
    double *w = s->work;
    size_t n = s->n;
    *ngathered = 0;
    if (k == 1) return lmp_sample_max(x, n);
    if (n > 4 * SAMPLE_SIZE && k <= n / 64) {
        size_t stride = n / SAMPLE_SIZE;
        for (size_t j = 0; j < SAMPLE_SIZE; j++) w[j] = -x[j * stride];
        size_t ks = (2 * k * SAMPLE_SIZE + n - 1) / n + 16;
        if (ks > SAMPLE_SIZE) ks = SAMPLE_SIZE;
        double thr = -select_kth_smallest(w, SAMPLE_SIZE, ks);
        /* Gather the positions too: every survivor of the cut is among them. */
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
            if (x[i] >= thr) s->ord[m++] = i;
        if (m >= k) {
            for (size_t j = 0; j < m; j++) w[j] = -x[s->ord[j]];
            *ngathered = m;
            return -select_kth_smallest(w, m, k);
        }
    }
    for (size_t i = 0; i < n; i++) w[i] = -x[i];
    return -select_kth_smallest(w, n, k);
}

/* Compaction restricted to the gathered positions ord[0..m) (ascending): the
 * same result as compact_by_logit when every logit >= t is among them. */
static void compact_gathered(lmp_sampler *s, size_t m, double t, size_t rtie)
{
    size_t out = 0, seen = 0;
    for (size_t j = 0; j < m; j++) {
        size_t i = s->ord[j];
        double v = s->lg[i];
        if (v < t) continue;
        if (v == t && rtie != TIES_ALL && seen++ >= rtie) continue;
        s->id[out] = s->ident ? (int32_t)i : s->id[i];
        s->lg[out] = v;
        out++;
    }
    s->n = out;
    s->ident = 0;
}

/* Keep the survivors whose logit is > t, and rtie of those equal to t (as compact_by_key). */
static void compact_by_logit(lmp_sampler *s, double t, size_t rtie, int low_first)
{
    const double *lg = s->lg;
    size_t n = s->n, skip = 0;
    if (rtie != TIES_ALL && !low_first) {
        size_t ties = 0;
        for (size_t i = 0; i < n; i++) ties += lg[i] == t;
        skip = ties > rtie ? ties - rtie : 0;
    }
    size_t m = 0, seen = 0;
    for (size_t i = 0; i < n; i++) {
        double v = lg[i];
        if (v < t) continue;
        int keep = 1;
        if (v == t && rtie != TIES_ALL) keep = low_first ? seen++ < rtie : seen++ >= skip;
        if (keep) {
            s->id[m] = s->ident ? (int32_t)i : s->id[i];
            s->lg[m] = v;
            s->p[m] = s->p[i];
            m++;
        }
    }
    s->n = m;
    s->ident = 0;
}

/* Keep exactly the K first ranks of key ascending, ties ranked by id
 * (low_first: lower id first). */
static void keep_first_ranks(lmp_sampler *s, size_t K, int low_first)
{
    if (K >= s->n) return;
    double t = kth_smallest_key(s, s->key, s->n, K);
    size_t lt = 0;
    for (size_t i = 0; i < s->n; i++) lt += s->key[i] < t;
    compact_by_key(s, t, K - lt, low_first);
}

/* Compact by s->flag (branch-free, as compact_by_key). */
static void compact_by_flag(lmp_sampler *s)
{
    size_t m = 0;
    int ident = s->ident;
    for (size_t i = 0; i < s->n; i++) {
        s->id[m] = ident ? (int32_t)i : s->id[i];
        s->lg[m] = s->lg[i];
        s->p[m] = s->p[i];
        m += s->flag[i] != 0;
    }
    s->n = m;
    s->ident = 0;
}

/* ---- ranking by key with a cumulative-mass cut --------------------------------- */

typedef struct rank_ctx {
    const double *key;
    int low_first;
} rank_ctx;

/* (key, id) order of positions i and j: key ascending, ties by position
 * (= id order) ascending when low_first, else descending. */
static inline int rank_less(const rank_ctx *c, size_t i, size_t j)
{
    double x = c->key[i], y = c->key[j];
    if (x != y) return x < y;
    return c->low_first ? i < j : i > j;
}

/* Sort positions by rank: in-place heapsort (no allocation; glibc's qsort_r
 * mallocs a merge buffer above 1 KB). Positions are distinct, so the order is
 * total and the result does not depend on the algorithm. */
static void sort_positions(size_t *pos, size_t m, const double *key, int low_first)
{
    rank_ctx c = {key, low_first};
    if (m < 2) return;
    for (size_t start = m / 2; start-- > 0;) {
        size_t r = start;
        for (size_t ch; (ch = 2 * r + 1) < m; r = ch) {
            if (ch + 1 < m && rank_less(&c, pos[ch], pos[ch + 1])) ch++;
            if (!rank_less(&c, pos[r], pos[ch])) break;
            size_t t = pos[r];
            pos[r] = pos[ch];
            pos[ch] = t;
        }
    }
    for (size_t end = m - 1; end > 0; end--) {
        size_t t = pos[0];
        pos[0] = pos[end];
        pos[end] = t;
        size_t r = 0;
        for (size_t ch; (ch = 2 * r + 1) < end; r = ch) {
            if (ch + 1 < end && rank_less(&c, pos[ch], pos[ch + 1])) ch++;
            if (!rank_less(&c, pos[r], pos[ch])) break;
            t = pos[r];
            pos[r] = pos[ch];
            pos[ch] = t;
        }
    }
}

/* The same order as sort_positions, for positions given in ascending order,
 * with a stable LSD radix sort on order-preserving 64-bit images of the keys
 * (8 bits a pass, a pass skipped when every key has the same digit): equal keys
 * keep the input order, ascending, or descending when the input is read
 * backwards (!low_first). No comparison branches: the heapsort mispredicts
 * about half of its comparisons, which dominated the top-p cut of a few hundred
 * members. scratch: 32 m bytes. */
static void sort_positions_radix(size_t *pos, size_t m, const double *key, int low_first, void *scratch)
{
    uint64_t *ka = scratch, *kb = ka + m;
    size_t *pa = (size_t *)(void *)(kb + m), *pb = pa + m;
    for (size_t j = 0; j < m; j++) {
        size_t q = low_first ? pos[j] : pos[m - 1 - j];
        double k = key[q] + 0.0; /* -0 ranks with +0 (rank_less: equal keys) */
        uint64_t u;
        memcpy(&u, &k, sizeof u);
        ka[j] = u >> 63 ? ~u : u | 0x8000000000000000u;
        pa[j] = q;
    }
    for (int shift = 0; shift < 64; shift += 8) {
        size_t cnt[257] = {0};
        for (size_t j = 0; j < m; j++) cnt[((ka[j] >> shift) & 255) + 1]++;
        if (cnt[((ka[0] >> shift) & 255) + 1] == m) continue;
        for (int d = 0; d < 256; d++) cnt[d + 1] += cnt[d];
        for (size_t j = 0; j < m; j++) {
            size_t o = cnt[(ka[j] >> shift) & 255]++;
            kb[o] = ka[j];
            pb[o] = pa[j];
        }
        uint64_t *tk = ka;
        ka = kb;
        kb = tk;
        size_t *tp = pa;
        pa = pb;
        pb = tp;
    }
    memcpy(pos, pa, m * sizeof *pos);
}

/* Rank the survivors by key ascending (ties by id per low_first) and find the
 * number K of first ranks up to and including the first rank whose cumulative
 * probability reaches target (>= target, or > target when strict); K = n when
 * it never does. Also returns the key at rank K and how many tokens with that
 * key are among the first K. The probabilities are s->p; the running sum is
 * rounded to the sampler's dtype in the literal path. */
static void cut_finish(lmp_sampler *s, size_t m, int big, double cum, size_t before, double target, int strict,
                       int low_first, void *scratch, size_t *K, double *tkey, size_t *rtie);

/* The bucket scale of mass_cut's histogram over [kmin, kmin + 60] (top-p: kmin = -max logit). */
static double cut_scale(double kmin, double kmax)
{
    return kmax > kmin ? (double)(NBUCKETS - 1) / (kmax - kmin) : 0.0;
}

static void mass_cut(lmp_sampler *s, double target, int strict, int low_first, double kmin_known, size_t *K,
                     double *tkey, size_t *rtie)
{
    int big = s->n > LMP_SAMPLE_EXACT_MAX || s->force_bucket;
    s->cut_ties = TIES_ALL; /* unknown until the cut is found */
    const double *key = s->key, *p = s->p;
    size_t n = s->n;
    size_t *ord = s->ord;
    size_t m = 0, before = 0;
    double cum = 0.0;
    if (!big) {
        for (size_t i = 0; i < n; i++) ord[i] = i;
        m = n;
    } else {
        /* Histogram of the keys over [kmin, kmin + KEY_SPAN]: keys beyond (and +inf,
         * p = 0) share the last bucket. For top-p the key is -logit, so the last
         * bucket holds tokens below e^-60 of the maximum. kmin is known for top-p
         * (-max logit); otherwise one pass finds it. */
        const double KEY_SPAN = 60.0;
        double kmin = kmin_known, kmax = -INFINITY;
        if (isnan(kmin)) {
            kmin = INFINITY;
            for (size_t i = 0; i < n; i++) {
                double k = key[i];
                kmin = k < kmin ? k : kmin;
                kmax = k > kmax && k != INFINITY ? k : kmax;
            }
        } else {
            kmax = kmin + KEY_SPAN;
        }
        if (kmax > kmin + KEY_SPAN) kmax = kmin + KEY_SPAN;
        double scale = cut_scale(kmin, kmax);
        memset(s->bmass, 0, sizeof s->bmass);
        memset(s->bcnt, 0, sizeof s->bcnt);
        int32_t *bidx = (int32_t *)(void *)s->work; /* free during the cut */
        lmp_sample_bucketize(key, p, n, kmin, scale, NBUCKETS, s->bmass, s->bcnt, bidx);
        size_t b = 0;
        for (; b < NBUCKETS; b++) {
            if (s->bcnt[b] == 0) continue; /* a target <= 0 must land on a token, not an empty bucket */
            double c = cum + s->bmass[b];
            if (strict ? c > target : c >= target) break;
            cum = c;
            before += s->bcnt[b];
        }
        if (b == NBUCKETS) { /* never reached (rounding): keep all */
            *K = n;
            *tkey = INFINITY;
            *rtie = TIES_ALL;
            return;
        }
        m = lmp_sample_bucket_members(bidx, n, (int32_t)b, ord, NULL);
    }
    cut_finish(s, m, big, cum, before, target, strict, low_first, s->work, K, tkey, rtie); /* work: free here */
}

/* The end of mass_cut: the m candidate positions in ord (the crossing bucket,
 * or all), the mass cum of the ranks before them (before of them): rank the
 * candidates and cut. key[] and p[] need to hold only the candidates'. */
static void cut_finish(lmp_sampler *s, size_t m, int big, double cum, size_t before, double target, int strict,
                       int low_first, void *scratch, size_t *K, double *tkey, size_t *rtie)
{
    const double *key = s->key, *p = s->p;
    size_t n = s->n, *ord = s->ord;
    if (m == 0) { /* cannot happen (the crossing bucket is non-empty); keep all rather than read ord[-1] */
        *K = n;
        *tkey = INFINITY;
        *rtie = TIES_ALL;
        s->cut_mass = cum;
        return;
    }
    /* ord holds ascending positions here (the bucket's members, or all); the
     * radix sort needs 32 m bytes of the 8 cap bytes of scratch */
    if (m >= 64 && m <= s->cap / 4) sort_positions_radix(ord, m, key, low_first, scratch);
    else sort_positions(ord, m, key, low_first);
    size_t j = 0;
    /* Literal path in float32: llama.cpp keeps a float running sum; torch's
     * CPU cumsum accumulates in double and rounds each output to float. */
    int f32 = !big && s->f32, float_acc = f32 && s->prm.conv == LMP_CONV_LLAMA;
    double tg = R(f32, target), acc = cum;
    for (; j < m; j++) {
        acc = R(float_acc, acc + p[ord[j]]);
        cum = R(f32, acc);
        if (strict ? cum > tg : cum >= tg) break;
    }
    if (j == m) j = m - 1; /* rounding: the whole bucket (or set) */
    s->cut_mass = cum;
    *K = before + j + 1;
    *tkey = key[ord[j]];
    size_t r = 0, all = 0;
    for (size_t q = 0; q <= j; q++) r += key[ord[q]] == *tkey;
    for (size_t q = 0; q < m; q++) all += key[ord[q]] == *tkey; /* equal keys share a bucket */
    *rtie = r;
    s->cut_ties = all;
    if (!big && j == n - 1 && !(strict ? cum > tg : cum >= tg)) *K = n;
}

/* ---- probabilities ----------------------------------------------------------------- */

/* p = softmax(lg) over the survivors, in the sampler's dtype. */
static void cur_softmax(lmp_sampler *s)
{
    size_t n = s->n;
    double m = s->max_ok ? s->lgmax : lmp_sample_max(s->lg, n);
    s->lgmax = m;
    s->max_ok = 1;
    /* the exps are already there when the top-p fast path wrote them (the same
     * kernel on the same values: the same bits), and a compaction since then
     * moved them with their logits */
    double z = s->p_exps ? lmp_sample_sum_exps(s->p, n) : lmp_sample_exp_sum(s->lg, n, m, s->p, s->f32);
    s->p_exps = 0;
    if (s->f32) z = (double)(float)z;
    /* Division (not multiplication by 1/z) so that p equals numpy's e / e.sum(). */
    lmp_sample_scale(s->p, n, z, s->f32);
}

/* llama.cpp's llama_sampler_softmax_impl for the literal path: candidates
 * sorted by logit descending (ties: lower id first), e = expf(l - max), a float
 * running sum in that order, p = e / sum. Fills s->p (by position) and leaves
 * the sorted positions in s->ord. */
static void llama_softmax_sorted(lmp_sampler *s)
{
    size_t n = s->n, *ord = s->ord;
    s->p_exps = 0;
    for (size_t i = 0; i < n; i++) {
        ord[i] = i;
        s->key[i] = -s->lg[i];
    }
    sort_positions(ord, n, s->key, 1);
    double mx = s->lg[ord[0]], z = 0.0;
    for (size_t j = 0; j < n; j++) {
        size_t i = ord[j];
        s->p[i] = (double)expf((float)(s->lg[i] - mx));
        z = (double)(float)(z + s->p[i]);
    }
    for (size_t i = 0; i < n; i++) s->p[i] = (double)(float)(s->p[i] / z);
}

static int llama_literal(const lmp_sampler *s)
{
    return s->prm.conv == LMP_CONV_LLAMA && s->f32 && s->n <= LMP_SAMPLE_EXACT_MAX;
}

/* ---- filters ------------------------------------------------------------------------ */

static void step_temperature(lmp_sampler *s)
{
    double T = s->prm.temperature;
    if (T == 1.0 || s->temp_done) return;
    lg_ready(s);
    s->p_exps = 0; /* the logits change */
    if (T == 0.0) { /* greedy: keep the first maximum (lowest id) */
        size_t arg = 0;
        for (size_t i = 1; i < s->n; i++)
            if (s->lg[i] > s->lg[arg]) arg = i;
        s->id[0] = s->ident ? (int32_t)arg : s->id[arg];
        s->lg[0] = s->lg[arg];
        s->n = 1;
        s->ident = 0;
        return;
    }
    /* float32: x / (float)T in float, the correctly rounded quotient (torch, llama.cpp) */
    if (s->f32) {
        float tf = (float)T;
        for (size_t i = 0; i < s->n; i++) s->lg[i] = (double)((float)s->lg[i] / tf);
    } else {
        for (size_t i = 0; i < s->n; i++) s->lg[i] = s->lg[i] / T;
    }
    s->max_ok = 0;
}

static void keys_neg_logit(lmp_sampler *s)
{
    for (size_t i = 0; i < s->n; i++) s->key[i] = -s->lg[i];
}

static void step_top_k(lmp_sampler *s)
{
    long k = s->prm.top_k;
    if (k <= 0 || s->topk_done) return;
    size_t K = (size_t)k;
    int hf = s->prm.conv == LMP_CONV_HF;
    if (hf && K < s->prm.min_keep) K = s->prm.min_keep;
    if (K >= s->n) return;
    size_t m;
    double t = kth_largest_logit(s, K, &m);
    /* HF: remove scores < the k-th value; every tie survives; a -inf k-th value
     * removes nothing. llama: exactly K, the ties at the k-th value by lower id. */
    size_t rtie = TIES_ALL;
    if (!hf) {
        size_t gt = 0;
        if (m) for (size_t j = 0; j < m; j++) gt += s->lg[s->ord[j]] > t;
        else for (size_t i = 0; i < s->n; i++) gt += s->lg[i] > t;
        rtie = K - gt;
    }
    if (m) compact_gathered(s, m, t, rtie);
    else compact_by_logit(s, t, rtie, 1);
}

static void step_top_p(lmp_sampler *s)
{
    double P = s->prm.top_p;
    if (P >= 1.0 || s->topp_done) return;
    int hf = s->prm.conv == LMP_CONV_HF;
    size_t mk = s->prm.min_keep, n = s->n;
    if (llama_literal(s)) llama_softmax_sorted(s);
    else cur_softmax(s);
    if (hf && n <= LMP_SAMPLE_EXACT_MAX) {
        /* HF literally: sort ascending (stable: ties by id ascending), cumulative
         * sum ascending in the dtype, remove cum <= 1 - p, keep the last min_keep. */
        size_t *ord = s->ord;
        for (size_t i = 0; i < n; i++) ord[i] = i;
        sort_positions(ord, n, s->lg, 1);
        double lim = R(s->f32, 1.0 - P), acc = 0.0;
        for (size_t j = 0; j < n; j++) {
            acc += s->p[ord[j]]; /* torch's CPU cumsum: double accumulator, output in the dtype */
            s->flag[ord[j]] = R(s->f32, acc) > lim || j + mk >= n;
        }
        compact_by_flag(s);
        return;
    }
    /* Descending rank = ascending -logit; HF's stable ascending sort ranks the
     * higher id above its ties, llama's scan the lower. */
    keys_neg_logit(s);
    size_t K, rtie;
    double tkey;
    mass_cut(s, P, 0, !hf, s->max_ok ? -s->lgmax : NAN, &K, &tkey, &rtie);
    if (K < mk) keep_first_ranks(s, mk, !hf);
    else if (K < n) compact_by_key_t(s, tkey, rtie, !hf, s->cut_ties);
}

static void step_min_p(lmp_sampler *s)
{
    double mp = s->prm.min_p;
    if (mp <= 0 || s->minp_done) return;
    lg_ready(s);
    size_t n = s->n, kept = 0;
    int exact_done = 0;
    if (s->prm.conv == LMP_CONV_HF && n > LMP_SAMPLE_EXACT_MAX) {
        /* p_i >= min_p * p_max <=> l_i - l_max >= log(min_p) in exact arithmetic;
         * HF's rounded probabilities can only disagree for logits within a few
         * ulps of that line. Decide in logit space when no logit is within a
         * generous margin of it (no exp over V); otherwise fall back to HF's
         * literal softmax comparison below. */
        double m = s->max_ok ? s->lgmax : lmp_sample_max(s->lg, n), L = log(mp);
        double margin = (fabs(L) + 8.0) * (s->f32 ? 1e-5 : 1e-12);
        size_t near = 0;
        for (size_t i = 0; i < n; i++) {
            double d = s->lg[i] - m - L;
            near += fabs(d) <= margin;
            kept += (s->flag[i] = d >= 0);
        }
        exact_done = near == 0;
        if (!exact_done) kept = 0;
    }
    if (exact_done) {
        /* decided in logit space */
    } else if (s->prm.conv == LMP_CONV_HF) {
        cur_softmax(s);
        double pmax = 0.0;
        for (size_t i = 0; i < n; i++)
            if (s->p[i] > pmax) pmax = s->p[i];
        double thr = R(s->f32, mp * pmax);
        for (size_t i = 0; i < n; i++) kept += (s->flag[i] = s->p[i] >= thr);
    } else {
        /* llama.cpp: in logit space, p_i >= min_p * p_max <=> l_i >= l_max + log(min_p). */
        double m = -INFINITY;
        for (size_t i = 0; i < n; i++)
            if (s->lg[i] > m) m = s->lg[i];
        double thr = R(s->f32, m + R(s->f32, log(mp)));
        for (size_t i = 0; i < n; i++) kept += (s->flag[i] = s->lg[i] >= thr);
    }
    if (kept < s->prm.min_keep) {
        keys_neg_logit(s);
        keep_first_ranks(s, s->prm.min_keep, 1);
    } else if (kept < n) {
        compact_by_flag(s);
    }
}

static void step_typical(lmp_sampler *s)
{
    double mass = s->prm.typical_p;
    if (mass >= 1.0) return;
    lg_ready(s);
    int hf = s->prm.conv == LMP_CONV_HF, f32 = s->f32;
    size_t n = s->n, mk = s->prm.min_keep;
    /* Meister et al. 2023: rank by |-log p - H|, the distance of the token's
     * information content from the entropy (the expected information content). */
    double H = 0.0;
    if (llama_literal(s)) {
        /* llama.cpp: float softmax in sorted order, float entropy sum in that order, logf. */
        llama_softmax_sorted(s);
        for (size_t j = 0; j < n; j++) {
            double p = s->p[s->ord[j]];
            if (p > 0) H = R(1, H + R(1, -p * R(1, logf((float)p))));
        }
        for (size_t i = 0; i < n; i++)
            s->key[i] = s->p[i] > 0 ? R(1, fabs(R(1, -(double)logf((float)s->p[i])) - H)) : INFINITY;
    } else {
        /* Hugging Face: normalized = log_softmax(scores); H = -nansum(normalized * p);
         * shifted = |-normalized - H|. */
        cur_softmax(s);
        double m = -INFINITY, z = 0.0;
        for (size_t i = 0; i < n; i++)
            if (s->lg[i] > m) m = s->lg[i];
        for (size_t i = 0; i < n; i++) z += exp(s->lg[i] - m);
        double lse = m + log(z);
        for (size_t i = 0; i < n; i++) {
            s->key[i] = R(f32, s->lg[i] - lse); /* log-probability */
            if (s->p[i] > 0) H -= s->key[i] * s->p[i];
        }
        H = R(f32, H);
        for (size_t i = 0; i < n; i++)
            s->key[i] = s->p[i] > 0 ? R(f32, fabs(-s->key[i] - H)) : INFINITY;
    }
    size_t K, rtie;
    double tkey;
    /* HF: last = count(cum < mass): the first rank with cum >= mass, then keep
     * every key <= its key. llama: the first rank with cum > mass (strict),
     * exactly that many. Both rank ties by lower id first (stable sort). */
    mass_cut(s, mass, !hf, 1, NAN, &K, &tkey, &rtie);
    if (hf) {
        size_t kept = 0;
        for (size_t i = 0; i < n; i++) kept += s->key[i] <= tkey;
        if (kept < mk) keep_first_ranks(s, mk, 1);
        else compact_by_key(s, tkey, TIES_ALL, 1);
    } else {
        if (K < mk) keep_first_ranks(s, mk, 1);
        else if (K < n) compact_by_key(s, tkey, rtie, 1);
    }
    s->max_ok = 0; /* typical sampling may drop the most probable token */
}

static void step_epsilon(lmp_sampler *s)
{
    double eps = s->prm.epsilon;
    if (eps <= 0) return;
    lg_ready(s);
    size_t n = s->n;
    cur_softmax(s);
    /* HF EpsilonLogitsWarper: remove p < eps unless the score is >= the
     * min_keep-th largest score. */
    size_t mk = s->prm.min_keep < n ? s->prm.min_keep : n;
    keys_neg_logit(s);
    double t = -kth_smallest_key(s, s->key, n, mk);
    double e = R(s->f32, eps);
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) kept += (s->flag[i] = s->p[i] >= e || s->lg[i] >= t);
    if (kept < n) compact_by_flag(s);
}

/* ---- apply ------------------------------------------------------------------------- */

static lmp_status load(lmp_sampler *s, const float *lf, const double *ld, size_t V, double T, lmp_error *err)
{
    if (V == 0) return lmp_error_set(err, LMP_EINVAL, "logits: expected at least one logit, got an empty vector");
    if (V > s->cap)
        return lmp_error_set(err, LMP_EINVAL, "logits: V = %zu: expected at most the sampler's max_vocab = %zu", V,
                             s->cap);
    double mx;
    size_t bad = lmp_sample_load(lf, ld, V, T, s->lg, s->f32, &mx);
    if (bad < V) {
        double v = ld ? ld[bad] : (double)lf[bad];
        if (isnan(v) || v == INFINITY)
            return lmp_error_set(err, LMP_EINVAL, "logit[%zu] = %g: expected a finite number or -inf", bad, v);
        if (T != 1.0)
            return lmp_error_set(err, LMP_ERANGE, "logit[%zu] / T = %g / %g overflows: expected a larger T", bad, v, T);
        return lmp_error_set(err, LMP_EINVAL, "logit[%zu] = %g: expected a value representable in float32", bad, v);
    }
    if (mx == -INFINITY)
        return lmp_error_set(err, LMP_EINVAL, "logits: all %zu are -inf: expected at least one finite logit", V);
    s->n = V;
    s->ident = 1;
    s->lgmax = mx;
    s->max_ok = 1;
    return LMP_OK;
}

static lmp_status penalties(lmp_sampler *s, size_t V, const int32_t *hist, size_t nh, lmp_error *err)
{
    const lmp_sampler_params *p = &s->prm;
    if (p->repetition_penalty == 1.0 && p->frequency_penalty == 0.0 && p->presence_penalty == 0.0) return LMP_OK;
    if (nh > 0 && !hist) return lmp_error_set(err, LMP_EINVAL, "history: %zu tokens but a NULL pointer", nh);
    size_t start = p->penalty_last_n && nh > p->penalty_last_n ? nh - p->penalty_last_n : 0;
    for (size_t i = start; i < nh; i++)
        if (hist[i] < 0 || (size_t)hist[i] >= V)
            return lmp_error_set(err, LMP_EINVAL, "history[%zu] = %d: expected a token id in [0, %zu)", i,
                                 (int)hist[i], V);
    int f = s->f32;
    double rep = R(f, p->repetition_penalty), fr = R(f, p->frequency_penalty), pr = R(f, p->presence_penalty);
    s->max_ok = 0;
    for (size_t i = start; i < nh; i++) s->cnt[hist[i]]++;
    for (size_t i = start; i < nh; i++) {
        int32_t t = hist[i];
        uint32_t c = s->cnt[t];
        if (c == 0) continue; /* already done: once per distinct token */
        s->cnt[t] = 0;
        double l = s->lg[t];
        if (rep != 1.0) l = R(f, l <= 0 ? l * rep : l / rep);
        if (fr != 0.0 || pr != 0.0) l = R(f, l - R(f, R(f, (double)c * fr) + pr));
        s->lg[t] = l;
    }
    return LMP_OK;
}

typedef void (*step_fn)(lmp_sampler *);

/* The lazy path applies when nothing truncates: the draw then needs only the
 * normaliser and the block where the cdf crosses u, so the call makes two
 * passes over the float logits (check + max, exp + block sums) and writes no
 * V-sized double array. The numbers are those of the materialised float32
 * path (same operations, same precision). */
static int lazy_eligible(const lmp_sampler *s, const float *lf, size_t V)
{
    const lmp_sampler_params *p = &s->prm;
    int no_pen = p->repetition_penalty == 1.0 && p->frequency_penalty == 0.0 && p->presence_penalty == 0.0;
    size_t k = (size_t)p->top_k;
    if (p->conv == LMP_CONV_HF && p->top_k > 0 && k < p->min_keep) k = p->min_keep;
    return lf && s->f32 && V > 4096 && V <= s->cap && no_pen && p->temperature > 0 && (p->top_k == 0 || k >= V) &&
           p->top_p >= 1.0 && p->min_p <= 0 && p->typical_p >= 1.0 && p->epsilon <= 0;
}

static lmp_status apply_lazy(lmp_sampler *s, const float *lf, size_t V, lmp_error *err)
{
    float mx;
    size_t bad = lmp_sample_fcheck(lf, V, &mx);
    if (bad < V)
        return lmp_error_set(err, LMP_EINVAL, "logit[%zu] = %g: expected a finite number or -inf", bad,
                             (double)lf[bad]);
    if (mx == -INFINITY)
        return lmp_error_set(err, LMP_EINVAL, "logits: all %zu are -inf: expected at least one finite logit", V);
    double T = R(1, s->prm.temperature);
    float tf = (float)T, m = tf != 1.0f ? mx / tf : mx;
    if (!(m < INFINITY))
        return lmp_error_set(err, LMP_ERANGE, "max logit / T = %g / %g overflows float32: expected a larger T",
                             (double)mx, T);
    float *x = (float *)s->work;
    s->lz_tf = tf;
    s->lz_m = m;
    s->lz_total = lmp_sample_lazy_sums(lf, x, V, tf, m, s->key); /* and copies lf to x */
    s->lazy = 1;
    s->materialized = 0;
    s->n = V;
    s->ident = 1;
    s->applied = 1;
    return LMP_OK;
}

/* Fill lg and p of the lazy path (for lmp_sampler_kept), as cur_softmax would. */
static void lazy_materialize(lmp_sampler *s)
{
    const float *x = (const float *)s->work;
    size_t V = s->n;
    double z = (double)(float)s->lz_total, iz = 1.0 / z;
    for (size_t lo = 0; lo < V; lo += LMP_LAZY_BLOCK) {
        size_t hi = lo + LMP_LAZY_BLOCK < V ? lo + LMP_LAZY_BLOCK : V;
        lmp_sample_lazy_block(x, lo, hi, s->lz_tf, s->lz_m, s->p + lo);
        for (size_t i = lo; i < hi; i++) {
            s->lg[i] = s->lz_tf != 1.0f ? (double)(x[i] / s->lz_tf) : (double)x[i];
            s->p[i] = (double)(float)(s->p[i] * iz);
        }
    }
    s->materialized = 1;
}

/* Top-k as the first truncation, straight from float32 logits: when nothing
 * before it changes the logits (no penalties; in HF order at most a
 * temperature, which is monotone), the top k of the processed logits are among
 * the raw logits above a threshold taken from a stride sample, lowered by a
 * margin so that a temperature cannot merge an excluded logit with the k-th
 * value. One pass over the input validates it and gathers those positions; only
 * they are converted (and divided by T). The top-k step then runs exactly on
 * them. Returns 1 when done, 0 when not applicable (the caller takes the
 * general path), -1 on an input error (NaN/+inf, all -inf). */
static float const_thr(float mx, const void *ctx)
{
    (void)mx;
    return *(const float *)ctx;
}

static int topk_first(lmp_sampler *s, const float *lf, size_t V, lmp_status *st, lmp_error *err)
{
    const lmp_sampler_params *p = &s->prm;
    int hf = p->conv == LMP_CONV_HF;
    int no_pen = p->repetition_penalty == 1.0 && p->frequency_penalty == 0.0 && p->presence_penalty == 0.0;
    if (!lf || !no_pen || p->top_k <= 0 || V > s->cap || V <= 4 * SAMPLE_SIZE) return 0;
    if (hf && p->temperature == 0.0) return 0; /* greedy first */
    size_t K = (size_t)p->top_k;
    if (hf && K < p->min_keep) K = p->min_keep;
    if (K > V / 64) return 0;
    double *w = s->work;
    size_t stride = V / SAMPLE_SIZE;
    for (size_t j = 0; j < SAMPLE_SIZE; j++) {
        float v = lf[j * stride];
        if (!(v < INFINITY)) return 0; /* let the general path report it */
        w[j] = -(double)v;
    }
    size_t ks = (2 * K * SAMPLE_SIZE + V - 1) / V + 16;
    double thr = -select_kth_smallest(w, SAMPLE_SIZE, ks);
    /* A margin of 2^-20 relative (and an absolute 1e-30) covers the rounding of
     * x / T to float (or double) many times over. */
    thr -= fabs(thr) * 0x1p-20 + 1e-30;
    float thrf = (float)thr, fmx;
    if ((double)thrf > thr) thrf = nextafterf(thrf, -INFINITY);
    size_t m, bad = lmp_sample_fgather(lf, V, const_thr, &thrf, &fmx, s->id, &m);
    if (bad < V)
        return *st = lmp_error_set(err, LMP_EINVAL, "logit[%zu] = %g: expected a finite number or -inf", bad,
                                   (double)lf[bad]), -1;
    if (m < K) return 0;
    /* convert the gathered logits as load() would (temperature fused in HF order) */
    double T = hf && p->temperature != 1.0 ? R(s->f32, p->temperature) : 1.0;
    float tf = (float)T;
    double mx = -INFINITY;
    for (size_t j = 0; j < m; j++) {
        size_t i = (size_t)s->id[j];
        double v = lf[i];
        if (T != 1.0) v = s->f32 ? (double)(lf[i] / tf) : v / T;
        if (!(v < INFINITY))
            return *st = lmp_error_set(err, LMP_ERANGE, "logit[%zu] / T = %g / %g overflows: expected a larger T",
                                       i, (double)lf[i], T), -1;
        s->id[j] = (int32_t)i;
        s->lg[j] = v;
        mx = v > mx ? v : mx;
    }
    if (mx == -INFINITY)
        return *st = lmp_error_set(err, LMP_EINVAL, "logits: all %zu are -inf: expected at least one finite logit",
                                   V), -1;
    s->n = m;
    s->ident = 0;
    s->temp_done = T != 1.0;
    s->max_ok = 0;
    step_top_k(s);
    s->topk_done = 1;
    return 1;
}

/* Top-p as the first truncation, straight from float32 logits (float32
 * dtype, no penalties, top-k and typical off; HF with T > 0 fused, llama with
 * T last): one pass validates and finds the maximum, one pass computes (and
 * keeps) every exp and the normaliser, a stride sample guesses the bucket (of
 * the general path's 4096-bucket mass histogram by distance below the maximum)
 * past the crossing, and one pass gathers the tokens down to that bucket with
 * their logits and exps, checking that the mass surely inside reaches p (else
 * a lower guess, and at last the full histogram). Only those are converted;
 * their probabilities use the full normaliser, and the cut among them is the
 * bucketed rule of the general path (mass ranked above < p), which depends
 * only on the buckets down to the crossing one. Returns as topk_first. */
/* A step after the top-p route that would change or read the kept set. */
static int later_steps(const lmp_sampler *s)
{
    const lmp_sampler_params *p = &s->prm;
    if (p->min_p > 0 || p->typical_p < 1.0 || p->epsilon > 0) return 1;
    return p->conv == LMP_CONV_LLAMA && p->temperature != 1.0; /* llama.cpp: temperature last */
}

/* Form the kept arrays of the lazy top-p: ids (into ord[], leaving the gathered
 * ids for the draw), logits and probabilities, as the compacting route would. */
static void topp_form(lmp_sampler *s)
{
    if (!s->tp_lazy || s->tp_formed) return;
    const float *xs = (const float *)(const void *)s->work, *es = xs + s->cap;
    int32_t *kid = (int32_t *)(void *)s->ord;
    memcpy(kid, s->id, s->tp_n * sizeof *kid);
    float *xk = (float *)(void *)s->key; /* free now */
    memcpy(xk, xs, s->tp_n * sizeof *xk);
    s->n = lmp_sample_topp_finish(xk, es, kid, s->tp_n, s->tp_tf, s->tp_lthr, s->tp_lo, s->tp_hi, s->p);
    lmp_sample_logits_widen(xk, s->n, s->tp_tf, s->lg);
    s->p_exps = 1; /* p holds the kept exps: cur_softmax normalises them */
    cur_softmax(s);
    s->tp_kid = kid;
    s->tp_formed = 1;
}

static int topp_first(lmp_sampler *s, const float *lf, size_t V, lmp_status *st, lmp_error *err)
{
    const lmp_sampler_params *p = &s->prm;
    int hf = p->conv == LMP_CONV_HF;
    int no_pen = p->repetition_penalty == 1.0 && p->frequency_penalty == 0.0 && p->presence_penalty == 0.0;
    size_t k = (size_t)p->top_k;
    if (hf && p->top_k > 0 && k < p->min_keep) k = p->min_keep;
    int k_off = p->top_k == 0 || k >= V;
    if (!lf || !s->f32 || !no_pen || !(p->top_p < 1.0) || !k_off || V > s->cap || V <= 4 * SAMPLE_SIZE) return 0;
    if (!hf && p->typical_p < 1.0) return 0; /* llama runs typical before top-p */
    if (hf && p->temperature == 0.0) return 0;
    double T = hf && p->temperature != 1.0 ? R(1, p->temperature) : 1.0;
    float tf = (float)T, mx;
    /* The validating pass also takes the stride sample (every 16th logit) and
     * the maximum of every chunk of 256, to find the head: the logits within 3
     * (after the temperature) of the maximum, which carry most of the mass of a
     * peaked distribution and which a 1 in 16 sample would mostly miss. key (2
     * cap floats) holds the sample, the chunk maxima and the head. */
    const size_t ns = (V + 15) / 16, nc = (V + LMP_CHUNK - 1) / LMP_CHUNK;
    float *xsm = (float *)(void *)s->key, *cmax = xsm + ns, *head = cmax + nc;
    size_t bad = lmp_sample_fcheck_sample(lf, V, &mx, xsm, cmax);
    if (bad < V)
        return *st = lmp_error_set(err, LMP_EINVAL, "logit[%zu] = %g: expected a finite number or -inf", bad,
                                   (double)lf[bad]), -1;
    if (mx == -INFINITY)
        return *st = lmp_error_set(err, LMP_EINVAL, "logits: all %zu are -inf: expected at least one finite logit",
                                   V), -1;
    float m = tf != 1.0f ? mx / tf : mx;
    if (!(m < INFINITY))
        return *st = lmp_error_set(err, LMP_ERANGE, "max logit / T = %g / %g overflows float32: expected a larger T",
                                   (double)mx, T), -1;
    const double span = 60.0, scale = (double)(NBUCKETS - 1) / span;
    const double margin = 1e-3 + fabs((double)m) * 1e-6; /* logit units, far above float rounding */
    /* Fast route: an estimated mass histogram (below) guesses the bucket where
     * the cumulative mass passes the target (aiming a quarter of the way into
     * the tail); one pass computes every exp and the normaliser and gathers the
     * tokens down to that bucket with their exps, and the mass of those surely
     * in it is summed. If that mass reaches the target (with a relative margin
     * far above the rounding of the probabilities), the crossing bucket of the
     * exact (bucketed) rule and everything above it are gathered, so the cut
     * below is the same as with the full histogram; otherwise guess lower, and
     * after a few tries take the full histogram. */
    /* scratch as floats: work (2 cap floats) holds the gathered logits and their
     * exps; key the stride sample; lg the bucket of each gathered token */
    float *xs = (float *)(void *)s->work, *es = xs + s->cap;
    /* the estimated mass histogram: the head exactly, the rest from the sample
     * weighted by 16 (or the sample alone, see below); the counts it also
     * keeps in bcnt are not read (whoever reads bcnt clears it first) */
    memset(s->bmass, 0, sizeof s->bmass);
    double zs;
    /* the head from the chunks whose maximum reaches its line; when they are
     * more than 1 in 4 the distribution is flat enough for the sample alone
     * (and the head would cost a pass) */
    const float line = mx - 3.0f * tf;
    size_t hot = 0;
    for (size_t c = 0; c < nc; c++) hot += cmax[c] >= line;
    if (hot <= nc / 4) { /* head: at most V / 4 + LMP_CHUNK floats after ns + nc in 2 cap */
        size_t nh = 0, nt = 0;
        for (size_t c = 0; c < nc; c++) {
            if (!(cmax[c] >= line)) continue;
            for (size_t j = c * LMP_CHUNK; j < V && j < (c + 1) * LMP_CHUNK; j++) {
                head[nh] = lf[j];
                nh += lf[j] >= line;
            }
        }
        for (size_t j = 0; j < ns; j++) {
            xsm[nt] = xsm[j];
            nt += !(xsm[j] >= line);
        }
        zs = 16.0 * lmp_sample_topp_hist(xsm, nt, tf, m, scale, NBUCKETS, s->bmass, s->bcnt);
        for (int b = 0; b < NBUCKETS; b++) s->bmass[b] *= 16.0;
        zs += lmp_sample_topp_hist(head, nh, tf, m, scale, NBUCKETS, s->bmass, s->bcnt);
    } else {
        zs = lmp_sample_topp_hist(xsm, ns, tf, m, scale, NBUCKETS, s->bmass, s->bcnt);
    }
    size_t n = 0;
    int gathered = 0;
    double Z = 0.0, target = 0.0;
    float glo = 0.0f; /* the line of the last gather */
    /* The bucket where the sample's mass reaches p - 0.05: the cut lies below it
     * (unless the sample is off by that much), so the buckets above need no
     * histogram (see the cut below). */
    int bh_guess = 0;
    for (double c = 0.0, q = (p->top_p - 0.05) * zs; bh_guess < NBUCKETS - 1; bh_guess++) {
        c += s->bmass[bh_guess];
        if (c >= q) break;
    }
    static const double qs[] = {0.25, 0.6, 0.9}; /* how far into the tail mass each try aims */
    for (int tries = 0; tries < 3 && !gathered; tries++) {
        double q = (p->top_p + (1.0 - p->top_p) * qs[tries]) * zs, c = 0.0;
        int guess = NBUCKETS - 1;
        for (int b = 0; b < NBUCKETS; b++) {
            c += s->bmass[b];
            if (c >= q) {
                guess = b;
                break;
            }
        }
        double edge = (double)m - (guess + 1) / scale;
        double lo = T != 1.0 ? (edge - margin) * T : edge - margin, hi = T != 1.0 ? (edge + margin) * T : edge + margin;
        float lof = (float)lo, hif = (float)hi;
        if ((double)lof > lo) lof = nextafterf(lof, -INFINITY);
        if ((double)hif < hi) hif = nextafterf(hif, INFINITY);
        glo = lof;
        if (tries == 0) { /* the normaliser, the gather and the gathered exps in one pass */
            Z = lmp_sample_exps_gather(lf, V, tf, m, lof, s->id, xs, es, &n);
            target = p->top_p * Z;
        } else {
            n = lmp_sample_fgather_ge(lf, V, lof, s->id, xs);
            lmp_sample_topp_exps(xs, n, tf, m, es); /* the same kernel: the same values */
        }
        /* the top min_keep ranks are gathered too (everything above the line is) */
        gathered = lmp_sample_mass_ge(xs, es, n, hif) >= target * (1.0 + 1e-4) && n >= p->min_keep;
        if (!(zs > 0)) break;
    }
    double zf = (double)(float)Z;
    if (gathered) {
        /* The cut of mass_cut's bucketed rule, on the gathered tokens only (every
         * bucket up to the crossing one is among them): the histogram of their
         * probabilities, then the keys and probabilities of the crossing bucket's
         * members alone; the kept set is written once, with its exps (cur_softmax
         * normalises them without computing them again). */
        double kmin = -(double)m, iz = 1.0 / zf, cscale = cut_scale(kmin, kmin + 60.0);
        int32_t *bidx = (int32_t *)(void *)s->lg;
        /* every gathered x >= glo, so l >= glo / tf: the buckets past nbu stay
         * empty (2 of margin for rounding) and are neither cleared nor read */
        double rmax = ((double)m - (double)(tf != 1.0f ? glo / tf : glo)) * cscale;
        int nbu = rmax < NBUCKETS - 3 ? (int)rmax + 3 : NBUCKETS;
        /* mass_cut adds the bucket sums in order. A bucket's sum is exact in
         * double whatever the order (its members lie within a factor e^(60/4095)
         * of each other: one binade). So are the running sums over the buckets
         * whose every member has p >= 2^-30 (p a float, so a multiple of 2^-53;
         * sums below p <= 1 of such are exact doubles): those buckets, up to bh,
         * are summed in one go, in any order, with the same result; only the
         * tokens from bh on go through the histogram. bh30: the buckets with
         * m - l < 30 ln 2 - ln z (p = e / z >= 2^-30, e within 2 ulp of exp),
         * less a margin. */
        double d30 = (30.0 * M_LN2 - log(zf) - 1e-3) * cscale;
        int bh = d30 > 1.0 ? (d30 < nbu ? (int)d30 - 1 : nbu) : 0;
        if (bh > bh_guess) bh = bh_guess;
        int32_t *band_b = (int32_t *)(void *)s->ord;
        memset(s->bmass + bh, 0, (size_t)(nbu - bh) * sizeof s->bmass[0]);
        double cum = lmp_sample_topp_bucket(xs, es, n, tf, kmin, cscale, NBUCKETS, iz, bh, s->bmass, bidx, band_b,
                                            s->key);
        if (!(cum < p->top_p)) { /* the cut lies above bh after all: every bucket through the histogram */
            bh = 0;
            memset(s->bmass, 0, (size_t)nbu * sizeof s->bmass[0]);
            cum = lmp_sample_topp_bucket(xs, es, n, tf, kmin, cscale, NBUCKETS, iz, 0, s->bmass, bidx, band_b,
                                         s->key);
        }
        size_t before = 0, K = n, rtie = TIES_ALL;
        double tkey = INFINITY;
        int b = bh;
        s->cut_mass = cum; /* cut_finish replaces it with the mass through the cut */
        /* as mass_cut, without its skip of empty buckets: adding an empty
         * bucket's +0 leaves cum as it is, and with p > 0 a bucket of mass 0
         * cannot be the first to reach p; the ranks before the crossing bucket
         * are counted with its members */
        for (; b < nbu; b++) {
            double c = cum + s->bmass[b];
            if (c >= p->top_p) break;
            cum = c;
        }
        s->n = n;
        s->cut_ties = TIES_ALL;
        if (b < nbu) {
            /* the members' keys and probabilities side by side (ascending
             * positions: the same tie order), so the sort reads them from a
             * few cache lines rather than from all over the gathered arrays */
            size_t mb = lmp_sample_bucket_members(bidx, n, (int32_t)b, s->ord, &before);
            for (size_t j = 0; j < mb; j++) {
                size_t q = s->ord[j];
                float l = tf != 1.0f ? xs[q] / tf : xs[q];
                s->key[j] = -(double)l;
                s->p[j] = (double)(float)((double)es[q] * iz);
                s->ord[j] = j;
            }
            cut_finish(s, mb, 1, cum, before, p->top_p, 0, !hf, s->lg, &K, &tkey, &rtie); /* lg: free here */
        }
        s->ident = 0;
        s->temp_done = T != 1.0;
        s->lgmax = m;
        s->max_ok = 1;
        s->topp_done = 1;
        size_t mk = p->min_keep;
        if (K < mk) { /* min_keep reaches below the cut: every gathered token materialised */
            lmp_sample_topp_convert(xs, es, n, tf, s->lg, s->p, s->key);
            lmp_sample_scale(s->p, n, zf, 1);
            keep_first_ranks(s, mk, !hf);
            return 1;
        }
        /* compact_by_key_t's rule: key < tkey, and of the ties (key == tkey) the
         * first rtie in id order (llama) or the last rtie (HF) */
        size_t lo_t = 0, hi_t = SIZE_MAX;
        if (K < n && rtie != TIES_ALL) {
            if (!hf) hi_t = rtie;
            else lo_t = s->cut_ties != TIES_ALL && s->cut_ties > rtie ? s->cut_ties - rtie : 0;
        }
        float lthr = K < n ? (float)-tkey : -INFINITY; /* -tkey is a float logit: exact */
        if (!later_steps(s)) {
            /* nothing follows: the draw reads the gathered tokens in place and
             * kept() forms the arrays only if asked (topp_form) */
            s->tp_lazy = 1;
            s->tp_formed = 0;
            s->tp_n = n;
            s->tp_lo = lo_t;
            s->tp_hi = hi_t;
            s->tp_tf = tf;
            s->tp_lthr = lthr;
            s->tp_iz = iz;
            s->tp_mass = s->cut_mass;
            s->n = K < n ? K : n;
            return 1;
        }
        s->n = lmp_sample_topp_finish(xs, es, s->id, n, tf, lthr, lo_t, hi_t, s->p);
        s->p_exps = 1;
        s->lg_pending = 1;
        s->lg_tf = tf;
        return 1;
    } else {
        memset(s->bmass, 0, sizeof s->bmass);
        memset(s->bcnt, 0, sizeof s->bcnt);
        Z = lmp_sample_topp_hist(lf, V, tf, m, scale, NBUCKETS, s->bmass, s->bcnt);
        target = p->top_p * Z;
        double cum = 0.0;
        int bstar = NBUCKETS - 1;
        for (int b = 0; b < NBUCKETS; b++) {
            if (s->bcnt[b] == 0) continue;
            if (cum + s->bmass[b] >= target) {
                bstar = b;
                break;
            }
            cum += s->bmass[b];
        }
        /* Gather every token in buckets 0 .. bstar, a superset of the nucleus: l >
         * m - (bstar + 1) / scale, lowered by the margin, and compared in the
         * input's units (x = l * T). Branch-free: the nucleus is spread at
         * random over the ids. */
        double L = (double)m - (bstar + 1) / scale - margin;
        double thr = T != 1.0 ? L * T : L;
        float thrf = (float)thr;
        if ((double)thrf > thr) thrf = nextafterf(thrf, -INFINITY);
        n = 0;
        for (size_t i = 0; i < V; i++) {
            s->id[n] = (int32_t)i;
            n += lf[i] >= thrf;
        }
        if (n < p->min_keep) return 0; /* the top min_keep ranks may lie below: the general path */
        for (size_t j = 0; j < n; j++) {
            float x = lf[s->id[j]];
            s->lg[j] = tf != 1.0f ? (double)(x / tf) : (double)x;
        }
        lmp_sample_exp_sum(s->lg, n, (double)m, s->p, 1);
        for (size_t j = 0; j < n; j++) s->key[j] = -s->lg[j];
    }
    s->n = n;
    s->ident = 0;
    s->temp_done = T != 1.0;
    /* probabilities with the full normaliser, as cur_softmax over all V would */
    zf = (double)(float)Z;
    lmp_sample_scale(s->p, n, zf, 1);
    s->lgmax = m;
    s->max_ok = 1;
    size_t K, rtie;
    double tkey;
    s->force_bucket = 1;
    mass_cut(s, p->top_p, 0, !hf, -(double)m, &K, &tkey, &rtie);
    s->force_bucket = 0;
    size_t mk = p->min_keep;
    if (K < mk) keep_first_ranks(s, mk, !hf);
    else if (K < n) compact_by_key_t(s, tkey, rtie, !hf, s->cut_ties);
    s->topp_done = 1;
    return 1;
}

/* Min-p as the first truncation, straight from float32 logits: the rule is a
 * threshold in logit space (llama.cpp exactly; HF's probability comparison
 * whenever no logit is within rounding of the line, as in step_min_p), so the
 * selection needs no exponential. One streaming pass validates, finds the
 * maximum and gathers every logit above the line of the running maximum minus
 * a margin (lmp_sample_fgather: a superset of the final candidates, as the
 * line only rises with the maximum); only those are converted and tested
 * against the final line. If a logit is near the line (HF), or fewer than
 * min_keep survive, it returns 0 and the general path decides. */
typedef struct minp_ctx {
    double T, L, margin;
    float tf; /* (float)T: float32 divides by it in float */
    int f32, hf;
} minp_ctx;

/* the processed logit of x (a float32 logit), exactly as load() computes it */
static inline double minp_l(const minp_ctx *c, double x)
{
    return c->T == 1.0 ? x : c->f32 ? (double)((float)x / c->tf) : x / c->T;
}

/* The gather line (in the input's units) for a maximum raw logit mx: the
 * min-p line lowered by a margin far above the rounding of the conversion.
 * Non-decreasing in mx (every step is monotone, and the extra slack of the
 * pre-filter absorbs a rounding wobble of the |line| term). */
static double minp_gather_line(const minp_ctx *c, float mx, double slack, double *line_out)
{
    double m = minp_l(c, mx);
    double llama_thr = R(c->f32, m + R(c->f32, c->L));
    double line = c->hf ? m + c->L : llama_thr;
    double lo = line - c->margin - 1e-3 - fabs(line) * 1e-6;
    lo -= slack * (1.0 + fabs(lo));
    if (line_out) *line_out = line;
    return c->T != 1.0 ? lo * c->T : lo;
}

static float minp_thr_of(float mx, const void *vc)
{
    const minp_ctx *c = vc;
    if (mx == -INFINITY) return INFINITY; /* nothing finite yet: nothing to gather */
    double thr = minp_gather_line(c, mx, 1e-6, NULL);
    if (!(thr < INFINITY)) return -INFINITY; /* x / T overflows: the general path reports it */
    float thrf = (float)thr;
    if ((double)thrf > thr) thrf = nextafterf(thrf, -INFINITY);
    return thrf;
}

static int minp_first(lmp_sampler *s, const float *lf, size_t V, lmp_status *st, lmp_error *err)
{
    const lmp_sampler_params *p = &s->prm;
    int hf = p->conv == LMP_CONV_HF, f32 = s->f32;
    int no_pen = p->repetition_penalty == 1.0 && p->frequency_penalty == 0.0 && p->presence_penalty == 0.0;
    size_t k = (size_t)p->top_k;
    if (hf && p->top_k > 0 && k < p->min_keep) k = p->min_keep;
    int k_off = p->top_k == 0 || k >= V;
    if (!lf || !no_pen || !(p->min_p > 0) || !k_off || p->top_p < 1.0 || V > s->cap || V <= 4 * SAMPLE_SIZE)
        return 0;
    if (!hf && p->typical_p < 1.0) return 0;
    if (hf && p->temperature == 0.0) return 0;
    minp_ctx c;
    c.T = hf && p->temperature != 1.0 ? R(f32, p->temperature) : 1.0;
    c.tf = (float)c.T;
    c.L = log(p->min_p);
    c.margin = (fabs(c.L) + 8.0) * (f32 ? 1e-5 : 1e-12);
    c.f32 = f32;
    c.hf = hf;
    float mx;
    size_t g;
    size_t bad = lmp_sample_fgather(lf, V, minp_thr_of, &c, &mx, s->id, &g);
    if (bad < V)
        return *st = lmp_error_set(err, LMP_EINVAL, "logit[%zu] = %g: expected a finite number or -inf", bad,
                                   (double)lf[bad]), -1;
    if (mx == -INFINITY)
        return *st = lmp_error_set(err, LMP_EINVAL, "logits: all %zu are -inf: expected at least one finite logit",
                                   V), -1;
    double m = minp_l(&c, mx);
    if (!(m < INFINITY)) return 0; /* let the general path report the overflow */
    double line;
    double thr = minp_gather_line(&c, mx, 0.0, &line);
    float thrf = (float)thr;
    if ((double)thrf > thr) thrf = nextafterf(thrf, -INFINITY);
    double llama_thr = line;
    /* the candidates: a superset of { x >= thrf }; below thrf a logit is far from the line */
    size_t n = 0;
    for (size_t j = 0; j < g; j++) {
        int32_t i = s->id[j];
        float x = lf[i];
        if (!(x >= thrf)) continue;
        double l = minp_l(&c, x);
        int keep;
        if (hf) {
            double d = l - m - c.L;
            if (fabs(d) <= c.margin) return 0; /* near the line: HF's literal comparison decides */
            keep = d >= 0;
        } else {
            keep = l >= llama_thr;
        }
        s->id[n] = i;
        s->lg[n] = l;
        n += keep;
    }
    if (n < p->min_keep) return 0;
    s->n = n;
    s->ident = 0;
    s->temp_done = c.T != 1.0;
    s->lgmax = m;
    s->max_ok = 1;
    s->minp_done = 1;
    return 1;
}

static lmp_status apply_common(lmp_sampler *s, const float *lf, const double *ld, size_t V, const int32_t *hist,
                               size_t nh, lmp_error *err)
{
    s->applied = 0;
    s->n = 0;
    s->lazy = 0;
    s->p_exps = 0;
    s->lg_pending = 0;
    s->tp_lazy = 0;
    if (lazy_eligible(s, lf, V)) {
        lmp_status lst = apply_lazy(s, lf, V, err);
        if (lst) s->n = 0;
        return lst;
    }
    s->topk_done = 0;
    s->topp_done = 0;
    s->minp_done = 0;
    lmp_status gst = LMP_OK;
    int gathered = topk_first(s, lf, V, &gst, err);
    if (gathered == 0) gathered = topp_first(s, lf, V, &gst, err);
    if (gathered == 0) gathered = minp_first(s, lf, V, &gst, err);
    if (gathered < 0) {
        s->n = 0;
        return gst;
    }
    if (gathered) {
        /* the steps after the gathered one (step_top_k / step_top_p skip themselves when done) */
        static const step_fn hf_rest[] = {step_top_p, step_min_p, step_typical, step_epsilon};
        static const step_fn llama_rest[] = {step_typical, step_top_p, step_min_p, step_epsilon, step_temperature};
        if (s->prm.conv == LMP_CONV_HF)
            for (size_t i = 0; i < 4; i++) hf_rest[i](s);
        else
            for (size_t i = 0; i < 5; i++) llama_rest[i](s);
        if (!s->tp_lazy) cur_softmax(s);
        s->applied = 1;
        return LMP_OK;
    }
    /* HF order with no penalties: the temperature is the first step, so divide
     * while loading (the same operation, one pass fewer). */
    const lmp_sampler_params *p = &s->prm;
    int no_pen = p->repetition_penalty == 1.0 && p->frequency_penalty == 0.0 && p->presence_penalty == 0.0;
    double T = 1.0;
    s->temp_done = 0;
    if (p->conv == LMP_CONV_HF && no_pen && p->temperature > 0 && p->temperature != 1.0) {
        T = R(s->f32, p->temperature);
        s->temp_done = 1;
    }
    lmp_status st = load(s, lf, ld, V, T, err);
    if (!st) st = penalties(s, V, hist, nh, err);
    if (st) {
        s->n = 0;
        return st;
    }
    static const step_fn hf_order[] = {step_temperature, step_top_k, step_top_p, step_min_p, step_typical,
                                       step_epsilon};
    static const step_fn llama_order[] = {step_top_k, step_typical, step_top_p, step_min_p, step_epsilon,
                                          step_temperature};
    const step_fn *steps = s->prm.conv == LMP_CONV_HF ? hf_order : llama_order;
    for (size_t i = 0; i < 6; i++) steps[i](s);
    cur_softmax(s);
    s->applied = 1;
    return LMP_OK;
}

lmp_status lmp_sampler_apply_f32(lmp_sampler *s, const float *logits, size_t V, const int32_t *hist, size_t nh,
                             lmp_error *err)
{
    return apply_common(s, logits, NULL, V, hist, nh, err);
}

lmp_status lmp_sampler_apply(lmp_sampler *s, const double *logits, size_t V, const int32_t *hist, size_t nh,
                               lmp_error *err)
{
    return apply_common(s, NULL, logits, V, hist, nh, err);
}

lmp_candidates lmp_sampler_kept(lmp_sampler *s)
{
    if (s->applied && s->lazy && !s->materialized) lazy_materialize(s);
    if (s->applied && s->tp_lazy) {
        topp_form(s);
        lmp_candidates c = {s->tp_kid, s->lg, s->p, s->n};
        return c;
    }
    lg_ready(s);
    lmp_candidates c = {s->ident ? s->iota : s->id, s->lg, s->p, s->applied ? s->n : 0};
    return c;
}

/* The lazy draw: blocks until the running sum of exps passes u * total, then
 * the exps of that block in order (the same rule as lmp_sample_cdf_search's
 * large-n path, on unnormalised weights). */
static int32_t lazy_draw(const lmp_sampler *s, double u)
{
    const float *x = (const float *)s->work;
    const double *block = s->key;
    size_t V = s->n, nb = (V + LMP_LAZY_BLOCK - 1) / LMP_LAZY_BLOCK, last = 0;
    double e[LMP_LAZY_BLOCK], target = u * s->lz_total, c = 0.0;
    for (size_t b = 0; b < nb; b++) {
        if (block[b] > 0) last = b;
        if (c + block[b] <= target) {
            c += block[b];
            continue;
        }
        size_t lo = b * LMP_LAZY_BLOCK, hi = lo + LMP_LAZY_BLOCK < V ? lo + LMP_LAZY_BLOCK : V;
        lmp_sample_lazy_block(x, lo, hi, s->lz_tf, s->lz_m, e);
        for (size_t i = lo; i < hi; i++) {
            c += e[i - lo];
            if (c > target) return (int32_t)i;
        }
    }
    /* rounding left u * total above the sum: the last token with weight > 0 */
    size_t lo = last * LMP_LAZY_BLOCK, hi = lo + LMP_LAZY_BLOCK < V ? lo + LMP_LAZY_BLOCK : V;
    lmp_sample_lazy_block(x, lo, hi, s->lz_tf, s->lz_m, e);
    size_t i = hi - 1;
    while (i > lo && e[i - lo] == 0) i--;
    return (int32_t)i;
}

int32_t lmp_sampler_draw_u(const lmp_sampler *s, double u)
{
    if (!s->applied || s->n == 0) return -1;
    if (s->lazy) return lazy_draw(s, u);
    if (s->tp_lazy) {
        /* the first kept token (in id order) whose running mass passes u times
         * the kept mass (numpy's choice rule on the renormalised kept set; a u
         * within rounding of a boundary may pick the neighbour of what the
         * formed arrays would give) */
        const float *xs = (const float *)(const void *)s->work, *es = xs + s->cap;
        size_t j = lmp_sample_topp_draw(xs, es, s->tp_n, s->tp_tf, s->tp_lthr, s->tp_lo, s->tp_hi, s->tp_iz,
                                        u * s->tp_mass);
        return s->id[j];
    }
    size_t i = lmp_sample_cdf_search(s->p, s->n, u);
    return s->ident ? (int32_t)i : s->id[i];
}

int32_t lmp_sampler_draw(const lmp_sampler *s, lmp_rng *rng)
{
    if (!s->applied || s->n == 0) return -1;
    return lmp_sampler_draw_u(s, lmp_rng_uniform(rng));
}

lmp_status lmp_sampler_sample_f32(lmp_sampler *s, const float *logits, size_t V, const int32_t *hist, size_t nh,
                              lmp_rng *rng, int32_t *token, lmp_error *err)
{
    lmp_status st = lmp_sampler_apply_f32(s, logits, V, hist, nh, err);
    if (st) return st;
    *token = lmp_sampler_draw(s, rng);
    return LMP_OK;
}

lmp_status lmp_sampler_sample(lmp_sampler *s, const double *logits, size_t V, const int32_t *hist, size_t nh,
                                lmp_rng *rng, int32_t *token, lmp_error *err)
{
    lmp_status st = lmp_sampler_apply(s, logits, V, hist, nh, err);
    if (st) return st;
    *token = lmp_sampler_draw(s, rng);
    return LMP_OK;
}
