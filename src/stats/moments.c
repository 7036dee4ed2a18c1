/* Moments: pairwise sums, mean, variance, central moments, skewness, kurtosis,
 * and the streaming (mergeable) accumulator.
 *
 * The sums reproduce numpy's pairwise summation (numpy/core/src/umath/
 * loops_utils.h: DOUBLE_pairwise_sum): blocks of at most 128 values are summed
 * with 8 interleaved partial sums, larger ranges are split in two at n/2 rounded
 * down to a multiple of 8. This gives numpy's bits for np.sum/np.mean/np.var on
 * contiguous data, an O(eps log n) error bound (Higham 2002, sec. 4.2), and a
 * loop the compiler can vectorise without -ffast-math (the 8 partial sums are
 * independent). */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "lmprob/stats.h"
#include "../core/ksum.h"

#define PW_BLOCK 128

/* The leaf kernels: one per term, so that each inner loop is branch-free. */
enum term { T_X, T_D1, T_D2, T_D3, T_D4 };

/* The deviations d = v - m enter the powers as d * s1 * s2, two powers of two whose product brings the
 * largest |d| to [1, 2) (skewness, kurtosis): d^4 of data near 1e80 overflows and of data near 1e-80
 * underflows, while the ratios m3 / m2^1.5 and m4 / m2^2 are scale-free. Powers of two scale exactly, so
 * in the normal range the bits are those of the unscaled sums (scipy's); two factors because 2^e alone
 * is not a double for every e a subnormal or huge spread needs. s1 = s2 = 1 elsewhere. h = 1/2 where a
 * deviation itself overflows (1.7e308 - (-1.6e308)): then each is x h - m h, exact halves whose
 * difference is a double, before s1 and s2; h = 1 elsewhere, which changes no bit. */
typedef struct scale2 {
    double s1, s2, h;
} scale2;

static const scale2 NOSCALE = {1.0, 1.0, 1.0};

static inline double term_of(double v, double m, enum term t, scale2 sc)
{
    double d;
    switch (t) {
    case T_X: return v;
    case T_D1: return (v * sc.h - m * sc.h) * sc.s1 * sc.s2;
    case T_D2: d = (v * sc.h - m * sc.h) * sc.s1 * sc.s2; return d * d;
    case T_D3: d = (v * sc.h - m * sc.h) * sc.s1 * sc.s2; return (d * d) * d;  /* scipy: s = d**2; s *= d */
    default: d = (v * sc.h - m * sc.h) * sc.s1 * sc.s2; { double s = d * d; return s * s; }  /* scipy: (d**2)**2 */
    }
}

static double pw_leaf(const double *a, size_t n, double m, enum term t, scale2 sc)
{
    if (n < 8) {
        double res = 0.0;
        for (size_t i = 0; i < n; i++) res += term_of(a[i], m, t, sc);
        return res;
    }
    double r0 = term_of(a[0], m, t, sc), r1 = term_of(a[1], m, t, sc), r2 = term_of(a[2], m, t, sc),
           r3 = term_of(a[3], m, t, sc), r4 = term_of(a[4], m, t, sc), r5 = term_of(a[5], m, t, sc),
           r6 = term_of(a[6], m, t, sc), r7 = term_of(a[7], m, t, sc);
    size_t i, lim = n - (n % 8);
    for (i = 8; i < lim; i += 8) {
        r0 += term_of(a[i + 0], m, t, sc);
        r1 += term_of(a[i + 1], m, t, sc);
        r2 += term_of(a[i + 2], m, t, sc);
        r3 += term_of(a[i + 3], m, t, sc);
        r4 += term_of(a[i + 4], m, t, sc);
        r5 += term_of(a[i + 5], m, t, sc);
        r6 += term_of(a[i + 6], m, t, sc);
        r7 += term_of(a[i + 7], m, t, sc);
    }
    double res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7));
    for (; i < n; i++) res += term_of(a[i], m, t, sc);
    return res;
}

/* The two hot leaves (sum of x, sum of (x - m)^2) with the 8 partial sums held
 * in four 2-lane vectors: lanes of a0, a1, a2, a3 are the partial sums r0..r7 of
 * pw_leaf, so every addition is the same as there (same bits), but the compiler
 * emits packed SSE2 adds without -ffast-math (GCC/Clang vector extensions). */
#if defined(__GNUC__)
typedef double v2d __attribute__((vector_size(16), aligned(8)));

