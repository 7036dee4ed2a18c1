/* Selection and compaction over the survivors (the fused engine): the k-th value
 * without a full sort, position sorts by rank, and the stable compactions that
 * keep the arrays in ascending id order. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sampler_internal.h"

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
double smp_select_kth_smallest(double *a, size_t n, size_t k)
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
double smp_kth_smallest_key(lmp_sampler *s, const double *key, size_t n, size_t k)
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
        double thr = smp_select_kth_smallest(w, SAMPLE_SIZE, ks);
        size_t m = 0;
        for (size_t i = 0; i < n; i++) {
            double v = key[i];
            if (v <= thr) w[m++] = v;
        }
        if (m >= k) return smp_select_kth_smallest(w, m, k);
    }
    memcpy(w, key, n * sizeof *w);
    return smp_select_kth_smallest(w, n, k);
}

/* Keep the survivors whose key is < tkey, and `rtie` of those equal to tkey:
 * the first rtie in id order when low_first, else the last rtie; TIES_ALL keeps
 * every tie. Stable compaction of id/lg/p. */
/* Keep the survivors whose key is < tkey, and `rtie` of those equal to tkey:
 * the first rtie in id order when low_first, else the last rtie; TIES_ALL keeps
 * every tie. Stable compaction of id/lg/p. ties: how many keys equal tkey
 * (TIES_ALL when unknown: counted here if needed). */
void smp_compact_by_key_t(lmp_sampler *s, double tkey, size_t rtie, int low_first, size_t ties)
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
    s->n = lmp_sample_compact(s->isa, key, tkey, lo, hi, n, s->ident, s->id, s->lg, s->p);
    s->ident = 0;
}

void smp_compact_by_key(lmp_sampler *s, double tkey, size_t rtie, int low_first)
{
    smp_compact_by_key_t(s, tkey, rtie, low_first, TIES_ALL);
}

/* The k-th largest processed logit (1 <= k <= n), as kth_smallest_key on
 * -lg but without writing the keys: the sample and the gather negate on the fly. */
double smp_kth_largest_logit(lmp_sampler *s, size_t k, size_t *ngathered)
{
    const double *x = s->lg;
    double *w = s->work;
    size_t n = s->n;
    *ngathered = 0;
    if (k == 1) return lmp_sample_max(s->isa, x, n);
    if (n > 4 * SAMPLE_SIZE && k <= n / 64) {
        size_t stride = n / SAMPLE_SIZE;
        for (size_t j = 0; j < SAMPLE_SIZE; j++) w[j] = -x[j * stride];
        size_t ks = (2 * k * SAMPLE_SIZE + n - 1) / n + 16;
        if (ks > SAMPLE_SIZE) ks = SAMPLE_SIZE;
        double thr = -smp_select_kth_smallest(w, SAMPLE_SIZE, ks);
        /* Gather the positions too: every survivor of the cut is among them. */
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
            if (x[i] >= thr) s->ord[m++] = i;
        if (m >= k) {
            for (size_t j = 0; j < m; j++) w[j] = -x[s->ord[j]];
            *ngathered = m;
            return -smp_select_kth_smallest(w, m, k);
        }
    }
    for (size_t i = 0; i < n; i++) w[i] = -x[i];
    return -smp_select_kth_smallest(w, n, k);
}

/* Compaction restricted to the gathered positions ord[0..m) (ascending): the
 * same result as compact_by_logit when every logit >= t is among them. */
void smp_compact_gathered(lmp_sampler *s, size_t m, double t, size_t rtie)
{
    size_t out = 0, seen = 0;
    for (size_t j = 0; j < m; j++) {
        size_t i = s->ord[j];
        double v = s->lg[i];
        if (v < t) continue;
        if (v == t && rtie != TIES_ALL && seen++ >= rtie) continue;
        s->id[out] = s->ident ? (lmp_token_id)i : s->id[i];
        s->lg[out] = v;
        out++;
    }
    s->n = out;
    s->ident = 0;
}

/* Keep the survivors whose logit is > t, and rtie of those equal to t (as compact_by_key). */
void smp_compact_by_logit(lmp_sampler *s, double t, size_t rtie, int low_first)
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
            s->id[m] = s->ident ? (lmp_token_id)i : s->id[i];
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
void smp_keep_first_ranks(lmp_sampler *s, size_t K, int low_first)
{
    if (K >= s->n) return;
    double t = smp_kth_smallest_key(s, s->key, s->n, K);
    size_t lt = 0;
    for (size_t i = 0; i < s->n; i++) lt += s->key[i] < t;
    smp_compact_by_key(s, t, K - lt, low_first);
}

/* Compact by s->flag (branch-free, as compact_by_key). */
void smp_compact_by_flag(lmp_sampler *s)
{
    size_t m = 0;
    int ident = s->ident;
    for (size_t i = 0; i < s->n; i++) {
        s->id[m] = ident ? (lmp_token_id)i : s->id[i];
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
void smp_sort_positions(size_t *pos, size_t m, const double *key, int low_first)
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
void smp_sort_positions_radix(size_t *pos, size_t m, const double *key, int low_first, void *scratch)
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