/* Unaligned 2-double load; a macro so no function passes vectors around. */
#define LOAD2(v, p) memcpy(&(v), (p), sizeof(v))

/* The leaves stream their data from memory when the array is larger than the caches (the
 * mean of 1e8 doubles reads 800 MB once): one prefetch per 64-byte line, PW_PREFETCH bytes
 * ahead, hides part of the latency the hardware prefetcher leaves (the mean of 1e8 doubles on
 * the Zen 1 VM, a throw-away driver under load: 58 ms without, 49-52 ms with; bench_stats.sh
 * at b6ff6d4: 54.9 ms against numpy's 59.8, docs/benchmarks.md). The address
 * is formed as an integer: past the end of the array it is only a hint, never a pointer. */
#define PW_PREFETCH 512
#define PREFETCH_AHEAD(p) __builtin_prefetch((const void *)((uintptr_t)(p) + PW_PREFETCH))

static double leaf_x(const double *a, size_t n)
{
    if (n < 8) return pw_leaf(a, n, 0.0, T_X, NOSCALE);
    v2d a0, a1, a2, a3, t0, t1, t2, t3;
    LOAD2(a0, a);
    LOAD2(a1, a + 2);
    LOAD2(a2, a + 4);
    LOAD2(a3, a + 6);
    size_t i, lim = n - (n % 8);
    for (i = 8; i < lim; i += 8) {
        PREFETCH_AHEAD(a + i);
        LOAD2(t0, a + i);
        LOAD2(t1, a + i + 2);
        LOAD2(t2, a + i + 4);
        LOAD2(t3, a + i + 6);
        a0 += t0;
        a1 += t1;
        a2 += t2;
        a3 += t3;
    }
    double res = ((a0[0] + a0[1]) + (a1[0] + a1[1])) + ((a2[0] + a2[1]) + (a3[0] + a3[1]));
    for (; i < n; i++) res += a[i];
    return res;
}

static double leaf_d2(const double *a, size_t n, double m)
{
    if (n < 8) return pw_leaf(a, n, m, T_D2, NOSCALE);
    v2d mv = {m, m}, d0, d1, d2, d3;
    LOAD2(d0, a);
    LOAD2(d1, a + 2);
    LOAD2(d2, a + 4);
    LOAD2(d3, a + 6);
    d0 -= mv;
    d1 -= mv;
    d2 -= mv;
    d3 -= mv;
    v2d a0 = d0 * d0, a1 = d1 * d1, a2 = d2 * d2, a3 = d3 * d3;
    size_t i, lim = n - (n % 8);
    for (i = 8; i < lim; i += 8) {
        PREFETCH_AHEAD(a + i);
        LOAD2(d0, a + i);
        LOAD2(d1, a + i + 2);
        LOAD2(d2, a + i + 4);
        LOAD2(d3, a + i + 6);
        d0 -= mv;
        d1 -= mv;
        d2 -= mv;
        d3 -= mv;
        a0 += d0 * d0;
        a1 += d1 * d1;
        a2 += d2 * d2;
        a3 += d3 * d3;
    }
    double res = ((a0[0] + a0[1]) + (a1[0] + a1[1])) + ((a2[0] + a2[1]) + (a3[0] + a3[1]));
    for (; i < n; i++) {
        double d = a[i] - m;
        res += d * d;
    }
    return res;
}
#else
static double leaf_x(const double *a, size_t n) { return pw_leaf(a, n, 0.0, T_X, NOSCALE); }
static double leaf_d2(const double *a, size_t n, double m) { return pw_leaf(a, n, m, T_D2, NOSCALE); }
#endif

static double pw_sum_x(const double *a, size_t n)
{
    if (n <= PW_BLOCK) return leaf_x(a, n);
    size_t n2 = n / 2;
    n2 -= n2 % 8;
    return pw_sum_x(a, n2) + pw_sum_x(a + n2, n - n2);
}

static double pw_sum_d2(const double *a, size_t n, double m)
{
    if (n <= PW_BLOCK) return leaf_d2(a, n, m);
    size_t n2 = n / 2;
    n2 -= n2 % 8;
    return pw_sum_d2(a, n2, m) + pw_sum_d2(a + n2, n - n2, m);
}

static double pw_sum_dk(const double *a, size_t n, double m, enum term t, scale2 sc)
{
    if (n <= PW_BLOCK) return pw_leaf(a, n, m, t, sc);
    size_t n2 = n / 2;
    n2 -= n2 % 8;
    return pw_sum_dk(a, n2, m, t, sc) + pw_sum_dk(a + n2, n - n2, m, t, sc);
}

/* The two factors of 2^e, each a normal double. */
static scale2 pow2_split(int e)
{
    scale2 sc = {ldexp(1.0, e / 2), ldexp(1.0, e - e / 2), 1.0};
    return sc;
}

/* The scale for the deviations from m: 2^-ilogb(max |x - m|); NOSCALE when they are all 0 or not finite.
 * Where a deviation of finite data overflows, the halves' (h = 1/2). */
static scale2 deviation_scale(const double *x, size_t n, double m)
{
    double big = 0.0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs(x[i] - m);
        if (d > big) big = d;
    }
    double h = 1.0;
    if (isinf(big) && isfinite(m)) {
        h = 0.5;
        big = 0.0;
        for (size_t i = 0; i < n; i++) {
            double d = fabs(x[i] * h - m * h);
            if (d > big) big = d;
        }
    }
    if (!(big > 0) || isinf(big)) return NOSCALE;
    scale2 sc = pow2_split(-ilogb(big));
    sc.h = h;
    return sc;
}

/* log2 of a scale's whole factor h s1 s2 */
static int scale_log2(scale2 sc) { return ilogb(sc.h) + ilogb(sc.s1) + ilogb(sc.s2); }

double lmp_stats_sum(const double *x, size_t n)
{
    if (!x && n) return NAN; /* no array: a domain error (stats.h) */
    /* np.add.reduce starts from the identity 0 and adds the pairwise sum. */
    return 0.0 + pw_sum_x(x, n);
}

static double mean_scaled(const double *x, size_t n, int *e);

double lmp_stats_mean(const double *x, size_t n)
{
    if (n == 0 || !x) return NAN;
    double m = lmp_stats_sum(x, n) / (double)n;
    if (!isinf(m)) return m; /* numpy's bits */
    /* the sum overflowed (np.mean([1e308, 1e308]) is inf): when every x is finite, the mean of the
     * data scaled by 2^-e, then scaled back (mean_scaled: NaN when some x is not) */
    int e;
    double w = mean_scaled(x, n, &e);
    return isnan(w) ? m : ldexp(w, e);
}

/* Blocks of at most VAR_BLOCK values (64 KiB, cache resident) get the exact
 * two-pass treatment; blocks are combined pairwise with Chan, Golub & LeVeque's
 * (1979) update M2 = M2a + M2b + d^2 na nb / n. One pass over memory instead
 * of two, and the error stays O(eps log n). Up to VAR_BLOCK values this is
 * numpy's two-pass bit for bit; beyond, numpy itself sums 8192-value buffers
 * one after another, so its bits differ from any pairwise scheme anyway. */
#define VAR_BLOCK 8192

typedef struct { double n, mean, m2; } block_moments;

static block_moments var_blocks(const double *x, size_t n)
{
    block_moments r;
    if (n <= VAR_BLOCK) {
        r.n = (double)n;
        r.mean = (0.0 + pw_sum_x(x, n)) / (double)n;
        r.m2 = 0.0 + pw_sum_d2(x, n, r.mean);
        return r;
    }
    size_t n2 = n / 2;
    n2 -= n2 % 8;
    block_moments a = var_blocks(x, n2), b = var_blocks(x + n2, n - n2);
    double d = b.mean - a.mean;
    r.n = a.n + b.n;
    r.mean = a.mean + d * (b.n / r.n);
    r.m2 = a.m2 + b.m2 + d * d * (a.n * b.n / r.n);
    return r;
}

/* *e = ilogb(max |x|) (0 when all are 0) and the mean of x * 2^-e; NaN when some x is not finite. */
static double mean_scaled(const double *x, size_t n, int *e)
{
    double big = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i])) return NAN;
        if (fabs(x[i]) > big) big = fabs(x[i]);
    }
    *e = big > 0 ? ilogb(big) : 0;
    scale2 sc = pow2_split(-*e);
    lmp_ksum k = {0, 0}; /* Neumaier's sum (src/core/ksum.h), for the slow paths at the edges of the range */
    for (size_t i = 0; i < n; i++) lmp_ksum_add(&k, x[i] * sc.s1 * sc.s2);
    return lmp_ksum_value(&k) / (double)n;
}

/* The variance at the edges of the double range, where the fast path's sums overflow (data near 1e154:
 * d^2; near 1e308: the sum of x itself) or its squares go subnormal (data near 1e-160): the data scaled
 * by 2^-e (max |x| in [1, 2)), two passes with compensated sums, the result as v * 2^(2e).
 * Returns v and sets *e; NaN when some x is not finite (as the fast path). */
static double var_scaled(const double *x, size_t n, double ddof, int *e)
{
    double m = mean_scaled(x, n, e);
    if (isnan(m)) return NAN;
    scale2 sc = pow2_split(-*e);
    lmp_ksum k = {0, 0};
    for (size_t i = 0; i < n; i++) {
        double d = x[i] * sc.s1 * sc.s2 - m;
        lmp_ksum_add(&k, d * d);
    }
    return lmp_ksum_value(&k) / ((double)n - ddof);
}

/* Below 2^-969 the largest squared deviations may be subnormal (fewer than 53 bits): recompute scaled. */
#define VAR_TINY 0x1p-969

lmp_status lmp_stats_ddof_check(size_t n, double ddof, lmp_error *err)
{
    if (!(ddof >= 0) || (double)n - ddof <= 0)
        return lmp_error_set(err, LMP_EINVAL, "ddof = %g with %zu observations: expected ddof < observations",
                             ddof, n);
    return LMP_OK;
}

double lmp_stats_variance(const double *x, size_t n, double ddof)
{
    if (n == 0 || !x || !(ddof >= 0) || (double)n - ddof <= 0) return NAN;
    double v = var_blocks(x, n).m2 / ((double)n - ddof);
    if (isfinite(v) && !(v > 0 && v < VAR_TINY)) return v;
    int e;
    double w = var_scaled(x, n, ddof, &e);
    return isnan(w) ? v : ldexp(w, 2 * e);
}

double lmp_stats_stddev(const double *x, size_t n, double ddof)
{
    if (n == 0 || !x || !(ddof >= 0) || (double)n - ddof <= 0) return NAN;
    double v = var_blocks(x, n).m2 / ((double)n - ddof);
    /* a variance of 0 from data that are not all equal: the squared deviations underflowed (1e-320, 2e-320,
     * 3e-320: std 8.2e-321, which is a double, was 0) */
    if (v == 0) {
        size_t i = 1;
        while (i < n && x[i] == x[0]) i++;
        if (i == n) return 0.0;
    }
    if (isfinite(v) && !(v < VAR_TINY)) return sqrt(v);
    /* sqrt of the scaled variance, then scaled: a standard deviation of 1e160 is a double even where its
     * square is not (nor its variance below 2^-1074) */
    int e;
    double w = var_scaled(x, n, ddof, &e);
    return isnan(w) ? sqrt(v) : ldexp(sqrt(w), e);
}

static double moment_mean(const double *x, size_t n);

double lmp_stats_central_moment(const double *x, size_t n, int k)
{
    if (n == 0 || !x || k < 2 || k > 4) return NAN;
    double m = moment_mean(x, n); /* the pairwise mean, or the scaled one where its sum overflows */
    enum term t = k == 2 ? T_D2 : k == 3 ? T_D3 : T_D4;
    const double v = (0.0 + pw_sum_dk(x, n, m, t, NOSCALE)) / (double)n;
    if (!isnan(v) || !isfinite(m)) return v;
    /* Finite data whose powers overflowed both ways (d^3 of data at 1e200: inf - inf), where the moment
     * itself is past the doubles: the deviations in units of 2^-ilogb(max |d|), then scaled back, which
     * gives the moment's own overflow (-inf, not NaN); deviations that themselves overflow (1.7e308 and
     * -1.6e308, whose m3 was NaN) are taken in halves. */
    const scale2 sc = deviation_scale(x, n, m);
    const double w = (0.0 + pw_sum_dk(x, n, m, t, sc)) / (double)n;
    return ldexp(w, -k * scale_log2(sc));
}

/* scipy's test for "constant" data: m2 <= (resolution * mean)^2 with
 * resolution = 1e-15 for float64 (np.finfo(float).resolution). */
static int numerically_constant(double m2, double mean)
{
    double r = 1e-15 * mean;
    return m2 <= r * r;
}

/* g1 from the biased moments, and the bias correction (Joanes & Gill 1998, G1). */
static double skew_from(double n, double mean, double m2, double m3, int bias)
{
    if (numerically_constant(m2, mean)) return NAN;
    if (!bias && n > 2) return sqrt((n - 1.0) * n) / (n - 2.0) * m3 / pow(m2, 1.5);
    return m3 / pow(m2, 1.5);
}

/* b2 = m4/m2^2 and the unbiased G2 (Joanes & Gill 1998), as scipy.stats.kurtosis. */
static double kurt_from(double n, double mean, double m2, double m4, int fisher, int bias)
{
    if (numerically_constant(m2, mean)) return NAN;
    double v = m4 / (m2 * m2);
    if (!bias && n > 3)
        v = 1.0 / (n - 2) / (n - 3) * ((n * n - 1.0) * m4 / (m2 * m2) - 3 * (n - 1) * (n - 1)) + 3.0;
    return fisher ? v - 3 : v;
}

/* The mean for the moments: the pairwise one, or at the top of the range (where the sum overflows) the
 * scaled one. */
static double moment_mean(const double *x, size_t n)
{
    double m = lmp_stats_mean(x, n);
    if (isinf(m)) {
        int e;
        double ms = mean_scaled(x, n, &e);
        if (!isnan(ms)) m = ldexp(ms, e);
    }
    return m;
}

/* m2, m3, m4 about the computed mean, corrected by the first moment about it, m1 = mean(d) (zero but for
 * the rounding of the mean): m2 - m1^2, m3 - 3 m1 m2 + 2 m1^3, m4 - 4 m1 m3 + 6 m1^2 m2 - 3 m1^4 (the
 * binomial expansion of the moments about the true mean). A mean of data offset by 2000 standard deviations
 * carries an error of 2000 u standard deviations, and without the correction m3 / m2^1.5 and m4 / m2^2 move
 * by m3 / m2^2 times it; with it the error is second order (as Chan, Golub & LeVeque's corrected two-pass
 * variance, 1983). Where it is not needed it changes nothing beyond the last bit. */
static void central_moments(const double *x, size_t n, double mean, scale2 sc, int want3, double *m2, double *m34)
{
    double dn = (double)n;
    double m1 = (0.0 + pw_sum_dk(x, n, mean, T_D1, sc)) / dn;
    double r2 = (0.0 + pw_sum_dk(x, n, mean, T_D2, sc)) / dn;
    double r3 = (0.0 + pw_sum_dk(x, n, mean, T_D3, sc)) / dn;
    double c2 = r2 - m1 * m1;
    if (want3) {
        *m34 = r3 - 3 * m1 * r2 + 2 * m1 * m1 * m1;
    } else {
        double r4 = (0.0 + pw_sum_dk(x, n, mean, T_D4, sc)) / dn;
        *m34 = r4 - 4 * m1 * r3 + 6 * m1 * m1 * r2 - 3 * m1 * m1 * m1 * m1;
    }
    *m2 = c2;
}

double lmp_stats_skewness(const double *x, size_t n, int bias)
{
    if (n == 0 || !x) return NAN;
    double mean = moment_mean(x, n);
    scale2 sc = deviation_scale(x, n, mean);
    double m2, m3;
    central_moments(x, n, mean, sc, 1, &m2, &m3);
    /* the constant-data test compares m2 with the mean, at the same scale */
    return skew_from((double)n, mean * sc.h * sc.s1 * sc.s2, m2, m3, bias);
}

double lmp_stats_kurtosis(const double *x, size_t n, int fisher, int bias)
{
    if (n == 0 || !x) return NAN;
    double mean = moment_mean(x, n);
    scale2 sc = deviation_scale(x, n, mean);
    double m2, m4;
    central_moments(x, n, mean, sc, 0, &m2, &m4);
    return kurt_from((double)n, mean * sc.h * sc.s1 * sc.s2, m2, m4, fisher, bias);
}

/* ---- streaming moments ----------------------------------------------------------
 * One-value update (Welford 1962, extended to m3/m4 by Terriberry 2007 / Pebay
 * 2008 eq. 1.5) and pairwise merge (Chan, Golub & LeVeque 1979; Pebay 2008
 * eq. 2.1 for m3, m4). */

/* The sums' unit, 2^scale_log2. Unscaled, the sum of fourth powers overflows once the spread passes 1.3e77
 * and underflows below 1e-77, so the streaming skewness and kurtosis of data at 1e80 or 1e-100 were NaN
 * where lmp_stats_kurtosis (which scales its deviations the same way) is exact. The unit follows the data:
 * the first nonzero deviation sets it, and one more than 2^64 units away raises it. The sums are then
 * multiplied by a power of two, which is exact but for what underflows: parts below 2^-128 of the new
 * deviation's square. 2^64 units leave the fourth powers 2^260 of room, n times over. */
enum { MOMENTS_HEADROOM_LOG2 = 64 };

static void moments_rescale(lmp_moments *m, int e)
{
    int d = m->scale_log2 - e;
    if (d == 0) return;
    m->mean_lo = ldexp(m->mean_lo, d);
    m->m2 = ldexp(m->m2, 2 * d);
    m->m3 = ldexp(m->m3, 3 * d);
    m->m4 = ldexp(m->m4, 4 * d);
    m->scale_log2 = e;
}

/* mean + mean_lo 2^e moves by step 2^e (step in units): the new mean is the rounded sum, and what the
 * rounding left out (Knuth's TwoSum, exact) and what step 2^e lost below the doubles go to mean_lo. Welford's
 * mean += delta / n dropped them: after 1e5 values of U(1, 2) it was 97 ulps off, and on data of a few
 * 2^-1074 (whose delta / n underflows) it stopped moving, the skewness then 25 % off. */
static void mean_step(lmp_moments *m, double step)
{
    const int e = m->scale_log2;
    const double a = m->mean, b = ldexp(step, e), s = a + b;
    if (!isfinite(s)) { /* an infinite or NaN datum: the mean is that, with nothing left over */
        m->mean = s;
        m->mean_lo = 0.0;
        return;
    }
    const double bb = s - a, err = (a - (s - bb)) + (b - bb);
    m->mean = s;
    m->mean_lo += ldexp(err, -e) + (step - ldexp(b, -e));
}

/* The unit for the deviation delta = a - b (which overflows to inf for finite a, b of opposite signs near
 * the top of the range): e, or a new one where there is no spread yet or the deviation is too far. */
static int moments_unit(int e, int spread, double a, double b, double delta)
{
    int k;
    if (isfinite(delta)) {
        if (delta == 0) return e;
        frexp(delta, &k);  /* 2^(k-1) <= |delta| < 2^k */
    } else if (isfinite(a) && isfinite(b)) {
        k = DBL_MAX_EXP + 1;  /* |a - b| < 2^1025 */
    } else {
        return e;  /* a NaN or an infinity: the moments become NaN, as the data's */
    }
    return !spread || k - 1 - e > MOMENTS_HEADROOM_LOG2 ? k - 1 : e;
}

/* delta = a - b in units of 2^e */
static double moments_scaled(int e, double a, double b, double delta)
{
    if (isfinite(delta) || !isfinite(a) || !isfinite(b)) return ldexp(delta, -e);
    return ldexp(a, -e) - ldexp(b, -e);
}

void lmp_moments_init(lmp_moments *m)
{
    m->n = 0;
    m->mean = m->mean_lo = m->m2 = m->m3 = m->m4 = 0.0;
    m->scale_log2 = 0;
    m->min = INFINITY;
    m->max = -INFINITY;
}

void lmp_moments_add(lmp_moments *m, double x)
{
    if (m->n == 0 && isfinite(x)) {
        /* The first value: its mean, no spread. Welford's step below gives the same, but as inf * 0 = NaN
         * once delta * dn overflows (|x| above 1.3e154: one value of 1e160 had variance NaN, not 0); a NaN
         * or inf still takes that step, and makes the moments NaN as before. */
        m->mean = x;
        m->n = 1;
        if (x < m->min) m->min = x;
        if (x > m->max) m->max = x;
        return;
    }
    double n1 = (double)m->n;
    double n = n1 + 1.0;
    double delta = x - m->mean;
    moments_rescale(m, moments_unit(m->scale_log2, m->m2 != 0, x, m->mean, delta));
    /* the deviation from the whole mean, mean_lo included */
    double ds = moments_scaled(m->scale_log2, x, m->mean, delta) - m->mean_lo;
    double dn = ds / n;
    double dn2 = dn * dn;
    double term1 = ds * dn * n1;
    /* x - mean overflows for finite values of opposite signs near the top of the range (1e308 then -1e308:
     * the mean became -inf, not 0): then x / n - mean / n, which cannot (its rest is below the mean's ulp
     * there, and dropped). */
    if (isfinite(delta) || !isfinite(x) || !isfinite(m->mean)) {
        mean_step(m, dn);
    } else {
        m->mean = m->mean - m->mean / n + x / n;
        m->mean_lo = 0.0;
    }
    m->m4 += term1 * dn2 * (n * n - 3 * n + 3) + 6 * dn2 * m->m2 - 4 * dn * m->m3;
    m->m3 += term1 * dn * (n - 2) - 3 * dn * m->m2;
    m->m2 += term1;
    m->n++;
    if (x < m->min) m->min = x;
    if (x > m->max) m->max = x;
}

void lmp_moments_add_array(lmp_moments *m, const double *x, size_t n)
{
    if (!m || !x) return; /* nothing to add to, or from (stats.h) */
    for (size_t i = 0; i < n; i++) lmp_moments_add(m, x[i]);
}

void lmp_moments_merge(lmp_moments *a, const lmp_moments *b)
{
    if (b->n == 0) return;
    if (a->n == 0) {
        *a = *b;
        return;
    }
    lmp_moments B = *b;  /* a == b is allowed */
    double na = (double)a->n, nb = (double)B.n, n = na + nb;
    double dm = B.mean - a->mean;
    /* one unit for both: the one of the accumulator with a spread (the other's may be anything), the
     * larger of the two, or one for the difference of the means */
    int e = a->m2 == 0                       ? B.scale_log2
            : B.m2 == 0                        ? a->scale_log2
            : a->scale_log2 > B.scale_log2     ? a->scale_log2
                                               : B.scale_log2;
    e = moments_unit(e, a->m2 != 0 || B.m2 != 0, B.mean, a->mean, dm);
    moments_rescale(a, e);
    moments_rescale(&B, e);
    double d = moments_scaled(e, B.mean, a->mean, dm) + (B.mean_lo - a->mean_lo), d2 = d * d, d3 = d2 * d,
           d4 = d2 * d2;
    double m2 = a->m2 + B.m2 + d2 * na * nb / n;
    double m3 = a->m3 + B.m3 + d3 * na * nb * (na - nb) / (n * n) + 3 * d * (na * B.m2 - nb * a->m2) / n;
    double m4 = a->m4 + B.m4 + d4 * na * nb * (na * na - na * nb + nb * nb) / (n * n * n) +
                6 * d2 * (na * na * B.m2 + nb * nb * a->m2) / (n * n) + 4 * d * (na * B.m3 - nb * a->m3) / n;
    /* as in lmp_moments_add: the weighted mean where the difference of the means overflows */
    if (isfinite(dm) || !isfinite(a->mean) || !isfinite(B.mean)) {
        mean_step(a, d * nb / n);
    } else {
        a->mean = a->mean * (na / n) + B.mean * (nb / n);
        a->mean_lo = 0.0;
    }
    a->m2 = m2;
    a->m3 = m3;
    a->m4 = m4;
    a->n += B.n;
    if (B.min < a->min) a->min = B.min;
    if (B.max > a->max) a->max = B.max;
}

double lmp_moments_mean(const lmp_moments *m)
{
    if (!m->n) return NAN;
    return isfinite(m->mean) ? m->mean + ldexp(m->mean_lo, m->scale_log2) : m->mean;
}

double lmp_moments_variance(const lmp_moments *m, double ddof)
{
    if (m->n == 0 || !(ddof >= 0) || (double)m->n - ddof <= 0) return NAN;
    return ldexp(m->m2 / ((double)m->n - ddof), 2 * m->scale_log2);
}

double lmp_moments_skewness(const lmp_moments *m, int bias)
{
    if (m->n == 0) return NAN;
    double n = (double)m->n;
    /* the constant-data test compares m2 with the mean in the sums' unit */
    return skew_from(n, ldexp(m->mean, -m->scale_log2), m->m2 / n, m->m3 / n, bias);
}

double lmp_moments_kurtosis(const lmp_moments *m, int fisher, int bias)
{
    if (m->n == 0) return NAN;
    double n = (double)m->n;
    return kurt_from(n, ldexp(m->mean, -m->scale_log2), m->m2 / n, m->m4 / n, fisher, bias);
}
